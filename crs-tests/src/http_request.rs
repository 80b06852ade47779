//! A tolerant HTTP/1.x request parser: raw bytes in, the request line,
//! headers (in order, repeated names kept) and the de-framed body out.
//!
//! It plays the web server's part for the in-process run, so it accepts
//! what Apache httpd passes on to ModSecurity rather than what RFC 9112
//! allows: odd methods, URIs and versions are kept verbatim, lines without
//! a colon are skipped, folded lines are joined, and a chunked body is
//! de-chunked with `Content-Length` removed (Apache does this, which is why
//! 920181-1 expects no alert).

/// A parsed request.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ParsedRequest {
    /// Method, verbatim.
    pub method: Vec<u8>,
    /// Request target, verbatim.
    pub uri: Vec<u8>,
    /// Protocol, verbatim (empty for an HTTP/0.9 simple request).
    pub version: Vec<u8>,
    /// Header fields in arrival order.
    pub headers: Vec<(Vec<u8>, Vec<u8>)>,
    /// The body after de-chunking.
    pub body: Vec<u8>,
}

impl ParsedRequest {
    /// The request line has no protocol: an HTTP/0.9 simple request, which
    /// a server answers without a status line.
    pub fn is_http09(&self) -> bool {
        self.version.is_empty()
    }

    /// First value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&[u8]> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name.as_bytes()))
            .map(|(_, v)| v.as_slice())
    }
}

/// Why bytes could not be read as a request at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseError {
    /// No request line.
    Empty,
    /// The header block never ends (no empty line).
    UnterminatedHeaders,
    /// A chunk size line is not hexadecimal.
    BadChunk,
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ParseError::Empty => "empty request",
            ParseError::UnterminatedHeaders => "header block does not end with an empty line",
            ParseError::BadChunk => "invalid chunk size in chunked body",
        })
    }
}

impl std::error::Error for ParseError {}

/// Largest body accepted (bounds memory; CRS bodies stay under 100 KiB).
const MAX_BODY: usize = 64 << 20;

/// Parses one request from `raw`. Bytes after the request (a pipelined
/// second request) are ignored.
pub fn parse_request(raw: &[u8]) -> Result<ParsedRequest, ParseError> {
    let mut lines = LineReader { buf: raw, pos: 0 };
    // Servers skip empty lines before the request line.
    let line = loop {
        match lines.next_line() {
            None => return Err(ParseError::Empty),
            Some([]) => continue,
            Some(l) => break l,
        }
    };
    let mut req = ParsedRequest::default();
    let (method, uri, version) = split_request_line(line);
    req.method = method.to_vec();
    req.uri = uri.to_vec();
    req.version = version.to_vec();
    if req.is_http09() {
        // A simple request has no headers and no body.
        return Ok(req);
    }
    loop {
        let Some(line) = lines.next_line() else {
            return Err(ParseError::UnterminatedHeaders);
        };
        if line.is_empty() {
            break;
        }
        if matches!(line.first(), Some(b' ' | b'\t')) {
            // Obsolete line folding: continue the previous value.
            if let Some((_, v)) = req.headers.last_mut() {
                let cont = trim(line);
                if !cont.is_empty() {
                    v.push(b' ');
                    v.extend_from_slice(cont);
                }
            }
            continue;
        }
        let Some(colon) = line.iter().position(|&c| c == b':') else {
            continue;
        };
        let name = trim_end(&line[..colon]);
        req.headers
            .push((name.to_vec(), trim(&line[colon + 1..]).to_vec()));
    }
    let rest = &raw[lines.pos.min(raw.len())..];
    let chunked = req
        .headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case(b"transfer-encoding"))
        .any(|(_, v)| {
            String::from_utf8_lossy(v)
                .to_ascii_lowercase()
                .contains("chunked")
        });
    if chunked {
        req.body = dechunk(rest)?;
        req.headers
            .retain(|(n, _)| !n.eq_ignore_ascii_case(b"content-length"));
    } else if let Some(cl) = req.header("content-length") {
        let cl = std::str::from_utf8(cl)
            .ok()
            .and_then(|s| s.trim().parse::<usize>().ok());
        // An invalid length gets a 400 from a real server; here the body is
        // simply not read.
        if let Some(n) = cl {
            req.body = rest[..n.min(rest.len()).min(MAX_BODY)].to_vec();
        }
    }
    Ok(req)
}

/// Splits `METHOD SP URI SP VERSION` leniently: leading blanks are skipped,
/// the method ends at the first blank, the version is what follows the
/// last blank, and the URI is everything between (spaces included). With
/// a single blank-separated word after the method there is no version.
fn split_request_line(line: &[u8]) -> (&[u8], &[u8], &[u8]) {
    let blank = |c: &u8| *c == b' ' || *c == b'\t';
    let line = trim_end(trim_start(line));
    let m_end = line.iter().position(blank).unwrap_or(line.len());
    let method = &line[..m_end];
    let rest = trim_start(&line[m_end..]);
    match rest.iter().rposition(blank) {
        Some(last) => (method, trim_end(&rest[..last]), &rest[last + 1..]),
        None => (method, rest, b""),
    }
}

fn dechunk(mut rest: &[u8]) -> Result<Vec<u8>, ParseError> {
    let mut body = Vec::new();
    loop {
        let nl = match rest.iter().position(|&c| c == b'\n') {
            Some(p) => p,
            // A truncated chunked body: keep what arrived.
            None => return Ok(body),
        };
        let line = &rest[..nl];
        let size_line = trim(line.strip_suffix(b"\r").unwrap_or(line));
        let size_hex = size_line
            .split(|&c| c == b';')
            .next()
            .map(trim)
            .unwrap_or_default();
        let size = std::str::from_utf8(size_hex)
            .ok()
            .and_then(|s| usize::from_str_radix(s, 16).ok())
            .ok_or(ParseError::BadChunk)?;
        rest = &rest[nl + 1..];
        if size == 0 {
            return Ok(body);
        }
        let take = size.min(rest.len());
        if body.len() + take > MAX_BODY {
            return Err(ParseError::BadChunk);
        }
        body.extend_from_slice(&rest[..take]);
        rest = &rest[take..];
        // Skip the CRLF after the chunk data.
        if rest.starts_with(b"\r\n") {
            rest = &rest[2..];
        } else if rest.starts_with(b"\n") {
            rest = &rest[1..];
        }
    }
}

struct LineReader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> LineReader<'a> {
    /// Next line without its LF or CRLF; `None` when no full line is left.
    fn next_line(&mut self) -> Option<&'a [u8]> {
        let rest = self.buf.get(self.pos..)?;
        let nl = rest.iter().position(|&c| c == b'\n')?;
        self.pos += nl + 1;
        let line = &rest[..nl];
        Some(line.strip_suffix(b"\r").unwrap_or(line))
    }
}

fn trim_start(s: &[u8]) -> &[u8] {
    let start = s
        .iter()
        .position(|c| *c != b' ' && *c != b'\t')
        .unwrap_or(s.len());
    &s[start..]
}

fn trim_end(s: &[u8]) -> &[u8] {
    let end = s
        .iter()
        .rposition(|c| *c != b' ' && *c != b'\t')
        .map_or(0, |p| p + 1);
    &s[..end]
}

fn trim(s: &[u8]) -> &[u8] {
    trim_end(trim_start(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(r: &ParsedRequest) -> Vec<(String, String)> {
        r.headers
            .iter()
            .map(|(a, b)| {
                (
                    String::from_utf8_lossy(a).into_owned(),
                    String::from_utf8_lossy(b).into_owned(),
                )
            })
            .collect()
    }

    #[test]
    fn simple_post() {
        let r = parse_request(
            b"POST /p?a=1 HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nX:  v \r\n\r\nabcdef",
        )
        .unwrap();
        assert_eq!(r.method, b"POST");
        assert_eq!(r.uri, b"/p?a=1");
        assert_eq!(r.version, b"HTTP/1.1");
        assert_eq!(
            h(&r),
            vec![
                ("Host".into(), "x".into()),
                ("Content-Length".into(), "3".into()),
                ("X".into(), "v".into())
            ]
        );
        assert_eq!(r.body, b"abc");
    }

    #[test]
    fn odd_request_lines() {
        let r = parse_request(b"\tGET /get HTTP/1.1\r\n\r\n").unwrap();
        assert_eq!((&r.method[..], &r.uri[..]), (&b"GET"[..], &b"/get"[..]));
        let r = parse_request(b"GET * JUNK/1.0\r\n\r\n").unwrap();
        assert_eq!((&r.uri[..], &r.version[..]), (&b"*"[..], &b"JUNK/1.0"[..]));
        let r = parse_request(b"GET / \r\nHost: x\r\n\r\n").unwrap();
        assert!(r.is_http09());
        assert!(r.headers.is_empty());
        let r = parse_request(b"\r\nGET /a b  HTTP/1.1\r\n\r\n").unwrap();
        assert_eq!(
            (&r.uri[..], &r.version[..]),
            (&b"/a b"[..], &b"HTTP/1.1"[..])
        );
        assert_eq!(parse_request(b""), Err(ParseError::Empty));
        assert_eq!(
            parse_request(b"GET / HTTP/1.1\r\nHost: x\r\n"),
            Err(ParseError::UnterminatedHeaders)
        );
    }

    #[test]
    fn empty_and_odd_headers() {
        let r = parse_request(
            b"GET / HTTP/1.0\r\nHost:\r\nx_y.z: 1\r\nnocolon\r\nA: 1\r\n  2\r\nA: 3\r\n\r\n",
        )
        .unwrap();
        assert_eq!(
            h(&r),
            vec![
                ("Host".into(), "".into()),
                ("x_y.z".into(), "1".into()),
                ("A".into(), "1 2".into()),
                ("A".into(), "3".into())
            ]
        );
        assert_eq!(r.header("a"), Some(&b"1 2"[..]));
    }

    #[test]
    fn chunked_body_drops_content_length() {
        let r = parse_request(
            b"POST / HTTP/1.1\r\nContent-Length: 7\r\nTransfer-Encoding: chunked\r\n\r\n7\r\nfoo=bar\r\n0\r\n\r\n",
        )
        .unwrap();
        assert_eq!(r.body, b"foo=bar");
        assert_eq!(h(&r), vec![("Transfer-Encoding".into(), "chunked".into())]);
        let r = parse_request(
            b"GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nHi \r\n3;x=y\r\nCRS\r\n0\r\n\r\n",
        )
        .unwrap();
        assert_eq!(r.body, b"Hi CRS");
        assert_eq!(
            parse_request(b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"),
            Err(ParseError::BadChunk)
        );
    }

    #[test]
    fn bad_or_short_content_length() {
        let r = parse_request(b"POST / HTTP/1.1\r\nContent-Length: 3x\r\n\r\nabc").unwrap();
        assert!(r.body.is_empty());
        let r = parse_request(b"POST / HTTP/1.1\r\nContent-Length: 99\r\n\r\nabc").unwrap();
        assert_eq!(r.body, b"abc");
        let r = parse_request(b"POST / HTTP/1.1\r\nHost: x\r\n\r\nabc").unwrap();
        assert!(r.body.is_empty());
    }

    #[test]
    fn lf_only_lines() {
        let r = parse_request(b"GET /x HTTP/1.1\nHost: a\n\n").unwrap();
        assert_eq!(r.uri, b"/x");
        assert_eq!(h(&r), vec![("Host".into(), "a".into())]);
    }
}
