//! A fetched PDF: bytes → `pdf::parse_in_process` (the parser the sandbox child runs) → the
//! layout and segmentation step (`extract::from_pdf_pages`) the service runs on its reply.
//!
//! Containment boundary: pdf-extract and lopdf panic on malformed files; `parse_in_process`
//! catches those panics (`catch_unwind`) and turns them into `MalformedPdf`. This target
//! checks exactly that boundary: libfuzzer-sys's abort-on-panic hook is replaced by a silent
//! one so a contained panic is no finding, while a panic that escapes `parse_in_process` (or
//! any panic in our layout step) still aborts, with its message. Unbounded recursion, memory
//! and time are contained only by the sandbox process (signal, `prlimit`, wall clock), so
//! stack overflows, out-of-memory and timeouts inside pdf-extract are known, contained
//! behaviour; run with `-timeout` and `-rss_limit_mb` near the sandbox's limits and triage them
//! accordingly (README, "Fuzzing").
#![no_main]

mod common;

use crosswalk::extract::{self, ExtractError, ExtractOptions, pdf};
use libfuzzer_sys::fuzz_target;
use std::panic::AssertUnwindSafe;
use std::sync::Once;

fuzz_target!(|data: &[u8]| {
    static QUIET: Once = Once::new();
    QUIET.call_once(|| std::panic::set_hook(Box::new(|_| {})));
    let checked = std::panic::catch_unwind(AssertUnwindSafe(|| check(data)));
    if let Err(panic) = checked {
        let message = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        eprintln!("panic escaped the PDF containment or a check failed: {message}");
        std::process::abort();
    }
});

fn check(data: &[u8]) {
    match pdf::parse_in_process(data) {
        Ok(pages) => {
            assert!(!pages.is_empty(), "a parsed PDF without pages");
            match extract::from_pdf_pages(&pages, &ExtractOptions::default()) {
                Ok(extracted) => common::check_extracted(&extracted),
                Err(ExtractError::Empty) => {}
                Err(other) => panic!("layout of parsed pages failed with {other:?}"),
            }
        }
        Err(ExtractError::MalformedPdf(_) | ExtractError::ScannedPdf) => {}
        Err(other) => panic!("the in-process parser returned {other:?}"),
    }
}
