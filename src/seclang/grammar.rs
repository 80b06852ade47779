//! The pest parser generated from `seclang-grammar/seclang.pest`.

use pest_derive::Parser;

#[derive(Parser)]
#[grammar = "../seclang-grammar/seclang.pest"]
pub(crate) struct SecLangParser;

/// A pest error as one line: what was expected at which column.
pub(crate) fn describe(e: &pest::error::Error<Rule>) -> (usize, String) {
    let col = match e.line_col {
        pest::error::LineColLocation::Pos((_, c)) => c,
        pest::error::LineColLocation::Span((_, c), _) => c,
    };
    let what = match &e.variant {
        pest::error::ErrorVariant::ParsingError { positives, .. } => {
            let names: Vec<String> = positives.iter().map(|r| format!("{r:?}")).collect();
            if names.is_empty() {
                "unexpected text".to_string()
            } else {
                format!("expected {}", names.join(" or "))
            }
        }
        pest::error::ErrorVariant::CustomError { message } => message.clone(),
    };
    (col, what)
}
