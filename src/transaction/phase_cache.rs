//! What a phase reads again and again: the values of each shared target list
//! and their transformed forms, computed on first use (see
//! [`crate::rules::plan`]). Request and response data do not change within a
//! phase, so one computation serves every rule of the phase.

use std::borrow::Cow;
use std::collections::HashMap;

use super::FxBuild;
use crate::prefilter::Prefilter;
use crate::rules::plan::Plan;
use crate::rules::Rule;
use crate::variables::{Item, TxData};

/// "Not scanned": the value has no prefilter bits (every operator runs).
const UNSCANNED: u32 = u32::MAX;

/// One entry of a slot: the item's index in its group and its transformed
/// value's index in the store.
#[derive(Clone, Copy)]
pub(super) struct SlotEntry {
    pub item: u32,
    pub value: u32,
}

/// The phase's cache; borrows the data it was built over.
pub(super) struct PhaseCache<'d> {
    data: &'d TxData,
    /// The phase's prefilter, if any.
    prefilter: Option<&'d Prefilter>,
    /// Items of each target list, by group.
    groups: Vec<Option<Vec<Item<'d>>>>,
    /// Entries of each (target list, pipeline) slot.
    slots: Vec<Option<Vec<SlotEntry>>>,
    values: Transformed,
}

/// Transformed values of the phase, with their prefilter bits.
struct Transformed {
    /// Transformed values; `None` when the pipeline left the value unchanged.
    arena: Vec<Option<Vec<u8>>>,
    /// Per arena value: its scan (index into `bits` in units of `words`),
    /// or [`UNSCANNED`].
    scan_of: Vec<u32>,
    /// Prefilter bits of every scan, `words` per scan.
    bits: Vec<u64>,
    words: usize,
    /// Scanned bytes (address, length) -> scan: values the pipelines leave
    /// unchanged are scanned once.
    scans: HashMap<(usize, usize), u32, FxBuild>,
    /// (pipeline, value address, length) -> arena index: the same value read
    /// through another target list, or by a rule outside any slot, is
    /// transformed once. Request and response data do not move within a
    /// phase, so the address identifies the value.
    index: HashMap<(u32, usize, usize), u32, FxBuild>,
}

impl Transformed {
    /// The arena index of `raw` through `r`'s pipeline (number `pipeline`),
    /// transforming it on first use; scanned by `prefilter` when given.
    fn index_of(
        &mut self,
        pipeline: u32,
        r: &Rule,
        raw: &[u8],
        prefilter: Option<&Prefilter>,
    ) -> u32 {
        let key = (pipeline, raw.as_ptr() as usize, raw.len());
        let i = match self.index.get(&key) {
            Some(i) => *i,
            None => {
                let i = self.arena.len() as u32;
                self.arena.push(match super::run_pipeline(r, raw) {
                    Cow::Borrowed(_) => None,
                    Cow::Owned(t) => Some(t),
                });
                self.scan_of.push(UNSCANNED);
                self.index.insert(key, i);
                i
            }
        };
        if let Some(pre) = prefilter {
            if self.scan_of[i as usize] == UNSCANNED {
                self.scan_of[i as usize] = self.scan(i, raw, pre);
            }
        }
        i
    }

    /// The value at `i` (`raw` when the pipeline left it unchanged).
    fn value<'a>(&'a self, i: u32, raw: &'a [u8]) -> &'a [u8] {
        self.arena[i as usize].as_deref().unwrap_or(raw)
    }

    /// Scans the value at `i`; a value the pipeline left unchanged shares the
    /// scan of its raw bytes with every other pipeline.
    fn scan(&mut self, i: u32, raw: &[u8], pre: &Prefilter) -> u32 {
        let unchanged = self.arena[i as usize].is_none();
        let skey = (raw.as_ptr() as usize, raw.len());
        if unchanged {
            if let Some(n) = self.scans.get(&skey) {
                return *n;
            }
        }
        let n = (self.bits.len() / self.words.max(1)) as u32;
        let at = self.bits.len();
        self.bits.resize(at + self.words, 0);
        let value = self.arena[i as usize].as_deref().unwrap_or(raw);
        pre.scan_into(value, &mut self.bits[at..]);
        if unchanged {
            self.scans.insert(skey, n);
        }
        n
    }
}

/// A slot's values, ready to evaluate.
pub(super) struct SlotView<'c, 'd> {
    pub items: &'c [Item<'d>],
    pub entries: &'c [SlotEntry],
    values: &'c Transformed,
}

impl<'c, 'd> SlotView<'c, 'd> {
    /// The item of `e` and the value the operator sees.
    pub fn get(&self, e: SlotEntry) -> (&'c Item<'d>, &'c [u8]) {
        let item = &self.items[e.item as usize];
        (item, self.values.value(e.value, &item.value))
    }

    /// Whether the prefilter lets the rule with `bit` see `e`'s value.
    pub fn passes(&self, e: SlotEntry, bit: u32) -> bool {
        let v = self.values;
        let scan = v.scan_of[e.value as usize];
        if scan == UNSCANNED {
            return true;
        }
        let at = scan as usize * v.words;
        match v.bits.get(at..at + v.words) {
            Some(bits) => crate::prefilter::has(bits, bit),
            None => true,
        }
    }
}

impl<'d> PhaseCache<'d> {
    pub fn new(data: &'d TxData, plan: &'d Plan, phase: u8) -> PhaseCache<'d> {
        let prefilter = plan.prefilters[usize::from(phase.clamp(1, 5) - 1)].as_ref();
        PhaseCache {
            data,
            prefilter,
            groups: (0..plan.groups).map(|_| None).collect(),
            slots: (0..plan.slots.len()).map(|_| None).collect(),
            values: Transformed {
                arena: Vec::new(),
                scan_of: Vec::new(),
                bits: Vec::new(),
                words: prefilter.map_or(0, Prefilter::words),
                scans: HashMap::with_capacity_and_hasher(64, FxBuild::default()),
                index: HashMap::with_capacity_and_hasher(64, FxBuild::default()),
            },
        }
    }

    /// The values of `r`'s slot (`r.plan.slot` must be set), computed on first use.
    pub fn slot<'c>(&'c mut self, slot: u32, r: &Rule, plan: &Plan) -> SlotView<'c, 'd> {
        let (group, pipeline) = plan.slots[slot as usize];
        if self.slots[slot as usize].is_none() {
            let data = self.data;
            let items = self.groups[group as usize].get_or_insert_with(|| {
                let mut items = Vec::with_capacity(16);
                for t in &r.targets {
                    data.collect(t, &mut items);
                }
                items
            });
            let entries = items
                .iter()
                .enumerate()
                .map(|(i, item)| SlotEntry {
                    item: i as u32,
                    value: self
                        .values
                        .index_of(pipeline, r, &item.value, self.prefilter),
                })
                .collect();
            self.slots[slot as usize] = Some(entries);
        }
        SlotView {
            items: self.groups[group as usize].as_deref().unwrap_or_default(),
            entries: self.slots[slot as usize].as_deref().unwrap_or_default(),
            values: &self.values,
        }
    }

    /// `raw` (request/response data, unchanged for the phase) through `r`'s
    /// pipeline (number `pipeline`), for rules outside any slot.
    pub fn transformed<'a>(&'a mut self, pipeline: u32, r: &Rule, raw: &'a [u8]) -> &'a [u8] {
        let i = self.values.index_of(pipeline, r, raw, None);
        self.values.value(i, raw)
    }
}
