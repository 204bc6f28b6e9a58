//! Changes: the timeline (`/changes?` with the change API's filters — `jurisdiction`,
//! `instrument`, `source`, `theme`, `role`, `kind`, `material`, `since` (or `from`), `until` (or
//! `to`) — and `page`) with a server-rendered SVG chart of change counts per source and month,
//! and one change (`/changes/{id}`, the public id of `/api/changes/{id}`) with what it affects,
//! its obligations, the mappings it flagged, and word-level redlines (side by side and inline)
//! when the event carries the old and new wording.
//!
//! Both read the change read model (`changes::list`, `changes::get`) that `/api/changes` serves,
//! so the pages and the API cannot disagree about an event; the change page adds only the
//! requirements its affected provisions state now (`queries/web/change-obligations.rq`).

use super::element::{Link, text};
use super::error::{Failed, WebError};
use super::layout::{Page, local};
use super::{Web, blocking};
use crate::changes::{self, Change};
use crate::graph::codes::Codes;
use crate::graph::{Graph, names};
use askama::Template;
use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Response};
use oxigraph::model::{NamedNode, Variable};
use std::collections::{BTreeMap, HashMap};

const OBLIGATIONS: &str = include_str!("../../queries/web/change-obligations.rq");
const PAGE_SIZE: usize = 50;
/// Most events the timeline reads; its count and chart cover these.
const MOST: usize = 5_000;
/// The change API's filter fields the timeline passes on (`from`/`to` are `since`/`until`).
const FIELDS: &[&str] = &[
    "jurisdiction",
    "instrument",
    "source",
    "theme",
    "role",
    "kind",
    "material",
    "since",
    "until",
];

/// The page of the change with public id `id`.
pub fn change_path(id: &str) -> String {
    format!("/changes/{id}")
}

/// The timeline's parameters: the change API's filter, as given and as read, and the page.
struct Timeline {
    filter: changes::Filter,
    /// The filter's non-empty pairs, `from`/`to` renamed, for links and the form.
    pairs: Vec<(String, String)>,
    page: usize,
}

impl Timeline {
    fn parse(pairs: &[(String, String)], codes: &Codes) -> Result<Self, WebError> {
        let mut kept = Vec::new();
        let mut page = 1;
        for (key, value) in pairs {
            let value = value.trim();
            if value.is_empty() {
                // The form sends every field; an empty one filters nothing.
                continue;
            }
            let key = match key.as_str() {
                "page" => {
                    page = value
                        .parse::<usize>()
                        .ok()
                        .filter(|n| (1..=1000).contains(n))
                        .ok_or_else(|| {
                            WebError::BadRequest(format!("page={value:?}: 1 to 1000"))
                        })?;
                    continue;
                }
                "from" => "since",
                "to" => "until",
                known if FIELDS.contains(&known) => known,
                // `lang` and whatever else a link carries.
                _ => continue,
            };
            kept.push((key.to_owned(), value.to_owned()));
        }
        let filter =
            changes::Filter::from_query(kept.iter().map(|(k, v)| (k.as_str(), v.as_str())), codes)?;
        Ok(Self {
            filter,
            pairs: kept,
            page,
        })
    }

    fn url(&self, page: &Page, number: usize) -> String {
        let n = if number > 1 {
            number.to_string()
        } else {
            String::new()
        };
        let mut pairs: Vec<(&str, &str)> = self
            .pairs
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        pairs.push(("page", &n));
        page.link("/changes", &pairs)
    }

    /// The one value of `key` when a form control can show it (one value, no list).
    fn single(&self, key: &str) -> Option<&str> {
        let mut values = self.pairs.iter().filter(|(k, _)| k == key);
        match (values.next(), values.next()) {
            (Some((_, v)), None) if !v.contains(',') => Some(v.as_str()),
            _ => None,
        }
    }

    /// A date the form's date input shows, for `since` or `until`.
    fn date(&self, key: &str) -> Option<&str> {
        self.single(key)
            .filter(|v| chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d").is_ok())
    }
}

pub struct Event {
    pub href: String,
    pub at: String,
    pub kind: String,
    pub material: bool,
    pub detail: String,
    pub source_id: String,
    pub source_title: String,
    pub jurisdiction: String,
}

fn rfc3339(change: &Change) -> String {
    change.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

pub struct Bar {
    pub x: u32,
    pub y: u32,
    pub height: u32,
    pub width: u32,
    pub class: String,
    pub title: String,
}

pub struct Chart {
    pub width: u32,
    pub height: u32,
    pub bars: Vec<Bar>,
    pub labels: Vec<(u32, String)>,
    pub legend: Vec<(String, String)>,
    pub max: usize,
    pub description: String,
}

/// Stacked bars of change counts per month, one colour per source (the five busiest; the rest
/// together), over the last 24 months that have changes.
fn chart(events: &[&Event]) -> Chart {
    let mut months: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
    let mut per_source: BTreeMap<String, usize> = BTreeMap::new();
    for e in events {
        let month = e.at.get(..7).unwrap_or("?").to_owned();
        *months
            .entry(month)
            .or_default()
            .entry(e.source_id.clone())
            .or_default() += 1;
        *per_source.entry(e.source_id.clone()).or_default() += 1;
    }
    let mut busiest: Vec<(String, usize)> = per_source.into_iter().collect();
    busiest.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let top: Vec<String> = busiest.iter().take(5).map(|(s, _)| s.clone()).collect();
    let series = |source: &str| top.iter().position(|s| s == source).unwrap_or(5);
    let months: Vec<(String, BTreeMap<String, usize>)> =
        months.into_iter().rev().take(24).rev().collect();
    let max = months
        .iter()
        .map(|(_, by)| by.values().sum::<usize>())
        .max()
        .unwrap_or(0)
        .max(1);
    let (height, bar, gap, top_pad, axis) = (160u32, 22u32, 6u32, 10u32, 20u32);
    let plot = height - top_pad - axis;
    let mut bars = Vec::new();
    let mut labels = Vec::new();
    for (i, (month, by)) in months.iter().enumerate() {
        let x = 30 + i as u32 * (bar + gap);
        let mut y = top_pad + plot;
        let mut stacks: BTreeMap<usize, usize> = BTreeMap::new();
        for (source, n) in by {
            *stacks.entry(series(source)).or_default() += n;
        }
        for (s, n) in stacks {
            let h = ((n as u32) * plot).div_ceil(max as u32).max(1);
            y -= h;
            let name = top.get(s).cloned().unwrap_or_else(|| "other".into());
            bars.push(Bar {
                x,
                y,
                height: h,
                width: bar,
                class: format!("s{s}"),
                title: format!("{month}: {n} × {name}"),
            });
        }
        labels.push((x + bar / 2, month.get(2..).unwrap_or(month).to_owned()));
    }
    let mut legend: Vec<(String, String)> = top
        .iter()
        .enumerate()
        .map(|(i, s)| (format!("s{i}"), s.clone()))
        .collect();
    if busiest.len() > 5 {
        legend.push(("s5".into(), "other".into()));
    }
    Chart {
        width: 40 + months.len().max(1) as u32 * (bar + gap),
        height,
        description: format!("{} changes in {} months", events.len(), months.len()),
        bars,
        labels,
        legend,
        max,
    }
}

#[derive(Template)]
#[template(path = "web/changes.html")]
struct ChangesPage {
    page: Page,
    events: Vec<Event>,
    total: usize,
    sources: Vec<(String, String, bool)>,
    kinds: Vec<(String, bool)>,
    material: String,
    from: String,
    to: String,
    /// Filter pairs no control of the form shows, kept when it is submitted.
    hidden: Vec<(String, String)>,
    chart: Chart,
    prev: Option<String>,
    next: Option<String>,
}

/// Every event passing `filter`, newest first (at most [`MOST`]), through the read model.
fn read_all(graph: &Graph, filter: &changes::Filter) -> Result<Vec<Change>, WebError> {
    let mut all = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = changes::list(graph, filter, cursor.as_deref(), changes::MAX_LIMIT)?;
        all.extend(page.changes);
        match page.next_cursor {
            Some(next) if all.len() < MOST => cursor = Some(next),
            _ => break,
        }
    }
    all.truncate(MOST);
    Ok(all)
}

pub async fn list(
    State(web): State<Web>,
    OriginalUri(uri): OriginalUri,
    Query(pairs): Query<Vec<(String, String)>>,
    headers: HeaderMap,
) -> Response {
    let page = Page::new(uri.path(), &pairs, &headers, "changes");
    let lang = page.lang;
    match blocking(move || render_list(&web, page, &pairs)).await {
        Ok(html) => Html(html).into_response(),
        Err(error) => Failed(error, lang).into_response(),
    }
}

fn render_list(web: &Web, page: Page, pairs: &[(String, String)]) -> Result<String, WebError> {
    let timeline = Timeline::parse(pairs, &*web.codes()?)?;
    let tracked =
        crate::source::list(web.graph()).map_err(|e| WebError::Internal(e.to_string()))?;
    let titles: HashMap<&str, &str> = tracked
        .iter()
        .map(|s| (s.iri.as_str(), s.title.as_deref().unwrap_or(&s.id)))
        .collect();
    let all: Vec<Event> = read_all(web.graph(), &timeline.filter)?
        .iter()
        .map(|c| Event {
            href: page.href(&change_path(&c.id)),
            at: rfc3339(c),
            kind: c.kind.clone(),
            material: c.material,
            detail: c.summary.clone(),
            source_id: c.source_id.clone(),
            source_title: titles
                .get(c.source.as_str())
                .map_or_else(|| c.source_id.clone(), |t| (*t).to_owned()),
            jurisdiction: c
                .jurisdictions
                .iter()
                .map(|j| j.code.as_str())
                .collect::<Vec<_>>()
                .join(" "),
        })
        .collect();
    let total = all.len();
    let chart = chart(&all.iter().collect::<Vec<_>>());
    let start = (timeline.page - 1) * PAGE_SIZE;
    // What the form's controls show; the rest of the filter rides along hidden.
    let source = match timeline.filter.source.as_slice() {
        [one] if timeline.single("source").is_some() => {
            tracked.iter().find(|s| &s.iri == one).map(|s| s.id.clone())
        }
        _ => None,
    };
    let kind = timeline.single("kind").map(str::to_owned);
    let (from, to) = (timeline.date("since"), timeline.date("until"));
    let hidden = timeline
        .pairs
        .iter()
        .filter(|(k, _)| match k.as_str() {
            "source" => source.is_none(),
            "kind" => kind.is_none(),
            "material" => false,
            "since" => from.is_none(),
            "until" => to.is_none(),
            _ => true,
        })
        .cloned()
        .collect();
    let mut sources: Vec<(String, String, bool)> = tracked
        .iter()
        .map(|s| {
            let selected = source.as_deref() == Some(s.id.as_str());
            (
                s.id.clone(),
                s.title.clone().unwrap_or_else(|| s.id.clone()),
                selected,
            )
        })
        .collect();
    sources.sort_by(|a, b| a.0.cmp(&b.0));
    let title = page.t("changes.title");
    Ok(ChangesPage {
        prev: (timeline.page > 1).then(|| timeline.url(&page, timeline.page - 1)),
        next: (start + PAGE_SIZE < total).then(|| timeline.url(&page, timeline.page + 1)),
        sources,
        kinds: changes::KINDS
            .iter()
            .map(|k| ((*k).to_owned(), kind.as_deref() == Some(*k)))
            .collect(),
        material: timeline
            .filter
            .material
            .map(|m| m.to_string())
            .unwrap_or_default(),
        from: from.unwrap_or_default().to_owned(),
        to: to.unwrap_or_default().to_owned(),
        hidden,
        events: all.into_iter().skip(start).take(PAGE_SIZE).collect(),
        total,
        chart,
        page: page.titled(title),
    }
    .render()?)
}

/// A run of words in a redline.
pub struct Piece {
    pub class: &'static str,
    pub text: String,
}

/// Word-level redlines of two texts: inline, the old side, the new side.
pub fn redline(old: &str, new: &str) -> (Vec<Piece>, Vec<Piece>, Vec<Piece>) {
    use similar::{ChangeTag, TextDiff};
    let diff = TextDiff::from_words(old, new);
    let (mut inline, mut left, mut right) = (Vec::new(), Vec::new(), Vec::new());
    let push = |list: &mut Vec<Piece>, class: &'static str, text: &str| match list.last_mut() {
        Some(last) if last.class == class => last.text.push_str(text),
        _ => list.push(Piece {
            class,
            text: text.to_owned(),
        }),
    };
    for change in diff.iter_all_changes() {
        let text = change.value();
        match change.tag() {
            ChangeTag::Equal => {
                push(&mut inline, "same", text);
                push(&mut left, "same", text);
                push(&mut right, "same", text);
            }
            ChangeTag::Delete => {
                push(&mut inline, "del", text);
                push(&mut left, "del", text);
            }
            ChangeTag::Insert => {
                push(&mut inline, "ins", text);
                push(&mut right, "ins", text);
            }
        }
    }
    (inline, left, right)
}

#[derive(Template)]
#[template(path = "web/change.html")]
struct ChangePage {
    page: Page,
    iri: String,
    api: String,
    kind: String,
    material: bool,
    at: String,
    detail: String,
    source: Option<Link>,
    summary: Option<String>,
    affects: Vec<Link>,
    obligations: Vec<Link>,
    flagged: Vec<Link>,
    redline: Option<(Vec<Piece>, Vec<Piece>, Vec<Piece>)>,
    added: Option<String>,
    removed: Option<String>,
}

pub async fn one(
    State(web): State<Web>,
    Path(id): Path<String>,
    OriginalUri(uri): OriginalUri,
    Query(pairs): Query<Vec<(String, String)>>,
    headers: HeaderMap,
) -> Response {
    let page = Page::new(uri.path(), &pairs, &headers, "changes");
    let lang = page.lang;
    match blocking(move || render_one(&web, page, &id)).await {
        Ok(html) => Html(html).into_response(),
        Err(error) => Failed(error, lang).into_response(),
    }
}

/// `label` for an affected or flagged resource: its citation and title where known.
fn labelled(page: &Page, iri: &str, reference: Option<&str>, title: Option<&str>) -> Link {
    let label = match (reference, title) {
        (Some(r), Some(t)) => format!("{r} {t}"),
        (r, t) => r.or(t).unwrap_or_else(|| local(iri)).to_owned(),
    };
    Link {
        href: page.resource(iri),
        label,
    }
}

fn render_one(web: &Web, page: Page, id: &str) -> Result<String, WebError> {
    // The public id; also the IRI's tail after `…/id/change/`, which links carried before ids.
    let detail = match changes::get(web.graph(), id)? {
        Some(detail) => Some(detail),
        None => changes::get(web.graph(), &format!("{}change/{id}", names::ID))?,
    };
    let Some(detail) = detail else {
        return Err(WebError::NotFound {
            what: format!("no change event {id:?}"),
            looked_up: id.to_owned(),
        });
    };
    let change = &detail.change;
    let affects: Vec<Link> = change
        .affects
        .iter()
        .map(|a| labelled(&page, &a.iri, a.reference.as_deref(), a.label.as_deref()))
        .collect();
    // The obligations the event records, then those its affected provisions state now.
    let mut obligations: Vec<Link> = change
        .affects
        .iter()
        .filter(|a| a.role == "requirement")
        .map(|a| labelled(&page, &a.iri, a.reference.as_deref(), a.label.as_deref()))
        .collect();
    for a in change.affects.iter().filter(|a| a.role != "requirement") {
        let Ok(node) = NamedNode::new(&a.iri) else {
            continue;
        };
        for row in web.graph().select(
            "web: obligations of a changed provision",
            OBLIGATIONS,
            [(Variable::new_unchecked("provision"), node.clone().into())],
        )? {
            let Some(requirement) = text(&row, "requirement") else {
                continue;
            };
            let link = labelled(
                &page,
                &requirement,
                text(&row, "ref").as_deref(),
                text(&row, "title").as_deref(),
            );
            if !obligations.iter().any(|l| l.href == link.href) {
                obligations.push(link);
            }
        }
    }
    let mapping_base = format!("{}mapping/", names::ID);
    let flagged = detail
        .diff
        .flags_for_review
        .iter()
        .map(|m| Link {
            href: page.resource(m),
            label: m.strip_prefix(&mapping_base).unwrap_or(m).to_owned(),
        })
        .collect();
    let redline = match (&detail.diff.old_text, &detail.diff.new_text) {
        (Some(o), Some(n)) => Some(redline(o, n)),
        (None, Some(n)) => Some(redline("", n)),
        (Some(o), None) => Some(redline(o, "")),
        _ => None,
    };
    let words = |list: &[String]| (!list.is_empty()).then(|| list.join("; "));
    let source = (!change.source_id.is_empty()).then(|| Link {
        href: page.link("/changes", &[("source", &change.source_id)]),
        label: change.source_id.clone(),
    });
    let title = format!("{} · {}", change.kind, page.t("changes.title"));
    Ok(ChangePage {
        iri: change.iri.clone(),
        api: change.link.clone(),
        kind: change.kind.clone(),
        material: change.material,
        at: rfc3339(change),
        detail: change.summary.clone(),
        summary: change.word_summary.clone(),
        added: words(&detail.diff.added_words),
        removed: words(&detail.diff.removed_words),
        source,
        affects,
        obligations,
        flagged,
        redline,
        page: page.titled(title),
    }
    .render()?)
}
