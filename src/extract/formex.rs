//! Formex 4 XML (the Publications Office's structured format of the Official Journal: `ACT`,
//! `CONS.ACT`, `ANNEX`; schema at op.europa.eu/en/web/eu-vocabularies/formex) → provisions with
//! the catalogue's identifiers: `ARTICLE IDENTIFIER="050"` → `art-50`, `PARAG
//! IDENTIFIER="050.002"` → `art-50-2`, a list item numbered "(a)" → `art-50-2-a`, `CONSID`
//! "(12)" → `recital-12`, a `DIVISION` titled "CHAPTER III" / "SECTION 2" → `chapter-III`,
//! `chapter-III-section-2`, an `ANNEX` titled "ANNEX III" → `annex-III`. A manifestation's
//! files (act and annexes) may be given one after another in one string. Quoted structure
//! (`QUOT.S`, an amending act reproducing an article) is text, not provisions; footnotes
//! (`NOTE`) and the final part (`FINAL`, signatures) are no provision's text.

use super::ExtractError;
use super::outline::{
    Outline, Structured, number_token, numbered_heading, paragraph_number, point_label,
};
use super::text::clean_inline;
use super::xml::{self, XmlEvent};

/// What the text inside an element is for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Capture {
    /// `TI` of a division or annex title: "CHAPTER III", "ANNEX III".
    Heading,
    /// `STI`, `STI.ART`: the title of the open provision.
    Title,
    /// `TI.ART`: "Article 50" (used only when the article has no IDENTIFIER).
    ArticleHeading,
    /// `NO.P`: "(a)", "(12)", "1.".
    PointNumber,
    /// `NO.PARAG`: "2." (used only when the paragraph has no IDENTIFIER).
    ParagraphNumber,
}

struct Frame {
    name: String,
    /// A provision this element opened (closed at its end).
    opened: bool,
    capture: Option<(Capture, String)>,
}

#[derive(Default)]
struct Reader {
    outline: Outline,
    frames: Vec<Frame>,
    line: String,
    line_is_point: bool,
    /// Depth inside `NOTE` (skipped).
    note: usize,
    /// Depth inside `QUOT.S` (quoted structure is text).
    quoted: usize,
    /// Depth inside `FINAL` (signatures: no provision's text).
    unprovisioned: usize,
}

const BLOCKS: &[&str] = &[
    "P",
    "ALINEA",
    "TXT",
    "NP",
    "ITEM",
    "CONSID",
    "VISA",
    "PREAMBLE.INIT",
    "PREAMBLE.FINAL",
    "GR.CONSID.INIT",
    "ROW",
    "TITLE",
    "TI",
    "STI",
    "TI.ART",
    "STI.ART",
    "PARAG",
    "ARTICLE",
    "DIVISION",
    "ANNEX",
    "CONS.ANNEX",
    "LIST",
    "GR.SEQ",
    "CONTENTS",
    "FORMULA.S",
    "PL.DATE",
];

pub(crate) fn structure(xml_text: &str) -> Result<Structured, ExtractError> {
    if xml_text.starts_with("PK\u{3}\u{4}") {
        // CELLAR serves a multi-file Formex manifestation as a ZIP archive.
        return Err(ExtractError::MalformedXml(
            "a ZIP archive (a multi-file Formex manifestation), not one Formex document: track the act's XHTML (format html) instead".into(),
        ));
    }
    let mut reader = Reader::default();
    let mut formex = false;
    xml::events(xml_text, |event| match event {
        XmlEvent::Start(element) => {
            if matches!(
                element.name.as_str(),
                "ACT" | "CONS.ACT" | "CONS.DOC" | "ANNEX" | "CONS.ANNEX" | "ENACTING.TERMS"
            ) {
                formex = true;
            }
            reader.start(element);
        }
        XmlEvent::End => reader.end(),
        XmlEvent::Text(text) => reader.text(&text),
    })?;
    if !formex {
        return Err(ExtractError::MalformedXml(
            "not Formex: no ACT, CONS.ACT or ANNEX element".into(),
        ));
    }
    reader.flush();
    Ok(reader.outline.finish())
}

impl Reader {
    fn start(&mut self, element: xml::Element) {
        let name = element.name.as_str();
        if self.note > 0 || name == "NOTE" {
            self.note += 1;
            self.frames.push(Frame {
                name: element.name,
                opened: false,
                capture: None,
            });
            return;
        }
        let mut frame = Frame {
            name: element.name.clone(),
            opened: false,
            capture: None,
        };
        if BLOCKS.contains(&name) || name == "PREAMBLE" {
            self.flush();
        }
        let quoted = self.quoted > 0;
        match name {
            "QUOT.S" => self.quoted += 1,
            "FINAL" => self.unprovisioned += 1,
            "PREAMBLE" if !quoted => {
                self.outline
                    .push("preamble".into(), "preamble", "Preamble".into());
                frame.opened = true;
            }
            "ARTICLE" if !quoted => {
                if let Some(number) = element.attribute("IDENTIFIER").and_then(number_token) {
                    self.open_article(&number);
                    frame.opened = true;
                }
            }
            "PARAG" if !quoted => {
                let number = element
                    .attribute("IDENTIFIER")
                    .and_then(|id| id.split_once('.'))
                    .and_then(|(_, paragraph)| number_token(paragraph));
                if let Some(number) = number
                    && self.open_paragraph(&number)
                {
                    frame.opened = true;
                }
            }
            "TI" | "STI" if self.title_of_container() && !quoted => {
                let what = if name == "TI" {
                    Capture::Heading
                } else {
                    Capture::Title
                };
                frame.capture = Some((what, String::new()));
            }
            "TI.ART" if !quoted => frame.capture = Some((Capture::ArticleHeading, String::new())),
            "STI.ART" if !quoted => frame.capture = Some((Capture::Title, String::new())),
            "NO.P" if !quoted => frame.capture = Some((Capture::PointNumber, String::new())),
            "NO.PARAG" if !quoted => {
                frame.capture = Some((Capture::ParagraphNumber, String::new()));
            }
            "CELL" if !self.line.trim().is_empty() => self.line.push_str(" | "),
            _ => {}
        }
        self.frames.push(frame);
    }

    fn end(&mut self) {
        let Some(frame) = self.frames.pop() else {
            return;
        };
        if self.note > 0 {
            self.note -= 1;
            return;
        }
        match frame.name.as_str() {
            "QUOT.S" => self.quoted = self.quoted.saturating_sub(1),
            "FINAL" => self.unprovisioned = self.unprovisioned.saturating_sub(1),
            _ => {}
        }
        if let Some((what, text)) = frame.capture {
            self.captured(what, &clean_inline(&text));
        }
        if BLOCKS.contains(&frame.name.as_str()) || frame.opened {
            self.flush();
        }
        if frame.opened {
            self.outline.pop();
        }
    }

    fn text(&mut self, text: &str) {
        if self.note > 0 {
            return;
        }
        if let Some((_, buffer)) = self
            .frames
            .iter_mut()
            .rev()
            .find_map(|f| f.capture.as_mut())
        {
            buffer.push_str(text);
        } else {
            self.line.push_str(text);
        }
    }

    /// A `TI`/`STI` directly in the `TITLE` of a division or annex.
    fn title_of_container(&self) -> bool {
        let n = self.frames.len();
        n >= 2
            && self.frames[n - 1].name == "TITLE"
            && matches!(
                self.frames[n - 2].name.as_str(),
                "DIVISION" | "ANNEX" | "CONS.ANNEX"
            )
    }

    /// The frame of the element the current `TITLE` belongs to, when it has opened nothing.
    fn container_frame(&mut self) -> Option<&mut Frame> {
        let n = self.frames.len();
        (n >= 2 && self.frames[n - 1].name == "TITLE")
            .then(|| &mut self.frames[n - 2])
            .filter(|f| !f.opened)
    }

    fn captured(&mut self, what: Capture, text: &str) {
        match what {
            Capture::Heading => {
                self.outline.heading(text);
                let container = self
                    .container_frame()
                    .map(|f| f.name.clone())
                    .unwrap_or_default();
                let opened = match container.as_str() {
                    "DIVISION" => self.open_division(text),
                    "ANNEX" | "CONS.ANNEX" => self.open_annex(text),
                    _ => false,
                };
                if opened && let Some(frame) = self.container_frame() {
                    frame.opened = true;
                }
            }
            Capture::Title => {
                self.outline.heading(text);
                self.outline.title(text);
            }
            Capture::ArticleHeading => {
                self.outline.heading(text);
                let number = text
                    .strip_prefix("Article ")
                    .and_then(|n| number_token(n.trim_end_matches('.')));
                let unnumbered = self
                    .frames
                    .last()
                    .is_some_and(|f| f.name == "ARTICLE" && !f.opened);
                if unnumbered && let Some(number) = number {
                    self.open_article(&number);
                    if let Some(frame) = self.frames.last_mut() {
                        frame.opened = true;
                    }
                }
            }
            Capture::ParagraphNumber => {
                let unnumbered = self
                    .frames
                    .last()
                    .is_some_and(|f| f.name == "PARAG" && !f.opened);
                if unnumbered
                    && let Some(number) = paragraph_number(text)
                    && self.open_paragraph(&number)
                    && let Some(frame) = self.frames.last_mut()
                {
                    frame.opened = true;
                }
            }
            Capture::PointNumber => self.point_number(text),
        }
    }

    /// "(12)" in a `CONSID` numbers the recital; elsewhere a valid label opens a point that
    /// its `NP` (or `ITEM`) closes; anything else ("—") stays text.
    fn point_number(&mut self, text: &str) {
        let token = point_label(text);
        let n = self.frames.len();
        // The NO.P frame is already popped: the last frame is its NP, the one before its parent.
        let in_recital =
            n >= 2 && self.frames[n - 2].name == "CONSID" && !self.frames[n - 2].opened;
        match token {
            Some(number) if in_recital && number.bytes().all(|b| b.is_ascii_digit()) => {
                self.outline.push(
                    format!("recital-{number}"),
                    "recital",
                    format!("Recital {number}"),
                );
                self.frames[n - 2].opened = true;
            }
            Some(token) if self.quoted == 0 && n >= 1 => {
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
                self.outline.push(id, "point", label);
                self.frames[n - 1].opened = true;
                self.line_is_point = true;
            }
            _ => self.line.push_str(text),
        }
    }

    fn open_article(&mut self, number: &str) {
        self.outline.close_kinds(&["point", "paragraph", "article"]);
        self.outline
            .push(format!("art-{number}"), "article", format!("Art. {number}"));
    }

    fn open_paragraph(&mut self, number: &str) -> bool {
        let Some(article) = self.outline.open_of_kind("article") else {
            return false;
        };
        self.outline.close_to(article);
        let a = self.outline.get(article);
        let (id, label) = (
            format!("{}-{number}", a.id),
            format!("{}({number})", a.label),
        );
        self.outline.push(id, "paragraph", label);
        true
    }

    fn open_division(&mut self, heading: &str) -> bool {
        let Some((keyword, number)) =
            numbered_heading(heading, &["chapter", "section", "title", "part"])
        else {
            return false;
        };
        let (id, label) = match keyword.as_str() {
            "section" => match self.outline.open_of_kind("chapter") {
                Some(chapter) => {
                    let c = self.outline.get(chapter);
                    (
                        format!("{}-section-{number}", c.id),
                        format!("{}, Section {number}", c.label),
                    )
                }
                None => (format!("section-{number}"), format!("Section {number}")),
            },
            "chapter" => (format!("chapter-{number}"), format!("Chapter {number}")),
            "title" => (format!("title-{number}"), format!("Title {number}")),
            _ => (format!("part-{number}"), format!("Part {number}")),
        };
        self.outline.push(id, &keyword, label);
        true
    }

    fn open_annex(&mut self, heading: &str) -> bool {
        let (id, label) = match numbered_heading(heading, &["annex"]) {
            Some((_, number)) => (format!("annex-{number}"), format!("Annex {number}")),
            None if heading.trim().eq_ignore_ascii_case("annex") => {
                ("annex".to_owned(), "Annex".to_owned())
            }
            None => return false,
        };
        self.outline.close_kinds(&["point", "annex"]);
        self.outline.push(id, "annex", label);
        true
    }

    fn flush(&mut self) {
        let raw = std::mem::take(&mut self.line);
        let text = clean_inline(&raw).trim_end_matches(" |").trim().to_owned();
        if text.is_empty() {
            return;
        }
        let point = std::mem::take(&mut self.line_is_point);
        if self.unprovisioned > 0 {
            self.outline.loose(&text);
        } else {
            self.outline.text(&text, point);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ACT: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<ACT xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<TITLE><TI><P>Regulation (EU) 2024/1689</P></TI></TITLE>
<PREAMBLE><PREAMBLE.INIT>THE EUROPEAN PARLIAMENT AND THE COUNCIL OF THE EUROPEAN UNION,</PREAMBLE.INIT>
<GR.CONSID><GR.CONSID.INIT>Whereas:</GR.CONSID.INIT>
<CONSID><NP><NO.P>(1)</NO.P><TXT>The purpose of this Regulation<NOTE NOTE.ID="E0001"><P>OJ C 517.</P></NOTE> is to improve the internal market.</TXT></NP></CONSID>
</GR.CONSID><PREAMBLE.FINAL>HAVE ADOPTED THIS REGULATION:</PREAMBLE.FINAL></PREAMBLE>
<ENACTING.TERMS>
<DIVISION><TITLE><TI><P>CHAPTER IV</P></TI><STI><P>TRANSPARENCY OBLIGATIONS</P></STI></TITLE>
<ARTICLE IDENTIFIER="050"><TI.ART>Article 50</TI.ART><STI.ART><P>Transparency obligations</P></STI.ART>
<PARAG IDENTIFIER="050.001"><NO.PARAG>1.</NO.PARAG><ALINEA>Providers shall inform natural persons.</ALINEA></PARAG>
<PARAG IDENTIFIER="050.002"><NO.PARAG>2.</NO.PARAG><ALINEA><P>Providers shall ensure that outputs are marked:</P>
<LIST TYPE="alpha"><ITEM><NP><NO.P>(a)</NO.P><TXT>in a machine-readable format;</TXT></NP></ITEM></LIST></ALINEA></PARAG>
</ARTICLE>
<DIVISION><TITLE><TI><P>SECTION 1</P></TI></TITLE>
<ARTICLE IDENTIFIER="051"><TI.ART>Article 51</TI.ART><ALINEA>Quoted: <QUOT.S><ARTICLE IDENTIFIER="004"><TI.ART>Article 4</TI.ART><ALINEA>inserted text</ALINEA></ARTICLE></QUOT.S></ALINEA></ARTICLE>
</DIVISION></DIVISION>
</ENACTING.TERMS>
<FINAL><SIGNATURE><PL.DATE>Done at Brussels, 13 June 2024.</PL.DATE></SIGNATURE></FINAL>
</ACT>
<ANNEX><TITLE><TI><P>ANNEX III</P></TI><STI><P>High-risk AI systems</P></STI></TITLE>
<CONTENTS><NP><NO.P>1.</NO.P><TXT>Biometrics</TXT></NP></CONTENTS></ANNEX>"#;

    #[test]
    fn formex_identifiers() {
        let s = structure(ACT).unwrap();
        let ids: Vec<_> = s.provisions.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "preamble",
                "recital-1",
                "chapter-IV",
                "art-50",
                "art-50-1",
                "art-50-2",
                "art-50-2-a",
                "chapter-IV-section-1",
                "art-51",
                "annex-III",
                "annex-III-1"
            ]
        );
        let get = |id: &str| s.provisions.iter().find(|p| p.id == id).unwrap();
        assert_eq!(
            get("recital-1").text,
            "The purpose of this Regulation is to improve the internal market."
        );
        assert_eq!(
            get("art-50-2").text,
            "Providers shall ensure that outputs are marked:"
        );
        assert_eq!(get("art-50-2-a").text, "in a machine-readable format;");
        assert_eq!(
            get("art-50").title.as_deref(),
            Some("Transparency obligations")
        );
        assert_eq!(
            get("chapter-IV").title.as_deref(),
            Some("TRANSPARENCY OBLIGATIONS")
        );
        assert_eq!(
            get("art-51").parent.as_deref(),
            Some("chapter-IV-section-1")
        );
        assert!(
            get("art-51").text.contains("inserted text"),
            "quoted structure is text"
        );
        assert_eq!(
            get("annex-III").title.as_deref(),
            Some("High-risk AI systems")
        );
        assert!(
            !s.provisions
                .iter()
                .any(|p| p.text.contains("Done at Brussels"))
        );
    }

    #[test]
    fn not_formex_is_an_error() {
        assert!(matches!(
            structure("<html><body>x</body></html>"),
            Err(ExtractError::MalformedXml(_))
        ));
        assert!(matches!(
            structure("<ACT><x"),
            Err(ExtractError::MalformedXml(_)) | Ok(_)
        ));
    }
}
