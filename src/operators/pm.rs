//! `@pm`, `@pmFromFile` (`@pmf`) and `@pmFromDataset`: multi-phrase match,
//! ASCII case-insensitive, with Aho-Corasick.

use std::collections::HashMap;
use std::path::Path;

use aho_corasick::AhoCorasick;

use super::{dataset, read_data_file, OpContext, Operator};

/// A compiled phrase set.
#[derive(Debug)]
pub struct Pm {
    matcher: AhoCorasick,
    /// The phrases, for the prefilter (a match contains one of them).
    phrases: Vec<Vec<u8>>,
}

impl Pm {
    fn new(phrases: Vec<String>, what: &str) -> Result<Pm, String> {
        if phrases.is_empty() {
            return Err(format!("{what}: no phrases"));
        }
        let matcher = AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(&phrases)
            .map_err(|e| format!("{what}: {e}"))?;
        let phrases = phrases.into_iter().map(String::into_bytes).collect();
        Ok(Pm { matcher, phrases })
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
        match self.matcher.find(input) {
            Some(m) => {
                // TX.0 is the matched text as it appears in the input.
                ctx.capture([input.get(m.start()..m.end()).unwrap_or_default()]);
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
}
