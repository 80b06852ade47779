//! `@beginsWith`: the input starts with the argument (case-sensitive).

use super::{Arg, OpContext, Operator};

/// The `@beginsWith` operator (argument macro-expanded at evaluation).
#[derive(Debug)]
pub struct BeginsWith(Arg);

impl BeginsWith {
    /// Parses the argument's macros.
    pub fn new(arg: &str) -> BeginsWith {
        BeginsWith(Arg::new(arg))
    }
}

impl Operator for BeginsWith {
    fn evaluate(&self, ctx: &mut OpContext<'_>, input: &[u8]) -> bool {
        let arg = self.0.value(ctx);
        let arg: &[u8] = &arg;
        input.starts_with(arg)
    }
}

#[cfg(test)]
mod tests {
    use crate::operators::testutil::*;

    #[test]
    fn vectors() {
        let o = op("beginsWith", "GET");
        assert!(eval(&*o, b"GET /"));
        assert!(!eval(&*o, b"get /"));
        assert!(!eval(&*o, b"GE"));
        let o = op("beginsWith", "%{tx.x}/");
        assert!(eval_macro(&*o, "abc", b"abc/def"));
        assert!(!eval_macro(&*o, "abc", b"abd/def"));
    }
}
