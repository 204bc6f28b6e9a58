//! Query-text rewriting: what Tantivy's query parser does not do for us (facet conditions as
//! filters, single-word prefixes), telling plain queries from boolean syntax, and splitting a
//! plain query into its pieces (words, phrases, prefixes, field terms).

use super::reference::parts;
use super::schema::{FACETS, TEXT_FIELDS};
use tantivy::query::Occur;

/// One piece of a plain query (one without boolean syntax).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Piece {
    /// A word as typed (outer punctuation trimmed) and its alphanumeric parts in lower case:
    /// "record-keeping" and "50(2)" have two parts each.
    Word { raw: String, parts: Vec<String> },
    /// A quoted phrase (its words), `prefix` when followed by `*`.
    Phrase { words: Vec<String>, prefix: bool },
    /// `water*`: any word starting so.
    Prefix(String),
    /// `title_en:word` or `ref:"…"`: a word or phrase in one field.
    Field {
        field: &'static str,
        words: Vec<String>,
    },
}

/// True when the text uses boolean syntax (AND, OR, NOT, +required, -excluded, boosts, slop,
/// ranges, grouped field values): such a query means exactly what it says and goes to
/// Tantivy's parser. Parentheses alone are punctuation ("Art. 50(2)", "events (logs)").
pub(super) fn has_operators(q: &str) -> bool {
    tokens_outside_quotes(q).iter().any(|t| {
        matches!(*t, "AND" | "OR" | "NOT" | "&&" | "||")
            || (t.len() > 1 && t.starts_with(['+', '-']))
            || t.contains(['^', '~', '[', ']', '{', '}'])
            || t.contains(":(")
    })
}

/// Splits a plain query into pieces, in order. Text that is neither word nor phrase
/// (punctuation, a bare `*`) is dropped.
pub(super) fn plain_pieces(q: &str) -> Vec<Piece> {
    let mut out = Vec::new();
    for token in tokens_outside_quotes(q) {
        if let Some(quoted) = token.strip_prefix('"') {
            let (inside, after) = quoted.split_once('"').unwrap_or((quoted, ""));
            let words = parts(inside);
            if !words.is_empty() {
                out.push(Piece::Phrase {
                    words,
                    prefix: after.starts_with('*'),
                });
            }
            continue;
        }
        if let Some((field, value)) = token.split_once(':')
            && let Some(field) = TEXT_FIELDS.iter().find(|f| **f == field)
        {
            let words = parts(value);
            if !words.is_empty() {
                out.push(Piece::Field { field, words });
            }
            continue;
        }
        if let Some(stem) = token.strip_suffix('*')
            && !stem.is_empty()
            && stem.chars().all(char::is_alphanumeric)
        {
            out.push(Piece::Prefix(stem.to_lowercase()));
            continue;
        }
        // "Singapore's" is the word Singapore.
        let token = token
            .strip_suffix("'s")
            .or_else(|| token.strip_suffix("\u{2019}s"))
            .unwrap_or(token);
        let raw = token.trim_matches(|c: char| !c.is_alphanumeric());
        let words = parts(raw);
        if !words.is_empty() {
            out.push(Piece::Word {
                raw: raw.to_owned(),
                parts: words,
            });
        }
    }
    out
}

/// Takes facet conditions (`jurisdiction:SG`, `-kind:theme`) out of the query text: they filter
/// (AND, or NOT when negated) rather than add optional terms. Returns the rest of the text.
pub(super) fn split_field_filters(q: &str) -> (String, Vec<(Occur, &'static str, String)>) {
    let mut kept = Vec::new();
    let mut filters = Vec::new();
    for token in tokens_outside_quotes(q) {
        let (occur, body) = match token.strip_prefix('-') {
            Some(body) => (Occur::MustNot, body),
            None => (Occur::Must, token.strip_prefix('+').unwrap_or(token)),
        };
        let facet = body
            .split_once(':')
            .and_then(|(field, value)| Some((FACETS.iter().find(|f| **f == field)?, value)));
        match facet {
            Some((field, value)) if !value.is_empty() && !value.contains('"') => {
                filters.push((occur, *field, value.trim_start_matches('/').to_owned()))
            }
            _ => kept.push(token),
        }
    }
    (kept.join(" "), filters)
}

/// Bare words outside quotes (no field, no wildcard, not an operator): typo-tolerance candidates.
pub(super) fn bare_words(q: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (i, part) in q.split('"').enumerate() {
        if i % 2 == 1 {
            continue; // inside a phrase
        }
        for token in part.split_whitespace() {
            let token = token.trim_start_matches('+');
            if token.starts_with('-')
                || token.contains([':', '*', '^', '~'])
                || matches!(token, "AND" | "OR" | "NOT")
            {
                continue;
            }
            let word: String = token
                .trim_matches(|c: char| !c.is_alphanumeric())
                .to_owned();
            if word.chars().count() >= 5 && word.chars().all(char::is_alphanumeric) {
                out.push(word);
            }
        }
    }
    out
}

/// Splits single-word prefixes (`water*`, `+water*`) out of the query: Tantivy's parser only
/// handles phrase prefixes. Returns the rest of the query and (occur, lower-cased prefix).
pub(super) fn split_prefixes(q: &str) -> (String, Vec<(Occur, String)>) {
    let mut kept = Vec::new();
    let mut prefixes = Vec::new();
    for token in tokens_outside_quotes(q) {
        let (occur, body) = match token.strip_prefix('+') {
            Some(body) => (Occur::Must, body),
            None => match token.strip_prefix('-') {
                Some(body) => (Occur::MustNot, body),
                None => (Occur::Should, token),
            },
        };
        match body.strip_suffix('*') {
            Some(word) if !word.is_empty() && word.chars().all(char::is_alphanumeric) => {
                prefixes.push((occur, word.to_lowercase()))
            }
            _ => kept.push(token),
        }
    }
    (kept.join(" "), prefixes)
}

/// Splits on whitespace that is not inside double quotes (`"big bad wo"*` stays one token).
fn tokens_outside_quotes(q: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = None;
    let mut quoted = false;
    for (i, c) in q.char_indices() {
        if c == '"' {
            quoted = !quoted;
        }
        match (c.is_whitespace() && !quoted, start) {
            (true, Some(s)) => {
                out.push(&q[s..i]);
                start = None;
            }
            (false, None) => start = Some(i),
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push(&q[s..]);
    }
    out
}

/// Explicit boolean syntax (AND, NOT, +required, -excluded) means exactly what it says: no
/// typo-tolerant or theme alternatives are added beside it.
pub(super) fn is_strict(q: &str) -> bool {
    tokens_outside_quotes(q)
        .iter()
        .any(|t| t.starts_with(['-', '+']) || matches!(*t, "AND" | "NOT"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_rewriting_helpers() {
        let (rest, filters) =
            split_field_filters("incident jurisdiction:EU -kind:theme title_en:x");
        assert_eq!(rest, "incident title_en:x");
        assert_eq!(
            filters,
            [
                (Occur::Must, "jurisdiction", "EU".to_owned()),
                (Occur::MustNot, "kind", "theme".to_owned())
            ]
        );
        assert_eq!(
            bare_words("\"human oversight\" incidnt report* title_en:water transparency"),
            ["incidnt", "transparency"]
        );
        assert!(is_strict("a -b") && is_strict("a AND b") && !is_strict("a OR \"b AND\""));
        let (rest, prefixes) = split_prefixes("Water* \"big bad wo\"* +regul* x");
        assert_eq!(rest, "\"big bad wo\"* x");
        assert_eq!(
            prefixes,
            [
                (Occur::Should, "water".into()),
                (Occur::Must, "regul".into())
            ]
        );
    }
}
