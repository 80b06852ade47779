//! HAProxy's variable-length integers (the "peers" encoding; not LEB128).
//!
//! Values below 240 take one byte. Otherwise the first byte holds the low
//! four bits with the top nibble set, and each following byte adds seven
//! bits; a byte `>= 128` means more follows. The decoder adds whole bytes,
//! which the encoder compensates for by subtracting 240 and 128.

use super::DecodeError;

/// Longest encoding of a `u64`.
pub const MAX_LEN: usize = 10;

/// Appends the encoding of `x` to `out`.
pub fn encode(mut x: u64, out: &mut Vec<u8>) {
    if x < 240 {
        out.push(x as u8);
        return;
    }
    out.push((x as u8) | 0xF0);
    x = (x - 240) >> 4;
    while x >= 128 {
        out.push((x as u8) | 0x80);
        x = (x - 128) >> 7;
    }
    out.push(x as u8);
}

/// Decodes a varint at the start of `buf`: the value and the bytes used.
pub fn decode(buf: &[u8]) -> Result<(u64, usize), DecodeError> {
    let first = *buf.first().ok_or(DecodeError::Truncated("varint"))?;
    if first < 240 {
        return Ok((u64::from(first), 1));
    }
    // u128 keeps the sum exact so overflow is detected, not wrapped.
    let mut value = u128::from(first);
    let mut shift = 4u32;
    let mut i = 1;
    loop {
        if i >= MAX_LEN {
            return Err(DecodeError::VarintOverflow);
        }
        let c = *buf.get(i).ok_or(DecodeError::Truncated("varint"))?;
        value += u128::from(c) << shift;
        shift += 7;
        i += 1;
        if c < 128 {
            break;
        }
    }
    let value = u64::try_from(value).map_err(|_| DecodeError::VarintOverflow)?;
    Ok((value, i))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(x: u64) -> Vec<u8> {
        let mut v = Vec::new();
        encode(x, &mut v);
        v
    }

    #[test]
    fn worked_examples() {
        let cases: &[(u64, &[u8])] = &[
            (0, &[0x00]),
            (239, &[0xef]),
            (240, &[0xf0, 0x00]),
            (256, &[0xf0, 0x01]),
            (1000, &[0xf8, 0x2f]),
            (2287, &[0xff, 0x7f]),
            (2288, &[0xf0, 0x80, 0x00]),
            (16380, &[0xfc, 0xf0, 0x06]),
            (65535, &[0xff, 0xf0, 0x1e]),
            (264432, &[0xf0, 0x80, 0x80, 0x00]),
            (4294967295, &[0xff, 0xf0, 0xfe, 0xfe, 0x7e]),
            (
                u64::MAX,
                &[0xff, 0xf0, 0xfe, 0xfe, 0xfe, 0xfe, 0xfe, 0xfe, 0xfe, 0x0e],
            ),
            (
                -5i64 as u64,
                &[0xfb, 0xf0, 0xfe, 0xfe, 0xfe, 0xfe, 0xfe, 0xfe, 0xfe, 0x0e],
            ),
        ];
        for (value, bytes) in cases {
            assert_eq!(enc(*value), *bytes, "encode {value}");
            assert_eq!(decode(bytes), Ok((*value, bytes.len())), "decode {value}");
        }
    }

    #[test]
    fn round_trip_boundaries() {
        let mut x: u64 = 1;
        while x < u64::MAX / 3 {
            for v in [x - 1, x, x + 1, x * 3] {
                let b = enc(v);
                assert!(b.len() <= MAX_LEN);
                assert_eq!(decode(&b), Ok((v, b.len())));
            }
            x *= 3;
        }
    }

    #[test]
    fn hostile_inputs() {
        assert_eq!(decode(&[]), Err(DecodeError::Truncated("varint")));
        assert_eq!(decode(&[0xf0]), Err(DecodeError::Truncated("varint")));
        assert_eq!(decode(&[0xf0, 0x80]), Err(DecodeError::Truncated("varint")));
        // Eleven continuation bytes: stop at ten.
        assert_eq!(decode(&[0xff; 11]), Err(DecodeError::VarintOverflow));
        // Ten bytes whose value exceeds u64::MAX.
        let too_big = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f];
        assert_eq!(decode(&too_big), Err(DecodeError::VarintOverflow));
    }
}
