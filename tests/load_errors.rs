//! Malformed rule files stop loading with file, line and a clear message.

use coraza::Waf;

/// (snippet, line of the error, text the message must contain)
const CASES: &[(&str, usize, &str)] = &[
    ("SecRule ARGS \"@rx a\" \"phase:1,pass\"", 1, "no id"),
    (
        "SecAction \"id:1,pass\"\nSecAction \"id:1,pass\"",
        2,
        "duplicate rule id 1",
    ),
    ("SecRule ARGS \"@nosuchop a\" \"id:1\"", 1, "nosuchop"),
    (
        "\n\nSecRule NOSUCHVAR \"@rx a\" \"id:1\"",
        3,
        "unknown variable",
    ),
    (
        "SecRule ARGS \"@rx a\" \"id:1,nosuchaction\"",
        1,
        "nosuchaction",
    ),
    ("SecRule ARGS \"@rx (unclosed\" \"id:1\"", 1, "(unclosed"),
    (
        "SecRule ARGS \"@pmFromFile /no/such/file.data\" \"id:1\"",
        1,
        "file.data",
    ),
    ("SecRule ARGS \"@rx a\" \"id:1,phase:9\"", 1, "phase"),
    (
        "SecRule ARGS \"@rx a\" \"id:1,t:nosuchtransform\"",
        1,
        "nosuchtransform",
    ),
    ("SecRule ARGS \"@rx a\" \"id:abc\"", 1, "id"),
    ("SecRule ARGS \"@rx a\" \"id:1,status:abc\"", 1, "status"),
    (
        "SecRule ARGS \"@rx a\" \"id:1,severity:loud\"",
        1,
        "severity",
    ),
    ("SecRule ARGS \"@rx a\" \"id:1,skip:x\"", 1, "skip"),
    ("\nSecAction \"id:1,skipAfter:NOWHERE\"", 2, "NOWHERE"),
    ("SecRule ARGS \"@rx a\" \"id:1,chain\"", 1, "chain"),
    (
        "SecRule ARGS \"@rx a\" \"id:1,chain\"\nSecAction \"id:2\"",
        2,
        "chain",
    ),
    (
        "SecRule ARGS \"@rx a\" \"id:1,chain\"\nSecRule ARGS \"@rx b\" \"id:2\"",
        2,
        "chained rule may not have an id",
    ),
    (
        "SecRule ARGS \"@rx a\" \"id:1,chain\"\nSecRule ARGS \"@rx b\" \"deny\"",
        2,
        "disruptive",
    ),
    ("SecNoSuchDirective On", 1, "unknown directive"),
    ("SecRuleEngine Maybe", 1, "SecRuleEngine"),
    ("SecRequestBodyAccess Yes", 1, "On or Off"),
    ("SecRequestBodyLimit lots", 1, "number"),
    (
        "SecRequestBodyLimitAction Explode",
        1,
        "Reject or ProcessPartial",
    ),
    ("SecArgumentSeparator &&", 1, "one character"),
    ("SecDefaultAction \"phase:2,log\"", 1, "disruptive"),
    (
        "SecDefaultAction \"phase:2,pass,id:3\"",
        1,
        "SecDefaultAction",
    ),
    (
        "SecRule ARGS \"@rx a\" \"id:1,setvar:nocollection\"",
        1,
        "setvar",
    ),
    ("SecRule ARGS \"@rx a\" \"id:1,ctl:bogus=1\"", 1, "bogus"),
    (
        "SecRule ARGS \"@rx a\" \"id:1,ctl:ruleEngine=Sometimes\"",
        1,
        "ruleEngine",
    ),
    (
        "SecRule ARGS \"@rx a\" \"id:1,ctl:requestBodyProcessor=YAML\"",
        1,
        "YAML",
    ),
    ("SecRule ARGS \"@rx a\" \"id:1,allow:forever\"", 1, "allow"),
    ("SecRule XML:/foo/bar \"@rx a\" \"id:1\"", 1, "XPath"),
    (
        "SecRule REQUEST_METHOD:x \"@rx a\" \"id:1\"",
        1,
        "takes no key",
    ),
    ("SecRuleUpdateActionById 77 \"msg:'x'\"", 1, "77"),
    (
        "SecRule ARGS \"@rbl example.com\" \"id:1\"",
        1,
        "not supported",
    ),
    ("Include /no/such/dir/file.conf", 1, "file.conf"),
    (
        "SecRule ARGS \"@rx a\" \"id:1,initcol:nosuch=1\"",
        1,
        "initcol",
    ),
    (
        "SecRemoteRules key https://example.com/rules.conf",
        1,
        "not supported",
    ),
];

#[test]
fn every_malformed_snippet_fails_with_its_line() {
    let mut failures = Vec::new();
    for (snippet, line, needle) in CASES {
        match Waf::builder()
            .directives_from(snippet, "bad.conf", std::path::Path::new("."))
            .build()
        {
            Ok(_) => failures.push(format!("{snippet:?}: loaded without error")),
            Err(e) => {
                let text = e.to_string();
                let want_loc = format!("bad.conf:{line}:");
                if !text.contains(&want_loc) {
                    failures.push(format!("{snippet:?}: {text:?} lacks {want_loc}"));
                }
                if !text.contains(needle) {
                    failures.push(format!("{snippet:?}: {text:?} lacks {needle:?}"));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases wrong:\n{}",
        failures.len(),
        CASES.len(),
        failures.join("\n")
    );
}
