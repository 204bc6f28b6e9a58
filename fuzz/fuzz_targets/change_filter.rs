//! The change history's query string (`GET /api/changes?…`, `/feeds/changes.atom?…`, and the
//! filters of alert subscriptions): URL query bytes → `changes::Filter::from_query` against the
//! shipped catalogue's codes, and `cursor` → `changes::decode_cursor`.
//!
//! Checks: no panic; a refused query is the caller's error (`is_client_error`), never a graph
//! error; an accepted filter holds only full IRIs of known terms and known kinds, at most
//! `MAX_VALUES` per field, `until` after `since`; resolving it again changes nothing.
#![no_main]

mod common;

use crosswalk::changes::{self, Filter, KINDS, MAX_VALUES};
use crosswalk::graph::codes::Codes;
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn codes() -> &'static Codes {
    static CODES: OnceLock<Codes> = OnceLock::new();
    CODES.get_or_init(|| Codes::load(common::catalogue()).expect("codes"))
}

fuzz_target!(|data: &[u8]| {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(data).unwrap_or_default();
    for (key, value) in &pairs {
        if key == "cursor" {
            let _ = changes::decode_cursor(value);
        }
    }
    let filter = match Filter::from_query(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())), codes()) {
        Ok(filter) => filter,
        Err(error) => {
            assert!(error.is_client_error(), "{error}");
            return;
        }
    };
    for list in [
        &filter.jurisdiction,
        &filter.instrument,
        &filter.source,
        &filter.theme,
        &filter.role,
    ] {
        assert!(list.len() <= MAX_VALUES);
        assert!(list.iter().all(|v| v.starts_with("https://w3id.org/crosswalk/id/")), "{list:?}");
    }
    assert!(filter.kind.iter().all(|k| KINDS.contains(&k.as_str())));
    if let (Some(since), Some(until)) = (filter.since, filter.until) {
        assert!(since < until);
    }
    let again = filter.clone().resolved(codes()).expect("a resolved filter resolves");
    assert_eq!(again, filter);
});
