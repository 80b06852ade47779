//! `t:removeComments`: removes C (`/* */`), HTML (`<!-- -->`), SQL (`--`)
//! and shell (`#`) comments.
//!
//! Quirks shared by ModSecurity and Coraza v3, kept for compatibility:
//! - `--` and `#` end the value: they and everything after them go.
//! - The byte right after a closing `*/` or `-->` is copied without being
//!   looked at (so it cannot open a new comment); when the comment closes
//!   at the very end that byte is the C string terminator, and the output
//!   ends in a NUL (`/* x */` becomes `"\0"`).
//! - An unclosed comment becomes one space.

use std::borrow::Cow;

use super::triggers::{ByteSet, Triggers};

/// Bytes without which the value comes back unchanged (see `super::triggers`).
///
/// Every comment opener contains one of these: `/*`, `<!--`, `--`, `#`
/// (`*` rather than the far commoner `/` for `/*`). Without an opener
/// nothing is removed, `*/` and `-->` included.
pub(super) const TRIGGERS: Triggers = Some(ByteSet::of_list(b"*-#"));

/// Removes comments from `input`.
pub fn remove_comments(input: &[u8]) -> Cow<'_, [u8]> {
    let mut out = Vec::with_capacity(input.len());
    let mut changed = false;
    let mut in_comment = false;
    let mut i = 0;
    let at = |k: usize| input.get(k).copied();
    while i < input.len() {
        if !in_comment {
            match (at(i), at(i + 1), at(i + 2), at(i + 3)) {
                (Some(b'/'), Some(b'*'), _, _) => {
                    in_comment = true;
                    changed = true;
                    i += 2;
                }
                (Some(b'<'), Some(b'!'), Some(b'-'), Some(b'-')) => {
                    in_comment = true;
                    changed = true;
                    i += 4;
                }
                (Some(b'-'), Some(b'-'), _, _) | (Some(b'#'), _, _, _) => {
                    changed = true;
                    break;
                }
                (Some(b), _, _, _) => {
                    out.push(b);
                    i += 1;
                }
                (None, _, _, _) => break,
            }
        } else {
            let close = match (at(i), at(i + 1), at(i + 2)) {
                (Some(b'*'), Some(b'/'), _) => 2,
                (Some(b'-'), Some(b'-'), Some(b'>')) => 3,
                _ => 0,
            };
            if close == 0 {
                i += 1;
                continue;
            }
            in_comment = false;
            i += close;
            // Past the end this is the string terminator of the C original.
            out.push(at(i).unwrap_or(0));
            i += 1;
        }
    }
    if in_comment {
        out.push(b' ');
    }
    if changed {
        super::bytes::owned_if_changed(input, out)
    } else {
        Cow::Borrowed(input)
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{check, never_panics};
    use super::*;

    #[test]
    fn vectors() {
        check(
            "removeComments",
            remove_comments,
            &[
                (b"", b""),
                (b"TestCase", b"TestCase"),
                (b"Test\0Case", b"Test\0Case"),
                (b"/* TestCase */", b"\0"),
                (b"/*TestCase*/", b"\0"),
                (b"Before/* TestCase */After", b"BeforeAfter"),
                (b"Before TestCase */ After", b"Before TestCase */ After"),
                (b"/* Test\r\nCase */", b"\0"),
                (b"/*Before/* Test\r\nCase ", b" "),
                (b"Before /* Test\nCase ", b"Before  "),
                (
                    b"Before/* T*/ /* e */ /* s */ /* t */\r\nCase ",
                    b"Before   \r\nCase ",
                ),
                (
                    b"Before /* */ ops */ Test\nCase ",
                    b"Before  ops */ Test\nCase ",
                ),
                (b"/*Test\r\nCase */After", b"After"),
                (b"Test\nCase /**/ After", b"Test\nCase  After"),
                (b"Test/*\nCase */ After", b"Test After"),
                (b"hello <!-- comment --> world", b"hello  world"),
                (b"<!-- comment -->", b"\0"),
                (b"hello <!-- unclosed", b"hello  "),
                (b"hello -- rest", b"hello "),
                (b"hello # rest", b"hello "),
                (b"1 OR 1=1--", b"1 OR 1=1"),
                (b"#", b""),
                (b"a-b", b"a-b"),
                (b"<!-", b"<!-"),
                (b"/", b"/"),
                (b"/*a*//*b*/c", b"/*b*/c"),
                (b"\xff/*\xfe*/\xfd", b"\xff\xfd"),
            ],
        );
        never_panics(remove_comments);
    }

    #[test]
    fn triggers_hold_on_structured_inputs() {
        super::super::testing::unchanged_without_triggers(
            "removeComments",
            remove_comments,
            TRIGGERS,
            &[b"a/b <!x> x/y>"],
        );
    }
}
