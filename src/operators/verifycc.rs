//! `@verifyCC`: finds credit card number candidates with the argument regex
//! and matches when one passes the Luhn check (13 to 19 digits; separators
//! such as spaces and dashes are ignored).

use regex::bytes::Regex;

use super::rx::{compile, find_valid};
use super::{OpContext, Operator};

/// The `@verifyCC` operator.
#[derive(Debug)]
pub struct VerifyCc(Regex);

impl VerifyCc {
    /// Compiles the candidate regex.
    pub fn new(arg: &str) -> Result<VerifyCc, String> {
        Ok(VerifyCc(
            compile(arg).map_err(|e| format!("@verifyCC: {e}"))?,
        ))
    }
}

/// Luhn checksum over the digits of `s`.
pub fn luhn(s: &[u8]) -> bool {
    let digits: Vec<u32> = s
        .iter()
        .filter(|b| b.is_ascii_digit())
        .map(|b| u32::from(b - b'0'))
        .collect();
    if !(13..=19).contains(&digits.len()) {
        return false;
    }
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            if i % 2 == 1 {
                let x = d * 2;
                if x > 9 {
                    x - 9
                } else {
                    x
                }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

impl Operator for VerifyCc {
    fn evaluate(&self, ctx: &mut OpContext<'_>, input: &[u8]) -> bool {
        find_valid(&self.0, ctx, input, luhn)
    }
}

#[cfg(test)]
mod tests {
    use super::luhn;
    use crate::operators::testutil::*;

    #[test]
    fn vectors() {
        assert!(luhn(b"4111111111111111"));
        assert!(luhn(b"4111-1111-1111-1111"));
        assert!(!luhn(b"4111111111111112"));
        assert!(!luhn(b"0"));
        let o = op("verifyCC", r"\d{4}[- ]?\d{4}[- ]?\d{4}[- ]?\d{4}");
        let (m, caps) = eval_capture(&*o, b"card: 4111 1111 1111 1111 ok");
        assert!(m);
        assert_eq!(caps, vec![b"4111 1111 1111 1111".to_vec()]);
        assert!(!eval(&*o, b"card: 4111 1111 1111 1112"));
        // A first invalid candidate does not hide a later valid one.
        assert!(eval(&*o, b"1234567812345678 4111111111111111"));
        assert!(try_op("verifyCC", "(").is_err());
    }
}
