//! Provision-level change detection between two extractions of one source.
//!
//! Entry point: [`diff`]. Provisions are matched by their stable identifier. A changed provision
//! is *editorial* when only whitespace, punctuation or case differ; otherwise it is material and
//! classified, most specific first: a moved date, an obligation strengthened or weakened (the
//! strongest deontic marker in the provision changed rank), or a plain modification.

use crate::extract::Deontic;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// One provision as last stored (or just extracted), reduced to what the diff compares.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ProvisionState {
    pub id: String,
    pub text: String,
    pub strengths: BTreeSet<Deontic>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChangeKind {
    ProvisionAdded,
    ProvisionModified,
    ProvisionRemoved,
    ObligationStrengthened,
    ObligationWeakened,
    DateMoved,
}

impl ChangeKind {
    /// The `cw:changeKind` value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ProvisionAdded => "provision-added",
            Self::ProvisionModified => "provision-modified",
            Self::ProvisionRemoved => "provision-removed",
            Self::ObligationStrengthened => "obligation-strengthened",
            Self::ObligationWeakened => "obligation-weakened",
            Self::DateMoved => "date-moved",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    pub kind: ChangeKind,
    /// Identifier of the provision concerned.
    pub provision: String,
    pub material: bool,
    /// One line for people: what moved where.
    pub detail: String,
}

/// Changes from `old` to `new`, in the new document's order, removals last.
pub fn diff(old: &[ProvisionState], new: &[ProvisionState]) -> Vec<Change> {
    let before: BTreeMap<&str, &ProvisionState> = old.iter().map(|p| (p.id.as_str(), p)).collect();
    let after: BTreeSet<&str> = new.iter().map(|p| p.id.as_str()).collect();
    let mut changes = Vec::new();
    for p in new {
        match before.get(p.id.as_str()) {
            None => changes.push(Change {
                kind: ChangeKind::ProvisionAdded,
                provision: p.id.clone(),
                material: true,
                detail: format!("{} added", p.id),
            }),
            Some(previous) => changes.extend(compare(previous, p)),
        }
    }
    for p in old.iter().filter(|p| !after.contains(p.id.as_str())) {
        changes.push(Change {
            kind: ChangeKind::ProvisionRemoved,
            provision: p.id.clone(),
            material: true,
            detail: format!("{} removed", p.id),
        });
    }
    changes
}

fn compare(old: &ProvisionState, new: &ProvisionState) -> Option<Change> {
    if old.text == new.text && old.strengths == new.strengths {
        return None;
    }
    let change = |kind, material, detail: String| Change {
        kind,
        provision: new.id.clone(),
        material,
        detail,
    };
    if editorial_form(&old.text) == editorial_form(&new.text) {
        return Some(change(
            ChangeKind::ProvisionModified,
            false,
            format!("{}: editorial (whitespace, punctuation or case)", new.id),
        ));
    }
    let (old_dates, old_rest) = dates(&old.text);
    let (new_dates, new_rest) = dates(&new.text);
    if old_dates != new_dates && old_rest == new_rest {
        return Some(change(
            ChangeKind::DateMoved,
            true,
            format!(
                "{}: date {} → {}",
                new.id,
                old_dates.join(", "),
                new_dates.join(", ")
            ),
        ));
    }
    let (was, now) = (rank(&old.strengths), rank(&new.strengths));
    if now != was {
        let kind = if now > was {
            ChangeKind::ObligationStrengthened
        } else {
            ChangeKind::ObligationWeakened
        };
        return Some(change(
            kind,
            true,
            format!(
                "{}: {} → {}",
                new.id,
                strength_words(&old.strengths),
                strength_words(&new.strengths)
            ),
        ));
    }
    Some(change(
        ChangeKind::ProvisionModified,
        true,
        format!("{}: wording changed", new.id),
    ))
}

/// 0 none, 1 may, 2 should, 3 must / must not.
fn rank(strengths: &BTreeSet<Deontic>) -> u8 {
    strengths
        .iter()
        .map(|s| match s {
            Deontic::May => 1,
            Deontic::Should => 2,
            Deontic::Must | Deontic::MustNot => 3,
        })
        .max()
        .unwrap_or(0)
}

fn strength_words(strengths: &BTreeSet<Deontic>) -> String {
    if strengths.is_empty() {
        return "no obligation".into();
    }
    strengths
        .iter()
        .map(|s| match s {
            Deontic::Must => "must",
            Deontic::MustNot => "must not",
            Deontic::Should => "should",
            Deontic::May => "may",
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// Lower-case letters and digits only, words separated by single spaces.
fn editorial_form(text: &str) -> String {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect::<Vec<_>>()
        .join(" ")
}

const MONTHS: &[&str] = &[
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
    "januari",
    "februari",
    "maret",
    "mei",
    "juni",
    "juli",
    "agustus",
    "oktober",
    "desember",
    "mac",
    "jun",
    "julai",
    "ogos",
    "disember",
    "jan",
    "feb",
    "mar",
    "apr",
    "aug",
    "sep",
    "sept",
    "oct",
    "nov",
    "dec",
];

fn is_month(word: &str) -> bool {
    MONTHS.contains(&word)
}

fn is_day(word: &str) -> bool {
    word.len() <= 2 && word.parse::<u8>().is_ok_and(|d| (1..=31).contains(&d))
}

fn is_year(word: &str) -> bool {
    word.len() == 4
        && word
            .parse::<u16>()
            .is_ok_and(|y| (1900..=2200).contains(&y))
}

/// The dates written in `text` (`2 August 2026`, `August 2, 2026`, `2026-08-02`, `1 Januari
/// 2025`) and the text's editorial form with each date replaced by a placeholder.
fn dates(text: &str) -> (Vec<String>, String) {
    let words: Vec<String> = text
        .split(|c: char| !(c.is_alphanumeric() || c == '-'))
        .flat_map(|w| {
            // Keep ISO dates whole; split other hyphenated words.
            if w.len() == 10
                && w.as_bytes().get(4) == Some(&b'-')
                && w.as_bytes().get(7) == Some(&b'-')
            {
                vec![w.to_owned()]
            } else {
                w.split('-').map(str::to_owned).collect()
            }
        })
        .filter(|w| !w.is_empty())
        .map(|w| w.to_lowercase())
        .collect();
    let mut found = Vec::new();
    let mut rest = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let w = |k: usize| words.get(i + k).map(String::as_str).unwrap_or("");
        let iso = w(0).len() == 10 && is_year(&w(0)[..4]) && w(0)[5..7].parse::<u8>().is_ok();
        if iso {
            found.push(w(0).to_owned());
            rest.push("<date>".to_owned());
            i += 1;
        } else if is_day(w(0)) && is_month(w(1)) && is_year(w(2)) {
            found.push(format!("{} {} {}", w(0), w(1), w(2)));
            rest.push("<date>".to_owned());
            i += 3;
        } else if is_month(w(0)) && is_day(w(1)) && is_year(w(2)) {
            found.push(format!("{} {} {}", w(1), w(0), w(2)));
            rest.push("<date>".to_owned());
            i += 3;
        } else {
            rest.push(w(0).to_owned());
            i += 1;
        }
    }
    (found, rest.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(id: &str, text: &str, strengths: &[Deontic]) -> ProvisionState {
        ProvisionState {
            id: id.into(),
            text: text.into(),
            strengths: strengths.iter().copied().collect(),
        }
    }

    #[test]
    fn classifies_each_kind() {
        let old = vec![
            p("art-1", "Providers shall keep logs.", &[Deontic::Must]),
            p("art-2", "This applies from 2 August 2026.", &[]),
            p(
                "art-3",
                "Deployers should inform users.",
                &[Deontic::Should],
            ),
            p("art-4", "Definitions apply.", &[]),
            p(
                "art-5",
                "Importers shall verify conformity.",
                &[Deontic::Must],
            ),
        ];
        let new = vec![
            p("art-1", "Providers  shall keep logs;", &[Deontic::Must]),
            p("art-2", "This applies from 2 August 2027.", &[]),
            p("art-3", "Deployers shall inform users.", &[Deontic::Must]),
            p(
                "art-5",
                "Importers shall verify conformity and labelling.",
                &[Deontic::Must],
            ),
            p("art-6", "New article.", &[]),
        ];
        let changes = diff(&old, &new);
        let kinds: Vec<_> = changes
            .iter()
            .map(|c| (c.provision.as_str(), c.kind, c.material))
            .collect();
        assert_eq!(
            kinds,
            vec![
                ("art-1", ChangeKind::ProvisionModified, false),
                ("art-2", ChangeKind::DateMoved, true),
                ("art-3", ChangeKind::ObligationStrengthened, true),
                ("art-5", ChangeKind::ProvisionModified, true),
                ("art-6", ChangeKind::ProvisionAdded, true),
                ("art-4", ChangeKind::ProvisionRemoved, true),
            ]
        );
        assert!(
            changes[1].detail.contains("2 august 2026 → 2 august 2027"),
            "{}",
            changes[1].detail
        );
        // Weakening, and Indonesian dates.
        let weaker = diff(
            &[p(
                "pasal-1",
                "Penyelenggara wajib melapor paling lambat 1 Januari 2025.",
                &[Deontic::Must],
            )],
            &[p(
                "pasal-1",
                "Penyelenggara dapat melapor paling lambat 1 Januari 2025.",
                &[Deontic::May],
            )],
        );
        assert_eq!(weaker[0].kind, ChangeKind::ObligationWeakened);
        let moved = diff(
            &[p("pasal-2", "Berlaku sejak 1 Januari 2025.", &[])],
            &[p("pasal-2", "Berlaku sejak 1 Juli 2025.", &[])],
        );
        assert_eq!(moved[0].kind, ChangeKind::DateMoved);
        assert!(diff(&old, &old).is_empty());
    }
}
