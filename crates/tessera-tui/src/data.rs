//! What a screen shows, whichever source it came from.

use tessera_core::Kind;

/// Where the reader is: the address of a screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// The home screen.
    Home,
    /// One item.
    Item {
        /// Its kind.
        kind: Kind,
        /// Its slug.
        slug: String,
    },
    /// Every item of a kind.
    Kind(Kind),
    /// Items filed under a topic.
    Topic(String),
    /// Items about a country.
    Country(String),
    /// Search results.
    Search {
        /// The words searched for.
        query: String,
        /// Only this kind, when set.
        kind: Option<Kind>,
    },
}

impl Location {
    /// A short, human label for history lists.
    pub fn label(&self) -> String {
        match self {
            Location::Home => "home".to_owned(),
            Location::Item { kind, slug } => format!("{}/{slug}", kind.folder()),
            Location::Kind(kind) => format!("all {}", kind.folder()),
            Location::Topic(t) => format!("topic {t}"),
            Location::Country(c) => format!("country {}", country_name(c)),
            Location::Search { query, kind: None } => format!("search \"{query}\""),
            Location::Search { query, kind: Some(k) } => format!("search \"{query}\" in {}", k.folder()),
        }
    }
}

/// Why a screen could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// No such item, or not visible.
    #[error("{0} was not found")]
    NotFound(String),
    /// The server could not be reached and nothing is cached.
    #[error("cannot reach {url}: {reason} (and nothing is cached for this page)")]
    Unreachable {
        /// The server.
        url: String,
        /// What went wrong.
        reason: String,
    },
    /// The server answered something that is not this API.
    #[error("the server answered something unexpected: {0}")]
    Protocol(String),
    /// A bad search, or another message worth showing as is.
    #[error("{0}")]
    Message(String),
}

/// A link to an item with its title (and a line about it).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ItemLink {
    /// The kind.
    pub kind: Kind,
    /// The slug.
    pub slug: String,
    /// Its title.
    pub title: String,
    /// A summary, a snippet or a kind label.
    pub note: Option<String>,
}

/// What the home screen shows.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct HomeData {
    /// The site's title.
    pub title: String,
    /// The transition notice.
    pub notice: Option<String>,
    /// The search label.
    pub search_label: Option<String>,
    /// Pages by section.
    pub sections: Vec<(String, Vec<ItemLink>)>,
    /// Topics: (slug, name).
    pub topics: Vec<(String, String)>,
    /// Enabled locales.
    pub locales: Vec<String>,
}

/// A list of items.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ListData {
    /// What the list is.
    pub title: String,
    /// The items.
    pub items: Vec<ItemLink>,
}

/// Search results.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SearchData {
    /// The words searched for.
    pub query: String,
    /// How many items match.
    pub total: usize,
    /// The hits, snippet in `note` with matches in [brackets].
    pub hits: Vec<ItemLink>,
    /// Counts by kind: (kind, count).
    pub kinds: Vec<(Kind, u64)>,
    /// Counts by country.
    pub countries: Vec<(String, u64)>,
}

/// Where screens come from: the local folder or a remote server.
pub trait Source {
    /// The home screen's data.
    fn home(&mut self, locale: &str) -> Result<HomeData, SourceError>;
    /// One item.
    fn item(&mut self, kind: Kind, slug: &str, locale: &str) -> Result<tessera_site::ItemView, SourceError>;
    /// A list: every item of a kind, of a topic or of a country.
    fn list(&mut self, location: &Location, locale: &str) -> Result<ListData, SourceError>;
    /// A search.
    fn search(&mut self, query: &str, kind: Option<Kind>, locale: &str) -> Result<SearchData, SourceError>;
    /// The site's address, to make link addresses absolute.
    fn base_url(&mut self) -> Result<String, SourceError> {
        Ok(String::new())
    }
    /// Where the site's pages live, for the addresses `read` prints.
    fn site_map(&mut self) -> Result<tessera_site::SiteMap, SourceError>;
    /// Where an old address of the site (in any form) stands; `None` when
    /// it is not one the site knows.
    fn old_address(&mut self, address: &str) -> Result<Option<OldRoute>, SourceError>;
    /// Bytes sent and received over the network so far (0 for local content).
    fn bytes_fetched(&self) -> u64 {
        0
    }
    /// Whether the last screen came from the offline cache.
    fn offline(&self) -> bool {
        false
    }
    /// Whether screens shown so far may be provisional: the content is
    /// still loading.
    fn pending(&self) -> bool {
        false
    }
    /// Looks, without waiting, whether what was pending has arrived; true
    /// when it has, and the screen should be asked for again.
    fn poll(&mut self) -> bool {
        false
    }
}

/// Where an old address of the site stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OldRoute {
    /// It moved to this site address.
    Moved(String),
    /// Not on the new site yet.
    Pending {
        /// The old page's title, when known.
        title: Option<String>,
    },
    /// Gone on purpose.
    Retired {
        /// The site address of the page to look at instead, if any.
        instead: Option<String>,
    },
}

/// The name of the country a code names, or the code as given when it
/// names none (a code from a server is not trusted to be one).
pub(crate) fn country_name(code: &str) -> &str {
    tessera_core::Country::parse(code).map_or(code, |c| c.name())
}

/// The kind with pages of its own that a folder name or GraphQL type name
/// names.
pub(crate) fn kind_named(name: &str) -> Option<Kind> {
    name.parse::<Kind>().ok().filter(|k| Kind::WITH_PAGES.contains(k))
}
