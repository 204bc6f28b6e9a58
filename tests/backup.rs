//! Backup and restore, end to end: `POST /api/admin/backup` on a running `crosswalk serve` while
//! updates keep landing, `crosswalk restore` into fresh data directories, and the restored copies
//! served and compared with the original — quads per named graph, ops rows, snapshot hashes.

mod common;
mod fixture_web;

use common::{ServeProcess, free_port};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

const TOKEN: &str = "backup-test-admin-token-0123456789";

fn config(dir: &Path, name: &str, port: u16) -> PathBuf {
    let settings = format!(
        "[admin]\ntoken = \"{TOKEN}\"\n[crawl]\nallow_private = [\"127.0.0.1\"]\nmin_host_interval_ms = 0\nschedule = false\n[retention]\nenabled = false\n[backup]\ndir = {:?}\n",
        dir.join("backups")
    );
    common::small_config(dir, name, port, &settings)
}

/// Quads per named graph, as the server answers.
fn quads_per_graph(server: &ServeProcess) -> BTreeMap<String, String> {
    server
        .select("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")
        .into_iter()
        .map(|row| (row["g"].clone(), row["n"].clone()))
        .collect()
}

fn markers(server: &ServeProcess) -> BTreeSet<u64> {
    server
        .select("SELECT ?n WHERE { GRAPH <urn:backup:markers> { ?m <urn:backup:n> ?n } }")
        .iter()
        .map(|row| row["n"].parse().unwrap())
        .collect()
}

/// The snapshot files under `data`, by name (their SHA-256).
fn snapshot_names(data: &Path) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for shard in std::fs::read_dir(data.join("snapshots")).unwrap() {
        for file in std::fs::read_dir(shard.unwrap().path()).unwrap() {
            names.insert(file.unwrap().file_name().to_string_lossy().into_owned());
        }
    }
    names
}

fn ops_rows(file: &Path) -> BTreeMap<String, u64> {
    crosswalk::opsdb::OpsDb::open(file)
        .unwrap()
        .row_counts()
        .unwrap()
}

/// `POST /api/admin/backup` with `label`; the backup's path and manifest.
fn backup(server: &ServeProcess, label: &str) -> (PathBuf, serde_json::Value) {
    let response = server
        .admin(
            TOKEN,
            "/api/admin/backup",
            "application/json",
            format!(r#"{{"label":"{label}"}}"#),
        )
        .unwrap();
    assert_eq!(response.status().as_u16(), 201);
    let body: serde_json::Value = response.json().unwrap();
    (
        PathBuf::from(body["path"].as_str().unwrap()),
        body["manifest"].clone(),
    )
}

fn restore(backup: &Path, data: &Path) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_crosswalk"))
        .arg("restore")
        .arg(backup)
        .arg("--data")
        .arg(data)
        .env("CROSSWALK_LOG", "error")
        .output()
        .unwrap()
}

#[test]
fn a_backup_under_write_load_restores_to_an_equal_copy() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let (site_base, site) = runtime.block_on(fixture_web::start());
    let dir = common::data_dir();
    let data = dir.path().join("data");
    let port = free_port();
    let server = ServeProcess::start(&config(dir.path(), "live", port), &data, port);

    // Crawl history: two sources, one of them changed once, so there are several snapshots.
    for (id, path) in [("changing", "/page"), ("fixed", "/garis-panduan")] {
        let body = serde_json::json!({"url": format!("{site_base}{path}"), "jurisdiction": "EU", "id": id});
        let created = server
            .admin(TOKEN, "/api/sources", "application/json", body.to_string())
            .unwrap();
        assert_eq!(created.status().as_u16(), 201);
    }
    let crawl = || {
        let response = server
            .admin(
                TOKEN,
                "/api/crawl",
                "application/json",
                r#"{"all":true}"#.into(),
            )
            .unwrap();
        assert!(response.status().is_success(), "{}", response.status());
    };
    crawl();
    site.set_page(fixture_web::fixture("regulation-v2.html"));
    crawl();
    assert!(
        snapshot_names(&data).len() >= 4,
        "raw and text of three pages"
    );

    // Updates keep landing while the backup is made.
    let acknowledged = Mutex::new(BTreeSet::new());
    let stop = AtomicBool::new(false);
    let (under_load, before_backup) = std::thread::scope(|scope| {
        scope.spawn(|| {
            let mut n = 0u64;
            while !stop.load(Ordering::SeqCst) {
                n += 1;
                let update = format!(
                    "INSERT DATA {{ GRAPH <urn:backup:markers> {{ <urn:backup:m{n}> <urn:backup:n> {n} }} }}"
                );
                let response = server
                    .admin(TOKEN, "/sparql/update", "application/sparql-update", update)
                    .unwrap();
                assert_eq!(response.status().as_u16(), 204);
                acknowledged.lock().unwrap().insert(n);
            }
        });
        while acknowledged.lock().unwrap().len() < 5 {
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let before = acknowledged.lock().unwrap().clone();
        let made = backup(&server, "under-load");
        // Writes went on during and after it.
        let after = acknowledged.lock().unwrap().len();
        while acknowledged.lock().unwrap().len() < after + 5 {
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        stop.store(true, Ordering::SeqCst);
        (made, before)
    });
    let all_acknowledged = acknowledged.into_inner().unwrap();
    // At least five more after the backup returned (none need land while it ran: it can be
    // quicker than one write).
    assert!(all_acknowledged.len() >= before_backup.len() + 5);

    // The backup made under load: consistent at its revision, holding everything acknowledged
    // before it was asked for.
    let (path, manifest) = under_load;
    let restored = dir.path().join("restored-under-load");
    let output = restore(&path, &restored);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let port_a = free_port();
    let copy = ServeProcess::start(&config(dir.path(), "restored-a", port_a), &restored, port_a);
    let health = copy.health();
    assert!(
        health["graph_revision"].as_u64().unwrap() >= manifest["revision"].as_u64().unwrap(),
        "{health} vs {manifest}"
    );
    let present = markers(&copy);
    assert!(
        before_backup.is_subset(&present),
        "acknowledged before the backup but not in it: {:?}",
        before_backup.difference(&present).collect::<Vec<_>>()
    );
    assert!(present.is_subset(&all_acknowledged));
    drop(copy);

    // A backup of the quiet server: the restored copy equals the original.
    let (path, manifest) = backup(&server, "quiet");
    let restored = dir.path().join("restored-quiet");
    let output = restore(&path, &restored);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let port_b = free_port();
    let copy = ServeProcess::start(&config(dir.path(), "restored-b", port_b), &restored, port_b);
    let original = quads_per_graph(&server);
    assert!(original.len() > 5, "{original:?}");
    assert_eq!(quads_per_graph(&copy), original);
    assert_eq!(markers(&copy), all_acknowledged);
    assert_eq!(snapshot_names(&restored), snapshot_names(&data));
    let rows = ops_rows(&restored.join("ops.sqlite"));
    assert_eq!(rows, ops_rows(&data.join("ops.sqlite")));
    assert_eq!(
        serde_json::to_value(&rows).unwrap(),
        manifest["ops_rows"],
        "{manifest}"
    );
    // The restored index was rebuilt from the graph: the crawled text is searchable.
    let found: serde_json::Value = common::client()
        .get(copy.url("/api/search"))
        .query(&[("q", "providers"), ("kind", "provision")])
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert!(
        found["total"].as_u64().unwrap_or(0) > 0,
        "nothing found in the restored index: {found}"
    );
    drop(copy);

    // Restoring over a store is refused, and leaves it as it was.
    let output = restore(&path, &restored);
    assert!(!output.status.success());
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("already holds a store"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // A damaged backup (a snapshot that no longer matches its hash) is refused.
    let snapshot = std::fs::read_dir(path.join("snapshots"))
        .unwrap()
        .flat_map(|shard| std::fs::read_dir(shard.unwrap().path()).unwrap())
        .next()
        .unwrap()
        .unwrap()
        .path();
    // Linked from the live store: replace the link, never write through it.
    std::fs::remove_file(&snapshot).unwrap();
    std::fs::write(&snapshot, zstd::encode_all(&b"tampered"[..], 0).unwrap()).unwrap();
    let output = restore(&path, &dir.path().join("restored-damaged"));
    assert!(!output.status.success());
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("does not match its hash"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
