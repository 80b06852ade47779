//! The compiled model: rules, chains, per-phase lists with markers and skip
//! targets resolved, and the engine settings the directives chose.

mod compile;
mod config;
pub mod plan;

use std::sync::Arc;

use crate::actions::{Action, Disruptive};
use crate::macros::MacroString;
use crate::operators::Operator;
use crate::transformations::Transformation;
use crate::variables::Target;

pub(crate) use compile::compile;
pub use config::{BodyLimitAction, EngineConfig, RuleEngineMode};

/// A compiled operator with its negation.
#[derive(Debug)]
pub struct RuleOperator {
    /// Name as SecLang spells it (`rx`, `pm`).
    pub name: String,
    /// Argument as written.
    pub arg: String,
    /// `!@op`.
    pub negated: bool,
    /// The implementation.
    pub op: Box<dyn Operator>,
}

/// Rule metadata reported with matches.
#[derive(Debug, Clone, Default)]
pub struct Meta {
    /// `msg`.
    pub msg: Option<MacroString>,
    /// `logdata`.
    pub logdata: Option<MacroString>,
    /// `severity` 0-7.
    pub severity: Option<u8>,
    /// `tag`s (macros expanded at load time are not needed by CRS; kept raw).
    pub tags: Vec<String>,
    /// `ver`.
    pub ver: String,
    /// `rev`.
    pub rev: String,
    /// `maturity`.
    pub maturity: Option<u8>,
    /// `accuracy`.
    pub accuracy: Option<u8>,
}

/// One compiled rule (a `SecRule` or `SecAction`), possibly heading a chain.
#[derive(Debug)]
pub struct Rule {
    /// `id` (0 for chain links).
    pub id: u64,
    /// Phase 1-5.
    pub phase: u8,
    /// Source file.
    pub file: Arc<str>,
    /// Source line.
    pub line: usize,
    /// Variables to inspect, with exclusions applied.
    pub targets: Vec<Target>,
    /// `None` for `SecAction`: matches once, unconditionally.
    pub operator: Option<RuleOperator>,
    /// Transformation pipeline.
    pub transforms: Vec<Transformation>,
    /// Names of the pipeline (`lowercase,urlDecodeUni`), the transformation cache key.
    pub transform_key: Arc<str>,
    /// `multiMatch`.
    pub multi_match: bool,
    /// `capture`.
    pub capture: bool,
    /// Reported metadata.
    pub meta: Meta,
    /// `log` / `nolog`.
    pub log: bool,
    /// `auditlog` / `noauditlog`.
    pub auditlog: bool,
    /// The disruptive action (`block` already resolved through SecDefaultAction).
    pub disruptive: Disruptive,
    /// `status`.
    pub status: Option<u16>,
    /// Non-disruptive actions, in the order written.
    pub actions: Vec<Action>,
    /// `skip:N`.
    pub skip: usize,
    /// `skipAfter:MARKER` resolved to the index in the phase list to continue at.
    pub skip_after: Option<(String, usize)>,
    /// The next link of the chain.
    pub chain: Option<Box<Rule>>,
    /// File, tags, `ver` and `rev`, shared with every match report (filled
    /// when loading ends).
    pub info: Arc<crate::transaction::RuleInfo>,
    /// Where the phase cache keeps this link's values (set when loading ends).
    pub plan: plan::LinkPlan,
    /// Match names of the targets that name one key (`TX:anomaly_score`),
    /// made once so a match shares them instead of building its own
    /// (set when loading ends).
    pub target_names: Vec<(crate::variables::Var, Vec<u8>, Arc<str>)>,
    /// For a `TX:key` link ([`plan::LinkPlan::tx_key`]): where TX held the
    /// key when last read.
    pub tx_hint: crate::variables::KeyHint,
    /// The parts of this rule's error-log lines that depend on it alone,
    /// made on its first logged match.
    pub(crate) lines: std::sync::OnceLock<crate::logging::RuleLines>,
}

impl Rule {
    /// Fills [`Rule::target_names`] for this link and the rest of its chain.
    /// Equal names share one string (from `names`): rules reading the same
    /// `TX:key` then leave MATCHED_VAR_NAME pointing at the same one, which
    /// the next match can keep instead of replacing.
    pub(crate) fn name_targets(&mut self, names: &mut std::collections::HashMap<String, Arc<str>>) {
        self.target_names = self
            .targets
            .iter()
            .filter(|t| !t.count)
            .filter_map(|t| match &t.sel {
                crate::variables::KeySel::Key(k) => {
                    let item = crate::variables::Item {
                        var: t.var,
                        key: std::borrow::Cow::Borrowed(k),
                        value: std::borrow::Cow::Borrowed(&[]),
                    };
                    let mut name = String::new();
                    item.write_full_name(&mut name);
                    let shared = names
                        .entry(name)
                        .or_insert_with_key(|n| Arc::from(n.as_str()))
                        .clone();
                    Some((t.var, k.clone(), shared))
                }
                _ => None,
            })
            .collect();
        if let Some(next) = &mut self.chain {
            next.name_targets(names);
        }
    }

    /// The shared match name of `item`, when one of the targets names it.
    pub fn target_name(&self, item: &crate::variables::Item<'_>) -> Option<Arc<str>> {
        self.target_names
            .iter()
            .find(|(v, k, _)| *v == item.var && **k == *item.key)
            .map(|(_, _, n)| n.clone())
    }

    /// The operator name for logs (`rx`), or empty for `SecAction`.
    pub fn operator_name(&self) -> &str {
        self.operator
            .as_ref()
            .map(|o| o.name.as_str())
            .unwrap_or("")
    }
}

/// An entry of a phase's rule list.
#[derive(Debug)]
pub enum Entry {
    /// A rule (and its chain).
    Rule(Box<Rule>),
    /// A `SecMarker`.
    Marker(String),
}

/// The compiled, immutable rule set shared by transactions.
#[derive(Debug)]
pub struct RuleSet {
    /// Rules of phases 1-5 (index = phase - 1).
    pub phases: [Vec<Entry>; 5],
    /// Engine settings.
    pub config: EngineConfig,
    /// Shared target lists and pipelines (see [`plan`]).
    pub plan: plan::Plan,
}

impl RuleSet {
    /// Number of rules (chain starters and SecActions) per phase.
    pub fn rules_per_phase(&self) -> [usize; 5] {
        let mut n = [0; 5];
        for (i, p) in self.phases.iter().enumerate() {
            n[i] = p.iter().filter(|e| matches!(e, Entry::Rule(_))).count();
        }
        n
    }
}
