//! Deciding whether a stage passed, in go-ftw 2.3.0's order: transport
//! error expectation, status, response regexp, then the log checks over
//! the stage's log lines (rule ids extracted as go-ftw does).

use std::collections::BTreeSet;
use std::sync::OnceLock;

use regex::bytes::Regex;

use crate::schema::Output;

/// What was observed for one stage.
#[derive(Debug, Clone, Default)]
pub struct Observation {
    /// The request could not be sent or the response not read.
    pub transport_error: Option<String>,
    /// Response status.
    pub status: u16,
    /// The raw response (status line, headers, body) for `response_contains`.
    pub raw_response: Vec<u8>,
    /// The WAF log lines of the stage.
    pub log_lines: Vec<Vec<u8>>,
}

/// The outcome for one stage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// Whether the stage passed.
    pub passed: bool,
    /// Why it failed (empty when it passed).
    pub reason: String,
    /// Rule ids found in the log lines, sorted.
    pub seen_ids: Vec<u64>,
}

/// Rule ids in log lines: go-ftw's `[id "N"]` form (also JSON-escaped
/// `\"id\":\"N\"`), else its JSON form `{"id":N` / `"ruleId":"N"`.
pub fn rule_ids(lines: &[Vec<u8>]) -> Vec<u64> {
    static STD: OnceLock<Regex> = OnceLock::new();
    static JSON: OnceLock<Regex> = OnceLock::new();
    let std = STD.get_or_init(|| {
        Regex::new(r#"\[(?:id |\\?"id\\?":)\\?"(\d+)\\?"\]"#).expect("static regex")
    });
    let json = JSON.get_or_init(|| {
        Regex::new(r#"(?:\{|,)\s*"(?:id|ruleId)":\s*"?(\d+)"?"#).expect("static regex")
    });
    let mut ids = BTreeSet::new();
    for line in lines {
        let mut found = false;
        for c in std.captures_iter(line) {
            found = true;
            if let Some(n) = c.get(1).and_then(|m| parse_u64(m.as_bytes())) {
                ids.insert(n);
            }
        }
        if !found {
            for c in json.captures_iter(line) {
                if let Some(n) = c.get(1).and_then(|m| parse_u64(m.as_bytes())) {
                    ids.insert(n);
                }
            }
        }
    }
    ids.into_iter().collect()
}

fn parse_u64(b: &[u8]) -> Option<u64> {
    std::str::from_utf8(b).ok()?.parse().ok()
}

/// Compiles a test's Go regexp. RE2 syntax is a subset of the `regex`
/// crate's, so a failure here means a pattern Go would reject too (or a
/// rare construct worth a look), reported as the stage's failure.
fn go_regex(p: &str) -> Result<Regex, String> {
    Regex::new(p).map_err(|e| format!("bad regexp {p:?}: {e}"))
}

/// Judges one stage.
pub fn judge(expected: &Output, obs: &Observation) -> Verdict {
    let seen_ids = rule_ids(&obs.log_lines);
    let fail = |reason: String, seen_ids: Vec<u64>| Verdict {
        passed: false,
        reason,
        seen_ids,
    };
    if expected.expect_error {
        return match &obs.transport_error {
            Some(_) => Verdict {
                passed: true,
                reason: String::new(),
                seen_ids,
            },
            None => fail(
                "expected a transport error, got a response".into(),
                seen_ids,
            ),
        };
    }
    if let Some(e) = &obs.transport_error {
        return fail(format!("transport error: {e}"), seen_ids);
    }
    if !expected.status.is_empty() && !expected.status.contains(&obs.status) {
        return fail(
            format!("expected status {:?}, got {}", expected.status, obs.status),
            seen_ids,
        );
    }
    if let Some(p) = &expected.response_contains {
        match go_regex(p) {
            Ok(re) if re.is_match(&obs.raw_response) => {}
            Ok(_) => return fail(format!("response does not match {p:?}"), seen_ids),
            Err(e) => return fail(e, seen_ids),
        }
    }
    let log = &expected.log;
    if let Some(p) = &log.match_regex {
        match go_regex(p) {
            Ok(re) if obs.log_lines.iter().any(|l| re.is_match(l)) => {}
            Ok(_) => return fail(format!("no log line matches {p:?}"), seen_ids),
            Err(e) => return fail(e, seen_ids),
        }
    }
    let missing: Vec<u64> = log
        .expect_ids
        .iter()
        .copied()
        .filter(|id| !seen_ids.contains(id))
        .collect();
    if !missing.is_empty() {
        return fail(format!("expected ids {missing:?} not seen"), seen_ids);
    }
    if expected.isolated && seen_ids.len() != 1 {
        return fail(
            format!("isolated: expected exactly one id, saw {}", seen_ids.len()),
            seen_ids,
        );
    }
    if let Some(p) = &log.no_match_regex {
        match go_regex(p) {
            Ok(re) => {
                if let Some(l) = obs.log_lines.iter().find(|l| re.is_match(l)) {
                    let l = String::from_utf8_lossy(l);
                    let short: String = l.chars().take(160).collect();
                    return fail(format!("log line matches {p:?}: {short}"), seen_ids);
                }
            }
            Err(e) => return fail(e, seen_ids),
        }
    }
    let unwanted: Vec<u64> = log
        .no_expect_ids
        .iter()
        .copied()
        .filter(|id| seen_ids.contains(id))
        .collect();
    if !unwanted.is_empty() {
        return fail(format!("unexpected ids {unwanted:?} seen"), seen_ids);
    }
    Verdict {
        passed: true,
        reason: String::new(),
        seen_ids,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::LogExpect;

    fn lines(v: &[&str]) -> Vec<Vec<u8>> {
        v.iter().map(|s| s.as_bytes().to_vec()).collect()
    }

    #[test]
    fn id_extraction() {
        let l = lines(&[
            r#"[file "x"] [line "1"] [id "920100"] [msg "m"]"#,
            r#"[\"id\":\"942100\"]"#,
            r#"{"transaction":{"messages":[{"id":"1","ruleId":"2"}]}"#,
            r#"[id \"941100\"] [id "1"]"#,
            "no id here",
        ]);
        assert_eq!(rule_ids(&l), vec![1, 2, 920100, 941100, 942100]);
        // The JSON form is only tried on lines without the standard form.
        assert_eq!(rule_ids(&lines(&[r#"{"id":5}"#])), vec![5]);
    }

    fn out(log: LogExpect) -> Output {
        Output {
            log,
            ..Output::default()
        }
    }

    fn obs(l: &[&str]) -> Observation {
        Observation {
            status: 200,
            log_lines: lines(l),
            ..Observation::default()
        }
    }

    #[test]
    fn expect_and_no_expect() {
        let o = out(LogExpect {
            expect_ids: vec![1, 2],
            no_expect_ids: vec![3],
            ..LogExpect::default()
        });
        assert!(judge(&o, &obs(&[r#"[id "1"]"#, r#"[id "2"]"#])).passed);
        let v = judge(&o, &obs(&[r#"[id "1"]"#]));
        assert!(!v.passed && v.reason.contains("[2]"), "{v:?}");
        let v = judge(&o, &obs(&[r#"[id "1"] [id "2"] [id "3"]"#]));
        assert!(!v.passed && v.reason.contains("[3]"), "{v:?}");
        assert_eq!(v.seen_ids, vec![1, 2, 3]);
    }

    #[test]
    fn regexes() {
        let o = out(LogExpect {
            match_regex: Some(r"Matched Data: \$u found".into()),
            no_match_regex: Some(r#"\[id "\d+"\]"#.into()),
            ..LogExpect::default()
        });
        assert!(judge(&o, &obs(&["Matched Data: $u found within"])).passed);
        assert!(!judge(&o, &obs(&["Matched Data: $u found", r#"[id "5"]"#])).passed);
        assert!(!judge(&o, &obs(&[])).passed);
        let bad = out(LogExpect {
            match_regex: Some("(".into()),
            ..LogExpect::default()
        });
        assert!(judge(&bad, &obs(&["x"])).reason.contains("bad regexp"));
    }

    #[test]
    fn status_error_and_empty_output() {
        let mut o = Output {
            status: vec![400],
            ..Output::default()
        };
        assert!(!judge(&o, &obs(&[])).passed);
        o.status = vec![200];
        assert!(judge(&o, &obs(&[])).passed);
        let mut e = obs(&[]);
        e.transport_error = Some("eof".into());
        assert!(!judge(&Output::default(), &e).passed);
        let ee = Output {
            expect_error: true,
            ..Output::default()
        };
        assert!(judge(&ee, &e).passed);
        assert!(!judge(&ee, &obs(&[])).passed);
        assert!(judge(&Output::default(), &obs(&[r#"[id "1"]"#])).passed);
    }

    #[test]
    fn isolated_and_response_contains() {
        let o = Output {
            isolated: true,
            response_contains: Some("^HTTP/1.1 200".into()),
            log: LogExpect {
                expect_ids: vec![1],
                ..LogExpect::default()
            },
            ..Output::default()
        };
        let mut ob = obs(&[r#"[id "1"]"#]);
        ob.raw_response = b"HTTP/1.1 200 OK\r\n\r\n".to_vec();
        assert!(judge(&o, &ob).passed);
        ob.log_lines = lines(&[r#"[id "1"] [id "2"]"#]);
        assert!(!judge(&o, &ob).passed);
    }
}
