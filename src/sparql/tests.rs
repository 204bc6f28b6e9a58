use super::*;
use oxigraph::sparql::results::QueryResultsFormat;

fn engine(timeout_ms: u64, max_rows: usize) -> Engine {
    let graph = Graph::in_memory().unwrap();
    let engine = Engine::new(
        graph,
        Limits {
            timeout: Duration::from_millis(timeout_ms),
            max_rows,
            max_query_bytes: 10_000,
        },
    );
    engine
        .update(
            "INSERT DATA { GRAPH <urn:g1> { <urn:a> <urn:p> 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 } }",
            &DatasetRequest::default(),
        )
        .unwrap();
    engine
}

fn run(engine: &Engine, query: &str) -> Result<(String, RunSummary), SparqlError> {
    let prepared = engine.prepare(query, &DatasetRequest::default())?;
    let mut out = Vec::new();
    let summary = engine.run(
        prepared,
        OutputFormat::Results(QueryResultsFormat::Csv),
        &mut out,
    )?;
    Ok((String::from_utf8(out).unwrap(), summary))
}

#[test]
fn union_default_graph_and_row_cap() {
    let engine = engine(5_000, 4);
    let (csv, summary) = run(&engine, "SELECT ?o { ?s ?p ?o }").unwrap();
    assert_eq!(
        summary,
        RunSummary {
            rows: 4,
            truncated: true
        }
    );
    assert_eq!(csv.lines().count(), 5, "header and four rows: {csv}");
}

#[test]
fn a_run_taken_in_steps_writes_what_one_run_writes() {
    let engine = engine(5_000, 100);
    let query = "SELECT ?o { <urn:a> <urn:p> ?o } ORDER BY ?o";
    let (whole, _) = run(&engine, query).unwrap();
    let prepared = engine.prepare(query, &DatasetRequest::default()).unwrap();
    let csv = OutputFormat::Results(QueryResultsFormat::Csv);
    let mut stepped = engine.start(prepared, csv, Vec::new()).unwrap();
    assert!(!stepped.step(3).unwrap(), "ten rows do not fit in three");
    assert_eq!(stepped.summary().rows, 3);
    assert!(stepped.step(usize::MAX).unwrap());
    assert_eq!(
        stepped.summary(),
        RunSummary {
            rows: 10,
            truncated: false
        }
    );
    assert_eq!(
        String::from_utf8(stepped.into_output().unwrap()).unwrap(),
        whole
    );
}

#[test]
fn point_lookups_are_one_pattern_with_a_constant_subject() {
    let engine = engine(5_000, 100);
    let lookup = |query: &str| {
        engine
            .prepare(query, &DatasetRequest::default())
            .unwrap()
            .is_point_lookup()
    };
    assert!(lookup("SELECT ?p ?o { <urn:a> ?p ?o }"));
    assert!(lookup(
        "SELECT DISTINCT ?p { GRAPH ?g { <urn:a> ?p ?o } } LIMIT 5"
    ));
    assert!(lookup("ASK { <urn:a> <urn:p> 1 }"));
    assert!(lookup(
        "CONSTRUCT { <urn:a> ?p ?o } WHERE { <urn:a> ?p ?o }"
    ));
    // A variable subject, a second pattern, a filter, an order, a path: a scan or a join
    // of unknown size, or work between storage reads.
    assert!(!lookup("SELECT ?s { ?s <urn:p> 1 }"));
    assert!(!lookup("SELECT ?o ?x { <urn:a> ?p ?o . ?o ?q ?x }"));
    assert!(!lookup("SELECT ?o { <urn:a> ?p ?o FILTER(?o > 3) }"));
    assert!(!lookup("SELECT ?o { <urn:a> ?p ?o } ORDER BY ?o"));
    assert!(!lookup("SELECT ?o { <urn:a> <urn:p>+ ?o }"));
    assert!(!lookup("DESCRIBE <urn:a>"));
    assert!(!lookup("SELECT ?o { <urn:a> ?p ?o } OFFSET 1000000"));
    let bound = engine
        .prepare("SELECT ?o { <urn:a> ?p ?o }", &DatasetRequest::default())
        .unwrap()
        .bind(
            Variable::new("p").unwrap(),
            GroundTerm::NamedNode(NamedNode::new("urn:p").unwrap()),
        );
    assert!(!bound.is_point_lookup(), "parameters add a VALUES join");
}

#[test]
fn explosive_query_times_out() {
    let engine = engine(200, 1_000);
    let err = run(
        &engine,
        "SELECT (COUNT(*) AS ?n) { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n2 ?o . ?q ?r ?t . ?u ?v ?w }",
    )
    .unwrap_err();
    assert!(matches!(err, SparqlError::Timeout(_)), "{err}");
}

#[test]
fn bound_parameters_reach_filters_groups_and_bound_checks() {
    let engine = engine(5_000, 100);
    let role = || GroundTerm::NamedNode(NamedNode::new("urn:a").unwrap());
    // The union default graph holds urn:a's ten triples and the two bookkeeping triples of
    // the meta graph (revision and its time); lines below count the CSV header too.
    let cases = [
        // The planner must not fold !BOUND(?who) to true when ?who is a parameter.
        (
            "SELECT ?o ?who { ?s ?p ?o FILTER(!BOUND(?who) || ?s = ?who) }",
            Some(role()),
            11,
        ),
        (
            "SELECT ?o ?who { ?s ?p ?o FILTER(!BOUND(?who) || ?s = ?who) }",
            None,
            13,
        ),
        (
            "SELECT ?o ?who { ?s ?p ?o FILTER(!BOUND(?who) || ?s != ?who) }",
            Some(role()),
            3,
        ),
        // Under GROUP BY the binding still reaches the WHERE clause.
        (
            "SELECT (COUNT(*) AS ?n) { ?s ?p ?o FILTER(?s != ?who) }",
            Some(role()),
            2,
        ),
        // OPTIONAL conditions see it too (the binding is on the left of every left join).
        (
            "SELECT DISTINCT ?s ?who { ?s ?p ?o OPTIONAL { ?s ?p ?x FILTER(?s = ?who) } FILTER(BOUND(?x)) }",
            Some(role()),
            2,
        ),
    ];
    for (query, binding, expected_lines) in cases {
        let mut prepared = engine.prepare(query, &DatasetRequest::default()).unwrap();
        if let Some(term) = binding {
            prepared = prepared.bind(Variable::new_unchecked("who"), term);
        }
        let mut out = Vec::new();
        engine
            .run(
                prepared,
                OutputFormat::Results(QueryResultsFormat::Csv),
                &mut out,
            )
            .unwrap();
        let csv = String::from_utf8(out).unwrap();
        assert_eq!(csv.lines().count(), expected_lines, "{query}\n{csv}");
        if query.contains("COUNT") {
            assert!(
                csv.ends_with("\n2\r\n") || csv.ends_with("\n2\n"),
                "only the meta triples: {csv:?}"
            );
        }
    }
}

#[test]
fn syntax_and_service_errors_are_client_errors() {
    let engine = engine(5_000, 10);
    let err = run(&engine, "SELECT * WHERE { ?s ?p }").unwrap_err();
    assert!(
        err.is_client_error() && err.to_string().contains("error"),
        "{err}"
    );
    let err = run(
        &engine,
        "SELECT * { SERVICE <http://example.org/sparql> { ?s ?p ?o } }",
    )
    .unwrap_err();
    assert!(matches!(err, SparqlError::Service(_)), "{err}");
}
