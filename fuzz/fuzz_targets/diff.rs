//! Two extractions of one source → `diff::diff`, the provision-level comparison whose date
//! detection once sliced words at byte offsets (a panic on "catégorie", issue 18).
//!
//! Input: UTF-8 (lossy); the old and the new extraction separated by a NUL byte; one provision
//! per line as `id<TAB>text<TAB>strengths`, strengths a string of `m` (must), `n` (must not),
//! `s` (should), `y` (may).
//! Checks: no panic; a document compared with itself has no changes; every change names a
//! provision of one side (added ones only of the new, removed ones only of the old or from an
//! identifier that now holds a renumbered provision, renumbered ones of the new with their
//! previous identifier of the old, the rest of both); at most one change per provision besides
//! such a removal; an editorial change is never material; word summaries are short.
#![no_main]

use crosswalk::diff::{ChangeKind, ProvisionState, diff};
use crosswalk::extract::Deontic;
use libfuzzer_sys::fuzz_target;
use std::collections::{BTreeMap, BTreeSet};

fn provisions(text: &str) -> Vec<ProvisionState> {
    let mut seen = BTreeSet::new();
    text.lines()
        .filter_map(|line| {
            let mut fields = line.splitn(3, '\t');
            let id = fields.next()?.to_owned();
            // Identifiers are unique within an extraction.
            if !seen.insert(id.clone()) {
                return None;
            }
            let text = fields.next().unwrap_or("").to_owned();
            let strengths = fields
                .next()
                .unwrap_or("")
                .chars()
                .filter_map(|c| match c {
                    'm' => Some(Deontic::Must),
                    'n' => Some(Deontic::MustNot),
                    's' => Some(Deontic::Should),
                    'y' => Some(Deontic::May),
                    _ => None,
                })
                .collect();
            Some(ProvisionState {
                id,
                text,
                strengths,
                obligations: Vec::new(),
            })
        })
        .collect()
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (old, new) = text.split_once('\0').unwrap_or((&text, ""));
    let (old, new) = (provisions(old), provisions(new));
    assert!(
        diff(&old, &old).is_empty(),
        "a document differs from itself"
    );
    let old_ids: BTreeSet<&str> = old.iter().map(|p| p.id.as_str()).collect();
    let new_ids: BTreeSet<&str> = new.iter().map(|p| p.id.as_str()).collect();
    let mut per_provision: BTreeMap<(&str, bool), usize> = BTreeMap::new();
    let changes = diff(&old, &new);
    let renumbered_into: BTreeSet<&str> = changes
        .iter()
        .filter(|c| c.kind == ChangeKind::ProvisionRenumbered)
        .map(|c| c.provision.as_str())
        .collect();
    for change in &changes {
        let id = change.provision.as_str();
        let removal = change.kind == ChangeKind::ProvisionRemoved;
        *per_provision.entry((id, removal)).or_default() += 1;
        match change.kind {
            ChangeKind::ProvisionAdded => assert!(new_ids.contains(id), "{change:?}"),
            ChangeKind::ProvisionRemoved => assert!(
                old_ids.contains(id) && (!new_ids.contains(id) || renumbered_into.contains(id)),
                "{change:?}"
            ),
            ChangeKind::ProvisionRenumbered => {
                let previous = change.previous.as_deref().unwrap_or("");
                assert!(new_ids.contains(id) && old_ids.contains(previous), "{change:?}");
                assert!(!change.material, "{change:?}");
            }
            _ => assert!(old_ids.contains(id) && new_ids.contains(id), "{change:?}"),
        }
        if let Some(words) = &change.words {
            assert!(words.summary().chars().count() < 400, "{change:?}");
        }
        if change.detail.contains("editorial") {
            assert!(!change.material, "{change:?}");
        }
    }
    assert!(per_provision.values().all(|n| *n == 1), "{changes:?}");
});
