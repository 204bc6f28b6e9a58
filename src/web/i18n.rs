//! The UI's languages: English, Bahasa Melayu and Bahasa Indonesia. Messages live in reviewable
//! catalogues (`templates/web/i18n/{en,ms,id}.toml`, flat `key = "text"`), compiled in; a key
//! missing from one catalogue falls back to English. The language is `?lang=` when given (and
//! then kept in every link), else the best of `Accept-Language`, else English.

use axum::http::HeaderMap;
use std::collections::HashMap;
use std::sync::OnceLock;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Lang {
    #[default]
    En,
    Ms,
    Id,
}

impl Lang {
    pub const ALL: [Lang; 3] = [Lang::En, Lang::Ms, Lang::Id];

    pub fn code(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::Ms => "ms",
            Self::Id => "id",
        }
    }

    /// The language's own name, for the switch.
    pub fn name(self) -> &'static str {
        match self {
            Self::En => "English",
            Self::Ms => "Bahasa Melayu",
            Self::Id => "Bahasa Indonesia",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        let primary = code.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "en" => Some(Self::En),
            "ms" | "zsm" | "may" => Some(Self::Ms),
            "id" | "in" | "ind" => Some(Self::Id),
            _ => None,
        }
    }

    /// The best language of an `Accept-Language` header (highest q, first on ties).
    pub fn from_accept(header: &str) -> Option<Self> {
        let mut best: Option<(f32, Lang)> = None;
        for part in header.split(',').take(32) {
            let mut pieces = part.split(';');
            let tag = pieces.next().unwrap_or("").trim();
            let q = pieces
                .find_map(|p| {
                    p.trim()
                        .strip_prefix("q=")
                        .and_then(|q| q.parse::<f32>().ok())
                })
                .unwrap_or(1.0);
            if let Some(lang) = Lang::parse(tag)
                && q > 0.0
                && best.is_none_or(|(b, _)| q > b)
            {
                best = Some((q, lang));
            }
        }
        best.map(|(_, lang)| lang)
    }

    /// The request's language and whether the URL chose it (`?lang=`).
    pub fn choose(query_lang: Option<&str>, headers: &HeaderMap) -> (Self, bool) {
        if let Some(lang) = query_lang.and_then(Lang::parse) {
            return (lang, true);
        }
        let accepted = headers
            .get(axum::http::header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .and_then(Lang::from_accept);
        (accepted.unwrap_or_default(), false)
    }

    /// The message for `key`, falling back to English, then to the key itself.
    pub fn t(self, key: &str) -> &'static str {
        let catalogues = catalogues();
        catalogues[self as usize]
            .get(key)
            .or_else(|| catalogues[0].get(key))
            .map(String::as_str)
            .unwrap_or_else(|| leak_key(key))
    }
}

const SOURCES: [&str; 3] = [
    include_str!("../../templates/web/i18n/en.toml"),
    include_str!("../../templates/web/i18n/ms.toml"),
    include_str!("../../templates/web/i18n/id.toml"),
];

fn catalogues() -> &'static [HashMap<String, String>; 3] {
    static CATALOGUES: OnceLock<[HashMap<String, String>; 3]> = OnceLock::new();
    CATALOGUES.get_or_init(|| {
        SOURCES.map(|text| {
            // The catalogues are compiled in and checked by a test; a broken one is empty.
            toml::from_str::<HashMap<String, String>>(text).unwrap_or_default()
        })
    })
}

/// Unknown keys are shown as themselves (a test checks every key templates use exists).
fn leak_key(key: &str) -> &'static str {
    static UNKNOWN: OnceLock<std::sync::Mutex<HashMap<String, &'static str>>> = OnceLock::new();
    let mut map = UNKNOWN
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if map.len() > 256 {
        return "?";
    }
    map.entry(key.to_owned())
        .or_insert_with(|| Box::leak(key.to_owned().into_boxed_str()))
}

/// Every key of a catalogue, for tests.
#[cfg(test)]
pub fn keys(lang: Lang) -> Vec<String> {
    catalogues()[lang as usize].keys().cloned().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogues_parse_and_hold_the_same_keys() {
        for (i, text) in SOURCES.iter().enumerate() {
            toml::from_str::<HashMap<String, String>>(text)
                .unwrap_or_else(|e| panic!("catalogue {i}: {e}"));
        }
        let mut en = keys(Lang::En);
        en.sort();
        assert!(en.len() > 40, "{en:?}");
        for lang in [Lang::Ms, Lang::Id] {
            let mut other = keys(lang);
            other.sort();
            assert_eq!(en, other, "{lang:?} has other keys than English");
        }
    }

    #[test]
    fn accept_language_picks_the_best_known() {
        assert_eq!(Lang::from_accept("id-ID,id;q=0.9,en;q=0.8"), Some(Lang::Id));
        assert_eq!(Lang::from_accept("fr, ms;q=0.5, en;q=0.4"), Some(Lang::Ms));
        assert_eq!(Lang::from_accept("fr, de"), None);
        assert_eq!(Lang::from_accept("en;q=0, id;q=0.1"), Some(Lang::Id));
        assert_eq!(Lang::parse("zz"), None);
    }
}
