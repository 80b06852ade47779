//! `t:parityEven7bit`: stores an even-parity bit in bit 7 of each byte
//! (ModSecurity; not in Coraza v3). As in ModSecurity the parity is taken
//! over all eight input bits, so a byte that already has bit 7 set keeps it
//! when its overall weight is odd.

use std::borrow::Cow;

use super::triggers::{ByteSet, Triggers};

/// Bytes without which the value comes back unchanged (see `super::triggers`).
///
/// Each byte is mapped on its own, so these are exactly the bytes it
/// changes: those whose low seven bits have odd parity (half of all bytes,
/// `a`, `b`, `d`, ... included), so this rarely lets a value skip.
pub(super) const TRIGGERS: Triggers = Some(changed_bytes(true));

/// Applies even parity in bit 7 to each byte.
pub fn parity_even_7bit(input: &[u8]) -> Cow<'_, [u8]> {
    let out = input.iter().map(|&b| with_parity(b, true)).collect();
    super::bytes::owned_if_changed(input, out)
}

/// `b` with bit 7 set when the parity of its eight bits is odd (for even
/// parity) or even (for odd parity), and cleared otherwise.
pub(crate) const fn with_parity(b: u8, even: bool) -> u8 {
    let odd_ones = b.count_ones() % 2 == 1;
    if odd_ones == even {
        b | 0x80
    } else {
        b & 0x7F
    }
}

/// The bytes that `with_parity(_, even)` changes.
pub(crate) const fn changed_bytes(even: bool) -> ByteSet {
    let mut set = ByteSet::EMPTY;
    let mut b: u8 = 0;
    loop {
        if with_parity(b, even) != b {
            set = set.union(ByteSet::of_list(&[b]));
        }
        if b == u8::MAX {
            return set;
        }
        b += 1;
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

    #[test]
    fn triggers_are_the_bytes_it_changes() {
        for b in 0..=u8::MAX {
            let changed = super::super::is_changed(&[b], &parity_even_7bit(&[b]));
            assert_eq!(TRIGGERS.unwrap().contains(b), changed, "{b:#04x}");
            let odd = super::super::parity_odd_7bit::TRIGGERS.unwrap();
            assert_eq!(odd.contains(b), !changed, "{b:#04x}");
        }
        assert!(TRIGGERS.unwrap().contains(b'a') && !TRIGGERS.unwrap().contains(b'c'));
    }
}
