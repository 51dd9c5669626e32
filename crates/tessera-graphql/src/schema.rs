//! The GraphQL schema: thin wrappers over core values, one module per
//! concern, and what every resolver shares (the request's [`Scope`], its
//! view of the content and its answer budget).

use std::sync::Arc;

use async_graphql::extensions::apollo_persisted_queries::{ApolloPersistedQueries, LruCacheStorage};
use async_graphql::{Context, EmptyMutation, Error, Result, Schema};
use chrono::{DateTime, Utc};
use tessera_core::{Audience, Locale, Snapshot, View};

pub mod body;
pub mod changes;
pub mod filters;
pub mod items;
pub mod pagination;
pub mod query;
pub mod route;
pub mod search;
pub mod site;
pub mod status;
pub mod transition;

pub use changes::SubscriptionRoot;
pub use query::QueryRoot;
pub use status::ContentStatus;

/// The executable schema.
pub type TesseraSchema = Schema<QueryRoot, EmptyMutation, SubscriptionRoot>;

/// What one request may see: the snapshot, the audience and the instant.
pub struct Scope {
    /// The content.
    pub snapshot: Arc<Snapshot>,
    /// Public, or preview with a valid token.
    pub audience: Audience,
    /// Embargoes are compared with this instant.
    pub now: DateTime<Utc>,
    /// The result of the last (re)load.
    pub status: Arc<ContentStatus>,
    /// The search indexes.
    pub search: Arc<crate::search::SearchIndexes>,
    /// Bytes of text the answer holds so far; see [`MAX_ANSWER_BYTES`].
    pub spent: std::sync::atomic::AtomicUsize,
    /// Set by fields whose answer can change while the content does not
    /// (`changes`): the answer is then sent `no-cache`, so that shared
    /// caches ask again each time (its ETag makes that cheap).
    pub volatile: Arc<std::sync::atomic::AtomicBool>,
}

/// Largest answer a request may produce. Bodies are the big fields; each
/// one charges its size as it is resolved, so an oversized answer stops
/// early instead of being built in memory first.
pub const MAX_ANSWER_BYTES: usize = 8 * 1024 * 1024;

/// Counts `bytes` against the request's answer budget.
pub(crate) fn charge(ctx: &Context<'_>, bytes: usize) -> Result<()> {
    let scope = ctx.data::<Scope>()?;
    let before = scope.spent.fetch_add(bytes, std::sync::atomic::Ordering::Relaxed);
    if before.saturating_add(bytes) > MAX_ANSWER_BYTES {
        return Err(Error::new(format!(
            "the answer would be larger than {} MiB: ask for fewer items or fields",
            MAX_ANSWER_BYTES / 1024 / 1024
        )));
    }
    Ok(())
}

/// Builds the schema with its limits, and a change feed of its own (for
/// tests and the SDL; a server shares its feed with [`build_schema_with`]).
pub fn build_schema() -> TesseraSchema {
    build_schema_with(Arc::new(crate::changes::ChangeFeed::new(String::new())))
}

/// Builds the schema with its limits, reading changes from `feed`.
pub fn build_schema_with(feed: Arc<crate::changes::ChangeFeed>) -> TesseraSchema {
    Schema::build(QueryRoot, EmptyMutation, SubscriptionRoot)
        .data(feed)
        .extension(ApolloPersistedQueries::new(LruCacheStorage::new(4096)))
        .extension(crate::budget::Budget { time: crate::server::EXECUTION_BUDGET })
        .limit_depth(crate::server::INTROSPECTION_DEPTH)
        .limit_complexity(crate::server::MAX_COMPLEXITY)
        .limit_recursive_depth(32)
        .limit_directives(4)
        .finish()
}

/// The schema in SDL, as committed in `schema/tessera.graphql`.
pub fn sdl() -> String {
    format!(
        "# Generated from crates/tessera-graphql; do not edit. Regenerate with `cargo run -- schema`.\n\n{}",
        build_schema().sdl()
    )
}

/// The content as this request's audience sees it at its instant.
pub(crate) fn view<'c>(ctx: &Context<'c>) -> Result<View<'c>> {
    let scope = ctx.data::<Scope>()?;
    Ok(scope.snapshot.view(scope.audience, scope.now))
}

/// The `locale` argument: the site's default when absent.
pub(crate) fn locale_arg(view: &View<'_>, locale: Option<String>) -> Result<Locale> {
    match locale {
        None => Ok(view.snapshot().site().default_locale.clone()),
        Some(tag) => Locale::parse(&tag).map_err(|e| Error::new(e.to_string())),
    }
}
