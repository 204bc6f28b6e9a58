//! The `crosswalk` command: parses arguments and wires the library's modules.

#[path = "cli/crawl.rs"]
mod crawl;
#[path = "cli/discoveries.rs"]
mod discoveries;
#[path = "cli/export.rs"]
mod exports;
#[path = "cli/search.rs"]
mod search;
#[path = "cli/sources.rs"]
mod sources;
#[path = "cli/subscriptions.rs"]
mod subscriptions;

use clap::{Args, Parser, Subcommand};
use crosswalk::config::Config;
use crosswalk::downstream::{self, Opened};
use crosswalk::graph::{self, Graph};
use crosswalk::server::{self, AppState};
use crosswalk::sparql::format::{self, OutputFormat};
use crosswalk::sparql::saved::SavedQueries;
use crosswalk::sparql::{DatasetRequest, Engine, Limits};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "crosswalk",
    version,
    about = "AI-governance law and policy as a knowledge graph"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Options every subcommand accepts.
#[derive(Args, Clone)]
struct Common {
    /// Data directory (graph, index, snapshots) [env: CROSSWALK_DATA_DIR] [default: ./data]
    #[arg(long, global = true)]
    data: Option<PathBuf>,
    /// TOML configuration file
    #[arg(long, global = true, env = "CROSSWALK_CONFIG")]
    config: Option<PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP service (SPARQL, saved queries, metrics) with the seeds loaded
    Serve {
        #[command(flatten)]
        common: Common,
        /// Listen address [env: CROSSWALK_BIND] [default: 127.0.0.1:7878]
        #[arg(long)]
        bind: Option<std::net::SocketAddr>,
    },
    /// Load RDF files (Turtle, N-Triples, N-Quads, TriG, RDF/XML, JSON-LD), one named graph each
    Load {
        #[command(flatten)]
        common: Common,
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Check the ontology and seed files against the constraints; non-zero exit on any violation
    Validate {
        #[command(flatten)]
        common: Common,
        /// Seed directory to check instead of the configured one
        #[arg(long)]
        seeds: Option<PathBuf>,
    },
    /// Run a SPARQL query (text, or @file) against the store
    Sparql {
        #[command(flatten)]
        common: Common,
        query: String,
        /// json, xml, csv, tsv (SELECT/ASK); turtle, ntriples, rdfxml, jsonld, nquads, trig (graphs)
        #[arg(long)]
        format: Option<String>,
    },
    /// Run a saved query from queries/ with typed parameters
    Query {
        #[command(flatten)]
        common: Common,
        /// Saved query name; omit to list them
        name: Option<String>,
        /// Parameter as key=value (repeatable)
        #[arg(long = "param", short = 'p')]
        params: Vec<String>,
        #[arg(long)]
        format: Option<String>,
    },
    /// Full-text search over requirements, provisions, instruments and themes
    Search {
        #[command(flatten)]
        common: Common,
        #[command(flatten)]
        args: search::SearchArgs,
    },
    /// Rebuild the search index from the graph from scratch
    Reindex {
        #[command(flatten)]
        common: Common,
    },
    /// Manage tracked sources (the crawler's registry)
    Sources {
        #[command(flatten)]
        common: Common,
        #[command(subcommand)]
        command: sources::SourcesCommand,
    },
    /// Manage alert subscriptions (webhooks, e-mail, private Atom feeds)
    Subscriptions {
        #[command(flatten)]
        common: Common,
        #[command(subcommand)]
        command: subscriptions::SubscriptionsCommand,
    },
    /// Fetch tracked sources now: robots.txt, conditional GET, extraction, change detection
    Crawl {
        #[command(flatten)]
        common: Common,
        #[command(flatten)]
        args: crawl::CrawlArgs,
    },
    /// Review documents that official channels and listings discovered
    Discoveries {
        #[command(flatten)]
        common: Common,
        #[command(subcommand)]
        command: discoveries::DiscoveriesCommand,
    },
    /// Export the dataset, OSCAL catalogs and mappings, SSSOM, or obligation spreadsheets
    Export {
        #[command(flatten)]
        common: Common,
        /// Without a subcommand: the whole dataset in this format (`export graph --format …`)
        #[arg(long)]
        format: Option<String>,
        #[command(subcommand)]
        command: Option<exports::ExportCommand>,
    },
    /// Import mappings (OSCAL control mapping or SSSOM/TSV) into their own named graph
    Import {
        #[command(flatten)]
        common: Common,
        #[command(subcommand)]
        command: exports::ImportCommand,
    },
    /// A de-duplicated vendor questionnaire for chosen frameworks, jurisdictions and a buyer role
    Questionnaire {
        #[command(flatten)]
        common: Common,
        #[command(flatten)]
        args: exports::QuestionnaireArgs,
    },
    /// Copy the store, the ops database and the snapshots into DIR (a new directory) while
    /// nothing else holds them; with `crosswalk serve` running, use POST /api/admin/backup
    Backup {
        #[command(flatten)]
        common: Common,
        dir: PathBuf,
    },
    /// Bring a backup made by `backup` (or POST /api/admin/backup) back into an empty data directory
    Restore {
        #[command(flatten)]
        common: Common,
        dir: PathBuf,
    },
    /// Delete old fetch records and unreferenced snapshot files (README "Retention")
    Retention {
        #[command(flatten)]
        common: Common,
        /// Count what would be deleted, delete nothing
        #[arg(long)]
        dry_run: bool,
        /// Unchanged fetches kept per source [default: retention.keep_unchanged]
        #[arg(long)]
        keep_unchanged: Option<usize>,
    },
    /// Sandbox child: parse a PDF from stdin, write its page texts as JSON to stdout
    #[command(hide = true)]
    ExtractPdf,
    /// Query worker: evaluate queries sent over the socket on stdin (see sparql::worker)
    #[command(hide = true)]
    SparqlWorker {
        /// Address-space limit in bytes
        #[arg(long)]
        memory: u64,
    },
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("CROSSWALK_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    match run(Cli::parse().command) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn load_config(common: &Common) -> Result<Config, String> {
    let mut config = Config::load(common.config.as_deref()).map_err(|e| e.to_string())?;
    if let Some(data) = &common.data {
        config.data_dir = data.clone();
    }
    Ok(config)
}

fn engine(config: &Config, graph: Graph) -> Engine {
    Engine::new(
        graph,
        Limits {
            timeout: config.query_timeout(),
            max_rows: config.sparql.max_rows,
            max_query_bytes: config.sparql.max_query_bytes,
        },
    )
}

/// Opens the store with everything downstream caught up; `endpoint` names what to use instead
/// while `crosswalk serve` holds the store.
pub(crate) fn open_with_hint(config: &Config, endpoint: &str) -> Result<Opened, String> {
    let opened = downstream::open(config).map_err(|error| match error {
        downstream::DownstreamError::Graph(locked @ graph::GraphError::Locked { .. }) => {
            format!("{locked}\nWhile `crosswalk serve` runs, use its HTTP API instead: {endpoint}")
        }
        other => other.to_string(),
    })?;
    for (file, error) in &opened.seeds.errors {
        tracing::error!(
            file,
            error,
            "seed file not loaded; its previous graph is kept"
        );
    }
    Ok(opened)
}

fn open(config: &Config, endpoint: &str) -> Result<Graph, String> {
    open_with_hint(config, endpoint).map(|opened| opened.graph)
}

fn run(command: Command) -> Result<ExitCode, String> {
    match command {
        Command::ExtractPdf => {
            crosswalk::extract::pdf::run_child(std::io::stdin().lock(), std::io::stdout().lock())
                .map_err(|e| e.to_string())?;
            Ok(ExitCode::SUCCESS)
        }
        Command::SparqlWorker { memory } => {
            use std::os::fd::AsFd;
            let socket = std::io::stdin()
                .as_fd()
                .try_clone_to_owned()
                .map(std::os::unix::net::UnixStream::from)
                .map_err(|e| e.to_string())?;
            crosswalk::sparql::worker::run_child(socket, memory).map_err(|e| e.to_string())?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Backup { common, dir } => {
            let config = load_config(&common)?;
            let graph = open(&config, "POST /api/admin/backup (admin bearer token)")?;
            let ops =
                crosswalk::opsdb::OpsDb::open_in(&config.data_dir).map_err(|e| e.to_string())?;
            let manifest = crosswalk::backup::create(&graph, &ops, &config.data_dir, &dir)
                .map_err(|e| e.to_string())?;
            println!(
                "backed up revision {} ({} quads, {} snapshots, ops rows {:?}) to {}",
                manifest.revision,
                manifest.quads,
                manifest.snapshots,
                manifest.ops_rows,
                dir.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Restore { common, dir } => {
            let config = load_config(&common)?;
            let manifest =
                crosswalk::backup::restore(&dir, &config.data_dir).map_err(|e| e.to_string())?;
            println!(
                "restored revision {} ({} quads, {} snapshots checked, ops rows {:?}) into {}",
                manifest.revision,
                manifest.quads,
                manifest.snapshots,
                manifest.ops_rows,
                config.data_dir.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Retention {
            common,
            dry_run,
            keep_unchanged,
        } => {
            let config = load_config(&common)?;
            let opened = open_with_hint(&config, "POST /api/admin/retention (admin bearer token)")?;
            let ops =
                crosswalk::opsdb::OpsDb::open_in(&config.data_dir).map_err(|e| e.to_string())?;
            let state = crosswalk::crawl::state::CrawlState::new(ops).map_err(|e| e.to_string())?;
            let mut policy = crosswalk::retention::Policy::from_config(&config.retention);
            policy.dry_run = dry_run;
            if let Some(keep) = keep_unchanged {
                policy.keep_unchanged = keep;
            }
            let report = crosswalk::retention::run(
                &opened.graph,
                &state,
                &config.data_dir.join("snapshots"),
                &policy,
            )
            .map_err(|e| e.to_string())?;
            opened.catch_up().map_err(|e| e.to_string())?;
            println!(
                "{}{} fetch records deleted ({} kept), {} snapshot records, {} snapshot files ({} bytes)",
                if dry_run { "dry run: " } else { "" },
                report.fetch_records_deleted,
                report.fetch_records_kept,
                report.snapshot_records_deleted,
                report.snapshot_files_deleted,
                report.snapshot_bytes_freed
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Serve { common, bind } => {
            let mut config = load_config(&common)?;
            if let Some(bind) = bind {
                config.bind = bind;
            }
            let opened = open_with_hint(&config, "stop the other server first")?;
            let saved = SavedQueries::load(&config.queries_dir).map_err(|e| e.to_string())?;
            let program = std::env::current_exe().map_err(|e| e.to_string())?;
            let runtime = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
            let served = runtime.block_on(async {
                let listener = server::bind(&config).await.map_err(|e| e.to_string())?;
                let addr = listener.local_addr().map_err(|e| e.to_string())?;
                let data = config.data_dir.display().to_string();
                let state = AppState::with_workers(config, opened.downstream, saved, program);
                tracing::info!(%addr, data, isolated = state.isolated(), "serving: SPARQL at http://{addr}/sparql");
                server::serve(state, listener).await.map_err(|e| e.to_string())
            });
            // What still runs (a crawl's blocking step) is abandoned rather than waited for, so
            // the shutdown bound holds; every store write is atomic, a cut one is not applied.
            runtime.shutdown_timeout(std::time::Duration::from_secs(1));
            served?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Load { common, files } => {
            let config = load_config(&common)?;
            let opened = open_with_hint(&config, "POST /sparql/update (admin bearer token)")?;
            for file in files {
                let triples = graph::load_file(&opened.graph, &file).map_err(|e| e.to_string())?;
                println!("{}: {triples} quads", file.display());
            }
            opened.catch_up().map_err(|e| e.to_string())?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Validate { common, seeds } => {
            let mut config = load_config(&common)?;
            if let Some(seeds) = seeds {
                config.seeds_dir = seeds;
            }
            let report = crosswalk::validate::validate_files(
                &crosswalk::seed_roots(&config),
                &config.queries_dir.join("checks"),
            )
            .map_err(|e| e.to_string())?;
            for (file, error) in &report.seed_errors {
                println!("PARSE ERROR  {file}: {error}");
            }
            for v in &report.violations {
                println!("VIOLATION  [{}] {}  {}", v.check, v.node, v.message);
            }
            for w in &report.warnings {
                println!("WARNING  [{}] {}  {}", w.check, w.node, w.message);
            }
            println!(
                "{} checks, {} violations, {} warnings, {} unparseable files",
                report.checks_run,
                report.violations.len(),
                report.warnings.len(),
                report.seed_errors.len()
            );
            Ok(if report.passed() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        Command::Sparql {
            common,
            query,
            format,
        } => {
            let config = load_config(&common)?;
            let text = match query.strip_prefix('@') {
                Some(path) => std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?,
                None => query,
            };
            let engine = engine(&config, open(&config, "POST /sparql")?);
            let prepared = engine
                .prepare(&text, &DatasetRequest::default())
                .map_err(|e| e.to_string())?;
            print_results(&engine, prepared, format.as_deref())
        }
        Command::Query {
            common,
            name,
            params,
            format,
        } => {
            let config = load_config(&common)?;
            let saved = SavedQueries::load(&config.queries_dir).map_err(|e| e.to_string())?;
            let Some(name) = name else {
                for q in saved.list() {
                    let params: Vec<_> = q.parameters.iter().map(|p| p.name.as_str()).collect();
                    println!("{:<40} {}  [{}]", q.name, q.title, params.join(", "));
                }
                return Ok(ExitCode::SUCCESS);
            };
            let query = saved.get(&name).map_err(|e| e.to_string())?;
            let pairs = key_values(&params)?;
            let graph = open(&config, "GET /api/queries/{name}")?;
            let codes = graph::codes::Codes::load(&graph).map_err(|e| e.to_string())?;
            let bindings = query
                .checked_bindings(pairs, &codes)
                .map_err(|e| e.to_string())?;
            let engine = engine(&config, graph);
            let mut prepared = engine
                .prepare(&query.text, &DatasetRequest::default())
                .map_err(|e| e.to_string())?;
            for (variable, term) in bindings {
                prepared = prepared.bind(variable, term);
            }
            print_results(&engine, prepared, format.as_deref())
        }
        Command::Search { common, args } => {
            let config = load_config(&common)?;
            search::search(&open_with_hint(&config, "GET /api/search")?, args)
        }
        Command::Reindex { common } => {
            let config = load_config(&common)?;
            search::reindex(&open_with_hint(&config, "stop the server first")?)
        }
        Command::Sources { common, command } => sources::sources(&load_config(&common)?, command),
        Command::Subscriptions { common, command } => {
            subscriptions::subscriptions(&load_config(&common)?, command)
        }
        Command::Crawl { common, args } => crawl::crawl(&load_config(&common)?, args),
        Command::Discoveries { common, command } => {
            discoveries::discoveries(&load_config(&common)?, command)
        }
        Command::Export {
            common,
            format,
            command,
        } => {
            let config = load_config(&common)?;
            let command = exports::ExportCommand::or_graph(command, format)?;
            let graph = open(&config, command.endpoint())?;
            let engine = engine(&config, graph.clone());
            exports::export(&config, &graph, &engine, command)
        }
        Command::Import { common, command } => {
            let config = load_config(&common)?;
            let opened = open_with_hint(&config, "POST /api/import/mappings (admin bearer token)")?;
            exports::import_mappings(&opened, command)
        }
        Command::Questionnaire { common, args } => {
            let config = load_config(&common)?;
            exports::questionnaire(
                &open(&config, "GET /api/questionnaire.{md,csv,xlsx}")?,
                args,
            )
        }
    }
}

fn print_results(
    engine: &Engine,
    prepared: crosswalk::sparql::Prepared,
    format: Option<&str>,
) -> Result<ExitCode, String> {
    let default = match prepared.form() {
        crosswalk::sparql::QueryForm::Graph => "turtle",
        _ => "tsv",
    };
    let chosen: OutputFormat = format::by_name(prepared.form(), format.unwrap_or(default))
        .ok_or_else(|| {
            format!(
                "format {:?} does not fit this query form",
                format.unwrap_or(default)
            )
        })?;
    let summary = engine
        .run(prepared, chosen, std::io::stdout().lock())
        .map_err(|e| e.to_string())?;
    if summary.truncated {
        eprintln!(
            "(results cut at {} rows; raise sparql.max_rows to see more)",
            summary.rows
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `--param key=value` arguments as pairs.
fn key_values(params: &[String]) -> Result<Vec<(&str, &str)>, String> {
    params
        .iter()
        .map(|p| {
            p.split_once('=')
                .ok_or_else(|| format!("--param {p:?}: expected key=value"))
        })
        .collect()
}
