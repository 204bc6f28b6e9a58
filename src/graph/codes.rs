//! Short codes users type for catalogue terms: the part of a typed term's IRI after its
//! identifier base (`us-nist-ai-rmf` under `…/id/instrument/`, `SG` under `…/id/jurisdiction/`,
//! `deployer` under `…/id/role/`). A code the graph does not know is refused with the closest
//! known ones, so a near miss (`iso-42001`) is an error rather than a plausible empty answer.
//!
//! The server keeps one [`Codes`] per graph revision ([`super::cache::PerRevision`]), so request
//! handlers pay for the scan only after a write.

use super::{Graph, GraphError, names};
use oxigraph::model::Term;
use std::collections::{BTreeMap, BTreeSet};

const TYPED_IDS: &str = include_str!("../../queries/codes/typed-ids.rq");

/// A code (or IRI) that names no term of its kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} {code:?}{}", suggestion(.closest))]
pub struct UnknownCode {
    /// What was looked up: `instrument`, `jurisdiction`, `role`, …
    pub kind: String,
    pub code: String,
    /// Known codes of that kind, most similar first (at most three).
    pub closest: Vec<String>,
}

fn suggestion(closest: &[String]) -> String {
    if closest.is_empty() {
        String::new()
    } else {
        format!("; closest known: {}", closest.join(", "))
    }
}

/// Every identifier base of the graph (`…/id/instrument/`) with the codes of the typed terms
/// under it.
#[derive(Debug, Default)]
pub struct Codes {
    by_base: BTreeMap<String, BTreeSet<String>>,
    revision: u64,
}

impl Codes {
    /// Reads the typed terms under `…/id/` from the graph. Blocking.
    pub fn load(graph: &Graph) -> Result<Self, GraphError> {
        let revision = graph.revision();
        let mut by_base: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for row in graph.select("codes: typed identifiers", TYPED_IDS, [])? {
            let Some(Term::NamedNode(node)) = row.get("s") else {
                continue;
            };
            let Some(rest) = node.as_str().strip_prefix(names::ID) else {
                continue;
            };
            if let Some((kind, code)) = rest.split_once('/')
                && !code.is_empty()
            {
                by_base
                    .entry(format!("{}{kind}/", names::ID))
                    .or_default()
                    .insert(code.to_owned());
            }
        }
        Ok(Self { by_base, revision })
    }

    /// The graph revision these codes were read at.
    pub fn revision(&self) -> u64 {
        self.revision
    }

    /// The known codes under `base` (`https://w3id.org/crosswalk/id/instrument/`).
    pub fn under(&self, base: &str) -> impl Iterator<Item = &str> {
        self.by_base
            .get(base)
            .into_iter()
            .flat_map(|codes| codes.iter().map(String::as_str))
    }

    /// Checks that `iri` is a known term under `base`; the error names the closest codes.
    pub fn check_iri(&self, base: &str, iri: &str) -> Result<(), UnknownCode> {
        let code = iri.strip_prefix(base).unwrap_or(iri);
        if iri.starts_with(base) && self.by_base.get(base).is_some_and(|c| c.contains(code)) {
            return Ok(());
        }
        Err(UnknownCode {
            kind: kind_of(base),
            code: code.to_owned(),
            closest: self.closest(base, code),
        })
    }

    /// Resolves a code or a full IRI under `base` to the term's IRI.
    pub fn resolve(&self, base: &str, code_or_iri: &str) -> Result<String, UnknownCode> {
        let iri = if code_or_iri.starts_with(base) {
            code_or_iri.to_owned()
        } else {
            format!("{base}{code_or_iri}")
        };
        self.check_iri(base, &iri).map(|()| iri)
    }

    /// Up to three known codes under `base` most like `code`: those containing it first
    /// (`iso-42001` is in `iso-iec-42001` once the separators go), then by Jaro-Winkler
    /// similarity.
    pub fn closest(&self, base: &str, code: &str) -> Vec<String> {
        let squash = |s: &str| -> String {
            s.chars()
                .filter(char::is_ascii_alphanumeric)
                .flat_map(char::to_lowercase)
                .collect()
        };
        let wanted = squash(code);
        let mut scored: Vec<(bool, f64, &str)> = self
            .under(base)
            .map(|known| {
                let k = squash(known);
                // A known code that contains the wanted one is a near miss; one the wanted code
                // merely contains (`GOVERN` in `GOVERN-1.9`) is not.
                let contained =
                    !wanted.is_empty() && (k.contains(&wanted) || subsequence(&wanted, &k));
                (
                    contained,
                    strsim::jaro_winkler(&code.to_lowercase(), &known.to_lowercase()),
                    known,
                )
            })
            .collect();
        scored.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.total_cmp(&a.1)).then(a.2.cmp(b.2)));
        scored
            .into_iter()
            .take(3)
            .filter(|(contained, score, _)| *contained || *score > 0.6)
            .map(|(_, _, known)| known.to_owned())
            .collect()
    }
}

/// True when every character of `short` occurs in `long` in order (`iso42001` in
/// `isoiec42001`).
fn subsequence(short: &str, long: &str) -> bool {
    let mut rest = long.chars();
    short.len() >= 4 && short.chars().all(|c| rest.any(|l| l == c))
}

/// `…/id/instrument/` → `instrument`.
fn kind_of(base: &str) -> String {
    base.trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or("term")
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes() -> Codes {
        let mut by_base = BTreeMap::new();
        by_base.insert(
            format!("{}instrument/", names::ID),
            [
                "iso-iec-42001",
                "iso-iec-23894",
                "sg-mgf-genai",
                "us-nist-ai-rmf",
            ]
            .into_iter()
            .map(String::from)
            .collect(),
        );
        Codes {
            by_base,
            revision: 0,
        }
    }

    #[test]
    fn near_misses_name_the_closest_codes() {
        let base = format!("{}instrument/", names::ID);
        let codes = codes();
        assert!(codes.resolve(&base, "sg-mgf-genai").is_ok());
        let err = codes.resolve(&base, "iso-42001").unwrap_err();
        assert_eq!(err.kind, "instrument");
        assert_eq!(
            err.closest.first().map(String::as_str),
            Some("iso-iec-42001")
        );
        assert!(
            err.to_string().contains("closest known: iso-iec-42001"),
            "{err}"
        );
        // A full IRI under another base is not a known instrument.
        assert!(
            codes
                .check_iri(&base, "https://example.org/instrument/sg-mgf-genai")
                .is_err()
        );
    }
}
