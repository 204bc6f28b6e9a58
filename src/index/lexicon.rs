//! The small per-language word lists the search reads queries with, kept as reviewable files
//! (`src/index/lexicon/{en,ms,id}.toml`): Malay and Indonesian stop words, filler words that are
//! never required, the spellings of reference words, and date words. Everything that names a
//! jurisdiction, role or theme comes from the graph instead ([`super::vocabulary`]).

use serde::Deserialize;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::OnceLock;

const FILES: [(&str, &str); 3] = [
    ("en", include_str!("lexicon/en.toml")),
    ("ms", include_str!("lexicon/ms.toml")),
    ("id", include_str!("lexicon/id.toml")),
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    stop: Vec<String>,
    filler: Vec<String>,
    references: References,
    dates: DateWords,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct References {
    skip: Vec<String>,
    aliases: BTreeMap<String, Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DateWords {
    from: Vec<String>,
    after: Vec<String>,
    to: Vec<String>,
    before: Vec<String>,
    during: Vec<String>,
    between: Vec<String>,
    and: Vec<String>,
    months: Vec<Vec<String>>,
}

/// What a date cue word says about the date after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cue {
    /// On or after the start of the period.
    From,
    /// After the end of the period.
    After,
    /// On or before the end of the period.
    To,
    /// Before the start of the period.
    Before,
    /// Within the period.
    During,
    /// "between X and Y": from X's start to Y's end.
    Between,
}

/// The merged word lists of every language.
pub struct Lexicon {
    stop: HashMap<&'static str, HashSet<String>>,
    filler: HashSet<String>,
    reference_skip: HashSet<String>,
    reference_alias: HashMap<String, String>,
    /// Cue phrases (as words), longest first.
    cues: Vec<(Vec<String>, Cue)>,
    /// Words joining the two dates of "between".
    and: HashSet<String>,
    /// Month name → month number (1-12).
    months: HashMap<String, u32>,
}

impl Lexicon {
    /// The lexicon of the shipped files (parsed once; `tests::the_files_parse` keeps them valid).
    pub fn get() -> &'static Lexicon {
        static LEXICON: OnceLock<Lexicon> = OnceLock::new();
        LEXICON.get_or_init(|| Self::parse(&FILES).expect("lexicon files parse (unit-tested)"))
    }

    fn parse(files: &[(&'static str, &str)]) -> Result<Lexicon, String> {
        let mut lexicon = Lexicon {
            stop: HashMap::new(),
            filler: HashSet::new(),
            reference_skip: HashSet::new(),
            reference_alias: HashMap::new(),
            cues: Vec::new(),
            and: HashSet::new(),
            months: HashMap::new(),
        };
        for (language, text) in files {
            let file: File =
                toml::from_str(text).map_err(|e| format!("lexicon/{language}.toml: {e}"))?;
            lexicon.stop.insert(
                language,
                file.stop.iter().map(|w| w.to_lowercase()).collect(),
            );
            lexicon
                .filler
                .extend(file.filler.iter().map(|w| w.to_lowercase()));
            lexicon
                .reference_skip
                .extend(file.references.skip.iter().map(|w| w.to_lowercase()));
            for (canonical, spellings) in file.references.aliases {
                for spelling in spellings {
                    lexicon
                        .reference_alias
                        .insert(spelling.to_lowercase(), canonical.clone());
                }
            }
            let d = file.dates;
            for (words, cue) in [
                (d.from, Cue::From),
                (d.after, Cue::After),
                (d.to, Cue::To),
                (d.before, Cue::Before),
                (d.during, Cue::During),
                (d.between, Cue::Between),
            ] {
                for phrase in words {
                    let phrase = split_words(&phrase);
                    if !lexicon.cues.contains(&(phrase.clone(), cue)) {
                        lexicon.cues.push((phrase, cue));
                    }
                }
            }
            lexicon.and.extend(d.and.iter().map(|w| w.to_lowercase()));
            if d.months.len() != 12 {
                return Err(format!(
                    "lexicon/{language}.toml: dates.months needs 12 entries, has {}",
                    d.months.len()
                ));
            }
            for (number, names) in (1..).zip(d.months) {
                for name in names {
                    lexicon.months.insert(name.to_lowercase(), number);
                }
            }
        }
        lexicon
            .cues
            .sort_by_key(|(words, _)| std::cmp::Reverse(words.len()));
        Ok(lexicon)
    }

    /// The stop words of `language`'s analyzer ("ms", "id"; English uses Tantivy's list).
    pub fn stop_words(&self, language: &str) -> Vec<String> {
        let mut words: Vec<String> = self
            .stop
            .get(language)
            .map(|s| s.iter().cloned().collect())
            .unwrap_or_default();
        words.sort();
        words
    }

    /// True for a word (lower case) that asks rather than names (`filler` in any language).
    pub fn is_filler(&self, word: &str) -> bool {
        self.filler.contains(word)
    }

    /// How a reference reads `word` (lower case): `None` to skip it, else its canonical form.
    pub fn reference_word<'a>(&'a self, word: &'a str) -> Option<&'a str> {
        if self.reference_skip.contains(word) {
            return None;
        }
        Some(self.reference_alias.get(word).map_or(word, String::as_str))
    }

    /// The longest date cue starting `words` (lower case): (words it spans, cue).
    pub fn cue(&self, words: &[&str]) -> Option<(usize, Cue)> {
        self.cues.iter().find_map(|(phrase, cue)| {
            (phrase.len() <= words.len() && phrase.iter().zip(words).all(|(a, b)| a == b))
                .then_some((phrase.len(), *cue))
        })
    }

    pub fn is_and(&self, word: &str) -> bool {
        self.and.contains(word)
    }

    /// The month a name (lower case) stands for, 1-12.
    pub fn month(&self, word: &str) -> Option<u32> {
        self.months.get(word).copied()
    }
}

fn split_words(text: &str) -> Vec<String> {
    text.split_whitespace().map(str::to_lowercase).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_files_parse() {
        let lexicon = Lexicon::parse(&FILES).unwrap();
        assert!(
            lexicon.is_filler("what") && lexicon.is_filler("apa") && lexicon.is_filler("kapan")
        );
        assert!(!lexicon.is_filler("watermark"));
        assert!(lexicon.stop_words("ms").contains(&"hendaklah".to_owned()));
        assert!(lexicon.stop_words("en").is_empty());
        assert_eq!(lexicon.reference_word("pasal"), Some("art"));
        assert_eq!(lexicon.reference_word("article"), Some("art"));
        assert_eq!(lexicon.reference_word("ayat"), None);
        assert_eq!(lexicon.reference_word("govern"), Some("govern"));
        assert_eq!(
            lexicon.cue(&["on", "or", "after", "2026"]),
            Some((3, Cue::From))
        );
        assert_eq!(lexicon.cue(&["sejak", "2026"]), Some((1, Cue::From)));
        assert_eq!(lexicon.cue(&["watermark"]), None);
        assert_eq!(lexicon.month("ogos"), Some(8));
        assert_eq!(lexicon.month("agustus"), Some(8));
        assert_eq!(lexicon.month("sept"), Some(9));
    }

    #[test]
    fn a_file_with_a_wrong_month_list_is_refused() {
        let broken = FILES[0].1.replace("[\"may\"],", "");
        let error = Lexicon::parse(&[("en", broken.as_str())]).err().unwrap();
        assert!(error.contains("12 entries"), "{error}");
    }
}
