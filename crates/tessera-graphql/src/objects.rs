//! The GraphQL types: thin wrappers over core values.

use std::sync::Arc;

use async_graphql::connection::{Connection, Edge, EmptyFields};
use async_graphql::extensions::apollo_persisted_queries::{ApolloPersistedQueries, LruCacheStorage};
use async_graphql::{
    Context, EmptyMutation, EmptySubscription, Enum, Error, ID, Interface, Object, Result, Schema, SimpleObject,
};
use chrono::{DateTime, Utc};
use tessera_core as core;
use tessera_core::{Audience, Document, Item, Kind, Locale, Localized, Publishable, Snapshot, View};
use tessera_site::{Place, SiteMap};

/// The executable schema.
pub type TesseraSchema = Schema<QueryRoot, EmptyMutation, EmptySubscription>;

/// Largest page of a connection.
pub const MAX_PAGE_SIZE: usize = 100;
const DEFAULT_PAGE_SIZE: usize = 20;
/// What a search costs toward the complexity limit before its page: a
/// search (typo expansion, scoring, facets) is real work even for one hit,
/// so a request holds at most a handful.
pub const SEARCH_COST: usize = 200;
/// Deepest a search may page: beyond it, a narrower query serves better.
pub const MAX_SEARCH_OFFSET: usize = 10_000;

/// What one request may see: the snapshot, the audience and the instant.
pub struct Scope {
    /// The content.
    pub snapshot: Arc<Snapshot>,
    /// Public, or preview with a valid token.
    pub audience: Audience,
    /// Embargoes are compared with this instant.
    pub now: DateTime<Utc>,
    /// The result of the last (re)load.
    pub status: Arc<ContentStatus>,
    /// The search indexes.
    pub search: Arc<crate::search::SearchIndexes>,
    /// Bytes of text the answer holds so far; see [`MAX_ANSWER_BYTES`].
    pub spent: std::sync::atomic::AtomicUsize,
}

/// Largest answer a request may produce. Bodies are the big fields; each
/// one charges its size as it is resolved, so an oversized answer stops
/// early instead of being built in memory first.
pub const MAX_ANSWER_BYTES: usize = 8 * 1024 * 1024;

/// Counts `bytes` against the request's answer budget.
fn charge(ctx: &Context<'_>, bytes: usize) -> Result<()> {
    let scope = ctx.data::<Scope>()?;
    let before = scope.spent.fetch_add(bytes, std::sync::atomic::Ordering::Relaxed);
    if before.saturating_add(bytes) > MAX_ANSWER_BYTES {
        return Err(Error::new(format!(
            "the answer would be larger than {} MiB: ask for fewer items or fields",
            MAX_ANSWER_BYTES / 1024 / 1024
        )));
    }
    Ok(())
}

/// The result of the last load or reload of the content.
#[derive(SimpleObject, Clone, Debug)]
pub struct ContentStatus {
    /// The version of the content being served: a hash of what the reader
    /// may see (for the public, drafts and embargoed items do not count).
    pub version: String,
    /// Whether the last reload succeeded; when it did not, the previous
    /// content keeps being served.
    pub ok: bool,
    /// A one-line summary.
    pub message: String,
    /// The problems of the last failed reload, as `path:line:column: message`.
    /// For preview only: the public sees none (a message may name a hidden file).
    pub errors: Vec<String>,
}

impl ContentStatus {
    /// A successful load of `snapshot`.
    pub fn loaded(snapshot: &Snapshot) -> ContentStatus {
        ContentStatus {
            version: format!("{:016x}", snapshot.version()),
            ok: true,
            message: "loaded".to_owned(),
            errors: Vec::new(),
        }
    }

    /// This status as `view`'s audience may see it. The public learns
    /// whether the last reload worked and the version of what it sees (a
    /// draft edit does not change it), never the errors: a message can name
    /// any file, hidden ones included. Preview sees everything.
    pub fn for_view(&self, view: &View<'_>) -> ContentStatus {
        let snapshot = view.snapshot();
        match view.audience() {
            Audience::Preview => ContentStatus { version: format!("{:016x}", snapshot.version()), ..self.clone() },
            Audience::Public => ContentStatus {
                version: format!("{:016x}", snapshot.public_version(view.now())),
                ok: self.ok,
                message: if self.ok {
                    self.message.clone()
                } else {
                    "the last reload failed; the last good content is being served (preview shows why)".to_owned()
                },
                errors: Vec::new(),
            },
        }
    }

    /// A failed reload while `current` keeps serving.
    pub fn failed(current: &Snapshot, diagnostics: &[core::Diagnostic]) -> ContentStatus {
        let errors: Vec<&core::Diagnostic> = diagnostics.iter().filter(|d| d.is_error()).collect();
        ContentStatus {
            version: format!("{:016x}", current.version()),
            ok: false,
            message: failed_message(errors.len()),
            errors: errors.iter().map(ToString::to_string).collect(),
        }
    }
}

fn failed_message(errors: usize) -> String {
    format!("failed with {errors} error(s); serving the last good content")
}

/// Builds the schema with its limits.
pub fn build_schema() -> TesseraSchema {
    Schema::build(QueryRoot, EmptyMutation, EmptySubscription)
        .extension(ApolloPersistedQueries::new(LruCacheStorage::new(4096)))
        .extension(crate::budget::Budget { time: crate::server::EXECUTION_BUDGET })
        .limit_depth(crate::server::INTROSPECTION_DEPTH)
        .limit_complexity(crate::server::MAX_COMPLEXITY)
        .limit_recursive_depth(32)
        .limit_directives(4)
        .finish()
}

/// The schema in SDL, as committed in `schema/tessera.graphql`.
pub fn sdl() -> String {
    format!(
        "# Generated from crates/tessera-graphql; do not edit. Regenerate with `cargo run -- schema`.\n\n{}",
        build_schema().sdl()
    )
}

fn view<'c>(ctx: &Context<'c>) -> Result<View<'c>> {
    let scope = ctx.data::<Scope>()?;
    Ok(scope.snapshot.view(scope.audience, scope.now))
}

fn locale_arg(view: &View<'_>, locale: Option<String>) -> Result<Locale> {
    match locale {
        None => Ok(view.snapshot().site().default_locale.clone()),
        Some(tag) => Locale::parse(&tag).map_err(|e| Error::new(e.to_string())),
    }
}

fn global_id(kind: Kind, slug: &str) -> ID {
    ID(format!("{}:{slug}", kind.name()))
}

/// Editorial state.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "tessera_core::Status")]
pub enum Status {
    /// Being written.
    Draft,
    /// Awaiting review.
    Review,
    /// Public.
    Published,
    /// Public, no longer maintained.
    Archived,
}

/// The kinds of civil-society partner.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "tessera_core::PartnerKind")]
pub enum PartnerKind {
    /// An international non-governmental organisation.
    InternationalNgo,
    /// A national non-governmental organisation.
    NationalNgo,
    /// A community-based organisation.
    CommunityBasedOrganisation,
    /// A civic movement or advocacy group.
    CivicMovement,
    /// A trade union.
    TradeUnion,
    /// A religious community.
    ReligiousCommunity,
    /// A professional voluntary association.
    ProfessionalVoluntaryAssociation,
    /// An organisation of persons with disabilities (DPO).
    Dpo,
    /// A parents' organisation.
    ParentsOrganisation,
}

/// What a media asset is.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "tessera_core::MediaKind")]
pub enum MediaKind {
    /// A photograph or illustration.
    Image,
    /// A video.
    Video,
    /// A sound recording.
    Audio,
    /// A document.
    Document,
}

/// How lists are ordered.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Default)]
pub enum Order {
    /// By slug, the stable default.
    #[default]
    Slug,
    /// By title (a partner's name), A to Z.
    Title,
    /// Most recently updated first; items without a date last.
    UpdatedDesc,
}

/// A connection's extra fields.
#[derive(SimpleObject)]
pub struct Total {
    /// How many items match, across all pages.
    total_count: usize,
}

/// One locale an item is written in.
#[derive(SimpleObject)]
pub struct Translation {
    /// The locale tag.
    locale: String,
    /// The item's slug (the same in every locale).
    slug: String,
}

/// A Markdown body in several renderings.
pub struct BodyObject<'a>(&'a core::Body);

/// A Markdown body in several renderings.
#[Object(name = "Body")]
impl<'a> BodyObject<'a> {
    /// The Markdown as written (links to items the reader may not see are
    /// shown as their text, and the Markdown is then written anew).
    async fn markdown(&self, ctx: &Context<'_>) -> Result<&str> {
        charge(ctx, self.0.markdown.len())?;
        Ok(&self.0.markdown)
    }
    /// Safe HTML: content is escaped, raw HTML is shown as text, and links
    /// to items the reader may not see are shown as their text.
    async fn html(&self, ctx: &Context<'_>) -> Result<String> {
        charge(ctx, self.0.markdown.len().saturating_mul(2))?;
        let view = view(ctx)?;
        let default = view.snapshot().site().default_locale.clone();
        let map = SiteMap::new(view.snapshot().site());
        let href = |target: &core::LinkTarget| match target {
            core::LinkTarget::Item { kind, slug, .. } if !view.exists(*kind, slug, &default) => None,
            other => map.link(other, &default),
        };
        Ok(core::to_html_with(&self.0.blocks, &core::HtmlOptions { href: &href, heading_offset: 0 }))
    }
    /// Plain text.
    async fn text(&self, ctx: &Context<'_>) -> Result<String> {
        charge(ctx, self.0.markdown.len())?;
        Ok(self.0.plain_text())
    }
    /// The typed block tree, the same one every front end renders from.
    async fn blocks(&self, ctx: &Context<'_>) -> Result<Vec<BlockNode<'a>>> {
        charge(ctx, self.0.markdown.len().saturating_mul(8))?;
        Ok(blocks(&self.0.blocks))
    }
    /// The typed block tree as JSON, for clients that render it themselves
    /// without walking the GraphQL union.
    async fn blocks_json(&self, ctx: &Context<'_>) -> Result<async_graphql::Json<&'a Vec<core::Block>>> {
        charge(ctx, self.0.markdown.len().saturating_mul(8))?;
        Ok(async_graphql::Json(&self.0.blocks))
    }
}

fn blocks(list: &[core::Block]) -> Vec<BlockNode<'_>> {
    list.iter().map(BlockNode::from).collect()
}

fn inlines(list: &[core::Inline]) -> Vec<InlineNode<'_>> {
    list.iter().map(InlineNode::from).collect()
}

/// A block of a body.
#[derive(async_graphql::Union)]
#[graphql(name = "Block")]
pub enum BlockNode<'a> {
    /// A heading.
    Heading(HeadingBlock<'a>),
    /// A paragraph.
    Paragraph(ParagraphBlock<'a>),
    /// A bulleted or numbered list.
    List(ListBlock<'a>),
    /// A block quotation.
    BlockQuote(BlockQuoteBlock<'a>),
    /// Preformatted code.
    Code(CodeBlock<'a>),
    /// A table.
    Table(TableBlock<'a>),
    /// A thematic break.
    Rule(RuleBlock),
    /// Something placed here that the model keeps elsewhere.
    Embed(EmbedBlock),
}

impl<'a> From<&'a core::Block> for BlockNode<'a> {
    fn from(block: &'a core::Block) -> Self {
        match block {
            core::Block::Heading { level, content } => BlockNode::Heading(HeadingBlock { level: *level, content }),
            core::Block::Paragraph { content } => BlockNode::Paragraph(ParagraphBlock { content }),
            core::Block::List { start, items } => BlockNode::List(ListBlock { start: *start, items }),
            core::Block::BlockQuote { blocks } => BlockNode::BlockQuote(BlockQuoteBlock { blocks }),
            core::Block::Code { language, code } => BlockNode::Code(CodeBlock { language: language.as_deref(), code }),
            core::Block::Table { header, rows, .. } => BlockNode::Table(TableBlock { header, rows }),
            core::Block::Rule => BlockNode::Rule(RuleBlock { rule: true }),
            core::Block::Embed { embed: core::Embed::Item { kind, slug } } => {
                BlockNode::Embed(EmbedBlock { kind: Some(kind.to_string()), slug: Some(slug.clone()), quote: None })
            }
            core::Block::Embed { embed: core::Embed::Quote { number } } => {
                BlockNode::Embed(EmbedBlock { kind: None, slug: None, quote: Some(*number) })
            }
        }
    }
}

/// A heading, levels 1 to 6.
pub struct HeadingBlock<'a> {
    level: u8,
    content: &'a [core::Inline],
}

/// A heading, levels 1 to 6.
#[Object]
impl<'a> HeadingBlock<'a> {
    /// 1 to 6.
    async fn level(&self) -> u8 {
        self.level
    }
    /// The heading's text.
    async fn content(&self) -> Vec<InlineNode<'a>> {
        inlines(self.content)
    }
}

/// A paragraph.
pub struct ParagraphBlock<'a> {
    content: &'a [core::Inline],
}

/// A paragraph.
#[Object]
impl<'a> ParagraphBlock<'a> {
    /// The paragraph's text.
    async fn content(&self) -> Vec<InlineNode<'a>> {
        inlines(self.content)
    }
}

/// A list; each item is a sequence of blocks.
pub struct ListBlock<'a> {
    start: Option<u64>,
    items: &'a [Vec<core::Block>],
}

/// One item of a list.
pub struct ListItem<'a>(&'a [core::Block]);

/// One item of a list.
#[Object]
impl<'a> ListItem<'a> {
    /// The item's blocks.
    async fn blocks(&self) -> Vec<BlockNode<'a>> {
        blocks(self.0)
    }
}

/// A list; each item is a sequence of blocks.
#[Object]
impl<'a> ListBlock<'a> {
    /// Whether the list is numbered.
    async fn ordered(&self) -> bool {
        self.start.is_some()
    }
    /// The first number of a numbered list.
    async fn start(&self) -> Option<u64> {
        self.start
    }
    /// The items.
    async fn items(&self) -> Vec<ListItem<'a>> {
        self.items.iter().map(|i| ListItem(i)).collect()
    }
}

/// A block quotation.
pub struct BlockQuoteBlock<'a> {
    blocks: &'a [core::Block],
}

/// A block quotation.
#[Object]
impl<'a> BlockQuoteBlock<'a> {
    /// The quoted blocks.
    async fn blocks(&self) -> Vec<BlockNode<'a>> {
        blocks(self.blocks)
    }
}

/// Preformatted code.
#[derive(SimpleObject)]
pub struct CodeBlock<'a> {
    /// The language named after the opening fence.
    language: Option<&'a str>,
    /// The code, verbatim.
    code: &'a str,
}

/// A table.
pub struct TableBlock<'a> {
    header: &'a [Vec<core::Inline>],
    rows: &'a [Vec<Vec<core::Inline>>],
}

/// One cell of a table.
pub struct TableCell<'a>(&'a [core::Inline]);

/// One cell of a table.
#[Object]
impl<'a> TableCell<'a> {
    /// The cell's content.
    async fn content(&self) -> Vec<InlineNode<'a>> {
        inlines(self.0)
    }
}

/// One row of a table.
pub struct TableRow<'a>(&'a [Vec<core::Inline>]);

/// One row of a table.
#[Object]
impl<'a> TableRow<'a> {
    /// The row's cells.
    async fn cells(&self) -> Vec<TableCell<'a>> {
        self.0.iter().map(|c| TableCell(c)).collect()
    }
}

/// A table.
#[Object]
impl<'a> TableBlock<'a> {
    /// The header row.
    async fn header(&self) -> TableRow<'a> {
        TableRow(self.header)
    }
    /// The body rows.
    async fn rows(&self) -> Vec<TableRow<'a>> {
        self.rows.iter().map(|r| TableRow(r)).collect()
    }
}

/// A thematic break.
#[derive(SimpleObject)]
pub struct RuleBlock {
    /// Always true: GraphQL objects need a field.
    rule: bool,
}

/// Something placed in a body that the model keeps elsewhere: another
/// item's text (`kind` and `slug`), or one of the page's `quotes`
/// (`quote`, counted from 1). The `html`, `text` and `markdown` renderings
/// of a body put it in place; clients walking the tree place it themselves.
#[derive(SimpleObject)]
pub struct EmbedBlock {
    /// The kind of the item placed here (`measure`), when an item is.
    kind: Option<String>,
    /// The slug of the item placed here, when an item is.
    slug: Option<String>,
    /// The number of the page's quote placed here, from 1, when a quote is.
    quote: Option<usize>,
}

/// Inline content of a block.
#[derive(async_graphql::Union)]
#[graphql(name = "Inline")]
pub enum InlineNode<'a> {
    /// Plain text.
    Text(TextInline<'a>),
    /// Emphasis.
    Emphasis(EmphasisInline<'a>),
    /// Strong emphasis.
    Strong(StrongInline<'a>),
    /// Inline code.
    Code(CodeInline<'a>),
    /// A link.
    Link(LinkInline<'a>),
    /// An image.
    Image(ImageInline<'a>),
    /// A line break.
    Break(BreakInline),
}

impl<'a> From<&'a core::Inline> for InlineNode<'a> {
    fn from(inline: &'a core::Inline) -> Self {
        match inline {
            core::Inline::Text { text } => InlineNode::Text(TextInline { text }),
            core::Inline::Emphasis { content } => InlineNode::Emphasis(EmphasisInline { content }),
            core::Inline::Strong { content } => InlineNode::Strong(StrongInline { content }),
            core::Inline::Code { code } => InlineNode::Code(CodeInline { code }),
            core::Inline::Link { target, title, content } => {
                InlineNode::Link(LinkInline { target, title: title.as_deref(), content })
            }
            core::Inline::Image { target, alt } => InlineNode::Image(ImageInline { target, alt }),
            core::Inline::HardBreak => InlineNode::Break(BreakInline { hard: true }),
            core::Inline::SoftBreak => InlineNode::Break(BreakInline { hard: false }),
        }
    }
}

/// Plain text (raw HTML written in Markdown arrives here, as text).
#[derive(SimpleObject)]
pub struct TextInline<'a> {
    /// The text.
    text: &'a str,
}

/// Emphasis (usually italics).
pub struct EmphasisInline<'a> {
    content: &'a [core::Inline],
}

/// Emphasis (usually italics).
#[Object]
impl<'a> EmphasisInline<'a> {
    /// The emphasised content.
    async fn content(&self) -> Vec<InlineNode<'a>> {
        inlines(self.content)
    }
}

/// Strong emphasis (usually bold).
pub struct StrongInline<'a> {
    content: &'a [core::Inline],
}

/// Strong emphasis (usually bold).
#[Object]
impl<'a> StrongInline<'a> {
    /// The strongly emphasised content.
    async fn content(&self) -> Vec<InlineNode<'a>> {
        inlines(self.content)
    }
}

/// Inline code.
#[derive(SimpleObject)]
pub struct CodeInline<'a> {
    /// The code, verbatim.
    code: &'a str,
}

/// A link: to another item (`item` is set) or to a URL.
pub struct LinkInline<'a> {
    target: &'a core::LinkTarget,
    title: Option<&'a str>,
    content: &'a [core::Inline],
}

/// The item a link points to.
#[derive(SimpleObject)]
pub struct LinkedItem<'a> {
    /// `page`, `measure`, `partner`, `story` or `media`.
    kind: &'static str,
    /// The item's slug.
    slug: &'a str,
    /// The part after `#`, if any.
    fragment: Option<&'a str>,
}

fn linked_item(target: &core::LinkTarget) -> Option<LinkedItem<'_>> {
    match target {
        core::LinkTarget::Item { kind, slug, fragment } => {
            Some(LinkedItem { kind: kind.name(), slug, fragment: fragment.as_deref() })
        }
        _ => None,
    }
}

/// A link: to another item (`item` is set) or to a URL.
#[Object]
impl<'a> LinkInline<'a> {
    /// Where the link goes: a site path for items, the URL otherwise; null
    /// for an unsafe link, which renders as its text.
    async fn href(&self) -> Option<String> {
        core::link_href(self.target)
    }
    /// The linked item, when the link points to one.
    async fn item(&self) -> Option<LinkedItem<'a>> {
        linked_item(self.target)
    }
    /// The title attribute.
    async fn title(&self) -> Option<&'a str> {
        self.title
    }
    /// The link text.
    async fn content(&self) -> Vec<InlineNode<'a>> {
        inlines(self.content)
    }
}

/// An image.
pub struct ImageInline<'a> {
    target: &'a core::LinkTarget,
    alt: &'a str,
}

/// An image.
#[Object]
impl<'a> ImageInline<'a> {
    /// Where the image is; null for an unsafe address.
    async fn src(&self) -> Option<String> {
        core::link_href(self.target)
    }
    /// The text alternative.
    async fn alt(&self) -> &'a str {
        self.alt
    }
}

/// A line break: hard (kept) or soft (a space when rendered).
#[derive(SimpleObject)]
pub struct BreakInline {
    /// Whether the break must be kept.
    hard: bool,
}

/// Writes a GraphQL object over a core item: the fields every item has,
/// then its own. (The fields must be spelled out inside the `#[Object]`
/// block for the attribute to see them, hence a macro around the block.)
macro_rules! item_object {
    ($(#[$doc:meta])* $name:ident, $gql:literal, { $($own:tt)* }) => {
        $(#[$doc])*
        #[Object(name = $gql)]
        impl<'a> $name<'a> {
        /// The global ID, for `node(id:)`.
        async fn id(&self, _ctx: &Context<'_>) -> Result<ID> {
            Ok(global_id(Self::KIND, &self.doc.slug))
        }
        /// The slug, the same in every locale.
        async fn slug(&self, _ctx: &Context<'_>) -> Result<&str> {
            Ok(&self.doc.slug)
        }
        /// The locale of the returned document (may differ from the one asked for, by fallback).
        async fn locale(&self) -> &str {
            self.doc.locale.as_str()
        }
        /// The visible translations, the default locale first.
        async fn translations(&self) -> Vec<Translation> {
            self.view
                .translations::<<Self as Wrapper<'a>>::Model>(&self.doc.slug)
                .into_iter()
                .map(|d| Translation { locale: d.locale.to_string(), slug: d.slug.clone() })
                .collect()
        }
        /// The body.
        async fn body(&self) -> BodyObject<'a> {
            BodyObject(self.view.body(self.doc.doc))
        }
        /// Editorial state (only preview ever sees other than published or archived).
        async fn status(&self) -> Status {
            self.doc.meta.status.into()
        }
        /// Embargo instant, as written.
        async fn publish_at(&self) -> Option<&str> {
            self.doc.meta.publish_at.as_ref().map(|t| t.as_str())
        }
        /// When the content last changed, as written.
        async fn updated(&self) -> Option<&str> {
            self.doc.meta.updated.as_ref().map(|t| t.as_str())
        }
        /// The topics the item is filed under.
        async fn topics(&self) -> Vec<TopicObject<'a>> {
            topics_of(self.view, &self.doc.meta.topics, &self.doc.requested)
        }
        /// The item's path on the site.
        async fn path(&self) -> String {
            item_path(self.view, Self::KIND, &self.doc.slug, &self.doc.locale)
        }
        $($own)*
        }
    };
}

/// The site path of an item in a locale: `/measures/x/`, `/fr/measures/x/`.
fn item_path(view: View<'_>, kind: Kind, slug: &str, locale: &Locale) -> String {
    SiteMap::new(view.snapshot().site()).item(kind, slug, locale)
}

fn topics_of<'a>(view: View<'a>, refs: &[core::Ref<core::Topic>], locale: &Locale) -> Vec<TopicObject<'a>> {
    refs.iter()
        .filter_map(|r| view.snapshot().topic(r.slug()))
        .map(|topic| TopicObject { topic, locale: locale.clone() })
        .collect()
}

/// A GraphQL object over a core item.
pub trait Wrapper<'a>: Sized {
    /// The core type.
    type Model: Item;
    /// Wraps a localized document.
    fn wrap(doc: Localized<'a, Self::Model>, view: View<'a>) -> Self;
}

macro_rules! wrapper {
    ($name:ident, $model:ty, $kind:expr) => {
        /// A GraphQL view of one core item, in one locale.
        pub struct $name<'a> {
            doc: Localized<'a, $model>,
            view: View<'a>,
        }
        impl<'a> Wrapper<'a> for $name<'a> {
            type Model = $model;
            fn wrap(doc: Localized<'a, $model>, view: View<'a>) -> Self {
                $name { doc, view }
            }
        }
        impl<'a> $name<'a> {
            const KIND: Kind = $kind;
        }
    };
}

wrapper!(PageObject, core::Page, Kind::Page);
wrapper!(MeasureObject, core::Measure, Kind::Measure);
wrapper!(PartnerObject, core::Partner, Kind::Partner);
wrapper!(StoryObject, core::Story, Kind::Story);

fn wrap_all<'a, W: Wrapper<'a>>(docs: Vec<Localized<'a, W::Model>>, view: View<'a>) -> Vec<W> {
    docs.into_iter().map(|d| W::wrap(d, view)).collect()
}

item_object!(
    /// A page of the site, in one locale.
    PageObject, "Page", {
    /// The title.
    async fn title(&self) -> &str {
        &self.doc.meta.title
    }
    /// One or two sentences for lists and previews.
    async fn summary(&self) -> Option<&str> {
        self.doc.meta.summary.as_deref()
    }
    /// The section of the site.
    async fn section(&self) -> Option<&str> {
        self.doc.meta.section.as_deref()
    }
    /// The lead media, with this page's caption if it overrides the media's.
    async fn hero(&self) -> Option<HeroObject<'a>> {
        let hero = self.doc.doc.meta.hero.as_ref()?;
        let media = self.view.media(hero.media.slug(), &self.doc.requested)?;
        Some(HeroObject { media: MediaObject { doc: media }, caption: hero.caption.as_deref() })
    }
    /// Quotations, in order.
    async fn quotes(&self) -> Vec<QuoteObject<'a>> {
        self.doc.doc.meta.quotes.iter().map(QuoteObject).collect()
    }
    /// The measures the page presents, in order.
    async fn measures(&self) -> Vec<MeasureObject<'a>> {
        wrap_all(self.view.resolve(&self.doc.meta.measures, &self.doc.requested), self.view)
    }
    /// The partners the page names.
    async fn partners(&self) -> Vec<PartnerObject<'a>> {
        wrap_all(self.view.resolve(&self.doc.meta.partners, &self.doc.requested), self.view)
    }
    /// Stories "from the field".
    async fn from_the_field(&self) -> Vec<StoryObject<'a>> {
        wrap_all(self.view.resolve(&self.doc.meta.from_the_field, &self.doc.requested), self.view)
    }
    /// Old addresses that redirect here.
    async fn legacy_urls(&self) -> &[String] {
        &self.doc.meta.legacy_urls
    }
});

item_object!(
    /// A measure: an action the organisation commits to.
    MeasureObject, "Measure", {
    /// A short name for the measure.
    async fn title(&self) -> &str {
        &self.doc.meta.title
    }
    /// The kinds of partner the measure involves.
    async fn partner_kinds(&self) -> Vec<PartnerKind> {
        self.doc.meta.partner_kinds.iter().map(|k| (*k).into()).collect()
    }
    /// Convention articles the measure refers to.
    async fn convention_articles(&self) -> &[String] {
        &self.doc.meta.convention_articles
    }
    /// An example of the measure in practice.
    async fn example(&self) -> Option<String> {
        let example = self.doc.meta.example.as_deref()?;
        Some(self.view.markdown(example, &self.doc.locale).into_owned())
    }
    /// The pages that present this measure.
    async fn pages(&self) -> Vec<PageObject<'a>> {
        wrap_all(self.view.referrers::<core::Measure, core::Page>(&self.doc.slug, &self.doc.requested), self.view)
    }
});

item_object!(
    /// A partner organisation, or a kind of civil-society partner.
    PartnerObject, "Partner", {
    /// The name.
    async fn name(&self) -> &str {
        &self.doc.meta.name
    }
    /// What kind of partner this is.
    async fn kind(&self) -> PartnerKind {
        self.doc.meta.kind.into()
    }
    /// ISO 3166-1 alpha-2 country code.
    async fn country(&self) -> Option<&str> {
        self.doc.meta.country.as_ref().map(|c| c.as_str())
    }
    /// The partner's website.
    async fn website(&self) -> Option<&str> {
        self.doc.meta.website.as_deref()
    }
    /// Stories the partner took part in.
    async fn stories(&self) -> Vec<StoryObject<'a>> {
        wrap_all(self.view.referrers::<core::Partner, core::Story>(&self.doc.slug, &self.doc.requested), self.view)
    }
    /// Pages that name the partner.
    async fn pages(&self) -> Vec<PageObject<'a>> {
        wrap_all(self.view.referrers::<core::Partner, core::Page>(&self.doc.slug, &self.doc.requested), self.view)
    }
});

item_object!(
    /// A story "from the field".
    StoryObject, "Story", {
    /// The title.
    async fn title(&self) -> &str {
        &self.doc.meta.title
    }
    /// ISO 3166-1 alpha-2 country code.
    async fn country(&self) -> Option<&str> {
        self.doc.meta.country.as_ref().map(|c| c.as_str())
    }
    /// One or two sentences for lists.
    async fn summary(&self) -> Option<&str> {
        self.doc.meta.summary.as_deref()
    }
    /// When it happened, as written.
    async fn date(&self) -> Option<&str> {
        self.doc.meta.date.as_ref().map(|t| t.as_str())
    }
    /// Media of the story (photos, a music video, ...).
    async fn media(&self) -> Vec<MediaObject<'a>> {
        self.doc
            .meta
            .media
            .iter()
            .filter_map(|r| self.view.media(r.slug(), &self.doc.requested))
            .map(|doc| MediaObject { doc })
            .collect()
    }
    /// Partners that took part.
    async fn partners(&self) -> Vec<PartnerObject<'a>> {
        wrap_all(self.view.resolve(&self.doc.meta.partners, &self.doc.requested), self.view)
    }
    /// Pages that show this story.
    async fn pages(&self) -> Vec<PageObject<'a>> {
        wrap_all(self.view.referrers::<core::Story, core::Page>(&self.doc.slug, &self.doc.requested), self.view)
    }
});

/// An image, video, audio or document asset.
pub struct MediaObject<'a> {
    doc: Localized<'a, core::Media>,
}

/// An image, video, audio or document asset.
#[Object(name = "Media")]
impl MediaObject<'_> {
    /// The global ID.
    async fn id(&self, _ctx: &Context<'_>) -> Result<ID> {
        Ok(global_id(Kind::Media, &self.doc.slug))
    }
    /// The slug.
    async fn slug(&self, _ctx: &Context<'_>) -> Result<&str> {
        Ok(&self.doc.slug)
    }
    /// What the asset is.
    async fn kind(&self) -> MediaKind {
        self.doc.meta.kind.into()
    }
    /// Where the file is; null while the asset has not been migrated.
    async fn src(&self) -> Option<&str> {
        self.doc.meta.src.as_deref()
    }
    /// The text alternative.
    async fn alt(&self) -> Option<&str> {
        self.doc.meta.alt.as_deref()
    }
    /// The caption.
    async fn caption(&self) -> Option<&str> {
        self.doc.meta.caption.as_deref()
    }
    /// The credit line, exactly as it must be printed.
    async fn credit(&self) -> Option<&str> {
        self.doc.meta.credit.as_deref()
    }
    /// ISO 3166-1 alpha-2 country code.
    async fn country(&self) -> Option<&str> {
        self.doc.meta.country.as_ref().map(|c| c.as_str())
    }
    /// The year it was made.
    async fn year(&self) -> Option<u16> {
        self.doc.meta.year
    }
}

/// A page's lead media.
pub struct HeroObject<'a> {
    media: MediaObject<'a>,
    caption: Option<&'a str>,
}

/// A page's lead media.
#[Object(name = "Hero")]
impl<'a> HeroObject<'a> {
    /// The media shown.
    async fn media(&self) -> &MediaObject<'a> {
        &self.media
    }
    /// The caption to show: the page's override, else the media's own.
    async fn caption(&self) -> Option<&str> {
        self.caption.or(self.media.doc.meta.caption.as_deref())
    }
}

/// A quotation.
pub struct QuoteObject<'a>(&'a core::Quote);

/// A quotation.
#[Object(name = "Quote")]
impl QuoteObject<'_> {
    /// The quoted words.
    async fn text(&self) -> &str {
        &self.0.text
    }
    /// Who or what is quoted.
    async fn source(&self) -> &str {
        &self.0.source
    }
    /// The article quoted, when known.
    async fn article(&self) -> Option<&str> {
        self.0.article.as_deref()
    }
    /// The words that introduce the quote where the page places it (shown
    /// before it, instead of the source after it), when written.
    async fn intro(&self) -> Option<&str> {
        self.0.intro.as_deref()
    }
}

/// A topic of the taxonomy.
pub struct TopicObject<'a> {
    topic: &'a core::Topic,
    locale: Locale,
}

/// A topic of the taxonomy.
#[Object(name = "Topic")]
impl TopicObject<'_> {
    /// The topic's identifier.
    async fn slug(&self) -> &str {
        &self.topic.slug
    }
    /// The name in the requested locale, else the default one.
    async fn name(&self) -> &str {
        self.topic.names.get(&self.locale).unwrap_or(&self.topic.name)
    }
}

/// One enabled language.
#[derive(SimpleObject)]
pub struct SiteLocale {
    /// The tag, e.g. `fr`.
    code: String,
    /// The language's name in itself.
    name: String,
    /// `ltr` or `rtl`.
    direction: String,
    /// The fallback chain tried after this locale.
    fallback: Vec<String>,
}

/// The site's settings.
pub struct SiteObject<'a>(&'a Snapshot);

/// The site's settings.
#[Object(name = "Site")]
impl SiteObject<'_> {
    /// The site's name.
    async fn title(&self) -> &str {
        &self.0.site().title
    }
    /// The absolute URL of the site.
    async fn base_url(&self) -> &str {
        &self.0.site().base_url
    }
    /// The default locale.
    async fn default_locale(&self) -> &str {
        self.0.site().default_locale.as_str()
    }
    /// Every enabled locale.
    async fn locales(&self) -> Vec<SiteLocale> {
        self.0
            .site()
            .locales
            .iter()
            .map(|l| SiteLocale {
                code: l.code.to_string(),
                name: l.name.clone(),
                direction: l.code.direction().as_str().to_owned(),
                fallback: self.0.fallback_chain(&l.code).iter().skip(1).map(ToString::to_string).collect(),
            })
            .collect()
    }
    /// The notice shown while pages move to the new site.
    async fn transition_notice(&self) -> Option<&str> {
        self.0.site().transition_notice.as_deref()
    }
    /// The search box's label.
    async fn search_label(&self) -> Option<&str> {
        self.0.site().search_label.as_deref()
    }
}

/// Anything with a global ID.
#[derive(Interface)]
#[graphql(field(name = "id", ty = "ID"), field(name = "slug", ty = "&str"))]
pub enum Node<'a> {
    /// A page.
    Page(PageObject<'a>),
    /// A measure.
    Measure(MeasureObject<'a>),
    /// A partner.
    Partner(PartnerObject<'a>),
    /// A story.
    Story(StoryObject<'a>),
    /// A media asset.
    Media(MediaObject<'a>),
}

/// The kinds of item search can find.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum ItemKind {
    /// Pages.
    Page,
    /// Measures.
    Measure,
    /// Partners.
    Partner,
    /// Stories.
    Story,
}

impl From<ItemKind> for Kind {
    fn from(k: ItemKind) -> Kind {
        match k {
            ItemKind::Page => Kind::Page,
            ItemKind::Measure => Kind::Measure,
            ItemKind::Partner => Kind::Partner,
            ItemKind::Story => Kind::Story,
        }
    }
}

/// A facet value and how many matches have it.
#[derive(SimpleObject)]
pub struct FacetValue {
    /// A kind, topic slug, country code or partner kind.
    value: String,
    /// How many matches have it.
    count: i64,
}

/// Counts of all matches by kind, topic, country and partner kind.
#[derive(SimpleObject)]
pub struct SearchFacets {
    /// By kind.
    kinds: Vec<FacetValue>,
    /// By topic slug.
    topics: Vec<FacetValue>,
    /// By country code.
    countries: Vec<FacetValue>,
    /// By partner kind.
    partner_kinds: Vec<FacetValue>,
}

/// A search connection's extra fields.
#[derive(SimpleObject)]
pub struct SearchExtra {
    /// How many items match in all.
    total_count: usize,
    /// Counts of all matches.
    facets: SearchFacets,
}

/// One search result.
pub struct SearchHit<'a> {
    node: Node<'a>,
    hit: tessera_search::Hit,
}

/// One search result.
#[Object]
impl<'a> SearchHit<'a> {
    /// The item found.
    async fn item(&self) -> &Node<'a> {
        &self.node
    }
    /// Relevance: higher is better.
    async fn score(&self) -> f32 {
        self.hit.score
    }
    /// The locale of the document that matched.
    async fn locale(&self) -> &str {
        &self.hit.locale
    }
    /// The best matching passage as plain text.
    async fn snippet(&self) -> &str {
        &self.hit.snippet.text
    }
    /// The passage as safe HTML, each match in `<mark>`.
    async fn snippet_html(&self) -> String {
        self.hit.snippet.marked("<mark>", "</mark>", core::escape_html)
    }
}

/// What a site path leads to.
pub struct Route<'a> {
    node: Option<Node<'a>>,
    redirect: Option<String>,
}

/// What a site path leads to.
#[Object]
impl<'a> Route<'a> {
    /// The item at this path, when it is a current address.
    async fn node(&self) -> Option<&Node<'a>> {
        self.node.as_ref()
    }
    /// Where to send the reader, when the path is a legacy address.
    async fn redirect(&self) -> Option<&str> {
        self.redirect.as_deref()
    }
}

fn node_for<'a>(view: View<'a>, kind: Kind, slug: &str, locale: &Locale) -> Option<Node<'a>> {
    Some(match kind {
        Kind::Page => Node::Page(PageObject::wrap(view.get(slug, locale)?, view)),
        Kind::Measure => Node::Measure(MeasureObject::wrap(view.get(slug, locale)?, view)),
        Kind::Partner => Node::Partner(PartnerObject::wrap(view.get(slug, locale)?, view)),
        Kind::Story => Node::Story(StoryObject::wrap(view.get(slug, locale)?, view)),
        Kind::Media => Node::Media(MediaObject { doc: view.media(slug, locale)? }),
        Kind::Topic => return None,
    })
}

/// A list costs its page size times what each item asks for.
fn list_complexity(first: Option<i32>, last: Option<i32>, child: usize) -> usize {
    let size = first.or(last).map_or(DEFAULT_PAGE_SIZE, |n| n.clamp(0, MAX_PAGE_SIZE as i32) as usize);
    size.max(1).saturating_mul(child).saturating_add(1)
}

/// Cuts a list into one Relay page.
fn paginate<N: async_graphql::OutputType>(
    nodes: Vec<N>,
    after: Option<String>,
    before: Option<String>,
    first: Option<i32>,
    last: Option<i32>,
) -> Result<Connection<usize, N, Total, EmptyFields>> {
    let parse = |c: Option<String>, name: &str| -> Result<Option<usize>> {
        c.map(|c| c.parse::<usize>().map_err(|_| Error::new(format!("`{name}` is not a cursor from this API"))))
            .transpose()
    };
    let size = |n: Option<i32>, name: &str| -> Result<Option<usize>> {
        match n {
            Some(n) if n < 0 => Err(Error::new(format!("`{name}` must not be negative"))),
            Some(n) if n as usize > MAX_PAGE_SIZE => Err(Error::new(format!("`{name}` is at most {MAX_PAGE_SIZE}"))),
            n => Ok(n.map(|n| n as usize)),
        }
    };
    let total = nodes.len();
    let mut start = parse(after, "after")?.map_or(0, |a| a.saturating_add(1)).min(total);
    let mut end = parse(before, "before")?.map_or(total, |b| b.min(total)).max(start);
    let (first, last) = (size(first, "first")?, size(last, "last")?);
    match (first, last) {
        (Some(f), _) => end = end.min(start + f),
        (None, Some(l)) => start = start.max(end.saturating_sub(l)),
        (None, None) => end = end.min(start + DEFAULT_PAGE_SIZE),
    }
    if let (Some(_), Some(l)) = (first, last) {
        start = start.max(end.saturating_sub(l));
    }
    let mut connection = Connection::with_additional_fields(start > 0, end < total, Total { total_count: total });
    connection.edges.extend(nodes.into_iter().enumerate().skip(start).take(end - start).map(|(i, n)| Edge::new(i, n)));
    Ok(connection)
}

fn ordered<'a, T: Item + Publishable>(mut docs: Vec<Localized<'a, T>>, order: Order) -> Vec<Localized<'a, T>> {
    match order {
        Order::Slug => {}
        Order::Title => docs.sort_by_cached_key(|d| d.meta.label().to_lowercase()),
        Order::UpdatedDesc => {
            docs.sort_by_key(|d| std::cmp::Reverse(Publishable::updated(&d.meta).map(core::Timestamp::instant)))
        }
    }
    docs
}

/// One item by slug, in `locale` or its fallback.
fn lookup<'c, W: Wrapper<'c>>(ctx: &Context<'c>, slug: &str, locale: Option<String>) -> Result<Option<W>> {
    let view = view(ctx)?;
    let locale = locale_arg(&view, locale)?;
    Ok(view.get::<W::Model>(slug, &locale).map(|d| W::wrap(d, view)))
}

/// Relay paging arguments.
struct PageArgs {
    after: Option<String>,
    before: Option<String>,
    first: Option<i32>,
    last: Option<i32>,
}

/// A list field: the visible items of a kind that `keep` accepts, ordered,
/// then cut into one page.
fn list<'c, W>(
    ctx: &Context<'c>,
    locale: Option<String>,
    keep: impl Fn(&Document<W::Model>) -> bool,
    order: Order,
    page: PageArgs,
) -> Result<Connection<usize, W, Total, EmptyFields>>
where
    W: Wrapper<'c> + async_graphql::OutputType,
    W::Model: Publishable,
{
    let view = view(ctx)?;
    let locale = locale_arg(&view, locale)?;
    let docs = view.list::<W::Model>(&locale).into_iter().filter(|d| keep(d.doc)).collect();
    paginate(wrap_all(ordered(docs, order), view), page.after, page.before, page.first, page.last)
}

fn country_arg(country: Option<String>) -> Result<Option<core::Country>> {
    country.map(|c| core::Country::parse(&c)).transpose().map_err(|e| Error::new(e.to_string()))
}

/// An unknown topic is an error, as an unknown country is: an empty list
/// would read as "nothing filed there".
fn check_topic(ctx: &Context<'_>, topic: Option<&str>) -> Result<()> {
    match topic {
        Some(t) if view(ctx)?.snapshot().topic(t).is_none() => {
            Err(Error::new(format!("no topic named `{t}`: the `topics` query lists them")))
        }
        _ => Ok(()),
    }
}

fn has_topic<T: Item>(doc: &Document<T>, topic: Option<&str>) -> bool {
    topic.is_none_or(|t| doc.meta.references().iter().any(|r| r.kind == Kind::Topic && r.slug == t))
}

fn status_matches<T: Item>(doc: &Document<T>, status: Option<Status>) -> bool {
    status.is_none_or(|s| core::Status::from(s) == doc.meta.visibility().0)
}

/// The root of every query. The API is read-only.
pub struct QueryRoot;

/// The root of every query. The API is read-only.
#[Object(name = "Query")]
impl QueryRoot {
    /// The site's settings.
    async fn site<'c>(&self, ctx: &Context<'c>) -> Result<SiteObject<'c>> {
        Ok(SiteObject(view(ctx)?.snapshot()))
    }

    /// The content being served and the result of the last reload.
    async fn content_status(&self, ctx: &Context<'_>) -> Result<ContentStatus> {
        let scope = ctx.data::<Scope>()?;
        // The version is the one this request reads, not the newest.
        Ok(scope.status.for_view(&view(ctx)?))
    }

    /// The topic taxonomy.
    async fn topics<'c>(&self, ctx: &Context<'c>, locale: Option<String>) -> Result<Vec<TopicObject<'c>>> {
        let view = view(ctx)?;
        let locale = locale_arg(&view, locale)?;
        Ok(view.snapshot().topics().iter().map(|topic| TopicObject { topic, locale: locale.clone() }).collect())
    }

    /// One page by slug, in `locale` or its fallback.
    async fn page<'c>(
        &self,
        ctx: &Context<'c>,
        slug: String,
        locale: Option<String>,
    ) -> Result<Option<PageObject<'c>>> {
        lookup(ctx, &slug, locale)
    }

    /// Pages, filtered and ordered.
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "list_complexity(first, last, child_complexity)")]
    async fn pages<'c>(
        &self,
        ctx: &Context<'c>,
        locale: Option<String>,
        section: Option<String>,
        topic: Option<String>,
        status: Option<Status>,
        #[graphql(default)] order_by: Order,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> Result<Connection<usize, PageObject<'c>, Total, EmptyFields>> {
        check_topic(ctx, topic.as_deref())?;
        let keep = |d: &Document<core::Page>| {
            section.as_deref().is_none_or(|s| d.meta.section.as_deref() == Some(s))
                && has_topic(d, topic.as_deref())
                && status_matches(d, status)
        };
        list(ctx, locale, keep, order_by, PageArgs { after, before, first, last })
    }

    /// One measure by slug.
    async fn measure<'c>(
        &self,
        ctx: &Context<'c>,
        slug: String,
        locale: Option<String>,
    ) -> Result<Option<MeasureObject<'c>>> {
        lookup(ctx, &slug, locale)
    }

    /// Measures, filtered and ordered.
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "list_complexity(first, last, child_complexity)")]
    async fn measures<'c>(
        &self,
        ctx: &Context<'c>,
        locale: Option<String>,
        topic: Option<String>,
        partner_kind: Option<PartnerKind>,
        status: Option<Status>,
        #[graphql(default)] order_by: Order,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> Result<Connection<usize, MeasureObject<'c>, Total, EmptyFields>> {
        check_topic(ctx, topic.as_deref())?;
        let keep = |d: &Document<core::Measure>| {
            has_topic(d, topic.as_deref())
                && status_matches(d, status)
                && partner_kind.is_none_or(|k| d.meta.partner_kinds.contains(&k.into()))
        };
        list(ctx, locale, keep, order_by, PageArgs { after, before, first, last })
    }

    /// One partner by slug.
    async fn partner<'c>(
        &self,
        ctx: &Context<'c>,
        slug: String,
        locale: Option<String>,
    ) -> Result<Option<PartnerObject<'c>>> {
        lookup(ctx, &slug, locale)
    }

    /// Partners, filtered by kind, country and topic.
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "list_complexity(first, last, child_complexity)")]
    async fn partners<'c>(
        &self,
        ctx: &Context<'c>,
        locale: Option<String>,
        kind: Option<PartnerKind>,
        country: Option<String>,
        topic: Option<String>,
        status: Option<Status>,
        #[graphql(default)] order_by: Order,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> Result<Connection<usize, PartnerObject<'c>, Total, EmptyFields>> {
        let country = country_arg(country)?;
        check_topic(ctx, topic.as_deref())?;
        let keep = |d: &Document<core::Partner>| {
            kind.is_none_or(|k| d.meta.kind == k.into())
                && country.is_none_or(|c| d.meta.country == Some(c))
                && has_topic(d, topic.as_deref())
                && status_matches(d, status)
        };
        list(ctx, locale, keep, order_by, PageArgs { after, before, first, last })
    }

    /// One story by slug.
    async fn story<'c>(
        &self,
        ctx: &Context<'c>,
        slug: String,
        locale: Option<String>,
    ) -> Result<Option<StoryObject<'c>>> {
        lookup(ctx, &slug, locale)
    }

    /// Stories, filtered by country and topic.
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "list_complexity(first, last, child_complexity)")]
    async fn stories<'c>(
        &self,
        ctx: &Context<'c>,
        locale: Option<String>,
        country: Option<String>,
        topic: Option<String>,
        status: Option<Status>,
        #[graphql(default)] order_by: Order,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> Result<Connection<usize, StoryObject<'c>, Total, EmptyFields>> {
        let country = country_arg(country)?;
        check_topic(ctx, topic.as_deref())?;
        let keep = |d: &Document<core::Story>| {
            country.is_none_or(|c| d.meta.country == Some(c))
                && has_topic(d, topic.as_deref())
                && status_matches(d, status)
        };
        list(ctx, locale, keep, order_by, PageArgs { after, before, first, last })
    }

    /// Full-text search over pages, measures, partners and stories, forgiving
    /// typos and matching the last word as a prefix. Hits come best first,
    /// with a marked snippet; `facets` counts all matches.
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "SEARCH_COST + list_complexity(first, None, child_complexity)")]
    async fn search<'c>(
        &self,
        ctx: &Context<'c>,
        query: String,
        locale: Option<String>,
        kinds: Option<Vec<ItemKind>>,
        topics: Option<Vec<String>>,
        countries: Option<Vec<String>>,
        partner_kinds: Option<Vec<PartnerKind>>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<usize, SearchHit<'c>, SearchExtra, EmptyFields>> {
        let scope = ctx.data::<Scope>()?;
        let view = view(ctx)?;
        let locale = locale_arg(&view, locale)?;
        let first = match first {
            Some(n) if n < 0 => return Err(Error::new("`first` must not be negative")),
            Some(n) if n as usize > MAX_PAGE_SIZE => {
                return Err(Error::new(format!("`first` is at most {MAX_PAGE_SIZE}")));
            }
            n => n.map_or(DEFAULT_PAGE_SIZE, |n| n as usize),
        };
        let offset = match after {
            Some(c) => {
                c.parse::<usize>().map_err(|_| Error::new("`after` is not a cursor from this API"))?.saturating_add(1)
            }
            None => 0,
        };
        // The index collects offset + page hits per segment: a far cursor
        // would make it allocate for all of them.
        if offset > MAX_SEARCH_OFFSET {
            return Err(Error::new(format!(
                "`after` is too far: search pages through the first {MAX_SEARCH_OFFSET} hits; narrow the query instead"
            )));
        }
        let mut request = tessera_search::SearchRequest::new(query, locale.clone());
        request.limit = first.max(1);
        request.offset = offset;
        request.kinds = kinds.unwrap_or_default().into_iter().map(Kind::from).collect();
        request.topics = topics.unwrap_or_default();
        for t in &request.topics {
            check_topic(ctx, Some(t))?;
        }
        request.countries = countries
            .unwrap_or_default()
            .into_iter()
            .map(|c| country_arg(Some(c)))
            .filter_map(Result::transpose)
            .collect::<Result<_>>()?;
        request.partner_kinds = partner_kinds.unwrap_or_default().into_iter().map(Into::into).collect();
        let index = scope.search.get(scope.snapshot.clone(), scope.audience, scope.now).await.map_err(|e| {
            tracing::error!(error = %e, "search index unavailable");
            Error::new("search is unavailable right now")
        })?;
        // Searching is CPU work: on the blocking pool, the async workers stay
        // free to answer other requests (and health checks) meanwhile.
        let results = tokio::task::spawn_blocking(move || index.search(&request))
            .await
            .map_err(|e| {
                tracing::error!(error = %e, "search task failed");
                Error::new("search failed")
            })?
            .map_err(|e| match e {
                tessera_search::SearchError::EmptyQuery | tessera_search::SearchError::QueryTooLong { .. } => {
                    Error::new(e.to_string())
                }
                other => {
                    tracing::error!(error = %other, "search failed");
                    Error::new("search failed")
                }
            })?;
        let facet = |list: &[tessera_search::FacetCount]| -> Vec<FacetValue> {
            list.iter().map(|f| FacetValue { value: f.value.clone(), count: f.count as i64 }).collect()
        };
        let extra = SearchExtra {
            total_count: results.total,
            facets: SearchFacets {
                kinds: facet(&results.facets.kinds),
                topics: facet(&results.facets.topics),
                countries: facet(&results.facets.countries),
                partner_kinds: facet(&results.facets.partner_kinds),
            },
        };
        let has_next = offset + results.hits.len() < results.total;
        let mut connection = Connection::with_additional_fields(offset > 0, has_next, extra);
        for (i, hit) in results.hits.into_iter().enumerate() {
            // Resolved through the view: a hit the reader may not see is
            // dropped, whatever the index holds.
            let Some(node) = node_for(view, hit.kind, &hit.slug, &locale) else { continue };
            connection.edges.push(Edge::new(offset + i, SearchHit { node, hit }));
        }
        Ok(connection)
    }

    /// Any item by its global ID.
    async fn node<'c>(&self, ctx: &Context<'c>, id: ID, locale: Option<String>) -> Result<Option<Node<'c>>> {
        let view = view(ctx)?;
        let locale = locale_arg(&view, locale)?;
        let Some((kind, slug)) = id.split_once(':') else {
            return Ok(None);
        };
        let kind = kind.parse::<Kind>().ok().filter(|k| Kind::FOLDERS.contains(k));
        Ok(kind.and_then(|k| node_for(view, k, slug, &locale)))
    }

    /// Routes a site path: a current path (`/measures/x/`, `/fr/pages/y/`)
    /// gives its item; a legacy URL gives the path to redirect to.
    async fn route<'c>(&self, ctx: &Context<'c>, path: String) -> Result<Option<Route<'c>>> {
        let view = view(ctx)?;
        let snapshot = view.snapshot();
        // Legacy addresses first: they may look like anything, and match
        // in any form (full URL, path, with a query or not).
        let wanted = core::legacy_path(&path);
        for page in view.list::<core::Page>(&snapshot.site().default_locale) {
            let matches = |u: &String| *u == path || (wanted.is_some() && core::legacy_path(u) == wanted);
            if page.meta.legacy_urls.iter().any(matches) {
                let target = item_path(view, Kind::Page, &page.slug, &page.locale);
                return Ok(Some(Route { node: None, redirect: Some(target) }));
            }
        }
        // A site address: the site map reads it back.
        match SiteMap::new(snapshot.site()).resolve(&path) {
            Some(Place::Item { kind, slug, locale }) => {
                Ok(node_for(view, kind, &slug, &locale).map(|node| Route { node: Some(node), redirect: None }))
            }
            _ => Ok(None),
        }
    }
}
