//! `t:parityZero7bit`: clears the high bit of every byte (ModSecurity; not
//! in Coraza v3).

use std::borrow::Cow;

use super::triggers::{Triggers, NON_ASCII};

/// Bytes without which the value comes back unchanged (see `super::triggers`).
///
/// Only bytes with bit 7 set change.
pub(super) const TRIGGERS: Triggers = Some(NON_ASCII);

/// Clears bit 7 of each byte.
pub fn parity_zero_7bit(input: &[u8]) -> Cow<'_, [u8]> {
    if input.is_ascii() {
        return Cow::Borrowed(input);
    }
    Cow::Owned(input.iter().map(|&b| b & 0x7F).collect())
}

#[cfg(test)]
mod tests {
    use super::super::testing::{check, never_panics};
    use super::*;

    #[test]
    fn vectors() {
        check(
            "parityZero7bit",
            parity_zero_7bit,
            &[
                (b"", b""),
                (b"TestCase", b"TestCase"),
                (b"\xd4\xe5\xf3\xf4\0", b"Test\0"),
                (b"\x80\xff", b"\x00\x7f"),
            ],
        );
        never_panics(parity_zero_7bit);
    }
}
