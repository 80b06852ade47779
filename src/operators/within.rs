//! `@within`: the INPUT occurs in the argument (case-sensitive). An empty input
//! matches nothing.

use super::{Arg, OpContext, Operator};

/// The `@within` operator (argument macro-expanded at evaluation).
#[derive(Debug)]
pub struct Within(Arg);

impl Within {
    /// Parses the argument's macros.
    pub fn new(arg: &str) -> Within {
        Within(Arg::new(arg))
    }
}

impl Operator for Within {
    fn evaluate(&self, ctx: &mut OpContext<'_>, input: &[u8]) -> bool {
        let arg = self.0.value(ctx);
        let arg: &[u8] = &arg;
        !input.is_empty() && memchr::memmem::find(arg, input).is_some()
    }
}

#[cfg(test)]
mod tests {
    use crate::operators::testutil::*;

    #[test]
    fn vectors() {
        let o = op("within", "GET HEAD POST");
        assert!(eval(&*o, b"HEAD"));
        assert!(!eval(&*o, b"PUT"));
        assert!(!eval(&*o, b""));
        let o = op("within", "|%{tx.x}|");
        assert!(eval_macro(&*o, "a|b", b"|b|"));
        assert!(!eval_macro(&*o, "a|b", b"|c|"));
    }
}
