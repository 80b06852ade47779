//! Runs the OWASP CRS regression tests (go-ftw YAML, schema v2) against the
//! engine in-process, or over HTTP against a WAF that writes an error log.
//!
//! The pipeline, one module per step:
//! [`schema`] loads test files; [`request`] turns a stage's input into the
//! exact bytes go-ftw 2.3.0 would send; in-process, [`http_request`] parses
//! them back as a web server would and [`inprocess`] feeds them to an
//! [`engine::Engine`] with the [`albedo`] backend's answer; over HTTP,
//! [`http_mode`] sends them and reads the WAF log between marker lines;
//! [`judge`] applies the stage's expectations; [`runner`] runs everything
//! (with [`overrides`]) and [`report`] prints it.
#![forbid(unsafe_code)]

pub mod albedo;
#[cfg(feature = "engine")]
pub mod coraza_engine;
pub mod engine;
pub mod goescape;
pub mod gotemplate;
pub mod http_mode;
pub mod http_request;
pub mod inprocess;
pub mod judge;
pub mod overrides;
pub mod report;
pub mod request;
pub mod runner;
pub mod schema;

use std::path::{Path, PathBuf};

/// The CRS directory: `explicit` (`--crs-dir`), else `$CRS_DIR`, else
/// `shared/crs` beside the workspace (`<workspace>/../shared/crs`), else the
/// nearest `shared/crs` above the workspace (for nested git worktrees).
pub fn crs_dir(explicit: Option<&Path>) -> PathBuf {
    if let Some(p) = explicit {
        return p.to_path_buf();
    }
    if let Some(p) = std::env::var_os("CRS_DIR").filter(|p| !p.is_empty()) {
        return PathBuf::from(p);
    }
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let beside = manifest.join("../../shared/crs");
    if beside.is_dir() {
        return beside;
    }
    manifest
        .ancestors()
        .map(|a| a.join("shared/crs"))
        .find(|p| p.is_dir())
        .unwrap_or(beside)
}

/// Where the regression tests live inside a CRS directory.
pub fn tests_dir(crs_dir: &Path) -> PathBuf {
    crs_dir.join("tests/regression/tests")
}

/// The overrides file shipped with this crate (in-process platform).
pub fn default_overrides_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("overrides.yaml")
}
