//! The HTTP service: routes, shared state, middleware (CORS, metrics, limits), graceful stop.
//!
//! | route | what |
//! |---|---|
//! | `GET/POST /sparql` | SPARQL 1.1 Protocol, read-only |
//! | `GET /api/queries`, `GET /api/queries/{name}` | saved queries |
//! | `GET /api/search` | full-text search with facets (`crate::index`) |
//! | `GET /healthz`, `GET /metrics` | operations |
//! | `GET /api/sources` | tracked sources and their last crawl outcome (`sources`) |
//! | `GET /api/discoveries`, `GET /api/discoveries/{id}` | the discovery review queue (`discoveries`) |
//! | `GET /api/changes`, `GET /api/changes/{id}`, `GET /api/sources/{id}/history`, `GET /feeds/changes.atom` | the change history and its Atom feed (`changes`) |
//! | `GET /feeds/s/{token}.atom`, `GET/POST /api/unsubscribe/{token}` | private alert feeds, one-click unsubscribe (`alerts`) |
//! | [`admin_routes`] (admin bearer token): | |
//! | `POST /sparql/update` | SPARQL Update |
//! | `POST /api/sources`, `DELETE /api/sources/{id}`, `POST /api/sources/{id}/pause`/`resume` | source registry (`sources`) |
//! | `POST /api/crawl` | crawl `{"source": ID}` or `{"all": true}` now (`crawl`) |
//! | `POST /api/discoveries/{id}/track`, `…/dismiss` | review a discovered document (`discoveries`) |
//! | `POST /api/import/mappings` | mapping import (`export`) |
//! | `POST /api/admin/backup`, `POST /api/admin/retention` | online backup, retention now (`admin`) |
//! | `/api/subscriptions[/{id}[/rotate-secret, /test, /digest, /deliveries]]`, `POST /api/deliveries/{id}/retry` | alert subscriptions and their deliveries (`alerts`) |
//! | `GET /api/export/…`, `GET /api/questionnaire.{md,csv,xlsx}`, `GET /dump.{nq,trig}.gz`, `GET /.well-known/void` | exports (`export`) |
//! | `GET /`, `/search`, `/id/…`, `/crosswalk`, `/gaps`, `/matrix`, `/sources`, `/console`, `/changes`, `/assets/…` | the web UI (`crate::web::routes`) |
//!
//! `serve` answers requests on `http_threads` single-threaded runtimes (`threads`, which also
//! holds every connection to the `[http]` limits), and runs the graph's change-feed watcher, the
//! crawl schedules (`crate::schedule`), the retention job and the crawls that requests start on
//! the caller's runtime. Queries are evaluated in worker processes (`crate::sparql::worker`)
//! within fair per-client slots (`slots`). Module errors become statuses in `error`.

mod admin;
mod alerts;
mod api;
mod auth;
mod changes;
mod client;
mod crawl;
mod discoveries;
mod error;
mod export;
mod metrics;
mod quick;
mod results;
mod search;
mod slots;
mod sources;
mod sparql;
mod stream;
#[cfg(test)]
mod tests;
mod threads;

pub use client::Client;
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
use crate::sparql::worker::{Pool, PoolSettings, QueryViews};
use crate::sparql::{Engine, Limits};
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{delete, get, post};
use error::ApiError;
use metrics::Metrics;
use slots::Slots;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::Duration;
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
    /// Whole answers of saved queries at the current revision (`server::results`).
    saved_results: Arc<results::SavedResults>,
    metrics: Arc<Metrics>,
    /// Bounds concurrent query evaluations, fairly between clients.
    slots: Arc<Slots>,
    /// Worker processes evaluating queries; None evaluates on blocking threads.
    workers: Option<Pool>,
    /// Queries a worker measured cheap, which then skip the worker (`server::quick`).
    quick: Arc<quick::QuickQueries>,
    /// `http.trusted_proxies`, parsed.
    trusted_proxies: Vec<ipnet::IpNet>,
    /// The graph's change feed and the search index on it.
    downstream: Downstream,
    /// None when the ops database could not be opened (logged at start; crawl routes answer 503).
    crawler: Option<Arc<Crawler>>,
    /// Set by [`serve`] once the crawl schedules run.
    scheduler: OnceLock<Arc<crate::schedule::Scheduler>>,
    /// The runtime the state was made on (the caller of [`serve`]): crawls started by requests
    /// run there, never on the HTTP threads.
    background: Option<tokio::runtime::Handle>,
    /// What handlers read from the whole graph, kept until the next write: the known short
    /// codes (instruments, jurisdictions, roles…), every mapping (the exports take each pair
    /// from it), the dataset description.
    codes: PerRevision<Codes>,
    mappings: PerRevision<Mappings>,
    void: PerRevision<Description>,
}

impl AppState {
    /// The state of a server over `downstream`'s graph, with `/api/search` and the
    /// `SERVICE cw:search` bridge when it has a search index. Queries are evaluated on blocking
    /// threads; [`AppState::with_workers`] evaluates them in killable processes instead.
    pub fn new(config: Config, downstream: Downstream, saved: SavedQueries) -> Self {
        Self::build(config, downstream, saved, None)
    }

    /// Like [`AppState::new`], evaluating queries in worker processes started as
    /// `<program> sparql-worker` (the `crosswalk` executable) when the store is on disk and
    /// `sparql.isolate` is on. Makes the first query view (a checkpoint of the graph).
    pub fn with_workers(
        config: Config,
        downstream: Downstream,
        saved: SavedQueries,
        program: PathBuf,
    ) -> Self {
        Self::build(config, downstream, saved, Some(program))
    }

    fn build(
        config: Config,
        downstream: Downstream,
        saved: SavedQueries,
        program: Option<PathBuf>,
    ) -> Self {
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
        let mut engine = Engine::new(graph.clone(), limits);
        let mut services = Vec::new();
        if let Some(index) = downstream.index() {
            let handler = SearchService::new(index.clone());
            let iri = service_iri();
            services.push(iri.as_str().to_owned());
            engine =
                engine.with_hook(move |evaluator| evaluator.with_service_handler(iri, handler));
        }
        let workers = match program {
            Some(program) if config.sparql.isolate && graph.dir().is_some() => {
                start_workers(&config, &downstream, &engine, program, services)
            }
            _ => None,
        };
        let trusted_proxies = config
            .http
            .trusted_proxies
            .iter()
            .filter_map(|p| crate::config::parse_net(p))
            .collect();
        Self(Arc::new(Shared {
            crawler,
            scheduler: OnceLock::new(),
            engine,
            slots: Slots::new(
                config.sparql.max_concurrent,
                config.sparql.max_per_client,
                config.sparql.max_queued_per_client,
            ),
            workers,
            quick: Arc::new(quick::QuickQueries::new(Duration::from_millis(
                config.sparql.quick_cpu_ms,
            ))),
            trusted_proxies,
            saved: Arc::new(saved),
            saved_results: Arc::default(),
            metrics: Arc::new(Metrics::default()),
            config: Arc::new(config),
            downstream,
            background: tokio::runtime::Handle::try_current().ok(),
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

    /// Whether queries are evaluated in worker processes.
    pub fn isolated(&self) -> bool {
        self.workers.is_some()
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

    /// Runs `work` on the runtime the state was made on (not on an HTTP thread) and waits.
    pub(crate) async fn in_background<T: Send + 'static>(
        &self,
        work: impl std::future::Future<Output = T> + Send + 'static,
    ) -> Result<T, tokio::task::JoinError> {
        match &self.background {
            Some(runtime) => runtime.spawn(work).await,
            None => tokio::spawn(work).await,
        }
    }
}

/// The query views on the change feed and the worker pool reading them; None (logged) when they
/// cannot be made, and queries then run on threads.
fn start_workers(
    config: &Config,
    downstream: &Downstream,
    engine: &Engine,
    program: PathBuf,
    services: Vec<String>,
) -> Option<Pool> {
    let started = (|| {
        let views = Arc::new(QueryViews::open(&config.data_dir.join("views"))?);
        use crate::graph::feed::Consumer;
        views
            .catch_up(downstream.graph())
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        downstream.feed().add(views.clone());
        let settings = PoolSettings {
            program,
            memory: config.sparql.worker_memory_mb << 20,
            prewarm: config.sparql.max_per_client.min(4),
            services,
        };
        Pool::new(settings, engine.clone(), views)
    })();
    match started {
        Ok(pool) => Some(pool),
        Err(error) => {
            tracing::error!(%error, "query workers not started; queries run on threads");
            None
        }
    }
}

/// The application's routes, without binding a socket (tests use this with their own listener).
pub fn router(state: AppState) -> Router {
    let config = &state.config;
    let query_body = DefaultBodyLimit::max(query_body_limit(config));
    let public = Router::new()
        .route(
            "/sparql",
            get(sparql::get).post(sparql::post).layer(query_body),
        )
        .route("/api/queries", get(api::list_queries))
        .route("/api/queries/{name}", get(api::run_query))
        .route("/api/search", get(search::search))
        .route("/api/sources", get(sources::list))
        .route("/api/sources/{id}/history", get(changes::history))
        // The change history and its Atom feed (public, like the events in the graph).
        .route("/api/changes", get(changes::list))
        .route("/api/changes/{id}", get(changes::get))
        .route("/feeds/changes.atom", get(changes::feed))
        // The discovery review queue; track and dismiss are admin routes.
        .route("/api/discoveries", get(discoveries::list))
        .route("/api/discoveries/{id}", get(discoveries::get))
        .route(
            "/api/export/oscal/catalog/{framework}",
            get(export::oscal_catalog),
        )
        .route("/api/export/oscal/mapping", get(export::oscal_mapping))
        .route("/api/export/sssom", get(export::sssom_export))
        .route("/api/export/queries/{file}", get(export::saved_query))
        .route("/api/export/{file}", get(export::table))
        .route("/api/questionnaire.md", get(export::questionnaire_md))
        .route("/api/questionnaire.csv", get(export::questionnaire_csv))
        .route("/api/questionnaire.xlsx", get(export::questionnaire_xlsx))
        .route("/dump.nq.gz", get(export::dump_nquads))
        .route("/dump.trig.gz", get(export::dump_trig))
        .route("/.well-known/void", get(export::void))
        .route("/feeds/s/{file}", get(alerts::private_feed))
        .route(
            "/api/unsubscribe/{token}",
            get(alerts::unsubscribe_page).post(alerts::unsubscribe),
        )
        .route("/healthz", get(api::healthz))
        .route("/metrics", get(metrics::render));
    // The analyst web UI (`crate::web`): pages at `/`, the resource IRI paths and the assets.
    let web = crate::web::Web::new(
        state.engine.clone(),
        state.search().cloned(),
        state.saved.clone(),
        state.crawler().map(|c| c.state().clone()),
    );
    public
        .merge(crate::web::routes(web))
        .merge(admin_routes(&state))
        .layer(tower_http::timeout::RequestBodyTimeoutLayer::new(
            config.http.write_timeout(),
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            metrics::track,
        ))
        .layer(CorsLayer::permissive())
        .with_state(state)
}

/// Every route that needs the admin bearer token, behind one layer that checks it
/// (`auth::require_admin`): a handler added here cannot forget the check, and a route needing
/// the token belongs nowhere else. Without a configured token they all answer 404.
pub fn admin_routes(state: &AppState) -> Router<AppState> {
    let query_body = DefaultBodyLimit::max(query_body_limit(&state.config));
    Router::new()
        .route("/sparql/update", post(sparql::update).layer(query_body))
        .route("/api/sources", post(sources::add))
        .route("/api/sources/{id}", delete(sources::remove))
        .route("/api/sources/{id}/pause", post(sources::pause))
        .route("/api/sources/{id}/resume", post(sources::resume))
        .route("/api/crawl", post(crawl::crawl))
        .route("/api/discoveries/{id}/track", post(discoveries::track))
        .route("/api/discoveries/{id}/dismiss", post(discoveries::dismiss))
        .route(
            "/api/import/mappings",
            post(export::import_mappings).layer(DefaultBodyLimit::max(crate::import::MAX_BYTES)),
        )
        .route("/api/admin/backup", post(admin::backup))
        .route("/api/admin/retention", post(admin::retention))
        .route("/api/subscriptions", post(alerts::create).get(alerts::list))
        .route(
            "/api/subscriptions/{id}",
            get(alerts::get).patch(alerts::patch).delete(alerts::remove),
        )
        .route(
            "/api/subscriptions/{id}/rotate-secret",
            post(alerts::rotate_secret),
        )
        .route("/api/subscriptions/{id}/test", post(alerts::test))
        .route("/api/subscriptions/{id}/digest", post(alerts::digest))
        .route(
            "/api/subscriptions/{id}/deliveries",
            get(alerts::deliveries),
        )
        .route("/api/deliveries/{id}/retry", post(alerts::retry))
        .layer(DefaultBodyLimit::max(state.config.http.max_json_bytes))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::require_admin,
        ))
}

/// A SPARQL request body: the query (or update) at its size limit, URL-encoded (up to three
/// bytes per byte), with room for the other form parameters.
fn query_body_limit(config: &Config) -> usize {
    config.sparql.max_query_bytes.saturating_mul(3) + 16 * 1024
}

/// Serves on `listener` until Ctrl-C / SIGTERM, keeping everything downstream of the graph in
/// step with it, running the crawl schedules (unless `crawl.schedule` is off) and the retention
/// job (unless `retention.enabled` is off). On the signal, requests in flight get
/// `http.shutdown_grace_secs` to finish; then connections are closed and workers killed.
pub async fn serve(state: AppState, listener: tokio::net::TcpListener) -> Result<(), ServeError> {
    raise_file_limit();
    // Any write (a crawl, an update) reaches the derived stores through this watcher; handlers
    // that acknowledge writes also settle the feed themselves before answering.
    let _watch = state.feed().watch();
    start_schedules(&state).await;
    let retention = admin::start_retention(&state);
    let alerts = start_alerts(&state);
    // This runtime keeps the schedules and the watcher; requests go to the HTTP threads.
    let count = state.config.http_threads;
    let threads = Threads::start(
        router(state.clone()),
        listener,
        count,
        threads::Limits::from_config(&state.config.http),
        state.metrics.clone(),
    )?;
    shutdown_signal().await;
    let grace = state.config.http.shutdown_grace();
    tracing::info!(?grace, "shutting down: finishing the requests in flight");
    threads.stop().await;
    if let Some(pool) = &state.workers {
        pool.shutdown();
    }
    if let Some(retention) = retention {
        retention.abort();
    }
    for task in alerts {
        task.abort();
    }
    if let Some(scheduler) = state.scheduler.get()
        && tokio::time::timeout(grace, scheduler.shutdown())
            .await
            .is_err()
    {
        tracing::warn!("crawl schedules did not stop within the grace");
    }
    Ok(())
}

/// Lets the process open as many files as its hard limit allows: every connection is one, and
/// RocksDB sizes its table cache from the limit.
fn raise_file_limit() {
    use rustix::process::{Resource, getrlimit, setrlimit};
    let limit = getrlimit(Resource::Nofile);
    if limit.current != limit.maximum {
        let raised = rustix::process::Rlimit {
            current: limit.maximum,
            maximum: limit.maximum,
        };
        if let Err(error) = setrlimit(Resource::Nofile, raised) {
            tracing::debug!(%error, "open-file limit not raised");
        }
    }
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

/// Starts the alert dispatcher and the daily run of the outbox (deadline reminders come due
/// without a graph change); nothing when `alerts.enabled` is off.
fn start_alerts(state: &AppState) -> Vec<tokio::task::JoinHandle<()>> {
    let Some(outbox) = state.downstream.outbox().cloned() else {
        return Vec::new();
    };
    let dispatcher = crate::alerts::dispatch::start(outbox.alerts().clone());
    let graph = state.graph().clone();
    let daily = tokio::spawn(async move {
        let mut interval = tokio::time::interval(std::time::Duration::from_secs(86_400));
        interval.tick().await;
        loop {
            interval.tick().await;
            let (outbox, graph) = (outbox.clone(), graph.clone());
            match tokio::task::spawn_blocking(move || outbox.run(&graph)).await {
                Ok(Err(error)) => tracing::error!(%error, "daily alert check"),
                Err(error) => tracing::error!(%error, "daily alert check"),
                Ok(Ok(_)) => {}
            }
        }
    });
    vec![dispatcher, daily]
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
