//! Full-text search: our Tantivy index against SQLite FTS5 (bundled, `bm25()`), same synthetic
//! corpus, same query mix, same facet counts, one run.
//!
//! ```sh
//! cargo bench --bench search                               # 10k and 100k documents
//! SEARCH_BENCH_SIZES=10000,100000,1000000 cargo bench --bench search
//! SEARCH_BENCH_PEER=off cargo bench --bench search         # ours only, for profiling
//! ```
//!
//! Per-query medians of ours go to stderr, to show which query shapes cost what.
//!
//! Each query returns the top 20 with snippets plus counts for five facets (jurisdiction, kind,
//! status, role, theme) over all matches; FTS5 does the counts with GROUP BY over the matches.

use crosswalk::index::{SearchDocument, SearchIndex, SearchRequest, Text};
use rusqlite::{Connection, params};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

const JURISDICTIONS: [&str; 7] = ["SG", "MY", "ID", "EU", "US", "INTL", "ASEAN"];
const KINDS: [&str; 4] = ["requirement", "provision", "control", "instrument"];
const STATUSES: [&str; 5] = [
    "binding-law",
    "binding-regulation",
    "voluntary-framework",
    "guidance",
    "standard",
];
const ROLES: [&str; 6] = [
    "provider",
    "deployer",
    "developer",
    "importer",
    "distributor",
    "public-authority",
];
const THEMES: [&str; 12] = [
    "content-provenance",
    "incident-reporting",
    "human-oversight",
    "transparency",
    "risk-management",
    "data-governance",
    "privacy",
    "safety-testing",
    "accountability",
    "fairness",
    "security",
    "documentation",
];
const EN: &[&str] = &[
    "provider",
    "deployer",
    "shall",
    "ensure",
    "system",
    "risk",
    "management",
    "human",
    "oversight",
    "incident",
    "serious",
    "report",
    "authority",
    "market",
    "surveillance",
    "data",
    "governance",
    "quality",
    "training",
    "validation",
    "testing",
    "documentation",
    "technical",
    "record",
    "keeping",
    "logging",
    "transparency",
    "information",
    "users",
    "natural",
    "persons",
    "watermark",
    "synthetic",
    "content",
    "marking",
    "machine",
    "readable",
    "detection",
    "model",
    "general",
    "purpose",
    "evaluation",
    "adversarial",
    "red",
    "teaming",
    "cybersecurity",
    "robustness",
    "accuracy",
    "bias",
    "fairness",
    "discrimination",
    "privacy",
    "personal",
    "protection",
    "impact",
    "assessment",
    "fundamental",
    "rights",
    "conformity",
    "notified",
    "body",
    "registration",
    "database",
    "post",
    "monitoring",
    "corrective",
    "action",
    "withdraw",
    "recall",
    "penalty",
    "fine",
    "obligation",
    "requirement",
    "measure",
    "appropriate",
    "organisational",
    "policy",
    "procedure",
    "accountability",
    "responsible",
    "deployment",
    "lifecycle",
    "supply",
    "chain",
    "third",
    "party",
    "component",
    "dataset",
    "annotation",
    "labelling",
    "explainability",
    "interpretability",
    "decision",
    "making",
    "automated",
    "critical",
    "infrastructure",
    "biometric",
    "identification",
    "emotion",
    "recognition",
    "education",
    "employment",
    "credit",
    "scoring",
    "insurance",
    "healthcare",
    "law",
    "enforcement",
    "migration",
    "justice",
    "democratic",
    "processes",
];
const ID_WORDS: &[&str] = &[
    "penyelenggara",
    "sistem",
    "elektronik",
    "wajib",
    "menjamin",
    "keamanan",
    "data",
    "pribadi",
    "pengguna",
    "menguji",
    "pengujian",
    "risiko",
    "manajemen",
    "krisis",
    "etika",
    "kecerdasan",
    "artifisial",
    "transparansi",
    "akuntabilitas",
    "pelindungan",
    "informasi",
    "keadilan",
    "kesetaraan",
    "pengawasan",
    "manusia",
    "penyalahgunaan",
    "pelaku",
    "usaha",
    "tanggung",
    "jawab",
    "pedoman",
    "penerapan",
    "pemanfaatan",
    "konten",
    "sintetis",
    "penandaan",
    "label",
    "tanda",
    "air",
    "inovasi",
    "keberlanjutan",
    "lingkungan",
    "hak",
    "kekayaan",
    "intelektual",
    "pendidikan",
    "literasi",
    "keuangan",
    "perbankan",
    "layanan",
    "publik",
];
const MS_WORDS: &[&str] = &[
    "pembekal",
    "pengguna",
    "sistem",
    "hendaklah",
    "memastikan",
    "keselamatan",
    "data",
    "peribadi",
    "pengujian",
    "ujian",
    "risiko",
    "pengurusan",
    "tadbir",
    "urus",
    "etika",
    "kecerdasan",
    "buatan",
    "ketelusan",
    "akauntabiliti",
    "perlindungan",
    "maklumat",
    "keadilan",
    "kebolehpercayaan",
    "kawalan",
    "manusia",
    "penyalahgunaan",
    "kandungan",
    "tera",
    "air",
    "pelabelan",
    "janaan",
    "inovasi",
    "kemampanan",
    "alam",
    "sekitar",
    "hak",
    "pendidikan",
    "kewangan",
    "perkhidmatan",
    "awam",
    "penggubal",
    "dasar",
    "pembangun",
];

/// Document `i` of the synthetic corpus: deterministic, so both engines see the same corpus.
fn document(i: u64) -> SearchDocument {
    let mut rng = fastrand::Rng::with_seed(i.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0x5EED);
    // Skewed word choice: a few words are common, most are rare (as in real text).
    let mut sentence = |words: &[&str], n: usize| -> String {
        (0..n)
            .map(|_| {
                let r = rng.f64();
                words[((r * r) * words.len() as f64) as usize]
            })
            .collect::<Vec<_>>()
            .join(" ")
    };
    let language = match i % 10 {
        0..=6 => "en",
        7 | 8 => "id",
        _ => "ms",
    };
    let vocabulary = match language {
        "id" => ID_WORDS,
        "ms" => MS_WORDS,
        _ => EN,
    };
    let title = sentence(vocabulary, 5);
    let mut texts = vec![Text {
        language: language.into(),
        value: sentence(vocabulary, 35),
    }];
    if language != "en" {
        texts.push(Text {
            language: "en".into(),
            value: sentence(EN, 25),
        });
    }
    let mut pick = |n: usize| rng.usize(..n);
    let themes: Vec<String> = (0..1 + pick(3))
        .map(|_| THEMES[pick(THEMES.len())].to_owned())
        .collect();
    let roles: Vec<String> = (0..1 + pick(2))
        .map(|_| ROLES[pick(ROLES.len())].to_owned())
        .collect();
    let year = 2019 + pick(9) as i64;
    SearchDocument {
        iri: format!("https://w3id.org/crosswalk/id/provision/synthetic/{i}"),
        kind: KINDS[pick(KINDS.len())].into(),
        reference: Some(format!("Art. {}({})", 1 + pick(120), 1 + pick(9))),
        titles: vec![Text {
            language: language.into(),
            value: title,
        }],
        texts,
        jurisdiction: Some(JURISDICTIONS[pick(JURISDICTIONS.len())].into()),
        instrument: Some(format!(
            "https://w3id.org/crosswalk/id/instrument/synthetic-{}",
            pick(200)
        )),
        instrument_name: None,
        issuer: None,
        status: Some(STATUSES[pick(STATUSES.len())].into()),
        binding: Some(pick(2) == 0),
        deontic: Some(["must", "should", "may"][pick(3)].into()),
        roles,
        themes,
        applies_from: Some(year * 10000 + 101),
        date: Some(year * 10000 + 101),
    }
}

fn theme_labels() -> Vec<(String, String)> {
    THEMES
        .iter()
        .map(|t| (t.replace('-', " "), (*t).to_owned()))
        .chain([
            ("watermark".into(), "content-provenance".into()),
            ("tanda air".into(), "content-provenance".into()),
        ])
        .collect()
}

/// The query mix: (query for us, FTS5 MATCH expression, jurisdiction filter, kind filter).
const QUERIES: [(&str, &str, Option<&str>, Option<&str>); 10] = [
    ("incident", "incident", None, None),
    ("\"human oversight\"", "\"human oversight\"", None, None),
    ("risk management", "risk OR management", None, None),
    ("watermark", "watermark", Some("SG"), None),
    ("pengujian", "pengujian", None, None),
    ("data protection", "data OR protection", Some("EU"), None),
    ("transparency", "transparency", None, Some("requirement")),
    ("penyedia OR pembekal", "penyedia OR pembekal", None, None),
    ("model evaluation", "model OR evaluation", Some("US"), None),
    ("keselamatan", "keselamatan", Some("MY"), Some("provision")),
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

fn tantivy_run(n: u64, rounds: usize, dir: &Path) -> Measured {
    let started = Instant::now();
    let index = SearchIndex::build_from(dir, (0..n).map(document), theme_labels(), 2).unwrap();
    let build = started.elapsed();
    let mut latencies = Vec::new();
    let mut hits = 0;
    for _ in 0..rounds {
        for (q, _, jurisdiction, kind) in QUERIES {
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
            latencies.push(started.elapsed());
            hits += response.total as u64;
        }
    }
    for (i, (q, _, jurisdiction, kind)) in QUERIES.iter().enumerate() {
        let mut own: Vec<Duration> = latencies
            .iter()
            .skip(i)
            .step_by(QUERIES.len())
            .copied()
            .collect();
        own.sort();
        eprintln!(
            "{n}: {q:<24} {:<4} {:<12} p50 {:>8.3} ms",
            jurisdiction.unwrap_or("-"),
            kind.unwrap_or("-"),
            percentile(&own, 0.5).as_secs_f64() * 1e3
        );
    }
    Measured {
        build,
        bytes: dir_size(dir),
        latencies,
        hits,
    }
}

fn fts5_build(n: u64, path: &Path) -> Connection {
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
            let d = document(i);
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

fn fts5_run(n: u64, rounds: usize, path: &Path) -> Measured {
    let started = Instant::now();
    let db = fts5_build(n, path);
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
    println!(
        "Top 20 + snippets + 5 facet counts per query; {} queries per round.\n",
        QUERIES.len()
    );
    println!(
        "| documents | engine         |  index docs/s | size MB | p50 ms   | p99 ms   | matches/round |"
    );
    println!("|---:|---|---:|---:|---:|---:|---:|");
    for n in sizes {
        // Enough samples for a p99 without spending minutes at 1M.
        let rounds = if n >= 1_000_000 { 20 } else { 50 };
        let mut ours = tantivy_run(n, rounds, &work.path().join(format!("tantivy-{n}")));
        let (ours_p50, _) = report("crosswalk", n, &mut ours);
        if std::env::var("SEARCH_BENCH_PEER").is_ok_and(|v| v == "off") {
            let _ = std::fs::remove_dir_all(work.path().join(format!("tantivy-{n}")));
            continue;
        }
        let mut peer = fts5_run(n, rounds, &work.path().join(format!("fts5-{n}.sqlite")));
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
