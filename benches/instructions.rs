//! A fixed workload for instruction counting (wall time on shared machines is
//! noisy): loads CRS at PL1, then runs the benign GET through all five phases
//! `N` times (default 1000, env `TX_COUNT`); `PL` and `REQUEST` (a file of
//! the bench requests) choose another paranoia level or request. `EXTRA`
//! holds directives loaded after CRS: `EXTRA='SecRuleRemoveById 930110'`
//! gives one rule's cost as the difference from the default workload.
//!
//! ```sh
//! cargo bench --bench instructions --no-run
//! valgrind --tool=callgrind --callgrind-out-file=/tmp/cg.out target/release/deps/instructions-*
//! TX_COUNT=0 valgrind ...   # the load alone, to subtract
//! ```
//!
//! With `KEEP=1` the transactions (after phases 1 and 2, as the agent caches them
//! between request and response) are kept alive, and the resident set size
//! after loading CRS and the growth per kept transaction are printed.

mod common;

fn main() {
    let crs = common::crs_dir();
    let n: usize = std::env::var("TX_COUNT")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    // Another paranoia level or bench request: `PL=4`, `REQUEST=04-attack-sqli.http`.
    let pl: Option<u8> = std::env::var("PL").ok().and_then(|v| v.parse().ok());
    let request = std::env::var("REQUEST").unwrap_or_else(|_| "01-benign-get.http".into());
    let waf = coraza::Waf::builder()
        .directives(coraza::RECOMMENDED_CONF)
        .directives("SecRuleEngine On")
        // Only when asked, so the default workload stays the one the
        // figures in benches/README.md were taken on.
        .directives(&match pl {
            Some(pl) => format!(
                "SecAction \"id:900000,phase:1,pass,nolog,setvar:tx.blocking_paranoia_level={pl}\""
            ),
            None => String::new(),
        })
        .file(crs.join("crs-setup.conf.example"))
        .file(crs.join("rules/*.conf"))
        // Empty unless asked: the default workload is unchanged.
        .directives(&std::env::var("EXTRA").unwrap_or_default())
        .build()
        .expect("CRS loads");
    let raw = std::fs::read(common::requests_dir().join(&request)).expect("bench request");
    let req = common::parse(&raw);
    let rss_loaded = rss_kib();
    if std::env::var_os("KEEP").is_some() {
        let kept: Vec<_> = (0..n).map(|_| common::request(&waf, &req)).collect();
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
    let blocked = (0..n).filter(|_| common::run(&waf, &req)).count();
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
