//! A fetched HTML page: body bytes and Content-Type → charset decoding → extraction.
//!
//! Input: one byte choosing the Content-Type, content selectors and language (the per-source
//! settings), then the body. Checks: extraction never panics, fails only in the ways an HTML
//! page can (selector missing, challenge page, no text), and its results keep their promises
//! (`common::check_extracted`).
#![no_main]

mod common;

use crosswalk::extract::{self, Document, ExtractError, ExtractOptions};
use crosswalk::fetch::charset::decode_html;
use libfuzzer_sys::fuzz_target;

const CONTENT_TYPES: [Option<&str>; 4] = [
    None,
    Some("text/html"),
    Some("text/html; charset=utf-8"),
    Some("text/html; charset=windows-1252"),
];
const INCLUDE: [Option<&str>; 4] = [
    None,
    Some("main"),
    Some("article, .content, #content"),
    Some("div > p"),
];
const EXCLUDE: [Option<&str>; 4] = [None, Some("nav"), Some(".footnote, aside"), Some("table")];
const LANGUAGES: [Option<&str>; 4] = [None, Some("en"), Some("id"), Some("ms")];

fuzz_target!(|data: &[u8]| {
    let Some((&choice, body)) = data.split_first() else {
        return;
    };
    let pick = |shift: u8| usize::from((choice >> shift) & 3);
    let (html, _encoding) = decode_html(body, CONTENT_TYPES[pick(0)]);
    let options = ExtractOptions {
        include_selector: INCLUDE[pick(2)].map(str::to_owned),
        exclude_selector: EXCLUDE[pick(4)].map(str::to_owned),
        language: LANGUAGES[pick(6)].map(str::to_owned),
        ..ExtractOptions::default()
    };
    match extract::extract(&Document::Html(html), &options) {
        Ok(extracted) => common::check_extracted(&extracted),
        Err(
            ExtractError::MissingSelector(_) | ExtractError::Challenge(_) | ExtractError::Empty,
        ) => {}
        Err(other) => panic!("HTML extraction failed with {other:?}"),
    }
});
