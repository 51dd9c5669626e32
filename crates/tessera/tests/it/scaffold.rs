use crate::{stdout, tessera};

#[test]
fn new_items_of_every_kind_pass_the_check() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let root = dir.path().display().to_string();
    std::fs::copy(crate::workspace().join("content/site.toml"), dir.path().join("site.toml"))
        .unwrap_or_else(|e| panic!("{e}"));
    for kind in ["page", "measure", "partner", "story", "media"] {
        let out = tessera(&["new", kind, &format!("a-new-{kind}"), "--content", &root]);
        assert_eq!(out.status.code(), Some(0), "{kind}: {}", String::from_utf8_lossy(&out.stderr));
    }
    let out = tessera(&["check", &root, "--format", "json"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(json["errors"], 0, "{}", stdout(&out));
    assert_eq!(out.status.code(), Some(0));
    let page = std::fs::read_to_string(dir.path().join("pages/a-new-page.md")).unwrap_or_default();
    assert!(page.contains("title = \"A new page\"") && page.contains("status = \"draft\""), "{page}");
}

#[test]
fn new_refuses_to_overwrite_or_take_a_bad_slug() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let root = dir.path().display().to_string();
    std::fs::copy(crate::workspace().join("content/site.toml"), dir.path().join("site.toml"))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(tessera(&["new", "story", "twice", "--content", &root]).status.code(), Some(0));
    let again = tessera(&["new", "story", "twice", "--content", &root]);
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));
    assert_eq!(tessera(&["new", "story", "Bad Slug", "--content", &root]).status.code(), Some(2));
}
