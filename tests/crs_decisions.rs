//! End to end: CRS at paranoia level 1 decides on the bench requests.

mod common;

use common::*;

fn ids(tx: &coraza::Transaction) -> Vec<u64> {
    tx.matched_rules().iter().map(|m| m.id).collect()
}

fn waf() -> coraza::Waf {
    crs_waf("SecRuleEngine On\nSecResponseBodyMimeType text/html")
}

#[test]
fn benign_requests_pass_with_zero_score() {
    let waf = waf();
    for name in [
        "01-benign-get.http",
        "02-benign-post-form.http",
        "03-benign-post-json.http",
        "06-benign-upload-64k.http",
    ] {
        let (tx, it) = run(&waf, &bench_request(name));
        assert!(
            it.is_none(),
            "{name} interrupted: {it:?}; matched {:?}",
            ids(&tx)
        );
        let score = tx
            .tx_var("blocking_inbound_anomaly_score")
            .unwrap_or_default();
        assert!(
            score == "0" || score.is_empty(),
            "{name}: score {score}, matched {:?}",
            ids(&tx)
        );
        let logged: Vec<_> = tx.error_log_lines().collect();
        assert!(logged.is_empty(), "{name} logged {logged:#?}");
    }
}

#[test]
fn sqli_is_blocked_by_949110() {
    let waf = waf();
    let (tx, it) = run(&waf, &bench_request("04-attack-sqli.http"));
    let it = it.expect("SQLi must be blocked");
    assert_eq!(
        (it.rule_id, it.status),
        (949110, 403),
        "matched {:?}",
        ids(&tx)
    );
    assert!(
        ids(&tx).iter().any(|id| (942000..943000).contains(id)),
        "matched {:?}",
        ids(&tx)
    );
}

#[test]
fn xss_is_blocked_by_949110() {
    let waf = waf();
    let (tx, it) = run(&waf, &bench_request("05-attack-xss.http"));
    let it = it.expect("XSS must be blocked");
    assert_eq!(
        (it.rule_id, it.status),
        (949110, 403),
        "matched {:?}",
        ids(&tx)
    );
    assert!(
        ids(&tx).iter().any(|id| (941000..942000).contains(id)),
        "matched {:?}",
        ids(&tx)
    );
    let line = tx
        .error_log_lines()
        .find(|l| l.contains("[id \"941100\"]") || l.contains("[id \"941110\"]"));
    assert!(
        line.is_some_and(|l| l.contains("found within ARGS")),
        "lines: {:#?}",
        tx.error_log_lines().collect::<Vec<_>>()
    );
}

#[test]
fn detection_only_logs_but_never_interrupts() {
    let waf = crs_waf("SecRuleEngine DetectionOnly");
    let (tx, it) = run(&waf, &bench_request("04-attack-sqli.http"));
    assert!(it.is_none());
    assert!(ids(&tx).contains(&949110), "matched {:?}", ids(&tx));
}

#[test]
#[ignore = "diagnostic: prints what a benign GET matches"]
fn print_benign_matches() {
    let waf = waf();
    let (tx, _) = run(&waf, &bench_request("01-benign-get.http"));
    eprintln!("{} matched: {:?}", tx.matched_rules().len(), ids(&tx));
}
