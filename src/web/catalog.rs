//! What pages name things by, read from the whole graph once per revision: every instrument
//! (short name, jurisdiction, legal status, whether it binds) and the labels of vocabulary
//! terms in each language (`queries/web/instruments.rq`, `queries/web/labels.rq`).

use super::i18n::Lang;
use super::layout::{Badge, local};
use crate::graph::{Graph, GraphError, names};
use oxigraph::model::Term;
use oxigraph::sparql::QuerySolution;
use std::collections::{BTreeMap, HashMap};

const INSTRUMENTS: &str = include_str!("../../queries/web/instruments.rq");
const LABELS: &str = include_str!("../../queries/web/labels.rq");

#[derive(Debug, Clone, Default)]
pub struct Instrument {
    pub iri: String,
    /// The short code (`sg-mgf-genai`).
    pub code: String,
    pub name: String,
    pub jurisdiction_code: Option<String>,
    pub status: Option<String>,
    pub binding: Option<bool>,
    pub kind: Option<String>,
    pub url: Option<String>,
}

impl Instrument {
    /// Whether its text may be quoted: EU legislation and US-government works, never standards
    /// (the rule of `queries/export/framework.rq`; seeds/README.md "Quoting policy").
    pub fn quotable(&self) -> bool {
        let standard = format!("{}type/standard", names::ID);
        matches!(self.jurisdiction_code.as_deref(), Some("EU" | "US"))
            && self.kind.as_deref() != Some(standard.as_str())
    }
}

#[derive(Debug, Default)]
pub struct Catalog {
    pub instruments: BTreeMap<String, Instrument>,
    /// term IRI → its label in each language (in [`Lang::ALL`] order), resolved once at load:
    /// pages ask for hundreds of labels per render.
    labels: HashMap<String, [String; 3]>,
    binding: HashMap<String, bool>,
}

fn text(row: &QuerySolution, var: &str) -> Option<String> {
    match row.get(var)? {
        Term::NamedNode(n) => Some(n.as_str().to_owned()),
        Term::Literal(l) => Some(l.value().to_owned()).filter(|s| !s.trim().is_empty()),
        _ => None,
    }
}

impl Catalog {
    /// Reads instruments and labels. Blocking.
    pub fn load(graph: &Graph) -> Result<Self, GraphError> {
        let mut catalog = Self::default();
        // term IRI → (language, label, is prefLabel), in the query's order.
        let mut labels: HashMap<String, Vec<(String, String, bool)>> = HashMap::new();
        for row in graph.select("web: labels", LABELS, [])? {
            let (Some(Term::NamedNode(term)), Some(Term::Literal(label))) =
                (row.get("term"), row.get("label"))
            else {
                continue;
            };
            let pref = text(&row, "pref").as_deref() == Some("true");
            let lang = label.language().unwrap_or("").to_ascii_lowercase();
            labels.entry(term.as_str().to_owned()).or_default().push((
                lang,
                label.value().to_owned(),
                pref,
            ));
            if let Some(binding) = text(&row, "binding") {
                catalog
                    .binding
                    .insert(term.as_str().to_owned(), binding == "true");
            }
        }
        catalog.labels = labels
            .into_iter()
            .map(|(term, labels)| (term, Lang::ALL.map(|lang| pick_label(&labels, lang))))
            .collect();
        let base = format!("{}instrument/", names::ID);
        for row in graph.select("web: instruments", INSTRUMENTS, [])? {
            let Some(iri) = text(&row, "instrument") else {
                continue;
            };
            if catalog.instruments.contains_key(&iri) {
                continue;
            }
            let code = iri.strip_prefix(&base).unwrap_or(local(&iri)).to_owned();
            let title = text(&row, "title");
            let instrument = Instrument {
                name: text(&row, "name").or(title).unwrap_or_else(|| code.clone()),
                jurisdiction_code: text(&row, "code"),
                status: text(&row, "status"),
                binding: text(&row, "binding").map(|b| b == "true"),
                kind: text(&row, "type"),
                url: text(&row, "url"),
                code,
                iri: iri.clone(),
            };
            catalog.instruments.insert(iri, instrument);
        }
        Ok(catalog)
    }

    /// A term's label in `lang` (prefLabel before rdfs:label), else English, else any, else
    /// the IRI's last segment.
    pub fn label(&self, iri: &str, lang: Lang) -> String {
        self.label_opt(iri, lang)
            .unwrap_or_else(|| local(iri).to_owned())
    }

    pub fn label_opt(&self, iri: &str, lang: Lang) -> Option<String> {
        Some(self.labels.get(iri)?[lang as usize].clone())
    }

    /// The label of a short code under an identifier base (`theme/`, `role/`, `status/`,
    /// `jurisdiction/`).
    pub fn code_label(&self, base: &str, code: &str, lang: Lang) -> String {
        let iri = format!("{}{base}{code}", names::ID);
        self.label_opt(&iri, lang)
            .unwrap_or_else(|| code.to_owned())
    }

    pub fn binding(&self, status_iri: &str) -> Option<bool> {
        self.binding.get(status_iri).copied()
    }

    pub fn instrument(&self, iri: &str) -> Option<&Instrument> {
        self.instruments.get(iri)
    }

    /// The instrument whose code is `code` (or whose IRI is `code`).
    pub fn by_code(&self, code: &str) -> Option<&Instrument> {
        self.instruments
            .get(code)
            .or_else(|| self.instruments.values().find(|i| i.code == code))
    }

    pub fn jurisdiction_badge(&self, code: &str, lang: Lang) -> Badge {
        Badge::jurisdiction(code, &self.code_label("jurisdiction/", code, lang))
    }

    /// A legal status badge from a status IRI.
    pub fn status_badge(&self, status_iri: &str, lang: Lang) -> Badge {
        Badge::status(
            &self.label(status_iri, lang),
            self.binding(status_iri),
            lang,
        )
    }
}

/// A term's label in `lang` (prefLabel before rdfs:label), else English, else its first.
fn pick_label(labels: &[(String, String, bool)], lang: Lang) -> String {
    let pick = |code: &str| {
        labels
            .iter()
            .filter(|(l, _, _)| {
                l == code
                    || l.strip_prefix(code)
                        .is_some_and(|rest| rest.starts_with('-'))
            })
            .max_by_key(|(_, _, pref)| *pref)
            .map(|(_, label, _)| label.clone())
    };
    pick(lang.code())
        .or_else(|| pick("en"))
        .or_else(|| labels.first().map(|(_, l, _)| l.clone()))
        .unwrap_or_default()
}
