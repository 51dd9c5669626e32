//! Building, caching and querying the index.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use chrono::{DateTime, Utc};
use serde::Serialize;
use tantivy::merge_policy::NoMergePolicy;
use tantivy::query::{BooleanQuery, Occur, Query, TermQuery};
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions, Value,
};
use tantivy::{Index, IndexWriter, ReloadPolicy, TantivyDocument, Term};
pub use tessera_core::Audience;
use tessera_core::{
    Country, Document, Item, ItemId, Kind, Locale, Measure, Page, Partner, PartnerKind, Publishable, Snapshot, Story,
    View,
};
use xxhash_rust::xxh3::{Xxh3, xxh3_64};

use crate::analysis::Family;
use crate::facets;
use crate::live::Live;
use crate::query::{FamilyFields, QueryWord, query_words, title_query, words_query};
use crate::snippet::{self, Snippet};
use crate::top::{Gather, Ranked};

/// Changes whenever the index layout changes, so that old caches are not reused.
const LAYOUT: &str = "v5";
/// The longest query accepted, in characters.
pub const MAX_QUERY_CHARS: usize = 200;
/// The most results one search returns.
pub const MAX_LIMIT: usize = 100;
/// The fewest hits a search thread is given to make snippets for: fewer
/// and handing them over costs more than it saves.
const HITS_PER_SNIPPET_TASK: usize = 4;

/// Why a search could not run.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// Nothing to search for.
    #[error("type something to search for")]
    EmptyQuery,
    /// Too long to be a search.
    #[error("the query is too long: at most {max} characters")]
    QueryTooLong {
        /// The limit.
        max: usize,
    },
    /// The index itself failed.
    #[error("search index: {0}")]
    Index(#[from] tantivy::TantivyError),
    /// The on-disk cache could not be used.
    #[error("search index cache `{}`: {cause}", path.display())]
    Cache {
        /// The cache folder.
        path: PathBuf,
        /// What went wrong (said in the message, not again as its source).
        cause: std::io::Error,
    },
}

/// What to look for.
#[derive(Debug, Clone)]
pub struct SearchRequest {
    /// The user's words, as typed.
    pub query: String,
    /// The reader's locale: items are found in it or its fallback.
    pub locale: Locale,
    /// Only these kinds (all when empty).
    pub kinds: Vec<Kind>,
    /// Only items filed under one of these topics (all when empty).
    pub topics: Vec<String>,
    /// Only items about one of these countries (all when empty).
    pub countries: Vec<Country>,
    /// Only partners of one of these kinds (all when empty).
    pub partner_kinds: Vec<PartnerKind>,
    /// How many hits to return, at most [`MAX_LIMIT`].
    pub limit: usize,
    /// How many hits to skip.
    pub offset: usize,
}

impl SearchRequest {
    /// The first ten hits for `query` in `locale`, unfiltered.
    pub fn new(query: impl Into<String>, locale: Locale) -> SearchRequest {
        SearchRequest {
            query: query.into(),
            locale,
            kinds: Vec::new(),
            topics: Vec::new(),
            countries: Vec::new(),
            partner_kinds: Vec::new(),
            limit: 10,
            offset: 0,
        }
    }
}

/// One result.
#[derive(Debug, Clone, Serialize)]
pub struct Hit {
    /// The item's kind.
    pub kind: Kind,
    /// The item's slug.
    pub slug: String,
    /// The locale of the document found (may be a fallback).
    pub locale: String,
    /// The item's title (a partner's name).
    pub title: String,
    /// Relevance: higher is better.
    pub score: f32,
    /// The best matching passage, matches marked.
    pub snippet: Snippet,
}

/// A facet value and how many results have it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FacetCount {
    /// The value: a kind, topic slug, country code or partner kind.
    pub value: String,
    /// How many results have it.
    pub count: u64,
}

/// Counts of the results by kind, topic, country and partner kind.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Facets {
    /// By kind (`page`, `measure`, ...).
    pub kinds: Vec<FacetCount>,
    /// By topic slug.
    pub topics: Vec<FacetCount>,
    /// By country code.
    pub countries: Vec<FacetCount>,
    /// By partner kind (`trade-union`, ...).
    pub partner_kinds: Vec<FacetCount>,
}

/// The results of one search.
#[derive(Debug, Clone, Serialize)]
pub struct SearchResults {
    /// How many items match in all.
    pub total: usize,
    /// The requested page of hits, best first.
    pub hits: Vec<Hit>,
    /// Counts over all matching items.
    pub facets: Facets,
    /// "Did you mean": the query with the words the index does not know
    /// replaced by the closest ones it does (empty when every word is known).
    pub suggestions: Vec<String>,
}

/// When an updated index merges segments (see [`SearchIndex::update_with`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UpdatePolicy {
    /// Segments with fewer documents than this (the ones updates write)
    /// are merged into one whenever there are two or more of them.
    pub small_segment_docs: u32,
    /// A segment holding more deleted documents than this is merged, which
    /// drops them: until then every count skips them one by one.
    pub max_deleted_docs: u32,
    /// More changed items than this are re-indexed by a fresh build, which
    /// is then faster than replacing them one by one.
    pub max_changed_items: usize,
}

impl Default for UpdatePolicy {
    fn default() -> UpdatePolicy {
        UpdatePolicy { small_segment_docs: 4096, max_deleted_docs: 64, max_changed_items: 10_000 }
    }
}

/// How [`SearchIndex::update`] got the index it returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refresh {
    /// Built from scratch: the first index, or an update was not possible
    /// (other locales or topics, too many changes).
    Built,
    /// Opened from the on-disk cache of the same content.
    Cached,
    /// Only what changed was replaced.
    Updated {
        /// Items whose documents were (re)written: changed, new, or newly
        /// visible.
        changed: usize,
        /// Items taken out: deleted or no longer visible.
        removed: usize,
    },
}

#[derive(Clone)]
struct Fields {
    /// The item (kind and slug) as a number: what an update deletes by.
    item: Field,
    /// Breaks ties between equal scores the same way in every index of the
    /// same content, however its documents are split into segments.
    order: Field,
    kind: Field,
    slug: Field,
    locale: Field,
    visible_in: Field,
    title: Field,
    text: Field,
    /// `kind/page`, `topic/health`, ...: what filters match.
    tags: Field,
    /// The facet numbers counted ([`crate::facets`]).
    facet: Field,
    /// Every searchable word unstemmed, in every language: where a typo of
    /// a stemmed word ("disabilites") is matched against the word as
    /// written ("disabilities"), and where suggestions come from.
    words: Field,
    families: BTreeMap<Family, FamilyFields>,
}

const ORDER: &str = "order";
/// How many times a word of the summary counts in its family's text field.
const SUMMARY_WEIGHT: usize = 2;
const FACET: &str = "facet";

/// Item key → fingerprint of everything its index documents are made of.
type Items = HashMap<u64, u64>;

/// A search index for one audience over one snapshot; cheap to query from
/// many threads at once.
///
/// Besides the tantivy index it remembers a fingerprint of every item it
/// holds (16 bytes an item), so that [`SearchIndex::update`] can replace
/// just the items that changed.
pub struct SearchIndex {
    index: Index,
    live: Live,
    fields: Fields,
    audience: Audience,
    version: u64,
    epoch: usize,
    /// What every document's numbering depends on (families, topics).
    shape: u64,
    /// The topic slugs facet numbers stand for, in `topics.toml` order.
    topics: Vec<String>,
    items: Items,
    /// Whether every item got its own key (no hash collision), which
    /// updates rely on.
    unique: bool,
    /// The cache root and this index's folder in it, when on disk.
    cache: Option<(PathBuf, PathBuf)>,
    /// Set once an in-memory index has been updated in place: its own
    /// searches still see its generation, but it cannot be updated again.
    superseded: AtomicBool,
    /// How many searches are running on this index now.
    searching: AtomicUsize,
    /// How many threads search segments (and share snippets).
    search_threads: usize,
}

/// One running search, counted in [`SearchIndex::searching`] while it lives.
struct Searching<'i>(&'i AtomicUsize);

impl<'i> Searching<'i> {
    /// Counts a search in; also whether it is the only one running.
    fn enter(count: &'i AtomicUsize) -> (Searching<'i>, bool) {
        let before = count.fetch_add(1, Ordering::AcqRel);
        (Searching(count), before == 0)
    }
}

impl Drop for Searching<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// What the index needs from each kind of item.
trait Indexable: Item + Publishable {
    fn summary(&self) -> Option<&str> {
        None
    }
    /// Text outside the body worth finding (quotes, examples).
    fn extra_text(&self) -> String {
        String::new()
    }
    fn partner_kind(&self) -> Option<PartnerKind> {
        None
    }
    /// The media the item shows (a page's hero, a story's media): their
    /// alt text, caption and credit are found with the item.
    fn media(&self) -> Vec<&str> {
        Vec::new()
    }
}
impl Indexable for Page {
    fn summary(&self) -> Option<&str> {
        self.summary.as_deref()
    }
    fn media(&self) -> Vec<&str> {
        self.hero.iter().map(|h| h.media.slug()).collect()
    }
    fn extra_text(&self) -> String {
        self.quotes.iter().map(|q| format!("{} {}", q.text, q.source)).collect::<Vec<_>>().join("\n")
    }
}
impl Indexable for Measure {
    fn extra_text(&self) -> String {
        // The example is Markdown: its words are searched, never its link
        // addresses, which may name items the reader may not see.
        let mut text = self.example.as_deref().map(|e| tessera_core::Body::parse(e).plain_text()).unwrap_or_default();
        for kind in &self.partner_kinds {
            text.push('\n');
            text.push_str(kind.label());
        }
        text
    }
}
impl Indexable for Partner {
    fn extra_text(&self) -> String {
        let mut text = self.kind.label().to_owned();
        if let Some(website) = &self.website {
            text.push(' ');
            text.push_str(website);
        }
        text
    }
    fn partner_kind(&self) -> Option<PartnerKind> {
        Some(self.kind)
    }
}
impl Indexable for Story {
    fn summary(&self) -> Option<&str> {
        self.summary.as_deref()
    }
    fn media(&self) -> Vec<&str> {
        self.media.iter().map(|m| m.slug()).collect()
    }
}

fn families_of(snapshot: &Snapshot) -> BTreeSet<Family> {
    snapshot.locales().iter().map(Family::of).collect()
}

fn schema_for(families: &BTreeSet<Family>) -> (Schema, Fields) {
    let mut b = Schema::builder();
    let item = b.add_u64_field("item", INDEXED);
    let order = b.add_u64_field(ORDER, FAST);
    let kind = b.add_text_field("kind", STRING | STORED);
    let slug = b.add_text_field("slug", STRING | STORED);
    let locale = b.add_text_field("locale", STRING | STORED);
    let visible_in = b.add_text_field("visible_in", STRING);
    let title = b.add_text_field("title", STORED);
    let text = b.add_text_field("text", STORED);
    let tags = b.add_text_field("tags", STRING);
    let facet = b.add_u64_field(FACET, FAST);
    let words = b.add_text_field(
        "words",
        TextOptions::default().set_indexing_options(
            TextFieldIndexing::default().set_tokenizer(WORDS).set_index_option(IndexRecordOption::Basic),
        ),
    );
    let mut by_family = BTreeMap::new();
    for family in families {
        let options = TextOptions::default().set_indexing_options(
            TextFieldIndexing::default().set_tokenizer(family.name()).set_index_option(IndexRecordOption::WithFreqs),
        );
        let name = family.name();
        by_family.insert(
            *family,
            FamilyFields {
                text: b.add_text_field(&format!("text_{name}"), options.clone()),
                title: b.add_text_field(&format!("title_{name}"), options),
            },
        );
    }
    let fields =
        Fields { item, order, kind, slug, locale, visible_in, title, text, tags, facet, words, families: by_family };
    (b.build(), fields)
}

/// The tokenizer of the unstemmed `words` field.
const WORDS: &str = "words";

fn register_tokenizers(index: &Index, families: &BTreeSet<Family>) {
    for family in families {
        index.tokenizers().register(family.name(), family.analyzer());
    }
    index.tokenizers().register(WORDS, Family::Plain.analyzer());
}

/// What an index of one snapshot for one audience at one instant is made of.
#[derive(Clone)]
struct Plan {
    families: BTreeSet<Family>,
    topics: Vec<String>,
    shape: u64,
    epoch: usize,
    /// The name of its cache folder.
    key: String,
}

impl Plan {
    fn new(snapshot: &Snapshot, audience: Audience, now: DateTime<Utc>) -> Plan {
        let families = families_of(snapshot);
        let topics: Vec<String> = snapshot.topics().iter().map(|t| t.slug.clone()).collect();
        let mut shape = Xxh3::new();
        shape.update(LAYOUT.as_bytes());
        for family in &families {
            shape.update(family.name().as_bytes());
            shape.update(&[0]);
        }
        shape.update(&[1]);
        for topic in &topics {
            shape.update(topic.as_bytes());
            shape.update(&[0]);
        }
        let epoch = snapshot.visibility_epoch(now);
        let audience_name = match audience {
            Audience::Public => "public",
            Audience::Preview => "preview",
        };
        let key = format!("{LAYOUT}-{:016x}-{epoch}-{audience_name}", snapshot.version());
        Plan { families, topics, shape: shape.digest(), epoch, key }
    }
}

impl SearchIndex {
    /// Builds the index of what `audience` may see at `now`, in memory, or
    /// reuses the one cached in `cache_dir` for the same content (returning
    /// `true` as the second value when it did).
    pub fn build(
        snapshot: &Snapshot,
        audience: Audience,
        now: DateTime<Utc>,
        cache_dir: Option<&Path>,
    ) -> Result<(SearchIndex, bool), SearchError> {
        let plan = Plan::new(snapshot, audience, now);
        let (index, refresh) = SearchIndex::build_plan(plan, snapshot, audience, now, cache_dir)?;
        Ok((index, refresh == Refresh::Cached))
    }

    fn build_plan(
        plan: Plan,
        snapshot: &Snapshot,
        audience: Audience,
        now: DateTime<Utc>,
        cache_dir: Option<&Path>,
    ) -> Result<(SearchIndex, Refresh), SearchError> {
        let (schema, fields) = schema_for(&plan.families);
        let view = snapshot.view(audience, now);
        let Some(cache_dir) = cache_dir else {
            let index = Index::create_in_ram(schema);
            register_tokenizers(&index, &plan.families);
            let (items, unique) = fill(&index, &fields, &plan, view)?;
            let open = SearchIndex::open(index, fields, plan, snapshot, audience, items, unique, None)?;
            return Ok((open, Refresh::Built));
        };
        let cache_error = |cause| SearchError::Cache { path: cache_dir.to_owned(), cause };
        let key = cache_dir.join(&plan.key);
        if key.join("meta.json").is_file() {
            // Every file of the index is checked against its checksum before
            // it is read: a damaged file could otherwise stop a search.
            if let Ok(index) = Index::open_in_dir(&key)
                && index.schema() == schema
                && footers_fit(&key)
                && index.validate_checksum().is_ok_and(|damaged| damaged.is_empty())
            {
                // The fingerprints saved beside the index, or (an older
                // cache, a damaged file) made again from the snapshot.
                let (items, unique) = match load_items(&key) {
                    Some(saved) => saved,
                    None => fingerprints(&fields, &plan, view)?,
                };
                let cache = Some((cache_dir.to_owned(), key.clone()));
                let opened =
                    SearchIndex::open(index, fields.clone(), plan.clone(), snapshot, audience, items, unique, cache);
                if let Ok(open) = opened {
                    return Ok((open, Refresh::Cached));
                }
            }
        }
        // Unreadable (a damaged or truncated file, no `meta.json`: half
        // removed), made with other fields, or not a folder: never trusted,
        // the index is built again in its place.
        if let Ok(there) = std::fs::symlink_metadata(&key) {
            let removed = if there.is_dir() { std::fs::remove_dir_all(&key) } else { std::fs::remove_file(&key) };
            removed.map_err(cache_error)?;
        }
        std::fs::create_dir_all(cache_dir).map_err(cache_error)?;
        // Build beside the final place, then rename: a crash never leaves a
        // half-built index where a later start would trust it.
        let tmp = tempfile_dir(cache_dir).map_err(cache_error)?;
        let index = Index::create_in_dir(&tmp, schema)?;
        register_tokenizers(&index, &plan.families);
        let (items, unique) = fill(&index, &fields, &plan, view)?;
        drop(index);
        // Only saves time on a restart: without the file the fingerprints
        // are made from the snapshot.
        let _ = save_items(&tmp, &items, unique);
        let index = settle(&tmp, &key).map_err(cache_error)?;
        prune(cache_dir, &key);
        let cache = Some((cache_dir.to_owned(), key));
        Ok((SearchIndex::open(index, fields, plan, snapshot, audience, items, unique, cache)?, Refresh::Built))
    }

    #[allow(clippy::too_many_arguments)]
    fn open(
        mut index: Index,
        fields: Fields,
        plan: Plan,
        snapshot: &Snapshot,
        audience: Audience,
        items: Items,
        unique: bool,
        cache: Option<(PathBuf, PathBuf)>,
    ) -> Result<SearchIndex, SearchError> {
        register_tokenizers(&index, &plan.families);
        // Segments are searched in parallel: a query that matches most of a
        // large corpus answers sooner on every core.
        index.set_default_multithread_executor()?;
        let search_threads = match index.search_executor() {
            tantivy::Executor::SingleThread => 1,
            tantivy::Executor::ThreadPool(pool) => pool.current_num_threads(),
        };
        let reader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into()?;
        Ok(SearchIndex {
            index,
            live: Live::new(
                reader.searcher(),
                ORDER,
                FACET,
                facets::facet_numbers(plan.topics.len()),
                fields.visible_in,
            )?,
            fields,
            audience,
            version: snapshot.version(),
            epoch: plan.epoch,
            shape: plan.shape,
            topics: plan.topics,
            items,
            unique,
            cache,
            superseded: AtomicBool::new(false),
            searching: AtomicUsize::new(0),
            search_threads,
        })
    }

    /// The index of `snapshot` at `now` for the same audience, made from
    /// this one by replacing only the items that changed, as
    /// [`SearchIndex::update_with`] with the default policy.
    pub fn update(&self, snapshot: &Snapshot, now: DateTime<Utc>) -> Result<(SearchIndex, Refresh), SearchError> {
        self.update_with(snapshot, now, UpdatePolicy::default())
    }

    /// The index of `snapshot` at `now` for the same audience, made from
    /// this one: an item whose documents would come out different (its
    /// text, a translation, its state, an embargo lifting, the media it
    /// shows) is deleted by its key and added again, an item gone or hidden
    /// is deleted, then the change is committed and a new reader opened.
    /// It answers every query exactly as a fresh build would: ranking and
    /// suggestions count live documents only, and ties are broken by the
    /// item, not by where its document sits. When the locales or topics
    /// changed, or too much did, it is built afresh instead.
    ///
    /// This index stays valid for its own snapshot meanwhile. On disk, the
    /// cache folder of an index is named by the content version, visibility
    /// epoch and audience it answers for, and never changes once named: the
    /// update links this index's files (tantivy never rewrites a file it
    /// wrote) into a new folder, updates it there, and renames it to the
    /// new content's name, so a folder is never trusted for other content
    /// and the old one still serves a revert. In memory the update is made
    /// in place: this index keeps reading its own generation, and is marked
    /// so that it is never updated a second time.
    pub fn update_with(
        &self,
        snapshot: &Snapshot,
        now: DateTime<Utc>,
        policy: UpdatePolicy,
    ) -> Result<(SearchIndex, Refresh), SearchError> {
        let plan = Plan::new(snapshot, self.audience, now);
        let cache_root = self.cache.as_ref().map(|(root, _)| root.clone());
        if plan.shape != self.shape || !self.unique {
            return SearchIndex::build_plan(plan, snapshot, self.audience, now, cache_root.as_deref());
        }
        let view = snapshot.view(self.audience, now);
        let (schema, fields) = schema_for(&plan.families);
        // Patched from this index's snapshot, at the same epoch: only the
        // items whose files changed can have other documents, unless one
        // is a media item (the items that show it change with it).
        let only = snapshot
            .changed_since(self.version)
            .filter(|ids| plan.epoch == self.epoch && ids.iter().all(|id| id.kind != Kind::Media));
        match &self.cache {
            Some((root, dir)) => {
                let key = root.join(&plan.key);
                if key.join("meta.json").is_file() {
                    return SearchIndex::build_plan(plan, snapshot, self.audience, now, Some(root));
                }
                let cache_error = |cause| SearchError::Cache { path: root.clone(), cause };
                let tmp = tempfile_dir(root).map_err(cache_error)?;
                let applied = link_files(dir, &tmp).map_err(cache_error).and_then(|()| {
                    let index = Index::open_in_dir(&tmp)?;
                    if index.schema() != schema {
                        return Ok(None);
                    }
                    register_tokenizers(&index, &plan.families);
                    apply(&index, &fields, &plan, view, &self.items, only, policy)
                });
                let (items, unique, changed, removed) = match applied {
                    Ok(Some(done)) => done,
                    Ok(None) | Err(_) => {
                        // Not worth it, or the old files are gone: build.
                        let _ = std::fs::remove_dir_all(&tmp);
                        return SearchIndex::build_plan(plan, snapshot, self.audience, now, Some(root));
                    }
                };
                let _ = save_items(&tmp, &items, unique);
                let index = settle(&tmp, &key).map_err(cache_error)?;
                prune(root, &key);
                let cache = Some((root.clone(), key));
                let open = SearchIndex::open(index, fields, plan, snapshot, self.audience, items, unique, cache)?;
                Ok((open, Refresh::Updated { changed, removed }))
            }
            None => {
                if self.superseded.swap(true, Ordering::SeqCst) {
                    return SearchIndex::build_plan(plan, snapshot, self.audience, now, None);
                }
                let index = self.index.clone();
                match apply(&index, &fields, &plan, view, &self.items, only, policy)? {
                    Some((items, unique, changed, removed)) => {
                        let open =
                            SearchIndex::open(index, fields, plan, snapshot, self.audience, items, unique, None)?;
                        Ok((open, Refresh::Updated { changed, removed }))
                    }
                    None => SearchIndex::build_plan(plan, snapshot, self.audience, now, None),
                }
            }
        }
    }

    /// Who this index is for.
    pub fn audience(&self) -> Audience {
        self.audience
    }

    /// Whether the index still matches `snapshot` at `now` (same content,
    /// same embargoes lifted).
    pub fn is_current(&self, snapshot: &Snapshot, now: DateTime<Utc>) -> bool {
        self.version == snapshot.version() && self.epoch == snapshot.visibility_epoch(now)
    }

    /// How many documents the index holds.
    pub fn len(&self) -> u64 {
        self.live.searcher.num_docs()
    }

    /// Whether the index holds no document.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many segments the index is split into.
    pub fn segments(&self) -> usize {
        self.live.searcher.segment_readers().len()
    }

    /// How many replaced documents the segments still hold (merges drop them).
    pub fn deleted(&self) -> usize {
        self.live.deleted()
    }

    /// Runs a search.
    pub fn search(&self, request: &SearchRequest) -> Result<SearchResults, SearchError> {
        let text = request.query.trim();
        if text.is_empty() {
            return Err(SearchError::EmptyQuery);
        }
        if text.chars().count() > MAX_QUERY_CHARS {
            return Err(SearchError::QueryTooLong { max: MAX_QUERY_CHARS });
        }
        let limit = request.limit.clamp(1, MAX_LIMIT);
        let (_searching, alone) = Searching::enter(&self.searching);
        let live = &self.live;
        let searcher = &live.searcher;
        let known_plain = |word: &str| live.knows(&Term::from_field_text(self.fields.words, word));
        let plain = query_words(&mut Family::Plain.analyzer(), text, true);
        let mut words_by_family = BTreeMap::new();
        for (family, f) in &self.fields.families {
            let mut analyzer = family.analyzer();
            let mut words = query_words(&mut analyzer, text, true);
            // Pair each word with its unstemmed form where the family splits
            // words as the plain analyser does.
            if *family != Family::Cjk && words.len() == plain.len() {
                for (w, p) in words.iter_mut().zip(&plain) {
                    let distance = if known_plain(&p.term) { 0 } else { p.distance };
                    w.plain = Some((p.term.clone(), distance));
                }
            }
            // A word the index knows is taken as meant: looking for typos of
            // it would only cost time and add noise.
            for w in &mut words {
                if live.knows(&Term::from_field_text(f.text, &w.term)) {
                    w.distance = 0;
                }
            }
            words_by_family.insert(*family, words);
        }
        if words_by_family.values().all(Vec::is_empty) {
            return Err(SearchError::EmptyQuery);
        }
        let attempt = |all_words: bool| -> Result<_, SearchError> {
            let (query, titles) = self.full_query(request, &words_by_family, all_words);
            let scoring = tantivy::query::EnableScoring::enabled_from_statistics_provider(live, searcher);
            let titles = titles.map(|t| t.weight(scoring)).transpose()?;
            let gather = Gather {
                columns: &live.columns,
                locale: request.locale.as_str(),
                titles: titles.as_deref(),
                facet_numbers: facets::facet_numbers(self.topics.len()),
                limit,
                offset: request.offset,
            };
            Ok(searcher.search_with_statistics_provider(&query, &gather, live)?)
        };
        let mut found = attempt(true)?;
        // Nothing has every word: show what has some of them.
        if found.1 == 0 && words_by_family.values().any(|w| w.len() > 1) {
            found = attempt(false)?;
        }
        let (top, total, facet_counts) = found;
        // Snippets are most of what a search costs after collecting. When
        // no other search is running the search threads are idle by then,
        // so the hits are shared between them, a few each, in order (each
        // part stems its own words). Under load each search makes its own:
        // sharing would cost the stemming twice and the handing over, and
        // the cores are busy anyway.
        let parts =
            if alone { top.len().div_ceil(HITS_PER_SNIPPET_TASK).clamp(1, self.search_threads.max(1)) } else { 1 };
        let hits = if parts == 1 {
            self.hits(searcher, &top, &words_by_family)?
        } else {
            let chunks = top.chunks(top.len().div_ceil(parts));
            let made = searcher
                .index()
                .search_executor()
                .map(|chunk| Ok(self.hits(searcher, chunk, &words_by_family)), chunks)?;
            let mut hits = Vec::with_capacity(top.len());
            for part in made {
                hits.extend(part?);
            }
            hits
        };
        let mut facets = Facets::default();
        for (n, count) in facet_counts.into_iter().enumerate() {
            if count == 0 {
                continue;
            }
            let (list, value) = match facets::value_of(n as u64, &self.topics) {
                Some(facets::Value::Kind(k)) => (&mut facets.kinds, k.name().to_owned()),
                Some(facets::Value::PartnerKind(k)) => (&mut facets.partner_kinds, k.as_str().to_owned()),
                Some(facets::Value::Country(c)) => (&mut facets.countries, c),
                Some(facets::Value::Topic(t)) => (&mut facets.topics, t.to_owned()),
                None => continue,
            };
            list.push(FacetCount { value, count });
        }
        for list in [&mut facets.kinds, &mut facets.topics, &mut facets.countries, &mut facets.partner_kinds] {
            list.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
        }
        let suggestions = self.suggest(&plain)?.into_iter().collect();
        // A limit of 0 asks for the count, facets and suggestions alone
        // (the collector itself needs room for one).
        let mut hits = hits;
        hits.truncate(request.limit);
        Ok(SearchResults { total, hits, facets, suggestions })
    }

    /// The hits for `ranked`, in order, each with its snippet.
    fn hits(
        &self,
        searcher: &tantivy::Searcher,
        ranked: &[Ranked],
        words_by_family: &BTreeMap<Family, Vec<QueryWord>>,
    ) -> Result<Vec<Hit>, SearchError> {
        let mut hits = Vec::with_capacity(ranked.len());
        let mut matchers: BTreeMap<Family, snippet::Matcher<'_>> = BTreeMap::new();
        for Ranked { score, address, .. } in ranked {
            let doc: TantivyDocument = searcher.doc(*address)?;
            let get = |field| doc.get_first(field).and_then(|v| v.as_str()).unwrap_or("").to_owned();
            let locale = get(self.fields.locale);
            let family = Locale::parse(&locale).map(|l| Family::of(&l)).unwrap_or(Family::Plain);
            let matcher = matchers.entry(family).or_insert_with(|| {
                snippet::Matcher::new(family, words_by_family.get(&family).map(Vec::as_slice).unwrap_or(&[]))
            });
            let text = doc.get_first(self.fields.text).and_then(|v| v.as_str()).unwrap_or("");
            let snippet = snippet::make(matcher, text);
            // The index holds only the names it was given; anything else is
            // a stale or foreign index, and its hit is skipped, not guessed.
            let Ok(kind) = get(self.fields.kind).parse::<Kind>() else { continue };
            hits.push(Hit {
                kind,
                slug: get(self.fields.slug),
                locale,
                title: get(self.fields.title),
                score: *score,
                snippet,
            });
        }
        Ok(hits)
    }

    /// "Did you mean": the query with each word the index does not know
    /// replaced by the closest word it does (sharing the first letter,
    /// within the edits the word's length allows, the most common first),
    /// or `None` when every word is known or nothing is close.
    fn suggest(&self, plain: &[crate::query::QueryWord]) -> Result<Option<String>, SearchError> {
        let live = &self.live;
        let segments = live.searcher.segment_readers();
        let mut changed = false;
        let mut out = Vec::with_capacity(plain.len());
        for w in plain {
            let term = w.term.as_str();
            let Some(first) = term.chars().next() else { continue };
            // Known as typed, or (the last word) as the start of a known
            // word: nothing to suggest, and no need to walk the terms.
            let mut known = live.knows(&Term::from_field_text(self.fields.words, term));
            if !known && w.prefix {
                for (i, segment) in segments.iter().enumerate() {
                    let inverted = segment.inverted_index(self.fields.words)?;
                    let mut stream = inverted
                        .terms()
                        .range()
                        .ge(term.as_bytes())
                        .into_stream()
                        .map_err(tantivy::TantivyError::from)?;
                    while !known && stream.advance() && stream.key().starts_with(term.as_bytes()) {
                        known = live.segment_doc_freq(i, &inverted, stream.value())? > 0;
                    }
                }
            }
            if known {
                out.push(term.to_owned());
                continue;
            }
            // Unknown: the closest word sharing its first letter, counted
            // over every segment.
            let mut close: BTreeMap<String, (usize, u64)> = BTreeMap::new();
            let length = term.chars().count();
            let allowed = usize::from(w.distance.max(1));
            // Only the words the automaton can still reach within the
            // edits allowed are visited, not every word with that letter.
            let Some(within) = crate::query::Within::new(term, allowed) else {
                out.push(term.to_owned());
                continue;
            };
            for (i, segment) in segments.iter().enumerate() {
                let inverted = segment.inverted_index(self.fields.words)?;
                let mut stream = inverted
                    .terms()
                    .search(&within)
                    .ge(first.to_string().as_bytes())
                    .into_stream()
                    .map_err(tantivy::TantivyError::from)?;
                while stream.advance() {
                    let Ok(candidate) = std::str::from_utf8(stream.key()) else { continue };
                    if !candidate.starts_with(first) {
                        break;
                    }
                    // Words whose lengths differ by more than the edits
                    // allowed cannot be close: skip them before measuring.
                    if candidate.chars().count().abs_diff(length) > allowed {
                        continue;
                    }
                    let distance = crate::query::edit_distance(candidate, term);
                    if distance == 0 || distance > allowed {
                        continue;
                    }
                    let freq = live.segment_doc_freq(i, &inverted, stream.value())?;
                    if freq > 0 {
                        close.entry(candidate.to_owned()).or_insert((distance, 0)).1 += freq;
                    }
                }
            }
            let best = close
                .into_iter()
                .min_by(|(a, (da, fa)), (b, (db, fb))| da.cmp(db).then(fb.cmp(fa)).then_with(|| a.cmp(b)));
            match best {
                Some((word, _)) => {
                    changed = true;
                    out.push(word);
                }
                None => out.push(term.to_owned()),
            }
        }
        Ok(changed.then(|| out.join(" ")))
    }

    fn full_query(
        &self,
        request: &SearchRequest,
        words_by_family: &BTreeMap<Family, Vec<crate::query::QueryWord>>,
        all_words: bool,
    ) -> (BooleanQuery, Option<Box<dyn Query>>) {
        // Families that paired their words with the plain ones are searched
        // word by word together; the others (n-grams) each on their own.
        let mut together = Vec::new();
        let mut apart = Vec::new();
        for (family, &fields) in &self.fields.families {
            let Some(words) = words_by_family.get(family) else { continue };
            if !words.is_empty() && words.iter().all(|w| w.plain.is_some()) {
                together.push((words.as_slice(), fields));
            } else {
                apart.push([(words.as_slice(), fields)]);
            }
        }
        let text: Vec<(Occur, Box<dyn Query>)> = std::iter::once(together.as_slice())
            .chain(apart.iter().map(|one| one.as_slice()))
            .filter_map(|families| words_query(families, self.fields.words, all_words))
            .map(|q| (Occur::Should, q))
            .collect();
        let all: Vec<_> = together.iter().chain(apart.iter().flatten()).copied().collect();
        let titles = title_query(&all);
        let term = |field, value: &str| -> Box<dyn Query> {
            Box::new(TermQuery::new(Term::from_field_text(field, value), IndexRecordOption::Basic))
        };
        let any_of = |tags: Vec<String>| -> Box<dyn Query> {
            Box::new(BooleanQuery::new(tags.into_iter().map(|t| (Occur::Should, term(self.fields.tags, &t))).collect()))
        };
        // Which items the locale sees is decided by the collector
        // ([`Gather`]), from sets read once per generation of the index.
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, Box::new(BooleanQuery::new(text)))];
        if !request.kinds.is_empty() {
            clauses.push((Occur::Must, any_of(request.kinds.iter().map(|k| kind_tag(*k)).collect())));
        }
        if !request.topics.is_empty() {
            clauses.push((Occur::Must, any_of(request.topics.iter().map(|t| topic_tag(t)).collect())));
        }
        if !request.countries.is_empty() {
            clauses.push((Occur::Must, any_of(request.countries.iter().map(|c| country_tag(*c)).collect())));
        }
        if !request.partner_kinds.is_empty() {
            clauses.push((Occur::Must, any_of(request.partner_kinds.iter().map(|k| partner_kind_tag(*k)).collect())));
        }
        (BooleanQuery::new(clauses), titles)
    }
}

fn kind_tag(kind: Kind) -> String {
    format!("kind/{}", kind.name())
}
fn topic_tag(topic: &str) -> String {
    format!("topic/{topic}")
}
fn country_tag(country: Country) -> String {
    format!("country/{country}")
}
fn partner_kind_tag(kind: PartnerKind) -> String {
    format!("partner-kind/{}", kind.as_str())
}

/// Whether every segment file in `dir` is long enough to hold the footer
/// tantivy reads its checksum from: tantivy panics on a file of 4 to 7
/// bytes instead of refusing it.
fn footers_fit(dir: &Path) -> bool {
    const SEGMENT_FILES: [&str; 7] = ["idx", "term", "pos", "store", "fast", "fieldnorm", "del"];
    let Ok(entries) = std::fs::read_dir(dir) else { return false };
    entries.filter_map(Result::ok).all(|entry| {
        let path = entry.path();
        let segment_file = path.extension().and_then(|e| e.to_str()).is_some_and(|e| SEGMENT_FILES.contains(&e));
        !segment_file || entry.metadata().is_ok_and(|m| m.len() >= 8)
    })
}

/// A fresh folder inside `parent` for building an index.
fn tempfile_dir(parent: &Path) -> std::io::Result<PathBuf> {
    for attempt in 0..100u32 {
        let dir = parent.join(format!(".building-{}-{attempt}", std::process::id()));
        match std::fs::create_dir(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(std::io::Error::other("cannot create a build folder"))
}

/// Moves a finished index from `tmp` to its cache folder `key` and opens it.
fn settle(tmp: &Path, key: &Path) -> std::io::Result<Index> {
    if let Err(e) = std::fs::rename(tmp, key) {
        // Another process may have finished the same index first.
        let _ = std::fs::remove_dir_all(tmp);
        if !key.join("meta.json").is_file() {
            return Err(e);
        }
    }
    Index::open_in_dir(key).map_err(|e| std::io::Error::other(e.to_string()))
}

/// How many index folders a cache folder keeps: the newest ones, so that
/// an edit undone or an embargo epoch come back finds its index, and a
/// server that reloads all day does not fill the disk.
pub const CACHE_KEEP: usize = 8;

/// Removes all but the [`CACHE_KEEP`] newest index folders of `cache_dir`
/// (by modification time), never `current` nor a folder being built.
/// Best effort: an index still open elsewhere keeps reading its files (they
/// stay until closed), and what cannot be removed is tried again next time.
fn prune(cache_dir: &Path, current: &Path) {
    let Ok(entries) = std::fs::read_dir(cache_dir) else { return };
    let mut folders: Vec<(std::time::SystemTime, PathBuf)> = entries
        .filter_map(Result::ok)
        .filter(|e| !e.file_name().to_string_lossy().starts_with('.') && e.path() != current)
        .filter(|e| e.path().join("meta.json").is_file())
        .filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path())))
        .collect();
    folders.sort_by_key(|f| std::cmp::Reverse(f.0));
    for (_, old) in folders.into_iter().skip(CACHE_KEEP.saturating_sub(1)) {
        let _ = std::fs::remove_dir_all(old);
    }
}

/// Puts the files of the index in `from` into the empty folder `to`: the
/// segment files as hard links (tantivy writes each once and never changes
/// it), its two small lists of files as copies (tantivy replaces them), no
/// lock.
fn link_files(from: &Path, to: &Path) -> std::io::Result<()> {
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        if !entry.file_type()?.is_file() {
            continue;
        }
        let name = entry.file_name();
        let text = name.to_string_lossy();
        // The fingerprints are written anew, never through a link.
        if text.ends_with(".lock") || text == ITEMS_FILE {
            continue;
        }
        if text.ends_with(".json") {
            std::fs::copy(entry.path(), to.join(&name))?;
        } else {
            std::fs::hard_link(entry.path(), to.join(&name))?;
        }
    }
    Ok(())
}

/// The file in an index folder that keeps its items' fingerprints, so that
/// a restart need not walk the snapshot to make them: written before the
/// folder gets its name, so it always belongs to the folder's content.
const ITEMS_FILE: &str = "tessera-items";
const ITEMS_MAGIC: &[u8; 4] = b"TSI1";

/// Writes `items` into `dir` as [`ITEMS_FILE`]: magic, whether the keys are
/// unique, the count, the pairs, and a checksum of all that.
fn save_items(dir: &Path, items: &Items, unique: bool) -> std::io::Result<()> {
    let mut bytes = Vec::with_capacity(13 + 16 * items.len() + 8);
    bytes.extend_from_slice(ITEMS_MAGIC);
    bytes.push(u8::from(unique));
    bytes.extend_from_slice(&(items.len() as u64).to_le_bytes());
    for (key, fingerprint) in items {
        bytes.extend_from_slice(&key.to_le_bytes());
        bytes.extend_from_slice(&fingerprint.to_le_bytes());
    }
    let sum = xxh3_64(&bytes);
    bytes.extend_from_slice(&sum.to_le_bytes());
    std::fs::write(dir.join(ITEMS_FILE), bytes)
}

/// The fingerprints [`save_items`] wrote into `dir`; `None` when the file
/// is missing or does not check out.
fn load_items(dir: &Path) -> Option<(Items, bool)> {
    let bytes = std::fs::read(dir.join(ITEMS_FILE)).ok()?;
    let (body, sum) = bytes.split_at_checked(bytes.len().checked_sub(8)?)?;
    if xxh3_64(body).to_le_bytes() != sum || body.get(..4)? != ITEMS_MAGIC {
        return None;
    }
    let unique = *body.get(4)? == 1;
    let count = u64::from_le_bytes(body.get(5..13)?.try_into().ok()?);
    let pairs = body.get(13..)?;
    if pairs.len() as u64 != count.checked_mul(16)? {
        return None;
    }
    let word = |b: &[u8]| b.try_into().ok().map(u64::from_le_bytes);
    let mut items = Items::with_capacity(pairs.len() / 16);
    for pair in pairs.chunks_exact(16) {
        items.insert(word(&pair[..8])?, word(&pair[8..])?);
    }
    Some((items, unique))
}

/// Where the documents of each item go.
trait Sink {
    /// Whether the documents of the item `key`, made of content with
    /// `fingerprint`, are to be written.
    fn wants(&mut self, key: u64, fingerprint: u64) -> bool;
    /// Writes one document.
    fn add(&mut self, doc: TantivyDocument) -> Result<(), SearchError>;
}

/// Records fingerprints and writes every document.
struct Fresh<'w> {
    writer: Option<&'w mut IndexWriter<TantivyDocument>>,
    items: Items,
    unique: bool,
}

impl Sink for Fresh<'_> {
    fn wants(&mut self, key: u64, fingerprint: u64) -> bool {
        self.unique &= self.items.insert(key, fingerprint).is_none();
        self.writer.is_some()
    }
    fn add(&mut self, doc: TantivyDocument) -> Result<(), SearchError> {
        if let Some(writer) = self.writer.as_deref_mut() {
            writer.add_document(doc)?;
        }
        Ok(())
    }
}

/// Writes the documents of the items whose fingerprints changed, deleting
/// their old ones first.
struct Changes<'a> {
    writer: &'a mut IndexWriter<TantivyDocument>,
    item: Field,
    old: &'a Items,
    items: Items,
    unique: bool,
    changed: usize,
    limit: usize,
}

impl Sink for Changes<'_> {
    fn wants(&mut self, key: u64, fingerprint: u64) -> bool {
        self.unique &= self.items.insert(key, fingerprint).is_none();
        let old = self.old.get(&key);
        if old == Some(&fingerprint) {
            return false;
        }
        self.changed += 1;
        if self.changed > self.limit {
            return false;
        }
        if old.is_some() {
            self.writer.delete_term(Term::from_field_u64(self.item, key));
        }
        true
    }
    fn add(&mut self, doc: TantivyDocument) -> Result<(), SearchError> {
        self.writer.add_document(doc)?;
        Ok(())
    }
}

/// Adds every document `view` can see; returns the items' fingerprints.
fn fill(index: &Index, fields: &Fields, plan: &Plan, view: View<'_>) -> Result<(Items, bool), SearchError> {
    let mut writer = index.writer::<TantivyDocument>(256 * 1024 * 1024)?;
    // The segments are merged once, at the end, for searching.
    writer.set_merge_policy(Box::new(NoMergePolicy));
    let mut sink = Fresh { writer: Some(&mut writer), items: Items::new(), unique: true };
    walk(fields, plan, view, None, &mut sink)?;
    let (items, unique) = (sink.items, sink.unique);
    writer.commit()?;
    merge_for_search(index, &mut writer)?;
    writer.wait_merging_threads()?;
    Ok((items, unique))
}

/// Merges the segments of a fresh build into one per search thread, of
/// about the same size. Indexing leaves segments of uneven sizes, as many as
/// its memory budget made; a search walks the term dictionary of every
/// segment for each prefix and typo, and the segments are searched in
/// parallel, so the search waits for the thread with the most documents.
/// Merging takes a couple of seconds on 100,000 items and changes no
/// result: ranking statistics count live documents whatever the segments,
/// and ties are broken by the item.
fn merge_for_search(index: &Index, writer: &mut IndexWriter<TantivyDocument>) -> Result<(), SearchError> {
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let metas = index.searchable_segment_metas()?;
    let sizes: Vec<u32> = metas.iter().map(|m| m.num_docs()).collect();
    for group in balanced_groups(&sizes, threads) {
        if group.len() > 1 {
            let ids: Vec<_> = group.iter().filter_map(|i| metas.get(*i)).map(|m| m.id()).collect();
            writer.merge(&ids).wait()?;
        }
    }
    // The merged segments' files are no longer listed; without this they
    // would stay in the folder, doubling the index on disk. tantivy keeps
    // the files of every segment whose description is still held, so the
    // descriptions go first.
    drop(metas);
    writer.garbage_collect_files().wait()?;
    Ok(())
}

/// Splits items of the given sizes into at most `groups` groups of about
/// the same total (the largest first, each to the smallest group so far);
/// returns the items' places, by group.
fn balanced_groups(sizes: &[u32], groups: usize) -> Vec<Vec<usize>> {
    let mut order: Vec<usize> = (0..sizes.len()).collect();
    order.sort_by_key(|i| std::cmp::Reverse(sizes[*i]));
    let mut out: Vec<(u64, Vec<usize>)> = vec![(0, Vec::new()); groups.clamp(1, sizes.len().max(1))];
    for i in order {
        if let Some(smallest) = out.iter_mut().min_by_key(|(total, _)| *total) {
            smallest.0 += u64::from(sizes[i]);
            smallest.1.push(i);
        }
    }
    out.into_iter().map(|(_, members)| members).filter(|m| !m.is_empty()).collect()
}

/// The fingerprints of the items `view` can see, writing nothing.
fn fingerprints(fields: &Fields, plan: &Plan, view: View<'_>) -> Result<(Items, bool), SearchError> {
    let mut sink = Fresh { writer: None, items: Items::new(), unique: true };
    walk(fields, plan, view, None, &mut sink)?;
    Ok((sink.items, sink.unique))
}

/// Replaces in `index` the items whose fingerprints differ from `old`,
/// deletes those gone, commits, and merges as `policy` says. `None` when
/// more changed than `policy` allows (nothing is committed then).
fn apply(
    index: &Index,
    fields: &Fields,
    plan: &Plan,
    view: View<'_>,
    old: &Items,
    only: Option<&[ItemId]>,
    policy: UpdatePolicy,
) -> Result<Option<(Items, bool, usize, usize)>, SearchError> {
    // One thread: an update writes few documents, and the server answers
    // searches meanwhile.
    let mut writer = index.writer_with_num_threads::<TantivyDocument>(1, 64 * 1024 * 1024)?;
    writer.set_merge_policy(Box::new(NoMergePolicy));
    // Told which items changed: the others keep their fingerprints and
    // documents, and only these are visited (one that is no longer
    // visited is deleted below).
    let items = match only {
        Some(ids) => {
            let mut items = old.clone();
            for id in ids {
                items.remove(&item_key(id.kind, &id.slug));
            }
            items
        }
        None => Items::new(),
    };
    let mut sink = Changes {
        writer: &mut writer,
        item: fields.item,
        old,
        items,
        unique: true,
        changed: 0,
        limit: policy.max_changed_items,
    };
    walk(fields, plan, view, only, &mut sink)?;
    let (items, unique, changed) = (sink.items, sink.unique, sink.changed);
    let mut removed = 0;
    for key in old.keys().filter(|k| !items.contains_key(k)) {
        writer.delete_term(Term::from_field_u64(fields.item, *key));
        removed += 1;
    }
    if changed + removed > policy.max_changed_items {
        writer.rollback()?;
        return Ok(None);
    }
    writer.commit()?;
    let metas = index.searchable_segment_metas()?;
    let heavy = |m: &tantivy::SegmentMeta| m.num_deleted_docs() > policy.max_deleted_docs;
    let mut merge: Vec<_> = metas.iter().filter(|m| heavy(m)).map(|m| m.id()).collect();
    let small: Vec<_> =
        metas.iter().filter(|m| !heavy(m) && m.max_doc() < policy.small_segment_docs).map(|m| m.id()).collect();
    if small.len() >= 2 {
        merge.extend(small);
    }
    if !merge.is_empty() {
        writer.merge(&merge).wait()?;
    }
    writer.wait_merging_threads()?;
    Ok(Some((items, unique, changed, removed)))
}

/// The key of an item: what its documents are deleted by.
fn item_key(kind: Kind, slug: &str) -> u64 {
    xxh3_64(format!("{}/{slug}", kind.name()).as_bytes())
}

/// Visits every item `view` can see, kind by kind; `only` these when
/// given.
fn walk(
    fields: &Fields,
    plan: &Plan,
    view: View<'_>,
    only: Option<&[ItemId]>,
    sink: &mut dyn Sink,
) -> Result<(), SearchError> {
    let snapshot = view.snapshot();
    let locales = snapshot.locales();
    let topics: HashMap<&str, usize> = plan.topics.iter().enumerate().map(|(i, t)| (t.as_str(), i)).collect();
    let context = Context { fields, topics: &topics };
    walk_kind::<Page>(&context, view, &locales, only, sink)?;
    walk_kind::<Measure>(&context, view, &locales, only, sink)?;
    walk_kind::<Partner>(&context, view, &locales, only, sink)?;
    walk_kind::<Story>(&context, view, &locales, only, sink)?;
    Ok(())
}

struct Context<'a> {
    fields: &'a Fields,
    /// Topic slug → its place in `topics.toml`.
    topics: &'a HashMap<&'a str, usize>,
}

fn walk_kind<T: Indexable>(
    context: &Context<'_>,
    view: View<'_>,
    locales: &[Locale],
    only: Option<&[ItemId]>,
    sink: &mut dyn Sink,
) -> Result<(), SearchError> {
    let snapshot = view.snapshot();
    let slugs: Box<dyn Iterator<Item = &str>> = match only {
        Some(ids) => Box::new(ids.iter().filter(|id| id.kind == T::KIND).map(|id| id.slug.as_str())),
        None => Box::new(snapshot.collection::<T>().slugs()),
    };
    for slug in slugs {
        // One index document per file, listing the locales that read it
        // (its own and those that fall back to it).
        let mut readers: Vec<(&Document<T>, Vec<&Locale>)> = Vec::new();
        for locale in locales {
            let Some(found) = view.get::<T>(slug, locale) else { continue };
            match readers.iter_mut().find(|(d, _)| std::ptr::eq(*d, found.doc)) {
                Some((_, ls)) => ls.push(locale),
                None => readers.push((found.doc, vec![locale])),
            }
        }
        if readers.is_empty() {
            continue;
        }
        // Everything the documents are made of: each file (its hash covers
        // its path and bytes), who reads it, and the media it shows as
        // this audience sees them.
        let mut fingerprint = Xxh3::new();
        let mut shown_media = Vec::with_capacity(readers.len());
        for (doc, visible_in) in &readers {
            fingerprint.update(&doc.hash.to_le_bytes());
            for l in visible_in {
                fingerprint.update(l.as_str().as_bytes());
                fingerprint.update(&[0]);
            }
            let media: Vec<_> = doc.meta.media().into_iter().filter_map(|m| view.media(m, &doc.locale)).collect();
            for m in &media {
                fingerprint.update(&m.hash.to_le_bytes());
            }
            fingerprint.update(&[1]);
            shown_media.push(media);
        }
        let key = item_key(T::KIND, slug);
        if !sink.wants(key, fingerprint.digest()) {
            continue;
        }
        for ((doc, visible_in), media) in readers.into_iter().zip(shown_media) {
            let mut shown = String::new();
            for media in media {
                let m = &media.meta;
                for text in [&m.alt, &m.caption, &m.credit].into_iter().flatten() {
                    shown.push_str(text);
                    shown.push('\n');
                }
            }
            if let Some(country) = doc.meta.country() {
                shown.push_str(country.name());
            }
            sink.add(document(context, key, doc, &visible_in, &shown))?;
        }
    }
    Ok(())
}

/// The index document of one file; `shown` is the text of what it shows
/// beside its own (media, the country's name).
fn document<T: Indexable>(
    context: &Context<'_>,
    key: u64,
    doc: &Document<T>,
    visible_in: &[&Locale],
    shown: &str,
) -> TantivyDocument {
    let fields = context.fields;
    let mut d = TantivyDocument::default();
    let meta = &doc.meta;
    d.add_u64(fields.item, key);
    // Ties go to pages, then measures, partners and stories, then in an
    // order fixed by the file.
    let rank = facets::kind_value(T::KIND).unwrap_or(3);
    let spread = xxh3_64(format!("{}/{}", doc.slug, doc.locale).as_bytes()) >> 4;
    d.add_u64(fields.order, ((3 - rank.min(3)) << 60) | spread);
    d.add_text(fields.kind, T::KIND.name());
    d.add_text(fields.slug, &doc.slug);
    d.add_text(fields.locale, doc.locale.as_str());
    for l in visible_in {
        d.add_text(fields.visible_in, l.as_str());
    }
    let title = Publishable::title(meta);
    d.add_text(fields.title, title);
    let body = doc.body.plain_text();
    let extra = meta.extra_text();
    let summary = meta.summary().unwrap_or("");
    // The stored text snippets come from: the summary (unless the body
    // repeats it), the body, then quotes or examples, on one line; only
    // its start, all a snippet can show.
    let summary_part = if body.starts_with(summary) { "" } else { summary };
    let text: Vec<&str> =
        [summary_part, body.as_str(), extra.as_str()].iter().flat_map(|part| part.split_whitespace()).collect();
    d.add_text(fields.text, snippet::stored(&text.join(" ")));
    if let Some(f) = fields.families.get(&Family::of(&doc.locale)) {
        // A word of the summary counts twice (a field weight of BM25F, in
        // one field and one length); the title is also on its own.
        d.add_text(f.title, title);
        d.add_text(f.text, title);
        for _ in 0..SUMMARY_WEIGHT {
            d.add_text(f.text, summary);
        }
        for part in [body.as_str(), extra.as_str(), shown] {
            d.add_text(f.text, part);
        }
    }
    for part in [title, summary, body.as_str(), extra.as_str(), shown] {
        d.add_text(fields.words, part);
    }
    let mut numbers = Vec::new();
    d.add_text(fields.tags, kind_tag(T::KIND));
    numbers.extend(facets::kind_value(T::KIND));
    for topic in meta.topics() {
        d.add_text(fields.tags, topic_tag(topic.slug()));
        numbers.extend(context.topics.get(topic.slug()).map(|i| facets::topic_value(*i)));
    }
    if let Some(country) = meta.country() {
        d.add_text(fields.tags, country_tag(country));
        numbers.extend(facets::country_value(country));
    }
    if let Some(kind) = meta.partner_kind() {
        d.add_text(fields.tags, partner_kind_tag(kind));
        numbers.extend(facets::partner_kind_value(kind));
    }
    // A value counts once per document, however often it is written.
    numbers.sort_unstable();
    numbers.dedup();
    for n in numbers {
        d.add_u64(fields.facet, n);
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merging_for_search_leaves_only_the_merged_segments_files() -> Result<(), SearchError> {
        let dir = tempfile::tempdir().map_err(|cause| SearchError::Cache { path: PathBuf::new(), cause })?;
        let mut schema = Schema::builder();
        let field = schema.add_text_field("text", STRING | STORED);
        let index = Index::create_in_dir(dir.path(), schema.build())?;
        let mut writer = index.writer_with_num_threads::<TantivyDocument>(1, 15_000_000)?;
        writer.set_merge_policy(Box::new(NoMergePolicy));
        for word in ["river", "school", "health", "water"] {
            let mut doc = TantivyDocument::default();
            doc.add_text(field, word);
            writer.add_document(doc)?;
            writer.commit()?;
        }
        merge_for_search(&index, &mut writer)?;
        writer.wait_merging_threads()?;
        let segments: BTreeSet<String> =
            index.searchable_segment_metas()?.iter().map(|m| m.id().uuid_string()).collect();
        let threads = std::thread::available_parallelism().map_or(1, usize::from);
        assert_eq!(segments.len(), threads.min(4));
        let on_disk: BTreeSet<String> = std::fs::read_dir(dir.path())
            .map_err(|cause| SearchError::Cache { path: dir.path().to_owned(), cause })?
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter_map(|name| Some(name.split_once('.')?.0.to_owned()))
            .filter(|stem| stem.len() == 32 && stem.bytes().all(|b| b.is_ascii_hexdigit()))
            .collect();
        assert_eq!(on_disk, segments);
        Ok(())
    }

    #[test]
    fn hits_made_on_the_search_threads_equal_hits_made_in_turn() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let write = |rel: &str, text: &str| -> std::io::Result<()> {
            let path = dir.path().join(rel);
            std::fs::create_dir_all(path.parent().unwrap_or(dir.path()))?;
            std::fs::write(&path, text)
        };
        write(
            "site.toml",
            "title = \"Wells\"\nbase_url = \"https://wells.invalid/\"\ndefault_locale = \"en\"\n\
             search_label = \"Search\"\n\n[[locales]]\ncode = \"en\"\nname = \"English\"\n",
        )?;
        write("topics.toml", "[[topics]]\nslug = \"water\"\nname = \"Water\"\n")?;
        // Forty measures about wells, each with its own words and a
        // different number of mentions, so that each hit has its own
        // score and snippet.
        for n in 0..40 {
            let body = format!("Village {n} dug wells. ").repeat(n % 7 + 1);
            write(
                &format!("measures/wells-{n:02}.md"),
                &format!("+++\ntitle = \"Wells number {n}\"\nstatus = \"published\"\n+++\n{body}Number{n} water.\n"),
            )?;
        }
        let snapshot = tessera_core::load(dir.path()).map_err(|e| format!("{e:?}"))?;
        let (index, _) = SearchIndex::build(&snapshot, Audience::Public, Utc::now(), None)?;
        let en = Locale::parse("en")?;
        for (query, limit, offset) in [("wells", 10, 0), ("well", 25, 3), ("village water", 40, 0), ("welsl", 7, 30)] {
            let request = SearchRequest { limit, offset, ..SearchRequest::new(query, Locale::clone(&en)) };
            // Alone, the hits are shared between the search threads.
            let alone = index.search(&request)?;
            // With another search running, this one makes them all itself.
            let (other, _) = Searching::enter(&index.searching);
            let busy = index.search(&request)?;
            drop(other);
            assert_eq!(alone.total, 40, "{query}");
            assert_eq!(alone.hits.len(), limit.min(40 - offset), "{query}");
            assert_eq!(format!("{:?}", alone.hits), format!("{:?}", busy.hits), "{query}");
            // In rank order, each with its own item's snippet.
            assert!(alone.hits.windows(2).all(|w| w[0].score >= w[1].score), "{query}");
            for hit in &alone.hits {
                let n = hit.slug.trim_start_matches("wells-").trim_start_matches('0');
                assert!(hit.title.ends_with(&format!(" {}", if n.is_empty() { "0" } else { n })), "{hit:?}");
                assert!(!hit.snippet.highlights.is_empty(), "{hit:?}");
            }
        }
        assert_eq!(index.searching.load(Ordering::Acquire), 0);
        Ok(())
    }

    #[test]
    fn segments_are_grouped_into_even_shares() {
        let sizes = [17_078, 19_558, 33_012, 33_132];
        let groups = balanced_groups(&sizes, 2);
        let totals: Vec<u32> = groups.iter().map(|g| g.iter().map(|i| sizes[*i]).sum()).collect();
        assert_eq!(totals, [33_132 + 17_078, 33_012 + 19_558]);
        let mut all: Vec<usize> = groups.concat();
        all.sort_unstable();
        assert_eq!(all, [0, 1, 2, 3]);
        assert_eq!(balanced_groups(&sizes, 1), [vec![3, 2, 1, 0]]);
        assert_eq!(balanced_groups(&sizes, 8).len(), 4);
        assert_eq!(balanced_groups(&[5], 0), [vec![0]]);
        assert!(balanced_groups(&[], 2).is_empty());
    }
}
