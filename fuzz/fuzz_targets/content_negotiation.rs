//! Result-format negotiation for `/sparql` and saved queries: the `Accept` header (media
//! ranges, q-values, wildcards) and the `format`/`output` parameter.
//!
//! Input: one byte choosing the query form, then UTF-8 (lossy) text: the Accept header, and
//! after a NUL byte the format parameter. Checks: no panic; the chosen format can represent the
//! form's results (result formats for SELECT/ASK, RDF for CONSTRUCT/DESCRIBE); a format
//! parameter naming a format wins; the media type served for a format negotiates back to it;
//! a refusal quotes what was asked for.
#![no_main]

use crosswalk::sparql::format::{self, OutputFormat, QueryForm};
use libfuzzer_sys::fuzz_target;

const FORMS: [QueryForm; 4] = [
    QueryForm::Select,
    QueryForm::Ask,
    QueryForm::Graph,
    QueryForm::Graph,
];

fuzz_target!(|data: &[u8]| {
    let Some((&choice, rest)) = data.split_first() else {
        return;
    };
    let form = FORMS[usize::from(choice & 3)];
    let text = String::from_utf8_lossy(rest);
    let (accept, param) = match text.split_once('\0') {
        Some((accept, param)) => (Some(accept), Some(param)),
        None => (Some(&*text), None),
    };
    match format::negotiate(form, accept, param) {
        Ok(chosen) => {
            let represents = match chosen {
                OutputFormat::Results(_) => form != QueryForm::Graph,
                OutputFormat::Rdf(_) => form == QueryForm::Graph,
            };
            assert!(represents, "{chosen:?} chosen for {form:?}");
            if let Some(named) = param.and_then(|p| format::by_name(form, p.trim())) {
                assert_eq!(chosen, named, "the format parameter was overruled");
            }
            let served = chosen.media_type();
            assert_eq!(
                format::negotiate(form, Some(served), None).ok(),
                Some(chosen),
                "{served} does not negotiate back to {chosen:?}"
            );
        }
        Err(refused) => {
            let asked = param
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .or(accept.map(str::trim).filter(|a| !a.is_empty()))
                .unwrap_or("*/*");
            assert_eq!(
                refused.requested, asked,
                "the refusal misquotes the request"
            );
            assert!(!refused.available.is_empty());
        }
    }
});
