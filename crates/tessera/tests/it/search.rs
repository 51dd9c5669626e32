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
}

#[test]
fn drafts_are_found_only_in_preview() {
    let public = tessera(&["search", "draft", "--content", "tests/fixtures/valid-site", "--format", "json"]);
    let preview =
        tessera(&["search", "draft", "--content", "tests/fixtures/valid-site", "--preview", "--format", "json"]);
    assert!(!stdout(&public).contains("draft-page"));
    assert!(stdout(&preview).contains("draft-page"));
}
