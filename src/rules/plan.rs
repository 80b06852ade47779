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
use crate::prefilter::PrefilterBuilder;

/// Where a rule link's values come from in the phase cache.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LinkPlan {
    /// The (target list, pipeline) slot; `None` when a target reads rule
    /// state (TX, MATCHED_VAR, ...) or the link uses `multiMatch`.
    pub slot: Option<u32>,
    /// The link's bit in its pipeline's prefilter: the operator only runs on
    /// values whose scan set it (see [`crate::prefilter`]).
    pub bit: Option<u32>,
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
    /// Per phase (0-4): the literal prefilter of the phase's links, if any
    /// has literals. One per phase, not per pipeline: the scan depends only
    /// on the bytes, so a value the pipelines leave unchanged is scanned
    /// once for all of them.
    pub prefilters: [Option<crate::prefilter::Prefilter>; 5],
}

/// Assigns slots to every link of `set`.
pub(crate) fn build(set: &mut RuleSet) {
    let mut groups: HashMap<String, u32> = HashMap::new();
    let mut pipelines: HashMap<String, u32> = HashMap::new();
    let mut slots: HashMap<(u32, u32), u32> = HashMap::new();
    let mut builders: [PrefilterBuilder; 5] = Default::default();
    let mut plan = Plan::default();
    for (phase, entry) in set
        .phases
        .iter_mut()
        .enumerate()
        .flat_map(|(i, p)| p.iter_mut().map(move |e| (i, e)))
    {
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
                // A negated operator matches where the literals are absent.
                if let Some(op) = r
                    .operator
                    .as_ref()
                    .filter(|o| !o.negated && std::env::var_os("NOPRE").is_none())
                {
                    if let Some(lits) = op.op.required_literals() {
                        r.plan.bit = builders[phase].add(&lits);
                    }
                }
            }
            link = r.chain.as_deref_mut();
        }
    }
    plan.groups = groups.len();
    plan.pipelines = pipelines.len();
    plan.prefilters = builders.map(PrefilterBuilder::build);
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
        let mut with = 0;
        let mut without = 0;
        for e in waf.rules.phases.iter().flatten() {
            if let super::Entry::Rule(r) = e {
                if r.plan.slot.is_some() {
                    with += 1
                } else {
                    without += 1
                }
            }
        }
        eprintln!(
            "groups {} slots {} pipelines {} rules with slot {} without {}",
            p.groups,
            p.slots.len(),
            p.pipelines,
            with,
            without
        );
        let t0 = std::time::Instant::now();
        let mut n = 0;
        for e in waf.rules.phases.iter().flatten() {
            if let super::Entry::Rule(r) = e {
                if let Some(o) = &r.operator {
                    if o.op.required_literals().is_some() {
                        n += 1
                    }
                }
            }
        }
        eprintln!(
            "literal analysis of all head rules: {:?} ({n} with literals)",
            t0.elapsed()
        );
        let mut bits = 0;
        let mut lens = std::collections::BTreeMap::new();
        for e in waf.rules.phases.iter().flatten() {
            if let super::Entry::Rule(r) = e {
                if r.plan.bit.is_some() {
                    bits += 1;
                    let l = r.operator.as_ref().unwrap().op.required_literals().unwrap();
                    let m = l.iter().map(|x| x.len()).min().unwrap_or(0);
                    *lens.entry(m).or_insert(0) += 1;
                    if m <= 2 {
                        eprintln!(
                            "{} {:?}",
                            r.id,
                            l.iter()
                                .take(8)
                                .map(|x| String::from_utf8_lossy(x).into_owned())
                                .collect::<Vec<_>>()
                        );
                    }
                }
            }
        }
        eprintln!("with bit {bits} minlen dist {lens:?}");
    }
}
