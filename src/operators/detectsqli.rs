//! `@detectSQLi`: libinjection SQL injection detection. With `capture`, TX.0
//! is the libinjection fingerprint.

use libinjectionrs::{SqliFlags, SqliState};

use super::{OpContext, Operator};

/// The `@detectSQLi` operator.
#[derive(Debug)]
pub struct DetectSqli;

/// Whether libinjectionrs's SQLi check is bound to answer "no" for `input`
/// (so it need not run: about 5,000 instructions a call, 15,000 and more on
/// longer values, and CRS calls it on every argument, cookie and name): the
/// empty string, or letters, digits and `_` only. That covers one word (a
/// letter or `_` first), a run of digits, and digits followed by a word, as
/// hexadecimal session ids and hashes often are (`8f14e45f...`).
///
/// Why, from the crate's code: without a quote the input is read as-is
/// only, and without `#`, `-` or `/` there is no comment, so no MySQL
/// reparse. The tokenizer's string prefixes (`b e n q u x`, either case)
/// fall back to a word unless a quote (or `&'`) follows, and a word runs to
/// the first delimiter (space, operator, bracket, quote, `.` or `` ` ``
/// split), of which there is none. So a letter or `_` first makes one
/// token, a word. A digit first makes a number (with its `0x`/`0b` prefix,
/// exponent or Oracle suffix when there is one), or a bareword for `0x`,
/// `0b` or an exponent without digits; a binary number ends at a digit
/// past 1, where another number starts (`0b12union`: three tokens); then
/// at most one word.
///
/// One token makes a one-character fingerprint (or none, when folding
/// drops a lone SQL type or unary operator), and the only one-character
/// fingerprint on the blacklist is `X`, the evil token, which the keyword
/// table never yields. Two make `1` or `n` and the word's type: the crate
/// blacklists none of those pairs but `1U` (and those with a comment,
/// which needs `#`, `-` or `/`), and it lets `1U` pass when the input is
/// two tokens (this version's rule for short inputs: a new version needs
/// this reading again, hence the pin in Cargo.toml). Three are `1` or `n`
/// twice and the word's type, and no blacklisted fingerprint starts so.
/// Trying numbers of every form before every keyword of the table (and
/// before barewords) tries every such sequence; `lone_tokens_are_never_sqli`
/// and `a_number_and_a_word_are_never_sqli` check this against the crate.
fn plain(input: &[u8]) -> bool {
    input
        .iter()
        .all(|b| b.is_ascii_alphanumeric() || *b == b'_')
}

impl Operator for DetectSqli {
    fn evaluate(&self, ctx: &mut OpContext<'_>, input: &[u8]) -> bool {
        if plain(input) {
            return false;
        }
        // What `libinjectionrs::detect_sqli` does, without fingerprinting the
        // input once more after the verdict (`get_fingerprint` does, about a
        // quarter of a match's cost): the state keeps the fingerprint of the
        // pass that matched, as C libinjection hands ModSecurity its own.
        let mut state = SqliState::new(input, SqliFlags::FLAG_NONE);
        if !state.detect() {
            return false;
        }
        if ctx.capturing() {
            ctx.capture([state.fingerprint_string().as_bytes()]);
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::plain;
    use crate::operators::testutil::*;
    use crate::test_rng::Rng;

    fn crate_says_sqli(input: &[u8]) -> bool {
        libinjectionrs::SqliState::new(input, libinjectionrs::SqliFlags::FLAG_NONE).detect()
    }

    /// Every input the shortcut passes, the crate passes too: every keyword
    /// of its table (as written, lowercased, with a digit or `_` added), and
    /// random sequences of keywords, words and numbers. The sequences'
    /// separators include bytes the shortcut refuses, and the crate flags
    /// many of those inputs: a shortcut that took them would fail here.
    #[test]
    fn lone_tokens_are_never_sqli() {
        let (mut checked, mut flagged) = (0, 0);
        let mut check = |input: &[u8]| {
            let sqli = crate_says_sqli(input);
            if plain(input) {
                checked += 1;
                assert!(!sqli, "{}", String::from_utf8_lossy(input));
            } else if sqli {
                flagged += 1;
            }
        };
        // The table holds SQL words and, typed 'F', the blacklisted fingerprints.
        let keywords: Vec<&str> = libinjectionrs::sqli::sqli_data::SQL_KEYWORDS
            .iter()
            .filter(|k| k.token_type != b'F')
            .map(|k| k.word)
            .collect();
        for k in &keywords {
            let w = k.as_bytes();
            for v in [w.to_vec(), w.to_ascii_lowercase()] {
                check(&v);
                check(&[v.as_slice(), b"1"].concat());
                check(&[b"_", v.as_slice()].concat());
            }
        }
        let mut rng = Rng(0x5eed);
        let letters: Vec<u8> = (b'a'..=b'z').chain(b'A'..=b'Z').chain([b'_']).collect();
        let word: Vec<u8> = letters.iter().copied().chain(b'0'..=b'9').collect();
        let seps: [&[u8]; 10] = [b"", b"", b"", b"_", b"1", b" ", b" ", b"'", b"(", b"-- "];
        for _ in 0..30_000 {
            let mut v = Vec::new();
            for t in 0..1 + rng.below(4) {
                if t > 0 {
                    let sep = *rng.pick(&seps);
                    v.extend_from_slice(sep);
                }
                match rng.below(3) {
                    0 => v.extend_from_slice(rng.pick(&keywords).as_bytes()),
                    1 => {
                        v.push(*rng.pick(&letters));
                        v.extend((0..rng.below(12)).map(|_| rng.pick(&word)));
                    }
                    _ => v.extend((0..1 + rng.below(6)).map(|_| b'0' + rng.below(10) as u8)),
                }
            }
            check(&v);
        }
        assert!(checked > 10_000 && flagged > 500, "{checked} {flagged}");
    }

    /// The fingerprint kept from the matching pass is the one the crate's
    /// entry point computes again, over inputs it flags in every quote
    /// context and dialect (random keyword sequences with quotes, comments
    /// and MySQL's `#`).
    #[test]
    fn kept_fingerprint_is_the_recomputed_one() {
        let o = op("detectSQLi", "");
        let keywords: Vec<&str> = libinjectionrs::sqli::sqli_data::SQL_KEYWORDS
            .iter()
            .filter(|k| k.token_type != b'F')
            .map(|k| k.word)
            .collect();
        let seps: [&[u8]; 12] = [
            b" ", b" ", b"'", b"\"", b"(", b")", b"-- ", b"#", b"/*", b"*/", b"=", b",",
        ];
        let mut rng = Rng(0xf1e1d);
        let mut flagged = 0;
        for _ in 0..20_000 {
            let mut v = Vec::new();
            for _ in 0..1 + rng.below(6) {
                v.extend_from_slice(rng.pick::<&[u8]>(&seps));
                match rng.below(3) {
                    0 => v.extend_from_slice(rng.pick(&keywords).as_bytes()),
                    1 => v.extend((0..1 + rng.below(4)).map(|_| b'0' + rng.below(10) as u8)),
                    _ => v.extend_from_slice(b"x"),
                }
            }
            let want = libinjectionrs::detect_sqli(&v);
            let (m, caps) = eval_capture(&*o, &v);
            assert_eq!(m, want.is_injection(), "{}", String::from_utf8_lossy(&v));
            if m {
                flagged += 1;
                let fp = want.fingerprint.map(|f| f.as_str().as_bytes().to_vec());
                assert_eq!(Some(caps[0].clone()), fp, "{}", String::from_utf8_lossy(&v));
            }
        }
        assert!(flagged > 400, "{flagged}");
    }

    /// A number of every form the tokenizer reads (digits, `0x`/`0b`
    /// prefixes with and without their digits, exponents with and without
    /// digits, the Oracle suffixes `d` and `f`) before every word of the
    /// crate's keyword table (as written and lowercased, with a digit or
    /// `_` added) and before barewords, short and past the table's 32-byte
    /// lookup limit; then random strings of letters, digits and `_` led by
    /// a digit. The crate flags none of them.
    #[test]
    fn a_number_and_a_word_are_never_sqli() {
        // Binary numbers end at a digit past 1, and another number starts
        // there (`0b12`, `0b2`: two tokens before the word).
        let numbers = [
            "0", "1", "8", "12", "007", "0x", "0X", "0x1f", "0XAB", "0b", "0B", "0b1", "0b10",
            "1e", "1E", "1e5", "1E10", "1d", "1D", "1f", "1F", "1u", "1U", "9_", "0b12", "0b2",
            "0b2e", "0b12e", "0b1e", "0x1e",
        ];
        let mut words: Vec<String> = libinjectionrs::sqli::sqli_data::SQL_KEYWORDS
            .iter()
            .map(|k| k.word.to_string())
            .filter(|w| plain(w.as_bytes()))
            .collect();
        words.extend(
            ["abc", "f14e45fceea167a5a36dedd4bea2543", "_x", "x"]
                .iter()
                .map(|w| w.to_string()),
        );
        words.push("f".repeat(40));
        let mut checked = 0;
        for n in numbers {
            for w in &words {
                for w in [w.clone(), w.to_ascii_lowercase()] {
                    for tail in ["", "1", "_"] {
                        let v = format!("{n}{w}{tail}");
                        assert!(plain(v.as_bytes()), "{v}");
                        assert!(!crate_says_sqli(v.as_bytes()), "{v}");
                        checked += 1;
                    }
                }
            }
        }
        let mut rng = Rng(0xd161);
        let alphabet: Vec<u8> = (b'a'..=b'z')
            .chain(b'A'..=b'Z')
            .chain(b'0'..=b'9')
            .chain([b'_'])
            .collect();
        for _ in 0..30_000 {
            let mut v = vec![b'0' + rng.below(10) as u8];
            v.extend((0..rng.below(40)).map(|_| *rng.pick(&alphabet)));
            assert!(!crate_says_sqli(&v), "{}", String::from_utf8_lossy(&v));
            checked += 1;
        }
        assert!(checked > 60_000, "{checked}");
    }

    /// What the shortcut leaves to the crate: a delimiter, a quote or a
    /// byte past ASCII, after which a third token is possible.
    #[test]
    fn more_than_one_token_goes_to_libinjection() {
        for input in [
            &b"1 union"[..],
            b"1.5",
            b"0x1f;",
            b"a b",
            b"a.b",
            b"a'",
            b"x'41'",
            b"a-b",
            b"\xc3\xa9",
        ] {
            assert!(!plain(input), "{}", String::from_utf8_lossy(input));
        }
        // Words with a space between are the crate's to judge, and it flags some.
        assert!(crate_says_sqli(b"1 union select 1"));
        assert!(eval(&*op("detectSQLi", ""), b"1 union select 1"));
    }

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
