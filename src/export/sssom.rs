//! SSSOM/TSV (SSSOM 1.1): a `#`-prefixed YAML metadata block (`curie_map`, `mapping_set_id`,
//! titles, sources, our extension slots) followed by one tab-separated row per mapping.
//!
//! Identifiers are CURIEs: one prefix per framework for its provisions (`us-nist-ai-rmf:GOVERN-1.1`),
//! `inst:` for instruments, `mapping:` for our mapping records, `org:` for organisations, and the
//! usual `skos:`, `semapv:`, `cw:`. Relationships use the SKOS predicates SSSOM tools know, ours
//! where SKOS has none (see `crate::mapping::vocab`). Columns SSSOM lacks are declared as
//! `extension_definitions`: `strength` (NIST IR 8477, 1–10), `matching_rationale`,
//! `review_status`, `evidence_level`.

use super::{ExportError, one_line};
use crate::graph::names;
use crate::mapping::{MappingRecord, MappingSet};
use std::collections::BTreeMap;

/// The columns we write, in order.
pub const COLUMNS: [&str; 19] = [
    "record_id",
    "subject_id",
    "subject_label",
    "predicate_id",
    "predicate_modifier",
    "object_id",
    "object_label",
    "mapping_justification",
    "author_id",
    "author_label",
    "mapping_date",
    "confidence",
    "comment",
    "mapping_source",
    "see_also",
    "strength",
    "matching_rationale",
    "review_status",
    "evidence_level",
];

/// Prefixes every export and import knows.
pub fn standard_prefixes() -> Vec<(String, String)> {
    [
        ("cw", names::CW),
        ("skos", "http://www.w3.org/2004/02/skos/core#"),
        ("semapv", "https://w3id.org/semapv/vocab/"),
        ("owl", "http://www.w3.org/2002/07/owl#"),
        ("rdfs", "http://www.w3.org/2000/01/rdf-schema#"),
        ("xsd", "http://www.w3.org/2001/XMLSchema#"),
        ("linkml", "https://w3id.org/linkml/"),
        ("sssom", "https://w3id.org/sssom/"),
        ("inst", "https://w3id.org/crosswalk/id/instrument/"),
        ("org", "https://w3id.org/crosswalk/id/org/"),
        ("mapping", "https://w3id.org/crosswalk/id/mapping/"),
        ("orcid", "https://orcid.org/"),
    ]
    .into_iter()
    .map(|(p, i)| (p.to_owned(), i.to_owned()))
    .collect()
}

/// Compresses IRIs to CURIEs, adding a prefix for each namespace it meets.
#[derive(Debug, Default)]
pub struct CurieMap {
    prefixes: BTreeMap<String, String>,
}

impl CurieMap {
    fn new() -> Self {
        Self {
            prefixes: standard_prefixes().into_iter().collect(),
        }
    }

    fn declare(&mut self, prefix: &str, namespace: &str) {
        self.prefixes
            .entry(prefix.to_owned())
            .or_insert_with(|| namespace.to_owned());
    }

    /// The CURIE of `iri`: under the longest declared namespace, else a new `nsN:` prefix for
    /// its namespace (up to the last `/` or `#`).
    fn compress(&mut self, iri: &str) -> String {
        if let Some((prefix, ns)) = self
            .prefixes
            .iter()
            .filter(|(_, ns)| iri.starts_with(ns.as_str()) && iri.len() > ns.len())
            .max_by_key(|(_, ns)| ns.len())
        {
            return format!("{prefix}:{}", &iri[ns.len()..]);
        }
        let cut = iri.rfind(['/', '#']).map_or(iri.len(), |i| i + 1);
        if cut == iri.len() {
            return iri.to_owned();
        }
        let prefix = (1..)
            .map(|n| format!("ns{n}"))
            .find(|p| !self.prefixes.contains_key(p))
            .expect("some prefix is free");
        self.prefixes.insert(prefix.clone(), iri[..cut].to_owned());
        format!("{prefix}:{}", &iri[cut..])
    }
}

/// The SSSOM prefix of a framework's provisions: its code (an NCName already).
fn framework_prefixes(curies: &mut CurieMap, code: &str) {
    curies.declare(code, &format!("{}provision/{code}/", names::ID));
    curies.declare(
        &format!("{code}-requirement"),
        &format!("{}requirement/{code}/", names::ID),
    );
}

/// The mapping set as SSSOM/TSV.
pub fn write(set: &MappingSet, version: &str, published: &str) -> Result<Vec<u8>, ExportError> {
    let mut curies = CurieMap::new();
    framework_prefixes(&mut curies, &set.from.code);
    framework_prefixes(&mut curies, &set.to.code);
    let mut rows: Vec<Vec<String>> = Vec::with_capacity(set.mappings.len());
    for m in &set.mappings {
        rows.push(row(m, &mut curies));
    }
    let mut body = csv::WriterBuilder::new()
        .delimiter(b'\t')
        .quote_style(csv::QuoteStyle::Necessary)
        .from_writer(Vec::new());
    body.write_record(COLUMNS)?;
    for row in &rows {
        body.write_record(row)?;
    }
    let body = body
        .into_inner()
        .map_err(|e| ExportError::Io(e.into_error()))?;

    let mut header = String::new();
    let mut line = |text: String| {
        header.push('#');
        header.push_str(&text);
        header.push('\n');
    };
    line("curie_map:".into());
    for (prefix, ns) in &curies.prefixes {
        line(format!("  {prefix}: {}", yaml_scalar(ns)));
    }
    line(format!(
        "mapping_set_id: {}",
        yaml_scalar(&format!(
            "https://w3id.org/crosswalk/mapping-set/{}--{}",
            set.from.code, set.to.code
        ))
    ));
    line(format!("mapping_set_version: {}", yaml_scalar(version)));
    line(format!(
        "mapping_set_title: {}",
        yaml_scalar(&format!("{} to {}", set.from.name(), set.to.name()))
    ));
    line(format!(
        "mapping_set_description: {}",
        yaml_scalar(&one_line(&format!(
            "Mappings between {} and {} in Crosswalk, oriented from the first to the second; mapping_source names the published crosswalk, the team analysis or the import each came from.",
            set.from.title, set.to.title
        )))
    ));
    line(format!("subject_source: inst:{}", set.from.code));
    line(format!("object_source: inst:{}", set.to.code));
    line(format!("publication_date: {}", yaml_scalar(published)));
    line("creator_label:".into());
    line("  - Crosswalk".into());
    line("sssom_version: \"1.1\"".into());
    line("extension_definitions:".into());
    for (slot, property, hint) in [
        ("strength", "cw:strength", "xsd:integer"),
        ("matching_rationale", "cw:rationale", "linkml:uriOrCurie"),
        ("review_status", "cw:reviewStatus", "linkml:uriOrCurie"),
        ("evidence_level", "cw:evidenceLevel", "linkml:uriOrCurie"),
    ] {
        line(format!("  - slot_name: {slot}"));
        line(format!("    property: {property}"));
        line(format!("    type_hint: {hint}"));
    }
    let mut out = header.into_bytes();
    out.extend(body);
    Ok(out)
}

fn row(m: &MappingRecord, curies: &mut CurieMap) -> Vec<String> {
    let predicate = m.relationship.sssom();
    let (agents, origins): (Vec<&String>, Vec<&String>) = m
        .derived_from
        .iter()
        .partition(|d| d.starts_with(&format!("{}org/", names::ID)));
    let join = |values: Vec<String>| values.join("|");
    let date = m
        .date
        .as_deref()
        .filter(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").is_ok())
        .unwrap_or_default()
        .to_owned();
    let label = |reference: &Option<String>, title: &Option<String>| match (reference, title) {
        // Titles often start with the citation ("GOVERN 1.1: …"); it is not repeated.
        (Some(r), Some(t)) if t.starts_with(r.as_str()) => one_line(t),
        (Some(r), Some(t)) => one_line(&format!("{r} {t}")),
        (Some(r), None) => one_line(r),
        (None, Some(t)) => one_line(t),
        (None, None) => String::new(),
    };
    let comment: Vec<String> = [m.comment.clone(), m.correction.clone(), m.path.clone()]
        .into_iter()
        .flatten()
        .map(|c| one_line(&c))
        .collect();
    vec![
        curies.compress(&m.iri),
        curies.compress(&m.subject),
        label(&m.subject_ref, &m.subject_title),
        curies.compress(&predicate.iri),
        if predicate.negated { "Not" } else { "" }.to_owned(),
        curies.compress(&m.object),
        label(&m.object_ref, &m.object_title),
        m.method
            .unwrap_or(crate::mapping::Method::Human)
            .sssom_justification(m.derived)
            .to_owned(),
        join(agents.iter().map(|a| curies.compress(a)).collect()),
        join(m.creators.iter().map(|c| one_line(c)).collect()),
        date,
        m.confidence.map(|c| c.to_string()).unwrap_or_default(),
        comment.join(" — "),
        join(origins.iter().map(|o| curies.compress(o)).collect()),
        join(m.sources.clone()),
        m.strength.map(|s| s.to_string()).unwrap_or_default(),
        m.rationale
            .map(|r| format!("cw:{}", r.token()))
            .unwrap_or_default(),
        m.review
            .as_deref()
            .map(|r| format!("cw:{r}"))
            .unwrap_or_default(),
        m.evidence
            .as_deref()
            .map(|e| format!("cw:{e}"))
            .unwrap_or_default(),
    ]
}

/// A YAML scalar on one line, double-quoted when plain style could misread it.
fn yaml_scalar(value: &str) -> String {
    let plain = !value.is_empty()
        && !value.starts_with(|c: char| "-?:,[]{}#&*!|>'\"%@`".contains(c) || c.is_whitespace())
        && !value.contains(": ")
        && !value.contains(" #")
        && !value.ends_with([' ', ':'])
        && value.chars().all(|c| !c.is_control());
    if plain {
        return value.to_owned();
    }
    let mut quoted = String::from('"');
    for c in value.chars() {
        match c {
            '"' => quoted.push_str("\\\""),
            '\\' => quoted.push_str("\\\\"),
            c if c.is_control() => quoted.push_str(&format!("\\x{:02x}", c as u32 & 0xff)),
            c => quoted.push(c),
        }
    }
    quoted.push('"');
    quoted
}
