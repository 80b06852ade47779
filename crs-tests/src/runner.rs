//! Running the loaded tests: filtering, overrides, stages in order with
//! `retry_once`, worker threads when the stage runner allows it, and a
//! progress line on stderr.

use std::io::Write as _;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use regex::Regex;

use crate::judge::{judge, Observation, Verdict};
use crate::overrides::Overrides;
use crate::schema::{Stage, TestCase, TestFile};

/// Executes one stage and reports what was observed (plus notes worth
/// showing with a failure).
pub trait StageRunner: Sync {
    /// Whether stages of different tests may run concurrently.
    fn parallel(&self) -> bool;
    /// Sends the stage's request and collects the response and log lines.
    fn run_stage(&self, test: &TestCase, stage: &Stage) -> (Observation, Vec<String>);
}

/// How to run.
#[derive(Debug, Default)]
pub struct RunOptions {
    /// Only tests whose `<rule_id>-<test_id>` matches run; others are skipped.
    pub filter: Option<Regex>,
    /// Platform overrides.
    pub overrides: Overrides,
    /// Worker threads (0: one per core).
    pub threads: usize,
    /// Print a progress line on stderr.
    pub progress: bool,
}

/// The outcome of a test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Every stage passed.
    Passed,
    /// A stage failed.
    Failed,
    /// Not run (filtered out).
    Skipped,
}

/// One stage's result.
#[derive(Debug, Clone)]
pub struct StageResult {
    /// The verdict (of the retry, when there was one).
    pub verdict: Verdict,
    /// The log lines it was judged on.
    pub log_lines: Vec<Vec<u8>>,
    /// Response status seen.
    pub status: u16,
    /// Notes from the runner (template errors, retries, ...).
    pub notes: Vec<String>,
}

/// One test's result.
#[derive(Debug, Clone)]
pub struct TestResult {
    /// `<rule_id>-<test_id>`.
    pub name: String,
    /// File's rule id.
    pub rule_id: u64,
    /// Test id.
    pub test_id: u64,
    /// Folder of the file (the rule file it tests).
    pub group: String,
    /// The test file.
    pub file: PathBuf,
    /// `desc`.
    pub desc: String,
    /// Outcome.
    pub status: Status,
    /// Every stage, in order (all run, as in go-ftw).
    pub stages: Vec<StageResult>,
    /// Expected ids over all stages (after overrides).
    pub expected_ids: Vec<u64>,
    /// Ids that must not appear, over all stages (after overrides).
    pub unexpected_ids: Vec<u64>,
    /// Reasons of the overrides that applied.
    pub override_reasons: Vec<String>,
}

/// Everything a run produced.
#[derive(Debug, Clone, Default)]
pub struct RunReport {
    /// Per-test results in file order.
    pub results: Vec<TestResult>,
    /// Wall time.
    pub elapsed: Duration,
}

impl RunReport {
    /// (passed, failed, skipped).
    pub fn counts(&self) -> (usize, usize, usize) {
        let c = |s| self.results.iter().filter(|r| r.status == s).count();
        (c(Status::Passed), c(Status::Failed), c(Status::Skipped))
    }
}

fn run_test(
    runner: &dyn StageRunner,
    file: &TestFile,
    mut test: TestCase,
    opts: &RunOptions,
) -> TestResult {
    let override_reasons = opts.overrides.apply(&mut test);
    let mut res = TestResult {
        name: test.name(),
        rule_id: test.rule_id,
        test_id: test.test_id,
        group: file.group.clone(),
        file: file.path.clone(),
        desc: test.desc.clone(),
        status: Status::Passed,
        stages: Vec::new(),
        expected_ids: test
            .stages
            .iter()
            .flat_map(|s| s.output.log.expect_ids.iter().copied())
            .collect(),
        unexpected_ids: test
            .stages
            .iter()
            .flat_map(|s| s.output.log.no_expect_ids.iter().copied())
            .collect(),
        override_reasons,
    };
    if opts.filter.as_ref().is_some_and(|f| !f.is_match(&res.name)) {
        res.status = Status::Skipped;
        return res;
    }
    for stage in &test.stages {
        let mut sr = if stage.input.follow_redirect {
            StageResult {
                verdict: Verdict {
                    passed: false,
                    reason: "follow_redirect is not supported by this runner".into(),
                    seen_ids: Vec::new(),
                },
                log_lines: Vec::new(),
                status: 0,
                notes: Vec::new(),
            }
        } else {
            run_one(runner, &test, stage)
        };
        if !sr.verdict.passed && stage.output.retry_once {
            let first = sr.verdict.reason.clone();
            sr = run_one(runner, &test, stage);
            sr.notes
                .push(format!("retried once; first attempt: {first}"));
        }
        if !sr.verdict.passed {
            res.status = Status::Failed;
        }
        res.stages.push(sr);
    }
    res
}

fn run_one(runner: &dyn StageRunner, test: &TestCase, stage: &Stage) -> StageResult {
    let (obs, notes) = runner.run_stage(test, stage);
    StageResult {
        verdict: judge(&stage.output, &obs),
        status: obs.status,
        log_lines: obs.log_lines,
        notes,
    }
}

/// Runs every test of `files`.
pub fn run(runner: &dyn StageRunner, files: &[TestFile], opts: &RunOptions) -> RunReport {
    let start = Instant::now();
    let work: Vec<(&TestFile, &TestCase)> = files
        .iter()
        .flat_map(|f| f.tests.iter().map(move |t| (f, t)))
        .collect();
    let total = work.len();
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let failed = AtomicUsize::new(0);
    let slots: Mutex<Vec<Option<TestResult>>> = Mutex::new(vec![None; total]);
    let threads = if !runner.parallel() {
        1
    } else if opts.threads == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        opts.threads
    };
    std::thread::scope(|s| {
        let worker = || loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(&(file, test)) = work.get(i) else {
                break;
            };
            let r = run_test(runner, file, test.clone(), opts);
            if r.status == Status::Failed {
                failed.fetch_add(1, Ordering::Relaxed);
            }
            if let Ok(mut v) = slots.lock() {
                v[i] = Some(r);
            }
            done.fetch_add(1, Ordering::Relaxed);
        };
        let handles: Vec<_> = (0..threads).map(|_| s.spawn(worker)).collect();
        if opts.progress {
            let mut err = std::io::stderr();
            loop {
                let d = done.load(Ordering::Relaxed);
                let _ = write!(
                    err,
                    "\r[{d}/{total}] {} failed, {:.0}s   ",
                    failed.load(Ordering::Relaxed),
                    start.elapsed().as_secs_f64()
                );
                let _ = err.flush();
                if d >= total || handles.iter().all(|h| h.is_finished()) {
                    let _ = writeln!(err);
                    break;
                }
                std::thread::sleep(Duration::from_millis(250));
            }
        }
    });
    let results = slots
        .into_inner()
        .unwrap_or_default()
        .into_iter()
        .flatten()
        .collect();
    RunReport {
        results,
        elapsed: start.elapsed(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::parse_test_file;

    /// Logs `[id "N"]` for each number in the URI path segments.
    struct Fake;
    impl StageRunner for Fake {
        fn parallel(&self) -> bool {
            true
        }
        fn run_stage(&self, _t: &TestCase, s: &Stage) -> (Observation, Vec<String>) {
            let lines = s
                .input
                .uri()
                .split('/')
                .filter(|p| !p.is_empty())
                .map(|p| format!("[id \"{p}\"]").into_bytes())
                .collect();
            (
                Observation {
                    status: 200,
                    log_lines: lines,
                    ..Observation::default()
                },
                vec![],
            )
        }
    }

    #[test]
    fn counts_filter_and_overrides() {
        let mut f = parse_test_file(
            r#"
rule_id: 7
tests:
  - test_id: 1
    stages: [{input: {uri: /7}, output: {log: {expect_ids: [7]}}}]
  - test_id: 2
    stages: [{input: {uri: /8}, output: {log: {expect_ids: [7]}}}]
  - test_id: 3
    stages:
      - {input: {uri: /7}, output: {log: {expect_ids: [7]}}}
      - {input: {uri: /7}, output: {status: 400}}
  - test_id: 4
    stages: [{input: {uri: /7}, output: {log: {no_expect_ids: [7]}}}]
"#,
            "7.yaml",
        )
        .unwrap();
        f.group = "G".into();
        let opts = RunOptions {
            overrides: Overrides::parse(
                "test_overrides: [{rule_id: 7, test_ids: [4], reason: r, output: {log: {expect_ids: [7]}}}]",
            )
            .unwrap(),
            threads: 2,
            ..RunOptions::default()
        };
        let rep = run(&Fake, std::slice::from_ref(&f), &opts);
        assert_eq!(rep.counts(), (2, 2, 0));
        let names: Vec<_> = rep.results.iter().map(|r| r.name.clone()).collect();
        assert_eq!(names, ["7-1", "7-2", "7-3", "7-4"]);
        assert_eq!(rep.results[3].override_reasons, vec!["r".to_string()]);
        assert_eq!(rep.results[2].stages.len(), 2);
        let opts = RunOptions {
            filter: Some(Regex::new("^7-[12]$").unwrap()),
            ..RunOptions::default()
        };
        let rep = run(&Fake, &[f], &opts);
        assert_eq!(rep.counts(), (1, 1, 2));
    }
}
