//! `@containsWord`: the argument occurs in the input as a whole word, i.e.
//! bounded on both sides by the string edge or a byte that is not an ASCII
//! letter, digit or `_`. Case-sensitive.

use super::{Arg, OpContext, Operator};

/// The `@containsWord` operator (argument macro-expanded at evaluation).
#[derive(Debug)]
pub struct ContainsWord(Arg);

impl ContainsWord {
    /// Parses the argument's macros.
    pub fn new(arg: &str) -> ContainsWord {
        ContainsWord(Arg::new(arg))
    }
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

impl Operator for ContainsWord {
    fn evaluate(&self, ctx: &mut OpContext<'_>, input: &[u8]) -> bool {
        let arg = self.0.value(ctx);
        let arg: &[u8] = &arg;
        if arg.is_empty() {
            return true;
        }
        memchr::memmem::find_iter(input, arg).any(|start| {
            let end = start + arg.len();
            let before_ok = start == 0 || input.get(start - 1).is_some_and(|&b| !is_word(b));
            let after_ok = input.get(end).is_none_or(|&b| !is_word(b));
            before_ok && after_ok
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::operators::testutil::*;

    #[test]
    fn vectors() {
        let o = op("containsWord", "select");
        assert!(eval(&*o, b"select"));
        assert!(eval(&*o, b"1 select 2"));
        assert!(eval(&*o, b"(select)"));
        assert!(!eval(&*o, b"selected"));
        assert!(!eval(&*o, b"_select"));
        // A later occurrence can be a word even when the first is not.
        assert!(eval(&*o, b"selects select"));
        assert!(!eval(&*o, b"SELECT"));
        assert!(eval_macro(&*op("containsWord", "%{tx.x}"), "ab", b"x ab y"));
    }
}
