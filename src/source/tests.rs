use super::*;

#[test]
fn slugs_and_titles_from_urls() {
    let url = Url::parse("https://www.example.gov.sg/ai/Model-Framework.pdf").unwrap();
    assert_eq!(slug_from_url(&url), "example-gov-sg-ai-model-framework-pdf");
    assert_eq!(title_from_url(&url), "Model Framework (www.example.gov.sg)");
    assert!(valid_slug("sg-1"));
    assert!(!valid_slug("../x"));
}

#[test]
fn urls_with_credentials_are_refused_and_never_stored() {
    let graph = Graph::in_memory().unwrap();
    for url in [
        "https://user:secret@example.org/ai/rules",
        "https://token@example.org/ai/rules",
    ] {
        let error = add(
            &graph,
            NewSource {
                url: url.into(),
                jurisdiction: "SG".into(),
                ..NewSource::default()
            },
        )
        .unwrap_err();
        assert!(
            matches!(error, SourceError::Invalid { field: "url", .. }),
            "{error}"
        );
    }
    assert!(list(&graph).unwrap().is_empty());
    assert_eq!(graph.revision(), 0, "nothing was written");
}

#[test]
fn feeds_are_recognised_by_address() {
    for feed in [
        "https://example.org/feed",
        "https://example.org/feeds/news.xml",
        "https://example.org/news/rss.xml",
        "https://example.org/updates.atom",
        "https://example.org/list?format=rss",
    ] {
        assert!(looks_like_feed(&Url::parse(feed).unwrap()), "{feed}");
    }
    for page in [
        "https://example.org/publications",
        "https://example.org/feedback/form.html",
        "https://example.org/sitemap.xml",
        "https://example.org/feedback",
    ] {
        assert!(!looks_like_feed(&Url::parse(page).unwrap()), "{page}");
    }
}

#[test]
fn add_pause_resume_remove() {
    let graph = Graph::in_memory().unwrap();
    let added = add(
        &graph,
        NewSource {
            url: "https://example.org/ai/rules".into(),
            jurisdiction: "sg".into(),
            ..NewSource::default()
        },
    )
    .unwrap();
    assert_eq!(added.id, "example-org-ai-rules");
    assert!(added.enabled && added.runtime);
    assert_eq!(
        added.instrument.as_deref(),
        Some("https://w3id.org/crosswalk/id/instrument/example-org-ai-rules")
    );
    assert!(matches!(
        add(
            &graph,
            NewSource {
                url: "https://example.org/ai/rules".into(),
                jurisdiction: "SG".into(),
                id: Some("other".into()),
                ..NewSource::default()
            }
        ),
        Err(SourceError::DuplicateUrl { .. })
    ));
    assert!(matches!(
        add(
            &graph,
            NewSource {
                url: "https://example.org/x".into(),
                jurisdiction: "SG".into(),
                schedule: Some("* * *".into()),
                ..NewSource::default()
            }
        ),
        Err(SourceError::Schedule(_))
    ));
    set_enabled(&graph, &added.id, false).unwrap();
    assert!(!get(&graph, &added.id).unwrap().enabled);
    set_enabled(&graph, &added.id, true).unwrap();
    assert!(get(&graph, &added.id).unwrap().enabled);
    remove(&graph, &added.id).unwrap();
    assert!(matches!(
        get(&graph, &added.id),
        Err(SourceError::Unknown(_))
    ));
}

/// Found by fuzz/source_add: the URL parser keeps `]` or `|` in a path or query, where an
/// IRI may not have them, and the URL used to be written to the graph unchecked.
#[test]
fn urls_that_are_not_iris_are_refused() {
    let graph = Graph::in_memory().unwrap();
    for url in [
        "https://example.org/rules]2024",
        "https://example.org/a?b=c|d",
    ] {
        let refused = add(
            &graph,
            NewSource {
                url: url.into(),
                jurisdiction: "SG".into(),
                ..NewSource::default()
            },
        );
        assert!(
            matches!(refused, Err(SourceError::Invalid { field: "url", .. })),
            "{url}: {refused:?}"
        );
    }
    assert!(list(&graph).unwrap().is_empty());
}
