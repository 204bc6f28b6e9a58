//! Reading change events from the changes graph: one prefix scan of an event's quads, and
//! the references of what it affects.

use super::{Affected, Change, ChangesError, StructuredDiff, Tag};
use crate::graph::Graph;
use crate::graph::names::{self, CHANGES_GRAPH, ID};
use oxigraph::model::vocab::rdfs;
use oxigraph::model::{Literal, NamedNode, NamedOrBlankNodeRef, Quad, Term};

fn quads(graph: &Graph, iri: &NamedNode) -> Result<Vec<Quad>, ChangesError> {
    graph
        .quads_for_pattern(
            Some(NamedOrBlankNodeRef::NamedNode(iri.as_ref())),
            None,
            None,
            Some(CHANGES_GRAPH.into()),
        )
        .map(|q| q.map_err(|e| ChangesError::Graph(e.into())))
        .collect()
}

fn local(quad: &Quad) -> Option<&str> {
    names::cw_local(quad.predicate.as_str())
}

fn literal(term: &Term) -> Option<&str> {
    match term {
        Term::Literal(l) => Some(l.value()),
        _ => None,
    }
}

fn iri(term: &Term) -> Option<&str> {
    match term {
        Term::NamedNode(n) => Some(n.as_str()),
        _ => None,
    }
}

/// The event at `iri` without the references of what it affects; `None` when it is no
/// numbered change event.
pub(super) fn event(graph: &Graph, iri_: &NamedNode) -> Result<Option<Change>, ChangesError> {
    let quads = quads(graph, iri_)?;
    let mut sequence = None;
    let mut change = Change {
        id: String::new(),
        iri: iri_.as_str().to_owned(),
        sequence: 0,
        kind: String::new(),
        kinds: Vec::new(),
        material: false,
        at: chrono::DateTime::<chrono::Utc>::default(),
        jurisdictions: Vec::new(),
        instruments: Vec::new(),
        source: String::new(),
        source_id: String::new(),
        themes: Vec::new(),
        roles: Vec::new(),
        provision_id: None,
        previous_provision_id: None,
        affects: Vec::new(),
        provisions: Vec::new(),
        obligations: Vec::new(),
        summary: String::new(),
        word_summary: None,
        link: String::new(),
    };
    let mut aspects = Vec::new();
    let mut affects = Vec::new();
    for quad in &quads {
        let o = &quad.object;
        if quad.predicate.as_ref() == rdfs::COMMENT {
            change.summary = literal(o).unwrap_or_default().to_owned();
            continue;
        }
        if quad.predicate.as_str() == "http://www.w3.org/ns/prov#generatedAtTime" {
            if let Some(t) = literal(o).and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok()) {
                change.at = t.with_timezone(&chrono::Utc);
            }
            continue;
        }
        match local(quad) {
            Some("sequence") => sequence = literal(o).and_then(|n| n.parse().ok()),
            Some("eventId") => change.id = literal(o).unwrap_or_default().to_owned(),
            Some("changeKind") => change.kind = literal(o).unwrap_or_default().to_owned(),
            Some("changeAspect") => aspects.extend(literal(o).map(str::to_owned)),
            Some("material") => change.material = literal(o) == Some("true"),
            Some("jurisdiction") => change.jurisdictions.extend(iri(o).map(Tag::new)),
            Some("instrument") => change.instruments.extend(iri(o).map(Tag::new)),
            Some("source") => {
                change.source = iri(o).unwrap_or_default().to_owned();
                change.source_id = change
                    .source
                    .strip_prefix(&format!("{ID}source/"))
                    .unwrap_or(&change.source)
                    .to_owned();
            }
            Some("theme") => change.themes.extend(iri(o).map(Tag::new)),
            Some("role") => change.roles.extend(iri(o).map(Tag::new)),
            Some("provisionId") => change.provision_id = literal(o).map(str::to_owned),
            Some("previousProvisionId") => {
                change.previous_provision_id = literal(o).map(str::to_owned);
            }
            Some("affects") => affects.extend(iri(o).map(str::to_owned)),
            Some("affectsProvision") => change.provisions.extend(iri(o).map(str::to_owned)),
            Some("affectsRequirement") => change.obligations.extend(iri(o).map(str::to_owned)),
            Some("wordSummary") => change.word_summary = literal(o).map(str::to_owned),
            _ => {}
        }
    }
    let Some(sequence) = sequence else {
        return Ok(None);
    };
    change.sequence = sequence;
    if change.id.is_empty() {
        change.id = crate::crawl::event_id(iri_.as_str());
    }
    change.link = format!("/api/changes/{}", change.id);
    change.kinds = std::iter::once(change.kind.clone())
        .chain(aspects)
        .collect();
    change.kinds.dedup();
    for list in [
        &mut change.jurisdictions,
        &mut change.instruments,
        &mut change.themes,
        &mut change.roles,
    ] {
        list.sort_by(|a, b| a.iri.cmp(&b.iri));
        list.dedup();
    }
    for list in [
        &mut change.provisions,
        &mut change.obligations,
        &mut affects,
    ] {
        list.sort();
        list.dedup();
    }
    change.affects = affects
        .into_iter()
        .map(|a| Affected {
            role: if change.provisions.contains(&a) {
                "provision"
            } else if change.obligations.contains(&a) {
                "requirement"
            } else {
                "other"
            },
            iri: a,
            reference: None,
            label: None,
        })
        .collect();
    Ok(Some(change))
}

/// Fills in the reference and label of everything the event affects that still exists.
pub(super) fn enrich(graph: &Graph, mut change: Change) -> Result<Change, ChangesError> {
    let reference = names::cw("ref");
    let identifier = names::dcterms("identifier");
    let title = names::dcterms("title");
    for a in &mut change.affects {
        let Ok(node) = NamedNode::new(&a.iri) else {
            continue;
        };
        let first = |p: &NamedNode| -> Result<Option<String>, ChangesError> {
            let mut values = graph.quads_for_pattern(
                Some(NamedOrBlankNodeRef::NamedNode(node.as_ref())),
                Some(p.as_ref()),
                None,
                None,
            );
            Ok(values
                .next()
                .transpose()
                .map_err(|e| ChangesError::Graph(e.into()))?
                .and_then(|q| literal(&q.object).map(str::to_owned)))
        };
        a.reference = match first(&reference)? {
            Some(r) => Some(r),
            None => first(&identifier)?,
        };
        a.label = first(&title)?;
    }
    Ok(change)
}

/// The IRI of the event with public id `id` (or `id` itself when it is an event's IRI).
pub(super) fn iri_of(graph: &Graph, id: &str) -> Result<Option<NamedNode>, ChangesError> {
    if id.len() > 300 {
        return Ok(None);
    }
    let by_id = graph
        .quads_for_pattern(
            None,
            Some(names::cw("eventId").as_ref()),
            Some(Literal::new_simple_literal(id).as_ref().into()),
            Some(CHANGES_GRAPH.into()),
        )
        .next()
        .transpose()
        .map_err(|e| ChangesError::Graph(e.into()))?;
    if let Some(quad) = by_id
        && let oxigraph::model::NamedOrBlankNode::NamedNode(s) = quad.subject
    {
        return Ok(Some(s));
    }
    Ok(NamedNode::new(id)
        .ok()
        .filter(|n| n.as_str().starts_with(&format!("{ID}change/"))))
}

/// The text, words and provenance the event records.
pub(super) fn structured(graph: &Graph, iri_: &NamedNode) -> Result<StructuredDiff, ChangesError> {
    let mut diff = StructuredDiff::default();
    for quad in quads(graph, iri_)? {
        let o = &quad.object;
        match quad.predicate.as_str() {
            "http://www.w3.org/ns/prov#wasDerivedFrom" => {
                diff.snapshots.extend(iri(o).map(str::to_owned));
            }
            "http://www.w3.org/ns/prov#wasGeneratedBy" => diff.fetch = iri(o).map(str::to_owned),
            _ => match local(&quad) {
                Some("oldText") => diff.old_text = literal(o).map(str::to_owned),
                Some("newText") => diff.new_text = literal(o).map(str::to_owned),
                Some("addedWords") => diff.added_words.extend(literal(o).map(str::to_owned)),
                Some("removedWords") => diff.removed_words.extend(literal(o).map(str::to_owned)),
                Some("addedWordCount") => {
                    diff.added_word_count = literal(o).and_then(|n| n.parse().ok());
                }
                Some("removedWordCount") => {
                    diff.removed_word_count = literal(o).and_then(|n| n.parse().ok());
                }
                Some("flagsForReview") => {
                    diff.flags_for_review.extend(iri(o).map(str::to_owned));
                }
                _ => {}
            },
        }
    }
    diff.quoted = diff.old_text.is_some() || diff.new_text.is_some();
    diff.snapshots.sort();
    Ok(diff)
}

/// The events that can pass `filter`'s term conditions, from the predicate indexes (one lookup
/// per value), so a selective filter does not read every event. A condition more than `cap`
/// events meet is left out: too common to narrow the read, it would cost more to collect than
/// it saves ([`Filter::matches`](super::Filter::matches) still applies it). `None` when no
/// condition is left.
pub(super) fn candidates(
    graph: &Graph,
    filter: &super::Filter,
    cap: usize,
) -> Result<Option<std::collections::HashSet<NamedNode>>, ChangesError> {
    use std::collections::HashSet;
    let subjects =
        |predicate: &str, objects: Vec<Term>| -> Result<Option<HashSet<NamedNode>>, ChangesError> {
            let p = names::cw(predicate);
            let mut out = HashSet::new();
            for o in &objects {
                for quad in graph.quads_for_pattern(
                    None,
                    Some(p.as_ref()),
                    Some(o.as_ref()),
                    Some(CHANGES_GRAPH.into()),
                ) {
                    let quad = quad.map_err(|e| ChangesError::Graph(e.into()))?;
                    if let oxigraph::model::NamedOrBlankNode::NamedNode(s) = quad.subject {
                        out.insert(s);
                    }
                    if out.len() > cap {
                        return Ok(None);
                    }
                }
            }
            Ok(Some(out))
        };
    let iris = |values: &[String]| -> Vec<Term> {
        values
            .iter()
            .filter_map(|v| NamedNode::new(v).ok().map(Term::NamedNode))
            .collect()
    };
    let mut sets: Vec<Option<HashSet<NamedNode>>> = Vec::new();
    for (predicate, values) in [
        ("jurisdiction", &filter.jurisdiction),
        ("instrument", &filter.instrument),
        ("source", &filter.source),
        ("theme", &filter.theme),
        ("role", &filter.role),
    ] {
        if !values.is_empty() {
            sets.push(subjects(predicate, iris(values))?);
        }
    }
    if !filter.kind.is_empty() {
        let kinds: Vec<Term> = filter
            .kind
            .iter()
            .map(|k| Term::Literal(Literal::new_simple_literal(k)))
            .collect();
        let primary = subjects("changeKind", kinds.clone())?;
        let aspects = subjects("changeAspect", kinds)?;
        sets.push(match (primary, aspects) {
            (Some(mut set), Some(more)) => {
                set.extend(more);
                Some(set).filter(|s| s.len() <= cap)
            }
            _ => None,
        });
    }
    if let Some(material) = filter.material {
        sets.push(subjects(
            "material",
            vec![Term::Literal(Literal::from(material))],
        )?);
    }
    let mut sets = sets.into_iter().flatten();
    let Some(mut all) = sets.next() else {
        return Ok(None);
    };
    for set in sets {
        all.retain(|e| set.contains(e));
    }
    Ok(Some(all))
}
