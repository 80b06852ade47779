//! `t:parityOdd7bit`: stores an odd-parity bit in bit 7 of each byte
//! (ModSecurity; not in Coraza v3), the parity taken over all eight input
//! bits as ModSecurity does.

use std::borrow::Cow;

use super::parity_even_7bit::with_parity;

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
}
