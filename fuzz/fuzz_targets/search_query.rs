//! The full-text search a user types (`GET /api/search?q=…`), run on the search index of the
//! shipped catalogue with the service's schema, analysers, theme labels and facets.
//!
//! Input: one byte choosing sort, limit, offset, date bounds and a facet, then the query text
//! (UTF-8, lossy); text after a NUL byte is the facet's value; a second NUL turns query
//! understanding off. Checks (the search contract): no panic; a query of at most
//! `MAX_QUERY_CHARS` characters never fails (syntax that does not parse is searched as plain
//! words), a longer one is a client error; a page holds at most `limit` (capped at `MAX_LIMIT`)
//! hits and each hit has an IRI; expansions name each theme once; `relaxed` exactly when words
//! were `dropped`, each dropped word typed in the query; everything `understood` has a known
//! facet, was typed in the query (dates as ISO dates), and nothing is understood when
//! understanding is off; an applied jurisdiction holds for every hit.
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
    let (value, literal) = match value.split_once('\0') {
        Some((value, _)) => (value, true),
        None => (value, false),
    };
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
        understand: !literal,
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
            assert_eq!(response.relaxed, !response.dropped.is_empty(), "relaxed without dropped words");
            // Every alphanumeric run of `text` was typed (in any case).
            let lower = q.to_lowercase();
            let typed = |text: &str| {
                text.to_lowercase()
                    .split(|c: char| !c.is_alphanumeric())
                    .all(|w| lower.contains(w))
            };
            for word in &response.dropped {
                assert!(typed(word), "dropped {word:?} was not typed in {q:?}");
            }
            if literal {
                assert!(
                    response.understood.iter().all(|u| u.facet == "theme" && !u.applied)
                        || response.understood.is_empty(),
                    "understood with understanding off: {:?}",
                    response.understood
                );
            }
            let mut applied_jurisdictions = Vec::new();
            for u in &response.understood {
                assert!(
                    ["jurisdiction", "role", "theme", "from", "to"].contains(&u.facet.as_str()),
                    "unknown facet {:?}",
                    u.facet
                );
                assert!(typed(&u.from), "understood {:?} was not typed in {q:?}", u.from);
                if u.facet == "from" || u.facet == "to" {
                    let iso = u.value.len() == 10
                        && u.value.char_indices().all(|(i, c)| {
                            if i == 4 || i == 7 { c == '-' } else { c.is_ascii_digit() }
                        });
                    assert!(iso, "date {:?} is not YYYY-MM-DD", u.value);
                } else if u.facet == "jurisdiction" && u.applied {
                    applied_jurisdictions.push(u.value.clone());
                }
            }
            if !applied_jurisdictions.is_empty() && !request.filters.contains_key("jurisdiction") {
                for hit in &response.hits {
                    let j = hit.jurisdiction.clone().unwrap_or_default();
                    assert!(
                        applied_jurisdictions.contains(&j),
                        "hit {} in {j:?} outside the understood {applied_jurisdictions:?}",
                        hit.iri
                    );
                }
            }
        }
        Err(IndexError::QueryTooLong { .. }) => assert!(chars > MAX_QUERY_CHARS),
        Err(IndexError::BadRequest(_)) => assert!(request.offset > MAX_OFFSET),
        Err(other) => panic!("search of {q:?} failed: {other}"),
    }
});
