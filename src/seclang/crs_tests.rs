//! The whole OWASP CRS through the front end: every file loads, and every
//! rule's variables, operator and actions parse.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

use super::ast::{Directive, Selector};
use super::{load_file, parse_actions, parse_operator, parse_variables};

fn crs_dir() -> PathBuf {
    match std::env::var_os("CRS_DIR") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/crs"),
    }
}

fn crs_files() -> Vec<PathBuf> {
    let dir = crs_dir();
    let pattern = format!(
        "{}/rules/*.conf",
        glob::Pattern::escape(&dir.display().to_string())
    );
    let mut files: Vec<PathBuf> = glob::glob(&pattern)
        .expect("glob")
        .filter_map(Result::ok)
        .collect();
    files.sort();
    assert!(
        !files.is_empty(),
        "no CRS rules under {} (set CRS_DIR to the CRS checkout)",
        dir.display()
    );
    files.push(dir.join("crs-setup.conf.example"));
    files
}

fn check_rule_parts(d: &Directive) {
    let ctx = |e: String| format!("{}: {}: {e}", d.location, d.name);
    match d.name.as_str() {
        "SecRule" => {
            assert!(
                d.args.len() == 3 || d.args.len() == 2,
                "{}: {} args",
                d.location,
                d.args.len()
            );
            let vars = parse_variables(&d.args[0]).map_err(ctx).unwrap();
            assert!(!vars.is_empty());
            let op = parse_operator(&d.args[1]).map_err(ctx).unwrap();
            assert!(!op.name.is_empty());
            if let Some(a) = d.args.get(2) {
                let acts = parse_actions(a).map_err(ctx).unwrap();
                assert!(!acts.is_empty(), "{}", d.location);
            }
        }
        "SecAction" | "SecDefaultAction" => {
            assert_eq!(d.args.len(), 1, "{}", d.location);
            parse_actions(&d.args[0]).map_err(ctx).unwrap();
        }
        "SecRuleUpdateTargetById" => {
            assert_eq!(d.args.len(), 2, "{}", d.location);
            parse_variables(&d.args[1]).map_err(ctx).unwrap();
        }
        _ => {}
    }
}

#[test]
fn every_crs_file_loads_and_every_rule_parses() {
    let started = Instant::now();
    let mut all = Vec::new();
    for f in crs_files() {
        let ds = load_file(&f).unwrap_or_else(|e| panic!("{e}"));
        all.extend(ds);
    }
    let load_time = started.elapsed();
    for d in &all {
        check_rule_parts(d);
    }
    eprintln!(
        "CRS: {} directives loaded in {load_time:?}, all parts parsed in {:?}",
        all.len(),
        started.elapsed()
    );

    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for d in &all {
        *counts.entry(d.name.as_str()).or_default() += 1;
    }
    let want: BTreeMap<&str, usize> = [
        ("SecAction", 8),
        ("SecComponentSignature", 1),
        ("SecDefaultAction", 5),
        ("SecMarker", 30),
        ("SecRule", 695),
        ("SecRuleUpdateTargetById", 55),
    ]
    .into_iter()
    .collect();
    assert_eq!(counts, want);

    // Rules chained to a previous one: 73 `chain` actions in CRS.
    let chains = all
        .iter()
        .filter(|d| d.name == "SecRule")
        .filter_map(|d| d.args.get(2))
        .filter(|a| {
            parse_actions(a)
                .unwrap_or_default()
                .iter()
                .any(|x| x.name == "chain")
        })
        .count();
    assert_eq!(chains, 73);
}

#[test]
fn crs_spot_checks() {
    let dir = crs_dir();
    let ds = load_file(&dir.join("rules/RESPONSE-980-CORRELATION.conf")).unwrap();
    // A message continued over several lines inside its quotes.
    let d = ds
        .iter()
        .find(|d| d.args.first().is_some_and(|a| a.starts_with("id:980170,")))
        .expect("rule 980170");
    assert_eq!(d.name, "SecAction");
    let acts = parse_actions(&d.args[0]).unwrap();
    let msg = acts.iter().find(|a| a.name == "msg").unwrap();
    let msg = msg.value.as_deref().unwrap();
    assert!(
        msg.starts_with("Anomaly Scores: (Inbound Scores: blocking="),
        "{msg}"
    );
    assert!(msg.contains(") - (Outbound Scores:"), "{msg}");

    let ds = load_file(&dir.join("rules/REQUEST-920-PROTOCOL-ENFORCEMENT.conf")).unwrap();
    let rule = |id: &str| {
        ds.iter()
            .find(|d| {
                d.args
                    .get(2)
                    .is_some_and(|a| a.starts_with(&format!("id:{id},")))
            })
            .unwrap_or_else(|| panic!("rule {id}"))
    };
    // `\'` inside a quoted action value.
    let acts = parse_actions(&rule("920490").args[2]).unwrap();
    let msg = acts.iter().find(|a| a.name == "msg").unwrap();
    assert!(msg
        .value
        .as_deref()
        .unwrap()
        .contains("with prefix 'UP' to User-Agent"));
    // Regex selectors on TX.
    let vars = parse_variables(&rule("920450").args[0]);
    assert!(vars.is_ok(), "{vars:?}");

    let ds = load_file(&dir.join("rules/REQUEST-942-APPLICATION-ATTACK-SQLI.conf")).unwrap();
    let d = ds
        .iter()
        .find(|d| d.args.get(2).is_some_and(|a| a.starts_with("id:942220,")))
        .unwrap();
    // `\"` in a double-quoted argument becomes a bare quote.
    assert!(d.args[2].contains(r#"the "magic number" crash"#));
    let vars = parse_variables(&d.args[0]).unwrap();
    assert!(vars
        .iter()
        .any(|v| v.name == "XML" && v.selector == Some(Selector::Key("/*".into()))));
}
