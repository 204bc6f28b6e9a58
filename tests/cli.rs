//! The `crosswalk` binary end to end: exit codes, messages, and the one-writer rule.

use std::path::Path;
use std::process::{Command, Output};

fn crosswalk(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_crosswalk"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("CROSSWALK_LOG", "warn")
        .output()
        .expect("run crosswalk")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn validate_exit_codes_and_messages() {
    let ok = crosswalk(&["validate"]);
    assert!(ok.status.success(), "{}", stdout(&ok));
    assert!(
        stdout(&ok).contains(" 0 violations, ")
            && stdout(&ok).contains(" warnings, 0 unparseable files"),
        "{}",
        stdout(&ok)
    );
    // Warnings (home-page-only sources) are listed with their node but do not fail validation.
    assert!(
        stdout(&ok).contains("WARNING  [warn-home-page-sources] https://w3id.org/crosswalk/id/"),
        "{}",
        stdout(&ok)
    );

    let broken = crosswalk(&["validate", "--seeds", "tests/fixtures/broken-seeds"]);
    assert_eq!(broken.status.code(), Some(1));
    let out = stdout(&broken);
    assert!(out.contains("VIOLATION  [05-requirement-core] https://w3id.org/crosswalk/id/requirement/broken/no-theme  requirement has no cw:theme"), "{out}");
    assert!(
        out.contains("PARSE ERROR") && out.contains("unparseable.ttl"),
        "{out}"
    );
}

#[test]
fn load_query_and_export_on_a_real_store() {
    let data = tempfile::tempdir().unwrap();
    let dir = data.path().to_str().unwrap();
    let extra = data.path().join("extra.ttl");
    std::fs::write(&extra, "<urn:cli:s> <urn:cli:p> \"loaded by the CLI\" .").unwrap();

    let load = crosswalk(&["load", "--data", dir, extra.to_str().unwrap()]);
    assert!(
        load.status.success(),
        "{}",
        String::from_utf8_lossy(&load.stderr)
    );
    assert!(stdout(&load).contains("extra.ttl: 1 quads"));

    let query = crosswalk(&[
        "sparql",
        "--data",
        dir,
        "SELECT ?o WHERE { <urn:cli:s> <urn:cli:p> ?o }",
        "--format",
        "csv",
    ]);
    assert!(query.status.success());
    let lines: Vec<String> = stdout(&query)
        .lines()
        .map(|l| l.trim().to_owned())
        .collect();
    assert_eq!(lines, ["o", "loaded by the CLI"]);

    let saved = crosswalk(&[
        "query",
        "--data",
        dir,
        "instruments",
        "--param",
        "status=repealed",
        "--format",
        "csv",
    ]);
    assert!(
        saved.status.success(),
        "{}",
        String::from_utf8_lossy(&saved.stderr)
    );
    assert!(stdout(&saved).contains("us-co-sb-24-205"));
    let bad = crosswalk(&[
        "query",
        "--data",
        dir,
        "instruments",
        "--param",
        "status=<x> } ;",
    ]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("invalid value"));

    let export = crosswalk(&["export", "--data", dir, "graph", "--format", "nquads"]);
    assert!(export.status.success());
    let nquads = stdout(&export);
    assert!(nquads.contains("<urn:cli:s> <urn:cli:p> \"loaded by the CLI\" <https://w3id.org/crosswalk/graph/load/extra.ttl> ."));
    assert!(
        nquads.lines().count() > 30_000,
        "the seeded catalogue is exported too"
    );
}

#[test]
fn a_store_held_by_another_process_is_refused_with_a_pointer_to_the_api() {
    let data = tempfile::tempdir().unwrap();
    // Hold the store the way a running server does.
    let _held = crosswalk::graph::Graph::open(&data.path().join("graph")).unwrap();
    let output = crosswalk(&["sparql", "--data", data.path().to_str().unwrap(), "ASK {}"]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("locked by another process") && stderr.contains("HTTP API"),
        "{stderr}"
    );
    assert!(Path::new(&data.path().join("graph")).exists());
}

#[test]
fn exports_imports_and_the_questionnaire_from_the_command_line() {
    let data = tempfile::tempdir().unwrap();
    let dir = data.path().to_str().unwrap();
    let near_miss = crosswalk(&["export", "--data", dir, "oscal-catalog", "nist-ai-rmf"]);
    assert_eq!(near_miss.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&near_miss.stderr);
    assert!(stderr.contains("closest known: us-nist-ai-rmf"), "{stderr}");

    let sssom = data.path().join("rmf-iso.sssom.tsv");
    let export = crosswalk(&[
        "export",
        "--data",
        dir,
        "sssom",
        "us-nist-ai-rmf",
        "iso-iec-42001",
        "-o",
        sssom.to_str().unwrap(),
    ]);
    assert!(
        export.status.success(),
        "{}",
        String::from_utf8_lossy(&export.stderr)
    );
    let import = crosswalk(&[
        "import",
        "--data",
        dir,
        "mappings",
        sssom.to_str().unwrap(),
        "--name",
        "cli-roundtrip",
    ]);
    assert!(import.status.success(), "{}", stdout(&import));
    assert!(
        stdout(&import).starts_with("280 rows, 280 accepted, 0 rejected"),
        "{}",
        stdout(&import)
    );

    let bad = data.path().join("bad.tsv");
    std::fs::write(
        &bad,
        "subject_id\tpredicate_id\tobject_id\tmapping_justification\n\
         us-nist-ai-rmf:GOVERN-1.1\tskos:relatedMatch\tiso-iec-42001:4.1\tsemapv:ManualMappingCuration\n\
         us-nist-ai-rmf:GOVERN-1.1\tskos:vaguelyLike\tiso-iec-42001:4.2\tsemapv:ManualMappingCuration\n",
    )
    .unwrap();
    let rejected = crosswalk(&["import", "--data", dir, "mappings", bad.to_str().unwrap()]);
    assert_eq!(rejected.status.code(), Some(1));
    assert!(
        stdout(&rejected).contains("REJECTED  line 3"),
        "{}",
        stdout(&rejected)
    );
    assert!(
        stdout(&rejected).contains("nothing written"),
        "{}",
        stdout(&rejected)
    );

    let questionnaire = crosswalk(&[
        "questionnaire",
        "--data",
        dir,
        "--framework",
        "sg-mgf-genai",
        "--role",
        "deployer",
        "--format",
        "csv",
    ]);
    assert!(
        questionnaire.status.success(),
        "{}",
        String::from_utf8_lossy(&questionnaire.stderr)
    );
    assert!(stdout(&questionnaire).starts_with("Question,Theme,Strength,Question text"));
}
