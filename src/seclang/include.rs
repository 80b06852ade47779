//! `Include` expansion: relative to the including file, globs in sorted order,
//! a depth limit against cycles.

use std::path::{Path, PathBuf};

use super::ast::{Directive, Location};
use super::lines::parse_str;
use crate::Error;

const MAX_DEPTH: usize = 64;

/// Reads and parses `path`, expanding `Include`s.
pub fn load_file(path: &Path) -> Result<Vec<Directive>, Error> {
    let mut out = Vec::new();
    file(path, None, 0, &mut out)?;
    Ok(out)
}

/// Parses `text` (named `origin` in errors), expanding `Include`s relative to `base_dir`.
pub fn load_str(text: &str, origin: &str, base_dir: &Path) -> Result<Vec<Directive>, Error> {
    let mut out = Vec::new();
    expand(parse_str(text, origin)?, base_dir, 0, &mut out)?;
    Ok(out)
}

fn file(
    path: &Path,
    from: Option<&Location>,
    depth: usize,
    out: &mut Vec<Directive>,
) -> Result<(), Error> {
    let text = std::fs::read(path).map_err(|e| {
        let msg = format!("cannot read {}: {e}", path.display());
        match from {
            Some(l) => Error::at(l, msg),
            None => Error::msg(msg),
        }
    })?;
    let text = String::from_utf8_lossy(&text);
    let dir = path.parent().unwrap_or(Path::new("."));
    expand(parse_str(&text, &path.to_string_lossy())?, dir, depth, out)
}

fn expand(
    directives: Vec<Directive>,
    dir: &Path,
    depth: usize,
    out: &mut Vec<Directive>,
) -> Result<(), Error> {
    for d in directives {
        if !d.name.eq_ignore_ascii_case("include") {
            out.push(d);
            continue;
        }
        if depth >= MAX_DEPTH {
            return Err(Error::at(
                &d.location,
                format!("Include nested more than {MAX_DEPTH} deep (an include cycle?)"),
            ));
        }
        let Some(target) = d.args.first().filter(|_| d.args.len() == 1) else {
            return Err(Error::at(&d.location, "Include takes exactly one path"));
        };
        let p = Path::new(target);
        let full: PathBuf = if p.is_absolute() {
            p.to_path_buf()
        } else {
            dir.join(p)
        };
        let s = full.to_string_lossy().into_owned();
        if s.contains(['*', '?', '[']) {
            let mut files: Vec<PathBuf> = glob::glob(&s)
                .map_err(|e| {
                    Error::at(
                        &d.location,
                        format!("invalid Include pattern {target:?}: {e}"),
                    )
                })?
                .filter_map(Result::ok)
                .collect();
            files.sort();
            if files.is_empty() {
                return Err(Error::at(
                    &d.location,
                    format!("Include {target:?}: no file matches"),
                ));
            }
            for f in files {
                file(&f, Some(&d.location), depth + 1, out)?;
            }
        } else {
            file(&full, Some(&d.location), depth + 1, out)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("seclang-include-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn relative_includes_and_globs() {
        let d = tmp("rel");
        std::fs::create_dir_all(d.join("sub")).unwrap();
        std::fs::write(d.join("main.conf"), "Include sub/*.conf\nSecMarker M\n").unwrap();
        std::fs::write(d.join("sub/b.conf"), "SecMarker B\n").unwrap();
        std::fs::write(d.join("sub/a.conf"), "Include ../leaf.conf\nSecMarker A\n").unwrap();
        std::fs::write(d.join("leaf.conf"), "\nSecMarker LEAF\n").unwrap();
        let v = load_file(&d.join("main.conf")).unwrap();
        let names: Vec<_> = v.iter().map(|d| d.args[0].as_str()).collect();
        assert_eq!(names, ["LEAF", "A", "B", "M"]);
        assert_eq!(v[0].location.line, 2);
        assert!(v[0].location.file.ends_with("leaf.conf"));
    }

    #[test]
    fn missing_include_and_cycles_are_errors() {
        let d = tmp("err");
        std::fs::write(d.join("a.conf"), "\nInclude nothere.conf\n").unwrap();
        let e = load_file(&d.join("a.conf")).unwrap_err().to_string();
        assert!(e.contains("a.conf:2:") && e.contains("nothere.conf"), "{e}");
        std::fs::write(d.join("c1.conf"), "Include c2.conf\n").unwrap();
        std::fs::write(d.join("c2.conf"), "Include c1.conf\n").unwrap();
        let e = load_file(&d.join("c1.conf")).unwrap_err().to_string();
        assert!(e.contains("cycle"), "{e}");
        let e = load_str("Include *.nomatch", "<inline>", &d)
            .unwrap_err()
            .to_string();
        assert!(e.contains("no file matches"), "{e}");
    }
}
