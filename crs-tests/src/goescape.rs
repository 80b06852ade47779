//! The few Go standard-library string functions whose exact behaviour
//! decides the bytes go-ftw sends: `url.QueryUnescape`, `url.QueryEscape`
//! and `textproto.CanonicalMIMEHeaderKey`.

/// `url.QueryUnescape`: `%XX` decodes, `+` becomes a space; `None` when a
/// `%` is not followed by two hex digits (Go returns an error).
pub fn query_unescape(s: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        match s[i] {
            b'%' => {
                let hi = s.get(i + 1).copied().and_then(hex_val)?;
                let lo = s.get(i + 2).copied().and_then(hex_val)?;
                out.push(hi << 4 | lo);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    Some(out)
}

/// `url.QueryEscape`: everything but ASCII letters, digits and `-_.~` is
/// `%XX`-escaped (upper-case hex); a space becomes `+`.
pub fn query_escape(s: &[u8]) -> Vec<u8> {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = Vec::with_capacity(s.len());
    for &c in s {
        if c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.' | b'~') {
            out.push(c);
        } else if c == b' ' {
            out.push(b'+');
        } else {
            out.push(b'%');
            out.push(HEX[usize::from(c >> 4)]);
            out.push(HEX[usize::from(c & 15)]);
        }
    }
    out
}

fn hex_val(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// `textproto.CanonicalMIMEHeaderKey`: `content-type` -> `Content-Type`;
/// a name holding any byte that is not an RFC 7230 token character (a
/// space, say) is returned unchanged.
pub fn canonical_header_key(name: &str) -> String {
    let is_token = |c: u8| c.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&c);
    if !name.bytes().all(is_token) {
        return name.to_string();
    }
    let mut out = String::with_capacity(name.len());
    let mut upper = true;
    for c in name.chars() {
        out.push(if upper {
            c.to_ascii_uppercase()
        } else {
            c.to_ascii_lowercase()
        });
        upper = c == '-';
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unescape_like_go() {
        assert_eq!(query_unescape(b"a%41+b").unwrap(), b"aA b");
        assert_eq!(query_unescape(b"plain").unwrap(), b"plain");
        assert_eq!(query_unescape(b"%zz"), None);
        assert_eq!(query_unescape(b"50%"), None);
        assert_eq!(query_unescape(b"%4"), None);
        assert_eq!(query_unescape(b"%c3%A9").unwrap(), "é".as_bytes());
    }

    #[test]
    fn escape_like_go() {
        assert_eq!(query_escape(b"a b&c=d/e?f"), b"a+b%26c%3Dd%2Fe%3Ff");
        assert_eq!(query_escape(b"-_.~AZaz09"), b"-_.~AZaz09");
        assert_eq!(query_escape("é'\"<".as_bytes()), b"%C3%A9%27%22%3C");
        assert_eq!(query_escape(b"*!()"), b"%2A%21%28%29");
    }

    #[test]
    fn canonical_keys() {
        assert_eq!(canonical_header_key("content-TYPE"), "Content-Type");
        assert_eq!(canonical_header_key("x_foo-bar"), "X_foo-Bar");
        assert_eq!(canonical_header_key("bad name"), "bad name");
        assert_eq!(canonical_header_key(""), "");
    }
}
