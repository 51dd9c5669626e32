//! The items: pages, measures, partners, stories and media, each a thin
//! wrapper over a localized core document and the request's view, and the
//! `Node` interface that finds any of them by global ID.

use async_graphql::{Enum, ID, Interface, Object, SimpleObject};
use tessera_core as core;
use tessera_core::{Item, Kind, Locale, Localized, View};
use tessera_site::SiteMap;

use super::body::BodyObject;
use super::pagination::{Total, connection_type};
use super::site::{TopicObject, topics_of};

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

/// One locale an item is written in.
#[derive(SimpleObject)]
pub struct Translation {
    /// The locale tag.
    locale: String,
    /// The item's slug (the same in every locale).
    slug: String,
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
        async fn id(&self) -> ID {
            global_id(Self::KIND, &self.doc.slug)
        }
        /// The slug, the same in every locale.
        async fn slug(&self) -> &str {
            &self.doc.slug
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
            BodyObject {
                body: self.view.body(self.doc.doc),
                quotes: Quotes::quotes(&self.doc.doc.meta),
                locale: self.doc.requested.clone(),
                tree: std::sync::OnceLock::new(),
            }
        }
        /// Editorial state (only preview ever sees other than published or archived).
        async fn status(&self) -> Status {
            self.doc.meta.status.into()
        }
        /// Embargo instant, as written.
        async fn publish_at(&self) -> Option<&str> {
            self.doc.meta.publish_at.as_ref().map(|t| t.as_str())
        }
        /// When the content last changed: `updated` as written in the
        /// front matter, else when its file last changed (its last commit
        /// when the content is a git repository, else its modification
        /// time), in RFC 3339; null only when nothing says.
        async fn updated(&self) -> Option<String> {
            match &self.doc.meta.updated {
                Some(t) => Some(t.as_str().to_owned()),
                None => self.doc.modified.map(|m| core::Timestamp::from_instant(m).as_str().to_owned()),
            }
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
pub(crate) fn item_path(view: View<'_>, kind: Kind, slug: &str, locale: &Locale) -> String {
    SiteMap::new(view.snapshot().site()).item(kind, slug, locale)
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

pub(crate) fn wrap_all<'a, W: Wrapper<'a>>(docs: Vec<Localized<'a, W::Model>>, view: View<'a>) -> Vec<W> {
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
    /// The example as the typed block tree in JSON, the same shape as a
    /// body's `blocksJson`: links to items the reader may not see are
    /// their text, and addresses of the site's own pages are item links.
    async fn example_blocks_json(
        &self,
        ctx: &async_graphql::Context<'_>,
    ) -> async_graphql::Result<Option<async_graphql::Json<Vec<core::Block>>>> {
        let Some(example) = self.doc.meta.example.as_deref() else { return Ok(None) };
        super::charge(ctx, example.len().saturating_mul(8))?;
        let markdown = self.view.markdown(example, &self.doc.locale);
        let base = &self.view.snapshot().site().base_url;
        Ok(Some(async_graphql::Json(core::parse_blocks(&markdown, Some(base)))))
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

connection_type!(
    /// A page of the pages that match, in the Relay connection shape;
    /// `totalCount` counts them all.
    PageConnection, "PageConnection", PageObject, Total
);
connection_type!(
    /// A page of the measures that match, in the Relay connection shape;
    /// `totalCount` counts them all.
    MeasureConnection, "MeasureConnection", MeasureObject, Total
);
connection_type!(
    /// A page of the partners that match, in the Relay connection shape;
    /// `totalCount` counts them all.
    PartnerConnection, "PartnerConnection", PartnerObject, Total
);
connection_type!(
    /// A page of the stories that match, in the Relay connection shape;
    /// `totalCount` counts them all.
    StoryConnection, "StoryConnection", StoryObject, Total
);

/// An image, video, audio or document asset.
pub struct MediaObject<'a> {
    doc: Localized<'a, core::Media>,
}

/// An image, video, audio or document asset.
#[Object(name = "Media")]
impl MediaObject<'_> {
    /// The global ID.
    async fn id(&self) -> ID {
        global_id(Kind::Media, &self.doc.slug)
    }
    /// The slug.
    async fn slug(&self) -> &str {
        &self.doc.slug
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

/// The quotes a body may place: a page's; other kinds have none.
pub(crate) trait Quotes {
    fn quotes(&self) -> &[core::Quote] {
        &[]
    }
}

impl Quotes for core::Page {
    fn quotes(&self) -> &[core::Quote] {
        &self.quotes
    }
}
impl Quotes for core::Measure {}
impl Quotes for core::Partner {}
impl Quotes for core::Story {}

/// Anything with a global ID.
#[derive(Interface)]
#[graphql(
    field(name = "id", ty = "ID", desc = "The global ID, for `node(id:)`."),
    field(name = "slug", ty = "&str", desc = "The slug, the same in every locale.")
)]
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

fn global_id(kind: Kind, slug: &str) -> ID {
    ID(format!("{}:{slug}", kind.name()))
}

/// The item of `kind` named `slug`, in `locale` or its fallback, when the view shows it.
pub(crate) fn node_for<'a>(view: View<'a>, kind: Kind, slug: &str, locale: &Locale) -> Option<Node<'a>> {
    Some(match kind {
        Kind::Page => Node::Page(PageObject::wrap(view.get(slug, locale)?, view)),
        Kind::Measure => Node::Measure(MeasureObject::wrap(view.get(slug, locale)?, view)),
        Kind::Partner => Node::Partner(PartnerObject::wrap(view.get(slug, locale)?, view)),
        Kind::Story => Node::Story(StoryObject::wrap(view.get(slug, locale)?, view)),
        Kind::Media => Node::Media(MediaObject { doc: view.media(slug, locale)? }),
        Kind::Topic => return None,
    })
}
