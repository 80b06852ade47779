//! Byte-level helpers shared by the transformations: hex digits, UTF-8
//! decoding and encoding with the replacement rules Coraza (Go) applies, and
//! the borrowed-when-unchanged wrapper.

use std::borrow::Cow;

/// The value of an ASCII hex digit.
pub(crate) fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Two hex digits at the start of `s` as one byte, if both are valid.
pub(crate) fn hex_pair(s: &[u8]) -> Option<u8> {
    match s {
        [hi, lo, ..] => Some(hex_value(*hi)? << 4 | hex_value(*lo)?),
        _ => None,
    }
}

/// The Unicode replacement character, U+FFFD.
pub(crate) const REPLACEMENT: u32 = 0xFFFD;

/// Decodes one UTF-8 sequence at the start of `s`, the way Go's
/// `utf8.DecodeRune` does: a malformed or truncated sequence yields
/// (U+FFFD, 1) so that decoding resumes at the very next byte.
/// `s` must not be empty.
pub(crate) fn decode_rune(s: &[u8]) -> (u32, usize) {
    let Some(&first) = s.first() else {
        return (REPLACEMENT, 0);
    };
    let width = match first {
        0x00..=0x7F => return (u32::from(first), 1),
        0xC2..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF4 => 4,
        _ => return (REPLACEMENT, 1),
    };
    match s.get(..width).map(std::str::from_utf8) {
        Some(Ok(text)) => match text.chars().next() {
            Some(c) => (u32::from(c), width),
            None => (REPLACEMENT, 1),
        },
        _ => (REPLACEMENT, 1),
    }
}

/// Appends `cp` as UTF-8; surrogates and values past U+10FFFF become U+FFFD,
/// as Go's `utf8.EncodeRune` does.
pub(crate) fn push_utf8(out: &mut Vec<u8>, cp: u32) {
    let c = char::from_u32(cp).unwrap_or(char::REPLACEMENT_CHARACTER);
    let mut buf = [0u8; 4];
    out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
}

/// Wraps a freshly built value: borrowed when it equals the input, so that
/// "borrowed" always means "unchanged".
pub(crate) fn owned_if_changed(input: &[u8], out: Vec<u8>) -> Cow<'_, [u8]> {
    if out == input {
        Cow::Borrowed(input)
    } else {
        Cow::Owned(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_digits() {
        assert_eq!(hex_value(b'0'), Some(0));
        assert_eq!(hex_value(b'f'), Some(15));
        assert_eq!(hex_value(b'F'), Some(15));
        assert_eq!(hex_value(b'g'), None);
        assert_eq!(hex_pair(b"4a"), Some(0x4a));
        assert_eq!(hex_pair(b"4"), None);
        assert_eq!(hex_pair(b"4z"), None);
    }

    #[test]
    fn rune_decoding_resyncs_after_one_byte() {
        assert_eq!(decode_rune(b"A"), ('A' as u32, 1));
        assert_eq!(decode_rune("é".as_bytes()), (0xE9, 2));
        assert_eq!(decode_rune("€x".as_bytes()), (0x20AC, 3));
        assert_eq!(decode_rune("😀".as_bytes()), (0x1F600, 4));
        assert_eq!(decode_rune(b"\xe2\x82"), (REPLACEMENT, 1));
        assert_eq!(decode_rune(b"\xc0\x80"), (REPLACEMENT, 1));
        assert_eq!(decode_rune(b"\xed\xa0\x80"), (REPLACEMENT, 1));
        assert_eq!(decode_rune(b"\xff"), (REPLACEMENT, 1));
        assert_eq!(decode_rune(b"\xa0"), (REPLACEMENT, 1));
        assert_eq!(decode_rune(b""), (REPLACEMENT, 0));
    }

    #[test]
    fn invalid_code_points_encode_as_replacement() {
        let mut v = Vec::new();
        push_utf8(&mut v, 0x41);
        push_utf8(&mut v, 0xD800);
        push_utf8(&mut v, 0x110000);
        assert_eq!(v, b"A\xef\xbf\xbd\xef\xbf\xbd");
    }
}
