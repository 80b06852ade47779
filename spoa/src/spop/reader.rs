//! A bounds-checked cursor over a frame's bytes. Slices it hands out share
//! the frame's buffer ([`Bytes`]), so decoding copies nothing.

use bytes::Bytes;

use super::{varint, DecodeError};

/// Cursor over one frame (or payload).
#[derive(Debug, Clone)]
pub struct Reader {
    buf: Bytes,
    pos: usize,
}

impl Reader {
    /// A cursor at the start of `buf`.
    pub fn new(buf: Bytes) -> Reader {
        Reader { buf, pos: 0 }
    }

    /// Whether every byte was consumed.
    pub fn is_empty(&self) -> bool {
        self.pos >= self.buf.len()
    }

    /// Bytes left.
    pub fn remaining(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }

    /// The unread bytes, consuming them.
    pub fn rest(&mut self) -> Bytes {
        let out = self.buf.slice(self.pos.min(self.buf.len())..);
        self.pos = self.buf.len();
        out
    }

    /// One byte.
    pub fn u8(&mut self, what: &'static str) -> Result<u8, DecodeError> {
        let b = *self.buf.get(self.pos).ok_or(DecodeError::Truncated(what))?;
        self.pos += 1;
        Ok(b)
    }

    /// A big-endian `u32`.
    pub fn u32_be(&mut self, what: &'static str) -> Result<u32, DecodeError> {
        let b = self.take(4, what)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// A varint.
    pub fn varint(&mut self) -> Result<u64, DecodeError> {
        let rest = self.buf.get(self.pos..).unwrap_or(&[]);
        let (v, n) = varint::decode(rest)?;
        self.pos += n;
        Ok(v)
    }

    /// Exactly `n` bytes.
    pub fn take(&mut self, n: usize, what: &'static str) -> Result<Bytes, DecodeError> {
        if n > self.remaining() {
            return Err(DecodeError::Truncated(what));
        }
        let out = self.buf.slice(self.pos..self.pos + n);
        self.pos += n;
        Ok(out)
    }

    /// A varint length followed by that many bytes (names, strings, binaries).
    pub fn length_prefixed(&mut self, what: &'static str) -> Result<Bytes, DecodeError> {
        let len = self.varint()?;
        let len = usize::try_from(len).map_err(|_| DecodeError::Truncated(what))?;
        self.take(len, what)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_and_bounds() {
        let mut r = Reader::new(Bytes::from_static(&[0, 0, 0, 5, 3, b'a', b'b', b'c', 9]));
        assert_eq!(r.u32_be("len").unwrap(), 5);
        assert_eq!(&r.length_prefixed("name").unwrap()[..], b"abc");
        assert_eq!(r.remaining(), 1);
        assert_eq!(r.u8("x").unwrap(), 9);
        assert!(r.is_empty());
        assert_eq!(r.u8("x"), Err(DecodeError::Truncated("x")));
        let mut r = Reader::new(Bytes::from_static(&[0xff, 0xf0, 0xfe, 0xfe, 0x7e, b'a']));
        assert_eq!(r.length_prefixed("s"), Err(DecodeError::Truncated("s")));
    }
}
