//! Screens from a remote Tessera server, for slow and metered links: only
//! the fields a screen shows, persisted-query GETs (the query travels once),
//! gzip, ETag revalidation, and an on-disk cache that works offline.

use std::io::Read;
use std::path::PathBuf;
use std::time::Duration;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tessera_core::{Block, Body, Country, Kind, Locale, MediaKind, PartnerKind, Quote, is_safe_url};
use tessera_site::{Fact, Figure, ItemView, Placer, Related, Relation, capitalise};

use crate::data::{HomeData, ItemLink, ListData, Location, SearchData, Source, SourceError, kind_named};

/// Content read from a Tessera GraphQL server.
pub struct RemoteSource {
    endpoint: String,
    agent: ureq::Agent,
    cache_dir: Option<PathBuf>,
    bytes: u64,
    offline: bool,
}

const HOME: &str = "query Home($locale: String) { site { title transitionNotice searchLabel locales { code } } pages(locale: $locale, first: 100) { edges { node { slug title summary section } } } topics(locale: $locale) { slug name } }";
const PAGE: &str = "query Page($slug: String!, $locale: String) { item: page(slug: $slug, locale: $locale) { slug locale title summary hero { caption media { slug kind alt credit src } } quotes { text source article intro } body { blocksJson } measures { slug title example body { blocksJson } } partners { slug title: name } fromTheField { slug title summary media { slug kind alt caption credit src } } topics { slug name } } }";
const MEASURE: &str = "query Measure($slug: String!, $locale: String) { item: measure(slug: $slug, locale: $locale) { slug locale title partnerKinds example body { blocksJson } pages { slug title } topics { slug name } } }";
const PARTNER: &str = "query Partner($slug: String!, $locale: String) { item: partner(slug: $slug, locale: $locale) { slug locale title: name kind country website body { blocksJson } stories { slug title } pages { slug title } topics { slug name } } }";
const STORY: &str = "query Story($slug: String!, $locale: String) { item: story(slug: $slug, locale: $locale) { slug locale title country date summary body { blocksJson } media { slug kind alt caption credit src } partners { slug title: name } pages { slug title } topics { slug name } } }";
const PLACED_PAGE: &str = "query PlacedPage($slug: String!, $locale: String) { item: page(slug: $slug, locale: $locale) { body { blocksJson } } }";
const PLACED_MEASURE: &str = "query PlacedMeasure($slug: String!, $locale: String) { item: measure(slug: $slug, locale: $locale) { example body { blocksJson } } }";
const PLACED_PARTNER: &str = "query PlacedPartner($slug: String!, $locale: String) { item: partner(slug: $slug, locale: $locale) { body { blocksJson } } }";
const PLACED_STORY: &str = "query PlacedStory($slug: String!, $locale: String) { item: story(slug: $slug, locale: $locale) { body { blocksJson } } }";
const LIST_KIND: &str = "query List($locale: String, $pages: Boolean!, $measures: Boolean!, $partners: Boolean!, $stories: Boolean!) { pages(locale: $locale, first: 100) @include(if: $pages) { edges { node { slug title summary } } } measures(locale: $locale, first: 100) @include(if: $measures) { edges { node { slug title } } } partners(locale: $locale, first: 100) @include(if: $partners) { edges { node { slug title: name } } } stories(locale: $locale, first: 100) @include(if: $stories) { edges { node { slug title summary } } } }";
const LIST_TOPIC: &str = "query Topic($locale: String, $topic: String) { pages(locale: $locale, topic: $topic, first: 100) { edges { node { slug title } } } measures(locale: $locale, topic: $topic, first: 100) { edges { node { slug title } } } partners(locale: $locale, topic: $topic, first: 100) { edges { node { slug title: name } } } stories(locale: $locale, topic: $topic, first: 100) { edges { node { slug title } } } }";
const LIST_COUNTRY: &str = "query Country($locale: String, $country: String) { partners(locale: $locale, country: $country, first: 100) { edges { node { slug title: name } } } stories(locale: $locale, country: $country, first: 100) { edges { node { slug title } } } }";
const SEARCH: &str = "query Search($query: String!, $locale: String, $kinds: [ItemKind!]) { search(query: $query, locale: $locale, kinds: $kinds, first: 20) { totalCount facets { kinds { value count } countries { value count } } edges { node { snippetHtml item { __typename ... on Page { slug title } ... on Measure { slug title } ... on Partner { slug title: name } ... on Story { slug title } } } } } }";

/// Percent-encodes a query-string value, leaving the characters a query
/// may hold as they are (`:` and `,` are common in JSON and need no escape).
fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z'
            | b'a'..=b'z'
            | b'0'..=b'9'
            | b'-'
            | b'_'
            | b'.'
            | b'~'
            | b':'
            | b','
            | b'@'
            | b'!'
            | b'$'
            | b'\''
            | b'('
            | b')'
            | b'*'
            | b';'
            | b'/' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn text(v: &Value) -> Option<String> {
    v.as_str().map(str::to_owned)
}

fn item_links(list: &Value, kind: Kind, note: Option<&str>) -> Vec<ItemLink> {
    list.as_array()
        .into_iter()
        .flatten()
        .filter_map(|n| {
            let n = n.get("node").unwrap_or(n);
            Some(ItemLink {
                kind,
                slug: text(&n["slug"])?,
                title: text(&n["title"]).unwrap_or_default(),
                note: note.and_then(|k| text(&n[k])),
            })
        })
        .collect()
}

fn topics(v: &Value) -> Vec<(String, String)> {
    v.as_array().into_iter().flatten().filter_map(|t| Some((text(&t["slug"])?, text(&t["name"])?))).collect()
}

fn figure(m: &Value, caption: Option<String>) -> Option<Figure> {
    let kind = serde_json::from_value::<MediaKind>(Value::String(text(&m["kind"])?.to_lowercase())).ok()?;
    Some(Figure {
        slug: text(&m["slug"])?,
        kind,
        alt: text(&m["alt"]).filter(|a| !a.trim().is_empty()),
        caption: caption.or_else(|| text(&m["caption"])),
        credit: text(&m["credit"]),
        src: text(&m["src"]).filter(|s| is_safe_url(s)),
    })
}

/// A partner kind as the API names it (`INTERNATIONAL_NGO`).
fn partner_kind(name: &str) -> Option<PartnerKind> {
    serde_json::from_value::<PartnerKind>(Value::String(name.to_lowercase().replace('_', "-"))).ok()
}

/// Related items as the API lists them.
fn related(list: &Value, kind: Kind) -> Vec<Related> {
    list.as_array()
        .into_iter()
        .flatten()
        .filter_map(|n| {
            Some(Related {
                kind,
                slug: text(&n["slug"])?,
                title: text(&n["title"]).unwrap_or_default(),
                summary: text(&n["summary"]),
                media: n["media"].as_array().into_iter().flatten().filter_map(|m| figure(m, None)).collect(),
            })
        })
        .collect()
}

/// The text of an item placed in a body: its body, then its example.
fn embedded(item: &Value) -> Vec<Block> {
    let mut blocks: Vec<Block> = serde_json::from_value(item["body"]["blocksJson"].clone()).unwrap_or_default();
    if let Some(example) = text(&item["example"]) {
        blocks.extend(Body::parse(&example).blocks);
    }
    blocks
}

/// Places items in a body: those the answer brought, else one query each.
struct RemotePlacer<'r> {
    source: &'r mut RemoteSource,
    locale: &'r str,
    known: std::collections::HashMap<(Kind, String), Vec<Block>>,
}

impl Placer for RemotePlacer<'_> {
    fn item(&mut self, kind: Kind, slug: &str) -> Option<Vec<Block>> {
        if let Some(blocks) = self.known.remove(&(kind, slug.to_owned())) {
            return Some(blocks);
        }
        let query = match kind {
            Kind::Page => PLACED_PAGE,
            Kind::Measure => PLACED_MEASURE,
            Kind::Partner => PLACED_PARTNER,
            Kind::Story => PLACED_STORY,
            Kind::Media | Kind::Topic => return None,
        };
        let d = self.source.call(query, json!({ "slug": slug, "locale": self.locale })).ok()?;
        (!d["item"].is_null()).then(|| embedded(&d["item"]))
    }
}

fn unescape_html(s: &str) -> String {
    s.replace("<mark>", "\u{2}")
        .replace("</mark>", "\u{3}")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
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

    /// Runs a query: by hash first (registering it when the server does not
    /// know it yet), revalidating a cached answer, or from the cache when the
    /// server cannot be reached.
    fn call(&mut self, query: &str, mut variables: Value) -> Result<Value, SourceError> {
        // No locale means the site's default: the server knows it, and the
        // variable would only cost bytes.
        if let Some(vars) = variables.as_object_mut()
            && vars.get("locale").is_some_and(|l| l.as_str() == Some(""))
        {
            vars.remove("locale");
        }
        let hash = format!("{:x}", Sha256::digest(query.as_bytes()));
        let vars = variables.to_string();
        let key = xxhash_rust::xxh3::xxh3_64(format!("{}\n{hash}\n{vars}", self.endpoint).as_bytes());
        let cached: Option<(String, String)> = self
            .cache_path(key)
            .and_then(|p| std::fs::read_to_string(p).ok())
            .and_then(|t| serde_json::from_str::<Value>(&t).ok())
            .and_then(|v| Some((text(&v["etag"])?, text(&v["body"])?)));
        let extensions = json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } }).to_string();
        let by_hash =
            format!("{}?variables={}&extensions={}", self.endpoint, percent_encode(&vars), percent_encode(&extensions));
        let endpoint = self.endpoint.clone();
        let unreachable = move |reason: String| SourceError::Unreachable { url: endpoint.clone(), reason };
        let mut answer = self.get(&by_hash, cached.as_ref().map(|c| c.0.as_str()));
        if let Ok((200, _, body)) = &answer
            && body.contains("PersistedQueryNotFound")
        {
            let with_query = format!("{by_hash}&query={}", percent_encode(query));
            answer = self.get(&with_query, None);
        }
        let body = match answer {
            Ok((304, _, _)) => {
                self.offline = false;
                cached.map(|c| c.1).ok_or_else(|| SourceError::Protocol("304 without a cached answer".into()))?
            }
            Ok((200, etag, body)) => {
                self.offline = false;
                if let (Some(path), Some(etag)) = (self.cache_path(key), etag) {
                    let entry = json!({ "etag": etag, "body": body }).to_string();
                    if let Some(dir) = path.parent() {
                        let _ = std::fs::create_dir_all(dir);
                    }
                    // A cache that cannot be written only costs bytes later.
                    let _ = std::fs::write(path, entry);
                }
                body
            }
            Ok((status, _, body)) => {
                let message = serde_json::from_str::<Value>(&body).ok().and_then(|v| text(&v["errors"][0]["message"]));
                return Err(SourceError::Protocol(message.unwrap_or_else(|| format!("HTTP status {status}"))));
            }
            Err(reason) => match cached {
                Some((_, body)) => {
                    self.offline = true;
                    body
                }
                None => return Err(unreachable(reason)),
            },
        };
        let value: Value = serde_json::from_str(&body)
            .map_err(|_| SourceError::Protocol("the answer is not JSON: is this a Tessera GraphQL address?".into()))?;
        if value["data"].is_null() {
            let message = text(&value["errors"][0]["message"]).unwrap_or_else(|| "no data in the answer".into());
            return Err(SourceError::Message(message));
        }
        Ok(value["data"].clone())
    }
}

impl Source for RemoteSource {
    fn base_url(&mut self) -> String {
        self.call("query Base { site { baseUrl } }", json!({}))
            .ok()
            .and_then(|d| text(&d["site"]["baseUrl"]))
            .unwrap_or_default()
    }

    fn site_map(&mut self) -> Result<tessera_site::SiteMap, SourceError> {
        let d = self.call("query Locales { site { defaultLocale locales { code } } }", json!({}))?;
        let default = text(&d["site"]["defaultLocale"])
            .and_then(|l| tessera_core::Locale::parse(&l).ok())
            .ok_or_else(|| SourceError::Protocol("the server did not say its default locale".into()))?;
        let locales = d["site"]["locales"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|l| text(&l["code"]).and_then(|c| tessera_core::Locale::parse(&c).ok()))
            .collect();
        Ok(tessera_site::SiteMap::with_locales(default, locales))
    }

    fn home(&mut self, locale: &str) -> Result<HomeData, SourceError> {
        let d = self.call(HOME, json!({ "locale": locale }))?;
        let mut sections: Vec<(String, Vec<ItemLink>)> = Vec::new();
        for edge in d["pages"]["edges"].as_array().into_iter().flatten() {
            let n = &edge["node"];
            let section = text(&n["section"]).map_or_else(|| "Pages".to_owned(), |s| capitalise(&s));
            let link = ItemLink {
                kind: Kind::Page,
                slug: text(&n["slug"]).unwrap_or_default(),
                title: text(&n["title"]).unwrap_or_default(),
                note: text(&n["summary"]),
            };
            match sections.iter_mut().find(|(s, _)| *s == section) {
                Some((_, list)) => list.push(link),
                None => sections.push((section, vec![link])),
            }
        }
        Ok(HomeData {
            title: text(&d["site"]["title"]).unwrap_or_default(),
            notice: text(&d["site"]["transitionNotice"]),
            search_label: text(&d["site"]["searchLabel"]),
            sections,
            topics: topics(&d["topics"]),
            locales: d["site"]["locales"].as_array().into_iter().flatten().filter_map(|l| text(&l["code"])).collect(),
        })
    }

    fn item(&mut self, kind: Kind, slug: &str, locale: &str) -> Result<ItemView, SourceError> {
        let query = match kind {
            Kind::Page => PAGE,
            Kind::Measure => MEASURE,
            Kind::Partner => PARTNER,
            Kind::Story => STORY,
            _ => return Err(SourceError::NotFound(format!("{}/{slug}", kind.folder()))),
        };
        let d = self.call(query, json!({ "slug": slug, "locale": locale }))?;
        let i = &d["item"];
        if i.is_null() {
            return Err(SourceError::NotFound(format!("{}/{slug}", kind.folder())));
        }
        let shown = text(&i["locale"])
            .and_then(|l| Locale::parse(&l).ok())
            .ok_or_else(|| SourceError::Protocol("an item without its locale".into()))?;
        let mut item = ItemView::new(kind, slug, shown, &text(&i["title"]).unwrap_or_default());
        item.summary = text(&i["summary"]);
        item.facts.extend(text(&i["kind"]).and_then(|k| partner_kind(&k)).map(Fact::PartnerKind));
        if let Some(kinds) = i["partnerKinds"].as_array().filter(|k| !k.is_empty()) {
            item.facts.push(Fact::PartnerKinds(kinds.iter().filter_map(|k| partner_kind(k.as_str()?)).collect()));
        }
        item.facts.extend(text(&i["country"]).and_then(|c| Country::parse(&c).ok()).map(Fact::Country));
        item.facts.extend(text(&i["date"]).map(Fact::Date));
        item.facts.extend(text(&i["website"]).map(Fact::Website));
        if !i["hero"].is_null() {
            item.hero = figure(&i["hero"]["media"], text(&i["hero"]["caption"]));
        }
        item.media = i["media"].as_array().into_iter().flatten().filter_map(|m| figure(m, None)).collect();
        item.example = text(&i["example"]).map(|e| Body::parse(&e).blocks).unwrap_or_default();
        item.topics = topics(&i["topics"]);
        item.relations = Relation::of(kind)
            .iter()
            .map(|r| {
                let field = match r {
                    Relation::Measures => "measures",
                    Relation::Partners => "partners",
                    Relation::FromTheField => "fromTheField",
                    Relation::Stories => "stories",
                    Relation::PresentedOn | Relation::NamedOn | Relation::ToldOn => "pages",
                };
                (*r, related(&i[field], r.kind()))
            })
            .collect();
        let quotes: Vec<Quote> = i["quotes"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|q| {
                Some(Quote {
                    text: text(&q["text"])?,
                    source: text(&q["source"])?,
                    article: text(&q["article"]),
                    intro: text(&q["intro"]),
                })
            })
            .collect();
        let raw: Vec<Block> = serde_json::from_value(i["body"]["blocksJson"].clone())
            .map_err(|e| SourceError::Protocol(format!("a body this client cannot read: {e}")))?;
        // Measures a page places come with the page; anything else placed
        // is asked for on its own.
        let mut known = std::collections::HashMap::new();
        for m in i["measures"].as_array().into_iter().flatten() {
            if let Some(slug) = text(&m["slug"]) {
                known.insert((Kind::Measure, slug), embedded(m));
            }
        }
        let mut placer = RemotePlacer { source: self, locale, known };
        item.set_body(&raw, &quotes, &mut placer);
        Ok(item)
    }

    fn list(&mut self, location: &Location, locale: &str) -> Result<ListData, SourceError> {
        let (title, d) = match location {
            Location::Kind(kind) => {
                let vars = json!({
                    "locale": locale,
                    "pages": *kind == Kind::Page,
                    "measures": *kind == Kind::Measure,
                    "partners": *kind == Kind::Partner,
                    "stories": *kind == Kind::Story,
                });
                (format!("All {}", kind.folder()), self.call(LIST_KIND, vars)?)
            }
            Location::Topic(topic) => {
                (format!("Topic: {topic}"), self.call(LIST_TOPIC, json!({ "locale": locale, "topic": topic }))?)
            }
            Location::Country(c) => (
                format!("Country: {}", crate::data::country_name(c)),
                self.call(LIST_COUNTRY, json!({ "locale": locale, "country": c }))?,
            ),
            other => return Err(SourceError::Message(format!("{} is not a list", other.label()))),
        };
        let mut items = Vec::new();
        for (field, kind) in
            [("pages", Kind::Page), ("measures", Kind::Measure), ("partners", Kind::Partner), ("stories", Kind::Story)]
        {
            items.extend(item_links(&d[field]["edges"], kind, Some("summary")));
        }
        Ok(ListData { title, items })
    }

    fn search(&mut self, query: &str, kind: Option<Kind>, locale: &str) -> Result<SearchData, SourceError> {
        let kinds: Vec<String> = kind.map(|k| k.name().to_uppercase()).into_iter().collect();
        let d = self.call(SEARCH, json!({ "query": query, "locale": locale, "kinds": if kinds.is_empty() { Value::Null } else { json!(kinds) } }))?;
        let s = &d["search"];
        let hits = s["edges"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|e| {
                let n = &e["node"];
                let item = &n["item"];
                Some(ItemLink {
                    kind: kind_named(item["__typename"].as_str()?)?,
                    slug: text(&item["slug"])?,
                    title: text(&item["title"]).unwrap_or_default(),
                    note: text(&n["snippetHtml"]).map(|h| unescape_html(&h)),
                })
            })
            .collect();
        let counts = |v: &Value| -> Vec<(String, u64)> {
            v.as_array()
                .into_iter()
                .flatten()
                .filter_map(|f| Some((text(&f["value"])?, f["count"].as_u64()?)))
                .collect()
        };
        Ok(SearchData {
            query: query.to_owned(),
            total: s["totalCount"].as_u64().unwrap_or(0) as usize,
            hits,
            kinds: counts(&s["facets"]["kinds"]).into_iter().filter_map(|(k, n)| Some((kind_named(&k)?, n))).collect(),
            countries: counts(&s["facets"]["countries"]),
        })
    }

    fn bytes_fetched(&self) -> u64 {
        self.bytes
    }

    fn offline(&self) -> bool {
        self.offline
    }
}
