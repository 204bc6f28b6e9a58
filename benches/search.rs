//! Full-text search: our Tantivy index against SQLite FTS5 (bundled, `bm25()`), same synthetic
//! corpus, same query mix, same facet counts, one run.
//!
//! ```sh
//! cargo bench --bench search                               # 10k and 100k documents
//! SEARCH_BENCH_SIZES=10000,100000,1000000 cargo bench --bench search
//! SEARCH_BENCH_PEER=off cargo bench --bench search         # ours only, for profiling
//! SEARCH_BENCH_CORPUS=dense cargo bench --bench search     # the worst-case corpus
//! SEARCH_BENCH_ROUNDS=300 cargo bench --bench search       # a longer query phase, to profile
//! SEARCH_BENCH_QUERY="data protection" cargo bench --bench search  # one query of the mix
//! SEARCH_BENCH_READING=off cargo bench --bench search      # the mix only, to count instructions
//! ```
//!
//! The corpus (`search/corpus.rs`) is calibrated by default: its query terms and themes occur in
//! the same share of documents as in the curated catalogue. `dense` is the earlier generator, whose
//! ~110-word vocabularies put every query term in 20-50 % of documents.
//!
//! Per-query medians of ours go to stderr, to show which query shapes cost what, followed by
//! medians of queries that exercise how a query is read (`READING`; not in the table).
//!
//! Each query returns the top 20 with snippets plus counts for five facets (jurisdiction, kind,
//! status, role, theme) over all matches; FTS5 does the counts with GROUP BY over the matches.

#[path = "search/corpus.rs"]
mod corpus;

use corpus::{Corpus, Profile};
use crosswalk::index::{SearchIndex, SearchRequest};
use rusqlite::{Connection, params};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

/// The query mix: (query for us, FTS5 MATCH expression, jurisdiction filter, kind filter).
const QUERIES: [(&str, &str, Option<&str>, Option<&str>); 10] = [
    ("incident", "incident", None, None),
    ("\"human oversight\"", "\"human oversight\"", None, None),
    ("risk management", "risk management", None, None),
    ("watermark", "watermark", Some("SG"), None),
    ("pengujian", "pengujian", None, None),
    ("data protection", "data protection", Some("EU"), None),
    ("transparency", "transparency", None, Some("requirement")),
    ("penyedia OR pembekal", "penyedia OR pembekal", None, None),
    ("model evaluation", "model evaluation", Some("US"), None),
    ("keselamatan", "keselamatan", Some("MY"), Some("provision")),
];

/// Queries that exercise how a query is read (ours only, reported apart from the table, which
/// keeps the mix that earlier rounds measured): stop words, filler and a role, a jurisdiction
/// code, a date, a reference, a typo, and a word no document has (relaxation).
const READING: [&str; 7] = [
    "the serious incident of the system",
    "what must providers report",
    "incident reporting in SG",
    "transparency from 2024",
    "Art. 12(3)",
    "incidnet",
    "watermark qwertyzzyx",
];

fn dir_size(path: &Path) -> u64 {
    std::fs::read_dir(path)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| {
                    let meta = e.metadata().unwrap();
                    if meta.is_dir() {
                        dir_size(&e.path())
                    } else {
                        meta.len()
                    }
                })
                .sum()
        })
        .unwrap_or(0)
}

struct Measured {
    build: Duration,
    bytes: u64,
    latencies: Vec<Duration>,
    hits: u64,
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn tantivy_run(corpus: &Corpus, n: u64, rounds: usize, dir: &Path) -> Measured {
    let started = Instant::now();
    let documents = (0..n).map(|i| corpus.document(i));
    let index = SearchIndex::build_from(dir, documents, corpus.facet_names(), 2).unwrap();
    let build = started.elapsed();
    let mut latencies = Vec::new();
    let mut hits = 0;
    let mut matches = [0; QUERIES.len()];
    let mut per_query: [Vec<Duration>; QUERIES.len()] = Default::default();
    // SEARCH_BENCH_QUERY=incident times one query of the mix, to profile it.
    let only = std::env::var("SEARCH_BENCH_QUERY").ok();
    for _ in 0..rounds {
        for (i, (q, _, jurisdiction, kind)) in QUERIES.into_iter().enumerate() {
            if only.as_deref().is_some_and(|only| only != q) {
                continue;
            }
            let mut request = SearchRequest {
                q: q.into(),
                ..SearchRequest::default()
            };
            if let Some(j) = jurisdiction {
                request
                    .filters
                    .insert("jurisdiction".into(), vec![j.into()]);
            }
            if let Some(k) = kind {
                request.filters.insert("kind".into(), vec![k.into()]);
            }
            let started = Instant::now();
            let response = index.search(&request).unwrap();
            per_query[i].push(started.elapsed());
            hits += response.total as u64;
            matches[i] = response.total;
        }
    }
    for (i, (q, _, jurisdiction, kind)) in QUERIES.iter().enumerate() {
        let own = &mut per_query[i];
        if own.is_empty() {
            continue;
        }
        own.sort();
        latencies.extend_from_slice(own);
        eprintln!(
            "{n}: {q:<24} {:<4} {:<12} p50 {:>8.3} ms  {:>5.1} % of documents match",
            jurisdiction.unwrap_or("-"),
            kind.unwrap_or("-"),
            percentile(own, 0.5).as_secs_f64() * 1e3,
            matches[i] as f64 * 100.0 / n as f64
        );
    }
    let reading = std::env::var("SEARCH_BENCH_READING").map_or(true, |v| v != "off");
    if only.is_none() && reading {
        for q in READING {
            let request = SearchRequest {
                q: q.into(),
                ..SearchRequest::default()
            };
            let mut own: Vec<Duration> = (0..rounds)
                .map(|_| {
                    let started = Instant::now();
                    index.search(&request).unwrap();
                    started.elapsed()
                })
                .collect();
            own.sort();
            let response = index.search(&request).unwrap();
            eprintln!(
                "{n}: reading {q:<36} p50 {:>8.3} ms  {:>5.1} % match{}",
                percentile(&own, 0.5).as_secs_f64() * 1e3,
                response.total as f64 * 100.0 / n as f64,
                if response.relaxed { ", relaxed" } else { "" }
            );
        }
    }
    Measured {
        build,
        bytes: dir_size(dir),
        latencies,
        hits,
    }
}

fn fts5_build(corpus: &Corpus, n: u64, path: &Path) -> Connection {
    let _ = std::fs::remove_file(path);
    let mut db = Connection::open(path).unwrap();
    db.execute_batch(
        "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;
         CREATE TABLE docs(id INTEGER PRIMARY KEY, iri TEXT, kind TEXT, ref TEXT, title TEXT,
                           jurisdiction TEXT, status TEXT, applies_from INTEGER);
         CREATE TABLE doc_role(doc INTEGER, role TEXT);
         CREATE TABLE doc_theme(doc INTEGER, theme TEXT);
         CREATE VIRTUAL TABLE fts USING fts5(ref, title, text_en, text_id, text_ms,
                                             tokenize = 'porter unicode61');",
    )
    .unwrap();
    let tx = db.transaction().unwrap();
    {
        let mut doc_insert = tx
            .prepare("INSERT INTO docs VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)")
            .unwrap();
        let mut role = tx.prepare("INSERT INTO doc_role VALUES (?1, ?2)").unwrap();
        let mut theme = tx.prepare("INSERT INTO doc_theme VALUES (?1, ?2)").unwrap();
        let mut fts = tx
            .prepare("INSERT INTO fts(rowid, ref, title, text_en, text_id, text_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")
            .unwrap();
        for i in 0..n {
            let d = corpus.document(i);
            let id = i as i64;
            let title = d.titles[0].value.clone();
            doc_insert
                .execute(params![
                    id,
                    d.iri,
                    d.kind,
                    d.reference,
                    title,
                    d.jurisdiction,
                    d.status,
                    d.applies_from
                ])
                .unwrap();
            for r in &d.roles {
                role.execute(params![id, r]).unwrap();
            }
            for t in &d.themes {
                theme.execute(params![id, t]).unwrap();
            }
            let text = |lang: &str| {
                d.texts
                    .iter()
                    .filter(|t| t.language == lang)
                    .map(|t| t.value.as_str())
                    .collect::<Vec<_>>()
                    .join(" ")
            };
            fts.execute(params![
                id,
                d.reference,
                title,
                text("en"),
                text("id"),
                text("ms")
            ])
            .unwrap();
        }
    }
    tx.commit().unwrap();
    db.execute_batch(
        "CREATE INDEX role_doc ON doc_role(doc); CREATE INDEX theme_doc ON doc_theme(doc);
         INSERT INTO fts(fts) VALUES('optimize');",
    )
    .unwrap();
    db
}

fn fts5_run(corpus: &Corpus, n: u64, rounds: usize, path: &Path) -> Measured {
    let started = Instant::now();
    let db = fts5_build(corpus, n, path);
    let build = started.elapsed();
    let bytes = std::fs::metadata(path).unwrap().len();
    let filter =
        "d.id = fts.rowid AND (?2 IS NULL OR d.jurisdiction = ?2) AND (?3 IS NULL OR d.kind = ?3)";
    let top_sql = format!(
        "SELECT d.iri, snippet(fts, -1, '<b>', '</b>', '…', 24), bm25(fts) AS s
         FROM fts JOIN docs d ON {filter} WHERE fts MATCH ?1 ORDER BY s LIMIT 20"
    );
    let count_sql = format!("SELECT COUNT(*) FROM fts JOIN docs d ON {filter} WHERE fts MATCH ?1");
    let facet_sql: Vec<String> = ["jurisdiction", "kind", "status"]
        .iter()
        .map(|c| {
            format!("SELECT d.{c}, COUNT(*) FROM fts JOIN docs d ON {filter} WHERE fts MATCH ?1 GROUP BY 1")
        })
        .chain([("doc_role", "role"), ("doc_theme", "theme")].iter().map(|(table, c)| {
            format!(
                "SELECT x.{c}, COUNT(*) FROM fts JOIN docs d ON {filter} JOIN {table} x ON x.doc = d.id
                 WHERE fts MATCH ?1 GROUP BY 1"
            )
        }))
        .collect();
    let mut latencies = Vec::new();
    let mut hits = 0u64;
    for _ in 0..rounds {
        for (_, fts_query, jurisdiction, kind) in QUERIES {
            let started = Instant::now();
            let mut top = db.prepare_cached(&top_sql).unwrap();
            let rows: Vec<(String, String, f64)> = top
                .query_map(params![fts_query, jurisdiction, kind], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                })
                .unwrap()
                .map(Result::unwrap)
                .collect();
            let total: i64 = db
                .prepare_cached(&count_sql)
                .unwrap()
                .query_row(params![fts_query, jurisdiction, kind], |r| r.get(0))
                .unwrap();
            let mut facets: BTreeMap<usize, Vec<(Option<String>, i64)>> = BTreeMap::new();
            for (i, sql) in facet_sql.iter().enumerate() {
                let mut statement = db.prepare_cached(sql).unwrap();
                let counts = statement
                    .query_map(params![fts_query, jurisdiction, kind], |r| {
                        Ok((r.get(0)?, r.get(1)?))
                    })
                    .unwrap()
                    .map(Result::unwrap)
                    .collect();
                facets.insert(i, counts);
            }
            latencies.push(started.elapsed());
            assert!(rows.len() <= 20 && facets.len() == 5);
            hits += total as u64;
        }
    }
    Measured {
        build,
        bytes,
        latencies,
        hits,
    }
}

fn report(engine: &str, n: u64, m: &mut Measured) -> (Duration, Duration) {
    m.latencies.sort();
    let p50 = percentile(&m.latencies, 0.5);
    let p99 = percentile(&m.latencies, 0.99);
    println!(
        "| {n:>9} | {engine:<14} | {:>10.0} | {:>8.1} | {:>8.3} | {:>8.3} | {:>12} |",
        n as f64 / m.build.as_secs_f64(),
        m.bytes as f64 / 1e6,
        p50.as_secs_f64() * 1e3,
        p99.as_secs_f64() * 1e3,
        m.hits / (m.latencies.len() as u64 / QUERIES.len() as u64).max(1),
    );
    (p50, p99)
}

fn main() {
    let sizes: Vec<u64> = std::env::var("SEARCH_BENCH_SIZES")
        .unwrap_or_else(|_| "10000,100000".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let work = tempfile::tempdir().unwrap();
    let corpus = Corpus::new(Profile::from_env());
    println!(
        "Corpus `{}`; top 20 + snippets + 5 facet counts per query; {} queries per round.\n",
        corpus.profile().name(),
        QUERIES.len()
    );
    println!(
        "| documents | engine         |  index docs/s | size MB | p50 ms   | p99 ms   | matches/round |"
    );
    println!("|---:|---|---:|---:|---:|---:|---:|");
    for n in sizes {
        // Enough samples for a p99 without spending minutes at 1M.
        let rounds = std::env::var("SEARCH_BENCH_ROUNDS")
            .ok()
            .and_then(|r| r.parse().ok())
            .unwrap_or(if n >= 1_000_000 { 20 } else { 50 });
        let mut ours = tantivy_run(
            &corpus,
            n,
            rounds,
            &work.path().join(format!("tantivy-{n}")),
        );
        let (ours_p50, _) = report("crosswalk", n, &mut ours);
        if std::env::var("SEARCH_BENCH_PEER").is_ok_and(|v| v == "off") {
            let _ = std::fs::remove_dir_all(work.path().join(format!("tantivy-{n}")));
            continue;
        }
        let mut peer = fts5_run(
            &corpus,
            n,
            rounds,
            &work.path().join(format!("fts5-{n}.sqlite")),
        );
        let (peer_p50, _) = report("SQLite FTS5", n, &mut peer);
        eprintln!(
            "{n}: p50 {:.2}x FTS5 ({})",
            peer_p50.as_secs_f64() / ours_p50.as_secs_f64(),
            if ours_p50 < peer_p50 {
                "faster"
            } else {
                "slower"
            }
        );
        let _ = std::fs::remove_dir_all(work.path().join(format!("tantivy-{n}")));
        let _ = std::fs::remove_file(work.path().join(format!("fts5-{n}.sqlite")));
    }
}
