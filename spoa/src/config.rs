//! `config.yml` -> typed [`Config`], with errors that name the key.
//!
//! Two layouts are understood, told apart by their top-level keys:
//!
//! * **seed** (coraza-spoa before 0.5): `log: {level, dir}` and
//!   `spoa: {bind, include, transaction_ttl, transaction_active_limit}`;
//!   one application, rule files listed under `include`.
//! * **current** (coraza-spoa 0.5 .. 0.7): `bind`, `log_level`, `log_file`,
//!   `log_format`, `default_application`, `applications: [{name,
//!   directives, response_check, transaction_ttl_ms, log_*}]`.
//!
//! Our additions (both layouts): `metrics_bind` (Prometheus endpoint),
//! `workers` (concurrent evaluations), and per application `error_log`
//! (ModSecurity-format lines of every logged match, one per line) and
//! `transaction_active_limit` (current layout).

use std::collections::HashSet;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

/// A configuration problem, with the path of the offending key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// Where: the file, and the key path when known (`applications[0].name`).
    pub path: String,
    /// What.
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

impl std::error::Error for ConfigError {}

fn err(path: impl Into<String>, message: impl Into<String>) -> ConfigError {
    ConfigError {
        path: path.into(),
        message: message.into(),
    }
}

/// Log verbosity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogLevel {
    /// trace
    Trace,
    /// debug
    Debug,
    /// info
    Info,
    /// warn
    Warn,
    /// error (also `panic`, `fatal`)
    Error,
}

impl LogLevel {
    fn parse(s: &str, path: &str) -> Result<LogLevel, ConfigError> {
        Ok(match s.to_ascii_lowercase().as_str() {
            "trace" => LogLevel::Trace,
            "debug" => LogLevel::Debug,
            "" | "info" => LogLevel::Info,
            "warn" | "warning" => LogLevel::Warn,
            "error" | "panic" | "fatal" => LogLevel::Error,
            _ => {
                return Err(err(
                    path,
                    format!("unknown log level `{s}` (expected trace, debug, info, warn, error, panic or fatal)"),
                ))
            }
        })
    }

    /// The tracing filter name.
    pub fn as_str(self) -> &'static str {
        match self {
            LogLevel::Trace => "trace",
            LogLevel::Debug => "debug",
            LogLevel::Info => "info",
            LogLevel::Warn => "warn",
            LogLevel::Error => "error",
        }
    }
}

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable text (`console`, `text`).
    Text,
    /// One JSON object per line.
    Json,
}

impl LogFormat {
    fn parse(s: &str, path: &str) -> Result<LogFormat, ConfigError> {
        match s.to_ascii_lowercase().as_str() {
            "" | "console" | "text" => Ok(LogFormat::Text),
            "json" => Ok(LogFormat::Json),
            _ => Err(err(
                path,
                format!("unknown log format `{s}` (expected console, text or json)"),
            )),
        }
    }
}

/// Where and how to log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogSettings {
    /// Minimum level.
    pub level: LogLevel,
    /// `None` = stderr for the process log, the process log for an
    /// application. `/dev/stdout`, `/dev/stderr`, `/dev/null` are understood.
    pub file: Option<PathBuf>,
    /// Line format.
    pub format: LogFormat,
}

impl Default for LogSettings {
    fn default() -> Self {
        LogSettings {
            level: LogLevel::Info,
            file: None,
            format: LogFormat::Text,
        }
    }
}

/// One application: a rule set and how its transactions are kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppConfig {
    /// Name matched against the `app` message argument.
    pub name: String,
    /// SecLang text (may `Include` files and `@` embedded names).
    pub directives: String,
    /// Keep transactions for the `coraza-res` message.
    pub response_check: bool,
    /// How long a transaction waits for its response.
    pub transaction_ttl: Duration,
    /// At most this many transactions wait for their response.
    pub transaction_active_limit: u64,
    /// Where this application's match logs go (`None`: the process log).
    pub log: Option<LogSettings>,
    /// Our extension: append the error-log line of every logged match here.
    pub error_log: Option<PathBuf>,
}

/// Which layout a file used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// `log:` / `spoa:` (coraza-spoa before 0.5).
    Seed,
    /// `applications:` list (coraza-spoa 0.5+).
    Current,
    /// The embedded default.
    Default,
}

/// The whole agent configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Layout the file used.
    pub layout: Layout,
    /// SPOP listen address (`host:port`).
    pub bind: String,
    /// Process log.
    pub log: LogSettings,
    /// Prometheus endpoint, when enabled.
    pub metrics_bind: Option<String>,
    /// Concurrent evaluations (default: 2 x CPUs).
    pub workers: Option<usize>,
    /// Application used when `app` is absent or unknown.
    pub default_application: Option<String>,
    /// Applications in file order.
    pub applications: Vec<AppConfig>,
    /// Directory relative paths in the file resolve from.
    pub base_dir: PathBuf,
    /// The file (for messages), or `<default>`.
    pub origin: String,
}

/// Transaction TTL when none is given (coraza-spoa's example value).
pub const DEFAULT_TTL: Duration = Duration::from_secs(60);
/// Cache bound when none is given (the seed's example value).
pub const DEFAULT_ACTIVE_LIMIT: u64 = 100_000;

/// The configuration used without `--config`: recommended conf, CRS setup
/// and CRS rules, engine On, responses checked, bind 127.0.0.1:9000.
pub const DEFAULT_CONFIG: &str = r#"
bind: 127.0.0.1:9000
log_level: info
log_format: console
default_application: default
applications:
  - name: default
    directives: |
      Include @coraza.conf-recommended
      Include @crs-setup.conf.example
      Include @owasp_crs/*.conf
      SecRuleEngine On
    response_check: true
    transaction_ttl_ms: 60000
"#;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SeedFile {
    #[serde(default)]
    log: SeedLog,
    spoa: SeedSpoa,
    metrics_bind: Option<String>,
    workers: Option<usize>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct SeedLog {
    level: Option<String>,
    dir: Option<String>,
    format: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SeedSpoa {
    bind: Option<String>,
    #[serde(default)]
    include: Vec<String>,
    transaction_ttl: Option<u64>,
    transaction_active_limit: Option<u64>,
    error_log: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CurrentFile {
    bind: Option<String>,
    log_level: Option<String>,
    log_file: Option<String>,
    log_format: Option<String>,
    default_application: Option<String>,
    #[serde(default)]
    applications: Vec<CurrentApp>,
    metrics_bind: Option<String>,
    workers: Option<usize>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CurrentApp {
    name: String,
    #[serde(default)]
    directives: String,
    #[serde(default)]
    response_check: bool,
    transaction_ttl_ms: Option<u64>,
    transaction_active_limit: Option<u64>,
    log_level: Option<String>,
    log_file: Option<String>,
    log_format: Option<String>,
    error_log: Option<String>,
}

fn yaml_error(origin: &str, e: serde_yaml::Error) -> ConfigError {
    // serde_yaml prefixes the key path (`applications[0]: unknown field ...`)
    // and appends the line/column.
    err(origin, e.to_string())
}

fn check_bind(v: &str, path: &str) -> Result<(), ConfigError> {
    if v.starts_with("unix:") || v.starts_with('/') {
        return Err(err(
            path,
            format!("`{v}`: unix sockets are not supported; use host:port"),
        ));
    }
    let v = v.strip_prefix("tcp://").unwrap_or(v);
    let Some((host, port)) = v.rsplit_once(':') else {
        return Err(err(path, format!("`{v}` is not host:port")));
    };
    if host.is_empty() || port.parse::<u16>().is_err() {
        return Err(err(path, format!("`{v}` is not host:port")));
    }
    Ok(())
}

fn resolve(base: &Path, p: &str) -> PathBuf {
    let p = Path::new(p);
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        base.join(p)
    }
}

fn special_or_path(base: &Path, p: Option<String>) -> Option<PathBuf> {
    p.filter(|s| !s.is_empty()).map(|s| {
        if s.starts_with("/dev/") {
            PathBuf::from(s)
        } else {
            resolve(base, &s)
        }
    })
}

impl Config {
    /// Reads and validates a file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let origin = path.display().to_string();
        let text =
            std::fs::read_to_string(path).map_err(|e| err(&origin, format!("cannot read: {e}")))?;
        let base = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        Config::parse(&text, &origin, &base)
    }

    /// The embedded default configuration.
    pub fn default_config() -> Config {
        let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
        let mut c = Config::parse(DEFAULT_CONFIG, "<default>", &cwd)
            .expect("embedded default config is valid");
        c.layout = Layout::Default;
        c
    }

    /// Parses YAML text; `origin` names it in errors, relative paths resolve from `base_dir`.
    pub fn parse(text: &str, origin: &str, base_dir: &Path) -> Result<Config, ConfigError> {
        let value: serde_yaml::Value =
            serde_yaml::from_str(text).map_err(|e| yaml_error(origin, e))?;
        let map = match &value {
            serde_yaml::Value::Mapping(m) => m,
            serde_yaml::Value::Null => return Err(err(origin, "the file is empty")),
            _ => return Err(err(origin, "the top level must be a mapping of keys")),
        };
        let is_seed = map.contains_key("spoa") || map.contains_key("log");
        // Decode from the text (not the Value) so errors carry key paths and lines.
        let config = if is_seed {
            let f: SeedFile = serde_yaml::from_str(text).map_err(|e| yaml_error(origin, e))?;
            Config::from_seed(f, origin, base_dir)?
        } else {
            let f: CurrentFile = serde_yaml::from_str(text).map_err(|e| yaml_error(origin, e))?;
            Config::from_current(f, origin, base_dir)?
        };
        config.validate()?;
        Ok(config)
    }

    fn from_seed(f: SeedFile, origin: &str, base: &Path) -> Result<Config, ConfigError> {
        let at = |k: &str| format!("{origin}: {k}");
        let level = LogLevel::parse(f.log.level.as_deref().unwrap_or("warn"), &at("log.level"))?;
        let format = LogFormat::parse(f.log.format.as_deref().unwrap_or(""), &at("log.format"))?;
        let file = f
            .log
            .dir
            .filter(|d| !d.is_empty())
            .map(|d| resolve(base, &d).join("server.log"));
        if f.spoa.include.is_empty() {
            return Err(err(at("spoa.include"), "at least one rule file is needed"));
        }
        let mut directives = String::new();
        for (i, inc) in f.spoa.include.iter().enumerate() {
            if inc.trim().is_empty() || inc.contains('\n') || inc.contains('"') {
                return Err(err(
                    at(&format!("spoa.include[{i}]")),
                    format!("invalid path `{inc}`"),
                ));
            }
            let p = if inc.starts_with('@') {
                inc.clone()
            } else {
                resolve(base, inc).display().to_string()
            };
            directives.push_str(&format!("Include \"{p}\"\n"));
        }
        let ttl = f
            .spoa
            .transaction_ttl
            .unwrap_or(DEFAULT_TTL.as_millis() as u64);
        Ok(Config {
            layout: Layout::Seed,
            bind: f.spoa.bind.unwrap_or_else(|| "0.0.0.0:9000".into()),
            log: LogSettings {
                level,
                file,
                format,
            },
            metrics_bind: f.metrics_bind,
            workers: f.workers,
            default_application: Some("default".into()),
            applications: vec![AppConfig {
                name: "default".into(),
                directives,
                response_check: true,
                transaction_ttl: Duration::from_millis(ttl),
                transaction_active_limit: f
                    .spoa
                    .transaction_active_limit
                    .unwrap_or(DEFAULT_ACTIVE_LIMIT),
                log: None,
                error_log: special_or_path(base, f.spoa.error_log),
            }],
            base_dir: base.to_path_buf(),
            origin: origin.to_string(),
        })
    }

    fn from_current(f: CurrentFile, origin: &str, base: &Path) -> Result<Config, ConfigError> {
        let at = |k: &str| format!("{origin}: {k}");
        let log = LogSettings {
            level: LogLevel::parse(f.log_level.as_deref().unwrap_or(""), &at("log_level"))?,
            file: special_or_path(base, f.log_file),
            format: LogFormat::parse(f.log_format.as_deref().unwrap_or(""), &at("log_format"))?,
        };
        let mut apps = Vec::new();
        for (i, a) in f.applications.into_iter().enumerate() {
            let p = |k: &str| at(&format!("applications[{i}].{k}"));
            let app_log = if a.log_level.is_some() || a.log_file.is_some() || a.log_format.is_some()
            {
                Some(LogSettings {
                    level: LogLevel::parse(a.log_level.as_deref().unwrap_or(""), &p("log_level"))?,
                    file: special_or_path(base, a.log_file),
                    format: LogFormat::parse(
                        a.log_format.as_deref().unwrap_or(""),
                        &p("log_format"),
                    )?,
                })
            } else {
                None
            };
            let ttl = match a.transaction_ttl_ms {
                Some(0) if a.response_check => {
                    return Err(err(
                        p("transaction_ttl_ms"),
                        "must be above 0 when response_check is true",
                    ))
                }
                Some(ms) => Duration::from_millis(ms),
                None => DEFAULT_TTL,
            };
            if a.transaction_active_limit == Some(0) {
                return Err(err(p("transaction_active_limit"), "must be above 0"));
            }
            apps.push(AppConfig {
                name: a.name,
                directives: a.directives,
                response_check: a.response_check,
                transaction_ttl: ttl,
                transaction_active_limit: a
                    .transaction_active_limit
                    .unwrap_or(DEFAULT_ACTIVE_LIMIT),
                log: app_log,
                error_log: special_or_path(base, a.error_log),
            });
        }
        Ok(Config {
            layout: Layout::Current,
            bind: f.bind.unwrap_or_else(|| "0.0.0.0:9000".into()),
            log,
            metrics_bind: f.metrics_bind,
            workers: f.workers,
            default_application: f.default_application.filter(|s| !s.is_empty()),
            applications: apps,
            base_dir: base.to_path_buf(),
            origin: origin.to_string(),
        })
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let at = |k: &str| format!("{}: {k}", self.origin);
        check_bind(
            &self.bind,
            &at(if self.layout == Layout::Seed {
                "spoa.bind"
            } else {
                "bind"
            }),
        )?;
        if let Some(m) = &self.metrics_bind {
            check_bind(m, &at("metrics_bind"))?;
        }
        if self.workers == Some(0) {
            return Err(err(at("workers"), "must be above 0"));
        }
        if self.applications.is_empty() {
            return Err(err(at("applications"), "no application is defined"));
        }
        let mut seen = HashSet::new();
        for (i, a) in self.applications.iter().enumerate() {
            if a.name.trim().is_empty() {
                return Err(err(
                    at(&format!("applications[{i}].name")),
                    "must not be empty",
                ));
            }
            if !seen.insert(a.name.as_str()) {
                return Err(err(
                    at(&format!("applications[{i}].name")),
                    format!("application `{}` is defined twice", a.name),
                ));
            }
        }
        if let Some(d) = &self.default_application {
            if !seen.contains(d.as_str()) {
                return Err(err(
                    at("default_application"),
                    format!("default application not found among defined applications: {d}"),
                ));
            }
        }
        Ok(())
    }

    /// The listen address without a `tcp://` prefix.
    pub fn bind_addr(&self) -> &str {
        self.bind.strip_prefix("tcp://").unwrap_or(&self.bind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse(text, "t.yml", Path::new("/etc/coraza"))
    }

    #[test]
    fn current_layout_example() {
        let c = parse(
            r#"
bind: 0.0.0.0:9000
log_level: info
log_file: /dev/stdout
log_format: console
default_application: sample_app
applications:
  - name: sample_app
    directives: |
      Include @coraza.conf-recommended
      SecRuleEngine On
    response_check: true
    transaction_ttl_ms: 1500
    log_level: debug
    log_file: app.log
    log_format: json
    error_log: /tmp/e.log
    transaction_active_limit: 10
metrics_bind: 127.0.0.1:9100
workers: 3
"#,
        )
        .unwrap();
        assert_eq!(c.layout, Layout::Current);
        assert_eq!(c.log.file, Some(PathBuf::from("/dev/stdout")));
        assert_eq!(c.metrics_bind.as_deref(), Some("127.0.0.1:9100"));
        assert_eq!(c.workers, Some(3));
        let a = &c.applications[0];
        assert!(a.response_check);
        assert_eq!(a.transaction_ttl, Duration::from_millis(1500));
        assert_eq!(a.transaction_active_limit, 10);
        let log = a.log.as_ref().unwrap();
        assert_eq!((log.level, log.format), (LogLevel::Debug, LogFormat::Json));
        assert_eq!(log.file, Some(PathBuf::from("/etc/coraza/app.log")));
        assert_eq!(a.error_log, Some(PathBuf::from("/tmp/e.log")));
        assert!(a.directives.contains("SecRuleEngine On"));
    }

    #[test]
    fn seed_layout_example() {
        let c = parse(
            r#"
log:
  level: info
  dir: /var/log/coraza-spoa
spoa:
  bind: 0.0.0.0:9000
  include:
    - /etc/coraza-spoa/coraza.conf
    - rules/*.conf
  transaction_ttl: 60000
  transaction_active_limit: 100000
"#,
        )
        .unwrap();
        assert_eq!(c.layout, Layout::Seed);
        assert_eq!(
            c.log.file,
            Some(PathBuf::from("/var/log/coraza-spoa/server.log"))
        );
        let a = &c.applications[0];
        assert_eq!(
            a.directives,
            "Include \"/etc/coraza-spoa/coraza.conf\"\nInclude \"/etc/coraza/rules/*.conf\"\n"
        );
        assert!(a.response_check);
        assert_eq!(a.transaction_ttl, Duration::from_secs(60));
        assert_eq!(c.default_application.as_deref(), Some("default"));
    }

    #[test]
    fn default_config_is_valid() {
        let c = Config::default_config();
        assert_eq!(c.bind, "127.0.0.1:9000");
        assert!(c.applications[0].directives.contains("@owasp_crs/*.conf"));
        assert!(c.applications[0].response_check);
    }

    fn error_of(text: &str) -> String {
        parse(text).unwrap_err().to_string()
    }

    #[test]
    fn errors_name_the_key() {
        let e = error_of("bind: 1.2.3.4:9000\nbogus: 1\napplications: []\n");
        assert!(e.contains("unknown field `bogus`"), "{e}");
        let e = error_of("applications:\n  - name: a\n    directivez: x\n");
        assert!(
            e.contains("applications[0]") && e.contains("directivez"),
            "{e}"
        );
        let e = error_of("applications:\n  - name: a\n    response_check: maybe\n");
        assert!(e.contains("applications[0].response_check"), "{e}");
        let e = error_of("applications:\n  - name: a\n    log_level: loud\n");
        assert!(
            e.contains("applications[0].log_level") && e.contains("loud"),
            "{e}"
        );
        let e = error_of("log_format: xml\napplications:\n  - name: a\n");
        assert!(
            e.contains("t.yml: log_format: unknown log format `xml`"),
            "{e}"
        );
        let e = error_of("bind: nope\napplications:\n  - name: a\n");
        assert!(e.contains("bind: `nope` is not host:port"), "{e}");
        let e = error_of("bind: unix:///run/x.sock\napplications:\n  - name: a\n");
        assert!(e.contains("unix sockets are not supported"), "{e}");
        let e = error_of("default_application: b\napplications:\n  - name: a\n");
        assert!(
            e.contains("default_application: default application not found"),
            "{e}"
        );
        let e = error_of("applications:\n  - name: a\n  - name: a\n");
        assert!(
            e.contains("applications[1].name") && e.contains("twice"),
            "{e}"
        );
        let e = error_of(
            "applications:\n  - name: a\n    response_check: true\n    transaction_ttl_ms: 0\n",
        );
        assert!(e.contains("applications[0].transaction_ttl_ms"), "{e}");
        let e = error_of("applications: []\n");
        assert!(e.contains("no application"), "{e}");
        let e = error_of("spoa:\n  bind: 1.2.3.4:1\n  include: [a.conf]\n  extra: 1\n");
        assert!(e.contains("spoa") && e.contains("extra"), "{e}");
        let e = error_of("spoa:\n  include: []\n");
        assert!(e.contains("spoa.include"), "{e}");
        let e = error_of("spoa:\n  include: [a]\n  transaction_ttl: -5\n");
        assert!(e.contains("transaction_ttl"), "{e}");
        assert!(error_of("").contains("empty"));
        assert!(error_of("- a\n").contains("mapping"));
        assert!(error_of("workers: 0\napplications:\n  - name: a\n").contains("workers"));
    }
}
