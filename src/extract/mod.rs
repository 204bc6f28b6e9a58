//! Extraction: a fetched document (HTML already decoded to UTF-8, or PDF bytes) becomes
//! normalised structured text, segmented into provisions with stable identifiers, with
//! candidate obligations detected in them.
//!
//! Entry point: [`extract`]. Extraction never panics on hostile input; PDFs are parsed in an
//! isolated child process with time and memory limits. Official channels' documents are read
//! by their own structure ([`Structure`]): EUR-Lex XHTML by its element identifiers
//! (`eurlex`), Formex 4 XML (`formex`) and Federal Register full-text XML (`fedreg`), each
//! giving the catalogue's provision identifiers (`art-50-2`, `sec-3-a`).

mod eurlex;
mod fedreg;
mod formex;
mod html;
mod layout;
mod lexicon;
pub mod links;
mod numbering;
mod obligations;
mod outline;
pub mod pdf;
mod segment;
mod text;
mod xml;

pub use pdf::PdfSandbox;
use serde::{Deserialize, Serialize};
use text::{Language, Line};

/// Bumped whenever extraction rules change, so stored snapshots can be re-extracted.
pub const EXTRACTOR_VERSION: &str = "3";

/// How a document's structure is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Structure {
    /// Headings, numbering and lists of any HTML page or PDF (`segment`).
    #[default]
    Generic,
    /// EUR-Lex XHTML element identifiers (`art_50`, `050.002`, `cpt_III.sct_2`); a page
    /// without them falls back to `Generic` with a warning.
    EurLex,
    /// Formex 4 XML (`ARTICLE IDENTIFIER="050"`, `PARAG IDENTIFIER="050.002"`).
    Formex,
    /// Federal Register full-text XML (`EXECORD`, `SECTION`, "Sec. 3." paragraphs).
    FederalRegister,
}

impl Structure {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Generic => "generic",
            Self::EurLex => "eur-lex",
            Self::Formex => "formex",
            Self::FederalRegister => "federal-register",
        }
    }
}

/// What was fetched, ready for extraction.
#[derive(Debug, Clone)]
pub enum Document {
    /// HTML decoded to UTF-8 NFC by the fetcher.
    Html(String),
    /// Raw PDF bytes.
    Pdf(Vec<u8>),
}

/// Per-source extraction settings (from the source registry).
#[derive(Debug, Clone, Default)]
pub struct ExtractOptions {
    /// CSS selector for the content region; None means the whole body minus boilerplate.
    pub include_selector: Option<String>,
    /// CSS selector for parts to drop inside the region.
    pub exclude_selector: Option<String>,
    /// BCP 47 language of the document (`en`, `id`, `ms`), steering segmentation and obligation
    /// markers; None means detect.
    pub language: Option<String>,
    /// Program and limits of the child process that parses PDFs.
    pub pdf: PdfSandbox,
    /// How the structure of an HTML or XML document is read.
    pub structure: Structure,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Extracted {
    /// The content region as structured plain text (headings, lists, tables kept as lines).
    pub text: String,
    pub provisions: Vec<ExtractedProvision>,
    pub obligations: Vec<Obligation>,
    /// Non-fatal observations (e.g. "running header removed on 12 pages").
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ExtractedProvision {
    /// Stable identifier derived from the structure, e.g. `art-50`, `art-50-2`, `pasal-3`,
    /// `bab-ii`, `section-4-1`, `principle-2`. Survives re-crawls of unchanged structure.
    pub id: String,
    /// article, paragraph, chapter, section, part, annex, clause, principle, heading …
    pub kind: String,
    /// The citation as written ("Article 50", "Pasal 3", "Seksyen 4").
    pub label: String,
    pub title: Option<String>,
    /// Normalised text of the provision without its children.
    pub text: String,
    /// `id` of the enclosing provision.
    pub parent: Option<String>,
    pub order: usize,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[serde(rename_all = "kebab-case")]
pub enum Deontic {
    Must,
    MustNot,
    Should,
    May,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Obligation {
    /// `id` of the provision the sentence sits in.
    pub provision: String,
    pub sentence: String,
    pub strength: Deontic,
    /// The marker that fired ("shall not", "wajib", "dilarang").
    pub marker: String,
    /// Role slugs from seeds/vocabulary.ttl (`provider`, `deployer`, `electronic-system-operator`…).
    pub addressees: Vec<String>,
    /// 0.0–1.0.
    pub confidence: f32,
}

/// Why a document yielded no usable content. Every variant is recorded as a fetch failure,
/// never as a change.
#[derive(Debug, Clone, thiserror::Error, Serialize, Deserialize, PartialEq, Eq)]
pub enum ExtractError {
    #[error("content selector {0:?} matched nothing")]
    MissingSelector(String),
    #[error("invalid CSS selector {selector:?}: {message}")]
    BadSelector { selector: String, message: String },
    #[error("page looks like a bot challenge or consent wall: {0}")]
    Challenge(String),
    #[error("extraction produced no text")]
    Empty,
    #[error("PDF has no text layer (scanned image?)")]
    ScannedPdf,
    #[error("malformed PDF: {0}")]
    MalformedPdf(String),
    #[error("PDF extraction exceeded its time limit")]
    Timeout,
    #[error("PDF extraction failed in its sandbox: {0}")]
    Crashed(String),
    #[error("malformed XML: {0}")]
    MalformedXml(String),
}

/// Extracts structured text, provisions and candidate obligations from a fetched document.
///
/// HTML is reduced to the region chosen by `options.include_selector` (whole body otherwise)
/// minus boilerplate and `options.exclude_selector`; PDFs are parsed in the sandbox described
/// by `options.pdf`. Challenge pages, missing selectors, empty results, scanned, malformed and
/// hostile PDFs are errors, never content.
pub fn extract(document: &Document, options: &ExtractOptions) -> Result<Extracted, ExtractError> {
    match document {
        Document::Html(html) => match options.structure {
            Structure::Generic => structure(html::to_lines(html, options)?, Vec::new(), options),
            Structure::EurLex => match eurlex::structure(html) {
                Some(structured) => structured_document(structured, Vec::new(), options),
                None => structure(
                    html::to_lines(html, options)?,
                    vec!["no EUR-Lex element identifiers (art_N): generic segmentation".into()],
                    options,
                ),
            },
            Structure::Formex => structured_document(formex::structure(html)?, Vec::new(), options),
            Structure::FederalRegister => {
                structured_document(fedreg::structure(html)?, Vec::new(), options)
            }
        },
        Document::Pdf(bytes) => from_pdf_pages(&pdf::extract_pages(bytes, &options.pdf)?, options),
    }
}

/// A structured reader's provisions → text and obligations (the provisions are kept as read,
/// NFC-normalised).
fn structured_document(
    structured: outline::Structured,
    warnings: Vec<String>,
    options: &ExtractOptions,
) -> Result<Extracted, ExtractError> {
    let mut provisions = structured.provisions;
    for p in &mut provisions {
        p.text = text::nfc(&p.text);
        p.title = p.title.as_deref().map(text::nfc);
    }
    assemble(
        text::finish(structured.lines),
        provisions,
        warnings,
        options,
    )
}

/// The PDF half of [`extract`] after parsing: page texts, as the sandbox returns them (or
/// [`pdf::parse_in_process`]), lose running headers, footers and page numbers, are reflowed
/// into lines and segmented. Runs in this process: it is our code, bounded by its input.
pub fn from_pdf_pages(
    pages: &[String],
    options: &ExtractOptions,
) -> Result<Extracted, ExtractError> {
    let mut warnings = Vec::new();
    let lines = layout::pages_to_lines(pages, &mut warnings);
    structure(lines, warnings, options)
}

/// Lines of either format → text, provisions and obligations.
fn structure(
    lines: Vec<Line>,
    warnings: Vec<String>,
    options: &ExtractOptions,
) -> Result<Extracted, ExtractError> {
    let lines = text::finish(lines);
    let provisions = segment::segment(&lines);
    assemble(lines, provisions, warnings, options)
}

/// Finished lines (NFC already, `text::finish`) and their provisions → the rendered text and
/// the candidate obligations in the document's language.
fn assemble(
    lines: Vec<Line>,
    provisions: Vec<ExtractedProvision>,
    warnings: Vec<String>,
    options: &ExtractOptions,
) -> Result<Extracted, ExtractError> {
    if lines.is_empty() {
        return Err(ExtractError::Empty);
    }
    // Rendering only adds ASCII markers.
    let text = text::render(&lines);
    let language = match &options.language {
        Some(tag) => Language::from_tag(tag),
        None => Language::detect(&text),
    };
    let obligations = obligations::detect(&provisions, language);
    Ok(Extracted {
        text,
        provisions,
        obligations,
        warnings,
    })
}
