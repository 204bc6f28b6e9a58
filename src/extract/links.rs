//! Links of a listing page or feed, for discovery: an HTML page's `a[href]` outside navigation
//! and footers, an RSS 2.0 / RSS 1.0 item's `link`, an Atom entry's `link[rel=alternate]`
//! (RFC 4287), each resolved against the page's URL, without fragment, with its text (or item
//! title) and a date where the markup gives one (`time[datetime]` near the link, `pubDate`,
//! `dc:date`, `updated`/`published`). Which links matter is the caller's pattern; this only reads
//! the page, so a shuffled layout yields the same set of links.

use super::ExtractError;
use super::text::clean_inline;
use super::xml::{self, XmlEvent};
use scraper::{ElementRef, Html, Selector};
use serde::Serialize;
use std::collections::HashSet;
use url::Url;

/// At most this many links are read from one page.
pub const MAX_LINKS: usize = 5_000;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Link {
    /// Absolute http(s) URL without fragment.
    pub url: String,
    pub title: String,
    /// `YYYY-MM-DD` when the page dates the link.
    pub date: Option<String>,
}

/// The links of `body` (decoded text), an RSS/Atom feed or an HTML page, resolved against
/// `base`. A feed that is not well-formed XML is an error; HTML never is.
pub fn links(
    body: &str,
    content_type: Option<&str>,
    base: &Url,
) -> Result<Vec<Link>, ExtractError> {
    let mut out = if is_feed(body, content_type) {
        feed_links(body, base)?
    } else {
        html_links(body, base)
    };
    let mut seen = HashSet::new();
    out.retain(|l| seen.insert(l.url.clone()));
    out.truncate(MAX_LINKS);
    Ok(out)
}

fn is_feed(body: &str, content_type: Option<&str>) -> bool {
    let ct = content_type.unwrap_or("").to_ascii_lowercase();
    if ct.contains("rss") || ct.contains("atom") {
        return true;
    }
    let head: String = body
        .trim_start_matches('\u{feff}')
        .trim_start()
        .chars()
        .take(2_000)
        .collect::<String>()
        .to_ascii_lowercase();
    let xmlish = head.starts_with("<?xml") || ct.contains("xml");
    xmlish
        && !head.contains("<html")
        && (head.contains("<rss") || head.contains("<feed") || head.contains("<rdf:rdf"))
}

/// `href` resolved against `base`: absolute http(s), fragment dropped.
fn resolve(base: &Url, href: &str) -> Option<String> {
    let href = href.trim();
    if href.is_empty() || href.starts_with('#') {
        return None;
    }
    let mut url = base.join(href).ok()?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return None;
    }
    url.set_fragment(None);
    Some(url.to_string())
}

fn date(raw: &str) -> Option<String> {
    let raw = raw.trim();
    if let Some(d) = raw.get(..10)
        && let Ok(parsed) = chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d")
    {
        return Some(parsed.format("%Y-%m-%d").to_string());
    }
    // RSS 2.0 dates are RFC 822 ("Wed, 10 Jun 2026 04:00:00 GMT"); feeds get the weekday
    // wrong often enough that it is ignored.
    let without_weekday = raw.split_once(", ").map_or(raw, |(_, rest)| rest);
    chrono::DateTime::parse_from_rfc2822(raw)
        .or_else(|_| chrono::DateTime::parse_from_rfc2822(without_weekday))
        .ok()
        .map(|d| d.format("%Y-%m-%d").to_string())
}

fn html_links(body: &str, base: &Url) -> Vec<Link> {
    let html = super::html::flatten_deep_nesting(body, super::html::MAX_DEPTH);
    let document = Html::parse_document(&html);
    let anchors = Selector::parse("a[href]").expect("valid selector");
    let time = Selector::parse("time").expect("valid selector");
    let mut out = Vec::new();
    for anchor in document.select(&anchors) {
        if out.len() >= MAX_LINKS {
            break;
        }
        if in_chrome(anchor) {
            continue;
        }
        let Some(url) = anchor.value().attr("href").and_then(|h| resolve(base, h)) else {
            continue;
        };
        let mut title = clean_inline(&anchor.text().collect::<String>());
        if title.is_empty() {
            title = ["title", "aria-label"]
                .iter()
                .find_map(|a| anchor.value().attr(a))
                .map(clean_inline)
                .unwrap_or_default();
        }
        // The date of a listing entry sits in its item: the nearest list item, row or article.
        let item = anchor
            .ancestors()
            .filter_map(ElementRef::wrap)
            .find(|e| matches!(e.value().name(), "li" | "tr" | "article" | "dd" | "section"));
        let date = item.and_then(|item| {
            item.select(&time).find_map(|t| {
                t.value()
                    .attr("datetime")
                    .and_then(date)
                    .or_else(|| date(&t.text().collect::<String>()))
            })
        });
        out.push(Link { url, title, date });
    }
    out
}

/// Links in navigation, page footers and templates are the site's, not the listing's.
fn in_chrome(anchor: ElementRef<'_>) -> bool {
    anchor.ancestors().filter_map(ElementRef::wrap).any(|e| {
        let v = e.value();
        matches!(
            v.name(),
            "nav" | "footer" | "template" | "noscript" | "script"
        ) || matches!(v.attr("role"), Some("navigation" | "contentinfo"))
    })
}

#[derive(Default)]
struct Item {
    title: String,
    link: Option<String>,
    date: Option<String>,
}

/// RSS 2.0 (`item`), RSS 1.0 (`item`, `dc:date`) and Atom (`entry`, `link href`).
fn feed_links(body: &str, base: &Url) -> Result<Vec<Link>, ExtractError> {
    let mut out = Vec::new();
    let mut item: Option<Item> = None;
    let mut field: Option<(String, String)> = None;
    let mut path: Vec<String> = Vec::new();
    xml::events(body, |event| match event {
        XmlEvent::Start(element) => {
            let local = local_name(&element.name).to_owned();
            match local.as_str() {
                "item" | "entry" => item = Some(Item::default()),
                "link" if item.is_some() => {
                    // Atom: `<link rel="alternate" href="…"/>` (rel defaults to alternate).
                    if let Some(href) = element.attribute("href") {
                        let alternate = element.attribute("rel").is_none_or(|r| r == "alternate");
                        if let Some(item) = item.as_mut()
                            && (alternate || item.link.is_none())
                        {
                            item.link = Some(href.to_owned());
                        }
                    } else {
                        field = Some((local.clone(), String::new()));
                    }
                }
                "title" | "pubDate" | "date" | "updated" | "published" | "guid"
                    if item.is_some() =>
                {
                    field = Some((local.clone(), String::new()));
                }
                _ => {}
            }
            path.push(local);
        }
        XmlEvent::Text(text) => {
            if let Some((_, buffer)) = field.as_mut() {
                buffer.push_str(&text);
            }
        }
        XmlEvent::End => {
            let local = path.pop().unwrap_or_default();
            if let Some((name, value)) = field.take_if(|(name, _)| *name == local)
                && let Some(item) = item.as_mut()
            {
                let value = clean_inline(&value);
                match name.as_str() {
                    "title" => item.title = value,
                    "link" => item.link = Some(value),
                    // An RSS guid that is a permalink stands in for a missing link.
                    "guid" if item.link.is_none() && value.starts_with("http") => {
                        item.link = Some(value);
                    }
                    "pubDate" | "date" | "updated" | "published" if item.date.is_none() => {
                        item.date = date(&value);
                    }
                    _ => {}
                }
            }
            if matches!(local.as_str(), "item" | "entry")
                && let Some(done) = item.take()
                && out.len() < MAX_LINKS
                && let Some(url) = done.link.as_deref().and_then(|l| resolve(base, l))
            {
                out.push(Link {
                    url,
                    title: done.title,
                    date: done.date,
                });
            }
        }
    })?;
    Ok(out)
}

fn local_name(name: &str) -> &str {
    name.rsplit(':').next().unwrap_or(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Url {
        Url::parse("https://www.example.gov.sg/resources/publications").unwrap()
    }

    #[test]
    fn html_links_skip_chrome_and_carry_dates() {
        let page = r##"<html><body><nav><a href="/home">Home</a></nav>
            <main><ul>
              <li><a href="/resources/2026/ai-guide.pdf#page=2">AI guide</a> <time datetime="2026-05-20">20 May 2026</time></li>
              <li><a href="report.pdf"><img alt="x"></a></li>
              <li><a href="mailto:x@example.org">Mail</a><a href="#top">Top</a><a href="javascript:void(0)">JS</a></li>
            </ul></main><footer><a href="/privacy">Privacy</a></footer></body></html>"##;
        let got = links(page, Some("text/html"), &base()).unwrap();
        assert_eq!(
            got,
            [
                Link {
                    url: "https://www.example.gov.sg/resources/2026/ai-guide.pdf".into(),
                    title: "AI guide".into(),
                    date: Some("2026-05-20".into())
                },
                Link {
                    url: "https://www.example.gov.sg/resources/report.pdf".into(),
                    title: String::new(),
                    date: None
                }
            ]
        );
    }

    #[test]
    fn rss_and_atom() {
        let rss = r#"<?xml version="1.0"?><rss version="2.0"><channel><title>News</title>
            <item><title>New AI circular</title><link>https://jdih.example.go.id/dokumen/123</link>
            <pubDate>Thu, 10 Jun 2026 04:00:00 GMT</pubDate></item>
            <item><title>Guid only</title><guid isPermaLink="true">https://jdih.example.go.id/dokumen/124</guid></item>
            </channel></rss>"#;
        let got = links(rss, Some("application/rss+xml"), &base()).unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].title, "New AI circular");
        assert_eq!(got[0].date.as_deref(), Some("2026-06-10"));
        assert_eq!(got[1].url, "https://jdih.example.go.id/dokumen/124");
        let atom = r#"<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">
            <entry><title>Consultation</title><link rel="self" href="/self"/><link href="/consultations/ai"/>
            <updated>2026-03-01T10:00:00Z</updated></entry></feed>"#;
        let got = links(atom, None, &base()).unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].url, "https://www.example.gov.sg/consultations/ai");
        assert_eq!(got[0].date.as_deref(), Some("2026-03-01"));
        assert!(matches!(
            links(
                "<?xml version=\"1.0\"?><rss><item><link>x</link></item><",
                None,
                &base()
            ),
            Err(ExtractError::MalformedXml(_))
        ));
    }
}
