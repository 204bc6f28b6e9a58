//! The Federal Register API: one document's description (its text is the full-text XML), or a
//! search whose new results are discovered documents.

use super::*;
use crate::fetch::federal_register;

impl Crawler {
    pub(super) async fn plan_federal_register_document(
        &self,
        source: &Source,
        state: &mut SourceState,
        started: chrono::DateTime<chrono::Utc>,
        url: Url,
    ) -> Result<Plan, CrawlError> {
        let request = federal_register::document_request(&url);
        let (page, document) = match self
            .read(
                source,
                state,
                started,
                &request,
                &federal_register::json_negotiation(),
                "Federal Register API",
                federal_register::parse_document,
            )
            .await?
        {
            Ok(read) => read,
            Err(plan) => return Ok(plan),
        };
        let (text, structure) = match (&document.full_text_xml_url, &document.body_html_url) {
            (Some(xml), _) => (xml.clone(), Structure::FederalRegister),
            (None, Some(html)) => (html.clone(), Structure::Generic),
            (None, None) => {
                let reason = format!(
                    "Federal Register document {} has no full text (no full_text_xml_url or body_html_url)",
                    document.document_number
                );
                return self.failed_plain(source, state, started, &reason).await;
            }
        };
        let Ok(text_url) = Url::parse(&text) else {
            return self
                .failed_plain(source, state, started, "unusable full-text URL")
                .await;
        };
        let memory = self.channels.recall(&source.id, &source.url)?;
        let node =
            NamedNode::new_unchecked(format!("{ID}federal-register/{}", document.document_number));
        let mut facts = Quads::new(names::channel_graph(&source.id));
        facts.add(&node, rdf::TYPE.into_owned(), names::cw("OfficialDocument"));
        facts.text(
            &node,
            names::cw("documentNumber"),
            &document.document_number,
        );
        facts.text(&node, names::dcterms("title"), &document.title);
        if let Some(n) = document.executive_order_number {
            facts.typed(
                &node,
                names::cw("executiveOrderNumber"),
                n.to_string(),
                xsd::INTEGER,
            );
        }
        if let Some(date) = &document.signing_date {
            facts.typed(&node, names::cw("signingDate"), date.as_str(), xsd::DATE);
        }
        if let Some(date) = &document.publication_date {
            facts.typed(
                &node,
                names::eli("date_publication"),
                date.as_str(),
                xsd::DATE,
            );
        }
        if let Some(citation) = &document.citation {
            facts.text(&node, names::dcterms("bibliographicCitation"), citation);
        }
        if let Some(subtype) = &document.subtype {
            facts.text(&node, names::dcterms("type"), subtype);
        }
        for link in [&document.html_url, &document.pdf_url]
            .into_iter()
            .flatten()
        {
            if let Ok(link) = NamedNode::new(link) {
                facts.add(&node, names::dcat("landingPage"), link);
            }
        }
        facts.add(
            &node,
            names::dcat("accessURL"),
            NamedNode::new_unchecked(text_url.as_str()),
        );
        if let Some(instrument) = source.instrument.as_deref() {
            facts.add(
                &node,
                names::cw("instrument"),
                NamedNode::new_unchecked(instrument),
            );
        }
        let moved = memory
            .text_url
            .as_deref()
            .is_some_and(|previous| previous != text_url.as_str());
        self.commit(
            source,
            started,
            Reading {
                page,
                facts: Some(facts.quads),
                events: Vec::new(),
                candidates: Vec::new(),
                keys: Vec::new(),
                baseline: !memory.baseline,
            },
        )
        .await?;
        Ok(Plan::Text(Target {
            url: text_url,
            channel: true,
            negotiation: match structure {
                Structure::FederalRegister => federal_register::xml_negotiation(),
                _ => Negotiation::default(),
            },
            structure,
            moved,
            events: 0,
            discoveries: 0,
        }))
    }

    pub(super) async fn discover_federal_register(
        &self,
        source: &Source,
        state: &mut SourceState,
        started: chrono::DateTime<chrono::Utc>,
        url: Url,
    ) -> Result<Plan, CrawlError> {
        let request = federal_register::search_request(&url);
        let (page, search) = match self
            .read(
                source,
                state,
                started,
                &request,
                &federal_register::json_negotiation(),
                "Federal Register API",
                federal_register::parse_search,
            )
            .await?
        {
            Ok(read) => read,
            Err(plan) => return Ok(plan),
        };
        let memory = self.channels.recall(&source.id, &source.url)?;
        // The API base, for the tracked source a discovery becomes.
        let base = {
            let mut base = url.clone();
            base.set_query(None);
            let path = base.path().trim_end_matches("/documents.json").to_owned();
            base.set_path(&path);
            base
        };
        let conditions: Vec<String> = url.query_pairs().map(|(k, v)| format!("{k}={v}")).collect();
        let mut keys = Vec::new();
        let mut candidates = Vec::new();
        for document in &search.documents {
            let key = format!("fr:{}", document.document_number);
            if memory.baseline && !memory.seen.contains(&key) {
                let access = format!(
                    "{}/documents/{}.json",
                    base.as_str().trim_end_matches('/'),
                    document.document_number
                );
                let what = match (&document.subtype, document.executive_order_number) {
                    (_, Some(n)) => format!("Executive Order {n}"),
                    (Some(subtype), None) => subtype.clone(),
                    (None, None) => document
                        .doc_type
                        .clone()
                        .unwrap_or_else(|| "document".into()),
                };
                candidates.push(Candidate {
                    key: key.clone(),
                    title: document.title.clone(),
                    url: document
                        .html_url
                        .clone()
                        .or_else(|| document.pdf_url.clone())
                        .unwrap_or_else(|| access.clone()),
                    access_url: access,
                    date: document
                        .signing_date
                        .clone()
                        .or_else(|| document.publication_date.clone()),
                    issuer: (!document.agencies.is_empty()).then(|| document.agencies.join("; ")),
                    publisher: None,
                    reason: format!(
                        "{what}, FR Doc. {}, matches the Federal Register search {}",
                        document.document_number,
                        conditions.join(" & ")
                    ),
                    suggestion: Suggestion::FederalRegister {
                        document_number: document.document_number.clone(),
                    },
                    executive_order_number: document.executive_order_number,
                    signing_date: document.signing_date.clone(),
                });
            }
            keys.push(key);
        }
        let found = Listed {
            first: !memory.baseline,
            candidates,
            keys,
            what: "search results",
        };
        self.discovered(source, state, started, page, found).await
    }
}
