//! Turning a search request into a Tantivy query, running it, and shaping the response.
//!
//! * User syntax is Tantivy's: `"phrases"`, `prefix*`, `AND`/`OR`/`NOT`, `+must`, `-not`,
//!   `field:value` (facet fields take a bare value: `jurisdiction:SG`). Every word must match,
//!   ranked by BM25; when no document has them all, any word does (`relaxed: true`). Input that
//!   does not parse is searched as its plain words (`fallback: true`).
//! * Typo tolerance: a bare word of 5+ characters found in fewer than three documents also
//!   matches within edit distance 1 (9+ characters: 2), at a lower weight than exact matches.
//! * Graph-aware expansion: a theme label (any language) appearing as whole words in the query
//!   also matches documents tagged with that theme, at a constant score below text matches.
//! * Filters (facet values: OR within a facet, AND across; `from`/`to` on appliesFrom) do not
//!   change scores. Facet counts are over all matching documents, with every filter applied
//!   ([`super::facets`]).

use super::IndexError;
use super::facets::{FacetCache, FacetCounts};
use super::schema::{FACETS, Fields};
use super::syntax::{bare_words, is_strict, joined_words, split_field_filters, split_prefixes};
use serde::Serialize;
use std::collections::BTreeMap;
use std::ops::Bound;
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, ConstScoreQuery, EnableScoring, FuzzyTermQuery, Occur,
    Query, QueryParser, RangeQuery, TermQuery,
};
use tantivy::schema::{Facet, IndexRecordOption, Value};
use tantivy::snippet::SnippetGenerator;
use tantivy::{DocAddress, Index, Order, Searcher, TantivyDocument, Term};

pub const MAX_QUERY_CHARS: usize = 1000;
pub const MAX_LIMIT: usize = 100;
pub const DEFAULT_LIMIT: usize = 20;
pub const MAX_OFFSET: usize = 10_000;
const SNIPPET_CHARS: usize = 200;
/// Score of a document matched only through a theme expansion (BM25 text matches score higher).
const EXPANSION_SCORE: f32 = 0.5;
const FUZZY_BOOST: f32 = 0.3;
/// Words found in fewer documents than this also match with typos. A word the index knows well
/// is most likely spelled as meant, and its typo neighbours would only add noise and cost.
const TYPO_RARE_BELOW: u64 = 3;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Sort {
    #[default]
    Relevance,
    /// Newest first by appliesFrom (else entry into force, else document date).
    Date,
}

#[derive(Debug, Clone, Default)]
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
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Expansion {
    /// The label that matched the query, as written in the graph.
    pub label: String,
    pub theme: String,
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
    /// BM25 score (0 when sorted by date).
    pub score: f32,
}

#[derive(Debug, Clone, Serialize)]
pub struct SearchResponse {
    pub total: usize,
    pub took_ms: f64,
    pub facets: BTreeMap<String, BTreeMap<String, u64>>,
    pub expansions: Vec<Expansion>,
    /// True when the query did not parse and its plain words were searched instead.
    pub fallback: bool,
    /// True when no document had all the query's words, so documents with any of them are
    /// returned instead.
    pub relaxed: bool,
    pub hits: Vec<Hit>,
}

/// A theme label split into normalised words, for matching against the query's words.
#[derive(Debug, Clone)]
pub struct ThemeLabel {
    pub label: String,
    pub theme: String,
    words: Vec<String>,
}

impl ThemeLabel {
    pub fn new(label: String, theme: String) -> Self {
        let words = words(&label);
        Self {
            label,
            theme,
            words,
        }
    }
}

fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// Theme labels occurring as consecutive whole words of the query; one per theme.
pub fn expansions(q: &str, labels: &[ThemeLabel]) -> Vec<Expansion> {
    let query = words(q);
    let mut out: Vec<Expansion> = Vec::new();
    for label in labels {
        let n = label.words.len();
        if n == 0 || label.words.concat().chars().count() < 3 || n > query.len() {
            continue;
        }
        let found = query.windows(n).any(|w| w == label.words.as_slice());
        if found && !out.iter().any(|e| e.theme == label.theme) {
            out.push(Expansion {
                label: label.label.clone(),
                theme: label.theme.clone(),
            });
        }
    }
    out
}

/// Everything a query needs from the open index.
pub struct Context<'a> {
    pub index: &'a Index,
    pub searcher: &'a Searcher,
    pub fields: &'a Fields,
    pub labels: &'a [ThemeLabel],
    pub facets: &'a FacetCache,
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
    let limit = req.limit.unwrap_or(DEFAULT_LIMIT).min(MAX_LIMIT);
    let (text, field_filters) = split_field_filters(req.q.trim());
    // All words first; only when no document has them all, any of them (and say so).
    let mut relaxed = false;
    let mut run = run_query(ctx, req, &text, &field_filters, Words::All, limit)?;
    if run.total == 0 && joined_words(&text) > 1 {
        run = run_query(ctx, req, &text, &field_filters, Words::Any, limit)?;
        relaxed = true;
    }
    let Run {
        query,
        scored,
        total,
        counts,
        expansions,
        fallback,
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
                let mut generator = SnippetGenerator::create(ctx.searcher, &*query, *field)?;
                generator.set_max_num_chars(SNIPPET_CHARS);
                Ok((*field, generator))
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
        expansions,
        fallback,
        relaxed,
        hits,
    })
}

/// How the words of a query combine when it names no operator.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Words {
    All,
    Any,
}

/// One evaluation of the query: the top `limit` and the counts over every match.
struct Run {
    query: Box<dyn Query>,
    scored: Vec<(f32, DocAddress)>,
    total: usize,
    counts: FacetCounts,
    expansions: Vec<Expansion>,
    fallback: bool,
}

fn run_query(
    ctx: &Context<'_>,
    req: &SearchRequest,
    text: &str,
    field_filters: &[(Occur, &'static str, String)],
    combine: Words,
    limit: usize,
) -> Result<Run, IndexError> {
    let TextQuery {
        query: text_query,
        expansions,
        fallback,
    } = text_query(ctx, text, combine)?;
    let query = with_filters(ctx.fields, text_query, req, field_filters)?;
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
        expansions,
        fallback,
    })
}

/// The scored part of a search, with what shaped it.
struct TextQuery {
    query: Box<dyn Query>,
    /// Theme labels that fired.
    expansions: Vec<Expansion>,
    /// The input did not parse and was searched as plain words.
    fallback: bool,
}

/// The scored part: parsed user query, plus typo-tolerant and theme-expansion alternatives.
fn text_query(ctx: &Context<'_>, q: &str, combine: Words) -> Result<TextQuery, IndexError> {
    if q.is_empty() {
        return Ok(TextQuery {
            query: Box::new(AllQuery),
            expansions: Vec::new(),
            fallback: false,
        });
    }
    let defaults = ctx.fields.default_search();
    let mut parser = QueryParser::for_index(ctx.index, defaults.iter().map(|(f, _)| *f).collect());
    for (field, boost) in &defaults {
        parser.set_field_boost(*field, *boost);
    }
    if combine == Words::All {
        parser.set_conjunction_by_default();
    }
    let (rest, prefixes) = split_prefixes(q);
    // Syntax the parser accepts can still fail when searched: `field:*` becomes an exists
    // query, which needs a fast field of that name. Such input counts as unparseable too.
    let searchable = |query: &dyn Query| {
        query
            .weight(EnableScoring::disabled_from_searcher(ctx.searcher))
            .is_ok()
    };
    let parsed = if rest.is_empty() {
        Some(None)
    } else {
        parser
            .parse_query(&rest)
            .ok()
            .filter(|query| searchable(&**query))
            .map(Some)
    };
    let (main, fallback, plain) = match parsed {
        Some(parsed) => {
            // A bare prefix (`waterm*`) is one more word: required beside the others when all
            // words must match.
            let default = match combine {
                Words::All => Occur::Must,
                Words::Any => Occur::Should,
            };
            let mut clauses: Vec<(Occur, Box<dyn Query>)> =
                parsed.into_iter().map(|query| (default, query)).collect();
            for (occur, prefix) in &prefixes {
                let occur = if *occur == Occur::Should {
                    default
                } else {
                    *occur
                };
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
                clauses.push((occur, Box::new(BooleanQuery::union(any))));
            }
            let main: Box<dyn Query> = if prefixes.is_empty() {
                clauses.pop().map(|(_, q)| q).expect("a parsed query")
            } else {
                Box::new(BooleanQuery::new(clauses))
            };
            (main, false, rest)
        }
        None => {
            let plain = words(q).join(" ");
            (parser.parse_query_lenient(&plain).0, true, plain)
        }
    };
    if is_strict(&plain) && !fallback {
        return Ok(TextQuery {
            query: main,
            expansions: Vec::new(),
            fallback,
        });
    }
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Should, main)];
    let fuzzy = fuzzy_alternatives(ctx, &plain)?;
    if !fuzzy.is_empty() {
        let union = BooleanQuery::union(fuzzy);
        clauses.push((
            Occur::Should,
            Box::new(BoostQuery::new(Box::new(union), FUZZY_BOOST)),
        ));
    }
    let expansions = expansions(q, ctx.labels);
    for e in &expansions {
        let term = Term::from_facet(ctx.fields.theme, &Facet::from_path([e.theme.as_str()]));
        let tagged = TermQuery::new(term, IndexRecordOption::Basic);
        clauses.push((
            Occur::Should,
            Box::new(ConstScoreQuery::new(Box::new(tagged), EXPANSION_SCORE)),
        ));
    }
    let query: Box<dyn Query> = if clauses.len() == 1 {
        clauses.pop().map(|(_, q)| q).expect("one clause")
    } else {
        Box::new(BooleanQuery::new(clauses))
    };
    Ok(TextQuery {
        query,
        expansions,
        fallback,
    })
}

/// Typo-tolerant alternatives for the rare words of `q` (see [`TYPO_RARE_BELOW`]).
fn fuzzy_alternatives(ctx: &Context<'_>, q: &str) -> Result<Vec<Box<dyn Query>>, IndexError> {
    let mut out: Vec<Box<dyn Query>> = Vec::new();
    for word in bare_words(q) {
        let mut known = 0;
        let mut alternatives: Vec<Box<dyn Query>> = Vec::new();
        for field in ctx.fields.titles.iter().chain(&ctx.fields.texts) {
            let Ok(mut analyzer) = ctx.index.tokenizer_for_field(*field) else {
                continue;
            };
            let mut stream = analyzer.token_stream(&word);
            while let Some(token) = stream.next() {
                let term = Term::from_field_text(*field, &token.text);
                known += ctx.searcher.doc_freq(&term)?;
                // The edit distance follows the shorter of word and stem: a short stem (pengujian
                // → uji) at distance 2 would match unrelated short words.
                let length = word.chars().count().min(token.text.chars().count());
                if let Some(distance) = typo_distance(length) {
                    alternatives.push(Box::new(FuzzyTermQuery::new(term, distance, true)));
                }
            }
        }
        if known < TYPO_RARE_BELOW {
            out.extend(alternatives);
        }
    }
    Ok(out)
}

/// Edits tolerated in a word of `length` characters: 1 from 5 characters, 2 from 9.
fn typo_distance(length: usize) -> Option<u8> {
    match length {
        0..5 => None,
        5..9 => Some(1),
        _ => Some(2),
    }
}

fn with_filters(
    fields: &Fields,
    text: Box<dyn Query>,
    req: &SearchRequest,
    field_filters: &[(Occur, &str, String)],
) -> Result<Box<dyn Query>, IndexError> {
    let facet_term = |field, value: &str| -> Box<dyn Query> {
        let term = Term::from_facet(field, &Facet::from_path([value]));
        Box::new(TermQuery::new(term, IndexRecordOption::Basic))
    };
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, text)];
    for (occur, name, value) in field_filters {
        if let Some(field) = fields.facet(name) {
            clauses.push((*occur, unscored(facet_term(field, value))));
        }
    }
    for (name, values) in &req.filters {
        let values: Vec<&String> = values.iter().filter(|v| !v.is_empty()).collect();
        if values.is_empty() {
            continue;
        }
        let Some(field) = fields.facet(name) else {
            return Err(IndexError::BadRequest(format!(
                "unknown facet {name:?}; facets are {}",
                FACETS.join(", ")
            )));
        };
        let any: Vec<Box<dyn Query>> = values.iter().map(|v| facet_term(field, v)).collect();
        clauses.push((Occur::Must, unscored(Box::new(BooleanQuery::union(any)))));
    }
    if req.from.is_some() || req.to.is_some() {
        let bound = |d: Option<i64>| match d {
            Some(d) => Bound::Included(Term::from_field_i64(fields.applies_from, d)),
            None => Bound::Unbounded,
        };
        let range = RangeQuery::new(bound(req.from), bound(req.to));
        clauses.push((Occur::Must, unscored(Box::new(range))));
    }
    Ok(if clauses.len() == 1 {
        clauses.pop().map(|(_, q)| q).expect("one clause")
    } else {
        Box::new(BooleanQuery::new(clauses))
    })
}

fn unscored(query: Box<dyn Query>) -> Box<dyn Query> {
    Box::new(ConstScoreQuery::new(query, 0.0))
}

fn hit(
    fields: &Fields,
    doc: &TantivyDocument,
    score: f32,
    snippets: &[(tantivy::schema::Field, SnippetGenerator)],
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
        .map(|(_, generator)| generator.snippet_from_doc(doc))
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
    fn labels_match_whole_consecutive_words_only() {
        let labels = vec![
            ThemeLabel::new("tanda air".into(), "content-provenance".into()),
            ThemeLabel::new("watermark".into(), "content-provenance".into()),
            ThemeLabel::new("red teaming".into(), "safety-testing".into()),
        ];
        let fired = expansions("Tanda  AIR wajib", &labels);
        assert_eq!(fired.len(), 1);
        assert_eq!(fired[0].theme, "content-provenance");
        assert!(expansions("watermarks", &labels).is_empty());
        assert!(expansions("air tanda", &labels).is_empty());
        assert_eq!(expansions("\"red teaming\" watermark", &labels).len(), 2);
    }

    #[test]
    fn typo_distance_and_escaping() {
        assert_eq!(typo_distance(4), None);
        assert_eq!(typo_distance(5), Some(1));
        assert_eq!(typo_distance(9), Some(2));
        assert_eq!(escape_html("<b>&\"'"), "&lt;b&gt;&amp;&quot;&#39;");
        assert_eq!(truncate("abcdef", 3), "abc…");
    }
}
