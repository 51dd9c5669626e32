//! The site as a whole: its settings, its locales and the topic taxonomy.

use async_graphql::{Object, SimpleObject};
use tessera_core as core;
use tessera_core::{Locale, Snapshot, View};

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
pub struct SiteObject<'a>(pub(crate) &'a Snapshot);

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
    /// Where a static site's search box sends its query, when the site
    /// names a search service (`tessera serve` answers at `/search`).
    async fn search_url(&self) -> Option<&str> {
        self.0.site().search_url.as_deref()
    }
}

/// A topic of the taxonomy.
pub struct TopicObject<'a> {
    pub(crate) topic: &'a core::Topic,
    pub(crate) locale: Locale,
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

/// The topics `refs` names, in `locale`; a topic that does not exist is left out.
pub(crate) fn topics_of<'a>(view: View<'a>, refs: &[core::Ref<core::Topic>], locale: &Locale) -> Vec<TopicObject<'a>> {
    refs.iter()
        .filter_map(|r| view.snapshot().topic(r.slug()))
        .map(|topic| TopicObject { topic, locale: locale.clone() })
        .collect()
}
