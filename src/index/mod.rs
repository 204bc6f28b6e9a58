//! Full-text search over the graph's obligations: a Tantivy index at `<data>/index`, derived
//! from the graph and kept consistent with it.
//!
//! * Built from the graph with `queries/index/*.rq` ([`indexer`]): one document per requirement,
//!   provision, control, instrument and theme ([`document`]), analysed per language ([`analysis`]).
//! * Consistency: each commit's payload records the graph revision it reflects and the
//!   [`schema::SCHEMA_VERSION`]. [`SearchIndex::open`] rebuilds when either differs (so a crash
//!   between a graph commit and the index commit heals on restart); [`SearchIndex::sync`] rebuilds
//!   when the graph moved on; as a consumer of the graph's change feed it syncs after every
//!   write. The
//!   corpus is small (a few thousand documents), so every change rebuilds the whole index: simple
//!   and always exact (about 3 s for the shipped seeds in a debug build, mostly SPARQL reads).
//! * Queries ([`query`]): a plain query is read ([`understand`]: stop and filler words, theme
//!   labels, jurisdictions, roles, dates, references) and ranked in tiers ([`plain`], [`tier`]):
//!   BM25 within the tier of how each part matched, typo and theme alternatives below text
//!   matches, relaxation that names the dropped words; boolean syntax goes to Tantivy's parser
//!   ([`boolean`]); facets ([`facets`]) and snippets for every query.
//! * The SPARQL bridge ([`service`]): `SERVICE cw:search { … }`.

mod analysis;
mod boolean;
mod dates;
pub(crate) mod document;
mod facets;
mod indexer;
mod lexicon;
mod plain;
pub mod query;
mod reference;
pub(crate) mod schema;
pub(crate) mod service;
mod syntax;
mod tier;
mod typo;
mod understand;
mod vocabulary;

pub use document::{SearchDocument, Text};
pub use query::{Hit, SearchRequest, SearchResponse, Sort};
pub use understand::{Expansion, Understood};
pub use vocabulary::VocabularyLabel;

use crate::graph::feed::{Consumer, ConsumerError};
use crate::graph::{Graph, GraphError};
use schema::{Fields, SCHEMA_VERSION};
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use tantivy::index::SegmentId;
use tantivy::indexer::{LogMergePolicy, NoMergePolicy};
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy};
use vocabulary::Vocabulary;

#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error("search index error: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
    #[error(transparent)]
    Graph(#[from] GraphError),
    #[error("cannot prepare the index directory {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("query is {chars} characters long; the limit is {max}")]
    QueryTooLong { chars: usize, max: usize },
    #[error("{0}")]
    BadRequest(String),
}

impl IndexError {
    /// True when the request was wrong (HTTP 400), false for server-side failures.
    pub fn is_client_error(&self) -> bool {
        matches!(self, Self::QueryTooLong { .. } | Self::BadRequest(_))
    }
}

/// What a commit records (as JSON in Tantivy's commit payload).
#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct Payload {
    schema_version: u32,
    revision: u64,
}

/// Writer memory: Tantivy needs at least 15 MB per indexing thread.
const WRITER_BYTES: usize = 64_000_000;

/// A cheap-to-clone handle on the search index.
#[derive(Clone)]
pub struct SearchIndex {
    inner: Arc<Inner>,
}

struct Inner {
    index: Index,
    reader: IndexReader,
    fields: Fields,
    /// Serialises rebuilds (and so syncs).
    writer: Mutex<IndexWriter>,
    /// The graph revision the committed index reflects.
    revision: AtomicU64,
    vocabulary: RwLock<Arc<Vocabulary>>,
    facets: facets::FacetCache,
}

impl SearchIndex {
    /// Opens (or creates) the index in `dir` and brings it up to the graph's revision,
    /// rebuilding if it was written for another revision or schema version.
    pub fn open(dir: &Path, graph: &Graph) -> Result<Self, IndexError> {
        let this = Self::open_behind(dir, graph)?;
        this.sync(graph)?;
        Ok(this)
    }

    /// Opens (or creates) the index in `dir` as it is on disk, for the change feed to bring up
    /// to date (after the derived graph, which the index reads). Searchable at once when it was
    /// written for the graph's revision; otherwise it reports the revision it was written for
    /// (0 for a new index or another schema) and answers from that until it has caught up.
    pub fn open_behind(dir: &Path, graph: &Graph) -> Result<Self, IndexError> {
        let (this, payload) = Self::open_dir(dir, 1, WRITER_BYTES)?;
        if let Some(p) = payload {
            this.inner.revision.store(p.revision, Ordering::SeqCst);
            if p.revision == graph.revision() {
                this.set_vocabulary(&indexer::vocabulary(graph)?);
                tracing::info!(revision = p.revision, "search index up to date");
            }
        }
        Ok(this)
    }

    /// Creates an index in `dir` (replacing any there) from documents not read from a graph,
    /// with the names of facet values in `vocabulary`; for benchmarks and tools. `threads`
    /// indexing threads.
    pub fn build_from(
        dir: &Path,
        documents: impl IntoIterator<Item = SearchDocument>,
        vocabulary: Vec<VocabularyLabel>,
        threads: usize,
    ) -> Result<Self, IndexError> {
        remove_index(dir)?;
        let (this, _) = Self::open_dir(dir, threads, WRITER_BYTES * threads)?;
        let mut writer = this.lock_writer();
        writer.set_merge_policy(Box::new(NoMergePolicy));
        this.commit(&mut writer, documents, &vocabulary, 0)?;
        this.merge_into(&mut writer, threads.max(1))?;
        writer.set_merge_policy(Box::<LogMergePolicy>::default());
        drop(writer);
        Ok(this)
    }

    /// Merges the committed segments into `parts` of about equal size and waits for it: the
    /// state background merging would reach, with one part per core for parallel search.
    fn merge_into(&self, writer: &mut IndexWriter, parts: usize) -> Result<(), IndexError> {
        let mut segments = self.inner.index.searchable_segment_metas()?;
        segments.sort_by_key(|s| std::cmp::Reverse(s.num_docs()));
        let mut groups: Vec<(u32, Vec<SegmentId>)> = vec![(0, Vec::new()); parts];
        for segment in segments {
            // Largest first into the lightest group: near-equal parts.
            let lightest = groups
                .iter_mut()
                .min_by_key(|(docs, _)| *docs)
                .expect("parts > 0");
            lightest.0 += segment.num_docs();
            lightest.1.push(segment.id());
        }
        let merges: Vec<_> = groups
            .iter()
            .filter(|(_, ids)| ids.len() > 1)
            .map(|(_, ids)| writer.merge(ids))
            .collect();
        for merge in merges {
            merge.wait()?;
        }
        self.inner.reader.reload()?;
        Ok(())
    }

    /// Returns the opened index and the payload of its last commit, if it is this schema's.
    fn open_dir(
        dir: &Path,
        threads: usize,
        memory: usize,
    ) -> Result<(Self, Option<Payload>), IndexError> {
        let io = |source| IndexError::Io {
            path: dir.display().to_string(),
            source,
        };
        let (schema, fields) = schema::build();
        let existing = dir.join("meta.json").exists();
        let opened = if existing {
            Index::open_in_dir(dir).ok().and_then(|index| {
                let payload = index
                    .load_metas()
                    .ok()?
                    .payload
                    .and_then(|p| serde_json::from_str::<Payload>(&p).ok())?;
                (payload.schema_version == SCHEMA_VERSION && index.schema() == schema)
                    .then_some((index, payload))
            })
        } else {
            None
        };
        let (mut index, payload) = match opened {
            Some((index, payload)) => (index, Some(payload)),
            None => {
                if existing {
                    tracing::info!(dir = %dir.display(), "search index has another schema; rebuilding");
                }
                remove_index(dir)?;
                std::fs::create_dir_all(dir).map_err(io)?;
                (Index::create_in_dir(dir, schema)?, None)
            }
        };
        analysis::register(&index);
        // Segments are searched in parallel, one thread per core: a broad query over a large
        // index has its latency roughly halved on two cores.
        index.set_default_multithread_executor()?;
        let writer = index.writer_with_num_threads(threads.max(1), memory)?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        let this = Self {
            inner: Arc::new(Inner {
                index,
                reader,
                fields,
                writer: Mutex::new(writer),
                revision: AtomicU64::new(0),
                vocabulary: RwLock::new(Arc::new(Vocabulary::default())),
                facets: facets::FacetCache::default(),
            }),
        };
        Ok((this, payload))
    }

    /// The graph revision the index reflects.
    pub fn revision(&self) -> u64 {
        self.inner.revision.load(Ordering::SeqCst)
    }

    /// Number of documents in the committed index.
    pub fn num_docs(&self) -> u64 {
        self.inner.reader.searcher().num_docs()
    }

    /// Rebuilds the whole index from the graph. Returns the revision it reflects. Blocking.
    pub fn reindex(&self, graph: &Graph) -> Result<u64, IndexError> {
        let mut writer = self.lock_writer();
        self.rebuild(&mut writer, graph)
    }

    /// Rebuilds if the graph has moved past the indexed revision; returns the indexed revision.
    /// Concurrent callers wait for one rebuild rather than each doing one. Blocking.
    pub fn sync(&self, graph: &Graph) -> Result<u64, IndexError> {
        let mut writer = self.lock_writer();
        if self.revision() == graph.revision() {
            return Ok(self.revision());
        }
        let from = self.revision();
        let revision = self.rebuild(&mut writer, graph)?;
        tracing::info!(
            from,
            to = revision,
            "search index rebuilt to the graph revision"
        );
        Ok(revision)
    }

    /// Reads every document from the graph and commits them as the whole index.
    fn rebuild(&self, writer: &mut IndexWriter, graph: &Graph) -> Result<u64, IndexError> {
        let snapshot = indexer::read(graph)?;
        self.commit(
            writer,
            snapshot.documents,
            &snapshot.vocabulary,
            snapshot.revision,
        )?;
        Ok(snapshot.revision)
    }

    fn lock_writer(&self) -> std::sync::MutexGuard<'_, IndexWriter> {
        self.inner.writer.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn commit(
        &self,
        writer: &mut IndexWriter,
        documents: impl IntoIterator<Item = SearchDocument>,
        vocabulary: &[VocabularyLabel],
        revision: u64,
    ) -> Result<(), IndexError> {
        writer.delete_all_documents()?;
        let mut count = 0u64;
        for doc in documents {
            writer.add_document(doc.to_tantivy(&self.inner.fields))?;
            count += 1;
        }
        let payload = serde_json::to_string(&Payload {
            schema_version: SCHEMA_VERSION,
            revision,
        })
        .expect("payload serialises");
        let mut prepared = writer.prepare_commit()?;
        prepared.set_payload(&payload);
        prepared.commit()?;
        self.inner.reader.reload()?;
        self.inner.revision.store(revision, Ordering::SeqCst);
        self.set_vocabulary(vocabulary);
        tracing::debug!(documents = count, revision, "search index committed");
        Ok(())
    }

    fn set_vocabulary(&self, labels: &[VocabularyLabel]) {
        let index = &self.inner.index;
        let vocabulary = Arc::new(Vocabulary::new(labels, &|w| {
            analysis::is_stop_word(index, w)
        }));
        *self
            .inner
            .vocabulary
            .write()
            .unwrap_or_else(|e| e.into_inner()) = vocabulary;
    }

    /// Runs a search. Blocking (fast, but call it from a blocking thread in async code).
    pub fn search(&self, request: &SearchRequest) -> Result<SearchResponse, IndexError> {
        let searcher = self.inner.reader.searcher();
        let vocabulary = self
            .inner
            .vocabulary
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        query::execute(
            &query::Context {
                index: &self.inner.index,
                searcher: &searcher,
                fields: &self.inner.fields,
                vocabulary: &vocabulary,
                facets: &self.inner.facets,
            },
            request,
        )
    }
}

/// The index as a consumer of the graph's change feed.
impl Consumer for SearchIndex {
    fn name(&self) -> &'static str {
        "index"
    }

    fn revision(&self) -> u64 {
        SearchIndex::revision(self)
    }

    fn catch_up(&self, graph: &Graph) -> Result<u64, ConsumerError> {
        Ok(self.sync(graph)?)
    }
}

/// Removes an index directory; only files Tantivy wrote live there.
fn remove_index(dir: &Path) -> Result<(), IndexError> {
    match std::fs::remove_dir_all(dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(source) => Err(IndexError::Io {
            path: dir.display().to_string(),
            source,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(
        iri: &str,
        lang: &str,
        text: &str,
        jurisdiction: &str,
        themes: &[&str],
    ) -> SearchDocument {
        SearchDocument {
            iri: iri.into(),
            kind: "provision".into(),
            titles: vec![Text {
                language: "en".into(),
                value: format!("Title of {iri}"),
            }],
            texts: vec![Text {
                language: lang.into(),
                value: text.into(),
            }],
            jurisdiction: Some(jurisdiction.into()),
            themes: themes.iter().map(|t| t.to_string()).collect(),
            applies_from: Some(20260802),
            ..SearchDocument::default()
        }
    }

    fn request(q: &str) -> SearchRequest {
        SearchRequest {
            q: q.into(),
            ..SearchRequest::default()
        }
    }

    #[test]
    fn malay_and_english_documents_with_expansion_and_facets() {
        let dir = tempfile::tempdir().unwrap();
        let index = SearchIndex::build_from(
            &dir.path().join("index"),
            [
                doc(
                    "urn:ms",
                    "ms",
                    "Pembekal hendaklah menjalankan pengujian keselamatan.",
                    "MY",
                    &[],
                ),
                doc(
                    "urn:en",
                    "en",
                    "Providers shall mark synthetic outputs.",
                    "EU",
                    &["content-provenance"],
                ),
                doc(
                    "urn:id",
                    "id",
                    "Penyelenggara wajib menguji sistem.",
                    "ID",
                    &[],
                ),
            ],
            vec![VocabularyLabel::new(
                "theme",
                "content-provenance",
                "tera air",
                "ms",
                false,
            )],
            1,
        )
        .unwrap();
        assert_eq!(index.num_docs(), 3);
        // Malay derivations share the stem: menguji ~ pengujian, in both Malay and Indonesian.
        let hits = index.search(&request("menguji")).unwrap();
        let iris: Vec<_> = hits.hits.iter().map(|h| h.iri.as_str()).collect();
        assert!(
            iris.contains(&"urn:ms") && iris.contains(&"urn:id"),
            "{iris:?}"
        );
        assert_eq!(hits.facets["jurisdiction"].get("EU"), None);
        assert_eq!(hits.facets["jurisdiction"]["MY"], 1);
        // A Malay theme label finds the English document through its theme.
        let expanded = index.search(&request("tera air")).unwrap();
        assert_eq!(expanded.expansions.len(), 1);
        assert_eq!(expanded.hits[0].iri, "urn:en");
        // The English stop word "of" (in every title) finds nothing; a stemmed verb does.
        assert_eq!(index.search(&request("of")).unwrap().total, 0);
        assert_eq!(index.search(&request("marking")).unwrap().total, 1);
        // Date range on appliesFrom.
        let mut dated = request("");
        dated.to = Some(20260801);
        assert_eq!(index.search(&dated).unwrap().total, 0);
        dated.to = Some(20260802);
        assert_eq!(index.search(&dated).unwrap().total, 3);
    }

    #[test]
    fn only_rare_words_match_with_typos() {
        let dir = tempfile::tempdir().unwrap();
        let docs = (0..3)
            .map(|i| {
                doc(
                    &format!("urn:known-{i}"),
                    "en",
                    "Testing in a sandbox.",
                    "SG",
                    &[],
                )
            })
            .chain([doc("urn:neighbour", "en", "A sandbax exercise.", "SG", &[])]);
        let index =
            SearchIndex::build_from(&dir.path().join("index"), docs, Vec::new(), 1).unwrap();
        // "sandbox" is in three documents: taken as spelled, its typo neighbour stays out.
        let known = index.search(&request("sandbox")).unwrap();
        assert_eq!(known.total, 3);
        assert!(known.hits.iter().all(|h| h.iri != "urn:neighbour"));
        // "sandbix" is in none: one edit away, both spellings match, exact ones would rank first.
        assert_eq!(index.search(&request("sandbix")).unwrap().total, 4);
    }

    /// Found by fuzz/search_query: `n:*` parsed (an exists query) but failed when searched, a
    /// server error for a user's query. Without operators it is now plain words; syntax that
    /// does not parse is searched as its words.
    #[test]
    fn syntax_that_cannot_be_searched_falls_back_to_words() {
        let dir = tempfile::tempdir().unwrap();
        let docs = [doc("urn:a", "en", "Testing in a sandbox.", "SG", &[])];
        let index =
            SearchIndex::build_from(&dir.path().join("index"), docs, Vec::new(), 1).unwrap();
        for q in [
            "n:*",
            "title:*",
            "sandbox:*",
            "n:* OR x",
            "title:* AND sandbox",
        ] {
            let found = index.search(&request(q)).unwrap();
            assert_eq!(found.fallback, q.contains(['O', 'A']), "{q}");
        }
        assert_eq!(index.search(&request("sandbox:*")).unwrap().total, 1);
        assert_eq!(
            index.search(&request("title:* AND sandbox")).unwrap().total,
            1
        );
    }
}
