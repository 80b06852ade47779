//! The WAF as the in-process runner sees it: one exchange in, the error-log
//! lines and any interruption out. [`Engine`] keeps the runner independent
//! of the engine crate (and testable with a fake); [`crate::coraza_engine`]
//! implements it over `coraza::Waf`.

use crate::albedo::BackendResponse;
use crate::http_request::ParsedRequest;

/// A disruptive decision that took effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EngineInterruption {
    /// Status the server answers with.
    pub status: u16,
    /// The connection is dropped instead (the client sees a transport error).
    pub drop: bool,
}

/// What the engine reported for one exchange.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EngineOutcome {
    /// Error-log lines of the logged matches, in order.
    pub log_lines: Vec<Vec<u8>>,
    /// The first interruption, when any.
    pub interruption: Option<EngineInterruption>,
}

/// A loaded WAF that can inspect exchanges from many threads at once.
pub trait Engine: Sync {
    /// Runs one exchange through all phases: the request (phases 1-2), then,
    /// unless interrupted, `response` (phases 3-4), then logging (phase 5).
    fn run(&self, request: &ParsedRequest, response: &BackendResponse) -> EngineOutcome;
}

/// The CRS CI test configuration (HARNESS.md section 5, the `SecAction`
/// from CRS's `tests/regression/README.md`), loaded after
/// `crs-setup.conf.example` and before `rules/*.conf`. The go-ftw marker
/// rule is not needed in-process: each stage has its own transaction.
pub const CRS_TEST_CONFIG: &str = r#"# CRS regression test settings (as in CRS CI and Coraza's CRS tests).
SecAction "id:900005,\
    phase:1,\
    nolog,\
    pass,\
    ctl:ruleEngine=DetectionOnly,\
    ctl:ruleRemoveById=910000,\
    setvar:tx.blocking_paranoia_level=4,\
    setvar:tx.crs_validate_utf8_encoding=1,\
    setvar:tx.arg_name_length=100,\
    setvar:tx.arg_length=400,\
    setvar:tx.total_arg_length=64000,\
    setvar:tx.max_num_args=255,\
    setvar:tx.max_file_size=64100,\
    setvar:tx.combined_file_sizes=65535"
"#;

/// Overrides applied right after the engine's recommended configuration,
/// matching the CRS CI image (`MODSEC_RULE_ENGINE`, `MODSEC_RESP_BODY_*`).
pub const CI_ENGINE_OVERRIDES: &str = "SecRuleEngine DetectionOnly
SecResponseBodyAccess On
SecResponseBodyMimeType text/plain text/html text/xml application/json
";
