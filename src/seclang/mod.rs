//! SecLang front end: text -> [`ast::Directive`]s (pest grammar in
//! `seclang-grammar/seclang.pest`), plus the parsers for a rule's variable
//! list, operator and action list.

pub mod ast;
mod grammar;
mod include;
mod lines;
mod rule_parts;

pub use include::{load_file, load_str};
pub use lines::parse_str;
pub use rule_parts::{parse_actions, parse_operator, parse_variables};
