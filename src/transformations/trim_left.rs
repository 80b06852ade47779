//! `t:trimLeft`: removes whitespace from the start.
//!
//! Whitespace is C's `isspace` set: space, tab, LF, VT, FF and CR. Other
//! bytes, NUL and NBSP included, are not trimmed.

use std::borrow::Cow;

pub(crate) fn is_c_space(b: &u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0B | 0x0C | b'\r')
}

/// Trims whitespace from the start.
pub fn trim_left(input: &[u8]) -> Cow<'_, [u8]> {
    let start = input
        .iter()
        .position(|b| !is_c_space(b))
        .unwrap_or(input.len());
    Cow::Borrowed(input.get(start..).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::super::testing::{check, never_panics};
    use super::*;

    #[test]
    fn vectors() {
        check(
            "trimLeft",
            trim_left,
            &[
                (b"", b""),
                (b"TestCase", b"TestCase"),
                (b"Test Case", b"Test Case"),
                (b"\0 x \0", b"\0 x \0"),
                (b"\xa0x\xa0", b"\xa0x\xa0"),
                (b"   ", b""),
                (b" \t\r\n\x0b\x0cTest Case \t\r\n", b"Test Case \t\r\n"),
                (b" \xff \xfe ", b"\xff \xfe "),
            ],
        );
        never_panics(trim_left);
    }
}
