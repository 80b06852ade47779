//! `@strmatch`: the (literal, macro-free) argument occurs in the input,
//! case-sensitive. ModSecurity uses Boyer-Moore-Horspool; `memmem` is equivalent.

use memchr::memmem::Finder;

use super::{OpContext, Operator};

/// The `@strmatch` operator.
#[derive(Debug)]
pub struct StrMatch(Finder<'static>);

impl StrMatch {
    /// Prepares the searcher for `arg`.
    pub fn new(arg: &str) -> StrMatch {
        StrMatch(Finder::new(arg.as_bytes()).into_owned())
    }
}

impl Operator for StrMatch {
    fn evaluate(&self, _ctx: &mut OpContext<'_>, input: &[u8]) -> bool {
        self.0.find(input).is_some()
    }
}

#[cfg(test)]
mod tests {
    use crate::operators::testutil::*;

    #[test]
    fn vectors() {
        let o = op("strmatch", "WebZIP");
        assert!(eval(&*o, b"Mozilla WebZIP/4.0"));
        assert!(!eval(&*o, b"webzip"));
        assert!(!eval(&*o, b"Web"));
    }
}
