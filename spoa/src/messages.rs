//! SPOE messages -> engine calls; verdicts -> `set-var` actions.
//!
//! Messages understood (argument names as in coraza-spoa's examples; the
//! order does not matter, unknown arguments are ignored):
//!
//! * `coraza-req`: `app`, `id`, `src-ip`, `src-port`, `dst-ip`, `dst-port`,
//!   `method`, `path`, `query`, `version`, `headers` (`req.hdrs` text or
//!   `req.hdrs_bin` binary), `body`, `exportRuleIDs`. Runs phases 1-2; when
//!   the application checks responses the transaction waits in a cache
//!   keyed by `id` (HAProxy's `unique-id`, or one we generate and return
//!   in `txn.coraza.id`).
//! * `coraza-res`: `app`, `id`, `version`, `status`, `headers`, `body`,
//!   `exportRuleIDs`, `detect-only`. Runs phases 3-4 on the cached
//!   transaction, then logging.
//!
//! Variables set (scope txn, HAProxy adds the `var-prefix`): `fail` (1 when
//! interrupted, else 0), `id` (request), on interruption `action`
//! (deny/drop/redirect), `status`, `data`, `ruleid`; always `rules_hit` and
//! `anomaly_score`; `rule_ids` with `exportRuleIDs`. When the agent cannot
//! evaluate (unknown application, unknown/expired response id, bad
//! argument types) it sets `error` (see [`crate::server::ERROR_VALUE`]),
//! the variable `option set-on-error error` uses, and logs why.

use std::collections::hash_map::RandomState;
use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};
use std::net::IpAddr;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use bytes::Bytes;
use coraza::{Interruption, InterruptionAction, RuleEngineMode, Transaction, Waf};
use moka::notification::RemovalCause;

use crate::config::{AppConfig, Config};
use crate::logging::{ErrorLog, MatchEntry, MatchLog};
use crate::metrics::{Verdict, METRICS};
use crate::server::{error_actions, Handler};
use crate::spop::{Action, Message, TypedData};

/// Request message name.
pub const REQUEST_MESSAGE: &str = "coraza-req";
/// Response message name.
pub const RESPONSE_MESSAGE: &str = "coraza-res";

// ---------------------------------------------------------------- arguments

/// Splits `req.hdrs` text (`name: value\r\n` lines, then an empty line).
/// Lines without a colon are skipped (HAProxy never produces them).
pub fn parse_text_headers(b: &[u8]) -> Vec<(&[u8], &[u8])> {
    b.split(|c| *c == b'\n')
        .filter_map(|line| {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            let colon = line.iter().position(|c| *c == b':')?;
            let name = line[..colon].trim_ascii();
            let value = line[colon + 1..].trim_ascii();
            (!name.is_empty()).then_some((name, value))
        })
        .collect()
}

/// Splits `req.hdrs_bin` (varint-length name and value pairs, ended by an
/// empty name). `None` when the bytes are not in that shape.
pub fn parse_bin_headers(b: &[u8]) -> Option<Vec<(&[u8], &[u8])>> {
    let mut out = Vec::new();
    let mut rest = b;
    loop {
        let (nlen, n) = crate::spop::varint::decode(rest).ok()?;
        let nlen = usize::try_from(nlen).ok()?;
        rest = rest.get(n..)?;
        let name = rest.get(..nlen)?;
        rest = rest.get(nlen..)?;
        let (vlen, n) = crate::spop::varint::decode(rest).ok()?;
        let vlen = usize::try_from(vlen).ok()?;
        rest = rest.get(n..)?;
        let value = rest.get(..vlen)?;
        rest = rest.get(vlen..)?;
        if name.is_empty() {
            return Some(out);
        }
        out.push((name, value));
    }
}

/// Headers of either shape: a BINARY that parses as `hdrs_bin` is taken as
/// such; anything else as text.
pub fn parse_headers(v: &TypedData) -> Vec<(&[u8], &[u8])> {
    match v {
        TypedData::Binary(b) => parse_bin_headers(b).unwrap_or_else(|| parse_text_headers(b)),
        TypedData::String(b) => parse_text_headers(b),
        _ => Vec::new(),
    }
}

fn bytes_arg(m: &Message, name: &str) -> Result<Option<Bytes>, String> {
    match m.arg(name) {
        None | Some(TypedData::Null) => Ok(None),
        Some(v) => v.as_bytes().cloned().map(Some).ok_or_else(|| {
            format!(
                "argument `{name}`: expected a string, got {}",
                v.type_name()
            )
        }),
    }
}

fn string_arg(m: &Message, name: &str) -> Result<Option<String>, String> {
    Ok(bytes_arg(m, name)?.map(|b| String::from_utf8_lossy(&b).into_owned()))
}

fn int_arg(m: &Message, name: &str) -> Result<Option<i64>, String> {
    match m.arg(name) {
        None | Some(TypedData::Null) => Ok(None),
        Some(TypedData::String(s)) => std::str::from_utf8(s)
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .map(Some)
            .ok_or_else(|| {
                format!(
                    "argument `{name}`: `{}` is not a number",
                    String::from_utf8_lossy(s)
                )
            }),
        Some(v) => v.as_int().map(Some).ok_or_else(|| {
            format!(
                "argument `{name}`: expected an integer, got {}",
                v.type_name()
            )
        }),
    }
}

fn port_arg(m: &Message, name: &str) -> Result<u16, String> {
    match int_arg(m, name)? {
        None => Ok(0),
        Some(p) => u16::try_from(p).map_err(|_| format!("argument `{name}`: {p} is not a port")),
    }
}

fn bool_arg(m: &Message, name: &str) -> bool {
    m.arg(name).and_then(TypedData::as_bool).unwrap_or(false)
}

fn ip_arg(m: &Message, name: &str) -> Result<String, String> {
    match m.arg(name) {
        None | Some(TypedData::Null) => Ok(String::new()),
        Some(TypedData::Ipv4(a)) => Ok(a.to_string()),
        Some(TypedData::Ipv6(a)) => Ok(a.to_string()),
        Some(TypedData::String(s)) => {
            let s = String::from_utf8_lossy(s);
            s.trim()
                .parse::<IpAddr>()
                .map(|a| a.to_string())
                .map_err(|_| format!("argument `{name}`: `{s}` is not an IP address"))
        }
        Some(v) => Err(format!(
            "argument `{name}`: expected an address, got {}",
            v.type_name()
        )),
    }
}

fn protocol(version: Option<String>) -> String {
    match version {
        Some(v) if v.starts_with("HTTP/") => v,
        Some(v) if !v.is_empty() => format!("HTTP/{v}"),
        _ => "HTTP/1.1".to_string(),
    }
}

/// The arguments of a `coraza-req` message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestArgs {
    /// `app`.
    pub app: Option<String>,
    /// `id` (empty means absent).
    pub id: Option<String>,
    /// `src-ip` as text.
    pub src_ip: String,
    /// `src-port`.
    pub src_port: u16,
    /// `dst-ip` as text.
    pub dst_ip: String,
    /// `dst-port`.
    pub dst_port: u16,
    /// `method`.
    pub method: Bytes,
    /// `path` + `?` + `query` (when a query was sent).
    pub uri: Vec<u8>,
    /// `HTTP/` + `version`.
    pub protocol: String,
    /// `headers` as sent.
    pub headers: TypedData,
    /// `body`.
    pub body: Bytes,
    /// `exportRuleIDs`.
    pub export_rule_ids: bool,
}

impl RequestArgs {
    /// Reads the arguments; wrong types are errors, NULLs are absent values.
    pub fn from_message(m: &Message) -> Result<RequestArgs, String> {
        let path = bytes_arg(m, "path")?.unwrap_or_else(|| Bytes::from_static(b"/"));
        let mut uri = path.to_vec();
        if let Some(q) = bytes_arg(m, "query")? {
            uri.push(b'?');
            uri.extend_from_slice(&q);
        }
        Ok(RequestArgs {
            app: string_arg(m, "app")?,
            id: string_arg(m, "id")?.filter(|s| !s.is_empty()),
            src_ip: ip_arg(m, "src-ip")?,
            src_port: port_arg(m, "src-port")?,
            dst_ip: ip_arg(m, "dst-ip")?,
            dst_port: port_arg(m, "dst-port")?,
            method: bytes_arg(m, "method")?.unwrap_or_else(|| Bytes::from_static(b"GET")),
            uri,
            protocol: protocol(string_arg(m, "version")?),
            headers: m.arg("headers").cloned().unwrap_or(TypedData::Null),
            body: bytes_arg(m, "body")?.unwrap_or_default(),
            export_rule_ids: bool_arg(m, "exportRuleIDs"),
        })
    }
}

/// The arguments of a `coraza-res` message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseArgs {
    /// `app`.
    pub app: Option<String>,
    /// `id`.
    pub id: Option<String>,
    /// `HTTP/` + `version`.
    pub protocol: String,
    /// `status`.
    pub status: u16,
    /// `headers` as sent.
    pub headers: TypedData,
    /// `body`.
    pub body: Bytes,
    /// `exportRuleIDs`.
    pub export_rule_ids: bool,
    /// `detect-only`: answer at once, evaluate in the background.
    pub detect_only: bool,
}

impl ResponseArgs {
    /// Reads the arguments.
    pub fn from_message(m: &Message) -> Result<ResponseArgs, String> {
        let status = match int_arg(m, "status")? {
            None => 200,
            Some(s) => u16::try_from(s)
                .map_err(|_| format!("argument `status`: {s} is not an HTTP status"))?,
        };
        Ok(ResponseArgs {
            app: string_arg(m, "app")?,
            id: string_arg(m, "id")?.filter(|s| !s.is_empty()),
            protocol: protocol(string_arg(m, "version")?),
            status,
            headers: m.arg("headers").cloned().unwrap_or(TypedData::Null),
            body: bytes_arg(m, "body")?.unwrap_or_default(),
            export_rule_ids: bool_arg(m, "exportRuleIDs"),
            detect_only: bool_arg(m, "detect-only"),
        })
    }
}

// ---------------------------------------------------------------- verdicts

/// Whether a rule id is in the CRS attack ranges coraza-spoa counts in
/// `rules_hit` (910000-959999, and 190000-199999 for local rules).
fn is_attack_rule(id: u64) -> bool {
    (910_000..960_000).contains(&id) || (190_000..200_000).contains(&id)
}

/// The actions reporting a verdict.
pub fn verdict_actions(
    tx: &Transaction,
    it: Option<&Interruption>,
    id: Option<&str>,
    export: bool,
) -> Vec<Action> {
    let mut out = Vec::with_capacity(9);
    if let Some(id) = id {
        out.push(Action::set_txn("id", TypedData::string(id)));
    }
    out.push(Action::set_txn(
        "fail",
        TypedData::Int32(i32::from(it.is_some())),
    ));
    if let Some(it) = it {
        out.push(Action::set_txn(
            "action",
            TypedData::string(it.action.as_str()),
        ));
        out.push(Action::set_txn(
            "status",
            TypedData::Int32(i32::from(it.status)),
        ));
        out.push(Action::set_txn("data", TypedData::string(it.data.clone())));
        out.push(Action::set_txn(
            "ruleid",
            TypedData::Int64(i64::try_from(it.rule_id).unwrap_or(i64::MAX)),
        ));
    }
    let hits: Vec<u64> = tx
        .matched_rules()
        .iter()
        .filter(|m| !m.msg.is_empty() && is_attack_rule(m.id))
        .map(|m| m.id)
        .collect();
    out.push(Action::set_txn(
        "rules_hit",
        TypedData::Int64(hits.len() as i64),
    ));
    let score = tx
        .tx_var("blocking_inbound_anomaly_score")
        .and_then(|s| s.trim().parse::<i64>().ok())
        .unwrap_or(0);
    out.push(Action::set_txn("anomaly_score", TypedData::Int64(score)));
    if export {
        let ids: Vec<String> = hits.iter().map(u64::to_string).collect();
        out.push(Action::set_txn(
            "rule_ids",
            TypedData::string(ids.join(",")),
        ));
    }
    out
}

fn verdict_of(it: Option<&Interruption>) -> Verdict {
    match it.map(|i| i.action) {
        None => Verdict::Pass,
        Some(InterruptionAction::Deny) => Verdict::Deny,
        Some(InterruptionAction::Drop) => Verdict::Drop,
        Some(InterruptionAction::Redirect) => Verdict::Redirect,
    }
}

// ---------------------------------------------------------------- applications

/// A transaction waiting for its response, and how many of its matches
/// were already logged.
struct Pending {
    slot: Mutex<Option<(Transaction, usize)>>,
}

impl Pending {
    fn take(&self) -> Option<(Transaction, usize)> {
        self.slot.lock().ok().and_then(|mut s| s.take())
    }
}

/// Where an application's matches go.
struct Sinks {
    name: String,
    match_log: MatchLog,
    error_log: Option<ErrorLog>,
}

impl Sinks {
    /// Logs matches `from..` of `tx`; returns the new count.
    fn log_matches(&self, tx: &Transaction, from: usize) -> usize {
        let all = tx.matched_rules();
        let new = all.get(from..).unwrap_or(&[]);
        let logged = new.iter().filter(|m| m.log);
        for m in logged.clone() {
            self.match_log.log(&MatchEntry {
                app: &self.name,
                tx_id: tx.id(),
                rule: m,
            });
        }
        if let Some(e) = &self.error_log {
            e.write(logged.map(|m| m.error_log.as_str()));
        }
        all.len()
    }

    /// Runs phase 5 and logs what remains.
    fn finish(&self, mut tx: Transaction, logged: usize) {
        tx.process_logging();
        self.log_matches(&tx, logged);
    }
}

/// One application: compiled rules plus its waiting transactions.
pub struct Application {
    name: String,
    waf: Waf,
    response_check: bool,
    cache: moka::sync::Cache<String, Arc<Pending>>,
    sinks: Arc<Sinks>,
}

impl Application {
    /// Builds an application from its configuration (compiles the rules).
    pub fn new(cfg: &AppConfig, waf: Waf) -> Result<Application, String> {
        let sinks = Arc::new(Sinks {
            name: cfg.name.clone(),
            match_log: MatchLog::new(cfg.log.as_ref())?,
            error_log: cfg.error_log.as_deref().map(ErrorLog::open).transpose()?,
        });
        let listener_sinks = sinks.clone();
        let cache = moka::sync::Cache::builder()
            .max_capacity(cfg.transaction_active_limit)
            .time_to_live(cfg.transaction_ttl)
            .eviction_listener(move |id: Arc<String>, p: Arc<Pending>, cause| {
                if cause == RemovalCause::Explicit {
                    return; // taken by its response
                }
                if let Some((tx, logged)) = p.take() {
                    tracing::debug!(app = %listener_sinks.name, tx = %id, ?cause, "transaction left the cache without a response");
                    listener_sinks.finish(tx, logged);
                }
            })
            .build();
        Ok(Application {
            name: cfg.name.clone(),
            waf,
            response_check: cfg.response_check,
            cache,
            sinks,
        })
    }

    /// The application's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Transactions waiting for their response (approximate).
    pub fn pending(&self) -> u64 {
        self.cache.run_pending_tasks();
        self.cache.entry_count()
    }

    fn request(&self, req: RequestArgs) -> (Vec<Action>, Verdict) {
        let id = req.id.clone().unwrap_or_else(random_id);
        let mut tx = self.waf.new_transaction_with_id(&id);
        if tx.rule_engine() == RuleEngineMode::Off {
            return (
                vec![Action::set_txn("id", TypedData::string(id))],
                Verdict::Pass,
            );
        }
        tx.process_connection(&req.src_ip, req.src_port, &req.dst_ip, req.dst_port);
        tx.process_uri(&req.uri, &req.method, &req.protocol);
        for (k, v) in parse_headers(&req.headers) {
            tx.add_request_header(k, v);
        }
        let mut it = tx.process_request_headers();
        if it.is_none() {
            if !req.body.is_empty() && tx.is_request_body_accessible() {
                it = tx.write_request_body(&req.body);
            }
            if it.is_none() {
                it = tx.process_request_body();
            }
        }
        let actions = verdict_actions(&tx, it.as_ref(), Some(&id), req.export_rule_ids);
        let verdict = verdict_of(it.as_ref());
        let logged = self.sinks.log_matches(&tx, 0);
        if it.is_none() && self.response_check {
            let pending = Pending {
                slot: Mutex::new(Some((tx, logged))),
            };
            self.cache.insert(id, Arc::new(pending));
        } else {
            self.sinks.finish(tx, logged);
        }
        (actions, verdict)
    }

    /// Takes the transaction `id` out of the cache.
    fn take_pending(&self, id: &str) -> Result<(Transaction, usize), String> {
        let p = self
            .cache
            .remove(id)
            .ok_or_else(|| format!("transaction not found (unknown or expired id): {id}"))?;
        p.take()
            .ok_or_else(|| format!("transaction is already being processed: {id}"))
    }
}

fn run_response(tx: &mut Transaction, res: &ResponseArgs) -> Option<Interruption> {
    if tx.rule_engine() == RuleEngineMode::Off {
        return None;
    }
    for (k, v) in parse_headers(&res.headers) {
        tx.add_response_header(k, v);
    }
    let mut it = tx.process_response_headers(res.status, &res.protocol);
    if it.is_none() {
        if !res.body.is_empty() && tx.is_response_body_accessible() {
            it = tx.write_response_body(&res.body);
        }
        if it.is_none() {
            it = tx.process_response_body();
        }
    }
    it
}

fn random_id() -> String {
    // 16 letters, like coraza-spoa's generated ids; RandomState is seeded
    // from the OS, the counter makes successive ids differ.
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let mut h = RandomState::new().build_hasher();
    h.write_usize(COUNTER.fetch_add(1, Ordering::Relaxed));
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0),
    );
    let mut x = h.finish();
    let mut s = String::with_capacity(16);
    for _ in 0..16 {
        s.push(char::from(b'A' + (x % 26) as u8));
        x /= 26;
        if x == 0 {
            x = RandomState::new().build_hasher().finish();
        }
    }
    s
}

/// All applications of one configuration.
pub struct Apps {
    by_name: HashMap<String, Arc<Application>>,
    default: Option<Arc<Application>>,
}

impl Apps {
    /// Compiles every application of `cfg` (CRS files from `crs`).
    pub fn build(cfg: &Config, crs: &Path) -> Result<Apps, String> {
        let mut by_name = HashMap::new();
        for (i, a) in cfg.applications.iter().enumerate() {
            let origin = format!("{} (applications[{i}] `{}` directives)", cfg.origin, a.name);
            let waf = crate::rules::build_waf(&a.directives, &origin, crs, &cfg.base_dir)
                .map_err(|e| format!("application `{}`: {e}", a.name))?;
            let app =
                Application::new(a, waf).map_err(|e| format!("application `{}`: {e}", a.name))?;
            by_name.insert(a.name.clone(), Arc::new(app));
        }
        let default = cfg
            .default_application
            .as_ref()
            .and_then(|d| by_name.get(d).cloned());
        Ok(Apps { by_name, default })
    }

    /// Apps from already-built parts (tests, embedding).
    pub fn from_parts(apps: Vec<Application>, default: Option<&str>) -> Apps {
        let by_name: HashMap<_, _> = apps
            .into_iter()
            .map(|a| (a.name.clone(), Arc::new(a)))
            .collect();
        let default = default.and_then(|d| by_name.get(d).cloned());
        Apps { by_name, default }
    }

    /// The application for an `app` argument (else the default one).
    pub fn get(&self, name: Option<&str>) -> Option<&Arc<Application>> {
        name.and_then(|n| self.by_name.get(n))
            .or(self.default.as_ref())
    }
}

// ---------------------------------------------------------------- the agent

/// Detect-only evaluations running in the background.
#[derive(Default)]
struct Background {
    running: AtomicUsize,
    draining: AtomicBool,
}

/// The [`Handler`] HAProxy talks to: dispatches messages to applications.
/// Applications are swapped atomically on reload; work in flight keeps the
/// set it started with.
pub struct Agent {
    apps: RwLock<Generations>,
    background: Arc<Background>,
}

/// The applications in use, and the ones they replaced: transactions that
/// started before a reload still find their response side there.
struct Generations {
    current: Arc<Apps>,
    previous: Option<Arc<Apps>>,
}

impl Agent {
    /// An agent serving `apps`.
    pub fn new(apps: Apps) -> Agent {
        Agent {
            apps: RwLock::new(Generations {
                current: Arc::new(apps),
                previous: None,
            }),
            background: Arc::new(Background::default()),
        }
    }

    /// Replaces the applications (reload). Transactions waiting for their
    /// response stay reachable until the next reload (or their TTL).
    pub fn replace(&self, apps: Apps) {
        if let Ok(mut g) = self.apps.write() {
            let old = std::mem::replace(&mut g.current, Arc::new(apps));
            g.previous = Some(old);
        }
    }

    fn current(&self) -> Option<(Arc<Apps>, Option<Arc<Apps>>)> {
        self.apps
            .read()
            .ok()
            .map(|g| (g.current.clone(), g.previous.clone()))
    }

    /// Refuses new background work and waits (up to `timeout`) for the
    /// detect-only evaluations still running.
    pub fn drain_background(&self, timeout: Duration) {
        self.background.draining.store(true, Ordering::SeqCst);
        let start = Instant::now();
        while self.background.running.load(Ordering::SeqCst) > 0 && start.elapsed() < timeout {
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    fn message(
        &self,
        apps: &Apps,
        previous: Option<&Apps>,
        m: &Message,
    ) -> Option<Result<(Vec<Action>, Verdict), String>> {
        let name = m.name_str();
        let is_request = match name.as_ref() {
            REQUEST_MESSAGE => true,
            RESPONSE_MESSAGE => false,
            other => {
                tracing::debug!(message = other, "unknown SPOE message ignored");
                return None;
            }
        };
        let app_name = match string_arg(m, "app") {
            Ok(a) => a,
            Err(e) => return Some(Err(e)),
        };
        let Some(app) = apps.get(app_name.as_deref()) else {
            return Some(Err(format!(
                "application not found: {} (and no default_application)",
                app_name.as_deref().unwrap_or("<none>")
            )));
        };
        Some(if is_request {
            RequestArgs::from_message(m).map(|r| app.request(r))
        } else {
            let older = previous.and_then(|p| p.get(app_name.as_deref()));
            self.response(app, older, m)
        })
    }

    fn response(
        &self,
        app: &Arc<Application>,
        older: Option<&Arc<Application>>,
        m: &Message,
    ) -> Result<(Vec<Action>, Verdict), String> {
        if !app.response_check {
            return Err(format!(
                "got a response for application `{}` but its response_check is false",
                app.name
            ));
        }
        let res = ResponseArgs::from_message(m)?;
        let id = res.id.clone().ok_or("response without id")?;
        // A transaction started before a reload finishes with its old rules.
        let (app, (mut tx, logged)) = match app.take_pending(&id) {
            Ok(p) => (app, p),
            Err(e) => match older.map(|o| (o, o.take_pending(&id))) {
                Some((o, Ok(p))) => (o, p),
                _ => return Err(e),
            },
        };
        if res.detect_only && !self.background.draining.load(Ordering::SeqCst) {
            if let Ok(handle) = tokio::runtime::Handle::try_current() {
                let bg = self.background.clone();
                bg.running.fetch_add(1, Ordering::SeqCst);
                let sinks = app.sinks.clone();
                handle.spawn_blocking(move || {
                    let it = run_response(&mut tx, &res);
                    if let Some(it) = it {
                        tracing::info!(app = %sinks.name, tx = tx.id(), rule = it.rule_id, "detect-only response would be interrupted");
                    }
                    let logged = sinks.log_matches(&tx, logged);
                    sinks.finish(tx, logged);
                    bg.running.fetch_sub(1, Ordering::SeqCst);
                });
                return Ok((Vec::new(), Verdict::Pass));
            }
        }
        let it = run_response(&mut tx, &res);
        let actions = verdict_actions(&tx, it.as_ref(), None, res.export_rule_ids);
        let logged = app.sinks.log_matches(&tx, logged);
        app.sinks.finish(tx, logged);
        Ok((actions, verdict_of(it.as_ref())))
    }
}

impl Handler for Agent {
    fn handle(&self, messages: Vec<Message>) -> Vec<Action> {
        let Some((apps, previous)) = self.current() else {
            return error_actions();
        };
        let mut out = Vec::new();
        for m in &messages {
            match self.message(&apps, previous.as_deref(), m) {
                None => {}
                Some(Ok((actions, verdict))) => {
                    METRICS.verdict(verdict);
                    out.extend(actions);
                }
                Some(Err(e)) => {
                    METRICS.verdict(Verdict::Error);
                    tracing::warn!(message = %m.name_str(), "cannot evaluate: {e}");
                    out.extend(error_actions());
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests;
