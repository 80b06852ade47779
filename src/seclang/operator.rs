//! A rule's operator: `@rx foo`, `!@pm a b`, or a bare pattern (implicit
//! `@rx`).
//!
//! Grammar: the `operator` rule of `seclang-grammar/seclang.pest`. As in
//! Coraza, the operator is named only when the text starts with `@` or `!@`;
//! anything else is an `@rx` pattern, and the argument is trimmed.

use pest::Parser;

use super::ast::OperatorSpec;
use super::grammar::{column_of, describe_error, Rule, SecLangParser};

/// Parses an operator string (the second argument of `SecRule`).
///
/// The argument is everything after the whitespace that follows the name,
/// with surrounding whitespace removed and inner whitespace kept.
///
/// ```
/// let op = coraza::seclang::parse_operator("!@pm  foo bar ").unwrap();
/// assert!(op.negated);
/// assert_eq!((op.name.as_str(), op.arg.as_str()), ("pm", "foo bar"));
/// let op = coraza::seclang::parse_operator("^admin$").unwrap();
/// assert_eq!((op.name.as_str(), op.arg.as_str()), ("rx", "^admin$"));
/// ```
pub fn parse_operator(s: &str) -> Result<OperatorSpec, String> {
    let pairs = SecLangParser::parse(Rule::operator, s)
        .map_err(|e| format!("invalid operator: {}", describe_error(s, &e)))?;
    let mut spec = OperatorSpec {
        negated: false,
        name: "rx".to_string(),
        arg: String::new(),
    };
    for p in pairs.flatten() {
        match p.as_rule() {
            Rule::op_negation => spec.negated = true,
            Rule::op_name => spec.name = p.as_str().to_string(),
            Rule::op_arg | Rule::op_implicit => spec.arg = p.as_str().trim().to_string(),
            Rule::bad_op_no_name => {
                let at = column_of(s, p.as_span().start());
                return Err(format!("missing operator name after `@` at column {at}"));
            }
            Rule::bad_op_name => {
                let at = column_of(s, p.as_span().start());
                let name: String = p
                    .as_str()
                    .split(|c: char| c.is_ascii_whitespace())
                    .next()
                    .unwrap_or("")
                    .chars()
                    .take(40)
                    .collect();
                return Err(format!("invalid operator name at column {at}: `{name}`"));
            }
            _ => {}
        }
    }
    Ok(spec)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(negated: bool, name: &str, arg: &str) -> OperatorSpec {
        OperatorSpec {
            negated,
            name: name.into(),
            arg: arg.into(),
        }
    }

    #[test]
    fn named_operators() {
        assert_eq!(parse_operator("@rx foo").unwrap(), op(false, "rx", "foo"));
        assert_eq!(parse_operator("!@rx foo").unwrap(), op(true, "rx", "foo"));
        assert_eq!(
            parse_operator("@unconditionalMatch").unwrap(),
            op(false, "unconditionalMatch", "")
        );
        assert_eq!(
            parse_operator("@pmFromFile  a.data ").unwrap(),
            op(false, "pmFromFile", "a.data")
        );
        assert_eq!(
            parse_operator("@rx a  b\tc").unwrap(),
            op(false, "rx", "a  b\tc")
        );
        assert_eq!(parse_operator("@eq\t0").unwrap(), op(false, "eq", "0"));
        assert_eq!(parse_operator("@streq ").unwrap(), op(false, "streq", ""));
    }

    #[test]
    fn implicit_rx() {
        assert_eq!(
            parse_operator("^foo bar$").unwrap(),
            op(false, "rx", "^foo bar$")
        );
        assert_eq!(parse_operator("!foo").unwrap(), op(true, "rx", "foo"));
        assert_eq!(parse_operator("!").unwrap(), op(true, "rx", ""));
        assert_eq!(parse_operator("").unwrap(), op(false, "rx", ""));
        // Only a leading `@` names an operator (Coraza).
        assert_eq!(parse_operator(" @rx a").unwrap(), op(false, "rx", "@rx a"));
        assert_eq!(parse_operator("a@rx").unwrap(), op(false, "rx", "a@rx"));
    }

    #[test]
    fn errors() {
        let cases = [
            ("@", "missing operator name after `@` at column 2"),
            ("@ foo", "missing operator name after `@` at column 2"),
            ("!@", "missing operator name after `@` at column 3"),
            ("@rx/a/ b", "invalid operator name at column 2: `rx/a/`"),
            ("@1rx a", "invalid operator name at column 2: `1rx`"),
        ];
        for (input, want) in cases {
            assert_eq!(parse_operator(input).unwrap_err(), want, "input {input:?}");
        }
    }
}
