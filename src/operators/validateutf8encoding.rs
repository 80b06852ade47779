//! `@validateUtf8Encoding`: matches when the input is not valid UTF-8
//! (truncated or invalid sequences, overlong forms, surrogates, > U+10FFFF).

use super::{OpContext, Operator};

/// The `@validateUtf8Encoding` operator.
#[derive(Debug)]
pub struct ValidateUtf8Encoding;

impl Operator for ValidateUtf8Encoding {
    fn evaluate(&self, _ctx: &mut OpContext<'_>, input: &[u8]) -> bool {
        std::str::from_utf8(input).is_err()
    }
}

#[cfg(test)]
mod tests {
    use crate::operators::testutil::*;

    #[test]
    fn vectors() {
        let o = op("validateUtf8Encoding", "");
        assert!(!eval(&*o, "ascii and é ✓".as_bytes()));
        assert!(eval(&*o, b"\xff"));
        assert!(eval(&*o, b"\xc0\xaf")); // overlong '/'
        assert!(eval(&*o, b"\xed\xa0\x80")); // surrogate
        assert!(eval(&*o, b"\xe2\x9c")); // truncated
    }
}
