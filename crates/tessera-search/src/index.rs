//! Building, caching and querying the index.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::Serialize;
use tantivy::collector::{Count, FacetCollector, TopDocs};
use tantivy::query::{BooleanQuery, Occur, Query, TermQuery};
use tantivy::schema::{
    Facet, FacetOptions, Field, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions, Value,
};
use tantivy::{Index, IndexReader, ReloadPolicy, TantivyDocument, Term};
pub use tessera_core::Audience;
use tessera_core::{
    Country, Document, Item, Kind, Locale, Measure, Page, Partner, PartnerKind, Publishable, Snapshot, Story, View,
};

use crate::analysis::Family;
use crate::query::{family_query, query_words};
use crate::snippet::{self, Snippet};

/// Changes whenever the index layout changes, so that old caches are not reused.
const LAYOUT: &str = "v2";
/// The longest query accepted, in characters.
pub const MAX_QUERY_CHARS: usize = 200;
/// The most results one search returns.
pub const MAX_LIMIT: usize = 100;

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
    #[error("search index cache `{}`: {source}", path.display())]
    Cache {
        /// The cache folder.
        path: PathBuf,
        /// What went wrong.
        source: std::io::Error,
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

struct TextFields {
    title: Field,
    summary: Field,
    body: Field,
}

struct Fields {
    kind: Field,
    slug: Field,
    locale: Field,
    visible_in: Field,
    title: Field,
    text: Field,
    facets: Field,
    /// Every searchable word unstemmed, in every language: where a typo of
    /// a stemmed word ("disabilites") is matched against the word as
    /// written ("disabilities"), and where suggestions come from.
    words: Field,
    families: BTreeMap<Family, TextFields>,
}

/// A search index for one audience over one snapshot; cheap to query from
/// many threads at once.
pub struct SearchIndex {
    reader: IndexReader,
    fields: Fields,
    audience: Audience,
    version: u64,
    epoch: usize,
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
    let kind = b.add_text_field("kind", STRING | STORED);
    let slug = b.add_text_field("slug", STRING | STORED);
    let locale = b.add_text_field("locale", STRING | STORED);
    let visible_in = b.add_text_field("visible_in", STRING);
    let title = b.add_text_field("title", STORED);
    let text = b.add_text_field("text", STORED);
    let facets = b.add_facet_field("facets", FacetOptions::default());
    let words = b.add_text_field(
        "words",
        TextOptions::default().set_indexing_options(
            TextFieldIndexing::default().set_tokenizer(WORDS).set_index_option(IndexRecordOption::Basic),
        ),
    );
    let mut by_family = BTreeMap::new();
    for family in families {
        let options = TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(family.name())
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        );
        let name = family.name();
        by_family.insert(
            *family,
            TextFields {
                title: b.add_text_field(&format!("title_{name}"), options.clone()),
                summary: b.add_text_field(&format!("summary_{name}"), options.clone()),
                body: b.add_text_field(&format!("body_{name}"), options),
            },
        );
    }
    (b.build(), Fields { kind, slug, locale, visible_in, title, text, facets, words, families: by_family })
}

/// The tokenizer of the unstemmed `words` field.
const WORDS: &str = "words";

fn register_tokenizers(index: &Index, families: &BTreeSet<Family>) {
    for family in families {
        index.tokenizers().register(family.name(), family.analyzer());
    }
    index.tokenizers().register(WORDS, Family::Plain.analyzer());
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
        let families = families_of(snapshot);
        let (schema, fields) = schema_for(&families);
        let epoch = snapshot.visibility_epoch(now);
        let audience_name = match audience {
            Audience::Public => "public",
            Audience::Preview => "preview",
        };
        let open = |mut index: Index, fields: Fields| -> Result<SearchIndex, SearchError> {
            register_tokenizers(&index, &families);
            // Segments are searched in parallel: a query that matches most
            // of a large corpus answers sooner on every core.
            index.set_default_multithread_executor()?;
            let reader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into()?;
            Ok(SearchIndex { reader, fields, audience, version: snapshot.version(), epoch })
        };
        let Some(cache_dir) = cache_dir else {
            let index = Index::create_in_ram(schema);
            register_tokenizers(&index, &families);
            fill(&index, &fields, snapshot.view(audience, now), snapshot)?;
            return Ok((open(index, fields)?, false));
        };
        let cache_error = |source| SearchError::Cache { path: cache_dir.to_owned(), source };
        let key = cache_dir.join(format!("{LAYOUT}-{:016x}-{epoch}-{audience_name}", snapshot.version()));
        if key.join("meta.json").is_file() {
            let index = Index::open_in_dir(&key)?;
            return Ok((open(index, fields)?, true));
        }
        std::fs::create_dir_all(cache_dir).map_err(cache_error)?;
        // Build beside the final place, then rename: a crash never leaves a
        // half-built index where a later start would trust it.
        let tmp = tempfile_dir(cache_dir).map_err(cache_error)?;
        let index = Index::create_in_dir(&tmp, schema)?;
        register_tokenizers(&index, &families);
        fill(&index, &fields, snapshot.view(audience, now), snapshot)?;
        drop(index);
        if let Err(e) = std::fs::rename(&tmp, &key) {
            // Another process may have finished the same index first.
            let _ = std::fs::remove_dir_all(&tmp);
            if !key.join("meta.json").is_file() {
                return Err(cache_error(e));
            }
        }
        Ok((open(Index::open_in_dir(&key)?, fields)?, false))
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
        self.reader.searcher().num_docs()
    }

    /// Whether the index holds no document.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
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
        let searcher = self.reader.searcher();
        let known_plain =
            |word: &str| searcher.doc_freq(&Term::from_field_text(self.fields.words, word)).is_ok_and(|n| n > 0);
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
                let known = [f.title, f.body]
                    .iter()
                    .any(|field| searcher.doc_freq(&Term::from_field_text(*field, &w.term)).is_ok_and(|n| n > 0));
                if known {
                    w.distance = 0;
                }
            }
            words_by_family.insert(*family, words);
        }
        if words_by_family.values().all(Vec::is_empty) {
            return Err(SearchError::EmptyQuery);
        }
        let attempt = |all_words: bool| -> Result<_, SearchError> {
            let query = self.full_query(request, &words_by_family, all_words);
            let mut facets = FacetCollector::for_field("facets");
            for root in ["/kind", "/topic", "/country", "/partner-kind"] {
                facets.add_facet(root);
            }
            let top = TopDocs::with_limit(limit).and_offset(request.offset);
            Ok(searcher.search(&query, &(top, Count, facets))?)
        };
        let mut found = attempt(true)?;
        // Nothing has every word: show what has some of them.
        if found.1 == 0 && words_by_family.values().any(|w| w.len() > 1) {
            found = attempt(false)?;
        }
        let (top, total, facet_counts) = found;
        let mut hits = Vec::with_capacity(top.len());
        for (score, address) in top {
            let doc: TantivyDocument = searcher.doc(address)?;
            let get = |field| doc.get_first(field).and_then(|v| v.as_str()).unwrap_or("").to_owned();
            let locale = get(self.fields.locale);
            let family = Locale::parse(&locale).map(|l| Family::of(&l)).unwrap_or(Family::Plain);
            let words = words_by_family.get(&family).map(Vec::as_slice).unwrap_or(&[]);
            let snippet = snippet::make(&mut family.analyzer(), &get(self.fields.text), words, 180);
            // The index holds only the names it was given; anything else is
            // a stale or foreign index, and its hit is skipped, not guessed.
            let Ok(kind) = get(self.fields.kind).parse::<Kind>() else { continue };
            hits.push(Hit { kind, slug: get(self.fields.slug), locale, title: get(self.fields.title), score, snippet });
        }
        let counts = |root: &str| -> Vec<FacetCount> {
            let mut list: Vec<FacetCount> = facet_counts
                .get(root)
                .map(|(facet, count)| FacetCount {
                    value: facet.to_path().last().map(|s| (*s).to_owned()).unwrap_or_default(),
                    count,
                })
                .collect();
            list.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
            list
        };
        let facets = Facets {
            kinds: counts("/kind"),
            topics: counts("/topic"),
            countries: counts("/country"),
            partner_kinds: counts("/partner-kind"),
        };
        let suggestions = self.suggest(&searcher, &plain)?.into_iter().collect();
        Ok(SearchResults { total, hits, facets, suggestions })
    }

    /// "Did you mean": the query with each word the index does not know
    /// replaced by the closest word it does (sharing the first letter,
    /// within the edits the word's length allows, the most common first),
    /// or `None` when every word is known or nothing is close.
    fn suggest(
        &self,
        searcher: &tantivy::Searcher,
        plain: &[crate::query::QueryWord],
    ) -> Result<Option<String>, SearchError> {
        let mut changed = false;
        let mut out = Vec::with_capacity(plain.len());
        for w in plain {
            let term = w.term.as_str();
            let Some(first) = term.chars().next() else { continue };
            let mut best: Option<(usize, std::cmp::Reverse<u32>, String)> = None;
            // Known as typed, or (the last word) as the start of a known
            // word: nothing to suggest, and no need to walk the terms.
            let mut known = searcher.doc_freq(&Term::from_field_text(self.fields.words, term)).is_ok_and(|n| n > 0);
            if !known && w.prefix {
                for segment in searcher.segment_readers() {
                    let inverted = segment.inverted_index(self.fields.words)?;
                    let mut stream = inverted
                        .terms()
                        .range()
                        .ge(term.as_bytes())
                        .into_stream()
                        .map_err(tantivy::TantivyError::from)?;
                    known |= stream.advance() && stream.key().starts_with(term.as_bytes());
                }
            }
            // Unknown: the closest word sharing its first letter.
            let segments = if known { &[][..] } else { searcher.segment_readers() };
            for segment in segments {
                let inverted = segment.inverted_index(self.fields.words)?;
                let mut stream = inverted
                    .terms()
                    .range()
                    .ge(first.to_string().as_bytes())
                    .into_stream()
                    .map_err(tantivy::TantivyError::from)?;
                while stream.advance() {
                    let Ok(candidate) = std::str::from_utf8(stream.key()) else { continue };
                    if !candidate.starts_with(first) {
                        break;
                    }
                    let distance = crate::query::edit_distance(candidate, term);
                    if distance == 0 || distance > usize::from(w.distance.max(1)) {
                        continue;
                    }
                    let key = (distance, std::cmp::Reverse(stream.value().doc_freq), candidate.to_owned());
                    if best.as_ref().is_none_or(|b| key < *b) {
                        best = Some(key);
                    }
                }
            }
            match best {
                Some((_, _, word)) if !known => {
                    changed = true;
                    out.push(word);
                }
                _ => out.push(term.to_owned()),
            }
        }
        Ok(changed.then(|| out.join(" ")))
    }

    fn full_query(
        &self,
        request: &SearchRequest,
        words_by_family: &BTreeMap<Family, Vec<crate::query::QueryWord>>,
        all_words: bool,
    ) -> BooleanQuery {
        let text: Vec<(Occur, Box<dyn Query>)> = self
            .fields
            .families
            .iter()
            .filter_map(|(family, f)| {
                let words = words_by_family.get(family)?;
                family_query(words, &[(f.title, 3.0), (f.summary, 2.0), (f.body, 1.0)], self.fields.words, all_words)
            })
            .map(|q| (Occur::Should, q))
            .collect();
        let term = |field, value: &str| -> Box<dyn Query> {
            Box::new(TermQuery::new(Term::from_field_text(field, value), IndexRecordOption::Basic))
        };
        let facet = |path: String| -> Box<dyn Query> {
            Box::new(TermQuery::new(
                Term::from_facet(self.fields.facets, &Facet::from(path.as_str())),
                IndexRecordOption::Basic,
            ))
        };
        let any_of = |paths: Vec<String>| -> Box<dyn Query> {
            Box::new(BooleanQuery::new(paths.into_iter().map(|p| (Occur::Should, facet(p))).collect()))
        };
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![
            (Occur::Must, Box::new(BooleanQuery::new(text))),
            (Occur::Must, term(self.fields.visible_in, request.locale.as_str())),
        ];
        if !request.kinds.is_empty() {
            clauses.push((Occur::Must, any_of(request.kinds.iter().map(|k| format!("/kind/{}", k.name())).collect())));
        }
        if !request.topics.is_empty() {
            clauses.push((Occur::Must, any_of(request.topics.iter().map(|t| format!("/topic/{t}")).collect())));
        }
        if !request.countries.is_empty() {
            clauses.push((Occur::Must, any_of(request.countries.iter().map(|c| format!("/country/{c}")).collect())));
        }
        if !request.partner_kinds.is_empty() {
            let paths = request.partner_kinds.iter().map(|k| format!("/partner-kind/{}", k.as_str())).collect();
            clauses.push((Occur::Must, any_of(paths)));
        }
        BooleanQuery::new(clauses)
    }
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

/// Adds every document `view` can see.
fn fill(index: &Index, fields: &Fields, view: View<'_>, snapshot: &Snapshot) -> Result<(), SearchError> {
    let mut writer = index.writer::<TantivyDocument>(256 * 1024 * 1024)?;
    let locales = snapshot.locales();
    add_kind::<Page>(&mut writer, fields, view, &locales)?;
    add_kind::<Measure>(&mut writer, fields, view, &locales)?;
    add_kind::<Partner>(&mut writer, fields, view, &locales)?;
    add_kind::<Story>(&mut writer, fields, view, &locales)?;
    writer.commit()?;
    writer.wait_merging_threads()?;
    Ok(())
}

fn add_kind<T: Indexable>(
    writer: &mut tantivy::IndexWriter<TantivyDocument>,
    fields: &Fields,
    view: View<'_>,
    locales: &[Locale],
) -> Result<(), SearchError> {
    let snapshot = view.snapshot();
    for slug in snapshot.collection::<T>().slugs() {
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
        for (doc, visible_in) in readers {
            let mut shown = String::new();
            for media in doc.meta.media().into_iter().filter_map(|m| view.media(m, &doc.locale)) {
                let m = &media.meta;
                for text in [&m.alt, &m.caption, &m.credit].into_iter().flatten() {
                    shown.push_str(text);
                    shown.push('\n');
                }
            }
            if let Some(country) = doc.meta.country() {
                shown.push_str(country.name());
            }
            writer.add_document(document(fields, doc, &visible_in, &shown))?;
        }
    }
    Ok(())
}

/// The index document of one file; `shown` is the text of what it shows
/// beside its own (media, the country's name).
fn document<T: Indexable>(fields: &Fields, doc: &Document<T>, visible_in: &[&Locale], shown: &str) -> TantivyDocument {
    let mut d = TantivyDocument::default();
    let meta = &doc.meta;
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
    // repeats it), the body, then quotes or examples, on one line.
    let summary_part = if body.starts_with(summary) { "" } else { summary };
    let text: Vec<&str> =
        [summary_part, body.as_str(), extra.as_str()].iter().flat_map(|part| part.split_whitespace()).collect();
    d.add_text(fields.text, text.join(" "));
    if let Some(f) = fields.families.get(&Family::of(&doc.locale)) {
        d.add_text(f.title, title);
        d.add_text(f.summary, summary);
        d.add_text(f.body, &body);
        d.add_text(f.body, &extra);
        d.add_text(f.body, shown);
    }
    for part in [title, summary, body.as_str(), extra.as_str(), shown] {
        d.add_text(fields.words, part);
    }
    d.add_facet(fields.facets, Facet::from(format!("/kind/{}", T::KIND.name()).as_str()));
    for topic in meta.topics() {
        d.add_facet(fields.facets, Facet::from(format!("/topic/{}", topic.slug()).as_str()));
    }
    if let Some(country) = meta.country() {
        d.add_facet(fields.facets, Facet::from(format!("/country/{country}").as_str()));
    }
    if let Some(kind) = meta.partner_kind() {
        d.add_facet(fields.facets, Facet::from(format!("/partner-kind/{}", kind.as_str()).as_str()));
    }
    d
}
