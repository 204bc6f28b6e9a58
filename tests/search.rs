//! Full-text search over the shipped seeds: the real server, the real graph and Tantivy index on
//! disk, real HTTP on 127.0.0.1.

mod common;

use common::{TestServer, client};
use crosswalk::config::Config;
use crosswalk::index::SearchRequest;
use oxigraph::model::{GraphNameRef, Literal, NamedNode, QuadRef};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::OnceLock;

const ADMIN_TOKEN: &str = "search-test-admin-token-0123456789";
const ID: &str = "https://w3id.org/crosswalk/id/";

/// One searchable server with the shipped seeds and an admin token, shared by these tests.
fn server() -> &'static TestServer {
    static SERVER: OnceLock<TestServer> = OnceLock::new();
    SERVER
        .get_or_init(|| TestServer::start_searchable(|c| c.admin.token = Some(ADMIN_TOKEN.into())))
}

fn search_status(params: &[(&str, &str)]) -> (StatusCode, String) {
    let response = client()
        .get(server().url("/api/search"))
        .query(params)
        .send()
        .unwrap();
    (response.status(), response.text().unwrap())
}

fn search(params: &[(&str, &str)]) -> Value {
    let (status, body) = search_status(params);
    assert_eq!(status, StatusCode::OK, "{body}");
    serde_json::from_str(&body).unwrap()
}

fn iris(response: &Value) -> Vec<String> {
    response["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["iri"].as_str().unwrap().to_owned())
        .collect()
}

/// True when every hit of a response is in `jurisdiction`.
fn all_in(response: &Value, jurisdiction: &str) -> bool {
    response["hits"]
        .as_array()
        .unwrap()
        .iter()
        .all(|h| h["jurisdiction"] == jurisdiction)
}

/// The first value understood in a response's query for `facet`.
fn understood_as<'a>(response: &'a Value, facet: &str) -> &'a Value {
    response["understood"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["facet"] == facet)
        .unwrap_or_else(|| panic!("nothing understood as {facet}: {response}"))
}

fn select(query: &str) -> Vec<serde_json::Map<String, Value>> {
    let response = client()
        .post(server().url("/sparql"))
        .header("content-type", "application/sparql-query")
        .header("accept", "application/sparql-results+json")
        .body(query.to_owned())
        .send()
        .unwrap();
    let status = response.status();
    let body = response.text().unwrap();
    assert_eq!(status, StatusCode::OK, "{body}");
    let json: Value = serde_json::from_str(&body).unwrap();
    json["results"]["bindings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b.as_object().unwrap().clone())
        .collect()
}

#[test]
fn watermark_in_singapore_ranks_mgf_genai_content_provenance_top_three() {
    let response = search(&[("q", "watermark"), ("jurisdiction", "SG")]);
    let top: Vec<String> = iris(&response).into_iter().take(3).collect();
    let wanted = [
        format!("{ID}provision/sg-mgf-genai/dim-7"),
        format!("{ID}requirement/sg-mgf-genai/dim-7-content-provenance"),
    ];
    assert!(top.iter().any(|iri| wanted.contains(iri)), "{top:?}");
    assert!(all_in(&response, "SG"), "{response}");
    // The snippet highlights the stemmed match (watermarking ~ watermark).
    let dim7 = &response["hits"].as_array().unwrap()[0];
    assert!(
        dim7["snippet_html"]
            .as_str()
            .unwrap()
            .contains("<b>watermarking</b>"),
        "{dim7}"
    );
}

#[test]
fn incident_in_the_eu_returns_article_73() {
    let response = search(&[("q", "incident"), ("jurisdiction", "EU")]);
    assert!(
        iris(&response).contains(&format!("{ID}provision/eu-ai-act/art-73")),
        "{:?}",
        iris(&response)
    );
    assert_eq!(response["facets"]["jurisdiction"]["EU"], response["total"]);
    // The same filter written in the query text.
    let inline = search(&[("q", "incident jurisdiction:EU")]);
    assert_eq!(iris(&inline), iris(&response));
}

#[test]
fn tanda_air_expands_to_content_provenance_across_jurisdictions() {
    let response = search(&[("q", "tanda air"), ("kind", "provision"), ("limit", "100")]);
    let expansions = response["expansions"].as_array().unwrap();
    assert!(
        expansions
            .iter()
            .any(|e| e["theme"] == "content-provenance" && e["label"] == "tanda air"),
        "{expansions:?}"
    );
    let found = iris(&response);
    assert!(
        found.contains(&format!("{ID}provision/sg-mgf-genai/dim-7")),
        "{found:?}"
    );
    assert!(
        found.contains(&format!("{ID}provision/eu-ai-act/art-50-2")),
        "{found:?}"
    );
    // Found through the theme (and its other labels), not the words: the English provision has
    // no highlighted words, and ranks below the documents whose text has them.
    let hits = response["hits"].as_array().unwrap();
    let art_50_2 = hits
        .iter()
        .position(|h| h["iri"] == format!("{ID}provision/eu-ai-act/art-50-2").as_str())
        .unwrap();
    assert!(
        !hits[art_50_2]["snippet_html"]
            .as_str()
            .unwrap()
            .contains("<b>"),
        "{}",
        hits[art_50_2]
    );
    assert!(
        hits[..art_50_2]
            .iter()
            .all(|h| h["score"].as_f64() >= hits[art_50_2]["score"].as_f64())
    );
}

#[test]
fn indonesian_stemming_matches_derived_forms() {
    // pengujian (testing) finds the SE 9/2023 summary that says "menguji" (to test).
    let response = search(&[("q", "pengujian"), ("jurisdiction", "ID")]);
    let requirement = format!("{ID}requirement/id-se-9-2023/resp-risk-crisis-management");
    let hit = response["hits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["iri"] == requirement.as_str())
        .unwrap_or_else(|| panic!("{response}"));
    assert!(
        hit["snippet_html"]
            .as_str()
            .unwrap()
            .contains("<b>menguji</b>"),
        "{hit}"
    );
}

#[test]
fn typos_prefixes_and_phrases() {
    let iri = format!("{ID}provision/sg-mgf-genai/dim-7");
    assert!(iris(&search(&[("q", "watermarkng"), ("jurisdiction", "SG")])).contains(&iri));
    assert!(iris(&search(&[("q", "waterm*"), ("jurisdiction", "SG")])).contains(&iri));
    // Short words get no typo tolerance: "ai" is not "au".
    let short = search(&[("q", "zq")]);
    assert_eq!(short["total"], 0);
    let phrase = search(&[("q", "\"human oversight\""), ("limit", "100")]);
    assert!(phrase["total"].as_u64().unwrap() > 0);
    // Boolean operators: every hit of "incident AND oversight" is a hit of each word alone.
    let both = iris(&search(&[
        ("q", "incident AND oversight"),
        ("limit", "100"),
    ]));
    let incident = iris(&search(&[("q", "+incident"), ("limit", "100")]));
    assert!(both.iter().all(|iri| incident.contains(iri)));
}

#[test]
fn words_must_all_match_unless_no_document_has_them_all() {
    let total = |response: &Value| response["total"].as_u64().unwrap();
    // Both words: a subset of either word's matches, and no relaxation.
    let both = search(&[("q", "serious incident"), ("limit", "100")]);
    assert_eq!(
        (&both["relaxed"], &both["expansions"]),
        (&false.into(), &json!([]))
    );
    let either = search(&[("q", "serious OR incident"), ("limit", "100")]);
    assert!(total(&both) > 0 && total(&both) < total(&either));
    let incident = iris(&search(&[("q", "incident"), ("limit", "100")]));
    assert!(iris(&both).iter().all(|iri| incident.contains(iri)));
    // No document has both: any word, flagged as relaxed.
    let relaxed = search(&[("q", "serious qwertyzzyx")]);
    assert_eq!(relaxed["relaxed"], true);
    // A prefix is one more required word.
    let prefixed = search(&[("q", "serious incid*"), ("limit", "100")]);
    assert_eq!(prefixed["relaxed"], false);
    assert!(total(&prefixed) > 0 && total(&prefixed) < total(&either));
    let serious = search(&[("q", "serious")]);
    assert!(total(&serious) > 0);
    assert_eq!(total(&relaxed), total(&serious));
    assert_eq!(serious["relaxed"], false);
}

#[test]
fn facet_counts_equal_sparql_counts() {
    // Instruments: the update test adds a requirement concurrently, never an instrument.
    let response = search(&[("kind", "instrument"), ("limit", "0")]);
    let rows = select(
        "SELECT ?code (COUNT(DISTINCT ?r) AS ?n) WHERE { \
           ?r a cw:Instrument ; cw:jurisdiction/cw:code ?code } GROUP BY ?code",
    );
    let expected: BTreeMap<String, u64> = rows
        .iter()
        .map(|row| {
            (
                row["code"]["value"].as_str().unwrap().to_owned(),
                row["n"]["value"].as_str().unwrap().parse().unwrap(),
            )
        })
        .collect();
    let facets: BTreeMap<String, u64> =
        serde_json::from_value(response["facets"]["jurisdiction"].clone()).unwrap();
    assert_eq!(facets, expected);
    assert!(response["hits"].as_array().unwrap().is_empty());
    let total: u64 =
        select("SELECT (COUNT(DISTINCT ?r) AS ?n) WHERE { ?r a cw:Instrument }")[0]["n"]["value"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
    assert_eq!(response["total"], total);
    assert_eq!(response["facets"]["kind"]["instrument"], total);
    // OR within a facet, AND across facets.
    let sg = search(&[("kind", "instrument"), ("jurisdiction", "SG")])["total"].as_u64();
    let eu = search(&[("kind", "instrument"), ("jurisdiction", "EU")])["total"].as_u64();
    let both = search(&[
        ("kind", "instrument"),
        ("jurisdiction", "SG"),
        ("jurisdiction", "EU"),
    ])["total"]
        .as_u64();
    assert_eq!(both.unwrap(), sg.unwrap() + eu.unwrap());
}

#[test]
fn sparql_bridge_returns_the_same_hits_as_the_api() {
    let rows = select(
        "SELECT ?hit ?score ?snippet WHERE { \
           SERVICE cw:search { ?hit cw:query \"incident reporting\" ; cw:limit 5 ; \
                               cw:score ?score ; cw:snippet ?snippet } }",
    );
    let bridged: Vec<&str> = rows
        .iter()
        .map(|r| r["hit"]["value"].as_str().unwrap())
        .collect();
    let api = search(&[("q", "incident reporting"), ("limit", "5")]);
    assert_eq!(bridged, iris(&api));
    assert!(
        rows.iter()
            .all(|r| r["snippet"]["value"].as_str().is_some())
    );

    // Combined with graph patterns outside the SERVICE block.
    let joined = select(
        "SELECT ?hit ?instrument WHERE { \
           SERVICE cw:search { ?hit cw:query \"incident\" ; cw:jurisdiction \"EU\" ; cw:limit 50 } \
           ?hit a cw:Provision ; cw:instrument ?instrument }",
    );
    assert!(!joined.is_empty());
    assert!(
        joined
            .iter()
            .any(|r| r["hit"]["value"] == format!("{ID}provision/eu-ai-act/art-73").as_str())
    );

    // Literal by default (a result set cannot say what became a filter); cw:understand opts in.
    let bridged = |understand: &str| {
        let rows = select(&format!(
            "SELECT ?hit WHERE {{ SERVICE cw:search {{ ?hit cw:query \"watermark Singapore\" ; \
               cw:limit 100 {understand} }} }}"
        ));
        let mut hits: Vec<String> = rows
            .iter()
            .map(|r| r["hit"]["value"].as_str().unwrap().to_owned())
            .collect();
        hits.sort();
        hits
    };
    let api = |understand: &str| {
        let mut hits = iris(&search(&[
            ("q", "watermark Singapore"),
            ("limit", "100"),
            ("understand", understand),
        ]));
        hits.sort();
        hits
    };
    assert_eq!(bridged(""), api("false"));
    assert_eq!(bridged("; cw:understand true"), api("true"));
    assert_ne!(api("true"), api("false"));

    // Bad patterns are client errors (400, never 500); remote services stay refused.
    for query in [
        "SELECT * WHERE { SERVICE cw:search { ?hit cw:query \"x\" ; cw:understand \"maybe\" } }",
        "SELECT * WHERE { SERVICE cw:search { ?hit cw:score ?s } }",
        "SELECT * WHERE { SERVICE cw:search { ?hit cw:color \"red\" } }",
        "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
    ] {
        let response = client()
            .post(server().url("/sparql"))
            .header("content-type", "application/sparql-query")
            .body(query)
            .send()
            .unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{query}");
    }
}

#[test]
fn bad_input_is_bounded_and_never_a_server_error() {
    let long = "a".repeat(1001);
    assert_eq!(search_status(&[("q", &long)]).0, StatusCode::BAD_REQUEST);
    let capped = search(&[("limit", "1000")]);
    assert_eq!(capped["hits"].as_array().unwrap().len(), 100);
    let unknown = search(&[("q", "incident"), ("jurisdiction", "ATLANTIS")]);
    assert_eq!(unknown["total"], 0);
    assert_eq!(
        search_status(&[("offset", "1000000")]).0,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        search_status(&[("from", "soon")]).0,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        search_status(&[("sort", "random")]).0,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        search_status(&[("colour", "red")]).0,
        StatusCode::BAD_REQUEST
    );
    for q in [
        "\"unbalanced (",
        "title_en:",
        "AND OR NOT",
        "((((",
        "incident^^^",
        "*",
    ] {
        let (status, body) = search_status(&[("q", q)]);
        assert_eq!(status, StatusCode::OK, "{q}: {body}");
    }
    let fallback = search(&[("q", "incident AND (reporting")]);
    assert_eq!(fallback["fallback"], true);
    assert!(fallback["total"].as_u64().unwrap() > 0);
}

#[test]
fn dates_filter_and_sort() {
    let act = format!("{ID}instrument/eu-ai-act");
    let in_2026 = search(&[
        ("kind", "instrument"),
        ("from", "2026-01-01"),
        ("to", "2026-12-31"),
        ("limit", "100"),
    ]);
    assert!(iris(&in_2026).contains(&act), "{in_2026}");
    let before = search(&[
        ("kind", "instrument"),
        ("to", "2025-01-01"),
        ("limit", "100"),
    ]);
    assert!(!iris(&before).contains(&act));
    let by_date = search(&[("kind", "instrument"), ("sort", "date"), ("limit", "100")]);
    assert_eq!(by_date["total"], search(&[("kind", "instrument")])["total"]);
}

#[test]
fn an_update_is_searchable_when_acknowledged() {
    let update = format!(
        "PREFIX cw: <https://w3id.org/crosswalk/ontology#> \
         PREFIX dcterms: <http://purl.org/dc/terms/> \
         INSERT DATA {{ GRAPH <urn:test:search> {{ \
           <{ID}requirement/test/zanzibar> a cw:Requirement ; \
             dcterms:title \"Zanzibar obligation\"@en ; \
             cw:summary \"Operators must file a <script>zanzibarite</script> report.\"@en ; \
             cw:jurisdiction <{ID}jurisdiction/SG> }} }}"
    );
    let response = client()
        .post(server().url("/sparql/update"))
        .bearer_auth(ADMIN_TOKEN)
        .header("content-type", "application/sparql-update")
        .body(update)
        .send()
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let found = search(&[("q", "zanzibarite")]);
    assert_eq!(iris(&found), [format!("{ID}requirement/test/zanzibar")]);
    let snippet = found["hits"][0]["snippet_html"].as_str().unwrap();
    assert!(snippet.contains("&lt;script&gt;"), "{snippet}");
    assert!(snippet.contains("<b>zanzibarite</b>"), "{snippet}");
    assert_eq!(found["hits"][0]["jurisdiction"], "SG");
}

#[test]
fn the_index_catches_up_after_a_crash_between_graph_and_index_commits() {
    let data = tempfile::tempdir().unwrap();
    let config = Config {
        data_dir: data.path().to_path_buf(),
        ..Config::default()
    };
    let iri = NamedNode::new(format!("{ID}requirement/test/after-crash")).unwrap();
    {
        let opened = crosswalk::downstream::open(&config).unwrap();
        let (graph, index) = (&opened.graph, opened.downstream.index().unwrap());
        assert_eq!(index.revision(), graph.revision());
        // The graph commits; the process "dies" before the index hears of it.
        let g = NamedNode::new("urn:test:crash").unwrap();
        let summary =
            Literal::new_language_tagged_literal("Quokkas must be counted", "en").unwrap();
        let rdf_type = NamedNode::new("http://www.w3.org/1999/02/22-rdf-syntax-ns#type").unwrap();
        let requirement = crosswalk::graph::names::cw("Requirement");
        let cw_summary = crosswalk::graph::names::cw("summary");
        graph
            .write(|t| {
                t.insert(QuadRef::new(
                    &iri,
                    &rdf_type,
                    &requirement,
                    GraphNameRef::from(&g),
                ));
                t.insert(QuadRef::new(
                    &iri,
                    &cw_summary,
                    &summary,
                    GraphNameRef::from(&g),
                ));
                Ok::<_, crosswalk::graph::GraphError>(())
            })
            .unwrap();
        assert!(index.revision() < graph.revision());
        let stale = index
            .search(&SearchRequest {
                q: "quokkas".into(),
                ..SearchRequest::default()
            })
            .unwrap();
        assert_eq!(stale.total, 0);
    }
    let opened = crosswalk::downstream::open(&config).unwrap();
    let (graph, index) = (&opened.graph, opened.downstream.index().unwrap());
    assert_eq!(index.revision(), graph.revision());
    let healed = index
        .search(&SearchRequest {
            q: "quokkas".into(),
            ..SearchRequest::default()
        })
        .unwrap();
    assert_eq!(healed.total, 1);
    assert_eq!(healed.hits[0].iri, iri.as_str());
}

fn scores(response: &Value) -> Vec<f64> {
    response["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["score"].as_f64().unwrap())
        .collect()
}

/// The examples of issue 15: a stop word made the all-words match fail, so the answer was the
/// any-word relaxation or constant-scored theme hits (0.5 ties) above the article itself.
#[test]
fn stop_words_no_longer_hide_the_article_that_has_every_word() {
    let logs = search(&[
        ("q", "automatic recording of events logs"),
        ("jurisdiction", "EU"),
    ]);
    assert_eq!(logs["relaxed"], false, "{logs}");
    let top: Vec<String> = iris(&logs).into_iter().take(2).collect();
    assert!(
        top.contains(&format!("{ID}provision/eu-ai-act/art-12-1")),
        "{top:?}"
    );
    let events = search(&[("q", "automatic recording of events")]);
    assert_eq!(events["relaxed"], false);
    assert!(
        [
            format!("{ID}provision/eu-ai-act/art-12-1"),
            format!("{ID}provision/eu-ai-act/art-12")
        ]
        .contains(&iris(&events)[0]),
        "{events}"
    );
    let deployers = search(&[("q", "obligations of deployers")]);
    assert_eq!(deployers["relaxed"], false);
    assert_eq!(
        iris(&deployers)[0],
        format!("{ID}provision/eu-ai-act/art-26")
    );
    // Text-ranked: the first hits have the word (in the title or the highlighted text), and
    // their scores differ.
    let users = search(&[("q", "transparency for the users"), ("jurisdiction", "EU")]);
    let hits = users["hits"].as_array().unwrap();
    assert!(
        hits.iter().take(5).all(|h| {
            let shown = format!("{} {}", h["title"], h["snippet_html"]).to_lowercase();
            shown.contains("transparen")
        }),
        "{users}"
    );
    let top_scores = scores(&users);
    assert!(
        top_scores.windows(2).take(4).any(|w| w[0] > w[1]),
        "ties: {top_scores:?}"
    );
    assert!(top_scores.iter().all(|s| *s != 0.5));
}

#[test]
fn stop_words_never_change_which_documents_match() {
    for (with, without) in [
        (
            "automatic recording of events",
            "automatic recording events",
        ),
        ("transparency for the users", "transparency users"),
        (
            "the human oversight of the system",
            "human oversight system",
        ),
        ("pelindungan data yang pribadi", "pelindungan data pribadi"),
        (
            "penilaian risiko dan keselamatan",
            "penilaian risiko keselamatan",
        ),
    ] {
        let a = search(&[("q", with), ("limit", "100")]);
        let b = search(&[("q", without), ("limit", "100")]);
        assert_eq!(a["total"], b["total"], "{with:?} / {without:?}");
        let (mut a, mut b) = (iris(&a), iris(&b));
        a.sort();
        b.sort();
        assert_eq!(a, b, "{with:?} / {without:?}");
    }
}

#[test]
fn relaxation_says_which_words_it_dropped() {
    let response = search(&[("q", "serious incident qwertyzzyx")]);
    assert_eq!(response["relaxed"], true);
    assert_eq!(response["dropped"], json!(["qwertyzzyx"]));
    assert!(response["total"].as_u64().unwrap() > 0);
    // Every hit holds the words kept.
    let kept = search(&[("q", "serious incident"), ("limit", "100")]);
    assert_eq!(response["total"], kept["total"]);
    let strict = search(&[("q", "serious incident")]);
    assert_eq!(strict["dropped"], json!([]));
}

#[test]
fn theme_expansion_ranks_text_matches_above_tag_only_matches() {
    let response = search(&[("q", "watermark"), ("limit", "100")]);
    let hits = response["hits"].as_array().unwrap();
    let highlighted: Vec<bool> = hits
        .iter()
        .map(|h| h["snippet_html"].as_str().unwrap().contains("<b>"))
        .collect();
    let first_plain = highlighted.iter().position(|h| !h).expect("tag-only hits");
    assert!(
        highlighted[first_plain..].iter().all(|h| !h),
        "a text match ranks below a theme-only match: {highlighted:?}"
    );
    assert!(first_plain >= 2, "{response}");
    // The theme-only documents are there (the expansion adds them) and named.
    assert!(iris(&response).contains(&format!("{ID}provision/eu-ai-act/art-50-2")));
    assert_eq!(response["expansions"][0]["theme"], "content-provenance");
}

/// Expansion adds, never replaces: the words *and* the theme rank above the words alone, which
/// rank above the theme alone.
#[test]
fn words_and_theme_rank_above_either_alone() {
    let ranked = search(&[("q", "transparency"), ("limit", "100")]);
    // Explicit syntax turns expansion off: the documents that have the word.
    let words = search(&[("q", "+transparency"), ("limit", "100")]);
    assert!(words["total"].as_u64().unwrap() < 100, "{words}");
    let words = iris(&words);
    // The documents tagged with the theme, and the theme's own page (the index tags it so).
    let theme = format!("{ID}theme/transparency");
    let mut tagged: Vec<String> = select(&format!("SELECT ?d WHERE {{ ?d cw:theme <{theme}> }}"))
        .iter()
        .map(|row| row["d"]["value"].as_str().unwrap().to_owned())
        .collect();
    tagged.push(theme);
    // 3: words and theme, 2: words only, 1: theme only.
    let classes: Vec<u8> = iris(&ranked)
        .iter()
        .map(|iri| u8::from(words.contains(iri)) * 2 + u8::from(tagged.contains(iri)))
        .collect();
    for class in [3, 2, 1] {
        assert!(classes.contains(&class), "no class {class}: {classes:?}");
    }
    assert!(
        classes.windows(2).all(|w| w[0] >= w[1]),
        "out of order: {classes:?}"
    );
}

#[test]
fn role_theme_and_jurisdiction_are_understood_and_shown() {
    let response = search(&[("q", "deployer obligations on watermarking in Singapore")]);
    let understood: Vec<(String, String, bool)> = response["understood"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            (
                u["facet"].as_str().unwrap().to_owned(),
                u["value"].as_str().unwrap().to_owned(),
                u["applied"].as_bool().unwrap(),
            )
        })
        .collect();
    for wanted in [
        ("role", "deployer", false),
        ("theme", "content-provenance", false),
        ("jurisdiction", "SG", true),
    ] {
        assert!(
            understood
                .iter()
                .any(|(f, v, a)| (f.as_str(), v.as_str(), *a) == wanted),
            "{wanted:?} not in {understood:?}"
        );
    }
    let singapore = understood_as(&response, "jurisdiction");
    assert_eq!(singapore["from"], "Singapore");
    assert_eq!(singapore["label"], "Singapore");
    assert!(all_in(&response, "SG"), "{response}");
    let top: Vec<String> = iris(&response).into_iter().take(2).collect();
    assert!(
        top.contains(&format!(
            "{ID}requirement/sg-mgf-genai/dim-7-content-provenance"
        )),
        "{top:?}"
    );
    // understand=false searches the literal words: no filter, nothing understood.
    let literal = search(&[
        ("q", "deployer obligations on watermarking in Singapore"),
        ("understand", "false"),
    ]);
    assert_eq!(literal["understood"], json!([]));
    assert_eq!(
        search_status(&[("q", "x"), ("understand", "maybe")]).0,
        StatusCode::BAD_REQUEST
    );
}

#[test]
fn dates_in_the_query_are_bounds_and_never_empty_the_result() {
    let understood = search(&[
        ("q", "prohibited practices from February 2025"),
        ("limit", "100"),
    ]);
    let from = understood_as(&understood, "from");
    assert_eq!(
        (&from["value"], &from["from"], &from["applied"]),
        (
            &json!("2025-02-01"),
            &json!("from February 2025"),
            &json!(true)
        )
    );
    let explicit = search(&[
        ("q", "prohibited practices"),
        ("from", "2025-02-01"),
        ("limit", "100"),
    ]);
    assert_eq!(understood["total"], explicit["total"]);
    // A jurisdiction that leaves nothing is offered instead of applied.
    let response = search(&[("q", "hallucination in Malaysia")]);
    let malaysia = understood_as(&response, "jurisdiction");
    assert_eq!(
        (&malaysia["value"], &malaysia["applied"]),
        (&json!("MY"), &json!(false))
    );
    assert!(iris(&response).contains(&format!("{ID}provision/sg-starter-kit/risk-1")));
}

#[test]
fn reference_lookups_put_that_provision_first() {
    for (q, iri) in [
        ("Art. 12", "provision/eu-ai-act/art-12"),
        ("art 50(2)", "provision/eu-ai-act/art-50-2"),
        ("Article 50 paragraph 2", "provision/eu-ai-act/art-50-2"),
        ("GOVERN 1.1", "provision/us-nist-ai-rmf/GOVERN-1.1"),
        ("govern 1.1", "provision/us-nist-ai-rmf/GOVERN-1.1"),
        ("A.6.2.4", "provision/iso-iec-42001/A.6.2.4"),
        ("Pasal 3", "provision/eu-ai-act/art-3"),
        ("Dimension 7", "provision/sg-mgf-genai/dim-7"),
        ("Annex 3", "provision/eu-ai-act/annex-III"),
        ("annex iii", "provision/eu-ai-act/annex-III"),
        ("Art. 5(1)(c)", "provision/eu-ai-act/art-5-1-c"),
        ("MEASURE 2.11", "provision/us-nist-ai-rmf/MEASURE-2.11"),
    ] {
        let response = search(&[("q", q)]);
        assert_eq!(
            iris(&response).first(),
            Some(&format!("{ID}{iri}")),
            "{q}: {response}"
        );
    }
}

#[test]
fn the_cli_shows_what_it_understood_and_can_search_literally() {
    let data = tempfile::tempdir().unwrap();
    let run = |extra: &[&str]| {
        let mut args = vec![
            "search",
            "--data",
            data.path().to_str().unwrap(),
            "deployer obligations on watermarking in Singapore",
        ];
        args.extend_from_slice(extra);
        std::process::Command::new(env!("CARGO_BIN_EXE_crosswalk"))
            .args(&args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env("CROSSWALK_LOG", "warn")
            .output()
            .unwrap()
    };
    let understood = run(&[]);
    assert!(understood.status.success());
    let notes = String::from_utf8_lossy(&understood.stderr);
    assert!(
        notes.contains("understood \"Singapore\" as jurisdiction SG (Singapore): applied"),
        "{notes}"
    );
    assert!(notes.contains("as role deployer"), "{notes}");
    assert!(String::from_utf8_lossy(&understood.stdout).contains("Dimension 7"));
    let literal = run(&["--literal"]);
    assert!(literal.status.success());
    assert!(!String::from_utf8_lossy(&literal.stderr).contains("understood"));
}
