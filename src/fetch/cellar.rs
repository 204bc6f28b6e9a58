//! CELLAR, the Publications Office's repository behind EUR-Lex, asked as its documentation
//! describes: a work is named by CELEX (`…/resource/celex/32024R1689`) and content-negotiated
//! into a manifestation (`Accept: application/xhtml+xml`, `Accept-Language: eng`; CELLAR
//! answers 303 See Other, possibly twice, to the manifestation's item `…/resource/cellar/
//! {uuid}.{expression}.{manifestation}/DOC_1`); the consolidated versions and amending acts of an
//! act come from its SPARQL endpoint (`…/webapi/rdf/sparql`, results as
//! `application/sparql-results+json`) in the CDM ontology (`queries/channels/cellar-relations.rq`).
//!
//! This module builds those requests and reads the answers; the crawler sends them through the
//! polite fetcher (robots.txt, SSRF guard, caps) like any other request.

use super::{ChannelError, Negotiation};
use crate::source::is_celex;
use oxigraph::model::Term;
use oxigraph::sparql::results::{
    QueryResultsFormat, QueryResultsParser, SliceQueryResultsParserOutput,
};
use serde::Serialize;
use url::Url;

const RELATIONS_QUERY: &str = include_str!("../../queries/channels/cellar-relations.rq");
/// More rows than an act has versions and amendments (the query says `LIMIT 5000`).
const MAX_ROWS: usize = 5_000;

/// A consolidated text of the act: CELEX `0YYYYRNNNN-YYYYMMDD` and the date it is "as at".
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Consolidated {
    pub celex: String,
    /// `YYYY-MM-DD`.
    pub date: Option<String>,
}

/// An act amending the tracked one.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Amending {
    pub celex: String,
    pub date: Option<String>,
    pub title: Option<String>,
    /// Author authority IRI (`…/authority/corporate-body/EP`).
    pub author: Option<String>,
}

/// What CELLAR knows of an act's later life, each list sorted and free of duplicates.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Relations {
    pub consolidated: Vec<Consolidated>,
    pub amending: Vec<Amending>,
}

impl Relations {
    /// The newest consolidated version (by its date suffix, which is its "as at" date).
    pub fn latest_consolidated(&self) -> Option<&Consolidated> {
        self.consolidated
            .iter()
            .max_by(|a, b| consolidation_date(&a.celex).cmp(consolidation_date(&b.celex)))
    }
}

fn consolidation_date(celex: &str) -> &str {
    celex.rsplit_once('-').map_or("", |(_, date)| date)
}

/// `…/resource/celex/{celex}` on the same CELLAR as `resource` (another version of the act).
pub fn resource_url(resource: &Url, celex: &str) -> Url {
    let mut url = resource.clone();
    url.set_path(&format!("/resource/celex/{celex}"));
    url.set_query(None);
    url
}

/// The SPARQL endpoint of the CELLAR serving `resource`.
pub fn sparql_endpoint(resource: &Url) -> Url {
    let mut url = resource.clone();
    url.set_path("/webapi/rdf/sparql");
    url.set_query(None);
    url
}

/// The SPARQL protocol GET of the relations query for `celex`, titles in `language`
/// (an EU authority code from [`language_code`]).
pub fn relations_request(endpoint: &Url, celex: &str, language: &str) -> Url {
    debug_assert!(is_celex(celex));
    let query = RELATIONS_QUERY
        .replace("{CELEX}", celex)
        .replace("{LANGUAGE}", language);
    let mut url = endpoint.clone();
    url.query_pairs_mut().clear().append_pair("query", &query);
    url
}

/// What a SPARQL endpoint is asked for.
pub fn sparql_negotiation() -> Negotiation {
    Negotiation {
        accept: Some("application/sparql-results+json".into()),
        accept_language: None,
    }
}

/// How the text of an act is asked for: the XHTML manifestation, or Formex 4 XML.
pub fn text_negotiation(formex: bool, language: &str) -> Negotiation {
    Negotiation {
        accept: Some(if formex {
            "application/xml;mtype=fmx4".into()
        } else {
            "application/xhtml+xml, text/html;q=0.8".into()
        }),
        accept_language: Some(language.to_ascii_lowercase()),
    }
}

/// The EU's three-letter language authority code for a BCP 47 tag (`en` → `ENG`); English
/// for tags outside the 24 official languages.
pub fn language_code(tag: Option<&str>) -> &'static str {
    let primary = tag
        .unwrap_or("en")
        .split(['-', '_'])
        .next()
        .unwrap_or("en")
        .to_ascii_lowercase();
    match primary.as_str() {
        "bg" => "BUL",
        "cs" => "CES",
        "da" => "DAN",
        "de" => "DEU",
        "el" => "ELL",
        "es" => "SPA",
        "et" => "EST",
        "fi" => "FIN",
        "fr" => "FRA",
        "ga" => "GLE",
        "hr" => "HRV",
        "hu" => "HUN",
        "it" => "ITA",
        "lt" => "LIT",
        "lv" => "LAV",
        "mt" => "MLT",
        "nl" => "NLD",
        "pl" => "POL",
        "pt" => "POR",
        "ro" => "RON",
        "sk" => "SLK",
        "sl" => "SLV",
        "sv" => "SWE",
        _ => "ENG",
    }
}

/// Reads the endpoint's answer to the relations query (SPARQL 1.1 Query Results JSON, keys in
/// any order; Virtuoso's `typed-literal` form is accepted). Rows whose CELEX is not a CELEX number are dropped, as
/// are consolidated versions that are not sector 0.
pub fn parse_relations(body: &[u8]) -> Result<Relations, ChannelError> {
    let error = |message: String| ChannelError {
        channel: "CELLAR SPARQL",
        message,
    };
    // JSON objects are unordered, but the streaming results parser wants `bindings` last in
    // `results`: keep only `head` and `results.bindings`, in that order, before parsing terms.
    let value: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| error(format!("not JSON: {e}")))?;
    if value.get("boolean").is_some() {
        return Err(error("a boolean answer to a SELECT query".into()));
    }
    let (Some(head), Some(bindings)) = (
        value.get("head"),
        value.get("results").and_then(|r| r.get("bindings")),
    ) else {
        return Err(error("no head or results.bindings".into()));
    };
    let canonical =
        serde_json::json!({"head": head, "results": {"bindings": bindings}}).to_string();
    let parser = QueryResultsParser::from_format(QueryResultsFormat::Json);
    let SliceQueryResultsParserOutput::Solutions(solutions) = parser
        .for_slice(canonical.as_bytes())
        .map_err(|e| error(e.to_string()))?
    else {
        return Err(error("a boolean answer to a SELECT query".into()));
    };
    let mut relations = Relations::default();
    for (n, solution) in solutions.enumerate() {
        if n >= MAX_ROWS {
            return Err(error(format!("more than {MAX_ROWS} rows")));
        }
        let solution = solution.map_err(|e| error(e.to_string()))?;
        let text = |name: &str| match solution.get(name) {
            Some(Term::Literal(l)) => Some(l.value().trim().to_owned()),
            Some(Term::NamedNode(n)) => Some(n.as_str().to_owned()),
            _ => None,
        };
        let Some(celex) = text("celex").map(|c| c.to_ascii_uppercase()) else {
            continue;
        };
        if !is_celex(&celex) {
            continue;
        }
        let date = text("date").and_then(|d| iso_date(&d));
        match text("relation").as_deref() {
            Some("consolidated") if celex.starts_with('0') => {
                relations.consolidated.push(Consolidated { celex, date });
            }
            Some("amending") => relations.amending.push(Amending {
                celex,
                date,
                title: text("title").filter(|t| !t.is_empty()),
                author: text("author"),
            }),
            _ => {}
        }
    }
    relations.consolidated.sort();
    relations.consolidated.dedup_by(|a, b| a.celex == b.celex);
    relations.amending.sort();
    relations.amending.dedup_by(|a, b| a.celex == b.celex);
    Ok(relations)
}

/// `2024-07-12`, `2024-07-12T00:00:00` or `2024-07-12+02:00` → `2024-07-12`.
pub(crate) fn iso_date(raw: &str) -> Option<String> {
    let date = raw.get(..10)?;
    chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d")
        .ok()
        .map(|d| d.format("%Y-%m-%d").to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests() {
        let resource = Url::parse("http://127.0.0.1:9/resource/celex/32024R1689").unwrap();
        assert_eq!(
            sparql_endpoint(&resource).as_str(),
            "http://127.0.0.1:9/webapi/rdf/sparql"
        );
        assert_eq!(
            resource_url(&resource, "02024R1689-20270101").as_str(),
            "http://127.0.0.1:9/resource/celex/02024R1689-20270101"
        );
        let request = relations_request(&sparql_endpoint(&resource), "32024R1689", "ENG");
        let query: String = request
            .query_pairs()
            .find(|(k, _)| k == "query")
            .unwrap()
            .1
            .into_owned();
        assert!(query.contains("\"32024R1689\"^^xsd:string"));
        assert!(query.contains("/language/ENG>"));
        spargebra::SparqlParser::new()
            .parse_query(&query)
            .expect("the relations query parses");
        assert_eq!(language_code(Some("fr-BE")), "FRA");
        assert_eq!(language_code(None), "ENG");
    }

    #[test]
    fn results_are_read_deduplicated_and_checked() {
        let body = br#"{"head":{"vars":["relation","celex","date","title","author"]},
          "results":{"bindings":[
            {"relation":{"type":"literal","value":"consolidated"},"celex":{"type":"typed-literal","datatype":"http://www.w3.org/2001/XMLSchema#string","value":"02024R1689-20240712"},"date":{"type":"typed-literal","datatype":"http://www.w3.org/2001/XMLSchema#date","value":"2024-07-12"}},
            {"relation":{"type":"literal","value":"consolidated"},"celex":{"type":"literal","value":"02024R1689-20270101"}},
            {"relation":{"type":"literal","value":"consolidated"},"celex":{"type":"literal","value":"02024R1689-20270101"}},
            {"relation":{"type":"literal","value":"consolidated"},"celex":{"type":"literal","value":"32024R1689"}},
            {"relation":{"type":"literal","value":"amending"},"celex":{"type":"literal","value":"32026R0123"},"date":{"type":"literal","value":"2026-07-20"},"title":{"type":"literal","xml:lang":"en","value":"Regulation (EU) 2026/123 amending Regulation (EU) 2024/1689"},"author":{"type":"uri","value":"http://publications.europa.eu/resource/authority/corporate-body/EP"}},
            {"relation":{"type":"literal","value":"amending"},"celex":{"type":"literal","value":"not-a-celex"}}
          ]}}"#;
        let relations = parse_relations(body).unwrap();
        assert_eq!(relations.consolidated.len(), 2, "{relations:?}");
        assert_eq!(
            relations.latest_consolidated().unwrap().celex,
            "02024R1689-20270101"
        );
        assert_eq!(
            relations.consolidated[0].date.as_deref(),
            Some("2024-07-12")
        );
        assert_eq!(relations.amending.len(), 1);
        assert_eq!(relations.amending[0].date.as_deref(), Some("2026-07-20"));
        assert!(parse_relations(b"{\"head\":{},\"boolean\":true}").is_err());
        // Keys after the bindings (JSON objects are unordered).
        let reordered = br#"{"results":{"bindings":[{"relation":{"type":"literal","value":"amending"},"celex":{"type":"literal","value":"32026R0123"}}],"distinct":false},"head":{"vars":["relation","celex"]}}"#;
        assert_eq!(parse_relations(reordered).unwrap().amending.len(), 1);
        assert!(parse_relations(b"<html>").is_err());
        assert!(
            parse_relations(b"{\"head\":{\"vars\":[]},\"results\":{\"bindings\":[]}}")
                .unwrap()
                .consolidated
                .is_empty()
        );
    }
}
