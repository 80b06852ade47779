//! `t:removeNulls`: deletes every NUL byte.

use std::borrow::Cow;

use super::triggers::{ByteSet, Triggers};

/// Bytes without which the value comes back unchanged (see `super::triggers`).
pub(super) const TRIGGERS: Triggers = Some(ByteSet::of_list(b"\0"));

/// Removes NUL bytes.
pub fn remove_nulls(input: &[u8]) -> Cow<'_, [u8]> {
    if memchr::memchr(0, input).is_none() {
        return Cow::Borrowed(input);
    }
    Cow::Owned(input.iter().copied().filter(|&b| b != 0).collect())
}

#[cfg(test)]
mod tests {
    use super::super::testing::{check, never_panics};
    use super::*;

    #[test]
    fn vectors() {
        check(
            "removeNulls",
            remove_nulls,
            &[
                (b"", b""),
                (b"TestCase", b"TestCase"),
                (b"Test\0Case", b"TestCase"),
                (b"\0\0Test\0\0Case\0", b"TestCase"),
                (b"\0", b""),
                (b"\xff\0\xfe", b"\xff\xfe"),
            ],
        );
        never_panics(remove_nulls);
    }
}
