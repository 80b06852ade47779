//! Every directive of CRS (and our recommended config) parses: variable lists,
//! operators and action lists included.

mod common;

use coraza::seclang::{load_file, load_str, parse_actions, parse_operator, parse_variables};

#[test]
fn every_crs_rule_parses() {
    let crs = common::crs_dir();
    let mut files: Vec<_> = std::fs::read_dir(crs.join("rules"))
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "conf"))
        .collect();
    files.sort();
    files.push(crs.join("crs-setup.conf.example"));
    let mut directives = load_str(
        coraza::RECOMMENDED_CONF,
        "recommended",
        std::path::Path::new("."),
    )
    .unwrap();
    for f in &files {
        directives.extend(load_file(f).unwrap_or_else(|e| panic!("{e}")));
    }
    let mut rules = 0;
    for d in &directives {
        let name = d.name.to_ascii_lowercase();
        if name == "secrule" {
            rules += 1;
            parse_variables(&d.args[0]).unwrap_or_else(|e| panic!("{}: {e}", d.location));
            parse_operator(&d.args[1]).unwrap_or_else(|e| panic!("{}: {e}", d.location));
        }
        let acts = match name.as_str() {
            "secrule" => d.args.get(2),
            "secaction" => d.args.first(),
            _ => None,
        };
        if let Some(acts) = acts {
            parse_actions(acts).unwrap_or_else(|e| panic!("{}: {e}", d.location));
        }
    }
    assert!(rules > 500, "only {rules} SecRule directives found");
}
