//! `t:sha1`: the raw 20-byte SHA-1 digest of the value (not hex).

use std::borrow::Cow;

use super::triggers::Triggers;
use sha1::{Digest, Sha1};

/// No trigger set (see `super::triggers`): every value is replaced by its digest.
pub(super) const TRIGGERS: Triggers = None;

/// Replaces the value with its binary SHA-1 digest.
pub fn sha1(input: &[u8]) -> Cow<'_, [u8]> {
    let out = Sha1::digest(input).to_vec();
    super::bytes::owned_if_changed(input, out)
}

#[cfg(test)]
mod tests {
    use super::super::testing::{check, never_panics};
    use super::*;

    #[test]
    fn vectors() {
        check(
            "sha1",
            sha1,
            &[
                (
                    b"",
                    b"\xda\x39\xa3\xee\x5e\x6b\x4b\x0d\x32\x55\xbf\xef\x95\x60\x18\x90\xaf\xd8\x07\x09",
                ),
                (
                    b"TestCase",
                    b"\xa7\x0c\xe3\x83\x89\xe3\x18\xbd\x2b\xe1\x8a\x01\x11\xc6\xdc\x76\xbd\x2c\xd9\xed",
                ),
                (
                    b"Test\0Case",
                    b"\x38\x33\xae\xb8\xcd\x72\x9f\x4f\x0d\x7e\x66\x22\xbe\x90\x07\xe4\x2f\x4e\x53\xb2",
                ),
            ],
        );
        never_panics(sha1);
    }
}
