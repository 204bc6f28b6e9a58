//! The HTTP service: routes, shared state, middleware (CORS, metrics, tracing), graceful stop.
//!
//! | route | what |
//! |---|---|
//! | `GET/POST /sparql` | SPARQL 1.1 Protocol, read-only |
//! | `POST /sparql/update` | SPARQL Update, admin bearer token |
//! | `GET /api/queries`, `GET /api/queries/{name}` | saved queries |
//! | `GET /api/search` | full-text search with facets (`crate::index`) |
//! | `GET /healthz`, `GET /metrics` | operations |
//! | `GET /api/sources` | tracked sources and their last crawl outcome |
//! | `POST /api/sources`, `DELETE /api/sources/{id}`, `POST /api/sources/{id}/pause`/`resume` | source registry, admin token |
//! | `POST /api/crawl` | crawl `{"source": ID}` or `{"all": true}` now, admin token |
//! | `GET /api/export/…`, `POST /api/import/mappings`, `GET /dump.{nq,trig}.gz`, `GET /.well-known/void` | exports and imports (`export`) |
//!
//! `serve` answers requests on `http_threads` single-threaded runtimes (`threads`) and runs the
//! crawl schedules (`crate::schedule`) on the caller's runtime unless `crawl.schedule` is off.

mod api;
mod auth;
pub mod error;
mod export;
mod metrics;
mod search;
mod sparql;
mod stream;
mod threads;
mod tracking;

pub use metrics::Metrics;
use threads::Threads;

use crate::config::Config;
use crate::crawl::Crawler;
use crate::graph::Graph;
use crate::index::SearchIndex;
use crate::index::service::{SearchService, service_iri};
use crate::sparql::saved::SavedQueries;
use crate::sparql::{Engine, Limits};
use axum::Router;
use axum::routing::{delete, get, post};
use std::sync::{Arc, OnceLock};
use tower_http::cors::CorsLayer;

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: std::net::SocketAddr,
        source: std::io::Error,
    },
    #[error("server failed: {0}")]
    Io(#[from] std::io::Error),
}

/// Everything a handler may need. One pointer: axum clones the state for every request and
/// middleware, and copying each field's reference count was measurable on point lookups.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// The fields behind [`AppState`].
#[derive(Clone)]
pub struct Shared {
    pub config: Arc<Config>,
    pub engine: Engine,
    pub saved: Arc<SavedQueries>,
    pub metrics: Arc<Metrics>,
    /// Bounds concurrent query evaluations (each runs on its own blocking thread).
    pub query_slots: Arc<tokio::sync::Semaphore>,
    /// Full-text search; `None` until [`AppState::with_search`].
    pub search: Option<SearchIndex>,
    /// None when the ops database could not be opened (logged at start; crawl routes answer 503).
    pub crawler: Option<Arc<Crawler>>,
    /// Set by [`serve`] once the crawl schedules run.
    pub scheduler: Arc<OnceLock<Arc<crate::schedule::Scheduler>>>,
    /// Known short codes (instruments, jurisdictions, roles…) at the current graph revision.
    pub codes: crate::graph::codes::CodesCache,
    /// The dataset description of the last revision it was asked for.
    pub void: Arc<std::sync::Mutex<Option<Arc<crate::export::void::Description>>>>,
}

impl AppState {
    pub fn new(config: Config, graph: Graph, saved: SavedQueries) -> Self {
        let limits = Limits {
            timeout: config.query_timeout(),
            max_rows: config.sparql.max_rows,
            max_query_bytes: config.sparql.max_query_bytes,
        };
        let crawler = match Crawler::new(graph.clone(), &config) {
            Ok(crawler) => Some(Arc::new(crawler)),
            Err(error) => {
                tracing::error!(%error, "crawler unavailable");
                None
            }
        };
        Self(Arc::new(Shared {
            crawler,
            scheduler: Arc::new(OnceLock::new()),
            engine: Engine::new(graph, limits),
            query_slots: Arc::new(tokio::sync::Semaphore::new(config.sparql.max_concurrent)),
            saved: Arc::new(saved),
            metrics: Arc::new(Metrics::default()),
            config: Arc::new(config),
            search: None,
            codes: Default::default(),
            void: Default::default(),
        }))
    }

    /// Enables `/api/search` and the `SERVICE cw:search` SPARQL bridge on `index`; [`serve`]
    /// then keeps the index in step with the graph.
    pub fn with_search(self, index: SearchIndex) -> Self {
        let mut shared = Arc::unwrap_or_clone(self.0);
        let handler = SearchService::new(index.clone());
        let iri = service_iri();
        shared.engine = shared
            .engine
            .with_hook(move |evaluator| evaluator.with_service_handler(iri, handler));
        shared.search = Some(index);
        Self(Arc::new(shared))
    }

    pub fn graph(&self) -> &Graph {
        self.engine.graph()
    }

    /// The known short codes, read again (off the async threads) after a graph write.
    pub async fn codes(&self) -> Result<Arc<crate::graph::codes::Codes>, error::ApiError> {
        let (cache, graph) = (self.codes.clone(), self.graph().clone());
        tokio::task::spawn_blocking(move || cache.get(&graph))
            .await
            .map_err(|e| error::ApiError::internal(format!("task failed: {e}")))?
            .map_err(|e| error::ApiError::internal(e.to_string()))
    }

    /// Called after a write through the API is committed, before it is acknowledged, so that
    /// derived state is consistent with what the client was told.
    pub async fn after_graph_change(&self, revision: u64) {
        let graph = self.graph().clone();
        match tokio::task::spawn_blocking(move || crate::graph::derive::refresh(&graph)).await {
            Ok(Ok(report)) => {
                tracing::info!(revision, derived = report.derived_mappings, "graph changed")
            }
            Ok(Err(error)) => tracing::error!(%error, "refreshing derived mappings failed"),
            Err(error) => tracing::error!(%error, "derive task panicked"),
        }
        // The search index must reflect the write (and the derived refresh) before the client
        // hears of it.
        if let Some(index) = self.search.clone() {
            let graph = self.graph().clone();
            match tokio::task::spawn_blocking(move || index.sync(&graph)).await {
                Ok(Ok(indexed)) => tracing::debug!(revision, indexed, "search index synced"),
                Ok(Err(error)) => tracing::error!(%error, "search index sync failed"),
                Err(error) => tracing::error!(%error, "search index task panicked"),
            }
        }
    }
}

/// The application's routes, without binding a socket (tests use this with their own listener).
pub fn router(state: AppState) -> Router {
    let mut router = Router::new()
        .route("/sparql", get(sparql::get).post(sparql::post))
        .route("/api/queries", get(api::list_queries))
        .route("/api/queries/{name}", get(api::run_query))
        .route("/api/search", get(search::search))
        .route(
            "/api/sources",
            get(tracking::list_sources).post(tracking::add_source),
        )
        .route("/api/sources/{id}", delete(tracking::remove_source))
        .route("/api/sources/{id}/pause", post(tracking::pause_source))
        .route("/api/sources/{id}/resume", post(tracking::resume_source))
        .route("/api/crawl", post(tracking::crawl))
        .route(
            "/api/export/oscal/catalog/{framework}",
            get(export::oscal_catalog),
        )
        .route("/api/export/oscal/mapping", get(export::oscal_mapping))
        .route("/api/export/sssom", get(export::sssom_export))
        .route("/api/export/queries/{file}", get(export::saved_query))
        .route("/api/export/{file}", get(export::table))
        .route(
            "/api/import/mappings",
            post(export::import_mappings).layer(axum::extract::DefaultBodyLimit::max(
                crate::import::MAX_BYTES,
            )),
        )
        .route("/api/questionnaire.md", get(export::questionnaire_md))
        .route("/api/questionnaire.csv", get(export::questionnaire_csv))
        .route("/api/questionnaire.xlsx", get(export::questionnaire_xlsx))
        .route("/dump.nq.gz", get(export::dump_nquads))
        .route("/dump.trig.gz", get(export::dump_trig))
        .route("/.well-known/void", get(export::void))
        .route("/healthz", get(api::healthz))
        .route("/metrics", get(metrics::render));
    if state.config.admin.token.is_some() {
        router = router.route("/sparql/update", post(sparql::update));
    }
    router
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            metrics::track,
        ))
        .layer(CorsLayer::permissive())
        .with_state(state)
}

/// Serves on `listener` until Ctrl-C / SIGTERM.
pub async fn serve(state: AppState, listener: tokio::net::TcpListener) -> Result<(), ServeError> {
    let _index_watch = state
        .search
        .as_ref()
        .map(|index| AbortOnDrop(index.watch(state.graph().clone())));
    start_schedules(&state).await;
    // This runtime keeps the schedules and the index watcher; requests go to the HTTP threads.
    let count = state.config.http_threads;
    let threads = Threads::start(router(state), listener, count)?;
    shutdown_signal().await;
    threads.stop().await;
    Ok(())
}

/// Starts the crawl schedules when enabled; a failure is logged, the server still serves.
async fn start_schedules(state: &AppState) {
    let Some(crawler) = state.crawler.clone() else {
        return;
    };
    if !state.config.crawl.schedule {
        tracing::info!("crawl schedules off (crawl.schedule = false)");
        return;
    }
    let for_reports = state.clone();
    let on_report: crate::schedule::OnReport = Arc::new(move |report| {
        let state = for_reports.clone();
        Box::pin(async move {
            if let Some(revision) = report.revision {
                state.after_graph_change(revision).await;
            }
        })
    });
    match crate::schedule::Scheduler::start(crawler, on_report).await {
        Ok(scheduler) => {
            let _ = state.scheduler.set(Arc::new(scheduler));
        }
        Err(error) => tracing::error!(%error, "crawl schedules not started"),
    }
}

/// Binds the configured address.
pub async fn bind(config: &Config) -> Result<tokio::net::TcpListener, ServeError> {
    tokio::net::TcpListener::bind(config.bind)
        .await
        .map_err(|source| ServeError::Bind {
            addr: config.bind,
            source,
        })
}

/// Stops the index watcher when the server stops.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut signal) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            signal.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
