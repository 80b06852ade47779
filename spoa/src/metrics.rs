//! Process-wide counters and the `coraza_handle_spoe_duration_seconds`
//! histogram, rendered in the Prometheus text format by a tiny HTTP/1.0
//! responder (opt-in with `metrics_bind`).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// Histogram upper bounds in seconds (Prometheus' default buckets).
const BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// A verdict for counting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// No interruption.
    Pass,
    /// `deny`.
    Deny,
    /// `drop`.
    Drop,
    /// `redirect`.
    Redirect,
    /// Internal failure (answered with the `error` variable).
    Error,
}

/// All metrics of the process.
pub struct Metrics {
    verdicts: [AtomicU64; 5],
    buckets: [AtomicU64; BUCKETS.len()],
    duration_count: AtomicU64,
    duration_sum_micros: AtomicU64,
    frame_errors: AtomicU64,
    connections: AtomicU64,
    connections_open: AtomicU64,
}

/// The process' metrics.
pub static METRICS: Metrics = Metrics::new();

impl Metrics {
    #[allow(clippy::declare_interior_mutable_const)]
    const ZERO: AtomicU64 = AtomicU64::new(0);

    const fn new() -> Metrics {
        Metrics {
            verdicts: [Self::ZERO; 5],
            buckets: [Self::ZERO; BUCKETS.len()],
            duration_count: AtomicU64::new(0),
            duration_sum_micros: AtomicU64::new(0),
            frame_errors: AtomicU64::new(0),
            connections: AtomicU64::new(0),
            connections_open: AtomicU64::new(0),
        }
    }

    /// Counts one evaluated message.
    pub fn verdict(&self, v: Verdict) {
        self.verdicts[v as usize].fetch_add(1, Ordering::Relaxed);
    }

    /// Records how long one NOTIFY took to handle.
    pub fn observe(&self, d: Duration) {
        let secs = d.as_secs_f64();
        for (i, b) in BUCKETS.iter().enumerate() {
            if secs <= *b {
                self.buckets[i].fetch_add(1, Ordering::Relaxed);
            }
        }
        self.duration_count.fetch_add(1, Ordering::Relaxed);
        self.duration_sum_micros.fetch_add(
            d.as_micros().min(u128::from(u64::MAX)) as u64,
            Ordering::Relaxed,
        );
    }

    /// Counts a malformed frame / protocol error.
    pub fn frame_error(&self) {
        self.frame_errors.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts an accepted connection.
    pub fn connection_opened(&self) {
        self.connections.fetch_add(1, Ordering::Relaxed);
        self.connections_open.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a closed connection.
    pub fn connection_closed(&self) {
        self.connections_open.fetch_sub(1, Ordering::Relaxed);
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut s = String::new();
        s.push_str("# HELP coraza_spoa_verdicts_total Messages evaluated, by verdict.\n");
        s.push_str("# TYPE coraza_spoa_verdicts_total counter\n");
        for (i, name) in ["pass", "deny", "drop", "redirect", "error"]
            .iter()
            .enumerate()
        {
            let v = self.verdicts[i].load(Ordering::Relaxed);
            s.push_str(&format!(
                "coraza_spoa_verdicts_total{{verdict=\"{name}\"}} {v}\n"
            ));
        }
        s.push_str("# HELP coraza_handle_spoe_duration_seconds Duration of Coraza SPOE handling\n");
        s.push_str("# TYPE coraza_handle_spoe_duration_seconds histogram\n");
        for (i, b) in BUCKETS.iter().enumerate() {
            let v = self.buckets[i].load(Ordering::Relaxed);
            s.push_str(&format!(
                "coraza_handle_spoe_duration_seconds_bucket{{le=\"{b}\"}} {v}\n"
            ));
        }
        let count = self.duration_count.load(Ordering::Relaxed);
        let sum = self.duration_sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
        s.push_str(&format!(
            "coraza_handle_spoe_duration_seconds_bucket{{le=\"+Inf\"}} {count}\n"
        ));
        s.push_str(&format!("coraza_handle_spoe_duration_seconds_sum {sum}\n"));
        s.push_str(&format!(
            "coraza_handle_spoe_duration_seconds_count {count}\n"
        ));
        s.push_str("# HELP coraza_spoa_frame_errors_total Malformed frames and protocol errors.\n");
        s.push_str("# TYPE coraza_spoa_frame_errors_total counter\n");
        s.push_str(&format!(
            "coraza_spoa_frame_errors_total {}\n",
            self.frame_errors.load(Ordering::Relaxed)
        ));
        s.push_str("# HELP coraza_spoa_connections_total SPOP connections accepted.\n");
        s.push_str("# TYPE coraza_spoa_connections_total counter\n");
        s.push_str(&format!(
            "coraza_spoa_connections_total {}\n",
            self.connections.load(Ordering::Relaxed)
        ));
        s.push_str("# HELP coraza_spoa_connections_open SPOP connections open now.\n");
        s.push_str("# TYPE coraza_spoa_connections_open gauge\n");
        s.push_str(&format!(
            "coraza_spoa_connections_open {}\n",
            self.connections_open.load(Ordering::Relaxed)
        ));
        s
    }
}

/// Serves `GET /metrics` (any other path: 404) until the task is dropped.
pub async fn serve(listener: TcpListener) {
    loop {
        let Ok((mut sock, _)) = listener.accept().await else {
            continue;
        };
        tokio::spawn(async move {
            let mut buf = vec![0u8; 2048];
            let mut n = 0;
            // Read until the end of the request head (or a full buffer).
            let read = tokio::time::timeout(Duration::from_secs(5), async {
                while n < buf.len() {
                    match sock.read(&mut buf[n..]).await {
                        Ok(0) | Err(_) => break,
                        Ok(k) => n += k,
                    }
                    if buf[..n].windows(4).any(|w| w == b"\r\n\r\n") || buf[..n].ends_with(b"\n\n")
                    {
                        break;
                    }
                }
            })
            .await;
            if read.is_err() {
                return;
            }
            let head = &buf[..n];
            let ok = head.starts_with(b"GET /metrics ") || head.starts_with(b"GET /metrics?");
            let resp = if ok {
                let body = METRICS.render();
                format!(
                    "HTTP/1.0 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: {}\r\n\r\n{}",
                    body.len(),
                    body
                )
            } else {
                "HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n".to_string()
            };
            let _ = sock.write_all(resp.as_bytes()).await;
            let _ = sock.shutdown().await;
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn render_has_histogram_and_counts() {
        let m = Metrics::new();
        m.verdict(Verdict::Deny);
        m.observe(Duration::from_millis(20));
        let s = m.render();
        assert!(s.contains("coraza_spoa_verdicts_total{verdict=\"deny\"} 1"));
        assert!(s.contains("coraza_handle_spoe_duration_seconds_bucket{le=\"0.01\"} 0"));
        assert!(s.contains("coraza_handle_spoe_duration_seconds_bucket{le=\"0.025\"} 1"));
        assert!(s.contains("coraza_handle_spoe_duration_seconds_count 1"));
    }

    #[tokio::test]
    async fn http_endpoint() {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        let task = tokio::spawn(serve(l));
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        s.write_all(b"GET /metrics HTTP/1.0\r\n\r\n").await.unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).await.unwrap();
        assert!(out.starts_with("HTTP/1.0 200 OK"));
        assert!(out.contains("coraza_handle_spoe_duration_seconds_count"));
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        s.write_all(b"GET / HTTP/1.0\r\n\r\n").await.unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).await.unwrap();
        assert!(out.starts_with("HTTP/1.0 404"));
        task.abort();
    }
}
