//! Changes: the timeline (`/changes?source=&kind=&material=&from=&to=&page=`) with a
//! server-rendered SVG chart of change counts per source and month, and one change
//! (`/changes/{id}`, the event IRI after `…/id/change/`) with what it affects, the obligations
//! of the affected provisions, the mappings it flagged, and word-level redlines (side by side
//! and inline) when the event carries the old and new wording (`cw:oldText`, `cw:newText`).
//! Read from the `cw:ChangeEvent`s in the graph (`queries/web/changes.rq`, `change.rq`).

use super::element::{Link, text};
use super::error::{Failed, WebError};
use super::layout::{Page, local};
use super::resource::Description;
use super::{Web, blocking};
use crate::graph::names;
use askama::Template;
use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Response};
use oxigraph::model::{NamedNode, Variable};
use std::collections::BTreeMap;

const CHANGES: &str = include_str!("../../queries/web/changes.rq");
const CHANGE: &str = include_str!("../../queries/web/change.rq");
const PAGE_SIZE: usize = 50;

/// The part of a change event's IRI after `…/id/change/` (its page is `/changes/{id}`).
pub fn event_id(iri: &str) -> String {
    iri.strip_prefix(&format!("{}change/", names::ID))
        .unwrap_or_else(|| local(iri))
        .to_owned()
}

#[derive(Debug, Clone, Default)]
struct Filter {
    source: String,
    kind: String,
    material: Option<bool>,
    from: String,
    to: String,
    page: usize,
}

impl Filter {
    fn parse(pairs: &[(String, String)]) -> Result<Self, WebError> {
        let mut f = Self {
            page: 1,
            ..Self::default()
        };
        for (k, v) in pairs {
            let v = v.trim();
            if v.len() > 200 {
                return Err(WebError::BadRequest(format!("{k}: value too long")));
            }
            match k.as_str() {
                "source" => f.source = v.to_owned(),
                "kind" => f.kind = v.to_owned(),
                "material" => {
                    f.material = match v {
                        "" => None,
                        "true" => Some(true),
                        "false" => Some(false),
                        other => {
                            return Err(WebError::BadRequest(format!(
                                "material={other:?}: use true or false"
                            )));
                        }
                    }
                }
                "from" | "to" => {
                    if !v.is_empty() && chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d").is_err() {
                        return Err(WebError::BadRequest(format!(
                            "{k}={v:?}: expected a date YYYY-MM-DD"
                        )));
                    }
                    if k == "from" {
                        f.from = v.to_owned();
                    } else {
                        f.to = v.to_owned();
                    }
                }
                "page" => {
                    f.page = v
                        .parse::<usize>()
                        .ok()
                        .filter(|n| (1..=1000).contains(n))
                        .ok_or_else(|| WebError::BadRequest(format!("page={v:?}: 1 to 1000")))?;
                }
                _ => {}
            }
        }
        Ok(f)
    }

    fn keeps(&self, e: &Event) -> bool {
        let day = e.at.get(..10).unwrap_or("");
        (self.source.is_empty() || e.source_id == self.source)
            && (self.kind.is_empty() || e.kind == self.kind)
            && self.material.is_none_or(|m| m == e.material)
            && (self.from.is_empty() || day >= self.from.as_str())
            && (self.to.is_empty() || day <= self.to.as_str())
    }

    fn url(&self, page: &Page, number: usize) -> String {
        let material = self.material.map(|m| m.to_string()).unwrap_or_default();
        let n = if number > 1 {
            number.to_string()
        } else {
            String::new()
        };
        page.link(
            "/changes",
            &[
                ("source", &self.source),
                ("kind", &self.kind),
                ("material", &material),
                ("from", &self.from),
                ("to", &self.to),
                ("page", &n),
            ],
        )
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
    chart: Chart,
    prev: Option<String>,
    next: Option<String>,
}

fn read_events(web: &Web, page: &Page) -> Result<Vec<Event>, WebError> {
    Ok(web
        .graph()
        .select("web: changes", CHANGES, [])?
        .into_iter()
        .filter_map(|row| {
            let iri = text(&row, "event")?;
            let source = text(&row, "source").unwrap_or_default();
            Some(Event {
                href: page.href(&format!("/changes/{}", event_id(&iri))),
                at: text(&row, "at").unwrap_or_default(),
                kind: text(&row, "kind").unwrap_or_default(),
                material: text(&row, "material").as_deref() == Some("true"),
                detail: text(&row, "detail").unwrap_or_default(),
                source_id: local(&source).to_owned(),
                source_title: text(&row, "sourceTitle")
                    .unwrap_or_else(|| local(&source).to_owned()),
                jurisdiction: text(&row, "jurisdiction").unwrap_or_default(),
            })
        })
        .collect())
}

pub async fn list(
    State(web): State<Web>,
    OriginalUri(uri): OriginalUri,
    Query(pairs): Query<Vec<(String, String)>>,
    headers: HeaderMap,
) -> Response {
    let page = Page::new(uri.path(), &pairs, &headers, "changes");
    let lang = page.lang;
    let result = async {
        let filter = Filter::parse(&pairs)?;
        blocking(move || {
            let all = read_events(&web, &page)?;
            let mut sources: BTreeMap<String, String> = BTreeMap::new();
            let mut kinds: BTreeMap<String, ()> = BTreeMap::new();
            for e in &all {
                sources.insert(e.source_id.clone(), e.source_title.clone());
                kinds.insert(e.kind.clone(), ());
            }
            let kept: Vec<&Event> = all.iter().filter(|e| filter.keeps(e)).collect();
            let total = kept.len();
            let chart = chart(&kept);
            let start = (filter.page - 1) * PAGE_SIZE;
            let events: Vec<Event> = all
                .into_iter()
                .filter(|e| filter.keeps(e))
                .skip(start)
                .take(PAGE_SIZE)
                .collect();
            let title = page.t("changes.title");
            Ok(ChangesPage {
                prev: (filter.page > 1).then(|| filter.url(&page, filter.page - 1)),
                next: (start + PAGE_SIZE < total).then(|| filter.url(&page, filter.page + 1)),
                sources: sources
                    .into_iter()
                    .filter(|(id, _)| !id.is_empty())
                    .map(|(id, t)| {
                        let selected = id == filter.source;
                        (id, t, selected)
                    })
                    .collect(),
                kinds: kinds
                    .into_keys()
                    .filter(|k| !k.is_empty())
                    .map(|k| {
                        let selected = k == filter.kind;
                        (k, selected)
                    })
                    .collect(),
                material: filter.material.map(|m| m.to_string()).unwrap_or_default(),
                from: filter.from.clone(),
                to: filter.to.clone(),
                page: page.titled(title),
                events,
                total,
                chart,
            }
            .render()?)
        })
        .await
    }
    .await;
    match result {
        Ok(html) => Html(html).into_response(),
        Err(error) => Failed(error, lang).into_response(),
    }
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
    let iri = format!("{}change/{id}", names::ID);
    match blocking(move || render_one(&web, page, &iri)).await {
        Ok(html) => Html(html).into_response(),
        Err(error) => Failed(error, lang).into_response(),
    }
}

fn render_one(web: &Web, page: Page, iri: &str) -> Result<String, WebError> {
    let d = Description::read(web.graph(), iri)?;
    if !d.has_type(&format!("{}ChangeEvent", names::CW)) {
        return Err(WebError::NotFound {
            what: format!("no change event {iri}"),
            looked_up: iri.to_owned(),
        });
    }
    let cw = |l: &str| format!("{}{l}", names::CW);
    let node = NamedNode::new(iri).map_err(|e| WebError::BadRequest(e.to_string()))?;
    let (mut affects, mut obligations, mut flagged) = (Vec::new(), Vec::new(), Vec::new());
    for row in web.graph().select(
        "web: change",
        CHANGE,
        [(Variable::new_unchecked("event"), node.into())],
    )? {
        let Some(target) = text(&row, "target") else {
            continue;
        };
        let label = match (text(&row, "ref"), text(&row, "title")) {
            (Some(r), Some(t)) => format!("{r} {t}"),
            (r, t) => r.or(t).unwrap_or_else(|| local(&target).to_owned()),
        };
        let link = Link {
            href: page.resource(&target),
            label,
        };
        let list = match text(&row, "link").as_deref() {
            Some("affects") => &mut affects,
            Some("obligation") => &mut obligations,
            _ => &mut flagged,
        };
        if !list.iter().any(|l: &Link| l.href == link.href) {
            list.push(link);
        }
    }
    let old = d.text(&cw("oldText"), "en");
    let new = d.text(&cw("newText"), "en");
    let redline = match (&old, &new) {
        (Some(o), Some(n)) => Some(redline(o, n)),
        (None, Some(n)) => Some(redline("", n)),
        (Some(o), None) => Some(redline(o, "")),
        _ => None,
    };
    let source = d.iri(&cw("source")).map(|s| Link {
        href: page.link("/changes", &[("source", local(&s))]),
        label: local(&s).to_owned(),
    });
    let kind = d.text(&cw("changeKind"), "en").unwrap_or_default();
    let title = format!("{kind} · {}", page.t("changes.title"));
    Ok(ChangePage {
        iri: iri.to_owned(),
        material: d.text(&cw("material"), "en").as_deref() == Some("true"),
        at: d
            .text("http://www.w3.org/ns/prov#generatedAtTime", "en")
            .unwrap_or_default(),
        detail: d
            .text(
                "http://www.w3.org/2000/01/rdf-schema#comment",
                page.lang.code(),
            )
            .unwrap_or_default(),
        summary: d.text(&cw("wordSummary"), "en"),
        added: d.text(&cw("addedWords"), "en"),
        removed: d.text(&cw("removedWords"), "en"),
        source,
        affects,
        obligations,
        flagged,
        redline,
        kind,
        page: page.titled(title),
    }
    .render()?)
}
