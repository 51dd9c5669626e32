//! What changed for the public: `changes(since:)` to catch up, and the
//! `contentChanged` subscription to hear it live. Both read the server's
//! [`ChangeFeed`]; both are public (drafts are never events).

use std::sync::Arc;

use async_graphql::{Context, Enum, Error, ErrorExtensions, Object, Result, SimpleObject, Subscription};
use futures_util::Stream;
use tessera_core::{ChangeKind, Kind};
use tokio::sync::broadcast::error::RecvError;

use crate::changes::{ChangeEvent, ChangeFeed, Since};

/// How an item changed for the public.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum ChangeType {
    /// A new item, public at once.
    Created,
    /// A public item edited.
    Updated,
    /// A public item deleted.
    Deleted,
    /// A hidden item made public.
    Published,
    /// A public item hidden again.
    Unpublished,
    /// A published item whose embargo passed.
    EmbargoLifted,
}

impl From<ChangeKind> for ChangeType {
    fn from(k: ChangeKind) -> ChangeType {
        match k {
            ChangeKind::Created => ChangeType::Created,
            ChangeKind::Updated => ChangeType::Updated,
            ChangeKind::Deleted => ChangeType::Deleted,
            ChangeKind::Published => ChangeType::Published,
            ChangeKind::Unpublished => ChangeType::Unpublished,
            ChangeKind::EmbargoLifted => ChangeType::EmbargoLifted,
        }
    }
}

/// The kind of item that changed.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum ChangedKind {
    /// A page.
    Page,
    /// A measure.
    Measure,
    /// A partner.
    Partner,
    /// A story.
    Story,
    /// A media item (public while a public item shows it).
    Media,
}

fn changed_kind(kind: Kind) -> ChangedKind {
    match kind {
        Kind::Page => ChangedKind::Page,
        Kind::Measure => ChangedKind::Measure,
        Kind::Partner => ChangedKind::Partner,
        Kind::Story => ChangedKind::Story,
        // Topics are no files of their own; media is the remaining kind.
        Kind::Media | Kind::Topic => ChangedKind::Media,
    }
}

/// One item that changed for the public.
pub struct ContentChange(pub ChangeEvent);

/// One item that changed for the public.
#[Object]
impl ContentChange {
    /// Unique and stable: the same change has the same id on every replica
    /// (and as the `webhook-id` of its webhook).
    async fn id(&self) -> &str {
        &self.0.id
    }
    /// How it changed.
    async fn change(&self) -> ChangeType {
        self.0.change.into()
    }
    /// The event type, as webhooks name it (`item.updated`, …).
    async fn event_type(&self) -> &str {
        self.0.event_type()
    }
    /// The item's kind.
    async fn kind(&self) -> ChangedKind {
        changed_kind(self.0.kind)
    }
    /// The item's slug.
    async fn slug(&self) -> &str {
        &self.0.slug
    }
    /// The locale of the version that changed.
    async fn locale(&self) -> &str {
        &self.0.locale
    }
    /// The content version that has the change.
    async fn version(&self) -> &str {
        &self.0.version
    }
    /// The content version before it.
    async fn previous(&self) -> &str {
        &self.0.previous
    }
    /// When the change was made (RFC 3339): the commit's time when the
    /// server follows git, the embargo's end for an embargo lifting, else
    /// when this server saw it. The same on every replica.
    async fn at(&self) -> String {
        self.0.at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
    }
}

/// A page of changes since a version.
#[derive(SimpleObject)]
pub struct ChangeSet {
    /// The version asked from.
    since: String,
    /// The version being served now: ask from it next time.
    version: String,
    /// The changes, oldest first.
    changes: Vec<ContentChange>,
    /// Whether more changes follow: ask again with `after` set to the id
    /// of the last one.
    has_more: bool,
}

fn feed<'c>(ctx: &Context<'c>) -> Result<&'c Arc<ChangeFeed>> {
    ctx.data::<Arc<ChangeFeed>>()
}

/// `Query.changes`.
pub(crate) fn changes(ctx: &Context<'_>, since: String, first: usize, after: Option<String>) -> Result<ChangeSet> {
    let feed = feed(ctx)?;
    let version = feed.current();
    // Answers that read the feed change with it, not with the content: no
    // cache may keep them without asking again.
    if let Ok(scope) = ctx.data::<crate::schema::Scope>() {
        scope.volatile.store(true, std::sync::atomic::Ordering::Relaxed);
    }
    let (page, has_more) = match feed.since(&since, after.as_deref(), first) {
        Since::Events(events, more) => (events.into_iter().map(ContentChange).collect::<Vec<_>>(), more),
        Since::Unknown => {
            return Err(Error::new(format!(
                "version `{since}` is not in this server's change log (it keeps the last {} versions it served): \
                 read the content again, then ask from `contentStatus.version`",
                crate::changes::LOG_VERSIONS
            ))
            .extend_with(|_, e| e.set("code", "UNKNOWN_VERSION")));
        }
        Since::UnknownAfter => {
            return Err(Error::new(format!("`after`: no change `{}` since `{since}`", after.unwrap_or_default())));
        }
    };
    Ok(ChangeSet { since, version, changes: page, has_more })
}

/// The subscription root.
pub struct SubscriptionRoot;

/// Live notifications, over graphql-transport-ws at `/graphql`.
#[Subscription(name = "Subscription")]
impl SubscriptionRoot {
    /// Each item that changes for the public, as the version that changes
    /// it goes live (over graphql-transport-ws at `/graphql`). A listener
    /// too slow to keep up gets an error saying how many versions it
    /// missed; `changes(since:)` catches up.
    async fn content_changed(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only these kinds of change (all when absent).")] types: Option<Vec<ChangeType>>,
    ) -> Result<impl Stream<Item = Result<ContentChange>> + use<>> {
        let receiver = feed(ctx)?.subscribe();
        let stream = futures_util::stream::unfold(receiver, move |mut receiver| {
            let types = types.clone();
            async move {
                loop {
                    let items: Vec<Result<ContentChange>> = match receiver.recv().await {
                        Ok(batch) => batch
                            .events
                            .iter()
                            .filter(|e| types.as_ref().is_none_or(|t| t.contains(&e.change.into())))
                            .cloned()
                            .map(|e| Ok(ContentChange(e)))
                            .collect(),
                        Err(RecvError::Lagged(n)) => vec![Err(Error::new(format!(
                            "this listener fell behind and missed {n} version(s): catch up with `changes(since:)`"
                        ))
                        .extend_with(|_, e| e.set("code", "LAGGED")))],
                        Err(RecvError::Closed) => return None,
                    };
                    if !items.is_empty() {
                        return Some((futures_util::stream::iter(items), receiver));
                    }
                }
            }
        });
        Ok(futures_util::StreamExt::flatten(stream))
    }
}
