//! EUR-Lex XHTML (the Official Journal's XHTML manifestation as CELLAR serves it, and the
//! consolidated texts) → provisions whose identifiers come from the document's own element
//! identifiers, in the catalogue's convention:
//!
//! | element | identifier | citation |
//! |---|---|---|
//! | `div#pbl_1` (citations) | `preamble` | Preamble |
//! | `div#rct_12` | `recital-12` | Recital 12 |
//! | `div#cpt_III` | `chapter-III` | Chapter III |
//! | `div#cpt_III.sct_2` | `chapter-III-section-2` | Chapter III, Section 2 |
//! | `div#art_50` | `art-50` | Art. 50 |
//! | `div#050.002` (OJ) or `span.no-parag` "2." (consolidated) | `art-50-2` | Art. 50(2) |
//! | point row "(a)" (two-cell table, or consolidated grid list) | `art-50-2-a` | Art. 50(2)(a) |
//! | `div#anx_III`, item row "1." | `annex-III`, `annex-III-1` | Annex III, Annex III, point 1 |
//!
//! Numbering is never inferred from text layout where the markup states it; only the leading
//! "2." of a paragraph and the "(a)" of a point are read from text, as the markup puts them
//! there. Footnotes, the running OJ header and the final part (signatures) are not provisions.

use super::outline::{Outline, Structured, paragraph_number, point_label, strip_paragraph_number};
use super::text::clean_inline;
use scraper::{CaseSensitivity, ElementRef, Html, Node};
use std::collections::HashSet;

/// Provisions from EUR-Lex element identifiers; `None` when the document has no article
/// identifiers at all (not EUR-Lex markup), so the caller can fall back to generic
/// segmentation.
pub(crate) fn structure(html: &str) -> Option<Structured> {
    let html = super::html::flatten_deep_nesting(html, super::html::MAX_DEPTH);
    let document = Html::parse_document(&html);
    let has_articles = document.tree.values().any(|node| {
        node.as_element()
            .and_then(|e| e.id())
            .is_some_and(|id| matches!(parse_id(id), Some(Structural::Article(_))))
    });
    if !has_articles {
        return None;
    }
    let mut walker = Walker::default();
    walker.walk(document.root_element());
    walker.flush();
    Some(walker.outline.finish())
}

/// Whether an article marks its paragraphs up as `div#NNN.MMM` (or `span.no-parag`).
fn has_paragraph_divs(article: ElementRef<'_>) -> bool {
    article.descendants().filter_map(ElementRef::wrap).any(|e| {
        e.value()
            .id()
            .is_some_and(|id| matches!(parse_id(id), Some(Structural::Paragraph(_))))
            || e.value()
                .has_class("no-parag", CaseSensitivity::CaseSensitive)
    })
}

/// "2.   Text" → "2" (a paragraph number followed by whitespace and text).
fn leading_paragraph_number(text: &str) -> Option<String> {
    let text = clean_inline(text);
    let (head, rest) = text.split_once(' ')?;
    if rest.trim().is_empty() {
        return None;
    }
    paragraph_number(head)
}

/// A structural element identifier of the markup.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Structural {
    Preamble,
    Recital(String),
    Chapter(String),
    Section(String, String),
    Title(String),
    Part(String),
    Article(String),
    /// `NNN.MMM`: paragraph MMM (with a letter suffix for inserted ones, `002a`).
    Paragraph(String),
    Annex(String),
    /// Containers whose text belongs to no provision (title block, final part).
    Unprovisioned,
}

fn parse_id(id: &str) -> Option<Structural> {
    let numbered = |s: &str| {
        !s.is_empty()
            && s.len() <= 12
            && s.bytes().all(|b| b.is_ascii_alphanumeric())
            && s.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
    };
    if id == "pbl_1" {
        return Some(Structural::Preamble);
    }
    if matches!(id, "tit_1" | "fnp_1") || id.starts_with("fnp_") {
        return Some(Structural::Unprovisioned);
    }
    if let Some(n) = id.strip_prefix("rct_") {
        return n
            .bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| Structural::Recital(n.trim_start_matches('0').to_owned()))
            .filter(|_| !n.is_empty());
    }
    if let Some(rest) = id.strip_prefix("cpt_") {
        return match rest.split_once(".sct_") {
            Some((chapter, section)) if numbered(chapter) && numbered(section) => Some(
                Structural::Section(chapter.to_ascii_uppercase(), section.to_ascii_uppercase()),
            ),
            None if numbered(rest) => Some(Structural::Chapter(rest.to_ascii_uppercase())),
            _ => None,
        };
    }
    if let Some(n) = id.strip_prefix("tis_").filter(|n| numbered(n)) {
        return Some(Structural::Title(n.to_ascii_uppercase()));
    }
    if let Some(n) = id.strip_prefix("prt_").filter(|n| numbered(n)) {
        return Some(Structural::Part(n.to_ascii_uppercase()));
    }
    if let Some(n) = id.strip_prefix("art_").filter(|n| numbered(n)) {
        let digits = n.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        return Some(Structural::Article(n.to_ascii_lowercase()));
    }
    if let Some(n) = id.strip_prefix("anx_").filter(|n| numbered(n)) {
        return Some(Structural::Annex(n.to_ascii_uppercase()));
    }
    // `050.002`, `005.001A`: article number, paragraph number (zero-padded, three digits).
    let b = id.as_bytes();
    if b.len() >= 7
        && b.len() <= 9
        && b[..3].iter().all(u8::is_ascii_digit)
        && b[3] == b'.'
        && b[4..7].iter().all(u8::is_ascii_digit)
        && b[7..].iter().all(u8::is_ascii_alphabetic)
    {
        let number = id[4..7].trim_start_matches('0');
        let suffix = id[7..].to_ascii_lowercase();
        if number.is_empty() {
            return None;
        }
        return Some(Structural::Paragraph(format!("{number}{suffix}")));
    }
    None
}

/// How closing an element changes the walk's state.
enum Exit {
    /// End of a provision's element: closes that provision (and anything still open in it).
    Provision(usize),
    /// End of a block: the current line ends.
    Block,
    /// End of a table cell: cells are separated on one line.
    Cell,
    /// End of a label or title paragraph.
    Capture,
    /// End of an element whose text belongs to no provision.
    Unprovisioned,
    Nothing,
}

enum Step<'a> {
    Enter(ego_tree::NodeRef<'a, Node>),
    Exit(Exit),
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Capture {
    Label,
    Title,
}

#[derive(Default)]
struct Walker {
    outline: Outline,
    line: String,
    /// The line being built is the first line of a point (rendered as a list item).
    line_is_point: bool,
    /// Inside a label or title paragraph: its text, not the body's.
    capture: Option<(Capture, String)>,
    /// The next body line of a paragraph still carries its "2." number.
    strip_number: bool,
    /// Depth of elements whose text belongs to no provision.
    unprovisioned: usize,
    /// Provisions whose printed label ("ANNEX III") has been read: the next heading is the
    /// title.
    label_seen: HashSet<usize>,
    /// The open article's element, and whether its paragraphs are elements of their own.
    article: Option<(ego_tree::NodeId, bool)>,
}

impl Walker {
    fn walk(&mut self, root: ElementRef<'_>) {
        // Iterative: hostile nesting cannot overflow the stack.
        let mut stack = vec![Step::Enter(*root)];
        while let Some(step) = stack.pop() {
            let node = match step {
                Step::Exit(exit) => {
                    self.exit(exit);
                    continue;
                }
                Step::Enter(node) => node,
            };
            match node.value() {
                Node::Text(text) => self.text(text),
                Node::Element(_) => {
                    let Some(element) = ElementRef::wrap(node) else {
                        continue;
                    };
                    let Some((exit, children)) = self.enter(element) else {
                        continue;
                    };
                    stack.push(Step::Exit(exit));
                    stack.extend(children.into_iter().rev().map(Step::Enter));
                }
                _ => {}
            }
        }
    }

    /// Opens `element`; returns what its end does and which children to walk, or `None` to
    /// skip it entirely.
    fn enter<'a>(
        &mut self,
        element: ElementRef<'a>,
    ) -> Option<(Exit, Vec<ego_tree::NodeRef<'a, Node>>)> {
        let value = element.value();
        let name = value.name();
        let class = |c: &str| value.has_class(c, CaseSensitivity::CaseSensitive);
        let all = || element.children().collect::<Vec<_>>();
        if matches!(
            name,
            "script" | "style" | "head" | "title" | "noscript" | "template"
        ) {
            return None;
        }
        // Footnote calls and texts, and the OJ's running header ("Official Journal", series).
        if class("oj-note")
            || class("oj-note-tag")
            || value.classes().any(|c| c.starts_with("oj-hd-"))
            || (name == "a"
                && value
                    .attr("href")
                    .is_some_and(|h| h.starts_with("#ntr") || h.starts_with("#ntc")))
        {
            return None;
        }
        if let Some(structural) = value.id().and_then(parse_id) {
            self.flush();
            if structural == Structural::Unprovisioned {
                self.unprovisioned += 1;
                return Some((Exit::Unprovisioned, all()));
            }
            if let Some((index, paragraph)) = self.open_structural(structural) {
                self.strip_number = paragraph;
                if self.outline.get(index).kind == "article" {
                    self.article = Some((element.id(), has_paragraph_divs(element)));
                }
                return Some((Exit::Provision(index), all()));
            }
            return Some((Exit::Block, all()));
        }
        // Label and title paragraphs of the enclosing provision.
        let label = class("oj-ti-art")
            || class("title-article-norm")
            || class("oj-ti-section-1")
            || class("title-division-1")
            || class("title-annex-1");
        let title = class("oj-sti-art")
            || class("stitle-article-norm")
            || class("oj-ti-section-2")
            || class("title-division-2")
            || class("title-annex-2")
            || class("eli-title");
        let annex_heading = class("oj-doc-ti") && self.innermost_kind() == Some("annex");
        if (label || title || annex_heading) && self.capture.is_none() {
            self.flush();
            let what = if title || (annex_heading && self.innermost_has_label_text()) {
                Capture::Title
            } else {
                Capture::Label
            };
            self.capture = Some((what, String::new()));
            return Some((Exit::Capture, all()));
        }
        // Points: a two-cell row (OJ) or a grid list (consolidated) whose first cell is "(a)".
        if name == "tr" || (name == "div" && class("grid-container")) {
            let cells: Vec<ElementRef<'a>> = element
                .children()
                .filter_map(ElementRef::wrap)
                .filter(|c| {
                    let v = c.value();
                    v.name() == "td" || v.classes().any(|c| c.starts_with("grid-list-column"))
                })
                .collect();
            if cells.len() == 2
                && let Some(token) = point_label(&cells[0].text().collect::<String>())
            {
                self.flush();
                let body = cells[1].children().collect();
                if self.is_own_number(&token) {
                    // A recital's own "(12)": its text is the recital's.
                    return Some((Exit::Block, body));
                }
                let index = self.open_point(&token);
                return Some((Exit::Provision(index), body));
            }
        }
        // Consolidated paragraphs: `<div class="norm"><span class="no-parag">2.</span>…`.
        if name == "div" && class("norm") {
            let number = element
                .children()
                .filter_map(ElementRef::wrap)
                .find(|c| {
                    c.value()
                        .has_class("no-parag", CaseSensitivity::CaseSensitive)
                })
                .map(|span| clean_inline(&span.text().collect::<String>()));
            if let Some(number) = number.as_deref().and_then(paragraph_number)
                && let Some(index) = {
                    self.flush();
                    self.open_paragraph(&number)
                }
            {
                let children = element
                    .children()
                    .filter(|c| {
                        ElementRef::wrap(*c).is_none_or(|e| {
                            !e.value()
                                .has_class("no-parag", CaseSensitivity::CaseSensitive)
                        })
                    })
                    .collect();
                return Some((Exit::Provision(index), children));
            }
        }
        // EUR-Lex HTML without paragraph elements: "2.   Text" paragraphs straight in the
        // article; each runs until the next one or the article's end.
        if name == "p"
            && let Some((article, false)) = self.article
            && element.parent().is_some_and(|p| p.id() == article)
            && let Some(number) = leading_paragraph_number(&element.text().collect::<String>())
        {
            self.flush();
            if self.open_paragraph(&number).is_some() {
                self.strip_number = true;
            }
            return Some((Exit::Block, all()));
        }
        let exit = match name {
            "td" | "th" => Exit::Cell,
            "br" => {
                self.flush();
                Exit::Nothing
            }
            "p" | "div" | "li" | "tr" | "table" | "h1" | "h2" | "h3" | "h4" | "h5" | "h6"
            | "dt" | "dd" | "blockquote" | "section" | "article" | "body" | "ul" | "ol" => {
                self.flush();
                Exit::Block
            }
            _ => Exit::Nothing,
        };
        Some((exit, all()))
    }

    fn exit(&mut self, exit: Exit) {
        match exit {
            Exit::Provision(index) => {
                self.flush();
                if self.outline.get(index).kind == "article" {
                    self.article = None;
                }
                self.outline.close_to(index);
                self.outline.pop();
                self.strip_number = false;
            }
            Exit::Block => self.flush(),
            Exit::Cell => {
                if !self.line.trim().is_empty() {
                    self.line.push_str(" | ");
                }
            }
            Exit::Capture => {
                if let Some((what, text)) = self.capture.take() {
                    let text = clean_inline(&text);
                    self.outline.heading(&text);
                    match what {
                        Capture::Title => self.outline.title(&text),
                        // The citation label is derived from the identifier; the printed one
                        // ("ANNEX III") only marks that the next heading is the title.
                        Capture::Label => {
                            if let Some(index) = self.outline.innermost_index() {
                                self.label_seen.insert(index);
                            }
                        }
                    }
                }
            }
            Exit::Unprovisioned => {
                self.flush();
                self.unprovisioned = self.unprovisioned.saturating_sub(1);
            }
            Exit::Nothing => {}
        }
    }

    fn text(&mut self, text: &str) {
        match &mut self.capture {
            Some((_, buffer)) => buffer.push_str(text),
            None => self.line.push_str(text),
        }
    }

    /// Ends the current line, appending it to the innermost provision.
    fn flush(&mut self) {
        let raw = std::mem::take(&mut self.line);
        let mut text = clean_inline(&raw).trim_end_matches(" |").trim().to_owned();
        if text.is_empty() {
            return;
        }
        if self.strip_number {
            text = strip_paragraph_number(&text).to_owned();
            self.strip_number = false;
        }
        let point = std::mem::take(&mut self.line_is_point);
        if self.unprovisioned > 0 {
            self.outline.loose(&text);
        } else {
            self.outline.text(&text, point);
        }
    }

    fn innermost_kind(&self) -> Option<&str> {
        self.outline.innermost().map(|p| p.kind.as_str())
    }

    fn innermost_has_label_text(&self) -> bool {
        self.outline
            .innermost_index()
            .is_some_and(|i| self.label_seen.contains(&i))
    }

    /// A recital's own number repeated in its first cell.
    fn is_own_number(&self, token: &str) -> bool {
        self.outline
            .innermost()
            .is_some_and(|p| p.kind == "recital" && p.id.strip_prefix("recital-") == Some(token))
    }

    /// Opens the provision of a structural element. Returns it and whether it is a paragraph
    /// (whose first line carries its number), or `None` when the element is not a provision here.
    fn open_structural(&mut self, structural: Structural) -> Option<(usize, bool)> {
        let (id, kind, label) = match structural {
            Structural::Preamble => ("preamble".into(), "preamble", "Preamble".into()),
            Structural::Recital(n) => (format!("recital-{n}"), "recital", format!("Recital {n}")),
            Structural::Chapter(n) => (format!("chapter-{n}"), "chapter", format!("Chapter {n}")),
            Structural::Section(c, s) => (
                format!("chapter-{c}-section-{s}"),
                "section",
                format!("Chapter {c}, Section {s}"),
            ),
            Structural::Title(n) => (format!("title-{n}"), "title", format!("Title {n}")),
            Structural::Part(n) => (format!("part-{n}"), "part", format!("Part {n}")),
            Structural::Article(n) => (format!("art-{n}"), "article", format!("Art. {n}")),
            Structural::Annex(n) => (format!("annex-{n}"), "annex", format!("Annex {n}")),
            Structural::Paragraph(n) => {
                return self.open_paragraph(&n).map(|index| (index, true));
            }
            Structural::Unprovisioned => return None,
        };
        Some((self.outline.push(id, kind, label), false))
    }

    fn open_paragraph(&mut self, number: &str) -> Option<usize> {
        let article = self.outline.open_of_kind("article")?;
        // A paragraph inside a paragraph (malformed) still hangs off its article.
        self.outline.close_to(article);
        let a = self.outline.get(article);
        let (id, label) = (
            format!("{}-{number}", a.id),
            format!("{}({number})", a.label),
        );
        Some(self.outline.push(id, "paragraph", label))
    }

    fn open_point(&mut self, token: &str) -> usize {
        let (id, label) = match self.outline.innermost() {
            Some(parent) if parent.kind == "annex" => (
                format!("{}-{token}", parent.id),
                format!("{}, point {token}", parent.label),
            ),
            Some(parent) => (
                format!("{}-{token}", parent.id),
                format!("{}({token})", parent.label),
            ),
            None => (format!("point-{token}"), format!("({token})")),
        };
        self.line_is_point = true;
        self.outline.push(id, "point", label)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OJ: &str = r##"<?xml version="1.0" encoding="UTF-8"?>
<html xmlns="http://www.w3.org/1999/xhtml"><head><title>L_202401689EN.000101.fmx.xml</title></head><body>
<div id="docHtml"><table class="oj-table"><tr><td><p class="oj-hd-date">12.7.2024</p></td><td><p class="oj-hd-ti">Official Journal of the European Union</p></td></tr></table>
<div class="eli-container">
<div class="eli-main-title" id="tit_1"><p class="oj-doc-ti">REGULATION (EU) 2024/1689</p></div>
<div class="eli-subdivision" id="pbl_1"><p class="oj-normal">THE EUROPEAN PARLIAMENT AND THE COUNCIL OF THE EUROPEAN UNION,</p>
<div class="eli-subdivision" id="rct_1"><table><col width="4%"/><col width="96%"/><tbody><tr><td><p class="oj-normal">(1)</p></td><td><p class="oj-normal">The purpose of this Regulation is to improve the functioning of the internal market<a id="ntc1-L_202401689EN.000101-E0001" href="#ntr1-L_202401689EN.000101-E0001">(<span class="oj-super oj-note-tag">1</span>)</a>.</p></td></tr></tbody></table></div>
<p class="oj-normal">HAVE ADOPTED THIS REGULATION:</p></div>
<div id="enc_1">
<div id="cpt_IV"><p class="oj-ti-section-1">CHAPTER IV</p><div class="eli-title" id="cpt_IV.tit_1"><p class="oj-ti-section-2">TRANSPARENCY OBLIGATIONS</p></div>
<div class="eli-subdivision" id="art_50"><p class="oj-ti-art">Article 50</p><div class="eli-title" id="art_50.tit_1"><p class="oj-sti-art">Transparency obligations</p></div>
<div id="050.001"><p class="oj-normal">1.   Providers shall ensure that natural persons are informed.</p></div>
<div id="050.002"><p class="oj-normal">2.   Providers of AI systems shall ensure that the outputs are marked:</p>
<table><tbody><tr><td><p class="oj-normal">(a)</p></td><td><p class="oj-normal">in a machine-readable format;</p></td></tr></tbody></table></div>
</div></div>
<div id="cpt_III.sct_2"><p class="oj-ti-section-1">SECTION 2</p></div>
</div>
<div class="eli-subdivision" id="fnp_1"><p class="oj-normal">Done at Brussels, 13 June 2024.</p></div>
</div>
<div class="eli-container" id="anx_III"><p class="oj-doc-ti">ANNEX III</p><p class="oj-doc-ti">High-risk AI systems</p>
<table><tbody><tr><td><p class="oj-normal">1.</p></td><td><p class="oj-normal">Biometrics:</p>
<table><tbody><tr><td><p class="oj-normal">(a)</p></td><td><p class="oj-normal">remote biometric identification systems.</p></td></tr></tbody></table></td></tr></tbody></table></div>
<hr class="oj-note"/><p class="oj-note">(<a id="ntr1" href="#ntc1">1</a>)  OJ C 517.</p>
</div></body></html>"##;

    fn ids(s: &Structured) -> Vec<&str> {
        s.provisions.iter().map(|p| p.id.as_str()).collect()
    }

    #[test]
    fn identifiers_come_from_the_markup() {
        let s = structure(OJ).unwrap();
        assert_eq!(
            ids(&s),
            [
                "preamble",
                "recital-1",
                "chapter-IV",
                "art-50",
                "art-50-1",
                "art-50-2",
                "art-50-2-a",
                "chapter-III-section-2",
                "annex-III",
                "annex-III-1",
                "annex-III-1-a"
            ]
        );
        let get = |id: &str| s.provisions.iter().find(|p| p.id == id).unwrap();
        assert_eq!(
            get("art-50").title.as_deref(),
            Some("Transparency obligations")
        );
        assert_eq!(get("art-50").parent.as_deref(), Some("chapter-IV"));
        assert_eq!(get("art-50-2").label, "Art. 50(2)");
        assert_eq!(
            get("art-50-2").text,
            "Providers of AI systems shall ensure that the outputs are marked:"
        );
        assert_eq!(get("art-50-2-a").text, "in a machine-readable format;");
        assert_eq!(get("art-50-2-a").label, "Art. 50(2)(a)");
        assert_eq!(
            get("recital-1").text,
            "The purpose of this Regulation is to improve the functioning of the internal market.",
            "the footnote call is dropped"
        );
        assert_eq!(
            get("chapter-IV").title.as_deref(),
            Some("TRANSPARENCY OBLIGATIONS")
        );
        assert_eq!(
            get("annex-III").title.as_deref(),
            Some("High-risk AI systems")
        );
        assert_eq!(get("annex-III-1-a").label, "Annex III, point 1(a)");
        assert!(
            !s.provisions
                .iter()
                .any(|p| p.text.contains("Done at Brussels")
                    || p.text.contains("OJ C 517")
                    || p.text.contains("Official Journal")),
            "final part, footnotes and the OJ header are no provision's text"
        );
        assert!(get("preamble").text.contains("HAVE ADOPTED"));
    }

    #[test]
    fn consolidated_markup() {
        let html = r#"<html><body><div class="eli-subdivision" id="art_4">
            <p class="title-article-norm">Article 4</p>
            <div class="eli-title"><p class="stitle-article-norm">AI literacy</p></div>
            <div class="norm"><span class="no-parag">1.   </span><div class="inline-element"><p class="norm">Providers shall take measures.</p></div></div>
            <div class="norm"><span class="no-parag">1a.   </span><p class="norm">Member States shall support:</p>
              <div class="grid-container grid-list"><div class="list grid-list-column-1"><span>(a)</span></div><div class="grid-list-column-2"><p class="norm">literacy;</p></div></div></div>
            </div></body></html>"#;
        let s = structure(html).unwrap();
        assert_eq!(ids(&s), ["art-4", "art-4-1", "art-4-1a", "art-4-1a-a"]);
        assert_eq!(s.provisions[1].text, "Providers shall take measures.");
        assert_eq!(s.provisions[0].title.as_deref(), Some("AI literacy"));
    }

    #[test]
    fn paragraphs_without_elements_of_their_own() {
        // EUR-Lex's HTML rendering: paragraphs are numbered text straight in the article.
        let html = r#"<html><body><div id="art_1" class="eli-subdivision">
            <p class="oj-ti-art">Article 1</p><p class="oj-sti-art">Subject matter</p>
            <p class="oj-normal">1. The purpose of this Regulation is to improve the internal market.</p>
            <p class="oj-normal">2. This Regulation lays down:</p>
            <table class="oj-table"><tr><td><p>(a)</p></td><td><p>harmonised rules;</p></td></tr></table>
            <table class="oj-table"><tr><td><p>(b)</p></td><td><p>prohibitions;</p></td></tr></table>
            </div><div id="art_2" class="eli-subdivision"><p class="oj-ti-art">Article 2</p><p class="oj-normal">Scope text.</p></div></body></html>"#;
        let s = structure(html).unwrap();
        assert_eq!(
            ids(&s),
            [
                "art-1",
                "art-1-1",
                "art-1-2",
                "art-1-2-a",
                "art-1-2-b",
                "art-2"
            ]
        );
        assert_eq!(
            s.provisions[1].text,
            "The purpose of this Regulation is to improve the internal market."
        );
        assert_eq!(s.provisions[5].text, "Scope text.");
        assert_eq!(s.provisions[5].parent, None);
    }

    #[test]
    fn not_eurlex_markup_is_none() {
        assert!(structure("<html><body><h2>Article 1</h2><p>Text</p></body></html>").is_none());
    }

    #[test]
    fn element_identifiers() {
        assert_eq!(parse_id("050.002"), Some(Structural::Paragraph("2".into())));
        assert_eq!(
            parse_id("005.001A"),
            Some(Structural::Paragraph("1a".into()))
        );
        assert_eq!(
            parse_id("cpt_III.sct_2"),
            Some(Structural::Section("III".into(), "2".into()))
        );
        assert_eq!(parse_id("cpt_III.tit_1"), None);
        assert_eq!(parse_id("art_50.tit_1"), None);
    }
}
