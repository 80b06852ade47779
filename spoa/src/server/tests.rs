//! In-process protocol tests: a fake handler behind the real server.

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use super::*;
use crate::spop::tests_support::from_hex;
use crate::spop::{decode_actions, decode_kv_list, encode_messages, kv_get, FLAG_FIN};

/// Answers `set-var(txn.fail)` = 1 when `path` contains "attack"; sleeps
/// `sleep` ms when asked; panics on `panic`.
struct Fake;

impl Handler for Fake {
    fn handle(&self, messages: Vec<Message>) -> Vec<Action> {
        let mut out = Vec::new();
        for m in messages {
            if let Some(ms) = m.arg("sleep").and_then(TypedData::as_int) {
                std::thread::sleep(Duration::from_millis(ms as u64));
            }
            if m.arg("panic").is_some() {
                panic!("asked to panic");
            }
            let path = m
                .arg("path")
                .and_then(TypedData::as_bytes)
                .cloned()
                .unwrap_or_default();
            let attack = path.windows(6).any(|w| w == b"attack");
            out.push(Action::set_txn("fail", TypedData::Int32(i32::from(attack))));
        }
        out
    }
}

struct TestServer {
    addr: SocketAddr,
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<io::Result<()>>,
}

async fn start(opts: ServerOptions) -> TestServer {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    let (stop, rx) = watch::channel(false);
    let task = tokio::spawn(serve(l, Arc::new(Fake), opts, rx));
    TestServer { addr, stop, task }
}

fn opts() -> ServerOptions {
    ServerOptions {
        workers: 8,
        ..ServerOptions::default()
    }
}

async fn read_frame_raw(s: &mut TcpStream) -> Option<Frame> {
    let mut len = [0u8; 4];
    tokio::time::timeout(Duration::from_secs(10), s.read_exact(&mut len))
        .await
        .ok()?
        .ok()?;
    let n = u32::from_be_bytes(len) as usize;
    let mut body = vec![0u8; n];
    s.read_exact(&mut body).await.ok()?;
    Some(Frame::decode(Bytes::from(body)).expect("agent frames decode"))
}

/// Reads until EOF; true if the socket closed.
async fn closed(s: &mut TcpStream) -> bool {
    let mut b = [0u8; 64];
    matches!(
        tokio::time::timeout(Duration::from_secs(10), s.read(&mut b)).await,
        Ok(Ok(0)) | Ok(Err(_))
    )
}

fn hello(mfs: Option<u32>, caps: Option<&str>, version: Option<&str>, health: bool) -> Vec<u8> {
    HaproxyHello {
        supported_versions: version.map(|v| vec![v.to_string()]),
        max_frame_size: mfs,
        capabilities: caps.map(|c| c.split(',').map(str::to_string).collect()),
        engine_id: if health {
            None
        } else {
            Some("test-engine".into())
        },
        healthcheck: health,
    }
    .to_frame()
    .encode()
}

async fn handshake(addr: SocketAddr) -> TcpStream {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(&hello(
        Some(16380),
        Some("pipelining,async"),
        Some("2.0"),
        false,
    ))
    .await
    .unwrap();
    let f = read_frame_raw(&mut s).await.expect("AGENT-HELLO");
    assert_eq!(f.kind, FrameType::AgentHello);
    s
}

fn notify(sid: u64, fid: u64, args: Vec<(&'static str, TypedData)>) -> Vec<u8> {
    let m = Message {
        name: Bytes::from_static(b"coraza-req"),
        args: args
            .into_iter()
            .map(|(k, v)| (Bytes::from_static(k.as_bytes()), v))
            .collect(),
    };
    let mut p = Vec::new();
    encode_messages(&[m], &mut p);
    Frame::new(FrameType::Notify, sid, fid, Bytes::from(p)).encode()
}

fn fail_of(f: &Frame) -> i64 {
    let a = decode_actions(f.payload.clone()).unwrap();
    match &a[..] {
        [Action::SetVar { name, value, .. }] if name == "fail" => value.as_int().unwrap(),
        other => panic!("unexpected actions {other:?}"),
    }
}

async fn expect_disconnect(s: &mut TcpStream, status: Status) {
    let f = read_frame_raw(s).await.expect("AGENT-DISCONNECT");
    assert_eq!(f.kind, FrameType::AgentDisconnect);
    assert_eq!((f.flags, f.stream_id, f.frame_id), (FLAG_FIN, 0, 0));
    let d = Disconnect::decode(f.payload).unwrap();
    assert_eq!(d.status, status, "message: {}", d.message);
    assert!(closed(s).await, "connection closed after DISCONNECT");
}

#[tokio::test]
async fn healthcheck_is_answered_and_closed() {
    let srv = start(opts()).await;
    let mut s = TcpStream::connect(srv.addr).await.unwrap();
    s.write_all(&from_hex(include_str!(
        "../../../testdata/spop/2.6-hello-healthcheck.hex"
    )))
    .await
    .unwrap();
    let f = read_frame_raw(&mut s).await.unwrap();
    assert_eq!(
        (f.kind, f.flags, f.stream_id, f.frame_id),
        (FrameType::AgentHello, FLAG_FIN, 0, 0)
    );
    let kv = decode_kv_list(f.payload).unwrap();
    assert_eq!(kv_get(&kv, "version"), Some(&TypedData::string("2.0")));
    assert_eq!(
        kv_get(&kv, "max-frame-size"),
        Some(&TypedData::Uint32(16380))
    );
    // HAProxy offered no capability: we accept none.
    assert_eq!(kv_get(&kv, "capabilities"), Some(&TypedData::string("")));
    assert!(closed(&mut s).await);
}

#[tokio::test]
async fn captured_hello_and_notify_get_an_ack_with_same_ids() {
    let srv = start(opts()).await;
    let mut s = TcpStream::connect(srv.addr).await.unwrap();
    s.write_all(&from_hex(include_str!(
        "../../../testdata/spop/2.6-hello.hex"
    )))
    .await
    .unwrap();
    let f = read_frame_raw(&mut s).await.unwrap();
    let kv = decode_kv_list(f.payload).unwrap();
    // async is not announced: ACKs always come back on the same connection.
    assert_eq!(
        kv_get(&kv, "capabilities"),
        Some(&TypedData::string("pipelining"))
    );
    s.write_all(&from_hex(include_str!(
        "../../../testdata/spop/2.6-notify-post-17b-body.hex"
    )))
    .await
    .unwrap();
    let ack = read_frame_raw(&mut s).await.unwrap();
    assert_eq!(
        (ack.kind, ack.flags, ack.stream_id, ack.frame_id),
        (FrameType::Ack, FLAG_FIN, 5, 1)
    );
    assert_eq!(fail_of(&ack), 0);
    s.write_all(&notify(
        1442,
        2,
        vec![("path", TypedData::string("/attack"))],
    ))
    .await
    .unwrap();
    let ack = read_frame_raw(&mut s).await.unwrap();
    assert_eq!((ack.stream_id, ack.frame_id), (1442, 2));
    assert_eq!(fail_of(&ack), 1);
}

#[tokio::test]
async fn max_frame_size_is_the_minimum_of_both() {
    let mut o = opts();
    o.max_frame_size = 4096;
    let srv = start(o).await;
    for (offer, expect) in [(1000u32, 1000u32), (16380, 4096)] {
        let mut s = TcpStream::connect(srv.addr).await.unwrap();
        s.write_all(&hello(Some(offer), Some("pipelining"), Some("2.0"), false))
            .await
            .unwrap();
        let f = read_frame_raw(&mut s).await.unwrap();
        let kv = decode_kv_list(f.payload).unwrap();
        assert_eq!(
            kv_get(&kv, "max-frame-size"),
            Some(&TypedData::Uint32(expect))
        );
        // A frame above the negotiated size is refused with status 3.
        let big = notify(
            1,
            1,
            vec![(
                "body",
                TypedData::Binary(Bytes::from(vec![b'x'; expect as usize])),
            )],
        );
        s.write_all(&big).await.unwrap();
        expect_disconnect(&mut s, Status::FrameTooBig).await;
    }
}

#[tokio::test]
async fn bad_hellos_get_the_right_status() {
    let srv = start(opts()).await;
    let cases = [
        (hello(Some(16380), Some(""), None, false), Status::NoVersion),
        (
            hello(Some(16380), Some(""), Some("1.0"), false),
            Status::BadVersion,
        ),
        (
            hello(None, Some(""), Some("2.0"), false),
            Status::NoFrameSize,
        ),
        (
            hello(Some(100), Some(""), Some("2.0"), false),
            Status::BadFrameSize,
        ),
        (
            hello(Some(16380), None, Some("2.0"), false),
            Status::NoCapabilities,
        ),
        (notify(1, 1, vec![]), Status::InvalidFrame),
        (
            {
                let mut f = HaproxyHello::default().to_frame();
                f.flags = 0;
                f.encode()
            },
            Status::FragmentationNotSupported,
        ),
        // HELLO whose KV list is cut in the middle of a value.
        (
            vec![0, 0, 0, 10, 1, 0, 0, 0, 1, 0, 0, 1, b'v', 0x08],
            Status::InvalidFrame,
        ),
    ];
    for (bytes, status) in cases {
        let mut s = TcpStream::connect(srv.addr).await.unwrap();
        s.write_all(&bytes).await.unwrap();
        expect_disconnect(&mut s, status).await;
    }
}

#[tokio::test]
async fn malformed_frames_disconnect_and_other_connections_keep_working() {
    let srv = start(opts()).await;
    let mut bystander = handshake(srv.addr).await;
    let mut typed = notify(1, 1, vec![("path", TypedData::string("/x"))]);
    // Turn the STRING type byte (0x08) into the reserved type 0x0a.
    let pos = typed.iter().rposition(|b| *b == 0x08).unwrap();
    typed[pos] = 0x0a;
    let mut no_fin = Frame::new(FrameType::Notify, 1, 1, Bytes::new());
    no_fin.flags = 0;
    let cases: Vec<(Vec<u8>, Status)> = vec![
        // LENGTH above the negotiated max-frame-size.
        (vec![0x7f, 0xff, 0xff, 0xff, 3], Status::FrameTooBig),
        // LENGTH below the 7-byte minimum.
        (vec![0, 0, 0, 2, 3, 0], Status::InvalidFrame),
        // Unknown frame type 42.
        (vec![0, 0, 0, 7, 42, 0, 0, 0, 1, 0, 0], Status::InvalidFrame),
        // Stream-id varint that never ends inside the frame.
        (
            vec![0, 0, 0, 8, 3, 0, 0, 0, 1, 0xf0, 0xff, 0xff],
            Status::InvalidFrame,
        ),
        // 11-byte varint: overflow.
        (
            [
                &[0u8, 0, 0, 17, 3, 0, 0, 0, 1][..],
                &[0xffu8; 11][..],
                &[0u8][..],
            ]
            .concat(),
            Status::InvalidFrame,
        ),
        // Reserved typed-data type.
        (typed, Status::InvalidFrame),
        // NOTIFY whose argument count exceeds what follows.
        (
            vec![0, 0, 0, 10, 3, 0, 0, 0, 1, 1, 1, 1, b'm', 5],
            Status::InvalidFrame,
        ),
        // Fragment without FIN: fragmentation was not negotiated.
        (no_fin.encode(), Status::FragmentationNotSupported),
        // An agent frame type sent to the agent.
        (
            Frame::new(FrameType::Ack, 1, 1, Bytes::new()).encode(),
            Status::InvalidFrame,
        ),
        // A second HELLO.
        (
            hello(Some(16380), Some(""), Some("2.0"), false),
            Status::InvalidFrame,
        ),
    ];
    for (i, (bytes, status)) in cases.into_iter().enumerate() {
        let mut s = handshake(srv.addr).await;
        s.write_all(&bytes).await.unwrap();
        expect_disconnect(&mut s, status).await;
        // The bystander connection still works.
        bystander
            .write_all(&notify(
                i as u64 + 1,
                1,
                vec![("path", TypedData::string("/attack"))],
            ))
            .await
            .unwrap();
        let ack = read_frame_raw(&mut bystander).await.unwrap();
        assert_eq!(ack.stream_id, i as u64 + 1);
        assert_eq!(fail_of(&ack), 1);
    }
}

#[tokio::test]
async fn truncated_frame_then_eof() {
    let srv = start(opts()).await;
    let mut s = handshake(srv.addr).await;
    let full = notify(1, 1, vec![("path", TypedData::string("/abc"))]);
    s.write_all(&full[..full.len() - 3]).await.unwrap();
    s.shutdown().await.unwrap();
    expect_disconnect(&mut s, Status::Io).await;
}

#[tokio::test]
async fn haproxy_disconnect_is_answered() {
    let srv = start(opts()).await;
    let mut s = handshake(srv.addr).await;
    s.write_all(&from_hex(include_str!(
        "../../../testdata/spop/2.6-disconnect-normal.hex"
    )))
    .await
    .unwrap();
    expect_disconnect(&mut s, Status::Normal).await;
}

#[tokio::test]
async fn pipelined_notifies_run_concurrently_and_ack_in_any_order() {
    let srv = start(opts()).await;
    let mut s = handshake(srv.addr).await;
    let started = Instant::now();
    // Frame 1 is slow; 2..=4 fast: their ACKs overtake it.
    s.write_all(&notify(1, 1, vec![("sleep", TypedData::Int64(600))]))
        .await
        .unwrap();
    for sid in 2..=4 {
        s.write_all(&notify(sid, 1, vec![("sleep", TypedData::Int64(300))]))
            .await
            .unwrap();
    }
    let mut order = Vec::new();
    for _ in 0..4 {
        order.push(read_frame_raw(&mut s).await.unwrap().stream_id);
    }
    assert_eq!(
        order.last(),
        Some(&1),
        "slow frame acknowledged last: {order:?}"
    );
    let mut sorted = order.clone();
    sorted.sort();
    assert_eq!(sorted, [1, 2, 3, 4]);
    // Sequential would take 1.5 s.
    assert!(
        started.elapsed() < Duration::from_millis(1400),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn handler_panic_answers_error_and_keeps_the_connection() {
    let srv = start(opts()).await;
    let mut s = handshake(srv.addr).await;
    s.write_all(&notify(7, 1, vec![("panic", TypedData::Bool(true))]))
        .await
        .unwrap();
    let ack = read_frame_raw(&mut s).await.unwrap();
    assert_eq!(ack.stream_id, 7);
    assert_eq!(decode_actions(ack.payload).unwrap(), error_actions());
    s.write_all(&notify(8, 1, vec![])).await.unwrap();
    assert_eq!(fail_of(&read_frame_raw(&mut s).await.unwrap()), 0);
}

#[tokio::test]
async fn idle_connections_get_a_timeout_disconnect() {
    let mut o = opts();
    o.idle_timeout = Duration::from_millis(200);
    let srv = start(o).await;
    let mut s = handshake(srv.addr).await;
    // In-flight work longer than the idle timeout does not count as idle.
    s.write_all(&notify(1, 1, vec![("sleep", TypedData::Int64(400))]))
        .await
        .unwrap();
    assert_eq!(read_frame_raw(&mut s).await.unwrap().kind, FrameType::Ack);
    expect_disconnect(&mut s, Status::Timeout).await;
}

#[tokio::test]
async fn graceful_shutdown_finishes_in_flight_work_first() {
    let srv = start(opts()).await;
    let mut s = handshake(srv.addr).await;
    s.write_all(&notify(9, 1, vec![("sleep", TypedData::Int64(300))]))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    srv.stop.send(true).unwrap();
    let ack = read_frame_raw(&mut s).await.unwrap();
    assert_eq!((ack.kind, ack.stream_id), (FrameType::Ack, 9));
    expect_disconnect(&mut s, Status::Normal).await;
    srv.task.await.unwrap().unwrap();
    // No longer listening.
    assert!(TcpStream::connect(srv.addr).await.is_err());
}

#[tokio::test]
async fn many_connections() {
    let srv = start(opts()).await;
    let mut tasks = Vec::new();
    for i in 0..64u64 {
        let addr = srv.addr;
        tasks.push(tokio::spawn(async move {
            let mut s = handshake(addr).await;
            for j in 0..5u64 {
                let path = if (i + j) % 2 == 0 { "/attack" } else { "/ok" };
                s.write_all(&notify(j + 1, 1, vec![("path", TypedData::string(path))]))
                    .await
                    .unwrap();
                let ack = read_frame_raw(&mut s).await.unwrap();
                assert_eq!(ack.stream_id, j + 1);
                assert_eq!(fail_of(&ack), ((i + j) % 2 == 0) as i64);
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
}

#[test]
fn oversized_ack_is_slimmed() {
    let actions = vec![
        Action::set_txn("fail", TypedData::Int32(1)),
        Action::set_txn("rule_ids", TypedData::string("9".repeat(1000))),
    ];
    let bytes = ack_frame(1, 1, &actions, 300);
    let f = Frame::decode_with_length(&bytes, 300).unwrap();
    assert_eq!(decode_actions(f.payload).unwrap(), actions[..1]);
    let huge = vec![Action::set_txn("fail", TypedData::string("x".repeat(1000)))];
    let f = Frame::decode_with_length(&ack_frame(1, 1, &huge, 300), 300).unwrap();
    assert_eq!(decode_actions(f.payload).unwrap(), error_actions());
}
