//! The text a content file's parts (front matter, body) are ranges of.
//!
//! A file read from the content folder is held in memory. A file restored
//! from the parse cache is not: its text stays in the cache file on disk,
//! read when a front end asks for its body (most of a start reads only
//! front matter, kept apart in the cache for that), checked against the
//! hash it was kept with, and read from the content file instead if the
//! cache file was damaged or cut short since. A corpus restored from the
//! cache then takes memory for its structure, not for its Markdown.

use std::borrow::Cow;
use std::fs::File;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// A file's text, or the text several files are ranges of.
#[derive(Clone)]
pub(crate) enum Text {
    /// In memory: a file as read (or a body made in memory).
    Held(Arc<String>),
    /// In the parse cache on disk.
    Kept(Arc<KeptText>),
}

impl Default for Text {
    fn default() -> Text {
        Text::Held(Arc::default())
    }
}

impl From<String> for Text {
    fn from(text: String) -> Text {
        Text::Held(Arc::new(text))
    }
}

/// One file's text in the parse cache file: where it is, how long, and
/// the hash it was kept with.
pub(crate) struct KeptText {
    store: Arc<Store>,
    /// Where the text starts in the cache file.
    at: u64,
    len: usize,
    /// xxh3 of the text.
    hash: u64,
    /// The content file, relative to the content folder: read instead when
    /// the cache no longer holds the text.
    path: PathBuf,
}

/// A parse cache file, open for reading texts from.
pub(crate) struct Store {
    file: File,
    /// The cache file's path, for saying which one failed.
    path: PathBuf,
    /// The content folder.
    root: PathBuf,
    /// Whether a failed read was said already (once is enough).
    said: AtomicBool,
}

impl Store {
    pub(crate) fn new(file: File, path: &Path, root: &Path) -> Arc<Store> {
        Arc::new(Store { file, path: path.to_owned(), root: root.to_owned(), said: AtomicBool::new(false) })
    }

    /// The file the texts are read from.
    pub(crate) fn file(&self) -> &File {
        &self.file
    }

    /// The text of `len` bytes at `at`, kept with `hash`, of the content
    /// file `path`.
    pub(crate) fn text(self: &Arc<Store>, at: u64, len: usize, hash: u64, path: &Path) -> Text {
        Text::Kept(Arc::new(KeptText { store: self.clone(), at, len, hash, path: path.to_owned() }))
    }
}

/// `text` made safe to print to a terminal: each control character but a
/// line feed or a tab becomes U+FFFD. Content may hold them (a TOML
/// `\u001b` escape, a raw byte in a body), and an escape sequence printed
/// as it is could set the terminal's title, clear the screen or rewrite
/// what was printed before.
pub fn terminal_safe(text: &str) -> Cow<'_, str> {
    let unsafe_char = |c: char| c.is_control() && c != '\n' && c != '\t';
    if !text.chars().any(unsafe_char) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(text.chars().map(|c| if unsafe_char(c) { '\u{fffd}' } else { c }).collect())
}

/// xxh3 of a kept text, as the cache keeps it.
pub(crate) fn hash(text: &str) -> u64 {
    xxhash_rust::xxh3::xxh3_64(text.as_bytes())
}

impl KeptText {
    /// The text, read from the cache file; from the content file if the
    /// cache file does not hold it as it was kept (then said once on
    /// standard error); `None` if neither does (the content file changed
    /// too: the next load reads it).
    fn read(&self) -> Option<String> {
        let from_cache = || -> Result<String, String> {
            let mut bytes = vec![0u8; self.len];
            read_exact_at(&self.store.file, &mut bytes, self.at).map_err(|e| e.to_string())?;
            let text = String::from_utf8(bytes).map_err(|_| "a text is not UTF-8".to_owned())?;
            if hash(&text) != self.hash {
                return Err("a text does not match its hash".to_owned());
            }
            Ok(text)
        };
        match from_cache() {
            Ok(text) => Some(text),
            Err(why) => {
                if !self.store.said.swap(true, Ordering::Relaxed) {
                    eprintln!(
                        "warning: the parse cache `{}` no longer holds the texts it was written with ({why}); texts are read from the content files",
                        self.store.path.display()
                    );
                }
                let bytes = self.read_content_file()?;
                let bytes = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(&bytes);
                let text = std::str::from_utf8(bytes).ok()?;
                (hash(text) == self.hash).then(|| text.to_owned())
            }
        }
    }
}

impl KeptText {
    /// The content file's bytes, if it is still a regular file no longer
    /// than the text and a byte-order mark (anything else is not the
    /// text): opened without blocking, so a FIFO put in its place cannot
    /// hang a reader.
    fn read_content_file(&self) -> Option<Vec<u8>> {
        use std::io::Read as _;
        let most = self.len as u64 + 3;
        let file = crate::load::open_nonblocking(&self.store.root.join(&self.path)).ok()?;
        let meta = file.metadata().ok()?;
        if !meta.is_file() || meta.len() > most {
            return None;
        }
        let mut bytes = Vec::with_capacity(meta.len() as usize);
        file.take(most).read_to_end(&mut bytes).ok()?;
        Some(bytes)
    }
}

impl Text {
    /// The text at `range`; `None` if `range` is not in the text (or is
    /// not at character boundaries), or a kept text cannot be read.
    pub(crate) fn get(&self, range: Range<usize>) -> Option<Cow<'_, str>> {
        match self {
            Text::Held(text) => text.get(range).map(Cow::Borrowed),
            Text::Kept(kept) => {
                if range.end > kept.len {
                    return None;
                }
                let text = recent::get(kept)?;
                text.get(range).map(|t| Cow::Owned(t.to_owned()))
            }
        }
    }

    /// As [`Text::get`], but a kept text is read (and checked) without
    /// going through the texts read recently: for reading every text once,
    /// as writing the cache does, which would only push out of them the
    /// pages being asked for, and take their lock from every core.
    pub(crate) fn get_once(&self, range: Range<usize>) -> Option<Cow<'_, str>> {
        match self {
            Text::Held(text) => text.get(range).map(Cow::Borrowed),
            Text::Kept(kept) => {
                if range.end > kept.len {
                    return None;
                }
                kept.read()?.get(range).map(|t| Cow::Owned(t.to_owned()))
            }
        }
    }

    /// The text at `range`, or nothing (see [`Text::get`]).
    pub(crate) fn slice(&self, range: Range<usize>) -> Cow<'_, str> {
        self.get(range).unwrap_or_default()
    }

    /// Whether `range` is in the text: for a kept text, within its length
    /// (its boundaries are checked when it is read).
    pub(crate) fn holds(&self, range: &Range<usize>) -> bool {
        match self {
            Text::Held(text) => text.get(range.clone()).is_some(),
            Text::Kept(kept) => range.start <= range.end && range.end <= kept.len,
        }
    }

    /// Whether two texts are the same one (not merely equal).
    pub(crate) fn same(&self, other: &Text) -> bool {
        match (self, other) {
            (Text::Held(a), Text::Held(b)) => Arc::ptr_eq(a, b),
            (Text::Kept(a), Text::Kept(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }

    /// For a text kept in `store`: where it is there, and its hash.
    pub(crate) fn kept_in(&self, store: &Arc<Store>) -> Option<(u64, u64)> {
        match self {
            Text::Kept(kept) if Arc::ptr_eq(&kept.store, store) => Some((kept.at, kept.hash)),
            _ => None,
        }
    }

    /// The text's length in bytes.
    pub(crate) fn len(&self) -> usize {
        match self {
            Text::Held(text) => text.len(),
            Text::Kept(kept) => kept.len,
        }
    }

    /// For a kept text, the hash it was kept with: what it says of its
    /// content without reading it.
    pub(crate) fn kept_hash(&self) -> Option<u64> {
        match self {
            Text::Held(_) => None,
            Text::Kept(kept) => Some(kept.hash),
        }
    }
}

/// Forgets the texts read recently, so that the next read goes to disk.
#[cfg(test)]
pub(crate) fn forget_recent() {
    recent::forget();
}

#[cfg(unix)]
pub(crate) fn write_all_at(file: &File, buf: &[u8], offset: u64) -> std::io::Result<()> {
    std::os::unix::fs::FileExt::write_all_at(file, buf, offset)
}

#[cfg(not(unix))]
pub(crate) fn write_all_at(_: &File, _: &[u8], _: u64) -> std::io::Result<()> {
    Err(std::io::Error::other("texts are left in the parse cache on Unix only"))
}

#[cfg(unix)]
pub(crate) fn read_exact_at(file: &File, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, buf, offset)
}

#[cfg(not(unix))]
pub(crate) fn read_exact_at(mut file: &File, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
    use std::io::{Read, Seek, SeekFrom};
    // One handle, one position: reads take turns.
    static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    file.seek(SeekFrom::Start(offset))?;
    file.read_exact(buf)
}

/// The texts read most recently, so that a page asked for again and again
/// is not read from disk each time: bounded by their size, least recently
/// used out first.
mod recent {
    use std::sync::{Arc, LazyLock, Mutex, Weak};

    use super::KeptText;

    /// How many bytes of text are kept: a few thousand pages.
    pub(super) const BUDGET: usize = 8 << 20;

    struct Entry {
        /// Whose text this is. A weak reference keeps the allocation, so
        /// its address (the key) is not reused while the entry lives.
        _holds_address: Weak<KeptText>,
        text: Arc<String>,
    }

    struct Recent {
        entries: lru::LruCache<usize, Entry>,
        bytes: usize,
    }

    static RECENT: LazyLock<Mutex<Recent>> =
        LazyLock::new(|| Mutex::new(Recent { entries: lru::LruCache::unbounded(), bytes: 0 }));

    fn lock() -> std::sync::MutexGuard<'static, Recent> {
        // Every entry is whole at any moment: a panic elsewhere leaves the
        // cache usable.
        RECENT.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// `kept`'s text, from the cache or read (then cached).
    pub(super) fn get(kept: &Arc<KeptText>) -> Option<Arc<String>> {
        let key = Arc::as_ptr(kept) as usize;
        // An entry under this address is `kept`'s own: its weak reference
        // holds the address while it lives.
        if let Some(e) = lock().entries.get(&key) {
            return Some(e.text.clone());
        }
        // Read outside the lock: two threads may read the same text, which
        // costs a read, not correctness.
        let text = Arc::new(kept.read()?);
        if text.len() > BUDGET {
            return Some(text);
        }
        let mut recent = lock();
        recent.bytes += text.len();
        let entry = Entry { _holds_address: Arc::downgrade(kept), text: text.clone() };
        if let Some(old) = recent.entries.put(key, entry) {
            recent.bytes -= old.text.len();
        }
        while recent.bytes > BUDGET {
            match recent.entries.pop_lru() {
                Some((_, old)) => recent.bytes -= old.text.len(),
                None => break,
            }
        }
        Some(text)
    }

    /// Forgets every text read (for tests that change the cache file).
    #[cfg(test)]
    pub(super) fn forget() {
        let mut recent = lock();
        recent.entries.clear();
        recent.bytes = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_control_characters_are_replaced_for_a_terminal() {
        let clean = "Line one\n\tand two: é, 日本, 🙂, \u{202e}.";
        assert!(matches!(terminal_safe(clean), Cow::Borrowed(_)), "clean text is not copied");
        let hostile = "a\u{1b}[31mb\u{7}c\u{9b}2Jd\u{7f}e\u{0}f\rg";
        assert_eq!(terminal_safe(hostile), "a\u{fffd}[31mb\u{fffd}c\u{fffd}2Jd\u{fffd}e\u{fffd}f\u{fffd}g");
    }
}
