//! `crosswalk discoveries …`: the review queue of documents official channels and listings
//! found. The work is in `crosswalk::crawl::discovery`; a tracked discovery reaches everything
//! downstream through the store's change feed before the command returns.

use clap::Subcommand;
use crosswalk::config::Config;
use crosswalk::crawl::discovery::{self, Filter, Status, TrackOptions};
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum DiscoveriesCommand {
    /// List discovered documents (pending ones unless --status says otherwise)
    List {
        /// pending, tracked, dismissed or all
        #[arg(long, default_value = "pending")]
        status: String,
        /// Only those found by this source
        #[arg(long)]
        source: Option<String>,
        /// Only this jurisdiction (US, EU, SG, …)
        #[arg(long)]
        jurisdiction: Option<String>,
        /// One JSON object per discovery
        #[arg(long)]
        json: bool,
    },
    /// Track a discovered document: register it as a source (with an instrument stub)
    Track {
        id: String,
        /// Source slug [default: from the document]
        #[arg(long = "as")]
        source_id: Option<String>,
        /// Instrument IRI instead of a new stub
        #[arg(long)]
        instrument: Option<String>,
        /// Six-field cron [default: "0 0 4 * * *"]
        #[arg(long)]
        schedule: Option<String>,
    },
    /// Dismiss a discovered document
    Dismiss { id: String },
}

pub fn discoveries(config: &Config, command: DiscoveriesCommand) -> Result<ExitCode, String> {
    let endpoint = match &command {
        DiscoveriesCommand::List { .. } => "GET /api/discoveries",
        DiscoveriesCommand::Track { .. } => "POST /api/discoveries/{id}/track (admin bearer token)",
        DiscoveriesCommand::Dismiss { .. } => {
            "POST /api/discoveries/{id}/dismiss (admin bearer token)"
        }
    };
    let opened = crate::open_with_hint(config, endpoint)?;
    let graph = &opened.graph;
    match command {
        DiscoveriesCommand::List {
            status,
            source,
            jurisdiction,
            json,
        } => {
            let status = match status.as_str() {
                "all" => None,
                "pending" => Some(Status::Pending),
                "tracked" => Some(Status::Tracked),
                "dismissed" => Some(Status::Dismissed),
                other => {
                    return Err(format!(
                        "--status {other:?}: expected pending, tracked, dismissed or all"
                    ));
                }
            };
            let filter = Filter {
                status,
                source,
                jurisdiction,
            };
            for d in discovery::list(graph, &filter).map_err(|e| e.to_string())? {
                if json {
                    println!("{}", serde_json::to_string(&d).map_err(|e| e.to_string())?);
                } else {
                    println!(
                        "{:<34} {:<9} {:<4} {:<10} {:<16} {}  <{}>",
                        d.id,
                        d.status.as_str(),
                        d.jurisdiction.as_deref().unwrap_or("-"),
                        d.date.as_deref().unwrap_or("-"),
                        d.suggested_kind,
                        d.title,
                        d.url.as_deref().unwrap_or("")
                    );
                }
            }
        }
        DiscoveriesCommand::Track {
            id,
            source_id,
            instrument,
            schedule,
        } => {
            let (tracked, source) = discovery::track(
                graph,
                &id,
                TrackOptions {
                    id: source_id,
                    instrument,
                    schedule,
                    language: None,
                },
            )
            .map_err(|e| e.to_string())?;
            println!(
                "tracked {} as source {} ({}, {})",
                tracked.id,
                source.id,
                source.channel.kind.as_str(),
                source.url
            );
            if let Some(instrument) = &source.instrument {
                println!("instrument: {instrument}");
            }
        }
        DiscoveriesCommand::Dismiss { id } => {
            discovery::dismiss(graph, &id).map_err(|e| e.to_string())?;
            println!("dismissed {id}");
        }
    }
    opened.catch_up().map_err(|e| e.to_string())?;
    Ok(ExitCode::SUCCESS)
}
