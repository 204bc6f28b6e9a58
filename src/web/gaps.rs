//! The gap view (`/gaps`, `/gaps.csv`): framework A's elements without equal or containing
//! coverage in B, from the saved gap-analysis query, with each element's partial links. Shares
//! the framework choice, selection and CSV helpers of the explorer.

use super::element::{Link, rel_class};
use super::error::{Failed, WebError};
use super::explorer::{
    Choice, Selection, choices, csv_response, natural_key, resolve, safe, table,
};
use super::layout::{Page, local};
use super::{Web, blocking};
use crate::sparql::DatasetRequest;
use askama::Template;
use axum::extract::{OriginalUri, Query, State};
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Response};

/// One element of A without full coverage in B.
pub struct GapRow {
    pub iri: String,
    pub element: Link,
    pub reference: String,
    pub partial: Vec<(Link, &'static str, &'static str)>,
    pub partial_count: String,
}

#[derive(Template)]
#[template(path = "web/gaps.html")]
struct GapsPage {
    page: Page,
    choices: Vec<Choice>,
    chosen: Option<(String, String)>,
    rows: Vec<GapRow>,
    none_at_all: usize,
    csv: String,
    explorer: String,
}

/// The gap rows: the saved gap-analysis query, with each element's partial links. Blocking.
fn gap_rows(web: &Web, page: &Page, s: &Selection) -> Result<Vec<GapRow>, WebError> {
    let saved = web.saved.get("gap-analysis")?;
    let codes = web.codes()?;
    let bindings =
        saved.checked_bindings([("from", s.from.as_str()), ("to", s.to.as_str())], &codes)?;
    let mut prepared = web
        .engine
        .prepare(&saved.text, &DatasetRequest::default())?;
    for (variable, term) in bindings {
        prepared = prepared.bind(variable, term);
    }
    let result = crate::export::tabular::query_results(&web.engine, "gaps", prepared)?;
    let column = |name: &str| result.columns.iter().position(|c| c.header == name);
    let (Some(element), ref_col, title_col, partial_col) = (
        column("element"),
        column("ref"),
        column("title"),
        column("partialLinks"),
    ) else {
        return Err(WebError::Internal("gap-analysis.rq has no ?element".into()));
    };
    let to = resolve(web, &s.to)?;
    let mappings = web.mappings()?;
    let cell = |row: &Vec<String>, c: Option<usize>| {
        c.and_then(|c| row.get(c).cloned()).unwrap_or_default()
    };
    let mut rows = Vec::new();
    for r in &result.rows {
        let iri = cell(r, Some(element));
        let partial = mappings
            .touching(&iri)
            .into_iter()
            .filter(|(instrument, _)| *instrument == to.iri)
            .map(|(_, m)| {
                let label = match (&m.object_ref, &m.object_title) {
                    (Some(r), Some(t)) => format!("{r} {t}"),
                    (Some(x), None) | (None, Some(x)) => x.clone(),
                    _ => local(&m.object).to_owned(),
                };
                (
                    Link {
                        href: page.resource(&m.object),
                        label,
                    },
                    page.t(&format!("rel.{}", m.relationship.local())),
                    rel_class(m.relationship.local()),
                )
            })
            .collect();
        rows.push(GapRow {
            iri: iri.clone(),
            element: Link {
                href: page.resource(&iri),
                label: cell(r, title_col),
            },
            reference: cell(r, ref_col),
            partial,
            partial_count: cell(r, partial_col),
        });
    }
    rows.sort_by_key(|a| natural_key(&a.reference));
    Ok(rows)
}

pub async fn gaps(
    State(web): State<Web>,
    OriginalUri(uri): OriginalUri,
    Query(pairs): Query<Vec<(String, String)>>,
    headers: HeaderMap,
) -> Response {
    let page = Page::new(uri.path(), &pairs, &headers, "gaps");
    let lang = page.lang;
    let result = async {
        let s = Selection::parse(&pairs)?;
        blocking(move || {
            let catalog = web.catalog()?;
            let (choices, _) = choices(&web, &catalog, &page, &s)?;
            let mut view = GapsPage {
                page: page.clone().titled(page.t("gaps.title")),
                choices,
                chosen: None,
                rows: Vec::new(),
                none_at_all: 0,
                csv: page.link("/gaps.csv", &[("from", &s.from), ("to", &s.to)]),
                explorer: page.link("/crosswalk", &[("from", &s.from), ("to", &s.to)]),
            };
            if !s.from.is_empty() && !s.to.is_empty() {
                let name = |code: &str| {
                    catalog
                        .by_code(code)
                        .map(|i| i.name.clone())
                        .unwrap_or_else(|| code.to_owned())
                };
                view.rows = gap_rows(&web, &page, &s)?;
                view.none_at_all = view.rows.iter().filter(|r| r.partial.is_empty()).count();
                view.page = page.clone().titled(format!(
                    "{} → {} · {}",
                    name(&s.from),
                    name(&s.to),
                    page.t("gaps.title")
                ));
                view.chosen = Some((name(&s.from), name(&s.to)));
            }
            Ok(view.render()?)
        })
        .await
    }
    .await;
    match result {
        Ok(html) => Html(html).into_response(),
        Err(error) => Failed(error, lang).into_response(),
    }
}

pub async fn gaps_csv(
    State(web): State<Web>,
    Query(pairs): Query<Vec<(String, String)>>,
    headers: HeaderMap,
) -> Response {
    let page = Page::new("/gaps.csv", &pairs, &headers, "");
    let lang = page.lang;
    let result = async {
        let s = Selection::parse(&pairs)?;
        if s.from.is_empty() || s.to.is_empty() {
            return Err(WebError::BadRequest(
                "name both frameworks: from=…&to=…".into(),
            ));
        }
        blocking(move || {
            let rows = gap_rows(&web, &page, &s)?
                .into_iter()
                .map(|r| {
                    let partial = r
                        .partial
                        .iter()
                        .map(|(l, rel, _)| format!("{} ({rel})", l.label))
                        .collect::<Vec<_>>()
                        .join("; ");
                    vec![
                        r.reference,
                        r.element.label,
                        r.partial_count,
                        partial,
                        r.iri,
                    ]
                })
                .collect();
            let t = table(
                "gaps",
                &[
                    "Reference",
                    "Title",
                    "Partial links",
                    "Partial link targets",
                    "IRI",
                ],
                rows,
            );
            csv_response(&t, &format!("gaps-{}--{}", safe(&s.from), safe(&s.to)))
        })
        .await
    }
    .await;
    result.unwrap_or_else(|e| Failed(e, lang).into_response())
}
