//! Character set: BOM → HTTP `charset` → `<meta>` pre-scan of the first 1024 bytes → statistical
//! detection (chardetng), then decoded with encoding_rs and normalised to NFC.
//!
//! A declared UTF-8 (header or meta) is only trusted when the bytes are valid UTF-8: government
//! servers often send `charset=utf-8` for legacy windows-1252 pages.

use encoding_rs::{Encoding, UTF_8};
use unicode_normalization::UnicodeNormalization;

/// Decodes an HTML body; returns the text (NFC) and the encoding used.
pub fn decode_html(bytes: &[u8], content_type: Option<&str>) -> (String, &'static Encoding) {
    let encoding = sniff(bytes, content_type);
    let (text, _, _) = encoding.decode(bytes);
    (text.nfc().collect(), encoding)
}

fn sniff(bytes: &[u8], content_type: Option<&str>) -> &'static Encoding {
    if let Some((encoding, _)) = Encoding::for_bom(bytes) {
        return encoding;
    }
    let valid_utf8 = std::str::from_utf8(bytes).is_ok();
    let trusted = |e: &'static Encoding| e != UTF_8 || valid_utf8;
    if let Some(e) = content_type.and_then(header_charset).filter(|e| trusted(e)) {
        return e;
    }
    if let Some(e) = meta_charset(&bytes[..bytes.len().min(1024)]).filter(|e| trusted(e)) {
        return e;
    }
    if valid_utf8 {
        return UTF_8;
    }
    let mut detector = chardetng::EncodingDetector::new();
    detector.feed(bytes, true);
    detector.guess(None, false)
}

fn header_charset(content_type: &str) -> Option<&'static Encoding> {
    content_type.split(';').skip(1).find_map(|param| {
        let (key, value) = param.split_once('=')?;
        key.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| Encoding::for_label(value.trim().trim_matches(['"', '\'']).as_bytes()))?
    })
}

/// `<meta charset=…>` or `<meta http-equiv="Content-Type" content="…; charset=…">` in `head`.
fn meta_charset(head: &[u8]) -> Option<&'static Encoding> {
    let lower: Vec<u8> = head.to_ascii_lowercase();
    let mut at = 0;
    while let Some(pos) = find(&lower[at..], b"<meta") {
        let start = at + pos + 5;
        let end = lower[start..]
            .iter()
            .position(|&b| b == b'>')
            .map_or(lower.len(), |e| start + e);
        let tag = &lower[start..end];
        if let Some(c) = find(tag, b"charset") {
            let rest = &tag[c + 7..];
            let rest = trim_start(rest);
            if let Some(rest) = rest.strip_prefix(b"=") {
                let rest = trim_start(rest);
                let rest = rest
                    .strip_prefix(b"\"")
                    .or(rest.strip_prefix(b"'"))
                    .unwrap_or(rest);
                let label_end = rest
                    .iter()
                    .position(|&b| matches!(b, b'"' | b'\'' | b';' | b' ' | b'/' | b'>'))
                    .unwrap_or(rest.len());
                if let Some(e) = Encoding::for_label(&rest[..label_end]) {
                    // WHATWG: a meta declaring UTF-16 means UTF-8 (the bytes are ASCII-compatible).
                    return Some(if e.name().starts_with("UTF-16") {
                        UTF_8
                    } else {
                        e
                    });
                }
            }
        }
        at = end;
    }
    None
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn trim_start(bytes: &[u8]) -> &[u8] {
    let n = bytes.iter().take_while(|b| b.is_ascii_whitespace()).count();
    &bytes[n..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_bom_header_meta_detection() {
        // BOM wins over a wrong header.
        let (text, e) = decode_html(
            b"\xEF\xBB\xBFcaf\xC3\xA9",
            Some("text/html; charset=iso-8859-1"),
        );
        assert_eq!((text.as_str(), e.name()), ("café", "UTF-8"));
        // Header used when the body fits it.
        let (text, _) = decode_html(b"caf\xE9", Some("text/html; charset=ISO-8859-1"));
        assert_eq!(text, "café");
        // Lying UTF-8 header: meta says windows-1252.
        let body = b"<html><head><meta charset=\"windows-1252\"></head><body>\x93quoted\x94 caf\xE9</body>";
        let (text, e) = decode_html(body, Some("text/html; charset=utf-8"));
        assert_eq!(e.name(), "windows-1252");
        assert!(text.contains("\u{201c}quoted\u{201d} café"), "{text}");
        // http-equiv form.
        let body = b"<meta http-equiv='Content-Type' content='text/html; charset=Shift_JIS'>\x93\xfa\x96\x7b";
        let (text, _) = decode_html(body, None);
        assert!(text.ends_with("日本"), "{text}");
        // No declaration: detection.
        let sjis = "これは日本語の文章です。人工知能の規則について説明します。".repeat(4);
        let (bytes, _, _) = encoding_rs::SHIFT_JIS.encode(&sjis);
        let (text, _) = decode_html(&bytes, None);
        assert_eq!(text, sjis);
    }

    #[test]
    fn output_is_nfc() {
        let (text, _) = decode_html("cafe\u{301}".as_bytes(), None);
        assert_eq!(text, "caf\u{e9}");
    }
}
