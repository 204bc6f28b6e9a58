//! Ranking a plain query ([`super::understand`]'s reading) in tiers ([`super::tier`]):
//!
//! | part of the query | matched by | adds |
//! |---|---|---|
//! | content word, label or phrase (required) | its words in any field (BM25) | 4 + BM25 share |
//! | the same, for a rare word | its corrections, one or two edits away ([`super::typo`]) | 2 + BM25 share (if no exact match) |
//! | a theme or role label | the tag | 1 |
//! | the same | the theme's or role's other labels, any language (each in its own language's fields) | BM25 share (if no text match) |
//! | filler and jurisdiction words (optional) | their words | BM25 share only |
//! | a reference ("Art. 12") | the provision with that reference key | above everything else |
//!
//! BM25 shares are squashed into a fraction and divided among the parts, so the whole part of a
//! score counts matches and the fraction orders documents with the same matches: a document with
//! the words *and* the theme ranks above one with the words, which ranks above one with the
//! theme only.
//!
//! Relaxation: when no document holds every content word (within the filters), words that match
//! nothing are dropped, then the fewest others, the most common first; the dropped words still
//! add to the score of the documents that have them.

use super::IndexError;
use super::query::{Context, Plan, TextFilters, language_parser, prefix_query, text_parser};
use super::tier::TierQuery;
use super::typo;
use super::understand::{Concept, Reading, ReferenceCandidate, Text};
use tantivy::Term;
use tantivy::collector::Count;
use tantivy::query::{
    AllQuery, BooleanQuery, ConstScoreQuery, DisjunctionMaxQuery, EmptyQuery, Occur, Query,
    QueryParser, TermQuery,
};
use tantivy::schema::IndexRecordOption;

const TEXT_TIER: f32 = 4.0;
const TYPO_TIER: f32 = 2.0;
const TAG_TIER: f32 = 1.0;
/// The most subsets of the words relaxation counts before it drops the most common greedily.
const RELAX_BUDGET: usize = 24;
/// The most words of one query corrected for typos (each correction walks the dictionary).
const TYPO_WORDS: usize = 8;

/// A plain query ready to run, and what relaxation needs to rebuild it.
pub(super) struct Planned {
    pub plan: Plan,
    /// Per required concept: its query (`None` if it can match nothing) and how it was typed.
    required: Vec<(Option<Box<dyn Query>>, String)>,
    optional: Vec<Box<dyn Query>>,
    pins: Option<Box<dyn Query>>,
    pin_score: f32,
}

/// Builds the tiered query of a reading.
pub(super) fn plan(
    ctx: &Context<'_>,
    reading: &Reading,
    fallback: bool,
) -> Result<Planned, IndexError> {
    let Reading {
        required,
        optional,
        understood,
        expansions,
        references,
        filters,
        from,
        to,
    } = reading;
    let parts = (required.len() + optional.len()).max(1);
    let scale = 1.0 / parts as f32;
    let parser = text_parser(ctx, true);
    let mut typos = TYPO_WORDS;
    let required = required
        .iter()
        .map(|c| {
            let query = required_query(ctx, &parser, c, scale, &mut typos)?;
            Ok((query, c.display.clone()))
        })
        .collect::<Result<Vec<_>, IndexError>>()?;
    let optional = optional
        .iter()
        .filter_map(|c| text_query(ctx, &parser, &c.text))
        .map(|q| Box::new(TierQuery::new(q, 0.0, scale)) as Box<dyn Query>)
        .collect();
    let mut planned = Planned {
        plan: Plan {
            query: Box::new(EmptyQuery),
            expansions: expansions.clone(),
            understood: understood.clone(),
            filters: TextFilters {
                facets: filters.clone(),
                from: *from,
                to: *to,
            },
            fallback,
            relaxed: false,
            dropped: Vec::new(),
        },
        required,
        optional,
        pins: pins(ctx, references)?,
        // Above the most a document can score on the parts: text, typo or tag on each.
        pin_score: (TEXT_TIER + TAG_TIER + 1.0) * parts as f32 + 10.0,
    };
    planned.plan.query = planned.assemble(&vec![true; planned.required.len()]);
    Ok(planned)
}

impl Planned {
    /// True when relaxation may help a query that found nothing: two or more content words
    /// and no reference found (a found reference is an answer).
    pub fn relaxable(&self) -> bool {
        self.required.len() > 1 && self.pins.is_none()
    }

    /// Drops the fewest, most common content words so that something matches (see the module
    /// documentation). `filtered` adds the request's filters. Returns false when no word
    /// matches anything.
    pub fn relax(
        &mut self,
        ctx: &Context<'_>,
        filtered: &dyn Fn(Box<dyn Query>) -> Box<dyn Query>,
    ) -> Result<bool, IndexError> {
        let count = |keep: &[bool]| -> Result<usize, IndexError> {
            Ok(ctx
                .searcher
                .search(&*filtered(self.assemble(keep)), &Count)?)
        };
        let n = self.required.len();
        let alone = (0..n)
            .map(|i| count(&(0..n).map(|j| j == i).collect::<Vec<_>>()))
            .collect::<Result<Vec<_>, _>>()?;
        let keep: Vec<bool> = alone.iter().map(|c| *c > 0).collect();
        // Words that match somewhere, the most common first: dropped first.
        let mut candidates: Vec<usize> = (0..n).filter(|i| keep[*i]).collect();
        if candidates.is_empty() {
            return Ok(false);
        }
        candidates.sort_by_key(|i| std::cmp::Reverse(alone[*i]));
        let mut budget = RELAX_BUDGET;
        let mut found = None;
        'fewest: for extra in 0..candidates.len() {
            for combination in combinations(candidates.len(), extra) {
                if budget == 0 {
                    break 'fewest;
                }
                budget -= 1;
                let mut mask = keep.clone();
                for j in combination {
                    mask[candidates[j]] = false;
                }
                if count(&mask)? > 0 {
                    found = Some(mask);
                    break 'fewest;
                }
            }
        }
        let mask = match found {
            Some(mask) => mask,
            None => {
                let mut mask = keep;
                for &i in &candidates[..candidates.len() - 1] {
                    if count(&mask)? > 0 {
                        break;
                    }
                    mask[i] = false;
                }
                mask
            }
        };
        self.plan.dropped = (0..n)
            .filter(|i| !mask[*i])
            .map(|i| self.required[i].1.clone())
            .collect();
        self.plan.query = self.assemble(&mask);
        self.plan.relaxed = true;
        Ok(true)
    }

    /// The query requiring the concepts marked in `keep`, scoring the others.
    fn assemble(&self, keep: &[bool]) -> Box<dyn Query> {
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for ((query, _), keep) in self.required.iter().zip(keep) {
            match (query, keep) {
                (Some(q), true) => clauses.push((Occur::Must, q.box_clone())),
                (Some(q), false) => clauses.push((Occur::Should, q.box_clone())),
                (None, true) => return Box::new(EmptyQuery),
                (None, false) => {}
            }
        }
        if !clauses.iter().any(|(occur, _)| *occur == Occur::Must) {
            // Nothing required (only filler or understood words): every document, scored by them.
            clauses.push((
                Occur::Must,
                Box::new(ConstScoreQuery::new(Box::new(AllQuery), 0.0)),
            ));
        }
        clauses.extend(self.optional.iter().map(|q| (Occur::Should, q.box_clone())));
        let main: Box<dyn Query> = Box::new(BooleanQuery::new(clauses));
        match &self.pins {
            Some(pins) => Box::new(BooleanQuery::new(vec![
                (Occur::Should, main),
                (
                    Occur::Should,
                    Box::new(ConstScoreQuery::new(pins.box_clone(), self.pin_score)),
                ),
            ])),
            None => main,
        }
    }
}

/// A required concept: the best of its text (tier 4), its typo alternatives (tier 2, when rare)
/// and the other labels of its themes or roles (tier 0, a BM25 share only), plus the tags of
/// those themes or roles (tier 1).
fn required_query(
    ctx: &Context<'_>,
    parser: &QueryParser,
    concept: &Concept,
    scale: f32,
    typos: &mut usize,
) -> Result<Option<Box<dyn Query>>, IndexError> {
    let mut best: Vec<Box<dyn Query>> = Vec::new();
    if let Some(text) = text_query(ctx, parser, &concept.text) {
        best.push(Box::new(TierQuery::new(text, TEXT_TIER, scale)));
    }
    if let (Text::Words(words), true) = (&concept.text, concept.typo)
        && words.len() == 1
        && *typos > 0
    {
        let corrections = typo::corrections(ctx, &words[0])?;
        if !corrections.is_empty() {
            *typos -= 1;
        }
        let corrected: Vec<Box<dyn Query>> = corrections
            .into_iter()
            .filter_map(|c| text_query(ctx, parser, &Text::Words(vec![c])))
            .collect();
        if !corrected.is_empty() {
            let union = Box::new(BooleanQuery::union(corrected));
            best.push(Box::new(TierQuery::new(union, TYPO_TIER, scale)));
        }
    }
    if let Some(synonyms) = synonyms(ctx, concept) {
        best.push(Box::new(
            TierQuery::new(synonyms, 0.0, scale).unhighlighted(),
        ));
    }
    let words: Option<Box<dyn Query>> = match best.len() {
        0 => None,
        1 => best.pop(),
        _ => Some(Box::new(DisjunctionMaxQuery::with_tie_breaker(best, 0.0))),
    };
    let tags: Vec<Box<dyn Query>> = concept
        .tags
        .iter()
        .filter_map(|t| ctx.tag(&t.facet, &t.value))
        .collect();
    if tags.is_empty() {
        return Ok(words);
    }
    let tagged: Box<dyn Query> = Box::new(ConstScoreQuery::new(
        Box::new(BooleanQuery::union(tags)),
        TAG_TIER,
    ));
    Ok(Some(match words {
        Some(words) => Box::new(BooleanQuery::union(vec![words, tagged])),
        None => tagged,
    }))
}

/// The other labels (any language) of a concept's themes and roles, as phrases: "tanda air" also
/// finds "watermarking" and "content provenance" in text; their BM25 orders the documents that
/// only carry the tag, and finds untagged ones below them. Each label is searched in the titles
/// and texts of its own language ([`super::vocabulary::LabelWords`]).
fn synonyms(ctx: &Context<'_>, concept: &Concept) -> Option<Box<dyn Query>> {
    let typed = crate::index::reference::parts(&concept.display);
    let mut phrases: Vec<Box<dyn Query>> = Vec::new();
    let mut seen: Vec<&Vec<String>> = Vec::new();
    for tag in &concept.tags {
        for label in ctx.vocabulary.labels(&tag.facet, &tag.value) {
            if label.words == typed || seen.contains(&&label.words) {
                continue;
            }
            seen.push(&label.words);
            let source = if label.words.len() == 1 {
                label.words[0].clone()
            } else {
                format!("\"{}\"", label.words.join(" "))
            };
            // The cache key names the fields, so a label parses once per language set.
            let key = format!("{:03b} {source}", label.slots);
            phrases.extend(ctx.vocabulary.parsed(&key, || {
                language_parser(ctx, label.slots).parse_query(&source).ok()
            }));
        }
    }
    (!phrases.is_empty()).then(|| Box::new(BooleanQuery::union(phrases)) as Box<dyn Query>)
}

/// The BM25 query of a concept's words over the default fields (`None` if it has none).
fn text_query(ctx: &Context<'_>, parser: &QueryParser, text: &Text) -> Option<Box<dyn Query>> {
    // Words are alphanumeric runs (`reference::parts`), so they need no escaping.
    let source = match text {
        Text::Words(words) if !words.is_empty() => words.join(" "),
        Text::Phrase {
            words,
            prefix: true,
        } if words.len() == 1 => {
            return Some(prefix_query(ctx, &words[0]));
        }
        Text::Phrase { words, prefix } => {
            format!("\"{}\"{}", words.join(" "), if *prefix { "*" } else { "" })
        }
        Text::Prefix(stem) => return Some(prefix_query(ctx, stem)),
        Text::Field { field, words } if words.len() == 1 => format!("{field}:{}", words[0]),
        Text::Field { field, words } => format!("{field}:\"{}\"", words.join(" ")),
        Text::Words(_) => return None,
    };
    parser.parse_query(&source).ok()
}

/// The documents whose reference key a window of the query spells: for each start, the longest
/// window whose key the index has; later windows may not overlap it.
fn pins(
    ctx: &Context<'_>,
    candidates: &[ReferenceCandidate],
) -> Result<Option<Box<dyn Query>>, IndexError> {
    let mut until = 0;
    let mut found: Vec<Box<dyn Query>> = Vec::new();
    for candidate in candidates {
        if candidate.start < until {
            continue;
        }
        let term = Term::from_field_text(ctx.fields.reference_key, &candidate.key);
        if ctx.searcher.doc_freq(&term)? > 0 {
            found.push(Box::new(TermQuery::new(term, IndexRecordOption::Basic)));
            until = candidate.end;
        }
    }
    Ok((!found.is_empty()).then(|| Box::new(BooleanQuery::union(found)) as Box<dyn Query>))
}

/// Every way of choosing `k` of `n` positions, in lexicographic order.
fn combinations(n: usize, k: usize) -> Vec<Vec<usize>> {
    if k > n {
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut current: Vec<usize> = (0..k).collect();
    loop {
        out.push(current.clone());
        // The rightmost position that can still move right.
        let Some(i) = (0..k).rev().find(|&i| current[i] < n - k + i) else {
            return out;
        };
        current[i] += 1;
        for j in i + 1..k {
            current[j] = current[j - 1] + 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn combinations_in_order() {
        assert_eq!(combinations(3, 0), [Vec::<usize>::new()]);
        assert_eq!(combinations(3, 2), [vec![0, 1], vec![0, 2], vec![1, 2]]);
        assert_eq!(combinations(2, 3), Vec::<Vec<usize>>::new());
        assert_eq!(combinations(4, 1).len(), 4);
    }
}
