//! Snippets: the passage of a text that best matches the query, with the
//! matching words marked. Typo and prefix matches are marked too.

use std::ops::Range;

use rustc_hash::FxHashMap;

use serde::Serialize;
use tantivy::tokenizer::TextAnalyzer;

use crate::analysis::{Family, words};
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

/// How long a snippet is, in bytes at most (about as many characters in
/// most scripts).
pub(crate) const SNIPPET_BYTES: usize = 180;

/// How much of an item's text the index stores for snippets: a passage
/// starts at the latest at the last byte scanned, and what it can reach
/// from there is stored, and one byte more, so that whether the text goes on
/// ("…") is the same for the cut text as for the whole.
const STORED_BYTES: usize = SCANNED_BYTES + SNIPPET_BYTES;

/// The start of `text` that snippets are made from: at most
/// [`STORED_BYTES`], cut at a character boundary.
pub(crate) fn stored(text: &str) -> &str {
    let mut end = text.len().min(STORED_BYTES);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// Finds the words of texts that match one query, for one language family.
///
/// Where the family's analyser works word by word, a word's fate depends on
/// the word alone, so each distinct word is analysed (stemmed) and compared
/// once per search, however many times the hits' texts repeat it: stemming
/// every word of every snippet was most of the time a search took.
pub(crate) struct Matcher<'q> {
    analyzer: TextAnalyzer,
    splitter: Option<TextAnalyzer>,
    query: &'q [QueryWord],
    /// Word as written → whether it matches.
    decided: FxHashMap<String, bool>,
}

impl<'q> Matcher<'q> {
    pub(crate) fn new(family: Family, query: &'q [QueryWord]) -> Matcher<'q> {
        Matcher { analyzer: family.analyzer(), splitter: family.splitter(), query, decided: FxHashMap::default() }
    }

    /// Whether an analysed token matches, `written` being its text as written.
    fn token_matches(query: &[QueryWord], token: &str, written: &str) -> bool {
        if query.iter().any(|q| q.matches(token)) {
            return true;
        }
        if query.iter().all(|q| q.plain.is_none()) {
            return false;
        }
        let lowercase = written.to_lowercase();
        query.iter().any(|q| q.matches_plain(&lowercase))
    }

    /// The byte ranges of `text` holding a matching token, in order.
    fn matches(&mut self, text: &str) -> Vec<Range<usize>> {
        let query = self.query;
        let Some(splitter) = &mut self.splitter else {
            return words(&mut self.analyzer, text)
                .into_iter()
                .filter(|t| Matcher::token_matches(query, &t.text, &text[t.from..t.to]))
                .map(|t| t.from..t.to)
                .collect();
        };
        let mut out = Vec::new();
        let mut stream = splitter.token_stream(text);
        while stream.advance() {
            let (from, to) = (stream.token().offset_from, stream.token().offset_to);
            let written = &text[from..to];
            let matched = match self.decided.get(written) {
                Some(matched) => *matched,
                None => {
                    // The word alone gives the token(s) it gave in the text
                    // (none when the analyser drops it as too long).
                    let matched = words(&mut self.analyzer, written)
                        .iter()
                        .any(|t| Matcher::token_matches(query, &t.text, written));
                    self.decided.insert(written.to_owned(), matched);
                    matched
                }
            };
            if matched {
                out.push(from..to);
            }
        }
        out
    }
}

/// The best passage of `text`, of about [`SNIPPET_BYTES`].
pub(crate) fn make(matcher: &mut Matcher<'_>, text: &str) -> Snippet {
    let max_chars = SNIPPET_BYTES;
    let mut scanned = text.len().min(SCANNED_BYTES);
    while !text.is_char_boundary(scanned) {
        scanned -= 1;
    }
    let hits = matcher.matches(&text[..scanned]);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::query_words;

    /// The snippet as every word of `text` analysed in place, without
    /// remembering decisions: what [`Matcher`] must agree with.
    fn reference(family: Family, text: &str, query: &[QueryWord]) -> Vec<Range<usize>> {
        let mut scanned = text.len().min(SCANNED_BYTES);
        while !text.is_char_boundary(scanned) {
            scanned -= 1;
        }
        words(&mut family.analyzer(), &text[..scanned])
            .into_iter()
            .filter(|t| Matcher::token_matches(query, &t.text, &text[t.from..t.to]))
            .map(|t| t.from..t.to)
            .collect()
    }

    #[test]
    fn remembered_decisions_mark_what_analysing_every_word_marks() {
        let texts = [
            "Children and the children's rights. Childern learn; CHILDREN play. Partnerships, partners, partner.",
            "Les enfants, l'enfance et l'éducation : des enfants éduqués. Écoles, ÉCOLE, école!",
            "Disabilities disabled disability DISABILITIES disabilites abilities",
            "短い文 and 日本語のテキスト with children",
            "",
        ];
        for (family, query_text) in [
            (Family::Stemmed("en"), "childern partn"),
            (Family::Stemmed("en"), "disabilites"),
            (Family::Stemmed("fr"), "enfant ecole"),
            (Family::Plain, "children"),
            (Family::Cjk, "日本 children"),
        ] {
            let mut query = query_words(&mut family.analyzer(), query_text, true);
            let plain = query_words(&mut Family::Plain.analyzer(), query_text, true);
            if family != Family::Cjk && plain.len() == query.len() {
                for (w, p) in query.iter_mut().zip(&plain) {
                    w.plain = Some((p.term.clone(), p.distance));
                }
            }
            let mut matcher = Matcher::new(family, &query);
            // Twice over, so the second pass reads remembered decisions.
            for text in texts.iter().chain(&texts) {
                assert_eq!(
                    matcher.matches(text),
                    reference(family, text, &query),
                    "{family:?} {query_text:?} {text:?}"
                );
            }
            let long = texts.concat().repeat(40);
            let snippet = make(&mut matcher, &long);
            assert!(snippet.highlights.iter().all(|h| snippet.text.is_char_boundary(h.start)));
            assert_eq!(
                matcher.matches(&long[..SCANNED_BYTES - 1]),
                reference(family, &long[..SCANNED_BYTES - 1], &query)
            );
        }
    }

    #[test]
    fn a_passage_starting_at_the_last_byte_scanned_is_the_same_from_the_stored_start() {
        // The only match is the last byte scanned, right after a space.
        let text = format!("{} c{}", "x".repeat(SCANNED_BYTES - 2), " yy".repeat(200));
        let query = query_words(&mut Family::Plain.analyzer(), "c", true);
        let whole = make(&mut Matcher::new(Family::Plain, &query), &text);
        assert_eq!(whole.highlights.len(), 1);
        assert!(whole.text.ends_with('…'));
        assert_eq!(make(&mut Matcher::new(Family::Plain, &query), stored(&text)), whole);
    }

    proptest::proptest! {
        /// The index stores only the start of each text: the snippets made
        /// from it are the snippets of the whole text.
        #[test]
        fn a_snippet_of_the_stored_start_is_the_snippet_of_the_whole(
            words in proptest::collection::vec(
                proptest::sample::select(vec!["child", "children", "école", "écoles", "play", "rights", "日本", "and", "—", "x"]),
                0..1200,
            ),
            query_text in proptest::sample::select(vec!["children", "ecole", "pla", "rihgts", "日本 play"]),
        ) {
            let text = words.join(" ");
            for family in [Family::Stemmed("en"), Family::Stemmed("fr"), Family::Cjk] {
                let query = query_words(&mut family.analyzer(), query_text, true);
                let whole = make(&mut Matcher::new(family, &query), &text);
                let cut = make(&mut Matcher::new(family, &query), stored(&text));
                proptest::prop_assert_eq!(&cut, &whole);
            }
        }
    }
}
