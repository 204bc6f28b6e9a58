//! Change recording: the stored provisions of a source, and the change events (plus review flags
//! on curated mappings) for a diff against them.

use super::CrawlError;
use super::record::{self, EventFacts, EventRecord, Quads};
use crate::diff::{Change, ObligationState, ProvisionState, Touched};
use crate::extract::{self, Extracted};
use crate::graph::Graph;
use crate::graph::names;
use crate::source::Source;
use oxigraph::model::{NamedNode, Quad, Term};
use oxigraph::sparql::Variable;
use std::collections::BTreeMap;

const PREVIOUS_QUERY: &str = include_str!("../../queries/crawl/previous-provisions.rq");
const MAPPINGS_QUERY: &str = include_str!("../../queries/crawl/mappings-touching.rq");
const REQUIREMENTS_QUERY: &str = include_str!("../../queries/crawl/previous-requirements.rq");
const CONTEXT_QUERY: &str = include_str!("../../queries/crawl/event-context.rq");
const QUOTABLE_QUERY: &str = include_str!("../../queries/crawl/quotable.rq");

/// Where and when the events happen.
pub struct Context<'a> {
    pub source: &'a Source,
    pub fetch: &'a NamedNode,
    pub at: chrono::DateTime<chrono::Utc>,
    /// Event IRIs are `{event_base}-{n}`.
    pub event_base: String,
    pub from_snapshot: Option<&'a str>,
    pub to_snapshot: &'a str,
}

pub struct Recorded {
    pub quads: Vec<Quad>,
    pub events: usize,
    pub material: usize,
}

/// Events for `changes`, or one "source baseline established" event when there is no previous
/// extraction (`None`), so a first fetch does not flood subscribers with one event per provision.
pub fn record(
    graph: &Graph,
    ctx: &Context<'_>,
    changes: Option<(&[Change], &Previous)>,
    (provisions, obligations): (usize, usize),
) -> Result<Recorded, CrawlError> {
    let event = |iri: NamedNode,
                 kind: &str,
                 material: bool,
                 detail: &str,
                 affects: Vec<NamedNode>,
                 from: Option<&str>,
                 facts: EventFacts| {
        record::event_quads(&EventRecord {
            iri,
            source: ctx.source,
            kind,
            material,
            detail,
            affects,
            at: ctx.at,
            from_snapshot: from,
            to_snapshot: ctx.to_snapshot,
            fetch: ctx.fetch,
            facts,
        })
    };
    let Some((changes, previous)) = changes else {
        let detail = format!(
            "source baseline established: {provisions} provisions, {obligations} candidate requirements"
        );
        return Ok(Recorded {
            quads: event(
                NamedNode::new_unchecked(format!("{}-baseline", ctx.event_base)),
                "source-baseline",
                false,
                &detail,
                vec![NamedNode::new_unchecked(&ctx.source.iri)],
                None,
                EventFacts::default(),
            ),
            events: 1,
            material: 0,
        });
    };
    let quotable = quotable(graph, ctx.source)?;
    let mut recorded = Recorded {
        quads: Vec::new(),
        events: changes.len(),
        material: 0,
    };
    for (n, change) in changes.iter().enumerate() {
        let mut facts = facts(graph, ctx.source, change, previous)?;
        facts.quotable = quotable;
        let curated = record::curated_candidate(ctx.source, &change.provision)
            .filter(|c| is_curated(graph, c));
        let iri = NamedNode::new_unchecked(format!("{}-{}", ctx.event_base, n + 1));
        recorded.quads.extend(event(
            iri.clone(),
            change.kind.as_str(),
            change.material,
            &change.detail,
            Vec::new(),
            ctx.from_snapshot,
            facts,
        ));
        if change.material {
            recorded.material += 1;
            if let Some(curated) = curated {
                recorded.quads.extend(review_flags(graph, &iri, &curated)?);
            }
        }
    }
    Ok(recorded)
}

/// The provisions, requirements, themes and roles one change concerns, and its words.
fn facts(
    graph: &Graph,
    source: &Source,
    change: &Change,
    previous: &Previous,
) -> Result<EventFacts, CrawlError> {
    let mut facts = EventFacts {
        provision: Some(change.provision.clone()),
        previous: change.previous.clone(),
        aspects: change.aspects.iter().map(|k| k.as_str()).collect(),
        words: change.words.clone(),
        old_text: change.old_text.clone(),
        new_text: change.new_text.clone(),
        ..EventFacts::default()
    };
    let ids: Vec<&str> = std::iter::once(change.provision.as_str())
        .chain(change.previous.as_deref())
        .collect();
    let old_id = change.previous.as_deref().unwrap_or(&change.provision);
    for id in &ids {
        facts.provisions.push(record::provision_iri(&source.id, id));
    }
    for id in &ids {
        if let Some(curated) =
            record::curated_candidate(source, id).filter(|c| is_curated(graph, c))
        {
            let (themes, roles) = curated_context(graph, &curated)?;
            facts.themes.extend(themes);
            facts.roles.extend(roles);
            facts.provisions.push(curated);
        }
    }
    let role = |slug: &str| {
        NamedNode::new_unchecked(format!("{}role/{}", names::ID, record::iri_safe(slug)))
    };
    for touched in &change.obligations {
        match *touched {
            Touched::New(i) => {
                facts.requirements.push(record::requirement_iri(
                    &source.id,
                    &change.provision,
                    i + 1,
                ));
                if let Some(o) = previous.current_obligation(&change.provision, i) {
                    facts.roles.extend(o.addressees.iter().map(|a| role(a)));
                }
            }
            Touched::Old(i) => {
                if let Some((iri, o)) = previous.old_obligation(old_id, i) {
                    facts.requirements.push(iri.clone());
                    facts.roles.extend(o.addressees.iter().map(|a| role(a)));
                }
            }
        }
    }
    Ok(facts)
}

/// Whether the source's text may be quoted in events (`queries/crawl/quotable.rq`).
pub fn quotable(graph: &Graph, source: &Source) -> Result<bool, CrawlError> {
    let rows = graph.select(
        "whether a source may be quoted",
        QUOTABLE_QUERY,
        [(
            Variable::new_unchecked("source"),
            Term::NamedNode(NamedNode::new_unchecked(&source.iri)),
        )],
    )?;
    Ok(rows.first().is_some_and(
        |row| matches!(row.get("quotable"), Some(Term::Literal(l)) if l.value() == "true"),
    ))
}

/// The themes and roles of a curated provision and its curated requirements.
fn curated_context(
    graph: &Graph,
    curated: &NamedNode,
) -> Result<(Vec<NamedNode>, Vec<NamedNode>), CrawlError> {
    let rows = graph.select(
        "themes and roles of a changed provision",
        CONTEXT_QUERY,
        [(
            Variable::new_unchecked("provision"),
            Term::NamedNode(curated.clone()),
        )],
    )?;
    let (mut themes, mut roles) = (Vec::new(), Vec::new());
    for row in &rows {
        if let Some(Term::NamedNode(t)) = row.get("theme") {
            themes.push(t.clone());
        }
        if let Some(Term::NamedNode(r)) = row.get("role") {
            roles.push(r.clone());
        }
    }
    Ok((themes, roles))
}

/// Whether `iri` is a provision somewhere in the graph (a curated one, for extracted content).
pub fn is_curated(graph: &Graph, iri: &NamedNode) -> bool {
    graph
        .contains_pattern(
            Some(iri.as_ref().into()),
            Some(oxigraph::model::vocab::rdf::TYPE),
            Some(names::cw("Provision").as_ref().into()),
            None,
        )
        .unwrap_or(false)
}

/// Curated mappings touching `curated` get `cw:needsReview` in the review graph; seed graphs
/// are reloaded from files, so the flag cannot live there.
fn review_flags(
    graph: &Graph,
    event: &NamedNode,
    curated: &NamedNode,
) -> Result<Vec<Quad>, CrawlError> {
    let rows = graph.select(
        "mappings touching a changed provision",
        MAPPINGS_QUERY,
        [(
            Variable::new_unchecked("provision"),
            Term::NamedNode(curated.clone()),
        )],
    )?;
    let mut q = Quads::new(names::REVIEW_GRAPH);
    for row in &rows {
        if let Some(Term::NamedNode(mapping)) = row.get("mapping") {
            q.add(mapping, names::cw("reviewStatus"), names::cw("needsReview"));
            q.add(event, names::cw("flagsForReview"), mapping.clone());
        }
    }
    Ok(q.quads)
}

/// What the source graph held before this fetch, and what was just extracted, in the diff's
/// terms: provisions with their obligations, and the stored requirements' IRIs.
#[derive(Debug, Default)]
pub struct Previous {
    pub provisions: Vec<ProvisionState>,
    /// Per provision identifier: its stored requirements in order, with their IRIs.
    requirements: BTreeMap<String, Vec<(NamedNode, ObligationState)>>,
    /// Per provision identifier: the just-extracted obligations.
    current: BTreeMap<String, Vec<ObligationState>>,
}

impl Previous {
    fn old_obligation(&self, provision: &str, i: usize) -> Option<&(NamedNode, ObligationState)> {
        self.requirements.get(provision)?.get(i)
    }

    fn current_obligation(&self, provision: &str, i: usize) -> Option<&ObligationState> {
        self.current.get(provision)?.get(i)
    }

    /// Remembers the new extraction's obligations (for the roles of events about them).
    pub fn with_current(mut self, current: &[ProvisionState]) -> Self {
        self.current = current
            .iter()
            .map(|p| (p.id.clone(), p.obligations.clone()))
            .collect();
        self
    }
}

/// The provisions now in the source graph, by identifier, with their obligations.
pub fn previous(graph: &Graph, source: &str) -> Result<Previous, CrawlError> {
    let g = [(
        Variable::new_unchecked("g"),
        Term::NamedNode(names::source_graph(source)),
    )];
    let rows = graph.select("previous provisions", PREVIOUS_QUERY, g.clone())?;
    let mut by_id: BTreeMap<String, ProvisionState> = BTreeMap::new();
    for row in &rows {
        let Some(Term::Literal(id)) = row.get("id") else {
            continue;
        };
        let entry = by_id
            .entry(id.value().to_owned())
            .or_insert_with(|| ProvisionState {
                id: id.value().to_owned(),
                ..ProvisionState::default()
            });
        if let Some(Term::Literal(text)) = row.get("text") {
            entry.text = text.value().to_owned();
        }
        if let Some(Term::NamedNode(s)) = row.get("strength")
            && let Some(strength) = deontic_from_iri(s.as_str())
        {
            entry.strengths.insert(strength);
        }
    }
    // Requirements by IRI first (one row per addressee), then ordered as they were numbered.
    let mut requirements: BTreeMap<String, (String, NamedNode, ObligationState)> = BTreeMap::new();
    for row in graph.select("previous requirements", REQUIREMENTS_QUERY, g)? {
        let (Some(Term::Literal(id)), Some(Term::NamedNode(iri))) =
            (row.get("id"), row.get("requirement"))
        else {
            continue;
        };
        let strength = match row.get("strength") {
            Some(Term::NamedNode(s)) => deontic_from_iri(s.as_str()),
            _ => None,
        };
        let entry = requirements
            .entry(iri.as_str().to_owned())
            .or_insert_with(|| {
                (
                    id.value().to_owned(),
                    iri.clone(),
                    ObligationState {
                        sentence: String::new(),
                        strength: strength.unwrap_or(extract::Deontic::May),
                        addressees: Default::default(),
                    },
                )
            });
        if let Some(Term::Literal(text)) = row.get("text") {
            entry.2.sentence = text.value().to_owned();
        }
        if let Some(Term::NamedNode(role)) = row.get("addressee")
            && let Some(slug) = role.as_str().rsplit('/').next()
        {
            entry.2.addressees.insert(slug.to_owned());
        }
    }
    let mut grouped: BTreeMap<String, Vec<(NamedNode, ObligationState)>> = BTreeMap::new();
    let mut ordered: Vec<_> = requirements.into_values().collect();
    ordered.sort_by_key(|(id, iri, _)| (id.clone(), requirement_number(iri.as_str())));
    for (id, iri, obligation) in ordered {
        grouped.entry(id).or_default().push((iri, obligation));
    }
    for (id, list) in &grouped {
        if let Some(p) = by_id.get_mut(id) {
            p.obligations = list.iter().map(|(_, o)| o.clone()).collect();
        }
    }
    Ok(Previous {
        provisions: by_id.into_values().collect(),
        requirements: grouped,
        current: BTreeMap::new(),
    })
}

/// `n` of a `…/req-{n}` IRI.
fn requirement_number(iri: &str) -> usize {
    iri.rsplit("/req-")
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(usize::MAX)
}

/// The just-extracted provisions in the diff's terms.
pub fn current(extracted: &Extracted) -> Vec<ProvisionState> {
    extracted
        .provisions
        .iter()
        .map(|p| {
            let obligations: Vec<ObligationState> = extracted
                .obligations
                .iter()
                .filter(|o| o.provision == p.id)
                .map(|o| ObligationState {
                    sentence: o.sentence.clone(),
                    strength: o.strength,
                    addressees: o.addressees.iter().cloned().collect(),
                })
                .collect();
            ProvisionState {
                id: p.id.clone(),
                text: p.text.clone(),
                strengths: obligations.iter().map(|o| o.strength).collect(),
                obligations,
            }
        })
        .collect()
}

fn deontic_from_iri(iri: &str) -> Option<extract::Deontic> {
    use extract::Deontic::*;
    match names::cw_local(iri)? {
        "must" => Some(Must),
        "mustNot" => Some(MustNot),
        "should" => Some(Should),
        "may" => Some(May),
        _ => None,
    }
}
