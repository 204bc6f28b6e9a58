//! Idempotent loading of curated Turtle: each file into its own named graph, reloaded only when
//! its SHA-256 changed. A file that no longer parses keeps its previous graph and is reported.

use super::{Graph, GraphError, names};
use oxigraph::io::{RdfFormat, RdfParser};
use oxigraph::model::{GraphNameRef, Literal, NamedNode, NamedNodeRef, Quad, QuadRef, Term};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// What a load did, file by file.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct SeedReport {
    /// Files (re)loaded because they were new or changed, with their triple counts.
    pub loaded: Vec<(String, usize)>,
    pub unchanged: usize,
    /// Graphs dropped because their file disappeared.
    pub removed: Vec<String>,
    /// Files that could not be read or parsed; their previous graph (if any) is kept.
    pub errors: Vec<(String, String)>,
    /// Graph revision after the load.
    pub revision: u64,
}

impl SeedReport {
    pub fn changed(&self) -> bool {
        !self.loaded.is_empty() || !self.removed.is_empty()
    }
}

struct SeedFile {
    graph: NamedNode,
    display: String,
    hash: String,
    quads: Vec<Quad>,
}

/// Loads every `*.ttl` below each `(label, dir)` root into graph `…/graph/{label}/{relative path}`.
/// Changed files are replaced and vanished files dropped in one transaction.
pub fn load_seed_dirs(graph: &Graph, roots: &[(&str, &Path)]) -> Result<SeedReport, GraphError> {
    let mut report = SeedReport::default();
    let known = known_hashes(graph)?;
    let mut changed = Vec::new();
    let mut present = Vec::new();
    for (label, dir) in roots {
        for path in turtle_files(dir)? {
            let relative = path
                .strip_prefix(dir)
                .unwrap_or(&path)
                .to_string_lossy()
                .into_owned();
            let graph_name = names::seed_graph(label, &relative);
            present.push(graph_name.as_str().to_owned());
            let display = path.display().to_string();
            let bytes = match std::fs::read(&path) {
                Ok(bytes) => bytes,
                Err(e) => {
                    report.errors.push((display, e.to_string()));
                    continue;
                }
            };
            let hash = hex(&Sha256::digest(&bytes));
            if known.get(graph_name.as_str()) == Some(&hash) {
                report.unchanged += 1;
                continue;
            }
            match parse_turtle(&bytes, &graph_name) {
                Ok(quads) => changed.push(SeedFile {
                    graph: graph_name,
                    display,
                    hash,
                    quads,
                }),
                Err(message) => report.errors.push((display, message)),
            }
        }
    }
    let prefixes: Vec<String> = roots
        .iter()
        .map(|(label, _)| format!("{}{label}/", names::GRAPH))
        .collect();
    let vanished: Vec<String> = known
        .keys()
        .filter(|g| prefixes.iter().any(|p| g.starts_with(p.as_str())))
        .filter(|g| !present.contains(g))
        .cloned()
        .collect();
    if changed.is_empty() && vanished.is_empty() {
        report.revision = graph.revision();
        return Ok(report);
    }
    report.revision = graph.write(|t| {
        for file in &changed {
            t.clear_graph(file.graph.as_ref())?;
            for quad in &file.quads {
                t.insert(quad);
            }
            set_hash(t, file.graph.as_ref(), Some(&file.hash));
        }
        for g in &vanished {
            let node = NamedNode::new_unchecked(g.clone());
            t.remove_named_graph(node.as_ref())?;
            set_hash(t, node.as_ref(), None);
        }
        Ok::<_, GraphError>(())
    })?;
    report.loaded = changed
        .into_iter()
        .map(|f| (f.display, f.quads.len()))
        .collect();
    report.removed = vanished;
    Ok(report)
}

/// Loads one RDF file (format from its extension) into graph `…/graph/load/{file name}`,
/// replacing what an earlier load of the same name put there. Quads with an explicit graph
/// (N-Quads, TriG) keep it. Returns the number of quads.
pub fn load_file(graph: &Graph, path: &Path) -> Result<usize, GraphError> {
    let display = path.display().to_string();
    let format = path
        .extension()
        .and_then(|ext| RdfFormat::from_extension(&ext.to_string_lossy()))
        .ok_or_else(|| GraphError::UnknownFormat {
            file: display.clone(),
        })?;
    let bytes = std::fs::read(path).map_err(|source| GraphError::Io {
        file: display.clone(),
        source,
    })?;
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let target = names::seed_graph("load", &name);
    let quads = RdfParser::from_format(format)
        .with_default_graph(target.clone())
        .for_slice(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|source| GraphError::Parse {
            file: display,
            source,
        })?;
    graph.write(|t| {
        t.clear_graph(target.as_ref())?;
        for quad in &quads {
            t.insert(quad);
        }
        Ok::<_, GraphError>(())
    })?;
    Ok(quads.len())
}

/// Parses Turtle into quads of `graph`; the error names the line and column.
fn parse_turtle(bytes: &[u8], graph: &NamedNode) -> Result<Vec<Quad>, String> {
    RdfParser::from_format(RdfFormat::Turtle)
        .with_default_graph(graph.clone())
        .for_slice(bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| e.to_string())
}

fn turtle_files(dir: &Path) -> Result<Vec<PathBuf>, GraphError> {
    let mut files = Vec::new();
    if !dir.is_dir() {
        return Ok(files);
    }
    let mut stack = vec![dir.to_path_buf()];
    while let Some(current) = stack.pop() {
        let entries = std::fs::read_dir(&current).map_err(|source| GraphError::Io {
            file: current.display().to_string(),
            source,
        })?;
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|ext| ext == "ttl") {
                files.push(path);
            }
        }
    }
    files.sort();
    Ok(files)
}

/// Content hashes recorded in the meta graph, by graph IRI.
pub(super) fn known_hashes(graph: &Graph) -> Result<BTreeMap<String, String>, GraphError> {
    let mut hashes = BTreeMap::new();
    for quad in graph.quads_for_pattern(
        None,
        Some(names::SHA256),
        None,
        Some(names::META_GRAPH.into()),
    ) {
        let quad = quad?;
        if let (oxigraph::model::NamedOrBlankNode::NamedNode(g), Term::Literal(hash)) =
            (quad.subject, quad.object)
        {
            hashes.insert(g.into_string(), hash.value().to_owned());
        }
    }
    Ok(hashes)
}

/// Records (or clears) the content hash of `graph` in the meta graph, inside a write.
pub(super) fn set_hash(
    t: &mut oxigraph::store::Transaction<'_>,
    graph: NamedNodeRef<'_>,
    hash: Option<&str>,
) {
    let meta = GraphNameRef::from(names::META_GRAPH);
    let old: Vec<Quad> = t
        .quads_for_pattern(Some(graph.into()), Some(names::SHA256), None, Some(meta))
        .filter_map(Result::ok)
        .collect();
    for quad in &old {
        t.remove(quad);
    }
    if let Some(hash) = hash {
        let value = Literal::new_simple_literal(hash);
        t.insert(QuadRef::new(graph, names::SHA256, &value, meta));
    }
}

pub(super) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    #[test]
    fn reloads_only_changed_files_and_keeps_graph_of_broken_file() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "a.ttl", "<urn:a> <urn:p> 1 .");
        write(dir.path(), "sub/b.ttl", "<urn:b> <urn:p> 1 .");
        let graph = Graph::in_memory().unwrap();
        let first = load_seed_dirs(&graph, &[("seed", dir.path())]).unwrap();
        assert_eq!(first.loaded.len(), 2);

        let again = load_seed_dirs(&graph, &[("seed", dir.path())]).unwrap();
        assert!(!again.changed());
        assert_eq!(again.unchanged, 2);
        assert_eq!(again.revision, first.revision);

        write(
            dir.path(),
            "a.ttl",
            "<urn:a> <urn:p> 2 . <urn:a> <urn:p> 3 .",
        );
        write(dir.path(), "sub/b.ttl", "<urn:b> <urn:p> ");
        let third = load_seed_dirs(&graph, &[("seed", dir.path())]).unwrap();
        assert_eq!(third.loaded.len(), 1);
        assert_eq!(third.errors.len(), 1);
        let sizes = graph.graph_sizes().unwrap();
        let size = |g: &str| sizes.iter().find(|(n, _)| n.ends_with(g)).map(|(_, n)| *n);
        assert_eq!(size("seed/a.ttl"), Some(2));
        assert_eq!(
            size("seed/sub/b.ttl"),
            Some(1),
            "broken file keeps its old graph"
        );

        std::fs::remove_file(dir.path().join("a.ttl")).unwrap();
        let fourth = load_seed_dirs(&graph, &[("seed", dir.path())]).unwrap();
        assert_eq!(fourth.removed.len(), 1);
        assert_eq!(size_after(&graph, "seed/a.ttl"), None);
    }

    fn size_after(graph: &Graph, suffix: &str) -> Option<u64> {
        graph
            .graph_sizes()
            .unwrap()
            .into_iter()
            .find(|(n, _)| n.ends_with(suffix))
            .map(|(_, n)| n)
    }
}
