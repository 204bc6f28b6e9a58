//! Change events as an Atom feed (RFC 4287): one entry per event with a permanent tag-URI id,
//! categories for jurisdiction, instrument, theme and kind, and an inline-styled HTML redline
//! (only where the source's text may be quoted; otherwise the word counts).
//!
//! [`render`] is the one renderer: the public `/feeds/changes.atom` and the private feeds of
//! alert subscriptions both call it with their own [`FeedMeta`].

use super::{ChangeDetail, ChangesError, Filter};
use crate::graph::Graph;
use askama::Template;
use atom_syndication::{Category, Content, Entry, Feed, FixedDateTime, Link, Person, Text};
use sha2::Digest;

/// The tag-URI authority of every entry id (RFC 4151): entry ids never change.
const TAG: &str = "tag:w3id.org,2026:crosswalk";
/// Longest text a redline shows (characters); the rest is left to the full diff.
const REDLINE_CHARS: usize = 20_000;

/// What distinguishes one feed from another.
#[derive(Debug, Clone)]
pub struct FeedMeta {
    /// The feed's permanent id (a tag URI or URL).
    pub id: String,
    pub title: String,
    /// The feed's own address (`rel="self"`), absolute.
    pub self_url: String,
    /// Prefix of the entries' alternate links (`http://host`), so `/api/changes/{id}` resolves.
    pub base_url: String,
}

impl FeedMeta {
    /// The public feed of `filter` at `self_url` on `base_url`.
    pub fn public(base_url: &str, self_url: &str) -> Self {
        Self {
            id: format!("{TAG}:feed/changes"),
            title: "Crosswalk: changes to tracked AI-governance law and policy".into(),
            self_url: self_url.to_owned(),
            base_url: base_url.trim_end_matches('/').to_owned(),
        }
    }
}

/// The permanent id of an event's entry.
pub fn entry_id(event_id: &str) -> String {
    format!("{TAG}:change/{event_id}")
}

/// A rendered feed and its validators.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub xml: String,
    /// Strong ETag (quoted) over the feed's identity and the entries' sequence numbers.
    pub etag: String,
    /// The newest entry's detection time (HTTP date), if any.
    pub last_modified: Option<chrono::DateTime<chrono::Utc>>,
}

#[derive(Template)]
#[template(path = "changes/entry.html")]
struct EntryHtml<'a> {
    kind: &'a str,
    provision: Option<&'a str>,
    source: &'a str,
    material: bool,
    summary: &'a str,
    word_summary: Option<&'a str>,
    segments: Vec<Segment>,
    link: String,
}

struct Segment {
    tag: &'static str,
    text: String,
}

/// Old and new text interleaved word by word: equal, deleted and inserted runs.
fn redline(old: &str, new: &str) -> Vec<Segment> {
    let clip = |t: &str| t.chars().take(REDLINE_CHARS).collect::<String>();
    let (old, new) = (clip(old), clip(new));
    let diff = similar::TextDiff::configure()
        .timeout(std::time::Duration::from_millis(250))
        .diff_words(old.as_str(), new.as_str());
    let mut out: Vec<Segment> = Vec::new();
    for change in diff.iter_all_changes() {
        let tag = match change.tag() {
            similar::ChangeTag::Equal => "equal",
            similar::ChangeTag::Delete => "delete",
            similar::ChangeTag::Insert => "insert",
        };
        match out.last_mut() {
            Some(last) if last.tag == tag => last.text.push_str(change.value()),
            _ => out.push(Segment {
                tag,
                text: change.value().to_owned(),
            }),
        }
    }
    out
}

fn html(detail: &ChangeDetail, base_url: &str) -> String {
    let c = &detail.change;
    let segments = match (&detail.diff.old_text, &detail.diff.new_text) {
        (Some(old), Some(new)) => redline(old, new),
        (None, Some(new)) => redline("", new),
        (Some(old), None) => redline(old, ""),
        (None, None) => Vec::new(),
    };
    let page = EntryHtml {
        kind: &c.kind,
        provision: c.provision_id.as_deref(),
        source: &c.source_id,
        material: c.material,
        summary: &c.summary,
        word_summary: c.word_summary.as_deref(),
        segments,
        link: format!("{base_url}{}", c.link),
    };
    page.render().unwrap_or_else(|e| format!("<p>{e}</p>"))
}

fn category(term: &str, scheme: &str, label: Option<&str>) -> Category {
    let mut c = Category::default();
    c.set_term(term.to_owned());
    c.set_scheme(Some(scheme.to_owned()));
    c.set_label(label.map(str::to_owned));
    c
}

fn entry(detail: &ChangeDetail, base_url: &str) -> Entry {
    let c = &detail.change;
    let at: FixedDateTime = c.at.fixed_offset();
    let mut e = Entry::default();
    e.set_id(entry_id(&c.id));
    let what = match &c.provision_id {
        Some(p) => format!("{} {p}", c.source_id),
        None => c.source_id.clone(),
    };
    e.set_title(Text::plain(format!("{}: {what}", c.kind)));
    e.set_updated(at);
    e.set_published(Some(at));
    let mut link = Link::default();
    link.set_href(format!("{base_url}{}", c.link));
    link.set_rel("alternate");
    link.set_mime_type(Some("application/json".to_owned()));
    e.set_links(vec![link]);
    let mut categories = Vec::new();
    for j in &c.jurisdictions {
        categories.push(category(
            &j.code,
            "https://w3id.org/crosswalk/id/jurisdiction/",
            None,
        ));
    }
    for i in &c.instruments {
        categories.push(category(
            &i.iri,
            "https://w3id.org/crosswalk/id/instrument/",
            Some(&i.code),
        ));
    }
    for t in &c.themes {
        categories.push(category(
            &t.code,
            "https://w3id.org/crosswalk/id/theme/",
            None,
        ));
    }
    categories.push(category(
        &c.kind,
        "https://w3id.org/crosswalk/ontology#changeKind",
        None,
    ));
    e.set_categories(categories);
    e.set_summary(Some(Text::plain(match &c.word_summary {
        Some(words) => format!("{} ({words})", c.summary),
        None => c.summary.clone(),
    })));
    let mut content = Content::default();
    content.set_content_type(Some("html".to_owned()));
    content.set_value(Some(html(detail, base_url)));
    e.set_content(Some(content));
    e
}

/// The feed of `entries` (newest first) under `meta`.
pub fn render(entries: &[ChangeDetail], meta: &FeedMeta) -> Rendered {
    let mut feed = Feed::default();
    feed.set_id(meta.id.clone());
    feed.set_title(Text::plain(meta.title.clone()));
    let newest = entries.iter().map(|d| d.change.at).max();
    let updated = newest.unwrap_or_default().fixed_offset();
    feed.set_updated(updated);
    let mut author = Person::default();
    author.set_name("Crosswalk");
    feed.set_authors(vec![author]);
    let mut this = Link::default();
    this.set_href(meta.self_url.clone());
    this.set_rel("self");
    this.set_mime_type(Some("application/atom+xml".to_owned()));
    feed.set_links(vec![this]);
    feed.set_entries(
        entries
            .iter()
            .map(|d| entry(d, &meta.base_url))
            .collect::<Vec<_>>(),
    );
    let xml = feed.to_string();
    let mut hash = sha2::Sha256::new();
    hash.update(meta.id.as_bytes());
    hash.update(meta.self_url.as_bytes());
    for d in entries {
        hash.update(d.change.sequence.to_be_bytes());
    }
    let hex = format!("{:x}", hash.finalize());
    let etag = format!("\"{}\"", &hex[..32]);
    Rendered {
        xml,
        etag,
        last_modified: newest,
    }
}

/// The newest `limit` events passing `filter`, with their diffs, ready for [`render`].
/// Blocking.
pub fn entries(
    graph: &Graph,
    filter: &Filter,
    limit: usize,
) -> Result<Vec<ChangeDetail>, ChangesError> {
    let page = super::list(graph, filter, None, limit)?;
    let mut out = Vec::with_capacity(page.changes.len());
    for change in page.changes {
        if let Some(detail) = super::get(graph, &change.id)? {
            out.push(detail);
        }
    }
    Ok(out)
}
