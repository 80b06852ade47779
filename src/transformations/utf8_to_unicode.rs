//! `t:utf8toUnicode`: writes every non-ASCII character as `%uHHHH`.
//!
//! As in Coraza v3: each UTF-8 character becomes `%u` and its code point in
//! lowercase hex, padded to four digits (`é` -> `%u00e9`); code points past
//! U+FFFF use as many digits as they need (`%u1f600`). Each byte that is not
//! part of valid UTF-8 becomes `%ufffd`. ASCII, NUL included, is kept.

use std::borrow::Cow;
use std::io::Write;

use super::bytes::decode_rune;
use super::triggers::{Triggers, NON_ASCII};

/// Bytes without which the value comes back unchanged (see `super::triggers`).
///
/// Every non-ASCII byte is written as `%u...` (invalid ones as `%ufffd`).
pub(super) const TRIGGERS: Triggers = Some(NON_ASCII);

/// Encodes non-ASCII characters of `input` as `%uHHHH`.
pub fn utf8_to_unicode(input: &[u8]) -> Cow<'_, [u8]> {
    let Some(start) = input.iter().position(|b| !b.is_ascii()) else {
        return Cow::Borrowed(input);
    };
    let mut out = Vec::with_capacity(input.len() * 3);
    out.extend_from_slice(&input[..start]);
    let mut i = start;
    while let Some(&b) = input.get(i) {
        if b.is_ascii() {
            out.push(b);
            i += 1;
            continue;
        }
        let (cp, width) = decode_rune(&input[i..]);
        // Writing into a Vec cannot fail.
        let _ = write!(out, "%u{cp:04x}");
        i += width.max(1);
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::super::testing::{check, never_panics};
    use super::*;

    #[test]
    fn vectors() {
        check(
            "utf8toUnicode",
            utf8_to_unicode,
            &[
                (b"", b""),
                (b"TestCase", b"TestCase"),
                (b"Test\0Case", b"Test\0Case"),
                ("é".as_bytes(), b"%u00e9"),
                ("caf\u{e9} \u{20ac}".as_bytes(), b"caf%u00e9 %u20ac"),
                ("\u{80}".as_bytes(), b"%u0080"),
                ("\u{FFFF}".as_bytes(), b"%uffff"),
                ("😀".as_bytes(), b"%u1f600"),
                ("\u{10FFFF}".as_bytes(), b"%u10ffff"),
                ("\u{FFFD}".as_bytes(), b"%ufffd"),
                (b"\xff", b"%ufffd"),
                (b"a\xe2\x82b", b"a%ufffd%ufffdb"),
                (b"\xc0\xaf", b"%ufffd%ufffd"),
                (b"\xed\xa0\x80", b"%ufffd%ufffd%ufffd"),
            ],
        );
        never_panics(utf8_to_unicode);
    }
}
