//! `@pm`, `@pmFromFile` (`@pmf`) and `@pmFromDataset`: multi-phrase match,
//! ASCII case-insensitive, with Aho-Corasick (walked directly, as the
//! prefilter's automaton is).

use std::collections::HashMap;
use std::path::Path;

use super::{dataset, read_data_file, OpContext, Operator};
use crate::prefilter::automaton::Literals;
use crate::prefilter::starts::Starts;

/// Phrase lists up to this many bytes get a DFA (faster per byte); longer
/// ones (CRS's largest data files) the smaller NFA. Measured on CRS: 4 KiB
/// gives the hot lists (java-classes, php-function-names) a DFA with 44 MiB
/// RSS after load; 8 KiB saves another 0.6% of a benign GET's instructions
/// for 10 MiB more.
const MAX_DFA_PHRASE_BYTES: usize = 4 * 1024;

/// A compiled phrase set.
#[derive(Debug)]
pub struct Pm {
    /// The non-empty phrases.
    matcher: Option<Literals>,
    /// For a list walked as an NFA: its phrases' four-byte starts, which
    /// rule out most values at a fraction of the walk's cost.
    starts: Option<Starts>,
    /// Whether a phrase is empty: every input matches, at its start.
    empty: bool,
    /// The shortest non-empty phrase's length: shorter inputs hold none.
    min_len: usize,
    /// The phrases, for the prefilter (a match contains one of them).
    phrases: Vec<Vec<u8>>,
}

impl Pm {
    fn new(phrases: Vec<String>, what: &str) -> Result<Pm, String> {
        if phrases.is_empty() {
            return Err(format!("{what}: no phrases"));
        }
        // An empty phrase (a dataset may hold one) occurs in every input.
        let empty = phrases.iter().any(String::is_empty);
        let others: Vec<&String> = phrases.iter().filter(|p| !p.is_empty()).collect();
        let matcher = match others.is_empty() {
            true => None,
            false => Some(
                Literals::build(&others, MAX_DFA_PHRASE_BYTES)
                    .map_err(|e| format!("{what}: {e}"))?,
            ),
        };
        let min_len = others.iter().map(|p| p.len()).min().unwrap_or(0);
        let starts = match &matcher {
            Some(Literals::Nfa(_)) => Starts::new(&others),
            _ => None,
        };
        let phrases = phrases.into_iter().map(String::into_bytes).collect();
        Ok(Pm {
            matcher,
            starts,
            empty,
            min_len,
            phrases,
        })
    }

    /// `@pm`: space-separated phrases.
    pub fn from_arg(arg: &str) -> Result<Pm, String> {
        Pm::new(arg.split_whitespace().map(str::to_string).collect(), "@pm")
    }

    /// `@pmFromFile`: space-separated file names, relative to `rule_dir`.
    pub fn from_files(arg: &str, rule_dir: &Path) -> Result<Pm, String> {
        let mut phrases = Vec::new();
        for name in arg.split_whitespace() {
            phrases.extend(read_data_file(name, rule_dir)?);
        }
        Pm::new(phrases, &format!("@pmFromFile {arg}"))
    }

    /// `@pmFromDataset`: phrases of a `SecDataset`.
    pub fn from_dataset(arg: &str, datasets: &HashMap<String, Vec<String>>) -> Result<Pm, String> {
        let phrases = dataset(arg, datasets)?.clone();
        Pm::new(phrases, &format!("@pmFromDataset {arg}"))
    }
}

impl Operator for Pm {
    fn required_literals(&self) -> Option<Vec<Vec<u8>>> {
        Some(self.phrases.clone())
    }

    fn evaluate(&self, ctx: &mut OpContext<'_>, input: &[u8]) -> bool {
        if self.empty {
            ctx.capture([&b""[..]]);
            return true;
        }
        // CRS's lists start at 4 bytes; many values are shorter.
        if input.len() < self.min_len {
            return false;
        }
        if self.starts.as_ref().is_some_and(|s| !s.may_hold(input)) {
            return false;
        }
        match self.matcher.as_ref().and_then(|m| m.first_match(input)) {
            Some((_, start, end)) => {
                // TX.0 is the matched text as it appears in the input.
                ctx.capture([input.get(start..end).unwrap_or_default()]);
                true
            }
            None => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::operators::testutil::*;
    use crate::operators::testutil::{crs_dir, crs_operator_args};
    use crate::operators::{build, OperatorInit};

    #[test]
    fn pm_phrases() {
        let o = op("pm", "foo bar");
        assert!(eval(&*o, b"xxBARxx"));
        assert!(eval(&*o, b"food"));
        assert!(!eval(&*o, b"fo ba"));
        let (m, caps) = eval_capture(&*o, b"a FoO b");
        assert!(m);
        assert_eq!(caps, vec![b"FoO".to_vec()]);
        assert!(try_op("pm", "  ").is_err());
        // Inputs as long as the shortest phrase still match.
        let o = op("pm", "xyz ab");
        assert!(eval(&*o, b"AB") && eval(&*o, b"xyz") && !eval(&*o, b"a"));
    }

    #[test]
    fn pm_from_file_and_errors() {
        let dir = std::env::temp_dir().join(format!("pmtest-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("a.data"), "# comment\n\nevil\r\n  bad thing \n").unwrap();
        std::fs::write(dir.join("b.data"), "other\n").unwrap();
        let ds = HashMap::new();
        let mk = |name: &str, arg: &str| {
            build(&OperatorInit {
                name,
                arg,
                rule_dir: &dir,
                datasets: &ds,
            })
        };
        let o = mk("pmFromFile", "a.data b.data").unwrap();
        assert!(eval(&*o, b"so EVIL"));
        assert!(eval(&*o, b"a bad thing!"));
        assert!(eval(&*o, b"another"));
        assert!(!eval(&*o, b"comment"));
        assert!(!eval(&*o, b"bad"));
        let e = mk("pmf", "missing.data").unwrap_err();
        assert!(e.contains("missing.data"), "{e}");
        assert!(mk("pmFromFile", "https://example.com/x")
            .unwrap_err()
            .contains("not supported"));
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn pm_from_dataset() {
        let mut ds = HashMap::new();
        ds.insert("bad".to_string(), vec!["alpha".to_string()]);
        let init = |arg| OperatorInit {
            name: "pmFromDataset",
            arg,
            rule_dir: Path::new("."),
            datasets: &ds,
        };
        let o = build(&init("bad")).unwrap();
        assert!(eval(&*o, b"xALPHAx"));
        assert!(!eval(&*o, b"beta"));
        assert!(build(&init("none")).is_err());
    }

    #[test]
    fn every_crs_pm_from_file_loads() {
        let rules = crs_dir().join("rules");
        let args = crs_operator_args("pmFromFile");
        assert!(args.len() >= 15, "found only {}", args.len());
        let ds = HashMap::new();
        for (file, arg) in &args {
            let r = build(&OperatorInit {
                name: "pmFromFile",
                arg,
                rule_dir: &rules,
                datasets: &ds,
            });
            assert!(r.is_ok(), "{file}: {arg}: {:?}", r.err());
        }
        for (file, arg) in &crs_operator_args("pm") {
            assert!(try_op("pm", arg).is_ok(), "{file}: {arg}");
        }
    }

    /// On CRS's phrase lists, the walk finds what the crate's own search
    /// finds (first match and its text), phrases embedded, cased and cut;
    /// the operator's verdict (behind the four-byte starts on the large
    /// lists) is the search's.
    #[test]
    fn crs_phrase_lists_match_as_the_crate_does() {
        let rules = crs_dir().join("rules");
        let mut rng = crate::test_rng::Rng(11);
        let mut with_starts = 0;
        for (_, arg) in &crs_operator_args("pmFromFile") {
            let pm = Pm::from_files(arg, &rules).unwrap();
            with_starts += usize::from(pm.starts.is_some());
            let phrases: Vec<String> = pm
                .phrases
                .iter()
                .map(|p| String::from_utf8_lossy(p).into_owned())
                .collect();
            let ac = aho_corasick::AhoCorasick::builder()
                .ascii_case_insensitive(true)
                .build(&phrases)
                .unwrap();
            for _ in 0..300 {
                let p = rng.pick(&phrases);
                let cut = &p.as_bytes()[..rng.below(p.len() + 1)];
                let mut v = b"x/".to_vec();
                v.extend_from_slice(if rng.below(2) == 0 { p.as_bytes() } else { cut });
                v.extend_from_slice(b" ");
                v.extend_from_slice(rng.pick(&phrases).to_uppercase().as_bytes());
                let want = ac.find(&v).map(|m| (m.start(), m.end()));
                let got = pm.matcher.as_ref().and_then(|m| m.first_match(&v));
                assert_eq!(got.map(|(_, s, e)| (s, e)), want, "{arg}: {v:?}");
                assert_eq!(eval(&pm, &v), want.is_some(), "{arg}: {v:?}");
                // A cut phrase alone: mostly no match.
                let v = [b"a-", cut].concat();
                assert_eq!(eval(&pm, &v), ac.is_match(&v), "{arg}: {v:?}");
            }
        }
        // CRS's file and shell path lists (930120, 932160) among them.
        assert!(with_starts >= 2, "{with_starts}");
    }
}
