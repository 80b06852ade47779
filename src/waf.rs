//! [`Waf`]: a loaded, immutable rule set that hands out transactions.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::rules::RuleSet;
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

    /// Parses and compiles everything added, in order.
    pub fn build(self) -> Result<Waf, Error> {
        let _ = &self.sources;
        Err(Error::msg("not implemented yet"))
    }
}

/// A compiled rule set. Cheap to clone; share it between threads.
#[derive(Clone)]
pub struct Waf {
    rules: Arc<RuleSet>,
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
        Transaction {
            rules: self.rules.clone(),
            id: String::new(),
        }
    }
}
