//! A fixed workload for instruction counting (wall time on shared machines is
//! noisy): loads CRS at PL1, then runs the benign GET through all five phases
//! `N` times (default 1000, env `TX_COUNT`).
//!
//! ```sh
//! cargo bench --bench instructions --no-run
//! valgrind --tool=callgrind --callgrind-out-file=/tmp/cg.out target/release/deps/instructions-*
//! TX_COUNT=0 valgrind ...   # the load alone, to subtract
//! ```
//!
//! With `KEEP=1` the transactions (after phase 1, as the agent caches them
//! between request and response) are kept alive, and the resident set size
//! after loading CRS and the growth per kept transaction are printed.

use std::path::PathBuf;

fn main() {
    let crs = std::env::var_os("CRS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/crs"));
    let n: usize = std::env::var("TX_COUNT")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let waf = coraza::Waf::builder()
        .directives(coraza::RECOMMENDED_CONF)
        .directives("SecRuleEngine On")
        .file(crs.join("crs-setup.conf.example"))
        .file(crs.join("rules/*.conf"))
        .build()
        .expect("CRS loads");
    let raw =
        std::fs::read(crs.join("../bench/requests/01-benign-get.http")).expect("bench request");
    let text = String::from_utf8_lossy(&raw);
    let mut lines = text.lines();
    let mut rl = lines.next().unwrap_or("").splitn(3, ' ');
    let (method, uri, version) = (
        rl.next().unwrap_or(""),
        rl.next().unwrap_or(""),
        rl.next().unwrap_or(""),
    );
    let headers: Vec<(&str, &str)> = lines
        .take_while(|l| !l.is_empty())
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim(), v.trim()))
        .collect();
    let rss_loaded = rss_kib();
    if std::env::var_os("KEEP").is_some() {
        let mut kept = Vec::with_capacity(n);
        for _ in 0..n {
            let mut tx = waf.new_transaction();
            tx.process_connection("192.0.2.10", 40000, "192.0.2.1", 80);
            tx.process_uri(uri, method, version);
            for (k, v) in &headers {
                tx.add_request_header(k, v);
            }
            tx.process_request_headers();
            tx.process_request_body();
            kept.push(tx);
        }
        let rss_kept = rss_kib();
        println!(
            "RSS after loading CRS: {} KiB; {} transactions kept: +{} KiB ({} bytes each)",
            rss_loaded,
            kept.len(),
            rss_kept.saturating_sub(rss_loaded),
            rss_kept.saturating_sub(rss_loaded) * 1024 / kept.len().max(1) as u64
        );
        return;
    }
    let mut blocked = 0;
    for _ in 0..n {
        let mut tx = waf.new_transaction();
        tx.process_connection("192.0.2.10", 40000, "192.0.2.1", 80);
        tx.process_uri(uri, method, version);
        for (k, v) in &headers {
            tx.add_request_header(k, v);
        }
        tx.process_request_headers();
        tx.process_request_body();
        tx.add_response_header("Content-Type", "text/html");
        tx.process_response_headers(200, "HTTP/1.1");
        tx.write_response_body(b"<html><body>hello world</body></html>");
        tx.process_response_body();
        tx.process_logging();
        blocked += usize::from(tx.interruption().is_some());
    }
    println!("{n} transactions, {blocked} blocked");
}

/// VmRSS of this process in KiB (0 where /proc is unavailable).
fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}
