//! The HTTP threads: single-threaded runtimes, each serving the connections it is handed. One
//! acceptor on the caller's runtime deals connections out in turn.
//!
//! Why not serve on tokio's multi-threaded runtime: when a request wakes one of its workers,
//! that worker wakes another to look for work too, on every request. On two cores that second
//! wake-up cost a point lookup about a fifth of its latency (BENCHMARKS.md). Here a connection
//! lives on one thread from accept to close, as in the oxigraph server, and a request wakes
//! nothing else. Handlers never block these threads for long: evaluations, index searches and
//! storage writes go to each runtime's blocking pool; the only inline work is a point lookup of
//! at most `stream::INLINE_ROWS` rows. Dealing in turn (not letting the threads race to accept)
//! keeps a burst of new connections from landing on whichever thread happened to be awake.
//!
//! Why more threads than cores (`http_threads`, default four per core): the kernel balances
//! threads, not connections. With one thread per core, a thread with requests waiting could not
//! use a core left idle while the other thread waited for its clients, and lookups at 16 clients
//! lost up to a tenth of their throughput to that; with four per core the idle core finds a
//! runnable thread, as it does among the oxigraph server's threads per connection
//! (BENCHMARKS.md).

use axum::Router;
use std::net::SocketAddr;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};

/// The running threads; dropping this stops them (they finish the requests in flight).
pub struct Threads {
    stop: watch::Sender<()>,
    acceptor: tokio::task::JoinHandle<()>,
    handles: Vec<std::thread::JoinHandle<()>>,
}

impl Threads {
    /// Serves `app` on `count` threads with connections accepted from `listener` by a task on
    /// the current runtime.
    pub fn start(app: Router, listener: TcpListener, count: usize) -> std::io::Result<Self> {
        let local = listener.local_addr()?;
        let (stop, stopped) = watch::channel(());
        let mut handles = Vec::new();
        let mut queues = Vec::new();
        for n in 0..count.max(1) {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            let (queue, connections) = mpsc::unbounded_channel();
            let handed = Handed { connections, local };
            let (app, mut stopped) = (app.clone(), stopped.clone());
            handles.push(
                std::thread::Builder::new()
                    .name(format!("http-{n}"))
                    .spawn(move || {
                        runtime.block_on(async move {
                            let stop = async move {
                                // Resolves on `stop` and when the sender is dropped.
                                let _ = stopped.changed().await;
                            };
                            if let Err(error) =
                                axum::serve(handed, app).with_graceful_shutdown(stop).await
                            {
                                tracing::error!(%error, "HTTP thread failed");
                            }
                        });
                    })?,
            );
            queues.push(queue);
        }
        let acceptor = tokio::spawn(accept(listener, queues));
        Ok(Self {
            stop,
            acceptor,
            handles,
        })
    }

    /// Stops accepting, lets the requests in flight finish, and waits for the threads.
    pub async fn stop(mut self) {
        self.acceptor.abort();
        let _ = self.stop.send(());
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
        let _ = self.stop.send(());
    }
}

/// Accepts connections and deals them to the threads in turn.
async fn accept(listener: TcpListener, queues: Vec<mpsc::UnboundedSender<std::net::TcpStream>>) {
    for queue in queues.iter().cycle() {
        let stream = loop {
            match listener.accept().await {
                Ok((stream, _)) => break stream,
                Err(error) if is_per_connection(&error) => {}
                Err(error) => {
                    // Out of file descriptors, say: wait rather than spin on the error.
                    tracing::error!(%error, "accept failed; retrying in 1 s");
                    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                }
            }
        };
        // Results go out in several writes; with Nagle's algorithm each one after the first
        // waits for the client's delayed ACK (~40 ms on Linux).
        if let Err(error) = stream.set_nodelay(true) {
            tracing::debug!(%error, "TCP_NODELAY not set");
        }
        // Moved as a plain socket: a tokio stream belongs to the runtime that registered it.
        match stream.into_std() {
            Ok(stream) => {
                if queue.send(stream).is_err() {
                    return; // the threads are stopping
                }
            }
            Err(error) => {
                tracing::warn!(%error, "dropping a connection that cannot be handed over")
            }
        }
    }
}

/// Errors that concern one connection only (the client reset it while queued, say).
fn is_per_connection(error: &std::io::Error) -> bool {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    matches!(
        error.kind(),
        ConnectionAborted | ConnectionRefused | ConnectionReset
    )
}

/// The connections dealt to one thread, as an axum listener.
struct Handed {
    connections: mpsc::UnboundedReceiver<std::net::TcpStream>,
    local: SocketAddr,
}

impl axum::serve::Listener for Handed {
    type Io = TcpStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (TcpStream, SocketAddr) {
        loop {
            let Some(stream) = self.connections.recv().await else {
                // The acceptor is gone: the server is stopping, which graceful shutdown handles.
                return std::future::pending().await;
            };
            let registered = TcpStream::from_std(stream)
                .and_then(|stream| stream.peer_addr().map(|peer| (stream, peer)));
            match registered {
                Ok(connection) => return connection,
                Err(error) => tracing::debug!(%error, "handed connection unusable"),
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<SocketAddr> {
        Ok(self.local)
    }
}
