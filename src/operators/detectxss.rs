//! `@detectXSS`: libinjection cross-site scripting detection.

use super::{OpContext, Operator};

/// The `@detectXSS` operator.
#[derive(Debug)]
pub struct DetectXss;

impl Operator for DetectXss {
    fn evaluate(&self, _ctx: &mut OpContext<'_>, input: &[u8]) -> bool {
        libinjectionrs::detect_xss(input).is_injection()
    }
}

#[cfg(test)]
mod tests {
    use crate::operators::testutil::*;

    #[test]
    fn vectors() {
        let o = op("detectXSS", "");
        assert!(eval(&*o, b"<script>alert(1)</script>"));
        assert!(eval(&*o, b"<img src=x onerror=alert(1)>"));
        assert!(!eval(&*o, b"hello world"));
        assert!(!eval(&*o, b"a < b and c > d"));
    }
}
