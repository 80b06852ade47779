//! Property-style robustness test: thousands of pseudo-random requests run
//! through every phase of a small hand-written rule set and of the real CRS;
//! nothing may panic. The PRNG is seeded, so a failure names a reproducible case.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;

use coraza::Waf;

/// xorshift64*: tiny, deterministic, good enough to pick bytes.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

/// Bytes that drive parsers and decoders into their special cases.
const SPECIAL: &[u8] = b"%&=;?#/\\.:\"'<>[]{}()+-*,!$@ \t\r\n\0\x7f\xff\xc3\xa9&#x;\\u0";

/// Fragments that reach deeper paths in decoders and detectors.
const TOKENS: &[&str] = &[
    "%",
    "%2",
    "%zz",
    "%u",
    "%u12",
    "%uff41",
    "%c0%af",
    "&#",
    "&#x",
    "&#x41;",
    "&lt;",
    "&amp",
    "\\x",
    "\\u00",
    "\\",
    "0x",
    "/*",
    "*/",
    "--",
    "#",
    "<!--",
    "-->",
    "<script>",
    "javascript:",
    "' or 1=1--",
    "union select",
    "../",
    "..\\",
    "./",
    "//",
    "\u{feff}",
    "\u{ff1c}",
    "=",
    "&",
    ";",
    "[",
    "]",
    "{",
    "}",
    "\"",
    ":",
    ",",
    "<",
    ">",
    "</",
    "<?xml",
    "<!DOCTYPE",
    "<![CDATA[",
    "]]>",
    "--boundary",
    "\r\n",
    "\n",
    "Content-Disposition: form-data; name=\"",
    "filename=\"",
    "base64,",
    "==",
    "\u{0}",
    "\u{7f}",
    "é",
    "İ",
    "ﬀ",
    "𝒜",
];

fn bytes(rng: &mut Rng, max: usize) -> Vec<u8> {
    let len = rng.below(max + 1);
    let mut out = Vec::with_capacity(len);
    while out.len() < len {
        match rng.below(4) {
            0 => out.push(rng.next() as u8),
            1 => out.push(SPECIAL[rng.below(SPECIAL.len())]),
            2 => out.extend_from_slice(rng.pick(TOKENS).as_bytes()),
            _ => out.push(b"abcXYZ0189_"[rng.below(11)]),
        }
    }
    out
}

fn urlencoded(rng: &mut Rng) -> Vec<u8> {
    let mut out = Vec::new();
    for i in 0..rng.below(12) {
        if i > 0 {
            out.push(if rng.chance(90) { b'&' } else { b';' });
        }
        out.extend(bytes(rng, 12));
        if rng.chance(85) {
            out.push(b'=');
        }
        out.extend(bytes(rng, 30));
    }
    out
}

fn json(rng: &mut Rng, depth: usize) -> Vec<u8> {
    let mut out = Vec::new();
    match if depth > 6 { 3 } else { rng.below(6) } {
        0 => {
            out.push(b'{');
            for i in 0..rng.below(4) {
                if i > 0 {
                    out.push(b',');
                }
                out.push(b'"');
                out.extend(bytes(rng, 8).into_iter().filter(|b| *b != b'"'));
                out.extend_from_slice(b"\":");
                out.extend(json(rng, depth + 1));
            }
            out.push(b'}');
        }
        1 => {
            out.push(b'[');
            for i in 0..rng.below(4) {
                if i > 0 {
                    out.push(b',');
                }
                out.extend(json(rng, depth + 1));
            }
            out.push(b']');
        }
        2 => out.extend_from_slice(
            rng.pick(&["1", "-2.5e3", "true", "null", "1e999"])
                .as_bytes(),
        ),
        3 => {
            out.push(b'"');
            out.extend(bytes(rng, 20));
            out.push(b'"');
        }
        4 => out.extend(vec![b'['; rng.below(3000)]),
        _ => out.extend(bytes(rng, 40)),
    }
    if rng.chance(5) {
        out.truncate(rng.below(out.len() + 1));
    }
    out
}

fn xml(rng: &mut Rng) -> Vec<u8> {
    let mut out = Vec::new();
    if rng.chance(50) {
        out.extend_from_slice(b"<?xml version=\"1.0\"?>");
    }
    let mut open = Vec::new();
    for _ in 0..rng.below(20) {
        match rng.below(5) {
            0 | 1 => {
                let name = rng.pick(&["a", "b", "x:y", "root", "1bad", ""]);
                out.extend_from_slice(format!("<{name}").as_bytes());
                if rng.chance(40) {
                    out.extend_from_slice(b" k=\"");
                    out.extend(bytes(rng, 10));
                    out.push(b'"');
                }
                out.push(b'>');
                open.push(name);
            }
            2 => {
                if let Some(n) = open.pop() {
                    out.extend_from_slice(format!("</{n}>").as_bytes());
                }
            }
            3 => out.extend(bytes(rng, 30)),
            _ => out.extend_from_slice(rng.pick(TOKENS).as_bytes()),
        }
    }
    if rng.chance(3) {
        out.extend(b"<a>".repeat(rng.below(2000)));
    }
    out
}

fn multipart(rng: &mut Rng, boundary: &str) -> Vec<u8> {
    let mut out = Vec::new();
    if rng.chance(20) {
        out.extend(bytes(rng, 20));
    }
    for _ in 0..rng.below(5) {
        out.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        out.extend_from_slice(b"Content-Disposition: form-data; name=\"");
        out.extend(bytes(rng, 10));
        out.push(b'"');
        if rng.chance(40) {
            out.extend_from_slice(b"; filename=\"");
            out.extend(bytes(rng, 10));
            out.push(b'"');
        }
        if rng.chance(30) {
            out.extend_from_slice(b"\r\nContent-Type: ");
            out.extend(bytes(rng, 15));
        }
        if rng.chance(15) {
            out.extend(bytes(rng, 30));
        }
        out.extend_from_slice(if rng.chance(90) { b"\r\n\r\n" } else { b"\n\n" });
        out.extend(bytes(rng, 60));
        out.extend_from_slice(b"\r\n");
    }
    if rng.chance(80) {
        out.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    }
    if rng.chance(10) {
        out.truncate(rng.below(out.len() + 1));
    }
    out
}

/// Runs one random exchange through every phase; returns how many rules matched.
fn exchange(waf: &Waf, rng: &mut Rng) -> usize {
    let mut tx = waf.new_transaction();
    tx.process_connection("192.0.2.1", rng.next() as u16, "192.0.2.2", 80);
    let mut uri = Vec::new();
    if rng.chance(10) {
        uri.extend_from_slice(rng.pick(&["http://", "https://h:1", "//", "*"]).as_bytes());
    }
    if rng.chance(90) {
        uri.push(b'/');
    }
    uri.extend(bytes(rng, 40));
    if rng.chance(70) {
        uri.push(b'?');
        uri.extend(urlencoded(rng));
    }
    let method = if rng.chance(80) {
        rng.pick(&["GET", "POST", "PUT", "OPTIONS", "HEAD", "PROPFIND"])
            .as_bytes()
            .to_vec()
    } else {
        bytes(rng, 10)
    };
    let protocol = if rng.chance(80) {
        rng.pick(&["HTTP/1.1", "HTTP/1.0", "HTTP/2.0", "HTTP/3"])
            .as_bytes()
            .to_vec()
    } else {
        bytes(rng, 10)
    };
    tx.process_uri(&uri, &method, &protocol);

    let boundary = String::from_utf8_lossy(&bytes(rng, 20))
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>();
    let boundary = if boundary.is_empty() {
        "xYz".to_string()
    } else {
        boundary
    };
    let (ctype, body): (Vec<u8>, Vec<u8>) = match rng.below(6) {
        0 => (
            b"application/x-www-form-urlencoded".to_vec(),
            urlencoded(rng),
        ),
        1 => (
            format!(
                "multipart/form-data; boundary{}{boundary}",
                rng.pick(&["=", "=\"", " = ", "=;"])
            )
            .into_bytes(),
            multipart(rng, &boundary),
        ),
        2 => (b"application/json".to_vec(), json(rng, 0)),
        3 => (rng.pick(&["text/xml", "application/xml"]).into(), xml(rng)),
        4 => (bytes(rng, 30), bytes(rng, 200)),
        _ => (Vec::new(), Vec::new()),
    };
    tx.add_request_header("Host", bytes(rng, 20));
    if !ctype.is_empty() {
        tx.add_request_header("Content-Type", &ctype);
    }
    tx.add_request_header("Content-Length", body.len().to_string());
    for _ in 0..rng.below(6) {
        let name = if rng.chance(50) {
            rng.pick(&[
                "Cookie",
                "User-Agent",
                "Referer",
                "Accept",
                "Accept-Encoding",
                "Range",
                "X-Forwarded-For",
                "Content-Type",
                "Transfer-Encoding",
                "Connection",
                "Proxy",
                "Cookie2",
            ])
            .as_bytes()
            .to_vec()
        } else {
            bytes(rng, 15)
        };
        tx.add_request_header(name, bytes(rng, 60));
    }
    tx.process_request_headers();
    // Body in a few chunks, as a proxy would stream it.
    let mut rest = &body[..];
    while !rest.is_empty() {
        let n = 1 + rng.below(rest.len());
        tx.write_request_body(&rest[..n]);
        rest = &rest[n..];
    }
    tx.process_request_body();

    tx.add_response_header(
        "Content-Type",
        rng.pick(&[
            "text/html",
            "text/plain; charset=utf-8",
            "application/json",
            "",
        ]),
    );
    for _ in 0..rng.below(3) {
        tx.add_response_header(bytes(rng, 10), bytes(rng, 30));
    }
    let status = [200, 204, 301, 404, 500, 0, 999][rng.below(7)];
    tx.process_response_headers(status, "HTTP/1.1");
    let resp = bytes(rng, 300);
    tx.write_response_body(&resp);
    tx.process_response_body();
    tx.process_logging();
    // Reading results must not panic either.
    let _ = tx.error_log_lines().count();
    let _ = tx.audit_log_parts();
    tx.matched_rules().len()
}

/// Runs `count` exchanges; returns how many rule matches they produced, so
/// a test can tell that the rules were really evaluated.
fn run(waf: &Waf, seed: u64, count: usize) -> usize {
    let mut rng = Rng(seed);
    let mut matches = 0;
    for case in 0..count {
        let case_seed = rng.next() | 1;
        match catch_unwind(AssertUnwindSafe(|| exchange(waf, &mut Rng(case_seed)))) {
            Ok(n) => matches += n,
            Err(_) => panic!("panic in case {case} (reproduce with Rng({case_seed:#x}))"),
        }
    }
    matches
}

/// A rule set touching many operators, transformations and collections.
const SMALL_RULES: &str = r#"
SecRuleEngine On
SecRequestBodyAccess On
SecResponseBodyAccess On
SecResponseBodyMimeType text/html text/plain
SecRule REQUEST_HEADERS:Content-Type "@rx (?i)json" "id:10,phase:1,pass,nolog,ctl:requestBodyProcessor=JSON"
SecRule REQUEST_HEADERS:Content-Type "@rx (?i)xml" "id:11,phase:1,pass,nolog,ctl:requestBodyProcessor=XML"
SecRule ARGS|ARGS_NAMES|REQUEST_COOKIES|REQUEST_HEADERS "@rx (a+)+b(c)" "id:20,phase:2,pass,log,capture,t:none,t:urlDecodeUni,t:htmlEntityDecode,t:lowercase,setvar:tx.c=%{tx.1}"
SecRule ARGS|REQUEST_BODY "@pm select union script" "id:21,phase:2,pass,log,t:jsDecode,t:cssDecode,t:removeComments,t:compressWhitespace"
SecRule ARGS "@detectSQLi" "id:22,phase:2,pass,log,t:utf8toUnicode,t:urlDecode,t:replaceComments"
SecRule ARGS "@detectXSS" "id:23,phase:2,pass,log,t:escapeSeqDecode,t:hexDecode,t:sqlHexDecode"
SecRule REQUEST_FILENAME "@contains .." "id:24,phase:1,pass,log,t:normalisePath,t:normalisePathWin,t:cmdLine"
SecRule ARGS "@validateByteRange 1-255" "id:25,phase:2,pass,log,t:base64Decode,t:base64DecodeExt,t:trim"
SecRule REQUEST_URI_RAW "@validateUrlEncoding" "id:26,phase:1,pass,log"
SecRule ARGS "@validateUtf8Encoding" "id:27,phase:2,pass,log,t:removeNulls,t:replaceNulls,t:removeWhitespace"
SecRule ARGS "@verifyCC \d{13,16}" "id:28,phase:2,pass,log,t:removeWhitespace"
SecRule &ARGS "@gt 3" "id:29,phase:2,pass,log,setvar:tx.n=+%{MATCHED_VAR}"
SecRule ARGS "@within abc def" "id:30,phase:2,pass,log,t:length,t:md5,t:sha1,t:hexEncode,t:base64Encode"
SecRule REQUEST_LINE "@beginsWith GET" "chain,id:31,phase:1,pass,log,msg:'%{REQUEST_LINE} %{MATCHED_VAR_NAME}'"
  SecRule REQUEST_METHOD "@endsWith T" "t:uppercase,t:urlEncode"
SecRule XML:/* "@contains x" "id:32,phase:2,pass,log"
SecRule FILES|FILES_NAMES|MULTIPART_PART_HEADERS "@rx ." "id:33,phase:2,pass,log"
SecRule REQBODY_ERROR|MULTIPART_STRICT_ERROR "!@eq 0" "id:34,phase:2,pass,log"
SecRule ARGS:/^a/ "@streq x" "id:35,phase:2,pass,log,t:trimLeft,t:trimRight"
SecRule REQUEST_HEADERS:Host "@ipMatch 10.0.0.0/8,::1" "id:36,phase:1,pass,log"
SecRule RESPONSE_BODY "@rx <(\w+)" "id:40,phase:4,pass,log,capture"
SecRule RESPONSE_STATUS "@rx ^5" "id:41,phase:3,pass,log"
SecRule TX:n "@ge 1" "id:50,phase:5,pass,log"
"#;

#[test]
fn random_requests_never_panic_small_rules() {
    let waf = Waf::builder()
        .directives(SMALL_RULES)
        .build()
        .expect("rules load");
    let matches = run(&waf, 0x9E37_79B9_7F4A_7C15, 4000);
    assert!(
        matches > 4000,
        "rules barely matched ({matches}): inputs too tame"
    );
}

fn crs_dir() -> Option<PathBuf> {
    let candidates = [
        std::env::var_os("CRS_DIR").map(PathBuf::from),
        Some(PathBuf::from("/work/shared/crs")),
        Some(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/crs")),
    ];
    candidates
        .into_iter()
        .flatten()
        .find(|d| d.join("crs-setup.conf.example").is_file())
}

#[test]
fn random_requests_never_panic_crs() {
    let Some(crs) = crs_dir() else {
        eprintln!("CRS not found (set CRS_DIR); skipping");
        return;
    };
    let waf = Waf::builder()
        .directives(coraza::RECOMMENDED_CONF)
        // Paranoia level 4 so that every CRS rule runs.
        .directives(
            "SecAction \"id:900000,phase:1,pass,nolog,setvar:tx.blocking_paranoia_level=4\"",
        )
        .file(crs.join("crs-setup.conf.example"))
        .file(crs.join("rules/*.conf"))
        .build()
        .expect("CRS loads");
    let matches = run(&waf, 0xD1B5_4A32_D192_ED03, 2000);
    assert!(
        matches > 2000,
        "CRS barely matched ({matches}): inputs too tame"
    );
}
