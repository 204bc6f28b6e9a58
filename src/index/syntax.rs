//! Query-text rewriting: what Tantivy's query parser does not do for us (facet conditions as
//! filters, single-word prefixes) and what decides typo tolerance, expansion and relaxation.

use super::schema::FACETS;
use tantivy::query::Occur;

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

/// Words and phrases joined by the default operator: none when the query names an operator.
pub(super) fn joined_words(q: &str) -> usize {
    let tokens = tokens_outside_quotes(q);
    if is_strict(q) || tokens.contains(&"OR") {
        return 0;
    }
    tokens.len()
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
        assert_eq!(joined_words("serious incident \"human oversight\""), 3);
        assert_eq!(joined_words("penyedia OR pembekal"), 0);
    }
}
