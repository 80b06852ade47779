//! Literal prefilter: skips operators that cannot match a value.
//!
//! Most CRS rules are `@rx` (or `@pm`) over the same few target lists, and
//! on ordinary traffic nearly all of them fail. For each such operator
//! [`literals`] finds strings of which at least one must occur in any
//! match. All rules of a phase put their strings in one Aho-Corasick
//! automaton; one scan of a transformed value then tells, for every one of
//! those rules at once, whether its operator could match (one bit per rule).
//! The operator only runs when its bit is set, so the answer never changes,
//! only the work.

pub(crate) mod automaton;
mod dense;
pub(crate) mod literals;
pub(crate) mod preimage;
pub(crate) mod starts;

use std::collections::HashMap;

use automaton::Literals;

/// Literal sets larger than this are not worth a place in the automaton
/// (the operator runs unfiltered instead, or behind an automaton of its
/// own). Measured on CRS v4 with the DFAs of `dense` (benign GET, PL1,
/// against 64): 128 and 160 save 1.2 and 1.4% of the instructions for
/// 1.5 and 2 MiB of RSS; 192 saves 1.8% of the benign GET's but less of the
/// SQLi GET's; from 224 on, sets of short, common literals pass most values
/// and a benign GET costs 5-11% more.
const MAX_LITERALS_PER_RULE: usize = 160;

/// Whether a literal set the phase automaton turns down for its size
/// ([`MAX_LITERALS_PER_RULE`]) is worth an automaton of the rule's own:
/// strings of at least three bytes (shorter ones occur in most values) and
/// not too many of them.
pub(crate) fn worth_own_automaton(literals: &[Vec<u8>]) -> bool {
    literals.len() > MAX_LITERALS_PER_RULE
        && literals.len() <= 512
        && literals.iter().all(|l| l.len() >= 3)
}

/// Most literal bytes in a rule's own automaton built as a DFA (the larger
/// sets get the smaller NFA). Measured on CRS v4 (benign GET, PL1): NFAs
/// only save 0.3% of the instructions; DFAs up to 1, 2 and 4 KiB save 0.4,
/// 1.9 and 2.7% for 0.5, 3.0 and 6.1 MiB of RSS. 8 KiB makes CRS's two
/// largest sets (5.7 and 6.5 KiB of literals) DFAs too, which
/// walk a 16 KiB form body's comment at a third of the NFA's cost: -6% on
/// that body, -0.5% benign GET, for 1.3 MiB of RSS and 1% more load.
pub(crate) const MAX_OWN_DFA_BYTES: usize = 8 * 1024;

/// Most literal bytes in one automaton built as a DFA (CRS v4: 7,600 in
/// phase 2, 8,900 in phase 4).
const MAX_DFA_LITERAL_BYTES: usize = 32 * 1024;

/// The prefilter of one phase.
#[derive(Debug)]
pub struct Prefilter {
    /// Literals of two bytes or more.
    ac: Option<Literals>,
    /// Per byte value: its class's bit, or 0 when no rule has the byte as a
    /// one-byte literal. Bytes whose rules are the same (both cases of a
    /// letter, at least) share a class. Such literals (a byte such as `(`
    /// serves dozens of rules) would make the automaton report at almost
    /// every position; one pass collecting the value's classes is cheaper.
    byte_class: Box<[u64; 256]>,
    /// Per class, `words()` words: the bits of its rules, as a mask.
    class_masks: Vec<u64>,
    /// The automaton could not be built: every bit is set.
    always: bool,
    /// Per automaton pattern: the rule bits it sets.
    bits_of: Vec<Vec<u32>>,
    /// Per match state of a DFA: the rule bits of all its patterns, as
    /// (word, mask) pairs (a range of `state_masks`), worked out once
    /// rather than pattern by pattern at every match (an SQL injection
    /// reaches a match state at most of its bytes).
    state_ranges: Vec<(u32, u32)>,
    state_masks: Vec<(u32, u64)>,
    /// Number of rule bits.
    nbits: usize,
}

/// Collects the literal sets of one phase's rules, then builds.
#[derive(Default)]
pub(crate) struct PrefilterBuilder {
    byte_bits: HashMap<u8, Vec<u32>>,
    patterns: Vec<Vec<u8>>,
    index: HashMap<Vec<u8>, usize>,
    bits_of: Vec<Vec<u32>>,
    nbits: usize,
}

impl PrefilterBuilder {
    /// Adds a rule whose operator can only match values containing one of
    /// `literals` (ASCII case-insensitively); returns its bit, or `None`
    /// when the set is too large to be useful.
    pub fn add(&mut self, literals: &[Vec<u8>]) -> Option<u32> {
        if literals.len() > MAX_LITERALS_PER_RULE || literals.iter().any(|l| l.is_empty()) {
            return None;
        }
        let bit = u32::try_from(self.nbits).ok()?;
        self.nbits += 1;
        for l in literals {
            let lower = l.to_ascii_lowercase();
            if let [b] = lower[..] {
                self.byte_bits.entry(b).or_default().push(bit);
                continue;
            }
            let id = match self.index.get(&lower) {
                Some(id) => *id,
                None => {
                    let id = self.patterns.len();
                    self.patterns.push(lower.clone());
                    self.index.insert(lower, id);
                    self.bits_of.push(Vec::new());
                    id
                }
            };
            self.bits_of[id].push(bit);
        }
        Some(bit)
    }

    /// The automaton, or `None` when no rule was added (or it fails to build).
    pub fn build(self) -> Option<Prefilter> {
        if self.nbits == 0 {
            return None;
        }
        let mut always = false;
        let ac = if self.patterns.is_empty() {
            None
        } else {
            // A DFA (scanned once per value, so speed beats build time) up
            // to a size; should neither kind build, every operator runs.
            match Literals::build(&self.patterns, MAX_DFA_LITERAL_BYTES) {
                Ok(l) => Some(l),
                Err(_) => {
                    always = true;
                    None
                }
            }
        };
        let words = self.nbits.div_ceil(64);
        // Each byte's mask; bytes with equal masks form a class. Past 64
        // classes the rest share the last one: their rules then see a few
        // more values (a filter only ever lets more through), none fewer.
        let mut masks = vec![vec![0u64; words]; 256];
        for (b, rules) in &self.byte_bits {
            // Literals are lowercase; the value's bytes are not folded.
            for c in [*b, b.to_ascii_uppercase()] {
                for r in rules {
                    masks[usize::from(c)][*r as usize / 64] |= 1 << (r % 64);
                }
            }
        }
        let mut byte_class = Box::new([0u64; 256]);
        let mut classes: Vec<Vec<u64>> = Vec::new();
        for (b, mask) in masks.iter().enumerate() {
            if mask.iter().all(|&w| w == 0) {
                continue;
            }
            let c = match classes.iter().position(|m| m == mask) {
                Some(c) => c,
                None if classes.len() < 64 => {
                    classes.push(mask.clone());
                    classes.len() - 1
                }
                None => {
                    let last = classes.len() - 1;
                    classes[last]
                        .iter_mut()
                        .zip(mask)
                        .for_each(|(a, m)| *a |= m);
                    last
                }
            };
            byte_class[b] = 1 << c;
        }
        let class_masks = classes.concat();
        let (mut state_ranges, mut state_masks) = (Vec::new(), Vec::new());
        if let Some(Literals::Dfa(d)) = &ac {
            for k in 0..d.match_states() {
                let mut state = vec![0u64; words];
                for &p in d.patterns(k) {
                    for &b in self.bits_of.get(p as usize).map_or(&[][..], Vec::as_slice) {
                        state[b as usize / 64] |= 1 << (b % 64);
                    }
                }
                let from = state_masks.len() as u32;
                state_masks.extend((0u32..).zip(state).filter(|&(_, m)| m != 0));
                state_ranges.push((from, state_masks.len() as u32));
            }
        }
        Some(Prefilter {
            ac,
            always,
            byte_class,
            class_masks,
            bits_of: self.bits_of,
            state_ranges,
            state_masks,
            nbits: self.nbits,
        })
    }
}

impl Prefilter {
    /// Number of `u64` words a scan's bits take.
    pub fn words(&self) -> usize {
        self.nbits.div_ceil(64)
    }

    /// Sets, in `bits` (`words()` long, zeroed), the bits of the rules whose
    /// literals occur in `value`.
    pub fn scan_into(&self, value: &[u8], bits: &mut [u64]) {
        if self.always {
            bits.fill(u64::MAX);
            return;
        }
        // The single-byte pass rides along the automaton's walk when there
        // is one: one loop over the value for both.
        let mut present = match &self.ac {
            Some(Literals::Dfa(d)) => {
                d.walk(value, &self.byte_class, |k| self.set_state_bits(k, bits))
            }
            Some(ac) => ac.scan(value, &self.byte_class, |p| {
                for &b in self.bits_of.get(p).map_or(&[][..], Vec::as_slice) {
                    if let Some(w) = bits.get_mut(b as usize / 64) {
                        *w |= 1 << (b % 64);
                    }
                }
            }),
            None => value
                .iter()
                .fold(0, |present, &b| present | self.byte_class[usize::from(b)]),
        };
        let words = self.words();
        while present != 0 {
            let c = present.trailing_zeros() as usize;
            present &= present - 1;
            if let Some(mask) = self.class_masks.get(c * words..(c + 1) * words) {
                bits.iter_mut().zip(mask).for_each(|(w, m)| *w |= m);
            }
        }
    }

    /// Sets the bits of match state `k`'s patterns (out of line: the walk's
    /// per-byte loop stays small).
    #[inline(never)]
    fn set_state_bits(&self, k: usize, bits: &mut [u64]) {
        let range = self.state_ranges.get(k).copied().unwrap_or_default();
        let masks = self.state_masks.get(range.0 as usize..range.1 as usize);
        for &(w, m) in masks.unwrap_or_default() {
            if let Some(word) = bits.get_mut(w as usize) {
                *word |= m;
            }
        }
    }

    /// Bits of the rules whose literals occur in `value`.
    #[cfg(test)]
    pub fn scan(&self, value: &[u8]) -> Vec<u64> {
        let mut bits = vec![0; self.words()];
        self.scan_into(value, &mut bits);
        bits
    }
}

/// Whether `bit` is set in `bits`.
pub fn has(bits: &[u64], bit: u32) -> bool {
    bits.get(bit as usize / 64)
        .is_some_and(|w| w & (1 << (bit % 64)) != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bits_follow_the_literals_found() {
        let mut b = PrefilterBuilder::default();
        let union = b.add(&[b"union".to_vec(), b"select".to_vec()]).unwrap();
        let script = b.add(&[b"<script".to_vec()]).unwrap();
        let on = b.add(&[b"on".to_vec()]).unwrap();
        assert_eq!(b.add(&[b"".to_vec()]), None);
        let p = b.build().unwrap();
        let bits = p.scan(b"1 UNION all SeLeCt");
        assert!(has(&bits, union) && has(&bits, on) && !has(&bits, script));
        let bits = p.scan(b"<SCRIPT>");
        assert!(!has(&bits, union) && !has(&bits, on) && has(&bits, script));
        // Overlapping matches all count: "select" inside "selection", "on" too.
        let bits = p.scan(b"selection");
        assert!(has(&bits, union) && has(&bits, on));
        assert!(!has(&p.scan(b""), union));
    }

    #[test]
    fn one_byte_literals_use_the_byte_pass() {
        let mut b = PrefilterBuilder::default();
        let quote = b.add(&[b"'".to_vec(), b"--".to_vec()]).unwrap();
        let x = b.add(&[b"X".to_vec()]).unwrap();
        let p = b.build().unwrap();
        assert!(has(&p.scan(b"a'b"), quote) && !has(&p.scan(b"a'b"), x));
        assert!(has(&p.scan(b"a--b"), quote) && has(&p.scan(b"xa"), x));
        assert!(!has(&p.scan(b"a-b"), quote));
    }

    /// Bytes with the same rules share a class; past 64 classes the rest
    /// share the last, so a value still sets every bit it should.
    #[test]
    fn byte_classes_never_lose_a_rule() {
        let mut b = PrefilterBuilder::default();
        // 100 rules, one distinct byte each (no letters: no case pairs),
        // and one rule for two of those bytes.
        let bytes: Vec<u8> = (0x80..0xe4).collect();
        let bits: Vec<u32> = bytes.iter().map(|&c| b.add(&[vec![c]]).unwrap()).collect();
        let pair = b.add(&[vec![0x80], vec![0xe3]]).unwrap();
        let p = b.build().unwrap();
        for (i, &c) in bytes.iter().enumerate() {
            let scan = p.scan(&[b'a', c]);
            assert!(has(&scan, bits[i]), "byte {c:#x}");
            assert!(has(&scan, pair) || (c != 0x80 && c != 0xe3));
            // Bytes with classes of their own set no other rule's bit.
            if i < 63 {
                assert_eq!(has(&scan, pair), c == 0x80);
                let others = bits
                    .iter()
                    .filter(|&&x| x != bits[i] && has(&scan, x))
                    .count();
                assert_eq!(others, 0, "byte {c:#x}");
            }
        }
        assert!(!has(&p.scan(b"plain"), bits[0]));
    }

    /// Past the DFA's size bound the NFA walks the same matches.
    #[test]
    fn large_literal_sets_use_the_nfa() {
        let mut b = PrefilterBuilder::default();
        let bits: Vec<u32> = (0..2000)
            .map(|i| {
                b.add(&[format!("literal-number-{i:05}").into_bytes()])
                    .unwrap()
            })
            .collect();
        let p = b.build().unwrap();
        assert!(matches!(p.ac, Some(Literals::Nfa(_))));
        let found = p.scan(b"..LITERAL-NUMBER-01234literal-number-00007");
        for (i, bit) in bits.iter().enumerate() {
            assert_eq!(has(&found, *bit), i == 1234 || i == 7, "rule {i}");
        }
    }

    #[test]
    fn many_rules_use_several_words() {
        let mut b = PrefilterBuilder::default();
        let bits: Vec<u32> = (0..200)
            .map(|i| b.add(&[format!("word{i:03}").into_bytes()]).unwrap())
            .collect();
        let p = b.build().unwrap();
        let found = p.scan(b"xx word150 word007 yy");
        for (i, bit) in bits.iter().enumerate() {
            assert_eq!(has(&found, *bit), i == 150 || i == 7, "rule {i}");
        }
    }
}
