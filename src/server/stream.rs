//! Streams a blocking query evaluation into an HTTP response.
//!
//! Point lookups (`Prepared::is_point_lookup`) are the exception: they run on the connection's
//! own thread and answer whole, because handing them to another thread cost more than running
//! them (see `inline_response`); one with too many rows to do that is run again the usual way.
//!
//! The evaluation runs on a blocking thread and writes through a buffer into a channel. The handler
//! waits for the first message: an error before any byte was sent becomes a proper status
//! (400 for syntax, 503 for timeout); otherwise the body streams as the results arrive and a
//! later failure aborts the body, so clients see a truncated transfer rather than wrong data.
//!
//! Oxigraph checks the cancellation token only when it reads from storage, so a query that
//! spins on in-memory work (a cross product of materialised joins) can run past its deadline.
//! The handler therefore answers 503 at the deadline itself, whatever the evaluation thread is
//! doing, and evaluations run in a bounded number of slots so such threads cannot pile up
//! unnoticed (`crosswalk_sparql_overrunning` counts those still running past their deadline).

use super::error::ApiError;
use super::{AppState, Metrics};
use crate::sparql::{OutputFormat, Prepared, SparqlError};
use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use futures_util::stream;
use std::io::{BufWriter, Write};
use tokio::sync::mpsc;

const CHUNK: usize = 32 * 1024;
const OVERRUN_GRACE: std::time::Duration = std::time::Duration::from_millis(500);

enum Message {
    Chunk(Bytes),
    Failed(SparqlError),
    /// The rest of the output, ending the run, in one message: a small result then costs the
    /// handler a single wake-up and goes out with a `Content-Length`.
    Done(Bytes),
}

/// Sends each write as one chunk. It sits behind a [`BufWriter`], so what arrives here is a full
/// buffer: the serializers' many tiny writes (a quote, a key, a comma) stay in the buffer's
/// inlined fast path instead of each costing a call into the channel side.
struct ChannelWriter(mpsc::Sender<Message>);

impl Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.0
            .blocking_send(Message::Chunk(Bytes::copy_from_slice(data)))
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "client went away"))?;
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Buffers the output and keeps the serializers' flushes from turning into tiny chunks.
struct Output(BufWriter<ChannelWriter>);

impl Write for Output {
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

/// Runs `prepared` and answers with its results in `format`.
pub async fn query_response(
    state: &AppState,
    prepared: Prepared,
    format: OutputFormat,
) -> Response {
    let limit = state.engine.limits().timeout;
    let Some(slot) = query_slot(state, limit).await else {
        return ApiError::new(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            "all query slots are busy; retry later",
        )
        .into_response();
    };
    // A lookup with more rows than it may take on this thread falls through and runs again off it.
    if prepared.is_point_lookup()
        && let Some(response) = inline_response(state, prepared.clone(), format)
    {
        return response;
    }
    let (sender, mut receiver) = mpsc::channel(8);
    let engine = state.engine.clone();
    let metrics = state.metrics.clone();
    let started = std::time::Instant::now();
    tokio::task::spawn_blocking(move || {
        let _slot = slot;
        let mut output = Output(BufWriter::with_capacity(
            CHUNK,
            ChannelWriter(sender.clone()),
        ));
        let result = engine.run(prepared, format, &mut output);
        // Taken apart rather than dropped: dropping would flush the buffer as one more chunk.
        let (_, buffered) = output.0.into_parts();
        let last = match result {
            Ok(summary) => {
                if summary.truncated {
                    metrics.rows_truncated();
                }
                // What is still buffered is the tail; a small result is all tail.
                Message::Done(Bytes::from(
                    buffered.unwrap_or_else(|panicked| panicked.into_inner()),
                ))
            }
            Err(error) => Message::Failed(error),
        };
        let _ = sender.blocking_send(last);
        if started.elapsed() > limit + OVERRUN_GRACE {
            metrics.overrun_finished();
        }
    });

    // A little grace so a query cancelled at the deadline reports its own error.
    let first = match tokio::time::timeout(limit + OVERRUN_GRACE, receiver.recv()).await {
        Err(_) => {
            state.metrics.query_timeout();
            state.metrics.overrun_started();
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

/// One of the bounded evaluation slots, waiting up to `limit` for one when all are taken.
/// A free slot is taken at once, without arming a timer for a wait that does not happen.
async fn query_slot(
    state: &AppState,
    limit: std::time::Duration,
) -> Option<tokio::sync::OwnedSemaphorePermit> {
    match state.query_slots.clone().try_acquire_owned() {
        Ok(slot) => Some(slot),
        Err(tokio::sync::TryAcquireError::Closed) => None,
        Err(tokio::sync::TryAcquireError::NoPermits) => {
            tokio::time::timeout(limit, state.query_slots.clone().acquire_owned())
                .await
                .ok()?
                .ok()
        }
    }
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
    Some(match result {
        Ok(Some(run)) => {
            if run.summary().truncated {
                state.metrics.rows_truncated();
            }
            let body = run.into_output().unwrap_or_default();
            with_headers(state, format, Response::new(Body::from(body)))
        }
        Ok(None) => return None,
        Err(error) => {
            count_timeout(&state.metrics, &error);
            ApiError::from(error).into_response()
        }
    })
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

/// Streams what `produce` writes on a blocking thread, in one of the evaluation slots (dumps
/// and other long exports are bounded like queries). An error before the first byte is an
/// error response; after it, the body is cut so the client sees a truncated transfer.
pub(super) async fn blocking_body(
    state: &AppState,
    produce: impl FnOnce(&mut dyn Write) -> std::io::Result<()> + Send + 'static,
) -> Result<Body, ApiError> {
    let Some(slot) = query_slot(state, state.engine.limits().timeout).await else {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "all query slots are busy; retry later",
        ));
    };
    let (sender, mut receiver) = mpsc::channel(8);
    tokio::task::spawn_blocking(move || {
        let _slot = slot;
        let mut output = Output(BufWriter::with_capacity(
            CHUNK,
            ChannelWriter(sender.clone()),
        ));
        let result = produce(&mut output);
        let (_, buffered) = output.0.into_parts();
        let last = match result {
            Ok(()) => Message::Done(Bytes::from(
                buffered.unwrap_or_else(|panicked| panicked.into_inner()),
            )),
            Err(error) => Message::Failed(SparqlError::Io(error)),
        };
        let _ = sender.blocking_send(last);
    });
    let first = match receiver.recv().await {
        Some(Message::Failed(error)) => return Err(ApiError::internal(error.to_string())),
        Some(Message::Done(all)) => return Ok(Body::from(all)),
        Some(message) => message,
        None => return Err(ApiError::internal("the export ended without output")),
    };
    Ok(streamed(first, receiver, |error| {
        tracing::warn!(%error, "export failed after it started streaming");
    }))
}
