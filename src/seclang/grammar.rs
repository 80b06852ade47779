//! The pest parser generated from `seclang-grammar/seclang.pest`, and the
//! helpers shared by the parsers built on it.

use pest::error::{ErrorVariant, InputLocation};
use pest::iterators::Pair;
use pest_derive::Parser;

/// Generated from the grammar file; `Rule` names its productions.
#[derive(Parser)]
#[grammar = "../seclang-grammar/seclang.pest"]
pub(crate) struct SecLangParser;

/// Byte offset of a pest error.
pub(crate) fn error_offset(e: &pest::error::Error<Rule>) -> usize {
    match e.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((p, _)) => p,
    }
}

/// 1-based character column of byte offset `pos` in `s`.
pub(crate) fn column_of(s: &str, pos: usize) -> usize {
    s.get(..pos).map_or(0, |p| p.chars().count()) + 1
}

/// Up to 20 characters of `s` from `pos`, or `end of input`.
pub(crate) fn found_at(s: &str, pos: usize) -> String {
    match s.get(pos..) {
        Some(rest) if !rest.is_empty() => {
            let mut t: String = rest.chars().take(20).collect();
            if t.len() < rest.len() {
                t.push('…');
            }
            format!("`{t}`")
        }
        _ => "end of input".to_string(),
    }
}

/// A readable message for a pest failure on `input` (which is what `e` was
/// produced from): what was expected, at which column, and what was found.
pub(crate) fn describe_error(input: &str, e: &pest::error::Error<Rule>) -> String {
    let pos = error_offset(e);
    let expected = match &e.variant {
        ErrorVariant::ParsingError { positives, .. } => {
            let mut names: Vec<&str> = positives.iter().filter_map(|r| describe_rule(*r)).collect();
            names.sort_unstable();
            names.dedup();
            match names.len() {
                0 => "valid syntax".to_string(),
                1 => names[0].to_string(),
                _ => {
                    let last = names.pop().unwrap_or_default();
                    format!("{} or {last}", names.join(", "))
                }
            }
        }
        ErrorVariant::CustomError { message } => message.clone(),
    };
    format!(
        "expected {expected} at column {}, found {}",
        column_of(input, pos),
        found_at(input, pos)
    )
}

fn describe_rule(r: Rule) -> Option<&'static str> {
    Some(match r {
        Rule::EOI => "end of input",
        Rule::var_name | Rule::xml_name | Rule::variable | Rule::plain_var | Rule::xml_var => {
            "a variable name"
        }
        Rule::var_modifier => "`!` or `&`",
        Rule::action | Rule::action_name => "an action name",
        Rule::op_name => "an operator name",
        Rule::directive_name => "a directive name",
        Rule::pipe => "`|`",
        Rule::comma => "`,`",
        Rule::colon => "`:`",
        _ => return None,
    })
}

/// Removes the backslash of each `\<quote>` pair; every other backslash is
/// kept, a `\\` pair included (so `\\"` never occurs as an escaped quote:
/// the grammar already paired the backslashes when it found the end).
pub(crate) fn unescape_quote(s: &str, quote: char) -> String {
    if !s.contains('\\') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some(n) if n == quote => out.push(n),
            Some(n) => {
                out.push('\\');
                out.push(n);
            }
            None => out.push('\\'),
        }
    }
    out
}

/// The first inner pair of `pair` with rule `rule`, searching depth-first.
pub(crate) fn find_inner<'i>(pair: &Pair<'i, Rule>, rule: Rule) -> Option<Pair<'i, Rule>> {
    pair.clone()
        .into_inner()
        .flatten()
        .find(|p| p.as_rule() == rule)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unescape_only_the_quote() {
        assert_eq!(unescape_quote(r#"a\"b"#, '"'), r#"a"b"#);
        assert_eq!(unescape_quote(r"\d+\\x", '"'), r"\d+\\x");
        assert_eq!(unescape_quote(r"\\\'", '\''), r"\\'");
        assert_eq!(unescape_quote(r"it\'s", '"'), r"it\'s");
        assert_eq!(unescape_quote("end\\", '"'), "end\\");
    }

    #[test]
    fn columns_count_characters() {
        assert_eq!(column_of("é|x", 3), 3);
        assert_eq!(column_of("abc", 0), 1);
        assert_eq!(found_at("abc", 3), "end of input");
        assert_eq!(found_at("abc", 1), "`bc`");
    }
}
