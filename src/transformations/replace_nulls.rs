//! `t:replaceNulls`: replaces every NUL byte with a space.

use std::borrow::Cow;

use super::triggers::{ByteSet, Triggers};

/// Bytes without which the value comes back unchanged (see `super::triggers`).
pub(super) const TRIGGERS: Triggers = Some(ByteSet::of_list(b"\0"));

/// Replaces NUL bytes with spaces.
pub fn replace_nulls(input: &[u8]) -> Cow<'_, [u8]> {
    if memchr::memchr(0, input).is_none() {
        return Cow::Borrowed(input);
    }
    Cow::Owned(
        input
            .iter()
            .map(|&b| if b == 0 { b' ' } else { b })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::super::testing::{check, never_panics};
    use super::*;

    #[test]
    fn vectors() {
        check(
            "replaceNulls",
            replace_nulls,
            &[
                (b"", b""),
                (b"TestCase", b"TestCase"),
                (b"Test\0Case", b"Test Case"),
                (b"\0\0Test\0\0Case\0", b"  Test  Case "),
                (b"\xff\0\xfe", b"\xff \xfe"),
            ],
        );
        never_panics(replace_nulls);
    }
}
