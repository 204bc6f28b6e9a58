//! Alerts end to end over real parts: the server (in process, or `crosswalk serve` for the kill
//! tests) over a fresh on-disk store, the fixture web site the crawler fetches, a webhook
//! receiver on loopback that checks signatures with its own HMAC, and Python's aiosmtpd as the
//! SMTP server.

mod alert_env;
mod common;
mod fixture_web;
mod webhook_receiver;

use alert_env::{
    INST, Smtp, TOKEN, admin, env, env_with, page, serve, serve_with_env, strings, wait_for,
    write_seeds,
};
use common::{client, free_port};
use serde_json::json;
use std::time::Duration;
use webhook_receiver::{Answer, Receiver};

#[test]
fn a_crawled_change_reaches_exactly_the_matching_subscribers_signed() {
    let env = env();
    let everything_eu = env.subscribe("eu", json!({"jurisdiction": ["EU"]}));
    let singapore = env.subscribe("sg", json!({"jurisdiction": ["SG"]}));
    let provenance = env.subscribe("prov", json!({"theme": ["content-provenance"]}));
    let record_keeping = env.subscribe(
        "rk",
        json!({"jurisdiction": ["EU"], "theme": ["record-keeping"]}),
    );
    let (status, feed) = env.admin(
        "POST",
        "/api/subscriptions",
        Some(json!({"channel": "atom", "instrument": ["alert-reg"]})),
    );
    assert_eq!(status, 201, "{feed}");
    let feed_path = feed["feed_url"]
        .as_str()
        .unwrap()
        .split_once("/feeds/")
        .map(|(_, rest)| format!("/feeds/{rest}"))
        .unwrap();
    let all = [&everything_eu, &singapore, &provenance, &record_keeping];

    env.site.set_page(page("page-v1.html"));
    env.add_source();
    assert_eq!(env.crawl(), "fetched");
    // The baseline is not material; a 304 and a whitespace-only edit change nothing.
    assert_eq!(env.crawl(), "unchanged");
    env.site.set_page(page("page-v1-spaces.html"));
    env.crawl();
    for id in all {
        assert!(env.deliveries(id).is_empty(), "nothing for {id} yet");
    }

    env.site.set_page(page("page-v2.html"));
    assert_eq!(env.crawl(), "changed");
    wait_for("the EU subscriber's delivery", || {
        env.deliveries(&everything_eu)
            .first()
            .is_some_and(|d| d["state"] == "delivered")
    });
    wait_for("the record-keeping subscriber's delivery", || {
        env.deliveries(&record_keeping)
            .first()
            .is_some_and(|d| d["state"] == "delivered")
    });
    // Queued in the same transaction as the others: the non-matching ones have none.
    assert!(env.deliveries(&singapore).is_empty());
    assert!(env.deliveries(&provenance).is_empty());
    assert!(env.receiver.received("sg").is_empty());
    assert!(env.receiver.received("prov").is_empty());

    let got = env.receiver.received("eu");
    assert_eq!(got.len(), 1, "exactly one delivery: {got:?}");
    let message = &got[0];
    assert!(message.valid, "signature verifies: {message:?}");
    assert_eq!(message.attempt, 1);
    assert_eq!(message.body["type"], "change.detected");
    let data = &message.body["data"];
    let kinds = strings(&data["kinds"]);
    for kind in [
        "provision-modified",
        "provision-added",
        "obligation-strengthened",
    ] {
        assert!(kinds.contains(&kind.to_string()), "{kind} in {kinds:?}");
    }
    let provisions = strings(&data["provisions"]);
    for art in ["art-2", "art-3", "art-4"] {
        assert!(
            provisions
                .iter()
                .any(|p| p.ends_with(&format!("/alert-reg/{art}"))),
            "{art} in {provisions:?}"
        );
    }
    let summary = data["summary"].as_str().unwrap();
    assert!(
        summary.contains("art-2") && summary.contains("art-3") && summary.contains("art-4"),
        "{summary}"
    );
    assert!(data["sequence"].as_u64().unwrap() > 0);
    assert!(data["link"].as_str().unwrap().contains(&format!(
        "/api/changes/{}",
        data["event_id"].as_str().unwrap()
    )));
    let changes = data["changes"].as_array().unwrap();
    assert!(changes.iter().all(|c| c["material"] == true), "{data}");

    // The record-keeping subscriber hears only of Article 2 (its requirement's theme).
    let rk = env.receiver.received("rk");
    assert_eq!(rk.len(), 1);
    assert!(rk[0].valid);
    let rk_provisions = strings(&rk[0].body["data"]["provisions"]);
    assert!(
        rk_provisions.iter().all(|p| p.contains("art-2")),
        "{rk_provisions:?}"
    );

    // The delivery log and the metrics.
    let log = &env.deliveries(&everything_eu)[0];
    assert_eq!(log["msg_id"].as_str().unwrap(), message.id);
    assert_eq!(log["log"][0]["attempt"], 1);
    assert_eq!(log["log"][0]["status"], 200);
    let metrics = client()
        .get(env.server.url("/metrics"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(
        metrics.contains("crosswalk_alert_attempts_total"),
        "{metrics}"
    );
    assert!(metrics.contains("crosswalk_alert_delivery_seconds_count"));

    // The private feed: RFC 4287 XML with the entry; conditional requests get 304.
    let response = client().get(env.server.url(&feed_path)).send().unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let etag = response.headers()["etag"].to_str().unwrap().to_owned();
    let xml = response.text().unwrap();
    let parsed = atom_syndication::Feed::read_from(xml.as_bytes()).unwrap();
    assert_eq!(parsed.entries().len(), 1, "{xml}");
    assert!(parsed.entries()[0].id().starts_with("tag:"));
    assert!(
        parsed.entries()[0]
            .categories()
            .iter()
            .any(|c| c.term() == "provision-added")
    );
    let again = client()
        .get(env.server.url(&feed_path))
        .header("if-none-match", etag)
        .send()
        .unwrap();
    assert_eq!(again.status().as_u16(), 304);
    let wrong = client()
        .get(env.server.url(&format!("/feeds/s/{}.atom", "0".repeat(48))))
        .send()
        .unwrap();
    assert_eq!(wrong.status().as_u16(), 404);
}

#[test]
fn failing_receivers_are_retried_and_never_block_the_others() {
    let env = env_with(|config| {
        config.alerts.concurrency = 2;
    });
    env.receiver
        .script("flaky", vec![Answer::Status(500), Answer::Status(200)]);
    env.receiver.always("hang", Answer::Hang);
    env.receiver.always("moved", Answer::Redirect);
    env.receiver.always("gone", Answer::Status(410));
    let hang = env.subscribe("hang", json!({}));
    let moved = env.subscribe("moved", json!({}));
    let flaky = env.subscribe("flaky", json!({}));
    let gone = env.subscribe("gone", json!({}));
    let good = env.subscribe("good", json!({}));
    for id in [&hang, &moved, &flaky, &gone, &good] {
        let (status, body) = env.admin("POST", &format!("/api/subscriptions/{id}/test"), None);
        assert_eq!(status, 202, "{body}");
    }
    wait_for("the good endpoint's test", || {
        !env.receiver.received("good").is_empty()
    });
    wait_for("the flaky endpoint's second attempt", || {
        env.receiver.received("flaky").len() >= 2
    });
    let flaky_got = env.receiver.received("flaky");
    assert_eq!(flaky_got[0].id, flaky_got[1].id, "same webhook-id on retry");
    assert_eq!((flaky_got[0].attempt, flaky_got[1].attempt), (1, 2));
    assert!(flaky_got.iter().all(|r| r.valid));
    wait_for("the flaky delivery to be delivered", || {
        env.deliveries(&flaky)[0]["state"] == "delivered"
    });
    let log = env.deliveries(&flaky)[0]["log"].as_array().unwrap().clone();
    assert_eq!(log[0]["status"], 500);
    assert_eq!(log[1]["status"], 200);

    // A redirect is a failed attempt and is not followed; a hang times out; both retried.
    wait_for("two failed attempts of the redirecting endpoint", || {
        env.deliveries(&moved)[0]["log"]
            .as_array()
            .is_some_and(|l| l.len() >= 2)
    });
    let moved_log = &env.deliveries(&moved)[0]["log"][0];
    assert_eq!(moved_log["status"], 302);
    assert!(
        moved_log["error"]
            .as_str()
            .unwrap()
            .contains("not followed")
    );
    assert_eq!(env.receiver.elsewhere_hits(), 0);
    wait_for("a timed-out attempt of the hanging endpoint", || {
        env.deliveries(&hang)[0]["log"]
            .as_array()
            .is_some_and(|l| !l.is_empty())
    });
    let hang_log = &env.deliveries(&hang)[0]["log"][0];
    assert!(hang_log["status"].is_null());
    assert!(hang_log["error"].as_str().unwrap().contains("timed out"));
    assert_eq!(env.deliveries(&hang)[0]["state"], "pending");

    // 410 disables the subscription.
    wait_for("the gone endpoint to be disabled", || {
        env.admin("GET", &format!("/api/subscriptions/{gone}"), None)
            .1["enabled"]
            == false
    });
    let (_, sub) = env.admin("GET", &format!("/api/subscriptions/{gone}"), None);
    assert!(sub["disabled_reason"].as_str().unwrap().contains("410"));
    assert!(sub.get("secret").is_none(), "secrets are never listed");
    // Manual redelivery of the good one: same id, next attempt number.
    let good_delivery = env.deliveries(&good)[0]["id"].as_i64().unwrap();
    let (status, _) = env.admin(
        "POST",
        &format!("/api/deliveries/{good_delivery}/retry"),
        None,
    );
    assert_eq!(status, 202);
    wait_for("the manual redelivery", || {
        env.receiver.received("good").len() == 2
    });
    let good_got = env.receiver.received("good");
    assert_eq!(good_got[0].id, good_got[1].id);
    assert_eq!(good_got[1].attempt, 2);
    let (status, _) = env.admin("POST", "/api/deliveries/999999/retry", None);
    assert_eq!(status, 404);
}

#[test]
fn rotated_secrets_sign_twice_during_the_overlap() {
    let env = env();
    let id = env.subscribe("rot", json!({}));
    let (status, rotated) = env.admin(
        "POST",
        &format!("/api/subscriptions/{id}/rotate-secret"),
        None,
    );
    assert_eq!(status, 200, "{rotated}");
    env.receiver
        .secret("rot", rotated["secret"].as_str().unwrap());
    env.admin("POST", &format!("/api/subscriptions/{id}/test"), None);
    wait_for("the test delivery", || {
        !env.receiver.received("rot").is_empty()
    });
    let got = &env.receiver.received("rot")[0];
    assert_eq!(got.body["type"], "test");
    assert_eq!(got.signature.split(' ').count(), 2, "{got:?}");
    assert_eq!(got.valid_with, vec![0, 1], "old and new secret both verify");
}

#[test]
fn invalid_subscriptions_are_refused_and_nothing_is_stored() {
    let env = env();
    let url = env.receiver.url("x");
    let cases = [
        (
            json!({"channel": "webhook", "url": url, "theme": ["content-provenence"]}),
            "content-provenance",
        ),
        (
            json!({"channel": "webhook", "url": url, "jurisdiction": ["XX"]}),
            "unknown jurisdiction",
        ),
        (
            json!({"channel": "webhook", "url": "http://127.0.0.2:9/hook"}),
            "refused",
        ),
        (
            json!({"channel": "webhook", "url": "http://10.0.0.1/hook"}),
            "refused",
        ),
        (
            json!({"channel": "webhook", "url": "ftp://example.org/x"}),
            "http",
        ),
        (json!({"channel": "webhook"}), "url"),
        (
            json!({"channel": "email", "email": "a@example.org"}),
            "SMTP",
        ),
        (json!({"channel": "pigeon"}), "unknown variant"),
        (
            json!({"channel": "webhook", "url": url, "kind": ["provision-exploded"]}),
            "change kind",
        ),
        (
            json!({"channel": "webhook", "url": url, "colour": "red"}),
            "unknown field",
        ),
        (
            json!({"channel": "atom", "query": {"name": "no-such-query"}}),
            "no-such-query",
        ),
        (
            json!({"channel": "atom", "types": ["query.results_changed"]}),
            "query",
        ),
    ];
    for (body, expected) in cases {
        let (status, answer) = env.admin("POST", "/api/subscriptions", Some(body.clone()));
        assert_eq!(status, 400, "{body} → {answer}");
        assert!(
            answer.to_string().contains(expected),
            "{body} → {answer} lacks {expected:?}"
        );
    }
    let raw = client()
        .post(env.server.url("/api/subscriptions"))
        .bearer_auth(TOKEN)
        .body("{\"channel\": \"webhook\", \"url\": ")
        .send()
        .unwrap();
    assert_eq!(raw.status().as_u16(), 400);
    let unauthenticated = client()
        .post(env.server.url("/api/subscriptions"))
        .body(json!({"channel": "atom"}).to_string())
        .send()
        .unwrap();
    assert_eq!(unauthenticated.status().as_u16(), 401);
    let (status, list) = env.admin("GET", "/api/subscriptions", None);
    assert_eq!(status, 200);
    assert_eq!(list["subscriptions"], json!([]), "nothing stored");
    let (status, _) = env.admin("GET", "/api/subscriptions/sub_nope", None);
    assert_eq!(status, 404);
    let (status, _) = env.admin(
        "PATCH",
        "/api/subscriptions/sub_nope",
        Some(json!({"material": false})),
    );
    assert_eq!(status, 404);
}

#[test]
fn a_standing_query_fires_only_when_its_rows_change() {
    let env = env();
    let id = env.subscribe(
        "standing",
        json!({"query": {"name": "instruments", "params": {"jurisdiction": "EU"}}}),
    );
    let insert = |iri: &str, jurisdiction: &str| {
        format!(
            "PREFIX cw: <https://w3id.org/crosswalk/ontology#>
             INSERT DATA {{ GRAPH <urn:test:standing> {{
               <{iri}> a cw:Instrument ; cw:jurisdiction <https://w3id.org/crosswalk/id/jurisdiction/{jurisdiction}> ;
                 cw:legalStatus <https://w3id.org/crosswalk/id/status/binding-law> . }} }}"
        )
    };
    // A change outside the query's rows: nothing.
    env.update(&insert(
        "https://w3id.org/crosswalk/id/instrument/sg-new",
        "SG",
    ));
    assert!(env.deliveries(&id).is_empty());
    env.update(&insert(
        "https://w3id.org/crosswalk/id/instrument/eu-new",
        "EU",
    ));
    wait_for("the appeared row", || {
        !env.receiver.received("standing").is_empty()
    });
    let got = env.receiver.received("standing");
    assert_eq!(got.len(), 1);
    assert!(got[0].valid);
    let data = &got[0].body["data"];
    assert_eq!(got[0].body["type"], "query.results_changed");
    assert_eq!(data["appeared_count"], 1);
    assert_eq!(data["disappeared_count"], 0);
    assert_eq!(
        data["appeared"][0]["instrument"],
        "https://w3id.org/crosswalk/id/instrument/eu-new"
    );
    env.update(
        "DELETE WHERE { GRAPH <urn:test:standing> { <https://w3id.org/crosswalk/id/instrument/eu-new> ?p ?o } }",
    );
    wait_for("the disappeared row", || {
        env.receiver.received("standing").len() == 2
    });
    let data = &env.receiver.received("standing")[1].body["data"];
    assert_eq!(data["disappeared_count"], 1);
    assert_eq!(
        data["disappeared"][0]["instrument"],
        "https://w3id.org/crosswalk/id/instrument/eu-new"
    );
    assert_eq!(env.deliveries(&id).len(), 2);
}

#[test]
fn deadline_reminders_fire_inside_the_window_and_when_a_date_moves() {
    let env = env();
    let id = env.subscribe(
        "deadlines",
        json!({"jurisdiction": ["EU"], "remind_days": 30}),
    );
    wait_for("the reminder", || {
        !env.receiver.received("deadlines").is_empty()
    });
    let got = env.receiver.received("deadlines");
    assert_eq!(got.len(), 1, "only the requirement inside the window");
    assert_eq!(got[0].body["type"], "deadline.upcoming");
    let data = &got[0].body["data"];
    assert!(data["requirement"].as_str().unwrap().ends_with("/soon"));
    assert_eq!(data["days_left"], 10);
    assert_eq!(data["provision"], "Art. 2");
    // Moving the later requirement into the window: one move, one reminder; repeating the
    // check sends nothing new.
    let later = "<https://w3id.org/crosswalk/id/requirement/alert-reg/later>";
    let new_date = chrono::Utc::now().date_naive() + chrono::Duration::days(20);
    env.update(&format!(
        "PREFIX cw: <https://w3id.org/crosswalk/ontology#>
         DELETE {{ GRAPH ?g {{ {later} cw:appliesFrom ?d }} }}
         INSERT {{ GRAPH ?g {{ {later} cw:appliesFrom \"{new_date}\"^^<http://www.w3.org/2001/XMLSchema#date> }} }}
         WHERE {{ GRAPH ?g {{ {later} cw:appliesFrom ?d }} }}"
    ));
    wait_for("the move and the new reminder", || {
        env.receiver.received("deadlines").len() >= 3
    });
    let types: Vec<String> = env
        .receiver
        .received("deadlines")
        .iter()
        .map(|r| r.body["type"].as_str().unwrap().to_owned())
        .collect();
    assert!(types.contains(&"deadline.moved".to_string()), "{types:?}");
    let moved = env
        .receiver
        .received("deadlines")
        .into_iter()
        .find(|r| r.body["type"] == "deadline.moved")
        .unwrap();
    assert_eq!(moved.body["data"]["applies_from"], new_date.to_string());
    env.update("INSERT DATA { GRAPH <urn:test:other> { <urn:a> <urn:b> <urn:c> } }");
    assert_eq!(env.deliveries(&id).len(), 3, "idempotent");
}

#[test]
fn an_email_digest_reaches_a_real_smtp_server_with_both_parts() {
    let smtp = Smtp::start();
    let env = env_with(|config| config.alerts.smtp = Some(smtp.config()));
    let (status, created) = env.admin(
        "POST",
        "/api/subscriptions",
        Some(json!({
            "channel": "email", "email": "analyst@example.org", "digest": "daily",
            "jurisdiction": ["EU"], "remind_days": 30
        })),
    );
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap();
    // The reminder waits for the digest.
    wait_for("the queued reminder", || {
        env.deliveries(id)
            .first()
            .is_some_and(|d| d["state"] == "digest")
    });
    assert!(smtp.messages().is_empty());
    let (status, sent) = env.admin("POST", &format!("/api/subscriptions/{id}/digest"), None);
    assert_eq!(status, 200, "{sent}");
    assert_eq!(sent["alerts"], 1);
    wait_for("the message in the mailbox", || !smtp.messages().is_empty());
    let mail = &smtp.messages()[0];
    assert!(mail.contains("analyst@example.org"), "{mail}");
    assert!(mail.contains("multipart/alternative"), "{mail}");
    assert!(mail.contains("text/plain"), "{mail}");
    assert!(mail.contains("text/html"), "{mail}");
    assert!(mail.contains("List-Unsubscribe: <"), "{mail}");
    assert!(
        mail.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"),
        "{mail}"
    );
    assert!(mail.contains("Art. 2"), "{mail}");
    assert_eq!(env.deliveries(id)[0]["state"], "delivered");
    // One-click unsubscribe with the link from the header.
    let link = mail
        .lines()
        .find_map(|l| l.strip_prefix("List-Unsubscribe: <"))
        .and_then(|l| l.strip_suffix('>'))
        .unwrap();
    let path = &link[link.find("/api/unsubscribe/").unwrap()..];
    let response = client()
        .post(env.server.url(path))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let (_, sub) = env.admin("GET", &format!("/api/subscriptions/{id}"), None);
    assert_eq!(sub["enabled"], false);
}

#[test]
fn a_killed_service_still_delivers_each_alert_once_after_restart() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (site_base, site) = rt.block_on(fixture_web::start());
    let receiver = rt.block_on(Receiver::start());
    let dir = common::data_dir();
    let seeds = write_seeds(dir.path(), 10, 200);
    let port = free_port();
    let server = serve(dir.path(), &seeds, port);
    let (status, created) = admin(
        &server.base,
        "POST",
        "/api/subscriptions",
        Some(json!({"channel": "webhook", "url": receiver.url("k"), "jurisdiction": ["EU"]})),
    );
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();
    receiver.secret("k", created["secret"].as_str().unwrap());
    site.set_page(page("page-v1.html"));
    let (status, body) = admin(
        &server.base,
        "POST",
        "/api/sources",
        Some(
            json!({"url": format!("{site_base}/page"), "jurisdiction": "EU",
                    "instrument": INST, "format": "html", "id": "alert-reg"}),
        ),
    );
    assert_eq!(status, 201, "{body}");
    let crawl = |base: &str| {
        let (status, body) = admin(
            base,
            "POST",
            "/api/crawl",
            Some(json!({"source": "alert-reg"})),
        );
        assert_eq!(status, 200, "{body}");
    };
    crawl(&server.base);
    server.kill();

    // Restarted with the change feed told to stop before the outbox: the next crawl commits its
    // change events to the graph, and the process is SIGKILLed while the outbox's cursor is
    // still behind them (the window between the graph's commit and the outbox's).
    // Read from the store itself: `/sparql`'s query views are a consumer after the outbox, so
    // they stop with it.
    let changes_in_graph = |server: &common::ServeProcess| {
        admin(
            &server.base,
            "GET",
            "/api/changes?source=alert-reg&limit=100",
            None,
        )
        .1["changes"]
            .as_array()
            .unwrap()
            .len()
    };
    let paused = serve_with_env(
        dir.path(),
        &seeds,
        port,
        &[("CROSSWALK_PAUSE_BEFORE", "alerts")],
    );
    let before = changes_in_graph(&paused);
    site.set_page(page("page-v2.html"));
    let base = paused.base.clone();
    // Never answered: the crawl's answer waits for the outbox, which never runs.
    let crawling = std::thread::spawn(move || {
        client()
            .post(format!("{base}/api/crawl"))
            .bearer_auth(TOKEN)
            .header("content-type", "application/json")
            .body(json!({"source": "alert-reg"}).to_string())
            .send()
            .map(|r| r.status().as_u16())
    });
    wait_for("the change events in the graph", || {
        changes_in_graph(&paused) > before
    });
    // The feed is stopped before the outbox: nothing was queued for the change.
    let (_, queued) = admin(
        &paused.base,
        "GET",
        &format!("/api/subscriptions/{id}/deliveries"),
        None,
    );
    assert_eq!(
        queued["deliveries"].as_array().unwrap().len(),
        0,
        "the outbox ran: {queued}"
    );
    paused.kill();
    assert!(
        crawling.join().unwrap().is_err(),
        "the crawl was acknowledged although the outbox never ran"
    );
    assert!(receiver.received("k").is_empty());

    // Restarted: the outbox catches up on open and the alert is delivered, once. The receiver
    // is slow, so a second kill lands during the delivery; after it, at most a duplicate with
    // the same webhook-id.
    receiver.script("k", vec![Answer::Slow(Duration::from_secs(30))]);
    let server = serve(dir.path(), &seeds, port);
    wait_for("the first attempt", || !receiver.received("k").is_empty());
    server.kill();
    let server = serve(dir.path(), &seeds, port);
    wait_for("the delivery", || {
        admin(
            &server.base,
            "GET",
            &format!("/api/subscriptions/{id}/deliveries"),
            None,
        )
        .1["deliveries"][0]["state"]
            == "delivered"
    });
    let got = receiver.received("k");
    assert_eq!(
        got.len(),
        2,
        "one interrupted attempt and one delivery: {got:?}"
    );
    assert_eq!(
        got[0].id, got[1].id,
        "the duplicate has the same webhook-id"
    );
    assert!(got.iter().all(|r| r.valid));
    assert_eq!(got[1].body["type"], "change.detected");
    let (_, deliveries) = admin(
        &server.base,
        "GET",
        &format!("/api/subscriptions/{id}/deliveries"),
        None,
    );
    assert_eq!(
        deliveries["deliveries"].as_array().unwrap().len(),
        1,
        "one alert for the change: {deliveries}"
    );
    drop(server);
    drop(rt);
}
