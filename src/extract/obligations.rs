//! Obligation detection: each sentence of a provision carrying a deontic marker becomes a
//! candidate [`Obligation`] with its strength, the addressee roles named before the marker
//! (or after "by"/"oleh"), and a confidence.

use super::lexicon::{self, ABBREVIATIONS, ROLES};
use super::text::Language;
use super::{Deontic, ExtractedProvision, Obligation};

/// Confidence factor when no addressee role is recognisable.
const NO_ADDRESSEE: f32 = 0.75;
/// Confidence factor for recitals and preambles, which explain but do not bind.
const NON_BINDING: f32 = 0.6;

pub(crate) fn detect(provisions: &[ExtractedProvision], language: Language) -> Vec<Obligation> {
    let markers = match language {
        Language::En => lexicon::ENGLISH,
        Language::Id => lexicon::INDONESIAN,
        Language::Ms => lexicon::MALAY,
    };
    let mut out = Vec::new();
    for provision in provisions {
        let binding = !matches!(provision.kind.as_str(), "recital" | "preamble");
        for line in provision.text.lines() {
            for sentence in sentences(line.trim_start_matches([' ', '-'])) {
                if let Some(obligation) = classify(sentence, markers) {
                    let factor = if binding { 1.0 } else { NON_BINDING };
                    out.push(Obligation {
                        provision: provision.id.clone(),
                        confidence: round2(obligation.confidence * factor),
                        ..obligation
                    });
                }
            }
        }
    }
    out
}

fn round2(x: f32) -> f32 {
    (x.clamp(0.0, 1.0) * 100.0).round() / 100.0
}

/// A word of the sentence, lower-cased.
struct Token {
    word: String,
}

fn tokens(sentence: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut start = None;
    let is_word = |c: char| c.is_alphanumeric() || c == '-' || c == '\'';
    for (i, c) in sentence
        .char_indices()
        .chain(std::iter::once((sentence.len(), ' ')))
    {
        match (start, is_word(c)) {
            (None, true) => start = Some(i),
            (Some(s), false) => {
                let raw = sentence[s..i].trim_matches(['-', '\'']);
                if !raw.is_empty() {
                    out.push(Token {
                        word: raw.to_lowercase(),
                    });
                }
                start = None;
            }
            _ => {}
        }
    }
    out
}

/// Whether `phrase` (space-separated words) matches the tokens at `at`, allowing English
/// plurals of each word; returns the number of tokens matched.
fn phrase_at(tokens: &[Token], at: usize, phrase: &str, plurals: bool) -> Option<usize> {
    let mut n = 0;
    for word in phrase.split(' ') {
        let token = &tokens.get(at + n)?.word;
        let matches = token == word
            || plurals
                && (token.strip_suffix('s') == Some(word)
                    || token.strip_suffix("es") == Some(word)
                    || word
                        .strip_suffix('y')
                        .is_some_and(|stem| token.strip_suffix("ies") == Some(stem)));
        if !matches {
            return None;
        }
        n += 1;
    }
    Some(n)
}

fn classify(sentence: &str, markers: &[lexicon::Marker]) -> Option<Obligation> {
    let tokens = tokens(sentence);
    // Every marker in the sentence; the longest match at a position wins ("shall not" over
    // "shall"), fixed expressions ("shall mean") consume their words.
    let mut hits = Vec::new();
    let mut at = 0;
    while at < tokens.len() {
        let hit = markers
            .iter()
            .filter_map(|m| phrase_at(&tokens, at, m.0, false).map(|n| (n, m)))
            .max_by_key(|(n, _)| *n);
        match hit {
            Some((len, &(phrase, Some(strength), base))) => {
                hits.push((at, len, phrase, strength, base));
                at += len;
            }
            Some((len, _)) => at += len,
            None => at += 1,
        }
    }
    // The main duty is the first binding marker; a "may" in a condition ("where the use may
    // result in a risk, they shall inform…") must not hide it.
    let rank = |d: Deontic| match d {
        Deontic::Must | Deontic::MustNot => 0,
        Deontic::Should => 1,
        Deontic::May => 2,
    };
    let &(at, len, phrase, strength, base) = hits.iter().min_by_key(|h| (rank(h.3), h.0))?;
    let mut addressees = roles(&tokens[..at]);
    if addressees.is_empty() {
        addressees = agent_roles(&tokens[at + len..]);
    }
    let confidence = if addressees.is_empty() {
        base * NO_ADDRESSEE
    } else {
        base
    };
    Some(Obligation {
        provision: String::new(),
        sentence: sentence.trim().to_string(),
        strength,
        marker: phrase.to_string(),
        addressees,
        confidence,
    })
}

/// Role slugs named in `tokens`, longest phrase first, in order of appearance, deduplicated.
fn roles(tokens: &[Token]) -> Vec<String> {
    let mut found: Vec<(usize, &str)> = Vec::new();
    let mut at = 0;
    while at < tokens.len() {
        let hit = ROLES
            .iter()
            .flat_map(|(slug, phrases)| phrases.iter().map(move |p| (*slug, *p)))
            .filter_map(|(slug, p)| phrase_at(tokens, at, p, true).map(|n| (n, slug)))
            .max_by_key(|(n, _)| *n);
        match hit {
            Some((n, slug)) => {
                if !found.iter().any(|(_, s)| *s == slug) {
                    found.push((at, slug));
                }
                at += n;
            }
            None => at += 1,
        }
    }
    found.into_iter().map(|(_, s)| s.to_string()).collect()
}

/// Roles named as the agent of a passive sentence: "… shall be kept by the provider",
/// "… wajib dilaksanakan oleh Penyelenggara".
fn agent_roles(after: &[Token]) -> Vec<String> {
    after
        .iter()
        .position(|t| t.word == "by" || t.word == "oleh")
        .map(|i| {
            let window = &after[i + 1..after.len().min(i + 6)];
            roles(window).into_iter().take(1).collect()
        })
        .unwrap_or_default()
}

/// Splits a line into sentences at '.', '!' or '?' followed by a space and a capital, digit,
/// bracket or quote; abbreviations ("Art.", "e.g.", "No.") and initials do not end a sentence.
pub(crate) fn sentences(line: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let chars: Vec<(usize, char)> = line.char_indices().collect();
    for (k, &(i, c)) in chars.iter().enumerate() {
        if !matches!(c, '.' | '!' | '?') {
            continue;
        }
        let next_is_space = chars.get(k + 1).is_some_and(|(_, n)| n.is_whitespace());
        let after = chars[k + 1..].iter().find(|(_, n)| !n.is_whitespace());
        let opens = after.is_some_and(|(_, n)| {
            n.is_uppercase() || n.is_ascii_digit() || matches!(n, '(' | '"' | '“' | '\'')
        });
        if !next_is_space || !opens {
            continue;
        }
        if c == '.' {
            let word_start = line[..i]
                .rfind(|ch: char| ch.is_whitespace() || ch == '(')
                .map_or(0, |p| p + 1);
            let word = line[word_start..i].to_lowercase();
            // "J. Smith" is an initial, but "Annex I." ends a sentence.
            let before = line[..word_start]
                .split_whitespace()
                .next_back()
                .unwrap_or("")
                .to_lowercase();
            let numbered = matches!(
                before.as_str(),
                "annex"
                    | "chapter"
                    | "part"
                    | "title"
                    | "bab"
                    | "lampiran"
                    | "bahagian"
                    | "point"
                    | "section"
            );
            let initial =
                word.chars().count() == 1 && word.chars().all(char::is_alphabetic) && !numbered;
            if initial || ABBREVIATIONS.contains(&word.as_str()) {
                continue;
            }
        }
        let end = i + c.len_utf8();
        let sentence = line[start..end].trim();
        if !sentence.is_empty() {
            out.push(sentence);
        }
        start = end;
    }
    let tail = line[start..].trim();
    if !tail.is_empty() {
        out.push(tail);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(sentence: &str, language: Language) -> Option<Obligation> {
        let markers = match language {
            Language::En => lexicon::ENGLISH,
            Language::Id => lexicon::INDONESIAN,
            Language::Ms => lexicon::MALAY,
        };
        classify(sentence, markers)
    }

    #[test]
    fn sentence_splitting_respects_abbreviations_and_numbers() {
        let s = sentences(
            "Providers shall comply with Art. 5, e.g. by testing. No. 3 applies. See point 2.1 of Annex I. Deployers may act.",
        );
        assert_eq!(
            s,
            vec![
                "Providers shall comply with Art. 5, e.g. by testing.",
                "No. 3 applies.",
                "See point 2.1 of Annex I.",
                "Deployers may act."
            ]
        );
    }

    #[test]
    fn negation_and_strength() {
        let o = one(
            "Providers shall not place such systems on the market.",
            Language::En,
        )
        .unwrap();
        assert_eq!(
            (o.strength, o.marker.as_str()),
            (Deontic::MustNot, "shall not")
        );
        assert_eq!(o.addressees, vec!["provider"]);
        let o = one(
            "Pelaku usaha tidak boleh menggunakan data pribadi.",
            Language::Id,
        )
        .unwrap();
        assert_eq!(
            (o.strength, o.marker.as_str()),
            (Deontic::MustNot, "tidak boleh")
        );
        assert_eq!(o.addressees, vec!["business-actor"]);
        let o = one(
            "Penyelenggara sistem elektronik wajib menjaga keamanan.",
            Language::Id,
        )
        .unwrap();
        assert_eq!(
            (o.strength, o.addressees.clone()),
            (
                Deontic::Must,
                vec!["electronic-system-operator".to_string()]
            )
        );
        let o = one("Pembekal hendaklah memastikan ketelusan.", Language::Ms).unwrap();
        assert_eq!(
            (o.strength, o.addressees.clone()),
            (Deontic::Must, vec!["provider".to_string()])
        );
        let o = one("Deployers should inform affected persons.", Language::En).unwrap();
        assert_eq!(o.strength, Deontic::Should);
        assert_eq!(o.addressees, vec!["deployer"]);
    }

    #[test]
    fn definitions_are_not_obligations_and_may_is_weaker() {
        assert!(
            one(
                "'provider' shall mean a natural or legal person.",
                Language::En
            )
            .is_none()
        );
        assert!(one("This Regulation lays down rules.", Language::En).is_none());
        let may = one("Deployers may request information.", Language::En).unwrap();
        let must = one("Deployers shall request information.", Language::En).unwrap();
        assert_eq!(may.strength, Deontic::May);
        assert!(may.confidence < must.confidence);
        let anonymous = one("Records shall be kept for ten years.", Language::En).unwrap();
        assert!(anonymous.addressees.is_empty());
        assert!(anonymous.confidence < must.confidence);
    }

    #[test]
    fn gpai_providers_and_passive_agents() {
        let o = one(
            "Providers of general-purpose AI models with systemic risk shall assess risks.",
            Language::En,
        )
        .unwrap();
        assert_eq!(o.addressees, vec!["gpai-sr-provider"]);
        let o = one(
            "Laporan tersebut wajib disampaikan oleh Penyelenggara Sistem Elektronik setiap tahun.",
            Language::Id,
        )
        .unwrap();
        assert_eq!(o.addressees, vec!["electronic-system-operator"]);
    }
}
