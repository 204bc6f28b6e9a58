//! The SPARQL bridge: `SERVICE cw:search { ?hit cw:query "incident reporting" ; cw:score ?s ;
//! cw:snippet ?snip }`, evaluated by the search index.
//!
//! Rules (see README "Search"): the service pattern is a set of triples on one subject
//! variable; `cw:query` (a literal, required) is the search text; `cw:jurisdiction` (literal
//! code, repeatable) and `cw:limit` (integer, default 20, at most 100) narrow it; `cw:score` and
//! `cw:snippet` bind variables. The query text is searched literally (a result set has no place
//! to say which words became filters); `cw:understand true` reads jurisdictions, roles and dates
//! in it as the API does. The handler never sees bindings from outside the SERVICE block,
//! so the query text must be a literal inside it; join the hits with graph patterns outside.

use super::query::{MAX_LIMIT, SearchRequest};
use super::{IndexError, SearchIndex};
use crate::sparql::ServiceCallError;
use oxigraph::model::{Literal, NamedNode, Term};
use oxigraph::sparql::{QueryEvaluationError, QuerySolutionIter, ServiceHandler, Variable};
use oxiri::Iri;
use spargebra::algebra::GraphPattern;
use spargebra::term::{NamedNodePattern, TermPattern};
use std::sync::Arc;

/// The IRI of the search service, `cw:search`.
pub fn service_iri() -> NamedNode {
    crate::graph::names::cw("search")
}

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("cw:search: {0}")]
    Pattern(String),
    #[error("cw:search: {0}")]
    Search(#[from] IndexError),
}

/// Evaluates `SERVICE cw:search` blocks against a [`SearchIndex`].
#[derive(Clone)]
pub struct SearchService {
    index: SearchIndex,
}

impl SearchService {
    pub fn new(index: SearchIndex) -> Self {
        Self { index }
    }
}

/// What a service pattern asks for.
struct Call {
    hit: Variable,
    request: SearchRequest,
    score: Option<Variable>,
    snippet: Option<Variable>,
}

fn literal(object: &TermPattern, what: &str) -> Result<String, ServiceError> {
    match object {
        TermPattern::Literal(l) => Ok(l.value().to_owned()),
        _ => Err(ServiceError::Pattern(format!(
            "{what} needs a literal inside the SERVICE block (outer bindings are not visible)"
        ))),
    }
}

fn parse(pattern: &GraphPattern) -> Result<Call, ServiceError> {
    let GraphPattern::Bgp { patterns } = pattern else {
        return Err(ServiceError::Pattern(
            "the block must be plain triples: ?hit cw:query \"…\" ; cw:score ?s ; cw:snippet ?x"
                .into(),
        ));
    };
    let mut hit: Option<Variable> = None;
    let mut call = Call {
        hit: Variable::new_unchecked("hit"),
        request: SearchRequest {
            understand: false,
            ..SearchRequest::default()
        },
        score: None,
        snippet: None,
    };
    let mut query = None;
    for triple in patterns {
        let TermPattern::Variable(subject) = &triple.subject else {
            return Err(ServiceError::Pattern(
                "the subject must be a variable".into(),
            ));
        };
        if hit.as_ref().is_some_and(|h| h != subject) {
            return Err(ServiceError::Pattern(
                "all triples must share one subject".into(),
            ));
        }
        hit = Some(subject.clone());
        let NamedNodePattern::NamedNode(predicate) = &triple.predicate else {
            return Err(ServiceError::Pattern("predicates must be IRIs".into()));
        };
        let local = predicate
            .as_str()
            .strip_prefix(crate::graph::names::CW)
            .unwrap_or("");
        let variable = || match &triple.object {
            TermPattern::Variable(v) => Ok(v.clone()),
            _ => Err(ServiceError::Pattern(format!(
                "cw:{local} needs a variable"
            ))),
        };
        match local {
            "query" => query = Some(literal(&triple.object, "cw:query")?),
            "jurisdiction" => call
                .request
                .filters
                .entry("jurisdiction".into())
                .or_default()
                .push(literal(&triple.object, "cw:jurisdiction")?),
            "limit" => {
                let text = literal(&triple.object, "cw:limit")?;
                let limit: usize = text.parse().map_err(|_| {
                    ServiceError::Pattern(format!("cw:limit {text:?} is not an integer"))
                })?;
                call.request.limit = Some(limit.min(MAX_LIMIT));
            }
            "understand" => {
                call.request.understand = match literal(&triple.object, "cw:understand")?.as_str() {
                    "true" | "1" => true,
                    "false" | "0" => false,
                    other => {
                        return Err(ServiceError::Pattern(format!(
                            "cw:understand {other:?} is not a boolean"
                        )));
                    }
                }
            }
            "score" => call.score = Some(variable()?),
            "snippet" => call.snippet = Some(variable()?),
            _ => {
                return Err(ServiceError::Pattern(format!(
                    "unsupported predicate <{predicate}>; use cw:query, cw:jurisdiction, cw:limit, cw:understand, cw:score, cw:snippet"
                )));
            }
        }
    }
    call.hit = hit.ok_or_else(|| ServiceError::Pattern("empty block".into()))?;
    call.request.q = query.ok_or_else(|| ServiceError::Pattern("cw:query is required".into()))?;
    Ok(call)
}

impl From<ServiceError> for ServiceCallError {
    fn from(error: ServiceError) -> Self {
        match &error {
            ServiceError::Pattern(_) => Self::BadPattern(error.to_string()),
            ServiceError::Search(e) if e.is_client_error() => Self::BadPattern(error.to_string()),
            ServiceError::Search(_) => Self::Failed(error.to_string()),
        }
    }
}

impl ServiceHandler for SearchService {
    type Error = ServiceCallError;

    fn handle(
        &self,
        pattern: &GraphPattern,
        _base_iri: Option<&Iri<String>>,
    ) -> Result<QuerySolutionIter<'static>, ServiceCallError> {
        let call = parse(pattern)?;
        let response = self
            .index
            .search(&call.request)
            .map_err(ServiceError::from)?;
        let mut variables = vec![call.hit];
        variables.extend(call.score.clone());
        variables.extend(call.snippet.clone());
        let rows: Vec<Result<Vec<Option<Term>>, QueryEvaluationError>> = response
            .hits
            .into_iter()
            .filter_map(|hit| {
                let mut row = vec![Some(NamedNode::new(hit.iri).ok()?.into())];
                if call.score.is_some() {
                    row.push(Some(Literal::from(f64::from(hit.score)).into()));
                }
                if call.snippet.is_some() {
                    row.push(Some(Literal::new_simple_literal(hit.snippet_html).into()));
                }
                Some(Ok(row))
            })
            .collect();
        let variables: Arc<[Variable]> = variables.into();
        Ok(QuerySolutionIter::from_tuples(variables, rows))
    }
}
