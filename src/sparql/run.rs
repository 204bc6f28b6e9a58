//! One query evaluation, serialised in steps. [`super::Engine::run`] takes all the steps at once;
//! the HTTP handler serialises the first rows of a point lookup on its own thread and moves the
//! rest into a blocking section only when the result outgrows that (`server::stream`).

use super::{OutputFormat, PREFIXES, ServiceCallError, SparqlError, deadline};
use oxigraph::io::{RdfSerializer, WriterQuadSerializer};
use oxigraph::sparql::results::{QueryResultsSerializer, WriterSolutionsSerializer};
use oxigraph::sparql::{QueryEvaluationError, QueryResults, QuerySolutionIter, QueryTripleIter};
use std::io::Write;
use std::time::Duration;

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunSummary {
    pub rows: usize,
    /// True when the row cap cut the results.
    pub truncated: bool,
}

/// A query whose results are being serialised into `W`.
pub struct Run<W: Write> {
    rows: Rows<W>,
    summary: RunSummary,
    max_rows: usize,
    timeout: Duration,
    /// Keeps the deadline armed until the run is dropped.
    _deadline: deadline::Guard,
}

enum Rows<W: Write> {
    Solutions(QuerySolutionIter<'static>, WriterSolutionsSerializer<W>),
    /// Boxed: the RDF serializers are several times the size of the others.
    Triples(QueryTripleIter<'static>, Box<WriterQuadSerializer<W>>),
    /// Serialised completely; the output, flushed by its serializer.
    Done(W),
    /// Only while a serializer is being finished.
    Finishing,
}

impl<W: Write> Run<W> {
    pub(super) fn start(
        results: QueryResults<'static>,
        format: OutputFormat,
        out: W,
        max_rows: usize,
        timeout: Duration,
        deadline: deadline::Guard,
    ) -> Result<Self, SparqlError> {
        let mut rows_done = 0;
        let rows = match (results, format) {
            (QueryResults::Solutions(solutions), OutputFormat::Results(f)) => {
                let writer = QueryResultsSerializer::from_format(f)
                    .serialize_solutions_to_writer(out, solutions.variables().to_vec())?;
                Rows::Solutions(solutions, writer)
            }
            (QueryResults::Boolean(value), OutputFormat::Results(f)) => {
                rows_done = 1;
                Rows::Done(
                    QueryResultsSerializer::from_format(f)
                        .serialize_boolean_to_writer(out, value)?,
                )
            }
            (QueryResults::Graph(triples), OutputFormat::Rdf(f)) => {
                let serializer =
                    PREFIXES
                        .iter()
                        .fold(RdfSerializer::from_format(f), |s, (p, iri)| {
                            s.with_prefix(*p, *iri)
                                .expect("built-in prefixes are valid IRIs")
                        });
                Rows::Triples(triples, Box::new(serializer.for_writer(out)))
            }
            _ => {
                return Err(SparqlError::FormMismatch);
            }
        };
        Ok(Self {
            rows,
            summary: RunSummary {
                rows: rows_done,
                truncated: false,
            },
            max_rows,
            timeout,
            _deadline: deadline,
        })
    }

    /// Serialises up to `budget` more rows; true once the results are complete (all rows, or
    /// the row cap) and the serializer has written its end.
    pub fn step(&mut self, budget: usize) -> Result<bool, SparqlError> {
        for _ in 0..budget {
            let at_cap = self.summary.rows == self.max_rows;
            let truncated = &mut self.summary.truncated;
            let timeout = self.timeout;
            let written: Option<Result<(), SparqlError>> = match &mut self.rows {
                Rows::Solutions(solutions, writer) => {
                    within_cap(solutions, at_cap, truncated).map(|row| {
                        writer.serialize(&row.map_err(|e| evaluation(e, timeout))?)?;
                        Ok(())
                    })
                }
                Rows::Triples(triples, writer) => {
                    within_cap(triples, at_cap, truncated).map(|row| {
                        writer.serialize_triple(&row.map_err(|e| evaluation(e, timeout))?)?;
                        Ok(())
                    })
                }
                Rows::Done(_) | Rows::Finishing => return Ok(true),
            };
            match written {
                Some(result) => result?,
                None => return self.finish(),
            }
            self.summary.rows += 1;
        }
        Ok(matches!(self.rows, Rows::Done(_)))
    }

    fn finish(&mut self) -> Result<bool, SparqlError> {
        let out = match std::mem::replace(&mut self.rows, Rows::Finishing) {
            Rows::Solutions(_, writer) => writer.finish()?,
            Rows::Triples(_, writer) => writer.finish()?,
            Rows::Done(out) => out,
            Rows::Finishing => unreachable!("finish is not re-entered"),
        };
        self.rows = Rows::Done(out);
        Ok(true)
    }

    pub fn summary(&self) -> RunSummary {
        self.summary
    }

    /// The output, once [`Run::step`] has returned true.
    pub fn into_output(self) -> Option<W> {
        match self.rows {
            Rows::Done(out) => Some(out),
            _ => None,
        }
    }
}

/// The next row, or `None` at the end or at the row cap (truncated if rows remained).
fn within_cap<T>(
    rows: &mut impl Iterator<Item = Result<T, QueryEvaluationError>>,
    at_cap: bool,
    truncated: &mut bool,
) -> Option<Result<T, QueryEvaluationError>> {
    let row = rows.next()?;
    if at_cap {
        *truncated = true;
        return None;
    }
    Some(row)
}

/// An evaluation error in the terms a client is told: cancellation is the time limit, a
/// rejected SERVICE pattern is the client's fault.
pub(super) fn evaluation(error: QueryEvaluationError, timeout: Duration) -> SparqlError {
    if let QueryEvaluationError::Service(inner) = &error
        && let Some(ServiceCallError::BadPattern(message)) = inner.downcast_ref()
    {
        return SparqlError::ServiceInput(message.clone());
    }
    match error {
        QueryEvaluationError::Cancelled => SparqlError::Timeout(timeout),
        QueryEvaluationError::UnsupportedService(name) => SparqlError::Service(name.into_string()),
        other => SparqlError::Evaluation(other),
    }
}
