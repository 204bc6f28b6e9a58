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
use crate::graph::relationship::Relationship;
use crate::graph::{Graph, GraphError, names};
use oxigraph::model::vocab::{rdf, rdfs};
use oxigraph::model::{NamedNode, NamedOrBlankNode, Term, Variable};
use oxigraph::sparql::QuerySolution;
use std::collections::{BTreeMap, BTreeSet, HashMap};
pub use vocab::{Method, Rationale};

const FRAMEWORK: &str = include_str!("../../queries/export/framework.rq");

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

/// Every mapping of the graph (`a cw:Mapping` with a subject, an object and a relationship),
/// kept by the pair of instruments it joins as stored (subject's, object's; an endpoint that is a
/// whole instrument is its own), with everything the OSCAL and SSSOM exports carry: rationale,
/// method, review status, strength, confidence, evidence level, `prov:wasDerivedFrom`,
/// `dcterms:source`, creator, date, comment, the published crosswalk's own reference, our
/// correction, a derived mapping's path, and each endpoint's citation and English title.
/// Exporting many sets takes them all from one read.
#[derive(Debug, Default)]
pub struct Mappings {
    by_pair: BTreeMap<(String, String), Vec<MappingRecord>>,
}

impl Mappings {
    /// Reads every mapping, curated, imported and derived. Blocking.
    ///
    /// One scan of each property's index (over every graph), joined here by the node it
    /// describes: the same as a SELECT with an OPTIONAL per property, without a look-up per
    /// mapping and property, and without the product of the multi-valued ones' rows. This is
    /// what every OSCAL and SSSOM export starts from.
    pub fn read(graph: &Graph) -> Result<Self, MappingError> {
        let typed = |class: &str| -> Result<BTreeSet<String>, MappingError> {
            let class = names::cw(class);
            let mut nodes = BTreeSet::new();
            for quad in
                graph.quads_for_pattern(None, Some(rdf::TYPE), Some(class.as_ref().into()), None)
            {
                let quad = quad.map_err(GraphError::from)?;
                if let (NamedOrBlankNode::NamedNode(node), false) =
                    (quad.subject, quad.graph_name.is_default_graph())
                {
                    nodes.insert(node.into_string());
                }
            }
            Ok(nodes)
        };
        let mapping_iris = typed("Mapping")?;
        let derived = typed("DerivedMapping")?;
        let values = |predicate: NamedNode| Values::read(graph, predicate, false);
        let cw = |local: &str| values(names::cw(local));
        let (subject, object, relationship) = (cw("subject")?, cw("object")?, cw("relationship")?);
        let (rationale, method, review) = (cw("rationale")?, cw("method")?, cw("reviewStatus")?);
        let (strength, confidence) = (cw("strength")?, cw("confidence")?);
        let (evidence, source_ref) = (cw("evidenceLevel")?, cw("sourceRef")?);
        let (correction, path) = (cw("correction")?, cw("path")?);
        let (instrument, reference) = (cw("instrument")?, cw("ref")?);
        let derived_from = values(names::prov("wasDerivedFrom"))?;
        let source = values(names::dcterms("source"))?;
        let creator = values(names::dcterms("creator"))?;
        let date = values(names::dcterms("date"))?;
        let comment = values(rdfs::COMMENT.into_owned())?;
        let title = Values::read(graph, names::dcterms("title"), true)?;
        let mut by_pair: BTreeMap<(String, String), Vec<MappingRecord>> = BTreeMap::new();
        for iri in mapping_iris {
            let (Some(subject), Some(object), Some(relationship)) = (
                subject.first(&iri),
                object.first(&iri),
                relationship
                    .all(&iri)
                    .iter()
                    .find_map(|r| Relationship::from_iri(r)),
            ) else {
                continue;
            };
            let pair = (
                instrument
                    .first(&subject)
                    .unwrap_or_else(|| subject.clone()),
                instrument.first(&object).unwrap_or_else(|| object.clone()),
            );
            let sorted = |values: &Values| {
                let mut list = values.all(&iri).to_vec();
                list.sort();
                list.dedup();
                list
            };
            let record = MappingRecord {
                subject_ref: reference.first(&subject),
                object_ref: reference.first(&object),
                subject_title: title.first(&subject),
                object_title: title.first(&object),
                relationship,
                rationale: rationale.first(&iri).and_then(|r| Rationale::from_iri(&r)),
                method: method.first(&iri).and_then(|m| Method::from_iri(&m)),
                // A flag raised by the crawler beats the curated status.
                review: review
                    .all(&iri)
                    .iter()
                    .map(|r| local(r))
                    .max_by_key(|r| review_rank(r))
                    .filter(|r| review_rank(r) > 0)
                    .map(str::to_owned),
                strength: strength.first(&iri).and_then(|s| s.parse().ok()),
                confidence: confidence.first(&iri).and_then(|c| c.parse().ok()),
                evidence: evidence.first(&iri).map(|e| local(&e).to_owned()),
                derived_from: sorted(&derived_from),
                sources: sorted(&source),
                creators: sorted(&creator),
                date: date.first(&iri),
                comment: comment.first(&iri),
                source_ref: source_ref.first(&iri),
                correction: correction.first(&iri),
                derived: derived.contains(&iri),
                path: path.first(&iri),
                inverted: false,
                subject,
                object,
                iri,
            };
            by_pair.entry(pair).or_default().push(record);
        }
        Ok(Self { by_pair })
    }

    /// How many mappings were read.
    pub fn len(&self) -> usize {
        self.by_pair.values().map(Vec::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.by_pair.is_empty()
    }

    /// Every pair of two different instruments with a mapping between them, each once
    /// (`a < b` by IRI), with whether only derived mappings join them.
    pub fn pairs(&self) -> Vec<(&str, &str)> {
        let mut pairs: Vec<(&str, &str)> = self
            .by_pair
            .keys()
            .filter(|(a, b)| a != b)
            .map(|(a, b)| {
                if a < b {
                    (a.as_str(), b.as_str())
                } else {
                    (b.as_str(), a.as_str())
                }
            })
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

    /// Every mapping with `element` at one end, oriented from it (those stored the other way
    /// read inverted), each with the instrument of its other end (the other end itself when
    /// it is a whole instrument); curated, imported and derived, in IRI order.
    pub fn touching(&self, element: &str) -> Vec<(String, MappingRecord)> {
        let mut found = Vec::new();
        for ((subject_instrument, object_instrument), records) in &self.by_pair {
            for record in records {
                if record.subject == element {
                    found.push((object_instrument.clone(), record.clone()));
                } else if record.object == element {
                    let mut inverted = record.clone();
                    inverted.invert();
                    found.push((subject_instrument.clone(), inverted));
                }
            }
        }
        found.sort_by(|a, b| a.1.iri.cmp(&b.1.iri));
        found
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

/// The values of one property by the IRI of the node they describe, in the store's order, as
/// the SPARQL queries read them: over the union of the named graphs, lexical forms ([`text`]).
struct Values(HashMap<String, Vec<String>>);

impl Values {
    /// Every value of `predicate`; with `english`, only literals tagged `en` or `en-*`
    /// (`LANGMATCHES(LANG(?v), "en")`).
    fn read(graph: &Graph, predicate: NamedNode, english: bool) -> Result<Self, MappingError> {
        let mut values: HashMap<String, Vec<String>> = HashMap::new();
        for quad in graph.quads_for_pattern(None, Some(predicate.as_ref()), None, None) {
            let quad = quad.map_err(GraphError::from)?;
            let NamedOrBlankNode::NamedNode(node) = quad.subject else {
                continue;
            };
            if quad.graph_name.is_default_graph() || (english && !is_english(&quad.object)) {
                continue;
            }
            if let Some(value) = lexical(&quad.object) {
                values.entry(node.into_string()).or_default().push(value);
            }
        }
        Ok(Self(values))
    }

    fn first(&self, node: &str) -> Option<String> {
        self.all(node).first().cloned()
    }

    fn all(&self, node: &str) -> &[String] {
        self.0.get(node).map_or(&[], Vec::as_slice)
    }
}

fn is_english(term: &Term) -> bool {
    let Term::Literal(literal) = term else {
        return false;
    };
    literal.language().is_some_and(|tag| {
        let tag = tag.to_ascii_lowercase();
        tag == "en" || tag.starts_with("en-")
    })
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
    lexical(row.get(var)?)
}

/// A term's lexical value (an IRI's text, a literal's value) unless it is blank.
fn lexical(term: &Term) -> Option<String> {
    match term {
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

#[cfg(test)]
mod tests {
    use super::*;
    use oxigraph::model::GraphName;

    fn load(graph: &Graph, graph_name: GraphName, ttl: &str) {
        graph.load_turtle(graph_name, ttl);
    }

    const PREFIXES: &str = r#"
        @prefix cw: <https://w3id.org/crosswalk/ontology#> .
        @prefix dcterms: <http://purl.org/dc/terms/> .
        @prefix prov: <http://www.w3.org/ns/prov#> .
        @prefix inst: <https://w3id.org/crosswalk/id/instrument/> .
        @prefix p: <https://w3id.org/crosswalk/id/provision/> .
    "#;

    #[test]
    fn reads_every_mapping_with_its_properties_from_the_named_graphs() {
        let graph = Graph::in_memory().unwrap();
        load(
            &graph,
            NamedNode::new_unchecked("urn:test:a").into(),
            &format!(
                r#"{PREFIXES}
                p:a-1 cw:instrument inst:a ; cw:ref "A 1" ; dcterms:title "Eins"@de, "One"@en-GB .
                p:b-1 cw:instrument inst:b .
                <urn:m:1> a cw:Mapping ; cw:subject p:a-1 ; cw:object p:b-1 ;
                    cw:relationship cw:subsetOf ; cw:reviewStatus cw:reviewed ;
                    prov:wasDerivedFrom <urn:z>, <urn:y> ; dcterms:source <urn:s> ;
                    cw:strength 7 ; cw:confidence 0.5 ; cw:evidenceLevel cw:V1 .
                <urn:m:2> a cw:Mapping, cw:DerivedMapping ; cw:subject p:b-1 ; cw:object inst:a ;
                    cw:relationship cw:related ; cw:path "b → a" .
                <urn:m:3> a cw:Mapping ; cw:subject p:a-1 ; cw:object p:b-1 ;
                    cw:relationship <urn:not-a-relationship> .
                <urn:m:4> a cw:Mapping ; cw:subject p:a-1 ; cw:relationship cw:equal ."#
            ),
        );
        // The same mapping seen again in another graph, with the crawler's review flag.
        load(
            &graph,
            NamedNode::new_unchecked("urn:test:b").into(),
            &format!(
                "{PREFIXES} <urn:m:1> cw:reviewStatus cw:needsReview ; prov:wasDerivedFrom <urn:y> ."
            ),
        );
        // The default graph is not part of the union the queries read.
        load(
            &graph,
            GraphName::DefaultGraph,
            &format!("{PREFIXES} <urn:m:1> dcterms:source <urn:default> ."),
        );
        let mappings = Mappings::read(&graph).unwrap();
        assert_eq!(
            mappings.len(),
            2,
            "unknown relationship and missing object skipped"
        );
        let a = "https://w3id.org/crosswalk/id/instrument/a";
        let b = "https://w3id.org/crosswalk/id/instrument/b";
        assert_eq!(mappings.pairs(), [(a, b)]);
        let m1 = &mappings.by_pair[&(a.to_owned(), b.to_owned())][0];
        assert_eq!(m1.relationship, Relationship::SubsetOf);
        assert_eq!(m1.subject_ref.as_deref(), Some("A 1"));
        assert_eq!(m1.subject_title.as_deref(), Some("One"));
        assert_eq!(m1.object_title, None);
        assert_eq!(m1.review.as_deref(), Some("needsReview"));
        assert_eq!(m1.derived_from, ["urn:y", "urn:z"]);
        assert_eq!(m1.sources, ["urn:s"]);
        assert_eq!((m1.strength, m1.confidence), (Some(7), Some(0.5)));
        assert_eq!(m1.evidence.as_deref(), Some("V1"));
        assert!(!m1.derived);
        // From either end, oriented from it, with the other end's instrument.
        let b1 = "https://w3id.org/crosswalk/id/provision/b-1";
        let touching = mappings.touching(b1);
        assert_eq!(touching.len(), 2, "m1 (inverted) and m2");
        let (instrument, inverted) = &touching[0];
        assert_eq!((instrument.as_str(), inverted.subject.as_str()), (a, b1));
        assert_eq!(inverted.relationship, Relationship::SupersetOf);
        assert!(inverted.inverted);
        assert_eq!(touching[1].0, a, "a whole instrument is its own");
        // A whole instrument is its own endpoint instrument.
        let m2 = &mappings.by_pair[&(b.to_owned(), a.to_owned())][0];
        assert!(m2.derived);
        assert_eq!(m2.path.as_deref(), Some("b → a"));
    }
}
