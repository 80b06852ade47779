//! Required-literal extraction: for an `@rx` pattern, a small set of strings
//! of which at least one occurs in every match.
//!
//! A prefilter can then skip the regex on inputs that contain none of them.
//! The analysis walks the pattern's HIR (parsed exactly as
//! [`crate::operators::rx::compile`] parses it in byte mode) and computes for
//! every node these sets, all ASCII-lowercased:
//!
//! * `exact`: the node's whole language, when it is a small finite set;
//! * `prefix` / `suffix`: every string of the language starts / ends with a
//!   member;
//! * `required`: every string of the language contains a member.
//!
//! The last three never contain the empty string (that would say nothing).
//! `None` is always a safe answer, so every bound (set size, string length,
//! total work) degrades to `None`, or to shorter strings: cutting members of
//! a `required` or `prefix` set to a prefix (of a `suffix` set to a suffix)
//! keeps it true.

use std::collections::BTreeSet;
use std::rc::Rc;

use regex_syntax::hir::{Class, Hir, HirKind};
use regex_syntax::ParserBuilder;

/// Most strings in an `exact`, `prefix` or `suffix` set.
const MAX_EXACT: usize = 256;
/// Longest string in an `exact` set; other sets' strings are cut to this.
const MAX_LEN: usize = 64;
/// Largest class (after case folding) kept as a set of single bytes.
const MAX_CLASS: usize = 8;
/// Most strings in a `required` set (CRS has huge alternations).
const MAX_REQUIRED: usize = 512;
/// Total work budget (roughly bytes copied or compared) for one pattern.
const FUEL: usize = 16_000_000;
/// Shortest-literal lengths below this are never traded for fewer strings.
const RANK_MIN_LEN: usize = 4;
/// Shortest-literal lengths beyond this are not worth more strings.
const RANK_MAX_LEN: usize = 12;
/// Largest finite repetition bound expanded into an exact set.
const MAX_REPEAT_EXPAND: u32 = 16;

/// A set of ASCII-lowercased strings, shared between nodes' results.
type Set = Rc<BTreeSet<Vec<u8>>>;

/// Strings (ASCII-lowercased) of which at least one occurs in every match of
/// the pattern (compared ASCII-case-insensitively); None when no such set is known.
///
/// `Some(vec![])` means the pattern can never match. The pattern is read as
/// `@rx` reads it in byte mode; patterns that only compile in Unicode mode
/// (`rx::compile`'s fallback) get `None`.
pub(crate) fn required_literals(pattern: &str) -> Option<Vec<Vec<u8>>> {
    let hir = parse(pattern)?;
    // The second reading costs a second analysis: only for sets that pass
    // nearly every value (none, or a single letter or digit among them).
    let set = match analyse(&hir) {
        Some(set) if rank(&set).1 => set,
        plain => better(plain, gapped(&hir))?,
    };
    Some(Rc::unwrap_or_clone(set).into_iter().collect())
}

/// The pruned `required` set of `hir`, if any.
fn analyse(hir: &Hir) -> Option<Set> {
    let mut a = Analyzer { fuel: FUEL };
    let info = a.node(hir);
    a.prune(info.required?)
}

/// Most bytes a gap (see [`gapped`]) may start with.
const MAX_GAP_BYTES: usize = 8;

/// The `required` set of a pattern whose literals are broken up by
/// optional gaps, as CRS writes commands against shell evasion: `b` then
/// `["')\[\\]*(?:...\$[...]*)?\\?` then `u` and so on for `busybox`. A match
/// either leaves every gap empty, and then it matches the pattern without
/// them, or has a gap that is not, and then holds one of the bytes that gap
/// starts with. So the literals of the pattern without its gaps, plus those
/// bytes, are required. Gaps are the parts of concatenations that can be
/// empty and start with one of a few bytes, none a letter or digit, when
/// they are not.
fn gapped(hir: &Hir) -> Option<Set> {
    let mut bytes = BTreeSet::new();
    let without = without_gaps(hir, &mut bytes);
    if bytes.is_empty() {
        return None;
    }
    let mut a = Analyzer { fuel: FUEL };
    let mut set = Rc::unwrap_or_clone(a.node(&without).required?);
    set.extend(bytes.into_iter().map(|b| vec![b.to_ascii_lowercase()]));
    // The bytes may take the set past the bound every other set keeps.
    a.prune(Rc::new(set)).filter(|s| s.len() <= MAX_REQUIRED)
}

/// `hir` with its gaps (see [`gapped`]) replaced by the empty string, the
/// bytes they start with added to `bytes`.
fn without_gaps(hir: &Hir, bytes: &mut BTreeSet<u8>) -> Hir {
    match hir.kind() {
        HirKind::Concat(subs) => Hir::concat(
            subs.iter()
                .map(|sub| {
                    let gap = (sub.properties().minimum_len() == Some(0)
                        && sub.properties().maximum_len() != Some(0))
                    .then(|| first_bytes(sub))
                    .flatten()
                    // An optional letter (`s(?:s)?h`) is for the literals.
                    .filter(|f| !f.iter().any(u8::is_ascii_alphanumeric))
                    .filter(|f| f.union(bytes).count() <= 4 * MAX_GAP_BYTES);
                    match gap {
                        Some(f) => {
                            bytes.extend(f);
                            Hir::empty()
                        }
                        None => without_gaps(sub, bytes),
                    }
                })
                .collect(),
        ),
        HirKind::Alternation(subs) => {
            Hir::alternation(subs.iter().map(|s| without_gaps(s, bytes)).collect())
        }
        HirKind::Capture(c) => without_gaps(&c.sub, bytes),
        HirKind::Repetition(r) => Hir::repetition(regex_syntax::hir::Repetition {
            sub: Box::new(without_gaps(&r.sub, bytes)),
            ..r.clone()
        }),
        _ => hir.clone(),
    }
}

/// The bytes the non-empty strings of `hir` start with, when there are at
/// most [`MAX_GAP_BYTES`] of them.
fn first_bytes(hir: &Hir) -> Option<BTreeSet<u8>> {
    let out: BTreeSet<u8> = match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => BTreeSet::new(),
        HirKind::Literal(lit) => lit.0.first().copied().into_iter().collect(),
        HirKind::Class(class) => class_bytes(class)?
            .iter()
            .filter_map(|b| b.first().copied())
            .collect(),
        HirKind::Capture(c) => first_bytes(&c.sub)?,
        HirKind::Repetition(r) => first_bytes(&r.sub)?,
        HirKind::Concat(subs) => {
            let mut acc = BTreeSet::new();
            for sub in subs {
                acc.extend(first_bytes(sub)?);
                if sub.properties().minimum_len() != Some(0) {
                    break;
                }
            }
            acc
        }
        HirKind::Alternation(subs) => {
            let mut acc = BTreeSet::new();
            for sub in subs {
                acc.extend(first_bytes(sub)?);
            }
            acc
        }
    };
    (out.len() <= MAX_GAP_BYTES).then_some(out)
}

/// Parses `pattern` with the flags of `rx::compile`'s byte-mode build.
pub(crate) fn parse(pattern: &str) -> Option<Hir> {
    let pattern = crate::operators::rx::byte_hex_escapes(pattern);
    ParserBuilder::new()
        .unicode(false)
        .utf8(false)
        .dot_matches_new_line(true)
        .multi_line(true)
        .build()
        .parse(&pattern)
        .ok()
}

/// What is known about one HIR node.
#[derive(Debug, Clone, Default)]
struct Info {
    exact: Option<Set>,
    prefix: Option<Set>,
    suffix: Option<Set>,
    required: Option<Set>,
}

/// Which end of its strings a set constrains, i.e. which end to keep when
/// strings are cut.
#[derive(Clone, Copy, PartialEq)]
enum End {
    Start,
    Finish,
}

/// Which of a node's sets a set is: that decides its bounds and how it may be
/// shrunk.
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    /// Cannot be shrunk at all.
    Exact,
    /// May be cut to shorter prefixes.
    Prefix,
    /// May be cut to shorter suffixes.
    Suffix,
    /// May be cut anywhere, and members containing others may go.
    Required,
}

impl Kind {
    fn max(self) -> usize {
        match self {
            Kind::Required => MAX_REQUIRED,
            _ => MAX_EXACT,
        }
    }

    fn keep(self) -> End {
        match self {
            Kind::Suffix => End::Finish,
            _ => End::Start,
        }
    }
}

/// How good a `required` set is for a prefilter; higher is better. Up to
/// [`RANK_MIN_LEN`] bytes, a longer shortest literal always wins (short ones
/// match everywhere); then a set without a single letter or digit (which
/// nearly every value holds) beats one with; beyond that, each doubling of
/// the number of strings must be paid for by one more byte of shortest
/// length (up to [`RANK_MAX_LEN`]); then fewer strings, then longer ones.
type Rank = (usize, bool, isize, usize, usize);

fn rank(s: &Set) -> Rank {
    let alnum = s
        .iter()
        .any(|x| matches!(x[..], [b] if b.is_ascii_alphanumeric()));
    rank_of(
        s.iter().map(Vec::len).min().unwrap_or(usize::MAX),
        s.len(),
        alnum,
    )
}

/// The rank of a set of `count` strings, the shortest `min` bytes long,
/// with a single letter or digit among them when `alnum`.
fn rank_of(min: usize, count: usize, alnum: bool) -> Rank {
    let bits = (usize::BITS - count.leading_zeros()) as isize;
    (
        min.min(RANK_MIN_LEN),
        !alnum,
        min.min(RANK_MAX_LEN) as isize - bits,
        usize::MAX - count,
        min,
    )
}

fn better(a: Option<Set>, b: Option<Set>) -> Option<Set> {
    match (a, b) {
        (Some(a), Some(b)) => Some(if rank(&b) > rank(&a) { b } else { a }),
        (a, b) => a.or(b),
    }
}

fn has_empty(s: &Set) -> bool {
    s.contains(&b""[..])
}

fn only_empty(s: &Set) -> bool {
    s.iter().all(Vec::is_empty)
}

fn single(bytes: &[u8]) -> Set {
    Rc::new(std::iter::once(bytes.to_ascii_lowercase()).collect())
}

fn empty_string() -> Set {
    single(b"")
}

/// The first or last `len` bytes of `s`.
fn cut(s: &[u8], len: usize, keep: End) -> Vec<u8> {
    let s = if s.len() <= len {
        s
    } else if keep == End::Start {
        &s[..len]
    } else {
        &s[s.len() - len..]
    };
    s.to_vec()
}

struct Analyzer {
    fuel: usize,
}

impl Analyzer {
    /// Takes `n` units of work; false once the budget is spent.
    fn spend(&mut self, n: usize) -> bool {
        match self.fuel.checked_sub(n) {
            Some(f) => {
                self.fuel = f;
                true
            }
            None => {
                self.fuel = 0;
                false
            }
        }
    }

    fn node(&mut self, hir: &Hir) -> Info {
        if !self.spend(1) {
            return Info::default();
        }
        let info = match hir.kind() {
            HirKind::Empty | HirKind::Look(_) => Info {
                exact: Some(empty_string()),
                ..Info::default()
            },
            HirKind::Literal(lit) => {
                let folded = lit.0.to_ascii_lowercase();
                if folded.len() <= MAX_LEN {
                    Info {
                        exact: Some(single(&folded)),
                        ..Info::default()
                    }
                } else {
                    let start = single(&folded[..MAX_LEN]);
                    Info {
                        exact: None,
                        prefix: Some(start.clone()),
                        suffix: Some(single(&folded[folded.len() - MAX_LEN..])),
                        required: Some(start),
                    }
                }
            }
            HirKind::Class(class) => Info {
                exact: class_bytes(class),
                ..Info::default()
            },
            HirKind::Capture(c) => self.node(&c.sub),
            HirKind::Repetition(r) => {
                let sub = self.node(&r.sub);
                self.repetition(sub, r.min, r.max)
            }
            HirKind::Concat(subs) => self.concat(subs),
            HirKind::Alternation(subs) => self.alternation(subs),
        };
        self.finish(info)
    }

    /// Derives what the exact set gives, adds prefix and suffix as `required`
    /// candidates, and enforces the bounds.
    fn finish(&mut self, mut info: Info) -> Info {
        if let Some(e) = &info.exact {
            if !has_empty(e) {
                info.prefix = Some(e.clone());
                info.suffix = Some(e.clone());
                info.required = better(info.required.take(), Some(e.clone()));
            }
        }
        info.prefix = info.prefix.and_then(|s| self.fit(s, Kind::Prefix));
        info.suffix = info.suffix.and_then(|s| self.fit(s, Kind::Suffix));
        let required = better(info.prefix.clone(), info.suffix.clone());
        info.required = better(info.required.take(), required);
        info.required = info.required.and_then(|s| self.fit(s, Kind::Required));
        info
    }

    /// `{a·b}`, or None when it would exceed the exact-set bounds.
    fn product(&mut self, a: &Set, b: &Set) -> Option<Set> {
        if !self.spend(1 + a.len() + b.len()) {
            return None;
        }
        if only_empty(a) && a.len() == 1 {
            return Some(b.clone());
        }
        if only_empty(b) && b.len() == 1 {
            return Some(a.clone());
        }
        let count = a.len().checked_mul(b.len())?;
        if count > MAX_EXACT {
            return None;
        }
        let max_a = a.iter().map(Vec::len).max().unwrap_or(0);
        let max_b = b.iter().map(Vec::len).max().unwrap_or(0);
        if max_a + max_b > MAX_LEN {
            return None;
        }
        if !self.spend(count * (max_a + max_b + 1)) {
            return None;
        }
        let mut out = BTreeSet::new();
        for x in a.iter() {
            for y in b.iter() {
                let mut s = Vec::with_capacity(x.len() + y.len());
                s.extend_from_slice(x);
                s.extend_from_slice(y);
                out.insert(s);
            }
        }
        Some(Rc::new(out))
    }

    /// A `required` set for `a` followed by `b` when `{a·b}` is too large:
    /// the members of `a` shorter than some length, each followed by every
    /// member of `b`, and the longer members alone. A string holding some
    /// `x·y` (`x` in `a`, `y` in `b`) holds one of them: `x·y` when `x` is
    /// short, `x` otherwise. CRS 930100's `[/\\]` or an encoding of it,
    /// then `.` or an encoding of it: `/.` instead of `.` alone. The length
    /// whose set ranks best within the bounds is taken.
    /// Only sets that may rank above `beat` are built (the rank's first
    /// parts follow from the lengths and the count alone).
    fn extend_short(&mut self, a: &Set, b: &Set, beat: Option<Rank>) -> Option<Set> {
        let max_b = b.iter().map(Vec::len).max()?;
        let min_b = b.iter().map(Vec::len).min()?;
        let mut best: Option<Set> = None;
        for len in 2..=RANK_MAX_LEN {
            let short: Vec<&Vec<u8>> = a.iter().filter(|x| x.len() < len).collect();
            let Some(min_short) = short.iter().map(|x| x.len()).min() else {
                continue;
            };
            // Longer cuts only make more strings.
            let size = short.len().checked_mul(b.len())? + (a.len() - short.len());
            if size > MAX_REQUIRED || short.iter().any(|x| x.len() + max_b > MAX_LEN) {
                break;
            }
            // At most this short and this many: its rank's first three parts
            // are at least these (the set may merge equal strings; taken
            // without a single letter or digit, the best case).
            let head = rank_of((min_short + min_b).min(len), size, false);
            if beat.is_some_and(|b| (head.0, head.1, head.2) <= (b.0, b.1, b.2)) {
                continue;
            }
            if !self.spend(size * (len + max_b + 1)) {
                break;
            }
            let mut out: BTreeSet<Vec<u8>> = a.iter().filter(|x| x.len() >= len).cloned().collect();
            for x in &short {
                for y in b.iter() {
                    out.insert([x.as_slice(), y].concat());
                }
            }
            let out = Rc::new(out);
            if !has_empty(&out) {
                best = better(best, Some(out));
            }
        }
        best
    }

    fn repetition(&mut self, sub: Info, min: u32, max: Option<u32>) -> Info {
        let exact = sub
            .exact
            .as_ref()
            .and_then(|e| self.repeat_exact(e, min, max));
        if min == 0 {
            // The empty string matches: nothing is required.
            return Info {
                exact,
                ..Info::default()
            };
        }
        let mut info = Info {
            exact,
            prefix: sub.prefix,
            suffix: sub.suffix,
            required: sub.required,
        };
        // Every match starts and ends with `min` copies of the child: as
        // many of them as stay within bounds are prefix, suffix and required.
        if let Some(e) = &sub.exact {
            // (An empty `e` never matches, and is its own power.)
            if !has_empty(e) && !e.is_empty() {
                let mut pow = e.clone();
                // Each copy adds a byte: the length bound ends this early.
                for _ in 1..min {
                    match self.product(&pow, e) {
                        Some(p) => pow = p,
                        None => break,
                    }
                }
                info.prefix = Some(pow.clone());
                info.suffix = Some(pow.clone());
                info.required = better(info.required, Some(pow));
            }
        }
        info
    }

    /// The exact language of `e{min,max}`, if small.
    fn repeat_exact(&mut self, e: &Set, min: u32, max: Option<u32>) -> Option<Set> {
        if only_empty(e) {
            // e is {} or {""}: e^k is {""} for k = 0 and e for k >= 1.
            return Some(if min == 0 { empty_string() } else { e.clone() });
        }
        let max = max?;
        if max < min || max > MAX_REPEAT_EXPAND {
            return None;
        }
        // Every extra copy of a non-empty string adds a byte, so these loops
        // end (by bound) within MAX_LEN steps.
        let mut pow = empty_string();
        for _ in 0..min {
            pow = self.product(&pow, e)?;
        }
        let mut out = BTreeSet::clone(&pow);
        for _ in min..max {
            pow = self.product(&pow, e)?;
            if !self.spend(pow.len()) {
                return None;
            }
            out.extend(pow.iter().cloned());
            if out.len() > MAX_EXACT {
                return None;
            }
        }
        Some(Rc::new(out))
    }

    fn concat(&mut self, subs: &[Hir]) -> Info {
        let infos: Vec<Info> = subs.iter().map(|h| self.node(h)).collect();

        // Exact: the cross product of all children.
        let mut exact = Some(empty_string());
        for i in &infos {
            exact = match (exact, &i.exact) {
                (Some(acc), Some(e)) => self.product(&acc, e),
                _ => None,
            };
            if exact.is_none() {
                break;
            }
        }

        if let Some(e) = &exact {
            if e.len() == 1 && !has_empty(e) {
                // One string: nothing beats it (`finish` derives the rest).
                return Info {
                    exact,
                    ..Info::default()
                };
            }
        }
        // With an exact set, these would be it (`finish` sets them).
        let (prefix, suffix) = if exact.is_some() {
            (None, None)
        } else {
            (
                self.concat_affix(infos.iter(), End::Start),
                self.concat_affix(infos.iter().rev(), End::Finish),
            )
        };

        // Required: the best child, or a window of consecutive exact children
        // (`(?i)union` is five one-byte classes), extended by the suffix of
        // the child before and the prefix of the child after.
        let mut required: Option<Set> = None;
        for i in &infos {
            required = better(required, i.required.clone());
        }
        let mut best = required.as_ref().map(rank);
        for start in 0..infos.len() {
            if good_enough(&required) || self.fuel == 0 {
                break;
            }
            let before = start.checked_sub(1).map(|b| &infos[b]);
            let left = match before {
                Some(Info {
                    exact: None,
                    suffix: Some(s),
                    ..
                }) => Some(s.clone()),
                _ => None,
            };
            // A bare window opening on an empty-width child (`\b`) is the
            // one opening on the next child.
            let bare = match &infos[start].exact {
                Some(e) => !(e.len() == 1 && only_empty(e)),
                None => true,
            };
            let lefts = [bare.then(empty_string), left];
            for left in lefts.into_iter().flatten() {
                let mut window = left;
                for i in &infos[start..] {
                    let (next, last) = match (&i.exact, &i.prefix) {
                        (Some(e), _) => (e, false),
                        (None, Some(p)) => (p, true),
                        (None, None) => break,
                    };
                    let Some(p) = self.product(&window, next) else {
                        // Too many strings to go on: the window's short
                        // members followed by the child's, its long ones
                        // alone, can still beat the best so far.
                        if let Some(m) = self.extend_short(&window, next, best) {
                            let r = rank(&m);
                            if best.is_none_or(|b| r > b) {
                                best = Some(r);
                                required = Some(m);
                            }
                        }
                        break;
                    };
                    window = p;
                    if !has_empty(&window) {
                        let r = rank(&window);
                        if best.is_none_or(|b| r > b) {
                            best = Some(r);
                            required = Some(window.clone());
                        }
                    }
                    if last {
                        break;
                    }
                }
            }
        }
        Info {
            exact,
            prefix,
            suffix,
            required,
        }
    }

    /// The prefix (`End::Start`, children in order) or suffix (`End::Finish`,
    /// children in reverse) of a concatenation: exact children multiply in
    /// until the first one that is not exact contributes its own affix.
    fn concat_affix<'a>(&mut self, infos: impl Iterator<Item = &'a Info>, end: End) -> Option<Set> {
        let mut acc = empty_string();
        for i in infos {
            let affix = match end {
                End::Start => &i.prefix,
                End::Finish => &i.suffix,
            };
            let (next, last) = match (&i.exact, affix) {
                (Some(e), _) => (e, false),
                (None, Some(a)) => (a, true),
                (None, None) => break,
            };
            let p = match end {
                End::Start => self.product(&acc, next),
                End::Finish => self.product(next, &acc),
            };
            let Some(p) = p else { break };
            acc = p;
            if last {
                break;
            }
        }
        (!has_empty(&acc)).then_some(acc)
    }

    fn alternation(&mut self, subs: &[Hir]) -> Info {
        let none = || Some(Rc::new(BTreeSet::new()));
        let (mut exact, mut prefix, mut suffix, mut required) = (none(), none(), none(), none());
        for h in subs {
            let i = self.node(h);
            exact = self.union(exact, i.exact, Kind::Exact);
            prefix = self.union(prefix, i.prefix, Kind::Prefix);
            suffix = self.union(suffix, i.suffix, Kind::Suffix);
            required = self.union(required, i.required, Kind::Required);
            if exact.is_none() && prefix.is_none() && suffix.is_none() && required.is_none() {
                break;
            }
        }
        Info {
            exact,
            prefix,
            suffix,
            required,
        }
    }

    /// `a ∪ b`. Exact sets give up beyond their bound; others are cut to fit
    /// (see [`Analyzer::fit`]).
    fn union(&mut self, a: Option<Set>, b: Option<Set>, kind: Kind) -> Option<Set> {
        let (mut a, b) = (a?, b?);
        if !self.spend(b.len()) {
            return None;
        }
        Rc::make_mut(&mut a).extend(b.iter().cloned());
        if kind == Kind::Exact {
            (a.len() <= kind.max()).then_some(a)
        } else if a.len() > 4 * kind.max() {
            self.fit(a, kind)
        } else {
            // Cutting costs time and precision: let the union grow a while
            // (`finish` fits the node's sets in the end).
            Some(a)
        }
    }

    /// Makes a prefix, suffix or required set respect the bounds: strings of
    /// at most MAX_LEN bytes and at most `kind.max()` of them. Cuts all
    /// strings to the longest common length (keeping the `kind.keep()` end)
    /// that leaves few enough distinct ones; for a required set, first drops
    /// strings that contain another member. None if the set holds the empty
    /// string or the budget is spent.
    fn fit(&mut self, set: Set, kind: Kind) -> Option<Set> {
        debug_assert!(kind != Kind::Exact);
        let (max, keep) = (kind.max(), kind.keep());
        if has_empty(&set) {
            return None;
        }
        let mut set = if set.iter().any(|s| s.len() > MAX_LEN) {
            Rc::new(set.iter().map(|s| cut(s, MAX_LEN, keep)).collect())
        } else {
            set
        };
        if set.len() <= max {
            return Some(set);
        }
        if kind == Kind::Required {
            set = self.prune(set)?;
        }
        if !self.spend(set.iter().map(Vec::len).sum::<usize>()) {
            return None;
        }
        let len = cut_length(&set, max, keep);
        let set: Set = Rc::new(set.iter().map(|s| cut(s, len, keep)).collect());
        (set.len() <= max).then_some(set)
    }

    /// Drops every string that contains another member of the set: a
    /// haystack holding it holds the shorter one too (and by transitivity
    /// some member that is kept).
    fn prune(&mut self, mut set: Set) -> Option<Set> {
        let mut drop = Vec::new();
        for s in set.iter() {
            let n = s.len();
            if !self.spend(n * (n + 1) / 2 + 1) {
                return None;
            }
            let inner =
                (0..n).any(|i| (i + 1..=n).any(|j| (i, j) != (0, n) && set.contains(&s[i..j])));
            if inner {
                drop.push(s.clone());
            }
        }
        if !drop.is_empty() {
            let m = Rc::make_mut(&mut set);
            for s in drop {
                m.remove(&s);
            }
        }
        Some(set)
    }
}

/// The longest length such that cutting every string of `set` to it (keeping
/// the `keep` end) leaves at most `max` distinct strings (1 if none does).
///
/// In sorted order, strings that cut to the same one are adjacent, and two
/// neighbours do for exactly the lengths up to their common prefix.
fn cut_length(set: &BTreeSet<Vec<u8>>, max: usize, keep: End) -> usize {
    let mut v: Vec<Vec<u8>> = match keep {
        End::Start => set.iter().cloned().collect(),
        End::Finish => set
            .iter()
            .map(|s| s.iter().rev().copied().collect())
            .collect(),
    };
    v.sort_unstable();
    let mut merges_at = [0usize; MAX_LEN + 1];
    for w in v.windows(2) {
        let lcp = w[0].iter().zip(&w[1]).take_while(|(a, b)| a == b).count();
        merges_at[lcp.min(MAX_LEN)] += 1;
    }
    // Distinct strings at length `len`: all minus the pairs with lcp >= len.
    let mut merged = 0;
    let mut distinct = [0usize; MAX_LEN + 1];
    for len in (1..=MAX_LEN).rev() {
        merged += merges_at[len];
        distinct[len] = v.len() - merged;
    }
    (1..=MAX_LEN)
        .rev()
        .find(|&l| distinct[l] <= max)
        .unwrap_or(1)
}

/// Stop searching windows once a single long literal is found.
fn good_enough(r: &Option<Set>) -> bool {
    r.as_ref()
        .is_some_and(|r| r.len() == 1 && r.iter().all(|s| s.len() >= MAX_LEN))
}

/// The class as a small set of ASCII-lowercased single bytes, or None.
fn class_bytes(class: &Class) -> Option<Set> {
    let ranges: Box<dyn Iterator<Item = (u32, u32)> + '_> = match class {
        Class::Bytes(c) => Box::new(
            c.ranges()
                .iter()
                .map(|r| (u32::from(r.start()), u32::from(r.end()))),
        ),
        // Only ASCII code points are single bytes (checked below).
        Class::Unicode(c) => Box::new(
            c.ranges()
                .iter()
                .map(|r| (u32::from(r.start()), u32::from(r.end()))),
        ),
    };
    let unicode = matches!(class, Class::Unicode(_));
    let mut out = BTreeSet::new();
    let mut size = 0u32;
    for (a, b) in ranges {
        // Folding at most halves the size ([A-Za-z] is 26 bytes).
        size = size.saturating_add(b.saturating_sub(a) + 1);
        if size as usize > 2 * MAX_CLASS {
            return None;
        }
        for c in a..=b {
            let byte = u8::try_from(c).ok()?;
            if unicode && !byte.is_ascii() {
                return None;
            }
            out.insert(vec![byte.to_ascii_lowercase()]);
        }
    }
    (out.len() <= MAX_CLASS).then(|| Rc::new(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::operators::rx::compile;

    fn lits(p: &str) -> Option<Vec<String>> {
        required_literals(p).map(|v| {
            v.into_iter()
                .map(|s| String::from_utf8_lossy(&s).into_owned())
                .collect()
        })
    }

    fn set(v: &[&str]) -> Option<Vec<String>> {
        let mut v: Vec<String> = v.iter().map(|s| s.to_string()).collect();
        v.sort();
        Some(v)
    }

    /// The literals (if any) of `re`'s pattern are in every match, and in
    /// every haystack it matches.
    fn check_safe(pattern: &str, re: &regex::bytes::Regex, l: &[Vec<u8>], hay: &[u8]) -> bool {
        if !re.is_match(hay) {
            return false;
        }
        let contains = |h: &[u8]| {
            let h = h.to_ascii_lowercase();
            l.iter().any(|x| memchr::memmem::find(&h, x).is_some())
        };
        let shown = |x: &[u8]| String::from_utf8_lossy(x).into_owned();
        assert!(
            contains(hay),
            "{pattern:?} matches {:?} but it has none of {:?}",
            shown(hay),
            l.iter().map(|x| shown(x)).collect::<Vec<_>>()
        );
        for m in re.find_iter(hay) {
            assert!(
                contains(m.as_bytes()),
                "{pattern:?}: match {:?} has none of {:?}",
                shown(m.as_bytes()),
                l.iter().map(|x| shown(x)).collect::<Vec<_>>()
            );
        }
        true
    }

    #[test]
    fn typical_shapes() {
        let union = lits(r"(?i)union\s+select").unwrap();
        assert!(union == ["union"] || union == ["select"], "{union:?}");
        assert_eq!(lits("foo|bar"), set(&["bar", "foo"]));
        assert_eq!(lits("a(b|c)d"), set(&["abd", "acd"]));
        assert_eq!(lits("^.*$"), None);
        assert_eq!(lits("x?"), None);
        assert_eq!(lits("x*"), None);
        assert_eq!(lits(""), None);
        assert_eq!(lits(r"\bselect\b"), set(&["select"]));
        assert_eq!(lits(r"(?i)\bSeLeCt\b"), set(&["select"]));
        assert_eq!(
            lits(r"(?:^|[^\w])on(?:load|error)="),
            set(&["onerror=", "onload="])
        );
        assert_eq!(lits("(?i)[Uu]"), set(&["u"]));
        assert_eq!(lits("[<>]"), set(&["<", ">"]));
        assert_eq!(lits("[a-z]"), None);
        assert_eq!(lits(r"\d+abc"), set(&["abc"]));
        assert_eq!(lits(r"(?:ab){3,}"), set(&["ababab"]));
        assert_eq!(lits(r"a{1,3}"), set(&["a"]));
        assert_eq!(lits(r"x(?:a|b)?y"), set(&["xay", "xby", "xy"]));
        // Superstrings are redundant.
        assert_eq!(lits("on|onload"), set(&["on"]));
        // One branch without literals spoils the alternation.
        assert_eq!(lits(r"foo|\d+"), None);
        // Literal parts beside unbounded pieces.
        assert_eq!(lits(r"<script[^>]*>"), set(&["<script"]));
        assert_eq!(lits(r"(?i)java\s*script:"), set(&["script:"]));
        // Braced hex escapes are single bytes, as in `@rx`.
        assert_eq!(
            required_literals(r"\x{bc}script"),
            Some(vec![b"\xbcscript".to_vec()])
        );
        // A class that matches nothing: the pattern never matches.
        assert_eq!(lits(r"[^\x00-\xff]"), Some(vec![]));
        // A slash or one of its encodings, then a dot or one of its
        // encodings (CRS 930100): too many pairs for an exact product, so
        // the one-byte slashes are extended by every dot and the encoded
        // ones kept alone; a dot alone would pass most values.
        let slash = r"(?:[/\\]|%2f|%5c|%c0%af|%c1%9c|%252f|%255c|0x2f|0x5c|%u2215|%u2216|%uefc8|%uf025|%u002f|%e0%80%af|%c0%2f|%c0%5c|%c0%qf)";
        let dot = r"(?:\.|\?|%2e|%252e|%c0%2e|%c0%ae|%uff0e|%u002e|%u2024|0x2e|%e0%80%ae|%c0%5e|%c0%6e|%c0%ee|%c0%fe)";
        let l = lits(&format!("{slash}{dot}")).unwrap();
        assert!(l.iter().all(|x| x.len() >= 2), "{l:?}");
        for x in ["/.", "\\?", "/%2e", "%2f", "0x5c"] {
            assert!(l.iter().any(|y| y == x), "{x} not in {l:?}");
        }
        // Long literals are cut, which is still required.
        let long = "a".repeat(200);
        assert_eq!(lits(&long), Some(vec!["a".repeat(MAX_LEN)]));
        // Invalid in byte mode (needs the Unicode fallback) or at all.
        assert_eq!(lits("("), None);
        assert_eq!(lits(r"[é]"), None);
    }

    #[test]
    fn unicode_case_folding_is_not_ascii() {
        // (?iu) lets `k` match KELVIN SIGN and `s` match LONG S: no literal.
        let kelvin_long_s = "\u{212a}\u{17f}";
        for p in [r"(?iu)ks", r"(?iu:k)(?iu:s)", r"(?i)(?u)[k-s]+"] {
            let re = compile(p).unwrap();
            assert!(re.is_match(kelvin_long_s.as_bytes()), "{p}");
            if let Some(l) = required_literals(p) {
                check_safe(p, &re, &l, kelvin_long_s.as_bytes());
            }
        }
        // ASCII-only Unicode classes are still used.
        assert_eq!(lits(r"(?u:[ab])c"), set(&["ac", "bc"]));
    }

    #[test]
    fn bounded_on_hostile_patterns() {
        // Huge alternation, deep nesting, big repetitions, long (?i) literal.
        let alt: Vec<String> = (0..5_000).map(|i| format!("w{i}x")).collect();
        let p = alt.join("|");
        let l = required_literals(&p).unwrap();
        assert!(!l.is_empty() && l.len() <= MAX_REQUIRED);
        let deep = format!("{}a{}", "(?:".repeat(200), ")".repeat(200));
        assert_eq!(lits(&deep), set(&["a"]));
        assert_eq!(
            lits(&format!("{}a{}", "(".repeat(300), ")".repeat(300))),
            None
        );
        // Parses (only compiling fails): the first copies are still required.
        assert_eq!(
            lits("(?:ab){4000000000}"),
            Some(vec!["ab".repeat(MAX_LEN / 2)])
        );
        // Never matches, however often; and the empty string, however often.
        assert_eq!(lits(r"(?:[^\x00-\xff]){4000000000}"), Some(vec![]));
        assert_eq!(lits(r"(?:[^\x00-\xff]|){4000000000}"), None);
        assert_eq!(lits(r"(?:\b|a){4000000000}"), None);
        // Long runs of empty-width pieces.
        assert_eq!(lits(&r"\b".repeat(50_000)), None);
        assert_eq!(lits(&format!("{}a", "(?:)".repeat(50_000))), set(&["a"]));
        // Nested as deep as the parser allows (its nest limit is 250).
        for p in [
            format!("{}z{}", "(a|".repeat(124), ")".repeat(124)),
            format!("{}z{}", "(?:xy|a+(?:".repeat(62), "))".repeat(62)),
            format!("{}z{}", "(?:(?:a|b)+".repeat(82), ")+".repeat(82)),
            format!("{}z{}", "((?:a|bc)?".repeat(82), "){2}".repeat(82)),
        ] {
            assert!(required_literals(&p).is_some(), "{p}");
        }
        let l = lits(&format!("(?i){}", "ab".repeat(5_000))).unwrap();
        assert_eq!(l.len(), 1);
        assert_eq!(l[0].len(), MAX_LEN);
        let classes = "[abcdefg]".repeat(2_000);
        assert!(required_literals(&classes).is_some());
        let _ = required_literals(&"(a|b|c|d)?".repeat(3_000));
        let _ = required_literals(&"(?:x{0,16}){0,16}".repeat(100));
    }

    /// CRS files: every `@rx` argument, and a corpus from the regression tests.
    mod crs {
        use super::*;
        use crate::operators::testutil::{crs_dir, crs_operator_args};
        use std::collections::HashSet;

        fn yaml_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
            let Ok(rd) = std::fs::read_dir(dir) else {
                return;
            };
            for e in rd.flatten() {
                let p = e.path();
                if p.is_dir() {
                    yaml_files(&p, out);
                } else if p.extension().is_some_and(|x| x == "yaml" || x == "yml") {
                    out.push(p);
                }
            }
        }

        /// YAML double-quoted string escapes, roughly.
        fn unescape(s: &str) -> Vec<u8> {
            let b = s.as_bytes();
            let mut out = Vec::with_capacity(b.len());
            let mut i = 0;
            while i < b.len() {
                if b[i] == b'\\' && i + 1 < b.len() {
                    let hex = |n: usize| {
                        s.get(i + 2..i + 2 + n)
                            .and_then(|h| u32::from_str_radix(h, 16).ok())
                    };
                    let (bytes, adv): (Vec<u8>, usize) = match b[i + 1] {
                        b'n' => (vec![b'\n'], 2),
                        b't' => (vec![b'\t'], 2),
                        b'r' => (vec![b'\r'], 2),
                        b'0' => (vec![0], 2),
                        b'x' => match hex(2) {
                            Some(v) => (vec![v as u8], 4),
                            None => (vec![b'\\'], 1),
                        },
                        b'u' => match hex(4).and_then(char::from_u32) {
                            Some(c) => (c.to_string().into_bytes(), 6),
                            None => (vec![b'\\'], 1),
                        },
                        c => (vec![c], 2),
                    };
                    out.extend(bytes);
                    i += adv;
                } else {
                    out.push(b[i]);
                    i += 1;
                }
            }
            out
        }

        fn corpus() -> Vec<Vec<u8>> {
            let mut files = Vec::new();
            yaml_files(&crs_dir().join("tests/regression/tests"), &mut files);
            assert!(files.len() > 100, "found {} regression files", files.len());
            let rules = crs_dir().join("rules");
            for e in std::fs::read_dir(&rules).expect("rules").flatten() {
                if e.path().extension().is_some_and(|x| x == "data") {
                    files.push(e.path());
                }
            }
            let mut seen: HashSet<Vec<u8>> = HashSet::new();
            let add = |h: Vec<u8>, seen: &mut HashSet<Vec<u8>>| {
                if h.len() > 2 {
                    for d in [
                        percent_encoding::percent_decode(&h).collect::<Vec<u8>>(),
                        percent_encoding::percent_decode(
                            &percent_encoding::percent_decode(&h).collect::<Vec<u8>>(),
                        )
                        .collect(),
                        h.iter()
                            .map(|&c| if c == b'+' { b' ' } else { c })
                            .collect(),
                    ] {
                        if d != h {
                            seen.insert(d);
                        }
                    }
                    seen.insert(h);
                }
            };
            for f in files {
                let text = std::fs::read(&f).expect("read");
                for line in text.split(|&c| c == b'\n') {
                    let line = line.trim_ascii();
                    add(line.to_vec(), &mut seen);
                    // The value of `key: "value"`, unquoted and unescaped.
                    let s = String::from_utf8_lossy(line);
                    if let Some((_, v)) = s.split_once(": ") {
                        let v = v.trim();
                        if let Some(q) = v.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
                            add(unescape(q), &mut seen);
                        } else if let Some(q) =
                            v.strip_prefix('\'').and_then(|v| v.strip_suffix('\''))
                        {
                            add(q.replace("''", "'").into_bytes(), &mut seen);
                        } else {
                            add(v.as_bytes().to_vec(), &mut seen);
                        }
                    }
                }
            }
            let mut v: Vec<Vec<u8>> = seen.into_iter().collect();
            v.sort();
            v
        }

        /// Prints each CRS `@rx` with its literals:
        /// `cargo test --lib crs_literals_report -- --ignored --nocapture`.
        #[test]
        #[ignore]
        fn crs_literals_report() {
            for (file, arg) in crs_operator_args("rx") {
                let file = file.rsplit('/').next().unwrap_or_default().to_string();
                match lits(&arg) {
                    None => println!("none  {file} {arg:.150}"),
                    Some(l) => {
                        let min = l.iter().map(String::len).min().unwrap_or(0);
                        println!("min={min} n={} {file} {arg:.150}", l.len());
                        println!("      {:?}", &l[..l.len().min(12)]);
                    }
                }
            }
        }

        #[test]
        fn every_crs_rx_is_safe_on_the_regression_corpus() {
            let args = crs_operator_args("rx");
            assert!(args.len() > 250, "found only {} @rx", args.len());
            let corpus = corpus();
            let mut with = 0;
            let mut by_min: std::collections::BTreeMap<usize, usize> = Default::default();
            let mut sizes = Vec::new();
            let mut matched_pairs = 0;
            let (mut rng, mut sampled) = (Rng(1), 0);
            for (_file, arg) in &args {
                let l = required_literals(arg);
                let Some(l) = l else { continue };
                with += 1;
                let min = l.iter().map(Vec::len).min().unwrap_or(0);
                *by_min.entry(min).or_default() += 1;
                sizes.push(l.len());
                let re = compile(arg).expect("CRS @rx compiles");
                sampled += check_samples(&mut rng, arg, 40);
                for h in &corpus {
                    if check_safe(arg, &re, &l, h) {
                        matched_pairs += 1;
                    }
                }
            }
            sizes.sort();
            eprintln!(
                "@rx with literals: {with}/{}; min length -> patterns: {by_min:?}; \
                 set sizes median {} max {}; corpus {} haystacks, {matched_pairs} matches checked, \
                 {sampled} matching samples",
                args.len(),
                sizes.get(sizes.len() / 2).copied().unwrap_or(0),
                sizes.last().copied().unwrap_or(0),
                corpus.len(),
            );
            assert!(
                with * 2 > args.len(),
                "only {with}/{} @rx have literals",
                args.len()
            );
            assert!(matched_pairs > 1000, "corpus too weak: {matched_pairs}");
            assert!(sampled > 5000, "samples too weak: {sampled}");
        }
    }

    use crate::test_rng::Rng;

    fn gen(r: &mut Rng, depth: u32) -> String {
        let atoms = [
            "a",
            "b",
            "c",
            "A",
            "B",
            "ab",
            "ba",
            "abc",
            "é",
            r"\x41",
            r"\x{62}",
            r"\xc5",
            "[ab]",
            "[Bc]",
            "[a-c]",
            "[^a]",
            "[^ab]",
            r"\w",
            r"\d",
            r"\s",
            r"\W",
            ".",
            "^",
            "$",
            r"\b",
            r"\B",
            r"\A",
            r"\z",
            "(?i)",
            "(?-i)",
            "(?i:a)",
            "(?iu)",
            "(?u:s)",
            "(?i)k",
            r"\.",
            " ",
            "[abcdefgh]",
            "[a-i]",
            "()",
        ];
        if depth == 0 {
            return r.pick(&atoms).to_string();
        }
        match r.below(10) {
            0..=2 => r.pick(&atoms).to_string(),
            3 | 4 => {
                let n = 2 + r.below(3);
                (0..n).map(|_| gen(r, depth - 1)).collect()
            }
            5 => {
                let n = 2 + r.below(3);
                let v: Vec<String> = (0..n).map(|_| gen(r, depth - 1)).collect();
                format!("(?:{})", v.join("|"))
            }
            6 => format!("({})", gen(r, depth - 1)),
            _ => {
                let rep = r.pick(&["?", "*", "+", "{2}", "{1,3}", "{0,2}", "{2,}", "??", "+?"]);
                format!("(?:{}){rep}", gen(r, depth - 1))
            }
        }
    }

    /// Appends a random string of `hir`'s language (look-arounds ignored,
    /// repetitions capped) to `out`.
    fn sample(r: &mut Rng, hir: &Hir, out: &mut Vec<u8>) {
        match hir.kind() {
            HirKind::Empty | HirKind::Look(_) => {}
            HirKind::Literal(l) => out.extend_from_slice(&l.0),
            HirKind::Class(Class::Bytes(c)) => {
                if !c.ranges().is_empty() {
                    let rg = c.ranges()[r.below(c.ranges().len())];
                    let span = usize::from(rg.end() - rg.start()) + 1;
                    out.push(rg.start() + r.below(span) as u8);
                }
            }
            HirKind::Class(Class::Unicode(c)) => {
                if !c.ranges().is_empty() {
                    let rg = c.ranges()[r.below(c.ranges().len())];
                    let span = (rg.end() as usize - rg.start() as usize + 1).min(1000);
                    let ch = char::from_u32(rg.start() as u32 + r.below(span) as u32)
                        .unwrap_or(rg.start());
                    out.extend_from_slice(ch.to_string().as_bytes());
                }
            }
            HirKind::Capture(c) => sample(r, &c.sub, out),
            HirKind::Repetition(rep) => {
                let max = rep.max.unwrap_or(rep.min + 3).min(rep.min + 3);
                let n = rep.min as usize + r.below((max - rep.min) as usize + 1);
                for _ in 0..n {
                    sample(r, &rep.sub, out);
                }
            }
            HirKind::Concat(v) => v.iter().for_each(|h| sample(r, h, out)),
            HirKind::Alternation(v) => {
                let i = r.below(v.len());
                sample(r, &v[i], out)
            }
        }
    }

    /// Strings sampled from the language always contain a literal, and so do
    /// haystacks around them that the regex matches.
    fn check_samples(r: &mut Rng, pattern: &str, n: usize) -> usize {
        let (Some(hir), Some(l), Ok(re)) =
            (parse(pattern), required_literals(pattern), compile(pattern))
        else {
            return 0;
        };
        let mut matched = 0;
        for _ in 0..n {
            let mut w = Vec::new();
            sample(r, &hir, &mut w);
            let lw = w.to_ascii_lowercase();
            assert!(
                l.iter().any(|x| memchr::memmem::find(&lw, x).is_some()),
                "{pattern:?}: {:?} is in the language but has none of {:?}",
                String::from_utf8_lossy(&w),
                l.iter()
                    .map(|x| String::from_utf8_lossy(x))
                    .collect::<Vec<_>>()
            );
            let mut h = [&b"x "[..], b"\n", b"a", b"_"][r.below(4)].to_vec();
            h.extend_from_slice(&w);
            h.extend_from_slice([&b" y"[..], b"\n", b"b", b""][r.below(4)]);
            if check_safe(pattern, &re, &l, &h) {
                matched += 1;
            }
        }
        matched
    }

    /// Words broken up by optional gaps, as CRS writes shell commands
    /// (`b["')\[\\]*u...`): the literals of the words without their gaps
    /// plus the bytes the gaps start with. Samples leave gaps empty or not.
    #[test]
    fn words_broken_by_gaps_are_safe() {
        let mut r = Rng(0x6a09_e667_f3bc_c908);
        let gaps = [
            r#"["')\[\\]*"#,
            r"(?:(?:\|\||&&)[\s\x0b]*)?",
            r"(?:\$[_a-z{]*)?",
            r"\\?",
            r"\s*",
            r"[.-]?",
            r"(?:s)?",
            r"(?:<!--)?",
        ];
        let ends = ["", r"[\s;|]", r".*", r"\b", r"(?:[\s&]|$)"];
        let (mut checked, mut with_gap_bytes) = (0, 0);
        for _ in 0..3000 {
            let alternatives: Vec<String> = (0..1 + r.below(4))
                .map(|_| {
                    let mut a = String::new();
                    for _ in 0..1 + r.below(6) {
                        a.push(*r.pick(&['a', 'b', 'c', 's', 'h', 'S']));
                        if r.below(2) == 0 {
                            let gap = gaps[r.below(gaps.len())];
                            a.push_str(gap);
                        }
                    }
                    a
                })
                .collect();
            let case = ["", "(?i)"][r.below(2)];
            let p = format!("{case}(?:{}){}", alternatives.join("|"), *r.pick(&ends));
            if let Some(l) = required_literals(&p) {
                with_gap_bytes += usize::from(l.iter().any(|x| matches!(x[..], [b] if b"\"')[\\|&$<-.".contains(&b) || b.is_ascii_whitespace())));
            }
            checked += check_samples(&mut r, &p, 30);
        }
        assert!(
            checked > 50_000 && with_gap_bytes > 200,
            "{checked} {with_gap_bytes}"
        );
    }

    #[test]
    fn random_patterns_are_safe() {
        let mut r = Rng(0x9e37_79b9_7f4a_7c15);
        let pieces: [&[u8]; 20] = [
            b"a",
            b"b",
            b"c",
            b"A",
            b"B",
            b"C",
            b"ab",
            b"abc",
            b"ba",
            b"k",
            b"S",
            b"1",
            b"_",
            b" ",
            b"\n",
            b"\t",
            b".",
            b"\xc5",
            "\u{17f}".as_bytes(),
            "\u{212a}".as_bytes(),
        ];
        let (mut with, mut matched) = (0, 0);
        for _ in 0..5000 {
            let p = gen(&mut r, 4);
            let l = required_literals(&p);
            let Ok(re) = compile(&p) else { continue };
            let Some(l) = l else { continue };
            with += 1;
            matched += check_samples(&mut r, &p, 20);
            for _ in 0..40 {
                let n = r.below(10);
                let mut h = Vec::new();
                for _ in 0..n {
                    h.extend_from_slice(pieces[r.below(pieces.len())]);
                }
                if check_safe(&p, &re, &l, &h) {
                    matched += 1;
                }
            }
        }
        assert!(
            with > 1000 && matched > 20_000,
            "weak: {with} patterns, {matched} matches"
        );
    }

    /// Big alternations overflow the exact, prefix, suffix and required
    /// bounds, so sets get cut and pruned.
    #[test]
    fn random_big_alternations_are_safe() {
        let mut r = Rng(7);
        // Mixed lengths, so some members contain others without being
        // their prefix or suffix.
        let word = |r: &mut Rng, short: bool| -> String {
            let n = if short {
                1 + r.below(8)
            } else {
                3 + r.below(6)
            };
            (0..n)
                .map(|_| ["a", "b", "c", "d", "B"][r.below(5)])
                .collect()
        };
        let alt = |r: &mut Rng, n: usize| -> String {
            let short = r.below(3) == 0;
            let v: Vec<String> = (0..n).map(|_| word(r, short)).collect();
            format!("(?:{})", v.join("|"))
        };
        let (mut with, mut matched, mut cut) = (0, 0, 0);
        for i in 0..70 {
            let (n1, n2) = (200 + r.below(1000), 1 + r.below(40));
            let p = match i % 7 {
                0 => alt(&mut r, n1),
                1 => format!("{}x{}", alt(&mut r, n1), alt(&mut r, n2)),
                2 => format!("(?i){}[xy]+{}", alt(&mut r, n2), alt(&mut r, n1)),
                3 => format!(
                    "{}\\s*{}?{}",
                    alt(&mut r, n1),
                    alt(&mut r, n2),
                    alt(&mut r, n2)
                ),
                // The windows join the big set's suffix / prefix.
                4 => format!("{}xyzzy", alt(&mut r, n1)),
                // Too many strings for the product: short members of the
                // first set extended by the second (`extend_short`).
                6 => format!("{}{}", alt(&mut r, n2), alt(&mut r, n1)),
                _ => format!("xyzzy{}", alt(&mut r, n1)),
            };
            let re = compile(&p).unwrap();
            let Some(l) = required_literals(&p) else {
                continue;
            };
            assert!(l.len() <= MAX_REQUIRED);
            with += 1;
            if l.len() > 200 || l.iter().any(|x| x.len() < 3) {
                cut += 1;
            }
            matched += check_samples(&mut r, &p, 200);
            for _ in 0..200 {
                let n = r.below(24);
                let h: Vec<u8> = (0..n).map(|_| b"abcdBxy \t"[r.below(9)]).collect();
                if check_safe(&p, &re, &l, &h) {
                    matched += 1;
                }
            }
        }
        assert!(
            with > 30 && matched > 2000 && cut > 5,
            "weak: {with} patterns ({cut} cut), {matched} matches"
        );
    }

    #[test]
    fn random_garbage_does_not_panic() {
        let mut r = Rng(42);
        let pieces = [
            "(", ")", "[", "]", "|", "*", "+", "?", "{", "}", "{2,3}", "\\", "\\x{", "a", "^", "-",
            "(?", "i", ":", "\\p{L}", "é", ",",
        ];
        for _ in 0..20_000 {
            let n = r.below(12);
            let p: String = (0..n).map(|_| *r.pick(&pieces)).collect();
            let _ = required_literals(&p);
        }
    }
}
