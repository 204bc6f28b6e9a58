//! The page of a provision, control or requirement: its text (or our paraphrase where the
//! source may not be quoted, with the official link), instrument, jurisdiction, legal status,
//! roles, themes, application dates as a timeline with their sources, its crosswalk (mapped
//! elements grouped by framework with relationship, strength, rationale, provenance, evidence
//! level, derived paths and review flags) and its change history.

use super::Web;
use super::catalog::Catalog;
use super::error::WebError;
use super::layout::{Badge, Page, local};
use super::resource::{Description, format_links};
use crate::graph::names;
use crate::mapping::MappingRecord;
use askama::Template;
use oxigraph::model::{NamedNode, Term, Variable};
use oxigraph::sparql::QuerySolution;

const PARTS: &str = include_str!("../../queries/web/parts.rq");
const ELEMENT: &str = include_str!("../../queries/web/element.rq");
const DATES: &str = include_str!("../../queries/web/dates.rq");
const CHANGES: &str = include_str!("../../queries/web/changes-affecting.rq");

const DCTERMS: &str = "http://purl.org/dc/terms/";
const ELI: &str = "http://data.europa.eu/eli/ontology#";

fn cw(local: &str) -> String {
    format!("{}{local}", names::CW)
}

pub fn text(row: &QuerySolution, var: &str) -> Option<String> {
    match row.get(var)? {
        Term::NamedNode(n) => Some(n.as_str().to_owned()),
        Term::Literal(l) => Some(l.value().to_owned()).filter(|s| !s.trim().is_empty()),
        _ => None,
    }
}

fn bound(var: &str, iri: &str) -> Result<[(Variable, Term); 1], WebError> {
    let node = NamedNode::new(iri).map_err(|e| WebError::BadRequest(e.to_string()))?;
    Ok([(Variable::new_unchecked(var), node.into())])
}

/// A link to another element with its citation and title.
pub struct Link {
    pub href: String,
    pub label: String,
}

/// "Art. 50(2) Title", from `queries/web/element.rq`. Blocking.
pub fn element_link(web: &Web, page: &Page, iri: &str) -> Result<Link, WebError> {
    let rows = web
        .graph()
        .select("web: element", ELEMENT, bound("element", iri)?)?;
    let row = rows.first();
    let label = match (
        row.and_then(|r| text(r, "ref")),
        row.and_then(|r| text(r, "title")),
    ) {
        (Some(r), Some(t)) => format!("{r} {t}"),
        (Some(r), None) => r,
        (None, Some(t)) => t,
        (None, None) => local(iri).to_owned(),
    };
    Ok(Link {
        href: page.resource(iri),
        label,
    })
}

/// Where a mapping comes from: (key, label key). `published` names the crosswalk.
pub fn provenance(record: &MappingRecord) -> (&'static str, Option<String>) {
    if record.derived {
        return ("derived", None);
    }
    let team = format!("{}org/crosswalk-team", names::ID);
    if record.derived_from.contains(&team) {
        return ("team", None);
    }
    let instruments = format!("{}instrument/", names::ID);
    if let Some(published) = record
        .derived_from
        .iter()
        .find(|d| d.starts_with(&instruments))
    {
        return ("published", Some(published.clone()));
    }
    ("imported", None)
}

pub struct MappingRow {
    pub href: String,
    pub reference: String,
    pub title: String,
    pub relationship: &'static str,
    pub rel_class: &'static str,
    pub strength: String,
    pub confidence: String,
    pub rationale: String,
    pub method: String,
    pub provenance: &'static str,
    pub prov_class: &'static str,
    pub published_by: Option<Link>,
    pub evidence: String,
    pub review: Option<&'static str>,
    pub needs_review: bool,
    pub comment: String,
    pub path: Option<String>,
    pub via: Option<Link>,
}

pub struct Group {
    pub name: String,
    pub href: String,
    pub jurisdiction: Option<Badge>,
    pub status: Option<Badge>,
    pub rows: Vec<MappingRow>,
}

pub fn mapping_row(
    page: &Page,
    catalog: &Catalog,
    record: &MappingRecord,
    via: Option<Link>,
) -> MappingRow {
    let (provenance, published) = provenance(record);
    MappingRow {
        href: page.resource(&record.object),
        reference: record.object_ref.clone().unwrap_or_default(),
        title: record
            .object_title
            .clone()
            .unwrap_or_else(|| local(&record.object).to_owned()),
        relationship: page.t(&format!("rel.{}", record.relationship.local())),
        rel_class: rel_class(record.relationship.local()),
        strength: record.strength.map(|s| s.to_string()).unwrap_or_default(),
        confidence: record
            .confidence
            .map(|c| format!("{c:.2}"))
            .unwrap_or_default(),
        rationale: record
            .rationale
            .map(|r| page.t(&format!("rationale.{}", r.token())).to_owned())
            .unwrap_or_default(),
        method: record
            .method
            .map(|m| m.local().to_owned())
            .unwrap_or_default(),
        provenance: page.t(&format!("prov.{provenance}")),
        prov_class: match provenance {
            "published" => "badge published",
            "team" => "badge team",
            "derived" => "badge derived",
            _ => "badge imported",
        },
        published_by: published.map(|iri| Link {
            href: page.resource(&iri),
            label: catalog
                .instrument(&iri)
                .map(|i| i.name.clone())
                .unwrap_or_else(|| local(&iri).to_owned()),
        }),
        evidence: record.evidence.clone().unwrap_or_default(),
        review: record
            .review
            .as_deref()
            .map(|r| page.t(&format!("review.{r}"))),
        needs_review: record.review.as_deref() == Some("needsReview"),
        comment: record.comment.clone().unwrap_or_default(),
        path: record.path.clone(),
        via,
    }
}

pub fn rel_class(local: &str) -> &'static str {
    match local {
        "equal" => "rel equal",
        "subsetOf" | "supersetOf" => "rel contain",
        "intersectsWith" => "rel intersect",
        "notRelated" | "contrary" => "rel none",
        _ => "rel related",
    }
}

/// Groups `(other instrument, record)` pairs by framework, in framework-name order.
pub fn group(
    page: &Page,
    catalog: &Catalog,
    records: Vec<(String, MappingRecord, Option<Link>)>,
) -> Vec<Group> {
    let mut groups: Vec<Group> = Vec::new();
    let mut keys: Vec<String> = Vec::new();
    for (instrument, record, via) in records {
        let row = mapping_row(page, catalog, &record, via);
        if let Some(i) = keys.iter().position(|k| *k == instrument) {
            groups[i].rows.push(row);
            continue;
        }
        let info = catalog.instrument(&instrument);
        keys.push(instrument.clone());
        groups.push(Group {
            name: info
                .map(|i| i.name.clone())
                .unwrap_or_else(|| local(&instrument).to_owned()),
            href: page.resource(&instrument),
            jurisdiction: info
                .and_then(|i| i.jurisdiction_code.as_deref())
                .map(|c| catalog.jurisdiction_badge(c, page.lang)),
            status: info
                .and_then(|i| i.status.as_deref())
                .map(|s| catalog.status_badge(s, page.lang)),
            rows: vec![row],
        });
    }
    groups.sort_by_key(|a| a.name.to_lowercase());
    for g in &mut groups {
        g.rows.sort_by(|a, b| {
            a.provenance
                .cmp(b.provenance)
                .then_with(|| a.reference.cmp(&b.reference))
        });
    }
    groups
}

pub struct DateRow {
    pub date: String,
    pub basis: String,
    pub scope: String,
    pub source: Option<String>,
    pub placed_before: Option<String>,
    pub condition: Option<String>,
    pub amended_by: Option<Link>,
    pub current: bool,
}

pub struct ChangeRow {
    pub href: String,
    pub at: String,
    pub kind: String,
    pub material: bool,
    pub detail: String,
}

#[derive(Template)]
#[template(path = "web/element.html")]
struct ElementPage {
    page: Page,
    iri: String,
    kind: &'static str,
    reference: Option<String>,
    title: String,
    instrument: Option<Link>,
    jurisdiction: Option<Badge>,
    status: Option<Badge>,
    binding: Option<bool>,
    quoted: Option<String>,
    paraphrase: Option<String>,
    quotable: bool,
    official: Option<String>,
    strength: Option<String>,
    roles: Vec<Link>,
    themes: Vec<Link>,
    provision_type: Option<String>,
    parent: Option<Link>,
    provision: Option<Link>,
    parts: Vec<Link>,
    requirements: Vec<Link>,
    evidence: Option<String>,
    evidence_note: Option<String>,
    sources: Vec<String>,
    applies_from: Option<String>,
    dates: Vec<DateRow>,
    groups: Vec<Group>,
    mapping_count: usize,
    derived_count: usize,
    review_count: usize,
    changes: Vec<ChangeRow>,
    formats: Vec<(String, &'static str)>,
}

/// Search links for facet values (`theme`, `role`).
fn facet_links(page: &Page, catalog: &Catalog, facet: &str, iris: &[String]) -> Vec<Link> {
    iris.iter()
        .map(|iri| Link {
            href: page.link("/search", &[(facet, local(iri))]),
            label: catalog.label(iri, page.lang),
        })
        .collect()
}

pub fn render(
    web: &Web,
    catalog: &Catalog,
    page: Page,
    d: &Description,
) -> Result<String, WebError> {
    let lang = page.lang;
    let kind = if d.has_type(&cw("Requirement")) {
        "kind.requirement"
    } else if d.has_type(&cw("Control")) {
        "kind.control"
    } else {
        "kind.provision"
    };
    let instrument_iri = d.iri(&cw("instrument"));
    let info = instrument_iri
        .as_deref()
        .and_then(|i| catalog.instrument(i));
    let jurisdiction_code = d
        .iri(&cw("jurisdiction"))
        .map(|j| local(&j).to_owned())
        .or_else(|| info.and_then(|i| i.jurisdiction_code.clone()));
    let quotable = info.is_some_and(|i| i.quotable());
    let title = d
        .text(&format!("{DCTERMS}title"), lang.code())
        .unwrap_or_else(|| local(&d.iri).to_owned());
    let reference = d.text(&cw("ref"), "en");
    let sources = d.iris(&format!("{DCTERMS}source"));
    let parent = d
        .iri(&format!("{ELI}is_part_of"))
        .filter(|p| Some(p) != instrument_iri.as_ref())
        .map(|p| element_link(web, &page, &p))
        .transpose()?;
    let provision_iri = d.iri(&cw("provision"));
    let provision = provision_iri
        .as_deref()
        .map(|p| element_link(web, &page, p))
        .transpose()?;
    let mut parts = Vec::new();
    let mut requirements = Vec::new();
    for row in web
        .graph()
        .select("web: parts", PARTS, bound("resource", &d.iri)?)?
    {
        let Some(part) = text(&row, "part") else {
            continue;
        };
        let label = match (text(&row, "ref"), text(&row, "title")) {
            (Some(r), Some(t)) => format!("{r} {t}"),
            (r, t) => r.or(t).unwrap_or_else(|| local(&part).to_owned()),
        };
        let link = Link {
            href: page.resource(&part),
            label,
        };
        if text(&row, "link").as_deref() == Some("requirement") {
            requirements.push(link);
        } else {
            parts.push(link);
        }
    }
    let applies_from = d.text(&cw("appliesFrom"), "en");
    let mut dates: Vec<DateRow> = Vec::new();
    for row in web
        .graph()
        .select("web: dates", DATES, bound("resource", &d.iri)?)?
    {
        let Some(date) = text(&row, "date") else {
            continue;
        };
        dates.push(DateRow {
            current: applies_from.as_deref() == Some(date.as_str()),
            basis: text(&row, "basisLabel")
                .or_else(|| text(&row, "basis").map(|b| local(&b).to_owned()))
                .unwrap_or_default(),
            scope: text(&row, "scope").unwrap_or_default(),
            source: text(&row, "source"),
            placed_before: text(&row, "placedBefore"),
            condition: text(&row, "condition"),
            amended_by: text(&row, "amendedBy")
                .map(|a| element_link(web, &page, &a))
                .transpose()?,
            date,
        });
    }
    let mappings = web.mappings()?;
    let mut records: Vec<(String, MappingRecord, Option<Link>)> = mappings
        .touching(&d.iri)
        .into_iter()
        .map(|(i, r)| (i, r, None))
        .collect();
    // A requirement shows its provision's crosswalk too, marked as such.
    if let Some(p) = &provision_iri {
        for (i, r) in mappings.touching(p) {
            let via = element_link(web, &page, p)?;
            records.push((i, r, Some(via)));
        }
    }
    // Mappings within the element's own instrument are structure, not crosswalk.
    records.retain(|(i, _, _)| Some(i) != instrument_iri.as_ref());
    let mapping_count = records.len();
    let derived_count = records.iter().filter(|(_, r, _)| r.derived).count();
    let review_count = records
        .iter()
        .filter(|(_, r, _)| r.review.as_deref() == Some("needsReview"))
        .count();
    let groups = group(&page, catalog, records);
    let mut changes = Vec::new();
    let mut affected = vec![d.iri.clone()];
    affected.extend(provision_iri.clone());
    for iri in &affected {
        for row in web
            .graph()
            .select("web: changes", CHANGES, bound("resource", iri)?)?
        {
            let Some(event) = text(&row, "event") else {
                continue;
            };
            changes.push(ChangeRow {
                href: page.href(&super::changes::change_path(
                    &text(&row, "id").unwrap_or_else(|| crate::crawl::event_id(&event)),
                )),
                at: text(&row, "at").unwrap_or_default(),
                kind: text(&row, "kind").unwrap_or_default(),
                material: text(&row, "material").as_deref() == Some("true"),
                detail: text(&row, "detail").unwrap_or_default(),
            });
        }
    }
    changes.sort_by(|a, b| b.at.cmp(&a.at));
    let formats = format_links(&page);
    let full_title = match &reference {
        Some(r) => format!("{r} {title}"),
        None => title.clone(),
    };
    let roles = facet_links(&page, catalog, "role", &d.iris(&cw("addressee")));
    let themes = facet_links(&page, catalog, "theme", &d.iris(&cw("theme")));
    let view = ElementPage {
        iri: d.iri.clone(),
        kind,
        reference,
        title,
        instrument: info.map(|i| Link {
            href: page.resource(&i.iri),
            label: i.name.clone(),
        }),
        jurisdiction: jurisdiction_code
            .as_deref()
            .map(|c| catalog.jurisdiction_badge(c, lang)),
        status: info
            .and_then(|i| i.status.as_deref())
            .map(|s| catalog.status_badge(s, lang)),
        binding: info.and_then(|i| i.binding),
        quoted: if quotable {
            d.text(&cw("text"), lang.code())
        } else {
            None
        },
        paraphrase: d.text(&cw("summary"), lang.code()),
        quotable,
        official: sources
            .first()
            .cloned()
            .or_else(|| info.and_then(|i| i.url.clone())),
        strength: d
            .iri(&cw("deonticStrength"))
            .map(|s| catalog.label(&s, lang)),
        roles,
        themes,
        provision_type: d.text(&cw("provisionType"), "en"),
        parent,
        provision,
        parts,
        requirements,
        evidence: d.iri(&cw("evidenceLevel")).map(|e| catalog.label(&e, lang)),
        evidence_note: d.text(&cw("evidenceNote"), lang.code()),
        sources,
        applies_from,
        dates,
        groups,
        mapping_count,
        derived_count,
        review_count,
        changes,
        formats,
        page: page.titled(full_title),
    };
    Ok(view.render()?)
}
