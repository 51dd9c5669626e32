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
    /// The word unstemmed, with the edits allowed on it: a typo of a word
    /// the stemmer would cut differently ("disabilites") still finds the
    /// word as written ("disabilities"). `None` where words are not
    /// separated by spaces (n-gram families).
    pub(crate) plain: Option<(String, u8)>,
}

impl QueryWord {
    /// Whether an analysed token of a document matches this word.
    pub(crate) fn matches(&self, token: &str) -> bool {
        token == self.term
            || (self.prefix && token.starts_with(&self.term))
            || (self.distance > 0 && edit_distance(token, &self.term) <= self.distance as usize)
    }

    /// Whether a word of a document, lowercased but not stemmed, matches
    /// the word as typed.
    pub(crate) fn matches_plain(&self, word: &str) -> bool {
        self.plain.as_ref().is_some_and(|(plain, distance)| {
            word == plain || (*distance > 0 && edit_distance(word, plain) <= usize::from(*distance))
        })
    }
}

/// Edit distance with a swap of two neighbouring letters counted as one
/// edit ("childern"), as the index's fuzzy queries count it.
pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    strsim::osa_distance(a, b)
}

/// The words within `distance` edits of a word (a swap of two neighbouring
/// letters counted as one), as an automaton a term dictionary is walked
/// with: the walk visits only the branches that can still end close, not
/// every word. It accepts at least every word [`edit_distance`] puts
/// within `distance`; callers measure the words it yields.
pub(crate) struct Within(levenshtein_automata::DFA);

impl Within {
    /// `None` for distances other than 1 and 2.
    pub(crate) fn new(word: &str, distance: usize) -> Option<Within> {
        use levenshtein_automata::LevenshteinAutomatonBuilder as Builder;
        use std::sync::OnceLock;
        // Building the tables of an automaton builder takes a while; they
        // depend on the distance only.
        static BUILDERS: OnceLock<[Builder; 2]> = OnceLock::new();
        let builders = BUILDERS.get_or_init(|| [Builder::new(1, true), Builder::new(2, true)]);
        let builder = builders.get(distance.checked_sub(1)?)?;
        Some(Within(builder.build_dfa(word)))
    }
}

impl tantivy_fst::Automaton for Within {
    type State = u32;

    fn start(&self) -> u32 {
        self.0.initial_state()
    }

    fn is_match(&self, state: &u32) -> bool {
        matches!(self.0.distance(*state), levenshtein_automata::Distance::Exact(_))
    }

    fn can_match(&self, state: &u32) -> bool {
        *state != levenshtein_automata::SINK_STATE
    }

    fn accept(&self, state: &u32, byte: u8) -> u32 {
        self.0.transition(*state, byte)
    }
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
            QueryWord { term: w.text, distance, prefix: prefix_last && i + 1 == count && written >= 2, plain: None }
        })
        .collect()
}

/// The query for one family's fields: each word must match one of the
/// fields (`all_words`), or any word may (the fallback when nothing has all).
/// `plain` is the field of unstemmed words every family shares.
pub(crate) fn family_query(
    words: &[QueryWord],
    fields: &[(Field, f32)],
    plain: Field,
    all_words: bool,
) -> Option<Box<dyn Query>> {
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
            // The word as typed, unstemmed: below every stemmed match, so it
            // only decides when the stemmed forms found nothing.
            if let Some((word, distance)) = &w.plain {
                let term = Term::from_field_text(plain, word);
                let exact = TermQuery::new(term.clone(), IndexRecordOption::WithFreqs);
                variants.push(Box::new(BoostQuery::new(Box::new(exact), 0.3)));
                if *distance > 0 {
                    let fuzzy = FuzzyTermQuery::new(term, *distance, true);
                    variants.push(Box::new(BoostQuery::new(Box::new(fuzzy), 0.25)));
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
        let w = QueryWord { term: "montenegro".into(), distance: 2, prefix: false, plain: None };
        assert!(w.matches("montenegro") && w.matches("montenagro") && !w.matches("monte"));
        let p = QueryWord { term: "partn".into(), distance: 1, prefix: true, plain: None };
        assert!(p.matches("partnership") && p.matches("part") && !p.matches("party-goer"));
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("childern", "children"), 1);
        assert_eq!((edit_distance("", "abc"), edit_distance("abc", "")), (3, 3));
    }

    /// Whether `within` accepts `word`, run byte by byte.
    fn accepts(within: &Within, word: &str) -> bool {
        use tantivy_fst::Automaton;
        let mut state = within.start();
        for &byte in word.as_bytes() {
            if !within.can_match(&state) {
                return false;
            }
            state = within.accept(&state, byte);
        }
        within.is_match(&state)
    }

    proptest::proptest! {
        #[test]
        fn the_automaton_accepts_every_close_word(
            word in "[abcé]{0,9}",
            other in "[abcé]{0,9}",
            distance in 1usize..=2,
        ) {
            let within = Within::new(&word, distance).unwrap_or_else(|| panic!("distance {distance}"));
            if edit_distance(&word, &other) <= distance {
                proptest::prop_assert!(accepts(&within, &other), "{word:?} {other:?} {distance}");
            }
        }
    }

    #[test]
    fn the_automaton_takes_swaps_as_one_edit_and_only_small_distances() {
        let within = Within::new("children", 1).unwrap_or_else(|| panic!("distance 1"));
        assert!(accepts(&within, "childern") && accepts(&within, "childre") && !accepts(&within, "chidlern"));
        assert!(Within::new("children", 0).is_none() && Within::new("children", 3).is_none());
    }
}
