//! Typed data: a type byte `(flags << 4) | type-id`, then the value.

use std::net::{Ipv4Addr, Ipv6Addr};

use bytes::Bytes;

use super::{encode_name, varint, DecodeError, Reader};

const T_NULL: u8 = 0;
const T_BOOL: u8 = 1;
const T_INT32: u8 = 2;
const T_UINT32: u8 = 3;
const T_INT64: u8 = 4;
const T_UINT64: u8 = 5;
const T_IPV4: u8 = 6;
const T_IPV6: u8 = 7;
const T_STRING: u8 = 8;
const T_BINARY: u8 = 9;

/// One SPOP value. Strings stay bytes: HAProxy does not promise UTF-8 and
/// a lossy conversion would hide attack payloads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TypedData {
    /// No value (a fetch that failed, an absent header).
    Null,
    /// Boolean (carried in the flag nibble).
    Bool(bool),
    /// Signed 32-bit integer (sign-extended on the wire).
    Int32(i32),
    /// Unsigned 32-bit integer.
    Uint32(u32),
    /// Signed 64-bit integer (two's complement on the wire).
    Int64(i64),
    /// Unsigned 64-bit integer.
    Uint64(u64),
    /// IPv4 address.
    Ipv4(Ipv4Addr),
    /// IPv6 address.
    Ipv6(Ipv6Addr),
    /// Text (not necessarily UTF-8).
    String(Bytes),
    /// Raw bytes.
    Binary(Bytes),
}

impl TypedData {
    /// A STRING from text.
    pub fn string(s: impl Into<String>) -> TypedData {
        TypedData::String(Bytes::from(s.into()))
    }

    /// Decodes one value.
    pub fn decode(r: &mut Reader) -> Result<TypedData, DecodeError> {
        let tb = r.u8("typed data")?;
        let (flags, id) = (tb >> 4, tb & 0x0F);
        Ok(match id {
            T_NULL => TypedData::Null,
            T_BOOL => TypedData::Bool(flags & 1 == 1),
            T_INT32 => {
                let v = r.varint()? as i64;
                TypedData::Int32(i32::try_from(v).map_err(|_| DecodeError::BadValue("INT32"))?)
            }
            T_UINT32 => TypedData::Uint32(
                u32::try_from(r.varint()?).map_err(|_| DecodeError::BadValue("UINT32"))?,
            ),
            T_INT64 => TypedData::Int64(r.varint()? as i64),
            T_UINT64 => TypedData::Uint64(r.varint()?),
            T_IPV4 => {
                let b = r.take(4, "IPV4")?;
                TypedData::Ipv4(Ipv4Addr::new(b[0], b[1], b[2], b[3]))
            }
            T_IPV6 => {
                let b = r.take(16, "IPV6")?;
                let mut a = [0u8; 16];
                a.copy_from_slice(&b);
                TypedData::Ipv6(Ipv6Addr::from(a))
            }
            T_STRING => TypedData::String(r.length_prefixed("STRING")?),
            T_BINARY => TypedData::Binary(r.length_prefixed("BINARY")?),
            _ => return Err(DecodeError::UnknownDataType(tb)),
        })
    }

    /// Appends the encoding (flag nibble 0 except for BOOL).
    pub fn encode(&self, out: &mut Vec<u8>) {
        match self {
            TypedData::Null => out.push(T_NULL),
            TypedData::Bool(b) => out.push(T_BOOL | if *b { 0x10 } else { 0 }),
            TypedData::Int32(v) => {
                out.push(T_INT32);
                // Sign-extend: HAProxy reads every integer as i64.
                varint::encode(i64::from(*v) as u64, out);
            }
            TypedData::Uint32(v) => {
                out.push(T_UINT32);
                varint::encode(u64::from(*v), out);
            }
            TypedData::Int64(v) => {
                out.push(T_INT64);
                varint::encode(*v as u64, out);
            }
            TypedData::Uint64(v) => {
                out.push(T_UINT64);
                varint::encode(*v, out);
            }
            TypedData::Ipv4(a) => {
                out.push(T_IPV4);
                out.extend_from_slice(&a.octets());
            }
            TypedData::Ipv6(a) => {
                out.push(T_IPV6);
                out.extend_from_slice(&a.octets());
            }
            TypedData::String(s) => {
                out.push(T_STRING);
                encode_name(s, out);
            }
            TypedData::Binary(s) => {
                out.push(T_BINARY);
                encode_name(s, out);
            }
        }
    }

    /// The value as an integer, for any of the four integer types.
    pub fn as_int(&self) -> Option<i64> {
        match self {
            TypedData::Int32(v) => Some(i64::from(*v)),
            TypedData::Uint32(v) => Some(i64::from(*v)),
            TypedData::Int64(v) => Some(*v),
            TypedData::Uint64(v) => i64::try_from(*v).ok(),
            _ => None,
        }
    }

    /// The bytes of a STRING or BINARY.
    pub fn as_bytes(&self) -> Option<&Bytes> {
        match self {
            TypedData::String(b) | TypedData::Binary(b) => Some(b),
            _ => None,
        }
    }

    /// The value of a BOOL.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            TypedData::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// Short type name for messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            TypedData::Null => "NULL",
            TypedData::Bool(_) => "BOOL",
            TypedData::Int32(_) => "INT32",
            TypedData::Uint32(_) => "UINT32",
            TypedData::Int64(_) => "INT64",
            TypedData::Uint64(_) => "UINT64",
            TypedData::Ipv4(_) => "IPV4",
            TypedData::Ipv6(_) => "IPV6",
            TypedData::String(_) => "STRING",
            TypedData::Binary(_) => "BINARY",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(v: &TypedData) -> Vec<u8> {
        let mut out = Vec::new();
        v.encode(&mut out);
        out
    }

    fn dec(b: &[u8]) -> Result<TypedData, DecodeError> {
        let mut r = Reader::new(Bytes::copy_from_slice(b));
        let v = TypedData::decode(&mut r)?;
        assert!(r.is_empty(), "trailing bytes after {v:?}");
        Ok(v)
    }

    #[test]
    fn every_type_round_trips() {
        let values = [
            TypedData::Null,
            TypedData::Bool(true),
            TypedData::Bool(false),
            TypedData::Int32(-1),
            TypedData::Int32(i32::MAX),
            TypedData::Int32(i32::MIN),
            TypedData::Uint32(u32::MAX),
            TypedData::Int64(i64::MIN),
            TypedData::Int64(-5),
            TypedData::Uint64(u64::MAX),
            TypedData::Ipv4(Ipv4Addr::new(10, 1, 2, 3)),
            TypedData::Ipv6(Ipv6Addr::LOCALHOST),
            TypedData::string(""),
            TypedData::string("héllo"),
            TypedData::Binary(Bytes::from_static(b"\x00\xff")),
            TypedData::Binary(Bytes::from(vec![7u8; 70_000])),
        ];
        for v in values {
            assert_eq!(dec(&enc(&v)).unwrap(), v);
        }
    }

    #[test]
    fn wire_bytes() {
        assert_eq!(enc(&TypedData::Bool(true)), [0x11]);
        assert_eq!(enc(&TypedData::Bool(false)), [0x01]);
        assert_eq!(enc(&TypedData::Int32(1)), [0x02, 0x01]);
        assert_eq!(
            enc(&TypedData::Int32(-1)),
            [0x02, 0xff, 0xf0, 0xfe, 0xfe, 0xfe, 0xfe, 0xfe, 0xfe, 0xfe, 0x0e]
        );
        assert_eq!(enc(&TypedData::string("")), [0x08, 0x00]);
        assert_eq!(enc(&TypedData::Uint32(17)), [0x03, 0x11]);
    }

    #[test]
    fn malformed() {
        assert_eq!(dec(&[0x0a]), Err(DecodeError::UnknownDataType(0x0a)));
        assert_eq!(dec(&[0x0f]), Err(DecodeError::UnknownDataType(0x0f)));
        assert_eq!(dec(&[0x06, 1, 2]), Err(DecodeError::Truncated("IPV4")));
        assert_eq!(dec(&[0x07, 1]), Err(DecodeError::Truncated("IPV6")));
        assert_eq!(dec(&[0x08, 5, b'a']), Err(DecodeError::Truncated("STRING")));
        assert_eq!(dec(&[0x04]), Err(DecodeError::Truncated("varint")));
        // UINT32 of 2^32.
        let mut big = vec![0x03];
        varint::encode(1 << 32, &mut big);
        assert_eq!(dec(&big), Err(DecodeError::BadValue("UINT32")));
        let mut big = vec![0x02];
        varint::encode(1 << 40, &mut big);
        assert_eq!(dec(&big), Err(DecodeError::BadValue("INT32")));
        assert_eq!(dec(&[]), Err(DecodeError::Truncated("typed data")));
    }

    #[test]
    fn accessors() {
        assert_eq!(TypedData::Uint32(3).as_int(), Some(3));
        assert_eq!(TypedData::Uint64(u64::MAX).as_int(), None);
        assert_eq!(
            TypedData::string("x").as_bytes().map(|b| &b[..]),
            Some(&b"x"[..])
        );
        assert_eq!(TypedData::Bool(true).as_bool(), Some(true));
        assert_eq!(TypedData::Null.as_bool(), None);
    }
}
