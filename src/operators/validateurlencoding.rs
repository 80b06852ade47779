//! `@validateUrlEncoding`: matches when the input holds an invalid
//! percent-encoding, i.e. a `%` not followed by two hex digits.

use super::{OpContext, Operator};

/// The `@validateUrlEncoding` operator.
#[derive(Debug)]
pub struct ValidateUrlEncoding;

impl Operator for ValidateUrlEncoding {
    fn evaluate(&self, _ctx: &mut OpContext<'_>, input: &[u8]) -> bool {
        let mut i = 0;
        while let Some(off) = input.get(i..).and_then(|rest| memchr::memchr(b'%', rest)) {
            let p = i + off;
            let hex = |k: usize| input.get(p + k).is_some_and(u8::is_ascii_hexdigit);
            if !(hex(1) && hex(2)) {
                return true;
            }
            i = p + 3;
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use crate::operators::testutil::*;

    #[test]
    fn vectors() {
        let o = op("validateUrlEncoding", "");
        assert!(!eval(&*o, b"a%20b%2F%2f"));
        assert!(!eval(&*o, b"plain"));
        assert!(eval(&*o, b"a%2"));
        assert!(eval(&*o, b"%"));
        assert!(eval(&*o, b"a%zzb"));
        assert!(eval(&*o, b"%41%g1"));
    }
}
