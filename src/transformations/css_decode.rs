//! `t:cssDecode`: decodes CSS 2 escapes.
//!
//! A backslash followed by one to six hex digits is one code point, written
//! as UTF-8; a single whitespace right after the digits belongs to the
//! escape. Zero, surrogates and values past U+10FFFF become U+FFFD, and
//! fullwidth ASCII (U+FF01-U+FF5E) folds to plain ASCII. A backslash before
//! a newline removes both; before anything else it is just dropped (`\;` is
//! `;`), and a trailing one disappears.
//!
//! This is Coraza v3 (since it fixed cssDecode to decode whole code
//! points). ModSecurity writes only the low byte of the value instead
//! (`\e9` is the byte 0xE9 there, `é` here).

use std::borrow::Cow;

use super::bytes::{hex_value, push_utf8};
use super::triggers::{ByteSet, Triggers};

/// Bytes without which the value comes back unchanged (see `super::triggers`).
///
/// Everything the decoder does starts at a backslash.
pub(super) const TRIGGERS: Triggers = Some(ByteSet::of_list(b"\\"));

/// Decodes CSS escapes in `input`.
pub fn css_decode(input: &[u8]) -> Cow<'_, [u8]> {
    let Some(start) = memchr::memchr(b'\\', input) else {
        return Cow::Borrowed(input);
    };
    let mut out = Vec::with_capacity(input.len());
    out.extend_from_slice(&input[..start]);
    let mut i = start;
    while let Some(&b) = input.get(i) {
        if b != b'\\' {
            out.push(b);
            i += 1;
            continue;
        }
        // Past the backslash.
        i += 1;
        let Some(&next) = input.get(i) else {
            break;
        };
        let digits = input[i..]
            .iter()
            .take(6)
            .take_while(|&&d| hex_value(d).is_some())
            .count();
        if digits > 0 {
            let mut cp = input[i..i + digits].iter().fold(0u32, |acc, &d| {
                acc << 4 | u32::from(hex_value(d).unwrap_or(0))
            });
            if cp == 0 {
                cp = 0xFFFD;
            }
            if (0xFF01..=0xFF5E).contains(&cp) {
                cp -= 0xFEE0;
            }
            push_utf8(&mut out, cp);
            i += digits;
            if input.get(i).is_some_and(|&c| is_c_space(c)) {
                i += 1;
            }
        } else if next == b'\n' {
            i += 1;
        } else {
            out.push(next);
            i += 1;
        }
    }
    super::bytes::owned_if_changed(input, out)
}

/// C's `isspace` in the "C" locale.
fn is_c_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0B | 0x0C | b'\r')
}

#[cfg(test)]
mod tests {
    use super::super::testing::{check, never_panics};
    use super::*;

    #[test]
    fn vectors() {
        check(
            "cssDecode",
            css_decode,
            &[
                (b"", b""),
                (b"TestCase", b"TestCase"),
                (b"Test\0Case", b"Test\0Case"),
                (
                    b"test\\a\\b\\f\\n\\r\\t\\v\\?\\'\\\"\\\0\\12\\123\\1234\\12345\\123456\\ff01\\ff5e\\\n\\\0  string",
                    "test\n\u{b}\u{f}nrtv?'\"\0\u{12}\u{123}\u{1234}\u{12345}\u{FFFD}!~\0  string"
                        .as_bytes(),
                ),
                (b"caf\\e9", "café".as_bytes()),
                (b"\\0", "\u{FFFD}".as_bytes()),
                (b"\\000000", "\u{FFFD}".as_bytes()),
                (b"\\d800", "\u{FFFD}".as_bytes()),
                (b"\\3c script\\3e", b"<script>"),
                (b"\\3c  x", b"< x"),
                (b"\\00003cx", b"<x"),
                (b"\\0000003c", b"\xef\xbf\xbd3c"),
                (b"java\\script", b"javascript"),
                (b"\\;", b";"),
                (b"a\\\nb", b"ab"),
                (b"abc\\", b"abc"),
                (b"\\", b""),
                (b"\\\xff", b"\xff"),
                (b"\xff\\41\xc3", b"\xffA\xc3"),
            ],
        );
        never_panics(css_decode);
    }

    #[test]
    fn triggers_hold_on_structured_inputs() {
        super::super::testing::unchanged_without_triggers(
            "cssDecode",
            css_decode,
            TRIGGERS,
            &[b"3c script e9 ff01"],
        );
    }
}
