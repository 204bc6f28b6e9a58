//! Typo tolerance: a word the index hardly knows (usually a misspelling) is corrected to the
//! words as written in the catalogue within one edit (two from nine characters), which are then
//! searched like typed words — stemmed in every language, BM25-ranked and highlighted — one tier
//! below exact matches. A word the index knows well is taken as spelled (Typesense and Algolia do
//! the same); short words are never corrected.

use super::IndexError;
use super::query::Context;
use levenshtein_automata::{DFA, Distance, LevenshteinAutomatonBuilder, SINK_STATE};
use std::collections::BTreeMap;
use std::sync::OnceLock;
use tantivy::Term;
use tantivy_fst::Automaton;

/// Words found in fewer documents than this are corrected.
const RARE_BELOW: u64 = 3;
/// The most corrections of one word searched (the most frequent ones).
const MAX_CORRECTIONS: usize = 8;

/// Edits tolerated in a word of `length` characters: 1 from 5 characters, 2 from 9.
pub fn distance(length: usize) -> Option<u8> {
    match length {
        0..5 => None,
        5..9 => Some(1),
        _ => Some(2),
    }
}

/// Levenshtein automaton builders (with transpositions), built once per distance: building one
/// costs far more than a query.
fn builder(distance: u8) -> &'static LevenshteinAutomatonBuilder {
    static BUILDERS: [OnceLock<LevenshteinAutomatonBuilder>; 2] =
        [OnceLock::new(), OnceLock::new()];
    BUILDERS[usize::from(distance.clamp(1, 2) - 1)]
        .get_or_init(|| LevenshteinAutomatonBuilder::new(distance.clamp(1, 2), true))
}

/// The words of the index (as written) that `word` may be a misspelling of, most frequent
/// first; empty when the word is short, not a single word, or known (as written or by its stem
/// in some language).
pub fn corrections(ctx: &Context<'_>, word: &str) -> Result<Vec<String>, IndexError> {
    let word = word.to_lowercase();
    let Some(distance) = distance(word.chars().count()) else {
        return Ok(Vec::new());
    };
    if !word.chars().all(char::is_alphanumeric) {
        return Ok(Vec::new());
    }
    let spelling = ctx.fields.spelling;
    let mut known = ctx
        .searcher
        .doc_freq(&Term::from_field_text(spelling, &word))?;
    for field in ctx.fields.titles.iter().chain(&ctx.fields.texts) {
        let Ok(mut analyzer) = ctx.index.tokenizer_for_field(*field) else {
            continue;
        };
        let mut stream = analyzer.token_stream(&word);
        while let Some(token) = stream.next() {
            known += ctx
                .searcher
                .doc_freq(&Term::from_field_text(*field, &token.text))?;
        }
    }
    if known >= RARE_BELOW {
        return Ok(Vec::new());
    }
    let dfa = Dfa(builder(distance).build_dfa(&word));
    let mut found: BTreeMap<String, u64> = BTreeMap::new();
    for segment in ctx.searcher.segment_readers() {
        let inverted = segment.inverted_index(spelling)?;
        let mut terms = inverted
            .terms()
            .search(&dfa)
            .into_stream()
            .map_err(tantivy::TantivyError::from)?;
        while terms.advance() {
            if let Ok(term) = std::str::from_utf8(terms.key())
                && term != word
            {
                *found.entry(term.to_owned()).or_default() += u64::from(terms.value().doc_freq);
            }
        }
    }
    let mut ranked: Vec<(String, u64)> = found.into_iter().collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    Ok(ranked
        .into_iter()
        .take(MAX_CORRECTIONS)
        .map(|(term, _)| term)
        .collect())
}

/// A Levenshtein DFA as an FST automaton over the term dictionary.
struct Dfa(DFA);

impl Automaton for &Dfa {
    type State = u32;

    fn start(&self) -> u32 {
        self.0.initial_state()
    }

    fn is_match(&self, state: &u32) -> bool {
        matches!(self.0.distance(*state), Distance::Exact(_))
    }

    fn can_match(&self, state: &u32) -> bool {
        *state != SINK_STATE
    }

    fn accept(&self, state: &u32, byte: u8) -> u32 {
        self.0.transition(*state, byte)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances_grow_with_the_word() {
        assert_eq!(distance(4), None);
        assert_eq!(distance(5), Some(1));
        assert_eq!(distance(9), Some(2));
    }
}
