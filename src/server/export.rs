//! Exports and imports over HTTP (`crate::export`, `crate::import`):
//!
//! | route | answer |
//! |---|---|
//! | `GET /api/export/oscal/catalog/{framework}` | OSCAL catalog (JSON) |
//! | `GET /api/export/oscal/mapping?from=A&to=B[&derived=true]` | OSCAL control mapping (JSON) |
//! | `GET /api/export/sssom?from=A&to=B[&derived=true]` | SSSOM/TSV |
//! | `GET /api/export/obligations.{csv,xlsx}?…` | the obligations query's filters |
//! | `GET /api/export/search.{csv,xlsx}?q=…` | `/api/search`'s parameters |
//! | `GET /api/export/queries/{name}.{csv,xlsx}?…` | a saved query's results |
//! | `POST /api/import/mappings?format=&name=&partial=&review_status=` | admin token; JSON report |
//! | `GET /dump.nq.gz`, `GET /dump.trig.gz` | the public graphs, streamed |
//! | `GET /.well-known/void` | DCAT/VoID description, negotiated RDF |

use super::error::ApiError;
use super::{AppState, Client, stream};
use crate::export::{self, ExportError, oscal, sssom, tabular};
use crate::import::{self, ImportError};
use crate::mapping::{Framework, MappingError, MappingSet};
use crate::sparql::DatasetRequest;
use crate::sparql::format::{self, OutputFormat, QueryForm};
use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use oxigraph::io::RdfSerializer;
use std::sync::Arc;

impl From<ExportError> for ApiError {
    fn from(error: ExportError) -> Self {
        let status = match &error {
            ExportError::NoProvisions(_) => StatusCode::NOT_FOUND,
            ExportError::Sparql(crate::sparql::SparqlError::Timeout(_)) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            e if e.is_client_error() => StatusCode::BAD_REQUEST,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        Self::new(status, error.to_string())
    }
}

impl From<MappingError> for ApiError {
    fn from(error: MappingError) -> Self {
        ExportError::from(error).into()
    }
}

/// Runs export work off the async threads.
pub(super) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ApiError::internal(format!("export task failed: {e}")))?
}

fn attachment(media: &'static str, file: &str, body: impl Into<Body>) -> Response {
    let mut response = Response::new(body.into());
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(media));
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{file}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

/// Spreadsheet media types by file extension.
fn table_response(
    table: &tabular::Table,
    file: &str,
    extension: &str,
) -> Result<Response, ApiError> {
    Ok(match extension {
        "csv" => attachment(
            "text/csv; charset=utf-8",
            &format!("{file}.csv"),
            table.csv()?,
        ),
        "xlsx" => attachment(
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            &format!("{file}.xlsx"),
            table.xlsx()?,
        ),
        other => {
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                format!("no export as .{other}: use .csv or .xlsx"),
            ));
        }
    })
}

fn one(pairs: &[(String, String)], name: &str) -> Option<String> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

fn flag(pairs: &[(String, String)], name: &str) -> Result<bool, ApiError> {
    match one(pairs, name).as_deref() {
        None | Some("false" | "0") => Ok(false),
        Some("true" | "1") => Ok(true),
        Some(other) => Err(ApiError::bad_request(format!(
            "{name}={other:?}: expected true or false"
        ))),
    }
}

/// Refuses parameters a route does not take, naming the ones it does.
fn only(pairs: &[(String, String)], known: &[&str]) -> Result<(), ApiError> {
    match pairs.iter().find(|(k, _)| !known.contains(&k.as_str())) {
        Some((k, _)) => Err(ApiError::bad_request(format!(
            "unknown parameter {k:?}; this export takes: {}",
            known.join(", ")
        ))),
        None => Ok(()),
    }
}

pub async fn oscal_catalog(
    State(state): State<AppState>,
    Path(framework): Path<String>,
) -> Result<Response, ApiError> {
    let codes = state.codes().await?;
    let graph = state.graph().clone();
    let document = blocking(move || {
        let framework = Framework::resolve(&graph, &codes, &framework)?;
        let outline = oscal::Outline::load(&graph, framework)?;
        Ok(oscal::catalog(&oscal::Context::new(&graph)?, &outline)?)
    })
    .await?;
    Ok(Json(document).into_response())
}

/// The mapping set of `from` and `to` parameters.
async fn mapping_set(
    state: &AppState,
    pairs: &[(String, String)],
) -> Result<(MappingSet, Arc<crate::graph::codes::Codes>), ApiError> {
    only(pairs, &["from", "to", "derived"])?;
    let (Some(from), Some(to)) = (one(pairs, "from"), one(pairs, "to")) else {
        return Err(ApiError::bad_request(
            "give two frameworks: from=CODE&to=CODE (e.g. from=us-nist-ai-rmf&to=iso-iec-42001)",
        ));
    };
    let derived = flag(pairs, "derived")?;
    let codes = state.codes().await?;
    let mappings = state.mappings().await?;
    let graph = state.graph().clone();
    let for_set = codes.clone();
    let set = blocking(move || {
        let from = Framework::resolve(&graph, &for_set, &from)?;
        let to = Framework::resolve(&graph, &for_set, &to)?;
        Ok(mappings.set(from, to, derived))
    })
    .await?;
    Ok((set, codes))
}

pub async fn oscal_mapping(
    State(state): State<AppState>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let (set, _) = mapping_set(&state, &pairs).await?;
    let graph = state.graph().clone();
    let document = blocking(move || {
        let from = oscal::Outline::load(&graph, set.from.clone())?;
        let to = oscal::Outline::load(&graph, set.to.clone())?;
        Ok(oscal::mapping(
            &oscal::Context::new(&graph)?,
            &set,
            &from,
            &to,
        )?)
    })
    .await?;
    Ok(Json(document).into_response())
}

pub async fn sssom_export(
    State(state): State<AppState>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let (set, _) = mapping_set(&state, &pairs).await?;
    let graph = state.graph().clone();
    let file = format!("{}--{}.sssom.tsv", set.from.code, set.to.code);
    let body = blocking(move || {
        let modified = export::last_modified(&graph)?;
        let version = format!("crosswalk-r{}", graph.revision());
        Ok(sssom::write(
            &set,
            &version,
            &modified[..10.min(modified.len())],
        )?)
    })
    .await?;
    Ok(attachment(
        "text/tab-separated-values; charset=utf-8",
        &file,
        body,
    ))
}

/// `GET /api/export/{obligations,search}.{csv,xlsx}`.
pub async fn table(
    State(state): State<AppState>,
    Path(file): Path<String>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    match file.split_once('.') {
        Some(("obligations", extension)) => obligations(&state, extension, pairs).await,
        Some(("search", extension)) => search(&state, extension, pairs).await,
        _ => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "table exports: /api/export/obligations.{csv,xlsx}, /api/export/search.{csv,xlsx}",
        )),
    }
}

async fn obligations(
    state: &AppState,
    extension: &str,
    pairs: Vec<(String, String)>,
) -> Result<Response, ApiError> {
    if !matches!(extension, "csv" | "xlsx") {
        return table_response(&tabular::Table::empty(), "obligations", extension);
    }
    let query = tabular::obligations_query();
    let codes = state.codes().await?;
    let bindings =
        query.checked_bindings(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())), &codes)?;
    let engine = state.engine.clone();
    let table = blocking(move || Ok(tabular::obligations(&engine, bindings)?)).await?;
    table_response(&table, "obligations", extension)
}

async fn search(
    state: &AppState,
    extension: &str,
    pairs: Vec<(String, String)>,
) -> Result<Response, ApiError> {
    if !matches!(extension, "csv" | "xlsx") {
        return table_response(&tabular::Table::empty(), "search", extension);
    }
    let Some(index) = state.search().cloned() else {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "the search index is not enabled on this server",
        ));
    };
    let request = super::search::parse_request(&pairs)?;
    let graph = state.graph().clone();
    let table = blocking(move || {
        let response = index.search(&request)?;
        let iris: Vec<String> = response.hits.into_iter().map(|h| h.iri).collect();
        Ok(tabular::search_hits(&graph, &iris)?)
    })
    .await?;
    table_response(&table, "search", extension)
}

pub async fn saved_query(
    State(state): State<AppState>,
    Path(file): Path<String>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let Some((name, extension)) = file.rsplit_once('.') else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "name the file: /api/export/queries/NAME.csv or NAME.xlsx",
        ));
    };
    let saved = state.saved.get(name)?;
    let codes = state.codes().await?;
    let bindings =
        saved.checked_bindings(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())), &codes)?;
    let mut prepared = state
        .engine
        .prepare(&saved.text, &DatasetRequest::default())?;
    for (variable, term) in bindings {
        prepared = prepared.bind(variable, term);
    }
    let engine = state.engine.clone();
    let title = name.to_owned();
    let table = blocking(move || Ok(tabular::query_results(&engine, &title, prepared)?)).await?;
    table_response(&table, name, extension)
}

impl From<ImportError> for ApiError {
    fn from(error: ImportError) -> Self {
        match error {
            ImportError::Rejected(report) => {
                let mut response = ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    serde_json::to_string_pretty(&report).unwrap_or_default(),
                );
                response.json = true;
                response
            }
            e if e.is_client_error() => ApiError::bad_request(e.to_string()),
            e => ApiError::internal(e.to_string()),
        }
    }
}

/// `POST /api/import/mappings`: the body is the file. 200 with the report when written; 422
/// with the report (every rejected row) when rows were rejected and `partial` was not set.
pub async fn import_mappings(
    State(state): State<AppState>,
    Query(pairs): Query<Vec<(String, String)>>,
    body: Bytes,
) -> Result<Response, ApiError> {
    only(&pairs, &["format", "name", "partial", "review_status"])?;
    let format = match one(&pairs, "format") {
        Some(f) => import::Format::parse(&f)
            .ok_or_else(|| ApiError::bad_request(format!("format={f:?}: use oscal or sssom")))?,
        None => import::Format::sniff(&body),
    };
    let name = one(&pairs, "name").unwrap_or_else(|| match format {
        import::Format::Oscal => "oscal".into(),
        import::Format::Sssom => "sssom".into(),
    });
    let options = import::Options {
        name,
        format,
        partial: flag(&pairs, "partial")?,
        review_status: one(&pairs, "review_status").unwrap_or_else(|| "draft".into()),
        origin: Some("POST /api/import/mappings".into()),
    };
    let codes = state.codes().await?;
    let graph = state.graph().clone();
    let report = blocking(move || {
        let rows = match options.format {
            import::Format::Oscal => import::oscal::parse(&graph, &codes, &body)?,
            import::Format::Sssom => import::sssom::parse(&body, &codes)?,
        };
        Ok(import::import(&graph, &codes, rows, &options)?)
    })
    .await?;
    if report.revision.is_some() {
        // The imported mappings are derived and searchable before the client hears of them.
        state.settle().await;
    }
    Ok(Json(report).into_response())
}

/// `GET /dump.nq.gz`.
pub async fn dump_nquads(State(state): State<AppState>, client: Client) -> Response {
    dump(state, client, "nq").await
}

/// `GET /dump.trig.gz`.
pub async fn dump_trig(State(state): State<AppState>, client: Client) -> Response {
    dump(state, client, "trig").await
}

async fn dump(state: AppState, client: Client, extension: &str) -> Response {
    let format = export::dump::format(extension).expect("the routes name known formats");
    let graph = state.graph().clone();
    let revision = graph.revision();
    let body = match stream::blocking_body(&state, &client, move |out| {
        export::dump::write(&graph, format, true, out)
            .map(|_| ())
            .map_err(std::io::Error::other)
    })
    .await
    {
        Ok(body) => body,
        Err(refused) => return refused,
    };
    let mut response = attachment(
        "application/gzip",
        &format!("crosswalk-r{revision}.{extension}.gz"),
        body,
    );
    if let Ok(etag) = HeaderValue::from_str(&format!("\"r{revision}\"")) {
        response.headers_mut().insert(header::ETAG, etag);
    }
    response
}

/// `GET /.well-known/void`: the description, recomputed after a graph write.
pub async fn void(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, ApiError> {
    let format = match format::negotiate(
        QueryForm::Graph,
        headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()),
        None,
    ) {
        Ok(OutputFormat::Rdf(f)) => f,
        // A browser asks for HTML: Turtle is readable.
        _ => oxigraph::io::RdfFormat::Turtle,
    };
    let description = state.void().await?;
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| !h.is_empty() && !h.contains(['/', ' ', '<', '>', '"']))
        .unwrap_or("localhost");
    let triples = description.triples(&format!("http://{host}"));
    let mut writer = [
        ("void", "http://rdfs.org/ns/void#"),
        ("dcat", "http://www.w3.org/ns/dcat#"),
        ("dcterms", "http://purl.org/dc/terms/"),
        ("sd", "http://www.w3.org/ns/sparql-service-description#"),
        ("cw", crate::graph::names::CW),
    ]
    .into_iter()
    .fold(RdfSerializer::from_format(format), |s, (p, iri)| {
        s.with_prefix(p, iri).expect("valid prefix")
    })
    .for_writer(Vec::new());
    for triple in &triples {
        writer
            .serialize_triple(triple)
            .map_err(|e| ApiError::internal(e.to_string()))?;
    }
    let bytes = writer
        .finish()
        .map_err(|e| ApiError::internal(e.to_string()))?;
    let mut response = Response::new(Body::from(bytes));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.media_type()),
    );
    response
        .headers_mut()
        .insert(header::VARY, HeaderValue::from_static("accept"));
    Ok(response)
}

impl From<crate::questionnaire::QuestionnaireError> for ApiError {
    fn from(error: crate::questionnaire::QuestionnaireError) -> Self {
        if error.is_client_error() {
            ApiError::bad_request(error.to_string())
        } else {
            ApiError::internal(error.to_string())
        }
    }
}

/// `GET /api/questionnaire.md?framework=…&framework=…&jurisdiction=…&role=…`.
pub async fn questionnaire_md(
    state: State<AppState>,
    pairs: Query<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    questionnaire(state, pairs, "md").await
}

/// `GET /api/questionnaire.csv?…`.
pub async fn questionnaire_csv(
    state: State<AppState>,
    pairs: Query<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    questionnaire(state, pairs, "csv").await
}

/// `GET /api/questionnaire.xlsx?…`.
pub async fn questionnaire_xlsx(
    state: State<AppState>,
    pairs: Query<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    questionnaire(state, pairs, "xlsx").await
}

async fn questionnaire(
    State(state): State<AppState>,
    Query(pairs): Query<Vec<(String, String)>>,
    extension: &str,
) -> Result<Response, ApiError> {
    only(&pairs, &["framework", "jurisdiction", "role"])?;
    let all = |name: &str| -> Vec<String> {
        pairs
            .iter()
            .filter(|(k, _)| k == name)
            .flat_map(|(_, v)| v.split(','))
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
            .collect()
    };
    let request = crate::questionnaire::Request {
        frameworks: all("framework"),
        jurisdictions: all("jurisdiction"),
        role: one(&pairs, "role")
            .ok_or_else(|| ApiError::bad_request("give the buyer's role: role=deployer"))?,
    };
    let codes = state.codes().await?;
    let graph = state.graph().clone();
    let q = blocking(move || Ok(crate::questionnaire::build(&graph, &codes, &request)?)).await?;
    if extension == "md" {
        let mut response = Response::new(Body::from(q.markdown()));
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/markdown; charset=utf-8"),
        );
        return Ok(response);
    }
    table_response(&q.table(), "questionnaire", extension)
}
