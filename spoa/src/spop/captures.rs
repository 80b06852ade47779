//! Decoding real frames captured from HAProxy 2.6.12 and 3.4.0
//! (`testdata/spop/*.hex`), and re-encoding them byte for byte.

use std::net::{Ipv4Addr, Ipv6Addr};

use bytes::Bytes;

use super::tests_support::{from_hex, to_hex};
use super::*;

macro_rules! capture {
    ($name:literal) => {
        from_hex(include_str!(concat!(
            "../../../testdata/spop/",
            $name,
            ".hex"
        )))
    };
}

fn frame(bytes: &[u8]) -> Frame {
    let f = Frame::decode_with_length(bytes, DEFAULT_MAX_FRAME_SIZE).expect("decodes");
    assert_eq!(f.encode(), bytes, "re-encodes identically");
    f
}

#[test]
fn healthcheck_hello() {
    let f = frame(&capture!("2.6-hello-healthcheck"));
    assert_eq!(
        (f.kind, f.flags, f.stream_id, f.frame_id),
        (FrameType::HaproxyHello, FLAG_FIN, 0, 0)
    );
    let h = HaproxyHello::decode(f.payload).unwrap();
    assert!(h.healthcheck && h.offers_v2());
    assert_eq!(h.max_frame_size, Some(16380));
    assert_eq!(h.capabilities, Some(vec![]));
    assert_eq!(h.engine_id, None);
    // Re-encoding the parsed hello gives the same bytes (same key order).
    assert_eq!(h.to_frame().encode(), capture!("2.6-hello-healthcheck"));
}

#[test]
fn normal_hellos() {
    let h = HaproxyHello::decode(frame(&capture!("2.6-hello")).payload).unwrap();
    assert!(h.has_capability("pipelining") && h.has_capability("async"));
    assert_eq!(
        h.engine_id.as_deref(),
        Some("e3c9642f-fdf0-4a35-8bc4-ffc826ab14ae")
    );
    assert!(!h.healthcheck);
    let h = HaproxyHello::decode(frame(&capture!("3.4-hello")).payload).unwrap();
    assert_eq!(h.capabilities, Some(vec!["pipelining".to_string()]));
}

#[test]
fn probe_agent_frames() {
    let ours = AgentHello {
        max_frame_size: 16380,
        capabilities: vec!["pipelining".into()],
    };
    assert_eq!(ours.to_frame().encode(), capture!("probe-agent-hello"));
    assert_eq!(
        Disconnect::new(Status::Normal).to_agent_frame().encode(),
        capture!("probe-agent-disconnect-normal")
    );
    let ack = frame(&capture!("probe-ack-two-setvars"));
    assert_eq!(
        (ack.kind, ack.stream_id, ack.frame_id),
        (FrameType::Ack, 5, 1)
    );
    let actions = decode_actions(ack.payload.clone()).unwrap();
    assert_eq!(
        actions,
        vec![
            Action::set_txn("fail", TypedData::Int32(0)),
            Action::set_txn("bodylen", TypedData::Uint32(17)),
        ]
    );
    let mut payload = Vec::new();
    encode_actions(&actions, &mut payload);
    assert_eq!(to_hex(&payload), to_hex(&ack.payload));
}

#[test]
fn notify_with_body() {
    for (name, bytes, sid) in [
        ("2.6", capture!("2.6-notify-post-17b-body"), 5),
        ("3.4", capture!("3.4-notify-post-17b-body"), 1),
    ] {
        let f = frame(&bytes);
        assert_eq!(
            (f.kind, f.stream_id, f.frame_id),
            (FrameType::Notify, sid, 1),
            "{name}"
        );
        let msgs = decode_messages(f.payload).unwrap();
        assert_eq!(msgs.len(), 1);
        let m = &msgs[0];
        assert_eq!(m.name_str(), "coraza-req");
        assert_eq!(m.args.len(), 12);
        assert_eq!(m.arg("app"), Some(&TypedData::string("sample_app")));
        assert_eq!(m.arg("src-ip"), Some(&TypedData::Ipv4(Ipv4Addr::LOCALHOST)));
        assert_eq!(m.arg("dst-port").and_then(TypedData::as_int), Some(8081));
        assert_eq!(m.arg("method"), Some(&TypedData::string("POST")));
        assert_eq!(m.arg("path"), Some(&TypedData::string("/form")));
        assert_eq!(m.arg("query"), Some(&TypedData::string("q=1")));
        assert_eq!(m.arg("version"), Some(&TypedData::string("1.1")));
        let headers = m.arg("headers").and_then(TypedData::as_bytes).unwrap();
        assert!(headers.starts_with(b"host: 127.0.0.1:8081\r\n"));
        assert!(headers.ends_with(b"content-length: 17\r\n\r\n"));
        assert_eq!(
            m.arg("body"),
            Some(&TypedData::Binary(Bytes::from(vec![b'a'; 17])))
        );
    }
}

#[test]
fn notify_two_messages_all_types() {
    let f = frame(&capture!("2.6-notify-two-messages-typed"));
    let msgs = decode_messages(f.payload).unwrap();
    assert_eq!(msgs.len(), 2);
    assert_eq!(msgs[0].arg("body"), Some(&TypedData::Binary(Bytes::new())));
    let p = &msgs[1];
    assert_eq!(p.name_str(), "probe-types");
    let bin = p.arg("hdrsbin").and_then(TypedData::as_bytes).unwrap();
    assert!(bin.ends_with(&[0, 0]));
    assert_eq!(p.arg("t"), Some(&TypedData::Bool(true)));
    assert_eq!(p.arg("f"), Some(&TypedData::Bool(false)));
    assert_eq!(p.arg("neg"), Some(&TypedData::Int64(-5)));
    assert_eq!(p.arg("big"), Some(&TypedData::Int64(100_000)));
    assert_eq!(p.arg("ip6"), Some(&TypedData::Ipv6(Ipv6Addr::LOCALHOST)));
    assert_eq!(
        p.arg("ip4"),
        Some(&TypedData::Ipv4(Ipv4Addr::new(10, 1, 2, 3)))
    );
    assert_eq!(p.arg(""), Some(&TypedData::Ipv4(Ipv4Addr::LOCALHOST)));
    assert_eq!(p.arg("nosuch"), Some(&TypedData::Null));
}

#[test]
fn notify_attack_get() {
    for bytes in [
        capture!("2.6-notify-attack-get"),
        capture!("3.4-notify-attack-get"),
    ] {
        let msgs = decode_messages(frame(&bytes).payload).unwrap();
        assert_eq!(msgs[0].arg("path"), Some(&TypedData::string("/attack")));
    }
}

#[test]
fn haproxy_disconnects() {
    let d = Disconnect::decode(frame(&capture!("2.6-disconnect-normal")).payload).unwrap();
    assert_eq!((d.status, d.message.as_str()), (Status::Normal, "normal"));
    let f = frame(&capture!("2.6-disconnect-timeout"));
    assert_eq!(f.kind, FrameType::HaproxyDisconnect);
    let d = Disconnect::decode(f.payload).unwrap();
    assert_eq!(
        (d.status, d.message.as_str()),
        (Status::Timeout, "a timeout occurred")
    );
}

#[test]
fn every_truncation_of_a_capture_is_an_error_not_a_panic() {
    let bytes = capture!("2.6-notify-two-messages-typed");
    let f = frame(&bytes);
    for cut in 0..f.payload.len() {
        let _ = decode_messages(f.payload.slice(..cut));
    }
    for cut in 0..bytes.len() {
        assert!(Frame::decode_with_length(&bytes[..cut], 16380).is_err());
    }
    // Flipping any single byte never panics either.
    for i in 0..f.payload.len() {
        let mut p = f.payload.to_vec();
        p[i] ^= 0xff;
        let _ = decode_messages(Bytes::from(p));
    }
}

#[test]
fn random_bytes_never_panic() {
    // xorshift: deterministic, no dependency.
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for _ in 0..20_000 {
        let len = (next() % 64) as usize;
        let bytes: Vec<u8> = (0..len).map(|_| next() as u8).collect();
        let b = Bytes::from(bytes.clone());
        let _ = Frame::decode(b.clone());
        let _ = decode_messages(b.clone());
        let _ = decode_kv_list(b.clone());
        let _ = decode_actions(b.clone());
        let _ = HaproxyHello::decode(b.clone());
        let _ = Disconnect::decode(b);
        let _ = varint::decode(&bytes);
    }
}
