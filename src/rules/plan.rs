//! The evaluation plan, worked out once when loading ends: which rule links
//! read the same values through the same transformation pipeline, so a phase
//! collects and transforms them once instead of once per rule.
//!
//! CRS repeats a handful of target lists (`REQUEST_COOKIES|...|ARGS_NAMES|ARGS`)
//! and pipelines (`t:urlDecodeUni`, ...) over hundreds of rules. Links whose
//! targets are all request/response data ([`crate::variables::Var::is_data`])
//! get a *slot*: the pair (target list, pipeline), and for `multiMatch` links
//! every step of the pipeline. Within a phase the data does not change, so a
//! slot's transformed values are valid for every rule using it.
//!
//! Pipelines are numbered as a tree: each is one transformation applied to a
//! shorter pipeline ([`Pipe`]), so pipelines with a common start
//! (`t:utf8toUnicode,t:urlDecodeUni,...`) share its results.

use std::collections::HashMap;

use super::{Entry, Rule, RuleSet};
use crate::prefilter::PrefilterBuilder;
use crate::transformations::byte_classes::ByteClasses;
use crate::transformations::triggers::{ByteSet, Triggers};
use crate::transformations::Transformation;

/// Where a rule link's values come from in the phase cache.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LinkPlan {
    /// The (target list, pipeline) slot; `None` when a target reads rule
    /// state (TX, MATCHED_VAR, ...).
    pub slot: Option<u32>,
    /// The link's transformation pipeline, numbered: the key of its
    /// transformed values in the phase cache.
    pub pipeline: u32,
    /// The link's bit in its pipeline's prefilter: the operator only runs on
    /// values whose scan set it (see [`crate::prefilter`]).
    pub bit: Option<u32>,
    /// The link reads one value, `TX:key`, as it is (no count, exclusion,
    /// transformation or capture): CRS's 200 paranoia-level gates and its
    /// score checks. It is looked up directly instead of collected.
    pub tx_key: bool,
    /// The rule is one [`LinkPlan::tx_key`] link whose match only records
    /// itself and runs its `setvar`s: no other action, no message, log
    /// data, severity, log line or disruptive action. Most of CRS's
    /// paranoia-level gates (a `skipAfter` is the phase loop's business,
    /// not the match's) and its score sums (`setvar:tx.x=+%{tx.y}`) match
    /// on every request; [`crate::transaction::Transaction`] records them
    /// on a path of their own.
    pub lone_tx_key: bool,
    /// The rule is a `SecAction` with what [`LinkPlan::lone_tx_key`]
    /// allows (CRS resets its scores so in every phase), run on that path.
    pub lone_action: bool,
    /// For a [`LinkPlan::tx_key`] link whose operator compares with a
    /// constant: that comparison, run without the operator interface (CRS
    /// reads about 130 `TX:key` values per request this way).
    pub tx_compare: Option<crate::operators::compare::Constant>,
    /// For a [`LinkPlan::tx_compare`] link: the number its (key,
    /// comparison, negation) shares with every equal link. The transaction
    /// keeps one answer per number while TX is unchanged: CRS asks the same
    /// paranoia-level question in every file, twice.
    pub tx_memo: Option<u32>,
    /// For a link whose literal set is too large for the phase's
    /// prefilter: its own automaton of those literals, in
    /// [`Plan::own_literals`]. The operator only runs on values holding one.
    pub own: Option<u32>,
    /// For a link with a [`LinkPlan::bit`] and transformations: what its
    /// values must hold before them ([`crate::prefilter::preimage`]), as
    /// a bit of the same prefilter for the literals and a set of bytes.
    pub raw: Option<(u32, ByteSet)>,
}

/// What every link reading a slot needs of a raw value for its transformed
/// values to hold one of that link's literals (see
/// [`crate::prefilter::preimage`]): one of `bits` in the raw value's scan,
/// or one of `bytes` in it. A raw value with neither is left out of the
/// slot, untransformed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawCheck {
    /// Prefilter bits of the links' preimage literals.
    pub bits: Vec<u32>,
    /// The links' preimage bytes.
    pub bytes: ByteSet,
    /// `bytes` as [`Plan::classes`] (all of them until those are made).
    pub classes: u64,
}

/// A transformation pipeline: its last transformation applied to a shorter
/// pipeline. Number 0 is the empty pipeline.
#[derive(Debug, Clone, Copy)]
pub struct Pipe {
    /// The pipeline without its last transformation (0 for pipeline 0).
    pub parent: u32,
    /// The last transformation; `None` only for the empty pipeline.
    pub step: Option<Transformation>,
    /// The last transformation's number, the same in every pipeline that
    /// ends with it: pipelines that reach one value by different paths
    /// apply a step to it once (see `transaction::phase_cache`).
    pub step_id: u32,
    /// What the whole pipeline (from the empty one) needs to change a value:
    /// a value without any of these bytes passes through every step
    /// unchanged (see [`crate::transformations::triggers`]).
    pub triggers: Triggers,
    /// `triggers` as [`Plan::classes`] (`None`, as if the pipeline always
    /// ran, until those are made).
    pub classes: Option<u64>,
    /// What the last transformation alone needs to change a value (`None`:
    /// not known, it always runs).
    pub step_triggers: Triggers,
    /// `step_triggers` as [`Plan::classes`] (`None` until those are made):
    /// a value made on the way lacking them is the pipeline's value too.
    pub step_classes: Option<u64>,
}

/// Values a slot holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Slot {
    /// The target list.
    pub group: u32,
    /// The pipeline.
    pub pipeline: u32,
    /// `multiMatch`: the value before the pipeline and after every step
    /// that changed it, instead of only the end result.
    pub multi: bool,
}

/// The plan of a rule set.
#[derive(Debug)]
pub struct Plan {
    /// Per target list (group, by number): the number of each of its targets, in
    /// order. Target lists share targets (`ARGS`, `REQUEST_COOKIES`, ...),
    /// so a phase collects each target's values once for all of them.
    pub group_targets: Vec<Vec<u32>>,
    /// Number of distinct targets in `group_targets`.
    pub targets: usize,
    /// Each distinct [`LinkPlan::tx_memo`] question, by number: the TX key
    /// (as stored, lower-cased), the comparison, and whether it is negated.
    pub tx_memo_questions: Vec<(Vec<u8>, crate::operators::compare::Constant, bool)>,
    /// The slots.
    pub slots: Vec<Slot>,
    /// Per slot: the pipelines whose values it holds, each with its
    /// triggers: for a `multiMatch` slot, those from the empty one to its
    /// own ([`Plan::path`]), otherwise its own alone. Worked out once here,
    /// so filling a slot looks nothing up per value. The triggers are
    /// [`Plan::classes`] ([`Pipe::classes`]).
    pub slot_paths: Vec<Vec<(u32, Option<u64>)>>,
    /// The classes of every byte set the phase caches test values against
    /// (pipelines' triggers, raw checks' bytes): a value's bytes are
    /// recorded as its classes, one word.
    pub classes: ByteClasses,
    /// Every pipeline and every start of one, as a tree (see [`Pipe`]).
    pub pipes: Vec<Pipe>,
    /// Per phase (0-4): the literal prefilter of the phase's links, if any
    /// has literals. One per phase, not per pipeline: the scan depends only
    /// on the bytes, so a value the pipelines leave unchanged is scanned
    /// once for all of them.
    pub prefilters: [Option<crate::prefilter::Prefilter>; 5],
    /// Sizes the phase caches of this rule set have reached.
    pub hints: CacheHints,
    /// Memory finished transactions left for the next ones.
    pub(crate) spare: crate::transaction::SparePool,
    /// Per phase (0-4), per entry of the phase's list: the (slot, bit) of
    /// the rule's first link when it has both. Such a rule cannot match
    /// unless some value of the slot has the bit, so the phase loop can
    /// pass it over without reading the rule.
    pub gates: [Vec<Option<(u32, u32)>>; 5],
    /// Per phase (0-4), per slot: whether a link of the phase with a
    /// prefilter bit reads the slot. Only then are its values scanned:
    /// slots read only by operators without literals (`@detectSQLi`,
    /// `@validateByteRange`, ...) would never look at the scans.
    pub scanned: [Vec<bool>; 5],
    /// Per phase (0-4), per slot: the [`RawCheck`] of its links, when each
    /// link reading it in the phase has a [`LinkPlan::raw`].
    pub raw_checks: [Vec<Option<RawCheck>>; 5],
    /// Automata of the links' own literal sets ([`LinkPlan::own`]); `None`
    /// where one could not be built (the operator then runs on every value).
    pub(crate) own_literals: Vec<Option<crate::prefilter::automaton::Literals>>,
    /// Per own literal set: its shortest literal's length. A value shorter
    /// holds none of them (CRS's ARGS values are often a few bytes).
    pub(crate) own_min_len: Vec<usize>,
    /// The state phase 1's TX-only start leaves, worked out when the rule
    /// set is built (see [`crate::transaction::Prelude`]).
    pub(crate) prelude: std::sync::OnceLock<crate::transaction::Prelude>,
}

/// The largest sizes a phase cache of this rule set has reached, so a new
/// one reserves its vectors once instead of growing them step by step.
/// Only a hint: any size is correct, so relaxed atomics suffice.
#[derive(Debug, Default)]
pub struct CacheHints {
    /// Items of every group.
    pub items: std::sync::atomic::AtomicUsize,
    /// Entries of every slot.
    pub entries: std::sync::atomic::AtomicUsize,
    /// Transformed values.
    pub values: std::sync::atomic::AtomicUsize,
    /// Prefilter bit words.
    pub bits: std::sync::atomic::AtomicUsize,
    /// Cells of the (value, pipeline) table.
    pub table: std::sync::atomic::AtomicUsize,
    /// Matched rules of a transaction.
    pub matched: std::sync::atomic::AtomicUsize,
}

impl CacheHints {
    /// Reserves `v` up to the hint `h`.
    pub(crate) fn reserve<T>(h: &std::sync::atomic::AtomicUsize, v: &mut Vec<T>) {
        let want = h.load(std::sync::atomic::Ordering::Relaxed);
        v.reserve(want.saturating_sub(v.len()));
    }

    /// Raises the hint `h` to `len`.
    pub(crate) fn record(h: &std::sync::atomic::AtomicUsize, len: usize) {
        // Bounded, so a one-off huge request does not make every later
        // transaction reserve its size; high enough for 1,000 arguments:
        // growing a vector of megabytes step by step costs a page fault per
        // page again in every transaction (measured: 2,000 faults and +30%
        // time per transaction with a bound of 2^14).
        let len = len.min(1 << 18);
        // Written only when it grows: threads keep reading a shared value
        // instead of taking turns writing it.
        if len > h.load(std::sync::atomic::Ordering::Relaxed) {
            h.fetch_max(len, std::sync::atomic::Ordering::Relaxed);
        }
    }
}

impl Default for Plan {
    fn default() -> Plan {
        Plan {
            group_targets: Vec::new(),
            targets: 0,
            tx_memo_questions: Vec::new(),
            slots: Vec::new(),
            slot_paths: Vec::new(),
            classes: ByteClasses::default(),
            pipes: vec![Pipe {
                parent: 0,
                step: None,
                step_id: 0,
                triggers: Some(ByteSet::EMPTY),
                classes: Some(0),
                step_triggers: None,
                step_classes: None,
            }],
            prefilters: Default::default(),
            hints: CacheHints::default(),
            spare: Default::default(),
            gates: Default::default(),
            scanned: Default::default(),
            raw_checks: Default::default(),
            prelude: std::sync::OnceLock::new(),
            own_literals: Vec::new(),
            own_min_len: Vec::new(),
        }
    }
}

impl Plan {
    /// The pipelines a slot of pipeline `p` holds values of, each with its
    /// triggers as classes ([`Plan::slot_paths`]): with `multi`, those from
    /// the empty one to `p`; otherwise `p` alone.
    pub fn steps(&self, p: u32, multi: bool) -> Vec<(u32, Option<u64>)> {
        let path = match multi {
            true => self.path(p),
            false => vec![p],
        };
        path.into_iter()
            .map(|p| (p, self.pipes.get(p as usize).and_then(|x| x.classes)))
            .collect()
    }

    /// The pipelines from the empty one to `p`, in order (`[0]` for 0).
    pub fn path(&self, p: u32) -> Vec<u32> {
        let mut path = vec![p];
        let mut at = p;
        while at != 0 {
            at = self.pipes.get(at as usize).map_or(0, |x| x.parent);
            path.push(at);
        }
        path.reverse();
        path
    }
}

/// Numbers `r`'s pipeline and every start of it, keyed by (parent, name).
fn pipeline(
    plan: &mut Plan,
    ids: &mut HashMap<(u32, String), u32>,
    step_ids: &mut HashMap<String, u32>,
    r: &Rule,
) -> u32 {
    let names = step_names(r);
    let mut p = 0;
    for (i, f) in r.transforms.iter().enumerate() {
        // The key is built from the names; should it ever disagree with the
        // functions, the function's address keeps the pipelines apart (and
        // the step gets no triggers: it always runs).
        let (name, step_triggers) = match names.get(i) {
            Some(n) if names.len() == r.transforms.len() => {
                (n.to_string(), crate::transformations::triggers_of(n))
            }
            _ => (format!("{:p}", *f), None),
        };
        let next = plan.pipes.len() as u32;
        let parent_triggers = plan.pipes.get(p as usize).and_then(|x| x.triggers);
        let known = step_ids.len() as u32;
        let step_id = *step_ids.entry(name.clone()).or_insert(known);
        p = *ids.entry((p, name)).or_insert_with(|| {
            plan.pipes.push(Pipe {
                parent: p,
                step: Some(*f),
                step_id,
                triggers: crate::transformations::triggers::pipeline([
                    parent_triggers,
                    step_triggers,
                ]),
                classes: None,
                step_triggers,
                step_classes: None,
            });
            next
        });
    }
    p
}

/// Assigns slots to every link of `set`.
pub(crate) fn build(set: &mut RuleSet) {
    let mut groups: HashMap<String, u32> = HashMap::new();
    let mut target_ids: HashMap<String, u32> = HashMap::new();
    let mut pipe_ids: HashMap<(u32, String), u32> = HashMap::new();
    let mut step_ids: HashMap<String, u32> = HashMap::new();
    let mut slots: HashMap<Slot, u32> = HashMap::new();
    let mut builders: [PrefilterBuilder; 5] = Default::default();
    let mut plan = Plan::default();
    for entry in set.phases.iter_mut().flatten() {
        let Entry::Rule(rule) = entry else { continue };
        let mut link: Option<&mut Rule> = Some(&mut **rule);
        while let Some(r) = link {
            r.plan = LinkPlan::default();
            let p = pipeline(&mut plan, &mut pipe_ids, &mut step_ids, r);
            r.plan.pipeline = p;
            r.plan.tx_key = r.operator.is_some()
                && r.transforms.is_empty()
                && !r.capture
                && matches!(&r.targets[..], [t] if t.var == crate::variables::Var::Tx
                    && !t.count
                    && t.exclusions.is_empty()
                    && matches!(t.sel, crate::variables::KeySel::Key(_)))
                && r.target_names.len() == 1;
            r.plan.tx_compare = r
                .operator
                .as_ref()
                .filter(|_| r.plan.tx_key)
                .and_then(|o| o.op.constant_comparison());
            if let (Some(c), [t], Some(op)) = (r.plan.tx_compare, &r.targets[..], &r.operator) {
                if let crate::variables::KeySel::Key(key) = &t.sel {
                    // Equal questions share a number (a few dozen with CRS).
                    let qs = &mut plan.tx_memo_questions;
                    let id = match qs
                        .iter()
                        .position(|(k, qc, neg)| k == key && *qc == c && *neg == op.negated)
                    {
                        Some(id) => id,
                        None => {
                            qs.push((key.clone(), c, op.negated));
                            qs.len() - 1
                        }
                    };
                    r.plan.tx_memo = u32::try_from(id).ok();
                }
            }
            let eligible = r.operator.is_some()
                && !r.targets.is_empty()
                && r.targets.iter().all(|t| t.var.is_data());
            if eligible {
                // Targets print their variable, selector (regex source) and
                // exclusions: equal text, equal list.
                let n = groups.len() as u32;
                let g = *groups.entry(format!("{:?}", r.targets)).or_insert(n);
                if g == n {
                    let ids = r
                        .targets
                        .iter()
                        .map(|t| {
                            let next = target_ids.len() as u32;
                            *target_ids.entry(format!("{t:?}")).or_insert(next)
                        })
                        .collect();
                    plan.group_targets.push(ids);
                }
                let slot = Slot {
                    group: g,
                    pipeline: p,
                    multi: r.multi_match,
                };
                let n = slots.len() as u32;
                let s = *slots.entry(slot).or_insert_with(|| {
                    plan.slots.push(slot);
                    n
                });
                r.plan.slot = Some(s);
            }
            link = r.chain.as_deref_mut();
        }
        let lone = rule.id != 0
            && rule.chain.is_none()
            && rule
                .actions
                .iter()
                .all(|a| matches!(a, crate::actions::Action::SetVar(_)))
            && rule.meta.msg.is_none()
            && rule.meta.logdata.is_none()
            && rule.meta.severity.is_none()
            && !rule.log
            && matches!(rule.disruptive, crate::actions::Disruptive::Pass);
        rule.plan.lone_tx_key = lone && rule.plan.tx_key;
        rule.plan.lone_action = lone && rule.operator.is_none();
    }
    // The literal analysis is the costly part of loading: spread it over the
    // cores, then hand out bits in rule order (deterministic).
    let literals = analyse(&candidates(set));
    let mut next = literals.into_iter();
    let mut own_sets: Vec<Vec<Vec<u8>>> = Vec::new();
    for (phase, entry) in set
        .phases
        .iter_mut()
        .enumerate()
        .flat_map(|(i, p)| p.iter_mut().map(move |e| (i, e)))
    {
        let Entry::Rule(rule) = entry else { continue };
        let mut link: Option<&mut Rule> = Some(rule);
        while let Some(r) = link {
            if prefilterable(r) {
                if let Some(lits) = next.next().flatten() {
                    r.plan.bit = builders[phase].add(&lits);
                    if r.plan.bit.is_some() && r.plan.pipeline != 0 {
                        r.plan.raw = raw_bit(&mut builders[phase], r, &lits);
                    }
                    if r.plan.bit.is_none() && crate::prefilter::worth_own_automaton(&lits) {
                        if let Ok(n) = u32::try_from(own_sets.len()) {
                            own_sets.push(lits);
                            r.plan.own = Some(n);
                        }
                    }
                }
            }
            link = r.chain.as_deref_mut();
        }
    }
    plan.targets = target_ids.len();
    plan.gates = gates(set);
    plan.scanned = scanned(set, plan.slots.len());
    plan.raw_checks = raw_checks(set, plan.slots.len());
    byte_classes(&mut plan);
    plan.slot_paths = plan
        .slots
        .iter()
        .map(|s| plan.steps(s.pipeline, s.multi))
        .collect();
    plan.own_min_len = own_sets
        .iter()
        .map(|l| l.iter().map(Vec::len).min().unwrap_or(0))
        .collect();
    // Each phase's automaton on its own thread (phases 1, 2 and 4 are
    // large), the links' own ones on another.
    (plan.prefilters, plan.own_literals) = std::thread::scope(|scope| {
        let own = scope.spawn(|| {
            own_sets
                .iter()
                .map(|l| {
                    crate::prefilter::automaton::Literals::build(
                        l,
                        crate::prefilter::MAX_OWN_DFA_BYTES,
                    )
                    .ok()
                })
                .collect()
        });
        let handles = builders.map(|b| scope.spawn(move || b.build()));
        (
            handles.map(|h| h.join().ok().flatten()),
            own.join().unwrap_or_default(),
        )
    });
    set.plan = plan;
}

/// [`Plan::classes`], and the pipelines' and raw checks' sets as classes.
fn byte_classes(plan: &mut Plan) {
    let mut sets: Vec<ByteSet> = plan.pipes.iter().filter_map(|p| p.triggers).collect();
    sets.extend(plan.pipes.iter().filter_map(|p| p.step_triggers));
    let checks = plan.raw_checks.iter().flatten().flatten();
    sets.extend(checks.map(|c| c.bytes));
    // Equal sets make equal classes: each is compared once per byte.
    sets.sort_unstable();
    sets.dedup();
    let classes = ByteClasses::new(&sets);
    for p in &mut plan.pipes {
        p.classes = p.triggers.map(|t| classes.mask(&t));
        p.step_classes = p.step_triggers.map(|t| classes.mask(&t));
    }
    for c in plan.raw_checks.iter_mut().flatten().flatten() {
        c.classes = classes.mask(&c.bytes);
    }
    plan.classes = classes;
}

/// The names of `r`'s transformations, in order.
fn step_names(r: &Rule) -> Vec<&str> {
    r.transform_key
        .split(',')
        .filter(|n| !n.is_empty())
        .collect()
}

/// [`LinkPlan::raw`] of link `r`, whose literals `lits` have a bit in
/// `builder`: the bit of the preimage's literals (that same bit when the
/// pipeline adds none) and its bytes.
fn raw_bit(builder: &mut PrefilterBuilder, r: &Rule, lits: &[Vec<u8>]) -> Option<(u32, ByteSet)> {
    let names = step_names(r);
    if names.len() != r.transforms.len() {
        return None;
    }
    use crate::prefilter::preimage::preimage;
    let pre = preimage(&names, lits)?;
    // The empty pipeline's preimage: the literals as the automaton holds them.
    let same = preimage(&[], lits).is_some_and(|own| own.literals == pre.literals);
    let bit = match same {
        true => r.plan.bit?,
        false => builder.add(&pre.literals)?,
    };
    Some((bit, pre.bytes))
}

/// [`Plan::raw_checks`].
fn raw_checks(set: &RuleSet, slots: usize) -> [Vec<Option<RawCheck>>; 5] {
    std::array::from_fn(|i| {
        // `None` while no link read the slot; `Some(None)` once one without
        // a preimage did.
        let mut checks: Vec<Option<Option<RawCheck>>> = vec![None; slots];
        for entry in &set.phases[i] {
            let Entry::Rule(rule) = entry else { continue };
            let mut link = Some(&**rule);
            while let Some(r) = link {
                if let Some(c) = r.plan.slot.and_then(|s| checks.get_mut(s as usize)) {
                    let check = c.get_or_insert_with(|| {
                        Some(RawCheck {
                            bits: Vec::new(),
                            bytes: ByteSet::EMPTY,
                            classes: u64::MAX,
                        })
                    });
                    match (r.plan.bit, r.plan.raw, check.as_mut()) {
                        (Some(_), Some((bit, bytes)), Some(check)) => {
                            if !check.bits.contains(&bit) {
                                check.bits.push(bit);
                            }
                            check.bytes = check.bytes.union(bytes);
                        }
                        _ => *check = None,
                    }
                }
                link = r.chain.as_deref();
            }
        }
        checks.into_iter().map(Option::flatten).collect()
    })
}

/// The gate of every entry (see [`Plan::gates`]).
fn gates(set: &RuleSet) -> [Vec<Option<(u32, u32)>>; 5] {
    std::array::from_fn(|i| {
        set.phases[i]
            .iter()
            .map(|e| match e {
                Entry::Rule(r) => r.plan.slot.zip(r.plan.bit),
                Entry::Marker(_) => None,
            })
            .collect()
    })
}

/// [`Plan::scanned`].
fn scanned(set: &RuleSet, slots: usize) -> [Vec<bool>; 5] {
    std::array::from_fn(|i| {
        let mut used = vec![false; slots];
        for entry in &set.phases[i] {
            let Entry::Rule(rule) = entry else { continue };
            let mut link = Some(&**rule);
            while let Some(r) = link {
                if let (Some(slot), Some(_)) = (r.plan.slot, r.plan.bit) {
                    if let Some(u) = used.get_mut(slot as usize) {
                        *u = true;
                    }
                }
                link = r.chain.as_deref();
            }
        }
        used
    })
}

/// A link the prefilter can serve: its values are in the phase cache, and
/// its operator is not negated (a negated one matches where literals are absent).
fn prefilterable(r: &Rule) -> bool {
    r.plan.slot.is_some() && r.operator.as_ref().is_some_and(|o| !o.negated)
}

/// Operators of the prefilterable links, in rule order.
fn candidates(set: &RuleSet) -> Vec<&dyn crate::operators::Operator> {
    let mut out = Vec::new();
    for entry in set.phases.iter().flatten() {
        let Entry::Rule(rule) = entry else { continue };
        let mut link = Some(&**rule);
        while let Some(r) = link {
            if prefilterable(r) {
                if let Some(op) = &r.operator {
                    out.push(&*op.op);
                }
            }
            link = r.chain.as_deref();
        }
    }
    out
}

/// `required_literals` of every operator, in order, spread over the cores.
/// An operator whose analysis panicked gets no filter.
fn analyse(ops: &[&dyn crate::operators::Operator]) -> Vec<Option<Vec<Vec<u8>>>> {
    crate::parallel::map(ops, |o| o.required_literals())
        .into_iter()
        .map(Option::flatten)
        .collect()
}

/// Removes the literal prefilter: every operator then runs on every value.
pub(crate) fn drop_prefilter(set: &mut RuleSet) {
    set.plan.prefilters = Default::default();
    set.plan.gates = Default::default();
    set.plan.raw_checks = Default::default();
    set.plan.own_literals = Vec::new();
    set.plan.own_min_len = Vec::new();
    for entry in set.phases.iter_mut().flatten() {
        let Entry::Rule(rule) = entry else { continue };
        let mut link: Option<&mut Rule> = Some(rule);
        while let Some(r) = link {
            r.plan.bit = None;
            r.plan.own = None;
            r.plan.raw = None;
            link = r.chain.as_deref_mut();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn crs() -> crate::Waf {
        let crs = crate::operators::testutil::crs_dir();
        crate::Waf::builder()
            .directives(crate::RECOMMENDED_CONF)
            .file(crs.join("crs-setup.conf.example"))
            .file(crs.join("rules/*.conf"))
            .build()
            .expect("CRS loads")
    }

    #[test]
    fn crs_rules_share_slots_and_most_get_a_prefilter_bit() {
        let waf = crs();
        let plan = &waf.rules.plan;
        let (mut slotted, mut bits, mut links, mut own) = (0, 0, 0, Vec::new());
        let mut scanned: [Vec<bool>; 5] = std::array::from_fn(|_| vec![false; plan.slots.len()]);
        for (phase, e) in waf
            .rules
            .phases
            .iter()
            .enumerate()
            .flat_map(|(i, p)| p.iter().map(move |e| (i, e)))
        {
            let Entry::Rule(r) = e else { continue };
            let mut link = Some(&**r);
            while let Some(l) = link {
                links += 1;
                slotted += usize::from(l.plan.slot.is_some());
                bits += usize::from(l.plan.bit.is_some());
                // A link too large for the phase automaton has its own.
                if l.plan.own.is_some() {
                    assert!(
                        l.plan.bit.is_none() && l.plan.slot.is_some(),
                        "rule {}",
                        r.id
                    );
                    own.push(r.id);
                }
                // A bit is only ever given to a link whose values the phase cache scans.
                assert!(
                    l.plan.bit.is_none() || l.plan.slot.is_some(),
                    "rule {}",
                    r.id
                );
                if let Some(s) = l.plan.slot {
                    scanned[phase][s as usize] |= l.plan.bit.is_some();
                    assert!(l.targets.iter().all(|t| t.var.is_data()), "rule {}", r.id);
                    assert_eq!(plan.slots[s as usize].multi, l.multi_match, "rule {}", r.id);
                }
                link = l.chain.as_deref();
            }
        }
        // Figures for CRS v4: ~350 of ~640 links read only request/response
        // data, through ~160 (target list, pipeline) slots; ~280 get a bit.
        assert!(
            slotted > 300 && plan.slots.len() < slotted / 2,
            "{slotted} {}",
            plan.slots.len()
        );
        assert!(bits > 250, "{bits} of {links}");
        assert!(own.contains(&932_235) && own.contains(&933_150), "{own:?}");
        assert_eq!(plan.own_literals.len(), own.len());
        // Their shortest literal: at least three bytes (see
        // `worth_own_automaton`), so shorter values skip the automaton.
        assert_eq!(plan.own_min_len.len(), own.len());
        assert!(
            plan.own_min_len.iter().all(|&m| m >= 3),
            "{:?}",
            plan.own_min_len
        );
        assert!(plan.prefilters[1].is_some(), "phase 2 has a prefilter");
        // A phase scans the values of exactly the slots its bit links read
        // (a slot it scans for nothing costs a scan per value; one it
        // skips would let every value through those links' prefilter).
        assert_eq!(plan.scanned, scanned);
        let unscanned = scanned[1].iter().filter(|&&s| !s).count();
        assert!(unscanned > 0 && unscanned < scanned[1].len(), "{unscanned}");
    }

    /// The plans of the rules (their first links) of phase `phase` (0-4).
    fn head_plans(waf: &crate::Waf, phase: usize) -> Vec<LinkPlan> {
        waf.rules.phases[phase]
            .iter()
            .filter_map(|e| match e {
                Entry::Rule(r) => Some(r.plan),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn state_targets_get_no_slot_and_multimatch_its_own() {
        let waf = crate::Waf::from_directives(
            "SecRule TX:foo \"@rx abc\" \"id:1,phase:1,pass\"\n\
             SecRule ARGS \"@rx abc\" \"id:2,phase:1,pass,multiMatch\"\n\
             SecRule ARGS|REQUEST_HEADERS \"@rx abc\" \"id:3,phase:1,pass,t:lowercase\"\n\
             SecRule ARGS|REQUEST_HEADERS \"!@rx abc\" \"id:4,phase:1,pass,t:lowercase\"\n\
             SecRule ARGS|REQUEST_HEADERS \"@rx xyz\" \"id:5,phase:1,pass,t:lowercase\"",
        )
        .unwrap();
        let plans = head_plans(&waf, 0);
        assert_eq!(plans[0].slot, None);
        let multi = plans[1].slot.expect("multiMatch on ARGS has a slot");
        assert!(waf.rules.plan.slots[multi as usize].multi);
        // 3, 4 and 5 share a slot; the negated operator gets no bit.
        assert!(plans[2].slot.is_some() && plans[2].slot == plans[3].slot);
        assert_eq!(plans[4].slot, plans[2].slot);
        assert!(plans[2].bit.is_some() && plans[3].bit.is_none() && plans[4].bit.is_some());
        assert_ne!(plans[2].bit, plans[4].bit);
    }

    /// CRS's trigger and raw-check sets fit in 64 byte classes, so every
    /// question the phase cache asks in classes gets the byte sets' answer.
    #[test]
    fn crs_byte_classes_answer_as_the_byte_sets_do() {
        let waf = crs();
        let plan = &waf.rules.plan;
        let c = &plan.classes;
        assert!(c.len() > 8 && c.len() < 64, "{} classes", c.len());
        let mut sets: Vec<(ByteSet, u64)> = plan
            .pipes
            .iter()
            .map(|p| (p.triggers, p.classes))
            .filter_map(|(t, m)| Some((t?, m.expect("classes for every trigger set"))))
            .collect();
        assert!(sets.len() > 20);
        let steps = plan.pipes.iter().map(|p| (p.step_triggers, p.step_classes));
        sets.extend(steps.filter_map(|(t, m)| Some((t?, m.expect("classes for every step")))));
        let checks = plan.raw_checks.iter().flatten().flatten();
        sets.extend(checks.map(|r| (r.bytes, r.classes)));
        let mut rng = crate::test_rng::Rng(0xc1a55);
        for _ in 0..2_000 {
            let v: Vec<u8> = (0..rng.below(6)).map(|_| rng.below(256) as u8).collect();
            for (set, mask) in &sets {
                assert_eq!(
                    c.of(&v) & mask != 0,
                    ByteSet::of(&v).intersects(set),
                    "{v:?}"
                );
            }
        }
        // A pipeline or step without triggers keeps none in classes either.
        assert!(plan.pipes.iter().all(|p| {
            p.triggers.is_some() == p.classes.is_some()
                && p.step_triggers.is_some() == p.step_classes.is_some()
        }));
    }

    #[test]
    fn slots_get_a_raw_check_when_every_link_has_a_preimage() {
        let waf = crate::Waf::from_directives(
            "SecRule ARGS \"@rx \\.\\./\" \"id:1,phase:2,pass,t:urlDecodeUni,t:cmdLine\"\n\
             SecRule ARGS \"@rx \\.\\.;\" \"id:2,phase:2,pass,t:urlDecodeUni,t:cmdLine\"\n\
             SecRule ARGS \"@rx evil\" \"id:3,phase:2,pass,t:base64Decode\"\n\
             SecRule ARGS \"@rx evil\" \"id:4,phase:2,pass,t:base64Decode\"\n\
             SecRule ARGS \"@detectSQLi\" \"id:5,phase:2,pass,t:base64Decode\"\n\
             SecRule REQUEST_HEADERS \"@rx abc\" \"id:6,phase:2,pass,t:lowercase\"",
        )
        .unwrap();
        let plan = &waf.rules.plan;
        let links = head_plans(&waf, 1);
        let check = |n: usize| plan.raw_checks[1][links[n].slot.unwrap() as usize].clone();
        // 1 and 2 share a slot; `cmdLine` adds `<space>/` and the like to
        // 1's literals, so its raw bit is new; both need `%`.
        let (r1, r2) = (links[0].raw.unwrap(), links[1].raw.unwrap());
        assert_ne!(Some(r1.0), links[0].bit);
        let c = check(0).expect("both links have a preimage");
        assert_eq!(c.bits, vec![r1.0, r2.0]);
        assert!(c.bytes.contains(b'%') && c.bytes.contains(b'"'));
        // `base64Decode` may make anything: no preimage, and a slot read
        // by such a link (or by one without literals) has no check.
        assert_eq!(links[2].raw, None);
        assert_eq!(check(2), None);
        // `lowercase` keeps the literals: the link's own bit serves.
        assert_eq!(links[5].raw.map(|r| r.0), links[5].bit);
        assert!(check(5).is_some());
    }

    #[test]
    fn target_lists_share_their_targets() {
        let waf = crate::Waf::from_directives(
            "SecRule ARGS|REQUEST_HEADERS \"@rx a\" \"id:1,phase:1,pass\"\n\
             SecRule REQUEST_HEADERS|ARGS|!ARGS:x \"@rx b\" \"id:2,phase:1,pass\"\n\
             SecRule ARGS \"@rx c\" \"id:3,phase:1,pass\"",
        )
        .unwrap();
        let plan = &waf.rules.plan;
        assert_eq!(plan.group_targets.len(), 3);
        let (g1, g2, g3) = (
            &plan.group_targets[0],
            &plan.group_targets[1],
            &plan.group_targets[2],
        );
        // REQUEST_HEADERS is one target in both lists; ARGS with an
        // exclusion is another target than ARGS.
        assert_eq!(g1[1], g2[0]);
        assert_ne!(g1[0], g2[1]);
        assert_eq!(g3, &vec![g1[0]]);
        assert_eq!(plan.targets, 3);
    }

    #[test]
    fn pipelines_share_their_common_start() {
        let waf = crate::Waf::from_directives(
            "SecRule ARGS \"@rx a\" \"id:1,phase:1,pass,t:lowercase,t:urlDecodeUni\"\n\
             SecRule ARGS \"@rx b\" \"id:2,phase:1,pass,t:lowercase,t:trim\"\n\
             SecRule ARGS \"@rx c\" \"id:3,phase:1,pass,t:lowercase\"\n\
             SecRule ARGS \"@rx d\" \"id:4,phase:1,pass,t:none\"",
        )
        .unwrap();
        let p: Vec<u32> = waf.rules.phases[0]
            .iter()
            .filter_map(|e| match e {
                Entry::Rule(r) => Some(r.plan.pipeline),
                _ => None,
            })
            .collect();
        let plan = &waf.rules.plan;
        // The empty pipeline, lowercase, and the two that continue it.
        assert_eq!(plan.pipes.len(), 4);
        assert_eq!(plan.path(p[0]), vec![0, p[2], p[0]]);
        assert_eq!(plan.path(p[1]), vec![0, p[2], p[1]]);
        assert_eq!((p[3], plan.path(0)), (0, vec![0]));
    }
}
