//! Integration tests of `tessera import`: the seed page against its
//! hand-modelled version, the fixtures of both forms, re-imports and
//! conflicts, and arbitrary input.

mod fixtures;
mod prop;
mod rerun;
mod seed;

use std::path::{Path, PathBuf};

use tessera_import::{Options, Report};
pub(crate) use tessera_tests::copy_dir;

/// The repository root.
pub(crate) fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A fresh content folder with the bundled site settings and topics only.
pub(crate) fn empty_content() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    for name in ["site.toml", "topics.toml"] {
        std::fs::copy(root().join("content").join(name), dir.path().join(name)).unwrap_or_else(|e| panic!("{e}"));
    }
    dir
}

/// A copy of a folder (regular files and folders only).
pub(crate) fn import(content: &Path, sources: &[PathBuf]) -> Report {
    let options =
        Options { content: content.to_path_buf(), base_url: Some("https://www.unicef.org/".into()), dry_run: false };
    tessera_import::import(sources, &options).unwrap_or_else(|e| panic!("import failed: {e}"))
}

/// Loads a content folder and fails with every diagnostic if it has errors.
pub(crate) fn load(content: &Path) -> tessera_core::Snapshot {
    match tessera_core::load(content) {
        Ok(s) => s,
        Err(e) => panic!("the imported content does not pass `tessera check`:\n{e}"),
    }
}

/// The seed page laid out as the old site had it, in a folder of its own.
pub(crate) fn seed_source() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let folder = dir.path().join("site");
    std::fs::create_dir_all(folder.join("disabilities")).unwrap_or_else(|e| panic!("{e}"));
    std::fs::copy(
        root().join("tests/fixtures/legacy/disabilities-index_65711.txt"),
        folder.join("disabilities/index_65711.txt"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    (dir, folder)
}
