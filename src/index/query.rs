//! Running a search request: reading the query, filtering, counting facets, shaping the response.
//!
//! * A plain query (no boolean operators) is read by [`super::understand`] and ranked in tiers
//!   by [`super::plain`]: every content word must match; stop words never do; theme and typo
//!   alternatives add documents below text matches; references named in the query come first;
//!   jurisdictions, roles and dates it names become filters, listed in `understood`. When no
//!   document holds every content word, the fewest, most common words are dropped and named in
//!   `dropped` (`relaxed: true`).
//! * A query with operators (`AND`, `OR`, `NOT`, `+`, `-`, …) is Tantivy's syntax
//!   ([`super::boolean`]); input that does not parse is read as plain words (`fallback: true`).
//! * Filters (facet values: OR within a facet, AND across; `from`/`to` on appliesFrom) do not
//!   change scores. Facet counts are over all matching documents, with every filter applied
//!   ([`super::facets`]).

use super::IndexError;
use super::facets::{FacetCache, FacetCounts};
use super::schema::{FACETS, Fields};
use super::syntax::{has_operators, plain_pieces, split_field_filters};
use super::understand::{self, Expansion, Understood};
use super::vocabulary::Vocabulary;
use super::{analysis, boolean, plain};
use serde::Serialize;
use std::collections::BTreeMap;
use std::ops::Bound;
use tantivy::query::{
    BooleanQuery, ConstScoreQuery, FuzzyTermQuery, Occur, Query, QueryParser, RangeQuery, TermQuery,
};
use tantivy::schema::{Facet, Field, IndexRecordOption, Value};
use tantivy::snippet::SnippetGenerator;
use tantivy::{DocAddress, Index, Order, Searcher, TantivyDocument, Term};

pub const MAX_QUERY_CHARS: usize = 1000;
pub const MAX_LIMIT: usize = 100;
pub const DEFAULT_LIMIT: usize = 20;
pub const MAX_OFFSET: usize = 10_000;
const SNIPPET_CHARS: usize = 200;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Sort {
    #[default]
    Relevance,
    /// Newest first by appliesFrom (else entry into force, else document date).
    Date,
}

#[derive(Debug, Clone)]
pub struct SearchRequest {
    pub q: String,
    /// Facet name (see `schema::FACETS`) → accepted values.
    pub filters: BTreeMap<String, Vec<String>>,
    /// appliesFrom bounds, inclusive, as YYYYMMDD.
    pub from: Option<i64>,
    pub to: Option<i64>,
    pub limit: Option<usize>,
    pub offset: usize,
    pub sort: Sort,
    /// Read jurisdictions, roles and dates in the query as filters (default); false searches
    /// the literal words.
    pub understand: bool,
}

impl Default for SearchRequest {
    fn default() -> Self {
        Self {
            q: String::new(),
            filters: BTreeMap::new(),
            from: None,
            to: None,
            limit: None,
            offset: 0,
            sort: Sort::default(),
            understand: true,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Hit {
    pub iri: String,
    pub kind: String,
    #[serde(rename = "ref")]
    pub reference: Option<String>,
    pub title: Option<String>,
    pub snippet_html: String,
    pub jurisdiction: Option<String>,
    /// Instrument short name (its IRI if it has none).
    pub instrument: Option<String>,
    pub instrument_iri: Option<String>,
    pub status: Option<String>,
    /// Ranking score (0 when sorted by date): its whole part counts how the query's parts
    /// matched (see README "Ranking"), the fraction is BM25.
    pub score: f32,
}

#[derive(Debug, Clone, Serialize)]
pub struct SearchResponse {
    pub total: usize,
    pub took_ms: f64,
    pub facets: BTreeMap<String, BTreeMap<String, u64>>,
    /// Themes whose tagged documents the query also finds.
    pub expansions: Vec<Expansion>,
    /// True when the query did not parse and its plain words were searched instead.
    pub fallback: bool,
    /// True when no document had every content word, so some were dropped (`dropped`).
    pub relaxed: bool,
    /// The words dropped by relaxation, as typed.
    pub dropped: Vec<String>,
    /// Jurisdictions, roles, themes and dates read from the query, applied as filters or offered.
    pub understood: Vec<Understood>,
    pub hits: Vec<Hit>,
}

/// Everything a query needs from the open index.
pub struct Context<'a> {
    pub index: &'a Index,
    pub searcher: &'a Searcher,
    pub fields: &'a Fields,
    pub vocabulary: &'a Vocabulary,
    pub facets: &'a FacetCache,
}

impl Context<'_> {
    /// True when some language's analyzer drops `word` (lower case).
    pub fn is_stop_word(&self, word: &str) -> bool {
        analysis::is_stop_word(self.index, word)
    }

    /// Documents tagged with a theme.
    pub fn theme_tag(&self, theme: &str) -> Box<dyn Query> {
        facet_term(self.fields.theme, theme)
    }

    /// Documents with a facet value (`None` for an unknown facet).
    pub fn tag(&self, facet: &str, value: &str) -> Option<Box<dyn Query>> {
        Some(facet_term(self.fields.facet(facet)?, value))
    }
}

/// Filters read from the query text, applied beside the request's.
#[derive(Debug, Clone, Default)]
pub(super) struct TextFilters {
    pub facets: BTreeMap<String, Vec<String>>,
    /// appliesFrom bounds, YYYYMMDD.
    pub from: Option<i64>,
    pub to: Option<i64>,
}

/// How the text was searched, and what to say about it.
pub(super) struct Plan {
    pub query: Box<dyn Query>,
    pub expansions: Vec<Expansion>,
    pub understood: Vec<Understood>,
    pub filters: TextFilters,
    pub fallback: bool,
    pub relaxed: bool,
    pub dropped: Vec<String>,
}

pub fn execute(ctx: &Context<'_>, req: &SearchRequest) -> Result<SearchResponse, IndexError> {
    let started = std::time::Instant::now();
    let chars = req.q.chars().count();
    if chars > MAX_QUERY_CHARS {
        return Err(IndexError::QueryTooLong {
            chars,
            max: MAX_QUERY_CHARS,
        });
    }
    if req.offset > MAX_OFFSET {
        return Err(IndexError::BadRequest(format!(
            "offset {} is past the limit of {MAX_OFFSET}; narrow the query instead",
            req.offset
        )));
    }
    if let Some(name) = req.filters.keys().find(|f| ctx.fields.facet(f).is_none()) {
        return Err(IndexError::BadRequest(format!(
            "unknown facet {name:?}; facets are {}",
            FACETS.join(", ")
        )));
    }
    let limit = req.limit.unwrap_or(DEFAULT_LIMIT).min(MAX_LIMIT);
    let (text, field_filters) = split_field_filters(req.q.trim());
    let boolean = if has_operators(&text) {
        boolean::query(ctx, &text)?
    } else {
        None
    };
    let (plan, run) = match boolean {
        Some((query, expansions)) => {
            let plan = Plan {
                query,
                expansions,
                understood: Vec::new(),
                filters: TextFilters::default(),
                fallback: false,
                relaxed: false,
                dropped: Vec::new(),
            };
            let query = with_filters(
                ctx.fields,
                plan.query.box_clone(),
                req,
                &plan.filters,
                &field_filters,
            );
            (plan, run_query(ctx, req, query, limit)?)
        }
        None => {
            let fallback = has_operators(&text);
            let pieces = if fallback {
                // Unparseable syntax: its words, without the operators.
                plain_pieces(&super::reference::parts(&text).join(" "))
            } else {
                plain_pieces(&text)
            };
            let options = understand::Options {
                understand: req.understand,
                filters: Some(&req.filters),
                has_from: req.from.is_some(),
                has_to: req.to.is_some(),
            };
            let mut reading =
                understand::read(&pieces, ctx.vocabulary, &options, &|w| ctx.is_stop_word(w));
            loop {
                let mut planned = plain::plan(ctx, &reading, fallback)?;
                let understood = planned.plan.filters.clone();
                let filtered =
                    |query| with_filters(ctx.fields, query, req, &understood, &field_filters);
                let mut run = run_query(ctx, req, filtered(planned.plan.query.box_clone()), limit)?;
                if run.total == 0 && planned.relaxable() && planned.relax(ctx, &filtered)? {
                    run = run_query(ctx, req, filtered(planned.plan.query.box_clone()), limit)?;
                }
                // Filters read from the text never make a query fail: without results, the
                // dates, then the jurisdictions, are offered instead of applied.
                if run.total > 0 || !reading.unapply() {
                    break (planned.plan, run);
                }
            }
        }
    };
    let Run {
        query,
        scored,
        total,
        counts,
    } = run;
    let facets = FACETS
        .iter()
        .zip(counts)
        .map(|(name, counts)| ((*name).to_owned(), counts))
        .collect();
    let mut hits = Vec::new();
    if limit > 0 {
        let snippets = ctx
            .fields
            .texts
            .iter()
            .map(|field| {
                // A field in which no term of the query occurs can highlight nothing; its
                // generator would only tokenize every hit's text to find that out (the whole
                // cost of the snippets on a page without words).
                let mut terms = Vec::new();
                query.query_terms(&mut |term, _| {
                    if term.field() == *field {
                        terms.push(term.clone());
                    }
                });
                let mut live = false;
                for term in &terms {
                    if ctx.searcher.doc_freq(term)? > 0 {
                        live = true;
                        break;
                    }
                }
                if !live {
                    return Ok((*field, None));
                }
                let mut generator = SnippetGenerator::create(ctx.searcher, &*query, *field)?;
                generator.set_max_num_chars(SNIPPET_CHARS);
                Ok((*field, Some(generator)))
            })
            .collect::<Result<Vec<_>, tantivy::TantivyError>>()?;
        for (score, address) in scored.into_iter().take(limit) {
            let doc: TantivyDocument = ctx.searcher.doc(address)?;
            hits.push(hit(ctx.fields, &doc, score, &snippets));
        }
    }
    Ok(SearchResponse {
        total,
        took_ms: started.elapsed().as_secs_f64() * 1000.0,
        facets,
        expansions: plan.expansions,
        fallback: plan.fallback,
        relaxed: plan.relaxed,
        dropped: plan.dropped,
        understood: plan.understood,
        hits,
    })
}

/// One evaluation of the query: the top `limit` and the counts over every match.
pub(super) struct Run {
    pub query: Box<dyn Query>,
    pub scored: Vec<(f32, DocAddress)>,
    pub total: usize,
    pub counts: FacetCounts,
}

fn run_query(
    ctx: &Context<'_>,
    req: &SearchRequest,
    query: Box<dyn Query>,
    limit: usize,
) -> Result<Run, IndexError> {
    let counter = ctx.facets.collector(ctx.fields, ctx.searcher);
    let top = tantivy::collector::TopDocs::with_limit(limit.max(1)).and_offset(req.offset);
    let (scored, (total, counts)): (Vec<(f32, DocAddress)>, _) = match req.sort {
        Sort::Relevance => ctx
            .searcher
            .search(&*query, &(top.order_by_score(), counter))?,
        Sort::Date => {
            let (top, counted) = ctx.searcher.search(
                &*query,
                &(
                    top.order_by_fast_field::<i64>("sort_date", Order::Desc),
                    counter,
                ),
            )?;
            (
                top.into_iter().map(|(_, addr)| (0.0, addr)).collect(),
                counted,
            )
        }
    };
    Ok(Run {
        query,
        scored,
        total,
        counts,
    })
}

/// A query parser over the default fields with their boosts; `all` makes words required.
pub(super) fn text_parser(ctx: &Context<'_>, all: bool) -> QueryParser {
    let defaults = ctx.fields.default_search();
    let mut parser = QueryParser::for_index(ctx.index, defaults.iter().map(|(f, _)| *f).collect());
    for (field, boost) in &defaults {
        parser.set_field_boost(*field, *boost);
    }
    if all {
        parser.set_conjunction_by_default();
    }
    parser
}

/// A conjunctive parser over the titles and texts of the language slots `slots` (one bit per
/// slot), with the default boosts: for words known to be in those languages.
pub(super) fn language_parser(ctx: &Context<'_>, slots: u8) -> QueryParser {
    let fields = &ctx.fields;
    let chosen: Vec<(Field, f32)> = fields
        .default_search()
        .into_iter()
        .filter(|(field, _)| {
            (0..fields.texts.len()).any(|slot| {
                slots & (1 << slot) != 0
                    && (fields.titles[slot] == *field || fields.texts[slot] == *field)
            })
        })
        .collect();
    let mut parser = QueryParser::for_index(ctx.index, chosen.iter().map(|(f, _)| *f).collect());
    for (field, boost) in &chosen {
        parser.set_field_boost(*field, *boost);
    }
    parser.set_conjunction_by_default();
    parser
}

/// Any word starting with `prefix` (lower case) in a title, text or reference.
pub(super) fn prefix_query(ctx: &Context<'_>, prefix: &str) -> Box<dyn Query> {
    let any: Vec<Box<dyn Query>> = ctx
        .fields
        .titles
        .iter()
        .chain(&ctx.fields.texts)
        .chain([&ctx.fields.reference])
        .map(|field| {
            let term = Term::from_field_text(*field, prefix);
            Box::new(FuzzyTermQuery::new_prefix(term, 0, true)) as Box<dyn Query>
        })
        .collect();
    Box::new(BooleanQuery::union(any))
}

fn facet_term(field: tantivy::schema::Field, value: &str) -> Box<dyn Query> {
    let term = Term::from_facet(field, &Facet::from_path([value]));
    Box::new(TermQuery::new(term, IndexRecordOption::Basic))
}

/// The text query with every filter: the request's, the query text's `facet:value`, and what
/// was understood from the text (for a facet the request does not filter, and dates it leaves
/// open).
fn with_filters(
    fields: &Fields,
    text: Box<dyn Query>,
    req: &SearchRequest,
    understood: &TextFilters,
    field_filters: &[(Occur, &str, String)],
) -> Box<dyn Query> {
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, text)];
    for (occur, name, value) in field_filters {
        if let Some(field) = fields.facet(name) {
            clauses.push((*occur, unscored(facet_term(field, value))));
        }
    }
    let mut filters = req.filters.clone();
    for (facet, values) in &understood.facets {
        filters
            .entry(facet.clone())
            .or_insert_with(|| values.clone());
    }
    for (name, values) in &filters {
        let values: Vec<&String> = values.iter().filter(|v| !v.is_empty()).collect();
        let Some(field) = fields.facet(name).filter(|_| !values.is_empty()) else {
            continue;
        };
        let any: Vec<Box<dyn Query>> = values.iter().map(|v| facet_term(field, v)).collect();
        clauses.push((Occur::Must, unscored(Box::new(BooleanQuery::union(any)))));
    }
    let (from, to) = (req.from.or(understood.from), req.to.or(understood.to));
    if from.is_some() || to.is_some() {
        let bound = |d: Option<i64>| match d {
            Some(d) => Bound::Included(Term::from_field_i64(fields.applies_from, d)),
            None => Bound::Unbounded,
        };
        let range = RangeQuery::new(bound(from), bound(to));
        clauses.push((Occur::Must, unscored(Box::new(range))));
    }
    if clauses.len() == 1 {
        clauses.pop().map(|(_, q)| q).expect("one clause")
    } else {
        Box::new(BooleanQuery::new(clauses))
    }
}

fn unscored(query: Box<dyn Query>) -> Box<dyn Query> {
    Box::new(ConstScoreQuery::new(query, 0.0))
}

fn hit(
    fields: &Fields,
    doc: &TantivyDocument,
    score: f32,
    snippets: &[(tantivy::schema::Field, Option<SnippetGenerator>)],
) -> Hit {
    let text = |field| {
        doc.get_first(field)
            .and_then(|v| v.as_str().map(str::to_owned))
    };
    let facet = |field| {
        doc.get_first(field).and_then(|v| {
            v.as_facet()
                .map(|f| f.rsplit('/').next().unwrap_or(f).to_owned())
        })
    };
    let snippet_html = snippets
        .iter()
        .filter_map(|(_, generator)| generator.as_ref())
        .map(|generator| generator.snippet_from_doc(doc))
        .find(|s| !s.highlighted().is_empty())
        .map(|s| s.to_html())
        .unwrap_or_else(|| {
            let plain = snippets
                .iter()
                .find_map(|(field, _)| text(*field))
                .unwrap_or_default();
            escape_html(&truncate(&plain, SNIPPET_CHARS))
        });
    let instrument_iri = text(fields.instrument);
    Hit {
        iri: text(fields.iri).unwrap_or_default(),
        kind: facet(fields.kind).unwrap_or_default(),
        reference: text(fields.reference),
        title: text(fields.title),
        snippet_html,
        jurisdiction: facet(fields.jurisdiction),
        instrument: text(fields.instrument_name).or_else(|| instrument_iri.clone()),
        instrument_iri,
        status: facet(fields.status),
        score,
    }
}

fn truncate(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.to_owned(),
    }
}

fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping() {
        assert_eq!(escape_html("<b>&\"'"), "&lt;b&gt;&amp;&quot;&#39;");
        assert_eq!(truncate("abcdef", 3), "abc…");
    }
}
