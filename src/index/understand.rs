//! Reading a plain query the way an analyst means it (README "How a query is read"):
//!
//! * **Content words** are required (each in any field). A word that any language's analyzer
//!   drops (a stop word: "of", "the", "yang") is not required and not searched; filler words
//!   (`lexicon/*.toml`: "what", "must", "apa", "obligations") are scored but never required. A
//!   query with no content word searches its filler (then stop) words instead.
//! * **Theme and role labels** (any language's, from the graph) become one concept that the
//!   words *or* the theme's or role's tag satisfy: an expansion that adds documents ranked below
//!   text matches. They are offered as filters (`applied: false`): a theme or role tag is
//!   curated per document, so filtering on it would hide text matches.
//! * **Jurisdictions** (names and codes) and **dates** after a cue word ([`super::dates`]) are
//!   applied as filters when the words name one facet and the request does not already filter
//!   that facet to other values; a jurisdiction's words are then scored but not required. Words
//!   that name values of two facets (a jurisdiction and a theme) are offered, not applied.
//!
//! Everything understood is listed in the response (`understood`), applied or not; with
//! understanding off (`understand=false`) only theme expansion remains.

use super::dates;
use super::lexicon::Lexicon;
use super::reference;
use super::syntax::Piece;
use super::vocabulary::{Sense, Vocabulary, normalise};
use serde::Serialize;
use std::collections::BTreeMap;

/// A theme whose tag also satisfies some words of the query.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Expansion {
    /// The label that matched the query, as written in the graph.
    pub label: String,
    pub theme: String,
}

/// A facet value recognised in the query text.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Understood {
    /// `jurisdiction`, `role`, `theme`, or for dates `from`/`to`.
    pub facet: String,
    /// The facet value (`SG`, `deployer`, `content-provenance`) or an ISO date.
    pub value: String,
    /// The words it was read from, as typed.
    pub from: String,
    /// The value's name in the graph ("Singapore", "Deployer").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// True when it filters the results; false when only offered (ambiguous words, a request
    /// filter on the same facet, or a theme, which expands rather than filters).
    pub applied: bool,
}

/// How a concept's text is matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Text {
    /// Content words, all required: one word, or the content words of a label.
    Words(Vec<String>),
    /// Consecutive words with their stop words: a quoted phrase or a compound ("record-keeping").
    Phrase { words: Vec<String>, prefix: bool },
    /// Any word starting so.
    Prefix(String),
    /// Words (as a phrase when several) in one named field.
    Field {
        field: &'static str,
        words: Vec<String>,
    },
}

/// One unit of the query that a document matches or not.
#[derive(Debug, Clone, PartialEq)]
pub struct Concept {
    /// The words as typed (named in `dropped`).
    pub display: String,
    pub text: Text,
    /// Facet values (themes, roles) whose tag satisfies the concept too.
    pub tags: Vec<Sense>,
    /// A single typed word: may also match with typos when rare.
    pub typo: bool,
}

impl Concept {
    fn words(display: &str, words: Vec<String>, typo: bool) -> Self {
        Self {
            display: display.to_owned(),
            text: Text::Words(words),
            tags: Vec::new(),
            typo,
        }
    }
}

/// Words of the query that may be a reference: pieces `start..end` and their key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferenceCandidate {
    pub start: usize,
    pub end: usize,
    pub key: String,
}

/// What the request says besides the text, which understanding must not contradict.
#[derive(Default)]
pub struct Options<'a> {
    pub understand: bool,
    pub filters: Option<&'a BTreeMap<String, Vec<String>>>,
    pub has_from: bool,
    pub has_to: bool,
}

#[derive(Debug, Default, Clone)]
pub struct Reading {
    pub required: Vec<Concept>,
    /// Scored, never required: filler, and the words of applied filters.
    pub optional: Vec<Concept>,
    pub understood: Vec<Understood>,
    pub expansions: Vec<Expansion>,
    /// Longest windows first for each start.
    pub references: Vec<ReferenceCandidate>,
    /// Facet filters understood and applied.
    pub filters: BTreeMap<String, Vec<String>>,
    /// Date bounds understood and applied, YYYYMMDD.
    pub from: Option<i64>,
    pub to: Option<i64>,
}

impl Reading {
    /// Stops applying the understood dates, or if there are none the understood jurisdictions
    /// (they stay listed, `applied: false`). False when nothing was applied.
    pub fn unapply(&mut self) -> bool {
        let facets: &[&str] = if self.from.is_some() || self.to.is_some() {
            (self.from, self.to) = (None, None);
            &["from", "to"]
        } else if !self.filters.is_empty() {
            self.filters.clear();
            &["jurisdiction"]
        } else {
            return false;
        };
        for u in &mut self.understood {
            if facets.contains(&u.facet.as_str()) {
                u.applied = false;
            }
        }
        true
    }
}

/// The longest reference window, in pieces.
const REFERENCE_PIECES: usize = 8;

/// Reads the pieces of a plain query. `is_stop` says whether some analyzer drops a word.
pub fn read(
    pieces: &[Piece],
    vocabulary: &Vocabulary,
    options: &Options<'_>,
    is_stop: &dyn Fn(&str) -> bool,
) -> Reading {
    let mut reading = Reading::default();
    let mut stops: Vec<String> = Vec::new();
    let mut i = 0;
    while i < pieces.len() {
        match &pieces[i] {
            Piece::Word { .. } => {
                let end = (i..pieces.len())
                    .find(|j| !matches!(pieces[*j], Piece::Word { .. }))
                    .unwrap_or(pieces.len());
                read_words(
                    &pieces[i..end],
                    vocabulary,
                    options,
                    is_stop,
                    &mut reading,
                    &mut stops,
                );
                i = end;
                continue;
            }
            Piece::Phrase { words, prefix } => {
                let mut concept = Concept {
                    display: format!("\"{}\"", words.join(" ")),
                    text: Text::Phrase {
                        words: words.clone(),
                        prefix: *prefix,
                    },
                    tags: Vec::new(),
                    typo: false,
                };
                // A phrase that is a theme label also finds what is tagged with the theme.
                if !prefix {
                    let normal: Vec<String> = words
                        .iter()
                        .filter(|w| !is_stop(w))
                        .map(|w| normalise(w))
                        .collect();
                    if let Some((_, senses)) =
                        vocabulary.longest_match(&normal, "", |n| n == normal.len())
                    {
                        expand(&mut concept, &senses, vocabulary, options, &mut reading);
                    }
                }
                reading.required.push(concept);
            }
            Piece::Prefix(stem) => reading.required.push(Concept {
                display: format!("{stem}*"),
                text: Text::Prefix(stem.clone()),
                tags: Vec::new(),
                typo: false,
            }),
            Piece::Field { field, words } => reading.required.push(Concept {
                display: format!("{field}:{}", words.join(" ")),
                text: Text::Field {
                    field,
                    words: words.clone(),
                },
                tags: Vec::new(),
                typo: false,
            }),
        }
        i += 1;
    }
    reading.references = references(pieces);
    let filtered = !reading.filters.is_empty() || reading.from.is_some() || reading.to.is_some();
    if reading.required.is_empty() && !filtered {
        // Only filler or stop words: they are what the user is looking for.
        reading.required = std::mem::take(&mut reading.optional);
        for concept in &mut reading.required {
            concept.typo = false;
        }
        if reading.required.is_empty() {
            reading.required = stops
                .into_iter()
                .map(|w| Concept::words(&w, vec![w.clone()], false))
                .collect();
        }
    }
    reading
}

/// A run of word pieces: dates, labels, then single words.
fn read_words(
    pieces: &[Piece],
    vocabulary: &Vocabulary,
    options: &Options<'_>,
    is_stop: &dyn Fn(&str) -> bool,
    reading: &mut Reading,
    stops: &mut Vec<String>,
) {
    let lexicon = Lexicon::get();
    // Flattened parts, with the piece each came from.
    let mut words: Vec<&str> = Vec::new();
    let mut piece: Vec<usize> = Vec::new();
    let mut raws: Vec<&str> = Vec::new();
    for (p, item) in pieces.iter().enumerate() {
        if let Piece::Word { raw, parts } = item {
            raws.push(raw);
            for part in parts {
                words.push(part);
                piece.push(p);
            }
        }
    }
    let boundary = |k: usize| k == words.len() || piece[k] != piece[k - 1];
    // Labels are matched on content words: "pelindungan data yang pribadi" names the label
    // "pelindungan data pribadi" (stop words never change what a query finds).
    let content: Vec<usize> = (0..words.len()).filter(|p| !is_stop(words[*p])).collect();
    let normal: Vec<String> = content.iter().map(|p| normalise(words[*p])).collect();
    // The label starting at word `k`: the word after its span, and what it names.
    let label_at = |k: usize| {
        let ci = content.iter().position(|p| *p == k)?;
        let (n, senses) = vocabulary.longest_match(&normal[ci..], raws[piece[k]], |n| {
            boundary(content[ci + n - 1] + 1)
        })?;
        Some((content[ci + n - 1] + 1, senses))
    };
    let display = |from: usize, to: usize| raws[piece[from]..=piece[to - 1]].join(" ");
    let mut k = 0;
    while k < words.len() {
        if options.understand
            && let Some(span) = dates::read(&words[k..], &piece[k..])
        {
            let text = display(k, k + span.words);
            for (facet, date, taken) in [
                ("from", span.from, options.has_from),
                ("to", span.to, options.has_to),
            ] {
                let Some(date) = date else { continue };
                let slot = if facet == "from" {
                    &mut reading.from
                } else {
                    &mut reading.to
                };
                let applied = !taken && slot.is_none();
                if applied {
                    *slot = Some(dates::date_number(date));
                }
                reading.understood.push(Understood {
                    facet: facet.into(),
                    value: date.to_string(),
                    from: text.clone(),
                    label: None,
                    applied,
                });
            }
            k += span.words;
            continue;
        }
        if let Some((mut end, senses)) = label_at(k) {
            // Overlapping labels of one theme are one span: "laporan insiden" and "insiden
            // serius" make "laporan insiden serius".
            while let Some(further) = (k + 1..end).filter(|j| boundary(*j)).find_map(|j| {
                let (reach, more) = label_at(j)?;
                let shared = more
                    .iter()
                    .any(|(s, _)| s.facet == "theme" && senses.iter().any(|(t, _)| t == s));
                (shared && reach > end).then_some(reach)
            }) {
                end = further;
            }
            let n = end - k;
            let span_words: Vec<String> = words[k..k + n].iter().map(|w| w.to_string()).collect();
            let text = display(k, k + n);
            let content: Vec<String> = span_words.iter().filter(|w| !is_stop(w)).cloned().collect();
            let content = if content.is_empty() {
                span_words
            } else {
                content
            };
            let mut facets: Vec<&str> = senses.iter().map(|(s, _)| s.facet.as_str()).collect();
            facets.sort();
            facets.dedup();
            if facets.contains(&"theme") || (options.understand && facets == ["role"]) {
                let mut concept = Concept::words(&text, content, false);
                expand(&mut concept, &senses, vocabulary, options, reading);
                reading.required.push(concept);
                k += n;
                continue;
            }
            if options.understand && facets == ["jurisdiction"] {
                filter(&senses, &text, vocabulary, options, reading);
                reading.optional.push(Concept::words(&text, content, false));
                k += n;
                continue;
            }
            if options.understand {
                // Two facets: offered, not applied; the words are searched as words.
                offer(&senses, &text, vocabulary, reading);
            }
        }
        // One piece: a word, or a compound searched as a phrase.
        let end = (k + 1..=words.len())
            .find(|e| boundary(*e))
            .unwrap_or(words.len());
        let raw = raws[piece[k]];
        if end - k > 1 {
            reading.required.push(Concept {
                display: raw.to_owned(),
                text: Text::Phrase {
                    words: words[k..end].iter().map(|w| w.to_string()).collect(),
                    prefix: false,
                },
                tags: Vec::new(),
                typo: false,
            });
        } else {
            let word = words[k].to_owned();
            if is_stop(&word) {
                stops.push(word);
            } else if lexicon.is_filler(&word) {
                reading
                    .optional
                    .push(Concept::words(raw, vec![word], false));
            } else {
                reading.required.push(Concept::words(raw, vec![word], true));
            }
        }
        k = end;
    }
}

/// Adds the themes (and, when understanding, the roles) among `senses` to the concept's tags,
/// the themes to the expansions; lists every sense as understood, offered rather than applied.
fn expand(
    concept: &mut Concept,
    senses: &[(Sense, String)],
    vocabulary: &Vocabulary,
    options: &Options<'_>,
    reading: &mut Reading,
) {
    let widens = |s: &Sense| s.facet == "theme" || (options.understand && s.facet == "role");
    for (sense, label) in senses.iter().filter(|(s, _)| widens(s)) {
        if !concept.tags.contains(sense) {
            concept.tags.push(sense.clone());
        }
        if sense.facet == "theme" && !reading.expansions.iter().any(|e| e.theme == sense.value) {
            reading.expansions.push(Expansion {
                label: label.clone(),
                theme: sense.value.clone(),
            });
        }
    }
    if options.understand {
        let text = concept.display.trim_matches('"').to_owned();
        for (sense, _) in senses {
            let label = vocabulary
                .display(&sense.facet, &sense.value)
                .map(str::to_owned);
            push_understood(reading, sense, &text, label, false);
        }
    }
}

/// Applies jurisdictions as a filter (OR), unless the request filters jurisdictions to other
/// values.
fn filter(
    senses: &[(Sense, String)],
    text: &str,
    vocabulary: &Vocabulary,
    options: &Options<'_>,
    reading: &mut Reading,
) {
    let facet = "jurisdiction";
    let requested = options
        .filters
        .and_then(|f| f.get(facet))
        .filter(|v| !v.is_empty());
    for (sense, _) in senses {
        let applied = requested.is_none_or(|values| values.contains(&sense.value));
        if applied {
            let values = reading.filters.entry(facet.to_owned()).or_default();
            if !values.contains(&sense.value) {
                values.push(sense.value.clone());
            }
        }
        let label = vocabulary.display(facet, &sense.value).map(str::to_owned);
        push_understood(reading, sense, text, label, applied);
    }
}

fn offer(senses: &[(Sense, String)], text: &str, vocabulary: &Vocabulary, reading: &mut Reading) {
    for (sense, _) in senses {
        let label = vocabulary
            .display(&sense.facet, &sense.value)
            .map(str::to_owned);
        push_understood(reading, sense, text, label, false);
    }
}

fn push_understood(
    reading: &mut Reading,
    sense: &Sense,
    text: &str,
    label: Option<String>,
    applied: bool,
) {
    let exists = reading
        .understood
        .iter()
        .any(|u| u.facet == sense.facet && u.value == sense.value && u.from == text);
    if !exists {
        reading.understood.push(Understood {
            facet: sense.facet.clone(),
            value: sense.value.clone(),
            from: text.to_owned(),
            label,
            applied,
        });
    }
}

/// Windows of consecutive word pieces whose parts read as a reference key of two or more parts.
fn references(pieces: &[Piece]) -> Vec<ReferenceCandidate> {
    let mut out = Vec::new();
    for start in 0..pieces.len() {
        let mut parts: Vec<&str> = Vec::new();
        let mut windows = Vec::new();
        for end in start + 1..=(start + REFERENCE_PIECES).min(pieces.len()) {
            let Piece::Word { parts: more, .. } = &pieces[end - 1] else {
                break;
            };
            parts.extend(more.iter().map(String::as_str));
            // A reference ends with its number: "Art. 50(2)", "Annex III", "Annex A".
            if !more.iter().all(|p| reference::is_number_part(p)) {
                continue;
            }
            if let Some(key) = reference::key_of_parts(&parts)
                && key.contains(' ')
            {
                windows.push(ReferenceCandidate { start, end, key });
            }
        }
        windows.reverse();
        out.extend(windows);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::syntax::plain_pieces;
    use super::super::vocabulary::VocabularyLabel;
    use super::*;

    fn vocabulary() -> Vocabulary {
        Vocabulary::new(
            &[
                VocabularyLabel::code("SG"),
                VocabularyLabel::new("jurisdiction", "SG", "Singapore", "en", true),
                VocabularyLabel::new("jurisdiction", "MY", "Malaysia", "en", true),
                VocabularyLabel::new("role", "deployer", "Deployer", "en", true),
                VocabularyLabel::new("role", "provider", "pembekal", "ms", true),
                VocabularyLabel::new("theme", "supply-chain", "pembekal", "ms", false),
                VocabularyLabel::new("theme", "content-provenance", "watermarking", "en", false),
                VocabularyLabel::new(
                    "theme",
                    "explainability",
                    "right to explanation",
                    "en",
                    false,
                ),
                VocabularyLabel::new(
                    "theme",
                    "incident-reporting",
                    "laporan insiden",
                    "ms",
                    false,
                ),
                VocabularyLabel::new("theme", "incident-reporting", "insiden serius", "ms", false),
                VocabularyLabel::new("theme", "privacy", "pelindungan data pribadi", "id", false),
            ],
            &stop,
        )
    }

    fn stop(word: &str) -> bool {
        matches!(
            word,
            "of" | "on" | "in" | "the" | "to" | "are" | "is" | "a" | "yang"
        )
    }

    fn read_text(q: &str, understand: bool) -> Reading {
        let options = Options {
            understand,
            ..Options::default()
        };
        read(&plain_pieces(q), &vocabulary(), &options, &stop)
    }

    fn texts(concepts: &[Concept]) -> Vec<String> {
        concepts.iter().map(|c| c.display.clone()).collect()
    }

    #[test]
    fn role_theme_and_jurisdiction_are_understood() {
        let r = read_text("deployer obligations on watermarking in Singapore", true);
        assert_eq!(texts(&r.required), ["deployer", "watermarking"]);
        assert_eq!(r.required[0].tags[0].value, "deployer");
        assert_eq!(r.required[1].tags[0].value, "content-provenance");
        assert_eq!(texts(&r.optional), ["obligations", "Singapore"]);
        let seen: Vec<(&str, &str, bool)> = r
            .understood
            .iter()
            .map(|u| (u.facet.as_str(), u.value.as_str(), u.applied))
            .collect();
        assert_eq!(
            seen,
            [
                ("role", "deployer", false),
                ("theme", "content-provenance", false),
                ("jurisdiction", "SG", true)
            ]
        );
        assert_eq!(r.filters.len(), 1);
        assert_eq!(r.filters["jurisdiction"], ["SG"]);
        assert_eq!(r.understood[0].label.as_deref(), Some("Deployer"));
        assert_eq!(r.understood[2].label.as_deref(), Some("Singapore"));
    }

    #[test]
    fn a_role_is_its_words_or_its_documents() {
        let r = read_text("what are the obligations of deployers", true);
        assert!(r.filters.is_empty());
        assert_eq!(texts(&r.required), ["deployers"]);
        assert_eq!(r.required[0].tags[0].value, "deployer");
        assert_eq!(texts(&r.optional), ["what", "obligations"]);
    }

    #[test]
    fn overlapping_labels_of_a_theme_are_one_concept() {
        let r = read_text("laporan insiden serius", true);
        assert_eq!(texts(&r.required), ["laporan insiden serius"]);
        assert_eq!(r.required[0].tags[0].value, "incident-reporting");
    }

    #[test]
    fn stop_words_inside_a_label_do_not_break_it() {
        let r = read_text("pelindungan data yang pribadi", true);
        assert_eq!(texts(&r.required), ["pelindungan data yang pribadi"]);
        assert_eq!(r.required[0].tags[0].value, "privacy");
        let r = read_text("right explanation", true);
        assert_eq!(r.required[0].tags[0].value, "explainability");
    }

    #[test]
    fn literal_reading_keeps_the_words() {
        let r = read_text("deployer obligations in Singapore", false);
        assert_eq!(texts(&r.required), ["deployer", "Singapore"]);
        assert!(r.understood.is_empty() && r.filters.is_empty());
    }

    #[test]
    fn stop_words_are_never_required_but_phrases_keep_them() {
        let r = read_text("automatic recording of events", true);
        assert_eq!(texts(&r.required), ["automatic", "recording", "events"]);
        let r = read_text("\"recording of events\" the", true);
        assert_eq!(
            r.required[0].text,
            Text::Phrase {
                words: vec!["recording".into(), "of".into(), "events".into()],
                prefix: false
            }
        );
        assert_eq!(r.required.len(), 1);
        // Only stop words: searched as they are.
        assert_eq!(texts(&read_text("of the", true).required), ["of", "the"]);
        // A label's stop words are not required either.
        let r = read_text("right to explanation", true);
        assert_eq!(
            r.required[0].text,
            Text::Words(vec!["right".into(), "explanation".into()])
        );
    }

    #[test]
    fn tags_are_offered_and_dates_applied() {
        let r = read_text("kewajipan pembekal sejak Ogos 2026", true);
        assert!(r.filters.is_empty());
        assert_eq!(r.from, Some(20260801));
        assert_eq!(texts(&r.required), ["pembekal"]);
        let tags: Vec<&str> = r.required[0]
            .tags
            .iter()
            .map(|t| t.value.as_str())
            .collect();
        assert_eq!(tags, ["provider", "supply-chain"]);
        let offered: Vec<(&str, bool)> = r
            .understood
            .iter()
            .map(|u| (u.facet.as_str(), u.applied))
            .collect();
        assert_eq!(offered, [("role", false), ("theme", false), ("from", true)]);
        assert_eq!(r.understood[2].from, "sejak Ogos 2026");
        assert_eq!(r.understood[2].value, "2026-08-01");
    }

    #[test]
    fn a_request_filter_on_the_facet_wins() {
        let filters = BTreeMap::from([("jurisdiction".to_owned(), vec!["EU".to_owned()])]);
        let options = Options {
            understand: true,
            filters: Some(&filters),
            has_from: true,
            ..Options::default()
        };
        let r = read(
            &plain_pieces("incidents in Malaysia from 2026"),
            &vocabulary(),
            &options,
            &stop,
        );
        assert!(r.filters.is_empty() && r.from.is_none());
        assert!(r.understood.iter().all(|u| !u.applied));
        assert_eq!(texts(&r.required), ["incidents"]);
    }

    #[test]
    fn references_are_windows_with_numbers() {
        let r = read_text("Art. 50(2) deep fakes", true);
        let keys: Vec<&str> = r.references.iter().map(|c| c.key.as_str()).collect();
        assert_eq!(keys, ["art 50 2", "50 2"]);
        assert_eq!(r.references[0].end, 2);
        assert!(read_text("GOVERN 1.1", true).references[0].key == "govern 1 1");
        assert!(read_text("risk management", true).references.is_empty());
    }
}
