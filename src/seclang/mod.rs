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
