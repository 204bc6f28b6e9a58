//! The jurisdiction matrix (`/matrix`): themes × jurisdictions (SG, MY, ID, EU, US, ASEAN and
//! the international standards), requirement counts split binding vs voluntary
//! (`queries/theme-matrix.rq`); each cell opens the search filtered by theme and jurisdiction.

use super::error::{Failed, WebError};
use super::layout::Page;
use super::{Web, blocking};
use crate::sparql::DatasetRequest;
use askama::Template;
use axum::extract::{OriginalUri, Query, State};
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Response};
use std::collections::BTreeMap;

pub const COLUMNS: [&str; 7] = ["SG", "MY", "ID", "EU", "US", "ASEAN", "INTL"];

pub struct Cell {
    pub binding: u64,
    pub voluntary: u64,
    pub provisions: u64,
    pub href: String,
    pub label: String,
}

pub struct MatrixRow {
    pub theme: String,
    pub theme_href: String,
    pub cells: Vec<Cell>,
}

pub struct Column {
    pub code: &'static str,
    pub label: String,
    pub binding: u64,
    pub voluntary: u64,
}

#[derive(Template)]
#[template(path = "web/matrix.html")]
struct MatrixPage {
    page: Page,
    columns: Vec<Column>,
    rows: Vec<MatrixRow>,
}

pub async fn page(
    State(web): State<Web>,
    OriginalUri(uri): OriginalUri,
    Query(pairs): Query<Vec<(String, String)>>,
    headers: HeaderMap,
) -> Response {
    let page = Page::new(uri.path(), &pairs, &headers, "matrix");
    let lang = page.lang;
    match blocking(move || render(&web, page)).await {
        Ok(html) => Html(html).into_response(),
        Err(error) => Failed(error, lang).into_response(),
    }
}

fn render(web: &Web, page: Page) -> Result<String, WebError> {
    let lang = page.lang;
    let catalog = web.catalog()?;
    let saved = web.saved.get("theme-matrix")?;
    let prepared = web
        .engine
        .prepare(&saved.text, &DatasetRequest::default())?;
    let table = crate::export::tabular::query_results(&web.engine, "matrix", prepared)?;
    let col = |name: &str| table.columns.iter().position(|c| c.header == name);
    let (Some(theme), Some(jur), Some(req), Some(bind), Some(prov)) = (
        col("theme"),
        col("jurisdiction"),
        col("requirements"),
        col("bindingRequirements"),
        col("provisions"),
    ) else {
        return Err(WebError::Internal("theme-matrix.rq lost a column".into()));
    };
    // theme IRI → jurisdiction → (requirements, binding, provisions)
    let mut counts: BTreeMap<String, BTreeMap<String, (u64, u64, u64)>> = BTreeMap::new();
    for row in &table.rows {
        let n = |i: usize| row.get(i).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
        counts
            .entry(row[theme].clone())
            .or_default()
            .insert(row[jur].clone(), (n(req), n(bind), n(prov)));
    }
    let mut columns: Vec<Column> = COLUMNS
        .iter()
        .map(|code| Column {
            code,
            label: catalog.code_label("jurisdiction/", code, lang),
            binding: 0,
            voluntary: 0,
        })
        .collect();
    let mut rows: Vec<MatrixRow> = counts
        .into_iter()
        .map(|(theme_iri, by)| {
            let theme_code = super::layout::local(&theme_iri).to_owned();
            let theme = catalog.label(&theme_iri, lang);
            let cells = COLUMNS
                .iter()
                .enumerate()
                .map(|(i, code)| {
                    let (requirements, binding, provisions) =
                        by.get(*code).copied().unwrap_or_default();
                    let voluntary = requirements.saturating_sub(binding);
                    columns[i].binding += binding;
                    columns[i].voluntary += voluntary;
                    Cell {
                        binding,
                        voluntary,
                        provisions,
                        href: page
                            .link("/search", &[("theme", &theme_code), ("jurisdiction", code)]),
                        label: format!(
                            "{theme}, {}: {binding} {}, {voluntary} {}, {provisions} {}",
                            code,
                            page.t("matrix.binding"),
                            page.t("matrix.voluntary"),
                            page.t("matrix.provisions")
                        ),
                    }
                })
                .collect();
            MatrixRow {
                theme_href: page.link("/search", &[("theme", &theme_code)]),
                theme,
                cells,
            }
        })
        .collect();
    rows.sort_by_key(|a| a.theme.to_lowercase());
    let title = page.t("matrix.title");
    Ok(MatrixPage {
        page: page.titled(title),
        columns,
        rows,
    }
    .render()?)
}
