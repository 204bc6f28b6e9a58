//! `crosswalk sources …`: argument types and the listing. The work itself is in
//! `crosswalk::source`; the registry's changes reach everything downstream through the store's
//! change feed before the command returns.

use clap::{Args, Subcommand};
use crosswalk::config::Config;
use crosswalk::crawl::state::CrawlState;
use crosswalk::opsdb::OpsDb;
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

pub fn sources(config: &Config, command: SourcesCommand) -> Result<ExitCode, String> {
    let endpoint = match &command {
        SourcesCommand::List { .. } => "GET /api/sources",
        SourcesCommand::Add(_) => "POST /api/sources (JSON body, admin bearer token)",
        SourcesCommand::Remove { .. } => "DELETE /api/sources/{id} (admin bearer token)",
        SourcesCommand::Pause { .. } => "POST /api/sources/{id}/pause (admin bearer token)",
        SourcesCommand::Resume { .. } => "POST /api/sources/{id}/resume (admin bearer token)",
    };
    let opened = crate::open_with_hint(config, endpoint)?;
    let graph = &opened.graph;
    let crawl_state = || {
        OpsDb::open_in(&config.data_dir)
            .and_then(CrawlState::new)
            .map_err(|e| e.to_string())
    };
    match command {
        SourcesCommand::List { json } => {
            let crawl_state = crawl_state()?;
            for s in source::list(graph).map_err(|e| e.to_string())? {
                let state = crawl_state.get(&s.id).map_err(|e| e.to_string())?;
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
                        s.schedule.as_ref().map_or("(invalid)", |s| s.as_str()),
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
                graph,
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
            source::remove(graph, &id).map_err(|e| e.to_string())?;
            crawl_state()?.forget(&id).map_err(|e| e.to_string())?;
            println!("removed {id}");
        }
        SourcesCommand::Pause { id } => {
            source::set_enabled(graph, &id, false).map_err(|e| e.to_string())?;
            println!("paused {id}");
        }
        SourcesCommand::Resume { id } => {
            source::set_enabled(graph, &id, true).map_err(|e| e.to_string())?;
            println!("resumed {id}");
        }
    }
    opened.catch_up().map_err(|e| e.to_string())?;
    Ok(ExitCode::SUCCESS)
}
