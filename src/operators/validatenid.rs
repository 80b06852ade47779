//! `@validateNid`: `@validateNid <country> <regex>`. Candidates found by the
//! regex are checked as national identifiers of the country; the operator
//! matches on the first valid one (captured as TX.0). Supported countries:
//! `cl` (Chilean RUT, modulo-11 check digit) and `us` (SSN plausibility).

use regex::bytes::Regex;

use super::rx::{compile, find_valid};
use super::verifyssn::valid_ssn;
use super::{OpContext, Operator};

#[derive(Debug, Clone, Copy)]
enum Country {
    Cl,
    Us,
}

/// The `@validateNid` operator.
#[derive(Debug)]
pub struct ValidateNid {
    country: Country,
    re: Regex,
}

impl ValidateNid {
    /// Parses `<country> <regex>`.
    pub fn new(arg: &str) -> Result<ValidateNid, String> {
        let arg = arg.trim();
        let (cc, pattern) = arg
            .split_once(char::is_whitespace)
            .ok_or_else(|| format!("@validateNid: expected '<country> <regex>', got {arg:?}"))?;
        let country = match cc.to_ascii_lowercase().as_str() {
            "cl" => Country::Cl,
            "us" => Country::Us,
            other => return Err(format!("@validateNid: country {other:?} is not supported")),
        };
        let re = compile(pattern.trim()).map_err(|e| format!("@validateNid: {e}"))?;
        Ok(ValidateNid { country, re })
    }
}

/// Chilean RUT: digits then a check digit (0-9 or K), separators ignored.
pub fn valid_rut(s: &[u8]) -> bool {
    let chars: Vec<u8> = s
        .iter()
        .copied()
        .filter(|b| b.is_ascii_digit() || b.eq_ignore_ascii_case(&b'k'))
        .map(|b| b.to_ascii_lowercase())
        .collect();
    let Some((&dv, body)) = chars.split_last() else {
        return false;
    };
    if body.len() < 7 || !body.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let sum: u32 = body
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &b)| u32::from(b - b'0') * (2 + (i as u32 % 6)))
        .sum();
    let expected = match 11 - (sum % 11) {
        11 => b'0',
        10 => b'k',
        n => b'0' + n as u8,
    };
    dv == expected
}

impl Operator for ValidateNid {
    fn evaluate(&self, ctx: &mut OpContext<'_>, input: &[u8]) -> bool {
        match self.country {
            Country::Cl => find_valid(&self.re, ctx, input, valid_rut),
            Country::Us => find_valid(&self.re, ctx, input, valid_ssn),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::valid_rut;
    use crate::operators::testutil::*;

    #[test]
    fn vectors() {
        assert!(valid_rut(b"12.345.678-5"));
        assert!(!valid_rut(b"12.345.678-4"));
        assert!(valid_rut(b"11111111-1"));
        let o = op("validateNid", r"cl \d{1,2}\.?\d{3}\.?\d{3}-?[\dkK]");
        assert!(eval(&*o, b"rut=12.345.678-5"));
        assert!(!eval(&*o, b"rut=12.345.678-4"));
        let o = op("validateNid", r"us \d{3}-\d{2}-\d{4}");
        assert!(eval(&*o, b"219-09-9999"));
        assert!(!eval(&*o, b"000-09-9999"));
        assert!(try_op("validateNid", "xx \\d+").is_err());
        assert!(try_op("validateNid", "cl").is_err());
    }
}
