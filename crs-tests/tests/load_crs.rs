//! Checks over the real CRS test corpus that need no engine: every file
//! loads with the counts HARNESS.md gives, every stage builds into bytes the
//! parser accepts, and every Go regexp compiles.

use crs_tests::http_request::parse_request;
use crs_tests::request::build_request;
use crs_tests::{crs_dir, schema, tests_dir};

#[test]
fn corpus_loads_builds_and_parses() {
    let dir = tests_dir(&crs_dir(None));
    let (files, errors) = schema::load_dir(&dir);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(files.len(), 323);
    let tests: usize = files.iter().map(|f| f.tests.len()).sum();
    let stages: usize = files
        .iter()
        .flat_map(|f| &f.tests)
        .map(|t| t.stages.len())
        .sum();
    assert_eq!((tests, stages), (5003, 5009));
    // The oddities.
    let f = files
        .iter()
        .find(|f| f.path.ends_with("933200.yaml"))
        .unwrap();
    assert_eq!(f.tests[0].name(), "9331200-1");
    assert!(files.iter().any(|f| f.path.ends_with("999999.yml")));
    let empty = files
        .iter()
        .find(|f| f.path.ends_with("920539.yaml"))
        .unwrap();
    assert!(empty.tests.is_empty());

    let mut http09 = 0;
    let mut int_cl = 0;
    for f in &files {
        for t in &f.tests {
            for s in &t.stages {
                let b = build_request(&s.input).unwrap_or_else(|e| panic!("{}: {e}", t.name()));
                assert!(b.template_error.is_none(), "{}", t.name());
                let r = parse_request(&b.bytes).unwrap_or_else(|e| panic!("{}: {e}", t.name()));
                if r.is_http09() {
                    http09 += 1;
                }
                if s.input.headers.iter().any(|(n, v)| {
                    n == "Content-Length" && !v.is_empty() && v.bytes().all(|c| c.is_ascii_digit())
                }) {
                    int_cl += 1;
                }
                for p in [&s.output.log.match_regex, &s.output.log.no_match_regex]
                    .into_iter()
                    .flatten()
                {
                    regex::Regex::new(p).unwrap_or_else(|e| panic!("{}: {e}", t.name()));
                }
            }
        }
    }
    // Only 920430-5 sends a request line without a version.
    assert_eq!(http09, 1);
    assert!(int_cl >= 23);
    // The 64 KB template body of 920400-1 expands.
    let t = files
        .iter()
        .flat_map(|f| &f.tests)
        .find(|t| t.name() == "920400-1")
        .unwrap();
    let b = build_request(&t.stages[0].input).unwrap();
    assert!(b.bytes.len() > 64200);
}
