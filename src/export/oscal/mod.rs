//! OSCAL 1.2 (JSON, validated in tests against NIST's 1.2.3 schemas in `tests/schemas/oscal/`).
//!
//! **Catalog** ([`catalog`]): a framework's provisions as NIST structures its own catalogs (the
//! CSF 2.0 catalog): a top-level provision with children is a `group` (NIST AI RMF functions, EU
//! AI Act chapters, ISO/IEC 42001 clauses 4–10 and Annex A), everything below is a `control`,
//! nested as the provisions nest (`eli:is_part_of`). Identifiers are ours: the provision's local
//! name (`GOVERN-1.1`, `A.6.2.4`, `art-50-2`); one that does not start with a letter (ISO clause
//! `4.1`) is prefixed with its kind (`clause-4.1`), as OSCAL tokens must. `label` carries the
//! citation (`GOVERN 1.1`). Text goes in a `statement` part only where it may be quoted; our
//! paraphrase is an `overview` part; every catalog links the official source.
//!
//! **Control mapping** ([`mapping`]): one `mapping` per provenance (a published crosswalk, the
//! team, an import, derivation), each `map` with its relationship (OSCAL's set-theory tokens, or
//! ours under the Crosswalk namespace), rationale, sources and targets, confidence, and props
//! for what OSCAL has no field for (strength, review status, evidence level, method).
//! A mapping endpoint that is a group is a `statement` item pointing at the group's main part;
//! one that is a whole instrument has no OSCAL item and is counted in the remarks.
//!
//! [`everything`] exports every catalog and every mapping pair in both directions at once, from
//! one read of the mappings and one of the provisions: what a GRC tool pulling the whole
//! catalogue fetches (timed in BENCHMARKS.md).

mod catalog;
mod mapping;

pub use catalog::{Node, Outline, catalog, catalog_href};
pub use mapping::mapping;

use super::{ExportError, last_modified, one_line, uuid_for};
use crate::graph::codes::Codes;
use crate::graph::{Graph, names};
use crate::mapping::{Framework, Mappings, text};
use oxigraph::model::{NamedNode, Variable};
use serde_json::{Map, Value, json};
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};

const LABEL: &str = include_str!("../../../queries/export/label.rq");
/// The OSCAL version the documents conform to (the vendored schemas).
pub const OSCAL_VERSION: &str = "1.2.3";
/// Namespace of our props and part names: the ontology's.
const NS: &str = names::CW;

/// What the documents of one export share: the graph revision they describe and when it was
/// made, and the titles of provenance nodes, each read once however many documents cite it.
pub struct Context<'g> {
    graph: &'g Graph,
    revision: u64,
    modified: String,
    labels: RefCell<HashMap<String, Option<String>>>,
}

impl<'g> Context<'g> {
    /// Reads the revision and its time. Blocking.
    pub fn new(graph: &'g Graph) -> Result<Self, ExportError> {
        Ok(Self {
            graph,
            revision: graph.revision(),
            modified: last_modified(graph)?,
            labels: RefCell::default(),
        })
    }

    /// The documents' `version`: the graph revision they were made from.
    fn version(&self) -> String {
        format!("crosswalk-r{}", self.revision)
    }

    fn label(&self, iri: &str) -> Result<Option<String>, ExportError> {
        if let Some(label) = self.labels.borrow().get(iri) {
            return Ok(label.clone());
        }
        let label = read_label(self.graph, iri)?;
        self.labels
            .borrow_mut()
            .insert(iri.to_owned(), label.clone());
        Ok(label)
    }
}

/// One document of a full export.
#[derive(Debug)]
pub struct Document {
    /// `catalogs/<code>.json` or `mappings/<from>--<to>.json`.
    pub path: String,
    pub json: Value,
}

/// The full export: every framework with curated provisions as a catalog, and every pair of
/// them joined by mappings as two control-mapping documents (one per direction), derived
/// mappings included. A pair none of whose mappings OSCAL can express (each names a whole
/// instrument) has no document. Blocking.
pub fn everything(graph: &Graph, codes: &Codes) -> Result<Vec<Document>, ExportError> {
    let context = Context::new(graph)?;
    let mut outlines: BTreeMap<String, Outline> = BTreeMap::new();
    for (instrument, rows) in Outline::rows_by_instrument(graph)? {
        let framework = Framework::resolve(graph, codes, &instrument)?;
        outlines.insert(instrument, Outline::from_rows(framework, &rows)?);
    }
    let mut documents = Vec::new();
    for outline in outlines.values() {
        documents.push(Document {
            path: format!("catalogs/{}.json", outline.framework.code),
            json: catalog(&context, outline)?,
        });
    }
    let mappings = Mappings::read(graph)?;
    for (a, b) in mappings.pairs() {
        let (Some(a), Some(b)) = (outlines.get(a), outlines.get(b)) else {
            continue;
        };
        for (from, to) in [(a, b), (b, a)] {
            let set = mappings.set(from.framework.clone(), to.framework.clone(), true);
            match mapping(&context, &set, from, to) {
                Ok(json) => documents.push(Document {
                    path: format!(
                        "mappings/{}--{}.json",
                        from.framework.code, to.framework.code
                    ),
                    json,
                }),
                Err(ExportError::Invalid(_)) => {}
                Err(error) => return Err(error),
            }
        }
    }
    Ok(documents)
}

/// An OSCAL token from one of our local names: characters outside the token set become `_`,
/// and a name that does not start with a letter takes its kind as a prefix (`clause-4.1`).
pub(super) fn token(local: &str, kind: Option<&str>) -> String {
    let clean = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if c.is_alphanumeric() || matches!(c, '.' | '-' | '_') {
                    c
                } else {
                    '_'
                }
            })
            .collect()
    };
    let id = clean(local);
    match id.chars().next() {
        Some(c) if c.is_alphabetic() || c == '_' => id,
        _ => {
            let kind = clean(kind.unwrap_or("p"));
            let kind = if kind.starts_with(|c: char| c.is_alphabetic()) {
                kind
            } else {
                "p".into()
            };
            format!("{kind}-{id}")
        }
    }
}

/// A property in our namespace, skipped when the value is empty.
pub(super) fn prop(name: &str, value: &str) -> Option<Value> {
    let value = one_line(value);
    (!value.is_empty()).then(|| json!({ "name": name, "ns": NS, "value": value }))
}

/// Inserts `key` only for a non-empty array (OSCAL arrays have at least one item).
pub(super) fn put_list(object: &mut Map<String, Value>, key: &str, items: Vec<Value>) {
    if !items.is_empty() {
        object.insert(key.into(), Value::Array(items));
    }
}

/// `YYYY-MM-DD` → midnight UTC, OSCAL's date-time with a time zone.
pub(super) fn date_time(date: &str) -> Option<String> {
    chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d")
        .ok()
        .map(|d| format!("{}T00:00:00Z", d.format("%Y-%m-%d")))
}

/// The party that prepared every document: us.
pub(super) fn crosswalk_party() -> Value {
    json!({ "uuid": uuid_for("https://w3id.org/crosswalk/"), "type": "organization",
            "name": "Crosswalk", "links": [{ "href": "https://w3id.org/crosswalk/", "rel": "homepage" }] })
}

/// The English title or label of a node, for provenance links.
fn read_label(graph: &Graph, iri: &str) -> Result<Option<String>, ExportError> {
    let Ok(node) = NamedNode::new(iri) else {
        return Ok(None);
    };
    let rows = graph.select(
        "export: label",
        LABEL,
        [(Variable::new_unchecked("node"), node.into())],
    )?;
    Ok(rows.first().and_then(|r| text(r, "label")))
}

#[cfg(test)]
mod tests {
    use super::token;

    #[test]
    fn identifiers_are_oscal_tokens() {
        assert_eq!(token("GOVERN-1.1", Some("subcategory")), "GOVERN-1.1");
        assert_eq!(token("4.1", Some("clause")), "clause-4.1");
        assert_eq!(token("4.1", None), "p-4.1");
        assert_eq!(token("art 5(1)", Some("article")), "art_5_1_");
    }
}
