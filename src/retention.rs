//! Retention of crawl history: old fetch records and the snapshot files nothing needs any more.
//!
//! Kept for ever: every fetch that produced a change event (the baseline, each change), and
//! whatever a change event or an extracted provision derives from (`prov:wasDerivedFrom`). Kept
//! per source: the newest `keep_unchanged` fetches that changed nothing (unchanged or failed).
//! Older such fetch records are deleted from the fetches graph, with the snapshot descriptions
//! no remaining fetch, event or provision refers to. Then the snapshot files whose hash no
//! remaining description and no crawl state (the last body and text of each source, which the
//! next crawl compares against) names are deleted, if older than a day: a crawl writes its files
//! before the graph write that names them, so a young file may be about to be named.
//! Backups hold links or copies of their files, and snapshot files are not deleted while a
//! backup runs (`crate::backup::exclusive`).
//!
//! Entry point: [`run`]; `crosswalk serve` runs it on `retention.schedule`.

use crate::crawl::state::CrawlState;
use crate::graph::names::{self, prov};
use crate::graph::{Graph, GraphError};
use crate::opsdb::OpsError;
use oxigraph::model::{GraphNameRef, NamedNode, Quad, Term};
use serde::Serialize;
use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::time::{Duration, SystemTime};

const FETCHES_QUERY: &str = include_str!("../queries/retention/fetches.rq");
const HASHES_QUERY: &str = include_str!("../queries/retention/snapshot-hashes.rq");
/// Fetch records deleted per graph transaction.
const BATCH: usize = 500;
/// Snapshot files younger than this are never deleted (see the module documentation).
pub const MIN_FILE_AGE: Duration = Duration::from_secs(24 * 3600);

#[derive(Debug, thiserror::Error)]
pub enum RetentionError {
    #[error(transparent)]
    Graph(#[from] GraphError),
    #[error(transparent)]
    Ops(#[from] OpsError),
    #[error("snapshot store {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Backup(#[from] crate::backup::BackupError),
}

/// What is kept.
#[derive(Debug, Clone)]
pub struct Policy {
    /// Fetch records per source that changed nothing, newest first.
    pub keep_unchanged: usize,
    /// Snapshot files younger than this stay.
    pub min_file_age: Duration,
    /// Only count what would be deleted.
    pub dry_run: bool,
}

impl Policy {
    pub fn from_config(config: &crate::config::RetentionConfig) -> Self {
        Self {
            keep_unchanged: config.keep_unchanged,
            min_file_age: MIN_FILE_AGE,
            dry_run: false,
        }
    }
}

/// What one run did (or, dry, would do).
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Report {
    pub dry_run: bool,
    pub fetch_records_kept: usize,
    pub fetch_records_deleted: usize,
    pub snapshot_records_deleted: usize,
    pub snapshot_files_deleted: usize,
    pub snapshot_bytes_freed: u64,
    /// The graph revision after the deletions.
    pub revision: u64,
}

struct Fetch {
    iri: NamedNode,
    started: String,
    keep: bool,
}

/// Applies `policy` to the fetch records in `graph` and the snapshot files under
/// `snapshots_dir`. Blocking.
pub fn run(
    graph: &Graph,
    state: &CrawlState,
    snapshots_dir: &Path,
    policy: &Policy,
) -> Result<Report, RetentionError> {
    let mut report = Report {
        dry_run: policy.dry_run,
        ..Report::default()
    };
    let doomed = doomed_fetches(graph, policy.keep_unchanged, &mut report)?;
    let current = state.current_snapshots()?;
    if !policy.dry_run {
        for batch in doomed.chunks(BATCH) {
            report.snapshot_records_deleted += delete_fetches(graph, batch, &current)?;
        }
    }
    report.fetch_records_deleted = doomed.len();
    let mut keep: HashSet<String> = current;
    for row in graph.select("snapshot hashes", HASHES_QUERY, [])? {
        if let Some(Term::Literal(sha)) = row.get("sha") {
            keep.insert(sha.value().to_owned());
        }
    }
    delete_files(snapshots_dir, &keep, policy, &mut report)?;
    report.revision = graph.revision();
    Ok(report)
}

/// The fetch records to delete: per source, those that changed nothing beyond the newest
/// `keep_unchanged`.
fn doomed_fetches(
    graph: &Graph,
    keep_unchanged: usize,
    report: &mut Report,
) -> Result<Vec<NamedNode>, RetentionError> {
    let mut by_source: BTreeMap<String, BTreeMap<String, Fetch>> = BTreeMap::new();
    for row in graph.select("fetch records", FETCHES_QUERY, [])? {
        let (Some(Term::NamedNode(fetch)), Some(source)) = (row.get("fetch"), row.get("source"))
        else {
            continue;
        };
        let text = |name: &str| match row.get(name) {
            Some(Term::Literal(l)) => l.value().to_owned(),
            _ => String::new(),
        };
        let changed =
            row.get("event").is_some() || matches!(text("outcome").as_str(), "fetched" | "changed");
        let entry = by_source
            .entry(source.to_string())
            .or_default()
            .entry(fetch.as_str().to_owned())
            .or_insert_with(|| Fetch {
                iri: fetch.clone(),
                started: text("started"),
                keep: false,
            });
        entry.keep |= changed;
    }
    let mut doomed = Vec::new();
    for fetches in by_source.into_values() {
        let (kept, mut quiet): (Vec<_>, Vec<_>) = fetches.into_values().partition(|f| f.keep);
        report.fetch_records_kept += kept.len();
        // RFC 3339 in UTC sorts as text; newest first.
        quiet.sort_by(|a, b| b.started.cmp(&a.started));
        report.fetch_records_kept += quiet.len().min(keep_unchanged);
        doomed.extend(quiet.into_iter().skip(keep_unchanged).map(|f| f.iri));
    }
    Ok(doomed)
}

/// Deletes the records of `fetches` and the snapshot descriptions left without a reason to
/// stay, in one transaction; returns how many snapshot descriptions went.
fn delete_fetches(
    graph: &Graph,
    fetches: &[NamedNode],
    current: &HashSet<String>,
) -> Result<usize, RetentionError> {
    let fetches_graph = GraphNameRef::from(names::FETCHES_GRAPH);
    let doomed: HashSet<&NamedNode> = fetches.iter().collect();
    let generated_by = prov("wasGeneratedBy");
    let derived_from = prov("wasDerivedFrom");
    let mut orphans = 0;
    graph.write(|t| {
        let mut snapshots = HashSet::new();
        let mut remove: Vec<Quad> = Vec::new();
        for fetch in fetches {
            for quad in t.quads_for_pattern(Some(fetch.into()), None, None, Some(fetches_graph)) {
                remove.push(quad?);
            }
            for quad in t.quads_for_pattern(
                None,
                Some(generated_by.as_ref()),
                Some(fetch.into()),
                Some(fetches_graph),
            ) {
                let quad = quad?;
                if let oxigraph::model::NamedOrBlankNode::NamedNode(s) = &quad.subject {
                    snapshots.insert(s.clone());
                }
                remove.push(quad);
            }
        }
        for snapshot in &snapshots {
            let still_generated = t
                .quads_for_pattern(
                    Some(snapshot.into()),
                    Some(generated_by.as_ref()),
                    None,
                    Some(fetches_graph),
                )
                .filter_map(Result::ok)
                .any(|q| !matches!(&q.object, Term::NamedNode(f) if doomed.contains(f)));
            let derived_from_it = t
                .quads_for_pattern(
                    None,
                    Some(derived_from.as_ref()),
                    Some(snapshot.into()),
                    None,
                )
                .next()
                .transpose()?
                .is_some();
            let description: Vec<Quad> = t
                .quads_for_pattern(Some(snapshot.into()), None, None, Some(fetches_graph))
                .collect::<Result<_, _>>()?;
            let in_use = description.iter().any(|q| {
                (q.predicate == names::SHA256
                    || q.predicate.as_str() == names::cw("textSha256").as_str())
                    && matches!(&q.object, Term::Literal(l) if current.contains(l.value()))
            });
            if !still_generated && !derived_from_it && !in_use {
                orphans += 1;
                remove.extend(description);
            }
        }
        for quad in &remove {
            t.remove(quad);
        }
        Ok::<_, GraphError>(())
    })?;
    Ok(orphans)
}

/// Deletes snapshot files not in `keep` and old enough.
fn delete_files(
    root: &Path,
    keep: &HashSet<String>,
    policy: &Policy,
    report: &mut Report,
) -> Result<(), RetentionError> {
    let _exclusive = crate::backup::exclusive();
    let now = SystemTime::now();
    for (path, name) in crate::backup::snapshot_files(root)? {
        let sha = name.trim_end_matches(".zst");
        if keep.contains(sha) {
            continue;
        }
        let io = |source| RetentionError::Io {
            path: path.display().to_string(),
            source,
        };
        let metadata = std::fs::metadata(&path).map_err(io)?;
        let age = metadata
            .modified()
            .ok()
            .and_then(|at| now.duration_since(at).ok())
            .unwrap_or_default();
        if age < policy.min_file_age {
            continue;
        }
        if !policy.dry_run {
            std::fs::remove_file(&path).map_err(io)?;
        }
        report.snapshot_files_deleted += 1;
        report.snapshot_bytes_freed += metadata.len();
    }
    Ok(())
}
