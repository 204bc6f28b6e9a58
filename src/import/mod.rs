//! Imports mappings from an OSCAL control-mapping document ([`oscal`]) or an SSSOM/TSV file
//! ([`sssom`]) into their own named graph, `…/graph/import/<name>`.
//!
//! Every row is validated before anything is written: both elements must exist in the
//! catalogue (a provision, control, requirement or instrument), the relationship must be one we
//! store (see `crate::mapping::vocab`), confidence a number in 0–1, strength an integer in 1–10,
//! a date `YYYY-MM-DD`. The [`ImportReport`] lists every rejected row with its field and reason.
//! When any row is rejected nothing is written, unless `partial` is asked for; the accepted
//! rows are then written. Everything is one transaction (`Graph::write`) that replaces the
//! import graph, so importing a file again under the same name replaces the earlier import.
//!
//! Imported mappings carry `cw:method` (from the file, else `cw:human`), the file's author and
//! date, `cw:reviewStatus cw:draft` unless asked otherwise, `cw:evidenceLevel cw:Unverified`,
//! `cw:origin cw:Imported` and `prov:wasDerivedFrom` the import record (a `cw:MappingImport`)
//! and any provenance the file names. They feed derivation: the caller refreshes it.

pub mod oscal;
pub mod sssom;

use crate::graph::codes::Codes;
use crate::graph::relationship::Relationship;
use crate::graph::{Graph, GraphError, names};
use crate::mapping::{Method, Rationale};
use oxigraph::model::vocab::{rdf, xsd};
use oxigraph::model::{GraphNameRef, Literal, NamedNode, Quad, Term};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::HashMap;

/// Largest file accepted.
pub const MAX_BYTES: usize = 32 * 1024 * 1024;
/// Most rows (maps, TSV lines) accepted in one file.
pub const MAX_ROWS: usize = 200_000;
/// Longest cell accepted.
pub const MAX_FIELD: usize = 8 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file as a whole could not be read (not the format, too large…).
    #[error("{0}")]
    Malformed(String),
    #[error("invalid import name {0:?}: use 1–64 lowercase letters, digits and hyphens")]
    Name(String),
    #[error("{} of {} rows rejected; nothing was written (use partial to write the rest)", .0.rejected.len(), .0.rows)]
    Rejected(Box<ImportReport>),
    #[error(transparent)]
    Graph(#[from] GraphError),
}

impl ImportError {
    /// True when the input was at fault.
    pub fn is_client_error(&self) -> bool {
        !matches!(self, Self::Graph(_))
    }
}

/// The file formats we read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Oscal,
    Sssom,
}

impl Format {
    pub fn parse(name: &str) -> Option<Self> {
        match name.to_ascii_lowercase().as_str() {
            "oscal" | "json" => Some(Self::Oscal),
            "sssom" | "tsv" => Some(Self::Sssom),
            _ => None,
        }
    }

    /// Guesses from the content: an OSCAL document is a JSON object.
    pub fn sniff(bytes: &[u8]) -> Self {
        match bytes.iter().find(|b| !b.is_ascii_whitespace()) {
            Some(b'{') => Self::Oscal,
            _ => Self::Sssom,
        }
    }
}

/// What to do with a file.
#[derive(Debug, Clone)]
pub struct Options {
    /// Names the import graph (`…/graph/import/<name>`) and the import record.
    pub name: String,
    pub format: Format,
    /// Write the accepted rows even when others were rejected.
    pub partial: bool,
    /// `cw:reviewStatus` of the imported mappings (local name; default `draft`).
    pub review_status: String,
    /// Where the file came from (a file name or URL), for the import record.
    pub origin: Option<String>,
}

/// One mapping as a file states it, before validation.
#[derive(Debug, Clone)]
pub struct Row {
    /// Where the row is: `line 12`, `mappings[0].maps[3]`.
    pub locator: String,
    /// Elements: resolved IRIs where the format could resolve them, else as written.
    pub subject: Result<String, Rejection>,
    pub object: Result<String, Rejection>,
    pub relationship: Result<Relationship, Rejection>,
    pub method: Result<Option<Method>, Rejection>,
    pub rationale: Option<Rationale>,
    pub confidence: Option<String>,
    pub strength: Option<String>,
    pub author_ids: Vec<String>,
    pub author_labels: Vec<String>,
    pub date: Option<String>,
    pub comment: Option<String>,
    /// Provenance the file names (a published crosswalk, a mapping set).
    pub derived_from: Vec<String>,
}

/// A rejected row: where, which field, what it said and why it was refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rejection {
    #[serde(rename = "row")]
    pub locator: String,
    pub field: String,
    pub value: String,
    pub reason: String,
}

impl Rejection {
    pub fn new(field: &str, value: &str, reason: impl Into<String>) -> Self {
        Self {
            locator: String::new(),
            field: field.into(),
            value: value.chars().take(200).collect(),
            reason: reason.into(),
        }
    }
}

/// What an import did.
#[derive(Debug, Clone, Serialize)]
pub struct ImportReport {
    pub name: String,
    pub format: Format,
    pub graph: String,
    pub rows: usize,
    pub accepted: usize,
    pub rejected: Vec<Rejection>,
    /// False when nothing was written.
    pub written: bool,
    pub revision: Option<u64>,
}

/// Validates the rows of a parsed file and writes the accepted ones. Blocking.
pub fn import(
    graph: &Graph,
    codes: &Codes,
    rows: Vec<Row>,
    options: &Options,
) -> Result<ImportReport, ImportError> {
    check_name(&options.name)?;
    if rows.len() > MAX_ROWS {
        return Err(ImportError::Malformed(format!(
            "{} rows; at most {MAX_ROWS} are imported at once",
            rows.len()
        )));
    }
    let record = NamedNode::new_unchecked(format!("{}import/{}", names::ID, options.name));
    let graph_name = NamedNode::new_unchecked(format!("{}{}", names::IMPORT_GRAPHS, options.name));
    let review = match options.review_status.as_str() {
        s @ ("draft" | "reviewed" | "needsReview" | "rejected") => s,
        other => {
            return Err(ImportError::Malformed(format!(
                "review status {other:?}: use draft, reviewed, needsReview or rejected"
            )));
        }
    };
    let total = rows.len();
    let mut rejected = Vec::new();
    let mut accepted: Vec<Valid> = Vec::new();
    let mut seen: HashMap<(String, String, Relationship), String> = HashMap::new();
    for row in rows {
        match validate(row, codes) {
            Ok(valid) => {
                let key = (
                    valid.subject.clone(),
                    valid.object.clone(),
                    valid.relationship,
                );
                if let Some(first) = seen.get(&key) {
                    rejected.push(Rejection {
                        locator: valid.locator.clone(),
                        ..Rejection::new(
                            "subject_id",
                            &valid.subject,
                            format!("duplicate of {first}: same subject, object and relationship"),
                        )
                    });
                } else {
                    seen.insert(key, valid.locator.clone());
                    accepted.push(valid);
                }
            }
            Err(mut rejections) => rejected.append(&mut rejections),
        }
    }
    let mut report = ImportReport {
        name: options.name.clone(),
        format: options.format,
        graph: graph_name.as_str().to_owned(),
        rows: total,
        accepted: accepted.len(),
        rejected,
        written: false,
        revision: None,
    };
    if !report.rejected.is_empty() && !options.partial {
        report.accepted = 0;
        return Err(ImportError::Rejected(Box::new(report)));
    }
    if accepted.is_empty() {
        return Err(ImportError::Malformed(
            "the file has no mappings to import".into(),
        ));
    }
    let quads = quads(&accepted, &record, &graph_name, options, review);
    let revision = graph.write(|t| {
        t.clear_graph(graph_name.as_ref())?;
        for quad in &quads {
            t.insert(quad);
        }
        Ok::<_, GraphError>(())
    })?;
    report.written = true;
    report.revision = Some(revision);
    Ok(report)
}

/// A row that passed validation.
struct Valid {
    locator: String,
    subject: String,
    object: String,
    relationship: Relationship,
    method: Method,
    rationale: Option<Rationale>,
    confidence: Option<String>,
    strength: Option<i64>,
    author_ids: Vec<NamedNode>,
    author_labels: Vec<String>,
    date: Option<Literal>,
    comment: Option<String>,
    derived_from: Vec<NamedNode>,
}

/// The value of a field check, or None with its rejection recorded.
fn keep<T>(
    result: Result<T, Rejection>,
    locator: &str,
    problems: &mut Vec<Rejection>,
) -> Option<T> {
    match result {
        Ok(value) => Some(value),
        Err(mut rejection) => {
            rejection.locator = locator.to_owned();
            problems.push(rejection);
            None
        }
    }
}

/// Element bases a mapping endpoint may live under.
const ELEMENT_KINDS: [&str; 3] = ["provision", "requirement", "instrument"];

fn validate(row: Row, codes: &Codes) -> Result<Valid, Vec<Rejection>> {
    let locator = row.locator.clone();
    let mut problems = Vec::new();
    macro_rules! take {
        ($result:expr) => {
            keep($result, &locator, &mut problems)
        };
    }
    let subject = take!(row.subject.and_then(|s| element(codes, "subject_id", &s)));
    let object = take!(row.object.and_then(|o| element(codes, "object_id", &o)));
    let relationship = take!(row.relationship);
    let method = take!(row.method);
    let confidence = take!(match row.confidence.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(value) => match value.parse::<f64>() {
            Ok(c) if (0.0..=1.0).contains(&c) => Ok(Some(value.to_owned())),
            _ => Err(Rejection::new(
                "confidence",
                value,
                "confidence must be a number from 0 to 1"
            )),
        },
    });
    let strength = take!(match row.strength.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(value) => match value.parse::<i64>() {
            Ok(s) if (1..=10).contains(&s) => Ok(Some(s)),
            _ => Err(Rejection::new(
                "strength",
                value,
                "strength must be an integer from 1 to 10"
            )),
        },
    });
    let date = take!(match row.date.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(value) => {
            let shaped =
                value.len() == 10 && value.as_bytes()[4] == b'-' && value.as_bytes()[7] == b'-';
            match chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d") {
                Ok(_) if shaped => Ok(Some(Literal::new_typed_literal(value, xsd::DATE))),
                _ => Err(Rejection::new(
                    "mapping_date",
                    value,
                    "a date must be YYYY-MM-DD",
                )),
            }
        }
    });
    let mut iris = |field: &str, values: &[String]| -> Vec<NamedNode> {
        values
            .iter()
            .filter_map(|v| match NamedNode::new(v.as_str()) {
                Ok(n) => Some(n),
                Err(e) => {
                    problems.push(Rejection {
                        locator: locator.clone(),
                        ..Rejection::new(field, v, format!("not an IRI: {e}"))
                    });
                    None
                }
            })
            .collect()
    };
    let author_ids = iris("author_id", &row.author_ids);
    let derived_from = iris("mapping_source", &row.derived_from);
    for (field, value) in [
        ("comment", row.comment.as_deref()),
        ("author_label", Some(row.author_labels.join("|").as_str())),
    ] {
        if let Some(value) = value
            && value.len() > MAX_FIELD
        {
            problems.push(Rejection {
                locator: locator.clone(),
                ..Rejection::new(field, value, format!("longer than {MAX_FIELD} bytes"))
            });
        }
    }
    if let (Some(s), Some(o)) = (&subject, &object)
        && s == o
    {
        problems.push(Rejection {
            locator: locator.clone(),
            ..Rejection::new("object_id", o, "a mapping relates two different elements")
        });
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(Valid {
        locator,
        subject: subject.expect("checked"),
        object: object.expect("checked"),
        relationship: relationship.expect("checked"),
        method: method.expect("checked").unwrap_or(Method::Human),
        rationale: row.rationale,
        confidence: confidence.expect("checked"),
        strength: strength.expect("checked"),
        author_ids,
        author_labels: row.author_labels,
        date: date.expect("checked"),
        comment: row.comment,
        derived_from,
    })
}

/// Checks that `iri` names an element of the catalogue; the rejection names the closest.
fn element(codes: &Codes, field: &str, iri: &str) -> Result<String, Rejection> {
    for kind in ELEMENT_KINDS {
        let base = format!("{}{kind}/", names::ID);
        if iri.starts_with(&base) {
            return codes
                .check_iri(&base, iri)
                .map(|()| iri.to_owned())
                .map_err(|e| {
                    Rejection::new(
                        field,
                        iri,
                        format!("unknown element{}", suggestion(&base, &e.closest)),
                    )
                });
        }
    }
    Err(Rejection::new(
        field,
        iri,
        "unknown element: not a Crosswalk provision, control, requirement or instrument",
    ))
}

fn suggestion(base: &str, closest: &[String]) -> String {
    if closest.is_empty() {
        String::new()
    } else {
        let iris: Vec<String> = closest.iter().map(|c| format!("{base}{c}")).collect();
        format!("; closest known: {}", iris.join(", "))
    }
}

fn check_name(name: &str) -> Result<(), ImportError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.starts_with('-');
    if ok {
        Ok(())
    } else {
        Err(ImportError::Name(name.into()))
    }
}

/// A default import name from a file name: lowercase, other characters as hyphens.
pub fn name_from(file: &str) -> String {
    let stem = std::path::Path::new(file)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut name: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    while name.contains("--") {
        name = name.replace("--", "-");
    }
    let name = name.trim_matches('-');
    let name: String = name.chars().take(64).collect();
    if name.is_empty() {
        "import".into()
    } else {
        name
    }
}

fn quads(
    accepted: &[Valid],
    record: &NamedNode,
    graph_name: &NamedNode,
    options: &Options,
    review: &str,
) -> Vec<Quad> {
    let g = GraphNameRef::NamedNode(graph_name.as_ref());
    let cw = names::cw;
    let prov = |local: &str| NamedNode::new_unchecked(format!("http://www.w3.org/ns/prov#{local}"));
    let dcterms =
        |local: &str| NamedNode::new_unchecked(format!("http://purl.org/dc/terms/{local}"));
    let mut out = Vec::new();
    let mut add = |s: &NamedNode, p: NamedNode, o: Term| {
        out.push(Quad::new(s.clone(), p, o, g.into_owned()));
    };
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    add(record, rdf::TYPE.into(), cw("MappingImport").into());
    add(record, rdf::TYPE.into(), prov("Entity").into());
    add(
        record,
        dcterms("title"),
        Literal::new_simple_literal(format!("Mapping import {}", options.name)).into(),
    );
    add(
        record,
        dcterms("format"),
        Literal::new_simple_literal(match options.format {
            Format::Oscal => "OSCAL control mapping (JSON)",
            Format::Sssom => "SSSOM/TSV",
        })
        .into(),
    );
    if let Some(origin) = &options.origin {
        add(
            record,
            dcterms("source"),
            Literal::new_simple_literal(origin).into(),
        );
    }
    add(
        record,
        prov("generatedAtTime"),
        Literal::new_typed_literal(now, xsd::DATE_TIME).into(),
    );
    for m in accepted {
        let digest = Sha256::digest(
            format!("{}\n{}\n{}", m.subject, m.object, m.relationship.local()).as_bytes(),
        );
        let hex: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
        let s = NamedNode::new_unchecked(format!(
            "{}mapping/import/{}/{hex}",
            names::ID,
            options.name
        ));
        add(&s, rdf::TYPE.into(), cw("Mapping").into());
        add(
            &s,
            cw("subject"),
            NamedNode::new_unchecked(&m.subject).into(),
        );
        add(&s, cw("object"), NamedNode::new_unchecked(&m.object).into());
        add(
            &s,
            cw("relationship"),
            NamedNode::new_unchecked(m.relationship.iri()).into(),
        );
        add(
            &s,
            cw("method"),
            NamedNode::new_unchecked(m.method.iri()).into(),
        );
        if let Some(r) = m.rationale {
            add(
                &s,
                cw("rationale"),
                NamedNode::new_unchecked(r.iri()).into(),
            );
        }
        add(&s, cw("reviewStatus"), cw(review).into());
        add(&s, cw("evidenceLevel"), cw("Unverified").into());
        add(&s, cw("origin"), cw("Imported").into());
        add(&s, prov("wasDerivedFrom"), record.clone().into());
        for d in &m.derived_from {
            add(&s, prov("wasDerivedFrom"), d.clone().into());
        }
        if let Some(c) = &m.confidence {
            add(
                &s,
                cw("confidence"),
                Literal::new_typed_literal(c, xsd::DECIMAL).into(),
            );
        }
        if let Some(st) = m.strength {
            add(&s, cw("strength"), Literal::from(st).into());
        }
        for a in &m.author_ids {
            add(&s, dcterms("creator"), a.clone().into());
        }
        for a in &m.author_labels {
            add(
                &s,
                dcterms("creator"),
                Literal::new_simple_literal(a).into(),
            );
        }
        if let Some(d) = &m.date {
            add(&s, dcterms("date"), d.clone().into());
        }
        if let Some(c) = &m.comment {
            add(
                &s,
                NamedNode::new_unchecked("http://www.w3.org/2000/01/rdf-schema#comment"),
                Literal::new_simple_literal(c).into(),
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn import_names_from_file_names() {
        assert_eq!(
            super::name_from("/tmp/NIST RMF → ISO.sssom.tsv"),
            "nist-rmf-iso-sssom"
        );
        assert_eq!(super::name_from("___"), "import");
        assert!(super::check_name("nist-rmf").is_ok());
        assert!(super::check_name("../etc").is_err());
        assert!(super::check_name("").is_err());
    }
}
