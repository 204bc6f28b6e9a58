//! `crosswalk crawl …`: arguments, the progress bar and the summary table. The work itself is
//! in `crosswalk::crawl`; what a crawl wrote reaches everything downstream (derived graph,
//! search index) through the store's change feed before the command returns, exactly as a crawl
//! through `POST /api/crawl` does.

use clap::Args;
use crosswalk::config::Config;
use crosswalk::crawl::{CrawlReport, Crawler, Outcome};
use crosswalk::source;
use std::process::ExitCode;

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

/// Exit status 1 when any source failed, so cron wrappers notice.
pub fn crawl(config: &Config, args: CrawlArgs) -> Result<ExitCode, String> {
    if args.source.is_none() && !args.all {
        return Err("give --source ID or --all".into());
    }
    let endpoint = "POST /api/crawl with {\"source\": ID} or {\"all\": true} (admin bearer token)";
    let opened = crate::open_with_hint(config, endpoint)?;
    let graph = &opened.graph;
    let crawler = Crawler::new(graph.clone(), config).map_err(|e| e.to_string())?;
    let runtime = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    let reports = runtime.block_on(async {
        match &args.source {
            Some(id) => crawler.crawl_source(id).await.map(|r| vec![r]),
            None => {
                let total = source::list(graph)
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
    opened.catch_up().map_err(|e| e.to_string())?;
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
