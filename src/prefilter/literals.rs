//! Required-literal extraction: for an `@rx` pattern, a small set of strings
//! of which at least one occurs in every match.
//!
//! A prefilter can then skip the regex on inputs that contain none of them.
//! The analysis walks the pattern's HIR (parsed exactly as
//! [`crate::operators::rx::compile`] parses it in byte mode) and computes for
//! every node two over-approximations, both ASCII-lowercased:
//!
//! * `exact`: the node's whole language, when it is a small finite set;
//! * `required`: a set such that every string of the language contains at
//!   least one member (never containing the empty string).
//!
//! `None` is always a safe answer for either, so every bound (set size,
//! string length, total work) degrades to `None` (or, for `required` sets, to
//! shorter prefixes of the same strings, which is just as safe).

use std::collections::BTreeSet;

use regex_syntax::hir::{Class, Hir, HirKind};
use regex_syntax::ParserBuilder;

/// Most strings in an `exact` set.
const MAX_EXACT: usize = 256;
/// Longest string in an `exact` set; `required` strings are cut to this.
const MAX_LEN: usize = 64;
/// Largest class (after case folding) kept as a set of single bytes.
const MAX_CLASS: usize = 8;
/// Most strings in a `required` set (CRS has huge alternations).
const MAX_REQUIRED: usize = 512;
/// Total work budget (roughly bytes copied or compared) for one pattern.
const FUEL: usize = 50_000_000;
/// Literal lengths beyond this are not worth trading for more strings.
const RANK_LEN_CAP: usize = 8;
/// Largest finite repetition bound expanded into an exact set.
const MAX_REPEAT_EXPAND: u32 = 16;

type Set = BTreeSet<Vec<u8>>;

/// Strings (ASCII-lowercased) of which at least one occurs in every match of
/// the pattern (compared ASCII-case-insensitively); None when no such set is known.
///
/// `Some(vec![])` means the pattern can never match. The pattern is read as
/// `@rx` reads it in byte mode; patterns that only compile in Unicode mode
/// (`rx::compile`'s fallback) get `None`.
pub(crate) fn required_literals(pattern: &str) -> Option<Vec<Vec<u8>>> {
    let hir = parse(pattern)?;
    let mut a = Analyzer { fuel: FUEL };
    let info = a.node(&hir);
    let set = a.prune(info.required?)?;
    Some(set.into_iter().collect())
}

/// Parses `pattern` with the flags of `rx::compile`'s byte-mode build.
fn parse(pattern: &str) -> Option<Hir> {
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
    required: Option<Set>,
}

/// How good a `required` set is for a prefilter: longer shortest literal
/// first (up to a cap), then fewer strings. Higher is better.
fn rank(s: &Set) -> (usize, usize, usize) {
    let min = s.iter().map(Vec::len).min().unwrap_or(usize::MAX);
    (min.min(RANK_LEN_CAP), usize::MAX - s.len(), min)
}

fn better(a: Option<Set>, b: Option<Set>) -> Option<Set> {
    match (a, b) {
        (Some(a), Some(b)) => Some(if rank(&b) > rank(&a) { b } else { a }),
        (a, b) => a.or(b),
    }
}

fn only_empty(s: &Set) -> bool {
    s.iter().all(Vec::is_empty)
}

fn single(bytes: &[u8]) -> Set {
    std::iter::once(bytes.to_ascii_lowercase()).collect()
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
                exact: Some(single(b"")),
                required: None,
            },
            HirKind::Literal(lit) => {
                let folded = lit.0.to_ascii_lowercase();
                if folded.len() <= MAX_LEN {
                    Info {
                        exact: Some(single(&folded)),
                        required: None,
                    }
                } else {
                    Info {
                        exact: None,
                        required: Some(single(&folded[..MAX_LEN])),
                    }
                }
            }
            HirKind::Class(class) => Info {
                exact: class_bytes(class),
                required: None,
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

    /// Adds the exact set as a `required` candidate and enforces the bounds.
    fn finish(&mut self, mut info: Info) -> Info {
        if let Some(e) = &info.exact {
            if !e.contains(&b""[..]) {
                info.required = better(info.required.take(), Some(e.clone()));
            }
        }
        info.required = info.required.and_then(|r| self.fit(r));
        info
    }

    /// `{a·b}`, or None when it would exceed the exact-set bounds.
    fn product(&mut self, a: &Set, b: &Set) -> Option<Set> {
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
        let mut out = Set::new();
        for x in a {
            for y in b {
                let mut s = Vec::with_capacity(x.len() + y.len());
                s.extend_from_slice(x);
                s.extend_from_slice(y);
                out.insert(s);
            }
        }
        Some(out)
    }

    fn repetition(&mut self, sub: Info, min: u32, max: Option<u32>) -> Info {
        let exact = sub
            .exact
            .as_ref()
            .and_then(|e| self.repeat_exact(e, min, max));
        let mut required = None;
        if min >= 1 {
            required = sub.required;
            // Every match starts with `min` copies of the child: the longest
            // run of them whose language stays within bounds is required.
            if let Some(e) = &sub.exact {
                if !only_empty(e) {
                    let mut pow = e.clone();
                    for _ in 1..min {
                        match self.product(&pow, e) {
                            Some(p) => pow = p,
                            None => break,
                        }
                    }
                    if !pow.contains(&b""[..]) {
                        required = better(required, Some(pow));
                    }
                }
            }
        }
        Info { exact, required }
    }

    /// The exact language of `e{min,max}`, if small.
    fn repeat_exact(&mut self, e: &Set, min: u32, max: Option<u32>) -> Option<Set> {
        if only_empty(e) {
            // e is {} or {""}: e^k is {""} for k = 0 and e for k >= 1.
            return Some(if min == 0 { single(b"") } else { e.clone() });
        }
        let max = max?;
        if max < min || max > MAX_REPEAT_EXPAND {
            return None;
        }
        // Every extra copy of a non-empty string adds a byte, so these loops
        // end (by bound) within MAX_LEN steps.
        let mut pow = single(b"");
        for _ in 0..min {
            pow = self.product(&pow, e)?;
        }
        let mut out = pow.clone();
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
        Some(out)
    }

    fn concat(&mut self, subs: &[Hir]) -> Info {
        let infos: Vec<Info> = subs.iter().map(|h| self.node(h)).collect();

        // Exact: the cross product of all children.
        let mut exact = Some(single(b""));
        for i in &infos {
            exact = match (exact, &i.exact) {
                (Some(acc), Some(e)) => self.product(&acc, e),
                _ => None,
            };
            if exact.is_none() {
                break;
            }
        }

        // Required: the best child, or the product of a window of
        // consecutive exact children (`(?i)union` is five one-byte classes).
        let mut required = None;
        for i in &infos {
            required = better(required, i.required.clone());
        }
        for start in 0..infos.len() {
            if good_enough(&required) || self.fuel == 0 {
                break;
            }
            let mut window = single(b"");
            for i in &infos[start..] {
                let Some(e) = &i.exact else { break };
                let Some(p) = self.product(&window, e) else {
                    break;
                };
                window = p;
                if !window.contains(&b""[..])
                    && required.as_ref().map_or(true, |r| rank(&window) > rank(r))
                {
                    required = Some(window.clone());
                }
            }
        }
        Info { exact, required }
    }

    fn alternation(&mut self, subs: &[Hir]) -> Info {
        let mut exact = Some(Set::new());
        let mut required = Some(Set::new());
        for h in subs {
            let i = self.node(h);
            exact = match (exact, i.exact) {
                (Some(mut acc), Some(e)) if self.spend(e.len()) => {
                    acc.extend(e);
                    (acc.len() <= MAX_EXACT).then_some(acc)
                }
                _ => None,
            };
            required = match (required, i.required) {
                (Some(mut acc), Some(r)) if self.spend(r.len()) => {
                    acc.extend(r);
                    if acc.len() > MAX_REQUIRED {
                        self.fit(acc)
                    } else {
                        Some(acc)
                    }
                }
                _ => None,
            };
            if exact.is_none() && required.is_none() {
                break;
            }
        }
        Info { exact, required }
    }

    /// Makes a `required` set respect the bounds: drops strings that contain
    /// another member, then cuts all strings to the longest common length
    /// that leaves at most MAX_REQUIRED distinct prefixes. None if it holds
    /// the empty string (useless) or the budget is spent.
    fn fit(&mut self, set: Set) -> Option<Set> {
        if set.contains(&b""[..]) {
            return None;
        }
        let mut set = if set.iter().any(|s| s.len() > MAX_LEN) {
            set.into_iter()
                .map(|mut s| {
                    s.truncate(MAX_LEN);
                    s
                })
                .collect()
        } else {
            set
        };
        if set.len() <= MAX_REQUIRED {
            return Some(set);
        }
        set = self.prune(set)?;
        let mut len = set.iter().map(Vec::len).max().unwrap_or(0);
        while set.len() > MAX_REQUIRED && len > 1 {
            len -= 1;
            if !self.spend(set.len()) {
                return None;
            }
            set = set
                .into_iter()
                .map(|mut s| {
                    s.truncate(len);
                    s
                })
                .collect();
        }
        (set.len() <= MAX_REQUIRED).then_some(set)
    }

    /// Drops every string that contains another member of the set: a
    /// haystack holding it holds the shorter one too.
    fn prune(&mut self, set: Set) -> Option<Set> {
        let v: Vec<Vec<u8>> = set.into_iter().collect();
        let mut by_len: Vec<&Vec<u8>> = v.iter().collect();
        by_len.sort_by_key(|s| s.len());
        let mut kept: Vec<&Vec<u8>> = Vec::new();
        for s in by_len {
            if !self.spend(kept.len().saturating_mul(s.len()).saturating_add(1)) {
                return None;
            }
            if !kept
                .iter()
                .any(|k| memchr::memmem::find(s, k.as_slice()).is_some())
            {
                kept.push(s);
            }
        }
        Some(kept.into_iter().cloned().collect())
    }
}

/// Stop searching windows once a single long literal is found.
fn good_enough(r: &Option<Set>) -> bool {
    r.as_ref()
        .is_some_and(|r| r.len() == 1 && r.iter().all(|s| s.len() >= MAX_LEN))
}

/// The class as a small set of ASCII-lowercased single bytes, or None.
fn class_bytes(class: &Class) -> Option<Set> {
    let mut bytes = [false; 256];
    match class {
        Class::Bytes(c) => {
            for r in c.ranges() {
                for b in r.start()..=r.end() {
                    bytes[usize::from(b.to_ascii_lowercase())] = true;
                }
            }
        }
        Class::Unicode(c) => {
            // Only ASCII code points are single bytes.
            for r in c.ranges() {
                let (Ok(start), Ok(end)) = (u8::try_from(r.start()), u8::try_from(r.end())) else {
                    return None;
                };
                if !end.is_ascii() {
                    return None;
                }
                for b in start..=end {
                    bytes[usize::from(b.to_ascii_lowercase())] = true;
                }
            }
        }
    }
    let set: Set = (0..=255u8)
        .filter(|&b| bytes[usize::from(b)])
        .map(|b| vec![b])
        .collect();
    (set.len() <= MAX_CLASS).then_some(set)
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
        let alt: Vec<String> = (0..20_000).map(|i| format!("w{i}x")).collect();
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
        let l = lits(&format!("(?i){}", "ab".repeat(20_000))).unwrap();
        assert_eq!(l.len(), 1);
        assert_eq!(l[0].len(), MAX_LEN);
        let classes = "[abcdefg]".repeat(5_000);
        assert!(required_literals(&classes).is_some());
        let _ = required_literals(&"(a|b|c|d)?".repeat(10_000));
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

        #[test]
        fn every_crs_rx_is_safe_on_the_regression_corpus() {
            let args = crs_operator_args("rx");
            assert!(args.len() > 250, "found only {} @rx", args.len());
            let corpus = corpus();
            let mut with = 0;
            let mut by_min: std::collections::BTreeMap<usize, usize> = Default::default();
            let mut sizes = Vec::new();
            let mut matched_pairs = 0;
            for (_file, arg) in &args {
                let l = required_literals(arg);
                let Some(l) = l else { continue };
                with += 1;
                let min = l.iter().map(Vec::len).min().unwrap_or(0);
                *by_min.entry(min).or_default() += 1;
                sizes.push(l.len());
                let re = compile(arg).expect("CRS @rx compiles");
                for h in &corpus {
                    if check_safe(arg, &re, &l, h) {
                        matched_pairs += 1;
                    }
                }
            }
            sizes.sort();
            eprintln!(
                "@rx with literals: {with}/{}; min length -> patterns: {by_min:?}; \
                 set sizes median {} max {}; corpus {} haystacks, {matched_pairs} matches checked",
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
        }
    }

    /// Tiny deterministic PRNG (xorshift64*).
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
        fn pick<'a>(&mut self, v: &[&'a str]) -> &'a str {
            v[self.below(v.len())]
        }
    }

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

    #[test]
    fn random_patterns_are_safe() {
        let mut r = Rng(0x9e37_79b9_7f4a_7c15);
        let alphabet: [&[u8]; 12] = [
            b"a",
            b"b",
            b"c",
            b"A",
            b"B",
            b"C",
            b" ",
            b"\n",
            b".",
            "é".as_bytes(),
            "\u{17f}".as_bytes(),
            "\u{212a}".as_bytes(),
        ];
        let (mut with, mut matched) = (0, 0);
        for _ in 0..4000 {
            let p = gen(&mut r, 4);
            let l = required_literals(&p);
            let Ok(re) = compile(&p) else { continue };
            let Some(l) = l else { continue };
            with += 1;
            for _ in 0..60 {
                let n = r.below(12);
                let mut h = Vec::new();
                for _ in 0..n {
                    h.extend_from_slice(alphabet[r.below(alphabet.len())]);
                }
                if check_safe(&p, &re, &l, &h) {
                    matched += 1;
                }
            }
        }
        assert!(
            with > 500 && matched > 5000,
            "weak: {with} patterns, {matched} matches"
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
            let p: String = (0..n).map(|_| r.pick(&pieces)).collect();
            let _ = required_literals(&p);
        }
    }
}
