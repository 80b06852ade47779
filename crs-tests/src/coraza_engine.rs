//! [`Engine`] over the `coraza` crate, loaded with the CRS CI configuration.

use std::path::Path;

use crate::albedo::BackendResponse;
use crate::engine::{
    Engine, EngineInterruption, EngineOutcome, CI_ENGINE_OVERRIDES, CRS_TEST_CONFIG,
};
use crate::http_request::ParsedRequest;

/// The engine with CRS loaded; share one between worker threads.
#[derive(Clone)]
pub struct CorazaEngine {
    waf: coraza::Waf,
}

impl CorazaEngine {
    /// Loads, in order: the recommended base configuration, the CI engine
    /// overrides, `crs-setup.conf.example`, the test `SecAction`, and
    /// `rules/*.conf` from `crs_dir`.
    pub fn load(crs_dir: &Path) -> Result<CorazaEngine, String> {
        let setup_path = crs_dir.join("crs-setup.conf.example");
        let setup = std::fs::read_to_string(&setup_path)
            .map_err(|e| format!("{}: {e}", setup_path.display()))?;
        let rules_dir = crs_dir.join("rules");
        if !rules_dir.is_dir() {
            return Err(format!("{}: not a directory", rules_dir.display()));
        }
        let waf = coraza::Waf::builder()
            .directives_from(coraza::RECOMMENDED_CONF, "coraza.conf-recommended", crs_dir)
            .directives_from(CI_ENGINE_OVERRIDES, "<ci-engine-overrides>", crs_dir)
            .directives_from(&setup, &setup_path.display().to_string(), crs_dir)
            .directives_from(CRS_TEST_CONFIG, "<crs-test-config>", crs_dir)
            .file(rules_dir.join("*.conf"))
            .build()
            .map_err(|e| format!("loading CRS: {e}"))?;
        Ok(CorazaEngine { waf })
    }

    /// Wraps an already built WAF.
    pub fn from_waf(waf: coraza::Waf) -> CorazaEngine {
        CorazaEngine { waf }
    }
}

fn to_interruption(i: &coraza::Interruption) -> EngineInterruption {
    EngineInterruption {
        status: i.status,
        drop: i.action == coraza::InterruptionAction::Drop,
    }
}

impl Engine for CorazaEngine {
    fn run(&self, req: &ParsedRequest, resp: &BackendResponse) -> EngineOutcome {
        let mut tx = self.waf.new_transaction();
        tx.process_connection("127.0.0.1", 41000, "127.0.0.1", 80);
        tx.process_uri(&req.uri, &req.method, &req.version);
        for (n, v) in &req.headers {
            tx.add_request_header(n, v);
        }
        let mut it = tx.process_request_headers();
        if it.is_none() && !req.body.is_empty() {
            it = tx.write_request_body(&req.body);
        }
        if it.is_none() {
            it = tx.process_request_body();
        }
        if it.is_none() {
            for (n, v) in &resp.headers {
                tx.add_response_header(n, v);
            }
            tx.add_response_header("Content-Length", resp.body.len().to_string());
            it = tx.process_response_headers(resp.status, "HTTP/1.1");
            if it.is_none() && tx.is_response_body_accessible() && !resp.body.is_empty() {
                it = tx.write_response_body(&resp.body);
            }
            if it.is_none() {
                it = tx.process_response_body();
            }
        }
        tx.process_logging();
        EngineOutcome {
            log_lines: tx
                .matched_rules()
                .iter()
                .filter(|r| r.log)
                .map(|r| r.error_log.clone().into_bytes())
                .collect(),
            interruption: it.as_ref().map(to_interruption),
        }
    }
}
