//! `@verifySSN`: finds US social security number candidates with the
//! argument regex and matches when one is plausible (see [`valid_ssn`]).

use regex::bytes::Regex;

use super::rx::{compile, find_valid};
use super::{OpContext, Operator};

/// The `@verifySSN` operator.
#[derive(Debug)]
pub struct VerifySsn(Regex);

impl VerifySsn {
    /// Compiles the candidate regex.
    pub fn new(arg: &str) -> Result<VerifySsn, String> {
        Ok(VerifySsn(
            compile(arg).map_err(|e| format!("@verifySSN: {e}"))?,
        ))
    }
}

/// Basic SSN checks on the digits of `s`: nine digits; area not 000, 666 or
/// 9xx; group not 00; serial not 0000; not all one digit; not 123456789.
pub fn valid_ssn(s: &[u8]) -> bool {
    let d: Vec<u8> = s.iter().copied().filter(u8::is_ascii_digit).collect();
    if d.len() != 9 {
        return false;
    }
    let area = &d[..3];
    if area == b"000" || area == b"666" || area[0] == b'9' {
        return false;
    }
    if &d[3..5] == b"00" || &d[5..] == b"0000" {
        return false;
    }
    !(d.iter().all(|&x| x == d[0]) || d == b"123456789")
}

impl Operator for VerifySsn {
    fn evaluate(&self, ctx: &mut OpContext<'_>, input: &[u8]) -> bool {
        find_valid(&self.0, ctx, input, valid_ssn)
    }
}

#[cfg(test)]
mod tests {
    use super::valid_ssn;
    use crate::operators::testutil::*;

    #[test]
    fn vectors() {
        assert!(valid_ssn(b"219-09-9999"));
        assert!(!valid_ssn(b"000-12-3456"));
        assert!(!valid_ssn(b"666-12-3456"));
        assert!(!valid_ssn(b"912-12-3456"));
        assert!(!valid_ssn(b"219-00-9999"));
        assert!(!valid_ssn(b"219-09-0000"));
        assert!(!valid_ssn(b"123-45-6789"));
        let o = op("verifySSN", r"\d{3}-?\d{2}-?\d{4}");
        assert!(eval(&*o, b"ssn 219-09-9999"));
        assert!(!eval(&*o, b"ssn 000-09-9999"));
    }
}
