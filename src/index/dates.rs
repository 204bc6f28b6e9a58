//! Dates in query text: a cue word (`lexicon/*.toml` `[dates]`: "from", "sejak", "before", …)
//! followed by a year ("2026"), a month and year ("August 2026", "Ogos 2026"), a day, month and
//! year ("2 August 2026", "August 2, 2026") or an ISO date ("2026-08-02", "2026-08"). The cue
//! decides which bound the period sets: "from"/"since" its start, "after" the day after its end,
//! "until"/"by" its end, "before" the day before its start, "in"/"during" both ends, "between X
//! and Y" X's start and Y's end. A year or month without a cue is left as a word.

use super::lexicon::{Cue, Lexicon};
use chrono::{Datelike, Days, NaiveDate};

/// A date found in the query: how many words it spans (cue included) and the bounds it sets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DateSpan {
    pub words: usize,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

/// Reads a date starting at `words[0]` (lower case). `piece[i]` numbers the typed token each
/// word came from, so an ISO date must be one token and a span never ends inside a token.
pub fn read(words: &[&str], piece: &[usize]) -> Option<DateSpan> {
    let lexicon = Lexicon::get();
    let (cue_words, cue) = lexicon.cue(words)?;
    let boundary = |i: usize| i == words.len() || i == 0 || piece[i] != piece[i - 1];
    if !boundary(cue_words) {
        return None;
    }
    let rest = &words[cue_words..];
    let rest_piece = &piece[cue_words..];
    let (used, start, end) = period(rest, rest_piece, lexicon)?;
    let mut span = DateSpan {
        words: cue_words + used,
        from: None,
        to: None,
    };
    match cue {
        Cue::From => span.from = Some(start),
        Cue::After => span.from = end.checked_add_days(Days::new(1)),
        Cue::To => span.to = Some(end),
        Cue::Before => span.to = start.checked_sub_days(Days::new(1)),
        Cue::During => (span.from, span.to) = (Some(start), Some(end)),
        Cue::Between => {
            let joiner = *rest.get(used)?;
            if !lexicon.is_and(joiner) {
                return None;
            }
            let second = used + 1;
            let (more, _, last) = period(&rest[second..], &rest_piece[second..], lexicon)?;
            span.words += 1 + more;
            (span.from, span.to) = (Some(start), Some(last));
        }
    }
    boundary(span.words).then_some(span)
}

/// A period at the start of `words`: (words used, first day, last day).
fn period(
    words: &[&str],
    piece: &[usize],
    lexicon: &Lexicon,
) -> Option<(usize, NaiveDate, NaiveDate)> {
    let w = |i: usize| words.get(i).copied();
    let same_piece = |n: usize| (1..n).all(|i| piece.get(i) == piece.first());
    // ISO: 2026-08-02 or 2026-08, typed as one token.
    if let (Some(y), Some(m)) = (w(0).and_then(year), w(1).and_then(number))
        && (1..=12).contains(&m)
        && same_piece(2)
    {
        if let Some(d) = w(2).and_then(number).filter(|_| same_piece(3)) {
            let day = NaiveDate::from_ymd_opt(y, m, d)?;
            return Some((3, day, day));
        }
        return month_period(y, m).map(|(a, b)| (2, a, b));
    }
    // 2 August 2026.
    if let (Some(d), Some(m), Some(y)) = (
        w(0).and_then(day_number),
        w(1).and_then(|m| lexicon.month(m)),
        w(2).and_then(year),
    ) {
        let day = NaiveDate::from_ymd_opt(y, m, d)?;
        return Some((3, day, day));
    }
    if let Some(m) = w(0).and_then(|m| lexicon.month(m)) {
        // August 2, 2026.
        if let (Some(d), Some(y)) = (w(1).and_then(day_number), w(2).and_then(year)) {
            let day = NaiveDate::from_ymd_opt(y, m, d)?;
            return Some((3, day, day));
        }
        // August 2026.
        let y = w(1).and_then(year)?;
        return month_period(y, m).map(|(a, b)| (2, a, b));
    }
    let y = w(0).and_then(year)?;
    Some((
        1,
        NaiveDate::from_ymd_opt(y, 1, 1)?,
        NaiveDate::from_ymd_opt(y, 12, 31)?,
    ))
}

fn month_period(y: i32, m: u32) -> Option<(NaiveDate, NaiveDate)> {
    let first = NaiveDate::from_ymd_opt(y, m, 1)?;
    let next = if m == 12 {
        NaiveDate::from_ymd_opt(y + 1, 1, 1)?
    } else {
        NaiveDate::from_ymd_opt(y, m + 1, 1)?
    };
    Some((first, next.pred_opt()?))
}

/// A four-digit year the catalogue could mean (1900-2199).
fn year(word: &str) -> Option<i32> {
    (word.len() == 4)
        .then(|| word.parse().ok())
        .flatten()
        .filter(|y| (1900..2200).contains(y))
}

fn number(word: &str) -> Option<u32> {
    (word.len() <= 2 && word.chars().all(|c| c.is_ascii_digit()))
        .then(|| word.parse().ok())
        .flatten()
}

/// A day of the month, optionally with an English ordinal suffix ("2nd").
fn day_number(word: &str) -> Option<u32> {
    let digits = ["st", "nd", "rd", "th"]
        .iter()
        .find_map(|s| word.strip_suffix(s))
        .unwrap_or(word);
    number(digits).filter(|d| (1..=31).contains(d))
}

/// YYYYMMDD, as the index stores dates.
pub fn date_number(date: NaiveDate) -> i64 {
    i64::from(date.year()) * 10_000 + i64::from(date.month()) * 100 + i64::from(date.day())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(text: &str) -> Option<(usize, Option<String>, Option<String>)> {
        // One piece per space-separated token, split into parts as the query reader does.
        let mut words = Vec::new();
        let mut piece = Vec::new();
        for (i, token) in text.split(' ').enumerate() {
            for part in super::super::reference::parts(token) {
                words.push(part);
                piece.push(i);
            }
        }
        let refs: Vec<&str> = words.iter().map(String::as_str).collect();
        read(&refs, &piece).map(|s| {
            (
                s.words,
                s.from.map(|d| d.to_string()),
                s.to.map(|d| d.to_string()),
            )
        })
    }

    fn d(s: &str) -> Option<String> {
        Some(s.to_owned())
    }

    #[test]
    fn cues_and_periods() {
        assert_eq!(span("from August 2026"), Some((3, d("2026-08-01"), None)));
        assert_eq!(span("after 2025"), Some((2, d("2026-01-01"), None)));
        assert_eq!(span("sejak 2026"), Some((2, d("2026-01-01"), None)));
        assert_eq!(span("before 2027"), Some((2, None, d("2026-12-31"))));
        assert_eq!(
            span("until 2 August 2026"),
            Some((4, None, d("2026-08-02")))
        );
        assert_eq!(span("by August 2, 2026"), Some((4, None, d("2026-08-02"))));
        assert_eq!(span("in 2026"), Some((2, d("2026-01-01"), d("2026-12-31"))));
        assert_eq!(span("mulai 2026-08-02"), Some((4, d("2026-08-02"), None)));
        assert_eq!(
            span("between 2024 and 2026"),
            Some((4, d("2024-01-01"), d("2026-12-31")))
        );
        assert_eq!(
            span("selepas Februari 2025"),
            Some((3, d("2025-03-01"), None))
        );
        assert_eq!(span("from 2nd Feb 2025"), Some((4, d("2025-02-02"), None)));
        assert_eq!(span("on or after 2026"), Some((4, d("2026-01-01"), None)));
    }

    #[test]
    fn no_cue_or_no_date_is_no_date() {
        assert_eq!(span("2026"), None);
        assert_eq!(span("August 2026"), None);
        assert_eq!(span("from providers"), None);
        assert_eq!(span("in 12"), None);
        assert_eq!(span("from 31 February 2026"), None);
        assert_eq!(span("may 2026"), None);
        assert_eq!(span("from 2024/1689"), None);
    }
}
