//! KV-LIST: `*(NAME TYPED-DATA)` up to the end of the payload (HELLO and
//! DISCONNECT frames).

use bytes::Bytes;

use super::{encode_name, DecodeError, Reader, TypedData};

/// Decoded KV items in wire order.
pub type KvList = Vec<(Bytes, TypedData)>;

/// Decodes a whole payload as a KV-LIST.
pub fn decode_kv_list(payload: Bytes) -> Result<KvList, DecodeError> {
    let mut r = Reader::new(payload);
    let mut out = Vec::new();
    while !r.is_empty() {
        let name = r.length_prefixed("KV name")?;
        let value = TypedData::decode(&mut r)?;
        out.push((name, value));
    }
    Ok(out)
}

/// Appends a KV-LIST.
pub fn encode_kv_list<'a>(
    items: impl IntoIterator<Item = (&'a str, &'a TypedData)>,
    out: &mut Vec<u8>,
) {
    for (name, value) in items {
        encode_name(name.as_bytes(), out);
        value.encode(out);
    }
}

/// The first value named `key`.
pub fn kv_get<'a>(items: &'a KvList, key: &str) -> Option<&'a TypedData> {
    items
        .iter()
        .find(|(k, _)| &k[..] == key.as_bytes())
        .map(|(_, v)| v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let a = TypedData::string("2.0");
        let b = TypedData::Uint32(16380);
        let mut out = Vec::new();
        encode_kv_list([("version", &a), ("max-frame-size", &b)], &mut out);
        let kv = decode_kv_list(Bytes::from(out)).unwrap();
        assert_eq!(kv.len(), 2);
        assert_eq!(kv_get(&kv, "version"), Some(&a));
        assert_eq!(kv_get(&kv, "max-frame-size"), Some(&b));
        assert_eq!(kv_get(&kv, "nope"), None);
    }

    #[test]
    fn truncated() {
        // Name announces 5 bytes, has 2.
        assert!(decode_kv_list(Bytes::from_static(&[5, b'a', b'b'])).is_err());
        // Name without value.
        assert_eq!(
            decode_kv_list(Bytes::from_static(&[1, b'a'])),
            Err(DecodeError::Truncated("typed data"))
        );
    }
}
