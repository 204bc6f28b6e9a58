//! HTML → lines: the content region picked by CSS selectors, boilerplate dropped, headings,
//! list items and table rows kept as lines. Challenge and consent pages are recognised so they
//! are recorded as fetch failures instead of content.

use super::ExtractError;
use super::ExtractOptions;
use super::numbering::is_item_marker;
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
/// Content about cookies shorter than this (characters) is a consent wall.
const CONSENT_MAX_CONTENT: usize = 200;
/// Content shorter than this on a page that mentions cookies is a consent wall.
const CONSENT_NEAR_EMPTY: usize = 50;

/// Elements nested deeper than this are unwrapped before parsing. html5ever's tree builder
/// is quadratic in nesting depth (a few hundred KiB of `<div>` costs minutes); WebKit's parser
/// caps DOM depth at the same 512.
pub(crate) const MAX_DEPTH: usize = 512;

/// Elements whose end tag may be omitted, or that never nest deeply in practice: not counted,
/// so unclosed `<p>` and `<li>` in sloppy pages do not look deep.
const UNCOUNTED: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
    "track", "wbr", "p", "li", "dt", "dd", "option", "optgroup", "tr", "td", "th", "thead",
    "tbody", "tfoot", "colgroup", "caption", "rb", "rt", "rtc", "rp", "html", "head", "body",
];

/// Elements whose content is raw text: tags inside them are not tags.
const RAW_TEXT: &[&str] = &[
    "script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes",
];

/// Drops start and end tags nested deeper than `max_depth` (keeping their text), so the
/// parser's cost stays bounded. Pages within the limit are returned unchanged.
pub(crate) fn flatten_deep_nesting(html: &str, max_depth: usize) -> std::borrow::Cow<'_, str> {
    let bytes = html.as_bytes();
    let mut depth = 0usize;
    let mut cuts: Vec<(usize, usize)> = Vec::new();
    let mut i = 0;
    while let Some(offset) = html[i..].find('<') {
        let start = i + offset;
        let rest = &html[start..];
        if rest.starts_with("<!--") {
            i = rest.find("-->").map_or(html.len(), |e| start + e + 3);
            continue;
        }
        let Some(close) = rest.find('>') else {
            break;
        };
        let end = start + close + 1;
        let closing = rest.starts_with("</");
        let name_start = start + if closing { 2 } else { 1 };
        let name_len = bytes[name_start..end]
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric())
            .count();
        i = end;
        if name_len == 0 {
            continue;
        }
        let name = html[name_start..name_start + name_len].to_ascii_lowercase();
        if !closing && RAW_TEXT.contains(&name.as_str()) {
            let needle = format!("</{name}");
            i = html[end..]
                .match_indices("</")
                .map(|(e, _)| end + e)
                .find(|&e| {
                    bytes
                        .get(e..e + needle.len())
                        .is_some_and(|b| b.eq_ignore_ascii_case(needle.as_bytes()))
                })
                .unwrap_or(html.len());
            continue;
        }
        if UNCOUNTED.contains(&name.as_str()) || (!closing && rest[..close].ends_with('/')) {
            continue;
        }
        if closing {
            if depth > max_depth {
                cuts.push((start, end));
            }
            depth = depth.saturating_sub(1);
        } else {
            depth += 1;
            if depth > max_depth {
                cuts.push((start, end));
            }
        }
    }
    if cuts.is_empty() {
        return std::borrow::Cow::Borrowed(html);
    }
    let mut out = String::with_capacity(html.len());
    let mut from = 0;
    for (start, end) in cuts {
        out.push_str(&html[from..start]);
        from = end;
    }
    out.push_str(&html[from..]);
    std::borrow::Cow::Owned(out)
}

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
    let html = flatten_deep_nesting(html, MAX_DEPTH);
    let document = Html::parse_document(&html);
    let challenge = challenge_signal(&document, &html);

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
    if let Some(reason) = consent_wall(&document, &lines, content_chars) {
        return Err(ExtractError::Challenge(reason));
    }
    if content_chars == 0 {
        return Err(ExtractError::Empty);
    }
    Ok(lines)
}

/// Why the page looks like a challenge or a consent wall, if it does. Decided on the raw page;
/// the caller only believes it when the page has little content of its own.
pub(crate) fn challenge_signal(document: &Html, raw: &str) -> Option<String> {
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
    None
}

/// A consent wall: what is left of the page is short and mostly about cookies or consent, or almost
/// nothing is left of a page that talks about them.
fn consent_wall(document: &Html, lines: &[Line], content_chars: usize) -> Option<String> {
    let mentions = |text: &str| {
        let lower = text.to_lowercase();
        CONSENT_WORDS.iter().find(|w| lower.contains(*w)).copied()
    };
    if content_chars < CONSENT_MAX_CONTENT {
        let hits: Vec<&str> = lines.iter().filter_map(|l| mentions(&l.text)).collect();
        if !hits.is_empty() && hits.len() * 2 >= lines.len() {
            return Some(format!("consent wall ({})", hits[0]));
        }
    }
    if content_chars < CONSENT_NEAR_EMPTY {
        let body = Selector::parse("body").ok()?;
        let text: String = document.select(&body).next()?.text().collect();
        if clean_inline(&text).chars().count() < CONSENT_MAX_CONTENT * 3 {
            return mentions(&text).map(|hit| format!("consent wall ({hit})"));
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shallow_pages_are_untouched_and_deep_ones_flattened() {
        let page = "<div><p>a<p>b<script>if (a<b) { x('<div>') }</script><br/></div>";
        assert!(matches!(
            flatten_deep_nesting(page, 1),
            std::borrow::Cow::Borrowed(_)
        ));
        let deep = format!("{}x{}", "<div class=\"c\">".repeat(10), "</div>".repeat(10));
        let flat = flatten_deep_nesting(&deep, 3);
        assert_eq!(
            flat,
            format!("{}x{}", "<div class=\"c\">".repeat(3), "</div>".repeat(3))
        );
    }

    #[test]
    fn table_rows_with_point_markers_become_items() {
        let lines = to_lines(
            "<table><tr><td>(a)</td><td>first</td></tr><tr><td>Name</td><td>Value</td></tr></table>",
            &ExtractOptions::default(),
        )
        .unwrap();
        assert_eq!(
            lines,
            vec![
                Line::new("(a) first", LineKind::Text),
                Line::new("Name | Value", LineKind::TableRow)
            ]
        );
    }

    #[test]
    fn headings_lists_and_inline_markup() {
        let lines = to_lines(
            "<h2>Article <b>5</b></h2><ul><li>one <i>item</i></li><li>two<ul><li>nested</li></ul></li></ul><p>a<br>b</p>",
            &ExtractOptions::default(),
        )
        .unwrap();
        assert_eq!(
            lines,
            vec![
                Line::new("Article 5", LineKind::Heading(2)),
                Line::new("one item", LineKind::ListItem(0)),
                Line::new("two", LineKind::ListItem(0)),
                Line::new("nested", LineKind::ListItem(1)),
                Line::new("a", LineKind::Text),
                Line::new("b", LineKind::Text),
            ]
        );
    }
}
