//! `t:replaceComments`: replaces each C-style comment (`/* ... */`) with one
//! space; an unclosed comment also becomes one space. A `*/` without an
//! opening `/*` is left alone.

use std::borrow::Cow;

use super::triggers::{ByteSet, Triggers};

/// Bytes without which the value comes back unchanged (see `super::triggers`).
///
/// Nothing changes without a `/*`; `*` is the rarer of its two bytes.
pub(super) const TRIGGERS: Triggers = Some(ByteSet::of_list(b"*"));

/// Replaces `/* */` comments with a space.
pub fn replace_comments(input: &[u8]) -> Cow<'_, [u8]> {
    let Some(start) = memchr::memmem::find(input, b"/*") else {
        return Cow::Borrowed(input);
    };
    let mut out = Vec::with_capacity(input.len());
    out.extend_from_slice(&input[..start]);
    let mut rest = &input[start..];
    loop {
        // `rest` starts with an opening "/*".
        let body = rest.get(2..).unwrap_or_default();
        out.push(b' ');
        let Some(end) = memchr::memmem::find(body, b"*/") else {
            break;
        };
        let after = body.get(end + 2..).unwrap_or_default();
        match memchr::memmem::find(after, b"/*") {
            Some(next) => {
                out.extend_from_slice(&after[..next]);
                rest = &after[next..];
            }
            None => {
                out.extend_from_slice(after);
                break;
            }
        }
    }
    super::bytes::owned_if_changed(input, out)
}

#[cfg(test)]
mod tests {
    use super::super::testing::{check, never_panics};
    use super::*;

    #[test]
    fn vectors() {
        check(
            "replaceComments",
            replace_comments,
            &[
                (b"", b""),
                (b"TestCase", b"TestCase"),
                (b"Test\0Case", b"Test\0Case"),
                (b"/* TestCase */", b" "),
                (b"/*TestCase*/", b" "),
                (b"Before/* TestCase */After", b"Before After"),
                (b"Before /* TestCase */ After", b"Before   After"),
                (b"Before/* Test\r\nCase ", b"Before "),
                (b"Test\r\nCase */After", b"Test\r\nCase */After"),
                (b"This is/*this is a comment*/text", b"This is text"),
                (b"/*this is a comment*/a comment", b" a comment"),
                (b"/**/", b" "),
                (b"/*/", b" "),
                (b"/*comment", b" "),
                (b"a/*1*/b/*2*/c", b"a b c"),
                (b"a/*/*x*/*/b", b"a */b"),
                (b"\xff/*\xfe*/\xfd", b"\xff \xfd"),
            ],
        );
        never_panics(replace_comments);
    }

    #[test]
    fn triggers_hold_on_structured_inputs() {
        super::super::testing::unchanged_without_triggers(
            "replaceComments",
            replace_comments,
            TRIGGERS,
            &[b"a/b//c <!-- x --> # y -- z"],
        );
    }
}
