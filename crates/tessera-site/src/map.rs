//! The site map: one place that builds and reads site addresses.

use tessera_core::{Kind, LinkTarget, Locale, Site};

/// Where the pages of a site live. Addresses are site-absolute paths
/// (`/fr/pages/slug/`); the default locale has no prefix.
#[derive(Debug, Clone)]
pub struct SiteMap {
    default: Locale,
    locales: Vec<Locale>,
}

/// What a site address names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    /// The home page of a locale.
    Home(Locale),
    /// The index of a kind.
    Index(Kind, Locale),
    /// One item's page.
    Item {
        /// Its kind.
        kind: Kind,
        /// Its slug.
        slug: String,
        /// The locale of the page.
        locale: Locale,
    },
    /// A topic's page.
    Topic(String, Locale),
}

impl SiteMap {
    /// The map of `site`.
    pub fn new(site: &Site) -> SiteMap {
        let mut locales = vec![site.default_locale.clone()];
        locales.extend(site.locales.iter().map(|l| l.code.clone()).filter(|l| *l != site.default_locale));
        SiteMap { default: site.default_locale.clone(), locales }
    }

    /// The map of a site known by its default locale and its locales, as a
    /// client of the API learns them.
    pub fn with_locales(default: Locale, locales: Vec<Locale>) -> SiteMap {
        let mut all = vec![default.clone()];
        all.extend(locales.into_iter().filter(|l| *l != default));
        SiteMap { default, locales: all }
    }

    /// The default locale, whose pages have no prefix.
    pub fn default_locale(&self) -> &Locale {
        &self.default
    }

    /// The folder prefix of a locale: "" for the default, "fr/" otherwise.
    pub fn prefix(&self, locale: &Locale) -> String {
        if *locale == self.default { String::new() } else { format!("{locale}/") }
    }

    /// The home page: `/` or `/fr/`.
    pub fn home(&self, locale: &Locale) -> String {
        format!("/{}", self.prefix(locale))
    }

    /// The index of a kind: `/fr/pages/`.
    pub fn index(&self, kind: Kind, locale: &Locale) -> String {
        format!("/{}{}/", self.prefix(locale), kind.folder())
    }

    /// An item's page: `/fr/pages/slug/`.
    pub fn item(&self, kind: Kind, slug: &str, locale: &Locale) -> String {
        format!("/{}{}/{slug}/", self.prefix(locale), kind.folder())
    }

    /// A topic's page: `/fr/topics/slug/`.
    pub fn topic(&self, slug: &str, locale: &Locale) -> String {
        format!("/{}topics/{slug}/", self.prefix(locale))
    }

    /// The A to Z index of every item: `/fr/a-z/`.
    pub fn a_z(&self, locale: &Locale) -> String {
        format!("/{}a-z/", self.prefix(locale))
    }

    /// The locale whose A to Z index is at `address`, if it is one.
    pub fn a_z_locale(&self, address: &str) -> Option<Locale> {
        self.locales.iter().find(|l| self.a_z(l) == address || format!("{}index.html", self.a_z(l)) == address).cloned()
    }

    /// The live search page, answered by `tessera serve` (a static export
    /// has none).
    pub const SEARCH: &'static str = "/search";

    /// The feed of stories: `/fr/feed.xml`.
    pub fn feed(&self, locale: &Locale) -> String {
        format!("/{}feed.xml", self.prefix(locale))
    }

    /// Where a body link written in a `locale` page goes: an item's page
    /// in that locale (with its fragment), a URL as written; `None` for
    /// what has no page (media, invalid targets). Whether the reader may
    /// see the item is for the caller's view to decide first.
    pub fn link(&self, target: &LinkTarget, locale: &Locale) -> Option<String> {
        match target {
            LinkTarget::Item { kind: Kind::Media | Kind::Topic, .. } | LinkTarget::Invalid { .. } => None,
            LinkTarget::Item { kind, slug, fragment } => {
                let mut href = self.item(*kind, slug, locale);
                if let Some(f) = fragment {
                    href.push('#');
                    href.push_str(f);
                }
                Some(href)
            }
            LinkTarget::Url { url } => Some(url.clone()),
        }
    }

    /// The output file that holds the page at `address`: a folder address
    /// gets its `index.html`.
    pub fn file(address: &str) -> String {
        let path = address.trim_start_matches('/');
        if path.is_empty() || path.ends_with('/') { format!("{path}index.html") } else { path.to_owned() }
    }

    /// The address of `to` as written on the page at `from`, relative to
    /// it, so that a copy of the site works from any folder or from
    /// `file://`: `/pages/x/` seen from `/fr/pages/y/` is
    /// `../../../pages/x/index.html`. Both are site addresses (they start
    /// with `/`); a folder address names its `index.html`, since a browser
    /// reading files does not add it. A query or fragment is kept.
    pub fn relative(from: &str, to: &str) -> String {
        let at = to.find(['?', '#']).unwrap_or(to.len());
        let (path, rest) = to.split_at(at);
        let from = Self::file(from.split(['?', '#']).next().unwrap_or(""));
        let target = Self::file(path);
        // The folders the page is in, and the target's folders and file.
        let mut from_folders: Vec<&str> = from.split('/').collect();
        from_folders.pop();
        let target_parts: Vec<&str> = target.split('/').collect();
        let target_folders = &target_parts[..target_parts.len().saturating_sub(1)];
        let common = from_folders.iter().zip(target_folders).take_while(|(a, b)| a == b).count();
        let mut out = "../".repeat(from_folders.len() - common);
        out.push_str(&target_parts[common..].join("/"));
        out.push_str(rest);
        out
    }

    /// What a site address names, if it names a page of this site.
    pub fn resolve(&self, address: &str) -> Option<Place> {
        let path = address.split(['?', '#']).next().unwrap_or("");
        let path = path.strip_suffix("index.html").unwrap_or(path);
        let mut parts: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        let locale = match parts.first().and_then(|p| Locale::parse(p).ok()) {
            Some(l) if self.locales.contains(&l) && l != self.default => {
                parts.remove(0);
                l
            }
            _ => self.default.clone(),
        };
        match parts.as_slice() {
            [] => Some(Place::Home(locale)),
            [folder] => {
                let kind = Kind::from_folder(folder).filter(|k| Kind::WITH_PAGES.contains(k))?;
                Some(Place::Index(kind, locale))
            }
            ["topics", slug] => Some(Place::Topic((*slug).to_owned(), locale)),
            [folder, slug] => {
                let kind = Kind::from_folder(folder).filter(|k| Kind::WITH_PAGES.contains(k))?;
                Some(Place::Item { kind, slug: (*slug).to_owned(), locale })
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map() -> SiteMap {
        let site: Site = toml_site();
        SiteMap::new(&site)
    }

    fn toml_site() -> Site {
        Site {
            title: "T".into(),
            base_url: "https://t.example/".into(),
            default_locale: locale("en"),
            locales: ["en", "fr"]
                .into_iter()
                .map(|c| tessera_core::LocaleConfig { code: locale(c), name: c.into(), fallback: Vec::new() })
                .collect(),
            transition_notice: None,
            search_label: None,
            search_url: None,
        }
    }

    fn locale(tag: &str) -> Locale {
        Locale::parse(tag).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn every_address_reads_back_as_what_it_names() {
        let map = map();
        for l in [locale("en"), locale("fr")] {
            assert_eq!(map.resolve(&map.home(&l)), Some(Place::Home(l.clone())));
            for kind in Kind::WITH_PAGES {
                assert_eq!(map.resolve(&map.index(kind, &l)), Some(Place::Index(kind, l.clone())));
                let place = Place::Item { kind, slug: "a-slug".into(), locale: l.clone() };
                assert_eq!(map.resolve(&map.item(kind, "a-slug", &l)), Some(place));
            }
            assert_eq!(map.resolve(&map.topic("health", &l)), Some(Place::Topic("health".into(), l.clone())));
        }
        assert_eq!(map.item(Kind::Page, "x", &locale("fr")), "/fr/pages/x/");
        assert_eq!(map.item(Kind::Page, "x", &locale("en")), "/pages/x/");
        assert_eq!(map.resolve("/de/pages/x/"), None, "a locale the site does not have");
        assert_eq!(map.resolve("/media/x/"), None, "media have no pages");
        assert_eq!(SiteMap::file("/fr/pages/x/"), "fr/pages/x/index.html");
        assert_eq!(SiteMap::file("/"), "index.html");
        assert_eq!(SiteMap::file("/fr/feed.xml"), "fr/feed.xml");
    }

    #[test]
    fn relative_addresses_climb_to_the_common_folder_and_name_the_file() {
        let cases = [
            ("/", "/style.css", "style.css"),
            ("/", "/pages/x/", "pages/x/index.html"),
            ("/pages/x/", "/style.css", "../../style.css"),
            ("/pages/x/", "/pages/y/", "../y/index.html"),
            ("/pages/x/", "/pages/x/", "index.html"),
            ("/pages/x/", "/pages/x/#part", "index.html#part"),
            ("/fr/pages/x/", "/fr/", "../../index.html"),
            ("/fr/pages/x/", "/pages/x/", "../../../pages/x/index.html"),
            ("/fr/pages/x/", "/fr/topics/t/?q=1#a", "../../topics/t/index.html?q=1#a"),
            ("/old/a.html", "/pages/welcome/", "../pages/welcome/index.html"),
            ("/a.html", "/fr/feed.xml", "fr/feed.xml"),
            ("/pages/x/index.html", "/pages/", "../index.html"),
        ];
        for (from, to, expected) in cases {
            assert_eq!(SiteMap::relative(from, to), expected, "{to} from {from}");
        }
    }

    #[test]
    fn a_relative_address_leads_back_to_the_file_it_names() {
        let map = map();
        let mut addresses = vec![map.home(&locale("en")), map.home(&locale("fr")), "/style.css".to_owned()];
        for l in [locale("en"), locale("fr")] {
            addresses.push(map.item(Kind::Story, "s", &l));
            addresses.push(map.index(Kind::Page, &l));
            addresses.push(map.topic("t", &l));
            addresses.push(map.feed(&l));
        }
        for from in &addresses {
            for to in &addresses {
                // Resolve the relative address as a browser would, from the
                // folder of the page's file.
                let mut folders: Vec<String> = SiteMap::file(from).split('/').map(str::to_owned).collect();
                folders.pop();
                for part in SiteMap::relative(from, to).split('/') {
                    match part {
                        ".." => {
                            folders.pop();
                        }
                        p => folders.push(p.to_owned()),
                    }
                }
                assert_eq!(folders.join("/"), SiteMap::file(to), "{to} from {from}");
            }
        }
    }

    #[test]
    fn body_links_go_to_the_page_in_the_readers_locale() {
        let map = map();
        let target = LinkTarget::Item { kind: Kind::Story, slug: "s".into(), fragment: Some("music".into()) };
        assert_eq!(map.link(&target, &locale("fr")).as_deref(), Some("/fr/stories/s/#music"));
        let media = LinkTarget::Item { kind: Kind::Media, slug: "m".into(), fragment: None };
        assert_eq!(map.link(&media, &locale("en")), None);
        let url = LinkTarget::Url { url: "https://x.example/".into() };
        assert_eq!(map.link(&url, &locale("en")).as_deref(), Some("https://x.example/"));
    }
}
