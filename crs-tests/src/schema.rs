//! go-ftw test files (schema v2, with v1 tolerance) loaded into typed tests.
//!
//! The loader reads each YAML document as a generic value and picks the keys
//! it knows, so unknown keys are ignored (as go-ftw does) and scalars of the
//! "wrong" YAML type are accepted where go-ftw's YAML decoder accepts them:
//! `Content-Length: 22` is an integer in YAML but a string header value here.
//! Defaults that depend on presence (`version` missing means `HTTP/1.1`, but
//! `version: ""` means an empty version) are kept as `Option`s.

use std::fmt;
use std::path::{Path, PathBuf};

use serde_yaml::{Mapping, Value};

/// A test file failed to load.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadError {
    /// The file.
    pub path: PathBuf,
    /// What was wrong, naming the key when known.
    pub message: String,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.message)
    }
}

impl std::error::Error for LoadError {}

/// One YAML file: the tests for one rule.
#[derive(Debug, Clone, PartialEq)]
pub struct TestFile {
    /// Where it was read from.
    pub path: PathBuf,
    /// Name of the folder holding it (the rule file it tests, e.g.
    /// `REQUEST-920-PROTOCOL-ENFORCEMENT`); empty when it has none.
    pub group: String,
    /// `rule_id` (or, when absent or zero, the first number in the file name).
    pub rule_id: u64,
    /// The tests, in file order.
    pub tests: Vec<TestCase>,
}

/// One test: stages run in order; it passes when all pass.
#[derive(Debug, Clone, PartialEq)]
pub struct TestCase {
    /// The file's `rule_id` (go-ftw names tests `<rule_id>-<test_id>`).
    pub rule_id: u64,
    /// `test_id`, or the 1-based position when absent or zero.
    pub test_id: u64,
    /// `desc` (or v1 `test_title` when there is no `desc`).
    pub desc: String,
    /// `tags`.
    pub tags: Vec<String>,
    /// The stages.
    pub stages: Vec<Stage>,
}

impl TestCase {
    /// go-ftw's name for the test: `<rule_id>-<test_id>`.
    pub fn name(&self) -> String {
        format!("{}-{}", self.rule_id, self.test_id)
    }
}

/// One request and what must be seen for it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Stage {
    /// The request.
    pub input: Input,
    /// The expectations.
    pub output: Output,
}

/// A request as the test describes it. `None` means "not given" (go-ftw
/// then applies its default), which differs from an empty string.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Input {
    /// `dest_addr` (default `localhost`).
    pub dest_addr: Option<String>,
    /// `port` (default 80).
    pub port: Option<u16>,
    /// `protocol` (default `http`).
    pub protocol: Option<String>,
    /// `method` (default `GET`), sent verbatim.
    pub method: Option<String>,
    /// `uri` (default `/`), sent verbatim.
    pub uri: Option<String>,
    /// `version` (default `HTTP/1.1`), sent verbatim.
    pub version: Option<String>,
    /// Headers in sending order: `ordered_headers` as given, else the
    /// `headers` map sorted by name (byte order), as go-ftw does.
    pub headers: Vec<(String, String)>,
    /// `data`: the body, a Go template.
    pub data: Option<String>,
    /// `encoded_data`: base64 body, used when `data` is absent.
    pub encoded_data: Option<String>,
    /// `encoded_request`: base64 of the whole raw request (empty: none).
    pub encoded_request: String,
    /// `autocomplete_headers` (default true; v1 `stop_magic` is its inverse).
    pub autocomplete_headers: bool,
    /// `virtual_host_mode`.
    pub virtual_host_mode: bool,
    /// `follow_redirect` (not supported by this runner; reported as an error).
    pub follow_redirect: bool,
    /// `save_cookie` (not supported by this runner; ignored like cloud mode does).
    pub save_cookie: bool,
}

impl Input {
    /// Effective method.
    pub fn method(&self) -> &str {
        self.method.as_deref().unwrap_or("GET")
    }
    /// Effective URI.
    pub fn uri(&self) -> &str {
        self.uri.as_deref().unwrap_or("/")
    }
    /// Effective version.
    pub fn version(&self) -> &str {
        self.version.as_deref().unwrap_or("HTTP/1.1")
    }
    /// Effective destination host.
    pub fn dest_addr(&self) -> &str {
        self.dest_addr.as_deref().unwrap_or("localhost")
    }
    /// Effective destination port.
    pub fn port(&self) -> u16 {
        self.port.unwrap_or(80)
    }
}

/// What a stage asserts.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Output {
    /// `status`: the response status must be one of these (schema v2 has a
    /// single value; v1 allowed a list). Empty: not checked.
    pub status: Vec<u16>,
    /// `response_contains`: Go regexp over the raw response.
    pub response_contains: Option<String>,
    /// `log` expectations (with `log_contains`/`no_log_contains` folded in).
    pub log: LogExpect,
    /// `expect_error`: the request must fail at transport level.
    pub expect_error: bool,
    /// `retry_once`: rerun the stage once when it fails.
    pub retry_once: bool,
    /// `isolated`: exactly one rule id may appear.
    pub isolated: bool,
}

/// Expectations over the WAF log lines of a stage.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LogExpect {
    /// Every id must appear.
    pub expect_ids: Vec<u64>,
    /// No id may appear.
    pub no_expect_ids: Vec<u64>,
    /// Must match at least one line.
    pub match_regex: Option<String>,
    /// Must match no line.
    pub no_match_regex: Option<String>,
}

impl Output {
    /// True when the output asserts nothing (such a stage always passes).
    pub fn is_empty(&self) -> bool {
        *self == Output::default()
    }
}

/// Loads every test file under `dir` whose name ends in `.yaml` or `.yml`
/// (go-ftw's default glob `**/*.y*ml` picks up `999999.yml` too), in path
/// order. Files that fail to load are returned separately; the rest load.
pub fn load_dir(dir: &Path) -> (Vec<TestFile>, Vec<LoadError>) {
    let mut paths = Vec::new();
    collect_yaml(dir, &mut paths, 0);
    paths.sort();
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for p in paths {
        match load_file(&p) {
            Ok(f) => files.push(f),
            Err(e) => errors.push(e),
        }
    }
    (files, errors)
}

fn collect_yaml(dir: &Path, out: &mut Vec<PathBuf>, depth: usize) {
    // The CRS tree is two levels deep; the bound only guards against links.
    if depth > 16 {
        return;
    }
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in rd.flatten() {
        let p = entry.path();
        if p.is_dir() {
            collect_yaml(&p, out, depth + 1);
        } else if p
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.ends_with(".yaml") || n.ends_with(".yml"))
        {
            out.push(p);
        }
    }
}

/// Loads one test file.
pub fn load_file(path: &Path) -> Result<TestFile, LoadError> {
    let text = std::fs::read_to_string(path).map_err(|e| LoadError {
        path: path.to_path_buf(),
        message: format!("cannot read: {e}"),
    })?;
    let file_name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default()
        .to_string();
    let group = path
        .parent()
        .and_then(|p| p.file_name())
        .and_then(|n| n.to_str())
        .unwrap_or_default()
        .to_string();
    let mut f = parse_test_file(&text, &file_name).map_err(|message| LoadError {
        path: path.to_path_buf(),
        message,
    })?;
    f.path = path.to_path_buf();
    f.group = group;
    Ok(f)
}

/// Parses the text of one test file; `file_name` supplies the rule id when
/// the file has none.
pub fn parse_test_file(text: &str, file_name: &str) -> Result<TestFile, String> {
    let doc: Value = serde_yaml::from_str(text).map_err(|e| format!("invalid YAML: {e}"))?;
    let empty = Mapping::new();
    let top = match &doc {
        Value::Mapping(m) => m,
        // A file of comments only is an empty document: zero tests.
        Value::Null => &empty,
        _ => return Err("top level is not a mapping".into()),
    };
    let mut rule_id = match get(top, "rule_id") {
        Some(v) => uint(v, "rule_id")?,
        None => 0,
    };
    if rule_id == 0 {
        rule_id = first_number(file_name).ok_or_else(|| {
            "the rule_id field is required (and the file name has no number)".to_string()
        })?;
    }
    let mut tests = Vec::new();
    if let Some(v) = get(top, "tests") {
        let list = seq(v, "tests")?;
        for (i, t) in list.iter().enumerate() {
            let position = i as u64 + 1;
            tests.push(parse_test(t, rule_id, position).map_err(|e| format!("tests[{i}]: {e}"))?);
        }
    }
    Ok(TestFile {
        path: PathBuf::new(),
        group: String::new(),
        rule_id,
        tests,
    })
}

fn parse_test(v: &Value, rule_id: u64, position: u64) -> Result<TestCase, String> {
    let m = map(v, "test")?;
    let mut test_id = match get(m, "test_id") {
        Some(v) => uint(v, "test_id")?,
        None => 0,
    };
    if test_id == 0 {
        test_id = position;
    }
    let desc = match (get(m, "desc"), get(m, "test_title")) {
        (Some(d), _) => string(d, "desc")?,
        (None, Some(t)) => string(t, "test_title")?,
        (None, None) => String::new(),
    };
    let tags = match get(m, "tags") {
        Some(v) => seq(v, "tags")?
            .iter()
            .map(|t| string(t, "tags"))
            .collect::<Result<_, _>>()?,
        None => Vec::new(),
    };
    let mut stages = Vec::new();
    if let Some(v) = get(m, "stages") {
        for (i, s) in seq(v, "stages")?.iter().enumerate() {
            stages.push(parse_stage(s).map_err(|e| format!("stages[{i}]: {e}"))?);
        }
    }
    Ok(TestCase {
        rule_id,
        test_id,
        desc,
        tags,
        stages,
    })
}

fn parse_stage(v: &Value) -> Result<Stage, String> {
    let mut m = map(v, "stage")?;
    // Schema v1 wrapped each stage: `- stage: {input, output}`.
    if let Some(inner) = get(m, "stage") {
        m = map(inner, "stage")?;
    }
    let input = match get(m, "input") {
        Some(v) => parse_input(v).map_err(|e| format!("input: {e}"))?,
        None => Input {
            autocomplete_headers: true,
            ..Input::default()
        },
    };
    let output = match get(m, "output") {
        Some(v) => parse_output(v).map_err(|e| format!("output: {e}"))?,
        None => Output::default(),
    };
    Ok(Stage { input, output })
}

fn parse_input(v: &Value) -> Result<Input, String> {
    let m = map(v, "input")?;
    let opt_str = |key: &str| -> Result<Option<String>, String> {
        match get(m, key) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => string(v, key).map(Some),
        }
    };
    let opt_bool = |key: &str| -> Result<Option<bool>, String> {
        match get(m, key) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => boolean(v, key).map(Some),
        }
    };
    let port = match get(m, "port") {
        None | Some(Value::Null) => None,
        Some(v) => {
            let p = uint(v, "port")?;
            Some(u16::try_from(p).map_err(|_| format!("port: {p} is out of range"))?)
        }
    };
    let headers = match get(m, "ordered_headers") {
        Some(v) if !v.is_null() => {
            let mut out = Vec::new();
            for (i, h) in seq(v, "ordered_headers")?.iter().enumerate() {
                let hm = map(h, "ordered_headers")?;
                let name = get(hm, "name")
                    .map(|n| string(n, "name"))
                    .transpose()?
                    .unwrap_or_default();
                let value = get(hm, "value")
                    .map(|n| string(n, "value"))
                    .transpose()?
                    .unwrap_or_default();
                if name.is_empty() {
                    return Err(format!("ordered_headers[{i}]: no name"));
                }
                out.push((name, value));
            }
            out
        }
        _ => match get(m, "headers") {
            None | Some(Value::Null) => Vec::new(),
            Some(v) => {
                let hm = map(v, "headers")?;
                let mut out = Vec::new();
                for (k, v) in hm {
                    out.push((string(k, "headers")?, string(v, "headers")?));
                }
                // go-ftw sorts the map's keys for a stable order.
                out.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
                out
            }
        },
    };
    let autocomplete = match (opt_bool("autocomplete_headers")?, opt_bool("stop_magic")?) {
        (Some(a), _) => a,
        (None, Some(stop)) => !stop,
        (None, None) => true,
    };
    Ok(Input {
        dest_addr: opt_str("dest_addr")?,
        port,
        protocol: opt_str("protocol")?,
        method: opt_str("method")?,
        uri: opt_str("uri")?,
        version: opt_str("version")?,
        headers,
        data: opt_str("data")?,
        encoded_data: opt_str("encoded_data")?,
        encoded_request: opt_str("encoded_request")?.unwrap_or_default(),
        autocomplete_headers: autocomplete,
        virtual_host_mode: opt_bool("virtual_host_mode")?.unwrap_or(false),
        follow_redirect: opt_bool("follow_redirect")?.unwrap_or(false),
        save_cookie: opt_bool("save_cookie")?.unwrap_or(false),
    })
}

/// Parses an `output` mapping (also used by the overrides file).
pub(crate) fn parse_output(v: &Value) -> Result<Output, String> {
    if v.is_null() {
        return Ok(Output::default());
    }
    let m = map(v, "output")?;
    let mut out = Output::default();
    if let Some(v) = get(m, "status") {
        out.status = match v {
            Value::Null => Vec::new(),
            Value::Sequence(s) => s.iter().map(status).collect::<Result<_, _>>()?,
            v => {
                let s = status(v)?;
                if s == 0 {
                    Vec::new()
                } else {
                    vec![s]
                }
            }
        };
    }
    out.response_contains = nonempty(get(m, "response_contains"), "response_contains")?;
    out.expect_error = opt_boolean(get(m, "expect_error"), "expect_error")?;
    out.retry_once = opt_boolean(get(m, "retry_once"), "retry_once")?;
    out.isolated = opt_boolean(get(m, "isolated"), "isolated")?;
    if let Some(lv) = get(m, "log") {
        if !lv.is_null() {
            let lm = map(lv, "log")?;
            out.log = parse_log(lm)?;
        }
    }
    // v1 put the id lists directly under output.
    if get(m, "expect_id").is_some() || get(m, "expect_ids").is_some() {
        out.log.expect_ids.extend(ids(m, "expect_ids")?);
        out.log.expect_ids.extend(ids(m, "expect_id")?);
    }
    if get(m, "no_expect_id").is_some() || get(m, "no_expect_ids").is_some() {
        out.log.no_expect_ids.extend(ids(m, "no_expect_ids")?);
        out.log.no_expect_ids.extend(ids(m, "no_expect_id")?);
    }
    // Deprecated aliases apply only when nothing newer is set (as go-ftw).
    if let Some(lc) = nonempty(get(m, "log_contains"), "log_contains")? {
        if out.log.expect_ids.is_empty() && out.log.match_regex.is_none() {
            out.log.match_regex = Some(lc);
        }
    }
    if let Some(nlc) = nonempty(get(m, "no_log_contains"), "no_log_contains")? {
        if out.log.no_expect_ids.is_empty() && out.log.no_match_regex.is_none() {
            out.log.no_match_regex = Some(nlc);
        }
    }
    Ok(out)
}

fn parse_log(m: &Mapping) -> Result<LogExpect, String> {
    let mut l = LogExpect {
        expect_ids: ids(m, "expect_ids")?,
        no_expect_ids: ids(m, "no_expect_ids")?,
        match_regex: nonempty(get(m, "match_regex"), "match_regex")?,
        no_match_regex: nonempty(get(m, "no_match_regex"), "no_match_regex")?,
    };
    // v1 singular forms.
    l.expect_ids.extend(ids(m, "expect_id")?);
    l.no_expect_ids.extend(ids(m, "no_expect_id")?);
    Ok(l)
}

fn ids(m: &Mapping, key: &str) -> Result<Vec<u64>, String> {
    match get(m, key) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Sequence(s)) => s.iter().map(|v| uint(v, key)).collect(),
        Some(v) => Ok(vec![uint(v, key)?]),
    }
}

fn status(v: &Value) -> Result<u16, String> {
    let n = uint(v, "status")?;
    u16::try_from(n).map_err(|_| format!("status: {n} is out of range"))
}

fn get<'a>(m: &'a Mapping, key: &str) -> Option<&'a Value> {
    m.get(Value::String(key.to_string()))
}

fn map<'a>(v: &'a Value, what: &str) -> Result<&'a Mapping, String> {
    match v {
        Value::Mapping(m) => Ok(m),
        Value::Tagged(t) => map(&t.value, what),
        _ => Err(format!("{what}: expected a mapping")),
    }
}

fn seq<'a>(v: &'a Value, what: &str) -> Result<&'a [Value], String> {
    match v {
        Value::Sequence(s) => Ok(s),
        Value::Null => Ok(&[]),
        _ => Err(format!("{what}: expected a list")),
    }
}

/// A scalar as text, the way go-ftw's YAML decoder fills a string field:
/// numbers and booleans keep their text, null is empty.
fn string(v: &Value, what: &str) -> Result<String, String> {
    match v {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        Value::Null => Ok(String::new()),
        Value::Tagged(t) => string(&t.value, what),
        _ => Err(format!("{what}: expected a scalar")),
    }
}

fn nonempty(v: Option<&Value>, what: &str) -> Result<Option<String>, String> {
    match v {
        None => Ok(None),
        Some(v) => {
            let s = string(v, what)?;
            Ok(if s.is_empty() { None } else { Some(s) })
        }
    }
}

fn uint(v: &Value, what: &str) -> Result<u64, String> {
    match v {
        Value::Number(n) => n
            .as_u64()
            .ok_or_else(|| format!("{what}: {n} is not a non-negative integer")),
        Value::String(s) => s
            .trim()
            .parse()
            .map_err(|_| format!("{what}: {s:?} is not a non-negative integer")),
        Value::Null => Ok(0),
        Value::Tagged(t) => uint(&t.value, what),
        _ => Err(format!("{what}: expected an integer")),
    }
}

fn boolean(v: &Value, what: &str) -> Result<bool, String> {
    match v {
        Value::Bool(b) => Ok(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Ok(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Ok(false),
        Value::Tagged(t) => boolean(&t.value, what),
        _ => Err(format!("{what}: expected true or false")),
    }
}

fn opt_boolean(v: Option<&Value>, what: &str) -> Result<bool, String> {
    match v {
        None | Some(Value::Null) => Ok(false),
        Some(v) => boolean(v, what),
    }
}

fn first_number(s: &str) -> Option<u64> {
    let start = s.find(|c: char| c.is_ascii_digit())?;
    let digits: String = s[start..]
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .collect();
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v2_file_with_defaults_and_int_header() {
        let y = r#"
meta: {author: x}
rule_id: 920181
tests:
  - test_id: 3
    desc: d
    stages:
      - input:
          dest_addr: 127.0.0.1
          port: 80
          headers:
            User-Agent: ua
            Content-Length: 7
            Accept:
            Host: localhost
          version: ""
          data: "a\x0D\x0Ab"
          autocomplete_headers: false
        output:
          status: 200
          log:
            expect_ids: [1, 2]
            no_expect_ids: [3]
            match_regex: 'id "1"'
          retry_once: true
  - stages:
      - input: {}
        output: {}
"#;
        let f = parse_test_file(y, "920181.yaml").unwrap();
        assert_eq!(f.rule_id, 920181);
        let t = &f.tests[0];
        assert_eq!(t.name(), "920181-3");
        let i = &t.stages[0].input;
        assert_eq!(
            i.headers,
            vec![
                ("Accept".into(), "".into()),
                ("Content-Length".into(), "7".into()),
                ("Host".into(), "localhost".into()),
                ("User-Agent".into(), "ua".into()),
            ]
        );
        assert_eq!(i.version(), "");
        assert_eq!(i.method(), "GET");
        assert_eq!(i.uri(), "/");
        assert_eq!(i.data.as_deref(), Some("a\r\nb"));
        assert!(!i.autocomplete_headers);
        let o = &t.stages[0].output;
        assert_eq!(o.status, vec![200]);
        assert_eq!(o.log.expect_ids, vec![1, 2]);
        assert_eq!(o.log.no_expect_ids, vec![3]);
        assert_eq!(o.log.match_regex.as_deref(), Some("id \"1\""));
        assert!(o.retry_once);
        // Missing test_id falls back to the position.
        assert_eq!(f.tests[1].test_id, 2);
        assert!(f.tests[1].stages[0].input.autocomplete_headers);
        assert!(f.tests[1].stages[0].output.is_empty());
    }

    #[test]
    fn v1_stage_wrapping_and_singular_ids() {
        let y = r#"
rule_id: 1
tests:
  - test_title: t
    stages:
      - stage:
          input: {stop_magic: true, method: POST}
          output:
            expect_id: 5
            log_contains: 'abc'
            no_log_contains: 'def'
            status: [200, 403]
"#;
        let f = parse_test_file(y, "x.yaml").unwrap();
        let t = &f.tests[0];
        assert_eq!(t.desc, "t");
        let s = &t.stages[0];
        assert!(!s.input.autocomplete_headers);
        assert_eq!(s.input.method(), "POST");
        assert_eq!(s.output.log.expect_ids, vec![5]);
        // log_contains is ignored when expect ids exist (go-ftw's rule).
        assert_eq!(s.output.log.match_regex, None);
        assert_eq!(s.output.log.no_match_regex.as_deref(), Some("def"));
        assert_eq!(s.output.status, vec![200, 403]);
    }

    #[test]
    fn rule_id_from_file_name_and_comment_only_file() {
        let f = parse_test_file("# nothing\n", "920539.yaml").unwrap();
        assert_eq!(f.rule_id, 920539);
        assert!(f.tests.is_empty());
        let f = parse_test_file("author: x\ntests: []\n", "932271.yaml").unwrap();
        assert_eq!(f.rule_id, 932271);
        assert!(parse_test_file("tests: []", "abc.yaml").is_err());
    }

    #[test]
    fn typo_rule_id_is_kept() {
        let f = parse_test_file("rule_id: 9331200\ntests: [{test_id: 1}]", "933200.yaml").unwrap();
        assert_eq!(f.tests[0].name(), "9331200-1");
    }

    #[test]
    fn wrong_types_are_errors_naming_the_key() {
        let e = parse_test_file(
            "rule_id: 1\ntests: [{stages: [{input: {port: x}}]}]",
            "a.yaml",
        )
        .unwrap_err();
        assert!(e.contains("port"), "{e}");
        let e = parse_test_file("rule_id: [1]", "a.yaml").unwrap_err();
        assert!(e.contains("rule_id"), "{e}");
    }

    #[test]
    fn ordered_headers_win_over_map() {
        let y = r#"
rule_id: 1
tests:
  - stages:
      - input:
          headers: {A: 1}
          ordered_headers: [{name: Z, value: z}, {name: B, value: b}]
"#;
        let f = parse_test_file(y, "x.yaml").unwrap();
        assert_eq!(
            f.tests[0].stages[0].input.headers,
            vec![("Z".into(), "z".into()), ("B".into(), "b".into())]
        );
    }
}
