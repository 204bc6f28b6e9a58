//! Streams a query evaluation into an HTTP response.
//!
//! Every evaluation first takes a slot ([`super::slots`]): at most `sparql.max_concurrent` at
//! once and `sparql.max_per_client` for one client, handed out fairly between clients.
//!
//! Point lookups (`Prepared::is_point_lookup`) then run on the connection's own thread and
//! answer whole, because handing them to another thread cost more than running them (see
//! `inline_response`); one with too many rows to do that is run again the usual way.
//!
//! Everything else runs in a worker process (`crate::sparql::worker`) when the server has them:
//! the worker streams its output back and is killed if it is still evaluating at the deadline
//! (plus a grace for it to report its own timeout), which releases the slot at once, whether or
//! not anybody reads the output. A query a worker has measured cheap at the current graph
//! revision (`super::quick`) skips the round trip and runs on a blocking thread, as below, or on
//! the connection's own thread when it is the only evaluation in the server (`quick_inline`).
//! Without workers (an in-memory store, `sparql.isolate = false`) the evaluation runs on a
//! blocking thread and writes through a buffer into a channel; every send waits at most until
//! the query's deadline, so a client that stops reading cannot hold the slot past it. Oxigraph checks the cancellation token only when it reads storage, so such
//! a thread may spin on in-memory work past its deadline: the handler answers 503 at the
//! deadline itself, and the overrunning evaluation gives its place in the shared capacity back
//! while still counting against its own client (`crosswalk_sparql_overrunning` counts them).
//!
//! Either way the handler waits for the first output: an error before any byte was sent becomes
//! a proper status (400 for syntax, 503 for timeout); otherwise the body streams as the results
//! arrive and a later failure aborts the body, so clients see a truncated transfer rather than
//! wrong data. A result that fits one 32 KiB buffer goes out whole with a `Content-Length`.

use super::client::Client;
use super::error::ApiError;
use super::quick::QueryKey;
use super::results::{Keeping, ResultKey};
use super::slots::{Refusal, Slot};
use super::{AppState, Metrics};
use crate::sparql::worker::{Output, Pool, thread_cpu_time};
use crate::sparql::{OutputFormat, Prepared, RunSummary, SparqlError};
use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use futures_util::stream;
use std::io::{BufWriter, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

const CHUNK: usize = 32 * 1024;
const OVERRUN_GRACE: Duration = Duration::from_millis(500);
/// The longest an export streamed by [`blocking_body`] may take (a client reading slowly).
const EXPORT_LIMIT: Duration = Duration::from_secs(600);

enum Message {
    Chunk(Bytes),
    Failed(SparqlError),
    /// The rest of the output, ending the run, in one message: a small result then costs the
    /// handler a single wake-up and goes out with a `Content-Length`.
    Done(Bytes),
}

/// Sends each write as one chunk, waiting at most until the query's deadline when the channel
/// is full (the client is not reading). It sits behind a [`BufWriter`], so what arrives here is
/// a full buffer: the serializers' many tiny writes (a quote, a key, a comma) stay in the
/// buffer's inlined fast path instead of each costing a call into the channel side.
struct ChannelWriter {
    sender: mpsc::Sender<Message>,
    deadline: Instant,
    /// The handler's runtime, whose timer bounds a blocked send.
    runtime: tokio::runtime::Handle,
    /// A saved query's answer, copied as it is sent, to keep once it is complete.
    keeping: Option<Keeping>,
}

impl ChannelWriter {
    fn send(&self, message: Message) -> std::io::Result<()> {
        let gone = || std::io::Error::new(std::io::ErrorKind::BrokenPipe, "client went away");
        let late = || std::io::Error::new(std::io::ErrorKind::TimedOut, "client too slow");
        let message = match self.sender.try_send(message) {
            Ok(()) => return Ok(()),
            Err(mpsc::error::TrySendError::Closed(_)) => return Err(gone()),
            Err(mpsc::error::TrySendError::Full(message)) => message,
        };
        let left = self.deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(late());
        }
        match self
            .runtime
            .block_on(tokio::time::timeout(left, self.sender.send(message)))
        {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) => Err(gone()),
            Err(_) => Err(late()),
        }
    }
}

impl Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.send(Message::Chunk(Bytes::copy_from_slice(data)))?;
        if let Some(keeping) = &mut self.keeping {
            keeping.push(data);
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Buffers the output and keeps the serializers' flushes from turning into tiny chunks.
struct Buffered(BufWriter<ChannelWriter>);

impl Write for Buffered {
    #[inline]
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.0.write(data)
    }

    #[inline]
    fn write_all(&mut self, data: &[u8]) -> std::io::Result<()> {
        self.0.write_all(data)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        // Serializers flush at their end; the tail goes out with `Message::Done` instead.
        Ok(())
    }
}

/// Runs `prepared` for `client` and answers with its results in `format`.
pub async fn query_response(
    state: &AppState,
    client: Client,
    prepared: Prepared,
    format: OutputFormat,
) -> Response {
    respond(state, client, prepared, format, None).await
}

/// [`query_response`] for a saved query: a result that comes back whole is kept under `key`
/// for the revision it was read at (`server::results`).
pub async fn saved_response(
    state: &AppState,
    client: Client,
    prepared: Prepared,
    format: OutputFormat,
    key: ResultKey,
) -> Response {
    respond(state, client, prepared, format, Some(key)).await
}

/// A whole result read from the store as it was at one revision.
pub(super) fn whole(state: &AppState, format: OutputFormat, body: Bytes) -> Response {
    with_headers(state, format, Response::new(Body::from(body)))
}

async fn respond(
    state: &AppState,
    client: Client,
    prepared: Prepared,
    format: OutputFormat,
    keep: Option<ResultKey>,
) -> Response {
    // A point lookup reads one subject's statements, bounded by its rows: it runs before taking
    // a slot, so a queue of long evaluations never holds it up (BENCHMARKS.md, "Mixed load").
    // One with more rows than it may take on this thread falls through, takes a slot and runs
    // again off it.
    if prepared.is_point_lookup()
        && let Some(response) = inline_response(state, prepared.clone(), format)
    {
        return response;
    }
    let limit = state.engine.limits().timeout;
    let slot = match state.slots.acquire(client.key(), limit).await {
        Ok(slot) => slot,
        Err(refusal) => return refused(refusal),
    };
    match &state.workers {
        Some(pool) if pool.ready() => {
            // A query a worker measured cheap at this revision runs here (`server::quick`).
            let key = state.quick.key(&prepared, format);
            let revision = state.graph().revision();
            if state.quick.is_quick(key, revision) {
                state.metrics.quick_on_thread();
                if keep.is_none() && state.slots.stats().running == 1 {
                    return quick_inline(state, slot, prepared, format, key, revision);
                }
                threaded(state, slot, prepared, format, keep, Some(key)).await
            } else {
                isolated(state, pool, slot, prepared, format, keep, key).await
            }
        }
        _ => threaded(state, slot, prepared, format, keep, None).await,
    }
}

/// The answer when no slot was given.
pub fn refused(refusal: Refusal) -> Response {
    let mut response = match refusal {
        Refusal::Busy => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "all query slots are busy; retry later",
        ),
        Refusal::Queued => ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too many of your queries are running or waiting; wait for them before sending more",
        ),
    }
    .into_response();
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    response
}

/// Evaluates in a worker process, killed at the deadline.
async fn isolated(
    state: &AppState,
    pool: &Pool,
    slot: Slot,
    prepared: Prepared,
    format: OutputFormat,
    keep: Option<ResultKey>,
    key: QueryKey,
) -> Response {
    let limit = state.engine.limits().timeout;
    // Released when the evaluation ends, or at once when its worker is killed at the deadline.
    let slot = Arc::new(Mutex::new(Some(slot)));
    let held = slot.clone();
    let deadline = Instant::now() + limit + OVERRUN_GRACE;
    // Ad-hoc queries give the cores up to short ones once they run long; saved ones do not
    // (`sparql::worker`, "demoted").
    let demote = keep.is_none();
    let started = pool
        .start(&prepared, format, deadline, demote, move || {
            held.lock().unwrap_or_else(|e| e.into_inner()).take();
        })
        .await;
    let release = move || {
        slot.lock().unwrap_or_else(|e| e.into_inner()).take();
    };
    let mut evaluation = match started {
        Ok(evaluation) => evaluation,
        Err(error) => {
            release();
            return ApiError::from(error).into_response();
        }
    };
    let revision = evaluation.revision();
    let first = match evaluation.next().await {
        Ok(Output::Done {
            tail,
            truncated,
            cpu,
            ..
        }) => {
            release();
            if let Some(revision) = revision {
                state.quick.measured(key, revision, cpu);
            }
            if truncated {
                state.metrics.rows_truncated();
            } else if let (Some(key), Some(revision)) = (keep, revision) {
                state.saved_results.keep(key, revision, tail.clone());
            }
            return with_headers(state, format, Response::new(Body::from(tail)));
        }
        Err(error) => {
            release();
            count_timeout(&state.metrics, &error);
            return ApiError::from(error).into_response();
        }
        Ok(Output::Chunk(first)) => first,
    };
    let metrics = state.metrics.clone();
    let results = state.saved_results.clone();
    let quick = state.quick.clone();
    // A streamed answer is kept too, copied as its chunks go out, once its end has been sent.
    let mut keeping = keep.filter(|_| revision.is_some()).map(Keeping::new);
    if let Some(keeping) = &mut keeping {
        keeping.push(&first);
    }
    let body = stream::unfold(
        (Some(first), Some(evaluation), Some(release), keeping),
        move |(pending, mut evaluation, mut release, mut keeping)| {
            let metrics = metrics.clone();
            let results = results.clone();
            let quick = quick.clone();
            async move {
                if let Some(chunk) = pending {
                    return Some((Ok(chunk), (None, evaluation, release, keeping)));
                }
                let next = evaluation.as_mut()?.next().await;
                let item = match next {
                    Ok(Output::Chunk(chunk)) => {
                        if let Some(keeping) = &mut keeping {
                            keeping.push(&chunk);
                        }
                        return Some((Ok(chunk), (None, evaluation, release, keeping)));
                    }
                    Ok(Output::Done {
                        tail,
                        truncated,
                        cpu,
                        ..
                    }) => {
                        if let Some(revision) = revision {
                            quick.measured(key, revision, cpu);
                        }
                        if truncated {
                            metrics.rows_truncated();
                        } else if let (Some(keeping), Some(revision)) = (keeping.take(), revision)
                            && let Some((key, whole)) = keeping.finish(&tail)
                        {
                            results.keep(key, revision, whole);
                        }
                        (!tail.is_empty()).then_some(Ok(tail))
                    }
                    Err(error) => {
                        count_timeout(&metrics, &error);
                        tracing::warn!(%error, "query failed after results started streaming");
                        Some(Err(std::io::Error::other(error.to_string())))
                    }
                };
                // Ended: the worker went back to the pool (or was killed); free the slot.
                evaluation = None;
                if let Some(release) = release.take() {
                    release();
                }
                item.map(|item| (item, (None, evaluation, release, None)))
            }
        },
    );
    with_headers(state, format, Response::new(Body::from_stream(body)))
}

/// Evaluates on a blocking thread of this runtime: without worker processes, or a query they
/// measured cheap (`quick`, its key), whose cost is measured again here.
async fn threaded(
    state: &AppState,
    slot: Slot,
    prepared: Prepared,
    format: OutputFormat,
    keep: Option<ResultKey>,
    quick: Option<QueryKey>,
) -> Response {
    let limit = state.engine.limits().timeout;
    let (sender, mut receiver) = mpsc::channel(8);
    // The live store: a result is kept only if no write landed while it was read, so it is
    // the store at `revision`.
    let revision = state.graph().revision();
    let results = state.saved_results.clone();
    let engine = state.engine.clone();
    let metrics = state.metrics.clone();
    let quick = quick.map(|key| (key, state.quick.clone()));
    let started = Instant::now();
    let slot = Arc::new(Mutex::new(slot));
    let held = slot.clone();
    let writer = ChannelWriter {
        sender,
        deadline: started + limit,
        runtime: tokio::runtime::Handle::current(),
        keeping: keep.map(Keeping::new),
    };
    tokio::task::spawn_blocking(move || {
        let _slot = held;
        let mut output = Buffered(BufWriter::with_capacity(CHUNK, writer));
        let cpu = quick.as_ref().map(|_| thread_cpu_time());
        let result = engine.run(prepared, format, &mut output);
        if let (Some((key, quick)), Some(cpu)) = (&quick, cpu) {
            // Not as cheap as measured (it should be): back to the workers.
            quick.measured(*key, revision, thread_cpu_time().saturating_sub(cpu));
        }
        // Taken apart rather than dropped: dropping would flush the buffer as one more chunk.
        let (mut writer, buffered) = output.0.into_parts();
        let last = match result {
            Ok(summary) => {
                if summary.truncated {
                    metrics.rows_truncated();
                }
                // What is still buffered is the tail; a small result is all tail.
                let tail = Bytes::from(buffered.unwrap_or_else(|panicked| panicked.into_inner()));
                if let Some(keeping) = writer.keeping.take()
                    && !summary.truncated
                    && engine.graph().revision() == revision
                    && let Some((key, whole)) = keeping.finish(&tail)
                {
                    results.keep(key, revision, whole);
                }
                Message::Done(tail)
            }
            Err(SparqlError::Io(e)) if e.kind() == std::io::ErrorKind::TimedOut => {
                Message::Failed(SparqlError::Timeout(limit))
            }
            Err(error) => Message::Failed(error),
        };
        let _ = writer.send(last);
        if started.elapsed() > limit + OVERRUN_GRACE {
            metrics.overrun_finished();
        }
    });

    // A little grace so a query cancelled at the deadline reports its own error.
    let first = match tokio::time::timeout(limit + OVERRUN_GRACE, receiver.recv()).await {
        Err(_) => {
            state.metrics.query_timeout();
            state.metrics.overrun_started();
            slot.lock().unwrap_or_else(|e| e.into_inner()).overrun();
            return ApiError::from(SparqlError::Timeout(limit)).into_response();
        }
        Ok(first) => first,
    };
    let first = match first {
        Some(Message::Failed(error)) => {
            count_timeout(&state.metrics, &error);
            return ApiError::from(error).into_response();
        }
        Some(Message::Done(all)) => {
            return with_headers(state, format, Response::new(Body::from(all)));
        }
        Some(message) => message,
        None => {
            return ApiError::internal("query evaluation ended without a result").into_response();
        }
    };
    let metrics = state.metrics.clone();
    let body = streamed(first, receiver, move |error| {
        count_timeout(&metrics, error);
        tracing::warn!(%error, "query failed after results started streaming");
    });
    with_headers(state, format, Response::new(body))
}

/// The body of a result whose first message has arrived: the chunks as they come, the tail,
/// and an aborted transfer (after `failed` is told) if the work fails midway.
fn streamed(
    first: Message,
    receiver: mpsc::Receiver<Message>,
    failed: impl Fn(&SparqlError) + Clone + Send + Sync + 'static,
) -> Body {
    let body = stream::unfold((Some(first), receiver), move |(pending, mut receiver)| {
        let failed = failed.clone();
        async move {
            let message = match pending {
                Some(message) => message,
                None => receiver.recv().await?,
            };
            match message {
                Message::Chunk(bytes) => Some((Ok::<_, std::io::Error>(bytes), (None, receiver))),
                // Yield the tail; the closed channel then ends the stream.
                Message::Done(tail) => (!tail.is_empty()).then_some((Ok(tail), (None, receiver))),
                Message::Failed(error) => {
                    failed(&error);
                    Some((
                        Err(std::io::Error::other(error.to_string())),
                        (None, receiver),
                    ))
                }
            }
        }
    });
    Body::from_stream(body)
}

/// Rows a point lookup may serialise on the connection's thread; a longer result is produced
/// again on a blocking thread and streamed.
const INLINE_ROWS: usize = 256;

/// Evaluates a point lookup on the connection's own thread and answers with the whole result,
/// or `None` when it has more than [`INLINE_ROWS`] rows (a subject with many statements).
/// Handing a sub-millisecond lookup to a blocking thread and its result back cost two thread
/// wake-ups, a quarter of its latency (BENCHMARKS.md).
fn inline_response(state: &AppState, prepared: Prepared, format: OutputFormat) -> Option<Response> {
    let result = state
        .engine
        .start(prepared, format, Vec::new())
        .and_then(|mut run| Ok(run.step(INLINE_ROWS)?.then_some(run)));
    match result {
        Ok(Some(run)) => {
            let summary = run.summary();
            let body = run.into_output().unwrap_or_default();
            Some(whole_response(state, format, Ok((summary, body))))
        }
        Ok(None) => None,
        Err(error) => Some(whole_response(state, format, Err(error))),
    }
}

/// The answer to an evaluation run to its end on the connection's thread.
fn whole_response(
    state: &AppState,
    format: OutputFormat,
    result: Result<(RunSummary, Vec<u8>), SparqlError>,
) -> Response {
    match result {
        Ok((summary, body)) => {
            if summary.truncated {
                state.metrics.rows_truncated();
            }
            with_headers(state, format, Response::new(Body::from(body)))
        }
        Err(error) => {
            count_timeout(&state.metrics, &error);
            ApiError::from(error).into_response()
        }
    }
}

/// Evaluates a query measured cheap (`super::quick`) on the connection's own thread, when it is
/// the only evaluation in the server. With nothing else running, handing it to a blocking
/// thread puts the evaluation on the other core from the request, its caches cold: at one client
/// that cost about a fifth more CPU per query than the same query at sixteen (BENCHMARKS.md,
/// "Noise, and where the time goes"). A request arriving meanwhile on this thread waits for at
/// most the measured cost (`sparql.quick_cpu_ms`). Saved queries whose results are kept go the
/// usual way.
fn quick_inline(
    state: &AppState,
    slot: Slot,
    prepared: Prepared,
    format: OutputFormat,
    key: QueryKey,
    revision: u64,
) -> Response {
    state.metrics.quick_inline();
    let cpu = thread_cpu_time();
    let mut body = Vec::new();
    let result = state.engine.run(prepared, format, &mut body);
    state
        .quick
        .measured(key, revision, thread_cpu_time().saturating_sub(cpu));
    drop(slot);
    whole_response(state, format, result.map(|summary| (summary, body)))
}

/// An evaluation that failed at its time limit counts as a query timeout.
fn count_timeout(metrics: &Metrics, error: &SparqlError) {
    if matches!(error, SparqlError::Timeout(_)) {
        metrics.query_timeout();
    }
}

fn with_headers(state: &AppState, format: OutputFormat, mut response: Response) -> Response {
    *response.status_mut() = StatusCode::OK;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.media_type()),
    );
    headers.insert(header::VARY, HeaderValue::from_static("accept"));
    headers.insert(
        "x-crosswalk-row-limit",
        HeaderValue::from(state.engine.limits().max_rows as u64),
    );
    response
}

/// Streams what `produce` writes on a blocking thread, in one of `client`'s evaluation slots
/// (dumps and other long exports are bounded like queries). An error before the first byte is
/// an error response; after it, the body is cut so the client sees a truncated transfer.
pub(super) async fn blocking_body(
    state: &AppState,
    client: &Client,
    produce: impl FnOnce(&mut dyn Write) -> std::io::Result<()> + Send + 'static,
) -> Result<Body, Response> {
    let slot = state
        .slots
        .acquire(client.key(), state.engine.limits().timeout)
        .await
        .map_err(refused)?;
    let (sender, mut receiver) = mpsc::channel(8);
    let writer = ChannelWriter {
        sender,
        // A whole dump takes far longer than a query; a client that stops reading is still cut
        // off, just later.
        deadline: Instant::now() + EXPORT_LIMIT,
        runtime: tokio::runtime::Handle::current(),
        keeping: None,
    };
    tokio::task::spawn_blocking(move || {
        let _slot = slot;
        let mut output = Buffered(BufWriter::with_capacity(CHUNK, writer));
        let result = produce(&mut output);
        let (writer, buffered) = output.0.into_parts();
        let last = match result {
            Ok(()) => Message::Done(Bytes::from(
                buffered.unwrap_or_else(|panicked| panicked.into_inner()),
            )),
            Err(error) => Message::Failed(SparqlError::Io(error)),
        };
        let _ = writer.send(last);
    });
    let first = match receiver.recv().await {
        Some(Message::Failed(error)) => {
            return Err(ApiError::internal(error.to_string()).into_response());
        }
        Some(Message::Done(all)) => return Ok(Body::from(all)),
        Some(message) => message,
        None => return Err(ApiError::internal("the export ended without output").into_response()),
    };
    Ok(streamed(first, receiver, |error| {
        tracing::warn!(%error, "export failed after it started streaming");
    }))
}
