//! The recommended config, crs-setup.conf.example and every CRS rule file
//! load with zero errors, into a known number of rules per phase.

mod common;

#[test]
fn crs_loads_with_known_rule_counts() {
    let waf = common::crs_waf("");
    let per_phase = waf.rules_per_phase();
    let total: usize = per_phase.iter().sum();
    // Counted chain starters and SecActions of CRS v4.28.0 + RECOMMENDED_CONF
    // (7 rules) + crs-setup.conf.example (1 rule).
    assert_eq!(per_phase, EXPECTED_PER_PHASE, "rules per phase 1-5");
    assert_eq!(total, EXPECTED_PER_PHASE.iter().sum::<usize>());
}

const EXPECTED_PER_PHASE: [usize; 5] = [176, 296, 43, 109, 13];
