//! CELLAR: an act's consolidated versions and amending acts, read from the Publications Office's
//! SPARQL endpoint; the text is the newest consolidated version's.

use super::*;
use crate::fetch::cellar;

impl Crawler {
    pub(super) async fn plan_cellar(
        &self,
        source: &Source,
        state: &mut SourceState,
        started: chrono::DateTime<chrono::Utc>,
        url: Url,
    ) -> Result<Plan, CrawlError> {
        let Some(celex) = source.channel.celex.clone() else {
            return self
                .failed_plain(
                    source,
                    state,
                    started,
                    "cellar source without a CELEX number",
                )
                .await;
        };
        let language = cellar::language_code(source.language.as_deref());
        let request = cellar::relations_request(&cellar::sparql_endpoint(&url), &celex, language);
        let (page, relations) = match self
            .read(
                source,
                state,
                started,
                &request,
                &cellar::sparql_negotiation(),
                "CELLAR SPARQL",
                cellar::parse_relations,
            )
            .await?
        {
            Ok(read) => read,
            Err(plan) => return Ok(plan),
        };
        let memory = self.channels.recall(&source.id, &source.url)?;
        let text_url = match relations.latest_consolidated() {
            Some(latest) if source.channel.consolidated => {
                cellar::resource_url(&url, &latest.celex)
            }
            _ => url.clone(),
        };
        let act = official_iri(&celex);
        let instrument = source.instrument.as_deref().map(NamedNode::new_unchecked);
        let mut facts = Quads::new(names::channel_graph(&source.id));
        facts.add(&act, rdf::TYPE.into_owned(), names::cw("OfficialDocument"));
        facts.text(&act, names::cw("celex"), &celex);
        facts.add(
            &act,
            names::dcat("accessURL"),
            NamedNode::new_unchecked(url.as_str()),
        );
        if let Some(instrument) = &instrument {
            facts.add(&act, names::cw("instrument"), instrument.clone());
        }
        let mut keys = Vec::new();
        let mut events = Vec::new();
        let mut candidates = Vec::new();
        for version in &relations.consolidated {
            let node = official_iri(&version.celex);
            facts.add(
                &node,
                rdf::TYPE.into_owned(),
                names::cw("ConsolidatedVersion"),
            );
            facts.text(&node, names::cw("celex"), &version.celex);
            facts.add(&node, names::cw("consolidates"), act.clone());
            if let Some(date) = &version.date {
                facts.typed(&node, names::cw("asAt"), date.as_str(), xsd::DATE);
            }
            let resource = cellar::resource_url(&url, &version.celex);
            facts.add(
                &node,
                names::dcat("accessURL"),
                NamedNode::new_unchecked(resource.as_str()),
            );
            let key = format!("consolidated:{}", version.celex);
            if memory.baseline && !memory.seen.contains(&key) {
                let mut affects = vec![node.clone()];
                affects.extend(instrument.clone());
                events.push(ChannelEvent {
                    suffix: format!("c{}", events.len() + 1),
                    kind: "consolidated-version",
                    material: true,
                    detail: format!(
                        "new consolidated version {} of {celex}{}",
                        version.celex,
                        version
                            .date
                            .as_deref()
                            .map(|d| format!(" (as at {d})"))
                            .unwrap_or_default()
                    ),
                    affects,
                });
            }
            keys.push(key);
        }
        for act_amending in &relations.amending {
            let node = official_iri(&act_amending.celex);
            facts.add(&node, rdf::TYPE.into_owned(), names::cw("OfficialDocument"));
            facts.text(&node, names::cw("celex"), &act_amending.celex);
            facts.add(&node, names::cw("amendsDocument"), act.clone());
            if let Some(title) = &act_amending.title {
                facts.text(&node, names::dcterms("title"), title);
            }
            if let Some(date) = &act_amending.date {
                facts.typed(&node, names::eli("date_document"), date.as_str(), xsd::DATE);
            }
            let key = format!("amending:{}", act_amending.celex);
            if memory.baseline && !memory.seen.contains(&key) {
                let resource = cellar::resource_url(&url, &act_amending.celex);
                candidates.push(Candidate {
                    key: key.clone(),
                    title: act_amending
                        .title
                        .clone()
                        .unwrap_or_else(|| format!("CELEX {}", act_amending.celex)),
                    url: resource.to_string(),
                    access_url: resource.to_string(),
                    date: act_amending.date.clone(),
                    issuer: act_amending
                        .author
                        .as_deref()
                        .map(|a| a.rsplit('/').next().unwrap_or(a).to_owned()),
                    publisher: act_amending.author.clone(),
                    reason: format!("CELLAR lists it as amending {celex}"),
                    suggestion: Suggestion::Cellar {
                        celex: act_amending.celex.clone(),
                    },
                    executive_order_number: None,
                    signing_date: None,
                });
            }
            keys.push(key);
        }
        let moved = memory
            .text_url
            .as_deref()
            .is_some_and(|previous| previous != text_url.as_str());
        let committed = self
            .commit(
                source,
                started,
                Reading {
                    page,
                    facts: Some(facts.quads),
                    events,
                    candidates,
                    keys,
                    baseline: !memory.baseline,
                },
            )
            .await?;
        Ok(Plan::Text(Target {
            url: text_url,
            channel: true,
            negotiation: cellar::text_negotiation(source.format == Format::Formex, language),
            structure: if source.format == Format::Formex {
                Structure::Formex
            } else {
                Structure::EurLex
            },
            moved,
            events: committed.events,
            discoveries: committed.discoveries,
        }))
    }
}
