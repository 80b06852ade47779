//! [`Waf`]: a loaded, immutable rule set that hands out transactions.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::rules::{EngineConfig, RuleSet};
use crate::seclang;
use crate::transaction::Transaction;
use crate::Error;

enum Source {
    Text {
        text: String,
        origin: String,
        base_dir: PathBuf,
    },
    File(PathBuf),
}

/// Collects configuration sources, then compiles them into a [`Waf`].
#[derive(Default)]
pub struct WafBuilder {
    sources: Vec<Source>,
    no_prefilter: bool,
    no_prelude: bool,
}

impl WafBuilder {
    /// An empty builder.
    pub fn new() -> WafBuilder {
        WafBuilder::default()
    }

    /// Adds SecLang text; relative `Include`s and data files resolve from the
    /// current directory.
    pub fn directives(self, text: &str) -> WafBuilder {
        let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
        self.directives_from(text, "<inline>", &cwd)
    }

    /// Adds SecLang text named `origin` in errors, resolving relative paths from `base_dir`.
    pub fn directives_from(mut self, text: &str, origin: &str, base_dir: &Path) -> WafBuilder {
        self.sources.push(Source::Text {
            text: text.to_string(),
            origin: origin.to_string(),
            base_dir: base_dir.to_path_buf(),
        });
        self
    }

    /// Adds a SecLang file (a glob pattern is expanded in sorted order).
    pub fn file(mut self, path: impl AsRef<Path>) -> WafBuilder {
        self.sources.push(Source::File(path.as_ref().to_path_buf()));
        self
    }

    /// Runs every operator on every value, without the literal prefilter
    /// (decisions are the same; for equivalence tests and measurements).
    #[doc(hidden)]
    pub fn without_prefilter(mut self) -> WafBuilder {
        self.no_prefilter = true;
        self
    }

    /// Runs phase 1's TX-only start on every transaction instead of once
    /// (decisions are the same; for equivalence tests and measurements).
    #[doc(hidden)]
    pub fn without_prelude(mut self) -> WafBuilder {
        self.no_prelude = true;
        self
    }

    /// Parses and compiles everything added, in order.
    pub fn build(self) -> Result<Waf, Error> {
        let mut directives = Vec::new();
        for s in &self.sources {
            match s {
                Source::Text {
                    text,
                    origin,
                    base_dir,
                } => directives.extend(seclang::load_str(text, origin, base_dir)?),
                Source::File(path) => {
                    let p = path.to_string_lossy();
                    if p.contains(['*', '?', '[']) {
                        let mut files: Vec<PathBuf> = glob::glob(&p)
                            .map_err(|e| Error::msg(format!("invalid pattern {p}: {e}")))?
                            .filter_map(Result::ok)
                            .collect();
                        files.sort();
                        if files.is_empty() {
                            return Err(Error::msg(format!("{p}: no file matches")));
                        }
                        for f in files {
                            directives.extend(seclang::load_file(&f)?);
                        }
                    } else {
                        directives.extend(seclang::load_file(path)?);
                    }
                }
            }
        }
        let mut rules = crate::rules::compile(&directives)?;
        if self.no_prefilter {
            crate::rules::plan::drop_prefilter(&mut rules);
        }
        let rules = Arc::new(rules);
        if !self.no_prelude {
            if let Some(p) = crate::transaction::prelude_of(&rules) {
                // Set once, here, before any transaction can read it.
                let _ = rules.plan.prelude.set(p);
            }
        }
        Ok(Waf { rules })
    }
}

/// A compiled rule set. Cheap to clone; share it between threads.
#[derive(Clone)]
pub struct Waf {
    pub(crate) rules: Arc<RuleSet>,
}

impl Waf {
    /// Starts a [`WafBuilder`].
    pub fn builder() -> WafBuilder {
        WafBuilder::new()
    }

    /// Compiles SecLang text.
    pub fn from_directives(text: &str) -> Result<Waf, Error> {
        WafBuilder::new().directives(text).build()
    }

    /// A new transaction with a generated unique id.
    pub fn new_transaction(&self) -> Transaction {
        Transaction::new(self.rules.clone(), unique_id())
    }

    /// A new transaction with the caller's id (e.g. HAProxy's unique-id).
    pub fn new_transaction_with_id(&self, id: &str) -> Transaction {
        Transaction::new(self.rules.clone(), id.to_string())
    }

    /// Number of rules (chain starters and SecActions) per phase 1-5.
    pub fn rules_per_phase(&self) -> [usize; 5] {
        self.rules.rules_per_phase()
    }

    /// The engine settings the configuration chose.
    pub fn config(&self) -> &EngineConfig {
        &self.rules.config
    }
}

/// A process-unique id: time-based prefix plus a counter, like ModSecurity's UNIQUE_ID.
fn unique_id() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros())
        .unwrap_or(0);
    format!("{t:x}{:04x}{n:06x}", std::process::id() & 0xffff)
}
