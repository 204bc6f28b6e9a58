//! Constraint checks: every `queries/checks/*.rq` is a SELECT returning `?node` and `?message`
//! for each violation (the SPARQL form of `ontology/shapes.ttl`). `crosswalk validate` runs them
//! over an in-memory graph built from the ontology and seed files, so it needs no running server
//! and never touches the store. A check whose file name starts with `warn-` reports warnings:
//! listed with their node, but they do not fail validation (debts to pay down, such as sources
//! that name only a home page).

use crate::graph::{Graph, GraphError, SeedReport, load_seed_dirs};
use oxigraph::model::Term;
use serde::Serialize;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum ValidateError {
    #[error(transparent)]
    Graph(#[from] GraphError),
    #[error(transparent)]
    Source(crate::source::SourceError),
    #[error("cannot read checks in {dir}: {source}")]
    Read { dir: String, source: std::io::Error },
}

#[derive(Debug, Clone, Serialize)]
pub struct Violation {
    pub check: String,
    pub node: String,
    pub message: String,
}

#[derive(Debug, Default, Serialize)]
pub struct Report {
    pub checks_run: usize,
    pub seed_errors: Vec<(String, String)>,
    pub violations: Vec<Violation>,
    /// Findings of `warn-*` checks; they do not make [`Report::passed`] false.
    pub warnings: Vec<Violation>,
}

impl Report {
    pub fn passed(&self) -> bool {
        self.violations.is_empty() && self.seed_errors.is_empty()
    }
}

/// File-name prefix of checks whose findings are warnings, not violations.
const WARNING_PREFIX: &str = "warn-";

/// Loads `roots` into a fresh in-memory graph and runs the checks in `checks_dir`.
pub fn validate_files(roots: &[(&str, &Path)], checks_dir: &Path) -> Result<Report, ValidateError> {
    let graph = Graph::in_memory()?;
    let SeedReport { errors, .. } = load_seed_dirs(&graph, roots)?;
    let mut report = run_checks(&graph, checks_dir)?;
    report.seed_errors = errors;
    Ok(report)
}

/// Runs every check against `graph` (the union of its named graphs).
pub fn run_checks(graph: &Graph, checks_dir: &Path) -> Result<Report, ValidateError> {
    let mut report = Report::default();
    for path in check_files(checks_dir)? {
        let name = path
            .file_stem()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        let text = std::fs::read_to_string(&path).map_err(|source| ValidateError::Read {
            dir: path.display().to_string(),
            source,
        })?;
        let rows = graph.select(&format!("check {name}"), &text, [])?;
        report.checks_run += 1;
        let findings = if name.starts_with(WARNING_PREFIX) {
            &mut report.warnings
        } else {
            &mut report.violations
        };
        for row in rows {
            findings.push(Violation {
                check: name.clone(),
                node: row.get("node").map(display).unwrap_or_default(),
                message: row
                    .get("message")
                    .map(display)
                    .unwrap_or_else(|| name.clone()),
            });
        }
    }
    // Cron syntax is beyond SPARQL: the registry parses it as the scheduler will.
    report.checks_run += 1;
    for source in crate::source::list(graph).map_err(ValidateError::Source)? {
        if source.schedule.is_none() {
            report.violations.push(Violation {
                check: "source-schedules".into(),
                node: source.iri,
                message: "cw:schedule is not a six-field cron expression (sec min hour day-of-month month day-of-week)".into(),
            });
        }
    }
    Ok(report)
}

fn check_files(dir: &Path) -> Result<Vec<PathBuf>, ValidateError> {
    let read = |source| ValidateError::Read {
        dir: dir.display().to_string(),
        source,
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(read)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|ext| ext == "rq"))
        .collect();
    files.sort();
    Ok(files)
}

fn display(term: &Term) -> String {
    match term {
        Term::NamedNode(n) => n.as_str().to_owned(),
        Term::Literal(l) => l.value().to_owned(),
        other => other.to_string(),
    }
}
