//! Logical lines (comments, `\` continuations) and directive arguments.

use std::sync::Arc;

use pest::Parser;

use super::ast::{Directive, Location};
use super::grammar::{describe, Rule, SecLangParser};
use crate::Error;

/// One logical line: the joined text and where each physical piece starts.
struct Logical {
    text: String,
    /// (byte offset in `text`, physical line number)
    pieces: Vec<(usize, usize)>,
}

impl Logical {
    fn line_of(&self, offset: usize) -> usize {
        self.pieces
            .iter()
            .rev()
            .find(|(o, _)| *o <= offset)
            .map(|(_, l)| *l)
            .unwrap_or(self.pieces[0].1)
    }
}

fn logical_lines(text: &str) -> Vec<Logical> {
    let mut out = Vec::new();
    let mut cur: Option<Logical> = None;
    for (i, raw) in text.split('\n').enumerate() {
        let n = i + 1;
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        let continued = line.ends_with('\\');
        let body = if continued {
            &line[..line.len() - 1]
        } else {
            line
        };
        match cur.as_mut() {
            Some(l) => {
                l.pieces.push((l.text.len(), n));
                l.text.push_str(body);
            }
            None => {
                let t = body.trim_start();
                if t.is_empty() && !continued || t.starts_with('#') {
                    // Comments never continue onto the next line in ModSecurity's reader
                    // unless they end in `\`; skip them whole either way.
                    if t.starts_with('#') && continued {
                        cur = Some(Logical {
                            text: "#".into(),
                            pieces: vec![(0, n)],
                        });
                    }
                    continue;
                }
                cur = Some(Logical {
                    text: body.to_string(),
                    pieces: vec![(0, n)],
                });
            }
        }
        if !continued {
            if let Some(l) = cur.take() {
                if !l.text.trim_start().starts_with('#') && !l.text.trim().is_empty() {
                    out.push(l);
                }
            }
        }
    }
    if let Some(l) = cur.take() {
        if !l.text.trim_start().starts_with('#') && !l.text.trim().is_empty() {
            out.push(l);
        }
    }
    out
}

/// Removes the backslash of `\<quote>` escapes; every other backslash stays
/// (regexes need `\d`, `\\`).
fn unescape(s: &str, quote: char) -> String {
    let mut out = String::with_capacity(s.len());
    let mut it = s.chars().peekable();
    while let Some(c) = it.next() {
        if c == '\\' && it.peek() == Some(&quote) {
            continue;
        }
        out.push(c);
    }
    out
}

/// Parses configuration text into directives (no `Include` expansion).
pub fn parse_str(text: &str, origin: &str) -> Result<Vec<Directive>, Error> {
    let file: Arc<str> = Arc::from(origin);
    let mut out = Vec::new();
    for l in logical_lines(text) {
        let first_col = l.text.len() - l.text.trim_start().len() + 1;
        let start = Location {
            file: file.clone(),
            line: l.pieces[0].1,
            column: first_col,
        };
        let mut pairs = match SecLangParser::parse(Rule::directive, &l.text) {
            Ok(p) => p,
            Err(e) => {
                let offset = match e.location {
                    pest::error::InputLocation::Pos(p) => p,
                    pest::error::InputLocation::Span((p, _)) => p,
                };
                let (_, what) = describe(&e);
                let rest = &l.text[offset.min(l.text.len())..];
                let msg = if rest.starts_with('"') || rest.starts_with('\'') {
                    "unterminated quoted argument".to_string()
                } else {
                    format!("syntax error: {what}")
                };
                let piece_start = l
                    .pieces
                    .iter()
                    .rev()
                    .find(|(o, _)| *o <= offset)
                    .map(|(o, _)| *o)
                    .unwrap_or(0);
                let loc = Location {
                    file: file.clone(),
                    line: l.line_of(offset),
                    column: offset - piece_start + 1,
                };
                return Err(Error::at(&loc, msg).with_snippet(rest));
            }
        };
        let directive = pairs.next().expect("directive rule always yields a pair");
        let mut name = String::new();
        let mut args = Vec::new();
        for p in directive.into_inner() {
            match p.as_rule() {
                Rule::name => name = p.as_str().to_string(),
                Rule::dq_arg => args.push(unescape(p.into_inner().as_str(), '"')),
                Rule::sq_arg => args.push(unescape(p.into_inner().as_str(), '\'')),
                Rule::bare_arg => args.push(p.as_str().to_string()),
                _ => {}
            }
        }
        out.push(Directive {
            name,
            args,
            location: start,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(s: &str) -> Directive {
        let mut v = parse_str(s, "t.conf").unwrap();
        assert_eq!(v.len(), 1, "{v:?}");
        v.remove(0)
    }

    #[test]
    fn quoting_forms() {
        let d = one(r#"SecRule ARGS "@rx a\"b\d" 'id:1,msg:\'x\''"#);
        assert_eq!(d.name, "SecRule");
        assert_eq!(d.args, vec!["ARGS", r#"@rx a"b\d"#, "id:1,msg:'x'"]);
        let d = one("SecRuleEngine   On  ");
        assert_eq!(d.args, vec!["On"]);
    }

    #[test]
    fn continuations_comments_and_lines() {
        let text = "# comment\n\nSecRule ARGS \\\n    \"@rx x\" \\\n    \"id:1\"\n  # indented comment\nSecMarker END\r\n";
        let v = parse_str(text, "t.conf").unwrap();
        assert_eq!(v.len(), 2);
        assert_eq!(v[0].location.line, 3);
        assert_eq!(v[0].args, vec!["ARGS", "@rx x", "id:1"]);
        assert_eq!(v[1].location.line, 7);
        assert_eq!(v[1].args, vec!["END"]);
    }

    #[test]
    fn unterminated_quote_names_the_line() {
        let e = parse_str("SecAction \"id:1\"\n\nSecRule ARGS \"@rx x", "f.conf").unwrap_err();
        let s = e.to_string();
        assert!(s.starts_with("f.conf:3:"), "{s}");
        assert!(s.contains("unterminated"), "{s}");
        let e = parse_str("SecRule ARGS \\\n \"@rx x\" \\\n \"id:1", "f.conf").unwrap_err();
        assert!(e.to_string().starts_with("f.conf:3:"), "{e}");
    }
}
