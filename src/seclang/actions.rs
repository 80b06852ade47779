//! A rule's action list: `id:1,phase:2,t:none,msg:'a, b',deny`.
//!
//! Grammar: the `actions` rule of `seclang-grammar/seclang.pest`. Names are
//! lower-cased; values are kept as written except that a value wholly in
//! single quotes loses them and its `\'` become `'`.

use pest::iterators::Pair;
use pest::Parser;

use super::ast::ActionSpec;
use super::grammar::{column_of, describe_error, find_inner, unescape_quote, Rule, SecLangParser};

/// Parses a comma-separated action list.
///
/// Each item is `name` or `name:value`. A value is either `'quoted'` (commas
/// allowed inside, `\'` for a quote) or runs to the next comma (a quoted
/// stretch inside it, as in `setvar:tx.a='x,y'`, does not end it); surrounding
/// whitespace, newlines included, is ignored. An all-blank list is empty.
///
/// ```
/// let a = coraza::seclang::parse_actions("id:1, T:urlDecodeUni ,msg:'a, b'").unwrap();
/// assert_eq!(a[1].name, "t");
/// assert_eq!(a[1].value.as_deref(), Some("urlDecodeUni"));
/// assert_eq!(a[2].value.as_deref(), Some("a, b"));
/// ```
pub fn parse_actions(s: &str) -> Result<Vec<ActionSpec>, String> {
    let pairs = SecLangParser::parse(Rule::actions, s)
        .map_err(|e| format!("invalid action list: {}", describe_error(s, &e)))?;
    let mut out = Vec::new();
    for p in pairs.flat_map(|p| p.into_inner()) {
        match p.as_rule() {
            Rule::action => out.push(action(s, p)?),
            Rule::bad_empty_action => {
                let at = column_of(s, p.as_span().start());
                return Err(format!("empty action at column {at}"));
            }
            _ => {}
        }
    }
    Ok(out)
}

fn action(input: &str, p: Pair<'_, Rule>) -> Result<ActionSpec, String> {
    let mut spec = ActionSpec {
        name: String::new(),
        value: None,
    };
    for part in p.into_inner() {
        let at = || column_of(input, part.as_span().start());
        match part.as_rule() {
            Rule::action_name => spec.name = part.as_str().to_ascii_lowercase(),
            Rule::quoted_value => {
                if let Some(junk) = find_inner(&part, Rule::bad_after_value) {
                    let text = junk.as_str().trim_start();
                    let at = column_of(input, junk.as_span().end() - text.len());
                    return Err(format!(
                        "unexpected text after the quoted value of `{}` at column {at}: `{}`",
                        spec.name,
                        text.trim_end()
                    ));
                }
                let body = find_inner(&part, Rule::sq_text).map_or("", |b| b.as_str());
                spec.value = Some(unescape_quote(body, '\''));
            }
            Rule::bare_value => spec.value = Some(part.as_str().trim_end().to_string()),
            Rule::bad_value_unterminated => return Err(unterminated(input, &spec.name, &part)),
            Rule::bad_empty_value => {
                return Err(format!(
                    "missing value after `{}:` at column {}",
                    spec.name,
                    at()
                ))
            }
            _ => {}
        }
    }
    Ok(spec)
}

fn unterminated(input: &str, name: &str, p: &Pair<'_, Rule>) -> String {
    let at = column_of(input, p.as_span().start());
    let text: String = p.as_str().chars().take(60).collect();
    format!("unterminated quote in the value of `{name}` at column {at}: `{text}`")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(name: &str, value: Option<&str>) -> ActionSpec {
        ActionSpec {
            name: name.into(),
            value: value.map(Into::into),
        }
    }

    #[test]
    fn names_values_and_quotes() {
        let got = parse_actions(
            "id:1,Phase:2,t:none,t:urlDecodeUni,msg:'a, b',setvar:'tx.x=%{tx.y}',deny,\
             logdata:'Matched Data: %{TX.0} found within %{MATCHED_VAR_NAME}: %{MATCHED_VAR}'",
        )
        .unwrap();
        assert_eq!(
            got,
            vec![
                a("id", Some("1")),
                a("phase", Some("2")),
                a("t", Some("none")),
                a("t", Some("urlDecodeUni")),
                a("msg", Some("a, b")),
                a("setvar", Some("tx.x=%{tx.y}")),
                a("deny", None),
                a(
                    "logdata",
                    Some("Matched Data: %{TX.0} found within %{MATCHED_VAR_NAME}: %{MATCHED_VAR}")
                ),
            ]
        );
    }

    #[test]
    fn unquoted_values_run_to_the_comma() {
        let got = parse_actions(
            "ctl:ruleRemoveTargetById=942100;ARGS:foo,setvar:tx.a='x,y',skipAfter:END-X,msg:a b",
        )
        .unwrap();
        assert_eq!(
            got,
            vec![
                a("ctl", Some("ruleRemoveTargetById=942100;ARGS:foo")),
                a("setvar", Some("tx.a='x,y'")),
                a("skipafter", Some("END-X")),
                a("msg", Some("a b")),
            ]
        );
    }

    #[test]
    fn escapes_in_quoted_values() {
        let got = parse_actions(r"msg:'lama\'s\'hell',msg:'a\d\\'").unwrap();
        assert_eq!(got[0], a("msg", Some("lama's'hell")));
        assert_eq!(got[1], a("msg", Some(r"a\d\\")));
    }

    #[test]
    fn whitespace_and_newlines_between_actions() {
        let got = parse_actions("\n  id:1 ,\n\tphase : 2,\r\n msg: 'x' , pass \n").unwrap();
        assert_eq!(
            got,
            vec![
                a("id", Some("1")),
                a("phase", Some("2")),
                a("msg", Some("x")),
                a("pass", None),
            ]
        );
        assert_eq!(parse_actions("  ").unwrap(), vec![]);
        assert_eq!(parse_actions("msg:''").unwrap(), vec![a("msg", Some(""))]);
        assert_eq!(
            parse_actions(r"msg:a\,b\").unwrap(),
            vec![a("msg", Some(r"a\,b\"))]
        );
    }

    #[test]
    fn errors() {
        let cases = [
            ("id:1,,deny", "empty action at column 6"),
            ("id:1,", "empty action at column 6"),
            (",id:1", "empty action at column 1"),
            (
                "msg:'abc,id:1",
                "unterminated quote in the value of `msg` at column 5: `'abc,id:1`",
            ),
            (
                "setvar:tx.a='x,id:1",
                "unterminated quote in the value of `setvar` at column 13: `'x,id:1`",
            ),
            (
                "msg:'a'b,id:1",
                "unexpected text after the quoted value of `msg` at column 8: `b`",
            ),
            ("id:,deny", "missing value after `id:` at column 4"),
            ("id:", "missing value after `id:` at column 4"),
            (
                "msg:'abc\\",
                "unterminated quote in the value of `msg` at column 5: `'abc\\`",
            ),
            (
                "msg:a'b,c",
                "unterminated quote in the value of `msg` at column 6: `'b,c`",
            ),
            (
                "id:1,-x",
                "invalid action list: expected an action name at column 6, found `-x`",
            ),
            (
                "deny pass",
                "invalid action list: expected `,`, `:` or end of input at column 6, found `pass`",
            ),
        ];
        for (input, want) in cases {
            assert_eq!(parse_actions(input).unwrap_err(), want, "input {input:?}");
        }
    }
}
