//! The `coraza-spoa` binary: `check`, startup errors, SIGHUP reload and
//! SIGTERM drain, driven over real SPOP with our own codec.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use bytes::Bytes;
use coraza_spoa::spop::{
    decode_actions, encode_messages, Action, Frame, FrameType, HaproxyHello, Message, TypedData,
};

const BIN: &str = env!("CARGO_BIN_EXE_coraza-spoa");

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("coraza-spoa-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn check(config: &Path) -> (bool, String) {
    let out = Command::new(BIN)
        .arg("check")
        .arg("--config")
        .arg(config)
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout);
    (out.status.success(), text)
}

#[test]
fn check_reports_config_errors_with_the_key() {
    let d = scratch("badkey");
    let p = d.join("c.yaml");
    std::fs::write(
        &p,
        "bind: 127.0.0.1:1\napplications:\n  - name: a\n    directivs: x\n",
    )
    .unwrap();
    let (ok, text) = check(&p);
    assert!(!ok);
    assert!(
        text.contains("applications[0]") && text.contains("directivs"),
        "{text}"
    );
    std::fs::write(&p, "log_level: chatty\napplications:\n  - name: a\n").unwrap();
    let (ok, text) = check(&p);
    assert!(
        !ok && text.contains("log_level") && text.contains("chatty"),
        "{text}"
    );
    let (ok, text) = check(&d.join("missing.yaml"));
    assert!(
        !ok && text.contains("missing.yaml") && text.contains("cannot read"),
        "{text}"
    );
}

#[test]
fn check_reports_rule_errors() {
    let d = scratch("badrule");
    let p = d.join("c.yaml");
    std::fs::write(
        &p,
        "applications:\n  - name: a\n    directives: |\n      SecRuleEngine On\n      SecRule ARGS \"@nosuchop x\" \"id:1,deny\"\n",
    )
    .unwrap();
    let (ok, text) = check(&p);
    assert!(!ok, "{text}");
    assert!(text.contains("application `a`"), "{text}");
    std::fs::write(
        &p,
        "applications:\n  - name: a\n    directives: Include @nope.conf\n",
    )
    .unwrap();
    let (ok, text) = check(&p);
    assert!(!ok && text.contains("@nope.conf"), "{text}");
}

#[test]
fn check_accepts_a_valid_configuration() {
    let d = scratch("good");
    let p = d.join("c.yaml");
    std::fs::write(
        &p,
        "applications:\n  - name: a\n    directives: |\n      SecRuleEngine On\n      SecRule ARGS \"@contains attack\" \"id:1,phase:1,deny\"\n",
    )
    .unwrap();
    let (ok, text) = check(&p);
    assert!(ok, "{text}");
    assert!(text.contains("configuration OK"), "{text}");
}

struct Agent(Child);

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn config(port: u16, marker: &str) -> String {
    format!(
        "bind: 127.0.0.1:{port}\nlog_level: debug\napplications:\n  - name: a\n    directives: |\n      SecRuleEngine On\n      SecRule ARGS \"@contains {marker}\" \"id:1,phase:1,deny,status:403\"\ndefault_application: a\n"
    )
}

fn start(dir: &Path, port: u16) -> Agent {
    let log = std::fs::File::create(dir.join("agent.log")).unwrap();
    let mut child = Command::new(BIN)
        .arg("--config")
        .arg(dir.join("c.yaml"))
        .stderr(log)
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Ok(Some(s)) = child.try_wait() {
            panic!(
                "agent exited with {s}: {}",
                std::fs::read_to_string(dir.join("agent.log")).unwrap_or_default()
            );
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "agent did not listen"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    Agent(child)
}

fn read_frame(s: &mut TcpStream) -> Frame {
    let mut len = [0u8; 4];
    s.read_exact(&mut len).unwrap();
    let mut body = vec![0u8; u32::from_be_bytes(len) as usize];
    s.read_exact(&mut body).unwrap();
    Frame::decode(Bytes::from(body)).unwrap()
}

fn connect(port: u16) -> TcpStream {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let hello = HaproxyHello {
        supported_versions: Some(vec!["2.0".into()]),
        max_frame_size: Some(16380),
        capabilities: Some(vec!["pipelining".into()]),
        engine_id: Some("cli-test".into()),
        healthcheck: false,
    };
    s.write_all(&hello.to_frame().encode()).unwrap();
    assert_eq!(read_frame(&mut s).kind, FrameType::AgentHello);
    s
}

/// `fail` for a request whose query is `q=<value>`.
fn fail_for(s: &mut TcpStream, sid: u64, value: &str) -> i64 {
    let m = Message {
        name: Bytes::from_static(b"coraza-req"),
        args: vec![
            (Bytes::from_static(b"path"), TypedData::string("/")),
            (
                Bytes::from_static(b"query"),
                TypedData::string(format!("q={value}")),
            ),
        ],
    };
    let mut p = Vec::new();
    encode_messages(&[m], &mut p);
    s.write_all(&Frame::new(FrameType::Notify, sid, 1, Bytes::from(p)).encode())
        .unwrap();
    let ack = read_frame(s);
    assert_eq!(ack.stream_id, sid);
    decode_actions(ack.payload)
        .unwrap()
        .into_iter()
        .find_map(|a| match a {
            Action::SetVar { name, value, .. } if name == "fail" => value.as_int(),
            _ => None,
        })
        .expect("fail variable")
}

fn signal(agent: &Agent, sig: &str) {
    let ok = Command::new("kill")
        .arg(format!("-{sig}"))
        .arg(agent.0.id().to_string())
        .status()
        .unwrap();
    assert!(ok.success());
}

#[test]
fn sighup_reloads_and_sigterm_drains() {
    let d = scratch("reload");
    let port = free_port();
    std::fs::write(d.join("c.yaml"), config(port, "first")).unwrap();
    let mut agent = start(&d, port);
    let mut s = connect(port);
    assert_eq!(fail_for(&mut s, 1, "first"), 1);
    assert_eq!(fail_for(&mut s, 2, "second"), 0);

    // A broken configuration: reload fails, the old rules stay.
    std::fs::write(d.join("c.yaml"), "applications: [").unwrap();
    signal(&agent, "HUP");
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(fail_for(&mut s, 3, "first"), 1);

    std::fs::write(d.join("c.yaml"), config(port, "second")).unwrap();
    signal(&agent, "HUP");
    let start = Instant::now();
    let mut sid = 4;
    while fail_for(&mut s, sid, "second") == 0 {
        sid += 1;
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "reload not applied"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(fail_for(&mut s, sid + 1, "first"), 0);
    let log = std::fs::read_to_string(d.join("agent.log")).unwrap();
    assert!(log.contains("reload failed"), "{log}");

    signal(&agent, "TERM");
    // The open connection is told goodbye, then the process exits 0.
    assert_eq!(read_frame(&mut s).kind, FrameType::AgentDisconnect);
    let status = agent.0.wait().unwrap();
    assert!(status.success(), "{status}");
}
