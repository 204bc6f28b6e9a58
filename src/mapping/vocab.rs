//! The vocabularies of a mapping besides its relationship (which lives in
//! [`crate::graph::relationship`], beside the derivation that chains it): why two elements were
//! judged related ([`Rationale`], NIST IR 8477 §4.3) and how the mapping was produced
//! ([`Method`]), in `cw:`, OSCAL and SSSOM (semapv) terms.

use crate::graph::names;

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
