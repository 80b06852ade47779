//! Error-log lines in ModSecurity's format, one line per logged match:
//! `[client 1.2.3.4] ModSecurity: Warning. Matched "..." [file "..."] [line "..."] [id "..."] ...`.
//! go-ftw and CRS tooling read these with `\[id "(\d+)"\]`-style regexes.

use crate::actions::severity_name;
use crate::rules::Rule;
use crate::transaction::{Interruption, MatchedRule};

/// Transaction facts every line carries.
pub struct LogContext {
    /// REMOTE_ADDR.
    pub client_ip: String,
    /// SERVER_NAME.
    pub hostname: String,
    /// The request URI as sent.
    pub uri: String,
    /// UNIQUE_ID.
    pub unique_id: String,
}

const MAX_FIELD: usize = 1024;
const MAX_VALUE: usize = 200;

/// Makes `s` safe inside `[name "..."]` on one line: quotes and backslashes
/// escaped, control bytes as `\xHH`, long text cut.
pub fn escape(s: &str, max: usize) -> String {
    let mut out = String::with_capacity(s.len().min(max) + 8);
    for (n, c) in s.chars().enumerate() {
        if n >= max {
            out.push_str("...");
            break;
        }
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out
}

fn capitalised(op: &str) -> String {
    let mut c = op.chars();
    match c.next() {
        Some(f) => f.to_ascii_uppercase().to_string() + c.as_str(),
        None => String::new(),
    }
}

/// Formats the error-log line of one matched rule.
pub fn error_log_line(
    m: &MatchedRule,
    rule: &Rule,
    it: Option<&Interruption>,
    cx: &LogContext,
) -> String {
    let mut l = String::with_capacity(512);
    l.push_str(&format!("[client {}] ModSecurity: ", cx.client_ip));
    match it {
        Some(i) if m.disruptive && i.rule_id == m.id => l.push_str(&format!(
            "Access denied with code {} (phase {}). ",
            i.status, m.phase
        )),
        _ => l.push_str("Warning. "),
    }
    match (&rule.operator, m.matched.last()) {
        (Some(op), Some(var)) => {
            let value = String::from_utf8_lossy(&var.value);
            l.push_str(&format!(
                "Matched \"Operator `{}' with parameter `{}' against variable `{}' (Value: `{}' ) ",
                capitalised(&op.name),
                escape(&op.arg, MAX_VALUE),
                escape(&var.name, MAX_VALUE),
                escape(&value, MAX_VALUE)
            ));
        }
        _ => l.push_str("Unconditional match in SecAction. "),
    }
    l.push_str(&format!(
        "[file \"{}\"] [line \"{}\"] [id \"{}\"] [rev \"{}\"] [msg \"{}\"] [data \"{}\"] [severity \"{}\"] [ver \"{}\"] [maturity \"{}\"] [accuracy \"{}\"]",
        escape(&m.info.file, MAX_FIELD),
        m.line,
        m.id,
        escape(&m.info.rev, MAX_FIELD),
        escape(&m.msg, MAX_FIELD),
        escape(&m.data, MAX_FIELD),
        m.severity.map(severity_name).unwrap_or(""),
        escape(&m.info.ver, MAX_FIELD),
        m.maturity.unwrap_or(0),
        m.accuracy.unwrap_or(0),
    ));
    for t in &m.info.tags {
        l.push_str(&format!(" [tag \"{}\"]", escape(t, MAX_FIELD)));
    }
    l.push_str(&format!(
        " [hostname \"{}\"] [uri \"{}\"] [unique_id \"{}\"]",
        escape(&cx.hostname, MAX_FIELD),
        escape(&cx.uri, MAX_FIELD),
        escape(&cx.unique_id, MAX_FIELD)
    ));
    l
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_to_one_line() {
        assert_eq!(escape("a\"b\nc\u{1}", 100), "a\\\"b\\nc\\x01");
        assert_eq!(escape("abcdef", 3), "abc...");
    }
}
