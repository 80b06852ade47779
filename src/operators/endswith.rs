//! `@endsWith`: the input ends with the argument (case-sensitive).

use super::{Arg, OpContext, Operator};

/// The `@endsWith` operator (argument macro-expanded at evaluation).
#[derive(Debug)]
pub struct EndsWith(Arg);

impl EndsWith {
    /// Parses the argument's macros.
    pub fn new(arg: &str) -> EndsWith {
        EndsWith(Arg::new(arg))
    }
}

impl Operator for EndsWith {
    fn evaluate(&self, ctx: &mut OpContext<'_>, input: &[u8]) -> bool {
        let arg = self.0.value(ctx);
        let arg: &[u8] = &arg;
        input.ends_with(arg)
    }
}

#[cfg(test)]
mod tests {
    use crate::operators::testutil::*;

    #[test]
    fn vectors() {
        let o = op("endsWith", ".php");
        assert!(eval(&*o, b"/a/index.php"));
        assert!(!eval(&*o, b"/a/index.PHP"));
        assert!(!eval(&*o, b"/a.php/x"));
        assert!(eval_macro(&*op("endsWith", "%{tx.x}"), "z", b"xyz"));
    }
}
