//! The HTML pages, as maud templates: the shell (header with the search
//! box, navigation, breadcrumb, footer) around every page, item pages from
//! the site's `ItemView`, kind indexes, the A to Z index, home and topic
//! pages.
//!
//! Every interpolation is escaped by maud. The one piece of markup taken as
//! it is, the body's block tree, comes from `tessera_core::to_html_with`,
//! which escapes the content itself.

use chrono::{DateTime, Utc};
use maud::{Markup, PreEscaped, html};
use rayon::prelude::*;
use tessera_core::{
    Audience, Block, HtmlOptions, Item, Kind, LinkTarget, Locale, MediaKind, Publishable, Status, Topic, plain_text,
    to_html_with,
};
use tessera_site::{EXAMPLE_HEADING, Fact, Figure, ItemView, Related, Relation, SiteMap, TEASER_LINK};

use crate::context::{Context, Unpublished};

/// The stylesheet: small, readable, AA contrast, visible focus, reflows to 320 px.
pub(crate) const STYLESHEET: &str = "*{box-sizing:border-box}\
body{margin:0 auto;max-width:42rem;padding:0 1rem 2rem;font:1.05rem/1.6 system-ui,sans-serif;color:#1a1a1a;background:#fff;overflow-wrap:anywhere}\
a{color:#0a4d8c}a:focus,a:hover{outline:3px solid #b35900;outline-offset:2px}\
.skip{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%);white-space:nowrap}.skip:focus{position:static;width:auto;height:auto;clip-path:none}\
header{border-bottom:1px solid #595959;padding:.5rem 0}header ul,nav ol{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:.25rem 1rem;margin:.25rem 0}\
.notice{background:#fff4d6;padding:.5rem;border-left:4px solid #8a5a00}\
nav ol li+li:before{content:\"/ \";color:#595959}\
figure{margin:1rem 0}figcaption,.meta,.credit{color:#4d4d4d;font-size:.95rem}img{max-width:100%;height:auto}\
blockquote{margin:1rem 0;padding-left:1rem;border-left:4px solid #595959}\
footer{border-top:1px solid #595959;margin-top:2rem;padding-top:.5rem}\
pre{overflow-x:auto}table{border-collapse:collapse}td,th{border:1px solid #595959;padding:.25rem}\
form{display:flex;flex-wrap:wrap;align-items:center;gap:.25rem .5rem;margin:.5rem 0}input{font:inherit;min-width:0;max-width:100%;padding:.2rem}button{font:inherit}\
.banner{background:#fdecea;padding:.5rem;border-left:4px solid #a4262c}mark{background:#fff1a8;color:inherit}\n";

/// The site address of the stylesheet.
pub(crate) const STYLESHEET_ADDRESS: &str = "/style.css";

/// The site's icon: a small SVG file, so that browsers find one (without
/// it they ask for `/favicon.ico` and log the miss as an error) and a copy
/// opened from `file://` finds it beside the pages.
pub(crate) const FAVICON: &str = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 16 16\">\
<rect width=\"16\" height=\"16\" rx=\"3\" fill=\"#0a4d8c\"/>\
<path d=\"M4 4h8v2H9v6H7V6H4z\" fill=\"#fff\"/></svg>\n";

/// The site address of the icon.
pub(crate) const FAVICON_ADDRESS: &str = "/favicon.svg";

/// The longest description a page gives search engines, in characters;
/// they show about this much.
const DESCRIPTION_MAX: usize = 160;

/// What a page says it is about, for search engines and link previews: the
/// first sentence of `text`, cut at a word within [`DESCRIPTION_MAX`]
/// characters; `None` when there is no text.
pub(crate) fn first_sentence(text: &str) -> Option<String> {
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let end = text
        .char_indices()
        .find(|&(i, c)| matches!(c, '.' | '!' | '?') && text[i + c.len_utf8()..].starts_with(' '))
        .map_or(text.len(), |(i, c)| i + c.len_utf8());
    let sentence = &text[..end];
    if sentence.is_empty() {
        return None;
    }
    if sentence.chars().count() <= DESCRIPTION_MAX {
        return Some(sentence.to_owned());
    }
    let cut = sentence.char_indices().nth(DESCRIPTION_MAX).map_or(sentence.len(), |(i, _)| i);
    let words = sentence[..cut].rsplit_once(' ').map_or(&sentence[..cut], |(w, _)| w);
    Some(format!("{}…", words.trim_end_matches([',', ';', ':', ' '])))
}

/// An item's description: its summary, else the first sentence of its
/// first paragraph, else its title.
fn item_description(item: &ItemView) -> String {
    let summary = item.summary.as_deref().and_then(summary_description);
    summary
        .or_else(|| {
            item.body.iter().find_map(|b| match b {
                Block::Paragraph { .. } => first_sentence(&plain_text(std::slice::from_ref(b))),
                _ => None,
            })
        })
        .unwrap_or_else(|| item.title.clone())
}

/// A summary as a description: whole, unless it is longer than a search
/// engine shows.
fn summary_description(summary: &str) -> Option<String> {
    let summary = summary.trim();
    if summary.is_empty() {
        None
    } else if summary.chars().count() <= DESCRIPTION_MAX {
        Some(summary.to_owned())
    } else {
        first_sentence(summary)
    }
}

/// One HTML file to write, with the content file it came from.
pub(crate) struct Rendered {
    /// The output path.
    pub(crate) path: String,
    pub(crate) html: String,
    /// The content file, named when a link on the page is broken.
    pub(crate) source: String,
}

impl Rendered {
    /// A whole document: the doctype, then the markup.
    pub(crate) fn new(path: String, markup: Markup, source: String) -> Rendered {
        let mut html = String::from("<!doctype html>\n");
        html.push_str(&markup.into_string());
        html.push('\n');
        Rendered { path, html, source }
    }
}

/// The pages of the site, and when each item's page last changed (by its
/// address) for the sitemap and the feeds.
pub(crate) struct Site {
    pub(crate) pages: Vec<Rendered>,
    pub(crate) changed: std::collections::BTreeMap<String, DateTime<Utc>>,
}

/// When the item's page at an address last changed.
type Changed = (String, DateTime<Utc>);

/// Every item in every locale: one job each, so that every core renders,
/// whatever the number of locales.
fn jobs<'c>(ctx: &'c Context<'_>) -> Vec<(&'c Locale, Kind, &'c str)> {
    let mut jobs = Vec::new();
    for l in &ctx.locales {
        for kind in Kind::WITH_PAGES {
            jobs.extend(ctx.slugs(kind).into_iter().map(|s| (l, kind, s)));
        }
    }
    jobs
}

/// When each item's page last changed, by address, without rendering the
/// pages (for a sitemap or feed served on its own).
pub(crate) fn changed(ctx: &Context<'_>) -> std::collections::BTreeMap<String, DateTime<Utc>> {
    jobs(ctx)
        .par_iter()
        .filter_map(|&(l, kind, slug)| {
            let item = ItemView::build(&ctx.view, kind, slug, l)?;
            Some((ctx.map.item(kind, slug, l), item.changed?.instant()))
        })
        .collect()
}

/// Every page: items, indexes, A to Z, home and topics, in every exported
/// locale.
pub(crate) fn render(ctx: &Context<'_>) -> Site {
    let items: Vec<(Rendered, Option<Changed>)> = jobs(ctx)
        .par_iter()
        .filter_map(|&(l, kind, slug)| {
            let item = ItemView::build(&ctx.view, kind, slug, l)?;
            let address = ctx.map.item(kind, slug, l);
            let changed = item.changed.as_ref().map(|t| (address, t.instant()));
            Some((item_page(ctx, &item, l), changed))
        })
        .collect();
    let mut site = Site { pages: Vec::new(), changed: Default::default() };
    for (page, changed) in items {
        site.pages.push(page);
        site.changed.extend(changed);
    }
    for l in &ctx.locales {
        for kind in Kind::WITH_PAGES {
            site.pages.push(index_page(ctx, kind, l));
        }
        site.pages.push(home(ctx, l));
        site.pages.push(a_z_page(ctx, l));
        for t in ctx.view.snapshot().topics() {
            site.pages.push(topic_page(ctx, t, l));
        }
    }
    site
}

/// Where a page is and what the shell says around its content.
pub(crate) struct Shell<'a> {
    /// The page's site address: links on it are written from there.
    pub(crate) address: &'a str,
    /// The locale of the page.
    pub(crate) locale: &'a Locale,
    /// The locale its content is written in (a fallback's may differ).
    pub(crate) content_locale: &'a Locale,
    pub(crate) title: &'a str,
    /// Breadcrumbs between Home and the page: (label, address).
    pub(crate) crumbs: &'a [(&'a str, String)],
    /// The page in every locale: (locale, address).
    pub(crate) alternates: &'a [(Locale, String)],
    /// The words in the search box (on the search page).
    pub(crate) query: Option<&'a str>,
    /// What the page is about, for search engines; the site's title when
    /// `None`.
    pub(crate) description: Option<&'a str>,
}

/// The whole HTML page around `main`.
pub(crate) fn page(ctx: &Context<'_>, shell: &Shell<'_>, main: Markup) -> Markup {
    let label = ctx.view.snapshot().site().search_label.as_deref().unwrap_or("Search");
    let action = ctx.link(shell.address, &ctx.search_action(shell.locale));
    // The live search page reads the reader's locale from `lang`; the
    // default locale needs none.
    let lang = (ctx.live && *shell.locale != ctx.default).then_some(shell.locale.as_str());
    let previewing = ctx.live && ctx.view.audience() == Audience::Preview;
    let site = ctx.view.snapshot().site();
    let link = |to: &str| ctx.link(shell.address, to);
    let home = ctx.map.home(shell.locale);
    // The site's own words (navigation, notice) are in the default locale;
    // say so on pages in other languages.
    let ui = (*shell.locale != ctx.default).then_some(&ctx.default);
    let ui_lang = ui.map(Locale::as_str);
    let ui_dir = ui.map(|l| l.direction().as_str());
    let content = (shell.content_locale != shell.locale).then_some(shell.content_locale);
    // The home page is titled by the site alone, not "UNICEF – UNICEF".
    let full_title =
        if shell.title == site.title { shell.title.to_owned() } else { format!("{} – {}", shell.title, site.title) };
    let languages: Vec<(&Locale, &str, &str)> = ctx
        .locales
        .iter()
        .filter_map(|l| {
            let address = shell.alternates.iter().find(|(a, _)| a == l).map(|(_, p)| p.as_str())?;
            let name = site.locales.iter().find(|c| c.code == *l).map_or(l.as_str(), |c| c.name.as_str());
            Some((l, address, name))
        })
        .collect();
    html! {
        html lang=(shell.locale.as_str()) dir=(shell.locale.direction().as_str()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (full_title) }
                meta name="description" content=(shell.description.unwrap_or(&site.title));
                link rel="icon" type="image/svg+xml" href=(link(FAVICON_ADDRESS));
                link rel="stylesheet" href=(link(STYLESHEET_ADDRESS));
                // Alternates name other pages for search engines: absolute,
                // whatever the links.
                @for (l, address) in shell.alternates {
                    link rel="alternate" hreflang=(l.as_str()) href=(ctx.url(address));
                }
            }
            body {
                a class="skip" href="#main" lang=[ui_lang] dir=[ui_dir] { "Skip to content" }
                header lang=[ui_lang] dir=[ui_dir] {
                    p { a href=(link(&home)) { (site.title) } }
                    nav aria-label="Site" {
                        ul {
                            @for kind in Kind::WITH_PAGES {
                                li { a href=(link(&ctx.map.index(kind, shell.locale))) { (kind.plural_title()) } }
                            }
                        }
                    }
                    @if let Some(notice) = &site.transition_notice {
                        p class="notice" { (notice) }
                    }
                    @if previewing {
                        p class="banner" {
                            strong { "Preview" } ": drafts, items in review and embargoed items are shown. "
                            a href="/preview" { "End preview" }
                        }
                    }
                    form role="search" action=(action) method="get" {
                        label for="q" { (label) }
                        input id="q" type="search" name="q" value=[shell.query];
                        @if let Some(lang) = lang { input type="hidden" name="lang" value=(lang); }
                        button type="submit" { "Search" }
                    }
                }
                nav aria-label="Breadcrumb" lang=[ui_lang] dir=[ui_dir] {
                    ol {
                        li { a href=(link(&home)) { "Home" } }
                        @for (label, address) in shell.crumbs {
                            li { a href=(link(address)) { (label) } }
                        }
                        li aria-current="page" { (shell.title) }
                    }
                }
                main id="main" lang=[content.map(Locale::as_str)] dir=[content.map(|l| l.direction().as_str())] {
                    (main)
                }
                footer {
                    p {
                        @for (i, (l, address, name)) in languages.iter().enumerate() {
                            @if i > 0 { " · " }
                            a href=(link(address)) hreflang=(l.as_str()) lang=(l.as_str()) { (name) }
                        }
                    }
                }
            }
        }
    }
}

/// Links to pages under a heading (none: no section), as a list.
fn section(ctx: &Context<'_>, from: &str, heading: Option<&str>, numbered: bool, links: &[(String, &str)]) -> Markup {
    html! {
        @if !links.is_empty() {
            section {
                @if let Some(h) = heading { h2 { (h) } }
                @if numbered { ol { (list_items(ctx, from, links)) } } @else { ul { (list_items(ctx, from, links)) } }
            }
        }
    }
}

fn list_items(ctx: &Context<'_>, from: &str, links: &[(String, &str)]) -> Markup {
    html! {
        @for (address, title) in links {
            li { a href=(ctx.link(from, address)) { (title) } }
        }
    }
}

/// The pages of `docs` in `locale`: (address, title).
fn doc_links<'d, T: Item + Publishable>(
    ctx: &Context<'_>,
    docs: &'d [tessera_core::Localized<'_, T>],
    locale: &Locale,
) -> Vec<(String, &'d str)> {
    docs.iter().map(|d| (ctx.map.item(T::KIND, &d.slug, locale), Publishable::title(&d.meta))).collect()
}

/// The body's block tree, its links written from the page at `from`.
fn blocks(ctx: &Context<'_>, from: &str, blocks: &[Block], locale: &Locale) -> Markup {
    let href = |target: &LinkTarget| match target {
        // A link to an item this audience may not see (a draft, an
        // embargo) is shown as its text: a link would lead nowhere and
        // tell that the item exists.
        LinkTarget::Item { kind, slug, .. } if !ctx.view.exists(*kind, slug, &ctx.default) => None,
        // The item's page in this locale's folder; media have none.
        other => ctx.map.link(other, locale).map(|to| ctx.link(from, &to)),
    };
    // `to_html_with` escapes every piece of content it writes.
    PreEscaped(to_html_with(blocks, &HtmlOptions { href: &href, heading_offset: 1 }))
}

fn figure(ctx: &Context<'_>, from: &str, f: &Figure) -> Markup {
    let caption = f.caption.as_deref().map(str::trim).filter(|c| !c.is_empty());
    html! {
        figure id=(f.anchor()) {
            @match (&f.src, f.kind) {
                (Some(src), MediaKind::Image) => {
                    img src=(ctx.link(from, src)) alt=(f.alt.as_deref().unwrap_or(""));
                }
                (Some(src), _) => {
                    p { a href=(ctx.link(from, src)) { (f.link_text()) " (" (f.kind.as_str()) ")" } }
                }
                // Not migrated yet: the text alternative stands in for it.
                (None, _) => {
                    p class="meta" { (f.label()) ": " (f.alt.as_deref().or(f.caption.as_deref()).unwrap_or("")) }
                }
            }
            @if caption.is_some() || f.credit.is_some() {
                figcaption {
                    @if let Some(c) = caption { (c) }
                    @if caption.is_some() && f.credit.is_some() { " " }
                    @if let Some(credit) = &f.credit { span class="credit" { (credit) } }
                }
            }
        }
    }
}

/// Related items under their heading: titles, or for a teaser relation
/// what each says, then "Story" and its media as links.
fn related(ctx: &Context<'_>, from: &str, relation: Relation, related: &[Related], locale: &Locale) -> Markup {
    if !relation.teaser() {
        let links: Vec<(String, &str)> =
            related.iter().map(|r| (ctx.map.item(r.kind, &r.slug, locale), r.title.as_str())).collect();
        return section(ctx, from, Some(relation.heading()), relation.numbered(), &links);
    }
    html! {
        section {
            h2 { (relation.heading()) }
            @for r in related {
                @let address = ctx.map.item(r.kind, &r.slug, locale);
                @if let Some(summary) = &r.summary {
                    p { (summary) }
                    p {
                        a href=(ctx.link(from, &address)) { (TEASER_LINK) }
                        @for m in &r.media {
                            @let to = m.src.clone().unwrap_or_else(|| format!("{address}#{}", m.anchor()));
                            " - "
                            a href=(ctx.link(from, &to)) { (m.link_text()) }
                        }
                    }
                } @else {
                    p { a href=(ctx.link(from, &address)) { (r.title) } }
                }
            }
        }
    }
}

/// An item's page, from the site's view of the item.
pub(crate) fn item_page(ctx: &Context<'_>, item: &ItemView, l: &Locale) -> Rendered {
    let address = ctx.map.item(item.kind, &item.slug, l);
    let from = address.as_str();
    let (teasers, lists): (Vec<_>, Vec<_>) = item.relations.iter().partition(|(r, _)| r.teaser());
    let topics: Vec<(String, &str)> =
        item.topics.iter().map(|(slug, name)| (ctx.map.topic(slug, l), name.as_str())).collect();
    // The item itself in an article; what the site adds around it (lists
    // of related items, topics) in an aside.
    let state = ctx.unpublished(item.kind, &item.slug, l);
    let main = html! {
        article {
            h1 { (item.title) }
            @if let Some(state) = state { p class="banner" { (banner(state)) } }
            @if !item.facts.is_empty() {
                p class="meta" {
                    @for (i, fact) in item.facts.iter().enumerate() {
                        @if i > 0 { " · " }
                        (fact.label()) ": "
                        @if let Fact::Website(w) = fact {
                            a href=(ctx.link(from, w)) { (w) }
                        } @else {
                            (fact.text())
                        }
                    }
                }
            }
            @if let Some(summary) = &item.summary {
                p { strong { (summary) } }
            }
            @if let Some(hero) = &item.hero { (figure(ctx, from, hero)) }
            (blocks(ctx, from, &item.body, l))
            @if !item.example.is_empty() {
                section {
                    h2 { (EXAMPLE_HEADING) }
                    (blocks(ctx, from, &item.example, l))
                }
            }
            @for m in &item.media { (figure(ctx, from, m)) }
            @for (relation, items) in &teasers { (related(ctx, from, *relation, items, l)) }
        }
        @if !lists.is_empty() || !topics.is_empty() {
            aside aria-label="Related" {
                @for (relation, items) in &lists { (related(ctx, from, *relation, items, l)) }
                @if !topics.is_empty() {
                    p class="meta" {
                        "Topics: "
                        @for (i, (topic, name)) in topics.iter().enumerate() {
                            @if i > 0 { ", " }
                            a href=(ctx.link(from, topic)) { (name) }
                        }
                    }
                }
            }
        }
        @if let Some(changed) = &item.changed {
            p class="meta" {
                "Updated "
                time datetime=(changed.instant().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)) {
                    (changed.instant().format("%-d %B %Y"))
                }
            }
        }
    };
    let crumbs = [(item.kind.plural_title(), ctx.map.index(item.kind, l))];
    let description = item_description(item);
    let alternates = ctx.alternates(item.kind, &item.slug);
    let shell = Shell {
        address: from,
        locale: l,
        content_locale: &item.locale,
        title: &item.title,
        crumbs: &crumbs,
        alternates: &alternates,
        query: None,
        description: Some(&description),
    };
    Rendered::new(
        SiteMap::file(&address),
        page(ctx, &shell, main),
        item.path.as_ref().map(|p| p.display().to_string()).unwrap_or_default(),
    )
}

/// The index of a kind: every visible item's title.
pub(crate) fn index_page(ctx: &Context<'_>, kind: Kind, l: &Locale) -> Rendered {
    fn links<T: Item + Publishable>(ctx: &Context<'_>, l: &Locale) -> Vec<(String, String)> {
        let docs = ctx.view.list::<T>(l);
        doc_links(ctx, &docs, l).into_iter().map(|(a, t)| (a, t.to_owned())).collect()
    }
    let entries = match kind {
        Kind::Page => links::<tessera_core::Page>(ctx, l),
        Kind::Measure => links::<tessera_core::Measure>(ctx, l),
        Kind::Partner => links::<tessera_core::Partner>(ctx, l),
        Kind::Story => links::<tessera_core::Story>(ctx, l),
        Kind::Media | Kind::Topic => Vec::new(),
    };
    let entries: Vec<(String, &str)> = entries.iter().map(|(a, t)| (a.clone(), t.as_str())).collect();
    let address = ctx.map.index(kind, l);
    let title = kind.plural_title();
    let main = html! {
        h1 { (title) }
        (section(ctx, &address, None, false, &entries))
    };
    let alternates = ctx.every_locale(|a| ctx.map.index(kind, a));
    let shell = Shell {
        address: &address,
        locale: l,
        content_locale: l,
        title,
        crumbs: &[],
        alternates: &alternates,
        query: None,
        description: Some(&format!("{title}: every item of this kind on {}.", ctx.view.snapshot().site().title)),
    };
    Rendered::new(SiteMap::file(&address), page(ctx, &shell, main), "site.toml".into())
}

pub(crate) fn home(ctx: &Context<'_>, l: &Locale) -> Rendered {
    use tessera_core::{Page, Story};
    let site = ctx.view.snapshot().site();
    let address = ctx.map.home(l);
    let pages = ctx.view.list::<Page>(l);
    let stories = ctx.view.list::<Story>(l);
    let topics: Vec<(String, &str)> = ctx
        .view
        .snapshot()
        .topics()
        .iter()
        .map(|t| (ctx.map.topic(&t.slug, l), t.names.get(l).unwrap_or(&t.name).as_str()))
        .collect();
    let main = html! {
        h1 { (site.title) }
        (section(ctx, &address, Some("Pages"), false, &doc_links(ctx, &pages, l)))
        (section(ctx, &address, Some("Stories from the field"), false, &doc_links(ctx, &stories, l)))
        (section(ctx, &address, Some("Topics"), false, &topics))
    };
    let alternates = ctx.every_locale(|a| ctx.map.home(a));
    let shell = Shell {
        address: &address,
        locale: l,
        content_locale: l,
        title: &site.title,
        crumbs: &[],
        alternates: &alternates,
        query: None,
        description: Some(site.transition_notice.as_deref().unwrap_or(&site.title)),
    };
    Rendered::new(SiteMap::file(&address), page(ctx, &shell, main), "site.toml".into())
}

pub(crate) fn topic_page(ctx: &Context<'_>, t: &Topic, l: &Locale) -> Rendered {
    use tessera_core::{Measure, Page, Partner, Story};
    let name = t.names.get(l).unwrap_or(&t.name);
    let address = ctx.map.topic(&t.slug, l);
    let pages = ctx.view.with_topic::<Page>(&t.slug, l);
    let measures = ctx.view.with_topic::<Measure>(&t.slug, l);
    let partners = ctx.view.with_topic::<Partner>(&t.slug, l);
    let stories = ctx.view.with_topic::<Story>(&t.slug, l);
    let main = html! {
        h1 { (name) }
        (section(ctx, &address, Some("Pages"), false, &doc_links(ctx, &pages, l)))
        (section(ctx, &address, Some("Measures"), false, &doc_links(ctx, &measures, l)))
        (section(ctx, &address, Some("Partners"), false, &doc_links(ctx, &partners, l)))
        (section(ctx, &address, Some("Stories"), false, &doc_links(ctx, &stories, l)))
    };
    let alternates = ctx.every_locale(|a| ctx.map.topic(&t.slug, a));
    let shell = Shell {
        address: &address,
        locale: l,
        content_locale: l,
        title: name,
        crumbs: &[],
        alternates: &alternates,
        query: None,
        description: Some(&format!("{name}: pages, measures, partners and stories on this topic.")),
    };
    Rendered::new(SiteMap::file(&address), page(ctx, &shell, main), "topics.toml".into())
}

/// What a preview says about an item that is not public yet: its state and
/// when it goes live.
pub(crate) fn banner(state: Unpublished) -> Markup {
    let when = state.publish_at.map(|t| (t.to_rfc3339(), t.format("%-d %B %Y, %H:%M UTC").to_string()));
    let what = match state.status {
        Status::Draft => "Draft, not public: it goes live once published",
        Status::Review => "In review, not public: it goes live once approved and published",
        Status::Published | Status::Archived => "Embargoed, not public yet: it goes live",
    };
    html! {
        strong { "Preview" } ": " (what)
        @match (&when, state.status) {
            (Some((iso, text)), Status::Published | Status::Archived) => { " on " time datetime=(iso) { (text) } "." }
            (Some((iso, text)), _) => { ", not before " time datetime=(iso) { (text) } "." }
            (None, _) => { "." }
        }
    }
}

/// The A to Z index: every item this audience sees, of every kind, by
/// title, so that a static site's search box always leads somewhere.
pub(crate) fn a_z_page(ctx: &Context<'_>, l: &Locale) -> Rendered {
    fn titles<T: Item + Publishable>(ctx: &Context<'_>, l: &Locale, out: &mut Vec<(String, String, Kind)>) {
        for d in ctx.view.list::<T>(l) {
            out.push((Publishable::title(&d.meta).to_owned(), ctx.map.item(T::KIND, &d.slug, l), T::KIND));
        }
    }
    let mut entries = Vec::new();
    titles::<tessera_core::Page>(ctx, l, &mut entries);
    titles::<tessera_core::Measure>(ctx, l, &mut entries);
    titles::<tessera_core::Partner>(ctx, l, &mut entries);
    titles::<tessera_core::Story>(ctx, l, &mut entries);
    entries.sort_by_cached_key(|(title, address, _)| (title.to_lowercase(), address.clone()));
    let address = ctx.map.a_z(l);
    let title = "A to Z";
    let main = html! {
        h1 { (title) }
        @if entries.is_empty() {
            p { "Nothing is published yet." }
        } @else {
            ul {
                @for (name, to, kind) in &entries {
                    li { a href=(ctx.link(&address, to)) { (name) } " (" (kind.name()) ")" }
                }
            }
        }
    };
    let alternates = ctx.every_locale(|a| ctx.map.a_z(a));
    let shell = Shell {
        address: &address,
        locale: l,
        content_locale: l,
        title,
        crumbs: &[],
        alternates: &alternates,
        query: None,
        description: Some("Every item of the site, by title."),
    };
    Rendered::new(SiteMap::file(&address), page(ctx, &shell, main), "site.toml".into())
}

#[cfg(test)]
mod tests {
    use super::first_sentence;

    #[test]
    fn a_description_is_the_first_sentence_cut_at_a_word() {
        assert_eq!(first_sentence("One. Two.").as_deref(), Some("One."));
        assert_eq!(first_sentence("  Spaced\n  out  text  ").as_deref(), Some("Spaced out text"));
        assert_eq!(first_sentence("3.5 percent rose. Then").as_deref(), Some("3.5 percent rose."));
        assert_eq!(first_sentence(" "), None);
        let long = "word ".repeat(60);
        let cut = first_sentence(&long).unwrap_or_default();
        assert!(cut.ends_with("word…") && cut.chars().count() <= 161, "{cut}");
    }
}
