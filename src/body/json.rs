//! JSON request bodies, flattened into ARGS_POST the way Coraza names them.
//!
//! - object members: `json.<key>`, nested `json.a.b`;
//! - array elements: `json.a.0`, `json.a.1`, ...; the array itself gets
//!   `json.a` = its element count (only when it has elements);
//! - strings are unescaped, numbers keep their source text (`1.50e3`),
//!   booleans are `true` / `false`, `null` is the empty string;
//! - empty objects and arrays produce nothing;
//! - a top-level scalar is treated as a one-element array: `json.0` = value
//!   and `json` = `1` (a top-level `null` produces nothing).
//!
//! The parser is a small iterative tokenizer with an explicit container stack,
//! so nesting depth costs heap, never call stack: a 10,000-deep document is
//! rejected by `json_depth_limit` (ModSecurity/Coraza: more than that many
//! nested containers is an error) without any risk of overflow. On any error
//! the pairs extracted so far are kept (best-effort inspection, as Coraza
//! does) and [`BodyOutput::error`] says what went wrong and where.
//!
//! Bounds: at most `arguments_limit` pairs (ModSecurity cancels the JSON
//! parse when `SecArgumentsLimit` is reached, which is a body error), and at
//! most [`output_bytes_cap`] bytes of flattened names and values, because
//! long key paths repeated over many array elements could otherwise grow the
//! output quadratically in the body size.

use super::{BodyLimits, BodyOutput, Pair};

/// Upper bound on the total size of flattened names + values for a body of
/// `body_len` bytes: generous for real documents (paths repeat for every
/// array element), but linear in the input.
pub fn output_bytes_cap(body_len: usize) -> usize {
    body_len.saturating_mul(32).saturating_add(1 << 20)
}

/// Parses a JSON request body into flattened ARGS_POST pairs.
pub fn process(body: &[u8], limits: &BodyLimits) -> BodyOutput {
    let mut parser = Parser {
        input: body,
        pos: 0,
        path: b"json".to_vec(),
        stack: Vec::new(),
        out: Vec::new(),
        out_bytes: 0,
        limits,
        cap: output_bytes_cap(body.len()),
    };
    let error = parser.run().err();
    BodyOutput {
        args: parser.out,
        error: error.map(|e| format!("JSON parsing error: {e}")),
        ..BodyOutput::default()
    }
}

/// An open container: the length of its own path (to truncate back to) and,
/// for arrays, how many elements are complete.
#[derive(Clone, Copy)]
enum Frame {
    Object { path_len: usize },
    Array { path_len: usize, count: u64 },
}

struct Parser<'a> {
    input: &'a [u8],
    pos: usize,
    /// Name of the value being parsed (`json.a.0.b`).
    path: Vec<u8>,
    stack: Vec<Frame>,
    out: Vec<Pair>,
    out_bytes: usize,
    limits: &'a BodyLimits,
    cap: usize,
}

/// A scalar value already decoded to its ARGS representation.
enum Scalar {
    Value(Vec<u8>),
    Null,
}

impl Parser<'_> {
    fn run(&mut self) -> Result<(), String> {
        // A UTF-8 byte order mark is tolerated, like most JSON decoders.
        if self.input.starts_with(b"\xEF\xBB\xBF") {
            self.pos = 3;
        }
        self.skip_ws();
        match self.peek() {
            None => return Err("empty body".into()),
            Some(b'{') | Some(b'[') => self.parse_document()?,
            Some(_) => {
                // Coraza treats a top-level scalar as element 0 of an array.
                self.path.extend_from_slice(b".0");
                let scalar = self.parse_scalar()?;
                if let Scalar::Value(v) = scalar {
                    self.emit(v)?;
                    self.path.truncate(4);
                    self.emit(b"1".to_vec())?;
                }
            }
        }
        self.skip_ws();
        if self.pos < self.input.len() {
            return Err(format!(
                "unexpected data after the document at byte {}",
                self.pos
            ));
        }
        Ok(())
    }

    /// Parses a document whose root is an object or array, iteratively.
    fn parse_document(&mut self) -> Result<(), String> {
        // `true` = a value is expected at `pos` (named by `path`);
        // `false` = a value just ended and its container decides what's next.
        let mut want_value = true;
        loop {
            if want_value {
                self.skip_ws();
                match self.peek() {
                    Some(b'{') => {
                        self.open(Frame::Object {
                            path_len: self.path.len(),
                        })?;
                        self.skip_ws();
                        if self.peek() == Some(b'}') {
                            self.pos += 1;
                            self.stack.pop();
                            want_value = false;
                        } else {
                            self.member_name()?;
                        }
                    }
                    Some(b'[') => {
                        self.open(Frame::Array {
                            path_len: self.path.len(),
                            count: 0,
                        })?;
                        self.skip_ws();
                        if self.peek() == Some(b']') {
                            self.pos += 1;
                            self.stack.pop();
                            want_value = false;
                        } else {
                            self.path.extend_from_slice(b".0");
                        }
                    }
                    _ => {
                        let scalar = self.parse_scalar()?;
                        let value = match scalar {
                            Scalar::Value(v) => v,
                            Scalar::Null => Vec::new(),
                        };
                        self.emit(value)?;
                        want_value = false;
                    }
                }
                continue;
            }

            // A value is complete: go back to its container.
            self.skip_ws();
            let next = self.peek();
            let Some(frame) = self.stack.last_mut() else {
                return Ok(());
            };
            match frame {
                Frame::Object { path_len } => {
                    let path_len = *path_len;
                    self.path.truncate(path_len);
                    match next {
                        Some(b',') => {
                            self.pos += 1;
                            self.skip_ws();
                            self.member_name()?;
                            want_value = true;
                        }
                        Some(b'}') => {
                            self.pos += 1;
                            self.stack.pop();
                        }
                        _ => return Err(self.unexpected("',' or '}'")),
                    }
                }
                Frame::Array { path_len, count } => {
                    *count += 1;
                    let (path_len, count) = (*path_len, *count);
                    self.path.truncate(path_len);
                    match next {
                        Some(b',') => {
                            self.pos += 1;
                            self.path.push(b'.');
                            self.path.extend_from_slice(count.to_string().as_bytes());
                            want_value = true;
                        }
                        Some(b']') => {
                            self.pos += 1;
                            self.stack.pop();
                            // The array itself: its element count.
                            self.emit(count.to_string().into_bytes())?;
                        }
                        _ => return Err(self.unexpected("',' or ']'")),
                    }
                }
            }
        }
    }

    /// Pushes a container, enforcing the depth limit.
    fn open(&mut self, frame: Frame) -> Result<(), String> {
        if self.stack.len() >= self.limits.json_depth_limit {
            return Err(format!(
                "nesting depth limit ({}) exceeded at byte {}",
                self.limits.json_depth_limit, self.pos
            ));
        }
        self.pos += 1;
        self.stack.push(frame);
        Ok(())
    }

    /// Parses `"name" :` and appends `.name` to the path.
    fn member_name(&mut self) -> Result<(), String> {
        if self.peek() != Some(b'"') {
            return Err(self.unexpected("a string member name"));
        }
        let name = self.parse_string()?;
        self.skip_ws();
        if self.peek() != Some(b':') {
            return Err(self.unexpected("':'"));
        }
        self.pos += 1;
        self.path.push(b'.');
        self.path.extend_from_slice(&name);
        Ok(())
    }

    fn parse_scalar(&mut self) -> Result<Scalar, String> {
        match self.peek() {
            Some(b'"') => self.parse_string().map(Scalar::Value),
            Some(b't') => self
                .literal(b"true")
                .map(|_| Scalar::Value(b"true".to_vec())),
            Some(b'f') => self
                .literal(b"false")
                .map(|_| Scalar::Value(b"false".to_vec())),
            Some(b'n') => self.literal(b"null").map(|_| Scalar::Null),
            Some(b'-' | b'0'..=b'9') => self.parse_number().map(Scalar::Value),
            _ => Err(self.unexpected("a value")),
        }
    }

    fn literal(&mut self, word: &[u8]) -> Result<(), String> {
        if self.input[self.pos..].starts_with(word) {
            self.pos += word.len();
            Ok(())
        } else {
            Err(self.unexpected("a literal (true, false, null)"))
        }
    }

    /// Validates a number per RFC 8259 and returns its source text.
    fn parse_number(&mut self) -> Result<Vec<u8>, String> {
        let start = self.pos;
        let digits = |p: &mut Self| {
            let s = p.pos;
            while matches!(p.peek(), Some(b'0'..=b'9')) {
                p.pos += 1;
            }
            p.pos - s
        };
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => {
                digits(self);
            }
            _ => return Err(self.unexpected("a digit")),
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if digits(self) == 0 {
                return Err(self.unexpected("a digit after '.'"));
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if digits(self) == 0 {
                return Err(self.unexpected("a digit in the exponent"));
            }
        }
        Ok(self.input[start..self.pos].to_vec())
    }

    /// Parses a string starting at its opening quote, unescaping it. Bytes
    /// are kept as they are (invalid UTF-8 is not an error, as in Coraza);
    /// raw control characters are.
    fn parse_string(&mut self) -> Result<Vec<u8>, String> {
        self.pos += 1; // opening quote
        let mut out = Vec::new();
        loop {
            let rest = &self.input[self.pos..];
            let Some(i) = memchr::memchr2(b'"', b'\\', rest) else {
                return Err(format!("unterminated string at byte {}", self.pos));
            };
            let chunk = &rest[..i];
            if let Some(c) = chunk.iter().position(|&b| b < 0x20) {
                return Err(format!(
                    "control character in string at byte {}",
                    self.pos + c
                ));
            }
            out.extend_from_slice(chunk);
            self.pos += i;
            if rest[i] == b'"' {
                self.pos += 1;
                return Ok(out);
            }
            // Backslash escape.
            let esc = self.input.get(self.pos + 1).copied();
            self.pos += 2;
            match esc {
                Some(b'"') => out.push(b'"'),
                Some(b'\\') => out.push(b'\\'),
                Some(b'/') => out.push(b'/'),
                Some(b'b') => out.push(0x08),
                Some(b'f') => out.push(0x0c),
                Some(b'n') => out.push(b'\n'),
                Some(b'r') => out.push(b'\r'),
                Some(b't') => out.push(b'\t'),
                Some(b'u') => {
                    let c = self.unicode_escape()?;
                    let mut buf = [0u8; 4];
                    out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                }
                _ => {
                    return Err(format!(
                        "invalid escape in string at byte {}",
                        self.pos.saturating_sub(2)
                    ))
                }
            }
        }
    }

    /// Decodes the `XXXX` of a `\uXXXX` (the `\u` already consumed), joining
    /// surrogate pairs; a lone surrogate becomes U+FFFD.
    fn unicode_escape(&mut self) -> Result<char, String> {
        let hi = self.hex4()?;
        if (0xD800..0xDC00).contains(&hi) && self.input[self.pos..].starts_with(b"\\u") {
            let save = self.pos;
            self.pos += 2;
            let lo = self.hex4()?;
            if (0xDC00..0xE000).contains(&lo) {
                let c = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
                return Ok(char::from_u32(c).unwrap_or('\u{FFFD}'));
            }
            // Not a low surrogate: decode it on its own next time round.
            self.pos = save;
        }
        Ok(char::from_u32(hi).unwrap_or('\u{FFFD}'))
    }

    fn hex4(&mut self) -> Result<u32, String> {
        let Some(digits) = self.input.get(self.pos..self.pos + 4) else {
            return Err(format!("truncated \\u escape at byte {}", self.pos));
        };
        let mut v = 0u32;
        for &d in digits {
            let n = match d {
                b'0'..=b'9' => d - b'0',
                b'a'..=b'f' => d - b'a' + 10,
                b'A'..=b'F' => d - b'A' + 10,
                _ => return Err(format!("invalid \\u escape at byte {}", self.pos)),
            };
            v = v << 4 | u32::from(n);
        }
        self.pos += 4;
        Ok(v)
    }

    fn emit(&mut self, value: Vec<u8>) -> Result<(), String> {
        if self.out.len() >= self.limits.arguments_limit {
            return Err(format!(
                "arguments limit ({}) exceeded",
                self.limits.arguments_limit
            ));
        }
        self.out_bytes = self
            .out_bytes
            .saturating_add(self.path.len())
            .saturating_add(value.len());
        if self.out_bytes > self.cap {
            return Err(format!("flattened output exceeds {} bytes", self.cap));
        }
        self.out.push((self.path.clone(), value));
        Ok(())
    }

    fn peek(&self) -> Option<u8> {
        self.input.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn unexpected(&self, expected: &str) -> String {
        match self.peek() {
            None => format!("unexpected end of body, expected {expected}"),
            Some(b) => format!(
                "unexpected byte 0x{b:02x} at byte {}, expected {expected}",
                self.pos
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn run(body: &str) -> BodyOutput {
        process(body.as_bytes(), &BodyLimits::default())
    }

    fn map(out: &BodyOutput) -> BTreeMap<String, String> {
        out.args
            .iter()
            .map(|(k, v)| {
                (
                    String::from_utf8_lossy(k).into_owned(),
                    String::from_utf8_lossy(v).into_owned(),
                )
            })
            .collect()
    }

    fn expect(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn coraza_map_example() {
        let out = run(r#"{"a": 1, "b": 2, "c": [1, 2, 3], "d": {"a": {"b": 1}},
            "e": [{"a": 1}], "f": [[[{"z": "abc"}]]]}"#);
        assert_eq!(out.error, None);
        assert_eq!(
            map(&out),
            expect(&[
                ("json.a", "1"),
                ("json.b", "2"),
                ("json.c", "3"),
                ("json.c.0", "1"),
                ("json.c.1", "2"),
                ("json.c.2", "3"),
                ("json.d.a.b", "1"),
                ("json.e", "1"),
                ("json.e.0.a", "1"),
                ("json.f", "1"),
                ("json.f.0", "1"),
                ("json.f.0.0", "1"),
                ("json.f.0.0.0.z", "abc"),
            ])
        );
        assert_eq!(out.args.len(), 13, "no duplicates");
    }

    #[test]
    fn coraza_array_root_example() {
        let out = run(r#"[[[{"q": 1}]], {"a": 1, "c": [1, 2]}]"#);
        assert_eq!(out.error, None);
        assert_eq!(
            map(&out),
            expect(&[
                ("json", "2"),
                ("json.0", "1"),
                ("json.0.0", "1"),
                ("json.0.0.0.q", "1"),
                ("json.1.a", "1"),
                ("json.1.c", "2"),
                ("json.1.c.0", "1"),
                ("json.1.c.1", "2"),
            ])
        );
    }

    #[test]
    fn scalars_null_booleans_numbers() {
        let out = run(r#"{"null": null, "true": true, "false": false, "n": -1.50e+3, "z": 0}"#);
        assert_eq!(out.error, None);
        assert_eq!(
            map(&out),
            expect(&[
                ("json.null", ""),
                ("json.true", "true"),
                ("json.false", "false"),
                ("json.n", "-1.50e+3"),
                ("json.z", "0"),
            ])
        );
    }

    #[test]
    fn empty_containers_produce_nothing() {
        for body in ["{}", "[]", r#"{"a": {}, "b": []}"#, " [ [ ] , { } ] "] {
            let out = run(body);
            assert_eq!(out.error, None, "{body}");
            let m = map(&out);
            assert!(m.keys().all(|k| k == "json"), "{body}: {m:?}");
        }
        // The outer array in the last case still counts its two elements.
        assert_eq!(map(&run("[[],{}]")), expect(&[("json", "2")]));
    }

    #[test]
    fn top_level_scalars() {
        assert_eq!(
            map(&run(r#""abc""#)),
            expect(&[("json.0", "abc"), ("json", "1")])
        );
        assert_eq!(map(&run("42")), expect(&[("json.0", "42"), ("json", "1")]));
        let out = run("null");
        assert!(out.args.is_empty());
        assert_eq!(out.error, None);
    }

    #[test]
    fn string_escapes() {
        let out = run(r#"{"k\"ey": "a\\b\/c\n\t\u0041\u00e9\ud83d\ude00\ud800x"}"#);
        assert_eq!(out.error, None);
        assert_eq!(out.args[0].0, b"json.k\"ey");
        assert_eq!(
            String::from_utf8(out.args[0].1.clone()).unwrap(),
            "a\\b/c\n\tAé😀\u{FFFD}x"
        );
    }

    #[test]
    fn lone_surrogates_become_replacement_characters() {
        // Found by the fuzzer (serde_json rejects it; gjson and we do not).
        let out = process(b"\"c\\ud8073\xff[\"", &BodyLimits::default());
        assert_eq!(out.error, None);
        assert_eq!(
            out.args,
            vec![
                (
                    b"json.0".to_vec(),
                    "c\u{FFFD}3".bytes().chain(*b"\xff[").collect()
                ),
                (b"json".to_vec(), b"1".to_vec()),
            ]
        );
        let out = run(r#"["\udc00", "\ud800\u0041"]"#);
        assert_eq!(out.args[0].1, "\u{FFFD}".as_bytes());
        assert_eq!(out.args[1].1, "\u{FFFD}A".as_bytes());
    }

    #[test]
    fn repeated_keys_are_all_kept() {
        let out = run(r#"{"a": 1, "a": 2}"#);
        assert_eq!(
            out.args,
            vec![
                (b"json.a".to_vec(), b"1".to_vec()),
                (b"json.a".to_vec(), b"2".to_vec())
            ]
        );
    }

    #[test]
    fn invalid_utf8_in_strings_is_kept() {
        let out = process(b"{\"\xff\": \"\xfe\x80\"}", &BodyLimits::default());
        assert_eq!(out.error, None);
        assert_eq!(
            out.args,
            vec![(b"json.\xff".to_vec(), b"\xfe\x80".to_vec())]
        );
    }

    #[test]
    fn malformed_documents_are_errors_with_best_effort_pairs() {
        let out = run(r#"{"a": 1} trailing garbage"#);
        assert!(out.error.as_deref().unwrap().contains("after the document"));
        assert_eq!(map(&out), expect(&[("json.a", "1")]));

        let cases = [
            "",
            "   ",
            "{invalid json",
            r#"{"a":1,}"#,
            r#"{"a" 1}"#,
            r#"{"a":01}"#,
            r#"{"a":1.}"#,
            r#"{"a":-}"#,
            r#"{"a":1e}"#,
            r#"{"a":tru}"#,
            r#"{"a":"x"#,
            r#"{"a":"\x"}"#,
            r#"{"a":"\u12"}"#,
            "{\"a\":\"\x01\"}",
            r#"[1,2"#,
            r#"[1 2]"#,
            r#"{"a":[1,2}"#,
            r#"{1:2}"#,
            "}",
            r#"{"a":{"a":{"a": 1 }}}}}}"#,
        ];
        for body in cases {
            let out = run(body);
            assert!(out.error.is_some(), "expected an error for {body:?}");
        }
        // Truncated: the pairs before the cut survive.
        let out = run(r#"{"a": "x", "b": [1, 2"#);
        assert!(out.error.is_some());
        assert_eq!(
            map(&out),
            expect(&[("json.a", "x"), ("json.b.0", "1"), ("json.b.1", "2")])
        );
    }

    #[test]
    fn depth_limit() {
        let limits = BodyLimits {
            json_depth_limit: 3,
            ..BodyLimits::default()
        };
        let nested = |n: usize| "{\"a\":".repeat(n) + "1" + &"}".repeat(n);
        let out = process(nested(3).as_bytes(), &limits);
        assert_eq!(out.error, None);
        assert_eq!(map(&out), expect(&[("json.a.a.a", "1")]));
        let out = process(nested(4).as_bytes(), &limits);
        assert!(out.error.as_deref().unwrap().contains("depth limit (3)"));
        let out = process(b"[[[[1]]]]", &limits);
        assert!(out.error.is_some());
    }

    #[test]
    fn ten_thousand_deep_cannot_overflow() {
        for open in ["{\"a\":", "["] {
            let body = open.repeat(10_000);
            // Default limit (1024): rejected early.
            let out = process(body.as_bytes(), &BodyLimits::default());
            assert!(out.error.as_deref().unwrap().contains("depth limit"));
            // A limit above the depth: parsed iteratively, then truncated.
            let limits = BodyLimits {
                json_depth_limit: 100_000,
                ..BodyLimits::default()
            };
            let out = process(body.as_bytes(), &limits);
            assert!(out.error.as_deref().unwrap().contains("end of body"));
        }
        let limits = BodyLimits {
            json_depth_limit: 100_000,
            arguments_limit: 100_000,
            ..BodyLimits::default()
        };
        // Well-formed and 10,000 deep: every level names a count with a path
        // as long as its depth, quadratic in total, so the output cap stops it.
        let body = "[".repeat(10_000) + "1" + &"]".repeat(10_000);
        let out = process(body.as_bytes(), &limits);
        assert!(out.error.as_deref().unwrap().contains("flattened output"));
        // 1,000 deep fits.
        let body = "[".repeat(1_000) + "1" + &"]".repeat(1_000);
        let out = process(body.as_bytes(), &limits);
        assert_eq!(out.error, None);
        assert_eq!(out.args.len(), 1_001);
        assert_eq!(out.args[0].1, b"1");
        assert_eq!(out.args[0].0.len(), 4 + 2 * 1_000);
    }

    #[test]
    fn arguments_limit_stops_with_error() {
        let limits = BodyLimits {
            arguments_limit: 10,
            ..BodyLimits::default()
        };
        let body = format!("[{}1]", "1,".repeat(100_000));
        let out = process(body.as_bytes(), &limits);
        assert_eq!(out.args.len(), 10);
        assert!(out
            .error
            .as_deref()
            .unwrap()
            .contains("arguments limit (10)"));
    }

    #[test]
    fn output_is_bounded_for_long_paths() {
        // A 200 KB key repeated on every element would be quadratic.
        let limits = BodyLimits {
            arguments_limit: usize::MAX,
            ..BodyLimits::default()
        };
        let body = format!("{{\"{}\":[{}1]}}", "k".repeat(200_000), "1,".repeat(50_000));
        let out = process(body.as_bytes(), &limits);
        assert!(out.error.as_deref().unwrap().contains("flattened output"));
        let total: usize = out.args.iter().map(|(k, v)| k.len() + v.len()).sum();
        assert!(total <= output_bytes_cap(body.len()));
    }
}
