//! `multipart/form-data` request bodies (RFC 7578 over RFC 2046), with
//! ModSecurity's strictness checks exposed as flag variables.
//!
//! The body is read line by line, as ModSecurity does:
//!
//! - a line `--BOUNDARY` (or `--BOUNDARY--` for the last one) followed by CRLF
//!   or LF ends the current part and starts the next; anything else after the
//!   boundary on that line is an error (`Invalid boundary`);
//! - after a boundary come part header lines up to an empty line, then data
//!   lines up to the next boundary; the line ending before a boundary belongs
//!   to the delimiter, not to the data;
//! - every part needs `Content-Disposition: form-data; name=...`; a part with
//!   a non-empty `filename=` is a file (FILES, FILES_NAMES, FILES_SIZES,
//!   FILES_TMP_CONTENT), any other part a field (ARGS_POST);
//! - header lines are kept verbatim (without their line ending) in
//!   MULTIPART_PART_HEADERS, keyed by the part's name, which is what CRS
//!   922100-922150 match (`^content-type\s*:`), including any line that made
//!   the parser give up (so 922130 still sees an invalid header name).
//!
//! Flags (all always present in [`BodyOutput::flags`], 0 or 1, when this
//! processor ran), set as ModSecurity sets them:
//!
//! | flag | when |
//! |------|------|
//! | `MULTIPART_BOUNDARY_QUOTED` | the C-T boundary was `"quoted"` |
//! | `MULTIPART_BOUNDARY_WHITESPACE` | whitespace around `=` of `boundary=` |
//! | `MULTIPART_MISSING_SEMICOLON` | no `;` between the MIME type and `boundary` |
//! | `MULTIPART_DATA_BEFORE` | non-boundary lines before the first boundary |
//! | `MULTIPART_DATA_AFTER` | bytes after the final boundary line |
//! | `MULTIPART_HEADER_FOLDING` | a part header continued on a line starting with whitespace |
//! | `MULTIPART_INVALID_HEADER_FOLDING` | ... with whitespace other than SP / HTAB |
//! | `MULTIPART_LF_LINE` | a part header or boundary line ended with bare LF, or the line before a boundary did |
//! | `MULTIPART_CRLF_LF_LINES` | both CRLF and bare-LF lines were seen |
//! | `MULTIPART_INVALID_QUOTING` | single quotes in Content-Disposition values |
//! | `MULTIPART_INVALID_PART` | a part without name, or a boundary where part data should begin |
//! | `MULTIPART_UNMATCHED_BOUNDARY` | 1: a line looks like a boundary (`--x`) but is not ours, or contains ours; 2: ours was seen again after the first (ModSecurity's "permissive" value: rules test `@eq 1`) |
//! | `MULTIPART_FILE_LIMIT_EXCEEDED` | more file parts than `upload_file_limit` |
//! | `MULTIPART_STRICT_ERROR` | any parse error, or any flag above except UNMATCHED_BOUNDARY and CRLF_LF_LINES |
//!
//! Errors (`REQBODY_ERROR_MSG`, prefixed `Multipart parsing error: ` like
//! ModSecurity) use ModSecurity's wording. Where ModSecurity v3 keeps going
//! after a bad part header (and later messages overwrite earlier ones), this
//! parser stops at the first error, as ModSecurity v2 does, and keeps the
//! fields and files completed before it. Differences worth knowing:
//!
//! - a body that ends without its final boundary still exposes the data of
//!   the unfinished part (with the `Final boundary missing` error), for
//!   inspection;
//! - file contents are always kept in memory (ModSecurity keeps them only with
//!   `SecUploadKeepFiles`/`SecTmpSaveUploadedFiles`); files past the limit are
//!   still listed with their content and the limit flag and error are raised;
//! - form fields past `arguments_limit` are dropped (bounded output);
//! - an empty quoted boundary (`boundary=""`) is an error, not a silent skip;
//!   an unterminated quoted Content-Disposition value is error `-10`.

use super::{BodyLimits, BodyOutput, Pair, UploadedFile};
use memchr::memmem;
use std::collections::HashSet;

/// ModSecurity's multipart line buffer size: a part header line must be
/// shorter than this.
const LINE_LIMIT: usize = 4096;

/// Flag variable names, in the order they are reported.
pub const FLAG_NAMES: [&str; 14] = [
    "MULTIPART_STRICT_ERROR",
    "MULTIPART_BOUNDARY_QUOTED",
    "MULTIPART_BOUNDARY_WHITESPACE",
    "MULTIPART_DATA_BEFORE",
    "MULTIPART_DATA_AFTER",
    "MULTIPART_HEADER_FOLDING",
    "MULTIPART_LF_LINE",
    "MULTIPART_CRLF_LF_LINES",
    "MULTIPART_MISSING_SEMICOLON",
    "MULTIPART_INVALID_QUOTING",
    "MULTIPART_INVALID_PART",
    "MULTIPART_INVALID_HEADER_FOLDING",
    "MULTIPART_UNMATCHED_BOUNDARY",
    "MULTIPART_FILE_LIMIT_EXCEEDED",
];

/// Parses a multipart request body. `content_type` is the request's full
/// Content-Type header value, which carries the boundary.
pub fn process(body: &[u8], content_type: &[u8], limits: &BodyLimits) -> BodyOutput {
    let mut parser = Parser {
        body,
        limits,
        flags: Flags::default(),
        boundary: Vec::new(),
        dash_boundary: memmem::Finder::new(b"--").into_owned(),
        part: None,
        boundary_count: 0,
        complete: false,
        prev_eol: Eol::None,
        file_count: 0,
        soft_error: None,
        overflow_error: None,
        part_headers_bytes: 0,
        out: BodyOutput::default(),
    };
    let error = match parse_boundary(content_type, &mut parser.flags) {
        Ok(boundary) => {
            let mut needle = b"--".to_vec();
            needle.extend_from_slice(&boundary);
            parser.dash_boundary = memmem::Finder::new(&needle).into_owned();
            parser.boundary = boundary;
            parser.run()
        }
        Err(e) => {
            parser.flags.error = true;
            Some(e)
        }
    };
    let error = error
        .or(parser.overflow_error.take())
        .or(parser.soft_error.take());
    let mut out = parser.out;
    out.flags = parser.flags.report();
    out.error = error.map(|e| format!("Multipart parsing error: {e}"));
    out
}

#[derive(Default)]
struct Flags {
    /// A parse error (ModSecurity's `flag_error`).
    error: bool,
    boundary_quoted: bool,
    boundary_whitespace: bool,
    data_before: bool,
    data_after: bool,
    header_folding: bool,
    lf_line: bool,
    crlf_line: bool,
    missing_semicolon: bool,
    invalid_quoting: bool,
    invalid_part: bool,
    invalid_header_folding: bool,
    unmatched_boundary: u64,
    file_limit_exceeded: bool,
}

impl Flags {
    fn report(&self) -> Vec<(&'static str, u64)> {
        let strict = self.error
            || self.boundary_quoted
            || self.boundary_whitespace
            || self.data_before
            || self.data_after
            || self.header_folding
            || self.lf_line
            || self.missing_semicolon
            || self.invalid_quoting
            || self.invalid_part
            || self.invalid_header_folding
            || self.file_limit_exceeded;
        let values = [
            u64::from(strict),
            u64::from(self.boundary_quoted),
            u64::from(self.boundary_whitespace),
            u64::from(self.data_before),
            u64::from(self.data_after),
            u64::from(self.header_folding),
            u64::from(self.lf_line),
            u64::from(self.crlf_line && self.lf_line),
            u64::from(self.missing_semicolon),
            u64::from(self.invalid_quoting),
            u64::from(self.invalid_part),
            u64::from(self.invalid_header_folding),
            self.unmatched_boundary,
            u64::from(self.file_limit_exceeded),
        ];
        FLAG_NAMES.into_iter().zip(values).collect()
    }
}

/// How the previous line ended.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Eol {
    None,
    Lf,
    CrLf,
}

/// The part being read.
#[derive(Default)]
struct Part {
    name: Vec<u8>,
    filename: Vec<u8>,
    /// Parsed headers (name, value) for Content-Disposition and folding.
    headers: Vec<Pair>,
    /// Lower-cased header names, to reject duplicates in constant time.
    header_names: HashSet<Vec<u8>>,
    /// Index in `headers` of the header a folded line continues.
    last_header: Option<usize>,
    /// Completed raw header lines, for MULTIPART_PART_HEADERS.
    header_lines: Vec<Vec<u8>>,
    /// The raw line of the header being built (folding rewrites it).
    last_header_line: Vec<u8>,
    is_file: bool,
    /// Body offset where the data starts; `None` while reading headers.
    data_start: Option<usize>,
    /// Whether a data line was read since the headers ended.
    data_read: bool,
}

impl Part {
    fn flush_header_line(&mut self) {
        if !self.last_header_line.is_empty() {
            self.header_lines
                .push(std::mem::take(&mut self.last_header_line));
        }
    }
}

struct Parser<'a> {
    body: &'a [u8],
    limits: &'a BodyLimits,
    flags: Flags,
    boundary: Vec<u8>,
    /// Searcher for `--BOUNDARY`.
    dash_boundary: memmem::Finder<'static>,
    part: Option<Part>,
    boundary_count: usize,
    complete: bool,
    prev_eol: Eol,
    file_count: usize,
    /// A non-fatal error (file limit): reported unless a fatal one comes.
    soft_error: Option<String>,
    /// Set when MULTIPART_PART_HEADERS reached its size cap.
    overflow_error: Option<String>,
    part_headers_bytes: usize,
    out: BodyOutput,
}

impl Parser<'_> {
    /// Reads the body; returns the error that ended it, if any.
    fn run(&mut self) -> Option<String> {
        let body = self.body;
        let mut pos = 0;
        let mut tail = None;
        while pos < body.len() {
            let Some(nl) = memchr::memchr(b'\n', &body[pos..]) else {
                tail = Some(pos);
                break;
            };
            let end = pos + nl + 1;
            if let Err(e) = self.line(pos, end) {
                self.finish_unfinished();
                return Some(e);
            }
            self.prev_eol = if body[..end].ends_with(b"\r\n") {
                Eol::CrLf
            } else {
                Eol::Lf
            };
            pos = end;
            if self.complete {
                if pos < body.len() {
                    self.flags.data_after = true;
                }
                return None;
            }
        }
        self.complete_at_eof(tail)
    }

    /// Processes the complete line `body[start..end]` (ends with LF).
    fn line(&mut self, start: usize, end: usize) -> Result<(), String> {
        let body: &[u8] = self.body;
        let line = &body[start..end];
        let blen = self.boundary.len();
        let mut was_boundary = false;
        if line.len() > 3 && line.starts_with(b"--") {
            if line.len() >= blen + 2 && line[2..2 + blen] == self.boundary[..] {
                if self.prev_eol == Eol::Lf {
                    self.flags.lf_line = true;
                }
                let data_read = self.part.as_ref().is_some_and(|p| p.data_read);
                if !data_read && self.boundary_count > 0 {
                    // Our boundary where part headers or data should begin:
                    // treated as an ordinary line of the part.
                    self.flags.invalid_part = true;
                } else {
                    if self.boundary_count > 0 {
                        self.flags.unmatched_boundary = 2;
                    }
                    let rest = &line[2 + blen..];
                    let (is_final, rest) = match rest.strip_prefix(b"--") {
                        Some(r) => (true, r),
                        None => (false, rest),
                    };
                    match rest {
                        b"\r\n" => self.flags.crlf_line = true,
                        b"\n" => self.flags.lf_line = true,
                        _ => {
                            self.flags.error = true;
                            return Err(format!("Multipart: Invalid boundary: {}", show(line)));
                        }
                    }
                    self.boundary_line(is_final, start);
                    self.boundary_count += 1;
                    was_boundary = true;
                }
            } else {
                // Looks like a boundary but is not ours.
                if self.flags.boundary_quoted
                    && line.len() >= blen + 3
                    && line[2] == b'"'
                    && line[3..3 + blen] == self.boundary[..]
                {
                    self.flags.error = true;
                    return Err("Multipart: Invalid boundary (quotes).".into());
                }
                let after = &line[2..];
                let ws = after.iter().take_while(|&&b| is_space(b)).count();
                if ws > 0 && after[ws..].starts_with(&self.boundary) {
                    self.flags.error = true;
                    return Err("Multipart: Invalid boundary (whitespace).".into());
                }
                self.flags.unmatched_boundary = 1;
            }
        } else if self.contains_boundary(line) {
            self.flags.unmatched_boundary = 1;
        }
        if was_boundary {
            return Ok(());
        }

        let Some(part) = self.part.as_mut() else {
            self.flags.data_before = true;
            return Ok(());
        };
        if part.data_start.is_some() {
            part.data_read = true;
            return Ok(());
        }
        if line.len() >= LINE_LIMIT {
            self.flags.error = true;
            return Err(format!(
                "Multipart: Part header line over {LINE_LIMIT} bytes long"
            ));
        }
        let result = self.header_line(line, end);
        if result.is_err() {
            self.flags.error = true;
            let raw = strip_eol(line);
            if let Some(part) = self.part.as_mut() {
                part.flush_header_line();
                if !raw.is_empty() {
                    part.header_lines.push(raw.to_vec());
                }
            }
        }
        result
    }

    /// Whether `--BOUNDARY` occurs anywhere in the line (linear time).
    fn contains_boundary(&self, line: &[u8]) -> bool {
        self.dash_boundary.find(line).is_some()
    }

    /// A part header line (or the empty line ending the headers). `end` is
    /// the body offset just past the line.
    fn header_line(&mut self, line: &[u8], end: usize) -> Result<(), String> {
        if line.contains(&0) {
            return Err("Multipart: Nul byte in part headers.".into());
        }
        let crlf = line.len() > 1 && line[line.len() - 2] == b'\r';
        if crlf {
            self.flags.crlf_line = true;
        } else {
            self.flags.lf_line = true;
        }
        let Some(part) = self.part.as_mut() else {
            return Ok(());
        };

        if line == b"\r\n" || line == b"\n" {
            part.flush_header_line();
            let Some(cd) = part
                .headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(b"Content-Disposition"))
                .map(|(_, v)| v.clone())
            else {
                return Err("Multipart: Part missing Content-Disposition header.".into());
            };
            if let Err(rc) = self.content_disposition(&cd) {
                return Err(format!(
                    "Multipart: Invalid Content-Disposition header ({rc}): {}",
                    show(&cd)
                ));
            }
            let Some(part) = self.part.as_mut() else {
                return Ok(());
            };
            if part.name.is_empty() {
                return Err("Multipart: Content-Disposition header missing name field.".into());
            }
            if !part.filename.is_empty() {
                // A client that did not understand the header as we did.
                if memmem::find(&cd, b"filename=").is_none() {
                    return Err("Multipart: Invalid Content-Disposition header (filename).".into());
                }
                part.is_file = true;
                self.file_count += 1;
                let limit = self.limits.upload_file_limit;
                if limit > 0 && self.file_count > limit && !self.flags.file_limit_exceeded {
                    self.flags.file_limit_exceeded = true;
                    self.soft_error = Some(format!(
                        "Multipart: Upload file limit exceeded {limit}. \
                         Use SecUploadFileLimit to change the limit."
                    ));
                }
            }
            part.data_start = Some(end);
            part.data_read = false;
            part.last_header = None;
            return Ok(());
        }

        if is_space(line[0]) {
            // Folded continuation of the previous header.
            self.flags.header_folding = true;
            let ws = line.iter().take_while(|&&b| is_space(b)).count();
            if line[..ws].iter().any(|&b| b != b' ' && b != b'\t') {
                self.flags.invalid_header_folding = true;
            }
            let Some(idx) = part.last_header else {
                return Err("Multipart: Invalid part header (folding error).".into());
            };
            let more = chomp(&line[ws..]);
            let Some((name, value)) = part.headers.get_mut(idx) else {
                return Err("Multipart: Invalid part header (folding error).".into());
            };
            value.push(b' ');
            value.extend_from_slice(more);
            if value.len() > LINE_LIMIT {
                return Err("Multipart: Part header too long.".into());
            }
            let mut rebuilt = name.clone();
            rebuilt.extend_from_slice(b": ");
            rebuilt.extend_from_slice(value);
            part.last_header_line = rebuilt;
            return Ok(());
        }

        // A new header.
        part.flush_header_line();
        let Some(colon) = memchr::memchr(b':', line) else {
            return Err(format!(
                "Multipart: Invalid part header (colon missing): {}",
                show(strip_eol(line))
            ));
        };
        let name = &line[..colon];
        if name.is_empty() {
            return Err("Multipart: Invalid part header (header name missing).".into());
        }
        if name.iter().any(|&b| !(33..=126).contains(&b)) {
            return Err("Multipart: Invalid part header (contains invalid character).".into());
        }
        let value = &line[colon + 1..];
        let skip = value
            .iter()
            .take_while(|&&b| b == b' ' || b == b'\t')
            .count();
        let value = chomp(&value[skip..]);
        if !part.header_names.insert(name.to_ascii_lowercase()) {
            return Err(format!("Multipart: Duplicate part header: {}.", show(name)));
        }
        part.headers.push((name.to_vec(), value.to_vec()));
        part.last_header = Some(part.headers.len() - 1);
        part.last_header_line = strip_eol(line).to_vec();
        Ok(())
    }

    /// Parses a Content-Disposition value into the current part's name and
    /// filename. Error codes are ModSecurity's (`-10`: unterminated quote).
    fn content_disposition(&mut self, v: &[u8]) -> Result<(), i32> {
        // Past the end reads as NUL, like the C string ModSecurity walks;
        // part headers never contain NUL (checked before).
        let at = |i: usize| v.get(i).copied().unwrap_or(0);
        let skip_ws = |mut p: usize| {
            while matches!(at(p), b' ' | b'\t') {
                p += 1;
            }
            p
        };
        if !v.starts_with(b"form-data") {
            return Err(-1);
        }
        let mut p = skip_ws(9);
        if at(p) == 0 {
            return Ok(());
        }
        if at(p) != b';' {
            return Err(-2);
        }
        p += 1;
        let mut filename_star: Vec<u8> = Vec::new();
        while at(p) != 0 {
            p = skip_ws(p);
            if at(p) == 0 {
                return Err(-3);
            }
            let start = p;
            while !matches!(at(p), 0 | b'=' | b'\t' | b' ') {
                p += 1;
            }
            if at(p) == 0 {
                return Err(-4);
            }
            let param = &v[start..p];
            p = skip_ws(p);
            if at(p) == 0 {
                return Err(-5);
            }
            if at(p) != b'=' {
                return Err(-13);
            }
            p = skip_ws(p + 1);
            if at(p) == 0 {
                return Err(-6);
            }

            let mut quote = 0u8;
            let value: Vec<u8>;
            if param == b"filename*" {
                // charset'[language]'percent-encoded-name (RFC 5987)
                let charset = p;
                while at(p) != 0
                    && (at(p).is_ascii_alphanumeric() || b"!#$%&+-^_`{}~".contains(&at(p)))
                {
                    p += 1;
                }
                if at(p) != b'\'' || p == charset {
                    return Err(-16);
                }
                p += 1;
                while at(p) != 0 && at(p) != b'\'' {
                    p += 1;
                }
                if at(p) != b'\'' {
                    return Err(-17);
                }
                p += 1;
                let name_start = p;
                while at(p) != 0 && at(p) != b';' {
                    if at(p) == b'%' {
                        if !at(p + 1).is_ascii_hexdigit() || !at(p + 2).is_ascii_hexdigit() {
                            return Err(-18);
                        }
                        p += 3;
                    } else if at(p).is_ascii_alphanumeric() || b"!#$&+-.^_`~".contains(&at(p)) {
                        p += 1;
                    } else {
                        return Err(-19);
                    }
                }
                value = v[name_start..p].to_vec();
            } else if at(p) == b'"' || at(p) == b'\'' {
                quote = at(p);
                if quote == b'\'' {
                    // Accepted (some backends do) but flagged.
                    self.flags.invalid_quoting = true;
                }
                p += 1;
                if at(p) == 0 {
                    return Err(-7);
                }
                let mut val = Vec::new();
                loop {
                    match at(p) {
                        0 => return Err(-10),
                        b'\\' => {
                            let next = at(p + 1);
                            if next == 0 {
                                return Err(-8);
                            }
                            // Only the quote and backslash are escapable; other
                            // backslashes stay (IE sends them unescaped).
                            if next == quote || next == b'\\' {
                                p += 1;
                            }
                        }
                        c if c == quote => break,
                        _ => {}
                    }
                    val.push(at(p));
                    p += 1;
                }
                p += 1; // closing quote
                value = val;
            } else {
                let start = p;
                while is_token_char(at(p)) {
                    p += 1;
                }
                value = v[start..p].to_vec();
            }

            let Some(part) = self.part.as_mut() else {
                return Ok(());
            };
            match param {
                b"name" => {
                    if quote != b'"' && value.contains(&b'\'') {
                        self.flags.invalid_quoting = true;
                    }
                    self.out.multipart_names.push(value.clone());
                    if !part.name.is_empty() {
                        return Err(-14);
                    }
                    part.name = value;
                }
                b"filename" => {
                    if quote != b'"' && value.contains(&b'\'') {
                        self.flags.invalid_quoting = true;
                    }
                    self.out.multipart_filenames.push(value.clone());
                    if !part.filename.is_empty() {
                        return Err(-15);
                    }
                    part.filename = value;
                }
                b"filename*" => {
                    if !filename_star.is_empty() {
                        return Err(-20);
                    }
                    filename_star = value;
                }
                _ => return Err(-11),
            }

            if at(p) != 0 {
                p = skip_ws(p);
                if at(p) != 0 {
                    if at(p) != b';' {
                        if p > 0 && matches!(at(p - 1), b'\'' | b'"') {
                            self.flags.invalid_quoting = true;
                        }
                        return Err(-12);
                    }
                    p += 1;
                }
            }
        }
        let no_filename = match &self.part {
            Some(p) => p.filename.is_empty(),
            None => true,
        };
        if !filename_star.is_empty() && no_filename {
            return Err(-21);
        }
        Ok(())
    }

    /// A boundary line starting at body offset `start` ends the current part.
    fn boundary_line(&mut self, is_final: bool, start: usize) {
        if let Some(part) = self.part.take() {
            let data_end = start.saturating_sub(match self.prev_eol {
                Eol::CrLf => 2,
                Eol::Lf => 1,
                Eol::None => 0,
            });
            self.finish_part(part, data_end);
        }
        if is_final {
            self.complete = true;
        } else {
            self.part = Some(Part::default());
        }
    }

    /// Records a part whose data ends at body offset `data_end`.
    fn finish_part(&mut self, mut part: Part, data_end: usize) {
        self.record_header_lines(&mut part);
        if part.name.is_empty() {
            self.flags.invalid_part = true;
            return;
        }
        let content = match part.data_start {
            Some(s) if s <= data_end => self.body.get(s..data_end).unwrap_or_default(),
            _ => &[],
        }
        .to_vec();
        if part.is_file {
            self.out.files.push(UploadedFile {
                field: part.name,
                filename: part.filename,
                content,
            });
        } else if self.out.args.len() < self.limits.arguments_limit {
            self.out.args.push((part.name, content));
        }
    }

    /// After a fatal error or truncation: keep what the unfinished part
    /// showed (its header lines; its data when its headers were complete).
    fn finish_unfinished(&mut self) {
        let Some(mut part) = self.part.take() else {
            return;
        };
        part.flush_header_line();
        if part.data_start.is_some() && !part.name.is_empty() {
            self.finish_part(part, self.body.len());
        } else {
            self.record_header_lines(&mut part);
        }
    }

    /// Moves a part's header lines into MULTIPART_PART_HEADERS. Every line
    /// repeats the part name, so the total is capped (linear in the body):
    /// past the cap, recording stops and the body is in error.
    fn record_header_lines(&mut self, part: &mut Part) {
        part.flush_header_line();
        let cap = part_headers_cap(self.body.len());
        for line in part.header_lines.drain(..) {
            let size = part.name.len() + line.len();
            if self.part_headers_bytes + size > cap {
                self.flags.error = true;
                self.overflow_error
                    .get_or_insert_with(|| format!("Multipart: Part headers exceed {cap} bytes."));
                return;
            }
            self.part_headers_bytes += size;
            self.out.part_headers.push((part.name.clone(), line));
        }
    }

    /// End of body without a fatal error. `tail` is the offset of an
    /// unterminated last line, if any.
    fn complete_at_eof(&mut self, tail: Option<usize>) -> Option<String> {
        if self.body.is_empty() || self.complete {
            return None;
        }
        if self.boundary_count == 0 {
            return Some("Multipart: No boundaries found in payload.".into());
        }
        if let Some(t) = tail {
            let last = &self.body[t..];
            let blen = self.boundary.len();
            if last.len() == blen + 4
                && last.starts_with(b"--")
                && last.ends_with(b"--")
                && last[2..2 + blen] == self.boundary[..]
            {
                // The final boundary without its line ending: accepted.
                if self.prev_eol == Eol::Lf {
                    self.flags.lf_line = true;
                }
                if !self.part.as_ref().is_some_and(|p| p.data_read) {
                    self.flags.invalid_part = true;
                }
                self.boundary_line(true, t);
                return None;
            }
        }
        self.finish_unfinished();
        Some("Multipart: Final boundary missing.".into())
    }
}

/// Upper bound on the bytes of MULTIPART_PART_HEADERS (names + lines) for a
/// body of `body_len` bytes.
pub fn part_headers_cap(body_len: usize) -> usize {
    body_len.saturating_mul(4).saturating_add(64 * 1024)
}

/// Extracts the boundary from a Content-Type value, with ModSecurity's
/// checks and flags.
fn parse_boundary(ct: &[u8], flags: &mut Flags) -> Result<Vec<u8>, String> {
    const MIME: &[u8] = b"multipart/form-data";
    if ct.is_empty() {
        return Err("Multipart: Content-Type header not available.".into());
    }
    if ct.len() > 1024 {
        return Err("Multipart: Invalid boundary in C-T (length).".into());
    }
    if ct.len() < MIME.len() || !ct[..MIME.len()].eq_ignore_ascii_case(MIME) {
        return Err("Multipart: Invalid MIME type.".into());
    }
    if count_boundary_params(ct) > 1 {
        return Err("Multipart: Multiple boundary parameters in C-T.".into());
    }
    let Some(at) = memmem::find(ct, b"boundary") else {
        if count_boundary_params(ct) > 0 {
            return Err("Multipart: Invalid boundary in C-T (case sensitivity).".into());
        }
        return Err("Multipart: Boundary not found in C-T.".into());
    };
    // Between the MIME type and `boundary`: whitespace and one semicolon.
    let mut seen_semicolon = false;
    for &c in ct.get(MIME.len()..at).unwrap_or_default() {
        if is_space(c) {
            continue;
        }
        if c == b';' && !seen_semicolon {
            seen_semicolon = true;
        } else {
            return Err("Multipart: Invalid boundary in C-T (malformed).".into());
        }
    }
    if !seen_semicolon {
        flags.missing_semicolon = true;
    }
    let Some(eq) = memchr::memchr(b'=', &ct[at + 8..]).map(|i| at + 8 + i) else {
        return Err("Multipart: Invalid boundary in C-T (malformed).".into());
    };
    for &c in &ct[at + 8..eq] {
        if is_space(c) {
            flags.boundary_whitespace = true;
        } else {
            return Err("Multipart: Invalid boundary in C-T (parameter name).".into());
        }
    }
    let value = &ct[eq + 1..];
    if value.first().is_some_and(|&c| is_space(c)) {
        flags.boundary_whitespace = true;
    }
    let mut boundary = if value.len() >= 2 && value[0] == b'"' && value[value.len() - 1] == b'"' {
        flags.boundary_quoted = true;
        value[1..value.len() - 1].to_vec()
    } else {
        if value.first() == Some(&b'"') || (value.len() >= 2 && value.last() == Some(&b'"')) {
            return Err("Multipart: Invalid boundary in C-T (quote).".into());
        }
        value.to_vec()
    };
    if boundary.is_empty() {
        return Err("Multipart: Invalid boundary in C-T (empty).".into());
    }
    if count_boundary_params(&boundary) != 0 {
        return Err("Multipart: Invalid boundary in C-T (content).".into());
    }
    // Tolerated: parameters after the boundary (`; charset=UTF-8`).
    if !boundary_chars_valid(&boundary) {
        if let Some(semi) = memchr::memchr(b';', &boundary) {
            boundary.truncate(semi);
        }
    }
    if !boundary_chars_valid(&boundary) {
        return Err("Multipart: Invalid boundary in C-T (characters).".into());
    }
    if boundary.is_empty() {
        return Err("Multipart: Invalid boundary in C-T (empty).".into());
    }
    Ok(boundary)
}

/// Occurrences of `boundary` (any case) with a `=` somewhere after them.
fn count_boundary_params(s: &[u8]) -> usize {
    let lower = s.to_ascii_lowercase();
    let mut count = 0;
    let mut from = 0;
    while let Some(i) = memmem::find(&lower[from..], b"boundary") {
        from += i + 8;
        if memchr::memchr(b'=', &lower[from..]).is_some() {
            count += 1;
        }
    }
    count
}

/// RFC 2046 `bchars`: digits, letters, `'()+_,-./:=?` and space (not last).
fn boundary_chars_valid(b: &[u8]) -> bool {
    b.iter().enumerate().all(|(i, &c)| {
        c.is_ascii_alphanumeric() || b"'()+_,-./:=?".contains(&c) || (c == b' ' && i + 1 < b.len())
    })
}

/// RFC 2045 token characters.
fn is_token_char(c: u8) -> bool {
    c > 32 && c < 127 && !b"()<>@,;:\\\"/[]?=".contains(&c)
}

/// C `isspace`.
fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

/// Removes trailing CR and LF characters.
fn chomp(s: &[u8]) -> &[u8] {
    let n = s
        .iter()
        .rev()
        .take_while(|&&b| b == b'\r' || b == b'\n')
        .count();
    &s[..s.len() - n]
}

/// Removes one line terminator (LF or CRLF).
fn strip_eol(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// Bytes for an error message (bounded, lossy).
fn show(b: &[u8]) -> String {
    let b = &b[..b.len().min(256)];
    String::from_utf8_lossy(strip_eol(b)).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    const CT: &[u8] = b"multipart/form-data; boundary=0000";

    fn run(ct: &[u8], body: &[u8]) -> BodyOutput {
        process(body, ct, &BodyLimits::default())
    }

    /// Joins lines with CRLF (every line terminated).
    fn crlf(lines: &[&str]) -> Vec<u8> {
        lines
            .iter()
            .flat_map(|l| format!("{l}\r\n").into_bytes())
            .collect()
    }

    fn args(out: &BodyOutput) -> Vec<(String, String)> {
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

    fn a(k: &str, v: &str) -> (String, String) {
        (k.to_string(), v.to_string())
    }

    /// The flags that are non-zero.
    fn set_flags(out: &BodyOutput) -> Vec<(&'static str, u64)> {
        out.flags.iter().copied().filter(|(_, v)| *v != 0).collect()
    }

    fn err(out: &BodyOutput) -> &str {
        out.error.as_deref().unwrap_or("")
    }

    fn normal_body() -> Vec<u8> {
        crlf(&[
            "--0000",
            "Content-Disposition: form-data; name=\"name\"",
            "",
            "Brian Rectanus",
            "--0000",
            "Content-Disposition: form-data; name=\"email\"",
            "",
            "brian.rectanus@breach.com",
            "--0000",
            "Content-Disposition: form-data; name=\"image\"; filename=\"image.jpg\"",
            "Content-Type: image/jpeg",
            "",
            "BINARYDATA",
            "--0000--",
        ])
    }

    #[test]
    fn normal_fields_files_and_headers() {
        let out = run(CT, &normal_body());
        assert_eq!(out.error, None);
        assert_eq!(
            args(&out),
            vec![
                a("name", "Brian Rectanus"),
                a("email", "brian.rectanus@breach.com")
            ]
        );
        assert_eq!(
            out.files,
            vec![UploadedFile {
                field: b"image".to_vec(),
                filename: b"image.jpg".to_vec(),
                content: b"BINARYDATA".to_vec(),
            }]
        );
        assert_eq!(
            out.part_headers,
            vec![
                (
                    b"name".to_vec(),
                    b"Content-Disposition: form-data; name=\"name\"".to_vec()
                ),
                (
                    b"email".to_vec(),
                    b"Content-Disposition: form-data; name=\"email\"".to_vec()
                ),
                (
                    b"image".to_vec(),
                    b"Content-Disposition: form-data; name=\"image\"; filename=\"image.jpg\""
                        .to_vec()
                ),
                (b"image".to_vec(), b"Content-Type: image/jpeg".to_vec()),
            ]
        );
        assert_eq!(
            out.multipart_names,
            vec![b"name".to_vec(), b"email".to_vec(), b"image".to_vec()]
        );
        assert_eq!(out.multipart_filenames, vec![b"image.jpg".to_vec()]);
        // Only the "seen our boundary again" value of UNMATCHED_BOUNDARY.
        assert_eq!(set_flags(&out), vec![("MULTIPART_UNMATCHED_BOUNDARY", 2)]);
        assert_eq!(out.flags.len(), FLAG_NAMES.len());
        assert_eq!(out.flag("MULTIPART_STRICT_ERROR"), 0);
    }

    #[test]
    fn multiline_values_keep_inner_line_endings() {
        let body = crlf(&[
            "--0000",
            "Content-Disposition: form-data; name=\"a\"",
            "",
            "line1",
            "line2\n--not-a-boundary",
            "",
            "--0000",
            "Content-Disposition: form-data; name=\"b\"",
            "",
            "",
            "--0000",
            "Content-Disposition: form-data; name=\"c\"",
            "",
            "--0000x",
            "--0000--",
        ]);
        let out = run(CT, &body);
        assert_eq!(out.error, None);
        assert_eq!(
            args(&out),
            vec![
                a("a", "line1\r\nline2\n--not-a-boundary\r\n"),
                a("b", ""),
                a("c", "--0000x"),
            ]
        );
        // `--0000x` contains our boundary: unmatched; `--not-a-boundary` too
        // (looks like a boundary); the bare LF inside data is not a line flag.
        assert_eq!(out.flag("MULTIPART_UNMATCHED_BOUNDARY"), 2);
        assert_eq!(out.flag("MULTIPART_LF_LINE"), 0);
    }

    #[test]
    fn lf_only_body_as_crs_tests_send_it() {
        let body = b"--boundary\nContent-disposition: form-data; name=\"_charset_\"\n\nutf-7\n\
--boundary\nContent-disposition: form-data; name=\"positive\"\nContent-Type: text/plain\n\n\
Let me see if I can use utf-7.\n--boundary--\n";
        let out = run(b"multipart/form-data; boundary=boundary", body);
        assert_eq!(out.error, None);
        assert_eq!(
            args(&out),
            vec![
                a("_charset_", "utf-7"),
                a("positive", "Let me see if I can use utf-7.")
            ]
        );
        assert_eq!(
            out.part_headers,
            vec![
                (
                    b"_charset_".to_vec(),
                    b"Content-disposition: form-data; name=\"_charset_\"".to_vec()
                ),
                (
                    b"positive".to_vec(),
                    b"Content-disposition: form-data; name=\"positive\"".to_vec()
                ),
                (b"positive".to_vec(), b"Content-Type: text/plain".to_vec()),
            ]
        );
        assert_eq!(out.flag("MULTIPART_LF_LINE"), 1);
        assert_eq!(out.flag("MULTIPART_CRLF_LF_LINES"), 0);
        assert_eq!(out.flag("MULTIPART_STRICT_ERROR"), 1);
    }

    #[test]
    fn mixed_line_endings() {
        let body = b"--0000\r\nContent-Disposition: form-data; name=\"a\"\n\r\n1\r\n--0000--\r\n";
        let out = run(CT, body);
        assert_eq!(out.error, None);
        assert_eq!(args(&out), vec![a("a", "1")]);
        assert_eq!(out.flag("MULTIPART_LF_LINE"), 1);
        assert_eq!(out.flag("MULTIPART_CRLF_LF_LINES"), 1);
        // A bare LF before a boundary is an LF line too.
        let body = b"--0000\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\n--0000--\r\n";
        let out = run(CT, body);
        assert_eq!(args(&out), vec![a("a", "1")]);
        assert_eq!(out.flag("MULTIPART_LF_LINE"), 1);
    }

    #[test]
    fn crs_922130_invalid_header_character() {
        let body = b"--boundary\r\n\x0eContent-Disposition: form-data; name=\"file\"; filename=\"1.php\"\r\n\
Content-Disposition: form-data; name=\"post\"\r\n\r\n<?php var_dump(file_get_contents(\"/etc/passwd\"));\r\n--boundary--";
        let out = run(b"multipart/form-data; boundary=boundary", body);
        assert_eq!(
            err(&out),
            "Multipart parsing error: Multipart: Invalid part header (contains invalid character)."
        );
        assert_eq!(out.flag("MULTIPART_STRICT_ERROR"), 1);
        // The offending line is still visible to MULTIPART_PART_HEADERS.
        assert_eq!(
            out.part_headers,
            vec![(
                Vec::new(),
                b"\x0eContent-Disposition: form-data; name=\"file\"; filename=\"1.php\"".to_vec()
            )]
        );
        for bad in [
            &b"Content- Disposition"[..],
            b"Content\x7f-Disposition",
            b"N\xc3\xa4me",
        ] {
            let mut body = b"--boundary\r\n".to_vec();
            body.extend_from_slice(bad);
            body.extend_from_slice(b": form-data; name=\"x\"\r\n\r\nv\r\n--boundary--\r\n");
            let out = run(b"multipart/form-data; boundary=boundary", &body);
            assert!(err(&out).contains("contains invalid character"), "{bad:?}");
        }
        // `!` and `~` are valid header name characters.
        let body = b"--b\r\nContent~Disposition: x\r\nContent-Disposition: form-data; name=\"post\"\r\n\r\nv\r\n--b--\r\n";
        let out = run(b"multipart/form-data; boundary=b", body);
        assert_eq!(out.error, None);
        assert_eq!(args(&out), vec![a("post", "v")]);
        assert_eq!(out.part_headers.len(), 2);
    }

    #[test]
    fn part_header_errors() {
        let cases: [(&[u8], &str); 8] = [
            (b"--0000\r\n\r\n1\r\n--0000--\r\n", "Part missing Content-Disposition header."),
            (
                b"--0000\r\nContent-Disposition: form-data name=\"a\"\r\n\r\n1\r\n--0000--\r\n",
                "Invalid Content-Disposition header (-2): form-data name=\"a\"",
            ),
            (
                b"--0000\r\nContent-Disposition: form-data;\r\n\r\n1\r\n--0000--\r\n",
                "Content-Disposition header missing name field.",
            ),
            (b"--0000\r\n:\r\n\r\n1\r\n--0000--\r\n", "Invalid part header (header name missing)."),
            (b"--0000\r\ntest\r\n--0000--\r\n", "Invalid part header (colon missing): test"),
            (
                b"--0000\r\nContent-Disposition: form-data; name=a\r\ncontent-disposition: form-data; name=b\r\n\r\n1\r\n--0000--\r\n",
                "Duplicate part header: content-disposition.",
            ),
            (b"--0000\r\n folded\r\n\r\n--0000--\r\n", "Invalid part header (folding error)."),
            (b"--0000\r\nX: a\0b\r\n\r\n--0000--\r\n", "Nul byte in part headers."),
        ];
        for (body, msg) in cases {
            let out = run(CT, body);
            assert!(
                err(&out).ends_with(msg),
                "{:?}: got {:?}",
                show(body),
                out.error
            );
            assert_eq!(out.flag("MULTIPART_STRICT_ERROR"), 1);
            assert!(out.args.is_empty());
        }
        // Fields completed before the error are kept.
        let body = crlf(&[
            "--0000",
            "Content-Disposition: form-data; name=\"ok\"",
            "",
            "1",
            "--0000",
            "bad",
            "--0000--",
        ]);
        let out = run(CT, &body);
        assert!(err(&out).contains("colon missing"));
        assert_eq!(args(&out), vec![a("ok", "1")]);
    }

    #[test]
    fn header_line_length_limit() {
        let long = format!("X-Long: {}", "a".repeat(LINE_LIMIT));
        let body = crlf(&[
            "--0000",
            &long,
            "Content-Disposition: form-data; name=a",
            "",
            "1",
            "--0000--",
        ]);
        let out = run(CT, &body);
        assert!(err(&out).contains("Part header line over 4096 bytes long"));
        // Long data lines are fine.
        let data = "d".repeat(100_000);
        let body = crlf(&[
            "--0000",
            "Content-Disposition: form-data; name=a",
            "",
            &data,
            "--0000--",
        ]);
        let out = run(CT, &body);
        assert_eq!(out.error, None);
        assert_eq!(out.args[0].1.len(), 100_000);
    }

    #[test]
    fn header_folding() {
        for (fold, invalid) in [(" ", 0), ("\t\t", 0), ("\x0c", 1), ("\x0c\t", 1)] {
            let body = crlf(&[
                "--0000",
                "Content-Disposition: form-data;",
                &format!("{fold}name=\"a\""),
                "",
                "1",
                "--0000--",
            ]);
            let out = run(CT, &body);
            assert_eq!(out.error, None, "{fold:?}");
            assert_eq!(args(&out), vec![a("a", "1")]);
            assert_eq!(out.flag("MULTIPART_HEADER_FOLDING"), 1);
            assert_eq!(out.flag("MULTIPART_INVALID_HEADER_FOLDING"), invalid);
            assert_eq!(out.flag("MULTIPART_STRICT_ERROR"), 1);
            assert_eq!(
                out.part_headers,
                vec![(
                    b"a".to_vec(),
                    b"Content-Disposition: form-data; name=\"a\"".to_vec()
                )]
            );
        }
    }

    #[test]
    fn content_disposition_quoting() {
        // Single quotes: accepted but flagged; here they hide a second name.
        let body = crlf(&[
            "--0000",
            "Content-Disposition: form-data; name=';filename=\"dummy';name=b;\"",
            "",
            "2",
            "--0000--",
        ]);
        let out = run(CT, &body);
        assert!(err(&out).contains("Invalid Content-Disposition header (-14)"));
        assert_eq!(out.flag("MULTIPART_INVALID_QUOTING"), 1);
        assert_eq!(out.flag("MULTIPART_STRICT_ERROR"), 1);
        assert_eq!(
            out.multipart_names,
            vec![b";filename=\"dummy".to_vec(), b"b".to_vec()]
        );

        let cd = |v: &str| {
            let body = crlf(&[
                "--0000",
                &format!("Content-Disposition: {v}"),
                "",
                "x",
                "--0000--",
            ]);
            run(CT, &body)
        };
        let out = cd(r#"form-data; name="a\"b\\c\d""#);
        assert_eq!(out.error, None);
        assert_eq!(args(&out), vec![a(r#"a"b\c\d"#, "x")]);
        let out = cd("form-data; name=plain; filename=f.txt");
        assert_eq!(out.files[0].filename, b"f.txt");
        let out = cd("form-data ; name = \"a\" ;");
        assert_eq!(args(&out), vec![a("a", "x")]);
        let out = cd("form-data; name='a'");
        assert_eq!(args(&out), vec![a("a", "x")]);
        assert_eq!(out.flag("MULTIPART_INVALID_QUOTING"), 1);
        let out = cd("form-data; name=\"a'b\"");
        assert_eq!(out.flag("MULTIPART_INVALID_QUOTING"), 0);
        for (v, rc) in [
            ("attachment; name=a", -1),
            ("form-data; name=a; ", -3),
            ("form-data; name", -4),
            ("form-data; name ", -5),
            ("form-data; name x", -13),
            ("form-data; name= ", -6),
            ("form-data; name=\"", -7),
            ("form-data; name=\"abc", -10),
            ("form-data; foo=bar", -11),
            ("form-data; name=a b", -12),
            ("form-data; name=a; name=b", -14),
            ("form-data; name=a; filename=x; filename=y", -15),
            ("form-data; name=a; filename*=x", -16),
            ("form-data; name=a; filename*=utf-8'en", -17),
            ("form-data; name=a; filename*=utf-8''%zz", -18),
            ("form-data; name=a; filename*=utf-8''a b", -19),
            ("form-data; name=a; filename*=utf-8''a", -21),
        ] {
            let out = cd(v);
            assert!(
                err(&out).contains(&format!("Invalid Content-Disposition header ({rc})")),
                "{v}: {:?}",
                out.error
            );
        }
        let out = cd("form-data; name=a; filename=\"x.txt\"; filename*=UTF-8''%e2%82%ac.txt");
        assert_eq!(out.error, None);
        assert_eq!(out.files[0].filename, b"x.txt");
        // A filename the C-D does not literally spell `filename=`.
        let out = cd("form-data; name=a; filename =\"x\"");
        assert!(err(&out).contains("Invalid Content-Disposition header (filename)"));
        // An empty filename makes a field, as ModSecurity and Coraza do.
        let out = cd("form-data; name=a; filename=\"\"");
        assert_eq!(args(&out), vec![a("a", "x")]);
        assert!(out.files.is_empty());
        assert_eq!(out.multipart_filenames, vec![Vec::<u8>::new()]);
    }

    #[test]
    fn content_type_boundary_checks() {
        let body = normal_body();
        let errors: [(&[u8], &str); 14] = [
            (b"", "Content-Type header not available."),
            (
                b"multipart/form-data, boundary=0000",
                "Invalid boundary in C-T (malformed).",
            ),
            (
                b"multipart/form-data; bOundAry=0000",
                "Invalid boundary in C-T (case sensitivity).",
            ),
            (
                b"multipart/form-data; boundary123=0000",
                "Invalid boundary in C-T (parameter name).",
            ),
            (
                b"multipart/form-data; boundary=\"0000\"; boundary=1111",
                "Multiple boundary parameters in C-T.",
            ),
            (
                b"multipart/form-data; boundary=0000, boundary=1111",
                "Multiple boundary parameters in C-T.",
            ),
            (
                b"multipart/form-data;boundary=0000!1111",
                "Invalid boundary in C-T (characters).",
            ),
            (
                b"multipart/form-data;boundary=\"0000 \"",
                "Invalid boundary in C-T (characters).",
            ),
            (
                b"multipart/form-data;boundary=\"00\"00\"",
                "Invalid boundary in C-T (characters).",
            ),
            (
                b"multipart/form-data;boundary=\"0000",
                "Invalid boundary in C-T (quote).",
            ),
            (
                b"multipart/form-data;boundary=0000\"",
                "Invalid boundary in C-T (quote).",
            ),
            (
                b"multipart/form-data; boundary=\"\"",
                "Invalid boundary in C-T (empty).",
            ),
            (b"text/plain; boundary=0000", "Invalid MIME type."),
            (b"multipart/form-data", "Boundary not found in C-T."),
        ];
        for (ct, msg) in errors {
            let out = run(ct, &body);
            assert!(err(&out).ends_with(msg), "{}: {:?}", show(ct), out.error);
            assert_eq!(out.flag("MULTIPART_STRICT_ERROR"), 1);
            assert!(out.args.is_empty());
        }
        let long = format!("multipart/form-data; boundary={}", "a".repeat(1000));
        assert!(err(&run(long.as_bytes(), &body)).contains("(length)"));

        // Accepted with flags.
        let out = run(b"multipart/form-data boundary=0000", &body);
        assert_eq!(out.error, None);
        assert_eq!(out.flag("MULTIPART_MISSING_SEMICOLON"), 1);
        assert_eq!(out.flag("MULTIPART_STRICT_ERROR"), 1);
        let out = run(b"multipart/form-data; boundary =0000", &body);
        assert_eq!(out.error, None);
        assert_eq!(out.flag("MULTIPART_BOUNDARY_WHITESPACE"), 1);
        let out = run(b"multipart/form-data;boundary=\"0000\"", &body);
        assert_eq!(out.error, None);
        assert_eq!(out.flag("MULTIPART_BOUNDARY_QUOTED"), 1);
        assert_eq!(out.flag("MULTIPART_STRICT_ERROR"), 1);
        let out = run(b"MULTIPART/FORM-DATA; boundary=0000", &body);
        assert_eq!(out.error, None);
        // Parameters after the boundary are tolerated.
        let out = run(b"multipart/form-data; boundary=0000; charset=UTF-8", &body);
        assert_eq!(out.error, None);
        assert_eq!(out.args.len(), 2);
        // Whitespace before the value becomes part of the boundary: no match.
        let out = run(b"multipart/form-data; boundary= 0000", &body);
        assert_eq!(out.flag("MULTIPART_BOUNDARY_WHITESPACE"), 1);
        assert!(err(&out).contains("No boundaries found in payload."));
        let out = run(b"multipart/form-data;boundary=0000 1111", &body);
        assert!(err(&out).contains("No boundaries found in payload."));
    }

    #[test]
    fn boundary_line_errors() {
        let out = run(CT, b"--0000junk\r\n");
        assert!(err(&out).contains("Invalid boundary: --0000junk"));
        assert_eq!(out.flag("MULTIPART_STRICT_ERROR"), 1);
        let out = run(b"multipart/form-data; boundary=\"0000\"", b"--\"0000\"\r\n");
        assert!(err(&out).contains("Invalid boundary (quotes)."));
        let out = run(CT, b"--  0000\r\n");
        assert!(err(&out).contains("Invalid boundary (whitespace)."));
    }

    #[test]
    fn data_before_and_after() {
        let mut body = b"preamble\r\n".to_vec();
        body.extend_from_slice(&normal_body());
        let out = run(CT, &body);
        assert_eq!(out.error, None);
        assert_eq!(out.flag("MULTIPART_DATA_BEFORE"), 1);
        assert_eq!(out.flag("MULTIPART_STRICT_ERROR"), 1);

        let mut body = normal_body();
        body.extend_from_slice(
            b"--0000\r\nContent-Disposition: form-data; name=\"hidden\"\r\n\r\nx\r\n--0000--\r\n",
        );
        let out = run(CT, &body);
        assert_eq!(out.error, None);
        assert_eq!(out.flag("MULTIPART_DATA_AFTER"), 1);
        assert!(args(&out).iter().all(|(k, _)| k != "hidden"));
    }

    #[test]
    fn foreign_boundaries() {
        // A nested multipart inside a file: lines that look like boundaries.
        let body = crlf(&[
            "--0000",
            "Content-Disposition: form-data; name=\"f\"; filename=\"m.txt\"",
            "",
            "--ea520cef",
            "text",
            "--ea520cef--",
            "--0000--",
        ]);
        let out = run(CT, &body);
        assert_eq!(out.error, None);
        assert_eq!(out.files[0].content, b"--ea520cef\r\ntext\r\n--ea520cef--");
        // Our boundary seen again after the foreign ones: ModSecurity's 2.
        assert_eq!(out.flag("MULTIPART_UNMATCHED_BOUNDARY"), 2);

        // Only foreign boundaries: truncated, the flag stays 1.
        let body = crlf(&[
            "--0000",
            "Content-Disposition: form-data; name=a",
            "",
            "--1111",
        ]);
        let out = run(CT, &body);
        assert_eq!(out.flag("MULTIPART_UNMATCHED_BOUNDARY"), 1);
        assert!(err(&out).contains("Final boundary missing."));

        // Our boundary in the middle of a data line.
        let body = crlf(&[
            "--0000",
            "Content-Disposition: form-data; name=a",
            "",
            "x--0000y",
            "--0000--",
        ]);
        let out = run(CT, &body);
        assert_eq!(args(&out), vec![a("a", "x--0000y")]);
        assert_eq!(out.flag("MULTIPART_UNMATCHED_BOUNDARY"), 2);
        let body = crlf(&[
            "--0000",
            "Content-Disposition: form-data; name=a",
            "",
            "x---0000y",
        ]);
        let out = run(CT, &body);
        assert_eq!(out.flag("MULTIPART_UNMATCHED_BOUNDARY"), 1);
    }

    #[test]
    fn boundary_where_data_should_begin_is_invalid_part() {
        // No data line between the headers and the next boundary: that
        // boundary is data, so the part swallows the next part's headers.
        let body = crlf(&[
            "--0000",
            "Content-Disposition: form-data; name=\"a\"",
            "",
            "--0000",
            "Content-Disposition: form-data; name=\"b\"",
            "",
            "2",
            "--0000--",
        ]);
        let out = run(CT, &body);
        assert_eq!(out.error, None);
        assert_eq!(out.flag("MULTIPART_INVALID_PART"), 1);
        assert_eq!(out.flag("MULTIPART_STRICT_ERROR"), 1);
        assert_eq!(
            args(&out),
            vec![a(
                "a",
                "--0000\r\nContent-Disposition: form-data; name=\"b\"\r\n\r\n2"
            )]
        );
    }

    #[test]
    fn truncated_bodies() {
        let body = normal_body();
        // Cut in the middle of the file data.
        let cut = memmem::find(&body, b"BINARY").unwrap() + 6;
        let out = run(CT, &body[..cut]);
        assert!(err(&out).ends_with("Final boundary missing."));
        assert_eq!(out.args.len(), 2);
        assert_eq!(out.files[0].content, b"BINARY");
        // Every prefix: never a panic, always an error unless complete.
        for n in 0..body.len() {
            let out = run(CT, &body[..n]);
            let ok = n == 0 || n == body.len() - 2;
            assert_eq!(out.error.is_none(), ok, "prefix {n}");
        }
        // The final boundary without its line ending is accepted.
        let out = run(CT, &body[..body.len() - 2]);
        assert_eq!(out.error, None);
        assert_eq!(out.files[0].content, b"BINARYDATA");
        // No boundary at all.
        let out = run(CT, b"just some text\r\n");
        assert!(err(&out).ends_with("No boundaries found in payload."));
        assert_eq!(out.flag("MULTIPART_DATA_BEFORE"), 1);
        // Cut inside part headers: header lines still reported.
        let out = run(CT, b"--0000\r\nContent-Type: text/plain\r\n");
        assert!(err(&out).contains("Final boundary missing."));
        assert_eq!(
            out.part_headers,
            vec![(Vec::new(), b"Content-Type: text/plain".to_vec())]
        );
    }

    #[test]
    fn file_limit() {
        let limits = BodyLimits {
            upload_file_limit: 2,
            ..BodyLimits::default()
        };
        let mut lines = vec![];
        let names: Vec<String> = (1..=3)
            .map(|i| {
                format!(
                    "Content-Disposition: form-data; name=\"image{i}\"; filename=\"image{i}.jpg\""
                )
            })
            .collect();
        for n in &names {
            lines.extend(["--0000", n.as_str(), "", "BINARYDATA"]);
        }
        lines.push("--0000--");
        let out = process(&crlf(&lines), CT, &limits);
        assert_eq!(out.files.len(), 3);
        assert!(out.files.iter().all(|f| f.content == b"BINARYDATA"));
        assert_eq!(out.flag("MULTIPART_FILE_LIMIT_EXCEEDED"), 1);
        assert_eq!(out.flag("MULTIPART_STRICT_ERROR"), 1);
        assert!(err(&out).contains("Upload file limit exceeded 2."));
        let out = process(&crlf(&lines[..9]), CT, &limits);
        assert_eq!(out.flag("MULTIPART_FILE_LIMIT_EXCEEDED"), 0);
        let unlimited = BodyLimits {
            upload_file_limit: 0,
            ..BodyLimits::default()
        };
        let out = process(&crlf(&lines), CT, &unlimited);
        assert_eq!(out.error, None);
    }

    #[test]
    fn huge_field_count_is_bounded_by_the_arguments_limit() {
        let mut body = Vec::new();
        for i in 0..20_000 {
            body.extend_from_slice(
                format!("--0000\r\nContent-Disposition: form-data; name=\"f{i}\"\r\n\r\nv\r\n")
                    .as_bytes(),
            );
        }
        body.extend_from_slice(b"--0000--\r\n");
        let out = run(CT, &body);
        assert_eq!(out.error, None);
        assert_eq!(out.args.len(), 1000);
        assert_eq!(out.multipart_names.len(), 20_000);
    }

    #[test]
    fn part_headers_are_bounded() {
        // A long name repeated on many header lines would be quadratic.
        let name = "n".repeat(3000);
        let build = |name: &str| {
            let mut body = b"--0000\r\n".to_vec();
            for i in 0..20_000 {
                body.extend_from_slice(format!("h{i}: v\r\n").as_bytes());
            }
            body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\nv\r\n--0000--\r\n")
                    .as_bytes(),
            );
            body
        };
        let body = build(&name);
        let out = run(CT, &body);
        assert!(err(&out).contains("Part headers exceed"));
        assert_eq!(out.flag("MULTIPART_STRICT_ERROR"), 1);
        let total: usize = out
            .part_headers
            .iter()
            .map(|(k, v)| k.len() + v.len())
            .sum();
        assert!(total <= part_headers_cap(body.len()));
        // Many distinct headers with a short name are fine (and linear).
        let out = run(CT, &build("a"));
        assert_eq!(out.error, None);
        assert_eq!(out.part_headers.len(), 20_001);
    }

    #[test]
    fn binary_and_invalid_utf8_content() {
        let mut body = b"--0000\r\nContent-Disposition: form-data; name=\"\xff\xfe\"; filename=\"\xc3(\"\r\n\r\n".to_vec();
        let content: Vec<u8> = (0..=255u8).cycle().take(5000).collect();
        body.extend_from_slice(&content);
        body.extend_from_slice(b"\r\n--0000--\r\n");
        let out = run(CT, &body);
        // Non-ASCII in a Content-Disposition value is fine (only header
        // names are restricted); binary data is kept byte for byte.
        assert_eq!(out.error, None);
        assert_eq!(out.files[0].field, b"\xff\xfe");
        assert_eq!(out.files[0].filename, b"\xc3(");
        assert_eq!(out.files[0].content, content);
    }

    #[test]
    fn empty_body_is_not_an_error() {
        let out = run(CT, b"");
        assert_eq!(out.error, None);
        assert!(out.args.is_empty());
    }

    /// Parses the raw HTTP request used by the benchmarks.
    #[test]
    fn bench_upload_request() {
        let path = "/work/shared/bench/requests/06-benign-upload-64k.http";
        let Ok(raw) = std::fs::read(path) else {
            eprintln!("skipping: {path} not present");
            return;
        };
        let split = memmem::find(&raw, b"\r\n\r\n").expect("header/body separator");
        let (head, body) = (&raw[..split], &raw[split + 4..]);
        let ct = head
            .split(|&b| b == b'\n')
            .map(strip_eol)
            .find_map(|l| {
                let colon = memchr::memchr(b':', l)?;
                l[..colon]
                    .eq_ignore_ascii_case(b"content-type")
                    .then(|| l[colon + 1..].trim_ascii())
            })
            .expect("Content-Type");
        let out = process(body, ct, &BodyLimits::default());
        assert_eq!(out.error, None);
        assert_eq!(args(&out), vec![a("title", "Quarterly report")]);
        assert_eq!(out.files.len(), 1);
        let file = &out.files[0];
        assert_eq!(file.field, b"file");
        assert_eq!(file.filename, b"report.txt");
        // The content is everything between the part's blank line and the
        // CRLF before the closing delimiter.
        let start = memmem::find(body, b"Content-Type: text/plain\r\n\r\n").unwrap() + 28;
        let end = memmem::rfind(body, b"\r\n------WebKitFormBoundary7MA4YWxkTrZu0gW--").unwrap();
        assert_eq!(file.content, &body[start..end]);
        assert!(file.content.len() > 60_000);
        assert!(file.content.starts_with(b"kemubc "));
        assert_eq!(
            out.part_headers,
            vec![
                (
                    b"title".to_vec(),
                    b"Content-Disposition: form-data; name=\"title\"".to_vec()
                ),
                (
                    b"file".to_vec(),
                    b"Content-Disposition: form-data; name=\"file\"; filename=\"report.txt\""
                        .to_vec()
                ),
                (b"file".to_vec(), b"Content-Type: text/plain".to_vec()),
            ]
        );
        assert_eq!(set_flags(&out), vec![("MULTIPART_UNMATCHED_BOUNDARY", 2)]);
    }
}
