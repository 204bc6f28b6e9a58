//! One search document: what the indexer reads from the graph (or a benchmark generates) and how
//! it maps onto the schema.

use super::schema::{Fields, LANGUAGES};
use tantivy::TantivyDocument;
use tantivy::schema::Facet;

/// A language-tagged string; `language` is the BCP 47 tag as written ("en", "id", "ms-MY", "").
#[derive(Debug, Clone, PartialEq)]
pub struct Text {
    pub language: String,
    pub value: String,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct SearchDocument {
    pub iri: String,
    /// requirement, provision, control, instrument or theme.
    pub kind: String,
    pub reference: Option<String>,
    pub titles: Vec<Text>,
    pub texts: Vec<Text>,
    /// Jurisdiction code ("SG", "EU").
    pub jurisdiction: Option<String>,
    pub instrument: Option<String>,
    pub instrument_name: Option<String>,
    pub issuer: Option<String>,
    /// Legal status slug ("binding-law").
    pub status: Option<String>,
    pub binding: Option<bool>,
    /// Deontic strength local name ("must", "should").
    pub deontic: Option<String>,
    /// Role and theme slugs.
    pub roles: Vec<String>,
    pub themes: Vec<String>,
    /// Dates as YYYYMMDD.
    pub applies_from: Option<i64>,
    pub date: Option<i64>,
}

/// The index slot (position in [`LANGUAGES`]) for a language tag: Indonesian and Malay get their
/// own analyzers; everything else, untagged included, is analysed as English.
pub fn language_slot(tag: &str) -> usize {
    let primary = tag.split('-').next().unwrap_or("").to_ascii_lowercase();
    LANGUAGES.iter().position(|l| *l == primary).unwrap_or(0)
}

/// Parses "2026-08-02" (optionally followed by a time or zone) into 20260802.
pub fn date_number(value: &str) -> Option<i64> {
    let date = value.get(..10)?;
    let parsed = chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").ok()?;
    Some(i64::from(
        parsed.format("%Y%m%d").to_string().parse::<i32>().ok()?,
    ))
}

impl SearchDocument {
    /// The title shown in results: English if present, else the first one.
    pub fn display_title(&self) -> Option<&str> {
        self.titles
            .iter()
            .find(|t| language_slot(&t.language) == 0)
            .or(self.titles.first())
            .map(|t| t.value.as_str())
    }

    pub fn to_tantivy(&self, f: &Fields) -> TantivyDocument {
        let mut doc = TantivyDocument::new();
        doc.add_text(f.iri, &self.iri);
        doc.add_facet(f.kind, Facet::from_path([self.kind.as_str()]));
        if let Some(r) = &self.reference {
            doc.add_text(f.reference, r);
            if let Some(key) = super::reference::key(r) {
                doc.add_text(f.reference_key, key);
            }
        }
        if let Some(title) = self.display_title() {
            doc.add_text(f.title, title);
        }
        let mut languages = Vec::new();
        for t in &self.titles {
            doc.add_text(f.titles[language_slot(&t.language)], &t.value);
            doc.add_text(f.spelling, &t.value);
        }
        for t in &self.texts {
            let slot = language_slot(&t.language);
            doc.add_text(f.texts[slot], &t.value);
            doc.add_text(f.spelling, &t.value);
            if !languages.contains(&slot) {
                languages.push(slot);
            }
        }
        for slot in languages {
            doc.add_text(f.language, LANGUAGES[slot]);
        }
        if let Some(j) = &self.jurisdiction {
            doc.add_facet(f.jurisdiction, Facet::from_path([j.as_str()]));
        }
        if let Some(i) = &self.instrument {
            doc.add_text(f.instrument, i);
        }
        if let Some(n) = &self.instrument_name {
            doc.add_text(f.instrument_name, n);
        }
        if let Some(i) = &self.issuer {
            doc.add_text(f.issuer, i);
        }
        if let Some(s) = &self.status {
            doc.add_facet(f.status, Facet::from_path([s.as_str()]));
        }
        if let Some(b) = self.binding {
            doc.add_text(f.binding, if b { "yes" } else { "no" });
        }
        if let Some(d) = &self.deontic {
            doc.add_text(f.deontic, d);
        }
        for r in &self.roles {
            doc.add_facet(f.role, Facet::from_path([r.as_str()]));
        }
        for t in &self.themes {
            doc.add_facet(f.theme, Facet::from_path([t.as_str()]));
        }
        if let Some(d) = self.applies_from {
            doc.add_i64(f.applies_from, d);
        }
        doc.add_i64(f.sort_date, self.date.or(self.applies_from).unwrap_or(0));
        doc
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn languages_and_dates() {
        assert_eq!(language_slot("id"), 1);
        assert_eq!(language_slot("ms-MY"), 2);
        assert_eq!(language_slot(""), 0);
        assert_eq!(language_slot("fr"), 0);
        assert_eq!(date_number("2026-08-02"), Some(20260802));
        assert_eq!(date_number("2026-08-02Z"), Some(20260802));
        assert_eq!(date_number("2026-13-02"), None);
        assert_eq!(date_number("soon"), None);
    }
}
