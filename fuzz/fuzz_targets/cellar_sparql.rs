//! CELLAR's SPARQL endpoint answering the relations query: response bytes →
//! `fetch::cellar::parse_relations` (SPARQL 1.1 Query Results JSON in any key order, Virtuoso's
//! `typed-literal`, CDM rows of consolidated versions and amending acts).
//!
//! Checks: no panic; every CELEX kept is a CELEX number, consolidated versions are sector 0
//! with their date suffix, dates are valid `YYYY-MM-DD`, lists are sorted without duplicate
//! CELEX, and the newest consolidated version is one of them.
#![no_main]

use crosswalk::fetch::cellar;
use crosswalk::source::is_celex;
use libfuzzer_sys::fuzz_target;

fn valid_date(date: &Option<String>) -> bool {
    date.as_deref()
        .is_none_or(|d| d.len() == 10 && chrono_like(d))
}

/// `YYYY-MM-DD` with a plausible month and day (the parser only keeps dates chrono accepts).
fn chrono_like(d: &str) -> bool {
    let b = d.as_bytes();
    b[4] == b'-'
        && b[7] == b'-'
        && d[..4].bytes().all(|c| c.is_ascii_digit())
        && matches!(d[5..7].parse::<u8>(), Ok(1..=12))
        && matches!(d[8..10].parse::<u8>(), Ok(1..=31))
}

fuzz_target!(|data: &[u8]| {
    let Ok(relations) = cellar::parse_relations(data) else {
        return;
    };
    for list in [
        relations
            .consolidated
            .iter()
            .map(|c| c.celex.as_str())
            .collect::<Vec<_>>(),
        relations
            .amending
            .iter()
            .map(|a| a.celex.as_str())
            .collect(),
    ] {
        assert!(list.iter().all(|c| is_celex(c)), "invalid CELEX in {list:?}");
        assert!(list.windows(2).all(|w| w[0] < w[1]), "unsorted or duplicate: {list:?}");
    }
    for version in &relations.consolidated {
        assert!(version.celex.starts_with('0'), "{version:?} is not sector 0");
        assert!(valid_date(&version.date), "{version:?}");
    }
    for act in &relations.amending {
        assert!(valid_date(&act.date), "{act:?}");
    }
    if let Some(latest) = relations.latest_consolidated() {
        assert!(relations.consolidated.contains(latest));
    } else {
        assert!(relations.consolidated.is_empty());
    }
});
