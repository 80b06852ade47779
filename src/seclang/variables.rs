//! A rule's variable list: `ARGS|!ARGS:foo|&TX:bar|REQUEST_HEADERS:/^x-/`.
//!
//! Grammar: the `variables` rule of `seclang-grammar/seclang.pest`. Names
//! are upper-cased here; whether a name exists or may take a selector is the
//! compiler's business.

use pest::iterators::Pair;
use pest::Parser;

use super::ast::{Selector, VariableSpec};
use super::grammar::{column_of, describe_error, find_inner, unescape_quote, Rule, SecLangParser};

/// Parses a variable list.
///
/// Entries are separated by `|` (whitespace around it is fine). Each entry is
/// `[!|&]NAME[:selector]` where the selector is a bare key, a `'quoted key'`,
/// a `/regex/` or `'/regex/'` (the regex may contain `|` and `:`; `\/` is a
/// slash), or for `XML` an XPath expression.
///
/// ```
/// use coraza::seclang::{parse_variables, ast::Selector};
/// let v = parse_variables("ARGS|!args:foo|&TX:/^a|b/").unwrap();
/// assert_eq!(v[1].name, "ARGS");
/// assert!(v[1].negated);
/// assert_eq!(v[2].selector, Some(Selector::Regex("^a|b".into())));
/// ```
pub fn parse_variables(s: &str) -> Result<Vec<VariableSpec>, String> {
    let pairs = SecLangParser::parse(Rule::variables, s)
        .map_err(|e| format!("invalid variable list: {}", describe_error(s, &e)))?;
    let mut out = Vec::new();
    for p in pairs.flat_map(|p| p.into_inner()) {
        if p.as_rule() == Rule::variable {
            out.push(variable(s, p)?);
        }
    }
    Ok(out)
}

fn variable(input: &str, p: Pair<'_, Rule>) -> Result<VariableSpec, String> {
    let mut spec = VariableSpec {
        negated: false,
        count: false,
        name: String::new(),
        selector: None,
    };
    for part in p.into_inner().flatten() {
        let at = || column_of(input, part.as_span().start());
        match part.as_rule() {
            Rule::var_modifier => {
                spec.negated = part.as_str() == "!";
                spec.count = part.as_str() == "&";
            }
            Rule::var_name | Rule::xml_name => spec.name = part.as_str().to_ascii_uppercase(),
            Rule::sel_regex | Rule::sel_quoted_regex => {
                let body = find_inner(&part, Rule::regex_text).map_or("", |b| b.as_str());
                spec.selector = Some(Selector::Regex(unescape_quote(body, '/')));
            }
            Rule::sel_quoted_key => {
                let body = find_inner(&part, Rule::sq_text).map_or("", |b| b.as_str());
                spec.selector = Some(Selector::Key(unescape_quote(body, '\'')));
            }
            Rule::sel_key | Rule::sel_xpath => {
                spec.selector = Some(Selector::Key(part.as_str().to_string()));
            }
            Rule::bad_sel_regex => {
                return Err(format!(
                    "unterminated regex selector of {} at column {}: `{}`",
                    spec.name,
                    at(),
                    part.as_str()
                ))
            }
            Rule::bad_sel_quote => {
                return Err(format!(
                    "unterminated quoted selector of {} at column {}: `{}`",
                    spec.name,
                    at(),
                    part.as_str()
                ))
            }
            Rule::bad_sel_empty => {
                return Err(format!(
                    "empty selector after `{}:` at column {}",
                    spec.name,
                    at()
                ))
            }
            _ => {}
        }
    }
    Ok(spec)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(negated: bool, count: bool, name: &str, selector: Option<Selector>) -> VariableSpec {
        VariableSpec {
            negated,
            count,
            name: name.into(),
            selector,
        }
    }

    fn key(s: &str) -> Option<Selector> {
        Some(Selector::Key(s.into()))
    }

    fn rx(s: &str) -> Option<Selector> {
        Some(Selector::Regex(s.into()))
    }

    #[test]
    fn full_example() {
        let got = parse_variables(
            r"ARGS|!ARGS:foo|&TX:bar|REQUEST_HEADERS:/^x-.*$/|XML:/*|REQUEST_COOKIES:'/^sess/'|ARGS:'quoted key'|TX:/^MSC_/",
        )
        .unwrap();
        assert_eq!(
            got,
            vec![
                v(false, false, "ARGS", None),
                v(true, false, "ARGS", key("foo")),
                v(false, true, "TX", key("bar")),
                v(false, false, "REQUEST_HEADERS", rx("^x-.*$")),
                v(false, false, "XML", key("/*")),
                v(false, false, "REQUEST_COOKIES", rx("^sess")),
                v(false, false, "ARGS", key("quoted key")),
                v(false, false, "TX", rx("^MSC_")),
            ]
        );
    }

    #[test]
    fn regex_may_hold_pipes_colons_and_escaped_slashes() {
        let got = parse_variables(r"ARGS:/a|b:c\/d\d/|ARGS_NAMES").unwrap();
        assert_eq!(got[0], v(false, false, "ARGS", rx(r"a|b:c/d\d")));
        assert_eq!(got[1], v(false, false, "ARGS_NAMES", None));
    }

    #[test]
    fn whitespace_around_pipes_and_case() {
        let got = parse_variables("  args:Foo |\t!request_headers:User-Agent  ").unwrap();
        assert_eq!(got[0], v(false, false, "ARGS", key("Foo")));
        assert_eq!(got[1], v(true, false, "REQUEST_HEADERS", key("User-Agent")));
    }

    #[test]
    fn xpath_and_escapes_in_quoted_keys() {
        let got = parse_variables(r"XML://@*|xml:/a/b[@c='d']|ARGS:'it\'s'|XML").unwrap();
        assert_eq!(got[0], v(false, false, "XML", key("//@*")));
        assert_eq!(got[1], v(false, false, "XML", key("/a/b[@c='d']")));
        assert_eq!(got[2], v(false, false, "ARGS", key("it's")));
        assert_eq!(got[3], v(false, false, "XML", None));
    }

    #[test]
    fn keys_with_dots_and_colons() {
        let got = parse_variables("!ARGS_NAMES:json.profile|TX:a:b").unwrap();
        assert_eq!(got[0], v(true, false, "ARGS_NAMES", key("json.profile")));
        assert_eq!(got[1], v(false, false, "TX", key("a:b")));
    }

    #[test]
    fn errors() {
        let cases = [
            (
                "ARGS|",
                "invalid variable list: expected a variable name at column 6, found end of input",
            ),
            (
                "ARGS||ARGS_NAMES",
                "invalid variable list: expected a variable name at column 6, found `|ARGS_NAMES`",
            ),
            (
                "",
                "invalid variable list: expected a variable name at column 1, found end of input",
            ),
            (
                "ARGS:/unterminated",
                "unterminated regex selector of ARGS at column 6: `/unterminated`",
            ),
            (
                "ARGS:'open",
                "unterminated quoted selector of ARGS at column 6: `'open`",
            ),
            ("TX:|ARGS", "empty selector after `TX:` at column 4"),
            (
                "ARGS:/abc\\",
                "unterminated regex selector of ARGS at column 6: `/abc\\`",
            ),
            (
                "ARGS:/a/b",
                "invalid variable list: expected `|` or end of input at column 9, found `b`",
            ),
            (
                "!&ARGS",
                "invalid variable list: expected a variable name at column 2, found `&ARGS`",
            ),
            (
                "ARGS ARGS_NAMES",
                "invalid variable list: expected `|` or end of input at column 6, found `ARGS_NAMES`",
            ),
        ];
        for (input, want) in cases {
            assert_eq!(parse_variables(input).unwrap_err(), want, "input {input:?}");
        }
    }
}
