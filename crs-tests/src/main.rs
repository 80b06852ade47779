//! `crs-tests`: run the CRS regression suite in-process or over HTTP, or
//! serve the Albedo-compatible backend.
#![forbid(unsafe_code)]

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use regex::Regex;

use crs_tests::http_mode::HttpMode;
use crs_tests::overrides::Overrides;
use crs_tests::runner::{run, RunOptions, StageRunner};
use crs_tests::{report, schema};

#[derive(Parser)]
#[command(name = "crs-tests", about = "OWASP CRS go-ftw regression runner")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    run: RunArgs,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the Albedo-compatible test backend.
    Albedo {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8000")]
        bind: String,
    },
}

#[derive(Args)]
struct RunArgs {
    /// CRS directory (default: $CRS_DIR, else ../shared/crs beside the workspace).
    #[arg(long)]
    crs_dir: Option<PathBuf>,
    /// Only run tests whose `<rule_id>-<test_id>` matches this regex.
    #[arg(long)]
    filter: Option<String>,
    /// Overrides file in go-ftw's format (default: crs-tests/overrides.yaml
    /// in-process, none over HTTP).
    #[arg(long)]
    overrides: Option<PathBuf>,
    /// Apply no overrides at all.
    #[arg(long, conflicts_with = "overrides")]
    no_overrides: bool,
    /// Write a JSON report here.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Show every failing stage's log lines.
    #[arg(long, short)]
    verbose: bool,
    /// Worker threads in-process (0: one per core).
    #[arg(long, default_value_t = 0)]
    threads: usize,
    /// Send requests to this HOST:PORT instead of running in-process.
    #[arg(long, requires = "log_file")]
    http: Option<String>,
    /// The WAF error log to read markers and rule ids from (HTTP mode).
    #[arg(long)]
    log_file: Option<PathBuf>,
    /// Marker header name (HTTP mode).
    #[arg(long, default_value = "X-CRS-Test")]
    marker_header: String,
    /// No progress line on stderr.
    #[arg(long)]
    no_progress: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Albedo { bind }) => albedo(&bind),
        None => match run_suite(&cli.run) {
            Ok(code) => code,
            Err(e) => {
                eprintln!("crs-tests: {e}");
                ExitCode::from(2)
            }
        },
    }
}

fn albedo(bind: &str) -> ExitCode {
    let rt = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("crs-tests albedo: {e}");
            return ExitCode::from(2);
        }
    };
    let res = rt.block_on(async {
        let l = tokio::net::TcpListener::bind(bind).await?;
        eprintln!("albedo: listening on {}", l.local_addr()?);
        crs_tests::albedo::serve(l).await
    });
    match res {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("crs-tests albedo: {e}");
            ExitCode::from(2)
        }
    }
}

fn load_overrides(path: &Path) -> Result<Overrides, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    Overrides::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
}

fn run_suite(a: &RunArgs) -> Result<ExitCode, String> {
    let crs = crs_tests::crs_dir(a.crs_dir.as_deref());
    let tests_dir = crs_tests::tests_dir(&crs);
    if !tests_dir.is_dir() {
        return Err(format!("{}: no such directory", tests_dir.display()));
    }
    let (files, errors) = schema::load_dir(&tests_dir);
    for e in &errors {
        eprintln!("warning: skipping {e}");
    }
    let overrides = if a.no_overrides {
        Overrides::default()
    } else if let Some(p) = &a.overrides {
        load_overrides(p)?
    } else if a.http.is_none() {
        load_overrides(&crs_tests::default_overrides_path())?
    } else {
        Overrides::default()
    };
    let filter = a
        .filter
        .as_deref()
        .map(Regex::new)
        .transpose()
        .map_err(|e| format!("--filter: {e}"))?;
    let opts = RunOptions {
        filter,
        overrides,
        threads: a.threads,
        progress: !a.no_progress,
    };
    let rep = match &a.http {
        Some(target) => {
            let log = a.log_file.clone().ok_or("--http needs --log-file")?;
            let mut mode = HttpMode::new(target, log);
            mode.marker_header = a.marker_header.clone();
            run(&mode, &files, &opts)
        }
        None => {
            let runner = in_process_runner(&crs)?;
            run(runner.as_ref(), &files, &opts)
        }
    };
    print!("{}", report::text(&rep, a.verbose));
    if let Some(p) = &a.json {
        let j = serde_json::to_string_pretty(&report::json(&rep)).map_err(|e| e.to_string())?;
        std::fs::write(p, j).map_err(|e| format!("{}: {e}", p.display()))?;
    }
    let (_, failed, _) = rep.counts();
    Ok(if failed == 0 && errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

#[cfg(feature = "engine")]
fn in_process_runner(crs: &Path) -> Result<Box<dyn StageRunner>, String> {
    let start = std::time::Instant::now();
    let engine = crs_tests::coraza_engine::CorazaEngine::load(crs)?;
    eprintln!("loaded CRS in {:.1}s", start.elapsed().as_secs_f64());
    Ok(Box::new(crs_tests::inprocess::InProcess::new(engine)))
}

#[cfg(not(feature = "engine"))]
fn in_process_runner(_crs: &Path) -> Result<Box<dyn StageRunner>, String> {
    Err("in-process mode needs the `engine` feature (cargo run -p crs-tests --features engine); use --http otherwise".into())
}
