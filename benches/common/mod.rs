//! Set-up shared by the bench binaries: where CRS is, the bench requests and
//! how a transaction runs through the phases.

use std::path::PathBuf;

use coraza::{Transaction, Waf};

/// CRS from `CRS_DIR`, else `../shared/crs`.
pub fn crs_dir() -> PathBuf {
    std::env::var_os("CRS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/crs"))
}

/// The raw requests every performance figure uses.
pub fn requests_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/bench/requests")
}

/// A raw HTTP request from `../shared/bench/requests`.
pub struct Req {
    pub method: String,
    pub uri: String,
    pub version: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// Parses a raw request (CRLF or LF line ends).
pub fn parse(raw: &[u8]) -> Req {
    let p = raw.windows(4).position(|w| w == b"\r\n\r\n");
    let (head, body) = match p {
        Some(p) => (&raw[..p], raw[p + 4..].to_vec()),
        None => {
            let p = raw
                .windows(2)
                .position(|w| w == b"\n\n")
                .unwrap_or(raw.len());
            (&raw[..p], raw.get(p + 2..).unwrap_or(&[]).to_vec())
        }
    };
    let head = String::from_utf8_lossy(head);
    let mut lines = head.lines();
    let mut rl = lines.next().unwrap_or("").splitn(3, ' ');
    Req {
        method: rl.next().unwrap_or("GET").into(),
        uri: rl.next().unwrap_or("/").into(),
        version: rl.next().unwrap_or("HTTP/1.1").trim().into(),
        headers: lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().into(), v.trim().into()))
            .collect(),
        body,
    }
}

/// Phases 1 and 2: what the agent runs before caching the transaction
/// until the response.
pub fn request(waf: &Waf, r: &Req) -> Transaction {
    let mut tx = waf.new_transaction();
    tx.process_connection("192.0.2.10", 40000, "192.0.2.1", 80);
    tx.process_uri(&r.uri, &r.method, &r.version);
    for (k, v) in &r.headers {
        tx.add_request_header(k, v);
    }
    tx.process_request_headers();
    tx.write_request_body(&r.body);
    tx.process_request_body();
    tx
}

/// All five phases, with a small text/html response; true when blocked.
// Kept out of line: callgrind's `--toggle-collect='*common*run*'` needs the
// function to exist under fat LTO.
#[inline(never)]
pub fn run(waf: &Waf, r: &Req) -> bool {
    let mut tx = request(waf, r);
    tx.add_response_header("Content-Type", "text/html");
    tx.process_response_headers(200, "HTTP/1.1");
    tx.write_response_body(b"<html><body>hello world</body></html>");
    tx.process_response_body();
    tx.process_logging();
    tx.interruption().is_some()
}
