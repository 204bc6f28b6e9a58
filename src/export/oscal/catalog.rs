//! OSCAL catalogs: a framework's curated provisions as a tree of groups and controls
//! ([`Outline`]) and as an OSCAL catalog document ([`catalog`]).

use super::{Context, OSCAL_VERSION, crosswalk_party, date_time, prop, put_list, token};
use crate::export::{ExportError, digest_hex, one_line, uuid_for};
use crate::graph::{Graph, names};
use crate::mapping::{Framework, text};
use oxigraph::model::{NamedNode, Variable};
use oxigraph::sparql::QuerySolution;
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, HashMap};

const PROVISIONS: &str = include_str!("../../../queries/export/provisions.rq");

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
        Self::from_rows(framework, &rows)
    }

    /// The curated provisions of every framework that has some, by instrument IRI, read with
    /// one query. Blocking.
    pub fn rows_by_instrument(
        graph: &Graph,
    ) -> Result<BTreeMap<String, Vec<QuerySolution>>, ExportError> {
        let mut by_instrument: BTreeMap<String, Vec<QuerySolution>> = BTreeMap::new();
        for row in graph.select("export: all provisions", PROVISIONS, [])? {
            if let Some(instrument) = text(&row, "instrument") {
                by_instrument.entry(instrument).or_default().push(row);
            }
        }
        Ok(by_instrument)
    }

    /// The outline from the provision rows of one framework (`queries/export/provisions.rq`).
    pub fn from_rows(framework: Framework, rows: &[QuerySolution]) -> Result<Self, ExportError> {
        let mut nodes: Vec<Node> = Vec::new();
        let mut parents: Vec<Option<String>> = Vec::new();
        let mut by_iri: HashMap<String, usize> = HashMap::new();
        for row in rows {
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

/// A framework as an OSCAL catalog.
pub fn catalog(context: &Context<'_>, outline: &Outline) -> Result<Value, ExportError> {
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
    let digest = digest_hex(&serde_json::to_vec(&body).unwrap_or_default());
    let mut metadata = Map::new();
    metadata.insert("title".into(), json!(one_line(&framework.title)));
    if let Some(published) = framework.published.as_deref().and_then(date_time) {
        metadata.insert("published".into(), json!(published));
    }
    metadata.insert("last-modified".into(), json!(context.modified));
    metadata.insert("version".into(), json!(context.version()));
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
