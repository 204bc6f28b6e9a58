//! RDF for what a crawl produced: the fetch activity and snapshot (PROV), the source's extracted
//! provisions and candidate requirements, and change events.

use super::Outcome;
use crate::extract::{Deontic, Extracted};
use crate::graph::names::{self, ID};
use crate::source::Source;
use oxigraph::model::vocab::{rdf, rdfs, xsd};
use oxigraph::model::{GraphName, Literal, NamedNode, Quad, Term};

use names::{dcterms, prov};

/// Quads for one named graph.
pub struct Quads {
    graph: GraphName,
    pub quads: Vec<Quad>,
}

impl Quads {
    pub fn new(graph: impl Into<GraphName>) -> Self {
        Self {
            graph: graph.into(),
            quads: Vec::new(),
        }
    }

    pub fn add(&mut self, s: &NamedNode, p: NamedNode, o: impl Into<Term>) {
        self.quads
            .push(Quad::new(s.clone(), p, o.into(), self.graph.clone()));
    }

    pub fn text(&mut self, s: &NamedNode, p: NamedNode, value: &str) {
        self.add(s, p, Literal::new_simple_literal(value));
    }

    pub fn typed(
        &mut self,
        s: &NamedNode,
        p: NamedNode,
        value: impl Into<String>,
        datatype: oxigraph::model::NamedNodeRef<'_>,
    ) {
        self.add(s, p, Literal::new_typed_literal(value, datatype));
    }
}

pub fn now_literal(time: chrono::DateTime<chrono::Utc>) -> String {
    time.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

pub fn snapshot_iri(sha: &str) -> NamedNode {
    NamedNode::new_unchecked(format!("{ID}snapshot/{sha}"))
}

/// Stable: the same provision identifier gives the same IRI on every crawl.
pub fn provision_iri(source: &str, provision: &str) -> NamedNode {
    NamedNode::new_unchecked(format!("{ID}extracted/{source}/{}", iri_safe(provision)))
}

pub fn requirement_iri(source: &str, provision: &str, n: usize) -> NamedNode {
    NamedNode::new_unchecked(format!(
        "{ID}extracted/{source}/{}/req-{n}",
        iri_safe(provision)
    ))
}

/// The curated provision an extracted one corresponds to, by the shared identifier convention
/// (`…/provision/{instrument}/{id}`).
pub fn curated_candidate(source: &Source, provision: &str) -> Option<NamedNode> {
    let instrument = source.instrument.as_deref()?;
    let slug = instrument.strip_prefix(&format!("{ID}instrument/"))?;
    Some(NamedNode::new_unchecked(format!(
        "{ID}provision/{slug}/{}",
        iri_safe(provision)
    )))
}

pub fn iri_safe(id: &str) -> String {
    id.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_') {
                c
            } else {
                '-'
            }
        })
        .collect()
}

pub fn deontic_iri(strength: Deontic) -> NamedNode {
    names::cw(match strength {
        Deontic::Must => "must",
        Deontic::MustNot => "mustNot",
        Deontic::Should => "should",
        Deontic::May => "may",
    })
}

/// What one fetch did, for its PROV record.
pub struct FetchRecord<'a> {
    pub iri: NamedNode,
    pub source: &'a Source,
    pub started: chrono::DateTime<chrono::Utc>,
    pub ended: chrono::DateTime<chrono::Utc>,
    pub http_status: Option<u16>,
    pub etag: Option<&'a str>,
    pub last_modified: Option<&'a str>,
    pub final_url: Option<&'a str>,
    pub bytes: Option<usize>,
    pub outcome: Outcome,
    pub reason: Option<&'a str>,
    /// (raw SHA-256, text SHA-256) of the snapshot this fetch generated or confirmed.
    pub snapshot: Option<(&'a str, Option<&'a str>)>,
}

pub fn fetch_quads(r: &FetchRecord<'_>) -> Vec<Quad> {
    let mut q = Quads::new(names::FETCHES_GRAPH);
    let s = &r.iri;
    let source = NamedNode::new_unchecked(&r.source.iri);
    q.add(s, rdf::TYPE.into_owned(), names::cw("Fetch"));
    q.add(s, rdf::TYPE.into_owned(), prov("Activity"));
    q.add(s, prov("used"), source.clone());
    q.add(s, names::cw("source"), source.clone());
    q.typed(
        s,
        prov("startedAtTime"),
        now_literal(r.started),
        xsd::DATE_TIME,
    );
    q.typed(s, prov("endedAtTime"), now_literal(r.ended), xsd::DATE_TIME);
    let ms = (r.ended - r.started).num_milliseconds().max(0);
    q.typed(s, names::cw("durationMs"), ms.to_string(), xsd::INTEGER);
    if let Some(status) = r.http_status {
        q.typed(s, names::cw("httpStatus"), status.to_string(), xsd::INTEGER);
    }
    if let Some(etag) = r.etag {
        q.text(s, names::cw("etag"), etag);
    }
    if let Some(lm) = r.last_modified {
        q.text(s, names::cw("lastModified"), lm);
    }
    if let Some(url) = r.final_url.and_then(|u| NamedNode::new(u).ok()) {
        q.add(s, names::cw("finalUrl"), url);
    }
    if let Some(bytes) = r.bytes {
        q.typed(s, names::cw("bytes"), bytes.to_string(), xsd::INTEGER);
    }
    q.text(
        s,
        names::cw("extractorVersion"),
        crate::extract::EXTRACTOR_VERSION,
    );
    q.text(s, names::cw("outcome"), r.outcome.as_str());
    if let Some(reason) = r.reason {
        q.text(s, names::cw("failureReason"), reason);
    }
    if let Some((raw, text)) = r.snapshot {
        let snap = snapshot_iri(raw);
        q.add(s, prov("generated"), snap.clone());
        q.add(&snap, rdf::TYPE.into_owned(), names::cw("Snapshot"));
        q.add(&snap, rdf::TYPE.into_owned(), prov("Entity"));
        q.text(&snap, names::cw("sha256"), raw);
        if let Some(text) = text {
            q.text(&snap, names::cw("textSha256"), text);
        }
        q.add(&snap, names::cw("source"), source);
        q.add(&snap, prov("wasGeneratedBy"), s.clone());
    }
    q.quads
}

/// The source graph's new content: provisions and candidate requirements, all marked extracted.
pub fn content_quads(
    source: &Source,
    extracted: &Extracted,
    snapshot: &NamedNode,
    curated: &dyn Fn(&NamedNode) -> bool,
) -> Vec<Quad> {
    let mut q = Quads::new(names::source_graph(&source.id));
    let instrument = source
        .instrument
        .as_deref()
        .and_then(|i| NamedNode::new(i).ok());
    let jurisdiction = source
        .jurisdiction
        .as_deref()
        .and_then(|j| NamedNode::new(j).ok());
    let common = |q: &mut Quads, s: &NamedNode| {
        q.add(s, names::cw("origin"), names::cw("Extracted"));
        q.add(s, prov("wasDerivedFrom"), snapshot.clone());
        q.add(
            s,
            names::cw("source"),
            NamedNode::new_unchecked(&source.iri),
        );
        if let Some(i) = &instrument {
            q.add(s, names::cw("instrument"), i.clone());
        }
        if let Some(j) = &jurisdiction {
            q.add(s, names::cw("jurisdiction"), j.clone());
        }
    };
    for p in &extracted.provisions {
        let s = provision_iri(&source.id, &p.id);
        q.add(&s, rdf::TYPE.into_owned(), names::cw("Provision"));
        q.text(&s, dcterms("identifier"), &p.id);
        q.text(&s, names::cw("ref"), &p.label);
        q.text(&s, names::cw("provisionType"), &p.kind);
        if let Some(title) = &p.title {
            q.text(&s, dcterms("title"), title);
        }
        q.text(&s, names::cw("text"), &p.text);
        q.typed(&s, names::cw("order"), p.order.to_string(), xsd::INTEGER);
        if let Some(parent) = &p.parent {
            q.add(
                &s,
                names::eli("is_part_of"),
                provision_iri(&source.id, parent),
            );
        }
        if let Some(curated_iri) = curated_candidate(source, &p.id).filter(|c| curated(c)) {
            q.add(&s, names::cw("correspondsTo"), curated_iri);
        }
        common(&mut q, &s);
    }
    let mut per_provision: std::collections::HashMap<&str, usize> = Default::default();
    for o in &extracted.obligations {
        let n = per_provision.entry(o.provision.as_str()).or_default();
        *n += 1;
        let s = requirement_iri(&source.id, &o.provision, *n);
        q.add(&s, rdf::TYPE.into_owned(), names::cw("Requirement"));
        q.add(
            &s,
            names::cw("provision"),
            provision_iri(&source.id, &o.provision),
        );
        q.text(&s, names::cw("text"), &o.sentence);
        q.add(&s, names::cw("deonticStrength"), deontic_iri(o.strength));
        q.text(
            &s,
            rdfs::COMMENT.into_owned(),
            &format!("deontic marker: {}", o.marker),
        );
        for role in &o.addressees {
            q.add(
                &s,
                names::cw("addressee"),
                NamedNode::new_unchecked(format!("{ID}role/{}", iri_safe(role))),
            );
        }
        q.typed(
            &s,
            names::cw("confidence"),
            format!("{:.2}", o.confidence.clamp(0.0, 1.0)),
            xsd::DECIMAL,
        );
        q.add(&s, names::cw("reviewStatus"), names::cw("draft"));
        common(&mut q, &s);
    }
    q.quads
}

/// One change event in the changes graph.
pub struct EventRecord<'a> {
    pub iri: NamedNode,
    pub source: &'a Source,
    pub kind: &'a str,
    pub material: bool,
    pub detail: &'a str,
    pub affects: Vec<NamedNode>,
    pub at: chrono::DateTime<chrono::Utc>,
    pub from_snapshot: Option<&'a str>,
    pub to_snapshot: &'a str,
    pub fetch: &'a NamedNode,
    pub facts: EventFacts,
}

/// What an event says beyond its kind: the provisions and candidate requirements it concerns,
/// the themes and roles subscribers filter on, and the changed words.
#[derive(Debug, Default)]
pub struct EventFacts {
    /// The provision's identifier (`art-2`), and the one it had before a renumbering.
    pub provision: Option<String>,
    pub previous: Option<String>,
    /// Further kinds the change also is.
    pub aspects: Vec<&'static str>,
    /// Extracted and curated provisions (`cw:affectsProvision`), candidate requirements
    /// (`cw:affectsRequirement`); both are `cw:affects` too.
    pub provisions: Vec<NamedNode>,
    pub requirements: Vec<NamedNode>,
    pub themes: Vec<NamedNode>,
    pub roles: Vec<NamedNode>,
    pub words: Option<crate::diff::WordDiff>,
    pub old_text: Option<String>,
    pub new_text: Option<String>,
    /// Whether the source's text may be quoted: otherwise no text and no changed word is kept,
    /// only counts.
    pub quotable: bool,
}

/// The public identifier of an event: `{source}_{last IRI segment}` (source slugs have no `_`).
pub fn event_id(iri: &str) -> String {
    let rest = iri
        .strip_prefix(&format!("{ID}change/"))
        .unwrap_or(iri)
        .to_owned();
    rest.replacen('/', "_", 1)
}

pub fn event_quads(e: &EventRecord<'_>) -> Vec<Quad> {
    let mut q = Quads::new(names::CHANGES_GRAPH);
    let s = &e.iri;
    q.add(s, rdf::TYPE.into_owned(), names::cw("ChangeEvent"));
    q.add(s, rdf::TYPE.into_owned(), prov("Entity"));
    q.text(s, names::cw("eventId"), &event_id(s.as_str()));
    q.text(s, names::cw("changeKind"), e.kind);
    q.typed(
        s,
        names::cw("material"),
        e.material.to_string(),
        xsd::BOOLEAN,
    );
    q.add(
        s,
        names::cw("source"),
        NamedNode::new_unchecked(&e.source.iri),
    );
    if let Some(j) = e
        .source
        .jurisdiction
        .as_deref()
        .and_then(|j| NamedNode::new(j).ok())
    {
        q.add(s, names::cw("jurisdiction"), j);
    }
    if let Some(i) = e
        .source
        .instrument
        .as_deref()
        .and_then(|i| NamedNode::new(i).ok())
    {
        q.add(s, names::cw("instrument"), i);
    }
    let mut affects: Vec<&NamedNode> = e.affects.iter().collect();
    affects.extend(&e.facts.provisions);
    affects.extend(&e.facts.requirements);
    let mut seen = std::collections::HashSet::new();
    for a in affects {
        if seen.insert(a.as_str()) {
            q.add(s, names::cw("affects"), a.clone());
        }
    }
    add_facts(&mut q, s, &e.facts);
    q.typed(
        s,
        prov("generatedAtTime"),
        now_literal(e.at),
        xsd::DATE_TIME,
    );
    if let Some(from) = e.from_snapshot {
        q.add(s, prov("wasDerivedFrom"), snapshot_iri(from));
    }
    q.add(s, prov("wasDerivedFrom"), snapshot_iri(e.to_snapshot));
    q.add(s, prov("wasGeneratedBy"), e.fetch.clone());
    q.text(s, rdfs::COMMENT.into_owned(), e.detail);
    q.quads
}

fn add_facts(q: &mut Quads, s: &NamedNode, f: &EventFacts) {
    if let Some(id) = &f.provision {
        q.text(s, names::cw("provisionId"), id);
    }
    if let Some(id) = &f.previous {
        q.text(s, names::cw("previousProvisionId"), id);
    }
    for aspect in &f.aspects {
        q.text(s, names::cw("changeAspect"), aspect);
    }
    for p in &f.provisions {
        q.add(s, names::cw("affectsProvision"), p.clone());
    }
    for r in &f.requirements {
        q.add(s, names::cw("affectsRequirement"), r.clone());
    }
    let mut seen = std::collections::HashSet::new();
    for t in &f.themes {
        if seen.insert(t.as_str()) {
            q.add(s, names::cw("theme"), t.clone());
        }
    }
    for r in &f.roles {
        if seen.insert(r.as_str()) {
            q.add(s, names::cw("role"), r.clone());
        }
    }
    if let Some(words) = &f.words {
        q.typed(
            s,
            names::cw("addedWordCount"),
            words.added_words.to_string(),
            xsd::INTEGER,
        );
        q.typed(
            s,
            names::cw("removedWordCount"),
            words.removed_words.to_string(),
            xsd::INTEGER,
        );
        if f.quotable {
            q.text(s, names::cw("wordSummary"), &words.summary());
            for added in words.added() {
                q.text(s, names::cw("addedWords"), added);
            }
            for removed in words.removed() {
                q.text(s, names::cw("removedWords"), removed);
            }
        } else {
            q.text(s, names::cw("wordSummary"), &words.counts());
        }
    }
    if f.quotable {
        if let Some(text) = &f.old_text {
            q.text(s, names::cw("oldText"), text);
        }
        if let Some(text) = &f.new_text {
            q.text(s, names::cw("newText"), text);
        }
    }
}

/// Inserts `quads` in a write, giving every change event among them the next sequence number
/// (in the order they appear): the one place events are numbered, under the writer lock.
pub fn insert_numbered(
    t: &mut oxigraph::store::Transaction<'_>,
    quads: &[Quad],
) -> Result<(), oxigraph::store::StorageError> {
    let event = names::cw("ChangeEvent");
    let sequence = names::cw("sequence");
    for quad in quads {
        t.insert(quad);
        let is_event = quad.predicate.as_ref() == rdf::TYPE
            && quad.object == Term::NamedNode(event.clone())
            && quad.graph_name == GraphName::NamedNode(names::CHANGES_GRAPH.into_owned());
        if is_event {
            let n = crate::graph::next_sequence(t)?;
            t.insert(&Quad::new(
                quad.subject.clone(),
                sequence.clone(),
                Literal::new_typed_literal(n.to_string(), xsd::INTEGER),
                quad.graph_name.clone(),
            ));
        }
    }
    Ok(())
}

const UNNUMBERED_QUERY: &str = include_str!("../../queries/crawl/unnumbered-events.rq");

/// Gives the change events recorded before events were numbered their sequence numbers (in the
/// order they were detected), public ids, jurisdiction and instrument, in one write; writes
/// nothing when every event has a number. Returns how many were numbered. Blocking.
pub fn number_unnumbered(graph: &crate::graph::Graph) -> Result<usize, crate::graph::GraphError> {
    if graph
        .select("unnumbered change events", UNNUMBERED_QUERY, [])?
        .is_empty()
    {
        return Ok(0);
    }
    let mut numbered = 0;
    graph.write(|t| {
        // Read again under the writer lock: nobody numbers events in between.
        let rows = graph.select("unnumbered change events", UNNUMBERED_QUERY, [])?;
        let mut q = Quads::new(names::CHANGES_GRAPH);
        let mut seen = std::collections::HashSet::new();
        for row in &rows {
            let Some(Term::NamedNode(event)) = row.get("event") else {
                continue;
            };
            if !seen.insert(event.as_str().to_owned()) {
                // Another row of the same event (a second jurisdiction or instrument).
                for (var, p) in [
                    ("jurisdiction", "jurisdiction"),
                    ("instrument", "instrument"),
                ] {
                    if let Some(Term::NamedNode(o)) = row.get(var) {
                        q.add(event, names::cw(p), o.clone());
                    }
                }
                continue;
            }
            let n = crate::graph::next_sequence(t)?;
            q.typed(event, names::cw("sequence"), n.to_string(), xsd::INTEGER);
            q.text(event, names::cw("eventId"), &event_id(event.as_str()));
            for (var, p) in [
                ("jurisdiction", "jurisdiction"),
                ("instrument", "instrument"),
            ] {
                if let Some(Term::NamedNode(o)) = row.get(var) {
                    q.add(event, names::cw(p), o.clone());
                }
            }
            numbered += 1;
        }
        for quad in &q.quads {
            t.insert(quad);
        }
        Ok::<_, crate::graph::GraphError>(())
    })?;
    Ok(numbered)
}
