//! SecLang front end: text -> [`ast::Directive`]s (pest grammar in
//! `seclang-grammar/seclang.pest`), plus the parsers for a rule's variable
//! list, operator and action list.

pub mod ast;
