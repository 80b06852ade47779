//! Rule-engine semantics on small rule sets: chains, flow, setvar, ctl,
//! capture, multiMatch, allow, block and SecDefaultAction.

use coraza::{InterruptionAction, Transaction, Waf};

fn waf(rules: &str) -> Waf {
    Waf::from_directives(rules).unwrap_or_else(|e| panic!("load failed: {e}"))
}

fn get(waf: &Waf, uri: &str, headers: &[(&str, &str)]) -> Transaction {
    let mut tx = waf.new_transaction();
    tx.process_connection("10.0.0.1", 1234, "10.0.0.2", 80);
    tx.process_uri(uri, "GET", "HTTP/1.1");
    for (k, v) in headers {
        tx.add_request_header(k, v);
    }
    tx.process_request_headers();
    tx.process_request_body();
    tx.process_logging();
    tx
}

fn ids(tx: &Transaction) -> Vec<u64> {
    tx.matched_rules().iter().map(|m| m.id).collect()
}

/// The values the `i`th matched rule reports, in order.
fn values(tx: &Transaction, i: usize) -> Vec<String> {
    tx.matched_rules()[i]
        .matched
        .iter()
        .map(|m| String::from_utf8_lossy(&m.value).into_owned())
        .collect()
}

#[test]
fn chain_matches_only_when_every_link_matches() {
    let w = waf(r#"
        SecRule ARGS:a "@streq 1" "id:1,phase:1,deny,chain"
            SecRule ARGS:b "@streq 2" "t:none"
    "#);
    assert_eq!(
        get(&w, "/?a=1&b=2", &[]).interruption().map(|i| i.rule_id),
        Some(1)
    );
    assert!(get(&w, "/?a=1&b=3", &[]).interruption().is_none());
    assert!(get(&w, "/?a=0&b=2", &[]).interruption().is_none());
}

#[test]
fn setvar_arithmetic_and_macros() {
    let w = waf(r#"
        SecAction "id:1,phase:1,pass,nolog,setvar:tx.score=5,setvar:tx.crit=3"
        SecRule ARGS "@rx attack" "id:2,phase:1,pass,setvar:'tx.score=+%{tx.crit}',setvar:tx.hits=+1"
        SecAction "id:3,phase:1,pass,nolog,setvar:tx.score=-1,setvar:!tx.crit,setvar:'tx.copy=%{tx.score}x'"
    "#);
    let tx = get(&w, "/?p=attack&q=attack", &[]);
    // Non-disruptive actions run once per matched value, as in ModSecurity/Coraza.
    assert_eq!(tx.tx_var("score").as_deref(), Some("10"));
    assert_eq!(tx.tx_var("hits").as_deref(), Some("2"));
    assert_eq!(tx.tx_var("crit"), None);
    assert_eq!(tx.tx_var("copy").as_deref(), Some("10x"));
}

#[test]
fn skip_and_skip_after() {
    let w = waf(r#"
        SecAction "id:1,phase:1,pass,nolog,skip:1"
        SecAction "id:2,phase:1,pass,nolog,setvar:tx.a=1"
        SecAction "id:3,phase:1,pass,nolog,skipAfter:END"
        SecAction "id:4,phase:1,pass,nolog,setvar:tx.b=1"
        SecMarker END
        SecAction "id:5,phase:1,pass,nolog,setvar:tx.c=1"
    "#);
    let tx = get(&w, "/", &[]);
    assert_eq!(ids(&tx), vec![1, 3, 5]);
}

#[test]
fn equal_tx_questions_see_every_write_between_them() {
    // Rules 1, 3, 5, 7 and 9 ask TX the same question; the engine may keep
    // the answer only while TX is unchanged. Writes of every kind come
    // between: setvar, capture, deletion, and a write from the request.
    let w = waf(r#"
        SecAction "id:100,phase:1,pass,nolog,setvar:tx.level=1"
        SecRule TX:LEVEL "@lt 2" "id:1,phase:1,pass,nolog"
        SecAction "id:2,phase:1,pass,nolog,setvar:tx.level=+4"
        SecRule TX:LEVEL "@lt 2" "id:3,phase:1,pass,nolog"
        SecRule TX:LEVEL "@lt 2" "id:4,phase:1,pass,nolog"
        SecRule ARGS:v "@rx ^(\d)$" "id:5,phase:1,pass,nolog,capture,setvar:'tx.level=%{tx.1}'"
        SecRule TX:LEVEL "@lt 2" "id:6,phase:1,pass,nolog"
        SecAction "id:7,phase:1,pass,nolog,setvar:!tx.level"
        SecRule TX:LEVEL "!@lt 2" "id:8,phase:1,pass,nolog"
        SecRule TX:LEVEL "@lt 2" "id:9,phase:1,pass,nolog"
        SecAction "id:10,phase:2,pass,nolog,setvar:tx.level=0"
        SecRule TX:LEVEL "@lt 2" "id:11,phase:2,pass,nolog"
        SecRule TX:LEVEL "!@lt 2" "id:12,phase:2,pass,nolog"
    "#);
    // level 1: 1 matches; 5: 3 and 4 do not; the request's 0: 6 matches;
    // deleted: neither 8 nor 9 (a missing key matches nothing); 0 again: 11.
    assert_eq!(
        ids(&get(&w, "/?v=0", &[])),
        vec![100, 1, 2, 5, 6, 7, 10, 11]
    );
    // The request's 7 keeps the level at 2 or more: 6 does not match.
    assert_eq!(ids(&get(&w, "/?v=7", &[])), vec![100, 1, 2, 5, 7, 10, 11]);
}

#[test]
fn skip_after_unknown_marker_is_a_load_error() {
    let e = Waf::from_directives(r#"SecAction "id:1,phase:1,pass,skipAfter:NOPE""#)
        .err()
        .expect("must fail");
    assert!(e.to_string().contains("NOPE"), "{e}");
}

#[test]
fn ctl_rule_remove_by_id_and_target() {
    let w = waf(r#"
        SecRule REQUEST_HEADERS:X-Off "@streq 1" "id:1,phase:1,pass,nolog,ctl:ruleRemoveById=10-19"
        SecRule REQUEST_HEADERS:X-T "@streq 1" "id:2,phase:1,pass,nolog,ctl:ruleRemoveTargetById=20;ARGS:safe"
        SecRule ARGS "@rx evil" "id:10,phase:1,pass"
        SecRule ARGS "@rx evil" "id:20,phase:1,pass"
    "#);
    assert_eq!(ids(&get(&w, "/?x=evil", &[])), vec![10, 20]);
    assert_eq!(ids(&get(&w, "/?x=evil", &[("X-Off", "1")])), vec![1, 20]);
    assert_eq!(ids(&get(&w, "/?safe=evil", &[("X-T", "1")])), vec![2, 10]);
    assert_eq!(
        ids(&get(&w, "/?safe=evil&y=evil", &[("X-T", "1")])),
        vec![2, 10, 20]
    );
}

#[test]
fn exclusions_counts_and_regex_selectors() {
    let w = waf(r#"
        SecRule ARGS|!ARGS:ok "@rx bad" "id:1,phase:1,pass"
        SecRule &ARGS "@eq 3" "id:2,phase:1,pass"
        SecRule ARGS:/^id_/ "@rx ^\d+$" "id:3,phase:1,pass"
        SecRule REQUEST_HEADERS:user-agent "@contains curl" "id:4,phase:1,pass"
    "#);
    assert_eq!(
        ids(&get(&w, "/?ok=bad&id_1=5&z=1", &[("User-Agent", "curl/8")])),
        vec![2, 3, 4]
    );
    let tx = get(&w, "/?nope=bad", &[]);
    assert_eq!(ids(&tx), vec![1]);
    assert_eq!(tx.matched_rules()[0].matched[0].name.as_ref(), "ARGS:nope");
}

#[test]
fn capture_fills_tx_numbers() {
    let w = waf(r#"
        SecRule ARGS:v "@rx ^(\w+)-(\d+)$" "id:1,phase:1,pass,capture,setvar:'tx.name=%{tx.1}',setvar:'tx.num=%{TX.2}'"
    "#);
    let tx = get(&w, "/?v=abc-42", &[]);
    assert_eq!(tx.tx_var("name").as_deref(), Some("abc"));
    assert_eq!(tx.tx_var("num").as_deref(), Some("42"));
    assert_eq!(tx.tx_var("0").as_deref(), Some("abc-42"));
}

#[test]
fn matched_var_outlives_its_rule_and_matched_vars_do_not() {
    let w = waf(r#"
        SecRule ARGS "@rx ^x" "id:1,phase:1,pass,nolog,setvar:'tx.during=%{MATCHED_VAR_NAME}=%{MATCHED_VAR}'"
        SecRule MATCHED_VAR "@streq xb" "id:2,phase:1,pass,nolog,setvar:'tx.after=%{matched_var_name}'"
        SecRule &MATCHED_VARS "@eq 0" "id:3,phase:1,pass,nolog,setvar:tx.fresh=1"
        SecRule ARGS:a "@streq xa" "id:4,phase:1,pass,nolog,chain"
            SecRule MATCHED_VARS_NAMES "@streq ARGS:a" "setvar:'tx.chain=%{MATCHED_VAR}'"
        SecRule ARGS:nope "@streq 1" "id:5,phase:1,pass,nolog"
        SecAction "id:6,phase:1,pass,nolog,setvar:'tx.last=%{MATCHED_VAR_NAME}'"
    "#);
    let tx = get(&w, "/?a=xa&b=xb", &[]);
    // Actions run per match, each seeing its own match.
    assert_eq!(tx.tx_var("during").as_deref(), Some("ARGS:b=xb"));
    // Rule 2's own match is now the last one.
    assert_eq!(tx.tx_var("after").as_deref(), Some("MATCHED_VAR"));
    assert_eq!(tx.tx_var("fresh").as_deref(), Some("1"));
    // The chained link matched MATCHED_VARS_NAMES; its value is the name.
    assert_eq!(tx.tx_var("chain").as_deref(), Some("ARGS:a"));
    // A rule that does not match leaves MATCHED_VAR alone.
    assert_eq!(
        tx.tx_var("last").as_deref(),
        Some("MATCHED_VARS_NAMES:ARGS:a")
    );
    assert_eq!(ids(&tx), vec![1, 2, 3, 4, 6]);
}

#[test]
fn transformations_and_multi_match() {
    let w = waf(r#"
        SecRule ARGS:a "@streq <script>" "id:1,phase:1,pass,t:none,t:urlDecode,t:lowercase"
        SecRule ARGS:b "@streq AB" "id:2,phase:1,pass,t:lowercase"
        SecRule ARGS:b "@streq AB" "id:3,phase:1,pass,t:lowercase,multiMatch"
    "#);
    assert_eq!(ids(&get(&w, "/?a=%253CSCRIPT%253E", &[])), vec![1]);
    assert_eq!(ids(&get(&w, "/?b=AB", &[])), vec![3]);
}

#[test]
fn trimming_in_a_pipeline_takes_effect() {
    // `t:trim` answers with a piece of its input, not a copy; the pipelines
    // of request data (phase cache) and of TX must both use it.
    let w = waf(r#"
        SecRule ARGS:a "@streq abc" "id:1,phase:1,pass,t:urlDecode,t:trim"
        SecRule ARGS:a "@streq ABC" "id:2,phase:1,pass,t:trim,t:uppercase"
        SecAction "id:3,phase:1,pass,nolog,setvar:'tx.v=  xyz'"
        SecRule TX:v "@streq xyz" "id:4,phase:1,pass,t:trimLeft"
        SecRule TX:v "@streq XYZ" "id:5,phase:1,pass,t:uppercase,t:trim"
    "#);
    assert_eq!(ids(&get(&w, "/?a=%20%20abc%20", &[])), vec![1, 2, 3, 4, 5]);
}

#[test]
fn multi_match_sees_every_changed_step_in_order() {
    // Raw "%41b" -> urlDecode "Ab" -> lowercase "ab" -> trim (unchanged, not
    // evaluated again). Every value that matches is reported, in order.
    let w = waf(r#"
        SecRule ARGS "@rx ^" "id:1,phase:1,pass,log,t:urlDecode,t:lowercase,t:trim,multiMatch"
        SecRule ARGS "@rx b$" "id:2,phase:1,pass,log,t:urlDecode,t:lowercase,multiMatch"
        SecRule ARGS "@rx ^ab$" "id:3,phase:1,pass,log,t:urlDecode,t:lowercase"
    "#);
    let tx = get(&w, "/?x=%2541b", &[]);
    assert_eq!(ids(&tx), vec![1, 2, 3]);
    assert_eq!(values(&tx, 0), ["%41b", "Ab", "ab"]);
    assert_eq!(values(&tx, 1), ["%41b", "Ab", "ab"]);
    // The operator's input, as ModSecurity v3 and Coraza report it.
    assert_eq!(values(&tx, 2), ["ab"]);
}

#[test]
fn a_target_list_with_values_the_pipeline_leaves_alone_reads_them_raw() {
    // Values without `%` or `+` pass urlDecode unchanged, so the slot is
    // the raw values; one value with `%` makes the whole list decoded.
    let w = waf(r#"
        SecRule ARGS "@rx ^(?:plain|%41)$" "id:1,phase:1,pass,log,t:urlDecode"
        SecRule ARGS "@streq A" "id:2,phase:1,pass,log,t:urlDecode"
        SecRule ARGS "@streq A" "id:3,phase:1,pass,log,t:urlDecode,multiMatch"
    "#);
    let tx = get(&w, "/?a=plain&b=x", &[]);
    assert_eq!((ids(&tx), values(&tx, 0)), (vec![1], vec!["plain".into()]));
    let tx = get(&w, "/?a=plain&b=%2541", &[]);
    assert_eq!(ids(&tx), vec![1, 2, 3]);
    // ARGS holds "%41" (the query string is decoded once); urlDecode makes "A".
    assert_eq!(values(&tx, 0), ["plain"]);
    assert_eq!(
        (values(&tx, 1), values(&tx, 2)),
        (vec!["A".into()], vec!["A".into()])
    );
}

#[test]
fn pipelines_that_meet_on_a_value_share_their_next_step_and_no_other() {
    // On "ABC", removeWhitespace changes nothing, so both pipelines apply
    // lowercase to the same value (once); on "A BC" they part: 1 sees
    // "abc", 2 sees "a bc". Rule 3's own step after the shared one must not
    // be taken for 1's, nor 4's urlDecode (same input, another step) for
    // lowercase.
    let w = waf(r#"
        SecRule ARGS "@streq abc" "id:1,phase:1,pass,log,t:removeWhitespace,t:lowercase"
        SecRule ARGS "@rx ^a ?bc$" "id:2,phase:1,pass,log,t:lowercase"
        SecRule ARGS "@streq ABC" "id:3,phase:1,pass,log,t:removeWhitespace,t:uppercase"
        SecRule ARGS "@streq ABC" "id:4,phase:1,pass,log,t:urlDecode"
    "#);
    let values = |tx: &Transaction| -> Vec<(u64, String)> {
        tx.matched_rules()
            .iter()
            .flat_map(|r| {
                r.matched
                    .iter()
                    .map(move |m| (r.id, String::from_utf8_lossy(&m.value).into_owned()))
            })
            .collect()
    };
    let tx = get(&w, "/?x=ABC", &[]);
    assert_eq!(
        values(&tx),
        [
            (1, "abc".into()),
            (2, "abc".into()),
            (3, "ABC".into()),
            (4, "ABC".into())
        ]
    );
    let tx = get(&w, "/?x=A%20bC", &[]);
    assert_eq!(
        values(&tx),
        [(1, "abc".into()), (2, "a bc".into()), (3, "ABC".into())]
    );
}

#[test]
fn a_step_runs_on_what_the_step_before_made_not_on_the_raw_value() {
    // "%41" has no upper-case letter, but urlDecode makes one: lowercase
    // must run on "A" (a step is only skipped when the value it reads
    // lacks its triggers). On "%61", urlDecode makes "a", which lowercase
    // leaves alone: multiMatch reports it once.
    let w = waf(r#"
        SecRule ARGS "@rx ^(?:%[46]1|A|a)$" "id:1,phase:1,pass,log,t:urlDecode,t:lowercase,multiMatch"
        SecRule ARGS "@streq a" "id:2,phase:1,pass,log,t:urlDecode,t:lowercase"
    "#);
    let tx = get(&w, "/?x=%2541", &[]);
    assert_eq!(ids(&tx), vec![1, 2]);
    assert_eq!(values(&tx, 0), ["%41", "A", "a"]);
    let tx = get(&w, "/?x=%2561", &[]);
    assert_eq!(ids(&tx), vec![1, 2]);
    assert_eq!(values(&tx, 0), ["%61", "a"]);
}

#[test]
fn values_passed_over_before_their_pipeline_are_those_it_cannot_make_match() {
    // A raw value is only transformed for these rules when it holds what
    // `urlDecodeUni,cmdLine` needs to make `../`: the literal, `%`, `+`, a
    // byte cmdLine deletes, or a space-like byte right before `/`. Each
    // way must still match, and the values without one must not.
    let w = waf(r#"
        SecRule REQUEST_HEADERS:x "@rx \.\./" "id:1,phase:1,pass,log,t:urlDecodeUni,t:cmdLine"
        SecRule REQUEST_HEADERS:x "@rx \.\./" "id:2,phase:1,pass,log,t:urlDecodeUni,t:cmdLine,multiMatch"
        SecRule REQUEST_HEADERS:x "@rx \.\./" "id:3,phase:1,pass,log"
    "#);
    for (value, want) in [
        ("a/../b", &[1, 2, 3][..]),
        ("..%2f", &[1, 2]),
        (".. /", &[1, 2]),
        ("..;/", &[1, 2]),
        (".\"./", &[1, 2]),
        ("..^/", &[1, 2]),
        ("..+/", &[1, 2]),
        ("..%20%20/", &[1, 2]),
        ("Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101", &[]),
        ("text/html, ../ ./", &[1, 2, 3]),
        ("a. ./", &[]),
    ] {
        let tx = get(&w, "/", &[("x", value)]);
        assert_eq!(ids(&tx), want, "{value}");
    }
}

#[test]
fn engine_modes_and_disruptive_actions() {
    let rules = r#"SecRule ARGS:x "@streq 1" "id:1,phase:1,deny,status:418"
        SecRule ARGS:y "@streq 1" "id:2,phase:1,redirect:http://example.com/%{tx.none}blocked"
        SecRule ARGS:z "@streq 1" "id:3,phase:1,drop""#;
    let on = waf(&format!("SecRuleEngine On\n{rules}"));
    let i = get(&on, "/?x=1", &[]).interruption().cloned().unwrap();
    assert_eq!(
        (i.rule_id, i.status, i.action),
        (1, 418, InterruptionAction::Deny)
    );
    let i = get(&on, "/?y=1", &[]).interruption().cloned().unwrap();
    assert_eq!(
        (i.status, i.action, i.data.as_str()),
        (
            302,
            InterruptionAction::Redirect,
            "http://example.com/blocked"
        )
    );
    assert_eq!(
        get(&on, "/?z=1", &[]).interruption().unwrap().action,
        InterruptionAction::Drop
    );
    let det = waf(&format!("SecRuleEngine DetectionOnly\n{rules}"));
    let tx = get(&det, "/?x=1", &[]);
    assert!(tx.interruption().is_none());
    assert_eq!(ids(&tx), vec![1]);
    let off = waf(&format!("SecRuleEngine Off\n{rules}"));
    assert!(ids(&get(&off, "/?x=1", &[])).is_empty());
}

#[test]
fn block_follows_sec_default_action() {
    let w = waf(r#"
        SecDefaultAction "phase:1,log,auditlog,deny,status:403"
        SecRule ARGS:x "@streq 1" "id:1,phase:1,block"
    "#);
    assert_eq!(
        get(&w, "/?x=1", &[]).interruption().map(|i| i.status),
        Some(403)
    );
    let w = waf(r#"
        SecDefaultAction "phase:1,log,auditlog,pass"
        SecRule ARGS:x "@streq 1" "id:1,phase:1,block"
    "#);
    assert!(get(&w, "/?x=1", &[]).interruption().is_none());
}

#[test]
fn allow_skips_the_rest_of_the_request() {
    let w = waf(r#"
        SecRule REMOTE_ADDR "@ipMatch 10.0.0.1" "id:1,phase:1,allow,nolog"
        SecRule ARGS "@rx ." "id:2,phase:1,deny"
        SecRule ARGS "@rx ." "id:3,phase:2,deny"
    "#);
    let tx = get(&w, "/?a=1", &[]);
    assert!(tx.interruption().is_none());
    assert_eq!(ids(&tx), vec![1]);
}

#[test]
fn error_log_line_has_modsecurity_fields() {
    let w = waf(
        r#"SecRule ARGS:q "@rx (?i)union" "id:42,phase:1,pass,msg:'SQLi, maybe',logdata:'Matched Data: %{TX.0} found within %{MATCHED_VAR_NAME}: %{MATCHED_VAR}',capture,severity:CRITICAL,tag:'attack-sqli',ver:'X/1'""#,
    );
    let tx = get(&w, "/?q=UNION", &[("Host", "example.com")]);
    let line = tx.error_log_lines().next().expect("a logged line");
    for part in [
        "[id \"42\"]",
        "[msg \"SQLi, maybe\"]",
        "[data \"Matched Data: UNION found within ARGS:q: UNION\"]",
        "[severity \"CRITICAL\"]",
        "[tag \"attack-sqli\"]",
        "[ver \"X/1\"]",
        "[hostname \"example.com\"]",
        "[uri \"/?q=UNION\"]",
    ] {
        assert!(line.contains(part), "{part} missing in {line}");
    }
    assert!(!line.contains('\n'));
}

#[test]
fn request_body_urlencoded_and_limits() {
    let w = waf(r#"
        SecRuleEngine On
        SecRequestBodyAccess On
        SecRequestBodyLimit 20
        SecRequestBodyLimitAction Reject
        SecRule ARGS_POST:a "@streq 1" "id:1,phase:2,deny,status:403"
    "#);
    let mut tx = w.new_transaction();
    tx.process_uri("/", "POST", "HTTP/1.1");
    tx.add_request_header("Content-Type", "application/x-www-form-urlencoded");
    tx.process_request_headers();
    tx.write_request_body(b"a=1&b=2");
    assert_eq!(tx.process_request_body().map(|i| i.rule_id), Some(1));
    let mut tx = w.new_transaction();
    tx.process_uri("/", "POST", "HTTP/1.1");
    tx.process_request_headers();
    let it = tx.write_request_body(&[b'x'; 100]);
    assert_eq!(it.map(|i| i.status), Some(413));
}

/// `TX:key` links (read directly, not collected) match as other links do:
/// missing keys, negation, macro arguments, chain links, the match's name
/// and value, and a `ctl` that removes the target.
#[test]
fn single_tx_key_links() {
    let w = waf(r#"
        SecAction "id:1,phase:1,pass,nolog,setvar:tx.pl=1,setvar:tx.limit=2"
        SecRule TX:pl "@lt %{tx.limit}" "id:2,phase:1,pass,nolog,setvar:tx.a=%{MATCHED_VAR_NAME}=%{MATCHED_VAR}"
        SecRule TX:missing "@lt 5" "id:3,phase:1,pass,nolog,setvar:tx.b=1"
        SecRule TX:pl "!@eq 1" "id:4,phase:1,pass,nolog,setvar:tx.c=1"
        SecRule TX:pl "!@eq 7" "id:5,phase:1,pass,nolog,chain"
            SecRule TX:LIMIT "@eq 2" "setvar:tx.d=%{MATCHED_VAR_NAME}"
        SecRule ARGS:off "@streq 1" "id:6,phase:1,pass,nolog,ctl:ruleRemoveTargetById=7;TX:pl"
        SecRule ARGS:other "@streq 1" "id:8,phase:1,pass,nolog,ctl:ruleRemoveTargetById=7;REQUEST_FILENAME"
        SecRule TX:pl "@eq 1" "id:7,phase:1,pass,nolog,setvar:tx.e=1"
    "#);
    let tx = get(&w, "/", &[]);
    assert_eq!(ids(&tx), vec![1, 2, 5, 7]);
    assert_eq!(tx.tx_var("a").as_deref(), Some("TX:pl=1"));
    assert_eq!(tx.tx_var("b"), None);
    assert_eq!(tx.tx_var("c"), None);
    assert_eq!(tx.tx_var("d").as_deref(), Some("TX:limit"));
    let m = &tx.matched_rules()[1].matched[0];
    assert_eq!((&*m.name, &*m.value), ("TX:pl", &b"1"[..]));
    // Removed from rule 7 for this transaction: it reads nothing.
    let tx = get(&w, "/?off=1", &[]);
    assert_eq!(ids(&tx), vec![1, 2, 5, 6]);
    assert_eq!(tx.tx_var("e"), None);
    // Removing another variable leaves the TX:key read as it was.
    let tx = get(&w, "/?other=1", &[]);
    assert_eq!(ids(&tx), vec![1, 2, 5, 8, 7]);
    assert_eq!(tx.tx_var("e").as_deref(), Some("1"));
}
