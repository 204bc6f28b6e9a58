//! The search page (`/`, `/search`): one box, facets with counts, highlighted snippets, the
//! expansions that fired, what was understood (removable), relaxation and fallback notices,
//! pagination. Rendered whole for a plain GET; `assets/web/app.js` fetches the same page as
//! the analyst types and swaps the results in.

use super::catalog::Catalog;
use super::error::{Failed, WebError};
use super::layout::{Badge, Page, with_query};
use super::{Web, blocking};
use crate::index::document::date_number;
use crate::index::schema::FACETS;
use crate::index::{SearchRequest, SearchResponse, Sort};
use askama::Template;
use axum::extract::{OriginalUri, Query, State};
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Response};

pub const PAGE_SIZE: usize = 20;
/// Pages beyond this would pass the index's offset cap.
const MAX_PAGE: usize = crate::index::query::MAX_OFFSET / PAGE_SIZE;

/// The page's state, as in its URL.
#[derive(Debug, Clone, Default)]
pub struct SearchState {
    pub q: String,
    /// (facet, value) in URL order.
    pub filters: Vec<(String, String)>,
    pub from: String,
    pub to: String,
    pub sort_date: bool,
    pub page: usize,
    pub literal: bool,
}

impl SearchState {
    pub fn parse(pairs: &[(String, String)]) -> Result<Self, WebError> {
        let mut state = Self {
            page: 1,
            ..Self::default()
        };
        for (key, value) in pairs {
            let value = value.trim();
            match key.as_str() {
                "q" => state.q = value.to_owned(),
                "from" | "to" => {
                    if !value.is_empty() && date_number(value).is_none_or(|_| value.len() != 10) {
                        return Err(WebError::BadRequest(format!(
                            "{key}={value:?}: expected a date YYYY-MM-DD"
                        )));
                    }
                    if key == "from" {
                        state.from = value.to_owned();
                    } else {
                        state.to = value.to_owned();
                    }
                }
                "sort" => {
                    state.sort_date = match value {
                        "" | "relevance" => false,
                        "date" => true,
                        other => {
                            return Err(WebError::BadRequest(format!(
                                "sort={other:?}: use relevance or date"
                            )));
                        }
                    }
                }
                "page" => {
                    state.page = match value.parse::<usize>() {
                        Ok(n) if (1..=MAX_PAGE).contains(&n) => n,
                        _ => {
                            return Err(WebError::BadRequest(format!(
                                "page={value:?}: expected a number from 1 to {MAX_PAGE}"
                            )));
                        }
                    }
                }
                "understand" => state.literal = value == "false",
                // A facet value once, at most 50 filters; empty values are no filter.
                facet
                    if FACETS.contains(&facet)
                        && !value.is_empty()
                        && !state.filters.iter().any(|(k, v)| k == facet && v == value)
                        && state.filters.len() < 50 =>
                {
                    state.filters.push((facet.to_owned(), value.to_owned()));
                }
                // `lang` is the page's; anything else is ignored, as a browser form may add it.
                _ => {}
            }
        }
        Ok(state)
    }

    pub fn request(&self) -> SearchRequest {
        let mut request = SearchRequest {
            q: self.q.clone(),
            limit: Some(PAGE_SIZE),
            offset: (self.page - 1) * PAGE_SIZE,
            sort: if self.sort_date {
                Sort::Date
            } else {
                Sort::Relevance
            },
            understand: !self.literal,
            from: date_number(&self.from),
            to: date_number(&self.to),
            ..SearchRequest::default()
        };
        for (facet, value) in &self.filters {
            request
                .filters
                .entry(facet.clone())
                .or_default()
                .push(value.clone());
        }
        request
    }

    /// The URL pairs of this state with `change` applied.
    pub fn pairs(&self) -> Vec<(String, String)> {
        let mut pairs = vec![("q".to_owned(), self.q.clone())];
        pairs.extend(self.filters.iter().cloned());
        pairs.push(("from".into(), self.from.clone()));
        pairs.push(("to".into(), self.to.clone()));
        if self.sort_date {
            pairs.push(("sort".into(), "date".into()));
        }
        if self.literal {
            pairs.push(("understand".into(), "false".into()));
        }
        if self.page > 1 {
            pairs.push(("page".into(), self.page.to_string()));
        }
        pairs
    }

    fn url(&self, page: &Page) -> String {
        let pairs = self.pairs();
        let borrowed: Vec<(&str, &str)> = pairs
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        page.link("/search", &borrowed)
    }

    /// A new state on page one.
    fn changed(&self, change: impl FnOnce(&mut Self)) -> Self {
        let mut next = self.clone();
        next.page = 1;
        change(&mut next);
        next
    }

    fn has(&self, facet: &str, value: &str) -> bool {
        self.filters.iter().any(|(k, v)| k == facet && v == value)
    }
}

pub struct FacetValue {
    pub label: String,
    pub count: u64,
    pub selected: bool,
    pub href: String,
    /// A status's binding badge class, for the status facet.
    pub class: &'static str,
}

pub struct FacetView {
    pub name: String,
    pub label: &'static str,
    pub values: Vec<FacetValue>,
}

pub struct Chip {
    pub label: String,
    pub value: String,
    pub href: String,
    pub action: &'static str,
}

pub struct HitView {
    pub href: String,
    pub kind: String,
    pub reference: Option<String>,
    pub title: String,
    pub snippet_html: String,
    pub jurisdiction: Option<Badge>,
    pub instrument: Option<(String, String)>,
    pub status: Option<Badge>,
}

pub struct PageLink {
    pub number: usize,
    pub href: String,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "web/search.html")]
pub struct SearchPage {
    pub page: Page,
    pub state: SearchState,
    pub total: usize,
    pub took_ms: String,
    pub hits: Vec<HitView>,
    pub facets: Vec<FacetView>,
    /// Request filters, each with the link that removes it.
    pub active: Vec<Chip>,
    /// What the query's words were read as, applied (removable) or offered (applicable).
    pub understood: Vec<Chip>,
    pub expansions: Vec<Chip>,
    pub relaxed: bool,
    pub dropped: String,
    pub fallback: bool,
    pub pages: Vec<PageLink>,
    pub prev: Option<String>,
    pub next: Option<String>,
    pub sort_relevance: String,
    pub sort_date: String,
    pub literal_href: Option<String>,
    pub first: usize,
    pub last: usize,
}

/// The label of one facet value.
pub fn facet_value_label(catalog: &Catalog, page: &Page, facet: &str, value: &str) -> String {
    match facet {
        "kind" => page.t(&format!("kind.{value}")).to_owned(),
        "jurisdiction" => catalog.code_label("jurisdiction/", value, page.lang),
        "theme" | "role" | "status" => catalog.code_label(&format!("{facet}/"), value, page.lang),
        _ => value.to_owned(),
    }
}

fn view(
    page: Page,
    state: SearchState,
    response: &SearchResponse,
    catalog: &Catalog,
) -> SearchPage {
    let lang = page.lang;
    let hits = response
        .hits
        .iter()
        .map(|hit| HitView {
            href: page.resource(&hit.iri),
            kind: page.t(&format!("kind.{}", hit.kind)).to_owned(),
            reference: hit.reference.clone(),
            title: hit
                .title
                .clone()
                .unwrap_or_else(|| super::layout::local(&hit.iri).to_owned()),
            snippet_html: hit.snippet_html.clone(),
            jurisdiction: hit
                .jurisdiction
                .as_deref()
                .map(|j| catalog.jurisdiction_badge(j, lang)),
            instrument: hit
                .instrument_iri
                .as_deref()
                .filter(|iri| *iri != hit.iri)
                .map(|iri| {
                    (
                        page.resource(iri),
                        hit.instrument.clone().unwrap_or_else(|| iri.to_owned()),
                    )
                }),
            status: hit.status.as_deref().map(|s| {
                catalog.status_badge(&format!("{}status/{s}", crate::graph::names::ID), lang)
            }),
        })
        .collect();
    let facets = FACETS
        .iter()
        .filter_map(|facet| {
            let counts = response.facets.get(*facet)?;
            let mut values: Vec<FacetValue> = counts
                .iter()
                .map(|(value, count)| {
                    let selected = state.has(facet, value);
                    let next = state.changed(|s| {
                        if selected {
                            s.filters.retain(|(k, v)| !(k == facet && v == value));
                        } else {
                            s.filters.push(((*facet).to_owned(), value.clone()));
                        }
                    });
                    let class = if *facet == "status" {
                        match catalog.binding(&format!("{}status/{value}", crate::graph::names::ID))
                        {
                            Some(true) => "dot binding",
                            Some(false) => "dot voluntary",
                            None => "",
                        }
                    } else {
                        ""
                    };
                    FacetValue {
                        label: facet_value_label(catalog, &page, facet, value),
                        count: *count,
                        selected,
                        href: next.url(&page),
                        class,
                    }
                })
                .collect();
            // Selected first, then by count.
            values.sort_by(|a, b| {
                b.selected
                    .cmp(&a.selected)
                    .then(b.count.cmp(&a.count))
                    .then(a.label.cmp(&b.label))
            });
            // Filters with no hits stay visible, so they can be removed.
            for (k, v) in &state.filters {
                if k == facet && !counts.contains_key(v) {
                    values.insert(
                        0,
                        FacetValue {
                            label: facet_value_label(catalog, &page, facet, v),
                            count: 0,
                            selected: true,
                            href: state
                                .changed(|s| s.filters.retain(|(a, b)| !(a == k && b == v)))
                                .url(&page),
                            class: "",
                        },
                    );
                }
            }
            Some(FacetView {
                name: (*facet).to_owned(),
                label: page.t(&format!("facet.{facet}")),
                values,
            })
        })
        .collect();
    let mut active: Vec<Chip> = state
        .filters
        .iter()
        .map(|(facet, value)| Chip {
            label: page.t(&format!("facet.{facet}")).to_owned(),
            value: facet_value_label(catalog, &page, facet, value),
            href: state
                .changed(|s| s.filters.retain(|(k, v)| !(k == facet && v == value)))
                .url(&page),
            action: page.t("search.remove"),
        })
        .collect();
    for (name, value) in [("from", &state.from), ("to", &state.to)] {
        if !value.is_empty() {
            active.push(Chip {
                label: page.t(&format!("search.{name}")).to_owned(),
                value: value.clone(),
                href: state
                    .changed(|s| {
                        if name == "from" {
                            s.from.clear();
                        } else {
                            s.to.clear();
                        }
                    })
                    .url(&page),
                action: page.t("search.remove"),
            });
        }
    }
    let understood = response
        .understood
        .iter()
        .map(|u| {
            let label = match u.facet.as_str() {
                "from" | "to" => page.t(&format!("search.{}", u.facet)).to_owned(),
                facet => page.t(&format!("facet.{facet}")).to_owned(),
            };
            let value = match u.facet.as_str() {
                "from" | "to" => u.value.clone(),
                facet => facet_value_label(catalog, &page, facet, &u.value),
            };
            if u.applied {
                // Removing what was read from the words: search the words literally.
                Chip {
                    label,
                    value: format!("{value} ← “{}”", u.from),
                    href: state.changed(|s| s.literal = true).url(&page),
                    action: page.t("search.remove"),
                }
            } else {
                let next = state.changed(|s| match u.facet.as_str() {
                    "from" => s.from = u.value.clone(),
                    "to" => s.to = u.value.clone(),
                    facet => {
                        if !s.has(facet, &u.value) {
                            s.filters.push((facet.to_owned(), u.value.clone()));
                        }
                    }
                });
                Chip {
                    label,
                    value: format!("{value} ← “{}”", u.from),
                    href: next.url(&page),
                    action: page.t("search.apply"),
                }
            }
        })
        .collect();
    let expansions = response
        .expansions
        .iter()
        .map(|e| Chip {
            label: e.label.clone(),
            value: catalog.code_label("theme/", &e.theme, lang),
            href: state
                .changed(|s| {
                    if !s.has("theme", &e.theme) {
                        s.filters.push(("theme".into(), e.theme.clone()));
                    }
                })
                .url(&page),
            action: page.t("search.apply"),
        })
        .collect();
    let page_count = response.total.div_ceil(PAGE_SIZE).clamp(1, MAX_PAGE);
    let at = state.page;
    let window = at.saturating_sub(3).max(1)..=(at + 3).min(page_count);
    let to_page = |n: usize| {
        let mut s = state.clone();
        s.page = n;
        s.url(&page)
    };
    let pages = if page_count > 1 {
        window
            .map(|n| PageLink {
                number: n,
                href: to_page(n),
                current: n == at,
            })
            .collect()
    } else {
        Vec::new()
    };
    let first = if response.hits.is_empty() {
        0
    } else {
        (at - 1) * PAGE_SIZE + 1
    };
    SearchPage {
        total: response.total,
        took_ms: format!("{:.0}", response.took_ms),
        hits,
        facets,
        active,
        understood,
        expansions,
        relaxed: response.relaxed,
        dropped: response.dropped.join(", "),
        fallback: response.fallback,
        prev: (at > 1).then(|| to_page(at - 1)),
        next: (at < page_count).then(|| to_page(at + 1)),
        pages,
        sort_relevance: state.changed(|s| s.sort_date = false).url(&page),
        sort_date: state.changed(|s| s.sort_date = true).url(&page),
        literal_href: (!state.literal && !response.understood.is_empty())
            .then(|| state.changed(|s| s.literal = true).url(&page)),
        first,
        last: (first + response.hits.len()).saturating_sub(1),
        page,
        state,
    }
}

pub async fn page(
    State(web): State<Web>,
    OriginalUri(uri): OriginalUri,
    Query(pairs): Query<Vec<(String, String)>>,
    headers: HeaderMap,
) -> Response {
    let page = Page::new(uri.path(), &pairs, &headers, "search");
    let lang = page.lang;
    match render(web, page, &pairs).await {
        Ok(html) => Html(html).into_response(),
        Err(error) => Failed(error, lang).into_response(),
    }
}

async fn render(web: Web, page: Page, pairs: &[(String, String)]) -> Result<String, WebError> {
    let state = SearchState::parse(pairs)?;
    let index = web.index.clone().ok_or(WebError::NoSearch)?;
    let request = state.request();
    let title = if state.q.is_empty() {
        page.t("search.title").to_owned()
    } else {
        format!("{} — {}", state.q, page.t("search.title"))
    };
    let page = page.titled(title);
    blocking(move || {
        let response = index.search(&request)?;
        let catalog = web.catalog()?;
        Ok(view(page, state, &response, &catalog).render()?)
    })
    .await
}

/// The CSV export of the current search lives at `/api/export/search.csv` with the same
/// parameters; the page links there.
impl SearchPage {
    pub fn csv_href(&self) -> String {
        let mut pairs = self.state.pairs();
        pairs.retain(|(k, _)| k != "page");
        let borrowed: Vec<(&str, &str)> = pairs
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        with_query("/api/export/search.csv", &borrowed)
    }
}
