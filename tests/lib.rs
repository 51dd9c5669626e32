//! Contract tests shared by every front end; the tests live in `it/`, the corpora in `fixtures/`.
//!
//! The library holds what the test suites of every crate share: where the
//! fixtures are, and copying one into a scratch folder to edit it.

use std::path::{Path, PathBuf};

/// A fixture folder under `tests/fixtures/`.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures").join(name)
}

/// Copies the folder `from` into `to` (created if missing), files and
/// folders, with a stack rather than recursion. Panics on an I/O error: it
/// is for tests.
pub fn copy_dir(from: &Path, to: &Path) {
    let mut stack = vec![(from.to_path_buf(), to.to_path_buf())];
    while let Some((src, dst)) = stack.pop() {
        std::fs::create_dir_all(&dst).unwrap_or_else(|e| panic!("{}: {e}", dst.display()));
        let entries = std::fs::read_dir(&src).unwrap_or_else(|e| panic!("{}: {e}", src.display()));
        for entry in entries.filter_map(Result::ok) {
            let target = dst.join(entry.file_name());
            if entry.path().is_dir() {
                stack.push((entry.path(), target));
            } else {
                std::fs::copy(entry.path(), &target).unwrap_or_else(|e| panic!("{}: {e}", target.display()));
            }
        }
    }
}
