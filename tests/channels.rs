//! Official channels end to end against loopback stand-ins written from their documentation
//! (tests/fixture_channels): an EU act fetched from CELLAR by content negotiation and 303s,
//! read by its element identifiers into the catalogue's provision identifiers; consolidated
//! versions and amending acts from CELLAR's SPARQL endpoint; Federal Register searches and
//! documents; listing pages and feeds; the discovery queue, over the real on-disk store with
//! the shipped seeds.

mod common;
mod fixture_channels;
#[path = "fixtures/channels/ai_act.rs"]
mod ai_act;

use crosswalk::config::Config;
use crosswalk::crawl::discovery::{self, Filter, Status, TrackOptions};
use crosswalk::crawl::{CrawlReport, Crawler, Outcome};
use crosswalk::extract::{self, Document, ExtractOptions, Structure};
use crosswalk::graph::{Graph, names};
use crosswalk::source::{self, Kind, NewSource};
use fixture_channels::{Channels, FrDocument};
use oxigraph::model::Term;
use std::collections::BTreeSet;

const AI_ACT: &str = "https://w3id.org/crosswalk/id/instrument/eu-ai-act";
const CURATED: &str = "https://w3id.org/crosswalk/id/provision/eu-ai-act/";
const SEEDS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/seeds");

struct Env {
    channels: Channels,
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
    config.crawl.total_timeout_secs = 10;
    config.crawl.connect_timeout_secs = 3;
    config
}

/// The fixture channels, and a store with the shipped seeds (the curated AI Act and its
/// mappings) and a crawler over it.
async fn env() -> Env {
    let channels = fixture_channels::start().await;
    let dir = common::data_dir();
    let config = config(dir.path());
    let graph = Graph::open(&config.graph_dir()).unwrap();
    let seeds = graph.clone();
    let report = tokio::task::spawn_blocking(move || {
        crosswalk::graph::load_seed_dirs(&seeds, &[("seed", std::path::Path::new(SEEDS))])
    })
    .await
    .unwrap()
    .unwrap();
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let crawler = Crawler::new(graph.clone(), &config).unwrap();
    Env {
        channels,
        graph,
        crawler,
        _dir: dir,
    }
}

impl Env {
    async fn crawl(&self, id: &str) -> CrawlReport {
        self.crawler.crawl_source(id).await.unwrap()
    }

    fn strings(&self, query: &str) -> Vec<String> {
        let mut out: Vec<String> = self
            .graph
            .select("test", query, [])
            .unwrap()
            .iter()
            .filter_map(|r| match r.iter().next().map(|(_, t)| t) {
                Some(Term::Literal(l)) => Some(l.value().to_owned()),
                Some(Term::NamedNode(n)) => Some(n.as_str().to_owned()),
                _ => None,
            })
            .collect();
        out.sort();
        out
    }

    /// Change events as (kind, detail), oldest first by IRI.
    fn events(&self) -> Vec<(String, String)> {
        let rows = self
            .graph
            .select(
                "events",
                "PREFIX cw: <https://w3id.org/crosswalk/ontology#>
                 PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
                 SELECT ?e ?kind ?detail WHERE { GRAPH <https://w3id.org/crosswalk/graph/changes> {
                   ?e a cw:ChangeEvent ; cw:changeKind ?kind ; rdfs:comment ?detail } } ORDER BY ?e",
                [],
            )
            .unwrap();
        rows.iter()
            .map(|r| {
                let text = |n: &str| match r.get(n) {
                    Some(Term::Literal(l)) => l.value().to_owned(),
                    _ => String::new(),
                };
                (text("kind"), text("detail"))
            })
            .collect()
    }

    /// A listing source over the fixture's RSS feed (no pattern: every item counts).
    fn add_feed(&self, id: &str) {
        source::add(
            &self.graph,
            NewSource {
                kind: Some(Kind::Listing),
                url: format!("{}/feeds/news.xml", self.channels.base),
                jurisdiction: "ID".into(),
                id: Some(id.into()),
                ..NewSource::default()
            },
        )
        .unwrap();
    }

    fn ai_act_xhtml(&self, overrides: &[(&str, &str)]) -> String {
        ai_act::xhtml(&ai_act::curated(&self.graph), overrides)
    }

    /// The AI Act in the CELLAR fixture and a cellar source tracking it, crawled once.
    async fn cellar_baseline(&self) -> CrawlReport {
        self.channels
            .add_act("32024R1689", "2024-06-13", self.ai_act_xhtml(&[]));
        source::add(
            &self.graph,
            NewSource {
                kind: Some(Kind::Cellar),
                celex: Some("32024R1689".into()),
                url: format!("{}/resource/celex/32024R1689", self.channels.base),
                jurisdiction: "EU".into(),
                instrument: Some(AI_ACT.into()),
                language: Some("en".into()),
                id: Some("ai-act-on-loopback".into()),
                ..NewSource::default()
            },
        )
        .unwrap();
        self.crawl("ai-act-on-loopback").await
    }
}

fn extracted_ids(env: &Env, source: &str) -> BTreeSet<String> {
    env.strings(&format!(
        "PREFIX cw: <https://w3id.org/crosswalk/ontology#>
         PREFIX dcterms: <http://purl.org/dc/terms/>
         SELECT ?id WHERE {{ GRAPH <{}> {{ ?p a cw:Provision ; dcterms:identifier ?id }} }}",
        names::source_graph(source).as_str()
    ))
    .into_iter()
    .collect()
}

#[test]
fn the_eurlex_xhtml_of_the_ai_act_extracts_with_the_catalogues_identifiers() {
    let graph = Graph::in_memory().unwrap();
    crosswalk::graph::load_seed_dirs(
        &graph,
        &[("seed", std::path::Path::new(&format!("{SEEDS}/eu")))],
    )
    .unwrap();
    let curated = ai_act::curated(&graph);
    let xhtml = ai_act::xhtml(&curated, &[]);
    let extracted = extract::extract(
        &Document::Html(xhtml),
        &ExtractOptions {
            structure: Structure::EurLex,
            language: Some("en".into()),
            ..ExtractOptions::default()
        },
    )
    .unwrap();
    let ids: BTreeSet<&str> = extracted.provisions.iter().map(|p| p.id.as_str()).collect();
    let articles = extracted
        .provisions
        .iter()
        .filter(|p| p.kind == "article")
        .count();
    assert!(articles >= 100, "{articles} articles");
    let missing: Vec<&str> = curated
        .keys()
        .map(String::as_str)
        .filter(|id| !ids.contains(id))
        .collect();
    assert!(
        missing.is_empty(),
        "curated provisions not extracted: {missing:?}"
    );
    // Every extracted article, paragraph, point, chapter, section and annex is a curated one.
    let strangers: Vec<&str> = extracted
        .provisions
        .iter()
        .filter(|p| p.kind != "preamble" && p.kind != "recital")
        .map(|p| p.id.as_str())
        .filter(|id| !curated.contains_key(*id))
        .collect();
    assert!(
        strangers.is_empty(),
        "extracted but not curated: {strangers:?}"
    );
    let get = |id: &str| extracted.provisions.iter().find(|p| p.id == id).unwrap();
    assert_eq!(get("art-50-2").label, "Art. 50(2)");
    assert_eq!(get("art-50-2").parent.as_deref(), Some("art-50"));
    assert_eq!(get("art-50").parent.as_deref(), Some("chapter-IV"));
    assert_eq!(
        get("art-9").parent.as_deref(),
        Some("chapter-III-section-2")
    );
    assert!(get("art-50-2").text.starts_with("Providers of AI systems"));
    assert!(
        extracted
            .obligations
            .iter()
            .any(|o| o.provision == "art-50-2" && o.addressees.contains(&"provider".to_owned())),
        "Art. 50(2) binds providers"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cellar_is_negotiated_through_303s_and_extracted_provisions_correspond_to_curated_ones() {
    let env = env().await;
    let report = env.cellar_baseline().await;
    assert_eq!(report.outcome, Outcome::Fetched, "{report:?}");
    assert_eq!(report.changes, 1, "one baseline event");
    assert!(
        report.provisions > ai_act::curated(&env.graph).len(),
        "{report:?}"
    );
    let asked = env
        .channels
        .seen()
        .into_iter()
        .find(|s| s.path == "/resource/celex/32024R1689")
        .expect("the CELEX resource was asked for");
    assert!(
        asked
            .accept
            .as_deref()
            .unwrap_or("")
            .contains("application/xhtml+xml"),
        "{asked:?}"
    );
    assert_eq!(asked.accept_language.as_deref(), Some("eng"));
    let sparql = env
        .channels
        .seen()
        .into_iter()
        .find(|s| s.path == "/webapi/rdf/sparql")
        .expect("the SPARQL endpoint was asked");
    assert_eq!(
        sparql.accept.as_deref(),
        Some("application/sparql-results+json")
    );
    let items: Vec<_> = env
        .channels
        .seen()
        .into_iter()
        .filter(|s| s.path.ends_with("/DOC_1"))
        .collect();
    assert_eq!(items.len(), 1, "two 303s led to the manifestation's item");
    let final_url = env.strings(
        "PREFIX cw: <https://w3id.org/crosswalk/ontology#>
         SELECT ?u WHERE { ?f a cw:Fetch ; cw:finalUrl ?u }",
    );
    assert!(
        final_url.iter().any(|u| u.ends_with(".0006.03/DOC_1")),
        "{final_url:?}"
    );
    // Every extracted provision with a curated twin links to it.
    let ids = extracted_ids(&env, "ai-act-on-loopback");
    let curated = ai_act::curated(&env.graph);
    assert!(curated.keys().all(|id| ids.contains(id)));
    let linked = env.strings(&format!(
        "PREFIX cw: <https://w3id.org/crosswalk/ontology#>
         SELECT ?c WHERE {{ GRAPH <{}> {{ ?p cw:correspondsTo ?c }} }}",
        names::source_graph("ai-act-on-loopback").as_str()
    ));
    assert_eq!(
        linked.len(),
        curated.len(),
        "one link per curated provision"
    );
    assert!(linked.contains(&format!("{CURATED}art-50-2")));
    assert!(linked.contains(&format!("{CURATED}chapter-III-section-2")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_consolidated_version_raises_exactly_one_event_and_its_text_is_followed() {
    let env = env().await;
    env.cellar_baseline().await;
    let before = env.events().len();
    env.channels.add_consolidated(
        "32024R1689",
        "02024R1689-20270101",
        "2027-01-01",
        env.ai_act_xhtml(&[]),
    );
    let report = env.crawl("ai-act-on-loopback").await;
    assert_eq!(report.outcome, Outcome::Changed, "{report:?}");
    let events = env.events();
    let new: Vec<_> = events[..].iter().skip(before).collect();
    assert_eq!(events.len() - before, 1, "{events:?}");
    let consolidated: Vec<_> = events
        .iter()
        .filter(|(kind, _)| kind == "consolidated-version")
        .collect();
    assert_eq!(consolidated.len(), 1, "{new:?}");
    assert!(consolidated[0].1.contains("02024R1689-20270101"));
    assert_eq!(
        env.channels.hits("/resource/celex/02024R1689-20270101"),
        1,
        "the newest consolidated text is fetched"
    );
    let version = env.strings(
        "PREFIX cw: <https://w3id.org/crosswalk/ontology#>
         SELECT ?d WHERE { ?v a cw:ConsolidatedVersion ; cw:celex \"02024R1689-20270101\" ; cw:asAt ?d }",
    );
    assert_eq!(version, ["2027-01-01"]);
    let again = env.crawl("ai-act-on-loopback").await;
    assert_eq!(again.outcome, Outcome::Unchanged, "{again:?}");
    assert_eq!(env.events().len(), before + 1, "a version is new once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_amending_act_raises_exactly_one_discovery_which_can_be_tracked() {
    let env = env().await;
    env.cellar_baseline().await;
    let before = env.events().len();
    env.channels.add_amending(
        "32024R1689",
        "32026R0421",
        "2026-07-20",
        "Regulation (EU) 2026/421 of the European Parliament and of the Council amending Regulations (EU) 2024/1689 and (EU) 2018/1139 as regards the simplification of the implementation of harmonised rules on artificial intelligence (Digital Omnibus on AI)",
    );
    let report = env.crawl("ai-act-on-loopback").await;
    assert_eq!(report.discoveries, 1, "{report:?}");
    let events = env.events();
    assert_eq!(events.len() - before, 1, "{events:?}");
    assert_eq!(events.last().unwrap().0, "document-discovered");
    let pending = discovery::list(&env.graph, &Filter::default()).unwrap();
    assert_eq!(pending.len(), 1, "{pending:?}");
    let d = &pending[0];
    assert_eq!(d.status, Status::Pending);
    assert_eq!(d.celex.as_deref(), Some("32026R0421"));
    assert_eq!(d.suggested_kind, "cellar");
    assert_eq!(d.jurisdiction.as_deref(), Some("EU"));
    assert_eq!(d.date.as_deref(), Some("2026-07-20"));
    assert!(d.title.contains("Digital Omnibus"), "{d:?}");
    assert!(d.reason.as_deref().unwrap().contains("32024R1689"));
    assert_eq!(d.issuer.as_deref(), Some("EP"));
    let again = env.crawl("ai-act-on-loopback").await;
    assert_eq!(again.discoveries, 0);
    assert_eq!(env.events().len(), before + 1);

    let (tracked, source) = discovery::track(&env.graph, &d.id, TrackOptions::default()).unwrap();
    assert_eq!(tracked.status, Status::Tracked);
    assert_eq!(tracked.tracked_as.as_deref(), Some(source.id.as_str()));
    assert_eq!(source.id, "eu-32026r0421");
    assert_eq!(source.channel.kind, Kind::Cellar);
    assert_eq!(source.channel.celex.as_deref(), Some("32026R0421"));
    assert_eq!(
        source.url,
        format!("{}/resource/celex/32026R0421", env.channels.base)
    );
    let stub = source.instrument.clone().unwrap();
    let title = env.strings(&format!(
        "PREFIX dcterms: <http://purl.org/dc/terms/> SELECT ?t WHERE {{ <{stub}> dcterms:title ?t }}"
    ));
    assert!(title[0].contains("Digital Omnibus"), "{title:?}");
    assert!(matches!(
        discovery::dismiss(&env.graph, &d.id),
        Err(discovery::DiscoveryError::Settled { .. })
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_article_50_2_raises_one_event_that_flags_exactly_its_mappings() {
    let env = env().await;
    env.cellar_baseline().await;
    let before = env.events().len();
    env.channels.set_xhtml(
        "32024R1689",
        env.ai_act_xhtml(&[(
            "art-50-2",
            "Providers of AI systems, including general-purpose AI systems, generating synthetic audio, image, video or text content, shall ensure that the outputs of the AI system are marked in a machine-readable and interoperable format and detectable as artificially generated or manipulated.",
        )]),
    );
    let report = env.crawl("ai-act-on-loopback").await;
    assert_eq!(report.outcome, Outcome::Changed, "{report:?}");
    let events = env.events();
    assert_eq!(events.len() - before, 1, "{events:?}");
    assert_eq!(events.last().unwrap().0, "provision-modified");
    let affected = env.strings(
        "PREFIX cw: <https://w3id.org/crosswalk/ontology#>
         SELECT ?a WHERE { ?e cw:changeKind \"provision-modified\" ; cw:affects ?a }",
    );
    assert!(
        affected.contains(&format!("{CURATED}art-50-2")),
        "{affected:?}"
    );
    assert!(affected.contains(
        &"https://w3id.org/crosswalk/id/extracted/ai-act-on-loopback/art-50-2".to_owned()
    ));
    let touching = env.strings(&format!(
        "PREFIX cw: <https://w3id.org/crosswalk/ontology#>
         SELECT DISTINCT ?m WHERE {{ ?m a cw:Mapping .
           {{ ?m cw:subject <{CURATED}art-50-2> }} UNION {{ ?m cw:object <{CURATED}art-50-2> }} }}"
    ));
    assert!(!touching.is_empty(), "the catalogue maps Art. 50(2)");
    let flagged = env.strings(
        "PREFIX cw: <https://w3id.org/crosswalk/ontology#>
         SELECT DISTINCT ?m WHERE { ?e cw:flagsForReview ?m }",
    );
    assert_eq!(flagged, touching, "exactly the mappings of Art. 50(2)");
    let needs_review = env.strings(
        "PREFIX cw: <https://w3id.org/crosswalk/ontology#>
         SELECT DISTINCT ?m WHERE { GRAPH <https://w3id.org/crosswalk/graph/review> { ?m cw:reviewStatus cw:needsReview } }",
    );
    assert_eq!(needs_review, touching);
}

fn fr(number: &str, title: &str, date: &str, eo: Option<u64>, xml: Option<String>) -> FrDocument {
    FrDocument {
        number: number.into(),
        title: title.into(),
        type_code: "PRESDOCU".into(),
        presidential_type: Some("executive_order".into()),
        abstract_text: String::new(),
        publication_date: date.into(),
        signing_date: Some(date.into()),
        executive_order_number: eo,
        citation: None,
        agencies: vec![(
            "Executive Office of the President".into(),
            "executive-office-of-the-president".into(),
        )],
        xml,
    }
}

/// GPO Federal Register XML of an executive order (the shape of `full_text_xml_url`).
fn eo_xml(number: u64, title: &str, policy: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<PRESDOCU><EXECORD><TITLE3>Title 3— </TITLE3><PRES>The President<PRTPAGE P="8741"/></PRES>
<EXECORDR>Executive Order {number} of May 4, 2026</EXECORDR>
<HD SOURCE="HED">{title}</HD>
<FP>By the authority vested in me as President by the Constitution and the laws of the United States of America, it is hereby ordered:</FP>
<FP><E T="04">Section 1.</E> <E T="03">Purpose.</E> Artificial intelligence will shape the economy.</FP>
<FP><E T="04">Sec. 2.</E> <E T="03">Policy.</E> {policy}</FP>
<FP><E T="04">Sec. 3.</E> <E T="03">Implementation.</E> Within 90 days of the date of this order:</FP>
<P>(a) the Secretary of Commerce shall issue guidance on AI evaluations;</P>
<P>(b) agencies shall report their AI use cases.</P>
<PSIG>(Presidential Sig.)</PSIG><PLACE>THE WHITE HOUSE,</PLACE><DATE>May 4, 2026.</DATE>
<FRDOC>[FR Doc. 2026-09001 Filed 5-6-26; 8:45 am]</FRDOC><BILCOD>Billing code 3395-F4-P</BILCOD>
</EXECORD></PRESDOCU>"#
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_presidential_document_about_ai_is_one_discovery_and_is_tracked_by_its_xml() {
    let env = env().await;
    env.channels.add_fr(fr(
        "2025-02172",
        "Removing Barriers to American Leadership in Artificial Intelligence",
        "2025-01-31",
        Some(14179),
        None,
    ));
    env.channels.add_fr(fr(
        "2025-01900",
        "Protecting the Meaning and Value of American Citizenship",
        "2025-01-29",
        Some(14160),
        None,
    ));
    source::add(
        &env.graph,
        NewSource {
            kind: Some(Kind::FederalRegister),
            url: format!("{}/api/v1", env.channels.base),
            query: Some(
                "conditions[term]=artificial intelligence&conditions[type][]=PRESDOCU".into(),
            ),
            jurisdiction: "US".into(),
            id: Some("us-fr-ai-presidential".into()),
            ..NewSource::default()
        },
    )
    .unwrap();
    let baseline = env.crawl("us-fr-ai-presidential").await;
    assert_eq!(baseline.outcome, Outcome::Fetched, "{baseline:?}");
    assert_eq!((baseline.changes, baseline.discoveries), (1, 0));
    assert_eq!(env.events()[0].0, "source-baseline");

    env.channels.add_fr(fr(
        "2026-09001",
        "Advancing United States Leadership in Artificial Intelligence Evaluation",
        "2026-05-07",
        Some(14390),
        Some(eo_xml(
            14390,
            "Advancing United States Leadership in Artificial Intelligence Evaluation",
            "It is the policy of the United States to lead in the evaluation of artificial intelligence.",
        )),
    ));
    // Not about AI, and about AI but not a presidential document: neither matches.
    env.channels.add_fr(fr(
        "2026-09002",
        "Establishing the President's Council on Sports",
        "2026-05-08",
        Some(14391),
        None,
    ));
    env.channels.add_fr(FrDocument {
        type_code: "RULE".into(),
        presidential_type: None,
        ..fr(
            "2026-09003",
            "Artificial Intelligence Export Controls",
            "2026-05-09",
            None,
            None,
        )
    });
    let report = env.crawl("us-fr-ai-presidential").await;
    assert_eq!(report.outcome, Outcome::Changed, "{report:?}");
    assert_eq!(report.discoveries, 1, "{report:?}");
    assert_eq!(env.events().len(), 2);
    assert_eq!(env.events()[1].0, "document-discovered");
    let found = discovery::list(&env.graph, &Filter::default()).unwrap();
    assert_eq!(found.len(), 1, "{found:?}");
    let d = &found[0];
    assert_eq!(d.document_number.as_deref(), Some("2026-09001"));
    assert_eq!(d.executive_order_number, Some(14390));
    assert_eq!(d.signing_date.as_deref(), Some("2026-05-07"));
    assert_eq!(
        d.issuer.as_deref(),
        Some("Executive Office of the President")
    );
    assert_eq!(d.suggested_kind, "federal-register");
    assert!(
        d.url
            .as_deref()
            .unwrap()
            .contains("/documents/2026/05/07/2026-09001/")
    );
    assert!(
        d.reason
            .as_deref()
            .unwrap()
            .contains("Executive Order 14390")
    );
    let asked = env
        .channels
        .seen()
        .into_iter()
        .filter(|s| s.path == "/api/v1/documents.json")
        .count();
    assert_eq!(asked, 2);

    let (_, tracked) = discovery::track(&env.graph, &d.id, TrackOptions::default()).unwrap();
    assert_eq!(tracked.id, "us-fr-2026-09001");
    assert_eq!(
        tracked.channel.document_number.as_deref(),
        Some("2026-09001")
    );
    let text = env.crawl(&tracked.id).await;
    assert_eq!(text.outcome, Outcome::Fetched, "{text:?}");
    let ids = extracted_ids(&env, &tracked.id);
    for id in ["preamble", "sec-1", "sec-2", "sec-3", "sec-3-a", "sec-3-b"] {
        assert!(ids.contains(id), "{id} in {ids:?}");
    }
    let identifiers = env.strings(&format!(
        "PREFIX cw: <https://w3id.org/crosswalk/ontology#>
         SELECT ?v WHERE {{ GRAPH <{}> {{ ?d cw:documentNumber \"2026-09001\" ;
            cw:executiveOrderNumber ?eo ; cw:signingDate ?s BIND(CONCAT(STR(?eo), \" \", STR(?s)) AS ?v) }} }}",
        names::channel_graph(&tracked.id).as_str()
    ));
    assert_eq!(identifiers, ["14390 2026-05-07"]);
    assert_eq!(
        env.channels
            .hits("/documents/full_text/xml/2026/05/07/2026-09001.xml"),
        1,
        "the text is read from the full-text XML"
    );

    // Removing the source drops what its channel said; the discovery stays, as provenance.
    source::remove(&env.graph, &tracked.id).unwrap();
    let left = env.strings(&format!(
        "SELECT ?s WHERE {{ GRAPH <{}> {{ ?s ?p ?o }} }}",
        names::channel_graph(&tracked.id).as_str()
    ));
    assert!(left.is_empty(), "{left:?}");
    let kept = discovery::get(&env.graph, &d.id).unwrap();
    assert_eq!(kept.status.as_str(), "tracked");
}

const LISTING_V1: &str = r#"<!doctype html><html><head><title>Publications</title></head><body>
<nav class="menu"><a href="/sg/about">About</a><a href="/sg/resources/sitemap.pdf">Sitemap</a></nav>
<main><h1>Publications</h1><ul class="cards">
  <li><a href="/sg/resources/2024/model-framework-genai.pdf">Model framework for generative AI</a> <time datetime="2024-05-30">30 May 2024</time></li>
  <li><a href="/sg/resources/2025/starter-kit.pdf">Starter kit</a> <time datetime="2025-05-30">30 May 2025</time></li>
  <li><a href="/sg/news/2025/launch">Launch of the starter kit</a></li>
</ul></main><footer><a href="/sg/resources/terms.pdf">Terms</a></footer></body></html>"#;

/// The same links in another layout and order, renamed, with more navigation, plus one new
/// document and one new non-document link.
const LISTING_V2: &str = r#"<!doctype html><html><head><title>Publications | Authority</title></head><body>
<header><nav><a href="/sg/contact">Contact</a><a href="/sg/resources/sitemap.pdf">Site map</a></nav></header>
<main><section class="grid"><div class="row">
  <article class="card"><a class="title" href="https://127.0.0.1:1/x">x</a></article>
  <article class="card"><h3><a class="title" href="/sg/resources/2026/agentic-ai-framework.pdf">Model AI governance framework for agentic AI</a></h3><time datetime="2026-01-22">22 Jan 2026</time></article>
  <article class="card"><h3><a href="/sg/resources/2025/starter-kit.pdf#page=1">Starter Kit for testing LLM applications</a></h3></article>
  <article class="card"><h3><a href="/sg/resources/2024/model-framework-genai.pdf">MGF-GenAI</a></h3></article>
  <article class="card"><a href="/sg/news/2026/agentic">Agentic AI framework launched</a></article>
</div></section></main></body></html>"#;

const LISTING_V3: &str = r#"<!doctype html><html><body><main><table>
  <tr><td><a href="/sg/resources/2024/model-framework-genai.pdf">MGF-GenAI</a></td></tr>
  <tr><td><a href="/sg/resources/2026/agentic-ai-framework.pdf">Agentic AI</a></td></tr>
  <tr><td><a href="/sg/resources/2025/starter-kit.pdf">Starter kit</a></td></tr>
</table></main></body></html>"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_listing_that_gains_one_matching_link_yields_one_discovery_and_no_noise_on_reshuffles() {
    let env = env().await;
    env.channels.set_listing(LISTING_V1);
    source::add(
        &env.graph,
        NewSource {
            kind: Some(Kind::Listing),
            url: format!("{}/sg/publications", env.channels.base),
            link_pattern: Some(r"/sg/resources/\d{4}/[^/]+\.pdf$".into()),
            jurisdiction: "SG".into(),
            publisher: Some("https://w3id.org/crosswalk/id/org/imda".into()),
            id: Some("sg-imda-publications".into()),
            ..NewSource::default()
        },
    )
    .unwrap();
    let baseline = env.crawl("sg-imda-publications").await;
    assert_eq!(baseline.outcome, Outcome::Fetched, "{baseline:?}");
    assert_eq!(baseline.http_status, Some(200), "{baseline:?}");
    assert_eq!((baseline.changes, baseline.discoveries), (1, 0));
    assert!(
        env.events()[0].1.contains("2 matching links"),
        "{:?}",
        env.events()
    );

    env.channels.set_listing(LISTING_V2);
    let report = env.crawl("sg-imda-publications").await;
    assert_eq!(report.discoveries, 1, "{report:?}");
    let found = discovery::list(&env.graph, &Filter::default()).unwrap();
    assert_eq!(found.len(), 1, "{found:?}");
    let d = &found[0];
    assert_eq!(
        d.url.as_deref(),
        Some(
            format!(
                "{}/sg/resources/2026/agentic-ai-framework.pdf",
                env.channels.base
            )
            .as_str()
        )
    );
    assert_eq!(d.title, "Model AI governance framework for agentic AI");
    assert_eq!(d.date.as_deref(), Some("2026-01-22"));
    assert_eq!(d.jurisdiction.as_deref(), Some("SG"));
    assert_eq!(
        d.publisher.as_deref(),
        Some("https://w3id.org/crosswalk/id/org/imda")
    );
    assert_eq!(d.suggested_kind, "page");

    env.channels.set_listing(LISTING_V3);
    let reshuffled = env.crawl("sg-imda-publications").await;
    assert_eq!(reshuffled.outcome, Outcome::Unchanged, "{reshuffled:?}");
    assert_eq!((reshuffled.changes, reshuffled.discoveries), (0, 0));
    assert_eq!(env.events().len(), 2, "no noise: {:?}", env.events());

    let (_, tracked) = discovery::track(&env.graph, &d.id, TrackOptions::default()).unwrap();
    assert_eq!(tracked.channel.kind, Kind::Page);
    assert_eq!(tracked.format, crosswalk::source::Format::Pdf);
    assert_eq!(
        tracked.jurisdiction.as_deref(),
        Some("https://w3id.org/crosswalk/id/jurisdiction/SG")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_feed_item_is_a_discovery() {
    let env = env().await;
    let item = |n: u32, date: &str| {
        format!(
            "<item><title>Peraturan {n}</title><link>{}/jdih/dokumen/{n}</link><pubDate>{date}</pubDate></item>",
            env.channels.base
        )
    };
    let feed = |items: &[String]| {
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>JDIH</title>{}</channel></rss>"#,
            items.concat()
        )
    };
    env.channels
        .set_feed(&feed(&[item(1, "Mon, 12 Jan 2026 02:00:00 +0700")]));
    env.add_feed("id-jdih-feed");
    assert_eq!(
        source::get(&env.graph, "id-jdih-feed").unwrap().format,
        crosswalk::source::Format::Feed
    );
    env.crawl("id-jdih-feed").await;
    env.channels.set_feed(&feed(&[
        item(2, "Tue, 10 Feb 2026 02:00:00 +0700"),
        item(1, "Mon, 12 Jan 2026 02:00:00 +0700"),
    ]));
    let report = env.crawl("id-jdih-feed").await;
    assert_eq!(report.discoveries, 1, "{report:?}");
    let found = discovery::list(&env.graph, &Filter::default()).unwrap();
    assert_eq!(found[0].title, "Peraturan 2");
    assert_eq!(found[0].date.as_deref(), Some("2026-02-10"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_channel_answers_are_failures_that_raise_nothing() {
    let env = env().await;
    env.channels.set_sparql_override(
        axum::http::StatusCode::OK,
        "application/sparql-results+json",
        "{\"head\": {\"vars\": [\"celex\"]}, \"results\": {\"bindings\": [",
    );
    let report = env.cellar_baseline().await;
    assert_eq!(report.outcome, Outcome::Failed, "{report:?}");
    assert!(report.reason.as_deref().unwrap().contains("CELLAR SPARQL"));
    assert!(env.events().is_empty());
    assert!(extracted_ids(&env, "ai-act-on-loopback").is_empty());
    assert_eq!(env.channels.hits("/resource/celex/32024R1689"), 0);

    env.channels.set_sparql_override(
        axum::http::StatusCode::SERVICE_UNAVAILABLE,
        "text/plain",
        "Virtuoso is busy",
    );
    let busy = env.crawl("ai-act-on-loopback").await;
    assert_eq!(busy.outcome, Outcome::Failed, "{busy:?}");
    assert!(busy.next_attempt_at.is_some(), "a 503 is rescheduled");
    assert!(env.events().is_empty());

    // A Federal Register search answering JSON of the wrong shape, then an HTML error page.
    source::add(
        &env.graph,
        NewSource {
            kind: Some(Kind::FederalRegister),
            url: format!("{}/api/v1", env.channels.base),
            query: Some("conditions[term]=artificial intelligence".into()),
            jurisdiction: "US".into(),
            id: Some("us-fr-hostile".into()),
            ..NewSource::default()
        },
    )
    .unwrap();
    env.channels.set_fr_override(
        axum::http::StatusCode::OK,
        "application/json",
        r#"{"count": "many", "results": {"title": 1}}"#,
    );
    let shape = env.crawl("us-fr-hostile").await;
    assert_eq!(shape.outcome, Outcome::Failed, "{shape:?}");
    env.channels.set_fr_override(
        axum::http::StatusCode::OK,
        "text/html",
        "<html><body>Request Rejected</body></html>",
    );
    let html = env.crawl("us-fr-hostile").await;
    assert_eq!(html.outcome, Outcome::Failed, "{html:?}");

    // A feed that is not well-formed XML.
    env.channels
        .set_feed("<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><item><link>");
    env.add_feed("id-hostile-feed");
    let feed = env.crawl("id-hostile-feed").await;
    assert_eq!(feed.outcome, Outcome::Failed, "{feed:?}");

    // Each failure is recorded as a failed fetch with its reason, and raised nothing.
    assert!(env.events().is_empty(), "{:?}", env.events());
    assert!(
        discovery::list(&env.graph, &Filter::default())
            .unwrap()
            .is_empty()
    );
    for id in ["ai-act-on-loopback", "us-fr-hostile", "id-hostile-feed"] {
        let reasons = env.strings(&format!(
            "PREFIX cw: <https://w3id.org/crosswalk/ontology#>
             PREFIX prov: <http://www.w3.org/ns/prov#>
             SELECT ?reason WHERE {{ ?f a cw:Fetch ; prov:used <{}> ;
               cw:outcome \"failed\" ; cw:failureReason ?reason }}",
            source::get(&env.graph, id).unwrap().iri
        ));
        let expected = if id == "ai-act-on-loopback" { 2 } else { 1 };
        assert!(reasons.len() >= expected, "{id}: {reasons:?}");
    }
}

#[test]
fn a_zip_formex_manifestation_is_an_error_that_says_so() {
    let mut zip = b"PK\x03\x04\x14\x00\x00\x00\x08\x00".to_vec();
    zip.extend_from_slice(b"L_202401689EN.000101.fmx.xml");
    let text = String::from_utf8_lossy(&zip).into_owned();
    let options = ExtractOptions {
        structure: Structure::Formex,
        ..ExtractOptions::default()
    };
    let error = extract::extract(&Document::Html(text), &options).unwrap_err();
    assert!(error.to_string().contains("ZIP archive"), "{error}");
}

#[test]
fn the_discovery_queue_over_http() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let channels = runtime.block_on(fixture_channels::start());
    channels.set_listing(LISTING_V1);
    let server = common::TestServer::start(|c| {
        c.admin.token = Some("secret".into());
        c.crawl.allow_private = vec!["127.0.0.1".into()];
        c.crawl.min_host_interval_ms = 0;
    });
    let client = common::client();
    let admin = |r: reqwest::blocking::RequestBuilder| r.bearer_auth("secret");
    let added = admin(client.post(server.url("/api/sources")))
        .json(&serde_json::json!({
            "kind": "listing",
            "url": format!("{}/sg/publications", channels.base),
            "link_pattern": r"/sg/resources/\d{4}/[^/]+\.pdf$",
            "jurisdiction": "SG",
            "id": "sg-listing"
        }))
        .send()
        .unwrap();
    assert_eq!(added.status().as_u16(), 201, "{}", added.text().unwrap());
    let crawl = || {
        let response = admin(client.post(server.url("/api/crawl")))
            .json(&serde_json::json!({"source": "sg-listing"}))
            .send()
            .unwrap();
        assert_eq!(response.status().as_u16(), 200);
        response.json::<serde_json::Value>().unwrap()
    };
    crawl();
    channels.set_listing(LISTING_V2);
    let report = crawl();
    assert_eq!(report["reports"][0]["discoveries"], 1, "{report}");
    let queue = server.get_json("/api/discoveries", &[], "application/json");
    assert_eq!(queue["total"], 1, "{queue}");
    let id = queue["discoveries"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(queue["discoveries"][0]["status"], "pending");
    let bad = client
        .get(server.url("/api/discoveries"))
        .query(&[("status", "bogus")])
        .send()
        .unwrap();
    assert_eq!(bad.status().as_u16(), 400);
    let anonymous = client
        .post(server.url(&format!("/api/discoveries/{id}/track")))
        .send()
        .unwrap();
    assert_eq!(anonymous.status().as_u16(), 401);
    let tracked = admin(client.post(server.url(&format!("/api/discoveries/{id}/track"))))
        .json(&serde_json::json!({"id": "sg-agentic-framework-pdf"}))
        .send()
        .unwrap();
    assert_eq!(
        tracked.status().as_u16(),
        201,
        "{}",
        tracked.text().unwrap()
    );
    let sources = server.get_json("/api/sources", &[], "application/json");
    assert!(
        sources["sources"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["id"] == "sg-agentic-framework-pdf" && s["format"] == "pdf"),
        "{sources}"
    );
    let again = admin(client.post(server.url(&format!("/api/discoveries/{id}/dismiss"))))
        .send()
        .unwrap();
    assert_eq!(again.status().as_u16(), 409);
    let unknown = admin(client.post(server.url("/api/discoveries/nope/dismiss")))
        .send()
        .unwrap();
    assert_eq!(unknown.status().as_u16(), 404);
    let tracked_list = server.get_json(
        "/api/discoveries",
        &[("status", "tracked")],
        "application/json",
    );
    assert_eq!(
        tracked_list["discoveries"][0]["tracked_as"],
        "sg-agentic-framework-pdf"
    );
    drop(runtime);
}
