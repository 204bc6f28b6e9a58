//! Interoperability over real HTTP: OSCAL catalogs and control mappings validated against
//! NIST's schemas, the OSCAL and SSSOM round trip, row-level import validation, spreadsheets read
//! back with a reader, the questionnaire's coverage, the quoting policy in every export, dumps
//! and the VoID description, standard-vocabulary queries, and short-code validation.

mod common;
mod fixture_web;

use common::{TestServer, client};
use oxigraph::io::{RdfFormat, RdfParser};
use oxigraph::model::Term;
use oxigraph::sparql::QuerySolution;
use oxigraph::sparql::results::{
    QueryResultsFormat, QueryResultsParser, SliceQueryResultsParserOutput,
};
use reqwest::StatusCode;
use serde_json::Value;
use sha2::Digest;
use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::sync::OnceLock;

const TOKEN: &str = "interop-admin-token-0123456789";
const RMF: &str = "us-nist-ai-rmf";
const ISO: &str = "iso-iec-42001";

/// The shipped catalogue, with an admin token.
fn shipped() -> &'static TestServer {
    static SERVER: OnceLock<TestServer> = OnceLock::new();
    SERVER.get_or_init(|| {
        TestServer::start_searchable(|c| {
            c.admin.token = Some(TOKEN.into());
        })
    })
}

/// The shipped catalogue without any mapping file: the store imports go into. The seed copy
/// lives as long as the server.
fn without_mappings() -> (TestServer, tempfile::TempDir) {
    let seeds = tempfile::tempdir().unwrap();
    copy_dir(&common::root().join("seeds"), seeds.path(), &|p| {
        p.ends_with("mappings")
    });
    let server = TestServer::start(|c| {
        c.admin.token = Some(TOKEN.into());
        c.seeds_dir = seeds.path().to_path_buf();
        c.ontology_dir = common::root().join("ontology");
        c.queries_dir = common::root().join("queries");
    });
    (server, seeds)
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path, skip: &dyn Fn(&std::path::Path) -> bool) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        if skip(&path) {
            continue;
        }
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_dir(&path, &target, skip);
        } else {
            std::fs::copy(&path, &target).unwrap();
        }
    }
}

fn get(server: &TestServer, path: &str) -> reqwest::blocking::Response {
    client().get(server.url(path)).send().unwrap()
}

fn ok_bytes(server: &TestServer, path: &str) -> Vec<u8> {
    let response = get(server, path);
    let status = response.status();
    let body = response.bytes().unwrap().to_vec();
    assert_eq!(
        status,
        StatusCode::OK,
        "{path}: {}",
        String::from_utf8_lossy(&body)
    );
    body
}

fn ok_json(server: &TestServer, path: &str) -> Value {
    serde_json::from_slice(&ok_bytes(server, path)).unwrap()
}

fn select(server: &TestServer, query: &str) -> Vec<QuerySolution> {
    let response = client()
        .post(server.url("/sparql"))
        .header("content-type", "application/sparql-query")
        .header("accept", "application/sparql-results+json")
        .body(query.to_owned())
        .send()
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK, "{query}");
    match QueryResultsParser::from_format(QueryResultsFormat::Json)
        .for_slice(&response.bytes().unwrap())
        .unwrap()
    {
        SliceQueryResultsParserOutput::Solutions(rows) => rows.collect::<Result<_, _>>().unwrap(),
        SliceQueryResultsParserOutput::Boolean(_) => panic!("expected solutions"),
    }
}

fn value(row: &QuerySolution, var: &str) -> String {
    match row.get(var) {
        Some(Term::NamedNode(n)) => n.as_str().to_owned(),
        Some(Term::Literal(l)) => l.value().to_owned(),
        other => panic!("{var}: {other:?}"),
    }
}

fn post_import(server: &TestServer, query: &str, body: Vec<u8>) -> (StatusCode, Value) {
    let response = client()
        .post(server.url(&format!("/api/import/mappings?{query}")))
        .bearer_auth(TOKEN)
        .body(body)
        .send()
        .unwrap();
    let status = response.status();
    let text = response.text().unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// (subject, object, relationship) of every mapping between two frameworks in `graphs`.
fn pairs(server: &TestServer, graph_filter: &str) -> BTreeSet<(String, String, String)> {
    select(
        server,
        &format!(
            "SELECT ?s ?o ?r WHERE {{ GRAPH ?g {{ ?m a cw:Mapping ; cw:subject ?s ; cw:object ?o ; cw:relationship ?r }}
               ?s cw:instrument inst:{RMF} . ?o cw:instrument inst:{ISO} . FILTER({graph_filter}) }}"
        ),
    )
    .iter()
    .map(|r| (value(r, "s"), value(r, "o"), value(r, "r")))
    .collect()
}

fn validator(name: &str, sha256: &str) -> jsonschema::Validator {
    let path = common::root().join("tests/schemas/oscal").join(name);
    let bytes = std::fs::read(&path).unwrap();
    let digest: String = sha2::Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(
        digest, sha256,
        "{name} differs from NIST's release (see its README)"
    );
    let schema: Value = serde_json::from_slice(&bytes).unwrap();
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft7)
        .should_validate_formats(true)
        .build(&schema)
        .unwrap()
}

fn assert_valid(validator: &jsonschema::Validator, document: &Value, what: &str) {
    // The error walk is slower than the yes/no check, so only a failure pays for it.
    if validator.is_valid(document) {
        return;
    }
    let errors: Vec<String> = validator
        .iter_errors(document)
        .take(5)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    panic!("{what} is not valid OSCAL 1.2.3: {errors:#?}");
}

/// The shipped catalogue in an in-memory graph with its derived graph, for what the tests check
/// through the library rather than over HTTP.
fn catalogue() -> &'static (crosswalk::graph::Graph, crosswalk::graph::codes::Codes) {
    static CATALOGUE: OnceLock<(crosswalk::graph::Graph, crosswalk::graph::codes::Codes)> =
        OnceLock::new();
    CATALOGUE.get_or_init(|| {
        let graph = crosswalk::graph::Graph::in_memory().unwrap();
        let config = crosswalk::config::Config {
            seeds_dir: common::root().join("seeds"),
            ontology_dir: common::root().join("ontology"),
            ..Default::default()
        };
        let report =
            crosswalk::graph::load_seed_dirs(&graph, &crosswalk::seed_roots(&config)).unwrap();
        assert!(report.errors.is_empty(), "{:?}", report.errors);
        crosswalk::graph::derive::refresh(&graph).unwrap();
        let codes = crosswalk::graph::codes::Codes::load(&graph).unwrap();
        (graph, codes)
    })
}

/// The `maps` of a control-mapping document, without what depends on the store's revision.
fn maps_of(document: &Value) -> Vec<Value> {
    document["mapping-collection"]["mappings"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|m| m["maps"].as_array().unwrap().clone())
        .collect()
}

#[test]
fn every_oscal_catalog_and_mapping_pair_validates_against_the_nist_schemas() {
    let catalogs = validator(
        "oscal_catalog_schema.json",
        "37d8dbb0b2b4ffb1d7973d455e8edcb38eaf73a50d01ffdbe3ac20285b9cb6ee",
    );
    let mappings = validator(
        "oscal_mapping_schema.json",
        "6e9ef954394b1d42302e52f7c5dae05e35e577e5d83696d95e2181b5a15a6d6d",
    );
    // The full export: every framework with curated provisions, every mapped pair both ways,
    // derived mappings included (what `crosswalk export oscal-all` writes).
    let (graph, codes) = catalogue();
    let documents = crosswalk::export::oscal::everything(graph, codes).unwrap();
    let frameworks: BTreeSet<String> = graph
        .select(
            "test",
            "PREFIX cw: <https://w3id.org/crosswalk/ontology#>
             SELECT DISTINCT ?i WHERE { ?p a cw:Provision ; cw:instrument ?i FILTER NOT EXISTS { ?p cw:origin cw:Extracted } }",
            [],
        )
        .unwrap()
        .iter()
        .map(|r| value(r, "i").rsplit('/').next().unwrap().to_owned())
        .collect();
    assert!(frameworks.len() >= 20, "{frameworks:?}");
    let exported: BTreeSet<String> = documents
        .iter()
        .filter_map(|d| d.path.strip_prefix("catalogs/"))
        .map(|p| p.trim_end_matches(".json").to_owned())
        .collect();
    assert_eq!(exported, frameworks, "one catalog per framework");
    // Every pair of frameworks joined by a provision-level mapping, both ways.
    let mapped: BTreeSet<String> = graph
        .select(
            "test",
            "PREFIX cw: <https://w3id.org/crosswalk/ontology#>
             SELECT DISTINCT ?si ?oi WHERE { ?m a cw:Mapping ; cw:subject ?s ; cw:object ?o .
               ?s cw:instrument ?si . ?o cw:instrument ?oi FILTER(?si != ?oi)
               FILTER NOT EXISTS { ?s cw:origin cw:Extracted } FILTER NOT EXISTS { ?o cw:origin cw:Extracted } }",
            [],
        )
        .unwrap()
        .iter()
        .flat_map(|r| {
            let (a, b) = (value(r, "si"), value(r, "oi"));
            let code = |i: &str| i.rsplit('/').next().unwrap().to_owned();
            [
                format!("{}--{}", code(&a), code(&b)),
                format!("{}--{}", code(&b), code(&a)),
            ]
        })
        .collect();
    let exported: BTreeSet<String> = documents
        .iter()
        .filter_map(|d| d.path.strip_prefix("mappings/"))
        .map(|p| p.trim_end_matches(".json").to_owned())
        .collect();
    assert!(mapped.len() >= 20, "{} directed pairs", mapped.len());
    assert!(
        mapped.is_subset(&exported),
        "pairs without a document: {:?}",
        mapped.difference(&exported).collect::<Vec<_>>()
    );
    for document in &documents {
        if document.path.starts_with("catalogs/") {
            assert_valid(&catalogs, &document.json, &document.path);
        } else {
            assert_valid(&mappings, &document.json, &document.path);
        }
    }

    // Over HTTP: the NIST AI RMF's functions are groups, subcategories nested controls with
    // labels.
    let server = shipped();
    let rmf = ok_json(server, &format!("/api/export/oscal/catalog/{RMF}"));
    assert_valid(&catalogs, &rmf, "catalog over HTTP");
    let groups = rmf["catalog"]["groups"].as_array().unwrap();
    assert_eq!(
        groups
            .iter()
            .map(|g| g["id"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["GOVERN", "MAP", "MEASURE", "MANAGE"]
    );
    let govern_1 = &groups[0]["controls"][0];
    assert_eq!(govern_1["id"], "GOVERN-1");
    assert_eq!(govern_1["controls"][0]["id"], "GOVERN-1.1");
    assert_eq!(govern_1["controls"][0]["props"][0]["value"], "GOVERN 1.1");
    // The server answers a pair with what the full export holds for it.
    let crosswalk = ok_json(
        server,
        &format!("/api/export/oscal/mapping?from={ISO}&to={RMF}&derived=true"),
    );
    assert_valid(&mappings, &crosswalk, "mapping over HTTP");
    let full = documents
        .iter()
        .find(|d| d.path == format!("mappings/{ISO}--{RMF}.json"))
        .unwrap();
    assert_eq!(maps_of(&crosswalk), maps_of(&full.json));
    let published = ok_json(
        server,
        &format!("/api/export/oscal/mapping?from={RMF}&to={ISO}"),
    );
    assert_eq!(
        maps_of(&published).len(),
        280,
        "the published NIST AI RMF ↔ ISO/IEC 42001 crosswalk"
    );
    // Provenance links carry the published crosswalk's title (read from the graph).
    let titles: Vec<&str> = published["mapping-collection"]["mappings"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|m| m["links"].as_array().into_iter().flatten())
        .filter(|l| l["rel"] == "provenance")
        .filter_map(|l| l["text"].as_str())
        .collect();
    assert!(
        titles.contains(&"NIST AI RMF to ISO/IEC FDIS 42001 AI Management System Crosswalk"),
        "{titles:?}"
    );
}

#[test]
fn oscal_and_sssom_round_trips_reproduce_the_280_nist_iso_pairs() {
    let source = shipped();
    let expected = pairs(
        source,
        "STRSTARTS(STR(?g), \"https://w3id.org/crosswalk/graph/seed/\")",
    );
    assert_eq!(expected.len(), 280);
    let oscal = ok_bytes(
        source,
        &format!("/api/export/oscal/mapping?from={RMF}&to={ISO}"),
    );
    let sssom = ok_bytes(source, &format!("/api/export/sssom?from={RMF}&to={ISO}"));
    let sssom_text = String::from_utf8(sssom.clone()).unwrap();
    assert!(
        sssom_text.starts_with("#curie_map:\n"),
        "{}",
        &sssom_text[..200]
    );
    assert!(
        sssom_text.contains("\nsubject_id\t") || sssom_text.contains("\nrecord_id\tsubject_id\t")
    );

    let (target, _seeds) = without_mappings();
    assert!(
        pairs(&target, "true").is_empty(),
        "the store starts without mappings"
    );
    for (name, body) in [("rt-oscal", oscal), ("rt-sssom", sssom)] {
        let (status, report) = post_import(&target, &format!("name={name}"), body);
        assert_eq!(status, StatusCode::OK, "{report}");
        assert_eq!(report["accepted"], 280, "{report}");
        let imported = pairs(
            &target,
            &format!("?g = <https://w3id.org/crosswalk/graph/import/{name}>"),
        );
        assert_eq!(
            imported, expected,
            "{name}: the same pairs with the same relationships"
        );
    }
    // Imported mappings are drafts with provenance, and feed derivation.
    let drafts = select(
        &target,
        "SELECT (COUNT(?m) AS ?n) WHERE { GRAPH <https://w3id.org/crosswalk/graph/import/rt-sssom> {
            ?m a cw:Mapping ; cw:reviewStatus cw:draft ; cw:method cw:human ; prov:wasDerivedFrom ?p } }",
    );
    assert!(value(&drafts[0], "n").parse::<usize>().unwrap() >= 280);
    let skos = select(
        &target,
        "SELECT (COUNT(*) AS ?n) WHERE { GRAPH <https://w3id.org/crosswalk/graph/derived> { ?a skos:relatedMatch ?b } }",
    );
    assert!(
        value(&skos[0], "n").parse::<usize>().unwrap() >= 280,
        "derivation saw the imports"
    );
    // Importing again under the same name replaces, never duplicates.
    let again = ok_bytes(source, &format!("/api/export/sssom?from={RMF}&to={ISO}"));
    let (status, _) = post_import(&target, "name=rt-sssom", again);
    assert_eq!(status, StatusCode::OK);
    let count = select(
        &target,
        "SELECT (COUNT(?m) AS ?n) WHERE { GRAPH <https://w3id.org/crosswalk/graph/import/rt-sssom> { ?m a cw:Mapping } }",
    );
    assert_eq!(value(&count[0], "n"), "280");
}

#[test]
fn a_malformed_import_is_rejected_row_by_row_and_changes_nothing() {
    let (server, _seeds) = without_mappings();
    let header = "#curie_map:\n#  rmf: https://w3id.org/crosswalk/id/provision/us-nist-ai-rmf/\n#  iso: https://w3id.org/crosswalk/id/provision/iso-iec-42001/\n#mapping_set_id: https://example.org/sets/test\nsubject_id\tpredicate_id\tobject_id\tmapping_justification\tconfidence\tauthor_id\tmapping_date\tcomment\n";
    let good = [
        "rmf:GOVERN-1.1\tskos:relatedMatch\tiso:4.1\tsemapv:ManualMappingCuration\t0.8\torcid:0000-0002-1825-0097\t2026-01-15\tfirst",
        "rmf:GOVERN-1.2\tskos:broadMatch\tiso:A.2.2\tsemapv:ManualMappingCuration\t\t\t\tsecond",
        "rmf:MAP-1.1\tskos:exactMatch\tiso:4.3\tsemapv:LexicalMatching\t1\t\t\tthird",
    ];
    let bad_element = "rmf:GOVERN-1.9\tskos:relatedMatch\tiso:4.1\tsemapv:ManualMappingCuration\t0.5\t\t\tnot a subcategory";
    let body = format!(
        "{header}{}\n{}\n{bad_element}\n{}\n",
        good[0], good[1], good[2]
    );
    let before = get(&server, "/healthz").json::<Value>().unwrap()["graph_revision"].clone();
    let (status, report) = post_import(&server, "format=sssom&name=bad", body.clone().into_bytes());
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{report}");
    assert_eq!(report["rows"], 4);
    assert_eq!(report["written"], false);
    let rejected = report["rejected"].as_array().unwrap();
    assert_eq!(rejected.len(), 1, "{report}");
    assert_eq!(rejected[0]["row"], "line 8");
    assert_eq!(rejected[0]["field"], "subject_id");
    let reason = rejected[0]["reason"].as_str().unwrap();
    assert!(
        reason.starts_with("unknown element") && reason.contains("us-nist-ai-rmf/GOVERN-1."),
        "{reason}"
    );
    let after = get(&server, "/healthz").json::<Value>().unwrap()["graph_revision"].clone();
    assert_eq!(before, after, "nothing was written");
    assert!(
        select(
            &server,
            "SELECT ?m WHERE { GRAPH <https://w3id.org/crosswalk/graph/import/bad> { ?m ?p ?o } }"
        )
        .is_empty()
    );

    // Each kind of bad value is named with its field.
    let kinds = [
        (
            "rmf:GOVERN-1.1\tskos:sameAsMaybe\tiso:4.1\tsemapv:ManualMappingCuration\t\t\t\t",
            "predicate_id",
            "unknown relationship",
        ),
        (
            "rmf:GOVERN-1.1\tskos:relatedMatch\tiso:4.1\tsemapv:ManualMappingCuration\thigh\t\t\t",
            "confidence",
            "0 to 1",
        ),
        (
            "rmf:GOVERN-1.1\tskos:relatedMatch\tiso:4.1\tsemapv:ManualMappingCuration\t1.5\t\t\t",
            "confidence",
            "0 to 1",
        ),
        (
            "rmf:GOVERN-1.1\tskos:relatedMatch\tiso:4.1\tsemapv:Guesswork\t\t\t\t",
            "mapping_justification",
            "semapv",
        ),
        (
            "rmf:GOVERN-1.1\tskos:relatedMatch\tiso:4.1\tsemapv:ManualMappingCuration\t\t\t26-01-15\t",
            "mapping_date",
            "YYYY-MM-DD",
        ),
        (
            "nope:X\tskos:relatedMatch\tiso:4.1\tsemapv:ManualMappingCuration\t\t\t\t",
            "subject_id",
            "unknown CURIE prefix",
        ),
    ];
    for (line, field, reason) in kinds {
        let (status, report) = post_import(
            &server,
            "format=sssom&name=kinds",
            format!("{header}{line}\n").into_bytes(),
        );
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{line}: {report}");
        let r = &report["rejected"][0];
        assert_eq!(r["field"], field, "{line}: {report}");
        assert!(
            r["reason"].as_str().unwrap().contains(reason),
            "{line}: {report}"
        );
    }

    // --partial writes the good rows and still reports the bad one.
    let (status, report) = post_import(
        &server,
        "format=sssom&name=bad&partial=true",
        body.into_bytes(),
    );
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(
        (report["accepted"].as_u64(), report["written"].as_bool()),
        (Some(3), Some(true))
    );
    assert_eq!(report["rejected"].as_array().unwrap().len(), 1);
    let written = select(&server, "SELECT ?r ?c ?d WHERE { GRAPH <https://w3id.org/crosswalk/graph/import/bad> {
        ?m cw:subject <https://w3id.org/crosswalk/id/provision/us-nist-ai-rmf/GOVERN-1.1> ; cw:relationship ?r ; cw:confidence ?c ; dcterms:date ?d } }");
    assert_eq!(written.len(), 1);
    assert_eq!(
        value(&written[0], "r"),
        "https://w3id.org/crosswalk/ontology#related"
    );
    assert_eq!(value(&written[0], "d"), "2026-01-15");

    // OSCAL: an unknown relationship token and an unknown control id are rejected per map.
    let oscal = serde_json::json!({ "mapping-collection": { "uuid": "00000000-0000-4000-8000-000000000000",
        "metadata": {}, "provenance": { "method": "human", "matching-rationale": "semantic", "status": "draft", "mapping-description": "t" },
        "mappings": [{ "uuid": "00000000-0000-4000-8000-000000000001",
            "source-resource": { "type": "catalog", "href": "/api/export/oscal/catalog/us-nist-ai-rmf" },
            "target-resource": { "type": "catalog", "href": "/api/export/oscal/catalog/iso-iec-42001" },
            "maps": [
                { "uuid": "00000000-0000-4000-8000-000000000002", "relationship": "subset-of",
                  "sources": [{ "type": "control", "id-ref": "GOVERN-1.1" }], "targets": [{ "type": "control", "id-ref": "clause-4.1" }] },
                { "uuid": "00000000-0000-4000-8000-000000000003", "relationship": "kind-of-similar",
                  "sources": [{ "type": "control", "id-ref": "GOVERN-1.2" }], "targets": [{ "type": "control", "id-ref": "clause-4.1" }] },
                { "uuid": "00000000-0000-4000-8000-000000000004", "relationship": "equal-to",
                  "sources": [{ "type": "control", "id-ref": "GOVERN-1.2" }], "targets": [{ "type": "control", "id-ref": "A.99.1" }] }
            ] }] } });
    let (status, report) = post_import(
        &server,
        "name=oscal-bad",
        serde_json::to_vec(&oscal).unwrap(),
    );
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{report}");
    let rejected: BTreeMap<String, String> = report["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["row"].as_str().unwrap().to_owned(),
                r["field"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        rejected,
        BTreeMap::from([
            ("mappings[0].maps[1]".to_owned(), "relationship".to_owned()),
            ("mappings[0].maps[2]".to_owned(), "object_id".to_owned()),
        ])
    );
    // Import needs the admin token.
    let anonymous = client()
        .post(server.url("/api/import/mappings"))
        .body("x")
        .send()
        .unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
}

fn xlsx_rows(bytes: Vec<u8>) -> Vec<Vec<String>> {
    use calamine::Reader;
    let mut workbook: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
    let range = workbook.worksheet_range_at(0).unwrap().unwrap();
    range
        .rows()
        .map(|row| row.iter().map(|c| c.to_string()).collect())
        .collect()
}

#[test]
fn spreadsheets_open_in_a_reader_with_the_cells_of_the_csv() {
    let server = shipped();
    let filters = "jurisdiction=EU&role=deployer";
    let xlsx = ok_bytes(server, &format!("/api/export/obligations.xlsx?{filters}"));
    let rows = xlsx_rows(xlsx);
    assert_eq!(
        rows[0][..6],
        [
            "Jurisdiction",
            "Instrument",
            "Reference",
            "Title",
            "Text or paraphrase",
            "Strength"
        ]
    );
    let csv = ok_bytes(server, &format!("/api/export/obligations.csv?{filters}"));
    let csv_rows: Vec<Vec<String>> = csv::Reader::from_reader(csv.as_slice())
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect();
    assert_eq!(rows.len() - 1, csv_rows.len(), "same rows in both formats");
    assert!(csv_rows.len() >= 5, "{csv_rows:?}");
    let iris: BTreeSet<&String> = csv_rows.iter().map(|r| &r[12]).collect();
    assert_eq!(iris.len(), csv_rows.len(), "one row per requirement");
    for (sheet, csv) in rows[1..].iter().zip(&csv_rows) {
        assert_eq!(sheet, csv);
    }
    // EU legislation is quoted: a requirement with verbatim text carries the Act's own words.
    let quoted: BTreeMap<String, String> = select(
        server,
        "SELECT ?r ?t WHERE { ?r a cw:Requirement ; cw:instrument inst:eu-ai-act ; cw:text ?t }",
    )
    .iter()
    .map(|r| (value(r, "r"), value(r, "t")))
    .collect();
    let verbatim = csv_rows
        .iter()
        .find(|r| quoted.contains_key(&r[12]))
        .expect("an EU deployer obligation with verbatim text");
    assert_eq!(verbatim[4], quoted[&verbatim[12]], "{verbatim:?}");
    assert!(
        verbatim[11].starts_with("https://"),
        "source URL: {verbatim:?}"
    );
    // Saved-query results and search hits export the same way.
    let gaps = xlsx_rows(ok_bytes(
        server,
        &format!("/api/export/queries/gap-analysis.xlsx?from=sg-mgf-genai&to={ISO}"),
    ));
    assert_eq!(
        gaps[0],
        ["element", "ref", "title", "partialLinks", "from", "to"]
    );
    let hits = xlsx_rows(ok_bytes(
        server,
        "/api/export/search.xlsx?q=watermark&limit=5",
    ));
    assert!(
        hits.len() >= 2 && hits[1].iter().any(|c| !c.is_empty()),
        "{hits:?}"
    );
    let unknown = get(server, "/api/export/obligations.pdf");
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
}

#[test]
fn exports_never_carry_iso_or_imda_text_beyond_titles_and_paraphrases() {
    let server = TestServer::start(|c| c.admin.token = Some(TOKEN.into()));
    // A curation mistake: verbatim text on an ISO control and an IMDA requirement.
    let planted = [
        "PLANTED-ISO-TEXT the organization shall",
        "PLANTED-IMDA-TEXT developers should",
    ];
    let update = format!(
        "INSERT DATA {{ GRAPH <urn:test:mistake> {{
            <https://w3id.org/crosswalk/id/provision/iso-iec-42001/A.2.2> cw:text \"{}\"@en .
            <https://w3id.org/crosswalk/id/requirement/sg-mgf-genai/dim-7-content-provenance> cw:text \"{}\"@en .
            <https://w3id.org/crosswalk/id/provision/sg-mgf-genai/dim-7> cw:text \"{}\"@en . }} }}",
        planted[0], planted[1], planted[1]
    );
    let inserted = client()
        .post(server.url("/sparql/update"))
        .bearer_auth(TOKEN)
        .header("content-type", "application/sparql-update")
        .body(update)
        .send()
        .unwrap();
    assert_eq!(inserted.status(), StatusCode::NO_CONTENT);
    let outputs = [
        format!("/api/export/oscal/catalog/{ISO}"),
        "/api/export/oscal/catalog/sg-mgf-genai".into(),
        format!("/api/export/oscal/mapping?from={RMF}&to={ISO}"),
        "/api/export/oscal/mapping?from=sg-mgf-genai&to=eu-ai-act".into(),
        "/api/export/obligations.csv?jurisdiction=SG".into(),
        "/api/export/obligations.csv?jurisdiction=INTL".into(),
        format!("/api/export/sssom?from={RMF}&to={ISO}"),
        "/api/questionnaire.csv?framework=sg-mgf-genai&framework=iso-iec-42001&role=deployer"
            .into(),
    ];
    for path in &outputs {
        let body = String::from_utf8(ok_bytes(&server, path)).unwrap();
        for text in planted {
            assert!(
                !body.contains(text),
                "{path} quotes a source that may not be quoted"
            );
        }
    }
    // Every prose of the ISO catalog is our paraphrase or a title, and there is no statement.
    let summaries: BTreeSet<String> = select(
        &server,
        &format!("SELECT ?s WHERE {{ ?p cw:instrument inst:{ISO} . {{ ?p cw:summary ?s }} UNION {{ ?p dcterms:title ?s }} }}"),
    )
    .iter()
    .map(|r| value(r, "s"))
    .collect();
    let catalog = ok_json(&server, &format!("/api/export/oscal/catalog/{ISO}"));
    let mut prose = Vec::new();
    collect_parts(&catalog, &mut prose);
    assert!(prose.len() > 50);
    for (name, text) in &prose {
        assert_ne!(name, "statement", "ISO/IEC text is never a statement part");
        assert!(
            summaries.contains(text),
            "not a paraphrase or title: {text:?}"
        );
    }
    // NIST text may be quoted, and is.
    let mut nist = Vec::new();
    collect_parts(
        &ok_json(&server, &format!("/api/export/oscal/catalog/{RMF}")),
        &mut nist,
    );
    assert!(nist.iter().any(|(name, _)| name == "statement"));
}

fn collect_parts(value: &Value, out: &mut Vec<(String, String)>) {
    match value {
        Value::Object(map) => {
            if let (Some(Value::String(name)), Some(Value::String(prose))) =
                (map.get("name"), map.get("prose"))
            {
                out.push((name.clone(), prose.clone()));
            }
            map.values().for_each(|v| collect_parts(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| collect_parts(v, out)),
        _ => {}
    }
}

#[test]
fn the_seed_example_questionnaire_cites_every_requirement_once_or_says_why_not() {
    let server = shipped();
    let query = "framework=sg-mgf-genai&framework=iso-iec-42001&framework=eu-ai-act&jurisdiction=SG&jurisdiction=EU&role=deployer";
    let markdown =
        String::from_utf8(ok_bytes(server, &format!("/api/questionnaire.md?{query}"))).unwrap();
    assert!(
        markdown.starts_with("# Vendor questionnaire for a deployer"),
        "{}",
        &markdown[..200]
    );
    assert!(markdown.contains("## Not asked"));
    let csv = ok_bytes(server, &format!("/api/questionnaire.csv?{query}"));
    let rows: Vec<Vec<String>> = csv::Reader::from_reader(csv.as_slice())
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect();
    let xlsx = xlsx_rows(ok_bytes(
        server,
        &format!("/api/questionnaire.xlsx?{query}"),
    ));
    assert_eq!(xlsx.len() - 1, rows.len());

    // The library's view: every requirement of the three frameworks exactly once.
    let (graph, codes) = catalogue();
    let request = crosswalk::questionnaire::Request {
        frameworks: vec!["sg-mgf-genai".into(), ISO.into(), "eu-ai-act".into()],
        jurisdictions: vec!["SG".into(), "EU".into()],
        role: "deployer".into(),
    };
    let q = crosswalk::questionnaire::build(graph, codes, &request).unwrap();
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for (_, covered) in q.citations() {
        *seen.entry(covered.requirement.iri.clone()).or_default() += 1;
    }
    for n in &q.not_asked {
        assert!(!n.reason.is_empty());
        *seen.entry(n.requirement.iri.clone()).or_default() += 1;
    }
    let all: BTreeSet<String> = select(
        server,
        "SELECT ?r WHERE { ?r a cw:Requirement ; cw:instrument ?i VALUES ?i { inst:sg-mgf-genai inst:iso-iec-42001 inst:eu-ai-act } }",
    )
    .iter()
    .map(|r| value(r, "r"))
    .collect();
    assert_eq!(seen.keys().cloned().collect::<BTreeSet<_>>(), all);
    assert!(
        seen.values().all(|&n| n == 1),
        "cited more than once: {seen:?}"
    );
    // De-duplicated: fewer questions than requirements asked about, and incident reporting
    // across MGF-GenAI and the EU AI Act is one question.
    let questions: usize = q.sections.iter().map(|s| s.questions.len()).sum();
    assert!(questions < q.citations().count(), "{questions} questions");
    let incident = q
        .sections
        .iter()
        .flat_map(|s| &s.questions)
        .find(|q| {
            q.covers
                .iter()
                .any(|c| c.requirement.iri.ends_with("dim-4-incident-reporting"))
        })
        .unwrap();
    assert!(
        incident
            .covers
            .iter()
            .any(|c| c.requirement.iri.contains("/eu-ai-act/art-73")),
        "{incident:?}"
    );
    assert!(
        incident.text.starts_with("Demonstrate that you")
            || incident.text.starts_with("Describe how you"),
        "{}",
        incident.text
    );
    // Authorities' duties are never put to a vendor.
    assert!(
        q.not_asked
            .iter()
            .any(|n| n.reason.contains("member-state") || n.reason.contains("ai-office"))
    );
    // The same request gives the same questionnaire.
    assert_eq!(
        crosswalk::questionnaire::build(graph, codes, &request)
            .unwrap()
            .markdown(),
        q.markdown()
    );
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut out)
        .unwrap();
    out
}

#[test]
fn dumps_stream_the_public_graphs_and_void_counts_them() {
    let server = shipped();
    let nquads = gunzip(&ok_bytes(server, "/dump.nq.gz"));
    let quads: Vec<_> = RdfParser::from_format(RdfFormat::NQuads)
        .for_slice(&nquads)
        .collect::<Result<_, _>>()
        .unwrap();
    let trig = gunzip(&ok_bytes(server, "/dump.trig.gz"));
    let trig_quads: Vec<_> = RdfParser::from_format(RdfFormat::TriG)
        .for_slice(&trig)
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(quads.len(), trig_quads.len());
    assert!(quads.len() > 30_000);
    assert!(
        quads
            .iter()
            .all(|q| !q.graph_name.to_string().contains("/graph/meta")),
        "bookkeeping stays out of the dump"
    );
    let response = client()
        .get(server.url("/.well-known/void"))
        .header("accept", "text/turtle")
        .send()
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let void: Vec<_> = RdfParser::from_format(RdfFormat::Turtle)
        .for_slice(&response.bytes().unwrap())
        .collect::<Result<_, _>>()
        .unwrap();
    let dataset = void
        .iter()
        .find(|q| {
            q.predicate.as_str() == "http://rdfs.org/ns/void#triples"
                && q.subject.to_string().ends_with("#crosswalk>")
        })
        .unwrap();
    let total: usize = match &dataset.object {
        Term::Literal(l) => l.value().parse().unwrap(),
        other => panic!("{other}"),
    };
    assert_eq!(total, quads.len(), "VoID counts what the dump holds");
    let has = |p: &str| void.iter().any(|q| q.predicate.as_str() == p);
    assert!(has("http://purl.org/dc/terms/modified"));
    assert!(has("http://rdfs.org/ns/void#dataDump"));
    assert!(has("http://www.w3.org/ns/sparql-service-description#name"));
    // Licence notes per source: EUR-Lex reuse for the EU AI Act's source, paraphrase-only for IMDA.
    let rights: Vec<String> = void
        .iter()
        .filter(|q| q.predicate.as_str() == "http://purl.org/dc/terms/rights")
        .map(|q| q.object.to_string())
        .collect();
    assert!(rights.iter().any(|r| r.contains("2011/833/EU")));
    assert!(rights.iter().any(|r| r.contains("IMDA")));
}

#[test]
fn standard_vocabulary_queries_find_instruments_fetches_and_sources() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (base, _site) = runtime.block_on(fixture_web::start());
    let server = TestServer::start(|c| {
        c.admin.token = Some(TOKEN.into());
        c.crawl.allow_private = vec!["127.0.0.1".into()];
        c.crawl.min_host_interval_ms = 0;
    });
    let added = client()
        .post(server.url("/api/sources"))
        .bearer_auth(TOKEN)
        .json(&serde_json::json!({ "url": format!("{base}/page"), "jurisdiction": "EU", "id": "vocab-fixture",
                                   "instrument": "https://w3id.org/crosswalk/id/instrument/eu-ai-act" }))
        .send()
        .unwrap();
    assert_eq!(
        added.status(),
        StatusCode::CREATED,
        "{}",
        added.text().unwrap()
    );
    let crawled = client()
        .post(server.url("/api/crawl"))
        .bearer_auth(TOKEN)
        .json(&serde_json::json!({ "source": "vocab-fixture" }))
        .send()
        .unwrap();
    assert_eq!(crawled.status(), StatusCode::OK);
    // Only ELI, PROV, DCAT, SKOS and DCTERMS terms below: no cw: anywhere.
    let instruments = select(
        &server,
        "PREFIX eli: <http://data.europa.eu/eli/ontology#> PREFIX dcterms: <http://purl.org/dc/terms/>
         SELECT ?i ?date WHERE { ?i a eli:LegalResource ; eli:date_publication ?date ; dcterms:spatial ?where
           FILTER(?date >= \"2024-01-01\"^^<http://www.w3.org/2001/XMLSchema#date>) }",
    );
    assert!(
        instruments
            .iter()
            .any(|r| value(r, "i").ends_with("/instrument/eu-ai-act")),
        "{instruments:?}"
    );
    let subdivisions = select(
        &server,
        "PREFIX eli: <http://data.europa.eu/eli/ontology#> SELECT ?p WHERE { ?p a eli:LegalResourceSubdivision ; eli:is_part_of ?parent } LIMIT 5",
    );
    assert_eq!(subdivisions.len(), 5);
    let fetches = select(
        &server,
        "PREFIX prov: <http://www.w3.org/ns/prov#> PREFIX dcat: <http://www.w3.org/ns/dcat#>
         SELECT ?fetch ?start ?url WHERE { ?fetch a prov:Activity ; prov:startedAtTime ?start ; prov:used ?source .
           ?source a dcat:Distribution ; dcat:accessURL ?url }",
    );
    assert!(
        fetches
            .iter()
            .any(|r| value(r, "url") == format!("{base}/page")),
        "{fetches:?}"
    );
    let sources = select(
        &server,
        "PREFIX dcat: <http://www.w3.org/ns/dcat#> SELECT ?s WHERE { ?s a dcat:Distribution ; dcat:accessURL ?u FILTER(STRSTARTS(STR(?u), \"https://publications.europa.eu/resource/celex/\")) }",
    );
    assert!(!sources.is_empty(), "seeded sources are DCAT distributions");
    let skos = select(
        &server,
        "PREFIX skos: <http://www.w3.org/2004/02/skos/core#> SELECT ?a ?b WHERE { ?a skos:mappingRelation ?b } LIMIT 3",
    );
    assert_eq!(skos.len(), 3);
    let themes = select(
        &server,
        "PREFIX dcterms: <http://purl.org/dc/terms/> PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
         SELECT ?r WHERE { ?r dcterms:subject ?t . ?t a skos:Concept ; skos:prefLabel \"Content provenance\"@en } LIMIT 3",
    );
    assert!(!themes.is_empty());
}

#[test]
fn unknown_codes_are_400s_naming_the_closest_known_codes() {
    let server = shipped();
    for (path, closest) in [
        (
            "/api/queries/gap-analysis?from=sg-mgf-genai&to=iso-42001",
            "iso-iec-42001",
        ),
        ("/api/queries/obligations?jurisdiction=SGP", "SG"),
        ("/api/export/oscal/catalog/nist-ai-rmf", RMF),
        ("/api/export/sssom?from=us-nist-ai-rmf&to=iso42001", ISO),
        ("/api/export/obligations.csv?role=deployers", "deployer"),
        (
            "/api/questionnaire.md?framework=mgf-genai&role=deployer",
            "sg-mgf-genai",
        ),
    ] {
        let response = get(server, path);
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{path}");
        let message = response.text().unwrap();
        assert!(
            message.contains("closest known") && message.contains(closest),
            "{path}: {message}"
        );
    }
    let good = get(
        server,
        &format!("/api/queries/gap-analysis?from=sg-mgf-genai&to={ISO}"),
    );
    assert_eq!(good.status(), StatusCode::OK);
}
