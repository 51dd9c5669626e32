//! `route`: what a site path leads to, an item or a redirect from a legacy
//! address.

use async_graphql::{Context, Object, Result};
use tessera_core as core;
use tessera_core::Kind;
use tessera_site::{Place, SiteMap};

use super::items::{Node, item_path, node_for};
use super::view;

/// What a site path leads to.
pub struct Route<'a> {
    node: Option<Node<'a>>,
    redirect: Option<String>,
}

/// What a site path leads to.
#[Object]
impl<'a> Route<'a> {
    /// The item at this path, when it is a current address.
    async fn node(&self) -> Option<&Node<'a>> {
        self.node.as_ref()
    }
    /// Where to send the reader, when the path is a legacy address.
    async fn redirect(&self) -> Option<&str> {
        self.redirect.as_deref()
    }
}

/// Routes `path` for the `route` field: a legacy address gives its
/// redirect, a current one its item; anything else is null.
pub(crate) fn route<'c>(ctx: &Context<'c>, path: String) -> Result<Option<Route<'c>>> {
    let view = view(ctx)?;
    let snapshot = view.snapshot();
    // Legacy addresses first: they may look like anything, and match
    // in any form (full URL, path, with a query or not).
    let wanted = core::legacy_path(&path);
    for page in view.list::<core::Page>(&snapshot.site().default_locale) {
        let matches = |u: &String| *u == path || (wanted.is_some() && core::legacy_path(u) == wanted);
        if page.meta.legacy_urls.iter().any(matches) {
            let target = item_path(view, Kind::Page, &page.slug, &page.locale);
            return Ok(Some(Route { node: None, redirect: Some(target) }));
        }
    }
    // A site address: the site map reads it back.
    match SiteMap::new(snapshot.site()).resolve(&path) {
        Some(Place::Item { kind, slug, locale }) => {
            Ok(node_for(view, kind, &slug, &locale).map(|node| Route { node: Some(node), redirect: None }))
        }
        _ => Ok(None),
    }
}
