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

/// With a folder for it, the search index is kept there: the next start on
/// the same content searches from it, and answers the same.
#[test]
fn the_search_index_is_kept_between_starts() {
    use tessera_tui::Source;
    let cache = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let kept = cache.path().join("search");
    let mut first = local("content").with_search_cache(Some(kept.clone()));
    let found = first.search("Montenegro", None, "en").unwrap_or_else(|e| panic!("{e:?}"));
    assert!(found.total > 0);
    let indexes: Vec<_> = std::fs::read_dir(&kept)
        .unwrap_or_else(|e| panic!("{e}"))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("meta.json").is_file())
        .collect();
    assert_eq!(indexes.len(), 1, "{indexes:?}");
    let mut second = local("content").with_search_cache(Some(kept));
    let again = second.search("Montenegro", None, "en").unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(format!("{again:?}"), format!("{found:?}"));
}
