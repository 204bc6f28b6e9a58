//! Search, the source registry, crawl requests and the discovery queue.

use super::*;

#[tokio::test]
async fn search_errors_and_a_disabled_index() {
    let r = &reader().router;
    for (uri, needle) in [
        ("/api/search?limit=many", "non-negative integer"),
        ("/api/search?from=2026-13-45", "YYYY-MM-DD"),
        ("/api/search?sort=colour", "relevance or date"),
        ("/api/search?colour=red", "unknown parameter"),
        ("/api/search?offset=1000000", "offset"),
    ] {
        expect(&get(r, uri).await, StatusCode::BAD_REQUEST, needle);
    }
    let long = get(r, &format!("/api/search?q={}", "a".repeat(1001))).await;
    expect(&long, StatusCode::BAD_REQUEST, "characters long");
    expect(
        &get(r, "/api/search?q=watermark").await,
        StatusCode::OK,
        "\"hits\"",
    );
    let off = harness(|c| c.search.enabled = false);
    expect(
        &get(&off.router, "/api/search?q=x").await,
        StatusCode::SERVICE_UNAVAILABLE,
        "not enabled",
    );
}

#[tokio::test]
async fn source_registry_errors() {
    let r = &reader().router;
    let disabled = post(r, "/api/sources", "application/json", "{}", Some(TOKEN)).await;
    expect(
        &disabled,
        StatusCode::NOT_FOUND,
        "admin routes are disabled",
    );
    let h = admin();
    let json = "application/json";
    let no_token = post(
        &h.router,
        "/api/sources",
        json,
        r#"{"url":"https://example.org/a","jurisdiction":"SG"}"#,
        None,
    )
    .await;
    assert_eq!(no_token.status, StatusCode::UNAUTHORIZED);
    for (body, needle) in [
        ("not json", "invalid source JSON"),
        (
            r#"{"url":"https://example.org/a","jurisdiction":"SG","colour":1}"#,
            "unknown field",
        ),
        (
            r#"{"url":"ftp://example.org/a","jurisdiction":"SG"}"#,
            "http or https",
        ),
        (
            r#"{"url":"https://example.org/a","jurisdiction":"S G"}"#,
            "jurisdiction",
        ),
        (
            r#"{"url":"https://example.org/a","jurisdiction":"SG","schedule":"0 4 * * *"}"#,
            "six cron fields",
        ),
        (
            r#"{"url":"https://example.org/a","jurisdiction":"SG","include_selector":"<<"}"#,
            "selector",
        ),
        (
            r#"{"kind":"telegraph","jurisdiction":"EU"}"#,
            "unknown variant",
        ),
        (
            r#"{"kind":"cellar","celex":"2024/1689","jurisdiction":"EU"}"#,
            "not a CELEX number",
        ),
        (
            r#"{"kind":"cellar","celex":"32024R1689","link_pattern":"x","jurisdiction":"EU"}"#,
            "only applies to another kind",
        ),
        (
            r#"{"kind":"federal-register","document_number":"--","jurisdiction":"US"}"#,
            "not a Federal Register document number",
        ),
        (
            r#"{"kind":"federal-register","query":"order=newest","jurisdiction":"US"}"#,
            "only conditions",
        ),
        (
            r#"{"kind":"listing","url":"https://example.org/news","link_pattern":"(","jurisdiction":"SG"}"#,
            "link_pattern",
        ),
    ] {
        let answer = post(&h.router, "/api/sources", json, body, Some(TOKEN)).await;
        expect(&answer, StatusCode::BAD_REQUEST, needle);
    }
    let body = r#"{"url":"https://example.org/ai/rules","jurisdiction":"SG","id":"example-rules"}"#;
    let added = post(&h.router, "/api/sources", json, body, Some(TOKEN)).await;
    expect(&added, StatusCode::CREATED, "example-rules");
    let again = post(&h.router, "/api/sources", json, body, Some(TOKEN)).await;
    expect(&again, StatusCode::CONFLICT, "already exists");
    let delete = |uri: &str| {
        request(Method::DELETE, uri)
            .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
            .body(Body::empty())
            .unwrap()
    };
    let seeded = send(&h.router, delete("/api/sources/sg-mgf-2020-pdpc")).await;
    assert_eq!(seeded.status, StatusCode::CONFLICT, "{}", seeded.body);
    let unknown = send(&h.router, delete("/api/sources/no-such-source")).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND, "{}", unknown.body);
    let pause = post(
        &h.router,
        "/api/sources/no-such-source/pause",
        json,
        "",
        Some(TOKEN),
    )
    .await;
    assert_eq!(pause.status, StatusCode::NOT_FOUND, "{}", pause.body);
    let removed = send(&h.router, delete("/api/sources/example-rules")).await;
    expect(&removed, StatusCode::OK, "example-rules");
}

#[tokio::test]
async fn crawl_request_errors() {
    let h = admin();
    let json = "application/json";
    assert_eq!(
        post(&h.router, "/api/crawl", json, r#"{"all":true}"#, None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    expect(
        &post(&h.router, "/api/crawl", json, "[]", Some(TOKEN)).await,
        StatusCode::BAD_REQUEST,
        "expected",
    );
    let both = post(
        &h.router,
        "/api/crawl",
        json,
        r#"{"source":"x","all":true}"#,
        Some(TOKEN),
    )
    .await;
    expect(&both, StatusCode::BAD_REQUEST, "exactly one");
    let neither = post(&h.router, "/api/crawl", json, "{}", Some(TOKEN)).await;
    expect(&neither, StatusCode::BAD_REQUEST, "exactly one");
    let unknown = post(
        &h.router,
        "/api/crawl",
        json,
        r#"{"source":"no-such-source"}"#,
        Some(TOKEN),
    )
    .await;
    expect(&unknown, StatusCode::NOT_FOUND, "no-such-source");
}

#[tokio::test]
async fn discovery_queue_errors() {
    let r = &reader().router;
    let listed = get(r, "/api/discoveries").await;
    expect(&listed, StatusCode::OK, "\"discoveries\"");
    for (uri, needle) in [
        ("/api/discoveries?status=bogus", "expected pending, tracked"),
        ("/api/discoveries?limit=ten", "expected a number"),
        ("/api/discoveries?colour=red", "unknown parameter"),
    ] {
        expect(&get(r, uri).await, StatusCode::BAD_REQUEST, needle);
    }
    let unknown = get(r, "/api/discoveries/no-such-discovery").await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND, "{}", unknown.body);
    let json = "application/json";
    let disabled = post(r, "/api/discoveries/x/track", json, "", Some(TOKEN)).await;
    expect(
        &disabled,
        StatusCode::NOT_FOUND,
        "admin routes are disabled",
    );
    let h = admin();
    for action in ["track", "dismiss"] {
        let uri = format!("/api/discoveries/no-such-discovery/{action}");
        let anonymous = post(&h.router, &uri, json, "", None).await;
        assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED, "{action}");
        let missing = post(&h.router, &uri, json, "", Some(TOKEN)).await;
        expect(&missing, StatusCode::NOT_FOUND, "no-such-discovery");
    }
    let bad = post(
        &h.router,
        "/api/discoveries/no-such-discovery/track",
        json,
        "{\"id\": 7}",
        Some(TOKEN),
    )
    .await;
    expect(&bad, StatusCode::BAD_REQUEST, "invalid track options JSON");
}
