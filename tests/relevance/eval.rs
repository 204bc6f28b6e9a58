//! The judged relevance set (`tests/relevance/judgments.tsv`) and its measures, shared by the
//! quality test (`tests/relevance.rs`, floors in `floors.tsv`) and the report
//! (`benches/relevance.rs`, beside SQLite FTS5).
//!
//! Measures per query, averaged per class: nDCG@10 with gains 2^grade - 1; reciprocal rank of
//! the first judged document in the top 20 (MRR); recall@20, the share of judged documents in
//! the top 20.
#![allow(dead_code)]

use crosswalk::config::Config;
use crosswalk::graph::{self, Graph};
use crosswalk::index::{SearchIndex, SearchRequest};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Judged IRIs are written relative to this.
pub const ID: &str = "https://w3id.org/crosswalk/id/";
/// Results fetched per query (recall and MRR are measured over them).
pub const DEPTH: usize = 20;

/// One judged query.
pub struct Judged {
    pub line: usize,
    pub class: String,
    pub language: String,
    pub text: String,
    /// Request parameters (facet filters).
    pub params: Vec<(String, String)>,
    /// Full IRI → grade (1-3).
    pub grades: BTreeMap<String, u8>,
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

/// Reads the judged set; a malformed line panics with its number.
pub fn load() -> Vec<Judged> {
    let path = root().join("tests/relevance/judgments.tsv");
    let text = std::fs::read_to_string(&path).expect("judgments.tsv");
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line_number = i + 1;
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let columns: Vec<&str> = line.split('\t').collect();
        let [class, language, query, params, judgments] = columns[..] else {
            panic!("judgments.tsv:{line_number}: expected 5 tab-separated columns");
        };
        let params = if params == "-" {
            Vec::new()
        } else {
            params
                .split('&')
                .map(|p| {
                    let (k, v) = p.split_once('=').unwrap_or_else(|| {
                        panic!("judgments.tsv:{line_number}: parameter {p:?} is not key=value")
                    });
                    (k.to_owned(), v.to_owned())
                })
                .collect()
        };
        let grades = judgments
            .split_whitespace()
            .map(|j| {
                let (iri, grade) = j.rsplit_once(':').unwrap_or_else(|| {
                    panic!("judgments.tsv:{line_number}: {j:?} is not iri:grade")
                });
                let grade: u8 = grade
                    .parse()
                    .ok()
                    .filter(|g| (1..=3).contains(g))
                    .unwrap_or_else(|| {
                        panic!("judgments.tsv:{line_number}: grade of {iri} not 1-3")
                    });
                (format!("{ID}{iri}"), grade)
            })
            .collect::<BTreeMap<_, _>>();
        assert!(
            !grades.is_empty(),
            "judgments.tsv:{line_number}: no judgments"
        );
        out.push(Judged {
            line: line_number,
            class: class.to_owned(),
            language: language.to_owned(),
            text: query.to_owned(),
            params,
            grades,
        });
    }
    out
}

/// The facet filters of a judged query's parameters.
pub fn filters(judged: &Judged) -> BTreeMap<String, Vec<String>> {
    let mut filters: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (k, v) in &judged.params {
        filters.entry(k.clone()).or_default().push(v.clone());
    }
    filters
}

/// The search request for a judged query: its text and filters, the top [`DEPTH`].
pub fn request(judged: &Judged) -> SearchRequest {
    SearchRequest {
        q: judged.text.clone(),
        filters: filters(judged),
        limit: Some(DEPTH),
        ..SearchRequest::default()
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Scores {
    pub ndcg10: f64,
    pub rr: f64,
    pub recall20: f64,
}

/// The measures of one ranking (IRIs, best first) against a query's grades.
pub fn score(ranked: &[String], grades: &BTreeMap<String, u8>) -> Scores {
    let gain = |g: u8| f64::from((1u32 << g) - 1);
    let discount = |i: usize| (i as f64 + 2.0).log2();
    let dcg: f64 = ranked
        .iter()
        .take(10)
        .enumerate()
        .map(|(i, iri)| grades.get(iri).map_or(0.0, |g| gain(*g) / discount(i)))
        .sum();
    let mut ideal: Vec<u8> = grades.values().copied().collect();
    ideal.sort_unstable_by(|a, b| b.cmp(a));
    let idcg: f64 = ideal
        .iter()
        .take(10)
        .enumerate()
        .map(|(i, g)| gain(*g) / discount(i))
        .sum();
    let top = &ranked[..ranked.len().min(DEPTH)];
    let rr = top
        .iter()
        .position(|iri| grades.contains_key(iri))
        .map_or(0.0, |i| 1.0 / (i as f64 + 1.0));
    let found = top.iter().filter(|iri| grades.contains_key(*iri)).count();
    Scores {
        ndcg10: if idcg > 0.0 { dcg / idcg } else { 0.0 },
        rr,
        recall20: found as f64 / grades.len() as f64,
    }
}

/// Mean scores per class (in first-seen order), then over all queries ("all").
pub fn summarise(results: &[(&str, Scores)]) -> Vec<(String, usize, Scores)> {
    let mut classes: Vec<String> = Vec::new();
    for (class, _) in results {
        if !classes.iter().any(|c| c == class) {
            classes.push((*class).to_owned());
        }
    }
    let mean = |selected: Vec<Scores>| {
        let n = selected.len().max(1) as f64;
        Scores {
            ndcg10: selected.iter().map(|s| s.ndcg10).sum::<f64>() / n,
            rr: selected.iter().map(|s| s.rr).sum::<f64>() / n,
            recall20: selected.iter().map(|s| s.recall20).sum::<f64>() / n,
        }
    };
    let mut out: Vec<(String, usize, Scores)> = classes
        .into_iter()
        .map(|class| {
            let selected: Vec<Scores> = results
                .iter()
                .filter(|(c, _)| *c == class)
                .map(|(_, s)| *s)
                .collect();
            let n = selected.len();
            (class, n, mean(selected))
        })
        .collect();
    out.push((
        "all".to_owned(),
        results.len(),
        mean(results.iter().map(|(_, s)| *s).collect()),
    ));
    out
}

/// The shipped catalogue in an in-memory graph, loaded and derived as `crosswalk serve` does.
pub fn catalogue() -> Graph {
    let config = Config {
        ontology_dir: root().join("ontology"),
        seeds_dir: root().join("seeds"),
        queries_dir: root().join("queries"),
        ..Config::default()
    };
    let graph = Graph::in_memory().expect("in-memory graph");
    let report = graph::load_seed_dirs(&graph, &crosswalk::seed_roots(&config)).expect("seeds");
    assert!(report.errors.is_empty(), "seed errors: {:?}", report.errors);
    graph::derive::refresh(&graph).expect("derived knowledge");
    graph
}

/// The catalogue's search index, in `dir`.
pub fn catalogue_index(graph: &Graph, dir: &Path) -> SearchIndex {
    SearchIndex::open(dir, graph).expect("search index")
}

/// Our ranking of a judged query: the IRIs of the top [`DEPTH`].
pub fn ours(index: &SearchIndex, judged: &Judged) -> Vec<String> {
    index
        .search(&request(judged))
        .unwrap_or_else(|e| panic!("judgments.tsv:{}: {e}", judged.line))
        .hits
        .into_iter()
        .map(|h| h.iri)
        .collect()
}

/// A Markdown table row of one class's scores.
pub fn row(scores: &Scores) -> String {
    format!(
        "{:.3} | {:.3} | {:.3}",
        scores.ndcg10, scores.rr, scores.recall20
    )
}

#[cfg(test)]
#[allow(unused_imports)]
mod tests {
    use super::*;

    #[test]
    fn measures_of_known_rankings() {
        let grades = BTreeMap::from([("a".to_owned(), 3), ("b".to_owned(), 1)]);
        let perfect = score(&["a".into(), "b".into()], &grades);
        assert!(
            (perfect.ndcg10 - 1.0).abs() < 1e-9 && perfect.rr == 1.0 && perfect.recall20 == 1.0
        );
        let late = score(&["x".into(), "b".into()], &grades);
        assert_eq!(late.rr, 0.5);
        assert_eq!(late.recall20, 0.5);
        assert!(late.ndcg10 < 0.2);
        assert_eq!(score(&[], &grades), Scores::default());
    }
}
