//! The web UI's request headers: `Accept` on the IRI paths (HTML or an RDF format, with the
//! `format` parameter) and `Accept-Language` (the UI's language).
//!
//! Input: UTF-8 (lossy) text: the Accept header, a NUL, the Accept-Language header, a NUL, the
//! format parameter. Checks: no panic; a known format parameter wins over the header; an
//! unknown one is refused; without one, HTML unless the header names an RDF media type we
//! offer; the language is one the header names (or none).
#![no_main]

use crosswalk::web::{Lang, Wanted, negotiate};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut parts = text.splitn(3, '\0');
    let accept = parts.next().unwrap_or("");
    let language = parts.next().unwrap_or("");
    let format = parts.next();
    match (format, negotiate(format, Some(accept))) {
        (Some("ttl" | "turtle" | "jsonld" | "json-ld" | "nt" | "ntriples" | "n-triples"), result) => {
            assert!(matches!(result, Ok(Wanted::Rdf(_))), "{format:?}: {result:?}");
        }
        (Some("html"), result) => assert!(matches!(result, Ok(Wanted::Html))),
        (Some(f), result) if !f.is_empty() => assert!(result.is_err(), "{f:?} accepted"),
        (_, result) => {
            let wanted = result.expect("headers alone are never refused");
            let lower = accept.to_ascii_lowercase();
            if matches!(wanted, Wanted::Rdf(_)) {
                // Every RDF media type `web::resource` offers, the legacy Turtle one included.
                assert!(
                    [
                        "text/turtle",
                        "application/x-turtle",
                        "application/ld+json",
                        "application/n-triples",
                        "application/json",
                    ]
                    .iter()
                    .any(|m| lower.contains(m)),
                    "RDF for {accept:?}"
                );
            }
        }
    }
    if let Some(lang) = Lang::from_accept(language) {
        let lower = language.to_ascii_lowercase();
        let named = match lang {
            Lang::En => lower.contains("en"),
            Lang::Ms => ["ms", "zsm", "may"].iter().any(|c| lower.contains(c)),
            Lang::Id => ["id", "in", "ind"].iter().any(|c| lower.contains(c)),
        };
        assert!(named, "{lang:?} from {language:?}");
    }
});
