//! End-to-end: real HAProxy (2.6+) -> our agent with the OWASP CRS -> a
//! tiny backend, using the configurations under `examples/` with only ports
//! and paths rewritten.
//!
//! Needs `haproxy` on PATH (CI installs it). Without it these tests fail,
//! unless `SKIP_HAPROXY_E2E=1` is set. The CRS comes from `$CRS_DIR`, else
//! the first `shared/crs` found above this crate.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

const SQL_ERROR_PAGE: &str = "<html><body>You have an error in your SQL syntax; check the manual that corresponds to your MySQL server version for the right syntax to use near '' at line 1</body></html>";

/// Whether to run; panics with instructions when HAProxy is missing.
fn haproxy_or_skip() -> bool {
    let found = Command::new("haproxy")
        .arg("-v")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if found {
        return true;
    }
    if std::env::var("SKIP_HAPROXY_E2E").as_deref() == Ok("1") {
        eprintln!("SKIP_HAPROXY_E2E=1: haproxy not installed, end-to-end test skipped");
        return false;
    }
    panic!(
        "haproxy is not installed: the SPOA end-to-end tests need it \
         (apt-get install -y haproxy), or set SKIP_HAPROXY_E2E=1 to skip them"
    );
}

fn crs_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("CRS_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(d);
    }
    let mut dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    loop {
        let c = dir.join("shared/crs");
        if c.join("rules").is_dir() {
            return c;
        }
        if !dir.pop() {
            panic!("OWASP CRS not found: set CRS_DIR");
        }
    }
}

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples")
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("coraza-spoa-e2e-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Kills the child when dropped.
struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A backend answering 200 "hello", or an SQL error page on /sqlerror.
struct Backend {
    port: u16,
    stop: Arc<AtomicBool>,
}

impl Drop for Backend {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

fn backend() -> Backend {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let stop = Arc::new(AtomicBool::new(false));
    let s = stop.clone();
    thread::spawn(move || {
        for conn in l.incoming() {
            if s.load(Ordering::SeqCst) {
                break;
            }
            let Ok(conn) = conn else { continue };
            thread::spawn(move || serve_backend(conn));
        }
    });
    Backend { port, stop }
}

fn serve_backend(conn: TcpStream) {
    let _ = conn.set_read_timeout(Some(Duration::from_secs(10)));
    let mut rd = BufReader::new(conn.try_clone().unwrap());
    let mut line = String::new();
    if rd.read_line(&mut line).is_err() {
        return;
    }
    let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
    let mut len = 0usize;
    loop {
        let mut h = String::new();
        if rd.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            if k.eq_ignore_ascii_case("content-length") {
                len = v.trim().parse().unwrap_or(0);
            }
        }
    }
    let mut body = vec![0u8; len];
    let _ = rd.read_exact(&mut body);
    let (status, text) = if path.starts_with("/sqlerror") {
        ("200 OK", SQL_ERROR_PAGE)
    } else {
        ("200 OK", "hello\n")
    };
    let resp = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
        text.len()
    );
    let mut conn = conn;
    let _ = conn.write_all(resp.as_bytes());
}

/// Sends one request; returns the status code (0 when the connection was
/// dropped without an answer).
fn http(port: u16, method: &str, target: &str, body: Option<(&str, &[u8])>) -> u16 {
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
        return 0;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(30)));
    let mut req = format!(
        "{method} {target} HTTP/1.1\r\nHost: localhost\r\nUser-Agent: coraza-spoa-e2e/1.0\r\nAccept: text/html\r\nConnection: close\r\n"
    )
    .into_bytes();
    if let Some((ctype, b)) = body {
        req.extend_from_slice(
            format!("Content-Type: {ctype}\r\nContent-Length: {}\r\n", b.len()).as_bytes(),
        );
    }
    req.extend_from_slice(b"\r\n");
    if let Some((_, b)) = body {
        req.extend_from_slice(b);
    }
    if s.write_all(&req).is_err() {
        return 0;
    }
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    let head = String::from_utf8_lossy(&out);
    head.split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

fn wait_port(port: u16, what: &str, child: &mut Proc, timeout: Duration, log: &Path) {
    let start = Instant::now();
    while start.elapsed() < timeout {
        if let Ok(Some(status)) = child.0.try_wait() {
            let text = std::fs::read_to_string(log).unwrap_or_default();
            panic!(
                "{what} exited early with {status}; {}:\n{text}",
                log.display()
            );
        }
        if TcpStream::connect(SocketAddr::from(([127, 0, 0, 1], port))).is_ok() {
            return;
        }
        thread::sleep(Duration::from_millis(100));
    }
    panic!("{what} did not listen on {port} within {timeout:?}");
}

struct Stack {
    fe: u16,
    agent: Option<Proc>,
    _haproxy: Proc,
    _backend: Backend,
    dir: PathBuf,
}

/// Starts backend, agent (config `agent_cfg` from examples/) and HAProxy
/// (`examples/<haproxy_dir>`), rewriting only ports and paths.
fn stack(name: &str, haproxy_dir: &str, agent_cfg: &str) -> Stack {
    let dir = scratch(name);
    let be = backend();
    let (fe, agent_port) = (free_port(), free_port());
    let ex = examples();

    let spoe = std::fs::read_to_string(ex.join(haproxy_dir).join("coraza.cfg")).unwrap();
    std::fs::write(dir.join("coraza.cfg"), spoe).unwrap();
    let hcfg = std::fs::read_to_string(ex.join(haproxy_dir).join("haproxy.cfg"))
        .unwrap()
        .replace("127.0.0.1:8080", &format!("127.0.0.1:{fe}"))
        .replace("127.0.0.1:8000", &format!("127.0.0.1:{}", be.port))
        .replace("127.0.0.1:9000", &format!("127.0.0.1:{agent_port}"))
        .replace(
            "/etc/haproxy/coraza.cfg",
            &dir.join("coraza.cfg").display().to_string(),
        );
    std::fs::write(dir.join("haproxy.cfg"), hcfg).unwrap();

    let acfg = std::fs::read_to_string(ex.join(agent_cfg))
        .unwrap()
        .replace("127.0.0.1:9000", &format!("127.0.0.1:{agent_port}"))
        .replace(
            "/var/log/coraza-spoa/error.log",
            &dir.join("error.log").display().to_string(),
        );
    std::fs::write(dir.join("agent.yaml"), acfg).unwrap();
    // The seed example includes engine-on.conf next to it.
    let _ = std::fs::copy(ex.join("engine-on.conf"), dir.join("engine-on.conf"));

    let agent_log = std::fs::File::create(dir.join("agent.log")).unwrap();
    let mut agent = Proc(
        Command::new(env!("CARGO_BIN_EXE_coraza-spoa"))
            .arg("--config")
            .arg(dir.join("agent.yaml"))
            .arg("--crs-dir")
            .arg(crs_dir())
            .stdout(Stdio::null())
            .stderr(agent_log)
            .spawn()
            .expect("agent starts"),
    );
    wait_port(
        agent_port,
        "coraza-spoa",
        &mut agent,
        Duration::from_secs(120),
        &dir.join("agent.log"),
    );

    let hlog = std::fs::File::create(dir.join("haproxy.log")).unwrap();
    let mut haproxy = Proc(
        Command::new("haproxy")
            .arg("-db")
            .arg("-f")
            .arg(dir.join("haproxy.cfg"))
            .stdout(Stdio::null())
            .stderr(hlog)
            .spawn()
            .expect("haproxy starts"),
    );
    wait_port(
        fe,
        "haproxy",
        &mut haproxy,
        Duration::from_secs(20),
        &dir.join("haproxy.log"),
    );
    Stack {
        fe,
        agent: Some(agent),
        _haproxy: haproxy,
        _backend: be,
        dir,
    }
}

impl Stack {
    fn get(&self, target: &str) -> u16 {
        http(self.fe, "GET", target, None)
    }

    fn diag(&self) -> String {
        let read = |f: &str| std::fs::read_to_string(self.dir.join(f)).unwrap_or_default();
        let tail = |s: String| {
            s.lines()
                .rev()
                .take(30)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect::<Vec<_>>()
                .join("\n")
        };
        format!(
            "--- agent.log (tail)\n{}\n--- haproxy.log (tail)\n{}",
            tail(read("agent.log")),
            tail(read("haproxy.log"))
        )
    }

    fn expect(&self, what: &str, got: u16, want: u16) {
        assert_eq!(got, want, "{what}: got {got}, want {want}\n{}", self.diag());
    }
}

fn big_form(attack_at_end: bool) -> Vec<u8> {
    let mut b = b"comment=".to_vec();
    b.extend(std::iter::repeat_n(b'a', 64 * 1024));
    if attack_at_end {
        b.extend_from_slice(b"&id=1%27%20UNION%20SELECT%20password%20FROM%20users--%20");
    } else {
        b.extend_from_slice(b"&id=42");
    }
    b
}

fn common_checks(s: &Stack) {
    s.expect("benign GET", s.get("/index.html?page=2"), 200);
    s.expect(
        "SQLi in query",
        s.get("/?id=1%27%20OR%20%271%27%3D%271"),
        403,
    );
    s.expect(
        "XSS in query",
        s.get("/?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E"),
        403,
    );
    s.expect("SQL error page in the response", s.get("/sqlerror"), 403);
    let form = "application/x-www-form-urlencoded";
    s.expect(
        "benign 64 KiB body",
        http(s.fe, "POST", "/submit", Some((form, &big_form(false)))),
        200,
    );
    s.expect(
        "attack after 64 KiB of body",
        http(s.fe, "POST", "/submit", Some((form, &big_form(true)))),
        403,
    );
}

#[test]
fn coraza_spoa_style_configuration() {
    if !haproxy_or_skip() {
        return;
    }
    let mut s = stack("current", "haproxy", "coraza-spoa.yaml");
    common_checks(&s);
    // error_log got ModSecurity-format lines for the blocked requests.
    let log = std::fs::read_to_string(s.dir.join("error.log")).unwrap_or_default();
    assert!(
        log.contains("[id \"942100\"]") || log.contains("[id \"942"),
        "error_log:\n{log}"
    );
    assert!(
        log.lines().all(|l| l.contains("[id \"")),
        "one entry per line:\n{log}"
    );
    // Agent down: HAProxy's set-on-error path (`txn.coraza.error` -> 500 here).
    drop(s.agent.take());
    thread::sleep(Duration::from_millis(300));
    s.expect("agent down", s.get("/index.html"), 500);
}

#[test]
fn seed_style_configuration() {
    if !haproxy_or_skip() {
        return;
    }
    let mut s = stack("seed", "haproxy-seed", "config.yml");
    common_checks(&s);
    drop(s.agent.take());
    thread::sleep(Duration::from_millis(300));
    s.expect("agent down", s.get("/index.html"), 504);
}
