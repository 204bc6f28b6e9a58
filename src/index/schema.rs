//! The index schema. Bump [`SCHEMA_VERSION`] on any change here or in `analysis`: an index
//! written with another version is rebuilt on open.

use super::analysis;
use tantivy::schema::{
    FAST, FacetOptions, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema,
    TextFieldIndexing, TextOptions,
};

pub const SCHEMA_VERSION: u32 = 2;

/// Languages with their own text fields; other or missing language tags go to English.
pub const LANGUAGES: [&str; 3] = ["en", "id", "ms"];

/// The text fields a query may name (`title_en:…`); all are searched by default.
pub const TEXT_FIELDS: [&str; 8] = [
    "ref",
    "title_en",
    "title_id",
    "title_ms",
    "text_en",
    "text_id",
    "text_ms",
    "instrument_name",
];

/// The facet fields, in the order responses list them.
pub const FACETS: [&str; 5] = ["jurisdiction", "kind", "status", "role", "theme"];

#[derive(Clone)]
pub struct Fields {
    pub iri: Field,
    pub kind: Field,
    pub reference: Field,
    /// The reference key ([`super::reference::key`]), for reference lookups.
    pub reference_key: Field,
    /// Display title (English preferred), stored only.
    pub title: Field,
    /// Per language, in [`LANGUAGES`] order: searchable titles and texts (stored for snippets).
    pub titles: [Field; 3],
    pub texts: [Field; 3],
    /// Every title and text word as written (documents only, no frequencies or positions): the
    /// dictionary typo corrections are looked up in (`index::typo`), since a misspelt word's
    /// stem ("accountabilti") need not be near the right word's stem ("account").
    pub spelling: Field,
    pub language: Field,
    pub jurisdiction: Field,
    pub instrument: Field,
    /// The instrument's short name, stored and searchable ("EU AI Act", "NIST AI RMF").
    pub instrument_name: Field,
    pub issuer: Field,
    pub status: Field,
    pub binding: Field,
    pub deontic: Field,
    pub role: Field,
    pub theme: Field,
    /// Dates as YYYYMMDD integers (fast): appliesFrom, and the date used for sorting.
    pub applies_from: Field,
    pub sort_date: Field,
}

impl Fields {
    pub fn facet(&self, name: &str) -> Option<Field> {
        match name {
            "jurisdiction" => Some(self.jurisdiction),
            "kind" => Some(self.kind),
            "status" => Some(self.status),
            "role" => Some(self.role),
            "theme" => Some(self.theme),
            _ => None,
        }
    }

    /// Fields searched by default, with their boosts.
    pub fn default_search(&self) -> Vec<(Field, f32)> {
        let mut out = vec![(self.reference, 1.5)];
        out.extend(self.titles.iter().map(|f| (*f, 2.0)));
        out.extend(self.texts.iter().map(|f| (*f, 1.0)));
        out.push((self.instrument_name, 0.5));
        out
    }
}

fn text(analyzer: &str, stored: bool) -> TextOptions {
    let options = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(analyzer)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    if stored {
        options.set_stored()
    } else {
        options
    }
}

pub fn build() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let analyzers = [analysis::EN, analysis::ID, analysis::MS];
    let titles = [0, 1, 2].map(|i| {
        b.add_text_field(
            &format!("title_{}", LANGUAGES[i]),
            text(analyzers[i], false),
        )
    });
    let texts = [0, 1, 2]
        .map(|i| b.add_text_field(&format!("text_{}", LANGUAGES[i]), text(analyzers[i], true)));
    let facet = || FacetOptions::default().set_stored();
    let fields = Fields {
        iri: b.add_text_field("iri", STRING | STORED),
        kind: b.add_facet_field("kind", facet()),
        reference: b.add_text_field("ref", text(analysis::PLAIN, true)),
        reference_key: b.add_text_field("ref_key", STRING),
        title: b.add_text_field("title", STORED),
        titles,
        texts,
        spelling: b.add_text_field(
            "spelling",
            TextOptions::default().set_indexing_options(
                TextFieldIndexing::default()
                    .set_tokenizer(analysis::PLAIN)
                    .set_index_option(IndexRecordOption::Basic),
            ),
        ),
        language: b.add_text_field("language", STRING | STORED),
        jurisdiction: b.add_facet_field("jurisdiction", facet()),
        instrument: b.add_text_field("instrument", STRING | STORED),
        instrument_name: b.add_text_field("instrument_name", text(analysis::PLAIN, true)),
        issuer: b.add_text_field("issuer", STRING | STORED),
        status: b.add_facet_field("status", facet()),
        binding: b.add_text_field("binding", STRING | STORED),
        deontic: b.add_text_field("deontic", STRING | STORED),
        role: b.add_facet_field("role", facet()),
        theme: b.add_facet_field("theme", facet()),
        applies_from: b.add_i64_field("applies_from", INDEXED | FAST | STORED),
        sort_date: b.add_i64_field("sort_date", FAST),
    };
    (b.build(), fields)
}
