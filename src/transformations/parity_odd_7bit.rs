//! `t:parityOdd7bit`: stores an odd-parity bit in bit 7 of each byte
//! (ModSecurity; not in Coraza v3), the parity taken over all eight input
//! bits as ModSecurity does.

use std::borrow::Cow;

use super::parity_even_7bit::{changed_bytes, with_parity};
use super::triggers::Triggers;

/// Bytes without which the value comes back unchanged (see `super::triggers`).
///
/// Exactly the bytes it changes: those whose low seven bits have even
/// parity (the other half of the byte values from `parityEven7bit`'s).
pub(super) const TRIGGERS: Triggers = Some(changed_bytes(false));

/// Applies odd parity in bit 7 to each byte.
pub fn parity_odd_7bit(input: &[u8]) -> Cow<'_, [u8]> {
    let out = input.iter().map(|&b| with_parity(b, false)).collect();
    super::bytes::owned_if_changed(input, out)
}

#[cfg(test)]
mod tests {
    use super::super::testing::{check, never_panics};
    use super::*;

    #[test]
    fn vectors() {
        check(
            "parityOdd7bit",
            parity_odd_7bit,
            &[
                (b"", b""),
                (b"Te", b"T\xe5"),
                (b"\x00\x01", b"\x80\x01"),
                (b"\x80\x81", b"\x00\x81"),
                (
                    b"abcdefghijklmnopqrstuvwxyz0123456789",
                    b"ab\xe3d\xe5\xe6gh\xe9\xeak\xecmn\xefp\xf1\xf2s\xf4uv\xf7\xf8yz\xb012\xb34\xb5\xb678\xb9",
                ),
            ],
        );
        never_panics(parity_odd_7bit);
    }

    #[test]
    fn triggers_are_the_bytes_it_changes() {
        for b in 0..=u8::MAX {
            let changed = super::super::is_changed(&[b], &parity_odd_7bit(&[b]));
            assert_eq!(TRIGGERS.unwrap().contains(b), changed, "{b:#04x}");
        }
    }
}
