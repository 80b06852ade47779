//! The subset of Go `text/template` (with Sprig functions) that go-ftw runs
//! over `data`: text, `{{ pipeline }}` actions with `{{-`/`-}}` trimming,
//! comments, string/raw-string/integer literals and the Sprig functions
//! `repeat`, `upper`, `lower`, `trim`, `b64enc`. Anything else is an error,
//! and go-ftw sends no body when the template fails.

use base64::Engine as _;

/// Largest body a template may produce (bounds memory on hostile input).
const MAX_OUTPUT: usize = 16 << 20;

#[derive(Debug, Clone, PartialEq)]
enum Val {
    Str(String),
    Int(i64),
}

impl Val {
    fn render(&self, out: &mut String) {
        match self {
            Val::Str(s) => out.push_str(s),
            Val::Int(i) => out.push_str(&i.to_string()),
        }
    }
}

/// Expands `text` as a Go template with no data.
pub fn render(text: &str) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let mut literal = &rest[..start];
        let after_open = &rest[start + 2..];
        // `{{- ` trims the whitespace before the action.
        let (body_start, trim_left) = if after_open.starts_with("- ")
            || after_open.starts_with("-\t")
            || after_open.starts_with("-\n")
            || after_open.starts_with("-\r")
        {
            (2, true)
        } else {
            (0, false)
        };
        if trim_left {
            literal = literal.trim_end_matches([' ', '\t', '\r', '\n']);
        }
        out.push_str(literal);
        let close = after_open
            .find("}}")
            .ok_or_else(|| "unclosed action".to_string())?;
        let mut action = &after_open[body_start..close];
        let mut trim_right = false;
        if action.ends_with(" -") || action.ends_with("\t-") || action.ends_with("\n-") {
            action = &action[..action.len() - 1];
            trim_right = true;
        }
        rest = &after_open[close + 2..];
        if trim_right {
            rest = rest.trim_start_matches([' ', '\t', '\r', '\n']);
        }
        let action = action.trim();
        if action.starts_with("/*") {
            if !action.ends_with("*/") {
                return Err("unclosed comment".into());
            }
            continue;
        }
        let v = eval_pipeline(action)?;
        v.render(&mut out);
        if out.len() > MAX_OUTPUT {
            return Err("template output too large".into());
        }
    }
    out.push_str(rest);
    Ok(out)
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Lit(Val),
    Ident(String),
    Pipe,
}

fn tokenize(s: &str) -> Result<Vec<Tok>, String> {
    let b = s.as_bytes();
    let mut toks = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_whitespace() {
            i += 1;
        } else if c == b'|' {
            toks.push(Tok::Pipe);
            i += 1;
        } else if c == b'"' {
            let mut val = String::new();
            i += 1;
            loop {
                let Some(&c) = b.get(i) else {
                    return Err("unterminated quoted string".into());
                };
                match c {
                    b'"' => {
                        i += 1;
                        break;
                    }
                    b'\\' => {
                        let e = b.get(i + 1).copied().ok_or("bad escape")?;
                        val.push(match e {
                            b'n' => '\n',
                            b't' => '\t',
                            b'r' => '\r',
                            b'\\' => '\\',
                            b'"' => '"',
                            _ => return Err(format!("unsupported escape \\{}", e as char)),
                        });
                        i += 2;
                    }
                    _ => {
                        // Copy one whole UTF-8 character.
                        let ch = s[i..].chars().next().ok_or("bad string")?;
                        val.push(ch);
                        i += ch.len_utf8();
                    }
                }
            }
            toks.push(Tok::Lit(Val::Str(val)));
        } else if c == b'`' {
            let end = s[i + 1..]
                .find('`')
                .ok_or("unterminated raw quoted string")?;
            toks.push(Tok::Lit(Val::Str(s[i + 1..i + 1 + end].to_string())));
            i += end + 2;
        } else if c.is_ascii_digit() || c == b'-' {
            let start = i;
            i += 1;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            let n: i64 = s[start..i]
                .parse()
                .map_err(|_| format!("bad number {:?}", &s[start..i]))?;
            toks.push(Tok::Lit(Val::Int(n)));
        } else if c.is_ascii_alphabetic() || c == b'_' {
            let start = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                i += 1;
            }
            toks.push(Tok::Ident(s[start..i].to_string()));
        } else {
            return Err(format!("unsupported template syntax near {:?}", &s[i..]));
        }
    }
    Ok(toks)
}

fn eval_pipeline(action: &str) -> Result<Val, String> {
    let toks = tokenize(action)?;
    if toks.is_empty() {
        return Err("missing value for command".into());
    }
    let mut prev: Option<Val> = None;
    for cmd in toks.split(|t| *t == Tok::Pipe) {
        let Some((head, args)) = cmd.split_first() else {
            return Err("missing command in pipeline".into());
        };
        let mut argv: Vec<Val> = Vec::new();
        for a in args {
            match a {
                Tok::Lit(v) => argv.push(v.clone()),
                _ => return Err("only literal arguments are supported".into()),
            }
        }
        if let Some(p) = prev.take() {
            argv.push(p);
        }
        prev = Some(match head {
            Tok::Lit(v) if argv.is_empty() => v.clone(),
            Tok::Lit(_) => return Err("can't give argument to non-function".into()),
            Tok::Ident(f) => call(f, &argv)?,
            Tok::Pipe => return Err("missing command in pipeline".into()),
        });
    }
    prev.ok_or_else(|| "empty pipeline".into())
}

fn call(name: &str, args: &[Val]) -> Result<Val, String> {
    let want = |n: usize| {
        if args.len() == n {
            Ok(())
        } else {
            Err(format!(
                "wrong number of args for {name}: want {n} got {}",
                args.len()
            ))
        }
    };
    let str_arg = |v: &Val| match v {
        Val::Str(s) => Ok(s.clone()),
        Val::Int(_) => Err(format!("{name}: expected a string argument")),
    };
    match name {
        "repeat" => {
            want(2)?;
            let Val::Int(n) = args[0] else {
                return Err("repeat: count must be an integer".into());
            };
            let s = str_arg(&args[1])?;
            let n = usize::try_from(n).map_err(|_| "repeat: negative count".to_string())?;
            if n.saturating_mul(s.len()) > MAX_OUTPUT {
                return Err("repeat: output too large".into());
            }
            Ok(Val::Str(s.repeat(n)))
        }
        "upper" => {
            want(1)?;
            Ok(Val::Str(str_arg(&args[0])?.to_uppercase()))
        }
        "lower" => {
            want(1)?;
            Ok(Val::Str(str_arg(&args[0])?.to_lowercase()))
        }
        "trim" => {
            want(1)?;
            Ok(Val::Str(str_arg(&args[0])?.trim().to_string()))
        }
        "b64enc" => {
            want(1)?;
            Ok(Val::Str(
                base64::engine::general_purpose::STANDARD.encode(str_arg(&args[0])?),
            ))
        }
        _ => Err(format!(
            "function {name:?} not defined (or not supported here)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_unchanged() {
        assert_eq!(render("a=b&c={d}").unwrap(), "a=b&c={d}");
        assert_eq!(render("").unwrap(), "");
    }

    #[test]
    fn repeat_as_in_920400() {
        assert_eq!(
            render("{{ \"1\" | repeat 5 }}\n").unwrap(),
            "11111\n".to_string()
        );
        let big = render("{{ \"1\" | repeat 64200 }}").unwrap();
        assert_eq!(big.len(), 64200);
        assert_eq!(render("x{{ repeat 2 `ab` }}y").unwrap(), "xababy");
    }

    #[test]
    fn trim_markers_comments_and_functions() {
        assert_eq!(render("a  {{- \"b\" -}}  c").unwrap(), "abc");
        assert_eq!(render("a{{/* c */}}b").unwrap(), "ab");
        assert_eq!(render("{{ \"x\" | upper }}").unwrap(), "X");
        assert_eq!(render("{{ 42 }}").unwrap(), "42");
    }

    #[test]
    fn errors_like_go() {
        // An SSTI payload is not a valid Go template: go-ftw drops the body.
        assert!(render("{{constructor.constructor('alert(1)')()}}").is_err());
        assert!(render("{{ 7*7 }}").is_err());
        assert!(render("{{ \"1\" | repeat }}").is_err());
        assert!(render("{{ nosuchfn 1 }}").is_err());
        assert!(render("{{ \"1\"").is_err());
        assert!(render("{{ \"1\" | repeat 999999999999 }}").is_err());
    }
}
