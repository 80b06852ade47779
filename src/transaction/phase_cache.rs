//! What a phase reads again and again: the values of each shared target list
//! and their transformed forms, computed on first use (see
//! [`crate::rules::plan`]). Request and response data do not change within a
//! phase, so one computation serves every rule of the phase.

use std::borrow::Cow;
use std::collections::HashMap;

use super::FxBuild;
use crate::rules::plan::Plan;
use crate::rules::Rule;
use crate::variables::{Item, TxData};

/// One entry of a slot: the item's index in its group and its transformed
/// value's index in the arena.
#[derive(Clone, Copy)]
pub(super) struct SlotEntry {
    pub item: u32,
    pub value: u32,
}

/// The phase's cache; borrows the data it was built over.
pub(super) struct PhaseCache<'d> {
    data: &'d TxData,
    /// Phase index (0-4).
    phase: usize,
    /// Items of each target list, by group.
    groups: Vec<Option<Vec<Item<'d>>>>,
    /// Entries of each (target list, pipeline) slot.
    slots: Vec<Option<Vec<SlotEntry>>>,
    /// Transformed values; `None` when the pipeline left the value unchanged.
    arena: Vec<Option<Vec<u8>>>,
    /// Per arena value: its scan (index into `bits` in units of `words`).
    scan_of: Vec<u32>,
    /// Prefilter bits of every scan, `words` per scan.
    bits: Vec<u64>,
    words: usize,
    /// Scanned bytes (address, length) -> scan: values the pipelines leave
    /// unchanged are scanned once.
    scans: HashMap<(usize, usize), u32, FxBuild>,
    /// (pipeline, value address, length) -> arena index: the same value read
    /// through another target list is transformed once.
    index: HashMap<(u32, usize, usize), u32, FxBuild>,
}

/// A slot's values, ready to evaluate.
pub(super) struct SlotView<'c, 'd> {
    pub items: &'c [Item<'d>],
    pub entries: &'c [SlotEntry],
    arena: &'c [Option<Vec<u8>>],
    scan_of: &'c [u32],
    bits: &'c [u64],
    words: usize,
}

impl<'c, 'd> SlotView<'c, 'd> {
    /// The item of `e` and the value the operator sees.
    pub fn get(&self, e: SlotEntry) -> (&'c Item<'d>, &'c [u8]) {
        let item = &self.items[e.item as usize];
        let value = match &self.arena[e.value as usize] {
            Some(v) => v.as_slice(),
            None => &item.value,
        };
        (item, value)
    }

    /// Whether the prefilter lets the rule with `bit` see `e`'s value.
    pub fn passes(&self, e: SlotEntry, bit: u32) -> bool {
        let scan = self.scan_of[e.value as usize];
        if scan == u32::MAX {
            return true;
        }
        let at = scan as usize * self.words;
        match self.bits.get(at..at + self.words) {
            Some(bits) => crate::prefilter::has(bits, bit),
            None => true,
        }
    }
}

impl<'d> PhaseCache<'d> {
    pub fn new(data: &'d TxData, plan: &Plan, phase: u8) -> PhaseCache<'d> {
        PhaseCache {
            data,
            phase: usize::from(phase.clamp(1, 5) - 1),
            groups: (0..plan.groups).map(|_| None).collect(),
            slots: (0..plan.slots.len()).map(|_| None).collect(),
            arena: Vec::new(),
            scan_of: Vec::new(),
            bits: Vec::new(),
            words: plan.prefilters[usize::from(phase.clamp(1, 5) - 1)]
                .as_ref()
                .map_or(0, |p| p.words()),
            scans: HashMap::with_capacity_and_hasher(64, FxBuild::default()),
            index: HashMap::with_capacity_and_hasher(64, FxBuild::default()),
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
            let mut entries = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                let key = (pipeline, item.value.as_ptr() as usize, item.value.len());
                let value = match self.index.get(&key) {
                    Some(v) => *v,
                    None => {
                        let v = self.arena.len() as u32;
                        let t = super::run_pipeline(r, &item.value);
                        let scan = match &plan.prefilters[self.phase] {
                            Some(pre) => {
                                let skey = (t.as_ptr() as usize, t.len());
                                let next = (self.bits.len() / self.words.max(1)) as u32;
                                // Owned results have fresh addresses: always a new scan.
                                let known = match t {
                                    Cow::Borrowed(_) => self.scans.get(&skey).copied(),
                                    Cow::Owned(_) => None,
                                };
                                match known {
                                    Some(n) => n,
                                    None => {
                                        let at = self.bits.len();
                                        self.bits.resize(at + self.words, 0);
                                        pre.scan_into(&t, &mut self.bits[at..]);
                                        if let Cow::Borrowed(_) = t {
                                            self.scans.insert(skey, next);
                                        }
                                        next
                                    }
                                }
                            }
                            None => u32::MAX,
                        };
                        self.scan_of.push(scan);
                        self.arena.push(match t {
                            Cow::Borrowed(_) => None,
                            Cow::Owned(t) => Some(t),
                        });
                        self.index.insert(key, v);
                        v
                    }
                };
                entries.push(SlotEntry {
                    item: i as u32,
                    value,
                });
            }
            self.slots[slot as usize] = Some(entries);
        }
        SlotView {
            items: self.groups[group as usize].as_deref().unwrap_or_default(),
            entries: self.slots[slot as usize].as_deref().unwrap_or_default(),
            arena: &self.arena,
            scan_of: &self.scan_of,
            bits: &self.bits,
            words: self.words,
        }
    }
}
