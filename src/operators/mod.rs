//! Operators (`@rx`, `@pm`, ...): one file per operator and the registry that
//! maps SecLang names to them.

use std::collections::HashMap;
use std::path::Path;

use crate::macros::MacroResolver;

/// What an operator needs at load time.
pub struct OperatorInit<'a> {
    /// Operator name as written, without `@` (case-insensitive lookup).
    pub name: &'a str,
    /// Argument as written (macros not yet expanded).
    pub arg: &'a str,
    /// Directory of the rule file, where data files (`@pmFromFile`) are found.
    pub rule_dir: &'a Path,
    /// Datasets declared with `SecDataset` (for `@pmFromDataset` / `@ipMatchFromDataset`).
    pub datasets: &'a HashMap<String, Vec<String>>,
}

/// Per-evaluation context.
pub struct OpContext<'a> {
    /// Expands `%{...}` in operator arguments.
    pub macros: &'a dyn MacroResolver,
    /// Present when the rule has `capture`: operators that capture push up to
    /// ten entries (index 0 = whole match), which become TX.0..TX.9.
    pub captures: Option<&'a mut Vec<Vec<u8>>>,
}

/// A compiled operator.
pub trait Operator: Send + Sync + std::fmt::Debug {
    /// True when `input` matches (before the rule's `!` negation).
    fn evaluate(&self, ctx: &mut OpContext<'_>, input: &[u8]) -> bool;
}

/// Builds the operator named in `init`, or explains why it cannot.
pub fn build(init: &OperatorInit<'_>) -> Result<Box<dyn Operator>, String> {
    let _ = init;
    Err("operators not implemented yet".into())
}
