//! `route`: what a site path leads to: an item, or an old address of the
//! site (moved, pending or retired).

use async_graphql::{Context, Enum, Object, Result};
use tessera_site::{Place, SiteMap};

use super::items::{Node, node_for};
use super::transition::{OldAddressObject, TransitionState};
use super::view;

/// What kind of answer a path gets.
#[derive(Enum, Clone, Copy, PartialEq, Eq, Debug)]
pub enum RouteState {
    /// A current address: `node` is the item (HTTP 200).
    Current,
    /// An old address that has moved: follow `redirect` (HTTP 301).
    Moved,
    /// An old address not migrated yet: the page is moving (HTTP 404, with
    /// a page that says so and offers the search).
    Pending,
    /// An old address gone on purpose (HTTP 410); `lookInstead` may name a page.
    Retired,
}

/// What a site path leads to.
pub struct Route<'a> {
    node: Option<Node<'a>>,
    old: Option<OldAddressObject<'a>>,
}

/// What a site path leads to.
#[Object]
impl<'a> Route<'a> {
    /// What kind of answer the path gets.
    async fn state(&self) -> RouteState {
        match self.old.as_ref().map(OldAddressObject::standing) {
            None => RouteState::Current,
            Some(TransitionState::Moved) => RouteState::Moved,
            Some(TransitionState::Pending) => RouteState::Pending,
            Some(TransitionState::Retired) => RouteState::Retired,
        }
    }
    /// The item at this path, when it is a current address.
    async fn node(&self) -> Option<&Node<'a>> {
        self.node.as_ref()
    }
    /// Where to send the reader, when the path is an old address that has moved.
    async fn redirect(&self) -> Option<String> {
        self.old.as_ref().filter(|o| o.standing() == TransitionState::Moved).and_then(OldAddressObject::target)
    }
    /// For a retired old address, the page to look at instead, if any.
    async fn look_instead(&self) -> Option<String> {
        self.old.as_ref().filter(|o| o.standing() == TransitionState::Retired).and_then(OldAddressObject::target)
    }
    /// The old address the path is, when it is one.
    async fn old_address(&self) -> Option<&OldAddressObject<'a>> {
        self.old.as_ref()
    }
}

/// Routes `path` for the `route` field: an old address gives where it
/// stands, a current one its item; anything else is null.
pub(crate) fn route<'c>(ctx: &Context<'c>, path: String) -> Result<Option<Route<'c>>> {
    let view = view(ctx)?;
    let snapshot = view.snapshot();
    // A current address first: an old address never hides a page.
    if let Some(Place::Item { kind, slug, locale }) = SiteMap::new(snapshot.site()).resolve(&path)
        && let Some(node) = node_for(view, kind, &slug, &locale)
    {
        return Ok(Some(Route { node: Some(node), old: None }));
    }
    // An old address matches in any form (full URL, path, with a query or not).
    Ok(view.old_address(&path).map(|old| Route { node: None, old: Some(OldAddressObject::new(old, view)) }))
}
