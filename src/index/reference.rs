//! Reference keys: one spelling-independent form of a provision's reference, so that "Art. 50(2)",
//! "art 50(2)", "Article 50 paragraph 2" and "Pasal 50 ayat 2" all read as `art 50 2`, and
//! "Annex III" as "Annex 3". Documents are indexed with the key of their `cw:ref`; a query's
//! words are tried as keys too, and a document whose key one of them equals comes first.
//!
//! A key is the reference's words, lower case: reference words through the lexicon's aliases
//! (`article`, `pasal` → `art`), joining words dropped (`paragraph`, `ayat`), leading zeros
//! dropped, and a Roman numeral (I-XXXIX) right after a word read as a number. Only references
//! with a number, or a letter after a word ("Annex A"), have a key: "Security" is a title, not a
//! reference to look up.

use super::lexicon::Lexicon;

/// The words (alphanumeric runs, lower case) of a text, as the plain analyzer splits it.
pub fn parts(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|p| !p.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// The key of a `cw:ref` (see the module documentation), if it has one.
pub fn key(reference: &str) -> Option<String> {
    key_of_parts(&parts(reference))
}

/// The key of a reference already split into lower-case words.
pub fn key_of_parts<S: AsRef<str>>(parts: &[S]) -> Option<String> {
    let lexicon = Lexicon::get();
    let mut out: Vec<String> = Vec::new();
    let mut after_word = false;
    let mut numbered = false;
    for part in parts {
        let Some(word) = lexicon.reference_word(part.as_ref()) else {
            continue;
        };
        if word.chars().all(|c| c.is_ascii_digit()) {
            let trimmed = word.trim_start_matches('0');
            out.push(if trimmed.is_empty() { "0" } else { trimmed }.to_owned());
            numbered = true;
            after_word = false;
        } else if let Some(number) = roman(word).filter(|_| after_word) {
            out.push(number.to_string());
            numbered = true;
            after_word = false;
        } else {
            let letter = word.chars().count() == 1;
            if letter && after_word {
                numbered = true;
            }
            // A letter or a letter-digit mix ("a", "s1") is a part number, not a word.
            after_word = !letter && !word.chars().any(|c| c.is_ascii_digit());
            numbered |= word.chars().any(|c| c.is_ascii_digit());
            out.push(word.to_owned());
        }
    }
    (numbered && !out.is_empty()).then(|| out.join(" "))
}

/// True for a part that can number a reference: digits, one letter, or a Roman numeral.
pub fn is_number_part(part: &str) -> bool {
    part.chars().all(|c| c.is_ascii_digit()) || part.chars().count() == 1 || roman(part).is_some()
}

/// A Roman numeral of I, V and X (1-39), lower case: "iii" → 3. C, D, L and M are left alone so
/// that "Annex C" or "Part D" stay letters.
fn roman(word: &str) -> Option<u32> {
    if word.is_empty() || word.len() > 6 || !word.chars().all(|c| matches!(c, 'i' | 'v' | 'x')) {
        return None;
    }
    let value = |c: char| match c {
        'i' => 1,
        'v' => 5,
        _ => 10,
    };
    let digits: Vec<u32> = word.chars().map(value).collect();
    let mut total = 0;
    for (i, d) in digits.iter().enumerate() {
        if digits.get(i + 1).is_some_and(|next| next > d) {
            total -= *d as i32;
        } else {
            total += *d as i32;
        }
    }
    let total = u32::try_from(total).ok().filter(|t| (1..40).contains(t))?;
    // Only the canonical spelling: "iiii" or "vx" are not numerals.
    (to_roman(total) == word).then_some(total)
}

fn to_roman(mut n: u32) -> String {
    let mut out = String::new();
    for (value, symbol) in [(10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i")] {
        while n >= value {
            out.push_str(symbol);
            n -= value;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_of_one_reference_share_a_key() {
        let art = Some("art 50 2".to_owned());
        for spelling in [
            "Art. 50(2)",
            "art 50(2)",
            "Article 50 (2)",
            "article 50 paragraph 2",
            "Pasal 50 ayat 2",
            "Art. 50.2",
        ] {
            assert_eq!(key(spelling), art, "{spelling}");
        }
        assert_eq!(key("Annex III"), key("annex 3"));
        assert_eq!(key("Annex III").as_deref(), Some("annex 3"));
        assert_eq!(key("Annex C").as_deref(), Some("annex c"));
        assert_eq!(
            key("Chapter IX, Section 2").as_deref(),
            Some("chapter 9 sec 2")
        );
        assert_eq!(key("GOVERN 1.1"), key("gv 1.1"));
        assert_eq!(key("A.6.2.4").as_deref(), Some("a 6 2 4"));
        assert_eq!(key("Art. 5(1)(i)").as_deref(), Some("art 5 1 i"));
        assert_eq!(key("Dimension 7"), key("dim 07"));
        assert_eq!(key("Annex A").as_deref(), Some("annex a"));
    }

    #[test]
    fn titles_and_words_are_not_references() {
        assert_eq!(key("Security"), None);
        assert_eq!(key("Transparency chapter"), None);
        assert_eq!(key(""), None);
        assert_eq!(key("A"), None);
        assert_eq!(roman("iiii"), None);
        assert_eq!(roman("xiv"), Some(14));
        assert_eq!(roman("c"), None);
    }
}
