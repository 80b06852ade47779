//! The evaluation plan, worked out once when loading ends: which rule links
//! read the same values through the same transformation pipeline, so a phase
//! collects and transforms them once instead of once per rule.
//!
//! CRS repeats a handful of target lists (`REQUEST_COOKIES|...|ARGS_NAMES|ARGS`)
//! and pipelines (`t:urlDecodeUni`, ...) over hundreds of rules. Links whose
//! targets are all request/response data ([`crate::variables::Var::is_data`])
//! get a *slot*: the pair (target list, pipeline). Within a phase the data does
//! not change, so a slot's transformed values are valid for every rule using
//! it.

use std::collections::HashMap;

use super::{Entry, Rule, RuleSet};

/// Where a rule link's values come from in the phase cache.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LinkPlan {
    /// The (target list, pipeline) slot; `None` when a target reads rule
    /// state (TX, MATCHED_VAR, ...) or the link uses `multiMatch`.
    pub slot: Option<u32>,
}

/// The plan of a rule set.
#[derive(Debug, Default)]
pub struct Plan {
    /// Number of distinct target lists.
    pub groups: usize,
    /// Per slot: (target-list group, pipeline).
    pub slots: Vec<(u32, u32)>,
    /// Number of distinct pipelines.
    pub pipelines: usize,
}

/// Assigns slots to every link of `set`.
pub(crate) fn build(set: &mut RuleSet) {
    let mut groups: HashMap<String, u32> = HashMap::new();
    let mut pipelines: HashMap<String, u32> = HashMap::new();
    let mut slots: HashMap<(u32, u32), u32> = HashMap::new();
    let mut plan = Plan::default();
    for entry in set.phases.iter_mut().flatten() {
        let Entry::Rule(rule) = entry else { continue };
        let mut link: Option<&mut Rule> = Some(rule);
        while let Some(r) = link {
            r.plan = LinkPlan::default();
            let eligible = r.operator.is_some()
                && !r.multi_match
                && !r.targets.is_empty()
                && r.targets.iter().all(|t| t.var.is_data());
            if eligible {
                // Targets print their variable, selector (regex source) and
                // exclusions: equal text, equal list.
                let n = groups.len() as u32;
                let g = *groups.entry(format!("{:?}", r.targets)).or_insert(n);
                let n = pipelines.len() as u32;
                let p = *pipelines.entry(r.transform_key.to_string()).or_insert(n);
                let n = slots.len() as u32;
                let s = *slots.entry((g, p)).or_insert_with(|| {
                    plan.slots.push((g, p));
                    n
                });
                r.plan.slot = Some(s);
            }
            link = r.chain.as_deref_mut();
        }
    }
    plan.groups = groups.len();
    plan.pipelines = pipelines.len();
    set.plan = plan;
}
#[cfg(test)]
mod stat_tests {
    #[test]
    fn print_plan_stats() {
        let crs = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/crs");
        let waf = crate::Waf::builder()
            .directives(crate::RECOMMENDED_CONF)
            .file(crs.join("crs-setup.conf.example"))
            .file(crs.join("rules/*.conf"))
            .build()
            .unwrap();
        let p = &waf.rules.plan;
        let mut with = 0; let mut without = 0;
        for e in waf.rules.phases.iter().flatten() { if let super::Entry::Rule(r) = e { if r.plan.slot.is_some() { with += 1 } else { without += 1 } } }
        eprintln!("groups {} slots {} pipelines {} rules with slot {} without {}", p.groups, p.slots.len(), p.pipelines, with, without);
    }
}
