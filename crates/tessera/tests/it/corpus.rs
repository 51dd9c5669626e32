use std::path::Path;

use crate::{stdout, tessera};

fn read_all(root: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    let mut stack = vec![root.to_owned()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{e}")).filter_map(Result::ok) {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path.strip_prefix(root).unwrap_or(&path).display().to_string();
                files.push((rel, std::fs::read(&path).unwrap_or_default()));
            }
        }
    }
    files.sort();
    files
}

#[test]
fn the_synthetic_corpus_is_deterministic_realistic_and_checks_clean() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let a = dir.path().join("a");
    let b = dir.path().join("b");
    for out in [&a, &b] {
        let o = tessera(&[
            "gen-corpus",
            "--items",
            "200",
            "--locales",
            "en,fr,ar",
            "--seed",
            "42",
            &out.display().to_string(),
        ]);
        assert_eq!(o.status.code(), Some(0));
        assert!(stdout(&o).contains("synthetic"), "{}", stdout(&o));
    }
    let files = read_all(&a);
    assert_eq!(files, read_all(&b), "the same seed must give the same corpus");

    let check = tessera(&["check", &a.display().to_string()]);
    assert_eq!(check.status.code(), Some(0), "{}", stdout(&check));
    assert!(stdout(&check).ends_with("0 errors, 0 warnings\n"), "{}", stdout(&check));

    let texts: Vec<String> = files.iter().map(|(_, b)| String::from_utf8_lossy(b).into_owned()).collect();
    assert!(texts.iter().all(|t| t.contains("synthetic")), "every file says it is synthetic");
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    assert!(names.iter().any(|n| n.ends_with(".fr.md")) && names.iter().any(|n| n.ends_with(".ar.md")), "translations");
    assert!(texts.iter().any(|t| t.contains("status = \"draft\"")), "drafts");
    assert!(texts.iter().any(|t| t.contains("publish_at = 2099")), "embargoes");
    for (name, text) in files.iter().map(|(n, b)| (n, String::from_utf8_lossy(b))) {
        if name.starts_with("pages/") && !name.contains('.') {
            continue;
        }
        if let Some((_, body)) = tessera_core::split_front_matter(&text) {
            let words = body.split_whitespace().count();
            assert!((300..=1800).contains(&words), "{name} has {words} words");
        }
    }
    assert!(
        texts.iter().any(|t| t.contains("\n## ")) && texts.iter().any(|t| t.contains("\n- ")),
        "headings and lists"
    );
    assert!(texts.iter().any(|t| t.contains("](@/measures/")), "links between items");
}

#[test]
fn gen_corpus_refuses_a_non_empty_folder() {
    let o = tessera(&["gen-corpus", "--items", "10", "content"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("not empty"));
}
