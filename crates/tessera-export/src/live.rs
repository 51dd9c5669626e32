//! The site as a server renders it: one page at a time, at the address
//! asked for, from the export's own templates; and the pages only a server
//! has: search results, "not found" and the preview sign-in.
//!
//! Like the rest of the exporter, it decides nothing about visibility (the
//! `View` it is given does) and nothing about HTTP (statuses, headers and
//! caching are the server's).

use maud::{Markup, html};
use tessera_core::{Country, Kind, Locale, View};
use tessera_search::{FacetCount, Hit, SearchResults, Snippet};
use tessera_site::{ItemView, Place, SiteMap};

use crate::context::Context;
use crate::pages::{self, Rendered, Shell};
use crate::{feed, redirects, sitemap};

/// Hits on one page of search results.
pub const RESULTS_PER_PAGE: usize = 10;

const HTML: &str = "text/html; charset=utf-8";

/// The site of one view (an audience at an instant), rendered on request.
pub struct LiveSite<'s> {
    ctx: Context<'s>,
}

/// What a site address holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// A page, the stylesheet, the icon, a feed, the sitemap or robots.txt.
    Page {
        /// Its media type.
        content_type: &'static str,
        /// Its bytes.
        body: Vec<u8>,
    },
    /// An old address that moved: where the page lives now, and a "moved"
    /// page that says so for clients that do not follow redirects.
    Moved {
        /// The page's address now.
        to: String,
        /// The "moved" page, HTML.
        body: Vec<u8>,
    },
    /// An old address not migrated yet: a page that says it is moving and
    /// offers the search (HTTP 404: nothing is here yet).
    Moving {
        /// The "moving" page, HTML.
        body: Vec<u8>,
    },
    /// An old address retired on purpose: a page that says so and where to
    /// look instead (HTTP 410).
    Gone {
        /// The "gone" page, HTML.
        body: Vec<u8>,
    },
}

/// One page of the search page: what was asked and what was found.
#[derive(Debug, Clone, Copy)]
pub struct SearchPage<'a> {
    /// The words, as typed.
    pub query: &'a str,
    /// The reader's locale.
    pub locale: &'a Locale,
    /// Only this kind.
    pub kind: Option<Kind>,
    /// Only this topic (a slug).
    pub topic: Option<&'a str>,
    /// Only this country.
    pub country: Option<Country>,
    /// The page of results, from 1.
    pub page: usize,
    /// What to show under the search box.
    pub outcome: SearchOutcome<'a>,
}

/// What the search page shows.
#[derive(Debug, Clone, Copy)]
pub enum SearchOutcome<'a> {
    /// Nothing asked yet: an invitation to type.
    Form,
    /// A request that cannot run, and why (a bad parameter).
    Problem(&'a str),
    /// The results.
    Results(&'a SearchResults),
}

/// The preview page's form.
#[derive(Debug, Clone, Copy)]
pub enum PreviewForm<'a> {
    /// Asks for the token; `csrf` goes back in a hidden field.
    SignIn {
        /// The form's anti-forgery token.
        csrf: &'a str,
        /// What went wrong with the last attempt.
        problem: Option<&'a str>,
    },
    /// Preview is on in this browser: a button ends it.
    SignedIn {
        /// The form's anti-forgery token.
        csrf: &'a str,
    },
    /// The server has no preview token.
    Off,
}

impl<'s> LiveSite<'s> {
    /// The site as `view` sees it, every locale, links site-absolute.
    pub fn new(view: View<'s>) -> LiveSite<'s> {
        let snapshot = view.snapshot();
        let base = snapshot.site().base_url.clone();
        let now = view.now();
        LiveSite { ctx: Context::new(view, &base, snapshot.locales(), false, now, true) }
    }

    /// What the site address `address` (a path, without query) holds, as
    /// the export would write it there; `None` when nothing is there for
    /// this view.
    pub fn answer(&self, address: &str) -> Option<Answer> {
        let ctx = &self.ctx;
        let page = |r: Rendered| Some(Answer::Page { content_type: HTML, body: r.html.into_bytes() });
        let file = |content_type, body: Vec<u8>| Some(Answer::Page { content_type, body });
        match address {
            pages::STYLESHEET_ADDRESS => return file("text/css; charset=utf-8", pages::STYLESHEET.as_bytes().to_vec()),
            pages::FAVICON_ADDRESS => return file("image/svg+xml", pages::FAVICON.as_bytes().to_vec()),
            "/robots.txt" => return file("text/plain; charset=utf-8", crate::robots(ctx).into_bytes()),
            "/sitemap.xml" => {
                let xml = sitemap::render(ctx, &pages::changed(ctx)).ok()?;
                return file("application/xml; charset=utf-8", xml);
            }
            _ => {}
        }
        if let Some(l) = ctx.locales.iter().find(|l| ctx.map.feed(l) == address) {
            let xml = feed::render(ctx, l, &pages::changed(ctx)).ok()?;
            return file("application/atom+xml; charset=utf-8", xml);
        }
        if let Some(l) = ctx.map.a_z_locale(address) {
            return page(pages::a_z_page(ctx, &l));
        }
        if let Some(answer) = self.current(address) {
            return Some(answer);
        }
        // An old address may look like anything, but never hides a page of
        // the site (the export does not write over one either).
        Some(match redirects::legacy(ctx, address)? {
            redirects::Old::Moved(to, r) => Answer::Moved { to, body: r.html.into_bytes() },
            redirects::Old::Pending(r) => Answer::Moving { body: r.html.into_bytes() },
            redirects::Old::Retired(r) => Answer::Gone { body: r.html.into_bytes() },
        })
    }

    /// The page of the current site at `address`, if there is one.
    fn current(&self, address: &str) -> Option<Answer> {
        let ctx = &self.ctx;
        let page = |r: Rendered| Some(Answer::Page { content_type: HTML, body: r.html.into_bytes() });
        match ctx.map.resolve(address)? {
            Place::Home(l) => page(pages::home(ctx, &l)),
            Place::Index(kind, l) => page(pages::index_page(ctx, kind, &l)),
            Place::Item { kind, slug, locale } => {
                let item = ItemView::build(&ctx.view, kind, &slug, &locale)?;
                page(pages::item_page(ctx, &item, &locale))
            }
            Place::Topic(slug, l) => {
                let topic = ctx.view.snapshot().topic(&slug)?;
                page(pages::topic_page(ctx, topic, &l))
            }
        }
    }

    /// The enabled locale named `tag`, or the default one when there is no
    /// tag; `None` for a locale the site does not have.
    pub fn locale(&self, tag: Option<&str>) -> Option<Locale> {
        match tag {
            None | Some("") => Some(self.ctx.default.clone()),
            Some(tag) => Locale::parse(tag).ok().filter(|l| self.ctx.locales.contains(l)),
        }
    }

    /// The locale of a page at `address`: its prefix's, else the default.
    fn locale_of(&self, address: &str) -> Locale {
        let first = address.trim_start_matches('/').split('/').next();
        first.filter(|f| !f.is_empty()).and_then(|f| self.locale(Some(f))).unwrap_or_else(|| self.ctx.default.clone())
    }

    /// The page for an address that holds nothing: it says so and offers
    /// the search box, the home page and the A to Z index.
    pub fn not_found(&self, address: &str) -> String {
        let ctx = &self.ctx;
        let l = self.locale_of(address);
        let main = html! {
            h1 { "Page not found" }
            p { "There is no page at " code { (address) } ". It may have moved, or the address may be mistyped." }
            p {
                "Search the site with the box above, start from "
                a href=(ctx.map.home(&l)) { "the home page" }
                ", or look through "
                a href=(ctx.map.a_z(&l)) { "every item from A to Z" } "."
            }
        };
        self.document("/404", &l, "Page not found", None, main)
    }

    /// The search page: the box (filled in), then results with their
    /// marked passages, counts by kind, topic and country as links, pages,
    /// and "Did you mean"; or the problem with the request.
    pub fn search(&self, p: &SearchPage<'_>) -> String {
        let ctx = &self.ctx;
        let main = html! {
            h1 { "Search" }
            @match p.outcome {
                SearchOutcome::Form => {
                    p { "Type words in the search box above, or look through "
                        a href=(ctx.map.a_z(p.locale)) { "every item from A to Z" } "." }
                }
                SearchOutcome::Problem(why) => {
                    p class="banner" { strong { "Cannot search" } ": " (why) }
                }
                SearchOutcome::Results(results) => { (self.results(p, results)) }
            }
        };
        let query = (!p.query.is_empty()).then_some(p.query);
        self.document(SiteMap::SEARCH, p.locale, "Search", query, main)
    }

    fn results(&self, p: &SearchPage<'_>, results: &SearchResults) -> Markup {
        let ctx = &self.ctx;
        let link = Link::of(p, &ctx.default);
        let pages = results.total.div_ceil(RESULTS_PER_PAGE).max(1);
        let filtered = p.kind.is_some() || p.topic.is_some() || p.country.is_some();
        // Hits are resolved through the view again: an index a moment
        // older than the content must not show what the view hides.
        let hits: Vec<&Hit> = results.hits.iter().filter(|h| ctx.view.exists(h.kind, &h.slug, p.locale)).collect();
        let suggestion = results.suggestions.first();
        let snapshot = ctx.view.snapshot();
        let topic_name = |slug: &str| {
            snapshot.topic(slug).map_or(slug.to_owned(), |t| t.names.get(p.locale).unwrap_or(&t.name).clone())
        };
        let kind_name = |v: &str| v.parse::<Kind>().map_or(v.to_owned(), |k| k.plural_title().to_owned());
        let country_name = |v: &str| Country::parse(v).map_or(v.to_owned(), |c| c.name().to_owned());
        html! {
            p {
                @match results.total {
                    0 => { "No results for “" (p.query) "”." }
                    1 => { "1 result for “" (p.query) "”." }
                    n => { (n) " results for “" (p.query) "”" @if pages > 1 { ", page " (p.page) " of " (pages) } "." }
                }
                @if filtered {
                    " " a href=(link.with(|l| { l.kind = None; l.topic = None; l.country = None; })) { "Show results of every kind, topic and country" }
                }
            }
            @if let Some(s) = suggestion {
                p { "Did you mean " a href=(Link { query: s, ..link.with_page(1) }.href()) { (s) } "?" }
            }
            @if !hits.is_empty() {
                ol start=(p.page.saturating_sub(1) * RESULTS_PER_PAGE + 1) {
                    @for hit in &hits {
                        li {
                            h2 { a href=(ctx.map.item(hit.kind, &hit.slug, p.locale)) { (hit.title) } }
                            @if let Some(state) = ctx.unpublished(hit.kind, &hit.slug, p.locale) {
                                p class="banner" { (pages::banner(state)) }
                            }
                            p { span class="meta" { (hit.kind.name()) ": " } (marked(&hit.snippet)) }
                        }
                    }
                }
            }
            @if pages > 1 {
                nav aria-label="Pages of results" {
                    p {
                        @if p.page > 1 { a rel="prev" href=(link.with_page(p.page - 1).href()) { "Previous page" } " " }
                        "Page " (p.page) " of " (pages)
                        @if p.page < pages { " " a rel="next" href=(link.with_page(p.page + 1).href()) { "Next page" } }
                    }
                }
            }
            @if results.total > 0 {
                aside aria-label="Refine" {
                    h2 { "Refine" }
                    (facet("Kind", &results.facets.kinds, p.kind.map(|k| k.name().to_owned()).as_deref(), kind_name, |v| {
                        link.with(|l| l.kind = v.parse().ok())
                    }))
                    (facet("Topic", &results.facets.topics, p.topic, topic_name, |v| link.with(|l| l.topic = Some(v))))
                    (facet("Country", &results.facets.countries, p.country.as_ref().map(Country::as_str), country_name, |v| {
                        link.with(|l| l.country = Country::parse(v).ok())
                    }))
                }
            }
        }
    }

    /// The preview page: sign in with the token, or end preview.
    pub fn preview(&self, form: &PreviewForm<'_>) -> String {
        let l = self.ctx.default.clone();
        let main = html! {
            h1 { "Preview" }
            @match form {
                PreviewForm::SignIn { csrf, problem } => {
                    p { "Editors: enter the preview token to see drafts, items in review and embargoed items on this site, in this browser only." }
                    @if let Some(problem) = problem { p class="banner" { (problem) } }
                    form method="post" action="/preview" {
                        input type="hidden" name="csrf" value=(csrf);
                        label for="token" { "Preview token" }
                        input id="token" type="password" name="token" autocomplete="off" required;
                        button type="submit" { "Start preview" }
                    }
                }
                PreviewForm::SignedIn { csrf } => {
                    p { "Preview is on in this browser: pages and search show drafts, items in review and embargoed items, each marked." }
                    form method="post" action="/preview/logout" {
                        input type="hidden" name="csrf" value=(csrf);
                        button type="submit" { "End preview" }
                    }
                }
                PreviewForm::Off => {
                    p { "Preview is not enabled on this server." }
                }
            }
        };
        self.document("/preview", &l, "Preview", None, main)
    }

    /// A page of the server's own in the site's shell.
    fn document(&self, address: &str, l: &Locale, title: &str, query: Option<&str>, main: Markup) -> String {
        // What the page is about is what it is titled: the search, its words.
        let shell = Shell {
            address,
            locale: l,
            content_locale: l,
            title,
            crumbs: &[],
            alternates: &[],
            query,
            description: Some(title),
        };
        let html = pages::page(&self.ctx, &shell, main).into_string();
        format!("<!doctype html>\n{html}\n")
    }
}

/// The passage with each match in `<mark>`, escaped by maud; a range that
/// does not fall on characters (it never should) is shown unmarked.
fn marked(snippet: &Snippet) -> Markup {
    let text = snippet.text.as_str();
    let mut pieces: Vec<(&str, &str)> = Vec::new();
    let mut at = 0;
    for r in &snippet.highlights {
        let (Some(before), Some(hit)) = (text.get(at..r.start), text.get(r.clone())) else { continue };
        pieces.push((before, hit));
        at = r.end;
    }
    let rest = text.get(at..).unwrap_or("");
    html! {
        @for (before, hit) in pieces { (before) mark { (hit) } }
        (rest)
    }
}

/// Counts of one facet as links that narrow the search; the value in use
/// is shown without a link.
fn facet<'c>(
    heading: &str,
    counts: &'c [FacetCount],
    current: Option<&str>,
    name: impl Fn(&str) -> String,
    href: impl Fn(&'c str) -> String,
) -> Markup {
    html! {
        @if !counts.is_empty() {
            h3 { (heading) }
            ul {
                @for c in counts {
                    li {
                        @if current == Some(c.value.as_str()) {
                            strong aria-current="true" { (name(&c.value)) } " (" (c.count) ")"
                        } @else {
                            a href=(href(&c.value)) { (name(&c.value)) } " (" (c.count) ")"
                        }
                    }
                }
            }
        }
    }
}

/// The address of a search page.
#[derive(Clone, Copy)]
struct Link<'a> {
    query: &'a str,
    lang: Option<&'a str>,
    kind: Option<Kind>,
    topic: Option<&'a str>,
    country: Option<Country>,
    page: usize,
}

impl<'a> Link<'a> {
    fn of(p: &SearchPage<'a>, default: &Locale) -> Link<'a> {
        Link {
            query: p.query,
            lang: (p.locale != default).then_some(p.locale.as_str()),
            kind: p.kind,
            topic: p.topic,
            country: p.country,
            page: p.page,
        }
    }

    fn with_page(self, page: usize) -> Link<'a> {
        Link { page, ..self }
    }

    /// This search changed by `change`, from its first page.
    fn with(self, change: impl FnOnce(&mut Link<'a>)) -> String {
        let mut link = self.with_page(1);
        change(&mut link);
        link.href()
    }

    fn href(&self) -> String {
        let start = format!("{}?", SiteMap::SEARCH);
        let mut query = form_urlencoded::Serializer::for_suffix(start.clone(), start.len());
        query.append_pair("q", self.query);
        if let Some(lang) = self.lang {
            query.append_pair("lang", lang);
        }
        if let Some(kind) = self.kind {
            query.append_pair("kind", kind.name());
        }
        if let Some(topic) = self.topic {
            query.append_pair("topic", topic);
        }
        if let Some(country) = &self.country {
            query.append_pair("country", country.as_str());
        }
        if self.page > 1 {
            query.append_pair("page", &self.page.to_string());
        }
        query.finish()
    }
}
