//! `crosswalk search …` and `crosswalk reindex`: arguments and the result table. The work itself
//! is in `crosswalk::index`, on the index the store was opened with.

use clap::Args;
use crosswalk::downstream::Opened;
use crosswalk::index::{SearchIndex, SearchRequest, Sort};
use std::process::ExitCode;

/// The store's index, kept up to date by the change feed when the store was opened.
fn index(opened: &Opened) -> Result<&SearchIndex, String> {
    opened
        .downstream
        .index()
        .ok_or_else(|| "search is disabled (search.enabled = false)".to_owned())
}

#[derive(Args)]
pub struct SearchArgs {
    query: String,
    /// Jurisdiction code (repeatable: any of them)
    #[arg(long)]
    jurisdiction: Vec<String>,
    /// requirement, provision, control, instrument or theme (repeatable)
    #[arg(long)]
    kind: Vec<String>,
    /// Theme slug, e.g. content-provenance (repeatable)
    #[arg(long)]
    theme: Vec<String>,
    /// Legal status slug, e.g. binding-law (repeatable)
    #[arg(long)]
    status: Vec<String>,
    /// Addressee role slug, e.g. deployer (repeatable)
    #[arg(long)]
    role: Vec<String>,
    #[arg(long, default_value_t = 20)]
    limit: usize,
    #[arg(long, default_value_t = 0)]
    offset: usize,
    /// Sort newest first by applicability date instead of relevance
    #[arg(long)]
    by_date: bool,
    /// Search the literal words: do not read jurisdictions, roles or dates in the query as
    /// filters (the API's understand=false)
    #[arg(long)]
    literal: bool,
    /// Print the JSON response of /api/search instead of a table
    #[arg(long)]
    json: bool,
}

pub fn search(opened: &Opened, args: SearchArgs) -> Result<ExitCode, String> {
    let index = index(opened)?;
    let mut request = SearchRequest {
        q: args.query,
        limit: Some(args.limit),
        offset: args.offset,
        sort: if args.by_date {
            Sort::Date
        } else {
            Sort::Relevance
        },
        understand: !args.literal,
        ..SearchRequest::default()
    };
    for (facet, values) in [
        ("jurisdiction", args.jurisdiction),
        ("kind", args.kind),
        ("theme", args.theme),
        ("status", args.status),
        ("role", args.role),
    ] {
        if !values.is_empty() {
            request.filters.insert(facet.into(), values);
        }
    }
    let response = index.search(&request).map_err(|e| e.to_string())?;
    if args.json {
        let json = serde_json::to_string_pretty(&response).map_err(|e| e.to_string())?;
        println!("{json}");
        return Ok(ExitCode::SUCCESS);
    }
    if response.fallback {
        eprintln!("(query did not parse; searched its plain words)");
    }
    for u in &response.understood {
        let name = u
            .label
            .as_deref()
            .map(|l| format!(" ({l})"))
            .unwrap_or_default();
        let how = if u.applied {
            "applied; --literal to search the words"
        } else {
            "offered, not applied"
        };
        eprintln!(
            "(understood {:?} as {} {}{name}: {how})",
            u.from, u.facet, u.value
        );
    }
    if response.relaxed {
        eprintln!(
            "(no document has every word; dropped: {})",
            response.dropped.join(", ")
        );
    }
    for e in &response.expansions {
        eprintln!("(expanded: {:?} → theme {})", e.label, e.theme);
    }
    println!(
        "{:>7}  {:<12} {:<4} {:<22} {:<16} title",
        "score", "kind", "jur", "instrument", "ref"
    );
    for hit in &response.hits {
        println!(
            "{:>7.3}  {:<12} {:<4} {:<22} {:<16} {}",
            hit.score,
            hit.kind,
            hit.jurisdiction.as_deref().unwrap_or("-"),
            clip(hit.instrument.as_deref().unwrap_or("-"), 22),
            clip(hit.reference.as_deref().unwrap_or("-"), 16),
            hit.title.as_deref().unwrap_or(&hit.iri),
        );
    }
    println!("{} hits in {:.1} ms", response.total, response.took_ms);
    Ok(ExitCode::SUCCESS)
}

/// Rebuilds every document from the graph, whatever revision the index records.
pub fn reindex(opened: &Opened) -> Result<ExitCode, String> {
    let index = index(opened)?;
    index.reindex(&opened.graph).map_err(|e| e.to_string())?;
    println!(
        "indexed {} documents at graph revision {}",
        index.num_docs(),
        index.revision()
    );
    Ok(ExitCode::SUCCESS)
}

/// Shortens to `width` characters with an ellipsis, on character boundaries.
fn clip(text: &str, width: usize) -> String {
    match text.char_indices().nth(width.saturating_sub(1)) {
        Some((i, _)) if text.chars().count() > width => format!("{}…", &text[..i]),
        _ => text.to_owned(),
    }
}
