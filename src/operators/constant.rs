//! `@unconditionalMatch` (always true) and `@noMatch` (always false).

use super::{OpContext, Operator};

/// An operator with a fixed result.
#[derive(Debug)]
pub struct Constant(pub bool);

impl Operator for Constant {
    fn evaluate(&self, _ctx: &mut OpContext<'_>, _input: &[u8]) -> bool {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use crate::operators::testutil::*;

    #[test]
    fn vectors() {
        assert!(eval(&*op("unconditionalMatch", ""), b""));
        assert!(eval(&*op("unconditionalMatch", ""), b"x"));
        assert!(!eval(&*op("noMatch", ""), b"x"));
    }
}
