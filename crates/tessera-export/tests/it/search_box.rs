//! The search box on every page, the A to Z index it falls back to, preview
//! banners, and the live site rendering the export's own pages.

use chrono::Utc;
use tessera_core::{Audience, load};
use tessera_export::{Answer, LiveSite, render};

use crate::{html, options, root, snapshot};
pub(crate) use tessera_tests::copy_dir as copy;

#[test]
fn a_static_search_box_leads_to_the_a_to_z_index_or_the_configured_search() {
    let out = render(&snapshot("content"), &options(false)).unwrap_or_else(|e| panic!("{e}"));
    let page = html(&out, "pages/civil-society-partnerships/index.html");
    assert!(
        page.contains(r#"<form role="search" action="../../a-z/index.html" method="get"><label for="q">New enhanced search</label>"#),
        "{page}"
    );
    let a_z = html(&out, "a-z/index.html");
    assert!(a_z.contains("<h1>A to Z</h1>"));
    assert!(
        a_z.contains(
            r#"<a href="../pages/civil-society-partnerships/index.html">Civil Society Partnerships</a> (page)"#
        ),
        "{a_z}"
    );
    // The fixture's A to Z index per locale lists public items only.
    let out = render(&snapshot("tests/fixtures/valid-site"), &options(false)).unwrap_or_else(|e| panic!("{e}"));
    let fr = html(&out, "fr/a-z/index.html");
    assert!(fr.contains(r#"href="../pages/welcome/index.html""#) && !fr.contains("draft"), "{fr}");
    assert!(html(&out, "fr/pages/welcome/index.html").contains(r#"action="../../a-z/index.html""#));
    // Written from the site's root, the box names the index's folder.
    let out = render(&snapshot("tests/fixtures/valid-site"), &crate::absolute(false)).unwrap_or_else(|e| panic!("{e}"));
    assert!(html(&out, "fr/pages/welcome/index.html").contains(r#"action="/fr/a-z/""#));

    // With a search address in site.toml, the box goes there.
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    copy(&root("tests/fixtures/valid-site"), dir.path());
    let site = dir.path().join("site.toml");
    let text = std::fs::read_to_string(&site).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(&site, text.replace("search_label", "search_url = \"https://search.example/find\"\nsearch_label"))
        .unwrap_or_else(|e| panic!("{e}"));
    let snapshot = load(dir.path()).unwrap_or_else(|e| panic!("{e:?}"));
    let out = render(&snapshot, &options(false)).unwrap_or_else(|e| panic!("{e}"));
    assert!(html(&out, "index.html").contains(r#"action="https://search.example/find""#));
}

#[test]
fn preview_banners_say_the_state_and_only_a_preview_export_has_them() {
    let fixture = snapshot("tests/fixtures/valid-site");
    let public = render(&fixture, &options(false)).unwrap_or_else(|e| panic!("{e}"));
    assert!(public.values().all(|b| !String::from_utf8_lossy(b).contains("class=\"banner\"")));
    let preview = render(&fixture, &options(true)).unwrap_or_else(|e| panic!("{e}"));
    assert!(html(&preview, "pages/draft-page/index.html").contains("Draft, not public: it goes live once published."));
    assert!(html(&preview, "pages/review-page/index.html").contains("In review, not public"));
    assert!(html(&preview, "pages/embargoed-page/index.html").contains("Embargoed, not public yet: it goes live on"));
    assert!(!html(&preview, "pages/welcome/index.html").contains("class=\"banner\""), "a public item has none");
}

#[test]
fn the_live_site_serves_the_exported_pages() {
    let fixture = snapshot("tests/fixtures/valid-site");
    let now = Utc::now();
    // The live site writes links from the site's root, as `--absolute-links` does.
    let out = render(&fixture, &tessera_export::ExportOptions { now, ..crate::absolute(false) })
        .unwrap_or_else(|e| panic!("{e}"));
    let live = LiveSite::new(fixture.view(Audience::Public, now));
    for address in [
        "/",
        "/fr/",
        "/pages/welcome/",
        "/ar/stories/public-story/",
        "/topics/education/",
        "/a-z/",
        "/style.css",
        "/favicon.svg",
        "/sitemap.xml",
        "/fr/feed.xml",
    ] {
        let Some(Answer::Page { body, .. }) = live.answer(address) else { panic!("nothing at {address}") };
        let file = tessera_site::SiteMap::file(address);
        let exported = out.get(&file).unwrap_or_else(|| panic!("no {file}"));
        // The one difference: the search box goes to the live search page.
        let exported = String::from_utf8_lossy(exported).replace("action=\"/a-z/\"", "action=\"/search\"");
        let exported = exported.replace("action=\"/fr/a-z/\"", "action=\"/search\"");
        let exported = exported.replace("action=\"/ar/a-z/\"", "action=\"/search\"");
        let served = String::from_utf8_lossy(&body).replace("<input type=\"hidden\" name=\"lang\" value=\"fr\">", "");
        let served = served.replace("<input type=\"hidden\" name=\"lang\" value=\"ar\">", "");
        assert_eq!(served, exported, "{address}");
    }
    assert_eq!(
        live.answer("/old/welcome.html").map(|a| match a {
            Answer::Moved { to, .. } => to,
            _ => String::new(),
        }),
        Some("/pages/welcome/".to_owned())
    );
    for hidden in ["/pages/draft-page/", "/de/pages/welcome/", "/pages/", "/media/photo/"] {
        let found = live.answer(hidden).is_some();
        assert_eq!(found, hidden == "/pages/", "{hidden}");
    }
}
