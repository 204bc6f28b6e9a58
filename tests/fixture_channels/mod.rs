//! Loopback stand-ins for the official channels, written from their public documentation:
//!
//! * **CELLAR** (Publications Office of the EU). A work is named by CELEX,
//!   `/resource/celex/{CELEX}`, and content-negotiated: `Accept` chooses the manifestation type
//!   (`application/xhtml+xml`, `application/xml;mtype=fmx4`) and `Accept-Language` the
//!   expression (`eng`); CELLAR answers `303 See Other` to the work's cellar URI
//!   (`/resource/cellar/{uuid}`), which again answers `303` to the manifestation's item
//!   (`/resource/cellar/{uuid}.0006.03/DOC_1`), which is the document. An unsatisfiable `Accept`
//!   is `406`, an unknown CELEX `404`. The SPARQL endpoint `/webapi/rdf/sparql` (Virtuoso,
//!   SPARQL 1.1 protocol by GET) answers `application/sparql-results+json` in Virtuoso's style
//!   (`"type": "typed-literal"` for typed literals) over CDM triples
//!   (`cdm:resource_legal_id_celex`, `cdm:act_consolidated_based_on_resource_legal`,
//!   `cdm:act_consolidated_date`, `cdm:resource_legal_amends_resource_legal`,
//!   `cdm:work_date_document`, `cdm:work_created_by_agent`, `cdm:expression_belongs_to_work`,
//!   `cdm:expression_uses_language`, `cdm:expression_title`). Sources: the Publications Office's
//!   Cellar documentation (op.europa.eu, "Cellar" and "Querying Cellar" pages; CDM at
//!   http://publications.europa.eu/ontology/cdm), the behaviour OpenSanctions recorded when it
//!   moved from EUR-Lex to CELLAR (opensanctions/opensanctions PR #4552: "CELLAR
//!   (`publications.europa.eu/resource/celex/{CELEX}`) serves the same rendered XHTML with no
//!   challenge – content-negotiated with `Accept: application/xhtml+xml` + `Accept-Language:
//!   eng`"; `zavod/shed/ojeu/cellar.py`), and LegalQuants/lq-ai PR #257 (Cellar's 303 redirect
//!   target is plain http, so redirects are followed by hand).
//! * **The Federal Register API** (https://www.federalregister.gov/developers/documentation/api/v1;
//!   fields as `EntryApiRepresentation` in usnationalarchives/federalregister-api-core defines
//!   them). `GET /api/v1/documents.json` with `conditions[term]`, `conditions[type][]`
//!   (PRESDOCU, RULE, PRORULE, NOTICE), `conditions[presidential_document_type][]`,
//!   `conditions[agencies][]`, `fields[]`, `order` (newest), `per_page`, `page` answers
//!   `{count, description, total_pages, next_page_url, results}` with the requested fields only;
//!   `GET /api/v1/documents/{number}.json` describes one document (404 JSON when unknown);
//!   `full_text_xml_url` points at `/documents/full_text/xml/{yyyy}/{mm}/{dd}/{number}.xml`.
//! * **Listing pages and feeds** of a regulator: an HTML page and an RSS 2.0 feed the test sets.
//!
//! Every request is counted by path and its negotiation headers kept, so tests can prove what
//! was asked.
#![allow(dead_code)]

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use crosswalk::graph::Graph;
use oxigraph::model::{GraphName, Literal, NamedNode, Quad, Term};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

const CDM: &str = "http://publications.europa.eu/ontology/cdm#";
const CELLAR: &str = "http://publications.europa.eu/resource/cellar/";
const XSD_STRING: &str = "http://www.w3.org/2001/XMLSchema#string";
const XSD_DATE: &str = "http://www.w3.org/2001/XMLSchema#date";

/// A request as the fixture saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub path: String,
    pub accept: Option<String>,
    pub accept_language: Option<String>,
}

/// A Federal Register document in the fixture.
#[derive(Debug, Clone)]
pub struct FrDocument {
    pub number: String,
    pub title: String,
    /// PRESDOCU, RULE, PRORULE or NOTICE.
    pub type_code: String,
    /// executive_order, memorandum, proclamation (presidential documents).
    pub presidential_type: Option<String>,
    pub abstract_text: String,
    pub publication_date: String,
    pub signing_date: Option<String>,
    pub executive_order_number: Option<u64>,
    pub citation: Option<String>,
    /// (name, slug)
    pub agencies: Vec<(String, String)>,
    /// The GPO full-text XML, when the document has one.
    pub xml: Option<String>,
}

#[derive(Default)]
struct Inner {
    port: u16,
    /// CELEX → (cellar uuid, XHTML).
    works: BTreeMap<String, (String, String)>,
    cdm: Vec<Quad>,
    /// A hostile answer the SPARQL endpoint gives instead of evaluating.
    sparql_override: Option<(StatusCode, &'static str, String)>,
    /// A hostile answer the Federal Register search gives instead of searching.
    fr_override: Option<(StatusCode, &'static str, String)>,
    fr: Vec<FrDocument>,
    listing: String,
    feed: String,
    hits: HashMap<String, usize>,
    seen: Vec<Seen>,
}

#[derive(Clone)]
pub struct Channels {
    inner: Arc<Mutex<Inner>>,
    pub base: String,
}

impl Channels {
    fn with<T>(&self, f: impl FnOnce(&mut Inner) -> T) -> T {
        f(&mut self.inner.lock().unwrap())
    }

    pub fn hits(&self, path: &str) -> usize {
        self.with(|i| i.hits.get(path).copied().unwrap_or(0))
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.with(|i| i.seen.clone())
    }

    fn uuid(celex: &str) -> String {
        // Deterministic, shaped like CELLAR's work identifiers.
        use sha2::Digest;
        let h: String = sha2::Sha256::digest(celex.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        format!(
            "{}-{}-{}-{}-{}",
            &h[..8],
            &h[8..12],
            &h[12..16],
            &h[16..20],
            &h[20..32]
        )
    }

    fn work_iri(celex: &str) -> NamedNode {
        NamedNode::new_unchecked(format!("{CELLAR}{}", Self::uuid(celex)))
    }

    fn cdm(local: &str) -> NamedNode {
        NamedNode::new_unchecked(format!("{CDM}{local}"))
    }

    fn triple(&self, s: NamedNode, p: &str, o: impl Into<Term>) {
        let quad = Quad::new(s, Self::cdm(p), o.into(), GraphName::DefaultGraph);
        self.with(|i| i.cdm.push(quad));
    }

    /// An act in CELLAR with its XHTML manifestation (English).
    pub fn add_act(&self, celex: &str, date: &str, xhtml: String) {
        let work = Self::work_iri(celex);
        self.triple(
            work.clone(),
            "resource_legal_id_celex",
            Literal::new_typed_literal(celex, NamedNode::new_unchecked(XSD_STRING)),
        );
        self.triple(
            work,
            "work_date_document",
            Literal::new_typed_literal(date, NamedNode::new_unchecked(XSD_DATE)),
        );
        self.with(|i| i.works.insert(celex.into(), (Self::uuid(celex), xhtml)));
    }

    /// Replaces the XHTML CELLAR serves for `celex`.
    pub fn set_xhtml(&self, celex: &str, xhtml: String) {
        self.with(|i| {
            let entry = i.works.get_mut(celex).expect("known work");
            entry.1 = xhtml;
        });
    }

    /// A consolidated version of `base` (CELEX `0…-YYYYMMDD`), with its text.
    pub fn add_consolidated(&self, base: &str, celex: &str, as_at: &str, xhtml: String) {
        let work = Self::work_iri(celex);
        self.triple(
            work.clone(),
            "resource_legal_id_celex",
            Literal::new_typed_literal(celex, NamedNode::new_unchecked(XSD_STRING)),
        );
        self.triple(
            work.clone(),
            "act_consolidated_based_on_resource_legal",
            Self::work_iri(base),
        );
        self.triple(
            work,
            "act_consolidated_date",
            Literal::new_typed_literal(as_at, NamedNode::new_unchecked(XSD_DATE)),
        );
        self.with(|i| i.works.insert(celex.into(), (Self::uuid(celex), xhtml)));
    }

    /// An act amending `base`, with its English title.
    pub fn add_amending(&self, base: &str, celex: &str, date: &str, title: &str) {
        let work = Self::work_iri(celex);
        self.triple(
            work.clone(),
            "resource_legal_id_celex",
            Literal::new_typed_literal(celex, NamedNode::new_unchecked(XSD_STRING)),
        );
        self.triple(
            work.clone(),
            "resource_legal_amends_resource_legal",
            Self::work_iri(base),
        );
        self.triple(
            work.clone(),
            "work_date_document",
            Literal::new_typed_literal(date, NamedNode::new_unchecked(XSD_DATE)),
        );
        self.triple(
            work.clone(),
            "work_created_by_agent",
            NamedNode::new_unchecked(
                "http://publications.europa.eu/resource/authority/corporate-body/EP",
            ),
        );
        let expression = NamedNode::new_unchecked(format!("{}.0006", work.as_str()));
        self.triple(expression.clone(), "expression_belongs_to_work", work);
        self.triple(
            expression.clone(),
            "expression_uses_language",
            NamedNode::new_unchecked(
                "http://publications.europa.eu/resource/authority/language/ENG",
            ),
        );
        self.triple(
            expression,
            "expression_title",
            Literal::new_language_tagged_literal_unchecked(title, "en"),
        );
    }

    /// The SPARQL endpoint answers this instead of evaluating queries (hostile answers).
    pub fn set_sparql_override(&self, status: StatusCode, content_type: &'static str, body: &str) {
        self.with(|i| i.sparql_override = Some((status, content_type, body.to_owned())));
    }

    /// The Federal Register search answers this instead of searching (hostile answers).
    pub fn set_fr_override(&self, status: StatusCode, content_type: &'static str, body: &str) {
        self.with(|i| i.fr_override = Some((status, content_type, body.to_owned())));
    }

    pub fn add_fr(&self, document: FrDocument) {
        self.with(|i| i.fr.push(document));
    }

    pub fn set_listing(&self, html: &str) {
        self.with(|i| i.listing = html.to_owned());
    }

    pub fn set_feed(&self, rss: &str) {
        self.with(|i| i.feed = rss.to_owned());
    }
}

/// Starts the fixture on 127.0.0.1:0 on the current runtime.
pub async fn start() -> Channels {
    let channels = Channels {
        inner: Arc::new(Mutex::new(Inner::default())),
        base: String::new(),
    };
    let app = Router::new()
        .route("/robots.txt", get(|| async { "User-agent: *\nAllow: /\n" }))
        .route("/resource/celex/{celex}", get(celex))
        .route("/resource/cellar/{work}", get(cellar_work))
        .route("/resource/cellar/{manifestation}/{item}", get(cellar_item))
        .route("/webapi/rdf/sparql", get(sparql))
        .route("/api/v1/documents.json", get(fr_search))
        .route("/api/v1/documents/{file}", get(fr_document))
        .route(
            "/documents/full_text/xml/{y}/{m}/{d}/{file}",
            get(fr_full_text),
        )
        .route("/sg/publications", get(listing))
        .route("/feeds/news.xml", get(feed))
        .layer(axum::middleware::from_fn_with_state(
            channels.clone(),
            observe,
        ))
        .with_state(channels.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    channels.with(|i| i.port = addr.port());
    tokio::spawn(async move { axum::serve(listener, app).await });
    Channels {
        base: format!("http://{addr}"),
        ..channels
    }
}

async fn observe(
    State(channels): State<Channels>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    // Built in its own scope: a reference to the request must not live across the await.
    let seen = {
        let value = |name: header::HeaderName| {
            request
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        Seen {
            path: request.uri().path().to_owned(),
            accept: value(header::ACCEPT),
            accept_language: value(header::ACCEPT_LANGUAGE),
        }
    };
    channels.with(|i| {
        *i.hits.entry(seen.path.clone()).or_default() += 1;
        i.seen.push(seen);
    });
    next.run(request).await
}

fn see_other(location: String) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response()
}

/// Which manifestation `Accept` asks for: `03` XHTML, `02` Formex; `None` when unsatisfiable.
fn manifestation(headers: &HeaderMap) -> Option<&'static str> {
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if accept.contains("application/xhtml+xml") {
        Some("03")
    } else if accept.contains("mtype=fmx4") {
        Some("02")
    } else {
        None
    }
}

fn english(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|l| l.to_ascii_lowercase().contains("eng"))
}

async fn celex(
    State(channels): State<Channels>,
    Path(celex): Path<String>,
    headers: HeaderMap,
) -> Response {
    let Some(uuid) = channels.with(|i| i.works.get(&celex).map(|w| w.0.clone())) else {
        return (StatusCode::NOT_FOUND, "no work with this CELEX").into_response();
    };
    if manifestation(&headers).is_none() || !english(&headers) {
        return (StatusCode::NOT_ACCEPTABLE, "no such manifestation").into_response();
    }
    // CELLAR's redirects name http URIs; on loopback the fixture's own address stands in.
    let port = channels.with(|i| i.port);
    see_other(format!("http://127.0.0.1:{port}/resource/cellar/{uuid}"))
}

async fn cellar_work(
    State(channels): State<Channels>,
    Path(work): Path<String>,
    headers: HeaderMap,
) -> Response {
    let known = channels.with(|i| i.works.values().any(|w| w.0 == work));
    if !known {
        return StatusCode::NOT_FOUND.into_response();
    }
    let Some(kind) = manifestation(&headers).filter(|_| english(&headers)) else {
        return (StatusCode::NOT_ACCEPTABLE, "no such manifestation").into_response();
    };
    see_other(format!("/resource/cellar/{work}.0006.{kind}/DOC_1"))
}

async fn cellar_item(
    State(channels): State<Channels>,
    Path((manifestation_id, item)): Path<(String, String)>,
) -> Response {
    let Some((work, kind)) = manifestation_id
        .strip_suffix(".0006.03")
        .map(|w| (w, "03"))
        .or_else(|| manifestation_id.strip_suffix(".0006.02").map(|w| (w, "02")))
    else {
        return StatusCode::NOT_FOUND.into_response();
    };
    if item != "DOC_1" || kind != "03" {
        return StatusCode::NOT_FOUND.into_response();
    }
    match channels.with(|i| i.works.values().find(|w| w.0 == work).map(|w| w.1.clone())) {
        Some(xhtml) => (
            [(header::CONTENT_TYPE, "application/xhtml+xml;charset=UTF-8")],
            xhtml,
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// Virtuoso's JSON for one term.
fn term_json(term: &Term) -> Value {
    match term {
        Term::NamedNode(n) => json!({"type": "uri", "value": n.as_str()}),
        Term::BlankNode(b) => json!({"type": "bnode", "value": b.as_str()}),
        Term::Literal(l) => match l.language() {
            Some(lang) => json!({"type": "literal", "xml:lang": lang, "value": l.value()}),
            None => {
                json!({"type": "typed-literal", "datatype": l.datatype().as_str(), "value": l.value()})
            }
        },
        #[allow(unreachable_patterns)]
        _ => Value::Null,
    }
}

async fn sparql(
    State(channels): State<Channels>,
    Query(pairs): Query<Vec<(String, String)>>,
    headers: HeaderMap,
) -> Response {
    if let Some((status, content_type, body)) = channels.with(|i| i.sparql_override.clone()) {
        return (status, [(header::CONTENT_TYPE, content_type)], body).into_response();
    }
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !accept.contains("application/sparql-results+json") {
        return (
            StatusCode::NOT_ACCEPTABLE,
            "ask for application/sparql-results+json",
        )
            .into_response();
    }
    let Some(query) = pairs
        .into_iter()
        .find(|(k, _)| k == "query")
        .map(|(_, v)| v)
    else {
        return (StatusCode::BAD_REQUEST, "no query").into_response();
    };
    let quads = channels.with(|i| i.cdm.clone());
    let solutions = tokio::task::spawn_blocking(move || {
        let graph = Graph::in_memory().unwrap();
        graph
            .write(|t| {
                for quad in &quads {
                    t.insert(quad);
                }
                Ok::<_, crosswalk::graph::GraphError>(())
            })
            .unwrap();
        graph.select("fixture SPARQL", &query, [])
    })
    .await
    .unwrap();
    let solutions = match solutions {
        Ok(s) => s,
        Err(e) => {
            return (
                StatusCode::BAD_REQUEST,
                format!("Virtuoso 37000 Error: {e}"),
            )
                .into_response();
        }
    };
    let vars: Vec<String> = solutions
        .first()
        .map(|s| {
            s.variables()
                .iter()
                .map(|v| v.as_str().to_owned())
                .collect()
        })
        .unwrap_or_default();
    let bindings: Vec<Value> = solutions
        .iter()
        .map(|s| {
            let mut row = serde_json::Map::new();
            for (var, term) in s.iter() {
                row.insert(var.as_str().to_owned(), term_json(term));
            }
            Value::Object(row)
        })
        .collect();
    // Virtuoso's key order: `distinct` and `ordered` before `bindings`.
    let body = format!(
        "{{ \"head\": {{ \"link\": [], \"vars\": {} }},\n  \"results\": {{ \"distinct\": false, \"ordered\": true, \"bindings\": {} }} }}",
        Value::from(vars),
        Value::from(bindings)
    );
    (
        [(header::CONTENT_TYPE, "application/sparql-results+json")],
        body,
    )
        .into_response()
}

fn fr_json(document: &FrDocument, fields: &[String], port: u16) -> Value {
    let (y, m, d) = (
        &document.publication_date[..4],
        &document.publication_date[5..7],
        &document.publication_date[8..10],
    );
    let base = format!("http://127.0.0.1:{port}");
    let slug: String = document
        .title
        .to_lowercase()
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    let all = json!({
        "document_number": document.number,
        "title": document.title,
        "type": match document.type_code.as_str() {
            "PRESDOCU" => "Presidential Document",
            "RULE" => "Rule",
            "PRORULE" => "Proposed Rule",
            _ => "Notice",
        },
        "subtype": document.presidential_type.as_deref().map(|t| match t {
            "executive_order" => "Executive Order",
            "memorandum" => "Memorandum",
            "proclamation" => "Proclamation",
            other => other,
        }),
        "abstract": document.abstract_text,
        "html_url": format!("{base}/documents/{y}/{m}/{d}/{}/{slug}", document.number),
        "pdf_url": format!("{base}/{y}-{m}-{d}/pdf/{}.pdf", document.number),
        "full_text_xml_url": document.xml.as_ref().map(|_| format!("{base}/documents/full_text/xml/{y}/{m}/{d}/{}.xml", document.number)),
        "body_html_url": format!("{base}/documents/full_text/html/{y}/{m}/{d}/{}.html", document.number),
        "json_url": format!("{base}/api/v1/documents/{}.json", document.number),
        "publication_date": document.publication_date,
        "signing_date": document.signing_date,
        "executive_order_number": document.executive_order_number,
        "citation": document.citation,
        "agencies": document.agencies.iter().map(|(name, slug)| json!({"raw_name": name.to_uppercase(), "name": name, "slug": slug})).collect::<Vec<_>>(),
        "president": document.type_code.eq("PRESDOCU").then(|| json!({"name": "Donald Trump", "identifier": "donald-trump"})),
    });
    let defaults = [
        "title",
        "type",
        "abstract",
        "document_number",
        "html_url",
        "pdf_url",
        "publication_date",
        "agencies",
    ];
    let wanted: Vec<&str> = if fields.is_empty() {
        defaults.to_vec()
    } else {
        fields.iter().map(String::as_str).collect()
    };
    let mut out = serde_json::Map::new();
    for field in wanted {
        if let Some(value) = all.get(field) {
            out.insert(field.to_owned(), value.clone());
        }
    }
    Value::Object(out)
}

async fn fr_search(
    State(channels): State<Channels>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Response {
    if let Some((status, content_type, body)) = channels.with(|i| i.fr_override.clone()) {
        return (status, [(header::CONTENT_TYPE, content_type)], body).into_response();
    }
    let get_all = |key: &str| -> Vec<String> {
        pairs
            .iter()
            .filter(|(k, _)| k == key || k == &format!("{key}[]"))
            .map(|(_, v)| v.clone())
            .collect()
    };
    let terms: Vec<String> = get_all("conditions[term]")
        .iter()
        .flat_map(|t| {
            t.split_whitespace()
                .map(str::to_lowercase)
                .collect::<Vec<_>>()
        })
        .collect();
    let types = get_all("conditions[type]");
    let presidential = get_all("conditions[presidential_document_type]");
    let agencies = get_all("conditions[agencies]");
    let fields = get_all("fields");
    let per_page: usize = get_all("per_page")
        .first()
        .and_then(|p| p.parse().ok())
        .unwrap_or(20)
        .min(1000);
    let page: usize = get_all("page")
        .first()
        .and_then(|p| p.parse().ok())
        .unwrap_or(1)
        .max(1);
    let (documents, port) = channels.with(|i| (i.fr.clone(), i.port));
    let mut matches: Vec<&FrDocument> = documents
        .iter()
        .filter(|d| types.is_empty() || types.contains(&d.type_code))
        .filter(|d| {
            presidential.is_empty()
                || d.presidential_type
                    .as_ref()
                    .is_some_and(|t| presidential.contains(t))
        })
        .filter(|d| agencies.is_empty() || d.agencies.iter().any(|(_, s)| agencies.contains(s)))
        .filter(|d| {
            let haystack = format!(
                "{} {} {}",
                d.title,
                d.abstract_text,
                d.xml.as_deref().unwrap_or("")
            )
            .to_lowercase();
            terms.iter().all(|t| haystack.contains(t.as_str()))
        })
        .collect();
    matches.sort_by(|a, b| b.publication_date.cmp(&a.publication_date));
    let count = matches.len();
    let total_pages = count.div_ceil(per_page.max(1));
    let results: Vec<Value> = matches
        .iter()
        .skip((page - 1) * per_page)
        .take(per_page)
        .map(|d| fr_json(d, &fields, port))
        .collect();
    let mut body = json!({
        "count": count,
        "description": "Documents matching your search",
        "total_pages": total_pages,
        "results": results,
    });
    if page < total_pages {
        body["next_page_url"] = json!(format!(
            "http://127.0.0.1:{port}/api/v1/documents.json?page={}",
            page + 1
        ));
    }
    (
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        body.to_string(),
    )
        .into_response()
}

async fn fr_document(
    State(channels): State<Channels>,
    Path(file): Path<String>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Response {
    let Some(number) = file.strip_suffix(".json") else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let fields: Vec<String> = pairs
        .iter()
        .filter(|(k, _)| k == "fields[]")
        .map(|(_, v)| v.clone())
        .collect();
    let (document, port) =
        channels.with(|i| (i.fr.iter().find(|d| d.number == number).cloned(), i.port));
    match document {
        Some(d) => {
            let fields = if fields.is_empty() {
                // A single document shows every field by default.
                crosswalk::fetch::federal_register::FIELDS
                    .iter()
                    .map(|f| (*f).to_owned())
                    .collect()
            } else {
                fields
            };
            (
                [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
                fr_json(&d, &fields, port).to_string(),
            )
                .into_response()
        }
        None => (
            StatusCode::NOT_FOUND,
            [(header::CONTENT_TYPE, "application/json")],
            json!({"status": 404, "message": "Resource not found"}).to_string(),
        )
            .into_response(),
    }
}

async fn fr_full_text(
    State(channels): State<Channels>,
    Path((_, _, _, file)): Path<(String, String, String, String)>,
) -> Response {
    let number = file.trim_end_matches(".xml");
    match channels.with(|i| {
        i.fr.iter()
            .find(|d| d.number == number)
            .and_then(|d| d.xml.clone())
    }) {
        Some(xml) => ([(header::CONTENT_TYPE, "application/xml")], xml).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn listing(State(channels): State<Channels>) -> Response {
    let html = channels.with(|i| i.listing.clone());
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response()
}

async fn feed(State(channels): State<Channels>) -> Response {
    let rss = channels.with(|i| i.feed.clone());
    (
        [(header::CONTENT_TYPE, "application/rss+xml; charset=utf-8")],
        rss,
    )
        .into_response()
}
