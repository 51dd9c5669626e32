use std::process::Command;
use std::time::Duration;

use crate::tessera;

#[test]
fn an_export_killed_midway_leaves_the_previous_output_intact() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let corpus = dir.path().join("corpus");
    let out = dir.path().join("site");
    let gen_ =
        tessera(&["gen-corpus", "--items", "3000", "--locales", "en,fr", "--seed", "5", &corpus.display().to_string()]);
    assert_eq!(gen_.status.code(), Some(0));
    // A first, complete export.
    let first = tessera(&[
        "export",
        "--format",
        "all",
        "--content",
        &corpus.display().to_string(),
        "--out",
        &out.display().to_string(),
    ]);
    assert_eq!(first.status.code(), Some(0), "{}", String::from_utf8_lossy(&first.stderr));
    let before = std::fs::read(out.join("index.html")).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(out.join("marker.txt"), "from the first export").unwrap_or_else(|e| panic!("{e}"));
    // A second one, killed while it works.
    let mut child = Command::new(env!("CARGO_BIN_EXE_tessera"))
        .args([
            "export",
            "--format",
            "all",
            "--content",
            &corpus.display().to_string(),
            "--out",
            &out.display().to_string(),
        ])
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    std::thread::sleep(Duration::from_millis(150));
    let finished = child.try_wait().ok().flatten().is_some();
    let _ = child.kill();
    let _ = child.wait();
    if !finished {
        assert!(out.join("marker.txt").exists(), "the previous output was replaced by a killed export");
        assert_eq!(std::fs::read(out.join("index.html")).ok(), Some(before));
    }
    // Whatever happened, OUT is a whole export, never a mix.
    assert!(out.join("index.html").exists() && out.join("style.css").exists());
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
