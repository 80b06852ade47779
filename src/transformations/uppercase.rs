//! `t:uppercase`: uppercases letters.
//!
//! ASCII letters are folded byte by byte; valid non-ASCII UTF-8 characters
//! use the simple (one-to-one) Unicode mapping as Coraza (Go's
//! `strings.ToUpper`) does, so `ß` stays `ß`. Invalid UTF-8 bytes are kept
//! as they are (Coraza would write U+FFFD; see `lowercase`).

use std::borrow::Cow;

use super::bytes::{decode_rune, push_utf8, REPLACEMENT};
use super::triggers::{ByteSet, Triggers, ASCII_LOWER};

/// Bytes without which the value comes back unchanged (see `super::triggers`).
///
/// `a`-`z`, and the first bytes of the UTF-8 characters that have a
/// different simple uppercase (see `lowercase`; here also 0xC2 for `µ`,
/// 0xCA for IPA letters such as U+0287 and 0xD6 for Armenian).
/// `triggers_cover_every_character` checks this against every code point.
pub(super) const TRIGGERS: Triggers = Some(
    ASCII_LOWER
        .union(ByteSet::range(0xC2, 0xCA))
        .union(ByteSet::range(0xCD, 0xD6))
        .union(ByteSet::of_list(&[0xE1, 0xE2, 0xEA, 0xEF, 0xF0])),
);

/// Uppercases `input` (ASCII bytewise, other valid UTF-8 by simple mapping).
pub fn uppercase(input: &[u8]) -> Cow<'_, [u8]> {
    let needs_work = input
        .iter()
        .any(|&b| b.is_ascii_lowercase() || !b.is_ascii());
    if !needs_work {
        return Cow::Borrowed(input);
    }
    if input.is_ascii() {
        return Cow::Owned(input.to_ascii_uppercase());
    }
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while let Some(&b) = input.get(i) {
        if b.is_ascii() {
            out.push(b.to_ascii_uppercase());
            i += 1;
            continue;
        }
        let (cp, width) = decode_rune(&input[i..]);
        let valid = !(cp == REPLACEMENT && width == 1);
        match char::from_u32(cp) {
            Some(c) if valid => push_utf8(&mut out, simple_upper(c)),
            _ => out.extend_from_slice(&input[i..i + width.max(1)]),
        }
        i += width.max(1);
    }
    super::bytes::owned_if_changed(input, out)
}

/// The simple (single character) uppercase mapping, as a code point.
fn simple_upper(c: char) -> u32 {
    let mut it = c.to_uppercase();
    match (it.next(), it.next()) {
        (Some(u), None) => u32::from(u),
        // Characters whose full mapping has several characters (ß, ligatures,
        // Greek with iota subscript, ...). Their simple mapping is themselves,
        // except the lowercase Greek letters with ypogegrammeni, which map to
        // the matching titlecase letter.
        _ => {
            let cp = u32::from(c);
            match cp {
                0x1F80..=0x1F87 | 0x1F90..=0x1F97 | 0x1FA0..=0x1FA7 => cp + 8,
                0x1FB3 | 0x1FC3 | 0x1FF3 => cp + 9,
                _ => cp,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{check, never_panics};
    use super::*;

    #[test]
    fn vectors() {
        check(
            "uppercase",
            uppercase,
            &[
                (b"", b""),
                (b"TESTCASE", b"TESTCASE"),
                (b"TestCase", b"TESTCASE"),
                (b"test\0case", b"TEST\0CASE"),
                (b"12 !@#", b"12 !@#"),
                ("àéî ω".as_bytes(), "ÀÉÎ Ω".as_bytes()),
                ("straße".as_bytes(), "STRAßE".as_bytes()),
                ("ﬁ".as_bytes(), "ﬁ".as_bytes()),
                ("\u{1F80}\u{1FB3}".as_bytes(), "\u{1F88}\u{1FBC}".as_bytes()),
                (b"ab\xffc", b"AB\xffC"),
                (b"\xe2\x82", b"\xe2\x82"),
            ],
        );
        never_panics(uppercase);
    }

    #[test]
    fn triggers_hold_on_structured_inputs() {
        super::super::testing::unchanged_without_triggers(
            "uppercase",
            uppercase,
            TRIGGERS,
            &[
                "日本語のテキスト".as_bytes(),
                b"ABC-123_X.Y",
                b"\x80\xbf\xc0\xc1\xf5\xff",
            ],
        );
        super::super::testing::triggers_cover_every_character("uppercase", uppercase, TRIGGERS);
    }
}
