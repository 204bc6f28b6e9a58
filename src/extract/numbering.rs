//! Line-level recognition of structure: keyword headings ("Article 50", "BAB II",
//! "Seksyen 4", "Bagian Kesatu") and paragraph/point markers ("1.", "(2)", "(a)", "(iv)",
//! "4.1"), with the nesting level each one opens.

use super::text::{Line, LineKind};

/// Nesting levels: a provision closes every open provision at its level or deeper.
pub(crate) const PART: u16 = 0;
pub(crate) const CHAPTER: u16 = 10;
pub(crate) const SECTION: u16 = 20;
pub(crate) const ARTICLE: u16 = 30;
pub(crate) const PARAGRAPH: u16 = 40;
pub(crate) const POINT: u16 = 50;
pub(crate) const SUBPOINT: u16 = 60;

/// A structure keyword that starts a provision when it opens a line.
pub(crate) struct Keyword {
    words: &'static [&'static str],
    pub prefix: &'static str,
    pub kind: &'static str,
    pub level: u16,
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

const fn kw(
    words: &'static [&'static str],
    prefix: &'static str,
    kind: &'static str,
    level: u16,
    numbering: Numbering,
) -> Keyword {
    Keyword {
        words,
        prefix,
        kind,
        level,
        numbering,
    }
}

use Numbering::{Arabic, Optional, Ordinal, Roman};

#[rustfmt::skip]
const KEYWORDS: &[Keyword] = &[
    kw(&["article", "art."], "art", "article", ARTICLE, Arabic),
    kw(&["pasal"], "pasal", "article", ARTICLE, Arabic),
    kw(&["perkara"], "perkara", "article", ARTICLE, Arabic),
    kw(&["seksyen"], "seksyen", "section", ARTICLE, Arabic),
    kw(&["section", "sec.", "§"], "section", "section", ARTICLE, Arabic),
    kw(&["clause"], "clause", "clause", ARTICLE, Arabic),
    kw(&["principle", "prinsip"], "principle", "principle", ARTICLE, Arabic),
    kw(&["chapter"], "chapter", "chapter", CHAPTER, Roman),
    kw(&["bab"], "bab", "chapter", CHAPTER, Roman),
    kw(&["bagian"], "bagian", "section", SECTION, Ordinal),
    kw(&["part"], "part", "part", PART, Roman),
    kw(&["bahagian"], "bahagian", "part", PART, Roman),
    kw(&["title"], "title", "part", PART, Roman),
    kw(&["annex"], "annex", "annex", PART, Optional),
    kw(&["appendix"], "appendix", "annex", PART, Optional),
    kw(&["schedule"], "schedule", "annex", PART, Optional),
    kw(&["lampiran"], "lampiran", "annex", PART, Optional),
    kw(&["jadual"], "jadual", "annex", PART, Optional),
];

/// A line that opens a provision by a structure keyword.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Head<'a> {
    pub keyword: &'static Keyword,
    pub number: Option<String>,
    pub label: &'a str,
    pub title: Option<&'a str>,
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

/// Whether a line of running text is a whole keyword heading ("Principle 2", "Pasal 3").
pub(crate) fn is_keyword_heading(text: &str) -> bool {
    parse_keyword(&Line::new(text, LineKind::Text)).is_some()
}

/// Parses a leading marker; returns it, its label as written, and the rest of the line.
pub(crate) fn parse_marker(text: &str) -> Option<(Marker, &str, &str)> {
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
pub(crate) fn parse_keyword(line: &Line) -> Option<Head<'_>> {
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
    let separated = trimmed.strip_prefix(['.', ':', '–', '—', '-', ')', '|']);
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
pub(crate) fn heading_like(text: &str) -> bool {
    let text = text.trim();
    !text.is_empty()
        && text.chars().count() <= 100
        && text.split_whitespace().count() <= 12
        && !text.ends_with(['.', ';', ',', ':'])
        && text.starts_with(|c: char| c.is_uppercase() || c.is_ascii_digit() || c == '(')
}

pub(crate) fn mentions_principles(text: &str) -> bool {
    let lower = text.to_lowercase();
    lower.contains("principle") || lower.contains("prinsip")
}
