//! `@contains`: the argument occurs in the input (case-sensitive).

use super::{Arg, OpContext, Operator};

/// The `@contains` operator (argument macro-expanded at evaluation).
#[derive(Debug)]
pub struct Contains(Arg);

impl Contains {
    /// Parses the argument's macros.
    pub fn new(arg: &str) -> Contains {
        Contains(Arg::new(arg))
    }
}

impl Operator for Contains {
    fn evaluate(&self, ctx: &mut OpContext<'_>, input: &[u8]) -> bool {
        let arg = self.0.value(ctx);
        let arg: &[u8] = &arg;
        memchr::memmem::find(input, arg).is_some()
    }
}

#[cfg(test)]
mod tests {
    use crate::operators::testutil::*;

    #[test]
    fn vectors() {
        let o = op("contains", "abc");
        assert!(eval(&*o, b"xxabcxx"));
        assert!(!eval(&*o, b"xxABCxx"));
        assert!(!eval(&*o, b"ab"));
        assert!(eval_macro(&*op("contains", "%{tx.x}"), "b", b"abc"));
        assert!(!eval_macro(&*op("contains", "%{tx.x}"), "q", b"abc"));
    }
}
