//! The sources page (`/sources`): every tracked source with its channel, schedule, last fetch,
//! outcome and reason (from the crawler's bookkeeping in the ops database) and next check.
//! The instrument page shows the same rows for its own sources.

use super::catalog::Catalog;
use super::error::{Failed, WebError};
use super::layout::Page;
use super::{Web, blocking};
use crate::source;
use askama::Template;
use axum::extract::{OriginalUri, Query, State};
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Response};
use chrono::{DateTime, Utc};

pub struct SourceRow {
    pub id: String,
    pub title: String,
    pub url: String,
    pub instrument: Option<(String, String)>,
    pub jurisdiction: Option<super::layout::Badge>,
    pub kind: &'static str,
    pub schedule: String,
    pub enabled: bool,
    pub last_fetch: String,
    pub outcome: String,
    pub outcome_class: &'static str,
    pub reason: String,
    pub next_check: String,
}

fn time(seconds: Option<i64>) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(seconds?, 0)
}

fn show(t: Option<DateTime<Utc>>) -> String {
    t.map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_default()
}

/// The rows of every source, or of one instrument's. Blocking.
pub fn rows(web: &Web, page: &Page, instrument: Option<&str>) -> Result<Vec<SourceRow>, WebError> {
    let catalog: std::sync::Arc<Catalog> = web.catalog()?;
    let sources = source::list(web.graph()).map_err(|e| WebError::Internal(e.to_string()))?;
    let now = Utc::now();
    let mut rows = Vec::new();
    for s in sources {
        if instrument.is_some() && s.instrument.as_deref() != instrument {
            continue;
        }
        let state = web.crawl.as_ref().and_then(|c| c.get(&s.id).ok());
        let outcome = state
            .as_ref()
            .and_then(|st| st.last_outcome.clone())
            .unwrap_or_default();
        let retry = state
            .as_ref()
            .and_then(|st| time(st.next_attempt_at))
            .filter(|t| *t > now);
        let scheduled = s
            .schedule
            .as_ref()
            .filter(|_| s.enabled)
            .and_then(|sch| sch.next_after(now));
        // A pending retry (backoff, Retry-After) comes first; otherwise the schedule's next run.
        let next = retry.or(scheduled);
        rows.push(SourceRow {
            title: s.title.clone().unwrap_or_else(|| s.id.clone()),
            instrument: s.instrument.as_deref().map(|i| {
                (
                    page.resource(i),
                    catalog
                        .instrument(i)
                        .map(|x| x.name.clone())
                        .unwrap_or_else(|| super::layout::local(i).to_owned()),
                )
            }),
            jurisdiction: s
                .jurisdiction
                .as_deref()
                .map(|j| catalog.jurisdiction_badge(super::layout::local(j), page.lang)),
            kind: s.channel.kind.as_str(),
            schedule: s
                .schedule
                .as_ref()
                .map(|sch| sch.as_str().to_owned())
                .unwrap_or_else(|| page.t("sources.invalid-schedule").to_owned()),
            enabled: s.enabled,
            last_fetch: show(state.as_ref().and_then(|st| time(st.last_fetch_at))),
            outcome_class: match outcome.as_str() {
                "failed" => "badge review",
                "changed" => "badge team",
                "" => "",
                _ => "badge neutral",
            },
            outcome,
            reason: state
                .as_ref()
                .and_then(|st| st.last_reason.clone())
                .unwrap_or_default(),
            next_check: if s.enabled {
                show(next)
            } else {
                page.t("sources.paused").to_owned()
            },
            url: s.url.clone(),
            id: s.id,
        });
    }
    Ok(rows)
}

#[derive(Template)]
#[template(path = "web/sources.html")]
struct SourcesPage {
    page: Page,
    rows: Vec<SourceRow>,
    failed: usize,
    never: usize,
}

pub async fn page(
    State(web): State<Web>,
    OriginalUri(uri): OriginalUri,
    Query(pairs): Query<Vec<(String, String)>>,
    headers: HeaderMap,
) -> Response {
    let page = Page::new(uri.path(), &pairs, &headers, "sources");
    let lang = page.lang;
    let result = blocking(move || {
        let rows = rows(&web, &page, None)?;
        let failed = rows.iter().filter(|r| r.outcome == "failed").count();
        let never = rows.iter().filter(|r| r.last_fetch.is_empty()).count();
        let title = page.t("sources.title");
        Ok(SourcesPage {
            page: page.titled(title),
            rows,
            failed,
            never,
        }
        .render()?)
    })
    .await;
    match result {
        Ok(html) => Html(html).into_response(),
        Err(error) => Failed(error, lang).into_response(),
    }
}
