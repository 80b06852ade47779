//! An application's directives -> a compiled [`coraza::Waf`].
//!
//! coraza-spoa ships the recommended configuration and the CRS inside its
//! binary and lets directives name them with `@`: `Include
//! @coraza.conf-recommended`, `Include @crs-setup.conf.example`, `Include
//! @owasp_crs/*.conf`. We map those names to [`coraza::RECOMMENDED_CONF`]
//! and to files of a CRS checkout (`--crs-dir`, `$CRS_DIR`, else
//! `../shared/crs`). Top-level `Include` lines become builder sources (globs
//! expanded, relative paths resolved from the configuration file); the text
//! between them keeps its line numbers so engine errors point at the right
//! line of the `directives` block.

use std::path::{Path, PathBuf};

/// One input of the rule set, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// Directive text, padded with empty lines so line numbers match.
    Text(String),
    /// The embedded recommended configuration.
    Recommended,
    /// A file or glob pattern.
    File(PathBuf),
}

/// The CRS directory: `cli`, else `$CRS_DIR`, else `../shared/crs`.
pub fn crs_dir(cli: Option<&Path>) -> PathBuf {
    if let Some(p) = cli {
        return p.to_path_buf();
    }
    match std::env::var_os("CRS_DIR") {
        Some(v) if !v.is_empty() => PathBuf::from(v),
        _ => PathBuf::from("../shared/crs"),
    }
}

/// The argument of an `Include` line, if `line` is one.
fn include_arg(line: &str) -> Option<&str> {
    let t = line.trim();
    let (kw, rest) = t.split_at(t.find(char::is_whitespace)?);
    if !kw.eq_ignore_ascii_case("include") {
        return None;
    }
    let rest = rest.trim();
    let unquoted = rest
        .strip_prefix('"')
        .and_then(|r| r.strip_suffix('"'))
        .or_else(|| rest.strip_prefix('\'').and_then(|r| r.strip_suffix('\'')))
        .unwrap_or(rest);
    Some(unquoted)
}

/// Splits directives into sources, resolving `@` names and relative paths.
pub fn split_sources(directives: &str, crs: &Path, base_dir: &Path) -> Result<Vec<Source>, String> {
    let mut out = Vec::new();
    let mut text = String::new();
    let mut has_text = false;
    for (i, line) in directives.lines().enumerate() {
        let Some(arg) = include_arg(line) else {
            has_text |= !line.trim().is_empty();
            text.push_str(line);
            text.push('\n');
            continue;
        };
        if has_text {
            out.push(Source::Text(std::mem::take(&mut text)));
            has_text = false;
        }
        // Keep the following text's line numbers: pad to this line.
        text = "\n".repeat(i + 1);
        let source = if let Some(name) = arg.strip_prefix('@') {
            if name == "coraza.conf-recommended" {
                Source::Recommended
            } else if name == "crs-setup.conf.example" {
                Source::File(crs.join("crs-setup.conf.example"))
            } else if let Some(rest) = name.strip_prefix("owasp_crs/") {
                Source::File(crs.join("rules").join(rest))
            } else {
                return Err(format!(
                    "line {}: unknown embedded file `@{name}` (known: @coraza.conf-recommended, @crs-setup.conf.example, @owasp_crs/...)",
                    i + 1
                ));
            }
        } else {
            let p = Path::new(arg);
            Source::File(if p.is_absolute() {
                p.to_path_buf()
            } else {
                base_dir.join(p)
            })
        };
        out.push(source);
    }
    if has_text {
        out.push(Source::Text(text));
    }
    Ok(out)
}

/// Compiles an application's directives.
pub fn build_waf(
    directives: &str,
    origin: &str,
    crs: &Path,
    base_dir: &Path,
) -> Result<coraza::Waf, String> {
    let mut b = coraza::Waf::builder();
    for s in split_sources(directives, crs, base_dir).map_err(|e| format!("{origin}: {e}"))? {
        b = match s {
            Source::Text(t) => b.directives_from(&t, origin, base_dir),
            Source::Recommended => b.directives_from(
                coraza::RECOMMENDED_CONF,
                "@coraza.conf-recommended",
                base_dir,
            ),
            Source::File(p) => b.file(p),
        };
    }
    b.build().map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_names_and_line_numbers() {
        let d = "SecRuleEngine DetectionOnly\nInclude @coraza.conf-recommended\ninclude \"@crs-setup.conf.example\"\n  Include @owasp_crs/*.conf\nInclude local/*.conf\nInclude /abs.conf\nSecRuleEngine On\n";
        let s = split_sources(d, Path::new("/crs"), Path::new("/etc/app")).unwrap();
        assert_eq!(
            s,
            vec![
                Source::Text("SecRuleEngine DetectionOnly\n".into()),
                Source::Recommended,
                Source::File("/crs/crs-setup.conf.example".into()),
                Source::File("/crs/rules/*.conf".into()),
                Source::File("/etc/app/local/*.conf".into()),
                Source::File("/abs.conf".into()),
                Source::Text("\n\n\n\n\n\nSecRuleEngine On\n".into()),
            ]
        );
        // The last text's directive sits on line 7, as in the original.
        if let Source::Text(t) = &s[6] {
            assert_eq!(t.lines().position(|l| !l.is_empty()), Some(6));
        }
    }

    #[test]
    fn unknown_embedded_name_is_an_error() {
        let e =
            split_sources("\nInclude @nope.conf\n", Path::new("/crs"), Path::new("/")).unwrap_err();
        assert!(e.contains("line 2") && e.contains("@nope.conf"), "{e}");
    }

    #[test]
    fn crs_dir_precedence() {
        assert_eq!(crs_dir(Some(Path::new("/x"))), PathBuf::from("/x"));
    }
}
