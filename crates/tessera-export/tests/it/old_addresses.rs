//! Old addresses of the fixture site (`legacy.toml` and `legacy_urls`):
//! the page a reader with an old bookmark gets for each state, the status
//! rules for static hosts and nginx, and the live site's answers.

use chrono::Utc;
use tessera_core::{Audience, load};
use tessera_export::{Answer, LiveSite, render};

use crate::{html, options, root, snapshot};

fn text(out: &tessera_export::Output, path: &str) -> String {
    String::from_utf8_lossy(out.get(path).unwrap_or_else(|| panic!("no {path}"))).into_owned()
}

#[test]
fn every_old_address_gets_a_page_that_says_where_it_stands() {
    let out = render(&snapshot("tests/fixtures/valid-site"), &options(false)).unwrap_or_else(|e| panic!("{e}"));

    // Moved: a refresh to the page that carries it.
    let moved = html(&out, "old/welcome.html");
    assert!(moved.contains(r#"<meta http-equiv="refresh" content="0; url=../pages/welcome/index.html">"#), "{moved}");

    // Pending: a whole page of the site, saying the page is moving, with
    // the old title in the search box and ways to look on.
    let moving = html(&out, "old/press/2009.html");
    assert!(moving.contains("<h1>This page is moving</h1>"), "{moving}");
    assert!(moving.contains("The page “Press releases 2009” (<code>/old/press/2009.html</code>) is being moved"));
    assert!(moving.contains(r#"name="q" value="Press releases 2009""#), "the search box holds the old title");
    assert!(moving.contains(r#"href="../../a-z/index.html">every item from A to Z</a>"#), "{moving}");
    assert!(moving.contains("<main id=\"main\""), "the site's own layout, landmarks included");
    // A full URL is served at its path.
    assert!(
        html(&out, "about/history.html")
            .contains("“Our history” (<code>https://old.fixture.invalid/about/history.html</code>)")
    );

    // Unlisted, and carried only by a page in review or under embargo: the
    // public export does not know it.
    assert!(!out.contains_key("old/review.html") && !out.contains_key("old/embargoed.html"));

    // Retired: gone, with the page to look at instead when there is one.
    let gone = html(&out, "old/campaign-2008.html");
    assert!(gone.contains("<h1>This page is gone</h1>"), "{gone}");
    assert!(gone.contains(r#"What it covered is now on <a href="../pages/welcome/index.html">Welcome</a>."#), "{gone}");
    let bare = html(&out, "old/flash-intro.html");
    assert!(bare.contains("The page at <code>/old/flash-intro.html</code> has been taken off the site for good."));
    assert!(!bare.contains("What it covered"), "{bare}");
}

#[test]
fn static_hosts_and_nginx_get_each_old_address_with_its_status() {
    let out = render(&snapshot("tests/fixtures/valid-site"), &crate::absolute(false)).unwrap_or_else(|e| panic!("{e}"));
    let netlify = text(&out, "_redirects");
    for line in [
        "/old/welcome.html /pages/welcome/ 301",
        "https://old.fixture.invalid/welcome /pages/welcome/ 301",
        "/welcome /pages/welcome/ 301",
        "/old/press/2009.html /old/press/2009.html 404!",
        "/about/history.html /about/history.html 404!",
        "/old/campaign-2008.html /old/campaign-2008.html 410!",
        "/old/flash-intro.html /old/flash-intro.html 410!",
    ] {
        assert!(netlify.lines().any(|l| l == line), "{line} in\n{netlify}");
    }
    let nginx = text(&out, "nginx-redirects.conf");
    assert!(nginx.lines().any(|l| l == "/old/welcome.html /pages/welcome/;"), "{nginx}");
    assert!(!nginx.contains("2009"), "only moved addresses redirect");
    let status = text(&out, "nginx-legacy-status.conf");
    let rules: Vec<&str> = status.lines().filter(|l| !l.starts_with('#')).collect();
    assert_eq!(
        rules,
        [
            "/old/press/2009.html 404;",
            "/about/history.html 404;",
            "/old/campaign-2008.html 410;",
            "/old/flash-intro.html 410;"
        ],
        "pending oldest first, then retired"
    );
}

#[test]
fn a_preview_export_follows_the_page_in_review() {
    let out = render(&snapshot("tests/fixtures/valid-site"), &options(true)).unwrap_or_else(|e| panic!("{e}"));
    assert!(html(&out, "old/review.html").contains("url=../pages/review-page/index.html"));
}

#[test]
fn an_old_address_never_replaces_a_page_of_the_site() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    crate::search_box::copy(&root("tests/fixtures/valid-site"), dir.path());
    let legacy = dir.path().join("legacy.toml");
    let mut list = std::fs::read_to_string(&legacy).unwrap_or_else(|e| panic!("{e}"));
    list.push_str(
        "\n[[addresses]]\nurl = \"/index.html\"\n\n[[addresses]]\nurl = \"/sitemap.xml\"\nstate = \"retired\"\n",
    );
    std::fs::write(&legacy, list).unwrap_or_else(|e| panic!("{e}"));
    let snapshot = load(dir.path()).unwrap_or_else(|e| panic!("{e:?}"));
    let out = render(&snapshot, &options(false)).unwrap_or_else(|e| panic!("{e}"));
    assert!(!html(&out, "index.html").contains("This page is moving"));
    assert!(text(&out, "sitemap.xml").starts_with("<?xml"));
    let live = LiveSite::new(snapshot.view(Audience::Public, Utc::now()));
    assert!(
        matches!(live.answer("/sitemap.xml"), Some(Answer::Page { content_type, .. }) if content_type.starts_with("application/xml"))
    );
}

#[test]
fn the_live_site_answers_old_addresses_in_any_form() {
    let fixture = snapshot("tests/fixtures/valid-site");
    let live = LiveSite::new(fixture.view(Audience::Public, Utc::now()));
    let kind = |address: &str| match live.answer(address) {
        Some(Answer::Moved { to, .. }) => format!("moved {to}"),
        Some(Answer::Moving { body }) => {
            assert!(String::from_utf8_lossy(&body).contains("This page is moving"));
            "moving".to_owned()
        }
        Some(Answer::Gone { body }) => {
            assert!(String::from_utf8_lossy(&body).contains("This page is gone"));
            "gone".to_owned()
        }
        Some(Answer::Page { .. }) => "page".to_owned(),
        None => "nothing".to_owned(),
    };
    assert_eq!(kind("/old/welcome.html"), "moved /pages/welcome/");
    assert_eq!(kind("/welcome"), "moved /pages/welcome/");
    assert_eq!(kind("/old/press/2009.html"), "moving");
    assert_eq!(kind("/about/history.html"), "moving");
    assert_eq!(kind("/old/review.html"), "nothing");
    assert_eq!(kind("/old/campaign-2008.html"), "gone");
    assert_eq!(kind("/old/never-listed.html"), "nothing");
    let preview = LiveSite::new(fixture.view(Audience::Preview, Utc::now()));
    assert!(
        matches!(preview.answer("/old/review.html"), Some(Answer::Moved { to, .. }) if to == "/pages/review-page/")
    );
}
