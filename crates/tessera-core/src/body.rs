//! Markdown bodies, parsed once into a typed block tree.
//!
//! Every front end renders from [`Block`] and [`Inline`], never from the
//! Markdown source, so that link checking, escaping and plain-text output
//! agree everywhere. Raw HTML in Markdown is kept as literal text: content
//! never becomes markup by accident.

use pulldown_cmark::{Alignment as CmAlignment, CodeBlockKind, Event, HeadingLevel, Options, Parser, Tag, TagEnd};
use std::borrow::Cow;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::reference::{Kind, parse_item_path};
use crate::text::Text;

/// A parsed Markdown body.
///
/// A body keeps its Markdown (a slice of the file it was read from, not a
/// copy) and what checking needs (its links, raw HTML, nesting); the block
/// tree, about four times the size of the Markdown, is built again when a
/// front end asks for it ([`Body::blocks`]), through a bounded cache of
/// recently used trees. A corpus then takes about as much memory as its
/// files, whatever its size.
#[derive(Clone)]
pub struct Body {
    /// The text the Markdown is a part of: the whole file, held as read
    /// (shared without a copy) or kept in the parse cache on disk.
    text: Text,
    /// Where the Markdown is in `text`.
    range: std::ops::Range<usize>,
    /// The site's base URL the Markdown was read under.
    site: Option<Arc<str>>,
    /// A tree that is not the parse of the Markdown alone (a body
    /// rewritten for an audience), kept as built.
    kept: Option<Blocks>,
    /// Every link and image target in the body, with where it was written.
    pub links: Vec<BodyLink>,
    /// Byte offsets in the Markdown where raw HTML was written (it is shown as text).
    pub raw_html: Vec<usize>,
    /// Byte offset of the first element nested deeper than [`MAX_NESTING`],
    /// if any. Its content is kept as flat text; the loader reports it as an
    /// error.
    pub too_deep: Option<usize>,
}

impl PartialEq for Body {
    fn eq(&self, other: &Body) -> bool {
        self.markdown() == other.markdown()
            && self.site == other.site
            && self.kept == other.kept
            && self.links == other.links
            && self.raw_html == other.raw_html
            && self.too_deep == other.too_deep
    }
}

impl std::fmt::Debug for Body {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Body")
            .field("markdown", &self.markdown())
            .field("links", &self.links)
            .field("raw_html", &self.raw_html)
            .field("too_deep", &self.too_deep)
            .finish_non_exhaustive()
    }
}

/// A body as JSON: its Markdown and its block tree.
impl Serialize for Body {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct as _;
        let mut s = serializer.serialize_struct("Body", 2)?;
        s.serialize_field("markdown", &*self.markdown())?;
        s.serialize_field("blocks", &*self.blocks())?;
        s.end()
    }
}

/// A body's block tree, shared: cheap to clone, read as a slice.
#[derive(Clone, Debug, PartialEq)]
pub struct Blocks(Arc<[Block]>);

impl std::ops::Deref for Blocks {
    type Target = [Block];
    fn deref(&self) -> &[Block] {
        &self.0
    }
}

impl From<Vec<Block>> for Blocks {
    fn from(blocks: Vec<Block>) -> Blocks {
        Blocks(Arc::from(blocks))
    }
}

impl Serialize for Blocks {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

/// How deeply quotes, lists, emphasis and links may nest in a body.
///
/// The block tree is walked recursively by every renderer; this bound is
/// what keeps those walks from overflowing the stack, whatever a content
/// file holds. Real pages nest a handful of levels.
pub const MAX_NESTING: usize = 32;

/// A link or image target found in a body.
#[derive(Debug, Clone, PartialEq)]
pub struct BodyLink {
    /// Where it points.
    pub target: LinkTarget,
    /// Byte offset of the link in the body's Markdown.
    pub offset: usize,
    /// Byte range of the whole link in the body's Markdown (of its
    /// definition, for a reference link), for finding its target.
    pub span: std::ops::Range<usize>,
}

/// A block-level element.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Block {
    /// A heading, levels 1 to 6.
    Heading {
        /// 1 to 6.
        level: u8,
        /// The heading's text.
        content: Vec<Inline>,
    },
    /// A paragraph.
    Paragraph {
        /// The paragraph's text.
        content: Vec<Inline>,
    },
    /// A bulleted or numbered list.
    List {
        /// `Some(first number)` for a numbered list.
        start: Option<u64>,
        /// Each item is a sequence of blocks.
        items: Vec<Vec<Block>>,
    },
    /// A block quotation.
    BlockQuote {
        /// The quoted blocks.
        blocks: Vec<Block>,
    },
    /// Preformatted code.
    Code {
        /// The info string's language, e.g. `toml`.
        language: Option<String>,
        /// The code, verbatim.
        code: String,
    },
    /// A table.
    Table {
        /// Column alignments.
        alignments: Vec<Alignment>,
        /// Header cells.
        header: Vec<Vec<Inline>>,
        /// Body rows of cells.
        rows: Vec<Vec<Vec<Inline>>>,
    },
    /// A thematic break (`---`).
    Rule,
    /// Something the model keeps elsewhere, placed here: another item's
    /// text or one of the page's quotes. Written as an image alone in its
    /// paragraph, `![](@/measures/slug.md)` or `![](@quote/1)`, so that
    /// the Markdown stays readable anywhere. The presentation layer puts
    /// the embedded content in its place; the block itself says nothing.
    Embed {
        /// What is placed here.
        embed: Embed,
    },
}

/// What an [`Block::Embed`] places.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Embed {
    /// Another item's text (a measure's full text, with its example).
    Item {
        /// The item's kind.
        kind: Kind,
        /// The item's slug.
        slug: String,
    },
    /// One of the page's quotes, counted from 1 in front-matter order.
    Quote {
        /// 1 for the first `[[quotes]]` table.
        number: usize,
    },
}

/// The written prefix of a quote embed: `@quote/1`.
pub const QUOTE_EMBED: &str = "@quote/";

impl Embed {
    /// The embed a paragraph holding only `content` writes, if it is one:
    /// a single image (spaces and line breaks around it aside) whose
    /// target is an item or a quote.
    fn of(content: &[Inline]) -> Option<Embed> {
        let mut meaningful = content.iter().filter(|i| match i {
            Inline::Text { text } => !text.trim().is_empty(),
            Inline::SoftBreak | Inline::HardBreak => false,
            _ => true,
        });
        let (Some(Inline::Image(image)), None) = (meaningful.next(), meaningful.next()) else {
            return None;
        };
        match &image.target {
            LinkTarget::Item { kind, slug, fragment: None } if *kind != Kind::Media && *kind != Kind::Topic => {
                Some(Embed::Item { kind: *kind, slug: slug.to_string() })
            }
            LinkTarget::Url { url } => {
                let number = url.strip_prefix(QUOTE_EMBED)?;
                // Digits only: `+1` or ` 1` would parse but were not meant.
                if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
                    return None;
                }
                Some(Embed::Quote { number: number.parse().ok()? })
            }
            _ => None,
        }
    }

    /// The embed as written in Markdown: `![](@/measures/slug.md)`.
    pub fn to_markdown(&self) -> String {
        match self {
            Embed::Item { kind, slug } => format!("![](@/{}/{slug}.{})", kind.folder(), kind.extension()),
            Embed::Quote { number } => format!("![]({QUOTE_EMBED}{number})"),
        }
    }
}

/// A paragraph, or the embed it writes.
fn paragraph(content: Vec<Inline>) -> Block {
    match Embed::of(&content) {
        Some(embed) => Block::Embed { embed },
        None => Block::Paragraph { content },
    }
}

/// Every embed in `blocks`, in reading order (inside lists and quotes
/// too). Bounded by the tree's depth, as every walk.
pub fn embeds(blocks: &[Block]) -> Vec<&Embed> {
    fn walk<'b>(blocks: &'b [Block], out: &mut Vec<&'b Embed>) {
        for block in blocks {
            match block {
                Block::Embed { embed } => out.push(embed),
                Block::List { items, .. } => items.iter().for_each(|item| walk(item, out)),
                Block::BlockQuote { blocks } => walk(blocks, out),
                _ => {}
            }
        }
    }
    let mut out = Vec::new();
    walk(blocks, &mut out);
    out
}

/// How a table column is aligned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Alignment {
    /// Not specified.
    None,
    /// Left.
    Left,
    /// Centre.
    Center,
    /// Right.
    Right,
}

/// An inline element.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Inline {
    /// Plain text (raw HTML also ends up here, as text).
    Text {
        /// The text.
        text: String,
    },
    /// Emphasis (usually italics).
    Emphasis {
        /// The emphasised content.
        content: Vec<Inline>,
    },
    /// Strong emphasis (usually bold).
    Strong {
        /// The strongly emphasised content.
        content: Vec<Inline>,
    },
    /// Inline code.
    Code {
        /// The code, verbatim.
        code: String,
    },
    /// A link (boxed: an inline node is as large as its largest kind, and
    /// most are text).
    Link(Box<InlineLink>),
    /// An image (boxed, like a link).
    Image(Box<InlineImage>),
    /// A hard line break.
    HardBreak,
    /// A soft line break (a space when rendered).
    SoftBreak,
}

/// A link of a body: [`Inline::Link`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InlineLink {
    /// Where it points.
    pub target: LinkTarget,
    /// The link's title attribute, if any.
    #[serde(default)]
    pub title: Option<String>,
    /// The link text.
    pub content: Vec<Inline>,
}

/// An image of a body: [`Inline::Image`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InlineImage {
    /// Where the image is.
    pub target: LinkTarget,
    /// The text alternative.
    pub alt: String,
}

/// Where a link points.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum LinkTarget {
    /// Another content item, written `@/kind/slug.md#fragment`.
    Item {
        /// The item's kind.
        kind: Kind,
        /// The item's slug (held inline: a corpus has about ten links a
        /// page, and a slug is short).
        slug: compact_str::CompactString,
        /// The part after `#`, if any.
        fragment: Option<String>,
    },
    /// Anything else: an absolute URL, a site path or an anchor.
    Url {
        /// The URL as written.
        url: String,
    },
    /// An `@/` path that names no kind, or a URL with a dangerous scheme
    /// (`javascript:`, `data:`, ...). The loader reports these; front ends
    /// render the link text without a link.
    Invalid {
        /// The target as written.
        written: String,
    },
}

impl LinkTarget {
    /// Reads a link destination. `site` is the site's base URL: an address
    /// on the site that names an item (`/pages/slug/`, `/fr/pages/slug/`,
    /// or either under the base URL) is a link to that item, like
    /// `@/pages/slug.md`, so that it is checked, and hidden from those who
    /// may not see the item, like any other.
    fn parse(dest: &str, site: Option<&str>) -> LinkTarget {
        if dest.starts_with("@/") {
            let (path, fragment) = match dest.split_once('#') {
                Some((p, f)) => (p, Some(f.to_owned())),
                None => (dest, None),
            };
            return match parse_item_path(path) {
                Some((kind, slug)) => LinkTarget::Item { kind, slug: slug.into(), fragment },
                None => LinkTarget::Invalid { written: dest.to_owned() },
            };
        }
        if let Some((kind, slug, fragment)) = site_item(dest, site) {
            return LinkTarget::Item { kind, slug: slug.into(), fragment };
        }
        if is_safe_url(dest) {
            LinkTarget::Url { url: dest.to_owned() }
        } else {
            LinkTarget::Invalid { written: dest.to_owned() }
        }
    }
}

/// The item an address on the site names, if it names one: the path of an
/// item page as the site writes it, with or without a locale prefix, an
/// `index.html` or the site's base URL.
fn site_item(dest: &str, site: Option<&str>) -> Option<(Kind, String, Option<String>)> {
    let base = site.map(|b| b.trim_end_matches('/')).filter(|b| !b.is_empty());
    let path = match base.and_then(|b| dest.strip_prefix(b)) {
        Some(rest) if rest.is_empty() || rest.starts_with('/') => rest,
        _ if dest.starts_with('/') && !dest.starts_with("//") => dest,
        _ => return None,
    };
    if path.contains('?') {
        return None;
    }
    let (path, fragment) = match path.split_once('#') {
        Some((p, f)) => (p, Some(f.to_owned())),
        None => (path, None),
    };
    let path = path.strip_suffix("index.html").unwrap_or(path);
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let (folder, slug) = match segments.as_slice() {
        [folder, slug] => (*folder, *slug),
        [locale, folder, slug] if crate::locale::Locale::parse(locale).is_ok() => (*folder, *slug),
        _ => return None,
    };
    let kind = Kind::from_folder(folder).filter(|k| *k != Kind::Topic)?;
    crate::reference::is_valid_slug(slug).then(|| (kind, slug.to_owned(), fragment))
}

/// Whether a URL may be used as a link: `http`, `https`, `mailto`, `tel`, or
/// no scheme at all (a site path or an anchor).
///
/// Browsers ignore tabs and line breaks inside a URL and leading control
/// characters, so `java\tscript:` is `javascript:` to them: any control
/// character makes a URL unsafe.
pub fn is_safe_url(url: &str) -> bool {
    if url.chars().any(char::is_control) {
        return false;
    }
    let url = url.trim();
    let scheme_end = url.find([':', '/', '?', '#']);
    match scheme_end {
        Some(i) if url.as_bytes()[i] == b':' => {
            let scheme = url[..i].to_ascii_lowercase();
            matches!(scheme.as_str(), "http" | "https" | "mailto" | "tel")
        }
        _ => true,
    }
}

impl Body {
    /// Parses `markdown`.
    pub fn parse(markdown: &str) -> Body {
        Body::parse_with(markdown, None)
    }

    /// Parses `markdown` written for the site at `site` (its base URL), so
    /// that absolute addresses of its items are read as item links.
    pub fn parse_with(markdown: &str, site: Option<&str>) -> Body {
        let len = markdown.len();
        Body::parse_in(Text::from(markdown.to_owned()), 0..len, site)
    }

    /// Parses the part of `text` at `range` (a file's body), keeping
    /// `text` rather than a copy of the part. An out-of-range `range`
    /// reads as an empty body.
    pub(crate) fn parse_in(text: Text, range: std::ops::Range<usize>, site: Option<&str>) -> Body {
        let (range, parse) = match text.get(range.clone()) {
            Some(markdown) => (range, scan(&markdown, site)),
            None => (0..0, scan("", site)),
        };
        Body {
            text,
            range,
            site: site.map(Arc::from),
            kept: None,
            links: parse.links,
            raw_html: parse.raw_html,
            too_deep: parse.too_deep,
        }
    }

    /// A body whose scan (links, raw HTML, nesting) was kept from an
    /// earlier parse of the same Markdown, as the parse cache keeps it:
    /// the Markdown is not read again. `None` when `range` is not in
    /// `text`, or a kept offset is not in the Markdown.
    pub(crate) fn from_scan(
        text: Text,
        range: std::ops::Range<usize>,
        site: Option<&str>,
        links: Vec<BodyLink>,
        raw_html: Vec<usize>,
        too_deep: Option<usize>,
    ) -> Option<Body> {
        if !text.holds(&range) {
            return None;
        }
        let len = range.len();
        let fits = links.iter().all(|l| l.offset <= len && l.span.start <= l.span.end && l.span.end <= len)
            && raw_html.iter().all(|&o| o <= len)
            && too_deep.is_none_or(|o| o <= len);
        fits.then(|| Body { text, range, site: site.map(Arc::from), kept: None, links, raw_html, too_deep })
    }

    /// A body whose tree is not the parse of its Markdown alone: one
    /// rewritten from another body's tree.
    pub(crate) fn rewritten(blocks: Vec<Block>, links: Vec<BodyLink>, too_deep: Option<usize>) -> Body {
        let markdown = to_markdown(&blocks);
        let len = markdown.len();
        Body {
            text: Text::from(markdown),
            range: 0..len,
            site: None,
            kept: Some(Blocks::from(blocks)),
            links,
            raw_html: Vec::new(),
            too_deep,
        }
    }

    /// A body with no content.
    pub fn empty() -> Body {
        Body {
            text: Text::default(),
            range: 0..0,
            site: None,
            kept: None,
            links: Vec::new(),
            raw_html: Vec::new(),
            too_deep: None,
        }
    }

    /// The Markdown as written: borrowed when the file is held in memory,
    /// read when it is kept in the parse cache.
    pub fn markdown(&self) -> Cow<'_, str> {
        self.text.slice(self.range.clone())
    }

    /// The length of the Markdown in bytes (without reading it).
    pub fn len(&self) -> usize {
        self.range.len()
    }

    /// Whether the Markdown is left in the parse cache on disk, not held.
    #[cfg(test)]
    pub(crate) fn text_is_kept(&self) -> bool {
        self.text.kept_hash().is_some()
    }

    /// The same body with its Markdown in `text` (the same bytes, left
    /// elsewhere).
    pub(crate) fn rehome(&mut self, text: Text) {
        self.text = text;
    }

    /// Whether the body has no Markdown at all.
    pub fn is_empty(&self) -> bool {
        self.range.is_empty()
    }

    /// The block tree: built from the Markdown, or taken from the cache of
    /// recently built trees.
    pub fn blocks(&self) -> Blocks {
        match &self.kept {
            Some(blocks) => blocks.clone(),
            None => trees::get(self),
        }
    }

    /// The body as plain text: see [`plain_text`]. A tree built for this is
    /// not kept in the cache: whoever wants every body's text (the search
    /// index) would push out the trees readers are reading.
    pub fn plain_text(&self) -> String {
        match &self.kept {
            Some(blocks) => plain_text(blocks),
            None => match trees::cached(self) {
                Some(blocks) => plain_text(&blocks),
                None => plain_text(&parse_tree(&self.markdown(), self.site.as_deref()).blocks),
            },
        }
    }
}

/// The block tree of `markdown` written for the site at `site`, for
/// Markdown that is not a body (a front-matter field).
pub fn parse_blocks(markdown: &str, site: Option<&str>) -> Vec<Block> {
    parse_tree(markdown, site).blocks
}

/// What parsing a body's Markdown finds.
struct Tree {
    blocks: Vec<Block>,
    links: Vec<BodyLink>,
    raw_html: Vec<usize>,
    too_deep: Option<usize>,
}

fn parse_tree(markdown: &str, site: Option<&str>) -> Tree {
    let parser = Parser::new_ext(markdown, markdown_options());
    let mut builder = Builder {
        links: reference_links(&parser, site),
        events: parser.into_offset_iter().collect(),
        pos: 0,
        site,
        raw_html: Vec::new(),
        depth: 0,
        too_deep: None,
    };
    let blocks = builder.blocks(None);
    Tree { blocks, links: builder.links, raw_html: builder.raw_html, too_deep: builder.too_deep }
}

fn markdown_options() -> Options {
    let mut options = Options::empty();
    options.insert(Options::ENABLE_TABLES);
    options.insert(Options::ENABLE_STRIKETHROUGH);
    options
}

/// The links of a body's reference definitions, in the order written.
/// Reference definitions are where a reference link's address is
/// written, and they stay in the Markdown even when nothing uses them:
/// they are links to check and, for some readers, to hide.
fn reference_links(parser: &Parser<'_>, site: Option<&str>) -> Vec<BodyLink> {
    let mut links: Vec<BodyLink> = parser
        .reference_definitions()
        .iter()
        .map(|(_, def)| BodyLink {
            target: LinkTarget::parse(&def.dest, site),
            offset: def.span.start,
            span: def.span.clone(),
        })
        .collect();
    links.sort_by_key(|l| l.offset);
    links
}

/// What loading needs from a body, found without building its tree: the
/// links, raw HTML and too-deep place that [`parse_tree`] reports, the
/// same (a property test holds the two together), walking the parser's
/// events once with a counter instead of building and dropping a tree.
fn scan(markdown: &str, site: Option<&str>) -> Tree {
    let parser = Parser::new_ext(markdown, markdown_options());
    let mut links = reference_links(&parser, site);
    let mut raw_html = Vec::new();
    let mut too_deep = None;
    // Containers open around the current event, as the tree builder
    // counts them: list items and table parts are not counted.
    let mut depth = 0usize;
    // For each open start tag, whether it was counted.
    let mut open: Vec<bool> = Vec::new();
    let mut events = parser.into_offset_iter();
    // Skips to the end tag matching a start just read, as the builder
    // does for a too-deep element, a code block or an HTML block.
    let skip_rest = |events: &mut pulldown_cmark::OffsetIter<'_, pulldown_cmark::DefaultBrokenLinkCallback>| {
        rest_of_element(|| events.next().map(|(e, _)| e), |_| {});
    };
    while let Some((event, range)) = events.next() {
        match event {
            Event::Start(Tag::Item | Tag::TableHead | Tag::TableRow | Tag::TableCell) => open.push(false),
            Event::Start(tag) => {
                if depth >= MAX_NESTING {
                    too_deep.get_or_insert(range.start);
                    skip_rest(&mut events);
                    continue;
                }
                match tag {
                    Tag::CodeBlock(_) => {
                        skip_rest(&mut events);
                        continue;
                    }
                    Tag::HtmlBlock => {
                        raw_html.push(range.start);
                        skip_rest(&mut events);
                        continue;
                    }
                    Tag::Link { link_type, dest_url, .. } | Tag::Image { link_type, dest_url, .. }
                        if !is_reference(link_type) =>
                    {
                        links.push(BodyLink {
                            target: LinkTarget::parse(&dest_url, site),
                            offset: range.start,
                            span: range.clone(),
                        });
                    }
                    _ => {}
                }
                depth += 1;
                open.push(true);
            }
            Event::End(_) if open.pop() == Some(true) => depth -= 1,
            Event::Html(_) | Event::InlineHtml(_) => raw_html.push(range.start),
            _ => {}
        }
    }
    // Kept as long as the body: no room to grow.
    links.shrink_to_fit();
    raw_html.shrink_to_fit();
    Tree { blocks: Vec::new(), links, raw_html, too_deep }
}

/// The cache of recently built block trees, shared by every snapshot (a
/// body unchanged between two snapshots has the same tree).
mod trees {
    use std::sync::{Arc, LazyLock, Mutex};

    use super::{Block, Blocks, Body};
    use crate::text::Text;

    /// How much Markdown the cached trees may stand for. A tree takes
    /// about four times the Markdown it comes from, so this keeps about
    /// 64 MB of trees: some thousands of pages.
    pub(super) const BUDGET: usize = 16 << 20;

    struct Entry {
        text: Text,
        range: std::ops::Range<usize>,
        site: Option<Arc<str>>,
        blocks: Blocks,
    }

    impl Entry {
        fn is_of(&self, body: &Body) -> bool {
            self.site == body.site
                && ((self.text.same(&body.text) && self.range == body.range)
                    || self.text.get(self.range.clone()) == Some(body.markdown()))
        }
    }

    struct Trees {
        entries: lru::LruCache<u64, Entry>,
        /// Bytes of Markdown the entries stand for.
        bytes: usize,
    }

    static TREES: LazyLock<Mutex<Trees>> =
        LazyLock::new(|| Mutex::new(Trees { entries: lru::LruCache::unbounded(), bytes: 0 }));

    /// The cache's key: the Markdown and the base URL, hashed. Two bodies
    /// with one key are told apart by comparing their Markdown. A body kept
    /// in the parse cache is keyed by its file's hash and where it is in
    /// the file instead, so that finding its tree does not read it.
    fn key(body: &Body) -> u64 {
        let site = body.site.as_deref().map_or(0, |s| xxhash_rust::xxh3::xxh3_64(s.as_bytes()));
        match body.text.kept_hash() {
            Some(file) => {
                let mut at = [0u8; 24];
                at[..8].copy_from_slice(&file.to_le_bytes());
                at[8..16].copy_from_slice(&(body.range.start as u64).to_le_bytes());
                at[16..].copy_from_slice(&(body.range.end as u64).to_le_bytes());
                xxhash_rust::xxh3::xxh3_64_with_seed(&at, site ^ 1)
            }
            None => xxhash_rust::xxh3::xxh3_64_with_seed(body.markdown().as_bytes(), site),
        }
    }

    fn lock() -> std::sync::MutexGuard<'static, Trees> {
        // A panic elsewhere while holding the lock leaves the cache as
        // consistent as any other moment: every entry is whole.
        TREES.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Bytes of Markdown the cached trees stand for.
    #[cfg(test)]
    pub(super) fn bytes() -> usize {
        lock().bytes
    }

    /// Files `other`'s tree under `body`'s key, as a hash collision would.
    #[cfg(test)]
    pub(super) fn collide(body: &Body, other: &Body) {
        let entry = Entry {
            text: other.text.clone(),
            range: other.range.clone(),
            site: other.site.clone(),
            blocks: other.blocks(),
        };
        let mut trees = lock();
        trees.bytes += entry.range.len();
        if let Some(old) = trees.entries.put(key(body), entry) {
            trees.bytes -= old.range.len();
        }
    }

    /// The tree of `body` if the cache has it.
    pub(super) fn cached(body: &Body) -> Option<Blocks> {
        let key = key(body);
        let mut trees = lock();
        trees.entries.get(&key).filter(|e| e.is_of(body)).map(|e| e.blocks.clone())
    }

    /// The tree of `body`, from the cache or built (and then cached).
    pub(super) fn get(body: &Body) -> Blocks {
        let key = key(body);
        if let Some(e) = lock().entries.get(&key).filter(|e| e.is_of(body)) {
            return e.blocks.clone();
        }
        // Built outside the lock: another thread may build the same tree
        // meanwhile, which costs time, not correctness.
        let blocks: Vec<Block> = super::parse_tree(&body.markdown(), body.site.as_deref()).blocks;
        let blocks = Blocks::from(blocks);
        let size = body.range.len();
        if size > BUDGET {
            return blocks;
        }
        let mut trees = lock();
        let entry = Entry {
            text: body.text.clone(),
            range: body.range.clone(),
            site: body.site.clone(),
            blocks: blocks.clone(),
        };
        if let Some(old) = trees.entries.put(key, entry) {
            trees.bytes -= old.range.len();
        }
        trees.bytes += size;
        while trees.bytes > BUDGET {
            match trees.entries.pop_lru() {
                Some((_, old)) => trees.bytes -= old.range.len(),
                None => break,
            }
        }
        blocks
    }
}

struct Builder<'a> {
    events: Vec<(Event<'a>, std::ops::Range<usize>)>,
    pos: usize,
    site: Option<&'a str>,
    links: Vec<BodyLink>,
    raw_html: Vec<usize>,
    /// Containers open around the current event.
    depth: usize,
    too_deep: Option<usize>,
}

impl<'a> Builder<'a> {
    /// Whether a container starting at `offset` would nest too deeply; the
    /// first such place is remembered for the diagnostic.
    fn over_limit(&mut self, offset: usize) -> bool {
        if self.depth < MAX_NESTING {
            return false;
        }
        self.too_deep.get_or_insert(offset);
        true
    }

    /// After a start tag: the text of everything up to its end tag, without
    /// building (or recursing into) the elements inside. Linear and flat.
    fn flatten_rest(&mut self) -> String {
        let mut text = String::new();
        rest_of_element(
            || self.next().map(|(e, _)| e),
            |event| match event {
                Event::Text(t) | Event::Code(t) | Event::Html(t) | Event::InlineHtml(t) => text.push_str(t),
                Event::SoftBreak | Event::HardBreak => text.push(' '),
                _ => {}
            },
        );
        text
    }

    fn next(&mut self) -> Option<(Event<'a>, std::ops::Range<usize>)> {
        let e = self.events.get(self.pos).cloned();
        self.pos += 1;
        e
    }

    fn peek(&self) -> Option<&Event<'a>> {
        self.events.get(self.pos).map(|(e, _)| e)
    }

    /// Blocks until the end tag `end` (or the end of input).
    fn blocks(&mut self, end: Option<TagEnd>) -> Vec<Block> {
        let mut blocks = Vec::new();
        // Inline events outside a paragraph (tight list items) form one.
        let mut loose: Vec<Inline> = Vec::new();
        loop {
            match self.peek() {
                None => break,
                Some(Event::End(e)) if Some(*e) == end => {
                    self.pos += 1;
                    break;
                }
                Some(Event::Start(tag)) if is_block_tag(tag) => {
                    if !loose.is_empty() {
                        blocks.push(paragraph(merge_text(std::mem::take(&mut loose))));
                    }
                    if let Some(block) = self.block() {
                        blocks.push(block);
                    }
                }
                Some(Event::Rule) => {
                    self.pos += 1;
                    blocks.push(Block::Rule);
                }
                Some(Event::End(_)) => {
                    // An end tag we did not open: skip it rather than loop.
                    self.pos += 1;
                }
                Some(_) => {
                    if let Some(inline) = self.inline() {
                        loose.push(inline);
                    }
                }
            }
        }
        if !loose.is_empty() {
            blocks.push(paragraph(merge_text(loose)));
        }
        blocks
    }

    fn block(&mut self) -> Option<Block> {
        let (event, range) = self.next()?;
        let Event::Start(tag) = event else {
            return None;
        };
        if self.over_limit(range.start) {
            let text = self.flatten_rest();
            return Some(Block::Paragraph { content: vec![Inline::Text { text }] });
        }
        self.depth += 1;
        let block = self.block_content(tag, range);
        self.depth -= 1;
        Some(block)
    }

    fn block_content(&mut self, tag: Tag<'a>, range: std::ops::Range<usize>) -> Block {
        match tag {
            Tag::Paragraph => paragraph(self.inlines(TagEnd::Paragraph)),
            Tag::Heading { level, .. } => {
                Block::Heading { level: heading_level(level), content: self.inlines(TagEnd::Heading(level)) }
            }
            Tag::BlockQuote(kind) => Block::BlockQuote { blocks: self.blocks(Some(TagEnd::BlockQuote(kind))) },
            Tag::CodeBlock(kind) => {
                let language = match &kind {
                    CodeBlockKind::Fenced(info) => info.split_whitespace().next().map(str::to_owned),
                    CodeBlockKind::Indented => None,
                };
                let mut code = String::new();
                while let Some((e, _)) = self.next() {
                    match e {
                        Event::Text(t) => code.push_str(&t),
                        Event::End(TagEnd::CodeBlock) => break,
                        _ => {}
                    }
                }
                Block::Code { language, code }
            }
            Tag::HtmlBlock => {
                self.raw_html.push(range.start);
                let mut text = String::new();
                while let Some((e, _)) = self.next() {
                    match e {
                        Event::Html(t) | Event::Text(t) => text.push_str(&t),
                        Event::End(TagEnd::HtmlBlock) => break,
                        _ => {}
                    }
                }
                Block::Paragraph { content: vec![Inline::Text { text: text.trim_end().to_owned() }] }
            }
            Tag::List(start) => {
                let mut items = Vec::new();
                loop {
                    match self.next() {
                        Some((Event::Start(Tag::Item), _)) => items.push(self.blocks(Some(TagEnd::Item))),
                        Some((Event::End(TagEnd::List(_)), _)) | None => break,
                        Some(_) => {}
                    }
                }
                Block::List { start, items }
            }
            Tag::Table(aligns) => {
                let alignments = aligns.into_iter().map(alignment).collect();
                let mut header = Vec::new();
                let mut rows = Vec::new();
                loop {
                    match self.next() {
                        Some((Event::Start(Tag::TableHead), _)) => header = self.cells(TagEnd::TableHead),
                        Some((Event::Start(Tag::TableRow), _)) => rows.push(self.cells(TagEnd::TableRow)),
                        Some((Event::End(TagEnd::Table), _)) | None => break,
                        Some(_) => {}
                    }
                }
                Block::Table { alignments, header, rows }
            }
            other => {
                // Footnotes, definition lists and the like are not enabled;
                // keep their text rather than lose it.
                let end = other.to_end();
                Block::Paragraph { content: self.inlines(end) }
            }
        }
    }

    fn cells(&mut self, end: TagEnd) -> Vec<Vec<Inline>> {
        let mut cells = Vec::new();
        loop {
            match self.next() {
                Some((Event::Start(Tag::TableCell), _)) => cells.push(self.inlines(TagEnd::TableCell)),
                Some((Event::End(e), _)) if e == end => break,
                None => break,
                Some(_) => {}
            }
        }
        cells
    }

    fn inlines(&mut self, end: TagEnd) -> Vec<Inline> {
        let mut out = Vec::new();
        loop {
            match self.peek() {
                None => break,
                Some(Event::End(e)) if *e == end => {
                    self.pos += 1;
                    break;
                }
                Some(Event::End(_)) => self.pos += 1,
                Some(_) => {
                    if let Some(inline) = self.inline() {
                        out.push(inline);
                    }
                }
            }
        }
        merge_text(out)
    }

    fn inline(&mut self) -> Option<Inline> {
        let (event, range) = self.next()?;
        if matches!(event, Event::Start(_)) {
            if self.over_limit(range.start) {
                return Some(Inline::Text { text: self.flatten_rest() });
            }
            self.depth += 1;
            let inline = self.inline_content(event, range);
            self.depth -= 1;
            return inline;
        }
        self.inline_content(event, range)
    }

    fn inline_content(&mut self, event: Event<'a>, range: std::ops::Range<usize>) -> Option<Inline> {
        Some(match event {
            Event::Text(t) => Inline::Text { text: t.into_string() },
            Event::Code(c) => Inline::Code { code: c.into_string() },
            Event::InlineMath(t) | Event::DisplayMath(t) => Inline::Code { code: t.into_string() },
            Event::Html(t) | Event::InlineHtml(t) => {
                self.raw_html.push(range.start);
                Inline::Text { text: t.into_string() }
            }
            Event::FootnoteReference(t) => Inline::Text { text: format!("[^{t}]") },
            Event::SoftBreak => Inline::SoftBreak,
            Event::HardBreak => Inline::HardBreak,
            Event::TaskListMarker(done) => Inline::Text { text: if done { "[x] " } else { "[ ] " }.to_owned() },
            Event::Rule => Inline::SoftBreak,
            Event::Start(Tag::Emphasis) => Inline::Emphasis { content: self.inlines(TagEnd::Emphasis) },
            Event::Start(Tag::Strong) => Inline::Strong { content: self.inlines(TagEnd::Strong) },
            Event::Start(Tag::Strikethrough) => {
                // Shown as plain text: the block tree has no strike-through.
                let content = self.inlines(TagEnd::Strikethrough);
                Inline::Text { text: inline_text(&content) }
            }
            Event::Start(Tag::Link { link_type, dest_url, title, .. }) => {
                let target = LinkTarget::parse(&dest_url, self.site);
                // A reference link's address is its definition's, listed already.
                if !is_reference(link_type) {
                    self.links.push(BodyLink { target: target.clone(), offset: range.start, span: range.clone() });
                }
                let content = self.inlines(TagEnd::Link);
                let title = (!title.is_empty()).then(|| title.into_string());
                Inline::Link(Box::new(InlineLink { target, title, content }))
            }
            Event::Start(Tag::Image { link_type, dest_url, .. }) => {
                let target = LinkTarget::parse(&dest_url, self.site);
                if !is_reference(link_type) {
                    self.links.push(BodyLink { target: target.clone(), offset: range.start, span: range.clone() });
                }
                let alt = inline_text(&self.inlines(TagEnd::Image));
                Inline::Image(Box::new(InlineImage { target, alt }))
            }
            Event::Start(tag) => {
                let end = tag.to_end();
                let content = self.inlines(end);
                Inline::Text { text: inline_text(&content) }
            }
            Event::End(_) => return None,
        })
    }
}

/// After a start tag: reads events up to its matching end tag, handing
/// each event in between to `inside`. Linear and flat: nothing recurses.
fn rest_of_element<'a>(mut next: impl FnMut() -> Option<Event<'a>>, mut inside: impl FnMut(&Event<'a>)) {
    let mut open = 1usize;
    while let Some(event) = next() {
        match event {
            Event::Start(_) => open += 1,
            Event::End(_) => {
                open -= 1;
                if open == 0 {
                    return;
                }
            }
            _ => {}
        }
        inside(&event);
    }
}

fn is_reference(link_type: pulldown_cmark::LinkType) -> bool {
    use pulldown_cmark::LinkType;
    matches!(
        link_type,
        LinkType::Reference
            | LinkType::ReferenceUnknown
            | LinkType::Collapsed
            | LinkType::CollapsedUnknown
            | LinkType::Shortcut
            | LinkType::ShortcutUnknown
    )
}

fn is_block_tag(tag: &Tag<'_>) -> bool {
    matches!(
        tag,
        Tag::Paragraph
            | Tag::Heading { .. }
            | Tag::BlockQuote(_)
            | Tag::CodeBlock(_)
            | Tag::HtmlBlock
            | Tag::List(_)
            | Tag::Table(_)
            | Tag::FootnoteDefinition(_)
            | Tag::DefinitionList
            | Tag::MetadataBlock(_)
    )
}

fn heading_level(level: HeadingLevel) -> u8 {
    match level {
        HeadingLevel::H1 => 1,
        HeadingLevel::H2 => 2,
        HeadingLevel::H3 => 3,
        HeadingLevel::H4 => 4,
        HeadingLevel::H5 => 5,
        HeadingLevel::H6 => 6,
    }
}

fn alignment(a: CmAlignment) -> Alignment {
    match a {
        CmAlignment::None => Alignment::None,
        CmAlignment::Left => Alignment::Left,
        CmAlignment::Center => Alignment::Center,
        CmAlignment::Right => Alignment::Right,
    }
}

/// Joins adjacent text runs, which the Markdown parser splits at entities.
fn merge_text(inlines: Vec<Inline>) -> Vec<Inline> {
    let mut out: Vec<Inline> = Vec::with_capacity(inlines.len());
    for inline in inlines {
        if let (Some(Inline::Text { text: last }), Inline::Text { text }) = (out.last_mut(), &inline) {
            last.push_str(text);
            continue;
        }
        out.push(inline);
    }
    out
}

/// The text of inline content, without markup; breaks become spaces.
pub fn inline_text(inlines: &[Inline]) -> String {
    let mut out = String::new();
    push_inline_text(inlines, &mut out);
    out
}

fn push_inline_text(inlines: &[Inline], out: &mut String) {
    for inline in inlines {
        match inline {
            Inline::Text { text } => out.push_str(text),
            Inline::Code { code } => out.push_str(code),
            Inline::Emphasis { content } | Inline::Strong { content } => push_inline_text(content, out),
            Inline::Link(link) => push_inline_text(&link.content, out),
            Inline::Image(image) => out.push_str(&image.alt),
            Inline::HardBreak => out.push('\n'),
            Inline::SoftBreak => out.push(' '),
        }
    }
}

/// Whether `blocks` open with the words of `summary`, so that a front end
/// showing both would say the same thing twice (a page whose summary is
/// its first sentence). Spaces and line breaks do not count.
pub fn opens_with(blocks: &[Block], summary: &str) -> bool {
    let words = |text: &str| text.split_whitespace().collect::<Vec<_>>().join(" ");
    let summary = words(summary);
    !summary.is_empty()
        && blocks
            .iter()
            .find_map(|b| match b {
                Block::Paragraph { content } | Block::Heading { content, .. } => Some(words(&inline_text(content))),
                _ => None,
            })
            .is_some_and(|first| first.starts_with(&summary))
}

/// Blocks as plain text: one paragraph per block separated by blank lines,
/// list items prefixed with `- ` or their number, quotes with `> `.
pub fn plain_text(blocks: &[Block]) -> String {
    let mut out = String::new();
    for block in blocks {
        let text = block_text(block);
        if text.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push_str("\n\n");
        }
        out.push_str(&text);
    }
    out
}

fn block_text(block: &Block) -> String {
    match block {
        Block::Heading { content, .. } | Block::Paragraph { content } => inline_text(content),
        Block::List { start, items } => items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                let marker = match start {
                    Some(n) => format!("{}. ", n + i as u64),
                    None => "- ".to_owned(),
                };
                let indent = " ".repeat(marker.len());
                let text = plain_text(item).replace('\n', &format!("\n{indent}"));
                format!("{marker}{text}")
            })
            .collect::<Vec<_>>()
            .join("\n"),
        Block::BlockQuote { blocks } => plain_text(blocks)
            .lines()
            .map(|l| if l.is_empty() { ">".to_owned() } else { format!("> {l}") })
            .collect::<Vec<_>>()
            .join("\n"),
        Block::Code { code, .. } => code.trim_end().to_owned(),
        Block::Table { header, rows, .. } => std::iter::once(header)
            .chain(rows)
            .map(|row| row.iter().map(|c| inline_text(c)).collect::<Vec<_>>().join(" | "))
            .collect::<Vec<_>>()
            .join("\n"),
        Block::Rule => "---".to_owned(),
        // Said where it is placed, by the presentation layer.
        Block::Embed { .. } => String::new(),
    }
}

/// The same blocks with the links `hide` picks turned into their text (and
/// such images into their alt text): what an audience that may not see a
/// link's target is shown instead of the link. Bounded by the tree's depth,
/// which [`Body::parse`] keeps within [`MAX_NESTING`].
pub(crate) fn unlink(blocks: &[Block], hide: &dyn Fn(&LinkTarget) -> bool) -> Vec<Block> {
    blocks
        .iter()
        .filter(|block| match block {
            // An item the audience may not see is not placed either.
            Block::Embed { embed: Embed::Item { kind, slug } } => {
                !hide(&LinkTarget::Item { kind: *kind, slug: slug.as_str().into(), fragment: None })
            }
            _ => true,
        })
        .map(|block| match block {
            Block::Heading { level, content } => {
                Block::Heading { level: *level, content: unlink_inlines(content, hide) }
            }
            Block::Paragraph { content } => Block::Paragraph { content: unlink_inlines(content, hide) },
            Block::List { start, items } => {
                Block::List { start: *start, items: items.iter().map(|item| unlink(item, hide)).collect() }
            }
            Block::BlockQuote { blocks } => Block::BlockQuote { blocks: unlink(blocks, hide) },
            Block::Table { alignments, header, rows } => Block::Table {
                alignments: alignments.clone(),
                header: header.iter().map(|cell| unlink_inlines(cell, hide)).collect(),
                rows: rows.iter().map(|row| row.iter().map(|cell| unlink_inlines(cell, hide)).collect()).collect(),
            },
            other => other.clone(),
        })
        .collect()
}

fn unlink_inlines(inlines: &[Inline], hide: &dyn Fn(&LinkTarget) -> bool) -> Vec<Inline> {
    let mut out = Vec::with_capacity(inlines.len());
    for inline in inlines {
        match inline {
            Inline::Link(link) if hide(&link.target) => out.extend(unlink_inlines(&link.content, hide)),
            Inline::Image(image) if hide(&image.target) => out.push(Inline::Text { text: image.alt.clone() }),
            Inline::Link(link) => out.push(Inline::Link(Box::new(InlineLink {
                target: link.target.clone(),
                title: link.title.clone(),
                content: unlink_inlines(&link.content, hide),
            }))),
            Inline::Emphasis { content } => out.push(Inline::Emphasis { content: unlink_inlines(content, hide) }),
            Inline::Strong { content } => out.push(Inline::Strong { content: unlink_inlines(content, hide) }),
            other => out.push(other.clone()),
        }
    }
    merge_text(out)
}

/// Writes blocks back as CommonMark that parses to the same blocks. Used
/// where the Markdown as written cannot be shown, e.g. when it links to an
/// item the reader may not see.
pub fn to_markdown(blocks: &[Block]) -> String {
    let mut out = String::new();
    write_blocks(blocks, &mut out);
    let trimmed = out.trim_end_matches('\n').len();
    out.truncate(trimmed);
    out.push('\n');
    out
}

fn write_blocks(blocks: &[Block], out: &mut String) {
    for block in blocks {
        if !out.is_empty() && !out.ends_with("\n\n") {
            out.push_str(if out.ends_with('\n') { "\n" } else { "\n\n" });
        }
        match block {
            Block::Heading { level, content } => {
                out.push_str(&"#".repeat(usize::from((*level).clamp(1, 6))));
                out.push(' ');
                // A heading is one line: breaks inside it become spaces.
                let mut line = String::new();
                write_inlines(content, &mut line);
                out.push_str(&line.replace('\n', " "));
            }
            Block::Paragraph { content } => write_inlines(content, out),
            Block::List { start, items } => {
                for (i, item) in items.iter().enumerate() {
                    let marker = match start {
                        Some(n) => format!("{}. ", n + i as u64),
                        None => "- ".to_owned(),
                    };
                    let mut inner = String::new();
                    write_blocks(item, &mut inner);
                    let indent = " ".repeat(marker.len());
                    if i > 0 {
                        out.push('\n');
                    }
                    out.push_str(&marker);
                    out.push_str(&indent_lines(inner.trim_end_matches('\n'), &indent));
                }
            }
            Block::BlockQuote { blocks } => {
                let mut inner = String::new();
                write_blocks(blocks, &mut inner);
                let quoted: Vec<String> = inner
                    .trim_end_matches('\n')
                    .split('\n')
                    .map(|l| if l.is_empty() { ">".to_owned() } else { format!("> {l}") })
                    .collect();
                out.push_str(&quoted.join("\n"));
            }
            Block::Code { language, code } => {
                // A backtick fence may not carry a backtick in its info
                // string; a tilde fence may.
                let mark = if language.as_deref().is_some_and(|l| l.contains('`')) { '~' } else { '`' };
                let fence = mark.to_string().repeat(longest_run(code, mark).max(2) + 1);
                out.push_str(&fence);
                out.push_str(language.as_deref().unwrap_or(""));
                out.push('\n');
                out.push_str(code);
                if !code.ends_with('\n') {
                    out.push('\n');
                }
                out.push_str(&fence);
            }
            Block::Table { alignments, header, rows } => {
                let row = |cells: &[Vec<Inline>]| {
                    let cells: Vec<String> = cells
                        .iter()
                        .map(|c| {
                            let mut s = String::new();
                            write_inlines(c, &mut s);
                            s.replace('\n', " ").replace('|', "\\|")
                        })
                        .collect();
                    format!("| {} |", cells.join(" | "))
                };
                out.push_str(&row(header));
                out.push('\n');
                let rule: Vec<&str> = alignments
                    .iter()
                    .map(|a| match a {
                        Alignment::None => "---",
                        Alignment::Left => ":--",
                        Alignment::Center => ":-:",
                        Alignment::Right => "--:",
                    })
                    .collect();
                out.push_str(&format!("| {} |", rule.join(" | ")));
                for r in rows {
                    out.push('\n');
                    out.push_str(&row(r));
                }
            }
            Block::Rule => out.push_str("---"),
            Block::Embed { embed } => out.push_str(&embed.to_markdown()),
        }
        out.push('\n');
    }
}

fn indent_lines(text: &str, indent: &str) -> String {
    text.split('\n')
        .enumerate()
        .map(|(i, l)| if i == 0 || l.is_empty() { l.to_owned() } else { format!("{indent}{l}") })
        .collect::<Vec<_>>()
        .join("\n")
}

fn longest_run(text: &str, c: char) -> usize {
    let (mut best, mut run) = (0, 0);
    for ch in text.chars() {
        run = if ch == c { run + 1 } else { 0 };
        best = best.max(run);
    }
    best
}

fn write_inlines(inlines: &[Inline], out: &mut String) {
    for inline in inlines {
        match inline {
            Inline::Text { text } => escape_markdown(text, out),
            Inline::Emphasis { content } => {
                out.push('*');
                write_inlines(content, out);
                out.push('*');
            }
            Inline::Strong { content } => {
                out.push_str("**");
                write_inlines(content, out);
                out.push_str("**");
            }
            Inline::Code { code } => {
                let ticks = "`".repeat(longest_run(code, '`') + 1);
                let pad = if code.starts_with('`') || code.ends_with('`') { " " } else { "" };
                out.push_str(&format!("{ticks}{pad}{code}{pad}{ticks}"));
            }
            Inline::Link(link) => {
                let InlineLink { target, title, content } = &**link;
                out.push('[');
                write_inlines(content, out);
                out.push_str("](");
                out.push_str(&destination(target));
                if let Some(t) = title {
                    out.push_str(&format!(" \"{}\"", t.replace('\\', "\\\\").replace('"', "\\\"")));
                }
                out.push(')');
            }
            Inline::Image(image) => {
                let InlineImage { target, alt } = &**image;
                out.push_str("![");
                escape_markdown(alt, out);
                out.push_str("](");
                out.push_str(&destination(target));
                out.push(')');
            }
            Inline::HardBreak => out.push_str("\\\n"),
            Inline::SoftBreak => out.push('\n'),
        }
    }
}

fn destination(target: &LinkTarget) -> String {
    let written = match target {
        LinkTarget::Item { kind, slug, fragment } => {
            let mut d = format!("@/{}/{slug}.{}", kind.folder(), kind.extension());
            if let Some(f) = fragment {
                d.push('#');
                d.push_str(f);
            }
            d
        }
        LinkTarget::Url { url } => url.clone(),
        LinkTarget::Invalid { written } => written.clone(),
    };
    if written.is_empty() || written.contains([' ', '(', ')', '<', '>']) {
        format!("<{}>", written.replace('<', "%3C").replace('>', "%3E"))
    } else {
        written
    }
}

/// Escapes text so that it reads back as the same text: every ASCII
/// punctuation mark that could start markup gets a backslash (CommonMark
/// allows one before any ASCII punctuation). Escaping one too many is
/// harmless; one too few would change the text.
fn escape_markdown(text: &str, out: &mut String) {
    let mut line_start = out.is_empty() || out.ends_with('\n');
    let chars: Vec<char> = text.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        let after_digit = i > 0 && chars[i - 1].is_ascii_digit();
        let before_space = chars.get(i + 1).is_none_or(|n| n.is_whitespace());
        let special = matches!(c, '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '&' | '|' | '~' | '!' | '#')
            || (line_start && matches!(c, '-' | '+' | '='))
            || (matches!(c, '.' | ')') && after_digit && before_space);
        if special {
            out.push('\\');
        }
        out.push(c);
        line_start = c == '\n' || (line_start && c == ' ');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(md: &str) -> Body {
        Body::parse(md)
    }

    /// Markdown made of pieces that open and close every kind of element,
    /// nested at random, deep enough to pass [`MAX_NESTING`].
    fn markdown_pieces() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let piece = prop::sample::select(vec![
            "> ",
            "- ",
            "* ",
            "1. ",
            "  ",
            "    ",
            "\n",
            "\n\n",
            "# ",
            "text ",
            "*",
            "**",
            "_",
            "~~",
            "`",
            "```\n",
            "[a](@/pages/x.md)",
            "![i](@/media/m.md)",
            "[r]",
            "[r]: /x\n",
            "[s][r]",
            "<https://e.org>",
            "<b>",
            "</b>",
            "<div>\n",
            "[",
            "](https://e.org/pages/y/)",
            "|a|b|\n|-|-|\n",
            "| c |",
            "---\n",
            "&amp;",
            "\\",
            "[x](javascript:alert(1))",
            "![](@quote/1)",
        ]);
        // A run of containers first, so that the limit is often near.
        let opener = prop::sample::select(vec!["> ", "- ", "1. ", "* ", "**", "_", "[", "> - "]);
        (opener.clone(), 0..40usize, prop::collection::vec(opener, 0..12), prop::collection::vec(piece, 0..120))
            .prop_map(|(run, n, openers, pieces)| run.repeat(n) + &openers.concat() + &pieces.concat())
    }

    proptest::proptest! {
        #[test]
        fn scanning_finds_what_building_the_tree_finds(md in markdown_pieces()) {
            for site in [None, Some("https://e.org")] {
                let built = parse_tree(&md, site);
                let scanned = scan(&md, site);
                proptest::prop_assert_eq!(&scanned.links, &built.links, "links of {:?}", md);
                proptest::prop_assert_eq!(&scanned.raw_html, &built.raw_html, "raw HTML of {:?}", md);
                proptest::prop_assert_eq!(scanned.too_deep, built.too_deep, "depth of {:?}", md);
            }
        }
    }

    #[test]
    fn scanning_finds_the_too_deep_place_and_skips_what_is_flattened() {
        for md in [
            format!("{}[deep](@/pages/x.md) <b>", "> ".repeat(MAX_NESTING + 3)),
            format!("{}[deep](@/pages/x.md)", "- ".repeat(MAX_NESTING + 3)),
            format!("{}x{}", "*a ".repeat(MAX_NESTING + 3), "*".repeat(MAX_NESTING + 3)),
            format!("{}\n```\n<b>[no](@/pages/x.md)\n```\n", "> ".repeat(MAX_NESTING - 1)),
        ]
        .into_iter()
        .chain((MAX_NESTING - 4..MAX_NESTING + 2).flat_map(|k| {
            // Around the limit inside a table cell and a list item, whose
            // parts do not count as containers.
            let deep = format!("{}x{}", "*a ".repeat(k), "* y".repeat(k));
            [format!("|a|b|\n|-|-|\n| {deep} | c |\n"), format!("- {deep}\n"), format!("> - > {deep}\n")]
        })) {
            let built = parse_tree(&md, None);
            let scanned = scan(&md, None);
            assert_eq!(scanned.links, built.links, "{md}");
            assert_eq!(scanned.raw_html, built.raw_html, "{md}");
            assert_eq!(scanned.too_deep, built.too_deep, "{md}");
        }
        assert!(scan(&"> ".repeat(MAX_NESTING + 3), None).too_deep.is_some());
    }

    #[test]
    fn a_body_keeps_its_markdown_and_builds_the_same_tree_each_time() {
        let file = "+++\ntitle = \"x\"\n+++\nSee [the story](@/stories/s.md) and <b>this</b>.\n";
        let text = Text::from(file.to_owned());
        let start = file.find("See").unwrap_or(0);
        let body = Body::parse_in(text.clone(), start..file.len(), None);
        assert_eq!(body.markdown(), "See [the story](@/stories/s.md) and <b>this</b>.\n");
        assert_eq!(&*body.blocks(), parse_blocks(&body.markdown(), None).as_slice());
        assert_eq!(body.blocks(), body.blocks());
        assert_eq!(body.links.len(), 1);
        assert_eq!(body.raw_html.len(), 2, "offsets of the raw HTML: {:?}", body.raw_html);
        assert_eq!(body.plain_text(), plain_text(&body.blocks()));
        // A range that is not in the text reads as an empty body.
        let outside = Body::parse_in(text.clone(), 5..1000, None);
        assert_eq!(outside.markdown(), "");
        assert!(outside.blocks().is_empty());
    }

    #[test]
    fn the_same_markdown_under_another_site_is_another_tree() {
        let md = "[home](https://example.org/pages/home/)";
        let plain = Body::parse_with(md, None);
        let on_site = Body::parse_with(md, Some("https://example.org"));
        let target = |body: &Body| match &body.blocks()[0] {
            Block::Paragraph { content } => match &content[0] {
                Inline::Link(link) => link.target.clone(),
                other => panic!("not a link: {other:?}"),
            },
            other => panic!("not a paragraph: {other:?}"),
        };
        // Asked in both orders, so that neither answer comes from the
        // other's cached tree.
        assert!(matches!(target(&plain), LinkTarget::Url { .. }));
        assert!(matches!(target(&on_site), LinkTarget::Item { .. }));
        assert!(matches!(target(&plain), LinkTarget::Url { .. }));
        assert_ne!(plain, on_site);
    }

    #[test]
    fn a_tree_filed_under_a_colliding_key_is_not_taken_for_another_bodys() {
        let wanted = Body::parse("The *right* body.");
        let other = Body::parse("Another body, with [a link](https://example.org).");
        trees::collide(&wanted, &other);
        assert_eq!(&*wanted.blocks(), parse_blocks("The *right* body.", None).as_slice());
        assert_eq!(wanted.plain_text(), "The right body.");
    }

    #[test]
    fn the_tree_cache_stays_within_its_budget() {
        // Distinct bodies of 64 KB, more of them than the budget holds.
        let bodies: Vec<Body> = (0..(trees::BUDGET / 65536 + 8))
            .map(|i| Body::parse(&format!("Body {i}. {}", "word ".repeat(13_000))))
            .collect();
        for body in &bodies {
            assert!(!body.blocks().is_empty());
            assert!(trees::bytes() <= trees::BUDGET, "{} bytes cached", trees::bytes());
        }
        // The most recent is still there; the first was pushed out.
        let last = bodies.last().map(|b| trees::cached(b).is_some());
        assert_eq!(last, Some(true));
        assert!(trees::cached(&bodies[0]).is_none());
    }

    #[test]
    fn a_rewritten_body_keeps_its_tree() {
        let body = Body::parse("See [the story](@/stories/s.md).");
        let hidden = unlink(&body.blocks(), &|t| matches!(t, LinkTarget::Item { .. }));
        let rewritten = Body::rewritten(hidden.clone(), Vec::new(), None);
        assert_eq!(&*rewritten.blocks(), hidden.as_slice());
        assert_eq!(rewritten.markdown(), "See the story.\n");
    }

    #[test]
    fn an_image_alone_in_its_paragraph_places_an_item_or_a_quote() {
        let body = parse(
            "Intro.\n\n![](@/measures/m.md)\n\n- ![Q](@quote/2)\n- ![](@/stories/s.md)\n\nText ![](@/measures/m.md) around.\n\n![](@quote/x)\n\n![](@/media/photo.md)\n",
        );
        let item = |kind, slug: &str| Embed::Item { kind, slug: slug.to_owned() };
        assert_eq!(body.blocks()[1], Block::Embed { embed: item(Kind::Measure, "m") });
        assert_eq!(
            body.blocks()[2],
            Block::List {
                start: None,
                items: vec![
                    vec![Block::Embed { embed: Embed::Quote { number: 2 } }],
                    vec![Block::Embed { embed: item(Kind::Story, "s") }],
                ],
            }
        );
        // With words around it, or naming no quote or a media file, an
        // image stays an image.
        for block in &body.blocks()[3..] {
            assert!(matches!(block, Block::Paragraph { .. }), "{block:?}");
        }
        assert_eq!(embeds(&body.blocks()).len(), 3);
        // Written back, the embeds read the same.
        assert_eq!(Body::parse(&to_markdown(&body.blocks())).blocks(), body.blocks());
        // An item the reader may not see is not placed.
        let hidden = unlink(&body.blocks(), &|t| matches!(t, LinkTarget::Item { slug, .. } if slug == "m"));
        assert_eq!(embeds(&hidden).len(), 2, "{hidden:?}");
        assert_eq!(plain_text(&body.blocks()[1..2]), "", "an embed says nothing itself");
    }

    #[test]
    fn builds_the_block_tree() {
        let body = parse(
            "# Title\n\nSome *em* and **strong** `code`.\n\n- one\n- two [link](@/measures/m.md)\n\n> quoted\n\n| a | b |\n|---|--:|\n| 1 | 2 |\n",
        );
        assert_eq!(body.blocks().len(), 5, "{:#?}", body.blocks());
        assert!(matches!(&body.blocks()[0], Block::Heading { level: 1, .. }));
        let Block::Paragraph { content } = &body.blocks()[1] else { panic!("{:?}", body.blocks()[1]) };
        assert!(matches!(content[1], Inline::Emphasis { .. }));
        assert!(matches!(content[3], Inline::Strong { .. }));
        assert!(matches!(content[5], Inline::Code { .. }));
        let Block::List { start: None, items } = &body.blocks()[2] else { panic!() };
        assert_eq!(items.len(), 2);
        assert!(
            matches!(&body.blocks()[4], Block::Table { rows, alignments, .. } if rows.len() == 1 && alignments[1] == Alignment::Right)
        );
        assert_eq!(
            body.links,
            vec![BodyLink {
                target: LinkTarget::Item { kind: Kind::Measure, slug: "m".into(), fragment: None },
                offset: 55,
                span: 55..78
            }]
        );
    }

    #[test]
    fn raw_html_stays_text() {
        let body = parse("<script>alert(1)</script>\n\nHi <b onclick=x>there\n");
        assert_eq!(body.raw_html.len(), 2);
        assert!(body.plain_text().contains("<script>alert(1)</script>"));
    }

    #[test]
    fn dangerous_schemes_are_invalid_targets() {
        for url in ["javascript:alert(1)", "JavaScript:x", " data:text/html,x", "vbscript:x"] {
            assert!(!is_safe_url(url), "{url}");
        }
        for url in ["https://example.org", "/path", "#anchor", "mailto:a@b.c", "a/b:c"] {
            assert!(is_safe_url(url), "{url}");
        }
        let body = parse("[x](javascript:alert(1))");
        assert!(matches!(body.links[0].target, LinkTarget::Invalid { .. }));
    }

    #[test]
    fn addresses_of_items_on_the_site_are_item_links() {
        let item = |kind, slug: &str, fragment: Option<&str>| LinkTarget::Item {
            kind,
            slug: slug.into(),
            fragment: fragment.map(str::to_owned),
        };
        let site = Some("https://site.example/base/");
        for (dest, want) in [
            ("/pages/x/", item(Kind::Page, "x", None)),
            ("/fr/stories/y/#z", item(Kind::Story, "y", Some("z"))),
            ("/measures/m/index.html", item(Kind::Measure, "m", None)),
            ("https://site.example/base/partners/p/", item(Kind::Partner, "p", None)),
            ("/pages/x/?q=1", LinkTarget::Url { url: "/pages/x/?q=1".into() }),
            ("/topics/t/", LinkTarget::Url { url: "/topics/t/".into() }),
            ("//evil.example/pages/x/", LinkTarget::Url { url: "//evil.example/pages/x/".into() }),
            ("https://other.example/pages/x/", LinkTarget::Url { url: "https://other.example/pages/x/".into() }),
            ("/pages/Not_A_Slug/", LinkTarget::Url { url: "/pages/Not_A_Slug/".into() }),
        ] {
            assert_eq!(LinkTarget::parse(dest, site), want, "{dest}");
        }
    }

    #[test]
    fn reference_definitions_are_links_even_when_unused() {
        let body = parse("Text [used][a].\n\n[a]: @/pages/p.md\n[b]: @/stories/s.md \"Title\"\n");
        let targets: Vec<&LinkTarget> = body.links.iter().map(|l| &l.target).collect();
        assert_eq!(targets.len(), 2, "one per definition, none twice: {targets:?}");
        assert!(targets.iter().any(|t| matches!(t, LinkTarget::Item { slug, .. } if slug == "s")));
    }

    #[test]
    fn a_summary_the_body_opens_with_is_recognised() {
        let body = parse("A vibrant civil\nsociety is *essential*. More.\n\nNext.");
        assert!(opens_with(&body.blocks(), "A vibrant civil society is essential."));
        assert!(!opens_with(&body.blocks(), "Something else."));
        assert!(!opens_with(&body.blocks(), "  "));
        assert!(!opens_with(&[], "A vibrant"));
    }

    #[test]
    fn plain_text_keeps_structure() {
        let body = parse("Para one\nwraps.\n\n1. first\n2. second\n\n> quote\n");
        assert_eq!(body.plain_text(), "Para one wraps.\n\n1. first\n2. second\n\n> quote");
    }
}
