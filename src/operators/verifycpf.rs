//! `@verifyCPF`: finds Brazilian CPF candidates with the argument regex and
//! matches when one has valid check digits (11 digits, not all equal).

use regex::bytes::Regex;

use super::rx::{compile, find_valid};
use super::{OpContext, Operator};

/// The `@verifyCPF` operator.
#[derive(Debug)]
pub struct VerifyCpf(Regex);

impl VerifyCpf {
    /// Compiles the candidate regex.
    pub fn new(arg: &str) -> Result<VerifyCpf, String> {
        Ok(VerifyCpf(
            compile(arg).map_err(|e| format!("@verifyCPF: {e}"))?,
        ))
    }
}

/// CPF check-digit validation over the digits of `s`.
pub fn valid_cpf(s: &[u8]) -> bool {
    let d: Vec<u32> = s
        .iter()
        .filter(|b| b.is_ascii_digit())
        .map(|b| u32::from(b - b'0'))
        .collect();
    if d.len() != 11 || d.iter().all(|&x| x == d[0]) {
        return false;
    }
    let check = |n: usize| {
        let sum: u32 = d[..n]
            .iter()
            .enumerate()
            .map(|(i, &x)| x * (n as u32 + 1 - i as u32))
            .sum();
        (sum * 10 % 11) % 10
    };
    check(9) == d[9] && check(10) == d[10]
}

impl Operator for VerifyCpf {
    fn evaluate(&self, ctx: &mut OpContext<'_>, input: &[u8]) -> bool {
        find_valid(&self.0, ctx, input, valid_cpf)
    }
}

#[cfg(test)]
mod tests {
    use super::valid_cpf;
    use crate::operators::testutil::*;

    #[test]
    fn vectors() {
        assert!(valid_cpf(b"529.982.247-25"));
        assert!(!valid_cpf(b"529.982.247-26"));
        assert!(!valid_cpf(b"111.111.111-11"));
        let o = op("verifyCPF", r"\d{3}\.?\d{3}\.?\d{3}-?\d{2}");
        assert!(eval(&*o, b"cpf=52998224725"));
        assert!(!eval(&*o, b"cpf=52998224724"));
    }
}
