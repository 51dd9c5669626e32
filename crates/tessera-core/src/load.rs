//! Reading a content folder into a [`Snapshot`], collecting every problem.

use std::collections::BTreeSet;

// Paths, slugs and item ids are hashed by the hundred thousand in a load;
// they come from the content folder, not from strangers, so a fast hash
// with no protection against chosen collisions is the right trade.
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::io::Read;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;
use serde::de::DeserializeOwned;

use crate::address::{check_old_address, legacy_path};
use crate::body::{Body, BodyLink, LinkTarget};
use crate::diagnostic::Diagnostic;
use crate::locale::Locale;
use crate::model::{Legacy, LegacyState, Measure, Media, MediaKind, Page, Partner, Site, Story, Topics};
use crate::reference::{Kind, is_valid_slug};
use crate::snapshot::{Collection, Document, Item, ItemId, Snapshot, View};
use crate::text::Text;
use std::borrow::Cow;

mod store;
pub use store::StoreStatus;

/// Files larger than this are refused unread.
pub const MAX_FILE_SIZE: u64 = 4 * 1024 * 1024;

/// Why content could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The content folder itself cannot be read.
    #[error("cannot read content folder `{}`: {reason}", path.display())]
    Root {
        /// The folder given.
        path: PathBuf,
        /// What the operating system said. (Not a `source`: the message
        /// already says it, and error chains would say it twice.)
        reason: std::io::Error,
    },
    /// The content has errors; `diagnostics` lists them all, warnings included.
    #[error("{} error(s) in content", diagnostics.iter().filter(|d| d.is_error()).count())]
    Invalid {
        /// Every problem found, sorted by file and line.
        diagnostics: Vec<Diagnostic>,
    },
}

/// Loads and validates the content folder at `root`.
///
/// Every file is read (in parallel) and checked, and every problem is
/// reported, not just the first. Warnings alone do not fail loading; they
/// are kept in [`Snapshot::warnings`].
pub fn load(root: &Path) -> Result<Snapshot, LoadError> {
    load_with(root, &mut LoadCache::default())
}

/// Loads `root` like [`load`], reusing what `cache` kept from the last load
/// of the same folder: a file whose size, times and inode have not changed
/// (and was read well after it was last written) is not read again, and a
/// file whose bytes are unchanged is not parsed again; its document is
/// shared with the new snapshot. Every check across files runs again, so
/// the result, diagnostics included, is what [`load`] gives. The cache is
/// emptied when `site.toml` changes (bodies and file names depend on it).
pub fn load_with(root: &Path, cache: &mut LoadCache) -> Result<Snapshot, LoadError> {
    load_cached(root, cache, None)
}

/// Loads `root` like [`load_with`], told that only the files at `changed`
/// (absolute, or relative to `root`) may differ since `cache` last loaded
/// it, as a file watcher reports them: the folders are not listed again
/// and the other files are not looked at (unless the last read of one was
/// too close to its last change to be sure of). Every check across files
/// still runs, so the result is what [`load`] gives, as long as `changed`
/// is complete. A change that is not a file in a kind's folder (a folder,
/// `site.toml`, a path outside `root`), or a cache that has not loaded this
/// folder, makes it a full [`load_with`].
pub fn load_changed(root: &Path, cache: &mut LoadCache, changed: &[PathBuf]) -> Result<Snapshot, LoadError> {
    load_cached(root, cache, Some(changed))
}

fn load_cached(root: &Path, cache: &mut LoadCache, changed: Option<&[PathBuf]>) -> Result<Snapshot, LoadError> {
    let root_error = |reason| LoadError::Root { path: root.to_owned(), reason };
    let canonical_root = root.canonicalize().map_err(root_error)?;
    if !canonical_root.is_dir() {
        return Err(root_error(std::io::Error::new(std::io::ErrorKind::NotADirectory, "not a folder")));
    }
    if cache.root.as_ref() != Some(&canonical_root) {
        *cache = LoadCache {
            root: Some(canonical_root.clone()),
            settle: cache.settle,
            store: cache.store.take(),
            ..LoadCache::default()
        };
        if let Some(dir) = &cache.store {
            // Read while the folders are listed ([`LoadCache::finish_reading`]).
            cache.pending = Some(store::Pending::start(store::file_for(dir, &canonical_root), canonical_root.clone()));
            cache.spool = store::Spool::create(dir, &canonical_root);
        }
    }
    // What checking each file found, if a start that took the snapshot
    // whole left it encoded.
    cache.decode_checks();
    // Only files in a kind's folder can be taken one by one; the paths are
    // kept relative to the root, as discovery names files.
    let changed = changed.and_then(|paths| {
        paths
            .iter()
            .map(|p| {
                let rel = match p.strip_prefix(&canonical_root).or_else(|_| p.strip_prefix(root)) {
                    Ok(rel) => rel,
                    Err(_) if p.is_relative() => p.as_path(),
                    Err(_) => return None,
                };
                let mut parts = rel.components();
                let (Some(std::path::Component::Normal(folder)), Some(std::path::Component::Normal(_)), None) =
                    (parts.next(), parts.next(), parts.next())
                else {
                    return None;
                };
                Kind::from_folder(&folder.to_string_lossy()).filter(|k| *k != Kind::Topic).map(|_| rel.to_path_buf())
            })
            .collect::<Option<HashSet<PathBuf>>>()
    });
    let mut loader = Loader {
        changed,
        root: canonical_root,
        diagnostics: Vec::new(),
        site_url: None,
        broken: Vec::new(),
        references_unknown: false,
        cache: std::mem::take(cache),
        next: Parts::default(),
        next_checks: HashMap::default(),
        checks_context: 0,
        fresh: std::sync::atomic::AtomicUsize::new(0),
        checked: 0,
        contexts: HashMap::default(),
        existing: None,
        referenced: None,
        whole: false,
    };
    if let Some(snapshot) = loader.patch() {
        let files_read = *loader.fresh.get_mut();
        *cache = std::mem::take(&mut loader.cache);
        cache.files_read = files_read;
        cache.dirty |= files_read > 0 || loader.checked > 0;
        cache.patched = true;
        cache.whole = false;
        return Ok(snapshot);
    }
    // What a patch that could not be made left behind.
    *loader.fresh.get_mut() = 0;
    loader.checked = 0;
    loader.diagnostics.clear();
    let snapshot = loader.run();
    cache.patched = false;
    cache.whole = loader.whole;
    cache.imaged = loader.cache.imaged;
    cache.git = loader.cache.git.take();
    cache.unchecked = loader.cache.unchecked.take();
    cache.raw_checks = loader.cache.raw_checks.take();
    cache.root = loader.cache.root.take();
    cache.site = loader.cache.site.take();
    cache.parts = std::mem::take(&mut loader.next);
    cache.checks = std::mem::take(&mut loader.next_checks);
    cache.discovered = loader.cache.discovered.take();
    cache.settle = loader.cache.settle;
    cache.store = loader.cache.store.take();
    cache.spool = loader.cache.spool.take();
    cache.status = std::mem::replace(&mut loader.cache.status, StoreStatus::Unused);
    // Whether the parts differ from what the disk has: anything read or
    // checked afresh, a kept file no longer there, or no usable cache.
    let gone = loader.cache.restored.as_ref().is_some_and(|r| r.files() != cache.parts.len());
    cache.files_read = *loader.fresh.get_mut();
    cache.dirty = loader.cache.dirty || gone || cache.files_read > 0 || loader.checked > 0;
    if loader.whole {
        // Nothing was read, parsed or checked: the cache stays as it is,
        // and the next one begun for this load (empty) is let go now, not
        // left in the cache folder if the process is stopped before it
        // would have been.
        cache.dirty = false;
        cache.spool = None;
    }
    cache.site_key = loader.cache.site_key;
    let mut diagnostics = loader.diagnostics;
    sort_diagnostics(&mut diagnostics);
    cache.last = None;
    if diagnostics.iter().any(Diagnostic::is_error) {
        return Err(LoadError::Invalid { diagnostics });
    }
    let mut snapshot = snapshot.ok_or(LoadError::Invalid { diagnostics: Vec::new() })?;
    snapshot.warnings = diagnostics;
    if !cache.imaged {
        // The next start could take this load whole.
        cache.dirty = true;
    }
    if let Some(existing) = loader.existing.take() {
        cache.last = Some(Last {
            snapshot: snapshot.clone(),
            existing,
            contexts: loader.contexts,
            referenced: loader.referenced.take().unwrap_or_default(),
            references_unknown: loader.references_unknown,
        });
    }
    Ok(snapshot)
}

/// A file's text with where its parts are, for turning the byte ranges
/// the parsers report into places in the file.
struct Source {
    /// Relative path.
    path: PathBuf,
    /// The text the file is a part of, shared with the body: the file as
    /// read (without a byte-order mark), or its text as the parse cache
    /// keeps it on disk.
    text: Text,
    /// Where the file is in `text`.
    file: Range<usize>,
    /// Where the front matter is in `text` (all of the file for `.toml`
    /// files). Every range of a `Source` is a range of `text`.
    front: Range<usize>,
    /// Where the body is in `text` (empty for `.toml` files).
    body: Range<usize>,
}

/// One step on the way from the top of a TOML document to a value.
#[derive(Clone, Copy)]
enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

impl Source {
    /// A TOML file: front matter only.
    fn whole(path: &Path, text: String) -> Source {
        let end = text.len();
        Source { path: path.to_owned(), text: Text::from(text), file: 0..end, front: 0..end, body: end..end }
    }

    /// The file's text.
    fn file_text(&self) -> Cow<'_, str> {
        self.text.slice(self.file.clone())
    }

    /// A range of `text` as a range of the file.
    fn in_file(&self, span: Range<usize>) -> Range<usize> {
        span.start.saturating_sub(self.file.start)..span.end.saturating_sub(self.file.start)
    }

    fn front_text(&self) -> Cow<'_, str> {
        self.text.slice(self.front.clone())
    }

    fn body_text(&self) -> Cow<'_, str> {
        self.text.slice(self.body.clone())
    }

    /// A range of the front matter as a range of `text`.
    fn in_front(&self, span: Range<usize>) -> Range<usize> {
        self.front.start + span.start..self.front.start + span.end
    }

    /// A range of the body as a range of `text`.
    fn in_body(&self, span: Range<usize>) -> Range<usize> {
        self.body.start + span.start..self.body.start + span.end
    }

    fn error(&self, span: Range<usize>, message: impl Into<String>) -> Diagnostic {
        Diagnostic::error_at(&self.path, &self.file_text(), self.in_file(span), message)
    }

    fn warning(&self, span: Range<usize>, message: impl Into<String>) -> Diagnostic {
        Diagnostic::warning_at(&self.path, &self.file_text(), self.in_file(span), message)
    }

    /// Where the value at `path` is written, as a range of `text`.
    ///
    /// The front matter is parsed again, this time into TOML's own spanned
    /// tree rather than the model types: the model keeps no spans for
    /// values checked after parsing. Only called when there is a problem to
    /// report, so valid content is parsed once.
    fn value_span(&self, path: &[Step<'_>]) -> Option<Range<usize>> {
        let front = self.front_text();
        let (table, _) = toml::de::DeTable::parse_recoverable(&front);
        let (first, rest) = path.split_first()?;
        let Step::Key(key) = first else { return None };
        let mut value = table.get_ref().get(*key)?;
        for step in rest {
            value = match step {
                Step::Key(key) => value.get_ref().get(*key)?,
                Step::Index(i) => value.get_ref().get(*i)?,
            };
        }
        Some(self.in_front(value.span()))
    }

    /// An error about the value at `path`, or about the start of the front
    /// matter when that value cannot be found.
    fn value_error(&self, path: &[Step<'_>], message: impl Into<String>) -> Diagnostic {
        let span = self.value_span(path).unwrap_or(self.front.start..self.front.start);
        self.error(span, message)
    }
}

/// The list of the old site's addresses, at the content root.
pub const LEGACY_FILE: &str = "legacy.toml";

/// What a load keeps for the next load of the same folder: each content
/// file's parse, with what identified the file's bytes when it was read.
/// Pass the same cache to [`load_with`] again; it is safe to drop at any
/// time (the next load then reads and parses everything).
#[derive(Default)]
pub struct LoadCache {
    /// The folder the parts are from.
    root: Option<PathBuf>,
    /// The settings the parts were parsed under.
    site: Option<Site>,
    parts: Parts,
    /// What checking each file against the rest found, and under what.
    checks: HashMap<PathBuf, CheckedPart>,
    /// What the last listing of the folders found, kept up to date with
    /// the changed files [`load_changed`] is told of.
    discovered: Option<Discovered>,
    /// How long after its last change a file's stamp is trusted; `None`
    /// for the default, [`SETTLE`].
    settle: Option<std::time::Duration>,
    /// The folder the parts are kept in between runs, if any.
    store: Option<PathBuf>,
    /// What the first load found there.
    status: StoreStatus,
    /// The parts read from there, until a load uses them.
    restored: Option<store::Restored>,
    /// The next cache file, which the texts a load reads are left in
    /// (instead of held) until [`LoadCache::keep`] finishes it.
    spool: Option<store::Spool>,
    /// Whether the parts differ from the ones kept there.
    dirty: bool,
    /// A hash of the site settings the parts were parsed under.
    site_key: u64,
    /// How many content files the last load read.
    files_read: usize,
    /// What the last load built, if it succeeded.
    last: Option<Last>,
    /// Whether the last load patched the snapshot before it.
    patched: bool,
    /// Whether the last load took the snapshot kept whole on disk.
    whole: bool,
    /// Whether the cache on disk keeps the last successful load whole.
    imaged: bool,
    /// The state of the git repository the folder is in, at the last load.
    git: Option<String>,
    /// The kept texts a load which read none of them left unchecked, for
    /// [`LoadCache::keep`] to check.
    unchecked: Option<store::Unchecked>,
    /// The cache on disk being read, until the first load needs it.
    pending: Option<store::Pending>,
    /// What checking each file found as the cache on disk kept it, not
    /// decoded yet (a start that took the snapshot whole did not need it).
    raw_checks: Option<store::RawChecks>,
}

/// How long after its last change a file's stamp is trusted: a write in the
/// same clock tick as a read could leave the stamp as it was.
const SETTLE: std::time::Duration = std::time::Duration::from_secs(2);

impl LoadCache {
    /// Sets how long after its last change a file's size, times and inode
    /// are trusted to stand for its bytes (2 s unless set). Tests that write
    /// files and load at once set it to zero, so that what they check does
    /// not depend on the clock.
    pub fn with_settle_time(mut self, settle: std::time::Duration) -> LoadCache {
        self.settle = Some(settle);
        self
    }

    /// A cache that also keeps its parts in the folder `dir` between runs
    /// (one file per content folder; see [`LoadCache::keep`]). The first
    /// load reads what is kept there for its folder, when it was written by
    /// this version of Tessera under the same site settings and is whole:
    /// a kept file whose stamp is unchanged is then neither read nor parsed
    /// again. A damaged or foreign cache is refused, never trusted
    /// ([`LoadCache::store_status`] says why), and written again by the next
    /// [`LoadCache::keep`].
    pub fn kept_in(dir: impl Into<PathBuf>) -> LoadCache {
        LoadCache { store: Some(dir.into()), ..LoadCache::default() }
    }

    /// How many content files the last load read from the folder (the
    /// others were taken from this cache, or from the one kept on disk).
    pub fn files_read(&self) -> usize {
        self.files_read
    }

    /// Whether the last load patched the snapshot of the load before it
    /// instead of building one: what [`load_changed`] does when the few
    /// changed files (edited, new, deleted or renamed) parse without
    /// errors and change nothing that other files' checks read: their
    /// visibility, a page's legacy URLs, an item another file names going
    /// away. The result is the same either way.
    pub fn patched(&self) -> bool {
        self.patched
    }

    /// Whether the last load took the snapshot that the cache on disk kept
    /// whole: nothing changed since a successful load kept it (settings,
    /// listing, every file's stamp, the git commit), so nothing was parsed
    /// or checked. The next load uses the kept parts as usual.
    pub fn restored_whole(&self) -> bool {
        self.whole
    }

    /// Waits for the cache on disk being read, if it is, and takes what
    /// it holds.
    fn finish_reading(&mut self) {
        let Some(pending) = self.pending.take() else { return };
        match pending.finish() {
            Ok(Some(restored)) => {
                self.status = StoreStatus::Read { files: restored.files() };
                self.imaged = restored.has_image();
                self.restored = Some(restored);
            }
            Ok(None) => self.status = StoreStatus::Missing,
            Err(why) => self.status = StoreStatus::Refused(why),
        }
        self.dirty = !matches!(self.status, StoreStatus::Read { .. });
    }

    /// Decodes what checking each file found, if it is still as the cache
    /// on disk kept it.
    fn decode_checks(&mut self) {
        if let Some(raw) = self.raw_checks.take()
            && self.checks.is_empty()
        {
            self.checks = raw.decode();
        }
    }

    /// What the first load found in the folder given to [`LoadCache::kept_in`].
    pub fn store_status(&self) -> &StoreStatus {
        &self.status
    }

    /// Writes the parts to the folder given to [`LoadCache::kept_in`], if
    /// they differ from what is kept there: `Ok(true)` when written. The
    /// file is written beside the old one and renamed over it, so a failed
    /// write (a full disk) leaves the old one, which is still checked file
    /// by file when used.
    pub fn keep(&mut self) -> std::io::Result<bool> {
        if self.store.is_none() || self.root.is_none() {
            return Ok(false);
        }
        // The texts a start that took the snapshot whole did not check: a
        // damaged one gets the cache written again (the texts read from
        // the content files when damaged).
        if let Some(unchecked) = self.unchecked.take() {
            let why = match unchecked.check() {
                Ok(true) => None,
                Ok(false) => Some("it is truncated or damaged".to_owned()),
                Err(e) => Some(format!("cannot read it: {e}")),
            };
            if let Some(why) = why {
                self.status = StoreStatus::Refused(why);
                self.dirty = true;
            }
        }
        if !self.dirty {
            self.spool = None;
            return Ok(false);
        }
        self.decode_checks();
        let (Some(dir), Some(root)) = (&self.store, &self.root) else { return Ok(false) };
        let image =
            self.last.as_ref().and_then(|last| image_of(&last.snapshot, self.discovered.as_ref()?, self.git.clone()));
        self.imaged = image.is_some();
        let keep = store::Keep { root, site: self.site_key, parts: &self.parts, checks: &self.checks, image };
        store::write(&store::file_for(dir, root), &keep, self.spool.take())?;
        self.dirty = false;
        Ok(true)
    }
}

/// The content files found by listing the folders, and what the listing
/// reported (unknown entries, names that are not content), by path.
#[derive(Clone)]
struct Discovered {
    found: Vec<Found>,
    notes: Vec<Diagnostic>,
}

/// The result of checking one file's references and links, valid while
/// the file and what it was checked against are the same.
#[derive(Clone)]
struct CheckedPart {
    /// The file's hash.
    hash: u64,
    /// A hash of what the check read besides the file: which slugs exist
    /// as what, which have an original, the default locale, the base URL.
    context: u64,
    /// Shared, not copied, by every reload that finds the file unchanged.
    diagnostics: Arc<[Diagnostic]>,
    referenced: Arc<[ItemId]>,
}

impl std::fmt::Debug for LoadCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadCache").field("root", &self.root).field("files", &self.parts.len()).finish()
    }
}

/// Each file's part, by path. In insertion order, which nothing reads: an
/// index map keeps its entries in one list, where a hash map of them
/// would leave half its slots empty (40 MB at 100,000 files).
type Parts = indexmap::IndexMap<PathBuf, CachedPart, rustc_hash::FxBuildHasher>;

/// One file's parse, shared with the snapshots that hold its document.
#[derive(Clone)]
struct CachedPart {
    stamp: Stamp,
    /// When the read that gave `part` began.
    read_at: std::time::SystemTime,
    /// A hash of the bytes and the path.
    hash: u64,
    part: Part,
}

/// A parse of one file of one kind.
#[derive(Clone)]
enum Part {
    Page(Result<Parsed<Page>, Broken>),
    Measure(Result<Parsed<Measure>, Broken>),
    Partner(Result<Parsed<Partner>, Broken>),
    Story(Result<Parsed<Story>, Broken>),
    Media(Result<Parsed<Media>, Broken>),
}

/// The kinds of file that have a [`Part`].
trait Cached: Item + DeserializeOwned + serde::Serialize + PartialEq + Clone {
    fn part(result: Result<Parsed<Self>, Broken>) -> Part;
    fn of(part: &Part) -> Option<&Result<Parsed<Self>, Broken>>;
    /// This kind's documents in a snapshot being patched.
    fn slot(snapshot: &mut Snapshot) -> &mut Collection<Self>;
    /// The checks of one file that only this kind has, and that read
    /// nothing but the file.
    fn own_checks(loader: &mut Loader, parsed: &Parsed<Self>);
    /// Whether what other files' checks and the snapshot's indexes read of
    /// an item of this kind, beyond what every kind has, is the same in
    /// `a` and `b`.
    fn same_for_others(a: &Self, b: &Self) -> bool;
    /// Whether a new or deleted item of this kind leaves what other files'
    /// checks read as it was (beyond what every kind has).
    fn quiet(meta: &Self) -> bool;
}

macro_rules! cached {
    ($($ty:ident: $field:ident, |$l:ident, $p:ident| $own:expr, |$a:ident, $b:ident| $same:expr, |$q:ident| $quiet:expr;)*) => {$(
        impl Cached for $ty {
            fn part(result: Result<Parsed<Self>, Broken>) -> Part {
                Part::$ty(result)
            }
            fn of(part: &Part) -> Option<&Result<Parsed<Self>, Broken>> {
                match part {
                    Part::$ty(r) => Some(r),
                    _ => None,
                }
            }
            fn slot(snapshot: &mut Snapshot) -> &mut Collection<Self> {
                &mut snapshot.$field
            }
            fn own_checks($l: &mut Loader, $p: &Parsed<Self>) {
                $own
            }
            fn same_for_others($a: &Self, $b: &Self) -> bool {
                $same
            }
            fn quiet($q: &Self) -> bool {
                $quiet
            }
        }
    )*};
}
cached! {
    // A page's legacy URLs are checked against the other pages' and the
    // list's, and make the index of old addresses.
    Page: pages, |loader, parsed| loader.check_page_quotes(parsed), |a, b| a.legacy_urls == b.legacy_urls,
        |page| page.legacy_urls.is_empty();
    Measure: measures, |_loader, _parsed| (), |_a, _b| true, |_measure| true;
    Partner: partners, |_loader, _parsed| (), |_a, _b| true, |_partner| true;
    Story: stories, |_loader, _parsed| (), |_a, _b| true, |_story| true;
    Media: media, |loader, parsed| loader.check_media_alt(parsed), |_a, _b| true, |_media| true;
}

/// What identifies a file's bytes without reading them: its size,
/// modification and change times and inode. Trusted only when the read
/// began well after the file last changed (a write within the same clock
/// tick as the read would leave the stamp as it was). The change time is
/// the one to go by: tools may set a file's modification time to the past
/// (`touch -d`, `rsync -t`), but not its change time.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
struct Stamp {
    len: u64,
    modified: Option<std::time::SystemTime>,
    changed: (i64, i64),
    inode: (u64, u64),
}

impl Stamp {
    fn of(meta: &std::fs::Metadata) -> Stamp {
        #[cfg(unix)]
        let (changed, inode) = {
            use std::os::unix::fs::MetadataExt;
            ((meta.ctime(), meta.ctime_nsec()), (meta.dev(), meta.ino()))
        };
        #[cfg(not(unix))]
        let (changed, inode) = ((0, 0), (0, 0));
        Stamp { len: meta.len(), modified: meta.modified().ok(), changed, inode }
    }

    /// A stamp from what `statx` found, as [`Stamp::of`] makes it from the
    /// same call made by path.
    #[cfg(target_os = "linux")]
    fn of_statx(st: &rustix::fs::Statx) -> Stamp {
        let time = |t: rustix::fs::StatxTimestamp| {
            let nanos = std::time::Duration::from_nanos(u64::from(t.tv_nsec));
            match u64::try_from(t.tv_sec) {
                Ok(secs) => std::time::UNIX_EPOCH.checked_add(std::time::Duration::from_secs(secs) + nanos),
                Err(_) => std::time::UNIX_EPOCH
                    .checked_sub(std::time::Duration::from_secs(t.tv_sec.unsigned_abs()))
                    .and_then(|t| t.checked_add(nanos)),
            }
        };
        Stamp {
            len: st.stx_size,
            modified: time(st.stx_mtime),
            changed: (st.stx_ctime.tv_sec, i64::from(st.stx_ctime.tv_nsec)),
            inode: (libc::makedev(st.stx_dev_major, st.stx_dev_minor), st.stx_ino),
        }
    }

    /// Whether a read that began at `read_at` certainly saw the bytes this
    /// stamp stands for.
    fn settled(&self, read_at: std::time::SystemTime, settle: std::time::Duration) -> bool {
        let (secs, nanos) = self.changed;
        let changed = match (u64::try_from(secs), u32::try_from(nanos)) {
            (Ok(s), Ok(n)) if cfg!(unix) => Some(std::time::UNIX_EPOCH + std::time::Duration::new(s, n)),
            _ => self.modified,
        };
        changed.is_some_and(|c| c + settle < read_at)
    }
}

/// Each found file's stamp, or `None` where it cannot be looked at. On
/// Linux each folder is opened once and its files are looked up in it: a
/// lookup by the whole path walks the same folders again for every file,
/// an eighth of a warm start at 100,000 files.
fn stamps_of(root: &Path, found: &[Found]) -> Vec<Option<Stamp>> {
    let by_path = |f: &Found| std::fs::metadata(root.join(&f.path)).ok().map(|m| Stamp::of(&m));
    #[cfg(target_os = "linux")]
    {
        use rustix::fs::{AtFlags, StatxFlags, statx};
        use std::os::unix::fs::OpenOptionsExt;
        // Only a folder is opened, without blocking: a FIFO put in the
        // place of one must not hang the start.
        let open = |dir: &Path| {
            std::fs::OpenOptions::new().read(true).custom_flags(libc::O_DIRECTORY | libc::O_NONBLOCK).open(dir)
        };
        found
            .par_chunks(512)
            .flat_map_iter(|chunk| {
                let mut folder: Option<(&Path, Option<std::fs::File>)> = None;
                chunk.iter().map(move |f| {
                    let (Some(parent), Some(name)) = (f.path.parent(), f.path.file_name()) else { return by_path(f) };
                    if folder.as_ref().is_none_or(|(p, _)| *p != parent) {
                        folder = Some((parent, open(&root.join(parent)).ok()));
                    }
                    match folder.as_ref().and_then(|(_, dir)| dir.as_ref()) {
                        Some(dir) => match statx(dir, name, AtFlags::empty(), StatxFlags::BASIC_STATS) {
                            Ok(st) => Some(Stamp::of_statx(&st)),
                            Err(_) => by_path(f),
                        },
                        None => by_path(f),
                    }
                })
            })
            .collect()
    }
    #[cfg(not(target_os = "linux"))]
    found.par_iter().map(by_path).collect()
}

/// A file's parse, or why it failed.
type ParseResult<T> = Result<Parsed<T>, Broken>;

/// One parsed file of kind `T`.
#[derive(Clone)]
struct Parsed<T> {
    doc: Arc<Document<T>>,
    source: Arc<Source>,
    hash: u64,
    /// The file's size in bytes, as read (git compares it with the index).
    #[cfg_attr(not(feature = "git"), allow(dead_code))]
    size: u64,
}

struct Loader {
    /// The files the caller says may have changed, relative to the root;
    /// `None` when any file may have.
    changed: Option<HashSet<PathBuf>>,
    root: PathBuf,
    diagnostics: Vec<Diagnostic>,
    /// The site's base URL, once `site.toml` is read: addresses under it
    /// that name items are item links.
    site_url: Option<String>,
    /// Files whose front matter did not parse, kept for what can still be
    /// checked: their bodies, and what they refer to.
    broken: Vec<Arc<(Source, Body)>>,
    /// Whether some item file could not even be read or split into front
    /// matter and body, so that what it refers to is unknown.
    references_unknown: bool,
    /// What the last load parsed.
    cache: LoadCache,
    /// What this load parsed, for the next one.
    next: Parts,
    /// What this load's checks found, for the next one.
    next_checks: HashMap<PathBuf, CheckedPart>,
    /// A hash of which slugs exist as what, the default locale and the
    /// base URL: what every file's checks read besides the file.
    checks_context: u64,
    /// How many files this load read.
    fresh: std::sync::atomic::AtomicUsize,
    /// How many files this load checked afresh.
    checked: usize,
    /// The hash each kind's checks ran under ([`CheckedPart::context`]).
    contexts: HashMap<Kind, u64>,
    /// Which kinds each slug names, once checked.
    existing: Option<Arc<Existing>>,
    /// How many files name each item, once checked.
    referenced: Option<Referenced>,
    /// Whether the snapshot is the one kept whole in the cache.
    whole: bool,
}

/// Which kinds of item (and topics) each slug names: what references and
/// links are checked against.
type Existing = HashMap<String, BTreeSet<Kind>>;

/// A content file found on disk, not read yet.
#[derive(Clone)]
struct Found {
    kind: Kind,
    slug: String,
    locale: Locale,
    path: PathBuf,
}

impl Loader {
    fn run(&mut self) -> Option<Snapshot> {
        let site = self.read_toml::<Site>(Path::new("site.toml"), true);
        let topics = self.read_toml::<Topics>(Path::new("topics.toml"), false);
        let legacy = self.read_toml::<Legacy>(Path::new(LEGACY_FILE), false);
        let site = site.map(|(site, src)| {
            self.check_site(&site, &src);
            site
        });
        self.site_url = site.as_ref().map(|s| s.base_url.clone());
        if self.cache.site != site {
            self.cache.parts.clear();
            self.cache.discovered = None;
            self.cache.site = site.clone();
        }
        self.cache.site_key = store::site_key(site.as_ref());
        let topics = topics.map(|(t, src)| {
            self.check_topics(&t, &src);
            t.topics
        });
        let found = match self.rediscover(site.as_ref()) {
            Some(found) => found,
            None => {
                let first = self.diagnostics.len();
                let found = self.discover(site.as_ref());
                let notes = self.diagnostics[first..].to_vec();
                self.cache.discovered = Some(Discovered { found: found.clone(), notes });
                found
            }
        };
        // Each file's stamp, while the cache on disk is still being read
        // (the first load of a folder): a start that finds every file as
        // the cache kept it takes the snapshot whole.
        let stamps = (self.cache.pending.as_ref().is_some_and(store::Pending::reading) && self.changed.is_none())
            .then(|| stamps_of(&self.root, found.as_slice()));
        self.cache.finish_reading();
        if let Some(restored) = &self.cache.restored
            && !restored.is_for(self.cache.site_key)
        {
            self.cache.restored = None;
            self.cache.status = StoreStatus::Refused("the site settings changed".to_owned());
        }
        if self.cache.store.is_some() {
            self.cache.git = git_state(&self.root);
        }
        // A start that finds nothing changed since the last successful
        // load takes that load's snapshot from the cache, whole.
        if let Some(image) = self.cache.restored.as_mut().and_then(store::Restored::take_image)
            && let Some(site) = &site
        {
            let topics = topics.clone().unwrap_or_default();
            let legacy = legacy.as_ref().map(|(l, _)| l.addresses.clone()).unwrap_or_default();
            if let Some(snapshot) = self.whole(image, site, topics, legacy, &found, stamps.as_deref()) {
                return Some(snapshot);
            }
            // What the cache keeps whole is not this load: a successful
            // one is kept instead.
            self.cache.imaged = false;
        }
        if let Some(restored) = &mut self.cache.restored
            && self.cache.checks.is_empty()
        {
            self.cache.checks = restored.take_checks();
        }
        // The kept texts are checked before any is used.
        if let Some(restored) = &mut self.cache.restored {
            let why = match restored.texts_whole() {
                Ok(true) => None,
                Ok(false) => Some("it is truncated or damaged".to_owned()),
                Err(e) => Some(format!("cannot read it: {e}")),
            };
            if let Some(why) = why {
                self.cache.restored = None;
                self.cache.status = StoreStatus::Refused(why);
                self.cache.dirty = true;
            }
        }

        #[cfg_attr(not(feature = "git"), allow(unused_mut))]
        let mut pages = self.parse_all::<Page>(&found, Kind::Page);
        #[cfg_attr(not(feature = "git"), allow(unused_mut))]
        let mut measures = self.parse_all::<Measure>(&found, Kind::Measure);
        #[cfg_attr(not(feature = "git"), allow(unused_mut))]
        let mut partners = self.parse_all::<Partner>(&found, Kind::Partner);
        #[cfg_attr(not(feature = "git"), allow(unused_mut))]
        let mut stories = self.parse_all::<Story>(&found, Kind::Story);
        #[cfg_attr(not(feature = "git"), allow(unused_mut))]
        let mut media = self.parse_all::<Media>(&found, Kind::Media);
        if let Some(restored) = &mut self.cache.restored {
            restored.done_taking();
        }
        // In a git repository, a file committed as it is changed when its
        // last commit did; its modification time only says when it was
        // checked out.
        #[cfg(feature = "git")]
        {
            fn files<T>(parsed: &[Parsed<T>], out: &mut Vec<(PathBuf, u64, Option<chrono::DateTime<chrono::Utc>>)>) {
                out.extend(parsed.iter().map(|p| (p.doc.path.clone(), p.size, p.doc.modified)));
            }
            fn date<T: Clone>(
                parsed: &mut [Parsed<T>],
                dates: &std::collections::HashMap<PathBuf, chrono::DateTime<chrono::Utc>>,
            ) {
                for p in parsed {
                    if let Some(d) = dates.get(&p.doc.path)
                        && p.doc.modified != Some(*d)
                    {
                        Arc::make_mut(&mut p.doc).modified = Some(*d);
                    }
                }
            }
            let mut all = Vec::new();
            files(&pages, &mut all);
            files(&measures, &mut all);
            files(&partners, &mut all);
            files(&stories, &mut all);
            files(&media, &mut all);
            let dates = crate::history::last_commits(&self.root, &all);
            date(&mut pages, &dates);
            date(&mut measures, &dates);
            date(&mut partners, &dates);
            date(&mut stories, &dates);
            date(&mut media, &dates);
        }

        let topics = topics.unwrap_or_default();
        let topic_slugs: HashSet<&str> = topics.iter().map(|t| t.slug.as_str()).collect();
        let mut existing: Existing = HashMap::default();
        for f in &found {
            match existing.get_mut(f.slug.as_str()) {
                Some(kinds) => {
                    kinds.insert(f.kind);
                }
                None => {
                    existing.insert(f.slug.clone(), BTreeSet::from([f.kind]));
                }
            }
        }
        for t in &topic_slugs {
            existing.entry((*t).to_owned()).or_default().insert(Kind::Topic);
        }
        let default_locale = site.as_ref().map(|s| s.default_locale.clone());

        let mut referenced: Referenced = HashMap::default();
        let existing_hash = {
            let mut names: Vec<(&str, &BTreeSet<Kind>)> = existing.iter().map(|(s, k)| (s.as_str(), k)).collect();
            names.sort_unstable();
            let mut h = xxhash_rust::xxh3::Xxh3::new();
            h.update(format!("{default_locale:?}{:?}", self.site_url).as_bytes());
            for (slug, kinds) in names {
                h.update(slug.as_bytes());
                h.update(&kinds.iter().map(|k| *k as u8).collect::<Vec<u8>>());
                h.update(b"\0");
            }
            h.digest()
        };
        self.checks_context = existing_hash;
        // Without the site settings (site.toml missing or unreadable), the
        // files are not checked against each other: which translations
        // exist depends on the locales, and every link to one would be
        // reported broken, burying the one error that matters.
        let Some(site) = site else {
            self.push(
                Diagnostic::warning(Path::new("site.toml"), (0, 0), "references and links were not checked")
                    .with_help("they are checked once `site.toml` can be read"),
            );
            return None;
        };
        self.check_items(&pages, &existing, &mut referenced, default_locale.as_ref());
        self.check_items(&measures, &existing, &mut referenced, default_locale.as_ref());
        self.check_items(&partners, &existing, &mut referenced, default_locale.as_ref());
        self.check_items(&stories, &existing, &mut referenced, default_locale.as_ref());
        self.check_items(&media, &existing, &mut referenced, default_locale.as_ref());
        self.check_broken(&existing, &mut referenced);
        self.check_pages(&pages);
        let legacy = legacy.map(|(legacy, src)| {
            self.check_legacy(&legacy, &src, &pages, &existing);
            legacy.addresses
        });
        self.existing = Some(Arc::new(existing));
        self.check_media(&media);
        self.warn_unreferenced(&measures, &referenced);
        self.warn_unreferenced(&partners, &referenced);
        self.warn_unreferenced(&stories, &referenced);
        self.warn_unreferenced(&media, &referenced);
        self.referenced = Some(referenced);

        fn docs<T>(parsed: Vec<Parsed<T>>) -> Vec<Arc<Document<T>>> {
            parsed.into_iter().map(|p| p.doc).collect()
        }
        let all = (docs(pages), docs(measures), docs(partners), docs(stories), docs(media));
        Some(assemble(site, topics, legacy.unwrap_or_default(), all))
    }

    /// The snapshot kept whole in the cache, if it was built from what the
    /// folder holds now: under the same settings, from the same listing,
    /// every file with the stamp kept for it, and in a git repository at
    /// the same commit and index. `None` otherwise (the load then goes on
    /// as usual, with the kept parts). `stamps`: each found file's stamp,
    /// if already looked at (`None` where it could not be).
    fn whole(
        &mut self,
        image: store::Image,
        site: &Site,
        topics: Vec<crate::model::Topic>,
        legacy: Vec<crate::model::LegacyAddress>,
        found: &[Found],
        stamps: Option<&[Option<Stamp>]>,
    ) -> Option<Snapshot> {
        if self.diagnostics.iter().any(Diagnostic::is_error)
            || image.docs.len() != found.len()
            || image.settings != settings_hash(site, &topics, &legacy)
            || image.git != self.cache.git
            || Some(image.listing) != self.cache.discovered.as_ref().map(listing_hash)
        {
            return None;
        }
        let restored = self.cache.restored.as_ref()?;
        let settle = self.cache.settle.unwrap_or(SETTLE);
        let root = &self.root;
        let unchanged = found.par_iter().enumerate().all(|(i, f)| {
            restored.stamp_of(&f.path, i).is_some_and(|(stamp, read_at, _)| {
                let now = match stamps {
                    Some(stamps) => stamps.get(i).cloned().flatten(),
                    None => std::fs::metadata(root.join(&f.path)).ok().map(|m| Stamp::of(&m)),
                };
                stamp.settled(read_at, settle) && now == Some(stamp)
            })
        });
        if !unchanged {
            return None;
        }
        let docs: Vec<(&Found, &store::ImageDoc)> = found.iter().zip(&image.docs).collect();
        if docs.iter().any(|(f, d)| f.kind != d.kind || path_hash(&f.path) != d.path) {
            return None;
        }
        let url = self.site_url.as_deref();
        let made = (
            image_docs(&docs, restored, url)?,
            image_docs(&docs, restored, url)?,
            image_docs(&docs, restored, url)?,
            image_docs(&docs, restored, url)?,
            image_docs(&docs, restored, url)?,
        );
        drop(docs);
        // The kept JSON let go before the indexes are built, which then
        // reuse its memory.
        let store::Image { docs: kept_json, warnings, .. } = image;
        drop(kept_json);
        let docs = (made.0.0, made.1.0, made.2.0, made.3.0, made.4.0);
        let kept = [made.0.1, made.1.1, made.2.1, made.3.1, made.4.1];
        if let Some(restored) = &mut self.cache.restored {
            restored.done_taking();
            self.cache.unchecked = Some(restored.check_texts_later());
        }
        // What checking each file found stays for the next load (as kept,
        // if this is the first: the next load decodes it).
        self.next_checks = std::mem::take(&mut self.cache.checks);
        if self.next_checks.is_empty() {
            self.cache.raw_checks = self.cache.restored.as_mut().and_then(store::Restored::take_raw_checks);
        }
        self.diagnostics = warnings.into_iter().map(store::diagnostic).collect();
        self.whole = true;
        // The parts for the next load while the snapshot is assembled.
        let next = &mut self.next;
        let (snapshot, ()) = rayon::join(
            || assemble(site.clone(), topics, legacy, docs),
            || {
                next.reserve(kept.iter().map(Vec::len).sum());
                next.extend(kept.into_iter().flatten());
            },
        );
        Some(snapshot)
    }

    fn push(&mut self, d: Diagnostic) {
        self.diagnostics.push(d);
    }

    /// Reads and parses a whole-file TOML document such as `site.toml`.
    fn read_toml<T: DeserializeOwned>(&mut self, rel: &Path, required: bool) -> Option<(T, Source)> {
        let full = self.root.join(rel);
        if !full.exists() && !full.is_symlink() {
            if required {
                self.push(Diagnostic::error(rel, (0, 0), format!("`{}` is missing", rel.display())).with_help(
                    "every content folder needs a site.toml with title, base_url, default_locale and locales",
                ));
            }
            return None;
        }
        // Files at the root: their folder is the (canonical) root itself.
        let text = match read_checked(&self.root, rel, rel.components().count() == 1, None) {
            Ok((text, _, _)) => text,
            Err(d) => {
                self.push(d);
                return None;
            }
        };
        let source = Source::whole(rel, text);
        match parse_front::<T>(&source, None) {
            Ok(value) => Some((value, source)),
            Err(d) => {
                self.push(d);
                None
            }
        }
    }

    fn check_site(&mut self, site: &Site, src: &Source) {
        if !(site.base_url.starts_with("https://") || site.base_url.starts_with("http://")) {
            self.push(
                src.value_error(
                    &[Step::Key("base_url")],
                    format!("base_url `{}` is not an absolute http(s) URL", site.base_url),
                )
                .with_help("write the address the site is published at, e.g. `https://example.org/`"),
            );
        }
        let codes: Vec<&Locale> = site.locales.iter().map(|l| &l.code).collect();
        if !codes.contains(&&site.default_locale) {
            self.push(
                src.value_error(
                    &[Step::Key("default_locale")],
                    format!("the default locale `{}` is not among `locales`", site.default_locale),
                )
                .with_help("add a [[locales]] entry for it"),
            );
        }
        let mut seen = HashSet::default();
        for (i, l) in site.locales.iter().enumerate() {
            let locale = [Step::Key("locales"), Step::Index(i)];
            if !seen.insert(&l.code) {
                let at = [&locale[..], &[Step::Key("code")]].concat();
                self.push(src.value_error(&at, format!("locale `{}` is listed twice", l.code)));
            }
            for (j, f) in l.fallback.iter().enumerate() {
                if !codes.contains(&f) {
                    let at = [&locale[..], &[Step::Key("fallback"), Step::Index(j)]].concat();
                    self.push(
                        src.value_error(&at, format!("locale `{}` falls back to `{f}`, which is not enabled", l.code)),
                    );
                }
            }
        }
    }

    fn check_topics(&mut self, topics: &Topics, src: &Source) {
        let mut seen = HashSet::default();
        for (i, t) in topics.topics.iter().enumerate() {
            let at = [Step::Key("topics"), Step::Index(i), Step::Key("slug")];
            if !is_valid_slug(&t.slug) {
                self.push(
                    src.value_error(&at, format!("`{}` is not a valid topic slug", t.slug))
                        .with_help("use lowercase letters, digits and single hyphens"),
                );
            }
            if !seen.insert(t.slug.as_str()) {
                self.push(src.value_error(&at, format!("duplicate topic `{}`", t.slug)));
            }
        }
    }

    /// Lists the content files under each kind's folder.
    fn discover(&mut self, site: Option<&Site>) -> Vec<Found> {
        let mut found = Vec::new();
        let entries = match std::fs::read_dir(&self.root) {
            Ok(e) => e,
            Err(e) => {
                self.push(Diagnostic::error(".", (0, 0), format!("cannot list the content folder: {e}")));
                return found;
            }
        };
        let mut top: Vec<_> = entries.filter_map(Result::ok).map(|e| e.file_name()).collect();
        top.sort();
        // What each entry of the root is: a kind's folder to list, or a note.
        let mut listed = Vec::new();
        for name in top {
            let name_str = name.to_string_lossy();
            if name_str.starts_with('.')
                || name_str == "site.toml"
                || name_str == "topics.toml"
                || name_str == LEGACY_FILE
            {
                continue;
            }
            match Kind::from_folder(&name_str).filter(|k| *k != Kind::Topic) {
                Some(kind) if self.root.join(&name).is_dir() => {
                    let inside = self.root.join(&name).canonicalize().is_ok_and(|p| p.starts_with(&self.root));
                    if inside {
                        listed.push(Ok(kind));
                    } else {
                        listed.push(Err(
                            Diagnostic::error(PathBuf::from(&name), (0, 0), "refused: this folder leads outside the content folder")
                                .with_help("it is a symbolic link to a folder elsewhere; move the files into the content folder instead"),
                        ));
                    }
                }
                _ => listed.push(Err(Diagnostic::warning(
                    PathBuf::from(&name),
                    (0, 0),
                    format!("`{name_str}` is not part of the content model and is ignored"),
                )
                .with_help(
                    "content lives in site.toml, topics.toml, pages/, measures/, partners/, stories/ and media/",
                ))),
            }
        }
        // The kinds' folders are listed at once, then their entries taken
        // in chunks, each on a core: a serial listing of 100,000 files was
        // a sixth of a warm start. Notes stay in the order of a serial one.
        let root = &self.root;
        let folders: Vec<Result<(Kind, Vec<Entry>), Diagnostic>> =
            listed.into_par_iter().map(|entry| entry.and_then(|kind| Ok((kind, list_folder(root, kind)?)))).collect();
        for folder in folders {
            match folder {
                Err(note) => self.push(note),
                Ok((kind, entries)) => {
                    let classified: Vec<(Vec<Found>, Vec<Diagnostic>)> = entries
                        .par_chunks(4096)
                        .map(|chunk| {
                            let (mut found, mut notes) = (Vec::with_capacity(chunk.len()), Vec::new());
                            for (name, is_dir) in chunk {
                                classify(kind, &name.to_string_lossy(), *is_dir, site, &mut found, &mut notes);
                            }
                            (found, notes)
                        })
                        .collect();
                    for (f, notes) in classified {
                        found.extend(f);
                        self.diagnostics.extend(notes);
                    }
                }
            }
        }
        found.sort_unstable_by(|a, b| by_path(&a.path, &b.path));
        found
    }

    /// The last listing brought up to date with the changed files, when
    /// the caller named them and a listing is kept; `None` otherwise.
    fn rediscover(&mut self, site: Option<&Site>) -> Option<Vec<Found>> {
        let changed = self.changed.take()?;
        let mut kept = self.cache.discovered.take()?;
        kept.found.retain(|f| !changed.contains(&f.path));
        kept.notes.retain(|d| !changed.contains(&d.path));
        for rel in &changed {
            let (Some(folder), Some(name)) = (rel.parent(), rel.file_name()) else { continue };
            let Some(kind) = Kind::from_folder(&folder.to_string_lossy()) else { continue };
            let path = self.root.join(rel);
            // Gone, or never there (an editor's temporary file).
            let Ok(meta) = std::fs::symlink_metadata(&path) else { continue };
            let is_dir = if meta.file_type().is_symlink() { path.is_dir() } else { meta.is_dir() };
            let first = self.diagnostics.len();
            self.classify(kind, &name.to_string_lossy(), is_dir, site, &mut kept.found);
            kept.notes.extend_from_slice(&self.diagnostics[first..]);
        }
        kept.found.sort_unstable_by(|a, b| by_path(&a.path, &b.path));
        // The notes of unchanged entries, said again as a listing would
        // (diagnostics are sorted by place at the end).
        self.diagnostics.extend(kept.notes.iter().filter(|d| !changed.contains(&d.path)).cloned());
        let found = kept.found.clone();
        self.changed = Some(changed);
        self.cache.discovered = Some(kept);
        Some(found)
    }

    /// Takes the entry `name` of a kind's folder as a content file, or
    /// says why not.
    fn classify(&mut self, kind: Kind, name: &str, is_dir: bool, site: Option<&Site>, found: &mut Vec<Found>) {
        classify(kind, name, is_dir, site, found, &mut self.diagnostics);
    }

    /// Reads and parses every file of one kind, in parallel.
    fn parse_all<T: Cached>(&mut self, found: &[Found], kind: Kind) -> Vec<Parsed<T>> {
        let root = &self.root;
        let site = self.site_url.as_deref();
        let cache = &self.cache.parts;
        let restored = self.cache.restored.as_ref();
        let spool = self.cache.spool.as_ref();
        let changed = self.changed.as_ref();
        let settle = self.cache.settle.unwrap_or(SETTLE);
        let fresh = &self.fresh;
        // Whether the kind's folder resolves to itself (not a link elsewhere).
        let folder = root.join(kind.folder());
        let plain_folder = folder.canonicalize().is_ok_and(|c| c == folder);
        // Opened once, so that its files are looked up in it by name
        // rather than each by its whole path.
        let folder = if plain_folder { open_folder(&folder) } else { None };
        let folder = folder.as_ref();
        let results: Vec<(ParseResult<T>, Option<CachedPart>, &Path)> = found
            .par_iter()
            .enumerate()
            .filter(|(_, f)| f.kind == kind)
            .map(|(at, f)| {
                let trusted = changed.is_some_and(|c| !c.contains(&f.path));
                let memory = cache.get(&f.path);
                // A file of the folder itself, as listing finds them.
                let folder = folder.filter(|_| f.path.parent() == Some(Path::new(kind.folder())));
                let kept = Kept { memory, disk: restored, at, spool, trusted, settle, plain_folder, folder };
                let (result, keep) = parse_cached::<T>(root, site, f, kept, fresh);
                (result, keep, f.path.as_path())
            })
            .collect();
        let mut parsed = Vec::with_capacity(results.len());
        let mut seen: HashMap<(String, Locale), PathBuf> = HashMap::default();
        for (result, keep, path) in results {
            if let Some(keep) = keep {
                self.next.insert(path.to_owned(), keep);
            }
            match result {
                Ok(p) => {
                    self.check_markup(&p.source, &p.doc.body);
                    let key = (p.doc.slug.clone(), p.doc.locale.clone());
                    if let Some(first) = seen.get(&key) {
                        self.push(
                            Diagnostic::error(
                                &p.source.path,
                                (0, 0),
                                format!(
                                    "duplicate {kind} `{}` in locale `{}`: `{}` already defines it",
                                    key.0,
                                    key.1,
                                    first.display()
                                ),
                            )
                            .with_help("each item has one file per locale; rename or remove one of them"),
                        );
                        continue;
                    }
                    seen.insert(key, p.source.path.clone());
                    parsed.push(p);
                }
                Err(broken) => {
                    self.diagnostics.extend(broken.diagnostics);
                    match broken.rest {
                        Some(rest) => {
                            self.check_markup(&rest.0, &rest.1);
                            self.broken.push(rest);
                        }
                        None => self.references_unknown = true,
                    }
                }
            }
        }
        parsed
    }

    /// Reports what a body holds that the block tree does not keep as written.
    fn check_markup(&mut self, src: &Source, body: &Body) {
        for &offset in &body.raw_html {
            // pulldown-cmark reports where raw HTML starts; an empty range
            // says so without claiming where it ends.
            let at = src.in_body(offset..offset);
            self.push(
                src.warning(at, "raw HTML is shown as text, not as markup").with_help("use Markdown instead of HTML"),
            );
        }
        if let Some(offset) = body.too_deep {
            self.push(
                src.error(
                    src.in_body(offset..offset),
                    format!(
                        "Markdown nested deeper than {} levels (quotes, lists, emphasis and links inside each other)",
                        crate::body::MAX_NESTING
                    ),
                )
                .with_help("flatten the structure: no real page needs this much nesting"),
            );
        }
    }

    /// Checks what can still be checked in files whose front matter did not
    /// parse: their bodies' links, and what their front matter refers to.
    ///
    /// A page that names a story in a front matter with a typo elsewhere
    /// still means to name it: without this, the story would be reported as
    /// linked from nowhere, a false warning that goes away once the typo is
    /// fixed. TOML's parser recovers from syntax errors, so the front
    /// matter is read into its plain tree, and every string in it that
    /// names an existing item (as a slug or as an `@/` path) counts as a
    /// reference. That is generous (a title that happens to be a slug
    /// counts too), which errs on the side of a missing warning for a file
    /// that has an error to fix anyway.
    fn check_broken(&mut self, existing: &Existing, all_referenced: &mut Referenced) {
        for broken in std::mem::take(&mut self.broken) {
            let (src, body) = &*broken;
            let target = |l: &BodyLink| src.in_body(link_target_span(&src.body_text(), l.span.clone()));
            let mut referenced = HashSet::default();
            self.with_checker(|c| c.check_links(src, &body.links, &target, existing, &mut referenced));
            let front = src.front_text();
            let (table, _) = toml::de::DeTable::parse_recoverable(&front);
            // A stack, not recursion: nesting in the file is not bounded here.
            let mut values: Vec<&toml::de::DeValue<'_>> = table.get_ref().values().map(|v| v.get_ref()).collect();
            while let Some(value) = values.pop() {
                match value {
                    toml::de::DeValue::String(text) => {
                        if let Some((kind, slug)) = crate::reference::parse_item_path(text) {
                            referenced.insert(ItemId { kind, slug: slug.into() });
                        } else if let Some(kinds) = existing.get(text.as_ref()) {
                            referenced.extend(kinds.iter().map(|&kind| ItemId { kind, slug: (&**text).into() }));
                        }
                    }
                    toml::de::DeValue::Array(items) => values.extend(items.iter().map(|v| v.get_ref())),
                    toml::de::DeValue::Table(table) => values.extend(table.values().map(|v| v.get_ref())),
                    _ => {}
                }
            }
            for id in referenced {
                count(all_referenced, &id);
            }
        }
    }

    /// Checks references, body links and translations of one kind.
    fn check_items<T: Item>(
        &mut self,
        parsed: &[Parsed<T>],
        existing: &Existing,
        referenced: &mut Referenced,
        default_locale: Option<&Locale>,
    ) {
        let originals: HashSet<&str> =
            parsed.iter().filter(|p| Some(&p.doc.locale) == default_locale).map(|p| p.doc.slug.as_str()).collect();
        let context = {
            let mut names: Vec<&str> = originals.iter().copied().collect();
            names.sort_unstable();
            let mut h = xxhash_rust::xxh3::Xxh3::new();
            h.update(&self.checks_context.to_le_bytes());
            h.update(&[T::KIND as u8]);
            for n in names {
                h.update(n.as_bytes());
                h.update(b"\0");
            }
            h.digest()
        };
        self.contexts.insert(T::KIND, context);
        let all_referenced = referenced;
        // Each file not checked under the same context already is checked
        // on a core of its own; what they found is then taken in order.
        let kept = &self.cache.checks;
        let kept_for = |p: &Parsed<T>| kept.get(&p.source.path).filter(|c| c.hash == p.hash && c.context == context);
        let site_url = self.site_url.as_deref();
        let is_original = |slug: &str| originals.contains(slug);
        let found: Vec<Result<&CheckedPart, CheckedPart>> = parsed
            .par_iter()
            .map(|p| match kept_for(p) {
                Some(done) => Ok(done),
                None => Err(Checker::new(site_url).check_item(p, existing, &is_original, default_locale, context)),
            })
            .collect();
        for (p, found) in parsed.iter().zip(found) {
            let done = match found {
                Ok(kept) => kept.clone(),
                Err(fresh) => {
                    self.checked += 1;
                    fresh
                }
            };
            self.diagnostics.extend(done.diagnostics.iter().cloned());
            for id in done.referenced.iter() {
                count(all_referenced, id);
            }
            self.next_checks.insert(p.source.path.clone(), done);
        }
    }

    /// Runs `check` with a [`Checker`] of this load; what it finds is
    /// pushed to the diagnostics.
    fn with_checker<R>(&mut self, check: impl FnOnce(&mut Checker<'_>) -> R) -> R {
        let mut checker = Checker::new(self.site_url.as_deref());
        let result = check(&mut checker);
        self.diagnostics.append(&mut checker.diagnostics);
        result
    }

    /// Checks one changed item against the last load's ([`Checker::check_item`]).
    fn check_item<T: Item>(&mut self, p: &Parsed<T>, last: &Last, context: u64) -> CheckedPart {
        let default_locale = &last.snapshot.site.default_locale;
        let is_original = |slug: &str| T::collection(&last.snapshot).exact(slug, default_locale).is_some();
        self.checked += 1;
        self.with_checker(|c| c.check_item(p, &last.existing, &is_original, Some(default_locale), context))
    }

    /// A page's placed quotes must name one of its quotes.
    fn check_page_quotes(&mut self, p: &Parsed<Page>) {
        let src = &p.source;
        let target = |l: &BodyLink| src.in_body(link_target_span(&src.body_text(), l.span.clone()));
        self.with_checker(|c| c.check_quote_embeds(src, &p.doc.body.links, &target, p.doc.meta.quotes.len()));
    }

    fn check_pages(&mut self, pages: &[Parsed<Page>]) {
        // Translations of a page may repeat its legacy URLs; other pages may
        // not, in any form of the address.
        let mut seen: HashMap<String, (&str, &Path)> = HashMap::default();
        for p in pages {
            let src = &p.source;
            self.check_page_quotes(p);
            for (i, url) in p.doc.meta.legacy_urls.iter().enumerate() {
                let at = [Step::Key("legacy_urls"), Step::Index(i)];
                let Some(path) = self.check_old_address(src, &at, url) else { continue };
                match seen.get(&path) {
                    Some((slug, first)) if *slug != p.doc.slug => {
                        self.push(
                            src.value_error(
                                &at,
                                format!("legacy URL `{url}` already redirects to `{}`", first.display()),
                            )
                            .with_help("an old address can redirect to one page only"),
                        );
                    }
                    _ => {
                        seen.insert(path, (&p.doc.slug, &src.path));
                    }
                }
            }
        }
    }

    /// Checks one old address (in `legacy_urls` or `legacy.toml`) and
    /// returns its path, `None` after reporting why it is not one.
    fn check_old_address(&mut self, src: &Source, at: &[Step<'_>], url: &str) -> Option<String> {
        match check_old_address(url) {
            Ok(path) => Some(path),
            Err(why) => {
                self.push(src.value_error(at, format!("legacy URL `{url}` {why}")).with_help(
                    "write the old address as `/old/path.html` or `https://old.example.org/path`, with other characters %-escaped",
                ));
                None
            }
        }
    }

    /// Checks `legacy.toml`: each address valid and listed once, a retired
    /// address carried by no page, and `instead` naming a page.
    fn check_legacy(&mut self, legacy: &Legacy, src: &Source, pages: &[Parsed<Page>], existing: &Existing) {
        let mut carried: HashMap<String, &Path> = HashMap::default();
        for p in pages {
            for url in &p.doc.meta.legacy_urls {
                if let Some(path) = legacy_path(url) {
                    carried.entry(path).or_insert(&p.source.path);
                }
            }
        }
        let page_slugs: Vec<&str> =
            existing.iter().filter(|(_, k)| k.contains(&Kind::Page)).map(|(slug, _)| slug.as_str()).collect();
        let mut seen: HashMap<String, &str> = HashMap::default();
        for (i, address) in legacy.addresses.iter().enumerate() {
            let at = [Step::Key("addresses"), Step::Index(i), Step::Key("url")];
            let Some(path) = self.check_old_address(src, &at, &address.url) else { continue };
            if let Some(first) = seen.insert(path.clone(), &address.url) {
                self.push(
                    src.value_error(&at, format!("`{}` is listed twice (first as `{first}`)", address.url))
                        .with_help("list each old address once; a full URL and its path are the same address"),
                );
                continue;
            }
            if let (LegacyState::Retired, Some(page)) = (address.state, carried.get(&path)) {
                self.push(
                    src.value_error(
                        &[Step::Key("addresses"), Step::Index(i), Step::Key("state")],
                        format!(
                            "`{}` is retired here, but `{}` carries it in `legacy_urls`",
                            address.url,
                            page.display()
                        ),
                    )
                    .with_help("an address that has moved cannot be gone: remove it from one of the two files"),
                );
            }
            let Some(instead) = &address.instead else { continue };
            let at = [Step::Key("addresses"), Step::Index(i), Step::Key("instead")];
            if address.state != LegacyState::Retired {
                self.push(src.value_error(&at, "`instead` is only for retired addresses").with_help(
                    "a pending address leads to a \"moving\" page; a moved one to the page that carries it",
                ));
            } else if !page_slugs.contains(&instead.slug()) {
                let help = match closest(instead.slug(), &page_slugs) {
                    Some(c) => format!("did you mean `{c}`?"),
                    None => "name a page by its slug or as `@/pages/<slug>.md`".to_owned(),
                };
                self.push(
                    src.value_error(&at, format!("no page named `{}` (in `instead`)", instead.slug())).with_help(help),
                );
            }
        }
    }

    fn check_media(&mut self, media: &[Parsed<Media>]) {
        for p in media {
            self.check_media_alt(p);
        }
    }

    fn check_media_alt(&mut self, p: &Parsed<Media>) {
        let m = &p.doc.meta;
        if m.kind == MediaKind::Image && m.alt.as_deref().is_none_or(|a| a.trim().is_empty()) {
            self.push(
                p.source
                    .value_error(&[Step::Key("kind")], "image without alt text")
                    .with_help("add `alt = \"...\"` describing what the image shows, for people who cannot see it"),
            );
        }
    }

    fn warn_unreferenced<T: Item>(&mut self, parsed: &[Parsed<T>], referenced: &Referenced) {
        for p in parsed {
            let id = ItemId { kind: T::KIND, slug: p.doc.slug.as_str().into() };
            // When some file could not be read at all, what it links to is
            // unknown, and any warning here could be false.
            if is_original(&p.doc.path) && !referenced.contains_key(&id) && !self.references_unknown {
                self.push(unreferenced(T::KIND, &p.source.path));
            }
        }
    }
}

/// How many files name each item (in a reference or a link).
type Referenced = HashMap<ItemId, usize>;

/// Counts one more file naming `id`.
/// An entry of a kind's folder: its name, and whether it is (or links to)
/// a folder.
type Entry = (std::ffi::OsString, bool);

/// The entries of a kind's folder: each name, and whether it is (or
/// links to) a folder; a note if it cannot be listed.
fn list_folder(root: &Path, kind: Kind) -> Result<Vec<Entry>, Diagnostic> {
    let folder = PathBuf::from(kind.folder());
    let entries = std::fs::read_dir(root.join(&folder))
        .map_err(|e| Diagnostic::error(&folder, (0, 0), format!("cannot list folder: {e}")))?;
    Ok(entries
        .filter_map(Result::ok)
        .map(|entry| {
            // The type read with the folder saves a call per file; a link
            // is followed to see what it leads to.
            let is_dir = match entry.file_type() {
                Ok(t) if !t.is_symlink() => t.is_dir(),
                _ => entry.path().is_dir(),
            };
            (entry.file_name(), is_dir)
        })
        .collect())
}

/// Takes the entry `name` of a kind's folder as a content file, or
/// says why not.
fn classify(
    kind: Kind,
    name: &str,
    is_dir: bool,
    site: Option<&Site>,
    found: &mut Vec<Found>,
    notes: &mut Vec<Diagnostic>,
) {
    let folder = PathBuf::from(kind.folder());
    let ext = kind.extension();
    let rel = folder.join(name);
    if name.starts_with('.') {
        return;
    }
    if is_dir {
        notes.push(Diagnostic::warning(&rel, (0, 0), "folders inside a kind's folder are not read"));
        return;
    }
    let Some(stem) = name.strip_suffix(ext).and_then(|s| s.strip_suffix('.')) else {
        notes.push(Diagnostic::warning(&rel, (0, 0), format!("not a `.{ext}` file; ignored")));
        return;
    };
    let (slug, locale) = match stem.split_once('.') {
        None => {
            let Some(site) = site else { return };
            (stem, site.default_locale.clone())
        }
        Some((slug, tag)) => match Locale::parse(tag) {
            Ok(l) => (slug, l),
            Err(e) => {
                notes.push(
                    Diagnostic::error(&rel, (0, 0), e.to_string())
                        .with_help(format!("a translation is named `<slug>.<locale>.{ext}`, e.g. `{slug}.fr.{ext}`")),
                );
                return;
            }
        },
    };
    if !is_valid_slug(slug) {
        notes
            .push(Diagnostic::error(&rel, (0, 0), format!("`{slug}` is not a valid slug")).with_help(
                "name files with lowercase letters, digits and single hyphens, e.g. `its-about-ability.md`",
            ));
        return;
    }
    if let Some(site) = site
        && !site.locales.iter().any(|l| l.code == locale)
    {
        notes.push(
            Diagnostic::error(&rel, (0, 0), format!("locale `{locale}` is not enabled in site.toml"))
                .with_help("add it to `locales` in site.toml, or rename the file"),
        );
        return;
    }
    found.push(Found { kind, slug: slug.to_owned(), locale, path: rel });
}

/// What checking files finds, apart from the loader, so that files are
/// checked on every core.
struct Checker<'a> {
    /// The site's base URL, as [`Loader::site_url`].
    site_url: Option<&'a str>,
    diagnostics: Vec<Diagnostic>,
}

impl<'a> Checker<'a> {
    fn new(site_url: Option<&'a str>) -> Checker<'a> {
        Checker { site_url, diagnostics: Vec::new() }
    }

    fn push(&mut self, d: Diagnostic) {
        self.diagnostics.push(d);
    }

    /// Checks one item's references, body links and translation against
    /// the rest (`is_original`: whether a slug of this kind has a file in
    /// the default locale); what it finds is also pushed to the
    /// checker's diagnostics.
    fn check_item<T: Item>(
        &mut self,
        p: &Parsed<T>,
        existing: &Existing,
        is_original: &(dyn Fn(&str) -> bool + Sync),
        default_locale: Option<&Locale>,
        context: u64,
    ) -> CheckedPart {
        let first = self.diagnostics.len();
        let mut file_referenced = HashSet::default();
        let referenced = &mut file_referenced;
        let src = &p.source;
        if default_locale.is_some_and(|d| d != &p.doc.locale) && !is_original(p.doc.slug.as_str()) {
            self.push(
                Diagnostic::error(
                    &src.path,
                    (0, 0),
                    format!(
                        "translation without an original: there is no `{}/{}.{}` in the default locale",
                        T::KIND.folder(),
                        p.doc.slug,
                        T::KIND.extension()
                    ),
                )
                .with_help("add the original first; translations sit beside it as `<slug>.<locale>.md`"),
            );
        }
        for r in p.doc.meta.references() {
            let at = r.span.clone().map_or(src.front.start..src.front.start, |s| src.in_front(s));
            let kinds = existing.get(r.slug);
            if let Some(written) = r.written_kind.filter(|k| *k != r.kind) {
                self.push(
                    src.error(at, format!("`{}` must list {} items, but this names a {written}", r.field, r.kind))
                        .with_help(format!("`{}` takes references to `{}/`", r.field, r.kind.folder())),
                );
                continue;
            }
            if kinds.is_some_and(|k| k.contains(&r.kind)) {
                referenced.insert(ItemId { kind: r.kind, slug: r.slug.into() });
                continue;
            }
            let message = match kinds.and_then(|k| k.iter().next()) {
                Some(other) => {
                    format!("`{}` is a {other}, not a {}: `{}` takes {} references", r.slug, r.kind, r.field, r.kind)
                }
                None => format!("no {} named `{}` (in `{}`)", r.kind, r.slug, r.field),
            };
            let candidates: Vec<&str> =
                existing.iter().filter(|(_, k)| k.contains(&r.kind)).map(|(s, _)| s.as_str()).collect();
            let help = match closest(r.slug, &candidates) {
                Some(c) => format!("did you mean `{c}`?"),
                None if r.kind == Kind::Topic => "topics are defined in topics.toml".to_owned(),
                None => format!("create `{}/{}.{}` or fix the slug", r.kind.folder(), r.slug, r.kind.extension()),
            };
            self.push(src.error(at, message).with_help(help));
        }
        let target = |l: &BodyLink| src.in_body(link_target_span(&src.body_text(), l.span.clone()));
        self.check_links(src, &p.doc.body.links, &target, existing, referenced);
        if T::KIND != Kind::Page {
            self.check_quote_embeds(src, &p.doc.body.links, &target, 0);
        }
        // Markdown written in front-matter fields (a measure's example)
        // is checked like a body. Its offsets are in the string's
        // value, not in the file (TOML escapes lie between), so its
        // problems point at the whole value.
        for (field, text) in p.doc.meta.markdown_fields() {
            let parsed = Body::parse_with(text, self.site_url);
            let at = src.value_span(&[Step::Key(field)]).unwrap_or(src.front.start..src.front.start);
            self.check_links(src, &parsed.links, &|_| at.clone(), existing, referenced);
            if parsed.too_deep.is_some() {
                self.push(
                    src.error(
                        at,
                        format!("`{field}`: Markdown nested deeper than {} levels", crate::body::MAX_NESTING),
                    ),
                );
            }
        }
        CheckedPart {
            hash: p.hash,
            context,
            diagnostics: self.diagnostics[first..].into(),
            referenced: file_referenced.into_iter().collect(),
        }
    }

    /// Checks the links of a body: item links must name existing items,
    /// other links must be safe.
    /// `target` says where in the file a link's target is written.
    fn check_links(
        &mut self,
        src: &Source,
        links: &[BodyLink],
        target: &dyn Fn(&BodyLink) -> Range<usize>,
        existing: &Existing,
        referenced: &mut HashSet<ItemId>,
    ) {
        // Where a link's target is written is looked for only when there
        // is something to report: most links are fine.
        for link in links {
            match &link.target {
                LinkTarget::Item { kind, slug, .. } => {
                    if existing.get(slug.as_str()).is_some_and(|k| k.contains(kind)) {
                        referenced.insert(ItemId { kind: *kind, slug: slug.clone() });
                    } else {
                        let candidates: Vec<&str> =
                            existing.iter().filter(|(_, k)| k.contains(kind)).map(|(s, _)| s.as_str()).collect();
                        let help = match closest(slug, &candidates) {
                            Some(c) => format!("did you mean `@/{}/{c}.{}`?", kind.folder(), kind.extension()),
                            None => "link to an existing item as `@/<kind>/<slug>.md`".to_owned(),
                        };
                        self.push(
                            src.error(
                                target(link),
                                format!("broken link: there is no `{}/{slug}.{}`", kind.folder(), kind.extension()),
                            )
                            .with_help(help),
                        );
                    }
                }
                LinkTarget::Invalid { written } => {
                    let message = if written.starts_with("@/") {
                        format!("broken link: `{written}` is not an item path")
                    } else {
                        format!("unsafe link `{written}`: only http, https, mailto and tel links are allowed")
                    };
                    self.push(
                        src.error(target(link), message)
                            .with_help("link to items as `@/<kind>/<slug>.md`, e.g. `@/stories/its-about-ability.md`"),
                    );
                }
                LinkTarget::Url { .. } => {}
            }
        }
    }

    /// Quotes placed in a body (`![](@quote/2)`) must name one of the
    /// item's quotes; only pages have quotes.
    fn check_quote_embeds(
        &mut self,
        src: &Source,
        links: &[BodyLink],
        target: &dyn Fn(&BodyLink) -> Range<usize>,
        quotes: usize,
    ) {
        for link in links {
            let LinkTarget::Url { url } = &link.target else { continue };
            let Some(number) = url.strip_prefix(crate::body::QUOTE_EMBED) else { continue };
            let n = number.parse::<usize>().ok().filter(|_| number.bytes().all(|b| b.is_ascii_digit()));
            let message = match n {
                _ if quotes == 0 => format!("`{url}` places a quote, but this item has no `[[quotes]]`"),
                Some(n) if (1..=quotes).contains(&n) => continue,
                _ => format!("`{url}` names no quote: this item has {quotes} (`@quote/1` to `@quote/{quotes}`)"),
            };
            self.push(
                src.error(target(link), message)
                    .with_help("place a page's quote as an image alone in its paragraph: `![](@quote/1)`"),
            );
        }
    }
}

/// The order content files are listed in: by their bytes, which for a
/// kind's folder and a file name in it (no kind's folder name begins
/// another's) is the order of their components, found many times faster.
fn by_path(a: &Path, b: &Path) -> std::cmp::Ordering {
    a.as_os_str().cmp(b.as_os_str())
}

fn count(referenced: &mut Referenced, id: &ItemId) {
    match referenced.get_mut(id) {
        Some(n) => *n += 1,
        None => {
            referenced.insert(id.clone(), 1);
        }
    }
}

/// Whether the file at `path` is an item's original (`slug.md`, not
/// `slug.fr.md`).
fn is_original(path: &Path) -> bool {
    path.file_stem().is_some_and(|s| !s.to_string_lossy().contains('.'))
}

/// The warning for an item (its original at `path`) that nothing names.
fn unreferenced(kind: Kind, path: &Path) -> Diagnostic {
    Diagnostic::warning(path, (0, 0), format!("no page or item links to this {kind}"))
        .with_help("reference it from a page, or remove it if it is no longer needed")
}

/// How many files a load told of changes may patch the last snapshot
/// with; more (a checkout, say) are loaded in full, which is then faster.
const PATCH_LIMIT: usize = 64;

/// What the last load built, when it succeeded: enough to patch its
/// snapshot when a few files change and nothing else depends on what
/// changed in them.
#[derive(Clone)]
struct Last {
    snapshot: Snapshot,
    /// Which kinds each slug names, as its checks saw them.
    existing: Arc<Existing>,
    /// The hash each kind's checks ran under.
    contexts: HashMap<Kind, u64>,
    /// How many files name each item: which items are linked from nowhere.
    referenced: Referenced,
    /// Whether some file could not be read, which silences those warnings.
    references_unknown: bool,
}

/// Puts one document in a snapshot in place of the one with its slug and
/// locale; `false` when there is none.
type Put = Box<dyn FnOnce(&mut Snapshot) -> bool>;

/// One changed file, ready to go into a patched snapshot.
struct PatchedFile {
    path: PathBuf,
    /// What the cache keeps for it (`None`: it is gone).
    keep: Option<CachedPart>,
    check: Option<CheckedPart>,
    /// Whether it was edited, is new or is gone.
    change: FileChange,
    /// The diagnostics of the file alone, as the last load found them and
    /// as they are now.
    old_own: Vec<Diagnostic>,
    new_own: Vec<Diagnostic>,
    /// Puts the new document in the snapshot (`None`: the snapshot's is
    /// the file's as it is).
    apply: Option<Put>,
    /// Whether the items its body links to changed.
    links_changed: bool,
    /// Its item.
    id: ItemId,
    /// The hashes of its old and new document.
    hashes: (u64, u64),
    /// Whether the public sees its document in a view.
    visible: Box<dyn Fn(&View<'_>) -> bool>,
    /// The items it named before.
    was_naming: Arc<[ItemId]>,
    /// Puts its item in the snapshot's indexes as its documents now say;
    /// gives the media items it shows or no longer shows.
    reindex: Option<Reindex>,
}

/// How a file changed for [`Loader::patch`].
enum FileChange {
    Edited,
    /// New, as the listing would find it.
    Created(Found),
    Deleted,
}

/// See [`PatchedFile::reindex`].
type Reindex = Box<dyn FnOnce(&mut Snapshot) -> Vec<ItemId>>;

/// The paths of the files of the item `id`, in locale order.
fn item_files(snapshot: &Snapshot, id: &ItemId) -> Vec<PathBuf> {
    fn find<T: Item>(snapshot: &Snapshot, slug: &str) -> Vec<PathBuf> {
        T::collection(snapshot).locales_of(slug).map(|d| d.path.clone()).collect()
    }
    match id.kind {
        Kind::Page => find::<Page>(snapshot, &id.slug),
        Kind::Measure => find::<Measure>(snapshot, &id.slug),
        Kind::Partner => find::<Partner>(snapshot, &id.slug),
        Kind::Story => find::<Story>(snapshot, &id.slug),
        Kind::Media => find::<Media>(snapshot, &id.slug),
        Kind::Topic => Vec::new(),
    }
}

/// Makes `value` a member of the sorted list at `key` or not, copying the
/// map (shared with the last snapshot) only when that changes it; a list
/// left empty goes, as a full load would not make it.
fn set_member<K, V>(map: &mut Arc<HashMap<K, Vec<V>>>, key: K, value: &V, present: bool) -> bool
where
    K: Eq + std::hash::Hash + Clone,
    V: Ord + Clone,
{
    if map.get(&key).is_some_and(|list| list.binary_search(value).is_ok()) == present {
        return false;
    }
    let map = Arc::make_mut(map);
    if present {
        let list = map.entry(key).or_default();
        if let Err(at) = list.binary_search(value) {
            list.insert(at, value.clone());
        }
    } else if let Some(list) = map.get_mut(&key) {
        if let Ok(at) = list.binary_search(value) {
            list.remove(at);
        }
        if list.is_empty() {
            map.remove(&key);
        }
    }
    true
}

/// The media items a document shows: named in its front matter or its body.
fn shown_media<T: Item>(doc: &Document<T>) -> BTreeSet<String> {
    let named = doc.meta.references().into_iter().filter(|r| r.kind == Kind::Media).map(|r| r.slug.to_owned());
    let linked = doc.body.links.iter().filter_map(|l| match &l.target {
        LinkTarget::Item { kind: Kind::Media, slug, .. } => Some(slug.to_string()),
        _ => None,
    });
    named.chain(linked).collect()
}

/// Puts the item of `new` (which replaced `old` in `snapshot`) in the
/// snapshot's indexes as its documents now say, as [`index`] does for a
/// whole load; gives the media items whose users changed.
fn reindex<T: Item>(snapshot: &mut Snapshot, old: Option<&Document<T>>, new: Option<&Document<T>>) -> Vec<ItemId> {
    let Some(either) = new.or(old) else { return Vec::new() };
    let refs = |d: Option<&Document<T>>| -> BTreeSet<(Kind, String)> {
        d.map(|d| d.meta.references().iter().map(|r| (r.kind, r.slug.to_owned())).collect()).unwrap_or_default()
    };
    let (old_refs, new_refs) = (refs(old), refs(new));
    let (old_media, new_media) = (old.map(shown_media).unwrap_or_default(), new.map(shown_media).unwrap_or_default());
    let country = |d: Option<&Document<T>>| d.and_then(|d| d.meta.country());
    if old_refs == new_refs && old_media == new_media && country(old) == country(new) {
        return Vec::new();
    }
    let id = ItemId { kind: T::KIND, slug: either.slug.as_str().into() };
    // Whether any document of the item (every locale) still says so.
    let (refs_now, countries_now) = {
        let docs: Vec<&Document<T>> = T::collection(snapshot).locales_of(&id.slug).collect();
        let refs_now: Vec<((Kind, String), bool)> = old_refs
            .union(&new_refs)
            .map(|(kind, slug)| {
                let present =
                    docs.iter().any(|d| d.meta.references().iter().any(|r| r.kind == *kind && r.slug == slug));
                ((*kind, slug.clone()), present)
            })
            .collect();
        let countries_now: Vec<(crate::Country, bool)> = [country(old), country(new)]
            .into_iter()
            .flatten()
            .map(|c| (c, docs.iter().any(|d| d.meta.country() == Some(c))))
            .collect();
        (refs_now, countries_now)
    };
    for ((kind, slug), present) in refs_now {
        if kind == Kind::Topic {
            set_member(&mut snapshot.by_topic, slug, &id, present);
        } else {
            set_member(&mut snapshot.referrers, ItemId { kind, slug: slug.into() }, &id, present);
        }
    }
    for (country, present) in countries_now {
        set_member(&mut snapshot.by_country, country, &id, present);
    }
    let user = (id.clone(), either.locale.clone());
    let mut changed = Vec::new();
    for slug in old_media.union(&new_media) {
        if set_member(&mut snapshot.media_users, slug.clone(), &user, new_media.contains(slug)) {
            changed.push(ItemId { kind: Kind::Media, slug: slug.as_str().into() });
        }
    }
    changed
}

/// An instant at which `embargoes` (sorted) put a snapshot in visibility
/// epoch `epoch`, if there is one.
fn epoch_instant(embargoes: &[chrono::DateTime<chrono::Utc>], epoch: usize) -> Option<chrono::DateTime<chrono::Utc>> {
    let at = match epoch.checked_sub(1) {
        Some(last_lifted) => *embargoes.get(last_lifted)?,
        None => embargoes
            .first()
            .map_or(chrono::DateTime::<chrono::Utc>::UNIX_EPOCH, |first| *first - chrono::Duration::seconds(1)),
    };
    (embargoes.partition_point(|t| *t <= at) == epoch).then_some(at)
}

impl Loader {
    /// The last snapshot with the changed files put in, taken out or
    /// replaced, when that is what a full load would give: every file
    /// there parses without errors, no visibility or legacy URL changed,
    /// and no item another file names is left without a file (see
    /// [`Loader::patch_any`]). The indexes are updated for the changed
    /// items. `None` otherwise: the caller then loads in full.
    fn patch(&mut self) -> Option<Snapshot> {
        let changed = self.changed.as_ref()?;
        let mut last = self.cache.last.take()?;
        // `site.toml` is not among the changed files (they are all in
        // kinds' folders): the last load's settings still hold.
        self.site_url = Some(last.snapshot.site.base_url.clone());
        // Files read too close to their last change are looked at again,
        // as a full load would.
        let settle = self.cache.settle.unwrap_or(SETTLE);
        let mut paths: Vec<PathBuf> = changed.iter().cloned().collect();
        for (path, part) in &self.cache.parts {
            if !part.stamp.settled(part.read_at, settle) && !changed.contains(path) {
                paths.push(path.clone());
            }
            if paths.len() > PATCH_LIMIT {
                return None;
            }
        }
        if paths.len() > PATCH_LIMIT {
            return None;
        }
        // A path that is gone and that the last load knew nothing of (an
        // editor's temporary file, renamed over the one it saves) changes
        // nothing.
        let listed =
            |path: &PathBuf| self.cache.discovered.as_ref().is_none_or(|d| d.notes.iter().any(|n| &n.path == path));
        paths.retain(|path| {
            self.cache.parts.contains_key(path)
                || listed(path)
                || !matches!(std::fs::symlink_metadata(self.root.join(path)), Err(e) if e.kind() == std::io::ErrorKind::NotFound)
        });
        paths.sort();
        let mut files = Vec::with_capacity(paths.len());
        for path in &paths {
            let folder = path.components().next().map(|c| c.as_os_str().to_string_lossy().into_owned());
            let file = match folder.as_deref().and_then(Kind::from_folder) {
                Some(Kind::Page) => self.patch_any::<Page>(path, &last),
                Some(Kind::Measure) => self.patch_any::<Measure>(path, &last),
                Some(Kind::Partner) => self.patch_any::<Partner>(path, &last),
                Some(Kind::Story) => self.patch_any::<Story>(path, &last),
                Some(Kind::Media) => self.patch_any::<Media>(path, &last),
                Some(Kind::Topic) | None => None,
            };
            files.push(file?);
        }
        let mut snapshot = last.snapshot.clone();
        let mut warnings = std::mem::take(&mut snapshot.warnings);
        for file in &files {
            if matches!(file.change, FileChange::Deleted) {
                // Nothing is said of a file that is not there.
                warnings.retain(|w| w.path != file.path);
                continue;
            }
            for d in &file.old_own {
                let at = warnings.iter().position(|w| w == d)?;
                warnings.remove(at);
            }
            warnings.extend(file.new_own.iter().cloned());
        }
        sort_diagnostics(&mut warnings);
        snapshot.warnings = warnings;
        let mut links_changed = false;
        let mut keep = Vec::with_capacity(files.len());
        let mut ids = Vec::new();
        let mut applied = Vec::new();
        let mut hashes = Vec::new();
        let mut reindex = Vec::new();
        // The items whose count of files naming them went to or from zero.
        let mut named = Vec::new();
        // Files new or gone: the items they may leave or bring.
        let mut created = Vec::new();
        let mut deleted = Vec::new();
        for file in files {
            if let Some(apply) = file.apply {
                if !apply(&mut snapshot) {
                    return None;
                }
                ids.push(file.id.clone());
                applied.push(file.path.clone());
                hashes.push((file.hashes, file.visible));
            }
            reindex.extend(file.reindex);
            let naming: Arc<[ItemId]> = file.check.as_ref().map_or_else(|| Arc::from([]), |c| c.referenced.clone());
            let (before, after): (BTreeSet<&ItemId>, BTreeSet<&ItemId>) =
                (file.was_naming.iter().collect(), naming.iter().collect());
            for &id in before.difference(&after) {
                if let Some(n) = last.referenced.get_mut(id) {
                    *n = n.saturating_sub(1);
                    if *n == 0 {
                        last.referenced.remove(id);
                        named.push(id.clone());
                    }
                }
            }
            for &id in after.difference(&before) {
                count(&mut last.referenced, id);
                if last.referenced.get(id) == Some(&1) {
                    named.push(id.clone());
                }
            }
            links_changed |= file.links_changed;
            match file.change {
                FileChange::Edited => {}
                FileChange::Created(found) => created.push((file.id, found)),
                FileChange::Deleted => deleted.push((file.id, file.path.clone())),
            }
            keep.push((file.path, file.keep, file.check));
        }
        let versions_kept = created.is_empty() && deleted.is_empty();
        // An item left without a file must not be named by any other; an
        // item with a new file is one more slug of its kind.
        for (id, _) in &deleted {
            if item_files(&snapshot, id).is_empty() {
                if last.referenced.contains_key(id) {
                    return None;
                }
                if let Some(kinds) = Arc::make_mut(&mut last.existing).get_mut(id.slug.as_str()) {
                    kinds.remove(&id.kind);
                    if kinds.is_empty() {
                        Arc::make_mut(&mut last.existing).remove(id.slug.as_str());
                    }
                }
            }
        }
        for (id, _) in &created {
            Arc::make_mut(&mut last.existing).entry(id.slug.to_string()).or_default().insert(id.kind);
            named.push(id.clone());
        }
        // The indexes, once every changed document is in: an item is in an
        // index when any of its documents puts it there.
        let mut shown_changed = Vec::new();
        for reindex in reindex {
            shown_changed.extend(reindex(&mut snapshot));
        }
        // What is linked from nowhere now, or no longer.
        if !last.references_unknown && !named.is_empty() {
            // Pages are the way in: they are never reported as linked from
            // nowhere (see `Loader::run`).
            for id in named
                .into_iter()
                .filter(|id| matches!(id.kind, Kind::Measure | Kind::Partner | Kind::Story | Kind::Media))
            {
                let Some(path) = item_files(&snapshot, &id).into_iter().find(|p| is_original(p)) else { continue };
                let warning = unreferenced(id.kind, &path);
                let at = snapshot.warnings.iter().position(|w| *w == warning);
                match (last.referenced.contains_key(&id), at) {
                    (true, Some(at)) => {
                        snapshot.warnings.remove(at);
                    }
                    (false, None) => snapshot.warnings.push(warning),
                    _ => {}
                }
            }
            sort_diagnostics(&mut snapshot.warnings);
        }
        // A media item shown by other documents than before may be seen by
        // the public or not: its own version counts, and those who compare
        // snapshots must look at it too.
        shown_changed.sort();
        shown_changed.dedup();
        let media_changed = !shown_changed.is_empty();
        ids.extend(shown_changed);
        snapshot.version = version_of(&snapshot);
        ids.sort();
        ids.dedup();
        snapshot.patched_from = Some(Arc::new((last.snapshot.version, ids)));
        if links_changed {
            snapshot.link_sensitive = Arc::new(link_sensitive(&snapshot));
        }
        // What the public sees changes in the changed files alone (their
        // visibility is as it was): the public versions and rewritten
        // bodies already made for the last snapshot are patched, not made
        // again (at 100,000 items, rewriting every body that links to a
        // hidden item takes seconds).
        let epochs = last.snapshot.public_versions.len();
        let mut versions = Vec::with_capacity(epochs);
        for (epoch, cell) in last.snapshot.public_versions.iter().enumerate() {
            let patched = std::sync::OnceLock::new();
            if !media_changed
                && versions_kept
                && let Some(&sum) = cell.get()
                && let Some(at) = epoch_instant(&snapshot.embargoes, epoch)
            {
                let view = snapshot.view(crate::Audience::Public, at);
                let mut sum = sum;
                for ((old, new), visible) in &hashes {
                    if visible(&view) {
                        sum = sum.wrapping_sub(xxhash_rust::xxh3::xxh3_64(&old.to_le_bytes()));
                        sum = sum.wrapping_add(xxhash_rust::xxh3::xxh3_64(&new.to_le_bytes()));
                    }
                }
                let _ = patched.set(sum);
            }
            versions.push(patched);
        }
        snapshot.public_versions = Arc::new(versions);
        snapshot.public_bodies = Arc::new(
            last.snapshot
                .public_bodies
                .iter()
                .map(|cell| {
                    let patched = std::sync::OnceLock::new();
                    if let Some(bodies) = cell.get() {
                        let _ = patched.set(bodies.patched(&applied, &snapshot.link_sensitive));
                    }
                    patched
                })
                .collect(),
        );
        for (path, part, check) in keep {
            match (part, check) {
                (Some(part), Some(check)) => {
                    self.cache.parts.insert(path.clone(), part);
                    self.cache.checks.insert(path, check);
                }
                _ => {
                    self.cache.parts.swap_remove(&path);
                    self.cache.checks.remove(&path);
                }
            }
        }
        // The listing, as the next load that is told of changes keeps it.
        if (!created.is_empty() || !deleted.is_empty())
            && let Some(discovered) = &mut self.cache.discovered
        {
            let gone: HashSet<&PathBuf> = deleted.iter().map(|(_, path)| path).collect();
            discovered.found.retain(|f| !gone.contains(&f.path));
            discovered.found.extend(created.into_iter().map(|(_, found)| found));
            discovered.found.sort_unstable_by(|a, b| by_path(&a.path, &b.path));
        }
        self.cache.last = Some(Last { snapshot: snapshot.clone(), ..last });
        Some(snapshot)
    }

    /// What a full load finds in the file `parsed` alone, with `check` its
    /// checks against the rest (whose diagnostics, pushed from `first` on,
    /// are dropped here and taken from `check`); `None` when that is an
    /// error, which only a full load reports whole.
    fn own_diagnostics<T: Cached>(
        &mut self,
        parsed: &Parsed<T>,
        check: &CheckedPart,
        first: usize,
    ) -> Option<Vec<Diagnostic>> {
        self.diagnostics.truncate(first);
        self.check_markup(&parsed.source, &parsed.doc.body);
        T::own_checks(self, parsed);
        let mut own = self.diagnostics.split_off(first);
        own.extend(check.diagnostics.iter().cloned());
        (!own.iter().any(Diagnostic::is_error)).then_some(own)
    }

    /// In a git repository, a file committed as it is is dated by its last
    /// commit, as a full load dates it.
    #[cfg(feature = "git")]
    fn date<T: Clone>(&self, path: &Path, parsed: &mut Parsed<T>) {
        let dates = crate::history::last_commits(&self.root, &[(path.to_owned(), parsed.size, parsed.doc.modified)]);
        if let Some(d) = dates.get(path)
            && parsed.doc.modified != Some(*d)
        {
            Arc::make_mut(&mut parsed.doc).modified = Some(*d);
        }
    }

    /// One changed file of kind `T` for [`Loader::patch`]: edited, new or
    /// gone; `None` when it cannot be patched in.
    fn patch_any<T: Cached>(&mut self, path: &Path, last: &Last) -> Option<PatchedFile> {
        let there = match std::fs::symlink_metadata(self.root.join(path)) {
            Ok(_) => true,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
            Err(_) => return None,
        };
        match (self.cache.parts.contains_key(path), there) {
            (true, true) => self.patch_file::<T>(path, last),
            (true, false) => self.patch_deleted::<T>(path, last),
            (false, true) => self.patch_created::<T>(path, last),
            (false, false) => None,
        }
    }

    /// A new file for [`Loader::patch`]: one the listing would take as
    /// content, of an item and locale no other file has, that parses
    /// without errors, has no embargo (the visibility epochs stay) and, if
    /// a page, no legacy URLs.
    fn patch_created<T: Cached>(&mut self, path: &Path, last: &Last) -> Option<PatchedFile> {
        if !std::fs::symlink_metadata(self.root.join(path)).ok()?.is_file() {
            return None;
        }
        let name = path.file_name()?.to_string_lossy().into_owned();
        let first = self.diagnostics.len();
        let mut listed = Vec::new();
        self.classify(T::KIND, &name, false, Some(&last.snapshot.site), &mut listed);
        if self.diagnostics.len() != first {
            return None;
        }
        let found = listed.pop().filter(|f| f.path == path && listed.is_empty())?;
        if T::collection(&last.snapshot).exact(&found.slug, &found.locale).is_some() {
            return None;
        }
        let folder = self.root.join(T::KIND.folder());
        let plain_folder = folder.canonicalize().is_ok_and(|c| c == folder);
        let settle = self.cache.settle.unwrap_or(SETTLE);
        let from =
            Kept { memory: None, disk: None, at: 0, spool: None, trusted: false, settle, plain_folder, folder: None };
        let (result, keep) = parse_cached::<T>(&self.root, self.site_url.as_deref(), &found, from, &self.fresh);
        #[cfg_attr(not(feature = "git"), allow(unused_mut))]
        let (mut new, keep) = (result.ok()?, keep?);
        if new.doc.meta.visibility().1.is_some() || !T::quiet(&new.doc.meta) {
            return None;
        }
        let context = *last.contexts.get(&T::KIND)?;
        let check = self.check_item(&new, last, context);
        let new_own = self.own_diagnostics(&new, &check, first)?;
        #[cfg(feature = "git")]
        self.date(path, &mut new);
        let doc = new.doc.clone();
        let reindex: Reindex = Box::new(move |s: &mut Snapshot| reindex::<T>(s, None, Some(&doc)));
        let doc = new.doc;
        let apply: Put = Box::new(move |s: &mut Snapshot| T::slot(s).insert_sorted(doc));
        Some(PatchedFile {
            path: path.to_owned(),
            keep: Some(keep),
            check: Some(check),
            id: ItemId { kind: T::KIND, slug: found.slug.as_str().into() },
            change: FileChange::Created(found),
            old_own: Vec::new(),
            new_own,
            apply: Some(apply),
            links_changed: true,
            hashes: (0, 0),
            visible: Box::new(|_| false),
            was_naming: Arc::from([]),
            reindex: Some(reindex),
        })
    }

    /// A file gone, for [`Loader::patch`]: it parsed before, had no embargo
    /// and, if a page, no legacy URLs, and is not an original with
    /// translations left. (Whether another file still names its item is
    /// known once every change is counted.)
    fn patch_deleted<T: Cached>(&mut self, path: &Path, last: &Last) -> Option<PatchedFile> {
        let kept = self.cache.parts.get(path)?.clone();
        let old = T::of(&kept.part)?.as_ref().ok()?.clone();
        if old.doc.meta.visibility().1.is_some() || !T::quiet(&old.doc.meta) {
            return None;
        }
        if is_original(path) && T::collection(&last.snapshot).locales_of(&old.doc.slug).any(|d| d.path != path) {
            return None;
        }
        let context = *last.contexts.get(&T::KIND)?;
        let old_check = self.cache.checks.get(path).filter(|c| c.hash == old.hash && c.context == context)?.clone();
        let doc = old.doc.clone();
        let reindex: Reindex = Box::new(move |s: &mut Snapshot| reindex::<T>(s, Some(&doc), None));
        let (slug, locale) = (old.doc.slug.clone(), old.doc.locale.clone());
        let apply: Put = Box::new(move |s: &mut Snapshot| T::slot(s).remove(&slug, &locale));
        Some(PatchedFile {
            path: path.to_owned(),
            keep: None,
            check: None,
            change: FileChange::Deleted,
            old_own: Vec::new(),
            new_own: Vec::new(),
            apply: Some(apply),
            links_changed: true,
            id: ItemId { kind: T::KIND, slug: old.doc.slug.as_str().into() },
            hashes: (0, 0),
            visible: Box::new(|_| false),
            was_naming: old_check.referenced.clone(),
            reindex: Some(reindex),
        })
    }

    /// An edited file for [`Loader::patch`]: it parsed before and still
    /// does, with the same visibility and (pages) legacy URLs.
    fn patch_file<T: Cached>(&mut self, path: &Path, last: &Last) -> Option<PatchedFile> {
        let kept = self.cache.parts.get(path)?.clone();
        let old = T::of(&kept.part)?.as_ref().ok()?.clone();
        let found =
            Found { kind: T::KIND, slug: old.doc.slug.clone(), locale: old.doc.locale.clone(), path: path.to_owned() };
        let folder = self.root.join(T::KIND.folder());
        let plain_folder = folder.canonicalize().is_ok_and(|c| c == folder);
        let settle = self.cache.settle.unwrap_or(SETTLE);
        let from = Kept {
            memory: Some(&kept),
            disk: None,
            at: 0,
            spool: None,
            trusted: false,
            settle,
            plain_folder,
            folder: None,
        };
        let (result, keep) = parse_cached::<T>(&self.root, self.site_url.as_deref(), &found, from, &self.fresh);
        #[cfg_attr(not(feature = "git"), allow(unused_mut))]
        let (mut new, keep) = (result.ok()?, keep?);
        let unchanged = Arc::ptr_eq(&new.doc, &old.doc);
        let (a, b) = (&old.doc, &new.doc);
        let item_links = |d: &Document<T>| -> Vec<(Kind, compact_str::CompactString)> {
            d.body
                .links
                .iter()
                .filter_map(|l| match &l.target {
                    LinkTarget::Item { kind, slug, .. } => Some((*kind, slug.clone())),
                    _ => None,
                })
                .collect()
        };
        let (old_links, new_links) = (item_links(a), item_links(b));
        let same_for_others = a.meta.visibility() == b.meta.visibility() && T::same_for_others(&a.meta, &b.meta);
        if !same_for_others {
            return None;
        }
        let context = *last.contexts.get(&T::KIND)?;
        let old_check = self.cache.checks.get(path).filter(|c| c.hash == old.hash && c.context == context)?.clone();
        let first = self.diagnostics.len();
        self.check_markup(&old.source, &old.doc.body);
        T::own_checks(self, &old);
        let mut old_own = self.diagnostics.split_off(first);
        old_own.extend(old_check.diagnostics.iter().cloned());
        let check = if unchanged { old_check.clone() } else { self.check_item(&new, last, context) };
        let new_own = self.own_diagnostics(&new, &check, first)?;
        #[cfg(feature = "git")]
        if !unchanged {
            self.date(path, &mut new);
        }
        let links_changed = old_links != new_links;
        let hashes = (old.doc.hash, new.doc.hash);
        let visible: Box<dyn Fn(&View<'_>) -> bool> = {
            let doc = new.doc.clone();
            Box::new(move |view: &View<'_>| view.is_visible(&doc))
        };
        let reindex: Option<Reindex> = (!unchanged).then(|| {
            let (old, new) = (old.doc.clone(), new.doc.clone());
            Box::new(move |s: &mut Snapshot| reindex::<T>(s, Some(&old), Some(&new))) as Reindex
        });
        let was_naming = old_check.referenced.clone();
        let doc = new.doc;
        let apply: Option<Put> =
            (!unchanged).then(|| Box::new(move |s: &mut Snapshot| T::slot(s).replace(doc)) as Box<_>);
        let id = ItemId { kind: T::KIND, slug: found.slug.as_str().into() };
        Some(PatchedFile {
            path: path.to_owned(),
            keep: Some(keep),
            check: Some(check),
            change: FileChange::Edited,
            old_own,
            new_own,
            apply,
            links_changed,
            id,
            hashes,
            visible,
            was_naming,
            reindex,
        })
    }
}

/// Sorts diagnostics by file and place, then by everything else, and
/// drops repeats: one order, whichever way they were found.
fn sort_diagnostics(diagnostics: &mut Vec<Diagnostic>) {
    diagnostics.sort_by(|a, b| {
        (&a.path, a.line, a.column, a.severity, &a.message, &a.help)
            .cmp(&(&b.path, b.line, b.column, b.severity, &b.message, &b.help))
            .then_with(|| {
                let span = |d: &Diagnostic| d.span.as_ref().map(|s| (s.start, s.end));
                span(a).cmp(&span(b))
            })
    });
    diagnostics.dedup();
}

/// The documents whose bodies link to an item the public may not see at
/// some instant: one whose original (default locale) is not published or
/// archived, or has an embargo. A link to an item whose original is public
/// for good always resolves for the public, through the fallback chain.
/// Media count as safe: a media item is visible whenever a visible item
/// shows it, and only visible items' bodies reach the public.
fn link_sensitive(snapshot: &Snapshot) -> HashSet<PathBuf> {
    // The items that are not public for good: usually few. (In a snapshot
    // every item link names an item with an original, or loading failed.)
    fn hidden<'s, T: Item>(snapshot: &'s Snapshot, out: &mut HashSet<(Kind, &'s str)>) {
        for d in T::collection(snapshot).all() {
            let (status, publish_at) = d.meta.visibility();
            if d.locale == snapshot.site.default_locale && !(status.is_public() && publish_at.is_none()) {
                out.insert((T::KIND, d.slug.as_str()));
            }
        }
    }
    let mut unsafe_targets = HashSet::default();
    hidden::<Page>(snapshot, &mut unsafe_targets);
    hidden::<Measure>(snapshot, &mut unsafe_targets);
    hidden::<Partner>(snapshot, &mut unsafe_targets);
    hidden::<Story>(snapshot, &mut unsafe_targets);
    if unsafe_targets.is_empty() {
        return HashSet::default();
    }
    let sensitive = |body: &Body| {
        body.links.iter().any(
            |l| matches!(&l.target, LinkTarget::Item { kind, slug, .. } if unsafe_targets.contains(&(*kind, slug.as_str()))),
        )
    };
    fn linking<T: Item>(docs: &[Arc<Document<T>>], sensitive: impl Fn(&Body) -> bool + Sync) -> Vec<PathBuf> {
        docs.par_iter().filter(|d| sensitive(&d.body)).map(|d| d.path.clone()).collect()
    }
    let mut out = HashSet::default();
    out.extend(linking(snapshot.pages.all(), sensitive));
    out.extend(linking(snapshot.measures.all(), sensitive));
    out.extend(linking(snapshot.partners.all(), sensitive));
    out.extend(linking(snapshot.stories.all(), sensitive));
    out
}

/// A snapshot's version: a hash of every file's hash, in order, and of
/// the settings. A pass over the documents, no more, so that a patched
/// snapshot gets the version a full load would give it.
fn version_of(snapshot: &Snapshot) -> u64 {
    fn add<T>(collection: &Collection<T>, hasher: &mut xxhash_rust::xxh3::Xxh3) {
        for doc in collection.all() {
            hasher.update(&doc.hash.to_le_bytes());
        }
    }
    let mut hasher = xxhash_rust::xxh3::Xxh3::new();
    add(&snapshot.pages, &mut hasher);
    add(&snapshot.measures, &mut hasher);
    add(&snapshot.partners, &mut hasher);
    add(&snapshot.stories, &mut hasher);
    add(&snapshot.media, &mut hasher);
    hasher.update(&snapshot.settings_hash.to_le_bytes());
    hasher.digest()
}

/// The documents of each kind, in order.
type Docs = (
    Vec<Arc<Document<Page>>>,
    Vec<Arc<Document<Measure>>>,
    Vec<Arc<Document<Partner>>>,
    Vec<Arc<Document<Story>>>,
    Vec<Arc<Document<Media>>>,
);

/// A snapshot of `docs` under these settings, with its indexes (what a
/// load builds once every file is parsed and checked).
fn assemble(
    site: Site,
    topics: Vec<crate::model::Topic>,
    legacy: Vec<crate::model::LegacyAddress>,
    docs: Docs,
) -> Snapshot {
    let mut snapshot = Snapshot {
        site,
        topics,
        pages: Collection::default(),
        measures: Collection::default(),
        partners: Collection::default(),
        stories: Collection::default(),
        media: Collection::default(),
        by_topic: Arc::default(),
        by_country: Arc::default(),
        referrers: Arc::default(),
        media_users: Arc::default(),
        warnings: Vec::new(),
        version: 0,
        settings_hash: 0,
        embargoes: Vec::new(),
        public_versions: Arc::default(),
        public_bodies: Arc::default(),
        link_sensitive: Arc::default(),
        legacy: Arc::new(legacy),
        old_addresses: Arc::default(),
        revision: None,
        revision_time: None,
        patched_from: None,
    };
    // The collections and the indexes across them at once: the pages'
    // collection apart from the other kinds', and the back-references
    // apart from the other indexes (each across every kind: nothing to
    // merge after).
    fn collection<T>(docs: &[Arc<Document<T>>]) -> Collection<T> {
        let mut collection = Collection::default();
        for doc in docs {
            collection.insert(doc.clone());
        }
        collection
    }
    let (pages, measures, partners, stories, media) = &docs;
    let collections = rayon::join(
        || {
            let (pages, rest) = rayon::join(
                || collection(pages),
                || (collection(measures), collection(partners), collection(stories), collection(media)),
            );
            (pages, rest.0, rest.1, rest.2, rest.3)
        },
        || {
            let (referrers, mut all) = rayon::join(
                || Indexes::referrers_of(pages, HashMap::default()),
                || Indexes::default().add(pages).add(measures).add(partners).add(stories).add(media),
            );
            let referrers = Indexes::referrers_of(measures, referrers);
            let referrers = Indexes::referrers_of(partners, referrers);
            let referrers = Indexes::referrers_of(stories, referrers);
            all.referrers = Indexes::referrers_of(media, referrers);
            all.settle();
            all
        },
    );
    let (collections, indexes) = collections;
    snapshot.by_topic = Arc::new(indexes.by_topic);
    snapshot.by_country = Arc::new(indexes.by_country);
    snapshot.referrers = Arc::new(indexes.referrers);
    snapshot.media_users = Arc::new(indexes.media_users);
    snapshot.embargoes = indexes.embargoes;
    (snapshot.pages, snapshot.measures, snapshot.partners, snapshot.stories, snapshot.media) = collections;
    snapshot.settings_hash = settings_hash(&snapshot.site, &snapshot.topics, &snapshot.legacy);
    snapshot.version = version_of(&snapshot);
    snapshot.embargoes.sort();
    snapshot.public_versions = Arc::new((0..=snapshot.embargoes.len()).map(|_| std::sync::OnceLock::new()).collect());
    snapshot.public_bodies = Arc::new((0..=snapshot.embargoes.len()).map(|_| std::sync::OnceLock::new()).collect());
    let (old_addresses, sensitive) =
        rayon::join(|| crate::transition::index(&snapshot, &snapshot.legacy), || link_sensitive(&snapshot));
    snapshot.old_addresses = Arc::new(old_addresses);
    snapshot.link_sensitive = Arc::new(sensitive);
    snapshot
}

/// The documents of one kind kept whole, and the parts for the next load:
/// each document's file as the listing found it, with its body and source
/// from the kept file (taken: they become the load's parts, so that the
/// next load reuses them); `None` if one cannot be made as it was kept.
#[allow(clippy::type_complexity)]
fn image_docs<T: Cached>(
    docs: &[(&Found, &store::ImageDoc)],
    restored: &store::Restored,
    site: Option<&str>,
) -> Option<(Vec<Arc<Document<T>>>, Vec<(PathBuf, CachedPart)>)> {
    let mine: Vec<(usize, &Found, &store::ImageDoc)> =
        docs.iter().enumerate().filter(|(_, (f, _))| f.kind == T::KIND).map(|(at, &(f, d))| (at, f, d)).collect();
    let make = |&(at, f, d): &(usize, &Found, &store::ImageDoc)| {
        let file = restored.take(&f.path, at)?;
        let (stamp, read_at, hash) = file.stamp()?;
        let (source, body) = restored.source(file, &f.path, site)?;
        let meta = crate::reference::read_plain(|| serde_json::from_str::<T>(&d.meta)).ok()?;
        let modified = match d.modified {
            Some((secs, nanos)) => Some(chrono::DateTime::from_timestamp(secs, nanos)?),
            None => None,
        };
        let (slug, locale, path) = (f.slug.clone(), f.locale.clone(), f.path.clone());
        let doc = Arc::new(Document { slug, locale, path: path.clone(), meta, body, hash, modified });
        let size = source.file.len() as u64;
        let parsed = Parsed { doc: doc.clone(), source: Arc::new(source), hash, size };
        Some((doc, (path, CachedPart { stamp, read_at, hash, part: T::part(Ok(parsed)) })))
    };
    // Written in place into vectors of the right length (the length is
    // known), not grown and copied as a filtered collect would.
    let (mut made, mut kept) = (Vec::new(), Vec::new());
    mine.par_iter()
        .map(|m| match make(m) {
            Some((doc, part)) => (Some(doc), Some(part)),
            None => (None, None),
        })
        .unzip_into_vecs(&mut made, &mut kept);
    Some((made.into_iter().collect::<Option<_>>()?, kept.into_iter().collect::<Option<_>>()?))
}

/// The hash that stands for a path in an image.
fn path_hash(path: &Path) -> u64 {
    xxhash_rust::xxh3::xxh3_64(path.as_os_str().as_encoded_bytes())
}

/// What a cache keeps of a successful load's `snapshot` to build it again
/// ([`Loader::whole`]); `None` when some document's front matter would
/// not read back as it is, or a path is not UTF-8.
fn image_of(snapshot: &Snapshot, listing: &Discovered, git: Option<String>) -> Option<store::Image> {
    fn docs<'a, T: Cached>(collection: &'a Collection<T>, out: &mut Vec<(&'a Path, store::ImageDoc)>) -> Option<()> {
        let made: Option<Vec<(&Path, store::ImageDoc)>> = collection
            .all()
            .par_iter()
            .map(|d| {
                let meta = serde_json::to_string(&d.meta).ok()?;
                if crate::reference::read_plain(|| serde_json::from_str::<T>(&meta)).ok()? != d.meta {
                    return None;
                }
                let modified = d.modified.map(|m| (m.timestamp(), m.timestamp_subsec_nanos()));
                Some((d.path.as_path(), store::ImageDoc { kind: T::KIND, path: path_hash(&d.path), meta, modified }))
            })
            .collect();
        out.extend(made?);
        Some(())
    }
    let mut all = Vec::new();
    docs(&snapshot.pages, &mut all)?;
    docs(&snapshot.measures, &mut all)?;
    docs(&snapshot.partners, &mut all)?;
    docs(&snapshot.stories, &mut all)?;
    docs(&snapshot.media, &mut all)?;
    // In the listing's order, which the start zips them with.
    all.sort_unstable_by(|a, b| by_path(a.0, b.0));
    let all = all.into_iter().map(|(_, d)| d).collect();
    let warnings = snapshot.warnings.iter().map(store::stored_diagnostic).collect::<Option<Vec<_>>>()?;
    Some(store::Image { settings: snapshot.settings_hash, listing: listing_hash(listing), git, docs: all, warnings })
}

/// A hash of a listing of the folders: the content files it found, and
/// what it said of the rest.
fn listing_hash(listing: &Discovered) -> u64 {
    let mut hash = xxhash_rust::xxh3::Xxh3::new();
    for f in &listing.found {
        hash.update(f.path.as_os_str().as_encoded_bytes());
        hash.update(&[0, f.kind as u8]);
        hash.update(f.slug.as_bytes());
        hash.update(format!("\0{}\0", f.locale).as_bytes());
    }
    let mut notes: Vec<String> = listing.notes.iter().map(|n| format!("{n:?}")).collect();
    notes.sort_unstable();
    for n in notes {
        hash.update(n.as_bytes());
    }
    hash.digest()
}

/// The state of the git repository the folder is in, which dates depend
/// on: the commit checked out and the index's stamp.
#[cfg(feature = "git")]
fn git_state(root: &Path) -> Option<String> {
    crate::history::state(root)
}

#[cfg(not(feature = "git"))]
fn git_state(_: &Path) -> Option<String> {
    None
}

/// A hash of the settings every file is read and checked under.
fn settings_hash(site: &Site, topics: &[crate::model::Topic], legacy: &[crate::model::LegacyAddress]) -> u64 {
    xxhash_rust::xxh3::xxh3_64(format!("{site:?}{topics:?}{legacy:?}").as_bytes())
}

/// The indexes across collections that a snapshot keeps, built from its
/// documents (unsorted, with repeats, until [`Indexes::settle`]).
#[derive(Default)]
struct Indexes {
    by_topic: HashMap<String, Vec<ItemId>>,
    by_country: HashMap<crate::Country, Vec<ItemId>>,
    referrers: HashMap<ItemId, Vec<ItemId>>,
    media_users: HashMap<String, Vec<(ItemId, Locale)>>,
    embargoes: Vec<chrono::DateTime<chrono::Utc>>,
}

impl Indexes {
    /// With what `docs` say of other items, but for who refers to what
    /// ([`Indexes::referrers_of`]).
    fn add<T: Item>(mut self, docs: &[Arc<Document<T>>]) -> Indexes {
        for doc in docs {
            let id = ItemId { kind: T::KIND, slug: doc.slug.as_str().into() };
            for r in doc.meta.references() {
                match r.kind {
                    Kind::Topic => push(&mut self.by_topic, r.slug, id.clone()),
                    Kind::Media => push(&mut self.media_users, r.slug, (id.clone(), doc.locale.clone())),
                    _ => {}
                }
            }
            for link in &doc.body.links {
                if let LinkTarget::Item { kind: Kind::Media, slug, .. } = &link.target {
                    push(&mut self.media_users, slug.as_str(), (id.clone(), doc.locale.clone()));
                }
            }
            if let Some(t) = doc.meta.visibility().1 {
                self.embargoes.push(t.instant());
            }
            if let Some(country) = doc.meta.country() {
                self.by_country.entry(country).or_default().push(id.clone());
            }
        }
        self
    }

    /// `referrers` with the items `docs` refer to in their front matter.
    fn referrers_of<T: Item>(
        docs: &[Arc<Document<T>>],
        mut referrers: HashMap<ItemId, Vec<ItemId>>,
    ) -> HashMap<ItemId, Vec<ItemId>> {
        // The key looked up, made again in place for each reference: a
        // target already in the map (most are) costs no copy of its slug.
        let mut target = ItemId { kind: Kind::Page, slug: compact_str::CompactString::default() };
        for doc in docs {
            let id = ItemId { kind: T::KIND, slug: doc.slug.as_str().into() };
            for r in doc.meta.references() {
                if r.kind == Kind::Topic {
                    continue;
                }
                target.kind = r.kind;
                target.slug.clear();
                target.slug.push_str(r.slug);
                match referrers.get_mut(&target) {
                    Some(ids) => ids.push(id.clone()),
                    None => {
                        referrers.insert(target.clone(), vec![id.clone()]);
                    }
                }
            }
        }
        referrers
    }

    /// Each list sorted, each entry once.
    fn settle(&mut self) {
        let mut ids: Vec<&mut Vec<ItemId>> = (self.by_topic.values_mut())
            .chain(self.by_country.values_mut())
            .chain(self.referrers.values_mut())
            .collect();
        let mut users: Vec<&mut Vec<(ItemId, Locale)>> = self.media_users.values_mut().collect();
        rayon::join(
            || {
                ids.par_iter_mut().for_each(|ids| {
                    ids.sort();
                    ids.dedup();
                })
            },
            || {
                users.par_iter_mut().for_each(|users| {
                    users.sort();
                    users.dedup();
                })
            },
        );
    }
}

/// Adds `value` under `key`, copying the key only when it is new.
fn push<V>(map: &mut HashMap<String, Vec<V>>, key: &str, value: V) {
    match map.get_mut(key) {
        Some(values) => values.push(value),
        None => {
            map.insert(key.to_owned(), vec![value]);
        }
    }
}

/// Reads one file of the content folder, refusing what must not be read:
/// anything that resolves outside the folder (through a symbolic link to the
/// file or to any folder on its way), and anything that is not a regular
/// file (a FIFO would block forever, a device would never end).
/// The text of a content file, and when it was last modified (when the
/// file system says). `plain_folder`: the file's folder is known to be
/// the content folder's own (it resolves to itself), so that a file that
/// is not a symbolic link is where its path says, and need not be
/// resolved component by component; `folder`: that folder, opened, to
/// look the file up in by name.
#[allow(clippy::type_complexity)]
fn read_checked(
    root: &Path,
    rel: &Path,
    plain_folder: bool,
    folder: Option<&std::fs::File>,
) -> Result<(String, Option<chrono::DateTime<chrono::Utc>>, Stamp), Diagnostic> {
    let io_error = |e: std::io::Error| Diagnostic::error(rel, (0, 0), format!("cannot read file: {e}"));
    // A regular file in a plain folder is opened as it is, refusing to
    // follow a link swapped in meanwhile (in the folder opened already,
    // when it is); anything else is resolved first.
    let file = match folder.and_then(|folder| open_in(folder, rel)) {
        Some(file) => file,
        None => open_resolved(root, rel, plain_folder)?,
    };
    let meta = file.metadata().map_err(io_error)?;
    if !meta.is_file() {
        return Err(not_regular(rel));
    }
    let too_big = || {
        Diagnostic::error(
            rel,
            (0, 0),
            format!("file is larger than the {} MiB limit for content files", MAX_FILE_SIZE / 1024 / 1024),
        )
        .with_help("split it into several items, or keep large assets outside the content folder")
    };
    if meta.len() > MAX_FILE_SIZE {
        return Err(too_big());
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(MAX_FILE_SIZE + 1).read_to_end(&mut bytes).map_err(io_error)?;
    if bytes.len() as u64 > MAX_FILE_SIZE {
        return Err(too_big());
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").map(<[u8]>::to_vec).unwrap_or(bytes);
    let text = String::from_utf8(bytes).map_err(|e| {
        let valid = e.utf8_error().valid_up_to();
        let prefix = String::from_utf8_lossy(&e.as_bytes()[..valid]).into_owned();
        Diagnostic::error_at(rel, &prefix, valid..valid, format!("invalid UTF-8 at byte {valid}"))
            .with_help("save the file as UTF-8")
    })?;
    if text.trim().is_empty() {
        let help = if rel.extension().is_some_and(|e| e == "md") {
            "a content file starts with a `+++` line, its TOML front matter, another `+++` line, then the Markdown body"
        } else {
            "fill in the required fields; `tessera new` writes a valid skeleton"
        };
        return Err(Diagnostic::error(rel, (1, 1), "file is empty").with_help(help));
    }
    Ok((text, meta.modified().ok().map(chrono::DateTime::<chrono::Utc>::from), Stamp::of(&meta)))
}

fn not_regular(rel: &Path) -> Diagnostic {
    Diagnostic::error(rel, (0, 0), "refused: not a regular file (a FIFO, socket or device)")
        .with_help("content files are ordinary files; remove this one")
}

/// Opens the content file `rel` by its path: as it is when it is a regular
/// file in a plain folder, else resolved first and refused when it leads
/// outside `root` or is not a regular file.
fn open_resolved(root: &Path, rel: &Path, plain_folder: bool) -> Result<std::fs::File, Diagnostic> {
    let full = root.join(rel);
    let io_error = |e: std::io::Error| Diagnostic::error(rel, (0, 0), format!("cannot read file: {e}"));
    let link_meta = std::fs::symlink_metadata(&full).map_err(io_error)?;
    if plain_folder
        && link_meta.is_file()
        && let Ok(file) = open_nonblocking_nofollow(&full)
    {
        return Ok(file);
    }
    let is_link = link_meta.file_type().is_symlink();
    let target = full.canonicalize().map_err(|e| {
        let what = if is_link { "broken symbolic link" } else { "cannot read file" };
        Diagnostic::error(rel, (0, 0), format!("{what}: {e}"))
    })?;
    if !target.starts_with(root) {
        return Err(Diagnostic::error(rel, (0, 0), "refused: the path leads outside the content folder")
            .with_help("a symbolic link (to the file or to a folder on its way) points elsewhere; copy the file into the content folder instead"));
    }
    if !std::fs::metadata(&target).map_err(io_error)?.is_file() {
        return Err(not_regular(rel));
    }
    // Opened without blocking and checked again on the open handle:
    // a FIFO swapped in after the check above must not hang the loader.
    open_nonblocking(&target).map_err(io_error)
}

#[cfg(unix)]
pub(crate) fn open_nonblocking(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new().read(true).custom_flags(libc::O_NONBLOCK).open(path)
}

#[cfg(not(unix))]
pub(crate) fn open_nonblocking(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::File::open(path)
}

/// Opens a content folder to look its files up in, without blocking or
/// following a link; `None` where that is not done (other systems).
#[cfg(target_os = "linux")]
fn open_folder(path: &Path) -> Option<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    let flags = libc::O_DIRECTORY | libc::O_NONBLOCK | libc::O_NOFOLLOW;
    std::fs::OpenOptions::new().read(true).custom_flags(flags).open(path).ok()
}

#[cfg(not(target_os = "linux"))]
fn open_folder(_: &Path) -> Option<std::fs::File> {
    None
}

/// Opens the content file `rel`, a file of the opened `folder`, by its
/// name there, if it is a regular file (not a link, a FIFO or a device:
/// those are for [`read_checked`] to resolve or refuse); without blocking
/// or following a link swapped in meanwhile.
#[cfg(target_os = "linux")]
fn open_in(folder: &std::fs::File, rel: &Path) -> Option<std::fs::File> {
    use rustix::fs::{AtFlags, FileType, Mode, OFlags, StatxFlags};
    let name = rel.file_name()?;
    let st = rustix::fs::statx(folder, name, AtFlags::SYMLINK_NOFOLLOW, StatxFlags::TYPE).ok()?;
    if FileType::from_raw_mode(st.stx_mode.into()) != FileType::RegularFile {
        return None;
    }
    let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC;
    rustix::fs::openat(folder, name, flags, Mode::empty()).ok().map(std::fs::File::from)
}

#[cfg(not(target_os = "linux"))]
fn open_in(_: &std::fs::File, _: &Path) -> Option<std::fs::File> {
    None
}

/// Opens `path` without blocking, failing if it is a symbolic link.
#[cfg(unix)]
fn open_nonblocking_nofollow(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new().read(true).custom_flags(libc::O_NONBLOCK | libc::O_NOFOLLOW).open(path)
}

#[cfg(not(unix))]
fn open_nonblocking_nofollow(_: &Path) -> std::io::Result<std::fs::File> {
    Err(std::io::ErrorKind::Unsupported.into())
}

/// Splits the text of a Markdown content file into its TOML front matter
/// and its body, or `None` when it does not start with a `+++` line or the
/// front matter is not closed.
pub fn split_front_matter(text: &str) -> Option<(&str, &str)> {
    let (front, body) = front_matter_ranges(text)?;
    Some((&text[front], &text[body]))
}

/// Where the front matter and the body of a Markdown content file are.
fn front_matter_ranges(text: &str) -> Option<(Range<usize>, Range<usize>)> {
    let bom = if text.starts_with('\u{feff}') { '\u{feff}'.len_utf8() } else { 0 };
    let mut lines = text[bom..].split_inclusive('\n');
    let first = lines.next()?;
    if first.trim_end() != "+++" {
        return None;
    }
    let front_start = bom + first.len();
    let mut pos = front_start;
    for line in lines {
        if line.trim_end() == "+++" {
            return Some((front_start..pos, pos + line.len()..text.len()));
        }
        pos += line.len();
    }
    None
}

/// Splits a Markdown file into its front matter and body, with diagnostics.
fn split_markdown(rel: &Path, text: String) -> Result<Source, Diagnostic> {
    let help =
        "a content file starts with a `+++` line, its TOML front matter, another `+++` line, then the Markdown body";
    match front_matter_ranges(&text) {
        Some((front, body)) => {
            Ok(Source { path: rel.to_owned(), file: 0..text.len(), text: Text::from(text), front, body })
        }
        None if !text.starts_with("+++") => {
            Err(Diagnostic::error(rel, (1, 1), "missing front matter: the file must start with a `+++` line")
                .with_help(help))
        }
        None => Err(Diagnostic::error(rel, (1, 1), "unterminated front matter: no closing `+++` line").with_help(help)),
    }
}

/// Deserializes front matter, turning a TOML error into a diagnostic:
/// `src`'s, or `front` when given (the same text, kept apart from the rest
/// of the file by the parse cache).
fn parse_front<T: DeserializeOwned>(src: &Source, front: Option<&str>) -> Result<T, Diagnostic> {
    let text = match front {
        Some(front) => Cow::Borrowed(front),
        None => src.front_text(),
    };
    toml::from_str::<T>(&text).map_err(|e| {
        let message = e.message().trim_end().to_owned();
        let d = match e.span() {
            // A missing field is missing from the whole table: there is no
            // value to point at.
            Some(span) if !message.starts_with("missing field") => src.error(src.in_front(span), message.clone()),
            _ => Diagnostic::error(&src.path, (1, 1), message.clone()),
        };
        let help = if let Some(rest) = message.strip_prefix("unknown field `") {
            Some(match closest_listed(rest) {
                Some(c) => format!("did you mean `{c}`? `schema/content.schema.json` lists every field"),
                None => "check the spelling: `schema/content.schema.json` lists every field".to_owned(),
            })
        } else if let Some(rest) = message.strip_prefix("unknown variant `") {
            closest_listed(rest).map(|c| format!("did you mean `{c}`?"))
        } else if message.starts_with("missing field") {
            Some("add the field; `tessera new` writes a skeleton with every required field".to_owned())
        } else {
            None
        };
        match help {
            Some(h) => d.with_help(h),
            None => d,
        }
    })
}

/// The allowed value closest to the one written, from the rest of serde's
/// "unknown field `titel`, expected one of `title`, `summary`" (from just
/// after the first backtick).
fn closest_listed(rest: &str) -> Option<&str> {
    let (written, expected) = rest.split_once('`')?;
    let allowed: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
    closest(written, &allowed)
}

/// A file whose front matter could not be parsed, with what can still be
/// checked in it.
#[derive(Clone)]
struct Broken {
    diagnostics: Vec<Diagnostic>,
    /// The file split into front matter and body, and the body parsed;
    /// `None` when the file could not be read or split. (Behind a pointer:
    /// it is large, most files are not broken, and the cache shares it.)
    rest: Option<Arc<(Source, Body)>>,
}

impl Broken {
    fn unread(d: Diagnostic) -> Broken {
        Broken { diagnostics: vec![d], rest: None }
    }
}

/// What earlier loads kept of a file, for [`parse_cached`].
struct Kept<'a> {
    /// This process's last parse of it.
    memory: Option<&'a CachedPart>,
    /// The parts kept on disk by an earlier run.
    disk: Option<&'a store::Restored>,
    /// Where the file is in the listing (where it likely is on disk).
    at: usize,
    /// Where a file read now leaves its text, if anywhere.
    spool: Option<&'a store::Spool>,
    /// Whether the caller knows the file did not change since it was read.
    trusted: bool,
    /// How long after its last change a file's stamp is trusted.
    settle: std::time::Duration,
    /// Whether the file's folder is the content folder's own.
    plain_folder: bool,
    /// That folder, opened, if it is.
    folder: Option<&'a std::fs::File>,
}

/// One file's parse: the cached one when the file's stamp is unchanged
/// (from this process, else from the disk), else the file is read, and
/// parsed unless its bytes are the cached ones. Also what to cache for the
/// next load: `None` when the file could not be read (it is tried again
/// next time). `fresh` counts the files read.
fn parse_cached<T: Cached>(
    root: &Path,
    site: Option<&str>,
    found: &Found,
    kept: Kept<'_>,
    fresh: &std::sync::atomic::AtomicUsize,
) -> (Result<Parsed<T>, Broken>, Option<CachedPart>) {
    let cached = kept.memory;
    if let Some(c) = cached
        && let Some(result) = T::of(&c.part)
        && c.stamp.settled(c.read_at, kept.settle)
        && (kept.trusted || std::fs::metadata(root.join(&found.path)).is_ok_and(|m| Stamp::of(&m) == c.stamp))
    {
        return (result.clone(), Some(c.clone()));
    }
    if cached.is_none()
        && let Some(disk) = kept.disk
        && let Some(file) = disk.take(&found.path, kept.at)
        && let Some((stamp, read_at, hash)) = file.stamp()
        && stamp.settled(read_at, kept.settle)
        && let Ok(meta) = std::fs::metadata(root.join(&found.path))
        && Stamp::of(&meta) == stamp
        && let Some(front) = disk.front(&file).map(str::to_owned)
        && let Some((source, body)) = disk.source(file, &found.path, site)
    {
        let modified = meta.modified().ok().map(chrono::DateTime::<chrono::Utc>::from);
        let result = parse_source::<T>(found, source, body, modified, hash, Some(&front));
        let keep = CachedPart { stamp, read_at, hash, part: T::part(result.clone()) };
        return (result, Some(keep));
    }
    fresh.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let read_at = std::time::SystemTime::now();
    let (text, modified, stamp) = match read_checked(root, &found.path, kept.plain_folder, kept.folder) {
        Ok(read) => read,
        Err(d) => return (Err(Broken::unread(d)), None),
    };
    // xxh3 is stable across platforms and releases, and fast enough not to
    // show next to parsing.
    let text_hash = crate::text::hash(&text);
    let hash = text_hash ^ xxhash_rust::xxh3::xxh3_64(found.path.to_string_lossy().as_bytes()).rotate_left(1);
    let result = match cached.and_then(|c| T::of(&c.part)).filter(|_| cached.is_some_and(|c| c.hash == hash)) {
        // The same bytes: the same parse, with the file's time as it is now.
        Some(result) => {
            let mut result = result.clone();
            if let Ok(p) = &mut result
                && p.doc.modified != modified
            {
                Arc::make_mut(&mut p.doc).modified = modified;
            }
            result
        }
        None => parse_text::<T>(site, found, text, modified, (hash, text_hash), kept.spool),
    };
    let keep = CachedPart { stamp, read_at, hash, part: T::part(result.clone()) };
    (result, Some(keep))
}

/// Parses the text of one file, given the file's hash and the text's. With
/// a `spool`, the text is left there once parsed, not held (its front
/// matter is parsed from a copy).
fn parse_text<T: Item + DeserializeOwned>(
    site: Option<&str>,
    found: &Found,
    text: String,
    modified: Option<chrono::DateTime<chrono::Utc>>,
    (hash, text_hash): (u64, u64),
    spool: Option<&store::Spool>,
) -> Result<Parsed<T>, Broken> {
    let mut source = if found.kind.extension() == "md" {
        split_markdown(&found.path, text).map_err(Broken::unread)?
    } else {
        Source::whole(&found.path, text)
    };
    // The body does not depend on the front matter: it is parsed (and later
    // checked) even when the front matter is broken.
    let mut body = if source.body_text().trim().is_empty() {
        Body::empty()
    } else {
        Body::parse_in(source.text.clone(), source.body.clone(), site)
    };
    let left = spool.and_then(|spool| spool.keep(&source.file_text(), text_hash, source.front.clone(), &found.path));
    let Some(left) = left else {
        return parse_source(found, source, body, modified, hash, None);
    };
    let front = source.front_text().into_owned();
    source.text = left.clone();
    if !body.is_empty() {
        body.rehome(left);
    }
    parse_source(found, source, body, modified, hash, Some(&front))
}

/// Parses the front matter of a file whose body is parsed (from `front`
/// when given: see [`parse_front`]).
fn parse_source<T: Item + DeserializeOwned>(
    found: &Found,
    source: Source,
    body: Body,
    modified: Option<chrono::DateTime<chrono::Utc>>,
    hash: u64,
    front: Option<&str>,
) -> Result<Parsed<T>, Broken> {
    let size = source.file.len() as u64;
    let meta = match parse_front::<T>(&source, front) {
        Ok(meta) => meta,
        Err(d) => return Err(Broken { diagnostics: vec![d], rest: Some(Arc::new((source, body))) }),
    };
    let doc = Document {
        slug: found.slug.clone(),
        locale: found.locale.clone(),
        path: found.path.clone(),
        meta,
        body,
        hash,
        modified,
    };
    Ok(Parsed { doc: Arc::new(doc), source: Arc::new(source), hash, size })
}

/// Where a link's target is written, as a range of `markdown`, given the
/// range pulldown-cmark reports for the whole link: after the `](` of an
/// inline link or image, after the `]:` of a reference definition, inside
/// the `<>` of an autolink. Anything else (a link text holding a code span
/// with a `]`, say) gets the whole link.
fn link_target_span(markdown: &str, link: Range<usize>) -> Range<usize> {
    match markdown.get(link.clone()).and_then(target_in_link) {
        Some(t) => link.start + t.start..link.start + t.end,
        None => link,
    }
}

/// The target's range within the text of one link; see [`link_target_span`].
/// Every boundary it returns is next to an ASCII byte or at an end, so it
/// falls between characters.
fn target_in_link(link: &str) -> Option<Range<usize>> {
    let b = link.as_bytes();
    if b.len() > 2 && b[0] == b'<' && b[b.len() - 1] == b'>' {
        return Some(1..b.len() - 1);
    }
    // The link text, or the label of a definition: from its `[` to the
    // matching `]`.
    let mut i = link.find('[')?;
    let mut depth = 0usize;
    loop {
        match b.get(i)? {
            b'\\' => i += 1,
            b'[' => depth += 1,
            b']' if depth == 1 => break,
            b']' => depth -= 1,
            _ => {}
        }
        i += 1;
    }
    i += 1;
    if !matches!(b.get(i), Some(b'(' | b':')) {
        return None;
    }
    i += 1;
    while b.get(i).is_some_and(u8::is_ascii_whitespace) {
        i += 1;
    }
    let start = i;
    if b.get(i) == Some(&b'<') {
        let end = start + link[start..].find('>')? + 1;
        return Some(start..end);
    }
    // A bare destination ends at a space (a title follows) or at the `)`
    // that closes the link; it may hold balanced parentheses.
    let mut parens = 0usize;
    while let Some(&c) = b.get(i) {
        match c {
            b'\\' => i += 1,
            b'(' => parens += 1,
            b')' if parens == 0 => break,
            b')' => parens -= 1,
            c if c.is_ascii_whitespace() => break,
            _ => {}
        }
        i += 1;
    }
    let end = i.min(b.len());
    (end > start).then_some(start..end)
}

/// The candidate closest to `wanted`, if it is close enough to be a likely
/// typo: a few edits away, the same words in another order
/// (`ngo-international` for `international-ngo`), or a slip in the first
/// words of a longer slug (`advocat` for `advocate-and-facilitate-dialogue`).
fn closest<'a>(wanted: &str, candidates: &[&'a str]) -> Option<&'a str> {
    candidates.iter().filter_map(|c| likeness(wanted, c).map(|l| (l, *c))).min().map(|(_, c)| c)
}

/// How `candidate` resembles `wanted`, lower is closer: the kind of
/// resemblance (edits, reordered words, a shortened slug), then the edit
/// distance. `None` when it does not.
fn likeness(wanted: &str, candidate: &str) -> Option<(u8, usize)> {
    let near = |a: &str, b: &str| {
        let d = strsim::levenshtein(a, b);
        (d <= 3.max(a.len().min(b.len()) / 4)).then_some(d)
    };
    if let Some(d) = near(wanted, candidate) {
        return Some((0, d));
    }
    let sorted = |s: &str| {
        let mut words: Vec<&str> = s.split('-').collect();
        words.sort_unstable();
        words.join("-")
    };
    if let Some(d) = near(&sorted(wanted), &sorted(candidate)) {
        return Some((1, d));
    }
    let words = wanted.split('-').count();
    let mut parts = candidate.split('-');
    let head: Vec<&str> = parts.by_ref().take(words).collect();
    if wanted.len() >= 4 && head.len() == words && parts.next().is_some() {
        let d = strsim::levenshtein(wanted, &head.join("-"));
        if d <= 1.max(wanted.len() / 4) {
            return Some((2, d));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    pub(super) const SITE: &str = "title = \"T\"\nbase_url = \"https://t.invalid/\"\ndefault_locale = \"en\"\n\n[[locales]]\ncode = \"en\"\nname = \"English\"\n";

    /// Loads a site whose only page has the given bytes; it must not panic.
    fn load_page(bytes: &[u8]) -> Result<Snapshot, LoadError> {
        let dir = tempfile::tempdir().map_err(|reason| LoadError::Root { path: PathBuf::new(), reason })?;
        let write = |p: &str, b: &[u8]| std::fs::write(dir.path().join(p), b);
        std::fs::create_dir(dir.path().join("pages"))
            .and_then(|()| write("site.toml", SITE.as_bytes()))
            .and_then(|()| write("pages/p.md", bytes))
            .map_err(|reason| LoadError::Root { path: PathBuf::new(), reason })?;
        load(dir.path())
    }

    /// The stamps a start compares with the cache's are the ones a read
    /// by path finds, whichever folder the file is in and however it is
    /// reached; a file that is gone has none.
    #[test]
    fn stamps_looked_up_in_their_folder_are_the_stamps_of_their_path() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let root = dir.path();
        let names = ["pages/a.md", "pages/deep/b.md", "pages/z.md", "stories/s.md", "stories/gone.md", "linked.md"];
        for (i, name) in names.iter().enumerate() {
            let path = root.join(name);
            std::fs::create_dir_all(path.parent().unwrap_or(root)).unwrap_or_else(|e| panic!("{e}"));
            if *name != "stories/gone.md" {
                std::fs::write(&path, "x".repeat(i + 1)).unwrap_or_else(|e| panic!("{e}"));
            }
        }
        #[cfg(unix)]
        std::os::unix::fs::symlink(root.join("pages/a.md"), root.join("stories/link.md"))
            .unwrap_or_else(|e| panic!("{e}"));
        let mut paths: Vec<&str> = names.to_vec();
        paths.extend(["stories/link.md", "missing/x.md"]);
        // A FIFO where a folder was: looked at without being opened.
        #[cfg(unix)]
        if std::process::Command::new("mkfifo").arg(root.join("pipe")).status().is_ok_and(|s| s.success()) {
            paths.push("pipe/x.md");
        }
        // Enough files that the lookup is split across threads and folders.
        let en = Locale::parse("en").unwrap_or_else(|e| panic!("{e}"));
        let found: Vec<Found> = paths
            .iter()
            .cycle()
            .take(3000)
            .map(|p| Found { kind: Kind::Page, slug: "s".to_owned(), locale: en.clone(), path: PathBuf::from(p) })
            .collect();
        let (sender, receiver) = std::sync::mpsc::channel();
        let (at, listed) = (root.to_owned(), found.clone());
        std::thread::spawn(move || sender.send(stamps_of(&at, &listed)));
        let stamps = receiver.recv_timeout(std::time::Duration::from_secs(20)).unwrap_or_else(|e| panic!("hung: {e}"));
        assert_eq!(stamps.len(), found.len());
        for (f, stamp) in found.iter().zip(&stamps) {
            let by_path = std::fs::metadata(root.join(&f.path)).ok().map(|m| Stamp::of(&m));
            assert_eq!(*stamp, by_path, "{}", f.path.display());
            let gone = f.path.starts_with("missing") || f.path.starts_with("pipe") || f.path.ends_with("gone.md");
            assert_eq!(stamp.is_none(), gone, "{}", f.path.display());
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        #[test]
        fn arbitrary_bytes_never_panic_the_loader(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
            let _ = load_page(&bytes);
        }

        #[test]
        fn arbitrary_front_matter_never_panics_and_errors_point_inside_the_file(
            front in "[a-z_=\\[\\]\"{}., 0-9\\n@/#-]{0,200}",
            body in "[ -~\\n]{0,200}",
        ) {
            let text = format!("+++\n{front}\n+++\n{body}");
            if let Err(LoadError::Invalid { diagnostics }) = load_page(text.as_bytes()) {
                let lines = text.lines().count() as u32 + 1;
                for d in diagnostics {
                    prop_assert!(d.line <= lines, "{d} is past the end of a {lines}-line file");
                }
            }
        }
    }

    /// Loads a site made of `files` (path, text) beside [`SITE`] and returns
    /// every diagnostic, each with its help and the text its span covers.
    fn diagnose(files: &[(&str, &str)]) -> Vec<String> {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let mut all = vec![("site.toml", SITE)];
        all.extend_from_slice(files);
        for (path, text) in &all {
            let full = dir.path().join(path);
            if let Some(parent) = full.parent() {
                std::fs::create_dir_all(parent).unwrap_or_else(|e| panic!("{e}"));
            }
            std::fs::write(full, text).unwrap_or_else(|e| panic!("{e}"));
        }
        let diagnostics = match load(dir.path()) {
            Ok(snapshot) => snapshot.warnings().to_vec(),
            Err(LoadError::Invalid { diagnostics }) => diagnostics,
            Err(e) => panic!("{e}"),
        };
        let text_of = |d: &Diagnostic| {
            let text = all.iter().find(|(p, _)| Path::new(p) == d.path).map_or("", |(_, t)| t);
            d.span.clone().and_then(|s| text.get(s)).unwrap_or("").to_owned()
        };
        diagnostics.iter().map(|d| format!("{d} [{}] help: {}", text_of(d), d.help.as_deref().unwrap_or("-"))).collect()
    }

    const MEASURE: &str = "+++\ntitle = \"M\"\nstatus = \"published\"\n+++\n";
    const STORY: &str = "+++\ntitle = \"S\"\nstatus = \"published\"\n+++\n";

    #[test]
    fn a_broken_item_link_points_at_its_target_and_names_the_closest_slug() {
        let page = "+++\ntitle = \"P\"\nstatus = \"published\"\nmeasures = [\"advocate-and-facilitate-dialogue\"]\n+++\n\nSee [x](@/measures/advocat.md).\n";
        assert_eq!(
            diagnose(&[("measures/advocate-and-facilitate-dialogue.md", MEASURE), ("pages/p.md", page)]),
            ["pages/p.md:7:9: error: broken link: there is no `measures/advocat.md` [@/measures/advocat.md] \
              help: did you mean `@/measures/advocate-and-facilitate-dialogue.md`?"]
        );
    }

    #[test]
    fn an_unknown_value_names_the_closest_allowed_one() {
        let partner = "+++\nname = \"P\"\nkind = \"ngo-international\"\nstatus = \"published\"\n+++\n";
        let story = "+++\ntitle = \"S\"\nstatus = \"publshed\"\n+++\n";
        let media = "kind = \"imgae\"\nalt = \"A\"\n";
        assert_eq!(
            diagnose(&[("partners/p.md", partner), ("stories/s.md", story), ("media/m.toml", media)]),
            [
                "media/m.toml:1:8: error: unknown variant `imgae`, expected one of `image`, `video`, `audio`, `document` \
                 [\"imgae\"] help: did you mean `image`?",
                "partners/p.md:3:8: error: unknown variant `ngo-international`, expected one of `international-ngo`, \
                 `national-ngo`, `community-based-organisation`, `civic-movement`, `trade-union`, `religious-community`, \
                 `professional-voluntary-association`, `dpo`, `parents-organisation` [\"ngo-international\"] \
                 help: did you mean `international-ngo`?",
                "stories/s.md:3:10: error: unknown variant `publshed`, expected one of `draft`, `review`, `published`, \
                 `archived` [\"publshed\"] help: did you mean `published`?",
            ]
        );
    }

    #[test]
    fn a_broken_front_matter_does_not_hide_its_body_problems() {
        let page = "+++\ntitle = \"P\"\nstatus = \"published\" x\n+++\n\n[a](@/stories/nope.md) <br>\n";
        assert_eq!(
            diagnose(&[("pages/p.md", page)]),
            [
                "pages/p.md:3:22: error: unexpected key or value, expected newline, `#` [] help: -",
                "pages/p.md:6:5: error: broken link: there is no `stories/nope.md` [@/stories/nope.md] \
                 help: link to an existing item as `@/<kind>/<slug>.md`",
                "pages/p.md:6:24: warning: raw HTML is shown as text, not as markup [] help: use Markdown instead of HTML",
            ]
        );
    }

    #[test]
    fn what_a_broken_file_refers_to_is_not_reported_as_linked_from_nowhere() {
        // A syntax error, an unknown field: either way the page names the
        // story, in its front matter or its body.
        let syntax = "+++\ntitle = \"P\" x\nstatus = \"published\"\nfrom_the_field = [\"s\"]\n+++\n";
        let field = "+++\ntitel = \"P\"\nstatus = \"published\"\n+++\n[s](@/stories/s.md)\n";
        for page in [syntax, field] {
            let found = diagnose(&[("stories/s.md", STORY), ("pages/p.md", page)]);
            assert_eq!(found.len(), 1, "{found:#?}");
            assert!(found[0].starts_with("pages/p.md:2:"), "{found:#?}");
        }
        // Without the broken page, the story is linked from nowhere.
        let found = diagnose(&[("stories/s.md", STORY)]);
        assert_eq!(
            found,
            [
                "stories/s.md: warning: no page or item links to this story [] help: reference it from a page, or remove it if it is no longer needed"
            ]
        );
    }

    #[test]
    fn a_file_that_cannot_be_read_as_content_silences_unreferenced_warnings() {
        let found = diagnose(&[("stories/s.md", STORY), ("pages/p.md", "no front matter\n")]);
        assert_eq!(found.len(), 1, "{found:#?}");
        assert!(found[0].contains("missing front matter"), "{found:#?}");
    }

    /// Listing order by bytes is the order of path components, for every
    /// pair of kinds' folders and names that differ around a `-`, a `.`
    /// or a digit (bytes that sort before `/`).
    #[test]
    fn content_paths_sort_by_their_bytes_as_by_their_components() {
        let names = ["a.md", "a-b.md", "a.fr.md", "a0.md", "ab.md", "a-.md", "b.md", "é.md", "a.toml", "aa-b.fr.md"];
        let folders = ["pages", "measures", "partners", "stories", "media"];
        let paths: Vec<PathBuf> =
            folders.iter().flat_map(|f| names.iter().map(move |n| Path::new(f).join(n))).collect();
        let mut by_components = paths.clone();
        by_components.sort();
        let mut by_bytes = paths;
        by_bytes.sort_unstable_by(|a, b| by_path(a, b));
        assert_eq!(by_bytes, by_components);
    }

    #[test]
    fn link_targets_are_found_in_every_form_of_link() {
        let target = |md: &str| {
            let body = Body::parse(md);
            body.links.iter().map(|l| md[link_target_span(md, l.span.clone())].to_owned()).collect::<Vec<_>>()
        };
        assert_eq!(target("[a [b] c](@/pages/x.md \"t\")"), ["@/pages/x.md"]);
        assert_eq!(target("![alt](/img/a(1).png)"), ["/img/a(1).png"]);
        assert_eq!(target("<javascript:x>"), ["javascript:x"]);
        assert_eq!(target("[a]( <@/pages/x y.md> )"), ["<@/pages/x y.md>"]);
        assert_eq!(target("[a][r]\n\n[r]:\n  @/pages/y.md \"t\"\n"), ["@/pages/y.md"]);
        assert_eq!(target("[é\\]](ü)"), ["ü"]);
    }

    #[test]
    fn closest_accepts_typos_reordered_words_and_shortened_slugs() {
        let slugs = ["advocate-and-facilitate-dialogue", "international-ngo", "title"];
        assert_eq!(closest("titel", &slugs), Some("title"));
        assert_eq!(closest("ngo-international", &slugs), Some("international-ngo"));
        assert_eq!(closest("advocat", &slugs), Some("advocate-and-facilitate-dialogue"));
        assert_eq!(closest("dialogue", &slugs), None);
        assert_eq!(closest("zzz", &slugs), None);
    }

    /// Files committed as they are take their last commit's time; an
    /// edited file its modification time; outside git, every file its
    /// modification time.
    #[cfg(feature = "git")]
    #[test]
    fn a_files_date_is_its_last_commit_unless_it_was_edited_since() {
        use std::process::Command;
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let content = dir.path().join("content");
        let page = "+++\ntitle = \"P\"\nstatus = \"published\"\n+++\nBody.\n";
        let write = |rel: &str, text: &str| {
            let path = content.join(rel);
            std::fs::create_dir_all(path.parent().unwrap_or(&content)).unwrap_or_else(|e| panic!("{e}"));
            std::fs::write(path, text).unwrap_or_else(|e| panic!("{e}"));
        };
        write("site.toml", SITE);
        write("pages/first.md", page);
        write("pages/second.md", page);
        let git = |args: &[&str], date: &str| {
            let status = Command::new("git")
                .args(args)
                .current_dir(dir.path())
                .env("GIT_AUTHOR_DATE", date)
                .env("GIT_COMMITTER_DATE", date)
                .env("GIT_AUTHOR_NAME", "T")
                .env("GIT_AUTHOR_EMAIL", "t@t.invalid")
                .env("GIT_COMMITTER_NAME", "T")
                .env("GIT_COMMITTER_EMAIL", "t@t.invalid")
                .status()
                .unwrap_or_else(|e| panic!("git: {e}"));
            assert!(status.success(), "git {args:?}");
        };
        let outside_git = load(&content).unwrap_or_else(|e| panic!("{e:?}"));
        let modified = |s: &Snapshot, slug: &str| s.pages.exact(slug, &s.site.default_locale).and_then(|d| d.modified);
        assert!(modified(&outside_git, "first").is_some_and(|m| m.timestamp() > 1_700_000_000), "modification time");

        git(&["init", "-q"], "2012-09-01T10:00:00Z");
        git(&["add", "."], "2012-09-01T10:00:00Z");
        git(&["commit", "-q", "-m", "first"], "2012-09-01T10:00:00Z");
        write("pages/second.md", &page.replace("Body.", "Body, changed."));
        git(&["commit", "-q", "-am", "second"], "2013-03-02T11:00:00Z");
        let committed = load(&content).unwrap_or_else(|e| panic!("{e:?}"));
        let at = |text: &str| chrono::DateTime::parse_from_rfc3339(text).map(|d| d.with_timezone(&chrono::Utc)).ok();
        assert_eq!(modified(&committed, "first"), at("2012-09-01T10:00:00Z"));
        assert_eq!(modified(&committed, "second"), at("2013-03-02T11:00:00Z"));

        // Edited and not committed: the edit's time, not the last commit's.
        write("pages/first.md", &page.replace("Body.", "Body, edited."));
        let edited = load(&content).unwrap_or_else(|e| panic!("{e:?}"));
        assert!(modified(&edited, "first").is_some_and(|m| m.timestamp() > 1_700_000_000));
        assert_eq!(modified(&edited, "second"), at("2013-03-02T11:00:00Z"));

        // The snapshot kept whole carries the dates it was built with: a
        // new commit (the files as they were) keeps a start from taking it.
        git(&["commit", "-q", "-am", "third"], "2014-04-03T12:00:00Z");
        let store = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let start = || LoadCache::kept_in(store.path()).with_settle_time(std::time::Duration::ZERO);
        let mut first = start();
        let kept = load_with(&content, &mut first).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(modified(&kept, "first"), at("2014-04-03T12:00:00Z"));
        assert!(matches!(first.keep(), Ok(true)));
        let mut again = start();
        let whole = load_with(&content, &mut again).unwrap_or_else(|e| panic!("{e:?}"));
        assert!(again.restored_whole());
        assert_eq!(modified(&whole, "first"), at("2014-04-03T12:00:00Z"));
        git(&["commit", "-q", "--amend", "-m", "third, again"], "2015-05-04T13:00:00Z");
        let mut amended = start();
        let after = load_with(&content, &mut amended).unwrap_or_else(|e| panic!("{e:?}"));
        assert!(!amended.restored_whole());
        assert_eq!(modified(&after, "first"), at("2015-05-04T13:00:00Z"));
        assert_eq!(modified(&after, "second"), at("2013-03-02T11:00:00Z"));
    }

    #[test]
    fn a_placed_quote_must_name_one_of_the_pages_quotes() {
        let page = |body: &str| {
            format!(
                "+++\ntitle = \"P\"\nstatus = \"published\"\n\n[[quotes]]\ntext = \"Q\"\nsource = \"S\"\n+++\n{body}\n"
            )
        };
        assert!(load_page(page("Before.\n\n![](@quote/1)").as_bytes()).is_ok());
        for (body, expected) in [
            ("![](@quote/2)", "`@quote/2` names no quote: this item has 1 (`@quote/1` to `@quote/1`)"),
            ("![](@quote/0)", "`@quote/0` names no quote: this item has 1 (`@quote/1` to `@quote/1`)"),
        ] {
            let Err(LoadError::Invalid { diagnostics }) = load_page(page(body).as_bytes()) else {
                panic!("{body} should fail")
            };
            assert_eq!(diagnostics[0].message, expected);
            // The caret is on the target, `@quote/…`, after `![](`.
            assert_eq!((diagnostics[0].line, diagnostics[0].column), (9, 5), "{diagnostics:?}");
        }
    }

    #[test]
    fn front_matter_lines_are_counted_from_the_top_of_the_file() {
        let text = "+++\ntitle = \"P\"\nstatus = \"published\"\n+++\n\n[a](@/stories/nope.md)\n";
        let Err(LoadError::Invalid { diagnostics }) = load_page(text.as_bytes()) else { panic!("should fail") };
        assert_eq!((diagnostics[0].line, diagnostics[0].column), (6, 5), "{diagnostics:?}");
    }
}
