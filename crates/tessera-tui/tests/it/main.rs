//! The terminal browser rendered into ratatui's TestBackend, the plain
//! reader, and remote mode against a real server.

mod remote;
mod screens;

use std::path::Path;
use std::sync::Arc;

use tessera_tui::LocalSource;

pub(crate) fn local(rel: &str) -> LocalSource {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(rel);
    LocalSource::new(Arc::new(tessera_core::load(&root).unwrap_or_else(|e| panic!("{e:?}"))))
}
