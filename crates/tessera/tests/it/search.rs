use crate::{stdout, tessera};

#[test]
fn search_prints_ranked_hits_with_marked_snippets() {
    let out = tessera(&["search", "montenagro"]);
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    assert!(
        text.starts_with("1. It's about ability (story)\n   @/stories/its-about-ability.md\n   [Montenegro]'s"),
        "{text}"
    );
    // The typo is forgiven, and the word the index knows is suggested.
    assert!(text.ends_with("1 result(s): 1 story\nDid you mean: montenegro?\n"), "{text}");
}

#[test]
fn search_speaks_json_filters_by_kind_and_refuses_empty_queries() {
    let out = tessera(&["search", "organizations", "--kind", "partner", "--format", "json"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}"));
    let hits = json["hits"].as_array().cloned().unwrap_or_default();
    assert!(!hits.is_empty() && hits.iter().all(|h| h["kind"] == "partner"), "{json}");
    assert!(json["facets"]["kinds"][0]["value"] == "partner");
    let empty = tessera(&["search", "  "]);
    assert_eq!(empty.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&empty.stderr).contains("type something to search for"));
    assert_eq!(tessera(&["search", "x", "--kind", "planet"]).status.code(), Some(2));
    // A locale the site lacks is said, not answered with nothing.
    let foreign = tessera(&["search", "welcome", "--locale", "xx"]);
    assert_eq!(foreign.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&foreign.stderr).contains("not one of the site's locales"));
    let counted = tessera(&["search", "organizations", "--limit", "0"]);
    assert!(stdout(&counted).starts_with(|c: char| c.is_ascii_digit()), "no hit, the count: {}", stdout(&counted));
}

#[test]
fn drafts_are_found_only_in_preview() {
    let public = tessera(&["search", "draft", "--content", "tests/fixtures/valid-site", "--format", "json"]);
    let preview =
        tessera(&["search", "draft", "--content", "tests/fixtures/valid-site", "--preview", "--format", "json"]);
    assert!(!stdout(&public).contains("draft-page"));
    assert!(stdout(&preview).contains("draft-page"));
}

/// Content may hold control characters (a TOML `\u001b` escape, a raw
/// byte in a body): `search`, `read` and `check` print them as U+FFFD,
/// never as the escape sequences they begin, which could set the
/// terminal's title, clear it or rewrite what it shows.
#[test]
fn escape_sequences_in_content_never_reach_the_terminal() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let cache = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let root = dir.path().join("site");
    tessera_tests::copy_dir(&crate::workspace().join("tests/fixtures/valid-site"), &root);
    let page = "+++\ntitle = \"Evil\\u001b]0;PWNED\\u0007 escword\"\nstatus = \"published\"\n+++\n\
                Body \u{1b}[2J\u{9b}31m with escword and [a broken link](@/pages/nowhere.md) \u{1b}]0;X\u{7}.\n";
    std::fs::write(root.join("pages/evil.md"), page).unwrap_or_else(|e| panic!("{e}"));
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_tessera"))
            .args(args)
            .env("TESSERA_CACHE_DIR", cache.path())
            .output()
            .unwrap_or_else(|e| panic!("cannot run tessera: {e}"))
    };
    let content = root.to_string_lossy().into_owned();
    let check = run(&["check", &content]);
    std::fs::write(root.join("pages/evil.md"), page.replace("[a broken link](@/pages/nowhere.md)", ""))
        .unwrap_or_else(|e| panic!("{e}"));
    let search = run(&["search", "escword", "--content", &content]);
    let read = run(&["read", "pages/evil", "--content", &content]);
    for (what, out) in [("check", &check), ("search", &search), ("read", &read)] {
        let text = stdout(out);
        assert!(text.contains("escword"), "{what} shows the item: {text}");
        assert!(!text.contains(['\u{1b}', '\u{7}', '\u{9b}']), "{what} printed a control character: {text:?}");
        assert!(text.contains('\u{fffd}'), "{what} shows where one was: {text:?}");
    }
}
