//! `@detectSQLi`: libinjection SQL injection detection. With `capture`, TX.0
//! is the libinjection fingerprint.

use libinjectionrs::{SqliFlags, SqliState};

use super::{OpContext, Operator};

/// The `@detectSQLi` operator.
#[derive(Debug)]
pub struct DetectSqli;

impl Operator for DetectSqli {
    fn evaluate(&self, ctx: &mut OpContext<'_>, input: &[u8]) -> bool {
        // What `libinjectionrs::detect_sqli` does, except that it fingerprints
        // the input once more after every verdict; only a match needs it.
        let mut state = SqliState::new(input, SqliFlags::FLAG_NONE);
        if !state.detect() {
            return false;
        }
        let fp = state.get_fingerprint();
        ctx.capture([fp.as_str().as_bytes()]);
        true
    }
}

#[cfg(test)]
mod tests {
    use crate::operators::testutil::*;

    #[test]
    fn vectors() {
        let o = op("detectSQLi", "");
        assert!(eval(&*o, b"1' OR '1'='1"));
        assert!(eval(&*o, b"1 UNION SELECT password FROM users--"));
        assert!(!eval(&*o, b"hello world"));
        assert!(!eval(&*o, b""));
        let (m, caps) = eval_capture(&*o, b"1' OR '1'='1");
        assert!(m);
        assert_eq!(caps.len(), 1);
        assert!(!caps[0].is_empty());
    }

    /// Same verdict and fingerprint as the crate's own entry point.
    #[test]
    fn agrees_with_detect_sqli() {
        let o = op("detectSQLi", "");
        let inputs: &[&[u8]] = &[
            b"1' OR '1'='1",
            b"1 UNION SELECT password FROM users--",
            b"\" OR 1=1 -- ",
            b"admin'--",
            b"1;DROP TABLE users",
            b"42",
            b"price_asc",
            b"8f14e45fceea167a5a36dedd4bea2543",
            b"Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
            b"https://shop.example.com/products?category=shoes",
            b"it's a \"quoted\" word",
            b"1 /*!50000union*/ select 1",
            b"",
        ];
        for input in inputs {
            let want = libinjectionrs::detect_sqli(input);
            let (m, caps) = eval_capture(&*o, input);
            assert_eq!(m, want.is_injection(), "{}", String::from_utf8_lossy(input));
            if m {
                let fp = want
                    .fingerprint
                    .as_ref()
                    .map(|f| f.as_str().as_bytes().to_vec());
                assert_eq!(Some(caps[0].clone()), fp);
            }
        }
    }
}
