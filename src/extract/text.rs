//! Shared text plumbing: the line model every front end (HTML, PDF) produces, Unicode
//! normalisation, rendering to structured text, and language detection.

use unicode_normalization::UnicodeNormalization;

/// How a line was marked up at the source. PDFs only produce `Text`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LineKind {
    /// `<h1>`…`<h6>` (level 1–6).
    Heading(u8),
    Text,
    /// A list item, nesting depth from 0.
    ListItem(u8),
    /// A table row, cells joined with " | ".
    TableRow,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Line {
    pub text: String,
    pub kind: LineKind,
}

impl Line {
    pub fn new(text: impl Into<String>, kind: LineKind) -> Self {
        Line {
            text: text.into(),
            kind,
        }
    }

    pub fn is_heading(&self) -> bool {
        matches!(self.kind, LineKind::Heading(_))
    }
}

/// Languages with their own structure keywords and deontic markers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Language {
    En,
    Id,
    Ms,
}

impl Language {
    /// From a BCP 47 tag; unknown tags are treated as English.
    pub fn from_tag(tag: &str) -> Language {
        let primary = tag
            .split(['-', '_'])
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        match primary.as_str() {
            "id" | "in" | "ind" => Language::Id,
            "ms" | "msa" | "zsm" | "may" => Language::Ms,
            _ => Language::En,
        }
    }

    /// Guesses from frequent function words and legal keywords; English when in doubt.
    pub fn detect(text: &str) -> Language {
        let (mut en, mut id, mut ms, mut malay_family) = (0usize, 0usize, 0usize, 0usize);
        for word in text
            .split(|c: char| !c.is_alphanumeric() && c != '-')
            .take(20_000)
        {
            match word.to_lowercase().as_str() {
                "the" | "of" | "and" | "shall" | "to" | "is" | "are" | "article" => en += 1,
                "yang" | "dan" | "dengan" | "untuk" | "dalam" | "atau" | "oleh" | "kepada" => {
                    malay_family += 1
                }
                "bahwa" | "pasal" | "ayat" | "wajib" | "dilarang" | "penyelenggara" | "huruf"
                | "tentang" | "peraturan" | "menteri" => id += 1,
                "bahawa" | "hendaklah" | "seksyen" | "perkara" | "mana-mana" | "bahagian"
                | "akta" | "kerajaan" | "dibenarkan" | "pihak" => ms += 1,
                _ => {}
            }
        }
        if malay_family + id + ms <= en {
            Language::En
        } else if ms > id {
            Language::Ms
        } else {
            Language::Id
        }
    }
}

/// Collapses whitespace (including NBSP), drops zero-width characters and soft hyphens, trims.
/// NFC is applied once over the whole output by [`finish`], not per fragment.
pub(crate) fn clean_inline(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending_space = false;
    for c in text.chars() {
        match c {
            '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{2060}' | '\u{FEFF}' | '\u{00AD}' => {}
            c if c.is_whitespace() || c.is_control() => pending_space = true,
            c => {
                if pending_space && !out.is_empty() {
                    out.push(' ');
                }
                pending_space = false;
                out.push(c);
            }
        }
    }
    out
}

/// NFC form of `text` (borrowing nothing: the common already-NFC case is one scan and a copy).
pub(crate) fn nfc(text: &str) -> String {
    match unicode_normalization::is_nfc_quick(text.chars()) {
        unicode_normalization::IsNormalized::Yes => text.to_owned(),
        _ => text.nfc().collect(),
    }
}

/// NFC-normalises every line and drops lines left empty.
pub(crate) fn finish(lines: Vec<Line>) -> Vec<Line> {
    lines
        .into_iter()
        .filter_map(|line| {
            let cleaned = clean_inline(&line.text);
            let text = match unicode_normalization::is_nfc_quick(cleaned.chars()) {
                unicode_normalization::IsNormalized::Yes => cleaned,
                _ => cleaned.nfc().collect(),
            };
            (!text.is_empty()).then_some(Line { text, ..line })
        })
        .collect()
}

/// Structured text: Markdown-like heading markers, "- " list items, " | " table cells.
pub(crate) fn render(lines: &[Line]) -> String {
    let mut out = String::new();
    for line in lines {
        match line.kind {
            LineKind::Heading(level) => {
                out.extend(std::iter::repeat_n('#', usize::from(level.clamp(1, 6))));
                out.push(' ');
            }
            LineKind::ListItem(depth) => {
                out.extend(std::iter::repeat_n("  ", usize::from(depth)));
                out.push_str("- ");
            }
            LineKind::Text | LineKind::TableRow => {}
        }
        out.push_str(&line.text);
        out.push('\n');
    }
    out
}

/// Lower-case ASCII slug for identifiers: letters and digits, runs of anything else become one
/// dash; diacritics are dropped by NFKD decomposition. Capped at `max` bytes on a word boundary.
pub(crate) fn slug(text: &str, max: usize) -> String {
    let mut out = String::new();
    for c in text.nfkd() {
        if unicode_normalization::char::is_combining_mark(c) {
            continue;
        }
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    let mut out = out.trim_end_matches('-').to_string();
    if out.len() > max {
        let cut = if out.as_bytes()[max] == b'-' {
            max
        } else {
            out[..max].rfind('-').unwrap_or(max)
        };
        out.truncate(cut);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_inline_collapses_and_strips_invisible_characters() {
        assert_eq!(
            clean_inline("  a\u{00A0}\u{00A0}b\u{200B}c\u{00AD}d \n\t e "),
            "a bcd e"
        );
    }

    #[test]
    fn finish_applies_nfc() {
        let lines = finish(vec![Line::new("Pe\u{0301}rez", LineKind::Text)]);
        assert_eq!(lines[0].text, "P\u{00E9}rez");
    }

    #[test]
    fn render_marks_structure() {
        let lines = vec![
            Line::new("Title", LineKind::Heading(2)),
            Line::new("one", LineKind::ListItem(0)),
            Line::new("two", LineKind::ListItem(1)),
            Line::new("a | b", LineKind::TableRow),
        ];
        assert_eq!(render(&lines), "## Title\n- one\n  - two\na | b\n");
    }

    #[test]
    fn slug_is_ascii_and_bounded() {
        assert_eq!(
            slug("Ketentuan Umum & Définitions", 60),
            "ketentuan-umum-definitions"
        );
        assert_eq!(slug("aaaa bbbb cccc", 9), "aaaa-bbbb");
    }

    #[test]
    fn language_detection_and_tags() {
        assert_eq!(Language::from_tag("id-ID"), Language::Id);
        assert_eq!(Language::from_tag("ms"), Language::Ms);
        assert_eq!(Language::from_tag("en-GB"), Language::En);
        assert_eq!(
            Language::detect(
                "Penyelenggara wajib memastikan bahwa sistem yang digunakan aman dan andal."
            ),
            Language::Id
        );
        assert_eq!(
            Language::detect(
                "Pihak berkuasa hendaklah memastikan bahawa mana-mana sistem dan data dilindungi."
            ),
            Language::Ms
        );
        assert_eq!(
            Language::detect(
                "Providers shall ensure that the system is safe and that the data are protected."
            ),
            Language::En
        );
    }
}
