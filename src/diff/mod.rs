//! Provision-level change detection between two extractions of one source.
//!
//! Entry point: [`diff`]. Provisions are matched by their stable identifier; a provision whose
//! text reappears unchanged under another identifier (the old one gone or reworded) is one
//! `provision-renumbered` change, not a removal plus an addition. A changed provision is
//! *editorial* when only whitespace, punctuation or case differ; otherwise it is material and
//! classified, most specific first: a moved date, a new or removed obligation sentence, an
//! obligation strengthened or weakened (the strongest deontic marker changed rank), a changed
//! addressee, or a plain modification. Every other kind that also applies is kept as an
//! aspect, and the changed words as a word diff ([`words`]).

pub mod words;

use crate::extract::Deontic;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
pub use words::WordDiff;

/// A candidate obligation sentence of a provision, as the diff compares it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObligationState {
    pub sentence: String,
    pub strength: Deontic,
    /// Role slugs.
    pub addressees: BTreeSet<String>,
}

/// One provision as last stored (or just extracted), reduced to what the diff compares.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ProvisionState {
    pub id: String,
    pub text: String,
    pub strengths: BTreeSet<Deontic>,
    /// Its candidate obligations in document order.
    pub obligations: Vec<ObligationState>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChangeKind {
    ProvisionAdded,
    ProvisionModified,
    ProvisionRemoved,
    ProvisionRenumbered,
    ObligationAdded,
    ObligationRemoved,
    ObligationStrengthened,
    ObligationWeakened,
    AddresseeChanged,
    DateMoved,
}

impl ChangeKind {
    pub const ALL: [ChangeKind; 10] = [
        Self::ProvisionAdded,
        Self::ProvisionModified,
        Self::ProvisionRemoved,
        Self::ProvisionRenumbered,
        Self::ObligationAdded,
        Self::ObligationRemoved,
        Self::ObligationStrengthened,
        Self::ObligationWeakened,
        Self::AddresseeChanged,
        Self::DateMoved,
    ];

    /// The `cw:changeKind` value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ProvisionAdded => "provision-added",
            Self::ProvisionModified => "provision-modified",
            Self::ProvisionRemoved => "provision-removed",
            Self::ProvisionRenumbered => "provision-renumbered",
            Self::ObligationAdded => "obligation-added",
            Self::ObligationRemoved => "obligation-removed",
            Self::ObligationStrengthened => "obligation-strengthened",
            Self::ObligationWeakened => "obligation-weakened",
            Self::AddresseeChanged => "addressee-changed",
            Self::DateMoved => "date-moved",
        }
    }
}

/// An obligation a change concerns: by its position in the provision's old or new list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Touched {
    Old(usize),
    New(usize),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    pub kind: ChangeKind,
    /// Identifier of the provision concerned (its new identifier when renumbered).
    pub provision: String,
    /// The identifier it had before, when renumbered.
    pub previous: Option<String>,
    pub material: bool,
    /// One line for people: what moved where.
    pub detail: String,
    /// Further kinds the same change also is (a strengthened obligation whose addressee
    /// changed too), most specific first.
    pub aspects: Vec<ChangeKind>,
    /// The provision's text before and after (absent on the side where it does not exist).
    pub old_text: Option<String>,
    pub new_text: Option<String>,
    /// The changed words of a modified provision.
    pub words: Option<WordDiff>,
    /// The obligations the change concerns.
    pub obligations: Vec<Touched>,
}

impl Change {
    fn new(kind: ChangeKind, provision: &str, material: bool, detail: String) -> Self {
        Self {
            kind,
            provision: provision.to_owned(),
            previous: None,
            material,
            detail,
            aspects: Vec::new(),
            old_text: None,
            new_text: None,
            words: None,
            obligations: Vec::new(),
        }
    }

    /// The primary kind and every aspect.
    pub fn kinds(&self) -> impl Iterator<Item = ChangeKind> + '_ {
        std::iter::once(self.kind).chain(self.aspects.iter().copied())
    }
}

/// Fewest words a text needs to count as the same provision under a new identifier (short
/// texts such as "[Deleted]" recur under many identifiers).
const RENUMBER_MIN_WORDS: usize = 4;

/// Changes from `old` to `new`, in the new document's order, removals last.
pub fn diff(old: &[ProvisionState], new: &[ProvisionState]) -> Vec<Change> {
    let before: BTreeMap<&str, &ProvisionState> = old.iter().map(|p| (p.id.as_str(), p)).collect();
    let after: BTreeMap<&str, &ProvisionState> = new.iter().map(|p| (p.id.as_str(), p)).collect();
    let moves = renumbered(old, new, &before, &after);
    let sources: BTreeSet<&str> = moves.values().copied().collect();
    let mut changes = Vec::new();
    for p in new {
        if let Some(from) = moves.get(p.id.as_str()) {
            let mut change = Change::new(
                ChangeKind::ProvisionRenumbered,
                &p.id,
                false,
                format!("{from} renumbered as {} (same text)", p.id),
            );
            change.previous = Some((*from).to_owned());
            change.old_text = Some(before[from].text.clone());
            change.new_text = Some(p.text.clone());
            change.obligations = (0..p.obligations.len()).map(Touched::New).collect();
            changes.push(change);
            continue;
        }
        match before.get(p.id.as_str()) {
            Some(previous) if !sources.contains(p.id.as_str()) => {
                changes.extend(compare(previous, p));
            }
            _ => {
                let mut change = Change::new(
                    ChangeKind::ProvisionAdded,
                    &p.id,
                    true,
                    format!("{} added", p.id),
                );
                change.new_text = Some(p.text.clone());
                change.obligations = (0..p.obligations.len()).map(Touched::New).collect();
                changes.push(change);
            }
        }
    }
    for p in old {
        // Moved away: reported as renumbered. Otherwise gone when its identifier is gone or now
        // holds a provision moved there.
        let gone = !sources.contains(p.id.as_str())
            && (!after.contains_key(p.id.as_str()) || moves.contains_key(p.id.as_str()));
        if gone {
            let mut change = Change::new(
                ChangeKind::ProvisionRemoved,
                &p.id,
                true,
                format!("{} removed", p.id),
            );
            change.old_text = Some(p.text.clone());
            change.obligations = (0..p.obligations.len()).map(Touched::Old).collect();
            changes.push(change);
        }
    }
    changes
}

/// New identifier → old identifier for provisions whose text (in editorial form) moved: the
/// text is found under another old identifier that no longer holds it.
fn renumbered<'a>(
    old: &'a [ProvisionState],
    new: &'a [ProvisionState],
    before: &BTreeMap<&str, &ProvisionState>,
    after: &BTreeMap<&str, &ProvisionState>,
) -> BTreeMap<&'a str, &'a str> {
    let mut by_text: BTreeMap<String, Vec<&'a str>> = BTreeMap::new();
    for p in old {
        let form = editorial_form(&p.text);
        if form.split(' ').count() < RENUMBER_MIN_WORDS {
            continue;
        }
        // Still in place under its own identifier: it did not move.
        let stays = after
            .get(p.id.as_str())
            .is_some_and(|n| editorial_form(&n.text) == form);
        if !stays {
            by_text.entry(form).or_default().push(p.id.as_str());
        }
    }
    let mut moves = BTreeMap::new();
    for p in new {
        let form = editorial_form(&p.text);
        let unchanged_here = before
            .get(p.id.as_str())
            .is_some_and(|o| editorial_form(&o.text) == form);
        if unchanged_here {
            continue;
        }
        if let Some(candidates) = by_text.get_mut(&form)
            && let Some(pos) = candidates.iter().position(|id| *id != p.id)
        {
            moves.insert(p.id.as_str(), candidates.remove(pos));
        }
    }
    moves
}

fn compare(old: &ProvisionState, new: &ProvisionState) -> Option<Change> {
    if old.text == new.text && old.strengths == new.strengths && old.obligations == new.obligations
    {
        return None;
    }
    let words = WordDiff::compute(&old.text, &new.text);
    let with_texts = |mut change: Change| {
        change.old_text = Some(old.text.clone());
        change.new_text = Some(new.text.clone());
        change.words = Some(words.clone());
        change
    };
    if editorial_form(&old.text) == editorial_form(&new.text) {
        return Some(with_texts(Change::new(
            ChangeKind::ProvisionModified,
            &new.id,
            false,
            format!("{}: editorial (whitespace, punctuation or case)", new.id),
        )));
    }
    let matched = match_obligations(&old.obligations, &new.obligations);
    // Every kind that applies, most specific first, each with one line of detail.
    let mut found: Vec<(ChangeKind, String)> = Vec::new();
    let (old_dates, old_rest) = dates(&old.text);
    let (new_dates, new_rest) = dates(&new.text);
    if old_dates != new_dates && old_rest == new_rest {
        found.push((
            ChangeKind::DateMoved,
            format!("date {} → {}", old_dates.join(", "), new_dates.join(", ")),
        ));
    }
    if !matched.added.is_empty() {
        found.push((
            ChangeKind::ObligationAdded,
            format!("{} new obligation sentence(s)", matched.added.len()),
        ));
    }
    if !matched.removed.is_empty() {
        found.push((
            ChangeKind::ObligationRemoved,
            format!("{} obligation sentence(s) removed", matched.removed.len()),
        ));
    }
    let (was, now) = (rank(&old.strengths), rank(&new.strengths));
    if now != was {
        let kind = if now > was {
            ChangeKind::ObligationStrengthened
        } else {
            ChangeKind::ObligationWeakened
        };
        found.push((
            kind,
            format!(
                "{} → {}",
                strength_words(&old.strengths),
                strength_words(&new.strengths)
            ),
        ));
    }
    let readdressed: Vec<(usize, usize)> = matched
        .pairs
        .iter()
        .copied()
        .filter(|&(o, n)| old.obligations[o].addressees != new.obligations[n].addressees)
        .collect();
    if let Some(&(o, n)) = readdressed.first() {
        let names = |set: &BTreeSet<String>| {
            if set.is_empty() {
                "no named addressee".to_owned()
            } else {
                set.iter().cloned().collect::<Vec<_>>().join(", ")
            }
        };
        found.push((
            ChangeKind::AddresseeChanged,
            format!(
                "addressee {} → {}",
                names(&old.obligations[o].addressees),
                names(&new.obligations[n].addressees)
            ),
        ));
    }
    if found.is_empty() {
        found.push((ChangeKind::ProvisionModified, "wording changed".into()));
    }
    let (kind, first) = found.remove(0);
    let mut detail = format!("{}: {first}", new.id);
    for (_, more) in &found {
        detail.push_str("; ");
        detail.push_str(more);
    }
    let mut change = with_texts(Change::new(kind, &new.id, true, detail));
    change.aspects = found.into_iter().map(|(k, _)| k).collect();
    // The obligations concerned: new and removed ones, and matched ones that changed.
    let mut touched: Vec<Touched> = matched.added.iter().map(|&n| Touched::New(n)).collect();
    touched.extend(matched.removed.iter().map(|&o| Touched::Old(o)));
    touched.extend(
        matched
            .pairs
            .iter()
            .filter(|&&(o, n)| old.obligations[o] != new.obligations[n])
            .map(|&(_, n)| Touched::New(n)),
    );
    change.obligations = touched;
    Some(change)
}

/// Old and new obligation sentences paired by similarity.
struct Matched {
    pairs: Vec<(usize, usize)>,
    added: Vec<usize>,
    removed: Vec<usize>,
}

/// Sentences this similar (similar's ratio over words) are the same obligation reworded.
const SAME_OBLIGATION: f32 = 0.6;

fn match_obligations(old: &[ObligationState], new: &[ObligationState]) -> Matched {
    let mut taken = vec![false; old.len()];
    let mut pairs = Vec::new();
    let mut added = Vec::new();
    for (n, candidate) in new.iter().enumerate() {
        let best = old
            .iter()
            .enumerate()
            .filter(|(o, _)| !taken[*o])
            .map(|(o, previous)| {
                let ratio = if previous.sentence == candidate.sentence {
                    1.0
                } else {
                    similar::TextDiff::configure()
                        .timeout(std::time::Duration::from_millis(50))
                        .diff_words(previous.sentence.as_str(), candidate.sentence.as_str())
                        .ratio()
                };
                (o, ratio)
            })
            .filter(|&(_, r)| r >= SAME_OBLIGATION)
            .max_by(|a, b| a.1.total_cmp(&b.1));
        match best {
            Some((o, _)) => {
                taken[o] = true;
                pairs.push((o, n));
            }
            None => added.push(n),
        }
    }
    let removed = (0..old.len()).filter(|&o| !taken[o]).collect();
    Matched {
        pairs,
        added,
        removed,
    }
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
        // By `get`, not by index: a 10-byte word with an accent ("catégorie") has no character
        // boundary at byte 4, and slicing there panicked.
        let iso = w(0).len() == 10
            && w(0).as_bytes()[4] == b'-'
            && w(0).as_bytes()[7] == b'-'
            && w(0).get(..4).is_some_and(is_year)
            && w(0).get(5..7).is_some_and(|m| m.parse::<u8>().is_ok());
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
mod tests;
