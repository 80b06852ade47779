//! Error-log lines in ModSecurity's format, one line per logged match:
//! `[client 1.2.3.4] ModSecurity: Warning. Matched "..." [file "..."] [line "..."] [id "..."] ...`.
//! go-ftw and CRS tooling read these with `\[id "(\d+)"\]`-style regexes.

use crate::actions::severity_name;
use crate::rules::Rule;
use crate::transaction::{Interruption, MatchedRule};

/// Transaction facts every line carries, laid out once for all its lines.
pub struct LogContext {
    /// `[client <REMOTE_ADDR>] ModSecurity: `.
    head: String,
    /// ` [hostname "..."] [uri "..."] [unique_id "..."]`, escaped.
    tail: String,
}

impl LogContext {
    /// The context of a transaction: REMOTE_ADDR, SERVER_NAME, the request
    /// URI as sent, UNIQUE_ID.
    pub fn new(client_ip: &str, hostname: &str, uri: &str, unique_id: &str) -> LogContext {
        use std::fmt::Write as _;
        let mut cx = LogContext {
            head: String::new(),
            tail: String::new(),
        };
        // Writing to a String cannot fail.
        let _ = write!(cx.head, "[client {client_ip}] ModSecurity: ");
        let _ = write!(
            cx.tail,
            " [hostname \"{}\"] [uri \"{}\"] [unique_id \"{}\"]",
            Escaped(hostname, MAX_FIELD),
            Escaped(uri, MAX_FIELD),
            Escaped(unique_id, MAX_FIELD)
        );
        cx
    }
}

const MAX_FIELD: usize = 1024;
const MAX_VALUE: usize = 200;

/// Makes `s` safe inside `[name "..."]` on one line: quotes and backslashes
/// escaped, control bytes as `\xHH`, long text cut.
pub fn escape(s: &str, max: usize) -> String {
    let mut out = String::new();
    push_escaped(&mut out, s, max);
    out
}

/// [`escape`] as it is written out, without a string of its own.
struct Escaped<'a>(&'a str, usize);

/// Bytes [`Escaped`] rewrites: control bytes, DEL, `"` and `\\`.
static NEEDS_ESCAPE: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        t[b] = b < 0x20 || b == 0x7f || b == b'"' as usize || b == b'\\' as usize;
        b += 1;
    }
    t
};

fn needs_escape(b: u8) -> bool {
    NEEDS_ESCAPE[usize::from(b)]
}

impl std::fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&escape(self.0, self.1))
    }
}

/// Appends [`escape`]`(s, max)` to `out` (without the formatting
/// machinery: the lines of a request's matches are written with it).
fn push_escaped(out: &mut String, s: &str, max: usize) {
    // Most fields (file names, tags, messages) need nothing.
    if s.len() <= max && !s.bytes().any(needs_escape) {
        out.push_str(s);
        return;
    }
    // At most `max` characters: cut at the byte where the next begins.
    // (No more bytes than `max`: no more characters either.)
    let (text, cut) = match s.len() > max {
        true => match s.char_indices().nth(max) {
            Some((at, _)) => (&s[..at], true),
            None => (s, false),
        },
        false => (s, false),
    };
    // Runs of bytes that need nothing are written whole; the bytes
    // rewritten are all ASCII, so a run always ends at a character.
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut run = 0;
    for (i, b) in text.bytes().enumerate() {
        if !needs_escape(b) {
            continue;
        }
        out.push_str(&text[run..i]);
        match b {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            b => {
                out.push_str("\\x");
                out.push(char::from(HEX[usize::from(b >> 4)]));
                out.push(char::from(HEX[usize::from(b & 0xf)]));
            }
        }
        run = i + 1;
    }
    out.push_str(&text[run..]);
    if cut {
        out.push_str("...");
    }
}

/// Appends `n` in decimal.
fn push_uint(out: &mut String, n: u64) {
    let mut buf = [0; 20];
    // Digits only: always UTF-8.
    out.push_str(std::str::from_utf8(crate::decimal::digits(n, &mut buf)).unwrap_or_default());
}

fn capitalised(op: &str) -> String {
    let mut c = op.chars();
    match c.next() {
        Some(f) => f.to_ascii_uppercase().to_string() + c.as_str(),
        None => String::new(),
    }
}

/// What a rule's lines hold that depends on the rule alone, escaped once
/// (on its first logged match) instead of on every line: CRS's operator
/// arguments are long regexes full of bytes to escape, and its tags fill
/// half a line.
#[derive(Debug, Default)]
pub(crate) struct RuleLines {
    /// ``Matched "Operator `Rx' with parameter `...' against variable ` ``;
    /// empty for a rule without operator.
    operator: String,
    /// `[file "..."] [line "..."] [id "..."] [rev "..."] [msg "`.
    head: String,
    /// `"] [severity "..."] [ver "..."] [maturity "..."] [accuracy "..."]`
    /// and the tags.
    tail: String,
}

impl RuleLines {
    fn new(m: &MatchedRule, rule: &Rule) -> RuleLines {
        use std::fmt::Write as _;
        let mut r = RuleLines::default();
        // Writing to a String cannot fail.
        if let Some(op) = &rule.operator {
            let _ = write!(
                r.operator,
                "Matched \"Operator `{}' with parameter `{}' against variable `",
                capitalised(&op.name),
                Escaped(&op.arg, MAX_VALUE),
            );
        }
        let _ = write!(
            r.head,
            "[file \"{}\"] [line \"{}\"] [id \"{}\"] [rev \"{}\"] [msg \"",
            Escaped(&m.info.file, MAX_FIELD),
            m.line,
            m.id,
            Escaped(&m.info.rev, MAX_FIELD),
        );
        let _ = write!(
            r.tail,
            "\"] [severity \"{}\"] [ver \"{}\"] [maturity \"{}\"] [accuracy \"{}\"]",
            m.severity.map(severity_name).unwrap_or(""),
            Escaped(&m.info.ver, MAX_FIELD),
            m.maturity.unwrap_or(0),
            m.accuracy.unwrap_or(0),
        );
        for t in &m.info.tags {
            let _ = write!(r.tail, " [tag \"{}\"]", Escaped(t, MAX_FIELD));
        }
        r
    }
}

/// Formats the error-log line of one matched rule (`rule` is the rule `m`
/// records, the head of its chain).
pub fn error_log_line(
    m: &MatchedRule,
    rule: &Rule,
    it: Option<&Interruption>,
    cx: &LogContext,
) -> String {
    let parts = rule.lines.get_or_init(|| RuleLines::new(m, rule));
    let mut l = String::with_capacity(768);
    l.push_str(&cx.head);
    match it {
        Some(i) if m.disruptive && i.rule_id == m.id => {
            l.push_str("Access denied with code ");
            push_uint(&mut l, u64::from(i.status));
            l.push_str(" (phase ");
            push_uint(&mut l, u64::from(m.phase));
            l.push_str("). ");
        }
        _ => l.push_str("Warning. "),
    }
    match (parts.operator.is_empty(), m.matched.last()) {
        (false, Some(var)) => {
            let value = String::from_utf8_lossy(&var.value);
            l.push_str(&parts.operator);
            push_escaped(&mut l, &var.name, MAX_VALUE);
            l.push_str("' (Value: `");
            push_escaped(&mut l, &value, MAX_VALUE);
            l.push_str("' ) ");
        }
        _ => l.push_str("Unconditional match in SecAction. "),
    }
    l.push_str(&parts.head);
    push_escaped(&mut l, &m.msg, MAX_FIELD);
    l.push_str("\"] [data \"");
    push_escaped(&mut l, &m.data, MAX_FIELD);
    l.push_str(&parts.tail);
    l.push_str(&cx.tail);
    l
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The whole line, as ModSecurity lays it out, for a rule with every
    /// field: escapes in the operator argument (cut at 200 characters), the
    /// value, message, data and tags; a chain reports its head's operator.
    #[test]
    fn lines_are_laid_out_as_modsecurity_does() {
        let rules = format!(
            r#"SecRuleEngine On
SecRule ARGS "@rx (?:\d{}\w)|b.c" "id:7,phase:1,block,capture,t:none,msg:'M \"q\" %{{MATCHED_VAR_NAME}}',logdata:'D %{{TX.0}}',tag:'t-1',tag:'t\"2',ver:'V/1',rev:'3',maturity:'9',accuracy:'8',severity:'WARNING',chain"
    SecRule ARGS_NAMES "@streq a" "t:none"
SecRule ARGS "@rx ^b" "id:8,phase:1,deny,status:403,log""#,
            "a".repeat(250)
        );
        let waf = crate::Waf::from_directives(&rules).unwrap();
        let mut tx = waf.new_transaction();
        tx.process_connection("10.0.0.1", 5000, "10.0.0.2", 80);
        tx.process_uri("/p?a=b%22c%0a", "GET", "HTTP/1.1");
        tx.add_request_header("Host", "h.example");
        tx.process_request_headers();
        let lines: Vec<&str> = tx.error_log_lines().collect();
        // The argument is cut after 200 characters: `(?:\d` and 195 `a`.
        let (id, cut) = (tx.id(), "a".repeat(195) + "...");
        let want = [
            format!(
                r#"[client 10.0.0.1] ModSecurity: Warning. Matched "Operator `Rx' with parameter `(?:\\d{cut}' against variable `ARGS_NAMES:a' (Value: `a' ) [file "<inline>"] [line "2"] [id "7"] [rev "3"] [msg "M \"q\" ARGS_NAMES:a"] [data "D b\"c"] [severity "WARNING"] [ver "V/1"] [maturity "9"] [accuracy "8"] [tag "t-1"] [tag "t\"2"] [hostname "h.example"] [uri "/p?a=b%22c%0a"] [unique_id "{id}"]"#
            ),
            format!(
                r#"[client 10.0.0.1] ModSecurity: Access denied with code 403 (phase 1). Matched "Operator `Rx' with parameter `^b' against variable `ARGS:a' (Value: `b\"c\n' ) [file "<inline>"] [line "4"] [id "8"] [rev ""] [msg ""] [data ""] [severity ""] [ver ""] [maturity "0"] [accuracy "0"] [hostname "h.example"] [uri "/p?a=b%22c%0a"] [unique_id "{id}"]"#
            ),
        ];
        assert_eq!(lines, want);
    }

    #[test]
    fn escapes_to_one_line() {
        assert_eq!(escape("a\"b\nc\u{1}", 100), "a\\\"b\\nc\\x01");
        assert_eq!(escape("abcdef", 3), "abc...");
        assert_eq!(escape("abc", 3), "abc");
        assert_eq!(escape("a\\b\x7f\t", 10), "a\\\\b\\x7f\\t");
        assert_eq!(escape("ééé", 2), "éé...");
    }
}
