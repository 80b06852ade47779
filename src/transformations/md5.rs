//! `t:md5`: the raw 16-byte MD5 digest of the value (not hex).

use std::borrow::Cow;

use super::triggers::Triggers;
use md5::{Digest, Md5};

/// No trigger set (see `super::triggers`): every value is replaced by its digest.
pub(super) const TRIGGERS: Triggers = None;

/// Replaces the value with its binary MD5 digest.
pub fn md5(input: &[u8]) -> Cow<'_, [u8]> {
    let out = Md5::digest(input).to_vec();
    super::bytes::owned_if_changed(input, out)
}

#[cfg(test)]
mod tests {
    use super::super::testing::{check, never_panics};
    use super::*;

    #[test]
    fn vectors() {
        check(
            "md5",
            md5,
            &[
                (
                    b"",
                    b"\xd4\x1d\x8c\xd9\x8f\x00\xb2\x04\xe9\x80\x09\x98\xec\xf8\x42\x7e",
                ),
                (
                    b"TestCase",
                    b"\xc9\xab\xa2\xc3\xe6\x01\x26\x16\x9e\x80\xe9\xa2\x6b\xa2\x73\xc1",
                ),
                (
                    b"Test\0Case",
                    b"\xe6\x0a\x2c\xa8\x1b\xa7\x2a\xc3\x34\x97\x71\x52\x77\x29\x60\x38",
                ),
            ],
        );
        never_panics(md5);
    }
}
