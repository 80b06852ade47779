//! Loading SecLang from files, with `Include` expanded in place.
//!
//! Behaviour follows Coraza: a relative path is taken from the directory of
//! the file holding the `Include` (or the given base directory for inline
//! text); a path with glob characters (`*`, `?`, `[`) includes every matching
//! file in sorted order and may match nothing; a plain path that cannot be
//! read is an error located at the `Include`. Unlike Coraza, which caps the
//! total number of includes at 100, we cap the nesting depth at
//! [`MAX_INCLUDE_DEPTH`], report a file that includes itself (directly or
//! not) as a cycle, and bound the total number of files read.

use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use super::ast::{Directive, Location};
use super::parser::parse_str;
use crate::Error;

/// How deeply `Include`s may nest.
pub const MAX_INCLUDE_DEPTH: usize = 100;

/// How many files one load may read in total (stops fan-out explosions).
const MAX_FILES: usize = 10_000;

/// Reads and parses the file at `path`, expanding `Include`s. Directives
/// keep the location (file, line, column) of the file they come from; the
/// `Include` directives themselves are not returned.
pub fn load_file(path: &Path) -> Result<Vec<Directive>, Error> {
    let text = fs::read_to_string(path)
        .map_err(|e| Error::msg(format!("cannot read {}: {e}", path.display())))?;
    let mut loader = Loader::default();
    if let Ok(canon) = fs::canonicalize(path) {
        loader.stack.push(canon);
    }
    let mut out = Vec::new();
    let directives = parse_str(&text, &path.display().to_string())?;
    loader.expand(directives, parent_dir(path), 0, &mut out)?;
    Ok(out)
}

/// Parses `text` (named `origin` in locations), expanding `Include`s whose
/// relative paths are taken from `base_dir`.
pub fn load_str(text: &str, origin: &str, base_dir: &Path) -> Result<Vec<Directive>, Error> {
    let mut out = Vec::new();
    let directives = parse_str(text, origin)?;
    Loader::default().expand(directives, base_dir, 0, &mut out)?;
    Ok(out)
}

fn parent_dir(path: &Path) -> &Path {
    path.parent().unwrap_or(Path::new(""))
}

#[derive(Default)]
struct Loader {
    /// Canonical paths of the files being loaded, outermost first.
    stack: Vec<PathBuf>,
    /// Files read so far.
    files: usize,
}

impl Loader {
    fn expand(
        &mut self,
        directives: Vec<Directive>,
        base_dir: &Path,
        depth: usize,
        out: &mut Vec<Directive>,
    ) -> Result<(), Error> {
        for d in directives {
            if !d.name.eq_ignore_ascii_case("include") {
                out.push(d);
                continue;
            }
            let [arg] = d.args.as_slice() else {
                return Err(Error::at(
                    &d.location,
                    format!("Include takes one path, got {} arguments", d.args.len()),
                ));
            };
            let pattern = arg.trim();
            if pattern.is_empty() {
                return Err(Error::at(&d.location, "Include with an empty path"));
            }
            for file in resolve(pattern, base_dir, &d.location)? {
                self.include(&file, &d.location, depth + 1, out)?;
            }
        }
        Ok(())
    }

    fn include(
        &mut self,
        path: &Path,
        at: &Location,
        depth: usize,
        out: &mut Vec<Directive>,
    ) -> Result<(), Error> {
        let shown = path.display().to_string();
        if depth > MAX_INCLUDE_DEPTH {
            return Err(Error::at(
                at,
                format!("Include nested deeper than {MAX_INCLUDE_DEPTH} levels"),
            )
            .with_snippet(shown));
        }
        self.files += 1;
        if self.files > MAX_FILES {
            return Err(Error::at(
                at,
                format!("more than {MAX_FILES} files included"),
            ));
        }
        let text = fs::read_to_string(path).map_err(|e| match e.kind() {
            ErrorKind::NotFound => Error::at(at, format!("included file not found: {shown}")),
            _ => Error::at(at, format!("cannot read included file {shown}: {e}")),
        })?;
        let canon = fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        if self.stack.contains(&canon) {
            return Err(Error::at(
                at,
                format!("Include cycle: {shown} is already being loaded"),
            ));
        }
        let directives = parse_str(&text, &shown)?;
        self.stack.push(canon);
        let r = self.expand(directives, parent_dir(path), depth, out);
        self.stack.pop();
        r
    }
}

/// The files an `Include` argument names, relative paths taken from `base`.
fn resolve(pattern: &str, base: &Path, at: &Location) -> Result<Vec<PathBuf>, Error> {
    let is_glob = pattern.contains(['*', '?', '[']);
    if !is_glob {
        return Ok(vec![base.join(pattern)]);
    }
    let full = if Path::new(pattern).is_absolute() || base.as_os_str().is_empty() {
        pattern.to_string()
    } else {
        let Some(base) = base.to_str() else {
            return Err(Error::at(
                at,
                format!("Include directory is not UTF-8: {}", base.display()),
            ));
        };
        // The directory part is literal: escape any glob character in it.
        format!(
            "{}/{pattern}",
            glob::Pattern::escape(base.trim_end_matches('/'))
        )
    };
    let entries = glob::glob(&full)
        .map_err(|e| Error::at(at, format!("invalid Include pattern `{pattern}`: {e}")))?;
    let mut files = Vec::new();
    for entry in entries {
        let path = entry.map_err(|e| Error::at(at, format!("Include of `{pattern}`: {e}")))?;
        // Directories matched by a wildcard are skipped, files are read.
        if !path.is_dir() {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A scratch directory removed on drop.
    struct Scratch(PathBuf);

    impl Scratch {
        fn new(tag: &str) -> Scratch {
            static N: AtomicUsize = AtomicUsize::new(0);
            let n = N.fetch_add(1, Ordering::Relaxed);
            let dir = std::env::temp_dir()
                .join(format!("coraza-seclang-{}-{tag}-{n}", std::process::id()));
            let _ = fs::remove_dir_all(&dir);
            fs::create_dir_all(&dir).expect("create scratch dir");
            Scratch(dir)
        }

        fn write(&self, rel: &str, text: &str) -> PathBuf {
            let p = self.0.join(rel);
            if let Some(parent) = p.parent() {
                fs::create_dir_all(parent).expect("mkdir");
            }
            fs::write(&p, text).expect("write");
            p
        }

        fn path(&self, rel: &str) -> String {
            self.0.join(rel).display().to_string()
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    fn summary(ds: &[Directive]) -> Vec<String> {
        ds.iter()
            .map(|d| {
                let file = Path::new(&*d.location.file)
                    .file_name()
                    .map(|f| f.to_string_lossy().into_owned())
                    .unwrap_or_default();
                format!(
                    "{} {} @{file}:{}",
                    d.name,
                    d.args.join(" "),
                    d.location.line
                )
            })
            .collect()
    }

    #[test]
    fn nested_relative_includes_keep_their_locations() {
        let s = Scratch::new("nested");
        let main = s.write(
            "main.conf",
            "SecRuleEngine On\n\ninclude sub/a.conf\nSecMarker END\n",
        );
        s.write(
            "sub/a.conf",
            "# a\nSecMarker A1\nInclude \"b.conf\"\nSecMarker A2\n",
        );
        s.write("sub/b.conf", "\n\n  SecMarker B\n");
        let ds = load_file(&main).unwrap();
        assert_eq!(
            summary(&ds),
            [
                "SecRuleEngine On @main.conf:1",
                "SecMarker A1 @a.conf:2",
                "SecMarker B @b.conf:3",
                "SecMarker A2 @a.conf:4",
                "SecMarker END @main.conf:4",
            ]
        );
        assert_eq!(&*ds[2].location.file, s.path("sub/b.conf"));
        assert_eq!(ds[2].location.column, 3);
    }

    #[test]
    fn glob_includes_in_sorted_order() {
        let s = Scratch::new("glob");
        s.write("rules/20-b.conf", "SecMarker B");
        s.write("rules/10-a.conf", "SecMarker A");
        s.write("rules/30-c.data", "not seclang");
        fs::create_dir_all(s.0.join("rules/dir.conf")).unwrap();
        let ds = load_str("INCLUDE rules/*.conf\nSecMarker Z", "<inline>", &s.0).unwrap();
        assert_eq!(
            summary(&ds),
            [
                "SecMarker A @10-a.conf:1",
                "SecMarker B @20-b.conf:1",
                "SecMarker Z @<inline>:2"
            ]
        );
    }

    #[test]
    fn glob_matching_nothing_is_not_an_error() {
        let s = Scratch::new("emptyglob");
        let ds = load_str("Include none/*.conf\nSecMarker Z", "<inline>", &s.0).unwrap();
        assert_eq!(summary(&ds), ["SecMarker Z @<inline>:2"]);
    }

    #[test]
    fn absolute_include_path() {
        let s = Scratch::new("abs");
        let p = s.write("x.conf", "SecMarker X");
        let text = format!("Include '{}'", p.display());
        let ds = load_str(&text, "<inline>", Path::new("/nonexistent")).unwrap();
        assert_eq!(summary(&ds), ["SecMarker X @x.conf:1"]);
    }

    #[test]
    fn missing_file_is_reported_at_the_include() {
        let s = Scratch::new("missing");
        let main = s.write("main.conf", "SecMarker A\n\n  Include missing.conf\n");
        let e = load_file(&main).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "{}:3:3: included file not found: {}",
                s.path("main.conf"),
                s.path("missing.conf")
            )
        );
    }

    #[test]
    fn missing_top_level_file() {
        let e = load_file(Path::new("/nonexistent/coraza/x.conf")).unwrap_err();
        assert!(e.location.is_none());
        assert!(
            e.message
                .starts_with("cannot read /nonexistent/coraza/x.conf: "),
            "{e}"
        );
    }

    #[test]
    fn include_cycle_is_an_error() {
        let s = Scratch::new("cycle");
        let a = s.write("a.conf", "SecMarker A\nInclude b.conf\n");
        s.write("b.conf", "SecMarker B\n\nInclude a.conf\n");
        let e = load_file(&a).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "{}:3:1: Include cycle: {} is already being loaded",
                s.path("b.conf"),
                s.path("a.conf")
            )
        );
    }

    #[test]
    fn self_include_from_inline_text() {
        let s = Scratch::new("self");
        s.write("me.conf", "Include me.conf\n");
        let e = load_str("Include me.conf", "<inline>", &s.0).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "{}:1:1: Include cycle: {} is already being loaded",
                s.path("me.conf"),
                s.path("me.conf")
            )
        );
    }

    #[test]
    fn include_depth_is_limited() {
        let s = Scratch::new("depth");
        for i in 0..=MAX_INCLUDE_DEPTH + 1 {
            s.write(&format!("f{i}.conf"), &format!("Include f{}.conf\n", i + 1));
        }
        let e = load_str("Include f0.conf", "<inline>", &s.0).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "{}:1:1: Include nested deeper than 100 levels: `{}`",
                s.path("f99.conf"),
                s.path("f100.conf")
            )
        );
    }

    #[test]
    fn include_argument_count() {
        let e = load_str("\nInclude", "<inline>", Path::new(".")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "<inline>:2:1: Include takes one path, got 0 arguments"
        );
        let e = load_str("Include a b", "<inline>", Path::new(".")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "<inline>:1:1: Include takes one path, got 2 arguments"
        );
        let e = load_str("Include \"\"", "<inline>", Path::new(".")).unwrap_err();
        assert_eq!(e.to_string(), "<inline>:1:1: Include with an empty path");
    }

    #[test]
    fn syntax_error_in_included_file_has_its_location() {
        let s = Scratch::new("syntax");
        s.write("bad.conf", "SecMarker ok\nSecRule ARGS \"@rx a\n");
        let e = load_str("Include bad.conf", "<inline>", &s.0).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "{}:2:14: unterminated double-quoted argument: `\"@rx a`",
                s.path("bad.conf")
            )
        );
    }
}
