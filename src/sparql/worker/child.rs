//! The worker process: `crosswalk sparql-worker` reads queries from its socket (stdin), evaluates
//! them against the checkpoint each names, and writes the output back in frames. It holds no
//! lock and writes nothing, so the server may kill it at any moment.

use super::protocol::{self, Failure, Query};
use crate::graph::Graph;
use crate::sparql::{Engine, Limits, OutputFormat, ServiceCallError, SparqlError};
use oxigraph::model::{NamedNode, Term};
use oxigraph::sparql::results::{
    QueryResultsFormat, QueryResultsParser, SliceQueryResultsParserOutput,
};
use oxigraph::sparql::{QuerySolutionIter, ServiceHandler, Variable};
use oxiri::Iri;
use spargebra::algebra::GraphPattern;
use spargebra::term::NamedNodePattern;
use std::io::{self, Write};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

const CHUNK: usize = 32 * 1024;

/// Serves queries on `socket` until the server closes it. `memory` caps the process's address
/// space, so a query that materialises without bound fails here instead of in the server.
pub fn run_child(socket: UnixStream, memory: u64) -> io::Result<()> {
    // Die with the server, even when it was killed: a worker spinning on an endless cross
    // product would otherwise outlive it (the socket closing only stops one that writes).
    let _ = rustix::process::set_parent_process_death_signal(Some(rustix::process::Signal::KILL));
    if rustix::process::getppid().is_none_or(|parent| parent.is_init()) {
        return Ok(());
    }
    let limit = rustix::process::Rlimit {
        current: Some(memory),
        maximum: Some(memory),
    };
    if let Err(error) = rustix::process::setrlimit(rustix::process::Resource::As, limit) {
        tracing::warn!(%error, "query worker runs without an address-space limit");
    }
    let socket = Arc::new(socket);
    let mut current: Option<Current> = None;
    loop {
        let (tag, payload) = match protocol::read_frame(&mut &*socket) {
            Ok(frame) => frame,
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(()),
            Err(e) => return Err(e),
        };
        if tag != protocol::QUERY {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("unexpected frame {tag:?} between queries"),
            ));
        }
        let query: Query = serde_json::from_slice(&payload)?;
        let settings = Settings::of(&query);
        let engine = match current.take() {
            Some(c) if c.view == query.view && c.settings == settings => Ok(c.engine),
            Some(c) if c.view == query.view => engine(&socket, c.engine.graph().clone(), &settings),
            // Close the previous checkpoint before opening the next.
            _ => open(&query.view).and_then(|graph| engine(&socket, graph, &settings)),
        };
        let engine = match engine {
            Ok(engine) => engine,
            Err(error) => {
                send_failure(&socket, &error)?;
                continue;
            }
        };
        let outcome = evaluate(&socket, &engine, &query);
        current = Some(Current {
            view: query.view,
            settings,
            engine,
        });
        match outcome {
            Ok(()) => {}
            // The server went away or stopped reading: nothing to tell it.
            Err(SparqlError::Io(e)) => return Err(e),
            Err(error) => send_failure(&socket, &error)?,
        }
    }
}

/// The engine of the last query, kept while the next names the same view and settings:
/// configuring one parses every built-in prefix again.
struct Current {
    view: PathBuf,
    settings: Settings,
    engine: Engine,
}

#[derive(PartialEq)]
struct Settings {
    timeout_ms: u64,
    max_rows: usize,
    services: Vec<String>,
}

impl Settings {
    fn of(query: &Query) -> Self {
        Self {
            timeout_ms: query.timeout_ms,
            max_rows: query.max_rows,
            services: query.services.clone(),
        }
    }
}

fn engine(
    socket: &Arc<UnixStream>,
    graph: Graph,
    settings: &Settings,
) -> Result<Engine, SparqlError> {
    let limits = Limits {
        timeout: Duration::from_millis(settings.timeout_ms),
        max_rows: settings.max_rows,
        max_query_bytes: usize::MAX,
    };
    let mut engine = Engine::new(graph, limits);
    for service in &settings.services {
        let name = NamedNode::new(service).map_err(|e| SparqlError::Worker {
            client: false,
            message: format!("service {service}: {e}"),
        })?;
        let handler = Forward {
            name: name.clone(),
            socket: socket.clone(),
        };
        engine = engine.with_hook(move |evaluator| evaluator.with_service_handler(name, handler));
    }
    Ok(engine)
}

#[cfg(feature = "rocksdb")]
fn open(view: &std::path::Path) -> Result<Graph, SparqlError> {
    Ok(Graph::open_checkpoint(view)?)
}

#[cfg(not(feature = "rocksdb"))]
fn open(view: &std::path::Path) -> Result<Graph, SparqlError> {
    Err(SparqlError::Worker {
        client: false,
        message: format!(
            "cannot open {}: built without on-disk stores",
            view.display()
        ),
    })
}

fn evaluate(socket: &Arc<UnixStream>, engine: &Engine, query: &Query) -> Result<(), SparqlError> {
    let format = OutputFormat::from_code(query.format).ok_or_else(|| SparqlError::Worker {
        client: false,
        message: format!("unknown output format {}", query.format),
    })?;
    let started = super::thread_cpu_time();
    let prepared = engine.prepare_described(&query.description)?;
    let mut out = Frames::new(socket.clone());
    let summary = engine.run(prepared, format, &mut out)?;
    out.finish(protocol::Summary {
        rows: summary.rows,
        truncated: summary.truncated,
        cpu: super::thread_cpu_time().saturating_sub(started),
    })?;
    Ok(())
}

fn send_failure(socket: &UnixStream, error: &SparqlError) -> io::Result<()> {
    let failure = Failure {
        client: error.is_client_error(),
        timeout: matches!(error, SparqlError::Timeout(_)),
        message: error.to_string(),
    };
    protocol::write_frame(
        &mut &*socket,
        protocol::FAILED,
        &serde_json::to_vec(&failure)?,
    )
}

/// Output in [`protocol::CHUNK`] frames of about 32 KiB, the header reserved at the front of the
/// buffer so each frame leaves in one write.
struct Frames {
    socket: Arc<UnixStream>,
    buffer: Vec<u8>,
}

impl Frames {
    fn new(socket: Arc<UnixStream>) -> Self {
        let mut buffer = Vec::with_capacity(protocol::HEADER + CHUNK + 1024);
        buffer.resize(protocol::HEADER, 0);
        Self { socket, buffer }
    }

    fn send(&mut self, tag: u8) -> io::Result<()> {
        let len = protocol::length(self.buffer.len() - protocol::HEADER)?;
        self.buffer[0] = tag;
        self.buffer[1..protocol::HEADER].copy_from_slice(&len.to_le_bytes());
        (&*self.socket).write_all(&self.buffer)?;
        self.buffer.truncate(protocol::HEADER);
        Ok(())
    }

    /// The rest of the output with the summary, in one [`protocol::DONE`] frame.
    fn finish(mut self, summary: protocol::Summary) -> io::Result<()> {
        let tail = self.buffer.split_off(protocol::HEADER);
        summary.encode(&mut self.buffer);
        self.buffer.extend_from_slice(&tail);
        self.send(protocol::DONE)
    }
}

impl Write for Frames {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buffer.extend_from_slice(data);
        if self.buffer.len() >= protocol::HEADER + CHUNK {
            self.send(protocol::CHUNK)?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        // Serializers flush at their end; the tail leaves with the summary.
        Ok(())
    }
}

/// A `SERVICE` handler that asks the server: the services registered there (the full-text
/// index) are not in this process.
struct Forward {
    name: NamedNode,
    socket: Arc<UnixStream>,
}

impl ServiceHandler for Forward {
    type Error = ServiceCallError;

    fn handle(
        &self,
        pattern: &GraphPattern,
        base_iri: Option<&Iri<String>>,
    ) -> Result<QuerySolutionIter<'static>, ServiceCallError> {
        let query = spargebra::Query::Select {
            dataset: None,
            pattern: GraphPattern::Service {
                name: NamedNodePattern::NamedNode(self.name.clone()),
                inner: Box::new(pattern.clone()),
                silent: false,
            },
            base_iri: base_iri.cloned(),
        };
        let failed = |e: io::Error| ServiceCallError::Failed(format!("service call: {e}"));
        protocol::write_frame(
            &mut &*self.socket,
            protocol::CALL,
            query.to_string().as_bytes(),
        )
        .map_err(failed)?;
        let (tag, payload) = protocol::read_frame(&mut &*self.socket).map_err(failed)?;
        match tag {
            protocol::REPLY => solutions(&payload),
            protocol::REPLY_ERROR => {
                let failure: Failure = serde_json::from_slice(&payload)
                    .map_err(|e| ServiceCallError::Failed(e.to_string()))?;
                Err(if failure.client {
                    ServiceCallError::BadPattern(failure.message)
                } else {
                    ServiceCallError::Failed(failure.message)
                })
            }
            other => Err(ServiceCallError::Failed(format!(
                "unexpected frame {other:?} in answer to a service call"
            ))),
        }
    }
}

/// SPARQL JSON results as solutions.
fn solutions(json: &[u8]) -> Result<QuerySolutionIter<'static>, ServiceCallError> {
    let failed =
        |e: &dyn std::fmt::Display| ServiceCallError::Failed(format!("service reply: {e}"));
    let parsed = QueryResultsParser::from_format(QueryResultsFormat::Json)
        .for_slice(json)
        .map_err(|e| failed(&e))?;
    let SliceQueryResultsParserOutput::Solutions(rows) = parsed else {
        return Err(failed(&"expected solutions"));
    };
    let variables: Arc<[Variable]> = rows.variables().into();
    let mut tuples = Vec::new();
    for row in rows {
        let row = row.map_err(|e| failed(&e))?;
        let values: Vec<Option<Term>> = variables.iter().map(|v| row.get(v).cloned()).collect();
        tuples.push(Ok(values));
    }
    Ok(QuerySolutionIter::from_tuples(variables, tuples))
}
