//! The HTTP surface: routes (the API's, and the web site's from
//! [`crate::site`] and [`crate::preview`]), the preview token, limits,
//! caching headers, the response cache and hot reload.

use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use async_graphql::ServerError;
use async_graphql::parser::types::{ExecutableDocument, OperationType};
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use subtle::ConstantTimeEq;
use tessera_core::{Audience, Diagnostic, LoadError, Snapshot};
use tower_http::compression::CompressionLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::timeout::TimeoutLayer;

use crate::changes::ChangeFeed;
use crate::guard::{self, Refusal};
use crate::schema::{ContentStatus, MAX_ANSWER_BYTES, Scope, TesseraSchema, build_schema_with, sdl};
use crate::search::SearchIndexes;

/// Largest query text accepted.
pub const MAX_QUERY_BYTES: usize = 16 * 1024;
/// Largest request body accepted.
pub const MAX_BODY_BYTES: usize = 64 * 1024;
pub use crate::guard::{MAX_ALIASES, MAX_DEPTH, MAX_FIELDS, MAX_NESTING};
/// Most cost points a query may have: a list costs its page size times
/// what each item asks for, a field 1.
pub const MAX_COMPLEXITY: usize = 2_000;
/// Public answers kept in the response cache, at most.
const CACHE_ENTRIES: usize = 4096;
/// Bytes of answers kept in the response cache, at most: distinct queries
/// with large answers must not fill memory.
const CACHE_BYTES: usize = 64 * 1024 * 1024;
/// Parsed queries kept, at most.
const DOCUMENT_ENTRIES: usize = 1024;
/// Estimated bytes of parsed queries kept, at most (a parsed query takes
/// some tens of times its text).
const DOCUMENT_BYTES: usize = 32 * 1024 * 1024;
/// How many bytes of memory a parsed query is counted for, per byte of text.
const DOCUMENT_WEIGHT: usize = 48;
/// Answers larger than this are not cached.
const CACHE_MAX_BODY: usize = 1024 * 1024;

/// How the server behaves.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// The bearer token that unlocks preview; `None` disables preview.
    pub preview_token: Option<String>,
    /// `max-age` of anonymous responses, in seconds.
    pub max_age: u32,
    /// Serve GraphiQL at `/graphiql`.
    pub graphiql: bool,
    /// Longest a request may take.
    pub timeout: Duration,
    /// Origins allowed to call the API from a browser; empty means any.
    pub cors_origins: Vec<String>,
    /// Keep public answers in memory to answer repeated queries at once.
    pub response_cache: bool,
    /// Where search indexes are cached on disk (in memory only when `None`).
    pub search_cache: Option<PathBuf>,
    /// Serve the web site at `/` (pages, `/search`, `/preview`) beside the
    /// API; off, site addresses are 404s.
    pub site: bool,
    /// Believe `X-Forwarded-Proto` and `X-Forwarded-For` from a proxy in
    /// front: whether a preview cookie is `Secure`, and which client a
    /// failed sign-in is counted against.
    pub trust_proxy: bool,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            preview_token: None,
            max_age: 60,
            graphiql: true,
            timeout: Duration::from_secs(10),
            cors_origins: Vec::new(),
            response_cache: true,
            search_cache: None,
            site: true,
            trust_proxy: false,
        }
    }
}

/// A public answer, ready to send again.
pub(crate) struct Cached {
    pub(crate) status: StatusCode,
    pub(crate) content_type: &'static str,
    pub(crate) body: Bytes,
    pub(crate) etag: String,
}

/// A least-recently-used cache bounded by entries and by bytes.
struct Weighed<V> {
    entries: lru::LruCache<u128, (V, usize)>,
    bytes: usize,
    max_bytes: usize,
}

impl<V: Clone> Weighed<V> {
    fn new(entries: usize, max_bytes: usize) -> Weighed<V> {
        Weighed {
            entries: lru::LruCache::new(NonZeroUsize::MIN.saturating_add(entries.saturating_sub(1))),
            bytes: 0,
            max_bytes,
        }
    }

    fn get(&mut self, key: &u128) -> Option<V> {
        self.entries.get(key).map(|(v, _)| v.clone())
    }

    /// Keeps `value`, counted as `weight` bytes, dropping the least
    /// recently used entries until everything fits.
    fn put(&mut self, key: u128, value: V, weight: usize) {
        if weight > self.max_bytes {
            return;
        }
        if let Some((_, old)) = self.entries.pop(&key) {
            self.bytes -= old;
        }
        while self.bytes + weight > self.max_bytes {
            match self.entries.pop_lru() {
                Some((_, (_, w))) => self.bytes -= w,
                None => break,
            }
        }
        if let Some((_, (_, evicted))) = self.entries.push(key, (value, weight)) {
            self.bytes -= evicted;
        }
        self.bytes += weight;
    }
}

/// Shared by every request.
#[derive(Clone)]
pub struct AppState {
    schema: TesseraSchema,
    snapshot: Arc<ArcSwap<Snapshot>>,
    status: Arc<ArcSwap<ContentStatus>>,
    config: Arc<ServerConfig>,
    cache: Arc<Mutex<Weighed<Arc<Cached>>>>,
    /// Parsed queries by the hash of their text: clients send the same few
    /// queries again and again.
    documents: Arc<Mutex<Weighed<ExecutableDocument>>>,
    search: Arc<SearchIndexes>,
    /// When the reload in progress started, if one is.
    reloading_since: Arc<Mutex<Option<Instant>>>,
    /// How many reloads were attempted.
    reloads: Arc<AtomicU64>,
    /// Preview sessions of the web site, and failed sign-ins.
    pub(crate) preview: Arc<crate::preview::Sessions>,
    /// What the last load parsed: a reload parses only the files that
    /// changed.
    load_cache: Arc<Mutex<tessera_core::LoadCache>>,
    /// What changed for the public, version by version.
    feed: Arc<ChangeFeed>,
    /// The snapshot and instant the feed last compared against: a reload
    /// or an embargo lifting is told as the difference from them.
    told: Arc<Mutex<Told>>,
    /// `POST /hooks/git`, when the server follows a repository.
    git_hook: Option<Arc<GitHook>>,
}

/// What the change feed last saw.
struct Told {
    snapshot: Arc<Snapshot>,
    at: chrono::DateTime<chrono::Utc>,
}

/// The push webhook of a followed repository: its secret, and what asks
/// the follower to fetch now.
pub struct GitHook {
    /// The shared secret of the forge's webhook.
    pub secret: Vec<u8>,
    /// Asks for a fetch; calls while one is pending coalesce. False when
    /// nothing follows the repository any more.
    pub fetch: Box<dyn Fn() -> bool + Send + Sync>,
}

/// The snapshot a request reads, chosen once when it arrives (see
/// [`pin_version`]): its answer and its `X-Content-Version` agree even when
/// a reload lands meanwhile.
#[derive(Clone)]
pub(crate) struct Pinned(pub(crate) Arc<Snapshot>);

impl AppState {
    /// State serving `snapshot` with `config`.
    pub fn new(snapshot: Arc<Snapshot>, config: ServerConfig) -> AppState {
        let status = ContentStatus::loaded(&snapshot);
        let now = chrono::Utc::now();
        let feed = Arc::new(ChangeFeed::new(snapshot.public_label(now)));
        AppState {
            schema: build_schema_with(feed.clone()),
            feed,
            told: Arc::new(Mutex::new(Told { snapshot: snapshot.clone(), at: now })),
            git_hook: None,
            snapshot: Arc::new(ArcSwap::new(snapshot)),
            status: Arc::new(ArcSwap::from_pointee(status)),
            search: Arc::new(SearchIndexes::new(config.search_cache.clone())),
            config: Arc::new(config),
            cache: Arc::new(Mutex::new(Weighed::new(CACHE_ENTRIES, CACHE_BYTES))),
            documents: Arc::new(Mutex::new(Weighed::new(DOCUMENT_ENTRIES, DOCUMENT_BYTES))),
            reloading_since: Arc::new(Mutex::new(None)),
            reloads: Arc::new(AtomicU64::new(0)),
            preview: Arc::new(crate::preview::Sessions::new()),
            load_cache: Arc::new(Mutex::new(tessera_core::LoadCache::default())),
        }
    }

    /// This state, with the cache of the load that gave its snapshot, so
    /// that the first reload parses only what changed since.
    pub fn with_load_cache(self, cache: tessera_core::LoadCache) -> AppState {
        if let Ok(mut kept) = self.load_cache.lock() {
            *kept = cache;
        }
        self
    }

    /// Runs `f` on the cache of the last load (under its lock: reloads
    /// wait meanwhile); `None` if a reload panicked holding it.
    pub fn with_kept_load<R>(&self, f: impl FnOnce(&mut tessera_core::LoadCache) -> R) -> Option<R> {
        self.load_cache.lock().ok().map(|mut cache| f(&mut cache))
    }

    /// This state, answering `POST /hooks/git` with `hook`.
    pub fn with_git_hook(mut self, hook: GitHook) -> AppState {
        self.git_hook = Some(Arc::new(hook));
        self
    }

    /// What changed for the public, version by version: register webhook
    /// sinks here.
    pub fn feed(&self) -> Arc<ChangeFeed> {
        self.feed.clone()
    }

    /// The snapshot a request reads: the one pinned when it arrived, else
    /// the newest.
    pub(crate) fn pinned(&self, pinned: Option<&Pinned>) -> Arc<Snapshot> {
        pinned.map_or_else(|| self.snapshot(), |p| p.0.clone())
    }

    pub(crate) fn git_hook(&self) -> Option<Arc<GitHook>> {
        self.git_hook.clone()
    }

    pub(crate) fn schema(&self) -> TesseraSchema {
        self.schema.clone()
    }

    pub(crate) fn config(&self) -> &ServerConfig {
        &self.config
    }

    pub(crate) fn search_indexes(&self) -> Arc<SearchIndexes> {
        self.search.clone()
    }

    /// The response-cache key of a request for `audience`: `None` for a
    /// preview request (never cached) or when the cache is off.
    pub(crate) fn cache_key_for(
        &self,
        audience: Audience,
        parts: &[&[u8]],
        snapshot: &Snapshot,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Option<u128> {
        (audience == Audience::Public && self.config.response_cache).then(|| {
            cache_key(parts, snapshot, snapshot.visibility_epoch(now), &self.status.load(), self.feed.published())
        })
    }

    /// A public answer from the response cache.
    pub(crate) fn cached(&self, key: u128) -> Option<Arc<Cached>> {
        self.cache.lock().ok().and_then(|mut c| c.get(&key))
    }

    /// Keeps a public answer in the response cache.
    pub(crate) fn remember(&self, key: u128, answer: Arc<Cached>) {
        if answer.body.len() <= CACHE_MAX_BODY
            && let Ok(mut cache) = self.cache.lock()
        {
            // The key, headers and bookkeeping come on top of the body.
            let weight = answer.body.len() + 256;
            cache.put(key, answer, weight);
        }
    }

    /// How many reloads have been attempted since the server started: an
    /// idle watcher attempts none.
    pub fn reload_count(&self) -> u64 {
        self.reloads.load(Ordering::Relaxed)
    }

    /// The snapshot being served now.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.snapshot.load_full()
    }

    /// Builds the public search index of the current content, so that the
    /// first search does not wait for it. Blocks: call it before serving or
    /// from the watcher.
    pub fn prepare_search(&self) -> Result<(), tessera_search::SearchError> {
        self.search.get_blocking(&self.snapshot(), Audience::Public, chrono::Utc::now()).map(|_| ())
    }

    /// Loads `content` again and swaps it in if it is valid; otherwise the
    /// last good snapshot keeps serving and the diagnostics are returned.
    /// Runs on the calling thread: call it off the request path.
    pub fn reload(&self, content: &Path) -> Result<(), Vec<Diagnostic>> {
        self.reload_as(content, None)
    }

    /// Reloads `content` like [`AppState::reload`], told that only the
    /// files at `changed` may differ since the last load (as the watcher
    /// reports them): the others are not looked at again.
    pub fn reload_changed(&self, content: &Path, changed: &[PathBuf]) -> Result<(), Vec<Diagnostic>> {
        self.reload_with(content, None, Some(changed))
    }

    /// As [`AppState::reload`], naming the content `revision` (the git
    /// commit it was checked out from, and when it was made): answers
    /// carry it as their version, and change events its time.
    pub fn reload_as(
        &self,
        content: &Path,
        revision: Option<(&str, Option<chrono::DateTime<chrono::Utc>>)>,
    ) -> Result<(), Vec<Diagnostic>> {
        self.reload_with(content, revision, None)
    }

    fn reload_with(
        &self,
        content: &Path,
        revision: Option<(&str, Option<chrono::DateTime<chrono::Utc>>)>,
        changed: Option<&[PathBuf]>,
    ) -> Result<(), Vec<Diagnostic>> {
        self.reloads.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut since) = self.reloading_since.lock() {
            *since = Some(Instant::now());
        }
        let result = self.reload_now(content, revision, changed);
        if let Ok(mut since) = self.reloading_since.lock() {
            *since = None;
        }
        result
    }

    fn reload_now(
        &self,
        content: &Path,
        revision: Option<(&str, Option<chrono::DateTime<chrono::Utc>>)>,
        changed: Option<&[PathBuf]>,
    ) -> Result<(), Vec<Diagnostic>> {
        // Reloads run one at a time (the watcher's thread); a poisoned lock
        // only means a reload panicked, and the cache is then rebuilt.
        let started = Instant::now();
        let mut patched = false;
        let loaded = match self.load_cache.lock() {
            Ok(mut cache) => {
                let loaded = match changed {
                    Some(changed) => tessera_core::load_changed(content, &mut cache, changed),
                    None => tessera_core::load_with(content, &mut cache),
                };
                patched = cache.patched();
                loaded
            }
            Err(_) => tessera_core::load(content),
        };
        let loaded = loaded.map(|s| match revision {
            Some((r, Some(time))) => s.with_revision(r).with_revision_time(time),
            Some((r, None)) => s.with_revision(r),
            None => s,
        });
        match loaded {
            // Nothing changed and nothing was wrong: keep everything as it is.
            Ok(snapshot)
                if snapshot.version() == self.snapshot.load().version()
                    && snapshot.revision() == self.snapshot.load().revision()
                    && self.status.load().ok =>
            {
                Ok(())
            }
            Ok(snapshot) => {
                // Index first, swap second: searches never wait for the new index.
                let snapshot = Arc::new(snapshot);
                let loaded_at = Instant::now();
                if let Err(e) = self.search.get_blocking(&snapshot, Audience::Public, chrono::Utc::now()) {
                    tracing::warn!(error = %e, "cannot build the search index; it will be built on the first search");
                }
                let indexed_at = Instant::now();
                // Told under the lock, so that an embargo tick cannot
                // compare against a snapshot that is being replaced.
                let mut told = self.told.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                self.status.store(Arc::new(ContentStatus::loaded(&snapshot)));
                self.snapshot.store(snapshot.clone());
                self.tell(&mut told, snapshot, chrono::Utc::now());
                tracing::debug!(
                    patched,
                    load_ms = (loaded_at - started).as_secs_f64() * 1000.0,
                    search_ms = (indexed_at - loaded_at).as_secs_f64() * 1000.0,
                    publish_ms = indexed_at.elapsed().as_secs_f64() * 1000.0,
                    "reload steps"
                );
                Ok(())
            }
            Err(e) => {
                let diagnostics = match e {
                    LoadError::Invalid { diagnostics } => diagnostics,
                    other => vec![Diagnostic::error(content, (0, 0), other.to_string())],
                };
                self.report_failure(&diagnostics);
                Err(diagnostics)
            }
        }
    }
}

impl AppState {
    /// Reports a failed (re)load while the current content keeps serving:
    /// `contentStatus` and `/readyz` say so (preview sees `diagnostics`).
    pub fn report_failure(&self, diagnostics: &[Diagnostic]) {
        let current = self.snapshot.load();
        self.status.store(Arc::new(ContentStatus::failed(&current, diagnostics)));
    }

    /// Publishes what the public saw change from what the feed last saw to
    /// `snapshot` at `now`.
    fn tell(&self, told: &mut Told, snapshot: Arc<Snapshot>, now: chrono::DateTime<chrono::Utc>) {
        let before = told.snapshot.view(Audience::Public, told.at);
        let after = snapshot.view(Audience::Public, now);
        let changes = tessera_core::public_changes(&before, &after);
        let previous = told.snapshot.public_label(told.at);
        let version = snapshot.public_label(now);
        // When the change was made, the same on every replica: the commit's
        // time for new content, the embargo's end for an embargo lifting;
        // the moment it was seen only when neither is known.
        let made =
            if Arc::ptr_eq(&snapshot, &told.snapshot) { snapshot.lifted_at(now) } else { snapshot.revision_time() };
        let batch = self.feed.publish(&previous, &version, made.unwrap_or(now), changes);
        if !batch.events.is_empty() {
            tracing::info!(version, previous, events = batch.events.len(), "public changes published");
        }
        *told = Told { snapshot, at: now };
    }

    /// Publishes the embargoes that have lifted by `now` since the last
    /// look: what the public sees changes with no edit. The server calls
    /// it every second ([`watch_embargoes`]).
    pub fn tick(&self, now: chrono::DateTime<chrono::Utc>) {
        let mut told = self.told.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let snapshot = told.snapshot.clone();
        if snapshot.visibility_epoch(now) != snapshot.visibility_epoch(told.at) {
            self.tell(&mut told, snapshot, now);
        }
    }
}

/// Publishes lifted embargoes every second, on a thread of its own, for as
/// long as the process runs.
pub fn watch_embargoes(state: AppState) -> std::io::Result<()> {
    std::thread::Builder::new().name("tessera-embargo".to_owned()).spawn(move || {
        loop {
            std::thread::sleep(Duration::from_secs(1));
            state.tick(chrono::Utc::now());
        }
    })?;
    Ok(())
}

/// How long a reload may run before `/readyz` reports the server as stuck.
pub const RELOAD_DEADLINE: Duration = Duration::from_secs(30);
/// Quiet time after the last change before a reload starts: enough for an
/// editor's write-then-rename to land as one change. A reload parses only
/// the files that changed, so a burst split in two costs little.
const DEBOUNCE: Duration = Duration::from_millis(25);

/// Whether a file-system event can change what the loader reads: not an
/// access (the loader's own reads cause those), not a metadata change, not
/// a file the loader skips (names starting with `.`), not the search cache.
fn is_content_change(event: &notify::Event, root: &Path, ignore: Option<&Path>) -> bool {
    use notify::EventKind;
    use notify::event::ModifyKind;
    let kind_matters = match event.kind {
        EventKind::Access(_) | EventKind::Modify(ModifyKind::Metadata(_)) => false,
        EventKind::Create(_) | EventKind::Modify(_) | EventKind::Remove(_) | EventKind::Any | EventKind::Other => true,
    };
    kind_matters
        && event.paths.iter().any(|path| {
            let rel = path.strip_prefix(root).unwrap_or(path);
            let hidden = rel.components().any(|c| c.as_os_str().to_string_lossy().starts_with('.'));
            !hidden && !ignore.is_some_and(|i| path.starts_with(i))
        })
}

/// How often the watcher looks at what the content path leads to: its
/// events are those of the folder it found at first, so a folder replaced
/// whole (a deploy that swaps a symbolic link to a new release, a folder
/// removed and copied again) would otherwise go unseen.
const ROOT_CHECK: Duration = Duration::from_secs(1);

/// The folder `content` leads to now, its device and inode, and when it
/// was made (where the file system says).
fn root_identity(content: &Path) -> Option<(PathBuf, (u64, u64), Option<std::time::SystemTime>)> {
    let root = content.canonicalize().ok()?;
    let meta = std::fs::metadata(&root).ok()?;
    #[cfg(unix)]
    let id = {
        use std::os::unix::fs::MetadataExt;
        (meta.dev(), meta.ino())
    };
    #[cfg(not(unix))]
    let id = (0, u64::from(meta.is_dir()));
    // An inode freed is soon given again; its birth time is new.
    Some((root, id, meta.created().ok()))
}

/// Watches `content` and reloads it when a file really changes, debounced,
/// on a thread of its own, off the request path. An idle server does no
/// work but look, once a second, at which folder `content` leads to: when
/// that folder is replaced, the new one is watched and loaded whole. The
/// returned watcher must be kept alive for as long as watching should
/// last; dropping it ends the thread.
pub fn watch(state: AppState, content: PathBuf) -> notify::Result<impl Drop> {
    use notify::EventKind;
    use notify::event::ModifyKind;
    use std::sync::mpsc::{RecvTimeoutError, channel};
    let mut identity = root_identity(&content);
    let mut root = identity.as_ref().map_or_else(|| content.clone(), |(root, ..)| root.clone());
    let ignore = state.config.search_cache.as_ref().map(|p| p.canonicalize().unwrap_or_else(|_| p.clone()));
    let (tx, rx) = channel::<notify::Result<notify::Event>>();
    let watching = move |root: &Path| {
        let mut watcher = notify::recommended_watcher(tx.clone())?;
        notify::Watcher::watch(&mut watcher, root, notify::RecursiveMode::Recursive)?;
        Ok::<_, notify::Error>(watcher)
    };
    // The folder itself removed or moved away: whatever is at its path
    // next is a new folder, even one given the same inode.
    let root_gone = |event: &notify::Result<notify::Event>, root: &Path| {
        event.as_ref().is_ok_and(|e| {
            matches!(e.kind, EventKind::Remove(_) | EventKind::Modify(ModifyKind::Name(_)))
                && e.paths.iter().any(|p| p == root)
        })
    };
    // The thread holds it weakly, and ends once the caller's handle is
    // dropped.
    let watcher = Arc::new(Mutex::new(watching(&root)?));
    let weak = Arc::downgrade(&watcher);
    let relevant = {
        let ignore = ignore.clone();
        move |event: &notify::Result<notify::Event>, root: &Path| match event {
            Ok(event) => is_content_change(event, root, ignore.as_deref()),
            Err(e) => {
                tracing::warn!(error = %e, "watching content failed");
                false
            }
        }
    };
    // The files an event names, for a reload that looks at those alone;
    // `None` when the event cannot say (an error, an overflowed queue, an
    // event without paths): the reload then looks at every file.
    let named = move |event: &notify::Result<notify::Event>, into: &mut Option<Vec<PathBuf>>| {
        let paths = match event {
            Ok(e) if !e.need_rescan() && !e.paths.is_empty() => &e.paths,
            _ => {
                *into = None;
                return;
            }
        };
        if let Some(list) = into {
            list.extend(paths.iter().filter(|p| !ignore.as_deref().is_some_and(|i| p.starts_with(i))).cloned());
        }
    };
    std::thread::Builder::new()
        .name("tessera-watch".to_owned())
        .spawn(move || {
            let mut looked = Instant::now();
            loop {
                let event = match rx.recv_timeout(ROOT_CHECK) {
                    Ok(event) => Some(event),
                    Err(RecvTimeoutError::Timeout) => None,
                    Err(RecvTimeoutError::Disconnected) => return,
                };
                if weak.strong_count() == 0 {
                    return;
                }
                if event.as_ref().is_some_and(|e| root_gone(e, &root)) {
                    identity = None;
                }
                // The folder replaced: watch the new one, load it whole.
                // (While `content` leads nowhere, the folder being made
                // again, the last good content keeps serving.) A new
                // watcher, not the old one told to watch elsewhere: that
                // one forgets by path what it watched, and would forget
                // the new folder if it has the old one's path. Looked at
                // once a second at most: a load's own reads are events
                // too, one a file.
                let look = identity.is_none() || event.is_none() || looked.elapsed() >= ROOT_CHECK;
                let now = if look { root_identity(&content) } else { identity.clone() };
                if look {
                    looked = Instant::now();
                }
                if let Some((new_root, ..)) = now.as_ref().filter(|_| now != identity) {
                    let new_watcher = match watching(new_root) {
                        Ok(watcher) => watcher,
                        Err(e) => {
                            tracing::warn!(error = %e, folder = %new_root.display(), "cannot watch the new content folder");
                            continue;
                        }
                    };
                    let Some(watcher) = weak.upgrade() else { return };
                    *watcher.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = new_watcher;
                    drop(watcher);
                    tracing::info!(folder = %new_root.display(), "the content folder was replaced; watching the new one");
                    root = new_root.clone();
                    identity = now;
                    // What the old folder's watch said is of no use now.
                    while rx.try_recv().is_ok() {}
                    report(&state, Instant::now(), state.snapshot().version(), state.reload(&content));
                    continue;
                }
                let Some(event) = event else { continue };
                if !relevant(&event, &root) {
                    continue;
                }
                let mut changed = Some(Vec::new());
                named(&event, &mut changed);
                // Wait for the editor (or git) to finish writing.
                loop {
                    match rx.recv_timeout(DEBOUNCE) {
                        Ok(event) => {
                            if root_gone(&event, &root) {
                                identity = None;
                            }
                            named(&event, &mut changed);
                        }
                        Err(RecvTimeoutError::Timeout) => break,
                        Err(RecvTimeoutError::Disconnected) => return,
                    }
                }
                let started = Instant::now();
                let before = state.snapshot().version();
                let reloaded = match &changed {
                    Some(changed) => state.reload_changed(&content, changed),
                    None => state.reload(&content),
                };
                report(&state, started, before, reloaded);
            }
        })
        .map_err(notify::Error::io)?;
    Ok(watcher)
}

/// Logs how a reload the watcher started went.
fn report(state: &AppState, started: Instant, before: u64, reloaded: Result<(), Vec<Diagnostic>>) {
    match reloaded {
        Ok(()) if state.snapshot().version() == before => {
            tracing::debug!("files changed but the content did not; nothing to reload")
        }
        Ok(()) => tracing::info!(
            version = format!("{:016x}", state.snapshot().version()),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "content reloaded"
        ),
        Err(diagnostics) => {
            for d in &diagnostics {
                tracing::warn!(%d, "content not reloaded");
            }
            tracing::warn!(errors = diagnostics.len(), "edit is broken: still serving the last good content");
        }
    }
}

/// The whole HTTP application.
pub fn app(state: AppState) -> Router {
    let mut router = Router::new()
        .route("/graphql", get(graphql).post(graphql))
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(ready))
        .route("/events", get(crate::events::stream))
        .route("/schema.graphql", get(schema_sdl));
    if state.git_hook.is_some() {
        router = router.route("/hooks/git", axum::routing::post(crate::events::git_hook));
    }
    if state.config.site {
        router = router
            .route("/search", get(crate::site::search))
            .route("/preview", get(crate::preview::show).post(crate::preview::sign_in))
            .route("/preview/logout", axum::routing::post(crate::preview::sign_out))
            .fallback(crate::site::page);
    }
    if state.config.graphiql {
        router = router
            .route("/graphiql", get(crate::explorer::page))
            .route("/graphiql/assets/{name}", get(crate::explorer::asset));
    }
    let origins = &state.config.cors_origins;
    let allow_origin = if origins.is_empty() {
        AllowOrigin::any()
    } else {
        AllowOrigin::list(origins.iter().filter_map(|o| HeaderValue::from_str(o).ok()))
    };
    let cors = CorsLayer::new()
        .allow_origin(allow_origin)
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([header::CONTENT_TYPE, header::AUTHORIZATION, header::IF_NONE_MATCH])
        .expose_headers([header::ETAG]);
    router
        .layer(CompressionLayer::new())
        .layer(cors)
        .layer(axum::middleware::from_fn(cors_only_for_browsers))
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, state.config.timeout))
        .layer(axum::middleware::from_fn_with_state(state.clone(), pin_version))
        .with_state(state)
}

/// Pins the snapshot a request reads as it arrives, and says its version
/// in `X-Content-Version` on the answer, whatever the answer is: the git
/// commit when following a repository, else the public version.
async fn pin_version(
    State(state): State<AppState>,
    mut request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let snapshot = state.snapshot();
    let version = snapshot.public_label(chrono::Utc::now());
    request.extensions_mut().insert(Pinned(snapshot));
    let mut response = next.run(request).await;
    if let Ok(v) = HeaderValue::from_str(&version) {
        response.headers_mut().insert(CONTENT_VERSION, v);
    }
    response
}

/// The header every answer carries its content version in.
pub const CONTENT_VERSION: &str = "x-content-version";

/// A weak ETag for `body` as read from `snapshot`: the hash of the body,
/// after the revision when there is one, so that replicas on one commit
/// give one ETag and a new commit gives a new one.
pub(crate) fn etag(body: &[u8], snapshot: &Snapshot) -> String {
    let hash = xxhash_rust::xxh3::xxh3_64(body);
    match snapshot.revision() {
        Some(r) => format!("W/\"{}-{hash:016x}\"", &r[..r.len().min(12)]),
        None => format!("W/\"{hash:016x}\""),
    }
}

/// Drops CORS headers from answers to requests without an `Origin` (not
/// from a browser), which have no use for them: on a metered link every
/// byte counts. `Vary: origin` stays, so shared caches keep the two apart.
async fn cors_only_for_browsers(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let from_browser = request.headers().contains_key(header::ORIGIN);
    let mut response = next.run(request).await;
    if !from_browser {
        let headers = response.headers_mut();
        headers.remove(header::ACCESS_CONTROL_ALLOW_ORIGIN);
        headers.remove(header::ACCESS_CONTROL_EXPOSE_HEADERS);
        let kept: Vec<HeaderValue> = headers
            .get_all(header::VARY)
            .iter()
            .filter(|v| !v.to_str().is_ok_and(|v| v.starts_with("origin, access-control")))
            .cloned()
            .collect();
        headers.remove(header::VARY);
        for v in kept {
            headers.append(header::VARY, v);
        }
    }
    response
}

/// Ready unless a reload has been running longer than [`RELOAD_DEADLINE`]:
/// then the content may be stale and a load balancer should know.
async fn ready(State(state): State<AppState>, pinned: Option<axum::Extension<Pinned>>) -> Response {
    let stuck =
        state.reloading_since.lock().ok().and_then(|s| *s).map(|t| t.elapsed()).filter(|e| *e > RELOAD_DEADLINE);
    if let Some(elapsed) = stuck {
        tracing::warn!(elapsed_s = elapsed.as_secs(), "a content reload is not finishing");
        let text = format!("not ready: a content reload has been running for {} s\n", elapsed.as_secs());
        return (StatusCode::SERVICE_UNAVAILABLE, [(header::CACHE_CONTROL, NO_STORE)], text).into_response();
    }
    // Anyone can ask: say what the public may know, as `contentStatus` does.
    let snapshot = state.pinned(pinned.as_deref());
    let status = state.status.load().for_view(&snapshot.view(Audience::Public, chrono::Utc::now()));
    let text = format!("ready: content version {}; last reload: {}\n", status.version, status.message);
    ([(header::CACHE_CONTROL, NO_STORE)], text).into_response()
}

async fn schema_sdl() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], sdl())
}

/// Which audience the request's `Authorization` header earns. The scheme
/// is case-insensitive (RFC 9110 §11.1), one or more spaces follow it, and
/// the token is compared exactly: spaces around it are not part of it.
pub(crate) fn audience(headers: &HeaderMap, config: &ServerConfig) -> Result<Audience, ()> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(Audience::Public);
    };
    let value = value.to_str().map_err(|_| ())?;
    let (scheme, rest) = value.split_once(' ').ok_or(())?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(());
    }
    let given = rest.trim_start_matches(' ');
    match &config.preview_token {
        // Constant-time comparison: the response time must not reveal how
        // much of a guessed token was right.
        Some(token) if bool::from(token.as_bytes().ct_eq(given.as_bytes())) => Ok(Audience::Preview),
        _ => Err(()),
    }
}

const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json; charset=utf-8";
const JSON: &str = "application/json; charset=utf-8";

/// The media type to answer with, from `Accept` (GraphQL over HTTP):
/// `application/graphql-response+json` when the client accepts it,
/// `application/json` for legacy clients, `None` when it accepts neither.
fn negotiate(headers: &HeaderMap) -> Option<&'static str> {
    let Some(accept) = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()) else {
        return Some(JSON);
    };
    let types: Vec<String> =
        accept.split(',').map(|t| t.split(';').next().unwrap_or("").trim().to_ascii_lowercase()).collect();
    if types.iter().any(|t| t == "application/graphql-response+json") {
        Some(GRAPHQL_RESPONSE_JSON)
    } else if types.iter().any(|t| t == "application/json" || t == "*/*" || t == "application/*") {
        Some(JSON)
    } else {
        None
    }
}

/// Every error the HTTP layer answers with, in one place: each knows its
/// status and says what to change. It renders as a GraphQL error body, and
/// is never publicly cacheable (a CDN that kept "not found" for a persisted
/// query would keep saying it after the query is registered).
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A preview token was sent and is wrong (which part, it never says).
    #[error("invalid preview token")]
    Unauthorized,
    /// The client accepts neither GraphQL media type.
    #[error("accept application/graphql-response+json or application/json")]
    NotAcceptable,
    /// A POST that is not JSON.
    #[error("send the request as application/json")]
    UnsupportedMediaType,
    /// A body over [`MAX_BODY_BYTES`].
    #[error("the request body is larger than {} KiB", MAX_BODY_BYTES / 1024)]
    BodyTooLarge,
    /// A query over [`MAX_QUERY_BYTES`].
    #[error("the query is larger than {} KiB", MAX_QUERY_BYTES / 1024)]
    QueryTooLarge,
    /// Neither a query nor a persisted query's hash.
    #[error("the request has no `query`")]
    NoQuery,
    /// A request that cannot be read (bad JSON, a bad query string).
    #[error("{0}")]
    BadRequest(String),
    /// A mutation sent by GET.
    #[error("GET is for queries only: send mutations with POST")]
    MutationOverGet,
    /// A well-formed request refused before execution (a limit, a batch).
    /// GraphQL over HTTP: 400 for clients of
    /// `application/graphql-response+json`, 200 for legacy JSON clients.
    #[error("{message}")]
    Refused {
        /// The media type the answer is in.
        media: &'static str,
        /// What was refused and why.
        message: String,
    },
    /// Something failed inside; the details are in the log.
    #[error("internal error")]
    Internal,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, media) = match &self {
            ApiError::Unauthorized => (StatusCode::UNAUTHORIZED, JSON),
            ApiError::NotAcceptable => (StatusCode::NOT_ACCEPTABLE, JSON),
            ApiError::UnsupportedMediaType => (StatusCode::UNSUPPORTED_MEDIA_TYPE, JSON),
            ApiError::BodyTooLarge | ApiError::QueryTooLarge => (StatusCode::PAYLOAD_TOO_LARGE, JSON),
            ApiError::NoQuery | ApiError::BadRequest(_) => (StatusCode::BAD_REQUEST, JSON),
            ApiError::MutationOverGet => (StatusCode::METHOD_NOT_ALLOWED, JSON),
            ApiError::Refused { media, .. } if *media == GRAPHQL_RESPONSE_JSON => (StatusCode::BAD_REQUEST, *media),
            ApiError::Refused { media, .. } => (StatusCode::OK, *media),
            ApiError::Internal => (StatusCode::INTERNAL_SERVER_ERROR, JSON),
        };
        let body = serde_json::json!({ "errors": [{ "message": self.to_string() }] });
        let mut response =
            (status, [(header::CONTENT_TYPE, media), (header::CACHE_CONTROL, NO_STORE)], body.to_string())
                .into_response();
        if matches!(self, ApiError::MutationOverGet) {
            response.headers_mut().insert(header::ALLOW, HeaderValue::from_static("POST"));
        }
        response
    }
}

fn refuse(media: &'static str, message: impl Into<String>) -> Response {
    ApiError::Refused { media, message: message.into() }.into_response()
}

pub(crate) const NO_STORE: &str = "no-store";

/// Whether an `If-None-Match` value matches `etag`, by the weak comparison
/// RFC 9110 prescribes for it: `W/` prefixes are ignored, `*` matches.
fn etag_matches(if_none_match: &str, etag: &str) -> bool {
    let opaque = |t: &str| t.trim().trim_start_matches("W/").to_owned();
    let ours = opaque(etag);
    if_none_match.split(',').any(|tag| tag.trim() == "*" || opaque(tag) == ours)
}

/// The response-cache key: the request as sent (method, query string, body,
/// media type) and everything else that can change a public answer.
pub(crate) fn cache_key(
    parts: &[&[u8]],
    snapshot: &Snapshot,
    epoch: usize,
    status: &ContentStatus,
    published: u64,
) -> u128 {
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    // `contentStatus` reports the last reload, which can fail without
    // changing the snapshot.
    let errors = status.errors.join("\n");
    for part in parts.iter().copied().chain([status.message.as_bytes(), errors.as_bytes()]) {
        h.update(&(part.len() as u64).to_le_bytes());
        h.update(part);
    }
    h.update(&snapshot.version().to_le_bytes());
    h.update(snapshot.revision().unwrap_or("").as_bytes());
    h.update(&(epoch as u64).to_le_bytes());
    // `changes(since:)` reads the change feed, which an embargo tick can
    // move with the snapshot and the epoch of the request unchanged.
    h.update(&published.to_le_bytes());
    h.digest128()
}

/// Nesting allowed to async-graphql's own depth check, which also counts
/// introspection: the standard introspection query of graphql-js nests 12
/// fields deep (14 with its deepest type references). Content fields are
/// held to [`MAX_DEPTH`] before that.
pub const INTROSPECTION_DEPTH: usize = 15;

/// Longest the execution of one request may take, checked as fields are
/// resolved (see [`crate::budget`]).
pub const EXECUTION_BUDGET: Duration = Duration::from_secs(10);

/// The type of the operation a request runs: the named one, or the only one.
fn selected_operation(doc: &ExecutableDocument, name: Option<&str>) -> OperationType {
    let mut ops = doc.operations.iter();
    let chosen = match name {
        Some(name) => ops.find(|(n, _)| n.is_some_and(|n| n.as_str() == name)),
        None => ops.next(),
    };
    chosen.map_or(OperationType::Query, |(_, op)| op.node.ty)
}

/// Whether a request carries its GraphQL in the query string: GET, and HEAD,
/// which is GET without the body.
fn in_query_string(method: &Method) -> bool {
    method == Method::GET || method == Method::HEAD
}

/// Reads a GraphQL request from a GET query string or a JSON POST body.
fn parse_request(
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<async_graphql::Request, ApiError> {
    if in_query_string(method) {
        return async_graphql::http::parse_query_string(uri.query().unwrap_or(""))
            .map_err(|e| ApiError::BadRequest(format!("invalid request: {e}")));
    }
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let essence = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    if essence != "application/json" {
        return Err(ApiError::UnsupportedMediaType);
    }
    serde_json::from_slice::<async_graphql::Request>(body)
        .map_err(|e| ApiError::BadRequest(format!("invalid JSON request: {e}")))
}

/// Sends an answer, or 304 when a GET's `If-None-Match` holds its ETag.
/// Only successful answers are validated; for other methods a match is a
/// failed precondition (RFC 9110 §13.1.2).
pub(crate) fn send(cached: &Cached, method: &Method, request_headers: &HeaderMap, cache_control: &str) -> Response {
    let matched = cached.status == StatusCode::OK
        && request_headers
            .get(header::IF_NONE_MATCH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| etag_matches(v, &cached.etag));
    let mut response = if matched && (method == Method::GET || method == Method::HEAD) {
        StatusCode::NOT_MODIFIED.into_response()
    } else if matched {
        StatusCode::PRECONDITION_FAILED.into_response()
    } else {
        (cached.status, [(header::CONTENT_TYPE, cached.content_type)], cached.body.clone()).into_response()
    };
    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&cached.etag) {
        headers.insert(header::ETAG, v);
    }
    if let Ok(v) = HeaderValue::from_str(cache_control) {
        headers.insert(header::CACHE_CONTROL, v);
    }
    headers.insert(header::VARY, HeaderValue::from_static("accept, authorization, accept-encoding, origin"));
    response
}

/// Reads the request body, refusing one over [`MAX_BODY_BYTES`] with a
/// GraphQL error the client can read, before reading it when it declares
/// its length.
async fn read_body(headers: &HeaderMap, body: axum::body::Body) -> Result<Bytes, Response> {
    let too_large = || ApiError::BodyTooLarge.into_response();
    let declared =
        headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES as u64) {
        return Err(too_large());
    }
    axum::body::to_bytes(body, MAX_BODY_BYTES).await.map_err(|_| too_large())
}

/// The request's id: the caller's `X-Request-Id` when it is a sane token,
/// else a new one. Logs carry it, and so does the response.
fn request_id(headers: &HeaderMap) -> String {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 64 && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
        .map_or_else(|| format!("t{:x}", NEXT.fetch_add(1, Ordering::Relaxed)), str::to_owned)
}

async fn graphql(state: State<AppState>, request: axum::extract::Request) -> Response {
    let upgrade =
        request.headers().get(header::UPGRADE).is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"websocket"));
    if upgrade {
        return crate::events::websocket(state.0, request).await;
    }
    let (parts, body) = request.into_parts();
    let (method, uri, headers) = (parts.method, parts.uri, parts.headers);
    let snapshot = state.pinned(parts.extensions.get::<Pinned>());
    let id = request_id(&headers);
    let echo = headers.contains_key("x-request-id");
    let mut response = match read_body(&headers, body).await {
        Ok(body) => answer(state, snapshot, method, uri, headers, body, &id).await,
        Err(response) => response,
    };
    // The id is in the logs either way; it goes back only to callers that
    // trace their own requests, sparing everyone else the bytes.
    if echo && let Ok(v) = HeaderValue::from_str(&id) {
        response.headers_mut().insert("x-request-id", v);
    }
    response
}

async fn answer(
    State(state): State<AppState>,
    snapshot: Arc<Snapshot>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
    request_id: &str,
) -> Response {
    let started = Instant::now();
    let Ok(audience) = audience(&headers, &state.config) else {
        // Never echo the token, and say the same whatever was wrong with it.
        return ApiError::Unauthorized.into_response();
    };
    let Some(media) = negotiate(&headers) else {
        return ApiError::NotAcceptable.into_response();
    };
    let cache_control = match audience {
        Audience::Preview => "private, no-store".to_owned(),
        Audience::Public => format!("public, max-age={}", state.config.max_age),
    };
    // One snapshot for the whole request, whatever a reload does meanwhile.
    let now = chrono::Utc::now();
    let status = state.status.load_full();
    // Only public answers are cached, so one audience's answer can never
    // reach another. The key is the request as sent: a hit skips parsing.
    let key = (audience == Audience::Public && state.config.response_cache).then(|| {
        let parts = [method.as_str().as_bytes(), uri.query().unwrap_or("").as_bytes(), &body, media.as_bytes()];
        cache_key(&parts, &snapshot, snapshot.visibility_epoch(now), &status, state.feed.published())
    });
    if let Some(key) = key {
        let hit = state.cache.lock().ok().and_then(|mut c| c.get(&key));
        if let Some(hit) = hit {
            return send(&hit, &method, &headers, &cache_control);
        }
    }
    // Measure before parsing: nothing below may recurse on nesting the
    // client chose.
    if method == Method::POST && body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[') {
        return refuse(media, "batched requests (a JSON array) are not supported: send one request per HTTP request");
    }
    if method == Method::POST && guard::json_nesting(&body) > MAX_NESTING + 1 {
        return refuse(media, Refusal::VariablesNesting.to_string());
    }
    if in_query_string(&method) {
        let pairs = axum::extract::Query::<Vec<(String, String)>>::try_from_uri(&uri).map(|q| q.0).unwrap_or_default();
        for (name, value) in &pairs {
            let refused = match name.as_str() {
                "query" => guard::query_nesting(value) > MAX_NESTING,
                "variables" | "extensions" => guard::json_nesting(value.as_bytes()) > MAX_NESTING,
                _ => false,
            };
            if refused {
                let refusal = if name == "query" { Refusal::QueryNesting } else { Refusal::VariablesNesting };
                return refuse(media, refusal.to_string());
            }
        }
    }
    let mut request = match parse_request(&method, &uri, &headers, &body) {
        Ok(r) => r,
        Err(e) => return e.into_response(),
    };
    if request.query.trim().is_empty() && !request.extensions.contains_key("persistedQuery") {
        return ApiError::NoQuery.into_response();
    }
    if request.query.len() > MAX_QUERY_BYTES {
        return ApiError::QueryTooLarge.into_response();
    }
    if guard::query_nesting(&request.query) > MAX_NESTING {
        return refuse(media, Refusal::QueryNesting.to_string());
    }
    // Parse once (or reuse an earlier parse of the same text): the checks
    // and the executor share the document.
    if !request.query.is_empty() {
        let key = xxhash_rust::xxh3::xxh3_128(request.query.as_bytes());
        let known = state.documents.lock().ok().and_then(|mut d| d.get(&key));
        let parsed = match known {
            Some(doc) => Some(doc),
            None => match async_graphql::parser::parse_query(&request.query) {
                Ok(doc) => {
                    if let Err(refusal) = guard::check_document(&doc) {
                        return refuse(media, refusal.to_string());
                    }
                    // Only documents that passed the checks are kept.
                    if let Ok(mut documents) = state.documents.lock() {
                        documents.put(key, doc.clone(), request.query.len().saturating_mul(DOCUMENT_WEIGHT));
                    }
                    Some(doc)
                }
                // Left to the executor, which reports the syntax error.
                Err(_) => None,
            },
        };
        if let Some(doc) = parsed {
            // GraphQL over HTTP: GET is for queries; a mutation must not be
            // run (or even tried) by a request a crawler or a cache may repeat.
            if in_query_string(&method)
                && selected_operation(&doc, request.operation_name.as_deref()) != OperationType::Query
            {
                return ApiError::MutationOverGet.into_response();
            }
            request.set_parsed_query(doc);
        }
    }
    let operation = request.operation_name.clone().unwrap_or_default();
    let scope_snapshot = snapshot.clone();
    let volatile = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let scope = Scope {
        snapshot,
        audience,
        now,
        status,
        search: state.search.clone(),
        spent: Default::default(),
        volatile: volatile.clone(),
    };
    let mut response = state.schema.execute(request.data(scope)).await;
    let volatile = volatile.load(Ordering::Relaxed);
    for error in &mut response.errors {
        // Keep internals out of error messages; log what happened instead.
        if error.message.contains("panicked") {
            tracing::error!(request_id, operation, message = %error.message, "resolver failed");
            *error = ServerError::new("internal error", None);
        }
        // Name the limit that was hit, so that a client knows what to change.
        if error.message == "Query is too complex." {
            error.message = format!(
                "query is too complex: it costs more than {MAX_COMPLEXITY} (a list costs its page size times the fields asked for each item)"
            );
        } else if error.message == "Query is nested too deep." {
            error.message = format!("query is nested deeper than {INTROSPECTION_DEPTH} fields");
        }
    }
    tracing::debug!(
        operation,
        ?audience,
        errors = response.errors.len(),
        elapsed_us = started.elapsed().as_micros() as u64,
        "graphql"
    );
    // A request error (nothing executed) is a 400 for clients that speak
    // application/graphql-response+json; legacy JSON clients get 200.
    let request_error = response.data == async_graphql::Value::Null && !response.errors.is_empty();
    let status = if request_error && media == GRAPHQL_RESPONSE_JSON { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    // Nothing executed: say so with errors alone, without a `data` entry.
    let serialized = if request_error {
        serde_json::to_vec(&serde_json::json!({ "errors": response.errors }))
    } else {
        serde_json::to_vec(&response)
    };
    let body = match serialized {
        Ok(b) => Bytes::from(b),
        Err(e) => {
            tracing::error!(request_id, error = %e, "cannot serialize a response");
            return ApiError::Internal.into_response();
        }
    };
    if body.len() > MAX_ANSWER_BYTES {
        return refuse(
            media,
            format!(
                "the answer would be larger than {} MiB: ask for fewer items or fields",
                MAX_ANSWER_BYTES / 1024 / 1024
            ),
        );
    }
    // Weak: the same answer is sent gzip-, br- or zstd-encoded or not, and a
    // strong validator would have to differ per coding (RFC 9110 §8.8.3).
    let etag = etag(&body, &scope_snapshot);
    let cache_control = if !response.errors.is_empty() {
        NO_STORE.to_owned()
    } else if volatile && audience == Audience::Public {
        "public, no-cache".to_owned()
    } else {
        cache_control
    };
    let cached = Arc::new(Cached { status, content_type: media, body, etag });
    if let Some(key) = key
        && response.errors.is_empty()
        && cached.body.len() <= CACHE_MAX_BODY
        && let Ok(mut cache) = state.cache.lock()
    {
        // The key, headers and bookkeeping come on top of the body.
        cache.put(key, cached.clone(), cached.body.len() + 256);
    }
    send(&cached, &method, &headers, &cache_control)
}

#[cfg(test)]
mod tests {
    use super::Weighed;

    #[test]
    fn the_weighed_cache_stays_within_its_bytes() {
        let mut cache: Weighed<u32> = Weighed::new(100, 1000);
        for key in 0..50u128 {
            cache.put(key, key as u32, 300);
            assert!(cache.bytes <= 1000, "{} bytes", cache.bytes);
        }
        // Only the three most recent fit, and the newest is there.
        assert_eq!(cache.entries.len(), 3);
        assert_eq!(cache.get(&49), Some(49));
        assert_eq!(cache.get(&10), None);
        // Too heavy to keep at all; replacing an entry does not count it twice.
        cache.put(7, 7, 5000);
        assert_eq!(cache.get(&7), None);
        cache.put(49, 1, 300);
        assert_eq!(cache.bytes, 900);
        // Entries are bounded too.
        let mut small: Weighed<u32> = Weighed::new(2, 1_000_000);
        for key in 0..10u128 {
            small.put(key, 0, 1);
        }
        assert_eq!((small.entries.len(), small.bytes), (2, 2));
    }
}
