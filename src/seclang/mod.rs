//! SecLang front end: text -> [`ast::Directive`]s (pest grammar in
//! `seclang-grammar/seclang.pest`), plus the parsers for a rule's variable
//! list, operator and action list.
//!
//! - [`parse_str`] turns one text into directives (comments, continuations,
//!   quoting); [`load_file`] / [`load_str`] do the same and expand `Include`.
//! - [`parse_variables`], [`parse_operator`] and [`parse_actions`] split the
//!   arguments of `SecRule` / `SecAction` into their parts. They return a
//!   plain message; the caller adds the directive's location.

mod actions;
pub mod ast;
mod grammar;
mod include;
mod operator;
mod parser;
mod variables;

#[cfg(test)]
mod crs_tests;

pub use actions::parse_actions;
pub use include::{load_file, load_str, MAX_INCLUDE_DEPTH};
pub use operator::parse_operator;
pub use parser::parse_str;
pub use variables::parse_variables;

#[cfg(test)]
mod robustness_tests {
    //! Arbitrary input must give a result or an error, never a panic.

    use super::*;

    use crate::test_rng::Rng;

    const PIECES: &[&str] = &[
        "\"", "'", "\\", "/", "|", ":", ",", "!", "&", "@", " ", "\t", "\n", "\r", "#", "é",
        "\u{0}", "SecRule", "ARGS", "XML", "rx", "id", "msg", "a", "1", "*", "[", "%{", "}",
    ];

    fn random_text(rng: &mut Rng) -> String {
        let len = rng.below(24);
        (0..len).map(|_| *rng.pick(PIECES)).collect()
    }

    #[test]
    fn random_inputs_never_panic() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        for _ in 0..20_000 {
            let t = random_text(&mut rng);
            let _ = parse_str(&t, "fuzz");
            let _ = parse_variables(&t);
            let _ = parse_operator(&t);
            let _ = parse_actions(&t);
        }
    }
}
