//! Resources at their own IRI paths (`/id/provision/…`, `/id/requirement/…`,
//! `/id/instrument/…`, any IRI under the identifier base): browsers get a page (an element page
//! for provisions, controls and requirements, the instrument page for instruments, a property
//! table otherwise), tools asking for Turtle, JSON-LD or N-Triples get the resource's
//! statements and its mappings' (`queries/web/describe.rq`). An IRI nothing is said about is a
//! 404 page naming it.

use super::catalog::Catalog;
use super::error::{Failed, WebError};
use super::layout::{Page, local};
use super::{Web, blocking, element, instrument};
use crate::graph::names;
use askama::Template;
use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};
use oxigraph::io::{JsonLdProfileSet, RdfFormat, RdfSerializer};
use oxigraph::model::{NamedNode, NamedOrBlankNode, Term, Triple, Variable};

const RESOURCE: &str = include_str!("../../queries/web/resource.rq");
const DESCRIBE: &str = include_str!("../../queries/web/describe.rq");

/// What a request for a resource wants back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wanted {
    Html,
    Rdf(RdfFormat),
}

fn json_ld() -> RdfFormat {
    RdfFormat::JsonLd {
        profile: JsonLdProfileSet::empty(),
    }
}

/// What a media type in `Accept` asks of us, if we offer it (`*/*` and `text/*` mean HTML;
/// `application/json` means JSON-LD to a tool).
fn offered(media: &str) -> Option<Wanted> {
    match media {
        "text/html" | "application/xhtml+xml" | "*/*" | "text/*" => Some(Wanted::Html),
        "text/turtle" | "application/x-turtle" => Some(Wanted::Rdf(RdfFormat::Turtle)),
        "application/ld+json" | "application/json" => Some(Wanted::Rdf(json_ld())),
        "application/n-triples" => Some(Wanted::Rdf(RdfFormat::NTriples)),
        _ => None,
    }
}

/// Chooses HTML or an RDF format: `?format=ttl|jsonld|nt` first, else the `Accept` header's
/// highest q (a tie goes to the earlier entry; no header, or nothing we offer, means HTML).
pub fn negotiate(format: Option<&str>, accept: Option<&str>) -> Result<Wanted, WebError> {
    if let Some(format) = format.filter(|f| !f.is_empty()) {
        return match format {
            "html" => Ok(Wanted::Html),
            "ttl" | "turtle" => Ok(Wanted::Rdf(RdfFormat::Turtle)),
            "jsonld" | "json-ld" => Ok(Wanted::Rdf(json_ld())),
            "nt" | "ntriples" | "n-triples" => Ok(Wanted::Rdf(RdfFormat::NTriples)),
            other => Err(WebError::BadRequest(format!(
                "format={other:?}: use html, ttl, jsonld or nt"
            ))),
        };
    }
    let Some(accept) = accept.filter(|a| !a.trim().is_empty()) else {
        return Ok(Wanted::Html);
    };
    let mut best: Option<(f32, Wanted)> = None;
    for part in accept.split(',').take(64) {
        let mut pieces = part.split(';');
        let media = pieces.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = pieces
            .find_map(|p| {
                p.trim()
                    .strip_prefix("q=")
                    .and_then(|q| q.parse::<f32>().ok())
            })
            .unwrap_or(1.0);
        if q.is_nan() || q <= 0.0 {
            continue;
        }
        if let Some(wanted) = offered(&media)
            && best.is_none_or(|(b, _)| q > b)
        {
            best = Some((q, wanted));
        }
    }
    Ok(best.map_or(Wanted::Html, |(_, w)| w))
}

/// One resource's own statements.
#[derive(Debug, Default)]
pub struct Description {
    pub iri: String,
    pub properties: Vec<(String, Term)>,
}

impl Description {
    pub fn read(graph: &crate::graph::Graph, iri: &str) -> Result<Self, WebError> {
        let node = NamedNode::new(iri)
            .map_err(|e| WebError::BadRequest(format!("{iri:?} is not an IRI: {e}")))?;
        let rows = graph.select(
            "web: resource",
            RESOURCE,
            [(Variable::new_unchecked("resource"), node.into())],
        )?;
        let mut properties: Vec<(String, Term)> = rows
            .into_iter()
            .filter_map(|row| {
                let Some(Term::NamedNode(p)) = row.get("p") else {
                    return None;
                };
                Some((p.as_str().to_owned(), row.get("o")?.clone()))
            })
            .collect();
        properties.sort_by(|a, b| {
            a.0.cmp(&b.0)
                .then_with(|| a.1.to_string().cmp(&b.1.to_string()))
        });
        Ok(Self {
            iri: iri.to_owned(),
            properties,
        })
    }

    pub fn is_empty(&self) -> bool {
        self.properties.is_empty()
    }

    pub fn values<'a>(&'a self, predicate: &'a str) -> impl Iterator<Item = &'a Term> + 'a {
        self.properties
            .iter()
            .filter(move |(p, _)| p == predicate)
            .map(|(_, o)| o)
    }

    /// IRIs among the values of `predicate`.
    pub fn iris(&self, predicate: &str) -> Vec<String> {
        let mut iris: Vec<String> = self
            .values(predicate)
            .filter_map(|t| match t {
                Term::NamedNode(n) => Some(n.as_str().to_owned()),
                _ => None,
            })
            .collect();
        iris.dedup();
        iris
    }

    pub fn iri(&self, predicate: &str) -> Option<String> {
        self.iris(predicate).into_iter().next()
    }

    /// A literal of `predicate` in `lang`, else English, else untagged, else any.
    pub fn text(&self, predicate: &str, lang: &str) -> Option<String> {
        let literals: Vec<&oxigraph::model::Literal> = self
            .values(predicate)
            .filter_map(|t| match t {
                Term::Literal(l) => Some(l),
                _ => None,
            })
            .collect();
        let tagged = |code: &str| {
            literals.iter().find(|l| {
                l.language().is_some_and(|t| {
                    t.eq_ignore_ascii_case(code) || t.starts_with(&format!("{code}-"))
                })
            })
        };
        tagged(lang)
            .or_else(|| tagged("en"))
            .or_else(|| literals.iter().find(|l| l.language().is_none()))
            .or_else(|| literals.first())
            .map(|l| l.value().to_owned())
    }

    pub fn has_type(&self, class: &str) -> bool {
        self.iris(oxigraph::model::vocab::rdf::TYPE.as_str())
            .iter()
            .any(|t| t == class)
    }
}

/// The IRI a request path names: the identifier base and the rest of the path.
fn iri_of(path: &str) -> String {
    format!("{}{path}", names::ID)
}

pub async fn page(
    State(web): State<Web>,
    Path(path): Path<String>,
    OriginalUri(uri): OriginalUri,
    Query(pairs): Query<Vec<(String, String)>>,
    headers: HeaderMap,
) -> Response {
    let page = Page::new(uri.path(), &pairs, &headers, "");
    let lang = page.lang;
    let format = pairs
        .iter()
        .find(|(k, _)| k == "format")
        .map(|(_, v)| v.as_str());
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok());
    let iri = iri_of(&path);
    let result = match negotiate(format, accept) {
        Ok(Wanted::Rdf(format)) => rdf(web, iri, format).await,
        Ok(Wanted::Html) => html(web, iri, page).await,
        Err(e) => Err(e),
    };
    let mut response = match result {
        Ok(response) => response,
        Err(error) => Failed(error, lang).into_response(),
    };
    response.headers_mut().insert(
        header::VARY,
        HeaderValue::from_static("Accept, Accept-Language"),
    );
    response
}

async fn rdf(web: Web, iri: String, format: RdfFormat) -> Result<Response, WebError> {
    blocking(move || {
        let node = NamedNode::new(&iri)
            .map_err(|e| WebError::BadRequest(format!("{iri:?} is not an IRI: {e}")))?;
        let rows = web.graph().select(
            "web: describe",
            DESCRIBE,
            [(Variable::new_unchecked("resource"), node.into())],
        )?;
        if rows.is_empty() {
            return Err(not_found(&iri));
        }
        let mut serializer = RdfSerializer::from_format(format);
        for (prefix, ns) in PREFIXES {
            serializer = serializer
                .with_prefix(*prefix, *ns)
                .map_err(|e| WebError::Internal(e.to_string()))?;
        }
        let mut writer = serializer.for_writer(Vec::new());
        for row in rows {
            let (Some(s), Some(Term::NamedNode(p)), Some(o)) =
                (row.get("s"), row.get("p"), row.get("o"))
            else {
                continue;
            };
            let subject: NamedOrBlankNode = match s {
                Term::NamedNode(n) => n.clone().into(),
                Term::BlankNode(b) => b.clone().into(),
                _ => continue,
            };
            writer
                .serialize_triple(&Triple::new(subject, p.clone(), o.clone()))
                .map_err(|e| WebError::Internal(e.to_string()))?;
        }
        let body = writer
            .finish()
            .map_err(|e| WebError::Internal(e.to_string()))?;
        let media = match format {
            RdfFormat::Turtle => "text/turtle; charset=utf-8",
            RdfFormat::NTriples => "application/n-triples",
            _ => "application/ld+json",
        };
        Ok(([(header::CONTENT_TYPE, media)], body).into_response())
    })
    .await
}

const PREFIXES: &[(&str, &str)] = &[
    ("cw", names::CW),
    ("dcterms", "http://purl.org/dc/terms/"),
    ("eli", "http://data.europa.eu/eli/ontology#"),
    ("prov", "http://www.w3.org/ns/prov#"),
    ("skos", "http://www.w3.org/2004/02/skos/core#"),
    ("rdfs", "http://www.w3.org/2000/01/rdf-schema#"),
    ("xsd", "http://www.w3.org/2001/XMLSchema#"),
];

pub fn not_found(iri: &str) -> WebError {
    WebError::NotFound {
        what: format!("nothing is known about {iri}"),
        looked_up: iri.to_owned(),
    }
}

async fn html(web: Web, iri: String, page: Page) -> Result<Response, WebError> {
    blocking(move || {
        let description = Description::read(web.graph(), &iri)?;
        if description.is_empty() {
            return Err(not_found(&iri));
        }
        let catalog = web.catalog()?;
        let body = if description.has_type(&names::cw("Instrument").into_string()) {
            instrument::render(&web, &catalog, page, &description)?
        } else if ["Provision", "Control", "Requirement"]
            .iter()
            .any(|c| description.has_type(&names::cw(c).into_string()))
        {
            element::render(&web, &catalog, page, &description)?
        } else {
            generic(&catalog, page, &description)?
        };
        Ok(Html(body).into_response())
    })
    .await
}

/// One property row of the generic page.
pub struct PropertyRow {
    pub property: String,
    pub property_iri: String,
    pub value: String,
    pub href: Option<String>,
}

#[derive(Template)]
#[template(path = "web/resource.html")]
struct GenericPage {
    page: Page,
    iri: String,
    title: String,
    kinds: Vec<String>,
    rows: Vec<PropertyRow>,
    search: Option<String>,
    formats: Vec<(String, &'static str)>,
}

/// Links to the same IRI path in each RDF format.
pub fn format_links(page: &Page) -> Vec<(String, &'static str)> {
    [
        ("ttl", "Turtle"),
        ("jsonld", "JSON-LD"),
        ("nt", "N-Triples"),
    ]
    .into_iter()
    .map(|(f, name)| (format!("{}?format={f}", page.path), name))
    .collect()
}

/// A property and value table, for themes, roles, jurisdictions, mappings, change events…
fn generic(catalog: &Catalog, page: Page, d: &Description) -> Result<String, WebError> {
    let lang = page.lang;
    let title = d
        .text("http://www.w3.org/2004/02/skos/core#prefLabel", lang.code())
        .or_else(|| d.text("http://www.w3.org/2000/01/rdf-schema#label", lang.code()))
        .or_else(|| d.text("http://purl.org/dc/terms/title", lang.code()))
        .unwrap_or_else(|| local(&d.iri).to_owned());
    let kinds = d
        .iris(oxigraph::model::vocab::rdf::TYPE.as_str())
        .iter()
        .filter(|t| t.starts_with(names::CW))
        .map(|t| local(t).to_owned())
        .collect();
    let rows = d
        .properties
        .iter()
        .map(|(p, o)| {
            let (value, href) = match o {
                Term::NamedNode(n) => {
                    let label = catalog
                        .label_opt(n.as_str(), lang)
                        .or_else(|| catalog.instrument(n.as_str()).map(|i| i.name.clone()))
                        .unwrap_or_else(|| n.as_str().to_owned());
                    (label, Some(page.resource(n.as_str())))
                }
                Term::Literal(l) => (l.value().to_owned(), None),
                other => (other.to_string(), None),
            };
            PropertyRow {
                property: local(p).to_owned(),
                property_iri: p.clone(),
                value,
                href,
            }
        })
        .collect();
    // A theme, role or jurisdiction opens the search filtered by it.
    let search = ["theme", "role", "jurisdiction"].iter().find_map(|facet| {
        let code = d.iri.strip_prefix(&format!("{}{facet}/", names::ID))?;
        Some(page.link("/search", &[(*facet, code)]))
    });
    let formats = format_links(&page);
    Ok(GenericPage {
        page: page.titled(title.clone()),
        iri: d.iri.clone(),
        title,
        kinds,
        rows,
        search,
        formats,
    }
    .render()?)
}
