//! Reads an OSCAL 1.2 control-mapping document (JSON): every `map` of every `mapping`, one row
//! per source × target pair.
//!
//! A mapping's `source-resource` and `target-resource` must name one of our frameworks: by a
//! `framework` prop in the Crosswalk namespace (as our export writes), an `href` ending in
//! `/catalog/<code>`, or an instrument IRI. Item `id-ref`s resolve against that framework's
//! catalog (control, group and part ids, as `crate::export::oscal::Outline` assigns them), or
//! may be a full element IRI. Relationships are OSCAL's tokens, or ours when the map's `ns` is
//! the Crosswalk namespace. Method, rationale and confidence come from the map or its mapping;
//! strength, date, creators from our props; comments from `remarks`; provenance from
//! `provenance` links.

use super::{ImportError, MAX_BYTES, Rejection, Row};
use crate::export::oscal::Outline;
use crate::graph::Graph;
use crate::graph::codes::Codes;
use crate::graph::names;
use crate::graph::relationship::Relationship;
use crate::mapping::{Framework, Method, Rationale};
use serde_json::Value;
use std::collections::HashMap;

/// Parses a control-mapping document into rows. Blocking (reads the catalogs it maps).
pub fn parse(graph: &Graph, codes: &Codes, bytes: &[u8]) -> Result<Vec<Row>, ImportError> {
    if bytes.len() > MAX_BYTES {
        return Err(ImportError::Malformed(format!(
            "the file is {} bytes; at most {MAX_BYTES} are imported",
            bytes.len()
        )));
    }
    let document: Value = serde_json::from_slice(bytes)
        .map_err(|e| ImportError::Malformed(format!("not JSON: {e}")))?;
    let collection = document.get("mapping-collection").ok_or_else(|| {
        ImportError::Malformed(
            "not an OSCAL control-mapping document (no mapping-collection)".into(),
        )
    })?;
    let mappings = match collection.get("mappings") {
        Some(Value::Array(list)) => list.iter().collect::<Vec<_>>(),
        Some(one @ Value::Object(_)) => vec![one],
        _ => {
            return Err(ImportError::Malformed(
                "mapping-collection has no mappings".into(),
            ));
        }
    };
    let provenance = collection.get("provenance");
    let mut outlines: HashMap<String, Result<Outline, String>> = HashMap::new();
    let mut rows = Vec::new();
    for (i, mapping) in mappings.iter().enumerate() {
        let here = format!("mappings[{i}]");
        let mut catalog = |key: &str| -> Result<String, String> {
            let resource = mapping
                .get(key)
                .ok_or_else(|| format!("{here} has no {key}"))?;
            let code = framework_code(resource)
                .ok_or_else(|| format!("{here}.{key} names no Crosswalk framework (a framework prop, a …/catalog/<code> href or an instrument IRI)"))?;
            if !outlines.contains_key(&code) {
                let outline = Framework::resolve(graph, codes, &code)
                    .map_err(|e| e.to_string())
                    .and_then(|f| Outline::load(graph, f).map_err(|e| e.to_string()));
                outlines.insert(code.clone(), outline);
            }
            outlines[&code]
                .as_ref()
                .map(|_| code.clone())
                .map_err(Clone::clone)
        };
        let (source, target) = (catalog("source-resource"), catalog("target-resource"));
        let maps = mapping
            .get("maps")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        if maps.is_empty() {
            return Err(ImportError::Malformed(format!("{here} has no maps")));
        }
        let default_method =
            string(mapping, "method").or_else(|| provenance.and_then(|p| string(p, "method")));
        let default_rationale = string(mapping, "matching-rationale")
            .or_else(|| provenance.and_then(|p| string(p, "matching-rationale")));
        let mapping_links = links(mapping, "provenance");
        for (j, map) in maps.iter().enumerate() {
            let locator = format!("{here}.maps[{j}]");
            let relationship = match string(map, "relationship") {
                None => Err(Rejection::new("relationship", "", "missing")),
                Some(token) => Relationship::from_oscal(string(map, "ns").as_deref(), &token)
                    .ok_or_else(|| {
                        Rejection::new(
                            "relationship",
                            &token,
                            "unknown relationship: use equivalent-to, equal-to, subset-of, superset-of or intersects-with, or a Crosswalk relationship with ns set to the Crosswalk namespace",
                        )
                    }),
            };
            let method_token = prop(map, "method").or_else(|| default_method.clone());
            let method = match method_token.as_deref() {
                None => Ok(None),
                Some(token) => Method::from_oscal(token)
                    .or_else(|| Method::from_iri(&format!("{}{token}", names::CW)))
                    .map(Some)
                    .ok_or_else(|| {
                        Rejection::new(
                            "method",
                            token,
                            "method must be human, automation or hybrid",
                        )
                    }),
            };
            let rationale = string(map, "matching-rationale")
                .or_else(|| default_rationale.clone())
                .and_then(|r| Rationale::from_token(&r));
            let confidence = map
                .get("confidence-score")
                .or_else(|| mapping.get("confidence-score"))
                .and_then(|c| c.get("percentage"))
                .map(|p| match p {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                });
            let mut derived_from = links(map, "provenance");
            derived_from.extend(mapping_links.iter().cloned());
            derived_from.sort();
            derived_from.dedup();
            let items = |key: &str,
                         catalog: &Result<String, String>|
             -> Vec<Result<String, Rejection>> {
                let field = if key == "sources" {
                    "subject_id"
                } else {
                    "object_id"
                };
                let list = map
                    .get(key)
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                if list.is_empty() {
                    return vec![Err(Rejection::new(field, "", format!("map has no {key}")))];
                }
                list.iter()
                    .map(|item| {
                        let id = item.get("id-ref").and_then(Value::as_str).unwrap_or_default();
                        if id.starts_with(names::ID) {
                            return Ok(id.to_owned());
                        }
                        let code = catalog.as_ref().map_err(|e| Rejection::new(field, id, e.clone()))?;
                        let outline = outlines[code].as_ref().expect("loaded above");
                        outline.resolve(id).map(str::to_owned).ok_or_else(|| {
                            Rejection::new(field, id, format!("unknown element: no control, group or part {id:?} in the {code} catalog"))
                        })
                    })
                    .collect()
            };
            let subjects = items("sources", &source);
            let objects = items("targets", &target);
            let pairs = subjects.len() * objects.len();
            for (a, subject) in subjects.iter().enumerate() {
                for (b, object) in objects.iter().enumerate() {
                    rows.push(Row {
                        locator: if pairs > 1 {
                            format!("{locator} (source {a}, target {b})")
                        } else {
                            locator.clone()
                        },
                        subject: subject.clone(),
                        object: object.clone(),
                        relationship: relationship.clone(),
                        method: method.clone(),
                        rationale,
                        confidence: confidence.clone(),
                        strength: prop(map, "strength"),
                        author_ids: Vec::new(),
                        author_labels: props(map, "creator"),
                        date: prop(map, "date").filter(|d| d.len() == 10),
                        comment: string(map, "remarks"),
                        derived_from: derived_from.clone(),
                    });
                }
            }
        }
    }
    Ok(rows)
}

/// The framework code a mapping resource names.
fn framework_code(resource: &Value) -> Option<String> {
    if let Some(code) = resource
        .get("props")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .find(|p| {
            p.get("name").and_then(Value::as_str) == Some("framework")
                && p.get("ns").and_then(Value::as_str) == Some(names::CW)
        })
        .and_then(|p| p.get("value").and_then(Value::as_str))
    {
        return Some(code.to_owned());
    }
    let href = resource.get("href").and_then(Value::as_str)?;
    let instrument = format!("{}instrument/", names::ID);
    if let Some(code) = href.strip_prefix(&instrument) {
        return Some(code.to_owned());
    }
    href.split_once("/catalog/")
        .map(|(_, code)| {
            code.trim_end_matches(".json")
                .trim_end_matches('/')
                .to_owned()
        })
        .filter(|c| !c.is_empty() && !c.contains('/'))
}

fn string(value: &Value, key: &str) -> Option<String> {
    value
        .get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// Values of our namespaced props called `name`.
fn props(value: &Value, name: &str) -> Vec<String> {
    value
        .get("props")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|p| {
            p.get("name").and_then(Value::as_str) == Some(name)
                && p.get("ns").and_then(Value::as_str) == Some(names::CW)
        })
        .filter_map(|p| string(p, "value"))
        .collect()
}

fn prop(value: &Value, name: &str) -> Option<String> {
    props(value, name).into_iter().next()
}

/// `href`s of the links with relation `rel` that are absolute IRIs.
fn links(value: &Value, rel: &str) -> Vec<String> {
    value
        .get("links")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|l| l.get("rel").and_then(Value::as_str) == Some(rel))
        .filter_map(|l| string(l, "href"))
        .filter(|h| h.contains("://") || h.starts_with("urn:"))
        .collect()
}
