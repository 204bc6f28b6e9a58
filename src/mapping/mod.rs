//! Cross-framework mappings as records, for the exchange formats: the framework a mapping set is
//! between ([`Framework`]), the mapping set between two frameworks read from the graph and
//! oriented from the first to the second ([`MappingSet::read`]), and the relationship, method
//! and justification vocabularies in Crosswalk, OSCAL and SSSOM terms ([`vocab`]).
//!
//! Frameworks are named by the short codes the saved queries take (`us-nist-ai-rmf`); an unknown
//! code is an error naming the closest known ones.

pub mod vocab;

use crate::graph::codes::{Codes, UnknownCode};
use crate::graph::{Graph, GraphError, names};
use oxigraph::model::{NamedNode, Term, Variable};
use oxigraph::sparql::QuerySolution;
use std::collections::BTreeMap;
pub use vocab::{Method, Rationale, Relationship};

const FRAMEWORK: &str = include_str!("../../queries/export/framework.rq");
const MAPPINGS: &str = include_str!("../../queries/export/mappings.rq");

#[derive(Debug, thiserror::Error)]
pub enum MappingError {
    #[error(transparent)]
    UnknownFramework(#[from] UnknownCode),
    #[error(transparent)]
    Graph(#[from] GraphError),
}

/// The identifier base of instruments: framework codes are the rest of their IRIs.
pub fn instrument_base() -> String {
    format!("{}instrument/", names::ID)
}

/// An instrument as the exports describe it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Framework {
    pub iri: String,
    /// The short code (`us-nist-ai-rmf`).
    pub code: String,
    pub title: String,
    pub short_name: Option<String>,
    pub jurisdiction: Option<String>,
    pub status: Option<String>,
    pub kind: Option<String>,
    pub publisher: Option<String>,
    /// The official text or landing page.
    pub url: Option<String>,
    /// Publication date (`YYYY-MM-DD`).
    pub published: Option<String>,
    /// Whether its text may be quoted (EU legislation, US-government works); otherwise only
    /// identifiers, titles and our paraphrases leave the service.
    pub quotable: bool,
    pub evidence: Option<String>,
}

impl Framework {
    /// Resolves a code (or an instrument IRI) against the known instruments. Blocking.
    pub fn resolve(graph: &Graph, codes: &Codes, code: &str) -> Result<Self, MappingError> {
        let iri = codes.resolve(&instrument_base(), code.trim())?;
        let rows = graph.select(
            "export: framework",
            FRAMEWORK,
            [(
                Variable::new_unchecked("instrument"),
                NamedNode::new_unchecked(iri.clone()).into(),
            )],
        )?;
        let Some(row) = rows.first() else {
            // Typed under the instrument base but not a cw:Instrument: not a framework.
            return Err(UnknownCode {
                kind: "instrument".into(),
                code: code.into(),
                closest: codes.closest(&instrument_base(), code),
            }
            .into());
        };
        let code = iri
            .strip_prefix(&instrument_base())
            .unwrap_or(&iri)
            .to_owned();
        Ok(Self {
            title: text(row, "title").unwrap_or_else(|| code.clone()),
            short_name: text(row, "shortName"),
            jurisdiction: text(row, "jurisdiction"),
            status: text(row, "status"),
            kind: text(row, "type"),
            publisher: text(row, "publisher"),
            url: text(row, "url"),
            published: text(row, "published"),
            quotable: text(row, "quotable").as_deref() == Some("true"),
            evidence: text(row, "evidence"),
            iri,
            code,
        })
    }

    /// The name analysts use: the short name, else the title.
    pub fn name(&self) -> &str {
        self.short_name.as_deref().unwrap_or(&self.title)
    }
}

/// One mapping, oriented from the set's first framework to its second.
#[derive(Debug, Clone, PartialEq)]
pub struct MappingRecord {
    pub iri: String,
    pub subject: String,
    pub object: String,
    pub subject_ref: Option<String>,
    pub object_ref: Option<String>,
    pub subject_title: Option<String>,
    pub object_title: Option<String>,
    pub relationship: Relationship,
    pub rationale: Option<Rationale>,
    pub method: Option<Method>,
    /// Local name of the review status (`reviewed`, `draft`, `needsReview`, `rejected`).
    pub review: Option<String>,
    pub strength: Option<i64>,
    pub confidence: Option<f64>,
    /// Local name of the evidence level (`V1`, `V2`, `Unverified`).
    pub evidence: Option<String>,
    /// `prov:wasDerivedFrom`: the published crosswalk, the team, an import, or derived hops.
    pub derived_from: Vec<String>,
    /// `dcterms:source`: the document the mapping was checked against.
    pub sources: Vec<String>,
    pub creators: Vec<String>,
    /// `dcterms:date` as written (a date or a year).
    pub date: Option<String>,
    pub comment: Option<String>,
    /// The endpoint reference as the published crosswalk wrote it.
    pub source_ref: Option<String>,
    pub correction: Option<String>,
    /// Computed by the service (two-hop chain), not curated or imported.
    pub derived: bool,
    pub path: Option<String>,
    /// True when the stored mapping runs the other way and was read inverted.
    pub inverted: bool,
}

/// The mappings between two frameworks.
#[derive(Debug, Clone)]
pub struct MappingSet {
    pub from: Framework,
    pub to: Framework,
    pub mappings: Vec<MappingRecord>,
}

impl MappingSet {
    /// Reads the mappings between `from` and `to` (both directions, oriented `from` → `to`),
    /// derived ones only when `derived` is set. Blocking.
    pub fn read(
        graph: &Graph,
        from: Framework,
        to: Framework,
        derived: bool,
    ) -> Result<Self, MappingError> {
        let rows = graph.select(
            "export: mappings",
            MAPPINGS,
            [
                (
                    Variable::new_unchecked("from"),
                    NamedNode::new_unchecked(from.iri.clone()).into(),
                ),
                (
                    Variable::new_unchecked("to"),
                    NamedNode::new_unchecked(to.iri.clone()).into(),
                ),
            ],
        )?;
        let mut by_iri: BTreeMap<String, MappingRecord> = BTreeMap::new();
        for row in &rows {
            let (Some(iri), Some(subject), Some(object), Some(relationship)) = (
                text(row, "mapping"),
                text(row, "subject"),
                text(row, "object"),
                text(row, "relationship").and_then(|r| Relationship::from_iri(&r)),
            ) else {
                continue;
            };
            let is_derived = text(row, "derived").as_deref() == Some("true");
            if is_derived && !derived {
                continue;
            }
            let record = by_iri.entry(iri.clone()).or_insert_with(|| {
                let inverted = from.iri != to.iri
                    && text(row, "subjectInstrument").as_deref() != Some(from.iri.as_str());
                let mut record = MappingRecord {
                    iri,
                    subject,
                    object,
                    subject_ref: text(row, "subjectRef"),
                    object_ref: text(row, "objectRef"),
                    subject_title: text(row, "subjectTitle"),
                    object_title: text(row, "objectTitle"),
                    relationship,
                    rationale: text(row, "rationale").and_then(|r| Rationale::from_iri(&r)),
                    method: text(row, "method").and_then(|m| Method::from_iri(&m)),
                    review: None,
                    strength: text(row, "strength").and_then(|s| s.parse().ok()),
                    confidence: text(row, "confidence").and_then(|c| c.parse().ok()),
                    evidence: text(row, "evidence").map(|e| local(&e).to_owned()),
                    derived_from: Vec::new(),
                    sources: Vec::new(),
                    creators: Vec::new(),
                    date: text(row, "date"),
                    comment: text(row, "comment"),
                    source_ref: text(row, "sourceRef"),
                    correction: text(row, "correction"),
                    derived: is_derived,
                    path: text(row, "path"),
                    inverted: false,
                };
                if inverted {
                    record.invert();
                }
                record
            });
            if let Some(review) = text(row, "review") {
                let review = local(&review).to_owned();
                if review_rank(&review) > record.review.as_deref().map_or(0, review_rank) {
                    record.review = Some(review);
                }
            }
            for (var, list) in [
                ("derivedFrom", &mut record.derived_from),
                ("source", &mut record.sources),
                ("creator", &mut record.creators),
            ] {
                if let Some(value) = text(row, var)
                    && !list.contains(&value)
                {
                    list.push(value);
                }
            }
        }
        let mut mappings: Vec<MappingRecord> = by_iri.into_values().collect();
        for m in &mut mappings {
            m.derived_from.sort();
            m.sources.sort();
            m.creators.sort();
        }
        Ok(Self { from, to, mappings })
    }
}

impl MappingRecord {
    /// Reads the mapping from the object's side.
    fn invert(&mut self) {
        std::mem::swap(&mut self.subject, &mut self.object);
        std::mem::swap(&mut self.subject_ref, &mut self.object_ref);
        std::mem::swap(&mut self.subject_title, &mut self.object_title);
        self.relationship = self.relationship.inverse();
        self.inverted = !self.inverted;
    }
}

/// Which of two review statuses a mapping shows: a flag raised by the crawler beats the
/// curated status.
fn review_rank(status: &str) -> u8 {
    match status {
        "needsReview" => 4,
        "rejected" => 3,
        "draft" => 2,
        "reviewed" => 1,
        _ => 0,
    }
}

/// The lexical value of a variable: an IRI's text, a literal's value.
pub(crate) fn text(row: &QuerySolution, var: &str) -> Option<String> {
    match row.get(var)? {
        Term::NamedNode(n) => Some(n.as_str().to_owned()),
        Term::Literal(l) => Some(l.value().to_owned()),
        _ => None,
    }
    .filter(|s| !s.trim().is_empty())
}

/// The part of an IRI after `#` or the last `/`.
pub(crate) fn local(iri: &str) -> &str {
    iri.rsplit(['#', '/']).next().unwrap_or(iri)
}
