//! The SPOP server: one tokio task per HAProxy connection.
//!
//! Each connection does the HELLO handshake, then reads frames in a loop.
//! NOTIFY frames are decoded on the reactor (cheap, and malformed ones are
//! rejected at once), then evaluated on tokio's blocking pool; a semaphore
//! bounds how many evaluations run at once across all connections, which
//! also pushes back on readers when the engine is saturated. ACKs go
//! through one writer task per connection so frames never interleave, and
//! may leave in any order (pipelining).

use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch, Notify, Semaphore};
use tokio::task::JoinSet;

use crate::metrics::METRICS;
use crate::spop::{
    decode_messages, encode_actions, Action, AgentHello, DecodeError, Disconnect, Frame, FrameType,
    HaproxyHello, Message, Status, TypedData, DEFAULT_MAX_FRAME_SIZE, MIN_MAX_FRAME_SIZE,
};

/// Turns the messages of one NOTIFY into the actions of its ACK. Runs on a
/// blocking thread; may take as long as the rules need.
pub trait Handler: Send + Sync + 'static {
    /// Evaluates every message of one NOTIFY.
    fn handle(&self, messages: Vec<Message>) -> Vec<Action>;
}

/// The ACK sent when the handler failed (panicked): HAProxy sets
/// `txn.<prefix>.error`, which `option set-on-error error` also uses.
pub fn error_actions() -> Vec<Action> {
    vec![Action::set_txn("error", TypedData::Int32(ERROR_VALUE))]
}

/// Value of the `error` variable when the agent itself failed: above
/// HAProxy's own codes (1..5, 255 and 256+N) so it can be told apart.
pub const ERROR_VALUE: i32 = 1000;

/// Server tuning.
#[derive(Debug, Clone)]
pub struct ServerOptions {
    /// Largest frame we accept/announce (HAProxy's offer is lowered to it).
    pub max_frame_size: u32,
    /// A connection without frames and without work in flight for this long
    /// gets DISCONNECT status 2.
    pub idle_timeout: Duration,
    /// How long HAProxy has to send its HELLO, and to finish a frame once
    /// its first byte arrived.
    pub frame_timeout: Duration,
    /// Evaluations running at once (all connections together).
    pub workers: usize,
    /// On shutdown, how long in-flight evaluations may take before
    /// connections are closed anyway.
    pub drain_timeout: Duration,
}

impl Default for ServerOptions {
    fn default() -> Self {
        ServerOptions {
            // Enough for `tune.bufsize` up to 1 MiB (64 KiB bodies need ~70 KB).
            max_frame_size: 1 << 20,
            idle_timeout: Duration::from_secs(300),
            frame_timeout: Duration::from_secs(30),
            workers: std::thread::available_parallelism().map_or(4, |n| n.get() * 2),
            drain_timeout: Duration::from_secs(30),
        }
    }
}

struct Shared<H> {
    handler: Arc<H>,
    opts: ServerOptions,
    permits: Arc<Semaphore>,
}

/// Accepts connections until `shutdown` turns true, then lets every
/// connection finish its in-flight work and say goodbye (bounded by
/// `drain_timeout`).
pub async fn serve<H: Handler>(
    listener: TcpListener,
    handler: Arc<H>,
    opts: ServerOptions,
    mut shutdown: watch::Receiver<bool>,
) -> io::Result<()> {
    let shared = Arc::new(Shared {
        handler,
        permits: Arc::new(Semaphore::new(opts.workers.max(1))),
        opts,
    });
    let mut conns = JoinSet::new();
    loop {
        tokio::select! {
            changed = shutdown.changed() => {
                if changed.is_err() || *shutdown.borrow() {
                    break;
                }
            }
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
            accepted = listener.accept() => {
                match accepted {
                    Ok((stream, peer)) => {
                        let _ = stream.set_nodelay(true);
                        tracing::debug!(%peer, "SPOP connection accepted");
                        conns.spawn(connection(stream, shared.clone(), shutdown.clone()));
                    }
                    Err(e) => {
                        // EMFILE and friends: back off instead of spinning.
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                }
            }
        }
    }
    drop(listener);
    let deadline = shared.opts.drain_timeout + Duration::from_secs(1);
    if tokio::time::timeout(deadline, async {
        while conns.join_next().await.is_some() {}
    })
    .await
    .is_err()
    {
        tracing::warn!("connections still open after the drain timeout; closing them");
        conns.shutdown().await;
    }
    Ok(())
}

/// What the writer task is asked to do.
enum Out {
    Frame(Vec<u8>),
    /// Write nothing more, close the socket.
    Close,
}

/// Why reading a frame stopped.
enum ReadError {
    /// Clean EOF between frames.
    Eof,
    /// EOF in the middle of a frame.
    Truncated,
    Io(io::Error),
    Timeout,
    Decode(DecodeError),
}

async fn read_frame<R: tokio::io::AsyncRead + Unpin>(
    rd: &mut BufReader<R>,
    max: u32,
    frame_timeout: Duration,
) -> Result<Frame, ReadError> {
    let fut = async {
        let mut prefix = [0u8; 4];
        let mut got = 0;
        while got < 4 {
            match rd.read(&mut prefix[got..]).await {
                Ok(0) if got == 0 => return Err(ReadError::Eof),
                Ok(0) => return Err(ReadError::Truncated),
                Ok(n) => got += n,
                Err(e) => return Err(ReadError::Io(e)),
            }
        }
        let len = Frame::check_length(prefix, max).map_err(ReadError::Decode)?;
        let mut body = BytesMut::zeroed(len);
        match rd.read_exact(&mut body).await {
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Err(ReadError::Truncated),
            Err(e) => return Err(ReadError::Io(e)),
        }
        Frame::decode(body.freeze()).map_err(ReadError::Decode)
    };
    tokio::time::timeout(frame_timeout, fut)
        .await
        .unwrap_or(Err(ReadError::Timeout))
}

/// Tracks evaluations in flight on one connection.
#[derive(Default)]
struct InFlight {
    n: AtomicUsize,
    idle: Notify,
}

impl InFlight {
    fn start(&self) {
        self.n.fetch_add(1, Ordering::SeqCst);
    }
    fn done(&self) {
        if self.n.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.idle.notify_waiters();
        }
    }
    fn count(&self) -> usize {
        self.n.load(Ordering::SeqCst)
    }
    async fn wait_idle(&self) {
        loop {
            let notified = self.idle.notified();
            if self.count() == 0 {
                return;
            }
            notified.await;
        }
    }
}

async fn writer(mut wr: tokio::net::tcp::OwnedWriteHalf, mut rx: mpsc::Receiver<Out>) {
    while let Some(out) = rx.recv().await {
        match out {
            Out::Frame(bytes) => {
                if let Err(e) = wr.write_all(&bytes).await {
                    tracing::debug!(error = %e, "SPOP write failed");
                    break;
                }
            }
            Out::Close => break,
        }
    }
    let _ = wr.shutdown().await;
}

/// Sends AGENT-DISCONNECT with `status`, then closes.
async fn disconnect(tx: &mpsc::Sender<Out>, status: Status, detail: &str) {
    let mut d = Disconnect::new(status);
    if !detail.is_empty() {
        d.message = format!("{}: {detail}", status.message());
    }
    let _ = tx.send(Out::Frame(d.to_agent_frame().encode())).await;
    let _ = tx.send(Out::Close).await;
}

async fn connection<H: Handler>(
    stream: TcpStream,
    shared: Arc<Shared<H>>,
    mut shutdown: watch::Receiver<bool>,
) {
    METRICS.connection_opened();
    let peer = stream.peer_addr().ok();
    let (rd, wr) = stream.into_split();
    let mut rd = BufReader::with_capacity(64 * 1024, rd);
    let (tx, rx) = mpsc::channel::<Out>(64);
    let writer_task = tokio::spawn(writer(wr, rx));
    run_connection(&mut rd, &tx, &shared, &mut shutdown).await;
    drop(tx);
    let _ = writer_task.await;
    METRICS.connection_closed();
    tracing::debug!(peer = ?peer, "SPOP connection closed");
}

/// Reports a protocol error to the peer and in the logs.
async fn protocol_error(tx: &mpsc::Sender<Out>, e: &DecodeError, when: &str) {
    METRICS.frame_error();
    tracing::warn!(error = %e, status = e.status().code(), "malformed SPOP frame {when}; disconnecting");
    disconnect(tx, e.status(), &e.to_string()).await;
}

async fn run_connection<H: Handler>(
    rd: &mut BufReader<tokio::net::tcp::OwnedReadHalf>,
    tx: &mpsc::Sender<Out>,
    shared: &Arc<Shared<H>>,
    shutdown: &mut watch::Receiver<bool>,
) {
    let opts = &shared.opts;
    // ---- handshake ----
    let cap = opts.max_frame_size.max(DEFAULT_MAX_FRAME_SIZE);
    let first = match read_frame(rd, cap, opts.frame_timeout).await {
        Ok(f) => f,
        Err(ReadError::Decode(e)) => return protocol_error(tx, &e, "before HELLO").await,
        Err(ReadError::Timeout) => return disconnect(tx, Status::Timeout, "").await,
        Err(ReadError::Truncated) => return disconnect(tx, Status::Io, "truncated frame").await,
        Err(ReadError::Io(e)) => return tracing::debug!(error = %e, "SPOP read failed"),
        Err(ReadError::Eof) => return,
    };
    if first.kind != FrameType::HaproxyHello {
        METRICS.frame_error();
        tracing::warn!(kind = ?first.kind, "first frame is not HAPROXY-HELLO");
        return disconnect(tx, Status::InvalidFrame, "expected HAPROXY-HELLO").await;
    }
    if !first.is_fin() {
        METRICS.frame_error();
        tracing::warn!("fragmented HAPROXY-HELLO");
        return disconnect(tx, Status::FragmentationNotSupported, "").await;
    }
    let hello = match HaproxyHello::decode(first.payload) {
        Ok(h) => h,
        Err(e) => return protocol_error(tx, &e, "in HELLO").await,
    };
    let refuse = if hello.supported_versions.is_none() {
        Some(Status::NoVersion)
    } else if !hello.offers_v2() {
        Some(Status::BadVersion)
    } else if hello.max_frame_size.is_none() {
        Some(Status::NoFrameSize)
    } else if hello.max_frame_size.unwrap_or(0) < MIN_MAX_FRAME_SIZE {
        Some(Status::BadFrameSize)
    } else if hello.capabilities.is_none() {
        Some(Status::NoCapabilities)
    } else {
        None
    };
    if let Some(status) = refuse {
        METRICS.frame_error();
        tracing::warn!(
            status = status.code(),
            "refusing HAPROXY-HELLO: {}",
            status.message()
        );
        return disconnect(tx, status, "").await;
    }
    let max_frame = hello
        .max_frame_size
        .unwrap_or(DEFAULT_MAX_FRAME_SIZE)
        .min(opts.max_frame_size);
    let mut caps = Vec::new();
    if hello.has_capability("pipelining") {
        caps.push("pipelining".to_string());
    }
    let reply = AgentHello {
        max_frame_size: max_frame,
        capabilities: caps,
    };
    if tx
        .send(Out::Frame(reply.to_frame().encode()))
        .await
        .is_err()
    {
        return;
    }
    if hello.healthcheck {
        tracing::trace!("SPOP health check answered");
        let _ = tx.send(Out::Close).await;
        return;
    }
    tracing::debug!(engine_id = ?hello.engine_id, max_frame, "SPOP handshake done");

    // ---- frames ----
    let inflight = Arc::new(InFlight::default());
    loop {
        // Wait for the next frame's first byte without consuming anything
        // (fill_buf is cancel-safe), so idle timeouts and shutdown cannot
        // cut a frame in half.
        let ready = tokio::select! {
            biased;
            changed = shutdown.changed() => {
                if changed.is_err() || *shutdown.borrow() {
                    let _ = tokio::time::timeout(opts.drain_timeout, inflight.wait_idle()).await;
                    disconnect(tx, Status::Normal, "").await;
                    return;
                }
                continue;
            }
            r = tokio::time::timeout(opts.idle_timeout, rd.fill_buf()) => r,
        };
        match ready {
            Err(_) if inflight.count() > 0 => continue,
            Err(_) => {
                tracing::debug!("idle SPOP connection; disconnecting");
                return disconnect(tx, Status::Timeout, "").await;
            }
            Ok(Err(e)) => {
                tracing::debug!(error = %e, "SPOP read failed");
                return;
            }
            Ok(Ok([])) => return, // EOF between frames: normal
            Ok(Ok(_)) => {}
        }
        let frame = match read_frame(rd, max_frame, opts.frame_timeout).await {
            Ok(f) => f,
            Err(ReadError::Decode(e)) => return protocol_error(tx, &e, "").await,
            Err(ReadError::Truncated) => {
                METRICS.frame_error();
                tracing::warn!("connection closed in the middle of a frame");
                return disconnect(tx, Status::Io, "truncated frame").await;
            }
            Err(ReadError::Timeout) => return disconnect(tx, Status::Timeout, "").await,
            Err(ReadError::Io(e)) => return tracing::debug!(error = %e, "SPOP read failed"),
            Err(ReadError::Eof) => return,
        };
        match frame.kind {
            FrameType::Notify => {
                if !frame.is_fin() {
                    METRICS.frame_error();
                    tracing::warn!(
                        "fragmented NOTIFY received but fragmentation was not negotiated"
                    );
                    return disconnect(tx, Status::FragmentationNotSupported, "").await;
                }
                if frame.is_abort() {
                    // Cancels a fragmented payload; we never have one pending.
                    continue;
                }
                let messages = match decode_messages(frame.payload) {
                    Ok(m) => m,
                    Err(e) => return protocol_error(tx, &e, "in NOTIFY").await,
                };
                let Ok(permit) = shared.permits.clone().acquire_owned().await else {
                    return;
                };
                inflight.start();
                let handler = shared.handler.clone();
                let tx = tx.clone();
                let inflight = inflight.clone();
                let (sid, fid) = (frame.stream_id, frame.frame_id);
                tokio::spawn(async move {
                    let started = Instant::now();
                    let result =
                        tokio::task::spawn_blocking(move || handler.handle(messages)).await;
                    drop(permit);
                    let actions = result.unwrap_or_else(|e| {
                        tracing::error!(error = %e, "message handler failed");
                        error_actions()
                    });
                    METRICS.observe(started.elapsed());
                    let ack = ack_frame(sid, fid, &actions, max_frame);
                    let _ = tx.send(Out::Frame(ack)).await;
                    inflight.done();
                });
            }
            FrameType::HaproxyDisconnect => {
                let d = Disconnect::decode(frame.payload)
                    .unwrap_or(Disconnect::new(Status::Unknown(99)));
                tracing::debug!(status = d.status.code(), message = %d.message, "HAProxy disconnects");
                return disconnect(tx, Status::Normal, "").await;
            }
            other => {
                METRICS.frame_error();
                tracing::warn!(kind = ?other, "unexpected SPOP frame type; disconnecting");
                return disconnect(tx, Status::InvalidFrame, "unexpected frame type").await;
            }
        }
    }
}

/// Encodes the ACK, dropping bulky variables if it would not fit the
/// negotiated frame size (HAProxy would refuse the whole frame).
pub fn ack_frame(stream_id: u64, frame_id: u64, actions: &[Action], max_frame: u32) -> Vec<u8> {
    let build = |acts: &[Action]| {
        let mut payload = Vec::new();
        encode_actions(acts, &mut payload);
        Frame::new(FrameType::Ack, stream_id, frame_id, Bytes::from(payload))
    };
    let frame = build(actions);
    if frame.encoded_len() <= max_frame as usize {
        return frame.encode();
    }
    tracing::warn!("ACK too big for max-frame-size {max_frame}; dropping rule_ids and data");
    let slim: Vec<Action> = actions
        .iter()
        .filter(|a| !matches!(a.name(), "rule_ids" | "data"))
        .cloned()
        .collect();
    let frame = build(&slim);
    if frame.encoded_len() <= max_frame as usize {
        return frame.encode();
    }
    build(&error_actions()).encode()
}

#[cfg(test)]
mod tests;
