//! `t:parityEven7bit`: stores an even-parity bit in bit 7 of each byte
//! (ModSecurity; not in Coraza v3). As in ModSecurity the parity is taken
//! over all eight input bits, so a byte that already has bit 7 set keeps it
//! when its overall weight is odd.

use std::borrow::Cow;

/// Applies even parity in bit 7 to each byte.
pub fn parity_even_7bit(input: &[u8]) -> Cow<'_, [u8]> {
    let out = input.iter().map(|&b| with_parity(b, true)).collect();
    super::bytes::owned_if_changed(input, out)
}

/// `b` with bit 7 set when the parity of its eight bits is odd (for even
/// parity) or even (for odd parity), and cleared otherwise.
pub(crate) fn with_parity(b: u8, even: bool) -> u8 {
    let odd_ones = b.count_ones() % 2 == 1;
    if odd_ones == even {
        b | 0x80
    } else {
        b & 0x7F
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{check, never_panics};
    use super::*;

    #[test]
    fn vectors() {
        check(
            "parityEven7bit",
            parity_even_7bit,
            &[
                (b"", b""),
                // 'T' (0x54) has three 1 bits, 'e' (0x65) four.
                (b"Te", b"\xd4e"),
                (b"\xd4e", b"Te"),
                (b"\x01\x03", b"\x81\x03"),
                (b"\x80\x81\xff", b"\x80\x01\x7f"),
                (
                    b"abcdefghijklmnopqrstuvwxyz0123456789",
                    b"\xe1\xe2c\xe4ef\xe7\xe8ij\xebl\xed\xeeo\xf0qr\xf3t\xf5\xf6wx\xf9\xfa0\xb1\xb23\xb456\xb7\xb89",
                ),
            ],
        );
        never_panics(parity_even_7bit);
    }
}
