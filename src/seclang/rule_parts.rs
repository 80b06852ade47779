//! Parsers for the three arguments of `SecRule`: variables, operator, actions.

use pest::iterators::Pair;
use pest::Parser;

use super::ast::{ActionSpec, OperatorSpec, Selector, VariableSpec};
use super::grammar::{describe, Rule, SecLangParser};

fn err(kind: &str, text: &str, e: &pest::error::Error<Rule>) -> String {
    let (col, what) = describe(e);
    let shown: String = text.chars().take(120).collect();
    format!("invalid {kind} at column {col} ({what}) in {shown:?}")
}

fn unescape(s: &str, quote: char) -> String {
    s.replace(&format!("\\{quote}"), &quote.to_string())
}

/// Parses `ARGS|!ARGS:foo|&TX:bar|REQUEST_HEADERS:/^x-/|XML:/*`.
pub fn parse_variables(s: &str) -> Result<Vec<VariableSpec>, String> {
    let pairs =
        SecLangParser::parse(Rule::variables, s).map_err(|e| err("variable list", s, &e))?;
    let mut out = Vec::new();
    for p in pairs.flatten().filter(|p| p.as_rule() == Rule::variable) {
        out.push(variable(p));
    }
    Ok(out)
}

fn variable(p: Pair<'_, Rule>) -> VariableSpec {
    let mut v = VariableSpec {
        negated: false,
        count: false,
        name: String::new(),
        selector: None,
    };
    for part in p.into_inner() {
        match part.as_rule() {
            Rule::modifier => match part.as_str() {
                "!" => v.negated = true,
                _ => v.count = true,
            },
            Rule::var_name => v.name = part.as_str().to_ascii_uppercase(),
            Rule::regex_sel => {
                v.selector = Some(Selector::Regex(
                    part.into_inner().as_str().replace("\\/", "/"),
                ))
            }
            Rule::quoted_sel => {
                let inner = unescape(part.into_inner().as_str(), '\'');
                v.selector = Some(
                    match inner.strip_prefix('/').and_then(|r| r.strip_suffix('/')) {
                        Some(re) if !re.is_empty() && inner.len() > 2 => {
                            Selector::Regex(re.replace("\\/", "/"))
                        }
                        _ => Selector::Key(inner),
                    },
                );
            }
            Rule::key_sel => v.selector = Some(Selector::Key(part.as_str().to_string())),
            _ => {}
        }
    }
    v
}

/// Parses `@rx pattern`, `!@eq 0`, or a bare pattern (an implicit `@rx`).
pub fn parse_operator(s: &str) -> Result<OperatorSpec, String> {
    let pairs = SecLangParser::parse(Rule::operator, s).map_err(|e| err("operator", s, &e))?;
    let mut op = OperatorSpec {
        negated: false,
        name: "rx".into(),
        arg: String::new(),
    };
    for p in pairs.flatten() {
        match p.as_rule() {
            Rule::negation => op.negated = true,
            Rule::op_name => op.name = p.as_str().to_string(),
            Rule::op_arg | Rule::implicit_arg => op.arg = p.as_str().to_string(),
            _ => {}
        }
    }
    Ok(op)
}

/// Parses `id:1,phase:2,msg:'a, b',t:none`.
pub fn parse_actions(s: &str) -> Result<Vec<ActionSpec>, String> {
    let pairs = SecLangParser::parse(Rule::actions, s).map_err(|e| err("action list", s, &e))?;
    let mut out = Vec::new();
    for p in pairs.flatten().filter(|p| p.as_rule() == Rule::action) {
        let mut a = ActionSpec {
            name: String::new(),
            value: None,
        };
        for part in p.into_inner() {
            match part.as_rule() {
                Rule::action_name => a.name = part.as_str().to_ascii_lowercase(),
                Rule::quoted_value => a.value = Some(unescape(part.into_inner().as_str(), '\'')),
                Rule::bare_value => a.value = Some(part.as_str().to_string()),
                _ => {}
            }
        }
        out.push(a);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variable_lists() {
        let v = parse_variables("ARGS|!ARGS:foo|&TX:bar|REQUEST_HEADERS:/^x-.*$/|XML:/*|XML://@*")
            .unwrap();
        assert_eq!(v.len(), 6);
        assert!(v[1].negated && v[1].selector == Some(Selector::Key("foo".into())));
        assert!(v[2].count && v[2].name == "TX");
        assert_eq!(v[3].selector, Some(Selector::Regex("^x-.*$".into())));
        assert_eq!(v[4].selector, Some(Selector::Key("/*".into())));
        assert_eq!(v[5].selector, Some(Selector::Key("//@*".into())));
        let v = parse_variables("REQUEST_COOKIES:/a|b\\/c/ | ARGS:'/^id_/' |ARGS:'key'").unwrap();
        assert_eq!(v[0].selector, Some(Selector::Regex("a|b/c".into())));
        assert_eq!(v[1].selector, Some(Selector::Regex("^id_".into())));
        assert_eq!(v[2].selector, Some(Selector::Key("key".into())));
        assert_eq!(parse_variables("args").unwrap()[0].name, "ARGS");
    }

    #[test]
    fn bad_variable_lists() {
        for bad in ["ARGS|", "|ARGS", "ARGS:", "!!ARGS", "ARGS ARGS", ""] {
            assert!(parse_variables(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn operators() {
        let o = parse_operator("@rx ^a b$").unwrap();
        assert_eq!(
            (o.negated, o.name.as_str(), o.arg.as_str()),
            (false, "rx", "^a b$")
        );
        let o = parse_operator("!@eq 0").unwrap();
        assert_eq!(
            (o.negated, o.name.as_str(), o.arg.as_str()),
            (true, "eq", "0")
        );
        let o = parse_operator("@unconditionalMatch").unwrap();
        assert_eq!(
            (o.name.as_str(), o.arg.as_str()),
            ("unconditionalMatch", "")
        );
        let o = parse_operator("^bare pattern$").unwrap();
        assert_eq!((o.name.as_str(), o.arg.as_str()), ("rx", "^bare pattern$"));
        let o = parse_operator("!bare").unwrap();
        assert!(o.negated && o.arg == "bare");
        assert!(parse_operator("@").is_err());
        assert!(parse_operator("@ rx").is_err());
    }

    #[test]
    fn action_lists() {
        let a = parse_actions(
            "id:1, phase:2,msg:'a, b: c',setvar:'tx.x=%{tx.y}',t:none,\n  logdata:'Matched Data: %{TX.0} found within %{MATCHED_VAR_NAME}: %{MATCHED_VAR}',ctl:ruleRemoveTargetById=942100;ARGS:foo,msg:'it\\'s',nolog",
        )
        .unwrap();
        let names: Vec<_> = a.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(
            names,
            ["id", "phase", "msg", "setvar", "t", "logdata", "ctl", "msg", "nolog"]
        );
        assert_eq!(a[2].value.as_deref(), Some("a, b: c"));
        assert_eq!(a[3].value.as_deref(), Some("tx.x=%{tx.y}"));
        assert_eq!(
            a[5].value.as_deref(),
            Some("Matched Data: %{TX.0} found within %{MATCHED_VAR_NAME}: %{MATCHED_VAR}")
        );
        assert_eq!(
            a[6].value.as_deref(),
            Some("ruleRemoveTargetById=942100;ARGS:foo")
        );
        assert_eq!(a[7].value.as_deref(), Some("it's"));
        assert_eq!(a[8].value, None);
        assert_eq!(parse_actions("ID:5").unwrap()[0].name, "id");
    }

    #[test]
    fn bad_action_lists() {
        for bad in [
            "id:1,,phase:2",
            ",id:1",
            "msg:'unterminated",
            "msg:'a'b",
            "",
        ] {
            assert!(parse_actions(bad).is_err(), "{bad:?} accepted");
        }
    }
}
