//! OSCAL 1.2 (JSON, validated in tests against NIST's 1.2.3 schemas in `tests/schemas/oscal/`).
//!
//! **Catalog** ([`catalog`]): a framework's provisions as NIST structures its own catalogs (the
//! CSF 2.0 catalog): a top-level provision with children is a `group` (NIST AI RMF functions, EU
//! AI Act chapters, ISO/IEC 42001 clauses 4–10 and Annex A), everything below is a `control`,
//! nested as the provisions nest (`eli:is_part_of`). Identifiers are ours: the provision's local
//! name (`GOVERN-1.1`, `A.6.2.4`, `art-50-2`); one that does not start with a letter (ISO clause
//! `4.1`) is prefixed with its kind (`clause-4.1`), as OSCAL tokens must. `label` carries the
//! citation (`GOVERN 1.1`). Text goes in a `statement` part only where it may be quoted; our
//! paraphrase is an `overview` part; every catalog links the official source.
//!
//! **Control mapping** ([`mapping`]): one `mapping` per provenance (a published crosswalk, the
//! team, an import, derivation), each `map` with its relationship (OSCAL's set-theory tokens, or
//! ours under the Crosswalk namespace), rationale, sources and targets, confidence, and props
//! for what OSCAL has no field for (strength, review status, evidence level, method).
//! A mapping endpoint that is a group is a `statement` item pointing at the group's main part;
//! one that is a whole instrument has no OSCAL item and is counted in the remarks.

use super::{ExportError, last_modified, one_line, uuid_for};
use crate::graph::{Graph, names};
use crate::mapping::{Framework, MappingRecord, MappingSet, Method, Rationale, text};
use oxigraph::model::{NamedNode, Variable};
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, HashMap};

const PROVISIONS: &str = include_str!("../../queries/export/provisions.rq");
const LABEL: &str = include_str!("../../queries/export/label.rq");
/// The OSCAL version the documents conform to (the vendored schemas).
pub const OSCAL_VERSION: &str = "1.2.3";
/// Namespace of our props and part names: the ontology's.
const NS: &str = names::CW;

/// One provision in the catalog tree.
#[derive(Debug, Clone)]
pub struct Node {
    pub iri: String,
    /// The OSCAL identifier (a token).
    pub id: String,
    pub reference: Option<String>,
    pub title: Option<String>,
    pub kind: Option<String>,
    order: Option<i64>,
    /// Verbatim text, present only for quotable frameworks.
    pub text: Option<String>,
    pub summary: Option<String>,
    sources: Vec<String>,
    children: Vec<usize>,
    pub group: bool,
}

impl Node {
    /// The id of the part a mapping item of type `statement` points at (groups only).
    fn main_part(&self) -> String {
        if self.text.is_some() {
            format!("{}_smt", self.id)
        } else {
            format!("{}_ovw", self.id)
        }
    }
}

/// A framework's provisions as a catalog tree, with their OSCAL identifiers.
#[derive(Debug)]
pub struct Outline {
    pub framework: Framework,
    nodes: Vec<Node>,
    roots: Vec<usize>,
    by_iri: HashMap<String, usize>,
    /// Control, group and part ids → node.
    by_id: HashMap<String, usize>,
}

impl Outline {
    /// Reads the framework's curated provisions. Blocking.
    pub fn load(graph: &Graph, framework: Framework) -> Result<Self, ExportError> {
        let rows = graph.select(
            "export: provisions",
            PROVISIONS,
            [(
                Variable::new_unchecked("instrument"),
                NamedNode::new_unchecked(framework.iri.clone()).into(),
            )],
        )?;
        let mut nodes: Vec<Node> = Vec::new();
        let mut parents: Vec<Option<String>> = Vec::new();
        let mut by_iri: HashMap<String, usize> = HashMap::new();
        for row in &rows {
            let Some(iri) = text(row, "provision") else {
                continue;
            };
            let index = *by_iri.entry(iri.clone()).or_insert_with(|| {
                nodes.push(Node {
                    iri: iri.clone(),
                    id: String::new(),
                    reference: None,
                    title: None,
                    kind: None,
                    order: None,
                    text: None,
                    summary: None,
                    sources: Vec::new(),
                    children: Vec::new(),
                    group: false,
                });
                parents.push(None);
                nodes.len() - 1
            });
            let node = &mut nodes[index];
            let first = |slot: &mut Option<String>, value: Option<String>| {
                if slot.is_none() {
                    *slot = value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
                }
            };
            first(&mut node.reference, text(row, "ref"));
            first(&mut node.title, text(row, "title").map(|t| one_line(&t)));
            first(&mut node.kind, text(row, "kind"));
            first(&mut node.summary, text(row, "summary"));
            if framework.quotable {
                first(&mut node.text, text(row, "text"));
            }
            if node.order.is_none() {
                node.order = text(row, "order").and_then(|o| o.parse().ok());
            }
            if let Some(source) = text(row, "source")
                && !node.sources.contains(&source)
            {
                node.sources.push(source);
            }
            // The smallest parent IRI, so a provision with two parents is placed the same way
            // on every export.
            if let Some(parent) = text(row, "parent") {
                let slot = &mut parents[index];
                if slot.as_ref().is_none_or(|p| parent < *p) {
                    *slot = Some(parent);
                }
            }
        }
        if nodes.is_empty() {
            return Err(ExportError::NoProvisions(framework.name().to_owned()));
        }
        // Parent links within the framework; a parent outside it, or a cycle, makes a root.
        let parent_of: Vec<Option<usize>> = parents
            .iter()
            .map(|p| p.as_ref().and_then(|p| by_iri.get(p).copied()))
            .collect();
        let mut roots = Vec::new();
        for i in 0..nodes.len() {
            let mut seen = vec![i];
            let mut up = parent_of[i];
            let mut cyclic = false;
            while let Some(p) = up {
                if seen.contains(&p) {
                    cyclic = true;
                    break;
                }
                seen.push(p);
                up = parent_of[p];
            }
            match parent_of[i] {
                Some(p) if !cyclic => nodes[p].children.push(i),
                _ => roots.push(i),
            }
        }
        let key = |n: &Node| {
            (
                n.order.unwrap_or(i64::MAX),
                n.reference.clone(),
                n.iri.clone(),
            )
        };
        let keys: Vec<_> = nodes.iter().map(key).collect();
        roots.sort_by(|a, b| keys[*a].cmp(&keys[*b]));
        for node in &mut nodes {
            node.children.sort_by(|a, b| keys[*a].cmp(&keys[*b]));
        }
        for &r in &roots {
            nodes[r].group = !nodes[r].children.is_empty();
        }
        // Identifiers in document order, so a collision is resolved the same way every time.
        let mut by_id = HashMap::new();
        let mut order = Vec::new();
        let mut stack: Vec<usize> = roots.iter().rev().copied().collect();
        while let Some(i) = stack.pop() {
            order.push(i);
            stack.extend(nodes[i].children.iter().rev().copied());
        }
        let prefix = format!("{}provision/{}/", names::ID, framework.code);
        for i in order {
            let local = nodes[i]
                .iri
                .strip_prefix(&prefix)
                .unwrap_or_else(|| crate::mapping::local(&nodes[i].iri));
            let mut id = token(local, nodes[i].kind.as_deref());
            let base = id.clone();
            let mut n = 2;
            while by_id.contains_key(&id) {
                id = format!("{base}_{n}");
                n += 1;
            }
            by_id.insert(id.clone(), i);
            nodes[i].id = id;
            let part_ids = [
                format!("{}_smt", nodes[i].id),
                format!("{}_ovw", nodes[i].id),
            ];
            for part in part_ids {
                by_id.entry(part).or_insert(i);
            }
        }
        Ok(Self {
            framework,
            nodes,
            roots,
            by_iri,
            by_id,
        })
    }

    /// The mapping item (`type`, `id-ref`) for an element of this framework, if it is in the
    /// catalog.
    pub fn item(&self, iri: &str) -> Option<(&'static str, String)> {
        let node = &self.nodes[*self.by_iri.get(iri)?];
        Some(if node.group {
            ("statement", node.main_part())
        } else {
            ("control", node.id.clone())
        })
    }

    /// The element an OSCAL id (control, group or part) of this catalog names.
    pub fn resolve(&self, id: &str) -> Option<&str> {
        self.by_id.get(id).map(|&i| self.nodes[i].iri.as_str())
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    pub fn nodes(&self) -> impl Iterator<Item = &Node> {
        self.nodes.iter()
    }
}

/// An OSCAL token from one of our local names: characters outside the token set become `_`,
/// and a name that does not start with a letter takes its kind as a prefix (`clause-4.1`).
fn token(local: &str, kind: Option<&str>) -> String {
    let clean = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if c.is_alphanumeric() || matches!(c, '.' | '-' | '_') {
                    c
                } else {
                    '_'
                }
            })
            .collect()
    };
    let id = clean(local);
    match id.chars().next() {
        Some(c) if c.is_alphabetic() || c == '_' => id,
        _ => {
            let kind = clean(kind.unwrap_or("p"));
            let kind = if kind.starts_with(|c: char| c.is_alphabetic()) {
                kind
            } else {
                "p".into()
            };
            format!("{kind}-{id}")
        }
    }
}

/// A property in our namespace, skipped when the value is empty.
fn prop(name: &str, value: &str) -> Option<Value> {
    let value = one_line(value);
    (!value.is_empty()).then(|| json!({ "name": name, "ns": NS, "value": value }))
}

/// Inserts `key` only for a non-empty array (OSCAL arrays have at least one item).
fn put_list(object: &mut Map<String, Value>, key: &str, items: Vec<Value>) {
    if !items.is_empty() {
        object.insert(key.into(), Value::Array(items));
    }
}

/// `YYYY-MM-DD` → midnight UTC, OSCAL's date-time with a time zone.
fn date_time(date: &str) -> Option<String> {
    chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d")
        .ok()
        .map(|d| format!("{}T00:00:00Z", d.format("%Y-%m-%d")))
}

/// The party that prepared every document: us.
fn crosswalk_party() -> Value {
    json!({ "uuid": uuid_for("https://w3id.org/crosswalk/"), "type": "organization",
            "name": "Crosswalk", "links": [{ "href": "https://w3id.org/crosswalk/", "rel": "homepage" }] })
}

fn quoting_note(framework: &Framework) -> String {
    if framework.quotable {
        format!(
            "Statements quote the official text of {}; overviews are Crosswalk's own paraphrases.",
            framework.name()
        )
    } else {
        format!(
            "{} may not be reproduced: this catalog gives identifiers, titles and Crosswalk's own one-line paraphrases only. Read the official text at the source linked in back-matter.",
            framework.name()
        )
    }
}

/// A framework as an OSCAL catalog. Blocking.
pub fn catalog(graph: &Graph, outline: &Outline) -> Result<Value, ExportError> {
    let framework = &outline.framework;
    let mut groups = Vec::new();
    let mut controls = Vec::new();
    for (position, &root) in outline.roots.iter().enumerate() {
        let sort = format!("{:05}", position + 1);
        let value = element(outline, root, &sort);
        if outline.nodes[root].group {
            groups.push(value);
        } else {
            controls.push(value);
        }
    }
    let source_uuid = uuid_for(&format!("{}#official-source", framework.iri));
    let mut resources = Vec::new();
    if let Some(url) = &framework.url {
        resources.push(json!({
            "uuid": source_uuid,
            "title": one_line(&format!("Official text: {}", framework.title)),
            "rlinks": [{ "href": url }],
        }));
    }
    let mut body = Map::new();
    put_list(&mut body, "groups", groups);
    put_list(&mut body, "controls", controls);
    if !resources.is_empty() {
        body.insert("back-matter".into(), json!({ "resources": resources }));
    }
    // The document's UUID changes exactly when its content does.
    let digest = super::digest_hex(&serde_json::to_vec(&body).unwrap_or_default());
    let mut metadata = Map::new();
    metadata.insert("title".into(), json!(one_line(&framework.title)));
    if let Some(published) = framework.published.as_deref().and_then(date_time) {
        metadata.insert("published".into(), json!(published));
    }
    metadata.insert("last-modified".into(), json!(last_modified(graph)?));
    metadata.insert(
        "version".into(),
        json!(format!("crosswalk-r{}", graph.revision())),
    );
    metadata.insert("oscal-version".into(), json!(OSCAL_VERSION));
    let props: Vec<Value> = [
        prop("framework", &framework.code),
        framework
            .short_name
            .as_deref()
            .and_then(|v| prop("short-name", v)),
        framework
            .jurisdiction
            .as_deref()
            .and_then(|v| prop("jurisdiction", v)),
        framework
            .status
            .as_deref()
            .and_then(|v| prop("legal-status", v)),
        framework
            .kind
            .as_deref()
            .and_then(|v| prop("instrument-type", v)),
        prop(
            "quoting",
            if framework.quotable {
                "verbatim"
            } else {
                "paraphrase-only"
            },
        ),
    ]
    .into_iter()
    .flatten()
    .collect();
    put_list(&mut metadata, "props", props);
    let mut links = vec![json!({ "href": framework.iri, "rel": "canonical" })];
    if framework.url.is_some() {
        links.push(json!({ "href": format!("#{source_uuid}"), "rel": "reference", "text": "Official text" }));
    }
    metadata.insert("links".into(), Value::Array(links));
    let mut parties = vec![crosswalk_party()];
    let mut responsible =
        vec![json!({ "role-id": "prepared-by", "party-uuids": [parties[0]["uuid"]] })];
    let mut roles = vec![json!({ "id": "prepared-by", "title": "Converted to OSCAL by" })];
    if let Some(publisher) = &framework.publisher {
        let uuid = uuid_for(&format!("{}#publisher", framework.iri));
        parties.push(json!({ "uuid": uuid, "type": "organization", "name": one_line(publisher) }));
        roles.push(json!({ "id": "creator", "title": "Author of the source document" }));
        responsible.push(json!({ "role-id": "creator", "party-uuids": [uuid] }));
    }
    metadata.insert("roles".into(), Value::Array(roles));
    metadata.insert("parties".into(), Value::Array(parties));
    metadata.insert("responsible-parties".into(), Value::Array(responsible));
    metadata.insert("remarks".into(), json!(quoting_note(framework)));
    let mut catalog = Map::new();
    catalog.insert(
        "uuid".into(),
        json!(uuid_for(&format!("catalog:{}:{digest}", framework.iri))),
    );
    catalog.insert("metadata".into(), Value::Object(metadata));
    catalog.extend(body);
    Ok(json!({ "catalog": catalog }))
}

/// A group or control and everything below it.
fn element(outline: &Outline, index: usize, sort: &str) -> Value {
    let node = &outline.nodes[index];
    let mut object = Map::new();
    object.insert("id".into(), json!(node.id));
    if let Some(kind) = &node.kind {
        let class = token(kind, None);
        object.insert("class".into(), json!(class));
    }
    let title = node
        .title
        .clone()
        .or_else(|| node.reference.clone())
        .unwrap_or_else(|| node.id.clone());
    object.insert("title".into(), json!(one_line(&title)));
    let mut props = Vec::new();
    if let Some(reference) = &node.reference {
        props.push(json!({ "name": "label", "value": one_line(reference) }));
    }
    props.push(json!({ "name": "sort-id", "value": sort }));
    put_list(&mut object, "props", props);
    let mut links = vec![json!({ "href": node.iri, "rel": "canonical" })];
    for source in &node.sources {
        links.push(json!({ "href": source, "rel": "reference" }));
    }
    object.insert("links".into(), Value::Array(links));
    let mut parts = Vec::new();
    if let Some(text) = &node.text {
        parts.push(json!({ "id": format!("{}_smt", node.id), "name": "statement", "prose": text }));
    }
    if let Some(summary) = &node.summary {
        parts.push(
            json!({ "id": format!("{}_ovw", node.id), "name": "overview", "prose": summary }),
        );
    } else if node.group && node.text.is_none() {
        // A group's main part must exist: mapping items of type `statement` point at it.
        parts.push(json!({ "id": format!("{}_ovw", node.id), "name": "overview", "prose": title }));
    }
    put_list(&mut object, "parts", parts);
    let children: Vec<Value> = node
        .children
        .iter()
        .enumerate()
        .map(|(i, &child)| element(outline, child, &format!("{sort}.{:05}", i + 1)))
        .collect();
    put_list(&mut object, "controls", children);
    Value::Object(object)
}

/// Where the catalog of a framework is served, relative to a Crosswalk server.
pub fn catalog_href(framework: &Framework) -> String {
    format!("/api/export/oscal/catalog/{}", framework.code)
}

/// The mappings between two frameworks as an OSCAL control-mapping document. Blocking.
pub fn mapping(
    graph: &Graph,
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
                let title = label(graph, origin)?.unwrap_or_else(|| origin.to_owned());
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
    metadata.insert("last-modified".into(), json!(last_modified(graph)?));
    metadata.insert(
        "version".into(),
        json!(format!("crosswalk-r{}", graph.revision())),
    );
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
    let digest = super::digest_hex(&serde_json::to_vec(&body).unwrap_or_default());
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
    let (ns, relationship) = m.relationship.oscal(m.rationale);
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

/// The English title or label of a node, for provenance links.
fn label(graph: &Graph, iri: &str) -> Result<Option<String>, ExportError> {
    let Ok(node) = NamedNode::new(iri) else {
        return Ok(None);
    };
    let rows = graph.select(
        "export: label",
        LABEL,
        [(Variable::new_unchecked("node"), node.into())],
    )?;
    Ok(rows.first().and_then(|r| text(r, "label")))
}

#[cfg(test)]
mod tests {
    use super::token;

    #[test]
    fn identifiers_are_oscal_tokens() {
        assert_eq!(token("GOVERN-1.1", Some("subcategory")), "GOVERN-1.1");
        assert_eq!(token("4.1", Some("clause")), "clause-4.1");
        assert_eq!(token("4.1", None), "p-4.1");
        assert_eq!(token("art 5(1)", Some("article")), "art_5_1_");
    }
}
