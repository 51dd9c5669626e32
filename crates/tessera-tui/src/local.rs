//! Screens from a local content folder, through the core's view.

use std::sync::Arc;

use tessera_core::{
    Audience, Country, Document, Item, Kind, Locale, Localized, Measure, Media, Page, Partner, Publishable, Ref,
    Snapshot, Story, Topic, View,
};
use tessera_search::{SearchIndex, SearchRequest};

use crate::data::{Figure, HomeData, ItemData, ItemLink, ListData, Location, SearchData, Source, SourceError};

/// Content read from a folder on this machine.
pub struct LocalSource {
    snapshot: Arc<Snapshot>,
    search: Option<SearchIndex>,
}

impl LocalSource {
    /// Reads through `snapshot` as the public sees it.
    pub fn new(snapshot: Arc<Snapshot>) -> LocalSource {
        LocalSource { snapshot, search: None }
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

fn figure(media: &Document<Media>, caption: Option<&str>) -> Figure {
    Figure {
        kind: media.meta.kind.as_str().to_owned(),
        alt: media.meta.alt.clone(),
        caption: caption.map(str::to_owned).or_else(|| media.meta.caption.clone()),
        credit: media.meta.credit.clone(),
        src: media.meta.src.as_ref().map(ToString::to_string),
    }
}

fn topics(view: View<'_>, refs: &[Ref<Topic>], locale: &Locale) -> Vec<(String, String)> {
    refs.iter()
        .filter_map(|r| view.snapshot().topic(r.slug()))
        .map(|t| (t.slug.clone(), t.names.get(locale).unwrap_or(&t.name).clone()))
        .collect()
}

fn base<T: Item>(view: View<'_>, doc: &Localized<'_, T>) -> ItemData {
    ItemData {
        kind: Some(T::KIND),
        slug: doc.slug.clone(),
        locale: doc.locale.to_string(),
        title: doc.meta.label().to_owned(),
        // Links to items the reader may not see are already text here.
        blocks: view.body(doc.doc).blocks.clone(),
        ..ItemData::default()
    }
}

impl Source for LocalSource {
    fn base_url(&mut self) -> String {
        self.snapshot.site().base_url.clone()
    }

    fn site_map(&mut self) -> Result<tessera_site::SiteMap, SourceError> {
        Ok(tessera_site::SiteMap::new(self.snapshot.site()))
    }

    fn home(&mut self, tag: &str) -> Result<HomeData, SourceError> {
        let locale = self.locale(tag);
        let view = self.view();
        let site = self.snapshot.site();
        let mut sections: Vec<(String, Vec<ItemLink>)> = Vec::new();
        for page in view.list::<Page>(&locale) {
            let section = page.meta.section.clone().map_or_else(|| "Pages".to_owned(), |s| capitalise(&s));
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

    fn item(&mut self, kind: Kind, slug: &str, tag: &str) -> Result<ItemData, SourceError> {
        let locale = self.locale(tag);
        let view = self.view();
        let not_found = || SourceError::NotFound(format!("{}/{slug}", kind.folder()));
        let data = match kind {
            Kind::Page => {
                let doc = view.get::<Page>(slug, &locale).ok_or_else(not_found)?;
                let mut data = base(view, &doc);
                data.summary = doc.meta.summary.clone();
                if let Some(section) = &doc.meta.section {
                    data.facts.push(("Section".into(), capitalise(section)));
                }
                data.hero = doc
                    .meta
                    .hero
                    .as_ref()
                    .and_then(|h| view.media(h.media.slug(), &locale).map(|m| figure(m.doc, h.caption.as_deref())));
                data.quotes = doc.meta.quotes.iter().map(|q| (q.text.clone(), q.source.clone())).collect();
                data.sections = vec![
                    ("Measures".into(), links(view.resolve::<Measure>(&doc.meta.measures, &locale))),
                    ("Partners".into(), links(view.resolve::<Partner>(&doc.meta.partners, &locale))),
                    ("From the field".into(), {
                        let stories = view.resolve::<Story>(&doc.meta.from_the_field, &locale);
                        stories.iter().map(|s| link(s, s.meta.summary.clone())).collect()
                    }),
                ];
                data.topics = topics(view, &doc.meta.topics, &locale);
                data
            }
            Kind::Measure => {
                let doc = view.get::<Measure>(slug, &locale).ok_or_else(not_found)?;
                let mut data = base(view, &doc);
                if !doc.meta.partner_kinds.is_empty() {
                    let kinds: Vec<&str> = doc.meta.partner_kinds.iter().map(|k| k.label()).collect();
                    data.facts.push(("Partners".into(), kinds.join(", ")));
                }
                data.example = doc.meta.example.as_deref().map(|e| view.markdown(e, &doc.locale).into_owned());
                data.sections = vec![("Presented on".into(), links(view.referrers::<Measure, Page>(slug, &locale)))];
                data.topics = topics(view, &doc.meta.topics, &locale);
                data
            }
            Kind::Partner => {
                let doc = view.get::<Partner>(slug, &locale).ok_or_else(not_found)?;
                let mut data = base(view, &doc);
                data.facts.push(("Kind".into(), doc.meta.kind.label().to_owned()));
                if let Some(c) = doc.meta.country {
                    data.facts.push(("Country".into(), c.to_string()));
                }
                if let Some(w) = &doc.meta.website {
                    data.facts.push(("Website".into(), w.to_string()));
                }
                data.sections = vec![
                    ("Stories".into(), links(view.referrers::<Partner, Story>(slug, &locale))),
                    ("Named on".into(), links(view.referrers::<Partner, Page>(slug, &locale))),
                ];
                data.topics = topics(view, &doc.meta.topics, &locale);
                data
            }
            Kind::Story => {
                let doc = view.get::<Story>(slug, &locale).ok_or_else(not_found)?;
                let mut data = base(view, &doc);
                data.summary = doc.meta.summary.clone();
                if let Some(c) = doc.meta.country {
                    data.facts.push(("Country".into(), c.to_string()));
                }
                if let Some(d) = &doc.meta.date {
                    data.facts.push(("Date".into(), d.to_string()));
                }
                data.media = doc
                    .meta
                    .media
                    .iter()
                    .filter_map(|m| view.media(m.slug(), &locale))
                    .map(|m| figure(m.doc, None))
                    .collect();
                data.sections = vec![
                    ("Partners".into(), links(view.resolve::<Partner>(&doc.meta.partners, &locale))),
                    ("Told on".into(), links(view.referrers::<Story, Page>(slug, &locale))),
                ];
                data.topics = topics(view, &doc.meta.topics, &locale);
                data
            }
            Kind::Media | Kind::Topic => return Err(not_found()),
        };
        Ok(data)
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
                format!("Country: {code}")
            }
            other => return Err(SourceError::Message(format!("{} is not a list", other.label()))),
        };
        Ok(ListData { title, items })
    }

    fn search(&mut self, query: &str, kind: Option<Kind>, tag: &str) -> Result<SearchData, SourceError> {
        let locale = self.locale(tag);
        if self.search.is_none() {
            let (index, _) = SearchIndex::build(&self.snapshot, Audience::Public, chrono::Utc::now(), None)
                .map_err(|e| SourceError::Message(e.to_string()))?;
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

pub(crate) fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(first) => first.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}
