//! Reads the search documents and the vocabulary of facet-value names out of the graph
//! (queries/index/*.rq).

use super::IndexError;
use super::document::{SearchDocument, Text, date_number};
use super::vocabulary::VocabularyLabel;
use crate::graph::Graph;
use oxigraph::model::Term;
use oxigraph::sparql::QuerySolution;
use std::collections::BTreeMap;

const DOCUMENTS: &str = include_str!("../../queries/index/documents.rq");
const TEXTS: &str = include_str!("../../queries/index/texts.rq");
const TAGS: &str = include_str!("../../queries/index/tags.rq");
const VOCABULARY: &str = include_str!("../../queries/index/vocabulary.rq");

/// Everything the index derives from one graph state.
pub struct Snapshot {
    pub revision: u64,
    pub documents: Vec<SearchDocument>,
    /// Every name of a jurisdiction, role and theme.
    pub vocabulary: Vec<VocabularyLabel>,
}

/// Reads a consistent-enough snapshot: the revision is read first, so if a write lands while
/// reading, the recorded revision is older than the content and the next sync reads again.
pub fn read(graph: &Graph) -> Result<Snapshot, IndexError> {
    let revision = graph.revision();
    let mut docs: BTreeMap<String, SearchDocument> = BTreeMap::new();
    for row in graph.select("index documents", DOCUMENTS, [])? {
        let (Some(subject), Some(kind)) = (iri(&row, "doc"), lexical(&row, "kind")) else {
            continue;
        };
        let doc = SearchDocument {
            iri: subject.clone(),
            kind,
            reference: lexical(&row, "ref"),
            jurisdiction: lexical(&row, "jurisdiction"),
            instrument: iri_or_literal(&row, "instrument"),
            instrument_name: lexical(&row, "instrumentName"),
            issuer: iri_or_literal(&row, "issuer"),
            status: iri(&row, "status").map(|s| slug(&s)),
            binding: lexical(&row, "binding").map(|b| b == "true" || b == "1"),
            deontic: iri(&row, "deontic").map(|s| slug(&s)),
            applies_from: lexical(&row, "appliesFrom").and_then(|d| date_number(&d)),
            date: lexical(&row, "date").and_then(|d| date_number(&d)),
            ..SearchDocument::default()
        };
        // A resource typed both requirement and provision keeps its first (most specific) kind.
        docs.entry(subject).or_insert(doc);
    }
    for row in graph.select("index texts", TEXTS, [])? {
        let (Some(iri), Some(field)) = (iri(&row, "doc"), lexical(&row, "field")) else {
            continue;
        };
        let (Some(doc), Some(Term::Literal(value))) = (docs.get_mut(&iri), row.get("value")) else {
            continue;
        };
        let text = Text {
            language: value.language().unwrap_or("").to_owned(),
            value: value.value().to_owned(),
        };
        let list = if field == "title" {
            &mut doc.titles
        } else {
            &mut doc.texts
        };
        if !list.contains(&text) {
            list.push(text);
        }
    }
    for row in graph.select("index tags", TAGS, [])? {
        let (Some(iri), Some(facet), Some(value)) =
            (iri(&row, "doc"), lexical(&row, "facet"), iri(&row, "value"))
        else {
            continue;
        };
        if let Some(doc) = docs.get_mut(&iri) {
            let list = if facet == "role" {
                &mut doc.roles
            } else {
                &mut doc.themes
            };
            list.push(slug(&value));
        }
    }
    for doc in docs.values_mut() {
        // A theme document is about itself, so theme filters and expansion find it too.
        if doc.kind == "theme" && !doc.themes.contains(&slug(&doc.iri)) {
            doc.themes.push(slug(&doc.iri));
        }
    }
    Ok(Snapshot {
        revision,
        documents: docs.into_values().collect(),
        vocabulary: vocabulary(graph)?,
    })
}

/// Every label and code of every jurisdiction, role and theme.
pub fn vocabulary(graph: &Graph) -> Result<Vec<VocabularyLabel>, IndexError> {
    Ok(graph
        .select("index vocabulary", VOCABULARY, [])?
        .iter()
        .filter_map(|row| {
            let facet = lexical(row, "facet")?;
            let value = match row.get("value")? {
                Term::NamedNode(n) => slug(n.as_str()),
                Term::Literal(l) => l.value().to_owned(),
                _ => return None,
            };
            let Some(Term::Literal(label)) = row.get("label") else {
                return None;
            };
            let flag = |var| lexical(row, var).is_some_and(|b| b == "true" || b == "1");
            Some(VocabularyLabel {
                facet,
                value,
                label: label.value().to_owned(),
                language: label.language().unwrap_or("").to_owned(),
                preferred: flag("preferred"),
                code: flag("code"),
            })
        })
        .collect())
}

/// The last segment of an IRI path or fragment: `…/status/binding-law` → `binding-law`.
pub fn slug(iri: &str) -> String {
    iri.rsplit(['/', '#']).next().unwrap_or(iri).to_owned()
}

fn iri(row: &QuerySolution, var: &str) -> Option<String> {
    match row.get(var)? {
        Term::NamedNode(n) => Some(n.as_str().to_owned()),
        _ => None,
    }
}

fn lexical(row: &QuerySolution, var: &str) -> Option<String> {
    match row.get(var)? {
        Term::Literal(l) => Some(l.value().to_owned()),
        _ => None,
    }
}

fn iri_or_literal(row: &QuerySolution, var: &str) -> Option<String> {
    iri(row, var).or_else(|| lexical(row, var))
}
