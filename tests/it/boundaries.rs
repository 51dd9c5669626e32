//! The workspace's architectural invariants (see ARCHITECTURE.md).

use std::fs;
use std::process::Command;

use crate::workspace;

const FORBIDDEN_IN_CORE: [&str; 5] = ["axum", "tokio", "async-graphql", "ratatui", "hyper"];

#[test]
fn the_core_depends_on_no_server_or_terminal_crate() {
    let manifest = fs::read_to_string(workspace().join("crates/tessera-core/Cargo.toml")).unwrap_or_default();
    for name in FORBIDDEN_IN_CORE {
        assert!(!manifest.contains(&format!("\n{name}")), "tessera-core/Cargo.toml names {name}");
    }
    // The manifest could pull them in indirectly: ask cargo for the whole tree.
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let output = Command::new(cargo)
        .args(["tree", "-p", "tessera-core", "-e", "normal", "--prefix", "none", "--offline"])
        .current_dir(workspace())
        .output()
        .unwrap_or_else(|e| panic!("cannot run cargo tree: {e}"));
    assert!(output.status.success(), "cargo tree failed: {}", String::from_utf8_lossy(&output.stderr));
    let tree = String::from_utf8_lossy(&output.stdout);
    assert!(tree.contains("tessera-core"), "{tree}");
    for line in tree.lines() {
        let name = line.split_whitespace().next().unwrap_or_default();
        assert!(!FORBIDDEN_IN_CORE.contains(&name), "tessera-core depends on {name}:\n{tree}");
    }
}

#[test]
fn every_crate_root_starts_with_a_paragraph_on_what_it_owns() {
    let mut roots = vec![workspace().join("tests/lib.rs")];
    for entry in fs::read_dir(workspace().join("crates")).unwrap_or_else(|e| panic!("{e}")).filter_map(Result::ok) {
        for file in ["src/lib.rs", "src/main.rs"] {
            let path = entry.path().join(file);
            if path.exists() {
                roots.push(path);
            }
        }
    }
    assert!(roots.len() >= 3);
    for root in roots {
        let text = fs::read_to_string(&root).unwrap_or_default();
        assert!(text.starts_with("//! "), "{} must start with a `//!` paragraph", root.display());
    }
}

#[test]
fn every_crate_inherits_the_workspace_lints_and_is_unpublished() {
    for entry in fs::read_dir(workspace().join("crates")).unwrap_or_else(|e| panic!("{e}")).filter_map(Result::ok) {
        let manifest = fs::read_to_string(entry.path().join("Cargo.toml")).unwrap_or_default();
        let name = entry.file_name().to_string_lossy().into_owned();
        assert!(manifest.contains(&format!("name = \"{name}\"")), "folder {name} must hold the package {name}");
        assert!(manifest.contains("[lints]\nworkspace = true"), "{name} must use the workspace lints");
        assert!(manifest.contains("publish = false") && manifest.contains("version = \"0.0.0\""), "{name}");
    }
}

/// The repository root holds the workspace and its documents, nothing
/// else: stray downloads and build droppings get noticed.
#[test]
fn the_repository_holds_no_stray_files() {
    let output = Command::new("git")
        .args(["ls-files"])
        .current_dir(workspace())
        .output()
        .unwrap_or_else(|e| panic!("cannot run git ls-files: {e}"));
    assert!(output.status.success(), "git ls-files failed: {}", String::from_utf8_lossy(&output.stderr));
    let files = String::from_utf8_lossy(&output.stdout);
    let allowed_at_root = [
        ".ci",
        ".gitignore",
        "ARCHITECTURE.md",
        "BENCHMARKS.md",
        "Cargo.lock",
        "Cargo.toml",
        "README.md",
        "bench",
        "content",
        "crates",
        "deploy",
        "justfile",
        "rustfmt.toml",
        "schema",
        "tests",
    ];
    let mut stray = Vec::new();
    for file in files.lines() {
        let top = file.split('/').next().unwrap_or_default();
        let dropping = [".whl", ".hugo_build.lock", ".log", ".tmp"].iter().any(|s| file.ends_with(s));
        if !allowed_at_root.contains(&top) || dropping || file.contains("/node_modules/") {
            stray.push(file);
        }
    }
    assert!(stray.is_empty(), "files that do not belong in the repository: {stray:?}");
}
