//! robots.txt as fetched from an origin: body bytes and the URL to judge →
//! `fetch::robots::judge` (texting_robots parsing, group selection for our product token,
//! longest-match rules, Crawl-delay capped and converted to a duration).
//!
//! Input: the first line is the URL path (and query) to judge, the rest the robots.txt body.
//! Checks: no panic; a fetched file never makes the origin unreachable; the delay is capped;
//! a file without any Disallow line (every spelling texting_robots accepts starts with a `d`)
//! allows everything; "unavailable" allows and "unreachable" disallows without parsing.
#![no_main]

use crosswalk::fetch::robots::{self, MAX_CRAWL_DELAY};
use crosswalk::fetch::robots::RobotsEntry;
use libfuzzer_sys::fuzz_target;
use url::Url;

const AGENT: &str = "CrosswalkBot";

fuzz_target!(|data: &[u8]| {
    let (path, body) = match data.iter().position(|&b| b == b'\n') {
        Some(end) => (&data[..end], &data[end + 1..]),
        None => (data, &[][..]),
    };
    let base = Url::parse("https://example.org/").expect("base URL");
    let Ok(url) = base.join(&String::from_utf8_lossy(path)) else {
        return;
    };
    let entry = |status: &str| RobotsEntry {
        status: status.into(),
        body: body.to_vec(),
        fetched_at: 0,
    };
    let verdict = robots::judge(AGENT, &entry("ok"), &url);
    assert!(
        !verdict.unreachable,
        "a fetched robots.txt made the origin unreachable"
    );
    if let Some(delay) = verdict.delay {
        assert!(delay <= MAX_CRAWL_DELAY, "Crawl-delay {delay:?} not capped");
    }
    if !body.iter().any(|b| b.eq_ignore_ascii_case(&b'd')) {
        assert!(
            verdict.allowed,
            "{url} disallowed by a file without Disallow"
        );
    }
    let unavailable = robots::judge(AGENT, &entry("unavailable"), &url);
    assert!(unavailable.allowed && !unavailable.unreachable);
    let unreachable = robots::judge(AGENT, &entry("unreachable"), &url);
    assert!(!unreachable.allowed && unreachable.unreachable);
});
