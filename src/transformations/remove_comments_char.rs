//! `t:removeCommentsChar`: deletes comment delimiters (`/*`, `*/`, `<!--`,
//! `-->`, `--`, `#`) but keeps the text between them.

use std::borrow::Cow;

use super::triggers::{ByteSet, Triggers};

/// Bytes without which the value comes back unchanged (see `super::triggers`).
///
/// Every marker contains one of these (`/*` and `*/` both contain `*`).
pub(super) const TRIGGERS: Triggers = Some(ByteSet::of_list(b"*-#"));

/// Removes comment markers from `input`.
pub fn remove_comments_char(input: &[u8]) -> Cow<'_, [u8]> {
    // Every marker contains `*`, `-` or `#`: without them nothing changes.
    if memchr::memchr3(b'*', b'-', b'#', input).is_none() {
        return Cow::Borrowed(input);
    }
    full(input)
}

/// The transformation without the fast path.
fn full(input: &[u8]) -> Cow<'_, [u8]> {
    let mut out: Option<Vec<u8>> = None;
    let mut i = 0;
    while let Some(&b) = input.get(i) {
        let rest = &input[i..];
        let marker = if rest.starts_with(b"/*") || rest.starts_with(b"*/") {
            2
        } else if rest.starts_with(b"<!--") {
            4
        } else if rest.starts_with(b"-->") {
            3
        } else if rest.starts_with(b"--") {
            2
        } else if b == b'#' {
            1
        } else {
            0
        };
        if marker > 0 {
            out.get_or_insert_with(|| input[..i].to_vec());
            i += marker;
        } else {
            if let Some(o) = out.as_mut() {
                o.push(b);
            }
            i += 1;
        }
    }
    match out {
        Some(o) => Cow::Owned(o),
        None => Cow::Borrowed(input),
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{agrees_on_short_strings, check, never_panics};
    use super::*;

    #[test]
    fn fast_path_agrees_with_the_full_one() {
        agrees_on_short_strings(b"a/*-#<!>", remove_comments_char, full);
    }

    #[test]
    fn vectors() {
        check(
            "removeCommentsChar",
            remove_comments_char,
            &[
                (b"", b""),
                (b"TestCase", b"TestCase"),
                (b"Test\0Case", b"Test\0Case"),
                (b"/* TestCase */", b" TestCase "),
                (b"/*TestCase*/", b"TestCase"),
                (b"Before /* TestCase */ After", b"Before  TestCase  After"),
                (b"Before/* Test\r\nCase ", b"Before Test\r\nCase "),
                (b"Test\r\nCase */After", b"Test\r\nCase After"),
                (b"<!--x-->", b"x"),
                (b"a--b#c", b"abc"),
                (b"--->", b"->"),
                (b"a-b<!-", b"a-b<!-"),
                (b"\xff#\xfe", b"\xff\xfe"),
            ],
        );
        never_panics(remove_comments_char);
    }

    #[test]
    fn triggers_hold_on_structured_inputs() {
        super::super::testing::unchanged_without_triggers(
            "removeCommentsChar",
            remove_comments_char,
            TRIGGERS,
            &[b"a/b <!x> x/y>"],
        );
    }
}
