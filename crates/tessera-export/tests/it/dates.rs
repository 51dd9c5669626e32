//! Dates in the sitemap and feeds come from the content, never 1970.

use super::*;

#[test]
fn the_sitemap_gives_lastmod_from_content_and_feeds_the_newest_date() {
    let out = render(&snapshot("tests/fixtures/valid-site"), &options(false)).unwrap_or_else(|e| panic!("{e}"));
    let sitemap = html(&out, "sitemap.xml");
    assert!(!sitemap.contains("1970"), "{sitemap}");
    // The welcome page says `updated = 2026-01-15`; its French translation
    // says no date, so its page has no lastmod rather than a made-up one.
    let entry = |address: &str| -> String {
        sitemap
            .split("<url>")
            .find(|u| u.contains(&format!("<loc>{address}</loc>")))
            .unwrap_or_else(|| panic!("no {address} in {sitemap}"))
            .to_owned()
    };
    let en = entry("https://fixture.invalid/pages/welcome/");
    assert!(en.contains("<lastmod>2026-01-15T00:00:00+00:00</lastmod>"), "{en}");
    assert!(en.contains("hreflang=\"ar\"") && en.contains("hreflang=\"fr\""), "alternates as before: {en}");
    let fr = entry("https://fixture.invalid/fr/pages/welcome/");
    assert!(!fr.contains("<lastmod>"), "{fr}");
    // The story has only its `date`; the home page has none and says none.
    let story = sitemap.split("<url>").find(|u| u.contains("/stories/public-story/</loc>")).unwrap_or_default();
    assert!(story.contains("<lastmod>2012-09-01T00:00:00+00:00</lastmod>"), "{story}");
    let home = sitemap.split("<url>").find(|u| u.contains("<loc>https://fixture.invalid/</loc>")).unwrap_or_default();
    assert!(!home.contains("<lastmod>"), "{home}");
    for feed in ["feed.xml", "fr/feed.xml", "ar/feed.xml"] {
        let feed = html(&out, feed);
        assert!(!feed.contains("1970"), "{feed}");
        assert_eq!(feed.matches("<updated>2012-09-01T00:00:00+00:00</updated>").count(), 2, "{feed}");
    }
}

#[test]
fn without_any_date_a_feed_is_dated_by_the_export() {
    // The bundled content gives no dates at all: Atom still needs one.
    let now = chrono::DateTime::parse_from_rfc3339("2030-05-06T07:08:09.123Z")
        .unwrap_or_else(|e| panic!("{e}"))
        .with_timezone(&Utc);
    let out = render(&snapshot("content"), &ExportOptions { now, ..options(false) }).unwrap_or_else(|e| panic!("{e}"));
    let feed = html(&out, "feed.xml");
    assert!(feed.contains("<updated>2030-05-06T07:08:09+00:00</updated>"), "{feed}");
    assert!(!feed.contains("1970") && !html(&out, "sitemap.xml").contains("<lastmod>"));
}
