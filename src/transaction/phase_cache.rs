//! What a phase reads again and again: the values of each shared target list
//! and their transformed forms, computed on first use (see
//! [`crate::rules::plan`]). Request and response data do not change within a
//! phase, so one computation serves every rule of the phase.

use rustc_hash::FxHashMap;

use crate::prefilter::Prefilter;
use crate::rules::plan::{CacheHints, Plan, RawCheck, Slot};
use crate::rules::Rule;
use crate::transformations::byte_classes::ByteClasses;
use crate::variables::{Item, TxData};

/// "Not scanned": the value has no prefilter bits (every operator runs).
const UNSCANNED: u32 = u32::MAX;

/// Per-phase cells (one per slot, target list or target) that need no
/// reset between phases: each cell carries the stamp of the phase that
/// wrote it, and reads as empty in any other. Resetting every cell at each
/// phase wrote about 7 KB five times per transaction, most of it for
/// slots the phase does not have. Stamps come from one process-wide
/// counter, so vectors passed between transactions through the pool hold
/// no cell a later phase could take for its own.
struct Cells<T> {
    cells: Vec<(u64, T)>,
}

impl<T> Default for Cells<T> {
    fn default() -> Cells<T> {
        Cells { cells: Vec::new() }
    }
}

impl<T: Copy + Default> Cells<T> {
    /// `n` cells, those already there kept (stamp 0 is never a phase's).
    fn fit(&mut self, n: usize) {
        if self.cells.len() != n {
            self.cells.resize(n, (0, T::default()));
        }
    }

    /// Cell `i`, if phase `stamp` wrote it.
    #[inline]
    fn get(&self, i: usize, stamp: u64) -> Option<T> {
        self.cells
            .get(i)
            .filter(|&&(s, _)| s == stamp)
            .map(|&(_, v)| v)
    }

    /// Writes cell `i` for phase `stamp`.
    #[inline]
    fn set(&mut self, i: usize, stamp: u64, v: T) {
        if let Some(c) = self.cells.get_mut(i) {
            *c = (stamp, v);
        }
    }
}

/// The next phase's stamp (see [`Cells`]); 0 is never handed out.
static NEXT_STAMP: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

/// One entry of a slot: the item's index in the phase's collected items,
/// its transformed value's index in the store and that value's scan (or
/// [`UNSCANNED`]), read by every rule of the slot.
#[derive(Clone, Copy)]
pub(super) struct SlotEntry {
    pub item: u32,
    pub value: u32,
    scan: u32,
}

/// The phase's cache; borrows the data it was built over.
pub(super) struct PhaseCache<'d> {
    data: &'d TxData,
    plan: &'d Plan,
    /// The phase's prefilter, if any.
    prefilter: Option<&'d Prefilter>,
    /// Per slot: whether its values are scanned ([`Plan::scanned`]).
    scanned: &'d [bool],
    /// Per slot: what a raw value needs to be transformed for it
    /// ([`Plan::raw_checks`]).
    raw_checks: &'d [Option<RawCheck>],
    /// This phase's stamp: the cells below it wrote are its own.
    stamp: u64,
    /// Per target list (group), once its targets are collected: the byte
    /// classes ([`Plan::classes`]) of all its raw values. A slot whose
    /// pipeline needs none of them holds exactly the raw values.
    groups: Cells<u64>,
    /// Per group: its raw values' entries, made once for every such slot,
    /// and whether they are scanned.
    group_raw: Cells<(u32, u32, bool)>,
    /// Entries of each slot: a range of `entries`.
    slots: Cells<(u32, u32)>,
    /// Items of each target (see [`Plan::group_targets`]): a range of
    /// `target_items`, collected once per phase, and the byte classes of
    /// their raw values. A group reads its targets' items where they are.
    targets: Cells<(u32, u32, u64)>,
    /// Per target: the entries of its raw values, once made for a group
    /// (a range of `entries`), and whether they are scanned. Target lists
    /// share targets, so another list copies them instead of making them.
    target_raw: Cells<(u32, u32, bool)>,
    target_items: Vec<Item<'d>>,
    /// Per item of `target_items`: its row in the transformed-value table.
    target_rows: Vec<u32>,
    /// Every slot's entries, one after another.
    entries: Vec<SlotEntry>,
    values: Transformed,
}

/// A transformed value.
enum Val {
    /// The raw value (every row starts with one).
    Raw,
    /// A new value.
    Own(Vec<u8>),
    /// Equal to the [`Val::Raw`] or [`Val::Own`] at this index: a step
    /// changed nothing.
    Same(u32),
}

/// "Not computed yet" in [`Transformed::table`].
const UNSET: u32 = u32::MAX;

/// Transformed values of the phase, with their prefilter bits.
struct Transformed {
    /// The values, each with what is known of it (one vector: a value is
    /// stored with one push, where four vectors took four).
    arena: Vec<Stored>,
    /// Prefilter bits of every scan, `words` per scan. Scan 0 is the union
    /// of all the others (see [`PhaseCache::may_match`]).
    bits: Vec<u64>,
    words: usize,
    /// Raw value (address, length) -> its row. Request and response data
    /// do not move within a phase, so the address identifies the value.
    /// (FxHash: the keys are two machine words, SipHash is wasted on them.)
    rows: FxHashMap<(usize, usize), u32>,
    /// Per row, per pipeline: the arena index of the raw value through that
    /// pipeline, or [`UNSET`]; `width` (the number of pipelines) per row.
    /// The same value read through another target list, by a rule outside
    /// any slot, or as the start of a longer pipeline, is transformed once.
    table: Vec<u32>,
    width: usize,
    /// Per row: the byte classes ([`Plan::classes`]) of its raw value, so
    /// pipelines whose triggers it lacks are known to leave it unchanged
    /// without running.
    row_classes: Vec<u64>,
}

/// A value of [`Transformed::arena`].
struct Stored {
    val: Val,
    /// Its scan (index into `bits` in units of `words`), or [`UNSCANNED`].
    scan: u32,
    /// The last value a step made from it, or [`UNSET`]. Pipelines that
    /// differ only in steps which changed nothing (CRS 934100's
    /// `urlDecodeUni,jsDecode,removeWhitespace,base64Decode` and 934160's
    /// `urlDecodeUni,jsDecode,base64Decode`, on a value without white
    /// space) reach one value, and apply their next step to it once.
    made_from: u32,
    /// When a step made it: that step's number ([`Pipe::step_id`]) and the
    /// value made before it from the same value, or [`UNSET`] (a list per
    /// value, most one or two long).
    made_by: (u32, u32),
    /// Its byte classes ([`Plan::classes`]): a step whose trigger classes
    /// it lacks leaves it as it is, without running.
    classes: u64,
}

impl Transformed {
    /// The row of `raw`, made on first use (its bytes as `classes`).
    fn row(&mut self, raw: &[u8], classes: &ByteClasses) -> u32 {
        let next = (self.table.len() / self.width.max(1)) as u32;
        let row = *self
            .rows
            .entry((raw.as_ptr() as usize, raw.len()))
            .or_insert(next);
        if row == next {
            let at = self.table.len();
            self.table.resize(at + self.width, UNSET);
            let c = classes.of(raw);
            self.row_classes.push(c);
            // The raw value's entry, made now: most pipelines end at it.
            let i = self.push(Val::Raw, c);
            self.table[at] = i;
        }
        row
    }

    /// The arena index of `row`'s raw value through pipeline `p`, when the
    /// value lacks every trigger class of `p` (the raw value itself).
    #[inline]
    fn untouched(&self, triggers: Option<u64>, row: u32) -> Option<u32> {
        let t = triggers?;
        let bytes = self.row_classes.get(row as usize)?;
        if bytes & t != 0 {
            return None;
        }
        self.table
            .get(row as usize * self.width)
            .copied()
            .filter(|&i| i != UNSET)
    }

    /// The arena index of `raw` (row `row`) through pipeline `p`,
    /// transforming it on first use (from the result of `p`'s parent).
    /// Most calls find it made: that check is inlined where it is asked.
    #[inline]
    fn index_of(&mut self, plan: &Plan, p: u32, row: u32, raw: &[u8]) -> u32 {
        let at = row as usize * self.width + p as usize;
        match self.table.get(at) {
            Some(&i) if i != UNSET => i,
            _ => self.make(plan, p, row, raw),
        }
    }

    /// [`Transformed::index_of`] when the table has no index yet.
    #[inline(never)]
    fn make(&mut self, plan: &Plan, p: u32, row: u32, raw: &[u8]) -> u32 {
        let pipes = &plan.pipes;
        let at = row as usize * self.width + p as usize;
        if self.table.get(at).is_none() || p as usize >= self.width {
            // Rows come from `row` and pipelines from the plan, so this
            // cannot happen; should it, the value goes untransformed.
            return self.push(Val::Raw, u64::MAX);
        }
        // None of the pipeline's trigger bytes: every step would return the
        // value as it is, so it is the raw value's entry.
        if let Some(i) = pipes
            .get(p as usize)
            .and_then(|x| self.untouched(x.classes, row))
        {
            self.table[at] = i;
            return i;
        }
        let Some((parent, step, step_id)) = pipes
            .get(p as usize)
            .and_then(|x| x.step.map(|s| (x.parent, s, x.step_id)))
        else {
            // The empty pipeline: the raw value.
            let c = self.row_classes.get(row as usize).copied();
            let i = self.push(Val::Raw, c.unwrap_or(u64::MAX));
            self.table[at] = i;
            return i;
        };
        let parent = self.index_of(plan, parent, row, raw);
        let from = self.origin(parent);
        // The value lacks every trigger class of the step (as a value an
        // earlier step made may, where the raw value had them): the step
        // would return it as it is.
        let step_classes = pipes.get(p as usize).and_then(|x| x.step_classes);
        if step_classes.is_some_and(|t| self.arena[from as usize].classes & t == 0) {
            self.table[at] = parent;
            return parent;
        }
        // Another pipeline applied this step to the same value already.
        if let Some(i) = self.made(from, step_id) {
            self.table[at] = i;
            return i;
        }
        let before = self.value(parent, raw);
        let out = step(before);
        // Owned outputs always differ; borrowed ones are the input or a
        // shorter piece of it (see `transformations::is_changed`).
        let (val, classes) = if crate::transformations::is_changed(before, &out) {
            let c = plan.classes.of(&out);
            (Val::Own(out.into_owned()), c)
        } else {
            (Val::Same(from), self.arena[from as usize].classes)
        };
        let i = self.push(val, classes);
        self.table[at] = i;
        let before = self.arena[from as usize].made_from;
        self.arena[i as usize].made_by = (step_id, before);
        self.arena[from as usize].made_from = i;
        i
    }

    /// The value step `step_id` made from the value at `from`, if it did.
    #[inline]
    fn made(&self, from: u32, step_id: u32) -> Option<u32> {
        let mut i = self.arena.get(from as usize)?.made_from;
        while let Some(&(step, before)) = self.arena.get(i as usize).map(|s| &s.made_by) {
            if step == step_id {
                return Some(i);
            }
            i = before;
        }
        None
    }

    /// Stores `val`, of byte classes `classes`; its arena index.
    #[inline]
    fn push(&mut self, val: Val, classes: u64) -> u32 {
        let i = self.arena.len() as u32;
        self.arena.push(Stored {
            val,
            scan: UNSCANNED,
            made_from: UNSET,
            made_by: (UNSET, UNSET),
            classes,
        });
        i
    }

    /// Where the value at `i` is stored (a [`Val::Raw`] or [`Val::Own`]).
    /// Equal origins mean equal values.
    fn origin(&self, i: u32) -> u32 {
        match self.arena[i as usize].val {
            Val::Same(j) => j,
            _ => i,
        }
    }

    /// Whether the raw value of `row` (`raw`) holds a byte (class) or, by
    /// its scan (made now if not yet), a bit of `check`.
    fn raw_passes(&mut self, row: u32, raw: &[u8], pre: &Prefilter, check: &RawCheck) -> bool {
        if self
            .row_classes
            .get(row as usize)
            .is_none_or(|b| b & check.classes != 0)
        {
            return true;
        }
        // Every row starts with its raw value's entry (see `row`).
        let Some(&i) = self.table.get(row as usize * self.width) else {
            return true;
        };
        let at = self.scan(i, raw, pre) as usize * self.words;
        match self.bits.get(at..at + self.words) {
            Some(bits) => check.bits.iter().any(|&b| crate::prefilter::has(bits, b)),
            None => true,
        }
    }

    /// The value at `i`.
    fn value<'a>(&'a self, i: u32, raw: &'a [u8]) -> &'a [u8] {
        match &self.arena[self.origin(i) as usize].val {
            Val::Own(v) => v,
            _ => raw,
        }
    }

    /// Scans the value at `i` unless done (a value stored once is scanned
    /// once for every pipeline that leads to it); its scan.
    #[inline]
    fn scan(&mut self, i: u32, raw: &[u8], pre: &Prefilter) -> u32 {
        match self.arena.get(i as usize).map(|s| s.scan) {
            Some(n) if n != UNSCANNED => n,
            _ => self.scan_new(i, raw, pre),
        }
    }

    /// [`Transformed::scan`] of a value not scanned yet for its own index.
    #[inline(never)]
    fn scan_new(&mut self, i: u32, raw: &[u8], pre: &Prefilter) -> u32 {
        let o = self.origin(i);
        let mut n = self.arena[o as usize].scan;
        if n == UNSCANNED {
            n = (self.bits.len() / self.words.max(1)) as u32;
            let at = self.bits.len();
            // A few words: pushed, where `resize` calls memset.
            for _ in 0..self.words {
                self.bits.push(0);
            }
            let value = match &self.arena[o as usize].val {
                Val::Own(v) => v.as_slice(),
                _ => raw,
            };
            pre.scan_into(value, &mut self.bits[at..]);
            let (union, scan) = self.bits.split_at_mut(at);
            union.iter_mut().zip(scan.iter()).for_each(|(u, b)| *u |= b);
            self.arena[o as usize].scan = n;
        }
        self.arena[i as usize].scan = n;
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
        if e.scan == UNSCANNED {
            return true;
        }
        let at = e.scan as usize * v.words;
        match v.bits.get(at..at + v.words) {
            Some(bits) => crate::prefilter::has(bits, bit),
            None => true,
        }
    }
}

/// The phase cache's vectors, kept by the transaction between phases so
/// that each phase reuses the memory of the one before.
#[derive(Default)]
pub(super) struct Buffers {
    groups: Cells<u64>,
    group_raw: Cells<(u32, u32, bool)>,
    slots: Cells<(u32, u32)>,
    targets: Cells<(u32, u32, u64)>,
    target_raw: Cells<(u32, u32, bool)>,
    /// Always empty here: items borrow the phase's data.
    target_items: Vec<Item<'static>>,
    target_rows: Vec<u32>,
    entries: Vec<SlotEntry>,
    arena: Vec<Stored>,
    bits: Vec<u64>,
    rows: FxHashMap<(usize, usize), u32>,
    table: Vec<u32>,
    row_classes: Vec<u64>,
}

impl Buffers {
    /// Empties every vector, keeping its memory (no request byte stays in a
    /// buffer handed to another transaction). The per-phase cells stay as
    /// they are: they hold positions, counts and which byte classes values held
    /// (never the values), and the next phase's stamp leaves them all
    /// empty (see [`Cells`]).
    pub fn clear(&mut self) {
        self.target_items.clear();
        self.target_rows.clear();
        self.entries.clear();
        self.arena.clear();
        self.bits.clear();
        self.rows.clear();
        self.table.clear();
        self.row_classes.clear();
    }

    /// Whether the vectors sized by the request (not by the rule set) are here.
    pub fn has_large(&self) -> bool {
        self.target_items.capacity() > 0
    }

    /// The vectors sized by the request, moved out (this keeps the others).
    pub fn take_large(&mut self) -> Buffers {
        let mut large = Buffers::default();
        self.swap_large(&mut large);
        large
    }

    /// Takes `other`'s request-sized vectors in place of these.
    pub fn put_large(&mut self, mut other: Buffers) {
        self.swap_large(&mut other);
    }

    /// Exchanges the request-sized vectors (the one list of them).
    fn swap_large(&mut self, other: &mut Buffers) {
        use std::mem::swap;
        swap(&mut self.target_items, &mut other.target_items);
        swap(&mut self.target_rows, &mut other.target_rows);
        swap(&mut self.entries, &mut other.entries);
        swap(&mut self.arena, &mut other.arena);
        swap(&mut self.bits, &mut other.bits);
        swap(&mut self.table, &mut other.table);
        swap(&mut self.row_classes, &mut other.row_classes);
        // Rule-set sized, but about 80 bytes a target list and 16 a slot:
        // not worth holding in a transaction that waits for its response.
        swap(&mut self.groups, &mut other.groups);
        swap(&mut self.group_raw, &mut other.group_raw);
        swap(&mut self.slots, &mut other.slots);
        swap(&mut self.targets, &mut other.targets);
        swap(&mut self.target_raw, &mut other.target_raw);
    }
}

/// Item `n` of the phase's collected items and its row (free of `self`,
/// so the value table can be borrowed beside it).
fn item_row<'a, 'd>(items: &'a [Item<'d>], rows: &[u32], n: u32) -> Option<(&'a Item<'d>, u32)> {
    Some((items.get(n as usize)?, *rows.get(n as usize)?))
}

/// The entry of item `n` with value `v` (of raw value `raw`), scanned with
/// `pre` when given (free of `self`, so the items can be borrowed beside).
fn entry(
    values: &mut Transformed,
    n: u32,
    v: u32,
    raw: &[u8],
    pre: Option<&Prefilter>,
) -> SlotEntry {
    let scan = match pre {
        Some(pre) => values.scan(v, raw, pre),
        None => UNSCANNED,
    };
    SlotEntry {
        item: n,
        value: v,
        scan,
    }
}

/// An empty vector of another element lifetime, keeping the memory (the
/// element types differ only in lifetime, so the collect happens in place).
fn relabel<'a, 'b>(v: Vec<Item<'a>>) -> Vec<Item<'b>> {
    let mut v = v;
    v.clear();
    v.into_iter()
        .map(|_| unreachable!("the vector is empty"))
        .collect()
}

impl<'d> PhaseCache<'d> {
    pub fn new(data: &'d TxData, plan: &'d Plan, phase: u8, mut b: Buffers) -> PhaseCache<'d> {
        let prefilter = plan.prefilters[usize::from(phase.clamp(1, 5) - 1)].as_ref();
        b.clear();
        let words = prefilter.map_or(0, Prefilter::words);
        let stamp = NEXT_STAMP.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        b.groups.fit(plan.group_targets.len());
        b.group_raw.fit(plan.group_targets.len());
        b.slots.fit(plan.slots.len());
        b.targets.fit(plan.targets);
        b.target_raw.fit(plan.targets);
        let h = &plan.hints;
        let mut target_items = relabel(b.target_items);
        CacheHints::reserve(&h.items, &mut target_items);
        CacheHints::reserve(&h.items, &mut b.target_rows);
        CacheHints::reserve(&h.entries, &mut b.entries);
        CacheHints::reserve(&h.values, &mut b.arena);
        CacheHints::reserve(&h.bits, &mut b.bits);
        // Scan 0: the union of the phase's scans, empty so far.
        b.bits.resize(words, 0);
        CacheHints::reserve(&h.table, &mut b.table);
        PhaseCache {
            data,
            plan,
            prefilter,
            scanned: &plan.scanned[usize::from(phase.clamp(1, 5) - 1)],
            raw_checks: &plan.raw_checks[usize::from(phase.clamp(1, 5) - 1)],
            stamp,
            groups: b.groups,
            group_raw: b.group_raw,
            slots: b.slots,
            targets: b.targets,
            target_raw: b.target_raw,
            target_items,
            target_rows: b.target_rows,
            entries: b.entries,
            values: Transformed {
                arena: b.arena,
                bits: b.bits,
                words,
                rows: b.rows,
                table: b.table,
                width: plan.pipes.len().max(1),
                row_classes: b.row_classes,
            },
        }
    }

    /// The vectors back, for the next phase.
    pub fn into_buffers(self) -> Buffers {
        let h = &self.plan.hints;
        let v = self.values;
        CacheHints::record(&h.items, self.target_items.len());
        CacheHints::record(&h.entries, self.entries.len());
        CacheHints::record(&h.values, v.arena.len());
        CacheHints::record(&h.bits, v.bits.len());
        CacheHints::record(&h.table, v.table.len());
        Buffers {
            groups: self.groups,
            group_raw: self.group_raw,
            slots: self.slots,
            targets: self.targets,
            target_raw: self.target_raw,
            target_items: relabel(self.target_items),
            target_rows: self.target_rows,
            entries: self.entries,
            arena: v.arena,
            bits: v.bits,
            rows: v.rows,
            table: v.table,
            row_classes: v.row_classes,
        }
    }

    /// The values of `r`'s slot (`r.plan.slot` must be set), computed on
    /// first use (most calls find them made: inlined where asked).
    #[inline]
    pub fn slot<'c>(&'c mut self, slot: u32, r: &Rule) -> SlotView<'c, 'd> {
        let (start, end) = match self.slots.get(slot as usize, self.stamp) {
            Some(range) => range,
            None => {
                let range = self.fill(slot, r);
                self.slots.set(slot as usize, self.stamp, range);
                range
            }
        };
        SlotView {
            items: &self.target_items,
            entries: self
                .entries
                .get(start as usize..end as usize)
                .unwrap_or_default(),
            values: &self.values,
        }
    }

    /// Whether any value of `slot` has prefilter bit `bit` (filling the
    /// slot from `r`'s targets on first use): when not, a rule whose first
    /// link is `r` cannot match. Most gates are answered by the union of
    /// every value the phase scanned: a bit no value has, no value of the
    /// slot has either. Otherwise the slot's values are asked in turn
    /// (keeping a union per slot cost more than it saved).
    pub fn may_match(&mut self, slot: u32, bit: u32, r: &Rule) -> bool {
        let words = self.values.words;
        if self.prefilter.is_none() || words == 0 {
            return true;
        }
        let scanned = self.scanned.get(slot as usize) == Some(&true);
        let view = self.slot(slot, r);
        let v = view.values;
        let (w, mask) = (bit as usize / 64, 1u64 << (bit % 64));
        // A scanned slot's values are all scanned (none reads UNSCANNED),
        // and so are in the union.
        if scanned && v.bits.get(w).is_some_and(|u| u & mask == 0) {
            return false;
        }
        // `SlotView::passes` for each entry, with the bit's word and mask
        // worked out once: calling it here cost 1% more per benign GET.
        view.entries.iter().any(|e| {
            e.scan == UNSCANNED
                || v.bits
                    .get(e.scan as usize * words + w)
                    .is_none_or(|b| b & mask != 0)
        })
    }

    /// Computes a slot's entries (and its group's items, if not done);
    /// their range in `entries`.
    #[inline(never)]
    fn fill(&mut self, slot: u32, r: &Rule) -> (u32, u32) {
        let Slot {
            group,
            pipeline,
            multi,
        } = self.plan.slots[slot as usize];
        let plan = self.plan;
        // The plan numbers every target of every list (`r.targets`).
        let ids: &'d [u32] = plan
            .group_targets
            .get(group as usize)
            .map_or(&[], Vec::as_slice);
        let bytes = match self.groups.get(group as usize, self.stamp) {
            Some(bytes) => bytes,
            None => self.collect_group(group, ids, r),
        };
        // No value of the group has a byte the pipeline needs: every step
        // leaves every value as it is, so the slot holds the raw values
        // (multiMatch too: it drops unchanged steps).
        let triggers = self
            .plan
            .pipes
            .get(pipeline as usize)
            .and_then(|x| x.classes);
        let pre = self
            .prefilter
            .filter(|_| self.scanned.get(slot as usize) == Some(&true));
        if let Some(t) = triggers {
            if bytes & t == 0 {
                return self.raw_entries(group, ids, pre);
            }
        }
        // multiMatch: the value before the pipeline and after each step
        // that changed it; otherwise the end result only.
        let made;
        let steps: &[(u32, Option<u64>)] = match plan.slot_paths.get(slot as usize) {
            Some(path) if !path.is_empty() => path,
            // A plan always has them; should one be missing, it is made here.
            _ => {
                made = plan.steps(pipeline, multi);
                &made
            }
        };
        let start = self.entries.len() as u32;
        let check = self
            .raw_checks
            .get(slot as usize)
            .and_then(Option::as_ref)
            .zip(self.prefilter);
        let width = self.values.width;
        for &id in ids {
            let (from, to, _) = self
                .targets
                .get(id as usize, self.stamp)
                .unwrap_or_default();
            for n in from..to {
                let Some((item, row)) = item_row(&self.target_items, &self.target_rows, n) else {
                    break;
                };
                // No link of the slot can match what the pipeline makes of it.
                if let Some((check, pre)) = check {
                    if !self.values.raw_passes(row, &item.value, pre, check) {
                        continue;
                    }
                }
                // The raw value's bytes and entry, read once for every step:
                // most steps leave most values as they are.
                let bytes = self.values.row_classes.get(row as usize).copied();
                let raw = self
                    .values
                    .table
                    .get(row as usize * width)
                    .copied()
                    .filter(|&i| i != UNSET);
                let mut last = None;
                for &(p, triggers) in steps {
                    let untouched = match (triggers, bytes) {
                        (Some(t), Some(b)) => b & t == 0,
                        _ => false,
                    };
                    let (v, origin) = match raw {
                        Some(raw) if untouched => (raw, raw),
                        _ => {
                            let v = self.values.index_of(self.plan, p, row, &item.value);
                            (v, self.values.origin(v))
                        }
                    };
                    if last == Some(origin) {
                        continue;
                    }
                    last = Some(origin);
                    self.entries
                        .push(entry(&mut self.values, n, v, &item.value, pre));
                }
            }
        }
        (start, self.entries.len() as u32)
    }

    /// Collects the targets of group `group` (`r`'s, numbered `ids`) not
    /// collected yet; the byte classes of the group's raw values.
    fn collect_group(&mut self, group: u32, ids: &[u32], r: &Rule) -> u64 {
        // A list is numbered from the targets of the rules that share it
        // (equal lists, equal targets): one number per target.
        debug_assert_eq!(ids.len(), r.targets.len());
        let mut bytes = 0;
        for (&id, t) in ids.iter().zip(&r.targets) {
            let id = id as usize;
            let b = match self.targets.get(id, self.stamp) {
                Some((_, _, b)) => b,
                None => {
                    // Each item's row and bytes, once per target rather
                    // than once per group or slot.
                    let from = self.target_items.len();
                    self.data.collect(t, &mut self.target_items);
                    let mut b = 0;
                    for item in &self.target_items[from..] {
                        let row = self.values.row(&item.value, &self.plan.classes);
                        self.target_rows.push(row);
                        if let Some(rb) = self.values.row_classes.get(row as usize) {
                            b |= rb;
                        }
                    }
                    let to = self.target_items.len() as u32;
                    self.targets.set(id, self.stamp, (from as u32, to, b));
                    b
                }
            };
            bytes |= b;
        }
        self.groups.set(group as usize, self.stamp, bytes);
        bytes
    }

    /// The entries of the raw values of group `group` (targets `ids`),
    /// made on first use; scanned with `pre` when given.
    fn raw_entries(&mut self, group: u32, ids: &[u32], pre: Option<&Prefilter>) -> (u32, u32) {
        if let Some((start, end, scanned)) = self.group_raw.get(group as usize, self.stamp) {
            // Made for a slot without scans, now read by one with.
            if let (Some(pre), false) = (pre, scanned) {
                self.scan_entries(start as usize..end as usize, pre);
                self.group_raw
                    .set(group as usize, self.stamp, (start, end, true));
            }
            return (start, end);
        }
        let start = self.entries.len() as u32;
        for &id in ids {
            self.target_raw_entries(id as usize, pre);
        }
        let end = self.entries.len() as u32;
        self.group_raw
            .set(group as usize, self.stamp, (start, end, pre.is_some()));
        (start, end)
    }

    /// Appends the raw entries of target `id` (its items must be
    /// collected): a copy of those made for an earlier group, scanned now
    /// if they were not and `pre` is given.
    fn target_raw_entries(&mut self, id: usize, pre: Option<&Prefilter>) {
        let at = self.entries.len();
        match self.target_raw.get(id, self.stamp) {
            Some((s, e, scanned)) => {
                self.entries.extend_from_within(s as usize..e as usize);
                match (pre, scanned) {
                    (Some(pre), false) => self.scan_entries(at..self.entries.len(), pre),
                    _ => return,
                }
            }
            None => {
                let (from, to, _) = self.targets.get(id, self.stamp).unwrap_or_default();
                for n in from..to {
                    self.push_raw(n, pre);
                }
            }
        }
        self.target_raw.set(
            id,
            self.stamp,
            (at as u32, self.entries.len() as u32, pre.is_some()),
        );
    }

    /// Scans the values of `entries[range]`, made without scans.
    fn scan_entries(&mut self, range: std::ops::Range<usize>, pre: &Prefilter) {
        for k in range {
            let Some(e) = self.entries.get(k).copied() else {
                break;
            };
            if let Some(item) = self.target_items.get(e.item as usize) {
                self.entries[k].scan = self.values.scan(e.value, &item.value, pre);
            }
        }
    }

    /// Appends the entry of item `n`'s raw value, scanned with `pre` when given.
    fn push_raw(&mut self, n: u32, pre: Option<&Prefilter>) {
        let Some((item, row)) = item_row(&self.target_items, &self.target_rows, n) else {
            return;
        };
        // Every row starts with its raw value's entry (see `row`).
        let v = self.values.index_of(self.plan, 0, row, &item.value);
        self.entries
            .push(entry(&mut self.values, n, v, &item.value, pre));
    }

    /// `raw` (request/response data, unchanged for the phase) through
    /// pipeline `pipeline`, for rules outside any slot.
    pub fn transformed<'a>(&'a mut self, pipeline: u32, raw: &'a [u8]) -> &'a [u8] {
        let row = self.values.row(raw, &self.plan.classes);
        let i = self.values.index_of(self.plan, pipeline, row, raw);
        self.values.value(i, raw)
    }
}
