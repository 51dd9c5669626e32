//! The exporter: the content as an accessible static site, JSON, Markdown,
//! plain text, Atom feeds, a sitemap and redirects for legacy URLs.
//!
//! This crate owns the output formats and how an export is written: every
//! file is rendered in memory (in parallel), internal links are checked,
//! then the whole folder is written beside the target and renamed into
//! place, so a failed or killed export never leaves half a site. It reads
//! content only through `Snapshot::view`, so drafts and embargoed items are
//! exported only in preview. A server renders the same pages one at a
//! time, as they are asked for, through [`LiveSite`], which also renders the
//! pages only a server has (search results, "not found", the preview
//! sign-in); it knows nothing of HTTP or terminals itself.

mod context;
mod documents;
mod feed;
mod json;
mod links;
mod live;
mod pages;
mod redirects;
mod sitemap;
mod write;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use tessera_core::{Audience, Locale, Snapshot};

pub use live::{Answer, LiveSite, PreviewForm, RESULTS_PER_PAGE, SearchOutcome, SearchPage};
pub use write::{KILL_BEFORE_SWAP, MARKER, check_target, write_atomically, write_atomically_with};

/// Which outputs to produce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Formats {
    /// The static site, with feeds, sitemap and redirects.
    pub html: bool,
    /// One JSON file per item and a bundle.
    pub json: bool,
    /// One Markdown file per item.
    pub markdown: bool,
    /// One plain-text file per item.
    pub text: bool,
}

impl Formats {
    /// Every format.
    pub const ALL: Formats = Formats { html: true, json: true, markdown: true, text: true };
}

/// What to export and how.
#[derive(Debug, Clone)]
pub struct ExportOptions {
    /// The formats.
    pub formats: Formats,
    /// The site's address, for absolute links (sitemap, feeds, alternates);
    /// the one in site.toml when `None`.
    pub base_url: Option<String>,
    /// Only these locales (all enabled ones when empty).
    pub locales: Vec<Locale>,
    /// Include drafts, items in review and embargoed items.
    pub preview: bool,
    /// Embargoes are compared with this instant; also the date of a feed
    /// when no content gives one.
    pub now: DateTime<Utc>,
    /// Write every link and asset reference of the HTML relative to its
    /// page (`../../style.css`, `../x/index.html`), so that the site works
    /// from `file://`, a subfolder or an offline copy; `tessera export`
    /// does unless told `--absolute-links`. Canonical and hreflang links,
    /// feeds, the sitemap and the redirect files stay absolute: they name
    /// the published site. `false` writes site-absolute links (`/pages/x/`),
    /// as a server of the site at the root of its domain does.
    pub relative_links: bool,
}

/// Why an export failed; the previous output is left as it was.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// An internal link or asset in the output points nowhere.
    #[error("broken link in {output} (from {source_file}): {href}")]
    BrokenLink {
        /// The output file.
        output: String,
        /// The content file it came from.
        source_file: String,
        /// The link.
        href: String,
    },
    /// Writing failed (a full disk, no permission...).
    #[error("cannot write {}: {source}", path.display())]
    Io {
        /// Where.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// The output folder is one an export must not replace.
    #[error("refusing to export into {}: {reason}", path.display())]
    UnsafeTarget {
        /// The folder given.
        path: PathBuf,
        /// Why it is refused.
        reason: String,
    },
    /// A locale asked for is not enabled on the site.
    #[error("locale `{0}` is not enabled in site.toml")]
    UnknownLocale(String),
}

/// What an export wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// Files written.
    pub files: usize,
    /// Bytes written.
    pub bytes: u64,
    /// HTML pages among them.
    pub pages: usize,
}

/// The output, path (relative, `/`-separated) to content, in order.
pub type Output = BTreeMap<String, Vec<u8>>;

/// Renders every output file in memory.
pub fn render(snapshot: &Snapshot, options: &ExportOptions) -> Result<Output, ExportError> {
    let audience = if options.preview { Audience::Preview } else { Audience::Public };
    let view = snapshot.view(audience, options.now);
    let enabled = snapshot.locales();
    let locales = if options.locales.is_empty() {
        enabled.clone()
    } else {
        for l in &options.locales {
            if !enabled.contains(l) {
                return Err(ExportError::UnknownLocale(l.to_string()));
            }
        }
        options.locales.clone()
    };
    let base = options.base_url.clone().unwrap_or_else(|| snapshot.site().base_url.clone());
    let ctx = context::Context::new(view, &base, locales, options.relative_links, options.now, false);
    let mut out = Output::new();
    if options.formats.html {
        site(&ctx, &mut out)?;
    }
    if options.formats.json {
        json::render(&ctx, &mut out);
    }
    if options.formats.markdown || options.formats.text {
        documents::render(&ctx, &mut out, options.formats.markdown, options.formats.text);
    }
    Ok(out)
}

/// The static site: pages, stylesheet, robots.txt, sitemap, feeds and
/// redirects; fails when a page links to a file the output lacks.
fn site(ctx: &context::Context<'_>, out: &mut Output) -> Result<(), ExportError> {
    let xml = |path: &str| {
        let path = PathBuf::from(path);
        move |source| ExportError::Io { path, source }
    };
    let pages::Site { mut pages, changed } = pages::render(ctx);
    out.insert(pages::STYLESHEET_ADDRESS.trim_start_matches('/').into(), pages::STYLESHEET.as_bytes().to_vec());
    out.insert(pages::FAVICON_ADDRESS.trim_start_matches('/').into(), pages::FAVICON.as_bytes().to_vec());
    out.insert("robots.txt".into(), robots(ctx).into_bytes());
    out.insert("sitemap.xml".into(), sitemap::render(ctx, &changed).map_err(xml("sitemap.xml"))?);
    for l in &ctx.locales {
        let path = tessera_site::SiteMap::file(&ctx.map.feed(l));
        let feed = feed::render(ctx, l, &changed).map_err(xml(&path))?;
        out.insert(path, feed);
    }
    // The old site's addresses lead to the default locale's pages: an
    // export without that locale has no page for them to lead to.
    if ctx.locales.contains(&ctx.default) {
        let (netlify, nginx, status) = redirects::files(ctx);
        out.insert("_redirects".into(), netlify.into_bytes());
        out.insert("nginx-redirects.conf".into(), nginx.into_bytes());
        out.insert("nginx-legacy-status.conf".into(), status.into_bytes());
        // An old address never replaces a file of the current site.
        let current: std::collections::HashSet<String> = pages.iter().map(|p| p.path.clone()).collect();
        let old =
            redirects::pages(ctx).into_iter().filter(|p| !current.contains(&p.path) && !out.contains_key(&p.path));
        pages.extend(old.collect::<Vec<_>>());
    }
    links::check(&pages, out)?;
    for p in pages {
        out.insert(p.path, p.html.into_bytes());
    }
    Ok(())
}

/// `robots.txt`: everything may be crawled; where the sitemap is.
fn robots(ctx: &context::Context<'_>) -> String {
    format!("User-agent: *\nAllow: /\nSitemap: {}/sitemap.xml\n", ctx.base)
}

/// Renders and writes the export to `out_dir`, replacing what was there
/// only once everything is written.
pub fn export(snapshot: &Snapshot, options: &ExportOptions, out_dir: &Path) -> Result<Summary, ExportError> {
    export_with(snapshot, options, out_dir, &|_| {}, &|_| {})
}

/// As [`export`], telling `start` how many files will be written and
/// `progress` as they are.
pub fn export_with(
    snapshot: &Snapshot,
    options: &ExportOptions,
    out_dir: &Path,
    start: &dyn Fn(u64),
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Summary, ExportError> {
    let output = render(snapshot, options)?;
    start(output.len() as u64);
    let summary = Summary {
        files: output.len(),
        bytes: output.values().map(|b| b.len() as u64).sum(),
        pages: output.keys().filter(|k| k.ends_with(".html")).count(),
    };
    write_atomically_with(&output, out_dir, progress)?;
    Ok(summary)
}
