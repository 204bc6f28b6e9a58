//! The SPARQL console (`/console`): YASGUI (vendored, `assets/yasgui/`) against `/sparql`, with
//! every saved query as an example tab. Without JavaScript the page is a plain form that sends
//! the query to `/sparql` in the chosen result format; every format is a download link either
//! way. `?query=` opens the console on a query, `?example=NAME` on a saved one.

use super::Web;
use super::error::{Failed, WebError};
use super::layout::{Page, with_query};
use askama::Template;
use axum::extract::{OriginalUri, Query, State};
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Response};

const MAX_QUERY: usize = 256 * 1024;

pub struct Example {
    pub name: String,
    pub title: String,
    pub description: String,
    pub text: String,
    pub href: String,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "web/console.html")]
struct ConsolePage {
    page: Page,
    examples: Vec<Example>,
    query: String,
    /// The examples as JSON for the script (escaped for a `<script>` element).
    examples_json: String,
    downloads: Vec<(&'static str, String)>,
}

const DEFAULT_QUERY: &str = "SELECT ?instrument ?name WHERE {\n  ?instrument a cw:Instrument ; cw:shortName ?name .\n} ORDER BY ?name LIMIT 50\n";

/// `/sparql?query=…&format=F` for every result format.
fn downloads(query: &str) -> Vec<(&'static str, String)> {
    ["json", "xml", "csv", "tsv"]
        .into_iter()
        .map(|f| (f, with_query("/sparql", &[("query", query), ("format", f)])))
        .collect()
}

/// JSON that cannot close the `<script>` element it sits in.
fn script_json(value: &serde_json::Value) -> String {
    value
        .to_string()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

pub async fn page(
    State(web): State<Web>,
    OriginalUri(uri): OriginalUri,
    Query(pairs): Query<Vec<(String, String)>>,
    headers: HeaderMap,
) -> Response {
    let page = Page::new(uri.path(), &pairs, &headers, "console");
    let lang = page.lang;
    match render(&web, page, &pairs) {
        Ok(html) => Html(html).into_response(),
        Err(error) => Failed(error, lang).into_response(),
    }
}

fn render(web: &Web, page: Page, pairs: &[(String, String)]) -> Result<String, WebError> {
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
    };
    let example = get("example").filter(|e| !e.is_empty());
    if let Some(name) = example {
        web.saved.get(name)?;
    }
    let mut query = get("query").unwrap_or("").to_owned();
    if query.len() > MAX_QUERY {
        return Err(WebError::BadRequest(format!(
            "query: at most {MAX_QUERY} bytes"
        )));
    }
    let examples: Vec<Example> = web
        .saved
        .list()
        .map(|q| Example {
            href: page.link("/console", &[("example", &q.name)]),
            selected: example == Some(q.name.as_str()),
            name: q.name.clone(),
            title: q.title.clone(),
            description: q.description.clone(),
            text: q.text.clone(),
        })
        .collect();
    if query.is_empty() {
        query = examples
            .iter()
            .find(|e| e.selected)
            .map(|e| e.text.clone())
            .unwrap_or_else(|| DEFAULT_QUERY.to_owned());
    }
    let json = serde_json::Value::Array(
        examples
            .iter()
            .map(|e| {
                serde_json::json!({
                    "name": e.name, "title": e.title, "text": e.text, "selected": e.selected,
                })
            })
            .collect(),
    );
    let title = page.t("console.title");
    Ok(ConsolePage {
        page: page.titled(title),
        downloads: downloads(&query),
        examples_json: script_json(&json),
        examples,
        query,
    }
    .render()?)
}
