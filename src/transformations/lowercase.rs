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
}
