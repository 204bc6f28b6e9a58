//! The source registry: tracked URLs as `cw:Source` resources in the graph.
//!
//! Seeded sources come from `seeds/sources.ttl`; sources added at run time (CLI or admin API),
//! their instrument stubs, and pause/resume overrides live in the named graph
//! [`SOURCES_GRAPH`](crate::graph::names::SOURCES_GRAPH). Seed files are reloaded whenever they
//! change, so nothing written at run time goes into a seed graph: pausing a seeded source adds a
//! `cw:enabled false` override in the sources graph, which wins over the seed's value.
//!
//! Entry points: [`list`], [`get`], [`add`], [`remove`], [`set_enabled`]; [`Schedule`] is when a
//! source is crawled; [`Kind`] and [`Channel`] say what kind of channel it is (a page, an EU act
//! in CELLAR, the Federal Register, a listing page) — registry data only, fetched by the crawler.

mod kind;
mod schedule;

pub use kind::{
    CELLAR_BASE, Channel, FEDERAL_REGISTER_API, Kind, is_celex, link_regex, normalise_celex,
};
pub use schedule::{InvalidSchedule, Schedule};

use crate::graph::names::{self, ID, SOURCES_GRAPH};
use crate::graph::{Graph, GraphError};
use oxigraph::model::vocab::{rdf, rdfs, xsd};
use oxigraph::model::{GraphNameRef, Literal, NamedNode, Quad, Term};
use serde::{Deserialize, Serialize};
use url::Url;

const SOURCES_QUERY: &str = include_str!("../../queries/crawl/sources.rq");

#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("no tracked source {0:?}")]
    Unknown(String),
    #[error("source {0:?} comes from the seed files and cannot be removed; pause it instead")]
    Seeded(String),
    #[error("a source with id {0:?} already exists")]
    Duplicate(String),
    #[error("{url} is already tracked as {id:?}")]
    DuplicateUrl { url: String, id: String },
    #[error("invalid {field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    #[error(transparent)]
    Schedule(#[from] InvalidSchedule),
    #[error(transparent)]
    Graph(#[from] GraphError),
}

/// The format of what is fetched: `html` or `pdf` for pages; `html` (EUR-Lex XHTML) or
/// `formex` (Formex 4 XML) for CELLAR; `xml` (full text) or `json` (search results) for the
/// Federal Register; `html` or `feed` (RSS/Atom) for listings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    #[default]
    Html,
    Pdf,
    Formex,
    Xml,
    Json,
    Feed,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Html => "html",
            Self::Pdf => "pdf",
            Self::Formex => "formex",
            Self::Xml => "xml",
            Self::Json => "json",
            Self::Feed => "feed",
        }
    }

    /// The formats a source of `kind` may have; the first is the default.
    fn allowed(channel: &Channel) -> &'static [Format] {
        match channel.kind {
            Kind::Page => &[Self::Html, Self::Pdf],
            Kind::Cellar => &[Self::Html, Self::Formex],
            Kind::FederalRegister if channel.query.is_some() => &[Self::Json],
            Kind::FederalRegister => &[Self::Xml],
            Kind::Listing => &[Self::Html, Self::Feed],
        }
    }
}

impl std::str::FromStr for Format {
    type Err = SourceError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "html" | "xhtml" => Ok(Self::Html),
            "pdf" => Ok(Self::Pdf),
            "formex" | "fmx4" => Ok(Self::Formex),
            "xml" => Ok(Self::Xml),
            "json" => Ok(Self::Json),
            "feed" | "rss" | "atom" => Ok(Self::Feed),
            other => Err(SourceError::Invalid {
                field: "format",
                message: format!("{other:?}: expected html, pdf, formex, xml, json or feed"),
            }),
        }
    }
}

/// A tracked source as the crawler needs it. Carries no secrets, so it may be served publicly.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Source {
    /// The slug: last segment of the source IRI (`sg-mgf-2020-pdpc`).
    pub id: String,
    pub iri: String,
    pub url: String,
    pub title: Option<String>,
    pub instrument: Option<String>,
    pub jurisdiction: Option<String>,
    pub format: Format,
    pub include_selector: Option<String>,
    pub exclude_selector: Option<String>,
    pub language: Option<String>,
    /// When it is crawled; `None` when the stored expression is not a valid schedule (the
    /// source is then not scheduled; `crosswalk validate` reports it).
    pub schedule: Option<Schedule>,
    pub enabled: bool,
    /// Added at run time (removable); false for seeded sources.
    pub runtime: bool,
    /// What kind of channel it is, with that kind's parameters.
    #[serde(flatten)]
    pub channel: Channel,
    /// The authority publishing it (`dcterms:publisher`), for listings: the issuer of what they
    /// discover.
    pub publisher: Option<String>,
}

/// What `crosswalk sources add` and `POST /api/sources` accept.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewSource {
    /// Empty for `cellar` and `federal-register` sources: the official URL is derived from the
    /// CELEX number, document number or query.
    #[serde(default)]
    pub url: String,
    /// Jurisdiction code (SG, MY, ID, EU, US, INTL, …).
    pub jurisdiction: String,
    /// Instrument IRI; when absent an instrument stub is created.
    pub instrument: Option<String>,
    #[serde(default)]
    pub format: Option<Format>,
    pub include_selector: Option<String>,
    pub exclude_selector: Option<String>,
    pub language: Option<String>,
    pub schedule: Option<String>,
    pub title: Option<String>,
    /// Slug; derived from the URL when absent.
    pub id: Option<String>,
    /// `page` (default), `cellar`, `federal-register` or `listing`.
    #[serde(default)]
    pub kind: Option<Kind>,
    /// `cellar`: the act's CELEX number.
    pub celex: Option<String>,
    /// `cellar`: track the act as published in the Official Journal instead of its newest
    /// consolidated version.
    #[serde(default)]
    pub as_published: bool,
    /// `federal-register`: the number of the document to track.
    pub document_number: Option<String>,
    /// `federal-register`: search conditions whose new results are discovered.
    pub query: Option<String>,
    /// `listing`: regular expression a link's absolute URL must match.
    pub link_pattern: Option<String>,
    /// IRI of the publishing authority (`…/id/org/imda`).
    pub publisher: Option<String>,
}

pub fn source_iri(id: &str) -> NamedNode {
    NamedNode::new_unchecked(format!("{ID}source/{id}"))
}

/// All sources, ordered by id.
pub fn list(graph: &Graph) -> Result<Vec<Source>, SourceError> {
    let rows = graph.select("tracked sources", SOURCES_QUERY, [])?;
    let mut sources: Vec<Source> = Vec::new();
    for row in &rows {
        let Some(Term::NamedNode(iri)) = row.get("source") else {
            continue;
        };
        // Several values of an optional property repeat the row; the first one wins.
        if sources.last().is_some_and(|s| s.iri == iri.as_str()) {
            continue;
        }
        let text = |name: &str| match row.get(name) {
            Some(Term::Literal(l)) => Some(l.value().to_owned()),
            Some(Term::NamedNode(n)) => Some(n.as_str().to_owned()),
            _ => None,
        };
        let flag = |name: &str| text(name).map(|v| v == "true" || v == "1");
        let enabled = flag("override").or(flag("seedEnabled")).unwrap_or(true);
        sources.push(Source {
            id: iri
                .as_str()
                .rsplit('/')
                .next()
                .unwrap_or_default()
                .to_owned(),
            iri: iri.as_str().to_owned(),
            url: text("url").unwrap_or_default(),
            title: text("title"),
            instrument: text("instrument"),
            jurisdiction: text("jurisdiction"),
            format: text("format")
                .and_then(|f| f.parse().ok())
                .unwrap_or_default(),
            include_selector: text("include"),
            exclude_selector: text("exclude"),
            language: text("language"),
            schedule: match text("schedule") {
                None => Some(Schedule::default()),
                Some(expression) => Schedule::parse(&expression)
                    .inspect_err(|error| {
                        tracing::warn!(source = %iri, %error, "source not scheduled");
                    })
                    .ok(),
            },
            enabled,
            runtime: flag("runtime").unwrap_or(false),
            channel: Channel {
                kind: text("kind")
                    .and_then(|k| k.parse().ok())
                    .unwrap_or_default(),
                celex: text("celex"),
                consolidated: flag("consolidated").unwrap_or(true),
                document_number: text("documentNumber"),
                query: text("query"),
                link_pattern: text("linkPattern"),
            },
            publisher: text("publisher"),
        });
    }
    Ok(sources)
}

pub fn get(graph: &Graph, id: &str) -> Result<Source, SourceError> {
    list(graph)?
        .into_iter()
        .find(|s| s.id == id)
        .ok_or_else(|| SourceError::Unknown(id.into()))
}

fn invalid(field: &'static str, message: impl Into<String>) -> SourceError {
    SourceError::Invalid {
        field,
        message: message.into(),
    }
}

/// A slug from the URL: host without `www.` and the path, lower-case, `-`-separated.
fn slug_from_url(url: &Url) -> String {
    let raw = format!(
        "{}{}",
        url.host_str()
            .unwrap_or("source")
            .trim_start_matches("www."),
        url.path()
    );
    let mut slug = String::new();
    for c in raw.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.ends_with('-') {
            slug.push('-');
        }
    }
    let slug = slug.trim_matches('-');
    slug.chars()
        .take(80)
        .collect::<String>()
        .trim_end_matches('-')
        .to_owned()
}

fn valid_slug(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 100
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// Registers a source (and an instrument stub when it tracks a text and no instrument is
/// given). Returns it.
pub fn add(graph: &Graph, new: NewSource) -> Result<Source, SourceError> {
    let (channel, url) = kind::validate(kind::ChannelInput {
        kind: new.kind.unwrap_or_default(),
        url: &new.url,
        celex: new.celex.as_deref(),
        as_published: new.as_published,
        document_number: new.document_number.as_deref(),
        query: new.query.as_deref(),
        link_pattern: new.link_pattern.as_deref(),
    })?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(invalid("url", "must be an http or https URL with a host"));
    }
    // The registry is public (the graph and /api/sources): a password here would be published.
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid(
            "url",
            "credentials (user:password@) are refused: the registry is public; track a URL that needs none",
        ));
    }
    // Stored as an IRI (dcat:accessURL), and URLs allow characters IRIs do not (`[`, `]` or `|`
    // outside the host, for instance).
    let url_iri = NamedNode::new(url.as_str()).map_err(|e| {
        invalid(
            "url",
            format!("{url} is not a valid IRI ({e}); percent-encode that character"),
        )
    })?;
    let code = new.jurisdiction.trim().to_ascii_uppercase();
    if code.is_empty() || code.len() > 8 || !code.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(invalid(
            "jurisdiction",
            format!("{code:?} is not a jurisdiction code"),
        ));
    }
    let id = match &new.id {
        Some(id) => id.trim().to_owned(),
        None => slug_from_url(&url),
    };
    if !valid_slug(&id) {
        return Err(invalid(
            "id",
            format!("{id:?}: use lower-case letters, digits and '-'"),
        ));
    }
    let schedule = match &new.schedule {
        Some(expression) => Schedule::parse(expression)?,
        None => Schedule::default(),
    };
    for (field, selector) in [
        ("include selector", &new.include_selector),
        ("exclude selector", &new.exclude_selector),
    ] {
        if let Some(selector) = selector {
            scraper::Selector::parse(selector).map_err(|e| invalid(field, e.to_string()))?;
        }
    }
    let iri_field = |field: &'static str, value: &Option<String>| {
        value
            .as_deref()
            .map(|iri| NamedNode::new(iri.trim()).map_err(|e| invalid(field, e.to_string())))
            .transpose()
    };
    let instrument = iri_field("instrument", &new.instrument)?;
    let publisher = iri_field("publisher", &new.publisher)?;
    let allowed = Format::allowed(&channel);
    let format = match new.format {
        Some(format) if allowed.contains(&format) => format,
        Some(format) => {
            return Err(invalid(
                "format",
                format!(
                    "{} is not a format of a {} source (use {})",
                    format.as_str(),
                    channel.kind.as_str(),
                    allowed
                        .iter()
                        .map(|f| f.as_str())
                        .collect::<Vec<_>>()
                        .join(" or ")
                ),
            ));
        }
        None if channel.kind == Kind::Page && url.path().to_ascii_lowercase().ends_with(".pdf") => {
            Format::Pdf
        }
        None if channel.kind == Kind::Listing && looks_like_feed(&url) => Format::Feed,
        None => allowed[0],
    };
    // Every link of a web page is not a document; a feed's items are.
    if channel.kind == Kind::Listing && format == Format::Html && channel.link_pattern.is_none() {
        return Err(invalid(
            "link_pattern",
            "an HTML listing needs a pattern saying which links are documents (e.g. \\.pdf$ or /publications/)",
        ));
    }
    let subject = source_iri(&id);
    let jurisdiction = NamedNode::new_unchecked(format!("{ID}jurisdiction/{code}"));
    let title = new
        .title
        .clone()
        .unwrap_or_else(|| default_title(&channel, &url));
    let g = GraphNameRef::from(SOURCES_GRAPH);
    let mut quads = Vec::new();
    let mut put = |s: &NamedNode, p: NamedNode, o: Term| {
        quads.push(Quad::new(s.clone(), p, o, g));
    };
    let dcterms = names::dcterms;
    let plain = |v: &str| Term::Literal(Literal::new_simple_literal(v));
    let instrument = match instrument {
        Some(iri) => Some(iri),
        // Discovery-only channels (listings, searches) are not the text of one instrument.
        None if !channel.tracks_text() => None,
        None => {
            // A stub an analyst completes: flagged draft and unverified so nobody relies on it.
            let stub = NamedNode::new_unchecked(format!("{ID}instrument/{id}"));
            put(
                &stub,
                rdf::TYPE.into_owned(),
                names::cw("Instrument").into(),
            );
            put(&stub, dcterms("title"), plain(&title));
            put(
                &stub,
                names::cw("jurisdiction"),
                jurisdiction.clone().into(),
            );
            put(
                &stub,
                names::cw("legalStatus"),
                NamedNode::new_unchecked(format!("{ID}status/guidance")).into(),
            );
            put(&stub, names::cw("canonicalUrl"), url_iri.clone().into());
            put(
                &stub,
                names::cw("evidenceLevel"),
                names::cw("Unverified").into(),
            );
            put(&stub, names::cw("reviewStatus"), names::cw("draft").into());
            put(
                &stub,
                rdfs::COMMENT.into_owned(),
                plain(
                    "Instrument stub created when its source was registered; complete type, status, publisher and dates.",
                ),
            );
            if let Some(lang) = &new.language {
                put(&stub, dcterms("language"), plain(lang));
            }
            Some(stub)
        }
    };
    put(&subject, rdf::TYPE.into_owned(), names::cw("Source").into());
    put(&subject, dcterms("title"), plain(&title));
    put(&subject, names::dcat("accessURL"), url_iri.into());
    if let Some(instrument) = instrument {
        put(&subject, names::cw("instrument"), instrument.into());
    }
    if let Some(publisher) = publisher {
        put(&subject, dcterms("publisher"), publisher.into());
    }
    put(&subject, names::cw("jurisdiction"), jurisdiction.into());
    put(&subject, names::cw("format"), plain(format.as_str()));
    put(
        &subject,
        names::cw("sourceKind"),
        plain(channel.kind.as_str()),
    );
    let boolean = |v: bool| {
        Term::Literal(Literal::new_typed_literal(
            if v { "true" } else { "false" },
            xsd::BOOLEAN,
        ))
    };
    if let Some(celex) = &channel.celex {
        put(&subject, names::cw("celex"), plain(celex));
        put(
            &subject,
            names::cw("followConsolidated"),
            boolean(channel.consolidated),
        );
    }
    if let Some(number) = &channel.document_number {
        put(&subject, names::cw("documentNumber"), plain(number));
    }
    if let Some(query) = &channel.query {
        put(&subject, names::cw("searchQuery"), plain(query));
    }
    if let Some(pattern) = &channel.link_pattern {
        put(&subject, names::cw("linkPattern"), plain(pattern));
    }
    if let Some(s) = &new.include_selector {
        put(&subject, names::cw("includeSelector"), plain(s));
    }
    if let Some(s) = &new.exclude_selector {
        put(&subject, names::cw("excludeSelector"), plain(s));
    }
    if let Some(lang) = &new.language {
        put(&subject, dcterms("language"), plain(lang));
    }
    put(&subject, names::cw("schedule"), plain(schedule.as_str()));
    put(&subject, names::cw("enabled"), boolean(true));
    // The duplicate checks read the registry inside the write: writers run one at a time, so
    // nothing can register the same id or URL between the check and the commit.
    graph.write(|t| {
        let existing = list(graph)?;
        if existing.iter().any(|s| s.id == id) {
            return Err(SourceError::Duplicate(id.clone()));
        }
        if let Some(other) = existing.iter().find(|s| s.url == url.as_str()) {
            return Err(SourceError::DuplicateUrl {
                url: url.to_string(),
                id: other.id.clone(),
            });
        }
        for quad in &quads {
            t.insert(quad);
        }
        Ok(())
    })?;
    get(graph, &id)
}

fn default_title(channel: &Channel, url: &Url) -> String {
    match (&channel.celex, &channel.document_number, &channel.query) {
        (Some(celex), _, _) => format!("CELEX {celex} (CELLAR)"),
        (_, Some(number), _) => format!("Federal Register document {number}"),
        (_, _, Some(query)) => {
            let conditions: Vec<String> = url::form_urlencoded::parse(query.as_bytes())
                .map(|(k, v)| format!("{}={v}", k.trim_start_matches("conditions")))
                .collect();
            format!("Federal Register search {}", conditions.join(" "))
        }
        _ => title_from_url(url),
    }
}

/// RSS and Atom feeds by their usual addresses (`/feed`, `/feeds/news.xml`, `rss.xml`,
/// `….atom`, `?format=rss`); anything else is an HTML listing unless the format says `feed`.
fn looks_like_feed(url: &Url) -> bool {
    let path = url.path().to_ascii_lowercase();
    let query = url.query().unwrap_or("").to_ascii_lowercase();
    let named = path.split('/').any(|segment| {
        matches!(segment, "feed" | "feeds" | "rss" | "atom")
            || ["rss.", "atom.", "feed."]
                .iter()
                .any(|p| segment.starts_with(p))
    });
    path.ends_with(".rss")
        || path.ends_with(".atom")
        || (named
            && (path.ends_with(".xml") || !path.rsplit('/').next().unwrap_or("").contains('.')))
        || query.contains("rss")
        || query.contains("atom")
}

/// A readable title from the URL's last path segment (`ai-guidelines.pdf` → `ai guidelines`).
fn title_from_url(url: &Url) -> String {
    let segment = url
        .path_segments()
        .and_then(|mut s| s.rfind(|p| !p.is_empty()).map(str::to_owned))
        .unwrap_or_default();
    let segment = segment
        .rsplit_once('.')
        .map_or(segment.as_str(), |(stem, _)| stem)
        .replace(['-', '_', '+'], " ");
    let host = url.host_str().unwrap_or_default();
    if segment.trim().is_empty() {
        host.to_owned()
    } else {
        format!("{} ({host})", segment.trim())
    }
}

/// Removes a runtime source, its extracted-content graph and what its channel said of its
/// document, and nothing else: fetch history, change events and discovered documents stay as
/// provenance; an instrument stub stays for the analyst.
pub fn remove(graph: &Graph, id: &str) -> Result<u64, SourceError> {
    let source = get(graph, id)?;
    if !source.runtime {
        return Err(SourceError::Seeded(id.into()));
    }
    let subject = source_iri(id);
    let content = names::source_graph(id);
    graph
        .write(|t| {
            let quads: Vec<Quad> = t
                .quads_for_pattern(
                    Some(subject.as_ref().into()),
                    None,
                    None,
                    Some(SOURCES_GRAPH.into()),
                )
                .collect::<Result<_, _>>()?;
            for quad in &quads {
                t.remove(quad);
            }
            t.clear_graph(content.as_ref())?;
            t.clear_graph(names::channel_graph(id).as_ref())?;
            Ok::<_, GraphError>(())
        })
        .map_err(SourceError::from)
}

/// Pauses (`false`) or resumes (`true`) a source, seeded or not, in the sources graph.
pub fn set_enabled(graph: &Graph, id: &str, enabled: bool) -> Result<u64, SourceError> {
    get(graph, id)?;
    let subject = source_iri(id);
    let predicate = names::cw("enabled");
    let value = Literal::new_typed_literal(if enabled { "true" } else { "false" }, xsd::BOOLEAN);
    graph
        .write(|t| {
            let old: Vec<Quad> = t
                .quads_for_pattern(
                    Some(subject.as_ref().into()),
                    Some(predicate.as_ref()),
                    None,
                    Some(SOURCES_GRAPH.into()),
                )
                .collect::<Result<_, _>>()?;
            for quad in &old {
                t.remove(quad);
            }
            t.insert(&Quad::new(
                subject.clone(),
                predicate.clone(),
                value.clone(),
                SOURCES_GRAPH,
            ));
            Ok::<_, GraphError>(())
        })
        .map_err(SourceError::from)
}

#[cfg(test)]
mod tests;
