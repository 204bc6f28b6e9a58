//! Extraction end to end: fixture documents under tests/fixtures/extract/ through
//! `crosswalk::extract::extract`, PDFs parsed by the real `crosswalk extract-pdf` sandbox child.
//! The PDF fixtures are written by tests/fixtures/extract/pdfgen.rs; set
//! `CROSSWALK_REGENERATE_FIXTURES=1` to rewrite the committed copies.

use crosswalk::extract::{
    Deontic, Document, ExtractError, ExtractOptions, Extracted, PdfSandbox, extract,
};
use std::path::PathBuf;
use std::time::Duration;

#[path = "fixtures/extract/pdfgen.rs"]
mod pdfgen;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/extract")
        .join(name)
}

fn sandbox() -> PdfSandbox {
    PdfSandbox {
        program: Some(PathBuf::from(env!("CARGO_BIN_EXE_crosswalk"))),
        ..PdfSandbox::default()
    }
}

fn options(selector: Option<&str>) -> ExtractOptions {
    ExtractOptions {
        include_selector: selector.map(String::from),
        pdf: sandbox(),
        ..ExtractOptions::default()
    }
}

fn html(name: &str, options: &ExtractOptions) -> Result<Extracted, ExtractError> {
    let page = std::fs::read_to_string(fixture(name)).unwrap();
    extract(&Document::Html(page), options)
}

/// The committed PDF fixture, checked against its generator so the two never drift.
fn pdf_fixture(name: &str, generated: Vec<u8>) -> Vec<u8> {
    let path = fixture(name);
    if std::env::var_os("CROSSWALK_REGENERATE_FIXTURES").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let committed = std::fs::read(&path).unwrap();
    assert!(
        committed == generated,
        "{name} differs from pdfgen.rs output; regenerate with CROSSWALK_REGENERATE_FIXTURES=1"
    );
    committed
}

fn ids_and_kinds(e: &Extracted) -> Vec<(&str, &str)> {
    e.provisions
        .iter()
        .map(|p| (p.id.as_str(), p.kind.as_str()))
        .collect()
}

type Expected<'a> = (&'a str, Deontic, &'a str, &'a [&'a str]);

fn obligations(e: &Extracted) -> Vec<(&str, Deontic, &str, Vec<&str>)> {
    e.obligations
        .iter()
        .map(|o| {
            (
                o.provision.as_str(),
                o.strength,
                o.marker.as_str(),
                o.addressees.iter().map(String::as_str).collect(),
            )
        })
        .collect()
}

fn assert_obligations(e: &Extracted, expected: &[Expected]) {
    let expected: Vec<_> = expected
        .iter()
        .map(|(p, s, m, r)| (*p, *s, *m, r.to_vec()))
        .collect();
    assert_eq!(obligations(e), expected);
    for o in &e.obligations {
        assert!((0.0..=1.0).contains(&o.confidence), "{o:?}");
    }
}

#[test]
fn eu_regulation_page_yields_expected_provisions_and_obligations() {
    let e = html("eu_regulation.html", &options(Some("main#document"))).unwrap();
    use Deontic::*;
    assert_eq!(
        ids_and_kinds(&e),
        vec![
            ("preamble", "preamble"),
            ("recital-1", "recital"),
            ("recital-2", "recital"),
            ("chapter-i", "chapter"),
            ("art-1", "article"),
            ("art-1-1", "paragraph"),
            ("art-1-2", "paragraph"),
            ("art-1-2-a", "point"),
            ("art-1-2-b", "point"),
            ("chapter-ii", "chapter"),
            ("art-5", "article"),
            ("art-5-1", "paragraph"),
            ("art-5-1-a", "point"),
            ("art-5-1-b", "point"),
            ("chapter-iii", "chapter"),
            ("chapter-iii-section-3", "section"),
            ("art-26", "article"),
            ("art-26-1", "paragraph"),
            ("art-26-2", "paragraph"),
            ("art-26-5", "paragraph"),
            ("chapter-iv", "chapter"),
            ("art-50", "article"),
            ("art-50-1", "paragraph"),
            ("art-50-2", "paragraph"),
            ("art-50-3", "paragraph"),
            ("art-50-7", "paragraph"),
            ("annex-iii", "annex"),
            ("annex-iii-1", "paragraph"),
            ("annex-iii-1-a", "point"),
        ]
    );
    let art50 = e.provisions.iter().find(|p| p.id == "art-50").unwrap();
    assert_eq!(art50.label, "Article 50");
    assert_eq!(
        art50.title.as_deref(),
        Some("Transparency obligations for providers and deployers of certain AI systems")
    );
    assert_eq!(art50.parent.as_deref(), Some("chapter-iv"));
    let point = e.provisions.iter().find(|p| p.id == "art-5-1-b").unwrap();
    assert_eq!(point.parent.as_deref(), Some("art-5-1"));
    assert!(point.text.starts_with("the placing on the market"));
    assert_obligations(
        &e,
        &[
            ("recital-2", Should, "should", &[]),
            ("art-5-1", MustNot, "shall be prohibited", &[]),
            ("art-26-1", Must, "shall", &["deployer"]),
            ("art-26-2", Must, "shall", &["deployer"]),
            ("art-26-5", Must, "shall", &["deployer"]),
            ("art-26-5", Must, "shall", &["deployer"]),
            ("art-50-1", Must, "shall", &["provider"]),
            ("art-50-2", Must, "shall", &["provider"]),
            ("art-50-3", Must, "shall", &["deployer"]),
            ("art-50-7", Must, "shall", &["ai-office"]),
            ("art-50-7", May, "may", &[]),
        ],
    );
    // Recitals explain, articles bind: the same strength scores lower in a recital.
    let recital = &e.obligations[0];
    assert!(recital.confidence < 0.5, "{recital:?}");
    // Boilerplate is gone, structure is kept.
    assert!(!e.text.contains("cookies"));
    assert!(!e.text.contains("My account"));
    assert!(e.text.contains("(a) harmonised rules"));
}

#[test]
fn eu_page_without_selector_drops_boilerplate_too() {
    let e = html("eu_regulation.html", &options(None)).unwrap();
    for chrome in [
        "Accept all",
        "Legal acts",
        "Related documents",
        "Legal notice",
        "analytics",
    ] {
        assert!(!e.text.contains(chrome), "{chrome} left in text");
    }
    assert!(e.provisions.iter().any(|p| p.id == "art-50-7"));
}

#[test]
fn indonesian_circular_yields_expected_provisions_and_obligations() {
    let mut opts = options(Some(".konten-peraturan"));
    opts.language = Some("id".into());
    let e = html("id_surat_edaran.html", &opts).unwrap();
    use Deontic::*;
    let ids: Vec<(&str, &str)> = ids_and_kinds(&e)
        .into_iter()
        .filter(|(_, kind)| *kind != "heading")
        .collect();
    assert_eq!(
        ids,
        vec![
            ("bab-i", "chapter"),
            ("pasal-1", "article"),
            ("pasal-1-angka-1", "paragraph"),
            ("pasal-1-angka-2", "paragraph"),
            ("bab-ii", "chapter"),
            ("bab-ii-bagian-kesatu", "section"),
            ("pasal-2", "article"),
            ("pasal-2-ayat-1", "paragraph"),
            ("pasal-2-ayat-2", "paragraph"),
            ("pasal-2-ayat-2-a", "point"),
            ("pasal-2-ayat-2-b", "point"),
            ("pasal-2-ayat-2-c", "point"),
            ("pasal-2-ayat-3", "paragraph"),
            ("pasal-3", "article"),
            ("bab-ii-bagian-kedua", "section"),
            ("pasal-4", "article"),
            ("pasal-4-ayat-1", "paragraph"),
            ("pasal-4-ayat-2", "paragraph"),
            ("pasal-4-ayat-3", "paragraph"),
            ("bab-iii", "chapter"),
            ("pasal-5", "article"),
        ]
    );
    let bab = e.provisions.iter().find(|p| p.id == "bab-ii").unwrap();
    assert_eq!(bab.title.as_deref(), Some("KEWAJIBAN DAN LARANGAN"));
    let eso: &[&str] = &["electronic-system-operator"];
    let actor: &[&str] = &["business-actor"];
    assert_obligations(
        &e,
        &[
            ("pasal-2-ayat-1", Must, "wajib", eso),
            ("pasal-2-ayat-2", Must, "wajib", eso),
            ("pasal-2-ayat-3", Must, "harus", eso),
            ("pasal-3", Should, "perlu", actor),
            ("pasal-4-ayat-1", MustNot, "dilarang", actor),
            ("pasal-4-ayat-2", MustNot, "tidak boleh", eso),
            ("pasal-4-ayat-3", May, "dapat", actor),
        ],
    );
    let may = e.obligations.last().unwrap();
    assert!(may.confidence < e.obligations[0].confidence);
    assert!(!e.text.contains("Bagikan") && !e.text.contains("kuki"));
}

#[test]
fn malay_guideline_yields_expected_provisions_and_obligations() {
    // No language given: detected as Malay from the text.
    let e = html("ms_garis_panduan.html", &options(None)).unwrap();
    use Deontic::*;
    assert_eq!(
        ids_and_kinds(&e),
        vec![
            (
                "heading-garis-panduan-tadbir-urus-kecerdasan-buatan-2026",
                "heading"
            ),
            ("bahagian-i", "part"),
            ("seksyen-1", "section"),
            ("seksyen-2", "section"),
            ("bahagian-ii", "part"),
            ("seksyen-3", "section"),
            ("seksyen-3-1", "paragraph"),
            ("seksyen-3-2", "paragraph"),
            ("seksyen-3-3", "paragraph"),
            ("seksyen-3-3-a", "point"),
            ("seksyen-3-3-b", "point"),
            ("seksyen-3-3-c", "point"),
            ("seksyen-4", "section"),
            ("seksyen-4-1", "paragraph"),
            ("seksyen-4-2", "paragraph"),
            ("jadual", "annex"),
            ("perkara-1", "article"),
            ("perkara-2", "article"),
        ]
    );
    let perkara = e.provisions.iter().find(|p| p.id == "perkara-2").unwrap();
    assert_eq!(perkara.title.as_deref(), Some("Laporan insiden"));
    assert_eq!(perkara.parent.as_deref(), Some("jadual"));
    assert_obligations(
        &e,
        &[
            ("seksyen-3-1", Must, "hendaklah", &["provider"]),
            ("seksyen-3-2", MustNot, "tidak boleh", &["provider"]),
            ("seksyen-3-3", Must, "hendaklah", &[]),
            ("seksyen-4-1", Should, "patut", &["developer"]),
            ("seksyen-4-2", May, "boleh", &["developer"]),
        ],
    );
    assert!(e.text.contains("- (a) ketepatan dan keteguhan sistem;"));
    assert!(e.text.contains("Perkara 1 | Penilaian risiko tahunan"));
    assert!(!e.text.contains("Terima semua") && !e.text.contains("Utama"));
}

#[test]
fn pdf_framework_yields_expected_provisions_and_obligations() {
    let bytes = pdf_fixture("framework.pdf", pdfgen::framework_pdf());
    let e = extract(&Document::Pdf(bytes), &options(None)).unwrap();
    use Deontic::*;
    assert_eq!(
        ids_and_kinds(&e),
        vec![
            ("preamble", "preamble"),
            ("principle-1", "principle"),
            ("principle-1-1", "paragraph"),
            ("principle-1-2", "paragraph"),
            ("principle-2", "principle"),
            ("principle-3", "principle"),
            ("principle-4", "principle"),
            ("principle-4-1", "principle"),
            ("principle-4-2", "principle"),
            ("principle-5", "principle"),
            ("annex-a", "annex"),
        ]
    );
    let p2 = e.provisions.iter().find(|p| p.id == "principle-2").unwrap();
    assert_eq!(p2.title.as_deref(), Some("Transparency"));
    let p41 = e
        .provisions
        .iter()
        .find(|p| p.id == "principle-4-1")
        .unwrap();
    assert_eq!(p41.parent.as_deref(), Some("principle-4"));
    assert_obligations(
        &e,
        &[
            ("principle-1", Should, "should", &["organisation"]),
            ("principle-1-1", Must, "must", &[]),
            ("principle-1-2", Should, "should", &["organisation"]),
            ("principle-2", Should, "should", &["deployer"]),
            ("principle-2", Should, "should", &["provider"]),
            ("principle-3", MustNot, "must not", &["organisation"]),
            ("principle-4-1", Should, "should", &["developer"]),
            ("principle-4-2", MustNot, "shall not", &["organisation"]),
            ("principle-5", Must, "are required to", &["provider"]),
            ("principle-5", May, "may", &[]),
        ],
    );
    // Running header, footer and page numbers are gone; hyphenation is joined, but a
    // compound hyphen at a line end ("general-" + "purpose") is kept.
    assert!(!e.text.contains("Second Edition"), "{}", e.text);
    assert!(!e.text.contains("Public Consultation Draft"));
    assert!(
        !e.text
            .lines()
            .any(|l| l.trim().chars().all(|c| c.is_ascii_digit()))
    );
    assert!(e.text.contains("throughout their life cycle."));
    assert!(e.text.contains("before deployment."));
    assert!(
        e.text.contains("human oversight process") || e.text.contains("process for human review")
    );
    assert!(e.text.contains("each general-purpose model"));
    assert!(
        e.warnings.iter().any(|w| w.contains("running header")),
        "{:?}",
        e.warnings
    );
}

#[test]
fn corrupt_pdf_is_malformed() {
    let framework = pdfgen::framework_pdf();
    let mut corrupt = framework[..framework.len() * 2 / 5].to_vec();
    corrupt.extend_from_slice(b"\nendstream garbage \xff\xfe 0 obj << /Broken [\n");
    let bytes = pdf_fixture("corrupt.pdf", corrupt);
    let result = extract(&Document::Pdf(bytes), &options(None));
    assert!(
        matches!(result, Err(ExtractError::MalformedPdf(_))),
        "{result:?}"
    );
}

#[test]
fn image_only_pdf_is_flagged_as_scanned() {
    let bytes = pdf_fixture("scanned.pdf", pdfgen::image_only_pdf(2));
    let result = extract(&Document::Pdf(bytes), &options(None));
    assert_eq!(result, Err(ExtractError::ScannedPdf));
}

#[test]
fn endless_pdf_is_stopped_by_the_sandbox_time_limit() {
    // 400 pages each interpreting two million operators: hours of work for the parser.
    let bytes = pdfgen::endless_pdf(400, 1_000_000);
    let mut opts = options(None);
    opts.pdf.timeout = Duration::from_secs(2);
    let result = extract(&Document::Pdf(bytes), &opts);
    assert_eq!(result, Err(ExtractError::Timeout));
}

#[test]
fn deflate_bomb_is_stopped_by_the_sandbox_memory_limit() {
    // ~4 MiB on disk, 1 GiB once the page content is inflated.
    let bytes = pdfgen::inflating_pdf(1 << 30);
    assert!(bytes.len() < 8 << 20);
    let mut opts = options(None);
    opts.pdf.memory_limit = 256 << 20;
    opts.pdf.timeout = Duration::from_secs(120);
    let result = extract(&Document::Pdf(bytes), &opts);
    match result {
        Err(ExtractError::Crashed(message)) => assert!(message.contains("memory"), "{message}"),
        other => panic!("expected a memory-limit crash, got {other:?}"),
    }
}

#[test]
fn self_referencing_pdf_crashes_the_child_not_the_service() {
    let result = extract(&Document::Pdf(pdfgen::cyclic_parent_pdf()), &options(None));
    assert!(
        matches!(&result, Err(ExtractError::Crashed(message)) if message.contains("stack overflow")),
        "{result:?}"
    );
    // The service is still fine: the next document extracts normally.
    let bytes = std::fs::read(fixture("framework.pdf")).unwrap();
    assert!(extract(&Document::Pdf(bytes), &options(None)).is_ok());
}

#[test]
fn malformed_html_still_yields_structure() {
    let e = html("malformed.html", &options(Some("#content"))).unwrap();
    use Deontic::*;
    assert_eq!(
        ids_and_kinds(&e),
        vec![
            ("art-12", "article"),
            ("art-12-1", "paragraph"),
            ("art-12-2", "paragraph"),
            ("art-12-2-a", "point"),
            ("art-12-2-b", "point"),
        ]
    );
    let art = &e.provisions[0];
    assert_eq!(art.title.as_deref(), Some("Record-keeping"));
    assert_obligations(
        &e,
        &[
            ("art-12-1", Must, "shall", &["provider"]),
            ("art-12-2", MustNot, "shall not", &["importer"]),
            ("art-12-2-b", Should, "should", &["distributor"]),
        ],
    );
    assert!(
        e.text
            .contains("Providers shall keep the logs automatically generated by their systems.")
    );
    assert!(!e.text.contains("Portal footer"));
}

#[test]
fn challenge_and_consent_pages_are_challenges_not_content() {
    for selector in [None, Some("#content")] {
        let result = html("challenge.html", &options(selector));
        assert!(
            matches!(&result, Err(ExtractError::Challenge(reason)) if reason.contains("just a moment")),
            "{result:?}"
        );
    }
    let consent = "<html><head><title>Portal</title></head><body>\
        <div class=\"consent-wall\"><p>We use cookies.</p><button>Accept all</button></div>\
        <p>Before you continue, accept our use of cookies.</p></body></html>";
    let result = extract(&Document::Html(consent.into()), &options(None));
    assert!(
        matches!(&result, Err(ExtractError::Challenge(reason)) if reason.contains("consent")),
        "{result:?}"
    );
    // A short real page with a cookie notice is content, not a wall.
    let short = "<html><body><main><p>Article 3</p><p>1. Deployers shall keep logs for six \
        months.</p></main><div class=\"notice\">This site uses cookies.</div></body></html>";
    let e = extract(&Document::Html(short.into()), &options(None)).unwrap();
    assert_eq!(
        ids_and_kinds(&e),
        vec![("art-3", "article"), ("art-3-1", "paragraph")]
    );
}

#[test]
fn missing_and_invalid_selectors_are_reported() {
    let result = html("no_selector.html", &options(Some("#content")));
    assert_eq!(
        result,
        Err(ExtractError::MissingSelector("#content".into()))
    );
    let result = html("no_selector.html", &options(Some("div[[")));
    assert!(
        matches!(&result, Err(ExtractError::BadSelector { selector, .. }) if selector == "div[["),
        "{result:?}"
    );
    // The same page without a selector is content.
    let e = html("no_selector.html", &options(None)).unwrap();
    assert_eq!(e.obligations.len(), 1);
}

#[test]
fn empty_region_is_empty() {
    let page = "<html><body><nav>Home</nav><main id=\"c\"><script>x()</script> \u{200B} </main></body></html>";
    let result = extract(&Document::Html(page.into()), &options(Some("#c")));
    assert_eq!(result, Err(ExtractError::Empty));
}

#[test]
fn deeply_nested_html_neither_overflows_nor_loses_text() {
    let depth = 20_000;
    let page = format!(
        "<html><body>{}<p>Article 9</p><p>1. Providers shall test.</p>{}</body></html>",
        "<div>".repeat(depth),
        "</div>".repeat(depth)
    );
    let e = extract(&Document::Html(page), &options(None)).unwrap();
    assert_eq!(
        ids_and_kinds(&e),
        vec![("art-9", "article"), ("art-9-1", "paragraph")]
    );
}

#[test]
fn text_is_nfc_normalised() {
    let page =
        "<html><body><p>Article 1</p><p>1. Le de\u{0301}ployeur shall act.</p></body></html>";
    let e = extract(&Document::Html(page.into()), &options(None)).unwrap();
    assert!(e.text.contains("d\u{00E9}ployeur"));
    assert!(!e.text.contains('\u{0301}'));
}

#[test]
fn identifiers_survive_unrelated_text_changes() {
    let original = std::fs::read_to_string(fixture("eu_regulation.html")).unwrap();
    let edited = original
        .replace("We use cookies to improve your experience.", "New cookie text, 2027 edition.")
        .replace(
            "shall assign human oversight to natural persons",
            "shall assign effective human oversight to competent natural persons",
        )
        .replace(
            "<p class=\"oj-normal\">of 13 June 2024</p>",
            "<p class=\"oj-normal\">of 13 June 2024</p><p>Consolidated text, corrected on 2 May 2026.</p>",
        )
        .replace("remote biometric identification systems.", "remote biometric identification systems, excluding verification.");
    assert_ne!(original, edited);
    let before = extract(&Document::Html(original), &options(None)).unwrap();
    let after = extract(&Document::Html(edited), &options(None)).unwrap();
    let ids = |e: &Extracted| {
        e.provisions
            .iter()
            .map(|p| p.id.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(&before), ids(&after));
    let changed: Vec<&str> = before
        .provisions
        .iter()
        .zip(&after.provisions)
        .filter(|(b, a)| b.text != a.text)
        .map(|(b, _)| b.id.as_str())
        .collect();
    assert_eq!(changed, vec!["preamble", "art-26-2", "annex-iii-1-a"]);
}
