//! The Federal Register API (https://www.federalregister.gov/developers/documentation/api/v1),
//! keyless JSON: `GET /api/v1/documents.json?conditions[…]=…&fields[]=…&order=newest&per_page=N`
//! searches (answer: `count`, `total_pages`, `next_page_url`, `results`), and
//! `GET /api/v1/documents/{document_number}.json?fields[]=…` describes one document. The fields
//! asked for are the ones the API documents for documents (`document_number`, `title`, `type`,
//! `subtype`, `abstract`, `html_url`, `pdf_url`, `full_text_xml_url`, `body_html_url`,
//! `publication_date`, `signing_date`, `executive_order_number`, `citation`, `agencies`,
//! `president`); `full_text_xml_url` is the GPO XML the text is read from.
//!
//! This module builds the requests and reads the answers; the crawler sends them through the
//! polite fetcher.

use super::{ChannelError, Negotiation};
use serde::Serialize;
use serde_json::Value;
use url::Url;

/// The fields every request asks for (`fields[]=…`).
pub const FIELDS: &[&str] = &[
    "document_number",
    "title",
    "type",
    "subtype",
    "abstract",
    "html_url",
    "pdf_url",
    "full_text_xml_url",
    "body_html_url",
    "publication_date",
    "signing_date",
    "executive_order_number",
    "citation",
    "agencies",
    "president",
];
/// Results per search page: the newest ones are what discovery needs.
pub const PER_PAGE: usize = 100;
/// A search answer with more results than this is malformed for us (the API caps per_page at
/// 1000).
const MAX_RESULTS: usize = 1_000;

/// One Federal Register document, as the API describes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Document {
    pub document_number: String,
    pub title: String,
    /// `Presidential Document`, `Rule`, `Proposed Rule`, `Notice`.
    pub doc_type: Option<String>,
    /// `Executive Order`, `Memorandum`, `Proclamation`, …
    pub subtype: Option<String>,
    pub abstract_text: Option<String>,
    pub html_url: Option<String>,
    pub pdf_url: Option<String>,
    pub full_text_xml_url: Option<String>,
    pub body_html_url: Option<String>,
    /// `YYYY-MM-DD`.
    pub publication_date: Option<String>,
    pub signing_date: Option<String>,
    pub executive_order_number: Option<u64>,
    /// `90 FR 8741`.
    pub citation: Option<String>,
    /// Agency names.
    pub agencies: Vec<String>,
    pub president: Option<String>,
}

/// A page of search results.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Search {
    /// All matches (the page holds at most [`PER_PAGE`]).
    pub count: u64,
    pub documents: Vec<Document>,
}

fn with_fields(url: &mut Url) {
    let mut pairs = url.query_pairs_mut();
    for field in FIELDS {
        pairs.append_pair("fields[]", field);
    }
}

/// The search request for a source registered with its conditions (`…/documents.json?conditions…`):
/// the newest [`PER_PAGE`] matches with the fields above.
pub fn search_request(access: &Url) -> Url {
    let mut url = access.clone();
    with_fields(&mut url);
    url.query_pairs_mut()
        .append_pair("order", "newest")
        .append_pair("per_page", &PER_PAGE.to_string());
    url
}

/// The description of one document (`…/documents/{number}.json`) with the fields above.
pub fn document_request(access: &Url) -> Url {
    let mut url = access.clone();
    url.set_query(None);
    with_fields(&mut url);
    url
}

pub fn json_negotiation() -> Negotiation {
    Negotiation {
        accept: Some("application/json".into()),
        accept_language: None,
    }
}

pub fn xml_negotiation() -> Negotiation {
    Negotiation {
        accept: Some("application/xml, text/xml;q=0.9".into()),
        accept_language: None,
    }
}

fn error(message: impl Into<String>) -> ChannelError {
    ChannelError {
        channel: "Federal Register API",
        message: message.into(),
    }
}

fn parse_json(body: &[u8]) -> Result<Value, ChannelError> {
    serde_json::from_slice(body).map_err(|e| error(format!("not JSON: {e}")))
}

/// Reads a search answer. Results without a valid document number or title are dropped.
pub fn parse_search(body: &[u8]) -> Result<Search, ChannelError> {
    let value = parse_json(body)?;
    let Some(object) = value.as_object() else {
        return Err(error("the answer is not a JSON object"));
    };
    let results = match object.get("results") {
        Some(Value::Array(results)) => results.as_slice(),
        // A search without matches may omit `results`.
        None | Some(Value::Null) => &[],
        Some(_) => return Err(error("`results` is not an array")),
    };
    if results.len() > MAX_RESULTS {
        return Err(error(format!(
            "more than {MAX_RESULTS} results on one page"
        )));
    }
    let count = object
        .get("count")
        .and_then(Value::as_u64)
        .unwrap_or(results.len() as u64);
    Ok(Search {
        count,
        documents: results.iter().filter_map(document).collect(),
    })
}

/// Reads the description of one document.
pub fn parse_document(body: &[u8]) -> Result<Document, ChannelError> {
    let value = parse_json(body)?;
    document(&value).ok_or_else(|| error("no valid document_number and title"))
}

fn document(value: &Value) -> Option<Document> {
    let text = |name: &str| {
        value
            .get(name)
            .and_then(Value::as_str)
            .map(super::clean_text)
            .filter(|s| !s.is_empty())
    };
    let url = |name: &str| {
        text(name).filter(|u| Url::parse(u).is_ok_and(|u| matches!(u.scheme(), "http" | "https")))
    };
    let date = |name: &str| text(name).and_then(|d| super::cellar::iso_date(&d));
    let document_number = text("document_number")?;
    let valid_number = (3..=32).contains(&document_number.len())
        && document_number
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-');
    if !valid_number {
        return None;
    }
    let executive_order_number = match value.get("executive_order_number") {
        Some(Value::Number(n)) => n.as_u64(),
        Some(Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    };
    let agencies = value
        .get("agencies")
        .and_then(Value::as_array)
        .map(|agencies| {
            agencies
                .iter()
                .filter_map(|a| {
                    a.get("name")
                        .or_else(|| a.get("raw_name"))
                        .and_then(Value::as_str)
                        .map(str::trim)
                        .filter(|n| !n.is_empty())
                        .map(str::to_owned)
                })
                .take(20)
                .collect()
        })
        .unwrap_or_default();
    let president = value
        .get("president")
        .and_then(|p| p.get("name"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    Some(Document {
        title: text("title")?,
        doc_type: text("type"),
        subtype: text("subtype"),
        abstract_text: text("abstract"),
        html_url: url("html_url"),
        pdf_url: url("pdf_url"),
        full_text_xml_url: url("full_text_xml_url"),
        body_html_url: url("body_html_url"),
        publication_date: date("publication_date"),
        signing_date: date("signing_date"),
        executive_order_number,
        citation: text("citation"),
        agencies,
        president,
        document_number: document_number.to_ascii_uppercase(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_ask_for_the_fields() {
        let access = Url::parse(
            "https://www.federalregister.gov/api/v1/documents.json?conditions%5Btype%5D%5B%5D=PRESDOCU",
        )
        .unwrap();
        let search = search_request(&access);
        let pairs: Vec<(String, String)> = search.query_pairs().into_owned().collect();
        assert!(pairs.contains(&("conditions[type][]".into(), "PRESDOCU".into())));
        assert!(pairs.contains(&("fields[]".into(), "full_text_xml_url".into())));
        assert!(pairs.contains(&("order".into(), "newest".into())));
        let doc = document_request(
            &Url::parse("https://www.federalregister.gov/api/v1/documents/2025-02172.json")
                .unwrap(),
        );
        assert!(doc.as_str().starts_with(
            "https://www.federalregister.gov/api/v1/documents/2025-02172.json?fields%5B%5D=document_number"
        ));
    }

    #[test]
    fn answers_are_read_leniently() {
        let body = br#"{"count":2,"total_pages":1,"results":[
            {"document_number":"2025-02172","title":"Removing Barriers to American Leadership in Artificial Intelligence",
             "type":"Presidential Document","subtype":"Executive Order","executive_order_number":14179,
             "signing_date":"2025-01-23","publication_date":"2025-01-31","citation":"90 FR 8741",
             "full_text_xml_url":"https://www.federalregister.gov/documents/full_text/xml/2025/01/31/2025-02172.xml",
             "html_url":"javascript:alert(1)",
             "agencies":[{"raw_name":"Executive Office of the President","name":"Executive Office of the President"}],
             "president":{"name":"Donald Trump","identifier":"donald-trump"}},
            {"document_number":"../etc","title":"bad"},
            {"title":"no number"}]}"#;
        let search = parse_search(body).unwrap();
        assert_eq!(search.count, 2);
        assert_eq!(search.documents.len(), 1);
        let d = &search.documents[0];
        assert_eq!(d.executive_order_number, Some(14179));
        assert_eq!(d.signing_date.as_deref(), Some("2025-01-23"));
        assert_eq!(d.html_url, None, "only http(s) URLs are kept");
        assert_eq!(d.agencies, ["Executive Office of the President"]);
        assert!(parse_search(b"[]").is_err());
        assert!(parse_search(b"{\"count\":0}").unwrap().documents.is_empty());
        assert!(parse_document(b"{\"title\":\"x\"}").is_err());
    }
}
