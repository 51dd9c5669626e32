//! Tessera's content API: GraphQL (async-graphql) over HTTP (axum).
//!
//! This crate owns the GraphQL types, which are thin wrappers over
//! `tessera-core` values, and the HTTP surface: routes, the preview token,
//! limits and caching headers; and the web site beside it (`site`,
//! `preview`), whose pages the exporter's templates render. It reads content only through
//! `Snapshot::view`, so visibility is decided in the core, never here. It
//! must not parse or validate content files itself.

pub mod budget;
pub mod changes;
pub mod events;
pub mod explorer;
pub mod guard;
pub mod listen;
mod preview;
pub mod schema;
pub mod search;
pub mod server;
mod site;

pub use changes::{Batch, ChangeEvent, ChangeFeed};
pub use listen::serve;
pub use preview::{FAILURE_WINDOW, MAX_FAILURES, SESSION_LIFETIME};
pub use schema::{ContentStatus, QueryRoot, Scope, TesseraSchema, build_schema, build_schema_with, sdl};
pub use search::SearchIndexes;
pub use server::{ApiError, AppState, GitHook, ServerConfig, app, watch, watch_embargoes};
