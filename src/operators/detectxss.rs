//! `@detectXSS`: libinjection cross-site scripting detection.

use super::{OpContext, Operator};

/// The `@detectXSS` operator.
#[derive(Debug)]
pub struct DetectXss;

/// Whether libinjectionrs's XSS check is bound to answer "no" for `input`:
/// it holds neither `<` nor `=` (most values: names, words, text, user
/// agents, a 16 KiB comment), so that it need not run (five HTML parses of
/// the input, about 170 instructions a byte on plain text).
///
/// Why, from the crate's code (`xss/detector.rs`, `xss/html5.rs`): it
/// reports a doctype, a tag name or a comment, all of which only the state
/// after `<` leads to, or an attribute value that directly follows a
/// dangerous attribute name. Attribute values come from the value states,
/// which only `=` leads to, except for the first token of the three quoted
/// contexts, which no name precedes. `neither_lt_nor_eq_is_never_xss`
/// checks this against the crate; a new version needs this reading again
/// (hence the pin in Cargo.toml).
fn plain(input: &[u8]) -> bool {
    memchr::memchr2(b'<', b'=', input).is_none()
}

impl Operator for DetectXss {
    fn evaluate(&self, _ctx: &mut OpContext<'_>, input: &[u8]) -> bool {
        !plain(input) && libinjectionrs::detect_xss(input).is_injection()
    }
}

#[cfg(test)]
mod tests {
    use super::plain;
    use crate::operators::testutil::*;
    use crate::test_rng::Rng;

    /// Every input the shortcut passes, the crate passes too: dangerous tag,
    /// attribute and URL words joined by every kind of separator, and random
    /// strings of every byte but `<` and `=` (quotes, `>`, `/`, white space,
    /// bytes past 127). With `<` or `=` the crate flags many: a shortcut
    /// that took them would fail here.
    #[test]
    fn neither_lt_nor_eq_is_never_xss() {
        let words = [
            "script",
            "onerror",
            "onload",
            "onmouseover",
            "style",
            "javascript:alert(1)",
            "vbscript:",
            "data:text/html",
            "href",
            "src",
            "xmlns",
            "formaction",
            "iframe",
            "svg",
            "img",
            "object",
            "embed",
            "applet",
            "base",
            "import",
            "entity",
            "!doctype",
            "!--",
            "?xml",
            "[if",
            "alert",
            "ONERROR",
            "JaVaScRiPt",
            "x",
            "1",
            "!",
            "?",
            ":",
            "(1)",
        ];
        let (mut checked, mut flagged) = (0, 0);
        let mut check = |input: &[u8]| {
            let xss = libinjectionrs::detect_xss(input).is_injection();
            if plain(input) {
                checked += 1;
                assert!(!xss, "{}", String::from_utf8_lossy(input));
            } else if xss {
                flagged += 1;
            }
        };
        let seps = [
            "", ".", "-", "_", " ", "\t", "\n", "'", "`", "\"", ">", "/", "/>", "' ", "\" ", "` ",
            "=", "<", "</", "<!", " =", "='", "=\"",
        ];
        for a in words {
            for b in words {
                for sep in seps {
                    check(format!("{a}{sep}{b}").as_bytes());
                    check(format!("{sep}{a}{sep}{b}").as_bytes());
                    check(format!("{a}{sep}{b}{sep}").as_bytes());
                }
            }
        }
        let mut rng = Rng(0x5eed);
        let all: Vec<u8> = (0..=255u8).filter(|b| !matches!(b, b'<' | b'=')).collect();
        let markup: Vec<u8> = b"aons \t\n'\"`>/!?-x:".to_vec();
        for round in 0..40_000 {
            let len = 1 + rng.below(40);
            let v: Vec<u8> = match round % 3 {
                0 => (0..len).map(|_| *rng.pick(&all)).collect(),
                1 => (0..len).map(|_| *rng.pick(&markup)).collect(),
                // Words and the bytes between them.
                _ => (0..1 + rng.below(4))
                    .flat_map(|_| {
                        let mut w = rng.pick(&words).as_bytes().to_vec();
                        w.push(*rng.pick(&markup));
                        w
                    })
                    .collect(),
            };
            check(&v);
        }
        assert!(checked > 80_000 && flagged > 2_000, "{checked} {flagged}");
    }

    /// With `<` or `=` the crate judges: these it flags.
    #[test]
    fn markup_goes_to_libinjection() {
        let o = op("detectXSS", "");
        for input in [
            &b"onerror=alert(1)"[..],
            b"x onload=y",
            b"<script",
            b"' onmouseover=alert(1) '",
            b"<!doctype html>",
        ] {
            assert!(!plain(input));
            assert!(eval(&*o, input), "{}", String::from_utf8_lossy(input));
        }
    }

    #[test]
    fn vectors() {
        let o = op("detectXSS", "");
        assert!(eval(&*o, b"<script>alert(1)</script>"));
        assert!(eval(&*o, b"<img src=x onerror=alert(1)>"));
        assert!(!eval(&*o, b"hello world"));
        assert!(!eval(&*o, b"a < b and c > d"));
    }
}
