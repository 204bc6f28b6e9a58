//! Derived knowledge, recomputed from the curated graphs into `…/graph/derived`:
//!
//! * the `rdfs:subClassOf` and `rdfs:subPropertyOf` closure of the ontology, standard terms
//!   included (`cw:Control` ⇒ `cw:Provision` ⇒ `eli:LegalResourceSubdivision`, `cw:Source` ⇒
//!   `dcat:Distribution`, `cw:jurisdiction` ⇒ `dcterms:spatial`, `skos:exactMatch` ⇒
//!   `skos:closeMatch` ⇒ `skos:mappingRelation`), so ELI-, PROV-, DCAT- and SKOS-aware clients
//!   find our data without an inference engine;
//! * `skos:*Match` triples for every mapping, from its typed relationship;
//! * transitive mappings A→B→C through a shared middle element, by the *weakest-link* rule:
//!   the chain is only as strong as its weakest hop (`equal` only if both hops are `equal`),
//!   never between two elements of the same instrument, never where a direct mapping exists.
//!   Each derived mapping names both hops with `prov:wasDerivedFrom` and explains its path.
//!
//! The derived graph is replaced only when its content hash changes, so an unchanged catalogue
//! does not bump the graph revision.

use super::feed::{Consumer, ConsumerError};
use super::relationship::Relationship;
use super::{Graph, GraphError, names};
use oxigraph::model::vocab::{rdf, xsd};
use oxigraph::model::{Literal, NamedNode, Term, Triple};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};

const DIRECT_MAPPINGS: &str = include_str!("../../queries/derive/direct-mappings.rq");
const CLASS_HIERARCHY: &str = include_str!("../../queries/derive/class-hierarchy.rq");
const PROPERTY_HIERARCHY: &str = include_str!("../../queries/derive/property-hierarchy.rq");
const TYPED_INSTANCES: &str = include_str!("../../queries/derive/typed-instances.rq");
const SUBPROPERTY_STATEMENTS: &str = include_str!("../../queries/derive/subproperty-statements.rq");
/// Attempts at a refresh when other writes keep landing between its reads and its write.
const ATTEMPTS: usize = 8;

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct DeriveReport {
    pub direct_mappings: usize,
    pub derived_mappings: usize,
    pub triples: usize,
    /// False when the derived graph already had exactly this content.
    pub changed: bool,
    /// The graph revision the derived graph reflects after this refresh.
    pub revision: u64,
}

#[derive(Clone)]
struct Edge {
    mapping: String,
    from: String,
    to: String,
    rel: Relationship,
    strength: Option<i64>,
    confidence: Option<f64>,
    evidence: u8,
    from_ref: String,
    to_ref: String,
}

fn evidence_rank(iri: Option<&str>) -> u8 {
    match iri.and_then(names::cw_local) {
        Some("V1") => 2,
        Some("V2") => 1,
        _ => 0,
    }
}

fn evidence_iri(rank: u8) -> NamedNode {
    names::cw(match rank {
        2 => "V1",
        1 => "V2",
        _ => "Unverified",
    })
}

/// Recomputes the derived graph. Blocking.
///
/// The derived content is computed from reads taken outside the write transaction, so it is
/// written only if the graph is still at the revision those reads saw ([`Graph::write_at`]);
/// otherwise it is computed again. Two overlapping refreshes therefore cannot leave the older
/// one's result behind.
pub fn refresh(graph: &Graph) -> Result<DeriveReport, GraphError> {
    let mut attempt = 0;
    loop {
        let read_at = graph.revision();
        let (mut report, write) = compute(graph)?;
        if !report.changed {
            report.revision = read_at;
            return Ok(report);
        }
        match graph.write_at(read_at, write) {
            Ok(revision) => {
                report.revision = revision;
                return Ok(report);
            }
            Err(GraphError::Moved { .. }) if attempt + 1 < ATTEMPTS => attempt += 1,
            Err(error) => return Err(error),
        }
    }
}

type Write = Box<dyn FnOnce(&mut oxigraph::store::Transaction<'_>) -> Result<(), GraphError>>;

/// The derived graph for the current state, and the write that stores it when it differs.
fn compute(graph: &Graph) -> Result<(DeriveReport, Write), GraphError> {
    let rows = graph.select("derive: direct mappings", DIRECT_MAPPINGS, [])?;
    let text = |row: &oxigraph::sparql::QuerySolution, var: &str| match row.get(var) {
        Some(Term::NamedNode(n)) => Some(n.as_str().to_owned()),
        Some(Term::Literal(l)) => Some(l.value().to_owned()),
        _ => None,
    };
    let mut instrument_of: HashMap<String, String> = HashMap::new();
    let mut edges = Vec::new();
    let mut skos = Vec::new();
    for row in &rows {
        // Only relationships with a SKOS match chain (not notRelated, not contrary).
        let (Some(mapping), Some(from), Some(to), Some((rel, skos_match))) = (
            text(row, "mapping"),
            text(row, "subject"),
            text(row, "object"),
            text(row, "relationship")
                .and_then(|r| Relationship::from_iri(&r))
                .and_then(|r| Some((r, r.skos_match()?))),
        ) else {
            continue;
        };
        skos.push((from.clone(), skos_match, to.clone()));
        for (node, var) in [(&from, "subjectInstrument"), (&to, "objectInstrument")] {
            if let Some(instrument) = text(row, var) {
                instrument_of.insert(node.clone(), instrument);
            }
        }
        edges.push(Edge {
            mapping,
            from: from.clone(),
            to: to.clone(),
            rel,
            strength: text(row, "strength").and_then(|s| s.parse().ok()),
            confidence: text(row, "confidence").and_then(|s| s.parse().ok()),
            evidence: evidence_rank(text(row, "evidence").as_deref()),
            from_ref: text(row, "subjectRef").unwrap_or_else(|| short(&from)),
            to_ref: text(row, "objectRef").unwrap_or_else(|| short(&to)),
        });
    }
    let direct_mappings = edges.len();

    // Both directions of every edge, indexed by the node they leave.
    // Ordered maps and a total order on candidates keep the result identical from run to run, so
    // an unchanged catalogue never rewrites the derived graph.
    let mut outgoing: BTreeMap<&str, Vec<Edge>> = BTreeMap::new();
    for edge in &edges {
        outgoing
            .entry(edge.from.as_str())
            .or_default()
            .push(edge.clone());
        let reversed = Edge {
            from: edge.to.clone(),
            to: edge.from.clone(),
            rel: edge.rel.inverse(),
            from_ref: edge.to_ref.clone(),
            to_ref: edge.from_ref.clone(),
            ..edge.clone()
        };
        outgoing.entry(edge.to.as_str()).or_default().push(reversed);
    }
    let directly_linked: BTreeSet<(&str, &str)> = edges
        .iter()
        .flat_map(|e| {
            [
                (e.from.as_str(), e.to.as_str()),
                (e.to.as_str(), e.from.as_str()),
            ]
        })
        .collect();

    // Best two-hop chain per ordered pair (A, C), A < C by IRI so each pair is derived once.
    let mut best: BTreeMap<(String, String), (Relationship, Edge, Edge)> = BTreeMap::new();
    for (middle, legs) in &outgoing {
        for first in legs {
            // first goes middle → X; read it as X → middle.
            let a = &first.to;
            let a_to_middle = first.rel.inverse();
            for second in legs {
                let c = &second.to;
                if a >= c || directly_linked.contains(&(a.as_str(), c.as_str())) {
                    continue;
                }
                let (ia, ic) = (instrument_of.get(a), instrument_of.get(c));
                if ia.is_none()
                    || ia == ic
                    || instrument_of.get(*middle) == ia
                    || instrument_of.get(*middle) == ic
                {
                    continue;
                }
                let rel = a_to_middle.compose(second.rel);
                let key = (a.clone(), c.clone());
                let score = |rel: Relationship, x: &Edge, y: &Edge| {
                    (
                        rel.rank(),
                        x.evidence.min(y.evidence),
                        std::cmp::Reverse((x.mapping.clone(), y.mapping.clone())),
                    )
                };
                let better = best
                    .get(&key)
                    .is_none_or(|(r, x, y)| score(rel, first, second) > score(*r, x, y));
                if better {
                    best.insert(key, (rel, first.clone(), second.clone()));
                }
            }
        }
    }

    let mut triples: HashSet<Triple> = HashSet::new();
    let node = |iri: &str| NamedNode::new_unchecked(iri);
    for (from, predicate, to) in &skos {
        triples.insert(Triple::new(node(from), names::skos(predicate), node(to)));
    }
    for ((a, c), (rel, first, second)) in &best {
        let id = {
            let digest = Sha256::digest(format!("{a}\n{c}").as_bytes());
            let hex: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
            node(&format!("{}mapping/derived/{hex}", names::ID))
        };
        let add = |p: NamedNode, o: Term, set: &mut HashSet<Triple>| {
            set.insert(Triple::new(id.clone(), p, o));
        };
        add(rdf::TYPE.into(), names::cw("Mapping").into(), &mut triples);
        add(
            rdf::TYPE.into(),
            names::cw("DerivedMapping").into(),
            &mut triples,
        );
        add(names::cw("subject"), node(a).into(), &mut triples);
        add(names::cw("object"), node(c).into(), &mut triples);
        add(
            names::cw("relationship"),
            names::cw(rel.local()).into(),
            &mut triples,
        );
        add(
            names::cw("method"),
            names::cw("automated").into(),
            &mut triples,
        );
        add(
            names::cw("reviewStatus"),
            names::cw("draft").into(),
            &mut triples,
        );
        add(names::cw("hops"), Literal::from(2_i64).into(), &mut triples);
        add(
            names::prov("wasDerivedFrom"),
            node(&first.mapping).into(),
            &mut triples,
        );
        add(
            names::prov("wasDerivedFrom"),
            node(&second.mapping).into(),
            &mut triples,
        );
        add(
            names::cw("evidenceLevel"),
            evidence_iri(first.evidence.min(second.evidence)).into(),
            &mut triples,
        );
        let path = format!("{} → {} → {}", first.to_ref, first.from_ref, second.to_ref);
        add(
            names::cw("path"),
            Literal::new_simple_literal(path).into(),
            &mut triples,
        );
        if let (Some(x), Some(y)) = (first.strength, second.strength) {
            add(
                names::cw("strength"),
                Literal::from(x.min(y)).into(),
                &mut triples,
            );
        }
        let confidence = first.confidence.unwrap_or(1.0) * second.confidence.unwrap_or(1.0);
        if confidence < 1.0 {
            let value = format!("{:.3}", confidence);
            add(
                names::cw("confidence"),
                Literal::new_typed_literal(value, xsd::DECIMAL).into(),
                &mut triples,
            );
        }
        if let Some(skos_match) = rel.skos_match() {
            triples.insert(Triple::new(node(a), names::skos(skos_match), node(c)));
        }
    }

    // The schema closure: the stored statements' entailed types and super-properties, and
    // those of the statements computed above.
    let classes = Hierarchy::load(graph, "derive: class hierarchy", CLASS_HIERARCHY)?;
    let properties = Hierarchy::load(graph, "derive: property hierarchy", PROPERTY_HIERARCHY)?;
    let mut stored = Vec::new();
    for row in graph.select("derive: typed instances", TYPED_INSTANCES, [])? {
        if let (Some(Term::NamedNode(i)), Some(Term::NamedNode(c))) =
            (row.get("instance"), row.get("class"))
        {
            stored.push(Triple::new(i.clone(), rdf::TYPE, c.clone()));
        }
    }
    for row in graph.select(
        "derive: sub-property statements",
        SUBPROPERTY_STATEMENTS,
        [],
    )? {
        if let (Some(Term::NamedNode(p)), Some(s), Some(o)) =
            (row.get("p"), row.get("s"), row.get("o"))
        {
            let subject = match s {
                Term::NamedNode(n) => oxigraph::model::NamedOrBlankNode::from(n.clone()),
                Term::BlankNode(b) => b.clone().into(),
                _ => continue,
            };
            stored.push(Triple::new(subject, p.clone(), o.clone()));
        }
    }
    let computed: Vec<Triple> = triples.iter().cloned().collect();
    for triple in stored.iter().chain(&computed) {
        for entailed in entailments(triple, &classes, &properties) {
            triples.insert(entailed);
        }
    }

    // Compare by a hash of the sorted N-Triples lines rather than by reading the graph back:
    // the store returns literals in canonical form (0.720 → 0.72), which would never compare equal.
    let mut lines: Vec<String> = triples.iter().map(ToString::to_string).collect();
    lines.sort_unstable();
    let digest = super::seeds::hex(&Sha256::digest(lines.join("\n").as_bytes()));
    let changed =
        super::seeds::known_hashes(graph)?.get(names::DERIVED_GRAPH.as_str()) != Some(&digest);
    let report = DeriveReport {
        direct_mappings,
        derived_mappings: best.len(),
        triples: triples.len(),
        changed,
        revision: 0,
    };
    let write: Write = Box::new(move |t| {
        t.clear_graph(names::DERIVED_GRAPH)?;
        for triple in &triples {
            t.insert(triple.as_ref().in_graph(names::DERIVED_GRAPH));
        }
        super::seeds::set_hash(t, names::DERIVED_GRAPH, Some(&digest));
        Ok(())
    });
    Ok((report, write))
}

/// The derived graph as a consumer of the change feed.
///
/// Its revision is kept in memory only: the derived graph is a function of the curated graphs,
/// and recording the revision in the store would itself be a write (a new revision). A process
/// therefore recomputes it once at start, and again after every write; the refresh writes only
/// when the content changed.
#[derive(Default)]
pub struct Derived {
    revision: AtomicU64,
}

impl Consumer for Derived {
    fn name(&self) -> &'static str {
        "derived"
    }

    fn revision(&self) -> u64 {
        self.revision.load(Ordering::SeqCst)
    }

    fn catch_up(&self, graph: &Graph) -> Result<u64, ConsumerError> {
        if self.revision() == graph.revision() && graph.revision() != 0 {
            return Ok(self.revision());
        }
        let report = refresh(graph)?;
        tracing::debug!(
            revision = report.revision,
            derived = report.derived_mappings,
            changed = report.changed,
            "derived graph refreshed"
        );
        self.revision.store(report.revision, Ordering::SeqCst);
        Ok(report.revision)
    }
}

/// A transitive `rdfs:subClassOf` or `rdfs:subPropertyOf` relation: every term's ancestors.
struct Hierarchy(HashMap<String, BTreeSet<String>>);

impl Hierarchy {
    fn load(graph: &Graph, context: &str, query: &str) -> Result<Self, GraphError> {
        let mut parents: HashMap<String, Vec<String>> = HashMap::new();
        for row in graph.select(context, query, [])? {
            if let (Some(Term::NamedNode(sub)), Some(Term::NamedNode(sup))) =
                (row.get("sub"), row.get("super"))
            {
                parents
                    .entry(sub.as_str().to_owned())
                    .or_default()
                    .push(sup.as_str().to_owned());
            }
        }
        // Ancestors by a walk from each term; the visited set makes a cycle in the axioms
        // harmless (each term then counts the others of its cycle as ancestors).
        let mut ancestors = HashMap::new();
        for term in parents.keys() {
            let mut seen = BTreeSet::new();
            let mut stack = parents[term].clone();
            while let Some(next) = stack.pop() {
                if next != *term && seen.insert(next.clone()) {
                    stack.extend(parents.get(&next).into_iter().flatten().cloned());
                }
            }
            ancestors.insert(term.clone(), seen);
        }
        Ok(Self(ancestors))
    }

    fn ancestors(&self, term: &str) -> impl Iterator<Item = &String> {
        self.0.get(term).into_iter().flatten()
    }
}

/// The types and statements `triple` entails under the two hierarchies.
fn entailments(triple: &Triple, classes: &Hierarchy, properties: &Hierarchy) -> Vec<Triple> {
    let mut out = Vec::new();
    if triple.predicate == rdf::TYPE {
        if let Term::NamedNode(class) = &triple.object {
            for sup in classes.ancestors(class.as_str()) {
                out.push(Triple::new(
                    triple.subject.clone(),
                    rdf::TYPE,
                    NamedNode::new_unchecked(sup.clone()),
                ));
            }
        }
    } else {
        for sup in properties.ancestors(triple.predicate.as_str()) {
            out.push(Triple::new(
                triple.subject.clone(),
                NamedNode::new_unchecked(sup.clone()),
                triple.object.clone(),
            ));
        }
    }
    out
}

fn short(iri: &str) -> String {
    iri.rsplit('/').next().unwrap_or(iri).to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use oxigraph::model::Quad;

    fn load(graph: &Graph, name: &str, ttl: &str) {
        graph.load_turtle(NamedNode::new_unchecked(name), ttl);
    }

    #[test]
    fn materialises_the_schema_closure_from_ontology_graphs_only() {
        let graph = Graph::in_memory().unwrap();
        let prefixes = r#"
            @prefix cw: <https://w3id.org/crosswalk/ontology#> .
            @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
            @prefix skos: <http://www.w3.org/2004/02/skos/core#> .
            @prefix eli: <http://data.europa.eu/eli/ontology#> .
            @prefix dcterms: <http://purl.org/dc/terms/> .
        "#;
        load(
            &graph,
            "https://w3id.org/crosswalk/graph/ontology/crosswalk.ttl",
            &format!(
                "{prefixes}
                cw:Control rdfs:subClassOf cw:Provision .
                cw:Provision rdfs:subClassOf eli:LegalResourceSubdivision .
                cw:jurisdiction rdfs:subPropertyOf dcterms:spatial .
                dcterms:spatial rdfs:subPropertyOf dcterms:coverage .
                skos:exactMatch rdfs:subPropertyOf skos:closeMatch ."
            ),
        );
        load(
            &graph,
            "https://w3id.org/crosswalk/graph/seed/x.ttl",
            &format!(
                "{prefixes}
                <urn:a> a cw:Control ; cw:instrument <urn:A> ; cw:jurisdiction <urn:SG> .
                <urn:b> a cw:Provision ; cw:instrument <urn:B> .
                <urn:m> a cw:Mapping ; cw:subject <urn:a> ; cw:object <urn:b> ; cw:relationship cw:equal .
                # Not an ontology graph: no axiom is taken from here.
                <urn:b> rdfs:subClassOf <urn:Nonsense> ."
            ),
        );
        refresh(&graph).unwrap();
        let ask = |q: &str| {
            !graph
                .select(
                    "t",
                    &format!("{prefixes} SELECT * {{ {q} }}")
                        .replace("@prefix", "PREFIX")
                        .replace("> .", ">"),
                    [],
                )
                .unwrap()
                .is_empty()
        };
        assert!(ask("<urn:a> a cw:Provision , eli:LegalResourceSubdivision"));
        assert!(ask("<urn:b> a eli:LegalResourceSubdivision"));
        assert!(ask(
            "<urn:a> dcterms:spatial <urn:SG> ; dcterms:coverage <urn:SG>"
        ));
        // Computed statements are closed too: the mapping's exactMatch is also a closeMatch.
        assert!(ask(
            "<urn:a> skos:exactMatch <urn:b> ; skos:closeMatch <urn:b>"
        ));
        assert!(!ask("?x a <urn:Nonsense>"));
        let revision = graph.revision();
        assert!(!refresh(&graph).unwrap().changed, "closure is stable");
        assert_eq!(graph.revision(), revision);
    }

    #[test]
    fn derives_chain_through_shared_middle_and_is_idempotent() {
        let graph = Graph::in_memory().unwrap();
        let ttl = r#"
            @prefix cw: <https://w3id.org/crosswalk/ontology#> .
            <urn:a1> cw:instrument <urn:A> ; cw:ref "A1" .
            <urn:b1> cw:instrument <urn:B> ; cw:ref "B1" .
            <urn:c1> cw:instrument <urn:C> ; cw:ref "C1" .
            <urn:m1> a cw:Mapping ; cw:subject <urn:b1> ; cw:object <urn:a1> ; cw:relationship cw:equal ; cw:evidenceLevel cw:V1 .
            <urn:m2> a cw:Mapping ; cw:subject <urn:b1> ; cw:object <urn:c1> ; cw:relationship cw:subsetOf ; cw:evidenceLevel cw:V2 .
            <urn:b2> cw:instrument <urn:B> ; cw:ref "B2" .
            <urn:m3> a cw:Mapping ; cw:subject <urn:b2> ; cw:object <urn:a1> ; cw:relationship cw:equal ; cw:evidenceLevel cw:V1 .
            <urn:m4> a cw:Mapping ; cw:subject <urn:b2> ; cw:object <urn:c1> ; cw:relationship cw:subsetOf ; cw:evidenceLevel cw:V2 .
        "#;
        load(&graph, "urn:g", ttl);
        let report = refresh(&graph).unwrap();
        assert_eq!(report.derived_mappings, 1);
        assert!(report.changed);
        let rows = graph
            .select("t", "PREFIX cw: <https://w3id.org/crosswalk/ontology#> SELECT ?s ?o ?r ?e ?p { ?m a cw:DerivedMapping ; cw:subject ?s ; cw:object ?o ; cw:relationship ?r ; cw:evidenceLevel ?e ; cw:path ?p }", [])
            .unwrap();
        assert_eq!(rows.len(), 1);
        // a1 = b1 ⊆ c1, so a1 ⊆ c1; evidence is the weaker hop's.
        assert_eq!(rows[0].get("s").unwrap().to_string(), "<urn:a1>");
        assert_eq!(
            rows[0].get("r").unwrap().to_string(),
            "<https://w3id.org/crosswalk/ontology#subsetOf>"
        );
        assert_eq!(
            rows[0].get("e").unwrap().to_string(),
            "<https://w3id.org/crosswalk/ontology#V2>"
        );
        assert_eq!(rows[0].get("p").unwrap().to_string(), "\"A1 → B1 → C1\"");
        let revision = graph.revision();
        assert!(!refresh(&graph).unwrap().changed);
        assert_eq!(
            graph.revision(),
            revision,
            "unchanged derivation does not bump the revision"
        );
    }

    /// Two overlapping refreshes: one computed before another writer changed the mappings must
    /// not store its (stale) result over the newer state.
    #[test]
    fn a_derivation_computed_before_another_write_is_not_stored() {
        let graph = Graph::in_memory().unwrap();
        let ttl = r#"
            @prefix cw: <https://w3id.org/crosswalk/ontology#> .
            <urn:a1> cw:instrument <urn:A> ; cw:ref "A1" .
            <urn:b1> cw:instrument <urn:B> ; cw:ref "B1" .
            <urn:c1> cw:instrument <urn:C> ; cw:ref "C1" .
            <urn:m1> a cw:Mapping ; cw:subject <urn:b1> ; cw:object <urn:a1> ; cw:relationship cw:equal ; cw:evidenceLevel cw:V1 .
            <urn:m2> a cw:Mapping ; cw:subject <urn:b1> ; cw:object <urn:c1> ; cw:relationship cw:subsetOf ; cw:evidenceLevel cw:V2 .
        "#;
        let quads: Vec<Quad> =
            oxigraph::io::RdfParser::from_format(oxigraph::io::RdfFormat::Turtle)
                .with_default_graph(NamedNode::new_unchecked("urn:g"))
                .for_slice(ttl.as_bytes())
                .collect::<Result<_, _>>()
                .unwrap();
        graph
            .write(|t| {
                t.extend(&quads);
                Ok::<_, GraphError>(())
            })
            .unwrap();
        let read_at = graph.revision();
        let (stale, write) = compute(&graph).unwrap();
        assert_eq!(stale.derived_mappings, 1);
        // Meanwhile another writer removes the second hop.
        let m2 = NamedNode::new_unchecked("urn:m2");
        graph
            .write(|t| {
                let hop: Vec<Quad> = t
                    .quads_for_pattern(Some(m2.as_ref().into()), None, None, None)
                    .collect::<Result<_, _>>()?;
                for quad in &hop {
                    t.remove(quad);
                }
                Ok::<_, GraphError>(())
            })
            .unwrap();
        assert!(matches!(
            graph.write_at(read_at, write),
            Err(GraphError::Moved { .. })
        ));
        let fresh = refresh(&graph).unwrap();
        assert_eq!(fresh.derived_mappings, 0);
        let derived = graph
            .select(
                "t",
                "PREFIX cw: <https://w3id.org/crosswalk/ontology#> SELECT ?m { ?m a cw:DerivedMapping }",
                [],
            )
            .unwrap();
        assert!(derived.is_empty(), "{derived:?}");
    }
}
