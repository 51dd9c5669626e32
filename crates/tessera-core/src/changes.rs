//! What the public saw change between two views: the events that API
//! consumers are told about (webhooks, subscriptions, `changes(since:)`).
//!
//! Only public changes exist here. A draft edited, created or deleted is
//! no event; a draft published, or an embargo lifting, is one. The two
//! views may be of two snapshots (a reload) or of one snapshot at two
//! instants (an embargo lifting with no edit).

use std::collections::HashMap;

use crate::reference::Kind;
use crate::snapshot::{Document, Item, View};
use crate::{Locale, Measure, Media, Page, Partner, Story};

/// How an item changed for the public.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ChangeKind {
    /// A new file, public at once.
    Created,
    /// A public item whose file changed.
    Updated,
    /// A public item whose file is gone.
    Deleted,
    /// A hidden item (a draft, in review) made public.
    Published,
    /// A public item made hidden again (back to draft or review, or a new
    /// embargo set).
    Unpublished,
    /// A published item whose embargo passed: public with no edit.
    EmbargoLifted,
}

impl ChangeKind {
    /// Every kind, in the order events are listed.
    pub const ALL: [ChangeKind; 6] = [
        ChangeKind::Created,
        ChangeKind::Updated,
        ChangeKind::Deleted,
        ChangeKind::Published,
        ChangeKind::Unpublished,
        ChangeKind::EmbargoLifted,
    ];

    /// The event type consumers filter on: `item.created`, … (Standard
    /// Webhooks style, dotted and lower case).
    pub fn event_type(self) -> &'static str {
        match self {
            ChangeKind::Created => "item.created",
            ChangeKind::Updated => "item.updated",
            ChangeKind::Deleted => "item.deleted",
            ChangeKind::Published => "item.published",
            ChangeKind::Unpublished => "item.unpublished",
            ChangeKind::EmbargoLifted => "item.embargo_lifted",
        }
    }
}

/// One item (in one locale) that changed for the public.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Change {
    /// How it changed.
    pub change: ChangeKind,
    /// The item's kind.
    pub kind: Kind,
    /// The item's slug.
    pub slug: String,
    /// The locale of the file that changed.
    pub locale: Locale,
}

/// An item's state as the public sees it in one view.
struct Seen {
    visible: bool,
    hash: u64,
    /// Public by status, hidden only by an embargo not yet passed.
    embargoed: bool,
}

fn state<T: Item>(view: &View<'_>, doc: &Document<T>) -> Seen {
    let (status, publish_at) = doc.meta.visibility();
    Seen {
        visible: view.is_visible(doc),
        hash: doc.hash,
        embargoed: status.is_public() && publish_at.is_some_and(|t| t.instant() > view.now()),
    }
}

/// How one file changed for the public, seen as `was` and then `now`.
fn change(was: Option<Seen>, now: &Seen) -> Option<ChangeKind> {
    match was {
        None if now.visible => Some(ChangeKind::Created),
        None => None,
        Some(was) => match (was.visible, now.visible) {
            (true, true) if was.hash != now.hash => Some(ChangeKind::Updated),
            (true, false) => Some(ChangeKind::Unpublished),
            // The same file, public by status before and now visible:
            // only time passed.
            (false, true) if was.embargoed && was.hash == now.hash => Some(ChangeKind::EmbargoLifted),
            (false, true) => Some(ChangeKind::Published),
            _ => None,
        },
    }
}

/// [`compare`] for one item, every locale.
fn compare_item<T: Item>(old: &View<'_>, new: &View<'_>, slug: &str, out: &mut Vec<Change>) {
    let mut before: Vec<(&Locale, Seen)> =
        T::collection(old.snapshot()).locales_of(slug).map(|doc| (&doc.locale, state(old, doc))).collect();
    for doc in T::collection(new.snapshot()).locales_of(slug) {
        let was = before.iter().position(|(l, _)| *l == &doc.locale).map(|i| before.swap_remove(i).1);
        if let Some(change) = change(was, &state(new, doc)) {
            out.push(Change { change, kind: T::KIND, slug: slug.to_owned(), locale: doc.locale.clone() });
        }
    }
    for (locale, was) in before {
        if was.visible {
            out.push(Change {
                change: ChangeKind::Deleted,
                kind: T::KIND,
                slug: slug.to_owned(),
                locale: locale.clone(),
            });
        }
    }
}

fn compare<T: Item>(old: &View<'_>, new: &View<'_>, out: &mut Vec<Change>) {
    // Keyed by borrowed slug and locale: a reload compares every item,
    // and copying each key twice showed in its profile.
    let mut before: HashMap<(&str, &Locale), Seen> = old
        .snapshot()
        .collection::<T>()
        .all()
        .iter()
        .map(|doc| ((doc.slug.as_str(), &doc.locale), state(old, doc)))
        .collect();
    let mut push = |change: ChangeKind, slug: &str, locale: &Locale| {
        out.push(Change { change, kind: T::KIND, slug: slug.to_owned(), locale: locale.clone() });
    };
    for doc in new.snapshot().collection::<T>().all() {
        let now = state(new, doc);
        if let Some(change) = change(before.remove(&(doc.slug.as_str(), &doc.locale)), &now) {
            push(change, &doc.slug, &doc.locale);
        }
    }
    // What is left was not found in the new view.
    for ((slug, locale), was) in before {
        if was.visible {
            push(ChangeKind::Deleted, slug, locale);
        }
    }
}

/// The public changes from `old` to `new`, sorted (by kind of item, slug,
/// locale, then kind of change), so that two servers comparing the same
/// two versions list the same events in the same order. Both views should
/// be public; a preview view sees every file as visible.
pub fn public_changes(old: &View<'_>, new: &View<'_>) -> Vec<Change> {
    let mut out = Vec::new();
    // A snapshot patched from the old one, at the same visibility epoch:
    // only the items whose files changed can have changed for the public.
    let (before, after) = (old.snapshot(), new.snapshot());
    if let Some(ids) = after.changed_since(before.version())
        && before.visibility_epoch(old.now()) == after.visibility_epoch(new.now())
    {
        for id in ids {
            match id.kind {
                Kind::Page => compare_item::<Page>(old, new, &id.slug, &mut out),
                Kind::Measure => compare_item::<Measure>(old, new, &id.slug, &mut out),
                Kind::Partner => compare_item::<Partner>(old, new, &id.slug, &mut out),
                Kind::Story => compare_item::<Story>(old, new, &id.slug, &mut out),
                Kind::Media => compare_item::<Media>(old, new, &id.slug, &mut out),
                Kind::Topic => {}
            }
        }
        out.sort_by(|a, b| (a.kind, &a.slug, &a.locale, a.change).cmp(&(b.kind, &b.slug, &b.locale, b.change)));
        return out;
    }
    compare::<Page>(old, new, &mut out);
    compare::<Measure>(old, new, &mut out);
    compare::<Partner>(old, new, &mut out);
    compare::<Story>(old, new, &mut out);
    compare::<Media>(old, new, &mut out);
    out.sort_by(|a, b| (a.kind, &a.slug, &a.locale, a.change).cmp(&(b.kind, &b.slug, &b.locale, b.change)));
    out
}
