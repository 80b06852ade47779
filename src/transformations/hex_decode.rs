//! `t:hexDecode`: decodes a hex string (`414243` -> `ABC`).
//!
//! As in Coraza v3 the whole value must be hex digits in pairs (either
//! case); otherwise (odd length, any other byte) decoding fails and the
//! value passes through unchanged, as a failed transformation does there.
//! ModSecurity instead decodes pairs blindly, garbage included.

use std::borrow::Cow;

use super::bytes::hex_pair;
use super::triggers::{ByteSet, Triggers, ASCII_DIGITS};

/// Bytes without which the value comes back unchanged (see `super::triggers`).
///
/// Only a value made entirely of hex digits is decoded, so a non-empty
/// value without any hex digit is kept. All 22 are needed: `aa`, `00`,
/// ... each decode.
pub(super) const TRIGGERS: Triggers = Some(
    ASCII_DIGITS
        .union(ByteSet::range(b'a', b'f'))
        .union(ByteSet::range(b'A', b'F')),
);

/// Hex-decodes `input`, or returns it unchanged if it is not valid hex.
pub fn hex_decode(input: &[u8]) -> Cow<'_, [u8]> {
    let pairs = input.chunks_exact(2);
    if input.is_empty() || !pairs.remainder().is_empty() {
        return Cow::Borrowed(input);
    }
    let decoded: Option<Vec<u8>> = pairs.map(hex_pair).collect();
    match decoded {
        Some(out) => super::bytes::owned_if_changed(input, out),
        None => Cow::Borrowed(input),
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{check, never_panics};
    use super::*;

    #[test]
    fn vectors() {
        check(
            "hexDecode",
            hex_decode,
            &[
                (b"", b""),
                (b"48656c6c6f", b"Hello"),
                (b"48454C4C4F", b"HELLO"),
                (b"48454c4C4f", b"HELLO"),
                (b"21402324255E262A28", b"!@#$%^&*("),
                (b"00ff7f", b"\0\xff\x7f"),
                // Invalid: unchanged.
                (b"48656c6c6f7", b"48656c6c6f7"),
                (b"YyYy", b"YyYy"),
                (b"123G", b"123G"),
                (b"48656c6c6fZ", b"48656c6c6fZ"),
                (b"4865 6c", b"4865 6c"),
                (b"\xff\xfe", b"\xff\xfe"),
                (b"0x41", b"0x41"),
            ],
        );
        never_panics(hex_decode);
    }

    #[test]
    fn triggers_hold_on_structured_inputs() {
        super::super::testing::unchanged_without_triggers(
            "hexDecode",
            hex_decode,
            TRIGGERS,
            &[b"ghijklmnopqrstuvwxyz", b"xyz!"],
        );
    }
}
