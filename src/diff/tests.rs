//! The diff's classification, renumbering and obligation-level kinds.

use super::*;

fn p(id: &str, text: &str, strengths: &[Deontic]) -> ProvisionState {
    ProvisionState {
        id: id.into(),
        text: text.into(),
        strengths: strengths.iter().copied().collect(),
        obligations: Vec::new(),
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

/// Any 10-byte word with a multi-byte character at byte 4 used to panic the date detection.
#[test]
fn ten_byte_words_with_accents_are_not_dates_and_do_not_panic() {
    for word in ["catégorie", "Catégorie.", "éléments"] {
        assert_eq!(word.trim_end_matches('.').len(), 10);
        let changes = diff(
            &[p("art-1", &format!("The {word} applies."), &[])],
            &[p("art-1", &format!("The {word} applies now."), &[])],
        );
        assert_eq!(changes[0].kind, ChangeKind::ProvisionModified, "{word}");
    }
    let moved = diff(
        &[p("art-2", "Applies from 2026-08-02.", &[])],
        &[p("art-2", "Applies from 2027-08-02.", &[])],
    );
    assert_eq!(moved[0].kind, ChangeKind::DateMoved);
}

fn with_obligations(
    id: &str,
    text: &str,
    obligations: &[(&str, Deontic, &[&str])],
) -> ProvisionState {
    let obligations: Vec<ObligationState> = obligations
        .iter()
        .map(|(sentence, strength, roles)| ObligationState {
            sentence: (*sentence).into(),
            strength: *strength,
            addressees: roles.iter().map(|r| (*r).to_owned()).collect(),
        })
        .collect();
    ProvisionState {
        id: id.into(),
        text: text.into(),
        strengths: obligations.iter().map(|o| o.strength).collect(),
        obligations,
    }
}

#[test]
fn moved_text_is_one_renumbering_and_a_shift_is_no_cascade() {
    let a = "Providers shall keep the logs for six months.";
    let b = "Deployers shall inform natural persons of the system.";
    let c = "This Regulation enters into force on the twentieth day.";
    // Article 3 deleted, 4 and 5 moved up.
    let old = vec![
        p("art-3", a, &[Deontic::Must]),
        p("art-4", b, &[Deontic::Must]),
        p("art-5", c, &[]),
    ];
    let new = vec![p("art-3", b, &[Deontic::Must]), p("art-4", c, &[])];
    let changes = diff(&old, &new);
    let got: Vec<_> = changes
        .iter()
        .map(|c| (c.kind, c.provision.as_str(), c.previous.as_deref()))
        .collect();
    assert_eq!(
        got,
        vec![
            (ChangeKind::ProvisionRenumbered, "art-3", Some("art-4")),
            (ChangeKind::ProvisionRenumbered, "art-4", Some("art-5")),
            (ChangeKind::ProvisionRemoved, "art-3", None),
        ]
    );
    assert!(
        changes
            .iter()
            .filter(|c| c.kind == ChangeKind::ProvisionRenumbered)
            .all(|c| !c.material)
    );
    // A plain rename.
    let renamed = diff(&[p("art-5", c, &[])], &[p("art-6", c, &[])]);
    assert_eq!(renamed.len(), 1);
    assert_eq!(renamed[0].kind, ChangeKind::ProvisionRenumbered);
    // Short texts are not matched across identifiers.
    let short = diff(
        &[p("art-1", "[Deleted]", &[])],
        &[p("art-2", "[Deleted]", &[])],
    );
    assert_eq!(short.len(), 2, "{short:?}");
}

#[test]
fn obligation_level_kinds_name_their_obligations() {
    let old = with_obligations(
        "art-2",
        "Providers shall keep logs.",
        &[("Providers shall keep logs.", Deontic::Must, &["provider"])],
    );
    // A new obligation sentence in an existing provision.
    let added = with_obligations(
        "art-2",
        "Providers shall keep logs. Deployers shall monitor the system.",
        &[
            ("Providers shall keep logs.", Deontic::Must, &["provider"]),
            (
                "Deployers shall monitor the system.",
                Deontic::Must,
                &["deployer"],
            ),
        ],
    );
    let change = &diff(std::slice::from_ref(&old), std::slice::from_ref(&added))[0];
    assert_eq!(change.kind, ChangeKind::ObligationAdded);
    assert_eq!(change.obligations, vec![Touched::New(1)]);
    let change = &diff(&[added], std::slice::from_ref(&old))[0];
    assert_eq!(change.kind, ChangeKind::ObligationRemoved);
    assert_eq!(change.obligations, vec![Touched::Old(1)]);
    // The same duty on another role.
    let readdressed = with_obligations(
        "art-2",
        "Importers shall keep logs.",
        &[("Importers shall keep logs.", Deontic::Must, &["importer"])],
    );
    let change = &diff(std::slice::from_ref(&old), &[readdressed])[0];
    assert_eq!(change.kind, ChangeKind::AddresseeChanged, "{change:?}");
    assert!(
        change.detail.contains("provider → importer"),
        "{}",
        change.detail
    );
    assert_eq!(change.obligations, vec![Touched::New(0)]);
    // Strengthened and readdressed: one change, both kinds.
    let weak = with_obligations(
        "art-2",
        "Providers should keep logs.",
        &[(
            "Providers should keep logs.",
            Deontic::Should,
            &["provider"],
        )],
    );
    let strong = with_obligations(
        "art-2",
        "Deployers shall keep logs.",
        &[("Deployers shall keep logs.", Deontic::Must, &["deployer"])],
    );
    let changes = diff(&[weak], &[strong]);
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0].kind, ChangeKind::ObligationStrengthened);
    assert_eq!(changes[0].aspects, vec![ChangeKind::AddresseeChanged]);
    let words = changes[0].words.as_ref().unwrap();
    assert_eq!(
        words.summary(),
        "\"Providers should\" → \"Deployers shall\""
    );
}
