//! What an item shows: one typed view, decided here once and rendered by
//! every front end (the exporter's HTML, the terminal's screens, `read`).
//!
//! A view holds the item's facts, its figures, its body with everything
//! the body places (`![](@/measures/slug.md)`, `![](@quote/1)`) put in
//! place, and its relations under their headings. What the body already
//! says is not said again: a summary the body opens with, a quote or an
//! item the body places.
//!
//! Adding a kind of relation is a change to [`Relation`] (and to where
//! [`ItemView::build`] finds it); the renderers need nothing new.

use std::collections::HashSet;

use tessera_core::{
    Block, Country, Embed, Inline, Kind, Locale, Localized, Measure, Media, MediaKind, Page, Partner, PartnerKind,
    Publishable, Quote, Story, Timestamp, View, embeds, is_safe_url, opens_with,
};

/// One fact shown under an item's title.
#[derive(Debug, Clone, PartialEq)]
pub enum Fact {
    /// What kind of organisation a partner is.
    PartnerKind(PartnerKind),
    /// The kinds of partners a measure involves.
    PartnerKinds(Vec<PartnerKind>),
    /// The country an item is about.
    Country(Country),
    /// When a story happened, as written.
    Date(String),
    /// A partner's web site (a safe URL).
    Website(String),
}

impl Fact {
    /// The label shown before the fact.
    pub fn label(&self) -> &'static str {
        match self {
            Fact::PartnerKind(_) => "Kind",
            Fact::PartnerKinds(_) => "Partners involved",
            Fact::Country(_) => "Country",
            Fact::Date(_) => "Date",
            Fact::Website(_) => "Website",
        }
    }

    /// The fact as text.
    pub fn text(&self) -> String {
        match self {
            Fact::PartnerKind(k) => k.label().to_owned(),
            Fact::PartnerKinds(kinds) => kinds.iter().map(|k| k.label()).collect::<Vec<_>>().join(", "),
            Fact::Country(c) => c.name().to_owned(),
            Fact::Date(d) => d.clone(),
            Fact::Website(w) => w.clone(),
        }
    }
}

/// An image, video, sound or document, as text and (when migrated) a file.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    /// The media item's slug, for anchors (`#media-slug`).
    pub slug: String,
    /// What it is.
    pub kind: MediaKind,
    /// The text alternative.
    pub alt: Option<String>,
    /// The caption.
    pub caption: Option<String>,
    /// The credit, exactly as written.
    pub credit: Option<String>,
    /// The file's address, when migrated and safe to link.
    pub src: Option<String>,
}

impl Figure {
    /// The figure of a media item, with a caption that overrides its own.
    pub fn of(slug: &str, media: &Media, caption: Option<&str>) -> Figure {
        Figure {
            slug: slug.to_owned(),
            kind: media.kind,
            alt: media.alt.clone().filter(|a| !a.trim().is_empty()),
            caption: caption.map(str::to_owned).or_else(|| media.caption.clone()),
            credit: media.credit.clone(),
            src: media.src.as_deref().filter(|s| is_safe_url(s)).map(str::to_owned),
        }
    }

    /// What people call this kind of figure: "Photo", "Video".
    pub fn label(&self) -> &'static str {
        match self.kind {
            MediaKind::Image => "Photo",
            MediaKind::Video => "Video",
            MediaKind::Audio => "Recording",
            MediaKind::Document => "Document",
        }
    }

    /// The words a link to the figure shows: its caption, else its text
    /// alternative, else what it is ("Music Video", as the legacy page
    /// wrote it).
    pub fn link_text(&self) -> &str {
        self.caption.as_deref().or(self.alt.as_deref()).unwrap_or(self.label())
    }

    /// The anchor of the figure on the page that shows it.
    pub fn anchor(&self) -> String {
        format!("media-{}", self.slug)
    }
}

/// How one item relates to others, with the heading it is shown under.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Relation {
    /// The measures a page presents.
    Measures,
    /// The partners a page names or a story involves.
    Partners,
    /// The stories a page tells "from the field".
    FromTheField,
    /// The pages that present a measure.
    PresentedOn,
    /// The stories that involve a partner.
    Stories,
    /// The pages that name a partner.
    NamedOn,
    /// The pages that tell a story.
    ToldOn,
}

impl Relation {
    /// The relations an item of `kind` shows, in the order shown.
    pub fn of(kind: Kind) -> &'static [Relation] {
        match kind {
            // Stories first: they are part of what the page says; lists
            // of related items come after.
            Kind::Page => &[Relation::FromTheField, Relation::Measures, Relation::Partners],
            Kind::Measure => &[Relation::PresentedOn],
            Kind::Partner => &[Relation::Stories, Relation::NamedOn],
            Kind::Story => &[Relation::Partners, Relation::ToldOn],
            Kind::Media | Kind::Topic => &[],
        }
    }

    /// The heading the related items are shown under.
    pub fn heading(self) -> &'static str {
        match self {
            Relation::Measures => "Measures",
            Relation::Partners => "Partners",
            Relation::FromTheField => "From the field",
            Relation::PresentedOn => "Presented on",
            Relation::Stories => "Stories",
            Relation::NamedOn => "Named on",
            Relation::ToldOn => "Told on",
        }
    }

    /// The kind of the related items.
    pub fn kind(self) -> Kind {
        match self {
            Relation::Measures => Kind::Measure,
            Relation::Partners => Kind::Partner,
            Relation::FromTheField | Relation::Stories => Kind::Story,
            Relation::PresentedOn | Relation::NamedOn | Relation::ToldOn => Kind::Page,
        }
    }

    /// Whether the order means something (the measures are numbered).
    pub fn numbered(self) -> bool {
        self == Relation::Measures
    }

    /// Whether each related item is shown by what it says (its summary,
    /// then links to it and to its media: "Story - Music Video", as the
    /// legacy page's "From the field" did) rather than by its title.
    pub fn teaser(self) -> bool {
        self == Relation::FromTheField
    }
}

/// The words of the link to a related item shown as a teaser.
pub const TEASER_LINK: &str = "Story";

/// The heading of a measure's example.
pub const EXAMPLE_HEADING: &str = "Example";

/// One related item.
#[derive(Debug, Clone, PartialEq)]
pub struct Related {
    /// Its kind.
    pub kind: Kind,
    /// Its slug.
    pub slug: String,
    /// Its title.
    pub title: String,
    /// Its summary, if it has one.
    pub summary: Option<String>,
    /// Its media (for teasers).
    pub media: Vec<Figure>,
}

/// Everything an item's page or screen shows, in the order shown.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemView {
    /// The item's kind.
    pub kind: Kind,
    /// Its slug.
    pub slug: String,
    /// The locale the content is written in (may be a fallback).
    pub locale: Locale,
    /// The title.
    pub title: String,
    /// The summary, unless the body opens with it.
    pub summary: Option<String>,
    /// Facts shown under the title.
    pub facts: Vec<Fact>,
    /// The hero figure.
    pub hero: Option<Figure>,
    /// The body, with what it places put in place and the quotes it does
    /// not place after it.
    pub body: Vec<Block>,
    /// A measure's example, shown under [`EXAMPLE_HEADING`].
    pub example: Vec<Block>,
    /// A story's media.
    pub media: Vec<Figure>,
    /// Related items under their headings; none empty, none the body
    /// places.
    pub relations: Vec<(Relation, Vec<Related>)>,
    /// Topics: (slug, name in the reader's locale).
    pub topics: Vec<(String, String)>,
    /// The content file shown, relative to the content root, when the
    /// content is local (error messages name it).
    pub path: Option<std::path::PathBuf>,
    /// When the content last changed: its `updated`, else when its file
    /// last changed (its last commit in git, else its modification time),
    /// else its `publish_at`, else a story's `date`; `None` when nothing
    /// says (a sitemap or feed then gives no date rather than a false one).
    pub changed: Option<Timestamp>,
}

/// What the body of an item places, found by the front end that has it.
pub trait Placer {
    /// The text of an item placed in a body: its body, then its example.
    fn item(&mut self, kind: Kind, slug: &str) -> Option<Vec<Block>>;
}

/// `blocks` with every embed replaced by what it places: `quotes` by
/// number, items by `placer`. What cannot be placed (a hidden item) is
/// left out. Embeds inside what is placed are not followed, so an item
/// placing itself cannot loop. Bounded by the tree's depth.
pub fn place(blocks: &[Block], quotes: &[Quote], placer: &mut dyn Placer) -> Vec<Block> {
    let mut out = Vec::with_capacity(blocks.len());
    for block in blocks {
        match block {
            Block::Embed { embed: Embed::Quote { number } } => {
                if let Some(q) = number.checked_sub(1).and_then(|i| quotes.get(i)) {
                    out.extend(quote_blocks(q));
                }
            }
            Block::Embed { embed: Embed::Item { kind, slug } } => {
                if let Some(placed) = placer.item(*kind, slug) {
                    out.extend(placed.into_iter().filter(|b| !matches!(b, Block::Embed { .. })));
                }
            }
            Block::List { start, items } => out.push(Block::List {
                start: *start,
                items: items.iter().map(|item| place(item, quotes, placer)).collect(),
            }),
            Block::BlockQuote { blocks } => out.push(Block::BlockQuote { blocks: place(blocks, quotes, placer) }),
            other => out.push(other.clone()),
        }
    }
    out
}

/// A body of local content with what it places put in place, as `view`'s
/// audience sees it in `locale` (what an API answers as the body's HTML and
/// text). Quotes it does not place are not added.
pub fn placed_body(view: &View<'_>, blocks: &[Block], quotes: &[Quote], locale: &Locale) -> Vec<Block> {
    place(blocks, quotes, &mut LocalPlacer { view, locale })
}

/// A quote as blocks: its introduction, when it has one, then the quoted
/// words; otherwise the words, then who said them.
pub fn quote_blocks(q: &Quote) -> Vec<Block> {
    let text = |t: String| vec![Inline::Text { text: t }];
    let words = Block::Paragraph { content: text(q.text.clone()) };
    match &q.intro {
        Some(intro) => {
            vec![Block::Paragraph { content: text(intro.clone()) }, Block::BlockQuote { blocks: vec![words] }]
        }
        None => {
            let article = q.article.as_deref().map(|a| format!(", {a}")).unwrap_or_default();
            let source = Block::Paragraph { content: text(format!("— {}{article}", q.source)) };
            vec![Block::BlockQuote { blocks: vec![words, source] }]
        }
    }
}

/// What a body places, as the set of items and quote numbers.
#[derive(Debug, Default)]
pub struct Placed {
    items: HashSet<(Kind, String)>,
    quotes: HashSet<usize>,
}

impl Placed {
    /// What `blocks` place.
    pub fn of(blocks: &[Block]) -> Placed {
        let mut placed = Placed::default();
        for embed in embeds(blocks) {
            match embed {
                Embed::Item { kind, slug } => {
                    placed.items.insert((*kind, slug.clone()));
                }
                Embed::Quote { number } => {
                    placed.quotes.insert(*number);
                }
            }
        }
        placed
    }

    /// Whether the body places this item.
    pub fn item(&self, kind: Kind, slug: &str) -> bool {
        self.items.contains(&(kind, slug.to_owned()))
    }

    /// Whether the body places the quote numbered `number` (from 1).
    pub fn quote(&self, number: usize) -> bool {
        self.quotes.contains(&number)
    }
}

impl ItemView {
    /// An item's view with only what every kind has; the rest is filled by
    /// whoever builds it (this module for local content, the terminal's
    /// client from the API).
    pub fn new(kind: Kind, slug: &str, locale: Locale, title: &str) -> ItemView {
        ItemView {
            kind,
            slug: slug.to_owned(),
            locale,
            title: title.to_owned(),
            summary: None,
            facts: Vec::new(),
            hero: None,
            body: Vec::new(),
            example: Vec::new(),
            media: Vec::new(),
            relations: Vec::new(),
            topics: Vec::new(),
            path: None,
            changed: None,
        }
    }

    /// Sets the body from its raw blocks: places what it places, adds the
    /// quotes it does not place after it, drops the summary when the body
    /// opens with it and leaves placed items out of the relations. Call it
    /// after the summary and relations are set.
    pub fn set_body(&mut self, raw: &[Block], quotes: &[Quote], placer: &mut dyn Placer) {
        let placed = Placed::of(raw);
        let mut body = place(raw, quotes, placer);
        for (i, q) in quotes.iter().enumerate() {
            if !placed.quote(i + 1) {
                body.extend(quote_blocks(q));
            }
        }
        if self.summary.as_deref().is_some_and(|s| opens_with(&body, s)) {
            self.summary = None;
        }
        for (_, items) in &mut self.relations {
            items.retain(|r| !placed.item(r.kind, &r.slug));
        }
        self.relations.retain(|(_, items)| !items.is_empty());
        self.body = body;
    }

    /// The view of an item of local content as `view`'s audience sees it
    /// in `locale`, or `None` when there is no such item or it is hidden.
    pub fn build(view: &View<'_>, kind: Kind, slug: &str, locale: &Locale) -> Option<ItemView> {
        let mut placer = LocalPlacer { view, locale };
        let topics = |refs: &[tessera_core::Ref<tessera_core::Topic>]| -> Vec<(String, String)> {
            refs.iter()
                .filter_map(|r| view.snapshot().topic(r.slug()))
                .map(|t| (t.slug.clone(), t.names.get(locale).unwrap_or(&t.name).clone()))
                .collect()
        };
        let item = match kind {
            Kind::Page => {
                let doc = view.get::<Page>(slug, locale)?;
                let m = &doc.meta;
                let path = doc.path.clone();
                let changed = last_changed(doc.doc, None);
                let mut item = ItemView::new(kind, slug, doc.locale.clone(), &m.title);
                item.summary = m.summary.clone();
                item.hero = m.hero.as_ref().and_then(|h| {
                    view.media(h.media.slug(), locale)
                        .map(|md| Figure::of(h.media.slug(), &md.meta, h.caption.as_deref()))
                });
                item.relations = vec![
                    (Relation::FromTheField, related(view, &view.resolve::<Story>(&m.from_the_field, locale), locale)),
                    (Relation::Measures, related(view, &view.resolve::<Measure>(&m.measures, locale), locale)),
                    (Relation::Partners, related(view, &view.resolve::<Partner>(&m.partners, locale), locale)),
                ];
                item.topics = topics(&m.topics);
                item.path = Some(path);
                item.changed = changed;
                item.set_body(&view.body(doc.doc).blocks(), &m.quotes, &mut placer);
                item
            }
            Kind::Measure => {
                let doc = view.get::<Measure>(slug, locale)?;
                let m = &doc.meta;
                let path = doc.path.clone();
                let changed = last_changed(doc.doc, None);
                let mut item = ItemView::new(kind, slug, doc.locale.clone(), &m.title);
                if !m.partner_kinds.is_empty() {
                    item.facts.push(Fact::PartnerKinds(m.partner_kinds.clone()));
                }
                item.example = m.example.as_deref().map(|e| placer.markdown(e, &doc.locale)).unwrap_or_default();
                item.relations = vec![(
                    Relation::PresentedOn,
                    related(view, &view.referrers::<Measure, Page>(slug, locale), locale),
                )];
                item.topics = topics(&m.topics);
                item.path = Some(path);
                item.changed = changed;
                item.set_body(&view.body(doc.doc).blocks(), &[], &mut placer);
                item
            }
            Kind::Partner => {
                let doc = view.get::<Partner>(slug, locale)?;
                let m = &doc.meta;
                let path = doc.path.clone();
                let changed = last_changed(doc.doc, None);
                let mut item = ItemView::new(kind, slug, doc.locale.clone(), &m.name);
                item.facts.push(Fact::PartnerKind(m.kind));
                item.facts.extend(m.country.map(Fact::Country));
                item.facts.extend(m.website.as_deref().filter(|w| is_safe_url(w)).map(|w| Fact::Website(w.to_owned())));
                item.relations = vec![
                    (Relation::Stories, related(view, &view.referrers::<Partner, Story>(slug, locale), locale)),
                    (Relation::NamedOn, related(view, &view.referrers::<Partner, Page>(slug, locale), locale)),
                ];
                item.topics = topics(&m.topics);
                item.path = Some(path);
                item.changed = changed;
                item.set_body(&view.body(doc.doc).blocks(), &[], &mut placer);
                item
            }
            Kind::Story => {
                let doc = view.get::<Story>(slug, locale)?;
                let m = &doc.meta;
                let path = doc.path.clone();
                let changed = last_changed(doc.doc, m.date.as_ref());
                let mut item = ItemView::new(kind, slug, doc.locale.clone(), &m.title);
                item.summary = m.summary.clone();
                item.facts.extend(m.country.map(Fact::Country));
                item.facts.extend(m.date.as_ref().map(|d| Fact::Date(d.to_string())));
                item.media = story_media(view, m, locale);
                item.relations = vec![
                    (Relation::Partners, related(view, &view.resolve::<Partner>(&m.partners, locale), locale)),
                    (Relation::ToldOn, related(view, &view.referrers::<Story, Page>(slug, locale), locale)),
                ];
                item.topics = topics(&m.topics);
                item.path = Some(path);
                item.changed = changed;
                item.set_body(&view.body(doc.doc).blocks(), &[], &mut placer);
                item
            }
            Kind::Media | Kind::Topic => return None,
        };
        Some(item)
    }
}

/// When an item last changed: its `updated`, else when its file last
/// changed (its last commit, or its modification time), else its
/// `publish_at`, else the kind's own date (a story's `date`).
fn last_changed<T: Publishable>(doc: &tessera_core::Document<T>, own_date: Option<&Timestamp>) -> Option<Timestamp> {
    let meta = &doc.meta;
    meta.updated()
        .cloned()
        .or_else(|| doc.modified.map(Timestamp::from_instant))
        .or_else(|| meta.publish_at().or(own_date).cloned())
}

fn story_media(view: &View<'_>, story: &Story, locale: &Locale) -> Vec<Figure> {
    story
        .media
        .iter()
        .filter_map(|r| view.media(r.slug(), locale).map(|m| Figure::of(r.slug(), &m.meta, None)))
        .collect()
}

/// Related items of one kind, with what a teaser needs.
fn related<T: tessera_core::Item + Publishable + Summarised>(
    view: &View<'_>,
    docs: &[Localized<'_, T>],
    locale: &Locale,
) -> Vec<Related> {
    docs.iter()
        .map(|d| Related {
            kind: T::KIND,
            slug: d.slug.clone(),
            title: Publishable::title(&d.meta).to_owned(),
            summary: d.meta.summary().map(str::to_owned),
            media: d.meta.story().map(|s| story_media(view, s, locale)).unwrap_or_default(),
        })
        .collect()
}

/// What a related item contributes to a teaser.
trait Summarised {
    fn summary(&self) -> Option<&str> {
        None
    }
    fn story(&self) -> Option<&Story> {
        None
    }
}

impl Summarised for Page {
    fn summary(&self) -> Option<&str> {
        self.summary.as_deref()
    }
}
impl Summarised for Measure {}
impl Summarised for Partner {}
impl Summarised for Story {
    fn summary(&self) -> Option<&str> {
        self.summary.as_deref()
    }
    fn story(&self) -> Option<&Story> {
        Some(self)
    }
}

/// Places items of local content.
struct LocalPlacer<'v, 's> {
    view: &'v View<'s>,
    locale: &'v Locale,
}

impl LocalPlacer<'_, '_> {
    /// Markdown from a front-matter field, as blocks this audience may see.
    fn markdown(&self, text: &str, written_in: &Locale) -> Vec<Block> {
        let md = self.view.markdown(text, written_in);
        tessera_core::parse_blocks(&md, Some(&self.view.snapshot().site().base_url))
    }
}

impl Placer for LocalPlacer<'_, '_> {
    fn item(&mut self, kind: Kind, slug: &str) -> Option<Vec<Block>> {
        let view = self.view;
        let locale = self.locale;
        Some(match kind {
            Kind::Page => view.get::<Page>(slug, locale).map(|d| view.body(d.doc).blocks().to_vec())?,
            Kind::Measure => {
                let d = view.get::<Measure>(slug, locale)?;
                let mut blocks = view.body(d.doc).blocks().to_vec();
                if let Some(e) = &d.meta.example {
                    blocks.extend(self.markdown(e, &d.locale));
                }
                blocks
            }
            Kind::Partner => view.get::<Partner>(slug, locale).map(|d| view.body(d.doc).blocks().to_vec())?,
            Kind::Story => view.get::<Story>(slug, locale).map(|d| view.body(d.doc).blocks().to_vec())?,
            Kind::Media | Kind::Topic => return None,
        })
    }
}

/// "disabilities" → "Disabilities".
pub fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}
