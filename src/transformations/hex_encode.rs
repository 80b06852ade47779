//! `t:hexEncode`: writes each byte as two lowercase hex digits.

use std::borrow::Cow;

use super::triggers::Triggers;

const HEX: &[u8; 16] = b"0123456789abcdef";

/// No trigger set (see `super::triggers`): every non-empty value is encoded.
pub(super) const TRIGGERS: Triggers = None;

/// Hex-encodes `input`.
pub fn hex_encode(input: &[u8]) -> Cow<'_, [u8]> {
    if input.is_empty() {
        return Cow::Borrowed(input);
    }
    let mut out = Vec::with_capacity(input.len() * 2);
    for &b in input {
        out.push(HEX[usize::from(b >> 4)]);
        out.push(HEX[usize::from(b & 0xF)]);
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::super::testing::{check, never_panics};
    use super::*;

    #[test]
    fn vectors() {
        check(
            "hexEncode",
            hex_encode,
            &[
                (b"", b""),
                (b"TestCase", b"5465737443617365"),
                (b"Test\0Case", b"546573740043617365"),
                (b"\xff\x80\x01", b"ff8001"),
            ],
        );
        never_panics(hex_encode);
    }
}
