//! What a fetch came to besides new content, and the writes every outcome shares: failures
//! (transient ones rescheduled with backoff, a removal raised with its fetch), the crawl state
//! settled after a success, graph writes that number their change events, and the restoration
//! event of a source that answers again.

use super::presence;
use super::record::{self, FetchRecord};
use super::state::SourceState;
use super::{CrawlError, CrawlReport, Crawler, Outcome, backoff, fetch_iri, rfc3339};
use crate::graph::GraphError;
use crate::source::Source;
use oxigraph::model::{NamedNode, Quad};
use std::time::Duration;

impl Crawler {
    /// Records a failure; transient ones are rescheduled with backoff (never before Retry-After).
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn failed(
        &self,
        source: &Source,
        state: &mut SourceState,
        started: chrono::DateTime<chrono::Utc>,
        http_status: Option<u16>,
        reason: String,
        transient: bool,
        retry_after: Option<Duration>,
    ) -> Result<CrawlReport, CrawlError> {
        self.failed_with(
            source,
            state,
            started,
            http_status,
            reason,
            transient,
            retry_after,
            None,
        )
        .await
    }

    /// [`Crawler::failed`], with a source-level event (`source-removed`) in the same write.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn failed_with(
        &self,
        source: &Source,
        state: &mut SourceState,
        started: chrono::DateTime<chrono::Utc>,
        http_status: Option<u16>,
        reason: String,
        transient: bool,
        retry_after: Option<Duration>,
        event: Option<presence::SourceEvent>,
    ) -> Result<CrawlReport, CrawlError> {
        let mut reason = reason;
        let mut next = None;
        if transient {
            state.retry_count += 1;
            if state.retry_count >= self.max_attempts {
                reason.push_str(&format!(
                    " (gave up after {} attempts; next try at the regular schedule)",
                    state.retry_count
                ));
                state.retry_count = 0;
            } else {
                let wait = backoff(state.retry_count).max(retry_after.unwrap_or_default());
                let at = chrono::Utc::now().timestamp() + wait.as_secs() as i64;
                reason.push_str(&format!(
                    " (attempt {} of {}; retry scheduled at {})",
                    state.retry_count,
                    self.max_attempts,
                    rfc3339(at)
                ));
                next = Some(at);
            }
        } else {
            state.retry_count = 0;
        }
        let fetch = fetch_iri(&source.id, started);
        let ended = chrono::Utc::now();
        let mut quads = record::fetch_quads(&FetchRecord {
            iri: fetch.clone(),
            source,
            started,
            ended,
            http_status,
            etag: None,
            last_modified: None,
            final_url: None,
            bytes: None,
            outcome: Outcome::Failed,
            reason: Some(&reason),
            snapshot: None,
        });
        if let Some(event) = &event {
            quads.extend(presence::event_quads(source, &fetch, ended, event));
        }
        let revision = self.write(quads).await?;
        state.next_attempt_at = next;
        state.last_outcome = Some(Outcome::Failed.as_str().into());
        state.last_reason = Some(reason.clone());
        state.last_fetch_at = Some(started.timestamp());
        self.state.save(state)?;
        tracing::warn!(source = %source.id, %reason, "fetch failed");
        let mut report = CrawlReport::new(&source.id, Outcome::Failed);
        report.http_status = http_status;
        report.reason = Some(reason);
        report.next_attempt_at = next.map(rfc3339);
        report.retry_count = state.retry_count;
        report.revision = Some(revision);
        Ok(report)
    }

    pub(super) fn settle(
        &self,
        state: &mut SourceState,
        outcome: Outcome,
        reason: Option<String>,
    ) -> Result<(), CrawlError> {
        state.retry_count = 0;
        state.next_attempt_at = None;
        state.last_outcome = Some(outcome.as_str().into());
        state.last_reason = reason;
        state.last_fetch_at = Some(chrono::Utc::now().timestamp());
        self.state.save(state)?;
        self.present(&state.source)?;
        Ok(())
    }

    /// Writes `quads` in one transaction, numbering the change events among them.
    pub(super) async fn write(&self, quads: Vec<Quad>) -> Result<u64, CrawlError> {
        let graph = self.graph.clone();
        tokio::task::spawn_blocking(move || {
            graph.write(|t| {
                record::insert_numbered(t, &quads).map_err(GraphError::from)?;
                Ok::<_, CrawlError>(())
            })
        })
        .await?
    }

    /// The `source-restored` event's quads when the source stands removed.
    pub(super) async fn restored_quads(
        &self,
        source: &Source,
        fetch: &NamedNode,
        snapshot: Option<&str>,
    ) -> Result<Vec<Quad>, CrawlError> {
        let event = {
            let (graph, source) = (self.graph.clone(), source.clone());
            let snapshot = snapshot.map(str::to_owned);
            tokio::task::spawn_blocking(move || {
                if !presence::is_removed(&graph, &source)? {
                    return Ok::<_, CrawlError>(None);
                }
                Ok(Some(presence::SourceEvent {
                    kind: "source-restored",
                    detail: format!("{} answers again after it was reported removed", source.id),
                    snapshot: snapshot.unwrap_or_default(),
                }))
            })
            .await??
        };
        Ok(event
            .map(|e| presence::event_quads(source, fetch, chrono::Utc::now(), &e))
            .unwrap_or_default())
    }
}
