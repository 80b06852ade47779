//! `t:jsDecode`: decodes JavaScript escape sequences.
//!
//! - `\uHHHH` becomes one byte: the low byte of the code point, plus 0x20
//!   for fullwidth ASCII (`\uFF01`-`\uFF5E`), as ModSecurity and Coraza do.
//! - `\xHH` becomes that byte.
//! - `\OOO`, one to three octal digits, becomes that byte; a third digit is
//!   only taken while the value fits one byte (`\400` is `\40` then `0`).
//! - `\a \b \f \n \r \t \v` become their control characters; any other
//!   escaped character is kept without its backslash (`\'` is `'`).
//! - A lone backslash at the end is kept.
//!
//! Coraza v3 reads the backslash itself into the octal buffer and so turns
//! every octal escape into NUL (`\101` is `\0` then `1`); that is plainly
//! a bug against the ModSecurity code it follows, and we decode octal as
//! ModSecurity does (`\101` is `A`).

use std::borrow::Cow;

use super::bytes::{hex_pair, hex_value};
use super::triggers::{ByteSet, Triggers};

fn is_octal(b: u8) -> bool {
    (b'0'..=b'7').contains(&b)
}

/// Bytes without which the value comes back unchanged (see `super::triggers`).
///
/// Every escape starts with a backslash.
pub(super) const TRIGGERS: Triggers = Some(ByteSet::of_list(b"\\"));

/// Decodes JavaScript escapes in `input`.
pub fn js_decode(input: &[u8]) -> Cow<'_, [u8]> {
    let Some(start) = memchr::memchr(b'\\', input) else {
        return Cow::Borrowed(input);
    };
    let mut out = Vec::with_capacity(input.len());
    out.extend_from_slice(&input[..start]);
    let mut changed = false;
    let mut i = start;
    while let Some(&b) = input.get(i) {
        if b != b'\\' {
            out.push(b);
            i += 1;
            continue;
        }
        let Some(&next) = input.get(i + 1) else {
            // A lone trailing backslash.
            out.push(b);
            i += 1;
            continue;
        };
        changed = true;
        if let Some(byte) = unicode_escape(input.get(i + 1..i + 6)) {
            out.push(byte);
            i += 6;
        } else if let Some(byte) = (next == b'x')
            .then(|| hex_pair(input.get(i + 2..).unwrap_or_default()))
            .flatten()
        {
            out.push(byte);
            i += 4;
        } else if is_octal(next) {
            let digits = input.get(i + 1..).unwrap_or_default();
            let mut n = digits.iter().take(3).take_while(|&&d| is_octal(d)).count();
            // Three digits only while the value stays within one byte.
            if n == 3 && digits.first().is_some_and(|&d| d > b'3') {
                n = 2;
            }
            let value = digits
                .iter()
                .take(n)
                .fold(0u32, |acc, &d| acc * 8 + u32::from(d - b'0'));
            out.push(value as u8);
            i += 1 + n;
        } else {
            out.push(match next {
                b'a' => 0x07,
                b'b' => 0x08,
                b'f' => 0x0C,
                b'n' => b'\n',
                b'r' => b'\r',
                b't' => b'\t',
                b'v' => 0x0B,
                other => other,
            });
            i += 2;
        }
    }
    if changed {
        super::bytes::owned_if_changed(input, out)
    } else {
        Cow::Borrowed(input)
    }
}

/// `uHHHH` (the part after the backslash) as its one output byte.
fn unicode_escape(s: Option<&[u8]>) -> Option<u8> {
    let [b'u', h1, h2, h3, h4] = s? else {
        return None;
    };
    let (h1, h2) = (hex_value(*h1)?, hex_value(*h2)?);
    let low = hex_value(*h3)? << 4 | hex_value(*h4)?;
    if h1 == 0xF && h2 == 0xF && low > 0x00 && low < 0x5F {
        return Some(low + 0x20);
    }
    Some(low)
}

#[cfg(test)]
mod tests {
    use super::super::testing::{check, never_panics};
    use super::*;

    #[test]
    fn vectors() {
        check(
            "jsDecode",
            js_decode,
            &[
                (b"", b""),
                (b"TestCase", b"TestCase"),
                (b"Test\0Case", b"Test\0Case"),
                (b"hello world", b"hello world"),
                (
                    b"\\a\\b\\f\\n\\r\\t\\v\\?\\'\\\"\\0\\12\\123\\x00\\xff",
                    b"\x07\x08\x0c\n\r\t\x0b?'\"\0\x0aS\0\xff",
                ),
                (b"\\\\0", b"\\0"),
                (b"\\", b"\\"),
                (b"abc\\", b"abc\\"),
                (b"\\u", b"u"),
                (b"\\u\\u0\\u01\\u012\0", b"uu0u01u012\0"),
                (b"\\u0041\\u00e9", b"A\xe9"),
                (b"\\u1234", b"\x34"),
                (b"\\uFF1Cscript\\uff1e", b"<script>"),
                (b"\\uFF00\\uFF5F", b"\x00\x5f"),
                (b"\\U0041", b"U0041"),
                (b"\\x4", b"x4"),
                (b"\\X41", b"X41"),
                (b"\\x4g", b"x4g"),
                (b"\\101\\1011", b"AA1"),
                (b"\\377\\400\\777", b"\xff\x200\x3f7"),
                (b"\\8", b"8"),
                (b"\\7", b"\x07"),
                (b"\\0a", b"\0a"),
                (b"\\\xff", b"\xff"),
            ],
        );
        never_panics(js_decode);
    }

    #[test]
    fn triggers_hold_on_structured_inputs() {
        super::super::testing::unchanged_without_triggers(
            "jsDecode",
            js_decode,
            TRIGGERS,
            &[b"u0041x41101nuFF1C"],
        );
    }
}
