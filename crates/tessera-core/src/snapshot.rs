//! The loaded content: an immutable snapshot with indexes, and the one place
//! that decides who may see what.

use std::collections::BTreeMap;

use rustc_hash::{FxHashMap as HashMap, FxHashSet};
use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use std::borrow::Cow;

use crate::body::{Body, LinkTarget, unlink};
use crate::diagnostic::Diagnostic;
use crate::locale::{Country, Locale};
use crate::model::{Measure, Media, Page, Partner, Publishable, Site, Status, Story, Timestamp, Topic};
use crate::reference::{Kind, KindMarker, Ref};

/// One content file: an item of kind `T` in one locale.
#[derive(Debug, Clone)]
pub struct Document<T> {
    /// The item's slug, from its file name.
    pub slug: String,
    /// The locale of this file (`slug.md` is in the site's default locale).
    pub locale: Locale,
    /// The file, relative to the content root.
    pub path: PathBuf,
    /// The front matter.
    pub meta: T,
    /// The Markdown body (empty for media).
    pub body: Body,
    /// A hash of the file's bytes and path.
    pub hash: u64,
    /// When the file last changed: the time of its last commit when the
    /// content folder is in a git repository and the file is committed as
    /// it is (with the `git` feature), else its modification time. `None`
    /// when neither is known.
    pub modified: Option<chrono::DateTime<chrono::Utc>>,
}

/// A reference from one item to another, as the loader sees it.
#[derive(Debug, Clone)]
pub struct Reference<'a> {
    /// The kind the field requires.
    pub kind: Kind,
    /// The slug named.
    pub slug: &'a str,
    /// The front-matter field it was written in.
    pub field: &'static str,
    /// The kind a path-form reference named, if any.
    pub written_kind: Option<Kind>,
    /// Byte range in the front matter.
    pub span: Option<std::ops::Range<usize>>,
}

fn refs<'a, T: KindMarker>(field: &'static str, list: &'a [Ref<T>]) -> impl Iterator<Item = Reference<'a>> {
    list.iter().map(move |r| Reference {
        kind: T::KIND,
        slug: r.slug(),
        field,
        written_kind: r.written_kind(),
        span: r.span(),
    })
}

/// A kind of item stored one file each: pages, measures, partners, stories and media.
pub trait Item: KindMarker + Sized + Send + Sync + 'static {
    /// This kind's items in a snapshot.
    fn collection(snapshot: &Snapshot) -> &Collection<Self>;
    /// Every reference the front matter makes, topics included.
    fn references(&self) -> Vec<Reference<'_>>;
    /// Editorial state and embargo; media are always published.
    fn visibility(&self) -> (Status, Option<&Timestamp>);
    /// The title or name people see.
    fn label(&self) -> &str;
    /// The country the item is about, if any.
    fn country(&self) -> Option<Country> {
        None
    }
    /// Front-matter fields written in Markdown (a measure's example), by
    /// name: checked and rewritten like bodies.
    fn markdown_fields(&self) -> Vec<(&'static str, &str)> {
        Vec::new()
    }
}

macro_rules! document_item {
    ($ty:ty, $field:ident, country: |$c:ident| $country:expr, |$m:ident| $refs:expr) => {
        document_item!($ty, $field, country: |$c| $country, |$m| $refs, markdown: |_x| Vec::new());
    };
    ($ty:ty, $field:ident, country: |$c:ident| $country:expr, |$m:ident| $refs:expr, markdown: |$x:ident| $md:expr) => {
        impl Item for $ty {
            fn collection(snapshot: &Snapshot) -> &Collection<Self> {
                &snapshot.$field
            }
            fn references(&self) -> Vec<Reference<'_>> {
                let $m = self;
                $refs
            }
            fn visibility(&self) -> (Status, Option<&Timestamp>) {
                (self.status(), self.publish_at())
            }
            fn label(&self) -> &str {
                Publishable::title(self)
            }
            fn country(&self) -> Option<Country> {
                let $c = self;
                $country
            }
            fn markdown_fields(&self) -> Vec<(&'static str, &str)> {
                let $x = self;
                $md
            }
        }
    };
}

document_item!(Page, pages, country: |_m| None, |m| {
    let hero = m.hero.iter().map(|h| Reference {
        kind: Kind::Media,
        slug: h.media.slug(),
        field: "hero.media",
        written_kind: h.media.written_kind(),
        span: h.media.span(),
    });
    hero.chain(refs("measures", &m.measures))
        .chain(refs("partners", &m.partners))
        .chain(refs("from_the_field", &m.from_the_field))
        .chain(refs("topics", &m.topics))
        .collect()
});
document_item!(Measure, measures, country: |_m| None, |m| refs("topics", &m.topics).collect(), markdown: |m| {
    m.example.as_deref().map(|e| vec![("example", e)]).unwrap_or_default()
});
document_item!(Partner, partners, country: |m| m.country, |m| refs("topics", &m.topics).collect());
document_item!(Story, stories, country: |m| m.country, |m| {
    refs("media", &m.media)
        .chain(refs("partners", &m.partners))
        .chain(refs("topics", &m.topics))
        .collect()
});

impl Item for Media {
    fn collection(snapshot: &Snapshot) -> &Collection<Self> {
        &snapshot.media
    }
    fn references(&self) -> Vec<Reference<'_>> {
        Vec::new()
    }
    fn visibility(&self) -> (Status, Option<&Timestamp>) {
        (Status::Published, None)
    }
    fn label(&self) -> &str {
        self.caption.as_deref().or(self.alt.as_deref()).unwrap_or("")
    }
    fn country(&self) -> Option<Country> {
        self.country
    }
}

/// All documents of one kind, indexed by slug and locale.
#[derive(Debug, Clone)]
pub struct Collection<T> {
    /// Shared with the load cache: a reload that finds a file unchanged
    /// reuses its document instead of parsing or copying it.
    /// Both behind `Arc`, so that a snapshot patched from another (one
    /// file edited) shares what did not change instead of copying it.
    docs: Arc<Vec<Arc<Document<T>>>>,
    /// Slug → (locale → index in `docs`), slugs in order.
    by_slug: Arc<BTreeMap<String, Locales>>,
}

/// One slug's documents, by locale: an item has one or a few, held inline
/// (a hash map for each slug cost an allocation of 160 bytes).
#[derive(Debug, Clone, Default)]
struct Locales(smallvec::SmallVec<[(Locale, usize); 2]>);

impl Locales {
    fn get(&self, locale: &Locale) -> Option<&usize> {
        self.0.iter().find(|(l, _)| l == locale).map(|(_, index)| index)
    }

    fn insert(&mut self, locale: Locale, index: usize) {
        match self.0.iter_mut().find(|(l, _)| *l == locale) {
            Some(slot) => slot.1 = index,
            None => self.0.push((locale, index)),
        }
    }

    fn remove(&mut self, locale: &Locale) {
        self.0.retain(|(l, _)| l != locale);
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn values(&self) -> impl Iterator<Item = &usize> {
        self.0.iter().map(|(_, index)| index)
    }

    fn values_mut(&mut self) -> impl Iterator<Item = &mut usize> {
        self.0.iter_mut().map(|(_, index)| index)
    }
}

impl<T> Default for Collection<T> {
    fn default() -> Self {
        Collection { docs: Arc::default(), by_slug: Arc::default() }
    }
}

impl<T> Collection<T> {
    pub(crate) fn insert(&mut self, doc: Arc<Document<T>>) {
        let index = self.docs.len();
        Arc::make_mut(&mut self.by_slug).entry(doc.slug.clone()).or_default().insert(doc.locale.clone(), index);
        Arc::make_mut(&mut self.docs).push(doc);
    }

    /// Puts `doc` in the place of the document with its slug and locale;
    /// `false` (and nothing changed) when there is none.
    pub(crate) fn replace(&mut self, doc: Arc<Document<T>>) -> bool {
        let Some(&index) = self.by_slug.get(&doc.slug).and_then(|l| l.get(&doc.locale)) else { return false };
        match Arc::make_mut(&mut self.docs).get_mut(index) {
            Some(slot) => {
                *slot = doc;
                true
            }
            None => false,
        }
    }

    /// Adds `doc` in its place by path, as a load would have put it;
    /// `false` (and nothing changed) when its slug and locale are taken.
    pub(crate) fn insert_sorted(&mut self, doc: Arc<Document<T>>) -> bool {
        if self.exact(&doc.slug, &doc.locale).is_some() {
            return false;
        }
        let at = self.docs.partition_point(|d| d.path.as_os_str() < doc.path.as_os_str());
        let by_slug = Arc::make_mut(&mut self.by_slug);
        for index in by_slug.values_mut().flat_map(|l| l.values_mut()) {
            if *index >= at {
                *index += 1;
            }
        }
        by_slug.entry(doc.slug.clone()).or_default().insert(doc.locale.clone(), at);
        Arc::make_mut(&mut self.docs).insert(at, doc);
        true
    }

    /// Takes out the document with this slug and locale; `false` when
    /// there is none.
    pub(crate) fn remove(&mut self, slug: &str, locale: &Locale) -> bool {
        let Some(&at) = self.by_slug.get(slug).and_then(|l| l.get(locale)) else { return false };
        let by_slug = Arc::make_mut(&mut self.by_slug);
        if let Some(locales) = by_slug.get_mut(slug) {
            locales.remove(locale);
            if locales.is_empty() {
                by_slug.remove(slug);
            }
        }
        for index in by_slug.values_mut().flat_map(|l| l.values_mut()) {
            if *index > at {
                *index -= 1;
            }
        }
        let docs = Arc::make_mut(&mut self.docs);
        if at < docs.len() {
            docs.remove(at);
        }
        true
    }

    /// Every document, every locale, every state, in load order (sorted by path).
    pub fn all(&self) -> &[Arc<Document<T>>] {
        &self.docs
    }

    /// Every slug, in order.
    pub fn slugs(&self) -> impl Iterator<Item = &str> {
        self.by_slug.keys().map(String::as_str)
    }

    /// The document for `slug` in exactly `locale`, whatever its state.
    pub fn exact(&self, slug: &str, locale: &Locale) -> Option<&Document<T>> {
        let index = *self.by_slug.get(slug)?.get(locale)?;
        self.docs.get(index).map(|d| &**d)
    }

    /// Whether any document has this slug.
    pub fn contains(&self, slug: &str) -> bool {
        self.by_slug.contains_key(slug)
    }

    /// All locales of `slug`, whatever their state.
    pub fn locales_of(&self, slug: &str) -> impl Iterator<Item = &Document<T>> {
        let mut docs: Vec<&Document<T>> = self
            .by_slug
            .get(slug)
            .into_iter()
            .flat_map(|m| m.values())
            .filter_map(|&i| self.docs.get(i))
            .map(|d| &**d)
            .collect();
        docs.sort_by(|a, b| a.locale.cmp(&b.locale));
        docs.into_iter()
    }
}

/// An item's kind and slug: its identity across locales.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ItemId {
    /// The kind.
    pub kind: Kind,
    /// The slug (held inline: the indexes hold hundreds of thousands).
    pub slug: compact_str::CompactString,
}

/// The whole content of a site, loaded and validated; immutable.
///
/// Wrap it in an `Arc` to share it between threads: it never changes after
/// loading, and a reload builds a new one.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub(crate) site: Site,
    pub(crate) topics: Vec<Topic>,
    pub(crate) pages: Collection<Page>,
    pub(crate) measures: Collection<Measure>,
    pub(crate) partners: Collection<Partner>,
    pub(crate) stories: Collection<Story>,
    pub(crate) media: Collection<Media>,
    /// Topic slug → items filed under it.
    /// (This index and the ones below are behind `Arc`: a snapshot patched
    /// from another shares them when the edit left them as they were.)
    pub(crate) by_topic: Arc<HashMap<String, Vec<ItemId>>>,
    /// Country → items about it.
    pub(crate) by_country: Arc<HashMap<Country, Vec<ItemId>>>,
    /// Target → the items whose front matter references it.
    pub(crate) referrers: Arc<HashMap<ItemId, Vec<ItemId>>>,
    /// Media slug → the documents (item and locale) that show it, in front
    /// matter or in their bodies.
    pub(crate) media_users: Arc<HashMap<String, Vec<(ItemId, Locale)>>>,
    pub(crate) warnings: Vec<Diagnostic>,
    pub(crate) version: u64,
    /// A hash of `site.toml` and `topics.toml`.
    pub(crate) settings_hash: u64,
    /// Every `publish_at` instant, sorted.
    pub(crate) embargoes: Vec<DateTime<Utc>>,
    /// [`Snapshot::public_version`] by visibility epoch, computed on first use.
    /// (Behind `Arc`, as the public bodies: a clone of a snapshot is the
    /// same content, and shares what either computes.)
    pub(crate) public_versions: Arc<Vec<std::sync::OnceLock<u64>>>,
    /// Bodies rewritten for the public ([`View::body`]) by visibility
    /// epoch, each made on first use.
    pub(crate) public_bodies: Arc<Vec<std::sync::OnceLock<PublicBodies>>>,
    /// The files whose bodies link to an item that may be hidden from the
    /// public (its original is not published, or is embargoed). Only these
    /// can need rewriting; found while loading.
    pub(crate) link_sensitive: Arc<FxHashSet<PathBuf>>,
    /// The addresses listed in `legacy.toml`, as written.
    pub(crate) legacy: Arc<Vec<crate::model::LegacyAddress>>,
    /// Every old address (listed, or carried by a page), by its path.
    pub(crate) old_addresses: Arc<BTreeMap<String, crate::transition::OldEntry>>,
    /// Where the content came from, when that has a name of its own: the
    /// git commit a replica serves.
    pub(crate) revision: Option<String>,
    /// When the revision was made (the commit's time).
    pub(crate) revision_time: Option<DateTime<Utc>>,
    /// When this snapshot was patched from another: that one's version,
    /// and the items whose files changed.
    pub(crate) patched_from: Option<Arc<(u64, Vec<ItemId>)>>,
}

/// The public rewrites of the link-sensitive bodies at one visibility
/// epoch: a cell for each file, filled when its body is first asked for,
/// so that no request waits for every body to be rewritten.
#[derive(Debug, Clone, Default)]
pub(crate) struct PublicBodies {
    /// Shared by the snapshots patched from the one that made it: their
    /// unchanged files' rewrites are the same.
    shared: Arc<HashMap<PathBuf, std::sync::OnceLock<Option<Body>>>>,
    /// The cells of files patched in since, in front of `shared`.
    own: HashMap<PathBuf, std::sync::OnceLock<Option<Body>>>,
}

impl PublicBodies {
    fn new(sensitive: &FxHashSet<PathBuf>) -> PublicBodies {
        let shared = sensitive.iter().map(|p| (p.clone(), std::sync::OnceLock::new())).collect();
        PublicBodies { shared: Arc::new(shared), own: HashMap::default() }
    }

    /// These rewrites for a snapshot that differs from this one's in the
    /// files at `changed` alone (and has `sensitive` as its link-sensitive
    /// files): the others' cells are shared, these get new ones.
    pub(crate) fn patched(&self, changed: &[PathBuf], sensitive: &FxHashSet<PathBuf>) -> PublicBodies {
        let own = self
            .own
            .keys()
            .chain(changed)
            .filter(|p| sensitive.contains(*p))
            .map(|p| (p.clone(), std::sync::OnceLock::new()))
            .collect();
        PublicBodies { shared: self.shared.clone(), own }
    }

    fn cell(&self, path: &std::path::Path) -> Option<&std::sync::OnceLock<Option<Body>>> {
        self.own.get(path).or_else(|| self.shared.get(path))
    }
}

fn empty_body() -> &'static Body {
    static EMPTY: std::sync::OnceLock<Body> = std::sync::OnceLock::new();
    EMPTY.get_or_init(Body::empty)
}

/// Who is looking: the public, or an editor previewing unpublished content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Audience {
    /// Sees published and archived items whose embargo has passed.
    Public,
    /// Sees everything, drafts and embargoed items included.
    Preview,
}

impl Snapshot {
    /// The site settings.
    pub fn site(&self) -> &Site {
        &self.site
    }

    /// The topic taxonomy, in display order.
    pub fn topics(&self) -> &[Topic] {
        &self.topics
    }

    /// The topic with this slug.
    pub fn topic(&self, slug: &str) -> Option<&Topic> {
        self.topics.iter().find(|t| t.slug == slug)
    }

    /// Every document of kind `T`, whatever its state. Front ends should use
    /// [`Snapshot::view`] instead, which applies visibility.
    pub fn collection<T: Item>(&self) -> &Collection<T> {
        T::collection(self)
    }

    /// Warnings found while loading (errors prevent a snapshot).
    pub fn warnings(&self) -> &[Diagnostic] {
        &self.warnings
    }

    /// A hash of every content file: equal snapshots have equal versions.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// The revision this content was read from (a git commit id), if it
    /// was read from one.
    pub fn revision(&self) -> Option<&str> {
        self.revision.as_deref()
    }

    /// This snapshot, named by `revision` (a git commit id): the version
    /// every answer then carries.
    pub fn with_revision(mut self, revision: impl Into<String>) -> Snapshot {
        self.revision = Some(revision.into());
        self
    }

    /// The items whose files changed since the snapshot of version
    /// `version`, when this one was made from it by patching a few files
    /// in (see `LoadCache::patched`): no item was added or removed, and no
    /// item's visibility, references or place in the indexes changed, so
    /// comparing these items is comparing the snapshots. `None` when this
    /// snapshot was not patched from that version: compare everything.
    pub fn changed_since(&self, version: u64) -> Option<&[ItemId]> {
        self.patched_from.as_deref().filter(|(from, _)| *from == version).map(|(_, ids)| ids.as_slice())
    }

    /// When the revision was made (a commit's committer time), if known.
    pub fn revision_time(&self) -> Option<DateTime<Utc>> {
        self.revision_time
    }

    /// This snapshot, with the time its revision was made.
    pub fn with_revision_time(mut self, time: DateTime<Utc>) -> Snapshot {
        self.revision_time = Some(time);
        self
    }

    /// The instant of the latest embargo lifted by `now`, if any.
    pub fn lifted_at(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.visibility_epoch(now).checked_sub(1).and_then(|i| self.embargoes.get(i)).copied()
    }

    /// The version the public is told: the revision when there is one
    /// (replicas on the same commit say the same), else
    /// [`Snapshot::public_version`] in hexadecimal.
    pub fn public_label(&self, now: DateTime<Utc>) -> String {
        match &self.revision {
            Some(r) => r.clone(),
            None => format!("{:016x}", self.public_version(now)),
        }
    }

    /// A hash of what the public can see at `now`: it changes when a public
    /// item changes or an embargo lifts, never when a draft is edited, so
    /// it may be shown to anyone without revealing hidden work.
    pub fn public_version(&self, now: DateTime<Utc>) -> u64 {
        let epoch = self.visibility_epoch(now);
        let compute = || {
            let view = self.view(Audience::Public, now);
            // A sum of per-file hashes: the order files are visited in does not matter.
            let mut sum = self.settings_hash;
            let mut add = |visible: bool, hash: u64| {
                if visible {
                    sum = sum.wrapping_add(xxhash_rust::xxh3::xxh3_64(&hash.to_le_bytes()));
                }
            };
            self.pages.all().iter().for_each(|d| add(view.is_visible(d), d.hash));
            self.measures.all().iter().for_each(|d| add(view.is_visible(d), d.hash));
            self.partners.all().iter().for_each(|d| add(view.is_visible(d), d.hash));
            self.stories.all().iter().for_each(|d| add(view.is_visible(d), d.hash));
            self.media.all().iter().for_each(|d| add(view.is_visible(d), d.hash));
            sum
        };
        match self.public_versions.get(epoch) {
            Some(cell) => *cell.get_or_init(compute),
            None => compute(),
        }
    }

    /// How many embargoes have lifted at `now`. What the public sees changes
    /// only when the snapshot or this number changes, so a cache of public
    /// answers keyed by both never shows an item early or hides it late.
    pub fn visibility_epoch(&self, now: DateTime<Utc>) -> usize {
        self.embargoes.partition_point(|t| *t <= now)
    }

    /// The locales the site is written in, default first.
    pub fn locales(&self) -> Vec<Locale> {
        let mut locales = vec![self.site.default_locale.clone()];
        for l in &self.site.locales {
            if !locales.contains(&l.code) {
                locales.push(l.code.clone());
            }
        }
        locales
    }

    /// The locales tried, in order, for a request in `locale`: the locale
    /// itself, its configured fallbacks, then the default locale.
    pub fn fallback_chain(&self, locale: &Locale) -> Vec<Locale> {
        let mut chain = vec![locale.clone()];
        if let Some(config) = self.site.locales.iter().find(|l| &l.code == locale) {
            for f in &config.fallback {
                if !chain.contains(f) {
                    chain.push(f.clone());
                }
            }
        }
        if !chain.contains(&self.site.default_locale) {
            chain.push(self.site.default_locale.clone());
        }
        chain
    }

    /// The content as `audience` sees it at `now`: the only way front ends
    /// should read items.
    pub fn view(&self, audience: Audience, now: DateTime<Utc>) -> View<'_> {
        View { snapshot: self, audience, now }
    }
}

/// An item found for a requested locale: perhaps in another one, by fallback.
#[derive(Debug)]
pub struct Localized<'s, T> {
    /// The document returned; `doc.locale` is the locale it is written in.
    pub doc: &'s Document<T>,
    /// The locale that was asked for.
    pub requested: Locale,
}

impl<T> Clone for Localized<'_, T> {
    fn clone(&self) -> Self {
        Localized { doc: self.doc, requested: self.requested.clone() }
    }
}

impl<T> Localized<'_, T> {
    /// Whether the document is in another locale than the one asked for.
    pub fn is_fallback(&self) -> bool {
        self.doc.locale != self.requested
    }
}

impl<T> std::ops::Deref for Localized<'_, T> {
    type Target = Document<T>;
    fn deref(&self) -> &Document<T> {
        self.doc
    }
}

/// The snapshot as one audience sees it at one instant.
///
/// Every lookup, list and back-reference goes through [`View::is_visible`],
/// so drafts, items in review and embargoed items cannot reach the public
/// through any front end.
#[derive(Debug, Clone, Copy)]
pub struct View<'s> {
    snapshot: &'s Snapshot,
    audience: Audience,
    now: DateTime<Utc>,
}

impl<'s> View<'s> {
    /// The snapshot behind this view.
    pub fn snapshot(&self) -> &'s Snapshot {
        self.snapshot
    }

    /// Who is looking.
    pub fn audience(&self) -> Audience {
        self.audience
    }

    /// The instant embargoes are compared with.
    pub fn now(&self) -> DateTime<Utc> {
        self.now
    }

    /// Whether this audience may see `doc` now.
    ///
    /// Media have no editorial state of their own: a media item is visible
    /// when an item the audience may see shows it (as a hero, in a story's
    /// media or in a body), so an asset of an unpublished story stays as
    /// hidden as the story.
    pub fn is_visible<T: Item>(&self, doc: &Document<T>) -> bool {
        match self.audience {
            Audience::Preview => true,
            Audience::Public if T::KIND == Kind::Media => self.media_in_use(&doc.slug),
            Audience::Public => {
                let (status, publish_at) = doc.meta.visibility();
                status.is_public() && publish_at.is_none_or(|t| t.instant() <= self.now)
            }
        }
    }

    fn media_in_use(&self, slug: &str) -> bool {
        let Some(users) = self.snapshot.media_users.get(slug) else {
            return false;
        };
        // The document that shows the media must itself be visible: a
        // draft translation of a public story does not make its photo public.
        users.iter().any(|(id, locale)| match id.kind {
            Kind::Page => self.document_visible::<Page>(&id.slug, locale),
            Kind::Measure => self.document_visible::<Measure>(&id.slug, locale),
            Kind::Partner => self.document_visible::<Partner>(&id.slug, locale),
            Kind::Story => self.document_visible::<Story>(&id.slug, locale),
            // Media do not use media, and topics are not items.
            Kind::Media | Kind::Topic => false,
        })
    }

    fn document_visible<T: Item>(&self, slug: &str, locale: &Locale) -> bool {
        T::collection(self.snapshot).exact(slug, locale).is_some_and(|d| self.is_visible(d))
    }

    /// The body of `doc` as this audience may see it: links and images that
    /// point at items it may not see become their text, in the block tree
    /// and in the Markdown alike. This is the one place that rewrites links
    /// for an audience: every representation of a body that a front end
    /// sends (Markdown, blocks, HTML, text, JSON) must come from here.
    ///
    /// A body's public rewrite is made once per snapshot and visibility
    /// epoch (what the public sees changes only when an embargo lifts), the
    /// first time it is asked for, so the result borrows from the snapshot
    /// like the document itself.
    pub fn body<T: Item>(&self, doc: &'s Document<T>) -> &'s Body {
        if self.audience == Audience::Preview || !self.snapshot.link_sensitive.contains(doc.path.as_path()) {
            return &doc.body;
        }
        let epoch = self.snapshot.visibility_epoch(self.now);
        let cell = self
            .snapshot
            .public_bodies
            .get(epoch)
            .map(|bodies| bodies.get_or_init(|| PublicBodies::new(&self.snapshot.link_sensitive)))
            .and_then(|bodies| bodies.cell(doc.path.as_path()));
        // Only a snapshot built by hand lacks the cells; show nothing
        // rather than risk a link to a hidden item.
        let Some(cell) = cell else { return empty_body() };
        let visible = self.is_visible(doc);
        match cell.get_or_init(|| if visible { self.rewrite(&doc.body, &doc.locale) } else { None }) {
            Some(rewritten) => rewritten,
            // Not rewritten: hidden from the public, or nothing to hide.
            None if visible => &doc.body,
            None => empty_body(),
        }
    }

    /// Markdown written in a front-matter field (a measure's example), with
    /// links to items this audience may not see turned into their text.
    pub fn markdown<'t>(&self, text: &'t str, locale: &Locale) -> Cow<'t, str> {
        if self.audience == Audience::Preview {
            return Cow::Borrowed(text);
        }
        // Parsed every time, not guessed from the text: `&#64;/` is `@/` too.
        let body = Body::parse_with(text, Some(&self.snapshot.site.base_url));
        match self.rewrite(&body, locale) {
            Some(b) => Cow::Owned(b.markdown().into_owned()),
            None => Cow::Borrowed(text),
        }
    }

    /// `body` with hidden links unlinked, or `None` when it has none.
    fn rewrite(&self, body: &Body, locale: &Locale) -> Option<Body> {
        let hidden = |target: &LinkTarget| match target {
            LinkTarget::Item { kind, slug, .. } => !self.exists(*kind, slug, locale),
            LinkTarget::Url { .. } | LinkTarget::Invalid { .. } => false,
        };
        if !body.links.iter().any(|l| hidden(&l.target)) {
            return None;
        }
        let blocks = unlink(&body.blocks(), &hidden);
        Some(Body::rewritten(
            blocks,
            body.links.iter().filter(|l| !hidden(&l.target)).cloned().collect(),
            body.too_deep,
        ))
    }

    /// The visible document for `slug`, in `locale` or the first locale of
    /// its fallback chain that has a visible translation.
    pub fn get<T: Item>(&self, slug: &str, locale: &Locale) -> Option<Localized<'s, T>> {
        let collection = T::collection(self.snapshot);
        self.snapshot
            .fallback_chain(locale)
            .iter()
            .filter_map(|l| collection.exact(slug, l))
            .find(|doc| self.is_visible(*doc))
            .map(|doc| Localized { doc, requested: locale.clone() })
    }

    /// Every visible item of kind `T`, one document per slug, in slug order.
    pub fn list<T: Item>(&self, locale: &Locale) -> Vec<Localized<'s, T>> {
        T::collection(self.snapshot).slugs().filter_map(|slug| self.get::<T>(slug, locale)).collect()
    }

    /// The visible items that `refs` name, in order; hidden ones are skipped.
    pub fn resolve<T: Item>(&self, refs: &[Ref<T>], locale: &Locale) -> Vec<Localized<'s, T>> {
        refs.iter().filter_map(|r| self.get::<T>(r.slug(), locale)).collect()
    }

    /// Whether the item `kind`/`slug` exists for this audience, in `locale`
    /// or its fallback: what links and references may point to.
    pub fn exists(&self, kind: Kind, slug: &str, locale: &Locale) -> bool {
        match kind {
            Kind::Page => self.get::<Page>(slug, locale).is_some(),
            Kind::Measure => self.get::<Measure>(slug, locale).is_some(),
            Kind::Partner => self.get::<Partner>(slug, locale).is_some(),
            Kind::Story => self.get::<Story>(slug, locale).is_some(),
            Kind::Media => self.get::<Media>(slug, locale).is_some(),
            Kind::Topic => self.snapshot.topic(slug).is_some(),
        }
    }

    /// The visible media item with this slug.
    pub fn media(&self, slug: &str, locale: &Locale) -> Option<Localized<'s, Media>> {
        self.get::<Media>(slug, locale)
    }

    /// The visible translations of `slug`, one per locale, the default first.
    pub fn translations<T: Item>(&self, slug: &str) -> Vec<&'s Document<T>> {
        let default = &self.snapshot.site.default_locale;
        let mut docs: Vec<&Document<T>> =
            T::collection(self.snapshot).locales_of(slug).filter(|d| self.is_visible(*d)).collect();
        docs.sort_by_key(|d| (&d.locale != default, d.locale.clone()));
        docs
    }

    /// Visible items of kind `R` whose front matter references the item
    /// `target` of kind `T`: the pages that cite a measure, the stories of
    /// a partner, ...
    pub fn referrers<T: Item, R: Item>(&self, target: &str, locale: &Locale) -> Vec<Localized<'s, R>> {
        let id = ItemId { kind: T::KIND, slug: target.into() };
        let Some(ids) = self.snapshot.referrers.get(&id) else {
            return Vec::new();
        };
        ids.iter()
            .filter(|r| r.kind == R::KIND)
            .filter_map(|r| self.get::<R>(&r.slug, locale))
            // The translation shown must itself still make the reference.
            .filter(|doc| doc.meta.references().iter().any(|x| x.kind == T::KIND && x.slug == target))
            .collect()
    }

    /// Visible items of kind `T` filed under `topic`, in slug order.
    pub fn with_topic<T: Item>(&self, topic: &str, locale: &Locale) -> Vec<Localized<'s, T>> {
        let mut items = self.indexed::<T>(self.snapshot.by_topic.get(topic), locale);
        // The translation shown must itself be filed under the topic.
        items.retain(|doc| doc.meta.references().iter().any(|r| r.kind == Kind::Topic && r.slug == topic));
        items
    }

    /// Visible items of kind `T` about `country`, in slug order.
    pub fn in_country<T: Item>(&self, country: Country, locale: &Locale) -> Vec<Localized<'s, T>> {
        let mut items = self.indexed::<T>(self.snapshot.by_country.get(&country), locale);
        items.retain(|doc| doc.meta.country() == Some(country));
        items
    }

    fn indexed<T: Item>(&self, ids: Option<&Vec<ItemId>>, locale: &Locale) -> Vec<Localized<'s, T>> {
        ids.into_iter()
            .flatten()
            .filter(|id| id.kind == T::KIND)
            .filter_map(|id| self.get::<T>(&id.slug, locale))
            .collect()
    }
}
