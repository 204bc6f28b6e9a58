//! IRIs the code itself relies on: named graphs, the namespaces of the vocabularies it writes,
//! and the few ontology terms used from Rust. This is the only place they are spelled; everything
//! else stays in `ontology/`, `queries/` and `seeds/`.

use oxigraph::model::{NamedNode, NamedNodeRef};

/// Namespace of the Crosswalk ontology (`cw:`).
pub const CW: &str = "https://w3id.org/crosswalk/ontology#";
/// Base of data identifiers.
pub const ID: &str = "https://w3id.org/crosswalk/id/";
/// Base of named-graph IRIs.
pub const GRAPH: &str = "https://w3id.org/crosswalk/graph/";

/// W3C PROV-O (fetch activities, snapshots, derivation).
pub const PROV: &str = "http://www.w3.org/ns/prov#";
/// Dublin Core terms (titles, identifiers, languages).
pub const DCTERMS: &str = "http://purl.org/dc/terms/";
/// DCAT (sources as distributions).
pub const DCAT: &str = "http://www.w3.org/ns/dcat#";
/// SKOS (themes, materialised mapping matches).
pub const SKOS: &str = "http://www.w3.org/2004/02/skos/core#";
/// European Legislation Identifier ontology (instruments and their parts).
pub const ELI: &str = "http://data.europa.eu/eli/ontology#";
/// SPARQL 1.1 Service Description.
pub const SD: &str = "http://www.w3.org/ns/sparql-service-description#";

/// Bookkeeping: graph revision and the content hash of every loaded seed file.
pub const META_GRAPH: NamedNodeRef<'_> =
    NamedNodeRef::new_unchecked("https://w3id.org/crosswalk/graph/meta");
/// Mappings computed from curated ones (transitive chains, SKOS match triples).
pub const DERIVED_GRAPH: NamedNodeRef<'_> =
    NamedNodeRef::new_unchecked("https://w3id.org/crosswalk/graph/derived");
/// Detected changes of tracked sources.
pub const CHANGES_GRAPH: NamedNodeRef<'_> =
    NamedNodeRef::new_unchecked("https://w3id.org/crosswalk/graph/changes");
/// Sources registered at run time (CLI or admin API), beside the seeded ones.
pub const SOURCES_GRAPH: NamedNodeRef<'_> =
    NamedNodeRef::new_unchecked("https://w3id.org/crosswalk/graph/sources");
/// Review flags raised by the crawler (`cw:reviewStatus cw:needsReview` on curated mappings whose
/// endpoint changed materially). Kept apart from the seed graphs, which are reloaded from files.
pub const REVIEW_GRAPH: NamedNodeRef<'_> =
    NamedNodeRef::new_unchecked("https://w3id.org/crosswalk/graph/review");
/// Documents official channels and listings found (the discovery review queue).
pub const DISCOVERIES_GRAPH: NamedNodeRef<'_> =
    NamedNodeRef::new_unchecked("https://w3id.org/crosswalk/graph/discoveries");
/// Fetch activities and snapshots (provenance of crawled content).
pub const FETCHES_GRAPH: NamedNodeRef<'_> =
    NamedNodeRef::new_unchecked("https://w3id.org/crosswalk/graph/fetches");

pub const REVISION: NamedNodeRef<'_> =
    NamedNodeRef::new_unchecked("https://w3id.org/crosswalk/ontology#revision");
/// The last change-event sequence number handed out (`xsd:integer`, in the meta graph; see
/// [`super::next_sequence`]).
pub const EVENT_SEQUENCE: NamedNodeRef<'_> =
    NamedNodeRef::new_unchecked("https://w3id.org/crosswalk/ontology#eventSequence");
/// When the current revision was committed (`xsd:dateTime`, in the meta graph).
pub const REVISION_TIME: NamedNodeRef<'_> =
    NamedNodeRef::new_unchecked("https://w3id.org/crosswalk/ontology#revisionTime");
/// Prefix of the graphs holding `ontology/*.ttl`, the only source of schema axioms
/// (`rdfs:subClassOf`, `rdfs:subPropertyOf`) for derivation.
pub const ONTOLOGY_GRAPHS: &str = "https://w3id.org/crosswalk/graph/ontology/";
/// Prefix of the graphs of imported mapping sets (`…/graph/import/<name>`).
pub const IMPORT_GRAPHS: &str = "https://w3id.org/crosswalk/graph/import/";
pub const SHA256: NamedNodeRef<'_> =
    NamedNodeRef::new_unchecked("https://w3id.org/crosswalk/ontology#sha256");

/// The graph holding one seed file, named by its path below the seed root (`seed/eu/ai-act.ttl`).
pub fn seed_graph(root_label: &str, relative_path: &str) -> NamedNode {
    let path: String = relative_path
        .split(['/', '\\'])
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join("/");
    NamedNode::new_unchecked(format!("{GRAPH}{root_label}/{path}"))
}

/// The graph holding a tracked source's current extracted content.
pub fn source_graph(source_slug: &str) -> NamedNode {
    NamedNode::new_unchecked(format!("{GRAPH}source/{source_slug}"))
}

/// What a source's official channel says of its document (CELLAR: the act, its consolidated
/// versions and amending acts; Federal Register: the document's identifiers), replaced on every
/// reading of the channel.
pub fn channel_graph(source_slug: &str) -> NamedNode {
    NamedNode::new_unchecked(format!("{GRAPH}channel/{source_slug}"))
}

pub fn cw(local: &str) -> NamedNode {
    NamedNode::new_unchecked(format!("{CW}{local}"))
}

pub fn prov(local: &str) -> NamedNode {
    NamedNode::new_unchecked(format!("{PROV}{local}"))
}

pub fn dcterms(local: &str) -> NamedNode {
    NamedNode::new_unchecked(format!("{DCTERMS}{local}"))
}

pub fn dcat(local: &str) -> NamedNode {
    NamedNode::new_unchecked(format!("{DCAT}{local}"))
}

pub fn skos(local: &str) -> NamedNode {
    NamedNode::new_unchecked(format!("{SKOS}{local}"))
}

pub fn eli(local: &str) -> NamedNode {
    NamedNode::new_unchecked(format!("{ELI}{local}"))
}

/// The local name of `iri` in the Crosswalk ontology (`cw:must` → `must`), if it is one.
pub fn cw_local(iri: &str) -> Option<&str> {
    iri.strip_prefix(CW)
}
