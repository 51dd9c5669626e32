//! One analyser per language family: stemming where tantivy has a stemmer,
//! n-grams for scripts written without spaces, plain words otherwise.

use tantivy::tokenizer::{
    Language, LowerCaser, NgramTokenizer, RemoveLongFilter, SimpleTokenizer, Stemmer, TextAnalyzer, TokenStream,
};
use tessera_core::Locale;

/// A language family: the name of its tokenizer and of its fields' suffix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Family {
    /// A language with a tantivy stemmer.
    Stemmed(&'static str),
    /// Chinese, Japanese, Korean: no spaces between words, so 1- and 2-grams.
    Cjk,
    /// Anything else (Arabic script included when it has no stemmer): words, lowercased.
    Plain,
}

impl Family {
    pub(crate) fn of(locale: &Locale) -> Family {
        match locale.language() {
            "ar" => Family::Stemmed("ar"),
            "da" => Family::Stemmed("da"),
            "nl" => Family::Stemmed("nl"),
            "en" => Family::Stemmed("en"),
            "fi" => Family::Stemmed("fi"),
            "fr" => Family::Stemmed("fr"),
            "de" => Family::Stemmed("de"),
            "el" => Family::Stemmed("el"),
            "hu" => Family::Stemmed("hu"),
            "it" => Family::Stemmed("it"),
            "no" | "nb" | "nn" => Family::Stemmed("no"),
            "pt" => Family::Stemmed("pt"),
            "ro" => Family::Stemmed("ro"),
            "ru" => Family::Stemmed("ru"),
            "es" => Family::Stemmed("es"),
            "sv" => Family::Stemmed("sv"),
            "ta" => Family::Stemmed("ta"),
            "tr" => Family::Stemmed("tr"),
            "zh" | "ja" | "ko" => Family::Cjk,
            _ => Family::Plain,
        }
    }

    /// The tokenizer's name and the suffix of this family's fields.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Family::Stemmed(code) => code,
            Family::Cjk => "cjk",
            Family::Plain => "plain",
        }
    }

    pub(crate) fn analyzer(self) -> TextAnalyzer {
        match self {
            Family::Stemmed(code) => TextAnalyzer::builder(SimpleTokenizer::default())
                .filter(RemoveLongFilter::limit(40))
                .filter(LowerCaser)
                .filter(Stemmer::new(stemmer_language(code)))
                .build(),
            Family::Cjk => match NgramTokenizer::new(1, 2, false) {
                Ok(t) => TextAnalyzer::builder(t).filter(LowerCaser).build(),
                Err(_) => TextAnalyzer::builder(SimpleTokenizer::default()).filter(LowerCaser).build(),
            },
            Family::Plain => TextAnalyzer::builder(SimpleTokenizer::default())
                .filter(RemoveLongFilter::limit(40))
                .filter(LowerCaser)
                .build(),
        }
    }

    /// Where this family's analyser works word by word (split into words,
    /// then each word normalised on its own): the analyser that only
    /// splits, without normalising, so that a caller can normalise each
    /// distinct word once. `None` for n-grams, whose tokens overlap.
    ///
    /// It must split exactly as [`Family::analyzer`] does.
    pub(crate) fn splitter(self) -> Option<TextAnalyzer> {
        match self {
            Family::Stemmed(_) | Family::Plain => Some(TextAnalyzer::builder(SimpleTokenizer::default()).build()),
            Family::Cjk => None,
        }
    }
}

fn stemmer_language(code: &str) -> Language {
    match code {
        "ar" => Language::Arabic,
        "da" => Language::Danish,
        "nl" => Language::Dutch,
        "fi" => Language::Finnish,
        "fr" => Language::French,
        "de" => Language::German,
        "el" => Language::Greek,
        "hu" => Language::Hungarian,
        "it" => Language::Italian,
        "no" => Language::Norwegian,
        "pt" => Language::Portuguese,
        "ro" => Language::Romanian,
        "ru" => Language::Russian,
        "es" => Language::Spanish,
        "sv" => Language::Swedish,
        "ta" => Language::Tamil,
        "tr" => Language::Turkish,
        _ => Language::English,
    }
}

/// A token of analysed text: its normalised form and where it was in the text.
#[derive(Debug, Clone)]
pub(crate) struct Word {
    pub(crate) text: String,
    pub(crate) from: usize,
    pub(crate) to: usize,
}

/// Runs `text` through `analyzer`.
pub(crate) fn words(analyzer: &mut TextAnalyzer, text: &str) -> Vec<Word> {
    let mut stream = analyzer.token_stream(text);
    let mut out = Vec::new();
    while stream.advance() {
        let t = stream.token();
        out.push(Word { text: t.text.clone(), from: t.offset_from, to: t.offset_to });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the analyser gives for `text`, as (normalised form, from, to).
    fn analysed(analyzer: &mut TextAnalyzer, text: &str) -> Vec<(String, usize, usize)> {
        words(analyzer, text).into_iter().map(|w| (w.text, w.from, w.to)).collect()
    }

    #[test]
    fn splitting_then_analysing_each_word_is_analysing_the_text() {
        let texts = [
            "Children's rights: the Convention (1989) — l'éducation des enfants, naïve façades!",
            "Straße ÉCOLE crèches 2024-11-29 x co-operation Übung İstanbul ǅemal",
            "a supercalifragilisticexpialidociouslyextraordinarilylongword and short ones",
            "  \t\n…«»  ",
            "",
        ];
        let families = [Family::Stemmed("en"), Family::Stemmed("fr"), Family::Stemmed("de"), Family::Plain];
        for family in families {
            let Some(mut splitter) = family.splitter() else { panic!("{family:?} splits by words") };
            let mut analyzer = family.analyzer();
            for text in texts {
                let mut by_word = Vec::new();
                for w in words(&mut splitter, text) {
                    assert_eq!(w.text, text[w.from..w.to], "{family:?}: the splitter keeps words as written");
                    for (form, _, _) in analysed(&mut analyzer, &text[w.from..w.to]) {
                        by_word.push((form, w.from, w.to));
                    }
                }
                assert_eq!(by_word, analysed(&mut analyzer, text), "{family:?}: {text:?}");
            }
        }
        assert!(Family::Cjk.splitter().is_none());
    }
}
