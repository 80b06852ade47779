//! The syntax tree the SecLang parser produces.

use std::fmt;
use std::sync::Arc;

/// Where a directive came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// File path as given (or an origin name such as `<inline>`).
    pub file: Arc<str>,
    /// 1-based line of the directive's first line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

/// One directive with its arguments unquoted (`SecRule ARGS "@rx a" "id:1"`
/// gives name `SecRule` and three arguments).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directive {
    /// Name as written.
    pub name: String,
    /// Arguments with quotes removed and `\"` / `\'` unescaped.
    pub args: Vec<String>,
    /// Where it starts.
    pub location: Location,
}

/// One entry of a rule's variable list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VariableSpec {
    /// `!VAR:key`: exclusion.
    pub negated: bool,
    /// `&VAR`: count.
    pub count: bool,
    /// Collection or variable name, upper-cased (`ARGS`, `REQUEST_HEADERS`, `TX`).
    pub name: String,
    /// What follows the `:`.
    pub selector: Option<Selector>,
}

/// A variable selector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selector {
    /// `ARGS:foo` (quotes removed) — also XPath for `XML:/*`.
    Key(String),
    /// `ARGS:/^id_/` — the regex between the slashes.
    Regex(String),
}

/// A rule operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperatorSpec {
    /// `!@rx`: negated.
    pub negated: bool,
    /// Name without `@` as written (`rx` when no operator is named).
    pub name: String,
    /// Argument (may be empty).
    pub arg: String,
}

/// One action of an action list (`id:1`, `t:none`, `msg:'a, b'`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionSpec {
    /// Action name, lower-cased.
    pub name: String,
    /// Value with surrounding quotes removed.
    pub value: Option<String>,
}
