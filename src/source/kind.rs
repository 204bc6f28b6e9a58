//! What kind of channel a source is, and the parameters each kind needs. The kind is registry
//! data only: how each kind is fetched lives with the crawler (`crate::crawl::channels`).
//!
//! | kind | text it tracks | what it discovers |
//! |---|---|---|
//! | `page` | an HTML page or PDF at a URL | — |
//! | `cellar` | an EU act by CELEX number, from the Publications Office's CELLAR | new consolidated versions, new amending acts |
//! | `federal-register` | one Federal Register document by number (XML full text) | with a query instead: new documents matching it |
//! | `listing` | — | new links on a listing page or RSS/Atom feed that match a pattern |

use super::SourceError;
use serde::{Deserialize, Serialize};
use url::Url;

/// Where CELLAR's content-negotiated resources live (`…/resource/celex/{CELEX}`).
pub const CELLAR_BASE: &str = "https://publications.europa.eu";
/// The Federal Register API (no key needed).
pub const FEDERAL_REGISTER_API: &str = "https://www.federalregister.gov/api/v1";
/// Longest link pattern accepted (a regular expression over absolute URLs).
const MAX_PATTERN: usize = 500;
/// Longest Federal Register query accepted.
const MAX_QUERY: usize = 2_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    #[default]
    Page,
    Cellar,
    FederalRegister,
    Listing,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Page => "page",
            Self::Cellar => "cellar",
            Self::FederalRegister => "federal-register",
            Self::Listing => "listing",
        }
    }
}

impl std::str::FromStr for Kind {
    type Err = SourceError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "page" | "html" | "pdf" => Ok(Self::Page),
            "cellar" => Ok(Self::Cellar),
            "federal-register" | "federalregister" | "fr" => Ok(Self::FederalRegister),
            "listing" | "feed" => Ok(Self::Listing),
            other => Err(super::invalid(
                "kind",
                format!("{other:?}: expected page, cellar, federal-register or listing"),
            )),
        }
    }
}

/// The per-kind parameters of a source, as stored in the registry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Channel {
    pub kind: Kind,
    /// `cellar`: the act's CELEX number (`32024R1689`).
    pub celex: Option<String>,
    /// `cellar`: track the newest consolidated version's text (true) or the act as published
    /// in the Official Journal (false).
    pub consolidated: bool,
    /// `federal-register`: the tracked document's number (`2025-02172`).
    pub document_number: Option<String>,
    /// `federal-register`: search conditions in the API's own syntax
    /// (`conditions[term]=artificial intelligence&conditions[type][]=PRESDOCU`), canonically
    /// encoded; documents matching it are discovered.
    pub query: Option<String>,
    /// `listing`: a regular expression a link's absolute URL must match to be a candidate.
    pub link_pattern: Option<String>,
}

impl Channel {
    /// Whether the source tracks a text (and so has provisions, an instrument and a baseline)
    /// rather than only discovering documents.
    pub fn tracks_text(&self) -> bool {
        match self.kind {
            Kind::Page | Kind::Cellar => true,
            Kind::FederalRegister => self.document_number.is_some(),
            Kind::Listing => false,
        }
    }

    /// Whether the source reports new documents into the discovery queue.
    pub fn discovers(&self) -> bool {
        match self.kind {
            Kind::Page => false,
            Kind::Cellar | Kind::Listing => true,
            Kind::FederalRegister => self.query.is_some(),
        }
    }
}

/// What `add` was given for the channel, before validation.
pub(super) struct ChannelInput<'a> {
    pub kind: Kind,
    pub url: &'a str,
    pub celex: Option<&'a str>,
    pub as_published: bool,
    pub document_number: Option<&'a str>,
    pub query: Option<&'a str>,
    pub link_pattern: Option<&'a str>,
}

/// Validates the parameters of `input.kind` and returns them with the URL to register: the
/// given one, or for `cellar` and `federal-register` the official one derived from them.
pub(super) fn validate(input: ChannelInput<'_>) -> Result<(Channel, Url), SourceError> {
    let given = input.url.trim();
    let parse = |url: &str| Url::parse(url).map_err(|e| super::invalid("url", e.to_string()));
    let foreign = |field: &'static str, value: Option<&str>| match value {
        Some(_) => Err(super::invalid(
            field,
            format!(
                "only applies to another kind of source, not {}",
                input.kind.as_str()
            ),
        )),
        None => Ok(()),
    };
    let mut channel = Channel {
        kind: input.kind,
        ..Channel::default()
    };
    let url = match input.kind {
        Kind::Page => {
            for (field, value) in [
                ("celex", input.celex),
                ("document_number", input.document_number),
                ("query", input.query),
                ("link_pattern", input.link_pattern),
            ] {
                foreign(field, value)?;
            }
            if given.is_empty() {
                return Err(super::invalid("url", "a page source needs a URL"));
            }
            parse(given)?
        }
        Kind::Cellar => {
            foreign("document_number", input.document_number)?;
            foreign("query", input.query)?;
            foreign("link_pattern", input.link_pattern)?;
            let celex = normalise_celex(input.celex.ok_or_else(|| {
                super::invalid("celex", "a cellar source needs the act's CELEX number")
            })?)?;
            channel.consolidated = !input.as_published;
            let url = if given.is_empty() {
                parse(&format!("{CELLAR_BASE}/resource/celex/{celex}"))?
            } else {
                let url = parse(given)?;
                if !url.path().ends_with(&format!("/resource/celex/{celex}")) {
                    return Err(super::invalid(
                        "url",
                        format!("a cellar URL ends in /resource/celex/{celex}"),
                    ));
                }
                url
            };
            channel.celex = Some(celex);
            url
        }
        Kind::FederalRegister => {
            foreign("celex", input.celex)?;
            foreign("link_pattern", input.link_pattern)?;
            let base = if given.is_empty() {
                FEDERAL_REGISTER_API.to_owned()
            } else {
                let url = parse(given)?;
                // The API base (`…/api/v1`), whatever document or search URL was given.
                let path = url.path();
                let Some(at) = path.find("/api/v1") else {
                    return Err(super::invalid(
                        "url",
                        "a federal-register URL is the API's, …/api/v1",
                    ));
                };
                format!("{}{}", url.origin().ascii_serialization(), &path[..at + 7])
            };
            match (input.document_number, input.query) {
                (Some(number), None) => {
                    let number = normalise_document_number(number)?;
                    let url = parse(&format!("{base}/documents/{number}.json"))?;
                    channel.document_number = Some(number);
                    url
                }
                (None, Some(query)) => {
                    let query = normalise_query(query)?;
                    let url = parse(&format!("{base}/documents.json?{query}"))?;
                    channel.query = Some(query);
                    url
                }
                _ => {
                    return Err(super::invalid(
                        "federal-register",
                        "give exactly one of document_number (a tracked document) or query (discovery)",
                    ));
                }
            }
        }
        Kind::Listing => {
            foreign("celex", input.celex)?;
            foreign("document_number", input.document_number)?;
            foreign("query", input.query)?;
            if given.is_empty() {
                return Err(super::invalid(
                    "url",
                    "a listing source needs the listing page's or feed's URL",
                ));
            }
            if let Some(pattern) = input.link_pattern {
                channel.link_pattern = Some(check_pattern(pattern)?);
            }
            parse(given)?
        }
    };
    Ok((channel, url))
}

/// `32024R1689`, `CELEX:32024r1689` → `32024R1689`; consolidated (`02024R1689-20240712`) and
/// corrigendum (`32024R1689R(01)`) numbers are accepted.
pub fn normalise_celex(raw: &str) -> Result<String, SourceError> {
    let trimmed = raw.trim();
    let celex = trimmed
        .strip_prefix("CELEX:")
        .or_else(|| trimmed.strip_prefix("celex:"))
        .unwrap_or(trimmed)
        .to_ascii_uppercase();
    if is_celex(&celex) {
        Ok(celex)
    } else {
        Err(super::invalid(
            "celex",
            format!(
                "{raw:?} is not a CELEX number (sector, year, type, number: 32024R1689; consolidated 02024R1689-20240712)"
            ),
        ))
    }
}

/// Sector (digit, C or E), four-digit year, one or two type letters, four or more digits, an
/// optional corrigendum (`R(01)`) and, for consolidated texts, `-YYYYMMDD`.
pub fn is_celex(celex: &str) -> bool {
    let b = celex.as_bytes();
    if b.len() < 10 || b.len() > 32 {
        return false;
    }
    let sector = b[0].is_ascii_digit() || b[0] == b'C' || b[0] == b'E';
    if !sector || !b[1..5].iter().all(u8::is_ascii_digit) {
        return false;
    }
    let mut i = 5;
    let letters = b[i..].iter().take_while(|c| c.is_ascii_uppercase()).count();
    if !(1..=2).contains(&letters) {
        return false;
    }
    i += letters;
    let digits = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
    if digits < 4 {
        return false;
    }
    i += digits;
    let rest = &celex[i..];
    let rest = match rest.find('-') {
        Some(dash) => {
            let date = &rest[dash + 1..];
            if date.len() != 8 || !date.bytes().all(|c| c.is_ascii_digit()) {
                return false;
            }
            &rest[..dash]
        }
        None => rest,
    };
    match rest.as_bytes() {
        [] => true,
        [letter, b'(', d1, d2, b')'] => {
            letter.is_ascii_uppercase() && d1.is_ascii_digit() && d2.is_ascii_digit()
        }
        _ => false,
    }
}

/// Federal Register document numbers: `2025-02172`, older `E9-1719`.
fn normalise_document_number(raw: &str) -> Result<String, SourceError> {
    let number = raw.trim().to_ascii_uppercase();
    let ok = (3..=32).contains(&number.len())
        && number
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-')
        && number.bytes().any(|c| c.is_ascii_digit())
        && !number.starts_with('-')
        && !number.ends_with('-');
    if ok {
        Ok(number)
    } else {
        Err(super::invalid(
            "document_number",
            format!("{raw:?} is not a Federal Register document number (e.g. 2025-02172)"),
        ))
    }
}

/// Search conditions in the API's syntax, re-encoded canonically. Only `conditions[…]` keys
/// are accepted: the crawler chooses fields, order and paging itself.
fn normalise_query(raw: &str) -> Result<String, SourceError> {
    let raw = raw.trim().trim_start_matches('?');
    if raw.is_empty() || raw.len() > MAX_QUERY {
        return Err(super::invalid(
            "query",
            format!("give 1 to {MAX_QUERY} characters of conditions[…]=… pairs"),
        ));
    }
    let mut out = url::form_urlencoded::Serializer::new(String::new());
    let mut pairs = 0;
    for (key, value) in url::form_urlencoded::parse(raw.as_bytes()) {
        let key = key.trim();
        if !key.starts_with("conditions[") || !key.ends_with(']') {
            return Err(super::invalid(
                "query",
                format!("{key:?}: only conditions[…] parameters are accepted"),
            ));
        }
        if key.contains(['<', '>', '"', ' ']) {
            return Err(super::invalid(
                "query",
                format!("{key:?} is not a condition"),
            ));
        }
        out.append_pair(key, value.trim());
        pairs += 1;
    }
    if pairs == 0 {
        return Err(super::invalid("query", "no conditions given"));
    }
    Ok(out.finish())
}

fn check_pattern(raw: &str) -> Result<String, SourceError> {
    let pattern = raw.trim();
    if pattern.is_empty() || pattern.len() > MAX_PATTERN {
        return Err(super::invalid(
            "link_pattern",
            format!("give 1 to {MAX_PATTERN} characters"),
        ));
    }
    link_regex(pattern).map_err(|e| super::invalid("link_pattern", e.to_string()))?;
    Ok(pattern.to_owned())
}

/// The compiled link pattern, with bounded size (the `regex` crate never backtracks, so matching
/// is linear in the URL; the size limit bounds compilation).
pub fn link_regex(pattern: &str) -> Result<regex::Regex, regex::Error> {
    regex::RegexBuilder::new(pattern)
        .size_limit(1 << 20)
        .dfa_size_limit(1 << 20)
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn celex_numbers() {
        for ok in [
            "32024R1689",
            "02024R1689-20240712",
            "52025PC0836",
            "32024R1689R(01)",
            "32016L0680",
        ] {
            assert!(is_celex(ok), "{ok}");
        }
        for bad in [
            "",
            "2024R1689",
            "32024R16",
            "32024R1689-2024",
            "32024R1689X",
            "3202aR1689",
            "32024R1689R(1)",
            "32024r1689",
        ] {
            assert!(!is_celex(bad), "{bad}");
        }
        assert_eq!(normalise_celex(" CELEX:32024r1689 ").unwrap(), "32024R1689");
    }

    fn input(kind: Kind) -> ChannelInput<'static> {
        ChannelInput {
            kind,
            url: "",
            celex: None,
            as_published: false,
            document_number: None,
            query: None,
            link_pattern: None,
        }
    }

    #[test]
    fn official_urls_are_derived() {
        let (channel, url) = validate(ChannelInput {
            celex: Some("32024R1689"),
            ..input(Kind::Cellar)
        })
        .unwrap();
        assert_eq!(
            url.as_str(),
            "https://publications.europa.eu/resource/celex/32024R1689"
        );
        assert!(channel.consolidated && channel.tracks_text() && channel.discovers());
        let (channel, url) = validate(ChannelInput {
            document_number: Some("2025-02172"),
            ..input(Kind::FederalRegister)
        })
        .unwrap();
        assert_eq!(
            url.as_str(),
            "https://www.federalregister.gov/api/v1/documents/2025-02172.json"
        );
        assert!(channel.tracks_text() && !channel.discovers());
        let (channel, url) = validate(ChannelInput {
            query: Some("conditions[term]=artificial intelligence&conditions[type][]=PRESDOCU"),
            ..input(Kind::FederalRegister)
        })
        .unwrap();
        assert_eq!(
            url.as_str(),
            "https://www.federalregister.gov/api/v1/documents.json?conditions%5Bterm%5D=artificial+intelligence&conditions%5Btype%5D%5B%5D=PRESDOCU"
        );
        assert!(!channel.tracks_text() && channel.discovers());
    }

    #[test]
    fn wrong_parameters_are_refused() {
        let refused =
            |input: ChannelInput<'_>| matches!(validate(input), Err(SourceError::Invalid { .. }));
        assert!(refused(input(Kind::Cellar)));
        assert!(refused(ChannelInput {
            celex: Some("32024R1689"),
            url: "https://example.org/other",
            ..input(Kind::Cellar)
        }));
        assert!(refused(ChannelInput {
            document_number: Some("2025-02172"),
            query: Some("conditions[term]=ai"),
            ..input(Kind::FederalRegister)
        }));
        assert!(refused(ChannelInput {
            query: Some("per_page=1000"),
            ..input(Kind::FederalRegister)
        }));
        assert!(refused(ChannelInput {
            url: "https://example.org/news",
            link_pattern: Some("("),
            ..input(Kind::Listing)
        }));
        assert!(refused(ChannelInput {
            url: "https://example.org/page",
            celex: Some("32024R1689"),
            ..input(Kind::Page)
        }));
    }
}
