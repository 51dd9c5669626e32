//! An index updated edit after edit answers exactly as one built afresh:
//! random edits (text, new items, deletions, drafts, embargoes, time
//! passing, translations, media captions) to a small site written to a
//! temporary folder and loaded as the server would.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use chrono::{DateTime, TimeZone, Utc};
use proptest::prelude::*;
use tessera_core::{Country, Kind, LoadCache, Locale, Snapshot};
use tessera_search::{Audience, Refresh, SearchIndex, SearchRequest, UpdatePolicy};

const WORDS: &[&str] = &[
    "river",
    "rivers",
    "school",
    "schools",
    "health",
    "water",
    "teacher",
    "teachers",
    "children",
    "disability",
    "garden",
    "mountain",
    "village",
    "market",
    "union",
    "training",
];
const FRENCH: &[&str] = &["école", "rivière", "santé", "enfants", "village", "marché", "formation"];
const TOPICS: &[&str] = &["education", "health", "work"];
const COUNTRIES: &[&str] = &["FR", "ME", "KZ"];
const SLUGS: usize = 4;
const KINDS: [Kind; 4] = [Kind::Page, Kind::Measure, Kind::Partner, Kind::Story];

#[derive(Debug, Clone, Copy, PartialEq)]
enum Embargo {
    None,
    Past,
    /// Lifts when time passes ([`Edit::TimePasses`]).
    Soon,
    Future,
}

#[derive(Debug, Clone)]
struct Translation {
    words: Vec<usize>,
    published: bool,
}

#[derive(Debug, Clone)]
struct Item {
    words: Vec<usize>,
    published: bool,
    embargo: Embargo,
    topics: Vec<usize>,
    country: usize,
    media: usize,
    french: Option<Translation>,
}

#[derive(Debug, Clone)]
enum Edit {
    Text(usize, usize, Vec<usize>),
    Add(usize, usize, Vec<usize>),
    Delete(usize, usize),
    Publish(usize, usize, bool),
    Embargo(usize, usize, Embargo),
    Translate(usize, usize, Option<(Vec<usize>, bool)>),
    Topics(usize, usize, Vec<usize>),
    Caption(usize, Vec<usize>),
    TimePasses,
}

fn words() -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(0..WORDS.len(), 1..6)
}

fn embargo() -> impl Strategy<Value = Embargo> {
    prop_oneof![Just(Embargo::None), Just(Embargo::Past), Just(Embargo::Soon), Just(Embargo::Future)]
}

fn edit() -> impl Strategy<Value = Edit> {
    let at = (0..KINDS.len(), 0..SLUGS);
    prop_oneof![
        3 => (at.clone(), words()).prop_map(|((k, s), w)| Edit::Text(k, s, w)),
        2 => (at.clone(), words()).prop_map(|((k, s), w)| Edit::Add(k, s, w)),
        2 => at.clone().prop_map(|(k, s)| Edit::Delete(k, s)),
        2 => (at.clone(), any::<bool>()).prop_map(|((k, s), p)| Edit::Publish(k, s, p)),
        2 => (at.clone(), embargo()).prop_map(|((k, s), e)| Edit::Embargo(k, s, e)),
        2 => (at.clone(), prop::option::of((prop::collection::vec(0..FRENCH.len(), 1..4), any::<bool>())))
            .prop_map(|((k, s), t)| Edit::Translate(k, s, t)),
        1 => (at, prop::collection::vec(0..TOPICS.len(), 0..3)).prop_map(|((k, s), t)| Edit::Topics(k, s, t)),
        1 => (0..2usize, words()).prop_map(|(m, w)| Edit::Caption(m, w)),
        1 => Just(Edit::TimePasses),
    ]
}

struct Site {
    items: BTreeMap<(usize, usize), Item>,
    captions: [Vec<usize>; 2],
    now: DateTime<Utc>,
}

impl Site {
    fn new() -> Site {
        let mut items = BTreeMap::new();
        for k in 0..KINDS.len() {
            for s in 0..2 {
                items.insert(
                    (k, s),
                    Item {
                        words: vec![(k + s) % WORDS.len(), (3 * k + s + 1) % WORDS.len()],
                        published: true,
                        embargo: Embargo::None,
                        topics: vec![(k + s) % TOPICS.len()],
                        country: s % COUNTRIES.len(),
                        media: s % 2,
                        french: (s == 0).then(|| Translation { words: vec![k % FRENCH.len()], published: true }),
                    },
                );
            }
        }
        Site { items, captions: [vec![0, 1], vec![2]], now: at(2026, 6) }
    }

    fn apply(&mut self, edit: &Edit) {
        match edit {
            Edit::Text(k, s, w) => {
                if let Some(i) = self.items.get_mut(&(*k, *s)) {
                    i.words = w.clone();
                }
            }
            Edit::Add(k, s, w) => {
                self.items.entry((*k, *s)).or_insert_with(|| Item {
                    words: w.clone(),
                    published: true,
                    embargo: Embargo::None,
                    topics: vec![s % TOPICS.len()],
                    country: (k + s) % COUNTRIES.len(),
                    media: s % 2,
                    french: None,
                });
            }
            Edit::Delete(k, s) => {
                self.items.remove(&(*k, *s));
            }
            Edit::Publish(k, s, p) => {
                if let Some(i) = self.items.get_mut(&(*k, *s)) {
                    i.published = *p;
                }
            }
            Edit::Embargo(k, s, e) => {
                if let Some(i) = self.items.get_mut(&(*k, *s)) {
                    i.embargo = *e;
                }
            }
            Edit::Translate(k, s, t) => {
                if let Some(i) = self.items.get_mut(&(*k, *s)) {
                    i.french = t
                        .as_ref()
                        .map(|(words, published)| Translation { words: words.clone(), published: *published });
                }
            }
            Edit::Topics(k, s, t) => {
                if let Some(i) = self.items.get_mut(&(*k, *s)) {
                    i.topics = t.clone();
                }
            }
            Edit::Caption(m, w) => self.captions[*m] = w.clone(),
            Edit::TimePasses => self.now = at(2028, 1),
        }
    }

    /// Writes the site into `dir`, replacing what was there.
    fn write(&self, dir: &Path) {
        for sub in ["pages", "measures", "partners", "stories", "media"] {
            let path = dir.join(sub);
            if path.exists() {
                std::fs::remove_dir_all(&path).unwrap_or_else(|e| panic!("{e}"));
            }
            std::fs::create_dir_all(&path).unwrap_or_else(|e| panic!("{e}"));
        }
        let site = "title = \"Prop site\"\nbase_url = \"https://prop.invalid/\"\ndefault_locale = \"en\"\n\
                    search_label = \"Search\"\n\n[[locales]]\ncode = \"en\"\nname = \"English\"\n\n\
                    [[locales]]\ncode = \"fr\"\nname = \"Français\"\nfallback = [\"en\"]\n";
        write(&dir.join("site.toml"), site);
        let mut topics = String::new();
        for t in TOPICS {
            let _ = write!(topics, "[[topics]]\nslug = \"{t}\"\nname = \"{t}\"\n\n");
        }
        write(&dir.join("topics.toml"), &topics);
        for (m, caption) in self.captions.iter().enumerate() {
            let text = format!(
                "kind = \"image\"\nsrc = \"https://prop.invalid/photo{m}.jpg\"\nalt = \"A photo.\"\ncaption = \"{}\"\n",
                sentence(caption, WORDS)
            );
            write(&dir.join(format!("media/photo{m}.toml")), &text);
        }
        for ((k, s), item) in &self.items {
            let (folder, name) = match KINDS[*k] {
                Kind::Page => ("pages", "page"),
                Kind::Measure => ("measures", "measure"),
                Kind::Partner => ("partners", "partner"),
                _ => ("stories", "story"),
            };
            let slug = format!("{name}-{s}");
            let english = front(KINDS[*k], item, &sentence(&item.words, WORDS), item.published);
            write(&dir.join(format!("{folder}/{slug}.md")), &format!("{english}{}\n", sentence(&item.words, WORDS)));
            if let Some(fr) = &item.french {
                let text = sentence(&fr.words, FRENCH);
                let french = front(KINDS[*k], item, &text, fr.published);
                write(&dir.join(format!("{folder}/{slug}.fr.md")), &format!("{french}{text}\n"));
            }
        }
    }
}

fn at(year: i32, month: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(year, month, 1, 0, 0, 0).single().unwrap_or_else(|| panic!("{year}-{month}"))
}

fn sentence(words: &[usize], list: &[&str]) -> String {
    words.iter().filter_map(|w| list.get(*w)).copied().collect::<Vec<_>>().join(" ")
}

fn write(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}

/// The front matter of one file of `item`.
fn front(kind: Kind, item: &Item, title: &str, published: bool) -> String {
    let mut f = String::from("+++\n");
    let name = if kind == Kind::Partner { "name" } else { "title" };
    let _ = writeln!(f, "{name} = \"{title}\"");
    match kind {
        Kind::Page => {
            let _ = writeln!(f, "summary = \"{title}\"");
        }
        Kind::Partner => {
            let kinds = ["trade-union", "dpo"];
            let _ = writeln!(f, "kind = \"{}\"\ncountry = \"{}\"", kinds[item.country % 2], COUNTRIES[item.country]);
        }
        Kind::Story => {
            let _ = writeln!(f, "country = \"{}\"\nmedia = [\"photo{}\"]", COUNTRIES[item.country], item.media);
        }
        _ => {}
    }
    let topics: Vec<String> = item.topics.iter().map(|t| format!("\"{}\"", TOPICS[*t])).collect();
    let _ = writeln!(f, "topics = [{}]", topics.join(", "));
    let _ = writeln!(f, "status = \"{}\"", if published { "published" } else { "draft" });
    match item.embargo {
        Embargo::None => {}
        Embargo::Past => f.push_str("publish_at = 2020-01-01T00:00:00Z\n"),
        Embargo::Soon => f.push_str("publish_at = 2027-01-01T00:00:00Z\n"),
        Embargo::Future => f.push_str("publish_at = 2099-01-01T00:00:00Z\n"),
    }
    if kind == Kind::Page {
        let _ = writeln!(f, "\n[hero]\nmedia = \"photo{}\"", item.media);
    }
    f.push_str("+++\n");
    f
}

/// Every content file under `dir`, with its bytes.
fn files(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    for sub in ["pages", "measures", "partners", "stories", "media"] {
        for entry in std::fs::read_dir(dir.join(sub)).into_iter().flatten().flatten() {
            let bytes = std::fs::read(entry.path()).unwrap_or_else(|e| panic!("{e}"));
            out.insert(entry.path(), bytes);
        }
    }
    out
}

fn load(dir: &Path) -> Snapshot {
    tessera_core::load(dir).unwrap_or_else(|e| panic!("{e:?}"))
}

fn locale(tag: &str) -> Locale {
    Locale::parse(tag).unwrap_or_else(|e| panic!("{e}"))
}

/// The queries both indexes must answer alike: every word, typos,
/// prefixes, two words, French, and filters.
fn requests() -> Vec<SearchRequest> {
    let mut texts: Vec<String> = WORDS.iter().map(|w| (*w).to_owned()).collect();
    texts.extend(
        ["scholl", "rive", "childern", "moutain", "water river", "montain villag", "xyzzy", "teach"].map(String::from),
    );
    let mut requests = Vec::new();
    for text in &texts {
        for tag in ["en", "fr"] {
            requests.push(SearchRequest::new(text.as_str(), locale(tag)));
        }
    }
    for text in FRENCH.iter().chain(&["enfant", "ecole"]) {
        requests.push(SearchRequest::new(*text, locale("fr")));
    }
    let mut stories = SearchRequest::new("river", locale("en"));
    stories.kinds = vec![Kind::Story, Kind::Partner];
    let mut health = SearchRequest::new("school", locale("en"));
    health.topics = vec!["health".to_owned()];
    let mut france = SearchRequest::new("children", locale("fr"));
    france.countries = vec![Country::parse("FR").unwrap_or_else(|e| panic!("{e}"))];
    let mut page_two = SearchRequest::new("water", locale("en"));
    page_two.limit = 2;
    page_two.offset = 1;
    requests.extend([stories, health, france, page_two]);
    requests
}

/// Everything a search answers, scores to the bit.
fn answers(index: &SearchIndex) -> Vec<String> {
    requests()
        .iter()
        .map(|r| match index.search(r) {
            Ok(found) => {
                let hits: Vec<String> = found
                    .hits
                    .iter()
                    .map(|h| {
                        let marked = h.snippet.marked("[", "]", str::to_owned);
                        format!(
                            "{}/{}/{} {:?} {:08x} {marked}",
                            h.kind.name(),
                            h.slug,
                            h.locale,
                            h.title,
                            h.score.to_bits()
                        )
                    })
                    .collect();
                format!("{} {}: {} {hits:?} {:?} {:?}", r.query, r.locale, found.total, found.facets, found.suggestions)
            }
            Err(e) => format!("{} {}: {e}", r.query, r.locale),
        })
        .collect()
}

fn check(edits: &[Edit], audience: Audience, on_disk: bool, policy: UpdatePolicy) -> Result<(), TestCaseError> {
    let content = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let cache = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let cache_dir = on_disk.then_some(cache.path());
    let mut site = Site::new();
    site.write(content.path());
    // Loaded as `serve --watch` loads: told which files changed, so that
    // an edit of a few files patches the last snapshot, and the index is
    // updated from the items the patch names.
    let mut loads = LoadCache::default().with_settle_time(std::time::Duration::ZERO);
    let snapshot = tessera_core::load_with(content.path(), &mut loads).unwrap_or_else(|e| panic!("{e:?}"));
    let (mut index, _) = SearchIndex::build(&snapshot, audience, site.now, cache_dir).unwrap_or_else(|e| panic!("{e}"));
    for edit in edits {
        let before = files(content.path());
        site.apply(edit);
        site.write(content.path());
        let after = files(content.path());
        let mut changed: Vec<PathBuf> =
            before.iter().filter(|(p, b)| after.get(*p) != Some(b)).map(|(p, _)| p.clone()).collect();
        changed.extend(after.keys().filter(|p| !before.contains_key(*p)).cloned());
        let snapshot =
            tessera_core::load_changed(content.path(), &mut loads, &changed).unwrap_or_else(|e| panic!("{e:?}"));
        prop_assert_eq!(snapshot.version(), load(content.path()).version());
        let (updated, refresh) =
            index.update_with(&snapshot, site.now, policy).unwrap_or_else(|e| panic!("{edit:?}: {e}"));
        prop_assert!(
            matches!(refresh, Refresh::Updated { .. } | Refresh::Cached),
            "{edit:?}: the index was {refresh:?}"
        );
        let (fresh, _) = SearchIndex::build(&snapshot, audience, site.now, None).unwrap_or_else(|e| panic!("{e}"));
        prop_assert_eq!(updated.len(), fresh.len(), "after {:?}", edit);
        prop_assert!(updated.is_current(&snapshot, site.now));
        let (a, b) = (answers(&updated), answers(&fresh));
        for (x, y) in a.iter().zip(&b) {
            prop_assert_eq!(x, y, "after {:?}", edit);
        }
        index = updated;
    }
    Ok(())
}

/// Never merges: replaced documents stay in their segments, deleted, and
/// every segment an update writes stays.
const NEVER_MERGE: UpdatePolicy =
    UpdatePolicy { small_segment_docs: 0, max_deleted_docs: u32::MAX, max_changed_items: usize::MAX };

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn an_updated_index_answers_as_a_fresh_one(
        edits in prop::collection::vec(edit(), 1..10),
        preview in any::<bool>(),
        on_disk in any::<bool>(),
        merge in any::<bool>(),
    ) {
        let audience = if preview { Audience::Preview } else { Audience::Public };
        let policy = if merge { UpdatePolicy::default() } else { NEVER_MERGE };
        check(&edits, audience, on_disk, policy)?;
    }
}

#[test]
fn an_edit_replaces_one_item_and_an_embargo_lifting_adds_one() {
    let content = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut site = Site::new();
    site.apply(&Edit::Embargo(3, 1, Embargo::Soon));
    site.write(content.path());
    let snapshot = load(content.path());
    let (index, _) = SearchIndex::build(&snapshot, Audience::Public, site.now, None).unwrap_or_else(|e| panic!("{e}"));
    let found = |index: &SearchIndex, q: &str| -> Vec<String> {
        index
            .search(&SearchRequest::new(q, locale("en")))
            .map(|r| r.hits.into_iter().map(|h| h.slug).collect())
            .unwrap_or_default()
    };
    // A new word in one page: one item replaced, found at once.
    site.apply(&Edit::Text(0, 0, vec![WORDS.iter().position(|w| *w == "garden").unwrap_or(0)]));
    site.write(content.path());
    let snapshot = load(content.path());
    let (index, refresh) = index.update(&snapshot, site.now).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(refresh, Refresh::Updated { changed: 1, removed: 0 });
    assert!(found(&index, "garden").contains(&"page-0".to_owned()));
    // Nothing changed on disk, but the embargo of story-1 lifts.
    assert!(!found(&index, WORDS[(3 * 3 + 2) % WORDS.len()]).contains(&"story-1".to_owned()));
    site.apply(&Edit::TimePasses);
    let (index, refresh) = index.update(&snapshot, site.now).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(refresh, Refresh::Updated { changed: 1, removed: 0 });
    assert!(found(&index, WORDS[(3 * 3 + 2) % WORDS.len()]).contains(&"story-1".to_owned()));
    // Back to draft: taken out.
    site.apply(&Edit::Publish(3, 1, false));
    site.write(content.path());
    let snapshot = load(content.path());
    let (index, refresh) = index.update(&snapshot, site.now).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(refresh, Refresh::Updated { changed: 0, removed: 1 });
    assert!(!found(&index, WORDS[(3 * 3 + 2) % WORDS.len()]).contains(&"story-1".to_owned()));
}

#[test]
fn an_update_on_disk_gets_its_own_cache_folder_and_leaves_the_old_one_valid() {
    let content = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let cache = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut site = Site::new();
    site.write(content.path());
    let old = load(content.path());
    let (index, _) =
        SearchIndex::build(&old, Audience::Public, site.now, Some(cache.path())).unwrap_or_else(|e| panic!("{e}"));
    let before = answers(&index);
    site.apply(&Edit::Delete(1, 0));
    site.apply(&Edit::Text(2, 1, vec![0, 5, 7]));
    site.write(content.path());
    let new = load(content.path());
    let (updated, refresh) = index.update(&new, site.now).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(refresh, Refresh::Updated { changed: 1, removed: 1 });
    // The old index still answers for the old content...
    assert_eq!(answers(&index), before);
    // ... and so does its cache folder, reopened, while the new content's
    // folder holds the update.
    let (reopened, cached) =
        SearchIndex::build(&old, Audience::Public, site.now, Some(cache.path())).unwrap_or_else(|e| panic!("{e}"));
    assert!(cached);
    assert_eq!(answers(&reopened), before);
    let (again, cached) =
        SearchIndex::build(&new, Audience::Public, site.now, Some(cache.path())).unwrap_or_else(|e| panic!("{e}"));
    assert!(cached);
    assert_eq!(answers(&again), answers(&updated));
    let folders = std::fs::read_dir(cache.path()).map(|d| d.count()).unwrap_or(0);
    assert_eq!(folders, 2, "one folder per content, no leftovers");
}

/// A server that reloads all day keeps only the newest index folders.
#[test]
fn the_cache_folder_keeps_only_the_newest_indexes() {
    let content = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let cache = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut site = Site::new();
    site.write(content.path());
    let (mut index, _) = SearchIndex::build(&load(content.path()), Audience::Public, site.now, Some(cache.path()))
        .unwrap_or_else(|e| panic!("{e}"));
    for round in 0..(tessera_search::CACHE_KEEP + 4) {
        site.apply(&Edit::Text(0, 0, vec![round % WORDS.len(), (round * 7) % WORDS.len()]));
        site.write(content.path());
        let snapshot = load(content.path());
        (index, _) = index.update(&snapshot, site.now).unwrap_or_else(|e| panic!("{e}"));
        // Folder times have a resolution; keep them apart.
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let folders = std::fs::read_dir(cache.path()).map(|d| d.count()).unwrap_or(0);
    assert_eq!(folders, tessera_search::CACHE_KEEP);
    // The newest is the one in use, and it still answers.
    let (again, cached) = SearchIndex::build(&load(content.path()), Audience::Public, site.now, Some(cache.path()))
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(cached);
    assert_eq!(answers(&again), answers(&index));
}

/// A restart reads the items' fingerprints saved in the cache folder (or,
/// when that file is damaged, makes them again), and updates from the
/// reopened index still answer as a fresh build.
#[test]
fn an_index_reopened_from_the_cache_updates_as_a_fresh_one_even_with_a_damaged_fingerprint_file() {
    for damage in [false, true] {
        let content = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let cache = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let mut site = Site::new();
        site.write(content.path());
        let old = load(content.path());
        drop(
            SearchIndex::build(&old, Audience::Public, site.now, Some(cache.path())).unwrap_or_else(|e| panic!("{e}")),
        );
        if damage {
            for folder in std::fs::read_dir(cache.path()).unwrap_or_else(|e| panic!("{e}")).filter_map(Result::ok) {
                let file = folder.path().join("tessera-items");
                let mut bytes = std::fs::read(&file).unwrap_or_else(|e| panic!("{e}"));
                if let Some(b) = bytes.get_mut(20) {
                    *b ^= 0xff;
                }
                std::fs::write(&file, bytes).unwrap_or_else(|e| panic!("{e}"));
            }
        }
        let (reopened, cached) =
            SearchIndex::build(&old, Audience::Public, site.now, Some(cache.path())).unwrap_or_else(|e| panic!("{e}"));
        assert!(cached);
        site.apply(&Edit::Text(0, 1, vec![8, 9]));
        // partner-1 has no translation: back to draft, it is gone.
        site.apply(&Edit::Publish(2, 1, false));
        site.write(content.path());
        let new = load(content.path());
        let (updated, refresh) = reopened.update(&new, site.now).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(refresh, Refresh::Updated { changed: 1, removed: 1 }, "damaged: {damage}");
        let (fresh, _) = SearchIndex::build(&new, Audience::Public, site.now, None).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(answers(&updated), answers(&fresh), "damaged: {damage}");
    }
}
