//! Shared helpers for the engine's integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

use coraza::{Interruption, Transaction, Waf};

/// The CRS directory: `CRS_DIR`, else `../shared/crs` beside the checkout.
pub fn crs_dir() -> PathBuf {
    match std::env::var_os("CRS_DIR") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/crs"),
    }
}

/// Loads the recommended config, `extra` directives, crs-setup and all CRS rules.
pub fn crs_waf(extra: &str) -> Waf {
    let crs = crs_dir();
    Waf::builder()
        .directives(coraza::RECOMMENDED_CONF)
        .directives(extra)
        .file(crs.join("crs-setup.conf.example"))
        .file(crs.join("rules/*.conf"))
        .build()
        .unwrap_or_else(|e| panic!("CRS failed to load: {e}"))
}

/// A raw HTTP/1.1 request split into parts.
pub struct RawRequest {
    pub method: String,
    pub uri: String,
    pub version: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

pub fn parse_raw(raw: &[u8]) -> RawRequest {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|p| (p, 4))
        .or_else(|| raw.windows(2).position(|w| w == b"\n\n").map(|p| (p, 2)))
        .unwrap_or((raw.len(), 0));
    let head = String::from_utf8_lossy(&raw[..split.0]).to_string();
    let body = raw[(split.0 + split.1).min(raw.len())..].to_vec();
    let mut lines = head.lines();
    let line = lines.next().unwrap_or_default();
    let mut parts = line.splitn(3, ' ');
    let method = parts.next().unwrap_or_default().to_string();
    let uri = parts.next().unwrap_or_default().to_string();
    let version = parts.next().unwrap_or_default().trim().to_string();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    RawRequest {
        method,
        uri,
        version,
        headers,
        body,
    }
}

/// Runs a request through phases 1-2 (and a small HTML response through 3-5).
pub fn run(waf: &Waf, raw: &[u8]) -> (Transaction, Option<Interruption>) {
    let r = parse_raw(raw);
    let mut tx = waf.new_transaction();
    tx.process_connection("192.0.2.10", 40000, "192.0.2.1", 80);
    tx.process_uri(&r.uri, &r.method, &r.version);
    for (k, v) in &r.headers {
        tx.add_request_header(k, v);
    }
    let mut it = tx.process_request_headers();
    if it.is_none() {
        tx.write_request_body(&r.body);
        it = tx.process_request_body();
    }
    if it.is_none() {
        tx.add_response_header("Content-Type", "text/html");
        it = tx.process_response_headers(200, "HTTP/1.1");
        if it.is_none() && tx.is_response_body_accessible() {
            tx.write_response_body(b"<html><body>hello</body></html>");
            it = tx.process_response_body();
        }
    }
    tx.process_logging();
    (tx, it)
}

pub fn bench_request(name: &str) -> Vec<u8> {
    // shared/bench sits beside shared/crs.
    let p = crs_dir().join("../bench/requests").join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}
