//! Engine benchmarks: CRS load time, per-transaction time on the bench
//! requests at PL1 and PL4, and how cost grows with argument count and body size.
//!
//! `cargo bench --bench engine`; CRS from `CRS_DIR` or `../shared/crs`.

mod common;

use std::time::Duration;

use common::{crs_dir, parse, requests_dir, run, Req};
use coraza::Waf;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

fn crs(pl: u8) -> Waf {
    crs_with(pl, true)
}

fn crs_with(pl: u8, prefilter: bool) -> Waf {
    let crs = crs_dir();
    let b = Waf::builder()
        .directives(coraza::RECOMMENDED_CONF)
        .directives(&format!(
            "SecRuleEngine On\nSecAction \"id:900000,phase:1,pass,nolog,setvar:tx.blocking_paranoia_level={pl}\""
        ))
        .file(crs.join("crs-setup.conf.example"))
        .file(crs.join("rules/*.conf"));
    let b = if prefilter { b } else { b.without_prefilter() };
    b.build().expect("CRS loads")
}

fn requests() -> Vec<(String, Req)> {
    let dir = requests_dir();
    let mut v: Vec<_> = std::fs::read_dir(&dir)
        .expect("bench requests")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "http"))
        .collect();
    v.sort();
    v.into_iter()
        .map(|p| {
            let name = p.file_stem().unwrap().to_string_lossy().into_owned();
            (name, parse(&std::fs::read(&p).unwrap()))
        })
        .collect()
}

fn load(c: &mut Criterion) {
    let mut g = c.benchmark_group("load");
    g.sample_size(10).measurement_time(Duration::from_secs(20));
    g.bench_function("crs_pl1", |b| b.iter(|| crs(1)));
    g.finish();
}

fn transactions(c: &mut Criterion) {
    let reqs = requests();
    for pl in [1u8, 4] {
        let waf = crs(pl);
        let mut g = c.benchmark_group(format!("tx_pl{pl}"));
        for (name, r) in &reqs {
            g.bench_with_input(BenchmarkId::from_parameter(name), r, |b, r| {
                b.iter(|| run(&waf, r))
            });
        }
        g.finish();
    }
}

fn scaling(c: &mut Criterion) {
    // DetectionOnly: every phase runs even when CRS flags the request (1,000
    // arguments trip SecArgumentsLimit's rule 200007), so sizes stay comparable.
    let crs_dir = crs_dir();
    let waf = Waf::builder()
        .directives(coraza::RECOMMENDED_CONF)
        .directives("SecRuleEngine DetectionOnly")
        .file(crs_dir.join("crs-setup.conf.example"))
        .file(crs_dir.join("rules/*.conf"))
        .build()
        .expect("CRS loads");
    let mut g = c.benchmark_group("scale_args");
    for n in [1usize, 10, 100, 1000] {
        let q: Vec<String> = (0..n).map(|i| format!("arg{i}=value{i}")).collect();
        let r = Req {
            method: "GET".into(),
            uri: format!("/search?{}", q.join("&")),
            version: "HTTP/1.1".into(),
            headers: vec![
                ("Host".into(), "example.com".into()),
                ("User-Agent".into(), "bench".into()),
                ("Accept".into(), "*/*".into()),
            ],
            body: Vec::new(),
        };
        g.throughput(Throughput::Elements(n as u64));
        g.bench_with_input(BenchmarkId::from_parameter(n), &r, |b, r| {
            b.iter(|| run(&waf, r))
        });
    }
    g.finish();
    let mut g = c.benchmark_group("scale_body");
    for kib in [1usize, 16, 256, 1024] {
        let text = "lorem ipsum dolor sit amet ".repeat(kib * 1024 / 27 + 1);
        let body = format!("comment={}", &text[..kib * 1024 - 8]).into_bytes();
        let r = Req {
            method: "POST".into(),
            uri: "/comment".into(),
            version: "HTTP/1.1".into(),
            headers: vec![
                ("Host".into(), "example.com".into()),
                ("User-Agent".into(), "bench".into()),
                ("Accept".into(), "*/*".into()),
                (
                    "Content-Type".into(),
                    "application/x-www-form-urlencoded".into(),
                ),
                ("Content-Length".into(), body.len().to_string()),
            ],
            body,
        };
        g.throughput(Throughput::Bytes((kib * 1024) as u64));
        g.sample_size(20);
        g.bench_with_input(
            BenchmarkId::from_parameter(format!("{kib}KiB")),
            &r,
            |b, r| b.iter(|| run(&waf, r)),
        );
    }
    g.finish();
}

/// The literal prefilter on and off, same requests, same run.
fn prefilter(c: &mut Criterion) {
    let reqs = requests();
    let mut g = c.benchmark_group("prefilter_pl1");
    for on in [true, false] {
        let waf = crs_with(1, on);
        for (name, r) in &reqs {
            let id = format!("{}/{name}", if on { "on" } else { "off" });
            g.bench_with_input(BenchmarkId::from_parameter(id), r, |b, r| {
                b.iter(|| run(&waf, r))
            });
        }
    }
    g.finish();
}

criterion_group!(benches, load, transactions, scaling, prefilter);
criterion_main!(benches);
