//! The parse cache kept on disk between runs: what a [`LoadCache`] knows of
//! each file, so that a new process does not read and parse an unchanged
//! corpus again.
//!
//! One file per content folder, `parts-<hash of the folder's path>.bin`:
//!
//! ```text
//! [texts][fronts][index][index length: u64][fronts length: u64][checksum: u64][MAGIC]
//! ```
//!
//! `texts` is every kept file's text, one after the other; `fronts` every
//! kept file's front matter again, one after the other. A start reads the
//! index, not the texts: a restored file's text stays in this file, read
//! when a front end asks for its body ([`Text`]), so a corpus restored
//! from the cache takes memory for its structure, not for its Markdown,
//! and a start does not wait for it; the fronts are read when a file's
//! front matter is first parsed again. `index` (postcard) says, for each
//! file, where its text and front matter are, its stamp, its hash and its
//! text's hash, where its front matter and body are in the text, and its
//! body's links, raw HTML and nesting (the scan that pulldown-cmark would
//! otherwise repeat); what checking each file against the rest found; the
//! fronts' hash; and, after a successful load, its snapshot whole
//! ([`Image`]). The checksum (xxh3 of the index), the fronts' hash and the
//! magic make a truncated or damaged file refused, never trusted; each
//! text is checked against its hash when it is read, and all of them by
//! the load (or, after a start that took the snapshot whole, by
//! [`LoadCache::keep`]). The index names the format, Tessera's version,
//! the folder and the site settings, and a cache that differs in any of
//! them is not used.
//!
//! The index keeps the files in the order of their paths' bytes (the
//! listing's), in chunks encoded apart so that a start decodes them on
//! every core, and what checking found as one encoded blob, decoded when
//! a load needs it (a start that takes the snapshot whole does not). The
//! file is read on a thread of its own ([`Pending`]) while the load lists
//! the folders.
//!
//! A kept file is used only when the file on disk has the stamp it had
//! when read (size, modification and change times, inode, as the
//! in-memory cache decides); otherwise it is read and parsed again.

use rustc_hash::FxHashMap as HashMap;
use std::io::Write;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use super::{CheckedPart, Part, Source, Stamp};
use crate::body::{Body, BodyLink, LinkTarget};
use crate::diagnostic::{Diagnostic, Severity};
use crate::reference::Kind;
use crate::snapshot::ItemId;
use crate::text::Store;

/// Bumped whenever what is kept, or what a parse finds, changes.
const FORMAT: u32 = 4;
const MAGIC: &[u8; 8] = b"TSPARTS\x04";
/// Index length, fronts length, checksum, magic.
const TRAILER: usize = 8 + 8 + 8 + 8;
/// How many folders' caches are kept; the least recently written go first.
const KEEP: usize = 4;
/// How many files a chunk of the index holds.
const CHUNK: usize = 2048;

/// Bytes within the index, read in place where they can be.
pub(super) struct Blob<'a>(std::borrow::Cow<'a, [u8]>);

impl Serialize for Blob<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_bytes(&self.0)
    }
}

impl<'de> Deserialize<'de> for Blob<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Bytes;
        impl<'de> serde::de::Visitor<'de> for Bytes {
            type Value = Blob<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("bytes")
            }
            fn visit_borrowed_bytes<E: serde::de::Error>(self, v: &'de [u8]) -> Result<Blob<'de>, E> {
                Ok(Blob(std::borrow::Cow::Borrowed(v)))
            }
            fn visit_bytes<E: serde::de::Error>(self, v: &[u8]) -> Result<Blob<'de>, E> {
                Ok(Blob(std::borrow::Cow::Owned(v.to_vec())))
            }
        }
        deserializer.deserialize_bytes(Bytes)
    }
}

/// What a load found of the cache on disk.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum StoreStatus {
    /// No cache folder was given, or the load has not looked yet.
    #[default]
    Unused,
    /// There was no cache for this folder yet.
    Missing,
    /// The cache was read; it held this many files.
    Read {
        /// Files it held.
        files: usize,
    },
    /// The cache was refused (and will be written again): why.
    Refused(String),
}

/// The index: generic so that [`write`] can serialize views of the load
/// cache, in the very shape that is read back. The files are kept in the
/// order of their paths' bytes (the listing's order), in chunks of
/// [`CHUNK`] files, each encoded apart, so that a start decodes them on
/// every core.
#[derive(Serialize, Deserialize)]
struct Index<Files = Vec<Blob<'static>>, Kept = Option<Image>> {
    format: u32,
    tessera: String,
    root: String,
    site: u64,
    /// The xxh3 of the fronts, which are read (and checked) when first
    /// needed: a start that takes the snapshot whole never reads them.
    fronts_hash: u64,
    files: Files,
    checks: RawChecks,
    /// The snapshot the load that wrote the cache built, if it succeeded.
    image: Kept,
}

/// A successful load's snapshot, kept whole: the next start that finds the
/// same settings, the same listing and every file with the stamp kept for
/// it (and, in a git repository, the same commit and index) builds the
/// snapshot from it without parsing or checking anything again. Bodies
/// are the kept files' texts and scans; the front matter is kept parsed,
/// as JSON (the model types skip empty fields, which postcard cannot).
#[derive(Serialize, Deserialize)]
pub(super) struct Image {
    /// A hash of the site settings, topics and legacy addresses.
    pub(super) settings: u64,
    /// A hash of the folders' listing: the content files and the notes.
    pub(super) listing: u64,
    /// The state of the git repository the folder is in, if any.
    pub(super) git: Option<String>,
    /// Every document, in the snapshot's order.
    pub(super) docs: Vec<ImageDoc>,
    /// The load's warnings, in order.
    pub(super) warnings: Vec<StoredDiagnostic>,
}

/// One document of an [`Image`]. The documents are kept in the order the
/// listing names their files (which the listing's hash pins down), and
/// their paths, slugs and locales are the listing's.
#[derive(Serialize, Deserialize)]
pub(super) struct ImageDoc {
    pub(super) kind: Kind,
    /// The xxh3 of its path, to check the order against.
    pub(super) path: u64,
    /// The front matter, as JSON.
    pub(super) meta: String,
    /// Seconds and nanoseconds since the epoch.
    pub(super) modified: Option<(i64, u32)>,
}

/// One file's text and parse, as kept.
#[derive(Clone, Serialize, Deserialize)]
pub(super) struct StoredFile<Scan = StoredScan> {
    path: String,
    stamp: StoredStamp,
    read_at: (u64, u32),
    hash: u64,
    /// Where the file's text is in the texts, and its xxh3.
    start: u64,
    len: u64,
    text_hash: u64,
    /// Where the front matter and body are in the file's text.
    front: (u64, u64),
    body: (u64, u64),
    /// Where the front matter is in the fronts.
    front_at: u64,
    /// The body's scan; `None` for an empty body.
    scan: Option<Scan>,
}

#[derive(Clone, Serialize, Deserialize)]
struct StoredStamp {
    len: u64,
    modified: Option<(u64, u32)>,
    changed: (i64, i64),
    inode: (u64, u64),
}

#[derive(Clone, Serialize, Deserialize)]
pub(super) struct StoredScan {
    links: StoredLinks,
    raw_html: Vec<u64>,
    too_deep: Option<u64>,
}

/// A body's links, read straight into the body's own type (a start reads
/// about ten a file, so a copy of each would cost as much again).
#[derive(Clone)]
pub(super) struct StoredLinks(Vec<BodyLink>);

/// How a link is kept, read into a [`BodyLink`] as it is decoded.
#[derive(Deserialize)]
struct StoredLink {
    target: StoredTarget,
    offset: u64,
    span: (u64, u64),
}

#[derive(Deserialize)]
enum StoredTarget {
    Item { kind: Kind, slug: compact_str::CompactString, fragment: Option<String> },
    Url(String),
    Invalid(String),
}

/// The same, written from the body's links without copying them.
#[derive(Serialize)]
struct LinkOf<'a> {
    target: TargetOf<'a>,
    offset: u64,
    span: (u64, u64),
}

#[derive(Serialize)]
enum TargetOf<'a> {
    Item { kind: Kind, slug: &'a str, fragment: Option<&'a str> },
    Url(&'a str),
    Invalid(&'a str),
}

impl<'a> LinkOf<'a> {
    fn of(l: &'a BodyLink) -> LinkOf<'a> {
        LinkOf {
            target: match &l.target {
                LinkTarget::Item { kind, slug, fragment } => {
                    TargetOf::Item { kind: *kind, slug, fragment: fragment.as_deref() }
                }
                LinkTarget::Url { url } => TargetOf::Url(url),
                LinkTarget::Invalid { written } => TargetOf::Invalid(written),
            },
            offset: l.offset as u64,
            span: range(&l.span),
        }
    }
}

impl Serialize for StoredLinks {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(LinkOf::of))
    }
}

impl<'de> Deserialize<'de> for StoredLinks {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Links;
        impl<'de> serde::de::Visitor<'de> for Links {
            type Value = StoredLinks;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a body's links")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<StoredLinks, A::Error> {
                use serde::de::Error;
                // A length read from the file is not trusted to size memory.
                let mut links = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1 << 12));
                while let Some(l) = seq.next_element::<StoredLink>()? {
                    let target = match l.target {
                        StoredTarget::Item { kind, slug, fragment } => LinkTarget::Item { kind, slug, fragment },
                        StoredTarget::Url(url) => LinkTarget::Url { url },
                        StoredTarget::Invalid(written) => LinkTarget::Invalid { written },
                    };
                    let offset = usize::try_from(l.offset).map_err(A::Error::custom)?;
                    let span = usize_range(l.span).ok_or_else(|| A::Error::custom("a link's span is reversed"))?;
                    links.push(BodyLink { target, offset, span });
                }
                Ok(StoredLinks(links))
            }
        }
        deserializer.deserialize_seq(Links)
    }
}

/// What checking each file found, kept encoded in the index until a load
/// needs it: a start that takes the snapshot whole does not, and the next
/// load decodes it ([`RawChecks::decode`]).
pub(super) struct RawChecks(Vec<u8>);

impl Serialize for RawChecks {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_bytes(&self.0)
    }
}

impl<'de> Deserialize<'de> for RawChecks {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Bytes;
        impl serde::de::Visitor<'_> for Bytes {
            type Value = RawChecks;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("bytes")
            }
            fn visit_bytes<E: serde::de::Error>(self, v: &[u8]) -> Result<RawChecks, E> {
                Ok(RawChecks(v.to_vec()))
            }
        }
        deserializer.deserialize_bytes(Bytes)
    }
}

impl RawChecks {
    /// By path; empty if they do not decode (every file is then checked
    /// again, which gives the same result more slowly). The index they
    /// are part of was checked whole when read.
    pub(super) fn decode(self) -> HashMap<PathBuf, CheckedPart> {
        let Ok(checks) = postcard::from_bytes::<Vec<StoredCheck>>(&self.0) else { return HashMap::default() };
        checks
            .into_iter()
            .map(|c| {
                let diagnostics = c.diagnostics.into_iter().map(diagnostic);
                let referenced = c.referenced.into_iter().map(|(kind, slug)| ItemId { kind, slug: slug.into() });
                let part = CheckedPart {
                    hash: c.hash,
                    context: c.context,
                    diagnostics: diagnostics.collect(),
                    referenced: referenced.collect(),
                };
                (PathBuf::from(c.path), part)
            })
            .collect()
    }
}

#[derive(Serialize, Deserialize)]
struct StoredCheck {
    path: String,
    hash: u64,
    context: u64,
    diagnostics: Vec<StoredDiagnostic>,
    referenced: Vec<(Kind, String)>,
}

#[derive(Serialize, Deserialize)]
pub(super) struct StoredDiagnostic {
    path: String,
    line: u32,
    column: u32,
    error: bool,
    message: String,
    help: Option<String>,
    span: Option<(u64, u64)>,
}

/// A cache read from disk, waiting for the site settings to be known.
pub(super) struct Restored {
    site: u64,
    /// The cache file, which the restored files' texts are read from.
    store: Arc<Store>,
    /// Every kept file's front matter, read when first needed (`None` if
    /// it no longer has its hash).
    fronts: std::sync::OnceLock<Option<String>>,
    /// Where they are in the cache file, how long, and their xxh3.
    fronts_at: u64,
    fronts_len: u64,
    fronts_hash: u64,
    /// Each taken by the load that uses it: its links are moved into the
    /// body, not copied.
    /// By path (as a string), in the order of the paths' bytes, which is
    /// the listing's.
    /// In the chunks they were decoded in, all of [`CHUNK`] files but the
    /// last as written (a file is found by its place in the listing, else
    /// by halving), so that no one table of them all is made.
    files: Vec<Vec<(String, Mutex<Option<StoredFile>>)>>,
    /// How many files it kept (`files` is emptied once they are taken).
    kept: usize,
    checks: Option<RawChecks>,
    image: Option<Image>,
    /// Every kept text's place and hash, until checked, and where the
    /// texts end.
    texts: Vec<(u64, u64, u64)>,
    texts_len: u64,
}

/// A cache being read on a thread of its own while the load lists the
/// folders and looks at the files' stamps ([`Pending::finish`]).
pub(super) enum Pending {
    Reading(std::thread::JoinHandle<Result<Option<Restored>, String>>),
    Read(Box<Result<Option<Restored>, String>>),
}

impl Pending {
    /// Starts reading the cache at `path` for `root` (here, when no thread
    /// can be started).
    pub(super) fn start(path: PathBuf, root: PathBuf) -> Pending {
        if !path.exists() && !path.is_symlink() {
            return Pending::Read(Box::new(Ok(None)));
        }
        let (p, r) = (path.clone(), root.clone());
        match std::thread::Builder::new().name("cache-read".to_owned()).spawn(move || read(&p, &r)) {
            Ok(thread) => Pending::Reading(thread),
            Err(_) => Pending::Read(Box::new(read(&path, &root))),
        }
    }

    /// Whether it is still being read (on a thread).
    pub(super) fn reading(&self) -> bool {
        matches!(self, Pending::Reading(_))
    }

    /// What [`read`] gave.
    pub(super) fn finish(self) -> Result<Option<Restored>, String> {
        match self {
            Pending::Reading(thread) => {
                thread.join().unwrap_or_else(|_| Err("cannot read it: the thread reading it failed".to_owned()))
            }
            Pending::Read(read) => *read,
        }
    }
}

/// The cache file for the content folder `root` (canonical) in `dir`.
pub(super) fn file_for(dir: &Path, root: &Path) -> PathBuf {
    let key = xxhash_rust::xxh3::xxh3_64(root.as_os_str().as_encoded_bytes());
    dir.join(format!("parts-{key:016x}.bin"))
}

/// A hash of the site settings the parts were parsed under.
pub(super) fn site_key(site: Option<&crate::model::Site>) -> u64 {
    xxhash_rust::xxh3::xxh3_64(format!("{site:?}").as_bytes())
}

fn to_pair(t: SystemTime) -> Option<(u64, u32)> {
    t.duration_since(UNIX_EPOCH).ok().map(|d| (d.as_secs(), d.subsec_nanos()))
}

fn from_pair((secs, nanos): (u64, u32)) -> Option<SystemTime> {
    UNIX_EPOCH.checked_add(Duration::new(secs, nanos.min(999_999_999)))
}

fn range(r: &Range<usize>) -> (u64, u64) {
    (r.start as u64, r.end as u64)
}

fn usize_range((start, end): (u64, u64)) -> Option<Range<usize>> {
    let (start, end) = (usize::try_from(start).ok()?, usize::try_from(end).ok()?);
    (start <= end).then_some(start..end)
}

/// Reads the cache for `root` from `path`: `Ok(None)` when there is none.
/// Reads its index and front matter; the texts are read when asked for.
pub(super) fn read(path: &Path, root: &Path) -> Result<Option<Restored>, String> {
    // Opened without blocking: a FIFO put in its place must not hang the
    // start; only a regular file is read.
    let file = match super::open_nonblocking(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot read it: {e}")),
    };
    let truncated = || "it is truncated or damaged".to_owned();
    let io = |e: std::io::Error| match e.kind() {
        // Cut short since its length was read.
        std::io::ErrorKind::UnexpectedEof => truncated(),
        _ => format!("cannot read it: {e}"),
    };
    let meta = file.metadata().map_err(io)?;
    if !meta.is_file() {
        return Err("it is not a regular file".to_owned());
    }
    let len = meta.len();
    let body_len = len.checked_sub(TRAILER as u64).ok_or_else(truncated)?;
    let mut trailer = [0u8; TRAILER];
    crate::text::read_exact_at(&file, &mut trailer, body_len).map_err(io)?;
    let word = |i: usize| trailer.get(i * 8..i * 8 + 8).and_then(|w| <[u8; 8]>::try_from(w).ok());
    let (Some(index_len), Some(fronts_len), Some(checksum), Some(magic)) = (word(0), word(1), word(2), word(3)) else {
        return Err(truncated());
    };
    if &magic != MAGIC {
        return Err("it is not a parse cache of this format".to_owned());
    }
    let (index_len, fronts_len) = (u64::from_le_bytes(index_len), u64::from_le_bytes(fronts_len));
    let texts_len = body_len.checked_sub(index_len).and_then(|l| l.checked_sub(fronts_len)).ok_or_else(truncated)?;
    let (Ok(index_size), Ok(_)) = (usize::try_from(index_len), usize::try_from(fronts_len)) else {
        return Err(truncated());
    };
    let mut index_bytes = vec![0u8; index_size];
    crate::text::read_exact_at(&file, &mut index_bytes, texts_len + fronts_len).map_err(io)?;
    // The index is decoded while its checksum and the fronts' hash are
    // worked out, each on a core: decoding damaged bytes is safe (it fails,
    // or gives what the checksum then refuses), and nothing decoded is used
    // before both are known.
    let decode = || -> Option<(Index<Vec<Blob<'_>>>, Vec<Chunk>)> {
        use rayon::prelude::*;
        let index: Index<Vec<Blob<'_>>> = postcard::from_bytes(&index_bytes).ok()?;
        if index.format != FORMAT || index.tessera != env!("CARGO_PKG_VERSION") {
            return Some((index, Vec::new()));
        }
        let chunks: Option<Vec<Chunk>> =
            index.files.par_iter().map(|chunk| Chunk::decode(&chunk.0, texts_len, fronts_len)).collect();
        Some((index, chunks?))
    };
    let fronts_sum = || -> Result<u64, String> {
        // Through a small buffer: the fronts are read whole when first
        // needed.
        let mut fronts = xxhash_rust::xxh3::Xxh3::new();
        let mut buffer = vec![0u8; 1 << 20];
        let mut at = 0;
        while at < fronts_len {
            let n = (fronts_len - at).min(buffer.len() as u64) as usize;
            let chunk = buffer.get_mut(..n).ok_or_else(truncated)?;
            crate::text::read_exact_at(&file, chunk, texts_len + at).map_err(io)?;
            fronts.update(chunk);
            at += n as u64;
        }
        Ok(fronts.digest())
    };
    let ((sum, fronts_sum), decoded) =
        rayon::join(|| rayon::join(|| xxhash_rust::xxh3::xxh3_64(&index_bytes), fronts_sum), decode);
    if sum != u64::from_le_bytes(checksum) {
        return Err(truncated());
    }
    let (index, chunks) = decoded.ok_or_else(truncated)?;
    if index.format != FORMAT || index.tessera != env!("CARGO_PKG_VERSION") {
        return Err(format!("it was written by another version of Tessera ({})", index.tessera));
    }
    if Path::new(&index.root) != root {
        return Err(format!("it is for another folder ({})", index.root));
    }
    let Index { site, fronts_hash, checks, image, .. } = index;
    drop(index_bytes);
    // The texts are checked by the load, before it uses them
    // ([`Restored::texts_whole`], [`Restored::check_texts_apart`]); the
    // fronts now, so that a damaged cache is refused and written again
    // rather than found out file by file.
    if fronts_sum? != fronts_hash {
        return Err(truncated());
    }
    // In order across the chunks too, each path once: looked up by halving.
    let ordered = chunks.windows(2).all(|w| match (w[0].files.last(), w[1].files.first()) {
        (Some((last, _)), Some((first, _))) => last.as_bytes() < first.as_bytes(),
        _ => false,
    });
    if !ordered {
        return Err(truncated());
    }
    let texts = chunks.iter().flat_map(|c| c.texts.iter().copied()).collect();
    let files: Vec<_> = chunks.into_iter().map(|c| c.files).collect();
    let store = Store::new(file, path, root);
    Ok(Some(Restored {
        site,
        store,
        fronts: std::sync::OnceLock::new(),
        fronts_at: texts_len,
        fronts_len,
        fronts_hash,
        kept: files.iter().map(Vec::len).sum(),
        files,
        checks: Some(checks),
        image,
        texts,
        texts_len,
    }))
}

/// One chunk of the index's files, decoded and checked on a core of its
/// own.
struct Chunk {
    files: Vec<(String, Mutex<Option<StoredFile>>)>,
    /// Each file's text: where, how long, its xxh3.
    texts: Vec<(u64, u64, u64)>,
}

impl Chunk {
    /// `None` if it does not decode, is empty, or names a range past the
    /// texts or fronts, or its paths are out of order or repeated.
    fn decode(bytes: &[u8], texts_len: u64, fronts_len: u64) -> Option<Chunk> {
        let decoded: Vec<StoredFile> = postcard::from_bytes(bytes).ok()?;
        if decoded.is_empty() {
            return None;
        }
        let mut chunk = Chunk { files: Vec::with_capacity(decoded.len()), texts: Vec::with_capacity(decoded.len()) };
        for mut f in decoded {
            // Every range must fit: the texts are checked when read, the
            // front matter here.
            let fits = usize_range((f.start, f.start.saturating_add(f.len)))
                .filter(|r| r.end as u64 <= texts_len)
                .zip(usize_range(f.front).zip(usize_range(f.body)))
                .is_some_and(|(file, (front, body))| {
                    let copy = usize_range((f.front_at, f.front_at.saturating_add(front.len() as u64)));
                    front.end <= file.len()
                        && body.end <= file.len()
                        && copy.is_some_and(|c| c.end as u64 <= fronts_len)
                });
            if !fits || chunk.files.last().is_some_and(|(last, _)| last.as_bytes() >= f.path.as_bytes()) {
                return None;
            }
            chunk.texts.push((f.start, f.len, f.text_hash));
            chunk.files.push((std::mem::take(&mut f.path), Mutex::new(Some(f))));
        }
        Some(chunk)
    }
}

pub(super) fn diagnostic(d: StoredDiagnostic) -> Diagnostic {
    Diagnostic {
        path: PathBuf::from(d.path),
        line: d.line,
        column: d.column,
        severity: if d.error { Severity::Error } else { Severity::Warning },
        message: d.message,
        help: d.help,
        span: d.span.and_then(usize_range),
    }
}

/// `None` for a diagnostic whose path is not UTF-8 (the cache keeps
/// paths as strings).
pub(super) fn stored_diagnostic(d: &Diagnostic) -> Option<StoredDiagnostic> {
    Some(StoredDiagnostic {
        path: d.path.to_str()?.to_owned(),
        line: d.line,
        column: d.column,
        error: d.is_error(),
        message: d.message.clone(),
        help: d.help.clone(),
        span: d.span.as_ref().map(range),
    })
}

/// Kept texts not checked yet ([`Restored::check_texts_later`]).
pub(super) struct Unchecked {
    store: Arc<Store>,
    texts: Vec<(u64, u64, u64)>,
    len: u64,
}

impl Unchecked {
    /// Whether every text still has its hash (each core its share).
    pub(super) fn check(self) -> std::io::Result<bool> {
        let threads = std::thread::available_parallelism().map_or(1, usize::from).clamp(1, 8);
        texts_match(self.store.file(), self.texts, self.len, threads)
    }
}

/// Whether every text `(start, length, xxh3)` is in the first `texts_len`
/// bytes of `file` and has its hash: read in runs of neighbouring texts of
/// about a megabyte, each core its share.
fn texts_match(
    file: &std::fs::File,
    mut texts: Vec<(u64, u64, u64)>,
    texts_len: u64,
    threads: usize,
) -> std::io::Result<bool> {
    const RUN: u64 = 1 << 20;
    texts.sort_unstable();
    if texts.iter().any(|&(start, len, _)| start.checked_add(len).is_none_or(|end| end > texts_len)) {
        return Ok(false);
    }
    let share = texts.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let checkers: Vec<_> = texts
            .chunks(share)
            .map(|texts| {
                scope.spawn(move || -> std::io::Result<bool> {
                    let mut buffer = Vec::new();
                    let mut rest = texts;
                    while let Some(&(from, _, _)) = rest.first() {
                        // The texts that end within a run from `from` (at
                        // least one, however long).
                        let n = rest.iter().take_while(|&&(s, l, _)| s + l <= from + RUN).count().max(1);
                        let (run, next) = rest.split_at(n);
                        let to = run.iter().map(|&(s, l, _)| s + l).max().unwrap_or(from);
                        let len = usize::try_from(to - from).map_err(std::io::Error::other)?;
                        buffer.resize(len, 0);
                        crate::text::read_exact_at(file, &mut buffer, from)?;
                        for &(start, len, hash) in run {
                            let at = (start - from) as usize;
                            let text = buffer.get(at..at + len as usize).unwrap_or_default();
                            if xxhash_rust::xxh3::xxh3_64(text) != hash {
                                return Ok(false);
                            }
                        }
                        rest = next;
                    }
                    Ok(true)
                })
            })
            .collect();
        let mut all = true;
        for checker in checkers {
            all &= checker.join().unwrap_or_else(|_| Err(std::io::Error::other("a checking thread failed")))?;
        }
        Ok(all)
    })
}

impl Restored {
    /// Whether the parts were parsed under these site settings.
    pub(super) fn is_for(&self, site: u64) -> bool {
        self.site == site
    }

    /// How many files the cache kept.
    pub(super) fn files(&self) -> usize {
        self.kept
    }

    /// Lets go of the kept files not taken: a load takes what it uses
    /// while parsing, and the table (a few hundred bytes a file) would
    /// otherwise stay until the load ends, at its peak.
    pub(super) fn done_taking(&mut self) {
        self.files = Vec::new();
        self.fronts = std::sync::OnceLock::new();
    }

    /// What checking each file found, by path.
    pub(super) fn take_checks(&mut self) -> HashMap<PathBuf, CheckedPart> {
        self.checks.take().map(RawChecks::decode).unwrap_or_default()
    }

    /// The same, still encoded, for a load that does not need them.
    pub(super) fn take_raw_checks(&mut self) -> Option<RawChecks> {
        self.checks.take()
    }

    /// Whether every kept text still has its hash: reads them all (through
    /// a small buffer, each core its share), once.
    pub(super) fn texts_whole(&mut self) -> std::io::Result<bool> {
        self.check_texts_later().check()
    }

    /// The same check, left for later: for a load that built its snapshot
    /// without reading a text (each text is checked again when read, and a
    /// damaged one read from its content file meanwhile).
    pub(super) fn check_texts_later(&mut self) -> Unchecked {
        Unchecked { store: self.store.clone(), texts: std::mem::take(&mut self.texts), len: self.texts_len }
    }

    /// Whether the cache keeps a load's snapshot whole.
    pub(super) fn has_image(&self) -> bool {
        self.image.is_some()
    }

    /// The snapshot kept whole, if any (once: a load takes it).
    pub(super) fn take_image(&mut self) -> Option<Image> {
        self.image.take()
    }

    /// The stamp, read time and hash of the kept file at `path`, which
    /// stays kept.
    /// `hint`: where it may be in the order of paths (the listing's).
    pub(super) fn stamp_of(&self, path: &Path, hint: usize) -> Option<(Stamp, SystemTime, u64)> {
        self.slot(path, hint)?.lock().unwrap_or_else(PoisonError::into_inner).as_ref()?.stamp()
    }

    /// The kept file at `path`, if it is kept (and not taken already).
    pub(super) fn take(&self, path: &Path, hint: usize) -> Option<StoredFile> {
        self.slot(path, hint)?.lock().unwrap_or_else(PoisonError::into_inner).take()
    }

    fn slot(&self, path: &Path, hint: usize) -> Option<&Mutex<Option<StoredFile>>> {
        let path = path.to_str()?;
        if let Some((p, slot)) = self.files.get(hint / CHUNK).and_then(|c| c.get(hint % CHUNK))
            && p == path
        {
            return Some(slot);
        }
        // The first chunk that does not end before `path` (none is empty).
        let c = self.files.partition_point(|c| c.last().is_some_and(|(p, _)| p.as_bytes() < path.as_bytes()));
        let chunk = self.files.get(c)?;
        let at = chunk.binary_search_by(|(p, _)| p.as_bytes().cmp(path.as_bytes())).ok()?;
        chunk.get(at).map(|(_, slot)| slot)
    }

    /// The front matter of the kept `file`, as kept beside the texts.
    pub(super) fn front(&self, file: &StoredFile) -> Option<&str> {
        let front = usize_range(file.front)?;
        let at = usize::try_from(file.front_at).ok()?;
        self.fronts()?.get(at..at.checked_add(front.len())?)
    }

    /// Every kept file's front matter, read at the first call; `None` if
    /// it cannot be read or no longer has its hash (the files are then
    /// read from the content folder).
    fn fronts(&self) -> Option<&str> {
        self.fronts
            .get_or_init(|| {
                let len = usize::try_from(self.fronts_len).ok()?;
                let mut bytes = vec![0u8; len];
                crate::text::read_exact_at(self.store.file(), &mut bytes, self.fronts_at).ok()?;
                if xxhash_rust::xxh3::xxh3_64(&bytes) != self.fronts_hash {
                    return None;
                }
                String::from_utf8(bytes).ok()
            })
            .as_deref()
    }

    /// The kept file as it was read: its text (left on disk) and its body,
    /// scanned under `site`. `None` if what was kept does not fit the text.
    pub(super) fn source(&self, file: StoredFile, path: &Path, site: Option<&str>) -> Option<(Source, Body)> {
        let len = usize::try_from(file.len).ok()?;
        let (front, body) = (usize_range(file.front)?, usize_range(file.body)?);
        let text = self.store.text(file.start, len, file.text_hash, path);
        let source = Source { path: path.to_owned(), text: text.clone(), file: 0..len, front, body };
        let body = match file.scan {
            None => Body::empty(),
            Some(scan) => {
                let links = scan.links.0;
                let raw_html = scan.raw_html.iter().map(|&o| usize::try_from(o).ok()).collect::<Option<Vec<_>>>()?;
                let too_deep = match scan.too_deep {
                    Some(o) => Some(usize::try_from(o).ok()?),
                    None => None,
                };
                Body::from_scan(text, source.body.clone(), site, links, raw_html, too_deep)?
            }
        };
        Some((source, body))
    }
}

impl StoredFile {
    /// The file's stamp when it was read, when that read began, and the
    /// hash of its bytes.
    pub(super) fn stamp(&self) -> Option<(Stamp, SystemTime, u64)> {
        let stamp = Stamp {
            len: self.stamp.len,
            modified: self.stamp.modified.and_then(from_pair),
            changed: self.stamp.changed,
            inode: self.stamp.inode,
        };
        Some((stamp, from_pair(self.read_at)?, self.hash))
    }
}

/// The text and parse of a kept part, if it has one to keep (a file that
/// could not be read or split has none).
fn source_of(part: &Part) -> Option<(&Source, &Body)> {
    fn of<T>(r: &super::ParseResult<T>) -> Option<(&Source, &Body)> {
        match r {
            Ok(p) => Some((&p.source, &p.doc.body)),
            Err(broken) => broken.rest.as_deref().map(|(s, b)| (s, b)),
        }
    }
    match part {
        Part::Page(r) => of(r),
        Part::Measure(r) => of(r),
        Part::Partner(r) => of(r),
        Part::Story(r) => of(r),
        Part::Media(r) => of(r),
    }
}

/// The next cache file, begun while a load reads files: each text read is
/// written to it at once and left there, so that a first run does not hold
/// the corpus's texts while it parses and checks it. Its front matter goes
/// to a second, unnamed file at the same time, which [`write`] copies
/// whole after the texts, so that the texts need not be read back for
/// it. [`write`] adds the rest (front matter, index) and renames the
/// spool into place; dropped unwritten, it is removed (the texts left in
/// it stay readable while it is open).
pub(super) struct Spool {
    tmp: tempfile::NamedTempFile,
    store: Arc<Store>,
    /// Where the next text goes.
    next: std::sync::atomic::AtomicU64,
    /// The spooled texts' front matters, one after the other.
    fronts: std::fs::File,
    /// Where the next front matter goes in `fronts`.
    fronts_next: std::sync::atomic::AtomicU64,
    /// Where each spooled text's front matter is in `fronts` and how long
    /// it is, by where the text is; whether one failed to be written
    /// there (then none of them is used).
    front_of: Mutex<(FrontsAt, bool)>,
}

/// Where each spooled text's front matter is and how long it is, by where
/// the text is.
type FrontsAt = HashMap<u64, (u64, usize)>;

impl Spool {
    /// A new spool in `dir` for the content folder `root`; `None` when it
    /// cannot be made there (the texts are then held, as without a cache).
    pub(super) fn create(dir: &Path, root: &Path) -> Option<Spool> {
        if !cfg!(unix) {
            return None;
        }
        std::fs::create_dir_all(dir).ok()?;
        let tmp = tempfile::Builder::new().prefix(".parts-").suffix(".tmp").tempfile_in(dir).ok()?;
        // Locked while this process has it open: a run killed before it
        // finished leaves it unlocked, for the next run to remove.
        let _ = tmp.as_file().try_lock();
        let store = Store::new(tmp.as_file().try_clone().ok()?, tmp.path(), root);
        let fronts = tempfile::tempfile_in(dir).ok()?;
        Some(Spool {
            tmp,
            store,
            next: std::sync::atomic::AtomicU64::new(0),
            fronts,
            fronts_next: std::sync::atomic::AtomicU64::new(0),
            front_of: Mutex::default(),
        })
    }

    /// Leaves `text`, the text of the content file `path`, with the xxh3
    /// `hash`, in the spool, and its front matter (the range `front` of
    /// it) beside: where the text is, or `None` if it could not be written
    /// (a full disk: the text is then held).
    pub(super) fn keep(&self, text: &str, hash: u64, front: Range<usize>, path: &Path) -> Option<crate::text::Text> {
        use std::sync::atomic::Ordering::Relaxed;
        let front = text.get(front)?;
        let at = self.next.fetch_add(text.len() as u64, Relaxed);
        crate::text::write_all_at(self.store.file(), text.as_bytes(), at).ok()?;
        let front_at = self.fronts_next.fetch_add(front.len() as u64, Relaxed);
        let written = crate::text::write_all_at(&self.fronts, front.as_bytes(), front_at);
        let mut front_of = self.front_of.lock().unwrap_or_else(PoisonError::into_inner);
        match written {
            Ok(()) => _ = front_of.0.insert(at, (front_at, front.len())),
            // Bytes of it may be there: the front matters are not copied.
            Err(_) => front_of.1 = true,
        }
        Some(self.store.text(at, text.len(), hash, path))
    }
}

/// What [`write`] is given: the load cache's parts and checks.
pub(super) struct Keep<'a> {
    pub(super) root: &'a Path,
    pub(super) site: u64,
    pub(super) parts: &'a super::Parts,
    pub(super) checks: &'a HashMap<PathBuf, CheckedPart>,
    pub(super) image: Option<Image>,
}

/// Writes the cache to `path`: to a file beside it first, renamed over it
/// once whole, so that a reader never sees half of one and a full disk
/// loses nothing but the new cache. Then removes the least recently
/// written caches of other folders beyond [`KEEP`].
/// With a `spool`, the file is the spool: the texts left in it stay where
/// they are, the others go after them.
/// How many front matters [`write`] reads back at a time.
const FRONTS_BATCH: usize = 4096;

pub(super) fn write(path: &Path, keep: &Keep<'_>, spool: Option<Spool>) -> std::io::Result<()> {
    use std::io::{Seek, SeekFrom};
    let dir = path.parent().unwrap_or(Path::new("."));
    make_folder(dir)?;
    let (mut tmp, spooled, end, fronts) = match spool {
        Some(spool) => {
            let end = spool.next.load(std::sync::atomic::Ordering::Relaxed);
            let fronts_len = spool.fronts_next.load(std::sync::atomic::Ordering::Relaxed);
            let (front_of, failed) = spool.front_of.into_inner().unwrap_or_else(PoisonError::into_inner);
            let fronts = (!failed).then_some((spool.fronts, fronts_len, front_of));
            (spool.tmp, Some(spool.store), end, fronts)
        }
        None => (tempfile::Builder::new().prefix(".parts-").suffix(".tmp").tempfile_in(dir)?, None, 0, None),
    };
    {
        let file = tmp.as_file_mut();
        file.seek(SeekFrom::Start(end))?;
        let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
        // The texts first, noting where each is; then the front matters:
        // the spool's, copied whole, then the others, taken from the texts
        // again rather than gathered (a text held in memory costs nothing
        // to take twice, and one left on disk by the last run is read
        // again); then the index, made and written one file at a time
        // rather than copied whole.
        let mut files = Vec::with_capacity(keep.parts.len());
        let mut start = end;
        for (path, cached) in keep.parts {
            let (Some((source, body)), Some(path)) = (source_of(&cached.part), path.to_str()) else { continue };
            if let Some((at, text_hash)) = spooled.as_ref().and_then(|s| source.text.kept_in(s))
                && source.file == (0..source.text.len())
            {
                files.push((path, cached, source, body, Written { start: at, text_hash, front_at: 0, spooled: true }));
                continue;
            }
            let Some(text) = source.text.get(source.file.clone()) else { continue };
            if text.get(source.in_file(source.front.clone())).is_none() {
                continue;
            }
            out.write_all(text.as_bytes())?;
            let at = Written { start, text_hash: crate::text::hash(&text), front_at: 0, spooled: false };
            start += text.len() as u64;
            files.push((path, cached, source, body, at));
        }
        let mut out = Hashed { out, hash: xxhash_rust::xxh3::Xxh3::new(), written: 0, failed: None };
        let front_of = match fronts {
            Some((fronts, len, front_of)) => {
                copy_at(&fronts, len, &mut out)?;
                front_of
            }
            None => HashMap::default(),
        };
        let mut unspooled = Vec::new();
        for (i, (_, _, source, _, at)) in files.iter_mut().enumerate() {
            match front_of.get(&at.start).filter(|_| at.spooled) {
                Some(&(front_at, len)) if len == source.front.len() => at.front_at = front_at,
                _ => unspooled.push(i),
            }
        }
        // A text not spooled is read back (and checked against its hash)
        // for its front matter when kept on disk: on every core, a batch
        // at a time, then written in order.
        for batch in unspooled.chunks(FRONTS_BATCH) {
            use rayon::prelude::*;
            let fronts: Vec<Option<std::borrow::Cow<'_, str>>> = batch
                .par_iter()
                .map(|&i| {
                    let source: &Source = files[i].2;
                    source.text.get_once(source.front.clone())
                })
                .collect();
            for (&i, front) in batch.iter().zip(fronts) {
                let front = front.unwrap_or_default();
                if front.len() != files[i].2.front.len() {
                    // The text could not be read again as it was a moment ago.
                    return Err(std::io::Error::other("a kept text changed while the cache was written"));
                }
                files[i].4.front_at = out.written;
                out.write_all(front.as_bytes())?;
            }
        }
        // In the order of their paths, in chunks encoded apart.
        files.sort_unstable_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
        // Each chunk encoded as it is written, so that one at a time is
        // held.
        let chunks = Seq(|| {
            files.chunks(CHUNK).map(|chunk| {
                Encoded(Seq(|| {
                    chunk.iter().map(|(path, cached, source, body, at)| stored_file(path, cached, source, body, at))
                }))
            })
        });
        let checks: Vec<(&str, &CheckedPart)> = keep
            .checks
            .iter()
            .filter(|(_, c)| c.diagnostics.iter().all(|d| d.path.to_str().is_some()))
            .filter_map(|(path, c)| Some((path.to_str()?, c)))
            .collect();
        let index = Index {
            format: FORMAT,
            tessera: env!("CARGO_PKG_VERSION").to_owned(),
            root: keep.root.to_string_lossy().into_owned(),
            site: keep.site,
            fronts_hash: 0,
            files: chunks,
            checks: RawChecks(
                postcard::to_allocvec(&Seq(|| checks.iter().map(|&(path, c)| stored_check(path, c))))
                    .map_err(std::io::Error::other)?,
            ),
            image: keep.image.as_ref(),
        };
        let fronts_len = out.written;
        let fronts_hash = std::mem::replace(&mut out.hash, xxhash_rust::xxh3::Xxh3::new()).digest();
        let index = Index { fronts_hash, ..index };
        // An error of the disk (a full one) is said as such, not as the
        // encoder's "buffer full".
        encode(&index, &mut out)?;
        let index_len = out.written - fronts_len;
        let checksum = out.hash.digest();
        let mut out = out.out;
        out.write_all(&index_len.to_le_bytes())?;
        out.write_all(&fronts_len.to_le_bytes())?;
        out.write_all(&checksum.to_le_bytes())?;
        out.write_all(MAGIC)?;
        out.flush()?;
    }
    tmp.persist(path).map_err(|e| e.error)?;
    prune(dir, path);
    Ok(())
}

/// Makes the cache folder `dir` where it is missing, saying which path is
/// in the way when something that is not a folder is (a file, a link to
/// nowhere), not just "file exists".
fn make_folder(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| {
        if e.kind() != std::io::ErrorKind::AlreadyExists {
            return e;
        }
        let in_way = dir.ancestors().find(|a| std::fs::symlink_metadata(a).is_ok() && !a.is_dir()).unwrap_or(dir);
        std::io::Error::new(e.kind(), format!("`{}` is in the way: it is not a folder", in_way.display()))
    })
}

/// Copies the first `len` bytes of `from` to `out`.
fn copy_at(from: &std::fs::File, len: u64, out: &mut impl Write) -> std::io::Result<()> {
    let mut buffer = vec![0u8; 1 << 20];
    let mut at = 0u64;
    while at < len {
        let n = usize::try_from(len - at).map_or(buffer.len(), |left| left.min(buffer.len()));
        let piece = &mut buffer[..n];
        crate::text::read_exact_at(from, piece, at)?;
        out.write_all(piece)?;
        at += n as u64;
    }
    Ok(())
}

/// A sequence serialized from an iterator made on demand, without
/// collecting it.
struct Seq<F>(F);

impl<F, I> Serialize for Seq<F>
where
    F: Fn() -> I,
    I: ExactSizeIterator,
    I::Item: Serialize,
{
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq((self.0)())
    }
}

/// A value serialized as the bytes of its own encoding (a [`Blob`]).
struct Encoded<T>(T);

impl<T: Serialize> Serialize for Encoded<T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let bytes = postcard::to_allocvec(&self.0).map_err(serde::ser::Error::custom)?;
        serializer.serialize_bytes(&bytes)
    }
}

/// A body's scan, serialized as a [`StoredScan`] straight from the body.
struct ScanOf<'a>(&'a Body);

impl Serialize for ScanOf<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let body = self.0;
        let mut scan = serializer.serialize_struct("StoredScan", 3)?;
        scan.serialize_field("links", &Seq(|| body.links.iter().map(LinkOf::of)))?;
        scan.serialize_field("raw_html", &Seq(|| body.raw_html.iter().map(|&o| o as u64)))?;
        scan.serialize_field("too_deep", &body.too_deep.map(|o| o as u64))?;
        scan.end()
    }
}

/// Where a file was written in the cache.
struct Written {
    start: u64,
    text_hash: u64,
    front_at: u64,
    /// Whether the text was left in the spool as it was read (its front
    /// matter then too, beside it).
    spooled: bool,
}

fn stored_file<'a>(
    path: &str,
    cached: &super::CachedPart,
    source: &Source,
    body: &'a Body,
    at: &Written,
) -> StoredFile<ScanOf<'a>> {
    let relative = |r: &Range<usize>| range(&source.in_file(r.clone()));
    let stamp = &cached.stamp;
    StoredFile {
        path: path.to_owned(),
        stamp: StoredStamp {
            len: stamp.len,
            modified: stamp.modified.and_then(to_pair),
            changed: stamp.changed,
            inode: stamp.inode,
        },
        read_at: to_pair(cached.read_at).unwrap_or_default(),
        hash: cached.hash,
        start: at.start,
        len: source.file.len() as u64,
        text_hash: at.text_hash,
        front: relative(&source.front),
        body: relative(&source.body),
        front_at: at.front_at,
        scan: (!body.is_empty()).then_some(ScanOf(body)),
    }
}

fn stored_check(path: &str, c: &CheckedPart) -> StoredCheck {
    StoredCheck {
        path: path.to_owned(),
        hash: c.hash,
        context: c.context,
        diagnostics: c.diagnostics.iter().filter_map(stored_diagnostic).collect(),
        referenced: c.referenced.iter().map(|id| (id.kind, id.slug.to_string())).collect(),
    }
}

/// Writes `value` encoded to `out`. An error of the disk (a full one) is
/// said as such, not as the encoder's "buffer full".
fn encode<T: Serialize, W: Write>(value: &T, out: &mut Hashed<W>) -> std::io::Result<()> {
    match postcard::to_io(value, &mut *out) {
        Ok(_) => Ok(()),
        Err(e) => Err(out.failed.take().unwrap_or_else(|| std::io::Error::other(e))),
    }
}

/// A writer that hashes and counts what goes through it, and keeps the
/// error that stopped it.
struct Hashed<W> {
    out: W,
    hash: xxhash_rust::xxh3::Xxh3,
    written: u64,
    failed: Option<std::io::Error>,
}

impl<W: Write> Write for Hashed<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = match self.out.write(buf) {
            Ok(n) => n,
            Err(e) => {
                let kind = e.kind();
                self.failed = Some(e);
                return Err(kind.into());
            }
        };
        self.hash.update(&buf[..n]);
        self.written += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

/// Whether the half-written cache file `path`, last written at
/// `modified`, was left by a run that was stopped: no run holds its lock
/// (and it is a minute old, past the moment between its making and its
/// locking), or, where locks cannot be taken, it is an hour old.
fn abandoned(path: &Path, modified: SystemTime) -> bool {
    let older = |secs| SystemTime::now().checked_sub(Duration::from_secs(secs)).is_some_and(|t| modified < t);
    match std::fs::File::open(path).map(|f| f.try_lock()) {
        Ok(Ok(())) => older(60),
        Ok(Err(std::fs::TryLockError::WouldBlock)) => false,
        _ => older(3600),
    }
}

/// Removes the caches of other folders beyond the [`KEEP`] most recently
/// written, and files left half-written by runs that were stopped (see
/// [`abandoned`]). Best effort: a file that cannot be removed stays.
fn prune(dir: &Path, kept: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut caches: Vec<(SystemTime, PathBuf)> = Vec::new();
    for e in entries.filter_map(Result::ok) {
        let name = e.file_name();
        let name = name.to_string_lossy();
        let Some(modified) = e.metadata().ok().and_then(|m| m.modified().ok()) else { continue };
        if name.starts_with("parts-") && name.ends_with(".bin") && e.path() != kept {
            caches.push((modified, e.path()));
        } else if name.starts_with(".parts-") && name.ends_with(".tmp") && abandoned(&e.path(), modified) {
            let _ = std::fs::remove_file(e.path());
        }
    }
    caches.sort_by_key(|c| std::cmp::Reverse(c.0));
    for (_, old) in caches.into_iter().skip(KEEP - 1) {
        let _ = std::fs::remove_file(old);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::{LoadCache, load, load_with};

    /// Writes the cache file `path` again with its index changed by `edit`,
    /// checksum and all, as another build of Tessera would have written it.
    /// Rewrites the cache file at `path` with `edit` made to its index and
    /// its files, in their chunks.
    fn rewrite(path: &Path, edit: impl FnOnce(&mut Index<()>, &mut Vec<Vec<StoredFile>>)) {
        let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{e}"));
        let body_len = bytes.len() - TRAILER;
        let word = |at: usize| u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap_or_default()) as usize;
        let (index_len, fronts_len) = (word(body_len), word(body_len + 8));
        let index: Index<Vec<Blob<'_>>> =
            postcard::from_bytes(&bytes[body_len - index_len..body_len]).unwrap_or_else(|e| panic!("{e}"));
        let mut chunks: Vec<Vec<StoredFile>> = index
            .files
            .iter()
            .map(|c| postcard::from_bytes::<Vec<StoredFile>>(&c.0).unwrap_or_else(|e| panic!("{e}")))
            .collect();
        let Index { format, tessera, root, site, fronts_hash, checks, image, .. } = index;
        let mut index = Index { format, tessera, root, site, fronts_hash, files: (), checks, image };
        edit(&mut index, &mut chunks);
        let encode = |c: &Vec<StoredFile>| postcard::to_allocvec(c).unwrap_or_else(|e| panic!("{e}"));
        let files: Vec<Blob<'_>> = chunks.iter().map(|c| Blob(std::borrow::Cow::Owned(encode(c)))).collect();
        let Index { format, tessera, root, site, fronts_hash, checks, image, .. } = index;
        let index = Index { format, tessera, root, site, fronts_hash, files, checks, image };
        let index = postcard::to_allocvec(&index).unwrap_or_else(|e| panic!("{e}"));
        let mut out = bytes[..body_len - index_len].to_vec();
        out.extend_from_slice(&index);
        let checksum = xxhash_rust::xxh3::xxh3_64(&index);
        out.extend_from_slice(&(index.len() as u64).to_le_bytes());
        out.extend_from_slice(&(fronts_len as u64).to_le_bytes());
        out.extend_from_slice(&checksum.to_le_bytes());
        out.extend_from_slice(MAGIC);
        std::fs::write(path, out).unwrap_or_else(|e| panic!("{e}"));
    }

    #[test]
    fn a_cache_from_another_version_or_format_or_with_parts_out_of_its_texts_is_refused() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let store = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        std::fs::create_dir(dir.path().join("pages")).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(dir.path().join("site.toml"), crate::load::tests::SITE).unwrap_or_else(|e| panic!("{e}"));
        let page = "+++\ntitle = \"A page\"\nstatus = \"published\"\n+++\nSee [this](@/pages/nowhere.md).\n";
        std::fs::write(dir.path().join("pages/p.md"), page).unwrap_or_else(|e| panic!("{e}"));
        let root = dir.path().canonicalize().unwrap_or_else(|e| panic!("{e}"));
        let fresh = format!("{:?}", load(dir.path()).err());
        let start = || LoadCache::kept_in(store.path()).with_settle_time(Duration::ZERO);
        let mut cache = start();
        assert_eq!(format!("{:?}", load_with(dir.path(), &mut cache).err()), fresh);
        assert!(matches!(cache.keep(), Ok(true)));
        let file = file_for(store.path(), &root);
        let mut good = start();
        assert_eq!(format!("{:?}", load_with(dir.path(), &mut good).err()), fresh);
        assert_eq!(good.store_status(), &StoreStatus::Read { files: 1 });
        let kept = std::fs::read(&file).unwrap_or_else(|e| panic!("{e}"));
        type Edit = Box<dyn FnOnce(&mut Index<()>, &mut Vec<Vec<StoredFile>>)>;
        let edits: [(&str, Edit); 7] = [
            ("another version", Box::new(|i, _| i.tessera = "0.0.0-other".to_owned())),
            ("another format", Box::new(|i, _| i.format += 1)),
            ("a text past the end", Box::new(|_, c| c[0][0].len += 1000)),
            ("a body past the end of its file", Box::new(|_, c| c[0][0].body.1 += 1000)),
            (
                "a file kept twice",
                Box::new(|_, c| {
                    let f = c[0][0].clone();
                    c[0].push(f)
                }),
            ),
            ("a file kept twice, in two chunks", Box::new(|_, c| c.push(vec![c[0][0].clone()]))),
            ("an empty chunk", Box::new(|_, c| c.push(Vec::new()))),
        ];
        #[cfg(unix)]
        {
            std::fs::remove_file(&file).unwrap_or_else(|e| panic!("{e}"));
            let made = std::process::Command::new("mkfifo").arg(&file).status();
            if made.is_ok_and(|s| s.success()) {
                let mut cache = start();
                assert_eq!(format!("{:?}", load_with(dir.path(), &mut cache).err()), fresh, "a FIFO");
                assert!(matches!(cache.store_status(), StoreStatus::Refused(_)), "{:?}", cache.store_status());
                std::fs::remove_file(&file).unwrap_or_else(|e| panic!("{e}"));
            }
        }
        for (what, edit) in edits {
            std::fs::write(&file, &kept).unwrap_or_else(|e| panic!("{e}"));
            rewrite(&file, edit);
            let mut cache = start();
            assert_eq!(format!("{:?}", load_with(dir.path(), &mut cache).err()), fresh, "{what}");
            assert!(matches!(cache.store_status(), StoreStatus::Refused(_)), "{what}: {:?}", cache.store_status());
            assert_eq!(cache.files_read(), 1, "{what}");
        }
    }

    /// A file is found by its place in the listing, else by halving across
    /// the chunks: a cache chunked otherwise than this build writes (here,
    /// a file a chunk) still gives every file, with nothing read again.
    #[test]
    fn every_kept_file_is_found_whatever_the_chunks() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let store = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        for folder in ["pages", "stories"] {
            std::fs::create_dir(dir.path().join(folder)).unwrap_or_else(|e| panic!("{e}"));
        }
        std::fs::write(dir.path().join("site.toml"), crate::load::tests::SITE).unwrap_or_else(|e| panic!("{e}"));
        for name in ["a", "b", "c", "d", "e"] {
            let page = format!("+++\ntitle = \"Page {name}\"\nstatus = \"published\"\n+++\nSee [s](@/stories/s.md).\n");
            std::fs::write(dir.path().join(format!("pages/{name}.md")), page).unwrap_or_else(|e| panic!("{e}"));
        }
        let story = "+++\ntitle = \"S\"\nstatus = \"published\"\n+++\nA story.\n";
        std::fs::write(dir.path().join("stories/s.md"), story).unwrap_or_else(|e| panic!("{e}"));
        let root = dir.path().canonicalize().unwrap_or_else(|e| panic!("{e}"));
        let fresh = load(dir.path()).unwrap_or_else(|e| panic!("{e:?}"));
        let start = || LoadCache::kept_in(store.path()).with_settle_time(Duration::ZERO);
        let mut cache = start();
        load_with(dir.path(), &mut cache).unwrap_or_else(|e| panic!("{e:?}"));
        assert!(matches!(cache.keep(), Ok(true)));
        let file = file_for(store.path(), &root);
        let kept = std::fs::read(&file).unwrap_or_else(|e| panic!("{e}"));
        // Taken whole, and (without the snapshot kept whole) file by file.
        for whole in [true, false] {
            std::fs::write(&file, &kept).unwrap_or_else(|e| panic!("{e}"));
            rewrite(&file, |i, chunks| {
                *chunks = chunks.drain(..).flatten().map(|f| vec![f]).collect();
                if !whole {
                    i.image = None;
                }
            });
            let mut cache = start();
            let snapshot = load_with(dir.path(), &mut cache).unwrap_or_else(|e| panic!("{e:?}"));
            assert_eq!(cache.store_status(), &StoreStatus::Read { files: 6 }, "whole: {whole}");
            assert_eq!(cache.files_read(), 0, "whole: {whole}");
            assert_eq!(snapshot.pages.all().len(), fresh.pages.all().len());
            for (a, b) in snapshot.pages.all().iter().zip(fresh.pages.all()) {
                assert_eq!(
                    (a.path.as_path(), &a.meta, a.body.markdown()),
                    (b.path.as_path(), &b.meta, b.body.markdown())
                );
            }
        }
    }

    /// A cache folder that is a file, or a link to nowhere, is named as
    /// what is in the way.
    #[cfg(unix)]
    #[test]
    fn a_cache_folder_in_the_way_is_named() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let store = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        std::fs::create_dir(dir.path().join("pages")).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(dir.path().join("site.toml"), crate::load::tests::SITE).unwrap_or_else(|e| panic!("{e}"));
        let file = store.path().join("file");
        std::fs::write(&file, "not a folder").unwrap_or_else(|e| panic!("{e}"));
        let dangling = store.path().join("dangling");
        std::os::unix::fs::symlink(store.path().join("nowhere"), &dangling).unwrap_or_else(|e| panic!("{e}"));
        for in_way in [file, dangling] {
            let mut cache = LoadCache::kept_in(&in_way);
            load_with(dir.path(), &mut cache).unwrap_or_else(|e| panic!("{e:?}"));
            let said = cache.keep().err().map(|e| e.to_string()).unwrap_or_default();
            assert!(said.contains(&format!("`{}` is in the way", in_way.display())), "{said}");
        }
    }

    /// A full disk is said as such when the index cannot be written.
    #[cfg(target_os = "linux")]
    #[test]
    fn a_full_disk_is_said_as_such() {
        let full = std::fs::OpenOptions::new().write(true).open("/dev/full").unwrap_or_else(|e| panic!("{e}"));
        let mut out = Hashed { out: full, hash: xxhash_rust::xxh3::Xxh3::new(), written: 0, failed: None };
        let err = encode(&vec![7u8; 4096], &mut out).err();
        assert_eq!(err.and_then(|e| e.raw_os_error()), Some(libc::ENOSPC));
    }

    /// A half-written cache file that no run holds (its run was stopped)
    /// is removed by the next run that writes the cache; one a run holds
    /// stays, however old, and so does one just made.
    #[cfg(unix)]
    #[test]
    fn abandoned_cache_files_are_removed_and_those_in_use_are_not() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let store = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        std::fs::create_dir(dir.path().join("pages")).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(dir.path().join("site.toml"), crate::load::tests::SITE).unwrap_or_else(|e| panic!("{e}"));
        let page = "+++\ntitle = \"A page\"\nstatus = \"published\"\n+++\nBody.\n";
        std::fs::write(dir.path().join("pages/p.md"), page).unwrap_or_else(|e| panic!("{e}"));
        let folder = store.path().to_owned();
        std::fs::create_dir_all(&folder).unwrap_or_else(|e| panic!("{e}"));
        let made = |name: &str, age: u64| {
            let path = folder.join(name);
            let file = std::fs::File::create(&path).unwrap_or_else(|e| panic!("{e}"));
            let then = SystemTime::now() - Duration::from_secs(age);
            file.set_modified(then).unwrap_or_else(|e| panic!("{e}"));
            (path, file)
        };
        let (stopped, _) = made(".parts-stopped.tmp", 120);
        let (held, held_file) = made(".parts-held.tmp", 7200);
        held_file.try_lock().unwrap_or_else(|e| panic!("{e}"));
        let (fresh, _) = made(".parts-fresh.tmp", 0);
        let mut cache = LoadCache::kept_in(&folder).with_settle_time(Duration::ZERO);
        load_with(dir.path(), &mut cache).unwrap_or_else(|e| panic!("{e:?}"));
        assert!(matches!(cache.keep(), Ok(true)));
        assert!(!stopped.exists(), "a stopped run's file is removed");
        assert!(held.exists(), "a file a run holds stays");
        assert!(fresh.exists(), "a file just made stays");
        drop(held_file);
    }

    /// The front matters spooled beside the texts are copied whole into
    /// the cache; when one of them could not be spooled, they are all
    /// taken from the texts again. Either way a restart that parses every
    /// front matter again (here: with no snapshot kept whole) finds each
    /// file's own.
    #[cfg(unix)]
    #[test]
    fn front_matters_are_kept_whether_spooled_or_read_back() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        for folder in ["pages", "media"] {
            std::fs::create_dir(dir.path().join(folder)).unwrap_or_else(|e| panic!("{e}"));
        }
        std::fs::write(dir.path().join("site.toml"), crate::load::tests::SITE).unwrap_or_else(|e| panic!("{e}"));
        for (name, title) in [("a", "Première page"), ("b", "B"), ("c", "Third, with a longer title than the rest")] {
            let page = format!("+++\ntitle = \"{title}\"\nstatus = \"published\"\n+++\nBody of {name}: ü.\n");
            std::fs::write(dir.path().join(format!("pages/{name}.md")), page).unwrap_or_else(|e| panic!("{e}"));
        }
        let media = "kind = \"video\"\ncaption = \"A vidéo\"\ncountry = \"ME\"\n";
        std::fs::write(dir.path().join("media/photo.toml"), media).unwrap_or_else(|e| panic!("{e}"));
        let root = dir.path().canonicalize().unwrap_or_else(|e| panic!("{e}"));
        let fresh = format!("{:?}", load(dir.path()).map(|s| (s.pages.all().to_vec(), s.media.all().to_vec())));
        for fail_one in [false, true] {
            let store = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
            let start = || LoadCache::kept_in(store.path()).with_settle_time(Duration::ZERO);
            let mut cache = start();
            load_with(dir.path(), &mut cache).unwrap_or_else(|e| panic!("{e:?}"));
            let Some(spool) = &cache.spool else { panic!("no spool") };
            let mut front_of = spool.front_of.lock().unwrap_or_else(PoisonError::into_inner);
            assert_eq!(front_of.0.len(), 4, "every file's front matter is spooled");
            front_of.1 = fail_one;
            drop(front_of);
            assert!(matches!(cache.keep(), Ok(true)));
            let file = file_for(store.path(), &root);
            rewrite(&file, |i, _| i.image = None);
            let mut cache = start();
            let restored = load_with(dir.path(), &mut cache).map(|s| (s.pages.all().to_vec(), s.media.all().to_vec()));
            assert_eq!(cache.store_status(), &StoreStatus::Read { files: 4 }, "fail one: {fail_one}");
            assert_eq!(cache.files_read(), 0, "fail one: {fail_one}");
            assert_eq!(format!("{restored:?}"), fresh, "fail one: {fail_one}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_restored_body_is_read_when_asked_for_and_from_its_file_when_the_cache_changed_under_it() {
        use std::os::unix::fs::FileExt as _;
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let store = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        std::fs::create_dir(dir.path().join("pages")).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(dir.path().join("site.toml"), crate::load::tests::SITE).unwrap_or_else(|e| panic!("{e}"));
        let bodies = ["First *body*, with [a link](https://example.org/).\n", "Second body, é and ü.\n"];
        for (i, body) in bodies.iter().enumerate() {
            let page = format!("+++\ntitle = \"Page {i}\"\nstatus = \"published\"\n+++\n{body}");
            std::fs::write(dir.path().join(format!("pages/p{i}.md")), page).unwrap_or_else(|e| panic!("{e}"));
        }
        let root = dir.path().canonicalize().unwrap_or_else(|e| panic!("{e}"));
        let start = || LoadCache::kept_in(store.path()).with_settle_time(Duration::ZERO);
        // Read from disk each time, not from the texts read recently.
        let markdown = |s: &crate::Snapshot| -> Vec<String> {
            crate::text::forget_recent();
            s.pages.all().iter().map(|d| d.body.markdown().into_owned()).collect()
        };
        // A first run leaves each text it reads in the cache file it is
        // writing, rather than holding it.
        let mut cache = start();
        let first = load_with(dir.path(), &mut cache).unwrap_or_else(|e| panic!("{e:?}"));
        assert!(first.pages.all().iter().all(|d| d.body.text_is_kept()), "the texts are left on disk");
        assert_eq!(markdown(&first), bodies);
        assert!(matches!(cache.keep(), Ok(true)));
        assert_eq!(markdown(&first), bodies, "still there once the cache is written");
        let mut warm = start();
        let restored = load_with(dir.path(), &mut warm).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(warm.store_status(), &StoreStatus::Read { files: 2 });
        assert_eq!(warm.files_read(), 0);
        assert_eq!(markdown(&restored), bodies);
        assert!(restored.pages.all().iter().all(|d| d.body.text_is_kept()), "the texts stay on disk");
        assert_eq!(restored.pages.all().iter().map(|d| d.body.blocks()).collect::<Vec<_>>(), {
            let fresh = load(dir.path()).unwrap_or_else(|e| panic!("{e:?}"));
            fresh.pages.all().iter().map(|d| d.body.blocks()).collect::<Vec<_>>()
        });
        // The texts damaged in place while the snapshot is in use: each is
        // read from its content file instead, which still holds it.
        let file = file_for(store.path(), &root);
        let cache_file = std::fs::OpenOptions::new().write(true).open(&file).unwrap_or_else(|e| panic!("{e}"));
        cache_file.write_all_at(b"XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX", 40).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(markdown(&restored), bodies);
        // Cut short: the same.
        cache_file.set_len(10).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(markdown(&restored), bodies);
        // And a content file changed meanwhile is not taken for the text
        // the snapshot was made from: that body reads as empty until the
        // next load, which reads the file again.
        std::fs::write(dir.path().join("pages/p1.md"), "+++\ntitle = \"Page 1\"\nstatus = \"published\"\n+++\nNew.\n")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(markdown(&restored), [bodies[0], ""]);
        let again = load_with(dir.path(), &mut warm).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(markdown(&again), [bodies[0], "New.\n"]);
        // The cache written again from that load, with one text left on
        // disk (read back from its content file, the cache file being cut
        // short) and one held: a next start restores both as they are.
        assert!(matches!(warm.keep(), Ok(true)));
        let mut next = start();
        let restored = load_with(dir.path(), &mut next).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(next.store_status(), &StoreStatus::Read { files: 2 });
        assert_eq!(next.files_read(), 0);
        assert_eq!(markdown(&restored), [bodies[0], "New.\n"]);
        // A FIFO in place of a content file, the cache cut short again: the
        // text is not there, and reading does not wait for a writer.
        std::fs::OpenOptions::new()
            .write(true)
            .open(&file)
            .and_then(|f| f.set_len(10))
            .unwrap_or_else(|e| panic!("{e}"));
        let p0 = dir.path().join("pages/p0.md");
        std::fs::remove_file(&p0).unwrap_or_else(|e| panic!("{e}"));
        if std::process::Command::new("mkfifo").arg(&p0).status().is_ok_and(|s| s.success()) {
            assert_eq!(markdown(&restored), ["", "New.\n"]);
        }
    }
}
