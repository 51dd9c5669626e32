use crate::{stdout, tessera};

#[test]
fn the_bundled_content_checks_clean_with_exit_code_0() {
    let out = tessera(&["check", "content"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(stdout(&out).ends_with("content: 18 files, 0 errors, 0 warnings\n"), "{}", stdout(&out));
}

#[test]
fn content_errors_print_like_a_compiler_and_exit_with_1() {
    let out = tessera(&["check", "tests/fixtures/invalid/dangling-reference/site"]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    let expected = "\
error: no measure named `no-such-measure` (in `measures`)
  --> tests/fixtures/invalid/dangling-reference/site/pages/p.md:4:3
  |
4 |   \"no-such-measure\",
  |   ^^^^^^^^^^^^^^^^^
  = help: create `measures/no-such-measure.md` or fix the slug
";
    assert!(text.starts_with(expected), "{text}");
    assert!(text.ends_with("1 error, 0 warnings\n"), "{text}");
}

#[test]
fn json_output_is_for_machines() {
    let out = tessera(&["check", "tests/fixtures/invalid/unknown-field/site", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let json: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", stdout(&out)));
    assert_eq!(json["errors"], 1);
    let d = &json["diagnostics"][0];
    assert_eq!(
        (d["path"].as_str(), d["line"].as_u64(), d["column"].as_u64()),
        (Some("pages/typo.md"), Some(2), Some(1))
    );
    assert_eq!(d["severity"], "error");
    assert!(d["help"].as_str().is_some_and(|h| h.contains("did you mean `title`?")));
}

#[test]
fn a_missing_folder_or_bad_usage_exits_with_2() {
    let out = tessera(&["check", "/nonexistent/folder"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read content folder `/nonexistent/folder`"));
    assert_eq!(tessera(&["check", "--format", "yaml"]).status.code(), Some(2));
    assert_eq!(tessera(&["no-such-command"]).status.code(), Some(2));
}

#[test]
fn warnings_do_not_fail_the_check() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let root = dir.path();
    std::fs::copy(crate::workspace().join("tests/fixtures/valid-site/site.toml"), root.join("site.toml"))
        .unwrap_or_else(|e| panic!("{e}"));
    std::fs::create_dir(root.join("measures")).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(root.join("measures/lonely.md"), "+++\ntitle = \"Lonely\"\nstatus = \"published\"\n+++\n")
        .unwrap_or_else(|e| panic!("{e}"));
    let out = tessera(&["check", &root.display().to_string()]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(stdout(&out).contains("warning: no page or item links to this measure"), "{}", stdout(&out));
}
