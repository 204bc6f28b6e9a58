//! The graph's names for facet values — jurisdictions (labels and codes), addressee roles and
//! themes, in every language (`queries/index/vocabulary.rq`) — and finding them in a query's
//! words. Query understanding ([`super::understand`]) turns what is found into filters and
//! expansions.
//!
//! Matching is on whole consecutive words, lower case, with one trailing plural `s` ignored on
//! both sides ("deployers" is the label "Deployer", "AI agent" the label "AI agents").
//! A jurisdiction code matches as written in capitals ("SG", "US"), or in lower case when it is
//! not a filler word of some language ("eu", "sg" do; "us", "my" do not). Labels shorter than
//! three letters are ignored. The longest label starting at a word wins.

use super::document::language_slot;
use super::lexicon::Lexicon;
use super::schema::LANGUAGES;
use serde::Serialize;
use std::collections::HashMap;
use std::sync::Mutex;
use tantivy::query::Query;

/// One name of a facet value, as read from the graph.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VocabularyLabel {
    /// `jurisdiction`, `role` or `theme`.
    pub facet: String,
    /// The facet value: a jurisdiction code, a role or theme slug.
    pub value: String,
    pub label: String,
    /// BCP 47 tag of the label ("" for codes).
    pub language: String,
    /// A preferred label (skos:prefLabel, rdfs:label), shown for the value.
    pub preferred: bool,
    /// A jurisdiction code rather than a name.
    pub code: bool,
}

impl VocabularyLabel {
    pub fn new(facet: &str, value: &str, label: &str, language: &str, preferred: bool) -> Self {
        Self {
            facet: facet.into(),
            value: value.into(),
            label: label.into(),
            language: language.into(),
            preferred,
            code: false,
        }
    }

    /// A jurisdiction's code (`SG`), read as the code in capitals or in lower case.
    pub fn code(value: &str) -> Self {
        Self {
            code: true,
            ..Self::new("jurisdiction", value, value, "", false)
        }
    }
}

/// A facet value a span of the query names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Sense {
    pub facet: String,
    pub value: String,
}

struct Entry {
    sense: Sense,
    /// The label as written in the graph.
    label: String,
    /// For codes: the code as written (it matches so, or in lower case unless a filler word).
    code: Option<String>,
}

/// Facet-value names by their normalised words.
#[derive(Default)]
pub struct Vocabulary {
    by_words: HashMap<Vec<String>, Vec<Entry>>,
    longest: usize,
    /// (facet, value) → the label to show.
    display: HashMap<(String, String), String>,
    /// (facet, value) → every label's words and languages, for synonym matching.
    labels: HashMap<(String, String), Vec<LabelWords>>,
    /// The search queries of labels, parsed once per vocabulary: synonym expansion parses
    /// the same few labels on every search that names a theme or role.
    parsed: Mutex<HashMap<String, Option<Box<dyn Query>>>>,
}

/// One label of a facet value as synonym expansion searches it: its words as written (lower
/// case) and the index language slots ([`super::schema::LANGUAGES`]) of the texts to search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelWords {
    pub words: Vec<String>,
    /// One bit per language slot.
    pub slots: u8,
}

/// The language slots a label is searched in. A label says which language it is written in,
/// so searching it in the others' fields only costs time (eight fields per phrase instead of
/// two): Malay and Indonesian share most words, so a label in either is searched in both; an
/// untagged label in every language.
fn label_slots(language: &str) -> u8 {
    let all = (1u8 << LANGUAGES.len()) - 1;
    if language.is_empty() {
        return all;
    }
    match LANGUAGES[language_slot(language)] {
        "id" | "ms" => LANGUAGES
            .iter()
            .enumerate()
            .filter(|(_, l)| matches!(**l, "id" | "ms"))
            .fold(0, |bits, (i, _)| bits | 1 << i),
        _ => 1 << language_slot(language),
    }
}

/// Labels whose parsed query is kept (the vocabulary has a few hundred).
const MAX_PARSED: usize = 4096;

/// A query word as matching sees it: lower case, one plural `s` dropped (not from `ss`).
pub fn normalise(word: &str) -> String {
    let lower = word.to_lowercase();
    let n = lower.chars().count();
    // The same rule on both sides keeps "bias" and "bias" equal (both "bia"); "biases" does
    // not meet "bias", an accepted miss of so simple a rule.
    if n > 3 && lower.ends_with('s') && !lower.ends_with("ss") {
        return lower[..lower.len() - 1].to_owned();
    }
    lower
}

impl Vocabulary {
    /// The vocabulary of `labels`; words `is_stop` says an analyzer drops are left out of the
    /// words labels are matched on.
    pub fn new(labels: &[VocabularyLabel], is_stop: &dyn Fn(&str) -> bool) -> Self {
        let mut this = Self::default();
        let mut shown: HashMap<(String, String), (u8, String)> = HashMap::new();
        for l in labels {
            let words: Vec<String> = super::reference::parts(&l.label)
                .iter()
                .filter(|w| l.code || !is_stop(w))
                .map(|w| normalise(w))
                .collect();
            let letters: usize = words.iter().map(|w| w.chars().count()).sum();
            if words.is_empty() || (letters < 3 && !l.code) {
                continue;
            }
            let sense = Sense {
                facet: l.facet.clone(),
                value: l.value.clone(),
            };
            let entries = this.by_words.entry(words.clone()).or_default();
            if !entries.iter().any(|e| e.sense == sense) {
                entries.push(Entry {
                    sense,
                    label: l.label.clone(),
                    code: l.code.then(|| l.label.clone()),
                });
            }
            this.longest = this.longest.max(words.len());
            // Shown: an English preferred label, else any preferred one, else the first.
            let rank = match (l.preferred, l.language.starts_with("en")) {
                (true, true) => 0,
                (true, false) => 1,
                (false, _) if !l.code => 2,
                _ => 3,
            };
            let key = (l.facet.clone(), l.value.clone());
            if !l.code {
                let parts = super::reference::parts(&l.label);
                let slots = label_slots(&l.language);
                let labels = this.labels.entry(key.clone()).or_default();
                match labels.iter_mut().find(|known| known.words == parts) {
                    Some(known) => known.slots |= slots,
                    None => labels.push(LabelWords {
                        words: parts,
                        slots,
                    }),
                }
            }
            if shown.get(&key).is_none_or(|(r, _)| rank < *r) {
                shown.insert(key, (rank, l.label.clone()));
            }
        }
        this.display = shown.into_iter().map(|(k, (_, v))| (k, v)).collect();
        this
    }

    /// The label to show for a facet value, if the vocabulary names it.
    pub fn display(&self, facet: &str, value: &str) -> Option<&str> {
        self.display
            .get(&(facet.to_owned(), value.to_owned()))
            .map(String::as_str)
    }

    /// The query `source` (a label as query syntax) parses to, parsed by `parse` the first
    /// time. `source` must name what `parse` depends on beyond the text (the fields it searches).
    pub fn parsed(
        &self,
        source: &str,
        parse: impl FnOnce() -> Option<Box<dyn Query>>,
    ) -> Option<Box<dyn Query>> {
        let mut parsed = self.parsed.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(query) = parsed.get(source) {
            return query.as_ref().map(|q| q.box_clone());
        }
        let query = parse();
        if parsed.len() < MAX_PARSED {
            parsed.insert(source.to_owned(), query.as_ref().map(|q| q.box_clone()));
        }
        query
    }

    /// Every label of a facet value (its words, lower case), in any language.
    pub fn labels(&self, facet: &str, value: &str) -> &[LabelWords] {
        self.labels
            .get(&(facet.to_owned(), value.to_owned()))
            .map_or(&[], Vec::as_slice)
    }

    /// The longest label starting at `words[0]` and ending where `ends(n)` allows: how many
    /// words it spans and what it names, with the label as written. `words` are
    /// [`normalise`]d; `first_raw` is the first word as typed (for the case of codes).
    pub fn longest_match(
        &self,
        words: &[String],
        first_raw: &str,
        ends: impl Fn(usize) -> bool,
    ) -> Option<(usize, Vec<(Sense, String)>)> {
        let lexicon = Lexicon::get();
        for n in (1..=self.longest.min(words.len())).rev() {
            if !ends(n) {
                continue;
            }
            let Some(entries) = self.by_words.get(&words[..n]) else {
                continue;
            };
            let senses: Vec<(Sense, String)> = entries
                .iter()
                .filter(|e| match &e.code {
                    None => true,
                    Some(code) => {
                        n == 1
                            && (first_raw == code.as_str() || {
                                let lower = first_raw.to_lowercase();
                                lower == first_raw && !lexicon.is_filler(&lower)
                            })
                    }
                })
                .map(|e| (e.sense.clone(), e.label.clone()))
                .collect();
            if !senses.is_empty() {
                return Some((n, senses));
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vocabulary() -> Vocabulary {
        Vocabulary::new(
            &[
                VocabularyLabel::code("SG"),
                VocabularyLabel::code("US"),
                VocabularyLabel::new("jurisdiction", "SG", "Singapore", "en", true),
                VocabularyLabel::new("jurisdiction", "US", "United States", "en", true),
                VocabularyLabel::new("role", "deployer", "Deployer", "en", true),
                VocabularyLabel::new("role", "provider", "pembekal", "ms", true),
                VocabularyLabel::new("theme", "supply-chain", "pembekal", "ms", false),
                VocabularyLabel::new("theme", "agentic-ai", "AI agents", "en", false),
                VocabularyLabel::new("theme", "fairness", "bias", "en", false),
                VocabularyLabel::new("theme", "x", "AI", "en", false),
            ],
            &|w| w == "of",
        )
    }

    fn find(v: &Vocabulary, text: &str) -> Option<(usize, Vec<String>)> {
        let raw: Vec<&str> = text.split(' ').collect();
        let words: Vec<String> = raw.iter().map(|w| normalise(w)).collect();
        v.longest_match(&words, raw[0], |_| true)
            .map(|(n, senses)| (n, senses.into_iter().map(|(s, _)| s.value).collect()))
    }

    #[test]
    fn a_label_is_parsed_once() {
        let v = vocabulary();
        let parses = std::cell::Cell::new(0);
        let parse = || -> Option<Box<dyn Query>> {
            parses.set(parses.get() + 1);
            Some(Box::new(tantivy::query::AllQuery))
        };
        let first = v.parsed("\"AI agents\"", parse);
        let again = v.parsed("\"AI agents\"", parse);
        assert_eq!(parses.get(), 1, "the second call is served from the cache");
        assert_eq!(format!("{first:?}"), format!("{again:?}"));
        assert!(v.parsed("unparseable", || None).is_none());
        assert!(
            v.parsed("unparseable", || unreachable!()).is_none(),
            "failures are kept too"
        );
    }

    #[test]
    fn labels_are_searched_in_the_fields_of_their_languages() {
        // Slots in LANGUAGES order: en, id, ms.
        assert_eq!(label_slots("en"), 0b001);
        assert_eq!(
            label_slots("fr"),
            0b001,
            "analysed as English, like documents"
        );
        assert_eq!(
            label_slots("id"),
            0b110,
            "Indonesian and Malay share most words"
        );
        assert_eq!(label_slots("ms-MY"), 0b110);
        assert_eq!(label_slots(""), 0b111, "an untagged label: every language");
        let v = Vocabulary::new(
            &[
                VocabularyLabel::new("theme", "audit", "Audit", "en", true),
                VocabularyLabel::new("theme", "audit", "audit", "ms", false),
                VocabularyLabel::new("theme", "audit", "pengauditan", "id", false),
            ],
            &|_| false,
        );
        let words = |w: &[&str]| w.iter().map(|w| w.to_string()).collect::<Vec<_>>();
        assert_eq!(
            v.labels("theme", "audit"),
            [
                LabelWords {
                    words: words(&["audit"]),
                    slots: 0b111
                },
                LabelWords {
                    words: words(&["pengauditan"]),
                    slots: 0b110
                },
            ]
        );
    }

    #[test]
    fn labels_plurals_codes_and_ambiguity() {
        let v = vocabulary();
        assert_eq!(
            find(&v, "deployers obligations"),
            Some((1, vec!["deployer".into()]))
        );
        assert_eq!(find(&v, "united states law"), Some((2, vec!["US".into()])));
        assert_eq!(find(&v, "SG"), Some((1, vec!["SG".into()])));
        assert_eq!(find(&v, "sg"), Some((1, vec!["SG".into()])));
        assert_eq!(find(&v, "US"), Some((1, vec!["US".into()])));
        // "us" is a filler word: only the capitals are the code.
        assert_eq!(find(&v, "us"), None);
        assert_eq!(find(&v, "Us"), None);
        assert_eq!(
            find(&v, "pembekal"),
            Some((1, vec!["provider".into(), "supply-chain".into()]))
        );
        assert_eq!(find(&v, "AI agent"), Some((2, vec!["agentic-ai".into()])));
        assert_eq!(find(&v, "bias"), Some((1, vec!["fairness".into()])));
        assert_eq!(find(&v, "AI"), None);
        assert_eq!(v.display("jurisdiction", "SG"), Some("Singapore"));
        assert_eq!(normalise("business"), "business");
        assert_eq!(normalise("uses"), "use");
        assert_eq!(normalise("Kos"), "kos");
    }
}
