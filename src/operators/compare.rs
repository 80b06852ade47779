//! `@eq`, `@ge`, `@gt`, `@le`, `@lt`: integer comparison of the input with the
//! (macro-expanded) argument. Both sides are read like C `atoi`, as
//! ModSecurity does: optional leading whitespace and sign, then digits; no
//! digits gives 0, and values saturate instead of overflowing.

use std::cmp::Ordering;

use super::{Arg, OpContext, Operator};

/// Which comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `@eq`
    Eq,
    /// `@ge`
    Ge,
    /// `@gt`
    Gt,
    /// `@le`
    Le,
    /// `@lt`
    Lt,
}

/// A numeric comparison operator.
#[derive(Debug)]
pub struct Compare {
    kind: Kind,
    arg: Arg,
    /// The argument's number when it has no macros (CRS's paranoia-level
    /// gates compare with constants on every request), read once here.
    constant: Option<i64>,
}

impl Compare {
    /// `name` is the lower-cased operator name.
    pub fn new(name: &str, arg: &str) -> Result<Compare, String> {
        let kind = match name {
            "eq" => Kind::Eq,
            "ge" => Kind::Ge,
            "gt" => Kind::Gt,
            "le" => Kind::Le,
            "lt" => Kind::Lt,
            _ => return Err(format!("unknown operator @{name}")),
        };
        let arg = Arg::new(arg);
        let constant = arg.constant().map(parse_int);
        Ok(Compare {
            kind,
            arg,
            constant,
        })
    }
}

/// `atoi`-style parse.
pub fn parse_int(s: &[u8]) -> i64 {
    let mut i = 0;
    while s.get(i).is_some_and(|b| b.is_ascii_whitespace()) {
        i += 1;
    }
    let neg = match s.get(i) {
        Some(b'-') => {
            i += 1;
            true
        }
        Some(b'+') => {
            i += 1;
            false
        }
        _ => false,
    };
    let mut v: i64 = 0;
    while let Some(d) = s.get(i).filter(|b| b.is_ascii_digit()) {
        let d = i64::from(d - b'0');
        v = if neg {
            v.saturating_mul(10).saturating_sub(d)
        } else {
            v.saturating_mul(10).saturating_add(d)
        };
        i += 1;
    }
    v
}

/// A comparison with a constant (CRS's paranoia-level gates and score
/// checks): plain data, so the rule loop can run it without the operator
/// interface (see `rules::plan::LinkPlan::tx_compare`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Constant {
    kind: Kind,
    value: i64,
}

impl Constant {
    /// Whether `input`, read as a number, compares so with the constant.
    #[inline]
    pub fn matches(self, input: &[u8]) -> bool {
        compare(self.kind, parse_int(input), self.value)
    }
}

fn compare(kind: Kind, got: i64, want: i64) -> bool {
    let ord = got.cmp(&want);
    match kind {
        Kind::Eq => ord == Ordering::Equal,
        Kind::Ge => ord != Ordering::Less,
        Kind::Gt => ord == Ordering::Greater,
        Kind::Le => ord != Ordering::Greater,
        Kind::Lt => ord == Ordering::Less,
    }
}

impl Operator for Compare {
    fn evaluate(&self, ctx: &mut OpContext<'_>, input: &[u8]) -> bool {
        let want = match self.constant {
            Some(n) => n,
            None => parse_int(&self.arg.value(ctx)),
        };
        compare(self.kind, parse_int(input), want)
    }

    fn constant_comparison(&self) -> Option<Constant> {
        self.constant.map(|value| Constant {
            kind: self.kind,
            value,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::parse_int;
    use crate::operators::testutil::*;

    /// The comparison handed to the rule loop answers as the operator
    /// does, for every kind, on numbers around the constant and on text
    /// that is not one; with a macro in the argument there is none.
    #[test]
    fn constant_comparison_answers_as_evaluate() {
        let inputs: [&[u8]; 9] = [b"0", b"1", b"2", b"3", b"-2", b" 2x", b"", b"abc", b"+2"];
        for kind in ["eq", "ge", "gt", "le", "lt"] {
            for arg in ["2", "-2", "0", " 2abc"] {
                let o = op(kind, arg);
                let c = o.constant_comparison().expect("a constant");
                for input in inputs {
                    assert_eq!(
                        c.matches(input),
                        eval(&*o, input),
                        "@{kind} {arg} on {input:?}"
                    );
                }
            }
            assert!(op(kind, "%{tx.x}").constant_comparison().is_none());
        }
        assert!(op("streq", "2").constant_comparison().is_none());
    }

    #[test]
    fn parsing() {
        assert_eq!(parse_int(b"  42abc"), 42);
        assert_eq!(parse_int(b"-7"), -7);
        assert_eq!(parse_int(b"+3"), 3);
        assert_eq!(parse_int(b"abc"), 0);
        assert_eq!(parse_int(b""), 0);
        assert_eq!(parse_int(b"99999999999999999999999"), i64::MAX);
    }

    #[test]
    fn vectors() {
        assert!(eval(&*op("eq", "5"), b"5"));
        assert!(!eval(&*op("eq", "5"), b"6"));
        assert!(eval(&*op("eq", "0"), b"x"));
        assert!(eval(&*op("ge", "5"), b"5"));
        assert!(!eval(&*op("ge", "5"), b"4"));
        assert!(eval(&*op("gt", "5"), b"6"));
        assert!(!eval(&*op("gt", "5"), b"5"));
        assert!(eval(&*op("le", "5"), b"5"));
        assert!(!eval(&*op("le", "5"), b"6"));
        assert!(eval(&*op("lt", "5"), b"-1"));
        assert!(!eval(&*op("lt", "5"), b"5"));
        assert!(eval_macro(&*op("ge", "%{tx.x}"), "3", b"4"));
        assert!(!eval_macro(&*op("ge", "%{tx.x}"), "5", b"4"));
    }
}
