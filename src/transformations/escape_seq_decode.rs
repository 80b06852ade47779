//! `t:escapeSeqDecode`: decodes ANSI C escape sequences.
//!
//! `\a \b \f \n \r \t \v \\ \? \' \"` become their characters; `\xHH` (or
//! `\XHH`) a byte; `\O`, `\OO`, `\OOO` (octal) a byte. Any other escaped
//! character is kept without its backslash (`\z` is `z`, `\x4` is `x4`);
//! a lone backslash at the end is kept.
//!
//! An octal value past 0o377 (`\400` to `\777`) becomes 0xFF as in Coraza
//! (Go clamps the parse); ModSecurity keeps the low byte instead.

use std::borrow::Cow;

use super::bytes::hex_pair;
use super::triggers::{ByteSet, Triggers};

fn is_octal(b: u8) -> bool {
    (b'0'..=b'7').contains(&b)
}

/// Bytes without which the value comes back unchanged (see `super::triggers`).
///
/// Every escape starts with a backslash.
pub(super) const TRIGGERS: Triggers = Some(ByteSet::of_list(b"\\"));

/// Decodes C escape sequences in `input`.
pub fn escape_seq_decode(input: &[u8]) -> Cow<'_, [u8]> {
    let Some(start) = memchr::memchr(b'\\', input) else {
        return Cow::Borrowed(input);
    };
    let mut out = Vec::with_capacity(input.len());
    out.extend_from_slice(&input[..start]);
    let mut changed = false;
    let mut i = start;
    while let Some(&b) = input.get(i) {
        let next = match (b, input.get(i + 1)) {
            (b'\\', Some(&next)) => next,
            _ => {
                out.push(b);
                i += 1;
                continue;
            }
        };
        changed = true;
        let simple = match next {
            b'a' => Some(0x07),
            b'b' => Some(0x08),
            b'f' => Some(0x0C),
            b'n' => Some(b'\n'),
            b'r' => Some(b'\r'),
            b't' => Some(b'\t'),
            b'v' => Some(0x0B),
            b'\\' | b'?' | b'\'' | b'"' => Some(next),
            _ => None,
        };
        if let Some(byte) = simple {
            out.push(byte);
            i += 2;
        } else if let Some(byte) = matches!(next, b'x' | b'X')
            .then(|| hex_pair(input.get(i + 2..).unwrap_or_default()))
            .flatten()
        {
            out.push(byte);
            i += 4;
        } else if is_octal(next) {
            let digits = input.get(i + 1..).unwrap_or_default();
            let n = digits.iter().take(3).take_while(|&&d| is_octal(d)).count();
            let value = digits
                .iter()
                .take(n)
                .fold(0u32, |acc, &d| acc * 8 + u32::from(d - b'0'));
            out.push(value.min(0xFF) as u8);
            i += 1 + n;
        } else {
            out.push(next);
            i += 2;
        }
    }
    if changed {
        super::bytes::owned_if_changed(input, out)
    } else {
        Cow::Borrowed(input)
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{check, never_panics};
    use super::*;

    #[test]
    fn vectors() {
        check(
            "escapeSeqDecode",
            escape_seq_decode,
            &[
                (b"", b""),
                (b"TestCase", b"TestCase"),
                (b"Test\0Case", b"Test\0Case"),
                (
                    b"\\a\\b\\f\\n\\r\\t\\v\\?\\'\\\"\\0\\12\\123\\x00\\xff",
                    b"\x07\x08\x0c\n\r\t\x0b?'\"\0\x0aS\0\xff",
                ),
                (b"\\\\", b"\\"),
                (b"\\X41\\x4a", b"AJ"),
                (b"\\x", b"x"),
                (b"\\x4", b"x4"),
                (b"\\xg1", b"xg1"),
                (b"\\z\\8", b"z8"),
                (b"\\1234", b"S4"),
                (b"\\400\\777", b"\xff\xff"),
                (b"\\7", b"\x07"),
                (b"abc\\", b"abc\\"),
                (b"\\", b"\\"),
                (b"\\\xff\xfe", b"\xff\xfe"),
            ],
        );
        never_panics(escape_seq_decode);
    }

    #[test]
    fn triggers_hold_on_structured_inputs() {
        super::super::testing::unchanged_without_triggers(
            "escapeSeqDecode",
            escape_seq_decode,
            TRIGGERS,
            &[b"x41X41101n400"],
        );
    }
}
