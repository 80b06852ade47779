//! `@validateByteRange`: matches when ANY input byte lies outside all of the
//! listed values/ranges (`9,10,13,32-126`).

use super::{OpContext, Operator};

/// A 256-entry allow table.
#[derive(Debug)]
pub struct ValidateByteRange {
    allowed: [bool; 256],
}

impl ValidateByteRange {
    /// Parses a comma-separated list of bytes and `lo-hi` ranges.
    pub fn new(arg: &str) -> Result<ValidateByteRange, String> {
        let mut allowed = [false; 256];
        let num = |s: &str| {
            s.trim()
                .parse::<u8>()
                .map_err(|_| format!("@validateByteRange: invalid byte value {s:?} in {arg:?}"))
        };
        let mut any = false;
        for part in arg.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (lo, hi) = match part.split_once('-') {
                Some((a, b)) => (num(a)?, num(b)?),
                None => {
                    let v = num(part)?;
                    (v, v)
                }
            };
            if lo > hi {
                return Err(format!("@validateByteRange: invalid range {part:?}"));
            }
            for b in lo..=hi {
                allowed[usize::from(b)] = true;
            }
            any = true;
        }
        if !any {
            return Err("@validateByteRange: empty range list".into());
        }
        Ok(ValidateByteRange { allowed })
    }
}

impl Operator for ValidateByteRange {
    fn evaluate(&self, _ctx: &mut OpContext<'_>, input: &[u8]) -> bool {
        input.iter().any(|&b| !self.allowed[usize::from(b)])
    }
}

#[cfg(test)]
mod tests {
    use crate::operators::testutil::*;

    #[test]
    fn vectors() {
        let o = op("validateByteRange", "9,10,13,32-126");
        assert!(!eval(&*o, b"hello world\r\n"));
        assert!(eval(&*o, b"nul\x00"));
        assert!(eval(&*o, b"\x7f"));
        assert!(!eval(&*o, b""));
        let o = op("validateByteRange", "1-255");
        assert!(!eval(&*o, b"\xff\x01"));
        assert!(eval(&*o, b"a\x00"));
        assert!(try_op("validateByteRange", "1-300").is_err());
        assert!(try_op("validateByteRange", "20-10").is_err());
        assert!(try_op("validateByteRange", "x").is_err());
    }
}
