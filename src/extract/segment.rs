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
use std::collections::{HashMap, HashSet};

struct Open {
    level: u16,
    index: usize,
    /// What opened it, for child identifiers ("pasal" paragraphs are "ayat").
    prefix: &'static str,
}

struct Segmenter {
    provisions: Vec<ExtractedProvision>,
    stack: Vec<Open>,
    /// Uses of each structural identifier so far.
    used: HashMap<String, usize>,
    /// Every identifier given out.
    taken: HashSet<String>,
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
        taken: HashSet::new(),
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
                let level = if self.letter_is_roman(c) || c.is_ascii_uppercase() {
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

    /// "(i)", "(v)" and "(x)" are letters or roman sub-points. Inside a run of sub-points they
    /// continue it ("(v)" after "(iv)") or, since a run cannot restart, are the next letter;
    /// under a point that introduces a list (ends with ':') or does not precede them
    /// alphabetically they start a run; with no point open they are letters.
    fn letter_is_roman(&self, c: char) -> bool {
        if !matches!(c, 'i' | 'v' | 'x') {
            return false;
        }
        let Some(top) = self.stack.last() else {
            return false;
        };
        let top_id = &self.provisions[top.index].id;
        match top.level {
            SUBPOINT => {
                let previous = match c {
                    'v' => "iv",
                    'x' => "ix",
                    _ => return false,
                };
                top_id.ends_with(&format!("-{previous}"))
            }
            POINT => {
                let before = (c as u8).wrapping_sub(1) as char;
                self.provisions[top.index].text.trim_end().ends_with(':')
                    || !top_id.ends_with(&format!("-{before}"))
            }
            _ => false,
        }
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
        let id = self.unique(id);
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

    /// `id`, or for its n-th use `id-n`, skipping suffixes another provision already has as
    /// its own identifier (a second "2." section and paragraph 2 of the first are both
    /// `section-2-2`).
    fn unique(&mut self, id: String) -> String {
        let mut n = self.used.get(&id).copied().unwrap_or(0) + 1;
        let mut unique = if n == 1 {
            id.clone()
        } else {
            format!("{id}-{n}")
        };
        while self.taken.contains(&unique) {
            n += 1;
            unique = format!("{id}-{n}");
        }
        self.used.insert(id, n);
        self.taken.insert(unique.clone());
        unique
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

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(lines: &[&str]) -> Vec<String> {
        let lines: Vec<Line> = lines
            .iter()
            .map(|l| Line::new(*l, LineKind::Text))
            .collect();
        segment(&lines).into_iter().map(|p| p.id).collect()
    }

    #[test]
    fn letters_continue_past_h_and_romans_nest_in_points() {
        let mut lines = vec!["Article 3", "1. For the purposes of this Regulation:"];
        let points = [
            "(a) a;", "(b) b;", "(c) c;", "(d) d;", "(e) e;", "(f) f;", "(g) g;",
        ];
        lines.extend(points);
        lines.extend([
            "(h) h, including:",
            "(i) first;",
            "(ii) second;",
            "(i) the letter i;",
        ]);
        let got = ids(&lines);
        assert!(got.contains(&"art-3-1-h-i".to_string()), "{got:?}");
        assert!(got.contains(&"art-3-1-h-ii".to_string()), "{got:?}");
        // A roman run cannot restart: "(i)" after "(ii)" is the letter after (h).
        assert_eq!(got.last().map(String::as_str), Some("art-3-1-i"));
        let direct = ids(&["Article 4", "1. Text:", "(h) h;", "(i) i;"]);
        assert_eq!(direct, vec!["art-4", "art-4-1", "art-4-1-h", "art-4-1-i"]);
    }

    #[test]
    fn sentences_starting_with_a_keyword_are_not_headings() {
        let got = ids(&[
            "Article 6",
            "Article 6 shall apply to systems placed on the market.",
            "Section 2 of that Act is repealed.",
        ]);
        assert_eq!(got, vec!["art-6"]);
    }

    #[test]
    fn identifiers_come_from_numbers_not_positions() {
        let before = ids(&["Pasal 3", "(1) Satu.", "(2) Dua.", "Pasal 7", "(1) Tujuh."]);
        let after = ids(&["Pasal 7", "(1) Tujuh, diubah."]);
        assert_eq!(before[3..], after[..]);
        assert_eq!(before[..3], ["pasal-3", "pasal-3-ayat-1", "pasal-3-ayat-2"]);
    }

    /// Found by fuzz/pdf_pages: a repeated "2." section was given `section-2-2`, the identifier
    /// paragraph 2 of the first one already had, so two provisions shared one IRI.
    #[test]
    fn repeated_identifiers_never_collide() {
        let got = ids(&[
            "2. Definitions",
            "2. The terms below apply to providers and deployers.",
            "2. Obligations",
        ]);
        assert_eq!(got, vec!["section-2", "section-2-2", "section-2-3"]);
        let got = ids(&["2. T ea", "2. p", "2. T"]);
        let distinct: HashSet<&String> = got.iter().collect();
        assert_eq!(distinct.len(), got.len(), "{got:?}");
    }
}
