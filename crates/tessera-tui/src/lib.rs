//! The terminal browser and the plain reader, for low-bandwidth users.
//!
//! This crate owns what a reader sees in a terminal: screens built from the
//! content (home, items, lists, search), their layout into wrapped lines
//! with numbered links, navigation and history, and the plain `read` output.
//! Content comes through a [`Source`]: the local folder (through the core's
//! `View`, so visibility rules hold) or a remote GraphQL server (persisted
//! queries, ETags, an offline cache). It must not know how content files
//! are parsed or how the server is built.

mod app;
mod data;
mod layout;
mod local;
mod read;
mod remote;
mod screens;
mod starting;

pub use app::{App, run};
pub use data::{Location, OldRoute, Source, SourceError};
pub use layout::{Layout, Marking, layout, layout_marked};
pub use local::LocalSource;
pub use read::read;
pub use remote::RemoteSource;
pub use screens::Screen;
pub use starting::{StartingSource, kept_home_file};
