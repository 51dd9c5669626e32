//! `tessera transition`: the state of the move, and `--add` listing an old
//! sitemap's addresses as pending without touching what is already known.

use crate::{stdout, tessera};
use tessera_tests::copy_dir as copy;

#[test]
fn the_dashboard_counts_and_lists_pending_addresses_oldest_first() {
    let out = tessera(&["transition", "--content", "tests/fixtures/valid-site", "--format", "json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}"));
    // The public's states, with every address the content knows: those
    // only unpublished pages carry are pending, and the pages are named.
    assert_eq!(
        (&report["total"], &report["moved"], &report["pending"], &report["retired"]),
        (&8.into(), &2.into(), &4.into(), &2.into())
    );
    let pending: Vec<&str> = report["addresses"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|a| a["state"] == "pending")
        .filter_map(|a| a["path"].as_str())
        .collect();
    assert_eq!(pending, ["/old/press/2009.html", "/about/history.html", "/old/embargoed.html", "/old/review.html"]);
    let review = report["addresses"].as_array().into_iter().flatten().find(|a| a["path"] == "/old/review.html");
    assert_eq!(review.map(|a| a["waiting"].clone()), Some(serde_json::json!(["pages/review-page.md"])));

    let text = stdout(&tessera(&["transition", "--content", "tests/fixtures/valid-site"]));
    assert!(
        text.starts_with("Fixture site: 8 old address(es)\n  moved         2   25%\n  pending       4   50%\n"),
        "{text}"
    );
    assert!(text.contains("  2009-12-31  /old/press/2009.html  \"Press releases 2009\"\n"), "{text}");
    assert!(text.contains("/old/campaign-2008.html  \"Campaign 2008\"  -> /pages/welcome/"), "{text}");
}

#[test]
fn add_lists_unknown_sitemap_addresses_as_pending_and_keeps_the_rest() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let content = dir.path().join("content");
    copy(&crate::workspace().join("tests/fixtures/valid-site"), &content);
    let before = std::fs::read_to_string(content.join("legacy.toml")).unwrap_or_default();
    let sitemap = dir.path().join("sitemap.xml");
    std::fs::write(
        &sitemap,
        r#"<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <url><loc>https://old.fixture.invalid/old/welcome.html</loc></url>
  <url><loc>https://old.fixture.invalid/old/press/2009.html</loc></url>
  <url><loc>https://old.fixture.invalid/old/new-one.html?a=1&amp;b=2</loc><lastmod>2008-07-01</lastmod></url>
  <url><loc>https://old.fixture.invalid/old/has space.html</loc></url>
  <url><loc>https://old.fixture.invalid/old/new-one.html</loc></url>
</urlset>"#,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let dir_arg = content.to_string_lossy().into_owned();
    let sitemap_arg = sitemap.to_string_lossy().into_owned();
    let out = tessera(&["transition", "--content", &dir_arg, "--add", &sitemap_arg, "--format", "json"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("1 new address(es) listed as pending, 1 skipped"), "{stderr}");
    assert!(stderr.contains("skipped `https://old.fixture.invalid/old/has space.html`"), "{stderr}");
    let after = std::fs::read_to_string(content.join("legacy.toml")).unwrap_or_default();
    assert!(after.starts_with(&before), "what was there is kept as it was");
    assert_eq!(
        &after[before.len()..],
        "\n[[addresses]]\nurl = \"https://old.fixture.invalid/old/new-one.html?a=1&b=2\"\nsince = 2008-07-01\n"
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(report["pending"], 5);
    assert_eq!(report["addresses"][0]["path"], "/old/new-one.html", "the oldest comes first");
    // The content still checks, and a second run adds nothing.
    assert!(tessera(&["check", &dir_arg]).status.success());
    let again = tessera(&["transition", "--content", &dir_arg, "--add", &sitemap_arg]);
    assert!(String::from_utf8_lossy(&again.stderr).contains("0 new address(es)"));
    assert_eq!(std::fs::read_to_string(content.join("legacy.toml")).unwrap_or_default(), after);
    // A file that is not a sitemap is refused, and nothing is written.
    std::fs::write(&sitemap, "<urlset><url><loc>/x.html</loc></urlset>").unwrap_or_else(|e| panic!("{e}"));
    let broken = tessera(&["transition", "--content", &dir_arg, "--add", &sitemap_arg]);
    assert_eq!(broken.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&broken.stderr).contains("is not a sitemap"));
    assert_eq!(std::fs::read_to_string(content.join("legacy.toml")).unwrap_or_default(), after);
}
