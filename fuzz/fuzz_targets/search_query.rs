//! The full-text search a user types (`GET /api/search?q=…`), run on the search index of the
//! shipped catalogue with the service's schema, analysers, theme labels and facets.
//!
//! Input: one byte choosing sort, limit, offset, date bounds and a facet, then the query text
//! (UTF-8, lossy); text after a NUL byte is the facet's value. Checks (the search contract):
//! no panic; a query of at most `MAX_QUERY_CHARS` characters never fails (syntax that does not
//! parse is searched as plain words), a longer one is a client error; a page holds at most
//! `limit` (capped at `MAX_LIMIT`) hits and each hit has an IRI; expansions name each theme once.
#![no_main]

mod common;

use crosswalk::index::query::{MAX_LIMIT, MAX_OFFSET, MAX_QUERY_CHARS};
use crosswalk::index::{IndexError, SearchRequest, Sort};
use libfuzzer_sys::fuzz_target;
use std::collections::{BTreeMap, HashSet};

const LIMITS: [Option<usize>; 4] = [None, Some(0), Some(3), Some(1000)];
const OFFSETS: [usize; 4] = [0, 1, 50, MAX_OFFSET + 1];
const FACETS: [Option<&str>; 4] = [None, Some("jurisdiction"), Some("theme"), Some("kind")];

fuzz_target!(|data: &[u8]| {
    let index = common::search_index();
    let Some((&choice, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    let (q, value) = text.split_once('\0').unwrap_or((&text, ""));
    let pick = |shift: u8| usize::from((choice >> shift) & 3);
    let mut filters = BTreeMap::new();
    if let Some(facet) = FACETS[pick(6)] {
        filters.insert(facet.to_owned(), vec![value.to_owned()]);
    }
    let dated = choice & 0x20 != 0;
    let request = SearchRequest {
        q: q.to_owned(),
        filters,
        from: dated.then_some(20240101),
        to: dated.then_some(20261231),
        limit: LIMITS[pick(1)],
        offset: OFFSETS[pick(3)],
        sort: if choice & 1 != 0 {
            Sort::Date
        } else {
            Sort::Relevance
        },
    };
    let chars = request.q.chars().count();
    match index.search(&request) {
        Ok(response) => {
            assert!(chars <= MAX_QUERY_CHARS, "over-long query accepted");
            assert!(
                request.offset <= MAX_OFFSET,
                "offset past the limit accepted"
            );
            let limit = request.limit.unwrap_or(20).min(MAX_LIMIT);
            assert!(
                response.hits.len() <= limit,
                "{} hits for limit {limit}",
                response.hits.len()
            );
            if request.offset == 0 {
                assert!(
                    response.hits.len() <= response.total,
                    "more hits than matches"
                );
            }
            assert!(
                response.hits.iter().all(|h| !h.iri.is_empty()),
                "hit without IRI"
            );
            let mut themes = HashSet::new();
            assert!(
                response.expansions.iter().all(|e| themes.insert(&e.theme)),
                "a theme expanded twice"
            );
        }
        Err(IndexError::QueryTooLong { .. }) => assert!(chars > MAX_QUERY_CHARS),
        Err(IndexError::BadRequest(_)) => assert!(request.offset > MAX_OFFSET),
        Err(other) => panic!("search of {q:?} failed: {other}"),
    }
});
