//! `t:lowercase`: lowercases letters.
//!
//! ASCII letters are folded byte by byte. Like Coraza (Go's
//! `strings.ToLower`), valid non-ASCII UTF-8 characters are folded with the
//! simple (one-to-one) Unicode mapping. Unlike Coraza, bytes that are not
//! valid UTF-8 are kept as they are rather than turned into U+FFFD: the
//! values are bytes, and replacing them would change what later operators
//! see for reasons that have nothing to do with case.

use std::borrow::Cow;

use super::bytes::{decode_rune, push_utf8, REPLACEMENT};
use super::triggers::{ByteSet, Triggers, ASCII_UPPER};

/// Bytes without which the value comes back unchanged (see `super::triggers`).
///
/// `A`-`Z`, and the first bytes of the UTF-8 characters that have a
/// different simple lowercase (Latin, Greek, Cyrillic, Armenian, Georgian,
/// Cherokee, letterlike symbols, fullwidth, Deseret, Adlam, ...). Other
/// characters are rewritten as they were and invalid bytes are kept, so
/// CJK, Arabic, Hebrew, Indic text and stray continuation bytes need no
/// work. `triggers_cover_every_character` checks this against every code
/// point, so a new Unicode version that adds a cased block elsewhere
/// fails the test rather than a detection.
pub(super) const TRIGGERS: Triggers = Some(
    ASCII_UPPER
        .union(ByteSet::range(0xC3, 0xC9))
        .union(ByteSet::range(0xCD, 0xD5))
        .union(ByteSet::of_list(&[0xE1, 0xE2, 0xEA, 0xEF, 0xF0])),
);

/// Lowercases `input` (ASCII bytewise, other valid UTF-8 by simple mapping).
pub fn lowercase(input: &[u8]) -> Cow<'_, [u8]> {
    let needs_work = input
        .iter()
        .any(|&b| b.is_ascii_uppercase() || !b.is_ascii());
    if !needs_work {
        return Cow::Borrowed(input);
    }
    if input.is_ascii() {
        return Cow::Owned(input.to_ascii_lowercase());
    }
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while let Some(&b) = input.get(i) {
        if b.is_ascii() {
            out.push(b.to_ascii_lowercase());
            i += 1;
            continue;
        }
        let (cp, width) = decode_rune(&input[i..]);
        let valid = !(cp == REPLACEMENT && width == 1);
        match char::from_u32(cp) {
            Some(c) if valid => push_utf8(&mut out, u32::from(simple_lower(c))),
            _ => out.extend_from_slice(&input[i..i + width.max(1)]),
        }
        i += width.max(1);
    }
    super::bytes::owned_if_changed(input, out)
}

/// The simple (single character) lowercase mapping.
fn simple_lower(c: char) -> char {
    let mut it = c.to_lowercase();
    match (it.next(), it.next()) {
        (Some(l), None) => l,
        // Only U+0130 (İ) has a multi-character full mapping; its simple
        // mapping is a plain 'i'.
        _ if c == '\u{130}' => 'i',
        _ => c,
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{check, never_panics};
    use super::*;

    #[test]
    fn vectors() {
        check(
            "lowercase",
            lowercase,
            &[
                (b"", b""),
                (b"testcase", b"testcase"),
                (b"TestCase", b"testcase"),
                (b"test\0case", b"test\0case"),
                (b"TEST\0CASE", b"test\0case"),
                (
                    b"ThIs Is A tExT fOr TeStInG lOwErCaSe FuNcTiOnAlItY.",
                    b"this is a text for testing lowercase functionality.",
                ),
                ("ÀÉÎ Ω".as_bytes(), "àéî ω".as_bytes()),
                ("İX".as_bytes(), b"ix"),
                ("déjà vu".as_bytes(), "déjà vu".as_bytes()),
                // Invalid UTF-8 survives untouched.
                (b"AB\xff\xc3", b"ab\xff\xc3"),
                (b"\xff\xfe", b"\xff\xfe"),
                (b"\xc0\x80A", b"\xc0\x80a"),
            ],
        );
        never_panics(lowercase);
    }

    #[test]
    fn triggers_hold_on_structured_inputs() {
        super::super::testing::unchanged_without_triggers(
            "lowercase",
            lowercase,
            TRIGGERS,
            &[
                "日本語のテキスト".as_bytes(),
                "مرحبا שלום".as_bytes(),
                b"\x80\xbf\xc0\xc1\xf5\xff abc-123_x.y",
            ],
        );
        super::super::testing::triggers_cover_every_character("lowercase", lowercase, TRIGGERS);
    }
}
