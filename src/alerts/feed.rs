//! Private per-subscription Atom feeds (RFC 4287) at `/feeds/s/{token}.atom`: the token is
//! random (24 bytes) and stored only in the ops database, so the URL is the credential. One
//! entry per message queued for the subscription, newest first, with a permanent tag-URI id
//! (the message id), categories for type, kind, jurisdiction and theme, and inline-styled HTML.

use super::email::{Item, item};
use super::outbox::{self, Delivery};
use super::subscription::Subscription;
use super::{AlertError, Alerts};
use askama::Template;
use atom_syndication::{Category, Content, Entry, Feed, FixedDateTime, Link, Person, Text};
use serde_json::Value;

/// Entries per feed at most.
const ENTRIES: usize = 100;

#[derive(Template)]
#[template(path = "alerts/entry.html")]
struct EntryHtml<'a> {
    item: &'a Item,
}

fn time(text: &str) -> FixedDateTime {
    chrono::DateTime::parse_from_rfc3339(text).unwrap_or_default()
}

/// The subscription's feed, and the time of its newest entry (for `Last-Modified`).
pub fn render(alerts: &Alerts, sub: &Subscription) -> Result<(String, FixedDateTime), AlertError> {
    let deliveries: Vec<Delivery> = outbox::entries(alerts, &sub.id, ENTRIES)?;
    let updated = deliveries
        .first()
        .map(|d| time(&d.created_at))
        .unwrap_or_else(|| time(&sub.created_at));
    let base = alerts.public_url();
    let entries = deliveries
        .iter()
        .map(|d| {
            let payload: Value = serde_json::from_str(&d.payload).unwrap_or(Value::Null);
            let data = &payload["data"];
            let it = item(&d.payload);
            let mut categories = vec![category(&d.event_type)];
            for kind in data["kinds"].as_array().into_iter().flatten() {
                if let Some(kind) = kind.as_str() {
                    categories.push(category(kind));
                }
            }
            for key in ["jurisdictions", "themes"] {
                for v in data[key].as_array().into_iter().flatten() {
                    if let Some(v) = v.as_str() {
                        categories.push(Category {
                            term: v.rsplit('/').next().unwrap_or(v).to_owned(),
                            scheme: Some(v.to_owned()),
                            ..Category::default()
                        });
                    }
                }
            }
            let html = EntryHtml { item: &it }.render().unwrap_or_default();
            let detected = data["detected_at"]
                .as_str()
                .map(time)
                .unwrap_or_else(|| time(&d.created_at));
            Entry {
                id: format!("tag:crosswalk,2026:alert/{}", d.msg_id),
                title: Text::plain(it.headline.clone()),
                updated: detected,
                published: Some(detected),
                categories,
                links: if it.link.is_empty() {
                    Vec::new()
                } else {
                    vec![Link {
                        href: it.link.clone(),
                        rel: "alternate".into(),
                        ..Link::default()
                    }]
                },
                summary: (!it.summary.is_empty()).then(|| Text::plain(it.summary.clone())),
                content: Some(Content {
                    value: Some(html),
                    content_type: Some("html".into()),
                    ..Content::default()
                }),
                ..Entry::default()
            }
        })
        .collect();
    let feed = Feed {
        title: Text::plain(format!("Crosswalk alerts for {}", sub.id)),
        id: format!("tag:crosswalk,2026:subscription/{}", sub.id),
        updated,
        authors: vec![Person {
            name: "Crosswalk".into(),
            ..Person::default()
        }],
        links: vec![Link {
            href: format!("{base}/feeds/s/{}.atom", sub.feed_token),
            rel: "self".into(),
            mime_type: Some("application/atom+xml".into()),
            ..Link::default()
        }],
        entries,
        ..Feed::default()
    };
    Ok((feed.to_string(), updated))
}

fn category(term: &str) -> Category {
    Category {
        term: term.to_owned(),
        ..Category::default()
    }
}
