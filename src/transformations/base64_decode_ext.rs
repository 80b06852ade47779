//! `t:base64DecodeExt`: forgiving base64 decoding, as Coraza v3 does it.
//!
//! Whitespace (ASCII spaces plus the bytes 0x85 and 0xA0) and `.` are
//! skipped, as is any other byte outside the alphabet; the base64url
//! characters `-` and `_` count as `+` and `/`. Only `=` ends the value.

use std::borrow::Cow;

use super::base64_decode::{sextet, Decoder};
use super::triggers::Triggers;

/// No trigger set (see `super::triggers`): every non-empty value decodes to something shorter.
pub(super) const TRIGGERS: Triggers = None;

/// Base64-decodes `input`, skipping bytes outside the alphabet.
pub fn base64_decode_ext(input: &[u8]) -> Cow<'_, [u8]> {
    if input.is_empty() {
        return Cow::Borrowed(input);
    }
    let mut decoder = Decoder::with_capacity(input.len() / 4 * 3 + 2);
    for &b in input {
        let b = match b {
            b'=' => break,
            b'-' => b'+',
            b'_' => b'/',
            other => other,
        };
        if let Some(v) = sextet(b) {
            decoder.push(v);
        }
    }
    super::bytes::owned_if_changed(input, decoder.finish())
}

#[cfg(test)]
mod tests {
    use super::super::testing::{check, never_panics};
    use super::*;

    #[test]
    fn vectors() {
        check(
            "base64DecodeExt",
            base64_decode_ext,
            &[
                (b"", b""),
                (b"VGVzdENhc2U=", b"TestCase"),
                (b"VGVzdENhc2U", b"TestCase"),
                (b"VGVz dENh\tc2U", b"TestCase"),
                (b"VG.Vz.dE.Nh.c2U", b"TestCase"),
                (b"VGVz!dE\xffNhc2U", b"TestCase"),
                (b"VGVzdA==VGVzdA==", b"Test"),
                (b"__79", b"\xff\xfe\xfd"),
                (b"--79", b"\xfb\xee\xfd"),
                (b"eyJhbGciOiJIUzI1NiJ9", b"{\"alg\":\"HS256\"}"),
                (b"Z", b""),
                (b"\x85\xa0Zg", b"f"),
                (
                    b"P.HNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
                    b"<script>alert(1)</script>",
                ),
                (b"\xc2\xa9dzBzV==", b"w0s"),
                (b"dz!BzV==", b"w0s"),
            ],
        );
        never_panics(base64_decode_ext);
    }
}
