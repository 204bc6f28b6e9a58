//! Health, metrics, the admin layer, and writes that race each other.

use super::*;

#[tokio::test]
async fn health_reports_each_consumer_at_the_graph_revision() {
    let h = reader();
    let health = get(&h.router, "/healthz").await;
    assert_eq!(health.status, StatusCode::OK);
    let json: serde_json::Value = serde_json::from_str(&health.body).unwrap();
    let revision = json["graph_revision"].as_u64().unwrap();
    assert!(revision > 0);
    for consumer in ["derived", "index"] {
        assert_eq!(
            json["consumers"][consumer].as_u64(),
            Some(revision),
            "{json}"
        );
    }
    let metrics = get(&h.router, "/metrics").await;
    expect(&metrics, StatusCode::OK, "crosswalk_graph_triples");
    assert_eq!(
        get(&h.router, "/no/such/route").await.status,
        StatusCode::NOT_FOUND
    );
}

/// Issue 18, "lost updates": Oxigraph's transactions commit without conflict detection, so
/// before `Graph::write` took a lock, 40 concurrent pause/resume calls (all answered 200)
/// advanced the revision by 26 and could leave both values stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_pauses_and_resumes_are_each_one_revision_and_leave_one_value() {
    let h = on_disk();
    let body = r#"{"url":"https://example.org/rules","jurisdiction":"SG","id":"toggled"}"#;
    let added = post(
        &h.router,
        "/api/sources",
        "application/json",
        body,
        Some(TOKEN),
    )
    .await;
    assert_eq!(added.status, StatusCode::CREATED, "{}", added.body);
    let before = h.state.graph().revision();
    let calls: Vec<_> = (0..40)
        .map(|i| {
            let router = h.router.clone();
            let action = if i % 2 == 0 { "pause" } else { "resume" };
            tokio::spawn(async move {
                post(
                    &router,
                    &format!("/api/sources/toggled/{action}"),
                    "application/json",
                    "",
                    Some(TOKEN),
                )
                .await
                .status
            })
        })
        .collect();
    for call in calls {
        assert_eq!(call.await.unwrap(), StatusCode::OK);
    }
    assert_eq!(h.state.graph().revision(), before + 40);
    let values = h
        .state
        .graph()
        .select(
            "test",
            "SELECT ?v WHERE { GRAPH <https://w3id.org/crosswalk/graph/sources> { <https://w3id.org/crosswalk/id/source/toggled> <https://w3id.org/crosswalk/ontology#enabled> ?v } }",
            [],
        )
        .unwrap();
    assert_eq!(values.len(), 1, "{values:?}");
}

/// `source::add` checks for duplicates inside its write: of ten concurrent registrations of one
/// id, exactly one is created.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_registrations_of_one_source_create_it_once() {
    let h = on_disk();
    let calls: Vec<_> = (0..10)
        .map(|i| {
            let router = h.router.clone();
            tokio::spawn(async move {
                // Same id, different URLs: only the id check can refuse them.
                let body = format!(
                    r#"{{"url":"https://example.org/rules/{i}","jurisdiction":"SG","id":"race"}}"#
                );
                post(
                    &router,
                    "/api/sources",
                    "application/json",
                    &body,
                    Some(TOKEN),
                )
                .await
                .status
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for call in calls {
        statuses.push(call.await.unwrap());
    }
    let created = statuses
        .iter()
        .filter(|s| **s == StatusCode::CREATED)
        .count();
    let conflicts = statuses
        .iter()
        .filter(|s| **s == StatusCode::CONFLICT)
        .count();
    assert_eq!((created, conflicts), (1, 9), "{statuses:?}");
}

/// Refused admin requests are counted, and logged with the client and route but without what
/// was presented.
#[tokio::test]
async fn refused_admin_requests_are_counted_and_logged_without_the_token() {
    #[derive(Clone, Default)]
    struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);
    impl std::io::Write for Captured {
        fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(data);
            Ok(data.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _logging = tracing::subscriber::set_default(subscriber);
    // Its own harness: the counters are asserted.
    let h = harness(|c| {
        c.admin.token = Some(TOKEN.into());
        c.search.enabled = false;
    });
    // Other tests on other threads hit the refusal's callsite with no subscriber; one that was
    // registering it while `set_default` rebuilt the interest cache keeps "never" cached, and
    // this thread's events would be dropped (tracing's callsite cache is process-wide). Rebuild
    // it again now that any such registration has finished.
    tracing::callsite::rebuild_interest_cache();
    let guess = "guessed-token-9876543210-secret";
    for token in [Some(guess), None] {
        let answer = post(&h.router, "/api/crawl", "application/json", "{}", token).await;
        assert!(answer.status.is_client_error());
    }
    let metrics = get(&h.router, "/metrics").await.body;
    assert!(
        metrics.contains("crosswalk_admin_auth_failures_total{reason=\"invalid\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("crosswalk_admin_auth_failures_total{reason=\"missing\"} 1"),
        "{metrics}"
    );
    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(log.contains("admin request refused"), "{log}");
    assert!(log.contains("/api/crawl"), "{log}");
    assert!(!log.contains(guess), "{log}");
    assert!(!log.contains(TOKEN), "{log}");
}

/// Every admin route is behind the one layer: without a token each answers 401, never reaching
/// its handler (an unknown source would otherwise be a 404, a bad body a 400).
#[tokio::test]
async fn every_admin_route_needs_the_token() {
    let h = admin();
    for (method, uri) in [
        (Method::POST, "/sparql/update"),
        (Method::POST, "/api/sources"),
        (Method::DELETE, "/api/sources/no-such-source"),
        (Method::POST, "/api/sources/no-such-source/pause"),
        (Method::POST, "/api/sources/no-such-source/resume"),
        (Method::POST, "/api/crawl"),
        (Method::POST, "/api/admin/backup"),
        (Method::POST, "/api/admin/retention"),
        (Method::POST, "/api/subscriptions"),
        (Method::GET, "/api/subscriptions"),
        (Method::GET, "/api/subscriptions/sub_x"),
        (Method::PATCH, "/api/subscriptions/sub_x"),
        (Method::DELETE, "/api/subscriptions/sub_x"),
        (Method::POST, "/api/subscriptions/sub_x/rotate-secret"),
        (Method::POST, "/api/subscriptions/sub_x/test"),
        (Method::POST, "/api/subscriptions/sub_x/digest"),
        (Method::GET, "/api/subscriptions/sub_x/deliveries"),
        (Method::POST, "/api/deliveries/1/retry"),
    ] {
        let answer = send(
            &h.router,
            request(method.clone(), uri)
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from("not json"))
                .unwrap(),
        )
        .await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{method} {uri}");
    }
    // The public routes stay public, including the listing beside the admin POST.
    assert_eq!(get(&h.router, "/api/sources").await.status, StatusCode::OK);
}

/// `/metrics` used to scan every quad on each scrape; the counts are now kept per revision.
#[tokio::test]
async fn triple_counts_are_computed_once_per_graph_revision() {
    // Its own harness: the counters are asserted.
    let h = harness(|c| {
        c.admin.token = Some(TOKEN.into());
        c.search.enabled = false;
    });
    for _ in 0..3 {
        expect(
            &get(&h.router, "/metrics").await,
            StatusCode::OK,
            "crosswalk_graph_triples",
        );
    }
    assert_eq!(h.state.metrics.graph_size_scans(), 1);
    let insert = "INSERT DATA { GRAPH <urn:test:m> { <urn:s> <urn:p> <urn:o> } }";
    post(
        &h.router,
        "/sparql/update",
        "application/sparql-update",
        insert,
        Some(TOKEN),
    )
    .await;
    let after = get(&h.router, "/metrics").await.body;
    assert!(
        after.contains("crosswalk_graph_triples{graph=\"urn:test:m\"} 1"),
        "{after}"
    );
    assert_eq!(h.state.metrics.graph_size_scans(), 2);
}
