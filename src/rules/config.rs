//! Engine settings chosen by configuration directives.

/// `SecRuleEngine`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleEngineMode {
    /// Rules run and disruptive actions take effect.
    On,
    /// Rules do not run.
    Off,
    /// Rules run and log; nothing is interrupted.
    DetectionOnly,
}

impl RuleEngineMode {
    /// Parses `On`, `Off`, `DetectionOnly` (case-insensitive).
    pub fn parse(s: &str) -> Option<RuleEngineMode> {
        match s.to_ascii_lowercase().as_str() {
            "on" => Some(RuleEngineMode::On),
            "off" => Some(RuleEngineMode::Off),
            "detectiononly" => Some(RuleEngineMode::DetectionOnly),
            _ => None,
        }
    }
}

/// What to do with a body over its limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyLimitAction {
    /// Interrupt (413 for requests).
    Reject,
    /// Inspect the part within the limit.
    ProcessPartial,
}

impl BodyLimitAction {
    /// Parses `Reject` / `ProcessPartial`.
    pub fn parse(s: &str) -> Option<BodyLimitAction> {
        match s.to_ascii_lowercase().as_str() {
            "reject" => Some(BodyLimitAction::Reject),
            "processpartial" => Some(BodyLimitAction::ProcessPartial),
            _ => None,
        }
    }
}

/// Settings from the configuration directives (ModSecurity defaults).
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// `SecRuleEngine`.
    pub rule_engine: RuleEngineMode,
    /// `SecRequestBodyAccess`.
    pub request_body_access: bool,
    /// `SecRequestBodyLimit`.
    pub request_body_limit: usize,
    /// `SecRequestBodyNoFilesLimit`.
    pub request_body_no_files_limit: usize,
    /// `SecRequestBodyInMemoryLimit` (bodies are always in memory; kept for reporting).
    pub request_body_in_memory_limit: usize,
    /// `SecRequestBodyLimitAction`.
    pub request_body_limit_action: BodyLimitAction,
    /// `SecRequestBodyJsonDepthLimit`.
    pub json_depth_limit: usize,
    /// `SecArgumentsLimit`.
    pub arguments_limit: usize,
    /// `SecUploadFileLimit`.
    pub upload_file_limit: usize,
    /// `SecResponseBodyAccess`.
    pub response_body_access: bool,
    /// `SecResponseBodyLimit`.
    pub response_body_limit: usize,
    /// `SecResponseBodyLimitAction`.
    pub response_body_limit_action: BodyLimitAction,
    /// `SecResponseBodyMimeType` (lower-cased).
    pub response_body_mime_types: Vec<String>,
    /// `SecArgumentSeparator`.
    pub argument_separator: u8,
    /// `SecAuditEngine` (`On`, `Off`, `RelevantOnly`).
    pub audit_engine: String,
    /// `SecAuditLogParts`.
    pub audit_log_parts: String,
    /// `SecAuditLogRelevantStatus`.
    pub audit_log_relevant_status: Option<String>,
    /// `SecWebAppId`.
    pub web_app_id: String,
    /// `SecComponentSignature`s.
    pub component_signatures: Vec<String>,
    /// `SecDebugLogLevel`.
    pub debug_log_level: u8,
    /// `SecCollectionTimeout` seconds.
    pub collection_timeout: u64,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            // Coraza turns the engine on unless told otherwise (ModSecurity: Off).
            rule_engine: RuleEngineMode::On,
            request_body_access: false,
            request_body_limit: 134_217_728,
            request_body_no_files_limit: 1_048_576,
            request_body_in_memory_limit: 131_072,
            request_body_limit_action: BodyLimitAction::Reject,
            json_depth_limit: 1024,
            arguments_limit: 1000,
            upload_file_limit: 100,
            response_body_access: false,
            response_body_limit: 524_288,
            response_body_limit_action: BodyLimitAction::ProcessPartial,
            response_body_mime_types: vec!["text/plain".into(), "text/html".into()],
            argument_separator: b'&',
            audit_engine: "Off".into(),
            audit_log_parts: "ABCFHZ".into(),
            audit_log_relevant_status: None,
            web_app_id: "default".into(),
            component_signatures: Vec::new(),
            debug_log_level: 0,
            collection_timeout: 3600,
        }
    }
}
