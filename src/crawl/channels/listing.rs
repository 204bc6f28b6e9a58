//! A regulator's listing page: new links matching the source's pattern are discovered documents.

use super::*;

impl Crawler {
    pub(super) async fn discover_listing(
        &self,
        source: &Source,
        state: &mut SourceState,
        started: chrono::DateTime<chrono::Utc>,
        url: Url,
    ) -> Result<Plan, CrawlError> {
        let validators = if state.raw_sha.is_some() {
            Validators {
                etag: state.etag.clone(),
                last_modified: state.last_modified.clone(),
            }
        } else {
            Validators::default()
        };
        let page = match self
            .fetcher
            .fetch_negotiated(&url, &validators, &Negotiation::default())
            .await
        {
            Ok(Response::Body(page)) => page,
            Ok(Response::NotModified(not_modified)) => {
                let report = self
                    .unchanged_304(source, state, started, not_modified)
                    .await?;
                return Ok(Plan::Done(report));
            }
            Err(error) => {
                return Ok(Plan::Done(
                    self.failed_fetch(source, state, started, error, None)
                        .await?,
                ));
            }
        };
        let pattern = match source.channel.link_pattern.as_deref().map(link_regex) {
            Some(Ok(regex)) => Some(regex),
            Some(Err(error)) => {
                let reason = format!("link pattern: {error}");
                return self.failed_plain(source, state, started, &reason).await;
            }
            None => None,
        };
        let (text, _) = fetch::charset::decode_html(&page.body, page.content_type.as_deref());
        let base = page.final_url.clone();
        let content_type = page.content_type.clone();
        let links = tokio::task::spawn_blocking(move || {
            extract::links::links(&text, content_type.as_deref(), &base)
        })
        .await?;
        let links = match links {
            Ok(links) => links,
            Err(error) => {
                let reason = format!("listing: {error}");
                return self.failed_plain(source, state, started, &reason).await;
            }
        };
        let memory = self.channels.recall(&source.id, &source.url)?;
        let listing = page.final_url.as_str().to_owned();
        let mut keys = Vec::new();
        let mut candidates = Vec::new();
        for link in links {
            if link.url == listing || link.url == source.url {
                continue;
            }
            if let Some(pattern) = &pattern
                && !pattern.is_match(&link.url)
            {
                continue;
            }
            if memory.baseline && !memory.seen.contains(&link.url) {
                let title = if link.title.is_empty() {
                    link.url
                        .rsplit('/')
                        .find(|s| !s.is_empty())
                        .unwrap_or(&link.url)
                        .to_owned()
                } else {
                    link.title.clone()
                };
                candidates.push(Candidate {
                    key: link.url.clone(),
                    title,
                    url: link.url.clone(),
                    access_url: link.url.clone(),
                    date: link.date.clone(),
                    issuer: None,
                    publisher: source.publisher.clone(),
                    reason: match &source.channel.link_pattern {
                        Some(p) => format!(
                            "new link on {} matching the pattern {p}",
                            source.title.as_deref().unwrap_or(&source.url)
                        ),
                        None => format!(
                            "new item in {}",
                            source.title.as_deref().unwrap_or(&source.url)
                        ),
                    },
                    suggestion: Suggestion::Page,
                    executive_order_number: None,
                    signing_date: None,
                });
            }
            keys.push(link.url);
        }
        state.etag = page.validators.etag.clone();
        state.last_modified = page.validators.last_modified.clone();
        let found = Listed {
            first: !memory.baseline,
            candidates,
            keys,
            what: "matching links",
        };
        self.discovered(source, state, started, page, found).await
    }
}
