//! The catalogue's second review (issue 16, catalogue §10): each correction, the new instruments
//! (with their facts and found by search in their jurisdiction), the point-level structures, the
//! transitional dates, document-level provenance and the README summary, all asserted through SPARQL,
//! the saved queries and `/api/search` of the real server over the shipped seeds.

mod common;

use common::{TestServer, bindings, count_of, value};
use crosswalk::config::Config;
use serde_json::Value;
use std::sync::OnceLock;

const ID: &str = "https://w3id.org/crosswalk/id/";

/// Prefixes of the catalogue's provision and requirement IRIs (cw, inst, role, status, … are
/// predeclared by the server). Local names with dots (`A.10.4`) are written as full IRIs.
const PREFIXES: &str = "PREFIX aiact: <https://w3id.org/crosswalk/id/provision/eu-ai-act/>
PREFIX aiactreq: <https://w3id.org/crosswalk/id/requirement/eu-ai-act/>
PREFIX org: <https://w3id.org/crosswalk/id/org/>
";

fn server() -> &'static TestServer {
    static SERVER: OnceLock<TestServer> = OnceLock::new();
    SERVER.get_or_init(|| TestServer::start_searchable(|_| {}))
}

fn sparql(query: &str) -> Value {
    server().sparql(&format!("{PREFIXES}{query}"))
}

fn select(query: &str) -> Vec<Value> {
    bindings(&sparql(query))
}

fn ask(query: &str) -> bool {
    sparql(query)["boolean"].as_bool().unwrap()
}

fn count(query: &str) -> u64 {
    count_of(&select(query))
}

fn saved(name: &str, params: &[(&str, &str)]) -> Vec<Value> {
    server().saved(name, params)
}

fn find<'a>(rows: &'a [Value], var: &str, suffix: &str) -> Option<&'a Value> {
    rows.iter().find(|r| value(r, var).ends_with(suffix))
}

// ---------------------------------------------------------------- EU AI Act Art. 111 and 113

/// What applies to a GPAI provider in the EU on `date`, for a model placed on the market on
/// `placed` (none: the general dates).
fn gpai_on(date: &str, placed: Option<&str>) -> Vec<Value> {
    let mut params = vec![
        ("role", "gpai-provider"),
        ("date", date),
        ("jurisdiction", "EU"),
    ];
    if let Some(placed) = placed {
        params.push(("placedOnMarket", placed));
    }
    saved("applies-on-date", &params)
}

#[test]
fn gpai_duties_apply_later_to_a_model_placed_on_the_market_before_august_2025() {
    let documentation = "requirement/eu-ai-act/art-53-1-a-technical-documentation";
    // A model placed in 2026 is bound at once; one placed in 2024 has until 2 Aug 2027 (Art. 111(3)).
    let new_model = gpai_on("2026-09-01", Some("2026-03-01"));
    let row = find(&new_model, "requirement", documentation).expect("Art. 53(1)(a) applies");
    assert_eq!(value(row, "appliesFrom"), "2025-08-02");
    let old_model = gpai_on("2026-09-01", Some("2024-06-01"));
    assert!(
        find(&old_model, "requirement", documentation).is_none(),
        "a 2024 model is in transition until 2027: {old_model:?}"
    );
    assert!(
        old_model.len() < new_model.len(),
        "every GPAI duty waits for the 2024 model"
    );
    let later = gpai_on("2027-08-02", Some("2024-06-01"));
    let row = find(&later, "requirement", documentation).expect("applies from 2 Aug 2027");
    assert_eq!(value(row, "appliesFrom"), "2027-08-02");
    assert!(value(row, "transitions").contains("2025-08-02"), "{row}");
    // Without a placement date the general dates apply, as before the parameter existed.
    assert!(find(&gpai_on("2026-09-01", None), "requirement", documentation).is_some());
    // The obligations query shows the scope as a column and applies the same parameter.
    let obligations = saved(
        "obligations",
        &[("role", "gpai-provider"), ("placedOnMarket", "2024-06-01")],
    );
    let row = find(&obligations, "requirement", documentation).unwrap();
    assert_eq!(value(row, "appliesFrom"), "2027-08-02");
    assert!(value(row, "transitions").contains("Art. 111(3)"), "{row}");
    let unscoped = saved("obligations", &[("role", "gpai-provider")]);
    assert_eq!(
        value(
            find(&unscoped, "requirement", documentation).unwrap(),
            "appliesFrom"
        ),
        "2025-08-02"
    );
}

#[test]
fn legacy_high_risk_systems_report_the_art_111_2_conditions_without_moving_the_date() {
    let rows = saved(
        "applies-on-date",
        &[
            ("role", "provider"),
            ("date", "2028-01-01"),
            ("jurisdiction", "EU"),
            ("placedOnMarket", "2025-01-01"),
        ],
    );
    let rms = find(&rows, "requirement", "art-9-risk-management-system").expect("Art. 9 listed");
    assert_eq!(value(rms, "appliesFrom"), "2027-12-02");
    let transitions = value(rms, "transitions");
    assert!(
        transitions.contains("significantly") && transitions.contains("2030-08-02"),
        "{transitions}"
    );
    assert!(transitions.contains("public authorities"), "{transitions}");
    // Art. 50(2) marking: the Omnibus grace for generative systems already on the market.
    let marking = "art-50-2-marking";
    let on = |placed: &str| {
        saved(
            "applies-on-date",
            &[
                ("role", "provider"),
                ("date", "2026-09-01"),
                ("jurisdiction", "EU"),
                ("placedOnMarket", placed),
            ],
        )
    };
    assert!(find(&on("2026-01-01"), "requirement", marking).is_none());
    assert!(find(&on("2026-08-20"), "requirement", marking).is_some());
}

#[test]
fn art_113_points_at_its_dates_as_enacted_and_as_amended() {
    let rows = select(
        "SELECT ?d ?basis ?by WHERE { aiact:art-113 cw:applicationDate ?ad . ?ad cw:date ?d ; cw:basis ?basis .
           OPTIONAL { ?ad cw:amendedBy ?by } }",
    );
    let has = |date: &str, amended: bool| {
        rows.iter().any(|r| {
            value(r, "d") == date
                && value(r, "basis").ends_with(if amended { "AsAmended" } else { "AsEnacted" })
                && (!amended || value(r, "by").ends_with("eu-digital-omnibus-ai"))
        })
    };
    for (date, amended) in [
        ("2025-02-02", false),
        ("2025-08-02", false),
        ("2026-08-02", false),
        ("2027-08-02", false),
        ("2026-12-02", true),
        ("2027-12-02", true),
        ("2028-08-02", true),
    ] {
        assert!(has(date, amended), "{date} amended={amended}: {rows:?}");
    }
    assert!(ask(
        "ASK { aiact:art-113 eli:amended_by ?change . ?change cw:instrument inst:eu-digital-omnibus-ai }"
    ));
    // Art. 111 paragraphs carry the transitional rules; 111(3) is quoted.
    let text = select("SELECT ?t WHERE { aiact:art-111-3 cw:text ?t }");
    assert!(value(&text[0], "t").contains("before 2 August 2025"));
    assert!(value(&text[0], "t").contains("by 2 August 2027"));
}

// ---------------------------------------------------------------- Digital Omnibus and Art. 4

#[test]
fn the_digital_omnibus_awaits_publication_and_is_linked_in_one_direction() {
    let omnibus = select(
        "SELECT ?title ?status ?src WHERE { inst:eu-digital-omnibus-ai dcterms:title ?title ;
           cw:legalStatus ?status ; dcterms:source ?src }",
    );
    let row = &omnibus[0];
    for regulation in ["(EU) 2024/1689", "(EU) 2018/1139", "(EU) 2023/1230"] {
        assert!(value(row, "title").contains(regulation), "{row}");
    }
    assert!(value(row, "status").ends_with("status/adopted-awaiting-publication"));
    assert_eq!(
        value(row, "src"),
        "https://www.europarl.europa.eu/doceo/document/TA-10-2026-0198_EN.pdf"
    );
    assert!(!ask(
        "ASK { inst:eu-digital-omnibus-ai eli:date_document|eli:date_publication|eli:first_date_entry_in_force ?d }"
    ));
    assert!(
        !ask("ASK { ?s eli:amends ?o }"),
        "amendments are stated one way"
    );
    assert!(!ask("ASK { inst:eu-ai-act cw:amendedBy ?x }"));
    assert!(ask(
        "ASK { inst:eu-ai-act eli:amended_by inst:eu-digital-omnibus-ai }"
    ));
    assert!(
        !ask("ASK { ?m a cw:Mapping ; cw:subject inst:eu-digital-omnibus-ai }"),
        "an amendment is not a mapping"
    );
    let amended = count(
        "SELECT (COUNT(DISTINCT ?article) AS ?n) WHERE { ?article cw:instrument inst:eu-ai-act ;
           eli:amended_by ?change . ?change cw:instrument inst:eu-digital-omnibus-ai }",
    );
    assert!(amended >= 8, "{amended}");
    let changes = count(
        "SELECT (COUNT(?c) AS ?n) WHERE { ?c cw:instrument inst:eu-digital-omnibus-ai ; cw:provisionType \"amendment\" }",
    );
    assert!(
        changes >= 9,
        "the Omnibus's changes, dates and others: {changes}"
    );
    // Amended dates cite the adopted text, not the proposal.
    assert!(!ask(
        "ASK { ?x dcterms:source <https://eur-lex.europa.eu/legal-content/EN/TXT/?uri=CELEX%3A52025PC0836> }"
    ));
}

#[test]
fn art_4_as_amended_is_an_effort_duty_with_both_reported_readings() {
    let readings = select(
        "SELECT ?label ?src ?ev WHERE { aiactreq:art-4-ai-literacy-as-amended cw:reading ?r .
           ?r rdfs:label ?label ; dcterms:source ?src ; cw:evidenceLevel ?ev }",
    );
    let labels: std::collections::BTreeSet<&str> =
        readings.iter().map(|r| value(r, "label")).collect();
    assert_eq!(labels.len(), 2, "{readings:?}");
    assert!(labels.contains("effort duty") && labels.contains("direct duty removed"));
    assert!(ask(
        "ASK { aiactreq:art-4-ai-literacy dcterms:isReplacedBy aiactreq:art-4-ai-literacy-as-amended }"
    ));
    let rows = saved(
        "applies-on-date",
        &[
            ("role", "deployer"),
            ("date", "2026-09-01"),
            ("jurisdiction", "EU"),
        ],
    );
    assert!(find(&rows, "requirement", "art-4-ai-literacy-as-amended").is_some());
    assert!(
        find(&rows, "requirement", "art-4-ai-literacy").is_none(),
        "the 2024 wording is replaced"
    );
}

// ---------------------------------------------------------------- the other corrections of §10.1

#[test]
fn se_9_2023_part_d_holds_the_three_responsibilities() {
    let in_part = |part: &str| -> Vec<String> {
        select(&format!(
            "SELECT ?r WHERE {{ ?r cw:provision <{ID}provision/id-se-9-2023/{part}> }} ORDER BY ?r"
        ))
        .iter()
        .map(|r| value(r, "r").rsplit('/').next().unwrap().to_owned())
        .collect()
    };
    assert_eq!(
        in_part("part-d"),
        [
            "resp-developer-information",
            "resp-human-decision",
            "resp-risk-crisis-management"
        ]
    );
    let implementation = in_part("part-c");
    assert!(implementation.contains(&"impl-code-of-conduct".to_owned()));
    assert!(implementation.contains(&"impl-education".to_owned()));
    assert!(!ask(
        "ASK { ?v cw:instrument inst:id-se-9-2023 ; cw:evidenceNote ?n FILTER(CONTAINS(?n, \"UNVERIFIED\")) }"
    ));
}

#[test]
fn ai_verify_pairs_come_from_the_ai_verify_repository() {
    let rows = select(
        "SELECT ?s ?rel ?from WHERE { ?m cw:subject ?s ; cw:relationship ?rel ; prov:wasDerivedFrom ?from
           FILTER(STRSTARTS(STR(?m), \"https://w3id.org/crosswalk/id/mapping/ai-verify--nist-rmf/\")) }",
    );
    assert_eq!(rows.len(), 7);
    assert!(
        rows.iter()
            .all(|r| value(r, "from").ends_with("instrument/sg-ai-verify"))
    );
    for criterion in ["c-12.1", "c-12.2"] {
        let row = find(&rows, "s", criterion).unwrap();
        assert!(value(row, "rel").ends_with("subsetOf"), "{row}");
    }
    assert!(!ask(
        "ASK { ?m a cw:Mapping ; prov:wasDerivedFrom inst:crosswalk-nist-rmf-ai-verify }"
    ));
}

#[test]
fn nist_iso_errata_a_and_b_follow_one_rule() {
    let rows = select(
        "SELECT ?s ?o ?ref ?why WHERE { ?m a cw:Mapping ; cw:subject ?s ; cw:object ?o ; cw:sourceRef ?ref ;
           cw:correction ?why FILTER(CONTAINS(?why, \"erratum a\") || CONTAINS(?why, \"erratum b\")) }",
    );
    assert_eq!(rows.len(), 2);
    for (subject, object, printed) in [
        ("GOVERN-3.2", "A.3.2", "B.3.2 Management review inputs"),
        ("MAP-1.4", "A.2.2", "B.2.2 Customers"),
    ] {
        let row = find(&rows, "s", subject).unwrap();
        assert!(value(row, "o").ends_with(object), "{row}");
        assert_eq!(value(row, "ref"), printed);
        assert!(value(row, "why").contains("identifier wins"), "{row}");
    }
    assert!(!ask(
        "ASK { ?m cw:subject <https://w3id.org/crosswalk/id/provision/us-nist-ai-rmf/MAP-1.4> ;
           cw:object <https://w3id.org/crosswalk/id/provision/iso-iec-42001/A.10.4> }"
    ));
}

#[test]
fn the_code_of_practice_is_based_on_art_56_rather_than_mapped_to_it() {
    assert!(ask("ASK { inst:eu-gpai-cop eli:based_on aiact:art-56 }"));
    assert!(!ask(
        "ASK { ?m a cw:Mapping ; cw:subject inst:eu-gpai-cop ; cw:object aiact:art-56 }"
    ));
}

#[test]
fn blueprint_is_historical_and_mgf_genai_names_are_v2() {
    let historical = saved("instruments", &[("status", "historical")]);
    assert!(find(&historical, "instrument", "us-ai-bill-of-rights").is_some());
    let voluntary = saved("instruments", &[("status", "voluntary-framework")]);
    assert!(find(&voluntary, "instrument", "us-ai-bill-of-rights").is_none());
    // Only the count of MGF-GenAI dimensions is V1; no dimension claims a V1 order.
    assert!(!ask(
        "ASK { ?d cw:instrument inst:sg-mgf-genai ; cw:evidenceNote ?n FILTER(CONTAINS(?n, \"order V1\")) }"
    ));
    assert_eq!(
        count(
            "SELECT (COUNT(?d) AS ?n) WHERE { ?d cw:instrument inst:sg-mgf-genai ; cw:provisionType \"dimension\" ; cw:evidenceLevel cw:V2 }"
        ),
        9
    );
}

#[test]
fn malaysia_action_plan_and_asean_genai_guide_dates() {
    let plan = select(
        "SELECT ?t ?ev WHERE { inst:my-ai-plan-2026-2030 dcterms:title ?t ; cw:evidenceLevel ?ev FILTER(LANG(?t) = \"en\") }",
    );
    assert_eq!(value(&plan[0], "t"), "National AI Action Plan 2026–2030");
    assert!(value(&plan[0], "ev").ends_with("V2"));
    assert!(ask(
        "ASK { inst:my-ai-plan-2026-2030 dcterms:publisher org:my-naio }"
    ));
    let guide = select(
        "SELECT ?d ?c WHERE { inst:asean-ai-guide-genai dcterms:issued ?d ; rdfs:comment ?c }",
    );
    assert_eq!(value(&guide[0], "d"), "2025-01");
    assert!(value(&guide[0], "c").contains("Bangkok, 16–17 January 2025"));
}

#[test]
fn voluntary_requirements_say_should_and_standards_say_must_only_with_a_scope_note() {
    assert_eq!(
        count(
            "SELECT (COUNT(?r) AS ?n) WHERE { ?r a cw:Requirement ; cw:deonticStrength cw:must ;
               cw:instrument/cw:legalStatus status:voluntary-framework }"
        ),
        0
    );
    assert_eq!(
        count(
            "SELECT (COUNT(?r) AS ?n) WHERE { ?r a cw:Requirement ; cw:deonticStrength cw:must ;
               cw:instrument inst:iso-iec-42001 FILTER NOT EXISTS { ?r cw:scopeNote ?s } }"
        ),
        0
    );
    // The obligations query tells a standard's conformance "must" from law.
    let rows = saved(
        "obligations",
        &[("role", "organisation"), ("jurisdiction", "INTL")],
    );
    let clause = find(&rows, "requirement", "iso-iec-42001/6.1.2").expect("ISO 6.1.2");
    assert_eq!(value(clause, "strength"), "must");
    assert_eq!(value(clause, "binding"), "false");
    let eu = saved(
        "obligations",
        &[("role", "provider"), ("jurisdiction", "EU")],
    );
    assert_eq!(
        value(
            find(&eu, "requirement", "art-50-2-marking").unwrap(),
            "binding"
        ),
        "true"
    );
}

// ---------------------------------------------------------------- new instruments of §10.2

struct NewInstrument {
    slug: &'static str,
    jurisdiction: &'static str,
    status: &'static str,
    date: &'static str,
    evidence: &'static str,
    search: &'static str,
}

const NEW_INSTRUMENTS: &[NewInstrument] = &[
    NewInstrument {
        slug: "sg-mas-feat",
        jurisdiction: "SG",
        status: "guidance",
        date: "2018-11-12",
        evidence: "V2",
        search: "FEAT fairness ethics accountability transparency financial sector",
    },
    NewInstrument {
        slug: "sg-mas-veritas",
        jurisdiction: "SG",
        status: "tool",
        date: "2023-06-26",
        evidence: "V2",
        search: "Veritas toolkit",
    },
    NewInstrument {
        slug: "sg-mas-ai-mrm-information-paper",
        jurisdiction: "SG",
        status: "report",
        date: "2024-12",
        evidence: "Unverified",
        search: "AI model risk management thematic review",
    },
    NewInstrument {
        slug: "sg-mas-airm-consultation",
        jurisdiction: "SG",
        status: "draft-guidance",
        date: "2025-11-13",
        evidence: "V2",
        search: "consultation guidelines AI risk management",
    },
    NewInstrument {
        slug: "sg-mas-mindforge",
        jurisdiction: "SG",
        status: "guidance",
        date: "2026-03-20",
        evidence: "Unverified",
        search: "MindForge",
    },
    NewInstrument {
        slug: "sg-csa-securing-ai-systems",
        jurisdiction: "SG",
        status: "guidance",
        date: "2024-10-15",
        evidence: "V1",
        search: "securing AI systems companion guide",
    },
    NewInstrument {
        slug: "sg-csa-securing-agentic-ai",
        jurisdiction: "SG",
        status: "draft-guidance",
        date: "2025-10",
        evidence: "Unverified",
        search: "securing agentic AI addendum",
    },
    NewInstrument {
        slug: "sg-elections-online-advertising-amendment-2024",
        jurisdiction: "SG",
        status: "binding-law",
        date: "2025-01-22",
        evidence: "V2",
        search: "election deepfakes candidates",
    },
    NewInstrument {
        slug: "sg-online-safety-relief-accountability-act-2025",
        jurisdiction: "SG",
        status: "binding-law",
        date: "2025-11-05",
        evidence: "V2",
        search: "Online Safety Commission intimate image",
    },
    NewInstrument {
        slug: "sg-minlaw-genai-legal-guide",
        jurisdiction: "SG",
        status: "guidance",
        date: "2026-03-06",
        evidence: "V2",
        search: "generative AI legal sector guide",
    },
    NewInstrument {
        slug: "sg-courts-genai-guide",
        jurisdiction: "SG",
        status: "guidance",
        date: "2024-10-01",
        evidence: "V2",
        search: "court users generative AI tools",
    },
    NewInstrument {
        slug: "my-bnm-ai-discussion-paper",
        jurisdiction: "MY",
        status: "report",
        date: "2025-08-05",
        evidence: "V2",
        search: "Bank Negara discussion paper financial sector",
    },
    NewInstrument {
        slug: "my-gpaisa",
        jurisdiction: "MY",
        status: "guidance",
        date: "2025-02-27",
        evidence: "V2",
        search: "GPAISA sektor awam",
    },
    NewInstrument {
        slug: "asean-ai-safety-network-declaration",
        jurisdiction: "ASEAN",
        status: "agreement",
        date: "2025-10-26",
        evidence: "V2",
        search: "AI Safety Network declaration",
    },
    NewInstrument {
        slug: "asean-responsible-ai-roadmap",
        jurisdiction: "ASEAN",
        status: "strategy",
        date: "2025-01",
        evidence: "V2",
        search: "Responsible AI Roadmap",
    },
    NewInstrument {
        slug: "asean-defence-ai-joint-statement",
        jurisdiction: "ASEAN",
        status: "agreement",
        date: "2025-02-26",
        evidence: "Unverified",
        search: "defence ministers joint statement",
    },
    NewInstrument {
        slug: "id-korika-ai-ethics-guideline",
        jurisdiction: "ID",
        status: "voluntary-framework",
        date: "2021-11-10",
        evidence: "Unverified",
        search: "KORIKA pedoman etika",
    },
    NewInstrument {
        slug: "eu-ai-content-labelling-cop",
        jurisdiction: "EU",
        status: "voluntary-framework",
        date: "2026-06-10",
        evidence: "V2",
        search: "code of practice marking labelling AI-generated content",
    },
];

#[test]
fn every_new_instrument_has_its_facts_and_is_found_in_its_jurisdiction() {
    for new in NEW_INSTRUMENTS {
        let iri = format!("{ID}instrument/{}", new.slug);
        let facts = select(&format!(
            "SELECT ?code ?status ?ev ?src ?date WHERE {{ <{iri}> a cw:Instrument ; cw:jurisdiction/cw:code ?code ;
               cw:legalStatus ?status ; cw:evidenceLevel ?ev ; dcterms:source ?src ; dcterms:title ?t ;
               dcterms:publisher ?issuer ; cw:instrumentType ?type ; cw:theme ?theme ;
               ?date_p ?date FILTER(DATATYPE(?date) IN (xsd:date, xsd:gYearMonth)) }}"
        ));
        assert!(!facts.is_empty(), "{} missing or incomplete", new.slug);
        let row = &facts[0];
        assert_eq!(value(row, "code"), new.jurisdiction, "{}", new.slug);
        assert!(
            value(row, "status").ends_with(&format!("status/{}", new.status)),
            "{}: {row}",
            new.slug
        );
        assert!(
            value(row, "ev").ends_with(new.evidence),
            "{}: {row}",
            new.slug
        );
        assert!(
            facts.iter().any(|r| value(r, "date") == new.date),
            "{}: {facts:?}",
            new.slug
        );
        let response = server().get_json(
            "/api/search",
            &[
                ("q", new.search),
                ("jurisdiction", new.jurisdiction),
                ("limit", "10"),
            ],
            "application/json",
        );
        let hits: Vec<&str> = response["hits"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["iri"].as_str().unwrap())
            .collect();
        assert!(
            hits.contains(&iri.as_str()),
            "{} not in the top 10 for {:?} in {}: {hits:?}",
            new.slug,
            new.search,
            new.jurisdiction
        );
    }
}

#[test]
fn new_instruments_carry_their_structures_and_relations() {
    let parts = |instrument: &str| {
        count(&format!(
            "SELECT (COUNT(?p) AS ?n) WHERE {{ ?p cw:instrument inst:{instrument} ; eli:is_part_of inst:{instrument} }}"
        ))
    };
    assert_eq!(parts("sg-mas-feat"), 4);
    assert_eq!(parts("sg-csa-securing-ai-systems"), 5);
    assert_eq!(parts("sg-mas-airm-guidelines"), 4);
    assert_eq!(parts("sg-mas-mindforge"), 4);
    assert_eq!(parts("sg-minlaw-genai-legal-guide"), 4);
    assert_eq!(parts("eu-ai-content-labelling-cop"), 2);
    // Unverified structures are not invented.
    for bare in [
        "sg-csa-securing-agentic-ai",
        "my-bnm-ai-discussion-paper",
        "my-gpaisa",
        "asean-responsible-ai-roadmap",
        "id-korika-ai-ethics-guideline",
    ] {
        assert_eq!(parts(bare), 0, "{bare}");
    }
    assert!(ask(
        "ASK { inst:sg-mas-airm-consultation dcterms:isVersionOf inst:sg-mas-airm-guidelines }"
    ));
    assert!(ask(
        "ASK { inst:sg-mas-veritas dcterms:relation inst:sg-mas-feat }"
    ));
    assert!(ask(
        "ASK { inst:sg-csa-securing-agentic-ai dcterms:relation inst:sg-csa-securing-ai-systems }"
    ));
    // The labelling Code is source-backed on Art. 50(2) and (4).
    for (section, article) in [("section-1", "art-50-2"), ("section-2", "art-50-4")] {
        assert!(ask(&format!(
            "ASK {{ ?m cw:subject <{ID}provision/eu-ai-content-labelling-cop/{section}> ; cw:object aiact:{article} ;
               cw:relationship cw:supports ; prov:wasDerivedFrom inst:eu-ai-content-labelling-cop }}"
        )));
    }
    // Tracked sources for the new instruments whose document is known, with six-field schedules.
    for instrument in [
        "sg-mas-feat",
        "sg-csa-securing-ai-systems",
        "sg-minlaw-genai-legal-guide",
        "id-korika-ai-ethics-guideline",
        "eu-ai-content-labelling-cop",
    ] {
        let schedules = select(&format!(
            "SELECT ?s WHERE {{ ?src a cw:Source ; cw:instrument inst:{instrument} ; cw:schedule ?s }}"
        ));
        assert!(!schedules.is_empty(), "{instrument}");
        for row in &schedules {
            crosswalk::source::Schedule::parse(value(row, "s")).unwrap();
        }
    }
}

#[test]
fn team_mappings_for_the_new_instruments_are_unverified_drafts_without_sources() {
    let rows = select(
        "SELECT ?s ?o WHERE { ?m a cw:Mapping ; prov:wasDerivedFrom org:crosswalk-team ; cw:subject ?s ; cw:object ?o ;
           cw:method cw:human ; cw:reviewStatus cw:draft ; cw:evidenceLevel cw:Unverified ; cw:confidence ?c ;
           rdfs:comment ?why ; rdfs:seeAlso ?text }",
    );
    let pair = |s: &str, o: &str| {
        rows.iter()
            .any(|r| value(r, "s").ends_with(s) && value(r, "o").ends_with(o))
    };
    assert!(pair("sg-mas-feat/fairness", "sg-mgf-2020/area-3"));
    assert!(pair("sg-mas-feat/fairness", "sg-ai-verify/p-7"));
    assert!(pair("sg-mas-feat/accountability", "eu-ai-act/art-86"));
    assert!(pair("stage-2", "sg-mgf-genai/dim-6"));
    assert!(pair("stage-2", "eu-ai-act/art-15"));
    assert!(pair("stage-3", "us-nist-ai-rmf/MEASURE-2.7"));
    assert!(pair("stage-2", "iso-iec-42001/A.10.3"));
    assert!(pair(
        "airm-guidelines/oversight",
        "us-nist-ai-rmf/GOVERN-2.3"
    ));
    assert!(pair(
        "airm-guidelines/systems-policies",
        "us-nist-ai-rmf/MAP-5.1"
    ));
    assert!(pair(
        "airm-guidelines/systems-policies",
        "iso-iec-42001/6.1"
    ));
    assert!(pair("labelling-cop/section-1", "sg-mgf-genai/dim-7"));
    assert!(pair("sg-mgf-genai/dim-7", "eu-ai-act/art-50-4"));
    assert_eq!(
        count(
            "SELECT (COUNT(?m) AS ?n) WHERE { ?m prov:wasDerivedFrom org:crosswalk-team ; dcterms:source ?s }"
        ),
        0,
        "team rows never cite dcterms:source"
    );
}

// ---------------------------------------------------------------- point-level structures of §10.3

#[test]
fn point_level_structures_are_provisions_with_data() {
    assert_eq!(
        count(
            "SELECT (COUNT(?p) AS ?n) WHERE { ?p eli:is_part_of aiact:art-17-1 ; cw:provisionType \"point\" }"
        ),
        13
    );
    let terms = select(
        "SELECT ?term ?role WHERE { ?p eli:is_part_of aiact:art-3 ; cw:definedTerm ?term .
           OPTIONAL { ?role rdfs:isDefinedBy ?p } }",
    );
    for term in [
        "provider",
        "deployer",
        "operator",
        "serious incident",
        "general-purpose AI model",
        "systemic risk",
    ] {
        assert!(terms.iter().any(|r| value(r, "term") == term), "{term}");
    }
    assert!(
        terms
            .iter()
            .any(|r| value(r, "term") == "deployer" && value(r, "role").ends_with("role/deployer"))
    );
    assert!(ask(
        "ASK { ?r cw:provision aiact:art-26-10 ; cw:addressee role:deployer ; cw:deonticStrength cw:must }"
    ));
    let tiers = select(
        "SELECT ?p ?amount ?percent ?rule WHERE { ?p eli:is_part_of aiact:art-99 ; cw:fineCapRule ?rule .
           OPTIONAL { ?p cw:maxFineAmount ?amount ; cw:maxFineTurnoverPercent ?percent } }",
    );
    for (paragraph, amount, percent) in [
        ("art-99-3", "35000000", "7"),
        ("art-99-4", "15000000", "3"),
        ("art-99-5", "7500000", "1"),
    ] {
        let row = find(&tiers, "p", paragraph).unwrap();
        assert_eq!(value(row, "amount"), amount);
        assert_eq!(value(row, "percent"), percent);
        assert!(value(row, "rule").ends_with("HigherOf"));
    }
    assert!(value(find(&tiers, "p", "art-99-6").unwrap(), "rule").ends_with("LowerOf"));
    assert!(ask(
        "ASK { aiact:art-99-3 cw:penalises aiact:art-5 . aiact:art-99-4 cw:penalises aiact:art-50 }"
    ));
    // Malaysia: AIGE objectives, AI-Rmap horizons and its use cases.
    assert_eq!(
        count(
            "SELECT (COUNT(?o) AS ?n) WHERE { ?o cw:instrument inst:my-aige ; cw:provisionType \"objective\" }"
        ),
        5
    );
    assert_eq!(
        count(
            "SELECT (COUNT(?h) AS ?n) WHERE { ?h cw:instrument inst:my-ai-rmap ; cw:provisionType \"horizon\" }"
        ),
        3
    );
    let use_cases = select(
        "SELECT ?s WHERE { <https://w3id.org/crosswalk/id/provision/my-ai-rmap/use-cases> cw:summary ?s }",
    );
    assert!(value(&use_cases[0], "s").starts_with("Eleven"));
    // US supersession as relations.
    let superseded = saved(
        "instruments",
        &[("status", "superseded"), ("jurisdiction", "US")],
    );
    for (old, new) in [
        ("us-omb-m-24-18", "us-omb-m-25-22"),
        ("us-aisi", "us-caisi"),
    ] {
        let row = find(&superseded, "instrument", old).unwrap_or_else(|| panic!("{old}"));
        assert!(value(row, "replacedBy").ends_with(new), "{row}");
    }
}

// ---------------------------------------------------------------- provenance and the README table

/// Home-page-only sources found when this check was added; the number may only go down.
const HOME_PAGE_SOURCES_AT_MOST: usize = 32;

#[test]
fn home_page_only_sources_are_warnings_whose_number_only_goes_down() {
    let config = Config::default();
    let report = crosswalk::validate::validate_files(
        &crosswalk::seed_roots(&config),
        &config.queries_dir.join("checks"),
    )
    .unwrap();
    assert!(report.passed(), "{:?}", report.violations);
    let home_pages: Vec<_> = report
        .warnings
        .iter()
        .filter(|w| w.check == "warn-home-page-sources")
        .collect();
    assert!(
        !home_pages.is_empty(),
        "the check runs and finds the known debts"
    );
    assert!(
        home_pages.len() <= HOME_PAGE_SOURCES_AT_MOST,
        "{} home-page-only sources (ceiling {HOME_PAGE_SOURCES_AT_MOST}); cite the document instead: {:?}",
        home_pages.len(),
        home_pages.iter().map(|w| &w.node).collect::<Vec<_>>()
    );
    assert!(home_pages.iter().all(|w| w.node.starts_with(ID)));
}

/// Renders the catalogue-summary query as the README's Markdown table.
fn summary_table() -> String {
    let rows = saved("catalogue-summary", &[]);
    let mut table = String::from(
        "| Jurisdiction | Instruments | of which binding | Provisions | Requirements | Published mappings | Team mappings |\n\
         |---|---:|---:|---:|---:|---:|---:|\n",
    );
    for row in &rows {
        let jurisdiction = value(row, "jurisdiction");
        let cells: Vec<&str> = [
            "instruments",
            "bindingInstruments",
            "provisions",
            "requirements",
            "publishedMappings",
            "teamMappings",
        ]
        .iter()
        .map(|var| value(row, var))
        .collect();
        let label = if jurisdiction == "Total" {
            "**Total**".to_owned()
        } else {
            jurisdiction.to_owned()
        };
        table.push_str(&format!("| {label} | {} |\n", cells.join(" | ")));
    }
    table
}

const SUMMARY_START: &str = "<!-- catalogue-summary:start (generated from queries/catalogue-summary.rq; see below to regenerate) -->\n";
const SUMMARY_END: &str = "<!-- catalogue-summary:end -->";

#[test]
fn readme_catalogue_summary_matches_the_graph() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md");
    let readme = std::fs::read_to_string(&path).unwrap();
    let start = readme.find(SUMMARY_START).expect("summary start marker") + SUMMARY_START.len();
    let end = readme[start..]
        .find(SUMMARY_END)
        .expect("summary end marker")
        + start;
    let expected = summary_table();
    if std::env::var_os("CROSSWALK_UPDATE_README").is_some() {
        let updated = format!("{}{expected}{}", &readme[..start], &readme[end..]);
        std::fs::write(&path, updated).unwrap();
        return;
    }
    assert_eq!(
        &readme[start..end],
        expected,
        "README's catalogue summary is stale; regenerate it with \
         CROSSWALK_UPDATE_README=1 cargo test --test catalogue_review readme_catalogue_summary_matches_the_graph"
    );
    // The table is not empty, and its total row adds up.
    let rows = saved("catalogue-summary", &[]);
    let total = find(&rows, "jurisdiction", "Total").unwrap();
    let sum: u64 = rows
        .iter()
        .filter(|r| value(r, "jurisdiction") != "Total")
        .map(|r| value(r, "instruments").parse::<u64>().unwrap())
        .sum();
    assert_eq!(value(total, "instruments").parse::<u64>().unwrap(), sum);
    assert!(sum > 50, "{sum}");
}
