//! Full-text search over a Tessera snapshot, shared by every front end.
//!
//! This crate owns the search index (tantivy): which documents go in, how
//! each language is analysed, how user text becomes a forgiving query (typos,
//! prefixes, no query syntax), facets and highlighted snippets. It builds
//! from a `Snapshot` through a `View`, so an index for the public never
//! contains what the public may not see. It knows nothing of HTTP, GraphQL
//! or terminals.

mod analysis;
mod facets;
mod index;
mod live;
mod query;
mod snippet;
mod top;

pub use index::{
    Audience, CACHE_KEEP, FacetCount, Facets, Hit, MAX_LIMIT, MAX_QUERY_CHARS, Refresh, SearchError, SearchIndex,
    SearchRequest, SearchResults, UpdatePolicy,
};
pub use snippet::Snippet;
