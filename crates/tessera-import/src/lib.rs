//! `tessera import`: pages of the legacy site become typed items in review.
//!
//! This crate owns reading legacy pages (HTML as the old CMS served it,
//! parsed with html5ever through scraper, and plain-text dumps), the old
//! site's conventions (transition banner, photo lines and credits, captions,
//! inline quotations, datelines, "From the field" blocks, link labels),
//! turning them into core model items (`Page`, `Story`, `Media`), writing
//! them atomically into a content folder as `status = "review"`, the import
//! state that makes a re-import idempotent and safe for edited items, and
//! the report of what needs an editor. It knows nothing of the command
//! line, HTTP or rendering, and never publishes anything.

mod html;
mod legacy;
mod markdown;
mod plan;
mod report;
mod shape;
mod state;
mod text;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use tessera_core::{Kind, legacy_path, split_front_matter};

pub use legacy::{Dropped, Note, NoteKind};
pub use report::{Action, ItemOutcome, Report, SourceReport, Totals};
pub use state::STATE_FILE;

/// Sources larger than this are refused: no legacy page is this big.
pub const MAX_SOURCE_SIZE: u64 = 8 * 1024 * 1024;

/// What went wrong for the import as a whole (a source that cannot be
/// read is reported in its [`SourceReport`] instead).
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// A file or folder could not be read or written.
    #[error("cannot read or write `{path}`: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// The content folder has no `site.toml`, or it does not parse.
    #[error("`{path}` is not a content folder: {message}")]
    NotContent {
        /// The folder.
        path: PathBuf,
        /// Why.
        message: String,
    },
    /// The import state is unreadable.
    #[error("the import state `{path}` is broken: {message} (restore it from version control)")]
    State {
        /// The state file.
        path: PathBuf,
        /// The parser's message.
        message: String,
    },
    /// `--base-url` is not an http(s) URL.
    #[error("base URL `{0}` is not an http(s) URL such as `https://www.unicef.org/`")]
    BaseUrl(String),
    /// A source path does not exist.
    #[error("source `{0}` does not exist")]
    NoSource(PathBuf),
}

/// How to import.
#[derive(Debug, Clone)]
pub struct Options {
    /// The content folder to write into.
    pub content: PathBuf,
    /// The old site's address (`https://www.unicef.org/`): a file's path
    /// under its source folder, joined to it, is its old address. Without
    /// it, old addresses are paths (`/disabilities/index_65711.html`).
    pub base_url: Option<String>,
    /// Decide everything, write nothing.
    pub dry_run: bool,
}

/// A legacy page found under a source.
#[derive(Debug, Clone)]
struct SourceFile {
    path: PathBuf,
    /// Path under the source folder, with `/`.
    relative: String,
    form: Form,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Form {
    Html,
    Text,
}

impl Form {
    fn name(self) -> &'static str {
        match self {
            Form::Html => "html",
            Form::Text => "text",
        }
    }

    fn of(path: &Path) -> Option<Form> {
        let name = path.file_name()?.to_string_lossy().to_lowercase();
        let ext = name.split('?').next().unwrap_or(&name).rsplit_once('.').map(|(_, e)| e.to_owned());
        match ext.as_deref() {
            Some("txt") => Some(Form::Text),
            Some("html" | "htm" | "shtml" | "xhtml" | "php" | "asp" | "aspx" | "jsp" | "cfm") | None => {
                Some(Form::Html)
            }
            _ if name.contains('?') => Some(Form::Html),
            _ => None,
        }
    }
}

/// Imports `sources` (files or folders of saved pages) into the content
/// folder and reports what happened to each.
pub fn import(sources: &[PathBuf], options: &Options) -> Result<Report, ImportError> {
    let site_base = site_base_url(&options.content)?;
    let base = match options.base_url.as_deref().map(str::trim) {
        Some(b) if b.starts_with("https://") || b.starts_with("http://") => b.trim_end_matches('/').to_owned(),
        Some(b) => return Err(ImportError::BaseUrl(b.to_owned())),
        None => String::new(),
    };
    let origin = match base.split_once("://") {
        Some((scheme, rest)) => format!("{scheme}://{}", rest.split('/').next().unwrap_or(rest)),
        None => String::new(),
    };
    let mut report = Report { dry_run: options.dry_run, ..Report::default() };
    let files = discover(sources, &mut report.skipped)?;

    // Reading and shaping are pure and independent: in parallel.
    let read: Vec<(SourceFile, String, Result<shape::Extract, String>)> = files
        .into_par_iter()
        .map(|f| {
            let address = address(&base, &f.relative, f.form);
            let extract = read_source(&f, &address);
            (f, address, extract)
        })
        .collect();

    let mut state = state::State::read(&options.content)?;
    let before = state.clone();
    let modelled = modelled_pages(&options.content)?;
    let content = options.content.clone();
    let exists = move |rel: &str| content.join(rel).exists();
    let owners: HashMap<String, String> = state.entries.values().map(|e| (e.path.clone(), e.source.clone())).collect();
    let owner = |rel: &str| owners.get(rel).map(String::as_str);
    let mut slugs = plan::Slugs::new(&exists, &owner);

    // Names first, so that links between imported pages resolve.
    struct Prepared {
        file: SourceFile,
        address: String,
        extract: Option<shape::Extract>,
        named: plan::Named,
        report: SourceReport,
    }
    let mut prepared = Vec::with_capacity(read.len());
    let mut pages: HashMap<String, String> = HashMap::new();
    for (path, slug) in &modelled {
        pages.insert(path.clone(), slug.clone());
    }
    let mut claimed_addresses: HashMap<String, String> = HashMap::new();
    for (file, address, extract) in read {
        let mut source_report = SourceReport {
            source: file.path.display().to_string(),
            address: address.clone(),
            form: file.form.name().to_owned(),
            ..SourceReport::default()
        };
        let extract = match extract {
            Ok(x) if x.page.title.is_empty() => {
                source_report.notes.push(Note::new(
                    NoteKind::Reading,
                    "the source holds no text: nothing to import",
                    None,
                ));
                source_report.dropped = x.dropped;
                None
            }
            Ok(x) => Some(x),
            Err(e) => {
                source_report.error = Some(e);
                None
            }
        };
        let key = legacy_path(&address).unwrap_or_else(|| address.clone());
        let mut named = plan::Named::default();
        let mut keep = extract;
        if let Some(x) = &keep {
            if let Some(other) = claimed_addresses.get(&key) {
                source_report.error = Some(format!("`{other}` has the same old address; import one of them"));
                keep = None;
            } else if let Some(slug) =
                modelled.get(&key).filter(|slug| owner(&plan::path_of(Kind::Page, slug)) != Some(address.as_str()))
            {
                source_report.items.push(ItemOutcome {
                    path: plan::path_of(Kind::Page, slug),
                    kind: "page".into(),
                    title: x.page.title.clone(),
                    action: Action::Conflict,
                    reason: Some(
                        "this old address is already modelled there by hand; nothing of this source was written".into(),
                    ),
                });
                keep = None;
            } else {
                let stem = file.relative.rsplit('/').next().unwrap_or(&file.relative);
                named = plan::name(x, &address, &mut slugs, stem);
                pages.insert(key.clone(), named.page.clone());
            }
            claimed_addresses.insert(key, source_report.source.clone());
        }
        prepared.push(Prepared { file, address, extract: keep, named, report: source_report });
    }

    let links = plan::Links { pages: &pages, origin: &origin, site_base: &site_base };
    for p in &mut prepared {
        let Some(x) = p.extract.as_mut() else {
            report.sources.push(std::mem::take(&mut p.report));
            continue;
        };
        let mut notes = std::mem::take(&mut x.notes);
        let section = section_of(&p.file.relative);
        let planned = match plan::render(x, &p.named, &p.address, section.as_deref(), &links, &mut notes) {
            Ok(files) => files,
            Err(e) => {
                p.report.error = Some(format!("cannot write the items of this source: {e}"));
                report.sources.push(std::mem::take(&mut p.report));
                continue;
            }
        };
        p.report.notes.extend(notes);
        p.report.dropped.append(&mut x.dropped);
        let produced: Vec<String> = planned.iter().map(|f| f.path.clone()).collect();
        for file in planned {
            let outcome = apply(&options.content, &file, &p.address, &mut state, options.dry_run)?;
            p.report.items.push(outcome);
        }
        for entry in state.entries.values().filter(|e| e.source == p.address && !produced.contains(&e.path)) {
            p.report.notes.push(Note::new(
                NoteKind::Stale,
                format!("`{}` came from this source before and no longer does; it was left as it is", entry.path),
                None,
            ));
        }
        report.sources.push(std::mem::take(&mut p.report));
    }
    if !options.dry_run && state != before {
        state::write_atomically(&options.content.join(STATE_FILE), state.to_text()?.as_bytes())?;
    }
    Ok(report)
}

/// Decides what to do with one planned file, and does it.
fn apply(
    content: &Path,
    file: &plan::Planned,
    address: &str,
    state: &mut state::State,
    dry_run: bool,
) -> Result<ItemOutcome, ImportError> {
    let target = content.join(&file.path);
    let mut outcome = ItemOutcome {
        path: file.path.clone(),
        kind: file.kind.name().to_owned(),
        title: file.title.clone(),
        action: Action::Created,
        reason: None,
    };
    let current = match std::fs::read(&target) {
        Ok(bytes) => Some(bytes),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(source) => return Err(ImportError::Io { path: target, source }),
    };
    let entry = state.entries.get(&file.path).filter(|e| e.source == address).cloned();
    let new_hash = state::hash(&file.bytes);
    outcome.action = match (&current, &entry) {
        (Some(cur), _) if *cur == file.bytes => Action::Unchanged,
        (None, Some(_)) => {
            outcome.reason = Some("deleted since the last import; not written again".into());
            Action::Conflict
        }
        (None, None) => Action::Created,
        (Some(cur), Some(e)) if state::hash(cur) == e.hash => Action::Updated,
        (Some(_), Some(_)) => {
            outcome.reason = Some("edited since the last import (or published); left as it is".into());
            Action::Conflict
        }
        (Some(_), None) => {
            outcome.reason = Some("a file not written by an import is there; left as it is".into());
            Action::Conflict
        }
    };
    if matches!(outcome.action, Action::Created | Action::Updated) && !dry_run {
        state::write_atomically(&target, &file.bytes)?;
    }
    if outcome.action != Action::Conflict {
        state.entries.insert(
            file.path.clone(),
            state::Entry { path: file.path.clone(), source: address.to_owned(), hash: new_hash },
        );
    }
    Ok(outcome)
}

/// The new site's base URL, which also proves `content` is a content folder.
fn site_base_url(content: &Path) -> Result<String, ImportError> {
    let path = content.join("site.toml");
    let text = std::fs::read_to_string(&path).map_err(|e| ImportError::NotContent {
        path: content.to_path_buf(),
        message: format!("cannot read its site.toml ({e})"),
    })?;
    let site: tessera_core::Site = toml::from_str(&text).map_err(|e| ImportError::NotContent {
        path: content.to_path_buf(),
        message: format!("its site.toml does not parse: {e}"),
    })?;
    Ok(site.base_url)
}

/// Pages already in the content folder by the `legacy_path` of each of
/// their old addresses.
fn modelled_pages(content: &Path) -> Result<HashMap<String, String>, ImportError> {
    #[derive(serde::Deserialize)]
    struct Urls {
        #[serde(default)]
        legacy_urls: Vec<String>,
    }
    let dir = content.join("pages");
    let mut found = HashMap::new();
    let entries = match std::fs::read_dir(&dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(found),
        Err(source) => return Err(ImportError::Io { path: dir, source }),
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
    paths.sort();
    for path in paths {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        // Originals only: a translation repeats its original's addresses.
        let Some(slug) = name.strip_suffix(".md").filter(|s| !s.contains('.') && !s.starts_with('.')) else { continue };
        let Ok(text) = std::fs::read_to_string(&path) else { continue };
        let Some((front, _)) = split_front_matter(&text) else { continue };
        let Ok(urls) = toml::from_str::<Urls>(front) else { continue };
        for url in urls.legacy_urls {
            if let Some(p) = legacy_path(&url) {
                found.entry(p).or_insert_with(|| slug.to_owned());
            }
        }
    }
    Ok(found)
}

/// Every page under the sources, sorted; other files go to `skipped`.
/// Folders are walked with an explicit stack; symbolic links are skipped,
/// so a link cycle cannot trap the walk.
fn discover(sources: &[PathBuf], skipped: &mut Vec<String>) -> Result<Vec<SourceFile>, ImportError> {
    let mut found = Vec::new();
    for source in sources {
        let meta = std::fs::metadata(source).map_err(|_| ImportError::NoSource(source.clone()))?;
        if meta.is_file() {
            let name = source.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            match Form::of(source) {
                Some(form) => found.push(SourceFile { path: source.clone(), relative: name, form }),
                None => skipped.push(source.display().to_string()),
            }
            continue;
        }
        let mut stack = vec![source.clone()];
        let mut files = Vec::new();
        while let Some(dir) = stack.pop() {
            let entries = std::fs::read_dir(&dir).map_err(|e| ImportError::Io { path: dir.clone(), source: e })?;
            for entry in entries.filter_map(Result::ok) {
                let path = entry.path();
                let Ok(kind) = entry.file_type() else { continue };
                if kind.is_dir() {
                    stack.push(path);
                } else if kind.is_file() {
                    files.push(path);
                } else {
                    skipped.push(path.display().to_string());
                }
            }
        }
        files.sort();
        for path in files {
            let relative = path
                .strip_prefix(source)
                .map(|r| {
                    r.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect::<Vec<_>>().join("/")
                })
                .unwrap_or_else(|_| path.display().to_string());
            match Form::of(&path) {
                Some(form) => found.push(SourceFile { path, relative, form }),
                None => skipped.push(path.display().to_string()),
            }
        }
    }
    skipped.sort();
    Ok(found)
}

/// The old address of a file: its path under the source joined to the
/// base URL, %-escaped. A text dump stands for the HTML page it was made
/// from, so `index_65711.txt` is `index_65711.html`.
fn address(base: &str, relative: &str, form: Form) -> String {
    let relative = match (form, relative.strip_suffix(".txt")) {
        (Form::Text, Some(stem)) => format!("{stem}.html"),
        _ => relative.to_owned(),
    };
    let mut out = format!("{base}/");
    for b in relative.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/!$&()*+,;=:@?".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The first folder of a page's old address names its section.
fn section_of(relative: &str) -> Option<String> {
    let (first, _) = relative.split_once('/')?;
    let first = first.trim();
    (!first.is_empty() && first.chars().all(|c| c.is_alphanumeric() || c == '-' || c == '_')).then(|| first.to_owned())
}

fn read_source(file: &SourceFile, address: &str) -> Result<shape::Extract, String> {
    let size = std::fs::metadata(&file.path).map_err(|e| format!("cannot read it: {e}"))?.len();
    if size > MAX_SOURCE_SIZE {
        return Err(format!("it is {size} bytes; sources over {MAX_SOURCE_SIZE} bytes are refused"));
    }
    let bytes = std::fs::read(&file.path).map_err(|e| format!("cannot read it: {e}"))?;
    let (text, legacy_encoding) = decode(&bytes);
    let mut doc = match file.form {
        Form::Html => html::read(&text, address),
        Form::Text => text::read(&text),
    };
    if legacy_encoding {
        doc.notes.push(Note::new(NoteKind::Reading, "not UTF-8: read as Windows-1252", None));
    }
    Ok(shape::shape(doc))
}

/// UTF-8 when it is, else Windows-1252, the encoding of most pages of the time.
fn decode(bytes: &[u8]) -> (String, bool) {
    if let Ok(text) = std::str::from_utf8(bytes) {
        return (text.trim_start_matches('\u{feff}').to_owned(), false);
    }
    const HIGH: [char; 32] = [
        '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8d}', 'Ž', '\u{8f}', '\u{90}', '‘',
        '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9d}', 'ž', 'Ÿ',
    ];
    let text = bytes
        .iter()
        .map(|&b| match b {
            0x80..=0x9f => HIGH[usize::from(b - 0x80)],
            b => char::from(b),
        })
        .collect();
    (text, true)
}
