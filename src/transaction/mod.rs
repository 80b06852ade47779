//! The phase loop: a [`Transaction`] carries one HTTP exchange through the
//! five phases and records what the rules decided.

use std::borrow::Cow;
use std::sync::Arc;

use crate::actions::{Action, AllowScope, Ctl, Disruptive, SetOp};
use crate::operators::OpContext;
use crate::rules::{BodyLimitAction, Entry, Rule, RuleEngineMode, RuleSet};
use crate::variables::{header, CurrentRule, KeyHint, KeyMark, KeySel, TxVars, Var};

mod phase_cache;
mod spare;

use phase_cache::PhaseCache;
pub(crate) use spare::SparePool;

mod prelude;
pub(crate) use prelude::{compute as prelude_of, Prelude};
mod setvar {
    pub(crate) use crate::actions::setvar_push_int as push_int;
    pub use crate::actions::setvar_to_int as to_int;
}

/// What a disruptive rule asked the server to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InterruptionAction {
    /// Refuse with `status`.
    Deny,
    /// Close the connection.
    Drop,
    /// Redirect to `data` with `status` (302 unless set).
    Redirect,
}

impl InterruptionAction {
    /// SecLang name of the action (`deny`, `drop`, `redirect`).
    pub fn as_str(&self) -> &'static str {
        match self {
            InterruptionAction::Deny => "deny",
            InterruptionAction::Drop => "drop",
            InterruptionAction::Redirect => "redirect",
        }
    }
}

/// A decision to stop the transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interruption {
    /// Id of the rule that decided (the chain starter for chains).
    pub rule_id: u64,
    /// What to do.
    pub action: InterruptionAction,
    /// HTTP status to answer with.
    pub status: u16,
    /// Redirect target for [`InterruptionAction::Redirect`], else empty.
    pub data: String,
}

/// One variable a rule matched on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MatchedVar {
    /// Name as ModSecurity reports it (`ARGS:foo`, `REQUEST_HEADERS:User-Agent`).
    pub name: Arc<str>,
    /// The value the operator saw (after transformations), as MATCHED_VAR holds it.
    pub value: Arc<[u8]>,
}

/// The parts of a rule every report of its matches repeats.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuleInfo {
    /// Rule file.
    pub file: Arc<str>,
    /// `tag` actions.
    pub tags: Vec<String>,
    /// `ver`.
    pub ver: String,
    /// `rev`.
    pub rev: String,
}

/// A rule that matched during the transaction.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MatchedRule {
    /// Rule id (the chain starter's id for chains).
    pub id: u64,
    /// Phase it ran in.
    pub phase: u8,
    /// What the rule set says about the rule: file, tags, `ver`, `rev`
    /// (shared with it: one reference count per match, not one per field).
    pub info: Arc<RuleInfo>,
    /// 1-based line.
    pub line: usize,
    /// Expanded `msg`.
    pub msg: String,
    /// Expanded `logdata`.
    pub data: String,
    /// Severity 0-7, when set.
    pub severity: Option<u8>,
    /// `maturity`.
    pub maturity: Option<u8>,
    /// `accuracy`.
    pub accuracy: Option<u8>,
    /// Whether the rule is logged (`log`/`nolog`).
    pub log: bool,
    /// Whether the rule is disruptive and took effect.
    pub disruptive: bool,
    /// Variables that matched (last is the chain's final match).
    pub matched: Vec<MatchedVar>,
    /// The ModSecurity-format error-log line for this match (empty for `nolog` rules).
    pub error_log: String,
}

/// Rules removed or narrowed by `ctl` for this transaction only.
#[derive(Default)]
struct Removals {
    ids: Vec<(u64, u64)>,
    tags: Vec<crate::actions::TagSel>,
    msgs: Vec<String>,
    targets: Vec<(RuleSelector, Var, KeySel)>,
    /// Whether one of `targets` is of TX (`TX:key` links then take the
    /// general path, which applies them).
    tx_targets: bool,
}

impl Removals {
    /// Removes target `v`/`k` from the rules `sel` selects.
    fn remove_target(&mut self, sel: RuleSelector, v: Var, k: KeySel) {
        self.tx_targets |= v == Var::Tx;
        self.targets.push((sel, v, k));
    }

    fn is_empty(&self) -> bool {
        !self.removes_rules() && self.targets.is_empty()
    }

    /// Whether whole rules were removed (by id, tag or message).
    fn removes_rules(&self) -> bool {
        !self.ids.is_empty() || !self.tags.is_empty() || !self.msgs.is_empty()
    }
}

enum RuleSelector {
    Ids(Vec<(u64, u64)>),
    Tag(crate::actions::TagSel),
    Msg(String),
}

impl RuleSelector {
    fn selects(&self, rules: &RuleSet, r: &Rule) -> bool {
        match self {
            RuleSelector::Ids(ids) => in_ranges(ids, r.id),
            RuleSelector::Tag(t) => t.selects(rules, r),
            RuleSelector::Msg(m) => r.meta.msg.as_ref().is_some_and(|x| x.raw() == m),
        }
    }
}

fn in_ranges(ranges: &[(u64, u64)], id: u64) -> bool {
    ranges.iter().any(|(a, b)| (*a..=*b).contains(&id))
}

/// A value whose transformed form may be kept for the rest of the phase:
/// borrowed request/response data (rule state such as TX changes between rules).
fn cacheable(item: &crate::variables::Item<'_>) -> bool {
    matches!(item.value, Cow::Borrowed(_)) && item.value.len() >= 8 && item.var.is_data()
}

/// Runs a rule's transformation pipeline; borrowed while nothing changes.
fn run_pipeline<'a>(r: &Rule, value: &'a [u8]) -> Cow<'a, [u8]> {
    let mut cur: Cow<'a, [u8]> = Cow::Borrowed(value);
    for t in &r.transforms {
        cur = match cur {
            Cow::Borrowed(b) => t(b),
            // A borrowed output may be a shorter piece of the input (`t:trim`).
            Cow::Owned(v) => {
                let out = t(&v);
                let next = crate::transformations::is_changed(&v, &out).then(|| out.into_owned());
                Cow::Owned(next.unwrap_or(v))
            }
        };
    }
    cur
}

/// `value` as a matched value. One-digit values (CRS's paranoia levels and
/// counters, read on every request) share a value made once.
fn shared_value(value: &[u8]) -> Arc<[u8]> {
    static DIGITS: std::sync::LazyLock<[Arc<[u8]>; 10]> =
        std::sync::LazyLock::new(|| std::array::from_fn(|d| Arc::from([b'0' + d as u8])));
    match value {
        [] => Arc::default(),
        [d @ b'0'..=b'9'] => DIGITS[usize::from(d - b'0')].clone(),
        _ => Arc::from(value),
    }
}

/// Which body a write goes to.
#[derive(Clone, Copy)]
enum Direction {
    Request,
    Response,
}

/// A value that matched, waiting for its actions to run.
struct Found {
    name: Arc<str>,
    value: Arc<[u8]>,
    captures: Option<crate::operators::Captures>,
}

/// One HTTP exchange being inspected. Created by [`crate::Waf::new_transaction`].
pub struct Transaction {
    rules: Arc<RuleSet>,
    id: String,
    vars: TxVars,
    engine: RuleEngineMode,
    request_body_access: bool,
    response_body_access: bool,
    request_body_limit: usize,
    response_body_limit: usize,
    force_request_body_variable: bool,
    body_processor: Option<String>,
    interruption: Option<Interruption>,
    /// The matched rules (`rules`), and spare variable lists for new records.
    matched: spare::Matched,
    removals: Removals,
    allow: Option<AllowScope>,
    request_body_truncated: bool,
    response_body_truncated: bool,
    /// Highest phase run so far (0 = none).
    last_phase: u8,
    logging_done: bool,
    audit_engine: String,
    audit_log_parts: String,
    /// An empty buffer whose allocation rule evaluations reuse (collecting
    /// a rule's values would otherwise allocate for every rule).
    item_buf: Vec<crate::variables::Item<'static>>,
    /// The phase cache's memory, kept between phases.
    cache_buffers: phase_cache::Buffers,
    /// Matches of the link being evaluated (kept empty between rules).
    found_buf: Vec<Found>,
    /// A matched variable's name, written before it is shared.
    name_buf: String,
    /// What every error-log line of the phase repeats, made at its first
    /// logged match (the data it comes from does not change within a phase).
    log_cx: Option<crate::logging::LogContext>,
    /// A `setvar` value, expanded before it is copied into the collection.
    setvar_buf: Vec<u8>,
    /// A `setvar` key, expanded likewise.
    setvar_key: Vec<u8>,
    /// With a rule set that has a prelude: a TX collection already in the
    /// prelude's state, taken on when phase 1 starts.
    primed_tx: Option<crate::variables::Collection>,
    /// Per [`crate::rules::plan::LinkPlan::tx_memo`] question: what TX
    /// held for its key when it was last answered, and the value that
    /// matched (`None`: no match). Writes to other keys keep the answer.
    /// Empty until the first question.
    tx_memo: Vec<(KeyMark, Option<Arc<[u8]>>)>,
}

impl Transaction {
    pub(crate) fn new(rules: Arc<RuleSet>, id: String) -> Transaction {
        let c = &rules.config;
        // An earlier transaction's data, emptied (see `TxData::recycle`).
        let mut data = rules.plan.spare.take_data().unwrap_or_default();
        let d = Arc::make_mut(&mut data);
        d.unique_id = d.buf_string(&id);
        d.started = Some(std::time::Instant::now());
        let mut vars = TxVars {
            data,
            rules: Some(rules.clone()),
            ..TxVars::default()
        };
        // TX starts empty; with a prelude, the pool's collections are primed
        // and wait until phase 1 takes one on.
        let mut primed_tx = None;
        match rules.plan.prelude.get() {
            Some(_) => primed_tx = rules.plan.spare.take_tx(),
            None => vars.tx = rules.plan.spare.take_tx().unwrap_or_default(),
        }
        Transaction {
            engine: c.rule_engine,
            request_body_access: c.request_body_access,
            response_body_access: c.response_body_access,
            request_body_limit: c.request_body_limit,
            response_body_limit: c.response_body_limit,
            force_request_body_variable: false,
            body_processor: None,
            interruption: None,
            // Reserved at the count earlier transactions reached: a matched
            // rule is large, and CRS records dozens on every request.
            matched: rules.plan.spare.take_matched().unwrap_or_else(|| {
                let mut m = spare::Matched::default();
                crate::rules::plan::CacheHints::reserve(&rules.plan.hints.matched, &mut m.rules);
                m
            }),
            removals: Removals::default(),
            allow: None,
            request_body_truncated: false,
            response_body_truncated: false,
            last_phase: 0,
            logging_done: false,
            audit_engine: c.audit_engine.clone(),
            audit_log_parts: c.audit_log_parts.clone(),
            item_buf: Vec::with_capacity(16),
            cache_buffers: rules.plan.spare.take_cache().unwrap_or_default(),
            found_buf: Vec::with_capacity(16),
            log_cx: None,
            name_buf: String::with_capacity(64),
            setvar_buf: Vec::new(),
            setvar_key: Vec::new(),
            primed_tx,
            tx_memo: Vec::new(),
            vars,
            id,
            rules,
        }
    }

    /// The transaction's unique id (UNIQUE_ID).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The rule engine mode in effect (SecRuleEngine, changed by `ctl:ruleEngine`).
    pub fn rule_engine(&self) -> RuleEngineMode {
        self.engine
    }

    /// Sets REMOTE_ADDR/PORT and SERVER_ADDR/PORT.
    pub fn process_connection(
        &mut self,
        client_ip: &str,
        client_port: u16,
        server_ip: &str,
        server_port: u16,
    ) {
        let v = self.vars.data_mut();
        v.remote_addr = v.buf_string(client_ip);
        v.remote_port = client_port;
        v.server_addr = v.buf_string(server_ip);
        v.server_port = server_port;
    }

    /// Sets SERVER_NAME (otherwise taken from the Host header).
    pub fn set_server_name(&mut self, name: &str) {
        let v = self.vars.data_mut();
        v.server_name = v.buf(name.as_bytes());
    }

    /// Records the request line: `uri` is the request target as sent
    /// (`/path?query`), `protocol` e.g. `HTTP/1.1`. Query arguments become ARGS_GET.
    pub fn process_uri(
        &mut self,
        uri: impl AsRef<[u8]>,
        method: impl AsRef<[u8]>,
        protocol: impl AsRef<[u8]>,
    ) {
        let (uri, method, protocol) = (uri.as_ref(), method.as_ref(), protocol.as_ref());
        let v = self.vars.data_mut();
        // Buffers an earlier transaction left, where there are any.
        v.request_method = v.buf(method);
        v.request_protocol = v.buf(protocol);
        v.request_uri_raw = v.buf(uri);
        let mut line = v.buf(method);
        line.push(b' ');
        line.extend_from_slice(uri);
        line.push(b' ');
        line.extend_from_slice(protocol);
        v.request_line = line;
        // The fragment is never part of what the server resolves.
        let no_frag = match memchr::memchr(b'#', uri) {
            Some(i) => &uri[..i],
            None => uri,
        };
        // Absolute form (`http://host/path`): keep only the path and query.
        let origin_form = strip_scheme_authority(no_frag);
        v.request_uri = v.buf(origin_form);
        let (path, query) = match memchr::memchr(b'?', origin_form) {
            Some(i) => (&origin_form[..i], &origin_form[i + 1..]),
            None => (origin_form, &b""[..]),
        };
        v.query_string = v.buf(query);
        let decoded = percent_decode_path(path);
        let base_at = decoded.iter().rposition(|b| *b == b'/' || *b == b'\\');
        v.request_basename = match base_at {
            Some(i) => v.buf(&decoded[i + 1..]),
            None => v.buf(&decoded),
        };
        v.request_filename = decoded;
        let limit = self.rules.config.arguments_limit;
        v.args_get.clear();
        let invalid = crate::body::urlencoded::parse_urlencoded_into(
            query,
            self.rules.config.argument_separator,
            limit,
            &mut v.args_get,
            &mut v.spare.0,
        );
        if invalid {
            v.flags.push(("URLENCODED_ERROR", 1));
        }
    }

    /// Adds one request header (repeat for repeated headers).
    pub fn add_request_header(&mut self, name: impl AsRef<[u8]>, value: impl AsRef<[u8]>) {
        let (name, value) = (name.as_ref(), value.as_ref());
        if name.eq_ignore_ascii_case(b"cookie") {
            for part in value.split(|b| *b == b';') {
                let part = trim(part);
                if part.is_empty() {
                    continue;
                }
                let (k, val) = match memchr::memchr(b'=', part) {
                    Some(i) => (trim(&part[..i]), &part[i + 1..]),
                    None => (part, &b""[..]),
                };
                let v = self.vars.data_mut();
                let pair = (v.buf(k), v.buf(val));
                v.request_cookies.push(pair);
            }
        } else if name.eq_ignore_ascii_case(b"content-type") && self.body_processor.is_none() {
            // Known at phase 1 already, as CRS 920400 expects.
            let lc = String::from_utf8_lossy(value).to_ascii_lowercase();
            if lc.starts_with("application/x-www-form-urlencoded") {
                self.vars.reqbody_processor = Some("URLENCODED".into());
            } else if lc.starts_with("multipart/form-data") {
                self.vars.reqbody_processor = Some("MULTIPART".into());
            }
        } else if name.eq_ignore_ascii_case(b"host") && self.vars.data.server_name.is_empty() {
            let host = match value.iter().rposition(|b| *b == b':') {
                Some(i) if !value.contains(&b']') || value[i..].iter().all(|b| *b != b']') => {
                    &value[..i]
                }
                _ => value,
            };
            let v = self.vars.data_mut();
            v.server_name = v.buf(host);
        }
        let v = self.vars.data_mut();
        let pair = (v.buf(name), v.buf(value));
        v.request_headers.push(pair);
    }

    /// Runs phase 1 (request headers).
    pub fn process_request_headers(&mut self) -> Option<Interruption> {
        self.run_phase(1);
        self.interruption.clone()
    }

    /// Whether the request body is wanted (SecRequestBodyAccess or `ctl`).
    pub fn is_request_body_accessible(&self) -> bool {
        self.request_body_access
    }

    /// Appends request body bytes. Over SecRequestBodyLimit with `Reject`,
    /// the transaction is interrupted with 413; with `ProcessPartial` the rest
    /// is ignored.
    pub fn write_request_body(&mut self, data: &[u8]) -> Option<Interruption> {
        if self.interruption.is_none() && self.append_body(Direction::Request, data) {
            self.request_body_truncated = true;
        }
        self.interruption.clone()
    }

    /// Appends to the request or response body up to its limit; true when
    /// `data` did not fit. With the limit action `Reject` it also sets the
    /// data-error flag and (engine On) interrupts: 413 for requests, 500 for
    /// responses.
    fn append_body(&mut self, dir: Direction, data: &[u8]) -> bool {
        let c = &self.rules.config;
        let (limit, action, flag, status) = match dir {
            Direction::Request => (
                self.request_body_limit,
                c.request_body_limit_action,
                "INBOUND_DATA_ERROR",
                413,
            ),
            Direction::Response => (
                self.response_body_limit,
                c.response_body_limit_action,
                "OUTBOUND_DATA_ERROR",
                500,
            ),
        };
        let vars = self.vars.data_mut();
        let body = match dir {
            Direction::Request => &mut vars.request_body,
            Direction::Response => &mut vars.response_body,
        };
        let room = limit.saturating_sub(body.len());
        body.extend_from_slice(&data[..data.len().min(room)]);
        if data.len() <= room {
            return false;
        }
        if action == BodyLimitAction::Reject {
            vars.flags.push((flag, 1));
            if self.engine == RuleEngineMode::On {
                self.interruption = Some(Interruption {
                    rule_id: 0,
                    action: InterruptionAction::Deny,
                    status,
                    data: String::new(),
                });
            }
        }
        true
    }

    /// Parses the request body with the selected processor and runs phase 2.
    pub fn process_request_body(&mut self) -> Option<Interruption> {
        if self.last_phase < 1 {
            self.run_phase(1);
        }
        if self.interruption.is_some() {
            return self.interruption.clone();
        }
        if self.request_body_access {
            self.parse_request_body();
        } else {
            self.vars.data_mut().request_body.clear();
        }
        self.run_phase(2);
        self.interruption.clone()
    }

    fn parse_request_body(&mut self) {
        let ct = header(&self.vars.data.request_headers, b"content-type")
            .map(<[u8]>::to_vec)
            .unwrap_or_default();
        let processor = self
            .body_processor
            .clone()
            .or_else(|| self.vars.reqbody_processor.clone());
        // ModSecurity fills REQUEST_BODY only for URLENCODED bodies, bodies
        // no processor claims, or when forced; JSON, XML and multipart bodies
        // are seen through their parsed variables instead.
        self.vars.data_mut().request_body_hidden = !self.force_request_body_variable
            && processor.as_deref().is_some_and(|p| p != "URLENCODED");
        let Some(processor) = processor else { return };
        if self.vars.data.request_body.is_empty() {
            self.vars.reqbody_processor = Some(processor);
            return;
        }
        let c = &self.rules.config;
        let limits = crate::body::BodyLimits {
            arguments_limit: c
                .arguments_limit
                .saturating_sub(self.vars.data.args_get.len()),
            json_depth_limit: c.json_depth_limit,
            upload_file_limit: c.upload_file_limit,
        };
        if processor == "MULTIPART" {
            self.vars.data_mut().multipart_processed = true;
        }
        let body = &self.vars.data.request_body;
        let out = match processor.as_str() {
            "URLENCODED" => crate::body::urlencoded::process(body, c.argument_separator, &limits),
            "MULTIPART" => crate::body::multipart::process(body, &ct, &limits),
            "JSON" => crate::body::json::process(body, &limits),
            "XML" => crate::body::xml::process(body, &limits),
            _ => crate::body::BodyOutput::default(),
        };
        self.vars.reqbody_processor = Some(processor);
        let v = self.vars.data_mut();
        v.args_post = out.args;
        v.files = out.files;
        v.part_headers = out.part_headers;
        v.multipart_names = out.multipart_names;
        v.multipart_filenames = out.multipart_filenames;
        v.flags.extend(out.flags);
        v.xml_text = out.xml_text;
        v.xml_attrs = out.xml_attrs;
        if out.error.is_some() {
            v.reqbody_error = out.error;
        }
    }

    /// Adds one response header.
    pub fn add_response_header(&mut self, name: impl AsRef<[u8]>, value: impl AsRef<[u8]>) {
        let v = self.vars.data_mut();
        let pair = (v.buf(name.as_ref()), v.buf(value.as_ref()));
        v.response_headers.push(pair);
    }

    /// Runs phase 3 (response headers).
    pub fn process_response_headers(
        &mut self,
        status: u16,
        protocol: &str,
    ) -> Option<Interruption> {
        self.vars.data_mut().response_status = Some(status);
        let v = self.vars.data_mut();
        v.response_protocol = v.buf(protocol.as_bytes());
        self.run_phase(3);
        self.interruption.clone()
    }

    /// Whether the response body should be sent: access is on and the
    /// response Content-Type is one of SecResponseBodyMimeType.
    pub fn is_response_body_accessible(&self) -> bool {
        if !self.response_body_access {
            return false;
        }
        let ct = header(&self.vars.data.response_headers, b"content-type")
            .map(|v| String::from_utf8_lossy(v).to_ascii_lowercase());
        let mime = match &ct {
            Some(ct) => ct.split(';').next().unwrap_or("").trim().to_string(),
            // No Content-Type: ModSecurity treats it as text/plain... only if listed.
            None => return false,
        };
        self.rules.config.response_body_mime_types.contains(&mime)
    }

    /// Appends response body bytes (up to SecResponseBodyLimit).
    pub fn write_response_body(&mut self, data: &[u8]) -> Option<Interruption> {
        if self.interruption.is_none()
            && self.is_response_body_accessible()
            && self.append_body(Direction::Response, data)
        {
            self.response_body_truncated = true;
        }
        self.interruption.clone()
    }

    /// Runs phase 4 (response body).
    pub fn process_response_body(&mut self) -> Option<Interruption> {
        if self.last_phase < 3 {
            self.run_phase(3);
        }
        self.run_phase(4);
        self.interruption.clone()
    }

    /// Runs phase 5 (logging). Runs once, even after an interruption.
    pub fn process_logging(&mut self) {
        if self.logging_done {
            return;
        }
        self.logging_done = true;
        self.run_phase(5);
    }

    /// The interruption decided so far, if any.
    pub fn interruption(&self) -> Option<&Interruption> {
        self.interruption.as_ref()
    }

    /// Rules that matched so far, in order.
    pub fn matched_rules(&self) -> &[MatchedRule] {
        &self.matched.rules
    }

    /// ModSecurity-format error-log lines of the logged matches.
    pub fn error_log_lines(&self) -> impl Iterator<Item = &str> {
        self.matched
            .rules
            .iter()
            .filter(|m| m.log)
            .map(|m| m.error_log.as_str())
    }

    /// Reads a TX variable (e.g. `blocking_inbound_anomaly_score`).
    pub fn tx_var(&self, name: &str) -> Option<String> {
        self.vars
            .tx
            .get(name.as_bytes())
            .map(|v| String::from_utf8_lossy(v).into_owned())
    }

    /// Whether the audit log wants this transaction (SecAuditEngine, relevant status).
    pub fn audit_relevant(&self) -> bool {
        match self.audit_engine.to_ascii_lowercase().as_str() {
            "on" => true,
            "relevantonly" => {
                let status = self
                    .interruption
                    .as_ref()
                    .map(|i| i.status)
                    .or(self.vars.data.response_status);
                let by_status = match (&self.rules.config.audit_log_relevant_status, status) {
                    (Some(re), Some(s)) => {
                        regex::Regex::new(re).is_ok_and(|r| r.is_match(&s.to_string()))
                    }
                    _ => false,
                };
                by_status || self.matched.rules.iter().any(|m| m.log)
            }
            _ => false,
        }
    }

    /// The audit log parts in effect (`SecAuditLogParts`, `ctl:auditLogParts`).
    pub fn audit_log_parts(&self) -> &str {
        &self.audit_log_parts
    }

    // ---- the phase loop ----

    fn run_phase(&mut self, phase: u8) {
        if phase <= self.last_phase && phase != 5 {
            return;
        }
        self.last_phase = self.last_phase.max(phase);
        if self.engine == RuleEngineMode::Off {
            return;
        }
        if self.interruption.is_some() && phase != 5 {
            return;
        }
        match self.allow {
            Some(AllowScope::All) if phase != 5 => return,
            Some(AllowScope::Request) if phase <= 2 => return,
            Some(AllowScope::Phase) => self.allow = None,
            _ => {}
        }
        self.log_cx = None;
        let rules = self.rules.clone();
        let data = self.vars.data.clone();
        let mut buffers = std::mem::take(&mut self.cache_buffers);
        if !buffers.has_large() {
            if let Some(spare) = rules.plan.spare.take_cache() {
                buffers.put_large(spare);
            }
        }
        let mut cache = PhaseCache::new(&data, &rules.plan, phase, buffers);
        let list = &rules.phases[phase as usize - 1];
        let mut i = 0;
        let mut stopped = false;
        // Phase 1: the rules before the rule set's prelude, then the
        // prelude's state instead of its rules (see `prelude`).
        if phase == 1 {
            if let Some(p) = rules.plan.prelude.get() {
                (i, stopped) = self.run_rules(&rules, phase, 0, p.lead, &mut cache);
                if !stopped && i == p.lead && self.at_prelude() {
                    i = self.apply_prelude(p);
                }
            }
        }
        if !stopped {
            self.run_rules(&rules, phase, i, list.len(), &mut cache);
        }
        // Kept for the next phase, except the request-sized ones across the
        // wait for the response: a transaction held then should be small,
        // so they go to the pool for another transaction meanwhile.
        let mut buffers = cache.into_buffers();
        if phase == 2 {
            rules.plan.spare.give_cache(buffers.take_large());
            // Likewise the TX answers (about 700 bytes with CRS): phases 3
            // and 4 ask few questions, after writes that change TX anyway.
            self.tx_memo = Vec::new();
        }
        self.cache_buffers = buffers;
        crate::rules::plan::CacheHints::record(&rules.plan.hints.matched, self.matched.rules.len());
    }

    /// Runs `phase`'s entries from `i` until `end` (or a skip past it):
    /// where it stopped, and whether the phase ends there.
    fn run_rules(
        &mut self,
        rules: &RuleSet,
        phase: u8,
        mut i: usize,
        end: usize,
        cache: &mut PhaseCache<'_>,
    ) -> (usize, bool) {
        let list = &rules.phases[phase as usize - 1];
        let gates = &rules.plan.gates[phase as usize - 1];
        while i < end {
            // Markers (a fifth of CRS's entries) are only skip targets.
            let Some(Entry::Rule(rule)) = list.get(i) else {
                i += 1;
                continue;
            };
            // No value of the first link's slot has the link's prefilter
            // bit: the rule cannot match, and a rule that does not match
            // leaves nothing behind, so it is not even visited.
            if let Some(&Some((slot, bit))) = gates.get(i) {
                if !cache.may_match(slot, bit, rule) {
                    i += 1;
                    continue;
                }
            }
            match self.step(rule, phase, i, cache) {
                Some(next) => i = next,
                None => return (i, true),
            }
        }
        (i, false)
    }

    /// Runs rule `rule`, entry `i` of `phase`'s list (its gate passed): the
    /// index to go on at, or None when the phase stops here.
    #[inline(always)]
    fn step(
        &mut self,
        rule: &Rule,
        phase: u8,
        i: usize,
        cache: &mut PhaseCache<'_>,
    ) -> Option<usize> {
        if self.is_removed(rule) {
            return Some(i + 1);
        }
        let matched = if rule.plan.lone_tx_key && !self.removals.tx_targets {
            self.eval_lone_tx_key(rule, phase, i)
        } else if rule.plan.lone_action {
            self.begin_rule(phase, i);
            self.lone_matched(rule, phase, 1);
            true
        } else {
            self.eval_rule(rule, phase, i, cache)
        };
        if self.interruption.is_some() || self.engine == RuleEngineMode::Off {
            return None;
        }
        if matched {
            if let Some(a) = self.allow {
                if a == AllowScope::Phase {
                    self.allow = None;
                }
                return None;
            }
            if rule.skip > 0 {
                // `skip:N` comes from the rule file; N may be huge.
                return Some(i.saturating_add(rule.skip).saturating_add(1));
            }
            if let Some((_, target)) = &rule.skip_after {
                return Some(*target);
            }
        }
        Some(i + 1)
    }

    /// Whether a `ctl` removed rule `r`. Asked of every rule run, and most
    /// transactions remove none: that check is inlined, the rest is not.
    #[inline]
    fn is_removed(&self, r: &Rule) -> bool {
        self.removals.removes_rules() && self.is_removed_by(r)
    }

    #[inline(never)]
    fn is_removed_by(&self, r: &Rule) -> bool {
        let rm = &self.removals;
        (!rm.ids.is_empty() && in_ranges(&rm.ids, r.id))
            || rm.tags.iter().any(|t| t.selects(&self.rules, r))
            || rm
                .msgs
                .iter()
                .any(|m| r.meta.msg.as_ref().is_some_and(|x| x.raw() == m))
    }

    /// Evaluates a rule and its chain; runs actions; true when the whole chain matched.
    // Not inlined: the phase loop visits most rules without it (gated out,
    // or one `TX:key` link), and its locals would cost every visit spills.
    #[inline(never)]
    fn eval_rule(
        &mut self,
        rule: &Rule,
        phase: u8,
        index: usize,
        cache: &mut PhaseCache<'_>,
    ) -> bool {
        self.begin_rule(phase, index);
        // One buffer for every link's matches (kept between rules).
        let mut found = std::mem::take(&mut self.found_buf);
        found.clear();
        self.eval_one(rule, rule, cache, &mut found);
        if found.is_empty() {
            self.put_found(found);
            return false;
        }
        self.rule_matched(rule, phase, cache, found)
    }

    /// Puts back the matches buffer taken from `found_buf`. What the take
    /// left there is empty, with nothing to free: dropping it would still
    /// be a call, made on every rule evaluated (measured: 1.6 K
    /// instructions per benign GET).
    #[inline]
    fn put_found(&mut self, found: Vec<Found>) {
        let left = std::mem::replace(&mut self.found_buf, found);
        if left.capacity() == 0 {
            std::mem::forget(left);
        }
    }

    /// Evaluates link `r` of the rule headed by `head` into `found`.
    #[inline]
    fn eval_one(
        &mut self,
        r: &Rule,
        head: &Rule,
        cache: &mut PhaseCache<'_>,
        found: &mut Vec<Found>,
    ) {
        // A link whose TX target a `ctl` removed somewhere takes the
        // general path (removals of other variables, as CRS 941010's of
        // REQUEST_FILENAME, cannot touch it).
        if r.plan.tx_key && !self.removals.tx_targets {
            self.eval_tx_key(r, found);
        } else {
            self.eval_link(r, head, cache, found);
        }
    }

    /// The rest of [`Transaction::eval_rule`] once the first link matched
    /// (`found`): its actions, the chain, the rule's effects. Out of line:
    /// most evaluated rules stop at their first link, and this part's
    /// locals would cost each of them its spills.
    #[inline(never)]
    fn rule_matched(
        &mut self,
        rule: &Rule,
        phase: u8,
        cache: &mut PhaseCache<'_>,
        mut found: Vec<Found>,
    ) -> bool {
        // Matches of links without an operator (SecAction): reported empty.
        let mut unnamed = 0;
        let mut first_meta: Option<(String, String)> = None;
        let mut r = rule;
        loop {
            for (n, f) in found.drain(..).enumerate() {
                unnamed += usize::from(r.operator.is_none());
                self.apply_match(r, f);
                if n == 0 && rule.chain.is_none() && first_meta.is_none() {
                    first_meta = Some(self.expand_meta(rule));
                }
            }
            let Some(next) = r.chain.as_deref() else {
                break;
            };
            r = next;
            found.clear();
            self.eval_one(r, rule, cache, &mut found);
            if found.is_empty() {
                self.put_found(found);
                return false;
            }
        }
        self.put_found(found);
        let (msg, data) = first_meta.unwrap_or_else(|| self.expand_meta(rule));
        if let Some(s) = rule.meta.severity {
            let h = self.vars.highest_severity.get_or_insert(s);
            *h = (*h).min(s);
        }
        let mut disruptive = false;
        match &rule.disruptive {
            Disruptive::Deny | Disruptive::Drop | Disruptive::Redirect(_) => {
                if self.engine == RuleEngineMode::On {
                    disruptive = true;
                    let (action, status, data) = match &rule.disruptive {
                        Disruptive::Deny => (
                            InterruptionAction::Deny,
                            rule.status.unwrap_or(403),
                            String::new(),
                        ),
                        Disruptive::Drop => (
                            InterruptionAction::Drop,
                            rule.status.unwrap_or(403),
                            String::new(),
                        ),
                        Disruptive::Redirect(url) => (
                            InterruptionAction::Redirect,
                            rule.status
                                .filter(|s| (300..400).contains(s))
                                .unwrap_or(302),
                            url.expand(&self.vars).into_owned(),
                        ),
                        _ => unreachable!("matched above"),
                    };
                    self.interruption = Some(Interruption {
                        rule_id: rule.id,
                        action,
                        status,
                        data,
                    });
                }
            }
            Disruptive::Allow(scope) => {
                if self.engine != RuleEngineMode::Off {
                    self.allow = Some(*scope);
                }
            }
            Disruptive::Pass | Disruptive::Block => {}
        }
        if rule.id != 0 {
            let mut m = MatchedRule {
                id: rule.id,
                phase,
                info: rule.info.clone(),
                line: rule.line,
                msg,
                data,
                severity: rule.meta.severity,
                maturity: rule.meta.maturity,
                accuracy: rule.meta.accuracy,
                log: rule.log,
                disruptive,
                matched: self.take_matched_vars(unnamed),
                error_log: String::new(),
            };
            // Only logged rules get a line: formatting is the costliest part of a match.
            if rule.log {
                let cx = match self.log_cx.take() {
                    Some(cx) => cx,
                    None => self.log_context(),
                };
                m.error_log =
                    crate::logging::error_log_line(&m, rule, self.interruption.as_ref(), &cx);
                self.log_cx = Some(cx);
            }
            self.matched.rules.push(m);
        }
        true
    }

    fn log_context(&self) -> crate::logging::LogContext {
        let data = &self.vars.data;
        crate::logging::LogContext::new(
            &data.remote_addr,
            &String::from_utf8_lossy(&data.server_name),
            &String::from_utf8_lossy(&data.request_uri_raw),
            &self.id,
        )
    }

    /// The current rule's matches for its report (`unnamed` of them from
    /// links without an operator, reported empty), MATCHED_VAR set to the
    /// last named one.
    #[inline]
    fn take_matched_vars(&mut self, unnamed: usize) -> Vec<MatchedVar> {
        // Sized once (most rules match one value); MATCHED_VARS keeps its
        // buffer for the next rule.
        let mut all: Vec<MatchedVar> = self.matched.vars.pop().unwrap_or_default();
        all.reserve_exact(self.vars.matched_vars.len() + unnamed);
        all.extend(
            self.vars
                .matched_vars
                .drain(..)
                .map(|(name, value)| MatchedVar { name, value }),
        );
        // Shared, not copied: two reference counts.
        self.vars.matched_var = all.last().map(|m| (m.name.clone(), m.value.clone()));
        all.extend((0..unnamed).map(|_| MatchedVar::default()));
        all
    }

    /// The rest of a match of a [`LinkPlan::lone_tx_key`] or
    /// [`LinkPlan::lone_action`] rule (its named match, if any, in
    /// MATCHED_VARS): its `setvar`s, then its record, as
    /// [`Transaction::rule_matched`] leaves them.
    ///
    /// [`LinkPlan::lone_tx_key`]: crate::rules::plan::LinkPlan::lone_tx_key
    /// [`LinkPlan::lone_action`]: crate::rules::plan::LinkPlan::lone_action
    fn lone_matched(&mut self, rule: &Rule, phase: u8, unnamed: usize) {
        for a in &rule.actions {
            self.run_action(a);
        }
        let matched = self.take_matched_vars(unnamed);
        self.record_lone(rule, phase, matched);
    }

    /// The record of a lone rule's match: no message, log data, severity,
    /// log line or disruptive action (the plan's flags require none).
    #[inline]
    fn record_lone(&mut self, rule: &Rule, phase: u8, matched: Vec<MatchedVar>) {
        self.matched.rules.push(MatchedRule {
            id: rule.id,
            phase,
            info: rule.info.clone(),
            line: rule.line,
            msg: String::new(),
            data: String::new(),
            severity: None,
            maturity: rule.meta.maturity,
            accuracy: rule.meta.accuracy,
            log: false,
            disruptive: false,
            matched,
            error_log: String::new(),
        });
    }

    fn expand_meta(&self, rule: &Rule) -> (String, String) {
        let msg = rule
            .meta
            .msg
            .as_ref()
            .map(|m| m.expand(&self.vars).into_owned())
            .unwrap_or_default();
        let data = rule
            .meta
            .logdata
            .as_ref()
            .map(|m| m.expand(&self.vars).into_owned())
            .unwrap_or_default();
        (msg, data)
    }

    /// [`Transaction::eval_rule`] for a rule whose match only records itself
    /// and runs its `setvar`s ([`crate::rules::plan::LinkPlan::lone_tx_key`]):
    /// the same state after it, without the general path's buffers and
    /// messages. Inlined into the rule loop: CRS runs about 130 such rules
    /// per request (measured: 0.5% of a benign GET's instructions).
    #[inline(always)]
    fn eval_lone_tx_key(&mut self, rule: &Rule, phase: u8, index: usize) -> bool {
        self.begin_rule(phase, index);
        let Some((name, value)) = self.tx_key_found(rule) else {
            return false;
        };
        if !rule.actions.is_empty() {
            self.vars.matched_vars.push((name.clone(), value));
            self.lone_matched(rule, phase, 0);
            return true;
        }
        let mut matched = self.matched.vars.pop().unwrap_or_default();
        // Gates in a row read the same TX key and value, with the name and
        // value shared (`Rule::name_targets`, `shared_value`): MATCHED_VAR
        // is kept then, saving four atomic reference counts a gate.
        let same = matches!(&self.vars.matched_var,
            Some((n, v)) if Arc::ptr_eq(n, name) && Arc::ptr_eq(v, &value));
        if !same {
            self.vars.matched_var = Some((name.clone(), value.clone()));
        }
        // Sized for the one match (`push` alone would make room for four).
        matched.reserve_exact(1);
        matched.push(MatchedVar {
            name: name.clone(),
            value,
        });
        self.record_lone(rule, phase, matched);
        true
    }

    /// [`Transaction::eval_link`] for a link whose one target is `TX:key`
    /// read as it is ([`crate::rules::plan::LinkPlan::tx_key`]).
    fn eval_tx_key(&mut self, r: &Rule, found: &mut Vec<Found>) {
        if let Some((name, value)) = self.tx_key_found(r) {
            found.push(Found {
                name: name.clone(),
                value,
                captures: None,
            });
        }
    }

    /// [`Transaction::tx_key_match`] with the value shared, answered from
    /// the memo when an equal link asked while TX was as it is now.
    #[inline]
    fn tx_key_found<'r>(&mut self, r: &'r Rule) -> Option<(&'r Arc<str>, Arc<[u8]>)> {
        if let (Some(id), [(_, _, name)]) = (r.plan.tx_memo, &r.target_names[..]) {
            if let Some((mark, value)) = self.tx_memo.get(id as usize) {
                if self.vars.tx.unchanged(mark) {
                    return value.clone().map(|v| (name, v));
                }
            }
        }
        self.tx_key_ask(r)
    }

    /// [`Transaction::tx_key_found`] when the memo has no answer: asks TX,
    /// and keeps the answer for the link's question.
    #[inline(never)]
    fn tx_key_ask<'r>(&mut self, r: &'r Rule) -> Option<(&'r Arc<str>, Arc<[u8]>)> {
        let mut at = None;
        let found = self
            .tx_key_match(r, &mut at)
            .map(|(n, v)| (n, shared_value(v)));
        if let Some(id) = r.plan.tx_memo {
            // Memos are made for constant comparisons only: the answer
            // depends on the key's entry alone.
            let id = id as usize;
            if self.tx_memo.len() <= id {
                self.tx_memo.resize(
                    self.rules.plan.tx_memo_questions.len().max(id + 1),
                    (KeyMark::STALE, None),
                );
            }
            let value = found.as_ref().map(|(_, v)| v.clone());
            self.tx_memo[id] = (self.vars.tx.mark(at), value);
        }
        found
    }

    /// The match name and value of `TX:key` link `r`, when TX holds the key
    /// and the operator matches it; `at` gets the key's position in TX.
    #[inline]
    fn tx_key_match<'r>(
        &self,
        r: &'r Rule,
        at: &mut Option<usize>,
    ) -> Option<(&'r Arc<str>, &[u8])> {
        let (Some(op), [t], [(_, _, name)]) = (&r.operator, &r.targets[..], &r.target_names[..])
        else {
            return None;
        };
        let KeySel::Key(key) = &t.sel else {
            return None;
        };
        let (i, value) = self.vars.tx.find_hinted(key, &r.tx_hint)?;
        *at = Some(i);
        if let Some(c) = r.plan.tx_compare {
            return (c.matches(value) != op.negated).then_some((name, value));
        }
        let arg = std::cell::OnceCell::new();
        let mut ctx = OpContext {
            macros: &self.vars,
            captures: None,
            arg: Some(&arg),
        };
        (op.op.evaluate(&mut ctx, value) != op.negated).then_some((name, value))
    }

    /// What every rule's evaluation starts with: MATCHED_VAR outlives the
    /// rule that set it, MATCHED_VARS does not, and RULE is this rule.
    #[inline]
    fn begin_rule(&mut self, phase: u8, index: usize) {
        if let Some(last) = self.vars.matched_vars.pop() {
            self.vars.matched_var = Some(last);
        }
        self.vars.matched_vars.clear();
        self.vars.rule = Some(CurrentRule { phase, index });
    }

    /// Evaluates one link's targets and operator into `found`; nothing is
    /// changed yet.
    // Not inlined: inside the rule loop its locals cost every visit about
    // 50 instructions of spills, links evaluated or not (measured).
    #[inline(never)]
    fn eval_link(
        &mut self,
        r: &Rule,
        head: &Rule,
        cache: &mut PhaseCache<'_>,
        found: &mut Vec<Found>,
    ) {
        let Some(op) = &r.operator else {
            // Reported empty (see `unnamed`); `Arc`'s empty default needs
            // no allocation, unlike `Arc::from("")`.
            found.push(Found {
                name: Arc::default(),
                value: Arc::default(),
                captures: None,
            });
            return;
        };
        // Targets removed from this rule by `ctl` (CRS 941010 removes one
        // from every XSS rule on ordinary requests): looked up once per rule,
        // and per item only when one applies. Only a removal of a variable
        // the link reads can apply (items carry their target's variable), so
        // most links skip the rule selector (a search of the rules a tag
        // picks).
        let targets = &self.removals.targets;
        let rules = &self.rules;
        let narrowed = targets
            .iter()
            .any(|(sel, v, _)| r.targets.iter().any(|t| t.var == *v) && sel.selects(rules, head));
        let arg_cell = std::cell::OnceCell::new();
        // One buffer for every match's name (kept between rules); the report
        // holds an `Arc` copy.
        let name_buf = std::cell::RefCell::new(std::mem::take(&mut self.name_buf));
        let skip = |item: &crate::variables::Item<'_>| {
            narrowed
                && targets.iter().any(|(sel, v, k)| {
                    *v == item.var && k.matches(&item.key) && sel.selects(rules, head)
                })
        };
        let eval = |item: &crate::variables::Item<'_>, value: &[u8], found: &mut Vec<Found>| {
            let mut caps = r.capture.then(crate::operators::Captures::default);
            let mut ctx = OpContext {
                macros: &self.vars,
                captures: caps.as_mut(),
                arg: Some(&arg_cell),
            };
            if op.op.evaluate(&mut ctx, value) != op.negated {
                let name = r.target_name(item).unwrap_or_else(|| {
                    let mut name = name_buf.borrow_mut();
                    item.write_full_name(&mut name);
                    Arc::from(name.as_str())
                });
                found.push(Found {
                    name,
                    value: shared_value(value),
                    captures: caps,
                });
            }
        };
        let own = r.plan.own.and_then(|n| {
            let l = rules.plan.own_literals.get(n as usize)?.as_ref()?;
            Some((
                l,
                rules.plan.own_min_len.get(n as usize).copied().unwrap_or(0),
            ))
        });
        if let Some(slot) = r.plan.slot {
            let view = cache.slot(slot, r);
            for &e in view.entries {
                if r.plan.bit.is_some_and(|b| !view.passes(e, b)) {
                    continue;
                }
                let (item, value) = view.get(e);
                // Holds none of the link's literals: the operator cannot match.
                if own.is_some_and(|(l, min)| value.len() < min || l.first_match(value).is_none()) {
                    continue;
                }
                if !skip(item) {
                    eval(item, value, found);
                }
            }
            self.name_buf = name_buf.into_inner();
            return;
        }
        // The buffer of an earlier rule, emptied: no allocation per rule.
        let mut items: Vec<crate::variables::Item<'_>> = std::mem::take(&mut self.item_buf)
            .into_iter()
            .map(|_| unreachable!("the buffer is stored empty"))
            .collect();
        for t in &r.targets {
            self.vars.collect(t, &mut items);
        }
        for item in items.iter().filter(|i| !skip(i)) {
            if r.transforms.is_empty() {
                eval(item, &item.value, found);
            } else if r.multi_match {
                let mut cur: Cow<'_, [u8]> = Cow::Borrowed(&item.value);
                eval(item, &cur, found);
                for t in &r.transforms {
                    let next = t(&cur).into_owned();
                    if next != *cur {
                        eval(item, &next, found);
                    }
                    cur = Cow::Owned(next);
                }
            } else if cacheable(item) {
                eval(item, cache.transformed(r.plan.pipeline, &item.value), found);
            } else {
                eval(item, &run_pipeline(r, &item.value), found);
            }
        }
        items.clear();
        self.item_buf = items
            .into_iter()
            .map(|_| unreachable!("cleared above"))
            .collect();
        self.name_buf = name_buf.into_inner();
    }

    /// Records one match (captures, MATCHED_VAR*) and runs the link's actions.
    fn apply_match(&mut self, r: &Rule, f: Found) {
        const DIGITS: [&[u8]; 10] = [b"0", b"1", b"2", b"3", b"4", b"5", b"6", b"7", b"8", b"9"];
        // Where TX.0 .. TX.9 were last found (only a guess, shared by all).
        static HINTS: [KeyHint; 10] = [const { KeyHint::new() }; 10];
        if let Some(caps) = f.captures {
            for ((key, hint), c) in DIGITS.iter().zip(&HINTS).zip(caps.iter()) {
                // The entry's buffer is reused: no allocation per capture.
                self.vars.tx.update_hinted(key, hint, |v| {
                    v.clear();
                    v.extend_from_slice(c);
                });
            }
        }
        if r.operator.is_some() {
            self.vars.matched_vars.push((f.name, f.value));
        }
        for a in &r.actions {
            self.run_action(a);
        }
    }

    fn run_action(&mut self, a: &Action) {
        match a {
            Action::SetVar(sv) => {
                // Key and value are expanded into buffers kept between
                // actions: CRS runs dozens of setvars per request.
                let mut key = std::mem::take(&mut self.setvar_key);
                key.clear();
                if sv.fixed_key.is_none() {
                    sv.key.expand_into(&self.vars, &mut key);
                }
                let mut buf = std::mem::take(&mut self.setvar_buf);
                buf.clear();
                let write = |c: &mut crate::variables::Collection,
                             f: &mut dyn FnMut(&mut Vec<u8>)| {
                    match &sv.fixed_key {
                        Some((k, hint)) => c.update_hinted(k, &hint.0, f),
                        None => c.update(&key, f),
                    }
                };
                match &sv.op {
                    SetOp::Delete => {
                        if let Some(c) = self.vars.writable_mut(sv.collection) {
                            c.remove(sv.fixed_key.as_ref().map_or(&key, |(k, _)| k));
                        }
                    }
                    SetOp::Set(v) => {
                        // A constant (`=0`, `=1`) as it is, without a copy.
                        let value = match v.is_constant() {
                            true => v.raw().as_bytes(),
                            false => {
                                v.expand_into(&self.vars, &mut buf);
                                &buf
                            }
                        };
                        if let Some(c) = self.vars.writable_mut(sv.collection) {
                            write(c, &mut |old| {
                                old.clear();
                                old.extend_from_slice(value);
                            });
                        }
                    }
                    SetOp::Add(v) | SetOp::Sub(v) => {
                        v.expand_into(&self.vars, &mut buf);
                        let n = setvar::to_int(&buf);
                        let add = matches!(sv.op, SetOp::Add(_));
                        if let Some(c) = self.vars.writable_mut(sv.collection) {
                            write(c, &mut |value| {
                                // A missing or empty value counts as 0.
                                let cur = setvar::to_int(value);
                                let res = if add {
                                    cur.saturating_add(n)
                                } else {
                                    cur.saturating_sub(n)
                                };
                                value.clear();
                                setvar::push_int(value, res);
                            });
                        }
                    }
                }
                self.setvar_key = key;
                self.setvar_buf = buf;
            }
            Action::ExpireVar(..) => {
                // Collections live only as long as the transaction, so a
                // later expiry never becomes observable.
            }
            Action::InitCol(var, key) => {
                let k = key.expand_bytes(&self.vars).into_owned();
                let c = self.vars.persistent_mut(*var);
                if c.get(b"key").is_none() {
                    c.set(b"key", k);
                }
            }
            Action::SetId(var, value) => {
                let v = value.expand_bytes(&self.vars).into_owned();
                self.vars.persistent_mut(*var).set(b"key", v);
            }
            Action::SetEnv(name, value) => {
                let n = name.expand(&self.vars).into_owned();
                let v = value.expand_bytes(&self.vars).into_owned();
                self.vars.env.set(n.as_bytes(), v);
            }
            Action::Ctl(c) => self.run_ctl(c),
        }
    }

    fn run_ctl(&mut self, c: &Ctl) {
        let rm = &mut self.removals;
        match c {
            Ctl::RuleEngine(m) => self.engine = *m,
            Ctl::RuleRemoveById(r) => rm.ids.extend(r.iter().copied()),
            Ctl::RuleRemoveByTag(t) => rm.tags.push(t.clone()),
            Ctl::RuleRemoveByMsg(m) => rm.msgs.push(m.clone()),
            Ctl::RuleRemoveTargetById(ids, v, k) => {
                rm.remove_target(RuleSelector::Ids(ids.clone()), *v, k.clone())
            }
            Ctl::RuleRemoveTargetByTag(t, v, k) => {
                rm.remove_target(RuleSelector::Tag(t.clone()), *v, k.clone())
            }
            Ctl::RuleRemoveTargetByMsg(m, v, k) => {
                rm.remove_target(RuleSelector::Msg(m.clone()), *v, k.clone())
            }
            Ctl::RequestBodyProcessor(p) => {
                self.body_processor = Some(p.clone());
                self.vars.reqbody_processor = Some(p.clone());
            }
            Ctl::ResponseBodyProcessor(_) => {}
            Ctl::RequestBodyAccess(b) => self.request_body_access = *b,
            Ctl::RequestBodyLimit(n) => self.request_body_limit = *n,
            Ctl::ForceRequestBodyVariable(b) => self.force_request_body_variable = *b,
            Ctl::ResponseBodyAccess(b) => self.response_body_access = *b,
            Ctl::ResponseBodyLimit(n) => self.response_body_limit = *n,
            Ctl::AuditEngine(e) => self.audit_engine = e.clone(),
            Ctl::AuditLogParts(p) => self.audit_log_parts = p.clone(),
            Ctl::DebugLogLevel(_) => {}
        }
    }
}

impl Drop for Transaction {
    fn drop(&mut self) {
        // The memory goes to the next transaction; the records in it are
        // dropped here.
        let spare = &self.rules.plan.spare;
        spare.give_cache(std::mem::take(&mut self.cache_buffers));
        spare.give_matched(std::mem::take(&mut self.matched));
        let primed = self.rules.plan.prelude.get().map(|p| &p.tx);
        spare.give_tx(std::mem::take(&mut self.vars.tx), primed);
        if let Some(t) = self.primed_tx.take() {
            spare.give_tx(t, primed);
        }
        spare.give_data(std::mem::replace(&mut self.vars.data, spare::no_data()));
    }
}

fn trim(s: &[u8]) -> &[u8] {
    let start = s
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(s.len());
    let end = s
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map(|e| e + 1)
        .unwrap_or(start);
    &s[start..end.max(start)]
}

/// `http://host:port/path?q` -> `/path?q`; origin-form targets are returned as is.
fn strip_scheme_authority(uri: &[u8]) -> &[u8] {
    if uri.first() == Some(&b'/') {
        return uri;
    }
    let Some(p) = memchr::memmem::find(uri, b"://") else {
        return uri;
    };
    if !uri[..p]
        .iter()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
    {
        return uri;
    }
    let rest = &uri[p + 3..];
    match rest.iter().position(|b| matches!(b, b'/' | b'?')) {
        Some(i) => &rest[i..],
        None => b"/",
    }
}

/// Decodes `%XX` in a path; invalid escapes stay as written. `+` is literal in paths.
fn percent_decode_path(path: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(path.len());
    let mut i = 0;
    while i < path.len() {
        if path[i] == b'%' && i + 2 < path.len() {
            if let Some(b) = crate::transformations::bytes::hex_pair(&path[i + 1..]) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(path[i]);
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::Waf;

    /// A transaction takes over the data memory of one before it (see
    /// `TxData::recycle`): none of the earlier request shows through.
    #[test]
    fn a_transaction_sees_nothing_of_the_one_before() {
        let waf = crate::Waf::from_directives(
            "SecRuleEngine On\n\
             SecRule REQUEST_HEADERS_NAMES|ARGS_NAMES|REQUEST_COOKIES_NAMES \"@rx ^first\" \"id:1,phase:1,deny,status:403\"\n\
             SecRule &ARGS \"@gt 1\" \"id:2,phase:1,deny,status:403\"\n\
             SecRule REQUEST_URI|REQUEST_LINE|QUERY_STRING|REMOTE_ADDR \"@rx first\" \"id:3,phase:1,deny,status:403\"\n\
             SecRule RESPONSE_HEADERS_NAMES \"@rx ^first\" \"id:4,phase:3,deny,status:403\"",
        )
        .unwrap();
        for round in 0..3 {
            let mut tx = waf.new_transaction();
            if round == 0 {
                tx.process_connection("192.0.2.1", 1, "192.0.2.2", 80);
                tx.process_uri("/x?a=1", "GET", "HTTP/1.1");
                tx.add_request_header("Host", "example.com");
                tx.add_request_header("Cookie", "s=1");
                assert!(tx.process_request_headers().is_none());
                // Phase 1 alone, and a second transaction before it ends.
                let mut other = waf.new_transaction();
                other.process_uri("/first?first=1&b=2", "GET", "HTTP/1.1");
                other.add_request_header("first-header", "1");
                other.add_request_header("Cookie", "first=1");
                assert!(other.process_request_headers().is_some());
                drop(other);
                tx.add_response_header("first-response", "1");
                assert!(tx.process_response_headers(200, "HTTP/1.1").is_some());
                continue;
            }
            tx.process_connection("192.0.2.9", 1, "192.0.2.2", 80);
            tx.process_uri("/y?a=1", "GET", "HTTP/1.1");
            tx.add_request_header("Host", "example.com");
            tx.add_request_header("Cookie", "s=1");
            assert!(tx.process_request_headers().is_none(), "round {round}");
            tx.add_response_header("Content-Type", "text/html");
            assert!(tx.process_response_headers(200, "HTTP/1.1").is_none());
            assert_eq!(tx.vars.data.request_headers.len(), 2);
            assert_eq!(tx.vars.data.args_get.len(), 1);
            assert_eq!(tx.vars.data.request_cookies.len(), 1);
            assert_eq!(tx.vars.data.response_headers.len(), 1);
            assert_eq!(tx.vars.data.unique_id, tx.id());
        }
    }

    /// A rule the prefilter gate passes over leaves MATCHED_VAR as an
    /// evaluated, non-matching rule would: the earlier match stays.
    #[test]
    fn gated_rules_leave_matched_var_alone() {
        let rules = "SecRuleEngine On\n\
             SecRule ARGS \"@rx ^abc\" \"id:1,phase:2,pass,nolog\"\n\
             SecRule ARGS \"@rx xyzzy\" \"id:2,phase:2,pass,nolog\"\n\
             SecRule MATCHED_VAR \"@streq abc\" \"id:3,phase:2,deny,status:403\"";
        for prefilter in [true, false] {
            let b = crate::Waf::builder().directives(rules);
            let waf = if prefilter { b } else { b.without_prefilter() }
                .build()
                .unwrap();
            let rule2 = match &waf.rules.phases[1][1] {
                crate::rules::Entry::Rule(r) => r,
                _ => unreachable!(),
            };
            assert_eq!(rule2.plan.bit.is_some(), prefilter);
            let mut tx = waf.new_transaction();
            tx.process_uri("/?a=abc", "GET", "HTTP/1.1");
            tx.process_request_headers();
            let i = tx
                .process_request_body()
                .expect("rule 3 sees rule 1's match");
            assert_eq!(i.rule_id, 3, "prefilter {prefilter}");
        }
    }

    /// A gate first asks the union of every value the phase scanned, then
    /// the slot's own values: a literal found in another slot's value must
    /// not open the gate, nor one found nowhere; one in the slot must.
    #[test]
    fn gates_answer_as_the_operators_do() {
        let rules = "SecRuleEngine On\n\
             SecRule ARGS \"@rx attack\" \"id:1,phase:1,pass,nolog\"\n\
             SecRule REQUEST_HEADERS:X \"@rx attack\" \"id:2,phase:1,pass,nolog\"\n\
             SecRule REQUEST_HEADERS:X|ARGS \"@rx evil\" \"id:3,phase:1,pass,nolog,t:lowercase\"\n\
             SecRule REQUEST_HEADERS:X \"@rx evil\" \"id:4,phase:1,pass,nolog\"";
        let requests = [
            ("/?a=attack", "calm", vec![1]),
            ("/?a=calm", "an attack", vec![2]),
            ("/?a=EVIL", "calm", vec![3]),
            ("/?a=calm", "evil", vec![3, 4]),
            ("/?a=calm", "calm", vec![]),
        ];
        for prefilter in [true, false] {
            let b = Waf::builder().directives(rules);
            let waf = if prefilter { b } else { b.without_prefilter() }
                .build()
                .unwrap();
            let gated = waf.rules.plan.gates[0].iter().flatten().count();
            assert_eq!(gated, if prefilter { 4 } else { 0 });
            for (uri, x, want) in &requests {
                let mut tx = waf.new_transaction();
                tx.process_uri(uri, "GET", "HTTP/1.1");
                tx.add_request_header("X", *x);
                tx.process_request_headers();
                let ids: Vec<u64> = tx.matched_rules().iter().map(|m| m.id).collect();
                assert_eq!(&ids, want, "{uri} {x} prefilter {prefilter}");
            }
        }
    }

    /// A rule that is one `TX:key` link, or a `SecAction`, recording only
    /// itself and setting variables takes its own path; it must leave what
    /// the general path leaves (here taken by clearing the plan's flags).
    #[test]
    fn lone_rules_record_as_the_general_path_does() {
        let rules = "SecRuleEngine On\n\
             SecAction \"id:1,phase:1,pass,nolog,setvar:tx.pl=1\"\n\
             SecRule ARGS \"@rx ^abc\" \"id:2,phase:1,pass,nolog\"\n\
             SecRule TX:pl \"@gt 5\" \"id:3,phase:1,pass,nolog\"\n\
             SecRule MATCHED_VAR \"@streq abc\" \"id:4,phase:1,pass,log,msg:'%{MATCHED_VAR_NAME}'\"\n\
             SecRule TX:pl \"@lt 2\" \"id:5,phase:1,pass,nolog,maturity:3,skipAfter:END\"\n\
             SecAction \"id:6,phase:1,deny,status:403\"\n\
             SecMarker END\n\
             SecRule MATCHED_VARS_NAMES \"@rx .\" \"id:7,phase:1,pass,log\"\n\
             SecRule MATCHED_VAR_NAME \"@streq TX:pl\" \"id:8,phase:1,pass,log,msg:'%{MATCHED_VAR}'\"\n\
             SecRule ARGS \"@rx ^abc\" \"id:9,phase:2,pass,nolog\"\n\
             SecRule TX:pl \"@ge 1\" \"id:10,phase:2,pass,nolog,setvar:'tx.score=+%{tx.pl}',setvar:'tx.seen=%{MATCHED_VAR_NAME}=%{MATCHED_VAR}'\"\n\
             SecRule TX:score \"@eq 1\" \"id:11,phase:2,pass,nolog,accuracy:7,setvar:tx.score=+%{tx.score},setvar:!tx.pl\"\n\
             SecAction \"id:12,phase:2,pass,nolog,setvar:'tx.after=%{MATCHED_VAR}',setvar:tx.score=-1\"\n\
             SecRule MATCHED_VARS \"@rx .\" \"id:13,phase:2,pass,log,msg:'%{MATCHED_VAR}'\"\n\
             SecRule TX:/^(score|seen|after|pl)$/ \"@rx .\" \"id:14,phase:2,pass,log,msg:'%{MATCHED_VAR_NAME}=%{MATCHED_VAR}'\"";
        let run = |general: bool, extra: &str| {
            let mut waf = Waf::from_directives(&format!("{rules}\n{extra}")).unwrap();
            let set = std::sync::Arc::get_mut(&mut waf.rules).unwrap();
            let mut lone = Vec::new();
            for e in set.phases.iter_mut().flatten() {
                if let crate::rules::Entry::Rule(r) = e {
                    if r.plan.lone_tx_key || r.plan.lone_action {
                        lone.push(r.id);
                    }
                    if general {
                        (r.plan.lone_tx_key, r.plan.lone_action) = (false, false);
                    }
                }
            }
            let mut tx = waf.new_transaction();
            tx.process_uri("/?a=abc", "GET", "HTTP/1.1");
            assert!(tx.process_request_headers().is_none());
            assert!(tx.process_request_body().is_none());
            let seen: Vec<_> = tx
                .matched_rules()
                .iter()
                .filter(|m| m.id != 99)
                .map(|m| {
                    let vars: Vec<_> = m
                        .matched
                        .iter()
                        .map(|v| (v.name.to_string(), v.value.to_vec()))
                        .collect();
                    (m.id, m.msg.clone(), m.maturity, m.accuracy, vars)
                })
                .collect();
            (lone, seen)
        };
        let (lone, fast) = run(false, "");
        let (_, general) = run(true, "");
        assert_eq!(lone, [1, 3, 5, 10, 11, 12]);
        assert_eq!(fast, general);
        // A removed TX target sends TX:key rules down the general path,
        // which honours the removal: rule 10 no longer reads TX:pl.
        let ctl = "SecAction \"id:99,phase:1,pass,nolog,ctl:ruleRemoveTargetById=10;TX:pl\"";
        let (_, removed) = run(false, ctl);
        assert_eq!(removed, run(true, ctl).1);
        let ids: Vec<u64> = removed.iter().map(|m| m.0).collect();
        assert_eq!(ids, [1, 2, 4, 5, 8, 9, 12, 14]);
        let ids: Vec<u64> = fast.iter().map(|m| m.0).collect();
        // 13 finds MATCHED_VARS empty: a SecAction's match has no name.
        assert_eq!(ids, [1, 2, 4, 5, 8, 9, 10, 11, 12, 14]);
        // Rule 8 read the gate's MATCHED_VAR_NAME; its message, its own match.
        assert_eq!(fast[4].1, "TX:pl");
        // The setvars saw their own rule's match, in order: score 1, then
        // 2, then 1; `after` is rule 11's MATCHED_VAR; `pl` is gone.
        let tx: Vec<(&str, &[u8])> = fast[9]
            .4
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_slice()))
            .collect();
        assert_eq!(
            tx,
            [
                ("TX:score", &b"1"[..]),
                ("TX:seen", b"TX:pl=1"),
                ("TX:after", b"1")
            ]
        );
    }

    /// Target lists that share targets share their raw entries (copied,
    /// and scanned when the later list's rules need scans): whatever order
    /// the lists are first read in, every rule sees what it sees without
    /// the prefilter and its cache.
    #[test]
    fn target_lists_sharing_targets_see_their_own_values() {
        let rules = [
            r#"SecRule ARGS|REQUEST_HEADERS:X "@validateByteRange 1-255" "id:1,phase:1,pass,nolog""#,
            r#"SecRule ARGS "@rx attack" "id:2,phase:1,pass,nolog""#,
            r#"SecRule REQUEST_HEADERS:X|ARGS_NAMES|ARGS "@rx evil" "id:3,phase:1,pass,nolog""#,
            r#"SecRule ARGS_NAMES|ARGS "@rx ^b$" "id:4,phase:1,pass,nolog,t:lowercase""#,
            r#"SecRule REQUEST_HEADERS:X|ARGS "@detectSQLi" "id:5,phase:1,pass,nolog""#,
            r#"SecRule REQUEST_HEADERS:X "@rx ^y" "id:6,phase:1,pass,nolog""#,
        ];
        let requests = [
            ("/?a=attack&b=evil", "y"),
            ("/?evil=1&B=x", "evil"),
            ("/?a=1'%20or%201=1--", "yes"),
            ("/?q=a%00", "n"),
        ];
        // Each rotation reads the lists in another order.
        for turn in 0..rules.len() {
            let mut set = rules.to_vec();
            set.rotate_left(turn);
            let text = format!("SecRuleEngine On\n{}", set.join("\n"));
            let run = |prefilter: bool| {
                let b = Waf::builder().directives(&text);
                let waf = if prefilter { b } else { b.without_prefilter() }
                    .build()
                    .unwrap();
                requests
                    .iter()
                    .map(|(uri, x)| {
                        let mut tx = waf.new_transaction();
                        tx.process_uri(uri, "GET", "HTTP/1.1");
                        tx.add_request_header("X", *x);
                        tx.process_request_headers();
                        let mut ids: Vec<u64> = tx.matched_rules().iter().map(|m| m.id).collect();
                        ids.sort_unstable();
                        ids
                    })
                    .collect::<Vec<_>>()
            };
            let with = run(true);
            assert_eq!(with, run(false), "turn {turn}");
            assert_eq!(with[0], [2, 3, 4, 6], "turn {turn}");
            assert_eq!(with[1], [3, 4], "turn {turn}");
            assert_eq!(with[3], [1], "turn {turn}");
        }
    }

    #[test]
    fn huge_skip_ends_the_phase_without_overflow() {
        let waf = Waf::from_directives(
            "SecRuleEngine On\n\
             SecAction \"id:1,phase:1,pass,nolog,skip:18446744073709551615\"\n\
             SecAction \"id:2,phase:1,deny,status:403\"",
        )
        .unwrap();
        let mut tx = waf.new_transaction();
        tx.process_uri("/", "GET", "HTTP/1.1");
        assert!(tx.process_request_headers().is_none());
    }
}
