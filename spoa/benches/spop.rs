//! SPOP codec: decode and encode of a NOTIFY carrying `coraza-req` with a
//! 1 KiB and a 64 KiB body, and an ACK with the usual set-var actions.
//!
//! `cargo bench -p coraza-spoa --bench spop`

use bytes::Bytes;
use coraza_spoa::spop::{
    decode_messages, encode_actions, encode_messages, encode_name, Action, Frame, FrameType,
    Message, TypedData,
};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

/// HAProxy's `req.hdrs_bin`: length-prefixed name/value pairs, empty name ends.
fn hdrs_bin() -> Bytes {
    let mut out = Vec::new();
    for (k, v) in [
        ("host", "shop.example.com"),
        (
            "user-agent",
            "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
        ),
        ("accept", "text/html,application/xhtml+xml"),
        ("content-type", "application/x-www-form-urlencoded"),
    ] {
        for s in [k, v] {
            // Varint length then the bytes, as SPOP writes names.
            encode_name(s.as_bytes(), &mut out);
        }
    }
    out.extend_from_slice(&[0, 0]);
    Bytes::from(out)
}

fn notify(body_len: usize) -> Frame {
    let s = |v: &str| TypedData::String(Bytes::copy_from_slice(v.as_bytes()));
    let msg = Message {
        name: Bytes::from_static(b"coraza-req"),
        args: vec![
            (Bytes::from_static(b"app"), s("default")),
            (
                Bytes::from_static(b"id"),
                s("a3f1c2d4-0000-4000-8000-123456789abc"),
            ),
            (
                Bytes::from_static(b"src-ip"),
                TypedData::Ipv4("192.0.2.10".parse().unwrap()),
            ),
            (Bytes::from_static(b"src-port"), TypedData::Int32(40000)),
            (Bytes::from_static(b"method"), s("POST")),
            (Bytes::from_static(b"path"), s("/comment")),
            (Bytes::from_static(b"query"), s("page=2")),
            (Bytes::from_static(b"version"), s("1.1")),
            (
                Bytes::from_static(b"headers"),
                TypedData::Binary(hdrs_bin()),
            ),
            (
                Bytes::from(b"body".to_vec()),
                TypedData::Binary(Bytes::from(vec![b'a'; body_len])),
            ),
        ],
    };
    let mut payload = Vec::new();
    encode_messages(&[msg], &mut payload);
    Frame::new(FrameType::Notify, 7, 1, Bytes::from(payload))
}

fn codec(c: &mut Criterion) {
    let mut g = c.benchmark_group("notify");
    for (label, len) in [("1KiB", 1024usize), ("64KiB", 64 * 1024)] {
        let frame = notify(len);
        let wire = frame.encode();
        g.throughput(Throughput::Bytes(wire.len() as u64));
        g.bench_with_input(BenchmarkId::new("decode", label), &wire, |b, wire| {
            b.iter(|| {
                let f = Frame::decode_with_length(wire, 1 << 20).expect("valid frame");
                decode_messages(f.payload).expect("valid messages")
            })
        });
        g.bench_with_input(BenchmarkId::new("encode", label), &frame, |b, f| {
            b.iter(|| f.encode())
        });
    }
    g.finish();
    c.bench_function("ack/encode", |b| {
        b.iter(|| {
            let actions = [
                Action::set_txn(
                    "id",
                    TypedData::string("a3f1c2d4-0000-4000-8000-123456789abc"),
                ),
                Action::set_txn("fail", TypedData::Int32(1)),
                Action::set_txn("action", TypedData::string("deny")),
                Action::set_txn("status", TypedData::Int32(403)),
                Action::set_txn("ruleid", TypedData::Int32(949110)),
            ];
            let mut payload = Vec::new();
            encode_actions(&actions, &mut payload);
            Frame::new(FrameType::Ack, 7, 1, Bytes::from(payload)).encode()
        })
    });
}

criterion_group!(benches, codec);
criterion_main!(benches);
