//! Result formats and content negotiation (Accept with q-values, or a `format` parameter as
//! SPARQLWrapper and several endpoints use it).

use oxigraph::io::RdfFormat;
use oxigraph::sparql::results::QueryResultsFormat;

/// What a query produces: solutions, a boolean, or triples.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueryForm {
    Select,
    Ask,
    Graph,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    Results(QueryResultsFormat),
    Rdf(RdfFormat),
}

impl OutputFormat {
    pub fn media_type(self) -> &'static str {
        match self {
            // Charset stated for the text formats so browsers and clients decode UTF-8.
            Self::Results(QueryResultsFormat::Csv) => "text/csv; charset=utf-8",
            Self::Results(QueryResultsFormat::Tsv) => "text/tab-separated-values; charset=utf-8",
            Self::Results(f) => f.media_type(),
            Self::Rdf(f) => f.media_type(),
        }
    }
}

impl OutputFormat {
    /// The format's position among the formats served, a stable code for the worker protocol.
    pub(crate) fn code(self) -> Option<u8> {
        let position = match self {
            Self::Results(f) => RESULT_FORMATS.iter().position(|x| *x == f),
            Self::Rdf(f) => RDF_FORMATS
                .iter()
                .position(|x| x.media_type() == f.media_type())
                .map(|i| i + RESULT_FORMATS.len()),
        };
        position.and_then(|i| u8::try_from(i).ok())
    }

    /// The format with that [`OutputFormat::code`].
    pub(crate) fn from_code(code: u8) -> Option<Self> {
        let i = usize::from(code);
        RESULT_FORMATS
            .get(i)
            .map(|f| Self::Results(*f))
            .or_else(|| {
                RDF_FORMATS
                    .get(i.checked_sub(RESULT_FORMATS.len())?)
                    .map(|f| Self::Rdf(*f))
            })
    }
}

const RESULT_FORMATS: [QueryResultsFormat; 4] = [
    QueryResultsFormat::Json,
    QueryResultsFormat::Xml,
    QueryResultsFormat::Csv,
    QueryResultsFormat::Tsv,
];
const RDF_FORMATS: [RdfFormat; 6] = [
    RdfFormat::Turtle,
    RdfFormat::NTriples,
    RdfFormat::RdfXml,
    RdfFormat::JsonLd {
        profile: oxigraph::io::JsonLdProfileSet::empty(),
    },
    RdfFormat::NQuads,
    RdfFormat::TriG,
];

/// Media types each format answers to, the canonical one first.
fn aliases(format: OutputFormat) -> &'static [&'static str] {
    match format {
        OutputFormat::Results(QueryResultsFormat::Json) => &[
            "application/sparql-results+json",
            "application/json",
            "text/json",
            "application/javascript",
            "text/javascript",
        ],
        OutputFormat::Results(QueryResultsFormat::Xml) => &[
            "application/sparql-results+xml",
            "application/xml",
            "text/xml",
        ],
        OutputFormat::Results(QueryResultsFormat::Csv) => &["text/csv"],
        OutputFormat::Results(QueryResultsFormat::Tsv) => &["text/tab-separated-values"],
        // Turtle is valid N3, so clients asking for N3 (SPARQLWrapper's N3 mode) get Turtle.
        OutputFormat::Rdf(RdfFormat::Turtle) => &[
            "text/turtle",
            "application/x-turtle",
            "application/turtle",
            "text/n3",
            "text/rdf+n3",
            "application/n3",
        ],
        OutputFormat::Rdf(RdfFormat::NTriples) => &["application/n-triples", "text/plain"],
        OutputFormat::Rdf(RdfFormat::RdfXml) => {
            &["application/rdf+xml", "application/xml", "text/xml"]
        }
        OutputFormat::Rdf(RdfFormat::JsonLd { .. }) => &["application/ld+json", "application/json"],
        OutputFormat::Rdf(RdfFormat::NQuads) => &["application/n-quads", "text/x-nquads"],
        OutputFormat::Rdf(RdfFormat::TriG) => &["application/trig", "application/x-trig"],
        _ => &[],
    }
}

fn candidates(form: QueryForm) -> Vec<OutputFormat> {
    match form {
        QueryForm::Select | QueryForm::Ask => RESULT_FORMATS
            .iter()
            .copied()
            .map(OutputFormat::Results)
            .collect(),
        QueryForm::Graph => RDF_FORMATS.iter().copied().map(OutputFormat::Rdf).collect(),
    }
}

/// Why no format could be chosen; carries what would have been acceptable.
#[derive(Debug, thiserror::Error)]
#[error(
    "none of the requested media types ({requested}) can represent this result; available: {available}"
)]
pub struct NotAcceptable {
    pub requested: String,
    pub available: String,
}

/// Chooses the output format. A `format` parameter (short name or media type) wins over Accept.
pub fn negotiate(
    form: QueryForm,
    accept: Option<&str>,
    format_param: Option<&str>,
) -> Result<OutputFormat, NotAcceptable> {
    let candidates = candidates(form);
    let not_acceptable = |requested: &str| NotAcceptable {
        requested: requested.to_owned(),
        available: candidates
            .iter()
            .map(|c| aliases(*c)[0])
            .collect::<Vec<_>>()
            .join(", "),
    };
    if let Some(param) = format_param.map(str::trim).filter(|p| !p.is_empty()) {
        return by_name(form, param)
            .or_else(|| pick(&candidates, &parse_accept(param)))
            .ok_or_else(|| not_acceptable(param));
    }
    let accept = accept
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .unwrap_or("*/*");
    pick(&candidates, &parse_accept(accept)).ok_or_else(|| not_acceptable(accept))
}

/// Short names used by `format=`/`output=` parameters and the CLI `--format`.
pub fn by_name(form: QueryForm, name: &str) -> Option<OutputFormat> {
    let results = matches!(form, QueryForm::Select | QueryForm::Ask);
    Some(match (name.to_ascii_lowercase().as_str(), results) {
        ("json", true) => OutputFormat::Results(QueryResultsFormat::Json),
        ("xml", true) => OutputFormat::Results(QueryResultsFormat::Xml),
        ("csv", true) => OutputFormat::Results(QueryResultsFormat::Csv),
        ("tsv", true) => OutputFormat::Results(QueryResultsFormat::Tsv),
        ("turtle" | "ttl" | "n3", false) => OutputFormat::Rdf(RdfFormat::Turtle),
        ("ntriples" | "nt" | "n-triples", false) => OutputFormat::Rdf(RdfFormat::NTriples),
        ("rdfxml" | "rdf" | "xml" | "rdf/xml", false) => OutputFormat::Rdf(RdfFormat::RdfXml),
        ("jsonld" | "json-ld" | "json", false) => OutputFormat::Rdf(RDF_FORMATS[3]),
        ("nquads" | "nq" | "n-quads", false) => OutputFormat::Rdf(RdfFormat::NQuads),
        ("trig", false) => OutputFormat::Rdf(RdfFormat::TriG),
        _ => return None,
    })
}

struct Range {
    kind: String,
    q: f32,
    specificity: u8,
    position: usize,
}

fn parse_accept(header: &str) -> Vec<Range> {
    let mut ranges: Vec<Range> = header
        .split(',')
        .enumerate()
        .filter_map(|(position, item)| {
            let mut parts = item.split(';');
            let kind = parts.next()?.trim().to_ascii_lowercase();
            if kind.is_empty() {
                return None;
            }
            let q = parts
                .filter_map(|p| p.trim().strip_prefix("q="))
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0)
                .clamp(0.0, 1.0);
            let specificity = match kind.as_str() {
                "*/*" | "*" => 0,
                k if k.ends_with("/*") => 1,
                _ => 2,
            };
            Some(Range {
                kind,
                q,
                specificity,
                position,
            })
        })
        .collect();
    ranges.sort_by(|a, b| {
        b.q.total_cmp(&a.q)
            .then(b.specificity.cmp(&a.specificity))
            .then(a.position.cmp(&b.position))
    });
    ranges
}

fn matches(range: &Range, format: OutputFormat) -> bool {
    match range.specificity {
        0 => true,
        // A wildcard matches a format by its canonical type only: `text/*` means CSV or TSV
        // for solutions (not JSON through its `text/json` alias) and Turtle for graphs.
        1 => {
            let prefix = &range.kind[..range.kind.len() - 1];
            aliases(format)[0].starts_with(prefix)
        }
        _ => aliases(format).contains(&range.kind.as_str()),
    }
}

/// The most preferred candidate with q > 0 that no more specific range excludes with q = 0.
fn pick(candidates: &[OutputFormat], ranges: &[Range]) -> Option<OutputFormat> {
    let excluded = |format: OutputFormat| {
        ranges
            .iter()
            .any(|r| r.q == 0.0 && r.specificity == 2 && matches(r, format))
    };
    ranges.iter().filter(|r| r.q > 0.0).find_map(|range| {
        candidates
            .iter()
            .copied()
            .find(|c| matches(range, *c) && !excluded(*c))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn q_values_and_wildcards() {
        let chosen = negotiate(
            QueryForm::Select,
            Some("text/csv;q=0.5, application/sparql-results+xml"),
            None,
        )
        .unwrap();
        assert_eq!(chosen, OutputFormat::Results(QueryResultsFormat::Xml));
        let chosen = negotiate(QueryForm::Graph, Some("text/*;q=0.9, */*;q=0.1"), None).unwrap();
        assert_eq!(chosen, OutputFormat::Rdf(RdfFormat::Turtle));
        let chosen = negotiate(QueryForm::Select, None, None).unwrap();
        assert_eq!(chosen, OutputFormat::Results(QueryResultsFormat::Json));
        // An explicit q=0 excludes a format a wildcard would otherwise pick.
        let chosen = negotiate(
            QueryForm::Select,
            Some("*/*, application/sparql-results+json;q=0"),
            None,
        )
        .unwrap();
        assert_eq!(chosen, OutputFormat::Results(QueryResultsFormat::Xml));
    }

    #[test]
    fn text_wildcard_and_n3() {
        // SELECT with Accept: text/* is tabular text, not JSON through an alias.
        assert_eq!(
            negotiate(QueryForm::Select, Some("text/*"), None).unwrap(),
            OutputFormat::Results(QueryResultsFormat::Csv)
        );
        // SPARQLWrapper's N3 mode: format=n3 or Accept: text/rdf+n3 → Turtle (valid N3).
        for accept in ["text/rdf+n3", "text/n3", "application/n3;q=0.9"] {
            assert_eq!(
                negotiate(QueryForm::Graph, Some(accept), None).unwrap(),
                OutputFormat::Rdf(RdfFormat::Turtle),
                "{accept}"
            );
        }
        assert_eq!(
            negotiate(
                QueryForm::Graph,
                Some("application/sparql-results+xml"),
                Some("n3")
            )
            .unwrap(),
            OutputFormat::Rdf(RdfFormat::Turtle)
        );
        assert!(negotiate(QueryForm::Select, None, Some("n3")).is_err());
    }

    #[test]
    fn not_acceptable_and_format_parameter() {
        assert!(negotiate(QueryForm::Select, Some("image/png"), None).is_err());
        assert!(negotiate(QueryForm::Graph, Some("text/csv"), None).is_err());
        // SPARQLWrapper sends format=json beside its Accept header.
        assert_eq!(
            negotiate(QueryForm::Ask, Some("application/rdf+xml"), Some("json")).unwrap(),
            OutputFormat::Results(QueryResultsFormat::Json)
        );
        assert_eq!(
            negotiate(QueryForm::Graph, None, Some("xml")).unwrap(),
            OutputFormat::Rdf(RdfFormat::RdfXml)
        );
    }

    #[test]
    fn every_served_format_has_a_code_that_comes_back() {
        for format in RESULT_FORMATS
            .into_iter()
            .map(OutputFormat::Results)
            .chain(RDF_FORMATS.into_iter().map(OutputFormat::Rdf))
        {
            let code = format.code().unwrap();
            assert_eq!(OutputFormat::from_code(code), Some(format));
        }
        assert_eq!(OutputFormat::from_code(200), None);
    }
}
