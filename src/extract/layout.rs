//! PDF page texts → paragraphs: running headers and footers (lines repeating at the top or
//! bottom of most pages) and page numbers removed, lines wrapped by the layout re-joined,
//! words hyphenated at a line end re-joined.

use super::numbering::{is_keyword_heading, starts_provision};
use super::text::{Line, LineKind, clean_inline};
use std::collections::{HashMap, HashSet};

/// Lines at each end of a page that may be running headers, footers or page numbers.
const EDGE_LINES: usize = 2;
/// A line is running furniture when it repeats at the same end of at least this share of pages.
const REPEAT_SHARE: f64 = 0.6;
/// A line shorter than this share of the typical line width ends its paragraph.
const SHORT_LINE: f64 = 0.6;

pub(crate) fn pages_to_lines(pages: &[String], warnings: &mut Vec<String>) -> Vec<Line> {
    let mut pages: Vec<Vec<String>> = pages
        .iter()
        .map(|page| {
            page.lines()
                .map(|raw| {
                    // A soft hyphen at a line end is a hyphenation point: make it visible to
                    // the joiner before whitespace cleaning drops it.
                    let trimmed = raw.trim_end();
                    match trimmed.strip_suffix('\u{00AD}') {
                        Some(stem) => format!("{}-", clean_inline(stem)),
                        None => clean_inline(trimmed),
                    }
                })
                .collect()
        })
        .collect();
    remove_furniture(&mut pages, warnings);
    reflow(&pages)
}

/// Digits → '#', lower case: "Page 3 of 12" and "Page 4 of 12" become the same key. Lines
/// that open a provision keep their numbers: "Principle 3" heading each page is content.
fn furniture_key(line: &str) -> String {
    if starts_provision(line) {
        return line.to_lowercase();
    }
    line.chars()
        .map(|c| if c.is_ascii_digit() { '#' } else { c })
        .collect::<String>()
        .to_lowercase()
}

fn is_page_number(line: &str) -> bool {
    let lower = line.trim().to_lowercase();
    let lower = lower.trim_matches(|c: char| c == '-' || c == '–' || c == '—' || c.is_whitespace());
    let mut rest = lower;
    for prefix in ["page", "halaman", "hal.", "muka surat", "ms."] {
        if let Some(stripped) = rest.strip_prefix(prefix) {
            rest = stripped.trim_start();
            break;
        }
    }
    let mut words = rest
        .split(|c: char| c.is_whitespace() || c == '/')
        .filter(|w| !w.is_empty());
    let number = |w: &str| {
        !w.is_empty()
            && (w.chars().all(|c| c.is_ascii_digit()) || w.chars().all(|c| "ivxlc".contains(c)))
    };
    match (words.next(), words.next(), words.next(), words.next()) {
        (Some(n), None, None, None) => number(n) && n.len() <= 5,
        (Some(n), Some(of), Some(m), None) => {
            number(n) && matches!(of, "of" | "dari" | "daripada") && number(m)
        }
        (Some(n), Some(m), None, None) => number(n) && number(m) && lower.contains('/'),
        _ => false,
    }
}

/// Indices of the first and last non-empty lines of a page (up to EDGE_LINES each).
fn edges(page: &[String]) -> (Vec<usize>, Vec<usize>) {
    let filled: Vec<usize> = (0..page.len()).filter(|&i| !page[i].is_empty()).collect();
    let top = filled.iter().take(EDGE_LINES).copied().collect();
    let bottom = filled.iter().rev().take(EDGE_LINES).copied().collect();
    (top, bottom)
}

fn remove_furniture(pages: &mut [Vec<String>], warnings: &mut Vec<String>) {
    let page_count = pages.len();
    let mut repeated: HashSet<(bool, String)> = HashSet::new();
    if page_count >= 2 {
        let mut counts: HashMap<(bool, String), usize> = HashMap::new();
        for page in pages.iter() {
            let (top, bottom) = edges(page);
            let keys: HashSet<(bool, String)> = top
                .iter()
                .map(|&i| (true, furniture_key(&page[i])))
                .chain(bottom.iter().map(|&i| (false, furniture_key(&page[i]))))
                .collect();
            for key in keys {
                *counts.entry(key).or_default() += 1;
            }
        }
        let needed = ((page_count as f64) * REPEAT_SHARE).ceil().max(2.0) as usize;
        repeated = counts
            .into_iter()
            .filter(|(_, n)| *n >= needed)
            .map(|(k, _)| k)
            .collect();
    }
    let (mut furniture_pages, mut numbered_pages) = (0, 0);
    for page in pages.iter_mut() {
        let (top, bottom) = edges(page);
        let (mut furniture, mut numbered) = (false, false);
        let mut drop = Vec::new();
        for (is_top, index) in top
            .iter()
            .map(|&i| (true, i))
            .chain(bottom.iter().map(|&i| (false, i)))
        {
            if drop.contains(&index) {
                continue;
            }
            if repeated.contains(&(is_top, furniture_key(&page[index]))) {
                drop.push(index);
                furniture = true;
            } else if is_page_number(&page[index]) {
                drop.push(index);
                numbered = true;
            }
        }
        drop.sort_unstable();
        for index in drop.into_iter().rev() {
            page.remove(index);
        }
        furniture_pages += usize::from(furniture);
        numbered_pages += usize::from(numbered);
    }
    if furniture_pages > 0 {
        warnings.push(format!(
            "running header/footer removed on {furniture_pages} pages"
        ));
    }
    if numbered_pages > 0 {
        warnings.push(format!("page numbers removed on {numbered_pages} pages"));
    }
}

/// Joins lines wrapped by the layout into paragraphs; a paragraph may continue on the next
/// page.
fn reflow(pages: &[Vec<String>]) -> Vec<Line> {
    let all: Vec<&str> = pages.iter().flatten().map(String::as_str).collect();
    let typical = typical_width(&all);
    let words = hyphenated_words(&all);
    let mut out: Vec<Line> = Vec::new();
    let mut paragraph = String::new();
    let mut previous: Option<&str> = None;
    let flush = |paragraph: &mut String, out: &mut Vec<Line>| {
        if !paragraph.is_empty() {
            out.push(Line::new(std::mem::take(paragraph), LineKind::Text));
        }
    };
    // Page breaks are not paragraph breaks, but blank lines inside a page are.
    for page in pages {
        for line in page {
            if line.is_empty() {
                previous = None;
                continue;
            }
            let joins = previous.is_some_and(|prev| continues(prev, line, typical));
            if !joins {
                flush(&mut paragraph, &mut out);
                paragraph.push_str(line);
            } else if let Some(stem) = paragraph
                .strip_suffix('-')
                .filter(|s| s.ends_with(char::is_alphabetic))
                && line.starts_with(char::is_lowercase)
            {
                let last = stem.rsplit(' ').next().unwrap_or("");
                let first = line.split(' ').next().unwrap_or("");
                let compound = format!("{last}-{first}").to_lowercase();
                let keep_hyphen =
                    words.contains(compound.trim_end_matches(|c: char| !c.is_alphanumeric()));
                if !keep_hyphen {
                    paragraph.pop();
                }
                paragraph.push_str(line);
            } else {
                paragraph.push(' ');
                paragraph.push_str(line);
            }
            previous = Some(line);
        }
    }
    flush(&mut paragraph, &mut out);
    out
}

/// Whether `next` continues the paragraph that `prev` belongs to.
fn continues(prev: &str, next: &str, typical: usize) -> bool {
    let short = (prev.chars().count() as f64) < typical as f64 * SHORT_LINE;
    if short || prev.ends_with(':') || starts_provision(prev) && prev.chars().count() < typical / 2
    {
        return false;
    }
    // A whole heading line ("Principle 2", "Pasal 3") stands alone.
    if is_keyword_heading(prev) || is_keyword_heading(next) {
        return false;
    }
    if prev.ends_with(['.', ';', '!', '?']) && starts_provision(next) {
        return false;
    }
    !(starts_provision(next) && prev.ends_with(['.', ';', ':']))
}

/// The 75th-percentile line length: the width of a full line of body text.
fn typical_width(lines: &[&str]) -> usize {
    let mut lengths: Vec<usize> = lines
        .iter()
        .filter(|l| !l.is_empty())
        .map(|l| l.chars().count())
        .collect();
    if lengths.is_empty() {
        return 0;
    }
    lengths.sort_unstable();
    lengths[(lengths.len() * 3 / 4).min(lengths.len() - 1)]
}

/// Hyphenated words written inside lines ("general-purpose"): a line-end hyphen that
/// splits one of these is kept.
fn hyphenated_words(lines: &[&str]) -> HashSet<String> {
    lines
        .iter()
        .flat_map(|l| l.split_whitespace())
        .map(|w| {
            w.trim_matches(|c: char| !c.is_alphanumeric() && c != '-')
                .to_lowercase()
        })
        .filter(|w| w.contains('-') && !w.starts_with('-') && !w.ends_with('-'))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(lines: &[&str]) -> String {
        lines.join("\n")
    }

    #[test]
    fn headers_footers_and_page_numbers_are_removed() {
        let bodies = [
            "Organisations should set up clear lines of accountability for their systems.",
            "Data used for training should be documented, including its provenance.",
            "Body text of page three explains how users are informed about the system.",
            "Incidents should be reported to the authority without undue delay.",
        ];
        let pages: Vec<String> = (1..=4)
            .map(|n| {
                page(&[
                    "Model Framework for Trustworthy AI",
                    bodies[n - 1],
                    "Issued by the Example Authority",
                    &format!("Page {n} of 4"),
                ])
            })
            .collect();
        let mut warnings = Vec::new();
        let lines = pages_to_lines(&pages, &mut warnings);
        let text: Vec<&str> = lines.iter().map(|l| l.text.as_str()).collect();
        assert!(
            text.iter()
                .all(|l| !l.contains("Model Framework") && !l.contains("Page ")),
            "{text:?}"
        );
        assert!(text.iter().all(|l| !l.contains("Issued by")));
        assert!(text.iter().any(|l| l.contains("page three")));
        assert_eq!(warnings.len(), 1, "{warnings:?}");
    }

    #[test]
    fn numbered_headings_at_page_tops_are_content() {
        let pages: Vec<String> = (1..=3)
            .map(|n| {
                page(&[
                    &format!("Principle {n}"),
                    ["Be fair.", "Be open.", "Be safe."][n - 1],
                ])
            })
            .collect();
        let lines = pages_to_lines(&pages, &mut Vec::new());
        let text: Vec<&str> = lines.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(
            text,
            [
                "Principle 1",
                "Be fair.",
                "Principle 2",
                "Be open.",
                "Principle 3",
                "Be safe."
            ]
        );
    }

    #[test]
    fn wrapped_lines_and_hyphenation_are_joined() {
        let pages = vec![page(&[
            "Organisations should document the data used to train their models and",
            "keep the documentation up to date for as long as the system is in opera-",
            "tion, including for general-purpose models and any general-",
            "purpose components they integrate into their services.",
            "2. Transparency",
        ])];
        let lines = pages_to_lines(&pages, &mut Vec::new());
        assert_eq!(lines.len(), 2, "{lines:?}");
        assert!(lines[0].text.contains(" models and keep "));
        assert!(lines[0].text.contains("in operation,"));
        assert!(lines[0].text.contains("any general-purpose components"));
        assert_eq!(lines[1].text, "2. Transparency");
    }

    #[test]
    fn page_number_shapes() {
        for yes in [
            "3",
            "- 3 -",
            "Page 3",
            "Page 3 of 10",
            "Halaman 2 dari 9",
            "iv",
            "3 / 10",
        ] {
            assert!(is_page_number(yes), "{yes}");
        }
        for no in ["3 principles", "Article 3", "Page three of the report"] {
            assert!(!is_page_number(no), "{no}");
        }
    }
}
