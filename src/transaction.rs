//! The phase loop: a [`Transaction`] carries one HTTP exchange through the
//! five phases and records what the rules decided.

use std::sync::Arc;

use crate::rules::RuleSet;

/// What a disruptive rule asked the server to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InterruptionAction {
    /// Refuse with `status`.
    Deny,
    /// Close the connection.
    Drop,
    /// Redirect to `data` with `status` (302 unless set).
    Redirect,
}

impl InterruptionAction {
    /// SecLang name of the action (`deny`, `drop`, `redirect`).
    pub fn as_str(&self) -> &'static str {
        match self {
            InterruptionAction::Deny => "deny",
            InterruptionAction::Drop => "drop",
            InterruptionAction::Redirect => "redirect",
        }
    }
}

/// A decision to stop the transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interruption {
    /// Id of the rule that decided (the chain starter for chains).
    pub rule_id: u64,
    /// What to do.
    pub action: InterruptionAction,
    /// HTTP status to answer with.
    pub status: u16,
    /// Redirect target for [`InterruptionAction::Redirect`], else empty.
    pub data: String,
}

/// One variable a rule matched on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchedVar {
    /// Name as ModSecurity reports it (`ARGS:foo`, `REQUEST_HEADERS:User-Agent`).
    pub name: String,
    /// Value before transformations.
    pub value: Vec<u8>,
}

/// A rule that matched during the transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchedRule {
    /// Rule id (the chain starter's id for chains).
    pub id: u64,
    /// Phase it ran in.
    pub phase: u8,
    /// Rule file and line.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// Expanded `msg`.
    pub msg: String,
    /// Expanded `logdata`.
    pub data: String,
    /// Severity 0-7, when set.
    pub severity: Option<u8>,
    /// `tag` actions.
    pub tags: Vec<String>,
    /// `ver`.
    pub ver: String,
    /// `rev`.
    pub rev: String,
    /// `maturity`.
    pub maturity: Option<u8>,
    /// `accuracy`.
    pub accuracy: Option<u8>,
    /// Whether the rule is logged (`log`/`nolog`).
    pub log: bool,
    /// Whether the rule is disruptive and took effect.
    pub disruptive: bool,
    /// Variables that matched (last is the chain's final match).
    pub matched: Vec<MatchedVar>,
    /// The ModSecurity-format error-log line for this match.
    pub error_log: String,
}

/// One HTTP exchange being inspected. Created by [`crate::Waf::new_transaction`].
pub struct Transaction {
    pub(crate) rules: Arc<RuleSet>,
    pub(crate) id: String,
}

impl Transaction {
    /// The transaction's unique id (UNIQUE_ID).
    pub fn id(&self) -> &str {
        &self.id
    }
}
