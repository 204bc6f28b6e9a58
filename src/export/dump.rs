//! The dataset dump: every public named graph (and the default graph, if an update wrote to it)
//! as gzipped N-Quads or TriG, written as it is read from one snapshot of the store, so a dump
//! taken during a write is consistent and memory stays flat. The meta graph (revision counter,
//! seed hashes) is bookkeeping and is left out; the ops database never is in the store.

use super::ExportError;
use crate::graph::{Graph, names};
use flate2::Compression;
use flate2::write::GzEncoder;
use oxigraph::io::{RdfFormat, RdfSerializer};
use oxigraph::model::GraphNameRef;
use std::io::Write;

/// What a dump wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DumpSummary {
    pub quads: u64,
}

/// The formats a dump is offered in.
pub fn format(name: &str) -> Option<RdfFormat> {
    match name {
        "nq" | "nquads" | "n-quads" => Some(RdfFormat::NQuads),
        "trig" => Some(RdfFormat::TriG),
        _ => None,
    }
}

/// Writes the dump, gzipped when `gzip` is set, into `out`. Blocking.
pub fn write(
    graph: &Graph,
    format: RdfFormat,
    gzip: bool,
    out: impl Write,
) -> Result<DumpSummary, ExportError> {
    if gzip {
        let mut encoder = GzEncoder::new(out, Compression::default());
        let summary = serialize(graph, format, &mut encoder)?;
        encoder.finish()?.flush()?;
        Ok(summary)
    } else {
        let mut out = out;
        let summary = serialize(graph, format, &mut out)?;
        out.flush()?;
        Ok(summary)
    }
}

fn serialize(
    graph: &Graph,
    format: RdfFormat,
    out: &mut impl Write,
) -> Result<DumpSummary, ExportError> {
    let serializer =
        crate::sparql::PREFIXES
            .iter()
            .fold(RdfSerializer::from_format(format), |s, (p, iri)| {
                s.with_prefix(*p, *iri)
                    .expect("built-in prefixes are valid IRIs")
            });
    let mut writer = serializer.for_writer(out);
    let mut quads = 0;
    // Ordered by graph, so TriG writes each graph as one block.
    for quad in graph.quads_for_pattern(None, None, None, None) {
        let quad = quad.map_err(crate::graph::GraphError::from)?;
        if quad.graph_name.as_ref() == GraphNameRef::NamedNode(names::META_GRAPH) {
            continue;
        }
        writer.serialize_quad(&quad)?;
        quads += 1;
    }
    writer.finish()?;
    Ok(DumpSummary { quads })
}
