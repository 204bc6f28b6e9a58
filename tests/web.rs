//! The web UI over real HTTP: every page renders from the shipped catalogue, bad input is a 4xx
//! page saying why, the IRI paths answer Turtle, JSON-LD and N-Triples that parse back with
//! Oxigraph's parsers and hold the resource's triples, unknown IRIs are 404 pages naming what
//! was looked up, CSV downloads parse, languages switch, assets are cached by ETag.

mod common;
mod ui_support;

use oxigraph::io::{JsonLdProfileSet, RdfFormat, RdfParser};
use oxigraph::model::{NamedNode, Quad, Term};
use ui_support::{CHANGE_ID, DIM_7, ID, get, page, server};

/// Every message key the catalogues define; a rendered page showing one means a key the
/// templates use is missing from the catalogue.
fn catalogue_keys() -> Vec<String> {
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates/web/i18n/en.toml"),
    )
    .unwrap();
    let table: toml::Table = toml::from_str(&text).unwrap();
    table.keys().cloned().collect()
}

fn assert_no_raw_keys(path: &str, body: &str) {
    for key in catalogue_keys() {
        assert!(
            !body.contains(&format!(">{key}<")) && !body.contains(&format!("\"{key}\"")),
            "{path} shows the raw message key {key}"
        );
    }
}

fn parse(body: &str, format: RdfFormat) -> Vec<Quad> {
    RdfParser::from_format(format)
        .for_slice(body.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .unwrap_or_else(|e| panic!("{format:?} does not parse: {e}\n{body}"))
}

fn has(quads: &[Quad], s: &str, p: &str, o: Option<&str>) -> bool {
    quads.iter().any(|q| {
        q.subject.to_string() == format!("<{s}>")
            && q.predicate.as_str() == p
            && o.is_none_or(|o| match &q.object {
                Term::NamedNode(n) => n.as_str() == o,
                Term::Literal(l) => l.value() == o,
                _ => false,
            })
    })
}

#[test]
fn search_page_renders_facets_snippets_expansions_and_understood_filters() {
    let body = page("/search?q=deployer+obligations+on+watermarking+in+Singapore");
    assert_no_raw_keys("/search", &body);
    // Facet panels with counts, and the jurisdiction read from the words applied.
    assert!(body.contains("id=\"facet-jurisdiction\""), "{body}");
    assert!(body.contains("id=\"facet-theme\""));
    assert!(body.contains("class=\"count\""));
    assert!(body.contains("Understood:"));
    assert!(
        body.contains("Singapore ← “Singapore”"),
        "applied jurisdiction chip"
    );
    assert!(
        body.contains("understand=false"),
        "removing it searches the words"
    );
    // The theme expansion fired and is offered as a filter.
    assert!(body.contains("Also matched:"));
    assert!(body.contains("theme=content-provenance"));
    // Highlighted snippets, results linking to their IRI paths.
    assert!(body.contains("<b>watermarking</b>"), "{body}");
    assert!(body.contains("href=\"/id/provision/sg-mgf-genai/dim-7\""));
    // The search box is a plain GET form, enhanced by the script.
    assert!(body.contains("<form class=\"search\" id=\"search-form\" role=\"search\" method=\"get\" action=\"/search\">"));
    assert!(body.contains("/assets/app.js?v="));
    // `/` is the same page.
    let root = page("/");
    assert!(root.contains("id=\"search-form\""));
}

#[test]
fn search_filters_are_removable_and_pages_follow() {
    let body = page("/search?q=&jurisdiction=EU&kind=requirement");
    assert!(body.contains("Active filters"));
    // Each active filter links to the page without it.
    assert!(
        body.contains("href=\"/search?kind=requirement\""),
        "remove EU"
    );
    assert!(
        body.contains("href=\"/search?jurisdiction=EU\""),
        "remove requirement"
    );
    assert!(
        body.contains("rel=\"next\""),
        "EU requirements fill more than one page"
    );
    let second = page("/search?jurisdiction=EU&kind=requirement&page=2");
    assert!(second.contains("aria-current=\"page\">2<"));
    assert!(second.contains("rel=\"prev\""));
    // Relaxation is said.
    let relaxed = page("/search?q=transparency+for+the+users&jurisdiction=EU");
    assert!(relaxed.contains("left out:"), "{relaxed}");
    assert!(relaxed.contains("<strong>users</strong>"));
}

#[test]
fn bad_search_input_is_a_400_page_saying_why() {
    for (path, says) in [
        ("/search?q=x&from=2026-13-01", "expected a date YYYY-MM-DD"),
        ("/search?q=x&page=0", "expected a number from 1"),
        ("/search?q=x&sort=sideways", "use relevance or date"),
    ] {
        let (status, media, body) = get(path, &[]);
        assert_eq!(status, 400, "{path}");
        assert!(media.starts_with("text/html"));
        assert!(body.contains(says), "{path}: {body}");
    }
    let long = format!("/search?q={}", "a".repeat(1001));
    assert_eq!(get(&long, &[]).0, 400);
}

#[test]
fn provision_page_shows_paraphrase_instrument_and_its_crosswalk() {
    let body = page("/id/provision/sg-mgf-genai/dim-7");
    assert_no_raw_keys("dim-7", &body);
    assert!(body.contains("Content Provenance"));
    assert!(body.contains("MGF-GenAI"));
    // IMDA text is never quoted: our paraphrase, the notice, the official link.
    assert!(body.contains("Our paraphrase"));
    assert!(body.contains("may not be reproduced here"));
    assert!(!body.contains("class=\"official-text\""));
    assert!(body.contains("href=\"https://aiverifyfoundation.sg/resources/mgf-gen-ai/\""));
    // Voluntary, visibly.
    assert!(body.contains("badge voluntary"));
    // Its crosswalk, grouped by framework, with relationship, provenance and rationale.
    assert!(body.contains("Crosswalk"));
    assert!(body.contains(">EU AI Act</a>"), "{body}");
    assert!(body.contains("href=\"/id/provision/eu-ai-act/art-50-2\""));
    assert!(body.contains("intersects with"));
    assert!(body.contains("Team analysis"));
    assert!(body.contains("Both concern marking AI-generated content"));
    // ISO/IEC 42001 as its own group: the team's nearest overlap, saying so.
    assert!(body.contains(">ISO/IEC 42001</a>"), "{body}");
    assert!(body.contains("href=\"/id/provision/iso-iec-42001/A.8.2\""));
    assert!(body.contains("href=\"/id/provision/iso-iec-42001/A.8.5\""));
    assert!(body.contains("ISO/IEC 42001 has no content-provenance control"));
    // The requirement it states links back.
    assert!(body.contains("/id/requirement/sg-mgf-genai/dim-7-content-provenance"));
}

#[test]
fn requirement_page_shows_strength_roles_and_its_provisions_crosswalk() {
    let body = page("/id/requirement/sg-mgf-genai/dim-7-content-provenance");
    assert!(body.contains("Provide provenance information for AI-generated content"));
    assert!(body.contains("should"));
    assert!(body.contains("href=\"/search?role=deployer\""));
    assert!(body.contains("href=\"/search?theme=content-provenance\""));
    assert!(
        body.contains("via its provision"),
        "the provision's mappings, marked"
    );
    assert!(body.contains("href=\"/id/provision/sg-mgf-genai/dim-7\""));
}

#[test]
fn eu_provision_quotes_the_official_text_and_shows_dates_and_changes() {
    let body = page("/id/provision/eu-ai-act/art-113");
    assert!(
        body.contains("class=\"official-text\""),
        "EU legislation is quoted"
    );
    assert!(body.contains("It shall apply from 2 August 2026."));
    assert!(body.contains("badge binding"));
    // The application dates as a timeline with their sources.
    assert!(body.contains("class=\"timeline\""));
    assert!(body.contains("<time datetime=\"2025-02-02\">"));
    assert!(body.contains("Chapters I and II"));
    assert!(body.contains("https://eur-lex.europa.eu/eli/reg/2024/1689/oj"));
    // The fixture change shows in Art. 50(2)'s history.
    let art = page("/id/provision/eu-ai-act/art-50-2");
    assert!(art.contains(&format!("/changes/{CHANGE_ID}")), "{art}");
    assert!(art.contains("provision-modified"));
}

#[test]
fn quoting_policy_holds_even_when_the_graph_carries_text() {
    // Plant verbatim text on an ISO/IEC 42001 control: the page must not show it.
    let planted = "PLANTED-ISO-TEXT-must-never-appear";
    let update = format!(
        "PREFIX cw: <https://w3id.org/crosswalk/ontology#>
         INSERT DATA {{ GRAPH <https://w3id.org/crosswalk/graph/test/planted> {{
           <{ID}provision/iso-iec-42001/4.1> cw:text \"{planted}\"@en }} }}"
    );
    let response = common::client()
        .post(server().url("/sparql/update"))
        .bearer_auth(ui_support::TOKEN)
        .header("content-type", "application/sparql-update")
        .body(update)
        .send()
        .unwrap();
    assert!(response.status().is_success());
    let body = page("/id/provision/iso-iec-42001/4.1");
    assert!(!body.contains(planted), "ISO text quoted");
    assert!(body.contains("may not be reproduced here"));
}

#[test]
fn instrument_page_has_status_chain_tree_and_sources() {
    let body = page("/id/instrument/eu-ai-act");
    assert_no_raw_keys("eu-ai-act", &body);
    assert!(body.contains("badge binding"));
    assert!(body.contains("Supersession and amendments"));
    assert!(body.contains("Amended by"), "the Digital Omnibus amends it");
    // The provision tree: chapters open into articles, collapsible without a script.
    assert!(body.contains("<details><summary>"));
    assert!(body.contains("href=\"/id/provision/eu-ai-act/art-50\""));
    // Its tracked source.
    assert!(body.contains("id=\"source-eu-ai-act-cellar\""));
}

#[test]
fn iri_paths_negotiate_turtle_json_ld_and_n_triples() {
    for (accept, format, media) in [
        ("text/turtle", RdfFormat::Turtle, "text/turtle"),
        // The legacy Turtle type, answered as Turtle (fuzz seed `web_negotiation/legacy-turtle`).
        ("application/x-turtle", RdfFormat::Turtle, "text/turtle"),
        (
            "application/ld+json",
            RdfFormat::JsonLd {
                profile: JsonLdProfileSet::empty(),
            },
            "application/ld+json",
        ),
        (
            "application/n-triples",
            RdfFormat::NTriples,
            "application/n-triples",
        ),
    ] {
        let (status, got, body) = get("/id/provision/sg-mgf-genai/dim-7", &[("accept", accept)]);
        assert_eq!(status, 200, "{accept}: {body}");
        assert!(got.starts_with(media), "{accept}: {got}");
        let quads = parse(&body, format);
        // The resource's own triples…
        assert!(has(
            &quads,
            DIM_7,
            "http://purl.org/dc/terms/title",
            Some("Content Provenance")
        ));
        assert!(has(
            &quads,
            DIM_7,
            "https://w3id.org/crosswalk/ontology#instrument",
            Some(&format!("{ID}instrument/sg-mgf-genai"))
        ));
        // …and its mappings' (team mapping 0096 to Art. 50(2)).
        let mapping = quads
            .iter()
            .find(|q| {
                q.predicate.as_str() == "https://w3id.org/crosswalk/ontology#object"
                    && q.object
                        == Term::NamedNode(NamedNode::new_unchecked(format!(
                            "{ID}provision/eu-ai-act/art-50-2"
                        )))
            })
            .unwrap_or_else(|| panic!("{accept}: no mapping to Art. 50(2)"));
        let m = mapping.subject.to_string();
        let m = m.trim_matches(['<', '>']);
        assert!(has(
            &quads,
            m,
            "https://w3id.org/crosswalk/ontology#subject",
            Some(DIM_7)
        ));
        assert!(has(
            &quads,
            m,
            "https://w3id.org/crosswalk/ontology#relationship",
            None
        ));
    }
    // ?format= wins; a browser's Accept gets HTML.
    let (_, media, body) = get("/id/provision/sg-mgf-genai/dim-7?format=ttl", &[]);
    assert!(media.starts_with("text/turtle"));
    parse(&body, RdfFormat::Turtle);
    let (status, media, _) = get(
        "/id/provision/sg-mgf-genai/dim-7",
        &[(
            "accept",
            "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
        )],
    );
    assert_eq!(status, 200);
    assert!(media.starts_with("text/html"));
    let response = common::client()
        .get(server().url("/id/provision/sg-mgf-genai/dim-7"))
        .send()
        .unwrap();
    assert!(
        response.headers()["vary"]
            .to_str()
            .unwrap()
            .contains("Accept")
    );
    assert_eq!(
        get("/id/provision/sg-mgf-genai/dim-7?format=rdfxml", &[]).0,
        400
    );
}

#[test]
fn unknown_iris_are_404_pages_naming_what_was_looked_up() {
    let (status, media, body) = get("/id/provision/nowhere/art-999", &[]);
    assert_eq!(status, 404);
    assert!(media.starts_with("text/html"));
    assert!(body.contains("https://w3id.org/crosswalk/id/provision/nowhere/art-999"));
    assert!(body.contains("Looked up:"));
    let (status, _, _) = get(
        "/id/provision/nowhere/art-999",
        &[("accept", "text/turtle")],
    );
    assert_eq!(status, 404);
    assert_eq!(get("/changes/no-such-change", &[]).0, 404);
}

#[test]
fn explorer_shows_the_280_published_nist_iso_pairs_and_downloads_them() {
    let body = page("/crosswalk?from=us-nist-ai-rmf&to=iso-iec-42001&prov=published");
    assert_no_raw_keys("/crosswalk", &body);
    assert!(
        body.contains("<strong id=\"pair-count\">280</strong>"),
        "{}",
        &body[..body.len().min(4000)]
    );
    assert!(body.contains("Published crosswalk"));
    assert!(body.contains("href=\"/id/provision/us-nist-ai-rmf/GOVERN-1.1\""));
    // Unfiltered, the team's and derived mappings join them; each filter toggles in the URL.
    let all = page("/crosswalk?from=us-nist-ai-rmf&to=iso-iec-42001");
    assert!(all.contains("prov=published"));
    assert!(all.contains("rel=related"));
    let (status, media, csv) = get(
        "/crosswalk.csv?from=us-nist-ai-rmf&to=iso-iec-42001&prov=published",
        &[],
    );
    assert_eq!(status, 200);
    assert!(media.starts_with("text/csv"));
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let headers = reader.headers().unwrap().clone();
    assert_eq!(&headers[0], "From reference");
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 280);
    assert!(rows.iter().all(|r| &r[9] == "published"));
    // An unknown framework is a 400 naming the closest.
    let (status, _, body) = get("/crosswalk?from=us-nist-ai-rmf&to=iso-42001", &[]);
    assert_eq!(status, 400);
    assert!(body.contains("iso-iec-42001"), "{body}");
    assert_eq!(get("/crosswalk?from=a&to=b&rel=nearly", &[]).0, 400);
    // No selection: the mapped pairs to choose from.
    let pairs = page("/crosswalk");
    assert!(
        pairs.contains("us-nist-ai-rmf") && pairs.contains("<select name=\"from\""),
        "{pairs}"
    );
}

#[test]
fn gap_view_matches_the_saved_query_and_downloads_as_csv() {
    let body = page("/gaps?from=sg-mgf-genai&to=iso-iec-42001");
    let rows = server().saved(
        "gap-analysis",
        &[("from", "sg-mgf-genai"), ("to", "iso-iec-42001")],
    );
    assert!(!rows.is_empty());
    assert!(
        body.contains(&format!("<strong id=\"gap-count\">{}</strong>", rows.len())),
        "{body}"
    );
    let (status, media, csv) = get("/gaps.csv?from=sg-mgf-genai&to=iso-iec-42001", &[]);
    assert_eq!(status, 200);
    assert!(media.starts_with("text/csv"));
    let records: Vec<csv::StringRecord> = csv::Reader::from_reader(csv.as_bytes())
        .records()
        .map(Result::unwrap)
        .collect();
    assert_eq!(records.len(), rows.len());
    assert!(
        records
            .iter()
            .all(|r| r[4].starts_with(&format!("{ID}provision/sg-mgf-genai/")))
    );
    assert_eq!(get("/gaps.csv?from=sg-mgf-genai", &[]).0, 400);
}

#[test]
fn matrix_cells_open_the_filtered_search() {
    let body = page("/matrix");
    assert_no_raw_keys("/matrix", &body);
    for code in ["SG", "MY", "ID", "EU", "US", "INTL"] {
        assert!(
            body.contains("<abbr title=") && body.contains(&format!(">{code}</abbr>")),
            "{code}"
        );
    }
    let cell = "/search?theme=content-provenance&#38;jurisdiction=SG";
    assert!(body.contains(cell), "{body}");
    let search = page(&cell.replace("&#38;", "&"));
    assert!(search.contains("Active filters"));
    assert!(search.contains("href=\"/id/provision/sg-mgf-genai/dim-7\""));
}

#[test]
fn sources_console_and_changes_pages_render() {
    let sources = page("/sources");
    assert_no_raw_keys("/sources", &sources);
    assert!(sources.contains("id=\"source-eu-ai-act-cellar\""));
    assert!(sources.contains("not yet"), "no fetch in the test store");
    let console = page("/console?example=gap-analysis");
    assert_no_raw_keys("/console", &console);
    assert!(console.contains("/assets/yasgui.min.js?v="));
    assert!(console.contains("data-example=\"theme-matrix\""));
    assert!(console.contains("aria-current=\"true\">Gap analysis between two frameworks"));
    assert!(console.contains("format=csv"));
    assert_eq!(get("/console?example=no-such-query", &[]).0, 400);
    let changes = page("/changes");
    assert_no_raw_keys("/changes", &changes);
    assert!(changes.contains("<svg role=\"img\""));
    assert!(changes.contains(&format!("/changes/{CHANGE_ID}")));
    let filtered = page("/changes?material=false");
    assert!(!filtered.contains(&format!("/changes/{CHANGE_ID}")));
    assert_eq!(get("/changes?material=maybe", &[]).0, 400);
}

#[test]
fn change_page_shows_redlines_and_affected_obligations() {
    let body = page(&format!("/changes/{CHANGE_ID}"));
    assert_no_raw_keys("change", &body);
    assert!(body.contains("<ins>"), "{body}");
    assert!(body.contains("audio"));
    assert!(body.contains("<del>"));
    assert!(body.contains("class=\"side-by-side\""));
    assert!(body.contains("href=\"/id/provision/eu-ai-act/art-50-2\""));
    // The obligations Art. 50(2) states.
    assert!(body.contains("Affected obligations"));
    assert!(body.contains("/id/requirement/eu-ai-act/"), "{body}");
}

/// Text as askama escapes it in HTML.
fn html(text: &str) -> String {
    text.replace('&', "&#38;")
        .replace('<', "&#60;")
        .replace('>', "&#62;")
        .replace('"', "&#34;")
        .replace('\'', "&#39;")
}

#[test]
fn change_pages_show_what_the_change_api_serves() {
    let json = |path: &str| server().get_json(path, &[], "application/json");
    let api = json(&format!("/api/changes/{CHANGE_ID}"));
    assert_eq!(api["iri"], ui_support::CHANGE_IRI, "{api}");
    let body = page(&format!("/changes/{CHANGE_ID}"));
    let fact = |key: &str| api[key].as_str().unwrap_or_else(|| panic!("{key}: {api}"));
    for key in ["kind", "summary", "word_summary", "iri"] {
        assert!(
            body.contains(&html(fact(key))),
            "{key} {:?}: {body}",
            fact(key)
        );
    }
    // The time the API gives, to the second.
    let at = fact("at");
    assert!(
        body.contains(&format!("<time datetime=\"{}Z\">", &at[..19])),
        "{at}"
    );
    assert_eq!(api["material"], true);
    assert!(body.contains("badge review\">material<"), "{body}");
    for affected in api["affects"].as_array().unwrap() {
        let iri = affected["iri"].as_str().unwrap();
        let path = iri.strip_prefix(ID).unwrap();
        assert!(
            body.contains(&format!("href=\"/id/{path}\"")),
            "{iri}: {body}"
        );
    }
    let diff = &api["diff"];
    for word in diff["added_words"].as_array().unwrap() {
        assert!(body.contains(&html(word.as_str().unwrap())), "{word}");
    }
    assert!(!diff["added_words"].as_array().unwrap().is_empty(), "{api}");
    assert!(body.contains(&format!("href=\"/api/changes/{CHANGE_ID}\"")));
    // The timeline lists exactly the events the list API returns for the same filter.
    let mut listed = [false, false];
    for filter in [
        "theme=content-provenance",
        "theme=transparency",
        "jurisdiction=EU",
        "jurisdiction=SG",
        "kind=provision-modified",
        "kind=date-moved",
        "material=false",
        "source=eu-ai-act-cellar",
    ] {
        let ids: Vec<String> = json(&format!("/api/changes?{filter}"))["changes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_str().unwrap().to_owned())
            .collect();
        let timeline = page(&format!("/changes?{filter}"));
        let in_api = ids.iter().any(|id| id == CHANGE_ID);
        let on_page = timeline.contains(&format!("href=\"/changes/{CHANGE_ID}\""));
        assert_eq!(in_api, on_page, "{filter}");
        assert!(
            timeline.contains(&format!("<strong>{}</strong>", ids.len())),
            "{filter}: {} in the API",
            ids.len()
        );
        listed[usize::from(in_api)] = true;
    }
    assert_eq!(listed, [true, true], "the filters both keep and drop it");
    // The API's errors are the page's: an unknown theme names itself.
    let (status, _, bad) = get("/changes?theme=no-such-theme", &[]);
    assert_eq!(status, 400);
    assert!(bad.contains("no-such-theme"), "{bad}");
    assert_eq!(get("/changes/no-such-change", &[]).0, 404);
}

#[test]
fn languages_follow_the_url_or_accept_language_and_links_keep_them() {
    let body = page("/?lang=id");
    assert!(body.contains("<html lang=\"id\">"));
    assert!(body.contains(">Pencarian<"));
    assert!(
        body.contains("href=\"/crosswalk?lang=id\""),
        "links keep the language"
    );
    let (_, _, ms) = get("/matrix", &[("accept-language", "ms-MY,ms;q=0.9,en;q=0.5")]);
    assert!(ms.contains("<html lang=\"ms\">"));
    assert!(ms.contains("Matriks bidang kuasa"));
    // Accept-Language alone adds nothing to links.
    assert!(ms.contains("href=\"/crosswalk\""));
    // Theme labels come from the graph in the language.
    let element = page("/id/provision/sg-mgf-genai/dim-7?lang=id");
    assert!(
        element.contains("Provenans dan penandaan konten"),
        "{element}"
    );
    let search = page("/search?q=watermark&lang=ms");
    assert!(search.contains("Bidang kuasa"));
    assert!(search.contains("lang=ms"));
}

#[test]
fn assets_are_embedded_long_cached_and_revalidated_by_etag() {
    let response = common::client()
        .get(server().url("/assets/app.css"))
        .send()
        .unwrap();
    assert_eq!(response.status(), 200);
    let etag = response.headers()["etag"].to_str().unwrap().to_owned();
    assert!(
        response.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("max-age=31536000")
    );
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/css")
    );
    let again = common::client()
        .get(server().url("/assets/app.css"))
        .header("if-none-match", &etag)
        .send()
        .unwrap();
    assert_eq!(again.status(), 304);
    let yasgui = common::client()
        .get(server().url("/assets/yasgui.min.js"))
        .send()
        .unwrap();
    assert_eq!(yasgui.status(), 200);
    assert!(yasgui.bytes().unwrap().len() > 500_000);
    assert_eq!(get("/assets/nothing.js", &[]).0, 404);
}

#[test]
fn pages_reference_no_outside_resource() {
    // No page loads anything from another origin (links to official texts are fine).
    for path in [
        "/",
        "/search?q=incident",
        "/id/provision/sg-mgf-genai/dim-7",
        "/id/instrument/eu-ai-act",
        "/crosswalk?from=us-nist-ai-rmf&to=iso-iec-42001",
        "/gaps?from=sg-mgf-genai&to=iso-iec-42001",
        "/matrix",
        "/sources",
        "/console",
        "/changes",
    ] {
        let body = page(path);
        for attr in ["src=\"http", "href=\"//", "src=\"//", "url(http", "@import"] {
            assert!(!body.contains(attr), "{path} loads from outside: {attr}");
        }
        assert!(
            !body.contains("rel=\"stylesheet\" href=\"http"),
            "{path} loads a stylesheet from outside"
        );
    }
}
