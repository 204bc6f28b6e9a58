//! Reads SSSOM/TSV: the `#`-prefixed YAML metadata block (its `curie_map` expands the CURIEs,
//! `mapping_set_id`, `creator_id`, `mapping_date` and `mapping_justification` propagate to rows
//! that lack them), then a header line and one mapping per line. Quoted cells (as pandas and
//! sssom-py write them) are read as CSV quoting.
//!
//! Columns read: `subject_id`, `predicate_id`, `predicate_modifier`, `object_id`,
//! `mapping_justification`, `confidence`, `author_id`, `author_label`, `mapping_date`,
//! `comment`, `mapping_source`, and our extension slots `strength` and `matching_rationale`.
//! Others (labels, `record_id`, `see_also`, …) are accepted and ignored.

use super::{ImportError, MAX_BYTES, MAX_FIELD, MAX_ROWS, Rejection, Row};
use crate::export::sssom::standard_prefixes;
use crate::graph::codes::Codes;
use crate::graph::names;
use crate::graph::relationship::Relationship;
use crate::mapping::{Method, Rationale};
use std::collections::{BTreeMap, HashMap};
use yaml_rust2::{Yaml, YamlLoader};

/// The metadata block's contents we use.
#[derive(Debug, Default)]
struct Metadata {
    prefixes: BTreeMap<String, String>,
    mapping_set_id: Option<String>,
    /// Propagatable slots given once for the whole set.
    defaults: HashMap<String, String>,
}

/// Parses an SSSOM/TSV file into rows (validated later by `super::import`). Besides the file's
/// `curie_map` and the standard prefixes, every framework code is a prefix for its provisions
/// (`us-nist-ai-rmf:GOVERN-1.1`), as our export writes them.
pub fn parse(bytes: &[u8], codes: &Codes) -> Result<Vec<Row>, ImportError> {
    if bytes.len() > MAX_BYTES {
        return Err(ImportError::Malformed(format!(
            "the file is {} bytes; at most {MAX_BYTES} are imported",
            bytes.len()
        )));
    }
    let text = std::str::from_utf8(bytes)
        .map_err(|e| ImportError::Malformed(format!("SSSOM/TSV must be UTF-8: {e}")))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut yaml = String::new();
    let mut body_start = 0;
    let mut metadata_lines = 0;
    for line in text.split_inclusive('\n') {
        match line.strip_prefix('#') {
            Some(rest) => {
                yaml.push_str(rest);
                body_start += line.len();
                metadata_lines += 1;
            }
            None => break,
        }
    }
    let mut metadata = metadata(&yaml)?;
    let instruments = format!("{}instrument/", names::ID);
    for code in codes.under(&instruments) {
        metadata
            .prefixes
            .entry(code.to_owned())
            .or_insert_with(|| format!("{}provision/{code}/", names::ID));
    }
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b'\t')
        .flexible(true)
        .from_reader(&text.as_bytes()[body_start..]);
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| ImportError::Malformed(format!("cannot read the header line: {e}")))?
        .iter()
        .map(|h| h.trim().to_owned())
        .collect();
    for required in ["subject_id", "predicate_id", "object_id"] {
        if !headers.iter().any(|h| h == required) {
            return Err(ImportError::Malformed(format!(
                "the header line has no {required} column (columns: {})",
                headers.join(", ")
            )));
        }
    }
    let column = |name: &str| headers.iter().position(|h| h == name);
    let mut rows = Vec::new();
    for (i, record) in reader.records().enumerate() {
        if rows.len() >= MAX_ROWS {
            return Err(ImportError::Malformed(format!(
                "more than {MAX_ROWS} rows; import the file in parts"
            )));
        }
        // 1-based file line: the metadata lines, the header, then this record.
        let line = metadata_lines + 2 + i;
        let locator = format!("line {line}");
        let record = match record {
            Ok(record) => record,
            Err(e) => {
                rows.push(broken(locator, format!("unreadable line: {e}")));
                continue;
            }
        };
        if record.iter().all(|cell| cell.trim().is_empty()) {
            continue;
        }
        if record.len() != headers.len() {
            rows.push(broken(
                locator,
                format!(
                    "{} cells where the header has {}",
                    record.len(),
                    headers.len()
                ),
            ));
            continue;
        }
        let cell = |name: &str| -> Option<String> {
            column(name)
                .and_then(|c| record.get(c))
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
                .or_else(|| metadata.defaults.get(name).cloned())
        };
        if let Some(long) = record.iter().find(|c| c.len() > MAX_FIELD) {
            rows.push(broken(
                locator,
                format!("a cell is {} bytes; at most {MAX_FIELD}", long.len()),
            ));
            continue;
        }
        let expand = |field: &str, value: Option<String>| -> Result<String, Rejection> {
            let value = value.ok_or_else(|| Rejection::new(field, "", "missing"))?;
            expand(&metadata.prefixes, &value).ok_or_else(|| {
                Rejection::new(field, &value, "unknown CURIE prefix (add it to curie_map)")
            })
        };
        let predicate = cell("predicate_id");
        let negated = cell("predicate_modifier");
        let relationship = match (expand("predicate_id", predicate.clone()), negated.as_deref()) {
            (Err(e), _) => Err(e),
            (Ok(_), Some(m)) if m != "Not" => Err(Rejection::new(
                "predicate_modifier",
                m,
                "the only predicate modifier is Not",
            )),
            (Ok(iri), modifier) => Relationship::from_sssom(&iri, modifier == Some("Not"))
                .ok_or_else(|| {
                    Rejection::new(
                        "predicate_id",
                        predicate.as_deref().unwrap_or(""),
                        "unknown relationship: use skos:exactMatch, broadMatch, narrowMatch, closeMatch or relatedMatch (predicate_modifier Not for not related), or cw:supports, cw:isSupportedBy, cw:contrary",
                    )
                }),
        };
        let method = match cell("mapping_justification") {
            None => Err(Rejection::new(
                "mapping_justification",
                "",
                "missing (SSSOM requires one)",
            )),
            Some(j) => Method::from_sssom_justification(&j)
                .map(Some)
                .ok_or_else(|| {
                    Rejection::new(
                        "mapping_justification",
                        &j,
                        "not a semapv mapping justification",
                    )
                }),
        };
        let split = |value: Option<String>| -> Vec<String> {
            value
                .map(|v| {
                    v.split('|')
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default()
        };
        let mut derived_from = Vec::new();
        for source in split(cell("mapping_source"))
            .into_iter()
            .chain(metadata.mapping_set_id.clone())
        {
            derived_from.push(expand_or_keep(&metadata.prefixes, &source));
        }
        derived_from.dedup();
        rows.push(Row {
            locator,
            subject: expand("subject_id", cell("subject_id")),
            object: expand("object_id", cell("object_id")),
            relationship,
            method,
            rationale: cell("matching_rationale")
                .map(|r| r.trim_start_matches("cw:").to_owned())
                .and_then(|r| Rationale::from_token(&r)),
            confidence: cell("confidence"),
            strength: cell("strength"),
            author_ids: split(cell("author_id"))
                .iter()
                .map(|a| expand_or_keep(&metadata.prefixes, a))
                .collect(),
            author_labels: split(cell("author_label")),
            date: cell("mapping_date"),
            comment: cell("comment"),
            derived_from,
        });
    }
    Ok(rows)
}

/// A row that could not be read at all.
fn broken(locator: String, reason: String) -> Row {
    let rejection = Rejection::new("row", "", reason);
    Row {
        locator,
        subject: Err(rejection),
        object: Ok(String::new()),
        relationship: Ok(Relationship::Related),
        method: Ok(None),
        rationale: None,
        confidence: None,
        strength: None,
        author_ids: Vec::new(),
        author_labels: Vec::new(),
        date: None,
        comment: None,
        derived_from: Vec::new(),
    }
}

fn metadata(yaml: &str) -> Result<Metadata, ImportError> {
    let mut metadata = Metadata {
        prefixes: standard_prefixes().into_iter().collect(),
        ..Metadata::default()
    };
    if yaml.trim().is_empty() {
        return Ok(metadata);
    }
    let documents = YamlLoader::load_from_str(yaml)
        .map_err(|e| ImportError::Malformed(format!("the metadata block is not YAML: {e}")))?;
    let Some(Yaml::Hash(map)) = documents.into_iter().next() else {
        return Ok(metadata);
    };
    for (key, value) in map {
        let Some(key) = key.as_str() else { continue };
        match (key, value) {
            ("curie_map", Yaml::Hash(prefixes)) => {
                for (prefix, ns) in prefixes {
                    if let (Some(prefix), Some(ns)) = (prefix.as_str(), ns.as_str()) {
                        metadata.prefixes.insert(prefix.to_owned(), ns.to_owned());
                    }
                }
            }
            ("mapping_set_id", Yaml::String(id)) => metadata.mapping_set_id = Some(id),
            // Propagatable slots given for the whole set apply to every row without them.
            (
                slot @ ("mapping_justification"
                | "mapping_date"
                | "author_label"
                | "comment"
                | "confidence"),
                Yaml::String(value),
            ) => {
                metadata.defaults.insert(slot.to_owned(), value);
            }
            (slot @ ("creator_id" | "author_id"), Yaml::Array(values)) => {
                let joined: Vec<String> = values
                    .iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect();
                metadata.defaults.insert(
                    if slot == "creator_id" {
                        "author_id"
                    } else {
                        slot
                    }
                    .to_owned(),
                    joined.join("|"),
                );
            }
            _ => {}
        }
    }
    Ok(metadata)
}

/// Expands `prefix:local` with the prefix map; a full IRI (`https://…`, `<…>`) stays.
fn expand(prefixes: &BTreeMap<String, String>, value: &str) -> Option<String> {
    let value = value.trim();
    if let Some(inner) = value.strip_prefix('<').and_then(|v| v.strip_suffix('>')) {
        return Some(inner.to_owned());
    }
    if value.starts_with("http://") || value.starts_with("https://") || value.starts_with("urn:") {
        return Some(value.to_owned());
    }
    let (prefix, local) = value.split_once(':')?;
    prefixes.get(prefix).map(|ns| format!("{ns}{local}"))
}

fn expand_or_keep(prefixes: &BTreeMap<String, String>, value: &str) -> String {
    expand(prefixes, value).unwrap_or_else(|| value.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_prefixes_propagation_and_quoted_cells() {
        let codes = Codes::default();
        let file = "#curie_map:\n#  ex: https://w3id.org/crosswalk/id/provision/fw/\n#mapping_set_id: https://example.org/set\n#mapping_justification: semapv:ManualMappingCuration\n#creator_id:\n#  - orcid:0000-0002-1825-0097\nsubject_id\tpredicate_id\tpredicate_modifier\tobject_id\tcomment\nex:a\tskos:relatedMatch\tNot\tex:b\t\"a comment with a \"\"quote\"\" and\ta tab\"\nex:a\tskos:exactMatch\tSometimes\tex:c\t\n";
        let rows = parse(file.as_bytes(), &codes).unwrap();
        assert_eq!(rows.len(), 2);
        let first = &rows[0];
        assert_eq!(first.locator, "line 8");
        assert_eq!(
            first.subject.as_deref().unwrap(),
            "https://w3id.org/crosswalk/id/provision/fw/a"
        );
        assert_eq!(
            first.relationship.as_ref().unwrap(),
            &Relationship::NotRelated
        );
        assert_eq!(
            first.method.as_ref().unwrap(),
            &Some(Method::Human),
            "set-level justification"
        );
        assert_eq!(first.author_ids, ["https://orcid.org/0000-0002-1825-0097"]);
        assert_eq!(
            first.comment.as_deref(),
            Some("a comment with a \"quote\" and\ta tab")
        );
        assert_eq!(first.derived_from, ["https://example.org/set"]);
        let second = rows[1].relationship.as_ref().unwrap_err();
        assert_eq!(second.field, "predicate_modifier");
        assert!(matches!(
            parse(b"subject_id\tobject_id\n", &codes),
            Err(ImportError::Malformed(_))
        ));
    }
}
