//! Every invalid fixture yields exactly the diagnostics in its `expected.txt`.

use std::fs;
use std::path::Path;

use tessera_core::{LoadError, load};

use crate::fixture;

fn diagnostics_of(root: &Path) -> String {
    match load(root) {
        Ok(snapshot) => snapshot.warnings().iter().map(|d| format!("{d}\n")).collect(),
        Err(LoadError::Invalid { diagnostics }) => diagnostics.iter().map(|d| format!("{d}\n")).collect(),
        Err(e) => panic!("{}: {e}", root.display()),
    }
}

#[test]
fn the_valid_site_loads_without_diagnostics() {
    let snapshot = load(&fixture("valid-site")).unwrap_or_else(|e| panic!("{e:?}"));
    assert!(snapshot.warnings().is_empty(), "{:?}", snapshot.warnings());
}

#[test]
fn each_invalid_case_reports_exactly_its_expected_diagnostics() {
    let mut cases: Vec<_> = fs::read_dir(fixture("invalid"))
        .unwrap_or_else(|e| panic!("{e}"))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    cases.sort();
    assert!(cases.len() >= 15, "at least 15 invalid cases, found {}", cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        let expected =
            fs::read_to_string(case.join("expected.txt")).unwrap_or_else(|e| panic!("{}: {e}", case.display()));
        let actual = diagnostics_of(&case.join("site"));
        if actual != expected {
            failures.push(format!("{}\n--- expected\n{expected}--- actual\n{actual}", case.display()));
        }
        // Only the case whose point is that a BOM is fine may load cleanly.
        let clean = case.ends_with("bom-accepted");
        assert_eq!(expected.is_empty(), clean, "{}", case.display());
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn a_file_over_the_size_limit_is_refused_unread() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    fs::write(dir.path().join("site.toml"), fs::read(fixture("invalid/empty-file/site/site.toml")).unwrap_or_default())
        .unwrap_or_else(|e| panic!("{e}"));
    fs::create_dir(dir.path().join("pages")).unwrap_or_else(|e| panic!("{e}"));
    let mut big = b"+++\ntitle = \"Big\"\nstatus = \"published\"\n+++\n".to_vec();
    big.resize(tessera_core::MAX_FILE_SIZE as usize + 1, b'a');
    fs::write(dir.path().join("pages/big.md"), big).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        diagnostics_of(dir.path()),
        "pages/big.md: error: file is larger than the 4 MiB limit for content files\n"
    );
}

#[test]
fn a_missing_folder_is_an_io_error_not_a_content_error() {
    let err = load(Path::new("/nonexistent/tessera-content"));
    assert!(matches!(err, Err(LoadError::Root { .. })), "{err:?}");
}

/// A FIFO blocks whoever opens it for reading until a writer comes: the
/// loader must refuse it without opening it, and say so.
#[cfg(unix)]
#[test]
fn a_fifo_or_other_special_file_is_refused_without_hanging() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    fs::write(dir.path().join("site.toml"), fs::read(fixture("invalid/empty-file/site/site.toml")).unwrap_or_default())
        .unwrap_or_else(|e| panic!("{e}"));
    fs::create_dir(dir.path().join("pages")).unwrap_or_else(|e| panic!("{e}"));
    let made = std::process::Command::new("mkfifo").arg(dir.path().join("pages/pipe.md")).status();
    assert!(made.is_ok_and(|s| s.success()));
    let root = dir.path().to_owned();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(diagnostics_of(&root));
    });
    let found =
        rx.recv_timeout(std::time::Duration::from_secs(10)).unwrap_or_else(|_| panic!("the loader hung on a FIFO"));
    assert_eq!(found, "pages/pipe.md: error: refused: not a regular file (a FIFO, socket or device)\n");
}
