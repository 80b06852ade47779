//! Transformations (`t:lowercase`, `t:urlDecodeUni`, ...): one file per
//! transformation and the registry that maps SecLang names to them.
//!
//! Every transformation is a plain function over bytes. ModSecurity works on
//! bytes, not text, so none of them assumes UTF-8: invalid sequences, NUL
//! bytes and truncated escapes are all ordinary input and never panic.
//!
//! The output is [`Cow::Borrowed`] when the value is unchanged, so a chain of
//! transformations over a value that needs none of them allocates nothing.
//! The trims also borrow, returning a shorter sub-slice of the input; every
//! other borrowed output is the input itself, and an owned output always
//! differs from the input. [`is_changed`] tells the two apart in O(1), which
//! is what multiMatch needs. Semantics follow Coraza v3 (which follows ModSecurity); where the
//! two differ the module docs of the transformation say which one we took.

use std::borrow::Cow;

use triggers::Triggers;

mod base64_decode;
mod base64_decode_ext;
mod base64_encode;
pub(crate) mod byte_classes;
pub(crate) mod bytes;
pub(crate) mod cmd_line;
mod compress_whitespace;
mod css_decode;
mod escape_seq_decode;
mod hex_decode;
mod hex_encode;
mod html_entities;
mod html_entity_decode;
mod js_decode;
mod length;
mod lowercase;
mod md5;
mod normalise_path;
mod normalise_path_win;
mod parity_even_7bit;
mod parity_odd_7bit;
mod parity_zero_7bit;
mod remove_comments;
mod remove_comments_char;
mod remove_nulls;
mod remove_whitespace;
mod replace_comments;
mod replace_nulls;
mod sha1;
mod sql_hex_decode;
pub mod triggers;
mod trim;
mod trim_left;
mod trim_right;
mod unicode_best_fit;
mod uppercase;
mod url_decode;
mod url_decode_uni;
mod url_encode;
mod utf8_to_unicode;

/// A transformation: borrowed output when nothing changes.
pub type Transformation = for<'a> fn(&'a [u8]) -> Cow<'a, [u8]>;

/// SecLang name -> implementation and its [`triggers`] (`None`: may change
/// any value). Both spellings of the path
/// normalisations are listed, as ModSecurity and Coraza accept both.
const REGISTRY: &[(&str, Transformation, Triggers)] = &[
    (
        "base64Decode",
        base64_decode::base64_decode,
        base64_decode::TRIGGERS,
    ),
    (
        "base64DecodeExt",
        base64_decode_ext::base64_decode_ext,
        base64_decode_ext::TRIGGERS,
    ),
    (
        "base64Encode",
        base64_encode::base64_encode,
        base64_encode::TRIGGERS,
    ),
    ("cmdLine", cmd_line::cmd_line, cmd_line::TRIGGERS),
    (
        "compressWhitespace",
        compress_whitespace::compress_whitespace,
        compress_whitespace::TRIGGERS,
    ),
    ("cssDecode", css_decode::css_decode, css_decode::TRIGGERS),
    (
        "escapeSeqDecode",
        escape_seq_decode::escape_seq_decode,
        escape_seq_decode::TRIGGERS,
    ),
    ("hexDecode", hex_decode::hex_decode, hex_decode::TRIGGERS),
    ("hexEncode", hex_encode::hex_encode, hex_encode::TRIGGERS),
    (
        "htmlEntityDecode",
        html_entity_decode::html_entity_decode,
        html_entity_decode::TRIGGERS,
    ),
    ("jsDecode", js_decode::js_decode, js_decode::TRIGGERS),
    ("length", length::length, length::TRIGGERS),
    ("lowercase", lowercase::lowercase, lowercase::TRIGGERS),
    ("md5", md5::md5, md5::TRIGGERS),
    (
        "normalisePath",
        normalise_path::normalise_path,
        normalise_path::TRIGGERS,
    ),
    (
        "normalizePath",
        normalise_path::normalise_path,
        normalise_path::TRIGGERS,
    ),
    (
        "normalisePathWin",
        normalise_path_win::normalise_path_win,
        normalise_path_win::TRIGGERS,
    ),
    (
        "normalizePathWin",
        normalise_path_win::normalise_path_win,
        normalise_path_win::TRIGGERS,
    ),
    (
        "parityEven7bit",
        parity_even_7bit::parity_even_7bit,
        parity_even_7bit::TRIGGERS,
    ),
    (
        "parityOdd7bit",
        parity_odd_7bit::parity_odd_7bit,
        parity_odd_7bit::TRIGGERS,
    ),
    (
        "parityZero7bit",
        parity_zero_7bit::parity_zero_7bit,
        parity_zero_7bit::TRIGGERS,
    ),
    (
        "removeComments",
        remove_comments::remove_comments,
        remove_comments::TRIGGERS,
    ),
    (
        "removeCommentsChar",
        remove_comments_char::remove_comments_char,
        remove_comments_char::TRIGGERS,
    ),
    (
        "removeNulls",
        remove_nulls::remove_nulls,
        remove_nulls::TRIGGERS,
    ),
    (
        "removeWhitespace",
        remove_whitespace::remove_whitespace,
        remove_whitespace::TRIGGERS,
    ),
    (
        "replaceComments",
        replace_comments::replace_comments,
        replace_comments::TRIGGERS,
    ),
    (
        "replaceNulls",
        replace_nulls::replace_nulls,
        replace_nulls::TRIGGERS,
    ),
    ("sha1", sha1::sha1, sha1::TRIGGERS),
    (
        "sqlHexDecode",
        sql_hex_decode::sql_hex_decode,
        sql_hex_decode::TRIGGERS,
    ),
    ("trim", trim::trim, trim::TRIGGERS),
    ("trimLeft", trim_left::trim_left, trim_left::TRIGGERS),
    ("trimRight", trim_right::trim_right, trim_right::TRIGGERS),
    ("uppercase", uppercase::uppercase, uppercase::TRIGGERS),
    ("urlDecode", url_decode::url_decode, url_decode::TRIGGERS),
    (
        "urlDecodeUni",
        url_decode_uni::url_decode_uni,
        url_decode_uni::TRIGGERS,
    ),
    ("urlEncode", url_encode::url_encode, url_encode::TRIGGERS),
    (
        "utf8toUnicode",
        utf8_to_unicode::utf8_to_unicode,
        utf8_to_unicode::TRIGGERS,
    ),
];

/// Finds a transformation by its SecLang name (case-insensitive).
/// `none` is not here: the rule compiler handles it by clearing the pipeline.
pub fn lookup(name: &str) -> Option<Transformation> {
    REGISTRY
        .iter()
        .find(|(n, _, _)| n.eq_ignore_ascii_case(name))
        .map(|&(_, f, _)| f)
}

/// The [`triggers`] of the transformation named `name` (case-insensitive):
/// the bytes without which it returns a value unchanged. `None` for
/// unknown names and for transformations that may change any value.
pub fn triggers_of(name: &str) -> Triggers {
    REGISTRY
        .iter()
        .find(|(n, _, _)| n.eq_ignore_ascii_case(name))
        .and_then(|&(_, _, t)| t)
}

/// Whether `output` (returned by a transformation for `input`) differs from
/// `input`. O(1): it relies on owned outputs always differing and borrowed
/// ones being the input or a shorter sub-slice of it.
// The variant is the information here, so this takes the Cow itself.
#[allow(clippy::ptr_arg)]
pub fn is_changed(input: &[u8], output: &Cow<'_, [u8]>) -> bool {
    match output {
        Cow::Owned(_) => true,
        Cow::Borrowed(b) => b.len() != input.len(),
    }
}

/// Every registered SecLang transformation name, in its canonical spelling.
pub fn names() -> impl Iterator<Item = &'static str> {
    REGISTRY.iter().map(|&(n, _, _)| n)
}

/// Test support shared by the per-transformation test tables.
#[cfg(test)]
pub(crate) mod testing {
    use super::Transformation;
    use std::borrow::Cow;

    /// Checks each `(input, expected)` pair, and that [`super::is_changed`]
    /// reports exactly whether the output differs from the input.
    pub(crate) fn check(name: &str, f: Transformation, cases: &[(&[u8], &[u8])]) {
        for (i, &(input, expected)) in cases.iter().enumerate() {
            let out = f(input);
            assert_eq!(
                &*out,
                expected,
                "{name} case {i}: input {:?}: got {:?}, want {:?}",
                String::from_utf8_lossy(input),
                String::from_utf8_lossy(&out),
                String::from_utf8_lossy(expected),
            );
            let changed = super::is_changed(input, &out);
            assert_eq!(
                changed,
                input != expected,
                "{name} case {i}: input {:?}: is_changed={changed} but output {}",
                String::from_utf8_lossy(input),
                if input == expected {
                    "equals input"
                } else {
                    "differs"
                },
            );
        }
    }

    /// Checks that `fast` (a transformation with a fast path) and `full`
    /// (the same without it) agree on every string of up to four bytes over
    /// `alphabet` (the bytes that matter to them).
    pub(crate) fn agrees_on_short_strings(
        alphabet: &[u8],
        fast: Transformation,
        full: Transformation,
    ) {
        let mut input = Vec::new();
        for n in 0..=4u32 {
            for code in 0..alphabet.len().pow(n) {
                input.clear();
                let mut c = code;
                for _ in 0..n {
                    input.push(alphabet[c % alphabet.len()]);
                    c /= alphabet.len();
                }
                assert_eq!(fast(&input), full(&input), "{input:?}");
            }
        }
    }

    /// Fragments of escapes, comments, paths and UTF-8 that transformations
    /// react to; [`never_panics`] tries every pair of them.
    pub(crate) const AWKWARD_PIECES: &[&[u8]] = &[
        b"%",
        b"%u",
        b"%U",
        b"%uF",
        b"%uFF",
        b"%uFF0",
        b"%4",
        b"&",
        b"&#",
        b"&#x",
        b"&#1",
        b"&amp",
        b"\\",
        b"\\u",
        b"\\x",
        b"\\x4",
        b"\\0",
        b"\\400",
        b"/*",
        b"*/",
        b"<!--",
        b"--",
        b"#",
        b"0x",
        b"0x4",
        b"..",
        b"/",
        b"\\..\\",
        b"\xc3",
        b"\xe2\x82",
        b"\xff",
        b"\0",
        b" ",
        b"=",
        b"A",
    ];

    /// Checks that `f` returns each of `inputs` unchanged, and that none of
    /// them holds a byte of `triggers` (so they test the declared set).
    pub(crate) fn unchanged_without_triggers(
        name: &str,
        f: Transformation,
        triggers: super::triggers::Triggers,
        inputs: &[&[u8]],
    ) {
        let triggers = triggers.expect("a declared trigger set");
        for &input in inputs {
            let show = String::from_utf8_lossy(input);
            assert!(
                !super::triggers::ByteSet::of(input).intersects(&triggers),
                "{name}: {show:?} holds a trigger byte"
            );
            assert_unchanged(name, f, input, "it holds no trigger byte");
        }
    }

    /// Asserts that `f` returns `input` as it is; `why` says why it should.
    pub(crate) fn assert_unchanged(name: &str, f: Transformation, input: &[u8], why: &str) {
        assert!(
            returns_unchanged(f, input),
            "{name} changed {:?}: {why}",
            String::from_utf8_lossy(input)
        );
    }

    /// Whether `f` returns `input` as it is (borrowed, same length).
    pub(crate) fn returns_unchanged(f: Transformation, input: &[u8]) -> bool {
        let out = f(input);
        !super::is_changed(input, &out) && *out == *input
    }

    /// For a transformation that works character by character (so a value
    /// changes only if one of its characters would on its own): checks that
    /// every ASCII byte, lone non-ASCII byte and UTF-8 character it changes
    /// starts with a byte of `triggers`.
    pub(crate) fn triggers_cover_every_character(
        name: &str,
        f: Transformation,
        triggers: super::triggers::Triggers,
    ) {
        let triggers = triggers.expect("a declared trigger set");
        for b in 0..=u8::MAX {
            let input = [b];
            if super::is_changed(&input, &f(&input)) {
                assert!(triggers.contains(b), "{name} changes byte {b:#04x}");
            }
        }
        let mut buf = [0u8; 4];
        for c in '\u{80}'..=char::MAX {
            let input = c.encode_utf8(&mut buf).as_bytes();
            if triggers.contains(input[0]) {
                continue;
            }
            assert!(
                returns_unchanged(f, input),
                "{name} changes {c:?} (U+{:04X}), which starts with {:#04x}",
                u32::from(c),
                input[0]
            );
        }
    }

    /// Runs `f` over awkward inputs (every byte value, truncated escapes of
    /// every kind) to prove it never panics and keeps the `is_changed`
    /// contract.
    pub(crate) fn never_panics(f: Transformation) {
        let mut inputs: Vec<Vec<u8>> =
            vec![vec![], (0..=255u8).collect(), (0..=255u8).rev().collect()];
        let pieces = AWKWARD_PIECES;
        for a in pieces {
            for b in pieces {
                let mut v = a.to_vec();
                v.extend_from_slice(b);
                inputs.push(v);
            }
        }
        for input in &inputs {
            let out = f(input);
            assert_eq!(super::is_changed(input, &out), *out != input[..]);
            if let Cow::Borrowed(b) = out {
                // Borrowed outputs point into the input.
                let range = input.as_ptr_range();
                assert!(b.is_empty() || range.contains(&b.as_ptr()));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_resolves_in_any_case() {
        let expected = [
            "base64Decode",
            "base64DecodeExt",
            "base64Encode",
            "cmdLine",
            "compressWhitespace",
            "cssDecode",
            "escapeSeqDecode",
            "hexDecode",
            "hexEncode",
            "htmlEntityDecode",
            "jsDecode",
            "length",
            "lowercase",
            "md5",
            "normalisePath",
            "normalizePath",
            "normalisePathWin",
            "normalizePathWin",
            "parityEven7bit",
            "parityOdd7bit",
            "parityZero7bit",
            "removeComments",
            "removeCommentsChar",
            "removeNulls",
            "removeWhitespace",
            "replaceComments",
            "replaceNulls",
            "sha1",
            "sqlHexDecode",
            "trim",
            "trimLeft",
            "trimRight",
            "uppercase",
            "urlDecode",
            "urlDecodeUni",
            "urlEncode",
            "utf8toUnicode",
        ];
        for name in expected {
            assert!(lookup(name).is_some(), "{name}");
            assert!(lookup(&name.to_ascii_lowercase()).is_some(), "{name}");
            assert!(lookup(&name.to_ascii_uppercase()).is_some(), "{name}");
        }
        assert_eq!(names().count(), expected.len());
    }

    #[test]
    fn both_spellings_are_the_same_function() {
        let same = |a: &str, b: &str| {
            let (fa, fb) = (lookup(a).unwrap(), lookup(b).unwrap());
            let input = b"C:\\a\\.\\b\\..\\c//d";
            assert_eq!(fa(input), fb(input));
        };
        same("normalisePath", "normalizePath");
        same("normalisePathWin", "normalizePathWin");
    }

    #[test]
    fn lookup_is_case_insensitive_and_dispatches() {
        let f = lookup("LoWeRcAsE").unwrap();
        assert_eq!(&*f(b"ABC"), b"abc");
        let f = lookup("URLDECODEUNI").unwrap();
        assert_eq!(&*f(b"%u0041"), b"A");
        let f = lookup("cmdline").unwrap();
        assert_eq!(&*f(b"C^md"), b"cmd");
    }

    #[test]
    fn unknown_names_and_none_are_absent() {
        for name in [
            "none",
            "",
            "lower",
            "urldecodeunix",
            "sha256",
            "t:lowercase",
        ] {
            assert!(lookup(name).is_none(), "{name}");
        }
    }

    #[test]
    fn no_transformation_panics_on_awkward_input() {
        for (_, f, _) in REGISTRY {
            testing::never_panics(*f);
        }
    }

    /// Every declared trigger set holds: values made only of other bytes
    /// come back unchanged (borrowed, same length). Strings of up to two
    /// bytes are tried exhaustively, longer ones at random.
    #[test]
    fn declared_triggers_hold() {
        let mut rng = crate::test_rng::Rng(0x9e37_79b9_7f4a_7c15);
        for &(name, f, t) in REGISTRY {
            let Some(t) = t else { continue };
            let allowed: Vec<u8> = t.complement().bytes().collect();
            let check =
                |input: &[u8]| testing::assert_unchanged(name, f, input, "no trigger byte in it");
            check(b"");
            for &a in &allowed {
                check(&[a]);
                for &b in &allowed {
                    check(&[a, b]);
                }
            }
            let mut input = Vec::new();
            for _ in 0..20_000 {
                input.clear();
                let len = 3 + rng.below(40);
                for _ in 0..len {
                    input.push(*rng.pick(&allowed));
                }
                check(&input);
            }
        }
    }

    /// The random strings of `declared_triggers_hold` rarely spell out the
    /// rest of an escape, a reference or a path. Here every pair of
    /// structured fragments (escapes, references, paths, comments, UTF-8)
    /// has each transformation's trigger bytes deleted, so what is left
    /// (`u0041`, `amp;`, `..`, `x41` ...) must come back unchanged.
    #[test]
    fn declared_triggers_hold_on_escapes_without_their_trigger_bytes() {
        let extra: &[&[u8]] = &[
            b"%u0041",
            b"%uFF1C",
            b"%2e%2E",
            b"\\x41\\101\\u0041\\n",
            b"\\3c script\\",
            b"&amp;&lt&#x41;&#65;&colon;",
            b"0x414243 0X41",
            b"../a/./b//c/",
            b"C:\\a\\..\\b.\\c :$DATA",
            b"web.config::$DATA",
            b"/* a */ <!-- b --> -- c # d",
            b"a  b\t\r\n\x0b\x0cc",
            b"C^M\"D\"'x', ;/c(",
            b"VGVzdA==",
            b"\xc2\xa0\xc2\x85\xa0\x85",
            b"\xe1\x9a\x80\xe2\x80\x83\xe2\x81\x9f\xe3\x80\x80",
            "\u{c0}\u{130}\u{3a9}\u{b5}\u{1c5}\u{10d0}\u{1e9e}\u{ff21}\u{10400}".as_bytes(),
            "\u{65e5}\u{672c}\u{8a9e} \u{627} \u{5d0} \u{1f600}".as_bytes(),
            b"\xed\xa0\x80\xc0\x80\xf4\x90\x80\x80\xff",
        ];
        let fragments: Vec<&[u8]> = testing::AWKWARD_PIECES
            .iter()
            .chain(extra)
            .copied()
            .collect();
        for &(name, f, t) in REGISTRY {
            let Some(t) = t else { continue };
            let strip =
                |v: &[u8]| -> Vec<u8> { v.iter().copied().filter(|b| !t.contains(*b)).collect() };
            for a in &fragments {
                for b in &fragments {
                    let mut input = strip(a);
                    input.extend(strip(b));
                    testing::assert_unchanged(name, f, &input, "no trigger byte in it");
                }
            }
        }
    }

    /// The lookup by name finds the registry's triggers, for both spellings.
    #[test]
    fn triggers_are_found_by_name() {
        for &(name, _, t) in REGISTRY {
            assert_eq!(triggers_of(name), t, "{name}");
            assert_eq!(triggers_of(&name.to_ascii_uppercase()), t, "{name}");
        }
        assert_eq!(triggers_of("none"), None);
    }

    #[test]
    fn names_are_unique_ignoring_case() {
        let mut seen: Vec<String> = names().map(|n| n.to_ascii_lowercase()).collect();
        let before = seen.len();
        seen.sort();
        seen.dedup();
        assert_eq!(seen.len(), before);
    }
}
