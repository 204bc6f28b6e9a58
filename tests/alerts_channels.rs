//! Alerts beyond the first delivery, over the same real parts as tests/alerts.rs: `source.health`
//! for operators, `PATCH /api/subscriptions/{id}`, the `crosswalk subscriptions` commands (the
//! real binary over a data directory, with and without `serve` running) and one e-mail per
//! change through aiosmtpd.

mod alert_env;
mod common;
mod fixture_web;
mod webhook_receiver;

use alert_env::{Smtp, TOKEN, env, env_with, page, serve_config, strings, wait_for, write_seeds};
use common::{ServeProcess, free_port};
use serde_json::{Value, json};
use std::path::Path;
use std::process::Output;
use std::time::Duration;
use webhook_receiver::{Answer, Receiver};

const SOURCE_REG: &str = "https://w3id.org/crosswalk/id/source/alert-reg";

/// Adds a source on the fixture site at `path` (with `extra` fields), asserting 201.
fn add_source_at(env: &alert_env::Env, id: &str, path: &str, extra: Value) {
    let mut body = json!({
        "url": format!("{}{path}", env.site_base),
        "jurisdiction": "EU",
        "instrument": alert_env::INST,
        "format": "html",
        "id": id,
    });
    if let (Some(map), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        map.extend(extra.clone());
    }
    let (status, answer) = env.admin("POST", "/api/sources", Some(body));
    assert_eq!(status, 201, "{answer}");
}

fn types_of(env: &alert_env::Env, id: &str) -> Vec<String> {
    env.deliveries(id)
        .iter()
        .map(|d| d["type"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn source_health_reaches_only_operators_once_per_problem() {
    let env = env_with(|config| {
        // Every failure is final (no backoff defers the next check), two in a row are a problem.
        config.crawl.max_attempts = 1;
        config.alerts.health_failures = 2;
    });
    env.site.set_page(page("page-v1.html"));
    env.add_source();
    add_source_at(&env, "guarded", "/challenge", json!({}));
    add_source_at(
        &env,
        "narrow",
        "/lm-page",
        json!({"include_selector": "#no-such-element"}),
    );
    let ops = env.subscribe("ops", json!({"types": ["source.health"]}));
    let ops_reg = env.subscribe(
        "ops-reg",
        json!({"types": ["source.health"], "source": ["alert-reg"]}),
    );
    // The sources are all EU's: an operator of Singapore's hears of none of them.
    let ops_sg = env.subscribe(
        "ops-sg",
        json!({"types": ["source.health"], "jurisdiction": ["SG"]}),
    );
    // Every change alert, editorial ones too: it hears of the baseline, never of health.
    let changes = env.subscribe("changes", json!({"material": false}));
    assert_eq!(env.crawl(), "fetched");

    env.site.set_status(Some(503));
    assert_eq!(env.crawl(), "failed");
    env.settled();
    assert!(
        env.deliveries(&ops).is_empty(),
        "one failure is no problem yet"
    );
    assert_eq!(env.crawl(), "failed");
    wait_for("the operators' health alert", || {
        !env.receiver.received("ops").is_empty()
    });
    let got = env.receiver.received("ops");
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(got[0].valid, "signed: {:?}", got[0]);
    assert_eq!(got[0].body["type"], "source.health");
    let data = &got[0].body["data"];
    assert_eq!(data["source"], SOURCE_REG);
    assert_eq!(data["problem"], "failing");
    assert_eq!(data["consecutive_failures"], 2);
    let reasons = strings(&data["reasons"]);
    assert!(reasons.iter().any(|r| r.contains("503")), "{reasons:?}");
    assert!(data["last_attempt"].as_str().is_some_and(|t| !t.is_empty()));
    wait_for("the source-filtered operators' alert", || {
        env.receiver.received("ops-reg").len() == 1
    });
    let first_id = got[0].id.clone();

    // Still failing: reported once until the source fetches well again — and to an operator
    // subscribing meanwhile, at the next check, since the problem is still open.
    let late = env.subscribe("ops-late", json!({"types": ["source.health"]}));
    assert_eq!(env.crawl(), "failed");
    wait_for("the late operator's alert", || {
        !env.receiver.received("ops-late").is_empty()
    });
    env.settled();
    assert_eq!(env.deliveries(&ops).len(), 1);
    let late_got = env.receiver.received("ops-late");
    assert_eq!(late_got.len(), 1, "{late_got:?}");
    assert_eq!(late_got[0].body["data"]["source"], SOURCE_REG);
    assert_eq!(late_got[0].body["data"]["problem"], "failing");
    assert_eq!(env.deliveries(&late).len(), 1);
    env.site.set_status(None);
    assert_ne!(env.crawl(), "failed");
    env.settled();
    env.site.set_status(Some(503));
    env.crawl();
    env.settled();
    assert_eq!(
        env.deliveries(&ops).len(),
        1,
        "one failure after a good fetch"
    );
    env.crawl();
    wait_for("the second report", || env.deliveries(&ops).len() == 2);
    wait_for("its delivery", || env.receiver.received("ops").len() == 2);
    assert_ne!(env.receiver.received("ops")[1].id, first_id, "a new alert");

    // A challenge page and a selector matching nothing are problems at once; the operator
    // filtering on alert-reg hears of neither.
    assert_eq!(env.crawl_source("guarded"), "failed");
    assert_eq!(env.crawl_source("narrow"), "failed");
    wait_for("the challenge and selector alerts", || {
        env.receiver.received("ops").len() == 4
    });
    let problems: Vec<(String, String)> = env.receiver.received("ops")[2..]
        .iter()
        .map(|r| {
            let d = &r.body["data"];
            (
                d["source"]
                    .as_str()
                    .unwrap()
                    .rsplit('/')
                    .next()
                    .unwrap()
                    .to_owned(),
                d["problem"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert!(
        problems.contains(&("guarded".into(), "challenge".into())),
        "{problems:?}"
    );
    assert!(
        problems.contains(&("narrow".into(), "selector".into())),
        "{problems:?}"
    );
    env.settled();
    assert_eq!(env.deliveries(&ops_reg).len(), 2, "only alert-reg's two");
    assert!(env.deliveries(&ops_sg).is_empty());
    assert!(
        env.receiver
            .received("ops-reg")
            .iter()
            .all(|r| r.body["data"]["source"] == SOURCE_REG)
    );

    // Never mixed into change alerts.
    let change_types = types_of(&env, &changes);
    assert!(!change_types.is_empty(), "the baselines were announced");
    assert!(
        change_types.iter().all(|t| t == "change.detected"),
        "{change_types:?}"
    );
}

/// Creates a webhook subscription at hook `hook`; returns its id and secret.
fn create(env: &alert_env::Env, hook: &str, mut body: Value) -> (String, String) {
    let map = body.as_object_mut().unwrap();
    map.insert("channel".into(), "webhook".into());
    map.insert("url".into(), env.receiver.url(hook).into());
    let (status, created) = env.admin("POST", "/api/subscriptions", Some(body));
    assert_eq!(status, 201, "{created}");
    let secret = created["secret"].as_str().unwrap().to_owned();
    env.receiver.secret(hook, &secret);
    (created["id"].as_str().unwrap().to_owned(), secret)
}

#[test]
fn a_patch_takes_effect_on_the_next_change_and_a_bad_one_changes_nothing() {
    let env = env();
    let (id, secret) = create(&env, "before", json!({"jurisdiction": ["SG"]}));
    let path = format!("/api/subscriptions/{id}");
    env.site.set_page(page("page-v1.html"));
    env.add_source();
    assert_eq!(env.crawl(), "fetched");

    let (_, stored) = env.admin("GET", &path, None);
    let bad = [
        (
            json!({"theme": ["content-provenence"]}),
            "content-provenance",
        ),
        (json!({"jurisdiction": ["XX"]}), "unknown jurisdiction"),
        (json!({"url": "http://10.0.0.1/hook"}), "refused"),
        (json!({"url": "ftp://example.org/x"}), "http"),
        (json!({"kind": ["provision-exploded"]}), "change kind"),
        (json!({"types": ["query.results_changed"]}), "query"),
        (json!({"digest": "daily"}), "e-mail"),
        (json!({"channel": "email"}), "email"),
        (json!({"query": {"name": "no-such-query"}}), "no-such-query"),
        (json!({"colour": "red"}), "unknown field"),
        (json!({"enabled": "yes"}), "boolean"),
        (json!({"remind_days": 99999}), "remind_days"),
    ];
    for (body, expected) in bad {
        let (status, answer) = env.admin("PATCH", &path, Some(body.clone()));
        assert_eq!(status, 400, "{body} → {answer}");
        assert!(
            answer.to_string().contains(expected),
            "{body} → {answer} lacks {expected:?}"
        );
        assert_eq!(env.admin("GET", &path, None).1, stored, "{body} changed it");
    }
    let raw = common::client()
        .patch(env.server.url(&path))
        .bearer_auth(TOKEN)
        .body("{\"jurisdiction\": ")
        .send()
        .unwrap();
    assert_eq!(raw.status().as_u16(), 400);
    let anonymous = common::client()
        .patch(env.server.url(&path))
        .body(json!({"enabled": false}).to_string())
        .send()
        .unwrap();
    assert_eq!(anonymous.status().as_u16(), 401);
    assert_eq!(env.admin("GET", &path, None).1, stored);

    // Now EU and another URL; what is not named stays (material only, the type, the secret).
    env.receiver.secret("after", &secret);
    let (status, patched) = env.admin(
        "PATCH",
        &path,
        Some(
            json!({"jurisdiction": ["EU"], "url": env.receiver.url("after"),
                    "description": "EU changes"}),
        ),
    );
    assert_eq!(status, 200, "{patched}");
    assert_eq!(
        patched["filter"]["jurisdiction"],
        json!(["https://w3id.org/crosswalk/id/jurisdiction/EU"])
    );
    assert_eq!(patched["url"], env.receiver.url("after"));
    assert_eq!(patched["filter"]["material"], true);
    assert_eq!(patched["types"], json!(["change.detected"]));
    assert_eq!(patched["description"], "EU changes");
    assert_eq!(env.admin("GET", &path, None).1, patched);

    env.site.set_page(page("page-v2.html"));
    assert_eq!(env.crawl(), "changed");
    wait_for("the delivery at the new URL", || {
        !env.receiver.received("after").is_empty()
    });
    let got = env.receiver.received("after");
    assert_eq!(got.len(), 1);
    assert!(got[0].valid, "the secret is kept: {:?}", got[0]);
    assert_eq!(got[0].body["type"], "change.detected");
    assert!(env.receiver.received("before").is_empty());

    // Paused: the next change is not queued for it, nor sent once re-enabled.
    let (status, paused) = env.admin("PATCH", &path, Some(json!({"enabled": false})));
    assert_eq!(status, 200, "{paused}");
    assert_eq!(paused["enabled"], false);
    assert_eq!(paused["filter"], patched["filter"]);
    env.site.set_page(page("page-v1.html"));
    assert_eq!(env.crawl(), "changed");
    env.settled();
    assert_eq!(env.deliveries(&id).len(), 1);
    let (_, resumed) = env.admin("PATCH", &path, Some(json!({"enabled": true})));
    assert_eq!(resumed["enabled"], true);
    env.site.set_page(page("page-v2.html"));
    assert_eq!(env.crawl(), "changed");
    wait_for("the delivery after re-enabling", || {
        env.receiver.received("after").len() == 2
    });
    assert_eq!(env.deliveries(&id).len(), 2);

    // Narrowed to a kind this change is not: nothing more.
    let (status, _) = env.admin("PATCH", &path, Some(json!({"kind": ["source-removed"]})));
    assert_eq!(status, 200);
    env.site.set_page(page("page-v1.html"));
    assert_eq!(env.crawl(), "changed");
    env.settled();
    assert_eq!(env.deliveries(&id).len(), 2);
}

#[test]
fn patching_in_reminders_or_a_standing_query_starts_them_as_a_create_would() {
    let env = env();
    // A change subscription that later asks for reminders: the reminder of the requirement
    // inside the window comes at once, as it does for a new subscription.
    let (reminded, _) = create(&env, "reminded", json!({"jurisdiction": ["EU"]}));
    let (status, patched) = env.admin(
        "PATCH",
        &format!("/api/subscriptions/{reminded}"),
        Some(json!({"remind_days": 30})),
    );
    assert_eq!(status, 200, "{patched}");
    let types = strings(&patched["types"]);
    for t in ["change.detected", "deadline.upcoming", "deadline.moved"] {
        assert!(types.contains(&t.to_string()), "{t} in {types:?}");
    }
    wait_for("the reminder", || {
        !env.receiver.received("reminded").is_empty()
    });
    let got = env.receiver.received("reminded");
    assert_eq!(got[0].body["type"], "deadline.upcoming");
    assert!(
        got[0].body["data"]["requirement"]
            .as_str()
            .unwrap()
            .ends_with("/soon")
    );
    // Types named explicitly stay as named.
    let (_, explicit) = env.admin(
        "PATCH",
        &format!("/api/subscriptions/{reminded}"),
        Some(json!({"types": ["deadline.moved"]})),
    );
    assert_eq!(explicit["types"], json!(["deadline.moved"]));
    let (_, still) = env.admin(
        "PATCH",
        &format!("/api/subscriptions/{reminded}"),
        Some(json!({"description": "only moves"})),
    );
    assert_eq!(still["types"], json!(["deadline.moved"]));

    // A standing query moved to other parameters answers for its new rows only: the rows it
    // had are no news, and nothing is sent until the new query's rows change.
    let (standing, _) = create(
        &env,
        "standing",
        json!({"query": {"name": "instruments", "params": {"jurisdiction": "EU"}}}),
    );
    let (status, moved) = env.admin(
        "PATCH",
        &format!("/api/subscriptions/{standing}"),
        Some(json!({"query": {"name": "instruments", "params": {"jurisdiction": "SG"}}})),
    );
    assert_eq!(status, 200, "{moved}");
    assert_eq!(moved["query"]["params"]["jurisdiction"], "SG");
    env.update("INSERT DATA { GRAPH <urn:test:other> { <urn:a> <urn:b> <urn:c> } }");
    env.settled();
    assert!(
        env.deliveries(&standing).is_empty(),
        "{:?}",
        env.deliveries(&standing)
    );
    env.update(
        "PREFIX cw: <https://w3id.org/crosswalk/ontology#>
         INSERT DATA { GRAPH <urn:test:standing> {
           <https://w3id.org/crosswalk/id/instrument/sg-new> a cw:Instrument ;
             cw:jurisdiction <https://w3id.org/crosswalk/id/jurisdiction/SG> ;
             cw:legalStatus <https://w3id.org/crosswalk/id/status/binding-law> . } }",
    );
    wait_for("the new query's row", || {
        !env.receiver.received("standing").is_empty()
    });
    let data = &env.receiver.received("standing")[0].body["data"];
    assert_eq!(data["params"]["jurisdiction"], "SG");
    assert_eq!(data["appeared_count"], 1, "{data}");
    assert_eq!(data["disappeared_count"], 0, "{data}");
    assert_eq!(
        data["appeared"][0]["instrument"],
        "https://w3id.org/crosswalk/id/instrument/sg-new"
    );
}

/// `crosswalk subscriptions …` over `dir`'s data directory with its serve.toml.
fn cli(dir: &Path, args: &[&str]) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_crosswalk"))
        .arg("subscriptions")
        .args(args)
        .arg("--data")
        .arg(dir.join("data"))
        .arg("--config")
        .arg(dir.join("serve.toml"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("CROSSWALK_LOG", "warn")
        .output()
        .unwrap()
}

fn out(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn err(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The value after `label` in `add`'s output (`id      sub_…`).
fn field(output: &Output, label: &str) -> String {
    out(output)
        .lines()
        .find_map(|l| l.strip_prefix(label))
        .map(|rest| rest.split_whitespace().next().unwrap().to_owned())
        .unwrap_or_else(|| panic!("no {label} in {}", out(output)))
}

#[test]
fn the_subscriptions_commands_add_list_test_and_remove() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let receiver = rt.block_on(Receiver::start());
    let dir = common::data_dir();
    let seeds = write_seeds(dir.path(), 10, 200);
    let port = free_port();
    serve_config(dir.path(), &seeds, port);

    let hook = cli(
        dir.path(),
        &[
            "add",
            "--url",
            &receiver.url("cli"),
            "--jurisdiction",
            "EU",
            "--theme",
            "record-keeping",
        ],
    );
    assert!(hook.status.success(), "{}", err(&hook));
    let id = field(&hook, "id");
    let secret = field(&hook, "secret");
    assert!(
        id.starts_with("sub_") && secret.starts_with("whsec_"),
        "{}",
        out(&hook)
    );
    receiver.secret("cli", &secret);
    let feed = cli(
        dir.path(),
        &[
            "add",
            "--json",
            r#"{"channel": "atom", "kind": ["provision-added"]}"#,
        ],
    );
    assert!(feed.status.success(), "{}", err(&feed));
    let feed_id = field(&feed, "id");
    assert!(field(&feed, "feed").contains("/feeds/s/"), "{}", out(&feed));

    // Refused before anything is stored: an unknown code, a private address, a bad kind.
    for (args, expected) in [
        (
            vec![
                "add",
                "--url",
                "http://127.0.0.1:9/h",
                "--theme",
                "record-keepin",
            ],
            "record-keeping",
        ),
        (vec!["add", "--url", "http://10.0.0.1/h"], "refused"),
        (vec!["add", "--kind", "provision-exploded"], "change kind"),
        (
            vec!["add", "--query", "instruments", "--param", "jurisdiction"],
            "key=value",
        ),
    ] {
        let refused = cli(dir.path(), &args);
        assert!(!refused.status.success(), "{args:?}: {}", out(&refused));
        assert!(
            err(&refused).contains(expected),
            "{args:?}: {}",
            err(&refused)
        );
    }

    let listed = cli(dir.path(), &["list"]);
    assert!(listed.status.success(), "{}", err(&listed));
    let listing = out(&listed);
    let lines: Vec<&str> = listing.lines().collect();
    assert_eq!(lines.len(), 2, "{}", out(&listed));
    let hook_line = lines.iter().find(|l| l.starts_with(&id)).unwrap();
    assert!(
        hook_line.contains("webhook")
            && hook_line.contains("enabled")
            && hook_line.contains(&receiver.url("cli")),
        "{hook_line}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with(&feed_id) && l.contains("atom"))
    );
    let as_json = cli(dir.path(), &["list", "--json"]);
    let objects: Vec<Value> = out(&as_json)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(objects.len(), 2);
    let hook_json = objects.iter().find(|o| o["id"] == id.as_str()).unwrap();
    assert_eq!(
        hook_json["filter"]["theme"],
        json!(["https://w3id.org/crosswalk/id/theme/record-keeping"])
    );
    assert!(!out(&as_json).contains(&secret) && !out(&listed).contains(&secret));

    // `test` sends now, signed, and says how it went.
    let tested = cli(dir.path(), &["test", &id]);
    assert!(tested.status.success(), "{}{}", out(&tested), err(&tested));
    assert!(
        out(&tested).starts_with("delivered: HTTP 200"),
        "{}",
        out(&tested)
    );
    let got = receiver.received("cli");
    assert_eq!(got.len(), 1);
    assert!(got[0].valid, "{:?}", got[0]);
    assert_eq!(got[0].body["type"], "test");
    assert_eq!(got[0].body["data"]["subscription"], id.as_str());
    receiver.script("cli", vec![Answer::Status(500)]);
    let failed = cli(dir.path(), &["test", &id]);
    assert_eq!(failed.status.code(), Some(1), "{}", out(&failed));
    assert!(
        out(&failed).starts_with("failed: HTTP 500"),
        "{}",
        out(&failed)
    );
    assert_eq!(receiver.received("cli").len(), 2);
    let unknown = cli(dir.path(), &["test", "sub_nope"]);
    assert!(!unknown.status.success());
    assert!(err(&unknown).contains("sub_nope"), "{}", err(&unknown));

    // While `serve` runs, `add` is refused with the API to use; the server sees the CLI's.
    let server = ServeProcess::start(
        &dir.path().join("serve.toml"),
        &dir.path().join("data"),
        port,
    );
    let locked = cli(dir.path(), &["add", "--url", &receiver.url("cli")]);
    assert!(!locked.status.success());
    assert!(
        err(&locked).contains("POST /api/subscriptions"),
        "{}",
        err(&locked)
    );
    let (status, list) = alert_env::admin(&server.base, "GET", "/api/subscriptions", None);
    assert_eq!(status, 200);
    let ids: Vec<&str> = list["subscriptions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert!(
        ids.contains(&id.as_str()) && ids.contains(&feed_id.as_str()),
        "{list}"
    );
    // The failed test is retried by the server's dispatcher: same webhook-id, next attempt.
    wait_for("the server's retry of the failed test", || {
        alert_env::admin(
            &server.base,
            "GET",
            &format!("/api/subscriptions/{id}/deliveries"),
            None,
        )
        .1["deliveries"][0]["state"]
            == "delivered"
    });
    let got = receiver.received("cli");
    assert_eq!(got.len(), 3, "{got:?}");
    assert_eq!(got[1].id, got[2].id);
    assert_eq!((got[1].attempt, got[2].attempt), (1, 2));
    assert!(got.iter().all(|r| r.valid));
    // `test` beside the running server: the receiver takes 2 s to answer, four of the server
    // dispatcher's polls, and still gets the message once.
    receiver.script("cli", vec![Answer::Slow(Duration::from_secs(2))]);
    let beside = cli(dir.path(), &["test", &id]);
    assert!(
        out(&beside).starts_with("delivered: HTTP 200"),
        "{}{}",
        out(&beside),
        err(&beside)
    );
    std::thread::sleep(Duration::from_secs(2));
    let got = receiver.received("cli");
    assert_eq!(got.len(), 4, "{got:?}");
    assert_eq!(got[3].attempt, 1);
    assert_ne!(got[3].id, got[2].id);
    drop(server);

    let removed = cli(dir.path(), &["remove", &id]);
    assert!(removed.status.success(), "{}", err(&removed));
    assert!(out(&removed).contains(&id));
    let listed = cli(dir.path(), &["list"]);
    assert_eq!(out(&listed).lines().count(), 1, "{}", out(&listed));
    let again = cli(dir.path(), &["remove", &id]);
    assert!(!again.status.success());
    assert!(err(&again).contains("no subscription"), "{}", err(&again));
    drop(rt);
}

#[test]
fn per_event_email_sends_one_message_per_change_with_both_parts() {
    let smtp = Smtp::start();
    let env = env_with(|config| config.alerts.smtp = Some(smtp.config()));
    let (status, created) = env.admin(
        "POST",
        "/api/subscriptions",
        Some(json!({"channel": "email", "email": "analyst@example.org", "jurisdiction": ["EU"]})),
    );
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(created["subscription"]["digest"], "none");
    env.site.set_page(page("page-v1.html"));
    env.add_source();
    assert_eq!(env.crawl(), "fetched");
    env.settled();
    assert!(
        env.deliveries(&id).is_empty(),
        "the baseline is not material"
    );

    env.site.set_page(page("page-v2.html"));
    assert_eq!(env.crawl(), "changed");
    wait_for("the first message", || smtp.messages().len() == 1);
    env.site.set_page(page("page-v1.html"));
    assert_eq!(env.crawl(), "changed");
    wait_for("the second message", || smtp.messages().len() == 2);
    wait_for("both delivered", || {
        env.deliveries(&id)
            .iter()
            .all(|d| d["state"] == "delivered")
    });
    let deliveries = env.deliveries(&id);
    assert_eq!(deliveries.len(), 2, "one message per change");
    for d in &deliveries {
        assert_eq!(d["log"][0]["status"], 250, "{d}");
    }

    let mails = smtp.mails();
    assert_eq!(mails.len(), 2);
    let mut subjects = Vec::new();
    for mail in &mails {
        let header = |name: &str| {
            mail.headers
                .get(name)
                .map(|v| v.trim().to_owned())
                .unwrap_or_else(|| panic!("no {name} in {mail:?}"))
        };
        assert!(header("To").contains("analyst@example.org"), "{mail:?}");
        assert!(header("From").contains("alerts@crosswalk.test"));
        assert_eq!(mail.content_type, "multipart/alternative");
        let unsubscribe = header("List-Unsubscribe");
        assert!(
            unsubscribe.starts_with('<')
                && unsubscribe.ends_with('>')
                && unsubscribe.contains("/api/unsubscribe/"),
            "{unsubscribe}"
        );
        assert_eq!(
            header("List-Unsubscribe-Post"),
            "List-Unsubscribe=One-Click"
        );
        let plain = mail.part("text/plain").expect("a text part");
        let html = mail.part("text/html").expect("an HTML part");
        assert!(plain.contains("art-2"), "{plain}");
        assert!(plain.contains("/api/changes/"), "{plain}");
        assert!(
            plain.contains(&unsubscribe[1..unsubscribe.len() - 1]),
            "{plain}"
        );
        assert!(
            html.contains("style=\"") && html.contains("art-2"),
            "{html}"
        );
        assert!(!html.contains("<style"), "inline styles only");
        subjects.push(header("Subject"));
    }
    // The mailbox's order is not the sending order: each change has its message.
    assert!(
        subjects.iter().any(|s| s.contains("provision-added")),
        "{subjects:?}"
    );
    assert!(
        subjects.iter().any(|s| s.contains("provision-removed")),
        "{subjects:?}"
    );
    assert!(
        subjects.iter().all(|s| s.starts_with("Crosswalk: ")),
        "{subjects:?}"
    );
}
