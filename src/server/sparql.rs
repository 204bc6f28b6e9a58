//! SPARQL 1.1 Protocol: `GET /sparql?query=`, `POST` form or `application/sparql-query`,
//! dataset parameters, content negotiation, a service description when no query is given, and
//! `POST /sparql/update` (an admin route: `server::admin_routes` checks the token), which takes a
//! query slot and runs under the query time limit.

use super::client::Client;
use super::error::ApiError;
use super::{AppState, stream};
use crate::graph::names;
use crate::sparql::DatasetRequest;
use crate::sparql::format::{self, OutputFormat, QueryForm};
use axum::body::Bytes;
use axum::extract::{OriginalUri, Query, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use oxigraph::io::RdfSerializer;
use oxigraph::model::{BlankNode, Literal, NamedNode, Term, Triple};

/// The protocol parameters of one request, from the URL and (for forms) the body.
#[derive(Default)]
struct ProtocolParams {
    query: Option<String>,
    update: Option<String>,
    dataset: DatasetRequest,
    /// `format`/`output`/`results` (SPARQLWrapper and others send one of these).
    format: Option<String>,
    /// A second `query` or `update` parameter: the protocol allows exactly one.
    repeated: Option<&'static str>,
}

impl ProtocolParams {
    /// Reads the parameters of one request; `base` is the endpoint's URL, against which
    /// relative IRIs in the query resolve.
    fn new(base: String) -> Self {
        let mut params = Self::default();
        params.dataset.base_iri = Some(base);
        params
    }

    fn absorb(&mut self, pairs: Vec<(String, String)>) {
        for (key, value) in pairs {
            match key.as_str() {
                "query" | "update" => {
                    let (slot, name) = if key == "query" {
                        (&mut self.query, "query")
                    } else {
                        (&mut self.update, "update")
                    };
                    if slot.replace(value).is_some() {
                        self.repeated = Some(name);
                    }
                }
                "default-graph-uri" | "using-graph-uri" => self.dataset.default_graphs.push(value),
                "named-graph-uri" | "using-named-graph-uri" => {
                    self.dataset.named_graphs.push(value)
                }
                "format" | "output" | "results" => self.format = Some(value),
                // Other parameters (timeout=, debug=, callbacks…) are ignored, as most endpoints do.
                _ => {}
            }
        }
    }

    /// 400 for a repeated `query`/`update` parameter.
    fn check(&self) -> Result<(), ApiError> {
        match self.repeated {
            Some(name) => Err(ApiError::bad_request(format!(
                "more than one '{name}' parameter; send exactly one"
            ))),
            None => Ok(()),
        }
    }
}

/// The endpoint's own URL (`http://<Host><path>`), the base IRI of its queries and updates.
fn endpoint_url(headers: &HeaderMap, uri: &Uri) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| !h.is_empty() && !h.contains(['/', ' ', '<', '>', '"', '{', '}', '\\']))
        .unwrap_or("localhost");
    format!("http://{host}{}", uri.path())
}

/// Bodies are UTF-8 (SPARQL 1.1 Protocol §2.1.3); a declared other charset is refused.
fn check_charset(headers: &HeaderMap) -> Result<(), ApiError> {
    let declared = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .into_iter()
        .flat_map(|v| v.split(';').skip(1))
        .filter_map(|p| p.trim().split_once('='))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("charset"))
        .map(|(_, v)| v.trim().trim_matches('"').to_ascii_lowercase());
    match declared.as_deref() {
        None | Some("utf-8" | "utf8") => Ok(()),
        Some(other) => Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!("request bodies must be UTF-8, not {other}"),
        )),
    }
}

fn content_type(headers: &HeaderMap) -> String {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

fn accept(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::ACCEPT).and_then(|v| v.to_str().ok())
}

fn utf8(body: Bytes) -> Result<String, ApiError> {
    String::from_utf8(body.to_vec()).map_err(|_| ApiError::bad_request("request body is not UTF-8"))
}

fn form_pairs(body: &[u8]) -> Result<Vec<(String, String)>, ApiError> {
    serde_urlencoded::from_bytes(body)
        .map_err(|e| ApiError::bad_request(format!("malformed form body: {e}")))
}

pub async fn get(
    State(state): State<AppState>,
    client: Client,
    OriginalUri(uri): OriginalUri,
    Query(pairs): Query<Vec<(String, String)>>,
    headers: HeaderMap,
) -> Response {
    let mut params = ProtocolParams::new(endpoint_url(&headers, &uri));
    params.absorb(pairs);
    if let Err(e) = params.check() {
        return e.into_response();
    }
    if params.update.is_some() {
        return read_only().into_response();
    }
    match params.query.take() {
        Some(query) => evaluate(&state, client, &headers, query, params).await,
        None => service_description(&state, &headers, params.format.as_deref()),
    }
}

pub async fn post(
    State(state): State<AppState>,
    client: Client,
    OriginalUri(uri): OriginalUri,
    Query(pairs): Query<Vec<(String, String)>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut params = ProtocolParams::new(endpoint_url(&headers, &uri));
    params.absorb(pairs);
    if let Err(e) = check_charset(&headers) {
        return e.into_response();
    }
    match content_type(&headers).as_str() {
        "application/x-www-form-urlencoded" => match form_pairs(&body) {
            Ok(pairs) => params.absorb(pairs),
            Err(e) => return e.into_response(),
        },
        "application/sparql-query" => match utf8(body) {
            Ok(text) => params.absorb(vec![("query".into(), text)]),
            Err(e) => return e.into_response(),
        },
        "application/sparql-update" => return read_only().into_response(),
        other => {
            return ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                format!("unsupported Content-Type {other:?}: use application/sparql-query or application/x-www-form-urlencoded"),
            )
            .into_response();
        }
    }
    if let Err(e) = params.check() {
        return e.into_response();
    }
    if params.update.is_some() {
        return read_only().into_response();
    }
    match params.query.take() {
        Some(query) => evaluate(&state, client, &headers, query, params).await,
        None => ApiError::bad_request("missing 'query' parameter").into_response(),
    }
}

fn read_only() -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "/sparql is read-only; updates go to POST /sparql/update with the admin bearer token",
    )
}

async fn evaluate(
    state: &AppState,
    client: Client,
    headers: &HeaderMap,
    query: String,
    params: ProtocolParams,
) -> Response {
    let prepared = match state.engine.prepare(&query, &params.dataset) {
        Ok(prepared) => prepared,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let format = match format::negotiate(prepared.form(), accept(headers), params.format.as_deref())
    {
        Ok(format) => format,
        Err(e) => return ApiError::from(e).into_response(),
    };
    stream::query_response(state, client, prepared, format).await
}

/// `POST /sparql/update` (an admin route): one transaction, in a query slot and under the query
/// time limit. Takes the protocol's `using-graph-uri`/`using-named-graph-uri` from the URL or the form.
pub async fn update(
    State(state): State<AppState>,
    client: Client,
    OriginalUri(uri): OriginalUri,
    Query(pairs): Query<Vec<(String, String)>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    check_charset(&headers)?;
    let mut params = ProtocolParams::new(endpoint_url(&headers, &uri));
    params.absorb(pairs);
    match content_type(&headers).as_str() {
        "application/sparql-update" => params.absorb(vec![("update".into(), utf8(body)?)]),
        "application/x-www-form-urlencoded" => params.absorb(form_pairs(&body)?),
        other => {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                format!("unsupported Content-Type {other:?}: use application/sparql-update"),
            ));
        }
    }
    params.check()?;
    let text = params
        .update
        .take()
        .ok_or_else(|| ApiError::bad_request("missing 'update' parameter"))?;
    let limit = state.engine.limits().timeout;
    let slot = match state.slots.acquire(client.key(), limit).await {
        Ok(slot) => slot,
        Err(refusal) => return Ok(stream::refused(refusal)),
    };
    let engine = state.engine.clone();
    let dataset = params.dataset;
    tokio::task::spawn_blocking(move || {
        let _slot = slot;
        engine.update(&text, &dataset)
    })
    .await
    .map_err(|e| ApiError::internal(e.to_string()))??;
    state.settle().await;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// A SPARQL 1.1 Service Description of this endpoint, in the negotiated RDF format.
fn service_description(
    state: &AppState,
    headers: &HeaderMap,
    format_param: Option<&str>,
) -> Response {
    let format = match format::negotiate(QueryForm::Graph, accept(headers), format_param) {
        Ok(OutputFormat::Rdf(format)) => format,
        Ok(OutputFormat::Results(_)) => unreachable!("graph form negotiates RDF formats"),
        // Browsers ask for text/html: answer Turtle rather than 406 so the page is readable.
        Err(_) => oxigraph::io::RdfFormat::Turtle,
    };
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    let endpoint = NamedNode::new(format!("http://{host}/sparql"))
        .unwrap_or_else(|_| NamedNode::new_unchecked("http://localhost/sparql"));
    let service = BlankNode::default();
    let sd = |local: &str| NamedNode::new_unchecked(format!("{}{local}", names::SD));
    let rdf_type = NamedNode::new_unchecked("http://www.w3.org/1999/02/22-rdf-syntax-ns#type");
    let mut triples = vec![
        Triple::new(service.clone(), rdf_type, sd("Service")),
        Triple::new(service.clone(), sd("endpoint"), endpoint),
        Triple::new(
            service.clone(),
            sd("supportedLanguage"),
            sd("SPARQL11Query"),
        ),
        Triple::new(service.clone(), sd("feature"), sd("UnionDefaultGraph")),
        Triple::new(service.clone(), sd("feature"), sd("BasicFederatedQuery")),
        Triple::new(
            service.clone(),
            NamedNode::new_unchecked("http://www.w3.org/2000/01/rdf-schema#comment"),
            Term::from(Literal::new_language_tagged_literal_unchecked(
                format!(
                    "Crosswalk read-only SPARQL endpoint. Default graph = union of all named graphs. Timeout {} s, at most {} rows. SERVICE only for <https://w3id.org/crosswalk/ontology#search>.",
                    state.config.sparql.timeout_secs, state.config.sparql.max_rows
                ),
                "en",
            )),
        ),
    ];
    for media in [
        "SPARQL_Results_JSON",
        "SPARQL_Results_XML",
        "SPARQL_Results_CSV",
        "SPARQL_Results_TSV",
        "Turtle",
        "N-Triples",
        "RDF_XML",
        "JSON-LD",
        "N-Quads",
        "TriG",
    ] {
        triples.push(Triple::new(
            service.clone(),
            sd("resultFormat"),
            NamedNode::new_unchecked(format!("http://www.w3.org/ns/formats/{media}")),
        ));
    }
    let mut writer = RdfSerializer::from_format(format)
        .with_prefix("sd", names::SD)
        .expect("valid prefix")
        .for_writer(Vec::new());
    for triple in &triples {
        if let Err(e) = writer.serialize_triple(triple) {
            return ApiError::internal(e.to_string()).into_response();
        }
    }
    match writer.finish() {
        Ok(bytes) => ([(header::CONTENT_TYPE, format.media_type())], bytes).into_response(),
        Err(e) => ApiError::internal(e.to_string()).into_response(),
    }
}
