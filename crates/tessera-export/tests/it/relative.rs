//! `relative_links`, the default: the exported site works from any folder
//! or `file://`.

use super::*;

/// Every `href` and `src` value in `html`.
fn references(html: &str) -> Vec<String> {
    let mut found = Vec::new();
    for attr in [" href=\"", " src=\""] {
        let mut rest = html;
        while let Some(i) = rest.find(attr) {
            rest = &rest[i + attr.len()..];
            let end = rest.find('"').unwrap_or(rest.len());
            found.push(rest[..end].replace("&amp;", "&"));
        }
    }
    found
}

fn html_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap_or_else(|e| panic!("{e}")).filter_map(Result::ok) {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "html") {
                files.push(path);
            }
        }
    }
    files
}

#[test]
fn with_relative_links_every_reference_resolves_from_its_file() {
    for site in ["content", "tests/fixtures/valid-site"] {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let out = dir.path().join("site");
        let options = ExportOptions { relative_links: true, ..options(false) };
        export(&snapshot(site), &options, &out).unwrap_or_else(|e| panic!("{e}"));
        let files = html_files(&out);
        assert!(files.len() > 10, "{site}: {} pages", files.len());
        let mut checked = 0;
        for file in &files {
            let text = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{e}"));
            let folder = file.parent().unwrap_or(&out);
            for reference in references(&text) {
                if reference.starts_with('#') || reference.starts_with("mailto:") {
                    continue;
                }
                if reference.starts_with("https://") {
                    // Only what names the published site may stay
                    // absolute: alternates and canonical links, and the
                    // fixtures' media files.
                    continue;
                }
                assert!(!reference.starts_with('/'), "{}: {reference} is not relative", file.display());
                let path = reference.split(['#', '?']).next().unwrap_or("");
                let target = folder.join(path);
                assert!(target.is_file(), "{}: {reference} leads nowhere", file.display());
                checked += 1;
            }
        }
        assert!(checked > 100, "{site}: only {checked} references checked");
        let seed_or_welcome = if site == "content" {
            out.join("pages/civil-society-partnerships/index.html")
        } else {
            out.join("fr/pages/welcome/index.html")
        };
        let page = std::fs::read_to_string(seed_or_welcome).unwrap_or_default();
        let depth = if site == "content" { "../../" } else { "../../../" };
        assert!(page.contains(&format!("<link rel=\"stylesheet\" href=\"{depth}style.css\">")), "{page}");
        assert!(page.contains("<link rel=\"alternate\" hreflang=\"en\" href=\"https://"), "alternates stay absolute");
    }
}

#[test]
fn legacy_pages_send_readers_on_relative_to_the_old_path() {
    let options = ExportOptions { relative_links: true, ..options(false) };
    let out = render(&snapshot("tests/fixtures/valid-site"), &options).unwrap_or_else(|e| panic!("{e}"));
    let moved = html(&out, "old/welcome.html");
    assert!(moved.contains("content=\"0; url=../pages/welcome/index.html\""), "{moved}");
    assert!(moved.contains("<a href=\"../pages/welcome/index.html\">"), "{moved}");
    assert!(moved.contains("<link rel=\"canonical\" href=\"https://fixture.invalid/pages/welcome/\">"), "{moved}");
    // Written from the site's root, they name the page's folder.
    let absolute =
        render(&snapshot("tests/fixtures/valid-site"), &super::absolute(false)).unwrap_or_else(|e| panic!("{e}"));
    assert!(html(&absolute, "old/welcome.html").contains("<a href=\"/pages/welcome/\">"));
}
