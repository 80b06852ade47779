//! `t:base64Decode`: decodes base64, leniently, as Coraza v3 does.
//!
//! Padding is optional and CR/LF are skipped. The first `=` or space ends
//! the value, and so does the first byte outside the base64 alphabet: what
//! was decoded before it is the result (`VGVzdA!!` is `Test`). A final
//! group of two or three characters yields one or two bytes; a lone
//! trailing character yields nothing.

use std::borrow::Cow;

use super::triggers::Triggers;

/// The 6-bit value of a standard-alphabet base64 character.
pub(crate) fn sextet(b: u8) -> Option<u8> {
    match b {
        b'A'..=b'Z' => Some(b - b'A'),
        b'a'..=b'z' => Some(b - b'a' + 26),
        b'0'..=b'9' => Some(b - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    }
}

/// Accumulates sextets into bytes.
#[derive(Default)]
pub(crate) struct Decoder {
    out: Vec<u8>,
    acc: u32,
    count: u8,
}

impl Decoder {
    pub(crate) fn with_capacity(n: usize) -> Self {
        Decoder {
            out: Vec::with_capacity(n),
            ..Decoder::default()
        }
    }

    pub(crate) fn push(&mut self, sextet: u8) {
        self.acc = self.acc << 6 | u32::from(sextet & 0x3F);
        self.count += 1;
        if self.count == 4 {
            self.out.extend_from_slice(&[
                (self.acc >> 16) as u8,
                (self.acc >> 8) as u8,
                self.acc as u8,
            ]);
            self.acc = 0;
            self.count = 0;
        }
    }

    /// The decoded bytes, including those of a final partial group.
    pub(crate) fn finish(mut self) -> Vec<u8> {
        match self.count {
            2 => self.out.push((self.acc >> 4) as u8),
            3 => self
                .out
                .extend_from_slice(&[(self.acc >> 10) as u8, (self.acc >> 2) as u8]),
            _ => {}
        }
        self.out
    }
}

/// No trigger set (see `super::triggers`): every non-empty value decodes to something shorter.
pub(super) const TRIGGERS: Triggers = None;

/// Base64-decodes `input` up to its first padding or invalid byte.
pub fn base64_decode(input: &[u8]) -> Cow<'_, [u8]> {
    if input.is_empty() {
        return Cow::Borrowed(input);
    }
    let mut decoder = Decoder::with_capacity(input.len() / 4 * 3 + 2);
    for &b in input {
        match b {
            b'\r' | b'\n' => continue,
            _ => match sextet(b) {
                Some(v) => decoder.push(v),
                // '=', ' ' and anything outside the alphabet end the value.
                None => break,
            },
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
            "base64Decode",
            base64_decode,
            &[
                (b"", b""),
                (b"VGVzdENhc2U=", b"TestCase"),
                (b"VGVzdENhc2U", b"TestCase"),
                (b"VGVzdABDYXNl", b"Test\0Case"),
                (b"Zg==", b"f"),
                (b"Zg", b"f"),
                (b"Zm8", b"fo"),
                (b"Z", b""),
                (b"VGVz\r\ndENh\nc2U=", b"TestCase"),
                // Decoding stops at the first '=', space or invalid byte.
                (b"VGVzdA==VGVzdA==", b"Test"),
                (b"VGVzdA!!", b"Test"),
                (b"VGVz dENhc2U=", b"Tes"),
                (b"VGVzdA\xffQ", b"Test"),
                (b"!VGVzdA", b""),
                (b"dGVzdA-_", b"test"),
                (b"//79", b"\xff\xfe\xfd"),
                (b"\0", b""),
                (b"PFR FU1Q+", b"<T"),
                (b"P.HNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==", b""),
                (b"PHNjcmlwdD.5hbGVydCgxKTwvc2NyaXB0Pg==", b"<script"),
                (b"dzBz\xc2\xa9V==", b"w0s"),
                (b"FPucA9l+", b"\x14\xfb\x9c\x03\xd9~"),
            ],
        );
        never_panics(base64_decode);
    }
}
