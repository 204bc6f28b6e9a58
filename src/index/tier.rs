//! Ranking in tiers: a query whose score is a fixed `base` plus its inner (BM25) score squashed
//! into `[0, scale)`. Summing such clauses ranks first by how each part of the query matched
//! (the bases: a text match above a typo match above a theme tag only), and by BM25 within a tier,
//! so an expansion can add documents but never outrank a text match, and never reorders text
//! matches among themselves. (Plain boosts cannot do this: BM25 is unbounded, so a constant
//! theme score ties or beats weak text matches.)

use std::fmt;
use tantivy::fastfield::AliveBitSet;
use tantivy::query::{EnableScoring, Explanation, Query, Scorer, Weight};
use tantivy::{
    COLLECT_BLOCK_BUFFER_LEN, DocId, DocSet, Score, SeekDangerResult, SegmentReader, Term,
};

/// BM25 score at which the squashed score is half of `scale`: typical single-term scores in
/// the catalogue are 1-15, where `s / (s + HALF)` still orders them.
const HALF: Score = 8.0;

/// `base + scale * s / (s + HALF)` for the inner score `s`.
pub struct TierQuery {
    inner: Box<dyn Query>,
    base: Score,
    scale: Score,
    /// Whether snippets highlight the inner query's terms.
    highlight: bool,
}

impl TierQuery {
    pub fn new(inner: Box<dyn Query>, base: Score, scale: Score) -> Self {
        Self {
            inner,
            base,
            scale,
            highlight: true,
        }
    }

    /// Ranks without lending its terms to snippets (synonyms: highlighting each word of
    /// "AI-generated content labelling" would mark every "AI").
    pub fn unhighlighted(mut self) -> Self {
        self.highlight = false;
        self
    }
}

impl Clone for TierQuery {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.box_clone(),
            base: self.base,
            scale: self.scale,
            highlight: self.highlight,
        }
    }
}

impl fmt::Debug for TierQuery {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(
            f,
            "Tier(base={}, scale={}, {:?})",
            self.base, self.scale, self.inner
        )
    }
}

impl Query for TierQuery {
    fn weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        let inner = self.inner.weight(enable_scoring)?;
        Ok(if enable_scoring.is_scoring_enabled() {
            Box::new(TierWeight {
                inner,
                base: self.base,
                scale: self.scale,
            })
        } else {
            inner
        })
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        if self.highlight {
            self.inner.query_terms(visitor)
        }
    }
}

struct TierWeight {
    inner: Box<dyn Weight>,
    base: Score,
    scale: Score,
}

fn squash(score: Score, base: Score, scale: Score) -> Score {
    let score = score.max(0.0);
    base + scale * score / (score + HALF)
}

impl Weight for TierWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        Ok(Box::new(TierScorer {
            inner: self.inner.scorer(reader, 1.0)?,
            base: self.base * boost,
            scale: self.scale * boost,
        }))
    }

    fn scorer_danger(
        &self,
        reader: &SegmentReader,
        target: DocId,
        boost: Score,
    ) -> tantivy::Result<(SeekDangerResult, Box<dyn Scorer>)> {
        let (found, inner) = self.inner.scorer_danger(reader, target, 1.0)?;
        let scorer = TierScorer {
            inner,
            base: self.base * boost,
            scale: self.scale * boost,
        };
        Ok((found, Box::new(scorer)))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let inner = self.inner.explain(reader, doc)?;
        let mut explanation = Explanation::new_with_string(
            format!("tier {} + {} x s/(s+{HALF})", self.base, self.scale),
            squash(inner.value(), self.base, self.scale),
        );
        explanation.add_detail(inner);
        Ok(explanation)
    }

    fn count(&self, reader: &SegmentReader) -> tantivy::Result<u32> {
        self.inner.count(reader)
    }
}

struct TierScorer {
    inner: Box<dyn Scorer>,
    base: Score,
    scale: Score,
}

impl DocSet for TierScorer {
    fn advance(&mut self) -> DocId {
        self.inner.advance()
    }

    fn seek(&mut self, target: DocId) -> DocId {
        self.inner.seek(target)
    }

    fn seek_danger(&mut self, target: DocId) -> SeekDangerResult {
        self.inner.seek_danger(target)
    }

    fn fill_buffer(&mut self, buffer: &mut [DocId; COLLECT_BLOCK_BUFFER_LEN]) -> usize {
        self.inner.fill_buffer(buffer)
    }

    fn doc(&self) -> DocId {
        self.inner.doc()
    }

    fn size_hint(&self) -> u32 {
        self.inner.size_hint()
    }

    fn cost(&self) -> u64 {
        self.inner.cost()
    }

    fn count(&mut self, alive_bitset: &AliveBitSet) -> u32 {
        self.inner.count(alive_bitset)
    }

    fn count_including_deleted(&mut self) -> u32 {
        self.inner.count_including_deleted()
    }
}

impl Scorer for TierScorer {
    fn score(&mut self) -> Score {
        squash(self.inner.score(), self.base, self.scale)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn squashing_keeps_order_inside_a_tier_and_tiers_apart() {
        let weak = squash(0.1, 4.0, 1.0);
        let strong = squash(40.0, 4.0, 1.0);
        assert!(weak > 4.0 && weak < strong && strong < 5.0);
        assert!(squash(1e9, 2.0, 1.0) <= 3.0);
        assert_eq!(squash(-1.0, 1.0, 1.0), 1.0);
    }
}
