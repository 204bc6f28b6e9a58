//! Official documents read by their own structure: body bytes → charset decoding →
//! `extract::extract` with `Structure::EurLex` (EUR-Lex XHTML element identifiers),
//! `Structure::Formex` (Formex 4 XML) or `Structure::FederalRegister` (GPO Federal Register XML).
//!
//! Input: one byte choosing the structure, then the document. Checks: no panic; EUR-Lex XHTML
//! fails only as an HTML page can (it falls back to generic segmentation), the XML readers
//! only with malformed XML or no text; results keep extraction's promises
//! (`common::check_extracted`), and structured identifiers are lower-case-or-roman slugs
//! without spaces.
#![no_main]

mod common;

use crosswalk::extract::{self, Document, ExtractError, ExtractOptions, Structure};
use crosswalk::fetch::charset::decode_html;
use libfuzzer_sys::fuzz_target;

const STRUCTURES: [Structure; 4] = [
    Structure::EurLex,
    Structure::Formex,
    Structure::FederalRegister,
    Structure::EurLex,
];

fuzz_target!(|data: &[u8]| {
    let Some((&choice, body)) = data.split_first() else {
        return;
    };
    let structure = STRUCTURES[usize::from(choice & 3)];
    let (text, _) = decode_html(body, Some("application/xhtml+xml"));
    let options = ExtractOptions {
        structure,
        language: Some("en".into()),
        ..ExtractOptions::default()
    };
    match extract::extract(&Document::Html(text), &options) {
        Ok(extracted) => {
            common::check_extracted(&extracted);
            for p in &extracted.provisions {
                assert!(
                    !p.id.contains(char::is_whitespace),
                    "identifier with whitespace: {:?}",
                    p.id
                );
            }
        }
        Err(ExtractError::Empty | ExtractError::MalformedXml(_)) => {}
        Err(ExtractError::Challenge(_) | ExtractError::MissingSelector(_))
            if structure == Structure::EurLex => {}
        Err(other) => panic!("{structure:?} failed with {other:?}"),
    }
});
