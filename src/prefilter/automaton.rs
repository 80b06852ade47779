//! A set of literals, ASCII case-insensitive, searched by walking an
//! Aho-Corasick automaton's states directly. The crate's search entry points
//! set up a search, and its overlapping iterator stops and resumes at every
//! match: on the short values a WAF reads (a few dozen bytes) that costs more
//! than the walk itself (measured on CRS: about 26 instructions per byte
//! scanned against 18, and 440 per `@pm` call on short values).

use aho_corasick::automaton::{Automaton, StateID};
use aho_corasick::{nfa::contiguous, Anchored, MatchKind};

use super::dense::Dense;

/// No single-byte pass: every byte adds nothing.
#[cfg(test)]
static NO_BYTES: [u64; 256] = [0; 256];

/// The automaton: a DFA up to a size (copied into a table of our own), the
/// contiguous NFA beyond.
#[derive(Debug)]
pub(crate) enum Literals {
    Dfa(Dense),
    /// Slower per byte (failure transitions), far smaller.
    Nfa(contiguous::NFA),
}

impl Literals {
    /// The automaton of `patterns` (none empty), or the reason it cannot
    /// be built. A DFA's size grows with the literal bytes times the
    /// alphabet: past `dfa_bytes` literal bytes (rule files are not ours to
    /// size) the NFA is built.
    pub fn build<P: AsRef<[u8]>>(patterns: &[P], dfa_bytes: usize) -> Result<Literals, String> {
        let total: usize = patterns.iter().map(|p| p.as_ref().len()).sum();
        // The crate's own prefilter only serves its search entry points.
        let nfa = contiguous::Builder::new()
            .match_kind(MatchKind::Standard)
            .ascii_case_insensitive(true)
            .prefilter(false)
            .build(patterns)
            .map_err(|e| e.to_string())?;
        // The walks start there; built unanchored, so always present.
        nfa.start_state(Anchored::No).map_err(|e| e.to_string())?;
        // An Aho-Corasick DFA has the trie's states, each transition the
        // NFA's after its failure links: the table is read off the NFA.
        let dense = match total <= dfa_bytes {
            true => Dense::from_automaton(&nfa, patterns),
            false => None,
        };
        let built = match dense {
            Some(d) => Literals::Dfa(d),
            None => Literals::Nfa(nfa),
        };
        Ok(built)
    }

    /// Calls `f` with the number of every pattern ending at every position
    /// of `value` (overlapping, as [`MatchKind::Standard`] reports them).
    #[cfg(test)]
    pub fn for_each_match(&self, value: &[u8], f: impl FnMut(usize)) {
        self.scan(value, &NO_BYTES, f);
    }

    /// [`Literals::for_each_match`], returning the union of `bytes[b]` over
    /// the bytes `b` of `value` (one pass over the value for both).
    #[inline]
    pub fn scan(&self, value: &[u8], bytes: &[u64; 256], f: impl FnMut(usize)) -> u64 {
        match self {
            Literals::Dfa(d) => {
                let mut f = f;
                d.walk(value, bytes, |k| {
                    for &p in d.patterns(k) {
                        f(p as usize);
                    }
                })
            }
            Literals::Nfa(n) => {
                walk(n, value, f);
                value
                    .iter()
                    .fold(0, |present, &b| present | bytes[usize::from(b)])
            }
        }
    }

    /// The match that ends first, as (pattern, start, end): what the
    /// crate's `find` reports for a standard automaton.
    pub fn first_match(&self, value: &[u8]) -> Option<(usize, usize, usize)> {
        match self {
            Literals::Dfa(d) => d.first(value),
            Literals::Nfa(n) => first(n, value),
        }
    }
}

/// The unanchored start state, which [`Literals::build`] made sure of.
#[inline]
fn start<A: Automaton>(a: &A) -> StateID {
    a.start_state(Anchored::No).unwrap_or(StateID::ZERO)
}

#[inline]
fn walk<A: Automaton>(a: &A, value: &[u8], mut f: impl FnMut(usize)) {
    let mut sid = start(a);
    for &byte in value {
        sid = a.next_state(Anchored::No, sid, byte);
        if a.is_special(sid) {
            if a.is_dead(sid) {
                return;
            }
            if a.is_match(sid) {
                for i in 0..a.match_len(sid) {
                    f(a.match_pattern(sid, i).as_usize());
                }
            }
        }
    }
}

#[inline]
fn first<A: Automaton>(a: &A, value: &[u8]) -> Option<(usize, usize, usize)> {
    let mut sid = start(a);
    for (at, &byte) in value.iter().enumerate() {
        sid = a.next_state(Anchored::No, sid, byte);
        if a.is_special(sid) {
            if a.is_dead(sid) {
                return None;
            }
            if a.is_match(sid) {
                let p = a.match_pattern(sid, 0);
                let end = at + 1;
                return Some((p.as_usize(), end - a.pattern_len(p), end));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_rng::Rng;

    /// Both kinds report what the crate's own searches report.
    #[test]
    fn walks_agree_with_the_crate() {
        let words = ["he", "she", "his", "hers", "e", "SH", "ershe", "x", "hish"];
        let ac = aho_corasick::AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(words)
            .unwrap();
        for limit in [usize::MAX, 0] {
            let l = Literals::build(&words, limit).unwrap();
            assert_eq!(matches!(l, Literals::Dfa(_)), limit > 0);
            let mut rng = Rng(3);
            for _ in 0..5_000 {
                let v: Vec<u8> = (0..rng.below(12))
                    .map(|_| *rng.pick(b"heisrxHS ."))
                    .collect();
                let want = ac
                    .find(&v)
                    .map(|m| (m.pattern().as_usize(), m.start(), m.end()));
                assert_eq!(l.first_match(&v), want, "{v:?}");
                let mut got = Vec::new();
                l.for_each_match(&v, |p| got.push(p));
                let all: Vec<usize> = ac
                    .find_overlapping_iter(&v)
                    .map(|m| m.pattern().as_usize())
                    .collect();
                assert_eq!(got, all, "{v:?}");
            }
        }
    }
}
