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
    let expected = "\
error: no measure named `no-such-measure` (in `measures`)
 --> tests/fixtures/invalid/dangling-reference/site/pages/p.md:4:3
  |
4 |   \"no-such-measure\",
  |   ^^^^^^^^^^^^^^^^^
  |
  = help: create `measures/no-such-measure.md` or fix the slug

tests/fixtures/invalid/dangling-reference/site: 1 error, 0 warnings
";
    assert_eq!(stdout(&out), expected);
}

/// The text output for a file whose front matter does not parse: the parse
/// error, then its body's broken link with the caret on the target and the
/// closest slug, and no warning for the items it names.
#[test]
fn a_broken_file_shows_every_problem_under_its_source() {
    let out = tessera(&["check", "tests/fixtures/invalid/broken-front-matter/site"]);
    assert_eq!(out.status.code(), Some(1));
    let expected = "\
error: invalid basic string, expected `\"`
 --> tests/fixtures/invalid/broken-front-matter/site/pages/p.md:2:22
  |
2 | title = \"Partnerships
  |                      ^

error: broken link: there is no `measures/advocat.md`
 --> tests/fixtures/invalid/broken-front-matter/site/pages/p.md:7:15
  |
7 | We [advocate](@/measures/advocat.md).
  |               ^^^^^^^^^^^^^^^^^^^^^
  |
  = help: did you mean `@/measures/advocate-and-facilitate-dialogue.md`?

tests/fixtures/invalid/broken-front-matter/site: 2 errors, 0 warnings
";
    assert_eq!(stdout(&out), expected);
}

#[test]
fn json_output_keeps_line_and_column_and_adds_the_span() {
    let out = tessera(&["check", "tests/fixtures/invalid/unsafe-link/site", "--format", "json"]);
    let json: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", stdout(&out)));
    let d = &json["diagnostics"][0];
    assert_eq!((d["line"].as_u64(), d["column"].as_u64()), (Some(5), Some(14)), "{d}");
    let text = std::fs::read_to_string(crate::workspace().join("tests/fixtures/invalid/unsafe-link/site/pages/p.md"))
        .unwrap_or_else(|e| panic!("{e}"));
    let span = d["span"]["start"].as_u64().unwrap_or(0) as usize..d["span"]["end"].as_u64().unwrap_or(0) as usize;
    assert_eq!(text.get(span), Some("javascript:alert(1)"), "{d}");
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

/// `check` keeps what it parsed in the cache folder, and the cache changes
/// nothing but the time: a second run, a run over a damaged cache and a run
/// that cannot write its cache all print what the first printed; only the
/// last says, on standard error, that the cache could not be written.
#[test]
fn the_parse_cache_changes_nothing_but_the_time() {
    let cache = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let run = |cache: &std::path::Path| {
        std::process::Command::new(env!("CARGO_BIN_EXE_tessera"))
            .args(["check", "tests/fixtures/invalid/broken-front-matter/site"])
            .env("TESSERA_CACHE_DIR", cache)
            .current_dir(crate::workspace())
            .output()
            .unwrap_or_else(|e| panic!("cannot run tessera: {e}"))
    };
    let first = run(cache.path());
    assert_eq!(first.status.code(), Some(1));
    assert!(stdout(&first).contains("broken link"), "{}", stdout(&first));
    let kept: Vec<_> = std::fs::read_dir(cache.path().join("parts"))
        .map(|entries| entries.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    let [file] = kept.as_slice() else { panic!("one cache file: {kept:?}") };
    let written = std::fs::read(file).unwrap_or_default();
    assert!(written.len() > 100, "{} bytes", written.len());
    let second = run(cache.path());
    assert_eq!((second.status.code(), stdout(&second)), (Some(1), stdout(&first)));
    assert!(second.stderr.is_empty(), "{}", String::from_utf8_lossy(&second.stderr));
    std::fs::write(file, &written[..written.len() / 2]).unwrap_or_else(|e| panic!("{e}"));
    let damaged = run(cache.path());
    assert_eq!((damaged.status.code(), stdout(&damaged)), (Some(1), stdout(&first)));
    // Written again whole (times are varints: the size may differ by a byte).
    let again = std::fs::read(file).unwrap_or_default();
    assert!(again.len().abs_diff(written.len()) < 16, "{} bytes, was {}", again.len(), written.len());
    assert_eq!(again[again.len() - 8..], written[written.len() - 8..], "ends with the magic number");
    // A cache folder that is a file cannot be written.
    let not_a_folder = cache.path().join("parts").join(file.file_name().unwrap_or_default());
    let unwritable = run(&not_a_folder);
    assert_eq!((unwritable.status.code(), stdout(&unwritable)), (Some(1), stdout(&first)));
    let stderr = String::from_utf8_lossy(&unwritable.stderr);
    assert!(stderr.contains("cannot write the parse cache in `"), "{stderr}");
    assert!(stderr.contains(&not_a_folder.join("parts").display().to_string()), "names where: {stderr}");
}
