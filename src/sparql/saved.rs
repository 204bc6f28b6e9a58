//! Saved queries: every `queries/*.rq`, documented by its header comment.
//!
//! ```text
//! # Title on the first line
//! # Description lines…
//! # @param jurisdiction iri! base=https://w3id.org/crosswalk/id/jurisdiction/ Code (SG) or IRI
//! # @param asOf date Only requirements applying on this date
//! ```
//! `TYPE!` marks a required parameter. Values are validated, then bound as typed RDF terms in
//! the query algebra ([`crate::sparql::Prepared::bind`]), never spliced into the text. An absent
//! optional parameter leaves its variable unbound, so queries test it with `!BOUND(?x) || …`.
//! `base=` lets users pass a short code instead of a full IRI.

use crate::graph::codes::{Codes, UnknownCode};
use crate::sparql::GroundTerm;
use oxigraph::model::vocab::xsd;
use oxigraph::model::{Literal, NamedNode, Variable};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum SavedQueryError {
    #[error("no saved query named {0:?}")]
    Unknown(String),
    #[error("cannot read saved queries from {dir}: {source}")]
    Read { dir: String, source: std::io::Error },
    #[error("{file}: malformed @param line {line:?}: {reason}")]
    Header {
        file: String,
        line: String,
        reason: String,
    },
    #[error("missing required parameter {0:?}")]
    Missing(String),
    #[error("unknown parameter {name:?}; this query takes: {known}")]
    UnknownParam { name: String, known: String },
    #[error("parameter {name:?}: {source}")]
    UnknownCode {
        name: String,
        #[source]
        source: UnknownCode,
    },
    #[error("invalid value {value:?} for parameter {name:?} ({kind}): {reason}")]
    Invalid {
        name: String,
        kind: ParamType,
        value: String,
        reason: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ParamType {
    Iri,
    String,
    Date,
    Integer,
    Boolean,
}

impl std::fmt::Display for ParamType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Iri => "iri",
            Self::String => "string",
            Self::Date => "date",
            Self::Integer => "integer",
            Self::Boolean => "boolean",
        })
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Param {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: ParamType,
    pub required: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base: Option<String>,
    pub description: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct SavedQuery {
    pub name: String,
    pub title: String,
    pub description: String,
    pub parameters: Vec<Param>,
    #[serde(skip)]
    pub text: String,
}

/// All saved queries, by name.
#[derive(Debug, Clone, Default)]
pub struct SavedQueries {
    queries: BTreeMap<String, SavedQuery>,
}

impl SavedQueries {
    /// Reads every `*.rq` directly in `dir` (subdirectories such as `checks/` are not saved queries).
    pub fn load(dir: &Path) -> Result<Self, SavedQueryError> {
        let read_err = |source| SavedQueryError::Read {
            dir: dir.display().to_string(),
            source,
        };
        let mut queries = BTreeMap::new();
        for entry in std::fs::read_dir(dir).map_err(read_err)? {
            let path = entry.map_err(read_err)?.path();
            if path.extension().is_none_or(|ext| ext != "rq") || !path.is_file() {
                continue;
            }
            let name = path
                .file_stem()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            let text = std::fs::read_to_string(&path).map_err(read_err)?;
            queries.insert(name.clone(), parse(&name, text)?);
        }
        Ok(Self { queries })
    }

    pub fn list(&self) -> impl Iterator<Item = &SavedQuery> {
        self.queries.values()
    }

    pub fn get(&self, name: &str) -> Result<&SavedQuery, SavedQueryError> {
        self.queries
            .get(name)
            .ok_or_else(|| SavedQueryError::Unknown(name.into()))
    }
}

impl SavedQuery {
    /// A saved query from its text (the header comment documents it), for queries that live
    /// outside the saved-query directory (`queries/export/obligations.rq`).
    pub fn from_text(name: &str, text: &str) -> Result<Self, SavedQueryError> {
        parse(name, text.to_owned())
    }

    /// Turns request parameters into typed bindings. Protocol parameters that are not query
    /// parameters (`format`, `output`) are skipped by the caller before this.
    pub fn bindings<'a>(
        &self,
        values: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Vec<(Variable, GroundTerm)>, SavedQueryError> {
        let mut bindings = Vec::new();
        let mut seen = Vec::new();
        for (name, value) in values {
            let param = self
                .parameters
                .iter()
                .find(|p| p.name == name)
                .ok_or_else(|| SavedQueryError::UnknownParam {
                    name: name.into(),
                    known: self
                        .parameters
                        .iter()
                        .map(|p| p.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                })?;
            if value.is_empty() && !param.required {
                continue;
            }
            bindings.push((Variable::new_unchecked(name), param.term(value)?));
            seen.push(name);
        }
        if let Some(missing) = self
            .parameters
            .iter()
            .find(|p| p.required && !seen.contains(&p.name.as_str()))
        {
            return Err(SavedQueryError::Missing(missing.name.clone()));
        }
        Ok(bindings)
    }

    /// Turns request parameters into typed bindings, refusing codes the graph does not know:
    /// every IRI parameter with a `base=` must name a typed term under that base, so a near
    /// miss (`to=iso-42001`) is a 400 naming the closest codes instead of an empty answer.
    pub fn checked_bindings<'a>(
        &self,
        values: impl IntoIterator<Item = (&'a str, &'a str)>,
        codes: &Codes,
    ) -> Result<Vec<(Variable, GroundTerm)>, SavedQueryError> {
        let bindings = self.bindings(values)?;
        for (variable, term) in &bindings {
            let Some(param) = self.parameters.iter().find(|p| p.name == variable.as_str()) else {
                continue;
            };
            if let (Some(base), GroundTerm::NamedNode(iri)) = (&param.base, term) {
                codes.check_iri(base, iri.as_str()).map_err(|source| {
                    SavedQueryError::UnknownCode {
                        name: param.name.clone(),
                        source,
                    }
                })?;
            }
        }
        Ok(bindings)
    }
}

impl Param {
    fn term(&self, value: &str) -> Result<GroundTerm, SavedQueryError> {
        let invalid = |reason: String| SavedQueryError::Invalid {
            name: self.name.clone(),
            kind: self.kind,
            value: value.into(),
            reason,
        };
        Ok(match self.kind {
            ParamType::Iri => {
                let short = !value.is_empty()
                    && value
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
                let iri = match (&self.base, short) {
                    (Some(base), true) => format!("{base}{value}"),
                    _ => value.to_owned(),
                };
                NamedNode::new(iri)
                    .map_err(|e| invalid(e.to_string()))?
                    .into()
            }
            ParamType::String => Literal::new_simple_literal(value).into(),
            ParamType::Date => {
                // chrono alone also takes "2026-8-2" or "26-08-02", which are no xsd:date.
                let shaped = value.len() == 10
                    && value.bytes().enumerate().all(|(i, b)| match i {
                        4 | 7 => b == b'-',
                        _ => b.is_ascii_digit(),
                    });
                if !shaped {
                    return Err(invalid("expected YYYY-MM-DD".into()));
                }
                chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d")
                    .map_err(|e| invalid(format!("{e}; expected YYYY-MM-DD")))?;
                GroundTerm::Literal(Literal::new_typed_literal(value, xsd::DATE))
            }
            ParamType::Integer => GroundTerm::Literal(Literal::from(
                value.parse::<i64>().map_err(|e| invalid(e.to_string()))?,
            )),
            ParamType::Boolean => match value {
                "true" | "1" => GroundTerm::Literal(Literal::from(true)),
                "false" | "0" => GroundTerm::Literal(Literal::from(false)),
                _ => return Err(invalid("expected true or false".into())),
            },
        })
    }
}

fn parse(name: &str, text: String) -> Result<SavedQuery, SavedQueryError> {
    let mut title = String::new();
    let mut description = Vec::new();
    let mut parameters = Vec::new();
    for line in text.lines() {
        let Some(comment) = line.trim_start().strip_prefix('#') else {
            break;
        };
        let comment = comment.trim();
        if let Some(spec) = comment.strip_prefix("@param") {
            parameters.push(parse_param(name, spec)?);
        } else if title.is_empty() {
            title = comment.to_owned();
        } else if !comment.is_empty() {
            description.push(comment.to_owned());
        }
    }
    Ok(SavedQuery {
        name: name.into(),
        title,
        description: description.join(" "),
        parameters,
        text,
    })
}

fn parse_param(file: &str, spec: &str) -> Result<Param, SavedQueryError> {
    let bad = |reason: &str| SavedQueryError::Header {
        file: file.into(),
        line: spec.trim().into(),
        reason: reason.into(),
    };
    let mut words = spec.split_whitespace();
    let name = words.next().ok_or_else(|| bad("missing name"))?;
    Variable::new(name).map_err(|_| bad("name is not a SPARQL variable name"))?;
    let kind_word = words.next().ok_or_else(|| bad("missing type"))?;
    let required = kind_word.ends_with('!');
    let kind = match kind_word.trim_end_matches('!') {
        "iri" => ParamType::Iri,
        "string" => ParamType::String,
        "date" => ParamType::Date,
        "integer" => ParamType::Integer,
        "boolean" => ParamType::Boolean,
        _ => return Err(bad("type must be iri, string, date, integer or boolean")),
    };
    let mut rest: Vec<&str> = words.collect();
    let base = match rest.first().and_then(|w| w.strip_prefix("base=")) {
        Some(base) => {
            let base = base.to_owned();
            rest.remove(0);
            Some(base)
        }
        None => None,
    };
    Ok(Param {
        name: name.into(),
        kind,
        required,
        base,
        description: rest.join(" "),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query() -> SavedQuery {
        parse(
            "q",
            "# Title\n# Says what.\n# @param jurisdiction iri! base=https://w3id.org/crosswalk/id/jurisdiction/ Code\n# @param asOf date Date\nSELECT ?jurisdiction ?asOf {}\n".into(),
        )
        .unwrap()
    }

    #[test]
    fn header_and_typed_bindings() {
        let q = query();
        assert_eq!(q.title, "Title");
        assert_eq!(q.parameters.len(), 2);
        let b = q
            .bindings([("jurisdiction", "SG"), ("asOf", "2026-08-02")])
            .unwrap();
        assert_eq!(
            b[0].1.to_string(),
            "<https://w3id.org/crosswalk/id/jurisdiction/SG>"
        );
        assert_eq!(
            b[1].1.to_string(),
            "\"2026-08-02\"^^<http://www.w3.org/2001/XMLSchema#date>"
        );
    }

    #[test]
    fn injection_and_bad_values_are_rejected() {
        let q = query();
        for (k, v) in [
            ("jurisdiction", "SG> } ; DROP ALL ; {"),
            ("jurisdiction", "<https://x> . ?s ?p ?o"),
            ("asOf", "2026-08-02\"^^xsd:string } UNION { ?s ?p ?o"),
        ] {
            assert!(q.bindings([(k, v)]).is_err(), "{v} accepted");
        }
        assert!(matches!(
            q.bindings([("asOf", "2026-01-01")]),
            Err(SavedQueryError::Missing(_))
        ));
        assert!(matches!(
            q.bindings([("nope", "x")]),
            Err(SavedQueryError::UnknownParam { .. })
        ));
    }

    /// Shown by fuzz/saved_query's check that bound dates are xsd:date values: chrono's
    /// `%Y-%m-%d` also parses unpadded fields and short years, which were bound as ill-formed
    /// xsd:date literals that compare with nothing.
    #[test]
    fn dates_are_xsd_dates() {
        let q = query();
        for bad in [
            "2026-8-2",
            "26-08-02",
            "+12026-01-01",
            "2026-02-30",
            " 2026-01-01",
        ] {
            assert!(
                matches!(
                    q.bindings([("jurisdiction", "SG"), ("asOf", bad)]),
                    Err(SavedQueryError::Invalid { .. })
                ),
                "{bad} accepted"
            );
        }
        assert!(
            q.bindings([("jurisdiction", "SG"), ("asOf", "2028-02-29")])
                .is_ok()
        );
    }
}
