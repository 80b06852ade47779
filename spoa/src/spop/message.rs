//! LIST-OF-MESSAGES (NOTIFY payload):
//! `*(NAME NB-ARGS:u8 NB-ARGS*(NAME TYPED-DATA))`.

use bytes::Bytes;

use super::{encode_name, DecodeError, Reader, TypedData};

/// One SPOE message with its arguments, in configuration order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Message name (`coraza-req`).
    pub name: Bytes,
    /// Arguments; unnamed ones have an empty name.
    pub args: Vec<(Bytes, TypedData)>,
}

impl Message {
    /// The message name as text (lossy; for logs and dispatch).
    pub fn name_str(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(&self.name)
    }

    /// The first argument named `name`.
    pub fn arg(&self, name: &str) -> Option<&TypedData> {
        self.args
            .iter()
            .find(|(k, _)| &k[..] == name.as_bytes())
            .map(|(_, v)| v)
    }
}

/// Decodes a NOTIFY payload.
pub fn decode_messages(payload: Bytes) -> Result<Vec<Message>, DecodeError> {
    let mut r = Reader::new(payload);
    let mut out = Vec::new();
    while !r.is_empty() {
        let name = r.length_prefixed("message name")?;
        let nb = r.u8("message argument count")?;
        let mut args = Vec::with_capacity(usize::from(nb));
        for _ in 0..nb {
            let arg = r.length_prefixed("argument name")?;
            let value = TypedData::decode(&mut r)?;
            args.push((arg, value));
        }
        out.push(Message { name, args });
    }
    Ok(out)
}

/// Appends a NOTIFY payload (what HAProxy sends; used by tests and tools).
/// More than 255 arguments cannot be represented: the extra ones are dropped.
pub fn encode_messages(messages: &[Message], out: &mut Vec<u8>) {
    for m in messages {
        encode_name(&m.name, out);
        let n = m.args.len().min(255);
        out.push(n as u8);
        for (k, v) in m.args.iter().take(n) {
            encode_name(k, out);
            v.encode(out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_with_unnamed_and_null() {
        let msgs = vec![
            Message {
                name: Bytes::from_static(b"check"),
                args: vec![
                    (Bytes::from_static(b"path"), TypedData::string("/attack")),
                    (Bytes::new(), TypedData::Null),
                    (Bytes::new(), TypedData::Bool(true)),
                ],
            },
            Message {
                name: Bytes::from_static(b"empty"),
                args: vec![],
            },
        ];
        let mut out = Vec::new();
        encode_messages(&msgs, &mut out);
        let back = decode_messages(Bytes::from(out)).unwrap();
        assert_eq!(back, msgs);
        assert_eq!(back[0].arg("path"), Some(&TypedData::string("/attack")));
        assert_eq!(back[0].arg(""), Some(&TypedData::Null));
    }

    #[test]
    fn fewer_args_than_announced() {
        let bytes = [5, b'c', b'h', b'e', b'c', b'k', 2, 1, b'a', 0x00];
        assert_eq!(
            decode_messages(Bytes::copy_from_slice(&bytes)),
            Err(DecodeError::Truncated("varint"))
        );
        assert_eq!(
            decode_messages(Bytes::from_static(&[1, b'x'])),
            Err(DecodeError::Truncated("message argument count"))
        );
    }
}
