//! Contract tests shared by every front end: the fixture corpora, the
//! committed schema, the bundled content and the workspace's boundaries.

mod boundaries;
mod content;
mod fixtures;
mod fuzz;
mod git;
mod graphql_contract;
mod incremental;
mod leak;
mod schema;
mod sdl;
mod visibility;

use std::path::{Path, PathBuf};

/// The workspace root.
pub(crate) fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A fixture folder under `tests/fixtures/`.
pub(crate) fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures").join(name)
}
