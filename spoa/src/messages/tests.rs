use std::net::Ipv4Addr;

use super::*;
use crate::spop::tests_support::from_hex;
use crate::spop::{decode_messages, Frame};

fn captured(hex: &str) -> Vec<Message> {
    let f = Frame::decode_with_length(&from_hex(hex), 16380).unwrap();
    decode_messages(f.payload).unwrap()
}

fn msg(name: &'static str, args: Vec<(&'static str, TypedData)>) -> Message {
    Message {
        name: Bytes::from_static(name.as_bytes()),
        args: args
            .into_iter()
            .map(|(k, v)| (Bytes::from_static(k.as_bytes()), v))
            .collect(),
    }
}

#[test]
fn text_headers() {
    let h = parse_text_headers(
        b"host: a:80\r\nX-Y:  v : w \r\nbad line\r\n: novalue\r\nempty:\r\n\r\n",
    );
    assert_eq!(
        h,
        vec![
            (&b"host"[..], &b"a:80"[..]),
            (&b"X-Y"[..], &b"v : w"[..]),
            (&b"empty"[..], &b""[..]),
        ]
    );
}

#[test]
fn bin_headers_from_capture() {
    let msgs = captured(include_str!(
        "../../../testdata/spop/2.6-notify-two-messages-typed.hex"
    ));
    let v = msgs[1].arg("hdrsbin").unwrap();
    assert_eq!(
        parse_headers(v),
        vec![
            (&b"host"[..], &b"127.0.0.1:8080"[..]),
            (&b"user-agent"[..], &b"curl/7.88.1"[..]),
            (&b"accept"[..], &b"*/*"[..]),
        ]
    );
    // Missing terminator or lengths past the end: not hdrs_bin.
    assert_eq!(parse_bin_headers(b"\x04host\x01a"), None);
    assert_eq!(parse_bin_headers(b"\x09host"), None);
    assert_eq!(parse_bin_headers(b"\x00\x00"), Some(vec![]));
    // A BINARY that is not hdrs_bin is read as text.
    assert_eq!(
        parse_headers(&TypedData::Binary(Bytes::from_static(b"a: b\r\n"))),
        vec![(&b"a"[..], &b"b"[..])]
    );
}

#[test]
fn request_args_from_capture() {
    let msgs = captured(include_str!(
        "../../../testdata/spop/2.6-notify-post-17b-body.hex"
    ));
    let r = RequestArgs::from_message(&msgs[0]).unwrap();
    assert_eq!(r.app.as_deref(), Some("sample_app"));
    assert_eq!(
        r.id.as_deref(),
        Some("b7ef88cc-a2e2-45d5-a625-c382da1f7ea7")
    );
    assert_eq!((r.src_ip.as_str(), r.dst_port), ("127.0.0.1", 8081));
    assert_eq!(&r.method[..], b"POST");
    assert_eq!(r.uri, b"/form?q=1");
    assert_eq!(r.protocol, "HTTP/1.1");
    assert_eq!(r.body.len(), 17);
    assert_eq!(parse_headers(&r.headers).len(), 5);
    assert!(!r.export_rule_ids);
}

#[test]
fn request_args_nulls_and_errors() {
    let m = msg(
        "coraza-req",
        vec![
            ("query", TypedData::Null),
            ("src-ip", TypedData::Ipv4(Ipv4Addr::new(192, 0, 2, 1))),
            ("src-port", TypedData::Int64(40000)),
            ("id", TypedData::string("")),
            ("exportRuleIDs", TypedData::Bool(true)),
        ],
    );
    let r = RequestArgs::from_message(&m).unwrap();
    assert_eq!(r.uri, b"/");
    assert_eq!(r.id, None);
    assert_eq!((r.src_ip.as_str(), r.src_port), ("192.0.2.1", 40000));
    assert!(r.export_rule_ids);
    for (name, v, needle) in [
        ("src-port", TypedData::Int64(70000), "not a port"),
        ("src-port", TypedData::Bool(true), "expected an integer"),
        ("path", TypedData::Int64(1), "expected a string"),
        ("src-ip", TypedData::string("nope"), "not an IP"),
    ] {
        let e = RequestArgs::from_message(&msg("coraza-req", vec![(name, v)])).unwrap_err();
        assert!(e.contains(name) && e.contains(needle), "{e}");
    }
}

#[test]
fn response_args() {
    let m = msg(
        "coraza-res",
        vec![
            ("id", TypedData::string("abc")),
            ("version", TypedData::string("2.0")),
            ("status", TypedData::Int64(503)),
            ("detect-only", TypedData::Bool(true)),
        ],
    );
    let r = ResponseArgs::from_message(&m).unwrap();
    assert_eq!(
        (r.id.as_deref(), r.protocol.as_str(), r.status),
        (Some("abc"), "HTTP/2.0", 503)
    );
    assert!(r.detect_only && !r.export_rule_ids);
    let e = ResponseArgs::from_message(&msg("coraza-res", vec![("status", TypedData::Int64(-1))]))
        .unwrap_err();
    assert!(e.contains("status"), "{e}");
}

#[test]
fn random_ids_are_letters_and_differ() {
    let a = random_id();
    let b = random_id();
    assert_eq!(a.len(), 16);
    assert!(a.bytes().all(|c| c.is_ascii_uppercase()));
    assert_ne!(a, b);
}

#[test]
fn attack_ranges() {
    assert!(is_attack_rule(942100) && is_attack_rule(190001));
    assert!(!is_attack_rule(949110 + 20000) && !is_attack_rule(920100 - 20000));
}

// ---- with the engine ----

fn app(
    directives: &str,
    response_check: bool,
    error_log: Option<std::path::PathBuf>,
) -> Application {
    let cfg = AppConfig {
        name: "a".into(),
        directives: directives.into(),
        response_check,
        transaction_ttl: Duration::from_secs(60),
        transaction_active_limit: 100,
        log: None,
        error_log,
    };
    let waf = crate::rules::build_waf(
        directives,
        "test",
        Path::new("/nonexistent"),
        Path::new("/"),
    )
    .expect("rules load");
    Application::new(&cfg, waf).unwrap()
}

const RULES: &str = r#"SecRuleEngine On
SecRequestBodyAccess On
SecResponseBodyAccess On
SecResponseBodyMimeType text/plain text/html
SecRule ARGS "@contains attack" "id:942100,phase:2,deny,status:403,log,msg:'attack in args'"
SecRule REQUEST_HEADERS:X-Redirect "@streq yes" "id:10,phase:1,redirect:http://example.com/blocked,log,msg:'redirect'"
SecRule REQUEST_HEADERS:X-Drop "@streq yes" "id:11,phase:1,drop,log,msg:'drop'"
SecRule RESPONSE_BODY "@contains SQL syntax" "id:951100,phase:4,deny,status:403,log,msg:'sql error leak'"
"#;

fn agent(response_check: bool) -> Agent {
    Agent::new(Apps::from_parts(
        vec![app(RULES, response_check, None)],
        Some("a"),
    ))
}

fn vars(actions: &[Action]) -> HashMap<String, TypedData> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::SetVar { name, value, .. } => Some((name.clone(), value.clone())),
            _ => None,
        })
        .collect()
}

fn req(args: Vec<(&'static str, TypedData)>) -> Message {
    msg("coraza-req", args)
}

#[test]
fn benign_and_blocked_requests() {
    let a = agent(false);
    let v = vars(&a.handle(vec![req(vec![
        ("path", TypedData::string("/ok")),
        ("query", TypedData::string("q=1")),
    ])]));
    assert_eq!(v["fail"], TypedData::Int32(0));
    assert!(v.contains_key("id") && !v.contains_key("action"));
    let v = vars(&a.handle(vec![req(vec![
        ("id", TypedData::string("req-1")),
        ("method", TypedData::string("POST")),
        (
            "headers",
            TypedData::string("content-type: application/x-www-form-urlencoded\r\n\r\n"),
        ),
        (
            "body",
            TypedData::Binary(Bytes::from_static(b"x=an+attack+here")),
        ),
        ("exportRuleIDs", TypedData::Bool(true)),
    ])]));
    assert_eq!(v["fail"], TypedData::Int32(1));
    assert_eq!(v["id"], TypedData::string("req-1"));
    assert_eq!(v["action"], TypedData::string("deny"));
    assert_eq!(v["status"], TypedData::Int32(403));
    assert_eq!(v["ruleid"], TypedData::Int64(942100));
    assert_eq!(v["rules_hit"], TypedData::Int64(1));
    assert_eq!(v["rule_ids"], TypedData::string("942100"));
    let v = vars(&a.handle(vec![req(vec![(
        "headers",
        TypedData::string("x-redirect: yes\r\n\r\n"),
    )])]));
    assert_eq!(v["action"], TypedData::string("redirect"));
    assert_eq!(v["data"], TypedData::string("http://example.com/blocked"));
    let v = vars(&a.handle(vec![req(vec![(
        "headers",
        TypedData::string("x-drop: yes\r\n\r\n"),
    )])]));
    assert_eq!(v["action"], TypedData::string("drop"));
}

#[test]
fn response_correlated_by_id() {
    let a = agent(true);
    let v = vars(&a.handle(vec![req(vec![("id", TypedData::string("t1"))])]));
    assert_eq!(v["fail"], TypedData::Int32(0));
    let res = |id: &str, body: &'static [u8]| {
        msg(
            "coraza-res",
            vec![
                ("id", TypedData::string(id)),
                ("status", TypedData::Int64(500)),
                (
                    "headers",
                    TypedData::string("content-type: text/html\r\n\r\n"),
                ),
                ("body", TypedData::Binary(Bytes::from_static(body))),
            ],
        )
    };
    let v = vars(&a.handle(vec![res("t1", b"You have an error in your SQL syntax")]));
    assert_eq!(v["fail"], TypedData::Int32(1));
    assert_eq!(v["ruleid"], TypedData::Int64(951100));
    assert!(!v.contains_key("id"));
    // The transaction was consumed: a second response for it is an error.
    let v = vars(&a.handle(vec![res("t1", b"fine")]));
    assert_eq!(v["error"], TypedData::Int32(crate::server::ERROR_VALUE));
    // Generated id (coraza-spoa 0.7 style: no id argument) round trip.
    let v = vars(&a.handle(vec![req(vec![])]));
    let TypedData::String(id) = &v["id"] else {
        panic!()
    };
    let id = String::from_utf8_lossy(id).into_owned();
    let v = vars(&a.handle(vec![res(&id, b"fine")]));
    assert_eq!(v["fail"], TypedData::Int32(0));
}

#[test]
fn errors_set_the_error_variable() {
    let a = agent(false);
    let res = msg("coraza-res", vec![("id", TypedData::string("x"))]);
    assert_eq!(a.handle(vec![res]), error_actions());
    let no_default = Agent::new(Apps::from_parts(vec![app(RULES, false, None)], None));
    let m = req(vec![("app", TypedData::string("other"))]);
    assert_eq!(no_default.handle(vec![m]), error_actions());
    // Unknown messages are ignored.
    assert!(a.handle(vec![msg("other", vec![])]).is_empty());
}

#[test]
fn expired_transactions_are_logged_and_gone() {
    let dir = std::env::temp_dir().join(format!("spoa-ttl-{}", std::process::id()));
    let log = dir.join("error.log");
    let cfg = AppConfig {
        name: "a".into(),
        directives: RULES.into(),
        response_check: true,
        transaction_ttl: Duration::from_millis(50),
        transaction_active_limit: 100,
        log: None,
        error_log: Some(log.clone()),
    };
    let waf = crate::rules::build_waf(RULES, "t", Path::new("/x"), Path::new("/")).unwrap();
    let a = Agent::new(Apps::from_parts(
        vec![Application::new(&cfg, waf).unwrap()],
        Some("a"),
    ));
    a.handle(vec![req(vec![("id", TypedData::string("old"))])]);
    std::thread::sleep(Duration::from_millis(120));
    let res = msg("coraza-res", vec![("id", TypedData::string("old"))]);
    assert_eq!(a.handle(vec![res]), error_actions());
    // Logged matches reach error_log at once.
    a.handle(vec![req(vec![("query", TypedData::string("a=attack"))])]);
    let text = std::fs::read_to_string(&log).unwrap();
    assert_eq!(text.lines().count(), 1, "{text}");
    assert!(text.contains("942100"), "{text}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn responses_survive_one_reload() {
    let a = agent(true);
    a.handle(vec![req(vec![("id", TypedData::string("before"))])]);
    a.replace(Apps::from_parts(vec![app(RULES, true, None)], Some("a")));
    let res = msg(
        "coraza-res",
        vec![
            ("id", TypedData::string("before")),
            (
                "headers",
                TypedData::string("content-type: text/plain\r\n\r\n"),
            ),
            (
                "body",
                TypedData::Binary(Bytes::from_static(b"SQL syntax error")),
            ),
        ],
    );
    let v = vars(&a.handle(vec![res]));
    assert_eq!(v["fail"], TypedData::Int32(1), "{v:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn detect_only_answers_at_once_and_logs_in_background() {
    let dir = std::env::temp_dir().join(format!("spoa-detect-{}", std::process::id()));
    let log = dir.join("error.log");
    let a = Arc::new(Agent::new(Apps::from_parts(
        vec![app(RULES, true, Some(log.clone()))],
        Some("a"),
    )));
    let a2 = a.clone();
    let actions = tokio::task::spawn_blocking(move || {
        a2.handle(vec![req(vec![("id", TypedData::string("d1"))])]);
        a2.handle(vec![msg(
            "coraza-res",
            vec![
                ("id", TypedData::string("d1")),
                (
                    "headers",
                    TypedData::string("content-type: text/html\r\n\r\n"),
                ),
                (
                    "body",
                    TypedData::Binary(Bytes::from_static(b"You have an error in your SQL syntax")),
                ),
                ("detect-only", TypedData::Bool(true)),
            ],
        )])
    })
    .await
    .unwrap();
    assert!(actions.is_empty(), "{actions:?}");
    let a3 = a.clone();
    tokio::task::spawn_blocking(move || a3.drain_background(Duration::from_secs(10)))
        .await
        .unwrap();
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(
        text.contains("951100"),
        "background evaluation logged: {text}"
    );
    let _ = std::fs::remove_dir_all(dir);
}
