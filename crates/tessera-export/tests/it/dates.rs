//! Dates in the sitemap, feeds and pages come from the content and its
//! files, never 1970: an item's `updated`, else when its file last changed
//! (its last commit in git, else its modification time).

use super::*;

/// The date of an item's file as the export writes it.
fn file_date<T: tessera_core::Item>(snapshot: &Snapshot, slug: &str, locale: &str) -> String {
    let locale = tessera_core::Locale::parse(locale).unwrap_or_else(|e| panic!("{e}"));
    snapshot
        .collection::<T>()
        .exact(slug, &locale)
        .and_then(|d| d.modified)
        .map(|m| tessera_core::Timestamp::from_instant(m).instant().to_rfc3339())
        .unwrap_or_else(|| panic!("{slug}.{locale} has no file date"))
}

#[test]
fn the_sitemap_gives_lastmod_from_content_or_files_and_feeds_the_newest_date() {
    let snapshot = snapshot("tests/fixtures/valid-site");
    let out = render(&snapshot, &options(false)).unwrap_or_else(|e| panic!("{e}"));
    let sitemap = html(&out, "sitemap.xml");
    assert!(!sitemap.contains("1970"), "{sitemap}");
    let entry = |address: &str| -> String {
        sitemap
            .split("<url>")
            .find(|u| u.contains(&format!("<loc>{address}</loc>")))
            .unwrap_or_else(|| panic!("no {address} in {sitemap}"))
            .to_owned()
    };
    // The welcome page says `updated = 2026-01-15`: that wins.
    let en = entry("https://fixture.invalid/pages/welcome/");
    assert!(en.contains("<lastmod>2026-01-15T00:00:00+00:00</lastmod>"), "{en}");
    assert!(en.contains("hreflang=\"ar\"") && en.contains("hreflang=\"fr\""), "alternates as before: {en}");
    // Its French translation says no date: its file's date stands in.
    let fr = entry("https://fixture.invalid/fr/pages/welcome/");
    let fr_date = file_date::<tessera_core::Page>(&snapshot, "welcome", "fr");
    assert!(fr.contains(&format!("<lastmod>{fr_date}</lastmod>")), "{fr}");
    // A story's file date comes before the day the story happened.
    let story = entry("https://fixture.invalid/stories/public-story/");
    let story_date = file_date::<tessera_core::Story>(&snapshot, "public-story", "en");
    assert!(story.contains(&format!("<lastmod>{story_date}</lastmod>")), "{story}");
    // The home page is no item and says no date.
    let home = entry("https://fixture.invalid/");
    assert!(!home.contains("<lastmod>"), "{home}");
    for feed in ["feed.xml", "fr/feed.xml", "ar/feed.xml"] {
        let feed = html(&out, feed);
        assert!(!feed.contains("1970"), "{feed}");
        assert!(feed.contains(&format!("<updated>{story_date}</updated>")), "{feed}");
    }
}

#[test]
fn item_pages_say_when_they_last_changed() {
    let snapshot = snapshot("content");
    let out = render(&snapshot, &options(false)).unwrap_or_else(|e| panic!("{e}"));
    let page = html(&out, "pages/civil-society-partnerships/index.html");
    let date = file_date::<tessera_core::Page>(&snapshot, "civil-society-partnerships", "en");
    let datetime = date.replace("+00:00", "Z");
    assert!(page.contains(&format!("Updated <time datetime=\"{datetime}\">")), "{page}");
    // Outside the article: the date is the site's, not the legacy text's.
    let article_end = page.find("</article>").unwrap_or(0);
    assert!(page.find("Updated <time").is_some_and(|at| at > article_end), "{page}");
}
