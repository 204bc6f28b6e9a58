//! Word-level comparison of a provision's two texts: what was replaced, inserted and deleted,
//! in hunks of consecutive words (similar's word diff, bounded in time), and a short summary
//! for people (`"should" → "shall"; +"within 30 days"`).

use serde::Serialize;
use similar::{DiffOp, TextDiff};
use std::time::Duration;

/// A word diff gives up refining (and reports coarser hunks) after this long.
const TIMEOUT: Duration = Duration::from_millis(250);
/// Hunks named in a summary; the rest are counted.
const SUMMARY_HUNKS: usize = 3;
/// Characters of one side of a hunk in a summary.
const SUMMARY_CHARS: usize = 40;
/// Hunks kept with an event (a rewritten article is one big change, not hundreds).
const MAX_HUNKS: usize = 50;

/// One run of changed words: what stood there (empty for an insertion) and what stands now
/// (empty for a deletion).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Hunk {
    pub removed: String,
    pub added: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct WordDiff {
    pub hunks: Vec<Hunk>,
    /// Words inserted and deleted (a replacement counts on both sides).
    pub added_words: usize,
    pub removed_words: usize,
}

impl WordDiff {
    /// The changed words from `old` to `new`; whitespace-only differences are no hunk.
    pub fn compute(old: &str, new: &str) -> Self {
        let diff = TextDiff::configure().timeout(TIMEOUT).diff_words(old, new);
        let old_tokens: Vec<&str> = diff.iter_old_slices().collect();
        let new_tokens: Vec<&str> = diff.iter_new_slices().collect();
        let mut out = WordDiff::default();
        let mut open: Option<(String, String)> = None;
        // Whitespace between two changes joins them into one hunk.
        let mut gap = (String::new(), String::new());
        for op in diff.ops() {
            let (old_range, new_range) = (op.old_range(), op.new_range());
            let old_text: String = old_tokens[old_range].concat();
            let new_text: String = new_tokens[new_range].concat();
            if let DiffOp::Equal { .. } = op {
                if old_text.trim().is_empty() && open.is_some() {
                    gap.0.push_str(&old_text);
                    gap.1.push_str(&new_text);
                } else {
                    out.close(open.take());
                    gap = (String::new(), String::new());
                }
                continue;
            }
            let hunk = open.get_or_insert_with(Default::default);
            hunk.0.push_str(&std::mem::take(&mut gap.0));
            hunk.1.push_str(&std::mem::take(&mut gap.1));
            hunk.0.push_str(&old_text);
            hunk.1.push_str(&new_text);
        }
        out.close(open);
        out
    }

    fn close(&mut self, hunk: Option<(String, String)>) {
        let Some((removed, added)) = hunk else {
            return;
        };
        let (removed, added) = (squash(&removed), squash(&added));
        if removed == added {
            return;
        }
        self.removed_words += removed.split_whitespace().count();
        self.added_words += added.split_whitespace().count();
        if self.hunks.len() < MAX_HUNKS {
            self.hunks.push(Hunk { removed, added });
        }
    }

    pub fn is_empty(&self) -> bool {
        self.hunks.is_empty()
    }

    /// The words inserted, one string per hunk.
    pub fn added(&self) -> impl Iterator<Item = &str> {
        self.hunks
            .iter()
            .map(|h| h.added.as_str())
            .filter(|s| !s.is_empty())
    }

    /// The words deleted, one string per hunk.
    pub fn removed(&self) -> impl Iterator<Item = &str> {
        self.hunks
            .iter()
            .map(|h| h.removed.as_str())
            .filter(|s| !s.is_empty())
    }

    /// A short line quoting the changed words: `"should" → "shall"; +"within 30 days"`.
    pub fn summary(&self) -> String {
        let mut parts: Vec<String> = self
            .hunks
            .iter()
            .take(SUMMARY_HUNKS)
            .map(|h| match (h.removed.is_empty(), h.added.is_empty()) {
                (true, _) => format!("+\"{}\"", clip(&h.added)),
                (_, true) => format!("−\"{}\"", clip(&h.removed)),
                _ => format!("\"{}\" → \"{}\"", clip(&h.removed), clip(&h.added)),
            })
            .collect();
        let more = self.hunks.len().saturating_sub(SUMMARY_HUNKS);
        if more > 0 {
            parts.push(format!("{more} more change{}", plural(more)));
        }
        parts.join("; ")
    }

    /// The same without quoting a word, for sources whose text may not be quoted:
    /// `2 words added, 1 removed in 1 place`.
    pub fn counts(&self) -> String {
        format!(
            "{} word{} added, {} removed in {} place{}",
            self.added_words,
            plural(self.added_words),
            self.removed_words,
            self.hunks.len(),
            plural(self.hunks.len())
        )
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// Runs of whitespace as one space, trimmed.
fn squash(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn clip(text: &str) -> String {
    if text.chars().count() <= SUMMARY_CHARS {
        return text.to_owned();
    }
    let cut: String = text.chars().take(SUMMARY_CHARS - 1).collect();
    format!("{}…", cut.trim_end())
}

/// A unified diff of two texts (`--- a` / `+++ b` headers), lines wrapped at sentence ends so
/// a one-paragraph provision still shows which sentence changed.
pub fn unified(old: &str, new: &str, old_name: &str, new_name: &str) -> String {
    let (old, new) = (sentences(old), sentences(new));
    TextDiff::configure()
        .timeout(TIMEOUT)
        .diff_lines(old.as_str(), new.as_str())
        .unified_diff()
        .context_radius(2)
        .header(old_name, new_name)
        .to_string()
}

fn sentences(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        out.push(c);
        if matches!(c, '.' | ';' | '?' | '!' | ':') && chars.peek() == Some(&' ') {
            chars.next();
            out.push('\n');
        }
    }
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replacements_insertions_and_deletions_are_hunks() {
        let d = WordDiff::compute(
            "Deployers should inform users of the system.",
            "Deployers shall inform users of the system within 30 days.",
        );
        assert_eq!(
            d.hunks,
            vec![
                Hunk {
                    removed: "should".into(),
                    added: "shall".into()
                },
                Hunk {
                    removed: "system.".into(),
                    added: "system within 30 days.".into()
                },
            ]
        );
        assert_eq!(
            d.summary(),
            "\"should\" → \"shall\"; \"system.\" → \"system within 30 days.\""
        );
        assert_eq!((d.added_words, d.removed_words), (5, 2));
        assert_eq!(d.counts(), "5 words added, 2 removed in 2 places");
        let deleted = WordDiff::compute("keep all the logs", "keep the logs");
        assert_eq!(deleted.summary(), "−\"all\"");
        let inserted = WordDiff::compute("keep logs", "keep logs safely");
        assert_eq!(inserted.summary(), "+\"safely\"");
    }

    #[test]
    fn whitespace_only_is_no_change_and_long_words_are_clipped() {
        assert!(WordDiff::compute("a  b\nc", "a b c").is_empty());
        let long = "x".repeat(100);
        let d = WordDiff::compute("a", &format!("a {long}"));
        assert!(d.summary().chars().count() < 50, "{}", d.summary());
        let many = WordDiff::compute("a b c d e f g h", "A b C d E f G h");
        assert!(
            many.summary().ends_with("1 more change"),
            "{}",
            many.summary()
        );
    }

    #[test]
    fn unified_diff_names_the_changed_sentence() {
        let u = unified(
            "First sentence. Providers should log.",
            "First sentence. Providers shall log.",
            "a",
            "b",
        );
        assert!(u.contains("-Providers should log."), "{u}");
        assert!(u.contains("+Providers shall log."), "{u}");
        assert!(u.contains(" First sentence."), "{u}");
    }
}
