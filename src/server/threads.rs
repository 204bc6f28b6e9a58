//! The HTTP threads: single-threaded runtimes, each serving the connections it is handed, with
//! the limits every connection is held to. One acceptor on the caller's runtime deals
//! connections out in turn and refuses those beyond the connection cap.
//!
//! Why not serve on tokio's multi-threaded runtime: when a request wakes one of its workers,
//! that worker wakes another to look for work too, on every request. On two cores that second
//! wake-up cost a point lookup about a fifth of its latency (BENCHMARKS.md). Here a connection
//! lives on one thread from accept to close, as in the oxigraph server, and a request wakes
//! nothing else. Handlers never block these threads for long: evaluations go to worker processes
//! or a blocking pool, index searches and storage writes to a blocking pool, crawls to the main
//! runtime; the only inline work is a point lookup of at most `stream::INLINE_ROWS` rows.
//! Dealing in turn (not letting the threads race to accept) keeps a burst of new connections
//! from landing on whichever thread happened to be awake.
//!
//! Why more threads than cores (`http_threads`, default four per core): the kernel balances
//! threads, not connections. With one thread per core, a thread with requests waiting could not
//! use a core left idle while the other thread waited for its clients, and lookups at 16 clients
//! lost up to a tenth of their throughput to that; with four per core the idle core finds a
//! runnable thread, as it does among the oxigraph server's threads per connection
//! (BENCHMARKS.md).
//!
//! Each connection is served by hyper's HTTP/1 connection builder with a timer, so hyper's own
//! limits hold (`axum::serve` gives hyper no timer, and then its header-read timeout never
//! fires): the request head must arrive within `header_read_timeout` of the server starting to
//! wait for it, and may be at most `max_header_bytes` (431 beyond). A watchdog per connection
//! adds what hyper has no setting for: an idle keep-alive connection is closed after
//! `keep_alive_timeout`, and one whose response write makes no progress for `write_timeout` (a
//! client that stopped reading) is dropped, which drops the response and so ends whatever
//! evaluation was producing it.

use super::metrics::Metrics;
use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use bytes::Bytes;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};
use tower::Service;

/// What every connection is held to (from `[http]`).
#[derive(Debug, Clone)]
pub struct Limits {
    pub header_read_timeout: Duration,
    pub keep_alive_timeout: Duration,
    pub write_timeout: Duration,
    pub max_header_bytes: usize,
    pub max_connections: usize,
    pub shutdown_grace: Duration,
}

impl Limits {
    pub fn from_config(http: &crate::config::HttpConfig) -> Self {
        Self {
            header_read_timeout: http.header_read_timeout(),
            keep_alive_timeout: http.keep_alive_timeout(),
            write_timeout: http.write_timeout(),
            max_header_bytes: http.max_header_bytes,
            max_connections: http.max_connections,
            shutdown_grace: http.shutdown_grace(),
        }
    }
}

/// The running threads; dropping this stops them (they finish the requests in flight).
pub struct Threads {
    stop: watch::Sender<bool>,
    acceptor: tokio::task::JoinHandle<()>,
    handles: Vec<std::thread::JoinHandle<()>>,
}

impl Threads {
    /// Serves `app` on `count` threads with connections accepted from `listener` by a task on
    /// the current runtime.
    pub fn start(
        app: Router,
        listener: TcpListener,
        count: usize,
        limits: Limits,
        metrics: Arc<Metrics>,
    ) -> std::io::Result<Self> {
        let (stop, stopped) = watch::channel(false);
        let limits = Arc::new(limits);
        let live = Arc::new(AtomicUsize::new(0));
        let mut handles = Vec::new();
        let mut queues = Vec::new();
        for n in 0..count.max(1) {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            let (queue, connections) = mpsc::unbounded_channel();
            let thread = Thread {
                app: app.clone(),
                limits: limits.clone(),
                metrics: metrics.clone(),
                stopped: stopped.clone(),
            };
            handles.push(
                std::thread::Builder::new()
                    .name(format!("http-{n}"))
                    .spawn(move || {
                        runtime.block_on(thread.run(connections));
                        // Whatever still runs (an evaluation thread spinning past its deadline)
                        // is abandoned, not waited for: the shutdown bound holds.
                        runtime.shutdown_background();
                    })?,
            );
            queues.push(queue);
        }
        let acceptor = tokio::spawn(accept(listener, queues, limits, live, metrics));
        Ok(Self {
            stop,
            acceptor,
            handles,
        })
    }

    /// Stops accepting, lets the requests in flight finish (for at most the shutdown grace,
    /// after which their connections are closed), and waits for the threads.
    pub async fn stop(mut self) {
        self.acceptor.abort();
        let _ = self.stop.send(true);
        let handles = std::mem::take(&mut self.handles);
        let _ = tokio::task::spawn_blocking(move || {
            for handle in handles {
                let _ = handle.join();
            }
        })
        .await;
    }
}

impl Drop for Threads {
    fn drop(&mut self) {
        // A server future dropped without `stop` (a test runtime going away) still stops them.
        self.acceptor.abort();
        let _ = self.stop.send(true);
    }
}

type Dealt = (std::net::TcpStream, SocketAddr, Live);

/// Accepts connections and deals them to the threads in turn; past the cap, refuses them.
async fn accept(
    listener: TcpListener,
    queues: Vec<mpsc::UnboundedSender<Dealt>>,
    limits: Arc<Limits>,
    live: Arc<AtomicUsize>,
    metrics: Arc<Metrics>,
) {
    // Refusals are written by tasks of their own, a bounded number at once: under a flood of
    // connections beyond these, new ones are simply closed.
    let refusals = Arc::new(tokio::sync::Semaphore::new(64));
    for queue in queues.iter().cycle() {
        let (stream, peer) = loop {
            match listener.accept().await {
                Ok(accepted) => break accepted,
                Err(error) if is_per_connection(&error) => {}
                Err(error) => {
                    // Out of file descriptors, say: wait rather than spin on the error.
                    tracing::error!(%error, "accept failed; retrying in 1 s");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        };
        if live.load(Ordering::SeqCst) >= limits.max_connections {
            metrics.connection_refused();
            if let Ok(permit) = refusals.clone().try_acquire_owned() {
                tokio::spawn(async move {
                    refuse(stream).await;
                    drop(permit);
                });
            }
            continue;
        }
        let guard = Live::new(live.clone(), metrics.clone());
        // Results go out in several writes; with Nagle's algorithm each one after the first
        // waits for the client's delayed ACK (~40 ms on Linux).
        if let Err(error) = stream.set_nodelay(true) {
            tracing::debug!(%error, "TCP_NODELAY not set");
        }
        // Moved as a plain socket: a tokio stream belongs to the runtime that registered it.
        match stream.into_std() {
            Ok(stream) => {
                if queue.send((stream, peer, guard)).is_err() {
                    return; // the threads are stopping
                }
            }
            Err(error) => {
                tracing::warn!(%error, "dropping a connection that cannot be handed over")
            }
        }
    }
}

/// The answer past the connection cap: a 503 that says why, then close. What the client sent is
/// read and dropped for a moment first, so that closing does not reset the connection before the
/// client has read the answer.
async fn refuse(mut stream: TcpStream) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    const BODY: &str = "too many connections; retry later\n";
    let response = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: {}\r\nretry-after: 1\r\nconnection: close\r\n\r\n{BODY}",
        BODY.len()
    );
    let exchange = async {
        stream.write_all(response.as_bytes()).await?;
        stream.shutdown().await?;
        let mut sink = [0u8; 4096];
        let mut drained = 0;
        while drained < 64 * 1024 {
            match stream.read(&mut sink).await? {
                0 => break,
                n => drained += n,
            }
        }
        Ok::<_, std::io::Error>(())
    };
    let _ = tokio::time::timeout(Duration::from_secs(1), exchange).await;
}

/// Errors that concern one connection only (the client reset it while queued, say).
fn is_per_connection(error: &std::io::Error) -> bool {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    matches!(
        error.kind(),
        ConnectionAborted | ConnectionRefused | ConnectionReset
    )
}

/// Counts a connection as live until dropped.
struct Live {
    live: Arc<AtomicUsize>,
    metrics: Arc<Metrics>,
}

impl Live {
    fn new(live: Arc<AtomicUsize>, metrics: Arc<Metrics>) -> Self {
        let now = live.fetch_add(1, Ordering::SeqCst) + 1;
        metrics.connections(now);
        Self { live, metrics }
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        let now = self.live.fetch_sub(1, Ordering::SeqCst) - 1;
        self.metrics.connections(now);
    }
}

/// One HTTP thread's share of the work.
struct Thread {
    app: Router,
    limits: Arc<Limits>,
    metrics: Arc<Metrics>,
    stopped: watch::Receiver<bool>,
}

impl Thread {
    async fn run(self, mut connections: mpsc::UnboundedReceiver<Dealt>) {
        let mut stopped = self.stopped.clone();
        let mut tasks = tokio::task::JoinSet::new();
        loop {
            tokio::select! {
                dealt = connections.recv() => {
                    let Some((stream, peer, guard)) = dealt else { break };
                    match TcpStream::from_std(stream) {
                        Ok(stream) => {
                            tasks.spawn(serve_connection(
                                stream,
                                peer,
                                guard,
                                self.app.clone(),
                                self.limits.clone(),
                                self.metrics.clone(),
                                self.stopped.clone(),
                            ));
                        }
                        Err(error) => tracing::debug!(%error, "handed connection unusable"),
                    }
                }
                Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
                _ = stopped.changed() => break,
            }
        }
        // Connections finish what is in flight (each was told to stop); past the grace the
        // rest are dropped with the runtime.
        let grace = self.limits.shutdown_grace;
        let _ =
            tokio::time::timeout(grace, async { while tasks.join_next().await.is_some() {} }).await;
        if !tasks.is_empty() {
            tracing::warn!(
                connections = tasks.len(),
                "closing connections still busy after the shutdown grace"
            );
        }
        tasks.abort_all();
    }
}

/// What the watchdog knows about a connection, updated by its socket and its requests.
struct Activity {
    started: Instant,
    /// Requests whose response has not been written to the end.
    in_flight: AtomicUsize,
    /// Milliseconds since `started` when the connection last became idle.
    idle_since: AtomicU64,
    /// Bytes arrived since it became idle (a new request's head is on its way).
    read_since_idle: AtomicBool,
    /// Milliseconds since `started` (plus one) when a write began to wait; 0 when none waits.
    write_blocked_since: AtomicU64,
}

impl Activity {
    fn new() -> Self {
        Self {
            started: Instant::now(),
            in_flight: AtomicUsize::new(0),
            idle_since: AtomicU64::new(0),
            read_since_idle: AtomicBool::new(false),
            write_blocked_since: AtomicU64::new(0),
        }
    }

    fn now(&self) -> u64 {
        self.started.elapsed().as_millis() as u64
    }

    fn begin(self: &Arc<Self>) -> InFlight {
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        InFlight(self.clone())
    }

    fn verdict(&self, limits: &Limits) -> Verdict {
        let now = self.now();
        let blocked = self.write_blocked_since.load(Ordering::SeqCst);
        if blocked != 0
            && now.saturating_sub(blocked - 1) >= limits.write_timeout.as_millis() as u64
        {
            return Verdict::Stalled;
        }
        let idle = self.in_flight.load(Ordering::SeqCst) == 0
            && !self.read_since_idle.load(Ordering::SeqCst)
            && now.saturating_sub(self.idle_since.load(Ordering::SeqCst))
                >= limits.keep_alive_timeout.as_millis() as u64;
        if idle { Verdict::Idle } else { Verdict::Fine }
    }
}

enum Verdict {
    Fine,
    Idle,
    Stalled,
}

/// One request until its response has been written (or abandoned).
struct InFlight(Arc<Activity>);

impl Drop for InFlight {
    fn drop(&mut self) {
        if self.0.in_flight.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.0.idle_since.store(self.0.now(), Ordering::SeqCst);
            self.0.read_since_idle.store(false, Ordering::SeqCst);
        }
    }
}

/// The socket, reporting reads and stalled writes to the watchdog.
struct Watched {
    stream: TcpStream,
    activity: Arc<Activity>,
}

impl Watched {
    fn wrote<T>(&self, poll: Poll<std::io::Result<T>>) -> Poll<std::io::Result<T>> {
        let blocked = &self.activity.write_blocked_since;
        match &poll {
            Poll::Pending => {
                if blocked.load(Ordering::Relaxed) == 0 {
                    blocked.store(self.activity.now() + 1, Ordering::SeqCst);
                }
            }
            Poll::Ready(_) => blocked.store(0, Ordering::Relaxed),
        }
        poll
    }
}

impl AsyncRead for Watched {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let poll = Pin::new(&mut this.stream).poll_read(cx, buf);
        if buf.filled().len() > before {
            this.activity.read_since_idle.store(true, Ordering::Relaxed);
        }
        poll
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        let poll = Pin::new(&mut this.stream).poll_write(cx, data);
        this.wrote(poll)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        let poll = Pin::new(&mut this.stream).poll_write_vectored(cx, data);
        this.wrote(poll)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        let poll = Pin::new(&mut this.stream).poll_flush(cx);
        this.wrote(poll)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}

/// A response body that marks its request done when hyper has written it (or dropped it).
struct Tracked {
    body: Body,
    _in_flight: InFlight,
}

impl http_body::Body for Tracked {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.get_mut().body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.body.size_hint()
    }
}

#[allow(clippy::too_many_arguments)]
async fn serve_connection(
    stream: TcpStream,
    peer: SocketAddr,
    _live: Live,
    app: Router,
    limits: Arc<Limits>,
    metrics: Arc<Metrics>,
    mut stopped: watch::Receiver<bool>,
) {
    let activity = Arc::new(Activity::new());
    let io = TokioIo::new(Watched {
        stream,
        activity: activity.clone(),
    });
    let tracker = activity.clone();
    let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
        let in_flight = tracker.begin();
        let mut app = app.clone();
        let mut request = request.map(Body::new);
        request.extensions_mut().insert(ConnectInfo(peer));
        async move {
            let response = app.call(request).await?;
            Ok::<_, std::convert::Infallible>(response.map(|body| Tracked {
                body,
                _in_flight: in_flight,
            }))
        }
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .max_header_size(limits.max_header_bytes)
        .keep_alive(true);
    let connection = builder.serve_connection(io, service);
    tokio::pin!(connection);
    // Checked a few times per shortest limit; whole seconds are plenty for these timeouts.
    let tick = limits
        .keep_alive_timeout
        .min(limits.write_timeout)
        .div_f64(4.0)
        .max(Duration::from_millis(50));
    let mut watchdog = tokio::time::interval(tick);
    watchdog.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut stopping = *stopped.borrow();
    if stopping {
        connection.as_mut().graceful_shutdown();
    }
    loop {
        tokio::select! {
            result = connection.as_mut() => {
                if let Err(error) = result {
                    if error.is_timeout() {
                        metrics.connection_timed_out("header");
                    }
                    tracing::debug!(%peer, %error, "connection ended with an error");
                }
                return;
            }
            changed = stopped.changed(), if !stopping => {
                stopping = true;
                let _ = changed;
                connection.as_mut().graceful_shutdown();
            }
            _ = watchdog.tick() => match activity.verdict(&limits) {
                Verdict::Fine => {}
                Verdict::Idle if stopping => {}
                Verdict::Idle => {
                    metrics.connection_timed_out("idle");
                    // Idle, so this closes it at once.
                    connection.as_mut().graceful_shutdown();
                    stopping = true;
                }
                Verdict::Stalled => {
                    metrics.connection_timed_out("write");
                    tracing::debug!(%peer, "dropping a connection whose client stopped reading");
                    return;
                }
            },
        }
    }
}
