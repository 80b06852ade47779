//! `@rx`: regular expression match.
//!
//! ModSecurity runs PCRE without UTF mode, so patterns match raw bytes: `.`
//! matches any byte, `\xNN` is a single byte and `(?i)`, `\w`, `\d`, `\s` are
//! ASCII-only. We therefore compile with `unicode(false)` first, which gives
//! exactly those semantics (non-ASCII literal characters in the pattern still
//! match their UTF-8 encoding). Patterns that need Unicode mode to compile at
//! all (e.g. a non-ASCII character inside a class, or `\p{..}`) are retried
//! with `unicode(true)` (no CRS v4 pattern needs that). The braced escape
//! `\x{HH}` is rewritten to `\xHH` first so it, too, means one byte. Like
//! ModSecurity v3 and Coraza, `.` also matches newlines and `^`/`$` are line
//! anchors (`(?sm)`).

use regex::bytes::{Regex, RegexBuilder};

use super::{Arg, OpContext, Operator};

/// Compiled-program size limits: CRS patterns are large alternations.
const SIZE_LIMIT: usize = 64 << 20;

/// Compiles `pattern` with the byte-oriented semantics described above.
pub(crate) fn compile(pattern: &str) -> Result<Regex, String> {
    compile_mode(pattern).map(|(re, _)| re)
}

/// [`compile`], also telling whether the byte-mode build was used (`true`)
/// rather than the Unicode fallback.
pub(crate) fn compile_mode(pattern: &str) -> Result<(Regex, bool), String> {
    let bytes_pattern = byte_hex_escapes(pattern);
    let build = |unicode: bool| {
        let p: &str = if unicode { pattern } else { &bytes_pattern };
        RegexBuilder::new(p)
            .unicode(unicode)
            .dot_matches_new_line(true)
            .multi_line(true)
            .size_limit(SIZE_LIMIT)
            .dfa_size_limit(SIZE_LIMIT)
            .build()
    };
    match build(false) {
        Ok(re) => Ok((re, true)),
        Err(first) => build(true)
            .map(|re| (re, false))
            .map_err(|_| format!("invalid regex {pattern:?}: {first}")),
    }
}

/// Rewrites `\x{H}` / `\x{HH}` to `\xHH`. PCRE without UTF mode reads both
/// forms as one byte, but the `regex` crate treats the braced form as a code
/// point and rejects it in byte mode (CRS 941310 uses `\x{bc}` for the byte
/// 0xBC of US-ASCII "malformed" XSS).
pub(crate) fn byte_hex_escapes(pattern: &str) -> String {
    let b = pattern.as_bytes();
    let mut out = String::with_capacity(pattern.len());
    let mut i = 0;
    let mut last = 0;
    while i < b.len() {
        if b[i] == b'\\' {
            // `\x{` with 1-2 hex digits and a closing brace.
            if b.get(i + 1) == Some(&b'x') && b.get(i + 2) == Some(&b'{') {
                let digits = b[i + 3..]
                    .iter()
                    .take_while(|c| c.is_ascii_hexdigit())
                    .count();
                if (1..=2).contains(&digits) && b.get(i + 3 + digits) == Some(&b'}') {
                    out.push_str(&pattern[last..i]);
                    out.push_str("\\x");
                    if digits == 1 {
                        out.push('0');
                    }
                    out.push_str(&pattern[i + 3..i + 3 + digits]);
                    i += 4 + digits;
                    last = i;
                    continue;
                }
            }
            // Skip the escaped character so `\\x{..}` stays literal.
            i += 2;
            continue;
        }
        i += 1;
    }
    out.push_str(pattern.get(last..).unwrap_or_default());
    out
}

/// Runs `re` on `input`, pushing groups 0..=9 of the first match when capturing.
pub(crate) fn match_capture(re: &Regex, ctx: &mut OpContext<'_>, input: &[u8]) -> bool {
    // The fast search decides; group positions are only worth finding on a match.
    if !re.is_match(input) {
        return false;
    }
    if !ctx.capturing() {
        return true;
    }
    // Most CRS patterns only group with `(?:...)`: the whole match is all
    // there is to capture, and `find` is much cheaper than `captures`.
    if re.captures_len() == 1 {
        if let Some(m) = re.find(input) {
            ctx.capture([m.as_bytes()]);
            return true;
        }
        return false;
    }
    match re.captures(input) {
        Some(caps) => {
            let groups: Vec<&[u8]> = caps
                .iter()
                .map(|g| g.map_or(&b""[..], |m| m.as_bytes()))
                .collect();
            ctx.capture(groups);
            true
        }
        None => false,
    }
}

/// Scans every match of `re` and succeeds on the first one `valid` accepts,
/// capturing it as TX.0 (shared by `@verifyCC`, `@verifySSN`, ...).
pub(crate) fn find_valid(
    re: &Regex,
    ctx: &mut OpContext<'_>,
    input: &[u8],
    valid: impl Fn(&[u8]) -> bool,
) -> bool {
    for m in re.find_iter(input) {
        if valid(m.as_bytes()) {
            ctx.capture([m.as_bytes()]);
            return true;
        }
    }
    false
}

/// Whether `pattern` (as [`compile`] reads it in byte mode) matches every
/// input whole: `.*` over every byte, greedy, with only `^`/`$` (line or
/// text) anchors around it and no group. Leftmost-first, such a pattern's
/// first match is always the entire input (CRS 920450's `^.*$`, which only
/// captures the header name).
fn matches_whole_input(pattern: &str) -> bool {
    use regex_syntax::hir::{Class, HirKind, Look};
    // Only short patterns can be one; parsing every CRS pattern again
    // would slow the load.
    if pattern.len() > 16 || !pattern.contains(".*") {
        return false;
    }
    let Some(hir) = crate::prefilter::literals::parse(pattern) else {
        return false;
    };
    let is_dot_star = |h: &regex_syntax::hir::Hir| match h.kind() {
        HirKind::Repetition(r) => {
            r.min == 0
                && r.max.is_none()
                && r.greedy
                && match r.sub.kind() {
                    HirKind::Class(Class::Bytes(c)) => {
                        c.ranges().len() == 1
                            && c.ranges()[0].start() == 0
                            && c.ranges()[0].end() == 255
                    }
                    _ => false,
                }
        }
        _ => false,
    };
    let (first, rest, last) = anchored(&hir);
    first.is_none_or(|l| matches!(l, Look::Start | Look::StartLF))
        && last.is_none_or(|l| matches!(l, Look::End | Look::EndLF))
        && matches!(rest, [only] if is_dot_star(only))
}

/// `hir` as a look-around assertion it starts with (`^`), the parts
/// between, and one it ends with (`$`), each assertion if there is one.
fn anchored(
    hir: &regex_syntax::hir::Hir,
) -> (
    Option<regex_syntax::hir::Look>,
    &[regex_syntax::hir::Hir],
    Option<regex_syntax::hir::Look>,
) {
    use regex_syntax::hir::HirKind;
    let look = |h: &regex_syntax::hir::Hir| match h.kind() {
        HirKind::Look(l) => Some(*l),
        _ => None,
    };
    let parts = match hir.kind() {
        HirKind::Concat(parts) => parts.as_slice(),
        _ => std::slice::from_ref(hir),
    };
    let (first, rest) = match parts.split_first() {
        Some((f, rest)) if look(f).is_some() => (look(f), rest),
        _ => (None, parts),
    };
    match rest.split_last() {
        Some((l, mid)) if look(l).is_some() => (first, mid, look(l)),
        _ => (first, rest, None),
    }
}

/// The literals `pattern` (as [`compile`] reads it in byte mode) matches
/// as whole lines: `^` and `$` around one literal or an alternation of
/// literals, nothing else (CRS's `^$`, `^404$`, `^(?:GET|HEAD)$`). The
/// patterns are compiled multi-line, so such a pattern matches where a
/// line of the input (the text between newlines) is one of them. `None`
/// for any other pattern.
fn exact_lines(pattern: &str) -> Option<Lines> {
    use regex_syntax::hir::{HirKind, Look};
    // Only short anchored patterns can be one; parsing every CRS pattern
    // again would slow the load.
    if pattern.len() > 64 || !pattern.starts_with('^') || !pattern.ends_with('$') {
        return None;
    }
    let hir = crate::prefilter::literals::parse(pattern)?;
    let (first, body, last) = anchored(&hir);
    if (first, last) != (Some(Look::StartLF), Some(Look::EndLF)) {
        return None;
    }
    let literal = |h: &regex_syntax::hir::Hir| match h.kind() {
        HirKind::Literal(l) => Some(l.0.to_vec()),
        _ => None,
    };
    let literals: Vec<Vec<u8>> = match body {
        [] => vec![Vec::new()],
        [b] => match b.kind() {
            HirKind::Alternation(alts) => alts.iter().map(literal).collect::<Option<_>>()?,
            _ => vec![literal(b)?],
        },
        _ => return None,
    };
    // A literal holding a newline could match across lines.
    if literals.iter().any(|l| l.contains(&b'\n')) {
        return None;
    }
    Some(Lines { literals })
}

/// What [`exact_lines`] found: the pattern matches where a line equals one
/// of `literals`.
#[derive(Debug)]
struct Lines {
    literals: Vec<Vec<u8>>,
}

impl Lines {
    /// The first line (leftmost) that is one of the literals.
    fn find<'a>(&self, input: &'a [u8]) -> Option<&'a [u8]> {
        input
            .split(|&b| b == b'\n')
            .find(|line| self.literals.iter().any(|l| l.as_slice() == *line))
    }
}

/// The `@rx` operator.
#[derive(Debug)]
pub struct Rx {
    compiled: Option<Regex>,
    /// The pattern matches every input whole ([`matches_whole_input`]): no
    /// search needed.
    whole: bool,
    /// The pattern matches lines equal to literals ([`exact_lines`]):
    /// compared, not searched.
    lines: Option<Lines>,
    /// The constant pattern, for the prefilter's literal analysis.
    pattern: String,
    /// Set when the pattern contains macros: compiled per evaluation.
    dynamic: Option<Arg>,
}

/// A pattern as [`compile_mode`] builds it: the regex, and whether in byte mode.
pub(crate) type Compiled = (Regex, bool);

/// Compiles the macro-free patterns among `patterns` on every core, for
/// [`Rx::from_compiled`] (compiling CRS's regexes one by one was two thirds
/// of the load on its main thread). Those that fail are left out: the rule
/// that has one compiles it again, for its error and location.
pub(crate) fn compile_ahead(patterns: Vec<String>) -> std::collections::HashMap<String, Compiled> {
    let patterns: Vec<String> = patterns
        .into_iter()
        .filter(|p| crate::macros::MacroString::parse(p).is_constant())
        .collect();
    let compiled = crate::parallel::map(&patterns, |p| compile_mode(p).ok());
    patterns
        .into_iter()
        .zip(compiled)
        .filter_map(|(p, c)| Some((p, c.flatten()?)))
        .collect()
}

impl Rx {
    /// Compiles `pattern` now unless it contains macros.
    pub fn new(pattern: &str) -> Result<Rx, String> {
        let m = crate::macros::MacroString::parse(pattern);
        if m.is_constant() {
            Ok(Rx::from_compiled(pattern, compile_mode(pattern)?))
        } else {
            Ok(Rx {
                whole: false,
                lines: None,
                compiled: None,
                pattern: String::new(),
                dynamic: Some(Arg::new(pattern)),
            })
        }
    }

    /// The operator of the macro-free `pattern`, compiled already.
    pub(crate) fn from_compiled(pattern: &str, (re, bytes_mode): Compiled) -> Rx {
        Rx {
            whole: bytes_mode && matches_whole_input(pattern),
            lines: exact_lines(pattern).filter(|_| bytes_mode),
            compiled: Some(re),
            // The literal analysis reads patterns as the byte-mode build
            // does; a Unicode-mode regex gets no prefilter.
            pattern: if bytes_mode {
                pattern.to_string()
            } else {
                String::new()
            },
            dynamic: None,
        }
    }
}

impl Operator for Rx {
    fn required_literals(&self) -> Option<Vec<Vec<u8>>> {
        if self.compiled.is_none() || self.pattern.is_empty() {
            return None;
        }
        crate::prefilter::literals::required_literals(&self.pattern)
    }

    fn evaluate(&self, ctx: &mut OpContext<'_>, input: &[u8]) -> bool {
        if self.whole {
            ctx.capture([input]);
            return true;
        }
        if let Some(lines) = &self.lines {
            return match lines.find(input) {
                Some(line) => {
                    ctx.capture([line]);
                    true
                }
                None => false,
            };
        }
        if let Some(re) = &self.compiled {
            return match_capture(re, ctx, input);
        }
        let Some(arg) = &self.dynamic else {
            return false;
        };
        let pattern = String::from_utf8_lossy(&arg.value(ctx)).into_owned();
        // An expanded pattern that does not compile cannot match.
        match compile(&pattern) {
            Ok(re) => match_capture(&re, ctx, input),
            Err(_) => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::operators::testutil::*;

    /// Patterns compiled ahead, in parallel, make the operators compiling
    /// them in place would; a pattern that fails is still reported at its
    /// rule's line.
    #[test]
    fn patterns_compiled_ahead_behave_and_fail_as_in_place() {
        let mut rules: Vec<String> = (0..40)
            .map(|i| {
                format!(
                    "SecRule ARGS \"@rx ^a{i}(b|c)\\x{{bc}}\" \"id:{},phase:1,pass,nolog\"",
                    i + 1
                )
            })
            .collect();
        let waf = crate::Waf::from_directives(&rules.join("\n")).unwrap();
        for i in [0, 17, 39] {
            let mut tx = waf.new_transaction();
            tx.process_uri(format!("/?q=a{i}c%bc"), "GET", "HTTP/1.1");
            tx.process_request_headers();
            let ids: Vec<u64> = tx.matched_rules().iter().map(|m| m.id).collect();
            assert_eq!(ids, [i + 1]);
        }
        rules[20] = "SecRule ARGS \"@rx (unclosed\" \"id:99,phase:1,pass\"".into();
        let Err(err) = crate::Waf::from_directives(&rules.join("\n")) else {
            panic!("a bad pattern loads");
        };
        assert_eq!(err.location.map(|l| l.line), Some(21));
        assert!(err.message.contains("invalid regex"), "{}", err.message);
    }

    #[test]
    fn matches_and_not() {
        let o = op("rx", "^a+b$");
        assert!(eval(&*o, b"aab"));
        assert!(!eval(&*o, b"abc"));
        assert!(eval(&*op("rx", "(?i)select"), b"xSeLeCt"));
    }

    #[test]
    fn byte_semantics() {
        // `.` matches an invalid UTF-8 byte and newlines.
        assert!(eval(&*op("rx", "a.b"), b"a\xffb"));
        assert!(eval(&*op("rx", "a.b"), b"a\nb"));
        // `\xNN` is one byte.
        assert!(eval(&*op("rx", r"\xc0"), b"\xc0"));
        assert!(eval(&*op("rx", r"[\x80-\xff]"), b"x\x90"));
        // Non-ASCII literal matches its UTF-8 encoding.
        assert!(eval(&*op("rx", "é"), "café".as_bytes()));
        // Multi-line anchors.
        assert!(eval(&*op("rx", "^b$"), b"a\nb\nc"));
    }

    #[test]
    fn braced_hex_is_a_byte() {
        assert_eq!(
            byte_hex_escapes(r"a\x{bc}[\x7f-\x{ff}]\x{9}"),
            r"a\xbc[\x7f-\xff]\x09"
        );
        assert_eq!(byte_hex_escapes(r"\\x{bc}\x{100}"), r"\\x{bc}\x{100}");
        // CRS 941310: the single byte 0xBC opens a tag, also inside UTF-8.
        let o = op("rx", r"\x{bc}[^>\x{be}]*[>\x{be}]|<[^\x{be}]*\x{be}");
        assert!(eval(&*o, b"\xbcscript\xbealert(1)"));
        assert!(eval(&*o, b"\xd0\xbcscript\xd0\xbe"));
        assert!(!eval(&*o, b"\xbc\xbc"));
    }

    /// Only `^`/`$` around literals take the shortcut, and it answers (and
    /// captures) as the multi-line regex does, on inputs with newlines too.
    #[test]
    fn line_literal_patterns_match_as_the_regex_does() {
        let taken = ["^$", "^404$", "^(?:GET|HEAD)$", "^(?:a|ab)$", r"^\x00a$"];
        for p in taken {
            assert!(exact_lines(p).is_some(), "{p}");
        }
        for p in [
            "(?-m)^(?:GET|HEAD)$",
            "^(?:a|ab|)$",
            "^(GET|HEAD)$",
            "(?i)^get$",
            "^get",
            "get$",
            "^g.t$",
            "^a\\nb$",
            "^(?:a|b)$",
            r"^\d$",
            "^a$|^b$",
        ] {
            assert!(exact_lines(p).is_none(), "{p}");
        }
        let inputs: [&[u8]; 14] = [
            b"",
            b"\n",
            b"\n\n",
            b"GET",
            b"get",
            b"GET\n",
            b"x\nGET",
            b"HEAD\nGET",
            b"GETS",
            b"404",
            b"a\n404\nb",
            b"ab",
            b"a\nab\n",
            b"\x00a",
        ];
        for p in taken {
            let re = compile(p).unwrap();
            let o = op("rx", p);
            for input in inputs {
                let want = re.find(input).map(|m| m.as_bytes().to_vec());
                let (hit, caps) = eval_capture(&*o, input);
                assert_eq!(hit, want.is_some(), "{p} {input:?}");
                if let Some(w) = want {
                    assert_eq!(caps, vec![w], "{p} {input:?}");
                }
            }
        }
    }

    /// The shortcut answers as the regex does, on inputs with newlines too.
    #[test]
    fn whole_input_patterns_match_as_the_regex_does() {
        for p in [
            "^.*$", ".*", "^.*", ".*$", "(?:^.*$)", r"\A.*\z", "(?s)^.*$",
        ] {
            assert!(matches_whole_input(p), "{p}");
        }
        for p in [
            "^.+$",
            "^.*?$",
            "^(.*)$",
            "^.*x$",
            "[^\n]*",
            "^$",
            "(?-s)^.*$",
            "a|.*",
        ] {
            assert!(!matches_whole_input(p), "{p}");
        }
        for p in ["^.*$", ".*", r"\A.*\z"] {
            let re = compile(p).unwrap();
            for input in [&b""[..], b"abc", b"a\nb\n", b"\n", b"\xff\x00x"] {
                let m = re.find(input).unwrap();
                assert_eq!((m.start(), m.end()), (0, input.len()), "{p} {input:?}");
                let (hit, caps) = eval_capture(&*op("rx", p), input);
                assert!(hit);
                assert_eq!(caps, vec![input.to_vec()]);
            }
        }
    }

    #[test]
    fn invalid_is_error() {
        assert!(try_op("rx", "(").is_err());
    }

    #[test]
    fn captures_groups() {
        let o = op("rx", "(a)(x)?(b)");
        let (m, caps) = eval_capture(&*o, b"zab");
        assert!(m);
        let want: Vec<Vec<u8>> = vec![b"ab".to_vec(), b"a".to_vec(), vec![], b"b".to_vec()];
        assert_eq!(caps, want);
    }

    #[test]
    fn captures_at_most_ten() {
        let pat = "(a)".repeat(12);
        let (m, caps) = eval_capture(&*op("rx", &pat), &[b'a'; 12]);
        assert!(m);
        assert_eq!(caps.len(), 10);
    }

    #[test]
    fn macro_pattern() {
        let o = op("rx", "^%{tx.x}$");
        assert!(eval_macro(&*o, "ab+", b"abbb"));
        assert!(!eval_macro(&*o, "ab+", b"ac"));
        // Expansion that does not compile: no match, no panic.
        assert!(!eval_macro(&*o, "(", b"("));
    }

    #[test]
    fn every_crs_rx_compiles() {
        let args = crs_operator_args("rx");
        assert!(args.len() > 250, "found only {} @rx", args.len());
        let mut bad = Vec::new();
        for (file, arg) in &args {
            if let Err(e) = try_op("rx", arg) {
                bad.push(format!("{file}: {e}"));
            }
            // And all of them with PCRE-like byte semantics, no Unicode fallback.
            let bytes = RegexBuilder::new(&byte_hex_escapes(arg))
                .unicode(false)
                .size_limit(SIZE_LIMIT)
                .build();
            if let Err(e) = bytes {
                bad.push(format!("{file}: needs Unicode mode: {e}"));
            }
        }
        assert!(bad.is_empty(), "{} failed:\n{}", bad.len(), bad.join("\n"));
    }
}
