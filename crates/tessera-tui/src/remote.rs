//! Screens from a remote Tessera server, for slow and metered links: only
//! the fields a screen shows, persisted-query GETs (the query travels once),
//! gzip, ETag revalidation, and an on-disk cache that works offline.
//!
//! Every query is a `.graphql` file in `queries/`, checked against the
//! committed SDL when the crate is built ([`queries`]); answers are read
//! into the generated types, and one that lacks a field or has it with
//! another type is a [`SourceError::Protocol`] naming it.

mod queries;

use std::collections::HashMap;
use std::io::Read;
use std::path::PathBuf;
use std::time::Duration;

use graphql_client::GraphQLQuery;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use tessera_core::{Block, Country, Kind, Locale, Quote, is_safe_url};
use tessera_site::{Fact, Figure, ItemView, Placer, Related, Relation, capitalise};

use crate::data::{HomeData, ItemLink, ListData, Location, SearchData, Source, SourceError, country_name, kind_named};
use queries::{
    Base, Country as CountryList, Home, ItemKind, ListMeasures, ListPages, ListPartners, ListStories, Locales, Measure,
    MediaKind, OldAddress, Page, Partner, PlacedMeasure, PlacedPage, PlacedPartner, PlacedStory, Search, Story, Topic,
};

/// Content read from a Tessera GraphQL server.
pub struct RemoteSource {
    endpoint: String,
    agent: ureq::Agent,
    cache_dir: Option<PathBuf>,
    bytes: u64,
    offline: bool,
}

/// What a query-string value keeps as it is: letters, digits and the
/// characters a query may hold unescaped (`:` and `,` are common in JSON,
/// and each escape costs two bytes on a metered link).
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~')
    .remove(b':')
    .remove(b',')
    .remove(b'@')
    .remove(b'!')
    .remove(b'$')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')')
    .remove(b'*')
    .remove(b';')
    .remove(b'/');

fn percent_encode(s: &str) -> String {
    utf8_percent_encode(s, QUERY_VALUE).to_string()
}

/// An answer kept on disk, revalidated by its ETag.
#[derive(Serialize, Deserialize)]
struct CacheEntry {
    etag: String,
    body: String,
}

/// No locale means the site's default: the server knows it, and the
/// variable would only cost bytes.
fn locale_var(locale: &str) -> Option<String> {
    (!locale.is_empty()).then(|| locale.to_owned())
}

/// A locale tag from the server.
fn locale_of(tag: &str) -> Result<Locale, SourceError> {
    Locale::parse(tag).map_err(|e| SourceError::Protocol(format!("the locale `{tag}`: {e}")))
}

/// A country code from the server.
fn country_of(code: &str) -> Result<Country, SourceError> {
    Country::parse(code).map_err(|e| SourceError::Protocol(format!("the country `{code}`: {e}")))
}

/// A body's block tree, as `blocksJson` carries it.
fn blocks(json: queries::JSON) -> Result<Vec<Block>, SourceError> {
    serde_json::from_value(json).map_err(|e| SourceError::Protocol(format!("a body this client cannot read: {e}")))
}

/// A measure's example, as the block tree the server parsed (it knows the
/// site's address, which makes links to the site's own pages item links).
fn example(json: Option<queries::JSON>) -> Result<Vec<Block>, SourceError> {
    json.map_or_else(|| Ok(Vec::new()), blocks)
}

/// A figure as the item view shows it: a blank text alternative is none,
/// and an address that is not safe to link is not linked.
fn figure(
    slug: String,
    kind: MediaKind,
    alt: Option<String>,
    caption: Option<String>,
    credit: Option<String>,
    src: Option<String>,
) -> Figure {
    Figure {
        slug,
        kind: kind.into(),
        alt: alt.filter(|a| !a.trim().is_empty()),
        caption,
        credit,
        src: src.filter(|s| is_safe_url(s)),
    }
}

/// A related item with only a title.
fn titled(kind: Kind, slug: String, title: String) -> Related {
    Related { kind, slug, title, summary: None, media: Vec::new() }
}

/// The related items an answer brought, by the field they came in.
#[derive(Default)]
struct RelatedLists {
    measures: Option<Vec<Related>>,
    partners: Option<Vec<Related>>,
    from_the_field: Option<Vec<Related>>,
    stories: Option<Vec<Related>>,
    pages: Option<Vec<Related>>,
}

/// The relations an item of `kind` shows, from the lists its answer
/// brought. Every relation is matched by name: a new one does not compile
/// until this client says where the API lists it.
fn relations(kind: Kind, mut lists: RelatedLists) -> Result<Vec<(Relation, Vec<Related>)>, SourceError> {
    Relation::of(kind)
        .iter()
        .map(|&relation| {
            let (field, list) = match relation {
                Relation::Measures => ("measures", lists.measures.take()),
                Relation::Partners => ("partners", lists.partners.take()),
                Relation::FromTheField => ("fromTheField", lists.from_the_field.take()),
                Relation::Stories => ("stories", lists.stories.take()),
                Relation::PresentedOn | Relation::NamedOn | Relation::ToldOn => ("pages", lists.pages.take()),
            };
            list.map(|l| (relation, l))
                .ok_or_else(|| SourceError::Protocol(format!("no `{field}` in the answer for a {}", kind.name())))
        })
        .collect()
}

/// Places items in a body: those the answer brought, else one query each.
/// The first error is kept, so a body is never shown silently short.
struct RemotePlacer<'r> {
    source: &'r mut RemoteSource,
    locale: Option<String>,
    known: HashMap<(Kind, String), Vec<Block>>,
    error: Option<SourceError>,
}

impl RemotePlacer<'_> {
    /// The text of a placed item, `None` when the reader may not see it.
    fn fetch(&mut self, kind: Kind, slug: &str) -> Result<Option<Vec<Block>>, SourceError> {
        let slug = slug.to_owned();
        let locale = self.locale.clone();
        let source = &mut *self.source;
        Ok(match kind {
            Kind::Page => match source.call::<PlacedPage>(queries::placed_page::Variables { slug, locale })?.item {
                Some(i) => Some(blocks(i.body.blocks_json)?),
                None => None,
            },
            Kind::Measure => {
                match source.call::<PlacedMeasure>(queries::placed_measure::Variables { slug, locale })?.item {
                    Some(i) => {
                        let mut text = blocks(i.body.blocks_json)?;
                        text.extend(example(i.example_blocks_json)?);
                        Some(text)
                    }
                    None => None,
                }
            }
            Kind::Partner => {
                match source.call::<PlacedPartner>(queries::placed_partner::Variables { slug, locale })?.item {
                    Some(i) => Some(blocks(i.body.blocks_json)?),
                    None => None,
                }
            }
            Kind::Story => match source.call::<PlacedStory>(queries::placed_story::Variables { slug, locale })?.item {
                Some(i) => Some(blocks(i.body.blocks_json)?),
                None => None,
            },
            Kind::Media | Kind::Topic => None,
        })
    }
}

impl Placer for RemotePlacer<'_> {
    fn item(&mut self, kind: Kind, slug: &str) -> Option<Vec<Block>> {
        if let Some(blocks) = self.known.get(&(kind, slug.to_owned())) {
            return Some(blocks.clone());
        }
        if self.error.is_some() {
            return None;
        }
        self.fetch(kind, slug).unwrap_or_else(|e| {
            self.error = Some(e);
            None
        })
    }
}

impl RemoteSource {
    /// Reads from the GraphQL endpoint `endpoint` (e.g.
    /// `http://127.0.0.1:8080/graphql`), caching answers in `cache_dir`.
    pub fn new(endpoint: &str, cache_dir: Option<PathBuf>) -> Result<RemoteSource, SourceError> {
        let endpoint = endpoint.trim_end_matches('/').to_owned();
        let endpoint = if endpoint.ends_with("/graphql") { endpoint } else { format!("{endpoint}/graphql") };
        if !(endpoint.starts_with("http://") || endpoint.starts_with("https://")) {
            return Err(SourceError::Message(format!("`{endpoint}` is not an http:// or https:// address")));
        }
        let agent = ureq::AgentBuilder::new()
            .timeout_connect(Duration::from_secs(5))
            .timeout(Duration::from_secs(20))
            .user_agent("tessera")
            .build();
        Ok(RemoteSource { endpoint, agent, cache_dir, bytes: 0, offline: false })
    }

    fn cache_path(&self, key: u64) -> Option<PathBuf> {
        self.cache_dir.as_ref().map(|d| d.join(format!("{key:016x}.json")))
    }

    /// Sends one GET and counts its bytes: request line and headers out,
    /// status line, headers and (compressed) body in.
    fn get(&mut self, url: &str, etag: Option<&str>) -> Result<(u16, Option<String>, String), String> {
        let mut request = self
            .agent
            .get(url)
            // No Accept header: the server answers JSON by default, and
            // every byte counts on a metered link.
            .set("Accept-Encoding", "gzip");
        // Exactly what goes out: the request line, then Host, User-Agent,
        // Accept (ureq's `*/*`), Accept-Encoding, If-None-Match, blank line.
        let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
        let (host, path) = after_scheme.split_at(after_scheme.find('/').unwrap_or(after_scheme.len()));
        let mut sent = (path.len() + 15) + (host.len() + 8) + 21 + 13 + 23 + 2;
        if let Some(tag) = etag {
            request = request.set("If-None-Match", tag);
            sent += 17 + tag.len();
        }
        let response = match request.call() {
            Ok(r) => r,
            Err(ureq::Error::Status(_, r)) => r,
            Err(e) => return Err(e.to_string()),
        };
        let status = response.status();
        let mut received = 15 + response.status_text().len() + 2;
        for name in response.headers_names() {
            received += name.len() + 4 + response.header(&name).map_or(0, str::len);
        }
        let gzip = response.header("content-encoding") == Some("gzip");
        let etag = response.header("etag").map(str::to_owned);
        let mut raw = Vec::new();
        response.into_reader().take(16 * 1024 * 1024).read_to_end(&mut raw).map_err(|e| e.to_string())?;
        received += raw.len();
        self.bytes += (sent + received) as u64;
        let body = if gzip {
            let mut out = String::new();
            flate2::read::GzDecoder::new(raw.as_slice()).read_to_string(&mut out).map_err(|e| e.to_string())?;
            out
        } else {
            String::from_utf8_lossy(&raw).into_owned()
        };
        Ok((status, etag, body))
    }

    /// Runs query `Q` and reads its answer into the generated types.
    fn call<Q: GraphQLQuery>(&mut self, variables: Q::Variables) -> Result<Q::ResponseData, SourceError> {
        let request = Q::build_query(variables);
        let variables = match serde_json::to_value(&request.variables) {
            // A query without variables has a unit type for them: the
            // server wants an object.
            Ok(Value::Null) => "{}".to_owned(),
            Ok(v) => v.to_string(),
            Err(e) => {
                return Err(SourceError::Message(format!(
                    "cannot write the variables of {}: {e}",
                    request.operation_name
                )));
            }
        };
        let body = self.fetch(request.query, &variables)?;
        let answer: graphql_client::Response<Value> = serde_json::from_str(&body)
            .map_err(|_| SourceError::Protocol("the answer is not JSON: is this a Tessera GraphQL address?".into()))?;
        if let Some(error) = answer.errors.as_deref().and_then(<[_]>::first) {
            return Err(SourceError::Message(error.message.clone()));
        }
        let data = answer.data.ok_or_else(|| SourceError::Protocol("an answer with neither data nor errors".into()))?;
        serde_json::from_value(data).map_err(|e| SourceError::Protocol(format!("{}: {e}", request.operation_name)))
    }

    /// Sends a query's text and variables and returns the answer's body:
    /// by hash first (registering the query when the server does not know
    /// it yet), revalidating a cached answer, or from the cache when the
    /// server cannot be reached.
    fn fetch(&mut self, query: &str, vars: &str) -> Result<String, SourceError> {
        let hash = format!("{:x}", Sha256::digest(query.as_bytes()));
        let key = xxhash_rust::xxh3::xxh3_64(format!("{}\n{hash}\n{vars}", self.endpoint).as_bytes());
        let cached: Option<CacheEntry> = self
            .cache_path(key)
            .and_then(|p| std::fs::read_to_string(p).ok())
            .and_then(|t| serde_json::from_str(&t).ok());
        let extensions = serde_json::json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } }).to_string();
        let by_hash =
            format!("{}?variables={}&extensions={}", self.endpoint, percent_encode(vars), percent_encode(&extensions));
        let mut answer = self.get(&by_hash, cached.as_ref().map(|c| c.etag.as_str()));
        if let Ok((200, _, body)) = &answer
            && persisted_query_not_found(body)
        {
            let with_query = format!("{by_hash}&query={}", percent_encode(query));
            answer = self.get(&with_query, None);
        }
        match answer {
            Ok((304, _, _)) => {
                self.offline = false;
                cached.map(|c| c.body).ok_or_else(|| SourceError::Protocol("304 without a cached answer".into()))
            }
            Ok((200, etag, body)) => {
                self.offline = false;
                if let (Some(path), Some(etag)) = (self.cache_path(key), etag)
                    && let Ok(entry) = serde_json::to_string(&CacheEntry { etag, body: body.clone() })
                {
                    if let Some(dir) = path.parent() {
                        let _ = std::fs::create_dir_all(dir);
                    }
                    // A cache that cannot be written only costs bytes later.
                    let _ = std::fs::write(path, entry);
                }
                Ok(body)
            }
            Ok((status, _, body)) => {
                let message = serde_json::from_str::<graphql_client::Response<Value>>(&body)
                    .ok()
                    .and_then(|a| a.errors?.into_iter().next())
                    .map(|e| e.message);
                Err(SourceError::Protocol(message.unwrap_or_else(|| format!("HTTP status {status}"))))
            }
            Err(reason) => match cached {
                Some(entry) => {
                    self.offline = true;
                    Ok(entry.body)
                }
                None => Err(SourceError::Unreachable { url: self.endpoint.clone(), reason }),
            },
        }
    }
}

/// Whether an answer says the server does not know the query's hash yet.
fn persisted_query_not_found(body: &str) -> bool {
    serde_json::from_str::<graphql_client::Response<Value>>(body)
        .ok()
        .and_then(|a| a.errors)
        .is_some_and(|errors| errors.iter().any(|e| e.message == "PersistedQueryNotFound"))
}

impl Source for RemoteSource {
    fn base_url(&mut self) -> Result<String, SourceError> {
        Ok(self.call::<Base>(queries::base::Variables)?.site.base_url)
    }

    fn old_address(&mut self, address: &str) -> Result<Option<crate::data::OldRoute>, SourceError> {
        use crate::data::OldRoute;
        use queries::old_address::RouteState;
        let vars = queries::old_address::Variables { path: address.to_owned() };
        let Some(route) = self.call::<OldAddress>(vars)?.route else { return Ok(None) };
        let title = route.old_address.and_then(|o| o.title);
        Ok(match route.state {
            RouteState::CURRENT => None,
            RouteState::MOVED => match route.redirect {
                Some(to) => Some(OldRoute::Moved(to)),
                None => return Err(SourceError::Protocol("a moved address without a redirect".into())),
            },
            RouteState::PENDING => Some(OldRoute::Pending { title }),
            RouteState::RETIRED => Some(OldRoute::Retired { instead: route.look_instead }),
            RouteState::Other(state) => return Err(SourceError::Protocol(format!("an unknown route state `{state}`"))),
        })
    }

    fn site_map(&mut self) -> Result<tessera_site::SiteMap, SourceError> {
        let site = self.call::<Locales>(queries::locales::Variables)?.site;
        let default = locale_of(&site.default_locale)?;
        let locales = site.locales.iter().map(|l| locale_of(&l.code)).collect::<Result<_, _>>()?;
        Ok(tessera_site::SiteMap::with_locales(default, locales))
    }

    fn home(&mut self, locale: &str) -> Result<HomeData, SourceError> {
        let d = self.call::<Home>(queries::home::Variables { locale: locale_var(locale) })?;
        let mut sections: Vec<(String, Vec<ItemLink>)> = Vec::new();
        for page in d.pages.nodes {
            let section = page.section.map_or_else(|| "Pages".to_owned(), |s| capitalise(&s));
            let link = ItemLink { kind: Kind::Page, slug: page.slug, title: page.title, note: page.summary };
            match sections.iter_mut().find(|(s, _)| *s == section) {
                Some((_, list)) => list.push(link),
                None => sections.push((section, vec![link])),
            }
        }
        Ok(HomeData {
            title: d.site.title,
            notice: d.site.transition_notice,
            search_label: d.site.search_label,
            sections,
            topics: d.topics.into_iter().map(|t| (t.slug, t.name)).collect(),
            locales: d.site.locales.into_iter().map(|l| l.code).collect(),
        })
    }

    fn item(&mut self, kind: Kind, slug: &str, locale: &str) -> Result<ItemView, SourceError> {
        let not_found = || SourceError::NotFound(format!("{}/{slug}", kind.folder()));
        // Measures a page places come with the page; anything else placed
        // is asked for on its own.
        let mut known = HashMap::new();
        let mut quotes = Vec::new();
        let (mut item, raw) = match kind {
            Kind::Page => {
                let vars = queries::page::Variables { slug: slug.to_owned(), locale: locale_var(locale) };
                let i = self.call::<Page>(vars)?.item.ok_or_else(not_found)?;
                let mut item = ItemView::new(kind, slug, locale_of(&i.locale)?, &i.title);
                item.summary = i.summary;
                item.hero = i.hero.map(|h| {
                    let m = h.media;
                    figure(m.slug, m.kind, m.alt, h.caption, m.credit, m.src)
                });
                let mut measures = Vec::new();
                for m in i.measures {
                    let mut text = blocks(m.body.blocks_json)?;
                    text.extend(example(m.example_blocks_json)?);
                    known.insert((Kind::Measure, m.slug.clone()), text);
                    measures.push(titled(Kind::Measure, m.slug, m.title));
                }
                let from_the_field = i
                    .from_the_field
                    .into_iter()
                    .map(|s| Related {
                        kind: Kind::Story,
                        slug: s.slug,
                        title: s.title,
                        summary: s.summary,
                        media: s
                            .media
                            .into_iter()
                            .map(|m| figure(m.slug, m.kind, m.alt, m.caption, m.credit, m.src))
                            .collect(),
                    })
                    .collect();
                item.relations = relations(
                    kind,
                    RelatedLists {
                        measures: Some(measures),
                        partners: Some(
                            i.partners.into_iter().map(|p| titled(Kind::Partner, p.slug, p.title)).collect(),
                        ),
                        from_the_field: Some(from_the_field),
                        ..RelatedLists::default()
                    },
                )?;
                item.topics = i.topics.into_iter().map(|t| (t.slug, t.name)).collect();
                quotes = i
                    .quotes
                    .into_iter()
                    .map(|q| Quote { text: q.text, source: q.source, article: q.article, intro: q.intro })
                    .collect();
                (item, blocks(i.body.blocks_json)?)
            }
            Kind::Measure => {
                let vars = queries::measure::Variables { slug: slug.to_owned(), locale: locale_var(locale) };
                let i = self.call::<Measure>(vars)?.item.ok_or_else(not_found)?;
                let mut item = ItemView::new(kind, slug, locale_of(&i.locale)?, &i.title);
                if !i.partner_kinds.is_empty() {
                    item.facts.push(Fact::PartnerKinds(i.partner_kinds.into_iter().map(Into::into).collect()));
                }
                item.example = example(i.example_blocks_json)?;
                item.relations = relations(
                    kind,
                    RelatedLists {
                        pages: Some(i.pages.into_iter().map(|p| titled(Kind::Page, p.slug, p.title)).collect()),
                        ..RelatedLists::default()
                    },
                )?;
                item.topics = i.topics.into_iter().map(|t| (t.slug, t.name)).collect();
                (item, blocks(i.body.blocks_json)?)
            }
            Kind::Partner => {
                let vars = queries::partner::Variables { slug: slug.to_owned(), locale: locale_var(locale) };
                let i = self.call::<Partner>(vars)?.item.ok_or_else(not_found)?;
                let mut item = ItemView::new(kind, slug, locale_of(&i.locale)?, &i.title);
                item.facts.push(Fact::PartnerKind(i.kind.into()));
                if let Some(code) = &i.country {
                    item.facts.push(Fact::Country(country_of(code)?));
                }
                item.facts.extend(i.website.filter(|w| is_safe_url(w)).map(Fact::Website));
                item.relations = relations(
                    kind,
                    RelatedLists {
                        stories: Some(i.stories.into_iter().map(|s| titled(Kind::Story, s.slug, s.title)).collect()),
                        pages: Some(i.pages.into_iter().map(|p| titled(Kind::Page, p.slug, p.title)).collect()),
                        ..RelatedLists::default()
                    },
                )?;
                item.topics = i.topics.into_iter().map(|t| (t.slug, t.name)).collect();
                (item, blocks(i.body.blocks_json)?)
            }
            Kind::Story => {
                let vars = queries::story::Variables { slug: slug.to_owned(), locale: locale_var(locale) };
                let i = self.call::<Story>(vars)?.item.ok_or_else(not_found)?;
                let mut item = ItemView::new(kind, slug, locale_of(&i.locale)?, &i.title);
                item.summary = i.summary;
                if let Some(code) = &i.country {
                    item.facts.push(Fact::Country(country_of(code)?));
                }
                item.facts.extend(i.date.map(Fact::Date));
                item.media =
                    i.media.into_iter().map(|m| figure(m.slug, m.kind, m.alt, m.caption, m.credit, m.src)).collect();
                item.relations = relations(
                    kind,
                    RelatedLists {
                        partners: Some(
                            i.partners.into_iter().map(|p| titled(Kind::Partner, p.slug, p.title)).collect(),
                        ),
                        pages: Some(i.pages.into_iter().map(|p| titled(Kind::Page, p.slug, p.title)).collect()),
                        ..RelatedLists::default()
                    },
                )?;
                item.topics = i.topics.into_iter().map(|t| (t.slug, t.name)).collect();
                (item, blocks(i.body.blocks_json)?)
            }
            Kind::Media | Kind::Topic => return Err(not_found()),
        };
        let mut placer = RemotePlacer { source: self, locale: locale_var(locale), known, error: None };
        item.set_body(&raw, &quotes, &mut placer);
        match placer.error {
            Some(e) => Err(e),
            None => Ok(item),
        }
    }

    fn list(&mut self, location: &Location, locale: &str) -> Result<ListData, SourceError> {
        let link = |kind: Kind, slug: String, title: String, note: Option<String>| ItemLink { kind, slug, title, note };
        let locale = locale_var(locale);
        let mut items = Vec::new();
        let title = match location {
            Location::Kind(kind) => {
                match kind {
                    Kind::Page => {
                        let d = self.call::<ListPages>(queries::list_pages::Variables { locale })?;
                        items.extend(d.pages.nodes.into_iter().map(|n| link(Kind::Page, n.slug, n.title, n.summary)));
                    }
                    Kind::Measure => {
                        let d = self.call::<ListMeasures>(queries::list_measures::Variables { locale })?;
                        items.extend(d.measures.nodes.into_iter().map(|n| link(Kind::Measure, n.slug, n.title, None)));
                    }
                    Kind::Partner => {
                        let d = self.call::<ListPartners>(queries::list_partners::Variables { locale })?;
                        items.extend(d.partners.nodes.into_iter().map(|n| {
                            let label = tessera_core::PartnerKind::from(n.kind).label().to_owned();
                            link(Kind::Partner, n.slug, n.title, Some(label))
                        }));
                    }
                    Kind::Story => {
                        let d = self.call::<ListStories>(queries::list_stories::Variables { locale })?;
                        items
                            .extend(d.stories.nodes.into_iter().map(|n| link(Kind::Story, n.slug, n.title, n.summary)));
                    }
                    // No list of their own on the site.
                    Kind::Media | Kind::Topic => {}
                }
                format!("All {}", kind.folder())
            }
            Location::Topic(topic) => {
                let d = self.call::<Topic>(queries::topic::Variables { locale, topic: Some(topic.clone()) })?;
                let name = d.topics.into_iter().find(|t| t.slug == *topic).map_or_else(|| topic.clone(), |t| t.name);
                items.extend(d.pages.nodes.into_iter().map(|n| link(Kind::Page, n.slug, n.title, None)));
                items.extend(d.measures.nodes.into_iter().map(|n| link(Kind::Measure, n.slug, n.title, None)));
                items.extend(d.partners.nodes.into_iter().map(|n| link(Kind::Partner, n.slug, n.title, None)));
                items.extend(d.stories.nodes.into_iter().map(|n| link(Kind::Story, n.slug, n.title, None)));
                format!("Topic: {name}")
            }
            Location::Country(code) => {
                let country = Country::parse(code).map_err(|e| SourceError::Message(e.to_string()))?;
                let vars = queries::country::Variables { locale, country: Some(country.as_str().to_owned()) };
                let d = self.call::<CountryList>(vars)?;
                items.extend(d.partners.nodes.into_iter().map(|n| link(Kind::Partner, n.slug, n.title, None)));
                items.extend(d.stories.nodes.into_iter().map(|n| link(Kind::Story, n.slug, n.title, None)));
                format!("Country: {}", country_name(code))
            }
            other => return Err(SourceError::Message(format!("{} is not a list", other.label()))),
        };
        Ok(ListData { title, items })
    }

    fn search(&mut self, query: &str, kind: Option<Kind>, locale: &str) -> Result<SearchData, SourceError> {
        let kinds = match kind {
            None => None,
            Some(Kind::Page) => Some(vec![ItemKind::Page]),
            Some(Kind::Measure) => Some(vec![ItemKind::Measure]),
            Some(Kind::Partner) => Some(vec![ItemKind::Partner]),
            Some(Kind::Story) => Some(vec![ItemKind::Story]),
            Some(other @ (Kind::Media | Kind::Topic)) => {
                return Err(SourceError::Message(format!("search finds no {}", other.folder())));
            }
        };
        let vars = queries::search::Variables { query: query.to_owned(), locale: locale_var(locale), kinds };
        let s = self.call::<Search>(vars)?.search;
        let count = |n: i64| u64::try_from(n).map_err(|_| SourceError::Protocol(format!("a count of {n}")));
        let mut hits = Vec::new();
        for hit in s.nodes {
            use queries::search::SearchSearchNodesItem as On;
            let (kind, slug, title) = match hit.item {
                On::Page(i) => (Kind::Page, i.slug, i.title),
                On::Measure(i) => (Kind::Measure, i.slug, i.title),
                On::Partner(i) => (Kind::Partner, i.slug, i.title),
                On::Story(i) => (Kind::Story, i.slug, i.title),
                On::Media => return Err(SourceError::Protocol("a search hit that is a media asset".into())),
            };
            // Matches travel as plain text runs; the screen marks them with
            // U+0002/U+0003, which no text of ours holds.
            let mut note = String::new();
            for part in hit.snippet_parts {
                if part.match_ {
                    note.push('\u{2}');
                    note.push_str(&part.text);
                    note.push('\u{3}');
                } else {
                    note.push_str(&part.text);
                }
            }
            hits.push(ItemLink { kind, slug, title, note: Some(note) });
        }
        let mut kinds = Vec::new();
        for f in s.facets.kinds {
            // Only kinds with pages of their own are filters a reader can follow.
            if let Some(kind) = kind_named(&f.value) {
                kinds.push((kind, count(f.count)?));
            }
        }
        let countries =
            s.facets.countries.into_iter().map(|f| Ok((f.value, count(f.count)?))).collect::<Result<_, _>>()?;
        Ok(SearchData {
            query: query.to_owned(),
            total: usize::try_from(s.total_count)
                .map_err(|_| SourceError::Protocol(format!("a total of {}", s.total_count)))?,
            hits,
            kinds,
            countries,
        })
    }

    fn bytes_fetched(&self) -> u64 {
        self.bytes
    }

    fn offline(&self) -> bool {
        self.offline
    }
}
