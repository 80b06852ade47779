//! `t:htmlEntityDecode`: decodes HTML character references.
//!
//! Follows Coraza v3, which uses the HTML5 rules (Go's
//! `html.UnescapeString`):
//! - `&#DDD;` and `&#xHH;` (`X` too), the `;` optional; any number of digits.
//!   The code point is written as UTF-8. 0x80-0x9F are read as
//!   Windows-1252 (`&#x93;` is `“`); NUL, surrogates and values past
//!   U+10FFFF become U+FFFD. `&#;` and `&#x;` stay as they are.
//! - Named references from the full HTML5 list (`&colon;`, `&Tab;`,
//!   `&lt;`, ...). The legacy names also match without `;`, and as a prefix
//!   of a longer word (`&ampfoo` is `&foo`, `&notit` is `¬it`).
//!
//! ModSecurity instead knows only `quot`, `amp`, `lt`, `gt` and `nbsp`, and
//! writes a numeric reference as the low byte of its value. Coraza's rules
//! decode strictly more (`javascript&colon;`), which is why we took them.

use std::borrow::Cow;

use super::bytes::push_utf8;
use super::html_entities::{self, LONGEST_WITHOUT_SEMICOLON};
use super::triggers::{ByteSet, Triggers};

/// What Windows-1252 puts at 0x80..=0x9F, which HTML uses for those numeric
/// references.
const WINDOWS_1252: [u32; 32] = [
    0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, //
    0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F, //
    0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, //
    0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
];

/// Bytes without which the value comes back unchanged (see `super::triggers`).
///
/// Every reference starts with `&`; `amp;` or `#x41;` alone is text.
pub(super) const TRIGGERS: Triggers = Some(ByteSet::of_list(b"&"));

/// Decodes HTML character references in `input`.
pub fn html_entity_decode(input: &[u8]) -> Cow<'_, [u8]> {
    let Some(first) = memchr::memchr(b'&', input) else {
        return Cow::Borrowed(input);
    };
    let mut out = Vec::with_capacity(input.len());
    out.extend_from_slice(&input[..first]);
    let mut changed = false;
    let mut i = first;
    while i < input.len() {
        let rest = &input[i..];
        if rest.first() != Some(&b'&') {
            let run = memchr::memchr(b'&', rest).unwrap_or(rest.len());
            out.extend_from_slice(&rest[..run]);
            i += run;
            continue;
        }
        match reference(rest) {
            Some((text, used)) => {
                text.push_to(&mut out);
                changed = true;
                i += used;
            }
            None => {
                out.push(b'&');
                i += 1;
            }
        }
    }
    if changed {
        super::bytes::owned_if_changed(input, out)
    } else {
        Cow::Borrowed(input)
    }
}

/// What a reference decodes to.
enum Decoded {
    CodePoint(u32),
    Text(&'static str),
}

impl Decoded {
    fn push_to(&self, out: &mut Vec<u8>) {
        match self {
            Decoded::CodePoint(cp) => push_utf8(out, *cp),
            Decoded::Text(t) => out.extend_from_slice(t.as_bytes()),
        }
    }
}

/// Parses the reference at the start of `s` (which begins with `&`):
/// what it decodes to and how many bytes it spans.
fn reference(s: &[u8]) -> Option<(Decoded, usize)> {
    if s.get(1) == Some(&b'#') {
        return numeric(s);
    }
    // The name: letters and digits, plus a closing ';' if there is one.
    let mut end = 1;
    while s.get(end).is_some_and(u8::is_ascii_alphanumeric) {
        end += 1;
    }
    if s.get(end) == Some(&b';') {
        end += 1;
    }
    let name = s.get(1..end).unwrap_or_default();
    if name.is_empty() {
        return None;
    }
    if let Some(text) = html_entities::lookup(name) {
        return Some((Decoded::Text(text), end));
    }
    // The longest legacy name (accepted without ';') that prefixes it.
    let max = (name.len() - 1).min(LONGEST_WITHOUT_SEMICOLON);
    html_entities::longest_legacy_prefix(name, 2, max)
        .map(|(prefix, text)| (Decoded::Text(text), prefix.len() + 1))
}

/// `&#DDD;` or `&#xHHH;` at the start of `s`.
fn numeric(s: &[u8]) -> Option<(Decoded, usize)> {
    let (radix, mut i) = match s.get(2) {
        Some(b'x' | b'X') => (16, 3),
        Some(_) => (10, 2),
        None => return None,
    };
    let digits_start = i;
    let mut value: u32 = 0;
    while let Some(d) = s.get(i).and_then(|&c| char::from(c).to_digit(radix)) {
        // Stop growing once out of range: the result is U+FFFD anyway.
        if value <= 0x10FFFF {
            value = value * radix + d;
        }
        i += 1;
    }
    if i == digits_start {
        return None;
    }
    if s.get(i) == Some(&b';') {
        i += 1;
    }
    let cp = match value {
        0x80..=0x9F => WINDOWS_1252[(value - 0x80) as usize],
        0 | 0xD800..=0xDFFF => 0xFFFD,
        v if v > 0x10FFFF => 0xFFFD,
        v => v,
    };
    Some((Decoded::CodePoint(cp), i))
}

#[cfg(test)]
mod tests {
    use super::super::testing::{check, never_panics};
    use super::*;

    #[test]
    fn vectors() {
        check(
            "htmlEntityDecode",
            html_entity_decode,
            &[
                (b"", b""),
                (b"TestCase", b"TestCase"),
                (b"Test\0Case", b"Test\0Case"),
                // Numeric, with and without ';'.
                (b"&#x41;&#x42&#67;&#68", b"ABCD"),
                (b"&#X3c;script&#x3E;", b"<script>"),
                (b"&#0000060;", b"<"),
                (b"&#7;&#x7;", b"\x07\x07"),
                (b"&#xe9;", "é".as_bytes()),
                (b"&#233;", "é".as_bytes()),
                (b"&#x1F600;", "😀".as_bytes()),
                (b"&#x93;quoted&#x94;", "“quoted”".as_bytes()),
                (b"&#128;", "€".as_bytes()),
                (
                    b"&#0;&#xD800;&#x110000;",
                    "\u{FFFD}\u{FFFD}\u{FFFD}".as_bytes(),
                ),
                (b"&#99999999999999999999;", "\u{FFFD}".as_bytes()),
                (b"&#x41x", b"Ax"),
                // Not references.
                (b"&#;&#x;&#xg;&#", b"&#;&#x;&#xg;&#"),
                (b"&", b"&"),
                (b"a & b", b"a & b"),
                (b"&&amp;", b"&&"),
                (b"&;", b"&;"),
                (b"&unknown;", b"&unknown;"),
                (b"&colon", b"&colon"),
                // Named.
                (b"&quot;&amp;&lt;&gt;&nbsp;", "\"&<>\u{a0}".as_bytes()),
                (b"&quot&amp&lt&gt&nbsp", "\"&<>\u{a0}".as_bytes()),
                (b"&QUOT;&AMP;&LT;&GT;", b"\"&<>"),
                (
                    b"javascript&colon;alert&lpar;1&rpar;",
                    b"javascript:alert(1)",
                ),
                (b"&Tab;&NewLine;", b"\t\n"),
                (b"&ampfoo", b"&foo"),
                (b"&ltscript", b"<script"),
                (b"&notit;", "¬it;".as_bytes()),
                (b"&nvlt;", "<\u{20D2}".as_bytes()),
                (b"&eacute;t&eacute", "été".as_bytes()),
                // Bytes around it stay bytes.
                (b"\xff&lt;\xc3", b"\xff<\xc3"),
                (b"&lt\0", b"<\0"),
            ],
        );
        never_panics(html_entity_decode);
    }

    #[test]
    fn triggers_hold_on_structured_inputs() {
        super::super::testing::unchanged_without_triggers(
            "htmlEntityDecode",
            html_entity_decode,
            TRIGGERS,
            &[b"amp;lt;#x41;#65;quot;ltscript", b"nbsp colon;"],
        );
    }
}
