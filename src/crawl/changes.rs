//! Change recording: the stored provisions of a source, and the change events (plus review flags
//! on curated mappings) for a diff against them.

use super::CrawlError;
use super::record::{self, EventRecord, Quads};
use crate::diff::{Change, ProvisionState};
use crate::extract::{self, Extracted};
use crate::graph::Graph;
use crate::graph::names;
use crate::source::Source;
use oxigraph::model::{NamedNode, Quad, Term};
use oxigraph::sparql::Variable;
use std::collections::BTreeMap;

const PREVIOUS_QUERY: &str = include_str!("../../queries/crawl/previous-provisions.rq");
const MAPPINGS_QUERY: &str = include_str!("../../queries/crawl/mappings-touching.rq");

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
    changes: Option<&[Change]>,
    (provisions, obligations): (usize, usize),
) -> Result<Recorded, CrawlError> {
    let event = |iri: NamedNode,
                 kind: &str,
                 material: bool,
                 detail: &str,
                 affects: Vec<NamedNode>,
                 from: Option<&str>| {
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
        })
    };
    let Some(changes) = changes else {
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
            ),
            events: 1,
            material: 0,
        });
    };
    let mut recorded = Recorded {
        quads: Vec::new(),
        events: changes.len(),
        material: 0,
    };
    for (n, change) in changes.iter().enumerate() {
        let mut affects = vec![record::provision_iri(&ctx.source.id, &change.provision)];
        let curated = record::curated_candidate(ctx.source, &change.provision)
            .filter(|c| is_curated(graph, c));
        if let Some(curated) = &curated {
            affects.push(curated.clone());
        }
        let iri = NamedNode::new_unchecked(format!("{}-{}", ctx.event_base, n + 1));
        recorded.quads.extend(event(
            iri.clone(),
            change.kind.as_str(),
            change.material,
            &change.detail,
            affects,
            ctx.from_snapshot,
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

/// The provisions now in the source graph, by identifier.
pub fn previous(graph: &Graph, source: &str) -> Result<Vec<ProvisionState>, CrawlError> {
    let rows = graph.select(
        "previous provisions",
        PREVIOUS_QUERY,
        [(
            Variable::new_unchecked("g"),
            Term::NamedNode(names::source_graph(source)),
        )],
    )?;
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
    Ok(by_id.into_values().collect())
}

/// The just-extracted provisions in the diff's terms.
pub fn current(extracted: &Extracted) -> Vec<ProvisionState> {
    extracted
        .provisions
        .iter()
        .map(|p| ProvisionState {
            id: p.id.clone(),
            text: p.text.clone(),
            strengths: extracted
                .obligations
                .iter()
                .filter(|o| o.provision == p.id)
                .map(|o| o.strength)
                .collect(),
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
