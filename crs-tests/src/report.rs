//! Human and JSON reports of a run.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::json;

use crate::runner::{RunReport, Status};

/// Per rule file (test folder): (passed, failed, skipped).
pub fn by_group(rep: &RunReport) -> BTreeMap<String, (usize, usize, usize)> {
    let mut m: BTreeMap<String, (usize, usize, usize)> = BTreeMap::new();
    for r in &rep.results {
        let e = m.entry(r.group.clone()).or_default();
        match r.status {
            Status::Passed => e.0 += 1,
            Status::Failed => e.1 += 1,
            Status::Skipped => e.2 += 1,
        }
    }
    m
}

/// `N passed, N failed, N skipped`.
pub fn summary_line(rep: &RunReport) -> String {
    let (p, f, s) = rep.counts();
    format!("{p} passed, {f} failed, {s} skipped")
}

/// The full text report: failures (with log lines when `verbose`), the
/// per-rule-file table, then the summary line.
pub fn text(rep: &RunReport, verbose: bool) -> String {
    let mut out = String::new();
    let failures: Vec<_> = rep
        .results
        .iter()
        .filter(|r| r.status == Status::Failed)
        .collect();
    if !failures.is_empty() {
        let _ = writeln!(out, "Failures:");
    }
    for r in failures {
        let _ = writeln!(
            out,
            "- {} ({}): expected {:?}, must not see {:?}",
            r.name,
            r.desc.lines().next().unwrap_or_default(),
            r.expected_ids,
            r.unexpected_ids
        );
        for (i, s) in r.stages.iter().enumerate() {
            if s.verdict.passed && !verbose {
                continue;
            }
            let _ = writeln!(
                out,
                "    stage {i}: {} (status {}); seen ids {:?}",
                if s.verdict.passed {
                    "passed".to_string()
                } else {
                    s.verdict.reason.clone()
                },
                s.status,
                s.verdict.seen_ids
            );
            for n in &s.notes {
                let _ = writeln!(out, "      note: {n}");
            }
            if verbose {
                for l in &s.log_lines {
                    let _ = writeln!(out, "      | {}", String::from_utf8_lossy(l));
                }
            }
        }
    }
    let (missing, unwanted) = failure_causes(rep);
    for (title, list) in [
        ("expected but not logged", missing),
        ("logged but must not be", unwanted),
    ] {
        if list.is_empty() {
            continue;
        }
        let shown: Vec<String> = list
            .iter()
            .take(25)
            .map(|(id, n)| format!("{id} x{n}"))
            .collect();
        let _ = writeln!(out, "\nTop rule ids {title}: {}", shown.join(", "));
    }
    let groups = by_group(rep);
    let _ = writeln!(
        out,
        "\n{:<45} {:>6} {:>6} {:>6} {:>7}",
        "rule file", "pass", "fail", "skip", "rate"
    );
    for (g, (p, f, s)) in &groups {
        let _ = writeln!(
            out,
            "{:<45} {:>6} {:>6} {:>6} {:>6.1}%",
            g,
            p,
            f,
            s,
            rate(*p, *f)
        );
    }
    let (p, f, _) = rep.counts();
    let _ = writeln!(
        out,
        "\n{} ({:.1}% of run tests) in {:.1}s",
        summary_line(rep),
        rate(p, f),
        rep.elapsed.as_secs_f64()
    );
    out
}

/// Rule ids with how many failed tests they were counted in.
pub type IdCounts = Vec<(u64, usize)>;

/// Over failed tests: how often each rule id was expected but missing, and
/// how often each was logged although it must not be; most frequent first.
pub fn failure_causes(rep: &RunReport) -> (IdCounts, IdCounts) {
    let mut missing: BTreeMap<u64, usize> = BTreeMap::new();
    let mut unwanted: BTreeMap<u64, usize> = BTreeMap::new();
    for r in rep.results.iter().filter(|r| r.status == Status::Failed) {
        let seen: Vec<u64> = r
            .stages
            .iter()
            .flat_map(|s| s.verdict.seen_ids.iter().copied())
            .collect();
        for id in &r.expected_ids {
            if !seen.contains(id) {
                *missing.entry(*id).or_default() += 1;
            }
        }
        for id in &r.unexpected_ids {
            if seen.contains(id) {
                *unwanted.entry(*id).or_default() += 1;
            }
        }
    }
    let sorted = |m: BTreeMap<u64, usize>| {
        let mut v: IdCounts = m.into_iter().collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        v
    };
    (sorted(missing), sorted(unwanted))
}

fn rate(p: usize, f: usize) -> f64 {
    if p + f == 0 {
        100.0
    } else {
        100.0 * p as f64 / (p + f) as f64
    }
}

/// The JSON report: totals, per rule file, and every test with its stages.
pub fn json(rep: &RunReport) -> serde_json::Value {
    let (p, f, s) = rep.counts();
    let groups: serde_json::Map<String, serde_json::Value> = by_group(rep)
        .into_iter()
        .map(|(g, (p, f, s))| (g, json!({"passed": p, "failed": f, "skipped": s})))
        .collect();
    let tests: Vec<_> = rep
        .results
        .iter()
        .map(|r| {
            json!({
                "name": r.name,
                "rule_id": r.rule_id,
                "test_id": r.test_id,
                "rule_file": r.group,
                "file": r.file.display().to_string(),
                "status": match r.status {
                    Status::Passed => "passed",
                    Status::Failed => "failed",
                    Status::Skipped => "skipped",
                },
                "expected_ids": r.expected_ids,
                "unexpected_ids": r.unexpected_ids,
                "overrides": r.override_reasons,
                "stages": r.stages.iter().map(|s| json!({
                    "passed": s.verdict.passed,
                    "reason": s.verdict.reason,
                    "status": s.status,
                    "seen_ids": s.verdict.seen_ids,
                    "notes": s.notes,
                    "log_lines": s.log_lines.iter()
                        .map(|l| String::from_utf8_lossy(l).into_owned())
                        .collect::<Vec<_>>(),
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let (missing, unwanted) = failure_causes(rep);
    json!({
        "missing_ids": missing,
        "unwanted_ids": unwanted,
        "passed": p,
        "failed": f,
        "skipped": s,
        "elapsed_seconds": rep.elapsed.as_secs_f64(),
        "rule_files": groups,
        "tests": tests,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::judge::Verdict;
    use crate::runner::{StageResult, TestResult};

    fn tr(name: &str, group: &str, status: Status) -> TestResult {
        TestResult {
            name: name.into(),
            rule_id: 1,
            test_id: 1,
            group: group.into(),
            file: "f.yaml".into(),
            desc: "d".into(),
            status,
            stages: vec![StageResult {
                verdict: Verdict {
                    passed: status != Status::Failed,
                    reason: if status == Status::Failed {
                        "expected ids [1] not seen".into()
                    } else {
                        String::new()
                    },
                    seen_ids: vec![2],
                },
                log_lines: vec![b"[id \"2\"]".to_vec()],
                status: 200,
                notes: vec![],
            }],
            expected_ids: vec![1],
            unexpected_ids: vec![],
            override_reasons: vec![],
        }
    }

    #[test]
    fn text_and_json() {
        let rep = RunReport {
            results: vec![
                tr("1-1", "A", Status::Passed),
                tr("1-2", "A", Status::Failed),
                tr("1-3", "B", Status::Skipped),
            ],
            elapsed: std::time::Duration::from_secs(1),
        };
        assert_eq!(summary_line(&rep), "1 passed, 1 failed, 1 skipped");
        let t = text(&rep, true);
        assert!(t.contains("- 1-2 (d): expected [1]"), "{t}");
        assert!(t.contains("seen ids [2]"));
        assert!(t.contains("| [id \"2\"]"));
        assert!(t.contains("50.0%"));
        assert!(
            t.contains("Top rule ids expected but not logged: 1 x1"),
            "{t}"
        );
        let j = json(&rep);
        assert_eq!(j["failed"], 1);
        assert_eq!(j["rule_files"]["A"]["passed"], 1);
        assert_eq!(j["tests"][1]["stages"][0]["seen_ids"][0], 2);
    }
}
