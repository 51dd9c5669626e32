//! What every output of one export shares: the audience's view, the
//! locales, the site map and how links are written.

use chrono::{DateTime, Utc};
use tessera_core::{Item, Kind, Locale, Measure, Page, Partner, Story, View};
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
}

impl<'s> Context<'s> {
    pub(crate) fn new(
        view: View<'s>,
        base: &str,
        locales: Vec<Locale>,
        relative: bool,
        now: DateTime<Utc>,
    ) -> Context<'s> {
        let default = view.snapshot().site().default_locale.clone();
        let map = SiteMap::new(view.snapshot().site());
        Context { view, base: base.trim_end_matches('/').to_owned(), locales, default, map, relative, now }
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
