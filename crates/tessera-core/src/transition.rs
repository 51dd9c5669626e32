//! The move from the old site: every old address the content knows (the
//! `legacy_urls` of pages and the `legacy.toml` list), and what each leads
//! to for one audience at one instant.
//!
//! Visibility decides the state: an address carried by a page the audience
//! cannot see (a draft, an imported page still in review, an embargoed
//! one) is still pending for that audience, and becomes "moved" the moment
//! the page is public, with no edit to the list. An address that only
//! hidden pages name, and that `legacy.toml` does not list, is not known to
//! the public at all: naming it would reveal unannounced work. Editors'
//! tools see it with [`Snapshot::editorial_transition`].

use std::collections::BTreeMap;

use crate::address::legacy_path;
use crate::model::{LegacyAddress, LegacyState, Page, Timestamp};
use crate::snapshot::{Document, Localized, Snapshot, View};

/// One old address as loaded: who carries it, and its entry in
/// `legacy.toml`.
#[derive(Debug, Clone, Default)]
pub(crate) struct OldEntry {
    /// The address as first written (in `legacy.toml`, else in a page).
    pub(crate) url: String,
    /// Its index in `legacy.toml`, when listed there.
    pub(crate) listed: Option<usize>,
    /// The slugs of the pages whose `legacy_urls` name it (one page, in
    /// any of its locales; the loader refuses two pages).
    pub(crate) carriers: Vec<String>,
}

/// Every old address, by [`legacy_path`]: built once per snapshot.
pub(crate) fn index(snapshot: &Snapshot, listed: &[LegacyAddress]) -> BTreeMap<String, OldEntry> {
    let mut out: BTreeMap<String, OldEntry> = BTreeMap::new();
    for (i, address) in listed.iter().enumerate() {
        let Some(path) = legacy_path(&address.url) else { continue };
        out.entry(path).or_insert_with(|| OldEntry { url: address.url.clone(), listed: Some(i), carriers: Vec::new() });
    }
    for doc in snapshot.collection::<Page>().all() {
        for url in &doc.meta.legacy_urls {
            let Some(path) = legacy_path(url) else { continue };
            let entry = out.entry(path).or_insert_with(|| OldEntry { url: url.clone(), ..OldEntry::default() });
            if !entry.carriers.contains(&doc.slug) {
                entry.carriers.push(doc.slug.clone());
            }
        }
    }
    out
}

/// Where an old address leads, as one audience sees it.
#[derive(Debug, Clone)]
pub enum LegacyRoute<'s> {
    /// A page the audience can see carries the address: send readers there.
    Moved(Localized<'s, Page>),
    /// Not migrated yet, for this audience: tell readers the page is moving.
    Pending {
        /// Pages that carry the address but that this audience cannot see
        /// yet (imported pages in review, drafts, embargoed pages). Only
        /// tools that show everything may show these.
        waiting: Vec<&'s Document<Page>>,
    },
    /// Deliberately gone.
    Retired {
        /// The page to look at instead, when the list names one the
        /// audience can see.
        instead: Option<Localized<'s, Page>>,
    },
}

/// One old address and where it leads.
#[derive(Debug, Clone)]
pub struct OldAddress<'s> {
    /// The address as a site path, without its leading `/`
    /// (see [`legacy_path`]).
    pub path: &'s str,
    /// The address as written, in `legacy.toml` or else in the page.
    pub url: &'s str,
    /// Its entry in `legacy.toml`, when it is listed there.
    pub listed: Option<&'s LegacyAddress>,
    /// Where it leads.
    pub route: LegacyRoute<'s>,
}

impl<'s> OldAddress<'s> {
    /// The old page's title, when `legacy.toml` gives it.
    pub fn title(&self) -> Option<&'s str> {
        self.listed.and_then(|l| l.title.as_deref())
    }

    /// Since when the address has waited, when `legacy.toml` says.
    pub fn since(&self) -> Option<&'s Timestamp> {
        self.listed.and_then(|l| l.since.as_ref())
    }

    /// The state's name: `moved`, `pending` or `retired`.
    pub fn state(&self) -> &'static str {
        match self.route {
            LegacyRoute::Moved(_) => "moved",
            LegacyRoute::Pending { .. } => "pending",
            LegacyRoute::Retired { .. } => "retired",
        }
    }
}

/// Every old address the content knows, as one audience sees it.
#[derive(Debug, Clone)]
pub struct Transition<'s> {
    /// Pending addresses first, oldest first (those without a date after,
    /// by path), then moved ones, then retired ones, each by path.
    pub addresses: Vec<OldAddress<'s>>,
}

impl Transition<'_> {
    /// How many old addresses the content knows.
    pub fn total(&self) -> usize {
        self.addresses.len()
    }

    /// How many lead to a page.
    pub fn moved(&self) -> usize {
        self.count(|r| matches!(r, LegacyRoute::Moved(_)))
    }

    /// How many still wait.
    pub fn pending(&self) -> usize {
        self.count(|r| matches!(r, LegacyRoute::Pending { .. }))
    }

    /// How many are gone on purpose.
    pub fn retired(&self) -> usize {
        self.count(|r| matches!(r, LegacyRoute::Retired { .. }))
    }

    fn count(&self, f: impl Fn(&LegacyRoute<'_>) -> bool) -> usize {
        self.addresses.iter().filter(|a| f(&a.route)).count()
    }
}

impl<'s> View<'s> {
    /// Where the old address `address` (any form: full URL, path, with a
    /// query or not) leads for this audience; `None` when the content does
    /// not know it.
    pub fn old_address(&self, address: &str) -> Option<OldAddress<'s>> {
        let snapshot = self.snapshot();
        let (path, entry) = snapshot.old_addresses.get_key_value(legacy_path(address)?.as_str())?;
        self.old_entry(path, entry, false)
    }

    /// Every old address this audience may know, and where each leads for
    /// it: the migration's state.
    pub fn transition(&self) -> Transition<'s> {
        self.addresses(false)
    }

    fn addresses(&self, editorial: bool) -> Transition<'s> {
        let snapshot = self.snapshot();
        let mut addresses: Vec<OldAddress<'s>> =
            snapshot.old_addresses.iter().filter_map(|(path, entry)| self.old_entry(path, entry, editorial)).collect();
        let rank = |a: &OldAddress<'_>| match a.route {
            LegacyRoute::Pending { .. } => 0,
            LegacyRoute::Moved(_) => 1,
            LegacyRoute::Retired { .. } => 2,
        };
        // Stable: addresses come sorted by path from the index.
        addresses.sort_by(|a, b| {
            rank(a).cmp(&rank(b)).then_with(|| match (rank(a), a.since(), b.since()) {
                (0, Some(x), Some(y)) => x.instant().cmp(&y.instant()),
                (0, Some(_), None) => std::cmp::Ordering::Less,
                (0, None, Some(_)) => std::cmp::Ordering::Greater,
                _ => std::cmp::Ordering::Equal,
            })
        });
        Transition { addresses }
    }

    /// The address `entry` for this view; `None` when only hidden pages
    /// name it, it is not listed, and the caller is not an editor's tool.
    fn old_entry(&self, path: &'s str, entry: &'s OldEntry, editorial: bool) -> Option<OldAddress<'s>> {
        let snapshot = self.snapshot();
        let default = &snapshot.site().default_locale;
        let listed = entry.listed.and_then(|i| snapshot.legacy.get(i));
        let page = entry.carriers.iter().find_map(|slug| self.get::<Page>(slug, default));
        let route = match (page, listed) {
            (Some(page), _) => LegacyRoute::Moved(page),
            (None, Some(l)) if l.state == LegacyState::Retired => {
                LegacyRoute::Retired { instead: l.instead.as_ref().and_then(|r| self.get::<Page>(r.slug(), default)) }
            }
            (None, _) if listed.is_none() && !editorial => return None,
            (None, _) => LegacyRoute::Pending {
                waiting: entry
                    .carriers
                    .iter()
                    .flat_map(|slug| snapshot.collection::<Page>().locales_of(slug))
                    .filter(|doc| !self.is_visible(doc))
                    .collect(),
            },
        };
        Some(OldAddress { path, url: &entry.url, listed, route })
    }
}

impl Snapshot {
    /// The move as the public sees it at `now`, with every address the
    /// content knows: those only hidden pages name are included, as
    /// pending, with the pages waiting to carry them. For editors' tools
    /// (`tessera transition`, the preview API), never for the public.
    pub fn editorial_transition(&self, now: chrono::DateTime<chrono::Utc>) -> Transition<'_> {
        self.view(crate::snapshot::Audience::Public, now).addresses(true)
    }
}
