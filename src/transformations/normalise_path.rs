//! `t:normalisePath` / `t:normalizePath`: lexically cleans a path.
//!
//! Repeated slashes collapse to one, `.` segments go, and `name/..` pairs
//! cancel. A `..` that cannot be resolved stays in a relative path
//! (`../a`) and disappears at the root (`/../a` is `/a`). A trailing slash
//! is kept, and a path that cleans down to nothing is empty. This is what
//! Coraza v3 does (Go's `filepath.Clean`), with one fix: Coraza turns `/`
//! (and anything that cleans to `/` with a trailing slash, like `/a/../`)
//! into `//`; we return `/`, as ModSecurity does.

use std::borrow::Cow;

use super::triggers::{ByteSet, Triggers};

/// Cleans `path` like Go's `path.Clean`, except that an empty result is
/// empty rather than `.`.
pub(crate) fn clean(path: &[u8]) -> Vec<u8> {
    let rooted = path.first() == Some(&b'/');
    let mut out: Vec<u8> = Vec::with_capacity(path.len());
    // Output length that `..` may not back up past.
    let mut floor = 0;
    if rooted {
        out.push(b'/');
        floor = 1;
    }
    for segment in path.split(|&b| b == b'/') {
        match segment {
            b"" | b"." => {}
            b".." => {
                if out.len() > floor {
                    // Drop the last segment and the slash before it.
                    while out.len() > floor && out.last() != Some(&b'/') {
                        out.pop();
                    }
                    if out.len() > floor {
                        out.pop();
                    }
                } else if !rooted {
                    if !out.is_empty() {
                        out.push(b'/');
                    }
                    out.extend_from_slice(b"..");
                    floor = out.len();
                }
            }
            name => {
                if out.len() > usize::from(rooted) {
                    out.push(b'/');
                }
                out.extend_from_slice(name);
            }
        }
    }
    out
}

/// Bytes without which the value comes back unchanged (see `super::triggers`).
///
/// Without `/` the value is a single segment, which only changes when it
/// is `.` (it goes); `..` and any other name stay.
pub(super) const TRIGGERS: Triggers = Some(ByteSet::of_list(b"./"));

/// Normalises a Unix-style path.
pub fn normalise_path(input: &[u8]) -> Cow<'_, [u8]> {
    if input.is_empty() {
        return Cow::Borrowed(input);
    }
    let mut out = clean(input);
    if input.last() == Some(&b'/') && !out.is_empty() && out.last() != Some(&b'/') {
        out.push(b'/');
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
            "normalisePath",
            normalise_path,
            &[
                (b"", b""),
                (b"/foo/bar/baz", b"/foo/bar/baz"),
                (b"/foo/bar\0/baz", b"/foo/bar\0/baz"),
                (b"x", b"x"),
                (b".", b""),
                (b"./", b""),
                (b"./..", b".."),
                (b"./../", b"../"),
                (b"..", b".."),
                (b"../", b"../"),
                (b"../.", b".."),
                (b".././", b"../"),
                (b"../..", b"../.."),
                (b"../../", b"../../"),
                (b"/dir/foo//bar", b"/dir/foo/bar"),
                (b"dir/foo//bar/", b"dir/foo/bar/"),
                (b"dir/../foo", b"foo"),
                (b"dir/../../foo", b"../foo"),
                (b"dir/./.././../../foo/bar", b"../../foo/bar"),
                (b"dir/./.././../../foo/bar/.", b"../../foo/bar"),
                (b"dir/./.././../../foo/bar/./", b"../../foo/bar/"),
                (b"dir/./.././../../foo/bar/..", b"../../foo"),
                (b"dir/./.././../../foo/bar/../", b"../../foo/"),
                (b"dir//.//..//.//..//..//foo//bar//", b"../../foo/bar/"),
                (b"dir/subdir/subsubdir/subsubsubdir/../../..", b"dir"),
                (b"dir/./subdir/../subsubdir/../subsubsubdir/..", b"dir"),
                (b"/dir/./subdir/../subsubdir/../subsubsubdir/../", b"/dir/"),
                (
                    b"/./.././../../../../../../../\0/../etc/./passwd",
                    b"/etc/passwd",
                ),
                (b"/", b"/"),
                (b"//", b"/"),
                (b"/a/../", b"/"),
                (b"/..", b"/"),
                (b"/.", b"/"),
                (b"a/..", b""),
                (b"...", b"..."),
                (b"a/.../b", b"a/.../b"),
                (b"../a/../../b", b"../../b"),
                (b"/etc/\xff/../passwd", b"/etc/passwd"),
                (b"C:\\a\\..\\b", b"C:\\a\\..\\b"),
            ],
        );
        never_panics(normalise_path);
    }

    #[test]
    fn triggers_hold_on_structured_inputs() {
        super::super::testing::unchanged_without_triggers(
            "normalisePath",
            normalise_path,
            TRIGGERS,
            &[b"C:\\a\\b", b"~user"],
        );
    }
}
