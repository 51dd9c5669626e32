//! User text to a forgiving query: every word may match exactly, with a
//! typo, or (the last one, for search as you type) as a prefix. Query syntax
//! characters are just text.

use std::sync::Arc;
use tantivy::Term;

use tantivy::query::{
    AutomatonWeight, BooleanQuery, BoostQuery, DisjunctionMaxQuery, EnableScoring, FuzzyTermQuery, Occur, Query,
    TermQuery, Weight,
};
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
            || (self.distance > 0 && within(token, &self.term, usize::from(self.distance)))
    }

    /// Whether a word of a document, lowercased but not stemmed, matches
    /// the word as typed.
    pub(crate) fn matches_plain(&self, word: &str) -> bool {
        self.plain.as_ref().is_some_and(|(plain, distance)| {
            word == plain || (*distance > 0 && within(word, plain, usize::from(*distance)))
        })
    }
}

/// Edit distance with a swap of two neighbouring letters counted as one
/// edit ("childern"), as the index's fuzzy queries count it.
pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    strsim::osa_distance(a, b)
}

/// Whether two words are at most `distance` edits apart. Words whose
/// lengths differ by more cannot be, and most words of a text are ruled
/// out so, without measuring.
pub(crate) fn within(a: &str, b: &str, distance: usize) -> bool {
    a.chars().count().abs_diff(b.chars().count()) <= distance && edit_distance(a, b) <= distance
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

/// The words longer than a word they start with, as an automaton the term
/// dictionary is walked with. The word itself is left out: its own clause
/// finds it, scored, and the items that have it would otherwise be read a
/// second time, into the set of a prefix's items.
#[derive(Debug)]
pub(crate) struct Extends(Box<[u8]>);

/// [`Extends`]'s states: how many bytes of the word were read, one more
/// once the word goes on, or [`Extends::DEAD`].
impl Extends {
    const DEAD: usize = usize::MAX;
}

impl tantivy_fst::Automaton for Extends {
    type State = usize;

    fn start(&self) -> usize {
        0
    }

    fn is_match(&self, state: &usize) -> bool {
        *state == self.0.len() + 1
    }

    fn can_match(&self, state: &usize) -> bool {
        *state != Extends::DEAD
    }

    fn will_always_match(&self, state: &usize) -> bool {
        self.is_match(state)
    }

    fn accept(&self, state: &usize, byte: u8) -> usize {
        match self.0.get(*state) {
            Some(&expected) if expected == byte => state + 1,
            Some(_) => Extends::DEAD,
            None if *state == Extends::DEAD => Extends::DEAD,
            None => self.0.len() + 1,
        }
    }
}

/// The items having a word of `field` that [`Extends`] `start`, all
/// scoring alike (the boost they are given).
#[derive(Debug, Clone)]
struct Longer {
    field: Field,
    start: Arc<Extends>,
}

impl Query for Longer {
    fn weight(&self, _: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(AutomatonWeight::<Extends>::new(self.field, Arc::clone(&self.start))))
    }
}

fn boosted(query: impl Query, boost: f32) -> Box<dyn Query> {
    Box::new(BoostQuery::new(Box::new(query), boost))
}

/// One language family's fields: `text` holds every word of an item (the
/// summary's twice), `title` the title's again, on their own.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FamilyFields {
    pub(crate) text: Field,
    pub(crate) title: Field,
}

/// How much more a word found in the title weighs.
const TITLE_BOOST: f32 = 3.0;

/// What the words add to the score of an item that has them in its title,
/// in the form they were found in the text. It decides nothing about what
/// matches: it is looked up only for the items the text found, and a
/// title's list of items is short.
pub(crate) fn title_query(families: &[(&[QueryWord], FamilyFields)]) -> Option<Box<dyn Query>> {
    let clauses: Vec<(Occur, Box<dyn Query>)> = families
        .iter()
        .flat_map(|(words, fields)| {
            words.iter().map(|w| (Occur::Should, boosted(word_in(w, fields.title), TITLE_BOOST)))
        })
        .collect();
    (!clauses.is_empty()).then(|| Box::new(BooleanQuery::new(clauses)) as Box<dyn Query>)
}

/// One word in one family's field, by its best form: as written (stemmed),
/// over the start of a longer word, over a typo.
fn word_in(w: &QueryWord, field: Field) -> Box<dyn Query> {
    let term = Term::from_field_text(field, &w.term);
    let mut forms: Vec<Box<dyn Query>> = vec![Box::new(TermQuery::new(term.clone(), IndexRecordOption::WithFreqs))];
    if w.distance > 0 {
        forms.push(boosted(FuzzyTermQuery::new(term.clone(), w.distance, true), 0.4));
    }
    if w.prefix {
        forms.push(boosted(Longer { field, start: Arc::new(Extends(w.term.as_bytes().into())) }, 0.6));
    }
    match forms.len() {
        1 => forms.remove(0),
        _ => Box::new(DisjunctionMaxQuery::with_tie_breaker(forms, 0.1)),
    }
}

/// The query for the words of some families, each searched in its text:
/// each word must be found (`all_words`), or any word may be (the
/// fallback when nothing has all), in any of the families, or (with a
/// typo, where the family pairs each word with its unstemmed form) in
/// `plain`, the field of unstemmed words every family shares.
///
/// The families given together must have split the text into the same
/// words (every family but n-grams, paired with the plain words). An item
/// is in one family only, so a word is looked for once per family, and in
/// the unstemmed field once: the word exactly as typed needs no clause of
/// its own, since an item that has it has its stem in its family's text.
pub(crate) fn words_query(
    families: &[(&[QueryWord], FamilyFields)],
    plain: Field,
    all_words: bool,
) -> Option<Box<dyn Query>> {
    let count = families.iter().map(|(words, _)| words.len()).max()?;
    if count == 0 {
        return None;
    }
    let occur = if all_words { Occur::Must } else { Occur::Should };
    let clauses = (0..count)
        .map(|i| {
            let mut found: Vec<(Occur, Box<dyn Query>)> = Vec::new();
            for (words, fields) in families {
                if let Some(w) = words.get(i) {
                    found.push((Occur::Should, word_in(w, fields.text)));
                }
            }
            // A typo of the word as typed, which the stemmer may cut
            // differently ("disabilites"): below every stemmed match.
            let typed = families.iter().find_map(|(words, _)| words.get(i)?.plain.as_ref());
            if let Some((word, distance)) = typed
                && *distance > 0
            {
                let fuzzy = FuzzyTermQuery::new(Term::from_field_text(plain, word), *distance, true);
                found.push((Occur::Should, boosted(fuzzy, 0.25)));
            }
            let word: Box<dyn Query> = match found.len() {
                1 => found.remove(0).1,
                _ => Box::new(BooleanQuery::new(found)),
            };
            (occur, word)
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

        #[test]
        fn ruling_out_by_length_rules_out_only_far_words(
            word in "[abcé]{0,9}",
            other in "[abcé]{0,9}",
            distance in 0usize..=3,
        ) {
            proptest::prop_assert_eq!(super::within(&word, &other, distance), edit_distance(&word, &other) <= distance);
        }
    }

    proptest::proptest! {
        #[test]
        fn a_prefix_matches_the_longer_words_it_starts_and_not_itself(
            start in "[a-cé]{0,4}",
            word in "[a-cé]{0,6}",
        ) {
            use tantivy_fst::Automaton;
            let extends = Extends(start.as_bytes().into());
            let state = word.bytes().fold(extends.start(), |state, byte| extends.accept(&state, byte));
            let longer = word.len() > start.len() && word.starts_with(&start);
            proptest::prop_assert_eq!(extends.is_match(&state), longer, "{:?} {:?}", start, word);
            // A walk is cut off as soon as no word can match any more.
            if !extends.can_match(&state) {
                proptest::prop_assert!(!word.starts_with(&start) && !start.starts_with(&word));
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
