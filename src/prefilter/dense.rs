//! A literal set's DFA in a table of our own, read off aho-corasick's NFA
//! through its public `Automaton` interface (an Aho-Corasick DFA has the
//! trie's states; each transition is the NFA's after its failure links).
//! The crate's DFA pads its rows to a power of two and its walk goes
//! through special-state checks; here a step is two loads and an add, and
//! match states, numbered last, are found with one comparison. The crate's
//! DFA is never built, so loading CRS takes less time and memory too.

use aho_corasick::automaton::{Automaton, StateID};
use aho_corasick::Anchored;
use rustc_hash::FxHashMap;

/// Most states read: past this, the NFA is walked instead (`dfa_bytes` in
/// `Literals::build` keeps the sets read far below it).
const MAX_STATES: usize = 1 << 20;

/// The DFA. State ids are premultiplied by `stride` (the number of byte
/// classes): the next state of `s` on byte `b` is `trans[s + classes[b]]`.
#[derive(Debug)]
pub(crate) struct Dense {
    classes: [u8; 256],
    stride: usize,
    trans: Vec<u32>,
    start: usize,
    /// Ids from here on are match states.
    first_match: usize,
    /// Per match state, in id order: its patterns, a range of `patterns`,
    /// in the order the crate reports them.
    match_ranges: Vec<(u32, u32)>,
    patterns: Vec<u32>,
    /// Each pattern's length.
    lens: Vec<u32>,
}

impl Dense {
    /// The DFA of `d`, the automaton of `patterns` (ASCII case-insensitive,
    /// standard semantics), or None when it has too many states.
    pub fn from_automaton<A: Automaton, P: AsRef<[u8]>>(d: &A, patterns: &[P]) -> Option<Dense> {
        let start = d.start_state(Anchored::No).ok()?;
        // A byte no pattern holds (in either case) leads every state where
        // every other such byte does; a byte a pattern holds leads where
        // its other case does. So: one class for the bytes of no pattern,
        // one per case-folded pattern byte, found without walking the DFA.
        let mut used = [false; 256];
        for p in patterns {
            for &b in p.as_ref() {
                used[usize::from(b.to_ascii_lowercase())] = true;
            }
        }
        let mut classes = [0u8; 256];
        let mut reps: Vec<u8> = vec![0];
        let mut other = None;
        // Upper-case letters last: they take their lower case's class.
        let bytes = (0..=255u8)
            .filter(|b| !b.is_ascii_uppercase())
            .chain(b'A'..=b'Z');
        for b in bytes {
            let folded = usize::from(b.to_ascii_lowercase());
            if !used[folded] {
                // The first such byte stands for its class.
                match other {
                    Some(c) => classes[usize::from(b)] = c,
                    None => {
                        other = Some(0);
                        reps[0] = b;
                    }
                }
            } else if b.is_ascii_uppercase() {
                classes[usize::from(b)] = classes[folded];
            } else {
                classes[usize::from(b)] = u8::try_from(reps.len()).ok()?;
                reps.push(b);
            }
        }
        if other.is_none() {
            // Every byte is some pattern's: class 0 stands for none, and
            // its representative must not be taken for a pattern byte.
            reps.remove(0);
            classes.iter_mut().for_each(|c| *c -= 1);
        }
        let stride = reps.len();
        // Every state reachable from the start, numbered as found; each
        // row holds the found numbers of its successors.
        let mut index: FxHashMap<StateID, u32> = FxHashMap::default();
        let mut states = vec![start];
        let mut rows: Vec<u32> = Vec::new();
        index.insert(start, 0);
        let mut at = 0;
        while let Some(&sid) = states.get(at) {
            for &b in &reps {
                let next = d.next_state(Anchored::No, sid, b);
                let n = match index.get(&next) {
                    Some(&n) => n,
                    None => {
                        if states.len() >= MAX_STATES {
                            return None;
                        }
                        let n = states.len() as u32;
                        index.insert(next, n);
                        states.push(next);
                        n
                    }
                };
                rows.push(n);
            }
            at += 1;
        }
        // Non-match states first, then match states, each in the order
        // found (so the start state keeps its place when it does not match).
        let is_match = |s: StateID| !d.is_dead(s) && d.is_match(s);
        let order: Vec<usize> = (0..states.len())
            .filter(|&i| !is_match(states[i]))
            .chain((0..states.len()).filter(|&i| is_match(states[i])))
            .collect();
        let mut new_id = vec![0u32; states.len()];
        for (n, &i) in order.iter().enumerate() {
            new_id[i] = u32::try_from(n * stride).ok()?;
        }
        let first_match = order.iter().take_while(|&&i| !is_match(states[i])).count() * stride;
        let mut trans = Vec::with_capacity(rows.len());
        let mut match_ranges = Vec::new();
        let mut patterns = Vec::new();
        for &i in &order {
            let row = rows.get(i * stride..(i + 1) * stride)?;
            trans.extend(row.iter().map(|&n| new_id[n as usize]));
            let sid = states[i];
            if is_match(sid) {
                let from = patterns.len() as u32;
                for k in 0..d.match_len(sid) {
                    patterns.push(d.match_pattern(sid, k).as_u32());
                }
                match_ranges.push((from, patterns.len() as u32));
            }
        }
        let lens = (0..d.patterns_len())
            .map(|p| {
                aho_corasick::PatternID::new(p)
                    .map(|p| d.pattern_len(p) as u32)
                    .unwrap_or(0)
            })
            .collect();
        Some(Dense {
            classes,
            stride,
            trans,
            start: new_id[0] as usize,
            first_match,
            match_ranges,
            patterns,
            lens,
        })
    }

    /// The patterns of the `k`th match state.
    #[inline]
    pub fn patterns(&self, k: usize) -> &[u32] {
        match self.match_ranges.get(k) {
            Some(&(from, to)) => self.patterns.get(from as usize..to as usize).unwrap_or(&[]),
            None => &[],
        }
    }

    /// How many match states there are (`k` of [`Dense::patterns`] and
    /// [`Dense::walk`] runs below it).
    pub fn match_states(&self) -> usize {
        self.match_ranges.len()
    }

    /// The number `k` of match state `sid`.
    #[inline]
    fn match_number(&self, sid: usize) -> usize {
        (sid - self.first_match) / self.stride.max(1)
    }

    /// Calls `f` with the number `k` of the match state reached at each
    /// position of `value` where patterns end (their patterns:
    /// [`Dense::patterns`]), and returns the union of `bytes[b]` over the
    /// value's bytes `b` (the prefilter's pass over single bytes, made in
    /// the same loop).
    #[inline]
    pub fn walk(&self, value: &[u8], bytes: &[u64; 256], mut f: impl FnMut(usize)) -> u64 {
        // Locals, so the loop keeps them in registers.
        let (trans, classes, first_match) = (&self.trans[..], &self.classes, self.first_match);
        let mut sid = self.start;
        let mut present = 0u64;
        for &b in value {
            present |= bytes[usize::from(b)];
            // `from_automaton` fills every row: the lookup cannot miss.
            let Some(&next) = trans.get(sid + usize::from(classes[usize::from(b)])) else {
                break;
            };
            sid = next as usize;
            if sid >= first_match {
                f(self.match_number(sid));
            }
        }
        present
    }

    /// The match that ends first, as (pattern, start, end).
    #[inline]
    pub fn first(&self, value: &[u8]) -> Option<(usize, usize, usize)> {
        let (trans, classes, first_match) = (&self.trans[..], &self.classes, self.first_match);
        let mut sid = self.start;
        for (at, &b) in value.iter().enumerate() {
            sid = *trans.get(sid + usize::from(classes[usize::from(b)]))? as usize;
            if sid >= first_match {
                let p = *self.patterns(self.match_number(sid)).first()? as usize;
                let end = at + 1;
                let len = self.lens.get(p).copied().unwrap_or(0) as usize;
                return Some((p, end.saturating_sub(len), end));
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_rng::Rng;

    /// The copy against the crate's own search, on patterns of any bytes
    /// (upper case included: the copy folds it as the crate does), also
    /// when every byte is some pattern's and no "other" class is left.
    #[test]
    fn the_copy_finds_what_the_crate_finds() {
        let mut rng = Rng(0xde45e);
        for round in 0..60 {
            let alphabet: Vec<u8> = match round % 3 {
                0 => b"abAB.%-".to_vec(),
                1 => (0..=255).collect(),
                _ => b"xyzXYZ\x00\xff".to_vec(),
            };
            let mut patterns: Vec<Vec<u8>> = (0..1 + rng.below(20))
                .map(|_| {
                    (0..1 + rng.below(4))
                        .map(|_| *rng.pick(&alphabet))
                        .collect()
                })
                .collect();
            if round % 3 == 1 && round % 2 == 0 {
                // Every byte in some pattern.
                patterns.extend((0..=255u8).map(|b| vec![b]));
            }
            let d = aho_corasick::nfa::contiguous::Builder::new()
                .match_kind(aho_corasick::MatchKind::Standard)
                .ascii_case_insensitive(true)
                .prefilter(false)
                .build(&patterns)
                .unwrap();
            let dense = Dense::from_automaton(&d, &patterns).unwrap();
            let ac = aho_corasick::AhoCorasick::builder()
                .ascii_case_insensitive(true)
                .build(&patterns)
                .unwrap();
            let mut bytes = [0u64; 256];
            bytes[usize::from(b'%')] = 1;
            bytes[0xff] = 2;
            for _ in 0..300 {
                let v: Vec<u8> = (0..rng.below(16)).map(|_| *rng.pick(&alphabet)).collect();
                let all: Vec<usize> = ac
                    .find_overlapping_iter(&v)
                    .map(|m| m.pattern().as_usize())
                    .collect();
                let mut got = Vec::new();
                let present = dense.walk(&v, &bytes, |k| {
                    got.extend(dense.patterns(k).iter().map(|&p| p as usize))
                });
                assert_eq!(got, all, "{patterns:?} {v:?}");
                let want = v.iter().fold(0, |a, &b| a | bytes[usize::from(b)]);
                assert_eq!(present, want);
                let first = ac
                    .find(&v)
                    .map(|m| (m.pattern().as_usize(), m.start(), m.end()));
                assert_eq!(dense.first(&v), first, "{patterns:?} {v:?}");
            }
        }
    }
}
