//! The crawler end to end against a hostile fixture site on 127.0.0.1: politeness, conditional
//! requests, backoff, redirects, limits, charsets, broken documents, SSRF, and provision-level
//! change detection over the real on-disk store.

mod fixture_web;

use crosswalk::config::Config;
use crosswalk::crawl::{CrawlReport, Crawler, Outcome};
use crosswalk::graph::Graph;
use crosswalk::graph::names;
use crosswalk::source::{self, Format, NewSource};
use fixture_web::Site;
use oxigraph::model::Term;

struct Env {
    base: String,
    site: Site,
    graph: Graph,
    crawler: Crawler,
    _dir: tempfile::TempDir,
}

fn config(dir: &std::path::Path) -> Config {
    let mut config = Config {
        data_dir: dir.to_path_buf(),
        ..Config::default()
    };
    config.crawl.allow_private = vec!["127.0.0.1".into()];
    config.crawl.min_host_interval_ms = 0;
    config.crawl.total_timeout_secs = 3;
    config.crawl.connect_timeout_secs = 3;
    config.crawl.max_body_bytes = 1024 * 1024;
    config
}

async fn env_with(configure: impl FnOnce(&mut Config)) -> Env {
    let (base, site) = fixture_web::start().await;
    let dir = tempfile::tempdir().unwrap();
    let mut config = config(dir.path());
    configure(&mut config);
    let graph = Graph::open(&config.graph_dir()).unwrap();
    let crawler = Crawler::new(graph.clone(), &config)
        .unwrap()
        .with_pdf_sandbox(crosswalk::extract::PdfSandbox {
            program: Some(env!("CARGO_BIN_EXE_crosswalk").into()),
            ..Default::default()
        });
    Env {
        base,
        site,
        graph,
        crawler,
        _dir: dir,
    }
}

async fn env() -> Env {
    env_with(|_| {}).await
}

impl Env {
    fn add(&self, id: &str, path: &str, format: Format) {
        source::add(
            &self.graph,
            NewSource {
                url: format!("{}{path}", self.base),
                jurisdiction: "EU".into(),
                instrument: Some(format!("https://w3id.org/crosswalk/id/instrument/{id}")),
                format: Some(format),
                id: Some(id.into()),
                language: Some("en".into()),
                ..NewSource::default()
            },
        )
        .unwrap();
    }

    async fn crawl(&self, id: &str) -> CrawlReport {
        self.crawler.crawl_source(id).await.unwrap()
    }

    fn count(&self, query: &str) -> usize {
        let rows = self.graph.select("test", query, []).unwrap();
        match rows.first().and_then(|r| r.get("n")) {
            Some(Term::Literal(l)) => l.value().parse().unwrap(),
            _ => 0,
        }
    }

    fn source_triples(&self, id: &str) -> usize {
        self.count(&format!(
            "SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{}> {{ ?s ?p ?o }} }}",
            names::source_graph(id).as_str()
        ))
    }

    fn events(&self) -> usize {
        self.count(
            "PREFIX cw: <https://w3id.org/crosswalk/ontology#>
             SELECT (COUNT(*) AS ?n) WHERE { GRAPH <https://w3id.org/crosswalk/graph/changes> { ?e a cw:ChangeEvent } }",
        )
    }

    fn strings(&self, query: &str, var: &str) -> Vec<String> {
        strings(&self.graph, query, var)
    }

    fn source_text(&self, id: &str) -> String {
        self.strings(
            &format!(
                "PREFIX cw: <https://w3id.org/crosswalk/ontology#>
                 SELECT ?t WHERE {{ GRAPH <{}> {{ ?p a cw:Provision ; cw:text ?t }} }}",
                names::source_graph(id).as_str()
            ),
            "t",
        )
        .join("\n")
    }

    /// Asserts a recorded failure that left no content and no change event behind.
    fn assert_failed_cleanly(&self, report: &CrawlReport, id: &str, reason: &str) {
        assert_eq!(report.outcome, Outcome::Failed, "{report:?}");
        let got = report.reason.clone().unwrap_or_default();
        assert!(
            got.to_lowercase().contains(&reason.to_lowercase()),
            "reason {got:?} lacks {reason:?}"
        );
        assert_eq!(self.source_triples(id), 0, "no content for a failure");
        assert_eq!(self.events(), 0, "no change event for a failure");
        let failures = self.count(&format!(
            "PREFIX cw: <https://w3id.org/crosswalk/ontology#>
             SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{}> {{ ?f a cw:Fetch ; cw:outcome \"failed\" ; cw:failureReason ?r ;
                 cw:source <https://w3id.org/crosswalk/id/source/{id}> }} }}",
            names::FETCHES_GRAPH.as_str()
        ));
        assert_eq!(failures, 1, "the failure is recorded as a fetch activity");
    }
}

/// The sorted values (IRIs or literal values) of `var` in a SELECT's rows.
fn strings(graph: &Graph, query: &str, var: &str) -> Vec<String> {
    let mut out: Vec<String> = graph
        .select("test", query, [])
        .unwrap()
        .iter()
        .filter_map(|r| match r.get(var) {
            Some(Term::Literal(l)) => Some(l.value().to_owned()),
            Some(Term::NamedNode(n)) => Some(n.as_str().to_owned()),
            _ => None,
        })
        .collect();
    out.sort();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn robots_disallow_is_respected_and_cached() {
    let env = env().await;
    env.add("secret", "/private/doc", Format::Html);
    let report = env.crawl("secret").await;
    env.assert_failed_cleanly(&report, "secret", "robots.txt disallows");
    assert_eq!(
        env.site.hits("/private/doc"),
        0,
        "the disallowed path was never requested"
    );
    env.crawl("secret").await;
    assert_eq!(env.site.hits("/private/doc"), 0);
    assert_eq!(env.site.hits("/robots.txt"), 1, "robots.txt is cached");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn etag_304_is_unchanged_and_keeps_provision_identifiers() {
    let env = env().await;
    env.add("reg", "/page", Format::Html);
    let first = env.crawl("reg").await;
    assert_eq!(first.outcome, Outcome::Fetched, "{first:?}");
    assert_eq!(first.http_status, Some(200));
    assert_eq!(env.events(), 1, "a first fetch records one baseline event");
    let provisions = "PREFIX cw: <https://w3id.org/crosswalk/ontology#>
        SELECT ?p WHERE { GRAPH <https://w3id.org/crosswalk/graph/source/reg> { ?p a cw:Provision } }";
    let before = env.strings(provisions, "p");
    assert!(!before.is_empty());
    let second = env.crawl("reg").await;
    assert_eq!(second.outcome, Outcome::Unchanged, "{second:?}");
    assert_eq!(second.http_status, Some(304));
    assert_eq!(
        env.strings(provisions, "p"),
        before,
        "identifiers survive a re-crawl"
    );
    assert_eq!(env.events(), 1, "no event for an unchanged source");
    let recorded = env.count(
        "PREFIX cw: <https://w3id.org/crosswalk/ontology#>
         SELECT (COUNT(*) AS ?n) WHERE { ?f a cw:Fetch ; cw:outcome \"unchanged\" ; cw:httpStatus 304 ; cw:etag ?e }",
    );
    assert_eq!(recorded, 1);
    assert_eq!(env.site.hits("/page"), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn last_modified_304_is_unchanged() {
    let env = env().await;
    env.add("lm", "/lm-page", Format::Html);
    assert_eq!(env.crawl("lm").await.outcome, Outcome::Fetched);
    let again = env.crawl("lm").await;
    assert_eq!(
        (again.outcome, again.http_status),
        (Outcome::Unchanged, Some(304))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_after_429_reschedules_without_sleeping_or_refetching() {
    let env = env().await;
    env.add("limited", "/limited", Format::Html);
    let report = env.crawl("limited").await;
    env.assert_failed_cleanly(&report, "limited", "HTTP 429");
    assert_eq!(report.retry_count, 1);
    let next =
        chrono::DateTime::parse_from_rfc3339(report.next_attempt_at.as_deref().unwrap()).unwrap();
    assert!(
        next.timestamp() >= chrono::Utc::now().timestamp() + 3500,
        "Retry-After 3600 honoured: {next}"
    );
    let state = env.crawler.state().get("limited").unwrap();
    assert_eq!(state.retry_count, 1);
    let deferred = env.crawl("limited").await;
    assert_eq!(deferred.outcome, Outcome::Deferred);
    assert_eq!(
        env.site.hits("/limited"),
        1,
        "no request before the retry time"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_errors_are_transient_with_backoff() {
    let env = env().await;
    env.add("flaky", "/flaky", Format::Html);
    let report = env.crawl("flaky").await;
    env.assert_failed_cleanly(&report, "flaky", "HTTP 502");
    assert_eq!(report.retry_count, 1);
    assert!(report.next_attempt_at.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redirects_are_bounded_and_the_final_url_recorded() {
    let env = env().await;
    env.add("loop", "/loop-a", Format::Html);
    env.assert_failed_cleanly(&env.crawl("loop").await, "loop", "redirect loop");
    env.add("long", "/chain/7", Format::Html);
    let long = env.crawl("long").await;
    assert!(long.reason.unwrap().contains("more than 5 redirects"));
    assert_eq!(env.site.hits("/chain/1"), 0, "stopped after five hops");
    env.add("short", "/chain/3", Format::Html);
    let short = env.crawl("short").await;
    assert_eq!(short.outcome, Outcome::Fetched, "{short:?}");
    assert!(short.final_url.unwrap().ends_with("/chain/0"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_drip_body_hits_the_total_timeout() {
    let env = env_with(|c| c.crawl.total_timeout_secs = 1).await;
    env.add("slow", "/slow", Format::Html);
    env.assert_failed_cleanly(&env.crawl("slow").await, "slow", "timed out");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn endless_body_and_gzip_bomb_stop_at_the_cap() {
    let env = env().await;
    env.add("endless", "/endless", Format::Html);
    let report = env.crawl("endless").await;
    assert_eq!(report.outcome, Outcome::Failed);
    assert!(
        report
            .reason
            .unwrap()
            .contains("body larger than 1048576 bytes")
    );
    env.add("bomb", "/bomb", Format::Html);
    let report = env.crawl("bomb").await;
    assert_eq!(report.outcome, Outcome::Failed);
    let reason = report.reason.unwrap();
    assert!(reason.contains("after decompression"), "{reason}");
    assert_eq!(env.events(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_and_missing_charsets_are_decoded() {
    let env = env().await;
    env.add("cp1252", "/win1252", Format::Html);
    let report = env.crawl("cp1252").await;
    assert_eq!(report.outcome, Outcome::Fetched, "{report:?}");
    let text = env.source_text("cp1252");
    assert!(
        text.contains("\u{201c}provider\u{201d}") && text.contains("café"),
        "{text}"
    );
    env.add("sjis", "/sjis", Format::Html);
    assert_eq!(env.crawl("sjis").await.outcome, Outcome::Fetched);
    let text = env.source_text("sjis");
    assert!(text.contains("人工知能"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_html_does_not_crash() {
    let env = env().await;
    env.add("broken", "/malformed", Format::Html);
    let report = env.crawl("broken").await;
    match report.outcome {
        Outcome::Fetched => assert!(
            env.source_text("broken")
                .contains("Providers shall register")
        ),
        Outcome::Failed => assert!(report.reason.is_some()),
        other => panic!("unexpected {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn corrupt_and_textless_pdfs_are_recorded_failures() {
    let env = env().await;
    env.add("corrupt", "/corrupt.pdf", Format::Pdf);
    let corrupt = env.crawl("corrupt").await;
    env.assert_failed_cleanly(&corrupt, "corrupt", "extraction");
    env.add("scan", "/textless.pdf", Format::Pdf);
    let scan = env.crawl("scan").await;
    assert_eq!(scan.outcome, Outcome::Failed);
    assert!(scan.reason.unwrap().contains("no text layer"));
    assert_eq!(env.source_triples("scan"), 0);
    // A PDF source answering with HTML (a landing page) is a failure too.
    env.add("notpdf", "/surat-edaran", Format::Pdf);
    assert!(
        env.crawl("notpdf")
            .await
            .reason
            .unwrap()
            .contains("expected a PDF")
    );
    assert_eq!(env.events(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn challenge_login_and_empty_pages_are_failures_not_content() {
    let env = env().await;
    env.add("waf", "/challenge", Format::Html);
    env.assert_failed_cleanly(&env.crawl("waf").await, "waf", "challenge");
    env.add("login", "/login-redirect", Format::Html);
    let login = env.crawl("login").await;
    assert!(login.reason.unwrap().contains("login or consent page"));
    source::add(
        &env.graph,
        NewSource {
            url: format!("{}/empty", env.base),
            jurisdiction: "EU".into(),
            id: Some("empty".into()),
            include_selector: Some("main".into()),
            ..NewSource::default()
        },
    )
    .unwrap();
    let empty = env.crawl("empty").await;
    assert_eq!(empty.outcome, Outcome::Failed, "{empty:?}");
    assert_eq!(env.source_triples("empty"), 0);
    assert_eq!(env.events(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_addresses_are_refused_without_the_allow_list_and_on_redirect_hops() {
    let closed = env_with(|c| c.crawl.allow_private.clear()).await;
    closed.add("reg", "/page", Format::Html);
    let report = closed.crawl("reg").await;
    closed.assert_failed_cleanly(&report, "reg", "private or special-purpose address");
    assert_eq!(
        closed.site.hits("/robots.txt") + closed.site.hits("/page"),
        0,
        "nothing was requested"
    );

    let open = env().await;
    open.add("hop", "/to-private", Format::Html);
    let report = open.crawl("hop").await;
    open.assert_failed_cleanly(&report, "hop", "127.0.0.2");
}

/// A curated provision and a reviewed mapping on it, as a seed file would have them.
const CURATED: &str = r#"
@prefix cw: <https://w3id.org/crosswalk/ontology#> .
<https://w3id.org/crosswalk/id/provision/reg/art-2> a cw:Provision ;
    cw:instrument <https://w3id.org/crosswalk/id/instrument/reg> ; cw:ref "Art. 2" .
<https://w3id.org/crosswalk/id/provision/other/x-1> a cw:Provision .
<https://w3id.org/crosswalk/id/mapping/test/0001> a cw:Mapping ;
    cw:subject <https://w3id.org/crosswalk/id/provision/reg/art-2> ;
    cw:object <https://w3id.org/crosswalk/id/provision/other/x-1> ;
    cw:reviewStatus cw:reviewed .
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_page_yields_provision_level_events_and_replaces_the_source_graph() {
    let env = env().await;
    let curated: Vec<oxigraph::model::Quad> =
        oxigraph::io::RdfParser::from_format(oxigraph::io::RdfFormat::Turtle)
            .with_default_graph(
                oxigraph::model::NamedNode::new("https://w3id.org/crosswalk/graph/seed/test.ttl")
                    .unwrap(),
            )
            .for_slice(CURATED.as_bytes())
            .collect::<Result<_, _>>()
            .unwrap();
    env.graph
        .write(|t| {
            t.extend(&curated);
            Ok::<_, crosswalk::graph::GraphError>(())
        })
        .unwrap();
    env.add("reg", "/page", Format::Html);
    let first = env.crawl("reg").await;
    assert_eq!(first.outcome, Outcome::Fetched, "{first:?}");
    assert_eq!(
        (first.changes, first.material_changes),
        (1, 0),
        "one baseline event, not one per provision"
    );
    let ids = "PREFIX cw: <https://w3id.org/crosswalk/ontology#>
        PREFIX dcterms: <http://purl.org/dc/terms/>
        SELECT ?id WHERE { GRAPH <https://w3id.org/crosswalk/graph/source/reg> { ?p a cw:Provision ; dcterms:identifier ?id } }";
    let before = env.strings(ids, "id");
    assert!(before.contains(&"art-3".to_string()), "{before:?}");
    let corresponds = env.count(
        "PREFIX cw: <https://w3id.org/crosswalk/ontology#>
         SELECT (COUNT(*) AS ?n) WHERE { ?p cw:correspondsTo <https://w3id.org/crosswalk/id/provision/reg/art-2> }",
    );
    assert_eq!(
        corresponds, 1,
        "the extracted Article 2 points at the curated one"
    );

    env.site
        .set_page(fixture_web::fixture("regulation-v2.html"));
    let second = env.crawl("reg").await;
    assert_eq!(second.outcome, Outcome::Changed, "{second:?}");
    let events = env.strings(
        "PREFIX cw: <https://w3id.org/crosswalk/ontology#>
         SELECT ?e WHERE { GRAPH <https://w3id.org/crosswalk/graph/changes> {
             ?x a cw:ChangeEvent ; cw:changeKind ?k ; cw:material ?m ; cw:affects ?p .
             FILTER(STRSTARTS(STR(?p), \"https://w3id.org/crosswalk/id/extracted/\"))
             BIND(CONCAT(REPLACE(STR(?p), \"^.*/\", \"\"), \" \", ?k, \" \", STR(?m)) AS ?e) } }",
        "e",
    );
    let expected = [
        "art-1 provision-modified false",
        "art-2 provision-modified true",
        "art-3 provision-removed true",
        "art-4 provision-added true",
        "art-5 date-moved true",
    ];
    for e in expected {
        assert!(events.iter().any(|x| x == e), "missing {e:?} in {events:?}");
    }
    let after = env.strings(ids, "id");
    assert!(
        !after.contains(&"art-3".to_string()) && after.contains(&"art-4".to_string()),
        "{after:?}"
    );
    // Events name both snapshots; the mapping on the changed curated provision needs review.
    let derived = env.count(
        "PREFIX cw: <https://w3id.org/crosswalk/ontology#> PREFIX prov: <http://www.w3.org/ns/prov#>
         SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?e cw:changeKind \"date-moved\" ; prov:wasDerivedFrom ?s . ?s a cw:Snapshot }",
    );
    assert_eq!(derived, 2);
    let flagged = env.count(
        "PREFIX cw: <https://w3id.org/crosswalk/ontology#>
         SELECT (COUNT(*) AS ?n) WHERE { GRAPH <https://w3id.org/crosswalk/graph/review> {
             <https://w3id.org/crosswalk/id/mapping/test/0001> cw:reviewStatus cw:needsReview } }",
    );
    assert_eq!(flagged, 1);
    // An editorial-only change flags nothing and is not material.
    let editorial = events.iter().filter(|e| e.ends_with("false")).count();
    assert_eq!(editorial, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn indonesian_circular_yields_obligations_with_provenance() {
    let env = env().await;
    source::add(
        &env.graph,
        NewSource {
            url: format!("{}/surat-edaran", env.base),
            jurisdiction: "ID".into(),
            id: Some("se".into()),
            language: Some("id".into()),
            ..NewSource::default()
        },
    )
    .unwrap();
    let report = env.crawl("se").await;
    assert_eq!(report.outcome, Outcome::Fetched, "{report:?}");
    assert!(report.obligations >= 2, "{report:?}");
    let strengths = env.strings(
        "PREFIX cw: <https://w3id.org/crosswalk/ontology#> PREFIX prov: <http://www.w3.org/ns/prov#>
         SELECT ?s WHERE { GRAPH <https://w3id.org/crosswalk/graph/source/se> {
             ?r a cw:Requirement ; cw:deonticStrength ?s ; cw:origin cw:Extracted ; cw:confidence ?c ;
                prov:wasDerivedFrom ?snap ; cw:provision ?p } }",
        "s",
    );
    assert!(
        strengths.iter().any(|s| s.ends_with("#must")),
        "{strengths:?}"
    );
    assert!(
        strengths.iter().any(|s| s.ends_with("#mustNot")),
        "{strengths:?}"
    );
    // Registered without an instrument: a draft, unverified stub an analyst can complete.
    let stub = env.count(
        "PREFIX cw: <https://w3id.org/crosswalk/ontology#>
         SELECT (COUNT(*) AS ?n) WHERE { GRAPH <https://w3id.org/crosswalk/graph/sources> {
             ?i a cw:Instrument ; cw:evidenceLevel cw:Unverified ; cw:reviewStatus cw:draft ;
                cw:jurisdiction <https://w3id.org/crosswalk/id/jurisdiction/ID> } }",
    );
    assert_eq!(stub, 1);
    // The snapshot is stored content-addressed and its raw bytes are the page.
    let sha = env.strings(
        "PREFIX cw: <https://w3id.org/crosswalk/ontology#>
         SELECT ?h WHERE { ?s a cw:Snapshot ; cw:sha256 ?h }",
        "h",
    );
    let store = crosswalk::snapshot::SnapshotStore::in_data_dir(env._dir.path());
    assert_eq!(
        store.get(&sha[0]).unwrap(),
        fixture_web::fixture("surat-edaran.html")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malay_guideline_yields_sections_and_obligations() {
    let env = env().await;
    source::add(
        &env.graph,
        NewSource {
            url: format!("{}/garis-panduan", env.base),
            jurisdiction: "MY".into(),
            id: Some("gp".into()),
            language: Some("ms".into()),
            ..NewSource::default()
        },
    )
    .unwrap();
    let report = env.crawl("gp").await;
    assert_eq!(report.outcome, Outcome::Fetched, "{report:?}");
    let ids = env.strings(
        "PREFIX cw: <https://w3id.org/crosswalk/ontology#> PREFIX dcterms: <http://purl.org/dc/terms/>
         SELECT ?id WHERE { GRAPH <https://w3id.org/crosswalk/graph/source/gp> { ?p a cw:Provision ; dcterms:identifier ?id } }",
        "id",
    );
    assert!(
        ids.iter().any(|i| i.contains('1')) && ids.len() >= 2,
        "{ids:?}"
    );
    assert!(
        report.obligations >= 2,
        "hendaklah and tidak boleh: {report:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_api_manages_sources_and_crawls_while_the_server_holds_the_store() {
    use crosswalk::server::{self, AppState};
    let (base, _site) = fixture_web::start().await;
    let dir = tempfile::tempdir().unwrap();
    let mut config = config(dir.path());
    config.admin.token = Some("crawl-test-admin-token".into());
    config.crawl.schedule = false;
    config.search.enabled = false;
    let graph = Graph::open(&config.graph_dir()).unwrap();
    let downstream = crosswalk::downstream::Downstream::open(&config, &graph).unwrap();
    let saved = crosswalk::sparql::saved::SavedQueries::load(&config.queries_dir).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let api = format!("http://{}", listener.local_addr().unwrap());
    let data = config.data_dir.clone();
    tokio::spawn(server::serve(
        AppState::new(config, downstream, saved),
        listener,
    ));
    let client = reqwest::Client::new();
    let token = "Bearer crawl-test-admin-token";
    let body =
        serde_json::json!({"url": format!("{base}/page"), "jurisdiction": "EU", "id": "reg"});

    let anonymous = client
        .post(format!("{api}/api/sources"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    let created = client
        .post(format!("{api}/api/sources"))
        .header("authorization", token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let bad = client
        .post(format!("{api}/api/sources"))
        .header("authorization", token)
        .json(&serde_json::json!({"url": "file:///etc/passwd", "jurisdiction": "EU"}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);

    let crawled: serde_json::Value = client
        .post(format!("{api}/api/crawl"))
        .header("authorization", token)
        .json(&serde_json::json!({"source": "reg"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(crawled["reports"][0]["outcome"], "fetched", "{crawled}");

    let listed: serde_json::Value = reqwest::get(format!("{api}/api/sources"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let reg = listed["sources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == "reg")
        .unwrap()
        .clone();
    assert_eq!(reg["last_outcome"], "fetched");
    assert!(!listed.to_string().contains("crawl-test-admin-token"));

    // The CLI cannot open the store the server holds, and names the endpoint to use.
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_crosswalk"))
        .args(["crawl", "--all", "--data"])
        .arg(&data)
        .env("CROSSWALK_LOG", "error")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("POST /api/crawl"), "{stderr}");

    let paused = client
        .post(format!("{api}/api/sources/reg/pause"))
        .header("authorization", token)
        .send()
        .await
        .unwrap();
    assert_eq!(paused.status(), 200);
    let removed = client
        .delete(format!("{api}/api/sources/reg"))
        .header("authorization", token)
        .send()
        .await
        .unwrap();
    assert_eq!(removed.status(), 200);
    let gone = client
        .delete(format!("{api}/api/sources/reg"))
        .header("authorization", token)
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), 404);
}

/// What a crawl leaves downstream of the graph: the source's provisions, its change events, the
/// derived mappings, and the search hits for a word of the page, with the index at the graph's
/// revision.
#[derive(Debug, PartialEq)]
struct Downstream {
    provisions: Vec<String>,
    events: Vec<String>,
    derived_triples: usize,
    hits: Vec<String>,
}

fn downstream_state(graph: &Graph, index: &crosswalk::index::SearchIndex) -> Downstream {
    assert_eq!(
        index.revision(),
        graph.revision(),
        "the index reflects the crawl's last write"
    );
    let strings = |query: &str, var: &str| strings(graph, query, var);
    let derived = strings(
        "SELECT (COUNT(*) AS ?n) WHERE { GRAPH <https://w3id.org/crosswalk/graph/derived> { ?s ?p ?o } }",
        "n",
    );
    let hits = index
        .search(&crosswalk::index::SearchRequest {
            q: "logs".into(),
            ..Default::default()
        })
        .unwrap()
        .hits
        .into_iter()
        .map(|h| h.iri)
        .collect();
    Downstream {
        provisions: strings(
            "PREFIX cw: <https://w3id.org/crosswalk/ontology#>
             SELECT ?p WHERE { GRAPH <https://w3id.org/crosswalk/graph/source/reg> { ?p a cw:Provision } }",
            "p",
        ),
        events: strings(
            "PREFIX cw: <https://w3id.org/crosswalk/ontology#>
             SELECT ?k WHERE { ?e a cw:ChangeEvent ; cw:changeKind ?k }",
            "k",
        ),
        derived_triples: derived[0].parse().unwrap(),
        hits,
    }
}

/// The CLI and the server reach the derived graph and the index through the same change feed:
/// registering and crawling one page through each leaves the same state downstream.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cli_crawl_and_a_server_crawl_leave_the_same_state_downstream() {
    use crosswalk::server::{self, AppState};
    let (base, _site) = fixture_web::start().await;
    // A small catalogue, so that each CLI process (which loads it, derives and indexes) is quick.
    let settings = format!(
        "seeds_dir = {:?}\n[crawl]\nallow_private = [\"127.0.0.1\"]\nmin_host_interval_ms = 0\nschedule = false\n",
        concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/feed-seeds")
    );

    // Through the CLI, in its own process.
    let cli_dir = tempfile::tempdir().unwrap();
    let config_file = cli_dir.path().join("crosswalk.toml");
    std::fs::write(&config_file, &settings).unwrap();
    let data = cli_dir.path().join("data");
    let run = |args: &[&str]| {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_crosswalk"))
            .args(args)
            .arg("--data")
            .arg(&data)
            .arg("--config")
            .arg(&config_file)
            .env("CROSSWALK_LOG", "error")
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    };
    let url = format!("{base}/page");
    run(&[
        "sources",
        "add",
        &url,
        "--jurisdiction",
        "EU",
        "--id",
        "reg",
    ]);
    run(&["crawl", "--source", "reg"]);
    let via_cli = {
        let mut config: Config = toml::from_str(&settings).unwrap();
        config.data_dir = data.clone();
        // Opened without catching up: what the CLI left behind.
        let graph = Graph::open(&config.graph_dir()).unwrap();
        let index =
            crosswalk::index::SearchIndex::open_behind(&config.index_dir(), &graph).unwrap();
        downstream_state(&graph, &index)
    };

    // Through the server's API.
    let server_dir = tempfile::tempdir().unwrap();
    let mut config: Config = toml::from_str(&settings).unwrap();
    config.data_dir = server_dir.path().to_path_buf();
    config.admin.token = Some("crawl-test-admin-token".into());
    let opened = crosswalk::downstream::open(&config).unwrap();
    let (graph, downstream) = (opened.graph.clone(), opened.downstream.clone());
    let saved = crosswalk::sparql::saved::SavedQueries::load(&config.queries_dir).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let api = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(server::serve(
        AppState::new(config, opened.downstream, saved),
        listener,
    ));
    let client = reqwest::Client::new();
    for (path, body) in [
        (
            "/api/sources",
            serde_json::json!({"url": url, "jurisdiction": "EU", "id": "reg"}),
        ),
        ("/api/crawl", serde_json::json!({"source": "reg"})),
    ] {
        let answer = client
            .post(format!("{api}{path}"))
            .header("authorization", "Bearer crawl-test-admin-token")
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(answer.status().is_success(), "{path}: {}", answer.status());
    }
    let via_server = downstream_state(&graph, downstream.index().unwrap());

    assert!(
        !via_cli.provisions.is_empty() && !via_cli.hits.is_empty(),
        "{via_cli:?}"
    );
    assert!(via_cli.derived_triples > 0);
    assert_eq!(via_cli, via_server);
}
