//! What every output of one export shares: the audience's view, the
//! locales, the site map and how links are written.

use chrono::{DateTime, Utc};
use tessera_core::{Audience, Item, Kind, Locale, Measure, Page, Partner, Publishable, Status, Story, Timestamp, View};
use tessera_site::SiteMap;

pub(crate) struct Context<'s> {
    pub(crate) view: View<'s>,
    /// The site's address without a trailing `/`, for absolute links.
    pub(crate) base: String,
    /// The locales exported.
    pub(crate) locales: Vec<Locale>,
    pub(crate) default: Locale,
    /// Where every page lives: the one place addresses are built.
    pub(crate) map: SiteMap,
    /// Whether links in HTML are written relative to the page.
    pub(crate) relative: bool,
    /// The export's instant: a feed's date when no content has one.
    pub(crate) now: DateTime<Utc>,
    /// Whether a server renders the pages as they are asked for (its
    /// search box goes to the live search page), rather than an export.
    pub(crate) live: bool,
}

/// Why an item shown in preview is not public yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Unpublished {
    pub(crate) status: Status,
    /// Its embargo, when it has one.
    pub(crate) publish_at: Option<DateTime<Utc>>,
}

impl<'s> Context<'s> {
    pub(crate) fn new(
        view: View<'s>,
        base: &str,
        locales: Vec<Locale>,
        relative: bool,
        now: DateTime<Utc>,
        live: bool,
    ) -> Context<'s> {
        let default = view.snapshot().site().default_locale.clone();
        let map = SiteMap::new(view.snapshot().site());
        Context { view, base: base.trim_end_matches('/').to_owned(), locales, default, map, relative, now, live }
    }

    /// Where the search box of a page in `locale` sends its query: the live
    /// search page when served, else the site's search service, else the
    /// A to Z index, so that the box always leads somewhere.
    pub(crate) fn search_action(&self, locale: &Locale) -> String {
        if self.live {
            return SiteMap::SEARCH.to_owned();
        }
        match &self.view.snapshot().site().search_url {
            Some(url) => url.as_str().to_owned(),
            None => self.map.a_z(locale),
        }
    }

    /// Why an item this preview shows is not public yet; `None` when it is
    /// public, or when this is not a preview.
    pub(crate) fn unpublished(&self, kind: Kind, slug: &str, locale: &Locale) -> Option<Unpublished> {
        fn state<T: Item + Publishable>(view: &View<'_>, slug: &str, locale: &Locale) -> Option<Unpublished> {
            let doc = view.get::<T>(slug, locale)?;
            Some(Unpublished { status: doc.meta.status(), publish_at: doc.meta.publish_at().map(Timestamp::instant) })
        }
        if self.view.audience() != Audience::Preview {
            return None;
        }
        let state = match kind {
            Kind::Page => state::<Page>(&self.view, slug, locale),
            Kind::Measure => state::<Measure>(&self.view, slug, locale),
            Kind::Partner => state::<Partner>(&self.view, slug, locale),
            Kind::Story => state::<Story>(&self.view, slug, locale),
            Kind::Media | Kind::Topic => None,
        }?;
        let public = matches!(state.status, Status::Published | Status::Archived)
            && state.publish_at.is_none_or(|t| t <= self.view.now());
        (!public).then_some(state)
    }

    /// The address `to` as the page at the site address `from` writes it:
    /// as it is, or relative to the page when links are relative. Only site
    /// addresses (`/x`, not `//host/x`) change; a URL elsewhere, a fragment
    /// or an address written relative in the content stays as written.
    pub(crate) fn link(&self, from: &str, to: &str) -> String {
        if self.relative && to.starts_with('/') && !to.starts_with("//") {
            SiteMap::relative(from, to)
        } else {
            to.to_owned()
        }
    }

    /// The absolute URL of a site address (canonical, hreflang, feeds).
    pub(crate) fn url(&self, address: &str) -> String {
        format!("{}{address}", self.base)
    }

    /// Every exported locale's page of an item, where the item exists (by
    /// fallback); hreflang names the locale of the page.
    pub(crate) fn alternates(&self, kind: Kind, slug: &str) -> Vec<(Locale, String)> {
        self.locales
            .iter()
            .filter(|l| self.view.exists(kind, slug, l))
            .map(|l| (l.clone(), self.map.item(kind, slug, l)))
            .collect()
    }

    /// The same page in every exported locale, from its address in one.
    pub(crate) fn every_locale(&self, address: impl Fn(&Locale) -> String) -> Vec<(Locale, String)> {
        self.locales.iter().map(|l| (l.clone(), address(l))).collect()
    }

    /// The slugs of a kind with pages, in order.
    pub(crate) fn slugs(&self, kind: Kind) -> Vec<&'s str> {
        let snapshot = self.view.snapshot();
        match kind {
            Kind::Page => snapshot.collection::<Page>().slugs().collect(),
            Kind::Measure => snapshot.collection::<Measure>().slugs().collect(),
            Kind::Partner => snapshot.collection::<Partner>().slugs().collect(),
            Kind::Story => snapshot.collection::<Story>().slugs().collect(),
            Kind::Media | Kind::Topic => Vec::new(),
        }
    }

    /// The locales an item is written in, as this audience sees them.
    pub(crate) fn translations(&self, kind: Kind, slug: &str) -> Vec<Locale> {
        fn of<T: Item>(view: &View<'_>, slug: &str) -> Vec<Locale> {
            view.translations::<T>(slug).iter().map(|d| d.locale.clone()).collect()
        }
        match kind {
            Kind::Page => of::<Page>(&self.view, slug),
            Kind::Measure => of::<Measure>(&self.view, slug),
            Kind::Partner => of::<Partner>(&self.view, slug),
            Kind::Story => of::<Story>(&self.view, slug),
            Kind::Media | Kind::Topic => Vec::new(),
        }
    }
}
