//! `t:removeWhitespace`: deletes every whitespace character.
//!
//! Like Coraza v3 this decodes UTF-8 and removes every character with the
//! Unicode White_Space property (ASCII spaces, NEL, NBSP, U+2000-U+200A,
//! U+3000, ...). Bytes that are not valid UTF-8 are kept, except a stray
//! 0xA0 (Latin-1 NBSP), which is removed as ModSecurity does and as
//! `compressWhitespace` treats it; Coraza would write U+FFFD for them.

use std::borrow::Cow;

use super::bytes::decode_rune;
use super::triggers::{ByteSet, Triggers, C_WHITESPACE};

/// Bytes without which the value comes back unchanged (see `super::triggers`).
///
/// The ASCII White_Space bytes (9-13 and space), a stray 0xA0, and the
/// first bytes of the other White_Space characters: 0xC2 (U+0085, U+00A0),
/// 0xE1 (U+1680), 0xE2 (U+2000-U+200A, U+2028, U+2029, U+202F, U+205F)
/// and 0xE3 (U+3000). `triggers_cover_every_character` checks them
/// against every code point.
pub(super) const TRIGGERS: Triggers =
    Some(C_WHITESPACE.union(ByteSet::of_list(&[0xA0, 0xC2, 0xE1, 0xE2, 0xE3])));

/// [`TRIGGERS`] as a table: one load per byte.
static TRIGGER_TABLE: [bool; 256] = {
    let mut t = [true; 256];
    if let Some(set) = TRIGGERS {
        let mut b = 0;
        while b < 256 {
            t[b] = set.contains(b as u8);
            b += 1;
        }
    }
    t
};

/// Removes all whitespace.
pub fn remove_whitespace(input: &[u8]) -> Cow<'_, [u8]> {
    // Most values hold no trigger byte: one cheap pass proves them
    // unchanged. That includes non-ASCII ones (the output of
    // `t:base64Decode`, in CRS 934100's pipeline), which the full pass
    // decodes character by character.
    if !input.iter().any(|&b| TRIGGER_TABLE[usize::from(b)]) {
        return Cow::Borrowed(input);
    }
    full(input)
}

/// The transformation without the fast path.
fn full(input: &[u8]) -> Cow<'_, [u8]> {
    let mut out: Option<Vec<u8>> = None;
    // The bytes kept since the last whitespace, copied as one run when the
    // next is found (a copy per byte costs a call per byte).
    let mut run = 0;
    let mut i = 0;
    while i < input.len() {
        let b = input[i];
        let (width, space) = if b.is_ascii() {
            (1, matches!(b, 9..=13 | b' '))
        } else {
            let (cp, width) = decode_rune(&input[i..]);
            let width = width.max(1);
            let valid = !(cp == 0xFFFD && width == 1);
            let space = match valid {
                true => char::from_u32(cp).is_some_and(char::is_whitespace),
                false => b == 0xA0,
            };
            (width, space)
        };
        if space {
            out.get_or_insert_with(|| Vec::with_capacity(input.len()))
                .extend_from_slice(&input[run..i]);
            run = i + width;
        }
        i += width;
    }
    match out {
        Some(mut o) => {
            o.extend_from_slice(input.get(run..).unwrap_or_default());
            Cow::Owned(o)
        }
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
                b'a', b' ', b'\t', b'\n', 0x0B, 0x0C, b'\r', 0x1C, 0x7F, 0xA0, 0xC2, 0x85, 0xE3,
                0x80,
            ],
            remove_whitespace,
            full,
        );
    }

    #[test]
    fn ascii_fast_path_agrees_with_the_unicode_definition() {
        for b in 0..=127u8 {
            let input = [b'x', b, b'y'];
            let expect: Vec<u8> = if char::from(b).is_whitespace() {
                b"xy".to_vec()
            } else {
                input.to_vec()
            };
            assert_eq!(remove_whitespace(&input).as_ref(), &expect[..], "byte {b}");
            // With a space too, so the full path decides as well.
            let spaced = [b' ', b'x', b, b'y'];
            assert_eq!(remove_whitespace(&spaced).as_ref(), &expect[..], "byte {b}");
        }
    }

    #[test]
    fn vectors() {
        check(
            "removeWhitespace",
            remove_whitespace,
            &[
                (b"", b""),
                (b"TestCase", b"TestCase"),
                (b"Test\0Case", b"Test\0Case"),
                (b" T e\ts\nt\rC\x0ba\x0cs e ", b"TestCase"),
                ("a\u{a0}b\u{85}c\u{2003}d\u{3000}e".as_bytes(), b"abcde"),
                (b"SELECT\xa01", b"SELECT1"),
                ("à 你".as_bytes(), "à你".as_bytes()),
                (b"\xff \xfe", b"\xff\xfe"),
                (b"\x1c\x1f", b"\x1c\x1f"),
            ],
        );
        never_panics(remove_whitespace);
    }

    /// Checked against the full pass: the fast one returns every value
    /// without a trigger byte as it is, so it would pass any set.
    #[test]
    fn triggers_hold_on_structured_inputs() {
        super::super::testing::unchanged_without_triggers(
            "removeWhitespace",
            full,
            TRIGGERS,
            &[b"a\x85b", "хорошо".as_bytes(), "日本語".as_bytes()],
        );
        super::super::testing::triggers_cover_every_character("removeWhitespace", full, TRIGGERS);
    }
}
