//! User text to a forgiving query: every word may match exactly, with a
//! typo, or (the last one, for search as you type) as a prefix. Query syntax
//! characters are just text.

use tantivy::Term;
use tantivy::query::{BooleanQuery, BoostQuery, DisjunctionMaxQuery, FuzzyTermQuery, Occur, Query, TermQuery};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::tokenizer::TextAnalyzer;

use crate::analysis::words;

/// One analysed word of the query.
#[derive(Debug, Clone)]
pub(crate) struct QueryWord {
    /// The normalised (lowercased, stemmed) form.
    pub(crate) term: String,
    /// Edits allowed: 0 for short words, 1 from 5 characters, 2 from 9.
    pub(crate) distance: u8,
    /// Whether the word may be the start of a longer one.
    pub(crate) prefix: bool,
}

impl QueryWord {
    /// Whether an analysed token of a document matches this word.
    pub(crate) fn matches(&self, token: &str) -> bool {
        token == self.term
            || (self.prefix && token.starts_with(&self.term))
            || (self.distance > 0 && strsim_levenshtein(token, &self.term) <= self.distance as usize)
    }
}

/// Edit distance, bounded to the short words this is used on.
fn strsim_levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for j in 0..b.len() {
            let current = row[j + 1];
            row[j + 1] = if ca == b[j] { previous } else { 1 + previous.min(row[j]).min(row[j + 1]) };
            previous = current;
        }
    }
    row[b.len()]
}

/// Analyses the user's text the way one family's fields were analysed.
pub(crate) fn query_words(analyzer: &mut TextAnalyzer, text: &str, prefix_last: bool) -> Vec<QueryWord> {
    let raw = words(analyzer, text);
    let count = raw.len();
    raw.into_iter()
        .enumerate()
        .map(|(i, w)| {
            let written = text[w.from..w.to].chars().count();
            let distance = match written {
                0..=4 => 0,
                5..=8 => 1,
                _ => 2,
            };
            QueryWord { term: w.text, distance, prefix: prefix_last && i + 1 == count && written >= 2 }
        })
        .collect()
}

/// The query for one family's fields: each word must match one of the
/// fields (`all_words`), or any word may (the fallback when nothing has all).
pub(crate) fn family_query(words: &[QueryWord], fields: &[(Field, f32)], all_words: bool) -> Option<Box<dyn Query>> {
    if words.is_empty() {
        return None;
    }
    let occur = if all_words { Occur::Must } else { Occur::Should };
    let clauses = words
        .iter()
        .map(|w| {
            // A word scores by its best match (title over summary over body,
            // exact over typo), not by the sum: an item is not more relevant
            // for repeating a word in every field.
            let mut variants: Vec<Box<dyn Query>> = Vec::new();
            for &(field, boost) in fields {
                let term = Term::from_field_text(field, &w.term);
                let exact = TermQuery::new(term.clone(), IndexRecordOption::WithFreqs);
                variants.push(Box::new(BoostQuery::new(Box::new(exact), boost)));
                if w.distance > 0 {
                    let fuzzy = FuzzyTermQuery::new(term.clone(), w.distance, true);
                    variants.push(Box::new(BoostQuery::new(Box::new(fuzzy), boost * 0.4)));
                }
                if w.prefix {
                    let prefix = FuzzyTermQuery::new_prefix(term, 0, true);
                    variants.push(Box::new(BoostQuery::new(Box::new(prefix), boost * 0.6)));
                }
            }
            (occur, Box::new(DisjunctionMaxQuery::with_tie_breaker(variants, 0.1)) as Box<dyn Query>)
        })
        .collect();
    Some(Box::new(BooleanQuery::new(clauses)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typo_tolerance_grows_with_word_length() {
        let w = QueryWord { term: "montenegro".into(), distance: 2, prefix: false };
        assert!(w.matches("montenegro") && w.matches("montenagro") && !w.matches("monte"));
        let p = QueryWord { term: "partn".into(), distance: 1, prefix: true };
        assert!(p.matches("partnership") && p.matches("part") && !p.matches("party-goer"));
        assert_eq!(strsim_levenshtein("kitten", "sitting"), 3);
    }
}
