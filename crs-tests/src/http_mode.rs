//! Running stages over TCP against a real WAF (HAProxy + agent, or any
//! server), judging from its error log as go-ftw does: a marker request
//! carrying `X-CRS-Test: <stage-id>-s` before the stage and `...-e` after,
//! and the stage's log lines are those strictly between the two marker
//! lines.

use std::io::{Read, Seek, SeekFrom, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::judge::Observation;
use crate::request::{build_request, marker_request};
use crate::runner::StageRunner;
use crate::schema::{Stage, TestCase};

/// Settings of the HTTP mode (go-ftw's defaults).
#[derive(Debug, Clone)]
pub struct HttpMode {
    /// `HOST:PORT` every request goes to (the test's `dest_addr`/`port`
    /// are ignored, like go-ftw's `testoverride.input.dest_addr`).
    pub target: String,
    /// The WAF's error log.
    pub log_file: PathBuf,
    /// Marker header (`X-CRS-Test`).
    pub marker_header: String,
    /// Read timeout (go-ftw: 10 s).
    pub read_timeout: Duration,
    /// Connect timeout (go-ftw: 3 s).
    pub connect_timeout: Duration,
    /// Marker request attempts before giving up (go-ftw: 20).
    pub max_marker_retries: usize,
    /// Log lines searched backwards for a marker (go-ftw: 500).
    pub max_marker_lines: usize,
}

impl HttpMode {
    /// go-ftw's defaults for `target` and `log_file`.
    pub fn new(target: &str, log_file: PathBuf) -> HttpMode {
        HttpMode {
            target: target.to_string(),
            log_file,
            marker_header: "X-CRS-Test".into(),
            read_timeout: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(3),
            max_marker_retries: 20,
            max_marker_lines: 500,
        }
    }

    fn connect(&self) -> std::io::Result<TcpStream> {
        let mut last = None;
        for addr in self.target.to_socket_addrs()? {
            match TcpStream::connect_timeout(&addr, self.connect_timeout) {
                Ok(s) => {
                    s.set_read_timeout(Some(self.read_timeout))?;
                    s.set_write_timeout(Some(self.read_timeout))?;
                    return Ok(s);
                }
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| std::io::Error::other("no address")))
    }

    /// Sends `bytes` on a new connection and reads one response.
    pub fn exchange(&self, bytes: &[u8]) -> Result<(u16, Vec<u8>), String> {
        let mut s = self.connect().map_err(|e| format!("connect: {e}"))?;
        s.write_all(bytes).map_err(|e| format!("send: {e}"))?;
        read_response(&mut s)
    }

    /// Sends the marker request until the log's last marker-header line
    /// carries `marker`; returns that line, lower-cased.
    fn mark(&self, host: &str, marker: &str) -> Result<Vec<u8>, String> {
        let req = marker_request(host, &self.marker_header, marker);
        let header = self.marker_header.to_ascii_lowercase();
        for _ in 0..self.max_marker_retries.max(1) {
            self.exchange(&req)?;
            let lines = tail_lines(&self.log_file, self.max_marker_lines)
                .map_err(|e| format!("reading {}: {e}", self.log_file.display()))?;
            for l in lines.iter().rev() {
                let lower = l.to_ascii_lowercase();
                if contains(&lower, header.as_bytes()) {
                    if contains(&lower, marker.as_bytes()) {
                        return Ok(lower);
                    }
                    break;
                }
            }
        }
        Err(format!(
            "can't find log marker {marker} in {}",
            self.log_file.display()
        ))
    }

    /// Lines strictly between the last `start` line and the following
    /// `end` line (whole lines, compared lower-cased); repeated end lines
    /// are skipped.
    fn marked_lines(&self, start: &[u8], end: &[u8]) -> Result<Vec<Vec<u8>>, String> {
        let lines = tail_lines(&self.log_file, 200_000)
            .map_err(|e| format!("reading {}: {e}", self.log_file.display()))?;
        Ok(between_markers(&lines, start, end))
    }
}

/// go-ftw's scan, backwards from the end: skip to the end marker, collect
/// until the start marker.
pub fn between_markers(lines: &[Vec<u8>], start: &[u8], end: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut end_found = false;
    for l in lines.iter().rev() {
        let lower = l.to_ascii_lowercase();
        if !end_found {
            end_found = lower == end;
            continue;
        }
        if lower == end {
            continue;
        }
        if lower == start {
            break;
        }
        out.push(l.clone());
    }
    out.reverse();
    out
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || hay.windows(needle.len()).any(|w| w == needle)
}

/// The last `max` lines of a file (reads at most the last 64 MiB).
fn tail_lines(path: &std::path::Path, max: usize) -> std::io::Result<Vec<Vec<u8>>> {
    let mut f = std::fs::File::open(path)?;
    let len = f.metadata()?.len();
    let window: u64 = 64 << 20;
    let start = len.saturating_sub(window);
    f.seek(SeekFrom::Start(start))?;
    let mut buf = Vec::new();
    f.read_to_end(&mut buf)?;
    let mut lines: Vec<Vec<u8>> = buf
        .split(|&c| c == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l).to_vec())
        .collect();
    if buf.ends_with(b"\n") {
        lines.pop();
    }
    if start > 0 && !lines.is_empty() {
        // The first line is probably cut.
        lines.remove(0);
    }
    let skip = lines.len().saturating_sub(max);
    Ok(lines.split_off(skip))
}

/// Reads one HTTP response: status line and headers must arrive (else a
/// transport error, as Go's `http.ReadResponse`); the body is read per
/// `Content-Length`, or until close for a short while.
pub fn read_response(s: &mut impl Read) -> Result<(u16, Vec<u8>), String> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let hdr_end = loop {
        if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break p + 4;
        }
        if buf.len() > 1 << 20 {
            return Err("response headers too large".into());
        }
        let n = s.read(&mut chunk).map_err(|e| format!("read: {e}"))?;
        if n == 0 {
            return Err(if buf.is_empty() {
                "EOF before response".into()
            } else {
                "unexpected EOF in response headers".into()
            });
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..hdr_end]).into_owned();
    let status_line = head.lines().next().unwrap_or_default();
    let mut parts = status_line.splitn(3, ' ');
    let proto = parts.next().unwrap_or_default();
    let code = parts.next().unwrap_or_default();
    if !proto.starts_with("HTTP/") || code.len() != 3 {
        return Err(format!("malformed HTTP response {status_line:?}"));
    }
    let status: u16 = code
        .parse()
        .map_err(|_| format!("malformed HTTP status code {code:?}"))?;
    let cl = head.lines().skip(1).find_map(|l| {
        let (n, v) = l.split_once(':')?;
        n.trim()
            .eq_ignore_ascii_case("content-length")
            .then(|| v.trim().parse::<usize>().ok())
            .flatten()
    });
    let deadline = Instant::now() + Duration::from_secs(2);
    let want = cl.map(|n| hdr_end.saturating_add(n));
    while !matches!(want, Some(w) if buf.len() >= w)
        && Instant::now() < deadline
        && buf.len() < 32 << 20
    {
        match s.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    Ok((status, buf))
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A random-enough v4-style UUID for stage markers (uniqueness per run is
/// all that matters).
fn uuid4() -> String {
    use std::collections::hash_map::RandomState;
    use std::hash::{BuildHasher, Hasher};
    let mut words = [0u64; 2];
    for w in &mut words {
        let mut h = RandomState::new().build_hasher();
        h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
        h.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos()),
        );
        *w = h.finish();
    }
    let b: Vec<u8> = words.iter().flat_map(|w| w.to_be_bytes()).collect();
    let hex: String = b
        .iter()
        .enumerate()
        .map(|(i, x)| match i {
            6 => format!("{:02x}", (x & 0x0f) | 0x40),
            8 => format!("{:02x}", (x & 0x3f) | 0x80),
            _ => format!("{x:02x}"),
        })
        .collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

impl StageRunner for HttpMode {
    fn parallel(&self) -> bool {
        false
    }

    fn run_stage(&self, test: &TestCase, stage: &Stage) -> (Observation, Vec<String>) {
        let mut notes = Vec::new();
        let expect_err = stage.output.expect_error;
        let fail = |e: String| Observation {
            transport_error: Some(e),
            ..Observation::default()
        };
        let stage_id = format!("{}-{}-{}", test.rule_id, test.test_id, uuid4());
        let host = if stage.input.virtual_host_mode {
            stage
                .input
                .headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case("host"))
                .map_or("localhost".to_string(), |(_, v)| v.clone())
        } else {
            "localhost".to_string()
        };
        let start = match self.mark(&host, &format!("{stage_id}-s")) {
            Ok(l) => Some(l),
            Err(e) if !expect_err => return (fail(format!("start marker: {e}")), notes),
            Err(_) => None,
        };
        let built = match build_request(&stage.input) {
            Ok(b) => b,
            Err(e) => return (fail(format!("cannot build request: {e}")), notes),
        };
        if let Some(e) = built.template_error {
            notes.push(format!(
                "data template failed, body dropped (as go-ftw): {e}"
            ));
        }
        let response = self.exchange(&built.bytes);
        let end = match self.mark(&host, &format!("{stage_id}-e")) {
            Ok(l) => Some(l),
            Err(e) if !expect_err => return (fail(format!("end marker: {e}")), notes),
            Err(_) => None,
        };
        let mut obs = Observation::default();
        match response {
            Ok((status, raw)) => {
                obs.status = status;
                obs.raw_response = raw;
            }
            Err(e) => obs.transport_error = Some(e),
        }
        if let (Some(s), Some(e)) = (start, end) {
            match self.marked_lines(&s, &e) {
                Ok(l) => obs.log_lines = l,
                Err(e) => notes.push(e),
            }
        }
        (obs, notes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    #[test]
    fn marker_scan() {
        let l: Vec<Vec<u8>> = [
            "old",
            "x-crs-test 1-s",
            "a",
            "b",
            "x-crs-test 1-e",
            "x-crs-test 1-e",
            "later",
        ]
        .iter()
        .map(|s| s.as_bytes().to_vec())
        .collect();
        assert_eq!(
            between_markers(&l, b"x-crs-test 1-s", b"x-crs-test 1-e"),
            vec![b"a".to_vec(), b"b".to_vec()]
        );
        assert!(between_markers(&l, b"s", b"nope").is_empty());
    }

    #[test]
    fn response_reading() {
        let mut r: &[u8] = b"HTTP/1.1 403 Forbidden\r\nContent-Length: 2\r\n\r\nnoEXTRA";
        let (s, raw) = read_response(&mut r).unwrap();
        assert_eq!(s, 403);
        assert!(raw.ends_with(b"no") || raw.ends_with(b"noEXTRA"));
        let mut r: &[u8] = b"<html>0.9 style</html>";
        assert!(read_response(&mut r).is_err());
        let mut r: &[u8] = b"";
        assert!(read_response(&mut r).is_err());
    }

    #[test]
    fn uuids_are_unique_and_shaped() {
        let a = uuid4();
        let b = uuid4();
        assert_ne!(a, b);
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "4");
    }

    /// A fake WAF: answers every request with 200 and appends a log line
    /// per request (the marker header value, or a rule id for others).
    #[test]
    fn end_to_end_with_fake_waf() {
        let dir = std::env::temp_dir().join(format!("crs-tests-{}", uuid4()));
        std::fs::create_dir_all(&dir).unwrap();
        let log = dir.join("error.log");
        std::fs::write(&log, "").unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let log2 = log.clone();
        std::thread::spawn(move || {
            for s in listener.incoming() {
                let Ok(mut s) = s else { break };
                let mut buf = vec![0u8; 65536];
                let n = s.read(&mut buf).unwrap_or(0);
                let req = String::from_utf8_lossy(&buf[..n]).into_owned();
                let line = match req.lines().find(|l| l.starts_with("X-CRS-Test:")) {
                    Some(m) => format!("[msg \"{}\"] REQUEST_HEADERS:X-CRS-Test", &m[12..]),
                    None if req.contains("attack") => "[id \"942100\"] [msg \"sqli\"]".into(),
                    None => "unrelated".into(),
                };
                let mut f = std::fs::OpenOptions::new()
                    .append(true)
                    .open(&log2)
                    .unwrap();
                writeln!(f, "{line}").unwrap();
                let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
            }
        });
        let mode = HttpMode::new(&addr.to_string(), log.clone());
        let t = crate::schema::parse_test_file(
            "rule_id: 942100\ntests: [{test_id: 1, stages: [{input: {uri: /attack}, output: {log: {expect_ids: [942100]}}}]}]",
            "x.yaml",
        )
        .unwrap();
        let (obs, _) = mode.run_stage(&t.tests[0], &t.tests[0].stages[0]);
        assert_eq!(obs.transport_error, None);
        assert_eq!(obs.status, 200);
        assert_eq!(
            obs.log_lines,
            vec![b"[id \"942100\"] [msg \"sqli\"]".to_vec()]
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
