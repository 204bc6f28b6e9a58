//! The procurement questionnaire: for chosen frameworks, jurisdictions and a buyer role, one
//! vendor question per cluster of mutually mapped requirements, each citing every requirement it
//! covers and the evidence to attach, grouped by theme. Markdown, or a table for CSV/XLSX.
//!
//! The rule and every sentence are fixed by `templates/questionnaire/` (its README states the
//! clustering rule): requirements are linked by overlap mappings (equal, subset, superset,
//! intersects) between them, their provisions or the provisions those are part of; a question
//! covers one connected group. Every requirement in scope is cited by exactly one question, or
//! listed under "Not asked" with the reason (addressed to nobody on either side of the
//! purchase, or outside the chosen jurisdictions).

use crate::export::tabular::{Column, Table};
use crate::graph::codes::Codes;
use crate::graph::{Graph, GraphError, names};
use crate::mapping::{Framework, MappingError, local, text};
use oxigraph::model::{NamedNode, Variable};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap};

const REQUIREMENTS: &str = include_str!("../../queries/questionnaire/requirements.rq");
const LINKS: &str = include_str!("../../queries/questionnaire/links.rq");
const STRUCTURE: &str = include_str!("../../queries/questionnaire/structure.rq");
const THEME_LABELS: &str = include_str!("../../queries/questionnaire/theme-labels.rq");
const ROLES: &str = include_str!("../../templates/questionnaire/roles.toml");
const WORDING: &str = include_str!("../../templates/questionnaire/wording.toml");
const THEMES: &str = include_str!("../../templates/questionnaire/themes.toml");

#[derive(Debug, thiserror::Error)]
pub enum QuestionnaireError {
    #[error(transparent)]
    Framework(#[from] MappingError),
    #[error("unknown buyer role {role:?}; the questionnaire templates cover: {known}")]
    Role { role: String, known: String },
    #[error(transparent)]
    Code(#[from] crate::graph::codes::UnknownCode),
    #[error("choose at least one framework")]
    NoFramework,
    #[error(transparent)]
    Graph(#[from] GraphError),
}

impl QuestionnaireError {
    pub fn is_client_error(&self) -> bool {
        !matches!(
            self,
            Self::Framework(MappingError::Graph(_)) | Self::Graph(_)
        )
    }
}

/// What the buyer asks for.
#[derive(Debug, Clone)]
pub struct Request {
    /// Framework codes, in the order sections cite them.
    pub frameworks: Vec<String>,
    /// Jurisdiction codes the buyer operates in; empty = no restriction. `INTL` (international
    /// standards) is always in scope.
    pub jurisdictions: Vec<String>,
    /// The buyer's role slug (`deployer`).
    pub role: String,
}

#[derive(Debug, Deserialize)]
struct RoleTemplate {
    label: String,
    vendor: Vec<String>,
    buyer: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct Wording {
    vendor: BTreeMap<String, String>,
    buyer: BTreeMap<String, String>,
    both: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Deserialize)]
struct ThemeTemplate {
    slug: String,
    topic: String,
    evidence: Vec<String>,
    #[serde(default)]
    prohibition: bool,
}

#[derive(Debug, Deserialize)]
struct Themes {
    theme: Vec<ThemeTemplate>,
    fallback: Fallback,
}

#[derive(Debug, Deserialize)]
struct Fallback {
    topic: String,
    evidence: Vec<String>,
}

/// Which side of the purchase a requirement binds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    Vendor,
    Buyer,
}

/// A requirement as the questionnaire cites it.
#[derive(Debug, Clone, Serialize)]
pub struct Cited {
    pub iri: String,
    pub framework: String,
    pub reference: Option<String>,
    pub title: String,
    pub strength: String,
    pub addressees: Vec<String>,
    pub jurisdiction: Option<String>,
    #[serde(skip)]
    provision: Option<String>,
    #[serde(skip)]
    themes: Vec<String>,
    #[serde(skip)]
    order: (usize, usize),
}

impl Cited {
    /// `EU AI Act Art. 50(2): Mark synthetic content as AI-generated`.
    pub fn citation(&self) -> String {
        match &self.reference {
            Some(r) => format!("{} {r}: {}", self.framework, self.title),
            None => format!("{}: {}", self.framework, self.title),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Covered {
    #[serde(flatten)]
    pub requirement: Cited,
    pub side: Side,
}

#[derive(Debug, Clone, Serialize)]
pub struct Question {
    /// `Q1`, `Q2`… in document order.
    pub number: String,
    pub theme: String,
    pub strength: String,
    pub text: String,
    pub evidence: Vec<String>,
    pub covers: Vec<Covered>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Section {
    pub theme: String,
    pub label: String,
    pub questions: Vec<Question>,
}

#[derive(Debug, Clone, Serialize)]
pub struct NotAsked {
    #[serde(flatten)]
    pub requirement: Cited,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Questionnaire {
    pub frameworks: Vec<Framework>,
    pub jurisdictions: Vec<String>,
    pub role: String,
    pub revision: u64,
    pub sections: Vec<Section>,
    pub not_asked: Vec<NotAsked>,
}

fn templates() -> (BTreeMap<String, RoleTemplate>, Wording, Themes) {
    (
        toml::from_str(ROLES).expect("templates/questionnaire/roles.toml is valid"),
        toml::from_str(WORDING).expect("templates/questionnaire/wording.toml is valid"),
        toml::from_str(THEMES).expect("templates/questionnaire/themes.toml is valid"),
    )
}

/// Rank of a deontic strength (local name) for "the strongest requirement".
fn rank(strength: &str) -> u8 {
    match strength {
        "must" => 4,
        "mustNot" => 3,
        "should" => 2,
        "may" => 1,
        _ => 0,
    }
}

/// Builds the questionnaire. Blocking.
pub fn build(
    graph: &Graph,
    codes: &Codes,
    request: &Request,
) -> Result<Questionnaire, QuestionnaireError> {
    if request.frameworks.is_empty() {
        return Err(QuestionnaireError::NoFramework);
    }
    let (roles, wording, themes) = templates();
    let role_base = format!("{}role/", names::ID);
    codes.resolve(&role_base, &request.role)?;
    let role = roles
        .get(&request.role)
        .ok_or_else(|| QuestionnaireError::Role {
            role: request.role.clone(),
            known: roles.keys().cloned().collect::<Vec<_>>().join(", "),
        })?;
    let jurisdiction_base = format!("{}jurisdiction/", names::ID);
    for j in &request.jurisdictions {
        codes.resolve(&jurisdiction_base, j)?;
    }
    let mut frameworks = Vec::new();
    for code in &request.frameworks {
        let framework = Framework::resolve(graph, codes, code)?;
        if !frameworks
            .iter()
            .any(|f: &Framework| f.iri == framework.iri)
        {
            frameworks.push(framework);
        }
    }

    // Requirements of the chosen frameworks, aggregated over their addressee and theme rows.
    let mut requirements: Vec<Cited> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for (f, framework) in frameworks.iter().enumerate() {
        let rows = graph.select(
            "questionnaire: requirements",
            REQUIREMENTS,
            [(
                Variable::new_unchecked("instrument"),
                NamedNode::new_unchecked(framework.iri.clone()).into(),
            )],
        )?;
        for row in &rows {
            let Some(iri) = text(row, "requirement") else {
                continue;
            };
            let i = *index.entry(iri.clone()).or_insert_with(|| {
                requirements.push(Cited {
                    title: text(row, "title").unwrap_or_else(|| local(&iri).to_owned()),
                    framework: framework.name().to_owned(),
                    reference: text(row, "ref"),
                    strength: text(row, "strength")
                        .map(|s| local(&s).to_owned())
                        .unwrap_or_default(),
                    addressees: Vec::new(),
                    jurisdiction: text(row, "jurisdiction"),
                    provision: text(row, "provision"),
                    themes: Vec::new(),
                    order: (f, requirements.len()),
                    iri,
                });
                requirements.len() - 1
            });
            let r = &mut requirements[i];
            if let Some(a) = text(row, "addressee").map(|a| local(&a).to_owned())
                && !r.addressees.contains(&a)
            {
                r.addressees.push(a);
            }
            if let Some(t) = text(row, "theme").map(|t| local(&t).to_owned())
                && !r.themes.contains(&t)
            {
                r.themes.push(t);
            }
        }
    }
    for r in &mut requirements {
        r.addressees.sort();
        r.themes.sort();
    }

    // Scope: jurisdictions, then the side each requirement binds.
    let mut in_scope: Vec<(usize, Side)> = Vec::new();
    let mut not_asked = Vec::new();
    for (i, r) in requirements.iter().enumerate() {
        let jurisdiction_ok = request.jurisdictions.is_empty()
            || r.jurisdiction.as_deref().is_none_or(|j| {
                j == "INTL"
                    || request
                        .jurisdictions
                        .iter()
                        .any(|c| c.eq_ignore_ascii_case(j))
            });
        if !jurisdiction_ok {
            not_asked.push(NotAsked {
                requirement: r.clone(),
                reason: format!(
                    "applies in {}, outside the chosen jurisdictions ({})",
                    r.jurisdiction.as_deref().unwrap_or("?"),
                    request.jurisdictions.join(", ")
                ),
            });
            continue;
        }
        let vendor = r.addressees.iter().any(|a| role.vendor.contains(a));
        let buyer = r.addressees.iter().any(|a| role.buyer.contains(a));
        match (vendor, buyer) {
            (true, _) => in_scope.push((i, Side::Vendor)),
            (false, true) => in_scope.push((i, Side::Buyer)),
            (false, false) => not_asked.push(NotAsked {
                requirement: r.clone(),
                reason: if r.addressees.is_empty() {
                    "names no addressee, so neither the vendor nor the buyer can be asked about it"
                        .into()
                } else {
                    format!(
                        "addressed to {}: neither the vendor nor a {} buying the system",
                        r.addressees.join(", "),
                        role.label
                    )
                },
            }),
        }
    }

    // Clusters: union-find over overlap links between a requirement, its provision and the
    // provisions above it.
    let mut parent_of: HashMap<String, String> = HashMap::new();
    for row in graph.select("questionnaire: structure", STRUCTURE, [])? {
        if let (Some(c), Some(p)) = (text(&row, "child"), text(&row, "parent")) {
            let slot = parent_of.entry(c).or_insert_with(|| p.clone());
            if p < *slot {
                *slot = p;
            }
        }
    }
    let mut anchors: HashMap<String, Vec<usize>> = HashMap::new();
    for (position, (i, _)) in in_scope.iter().enumerate() {
        let r = &requirements[*i];
        let mut node = Some(r.iri.clone());
        let mut next = r.provision.clone();
        let mut seen = BTreeSet::new();
        while let Some(n) = node {
            if !seen.insert(n.clone()) {
                break;
            }
            anchors.entry(n.clone()).or_default().push(position);
            node = next.take();
            next = node.as_ref().and_then(|n| parent_of.get(n).cloned());
        }
    }
    let mut union = UnionFind::new(in_scope.len());
    // Requirements sharing an anchor (the same provision) are one question only when a mapping
    // links them; sharing a provision alone does not merge distinct duties.
    for row in graph.select("questionnaire: links", LINKS, [])? {
        let (Some(a), Some(b)) = (text(&row, "a"), text(&row, "b")) else {
            continue;
        };
        let (Some(left), Some(right)) = (anchors.get(&a), anchors.get(&b)) else {
            continue;
        };
        for &x in left {
            for &y in right {
                union.join(x, y);
            }
        }
    }
    let mut clusters: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for position in 0..in_scope.len() {
        clusters
            .entry(union.find(position))
            .or_default()
            .push(position);
    }

    // Questions: theme by majority (ties: template order), strength the strongest, wording from
    // the templates.
    let theme_order: HashMap<&str, usize> = themes
        .theme
        .iter()
        .enumerate()
        .map(|(i, t)| (t.slug.as_str(), i))
        .collect();
    let mut by_theme: BTreeMap<usize, Vec<Question>> = BTreeMap::new();
    for members in clusters.values() {
        let mut members: Vec<(usize, Side)> = members.iter().map(|&p| in_scope[p]).collect();
        members.sort_by_key(|(i, _)| requirements[*i].order);
        let mut counts: HashMap<&str, usize> = HashMap::new();
        for (i, _) in &members {
            for t in &requirements[*i].themes {
                *counts.entry(t.as_str()).or_default() += 1;
            }
        }
        let theme = counts
            .iter()
            .filter(|(t, _)| theme_order.contains_key(*t))
            .max_by(|a, b| a.1.cmp(b.1).then(theme_order[b.0].cmp(&theme_order[a.0])))
            .map(|(t, _)| *t);
        let template = theme.and_then(|t| themes.theme.iter().find(|x| x.slug == t));
        let strength = members
            .iter()
            .map(|(i, _)| requirements[*i].strength.as_str())
            .max_by_key(|s| rank(s))
            .unwrap_or("should")
            .to_owned();
        let vendor = members.iter().any(|(_, s)| *s == Side::Vendor);
        let buyer = members.iter().any(|(_, s)| *s == Side::Buyer);
        let lead_strength = if template.is_some_and(|t| t.prohibition) {
            "mustNot"
        } else {
            strength.as_str()
        };
        let leads = if vendor {
            &wording.vendor
        } else {
            &wording.buyer
        };
        let lead = leads
            .get(lead_strength)
            .or_else(|| leads.get("should"))
            .cloned()
            .unwrap_or_default()
            .replace("{role}", &role.label);
        let topic = template.map_or(themes.fallback.topic.as_str(), |t| t.topic.as_str());
        // The theme's topic is shared by every question of its section; the titles of the
        // covered requirements (our own titles) say what this one is about.
        let titles: Vec<String> = {
            let mut seen = Vec::new();
            for (i, _) in &members {
                let title = sentence_case(&requirements[*i].title);
                if !seen.contains(&title) {
                    seen.push(title);
                }
            }
            seen
        };
        let mut text = format!("{lead} {topic}. In particular: {}.", titles.join("; "));
        if vendor
            && buyer
            && let Some(suffix) = wording.both.get("suffix")
        {
            text.push(' ');
            text.push_str(&suffix.replace("{role}", &role.label));
        }
        let question = Question {
            number: String::new(),
            theme: theme.unwrap_or("other").to_owned(),
            strength,
            text,
            evidence: template.map_or(themes.fallback.evidence.clone(), |t| t.evidence.clone()),
            covers: members
                .iter()
                .map(|(i, side)| Covered {
                    requirement: requirements[*i].clone(),
                    side: *side,
                })
                .collect(),
        };
        let slot = theme.map_or(usize::MAX, |t| theme_order[t]);
        by_theme.entry(slot).or_default().push(question);
    }
    let labels = theme_labels(graph)?;
    let mut sections = Vec::new();
    let mut n = 0;
    for (_, mut questions) in by_theme {
        questions.sort_by_key(|q| q.covers.first().map(|c| c.requirement.order));
        for q in &mut questions {
            n += 1;
            q.number = format!("Q{n}");
        }
        let theme = questions[0].theme.clone();
        sections.push(Section {
            label: labels
                .get(&theme)
                .cloned()
                .unwrap_or_else(|| "Other requirements".into()),
            theme,
            questions,
        });
    }
    not_asked.sort_by_key(|n| n.requirement.order);
    Ok(Questionnaire {
        frameworks,
        jurisdictions: request.jurisdictions.clone(),
        role: role.label.clone(),
        revision: graph.revision(),
        sections,
        not_asked,
    })
}

/// English theme labels by slug.
fn theme_labels(graph: &Graph) -> Result<HashMap<String, String>, GraphError> {
    let rows = graph.select("questionnaire: theme labels", THEME_LABELS, [])?;
    Ok(rows
        .iter()
        .filter_map(|r| Some((local(&text(r, "t")?).to_owned(), text(r, "l")?)))
        .collect())
}

struct UnionFind(Vec<usize>);

impl UnionFind {
    fn new(n: usize) -> Self {
        Self((0..n).collect())
    }

    fn find(&mut self, x: usize) -> usize {
        let mut root = x;
        while self.0[root] != root {
            root = self.0[root];
        }
        let mut x = x;
        while self.0[x] != root {
            let next = self.0[x];
            self.0[x] = root;
            x = next;
        }
        root
    }

    /// Joins two sets under the smaller root, so roots (and the cluster order) are stable.
    fn join(&mut self, a: usize, b: usize) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra != rb {
            let (low, high) = if ra < rb { (ra, rb) } else { (rb, ra) };
            self.0[high] = low;
        }
    }
}

/// A title as the continuation of a sentence: first letter lower-cased unless the first word is
/// an acronym or a name written in capitals (`AI`, `GPAI`).
fn sentence_case(title: &str) -> String {
    let title = title.trim().trim_end_matches('.');
    let first_word = title.split_whitespace().next().unwrap_or("");
    let acronym = first_word.chars().filter(|c| c.is_uppercase()).count() > 1;
    let mut chars = title.chars();
    match chars.next() {
        Some(c) if !acronym => c.to_lowercase().chain(chars).collect(),
        _ => title.to_owned(),
    }
}

fn strength_label(local: &str) -> &str {
    match local {
        "mustNot" => "must not",
        other => other,
    }
}

impl Questionnaire {
    /// Every requirement the questionnaire cites, with the question citing it.
    pub fn citations(&self) -> impl Iterator<Item = (&str, &Covered)> {
        self.sections
            .iter()
            .flat_map(|s| s.questions.iter())
            .flat_map(|q| q.covers.iter().map(move |c| (q.number.as_str(), c)))
    }

    pub fn markdown(&self) -> String {
        let names: Vec<String> = self
            .frameworks
            .iter()
            .map(|f| match &f.jurisdiction {
                Some(j) => format!("{} ({j})", f.name()),
                None => f.name().to_owned(),
            })
            .collect();
        let questions: usize = self.sections.iter().map(|s| s.questions.len()).sum();
        let cited = self.citations().count();
        let mut out = format!(
            "# Vendor questionnaire for a {} buying an AI system\n\n",
            self.role
        );
        out.push_str(&format!("- Frameworks: {}\n", names.join(", ")));
        if !self.jurisdictions.is_empty() {
            out.push_str(&format!(
                "- Jurisdictions: {} (international standards apply everywhere)\n",
                self.jurisdictions.join(", ")
            ));
        }
        out.push_str(&format!(
            "- {questions} questions covering {cited} requirements; {} requirements not asked (listed at the end)\n",
            self.not_asked.len()
        ));
        out.push_str(&format!(
            "- Crosswalk graph revision {}. One question per cluster of mutually mapped requirements; wording from templates/questionnaire/.\n",
            self.revision
        ));
        for section in &self.sections {
            out.push_str(&format!("\n## {}\n", section.label));
            for q in &section.questions {
                out.push_str(&format!("\n### {}. {}\n\n", q.number, q.text));
                out.push_str("Covers:\n");
                for c in &q.covers {
                    out.push_str(&format!(
                        "- {} ({}; {}{})\n",
                        c.requirement.citation(),
                        strength_label(&c.requirement.strength),
                        c.requirement.addressees.join(", "),
                        if c.side == Side::Buyer {
                            "; your support for our duty"
                        } else {
                            ""
                        }
                    ));
                }
                out.push_str("\nEvidence to attach:\n");
                for e in &q.evidence {
                    out.push_str(&format!("- {e}\n"));
                }
            }
        }
        if !self.not_asked.is_empty() {
            out.push_str("\n## Not asked\n\n| Requirement | Why not |\n|---|---|\n");
            for n in &self.not_asked {
                out.push_str(&format!(
                    "| {} | {} |\n",
                    n.requirement.citation().replace('|', "\\|"),
                    n.reason.replace('|', "\\|")
                ));
            }
        }
        out
    }

    /// One row per question (its covered requirements joined), then one per requirement not
    /// asked; answer and attachment columns left for the vendor.
    pub fn table(&self) -> Table {
        let columns = [
            ("Question", 8.0),
            ("Theme", 22.0),
            ("Strength", 10.0),
            ("Question text", 70.0),
            ("Evidence to attach", 50.0),
            ("Covers", 70.0),
            ("Vendor answer", 50.0),
            ("Attachments", 30.0),
        ];
        let mut rows = Vec::new();
        for section in &self.sections {
            for q in &section.questions {
                rows.push(vec![
                    q.number.clone(),
                    section.label.clone(),
                    strength_label(&q.strength).to_owned(),
                    q.text.clone(),
                    q.evidence.join("; "),
                    q.covers
                        .iter()
                        .map(|c| c.requirement.citation())
                        .collect::<Vec<_>>()
                        .join("; "),
                    String::new(),
                    String::new(),
                ]);
            }
        }
        for n in &self.not_asked {
            rows.push(vec![
                "not asked".into(),
                String::new(),
                strength_label(&n.requirement.strength).to_owned(),
                n.reason.clone(),
                String::new(),
                n.requirement.citation(),
                String::new(),
                String::new(),
            ]);
        }
        Table {
            title: "Questionnaire".into(),
            columns: columns
                .iter()
                .map(|(h, w)| Column {
                    header: (*h).to_owned(),
                    width: *w,
                })
                .collect(),
            rows,
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn templates_parse_and_cover_every_strength() {
        let (roles, wording, themes) = super::templates();
        assert!(roles.contains_key("deployer"));
        for strength in ["must", "mustNot", "should", "may"] {
            assert!(wording.vendor.contains_key(strength), "vendor {strength}");
            assert!(wording.buyer.contains_key(strength), "buyer {strength}");
        }
        assert_eq!(
            themes.theme.len(),
            26,
            "one template per theme of seeds/themes.ttl"
        );
    }
}
