//! `t:length`: the value's length in bytes, as a decimal string.

use std::borrow::Cow;

use super::triggers::Triggers;

/// No trigger set (see `super::triggers`): every value but `1` is replaced by its length.
pub(super) const TRIGGERS: Triggers = None;

/// Replaces the value with its byte length in decimal.
pub fn length(input: &[u8]) -> Cow<'_, [u8]> {
    let out = input.len().to_string().into_bytes();
    // Only a one-byte value that is the digit "1" equals its own length.
    super::bytes::owned_if_changed(input, out)
}

#[cfg(test)]
mod tests {
    use super::super::testing::{check, never_panics};
    use super::*;

    #[test]
    fn vectors() {
        check(
            "length",
            length,
            &[
                (b"", b"0"),
                (b"1", b"1"),
                (b"2", b"1"),
                (b"TestCase", b"8"),
                (b"Test\0Case", b"9"),
                ("é".as_bytes(), b"2"),
                (b"\xff\xfe\xfd", b"3"),
            ],
        );
        assert_eq!(&*length(&[b'a'; 1234]), b"1234");
        never_panics(length);
    }
}
