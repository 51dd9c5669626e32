//! `transition`: the move from the old site, counted for everyone and
//! listed for editors; and the old addresses as `route` answers them.

use async_graphql::{Context, Enum, ErrorExtensions, Object, Result};
use tessera_core as core;
use tessera_core::{Audience, Kind, LegacyRoute, OldAddress, View};

use super::items::{PageObject, Wrapper, item_path};
use super::pagination::{PageArgs, Total, connection_type, list_complexity, paginate};
use super::view;

/// Where an old address of the site stands in the move to the new one.
#[derive(Enum, Clone, Copy, PartialEq, Eq, Debug)]
pub enum TransitionState {
    /// A public page carries it: readers are redirected there.
    Moved,
    /// Not migrated yet: readers are told the page is moving.
    Pending,
    /// Deliberately gone (HTTP 410), perhaps with a page to look at instead.
    Retired,
}

impl TransitionState {
    fn of(route: &LegacyRoute<'_>) -> TransitionState {
        match route {
            LegacyRoute::Moved(_) => TransitionState::Moved,
            LegacyRoute::Pending { .. } => TransitionState::Pending,
            LegacyRoute::Retired { .. } => TransitionState::Retired,
        }
    }
}

/// An address of the old site.
pub struct OldAddressObject<'a> {
    address: OldAddress<'a>,
    /// The view of the request (which may be preview while `address` was
    /// decided for the public).
    requester: View<'a>,
}

impl<'a> OldAddressObject<'a> {
    pub(crate) fn new(address: OldAddress<'a>, requester: View<'a>) -> OldAddressObject<'a> {
        OldAddressObject { address, requester }
    }

    /// Where a moved address leads, or where a retired one sends readers.
    pub(crate) fn target(&self) -> Option<String> {
        let page = match &self.address.route {
            LegacyRoute::Moved(page) => page,
            LegacyRoute::Retired { instead: Some(page) } => page,
            _ => return None,
        };
        Some(item_path(self.requester, Kind::Page, &page.slug, &page.requested))
    }

    pub(crate) fn standing(&self) -> TransitionState {
        TransitionState::of(&self.address.route)
    }
}

/// An address of the old site.
#[Object(name = "OldAddress")]
impl<'a> OldAddressObject<'a> {
    /// The address as written (in `legacy.toml`, or in the page that carries it).
    async fn url(&self) -> &str {
        self.address.url
    }
    /// The address as a site path, e.g. `/disabilities/index_65711.html`.
    async fn path(&self) -> String {
        format!("/{}", self.address.path)
    }
    /// Where it stands.
    async fn state(&self) -> TransitionState {
        TransitionState::of(&self.address.route)
    }
    /// The old page's title, when the list of old addresses gives it.
    async fn title(&self) -> Option<&str> {
        self.address.title()
    }
    /// Since when the address has waited (RFC 3339 or a date, as written),
    /// when the list says.
    async fn since(&self) -> Option<&str> {
        self.address.since().map(core::Timestamp::as_str)
    }
    /// The site path a moved address redirects to, or the page a retired one
    /// suggests instead; null for a pending one.
    async fn to(&self) -> Option<String> {
        self.target()
    }
    /// Pages that carry this pending address but are not public yet (imported
    /// pages in review, drafts, embargoed pages). Empty for the public.
    async fn waiting(&self) -> Vec<PageObject<'a>> {
        let LegacyRoute::Pending { waiting } = &self.address.route else { return Vec::new() };
        if self.requester.audience() != Audience::Preview {
            return Vec::new();
        }
        waiting
            .iter()
            .filter_map(|doc| self.requester.get::<core::Page>(&doc.slug, &doc.locale))
            .map(|page| PageObject::wrap(page, self.requester))
            .collect()
    }
}

connection_type!(
    /// A page of old addresses, in the Relay connection shape; `totalCount`
    /// counts them all.
    OldAddressConnection, "OldAddressConnection", OldAddressObject, Total
);

/// The move from the old site, as the public sees it now.
pub struct TransitionObject<'a> {
    transition: core::Transition<'a>,
    requester: View<'a>,
}

/// The move from the old site, as the public sees it now: how many old
/// addresses lead to a page, still wait, or are gone on purpose. The
/// public counts the addresses it may know (listed in `legacy.toml`, or
/// carried by a public page); preview also counts those that only pages
/// not public yet carry.
#[Object(name = "Transition")]
impl<'a> TransitionObject<'a> {
    /// How many old addresses the content knows.
    async fn total(&self) -> usize {
        self.transition.total()
    }
    /// How many lead to a public page.
    async fn moved(&self) -> usize {
        self.transition.moved()
    }
    /// How many wait: no public page carries them yet.
    async fn pending(&self) -> usize {
        self.transition.pending()
    }
    /// How many are gone on purpose.
    async fn retired(&self) -> usize {
        self.transition.retired()
    }
    /// The pending addresses, oldest first, with the pages waiting to carry
    /// them. For preview only (an old address can name unannounced work):
    /// the public gets null here, and an error with the code `PREVIEW_ONLY`.
    #[graphql(complexity = "list_complexity(first, last, child_complexity)")]
    async fn pending_addresses(
        &self,
        ctx: &Context<'_>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> Result<Option<OldAddressConnection<'a>>> {
        if self.requester.audience() != Audience::Preview {
            // An error beside a null, not instead of the counts beside it.
            let error = async_graphql::Error::new("the list of pending addresses is for preview only")
                .extend_with(|_, e| e.set("code", "PREVIEW_ONLY"))
                .into_server_error(ctx.item.pos);
            ctx.add_error(ctx.set_error_path(error));
            return Ok(None);
        }
        let paging = PageArgs { after, before, first, last }.check()?;
        let pending: Vec<OldAddressObject<'a>> = self
            .transition
            .addresses
            .iter()
            .filter(|a| matches!(a.route, LegacyRoute::Pending { .. }))
            .map(|a| OldAddressObject::new(a.clone(), self.requester))
            .collect();
        Ok(Some(OldAddressConnection(paginate(pending, &paging))))
    }
}

/// The `transition` field: the states the public sees at the request's
/// instant; the public counts the addresses it may know, preview also
/// those that only hidden pages name.
pub(crate) fn transition<'c>(ctx: &Context<'c>) -> Result<TransitionObject<'c>> {
    let requester = view(ctx)?;
    let snapshot = requester.snapshot();
    let transition = match requester.audience() {
        Audience::Preview => snapshot.editorial_transition(requester.now()),
        Audience::Public => snapshot.view(Audience::Public, requester.now()).transition(),
    };
    Ok(TransitionObject { transition, requester })
}
