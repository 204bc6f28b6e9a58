//! The analyst web UI: server-rendered HTML pages (askama templates under `templates/web/`)
//! that work without JavaScript and are enhanced by small scripts, with every asset embedded
//! in the binary (`assets`). Every page keeps its state in its URL.
//!
//! | route | page |
//! |---|---|
//! | `GET /`, `GET /search` | search with facets, snippets, expansions and understood filters (`search`) |
//! | `GET /id/{kind}/{…}` | a provision, requirement, control, instrument or other resource at its own IRI path, HTML or RDF by `Accept` (`resource`, `instrument`) |
//! | `GET /crosswalk`, `/crosswalk.csv` | framework explorer A × B (`explorer`) |
//! | `GET /gaps`, `/gaps.csv` | A's elements without equal or superset coverage in B (`gaps`) |
//! | `GET /matrix` | themes × jurisdictions, binding vs voluntary (`matrix`) |
//! | `GET /sources` | tracked sources and their last fetch (`sources`) |
//! | `GET /console` | the SPARQL console (YASGUI) with the saved queries as examples (`console`) |
//! | `GET /changes`, `/changes/{id}` | change timeline and one change (`changes`) |
//! | `GET /assets/{name}` | embedded CSS, scripts and YASGUI, long-cached with ETags (`assets`) |
//!
//! Handlers run every graph and index read on a blocking thread (`blocking`): the HTTP
//! runtimes are single-threaded. Labels, instruments and mappings read from the whole graph
//! are kept per revision (`catalog`). The layer sits below `server`, which mounts [`routes`].

mod assets;
mod catalog;
mod changes;
mod console;
mod element;
mod error;
mod explorer;
mod gaps;
mod i18n;
mod instrument;
mod layout;
mod matrix;
mod resource;
mod search;
mod sources;

pub use error::WebError;
pub use i18n::Lang;
pub use resource::{Wanted, negotiate};

use crate::crawl::state::CrawlState;
use crate::graph::Graph;
use crate::graph::cache::PerRevision;
use crate::graph::codes::Codes;
use crate::index::SearchIndex;
use crate::mapping::Mappings;
use crate::sparql::Engine;
use crate::sparql::saved::SavedQueries;
use axum::Router;
use axum::routing::get;
use std::sync::Arc;

/// What the pages read: the graph (through the engine), the search index, the saved queries,
/// the crawler's bookkeeping, and values computed per revision.
#[derive(Clone)]
pub struct Web(Arc<Inner>);

pub struct Inner {
    engine: Engine,
    index: Option<SearchIndex>,
    saved: Arc<SavedQueries>,
    crawl: Option<CrawlState>,
    catalog: PerRevision<catalog::Catalog>,
    codes: PerRevision<Codes>,
    mappings: PerRevision<Mappings>,
}

impl std::ops::Deref for Web {
    type Target = Inner;

    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl Web {
    pub fn new(
        engine: Engine,
        index: Option<SearchIndex>,
        saved: Arc<SavedQueries>,
        crawl: Option<CrawlState>,
    ) -> Self {
        Self(Arc::new(Inner {
            engine,
            index,
            saved,
            crawl,
            catalog: PerRevision::default(),
            codes: PerRevision::default(),
            mappings: PerRevision::default(),
        }))
    }

    fn graph(&self) -> &Graph {
        self.engine.graph()
    }

    /// Labels and instruments at the current revision. Blocking.
    fn catalog(&self) -> Result<Arc<catalog::Catalog>, WebError> {
        Ok(self.catalog.get(self.graph(), catalog::Catalog::load)?)
    }

    /// Known short codes at the current revision. Blocking.
    fn codes(&self) -> Result<Arc<Codes>, WebError> {
        Ok(self.codes.get(self.graph(), Codes::load)?)
    }

    /// Every mapping at the current revision. Blocking.
    fn mappings(&self) -> Result<Arc<Mappings>, WebError> {
        Ok(self.mappings.get(self.graph(), Mappings::read)?)
    }
}

/// Runs store and index work off the HTTP threads.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, WebError> + Send + 'static,
) -> Result<T, WebError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| WebError::Internal(format!("task failed: {e}")))?
}

/// The pages' routes, for the server to merge into its own.
pub fn routes<S: Clone + Send + Sync + 'static>(web: Web) -> Router<S> {
    Router::new()
        .route("/", get(search::page))
        .route("/search", get(search::page))
        .route("/id/{*path}", get(resource::page))
        .route("/crosswalk", get(explorer::page))
        .route("/crosswalk.csv", get(explorer::csv))
        .route("/gaps", get(gaps::gaps))
        .route("/gaps.csv", get(gaps::gaps_csv))
        .route("/matrix", get(matrix::page))
        .route("/sources", get(sources::page))
        .route("/console", get(console::page))
        .route("/changes", get(changes::list))
        .route("/changes/{*id}", get(changes::one))
        .route("/assets/{name}", get(assets::serve))
        .with_state(web)
}
