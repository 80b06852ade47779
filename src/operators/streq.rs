//! `@streq`: the input equals the argument (case-sensitive).

use super::{Arg, OpContext, Operator};

/// The `@streq` operator (argument macro-expanded at evaluation).
#[derive(Debug)]
pub struct StrEq(Arg);

impl StrEq {
    /// Parses the argument's macros.
    pub fn new(arg: &str) -> StrEq {
        StrEq(Arg::new(arg))
    }
}

impl Operator for StrEq {
    fn evaluate(&self, ctx: &mut OpContext<'_>, input: &[u8]) -> bool {
        let arg = self.0.value(ctx);
        let arg: &[u8] = &arg;
        input == arg
    }
}

#[cfg(test)]
mod tests {
    use crate::operators::testutil::*;

    #[test]
    fn vectors() {
        let o = op("streq", "POST");
        assert!(eval(&*o, b"POST"));
        assert!(!eval(&*o, b"POSTX"));
        assert!(!eval(&*o, b"post"));
        assert!(eval_macro(&*op("streq", "%{tx.x}"), "v", b"v"));
        assert!(!eval_macro(&*op("streq", "%{tx.x}"), "v", b"w"));
    }
}
