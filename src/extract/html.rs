//! HTML → lines: the content region picked by CSS selectors, boilerplate dropped, headings,
//! list items and table rows kept as lines. Challenge and consent pages are recognised so they
//! are recorded as fetch failures instead of content.

use super::ExtractError;
use super::ExtractOptions;
use super::segment::is_item_marker;
use super::text::{Line, LineKind, clean_inline};
use scraper::{ElementRef, Html, Node, Selector};
use std::collections::HashSet;
use std::sync::OnceLock;

/// Elements and widgets that are never content, whatever the region.
const BOILERPLATE: &str = "nav, aside, script, style, noscript, template, iframe, object, embed, \
    svg, canvas, button, select, input, textarea, dialog, [hidden], [aria-hidden='true'], \
    [style*='display:none' i], [style*='display: none' i], \
    [role='navigation'], [role='banner'], [role='contentinfo'], [role='search'], \
    [role='complementary'], [role='dialog'], [role='alertdialog'], \
    #onetrust-banner-sdk, #onetrust-consent-sdk, #CybotCookiebotDialog, .cc-window, \
    [id*='cookie' i], [class*='cookie' i], [id*='consent' i], [class*='consent' i], \
    [class*='gdpr' i], [class*='breadcrumb' i], [class*='skip-link' i], [class*='social-share' i]";

/// Page titles of bot challenges, WAF blocks and interstitials (lower case).
const CHALLENGE_TITLES: &[&str] = &[
    "just a moment",
    "attention required",
    "access denied",
    "checking your browser",
    "ddos protection",
    "are you a robot",
    "captcha",
    "security check",
    "request rejected",
    "human verification",
    "verify you are human",
    "pardon our interruption",
    "one more step",
    "bot verification",
];

/// Fingerprints of challenge scripts and WAF block pages in the raw HTML (lower case).
const CHALLENGE_MARKERS: &[&str] = &[
    "cf-browser-verification",
    "/cdn-cgi/challenge-platform",
    "cf_chl_",
    "awswaf",
    "aws-waf-token",
    "_incapsula_resource",
    "captcha-delivery.com",
    "px-captcha",
    "g-recaptcha",
    "h-captcha",
    "the requested url was rejected",
    "you don't have permission to access",
    "enable javascript and cookies to continue",
];

/// Words of a consent wall (lower case, English, Indonesian, Malay).
const CONSENT_WORDS: &[&str] = &[
    "cookie",
    "consent",
    "accept all",
    "persetujuan",
    "terima semua",
    "setuju",
    "kuki",
];

/// Content shorter than this (characters) on a page with challenge fingerprints is a challenge.
const CHALLENGE_MAX_CONTENT: usize = 2_000;

fn boilerplate() -> &'static Selector {
    static SELECTOR: OnceLock<Selector> = OnceLock::new();
    SELECTOR.get_or_init(|| Selector::parse(BOILERPLATE).expect("boilerplate selector is valid"))
}

fn parse_selector(selector: &str) -> Result<Selector, ExtractError> {
    Selector::parse(selector).map_err(|e| ExtractError::BadSelector {
        selector: selector.to_string(),
        message: e.to_string(),
    })
}

/// Extracts the content region of `html` as lines (not yet NFC-normalised).
pub(crate) fn to_lines(html: &str, options: &ExtractOptions) -> Result<Vec<Line>, ExtractError> {
    let include = options.include_selector.as_deref().map(parse_selector);
    let exclude = options.exclude_selector.as_deref().map(parse_selector);
    let include = include.transpose()?;
    let exclude = exclude.transpose()?;
    let document = Html::parse_document(html);
    let challenge = challenge_signal(&document, html);

    let roots: Vec<ElementRef> = match &include {
        Some(selector) => {
            let mut roots: Vec<ElementRef> = document.select(selector).collect();
            // A region nested in another matched region would be emitted twice.
            let ids: HashSet<_> = roots.iter().map(|r| r.id()).collect();
            roots.retain(|r| !r.ancestors().any(|a| ids.contains(&a.id())));
            roots
        }
        None => {
            let body = parse_selector("body")?;
            document
                .select(&body)
                .next()
                .into_iter()
                .chain(std::iter::once(document.root_element()))
                .take(1)
                .collect()
        }
    };
    if roots.is_empty() {
        return Err(match challenge {
            Some(reason) => ExtractError::Challenge(reason),
            None => {
                ExtractError::MissingSelector(options.include_selector.clone().unwrap_or_default())
            }
        });
    }

    let mut excluded = HashSet::new();
    for root in &roots {
        for selector in std::iter::once(boilerplate()).chain(exclude.as_ref()) {
            excluded.extend(root.select(selector).map(|e| e.id()));
        }
    }
    let mut writer = LineWriter::default();
    for root in &roots {
        walk(*root, &|e| excluded.contains(&e.id()), &mut writer);
    }
    let lines = writer.finish();
    let content_chars: usize = lines.iter().map(|l| l.text.chars().count()).sum();
    if let Some(reason) = challenge
        && content_chars < CHALLENGE_MAX_CONTENT
    {
        return Err(ExtractError::Challenge(reason));
    }
    if content_chars == 0 {
        return Err(ExtractError::Empty);
    }
    Ok(lines)
}

/// Why the page looks like a challenge or a consent wall, if it does. Decided on the raw page;
/// the caller only believes it when the page has little content of its own.
fn challenge_signal(document: &Html, raw: &str) -> Option<String> {
    let title_selector = Selector::parse("title").ok()?;
    let title = document
        .select(&title_selector)
        .next()
        .map(|t| clean_inline(&t.text().collect::<String>()).to_lowercase())
        .unwrap_or_default();
    if let Some(hit) = CHALLENGE_TITLES.iter().find(|t| title.contains(*t)) {
        return Some(format!("title {title:?} ({hit})"));
    }
    let lower = raw.to_lowercase();
    if let Some(hit) = CHALLENGE_MARKERS.iter().find(|m| lower.contains(*m)) {
        return Some(format!("challenge fingerprint {hit:?}"));
    }
    // A consent wall: the page's visible text is mostly about cookies or consent.
    let body_text = Selector::parse("body")
        .ok()
        .and_then(|s| document.select(&s).next())
        .map(|b| clean_inline(&b.text().collect::<String>()).to_lowercase())
        .unwrap_or_default();
    if body_text.chars().count() < 600
        && let Some(hit) = CONSENT_WORDS.iter().find(|w| body_text.contains(*w))
    {
        return Some(format!("consent wall ({hit})"));
    }
    None
}

enum Step<N> {
    Enter(N),
    Exit(Block),
}

/// What closing an element must do to the line being built.
#[derive(Clone, Copy)]
enum Block {
    Heading,
    List,
    ListItem,
    Row,
    Cell,
    Table,
    Sectioning,
    /// A block element: its end ends the line.
    Plain,
    /// An inline element: its end changes nothing.
    Inline,
}

/// Iterative walk (deeply nested hostile HTML cannot overflow the stack).
fn walk(root: ElementRef<'_>, is_excluded: &dyn Fn(ElementRef<'_>) -> bool, out: &mut LineWriter) {
    out.sectioning = root
        .ancestors()
        .filter_map(ElementRef::wrap)
        .filter(|e| matches!(e.value().name(), "article" | "main" | "section"))
        .count();
    let mut stack = vec![Step::Enter(*root)];
    while let Some(step) = stack.pop() {
        let node = match step {
            Step::Exit(block) => {
                out.close(block);
                continue;
            }
            Step::Enter(node) => node,
        };
        match node.value() {
            Node::Text(text) => out.text(text),
            Node::Element(element) => {
                let Some(element_ref) = ElementRef::wrap(node) else {
                    continue;
                };
                if is_excluded(element_ref) {
                    continue;
                }
                let name = element.name();
                // Page-level header/footer is chrome; inside an article it carries titles.
                if matches!(name, "header" | "footer") && out.sectioning == 0 {
                    continue;
                }
                let block = out.open(name);
                stack.push(Step::Exit(block));
                let children: Vec<_> = node.children().collect();
                stack.extend(children.into_iter().rev().map(Step::Enter));
            }
            _ => {}
        }
    }
}

/// Builds lines from the text and block boundaries of the walk.
#[derive(Default)]
struct LineWriter {
    lines: Vec<Line>,
    buffer: String,
    heading: Option<u8>,
    lists: u8,
    items: u8,
    tables: u8,
    cells: Vec<String>,
    sectioning: usize,
}

impl LineWriter {
    fn text(&mut self, text: &str) {
        self.buffer.push_str(text);
    }

    fn open(&mut self, name: &str) -> Block {
        // Inside a table cell, blocks only separate words: the row stays one line.
        if self.tables > 0 && !matches!(name, "tr" | "td" | "th" | "table") {
            if is_block(name) || name == "br" {
                self.buffer.push(' ');
            }
            return Block::Inline;
        }
        match name {
            "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => {
                self.flush();
                self.heading = name[1..].parse().ok();
                Block::Heading
            }
            "ul" | "ol" | "menu" => {
                self.flush();
                self.lists = self.lists.saturating_add(1);
                Block::List
            }
            "li" => {
                self.flush();
                self.items = self.items.saturating_add(1);
                Block::ListItem
            }
            "table" => {
                self.flush();
                self.tables = self.tables.saturating_add(1);
                Block::Table
            }
            "tr" if self.tables == 1 => {
                self.cells.clear();
                self.buffer.clear();
                Block::Row
            }
            "td" | "th" if self.tables == 1 => {
                self.push_cell();
                Block::Cell
            }
            "tr" | "td" | "th" => {
                self.buffer.push(' ');
                Block::Inline
            }
            "article" | "main" | "section" => {
                self.flush();
                self.sectioning += 1;
                Block::Sectioning
            }
            "br" => {
                self.flush();
                Block::Inline
            }
            name if is_block(name) => {
                self.flush();
                Block::Plain
            }
            _ => Block::Inline,
        }
    }

    fn close(&mut self, block: Block) {
        match block {
            Block::Heading => {
                self.flush();
                self.heading = None;
            }
            Block::List => {
                self.flush();
                self.lists = self.lists.saturating_sub(1);
            }
            Block::ListItem => {
                self.flush();
                self.items = self.items.saturating_sub(1);
            }
            Block::Cell => self.push_cell(),
            Block::Row => {
                self.push_cell();
                let cells = std::mem::take(&mut self.cells);
                if let Some(line) = row_line(cells) {
                    self.lines.push(line);
                }
            }
            Block::Table => {
                if self.tables == 1 {
                    // Stray text between rows (captions, whitespace) is not a row.
                    self.buffer.clear();
                }
                self.tables = self.tables.saturating_sub(1);
            }
            Block::Sectioning => {
                self.flush();
                self.sectioning = self.sectioning.saturating_sub(1);
            }
            Block::Plain => self.flush(),
            Block::Inline => {}
        }
    }

    fn push_cell(&mut self) {
        let cell = clean_inline(&std::mem::take(&mut self.buffer));
        if !cell.is_empty() {
            self.cells.push(cell);
        }
    }

    fn flush(&mut self) {
        if self.tables > 0 {
            return;
        }
        let text = clean_inline(&std::mem::take(&mut self.buffer));
        if text.is_empty() {
            return;
        }
        let kind = match (self.heading, self.items) {
            (Some(level), _) => LineKind::Heading(level),
            (None, 0) => LineKind::Text,
            (None, _) => LineKind::ListItem(self.lists.saturating_sub(1)),
        };
        self.lines.push(Line::new(text, kind));
    }

    fn finish(mut self) -> Vec<Line> {
        self.tables = 0;
        self.flush();
        self.lines
    }
}

/// A row whose first cell is only a point marker ("(a)", "1.") is a numbered item laid out as
/// a table (the EUR-Lex layout), not data: keep it as one text line.
fn row_line(cells: Vec<String>) -> Option<Line> {
    match cells.as_slice() {
        [] => None,
        [first, rest @ ..] if !rest.is_empty() && is_item_marker(first) => Some(Line::new(
            format!("{first} {}", rest.join(" ")),
            LineKind::Text,
        )),
        _ => Some(Line::new(cells.join(" | "), LineKind::TableRow)),
    }
}

fn is_block(name: &str) -> bool {
    matches!(
        name,
        "p" | "div"
            | "section"
            | "article"
            | "main"
            | "header"
            | "footer"
            | "blockquote"
            | "pre"
            | "dl"
            | "dt"
            | "dd"
            | "figure"
            | "figcaption"
            | "address"
            | "details"
            | "summary"
            | "caption"
            | "center"
            | "form"
            | "fieldset"
            | "legend"
            | "hr"
            | "body"
            | "html"
    )
}
