//! OSCAL control-mapping documents: the mappings between two frameworks, one `mapping` per
//! provenance, each `map` with its relationship, rationale, sources and targets.

use super::{Context, NS, OSCAL_VERSION, Outline, catalog_href, crosswalk_party, prop, put_list};
use crate::export::{ExportError, digest_hex, one_line, uuid_for};
use crate::mapping::{Framework, MappingRecord, MappingSet, Method, Rationale};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

/// The mappings between two frameworks as an OSCAL control-mapping document. Blocking (the
/// titles of provenance nodes are read from the store, once per export).
pub fn mapping(
    context: &Context<'_>,
    set: &MappingSet,
    from: &Outline,
    to: &Outline,
) -> Result<Value, ExportError> {
    // One `mapping` per provenance: the published crosswalk, the team, an import, derivation.
    let mut groups: BTreeMap<String, Vec<&MappingRecord>> = BTreeMap::new();
    let mut unrepresentable = 0;
    for m in &set.mappings {
        if from.item(&m.subject).is_none() || to.item(&m.object).is_none() {
            unrepresentable += 1;
            continue;
        }
        let key = if m.derived {
            "derived".to_owned()
        } else {
            m.derived_from.join(" ")
        };
        groups.entry(key).or_default().push(m);
    }
    let mut mappings = Vec::new();
    let mut resources = Vec::new();
    let mut all_methods = Vec::new();
    let mut all_rationales = Vec::new();
    let mut all_draft = false;
    for (key, records) in &groups {
        let maps: Vec<Value> = records.iter().map(|m| map(m, from, to)).collect();
        let methods: Vec<Method> = records.iter().filter_map(|m| m.method).collect();
        let method = common(&methods).unwrap_or(Method::Hybrid);
        let rationales: Vec<Rationale> = records.iter().filter_map(|m| m.rationale).collect();
        let rationale = most_common(&rationales).unwrap_or(Rationale::Semantic);
        let draft = records
            .iter()
            .any(|m| m.review.as_deref() != Some("reviewed"));
        all_methods.extend(methods);
        all_rationales.extend(rationales);
        all_draft |= draft;
        let mut mapping = Map::new();
        mapping.insert(
            "uuid".into(),
            json!(uuid_for(&format!(
                "mapping:{}:{}:{key}",
                set.from.iri, set.to.iri
            ))),
        );
        mapping.insert("method".into(), json!(method.oscal()));
        mapping.insert("matching-rationale".into(), json!(rationale.token()));
        mapping.insert(
            "status".into(),
            json!(if draft { "draft" } else { "complete" }),
        );
        mapping.insert("source-resource".into(), resource(&set.from));
        mapping.insert("target-resource".into(), resource(&set.to));
        mapping.insert("maps".into(), Value::Array(maps));
        let mut links = Vec::new();
        let mut titles = Vec::new();
        if key == "derived" {
            titles.push("two-hop chains computed by Crosswalk (weakest-link rule)".to_owned());
        } else {
            for origin in key.split(' ').filter(|o| !o.is_empty()) {
                let title = context.label(origin)?.unwrap_or_else(|| origin.to_owned());
                links
                    .push(json!({ "href": origin, "rel": "provenance", "text": one_line(&title) }));
                let uuid = uuid_for(&format!("{origin}#resource"));
                if !resources.iter().any(|r: &Value| r["uuid"] == json!(uuid)) {
                    resources.push(json!({ "uuid": uuid, "title": one_line(&title), "rlinks": [{ "href": origin }] }));
                }
                titles.push(title);
            }
        }
        put_list(&mut mapping, "links", links);
        mapping.insert(
            "remarks".into(),
            json!(format!(
                "{} mappings from {}.",
                records.len(),
                titles.join("; ")
            )),
        );
        mappings.push(Value::Object(mapping));
    }
    let title = format!("{} to {}", set.from.name(), set.to.name());
    let description = format!(
        "Mappings between {} and {} as curated, imported{} in Crosswalk, oriented from the first to the second. Relationships are NIST IR 8477 set-theory relations (OSCAL's tokens) or Crosswalk's own (namespace {NS}). {}",
        set.from.title,
        set.to.title,
        if groups.contains_key("derived") {
            " or derived"
        } else {
            ""
        },
        if unrepresentable > 0 {
            format!(
                "{unrepresentable} mappings with a whole instrument as an endpoint have no OSCAL control and are left out; the SSSOM export carries them."
            )
        } else {
            String::new()
        }
    );
    let mut metadata = Map::new();
    metadata.insert("title".into(), json!(one_line(&title)));
    metadata.insert("last-modified".into(), json!(context.modified));
    metadata.insert("version".into(), json!(context.version()));
    metadata.insert("oscal-version".into(), json!(OSCAL_VERSION));
    metadata.insert(
        "props".into(),
        json!([
            { "name": "source-framework", "ns": NS, "value": set.from.code },
            { "name": "target-framework", "ns": NS, "value": set.to.code }
        ]),
    );
    metadata.insert(
        "roles".into(),
        json!([{ "id": "prepared-by", "title": "Converted to OSCAL by" }]),
    );
    let party = crosswalk_party();
    metadata.insert(
        "responsible-parties".into(),
        json!([{ "role-id": "prepared-by", "party-uuids": [party["uuid"]] }]),
    );
    metadata.insert("parties".into(), json!([party]));
    let mut provenance = Map::new();
    provenance.insert(
        "method".into(),
        json!(common(&all_methods).unwrap_or(Method::Hybrid).oscal()),
    );
    provenance.insert(
        "matching-rationale".into(),
        json!(
            most_common(&all_rationales)
                .unwrap_or(Rationale::Semantic)
                .token()
        ),
    );
    provenance.insert(
        "status".into(),
        json!(if all_draft || mappings.is_empty() {
            "draft"
        } else {
            "complete"
        }),
    );
    provenance.insert("mapping-description".into(), json!(one_line(&description)));
    let mut document = Map::new();
    let body = json!({ "mappings": mappings, "back-matter": resources });
    let digest = digest_hex(&serde_json::to_vec(&body).unwrap_or_default());
    document.insert(
        "uuid".into(),
        json!(uuid_for(&format!(
            "mapping-collection:{}:{}:{digest}",
            set.from.iri, set.to.iri
        ))),
    );
    document.insert("metadata".into(), Value::Object(metadata));
    document.insert("provenance".into(), Value::Object(provenance));
    if mappings.is_empty() {
        return Err(ExportError::Invalid(format!(
            "no mappings between {} and {} can be expressed in OSCAL",
            set.from.code, set.to.code
        )));
    }
    document.insert("mappings".into(), Value::Array(mappings));
    if !resources.is_empty() {
        document.insert("back-matter".into(), json!({ "resources": resources }));
    }
    Ok(json!({ "mapping-collection": document }))
}

fn resource(framework: &Framework) -> Value {
    json!({
        "type": "catalog",
        "href": catalog_href(framework),
        "props": [{ "name": "framework", "ns": NS, "value": framework.code }],
        "links": [{ "href": framework.iri, "rel": "canonical", "text": one_line(&framework.title) }],
    })
}

fn map(m: &MappingRecord, from: &Outline, to: &Outline) -> Value {
    let (source_type, source_id) = from.item(&m.subject).expect("filtered above");
    let (target_type, target_id) = to.item(&m.object).expect("filtered above");
    let (ns, relationship) = m
        .relationship
        .oscal(m.rationale == Some(Rationale::Syntactic));
    let mut object = Map::new();
    object.insert("uuid".into(), json!(uuid_for(&m.iri)));
    if let Some(ns) = ns {
        object.insert("ns".into(), json!(ns));
    }
    if let Some(rationale) = m.rationale {
        object.insert("matching-rationale".into(), json!(rationale.token()));
    }
    object.insert("relationship".into(), json!(relationship));
    object.insert(
        "sources".into(),
        json!([{ "type": source_type, "id-ref": source_id }]),
    );
    object.insert(
        "targets".into(),
        json!([{ "type": target_type, "id-ref": target_id }]),
    );
    if let Some(confidence) = m.confidence.filter(|c| (0.0..=1.0).contains(c)) {
        object.insert(
            "confidence-score".into(),
            json!({ "percentage": confidence }),
        );
    }
    let props: Vec<Value> = [
        prop("mapping", &m.iri),
        m.method.and_then(|v| prop("method", v.local())),
        m.strength.and_then(|v| prop("strength", &v.to_string())),
        m.review.as_deref().and_then(|v| prop("review-status", v)),
        m.evidence
            .as_deref()
            .and_then(|v| prop("evidence-level", v)),
        m.source_ref
            .as_deref()
            .and_then(|v| prop("source-reference", v)),
        m.date.as_deref().and_then(|v| prop("date", v)),
        m.derived.then(|| prop("kind", "derived")).flatten(),
    ]
    .into_iter()
    .flatten()
    .chain(m.creators.iter().filter_map(|c| prop("creator", c)))
    .collect();
    put_list(&mut object, "props", props);
    let links: Vec<Value> = m
        .sources
        .iter()
        .map(|s| json!({ "href": s, "rel": "reference" }))
        .chain(
            m.derived_from
                .iter()
                .map(|d| json!({ "href": d, "rel": "provenance" })),
        )
        .collect();
    put_list(&mut object, "links", links);
    let remarks: Vec<String> = [
        m.comment.clone(),
        m.correction.clone().map(|c| format!("Correction: {c}")),
        m.path.clone().map(|p| format!("Path: {p}")),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !remarks.is_empty() {
        object.insert("remarks".into(), json!(remarks.join("\n\n")));
    }
    Value::Object(object)
}

/// The value every item shares, if they all share one.
fn common<T: PartialEq + Copy>(items: &[T]) -> Option<T> {
    let first = *items.first()?;
    items.iter().all(|i| *i == first).then_some(first)
}

/// The most frequent value, the earliest on a tie.
fn most_common<T: PartialEq + Copy>(items: &[T]) -> Option<T> {
    let mut best: Option<(usize, T)> = None;
    for item in items {
        let count = items.iter().filter(|i| *i == item).count();
        if best.is_none_or(|(c, _)| count > c) {
            best = Some((count, *item));
        }
    }
    best.map(|(_, t)| t)
}
