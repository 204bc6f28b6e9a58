//! Search relevance on the judged set (tests/relevance/judgments.tsv): nDCG@10, MRR and
//! recall@20 per query class, ours beside SQLite FTS5 (bundled, `porter unicode61`, `bm25()`)
//! over the same catalogue documents.
//!
//! ```sh
//! cargo bench --bench relevance                       # the table for BENCHMARKS.md
//! RELEVANCE_DETAIL=1 cargo bench --bench relevance    # per-query scores and top five, to stderr
//! ```
//!
//! FTS5 gets every document's reference, titles and texts (all languages) in three columns
//! weighted as ours (1.5, 2, 1), the same facet filters, and the query's words as FTS5 tokens:
//! all must match (its implicit AND), quoted phrases stay phrases; when that finds nothing, any
//! word may (so it relaxes as we do). It has no query understanding, typo tolerance or theme
//! expansion: that is the difference being measured.

#[path = "../tests/relevance/eval.rs"]
mod eval;

use crosswalk::graph::Graph;
use oxigraph::model::Term;
use rusqlite::{Connection, params};
use std::collections::BTreeMap;

const DOCUMENTS: &str = include_str!("../queries/index/documents.rq");
const TEXTS: &str = include_str!("../queries/index/texts.rq");

/// One catalogue document as FTS5 sees it.
#[derive(Default)]
struct Row {
    kind: String,
    jurisdiction: String,
    reference: String,
    titles: Vec<String>,
    texts: Vec<String>,
}

fn value(row: &oxigraph::sparql::QuerySolution, var: &str) -> Option<String> {
    match row.get(var)? {
        Term::NamedNode(n) => Some(n.as_str().to_owned()),
        Term::Literal(l) => Some(l.value().to_owned()),
        _ => None,
    }
}

/// The search documents of the graph, read with the index's own queries.
fn documents(graph: &Graph) -> BTreeMap<String, Row> {
    let mut out: BTreeMap<String, Row> = BTreeMap::new();
    for row in graph.select("documents", DOCUMENTS, []).unwrap() {
        let (Some(iri), Some(kind)) = (value(&row, "doc"), value(&row, "kind")) else {
            continue;
        };
        out.entry(iri).or_insert(Row {
            kind,
            jurisdiction: value(&row, "jurisdiction").unwrap_or_default(),
            reference: value(&row, "ref").unwrap_or_default(),
            ..Row::default()
        });
    }
    for row in graph.select("texts", TEXTS, []).unwrap() {
        let (Some(iri), Some(field), Some(text)) = (
            value(&row, "doc"),
            value(&row, "field"),
            value(&row, "value"),
        ) else {
            continue;
        };
        if let Some(doc) = out.get_mut(&iri) {
            if field == "title" {
                doc.titles.push(text);
            } else {
                doc.texts.push(text);
            }
        }
    }
    out
}

fn fts5(documents: &BTreeMap<String, Row>) -> Connection {
    let mut db = Connection::open_in_memory().unwrap();
    db.execute_batch(
        "CREATE TABLE docs(id INTEGER PRIMARY KEY, iri TEXT, kind TEXT, jurisdiction TEXT);
         CREATE VIRTUAL TABLE fts USING fts5(ref, title, text, tokenize = 'porter unicode61');",
    )
    .unwrap();
    let tx = db.transaction().unwrap();
    for (id, (iri, doc)) in documents.iter().enumerate() {
        tx.execute(
            "INSERT INTO docs VALUES (?1, ?2, ?3, ?4)",
            params![id as i64, iri, doc.kind, doc.jurisdiction],
        )
        .unwrap();
        tx.execute(
            "INSERT INTO fts(rowid, ref, title, text) VALUES (?1, ?2, ?3, ?4)",
            params![
                id as i64,
                doc.reference,
                doc.titles.join(" \n "),
                doc.texts.join(" \n ")
            ],
        )
        .unwrap();
    }
    tx.commit().unwrap();
    db
}

/// The query as FTS5 tokens: quoted phrases kept, other words quoted one by one (so FTS5's own
/// syntax characters in analyst input are only text).
fn fts5_terms(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (i, part) in text.split('"').enumerate() {
        let words: Vec<String> = part
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .collect();
        if i % 2 == 1 {
            if !words.is_empty() {
                out.push(format!("\"{}\"", words.join(" ")));
            }
        } else {
            out.extend(words.into_iter().map(|w| format!("\"{w}\"")));
        }
    }
    out
}

fn fts5_search(db: &Connection, judged: &eval::Judged) -> Vec<String> {
    let terms = fts5_terms(&judged.text);
    if terms.is_empty() {
        return Vec::new();
    }
    let filters = eval::filters(judged);
    let jurisdiction = filters.get("jurisdiction").and_then(|v| v.first());
    let kind = filters.get("kind").and_then(|v| v.first());
    let sql = "SELECT d.iri FROM fts JOIN docs d ON d.id = fts.rowid
               WHERE fts MATCH ?1 AND (?2 IS NULL OR d.jurisdiction = ?2)
                 AND (?3 IS NULL OR d.kind = ?3)
               ORDER BY bm25(fts, 1.5, 2.0, 1.0) LIMIT ?4";
    let run = |expression: String| -> Vec<String> {
        let mut statement = db.prepare_cached(sql).unwrap();
        statement
            .query_map(
                params![expression, jurisdiction, kind, eval::DEPTH as i64],
                |r| r.get(0),
            )
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    let all = run(terms.join(" "));
    if all.is_empty() && terms.len() > 1 {
        run(terms.join(" OR "))
    } else {
        all
    }
}

fn main() {
    let judged = eval::load();
    let graph = eval::catalogue();
    let dir = tempfile::tempdir().unwrap();
    let index = eval::catalogue_index(&graph, &dir.path().join("index"));
    let db = fts5(&documents(&graph));
    let detail = std::env::var("RELEVANCE_DETAIL").is_ok_and(|v| v != "0");
    let mut ours = Vec::new();
    let mut peer = Vec::new();
    for j in &judged {
        let ranked = eval::ours(&index, j);
        let theirs = fts5_search(&db, j);
        let (a, b) = (
            eval::score(&ranked, &j.grades),
            eval::score(&theirs, &j.grades),
        );
        if detail {
            let short = |iris: &[String]| {
                iris.iter()
                    .take(5)
                    .map(|i| i.trim_start_matches(eval::ID).to_owned())
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            eprintln!(
                "{:>4} {:<14} {:<48} ours {:.2}/{:.2}/{:.2} fts5 {:.2}/{:.2}/{:.2}\n       ours: {}\n       fts5: {}",
                j.line,
                j.class,
                j.text,
                a.ndcg10,
                a.rr,
                a.recall20,
                b.ndcg10,
                b.rr,
                b.recall20,
                short(&ranked),
                short(&theirs)
            );
        }
        ours.push((j.class.as_str(), a));
        peer.push((j.class.as_str(), b));
    }
    println!(
        "{} judged queries ({} en, {} ms, {} id) over {} documents; top {} per query.\n",
        judged.len(),
        judged.iter().filter(|j| j.language == "en").count(),
        judged.iter().filter(|j| j.language == "ms").count(),
        judged.iter().filter(|j| j.language == "id").count(),
        index.num_docs(),
        eval::DEPTH
    );
    println!(
        "| class | queries | crosswalk nDCG@10 | MRR | recall@20 | FTS5 nDCG@10 | MRR | recall@20 |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    for ((class, n, a), (_, _, b)) in eval::summarise(&ours)
        .into_iter()
        .zip(eval::summarise(&peer))
    {
        println!("| {class} | {n} | {} | {} |", eval::row(&a), eval::row(&b));
    }
}
