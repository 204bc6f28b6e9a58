//! Cross-framework mappings as records, for the exchange formats: the framework a mapping set is
//! between ([`Framework`]), every mapping of the graph read at once and grouped by the pair of
//! instruments it joins ([`Mappings`]), the set between two frameworks oriented from the first
//! to the second ([`Mappings::set`], [`MappingSet::read`]), and the rationale and method
//! vocabularies in Crosswalk, OSCAL and SSSOM terms ([`vocab`]; the relationship vocabulary is
//! [`crate::graph::relationship`]).
//!
//! Frameworks are named by the short codes the saved queries take (`us-nist-ai-rmf`); an unknown
//! code is an error naming the closest known ones.

pub mod vocab;

use crate::graph::codes::{Codes, UnknownCode};
use crate::graph::{Graph, GraphError, names};
use oxigraph::model::{NamedNode, Term, Variable};
use oxigraph::sparql::QuerySolution;
use std::collections::BTreeMap;
use crate::graph::relationship::Relationship;
pub use vocab::{Method, Rationale};

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
    /// derived ones only when `derived` is set. Blocking. To read several sets, read
    /// [`Mappings`] once and take each from it.
    pub fn read(
        graph: &Graph,
        from: Framework,
        to: Framework,
        derived: bool,
    ) -> Result<Self, MappingError> {
        Ok(Mappings::read(graph)?.set(from, to, derived))
    }
}

/// Every mapping of the graph, read with one query and kept by the pair of instruments it joins
/// as stored (subject's, object's; an endpoint that is a whole instrument is its own). Exporting
/// many sets takes them all from one read: each set's own query would scan every mapping again.
#[derive(Debug, Default)]
pub struct Mappings {
    by_pair: BTreeMap<(String, String), Vec<MappingRecord>>,
}

impl Mappings {
    /// Reads every mapping, curated, imported and derived. Blocking.
    pub fn read(graph: &Graph) -> Result<Self, MappingError> {
        let rows = graph.select("export: mappings", MAPPINGS, [])?;
        // By IRI first: a mapping has one row per combination of its multi-valued properties.
        let mut by_iri: BTreeMap<String, ((String, String), MappingRecord)> = BTreeMap::new();
        for row in &rows {
            let (Some(iri), Some(subject), Some(object), Some(relationship)) = (
                text(row, "mapping"),
                text(row, "subject"),
                text(row, "object"),
                text(row, "relationship").and_then(|r| Relationship::from_iri(&r)),
            ) else {
                continue;
            };
            let (_, record) = by_iri.entry(iri.clone()).or_insert_with(|| {
                let pair = (
                    text(row, "subjectInstrument").unwrap_or_else(|| subject.clone()),
                    text(row, "objectInstrument").unwrap_or_else(|| object.clone()),
                );
                let record = MappingRecord {
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
                    derived: text(row, "derived").as_deref() == Some("true"),
                    path: text(row, "path"),
                    inverted: false,
                };
                (pair, record)
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
        let mut by_pair: BTreeMap<(String, String), Vec<MappingRecord>> = BTreeMap::new();
        for (pair, mut record) in by_iri.into_values() {
            record.derived_from.sort();
            record.sources.sort();
            record.creators.sort();
            by_pair.entry(pair).or_default().push(record);
        }
        Ok(Self { by_pair })
    }

    /// Every pair of two different instruments with a mapping between them, each once
    /// (`a < b` by IRI), with whether only derived mappings join them.
    pub fn pairs(&self) -> Vec<(&str, &str)> {
        let mut pairs: Vec<(&str, &str)> = self
            .by_pair
            .keys()
            .filter(|(a, b)| a != b)
            .map(|(a, b)| if a < b { (a.as_str(), b.as_str()) } else { (b.as_str(), a.as_str()) })
            .collect();
        pairs.sort_unstable();
        pairs.dedup();
        pairs
    }

    /// The mappings between `from` and `to`, oriented `from` → `to` (those stored the other
    /// way read inverted), derived ones only when `derived` is set; in IRI order.
    pub fn set(&self, from: Framework, to: Framework, derived: bool) -> MappingSet {
        let wanted = |m: &&MappingRecord| derived || !m.derived;
        let forward = self.records(&from.iri, &to.iri).filter(wanted).cloned();
        let mut mappings: Vec<MappingRecord> = if from.iri == to.iri {
            forward.collect()
        } else {
            let backward = self.records(&to.iri, &from.iri).filter(wanted).map(|m| {
                let mut m = m.clone();
                m.invert();
                m
            });
            forward.chain(backward).collect()
        };
        mappings.sort_by(|a, b| a.iri.cmp(&b.iri));
        MappingSet { from, to, mappings }
    }

    fn records(&self, subject: &str, object: &str) -> impl Iterator<Item = &MappingRecord> {
        self.by_pair
            .get(&(subject.to_owned(), object.to_owned()))
            .into_iter()
            .flatten()
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
