//! The HTTP service: routes, shared state, middleware (CORS, metrics, tracing), graceful stop.
//!
//! | route | what |
//! |---|---|
//! | `GET/POST /sparql` | SPARQL 1.1 Protocol, read-only |
//! | `POST /sparql/update` | SPARQL Update, admin bearer token |
//! | `GET /api/queries`, `GET /api/queries/{name}` | saved queries |
//! | `GET /api/search` | full-text search with facets (`crate::index`) |
//! | `GET /healthz`, `GET /metrics` | operations |
//! | `GET /api/sources` | tracked sources and their last crawl outcome (`sources`) |
//! | `POST /api/sources`, `DELETE /api/sources/{id}`, `POST /api/sources/{id}/pause`/`resume` | source registry, admin token (`sources`) |
//! | `POST /api/crawl` | crawl `{"source": ID}` or `{"all": true}` now, admin token (`crawl`) |
//! | `GET /api/export/…`, `GET /api/questionnaire.{md,csv,xlsx}`, `GET /dump.{nq,trig}.gz`, `GET /.well-known/void` | exports (`export`) |
//! | `POST /api/import/mappings` | mapping import, admin token (`export`) |
//!
//! `serve` answers requests on `http_threads` single-threaded runtimes (`threads`), and runs the
//! graph's change-feed watcher and the crawl schedules (`crate::schedule`) on the caller's
//! runtime. Module errors become statuses in `error`.

mod api;
mod auth;
mod crawl;
mod error;
mod export;
mod metrics;
mod search;
mod sources;
mod sparql;
mod stream;
#[cfg(test)]
mod tests;
mod threads;

use threads::Threads;

use crate::config::Config;
use crate::crawl::Crawler;
use crate::downstream::Downstream;
use crate::export::void::Description;
use crate::graph::Graph;
use crate::graph::cache::PerRevision;
use crate::graph::codes::Codes;
use crate::graph::feed::ChangeFeed;
use crate::index::SearchIndex;
use crate::index::service::{SearchService, service_iri};
use crate::mapping::Mappings;
use crate::sparql::saved::SavedQueries;
use crate::sparql::{Engine, Limits};
use axum::Router;
use axum::routing::{delete, get, post};
use error::ApiError;
use metrics::Metrics;
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

/// The fields behind [`AppState`]; handlers in `server::*` read them directly.
pub struct Shared {
    config: Arc<Config>,
    engine: Engine,
    saved: Arc<SavedQueries>,
    metrics: Arc<Metrics>,
    /// Bounds concurrent query evaluations (each runs on its own blocking thread).
    query_slots: Arc<tokio::sync::Semaphore>,
    /// The graph's change feed and the search index on it.
    downstream: Downstream,
    /// None when the ops database could not be opened (logged at start; crawl routes answer 503).
    crawler: Option<Arc<Crawler>>,
    /// Set by [`serve`] once the crawl schedules run.
    scheduler: OnceLock<Arc<crate::schedule::Scheduler>>,
    /// What handlers read from the whole graph, kept until the next write: the known short
    /// codes (instruments, jurisdictions, roles…), every mapping (the exports take each pair
    /// from it), the dataset description.
    codes: PerRevision<Codes>,
    mappings: PerRevision<Mappings>,
    void: PerRevision<Description>,
}

impl AppState {
    /// The state of a server over `downstream`'s graph, with `/api/search` and the
    /// `SERVICE cw:search` bridge when it has a search index.
    pub fn new(config: Config, downstream: Downstream, saved: SavedQueries) -> Self {
        let limits = Limits {
            timeout: config.query_timeout(),
            max_rows: config.sparql.max_rows,
            max_query_bytes: config.sparql.max_query_bytes,
        };
        let graph = downstream.graph().clone();
        let crawler = match Crawler::new(graph.clone(), &config) {
            Ok(crawler) => Some(Arc::new(crawler)),
            Err(error) => {
                tracing::error!(%error, "crawler unavailable");
                None
            }
        };
        let mut engine = Engine::new(graph, limits);
        if let Some(index) = downstream.index() {
            let handler = SearchService::new(index.clone());
            let iri = service_iri();
            engine =
                engine.with_hook(move |evaluator| evaluator.with_service_handler(iri, handler));
        }
        Self(Arc::new(Shared {
            crawler,
            scheduler: OnceLock::new(),
            engine,
            query_slots: Arc::new(tokio::sync::Semaphore::new(config.sparql.max_concurrent)),
            saved: Arc::new(saved),
            metrics: Arc::new(Metrics::default()),
            config: Arc::new(config),
            downstream,
            codes: PerRevision::default(),
            mappings: PerRevision::default(),
            void: PerRevision::default(),
        }))
    }

    pub(crate) fn graph(&self) -> &Graph {
        self.engine.graph()
    }

    pub(crate) fn feed(&self) -> &ChangeFeed {
        self.downstream.feed()
    }

    pub(crate) fn search(&self) -> Option<&SearchIndex> {
        self.downstream.index()
    }

    pub(crate) fn crawler(&self) -> Option<&Arc<Crawler>> {
        self.crawler.as_ref()
    }

    /// The known short codes at the current revision.
    pub(crate) async fn codes(&self) -> Result<Arc<Codes>, ApiError> {
        self.at_revision(|s| &s.codes, Codes::load).await
    }

    /// Every mapping at the current revision.
    pub(crate) async fn mappings(&self) -> Result<Arc<Mappings>, ApiError> {
        self.at_revision(|s| &s.mappings, Mappings::read).await
    }

    /// The dataset description at the current revision.
    pub(crate) async fn void(&self) -> Result<Arc<Description>, ApiError> {
        self.at_revision(|s| &s.void, Description::load).await
    }

    /// A cached value at the current revision, computed again (off the async threads) after a
    /// write.
    async fn at_revision<T, E>(
        &self,
        cache: fn(&Shared) -> &PerRevision<T>,
        load: fn(&Graph) -> Result<T, E>,
    ) -> Result<Arc<T>, ApiError>
    where
        T: Send + Sync + 'static,
        E: 'static,
        ApiError: From<E>,
    {
        let state = self.clone();
        tokio::task::spawn_blocking(move || Ok(cache(&state).get(state.graph(), load)?))
            .await
            .map_err(|e| ApiError::internal(format!("task failed: {e}")))?
    }

    /// Brings everything downstream of the graph up to date after a write, before the write is
    /// acknowledged: what a client was told is done is then searchable and scheduled. A failure
    /// is logged (the write itself stands; the watcher or the next start retries).
    pub(crate) async fn settle(&self) {
        if let Err(error) = self.feed().settle().await {
            tracing::error!(%error, "bringing derived stores up to date after a write");
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
        .route("/api/sources", get(sources::list).post(sources::add))
        .route("/api/sources/{id}", delete(sources::remove))
        .route("/api/sources/{id}/pause", post(sources::pause))
        .route("/api/sources/{id}/resume", post(sources::resume))
        .route("/api/crawl", post(crawl::crawl))
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

/// Serves on `listener` until Ctrl-C / SIGTERM, keeping everything downstream of the graph in
/// step with it and running the crawl schedules (unless `crawl.schedule` is off).
pub async fn serve(state: AppState, listener: tokio::net::TcpListener) -> Result<(), ServeError> {
    // Any write (a crawl, an update) reaches the derived stores through this watcher; handlers
    // that acknowledge writes also settle the feed themselves before answering.
    let _watch = state.feed().watch();
    start_schedules(&state).await;
    // This runtime keeps the schedules and the watcher; requests go to the HTTP threads.
    let count = state.config.http_threads;
    let threads = Threads::start(router(state.clone()), listener, count)?;
    shutdown_signal().await;
    threads.stop().await;
    if let Some(scheduler) = state.scheduler.get() {
        scheduler.shutdown().await;
    }
    Ok(())
}

/// Starts the crawl schedules when enabled and puts them on the change feed; a failure is
/// logged, the server still serves.
async fn start_schedules(state: &AppState) {
    let Some(crawler) = state.crawler.clone() else {
        return;
    };
    if !state.config.crawl.schedule {
        tracing::info!("crawl schedules off (crawl.schedule = false)");
        return;
    }
    match crate::schedule::Scheduler::start(state.graph().clone(), crawler).await {
        Ok(scheduler) => {
            let scheduler = Arc::new(scheduler);
            state.downstream.add_schedules(scheduler.clone());
            let _ = state.scheduler.set(scheduler);
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
