//! Charset detection and decoding of a fetched HTML body (BOM, Content-Type, `<meta>` pre-scan,
//! statistical detection).
//!
//! Input: one byte choosing the Content-Type header, then the body. Checks: no panic, the text
//! is NFC, a UTF-8 BOM wins, and valid UTF-8 that declares nothing else is read as UTF-8.
#![no_main]

use crosswalk::fetch::charset::decode_html;
use libfuzzer_sys::fuzz_target;
use unicode_normalization::UnicodeNormalization;

const CONTENT_TYPES: [Option<&str>; 8] = [
    None,
    Some("text/html"),
    Some("text/html; charset=utf-8"),
    Some("text/html; charset=\"ISO-8859-1\""),
    Some("text/html;charset=shift_jis"),
    Some("text/html; charset=utf-16le"),
    Some("text/html; charset=bogus"),
    Some("text/html; charset="),
];

fuzz_target!(|data: &[u8]| {
    let Some((&choice, body)) = data.split_first() else {
        return;
    };
    let content_type = CONTENT_TYPES[usize::from(choice & 7)];
    let (text, encoding) = decode_html(body, content_type);
    assert!(
        unicode_normalization::is_nfc(&text),
        "decoded text is not NFC ({})",
        encoding.name()
    );
    if body.starts_with(b"\xEF\xBB\xBF") {
        assert_eq!(encoding, encoding_rs::UTF_8, "UTF-8 BOM not obeyed");
        return;
    }
    let declares = content_type.is_some_and(|c| c.contains('='))
        || body.starts_with(b"\xFE\xFF")
        || body.starts_with(b"\xFF\xFE")
        || body
            .to_ascii_lowercase()
            .windows(7)
            .any(|w| w == b"charset");
    if let Ok(utf8) = std::str::from_utf8(body)
        && !declares
    {
        assert_eq!(
            encoding,
            encoding_rs::UTF_8,
            "undeclared valid UTF-8 misread"
        );
        assert_eq!(text, utf8.nfc().collect::<String>());
    }
});
