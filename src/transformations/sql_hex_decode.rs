//! `t:sqlHexDecode`: decodes SQL hex literals (`0x414243` -> `ABC`).
//!
//! Coraza v3 does not have this transformation; this follows ModSecurity:
//! `0x` (or `0X`) followed by at least one pair of hex digits decodes every
//! following whole pair, and the `0x` goes. A trailing odd digit is kept
//! (`0x414` is `A4`); a `0x` without a pair after it stays as it is.

use std::borrow::Cow;

use super::bytes::hex_pair;
use super::triggers::{ByteSet, Triggers};

/// Bytes without which the value comes back unchanged (see `super::triggers`).
///
/// A literal needs `0x` or `0X`. `0` alone would do as well, but digits
/// are far commoner than `x` in ordinary values (dates, ids, versions).
pub(super) const TRIGGERS: Triggers = Some(ByteSet::of_list(b"xX"));

/// Decodes `0xHH...` runs in `input`.
pub fn sql_hex_decode(input: &[u8]) -> Cow<'_, [u8]> {
    let mut out: Option<Vec<u8>> = None;
    let mut i = 0;
    while let Some(&b) = input.get(i) {
        let starts_literal = b == b'0'
            && matches!(input.get(i + 1), Some(b'x' | b'X'))
            && hex_pair(input.get(i + 2..).unwrap_or_default()).is_some();
        if starts_literal {
            let o = out.get_or_insert_with(|| input[..i].to_vec());
            i += 2;
            while let Some(byte) = hex_pair(input.get(i..).unwrap_or_default()) {
                o.push(byte);
                i += 2;
            }
        } else {
            if let Some(o) = out.as_mut() {
                o.push(b);
            }
            i += 1;
        }
    }
    match out {
        Some(o) => super::bytes::owned_if_changed(input, o),
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
            "sqlHexDecode",
            sql_hex_decode,
            &[
                (b"", b""),
                (b"TestCase", b"TestCase"),
                (b"Test\0Case", b"Test\0Case"),
                (b"0x414243", b"ABC"),
                (b"0X414243", b"ABC"),
                (b"SELECT 0x61646d696e", b"SELECT admin"),
                (b"0x414", b"A4"),
                (b"0x4", b"0x4"),
                (b"0x", b"0x"),
                (b"0xzz41", b"0xzz41"),
                (b"x0x41y", b"xAy"),
                (b"00x41", b"0A"),
                (b"0x410x42", b"AB"),
                (b"0x0x41", b"0xA"),
                (b"0x00ff", b"\0\xff"),
                (b"\xff0x41\xfe", b"\xffA\xfe"),
            ],
        );
        never_panics(sql_hex_decode);
    }

    #[test]
    fn triggers_hold_on_structured_inputs() {
        super::super::testing::unchanged_without_triggers(
            "sqlHexDecode",
            sql_hex_decode,
            TRIGGERS,
            &[b"0041424344", b"SELECT 0 414243"],
        );
    }
}
