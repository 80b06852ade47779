//! `t:compressWhitespace`: turns each run of whitespace into one space.
//!
//! Whitespace here is what Coraza v3 counts: the ASCII spaces (space, tab,
//! LF, VT, FF, CR), the UTF-8 characters U+0085 (NEL) and U+00A0 (NBSP),
//! and a stray 0xA0 byte (a Latin-1 NBSP, which ModSecurity also matches).
//! Multi-byte characters are decoded first, so the 0xA0 or 0x85 inside
//! `à` or `你` is left alone.

use std::borrow::Cow;

use super::bytes::{decode_rune, REPLACEMENT};
use super::triggers::{ByteSet, Triggers, C_WHITESPACE};

/// The width of the whitespace character starting `s`, if it starts with one.
fn space_width(s: &[u8]) -> Option<usize> {
    match s.first()? {
        b' ' | b'\t' | b'\n' | 0x0B | 0x0C | b'\r' | 0xA0 => Some(1),
        0xC2 if matches!(s.get(1), Some(0x85 | 0xA0)) => Some(2),
        _ => None,
    }
}

/// Bytes without which the value comes back unchanged (see `super::triggers`).
///
/// The `space_width` bytes: the C spaces (a single space only changes when
/// another whitespace follows it, but that takes a space), a stray 0xA0,
/// and 0xC2, the first byte of U+0085 and U+00A0 (a lone 0x85 is kept).
pub(super) const TRIGGERS: Triggers = Some(C_WHITESPACE.union(ByteSet::of_list(&[0xA0, 0xC2])));

/// Compresses whitespace runs to a single space.
pub fn compress_whitespace(input: &[u8]) -> Cow<'_, [u8]> {
    // Most values are ASCII whose only whitespace is single spaces: one
    // cheap pass proves them unchanged.
    let mut after_space = false;
    if input.iter().all(|&b| {
        let plain = b.is_ascii() && !matches!(b, 9..=13) && !(b == b' ' && after_space);
        after_space = b == b' ';
        plain
    }) {
        return Cow::Borrowed(input);
    }
    full(input)
}

/// The transformation without the fast path.
fn full(input: &[u8]) -> Cow<'_, [u8]> {
    let mut out: Option<Vec<u8>> = None;
    let mut in_space = false;
    let mut i = 0;
    while i < input.len() {
        let rest = &input[i..];
        let width = if let Some(w) = space_width(rest) {
            if in_space || rest.first() != Some(&b' ') {
                // Something other than a single plain space: from here on
                // the output differs from the input.
                out.get_or_insert_with(|| input[..i].to_vec());
            }
            if !in_space {
                if let Some(o) = out.as_mut() {
                    o.push(b' ');
                }
            }
            in_space = true;
            w
        } else {
            let (cp, w) = decode_rune(rest);
            let w = if cp == REPLACEMENT { w.max(1) } else { w };
            if let Some(o) = out.as_mut() {
                // One byte pushed: a copy of a runtime length is a call.
                match rest {
                    [b, ..] if w == 1 => o.push(*b),
                    _ => o.extend_from_slice(&rest[..w]),
                }
            }
            in_space = false;
            w
        };
        i += width;
    }
    match out {
        Some(o) => Cow::Owned(o),
        None => Cow::Borrowed(input),
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{agrees_on_short_strings, check, never_panics};
    use super::*;

    #[test]
    fn fast_path_agrees_with_the_full_one() {
        agrees_on_short_strings(
            &[
                b'a', b' ', b'\t', b'\n', 0x0B, 0x0C, b'\r', 0x1C, 0x7F, 0xA0, 0xC2, 0x85,
            ],
            compress_whitespace,
            full,
        );
    }

    #[test]
    fn vectors() {
        check(
            "compressWhitespace",
            compress_whitespace,
            &[
                (b"", b""),
                (b"TestCase", b"TestCase"),
                (b"Test Case", b"Test Case"),
                (b"Test\0Case", b"Test\0Case"),
                (b"  a  b  ", b" a b "),
                (b"a\t\r\n\x0b\x0cb", b"a b"),
                (b"a\tb", b"a b"),
                (b"SELECT\xa01", b"SELECT 1"),
                (b"a\xc2\xa0\xc2\x85 b", b"a b"),
                ("à 你 Å".as_bytes(), "à 你 Å".as_bytes()),
                (b"\xe0\xa0", b"\xe0 "),
                (b"x\xff  \xfe", b"x\xff \xfe"),
                (b" ", b" "),
                (b"\n", b" "),
                (b"SELECT\x851", b"SELECT\x851"),
                (b"a\xff\xa0b", b"a\xff b"),
                (b"a\xa0 b", b"a b"),
            ],
        );
        never_panics(compress_whitespace);
    }

    #[test]
    fn triggers_hold_on_structured_inputs() {
        super::super::testing::unchanged_without_triggers(
            "compressWhitespace",
            compress_whitespace,
            TRIGGERS,
            &[
                // "хх" (0x85 as a continuation byte) and a stray 0x85.
                b"\xd1\x85\xd1\x85\x85",
                b"a\x85b",
                "日本\u{3000}語".as_bytes(),
            ],
        );
    }
}
