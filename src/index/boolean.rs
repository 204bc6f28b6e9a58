//! Queries with explicit boolean syntax (`AND`, `OR`, `NOT`, `+required`, `-excluded`, boosts,
//! ranges): parsed by Tantivy's query parser and meaning what they say. Words joined by the
//! default operator must all match, except stop words, which are never required. Typo-tolerant
//! and theme alternatives stand beside the parsed query unless it is strict (AND, NOT, +, -).

use super::IndexError;
use super::query::{Context, prefix_query, text_parser};
use super::syntax::{bare_words, is_strict, split_prefixes};
use super::typo;
use super::understand::Expansion;
use super::vocabulary::normalise;
use tantivy::query::{BooleanQuery, BoostQuery, ConstScoreQuery, EnableScoring, Occur, Query};
use tantivy::query_grammar::{self, Delimiter, Occur as UserOccur, UserInputAst, UserInputLeaf};

/// Weight of typo-tolerant alternatives next to exact matches.
const FUZZY_BOOST: f32 = 0.3;
/// Score of a document matched only through a theme expansion.
const EXPANSION_SCORE: f32 = 0.5;

/// A parsed query with its alternatives, and the themes whose tags it also finds.
pub(super) type Parsed = (Box<dyn Query>, Vec<Expansion>);

/// The parsed query with its alternatives, or `None` when the text does not parse (or parses
/// into something that cannot be searched).
pub(super) fn query(ctx: &Context<'_>, q: &str) -> Result<Option<Parsed>, IndexError> {
    let (rest, prefixes) = split_prefixes(q);
    let parser = text_parser(ctx, true);
    let parsed = if rest.is_empty() {
        None
    } else {
        let Ok(ast) = query_grammar::parse_query(&rest) else {
            return Ok(None);
        };
        let Ok(query) = parser.build_query_from_user_input_ast(optional_stop_words(ctx, ast))
        else {
            return Ok(None);
        };
        // Syntax the parser accepts can still fail when searched: `field:*` becomes an exists
        // query, which needs a fast field of that name. Such input counts as unparseable too.
        if query
            .weight(EnableScoring::disabled_from_searcher(ctx.searcher))
            .is_err()
        {
            return Ok(None);
        }
        Some(query)
    };
    // A bare prefix (`waterm*`) is one more word, required as the parser's words are.
    let mut clauses: Vec<(Occur, Box<dyn Query>)> =
        parsed.into_iter().map(|q| (Occur::Must, q)).collect();
    for (occur, prefix) in &prefixes {
        let occur = if *occur == Occur::Should {
            Occur::Must
        } else {
            *occur
        };
        clauses.push((occur, prefix_query(ctx, prefix)));
    }
    let main: Box<dyn Query> = match clauses.len() {
        0 => return Ok(None),
        1 if clauses[0].0 == Occur::Must => clauses.pop().map(|(_, q)| q).expect("one clause"),
        _ => Box::new(BooleanQuery::new(clauses)),
    };
    if is_strict(q) {
        return Ok(Some((main, Vec::new())));
    }
    let mut alternatives: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Should, main)];
    let mut fuzzy: Vec<Box<dyn Query>> = Vec::new();
    for word in bare_words(&rest).iter().take(8) {
        for correction in typo::corrections(ctx, word)? {
            fuzzy.extend(parser.parse_query(&correction).ok());
        }
    }
    if !fuzzy.is_empty() {
        let union = BooleanQuery::union(fuzzy);
        alternatives.push((
            Occur::Should,
            Box::new(BoostQuery::new(Box::new(union), FUZZY_BOOST)),
        ));
    }
    let expansions = themes_in(ctx, q);
    for e in &expansions {
        alternatives.push((
            Occur::Should,
            Box::new(ConstScoreQuery::new(
                ctx.theme_tag(&e.theme),
                EXPANSION_SCORE,
            )),
        ));
    }
    Ok(Some((
        Box::new(BooleanQuery::new(alternatives)),
        expansions,
    )))
}

/// Theme labels appearing as whole consecutive words anywhere in `q`; one per theme.
fn themes_in(ctx: &Context<'_>, q: &str) -> Vec<Expansion> {
    let words: Vec<String> = super::reference::parts(q)
        .iter()
        .map(|w| normalise(w))
        .collect();
    let mut out: Vec<Expansion> = Vec::new();
    for start in 0..words.len() {
        let Some((_, senses)) = ctx.vocabulary.longest_match(&words[start..], "", |_| true) else {
            continue;
        };
        for (sense, label) in senses {
            if sense.facet == "theme" && !out.iter().any(|e| e.theme == sense.value) {
                out.push(Expansion {
                    label,
                    theme: sense.value,
                });
            }
        }
    }
    out
}

/// Makes bare stop words that the default operator would require optional: an analyzer that
/// drops "of" finds no document with it, so "+incident of" must not fail on it.
fn optional_stop_words(ctx: &Context<'_>, ast: UserInputAst) -> UserInputAst {
    match ast {
        UserInputAst::Clause(clauses) => UserInputAst::Clause(
            clauses
                .into_iter()
                .map(|(occur, child)| {
                    let stop = occur.is_none() && is_bare_stop_word(ctx, &child);
                    let occur = if stop { Some(UserOccur::Should) } else { occur };
                    (occur, optional_stop_words(ctx, child))
                })
                .collect(),
        ),
        UserInputAst::Boost(child, boost) => {
            UserInputAst::Boost(Box::new(optional_stop_words(ctx, *child)), boost)
        }
        leaf => leaf,
    }
}

fn is_bare_stop_word(ctx: &Context<'_>, ast: &UserInputAst) -> bool {
    let UserInputAst::Leaf(leaf) = ast else {
        return false;
    };
    let UserInputLeaf::Literal(literal) = &**leaf else {
        return false;
    };
    literal.field_name.is_none()
        && literal.delimiter == Delimiter::None
        && !literal.prefix
        && ctx.is_stop_word(&literal.phrase.to_lowercase())
}
