//! SPARQL evaluation with the limits a public endpoint needs: parse errors reported verbatim,
//! a per-query timeout (cancellation token + watchdog), a row cap, streaming serialisation into
//! any `Write`, and no federated `SERVICE` except the handlers registered here (full-text search).
//!
//! The HTTP protocol lives in `server::sparql`; saved queries in [`saved`].

mod deadline;
pub mod format;
mod run;
pub mod saved;
pub mod worker;

pub use crate::graph::{Graph, GraphError};
pub use format::{OutputFormat, QueryForm};
use oxigraph::model::{GraphName, NamedNode, NamedOrBlankNode, Variable};
use oxigraph::sparql::{
    CancellationToken, PreparedSparqlQuery, SparqlEvaluator, UpdateEvaluationError,
};
pub use run::{Run, RunSummary};
use spargebra::SparqlParser;
use spargebra::algebra::GraphPattern;
pub use spargebra::term::GroundTerm;
use spargebra::term::TermPattern;
use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

/// Prefixes usable in every query without declaring them (a declared PREFIX wins).
pub const PREFIXES: &[(&str, &str)] = &[
    ("cw", "https://w3id.org/crosswalk/ontology#"),
    ("inst", "https://w3id.org/crosswalk/id/instrument/"),
    ("jur", "https://w3id.org/crosswalk/id/jurisdiction/"),
    ("theme", "https://w3id.org/crosswalk/id/theme/"),
    ("role", "https://w3id.org/crosswalk/id/role/"),
    ("status", "https://w3id.org/crosswalk/id/status/"),
    ("rdf", "http://www.w3.org/1999/02/22-rdf-syntax-ns#"),
    ("rdfs", "http://www.w3.org/2000/01/rdf-schema#"),
    ("owl", "http://www.w3.org/2002/07/owl#"),
    ("xsd", "http://www.w3.org/2001/XMLSchema#"),
    ("skos", "http://www.w3.org/2004/02/skos/core#"),
    ("dcterms", "http://purl.org/dc/terms/"),
    ("eli", "http://data.europa.eu/eli/ontology#"),
    ("prov", "http://www.w3.org/ns/prov#"),
    ("dcat", "http://www.w3.org/ns/dcat#"),
];

#[derive(Debug, thiserror::Error)]
pub enum SparqlError {
    /// The parser's own message (line, column, what was expected), for the client.
    #[error("{0}")]
    Syntax(#[from] spargebra::SparqlSyntaxError),
    #[error("invalid dataset IRI {iri:?}: {message}")]
    Dataset { iri: String, message: String },
    #[error(
        "using-graph-uri/using-named-graph-uri cannot be combined with an update that has its own USING or WITH clause"
    )]
    DatasetConflict,
    #[error("query text is {size} bytes; the limit is {limit}")]
    TooLarge { size: usize, limit: usize },
    #[error("query exceeded the {0:?} time limit and was cancelled")]
    Timeout(Duration),
    #[error("federated SERVICE calls are disabled on this endpoint (service {0})")]
    Service(String),
    #[error("{0}")]
    ServiceInput(String),
    #[error("query evaluation failed: {0}")]
    Evaluation(#[source] oxigraph::sparql::QueryEvaluationError),
    #[error("the query's result form does not fit the requested output format")]
    FormMismatch,
    /// An update that failed for what it asked (a graph that exists or does not); the store is
    /// unchanged.
    #[error("update refused: {0}")]
    UpdateRefused(#[source] oxigraph::sparql::UpdateEvaluationError),
    #[error(
        "LOAD is not available: this endpoint never fetches remote documents; send the triples in an INSERT DATA or load the file with `crosswalk load` (LOAD SILENT is accepted and does nothing)"
    )]
    Load,
    #[error("update failed: {0}")]
    Update(#[source] oxigraph::sparql::UpdateEvaluationError),
    #[error("writing results failed: {0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Graph(#[from] GraphError),
    /// An evaluation in a worker process failed there, or the worker did.
    #[error("{message}")]
    Worker { client: bool, message: String },
}

impl SparqlError {
    /// True when the client sent something wrong (HTTP 4xx), false for server-side failures.
    pub fn is_client_error(&self) -> bool {
        matches!(
            self,
            Self::Syntax(_)
                | Self::Dataset { .. }
                | Self::DatasetConflict
                | Self::TooLarge { .. }
                | Self::Service(_)
                | Self::ServiceInput(_)
                | Self::Worker { client: true, .. }
                | Self::UpdateRefused(_)
                | Self::Load
        )
    }
}

/// Limits applied to every evaluation.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub timeout: Duration,
    pub max_rows: usize,
    pub max_query_bytes: usize,
}

/// The error type of the SERVICE handlers registered through hooks: `BadPattern` is the
/// client's fault (HTTP 400), `Failed` the server's.
#[derive(Debug, thiserror::Error)]
pub enum ServiceCallError {
    #[error("{0}")]
    BadPattern(String),
    #[error("{0}")]
    Failed(String),
}

/// The protocol's `default-graph-uri` and `named-graph-uri` parameters (`using-graph-uri` and
/// `using-named-graph-uri` for updates), and the base IRI relative IRIs resolve against: the
/// endpoint's URL, as the Oxigraph server and the W3C protocol tests expect.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct DatasetRequest {
    pub default_graphs: Vec<String>,
    pub named_graphs: Vec<String>,
    pub base_iri: Option<String>,
}

/// Evaluates queries and updates against the graph. Cheap to clone: every request takes one.
#[derive(Clone)]
pub struct Engine(Arc<Parts>);

/// The parser and evaluator are configured once (built-in prefixes, service handlers) and cloned
/// per query: configuring them parses every prefix IRI again, which cost more than a point
/// lookup's evaluation.
#[derive(Clone)]
struct Parts {
    graph: Graph,
    limits: Limits,
    parser: SparqlParser,
    evaluator: SparqlEvaluator,
}

/// A parsed query with its dataset and parameter bindings, ready to run once.
#[derive(Clone)]
pub struct Prepared {
    /// The text it was parsed from, for a worker process to parse again.
    text: Arc<str>,
    form: QueryForm,
    query: spargebra::Query,
    dataset: Dataset,
    /// The request's base IRI, for a worker process to resolve relative IRIs the same way.
    base_iri: Option<String>,
    bindings: Vec<(Variable, GroundTerm)>,
}

/// A prepared query as text, dataset and bindings (terms in N-Triples syntax): what a worker
/// process receives to prepare the same query again.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct Description {
    pub text: String,
    pub dataset: DatasetRequest,
    pub bindings: Vec<(String, String)>,
}

/// The dataset a query runs over, resolved from the protocol parameters.
#[derive(Clone, Hash)]
enum Dataset {
    /// Union of all named graphs as the default graph (unless the query has FROM clauses).
    Default,
    Explicit {
        default: Vec<GraphName>,
        named: Option<Vec<NamedOrBlankNode>>,
    },
}

impl Prepared {
    pub fn form(&self) -> QueryForm {
        self.form
    }

    /// Binds a variable to an IRI or literal (saved-query parameters). The binding is added to
    /// the query algebra as a one-row `VALUES` at the left end of the outermost group (see
    /// [`join_values`]), so it applies below projection, ordering and grouping, every FILTER and
    /// OPTIONAL of that group sees it, and the planner knows the variable is bound. The term
    /// never passes through query text.
    pub fn bind(mut self, variable: Variable, term: GroundTerm) -> Self {
        self.bindings.retain(|(v, _)| *v != variable);
        self.bindings.push((variable, term));
        self
    }

    /// True for one triple pattern with a constant subject (`<s> ?p ?o`, optionally in a GRAPH,
    /// under projection, DISTINCT or LIMIT) and no bound parameters. Its evaluation reads one
    /// index range, one row per read, and every read checks the cancellation token: short, and
    /// stopped at once at its deadline, whatever the data. `server::stream` runs these on the
    /// connection's own thread. An OFFSET is excluded: skipping rows happens before the first
    /// one is produced, so the work it takes is not bounded by the rows served inline.
    pub fn is_point_lookup(&self) -> bool {
        fn lookup(pattern: &GraphPattern) -> bool {
            match pattern {
                GraphPattern::Project { inner, .. }
                | GraphPattern::Distinct { inner }
                | GraphPattern::Reduced { inner }
                | GraphPattern::Slice {
                    inner, start: 0, ..
                }
                | GraphPattern::Graph { inner, .. } => lookup(inner),
                GraphPattern::Bgp { patterns } => matches!(
                    patterns.as_slice(),
                    [only] if matches!(only.subject, TermPattern::NamedNode(_))
                ),
                _ => false,
            }
        }
        match &self.query {
            _ if !self.bindings.is_empty() => false,
            spargebra::Query::Select { pattern, .. }
            | spargebra::Query::Ask { pattern, .. }
            | spargebra::Query::Construct { pattern, .. } => lookup(pattern),
            spargebra::Query::Describe { .. } => false,
        }
    }

    /// Feeds what identifies this query to `state`: its text, dataset, base IRI and bindings,
    /// what [`Prepared::describe`] carries, without building the strings.
    pub fn hash_identity<H: std::hash::Hasher>(&self, state: &mut H) {
        use std::hash::Hash;
        self.text.hash(state);
        self.dataset.hash(state);
        self.base_iri.hash(state);
        self.bindings.hash(state);
    }

    /// What another process needs to prepare this query again ([`Engine::prepare_described`]).
    pub(crate) fn describe(&self) -> Description {
        let iri = |name: &GraphName| match name {
            GraphName::NamedNode(node) => node.as_str().to_owned(),
            other => other.to_string(),
        };
        let dataset = match &self.dataset {
            Dataset::Default => DatasetRequest::default(),
            Dataset::Explicit { default, named } => DatasetRequest {
                base_iri: None,
                default_graphs: default.iter().map(iri).collect(),
                named_graphs: named
                    .iter()
                    .flatten()
                    .map(|node| match node {
                        NamedOrBlankNode::NamedNode(node) => node.as_str().to_owned(),
                        other => other.to_string(),
                    })
                    .collect(),
            },
        };
        let dataset = DatasetRequest {
            base_iri: self.base_iri.clone(),
            ..dataset
        };
        Description {
            text: self.text.to_string(),
            dataset,
            bindings: self
                .bindings
                .iter()
                .map(|(variable, term)| (variable.as_str().to_owned(), term.to_string()))
                .collect(),
        }
    }

    fn into_query(mut self, evaluator: SparqlEvaluator) -> PreparedSparqlQuery {
        if !self.bindings.is_empty() {
            let (variables, row): (Vec<_>, Vec<_>) =
                self.bindings.into_iter().map(|(v, t)| (v, Some(t))).unzip();
            let pattern = match &mut self.query {
                spargebra::Query::Select { pattern, .. }
                | spargebra::Query::Construct { pattern, .. }
                | spargebra::Query::Describe { pattern, .. }
                | spargebra::Query::Ask { pattern, .. } => pattern,
            };
            join_values(pattern, variables, row);
        }
        let mut prepared = evaluator.for_query(self.query);
        let spec = prepared.dataset_mut();
        match self.dataset {
            Dataset::Explicit { default, named } => {
                spec.set_default_graph(default);
                if let Some(named) = named {
                    spec.set_available_named_graphs(named);
                }
            }
            Dataset::Default if spec.is_default_dataset() => spec.set_default_graph_as_union(),
            Dataset::Default => {}
        }
        prepared
    }
}

/// Puts `VALUES (variables) { (row) }` where a `VALUES` written first in the WHERE clause would
/// be: below the solution modifiers (projection, ordering, slicing, grouping, HAVING), then at
/// the left end of the outermost group, so every FILTER and OPTIONAL of that group sees it.
/// Subqueries are not entered: their variables are their own.
fn join_values(pattern: &mut GraphPattern, variables: Vec<Variable>, row: Vec<Option<GroundTerm>>) {
    match pattern {
        GraphPattern::Project { inner, .. }
        | GraphPattern::Distinct { inner }
        | GraphPattern::Reduced { inner }
        | GraphPattern::Slice { inner, .. }
        | GraphPattern::OrderBy { inner, .. }
        | GraphPattern::Group { inner, .. }
        | GraphPattern::Filter { inner, .. }
        | GraphPattern::Extend { inner, .. } => join_values(inner, variables, row),
        where_clause => join_values_leftmost(where_clause, variables, row),
    }
}

fn join_values_leftmost(
    pattern: &mut GraphPattern,
    variables: Vec<Variable>,
    row: Vec<Option<GroundTerm>>,
) {
    match pattern {
        GraphPattern::Filter { inner, .. } | GraphPattern::Extend { inner, .. } => {
            join_values_leftmost(inner, variables, row)
        }
        GraphPattern::Join { left, .. }
        | GraphPattern::LeftJoin { left, .. }
        | GraphPattern::Minus { left, .. }
        | GraphPattern::Lateral { left, .. } => join_values_leftmost(left, variables, row),
        other => {
            let inner = std::mem::replace(
                other,
                GraphPattern::Bgp {
                    patterns: Vec::new(),
                },
            );
            *other = GraphPattern::Join {
                left: Box::new(GraphPattern::Values {
                    variables,
                    bindings: vec![row],
                }),
                right: Box::new(inner),
            };
        }
    }
}

impl Engine {
    pub fn new(graph: Graph, limits: Limits) -> Self {
        let parser = PREFIXES
            .iter()
            .fold(SparqlParser::new(), |parser, (prefix, iri)| {
                parser
                    .with_prefix(*prefix, *iri)
                    .expect("built-in prefixes are valid IRIs")
            });
        Self(Arc::new(Parts {
            graph,
            limits,
            parser,
            evaluator: SparqlEvaluator::new(),
        }))
    }

    /// Configures the evaluator every later query starts from (a service handler, say).
    pub fn with_hook(self, hook: impl FnOnce(SparqlEvaluator) -> SparqlEvaluator) -> Self {
        let mut parts = Arc::unwrap_or_clone(self.0);
        parts.evaluator = hook(parts.evaluator);
        Self(Arc::new(parts))
    }

    pub fn graph(&self) -> &Graph {
        &self.0.graph
    }

    pub fn limits(&self) -> Limits {
        self.0.limits
    }

    /// Query and update texts over `max_query_bytes` are refused before parsing.
    fn check_size(&self, text: &str) -> Result<(), SparqlError> {
        let limit = self.0.limits.max_query_bytes;
        if text.len() > limit {
            return Err(SparqlError::TooLarge {
                size: text.len(),
                limit,
            });
        }
        Ok(())
    }

    /// Parses a query and resolves its dataset: the protocol parameters if given, else the
    /// query's own FROM clauses, else the union of all named graphs as the default graph.
    pub fn prepare(&self, text: &str, dataset: &DatasetRequest) -> Result<Prepared, SparqlError> {
        self.check_size(text)?;
        let base_iri = &dataset.base_iri;
        // Parsed without a base first: setting one costs an IRI parse per query, and only a
        // query with relative IRIs needs it (it fails without one and is parsed again).
        let query = match self.0.parser.clone().parse_query(text) {
            Ok(query) => query,
            Err(_) if dataset.base_iri.is_some() => self.parser(dataset)?.parse_query(text)?,
            Err(e) => return Err(e.into()),
        };
        let form = match &query {
            spargebra::Query::Select { .. } => QueryForm::Select,
            spargebra::Query::Ask { .. } => QueryForm::Ask,
            spargebra::Query::Construct { .. } | spargebra::Query::Describe { .. } => {
                QueryForm::Graph
            }
        };
        let dataset = if dataset.default_graphs.is_empty() && dataset.named_graphs.is_empty() {
            Dataset::Default
        } else {
            Dataset::Explicit {
                default: dataset
                    .default_graphs
                    .iter()
                    .map(|iri| named_node(iri).map(GraphName::from))
                    .collect::<Result<_, _>>()?,
                named: if dataset.named_graphs.is_empty() {
                    None
                } else {
                    Some(
                        dataset
                            .named_graphs
                            .iter()
                            .map(|iri| named_node(iri).map(NamedOrBlankNode::from))
                            .collect::<Result<_, _>>()?,
                    )
                },
            }
        };
        Ok(Prepared {
            text: text.into(),
            form,
            query,
            dataset,
            base_iri: base_iri.clone(),
            bindings: Vec::new(),
        })
    }

    /// Prepares a query another process described ([`Prepared::describe`]).
    pub(crate) fn prepare_described(
        &self,
        description: &Description,
    ) -> Result<Prepared, SparqlError> {
        let mut prepared = self.prepare(&description.text, &description.dataset)?;
        for (name, term) in &description.bindings {
            let invalid = |message: String| SparqlError::Worker {
                client: false,
                message: format!("binding ?{name} = {term}: {message}"),
            };
            let variable = Variable::new(name).map_err(|e| invalid(e.to_string()))?;
            let term = match term
                .parse::<oxigraph::model::Term>()
                .map_err(|e| invalid(e.to_string()))?
            {
                oxigraph::model::Term::NamedNode(node) => GroundTerm::NamedNode(node),
                oxigraph::model::Term::Literal(literal) => GroundTerm::Literal(literal),
                other => return Err(invalid(format!("{other} is not a ground term"))),
            };
            prepared = prepared.bind(variable, term);
        }
        Ok(prepared)
    }

    /// Runs a prepared query, serialising into `out` as results arrive. Blocking.
    pub fn run(
        &self,
        prepared: Prepared,
        format: OutputFormat,
        out: impl Write,
    ) -> Result<RunSummary, SparqlError> {
        let mut run = self.start(prepared, format, out)?;
        run.step(usize::MAX)?;
        Ok(run.summary())
    }

    /// Starts a prepared query under its deadline; [`Run::step`] serialises its rows. Blocking.
    pub fn start<W: Write>(
        &self,
        prepared: Prepared,
        format: OutputFormat,
        out: W,
    ) -> Result<Run<W>, SparqlError> {
        let token = CancellationToken::new();
        let query = prepared.into_query(
            self.0
                .evaluator
                .clone()
                .with_cancellation_token(token.clone()),
        );
        let guard = deadline::watch(token, self.0.limits.timeout);
        let timeout = self.0.limits.timeout;
        let results = self
            .0
            .graph
            .bind(query)
            .execute()
            .map_err(|e| run::evaluation(e, timeout))?;
        Run::start(results, format, out, self.0.limits.max_rows, timeout, guard)
    }

    /// The configured parser, with the request's base IRI when it has one.
    fn parser(&self, request: &DatasetRequest) -> Result<SparqlParser, SparqlError> {
        let parser = self.0.parser.clone();
        match &request.base_iri {
            Some(base) => parser
                .with_base_iri(base.as_str())
                .map_err(|e| SparqlError::Dataset {
                    iri: base.clone(),
                    message: e.to_string(),
                }),
            None => Ok(parser),
        }
    }

    /// Applies a SPARQL update in one transaction (bumping the graph revision), under the same
    /// time limit as queries: its WHERE clauses are cancelled when they next read storage after
    /// the deadline, and nothing is written. Blocking.
    /// `using-graph-uri`/`using-named-graph-uri` (the request's graphs) become the dataset of
    /// every DELETE/INSERT … WHERE, which must then have no USING or WITH of its own.
    pub fn update(&self, text: &str, request: &DatasetRequest) -> Result<u64, SparqlError> {
        self.check_size(text)?;
        let mut update = self.parser(request)?.parse_update(text)?;
        // Refused before anything runs: with no HTTP client, oxigraph can only fail it
        // as an internal error.
        let loads = |o: &spargebra::GraphUpdateOperation| {
            matches!(
                o,
                spargebra::GraphUpdateOperation::Load { silent: false, .. }
            )
        };
        if update.operations.iter().any(loads) {
            return Err(SparqlError::Load);
        }
        // CLEAR of a graph with no triples succeeds, as in stores that do not record empty
        // graphs (the W3C protocol test update_base_uri clears a graph that was never made).
        for operation in &mut update.operations {
            if let spargebra::GraphUpdateOperation::Clear { silent, .. } = operation {
                *silent = true;
            }
        }
        if !request.default_graphs.is_empty() || !request.named_graphs.is_empty() {
            let iris = |list: &[String]| -> Result<Vec<NamedNode>, SparqlError> {
                list.iter().map(|iri| named_node(iri)).collect()
            };
            let dataset = spargebra::algebra::QueryDataset {
                default: iris(&request.default_graphs)?,
                named: Some(iris(&request.named_graphs)?),
            };
            for operation in &mut update.operations {
                if let spargebra::GraphUpdateOperation::DeleteInsert { using, .. } = operation {
                    if using.is_some() {
                        return Err(SparqlError::DatasetConflict);
                    }
                    *using = Some(dataset.clone());
                }
            }
        }
        let token = CancellationToken::new();
        let evaluator = self
            .0
            .evaluator
            .clone()
            .with_cancellation_token(token.clone());
        let timeout = self.0.limits.timeout;
        let _deadline = deadline::watch(token.clone(), timeout);
        self.0.graph.write(|t| {
            t.update_opt(update, evaluator).map_err(|error| {
                if token.is_cancelled() {
                    SparqlError::Timeout(timeout)
                } else {
                    update_error(error)
                }
            })
        })
    }
}

/// An update's failure in the terms a client is told: what the request asked for that cannot
/// be done is its fault (HTTP 400); a storage failure, or anything the error does not explain,
/// is the server's.
fn update_error(error: UpdateEvaluationError) -> SparqlError {
    use UpdateEvaluationError as E;
    match error {
        E::Service(inner) => match inner.downcast::<ServiceCallError>() {
            Ok(call) => match *call {
                ServiceCallError::BadPattern(message) => SparqlError::ServiceInput(message),
                failed => SparqlError::Update(E::Service(Box::new(failed))),
            },
            Err(inner) => SparqlError::Update(E::Service(inner)),
        },
        E::UnsupportedService(name) => SparqlError::Service(name.into_string()),
        refused @ (E::GraphAlreadyExists(_)
        | E::GraphDoesNotExist(_)
        | E::UnboundService
        | E::InvalidServiceName(_)
        | E::UnsupportedContentType(_)
        | E::GraphParsing(_)) => SparqlError::UpdateRefused(refused),
        other => SparqlError::Update(other),
    }
}

fn named_node(iri: &str) -> Result<NamedNode, SparqlError> {
    NamedNode::new(iri).map_err(|e| SparqlError::Dataset {
        iri: iri.into(),
        message: e.to_string(),
    })
}

#[cfg(test)]
mod tests;
