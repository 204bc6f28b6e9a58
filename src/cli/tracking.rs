//! `crosswalk sources …` and `crosswalk crawl …`: argument types, the progress bar and the
//! summary table. The work itself is in `crosswalk::source` and `crosswalk::crawl`.

use clap::{Args, Subcommand};
use crosswalk::config::Config;
use crosswalk::crawl::{CrawlReport, Crawler, Outcome};
use crosswalk::graph::{Graph, GraphError};
use crosswalk::source::{self, Format, NewSource};
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum SourcesCommand {
    /// List tracked sources with their settings and state
    List {
        /// One JSON object per source
        #[arg(long)]
        json: bool,
    },
    /// Track a new URL (creates an instrument stub when --instrument is absent)
    Add(Box<AddArgs>),
    /// Stop tracking a source added at run time (seeded sources can only be paused)
    Remove { id: String },
    /// Stop crawling a source (seeded or not) until resumed
    Pause { id: String },
    /// Crawl a paused source again
    Resume { id: String },
}

#[derive(Args)]
pub struct AddArgs {
    url: String,
    /// Jurisdiction code: SG, MY, ID, EU, US, INTL, …
    #[arg(long)]
    jurisdiction: String,
    /// IRI of the instrument this source is a text of
    #[arg(long)]
    instrument: Option<String>,
    /// html or pdf [default: from the URL]
    #[arg(long)]
    format: Option<String>,
    /// CSS selector of the content region
    #[arg(long = "select")]
    select: Option<String>,
    /// CSS selector of parts to drop inside the region
    #[arg(long)]
    exclude: Option<String>,
    /// Document language (en, id, ms, …)
    #[arg(long)]
    language: Option<String>,
    /// Six-field cron, seconds first [default: "0 0 4 * * *"]
    #[arg(long)]
    schedule: Option<String>,
    #[arg(long)]
    title: Option<String>,
    /// Identifier (slug) [default: from the URL]
    #[arg(long)]
    id: Option<String>,
}

#[derive(Args)]
pub struct CrawlArgs {
    /// Crawl this source (even when paused)
    #[arg(long, conflicts_with = "all")]
    source: Option<String>,
    /// Crawl every enabled source
    #[arg(long)]
    all: bool,
    /// One JSON object per source instead of the table
    #[arg(long)]
    json: bool,
}

/// Opens the store; while the server holds it, say which endpoint does the same.
fn open(config: &Config, endpoint: &str) -> Result<Graph, String> {
    match crosswalk::open_graph(config) {
        Ok((graph, _)) => Ok(graph),
        Err(error @ GraphError::Locked { .. }) => Err(format!(
            "{error}\nWhile `crosswalk serve` runs, use its admin API instead: {endpoint}"
        )),
        Err(error) => Err(error.to_string()),
    }
}

pub fn sources(config: &Config, command: SourcesCommand) -> Result<ExitCode, String> {
    let endpoint = match &command {
        SourcesCommand::List { .. } => "GET /api/sources",
        SourcesCommand::Add(_) => "POST /api/sources (JSON body, admin bearer token)",
        SourcesCommand::Remove { .. } => "DELETE /api/sources/{id} (admin bearer token)",
        SourcesCommand::Pause { .. } => "POST /api/sources/{id}/pause (admin bearer token)",
        SourcesCommand::Resume { .. } => "POST /api/sources/{id}/resume (admin bearer token)",
    };
    let graph = open(config, endpoint)?;
    match command {
        SourcesCommand::List { json } => {
            let ops = crosswalk::ops::Ops::open_in(&config.data_dir).map_err(|e| e.to_string())?;
            for s in source::list(&graph).map_err(|e| e.to_string())? {
                let state = ops.state(&s.id).map_err(|e| e.to_string())?;
                if json {
                    let mut value = serde_json::to_value(&s).map_err(|e| e.to_string())?;
                    if let Some(map) = value.as_object_mut() {
                        map.insert("last_outcome".into(), state.last_outcome.clone().into());
                        map.insert("last_reason".into(), state.last_reason.clone().into());
                    }
                    println!("{value}");
                } else {
                    println!(
                        "{:<44} {:<8} {:<4} {:<18} {:<10} {}",
                        s.id,
                        if s.enabled { "enabled" } else { "paused" },
                        s.format.as_str(),
                        s.schedule.as_deref().unwrap_or("-"),
                        state.last_outcome.as_deref().unwrap_or("never"),
                        s.url
                    );
                }
            }
        }
        SourcesCommand::Add(args) => {
            let args = *args;
            let format = args
                .format
                .map(|f| f.parse::<Format>())
                .transpose()
                .map_err(|e| e.to_string())?;
            let added = source::add(
                &graph,
                NewSource {
                    url: args.url,
                    jurisdiction: args.jurisdiction,
                    instrument: args.instrument,
                    format,
                    include_selector: args.select,
                    exclude_selector: args.exclude,
                    language: args.language,
                    schedule: args.schedule,
                    title: args.title,
                    id: args.id,
                },
            )
            .map_err(|e| e.to_string())?;
            println!("added {} ({})", added.id, added.url);
            if let Some(instrument) = &added.instrument {
                println!("instrument: {instrument}");
            }
        }
        SourcesCommand::Remove { id } => {
            source::remove(&graph, &id).map_err(|e| e.to_string())?;
            let ops = crosswalk::ops::Ops::open_in(&config.data_dir).map_err(|e| e.to_string())?;
            ops.forget_source(&id).map_err(|e| e.to_string())?;
            println!("removed {id}");
        }
        SourcesCommand::Pause { id } => {
            source::set_enabled(&graph, &id, false).map_err(|e| e.to_string())?;
            println!("paused {id}");
        }
        SourcesCommand::Resume { id } => {
            source::set_enabled(&graph, &id, true).map_err(|e| e.to_string())?;
            println!("resumed {id}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Exit status 1 when any source failed, so cron wrappers notice.
pub fn crawl(config: &Config, args: CrawlArgs) -> Result<ExitCode, String> {
    if args.source.is_none() && !args.all {
        return Err("give --source ID or --all".into());
    }
    let endpoint = "POST /api/crawl with {\"source\": ID} or {\"all\": true} (admin bearer token)";
    let graph = open(config, endpoint)?;
    let crawler = Crawler::new(graph.clone(), config).map_err(|e| e.to_string())?;
    let runtime = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    let reports = runtime.block_on(async {
        match &args.source {
            Some(id) => crawler.crawl_source(id).await.map(|r| vec![r]),
            None => {
                let total = source::list(&graph)
                    .map(|s| s.iter().filter(|s| s.enabled).count())
                    .unwrap_or(0);
                let bar = indicatif::ProgressBar::new(total as u64);
                bar.set_style(
                    indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} {msg}")
                        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
                );
                let result = crawler
                    .crawl_all(|r| {
                        bar.inc(1);
                        bar.set_message(format!("{} {}", r.source, r.outcome.as_str()));
                    })
                    .await;
                bar.finish_and_clear();
                result
            }
        }
    });
    let reports = reports.map_err(|e| e.to_string())?;
    crosswalk::graph::derive::refresh(&graph).map_err(|e| e.to_string())?;
    if args.json {
        for report in &reports {
            println!(
                "{}",
                serde_json::to_string(report).map_err(|e| e.to_string())?
            );
        }
    } else {
        print_table(&reports);
    }
    Ok(if reports.iter().any(|r| r.outcome == Outcome::Failed) {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

fn print_table(reports: &[CrawlReport]) {
    println!(
        "{:<44} {:<10} {:>4} {:>6} {:>6} {:>8}  reason",
        "source", "outcome", "http", "prov", "oblig", "changes"
    );
    for r in reports {
        println!(
            "{:<44} {:<10} {:>4} {:>6} {:>6} {:>8}  {}",
            r.source,
            r.outcome.as_str(),
            r.http_status
                .map(|s| s.to_string())
                .unwrap_or_else(|| "-".into()),
            r.provisions,
            r.obligations,
            format!("{}/{}", r.material_changes, r.changes),
            r.reason.as_deref().unwrap_or("")
        );
    }
    let count = |o: Outcome| reports.iter().filter(|r| r.outcome == o).count();
    println!(
        "\nfetched {}, unchanged {}, changed {}, failed {}, deferred {} (changes: material/all)",
        count(Outcome::Fetched),
        count(Outcome::Unchanged),
        count(Outcome::Changed),
        count(Outcome::Failed),
        count(Outcome::Deferred)
    );
}
