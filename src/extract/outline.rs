//! The provision tree the structured-document readers (EUR-Lex XHTML, Formex, Federal Register
//! XML) build while they walk: open provisions nest, text goes to the innermost one, and every
//! identifier is unique.

use super::ExtractedProvision;
use super::text::{Line, LineKind};
use std::collections::HashSet;

/// What a structured reader found: rendered lines (for the stored text) and the provisions.
pub(crate) struct Structured {
    pub lines: Vec<Line>,
    pub provisions: Vec<ExtractedProvision>,
}

#[derive(Default)]
pub(crate) struct Outline {
    provisions: Vec<ExtractedProvision>,
    /// Open provisions, innermost last (indexes into `provisions`).
    open: Vec<usize>,
    taken: HashSet<String>,
    lines: Vec<Line>,
}

impl Outline {
    /// Opens a provision inside the innermost open one; returns its index.
    pub fn push(&mut self, id: String, kind: &str, label: String) -> usize {
        let id = self.unique(id);
        let parent = self.open.last().map(|&i| self.provisions[i].id.clone());
        let index = self.provisions.len();
        self.provisions.push(ExtractedProvision {
            id,
            kind: kind.to_owned(),
            label,
            title: None,
            text: String::new(),
            parent,
            order: index,
        });
        self.open.push(index);
        index
    }

    /// Closes the innermost open provision.
    pub fn pop(&mut self) {
        self.open.pop();
    }

    /// Closes provisions until `index` is the innermost one (or all, if it is not open).
    pub fn close_to(&mut self, index: usize) {
        if !self.open.contains(&index) {
            self.open.clear();
            return;
        }
        while self.open.last().is_some_and(|&i| i != index) {
            self.open.pop();
        }
    }

    /// Closes provisions until none of `kinds` is open above the innermost of another kind
    /// (used before opening a sibling: a new section closes the previous one).
    pub fn close_kinds(&mut self, kinds: &[&str]) {
        while self
            .innermost()
            .is_some_and(|p| kinds.contains(&p.kind.as_str()))
        {
            self.open.pop();
        }
    }

    pub fn innermost(&self) -> Option<&ExtractedProvision> {
        self.open.last().map(|&i| &self.provisions[i])
    }

    pub fn innermost_index(&self) -> Option<usize> {
        self.open.last().copied()
    }

    /// The innermost open provision of `kind`.
    pub fn open_of_kind(&self, kind: &str) -> Option<usize> {
        self.open
            .iter()
            .rev()
            .copied()
            .find(|&i| self.provisions[i].kind == kind)
    }

    pub fn get(&self, index: usize) -> &ExtractedProvision {
        &self.provisions[index]
    }

    /// Sets the title of the innermost provision unless it has one.
    pub fn title(&mut self, text: &str) {
        if let Some(&i) = self.open.last()
            && self.provisions[i].title.is_none()
            && !text.is_empty()
        {
            self.provisions[i].title = Some(text.to_owned());
        }
    }

    /// A rendered heading line (not provision text).
    pub fn heading(&mut self, text: &str) {
        if !text.is_empty() {
            self.lines.push(Line::new(text, LineKind::Heading(3)));
        }
    }

    /// A rendered line that belongs to no provision.
    pub fn loose(&mut self, text: &str) {
        if !text.is_empty() {
            self.lines.push(Line::new(text, LineKind::Text));
        }
    }

    /// A line of the innermost provision's text (rendered as a list item when it is the first
    /// line of a point, with the point's citation in front).
    pub fn text(&mut self, text: &str, first_of_point: bool) {
        if text.is_empty() {
            return;
        }
        let Some(&i) = self.open.last() else {
            self.loose(text);
            return;
        };
        let p = &mut self.provisions[i];
        p.text.push_str(text);
        p.text.push('\n');
        let line = if first_of_point {
            Line::new(format!("{} {text}", p.label), LineKind::ListItem(0))
        } else {
            Line::new(text, LineKind::Text)
        };
        self.lines.push(line);
    }

    pub fn finish(mut self) -> Structured {
        for p in &mut self.provisions {
            let trimmed = p.text.trim_end().len();
            p.text.truncate(trimmed);
        }
        Structured {
            lines: self.lines,
            provisions: self.provisions,
        }
    }

    /// Quoted structure (an amending act reproducing an article) may repeat an identifier.
    fn unique(&mut self, id: String) -> String {
        if self.taken.insert(id.clone()) {
            return id;
        }
        let mut n = 2;
        loop {
            let candidate = format!("{id}-{n}");
            if self.taken.insert(candidate.clone()) {
                return candidate;
            }
            n += 1;
        }
    }
}

/// "(a)", "a)", "(1)", "(iv)", "1." → the identifier token (`a`, `1`, `iv`); `None` for
/// anything else. Upper-case letters (`(A)`) are lower-cased.
pub(crate) fn point_label(text: &str) -> Option<String> {
    let t = super::text::clean_inline(text);
    let t = t.trim();
    let inner = if let Some(rest) = t.strip_prefix('(') {
        rest.strip_suffix(')')?
    } else if let Some(rest) = t.strip_suffix(')') {
        rest
    } else if let Some(rest) = t.strip_suffix('.') {
        // "1." numbers annex points and lists; letters with a dot are not point labels.
        if !rest.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        rest
    } else {
        return None;
    };
    let ok = !inner.is_empty()
        && inner.len() <= 6
        && (inner.bytes().all(|b| b.is_ascii_digit())
            || inner.bytes().all(|b| b.is_ascii_lowercase())
            || (inner.len() <= 2 && inner.bytes().all(|b| b.is_ascii_uppercase()))
            || (inner.len() <= 3
                && inner.bytes().next().is_some_and(|b| b.is_ascii_digit())
                && inner.bytes().skip(1).all(|b| b.is_ascii_lowercase())));
    ok.then(|| inner.to_ascii_lowercase())
}

/// "2.   Providers shall…" → "Providers shall…" (a paragraph's number, printed in its text).
pub(crate) fn strip_paragraph_number(text: &str) -> &str {
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    let letters = text[digits..]
        .bytes()
        .take_while(u8::is_ascii_lowercase)
        .count();
    let rest = &text[digits + letters..];
    match rest.strip_prefix('.') {
        Some(after) if digits > 0 && letters <= 2 && after.starts_with(' ') => after.trim_start(),
        _ => text,
    }
}

/// "2.", "2a." → "2", "2a".
pub(crate) fn paragraph_number(text: &str) -> Option<String> {
    let t = text.trim().strip_suffix('.')?;
    let digits = t.bytes().take_while(u8::is_ascii_digit).count();
    let ok = digits > 0
        && digits <= 3
        && t.len() - digits <= 2
        && t[digits..].bytes().all(|b| b.is_ascii_lowercase());
    ok.then(|| t.trim_start_matches('0').to_owned())
}

/// Article and paragraph numbers as identifiers: zero padding dropped, letter suffixes
/// lower-cased (`050` → `50`, `004A` → `4a`).
pub(crate) fn number_token(raw: &str) -> Option<String> {
    let raw = raw.trim();
    let digits = raw.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 || digits > 4 || raw.len() - digits > 3 {
        return None;
    }
    if !raw[digits..].bytes().all(|b| b.is_ascii_alphabetic()) {
        return None;
    }
    let number = raw[..digits].trim_start_matches('0');
    let number = if number.is_empty() { "0" } else { number };
    Some(format!("{number}{}", raw[digits..].to_ascii_lowercase()))
}

/// A roman numeral or number heading word ("CHAPTER III" → "III", "SECTION 2" → "2") after
/// one of `keywords` (compared case-insensitively).
pub(crate) fn numbered_heading(text: &str, keywords: &[&str]) -> Option<(String, String)> {
    let mut words = text.split_whitespace();
    let keyword = words.next()?;
    let number = words.next()?;
    let keyword = keywords.iter().find(|k| k.eq_ignore_ascii_case(keyword))?;
    let number = number.trim_end_matches(['.', ':']);
    let valid = !number.is_empty()
        && number.len() <= 8
        && (number.bytes().all(|b| b.is_ascii_digit())
            || number
                .bytes()
                .all(|b| b"IVXLCDM".contains(&b.to_ascii_uppercase())));
    valid.then(|| (keyword.to_ascii_lowercase(), number.to_ascii_uppercase()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_and_numbers() {
        assert_eq!(point_label("(a)").as_deref(), Some("a"));
        assert_eq!(point_label(" (iv) ").as_deref(), Some("iv"));
        assert_eq!(point_label("a)").as_deref(), Some("a"));
        assert_eq!(point_label("(12)").as_deref(), Some("12"));
        assert_eq!(point_label("1.").as_deref(), Some("1"));
        assert_eq!(point_label("(2a)").as_deref(), Some("2a"));
        assert_eq!(point_label("(A)").as_deref(), Some("a"));
        assert_eq!(point_label("Text"), None);
        assert_eq!(point_label("a."), None);
        assert_eq!(point_label("(see Article 5)"), None);
        assert_eq!(strip_paragraph_number("2.   Providers"), "Providers");
        assert_eq!(strip_paragraph_number("Providers 2. x"), "Providers 2. x");
        assert_eq!(paragraph_number("1a.").as_deref(), Some("1a"));
        assert_eq!(number_token("050").as_deref(), Some("50"));
        assert_eq!(number_token("004A").as_deref(), Some("4a"));
        assert_eq!(number_token("x1"), None);
        assert_eq!(
            numbered_heading("CHAPTER III", &["chapter"]),
            Some(("chapter".into(), "III".into()))
        );
        assert_eq!(
            numbered_heading("Section 2", &["chapter", "section"]),
            Some(("section".into(), "2".into()))
        );
        assert_eq!(numbered_heading("Chapter about", &["chapter"]), None);
    }

    #[test]
    fn identifiers_are_unique_and_nested() {
        let mut o = Outline::default();
        let a = o.push("art-1".into(), "article", "Art. 1".into());
        o.text("x", false);
        o.push("art-1-1".into(), "paragraph", "Art. 1(1)".into());
        o.close_to(a);
        o.pop();
        o.push("art-1".into(), "article", "Art. 1".into());
        let s = o.finish();
        let ids: Vec<_> = s.provisions.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(ids, ["art-1", "art-1-1", "art-1-2"]);
        assert_eq!(s.provisions[1].parent.as_deref(), Some("art-1"));
        assert_eq!(s.provisions[0].text, "x");
    }
}
