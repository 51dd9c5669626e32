//! A body in its formats (Markdown, safe HTML, plain text, JSON) and as the
//! typed block tree: the `Block` and `Inline` unions and their members.

use async_graphql::{Context, Object, Result, SimpleObject};
use tessera_core as core;
use tessera_site::SiteMap;

use super::{charge, view};

/// A Markdown body in several renderings.
pub struct BodyObject<'a> {
    /// The body as the reader may see it.
    pub(crate) body: &'a core::Body,
    /// The quotes it may place (a page's).
    pub(crate) quotes: &'a [core::Quote],
    /// The locale asked for, in which placed items are read.
    pub(crate) locale: core::Locale,
    /// The block tree, built when a field first needs it.
    pub(crate) tree: std::sync::OnceLock<core::Blocks>,
}

impl BodyObject<'_> {
    /// The block tree of the body.
    fn tree(&self) -> &[core::Block] {
        self.tree.get_or_init(|| self.body.blocks())
    }

    /// The blocks with what the body places put in place.
    fn placed(&self, view: &core::View<'_>) -> Vec<core::Block> {
        tessera_site::placed_body(view, self.tree(), self.quotes, &self.locale)
    }
}

/// A Markdown body in several renderings. `markdown`, `blocks` and
/// `blocksJson` are the body as written, where a quote or another item's
/// text is placed by an image alone in its paragraph (`EmbedBlock` in the
/// tree); `html` and `text` are the body as read, with those in place.
#[Object(name = "Body")]
impl<'a> BodyObject<'a> {
    /// The Markdown as written (links to items the reader may not see are
    /// shown as their text, and the Markdown is then written anew).
    async fn markdown(&self, ctx: &Context<'_>) -> Result<String> {
        charge(ctx, self.body.len())?;
        Ok(self.body.markdown().into_owned())
    }
    /// Safe HTML, with placed quotes and items in place: content is
    /// escaped, raw HTML is shown as text, and links to items the reader
    /// may not see are shown as their text.
    async fn html(&self, ctx: &Context<'_>) -> Result<String> {
        charge(ctx, self.body.len().saturating_mul(2))?;
        let view = view(ctx)?;
        let blocks = self.placed(&view);
        charge(ctx, core::plain_text(&blocks).len().saturating_sub(self.body.len()))?;
        let map = SiteMap::new(view.snapshot().site());
        let href = |target: &core::LinkTarget| address(&view, &map, target);
        Ok(core::to_html_with(&blocks, &core::HtmlOptions { href: &href, heading_offset: 0 }))
    }
    /// Plain text, with placed quotes and items in place.
    async fn text(&self, ctx: &Context<'_>) -> Result<String> {
        charge(ctx, self.body.len())?;
        let view = view(ctx)?;
        let text = core::plain_text(&self.placed(&view));
        charge(ctx, text.len().saturating_sub(self.body.len()))?;
        Ok(text)
    }
    /// The typed block tree, the same one every front end renders from.
    async fn blocks(&self, ctx: &Context<'_>) -> Result<Vec<BlockNode<'_>>> {
        charge(ctx, self.body.len().saturating_mul(8))?;
        Ok(blocks(self.tree()))
    }
    /// The typed block tree as JSON, for clients that render it themselves
    /// without walking the GraphQL union.
    async fn blocks_json(&self, ctx: &Context<'_>) -> Result<async_graphql::Json<&[core::Block]>> {
        charge(ctx, self.body.len().saturating_mul(8))?;
        Ok(async_graphql::Json(self.tree()))
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
/// (`quote`, counted from 1). The `html` and `text` renderings of a body
/// put it in place; clients walking the tree place it themselves.
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
            core::Inline::Link(link) => InlineNode::Link(LinkInline {
                target: &link.target,
                title: link.title.as_deref(),
                content: &link.content,
            }),
            core::Inline::Image(image) => InlineNode::Image(ImageInline { target: &image.target, alt: &image.alt }),
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

/// A link target's address, as the site map gives it in the default locale
/// (as the body's `html` writes it).
fn site_href(ctx: &Context<'_>, target: &core::LinkTarget) -> Result<Option<String>> {
    let view = view(ctx)?;
    Ok(address(&view, &SiteMap::new(view.snapshot().site()), target))
}

/// Where a link goes on the site, in the default locale: none for an item
/// the reader may not see (the link renders as its text).
fn address(view: &core::View<'_>, map: &SiteMap, target: &core::LinkTarget) -> Option<String> {
    let default = map.default_locale();
    match target {
        core::LinkTarget::Item { kind, slug, .. } if !view.exists(*kind, slug, default) => None,
        other => map.link(other, default),
    }
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
    /// Where the link goes: the item's address on the site for items (null
    /// when the reader may not see it), the URL otherwise; null for an
    /// unsafe link, which renders as its text.
    async fn href(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        site_href(ctx, self.target)
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
    async fn src(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        site_href(ctx, self.target)
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
