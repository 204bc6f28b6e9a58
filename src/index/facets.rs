//! Facet counts from per-segment bitsets.
//!
//! Tantivy's `FacetCollector` reads every matching document's facet ordinals from the columnar
//! store, five times per document for our five facets; at a million documents that was most of
//! a broad query's time. Facet values are few (tens), so instead each segment keeps, per value,
//! the set of documents carrying it (read once from the inverted index and cached until the
//! segment goes away). A query only marks its matches in a bitset; counting a value is then an
//! AND and a popcount over machine words, or, for a handful of matches, a bit test per match.

use super::schema::{FACETS, Fields};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::index::SegmentId;
use tantivy::schema::{Facet, IndexRecordOption};
use tantivy::{DocId, DocSet, Score, Searcher, SegmentOrdinal, SegmentReader, TERMINATED};

/// Counts per facet (in [`FACETS`] order), value → matching documents.
pub type FacetCounts = [BTreeMap<String, u64>; FACETS.len()];

/// A set of documents of one segment, one bit each.
#[derive(Clone)]
struct Bits(Vec<u64>);

impl Bits {
    fn new(max_doc: DocId) -> Self {
        Self(vec![0; (max_doc as usize).div_ceil(64)])
    }

    fn insert(&mut self, doc: DocId) {
        self.0[doc as usize / 64] |= 1 << (doc % 64);
    }

    fn contains(&self, doc: DocId) -> bool {
        self.0[doc as usize / 64] & (1 << (doc % 64)) != 0
    }

    fn intersection_len(&self, other: &Bits) -> u64 {
        self.0
            .iter()
            .zip(&other.0)
            .map(|(a, b)| u64::from((a & b).count_ones()))
            .sum()
    }

    fn iter(&self) -> impl Iterator<Item = DocId> + '_ {
        self.0.iter().enumerate().flat_map(|(i, word)| {
            let mut word = *word;
            std::iter::from_fn(move || {
                (word != 0).then(|| {
                    let bit = word.trailing_zeros();
                    word &= word - 1;
                    i as DocId * 64 + bit
                })
            })
        })
    }
}

/// The documents carrying each facet value, for one segment.
struct SegmentFacets {
    max_doc: DocId,
    /// (facet position in [`FACETS`], value, documents).
    values: Vec<(usize, String, Bits)>,
}

impl SegmentFacets {
    fn read(reader: &SegmentReader, fields: &Fields) -> tantivy::Result<Self> {
        let max_doc = reader.max_doc();
        let mut values = Vec::new();
        for (position, name) in FACETS.iter().enumerate() {
            let field = fields.facet(name).expect("FACETS names facet fields");
            let inverted = reader.inverted_index(field)?;
            let mut terms = inverted.terms().stream()?;
            while terms.advance() {
                let Ok(facet) = Facet::from_encoded(terms.key().to_vec()) else {
                    continue;
                };
                // Our facets are one level deep; Tantivy also indexes the root, every document.
                let [value] = facet.to_path()[..] else {
                    continue;
                };
                if facet.is_root() {
                    continue;
                }
                let mut postings = inverted
                    .read_postings_from_terminfo(terms.value(), IndexRecordOption::Basic)?;
                let mut docs = Bits::new(max_doc);
                let mut doc = postings.doc();
                while doc != TERMINATED {
                    docs.insert(doc);
                    doc = postings.advance();
                }
                values.push((position, value.to_owned(), docs));
            }
        }
        Ok(Self { max_doc, values })
    }
}

/// Per-segment facet bitsets, shared by all searches until their segment is merged away.
#[derive(Default)]
pub struct FacetCache {
    segments: Mutex<HashMap<SegmentId, Arc<SegmentFacets>>>,
}

impl FacetCache {
    /// A collector of match counts and facet counts for a search with `searcher`. Forgets the
    /// segments it no longer sees.
    pub fn collector<'a>(
        &'a self,
        fields: &'a Fields,
        searcher: &Searcher,
    ) -> FacetCountCollector<'a> {
        let live: Vec<SegmentId> = searcher
            .segment_readers()
            .iter()
            .map(SegmentReader::segment_id)
            .collect();
        self.segments
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|id, _| live.contains(id));
        FacetCountCollector {
            cache: self,
            fields,
        }
    }

    fn segment(
        &self,
        reader: &SegmentReader,
        fields: &Fields,
    ) -> tantivy::Result<Arc<SegmentFacets>> {
        let id = reader.segment_id();
        if let Some(found) = self
            .segments
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&id)
        {
            return Ok(found.clone());
        }
        // Read outside the lock; two searches racing on a new segment both read it, harmlessly.
        let read = Arc::new(SegmentFacets::read(reader, fields)?);
        self.segments
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id, read.clone());
        Ok(read)
    }
}

/// Collects the number of matches and the facet counts over all of them.
pub struct FacetCountCollector<'a> {
    cache: &'a FacetCache,
    fields: &'a Fields,
}

impl Collector for FacetCountCollector<'_> {
    type Fruit = (usize, FacetCounts);
    type Child = SegmentCounter;

    fn for_segment(
        &self,
        _: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<SegmentCounter> {
        let facets = self.cache.segment(reader, self.fields)?;
        Ok(SegmentCounter {
            matches: Bits::new(facets.max_doc),
            count: 0,
            facets,
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, segments: Vec<(usize, FacetCounts)>) -> tantivy::Result<Self::Fruit> {
        let mut total = 0;
        let mut merged = FacetCounts::default();
        for (count, counts) in segments {
            total += count;
            for (into, from) in merged.iter_mut().zip(counts) {
                for (value, n) in from {
                    *into.entry(value).or_default() += n;
                }
            }
        }
        Ok((total, merged))
    }
}

pub struct SegmentCounter {
    matches: Bits,
    count: usize,
    facets: Arc<SegmentFacets>,
}

impl SegmentCollector for SegmentCounter {
    type Fruit = (usize, FacetCounts);

    fn collect(&mut self, doc: DocId, _: Score) {
        self.matches.insert(doc);
        self.count += 1;
    }

    fn collect_block(&mut self, docs: &[DocId]) {
        for doc in docs {
            self.matches.insert(*doc);
        }
        self.count += docs.len();
    }

    fn harvest(self) -> (usize, FacetCounts) {
        let mut counts = FacetCounts::default();
        // Popcounting a value costs one step per 64 documents of the segment; testing each
        // match costs one step per match. Take the cheaper.
        let sparse: Option<Vec<DocId>> =
            (self.count < self.matches.0.len()).then(|| self.matches.iter().collect());
        for (position, value, docs) in &self.facets.values {
            let n = match &sparse {
                Some(matched) => matched.iter().filter(|d| docs.contains(**d)).count() as u64,
                None => self.matches.intersection_len(docs),
            };
            if n > 0 {
                counts[*position].insert(value.clone(), n);
            }
        }
        (self.count, counts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bits_count_and_iterate_what_was_inserted() {
        let mut a = Bits::new(200);
        let mut b = Bits::new(200);
        for doc in [0, 63, 64, 130, 199] {
            a.insert(doc);
        }
        for doc in [63, 130, 131] {
            b.insert(doc);
        }
        assert_eq!(a.iter().collect::<Vec<_>>(), [0, 63, 64, 130, 199]);
        assert_eq!(a.intersection_len(&b), 2);
        assert!(a.contains(199) && !a.contains(198));
    }
}
