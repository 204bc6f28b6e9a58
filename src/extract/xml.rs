//! A bounded XML event stream for the structured-text readers (Formex, Federal Register XML):
//! element starts with their attributes, ends, and text, from quick-xml. No DTD is read and no
//! external entity resolved; unknown entities are kept as written; nesting deeper than
//! [`MAX_DEPTH`] is an error, so a hostile file cannot exhaust the reader's stack of open
//! elements, and so is a document that ends inside an element (truncated).

use super::ExtractError;
use quick_xml::events::{BytesStart, Event};
use std::borrow::Cow;

/// Elements nested deeper than this make the document malformed for us.
pub(crate) const MAX_DEPTH: usize = 256;

pub(crate) enum XmlEvent<'a> {
    Start(Element),
    End,
    Text(Cow<'a, str>),
}

/// An element start: its name and attributes (names as written, values unescaped).
pub(crate) struct Element {
    pub name: String,
    pub attributes: Vec<(String, String)>,
}

impl Element {
    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

fn element(start: &BytesStart<'_>) -> Element {
    let name = String::from_utf8_lossy(start.name().as_ref()).into_owned();
    let attributes = start
        .attributes()
        .filter_map(Result::ok)
        .map(|a| {
            let key = String::from_utf8_lossy(a.key.as_ref()).into_owned();
            let value = a
                .unescape_value()
                .map(Cow::into_owned)
                .unwrap_or_else(|_| String::from_utf8_lossy(&a.value).into_owned());
            (key, value)
        })
        .collect();
    Element { name, attributes }
}

/// Calls `f` for every event of `xml` in document order; an empty element is a start
/// followed by its end.
pub(crate) fn events(xml: &str, mut f: impl FnMut(XmlEvent<'_>)) -> Result<(), ExtractError> {
    let mut reader = quick_xml::Reader::from_str(xml);
    let config = reader.config_mut();
    config.trim_text(false);
    config.check_end_names = false;
    let mut depth = 0usize;
    loop {
        let event = reader.read_event().map_err(|e| {
            ExtractError::MalformedXml(format!("at byte {}: {e}", reader.error_position()))
        })?;
        match event {
            Event::Start(start) => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Err(ExtractError::MalformedXml(format!(
                        "elements nested deeper than {MAX_DEPTH}"
                    )));
                }
                f(XmlEvent::Start(element(&start)));
            }
            Event::Empty(start) => {
                let element = element(&start);
                f(XmlEvent::Start(element));
                f(XmlEvent::End);
            }
            Event::End(_) => {
                depth = depth.saturating_sub(1);
                f(XmlEvent::End);
            }
            Event::Text(text) => {
                let decoded = match text.unescape() {
                    Ok(t) => t.into_owned(),
                    Err(_) => String::from_utf8_lossy(&text).into_owned(),
                };
                f(XmlEvent::Text(Cow::Owned(decoded)));
            }
            Event::CData(data) => {
                f(XmlEvent::Text(Cow::Owned(
                    String::from_utf8_lossy(&data).into_owned(),
                )));
            }
            // A document cut off inside an element (a truncated download) is not well-formed:
            // reading it as whole would take its missing part for absent content.
            Event::Eof if depth > 0 => {
                return Err(ExtractError::MalformedXml(format!(
                    "ends inside {depth} unclosed element(s)"
                )));
            }
            Event::Eof => return Ok(()),
            // Declarations, processing instructions, comments and DOCTYPE carry no text.
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_in_order_and_bounded() {
        let mut seen = Vec::new();
        events(
            r#"<?xml version="1.0"?><A X="1 &amp; 2"><B/>t&lt;u<![CDATA[<c>]]></A>"#,
            |e| {
                seen.push(match e {
                    XmlEvent::Start(el) => format!(
                        "+{}{}",
                        el.name,
                        el.attribute("X")
                            .map(|v| format!("[{v}]"))
                            .unwrap_or_default()
                    ),
                    XmlEvent::End => "-".to_owned(),
                    XmlEvent::Text(t) => format!("'{t}'"),
                })
            },
        )
        .unwrap();
        assert_eq!(seen, ["+A[1 & 2]", "+B", "-", "'t<u'", "'<c>'", "-"]);
        let deep = "<a>".repeat(MAX_DEPTH + 1);
        assert!(matches!(
            events(&deep, |_| {}),
            Err(ExtractError::MalformedXml(_))
        ));
        assert!(
            events("<a><b></c></a>", |_| {}).is_ok(),
            "end names are not checked"
        );
        assert!(matches!(
            events("<a><b></b>", |_| {}),
            Err(ExtractError::MalformedXml(_))
        ));
        assert!(matches!(
            events("<a><b", |_| {}),
            Err(ExtractError::MalformedXml(_))
        ));
    }
}
