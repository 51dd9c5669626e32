//! Old addresses of the site: at each, a page for readers who arrive with
//! an old bookmark ("moved", with a meta refresh; "moving", while the page
//! waits to be migrated; "gone", when it was retired), and the server
//! rules that give them their status: a `_redirects` file (Netlify and
//! compatible hosts) and two nginx `map` includes.

use maud::{Markup, html};
use tessera_core::{Kind, LegacyRoute, OldAddress};

use crate::context::Context;
use crate::pages::{self, Rendered, Shell};

/// What an old address gets.
pub(crate) enum Old {
    /// Moved: where the page lives now, and the "moved" page.
    Moved(String, Rendered),
    /// Not migrated yet: the "moving" page (HTTP 404).
    Pending(Rendered),
    /// Retired: the "gone" page (HTTP 410).
    Retired(Rendered),
}

/// A page at every old address the view knows.
pub(crate) fn pages(ctx: &Context<'_>) -> Vec<Rendered> {
    ctx.view
        .transition()
        .addresses
        .iter()
        .map(|a| match render(ctx, a) {
            Old::Moved(_, r) | Old::Pending(r) | Old::Retired(r) => r,
        })
        .collect()
}

/// The old address `address` (a site path) served live.
pub(crate) fn legacy(ctx: &Context<'_>, address: &str) -> Option<Old> {
    ctx.view.old_address(address).map(|a| render(ctx, &a))
}

/// The file an old address is written to in an export.
fn file_of(path: &str) -> String {
    if path.ends_with('/') || path.is_empty() { format!("{path}index.html") } else { path.to_owned() }
}

fn render(ctx: &Context<'_>, a: &OldAddress<'_>) -> Old {
    let file = file_of(a.path);
    let source = a.listed.map_or_else(|| a.url.to_owned(), |_| tessera_core::LEGACY_FILE.to_owned());
    match &a.route {
        LegacyRoute::Moved(page) => {
            let target = ctx.map.item(Kind::Page, &page.slug, &page.requested);
            let rendered = moved(ctx, &file, &target, &page.meta.title, page.path.display().to_string());
            Old::Moved(target, rendered)
        }
        LegacyRoute::Pending { .. } => Old::Pending(waiting(ctx, &file, a, source)),
        LegacyRoute::Retired { instead } => {
            let instead =
                instead.as_ref().map(|p| (ctx.map.item(Kind::Page, &p.slug, &p.requested), p.meta.title.as_str()));
            Old::Retired(gone(ctx, &file, a, instead, source))
        }
    }
}

/// The page at the old file `file` that sends the reader to `target`: a
/// meta refresh and a link, no JavaScript.
fn moved(ctx: &Context<'_>, file: &str, target: &str, title: &str, source: String) -> Rendered {
    let from = format!("/{file}");
    let to = ctx.link(&from, target);
    let markup = html! {
        html lang=(ctx.default.as_str()) {
            head {
                meta charset="utf-8";
                title { "Moved: " (title) }
                meta http-equiv="refresh" content={ "0; url=" (to) };
                link rel="canonical" href=(ctx.url(target));
            }
            body {
                main {
                    h1 { "This page has moved" }
                    p { a href=(to) { (title) } }
                }
            }
        }
    };
    Rendered::new(file.to_owned(), markup, source)
}

/// "The old page, by its title when known, at its address."
fn named(a: &OldAddress<'_>) -> Markup {
    html! {
        @if let Some(title) = a.title() { "The page “" (title) "” (" code { (a.url) } ")" }
        @else { "The page at " code { (a.url) } }
    }
}

/// Where to look: the search box above (holding the old title) when there
/// is a search, the home page and the A to Z index.
fn look(ctx: &Context<'_>, from: &str, searchable: bool) -> Markup {
    let l = &ctx.default;
    html! {
        p {
            @if searchable { "Search the new site with the box above, start from " }
            @else { "Start from " }
            a href=(ctx.link(from, &ctx.map.home(l))) { "the home page" }
            ", or look through "
            a href=(ctx.link(from, &ctx.map.a_z(l))) { "every item from A to Z" } "."
        }
    }
}

/// The "moving" page of a pending address.
fn waiting(ctx: &Context<'_>, file: &str, a: &OldAddress<'_>, source: String) -> Rendered {
    let from = format!("/{file}");
    let searchable = ctx.live || ctx.view.snapshot().site().search_url.is_some();
    let main = html! {
        h1 { "This page is moving" }
        p { (named(a)) " is being moved to the new site and is not ready yet. Please come back soon." }
        (look(ctx, &from, searchable))
    };
    shell(ctx, &from, "This page is moving", a.title(), main, source)
}

/// The "gone" page of a retired address.
fn gone(
    ctx: &Context<'_>,
    file: &str,
    a: &OldAddress<'_>,
    instead: Option<(String, &str)>,
    source: String,
) -> Rendered {
    let from = format!("/{file}");
    let searchable = ctx.live || ctx.view.snapshot().site().search_url.is_some();
    let main = html! {
        h1 { "This page is gone" }
        p { (named(a)) " has been taken off the site for good." }
        @if let Some((to, title)) = &instead {
            p { "What it covered is now on " a href=(ctx.link(&from, to)) { (title) } "." }
        }
        (look(ctx, &from, searchable))
    };
    shell(ctx, &from, "This page is gone", a.title(), main, source)
}

fn shell(ctx: &Context<'_>, address: &str, title: &str, query: Option<&str>, main: Markup, source: String) -> Rendered {
    let shell = Shell {
        address,
        locale: &ctx.default,
        content_locale: &ctx.default,
        title,
        crumbs: &[],
        alternates: &[],
        query,
        description: Some(title),
    };
    Rendered::new(address.trim_start_matches('/').to_owned(), pages::page(ctx, &shell, main), source)
}

/// The `_redirects` file, and the nginx includes for moved addresses and
/// for the status of the others, in that order.
pub(crate) fn files(ctx: &Context<'_>) -> (String, String, String) {
    let mut netlify = String::from(
        "# Old addresses of the site (generated by tessera export): moved ones\n# redirect; the pages of pending (404) and retired (410) ones keep\n# their status.\n",
    );
    let mut nginx = String::from(
        "# Old addresses that moved (generated by tessera export).\n# Use: map $uri $tessera_redirect { include nginx-redirects.conf; }\n#      if ($tessera_redirect) { return 301 $tessera_redirect; }\n",
    );
    let mut status = String::from(
        "# The status of old addresses not (or no longer) on the site: 404 while\n# pending, 410 once retired (generated by tessera export). Their pages are\n# at the old paths; deploy/nginx/export.conf shows how to serve them.\n# Use: map $uri $tessera_old_status { include nginx-legacy-status.conf; }\n",
    );
    for a in ctx.view.transition().addresses {
        let path = format!("/{}", a.path);
        match &a.route {
            LegacyRoute::Moved(page) => {
                let target = ctx.map.item(Kind::Page, &page.slug, &page.requested);
                netlify.push_str(&format!("{} {target} 301\n", a.url));
                if a.url != path {
                    netlify.push_str(&format!("{path} {target} 301\n"));
                }
                nginx.push_str(&format!("{path} {target};\n"));
            }
            LegacyRoute::Pending { .. } | LegacyRoute::Retired { .. } => {
                let code = if matches!(a.route, LegacyRoute::Pending { .. }) { 404 } else { 410 };
                // A forced rewrite to the page at the same path, with the status.
                netlify.push_str(&format!("{path} /{} {code}!\n", file_of(a.path)));
                status.push_str(&format!("{path} {code};\n"));
            }
        }
    }
    (netlify, nginx, status)
}
