//! Screens from a local content folder, through the core's view.

use std::sync::Arc;

use tessera_core::{
    Audience, Country, Item, Kind, Locale, Localized, Measure, Page, Partner, Publishable, Snapshot, Story, View,
};
use tessera_search::{SearchIndex, SearchRequest};
use tessera_site::ItemView;

use crate::data::{HomeData, ItemLink, ListData, Location, SearchData, Source, SourceError};

/// Content read from a folder on this machine.
pub struct LocalSource {
    snapshot: Arc<Snapshot>,
    search: Option<SearchIndex>,
    /// Where the search index is kept between starts, if anywhere.
    search_cache: Option<std::path::PathBuf>,
}

impl LocalSource {
    /// Reads through `snapshot` as the public sees it.
    pub fn new(snapshot: Arc<Snapshot>) -> LocalSource {
        LocalSource { snapshot, search: None, search_cache: None }
    }

    /// Keeps the search index in `dir` (when given), so that the first
    /// search of the next start on the same content does not build it
    /// again; one that cannot be kept there is made in memory.
    pub fn with_search_cache(mut self, dir: Option<std::path::PathBuf>) -> LocalSource {
        self.search_cache = dir;
        self
    }

    /// The site's default locale.
    pub(crate) fn default_locale(&self) -> String {
        self.snapshot.site().default_locale.to_string()
    }

    fn view(&self) -> View<'_> {
        self.snapshot.view(Audience::Public, chrono::Utc::now())
    }

    fn locale(&self, tag: &str) -> Locale {
        Locale::parse(tag).unwrap_or_else(|_| self.snapshot.site().default_locale.clone())
    }
}

fn link<T: Item>(doc: &Localized<'_, T>, note: Option<String>) -> ItemLink {
    ItemLink { kind: T::KIND, slug: doc.slug.clone(), title: doc.meta.label().to_owned(), note }
}

fn links<T: Item + Publishable>(docs: Vec<Localized<'_, T>>) -> Vec<ItemLink> {
    docs.iter().map(|d| link(d, None)).collect()
}

impl Source for LocalSource {
    fn base_url(&mut self) -> Result<String, SourceError> {
        Ok(self.snapshot.site().base_url.clone())
    }

    fn site_map(&mut self) -> Result<tessera_site::SiteMap, SourceError> {
        Ok(tessera_site::SiteMap::new(self.snapshot.site()))
    }

    fn old_address(&mut self, address: &str) -> Result<Option<crate::data::OldRoute>, SourceError> {
        use crate::data::OldRoute;
        use tessera_core::LegacyRoute;
        let map = tessera_site::SiteMap::new(self.snapshot.site());
        let page = |p: &tessera_core::Localized<'_, tessera_core::Page>| map.item(Kind::Page, &p.slug, &p.requested);
        Ok(self.view().old_address(address).map(|old| match &old.route {
            LegacyRoute::Moved(p) => OldRoute::Moved(page(p)),
            LegacyRoute::Pending { .. } => OldRoute::Pending { title: old.title().map(str::to_owned) },
            LegacyRoute::Retired { instead } => OldRoute::Retired { instead: instead.as_ref().map(page) },
        }))
    }

    fn home(&mut self, tag: &str) -> Result<HomeData, SourceError> {
        let locale = self.locale(tag);
        let view = self.view();
        let site = self.snapshot.site();
        let mut sections: Vec<(String, Vec<ItemLink>)> = Vec::new();
        for page in view.list::<Page>(&locale) {
            let section =
                page.meta.section.clone().map_or_else(|| "Pages".to_owned(), |s| tessera_site::capitalise(&s));
            let entry = link(&page, page.meta.summary.clone());
            match sections.iter_mut().find(|(s, _)| *s == section) {
                Some((_, list)) => list.push(entry),
                None => sections.push((section, vec![entry])),
            }
        }
        Ok(HomeData {
            title: site.title.clone(),
            notice: site.transition_notice.clone(),
            search_label: site.search_label.clone(),
            sections,
            topics: self
                .snapshot
                .topics()
                .iter()
                .map(|t| (t.slug.clone(), t.names.get(&locale).unwrap_or(&t.name).clone()))
                .collect(),
            locales: self.snapshot.locales().iter().map(ToString::to_string).collect(),
        })
    }

    fn item(&mut self, kind: Kind, slug: &str, tag: &str) -> Result<ItemView, SourceError> {
        let locale = self.locale(tag);
        ItemView::build(&self.view(), kind, slug, &locale)
            .ok_or_else(|| SourceError::NotFound(format!("{}/{slug}", kind.folder())))
    }

    fn list(&mut self, location: &Location, tag: &str) -> Result<ListData, SourceError> {
        let locale = self.locale(tag);
        let view = self.view();
        let mut items = Vec::new();
        let title = match location {
            Location::Kind(kind) => {
                match kind {
                    Kind::Page => {
                        items.extend(view.list::<Page>(&locale).iter().map(|d| link(d, d.meta.summary.clone())))
                    }
                    Kind::Measure => items.extend(links(view.list::<Measure>(&locale))),
                    Kind::Partner => items.extend(
                        view.list::<Partner>(&locale).iter().map(|d| link(d, Some(d.meta.kind.label().to_owned()))),
                    ),
                    Kind::Story => {
                        items.extend(view.list::<Story>(&locale).iter().map(|d| link(d, d.meta.summary.clone())))
                    }
                    _ => {}
                }
                format!("All {}", kind.folder())
            }
            Location::Topic(topic) => {
                let name = self
                    .snapshot
                    .topic(topic)
                    .map_or_else(|| topic.clone(), |t| t.names.get(&locale).unwrap_or(&t.name).clone());
                items.extend(links(view.with_topic::<Page>(topic, &locale)));
                items.extend(links(view.with_topic::<Measure>(topic, &locale)));
                items.extend(links(view.with_topic::<Partner>(topic, &locale)));
                items.extend(links(view.with_topic::<Story>(topic, &locale)));
                format!("Topic: {name}")
            }
            Location::Country(code) => {
                let country = Country::parse(code).map_err(|e| SourceError::Message(e.to_string()))?;
                items.extend(links(view.in_country::<Partner>(country, &locale)));
                items.extend(links(view.in_country::<Story>(country, &locale)));
                // A reader knows the country by its name, not its code.
                format!("Country: {}", country.name())
            }
            other => return Err(SourceError::Message(format!("{} is not a list", other.label()))),
        };
        Ok(ListData { title, items })
    }

    fn search(&mut self, query: &str, kind: Option<Kind>, tag: &str) -> Result<SearchData, SourceError> {
        let locale = self.locale(tag);
        if self.search.is_none() {
            let now = chrono::Utc::now();
            let built = match SearchIndex::build(&self.snapshot, Audience::Public, now, self.search_cache.as_deref()) {
                Err(tessera_search::SearchError::Cache { .. }) => {
                    SearchIndex::build(&self.snapshot, Audience::Public, now, None)
                }
                built => built,
            };
            let (index, _) = built.map_err(|e| SourceError::Message(e.to_string()))?;
            self.search = Some(index);
        }
        let Some(index) = &self.search else { return Err(SourceError::Message("search is unavailable".into())) };
        let mut request = SearchRequest::new(query, locale);
        request.limit = 20;
        request.kinds = kind.into_iter().collect();
        let results = index.search(&request).map_err(|e| SourceError::Message(e.to_string()))?;
        Ok(SearchData {
            query: query.to_owned(),
            total: results.total,
            hits: results
                .hits
                .iter()
                .map(|h| ItemLink {
                    kind: h.kind,
                    slug: h.slug.clone(),
                    title: h.title.clone(),
                    note: Some(h.snippet.marked("\u{2}", "\u{3}", str::to_owned)),
                })
                .collect(),
            kinds: results
                .facets
                .kinds
                .iter()
                .filter_map(|f| crate::data::kind_named(&f.value).map(|k| (k, f.count)))
                .collect(),
            countries: results.facets.countries.iter().map(|f| (f.value.clone(), f.count)).collect(),
        })
    }
}
