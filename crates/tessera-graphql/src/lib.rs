//! Tessera's content API: GraphQL (async-graphql) over HTTP (axum).
//!
//! This crate owns the GraphQL types, which are thin wrappers over
//! `tessera-core` values, and the HTTP surface: routes, the preview token,
//! limits and caching headers. It reads content only through
//! `Snapshot::view`, so visibility is decided in the core, never here. It
//! must not parse or validate content files itself.

pub mod budget;
pub mod explorer;
pub mod guard;
pub mod listen;
pub mod schema;
pub mod search;
pub mod server;

pub use listen::serve;
pub use schema::{ContentStatus, QueryRoot, Scope, TesseraSchema, build_schema, sdl};
pub use search::SearchIndexes;
pub use server::{ApiError, AppState, ServerConfig, app, watch};
