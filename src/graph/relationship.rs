//! The relationship vocabulary of mappings, in one place: the NIST IR 8477 set-theory relations
//! and our supportive ones (`cw:relationship`), how they read from the other side, how two hops
//! compose (the weakest-link rule of [`super::derive`]), and their SKOS, OSCAL and SSSOM terms.
//!
//! | `cw:` | SKOS match (derived graph) | OSCAL 1.2 `map.relationship` | SSSOM `predicate_id` |
//! |---|---|---|---|
//! | `equal` | `exactMatch` | `equivalent-to` (semantic, functional) / `equal-to` (syntactic) | `skos:exactMatch` |
//! | `subsetOf` | `broadMatch` (the object is broader) | `subset-of` | `skos:broadMatch` |
//! | `supersetOf` | `narrowMatch` | `superset-of` | `skos:narrowMatch` |
//! | `intersectsWith` | `closeMatch` | `intersects-with` | `skos:closeMatch` |
//! | `related` | `relatedMatch` | `related`, ns `cw:` | `skos:relatedMatch` |
//! | `supports`, `isSupportedBy` | `relatedMatch` | same token, ns `cw:` | `cw:supports`, `cw:isSupportedBy` (SSSOM has none) |
//! | `notRelated` | — | `notRelated`, ns `cw:` | `skos:relatedMatch` with `predicate_modifier` `Not` |
//! | `contrary` | — | `contrary`, ns `cw:` | `cw:contrary` |
//!
//! OSCAL relationships outside OSCAL's own namespace carry `ns` = the Crosswalk ontology
//! namespace, so `ns` + token is the `cw:` IRI.

use super::names;

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

/// The OSCAL namespace; a relationship without `ns` is in it.
pub const OSCAL_NS: &str = "http://csrc.nist.gov/ns/oscal";

/// An SSSOM predicate: its IRI and whether `predicate_modifier` is `Not`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SssomPredicate {
    pub iri: String,
    pub negated: bool,
}

impl Relationship {
    pub const ALL: [Self; 9] = [
        Self::Equal,
        Self::SubsetOf,
        Self::SupersetOf,
        Self::IntersectsWith,
        Self::NotRelated,
        Self::Supports,
        Self::IsSupportedBy,
        Self::Related,
        Self::Contrary,
    ];

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
        let local = names::cw_local(iri)?;
        Self::ALL.into_iter().find(|r| r.local() == local)
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

    /// The SKOS match a mapping of this kind asserts; none for `notRelated` and `contrary`,
    /// which also do not chain into derived mappings.
    pub fn skos_match(self) -> Option<&'static str> {
        Some(match self {
            Self::Equal => "exactMatch",
            Self::SubsetOf => "broadMatch",
            Self::SupersetOf => "narrowMatch",
            Self::IntersectsWith => "closeMatch",
            Self::Supports | Self::IsSupportedBy | Self::Related => "relatedMatch",
            Self::NotRelated | Self::Contrary => return None,
        })
    }

    /// A→B then B→C, for relationships that chain (those with a SKOS match). `equal` is the
    /// identity; containment composes only in one direction; A ⊇ B ⊆ C shares B, so A and C
    /// intersect; everything else degrades to `related`.
    pub fn compose(self, next: Self) -> Self {
        match (self, next) {
            (Self::Equal, other) | (other, Self::Equal) => other,
            (Self::SubsetOf, Self::SubsetOf) => Self::SubsetOf,
            (Self::SupersetOf, Self::SupersetOf) => Self::SupersetOf,
            (Self::SupersetOf, Self::SubsetOf) => Self::IntersectsWith,
            (Self::Supports, Self::Supports) => Self::Supports,
            (Self::IsSupportedBy, Self::IsSupportedBy) => Self::IsSupportedBy,
            _ => Self::Related,
        }
    }

    /// Rank for choosing between alternative chains: tighter relationships first.
    pub fn rank(self) -> u8 {
        match self {
            Self::Equal => 4,
            Self::SubsetOf | Self::SupersetOf => 3,
            Self::IntersectsWith => 2,
            Self::Supports | Self::IsSupportedBy => 1,
            Self::Related | Self::NotRelated | Self::Contrary => 0,
        }
    }

    /// The OSCAL `ns` (None for OSCAL's own namespace) and token. `equal` is OSCAL's
    /// `equivalent-to` (same effective meaning) unless the match was syntactic (`equal-to`).
    pub fn oscal(self, syntactic: bool) -> (Option<&'static str>, &'static str) {
        match self {
            Self::Equal if syntactic => (None, "equal-to"),
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
                Self::ALL.into_iter().find(|r| r.local() == token)
            }
            Some(_) => None,
        }
    }

    /// The SSSOM predicate: the SKOS match where SKOS has the meaning, ours otherwise.
    pub fn sssom(self) -> SssomPredicate {
        let skos = |local: &str| SssomPredicate {
            iri: format!("{}{local}", names::SKOS),
            negated: false,
        };
        match self {
            Self::NotRelated => SssomPredicate {
                negated: true,
                ..skos("relatedMatch")
            },
            // relatedMatch would lose their direction.
            Self::Supports | Self::IsSupportedBy | Self::Contrary => SssomPredicate {
                iri: self.iri(),
                negated: false,
            },
            other => skos(
                other
                    .skos_match()
                    .expect("the other relationships have one"),
            ),
        }
    }

    /// Reads an SSSOM predicate (an expanded IRI). Besides our own terms and the SKOS ones
    /// above, OWL equivalence reads as `equal` and `rdfs:subClassOf` as `subsetOf`.
    pub fn from_sssom(iri: &str, negated: bool) -> Option<Self> {
        let relationship = match iri.strip_prefix(names::SKOS) {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_relationship_survives_oscal_and_sssom() {
        for r in Relationship::ALL {
            for syntactic in [false, true] {
                let (ns, token) = r.oscal(syntactic);
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
            Relationship::from_sssom(&format!("{}exactMatch", names::SKOS), true),
            None,
            "only 'not related' is a stored negation"
        );
    }

    #[test]
    fn sssom_uses_the_skos_match_derivation_materialises() {
        for r in [
            Relationship::Equal,
            Relationship::SubsetOf,
            Relationship::SupersetOf,
            Relationship::IntersectsWith,
            Relationship::Related,
        ] {
            assert_eq!(
                r.sssom().iri,
                format!("{}{}", names::SKOS, r.skos_match().unwrap())
            );
        }
    }

    #[test]
    fn chains_follow_the_weakest_link() {
        use Relationship::*;
        assert_eq!(Equal.compose(Equal), Equal);
        assert_eq!(Equal.compose(SubsetOf), SubsetOf);
        assert_eq!(Related.compose(Equal), Related);
        assert_eq!(SubsetOf.compose(SubsetOf), SubsetOf);
        assert_eq!(SupersetOf.compose(SubsetOf), IntersectsWith);
        assert_eq!(SubsetOf.compose(SupersetOf), Related);
        assert_eq!(IntersectsWith.compose(Equal), IntersectsWith);
        assert_eq!(Supports.compose(IsSupportedBy), Related);
    }
}
