//! The raw request bytes go-ftw 2.3.0 sends for a stage's `input`.
//!
//! Every quirk matters because the WAF sees exactly these bytes: headers go
//! out in the order the loader produced (the YAML map sorted by name),
//! `Content-Type`, `Connection` and `Content-Length` are added when
//! autocompleting, form bodies that do not look escaped are re-escaped
//! pair by pair, and multipart bodies get their LFs turned into CRLFs.

use base64::Engine as _;

use crate::goescape::{canonical_header_key, query_escape, query_unescape};
use crate::gotemplate;
use crate::schema::Input;

/// The bytes of one request, plus anything odd that happened building them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuiltRequest {
    /// What goes on the wire.
    pub bytes: Vec<u8>,
    /// The `data` template failed (go-ftw then sends no body).
    pub template_error: Option<String>,
}

/// Builds the request for `input`. Errors are what go-ftw refuses to send
/// (bad base64 in `encoded_request`, `data` together with `encoded_request`).
pub fn build_request(input: &Input) -> Result<BuiltRequest, String> {
    if !input.encoded_request.is_empty() {
        if input.data.as_deref().is_some_and(|d| !d.is_empty()) {
            return Err("'data' and 'encoded_request' must not be set simultaneously".into());
        }
        return Ok(BuiltRequest {
            bytes: decode_base64(&input.encoded_request)
                .map_err(|e| format!("encoded_request: {e}"))?,
            template_error: None,
        });
    }
    let mut template_error = None;
    let data: Vec<u8> = match (&input.data, &input.encoded_data) {
        (Some(d), _) => match gotemplate::render(d) {
            Ok(s) => s.into_bytes(),
            Err(e) => {
                template_error = Some(e);
                Vec::new()
            }
        },
        (None, Some(e)) => decode_base64(e).unwrap_or_default(),
        (None, None) => Vec::new(),
    };
    let mut headers = Headers(input.headers.clone());
    Ok(BuiltRequest {
        bytes: assemble(
            input.method(),
            input.uri(),
            input.version(),
            &mut headers,
            data,
            input.autocomplete_headers,
        ),
        template_error,
    })
}

/// go-ftw's log-marker request: `GET /status/200` carrying
/// `<header_name>: <marker>`, sent before and after each stage.
pub fn marker_request(host: &str, header_name: &str, marker: &str) -> Vec<u8> {
    let mut headers = Headers(vec![
        ("Accept".into(), "*/*".into()),
        ("User-Agent".into(), "go-ftw test agent".into()),
        ("Host".into(), host.into()),
        (header_name.into(), marker.into()),
    ]);
    assemble(
        "GET",
        "/status/200",
        "HTTP/1.1",
        &mut headers,
        Vec::new(),
        true,
    )
}

/// Go's `base64.StdEncoding.DecodeString`, which skips CR and LF (some
/// CRS `encoded_request` values are wrapped over lines).
pub fn decode_base64(s: &str) -> Result<Vec<u8>, String> {
    let clean: Vec<u8> = s.bytes().filter(|&c| c != b'\r' && c != b'\n').collect();
    base64::engine::general_purpose::STANDARD
        .decode(clean)
        .map_err(|e| format!("invalid base64: {e}"))
}

/// An ordered header list with go-ftw's canonical-name lookups.
struct Headers(Vec<(String, String)>);

impl Headers {
    fn has(&self, name: &str) -> bool {
        let key = canonical_header_key(name);
        self.0.iter().any(|(n, _)| canonical_header_key(n) == key)
    }
    fn any_value(&self, name: &str, pred: impl Fn(&str) -> bool) -> bool {
        let key = canonical_header_key(name);
        self.0
            .iter()
            .any(|(n, v)| canonical_header_key(n) == key && pred(v))
    }
    fn add(&mut self, name: &str, value: &str) {
        self.0.push((name.to_string(), value.to_string()));
    }
}

const FORM: &str = "application/x-www-form-urlencoded";

fn assemble(
    method: &str,
    uri: &str,
    version: &str,
    headers: &mut Headers,
    mut data: Vec<u8>,
    autocomplete: bool,
) -> Vec<u8> {
    if !data.is_empty() && autocomplete {
        if !headers.has("Content-Type") {
            headers.add("Content-Type", FORM);
        }
        if headers.any_value("Content-Type", |v| v.eq_ignore_ascii_case(FORM)) {
            data = encode_form_data(data);
        }
    }
    if headers.any_value("Content-Type", |v| {
        v.to_lowercase().contains("multipart/form-data;")
    }) {
        data = lf_to_crlf(&data);
    }
    if autocomplete {
        if !headers.has("Connection") {
            headers.add("Connection", "close");
        }
        if !headers.has("Content-Length") && (!data.is_empty() || method_may_have_body(method)) {
            headers.add("Content-Length", &data.len().to_string());
        }
    }
    let mut out = Vec::with_capacity(64 + data.len());
    out.extend_from_slice(format!("{method} {uri} {version}\r\n").as_bytes());
    for (n, v) in &headers.0 {
        out.extend_from_slice(n.as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(v.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(&data);
    out
}

/// go-ftw's `^POST|PUT|PATCH|DELETE$`: Go reads it as four alternatives,
/// so `POSTX`, `XPUTX` and `XDELETE` match too.
fn method_may_have_body(m: &str) -> bool {
    m.starts_with("POST") || m.contains("PUT") || m.contains("PATCH") || m.ends_with("DELETE")
}

/// Re-escapes a form body that `QueryUnescape` leaves unchanged: split on
/// `&`, then on the first `=`, escape each side. A trailing `&` is lost.
fn encode_form_data(data: Vec<u8>) -> Vec<u8> {
    if query_unescape(&data).as_deref() != Some(&data[..]) {
        return data;
    }
    let mut out = Vec::with_capacity(data.len() * 2);
    for token in data.split(|&c| c == b'&') {
        match token.iter().position(|&c| c == b'=') {
            Some(eq) => {
                out.extend(query_escape(&token[..eq]));
                out.push(b'=');
                out.extend(query_escape(&token[eq + 1..]));
            }
            None => out.extend(query_escape(token)),
        }
        out.push(b'&');
    }
    // Go's loop emits one `&` per token and never sees an empty last token
    // after a trailing `&`; `split` does, so drop it and the final `&`.
    if data.ends_with(b"&") {
        out.pop();
    }
    out.pop();
    out
}

fn lf_to_crlf(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + data.len() / 16);
    for &c in data {
        if c == b'\n' {
            out.push(b'\r');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(headers: &[(&str, &str)]) -> Input {
        Input {
            headers: headers
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect(),
            autocomplete_headers: true,
            ..Input::default()
        }
    }

    fn built(i: &Input) -> String {
        String::from_utf8(build_request(i).unwrap().bytes).unwrap()
    }

    #[test]
    fn get_with_defaults() {
        let i = input(&[("Host", "localhost"), ("User-Agent", "ua")]);
        assert_eq!(
            built(&i),
            "GET / HTTP/1.1\r\nHost: localhost\r\nUser-Agent: ua\r\nConnection: close\r\n\r\n"
        );
    }

    #[test]
    fn post_without_body_gets_content_length_zero() {
        let mut i = input(&[("Host", "h")]);
        i.method = Some("POST".into());
        assert_eq!(
            built(&i),
            "POST / HTTP/1.1\r\nHost: h\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
        );
        // Go's alternation quirk: "XDELETE" matches `DELETE$`, "DELETEX" does not.
        i.method = Some("XDELETE".into());
        assert!(built(&i).contains("Content-Length: 0"));
        i.method = Some("DELETEX".into());
        assert!(!built(&i).contains("Content-Length"));
    }

    #[test]
    fn form_body_is_reencoded_and_content_type_added() {
        let mut i = input(&[("Host", "h")]);
        i.method = Some("POST".into());
        i.data = Some("a=1 2&b=<x>&c&d=e=f&".into());
        assert_eq!(
            built(&i),
            "POST / HTTP/1.1\r\nHost: h\r\nContent-Type: application/x-www-form-urlencoded\r\n\
             Connection: close\r\nContent-Length: 25\r\n\r\na=1+2&b=%3Cx%3E&c&d=e%3Df"
        );
    }

    #[test]
    fn empty_tokens_survive_reencoding() {
        assert_eq!(encode_form_data(b"a&&b".to_vec()), b"a&&b");
        assert_eq!(encode_form_data(b"=".to_vec()), b"=");
        assert_eq!(encode_form_data(b"&".to_vec()), b"");
        assert_eq!(encode_form_data(b"a=b&&".to_vec()), b"a=b&");
    }

    #[test]
    fn escaped_or_unparsable_form_body_is_sent_as_is() {
        let mut i = input(&[("Content-Type", "Application/X-WWW-Form-Urlencoded")]);
        i.data = Some("a=%3C&b=c d".into());
        assert!(built(&i).ends_with("\r\n\r\na=%3C&b=c d"));
        i.data = Some("a=+".into());
        assert!(built(&i).ends_with("\r\n\r\na=+"));
        // Bad escape: QueryUnescape fails, so the body is left alone.
        i.data = Some("a=%zz<".into());
        assert!(built(&i).ends_with("\r\n\r\na=%zz<"));
        // Case-insensitive match on the content type, whole value only.
        let mut j = input(&[(
            "content-type",
            "application/x-www-form-urlencoded; charset=utf-8",
        )]);
        j.data = Some("a=<".into());
        assert!(built(&j).ends_with("\r\n\r\na=<"));
    }

    #[test]
    fn no_autocomplete_sends_exactly_what_is_given() {
        let mut i = input(&[("Content-Length", "7"), ("Transfer-Encoding", "chunked")]);
        i.autocomplete_headers = false;
        i.method = Some("POST".into());
        i.data = Some("7\r\nfoo=bar\r\n0\r\n\r\n".into());
        assert_eq!(
            built(&i),
            "POST / HTTP/1.1\r\nContent-Length: 7\r\nTransfer-Encoding: chunked\r\n\r\n7\r\nfoo=bar\r\n0\r\n\r\n"
        );
    }

    #[test]
    fn multipart_lf_becomes_crlf_even_without_autocomplete() {
        let mut i = input(&[("Content-Type", "multipart/form-data; boundary=x")]);
        i.autocomplete_headers = false;
        i.data = Some("--x\nA: b\r\n\n--x--\n".into());
        assert!(built(&i).ends_with("\r\n\r\n--x\r\nA: b\r\r\n\r\n--x--\r\n"));
        // Without the `;` there is no conversion.
        let mut j = input(&[("Content-Type", "multipart/form-data")]);
        j.data = Some("a\nb".into());
        assert!(built(&j).ends_with("\r\n\r\na\nb"));
    }

    #[test]
    fn content_length_counts_final_body_and_existing_one_is_kept() {
        let mut i = input(&[("Content-Type", "multipart/form-data; boundary=x")]);
        i.data = Some("a\nb".into());
        assert!(built(&i).contains("Content-Length: 4\r\n"));
        let mut j = input(&[("content-length", "99")]);
        j.data = Some("x=1".into());
        let s = built(&j);
        assert!(s.contains("content-length: 99\r\n") && !s.contains("Content-Length"));
    }

    #[test]
    fn verbatim_request_line() {
        let mut i = input(&[]);
        i.method = Some("\tGET".into());
        i.uri = Some("*".into());
        i.version = Some(String::new());
        assert_eq!(built(&i), "\tGET * \r\nConnection: close\r\n\r\n");
    }

    #[test]
    fn template_body_and_template_error() {
        let mut i = input(&[]);
        i.method = Some("POST".into());
        i.data = Some("{{ \"1\" | repeat 3 }}\n".into());
        // "111\n" is unchanged by QueryUnescape, so it is re-escaped.
        assert!(built(&i).ends_with("Content-Length: 6\r\n\r\n111%0A"));
        i.data = Some("{{ 7*7 }}".into());
        let b = build_request(&i).unwrap();
        assert!(b.template_error.is_some());
        assert!(String::from_utf8(b.bytes)
            .unwrap()
            .ends_with("Content-Length: 0\r\n\r\n"));
    }

    #[test]
    fn encoded_request_with_line_breaks() {
        let mut i = input(&[]);
        i.encoded_request = "R0VUIC8g\nSFRUUC8xLjANCkhvc3Q6DQoNCg==".into();
        assert_eq!(built(&i), "GET / HTTP/1.0\r\nHost:\r\n\r\n");
        i.data = Some("x".into());
        assert!(build_request(&i).is_err());
        i.data = None;
        i.encoded_request = "!!".into();
        assert!(build_request(&i).is_err());
    }

    #[test]
    fn marker() {
        assert_eq!(
            String::from_utf8(marker_request("localhost", "X-CRS-Test", "1-2-u-s")).unwrap(),
            "GET /status/200 HTTP/1.1\r\nAccept: */*\r\nUser-Agent: go-ftw test agent\r\n\
             Host: localhost\r\nX-CRS-Test: 1-2-u-s\r\nConnection: close\r\n\r\n"
        );
    }
}
