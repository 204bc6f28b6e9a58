//! Extraction throughput, one run, each against a named peer:
//!
//! * HTML: `extract::extract` (region, boilerplate, structure, segmentation, obligations)
//!   against a plain `scraper` parse + `.text()` collection — the lower bound any
//!   scraper-based extractor pays.
//! * PDF: `extract::extract` including the sandbox child process, the same parse in-process
//!   (`pdf::parse_in_process`, no isolation), and poppler's `pdftotext` (skipped with a note
//!   when it is not installed: `apt-get install poppler-utils`).
//! * EUR-Lex XHTML: the AI Act as CELLAR serves it (113 articles, generated from the curated
//!   seeds in the Official Journal's markup, `tests/fixtures/channels/ai_act.rs`) read by its
//!   element identifiers (`Structure::EurLex`), against the generic HTML extractor
//!   (`Structure::Generic`) and the plain `scraper` parse on the same file.
//!
//! ```sh
//! cargo bench --bench extract
//! ```

use crosswalk::extract::{Document, ExtractOptions, PdfSandbox, Structure, extract, pdf};
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[path = "../tests/fixtures/channels/ai_act.rs"]
mod ai_act;
#[path = "../tests/fixtures/extract/pdfgen.rs"]
mod pdfgen;

const ROUND: Duration = Duration::from_secs(4);

struct Row {
    what: String,
    bytes: usize,
    pages: usize,
    runs: usize,
    elapsed: Duration,
}

impl Row {
    fn print(&self) {
        let secs = self.elapsed.as_secs_f64();
        println!(
            "| {:<46} | {:>9.1} KiB | {:>5} | {:>9.2} | {:>9.1} | {:>9.2} |",
            self.what,
            self.bytes as f64 / 1024.0,
            self.pages,
            secs * 1000.0 / self.runs as f64,
            (self.bytes * self.runs) as f64 / secs / 1e6,
            (self.pages * self.runs) as f64 / secs,
        );
    }
}

/// Runs `f` repeatedly for about ROUND (at least 3 times).
fn measure(what: &str, bytes: usize, pages: usize, mut f: impl FnMut()) -> Row {
    f(); // warm-up
    let start = Instant::now();
    let mut runs = 0;
    while runs < 3 || start.elapsed() < ROUND {
        f();
        runs += 1;
    }
    Row {
        what: what.into(),
        bytes,
        pages,
        runs,
        elapsed: start.elapsed(),
    }
}

fn fixture(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/extract")
        .join(name);
    std::fs::read_to_string(path).unwrap()
}

/// A large regulation page: the EU fixture's body repeated with renumbered articles.
fn large_html(copies: usize) -> String {
    let page = fixture("eu_regulation.html");
    let start = page.find("<div id=\"cpt_I\">").unwrap();
    let end = page.find("<div id=\"anx_III\">").unwrap();
    let body = &page[start..end];
    let mut out = page[..start].to_string();
    for copy in 0..copies {
        let offset = copy * 100;
        let mut chunk = body.to_string();
        for article in [50, 26, 5, 1] {
            chunk = chunk.replace(
                &format!(">Article {article}<"),
                &format!(">Article {}<", article + offset),
            );
        }
        out.push_str(&chunk);
    }
    out.push_str(&page[end..]);
    out
}

/// A long framework PDF: one numbered principle per page.
fn large_pdf(pages: usize) -> (Vec<u8>, usize) {
    let titles: Vec<String> = (1..=pages)
        .map(|n| format!("{n}. Principle number {n}"))
        .collect();
    let body: Vec<Vec<&str>> = titles
        .iter()
        .map(|title| {
            let mut page = vec![
                title.as_str(),
                "Organisations should put in place clear internal governance structures, with defined",
                "roles and responsibilities for the oversight of AI systems throughout their life cy-",
                "cle. Senior management must approve the risk appetite for each AI system before de-",
                "ployment, and organisations should keep records of decisions about general-purpose",
                "models and of the datasets used to train or fine-tune them.",
                "",
            ];
            for _ in 0..6 {
                page.extend_from_slice(&[
                    "Deployers should inform individuals when they interact with an AI system, e.g. through",
                    "a notice at the point of interaction. Providers are required to report serious inci-",
                    "dents to the Authority within 15 days of becoming aware of them.",
                    "",
                ]);
            }
            page
        })
        .collect();
    let bytes = pdfgen::text_pdf(
        "Trustworthy AI Framework",
        "Example Digital Authority",
        &body,
    );
    (bytes, pages)
}

fn pdftotext(bytes: &[u8]) -> Option<String> {
    let mut child = Command::new("pdftotext")
        .args(["-q", "-", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let mut stdin = child.stdin.take()?;
    let input = bytes.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let output = child.wait_with_output().ok()?;
    let _ = writer.join();
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).into_owned())
}

fn header(title: &str) {
    println!("\n{title}\n");
    println!(
        "| {:<46} | {:>13} | {:>5} | {:>9} | {:>9} | {:>9} |",
        "extractor", "input", "pages", "ms/doc", "MB/s", "pages/s"
    );
    println!(
        "|{:-<48}|{:->15}|{:->7}|{:->11}|{:->11}|{:->11}|",
        "", "", "", "", "", ""
    );
}

fn main() {
    let options = ExtractOptions {
        pdf: PdfSandbox {
            program: Some(PathBuf::from(env!("CARGO_BIN_EXE_crosswalk"))),
            ..PdfSandbox::default()
        },
        ..ExtractOptions::default()
    };

    header("HTML (a page = one document)");
    let pages = [
        ("EU regulation page", fixture("eu_regulation.html")),
        ("Indonesian circular", fixture("id_surat_edaran.html")),
        ("EU regulation, 200 articles", large_html(50)),
    ];
    for (name, page) in &pages {
        let document = Document::Html(page.clone());
        let provisions = extract(&document, &options).unwrap().provisions.len();
        measure(
            &format!("crosswalk extract: {name} ({provisions} prov.)"),
            page.len(),
            1,
            || {
                std::hint::black_box(extract(&document, &options).unwrap());
            },
        )
        .print();
        measure(
            &format!("peer scraper parse + text(): {name}"),
            page.len(),
            1,
            || {
                let html = scraper::Html::parse_document(page);
                let text: String = html.root_element().text().collect();
                std::hint::black_box(text);
            },
        )
        .print();
    }

    header("EUR-Lex XHTML (the AI Act as CELLAR serves it)");
    let graph = crosswalk::graph::Graph::in_memory().unwrap();
    let seeds = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("seeds/eu");
    crosswalk::graph::load_seed_dirs(&graph, &[("seed", seeds.as_path())]).unwrap();
    let xhtml = ai_act::xhtml(&ai_act::curated(&graph), &[]);
    let document = Document::Html(xhtml.clone());
    for (name, structure) in [
        ("crosswalk EUR-Lex structure", Structure::EurLex),
        ("peer: crosswalk generic HTML extractor", Structure::Generic),
    ] {
        let options = ExtractOptions {
            structure,
            language: Some("en".into()),
            ..ExtractOptions::default()
        };
        let extracted = extract(&document, &options).unwrap();
        let articles = extracted
            .provisions
            .iter()
            .filter(|p| p.kind == "article")
            .count();
        measure(
            &format!(
                "{name} ({} prov., {articles} art.)",
                extracted.provisions.len()
            ),
            xhtml.len(),
            1,
            || {
                std::hint::black_box(extract(&document, &options).unwrap());
            },
        )
        .print();
    }
    measure(
        "peer scraper parse + text(): AI Act XHTML",
        xhtml.len(),
        1,
        || {
            let html = scraper::Html::parse_document(&xhtml);
            let text: String = html.root_element().text().collect();
            std::hint::black_box(text);
        },
    )
    .print();

    header("PDF");
    for (bytes, page_count) in [(pdfgen::framework_pdf(), 3), (large_pdf(40).0, 40)] {
        let document = Document::Pdf(bytes.clone());
        let provisions = extract(&document, &options).unwrap().provisions.len();
        let label = format!("{page_count}-page framework");
        measure(
            &format!("crosswalk extract, sandboxed: {label} ({provisions} prov.)"),
            bytes.len(),
            page_count,
            || {
                std::hint::black_box(extract(&document, &options).unwrap());
            },
        )
        .print();
        measure(
            &format!("in-process parse only: {label}"),
            bytes.len(),
            page_count,
            || {
                std::hint::black_box(pdf::parse_in_process(&bytes).unwrap());
            },
        )
        .print();
        if pdftotext(&bytes).is_some() {
            measure(
                &format!("peer pdftotext (poppler): {label}"),
                bytes.len(),
                page_count,
                || {
                    std::hint::black_box(pdftotext(&bytes).unwrap());
                },
            )
            .print();
        } else {
            println!("| peer pdftotext not installed (apt-get install poppler-utils): skipped |");
        }
    }
}
