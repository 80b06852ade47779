//! Logging: the process log (tracing, text or JSON, stderr or a file), an
//! application's match log (its own `log_*` keys), and the `error_log`
//! file of ModSecurity-format lines.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::config::{LogFormat, LogLevel, LogSettings};

fn open_append(p: &Path) -> io::Result<File> {
    if let Some(dir) = p.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    OpenOptions::new().create(true).append(true).open(p)
}

/// Installs the process-wide tracing subscriber. `RUST_LOG` overrides the level.
pub fn init_process_log(s: &LogSettings) -> Result<(), String> {
    use tracing_subscriber::EnvFilter;
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(s.level.as_str()));
    use std::io::IsTerminal;
    // Colours only on a terminal (not in files, pipes, journald).
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(io::stderr().is_terminal());
    let file = match s.file.as_deref() {
        None => None,
        Some(p) if p == Path::new("/dev/stderr") => None,
        Some(p) => Some(p.to_path_buf()),
    };
    let result = match (file, s.format) {
        (None, LogFormat::Text) => builder.with_writer(io::stderr).try_init(),
        (None, LogFormat::Json) => builder.json().with_writer(io::stderr).try_init(),
        (Some(p), fmt) => {
            let f = if p == Path::new("/dev/stdout") {
                None
            } else {
                Some(open_append(&p).map_err(|e| format!("log file {}: {e}", p.display()))?)
            };
            match (f, fmt) {
                (None, LogFormat::Text) => builder
                    .with_ansi(io::stdout().is_terminal())
                    .with_writer(io::stdout)
                    .try_init(),
                (None, LogFormat::Json) => builder.json().with_writer(io::stdout).try_init(),
                (Some(f), LogFormat::Text) => builder
                    .with_ansi(false)
                    .with_writer(Mutex::new(f))
                    .try_init(),
                (Some(f), LogFormat::Json) => builder.json().with_writer(Mutex::new(f)).try_init(),
            }
        }
    };
    result.map_err(|e| e.to_string())
}

enum Sink {
    /// The process log (tracing).
    Process,
    Stdout,
    Stderr,
    Null,
    File(Mutex<File>),
}

/// Where an application's rule matches are logged.
pub struct MatchLog {
    level: LogLevel,
    format: LogFormat,
    sink: Sink,
}

/// What a match log line says.
pub struct MatchEntry<'a> {
    /// Application name.
    pub app: &'a str,
    /// Transaction id.
    pub tx_id: &'a str,
    /// The engine's matched rule.
    pub rule: &'a coraza::MatchedRule,
}

fn level_of_severity(sev: Option<u8>) -> LogLevel {
    match sev {
        Some(0..=3) => LogLevel::Error,
        Some(4) => LogLevel::Warn,
        Some(5 | 6) | None => LogLevel::Info,
        Some(_) => LogLevel::Debug,
    }
}

impl MatchLog {
    /// From an application's `log_*` keys; `None` means the process log.
    pub fn new(s: Option<&LogSettings>) -> Result<MatchLog, String> {
        let Some(s) = s else {
            return Ok(MatchLog {
                level: LogLevel::Trace,
                format: LogFormat::Text,
                sink: Sink::Process,
            });
        };
        let sink = match s.file.as_deref() {
            None => Sink::Process,
            Some(p) if p == Path::new("/dev/stdout") => Sink::Stdout,
            Some(p) if p == Path::new("/dev/stderr") => Sink::Stderr,
            Some(p) if p == Path::new("/dev/null") => Sink::Null,
            Some(p) => Sink::File(Mutex::new(
                open_append(p).map_err(|e| format!("log file {}: {e}", p.display()))?,
            )),
        };
        Ok(MatchLog {
            level: s.level,
            format: s.format,
            sink,
        })
    }

    /// Logs one match (severity decides the level, as coraza-spoa does).
    pub fn log(&self, e: &MatchEntry<'_>) {
        let level = level_of_severity(e.rule.severity);
        if let Sink::Process = self.sink {
            let line = &e.rule.error_log;
            match level {
                LogLevel::Error => {
                    tracing::error!(app = e.app, tx = e.tx_id, rule = e.rule.id, "{line}")
                }
                LogLevel::Warn => {
                    tracing::warn!(app = e.app, tx = e.tx_id, rule = e.rule.id, "{line}")
                }
                LogLevel::Info => {
                    tracing::info!(app = e.app, tx = e.tx_id, rule = e.rule.id, "{line}")
                }
                _ => tracing::debug!(app = e.app, tx = e.tx_id, rule = e.rule.id, "{line}"),
            }
            return;
        }
        if level < self.level {
            return;
        }
        let ts = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs_f64())
            .unwrap_or(0.0);
        let mut line = match self.format {
            LogFormat::Text => format!(
                "{ts:.3} {} app={} tx={} {}",
                level.as_str().to_uppercase(),
                e.app,
                e.tx_id,
                e.rule.error_log
            ),
            LogFormat::Json => serde_json::json!({
                "time": ts,
                "level": level.as_str(),
                "app": e.app,
                "tx": e.tx_id,
                "rule_id": e.rule.id,
                "msg": e.rule.msg,
                "data": e.rule.data,
                "severity": e.rule.severity,
                "tags": e.rule.info.tags.to_vec(),
                "disruptive": e.rule.disruptive,
                "error_log": e.rule.error_log,
            })
            .to_string(),
        };
        line.push('\n');
        let _ = match &self.sink {
            Sink::Stdout => io::stdout().write_all(line.as_bytes()),
            Sink::Stderr => io::stderr().write_all(line.as_bytes()),
            Sink::File(f) => f
                .lock()
                .map_or(Ok(()), |mut f| f.write_all(line.as_bytes())),
            Sink::Null | Sink::Process => Ok(()),
        };
    }
}

/// The `error_log` file: ModSecurity-format lines, appended and handed to
/// the OS at once (go-ftw tails it while the test runs).
pub struct ErrorLog {
    path: PathBuf,
    file: Mutex<File>,
}

impl ErrorLog {
    /// Opens (creates) `path` for appending.
    pub fn open(path: &Path) -> Result<ErrorLog, String> {
        let file = open_append(path).map_err(|e| format!("error_log {}: {e}", path.display()))?;
        Ok(ErrorLog {
            path: path.to_path_buf(),
            file: Mutex::new(file),
        })
    }

    /// Appends `lines`, one per line, in one write.
    pub fn write<'a>(&self, lines: impl IntoIterator<Item = &'a str>) {
        let mut buf = String::new();
        for l in lines {
            // One entry per line, whatever the rule's message contains.
            buf.push_str(&l.replace(['\n', '\r'], " "));
            buf.push('\n');
        }
        if buf.is_empty() {
            return;
        }
        let Ok(mut f) = self.file.lock() else { return };
        if let Err(e) = f.write_all(buf.as_bytes()).and_then(|_| f.flush()) {
            tracing::warn!(path = %self.path.display(), error = %e, "cannot write error_log");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_log_appends_one_line_per_entry() {
        let dir = std::env::temp_dir().join(format!("spoa-errlog-{}", std::process::id()));
        let p = dir.join("sub/error.log");
        let log = ErrorLog::open(&p).unwrap();
        log.write(["[id \"1\"] a", "[id \"2\"] b\nc"]);
        log.write(std::iter::empty());
        let text = std::fs::read_to_string(&p).unwrap();
        assert_eq!(text, "[id \"1\"] a\n[id \"2\"] b c\n");
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn severity_levels() {
        assert_eq!(level_of_severity(Some(2)), LogLevel::Error);
        assert_eq!(level_of_severity(Some(4)), LogLevel::Warn);
        assert_eq!(level_of_severity(None), LogLevel::Info);
        assert_eq!(level_of_severity(Some(7)), LogLevel::Debug);
    }
}
