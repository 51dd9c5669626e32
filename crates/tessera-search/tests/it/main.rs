//! Search on the bundled content and the fixture site: relevance, facets,
//! snippets, locales, visibility, hostile input and the on-disk cache.

mod incremental;

use std::path::Path;

use chrono::Utc;
use tessera_core::{Country, Kind, Locale, Snapshot};
use tessera_search::{Audience, SearchError, SearchIndex, SearchRequest, SearchResults};

fn load(rel: &str) -> Snapshot {
    tessera_core::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(rel))
        .unwrap_or_else(|e| panic!("{e:?}"))
}

fn index(snapshot: &Snapshot, audience: Audience) -> SearchIndex {
    SearchIndex::build(snapshot, audience, Utc::now(), None).unwrap_or_else(|e| panic!("{e}")).0
}

fn locale(tag: &str) -> Locale {
    Locale::parse(tag).unwrap_or_else(|e| panic!("{e}"))
}

fn search(index: &SearchIndex, query: &str, tag: &str) -> SearchResults {
    index.search(&SearchRequest::new(query, locale(tag))).unwrap_or_else(|e| panic!("{query}: {e}"))
}

#[test]
fn the_right_item_comes_first_on_the_bundled_content() {
    let snapshot = load("content");
    let index = index(&snapshot, Audience::Public);
    for (query, kind, slug) in [
        ("disability organisations", Kind::Partner, "dpos"),
        ("Montenegro", Kind::Story, "its-about-ability"),
        ("trade unions", Kind::Partner, "trade-unions"),
        ("capacity building", Kind::Measure, "support-capacity-building-of-dpos"),
        ("Convention", Kind::Page, "civil-society-partnerships"),
        ("montenagro", Kind::Story, "its-about-ability"),
        ("partn", Kind::Page, "civil-society-partnerships"),
    ] {
        let results = search(&index, query, "en");
        let first = results.hits.first().unwrap_or_else(|| panic!("{query}: no hits"));
        assert_eq!((first.kind, first.slug.as_str()), (kind, slug), "{query}: {:#?}", results.hits);
    }
}

#[test]
fn misspellings_of_stemmed_words_and_what_pages_show_are_found() {
    let snapshot = load("content");
    let index = index(&snapshot, Audience::Public);
    let seed = (Kind::Page, "civil-society-partnerships");
    let story = (Kind::Story, "its-about-ability");
    let found = |query: &str| -> Vec<(Kind, String)> {
        search(&index, query, "en").hits.iter().map(|h| (h.kind, h.slug.clone())).collect()
    };
    // Stemming cuts these words differently from the words as written, so
    // a typo is matched against the word as written.
    for query in ["disabilites", "disabilties", "organisatons", "educaton", "abilty"] {
        let hits = found(query);
        assert!(hits.iter().any(|(k, s)| (*k, s.as_str()) == seed || (*k, s.as_str()) == story), "{query}: {hits:?}");
    }
    // The photo's caption and credit find the page that shows it; the
    // video's caption finds its story; a country's name finds its story.
    for (query, expected) in [("Kazakhstan", seed), ("Pirozzi", seed), ("music video", story), ("Montenegro", story)] {
        let hits = found(query);
        assert_eq!(hits.first().map(|(k, s)| (*k, s.as_str())), Some(expected), "{query}: {hits:?}");
    }
}

#[test]
fn an_unknown_word_gets_a_suggestion_from_the_index() {
    let snapshot = load("content");
    let index = index(&snapshot, Audience::Public);
    assert_eq!(search(&index, "disabilites", "en").suggestions, ["disabilities"]);
    assert_eq!(search(&index, "childern educaton", "en").suggestions, ["children education"]);
    // Known words, and a last word that starts a known one, need no suggestion.
    assert!(search(&index, "children", "en").suggestions.is_empty());
    assert!(search(&index, "partn", "en").suggestions.is_empty());
    // Nothing close: no suggestion rather than a wild one.
    assert!(search(&index, "zzzzzzzz", "en").suggestions.is_empty());
}

#[test]
fn snippets_mark_the_matches_even_typos() {
    let snapshot = load("content");
    let index = index(&snapshot, Audience::Public);
    let hit = &search(&index, "montenagro", "en").hits[0];
    let marked = hit.snippet.marked("[", "]", str::to_owned);
    assert!(marked.contains("[Montenegro"), "{marked}");
    let hit = &search(&index, "dialogue", "en").hits[0];
    assert!(hit.snippet.marked("<mark>", "</mark>", str::to_owned).contains("<mark>dialogue</mark>"));
    assert!(!hit.snippet.highlights.is_empty());
}

#[test]
fn facets_count_results_by_kind_topic_country_and_partner_kind() {
    let snapshot = load("content");
    let index = index(&snapshot, Audience::Public);
    let results = search(&index, "organizations", "en");
    let count =
        |list: &[tessera_search::FacetCount], value: &str| list.iter().find(|f| f.value == value).map(|f| f.count);
    assert!(count(&results.facets.kinds, "partner").is_some_and(|n| n >= 2), "{:?}", results.facets);
    assert!(count(&results.facets.kinds, "measure").is_some_and(|n| n >= 1));
    assert_eq!(results.facets.kinds.iter().map(|f| f.count).sum::<u64>(), results.total as u64);
    let story = search(&index, "ability", "en");
    assert_eq!(count(&story.facets.countries, "ME"), Some(1));
    assert_eq!(count(&story.facets.topics, "disabilities"), Some(1));
    let mut only_partners = SearchRequest::new("organizations", locale("en"));
    only_partners.kinds = vec![Kind::Partner];
    let filtered = index.search(&only_partners).unwrap_or_else(|e| panic!("{e}"));
    assert!(filtered.hits.iter().all(|h| h.kind == Kind::Partner) && !filtered.hits.is_empty());
    let mut montenegro = SearchRequest::new("children", locale("en"));
    montenegro.countries = vec![Country::parse("ME").unwrap_or_else(|e| panic!("{e}"))];
    let filtered = index.search(&montenegro).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(filtered.hits.iter().map(|h| h.slug.as_str()).collect::<Vec<_>>(), ["its-about-ability"]);
    // A limit of 0: the count and facets, no hit.
    let mut counted = SearchRequest::new("organizations", locale("en"));
    counted.limit = 0;
    let counted = index.search(&counted).unwrap_or_else(|e| panic!("{e}"));
    assert!(counted.hits.is_empty());
    assert_eq!((counted.total, &counted.facets.kinds), (results.total, &results.facets.kinds));
}

#[test]
fn each_locale_searches_its_own_words_and_falls_back() {
    let snapshot = load("tests/fixtures/valid-site");
    let index = index(&snapshot, Audience::Public);
    // French stemming: "mesures" finds "mesure".
    let fr = search(&index, "mesures publiques", "fr");
    assert_eq!(fr.hits[0].slug, "public-measure");
    assert_eq!(fr.hits[0].locale, "fr");
    // Where the reader's translation exists, the other versions are not
    // found, nor counted.
    let versions = |results: &SearchResults, tag: &str| {
        results.hits.iter().filter(|h| h.slug == "public-measure" && h.locale == tag).count()
    };
    assert_eq!(versions(&fr, "en"), 0, "{:?}", fr.hits);
    let en = search(&index, "mesures publiques", "en");
    assert_eq!(versions(&en, "fr"), 0, "{:?}", en.hits);
    assert_eq!(en.total, en.hits.len(), "{:?}", en.hits);
    assert_eq!(fr.total, fr.hits.len(), "{:?}", fr.hits);
    // The story has no French translation: French readers find the English one.
    let story = search(&index, "story", "fr");
    assert!(story.hits.iter().any(|h| h.slug == "public-story" && h.locale == "en"), "{:?}", story.hits);
    // Arabic text is searchable without being broken apart.
    let preview = self::index(&snapshot, Audience::Preview);
    let ar = search(&preview, "الصفحة", "ar");
    assert_eq!(ar.hits.first().map(|h| h.slug.as_str()), Some("welcome"));
}

#[test]
fn the_public_index_never_holds_unpublished_items_and_preview_does() {
    let snapshot = load("tests/fixtures/valid-site");
    let public = index(&snapshot, Audience::Public);
    let preview = index(&snapshot, Audience::Preview);
    for query in ["draft", "review", "embargoed", "later", "2099"] {
        let results = search(&public, query, "en");
        assert!(
            results.hits.iter().all(|h| ![
                "draft-page",
                "review-page",
                "embargoed-page",
                "draft-measure",
                "review-partner",
                "embargoed-story"
            ]
            .contains(&h.slug.as_str())),
            "{query} leaked: {:?}",
            results.hits
        );
    }
    assert!(search(&preview, "draft", "en").hits.iter().any(|h| h.slug == "draft-page"));
    assert!(search(&preview, "embargoed", "en").hits.iter().any(|h| h.slug == "embargoed-story"));
    assert!(public.len() < preview.len());
}

#[test]
fn any_text_is_a_query_and_bad_ones_get_clear_errors() {
    let snapshot = load("content");
    let index = index(&snapshot, Audience::Public);
    for hostile in ["title:foo AND (", "\"unbalanced", "*", "a~2^3", "[x TO y]", "-", "😀 🚀", "'; DROP TABLE", "\\"]
    {
        match index.search(&SearchRequest::new(hostile, locale("en"))) {
            Ok(_) | Err(SearchError::EmptyQuery) => {}
            Err(e) => panic!("{hostile:?}: {e}"),
        }
    }
    assert!(matches!(index.search(&SearchRequest::new("   ", locale("en"))), Err(SearchError::EmptyQuery)));
    let long = "word ".repeat(100);
    let err = index.search(&SearchRequest::new(long, locale("en")));
    assert!(matches!(err, Err(SearchError::QueryTooLong { max: 200 })));
    assert_eq!(SearchError::EmptyQuery.to_string(), "type something to search for");
}

#[test]
fn a_restart_reuses_the_cached_index_of_the_same_content() {
    let snapshot = load("content");
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (first, cached) =
        SearchIndex::build(&snapshot, Audience::Public, Utc::now(), Some(dir.path())).unwrap_or_else(|e| panic!("{e}"));
    assert!(!cached);
    let (second, cached) =
        SearchIndex::build(&snapshot, Audience::Public, Utc::now(), Some(dir.path())).unwrap_or_else(|e| panic!("{e}"));
    assert!(cached, "the second build must come from the cache");
    let a: Vec<_> = search(&first, "Montenegro", "en").hits.into_iter().map(|h| h.slug).collect();
    let b: Vec<_> = search(&second, "Montenegro", "en").hits.into_iter().map(|h| h.slug).collect();
    assert_eq!(a, b);
    // Another audience gets its own cache entry.
    let (_, cached) = SearchIndex::build(&snapshot, Audience::Preview, Utc::now(), Some(dir.path()))
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(!cached);
    assert!(second.is_current(&snapshot, Utc::now()));
}

#[test]
fn a_cached_index_with_other_fields_or_damaged_is_built_again() {
    let snapshot = load("content");
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let build = || SearchIndex::build(&snapshot, Audience::Public, Utc::now(), Some(dir.path()));
    let (fresh, _) = build().unwrap_or_else(|e| panic!("{e}"));
    let expected: Vec<_> = search(&fresh, "Montenegro", "en").hits.into_iter().map(|h| h.slug).collect();
    assert!(!expected.is_empty());
    drop(fresh);
    let folders: Vec<std::path::PathBuf> = std::fs::read_dir(dir.path())
        .unwrap_or_else(|e| panic!("{e}"))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    let [folder] = folders.try_into().unwrap_or_else(|f| panic!("one index folder expected: {f:?}"));
    // Damages the cached index, then builds: never trusted, built again,
    // and the index built again is reused.
    let check = |damage: &dyn Fn(&Path), what: &str| {
        damage(&folder);
        let (again, cached) = build().unwrap_or_else(|e| panic!("{what}: {e}"));
        assert!(!cached, "{what}: a foreign or damaged index is never trusted");
        let found: Vec<_> = search(&again, "Montenegro", "en").hits.into_iter().map(|h| h.slug).collect();
        assert_eq!(found, expected, "{what}");
        drop(again);
        let (_, cached) = build().unwrap_or_else(|e| panic!("{what}: {e}"));
        assert!(cached, "{what}: the index built again is reused");
    };
    let replace = |folder: &Path| {
        std::fs::remove_dir_all(folder).unwrap_or_else(|e| panic!("{e}"));
        std::fs::create_dir(folder).unwrap_or_else(|e| panic!("{e}"));
    };
    // An index of the same name made with other fields (another layout
    // that kept the name).
    check(
        &|folder| {
            replace(folder);
            let mut schema = tantivy::schema::Schema::builder();
            schema.add_text_field("title", tantivy::schema::TEXT);
            tantivy::Index::create_in_dir(folder, schema.build()).unwrap_or_else(|e| panic!("{e}"));
        },
        "other fields",
    );
    check(
        &|folder| std::fs::write(folder.join("meta.json"), b"{ not json").unwrap_or_else(|e| panic!("{e}")),
        "meta.json damaged",
    );
    // Half removed: the segments there, not the file that names them.
    check(&|folder| std::fs::remove_file(folder.join("meta.json")).unwrap_or_else(|e| panic!("{e}")), "no meta.json");
    // Not a folder at all.
    check(
        &|folder| {
            std::fs::remove_dir_all(folder).unwrap_or_else(|e| panic!("{e}"));
            std::fs::write(folder, b"a file").unwrap_or_else(|e| panic!("{e}"));
        },
        "a file in its place",
    );
    // A segment's file overwritten, another truncated, in an index that is
    // otherwise whole.
    for (ending, damage) in
        [("idx", b"garbage".as_slice()), ("term", b"".as_slice()), ("store", b"a longer line of garbage".as_slice())]
    {
        check(
            &|folder| {
                let file = std::fs::read_dir(folder)
                    .unwrap_or_else(|e| panic!("{e}"))
                    .filter_map(|e| e.ok().map(|e| e.path()))
                    .find(|p| p.extension().is_some_and(|x| x == ending))
                    .unwrap_or_else(|| panic!("no .{ending} file"));
                std::fs::write(&file, damage).unwrap_or_else(|e| panic!("{e}"));
            },
            ending,
        );
    }
}

#[test]
fn a_word_in_the_title_outranks_the_same_word_repeated_in_bodies() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let write = |rel: &str, text: &str| {
        let path = dir.path().join(rel);
        std::fs::create_dir_all(path.parent().unwrap_or(dir.path())).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(&path, text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    };
    write(
        "site.toml",
        "title = \"Titles\"\nbase_url = \"https://titles.invalid/\"\ndefault_locale = \"en\"\n\
         search_label = \"Search\"\n\n[[locales]]\ncode = \"en\"\nname = \"English\"\n",
    );
    write("topics.toml", "[[topics]]\nslug = \"health\"\nname = \"Health\"\n");
    // The title holds the word once; its long body never repeats it.
    let filler = "Evening classes meet in the hall every week for reading and writing. ".repeat(20);
    write(
        "measures/lantern-workshops.md",
        &format!("+++\ntitle = \"Lantern workshops\"\nstatus = \"published\"\n+++\n{filler}\n"),
    );
    // Short bodies that repeat it.
    let others = [
        ("reading-corners", "Reading corners"),
        ("night-school", "Night school"),
        ("evening-classes", "Evening classes"),
        ("village-halls", "Village halls"),
        ("study-circles", "Study circles"),
        ("book-clubs", "Book clubs"),
    ];
    for (slug, title) in others {
        write(
            &format!("measures/{slug}.md"),
            &format!(
                "+++\ntitle = \"{title}\"\nstatus = \"published\"\n+++\nA lantern, a lantern, another lantern for the night.\n"
            ),
        );
    }
    let snapshot = tessera_core::load(dir.path()).unwrap_or_else(|e| panic!("{e:?}"));
    let index = index(&snapshot, Audience::Public);
    // As written, as the start of a longer word, with a typo.
    for query in ["lantern", "lanterns", "lante", "lantren"] {
        let results = search(&index, query, "en");
        assert_eq!(results.total, others.len() + 1, "{query}: {:#?}", results.hits);
        let first = results.hits.first().map(|h| h.slug.as_str());
        assert_eq!(first, Some("lantern-workshops"), "{query}: {:#?}", results.hits);
    }
}
