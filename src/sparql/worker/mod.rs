//! Query evaluation in worker processes that are killed at the time limit.
//!
//! Oxigraph checks a query's cancellation token only when it reads storage, so a query that
//! spins on in-memory work (a cross product of materialised joins, a fan-out of hash joins) runs
//! on past its deadline, holding a core, and no thread can be stopped from outside. A process
//! can: the server evaluates queries in `crosswalk sparql-worker` processes ([`run_child`]) and
//! kills one whose query is still running at its deadline (plus a grace for it to report its own
//! timeout), which frees the core, the memory and the query slot at once.
//!
//! What a worker reads is a *view*: a RocksDB checkpoint of the graph ([`QueryViews`], a
//! consumer of the change feed that makes one per revision; hard links, so a checkpoint costs a
//! memtable flush), opened read-only. Nobody writes a checkpoint, so a worker needs no lock and
//! its death harms nothing. A view is deleted when no worker has it open and a newer one exists.
//!
//! The server and a worker talk over a Unix socket pair in frames ([`protocol`]): the query goes
//! out, chunks of serialised output come back, then a summary. `SERVICE` calls to the services
//! registered in the server (the full-text index) are sent back to it and answered there.
//! Workers are started by one long-lived thread (the parent-death signal they set is tied to the
//! thread that forked them) and reused; one that was killed is reaped by that thread.
//!
//! A worker still evaluating an ad-hoc query after [`DEMOTE_AFTER`] is *demoted*: its nice value
//! goes to [`DEMOTED_NICE`], so while long queries run (explosive ones until their deadline,
//! heavy aggregates) the cores go to the short ones first, as a multi-level feedback scheduler
//! would. Saved queries are not demoted: they are reviewed files, and their answers are kept per
//! revision, so the one evaluation that fills the cache must not starve behind short queries on
//! a busy machine (it did: every request for a seconds-long saved query then evaluated again
//! and most ran into the time limit).
//! When its query ends its priority is restored; a process may not raise its own or another's
//! priority without `CAP_SYS_NICE`, so where that fails the worker is retired instead of reused.
//!
//! A worker reports the CPU time each evaluation took ([`Output::Done`]), which the server uses
//! to run queries it has seen to be cheap on its own threads (`server::quick`).
//!
//! Entry points: [`Pool::start`] (an [`Evaluation`]), [`QueryViews`], [`run_child`].

mod child;
pub(crate) mod protocol;
mod views;

pub use child::run_child;
pub use views::{QueryViews, ViewDir};

use super::{Engine, Limits, OutputFormat, Prepared, SparqlError};
use bytes::Bytes;
use std::os::fd::OwnedFd;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// How long an evaluation runs at normal priority before its worker is demoted.
pub const DEMOTE_AFTER: Duration = Duration::from_millis(250);
/// The nice value of a demoted worker: about a tenth of the CPU share of a normal thread it
/// competes with (weights 110 and 1024), so long queries still progress on a busy machine.
pub const DEMOTED_NICE: i32 = 10;

/// CPU time the calling thread has used: what an evaluation cost, however many others shared
/// the cores meanwhile.
pub fn thread_cpu_time() -> Duration {
    let now = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
    Duration::new(
        u64::try_from(now.tv_sec).unwrap_or(0),
        u32::try_from(now.tv_nsec).unwrap_or(0),
    )
}

/// How a [`Pool`] starts and limits its workers.
pub struct PoolSettings {
    /// The `crosswalk` executable (run as `<program> sparql-worker`).
    pub program: PathBuf,
    /// Address-space limit of each worker, in bytes.
    pub memory: u64,
    /// Workers started ahead of the first queries.
    pub prewarm: usize,
    /// The services whose calls workers send back (`SERVICE cw:search`).
    pub services: Vec<String>,
}

/// The running workers. Cheap to clone.
#[derive(Clone)]
pub struct Pool(Arc<Inner>);

struct Inner {
    settings: PoolSettings,
    limits: Limits,
    /// Answers the workers' service calls.
    engine: Engine,
    views: Arc<QueryViews>,
    idle: Mutex<Vec<Worker>>,
    /// Workers evaluating now, so that shutting down can kill them.
    busy: Mutex<Vec<Arc<Process>>>,
    jobs: Mutex<std::sync::mpsc::Sender<Job>>,
    killed: AtomicU64,
    demoted: AtomicU64,
    alive: AtomicUsize,
    closed: AtomicBool,
}

/// Statistics for `/metrics`.
#[derive(Debug, Clone, Copy)]
pub struct PoolStats {
    pub alive: usize,
    pub idle: usize,
    pub killed: u64,
    /// Evaluations that ran past [`DEMOTE_AFTER`] and were demoted.
    pub demoted: u64,
}

struct Process {
    child: Mutex<Child>,
    pid: rustix::process::Pid,
    killed: AtomicBool,
    /// Whether the worker runs at [`DEMOTED_NICE`]; the lock orders demotion against the end of
    /// the query (see [`Process::demote`]).
    demoted: Mutex<bool>,
}

impl Process {
    /// Sends SIGKILL (once); the spawner thread reaps it.
    fn kill(self: &Arc<Self>, pool: &Inner) {
        if self.killed.swap(true, Ordering::SeqCst) {
            return;
        }
        let _ = self.child.lock().unwrap_or_else(|e| e.into_inner()).kill();
        pool.alive.fetch_sub(1, Ordering::SeqCst);
        let jobs = pool.jobs.lock().unwrap_or_else(|e| e.into_inner());
        let _ = jobs.send(Job::Reap(self.clone()));
    }

    fn is_killed(&self) -> bool {
        self.killed.load(Ordering::SeqCst)
    }

    /// Lowers the worker's priority if its query (`lease`) is still running. The end of a query
    /// clears the lease before it takes the lock in [`Process::restore`], so a demotion either
    /// happens before the restore sees it or does not happen at all.
    fn demote(&self, lease: &AtomicBool, pool: &Inner) {
        let mut demoted = self.demoted.lock().unwrap_or_else(|e| e.into_inner());
        if *demoted || !lease.load(Ordering::SeqCst) || self.is_killed() {
            return;
        }
        match rustix::process::setpriority_process(Some(self.pid), DEMOTED_NICE) {
            Ok(()) => {
                *demoted = true;
                pool.demoted.fetch_add(1, Ordering::SeqCst);
            }
            Err(error) => tracing::debug!(%error, "query worker not demoted"),
        }
    }

    /// Back to normal priority after a demoted query; false if that was not allowed.
    fn restore(&self) -> bool {
        let mut demoted = self.demoted.lock().unwrap_or_else(|e| e.into_inner());
        if !*demoted {
            return true;
        }
        let restored = rustix::process::setpriority_process(Some(self.pid), 0).is_ok();
        *demoted = !restored;
        restored
    }
}

struct Worker {
    process: Arc<Process>,
    socket: UnixStream,
    /// The view this worker has open (kept from deletion while it may read it).
    view: Option<Arc<ViewDir>>,
}

enum Job {
    Spawn(tokio::sync::oneshot::Sender<std::io::Result<Worker>>),
    Reap(Arc<Process>),
}

impl Pool {
    /// A pool answering service calls with `engine` (the server's, whose limits workers get too)
    /// over the views of `views`. Starts the spawner thread and the prewarmed workers.
    pub fn new(
        settings: PoolSettings,
        engine: Engine,
        views: Arc<QueryViews>,
    ) -> std::io::Result<Self> {
        let (jobs, queue) = std::sync::mpsc::channel();
        let program = settings.program.clone();
        let memory = settings.memory;
        std::thread::Builder::new()
            .name("sparql-workers".into())
            .spawn(move || spawner(queue, program, memory))?;
        let pool = Self(Arc::new(Inner {
            limits: engine.limits(),
            settings,
            engine,
            views,
            idle: Mutex::new(Vec::new()),
            busy: Mutex::new(Vec::new()),
            jobs: Mutex::new(jobs),
            killed: AtomicU64::new(0),
            demoted: AtomicU64::new(0),
            alive: AtomicUsize::new(0),
            closed: AtomicBool::new(false),
        }));
        for _ in 0..pool.0.settings.prewarm {
            let pool = pool.clone();
            let (reply, ready) = tokio::sync::oneshot::channel();
            pool.send(Job::Spawn(reply));
            std::thread::spawn(move || {
                if let Ok(Ok(worker)) = ready.blocking_recv() {
                    pool.0.alive.fetch_add(1, Ordering::SeqCst);
                    pool.park(worker);
                }
            });
        }
        Ok(pool)
    }

    fn send(&self, job: Job) {
        let jobs = self.0.jobs.lock().unwrap_or_else(|e| e.into_inner());
        let _ = jobs.send(job);
    }

    /// Whether queries can go to workers now (a view exists and the pool is open).
    pub fn ready(&self) -> bool {
        !self.0.closed.load(Ordering::SeqCst) && self.0.views.current().is_some()
    }

    pub fn stats(&self) -> PoolStats {
        PoolStats {
            alive: self.0.alive.load(Ordering::SeqCst),
            idle: self.0.idle.lock().unwrap_or_else(|e| e.into_inner()).len(),
            killed: self.0.killed.load(Ordering::SeqCst),
            demoted: self.0.demoted.load(Ordering::SeqCst),
        }
    }

    /// Kills every worker; later queries are refused.
    pub fn shutdown(&self) {
        self.0.closed.store(true, Ordering::SeqCst);
        let idle = std::mem::take(&mut *self.0.idle.lock().unwrap_or_else(|e| e.into_inner()));
        for worker in idle {
            worker.process.kill(&self.0);
        }
        let busy = std::mem::take(&mut *self.0.busy.lock().unwrap_or_else(|e| e.into_inner()));
        for process in busy {
            process.kill(&self.0);
        }
    }

    /// Sends `prepared` to a worker. Its output comes from [`Evaluation::next`]. At `deadline`
    /// the worker is killed if it is still evaluating, and `on_kill` runs (on the deadline
    /// thread), so whatever the query held is released even when nobody reads its output.
    /// With `demote`, the worker is demoted if it still evaluates after [`DEMOTE_AFTER`].
    pub async fn start(
        &self,
        prepared: &Prepared,
        format: OutputFormat,
        deadline: Instant,
        demote: bool,
        on_kill: impl FnOnce() + Send + 'static,
    ) -> Result<Evaluation, SparqlError> {
        let failed = |message: String| SparqlError::Worker {
            client: false,
            message,
        };
        let view = self
            .0
            .views
            .current()
            .ok_or_else(|| failed("no query view yet".into()))?;
        let code = format
            .code()
            .ok_or_else(|| failed("output format not served by workers".into()))?;
        let query = protocol::Query {
            view: view.path.clone(),
            description: prepared.describe(),
            format: code,
            timeout_ms: self.0.limits.timeout.as_millis() as u64,
            max_rows: self.0.limits.max_rows,
            services: self.0.settings.services.clone(),
        };
        let frame = protocol::frame(
            protocol::QUERY,
            &serde_json::to_vec(&query).map_err(|e| failed(e.to_string()))?,
        )?;
        let mut worker = self.checkout().await?;
        worker.view = Some(view);
        let process = worker.process.clone();
        self.0
            .busy
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(process.clone());
        // Whoever clears it first owns the ending: the deadline (kill) or the evaluation
        // (finish, park the worker). Without it, a deadline firing as the output ends could
        // kill the worker after it went back to the pool and took another query.
        let lease = Arc::new(AtomicBool::new(true));
        let pool = self.clone();
        let (killer, held) = (process.clone(), lease.clone());
        let guard = super::deadline::at(deadline, move || {
            if held.swap(false, Ordering::SeqCst) {
                pool.0.killed.fetch_add(1, Ordering::SeqCst);
                killer.kill(&pool.0);
                on_kill();
            }
        });
        let demotion = demote.then(|| {
            let (pool, demotee, running) = (self.clone(), process.clone(), lease.clone());
            super::deadline::at(Instant::now() + DEMOTE_AFTER, move || {
                demotee.demote(&running, &pool.0);
            })
        });
        let mut evaluation = Evaluation {
            pool: self.clone(),
            process,
            socket: None,
            view: worker.view.take(),
            lease,
            _deadline: guard,
            _demotion: demotion,
        };
        worker.socket.set_nonblocking(true)?;
        let mut socket = tokio::net::UnixStream::from_std(worker.socket)?;
        socket
            .write_all(&frame)
            .await
            .map_err(|e| evaluation.lost(e))?;
        evaluation.socket = Some(tokio::io::BufReader::with_capacity(64 * 1024, socket));
        Ok(evaluation)
    }

    /// An idle worker, or a new one.
    async fn checkout(&self) -> Result<Worker, SparqlError> {
        if self.0.closed.load(Ordering::SeqCst) {
            return Err(SparqlError::Worker {
                client: false,
                message: "the server is shutting down".into(),
            });
        }
        loop {
            let idle = self.0.idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
            let Some(worker) = idle else { break };
            // One that died while idle (out of memory, say) is reaped and replaced.
            let exited = worker
                .process
                .child
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .try_wait()
                .map_or(true, |status| status.is_some());
            if exited {
                worker.process.kill(&self.0);
                continue;
            }
            return Ok(worker);
        }
        let (reply, ready) = tokio::sync::oneshot::channel();
        self.send(Job::Spawn(reply));
        let worker = ready
            .await
            .map_err(|_| SparqlError::Worker {
                client: false,
                message: "the worker spawner stopped".into(),
            })?
            .map_err(|e| SparqlError::Worker {
                client: false,
                message: format!("cannot start a query worker: {e}"),
            })?;
        self.0.alive.fetch_add(1, Ordering::SeqCst);
        Ok(worker)
    }

    fn park(&self, worker: Worker) {
        if self.0.closed.load(Ordering::SeqCst) {
            worker.process.kill(&self.0);
            return;
        }
        self.0
            .idle
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(worker);
    }

    fn unbusy(&self, process: &Arc<Process>) {
        self.0
            .busy
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|p| !Arc::ptr_eq(p, process));
    }
}

/// Starts workers and reaps killed ones, on one thread that lives as long as the process: a
/// worker's parent-death signal fires when the thread that forked it ends.
fn spawner(queue: std::sync::mpsc::Receiver<Job>, program: PathBuf, memory: u64) {
    while let Ok(job) = queue.recv() {
        match job {
            Job::Spawn(reply) => {
                let _ = reply.send(spawn(&program, memory));
            }
            Job::Reap(process) => {
                let _ = process
                    .child
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .wait();
            }
        }
    }
}

fn spawn(program: &Path, memory: u64) -> std::io::Result<Worker> {
    let (ours, theirs) = UnixStream::pair()?;
    let child = Command::new(program)
        .arg("sparql-worker")
        .arg("--memory")
        .arg(memory.to_string())
        // Nothing of the server's environment (the admin token, say) reaches the worker.
        .env_clear()
        .env("CROSSWALK_LOG", "warn")
        .stdin(Stdio::from(OwnedFd::from(theirs)))
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()?;
    Ok(Worker {
        process: Arc::new(Process {
            pid: rustix::process::Pid::from_child(&child),
            child: Mutex::new(child),
            killed: AtomicBool::new(false),
            demoted: Mutex::new(false),
        }),
        socket: ours,
        view: None,
    })
}

/// What an evaluation produced next.
pub enum Output {
    Chunk(Bytes),
    /// The rest of the output, ending it.
    Done {
        tail: Bytes,
        rows: usize,
        truncated: bool,
        /// CPU time the worker spent preparing and evaluating the query (read by the server's
        /// routing of cheap queries, `server::quick`).
        cpu: Duration,
    },
}

/// One query in a worker. Read it to the end with [`Evaluation::next`]; dropped before that,
/// the worker is killed (it is mid-query and cannot be reused).
pub struct Evaluation {
    pool: Pool,
    process: Arc<Process>,
    socket: Option<tokio::io::BufReader<tokio::net::UnixStream>>,
    view: Option<Arc<ViewDir>>,
    /// True until the evaluation ended, one way or the other (see [`Pool::start`]).
    lease: Arc<AtomicBool>,
    _deadline: super::deadline::Guard,
    _demotion: Option<super::deadline::Guard>,
}

impl Evaluation {
    /// The graph revision of the checkpoint this evaluation reads.
    pub fn revision(&self) -> Option<u64> {
        self.view.as_ref().map(|view| view.revision)
    }

    /// The next piece of output. Service calls the worker makes meanwhile are answered here.
    pub async fn next(&mut self) -> Result<Output, SparqlError> {
        loop {
            let (tag, payload) = match self.read().await {
                Ok(frame) => frame,
                Err(e) => return Err(self.lost(e)),
            };
            match tag {
                protocol::CHUNK => return Ok(Output::Chunk(Bytes::from(payload))),
                protocol::DONE => {
                    let (summary, _) = protocol::split_done(&payload)?;
                    let mut tail = Bytes::from(payload);
                    let tail = tail.split_off(protocol::DONE_HEADER);
                    self.finish();
                    return Ok(Output::Done {
                        tail,
                        rows: summary.rows,
                        truncated: summary.truncated,
                        cpu: summary.cpu,
                    });
                }
                protocol::FAILED => {
                    self.finish();
                    let failure: protocol::Failure = serde_json::from_slice(&payload)
                        .map_err(|e| std::io::Error::other(e.to_string()))?;
                    return Err(if failure.timeout {
                        SparqlError::Timeout(self.pool.0.limits.timeout)
                    } else {
                        SparqlError::Worker {
                            client: failure.client,
                            message: failure.message,
                        }
                    });
                }
                protocol::CALL => self.answer(payload).await?,
                other => {
                    return Err(self.lost(std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        format!("unexpected frame {other:?} from a query worker"),
                    )));
                }
            }
        }
    }

    async fn read(&mut self) -> std::io::Result<(u8, Vec<u8>)> {
        let socket = self
            .socket
            .as_mut()
            .ok_or_else(|| std::io::Error::other("the evaluation has ended"))?;
        let mut header = [0; protocol::HEADER];
        socket.read_exact(&mut header).await?;
        let (tag, len) = protocol::parse_header(header)?;
        let mut payload = vec![0; len];
        socket.read_exact(&mut payload).await?;
        Ok((tag, payload))
    }

    /// Evaluates a worker's `SERVICE` call with the server's engine and sends the answer.
    async fn answer(&mut self, payload: Vec<u8>) -> Result<(), SparqlError> {
        let engine = self.pool.0.engine.clone();
        let result = tokio::task::spawn_blocking(move || {
            let text = String::from_utf8(payload).map_err(|e| SparqlError::Worker {
                client: false,
                message: e.to_string(),
            })?;
            let prepared = engine.prepare(&text, &super::DatasetRequest::default())?;
            let mut out = Vec::new();
            engine.run(
                prepared,
                OutputFormat::Results(oxigraph::sparql::results::QueryResultsFormat::Json),
                &mut out,
            )?;
            Ok::<_, SparqlError>(out)
        })
        .await
        .unwrap_or_else(|e| {
            Err(SparqlError::Worker {
                client: false,
                message: e.to_string(),
            })
        });
        let frame = match result {
            Ok(json) => protocol::frame(protocol::REPLY, &json)?,
            Err(error) => {
                let failure = protocol::Failure {
                    client: error.is_client_error(),
                    timeout: false,
                    message: error.to_string(),
                };
                protocol::frame(
                    protocol::REPLY_ERROR,
                    &serde_json::to_vec(&failure)
                        .map_err(|e| std::io::Error::other(e.to_string()))?,
                )?
            }
        };
        let socket = self
            .socket
            .as_mut()
            .ok_or_else(|| std::io::Error::other("the evaluation has ended"))?;
        if let Err(e) = socket.get_mut().write_all(&frame).await {
            return Err(self.lost(e));
        }
        Ok(())
    }

    /// The error for a worker that stopped talking: killed at the deadline, or dead.
    fn lost(&mut self, error: std::io::Error) -> SparqlError {
        let timed_out = !self.lease.swap(false, Ordering::SeqCst);
        self.socket = None;
        self.process.kill(&self.pool.0);
        self.pool.unbusy(&self.process);
        if timed_out {
            SparqlError::Timeout(self.pool.0.limits.timeout)
        } else {
            tracing::error!(%error, "query worker failed");
            SparqlError::Worker {
                client: false,
                message: format!("the query worker failed: {error}"),
            }
        }
    }

    /// The query ended normally: the worker goes back to the pool (unless the deadline won).
    fn finish(&mut self) {
        let ours = self.lease.swap(false, Ordering::SeqCst);
        self.pool.unbusy(&self.process);
        let Some(socket) = self.socket.take() else {
            return;
        };
        if !ours
            || self.process.is_killed()
            || !socket.buffer().is_empty()
            || !self.process.restore()
        {
            self.process.kill(&self.pool.0);
            return;
        }
        let returned = socket.into_inner().into_std().and_then(|socket| {
            socket.set_nonblocking(false)?;
            Ok(socket)
        });
        match returned {
            Ok(socket) => self.pool.park(Worker {
                process: self.process.clone(),
                socket,
                view: self.view.take(),
            }),
            Err(_) => self.process.kill(&self.pool.0),
        }
    }
}

impl Drop for Evaluation {
    fn drop(&mut self) {
        if self.lease.swap(false, Ordering::SeqCst) {
            self.process.kill(&self.pool.0);
            self.pool.unbusy(&self.process);
        }
    }
}
