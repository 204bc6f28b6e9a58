//! The mapping vocabularies and how they translate, losslessly for every relationship we store:
//!
//! | `cw:` | OSCAL 1.2 (`map.relationship`) | SSSOM `predicate_id` |
//! |---|---|---|
//! | `equal` | `equivalent-to` (semantic, functional) / `equal-to` (syntactic) | `skos:exactMatch` |
//! | `subsetOf` | `subset-of` | `skos:broadMatch` (the object is broader) |
//! | `supersetOf` | `superset-of` | `skos:narrowMatch` |
//! | `intersectsWith` | `intersects-with` | `skos:closeMatch` |
//! | `related` | `related`, ns `cw:` | `skos:relatedMatch` |
//! | `notRelated` | `notRelated`, ns `cw:` | `skos:relatedMatch` with `predicate_modifier` `Not` |
//! | `supports`, `isSupportedBy`, `contrary` | same token, ns `cw:` | `cw:supports`, … (SSSOM has none) |
//!
//! The SKOS terms are those `graph::derive` materialises for each relationship. OSCAL
//! relationships outside its own namespace carry `ns` = the Crosswalk ontology namespace, so
//! `ns` + token is the `cw:` IRI.

use crate::graph::names;

/// A NIST IR 8477 set-theory relationship or one of our supportive ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub enum Relationship {
    Equal,
    SubsetOf,
    SupersetOf,
    IntersectsWith,
    NotRelated,
    Supports,
    IsSupportedBy,
    Related,
    Contrary,
}

const ALL: [Relationship; 9] = [
    Relationship::Equal,
    Relationship::SubsetOf,
    Relationship::SupersetOf,
    Relationship::IntersectsWith,
    Relationship::NotRelated,
    Relationship::Supports,
    Relationship::IsSupportedBy,
    Relationship::Related,
    Relationship::Contrary,
];

/// The OSCAL namespace; a relationship without `ns` is in it.
pub const OSCAL_NS: &str = "http://csrc.nist.gov/ns/oscal";
const SKOS: &str = "http://www.w3.org/2004/02/skos/core#";

/// An SSSOM predicate: its IRI and whether `predicate_modifier` is `Not`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SssomPredicate {
    pub iri: String,
    pub negated: bool,
}

impl Relationship {
    /// The `cw:` local name.
    pub fn local(self) -> &'static str {
        match self {
            Self::Equal => "equal",
            Self::SubsetOf => "subsetOf",
            Self::SupersetOf => "supersetOf",
            Self::IntersectsWith => "intersectsWith",
            Self::NotRelated => "notRelated",
            Self::Supports => "supports",
            Self::IsSupportedBy => "isSupportedBy",
            Self::Related => "related",
            Self::Contrary => "contrary",
        }
    }

    pub fn iri(self) -> String {
        format!("{}{}", names::CW, self.local())
    }

    pub fn from_iri(iri: &str) -> Option<Self> {
        let local = iri.strip_prefix(names::CW)?;
        ALL.into_iter().find(|r| r.local() == local)
    }

    /// The relationship read from the object's side.
    pub fn inverse(self) -> Self {
        match self {
            Self::SubsetOf => Self::SupersetOf,
            Self::SupersetOf => Self::SubsetOf,
            Self::Supports => Self::IsSupportedBy,
            Self::IsSupportedBy => Self::Supports,
            other => other,
        }
    }

    /// The OSCAL `ns` (None for OSCAL's own namespace) and token. `equal` is OSCAL's
    /// `equivalent-to` (same effective meaning) unless the match was syntactic (`equal-to`).
    pub fn oscal(self, rationale: Option<Rationale>) -> (Option<&'static str>, &'static str) {
        match self {
            Self::Equal if rationale == Some(Rationale::Syntactic) => (None, "equal-to"),
            Self::Equal => (None, "equivalent-to"),
            Self::SubsetOf => (None, "subset-of"),
            Self::SupersetOf => (None, "superset-of"),
            Self::IntersectsWith => (None, "intersects-with"),
            other => (Some(names::CW), other.local()),
        }
    }

    /// Reads an OSCAL relationship: OSCAL's tokens when `ns` is absent or OSCAL's, ours when
    /// `ns` is the Crosswalk namespace.
    pub fn from_oscal(ns: Option<&str>, token: &str) -> Option<Self> {
        match ns.map(|n| n.trim_end_matches('/')) {
            None | Some(OSCAL_NS) => match token {
                "equal-to" | "equivalent-to" => Some(Self::Equal),
                "subset-of" => Some(Self::SubsetOf),
                "superset-of" => Some(Self::SupersetOf),
                "intersects-with" => Some(Self::IntersectsWith),
                _ => None,
            },
            Some(ns) if ns == names::CW || format!("{ns}#") == names::CW => {
                ALL.into_iter().find(|r| r.local() == token)
            }
            Some(_) => None,
        }
    }

    pub fn sssom(self) -> SssomPredicate {
        let skos = |local: &str| SssomPredicate {
            iri: format!("{SKOS}{local}"),
            negated: false,
        };
        match self {
            Self::Equal => skos("exactMatch"),
            Self::SubsetOf => skos("broadMatch"),
            Self::SupersetOf => skos("narrowMatch"),
            Self::IntersectsWith => skos("closeMatch"),
            Self::Related => skos("relatedMatch"),
            Self::NotRelated => SssomPredicate {
                negated: true,
                ..skos("relatedMatch")
            },
            other => SssomPredicate {
                iri: other.iri(),
                negated: false,
            },
        }
    }

    /// Reads an SSSOM predicate (an expanded IRI). Besides our own terms and the SKOS ones
    /// above, OWL equivalence reads as `equal` and `rdfs:subClassOf` as `subsetOf`.
    pub fn from_sssom(iri: &str, negated: bool) -> Option<Self> {
        let relationship = match iri.strip_prefix(SKOS) {
            Some("exactMatch") => Self::Equal,
            Some("broadMatch") => Self::SubsetOf,
            Some("narrowMatch") => Self::SupersetOf,
            Some("closeMatch") => Self::IntersectsWith,
            Some("relatedMatch") => Self::Related,
            Some(_) => return None,
            None => match iri {
                "http://www.w3.org/2002/07/owl#equivalentClass"
                | "http://www.w3.org/2002/07/owl#sameAs" => Self::Equal,
                "http://www.w3.org/2000/01/rdf-schema#subClassOf" => Self::SubsetOf,
                _ => Self::from_iri(iri)?,
            },
        };
        match (relationship, negated) {
            (r, false) => Some(r),
            // "not related" is the only negation we store.
            (Self::Related, true) => Some(Self::NotRelated),
            _ => None,
        }
    }
}

/// Why two elements were judged related (NIST IR 8477 §4.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Rationale {
    Syntactic,
    Semantic,
    Functional,
}

impl Rationale {
    pub fn token(self) -> &'static str {
        match self {
            Self::Syntactic => "syntactic",
            Self::Semantic => "semantic",
            Self::Functional => "functional",
        }
    }

    pub fn iri(self) -> String {
        format!("{}{}", names::CW, self.token())
    }

    pub fn from_token(token: &str) -> Option<Self> {
        [Self::Syntactic, Self::Semantic, Self::Functional]
            .into_iter()
            .find(|r| r.token() == token)
    }

    pub fn from_iri(iri: &str) -> Option<Self> {
        Self::from_token(iri.strip_prefix(names::CW)?)
    }
}

/// How a mapping was produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Method {
    Human,
    Automated,
    Hybrid,
}

impl Method {
    pub fn local(self) -> &'static str {
        match self {
            Self::Human => "human",
            Self::Automated => "automated",
            Self::Hybrid => "hybrid",
        }
    }

    pub fn iri(self) -> String {
        format!("{}{}", names::CW, self.local())
    }

    pub fn from_iri(iri: &str) -> Option<Self> {
        match iri.strip_prefix(names::CW)? {
            "human" => Some(Self::Human),
            "automated" => Some(Self::Automated),
            "hybrid" => Some(Self::Hybrid),
            _ => None,
        }
    }

    /// OSCAL's `method` token.
    pub fn oscal(self) -> &'static str {
        match self {
            Self::Human => "human",
            Self::Automated => "automation",
            Self::Hybrid => "hybrid",
        }
    }

    pub fn from_oscal(token: &str) -> Option<Self> {
        match token {
            "human" => Some(Self::Human),
            "automation" => Some(Self::Automated),
            "hybrid" => Some(Self::Hybrid),
            _ => None,
        }
    }

    /// The SSSOM `mapping_justification` (a semapv term): curated by people, proposed by
    /// software and reviewed, found by software; chained (derived) mappings are
    /// `MappingChaining`.
    pub fn sssom_justification(self, derived: bool) -> &'static str {
        match (self, derived) {
            (_, true) => "semapv:MappingChaining",
            (Self::Human, false) => "semapv:ManualMappingCuration",
            (Self::Hybrid, false) => "semapv:MappingReview",
            (Self::Automated, false) => "semapv:UnspecifiedMatching",
        }
    }

    /// Reads a `mapping_justification` (a semapv CURIE or IRI); None for anything outside
    /// the SSSOM set.
    pub fn from_sssom_justification(value: &str) -> Option<Self> {
        let local = value
            .strip_prefix("semapv:")
            .or_else(|| value.strip_prefix("https://w3id.org/semapv/vocab/"))?;
        Some(match local {
            "ManualMappingCuration" => Self::Human,
            "MappingReview" | "CompositeMatching" => Self::Hybrid,
            "LexicalMatching"
            | "LogicalReasoning"
            | "UnspecifiedMatching"
            | "SemanticSimilarityThresholdMatching"
            | "LexicalSimilarityThresholdMatching"
            | "MappingChaining"
            | "MappingInversion"
            | "StructuralMatching"
            | "InstanceBasedMatching"
            | "BackgroundKnowledgeBasedMatching" => Self::Automated,
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_relationship_survives_oscal_and_sssom() {
        for r in ALL {
            for rationale in [None, Some(Rationale::Syntactic), Some(Rationale::Semantic)] {
                let (ns, token) = r.oscal(rationale);
                assert_eq!(
                    Relationship::from_oscal(ns, token),
                    Some(r),
                    "{r:?} via OSCAL"
                );
            }
            let p = r.sssom();
            assert_eq!(
                Relationship::from_sssom(&p.iri, p.negated),
                Some(r),
                "{r:?} via SSSOM"
            );
            assert_eq!(Relationship::from_iri(&r.iri()), Some(r));
            assert_eq!(r.inverse().inverse(), r);
        }
        assert_eq!(
            Relationship::from_oscal(Some("https://example.org"), "related"),
            None
        );
        assert_eq!(
            Relationship::from_sssom("http://example.org/p", false),
            None
        );
        assert_eq!(
            Relationship::from_sssom(&format!("{SKOS}exactMatch"), true),
            None,
            "only 'not related' is a stored negation"
        );
    }

    #[test]
    fn methods_survive_oscal_and_sssom() {
        for m in [Method::Human, Method::Automated, Method::Hybrid] {
            assert_eq!(Method::from_oscal(m.oscal()), Some(m));
            assert_eq!(
                Method::from_sssom_justification(m.sssom_justification(false)),
                Some(m)
            );
        }
        assert_eq!(Method::from_sssom_justification("semapv:Guesswork"), None);
    }
}
