//! `t:trimLeft`: removes whitespace from the start.
//!
//! Whitespace is C's `isspace` set: space, tab, LF, VT, FF and CR. Other
//! bytes, NUL and NBSP included, are not trimmed.

use std::borrow::Cow;

use super::triggers::{Triggers, C_WHITESPACE};

pub(crate) fn is_c_space(b: &u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0B | 0x0C | b'\r')
}

/// Bytes without which the value comes back unchanged (see `super::triggers`).
///
/// Exactly the bytes `is_c_space` trims (VT included, NBSP not).
pub(super) const TRIGGERS: Triggers = Some(C_WHITESPACE);

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

    #[test]
    fn triggers_hold_on_structured_inputs() {
        super::super::testing::unchanged_without_triggers(
            "trimLeft",
            trim_left,
            TRIGGERS,
            &[b"\xa0x\xa0", b"\0x\0"],
        );
    }
}
