//! SecLang text -> [`Directive`]s.
//!
//! Two steps. Physical lines are first folded into logical lines the way
//! Coraza does it: every line is trimmed, blank lines and `#` comment lines
//! are skipped (also in the middle of a continued directive), and a line
//! ending in `\` loses the backslash and is joined, without separator, to the
//! next kept line. Each logical line is then parsed by the `directive` rule
//! of the pest grammar into a name and its arguments.
//!
//! Every logical line remembers which physical line and column each of its
//! pieces came from, so an error deep inside a continued directive points at
//! the right place in the file.

use std::sync::Arc;

use pest::iterators::Pair;
use pest::Parser;

use super::ast::{Directive, Location};
use super::grammar::{
    describe_error, error_offset, find_inner, unescape_quote, Rule, SecLangParser,
};
use crate::Error;

/// Parses SecLang `text` into directives without expanding `Include`.
///
/// `origin` names the text in locations (a file path, or something like
/// `<inline>`). Arguments come back with their quotes removed and `\"` (in
/// double quotes) or `\'` (in single quotes) turned into the bare quote;
/// every other backslash is kept as written.
///
/// ```
/// let d = coraza::seclang::parse_str("SecRule ARGS \"@rx \\d\" \"id:1\"", "x.conf").unwrap();
/// assert_eq!(d[0].args, ["ARGS", "@rx \\d", "id:1"]);
/// ```
pub fn parse_str(text: &str, origin: &str) -> Result<Vec<Directive>, Error> {
    let file: Arc<str> = Arc::from(origin);
    let mut out = Vec::new();
    let mut pending: Option<Logical> = None;
    for (idx, raw) in text.split('\n').enumerate() {
        let line_no = idx + 1;
        let mut raw = raw.strip_suffix('\r').unwrap_or(raw);
        if idx == 0 {
            raw = raw.strip_prefix('\u{feff}').unwrap_or(raw);
        }
        let trimmed = raw.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let lead = raw.len() - raw.trim_start().len();
        let column = raw.get(..lead).map_or(0, |s| s.chars().count()) + 1;
        let logical = pending.get_or_insert_with(Logical::new);
        match trimmed.strip_suffix('\\') {
            Some(head) => logical.push(head, line_no, column),
            None => {
                logical.push(trimmed, line_no, column);
                if let Some(l) = pending.take() {
                    out.push(l.parse(&file)?);
                }
            }
        }
    }
    if let Some(l) = pending {
        let loc = l.location_of(&file, 0);
        return Err(Error::at(&loc, "line continuation at end of input").with_snippet(l.text));
    }
    Ok(out)
}

/// One directive's text after joining continued lines.
struct Logical {
    text: String,
    /// (byte offset in `text`, physical line, column of that piece).
    pieces: Vec<(usize, usize, usize)>,
}

impl Logical {
    fn new() -> Logical {
        Logical {
            text: String::new(),
            pieces: Vec::new(),
        }
    }

    fn push(&mut self, s: &str, line: usize, column: usize) {
        self.pieces.push((self.text.len(), line, column));
        self.text.push_str(s);
    }

    /// The file position of byte `pos` of the joined text.
    fn location_of(&self, file: &Arc<str>, pos: usize) -> Location {
        let idx = self
            .pieces
            .iter()
            .rposition(|&(off, _, _)| off <= pos)
            .unwrap_or(0);
        let (off, line, col) = self.pieces.get(idx).copied().unwrap_or((0, 1, 1));
        let extra = self.text.get(off..pos).map_or(0, |s| s.chars().count());
        Location {
            file: file.clone(),
            line,
            column: col + extra,
        }
    }

    fn parse(self, file: &Arc<str>) -> Result<Directive, Error> {
        let text = self.text.as_str();
        let mut pairs = SecLangParser::parse(Rule::directive, text).map_err(|e| {
            let loc = self.location_of(file, error_offset(&e));
            Error::at(&loc, describe_error(text, &e)).with_snippet(text)
        })?;
        let top = pairs.next();
        let mut name = String::new();
        let mut args = Vec::new();
        for p in top.into_iter().flat_map(|p| p.into_inner()) {
            match p.as_rule() {
                Rule::directive_name => name = p.as_str().to_string(),
                Rule::dq_arg => args.push(self.quoted(file, &p, Rule::dq_text, '"')?),
                Rule::sq_arg => args.push(self.quoted(file, &p, Rule::sq_text, '\'')?),
                Rule::bare_arg => args.push(p.as_str().to_string()),
                Rule::bad_dq_unterminated => {
                    return Err(self.error_at(file, &p, "unterminated double-quoted argument"))
                }
                Rule::bad_sq_unterminated => {
                    return Err(self.error_at(file, &p, "unterminated single-quoted argument"))
                }
                _ => {}
            }
        }
        Ok(Directive {
            name,
            args,
            location: self.location_of(file, 0),
        })
    }

    fn quoted(
        &self,
        file: &Arc<str>,
        p: &Pair<'_, Rule>,
        body: Rule,
        quote: char,
    ) -> Result<String, Error> {
        if let Some(junk) = find_inner(p, Rule::bad_after_quote) {
            return Err(self.error_at(file, &junk, "unexpected text after closing quote"));
        }
        let inner = find_inner(p, body).map(|b| b.as_str()).unwrap_or("");
        Ok(unescape_quote(inner, quote))
    }

    fn error_at(&self, file: &Arc<str>, p: &Pair<'_, Rule>, msg: &str) -> Error {
        let loc = self.location_of(file, p.as_span().start());
        Error::at(&loc, msg).with_snippet(p.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> Directive {
        let mut d = parse_str(text, "t.conf").expect("parses");
        assert_eq!(d.len(), 1, "{d:?}");
        d.remove(0)
    }

    fn err(text: &str) -> String {
        parse_str(text, "t.conf")
            .expect_err("must fail")
            .to_string()
    }

    #[test]
    fn directive_with_quoted_and_bare_args() {
        let d = one(r#"SecRule ARGS:id "@rx ^\d+$" "id:1,phase:1,pass""#);
        assert_eq!(d.name, "SecRule");
        assert_eq!(d.args, ["ARGS:id", r"@rx ^\d+$", "id:1,phase:1,pass"]);
        assert_eq!(d.location.to_string(), "t.conf:1:1");
    }

    #[test]
    fn single_quoted_args_and_escapes() {
        let d = one(r#"SecRule 'ARGS' '@rx it\'s \"x\"' "msg:'say \"hi\"' \\d""#);
        assert_eq!(
            d.args,
            ["ARGS", r#"@rx it's \"x\""#, r#"msg:'say "hi"' \\d"#]
        );
    }

    #[test]
    fn backslashes_before_a_quote_pair_up() {
        // `\\"` ends the string: the two backslashes are a pair, kept as is.
        let d = one(r#"SecRule ARGS "@rx a\\" "id:1""#);
        assert_eq!(d.args, ["ARGS", r"@rx a\\", "id:1"]);
    }

    #[test]
    fn name_case_kept_and_empty_quotes() {
        let d = one(r#"secruleengine "" On"#);
        assert_eq!(d.name, "secruleengine");
        assert_eq!(d.args, ["", "On"]);
    }

    #[test]
    fn comments_blank_lines_and_locations() {
        let text =
            "# comment\n\n   SecRuleEngine On\r\n\t# indented comment\n  SecAction \"id:1\"  \n";
        let d = parse_str(text, "a.conf").unwrap();
        assert_eq!(d.len(), 2);
        assert_eq!(d[0].location.to_string(), "a.conf:3:4");
        assert_eq!(d[0].args, ["On"]);
        assert_eq!(d[1].location.to_string(), "a.conf:5:3");
        assert_eq!(d[1].args, ["id:1"]);
    }

    #[test]
    fn continuation_joins_trimmed_lines() {
        let text = "\nSecRule ARGS \"@rx a\" \\\n    \"id:1,\\\n    phase:2,\\\n    msg:'x y'\"\nSecMarker END";
        let d = parse_str(text, "c.conf").unwrap();
        assert_eq!(d.len(), 2);
        assert_eq!(d[0].args, ["ARGS", "@rx a", "id:1,phase:2,msg:'x y'"]);
        assert_eq!(d[0].location.line, 2);
        assert_eq!(d[1].location.line, 6);
        assert_eq!(d[1].args, ["END"]);
    }

    #[test]
    fn continuation_skips_comments_and_blank_lines() {
        // Coraza skips both inside a continued directive.
        let text = "SecAction \\\n# note\n\n  \"id:1\"";
        assert_eq!(one(text).args, ["id:1"]);
    }

    #[test]
    fn continuation_inside_quotes_keeps_trailing_space() {
        let text = "SecAction \"msg:'a \\\nb'\"";
        assert_eq!(one(text).args, ["msg:'a b'"]);
    }

    #[test]
    fn comment_ending_in_backslash_does_not_continue() {
        let d = parse_str("# note \\\nSecRuleEngine On\n", "t.conf").unwrap();
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].location.line, 2);
    }

    #[test]
    fn tabs_separate_arguments() {
        assert_eq!(one("SecRule\tARGS\t\"@rx a\"").args, ["ARGS", "@rx a"]);
    }

    #[test]
    fn bom_is_ignored() {
        assert_eq!(one("\u{feff}SecRuleEngine On").name, "SecRuleEngine");
    }

    #[test]
    fn error_unterminated_double_quote() {
        assert_eq!(
            err("SecRuleEngine On\nSecRule ARGS \"@rx a"),
            "t.conf:2:14: unterminated double-quoted argument: `\"@rx a`"
        );
    }

    #[test]
    fn error_unterminated_single_quote() {
        assert_eq!(
            err("\n\n  SecMarker 'abc"),
            "t.conf:3:13: unterminated single-quoted argument: `'abc`"
        );
    }

    #[test]
    fn error_escaped_quote_does_not_close() {
        assert_eq!(
            err(r#"SecRule ARGS "@rx a\" "id:1""#),
            r#"t.conf:1:24: unexpected text after closing quote: `id:1"`"#
        );
    }

    #[test]
    fn error_inside_continued_directive_points_at_physical_line() {
        let text = "SecRule ARGS \"@rx a\" \\\n    \"id:1,\\\n    msg:'x'\"junk";
        assert_eq!(
            err(text),
            "t.conf:3:13: unexpected text after closing quote: `junk`"
        );
    }

    #[test]
    fn error_continuation_at_end() {
        assert_eq!(
            err("SecRuleEngine On\n  SecAction \\\n"),
            "t.conf:2:3: line continuation at end of input: `SecAction `"
        );
    }
}
