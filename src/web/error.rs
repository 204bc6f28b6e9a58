//! What can go wrong rendering a page, and the HTML answer for it: the web UI is an edge, like
//! `server::error`, so module errors become statuses (and a page saying why) here.

use super::i18n::Lang;
use super::layout::Page;
use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

#[derive(Debug, thiserror::Error)]
pub enum WebError {
    /// A request the page cannot answer as asked (a malformed date, an unknown framework).
    #[error("{0}")]
    BadRequest(String),
    /// Nothing is known under the IRI or name looked up.
    #[error("{what}")]
    NotFound { what: String, looked_up: String },
    #[error("search is not enabled on this server")]
    NoSearch,
    #[error(transparent)]
    Graph(#[from] crate::graph::GraphError),
    #[error(transparent)]
    Index(#[from] crate::index::IndexError),
    #[error(transparent)]
    Mapping(#[from] crate::mapping::MappingError),
    #[error(transparent)]
    Sparql(#[from] crate::sparql::SparqlError),
    #[error(transparent)]
    Saved(#[from] crate::sparql::saved::SavedQueryError),
    #[error(transparent)]
    Export(#[from] crate::export::ExportError),
    #[error(transparent)]
    Changes(#[from] crate::changes::ChangesError),
    #[error("template: {0}")]
    Template(#[from] askama::Error),
    #[error("{0}")]
    Internal(String),
}

impl WebError {
    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::NotFound { .. } => StatusCode::NOT_FOUND,
            Self::NoSearch => StatusCode::SERVICE_UNAVAILABLE,
            Self::Index(e) if e.is_client_error() => StatusCode::BAD_REQUEST,
            Self::Mapping(crate::mapping::MappingError::UnknownFramework(_)) => {
                StatusCode::BAD_REQUEST
            }
            Self::Saved(e) if !matches!(e, crate::sparql::saved::SavedQueryError::Read { .. }) => {
                StatusCode::BAD_REQUEST
            }
            Self::Sparql(e) if e.is_client_error() => StatusCode::BAD_REQUEST,
            Self::Changes(crate::changes::ChangesError::Unknown(_)) => StatusCode::NOT_FOUND,
            Self::Changes(e) if e.is_client_error() => StatusCode::BAD_REQUEST,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

#[derive(Template)]
#[template(path = "web/error.html")]
struct ErrorPage<'a> {
    page: Page,
    status: u16,
    heading: &'a str,
    message: String,
    looked_up: Option<&'a str>,
}

impl WebError {
    /// The error as a page in `lang`.
    pub fn render(&self, lang: Lang) -> Response {
        let status = self.status();
        if status.is_server_error() {
            tracing::error!(%status, error = %self, "page failed");
        }
        let heading_key = match status {
            StatusCode::NOT_FOUND => "error.not-found",
            StatusCode::BAD_REQUEST => "error.bad-request",
            _ => "error.failed",
        };
        let looked_up = match self {
            Self::NotFound { looked_up, .. } => Some(looked_up.as_str()),
            _ => None,
        };
        let page = Page::bare(lang, status.as_str());
        let heading = page.t(heading_key);
        let body = ErrorPage {
            heading,
            status: status.as_u16(),
            message: self.to_string(),
            looked_up,
            page: page.clone(),
        }
        .render()
        .unwrap_or_else(|e| format!("<!doctype html><title>{status}</title><p>{e}"));
        (status, Html(body)).into_response()
    }
}

/// An error with the language to say it in: what handlers return.
pub struct Failed(pub WebError, pub Lang);

impl IntoResponse for Failed {
    fn into_response(self) -> Response {
        self.0.render(self.1)
    }
}
