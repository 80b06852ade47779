//! The literal prefilter may only skip work, never change a decision: every
//! payload of CRS's own regression tests goes through CRS at paranoia level 4
//! with and without the prefilter, and the rules that match (with what they
//! matched) must be the same.

mod common;

use coraza::{Waf, WafBuilder};

fn crs(prefilter: bool) -> Waf {
    let crs = common::crs_dir();
    let mut b = WafBuilder::new()
        .directives(coraza::RECOMMENDED_CONF)
        .directives(
            "SecRuleEngine DetectionOnly\n\
             SecAction \"id:900000,phase:1,pass,nolog,setvar:tx.blocking_paranoia_level=4\"",
        )
        .file(crs.join("crs-setup.conf.example"))
        .file(crs.join("rules/*.conf"));
    if !prefilter {
        b = b.without_prefilter();
    }
    b.build().expect("CRS loads")
}

/// `uri:`, `data:` and header values of the go-ftw YAML files, deduplicated.
fn payloads() -> Vec<String> {
    let dir = common::crs_dir().join("tests/regression/tests");
    let mut files = Vec::new();
    let mut stack = vec![dir];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d)
            .expect("CRS regression tests")
            .flatten()
        {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "yaml" || x == "yml") {
                files.push(p);
            }
        }
    }
    files.sort();
    let mut out = std::collections::BTreeSet::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap_or_default();
        for line in text.lines() {
            let t = line.trim_start().trim_start_matches("- ");
            let Some((key, value)) = t.split_once(':') else {
                continue;
            };
            let key = key.trim().trim_matches('"');
            if !matches!(key, "uri" | "data" | "User-Agent" | "Referer" | "Cookie") {
                continue;
            }
            let v = value.trim().trim_matches(|c| c == '"' || c == '\'');
            if !v.is_empty() {
                out.insert(v.to_string());
            }
        }
    }
    out.into_iter().collect()
}

/// Matched rule ids with the values they matched, in order.
fn decide(waf: &Waf, payload: &str) -> Vec<(u64, Vec<Vec<u8>>)> {
    let mut tx = waf.new_transaction_with_id("equiv");
    tx.process_connection("192.0.2.10", 40000, "192.0.2.1", 80);
    let uri = if payload.starts_with('/') {
        payload.to_string()
    } else {
        format!("/?q={payload}")
    };
    tx.process_uri(&uri, "POST", "HTTP/1.1");
    tx.add_request_header("Host", "localhost");
    if !payload.contains(['\r', '\n']) {
        tx.add_request_header("User-Agent", payload);
        tx.add_request_header("Cookie", format!("c={payload}"));
    }
    tx.add_request_header("Content-Type", "application/x-www-form-urlencoded");
    tx.process_request_headers();
    tx.write_request_body(format!("a={payload}").as_bytes());
    tx.process_request_body();
    tx.add_response_header("Content-Type", "text/html");
    tx.process_response_headers(200, "HTTP/1.1");
    tx.write_response_body(payload.as_bytes());
    tx.process_response_body();
    tx.process_logging();
    tx.matched_rules()
        .iter()
        .map(|m| (m.id, m.matched.iter().map(|v| v.value.to_vec()).collect()))
        .collect()
}

#[test]
fn prefilter_never_changes_what_matches() {
    let (with, without) = (crs(true), crs(false));
    let payloads = payloads();
    assert!(payloads.len() > 1000, "only {} payloads", payloads.len());
    let mut matched = 0;
    for p in &payloads {
        let a = decide(&with, p);
        let b = decide(&without, p);
        assert_eq!(a, b, "payload {p:?}");
        matched += a.len();
    }
    // The payloads are attacks: rules must actually have matched.
    assert!(matched > payloads.len(), "{matched} matches");
}
