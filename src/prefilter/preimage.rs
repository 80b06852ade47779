//! What a raw value must hold for its transformed value to hold a literal.
//!
//! The prefilter tells whether a *transformed* value holds one of a rule's
//! literals, so the value is transformed and scanned first. For most
//! values that work is wasted: CRS 930110 runs `cmdLine` over every header
//! to look for `../`, and a `User-Agent` only gets lowercased and its `;`
//! turned into spaces. Going backwards through the pipeline, [`preimage`]
//! finds literals and bytes of which the *raw* value must hold one for the
//! pipeline's output (or any step's, for `multiMatch`) to hold a literal of
//! the set. A raw value with none of them is passed over untransformed.
//!
//! Literals are compared as the prefilter compares them: ASCII letters in
//! either case. Bytes are exact.

use crate::transformations::cmd_line::{DELETED as CMDLINE_DELETED, SPACES as CMDLINE_SPACES};
use crate::transformations::triggers::{ByteSet, ASCII_LOWER, ASCII_UPPER, NON_ASCII};

/// What a raw value must hold (one literal, ASCII case-insensitively, or
/// one byte) for a pipeline to make a value holding a literal of the set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Preimage {
    pub literals: Vec<Vec<u8>>,
    pub bytes: ByteSet,
}

/// The preimage of `literals` through the pipeline `steps` (SecLang
/// names, in order). `None` when a step may make any value (`base64Decode`,
/// `length`, unknown names). Each step's preimage holds its output's
/// literals and bytes, so the result also covers every shorter pipeline
/// (`multiMatch` evaluates each step's value).
pub(crate) fn preimage(steps: &[&str], literals: &[Vec<u8>]) -> Option<Preimage> {
    let mut p = Preimage {
        literals: literals.iter().map(|l| l.to_ascii_lowercase()).collect(),
        bytes: ByteSet::EMPTY,
    };
    for step in steps.iter().rev() {
        p = through(step, p)?;
    }
    p.literals.sort();
    p.literals.dedup();
    Some(p)
}

/// What the input of `step` must hold for its output to hold `p`.
fn through(step: &str, mut p: Preimage) -> Option<Preimage> {
    let has =
        |p: &Preimage, b: u8| p.bytes.contains(b) || p.literals.iter().any(|l| l.contains(&b));
    match step.to_ascii_lowercase().as_str() {
        // ASCII letters change case only (literals ignore case); other
        // cased characters may change anywhere, even into ASCII (the Kelvin
        // sign becomes `k`), so their bytes are kept.
        "lowercase" => {
            p.bytes = fold_case(p.bytes)
                .union(crate::transformations::triggers_of("lowercase")?.intersection(NON_ASCII));
        }
        // `+` becomes a space, byte for byte; `%` escapes make anything.
        "urldecode" | "urldecodeuni" => {
            let mut b = ByteSet::of_list(b"%");
            if has(&p, b' ') {
                b = b.union(ByteSet::of_list(b"+"));
            }
            p.bytes = p.bytes.union(b);
        }
        "cmdline" => {
            // Deleted bytes join their neighbours; a space comes from any
            // run of spaces, commas, semicolons, tabs, CR or LF.
            let mut b = fold_case(p.bytes).union(ByteSet::of_list(CMDLINE_DELETED));
            if has(&p, b' ') {
                b = b.union(ByteSet::of_list(CMDLINE_SPACES));
            }
            // `x /` becomes `x/`: a literal with `/` or `(` after its first
            // byte may come from a space (of the run) before that byte.
            let mut extra = Vec::new();
            for c in [b'/', b'('] {
                if p.literals.iter().any(|l| l.iter().skip(1).any(|&x| x == c)) {
                    extra.extend(CMDLINE_SPACES.iter().map(|&s| vec![s, c]));
                }
            }
            p.literals.extend(extra);
            p.bytes = b;
        }
        // Any other step returns a value without its trigger bytes as it is.
        name => {
            let t = crate::transformations::triggers_of(name)?;
            p.bytes = p.bytes.union(t);
        }
    }
    Some(p)
}

/// `set` with both cases of each ASCII letter in it.
fn fold_case(set: ByteSet) -> ByteSet {
    let letters = set.intersection(ASCII_UPPER.union(ASCII_LOWER));
    let other = letters.bytes().map(|b| {
        if b.is_ascii_uppercase() {
            b.to_ascii_lowercase()
        } else {
            b.to_ascii_uppercase()
        }
    });
    set.union(ByteSet::of(&other.collect::<Vec<u8>>()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_rng::Rng;

    fn holds(value: &[u8], literal: &[u8]) -> bool {
        literal.is_empty()
            || value
                .windows(literal.len())
                .any(|w| w.eq_ignore_ascii_case(literal))
    }

    fn passes(raw: &[u8], p: &Preimage) -> bool {
        ByteSet::of(raw).intersects(&p.bytes) || p.literals.iter().any(|l| holds(raw, l))
    }

    #[test]
    fn cmdline_keeps_what_only_the_literal_explains() {
        let lits = vec![b"../".to_vec(), b"..;".to_vec()];
        let p = preimage(
            &["utf8toUnicode", "urlDecodeUni", "removeNulls", "cmdLine"],
            &lits,
        )
        .unwrap();
        let ua = b"Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
        assert!(!passes(ua, &p), "{p:?}");
        assert!(!passes(b"en-US,en;q=0.5", &p));
        // `+` may become the space before a `/` that `cmdLine` deletes.
        assert!(passes(b"..+/", &p));
        for raw in [
            &b"a/../b"[..],
            b"..%2f",
            b".. /",
            b"..\t/",
            b".\".\"/",
            b"..\0/",
            b"\xc3\xa9",
        ] {
            assert!(passes(raw, &p), "{raw:?}");
        }
        // The space `cmdLine` deletes before `/` or `(`, from any run.
        let p = preimage(&["cmdLine"], &[b"a/".to_vec(), b"b(".to_vec()]).unwrap();
        for raw in [&b"a /"[..], b"a,;/", b"b\t(", b"A\r\n("] {
            assert!(passes(raw, &p), "{raw:?}");
        }
        assert!(!passes(b"ab/ b", &p));
        assert_eq!(preimage(&["base64Decode"], &lits), None);
        assert_eq!(preimage(&["lowercase", "length"], &lits), None);
    }

    /// Whenever a pipeline's output, or any step's on the way, holds a
    /// literal, the raw value passes the preimage: random values over the
    /// bytes the steps act on, random pipelines and literal sets.
    #[test]
    fn a_value_that_fails_the_preimage_never_makes_a_literal() {
        let alphabet: &[&[u8]] = &[
            b"a",
            b"B",
            b"k",
            b"K",
            b"i",
            b"/",
            b"(",
            b".",
            b" ",
            b",",
            b";",
            b"\t",
            b"\r",
            b"\n",
            b"\"",
            b"'",
            b"\\",
            b"^",
            b"%",
            b"+",
            b"%2f",
            b"%u002e",
            b"&",
            b"&lt;",
            b"&#47;",
            b"#",
            b"*",
            b"-",
            b"\0",
            b"\xe2\x84\xaa",
            b"\xc4\xb0",
            b"\xc3\x80",
            b"0",
            b"x",
            b"<",
            b"=",
        ];
        let names = [
            "lowercase",
            "cmdLine",
            "urlDecode",
            "urlDecodeUni",
            "removeNulls",
            "htmlEntityDecode",
            "jsDecode",
            "cssDecode",
            "utf8toUnicode",
            "removeWhitespace",
            "compressWhitespace",
            "replaceComments",
            "removeCommentsChar",
            "normalizePath",
            "normalizePathWin",
            "escapeSeqDecode",
            "trim",
            "replaceNulls",
        ];
        let mut rng = Rng(0x5eed_1234_9876_4321);
        let word = |rng: &mut Rng, n: usize| -> Vec<u8> {
            (0..1 + rng.below(n))
                .flat_map(|_| rng.pick(alphabet).to_vec())
                .collect()
        };
        let mut checked = 0;
        for _ in 0..3000 {
            let steps: Vec<&str> = (0..1 + rng.below(4)).map(|_| *rng.pick(&names)).collect();
            // Random words, and pieces of what the pipeline made of a
            // random value (literals that outputs do hold).
            let run = |v: &[u8]| {
                steps.iter().fold(v.to_vec(), |v, s| {
                    crate::transformations::lookup(s).unwrap()(&v).into_owned()
                })
            };
            let lits: Vec<Vec<u8>> = (0..1 + rng.below(3))
                .map(|_| {
                    let out = run(&word(&mut rng, 8));
                    match (rng.below(2), out.len()) {
                        (0, n) if n > 1 => {
                            let at = rng.below(n - 1);
                            out[at..(at + 2 + rng.below(3)).min(n)].to_vec()
                        }
                        _ => word(&mut rng, 3),
                    }
                })
                .collect();
            let Some(p) = preimage(&steps, &lits) else {
                continue;
            };
            for _ in 0..40 {
                let raw = word(&mut rng, 8);
                if passes(&raw, &p) {
                    continue;
                }
                let mut v = raw.clone();
                for s in &steps {
                    let f = crate::transformations::lookup(s).unwrap();
                    v = f(&v).into_owned();
                    let made = lits.iter().find(|l| holds(&v, l));
                    assert!(
                        made.is_none(),
                        "{steps:?} made {made:?} from {raw:?} ({v:?}), preimage {p:?}"
                    );
                }
                checked += 1;
            }
        }
        assert!(checked > 20_000, "{checked}");
    }
}
