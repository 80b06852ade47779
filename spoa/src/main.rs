//! `coraza-spoa`: the HAProxy SPOE agent running the coraza engine.
//!
//! * `coraza-spoa [--config FILE] [--crs-dir DIR]` serves SPOP.
//! * `coraza-spoa check --config FILE` loads everything and exits (non-zero
//!   with the error on failure).
//!
//! Signals: SIGHUP reloads the configuration (the new rules replace the old
//! ones atomically; a failed reload keeps the old ones), SIGTERM/SIGINT stop
//! accepting, let in-flight work finish, and exit.
#![forbid(unsafe_code)]

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{Parser, Subcommand};
use coraza_spoa::config::Config;
use coraza_spoa::messages::{Agent, Apps};
use coraza_spoa::server::{serve, ServerOptions};
use tokio::net::TcpListener;
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::watch;

#[derive(Parser)]
#[command(
    name = "coraza-spoa",
    version,
    about = "HAProxy SPOE agent running the coraza WAF engine"
)]
struct Cli {
    /// Configuration file (YAML; coraza-spoa's current or seed layout).
    /// Without it, the embedded default runs the recommended configuration
    /// and the OWASP CRS with the engine On, listening on 127.0.0.1:9000.
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    /// OWASP CRS directory for `@crs-setup.conf.example` and `@owasp_crs/`
    /// (default: $CRS_DIR, else ../shared/crs).
    #[arg(long, global = true, value_name = "DIR")]
    crs_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Load the configuration and every rule, report the first error, exit.
    Check,
}

fn load(config: Option<&Path>) -> Result<Config, String> {
    match config {
        Some(p) => Config::load(p).map_err(|e| e.to_string()),
        None => Ok(Config::default_config()),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let crs = coraza_spoa::rules::crs_dir(cli.crs_dir.as_deref());
    let cfg = match load(cli.config.as_deref()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("coraza-spoa: {e}");
            return ExitCode::FAILURE;
        }
    };
    if let Some(Command::Check) = cli.command {
        return match Apps::build(&cfg, &crs) {
            Ok(_) => {
                println!(
                    "{}: configuration OK ({} application(s))",
                    cfg.origin,
                    cfg.applications.len()
                );
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("coraza-spoa: {e}");
                ExitCode::FAILURE
            }
        };
    }
    if let Err(e) = coraza_spoa::logging::init_process_log(&cfg.log) {
        eprintln!("coraza-spoa: {e}");
        return ExitCode::FAILURE;
    }
    let apps = match Apps::build(&cfg, &crs) {
        Ok(a) => a,
        Err(e) => {
            tracing::error!("{e}");
            eprintln!("coraza-spoa: {e}");
            return ExitCode::FAILURE;
        }
    };
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("coraza-spoa: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let agent = Arc::new(Agent::new(apps));
    let code = rt.block_on(run(cfg, cli.config, crs, agent.clone()));
    agent.drain_background(Duration::from_secs(10));
    rt.shutdown_timeout(Duration::from_secs(5));
    code
}

async fn run(
    cfg: Config,
    config_path: Option<PathBuf>,
    crs: PathBuf,
    agent: Arc<Agent>,
) -> ExitCode {
    let listener = match TcpListener::bind(cfg.bind_addr()).await {
        Ok(l) => l,
        Err(e) => {
            tracing::error!(bind = %cfg.bind, "cannot listen: {e}");
            eprintln!("coraza-spoa: cannot listen on {}: {e}", cfg.bind);
            return ExitCode::FAILURE;
        }
    };
    if let Some(m) = &cfg.metrics_bind {
        match TcpListener::bind(m.strip_prefix("tcp://").unwrap_or(m)).await {
            Ok(l) => {
                tracing::info!(bind = %m, "metrics on /metrics");
                tokio::spawn(coraza_spoa::metrics::serve(l));
            }
            Err(e) => {
                eprintln!("coraza-spoa: cannot listen on {m} (metrics_bind): {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    let (stop_tx, stop_rx) = watch::channel(false);
    let (Ok(mut hup), Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::hangup()),
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        eprintln!("coraza-spoa: cannot install signal handlers");
        return ExitCode::FAILURE;
    };
    let mut opts = ServerOptions::default();
    if let Some(w) = cfg.workers {
        opts.workers = w;
    }
    tracing::info!(
        bind = %cfg.bind,
        config = %cfg.origin,
        crs = %crs.display(),
        workers = opts.workers,
        "coraza-spoa listening"
    );
    let server = tokio::spawn(serve(listener, agent.clone(), opts, stop_rx));
    loop {
        tokio::select! {
            _ = hup.recv() => reload(&cfg, config_path.as_deref(), &crs, &agent).await,
            _ = term.recv() => break,
            _ = int.recv() => break,
        }
    }
    tracing::info!("stopping: finishing in-flight work");
    let _ = stop_tx.send(true);
    match server.await {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(e)) => {
            tracing::error!("server error: {e}");
            ExitCode::FAILURE
        }
        Err(e) => {
            tracing::error!("server task failed: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn reload(old: &Config, path: Option<&Path>, crs: &Path, agent: &Arc<Agent>) {
    tracing::info!("SIGHUP: reloading the configuration");
    let path = path.map(Path::to_path_buf);
    let crs = crs.to_path_buf();
    let built = tokio::task::spawn_blocking(move || {
        let cfg = load(path.as_deref())?;
        let apps = Apps::build(&cfg, &crs)?;
        Ok::<_, String>((cfg, apps))
    })
    .await;
    match built {
        Ok(Ok((cfg, apps))) => {
            if cfg.bind != old.bind || cfg.metrics_bind != old.metrics_bind {
                tracing::warn!(
                    "bind/metrics_bind changes need a restart; keeping the current sockets"
                );
            }
            if cfg.log != old.log {
                tracing::warn!("process log settings changes need a restart");
            }
            agent.replace(apps);
            tracing::info!(
                applications = cfg.applications.len(),
                "configuration reloaded"
            );
        }
        Ok(Err(e)) => tracing::error!("reload failed, keeping the previous rules: {e}"),
        Err(e) => tracing::error!("reload failed, keeping the previous rules: {e}"),
    }
}
