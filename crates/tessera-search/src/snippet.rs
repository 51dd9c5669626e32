//! Snippets: the passage of a text that best matches the query, with the
//! matching words marked. Typo and prefix matches are marked too.

use std::ops::Range;

use serde::Serialize;
use tantivy::tokenizer::TextAnalyzer;

use crate::analysis::words;
use crate::query::QueryWord;

/// A passage of text with the matched words marked.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Snippet {
    /// The passage, with `…` where it was cut.
    pub text: String,
    /// Byte ranges of `text` that matched the query.
    pub highlights: Vec<Range<usize>>,
}

impl Snippet {
    /// The passage with each match wrapped in `open` and `close`, e.g.
    /// `[` and `]` for a terminal, `<mark>` and `</mark>` once escaped for HTML.
    pub fn marked(&self, open: &str, close: &str, escape: impl Fn(&str) -> String) -> String {
        let mut out = String::new();
        let mut at = 0;
        for r in &self.highlights {
            out.push_str(&escape(&self.text[at..r.start]));
            out.push_str(open);
            out.push_str(&escape(&self.text[r.clone()]));
            out.push_str(close);
            at = r.end;
        }
        out.push_str(&escape(&self.text[at..]));
        out
    }
}

/// How much of a text is searched for the snippet: the summary and the start
/// of the body say what an item is about, and analysing whole bodies for
/// every hit would cost more than the search itself.
const SCANNED_BYTES: usize = 2048;

/// The best passage of about `max_chars` characters of `text`.
pub(crate) fn make(analyzer: &mut TextAnalyzer, text: &str, query: &[QueryWord], max_chars: usize) -> Snippet {
    let mut scanned = text.len().min(SCANNED_BYTES);
    while !text.is_char_boundary(scanned) {
        scanned -= 1;
    }
    let tokens = words(analyzer, &text[..scanned]);
    let hits: Vec<Range<usize>> = tokens
        .iter()
        .filter(|t| query.iter().any(|q| q.matches(&t.text) || q.matches_plain(&text[t.from..t.to].to_lowercase())))
        .map(|t| t.from..t.to)
        .collect();
    // The window holding the most matches, starting at a match.
    let mut best = (0usize, 0usize);
    for (i, h) in hits.iter().enumerate() {
        let count = hits[i..].iter().take_while(|o| o.end <= h.start + max_chars).count();
        if count > best.1 {
            best = (h.start, count);
        }
    }
    let mut start = if hits.is_empty() { 0 } else { best.0 };
    // Back up a little so the passage starts at a word, with some context.
    let context = text[..start].char_indices().rev().take(30).last().map_or(start, |(i, _)| i);
    start = text[context..start].find(' ').map_or(context, |s| context + s + 1).min(start);
    let mut end = (start + max_chars).min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    if end < text.len() {
        end = text[start..end].rfind(' ').map_or(end, |s| start + s);
    }
    let prefix = if start > 0 { "…" } else { "" };
    let suffix = if end < text.len() { "…" } else { "" };
    let body = &text[start..end];
    let highlights = hits
        .iter()
        .filter(|h| h.start >= start && h.end <= end)
        .map(|h| (h.start - start + prefix.len())..(h.end - start + prefix.len()))
        .collect();
    Snippet { text: format!("{prefix}{body}{suffix}"), highlights }
}
