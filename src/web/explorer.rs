//! The framework explorer (`/crosswalk?from=A&to=B`): A's elements against B's with the
//! relationship of each mapping, filters for relationship, evidence level and provenance
//! (published crosswalk, team analysis, import, derived), coverage counts and a CSV download;
//! and the gap view (`/gaps?from=A&to=B`): A's elements with no equal or superset coverage in
//! B (`queries/gap-analysis.rq`) with their partial links, also as CSV.

use super::catalog::Catalog;
use super::element::{Link, provenance, rel_class};
use super::error::{Failed, WebError};
use super::layout::{Page, local};
use super::{Web, blocking};
use crate::export::tabular::{Column, Table};
use crate::mapping::{Framework, MappingRecord};
use askama::Template;
use axum::extract::{OriginalUri, Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};
use std::collections::{BTreeMap, BTreeSet};

/// The explorer's state, as in its URL.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    pub from: String,
    pub to: String,
    pub rel: Vec<String>,
    pub evidence: Vec<String>,
    pub prov: Vec<String>,
}

const RELATIONSHIPS: [&str; 9] = [
    "equal",
    "subsetOf",
    "supersetOf",
    "intersectsWith",
    "supports",
    "isSupportedBy",
    "related",
    "contrary",
    "notRelated",
];
const PROVENANCES: [&str; 4] = ["published", "team", "imported", "derived"];

impl Selection {
    pub fn parse(pairs: &[(String, String)]) -> Result<Self, WebError> {
        let mut s = Self::default();
        for (key, value) in pairs {
            let value = value.trim();
            if value.len() > 300 {
                return Err(WebError::BadRequest(format!("{key}: value too long")));
            }
            let push = |list: &mut Vec<String>| {
                if !value.is_empty() && !list.iter().any(|v| v == value) {
                    list.push(value.to_owned());
                }
            };
            match key.as_str() {
                "from" => s.from = value.to_owned(),
                "to" => s.to = value.to_owned(),
                "rel" => {
                    if !value.is_empty() && !RELATIONSHIPS.contains(&value) {
                        return Err(WebError::BadRequest(format!(
                            "rel={value:?}: use one of {}",
                            RELATIONSHIPS.join(", ")
                        )));
                    }
                    push(&mut s.rel);
                }
                "evidence" => push(&mut s.evidence),
                "prov" => {
                    if !value.is_empty() && !PROVENANCES.contains(&value) {
                        return Err(WebError::BadRequest(format!(
                            "prov={value:?}: use one of {}",
                            PROVENANCES.join(", ")
                        )));
                    }
                    push(&mut s.prov);
                }
                _ => {}
            }
        }
        Ok(s)
    }

    fn pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs = vec![("from", self.from.clone()), ("to", self.to.clone())];
        pairs.extend(self.rel.iter().map(|v| ("rel", v.clone())));
        pairs.extend(self.evidence.iter().map(|v| ("evidence", v.clone())));
        pairs.extend(self.prov.iter().map(|v| ("prov", v.clone())));
        pairs
    }

    fn url(&self, page: &Page, path: &str) -> String {
        let pairs = self.pairs();
        let borrowed: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
        page.link(path, &borrowed)
    }

    fn toggled(&self, facet: &str, value: &str) -> Self {
        let mut next = self.clone();
        let list = match facet {
            "rel" => &mut next.rel,
            "evidence" => &mut next.evidence,
            _ => &mut next.prov,
        };
        if let Some(i) = list.iter().position(|v| v == value) {
            list.remove(i);
        } else {
            list.push(value.to_owned());
        }
        next
    }

    fn keeps(&self, record: &MappingRecord) -> bool {
        let (prov, _) = provenance(record);
        let evidence = record.evidence.as_deref().unwrap_or("");
        (self.rel.is_empty() || self.rel.iter().any(|r| r == record.relationship.local()))
            && (self.evidence.is_empty() || self.evidence.iter().any(|e| e == evidence))
            && (self.prov.is_empty() || self.prov.iter().any(|p| p == prov))
    }
}

pub struct Count {
    pub label: String,
    pub count: usize,
    pub selected: bool,
    pub href: String,
    pub class: &'static str,
}

pub struct Row {
    pub from: Link,
    pub from_ref: String,
    pub relationship: &'static str,
    pub rel_class: &'static str,
    pub to: Link,
    pub to_ref: String,
    pub strength: String,
    pub provenance: &'static str,
    pub prov_class: &'static str,
    pub evidence: String,
    pub review: Option<&'static str>,
    pub path: Option<String>,
}

/// A framework to choose, with how many frameworks it is mapped to.
pub struct Choice {
    pub code: String,
    pub name: String,
    pub selected_from: bool,
    pub selected_to: bool,
}

pub struct PairLink {
    pub href: String,
    pub label: String,
}

#[derive(Template)]
#[template(path = "web/explorer.html")]
struct ExplorerPage {
    page: Page,
    choices: Vec<Choice>,
    pairs: Vec<PairLink>,
    chosen: Option<(String, String)>,
    rows: Vec<Row>,
    total: usize,
    by_rel: Vec<Count>,
    by_prov: Vec<Count>,
    by_evidence: Vec<Count>,
    covered_from: usize,
    covered_to: usize,
    csv: String,
    gaps: String,
    swap: String,
    clear: String,
}

/// Every framework with a mapping to another, and the pairs. Blocking.
pub(super) fn choices(
    web: &Web,
    catalog: &Catalog,
    page: &Page,
    s: &Selection,
) -> Result<(Vec<Choice>, Vec<PairLink>), WebError> {
    let mappings = web.mappings()?;
    let mut codes = BTreeSet::new();
    let mut pairs = Vec::new();
    for (a, b) in mappings.pairs() {
        let (Some(a), Some(b)) = (catalog.instrument(a), catalog.instrument(b)) else {
            continue;
        };
        codes.insert((a.name.to_lowercase(), a.code.clone(), a.name.clone()));
        codes.insert((b.name.to_lowercase(), b.code.clone(), b.name.clone()));
        pairs.push(PairLink {
            href: page.link("/crosswalk", &[("from", &a.code), ("to", &b.code)]),
            label: format!("{} ↔ {}", a.name, b.name),
        });
    }
    pairs.sort_by(|x, y| x.label.cmp(&y.label));
    let choices = codes
        .into_iter()
        .map(|(_, code, name)| Choice {
            selected_from: code == s.from,
            selected_to: code == s.to,
            code,
            name,
        })
        .collect();
    Ok((choices, pairs))
}

pub(super) fn resolve(web: &Web, code: &str) -> Result<Framework, WebError> {
    let codes = web.codes()?;
    Ok(Framework::resolve(web.graph(), &codes, code)?)
}

/// The mappings of the selection, filtered, and the unfiltered set. Blocking.
fn mapping_set(
    web: &Web,
    s: &Selection,
) -> Result<(Vec<MappingRecord>, usize, Vec<MappingRecord>), WebError> {
    let from = resolve(web, &s.from)?;
    let to = resolve(web, &s.to)?;
    let set = web.mappings()?.set(from, to, true);
    let total = set.mappings.len();
    let kept = set
        .mappings
        .iter()
        .filter(|m| s.keeps(m))
        .cloned()
        .collect();
    Ok((kept, total, set.mappings))
}

fn counts<'a>(
    page: &Page,
    s: &Selection,
    facet: &str,
    all: impl Iterator<Item = &'a str>,
    label: impl Fn(&str) -> String,
    class: impl Fn(&str) -> &'static str,
) -> Vec<Count> {
    let mut by: BTreeMap<String, usize> = BTreeMap::new();
    for key in all {
        *by.entry(key.to_owned()).or_default() += 1;
    }
    let selected = |v: &str| match facet {
        "rel" => s.rel.iter().any(|x| x == v),
        "evidence" => s.evidence.iter().any(|x| x == v),
        _ => s.prov.iter().any(|x| x == v),
    };
    let mut list: Vec<Count> = by
        .into_iter()
        .map(|(value, count)| Count {
            label: label(&value),
            count,
            selected: selected(&value),
            href: s.toggled(facet, &value).url(page, "/crosswalk"),
            class: class(&value),
        })
        .collect();
    list.sort_by(|a, b| b.count.cmp(&a.count).then(a.label.cmp(&b.label)));
    list
}

pub async fn page(
    State(web): State<Web>,
    OriginalUri(uri): OriginalUri,
    Query(pairs): Query<Vec<(String, String)>>,
    headers: HeaderMap,
) -> Response {
    let page = Page::new(uri.path(), &pairs, &headers, "explorer");
    let lang = page.lang;
    let result = async {
        let s = Selection::parse(&pairs)?;
        blocking(move || render(&web, page, &s)).await
    }
    .await;
    match result {
        Ok(html) => Html(html).into_response(),
        Err(error) => Failed(error, lang).into_response(),
    }
}

fn render(web: &Web, page: Page, s: &Selection) -> Result<String, WebError> {
    let catalog = web.catalog()?;
    let (choices, pair_links) = choices(web, &catalog, &page, s)?;
    let mut view = ExplorerPage {
        page: page.clone().titled(page.t("explorer.title")),
        choices,
        pairs: pair_links,
        chosen: None,
        rows: Vec::new(),
        total: 0,
        by_rel: Vec::new(),
        by_prov: Vec::new(),
        by_evidence: Vec::new(),
        covered_from: 0,
        covered_to: 0,
        csv: s.url(&page, "/crosswalk.csv"),
        gaps: page.link("/gaps", &[("from", &s.from), ("to", &s.to)]),
        swap: page.link("/crosswalk", &[("from", &s.to), ("to", &s.from)]),
        clear: page.link("/crosswalk", &[("from", &s.from), ("to", &s.to)]),
    };
    if s.from.is_empty() || s.to.is_empty() {
        return Ok(view.render()?);
    }
    let (kept, total, all) = mapping_set(web, s)?;
    let name = |code: &str| {
        catalog
            .by_code(code)
            .map(|i| i.name.clone())
            .unwrap_or_else(|| code.to_owned())
    };
    view.chosen = Some((name(&s.from), name(&s.to)));
    view.page = page.clone().titled(format!(
        "{} → {} · {}",
        name(&s.from),
        name(&s.to),
        page.t("explorer.title")
    ));
    view.total = total;
    view.by_rel = counts(
        &page,
        s,
        "rel",
        all.iter().map(|m| m.relationship.local()),
        |v| page.t(&format!("rel.{v}")).to_owned(),
        rel_class,
    );
    view.by_prov = counts(
        &page,
        s,
        "prov",
        all.iter().map(|m| provenance(m).0),
        |v| page.t(&format!("prov.{v}")).to_owned(),
        |v| match v {
            "published" => "badge published",
            "team" => "badge team",
            "derived" => "badge derived",
            _ => "badge imported",
        },
    );
    view.by_evidence = counts(
        &page,
        s,
        "evidence",
        all.iter().map(|m| m.evidence.as_deref().unwrap_or("")),
        |v| {
            if v.is_empty() {
                page.t("explorer.no-evidence").to_owned()
            } else {
                v.to_owned()
            }
        },
        |_| "",
    );
    view.covered_from = kept
        .iter()
        .map(|m| &m.subject)
        .collect::<BTreeSet<_>>()
        .len();
    view.covered_to = kept
        .iter()
        .map(|m| &m.object)
        .collect::<BTreeSet<_>>()
        .len();
    view.rows = kept.iter().map(|m| row(&page, m)).collect();
    view.rows.sort_by(|a, b| {
        natural_key(&a.from_ref)
            .cmp(&natural_key(&b.from_ref))
            .then(a.to_ref.cmp(&b.to_ref))
    });
    Ok(view.render()?)
}

pub(super) fn natural_key(reference: &str) -> Vec<(u64, String)> {
    reference
        .split(|c: char| !c.is_alphanumeric())
        .filter(|p| !p.is_empty())
        .map(|p| match p.parse::<u64>() {
            Ok(n) => (n, String::new()),
            Err(_) => (0, p.to_owned()),
        })
        .collect()
}

fn row(page: &Page, m: &MappingRecord) -> Row {
    let (prov, _) = provenance(m);
    let title = |t: &Option<String>, iri: &str| t.clone().unwrap_or_else(|| local(iri).to_owned());
    Row {
        from: Link {
            href: page.resource(&m.subject),
            label: title(&m.subject_title, &m.subject),
        },
        from_ref: m.subject_ref.clone().unwrap_or_default(),
        relationship: page.t(&format!("rel.{}", m.relationship.local())),
        rel_class: rel_class(m.relationship.local()),
        to: Link {
            href: page.resource(&m.object),
            label: title(&m.object_title, &m.object),
        },
        to_ref: m.object_ref.clone().unwrap_or_default(),
        strength: m.strength.map(|s| s.to_string()).unwrap_or_default(),
        provenance: page.t(&format!("prov.{prov}")),
        prov_class: match prov {
            "published" => "badge published",
            "team" => "badge team",
            "derived" => "badge derived",
            _ => "badge imported",
        },
        evidence: m.evidence.clone().unwrap_or_default(),
        review: m.review.as_deref().map(|r| page.t(&format!("review.{r}"))),
        path: m.path.clone(),
    }
}

pub(super) fn table(title: &str, headers: &[&str], rows: Vec<Vec<String>>) -> Table {
    Table {
        title: title.chars().take(31).collect(),
        columns: headers
            .iter()
            .map(|h| Column {
                header: (*h).to_owned(),
                width: 24.0,
            })
            .collect(),
        rows,
    }
}

pub(super) fn csv_response(table: &Table, name: &str) -> Result<Response, WebError> {
    let body = table.csv()?;
    let disposition = format!("attachment; filename=\"{name}.csv\"");
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            ),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_str(&disposition)
                    .unwrap_or(HeaderValue::from_static("attachment")),
            ),
        ],
        body,
    )
        .into_response())
}

pub async fn csv(
    State(web): State<Web>,
    Query(pairs): Query<Vec<(String, String)>>,
    headers: HeaderMap,
) -> Response {
    let lang = Page::new("/crosswalk.csv", &pairs, &headers, "").lang;
    let result = async {
        let s = Selection::parse(&pairs)?;
        if s.from.is_empty() || s.to.is_empty() {
            return Err(WebError::BadRequest(
                "name both frameworks: from=…&to=…".into(),
            ));
        }
        blocking(move || {
            let (kept, _, _) = mapping_set(&web, &s)?;
            let rows = kept
                .iter()
                .map(|m| {
                    vec![
                        m.subject_ref.clone().unwrap_or_default(),
                        m.subject_title.clone().unwrap_or_default(),
                        m.subject.clone(),
                        m.relationship.local().to_owned(),
                        m.object_ref.clone().unwrap_or_default(),
                        m.object_title.clone().unwrap_or_default(),
                        m.object.clone(),
                        m.strength.map(|s| s.to_string()).unwrap_or_default(),
                        m.confidence.map(|c| c.to_string()).unwrap_or_default(),
                        provenance(m).0.to_owned(),
                        m.evidence.clone().unwrap_or_default(),
                        m.review.clone().unwrap_or_default(),
                        m.rationale
                            .map(|r| r.token().to_owned())
                            .unwrap_or_default(),
                        m.path.clone().unwrap_or_default(),
                        m.iri.clone(),
                    ]
                })
                .collect();
            let t = table(
                "crosswalk",
                &[
                    "From reference",
                    "From title",
                    "From IRI",
                    "Relationship",
                    "To reference",
                    "To title",
                    "To IRI",
                    "Strength",
                    "Confidence",
                    "Provenance",
                    "Evidence level",
                    "Review status",
                    "Rationale",
                    "Derived path",
                    "Mapping IRI",
                ],
                rows,
            );
            csv_response(&t, &format!("crosswalk-{}--{}", safe(&s.from), safe(&s.to)))
        })
        .await
    }
    .await;
    result.unwrap_or_else(|e| Failed(e, lang).into_response())
}

/// A code as a file-name part.
pub(super) fn safe(code: &str) -> String {
    local(code)
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .take(80)
        .collect()
}
