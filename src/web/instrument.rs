//! The instrument page: metadata, legal status, the supersession and amendment chain, the
//! provision tree (collapsible `<details>`, no script needed), and the tracked sources of the
//! instrument with their last fetch.

use super::catalog::Catalog;
use super::element::{Link, text};
use super::error::WebError;
use super::layout::{Badge, Page, local};
use super::resource::{Description, format_links};
use super::{Web, sources};
use crate::graph::names;
use askama::Template;
use oxigraph::model::{NamedNode, Variable};
use std::collections::HashMap;

const CHAIN: &str = include_str!("../../queries/web/chain.rq");
const PROVISIONS: &str = include_str!("../../queries/web/provisions.rq");

const ELI: &str = "http://data.europa.eu/eli/ontology#";
const DCTERMS: &str = "http://purl.org/dc/terms/";

/// One step of the flattened provision tree: open a node with children, a leaf, or close.
pub struct TreeStep {
    pub open: bool,
    pub close: bool,
    pub href: String,
    pub reference: String,
    pub title: String,
    pub count: usize,
}

pub struct ChainRow {
    pub relation: &'static str,
    pub other: Link,
    pub date: String,
}

#[derive(Template)]
#[template(path = "web/instrument.html")]
struct InstrumentPage {
    page: Page,
    iri: String,
    name: String,
    title: String,
    jurisdiction: Option<Badge>,
    status: Option<Badge>,
    binding: Option<bool>,
    quotable: bool,
    facts: Vec<(&'static str, String)>,
    url: Option<String>,
    summary: Option<String>,
    chain: Vec<ChainRow>,
    tree: Vec<TreeStep>,
    provision_count: usize,
    sources: Vec<sources::SourceRow>,
    formats: Vec<(String, &'static str)>,
    search: String,
}

struct Node {
    iri: String,
    parent: Option<String>,
    reference: String,
    title: String,
    order: f64,
}

/// Depth-first steps of the tree under `parent` (None: the top level).
fn walk(
    page: &Page,
    children: &HashMap<Option<String>, Vec<usize>>,
    nodes: &[Node],
    parent: Option<&String>,
    out: &mut Vec<TreeStep>,
    depth: usize,
) {
    let Some(list) = children.get(&parent.cloned()) else {
        return;
    };
    for &i in list {
        let node = &nodes[i];
        let kids = children.get(&Some(node.iri.clone())).map_or(0, Vec::len);
        out.push(TreeStep {
            open: kids > 0 && depth < 12,
            close: false,
            href: page.resource(&node.iri),
            reference: node.reference.clone(),
            title: node.title.clone(),
            count: kids,
        });
        if kids > 0 && depth < 12 {
            walk(page, children, nodes, Some(&node.iri), out, depth + 1);
            out.push(TreeStep {
                open: false,
                close: true,
                href: String::new(),
                reference: String::new(),
                title: String::new(),
                count: 0,
            });
        }
    }
}

pub fn render(
    web: &Web,
    catalog: &Catalog,
    page: Page,
    d: &Description,
) -> Result<String, WebError> {
    let lang = page.lang;
    let info = catalog.instrument(&d.iri).cloned().unwrap_or_default();
    let bound = || -> Result<_, WebError> {
        let node = NamedNode::new(&d.iri).map_err(|e| WebError::BadRequest(e.to_string()))?;
        Ok([(Variable::new_unchecked("resource"), node.into())])
    };
    let mut chain = Vec::new();
    for row in web.graph().select("web: chain", CHAIN, bound()?)? {
        let (Some(link), Some(other)) = (text(&row, "link"), text(&row, "other")) else {
            continue;
        };
        let later = text(&row, "direction").as_deref() == Some("later");
        let relation = match (local(&link), later) {
            ("supersededBy" | "isReplacedBy", true) => "chain.superseded-by",
            ("supersededBy" | "isReplacedBy", false) => "chain.supersedes",
            ("revokedBy", true) => "chain.revoked-by",
            ("revokedBy", false) => "chain.revokes",
            ("repealed_by", true) => "chain.repealed-by",
            ("repealed_by", false) => "chain.repeals",
            (_, true) => "chain.amended-by",
            (_, false) => "chain.amends",
        };
        let label = text(&row, "name")
            .or_else(|| catalog.instrument(&other).map(|i| i.name.clone()))
            .unwrap_or_else(|| local(&other).to_owned());
        chain.push(ChainRow {
            relation: page.t(relation),
            other: Link {
                href: page.resource(&other),
                label,
            },
            date: text(&row, "date").unwrap_or_default(),
        });
    }
    let mut nodes = Vec::new();
    for row in web
        .graph()
        .select("web: provisions", PROVISIONS, bound()?)?
    {
        let Some(iri) = text(&row, "provision") else {
            continue;
        };
        if nodes.iter().any(|n: &Node| n.iri == iri) {
            continue;
        }
        nodes.push(Node {
            parent: text(&row, "parent"),
            reference: text(&row, "ref").unwrap_or_default(),
            title: text(&row, "title").unwrap_or_else(|| local(&iri).to_owned()),
            order: text(&row, "order")
                .and_then(|o| o.parse().ok())
                .unwrap_or(f64::MAX),
            iri,
        });
    }
    nodes.sort_by(|a, b| {
        a.order
            .total_cmp(&b.order)
            .then_with(|| natural(&a.reference).cmp(&natural(&b.reference)))
    });
    let known: std::collections::HashSet<&str> = nodes.iter().map(|n| n.iri.as_str()).collect();
    let mut children: HashMap<Option<String>, Vec<usize>> = HashMap::new();
    for (i, node) in nodes.iter().enumerate() {
        // A parent outside the instrument's provisions puts the node at the top.
        let parent = node.parent.clone().filter(|p| known.contains(p.as_str()));
        children.entry(parent).or_default().push(i);
    }
    let mut tree = Vec::new();
    walk(&page, &children, &nodes, None, &mut tree, 0);
    let mut facts = Vec::new();
    let mut fact = |key: &'static str, value: Option<String>| {
        if let Some(v) = value.filter(|v| !v.is_empty()) {
            facts.push((page.t(key), v));
        }
    };
    fact(
        "instrument.type",
        info.kind.as_ref().map(|k| catalog.label(k, lang)),
    );
    fact(
        "instrument.publisher",
        d.iri(&format!("{DCTERMS}publisher")).map(|p| {
            catalog
                .label_opt(&p, lang)
                .unwrap_or_else(|| local(&p).to_owned())
        }),
    );
    fact(
        "instrument.document-date",
        d.text(&format!("{ELI}date_document"), "en"),
    );
    fact(
        "instrument.published",
        d.text(&format!("{ELI}date_publication"), "en"),
    );
    fact(
        "instrument.in-force",
        d.text(&format!("{ELI}first_date_entry_in_force"), "en"),
    );
    fact(
        "element.applies-from",
        d.text(&format!("{}appliesFrom", names::CW), "en"),
    );
    fact(
        "instrument.ended",
        d.text(&format!("{ELI}date_no_longer_in_force"), "en"),
    );
    fact(
        "element.evidence",
        d.iri(&format!("{}evidenceLevel", names::CW))
            .map(|e| catalog.label(&e, lang)),
    );
    let sources = sources::rows(web, &page, Some(&d.iri))?;
    let name = info.name.clone();
    let title = d
        .text(&format!("{DCTERMS}title"), lang.code())
        .unwrap_or_else(|| name.clone());
    let view = InstrumentPage {
        iri: d.iri.clone(),
        jurisdiction: info
            .jurisdiction_code
            .as_deref()
            .map(|c| catalog.jurisdiction_badge(c, lang)),
        status: info
            .status
            .as_deref()
            .map(|s| catalog.status_badge(s, lang)),
        binding: info.binding,
        quotable: info.quotable(),
        facts,
        url: info.url.clone(),
        summary: d.text(&format!("{}summary", names::CW), lang.code()),
        chain,
        provision_count: nodes.len(),
        tree,
        sources,
        formats: format_links(&page),
        search: page.link("/search", &[("q", &name)]),
        name: name.clone(),
        title: title.clone(),
        page: page.titled(name),
    };
    Ok(view.render()?)
}

/// A sort key that orders "Art. 9" before "Art. 10".
fn natural(reference: &str) -> Vec<(u64, String)> {
    let mut key = Vec::new();
    let mut digits = String::new();
    let mut other = String::new();
    for c in reference.chars() {
        if c.is_ascii_digit() {
            if !other.is_empty() {
                key.push((0, std::mem::take(&mut other)));
            }
            digits.push(c);
        } else {
            if !digits.is_empty() {
                key.push((digits.parse().unwrap_or(u64::MAX), String::new()));
                digits.clear();
            }
            other.push(c);
        }
    }
    if !digits.is_empty() {
        key.push((digits.parse().unwrap_or(u64::MAX), String::new()));
    }
    if !other.is_empty() {
        key.push((0, other));
    }
    key
}
