//! Federal Register full-text XML (the `full_text_xml_url` of the Federal Register API; GPO's
//! Federal Register XML: `PRESDOCU` > `EXECORD`/`PRMEMO`/`PROCLA`, `RULE`, `PRORULE`, `NOTICE`)
//! → provisions with the catalogue's identifiers for executive orders and memoranda:
//! a paragraph opening "Sec. 3." or "Section 3." → `sec-3` (title from its italic heading),
//! "(a)" → `sec-3-a`, "(i)" → `sec-3-a-i`, "(A)" → `sec-3-a-i-a`; text before the first section
//! → `preamble`. Rules and notices: `HD` headings of the preamble and supplementary information
//! → `heading-<slug>`, regulatory text `SECTION` "§ 1.1" → `section-1-1`, its "(a)" →
//! `section-1-1-a`. Signatures, place, date, page markers and billing codes are not provisions.

use super::ExtractError;
use super::outline::{Outline, Structured, point_label};
use super::text::{clean_inline, slug};
use super::xml::{self, XmlEvent};

/// Elements whose text is no provision's (signature block, billing and page furniture).
const FURNITURE: &[&str] = &[
    "PSIG", "PLACE", "DATE", "FRDOC", "BILCOD", "PRTPAGE", "TITLE3", "PRES", "FILED", "GPH", "SIG",
    "NAME", "TITLE",
];
/// Elements whose end ends a paragraph (rule preambles' agency, subject and docket lines too).
const PARAGRAPHS: &[&str] = &[
    "P", "FP", "AMDPAR", "LI", "ROW", "EXTRACT", "AGENCY", "SUBAGY", "SUBJECT", "CFR", "DEPDOC",
    "RIN", "AGY", "ACT",
];
/// Heading-like elements: rendered, never provision text.
const HEADINGS: &[&str] = &["HD", "EXECORDR", "PROCNUM", "MEMOHD"];

/// A label's numbering style, for nesting (a) → (i) → (A) → (1).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Style {
    Letter,
    Roman,
    Upper,
    Digit,
}

#[derive(Default)]
struct Reader {
    outline: Outline,
    /// Element names open now.
    path: Vec<String>,
    paragraph: String,
    /// Text of the first italic (`E T="03"`) run of the paragraph: a section's heading.
    italic: Option<String>,
    italic_open: bool,
    heading: Option<String>,
    sectno: Option<String>,
    /// Open labels under the current section, outermost first: (style, token, provision).
    labels: Vec<(Style, String, usize)>,
    /// The innermost section-level provision (labels nest under it).
    section: Option<usize>,
    furniture: usize,
    any_document: bool,
}

pub(crate) fn structure(xml_text: &str) -> Result<Structured, ExtractError> {
    let mut reader = Reader::default();
    xml::events(xml_text, |event| match event {
        XmlEvent::Start(element) => reader.start(&element),
        XmlEvent::End => reader.end(),
        XmlEvent::Text(text) => reader.text(&text),
    })?;
    if !reader.any_document {
        return Err(ExtractError::MalformedXml(
            "not Federal Register XML: no PRESDOCU, RULE, PRORULE or NOTICE element".into(),
        ));
    }
    Ok(reader.outline.finish())
}

impl Reader {
    fn start(&mut self, element: &xml::Element) {
        let name = element.name.as_str();
        if matches!(
            name,
            "PRESDOCU"
                | "RULE"
                | "PRORULE"
                | "NOTICE"
                | "EXECORD"
                | "PRMEMO"
                | "PROCLA"
                | "PRNOTICE"
                | "DETERM"
                | "PRORDER"
                | "RULES"
                | "PRORULES"
                | "NOTICES"
        ) {
            self.any_document = true;
        }
        if FURNITURE.contains(&name) {
            self.furniture += 1;
        }
        match name {
            "E" if element.attribute("T") == Some("03") && self.italic.is_none() => {
                self.italic_open = true;
                self.italic = Some(String::new());
            }
            n if HEADINGS.contains(&n) => {
                self.flush_paragraph();
                self.heading = Some(String::new());
            }
            "SECTNO" => self.sectno = Some(String::new()),
            _ => {}
        }
        self.path.push(element.name.clone());
    }

    fn end(&mut self) {
        let Some(name) = self.path.pop() else {
            return;
        };
        if FURNITURE.contains(&name.as_str()) {
            self.furniture = self.furniture.saturating_sub(1);
            return;
        }
        match name.as_str() {
            "E" => self.italic_open = false,
            "HD" => {
                if let Some(text) = self.heading.take() {
                    self.hd(&clean_inline(&text));
                }
            }
            n if HEADINGS.contains(&n) => {
                if let Some(text) = self.heading.take() {
                    self.outline.heading(&clean_inline(&text));
                }
            }
            "SECTNO" => {
                if let Some(text) = self.sectno.take() {
                    self.open_cfr_section(&clean_inline(&text));
                }
            }
            "SUBJECT" if self.path.last().is_some_and(|p| p == "SECTION") => {
                let text = clean_inline(&std::mem::take(&mut self.paragraph));
                self.outline.heading(&text);
                self.outline.title(text.trim_end_matches('.'));
                self.italic = None;
            }
            "SECTION" => {
                self.flush_paragraph();
                if let Some(section) = self.section.take() {
                    self.outline.close_to(section);
                    self.outline.pop();
                }
                self.labels.clear();
            }
            n if PARAGRAPHS.contains(&n) => self.flush_paragraph(),
            _ => {}
        }
    }

    fn text(&mut self, text: &str) {
        if self.furniture > 0 {
            return;
        }
        if let Some(heading) = &mut self.heading {
            heading.push_str(text);
            return;
        }
        if let Some(sectno) = &mut self.sectno {
            sectno.push_str(text);
            return;
        }
        if self.italic_open
            && let Some(italic) = &mut self.italic
        {
            italic.push_str(text);
        }
        self.paragraph.push_str(text);
    }

    /// A heading: the document's title (`HED`) is rendered only; headings of rule preambles and
    /// supplementary information open `heading-<slug>` provisions.
    fn hd(&mut self, text: &str) {
        if text.is_empty() {
            return;
        }
        self.outline.heading(text);
        let in_presidential = self.path.iter().any(|p| {
            matches!(
                p.as_str(),
                "EXECORD" | "PRMEMO" | "PROCLA" | "PRNOTICE" | "DETERM" | "PRORDER"
            )
        });
        if in_presidential {
            return;
        }
        let slug = slug(text.trim_end_matches(':'), 60);
        if slug.is_empty() {
            return;
        }
        self.close_section();
        let index = self
            .outline
            .push(format!("heading-{slug}"), "heading", text.to_owned());
        self.outline.title(text.trim_end_matches(':'));
        self.section = Some(index);
    }

    /// `§ 1.1` of regulatory text.
    fn open_cfr_section(&mut self, text: &str) {
        let number = text.trim_start_matches(['§', ' ']).trim();
        let token = slug(number, 40);
        if token.is_empty() {
            return;
        }
        self.close_section();
        let index = self
            .outline
            .push(format!("section-{token}"), "section", format!("§ {number}"));
        self.outline.heading(text);
        self.section = Some(index);
    }

    fn close_section(&mut self) {
        self.flush_paragraph();
        if let Some(section) = self.section.take() {
            self.outline.close_to(section);
            self.outline.pop();
        }
        self.labels.clear();
    }

    fn flush_paragraph(&mut self) {
        let raw = std::mem::take(&mut self.paragraph);
        let italic = self.italic.take().map(|t| clean_inline(&t));
        self.italic_open = false;
        let text = clean_inline(&raw);
        if text.is_empty() {
            return;
        }
        let mut rest = text.as_str();
        let mut first_of_point = false;
        if let Some((number, after)) = section_marker(rest) {
            self.close_section();
            let index =
                self.outline
                    .push(format!("sec-{number}"), "section", format!("Sec. {number}"));
            self.section = Some(index);
            rest = after;
            if let Some(title) = italic.as_deref().map(str::trim)
                && !title.is_empty()
                && rest.starts_with(title)
            {
                self.outline.title(title.trim_end_matches('.'));
                rest = rest[title.len()..].trim_start();
            }
        }
        if let Some((token, after)) = leading_label(rest)
            && self.open_label(&token)
        {
            rest = after;
            first_of_point = true;
        }
        if self.outline.innermost().is_none() {
            self.outline
                .push("preamble".into(), "preamble", "Preamble".into());
        }
        self.outline.text(rest, first_of_point);
    }

    /// Opens the provision of a paragraph's leading label, nested by numbering style.
    fn open_label(&mut self, token: &str) -> bool {
        let Some(section) = self.section else {
            return false;
        };
        let style = self.style_of(token);
        // A style already open: a sibling at that depth; otherwise a child of the innermost.
        if let Some(depth) = self.labels.iter().position(|(s, _, _)| *s == style) {
            self.labels.truncate(depth);
        }
        let parent = self.labels.last().map_or(section, |(_, _, index)| *index);
        self.outline.close_to(parent);
        let p = self.outline.get(parent);
        let (id, label) = (format!("{}-{token}", p.id), format!("{}({token})", p.label));
        let index = self.outline.push(id, "point", label);
        self.labels.push((style, token.to_owned(), index));
        true
    }

    /// "(i)", "(v)", "(x)" continue a run of letters right after "(h)", "(u)", "(w)"; otherwise
    /// they are roman numerals.
    fn style_of(&self, token: &str) -> Style {
        let b = token.as_bytes();
        if b.iter().all(u8::is_ascii_digit) {
            return Style::Digit;
        }
        if token.len() <= 2 && b.iter().all(u8::is_ascii_uppercase) {
            return Style::Upper;
        }
        let roman = b.iter().all(|c| b"ivxl".contains(c));
        if !roman {
            return Style::Letter;
        }
        let previous_letter = self
            .labels
            .iter()
            .rev()
            .find(|(s, _, _)| *s == Style::Letter)
            .map(|(_, t, _)| t.as_str());
        let continues = matches!(
            (token, previous_letter),
            ("i", Some("h")) | ("v", Some("u")) | ("x", Some("w"))
        );
        let roman_open = self.labels.iter().any(|(s, _, _)| *s == Style::Roman);
        if (continues && !roman_open) || (token.len() == 1 && self.labels.is_empty()) {
            Style::Letter
        } else {
            Style::Roman
        }
    }
}

/// "Section 3.", "Sec. 3.", "Sec. 3a." at the start of a paragraph → ("3", rest).
fn section_marker(text: &str) -> Option<(String, &str)> {
    let rest = text
        .strip_prefix("Section ")
        .or_else(|| text.strip_prefix("Sec. "))
        .or_else(|| text.strip_prefix("SECTION "))
        .or_else(|| text.strip_prefix("SEC. "))?;
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 || digits > 3 {
        return None;
    }
    let letters = rest[digits..]
        .bytes()
        .take_while(u8::is_ascii_lowercase)
        .count();
    let after = &rest[digits + letters..];
    let after = after.strip_prefix('.')?;
    Some((rest[..digits + letters].to_owned(), after.trim_start()))
}

/// "(a) The Secretary shall…" → ("a", "The Secretary shall…").
fn leading_label(text: &str) -> Option<(String, &str)> {
    if !text.starts_with('(') {
        return None;
    }
    let close = text.find(')')?;
    let token = point_label(&text[..=close])?;
    Some((token, text[close + 1..].trim_start()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const EO: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<PRESDOCU><EXECORD><TITLE3>Title 3— </TITLE3><PRES>The President<PRTPAGE P="8741"/></PRES>
<EXECORDR>Executive Order 14179 of January 23, 2025</EXECORDR>
<HD SOURCE="HED">Removing Barriers to American Leadership in Artificial Intelligence</HD>
<FP>By the authority vested in me as President, it is hereby ordered:</FP>
<FP><E T="04">Section 1.</E> <E T="03">Purpose.</E> The United States has long been at the forefront.</FP>
<FP><E T="04">Sec. 2.</E> <E T="03">Policy.</E> It is the policy of the United States to sustain AI dominance.</FP>
<FP><E T="04">Sec. 3.</E> <E T="03">Definitions.</E> For the purposes of this order:</FP>
<P>(a) The term “artificial intelligence” has the meaning given.</P>
<P>(b) The term “AI” means:</P>
<P>(i) systems that learn;</P>
<P>(ii) systems that act.</P>
<P>(c) Other terms.</P>
<PSIG>(Presidential Sig.)</PSIG><PLACE>THE WHITE HOUSE,</PLACE><DATE>January 23, 2025.</DATE>
<FRDOC>[FR Doc. 2025-02172 Filed 1-30-25; 8:45 am]</FRDOC><BILCOD>Billing code 3395-F4-P</BILCOD>
</EXECORD></PRESDOCU>"#;

    #[test]
    fn executive_order_sections() {
        let s = structure(EO).unwrap();
        let ids: Vec<_> = s.provisions.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "preamble",
                "sec-1",
                "sec-2",
                "sec-3",
                "sec-3-a",
                "sec-3-b",
                "sec-3-b-i",
                "sec-3-b-ii",
                "sec-3-c"
            ]
        );
        let get = |id: &str| s.provisions.iter().find(|p| p.id == id).unwrap();
        assert_eq!(get("sec-2").title.as_deref(), Some("Policy"));
        assert_eq!(
            get("sec-2").text,
            "It is the policy of the United States to sustain AI dominance."
        );
        assert_eq!(get("sec-3-b-i").label, "Sec. 3(b)(i)");
        assert_eq!(get("sec-3-b-i").parent.as_deref(), Some("sec-3-b"));
        assert_eq!(get("sec-3-c").parent.as_deref(), Some("sec-3"));
        assert!(
            !s.provisions.iter().any(|p| p.text.contains("WHITE HOUSE")
                || p.text.contains("Billing")
                || p.text.contains("FR Doc")),
            "signature block and billing code are furniture"
        );
    }

    #[test]
    fn rule_headings_and_regulatory_sections() {
        let xml = r#"<RULE><PREAMB><AGENCY>DEPARTMENT OF COMMERCE</AGENCY><SUBJECT>AI rule</SUBJECT>
            <SUM><HD SOURCE="HED">SUMMARY:</HD><P>This rule sets requirements.</P></SUM></PREAMB>
            <REGTEXT><SECTION><SECTNO>§ 1.1</SECTNO><SUBJECT>Scope.</SUBJECT><P>(a) Providers shall report.</P><P>(b) Others may.</P></SECTION></REGTEXT></RULE>"#;
        let s = structure(xml).unwrap();
        let ids: Vec<_> = s.provisions.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "preamble",
                "heading-summary",
                "section-1-1",
                "section-1-1-a",
                "section-1-1-b"
            ]
        );
        assert_eq!(s.provisions[2].title.as_deref(), Some("Scope"));
        assert_eq!(s.provisions[0].text, "DEPARTMENT OF COMMERCE\nAI rule");
    }

    #[test]
    fn markers() {
        assert_eq!(
            section_marker("Sec. 12. Rest"),
            Some(("12".to_owned(), "Rest"))
        );
        assert_eq!(
            section_marker("Section 4a. X"),
            Some(("4a".to_owned(), "X"))
        );
        assert_eq!(section_marker("Sections 4 and 5"), None);
        assert_eq!(leading_label("(iv) text"), Some(("iv".to_owned(), "text")));
        assert_eq!(leading_label("(see above) text"), None);
        assert!(structure("<html/>").is_err());
    }
}
