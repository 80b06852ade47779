//! `@detectXSS`: libinjection cross-site scripting detection.

use super::{OpContext, Operator};

/// The `@detectXSS` operator.
#[derive(Debug)]
pub struct DetectXss;

/// Whether libinjectionrs's XSS check is bound to answer "no" for `input`:
/// every byte a letter, digit, `_`, `.` or `-` (most names and many
/// values), so that it need not run (five HTML parses of the input).
///
/// Why, from the crate's code: it reports a doctype, a tag or comment
/// (each needs `<`), or an attribute value after a dangerous attribute name
/// (a value follows a name only after `=`). Without `<`, `>`, `=`, `/`,
/// quotes, backticks and white space, each of its five parses yields one
/// token at most: text, a lone attribute name, or an attribute value with
/// no name before it. `plain_words_are_never_xss` checks this against the
/// crate.
fn plain(input: &[u8]) -> bool {
    input
        .iter()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
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
    /// attribute and URL words joined by the allowed bytes, and random
    /// strings of them. Joined by bytes the shortcut refuses, the crate
    /// flags many: a shortcut that took them would fail here.
    #[test]
    fn plain_words_are_never_xss() {
        let words = [
            "script",
            "onerror",
            "onload",
            "onmouseover",
            "style",
            "javascript",
            "vbscript",
            "data",
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
            "doctype",
            "xml",
            "if",
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
        for a in words {
            for b in words {
                for sep in ["", ".", "-", "_", "=", " ", "<", "</", "'", "`", "\"", ">"] {
                    check(format!("{a}{sep}{b}").as_bytes());
                    check(format!("{sep}{a}{sep}{b}").as_bytes());
                }
            }
        }
        let mut rng = Rng(0x5eed);
        let bytes: Vec<u8> = (b'a'..=b'z')
            .chain(b'A'..=b'Z')
            .chain(b'0'..=b'9')
            .chain(*b"_.-")
            .collect();
        for _ in 0..20_000 {
            let len = 1 + rng.below(40);
            let v: Vec<u8> = (0..len).map(|_| *rng.pick(&bytes)).collect();
            check(&v);
        }
        assert!(checked > 25_000 && flagged > 500, "{checked} {flagged}");
    }

    /// One byte more and the crate judges: these it flags.
    #[test]
    fn markup_goes_to_libinjection() {
        let o = op("detectXSS", "");
        for input in [&b"onerror=alert(1)"[..], b"x onload=y", b"<script"] {
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
