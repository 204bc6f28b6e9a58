//! Segmentation of lines into provisions with identifiers derived from the numbering
//! (`art-50-2-a`, `pasal-3-ayat-1`, `bab-ii`, `seksyen-4`, `principle-2`), so an identifier
//! survives re-crawls as long as the numbering does. Only unnumbered headings fall back to a
//! slug of their text (`heading-<slug>`), never to a position.

use super::ExtractedProvision;
use super::text::{Line, LineKind, slug};
use std::collections::HashMap;

/// Nesting levels: a provision closes every open provision at its level or deeper.
const PART: u16 = 0;
const CHAPTER: u16 = 10;
const SECTION: u16 = 20;
const ARTICLE: u16 = 30;
const PARAGRAPH: u16 = 40;
const POINT: u16 = 50;
const SUBPOINT: u16 = 60;

/// A structure keyword that starts a provision when it opens a line.
struct Keyword {
    words: &'static [&'static str],
    prefix: &'static str,
    kind: &'static str,
    level: u16,
    numbering: Numbering,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Numbering {
    /// 5, 6a, 27A, 4.1
    Arabic,
    /// Roman or arabic (chapters, parts, annexes).
    Roman,
    /// Indonesian ordinal words (Bagian Kesatu) or arabic.
    Ordinal,
    /// Roman, arabic, or none at all ("ANNEX").
    Optional,
}

const KEYWORDS: &[Keyword] = &[
    Keyword {
        words: &["article", "art."],
        prefix: "art",
        kind: "article",
        level: ARTICLE,
        numbering: Numbering::Arabic,
    },
    Keyword {
        words: &["pasal"],
        prefix: "pasal",
        kind: "article",
        level: ARTICLE,
        numbering: Numbering::Arabic,
    },
    Keyword {
        words: &["perkara"],
        prefix: "perkara",
        kind: "article",
        level: ARTICLE,
        numbering: Numbering::Arabic,
    },
    Keyword {
        words: &["seksyen"],
        prefix: "seksyen",
        kind: "section",
        level: ARTICLE,
        numbering: Numbering::Arabic,
    },
    Keyword {
        words: &["section", "sec.", "§"],
        prefix: "section",
        kind: "section",
        level: ARTICLE,
        numbering: Numbering::Arabic,
    },
    Keyword {
        words: &["clause"],
        prefix: "clause",
        kind: "clause",
        level: ARTICLE,
        numbering: Numbering::Arabic,
    },
    Keyword {
        words: &["principle", "prinsip"],
        prefix: "principle",
        kind: "principle",
        level: ARTICLE,
        numbering: Numbering::Arabic,
    },
    Keyword {
        words: &["chapter"],
        prefix: "chapter",
        kind: "chapter",
        level: CHAPTER,
        numbering: Numbering::Roman,
    },
    Keyword {
        words: &["bab"],
        prefix: "bab",
        kind: "chapter",
        level: CHAPTER,
        numbering: Numbering::Roman,
    },
    Keyword {
        words: &["bagian"],
        prefix: "bagian",
        kind: "section",
        level: SECTION,
        numbering: Numbering::Ordinal,
    },
    Keyword {
        words: &["part"],
        prefix: "part",
        kind: "part",
        level: PART,
        numbering: Numbering::Roman,
    },
    Keyword {
        words: &["bahagian"],
        prefix: "bahagian",
        kind: "part",
        level: PART,
        numbering: Numbering::Roman,
    },
    Keyword {
        words: &["title"],
        prefix: "title",
        kind: "part",
        level: PART,
        numbering: Numbering::Roman,
    },
    Keyword {
        words: &["annex"],
        prefix: "annex",
        kind: "annex",
        level: PART,
        numbering: Numbering::Optional,
    },
    Keyword {
        words: &["appendix"],
        prefix: "appendix",
        kind: "annex",
        level: PART,
        numbering: Numbering::Optional,
    },
    Keyword {
        words: &["schedule"],
        prefix: "schedule",
        kind: "annex",
        level: PART,
        numbering: Numbering::Optional,
    },
    Keyword {
        words: &["lampiran"],
        prefix: "lampiran",
        kind: "annex",
        level: PART,
        numbering: Numbering::Optional,
    },
    Keyword {
        words: &["jadual"],
        prefix: "jadual",
        kind: "annex",
        level: PART,
        numbering: Numbering::Optional,
    },
];

/// A line that opens a provision by a structure keyword.
#[derive(Debug, Clone, PartialEq)]
struct Head<'a> {
    keyword: &'static Keyword,
    number: Option<String>,
    label: &'a str,
    title: Option<&'a str>,
}

impl std::fmt::Debug for Keyword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.prefix)
    }
}

impl PartialEq for Keyword {
    fn eq(&self, other: &Self) -> bool {
        self.prefix == other.prefix
    }
}

/// A paragraph or point number at the start of a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Marker {
    /// "(1)"
    ParenNumber(String),
    /// "1." or "1)"
    DotNumber(String),
    /// "4.1" or "4.1." (numbered heading or clause)
    Dotted(Vec<String>),
    /// "(a)", "a.", "a)"
    Letter(char),
    /// "(iv)": a sub-point, unless it continues a letter sequence ("(i)" after "(h)").
    Roman(String),
}

/// True when `text` is nothing but a point marker or bullet ("(a)", "1.", "(iv)", "•").
pub(crate) fn is_item_marker(text: &str) -> bool {
    let text = text.trim();
    matches!(text, "-" | "–" | "—" | "•" | "·")
        || parse_marker(&format!("{text} x")).is_some_and(|(_, _, rest)| rest == "x")
}

/// Whether a line of running text opens a provision (used to re-flow PDF lines).
pub(crate) fn starts_provision(text: &str) -> bool {
    parse_marker(text).is_some() || parse_keyword(&Line::new(text, LineKind::Text)).is_some()
}

/// Parses a leading marker; returns it, its label as written, and the rest of the line.
fn parse_marker(text: &str) -> Option<(Marker, &str, &str)> {
    let (token, label_len) = if let Some(inner) = text.strip_prefix('(') {
        let close = inner.find(')')?;
        (&inner[..close], close + 2)
    } else {
        let end = text.find(|c: char| c.is_whitespace())?;
        let raw = &text[..end];
        if let Some(stripped) = raw.strip_suffix(['.', ')']) {
            (stripped, end)
        } else if raw.contains('.') && raw.chars().all(|c| c.is_ascii_digit() || c == '.') {
            (raw, end)
        } else {
            return None;
        }
    };
    let label = &text[..label_len];
    let rest = text[label_len..].trim_start();
    // A marker is followed by text (or nothing, in a table cell) after a space.
    if !text[label_len..].is_empty() && !text[label_len..].starts_with(char::is_whitespace) {
        return None;
    }
    let paren = text.starts_with('(');
    let marker = if !token.is_empty()
        && token.chars().all(|c| c.is_ascii_digit())
        && token.len() <= 4
    {
        if paren {
            Marker::ParenNumber(token.to_string())
        } else {
            Marker::DotNumber(token.to_string())
        }
    } else if !paren
        && token.contains('.')
        && token
            .split('.')
            .all(|p| !p.is_empty() && p.len() <= 3 && p.chars().all(|c| c.is_ascii_digit()))
    {
        Marker::Dotted(token.split('.').map(str::to_string).collect())
    } else if is_roman(token) && token.len() > 1 && token.chars().all(|c| c.is_ascii_lowercase()) {
        Marker::Roman(token.to_string())
    } else if token.len() == 1 && token.chars().all(|c| c.is_ascii_alphabetic()) {
        Marker::Letter(token.chars().next()?)
    } else {
        return None;
    };
    Some((marker, label, rest))
}

fn is_roman(token: &str) -> bool {
    !token.is_empty()
        && token.len() <= 8
        && token.chars().all(|c| {
            matches!(
                c.to_ascii_lowercase(),
                'i' | 'v' | 'x' | 'l' | 'c' | 'd' | 'm'
            )
        })
}

const ORDINALS: &[&str] = &[
    "kesatu",
    "pertama",
    "kedua",
    "ketiga",
    "keempat",
    "kelima",
    "keenam",
    "ketujuh",
    "kedelapan",
    "kesembilan",
    "kesepuluh",
    "kesebelas",
];

/// Parses a keyword line: "Article 50", "CHAPTER III HIGH-RISK AI SYSTEMS", "Pasal 3",
/// "Bagian Kesatu", "Principle 2: Fairness". A keyword that merely starts a sentence
/// ("Article 6 shall apply…") is not a heading.
fn parse_keyword(line: &Line) -> Option<Head<'_>> {
    let text = line.text.as_str();
    let lower = text.to_lowercase();
    for keyword in KEYWORDS {
        for word in keyword.words {
            if !lower.starts_with(word) || lower.len() != text.len() {
                continue;
            }
            let after = &text[word.len()..];
            if !(word.ends_with('.') || after.is_empty() || after.starts_with(char::is_whitespace))
            {
                continue;
            }
            let after = after.trim_start();
            let token_end = after
                .find(|c: char| !(c.is_alphanumeric() || c == '.'))
                .unwrap_or(after.len());
            let token = after[..token_end].trim_end_matches('.');
            let number = valid_number(token, keyword.numbering);
            let (number, rest) = match number {
                Some(n) => (Some(n), &after[token.len()..]),
                None if keyword.numbering == Numbering::Optional => (None, after),
                None => continue,
            };
            let label = text[..text.len() - rest.len()].trim_end();
            let title = match title_after_label(rest, line.is_heading()) {
                Ok(title) => title,
                Err(()) => continue,
            };
            if number.is_none()
                && (title.is_some() || !rest.trim().is_empty())
                && !line.is_heading()
            {
                // An unnumbered "Annex …" line is a heading only when it is marked up as one
                // or stands alone.
                continue;
            }
            return Some(Head {
                keyword,
                number,
                label,
                title,
            });
        }
    }
    None
}

fn valid_number(token: &str, numbering: Numbering) -> Option<String> {
    if token.is_empty() {
        return None;
    }
    let lower = token.to_lowercase();
    let arabic = lower.starts_with(|c: char| c.is_ascii_digit())
        && lower.split('.').all(|part| {
            let digits = part.trim_end_matches(|c: char| c.is_ascii_alphabetic());
            !digits.is_empty()
                && digits.chars().all(|c| c.is_ascii_digit())
                && part.len() - digits.len() <= 3
        });
    let ok = match numbering {
        Numbering::Arabic => arabic,
        Numbering::Roman => arabic || is_roman(&lower),
        // "Annex III", "Annex 2", "Annex A"
        Numbering::Optional => {
            arabic
                || is_roman(&lower)
                || (lower.len() == 1 && lower.chars().all(|c| c.is_ascii_alphabetic()))
        }
        Numbering::Ordinal => arabic || ORDINALS.contains(&lower.as_str()),
    };
    ok.then(|| lower.replace('.', "-"))
}

/// What follows the number: nothing, a separator and a title, or a capitalised title.
/// `Err` means the line is a sentence, not a heading.
fn title_after_label(rest: &str, is_heading: bool) -> Result<Option<&str>, ()> {
    let trimmed = rest.trim();
    if trimmed.is_empty() {
        return Ok(None);
    }
    let separated = trimmed.strip_prefix(['.', ':', '–', '—', '-', ')']);
    let title = separated.unwrap_or(trimmed).trim();
    if title.is_empty() {
        return Ok(None);
    }
    let capitalised = title.starts_with(|c: char| c.is_uppercase() || c == '(' || c == '"');
    if is_heading || (separated.is_some() && capitalised) || (capitalised && heading_like(title)) {
        Ok(Some(title))
    } else {
        Err(())
    }
}

/// Short, capitalised, not a sentence: the shape of a heading or title.
fn heading_like(text: &str) -> bool {
    let text = text.trim();
    !text.is_empty()
        && text.chars().count() <= 100
        && text.split_whitespace().count() <= 12
        && !text.ends_with(['.', ';', ',', ':'])
        && text.starts_with(|c: char| c.is_uppercase() || c.is_ascii_digit() || c == '(')
}

fn mentions_principles(text: &str) -> bool {
    let lower = text.to_lowercase();
    lower.contains("principle") || lower.contains("prinsip")
}

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
            Marker::ParenNumber(n) | Marker::DotNumber(n) => {
                let container = self.stack.iter().rev().find(|o| o.level < PARAGRAPH);
                let own = match container {
                    Some(o) if o.prefix == "pasal" => format!("ayat-{n}"),
                    _ => n,
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
    line.is_heading() || heading_like(&line.text) && line.text.chars().count() <= 150
}
