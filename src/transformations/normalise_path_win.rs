//! `t:normalisePathWin` / `t:normalizePathWin`: `t:normalisePath` for
//! Windows paths.
//!
//! Backslashes become slashes, then the path is cleaned as by
//! `normalisePath`. Then, as Coraza v3 does, the two things Windows itself
//! ignores when opening a file are removed so that a rule matching a file
//! name cannot be dodged with them:
//! - an NTFS alternate data stream suffix on the last segment
//!   (`web.config::$DATA`, `web.config:x`), keeping a leading drive letter
//!   (`C:`);
//! - trailing dots and spaces of every segment (`web.config.`,
//!   `web.config `); a segment made only of them (but not only of dots, like
//!   `..`) is dropped.

use std::borrow::Cow;

use super::normalise_path::normalise_path;
use super::triggers::{ByteSet, Triggers};

/// Bytes without which the value comes back unchanged (see `super::triggers`).
///
/// `normalisePath`'s `.` and `/`, plus `\` (becomes `/`), `:` (starts a
/// data stream suffix: `file.txt:x` is `file.txt`; a leading drive letter
/// like `C:` stays) and space (trimmed, with `.`, from the end of a
/// segment).
pub(super) const TRIGGERS: Triggers = Some(ByteSet::of_list(b"\\/.: "));

/// Normalises a Windows-style path.
pub fn normalise_path_win(input: &[u8]) -> Cow<'_, [u8]> {
    if input.is_empty() {
        return Cow::Borrowed(input);
    }
    let slashed: Vec<u8> = input
        .iter()
        .map(|&b| if b == b'\\' { b'/' } else { b })
        .collect();
    let cleaned = normalise_path(&slashed).into_owned();
    let out = strip_trailing_dots_and_spaces(strip_stream(cleaned));
    super::bytes::owned_if_changed(input, out)
}

/// Cuts an alternate data stream suffix (`:stream`) off the last segment.
fn strip_stream(path: Vec<u8>) -> Vec<u8> {
    let drive = path.len() >= 2 && path[1] == b':' && path[0].is_ascii_alphabetic();
    let body_start = if drive { 2 } else { 0 };
    let body_end = if path.len() > body_start && path.last() == Some(&b'/') {
        path.len() - 1
    } else {
        path.len()
    };
    let body = &path[body_start..body_end];
    let last_start = body.iter().rposition(|&b| b == b'/').map_or(0, |i| i + 1);
    let Some(colon) = body[last_start..].iter().position(|&b| b == b':') else {
        return path;
    };
    let cut = body_start + last_start + colon;
    let mut out = path[..cut].to_vec();
    out.extend_from_slice(&path[body_end..]);
    out
}

fn all_dots(segment: &[u8]) -> bool {
    segment.iter().all(|&b| b == b'.')
}

/// Removes trailing `.` and ` ` from every segment that is not all dots.
fn strip_trailing_dots_and_spaces(path: Vec<u8>) -> Vec<u8> {
    let trimmable = path
        .split(|&b| b == b'/')
        .any(|s| !all_dots(s) && matches!(s.last(), Some(b'.' | b' ')));
    if !trimmable {
        return path;
    }
    let mut out = Vec::with_capacity(path.len());
    let mut wrote_any = false;
    for segment in path.split(|&b| b == b'/') {
        let segment = if all_dots(segment) {
            segment
        } else {
            let keep = segment
                .iter()
                .rposition(|&b| b != b'.' && b != b' ')
                .map_or(0, |i| i + 1);
            if keep == 0 {
                continue;
            }
            &segment[..keep]
        };
        if wrote_any {
            out.push(b'/');
        }
        out.extend_from_slice(segment);
        wrote_any = true;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::testing::{check, never_panics};
    use super::*;

    #[test]
    fn vectors() {
        check(
            "normalisePathWin",
            normalise_path_win,
            &[
                (b"", b""),
                (b"\\foo\\bar\\baz", b"/foo/bar/baz"),
                (b"\\foo\\bar\0\\baz", b"/foo/bar\0/baz"),
                (b"x", b"x"),
                (b".", b""),
                (b".\\", b""),
                (b".\\..", b".."),
                (b".\\..\\", b"../"),
                (b"..\\..\\", b"../../"),
                (b"\\dir\\foo\\\\bar", b"/dir/foo/bar"),
                (b"dir\\foo\\\\bar\\", b"dir/foo/bar/"),
                (b"dir\\..\\..\\foo", b"../foo"),
                (b"dir\\.\\..\\.\\..\\..\\foo\\bar\\..\\", b"../../foo/"),
                (
                    b"dir\\\\.\\\\..\\\\.\\\\..\\\\..\\\\foo\\\\bar\\\\",
                    b"../../foo/bar/",
                ),
                (
                    b"\\dir\\.\\subdir\\..\\subsubdir\\..\\subsubsubdir\\..\\",
                    b"/dir/",
                ),
                (
                    b"\\.\\..\\.\\..\\..\\..\\..\\..\\..\\..\\\\0\\..\\etc\\.\\passwd",
                    b"/etc/passwd",
                ),
                (b"/already/clean", b"/already/clean"),
                (
                    b"C:\\inetpub\\wwwroot\\index.html",
                    b"C:/inetpub/wwwroot/index.html",
                ),
                (b"..\\..\\etc\\passwd", b"../../etc/passwd"),
                (b"foo\\..\\bar", b"bar"),
                // Trailing dots and spaces, and data streams.
                (
                    b"C:\\inetpub\\wwwroot\\web.config.",
                    b"C:/inetpub/wwwroot/web.config",
                ),
                (
                    b"C:\\inetpub\\wwwroot\\web.config ",
                    b"C:/inetpub/wwwroot/web.config",
                ),
                (
                    b"C:\\inetpub\\wwwroot\\web.config::$DATA",
                    b"C:/inetpub/wwwroot/web.config",
                ),
                (
                    b"C:\\inetpub\\wwwroot\\web.config:hidden",
                    b"C:/inetpub/wwwroot/web.config",
                ),
                (b"..\\..\\web.config.", b"../../web.config"),
                (b"C:", b"C:"),
                (b"C:\\path\\web.config:$DATA\\", b"C:/path/web.config/"),
                (b"C:\\ \\file.txt", b"C:/file.txt"),
                (b"file.txt:x", b"file.txt"),
                (b"a:b/c", b"a:b/c"),
                (b"dir. \\x", b"dir/x"),
                (b"\\", b"/"),
                (b"\xff\\..\\\xfe", b"\xfe"),
            ],
        );
        never_panics(normalise_path_win);
    }

    #[test]
    fn triggers_hold_on_structured_inputs() {
        super::super::testing::unchanged_without_triggers(
            "normalisePathWin",
            normalise_path_win,
            TRIGGERS,
            &[b"PROGRA~1", b"webconfig$DATA"],
        );
    }
}
