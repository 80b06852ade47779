//! The backend the CRS tests assume (Albedo 0.3.0): `POST /reflect` answers
//! with the status, headers and body described by the JSON request body;
//! every other request gets 200 with an empty body.
//!
//! [`respond`] is the pure decision, shared by the in-process run and by
//! [`serve`], a small HTTP/1.1 server HAProxy can forward to.

use std::net::SocketAddr;

use base64::Engine as _;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::http_request::{parse_request, ParsedRequest};

/// A backend answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackendResponse {
    /// Status code.
    pub status: u16,
    /// Header fields (without `Content-Length`, added when sending).
    pub headers: Vec<(String, String)>,
    /// Body.
    pub body: Vec<u8>,
}

/// What to do when the reflected response names no `Content-Type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DefaultContentType {
    /// Sniff it as Go's `net/http` does (what Albedo really sends).
    Sniff,
    /// Always `text/plain` (what Coraza's in-process CRS run does).
    TextPlain,
}

/// Albedo's answer to `req`.
pub fn respond(req: &ParsedRequest, ct: DefaultContentType) -> BackendResponse {
    let path = request_path(&req.uri);
    let is_reflect = path == "/reflect" || path.starts_with("/reflect/");
    let mut resp = if req.method == b"POST" && is_reflect {
        reflect(&req.body)
    } else {
        BackendResponse {
            status: 200,
            headers: Vec::new(),
            body: Vec::new(),
        }
    };
    let has_ct = resp
        .headers
        .iter()
        .any(|(n, _)| n.eq_ignore_ascii_case("content-type"));
    if !has_ct && !resp.body.is_empty() {
        let v = match ct {
            DefaultContentType::Sniff => sniff_content_type(&resp.body),
            DefaultContentType::TextPlain => "text/plain",
        };
        resp.headers.push(("Content-Type".into(), v.into()));
    }
    resp
}

fn plain(status: u16, body: &str) -> BackendResponse {
    BackendResponse {
        status,
        headers: Vec::new(),
        body: body.as_bytes().to_vec(),
    }
}

/// The reflection spec, decoded with Go `encoding/json` rules: keys match
/// case-insensitively, a JSON `null` is an empty spec, and a value of the
/// wrong type makes the whole body "invalid JSON".
fn reflect(body: &[u8]) -> BackendResponse {
    const INVALID: &str = "Invalid JSON in request body";
    let Ok(v) = serde_json::from_slice::<Value>(body) else {
        return plain(400, INVALID);
    };
    let obj = match v {
        Value::Null => serde_json::Map::new(),
        Value::Object(o) => o,
        _ => return plain(400, INVALID),
    };
    let field = |name: &str| -> Option<&Value> {
        obj.get(name).or_else(|| {
            obj.iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v)
        })
    };
    let string_field = |name: &str| -> Result<String, ()> {
        match field(name) {
            None | Some(Value::Null) => Ok(String::new()),
            Some(Value::String(s)) => Ok(s.clone()),
            Some(_) => Err(()),
        }
    };
    let status: i64 = match field("status") {
        None | Some(Value::Null) => 0,
        Some(Value::Number(n)) => match n.as_i64() {
            Some(i) => i,
            None => return plain(400, INVALID),
        },
        Some(_) => return plain(400, INVALID),
    };
    let mut headers = Vec::new();
    match field("headers") {
        None | Some(Value::Null) => {}
        Some(Value::Object(h)) => {
            for (k, v) in h {
                match v {
                    Value::String(s) => headers.push((k.clone(), s.clone())),
                    Value::Null => headers.push((k.clone(), String::new())),
                    _ => return plain(400, INVALID),
                }
            }
        }
        Some(_) => return plain(400, INVALID),
    }
    let (Ok(text), Ok(encoded), Ok(_log)) = (
        string_field("body"),
        string_field("encodedBody"),
        string_field("logMessage"),
    ) else {
        return plain(400, INVALID);
    };
    if status != 0 && !(100..600).contains(&status) {
        let mut r = plain(400, &format!("Invalid status code: {status}"));
        r.headers = headers;
        return r;
    }
    let status = if status == 0 { 200 } else { status as u16 };
    let body = if !text.is_empty() {
        text.into_bytes()
    } else if encoded.is_empty() {
        Vec::new()
    } else {
        let clean: Vec<u8> = encoded
            .bytes()
            .filter(|&c| c != b'\r' && c != b'\n')
            .collect();
        match base64::engine::general_purpose::STANDARD.decode(clean) {
            Ok(b) => b,
            // The status line is already out when Albedo finds this.
            Err(_) => b"invalid base64 encoding of response body".to_vec(),
        }
    };
    BackendResponse {
        status,
        headers,
        body,
    }
}

/// The decoded path Go's router sees: query and fragment removed, an
/// absolute URI reduced to its path, `%XX` decoded.
fn request_path(uri: &[u8]) -> String {
    let mut u = uri;
    if let Some(p) = u.windows(3).position(|w| w == b"://") {
        let after = &u[p + 3..];
        u = match after.iter().position(|&c| c == b'/') {
            Some(s) => &after[s..],
            None => b"",
        };
    }
    let end = u
        .iter()
        .position(|&c| c == b'?' || c == b'#')
        .unwrap_or(u.len());
    percent_encoding::percent_decode(&u[..end])
        .decode_utf8_lossy()
        .into_owned()
}

/// A subset of Go's `http.DetectContentType` (WHATWG sniffing) covering
/// what reflected test bodies look like.
pub fn sniff_content_type(body: &[u8]) -> &'static str {
    let data = &body[..body.len().min(512)];
    let ws = |c: &u8| matches!(c, b'\t' | b'\n' | 0x0c | b'\r' | b' ');
    let start = data.iter().position(|c| !ws(c)).unwrap_or(data.len());
    let d = &data[start..];
    const HTML: &[&[u8]] = &[
        b"<!DOCTYPE HTML",
        b"<HTML",
        b"<HEAD",
        b"<SCRIPT",
        b"<IFRAME",
        b"<H1",
        b"<DIV",
        b"<FONT",
        b"<TABLE",
        b"<A",
        b"<STYLE",
        b"<TITLE",
        b"<B",
        b"<BODY",
        b"<BR",
        b"<P",
        b"<!--",
    ];
    for sig in HTML {
        if d.len() > sig.len()
            && d[..sig.len()].eq_ignore_ascii_case(sig)
            && matches!(d[sig.len()], b' ' | b'>')
        {
            return "text/html; charset=utf-8";
        }
    }
    if d.starts_with(b"<?xml") {
        return "text/xml; charset=utf-8";
    }
    if data.starts_with(b"%PDF-") {
        return "application/pdf";
    }
    let binary = data.iter().any(|&c| {
        c <= 0x08 || c == 0x0b || (0x0e..=0x1a).contains(&c) || (0x1c..=0x1f).contains(&c)
    });
    if binary {
        "application/octet-stream"
    } else {
        "text/plain; charset=utf-8"
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        500 => "Internal Server Error",
        _ => "Status",
    }
}

/// Serialises a response for the wire.
pub fn response_bytes(resp: &BackendResponse, keep_alive: bool, head: bool) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 {} {}\r\n", resp.status, reason(resp.status)).into_bytes();
    for (n, v) in &resp.headers {
        out.extend_from_slice(format!("{n}: {v}\r\n").as_bytes());
    }
    out.extend_from_slice(format!("Content-Length: {}\r\n", resp.body.len()).as_bytes());
    if !keep_alive {
        out.extend_from_slice(b"Connection: close\r\n");
    }
    out.extend_from_slice(b"\r\n");
    if !head {
        out.extend_from_slice(&resp.body);
    }
    out
}

/// Largest request the server buffers.
const MAX_REQUEST: usize = 32 << 20;

/// Length of the first complete request in `buf`, if it is all there.
fn complete_len(buf: &[u8]) -> Option<usize> {
    let hdr_end = buf.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let req = parse_request(&buf[..hdr_end]).ok()?;
    let chunked = req.headers.iter().any(|(n, v)| {
        n.eq_ignore_ascii_case(b"transfer-encoding")
            && String::from_utf8_lossy(v)
                .to_ascii_lowercase()
                .contains("chunked")
    });
    if chunked {
        // Complete once the last-chunk and the empty trailer line arrived.
        let body = &buf[hdr_end..];
        return body
            .windows(5)
            .position(|w| w == b"0\r\n\r\n")
            .map(|p| hdr_end + p + 5);
    }
    let cl = req
        .header("content-length")
        .and_then(|v| std::str::from_utf8(v).ok())
        .and_then(|s| s.trim().parse::<usize>().ok())
        .unwrap_or(0);
    let total = hdr_end.checked_add(cl)?;
    (buf.len() >= total).then_some(total)
}

async fn handle(mut stream: TcpStream) -> std::io::Result<()> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 16384];
    loop {
        let n = match complete_len(&buf) {
            Some(n) => n,
            None => {
                if buf.len() > MAX_REQUEST {
                    return Ok(());
                }
                let r = stream.read(&mut chunk).await?;
                if r == 0 {
                    return Ok(());
                }
                buf.extend_from_slice(&chunk[..r]);
                continue;
            }
        };
        let raw: Vec<u8> = buf.drain(..n).collect();
        let req = match parse_request(&raw) {
            Ok(r) => r,
            Err(_) => {
                stream
                    .write_all(&response_bytes(&plain(400, "Bad Request"), false, false))
                    .await?;
                return Ok(());
            }
        };
        let resp = respond(&req, DefaultContentType::Sniff);
        let conn = req
            .header("connection")
            .map(|v| String::from_utf8_lossy(v).to_ascii_lowercase())
            .unwrap_or_default();
        let keep_alive = req.version == b"HTTP/1.1" && !conn.contains("close")
            || req.version == b"HTTP/1.0" && conn.contains("keep-alive");
        let head = req.method == b"HEAD";
        stream
            .write_all(&response_bytes(&resp, keep_alive, head))
            .await?;
        if !keep_alive {
            return Ok(());
        }
    }
}

/// Serves Albedo's behaviour on `listener` until the task is dropped.
pub async fn serve(listener: TcpListener) -> std::io::Result<()> {
    loop {
        let (stream, _peer): (TcpStream, SocketAddr) = listener.accept().await?;
        tokio::spawn(async move {
            let _ = handle(stream).await;
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(method: &str, uri: &str, body: &str) -> ParsedRequest {
        ParsedRequest {
            method: method.into(),
            uri: uri.into(),
            version: b"HTTP/1.1".to_vec(),
            headers: Vec::new(),
            body: body.into(),
        }
    }

    #[test]
    fn default_routes_are_empty_200() {
        for (m, u) in [
            ("GET", "/"),
            ("GET", "/reflect"),
            ("POST", "/post"),
            ("GET", "*"),
        ] {
            let r = respond(&req(m, u, ""), DefaultContentType::TextPlain);
            assert_eq!(
                (r.status, r.body.len(), r.headers.len()),
                (200, 0, 0),
                "{m} {u}"
            );
        }
    }

    #[test]
    fn reflect_body_status_headers() {
        let r = respond(
            &req(
                "POST",
                "/reflect?x=1",
                r#"{"Body":"hello","status":404,"headers":{"X-A":"b"}}"#,
            ),
            DefaultContentType::TextPlain,
        );
        assert_eq!(r.status, 404);
        assert_eq!(r.body, b"hello");
        assert_eq!(
            r.headers,
            vec![
                ("X-A".into(), "b".into()),
                ("Content-Type".into(), "text/plain".into())
            ]
        );
        let r = respond(
            &req(
                "POST",
                "http://localhost/reflect/x",
                r#"{"encodedBody":"PGh0bWw+"}"#,
            ),
            DefaultContentType::Sniff,
        );
        assert_eq!(r.body, b"<html>");
        assert_eq!(r.headers[0].1, "text/html; charset=utf-8");
        let r = respond(
            &req(
                "POST",
                "/reflect",
                r#"{"body":"x","headers":{"content-type":"application/json"}}"#,
            ),
            DefaultContentType::Sniff,
        );
        assert_eq!(
            r.headers,
            vec![("content-type".into(), "application/json".into())]
        );
    }

    #[test]
    fn reflect_errors() {
        for b in ["not json", "[1]", r#"{"status":"200"}"#, r#"{"body":1}"#] {
            let r = respond(&req("POST", "/reflect", b), DefaultContentType::TextPlain);
            assert_eq!(r.status, 400, "{b}");
            assert_eq!(r.body, b"Invalid JSON in request body");
        }
        let r = respond(
            &req("POST", "/reflect", r#"{"status":700}"#),
            DefaultContentType::TextPlain,
        );
        assert_eq!(
            (r.status, &r.body[..]),
            (400, &b"Invalid status code: 700"[..])
        );
        // Non-spec JSON is a valid (empty) spec.
        let r = respond(
            &req("POST", "/reflect", r#"{"foo":"bar"}"#),
            DefaultContentType::TextPlain,
        );
        assert_eq!((r.status, r.body.len()), (200, 0));
        let r = respond(
            &req("POST", "/reflect", "null"),
            DefaultContentType::TextPlain,
        );
        assert_eq!(r.status, 200);
    }

    #[test]
    fn sniffing() {
        assert_eq!(sniff_content_type(b"  <HTML>x"), "text/html; charset=utf-8");
        assert_eq!(
            sniff_content_type(b"<p class=x>"),
            "text/html; charset=utf-8"
        );
        assert_eq!(sniff_content_type(b"<pre>"), "text/plain; charset=utf-8");
        assert_eq!(
            sniff_content_type(b"<?xml version"),
            "text/xml; charset=utf-8"
        );
        assert_eq!(sniff_content_type(b"a\x01b"), "application/octet-stream");
        assert_eq!(
            sniff_content_type(b"SQL error"),
            "text/plain; charset=utf-8"
        );
    }

    #[test]
    fn framing() {
        assert_eq!(complete_len(b"GET / HTTP/1.1\r\n\r\nGET"), Some(18));
        assert_eq!(
            complete_len(b"POST / HTTP/1.1\r\nContent-Length: 3\r\n\r\nab"),
            None
        );
        assert_eq!(
            complete_len(
                b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\n\r\n"
            ),
            Some(58)
        );
        let b = response_bytes(&plain(200, "hi"), true, false);
        assert_eq!(b, b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi");
    }

    #[tokio::test]
    async fn serves_over_tcp() {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        let server = tokio::spawn(serve(l));
        let mut s = TcpStream::connect(addr).await.unwrap();
        let body = r#"{"body":"abc"}"#;
        let msg = format!(
            "POST /reflect HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        s.write_all(msg.as_bytes()).await.unwrap();
        let mut out = Vec::new();
        s.read_to_end(&mut out).await.unwrap();
        let out = String::from_utf8(out).unwrap();
        assert!(out.starts_with("HTTP/1.1 200 OK\r\n"), "{out}");
        assert!(out.ends_with("\r\n\r\nabc"), "{out}");
        server.abort();
    }
}
