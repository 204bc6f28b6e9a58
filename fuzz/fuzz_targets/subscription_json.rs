//! The subscription document (`POST /api/subscriptions`, `PATCH`, `crosswalk subscriptions add
//! --json`): bytes → `subscription::parse` → `check` → `resolve` against the codes of a small
//! in-memory catalogue (two jurisdictions, a theme, a role, an instrument).
//!
//! Checks: no panic; a refusal is `Invalid` or a saved-query error (the set of saved queries is
//! empty); an accepted spec has every filter value as an IRI under its kind's identifier base,
//! an http(s) webhook URL or a parseable e-mail address as its channel needs, known kinds and
//! types, and survives a JSON round trip unchanged (it is stored that way).
#![no_main]

use crosswalk::alerts::AlertError;
use crosswalk::alerts::events::KINDS;
use crosswalk::alerts::subscription::{self, Channel, Spec, TYPES};
use crosswalk::graph::Graph;
use crosswalk::graph::codes::Codes;
use crosswalk::sparql::saved::SavedQueries;
use libfuzzer_sys::fuzz_target;
use oxigraph::model::{NamedNode, TripleRef};
use std::sync::OnceLock;

/// (term, type) of the catalogue.
const CATALOGUE: &[(&str, &str)] = &[
    ("jurisdiction/EU", "Jurisdiction"),
    ("jurisdiction/SG", "Jurisdiction"),
    ("theme/content-provenance", "Theme"),
    ("role/provider", "Role"),
    ("instrument/eu-ai-act", "Instrument"),
    ("source/eu-ai-act", "Source"),
];

fn codes() -> &'static Codes {
    static CODES: OnceLock<Codes> = OnceLock::new();
    CODES.get_or_init(|| {
        let graph = Graph::in_memory().expect("graph");
        let g = NamedNode::new_unchecked("urn:fuzz");
        let terms: Vec<(NamedNode, NamedNode)> = CATALOGUE
            .iter()
            .map(|(term, kind)| {
                (
                    NamedNode::new_unchecked(format!("https://w3id.org/crosswalk/id/{term}")),
                    NamedNode::new_unchecked(format!("https://w3id.org/crosswalk/ontology#{kind}")),
                )
            })
            .collect();
        graph
            .replace_graph(
                g.as_ref(),
                terms
                    .iter()
                    .map(|(s, o)| TripleRef::new(s, oxigraph::model::vocab::rdf::TYPE, o)),
            )
            .expect("catalogue");
        Codes::load(&graph).expect("codes")
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(request) = subscription::parse(data) else {
        return;
    };
    let spec = match request.resolve(codes(), &SavedQueries::default(), true) {
        Ok(spec) => spec,
        Err(AlertError::Invalid(_) | AlertError::Saved(_)) => return,
        Err(other) => panic!("refused with {other:?}"),
    };
    let base = "https://w3id.org/crosswalk/id/";
    for (kind, values) in [
        ("jurisdiction", &spec.filter.jurisdiction),
        ("instrument", &spec.filter.instrument),
        ("source", &spec.filter.source),
        ("theme", &spec.filter.theme),
        ("role", &spec.filter.role),
    ] {
        for v in values {
            assert!(v.starts_with(&format!("{base}{kind}/")), "{kind} {v:?}");
        }
    }
    match spec.channel {
        Channel::Webhook => {
            let url = url::Url::parse(spec.url.as_deref().expect("webhook url")).expect("url");
            assert!(matches!(url.scheme(), "http" | "https"));
        }
        Channel::Email => {
            assert!(spec.email.as_deref().expect("email").contains('@'));
        }
        Channel::Atom => assert!(spec.url.is_none() && spec.email.is_none()),
    }
    assert!(spec.filter.kind.iter().all(|k| KINDS.contains(&k.as_str())));
    assert!(!spec.types.is_empty());
    assert!(spec.types.iter().all(|t| TYPES.contains(&t.as_str())));
    let stored = serde_json::to_string(&spec).expect("serialise");
    let back: Spec = serde_json::from_str(&stored).expect("read back");
    assert_eq!(back, spec);
});
