//! The layout and segmentation of PDF page texts (`extract::from_pdf_pages`): running header,
//! footer and page-number removal, de-hyphenation, reflow, provision segmentation and
//! obligation detection. This is the part of PDF extraction that is our code, on text shaped
//! like what the sandbox returns; fuzzing it from raw PDFs rarely gets past the PDF syntax.
//!
//! Input: one byte choosing the language setting, then UTF-8 (lossy) text whose pages are
//! separated by form feeds. Checks: no panic, only `Empty` as an error, and
//! `common::check_extracted` on results.
#![no_main]

mod common;

use crosswalk::extract::{self, ExtractError, ExtractOptions};
use libfuzzer_sys::fuzz_target;

const LANGUAGES: [Option<&str>; 4] = [None, Some("en"), Some("id"), Some("ms")];

fuzz_target!(|data: &[u8]| {
    let Some((&choice, text)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(text);
    let pages: Vec<String> = text.split('\u{c}').map(str::to_owned).collect();
    let options = ExtractOptions {
        language: LANGUAGES[usize::from(choice & 3)].map(str::to_owned),
        ..ExtractOptions::default()
    };
    match extract::from_pdf_pages(&pages, &options) {
        Ok(extracted) => common::check_extracted(&extracted),
        Err(ExtractError::Empty) => {}
        Err(other) => panic!("layout failed with {other:?}"),
    }
});
