//! A listing page or feed: body bytes and a Content-Type → charset decoding →
//! `extract::links::links` (HTML anchors outside navigation, RSS 2.0 / RSS 1.0 items, Atom
//! entries), resolved against the page's URL.
//!
//! Input: one byte choosing the Content-Type, then the body. Checks: no panic; HTML never
//! fails and only feeds may (malformed XML); every link is an absolute http(s) URL without
//! fragment, links are unique, at most `MAX_LINKS`, and dates are `YYYY-MM-DD`.
#![no_main]

use crosswalk::extract::ExtractError;
use crosswalk::extract::links::{self, MAX_LINKS};
use crosswalk::fetch::charset::decode_html;
use libfuzzer_sys::fuzz_target;
use std::collections::HashSet;

const CONTENT_TYPES: [Option<&str>; 4] = [
    None,
    Some("text/html; charset=utf-8"),
    Some("application/rss+xml"),
    Some("application/atom+xml; charset=utf-8"),
];

fuzz_target!(|data: &[u8]| {
    let Some((&choice, body)) = data.split_first() else {
        return;
    };
    let content_type = CONTENT_TYPES[usize::from(choice & 3)];
    let (text, _) = decode_html(body, content_type);
    let base = url::Url::parse("https://www.example.gov.sg/resources/publications").unwrap();
    let found = match links::links(&text, content_type, &base) {
        Ok(found) => found,
        Err(ExtractError::MalformedXml(_)) => return,
        Err(other) => panic!("links failed with {other:?}"),
    };
    assert!(found.len() <= MAX_LINKS);
    let mut seen = HashSet::new();
    for link in &found {
        let url = url::Url::parse(&link.url).expect("links are absolute URLs");
        assert!(matches!(url.scheme(), "http" | "https"), "{}", link.url);
        assert!(url.fragment().is_none(), "{}", link.url);
        assert!(seen.insert(link.url.as_str()), "duplicate {}", link.url);
        if let Some(date) = &link.date {
            assert!(date.len() == 10 && date.as_bytes()[4] == b'-', "{date}");
        }
    }
});
