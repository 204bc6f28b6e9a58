//! Segmentation of lines into provisions with identifiers derived from the numbering
//! (`art-50-2-a`, `pasal-3-ayat-1`, `bab-ii`, `seksyen-4`, `principle-2`), so an identifier
//! survives re-crawls as long as the numbering does. Only unnumbered headings fall back to a
//! slug of their text (`heading-<slug>`), never to a position.

use super::ExtractedProvision;
use super::numbering::{
    ARTICLE, CHAPTER, Head, Marker, PARAGRAPH, PART, POINT, SECTION, SUBPOINT, heading_like,
    mentions_principles, parse_keyword, parse_marker,
};
use super::text::{Line, LineKind, slug};
use std::collections::HashMap;

struct Open {
    level: u16,
    index: usize,
    /// What opened it, for child identifiers ("pasal" paragraphs are "ayat").
    prefix: &'static str,
}

struct Segmenter {
    provisions: Vec<ExtractedProvision>,
    stack: Vec<Open>,
    used: HashMap<String, usize>,
    /// Section keywords sit between chapters and articles when the text has articles.
    has_articles: bool,
    principles: bool,
    /// Index of a keyword provision whose title may still follow on the next line.
    awaiting_title: Option<usize>,
}

/// Splits lines into provisions, in document order.
pub(crate) fn segment(lines: &[Line]) -> Vec<ExtractedProvision> {
    let has_articles = lines.iter().any(|l| {
        parse_keyword(l).is_some_and(|h| matches!(h.keyword.prefix, "art" | "pasal" | "perkara"))
    });
    let mut s = Segmenter {
        provisions: Vec::new(),
        stack: Vec::new(),
        used: HashMap::new(),
        has_articles,
        principles: false,
        awaiting_title: None,
    };
    for line in lines {
        s.line(line);
    }
    s.provisions
}

impl Segmenter {
    fn line(&mut self, line: &Line) {
        let awaiting = self.awaiting_title.take();
        if let Some(head) = parse_keyword(line) {
            return self.keyword(head);
        }
        if let Some((marker, label, rest)) = parse_marker(&line.text) {
            return self.item(line, marker, label, rest);
        }
        if let Some(index) = awaiting
            && heading_like_title(line)
        {
            self.provisions[index].title = Some(line.text.clone());
            if mentions_principles(&line.text) {
                self.principles = true;
            }
            return;
        }
        if heading_like(&line.text) && line.text.split_whitespace().count() <= 6 {
            self.principles = mentions_principles(&line.text);
        }
        if line.is_heading() {
            let slug = slug(&line.text, 60);
            let id = format!(
                "heading-{}",
                if slug.is_empty() { "untitled" } else { &slug }
            );
            let depth = match line.kind {
                LineKind::Heading(level) => u16::from(level),
                _ => 6,
            };
            // Unnumbered headings sit between chapters and articles, nested by HTML level.
            let level = SECTION + depth;
            self.open(
                id,
                "heading",
                line.text.clone(),
                Some(line.text.clone()),
                level,
                "heading",
            );
            return;
        }
        self.append(line);
    }

    fn keyword(&mut self, head: Head<'_>) {
        let Head {
            keyword,
            number,
            label,
            title,
        } = head;
        // The body of the act starts: the preamble (and its recitals) is closed.
        if self.stack.first().is_some_and(|o| o.prefix == "preamble") {
            self.stack.clear();
        }
        let mut level = keyword.level;
        if keyword.prefix == "section" && self.has_articles {
            level = SECTION;
        }
        let own = match &number {
            Some(n) => format!("{}-{n}", keyword.prefix),
            None => keyword.prefix.to_string(),
        };
        // Sections and Bagian restart their numbering in each chapter or Bab.
        let id = if level == SECTION {
            match self.enclosing(CHAPTER) {
                Some(parent) => format!("{parent}-{own}"),
                None => own,
            }
        } else {
            own
        };
        let index = self.open(
            id,
            keyword.kind,
            label.to_string(),
            title.map(str::to_string),
            level,
            keyword.prefix,
        );
        if let Some(title) = title
            && mentions_principles(title)
        {
            self.principles = true;
        }
        if title.is_none() {
            self.awaiting_title = Some(index);
        }
    }

    fn item(&mut self, line: &Line, marker: Marker, label: &str, rest: &str) {
        let in_article = self
            .stack
            .iter()
            .any(|o| o.level == ARTICLE && !matches!(o.prefix, "heading" | "numbered"));
        let in_point = self.stack.last().is_some_and(|o| o.level >= POINT);
        match marker {
            Marker::ParenNumber(n) | Marker::DotNumber(n)
                if !in_article && (line.is_heading() || heading_like(rest)) =>
            {
                self.numbered_heading(&[n], label, rest);
            }
            Marker::Dotted(parts) => {
                if heading_like(rest) || line.is_heading() || rest.is_empty() {
                    self.numbered_heading(&parts, label, rest);
                } else {
                    self.numbered_heading(&parts, label, "");
                    self.append(&Line::new(rest, LineKind::Text));
                }
            }
            Marker::ParenNumber(n)
                if self.has_articles
                    && self
                        .stack
                        .iter()
                        .all(|o| matches!(o.prefix, "heading" | "preamble" | "recital")) =>
            {
                self.open(
                    format!("recital-{n}"),
                    "recital",
                    label.to_string(),
                    None,
                    ARTICLE,
                    "recital",
                );
                self.append(&Line::new(rest, LineKind::Text));
            }
            marker @ (Marker::ParenNumber(_) | Marker::DotNumber(_)) => {
                let container = self.stack.iter().rev().find(|o| o.level < PARAGRAPH);
                // Indonesian citations: "Pasal 2 ayat (1)", "Pasal 1 angka 3".
                let own = match (&marker, container) {
                    (Marker::ParenNumber(n), Some(o)) if o.prefix == "pasal" => format!("ayat-{n}"),
                    (Marker::DotNumber(n), Some(o)) if o.prefix == "pasal" => format!("angka-{n}"),
                    (Marker::ParenNumber(n) | Marker::DotNumber(n), _) => n.clone(),
                    _ => return,
                };
                let id = match container {
                    Some(o) => format!("{}-{own}", self.provisions[o.index].id),
                    None => format!("para-{own}"),
                };
                self.open(
                    id,
                    "paragraph",
                    label.to_string(),
                    None,
                    PARAGRAPH,
                    "paragraph",
                );
                self.append(&Line::new(rest, LineKind::Text));
            }
            Marker::Letter(c) => {
                // "(i)", "(v)", "(x)" are letters after "(h)", "(u)", "(w)", roman sub-points
                // inside a lettered point otherwise.
                let roman = matches!(c, 'i' | 'v' | 'x')
                    && in_point
                    && !self.open_point_is((c as u8).wrapping_sub(1) as char);
                let level = if roman || c.is_ascii_uppercase() {
                    SUBPOINT
                } else {
                    POINT
                };
                self.point(c.to_ascii_lowercase().to_string(), label, rest, level);
            }
            Marker::Roman(r) => {
                let level = if in_point { SUBPOINT } else { POINT };
                self.point(r, label, rest, level);
            }
        }
    }

    /// Whether the innermost open lettered point is `letter`.
    fn open_point_is(&self, letter: char) -> bool {
        self.stack
            .iter()
            .rev()
            .find(|o| o.level == POINT)
            .is_some_and(|o| self.provisions[o.index].id.ends_with(&format!("-{letter}")))
    }

    fn point(&mut self, own: String, label: &str, rest: &str, level: u16) {
        let parent = self.enclosing(level - 1);
        let id = match parent {
            Some(p) => format!("{p}-{own}"),
            None => format!("point-{own}"),
        };
        self.open(id, "point", label.to_string(), None, level, "point");
        self.append(&Line::new(rest, LineKind::Text));
    }

    /// "1. Accountability" or "4.1 Data quality": a numbered heading, `principle-N` under a
    /// heading that announces principles, `section-N` otherwise.
    fn numbered_heading(&mut self, parts: &[String], label: &str, rest: &str) {
        if self.stack.first().is_some_and(|o| o.prefix == "preamble") {
            self.stack.clear();
        }
        let (prefix, kind) = if self.principles {
            ("principle", "principle")
        } else {
            ("section", "section")
        };
        let id = format!("{prefix}-{}", parts.join("-"));
        let level = ARTICLE
            + u16::try_from(parts.len().saturating_sub(1))
                .unwrap_or(0)
                .min(9);
        let title = (!rest.is_empty()).then(|| rest.to_string());
        self.open(
            id,
            kind,
            label.trim_end_matches('.').to_string(),
            title,
            level,
            "numbered",
        );
    }

    /// Identifier of the innermost open provision at `max_level` or shallower.
    fn enclosing(&self, max_level: u16) -> Option<String> {
        self.stack
            .iter()
            .rev()
            .find(|o| o.level <= max_level)
            .map(|o| self.provisions[o.index].id.clone())
    }

    fn open(
        &mut self,
        id: String,
        kind: &str,
        label: String,
        title: Option<String>,
        level: u16,
        prefix: &'static str,
    ) -> usize {
        while self.stack.last().is_some_and(|o| o.level >= level) {
            self.stack.pop();
        }
        let parent = self
            .stack
            .last()
            .map(|o| self.provisions[o.index].id.clone());
        let count = self.used.entry(id.clone()).or_insert(0);
        *count += 1;
        let id = if *count == 1 {
            id
        } else {
            format!("{id}-{count}")
        };
        let index = self.provisions.len();
        self.provisions.push(ExtractedProvision {
            id,
            kind: kind.to_string(),
            label,
            title,
            text: String::new(),
            parent,
            order: index,
        });
        self.stack.push(Open {
            level,
            index,
            prefix,
        });
        index
    }

    fn append(&mut self, line: &Line) {
        if line.text.trim().is_empty() {
            return;
        }
        let index = match self.stack.last() {
            Some(open) => open.index,
            None => self.open(
                "preamble".into(),
                "preamble",
                "Preamble".into(),
                None,
                PART,
                "preamble",
            ),
        };
        let text = &mut self.provisions[index].text;
        if !text.is_empty() {
            text.push('\n');
        }
        if let LineKind::ListItem(depth) = line.kind {
            text.extend(std::iter::repeat_n("  ", usize::from(depth)));
            text.push_str("- ");
        }
        text.push_str(&line.text);
    }
}

/// A title line under "Article 50" / "BAB II": short, not a sentence, not itself numbered.
fn heading_like_title(line: &Line) -> bool {
    line.kind != LineKind::TableRow
        && (line.is_heading() || heading_like(&line.text) && line.text.chars().count() <= 150)
}
