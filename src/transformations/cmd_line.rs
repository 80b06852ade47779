//! `t:cmdLine`: normalises a command line the way ModSecurity documents it,
//! so that `c^md`, `"c"md` and `CMD  /c` all look alike:
//! - deletes `\`, `"`, `'` and `^`;
//! - deletes a space (after folding, below) right before `/` or `(`;
//! - turns `,` and `;` into a space, and folds each run of spaces, tabs,
//!   CR, LF, commas and semicolons into one space;
//! - lowercases ASCII letters.

use std::borrow::Cow;

use super::triggers::{ByteSet, Triggers, ASCII_UPPER};

/// Bytes without which the value comes back unchanged (see `super::triggers`).
///
/// The bytes `touched` lists: deleted, folded into a space or lowercased.
/// `/` and `(` only change when they eat a space before them, and that
/// space (or `,` `;` tab CR LF) is itself a trigger.
pub(super) const TRIGGERS: Triggers = Some(
    ASCII_UPPER
        .union(ByteSet::of_list(DELETED))
        .union(ByteSet::of_list(SPACES)),
);

/// Bytes deleted outright (the bytes around them meet).
pub(crate) const DELETED: &[u8] = b"\"'\\^";

/// Bytes of which each run becomes one space (deleted right before `/` or
/// `(`). The match arms of [`cmd_line`] list the same bytes; the trigger
/// tests fail if they part.
pub(crate) const SPACES: &[u8] = b" ,;\t\r\n";

/// Normalises a command line.
pub fn cmd_line(input: &[u8]) -> Cow<'_, [u8]> {
    let Some(start) = input.iter().position(|&b| touched(b)) else {
        return Cow::Borrowed(input);
    };
    let mut out = Vec::with_capacity(input.len());
    out.extend_from_slice(&input[..start]);
    let mut in_space = false;
    for &b in &input[start..] {
        match b {
            b'"' | b'\'' | b'\\' | b'^' => {}
            b' ' | b',' | b';' | b'\t' | b'\r' | b'\n' => {
                if !in_space {
                    out.push(b' ');
                    in_space = true;
                }
            }
            b'/' | b'(' => {
                if in_space {
                    out.pop();
                }
                in_space = false;
                out.push(b);
            }
            _ => {
                out.push(b.to_ascii_lowercase());
                in_space = false;
            }
        }
    }
    super::bytes::owned_if_changed(input, out)
}

/// Bytes that may be changed by the transformation (or change a neighbour).
fn touched(b: u8) -> bool {
    b.is_ascii_uppercase()
        || matches!(
            b,
            b'"' | b'\'' | b'\\' | b'^' | b' ' | b',' | b';' | b'\t' | b'\r' | b'\n'
        )
}

#[cfg(test)]
mod tests {
    use super::super::testing::{check, never_panics};
    use super::*;

    #[test]
    fn vectors() {
        check(
            "cmdLine",
            cmd_line,
            &[
                (b"", b""),
                (b"test", b"test"),
                (b"/bin/cat(x)", b"/bin/cat(x)"),
                (b"a b", b"a b"),
                (b"C^M^D", b"cmd"),
                (b"\"c\"m'd'\\", b"cmd"),
                (b"cmd  /c  dir", b"cmd/c dir"),
                (b"cmd \t\r\n/c", b"cmd/c"),
                (b"echo,hi;there", b"echo hi there"),
                (b"a , ; b", b"a b"),
                (b"func ( x )", b"func( x )"),
                (b" /x", b"/x"),
                (b"ab  ", b"ab "),
                (b"A\0B", b"a\0b"),
                (b"\xff \xC3X", b"\xff \xc3x"),
                (b"p^i^n^g 127.0.0.1", b"ping 127.0.0.1"),
            ],
        );
        never_panics(cmd_line);
    }

    #[test]
    fn triggers_hold_on_structured_inputs() {
        super::super::testing::unchanged_without_triggers(
            "cmdLine",
            cmd_line,
            TRIGGERS,
            &[b"c/md(x)", b"ping/127.0.0.1"],
        );
    }
}
