//! A local source that draws before the content has loaded.
//!
//! Loading a large content folder takes seconds; a reader should not stare
//! at an empty terminal meanwhile. [`StartingSource`] loads the snapshot on
//! a thread of its own and, until it is there, answers the home screen with
//! the copy kept at the last start (a small JSON file in the reader's cache
//! folder). Once the snapshot is loaded, the app asks again ([`Source::poll`])
//! and the screen is redrawn from the content as it is now; the kept copy is
//! then rewritten. Any other screen waits for the load, as before.
//!
//! The kept copy is only ever a first frame: it names the Tessera version
//! and the content folder it was made for, and one that does not match, or
//! does not parse, is ignored (and replaced once the content has loaded).

use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, TryRecvError, channel};

use serde::{Deserialize, Serialize};
use tessera_core::{Kind, Snapshot};

use crate::LocalSource;
use crate::data::{HomeData, ListData, Location, OldRoute, SearchData, Source, SourceError};

/// The kept home screen, as written to disk.
#[derive(Serialize, Deserialize)]
struct Kept {
    /// The Tessera version that wrote it.
    tessera: String,
    /// The content folder it shows, canonical.
    content: PathBuf,
    /// The site's default locale.
    default_locale: String,
    /// The locale the home screen is in.
    locale: String,
    home: HomeData,
}

enum State {
    Loading(Receiver<Result<Snapshot, String>>),
    Ready(Box<LocalSource>),
    Failed(String),
}

/// Content read from a folder on this machine, drawn from the kept home
/// screen while it loads.
pub struct StartingSource {
    state: State,
    content: PathBuf,
    /// Where the home screen is kept between starts.
    file: Option<PathBuf>,
    kept: Option<Kept>,
    /// Tells the loading thread to begin.
    go: Option<std::sync::mpsc::Sender<()>>,
    /// Where the search index is kept between starts, if anywhere.
    search_cache: Option<PathBuf>,
}

impl StartingSource {
    /// Starts loading `content` on a thread of its own, with `cache`;
    /// `file` is where the home screen is kept between starts (`None`:
    /// nothing is kept). A cache kept on disk ([`tessera_core::LoadCache::kept_in`])
    /// is written again after the load when it changed; a failure to write
    /// it loses nothing but the time it would have saved.
    pub fn start(content: &Path, file: Option<PathBuf>, mut cache: tessera_core::LoadCache) -> StartingSource {
        let dir = content.to_owned();
        StartingSource::with_loader(content, file, move || {
            let loaded = tessera_core::load_with(&dir, &mut cache).map_err(|e| load_error(&dir, e));
            let _ = cache.keep();
            loaded
        })
    }

    /// Like [`StartingSource::start`], with the snapshot made by `load`.
    pub fn with_loader(
        content: &Path,
        file: Option<PathBuf>,
        load: impl FnOnce() -> Result<Snapshot, String> + Send + 'static,
    ) -> StartingSource {
        let content = content.canonicalize().unwrap_or_else(|_| content.to_owned());
        let kept = file.as_deref().and_then(|f| read_kept(f, &content));
        let (tx, rx) = channel();
        let (go, wait_to_go) = channel::<()>();
        let spawned = std::thread::Builder::new().name("tessera-load".to_owned()).spawn(move || {
            // The load begins once the first screen is drawn, which it would
            // otherwise slow down; a source dropped before that loads nothing.
            if wait_to_go.recv().is_err() {
                return;
            }
            // The reader may have quit already; nobody is left to tell.
            let _ = tx.send(load());
        });
        let state = match spawned {
            Ok(_) => State::Loading(rx),
            Err(e) => State::Failed(format!("cannot start loading the content: {e}")),
        };
        StartingSource { state, content, file, kept, go: Some(go), search_cache: None }
    }

    /// Keeps the search index in `dir` between starts (see
    /// [`LocalSource::with_search_cache`]).
    pub fn with_search_cache(mut self, dir: Option<PathBuf>) -> StartingSource {
        self.search_cache = dir;
        self
    }

    /// Lets the load begin, if it has not yet.
    fn go(&mut self) {
        if let Some(go) = self.go.take() {
            let _ = go.send(());
        }
    }

    /// The site's default locale as the kept home screen has it, when
    /// there is one for this folder: what to open in before the content
    /// has loaded.
    pub fn kept_default_locale(&self) -> Option<&str> {
        self.kept.as_ref().map(|k| k.default_locale.as_str())
    }

    /// Waits for the content to load; gives the site's default locale, or
    /// why the content could not be loaded.
    pub fn wait(&mut self) -> Result<String, String> {
        match self.ready() {
            Ok(source) => Ok(source.default_locale()),
            Err(e) => Err(e.to_string()),
        }
    }

    /// Waits for the content, then reads through it.
    fn ready(&mut self) -> Result<&mut LocalSource, SourceError> {
        self.go();
        if let State::Loading(rx) = &self.state {
            self.state = match rx.recv() {
                Ok(loaded) => loaded_state(loaded, self.search_cache.clone()),
                Err(_) => State::Failed("loading the content stopped unexpectedly".to_owned()),
            };
        }
        match &mut self.state {
            State::Ready(source) => Ok(source),
            State::Failed(message) => Err(SourceError::Message(message.clone())),
            State::Loading(_) => Err(SourceError::Message("the content is still loading".to_owned())),
        }
    }

    /// Keeps `home` for the next start, written whole or not at all.
    fn keep(&mut self, locale: &str, home: &HomeData, default_locale: String) {
        let Some(file) = &self.file else { return };
        if self.kept.as_ref().is_some_and(|k| k.locale == locale && k.home == *home) {
            return;
        }
        let kept = Kept {
            tessera: env!("CARGO_PKG_VERSION").to_owned(),
            content: self.content.clone(),
            default_locale,
            locale: locale.to_owned(),
            home: home.clone(),
        };
        // A cache that cannot be written (a full disk, a read-only home)
        // costs the next start its first frame, nothing else.
        let _ = write_kept(file, &kept);
        self.kept = Some(kept);
    }
}

fn loaded_state(loaded: Result<Snapshot, String>, search_cache: Option<PathBuf>) -> State {
    match loaded {
        Ok(snapshot) => {
            State::Ready(Box::new(LocalSource::new(std::sync::Arc::new(snapshot)).with_search_cache(search_cache)))
        }
        Err(message) => State::Failed(message),
    }
}

/// What a failed load says on screen.
fn load_error(content: &Path, e: tessera_core::LoadError) -> String {
    match e {
        tessera_core::LoadError::Invalid { diagnostics } => {
            let errors = diagnostics.iter().filter(|d| d.is_error()).count();
            format!(
                "`{}` has {errors} content error(s); `tessera check {}` lists them",
                content.display(),
                content.display()
            )
        }
        other => other.to_string(),
    }
}

/// The largest kept file read: a home screen lists pages, not bodies.
const MAX_KEPT: u64 = 64 * 1024 * 1024;

fn read_kept(file: &Path, content: &Path) -> Option<Kept> {
    let meta = std::fs::metadata(file).ok()?;
    if !meta.is_file() || meta.len() > MAX_KEPT {
        return None;
    }
    let kept: Kept = serde_json::from_slice(&std::fs::read(file).ok()?).ok()?;
    (kept.tessera == env!("CARGO_PKG_VERSION") && kept.content == content).then_some(kept)
}

fn write_kept(file: &Path, kept: &Kept) -> std::io::Result<()> {
    let dir = file.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let json = serde_json::to_vec(kept).map_err(std::io::Error::other)?;
    let mut temp = tempfile_in(dir)?;
    std::io::Write::write_all(&mut temp.1, &json)?;
    temp.1.sync_all()?;
    std::fs::rename(&temp.0, file).inspect_err(|_| {
        let _ = std::fs::remove_file(&temp.0);
    })
}

/// A new file beside the kept one, named after this process.
fn tempfile_in(dir: &Path) -> std::io::Result<(PathBuf, std::fs::File)> {
    let path = dir.join(format!(".home-{}.tmp", std::process::id()));
    let file = std::fs::OpenOptions::new().write(true).create(true).truncate(true).open(&path)?;
    Ok((path, file))
}

/// Where the home screen of `content` is kept under the cache folder
/// `cache`: one file per content folder.
pub fn kept_home_file(cache: &Path, content: &Path) -> PathBuf {
    let content = content.canonicalize().unwrap_or_else(|_| content.to_owned());
    let key = xxhash_rust::xxh3::xxh3_64(content.to_string_lossy().as_bytes());
    cache.join("home").join(format!("{key:016x}.json"))
}

impl Source for StartingSource {
    fn home(&mut self, locale: &str) -> Result<HomeData, SourceError> {
        if let State::Loading(rx) = &self.state
            && let Ok(loaded) = rx.try_recv()
        {
            self.state = loaded_state(loaded, self.search_cache.clone());
        }
        if let State::Loading(_) = self.state
            && let Some(kept) = self.kept.as_ref().filter(|k| k.locale == locale)
        {
            return Ok(kept.home.clone());
        }
        let source = self.ready()?;
        let home = source.home(locale)?;
        let default_locale = source.default_locale();
        self.keep(locale, &home, default_locale);
        Ok(home)
    }

    fn item(&mut self, kind: Kind, slug: &str, locale: &str) -> Result<tessera_site::ItemView, SourceError> {
        self.ready()?.item(kind, slug, locale)
    }

    fn list(&mut self, location: &Location, locale: &str) -> Result<ListData, SourceError> {
        self.ready()?.list(location, locale)
    }

    fn search(&mut self, query: &str, kind: Option<Kind>, locale: &str) -> Result<SearchData, SourceError> {
        self.ready()?.search(query, kind, locale)
    }

    fn base_url(&mut self) -> Result<String, SourceError> {
        self.ready()?.base_url()
    }

    fn site_map(&mut self) -> Result<tessera_site::SiteMap, SourceError> {
        self.ready()?.site_map()
    }

    fn old_address(&mut self, address: &str) -> Result<Option<OldRoute>, SourceError> {
        self.ready()?.old_address(address)
    }

    fn pending(&self) -> bool {
        matches!(self.state, State::Loading(_))
    }

    fn poll(&mut self) -> bool {
        self.go();
        let State::Loading(rx) = &self.state else { return false };
        self.state = match rx.try_recv() {
            Ok(loaded) => loaded_state(loaded, self.search_cache.clone()),
            Err(TryRecvError::Empty) => return false,
            Err(TryRecvError::Disconnected) => State::Failed("loading the content stopped unexpectedly".to_owned()),
        };
        true
    }
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc::{Sender, channel};
    use std::time::{Duration, Instant};

    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    use super::*;
    use crate::App;

    fn content() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../content")
    }

    /// A source whose load waits until the returned sender says so.
    fn gated(file: &Path) -> (StartingSource, Sender<()>) {
        let (open, gate) = channel::<()>();
        let dir = content();
        let source = StartingSource::with_loader(&dir.clone(), Some(file.to_owned()), move || {
            let _ = gate.recv();
            tessera_core::load(&dir).map_err(|e| e.to_string())
        });
        (source, open)
    }

    /// Polls until the load has arrived; panics after a minute.
    fn until_loaded(source: &mut impl Source) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while !source.poll() {
            assert!(Instant::now() < deadline, "the content never loaded");
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Starts once with nothing kept, so that the home screen is kept in
    /// `file`; gives what was kept.
    fn keep_home(file: &Path) -> String {
        let (mut first, open) = gated(file);
        open.send(()).unwrap_or_else(|e| panic!("{e}"));
        first.wait().unwrap_or_else(|e| panic!("{e}"));
        let _ = first.home("en");
        std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{e}"))
    }

    fn screen_text<S: Source>(app: &mut App<S>) -> String {
        let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap_or_else(|e| panic!("{e}"));
        terminal.draw(|f| app.draw(f)).unwrap_or_else(|e| panic!("{e}"));
        let buffer = terminal.backend().buffer();
        buffer.content().chunks(80).map(|row| row.iter().map(|c| c.symbol()).collect::<String>() + "\n").collect()
    }

    #[test]
    fn the_first_start_waits_and_keeps_the_home_screen_the_next_draws_it_at_once() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let file = kept_home_file(dir.path(), &content());
        let real = {
            let snapshot = tessera_core::load(&content()).unwrap_or_else(|e| panic!("{e:?}"));
            LocalSource::new(std::sync::Arc::new(snapshot)).home("en").unwrap_or_else(|e| panic!("{e}"))
        };

        // Nothing kept: the load is awaited, and the home screen kept.
        let (mut first, open) = gated(&file);
        assert_eq!(first.kept_default_locale(), None);
        open.send(()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(first.wait(), Ok("en".to_owned()));
        assert_eq!(first.home("en").unwrap_or_else(|e| panic!("{e}")), real);
        assert!(file.is_file(), "the home screen was not kept");

        // Kept: the home screen is there while the load has not even begun.
        let (mut second, open) = gated(&file);
        assert_eq!(second.kept_default_locale(), Some("en"));
        assert!(second.pending());
        assert_eq!(second.home("en").unwrap_or_else(|e| panic!("{e}")), real);
        assert!(second.pending(), "answering the home screen waited for the content");
        assert!(!second.poll());
        open.send(()).unwrap_or_else(|e| panic!("{e}"));
        until_loaded(&mut second);
        assert!(!second.pending());
        assert_eq!(second.home("en").unwrap_or_else(|e| panic!("{e}")), real);
    }

    #[test]
    fn the_kept_screen_is_replaced_by_the_content_as_it_is_now() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let file = kept_home_file(dir.path(), &content());
        let text = keep_home(&file);
        // The site was renamed since: the kept copy says otherwise.
        let mut kept: serde_json::Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
        let real_title = kept["home"]["title"].as_str().unwrap_or_default().to_owned();
        kept["home"]["title"] = "A title from the last start".into();
        std::fs::write(&file, kept.to_string()).unwrap_or_else(|e| panic!("{e}"));

        let (second, open) = gated(&file);
        let mut app = App::new(second, "en", false);
        let before = screen_text(&mut app);
        assert!(before.contains("A title from the last start"), "{before}");
        assert!(before.contains("loading the content"), "{before}");
        assert!(!app.tick(), "nothing has loaded yet");
        open.send(()).unwrap_or_else(|e| panic!("{e}"));
        let deadline = Instant::now() + Duration::from_secs(60);
        while !app.tick() {
            assert!(Instant::now() < deadline, "the content never loaded");
            std::thread::sleep(Duration::from_millis(5));
        }
        let after = screen_text(&mut app);
        assert!(after.contains(&real_title), "{after}");
        assert!(!after.contains("A title from the last start"), "{after}");
        assert!(!after.contains("loading the content"), "{after}");
        // And the kept copy is the current one again.
        let rewritten = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{e}"));
        assert!(rewritten.contains(&real_title) && !rewritten.contains("A title from the last start"));
    }

    #[test]
    fn a_kept_file_that_is_broken_or_from_elsewhere_is_not_trusted() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let file = kept_home_file(dir.path(), &content());
        let good = keep_home(&file);
        let other_version = good.replacen(env!("CARGO_PKG_VERSION"), "0.0.0-other", 1);
        let other_folder = good.replacen("\"content\":\"", "\"content\":\"/elsewhere", 1);
        for bad in [&good[..good.len() / 2], "", "not json", &other_version, &other_folder] {
            assert_ne!(bad, good);
            std::fs::write(&file, bad).unwrap_or_else(|e| panic!("{e}"));
            let (source, _gate) = gated(&file);
            assert_eq!(source.kept_default_locale(), None, "trusted: {bad:.60}");
        }
    }

    #[test]
    fn a_content_folder_that_does_not_load_says_why() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let missing = dir.path().join("no-such-folder");
        let mut source = StartingSource::start(&missing, None, tessera_core::LoadCache::default());
        let error = source.wait().err().unwrap_or_default();
        assert!(error.contains("no-such-folder"), "{error}");
        assert!(source.home("en").is_err());
    }
}
