//! What list fields accept besides paging: the order, and the filters by
//! topic, country and editorial state.

use async_graphql::{Context, Enum, Error, Result};
use tessera_core as core;
use tessera_core::{Document, Item, Kind, Localized, Publishable};

use super::items::Status;
use super::view;

/// How lists are ordered.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Default)]
pub enum Order {
    /// By slug, the stable default.
    #[default]
    Slug,
    /// By title (a partner's name), A to Z.
    Title,
    /// Most recently updated first; items without a date last.
    UpdatedDesc,
}

/// `docs` in `order` (they arrive by slug).
pub(crate) fn ordered<'a, T: Item + Publishable>(
    mut docs: Vec<Localized<'a, T>>,
    order: Order,
) -> Vec<Localized<'a, T>> {
    match order {
        Order::Slug => {}
        Order::Title => docs.sort_by_cached_key(|d| d.meta.label().to_lowercase()),
        Order::UpdatedDesc => {
            docs.sort_by_key(|d| std::cmp::Reverse(Publishable::updated(&d.meta).map(core::Timestamp::instant)))
        }
    }
    docs
}

/// The `country` argument, checked.
pub(crate) fn country_arg(country: Option<String>) -> Result<Option<core::Country>> {
    country.map(|c| core::Country::parse(&c)).transpose().map_err(|e| Error::new(e.to_string()))
}

/// An unknown topic is an error, as an unknown country is: an empty list
/// would read as "nothing filed there".
pub(crate) fn check_topic(ctx: &Context<'_>, topic: Option<&str>) -> Result<()> {
    match topic {
        Some(t) if view(ctx)?.snapshot().topic(t).is_none() => {
            Err(Error::new(format!("no topic named `{t}`: the `topics` query lists them")))
        }
        _ => Ok(()),
    }
}

/// Whether `doc` is filed under `topic` (any document, when none is asked for).
pub(crate) fn has_topic<T: Item>(doc: &Document<T>, topic: Option<&str>) -> bool {
    topic.is_none_or(|t| doc.meta.references().iter().any(|r| r.kind == Kind::Topic && r.slug == t))
}

/// Whether `doc` is in editorial state `status` (any, when none is asked for).
pub(crate) fn status_matches<T: Item>(doc: &Document<T>, status: Option<Status>) -> bool {
    status.is_none_or(|s| core::Status::from(s) == doc.meta.visibility().0)
}
