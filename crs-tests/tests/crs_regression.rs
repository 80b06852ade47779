//! The whole CRS regression suite in-process, as CI runs it. The number of
//! passing tests may only go up: it must reach the count checked in at
//! `crs-tests/baseline.txt` (raise that number when this test reports more).

use std::path::Path;

use crs_tests::coraza_engine::CorazaEngine;
use crs_tests::inprocess::InProcess;
use crs_tests::overrides::Overrides;
use crs_tests::runner::{run, RunOptions};
use crs_tests::{crs_dir, report, schema, tests_dir};

fn baseline() -> usize {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("baseline.txt");
    let text = std::fs::read_to_string(&p).expect("crs-tests/baseline.txt is readable");
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
        .and_then(|l| l.parse().ok())
        .expect("baseline.txt holds a number")
}

#[test]
fn crs_regression_suite_does_not_regress() {
    let crs = crs_dir(None);
    let (files, errors) = schema::load_dir(&tests_dir(&crs));
    assert!(errors.is_empty(), "test files failed to load: {errors:?}");
    let overrides_text = std::fs::read_to_string(crs_tests::default_overrides_path())
        .expect("overrides.yaml is readable");
    let overrides = Overrides::parse(&overrides_text).expect("overrides.yaml parses");
    // One engine for all worker threads.
    let engine = CorazaEngine::load(&crs).unwrap_or_else(|e| panic!("CRS does not load: {e}"));
    let runner = InProcess::new(engine);
    let rep = run(
        &runner,
        &files,
        &RunOptions {
            overrides,
            ..RunOptions::default()
        },
    );
    print!("{}", report::text(&rep, false));
    let (passed, _, _) = rep.counts();
    let base = baseline();
    println!("baseline {base}, now {passed} passing");
    if passed > base {
        println!("raise crs-tests/baseline.txt to {passed}");
    }
    assert!(
        passed >= base,
        "CRS regression: {passed} tests pass, fewer than the baseline {base}"
    );
}
