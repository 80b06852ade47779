//! `t:base64Encode`: standard base64 (RFC 4648 alphabet, `=` padding).

use std::borrow::Cow;

use super::triggers::Triggers;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;

/// No trigger set (see `super::triggers`): every non-empty value is encoded.
pub(super) const TRIGGERS: Triggers = None;

/// Base64-encodes `input`.
pub fn base64_encode(input: &[u8]) -> Cow<'_, [u8]> {
    if input.is_empty() {
        return Cow::Borrowed(input);
    }
    Cow::Owned(STANDARD.encode(input).into_bytes())
}

#[cfg(test)]
mod tests {
    use super::super::testing::{check, never_panics};
    use super::*;

    #[test]
    fn vectors() {
        check(
            "base64Encode",
            base64_encode,
            &[
                (b"", b""),
                (b"f", b"Zg=="),
                (b"fo", b"Zm8="),
                (b"foo", b"Zm9v"),
                (b"TestCase", b"VGVzdENhc2U="),
                (b"Test\0Case", b"VGVzdABDYXNl"),
                (b"\xff\xfe\xfd", b"//79"),
            ],
        );
        never_panics(base64_encode);
    }
}
