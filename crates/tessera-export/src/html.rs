//! The formats themselves.

use rayon::prelude::*;
use serde_json::json;
use tessera_core::{
    Document, HtmlOptions, Item, Kind, LinkTarget, Locale, Localized, Measure, Media, MediaKind, Page, Partner,
    Publishable, Story, View, escape_html as esc, legacy_path, plain_text, to_html_with,
};
use tessera_site::{EXAMPLE_HEADING, Fact, Figure, ItemView, Related, Relation, SiteMap, TEASER_LINK};

use crate::{ExportError, Output};

/// The stylesheet: small, readable, AA contrast, visible focus, reflows to 320 px.
const CSS: &str = "*{box-sizing:border-box}\
body{margin:0 auto;max-width:42rem;padding:0 1rem 2rem;font:1.05rem/1.6 system-ui,sans-serif;color:#1a1a1a;background:#fff;overflow-wrap:anywhere}\
a{color:#0a4d8c}a:focus,a:hover{outline:3px solid #b35900;outline-offset:2px}\
.skip{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%);white-space:nowrap}.skip:focus{position:static;width:auto;height:auto;clip-path:none}\
header{border-bottom:1px solid #595959;padding:.5rem 0}header ul,nav ol{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:.25rem 1rem;margin:.25rem 0}\
.notice{background:#fff4d6;padding:.5rem;border-left:4px solid #8a5a00}\
nav ol li+li:before{content:\"/ \";color:#595959}\
figure{margin:1rem 0}figcaption,.meta,.credit{color:#4d4d4d;font-size:.95rem}img{max-width:100%;height:auto}\
blockquote{margin:1rem 0;padding-left:1rem;border-left:4px solid #595959}\
footer{border-top:1px solid #595959;margin-top:2rem;padding-top:.5rem}\
pre{overflow-x:auto}table{border-collapse:collapse}td,th{border:1px solid #595959;padding:.25rem}\n";

pub(crate) struct Context<'s> {
    view: View<'s>,
    base: String,
    locales: Vec<Locale>,
    default: Locale,
    /// Where every page lives: the one place addresses are built.
    map: SiteMap,
}

const KINDS: [Kind; 4] = Kind::WITH_PAGES;

/// One HTML file to write, with the content file it came from.
struct Rendered {
    path: String,
    html: String,
    source: String,
}

impl<'s> Context<'s> {
    pub(crate) fn new(view: View<'s>, base: String, locales: Vec<Locale>) -> Context<'s> {
        let default = view.snapshot().site().default_locale.clone();
        let map = SiteMap::new(view.snapshot().site());
        Context { view, base: base.trim_end_matches('/').to_owned(), locales, default, map }
    }

    fn item_path(&self, kind: Kind, slug: &str, locale: &Locale) -> String {
        self.map.item(kind, slug, locale)
    }

    fn href(&self, locale: &Locale) -> impl Fn(&LinkTarget) -> Option<String> + '_ {
        let locale = locale.clone();
        move |target| match target {
            // A link to an item this audience may not see (a draft, an
            // embargo) is shown as its text: a link would lead nowhere and
            // tell that the item exists.
            LinkTarget::Item { kind, slug, .. } if !self.view.exists(*kind, slug, &self.default) => None,
            // The item's page in this locale's folder; media have none.
            other => self.map.link(other, &locale),
        }
    }

    /// The whole HTML page around `main`.
    #[allow(clippy::too_many_arguments)]
    fn page(
        &self,
        locale: &Locale,
        content_locale: &Locale,
        title: &str,
        crumbs: &[(String, String)],
        alternates: &[(Locale, String)],
        main: &str,
    ) -> String {
        let site = self.view.snapshot().site();
        let home = self.map.home(locale);
        let mut head_links = String::new();
        for (l, path) in alternates {
            head_links
                .push_str(&format!("<link rel=\"alternate\" hreflang=\"{l}\" href=\"{}{path}\">\n", esc(&self.base)));
        }
        let nav: String = KINDS
            .iter()
            .map(|k| format!("<li><a href=\"{}\">{}</a></li>", self.map.index(*k, locale), k.plural_title()))
            .collect();
        let notice = site
            .transition_notice
            .as_deref()
            .map(|n| format!("<p class=\"notice\">{}</p>\n", esc(n)))
            .unwrap_or_default();
        let mut trail = format!("<li><a href=\"{home}\">Home</a></li>");
        for (label, href) in crumbs {
            trail.push_str(&format!("<li><a href=\"{href}\">{}</a></li>", esc(label)));
        }
        trail.push_str(&format!("<li aria-current=\"page\">{}</li>", esc(title)));
        let languages: String = self
            .locales
            .iter()
            .filter_map(|l| {
                let path = alternates.iter().find(|(a, _)| a == l).map(|(_, p)| p.clone())?;
                let name = site.locales.iter().find(|c| c.code == *l).map_or(l.to_string(), |c| c.name.clone());
                Some(format!("<a href=\"{path}\" hreflang=\"{l}\" lang=\"{l}\">{}</a>", esc(&name)))
            })
            .collect::<Vec<_>>()
            .join(" · ");
        // The site's own words (navigation, notice) are in the default
        // locale; say so on pages in other languages.
        let ui = if *locale != self.default {
            format!(" lang=\"{}\" dir=\"{}\"", self.default, self.default.direction().as_str())
        } else {
            String::new()
        };
        let lang_attr = if content_locale != locale {
            format!(" lang=\"{content_locale}\" dir=\"{}\"", content_locale.direction().as_str())
        } else {
            String::new()
        };
        format!(
            "<!doctype html>\n<html lang=\"{locale}\" dir=\"{dir}\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{full_title}</title>\n<link rel=\"stylesheet\" href=\"/style.css\">\n{head_links}</head>\n<body>\n<a class=\"skip\" href=\"#main\"{ui}>Skip to content</a>\n<header{ui}>\n<p><a href=\"{home}\">{site_title}</a></p>\n<nav aria-label=\"Site\"><ul>{nav}</ul></nav>\n{notice}</header>\n<nav aria-label=\"Breadcrumb\"{ui}><ol>{trail}</ol></nav>\n<main id=\"main\"{lang_attr}>\n{main}</main>\n<footer>\n<p>{languages}</p>\n</footer>\n</body>\n</html>\n",
            dir = locale.direction().as_str(),
            // The home page is titled by the site alone, not "UNICEF – UNICEF".
            full_title =
                if title == site.title { esc(title) } else { format!("{} – {}", esc(title), esc(&site.title)) },
            site_title = esc(&site.title),
        )
    }

    fn alternates(&self, kind: Kind, slug: &str) -> Vec<(Locale, String)> {
        // Every exported locale has a page for the item (by fallback);
        // hreflang names the locale of the page.
        self.locales
            .iter()
            .filter(|l| self.view.exists(kind, slug, l))
            .map(|l| (l.clone(), self.item_path(kind, slug, l)))
            .collect()
    }

    fn links<T: Item + Publishable>(
        &self,
        heading: &str,
        docs: &[Localized<'_, T>],
        locale: &Locale,
        numbered: bool,
    ) -> String {
        if docs.is_empty() {
            return String::new();
        }
        let tag = if numbered { "ol" } else { "ul" };
        let items: String = docs
            .iter()
            .map(|d| {
                format!(
                    "<li><a href=\"{}\">{}</a></li>\n",
                    self.item_path(T::KIND, &d.slug, locale),
                    esc(Publishable::title(&d.meta))
                )
            })
            .collect();
        format!("<section>\n<h2>{}</h2>\n<{tag}>\n{items}</{tag}>\n</section>\n", esc(heading))
    }

    fn figure(f: &Figure) -> String {
        let shown = match (&f.src, f.kind) {
            (Some(src), MediaKind::Image) => {
                format!("<img src=\"{}\" alt=\"{}\">", esc(src), esc(f.alt.as_deref().unwrap_or("")))
            }
            (Some(src), _) => {
                format!("<p><a href=\"{}\">{} ({})</a></p>", esc(src), esc(f.link_text()), f.kind.as_str())
            }
            // Not migrated yet: the text alternative stands in for it.
            (None, _) => format!(
                "<p class=\"meta\">{}: {}</p>",
                f.label(),
                esc(f.alt.as_deref().or(f.caption.as_deref()).unwrap_or(""))
            ),
        };
        let mut figcaption = String::new();
        if let Some(c) = &f.caption {
            figcaption.push_str(&esc(c));
        }
        if let Some(credit) = &f.credit {
            figcaption.push_str(&format!(" <span class=\"credit\">{}</span>", esc(credit)));
        }
        let figcaption = if figcaption.is_empty() {
            String::new()
        } else {
            format!("<figcaption>{}</figcaption>", figcaption.trim())
        };
        format!("<figure id=\"{}\">{shown}{figcaption}</figure>\n", esc(&f.anchor()))
    }

    fn blocks(&self, blocks: &[tessera_core::Block], locale: &Locale) -> String {
        let href = self.href(locale);
        to_html_with(blocks, &HtmlOptions { href: &href, heading_offset: 1 })
    }

    /// Related items under their heading: titles, or for a teaser relation
    /// what each says, then "Story" and its media as links.
    fn related(&self, relation: Relation, related: &[Related], locale: &Locale) -> String {
        let heading = esc(relation.heading());
        if relation.teaser() {
            let mut html = format!("<section>\n<h2>{heading}</h2>\n");
            for r in related {
                let href = self.item_path(r.kind, &r.slug, locale);
                let Some(summary) = &r.summary else {
                    html.push_str(&format!("<p><a href=\"{href}\">{}</a></p>\n", esc(&r.title)));
                    continue;
                };
                let mut links = vec![format!("<a href=\"{href}\">{TEASER_LINK}</a>")];
                for m in &r.media {
                    let to = m.src.as_deref().map_or_else(|| format!("{href}#{}", m.anchor()), esc);
                    links.push(format!("<a href=\"{to}\">{}</a>", esc(m.link_text())));
                }
                html.push_str(&format!("<p>{}</p>\n<p>{}</p>\n", esc(summary), links.join(" - ")));
            }
            html.push_str("</section>\n");
            return html;
        }
        let tag = if relation.numbered() { "ol" } else { "ul" };
        let items: String = related
            .iter()
            .map(|r| {
                format!("<li><a href=\"{}\">{}</a></li>\n", self.item_path(r.kind, &r.slug, locale), esc(&r.title))
            })
            .collect();
        format!("<section>\n<h2>{heading}</h2>\n<{tag}>\n{items}</{tag}>\n</section>\n")
    }

    /// An item's page, from the site's view of the item.
    fn render_item(&self, item: &ItemView, l: &Locale) -> Rendered {
        // The item itself in an article; what the site adds around it
        // (lists of related items, topics) in an aside.
        let mut main = format!("<article>\n<h1>{}</h1>\n", esc(&item.title));
        let facts: Vec<String> = item
            .facts
            .iter()
            .map(|f| match f {
                Fact::Website(w) => format!("{}: <a href=\"{}\">{}</a>", f.label(), esc(w), esc(w)),
                _ => format!("{}: {}", f.label(), esc(&f.text())),
            })
            .collect();
        if !facts.is_empty() {
            main.push_str(&format!("<p class=\"meta\">{}</p>\n", facts.join(" · ")));
        }
        if let Some(s) = &item.summary {
            main.push_str(&format!("<p><strong>{}</strong></p>\n", esc(s)));
        }
        if let Some(hero) = &item.hero {
            main.push_str(&Self::figure(hero));
        }
        main.push_str(&self.blocks(&item.body, l));
        if !item.example.is_empty() {
            main.push_str(&format!(
                "<section>\n<h2>{EXAMPLE_HEADING}</h2>\n{}</section>\n",
                self.blocks(&item.example, l)
            ));
        }
        for m in &item.media {
            main.push_str(&Self::figure(m));
        }
        for (relation, related) in item.relations.iter().filter(|(r, _)| r.teaser()) {
            main.push_str(&self.related(*relation, related, l));
        }
        main.push_str("</article>\n");
        let mut aside = String::new();
        for (relation, related) in item.relations.iter().filter(|(r, _)| !r.teaser()) {
            aside.push_str(&self.related(*relation, related, l));
        }
        let topics: Vec<String> = item
            .topics
            .iter()
            .map(|(slug, name)| format!("<a href=\"{}\">{}</a>", self.map.topic(slug, l), esc(name)))
            .collect();
        if !topics.is_empty() {
            aside.push_str(&format!("<p class=\"meta\">Topics: {}</p>\n", topics.join(", ")));
        }
        if !aside.is_empty() {
            main.push_str(&format!("<aside aria-label=\"Related\">\n{aside}</aside>\n"));
        }
        let crumbs = vec![(item.kind.plural_title().to_owned(), self.map.index(item.kind, l))];
        let html = self.page(l, &item.locale, &item.title, &crumbs, &self.alternates(item.kind, &item.slug), &main);
        Rendered {
            path: SiteMap::file(&self.map.item(item.kind, &item.slug, l)),
            html,
            source: item.path.as_ref().map(|p| p.display().to_string()).unwrap_or_default(),
        }
    }

    fn index_page<T: Item + Publishable>(&self, l: &Locale) -> Rendered {
        let docs = self.view.list::<T>(l);
        let title = T::KIND.plural_title();
        let main = format!(
            "<h1>{title}</h1>\n{}",
            self.links(title, &docs, l, false).replacen(&format!("<h2>{title}</h2>\n"), "", 1)
        );
        let alternates: Vec<(Locale, String)> =
            self.locales.iter().map(|a| (a.clone(), self.map.index(T::KIND, a))).collect();
        Rendered {
            path: SiteMap::file(&self.map.index(T::KIND, l)),
            html: self.page(l, l, title, &[], &alternates, &main),
            source: "site.toml".into(),
        }
    }

    /// The static site: home, indexes, items, topics, feeds, sitemap, redirects.
    pub(crate) fn site(&self, out: &mut Output) -> Result<(), ExportError> {
        let snapshot = self.view.snapshot();
        // One job per item and locale, so that every core renders, whatever
        // the number of locales.
        let mut jobs: Vec<(&Locale, Kind, &str)> = Vec::new();
        for l in &self.locales {
            jobs.extend(snapshot.collection::<Page>().slugs().map(|s| (l, Kind::Page, s)));
            jobs.extend(snapshot.collection::<Measure>().slugs().map(|s| (l, Kind::Measure, s)));
            jobs.extend(snapshot.collection::<Partner>().slugs().map(|s| (l, Kind::Partner, s)));
            jobs.extend(snapshot.collection::<Story>().slugs().map(|s| (l, Kind::Story, s)));
        }
        let mut pages: Vec<Rendered> = jobs
            .par_iter()
            .filter_map(|&(l, kind, slug)| {
                let item = ItemView::build(&self.view, kind, slug, l)?;
                Some(self.render_item(&item, l))
            })
            .collect();
        for l in &self.locales {
            pages.push(self.index_page::<Page>(l));
            pages.push(self.index_page::<Measure>(l));
            pages.push(self.index_page::<Partner>(l));
            pages.push(self.index_page::<Story>(l));
            pages.push(self.home(l));
            for t in snapshot.topics() {
                pages.push(self.topic_page(t, l));
            }
        }
        pages.extend(self.legacy_pages());
        check_links(&pages, out)?;
        for p in pages {
            out.insert(p.path, p.html.into_bytes());
        }
        out.insert("style.css".into(), CSS.as_bytes().to_vec());
        out.insert(
            "robots.txt".into(),
            format!("User-agent: *\nAllow: /\nSitemap: {}/sitemap.xml\n", self.base).into_bytes(),
        );
        out.insert("sitemap.xml".into(), self.sitemap().into_bytes());
        for l in &self.locales {
            out.insert(SiteMap::file(&self.map.feed(l)), self.feed(l).into_bytes());
        }
        let (netlify, nginx) = self.redirects();
        out.insert("_redirects".into(), netlify.into_bytes());
        out.insert("nginx-redirects.conf".into(), nginx.into_bytes());
        Ok(())
    }

    fn home(&self, l: &Locale) -> Rendered {
        let site = self.view.snapshot().site();
        let mut main = format!("<h1>{}</h1>\n", esc(&site.title));
        let pages = self.view.list::<Page>(l);
        main.push_str(&self.links("Pages", &pages, l, false));
        main.push_str(&self.links("Stories from the field", &self.view.list::<Story>(l), l, false));
        let topics: String = self
            .view
            .snapshot()
            .topics()
            .iter()
            .map(|t| {
                format!(
                    "<li><a href=\"{}\">{}</a></li>\n",
                    self.map.topic(&t.slug, l),
                    esc(t.names.get(l).unwrap_or(&t.name))
                )
            })
            .collect();
        if !topics.is_empty() {
            main.push_str(&format!("<section>\n<h2>Topics</h2>\n<ul>\n{topics}</ul>\n</section>\n"));
        }
        let alternates: Vec<(Locale, String)> = self.locales.iter().map(|a| (a.clone(), self.map.home(a))).collect();
        let html = self.page(l, l, &site.title, &[], &alternates, &main);
        Rendered { path: SiteMap::file(&self.map.home(l)), html, source: "site.toml".into() }
    }

    fn topic_page(&self, t: &tessera_core::Topic, l: &Locale) -> Rendered {
        let name = t.names.get(l).unwrap_or(&t.name);
        let mut main = format!("<h1>{}</h1>\n", esc(name));
        main.push_str(&self.links("Pages", &self.view.with_topic::<Page>(&t.slug, l), l, false));
        main.push_str(&self.links("Measures", &self.view.with_topic::<Measure>(&t.slug, l), l, false));
        main.push_str(&self.links("Partners", &self.view.with_topic::<Partner>(&t.slug, l), l, false));
        main.push_str(&self.links("Stories", &self.view.with_topic::<Story>(&t.slug, l), l, false));
        let alternates: Vec<(Locale, String)> =
            self.locales.iter().map(|a| (a.clone(), self.map.topic(&t.slug, a))).collect();
        let crumbs: [(String, String); 0] = [];
        Rendered {
            path: SiteMap::file(&self.map.topic(&t.slug, l)),
            html: self.page(l, l, name, &crumbs, &alternates, &main),
            source: "topics.toml".into(),
        }
    }

    /// Every legacy URL of every visible page: an HTML page at the old path
    /// that works without JavaScript.
    fn legacy_pages(&self) -> Vec<Rendered> {
        let mut out = Vec::new();
        for page in self.view.list::<Page>(&self.default) {
            let target = self.item_path(Kind::Page, &page.slug, &self.default);
            for url in &page.meta.legacy_urls {
                let Some(path) = legacy_path(url) else { continue };
                let file =
                    if path.ends_with('/') || path.is_empty() { format!("{path}index.html") } else { path.clone() };
                let html = format!(
                    "<!doctype html>\n<html lang=\"{l}\">\n<head>\n<meta charset=\"utf-8\">\n<title>Moved: {t}</title>\n<meta http-equiv=\"refresh\" content=\"0; url={target}\">\n<link rel=\"canonical\" href=\"{base}{target}\">\n</head>\n<body>\n<main>\n<h1>This page has moved</h1>\n<p><a href=\"{target}\">{t}</a></p>\n</main>\n</body>\n</html>\n",
                    l = self.default,
                    t = esc(&page.meta.title),
                    base = esc(&self.base),
                );
                out.push(Rendered { path: file, html, source: page.path.display().to_string() });
            }
        }
        out
    }

    fn redirects(&self) -> (String, String) {
        let mut netlify = String::from("# Legacy addresses of pages (generated by tessera export)\n");
        let mut nginx = String::from(
            "# Legacy addresses of pages (generated by tessera export).\n# Use: map $uri $tessera_redirect { include nginx-redirects.conf; }\n#      if ($tessera_redirect) { return 301 $tessera_redirect; }\n",
        );
        for page in self.view.list::<Page>(&self.default) {
            let target = self.item_path(Kind::Page, &page.slug, &self.default);
            for url in &page.meta.legacy_urls {
                netlify.push_str(&format!("{url} {target} 301\n"));
                if let Some(path) = legacy_path(url) {
                    nginx.push_str(&format!("/{path} {target};\n"));
                }
            }
        }
        (netlify, nginx)
    }

    fn sitemap(&self) -> String {
        let mut xml = String::from(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\" xmlns:xhtml=\"http://www.w3.org/1999/xhtml\">\n",
        );
        let mut add = |alternates: Vec<(Locale, String)>| {
            for (_, path) in &alternates {
                xml.push_str(&format!("<url><loc>{}{path}</loc>", esc(&self.base)));
                for (l, p) in &alternates {
                    xml.push_str(&format!(
                        "<xhtml:link rel=\"alternate\" hreflang=\"{l}\" href=\"{}{p}\"/>",
                        esc(&self.base)
                    ));
                }
                xml.push_str("</url>\n");
            }
        };
        add(self.locales.iter().map(|a| (a.clone(), self.map.home(a))).collect());
        for slug in self.view.snapshot().collection::<Page>().slugs() {
            add(self.alternates(Kind::Page, slug));
        }
        for slug in self.view.snapshot().collection::<Measure>().slugs() {
            add(self.alternates(Kind::Measure, slug));
        }
        for slug in self.view.snapshot().collection::<Partner>().slugs() {
            add(self.alternates(Kind::Partner, slug));
        }
        for slug in self.view.snapshot().collection::<Story>().slugs() {
            add(self.alternates(Kind::Story, slug));
        }
        xml.push_str("</urlset>\n");
        xml
    }

    /// An Atom feed of the stories in one locale.
    fn feed(&self, l: &Locale) -> String {
        let site = self.view.snapshot().site();
        let stories = self.view.list::<Story>(l);
        let stamp =
            |d: &Document<Story>| d.meta.updated.as_ref().or(d.meta.date.as_ref()).map(|t| t.instant().to_rfc3339());
        // The feed's date is its newest entry's: the same content gives the same bytes.
        let updated =
            stories.iter().filter_map(|d| stamp(d.doc)).max().unwrap_or_else(|| "1970-01-01T00:00:00+00:00".into());
        let mut xml = format!(
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"{l}\">\n<title>{} – Stories</title>\n<id>{base}{feed}</id>\n<link rel=\"self\" href=\"{base}{feed}\"/>\n<link href=\"{base}{home}\"/>\n<updated>{updated}</updated>\n",
            esc(&site.title),
            base = esc(&self.base),
            feed = self.map.feed(l),
            home = self.map.home(l),
        );
        for s in &stories {
            let href = format!("{}{}", self.base, self.item_path(Kind::Story, &s.slug, l));
            let summary = s.meta.summary.clone().unwrap_or_else(|| self.view.body(s.doc).plain_text());
            xml.push_str(&format!(
                "<entry>\n<title>{}</title>\n<id>{}</id>\n<link href=\"{}\"/>\n<updated>{}</updated>\n<author><name>{}</name></author>\n<summary>{}</summary>\n</entry>\n",
                esc(&s.meta.title),
                esc(&href),
                esc(&href),
                stamp(s.doc).unwrap_or_else(|| updated.clone()),
                esc(&site.title),
                esc(&summary)
            ));
        }
        xml.push_str("</feed>\n");
        xml
    }

    /// One JSON file per item (its front matter, as the schema describes
    /// it) and a bundle of everything.
    pub(crate) fn json(&self, out: &mut Output) {
        let snapshot = self.view.snapshot();
        let mut items = Vec::new();
        fn add<T: Item + serde::Serialize>(ctx: &Context<'_>, out: &mut Output, items: &mut Vec<serde_json::Value>) {
            for slug in ctx.view.snapshot().collection::<T>().slugs() {
                for doc in ctx.view.translations::<T>(slug) {
                    let mut front = serde_json::to_value(&doc.meta).unwrap_or_default();
                    // References to items this audience may not see are left
                    // out: their slugs alone would tell that they exist.
                    for r in doc.meta.references() {
                        if !ctx.view.exists(r.kind, r.slug, &ctx.default)
                            && let Some(list) = front.get_mut(r.field).and_then(|v| v.as_array_mut())
                        {
                            list.retain(|v| v.as_str() != Some(r.slug));
                        }
                    }
                    // Markdown in front matter (a measure's example) may link too.
                    if let Some(serde_json::Value::String(e)) = front.get_mut("example") {
                        *e = ctx.view.markdown(e, &doc.locale).into_owned();
                    }
                    let path = format!("json/{}/{}.{}.json", T::KIND.folder(), doc.slug, doc.locale);
                    out.insert(path, pretty(&front));
                    items.push(json!({ "kind": T::KIND, "slug": doc.slug, "locale": doc.locale, "front": front, "body": ctx.view.body(doc).markdown }));
                }
            }
        }
        add::<Page>(self, out, &mut items);
        add::<Measure>(self, out, &mut items);
        add::<Partner>(self, out, &mut items);
        add::<Story>(self, out, &mut items);
        add::<Media>(self, out, &mut items);
        let topics = json!({ "topics": snapshot.topics() });
        out.insert("json/site.json".into(), pretty(&serde_json::to_value(snapshot.site()).unwrap_or_default()));
        out.insert("json/topics.json".into(), pretty(&topics));
        let bundle = json!({ "site": snapshot.site(), "topics": snapshot.topics(), "items": items });
        out.insert("json/bundle.json".into(), pretty(&bundle));
    }

    /// Markdown and plain text, one file per item and locale: the body as
    /// the item's page says it (what it places in place), under its title.
    pub(crate) fn documents(&self, out: &mut Output, markdown: bool, text: bool) {
        for kind in Kind::WITH_PAGES {
            let snapshot = self.view.snapshot();
            let slugs: Vec<&str> = match kind {
                Kind::Page => snapshot.collection::<Page>().slugs().collect(),
                Kind::Measure => snapshot.collection::<Measure>().slugs().collect(),
                Kind::Partner => snapshot.collection::<Partner>().slugs().collect(),
                Kind::Story => snapshot.collection::<Story>().slugs().collect(),
                Kind::Media | Kind::Topic => Vec::new(),
            };
            for slug in slugs {
                for locale in self.translations(kind, slug) {
                    let Some(item) = ItemView::build(&self.view, kind, slug, &locale) else { continue };
                    let stem = format!("{}/{}.{}", kind.folder(), item.slug, item.locale);
                    if markdown {
                        let body = tessera_core::to_markdown(&item.body);
                        out.insert(format!("markdown/{stem}.md"), format!("# {}\n\n{body}", item.title).into_bytes());
                    }
                    if text {
                        let body = plain_text(&item.body);
                        out.insert(format!("text/{stem}.txt"), format!("{}\n\n{body}\n", item.title).into_bytes());
                    }
                }
            }
        }
    }

    /// The locales an item is written in, as this audience sees them.
    fn translations(&self, kind: Kind, slug: &str) -> Vec<Locale> {
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

fn pretty(value: &serde_json::Value) -> Vec<u8> {
    let mut bytes = serde_json::to_vec_pretty(value).unwrap_or_default();
    bytes.push(b'\n');
    bytes
}

/// Every internal `href` and `src` must name a file of the output.
fn check_links(pages: &[Rendered], out: &Output) -> Result<(), ExportError> {
    let mut files: std::collections::BTreeSet<&str> = pages.iter().map(|p| p.path.as_str()).collect();
    files.extend(out.keys().map(String::as_str));
    let extra = ["style.css", "feed.xml", "sitemap.xml"];
    pages.par_iter().try_for_each(|page| {
        for attr in ["href=\"/", "src=\"/"] {
            let mut rest = page.html.as_str();
            while let Some(i) = rest.find(attr) {
                rest = &rest[i + attr.len()..];
                let end = rest.find('"').unwrap_or(rest.len());
                let href = &rest[..end];
                let path = href.split(['#', '?']).next().unwrap_or("");
                let file =
                    if path.is_empty() || path.ends_with('/') { format!("{path}index.html") } else { path.to_owned() };
                let known = files.contains(file.as_str()) || extra.iter().any(|e| file.ends_with(e));
                if !known {
                    return Err(ExportError::BrokenLink {
                        output: page.path.clone(),
                        source_file: page.source.clone(),
                        href: format!("/{href}"),
                    });
                }
            }
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_to_a_missing_file_fails_naming_the_output_and_its_source() {
        let page =
            |path: &str, html: &str| Rendered { path: path.into(), html: html.into(), source: "pages/a.md".into() };
        let pages = vec![
            page("index.html", "<a href=\"/pages/a/\">a</a> <a href=\"/style.css\">css</a>"),
            page("pages/a/index.html", "<a href=\"/pages/a/#top\">self</a> <img src=\"/missing.png\" alt=\"\">"),
        ];
        let err = check_links(&pages, &Output::new()).map(|_| ()).unwrap_err().to_string();
        assert_eq!(err, "broken link in pages/a/index.html (from pages/a.md): /missing.png");
        let fixed = vec![
            page("index.html", "<a href=\"/pages/a/\">a</a>"),
            page("pages/a/index.html", "<a href=\"/\">home</a>"),
        ];
        assert!(check_links(&fixed, &Output::new()).is_ok());
    }

    #[test]
    fn legacy_urls_become_paths() {
        assert_eq!(legacy_path("/old/a.html?x=1"), Some("old/a.html".into()));
        assert_eq!(legacy_path("https://old.example.org/b/"), Some("b/".into()));
        assert_eq!(legacy_path("https://old.example.org"), None);
        assert_eq!(legacy_path("/../etc/passwd"), None);
    }
}
