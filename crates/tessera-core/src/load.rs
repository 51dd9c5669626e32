//! Reading a content folder into a [`Snapshot`], collecting every problem.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::io::Read;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::de::DeserializeOwned;

use crate::body::{Body, LinkTarget};
use crate::diagnostic::{Diagnostic, find_key, line_col};
use crate::locale::Locale;
use crate::model::{Measure, Media, MediaKind, Page, Partner, Site, Story, Topics};
use crate::reference::{Kind, is_valid_slug};
use crate::snapshot::{Collection, Document, Item, ItemId, Snapshot};

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
    let root_error = |reason| LoadError::Root { path: root.to_owned(), reason };
    let canonical_root = root.canonicalize().map_err(root_error)?;
    if !canonical_root.is_dir() {
        return Err(root_error(std::io::Error::new(std::io::ErrorKind::NotADirectory, "not a folder")));
    }
    let mut loader = Loader { root: canonical_root, diagnostics: Vec::new(), site_url: None };
    let snapshot = loader.run();
    let mut diagnostics = loader.diagnostics;
    diagnostics.sort_by(|a, b| (&a.path, a.line, a.column).cmp(&(&b.path, b.line, b.column)));
    diagnostics.dedup();
    if diagnostics.iter().any(Diagnostic::is_error) {
        return Err(LoadError::Invalid { diagnostics });
    }
    let mut snapshot = snapshot.ok_or(LoadError::Invalid { diagnostics: Vec::new() })?;
    snapshot.warnings = diagnostics;
    Ok(snapshot)
}

/// A file's text with where its parts start, for turning offsets into lines.
struct Source {
    /// Relative path.
    path: PathBuf,
    /// The front matter (the whole file for `.toml` items).
    front: String,
    /// 0-based line where the front matter starts.
    front_line: u32,
    /// 0-based line where the body starts.
    body_line: u32,
}

impl Source {
    fn at_front(&self, offset: usize) -> (u32, u32) {
        let (line, col) = line_col(&self.front, offset);
        (line + self.front_line, col)
    }

    fn at_key(&self, key: &str) -> (u32, u32) {
        find_key(&self.front, key).map_or((self.front_line.max(1), 1), |o| self.at_front(o))
    }

    fn at_body(&self, body: &str, offset: usize) -> (u32, u32) {
        let (line, col) = line_col(body, offset);
        (line + self.body_line, col)
    }
}

/// One parsed file of kind `T`.
struct Parsed<T> {
    doc: Document<T>,
    source: Source,
    hash: u64,
}

struct Loader {
    root: PathBuf,
    diagnostics: Vec<Diagnostic>,
    /// The site's base URL, once `site.toml` is read: addresses under it
    /// that name items are item links.
    site_url: Option<String>,
}

/// A content file found on disk, not read yet.
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
        let site = site.map(|(site, src)| {
            self.check_site(&site, &src);
            site
        });
        self.site_url = site.as_ref().map(|s| s.base_url.clone());
        let topics = topics.map(|(t, src)| {
            self.check_topics(&t, &src);
            t.topics
        });
        let found = self.discover(site.as_ref());

        let pages = self.parse_all::<Page>(&found, Kind::Page);
        let measures = self.parse_all::<Measure>(&found, Kind::Measure);
        let partners = self.parse_all::<Partner>(&found, Kind::Partner);
        let stories = self.parse_all::<Story>(&found, Kind::Story);
        let media = self.parse_all::<Media>(&found, Kind::Media);

        let topics = topics.unwrap_or_default();
        let topic_slugs: HashSet<&str> = topics.iter().map(|t| t.slug.as_str()).collect();
        let mut existing: HashMap<&str, BTreeSet<Kind>> = HashMap::new();
        for f in &found {
            existing.entry(f.slug.as_str()).or_default().insert(f.kind);
        }
        for t in &topic_slugs {
            existing.entry(t).or_default().insert(Kind::Topic);
        }
        let default_locale = site.as_ref().map(|s| s.default_locale.clone());

        let mut referenced: HashSet<ItemId> = HashSet::new();
        self.check_items(&pages, &existing, &mut referenced, default_locale.as_ref());
        self.check_items(&measures, &existing, &mut referenced, default_locale.as_ref());
        self.check_items(&partners, &existing, &mut referenced, default_locale.as_ref());
        self.check_items(&stories, &existing, &mut referenced, default_locale.as_ref());
        self.check_items(&media, &existing, &mut referenced, default_locale.as_ref());
        self.check_pages(&pages);
        self.check_media(&media);
        self.warn_unreferenced(&measures, &referenced);
        self.warn_unreferenced(&partners, &referenced);
        self.warn_unreferenced(&stories, &referenced);
        self.warn_unreferenced(&media, &referenced);

        let site = site?;
        let mut hasher = xxhash_rust::xxh3::Xxh3::new();
        let mut snapshot = Snapshot {
            site,
            topics,
            pages: Collection::default(),
            measures: Collection::default(),
            partners: Collection::default(),
            stories: Collection::default(),
            media: Collection::default(),
            by_topic: HashMap::new(),
            by_country: HashMap::new(),
            referrers: HashMap::new(),
            media_users: HashMap::new(),
            warnings: Vec::new(),
            version: 0,
            settings_hash: 0,
            embargoes: Vec::new(),
            public_versions: Vec::new(),
            public_bodies: Vec::new(),
            link_sensitive: HashSet::new(),
        };
        index(&mut snapshot, pages, &mut hasher, |s| &mut s.pages);
        index(&mut snapshot, measures, &mut hasher, |s| &mut s.measures);
        index(&mut snapshot, partners, &mut hasher, |s| &mut s.partners);
        index(&mut snapshot, stories, &mut hasher, |s| &mut s.stories);
        index(&mut snapshot, media, &mut hasher, |s| &mut s.media);
        let settings = format!("{:?}{:?}", snapshot.site, snapshot.topics);
        hasher.update(settings.as_bytes());
        snapshot.version = hasher.digest();
        snapshot.settings_hash = xxhash_rust::xxh3::xxh3_64(settings.as_bytes());
        snapshot.embargoes.sort();
        snapshot.public_versions = (0..=snapshot.embargoes.len()).map(|_| std::sync::OnceLock::new()).collect();
        snapshot.public_bodies = (0..=snapshot.embargoes.len()).map(|_| std::sync::OnceLock::new()).collect();
        snapshot.link_sensitive = link_sensitive(&snapshot);
        for ids in snapshot
            .by_topic
            .values_mut()
            .chain(snapshot.by_country.values_mut())
            .chain(snapshot.referrers.values_mut())
        {
            ids.sort();
            ids.dedup();
        }
        for users in snapshot.media_users.values_mut() {
            users.sort();
            users.dedup();
        }
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
        let text = match read_checked(&self.root, rel) {
            Ok(text) => text,
            Err(d) => {
                self.push(d);
                return None;
            }
        };
        let source = Source { path: rel.to_owned(), front: text, front_line: 0, body_line: 0 };
        match parse_front::<T>(&source) {
            Ok(value) => Some((value, source)),
            Err(d) => {
                self.push(d);
                None
            }
        }
    }

    fn check_site(&mut self, site: &Site, src: &Source) {
        let path = &src.path;
        if !(site.base_url.starts_with("https://") || site.base_url.starts_with("http://")) {
            self.push(
                Diagnostic::error(
                    path,
                    src.at_key("base_url"),
                    format!("base_url `{}` is not an absolute http(s) URL", site.base_url),
                )
                .with_help("write the address the site is published at, e.g. `https://example.org/`"),
            );
        }
        let codes: Vec<&Locale> = site.locales.iter().map(|l| &l.code).collect();
        if !codes.contains(&&site.default_locale) {
            self.push(
                Diagnostic::error(
                    path,
                    src.at_key("default_locale"),
                    format!("the default locale `{}` is not among `locales`", site.default_locale),
                )
                .with_help("add a [[locales]] entry for it"),
            );
        }
        let mut seen = HashSet::new();
        for l in &site.locales {
            if !seen.insert(&l.code) {
                self.push(Diagnostic::error(path, src.at_key("code"), format!("locale `{}` is listed twice", l.code)));
            }
            for f in &l.fallback {
                if !codes.contains(&f) {
                    self.push(Diagnostic::error(
                        path,
                        src.at_key("fallback"),
                        format!("locale `{}` falls back to `{f}`, which is not enabled", l.code),
                    ));
                }
            }
        }
    }

    fn check_topics(&mut self, topics: &Topics, src: &Source) {
        let mut seen = HashSet::new();
        for t in &topics.topics {
            let at = find_key(&src.front, "slug")
                .and_then(|_| src.front.find(&format!("\"{}\"", t.slug)))
                .map_or((1, 1), |o| src.at_front(o));
            if !is_valid_slug(&t.slug) {
                self.push(
                    Diagnostic::error(&src.path, at, format!("`{}` is not a valid topic slug", t.slug))
                        .with_help("use lowercase letters, digits and single hyphens"),
                );
            }
            if !seen.insert(t.slug.as_str()) {
                self.push(Diagnostic::error(&src.path, at, format!("duplicate topic `{}`", t.slug)));
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
        for name in top {
            let name_str = name.to_string_lossy();
            if name_str.starts_with('.') || name_str == "site.toml" || name_str == "topics.toml" {
                continue;
            }
            match Kind::from_folder(&name_str).filter(|k| *k != Kind::Topic) {
                Some(kind) if self.root.join(&name).is_dir() => {
                    let inside = self.root.join(&name).canonicalize().is_ok_and(|p| p.starts_with(&self.root));
                    if inside {
                        self.discover_kind(kind, site, &mut found);
                    } else {
                        self.push(
                            Diagnostic::error(PathBuf::from(&name), (0, 0), "refused: this folder leads outside the content folder")
                                .with_help("it is a symbolic link to a folder elsewhere; move the files into the content folder instead"),
                        );
                    }
                }
                _ => self.push(
                    Diagnostic::warning(
                        PathBuf::from(&name),
                        (0, 0),
                        format!("`{name_str}` is not part of the content model and is ignored"),
                    )
                    .with_help(
                        "content lives in site.toml, topics.toml, pages/, measures/, partners/, stories/ and media/",
                    ),
                ),
            }
        }
        found.sort_by(|a, b| a.path.cmp(&b.path));
        found
    }

    fn discover_kind(&mut self, kind: Kind, site: Option<&Site>, found: &mut Vec<Found>) {
        let folder = PathBuf::from(kind.folder());
        let entries = match std::fs::read_dir(self.root.join(&folder)) {
            Ok(e) => e,
            Err(e) => {
                self.push(Diagnostic::error(&folder, (0, 0), format!("cannot list folder: {e}")));
                return;
            }
        };
        let ext = kind.extension();
        for entry in entries.filter_map(Result::ok) {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            let rel = folder.join(&*name);
            if name.starts_with('.') {
                continue;
            }
            if entry.path().is_dir() {
                self.push(Diagnostic::warning(&rel, (0, 0), "folders inside a kind's folder are not read"));
                continue;
            }
            let Some(stem) = name.strip_suffix(&format!(".{ext}")) else {
                self.push(Diagnostic::warning(&rel, (0, 0), format!("not a `.{ext}` file; ignored")));
                continue;
            };
            let (slug, locale) = match stem.split_once('.') {
                None => {
                    let Some(site) = site else { continue };
                    (stem, site.default_locale.clone())
                }
                Some((slug, tag)) => match Locale::parse(tag) {
                    Ok(l) => (slug, l),
                    Err(e) => {
                        self.push(Diagnostic::error(&rel, (0, 0), e.to_string()).with_help(format!(
                            "a translation is named `<slug>.<locale>.{ext}`, e.g. `{slug}.fr.{ext}`"
                        )));
                        continue;
                    }
                },
            };
            if !is_valid_slug(slug) {
                self.push(Diagnostic::error(&rel, (0, 0), format!("`{slug}` is not a valid slug")).with_help(
                    "name files with lowercase letters, digits and single hyphens, e.g. `its-about-ability.md`",
                ));
                continue;
            }
            if let Some(site) = site
                && !site.locales.iter().any(|l| l.code == locale)
            {
                self.push(
                    Diagnostic::error(&rel, (0, 0), format!("locale `{locale}` is not enabled in site.toml"))
                        .with_help("add it to `locales` in site.toml, or rename the file"),
                );
                continue;
            }
            found.push(Found { kind, slug: slug.to_owned(), locale, path: rel });
        }
    }

    /// Reads and parses every file of one kind, in parallel.
    fn parse_all<T: Item + DeserializeOwned>(&mut self, found: &[Found], kind: Kind) -> Vec<Parsed<T>> {
        let root = &self.root;
        let site = self.site_url.as_deref();
        let results: Vec<Result<Parsed<T>, Vec<Diagnostic>>> =
            found.par_iter().filter(|f| f.kind == kind).map(|f| parse_file::<T>(root, site, f)).collect();
        let mut parsed = Vec::with_capacity(results.len());
        let mut seen: HashMap<(String, Locale), PathBuf> = HashMap::new();
        for result in results {
            match result {
                Ok(p) => {
                    for &offset in &p.doc.body.raw_html {
                        let at = p.source.at_body(&p.doc.body.markdown, offset);
                        self.push(
                            Diagnostic::warning(&p.source.path, at, "raw HTML is shown as text, not as markup")
                                .with_help("use Markdown instead of HTML"),
                        );
                    }
                    if let Some(offset) = p.doc.body.too_deep {
                        let at = p.source.at_body(&p.doc.body.markdown, offset);
                        self.push(
                            Diagnostic::error(
                                &p.source.path,
                                at,
                                format!(
                                    "Markdown nested deeper than {} levels (quotes, lists, emphasis and links inside each other)",
                                    crate::body::MAX_NESTING
                                ),
                            )
                            .with_help("flatten the structure: no real page needs this much nesting"),
                        );
                    }
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
                Err(ds) => self.diagnostics.extend(ds),
            }
        }
        parsed
    }

    /// Checks references, body links and translations of one kind.
    fn check_items<T: Item>(
        &mut self,
        parsed: &[Parsed<T>],
        existing: &HashMap<&str, BTreeSet<Kind>>,
        referenced: &mut HashSet<ItemId>,
        default_locale: Option<&Locale>,
    ) {
        let originals: HashSet<&str> =
            parsed.iter().filter(|p| Some(&p.doc.locale) == default_locale).map(|p| p.doc.slug.as_str()).collect();
        for p in parsed {
            let src = &p.source;
            if default_locale.is_some_and(|d| d != &p.doc.locale) && !originals.contains(p.doc.slug.as_str()) {
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
                let at = r.span.clone().map_or((src.front_line.max(1), 1), |s| src.at_front(s.start));
                let kinds = existing.get(r.slug);
                if let Some(written) = r.written_kind.filter(|k| *k != r.kind) {
                    self.push(
                        Diagnostic::error(
                            &src.path,
                            at,
                            format!("`{}` must list {} items, but this names a {written}", r.field, r.kind),
                        )
                        .with_help(format!(
                            "`{}` takes references to `{}/`",
                            r.field,
                            r.kind.folder()
                        )),
                    );
                    continue;
                }
                if kinds.is_some_and(|k| k.contains(&r.kind)) {
                    referenced.insert(ItemId { kind: r.kind, slug: r.slug.to_owned() });
                    continue;
                }
                let message = match kinds.and_then(|k| k.iter().next()) {
                    Some(other) => format!(
                        "`{}` is a {other}, not a {}: `{}` takes {} references",
                        r.slug, r.kind, r.field, r.kind
                    ),
                    None => format!("no {} named `{}` (in `{}`)", r.kind, r.slug, r.field),
                };
                let candidates: Vec<&str> =
                    existing.iter().filter(|(_, k)| k.contains(&r.kind)).map(|(s, _)| *s).collect();
                let help = match closest(r.slug, &candidates) {
                    Some(c) => format!("did you mean `{c}`?"),
                    None if r.kind == Kind::Topic => "topics are defined in topics.toml".to_owned(),
                    None => format!("create `{}/{}.{}` or fix the slug", r.kind.folder(), r.slug, r.kind.extension()),
                };
                self.push(Diagnostic::error(&src.path, at, message).with_help(help));
            }
            let body_at = |offset: usize| src.at_body(&p.doc.body.markdown, offset);
            self.check_links(&src.path, &p.doc.body.links, &body_at, existing, referenced);
            if T::KIND != Kind::Page {
                self.check_quote_embeds(&src.path, &p.doc.body.links, &body_at, 0);
            }
            // Markdown written in front-matter fields (a measure's example)
            // is checked like a body.
            for (field, text) in p.doc.meta.markdown_fields() {
                let parsed = Body::parse_with(text, self.site_url.as_deref());
                let at = src.at_key(field);
                self.check_links(&src.path, &parsed.links, &|_| at, existing, referenced);
                if parsed.too_deep.is_some() {
                    self.push(Diagnostic::error(
                        &src.path,
                        at,
                        format!("`{field}`: Markdown nested deeper than {} levels", crate::body::MAX_NESTING),
                    ));
                }
            }
        }
    }

    /// Checks the links of a body: item links must name existing items,
    /// other links must be safe.
    fn check_links(
        &mut self,
        path: &Path,
        links: &[crate::body::BodyLink],
        at: &dyn Fn(usize) -> (u32, u32),
        existing: &HashMap<&str, BTreeSet<Kind>>,
        referenced: &mut HashSet<ItemId>,
    ) {
        for link in links {
            let at = at(link.offset);
            match &link.target {
                LinkTarget::Item { kind, slug, .. } => {
                    if existing.get(slug.as_str()).is_some_and(|k| k.contains(kind)) {
                        referenced.insert(ItemId { kind: *kind, slug: slug.clone() });
                    } else {
                        self.push(
                            Diagnostic::error(
                                path,
                                at,
                                format!("broken link: there is no `{}/{slug}.{}`", kind.folder(), kind.extension()),
                            )
                            .with_help("link to an existing item as `@/<kind>/<slug>.md`"),
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
                        Diagnostic::error(path, at, message)
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
        path: &Path,
        links: &[crate::body::BodyLink],
        at: &dyn Fn(usize) -> (u32, u32),
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
                Diagnostic::error(path, at(link.offset), message)
                    .with_help("place a page's quote as an image alone in its paragraph: `![](@quote/1)`"),
            );
        }
    }

    fn check_pages(&mut self, pages: &[Parsed<Page>]) {
        // Translations of a page may repeat its legacy URLs; other pages may not.
        let mut seen: HashMap<&str, (&str, &Path)> = HashMap::new();
        for p in pages {
            let body = &p.doc.body;
            let body_at = |offset: usize| p.source.at_body(&body.markdown, offset);
            self.check_quote_embeds(&p.source.path, &body.links, &body_at, p.doc.meta.quotes.len());
            for url in &p.doc.meta.legacy_urls {
                let at = p
                    .source
                    .front
                    .find(&format!("\"{url}\""))
                    .map_or_else(|| p.source.at_key("legacy_urls"), |o| p.source.at_front(o));
                // Only characters a URL may hold (RFC 3986, `%` escapes
                // included): old addresses end up in redirect files and
                // server configuration, where a quote or a brace would be
                // read as syntax.
                let ok = (url.starts_with('/') || url.starts_with("https://") || url.starts_with("http://"))
                    && url.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~:/?#[]@!$&'()*+,;=%".contains(&b))
                    && !url.contains('\'');
                if !ok {
                    self.push(
                        Diagnostic::error(
                            &p.source.path,
                            at,
                            format!("legacy URL `{url}` is not a path or an http(s) URL made only of URL characters"),
                        )
                        .with_help("write the old address as `/old/path.html` or `https://old.example.org/path`, with other characters %-escaped"),
                    );
                }
                match seen.get(url.as_str()) {
                    Some((slug, first)) if *slug != p.doc.slug => {
                        self.push(
                            Diagnostic::error(
                                &p.source.path,
                                at,
                                format!("legacy URL `{url}` already redirects to `{}`", first.display()),
                            )
                            .with_help("an old address can redirect to one page only"),
                        );
                    }
                    _ => {
                        seen.insert(url, (&p.doc.slug, &p.source.path));
                    }
                }
            }
        }
    }

    fn check_media(&mut self, media: &[Parsed<Media>]) {
        for p in media {
            let m = &p.doc.meta;
            if m.kind == MediaKind::Image && m.alt.as_deref().is_none_or(|a| a.trim().is_empty()) {
                self.push(
                    Diagnostic::error(&p.source.path, p.source.at_key("kind"), "image without alt text")
                        .with_help("add `alt = \"...\"` describing what the image shows, for people who cannot see it"),
                );
            }
        }
    }

    fn warn_unreferenced<T: Item>(&mut self, parsed: &[Parsed<T>], referenced: &HashSet<ItemId>) {
        for p in parsed {
            let id = ItemId { kind: T::KIND, slug: p.doc.slug.clone() };
            let is_original = p.doc.path.file_stem().is_some_and(|s| !s.to_string_lossy().contains('.'));
            if is_original && !referenced.contains(&id) {
                self.push(
                    Diagnostic::warning(&p.source.path, (0, 0), format!("no page or item links to this {}", T::KIND))
                        .with_help("reference it from a page, or remove it if it is no longer needed"),
                );
            }
        }
    }
}

/// The documents whose bodies link to an item the public may not see at
/// some instant: one whose original (default locale) is not published or
/// archived, or has an embargo. A link to an item whose original is public
/// for good always resolves for the public, through the fallback chain.
/// Media count as safe: a media item is visible whenever a visible item
/// shows it, and only visible items' bodies reach the public.
fn link_sensitive(snapshot: &Snapshot) -> HashSet<PathBuf> {
    fn public_for_good<T: Item>(snapshot: &Snapshot, slug: &str) -> bool {
        T::collection(snapshot).exact(slug, &snapshot.site.default_locale).is_some_and(|d| {
            let (status, publish_at) = d.meta.visibility();
            status.is_public() && publish_at.is_none()
        })
    }
    let safe = |kind: Kind, slug: &str| match kind {
        Kind::Page => public_for_good::<Page>(snapshot, slug),
        Kind::Measure => public_for_good::<Measure>(snapshot, slug),
        Kind::Partner => public_for_good::<Partner>(snapshot, slug),
        Kind::Story => public_for_good::<Story>(snapshot, slug),
        Kind::Media | Kind::Topic => true,
    };
    let sensitive = |body: &Body| {
        body.links.iter().any(|l| matches!(&l.target, LinkTarget::Item { kind, slug, .. } if !safe(*kind, slug)))
    };
    let mut out = HashSet::new();
    out.extend(snapshot.pages.all().iter().filter(|d| sensitive(&d.body)).map(|d| d.path.clone()));
    out.extend(snapshot.measures.all().iter().filter(|d| sensitive(&d.body)).map(|d| d.path.clone()));
    out.extend(snapshot.partners.all().iter().filter(|d| sensitive(&d.body)).map(|d| d.path.clone()));
    out.extend(snapshot.stories.all().iter().filter(|d| sensitive(&d.body)).map(|d| d.path.clone()));
    out
}

/// Adds parsed documents to the snapshot and its indexes.
fn index<T: Item>(
    snapshot: &mut Snapshot,
    parsed: Vec<Parsed<T>>,
    hasher: &mut xxhash_rust::xxh3::Xxh3,
    collection: impl Fn(&mut Snapshot) -> &mut Collection<T>,
) {
    for p in parsed {
        hasher.update(&p.hash.to_le_bytes());
        let id = ItemId { kind: T::KIND, slug: p.doc.slug.clone() };
        for r in p.doc.meta.references() {
            let target = ItemId { kind: r.kind, slug: r.slug.to_owned() };
            if r.kind == Kind::Topic {
                snapshot.by_topic.entry(r.slug.to_owned()).or_default().push(id.clone());
            } else {
                if r.kind == Kind::Media {
                    snapshot.media_users.entry(r.slug.to_owned()).or_default().push((id.clone(), p.doc.locale.clone()));
                }
                snapshot.referrers.entry(target).or_default().push(id.clone());
            }
        }
        for link in &p.doc.body.links {
            if let LinkTarget::Item { kind: Kind::Media, slug, .. } = &link.target {
                snapshot.media_users.entry(slug.clone()).or_default().push((id.clone(), p.doc.locale.clone()));
            }
        }
        if let Some(t) = p.doc.meta.visibility().1 {
            snapshot.embargoes.push(t.instant());
        }
        if let Some(country) = p.doc.meta.country() {
            snapshot.by_country.entry(country).or_default().push(id.clone());
        }
        collection(snapshot).insert(p.doc);
    }
}

/// Reads one file of the content folder, refusing what must not be read:
/// anything that resolves outside the folder (through a symbolic link to the
/// file or to any folder on its way), and anything that is not a regular
/// file (a FIFO would block forever, a device would never end).
fn read_checked(root: &Path, rel: &Path) -> Result<String, Diagnostic> {
    let full = root.join(rel);
    let io_error = |e: std::io::Error| Diagnostic::error(rel, (0, 0), format!("cannot read file: {e}"));
    let is_link = std::fs::symlink_metadata(&full).map_err(io_error)?.file_type().is_symlink();
    let target = full.canonicalize().map_err(|e| {
        let what = if is_link { "broken symbolic link" } else { "cannot read file" };
        Diagnostic::error(rel, (0, 0), format!("{what}: {e}"))
    })?;
    if !target.starts_with(root) {
        return Err(Diagnostic::error(rel, (0, 0), "refused: the path leads outside the content folder")
            .with_help("a symbolic link (to the file or to a folder on its way) points elsewhere; copy the file into the content folder instead"));
    }
    let not_regular = || {
        Diagnostic::error(rel, (0, 0), "refused: not a regular file (a FIFO, socket or device)")
            .with_help("content files are ordinary files; remove this one")
    };
    if !std::fs::metadata(&target).map_err(io_error)?.is_file() {
        return Err(not_regular());
    }
    // Opened without blocking and checked again on the open handle: a FIFO
    // swapped in after the check above must not hang the loader.
    let file = open_nonblocking(&target).map_err(io_error)?;
    let meta = file.metadata().map_err(io_error)?;
    if !meta.is_file() {
        return Err(not_regular());
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
        Diagnostic::error(rel, line_col(&prefix, valid), format!("invalid UTF-8 at byte {valid}"))
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
    Ok(text)
}

#[cfg(unix)]
fn open_nonblocking(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new().read(true).custom_flags(libc::O_NONBLOCK).open(path)
}

#[cfg(not(unix))]
fn open_nonblocking(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::File::open(path)
}

/// Splits the text of a Markdown content file into its TOML front matter
/// and its body, or `None` when it does not start with a `+++` line or the
/// front matter is not closed.
pub fn split_front_matter(text: &str) -> Option<(&str, &str)> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text.split_inclusive('\n');
    let first = lines.next()?;
    if first.trim_end() != "+++" {
        return None;
    }
    let front_start = first.len();
    let mut pos = front_start;
    for line in lines {
        if line.trim_end() == "+++" {
            return Some((&text[front_start..pos], &text[pos + line.len()..]));
        }
        pos += line.len();
    }
    None
}

/// Splits a Markdown file into its front matter and body, with diagnostics.
fn split_markdown(rel: &Path, text: &str) -> Result<(Source, String), Diagnostic> {
    let help =
        "a content file starts with a `+++` line, its TOML front matter, another `+++` line, then the Markdown body";
    match split_front_matter(text) {
        Some((front, body)) => {
            let body_line = 2 + front.matches('\n').count() as u32;
            let source = Source { path: rel.to_owned(), front: front.to_owned(), front_line: 1, body_line };
            Ok((source, body.to_owned()))
        }
        None if !text.starts_with("+++") => {
            Err(Diagnostic::error(rel, (1, 1), "missing front matter: the file must start with a `+++` line")
                .with_help(help))
        }
        None => Err(Diagnostic::error(rel, (1, 1), "unterminated front matter: no closing `+++` line").with_help(help)),
    }
}

/// Deserializes front matter, turning a TOML error into a diagnostic.
fn parse_front<T: DeserializeOwned>(src: &Source) -> Result<T, Diagnostic> {
    toml::from_str::<T>(&src.front).map_err(|e| {
        let message = e.message().trim_end().to_owned();
        let at = if message.starts_with("missing field") {
            (src.front_line.max(1), 1)
        } else {
            e.span().map_or((src.front_line.max(1), 1), |s| src.at_front(s.start))
        };
        let help = if let Some(rest) = message.strip_prefix("unknown field `") {
            // "unknown field `titel`, expected one of `title`, `summary`"
            let (field, expected) = rest.split_once('`').unwrap_or((rest, ""));
            let fields: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
            Some(match closest(field, &fields) {
                Some(c) => {
                    format!("did you mean `{c}`? `schema/content.schema.json` lists every field")
                }
                None => "check the spelling: `schema/content.schema.json` lists every field".to_owned(),
            })
        } else if message.starts_with("missing field") {
            Some("add the field; `tessera new` writes a skeleton with every required field".to_owned())
        } else {
            None
        };
        let d = Diagnostic::error(&src.path, at, message);
        match help {
            Some(h) => d.with_help(h),
            None => d,
        }
    })
}

fn parse_file<T: Item + DeserializeOwned>(
    root: &Path,
    site: Option<&str>,
    found: &Found,
) -> Result<Parsed<T>, Vec<Diagnostic>> {
    let text = read_checked(root, &found.path).map_err(|d| vec![d])?;
    // xxh3 is stable across platforms and releases, and fast enough not to
    // show next to parsing.
    let hash = xxhash_rust::xxh3::xxh3_64(text.as_bytes())
        ^ xxhash_rust::xxh3::xxh3_64(found.path.to_string_lossy().as_bytes()).rotate_left(1);
    let (source, body) = if found.kind.extension() == "md" {
        split_markdown(&found.path, &text).map_err(|d| vec![d])?
    } else {
        (Source { path: found.path.clone(), front: text, front_line: 0, body_line: 0 }, String::new())
    };
    let meta = parse_front::<T>(&source).map_err(|d| vec![d])?;
    let body = if body.trim().is_empty() { Body::empty() } else { Body::parse_with(&body, site) };
    let doc =
        Document { slug: found.slug.clone(), locale: found.locale.clone(), path: found.path.clone(), meta, body, hash };
    Ok(Parsed { doc, source, hash })
}

/// The candidate closest to `wanted` by edit distance, if it is close enough
/// to be a likely typo.
fn closest<'a>(wanted: &str, candidates: &[&'a str]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|c| (strsim::levenshtein(wanted, c), *c))
        .filter(|(d, c)| *d <= 3.max(wanted.len().min(c.len()) / 4))
        .min()
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    const SITE: &str = "title = \"T\"\nbase_url = \"https://t.invalid/\"\ndefault_locale = \"en\"\n\n[[locales]]\ncode = \"en\"\nname = \"English\"\n";

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
            assert_eq!((diagnostics[0].line, diagnostics[0].column), (9, 1), "{diagnostics:?}");
        }
    }

    #[test]
    fn front_matter_lines_are_counted_from_the_top_of_the_file() {
        let text = "+++\ntitle = \"P\"\nstatus = \"published\"\n+++\n\n[a](@/stories/nope.md)\n";
        let Err(LoadError::Invalid { diagnostics }) = load_page(text.as_bytes()) else { panic!("should fail") };
        assert_eq!((diagnostics[0].line, diagnostics[0].column), (6, 1), "{diagnostics:?}");
    }
}
