//! Search quality on the judged relevance set (tests/relevance/judgments.tsv): every class of
//! query must stay at or above its floor (tests/relevance/floors.tsv) in nDCG@10, MRR and
//! recall@20. The floors sit a little below what the engine measured when they were set, so a
//! change that makes answers worse fails here; a change that makes them better may raise them.
//! The report beside SQLite FTS5 is `cargo bench --bench relevance` (BENCHMARKS.md).

#[path = "relevance/eval.rs"]
mod eval;

use std::collections::BTreeMap;

/// class → (nDCG@10, MRR, recall@20) floors.
fn floors() -> BTreeMap<String, eval::Scores> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/relevance/floors.tsv");
    let text = std::fs::read_to_string(path).expect("floors.tsv");
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|line| {
            let columns: Vec<&str> = line.split('\t').collect();
            let [class, ndcg, rr, recall] = columns[..] else {
                panic!("floors.tsv: {line:?} needs 4 tab-separated columns");
            };
            let number = |s: &str| s.parse::<f64>().expect("floors.tsv: a number");
            let scores = eval::Scores {
                ndcg10: number(ndcg),
                rr: number(rr),
                recall20: number(recall),
            };
            (class.to_owned(), scores)
        })
        .collect()
}

#[test]
fn judged_queries_meet_the_quality_floors() {
    let judged = eval::load();
    assert!(judged.len() >= 150, "{} judged queries", judged.len());
    for language in ["en", "ms", "id"] {
        assert!(
            judged.iter().filter(|j| j.language == language).count() >= 20,
            "too few {language} queries"
        );
    }
    let graph = eval::catalogue();
    // Every judged document is in the catalogue: a renamed IRI must be re-judged, not ignored.
    let iris: std::collections::BTreeSet<&String> =
        judged.iter().flat_map(|j| j.grades.keys()).collect();
    for iri in iris {
        let rows = graph
            .select(
                "judged document",
                &format!("SELECT ?p WHERE {{ <{iri}> ?p ?o }} LIMIT 1"),
                [],
            )
            .unwrap();
        assert!(
            !rows.is_empty(),
            "judged document {iri} is not in the catalogue"
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let index = eval::catalogue_index(&graph, &dir.path().join("index"));
    let results: Vec<(&str, eval::Scores)> = judged
        .iter()
        .map(|j| {
            (
                j.class.as_str(),
                eval::score(&eval::ours(&index, j), &j.grades),
            )
        })
        .collect();
    let summary = eval::summarise(&results);
    let floors = floors();
    let mut failures = Vec::new();
    println!("| class | queries | nDCG@10 | MRR | recall@20 |");
    for (class, n, scores) in &summary {
        println!("| {class} | {n} | {} |", eval::row(scores));
        let floor = floors
            .get(class)
            .unwrap_or_else(|| panic!("floors.tsv has no floor for class {class}"));
        for (name, got, want) in [
            ("nDCG@10", scores.ndcg10, floor.ndcg10),
            ("MRR", scores.rr, floor.rr),
            ("recall@20", scores.recall20, floor.recall20),
        ] {
            if got + 1e-9 < want {
                failures.push(format!(
                    "{class}: {name} {got:.3} below its floor {want:.3}"
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
