//! `@detectSQLi`: libinjection SQL injection detection. With `capture`, TX.0
//! is the libinjection fingerprint.

use super::{OpContext, Operator};

/// The `@detectSQLi` operator.
#[derive(Debug)]
pub struct DetectSqli;

impl Operator for DetectSqli {
    fn evaluate(&self, ctx: &mut OpContext<'_>, input: &[u8]) -> bool {
        let r = libinjectionrs::detect_sqli(input);
        if !r.is_injection() {
            return false;
        }
        let fp = r
            .fingerprint
            .as_ref()
            .map(|f| f.as_str().as_bytes().to_vec())
            .unwrap_or_default();
        ctx.capture([fp.as_slice()]);
        true
    }
}

#[cfg(test)]
mod tests {
    use crate::operators::testutil::*;

    #[test]
    fn vectors() {
        let o = op("detectSQLi", "");
        assert!(eval(&*o, b"1' OR '1'='1"));
        assert!(eval(&*o, b"1 UNION SELECT password FROM users--"));
        assert!(!eval(&*o, b"hello world"));
        assert!(!eval(&*o, b""));
        let (m, caps) = eval_capture(&*o, b"1' OR '1'='1");
        assert!(m);
        assert_eq!(caps.len(), 1);
        assert!(!caps[0].is_empty());
    }
}
