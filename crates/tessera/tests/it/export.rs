use std::process::Command;

use crate::tessera;

#[test]
fn an_export_killed_midway_leaves_the_previous_output_intact() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let out = dir.path().join("site");
    let export = |kill: bool| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_tessera"));
        command
            .args(["export", "--format", "all", "--out", &out.display().to_string()])
            .current_dir(crate::workspace());
        if kill {
            // Dies at the worst moment: everything written, nothing swapped in.
            let target = out.canonicalize().unwrap_or_else(|e| panic!("{e}"));
            command.env(tessera_export::KILL_BEFORE_SWAP, target);
        }
        command.output().unwrap_or_else(|e| panic!("{e}"))
    };
    let first = export(false);
    assert_eq!(first.status.code(), Some(0), "{}", String::from_utf8_lossy(&first.stderr));
    let before = std::fs::read(out.join("index.html")).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(out.join("marker.txt"), "from the first export").unwrap_or_else(|e| panic!("{e}"));

    let killed = export(true);
    assert!(!killed.status.success(), "the export was meant to die before swapping");
    assert!(out.join("marker.txt").exists(), "a killed export replaced the previous output");
    assert_eq!(std::fs::read(out.join("index.html")).ok(), Some(before), "the previous output changed");

    // The next export replaces the previous one whole.
    let again = export(false);
    assert_eq!(again.status.code(), Some(0), "{}", String::from_utf8_lossy(&again.stderr));
    assert!(!out.join("marker.txt").exists() && out.join("index.html").exists() && out.join("style.css").exists());
    // And what the killed one left beside it is gone.
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap_or_else(|e| panic!("{e}"))
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, vec!["site".to_owned()], "leftovers beside the export");
}

#[test]
fn export_refuses_broken_content_and_names_the_problem() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let out = tessera(&[
        "export",
        "--content",
        "tests/fixtures/invalid/dangling-reference/site",
        "--out",
        &dir.path().join("x").display().to_string(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no measure named `no-such-measure`"));
    assert!(!dir.path().join("x").exists());
}

#[test]
fn every_exported_page_of_a_synthetic_corpus_fits_in_14_kb_gzipped() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let corpus = dir.path().join("corpus");
    let out = dir.path().join("site");
    let gen_ = tessera(&[
        "gen-corpus",
        "--items",
        "300",
        "--locales",
        "en,fr,ar",
        "--seed",
        "9",
        &corpus.display().to_string(),
    ]);
    assert_eq!(gen_.status.code(), Some(0));
    let export = tessera(&[
        "export",
        "--format",
        "html",
        "--content",
        &corpus.display().to_string(),
        "--out",
        &out.display().to_string(),
    ]);
    assert_eq!(export.status.code(), Some(0), "{}", String::from_utf8_lossy(&export.stderr));
    let gzip = |bytes: &[u8]| {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        let _ = e.write_all(bytes);
        e.finish().map(|v| v.len()).unwrap_or(usize::MAX)
    };
    let css = gzip(&std::fs::read(out.join("style.css")).unwrap_or_default());
    let mut stack = vec![out.clone()];
    let mut pages = 0;
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap_or_else(|e| panic!("{e}")).filter_map(Result::ok) {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "html") {
                let total = gzip(&std::fs::read(&path).unwrap_or_default()) + css;
                assert!(total <= 14 * 1024, "{}: {total} bytes gzipped with the stylesheet", path.display());
                pages += 1;
            }
        }
    }
    assert!(pages > 300, "{pages} pages");
}

#[test]
fn export_refuses_to_replace_the_content_folder_or_an_unrelated_one() {
    for out in ["content", "content/pages", ".", "..", "/"] {
        let o = tessera(&["export", "--format", "json", "--out", out]);
        assert_eq!(o.status.code(), Some(2), "--out {out}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains("refusing to export into"), "--out {out}: {err}");
    }
    assert!(crate::workspace().join("content/site.toml").is_file(), "the content is still there");
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(dir.path().join("notes.txt"), "mine").unwrap_or_else(|e| panic!("{e}"));
    let o = tessera(&["export", "--format", "json", "--out", &dir.path().display().to_string()]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(std::fs::read_to_string(dir.path().join("notes.txt")).ok().as_deref(), Some("mine"));
}

#[test]
fn exports_link_relative_by_default_so_they_work_from_any_folder() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let out = dir.path().join("site");
    let o = tessera(&["export", "--format", "html", "--out", &out.display().to_string()]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let page = std::fs::read_to_string(out.join("pages/civil-society-partnerships/index.html")).unwrap_or_default();
    assert!(page.contains("<link rel=\"stylesheet\" href=\"../../style.css\">"), "{page}");
    assert!(page.contains("<a href=\"../index.html\">Pages</a>"), "{page}");
    assert!(page.contains("<link rel=\"icon\" type=\"image/svg+xml\" href=\"../../favicon.svg\">"), "{page}");
    assert!(!page.contains("href=\"/"), "no site-absolute link is left: {page}");
    assert!(out.join("favicon.svg").is_file());
    // The old flag still runs, and says the same.
    let again = dir.path().join("again");
    let o = tessera(&["export", "--format", "html", "--relative-links", "--out", &again.display().to_string()]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let same = std::fs::read_to_string(again.join("pages/civil-society-partnerships/index.html")).unwrap_or_default();
    assert_eq!(page, same);
}

#[test]
fn absolute_links_are_written_from_the_sites_root() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let out = dir.path().join("site");
    let o = tessera(&["export", "--format", "html", "--absolute-links", "--out", &out.display().to_string()]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let page = std::fs::read_to_string(out.join("pages/civil-society-partnerships/index.html")).unwrap_or_default();
    assert!(page.contains("<link rel=\"stylesheet\" href=\"/style.css\">"), "{page}");
    assert!(page.contains("<a href=\"/pages/\">Pages</a>"), "{page}");
}
