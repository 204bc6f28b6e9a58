//! The dataset described in DCAT and VoID (`/.well-known/void`, RFC 5785 as VoID §6.2
//! suggests): title, description, last modification (the revision time), total and per-graph
//! triple counts, the SPARQL endpoint, the two dumps as DCAT distributions, the vocabularies
//! used, and every tracked source with its licence note (`templates/void/licences.toml`).
//!
//! [`Description::load`] reads what depends on the graph; [`Description::triples`] adds the
//! server's base URL, so a cache keyed by graph revision serves every host.

use super::ExportError;
use crate::graph::{Graph, names};
use crate::mapping::text;
use oxigraph::model::vocab::{rdf, xsd};
use oxigraph::model::{Literal, NamedNode, Term, Triple};
use serde::Deserialize;
use std::collections::BTreeMap;

const LICENCES: &str = include_str!("../../templates/void/licences.toml");
const SOURCES: &str = include_str!("../../queries/export/void-sources.rq");

const VOID: &str = "http://rdfs.org/ns/void#";
const DCAT: &str = "http://www.w3.org/ns/dcat#";
const DCTERMS: &str = "http://purl.org/dc/terms/";
const SD: &str = "http://www.w3.org/ns/sparql-service-description#";

#[derive(Debug, Deserialize)]
struct Licences {
    dataset: DatasetText,
    notes: BTreeMap<String, Note>,
}

#[derive(Debug, Deserialize)]
struct DatasetText {
    title: String,
    description: String,
    rights: String,
}

#[derive(Debug, Clone, Deserialize)]
struct Note {
    rights: String,
    license: Option<String>,
}

/// A tracked source with its licence note.
#[derive(Debug, Clone)]
pub struct SourceNote {
    pub iri: String,
    pub url: String,
    pub title: Option<String>,
    pub rights: String,
    pub license: Option<String>,
}

/// The graph-dependent part of the description.
#[derive(Debug, Clone)]
pub struct Description {
    pub revision: u64,
    pub modified: String,
    /// Named graph → triple count (the meta graph left out, as in the dump).
    pub graphs: Vec<(String, u64)>,
    pub sources: Vec<SourceNote>,
}

impl Description {
    /// Reads counts, the revision time and the sources. Blocking.
    pub fn load(graph: &Graph) -> Result<Self, ExportError> {
        let revision = graph.revision();
        let licences = licences();
        let graphs = graph
            .graph_sizes()?
            .into_iter()
            .filter(|(g, _)| g != names::META_GRAPH.as_str())
            .collect();
        let mut sources = Vec::new();
        for row in graph.select("void: sources", SOURCES, [])? {
            let (Some(iri), Some(url)) = (text(&row, "source"), text(&row, "url")) else {
                continue;
            };
            let key = if text(&row, "standard").as_deref() == Some("true") {
                "standard".to_owned()
            } else {
                text(&row, "code").unwrap_or_else(|| "other".into())
            };
            let note = licences
                .notes
                .get(&key)
                .or_else(|| licences.notes.get("other"))
                .cloned()
                .unwrap_or(Note {
                    rights: String::new(),
                    license: None,
                });
            sources.push(SourceNote {
                iri,
                url,
                title: text(&row, "title"),
                rights: note.rights,
                license: note.license,
            });
        }
        Ok(Self {
            revision,
            modified: super::last_modified(graph)?,
            graphs,
            sources,
        })
    }

    /// The description's triples for a server at `base` (`http://127.0.0.1:7878`).
    pub fn triples(&self, base: &str) -> Vec<Triple> {
        let licences = licences();
        let node = |iri: String| NamedNode::new_unchecked(iri);
        let term = |ns: &str, local: &str| node(format!("{ns}{local}"));
        let dataset = node(format!("{base}/.well-known/void#crosswalk"));
        let mut out = Vec::new();
        let mut add = |s: &NamedNode, p: NamedNode, o: Term| {
            out.push(Triple::new(s.clone(), p, o));
        };
        let en =
            |text: &str| Term::from(Literal::new_language_tagged_literal_unchecked(text, "en"));
        add(&dataset, rdf::TYPE.into(), term(VOID, "Dataset").into());
        add(&dataset, rdf::TYPE.into(), term(DCAT, "Dataset").into());
        add(
            &dataset,
            term(DCTERMS, "title"),
            en(&licences.dataset.title),
        );
        add(
            &dataset,
            term(DCTERMS, "description"),
            en(&licences.dataset.description),
        );
        add(
            &dataset,
            term(DCTERMS, "rights"),
            en(&licences.dataset.rights),
        );
        add(
            &dataset,
            term(DCTERMS, "modified"),
            Literal::new_typed_literal(&self.modified, xsd::DATE_TIME).into(),
        );
        add(
            &dataset,
            term(names::CW, "revision"),
            Literal::from(self.revision as i64).into(),
        );
        let total: u64 = self.graphs.iter().map(|(_, n)| n).sum();
        add(
            &dataset,
            term(VOID, "triples"),
            Literal::from(total as i64).into(),
        );
        add(
            &dataset,
            term(VOID, "sparqlEndpoint"),
            node(format!("{base}/sparql")).into(),
        );
        add(
            &dataset,
            term(VOID, "uriSpace"),
            Literal::new_simple_literal(names::ID).into(),
        );
        for vocabulary in [
            names::CW,
            "http://data.europa.eu/eli/ontology#",
            "http://www.w3.org/ns/prov#",
            "http://www.w3.org/ns/dcat#",
            "http://www.w3.org/2004/02/skos/core#",
            "http://purl.org/dc/terms/",
        ] {
            add(
                &dataset,
                term(VOID, "vocabulary"),
                node(vocabulary.to_owned()).into(),
            );
        }
        for (file, media) in [("nq", "n-quads"), ("trig", "trig")] {
            let url = format!("{base}/dump.{file}.gz");
            let distribution = node(format!("{base}/.well-known/void#dump-{file}"));
            add(&dataset, term(VOID, "dataDump"), node(url.clone()).into());
            add(
                &dataset,
                term(DCAT, "distribution"),
                distribution.clone().into(),
            );
            add(
                &distribution,
                rdf::TYPE.into(),
                term(DCAT, "Distribution").into(),
            );
            add(&distribution, term(DCAT, "downloadURL"), node(url).into());
            add(
                &distribution,
                term(DCAT, "mediaType"),
                node(format!(
                    "http://www.iana.org/assignments/media-types/application/{media}"
                ))
                .into(),
            );
            add(
                &distribution,
                term(DCAT, "compressFormat"),
                node("http://www.iana.org/assignments/media-types/application/gzip".into()).into(),
            );
        }
        for (i, (graph, count)) in self.graphs.iter().enumerate() {
            let subset = node(format!("{base}/.well-known/void#graph-{}", i + 1));
            add(&dataset, term(VOID, "subset"), subset.clone().into());
            add(&subset, rdf::TYPE.into(), term(VOID, "Dataset").into());
            add(&subset, term(SD, "name"), node(graph.clone()).into());
            add(
                &subset,
                term(VOID, "triples"),
                Literal::from(*count as i64).into(),
            );
        }
        for source in &self.sources {
            let s = node(source.iri.clone());
            add(&dataset, term(DCTERMS, "source"), s.clone().into());
            if let Ok(url) = NamedNode::new(source.url.as_str()) {
                add(&s, term(DCAT, "accessURL"), url.into());
            }
            if let Some(title) = &source.title {
                add(
                    &s,
                    term(DCTERMS, "title"),
                    Literal::new_simple_literal(title).into(),
                );
            }
            if !source.rights.is_empty() {
                add(&s, term(DCTERMS, "rights"), en(&source.rights));
            }
            if let Some(license) = &source.license {
                add(&s, term(DCTERMS, "license"), node(license.clone()).into());
            }
        }
        out
    }
}

fn licences() -> Licences {
    toml::from_str(LICENCES).expect("templates/void/licences.toml is valid")
}

#[cfg(test)]
mod tests {
    #[test]
    fn licence_notes_cover_every_jurisdiction_and_standards() {
        let licences = super::licences();
        for key in [
            "EU", "US", "SG", "MY", "ID", "ASEAN", "INTL", "standard", "other",
        ] {
            assert!(
                licences.notes.contains_key(key),
                "no licence note for {key}"
            );
        }
    }
}
