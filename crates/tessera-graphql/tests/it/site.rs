//! The web site beside the API: pages, the search page and preview in the
//! browser, with their caching.

use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::Request;
use tessera_graphql::{AppState, MAX_FAILURES, ServerConfig, app};

use crate::reload::copy_dir;
use crate::{Reply, TOKEN, fixture, post_request, router, send};

fn get(path: &str) -> Request<Body> {
    Request::get(path).body(Body::empty()).unwrap_or_else(|e| panic!("{e}"))
}

fn get_with(path: &str, headers: &[(&str, &str)]) -> Request<Body> {
    let mut builder = Request::get(path);
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    builder.body(Body::empty()).unwrap_or_else(|e| panic!("{e}"))
}

fn text(reply: &Reply) -> String {
    String::from_utf8_lossy(&reply.body).into_owned()
}

fn gzip_size(bytes: &[u8]) -> usize {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).unwrap_or_else(|e| panic!("{e}"));
    encoder.finish().unwrap_or_else(|e| panic!("{e}")).len()
}

fn with_config(root: &Path, config: ServerConfig) -> (AppState, Router) {
    let snapshot = tessera_core::load(root).unwrap_or_else(|e| panic!("{e:?}"));
    let state = AppState::new(Arc::new(snapshot), config);
    (state.clone(), app(state))
}

fn fixture_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/valid-site")
}

fn preview_config() -> ServerConfig {
    ServerConfig { preview_token: Some(TOKEN.to_owned()), ..ServerConfig::default() }
}

#[tokio::test]
async fn site_pages_are_served_beside_the_api_with_etags_304s_and_compression() {
    let app = fixture();
    let home = send(&app, get("/")).await;
    assert_eq!(home.status, 200);
    assert_eq!(home.header("content-type"), "text/html; charset=utf-8");
    assert_eq!(home.header("cache-control"), "public, max-age=60");
    assert!(text(&home).contains("<h1>Fixture site</h1>"), "{}", text(&home));
    assert!(text(&home).contains(r#"<form role="search" action="/search" method="get"><label for="q">Search</label>"#));
    let etag = home.header("etag").to_owned();
    assert!(etag.starts_with("W/\""), "{etag}");
    let again = send(&app, get_with("/", &[("if-none-match", &etag)])).await;
    assert_eq!(again.status, 304);
    assert!(again.body.is_empty());
    let zipped = send(&app, get_with("/pages/welcome/", &[("accept-encoding", "gzip")])).await;
    assert_eq!((zipped.status.as_u16(), zipped.header("content-encoding")), (200, "gzip"));
    // The same pages as the export, at the same addresses.
    for (path, needle, kind) in [
        ("/pages/welcome/", "<h1>Welcome</h1>", "text/html"),
        ("/fr/pages/welcome/", "lang=\"fr\"", "text/html"),
        ("/measures/", "<h1>Measures</h1>", "text/html"),
        ("/topics/education/", "<h1>Education</h1>", "text/html"),
        ("/a-z/", "A public story", "text/html"),
        ("/style.css", "box-sizing", "text/css"),
        ("/feed.xml", "<feed", "application/atom+xml"),
        ("/sitemap.xml", "<urlset", "application/xml"),
        ("/robots.txt", "Sitemap: https://fixture.invalid/sitemap.xml", "text/plain"),
    ] {
        let reply = send(&app, get(path)).await;
        assert_eq!(reply.status, 200, "{path}");
        assert!(reply.header("content-type").starts_with(kind), "{path}: {}", reply.header("content-type"));
        assert!(text(&reply).contains(needle), "{path}: {}", text(&reply));
        assert!(reply.header("etag").starts_with("W/"), "{path}");
    }
    // A legacy address is a permanent redirect, with a page for clients
    // that stay.
    let moved = send(&app, get("/old/welcome.html")).await;
    assert_eq!((moved.status.as_u16(), moved.header("location")), (301, "/pages/welcome/"));
    assert!(text(&moved).contains("This page has moved"));
    // Unknown and hidden addresses: an accessible page with the search box.
    for path in ["/no/such/page", "/pages/draft-page/", "/topics/nope/"] {
        let missing = send(&app, get(path)).await;
        assert_eq!(missing.status, 404, "{path}");
        let html = text(&missing);
        assert!(html.contains("<h1>Page not found</h1>") && html.contains(r#"role="search""#), "{html}");
        assert_eq!(missing.header("cache-control"), "no-store");
    }
    // The API is where it was.
    assert_eq!(send(&app, get("/healthz")).await.status, 200);
    assert_eq!(send(&app, get("/readyz")).await.status, 200);
    assert_eq!(send(&app, get("/schema.graphql")).await.status, 200);
    assert_eq!(send(&app, get("/graphiql")).await.status, 200);
    let api = send(&app, post_request("{ page(slug: \"welcome\") { title } }", None)).await;
    assert_eq!(api.json()["data"]["page"]["title"], "Welcome");
    let post = send(&app, Request::post("/pages/welcome/").body(Body::empty()).unwrap_or_default()).await;
    assert_eq!((post.status.as_u16(), post.header("allow")), (405, "GET, HEAD"));
}

#[tokio::test]
async fn no_site_serves_the_api_alone() {
    let (_, app) = with_config(&fixture_root(), ServerConfig { site: false, ..preview_config() });
    for path in ["/", "/pages/welcome/", "/style.css", "/search?q=welcome", "/preview", "/old/welcome.html"] {
        assert_eq!(send(&app, get(path)).await.status, 404, "{path}");
    }
    assert_eq!(send(&app, get("/healthz")).await.status, 200);
    let api = send(&app, post_request("{ page(slug: \"welcome\") { title } }", None)).await;
    assert_eq!(api.json()["data"]["page"]["title"], "Welcome");
}

#[tokio::test]
async fn a_reload_shows_a_new_page_at_once() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let root = dir.path().join("site");
    copy_dir(&fixture_root(), &root);
    let (state, app) = with_config(&root, ServerConfig::default());
    assert_eq!(send(&app, get("/pages/fresh/")).await.status, 404);
    let home = send(&app, get("/")).await;
    let page = "+++\ntitle = \"A fresh page\"\nstatus = \"published\"\n+++\nJust written.\n";
    std::fs::write(root.join("pages/fresh.md"), page).unwrap_or_else(|e| panic!("{e}"));
    state.reload(&root).unwrap_or_else(|d| panic!("{d:?}"));
    let fresh = send(&app, get("/pages/fresh/")).await;
    assert_eq!(fresh.status, 200);
    assert!(text(&fresh).contains("<h1>A fresh page</h1>"));
    // The home page lists it: not the cached answer of the old content.
    let after = send(&app, get_with("/", &[("if-none-match", home.header("etag"))])).await;
    assert_eq!(after.status, 200);
    assert!(text(&after).contains("A fresh page"));
    let found = send(&app, get("/search?q=fresh")).await;
    assert!(text(&found).contains("/pages/fresh/"), "{}", text(&found));
}

/// A copy of the fixture with `n` more pages that all say "lantern".
fn many_lanterns(n: usize) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let root = dir.path().join("site");
    copy_dir(&fixture_root(), &root);
    for i in 0..n {
        let body = "The lantern lights the classroom of the village school, where children with disabilities \
                    learn beside their friends. Teachers, parents and partners keep the lantern burning all year. "
            .repeat(4);
        let page = format!(
            "+++\ntitle = \"Lantern number {i}\"\nstatus = \"published\"\ntopics = [\"education\"]\n+++\n{body}\n"
        );
        std::fs::write(root.join(format!("pages/lantern-{i:02}.md")), page).unwrap_or_else(|e| panic!("{e}"));
    }
    (dir, root)
}

#[tokio::test]
async fn the_search_page_ranks_marks_counts_and_pages_results_within_14_kb() {
    let (_dir, root) = many_lanterns(25);
    let (_, app) = with_config(&root, ServerConfig::default());
    let first = send(&app, get("/search?q=lantern")).await;
    assert_eq!(first.status, 200);
    let html = text(&first);
    assert!(html.contains("25 results for “lantern”, page 1 of 3."), "{html}");
    assert_eq!(html.matches("<li><h2><a href=\"/pages/lantern-").count(), 10, "{html}");
    assert!(html.contains("<mark>lantern</mark>") || html.contains("<mark>Lantern</mark>"), "{html}");
    assert!(html.contains(r#"value="lantern""#), "the box keeps the words: {html}");
    assert!(html.contains(r#"<a rel="next" href="/search?q=lantern&amp;page=2">Next page</a>"#), "{html}");
    assert!(!html.contains("rel=\"prev\""));
    // Facets are links that narrow the search.
    assert!(html.contains(r#"<a href="/search?q=lantern&amp;kind=page">Pages</a> (25)"#), "{html}");
    assert!(html.contains(r#"<a href="/search?q=lantern&amp;topic=education">Education</a> (25)"#), "{html}");
    assert!(first.header("etag").starts_with("W/"));
    assert_eq!(first.header("cache-control"), "public, max-age=60");
    let last = send(&app, get("/search?q=lantern&page=3")).await;
    let html = text(&last);
    assert_eq!(last.status, 200);
    assert_eq!(html.matches("<li><h2>").count(), 5, "{html}");
    assert!(html.contains(r#"<ol start="21">"#));
    assert!(html.contains(r#"<a rel="prev" href="/search?q=lantern&amp;page=2">Previous page</a>"#), "{html}");
    // A results page, stylesheet aside, stays within the first round trip.
    for page in 1..=3 {
        let reply = send(&app, get(&format!("/search?q=lantern&page={page}"))).await;
        let size = gzip_size(&reply.body);
        println!("results page {page}: {} bytes, {size} bytes gzipped", reply.body.len());
        assert!(size <= 14 * 1024, "page {page}: {size} bytes gzipped");
    }
    // Narrowed by a facet.
    let stories = send(&app, get("/search?q=story&kind=story")).await;
    assert_eq!(stories.status, 200);
    assert!(text(&stories).contains("/stories/public-story/"), "{}", text(&stories));
    assert!(text(&stories).contains("Show results of every kind, topic and country"));
    let country = send(&app, get("/search?q=story&country=FR")).await;
    assert!(text(&country).contains("<strong aria-current=\"true\">France</strong>"), "{}", text(&country));
    // No words: the form alone.
    let empty = send(&app, get("/search")).await;
    assert_eq!(empty.status, 200);
    assert!(text(&empty).contains("Type words in the search box"));
}

#[tokio::test]
async fn the_search_page_says_did_you_mean() {
    let app = router("content");
    let reply = send(&app, get("/search?q=montenagro")).await;
    let html = text(&reply);
    assert!(html.contains(r#"Did you mean <a href="/search?q=montenegro">montenegro</a>?"#), "{html}");
    assert!(html.contains("<mark>Montenegro</mark>"), "{html}");
    assert!(html.contains(r#"<a href="/search?q=montenagro&amp;country=ME">Montenegro</a> (1)"#), "{html}");
}

#[tokio::test]
async fn bad_search_parameters_are_400s_that_say_what_is_wrong() {
    let app = fixture();
    let long = "word ".repeat(60);
    let cases = [
        ("/search?q=welcome&kind=spaceship".to_owned(), "there is no kind “spaceship”"),
        ("/search?q=welcome&topic=astrology".to_owned(), "there is no topic “astrology”"),
        ("/search?q=welcome&country=QQ".to_owned(), "“QQ” is not a country code"),
        ("/search?q=welcome&page=0".to_owned(), "“0” is not a page number"),
        ("/search?q=welcome&page=two".to_owned(), "“two” is not a page number"),
        ("/search?q=welcome&page=50".to_owned(), "page 50 is beyond the last page of results (1)"),
        ("/search?q=welcome&page=99999999".to_owned(), "page 99999999 is too far"),
        ("/search?q=welcome&lang=xx".to_owned(), "this site has no language “xx”"),
        (format!("/search?q={}", long.replace(' ', "+")), "the search is too long"),
    ];
    for (path, message) in cases {
        let reply = send(&app, get(&path)).await;
        assert_eq!(reply.status, 400, "{path}");
        assert_eq!(reply.header("content-type"), "text/html; charset=utf-8");
        assert_eq!(reply.header("cache-control"), "no-store", "{path}");
        let html = text(&reply);
        assert!(html.contains(message), "{path}: {html}");
        assert!(html.contains(r#"role="search""#));
    }
}

/// The `name=value` of a `Set-Cookie` header of a reply.
fn set_cookie<'r>(reply: &'r Reply, name: &str) -> Option<&'r str> {
    reply
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with(&format!("{name}=")))
}

/// The value of the hidden `csrf` field of a form.
fn csrf_field(html: &str) -> String {
    html.split(r#"name="csrf" value=""#)
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("no csrf field: {html}"))
        .to_owned()
}

fn post_form(path: &str, cookie: &str, body: &str, headers: &[(&str, &str)]) -> Request<Body> {
    let mut builder =
        Request::post(path).header("content-type", "application/x-www-form-urlencoded").header("cookie", cookie);
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    builder.body(Body::from(body.to_owned())).unwrap_or_else(|e| panic!("{e}"))
}

/// Signs in through the form and returns the session cookie (`name=value`).
async fn sign_in(app: &Router) -> String {
    let form = send(app, get("/preview")).await;
    assert_eq!(form.status, 200);
    assert_eq!(form.header("cache-control"), "private, no-store");
    let csrf_cookie = set_cookie(&form, "tessera_csrf").unwrap_or_else(|| panic!("no csrf cookie"));
    let csrf_cookie = csrf_cookie.split(';').next().unwrap_or_default().to_owned();
    let csrf = csrf_field(&text(&form));
    let body = format!("token={TOKEN}&csrf={csrf}");
    let reply =
        send(app, post_form("/preview", &csrf_cookie, &body, &[("origin", "http://site.test"), ("host", "site.test")]))
            .await;
    assert_eq!((reply.status.as_u16(), reply.header("location")), (303, "/"), "{}", text(&reply));
    let session = set_cookie(&reply, "tessera_preview").unwrap_or_else(|| panic!("no session cookie"));
    assert!(session.contains("; HttpOnly") && session.contains("; SameSite=Strict") && session.contains("; Path=/"));
    assert!(!session.contains("Secure"), "not over HTTPS: {session}");
    let pair = session.split(';').next().unwrap_or_default().to_owned();
    assert!(!pair.contains(TOKEN), "the cookie is not the token");
    pair
}

#[tokio::test]
async fn preview_sign_in_shows_drafts_with_banners_never_cached_then_sign_out_hides_them() {
    let app = fixture();
    let session = sign_in(&app).await;
    let with_cookie = |path: &str| get_with(path, &[("cookie", session.as_str())]);
    let draft = send(&app, with_cookie("/pages/draft-page/")).await;
    assert_eq!(draft.status, 200);
    let html = text(&draft);
    assert!(html.contains("<h1>A draft page</h1>"));
    assert!(html.contains("Draft, not public: it goes live once published"), "{html}");
    assert!(html.contains("drafts, items in review and embargoed items are shown"), "{html}");
    assert_eq!(draft.header("cache-control"), "private, no-store");
    assert!(draft.header("etag").is_empty(), "no validator for a preview answer");
    let embargoed = text(&send(&app, with_cookie("/pages/embargoed-page/")).await);
    assert!(embargoed.contains("Embargoed, not public yet: it goes live on <time datetime=\"2099-01-01T00:00:00+00:00\">1 January 2099, 00:00 UTC</time>."), "{embargoed}");
    let review = text(&send(&app, with_cookie("/pages/review-page/")).await);
    assert!(review.contains("In review, not public"), "{review}");
    let search = send(&app, with_cookie("/search?q=draft")).await;
    assert_eq!(search.header("cache-control"), "private, no-store");
    assert!(
        text(&search).contains("/pages/draft-page/") && text(&search).contains("Draft, not public"),
        "{}",
        text(&search)
    );
    // The preview page offers to end it.
    let signed_in = send(&app, with_cookie("/preview")).await;
    let csrf = csrf_field(&text(&signed_in));
    assert!(text(&signed_in).contains("End preview"));
    // A forged sign-out changes nothing.
    let forged = send(&app, post_form("/preview/logout", &session, "csrf=guess", &[])).await;
    assert_eq!(forged.status, 403);
    assert_eq!(send(&app, with_cookie("/pages/draft-page/")).await.status, 200);
    let out = send(&app, post_form("/preview/logout", &session, &format!("csrf={csrf}"), &[])).await;
    assert_eq!(out.status, 303);
    let cleared = set_cookie(&out, "tessera_preview").unwrap_or_default();
    assert!(cleared.starts_with("tessera_preview=;") && cleared.contains("Max-Age=0"), "{cleared}");
    // The old cookie no longer works.
    assert_eq!(send(&app, with_cookie("/pages/draft-page/")).await.status, 404);
    assert!(!text(&send(&app, with_cookie("/search?q=draft")).await).contains("/pages/draft-page/"));
}

#[tokio::test]
async fn preview_forms_refuse_forgeries_and_cookies_are_secure_only_behind_a_trusted_proxy() {
    let app = fixture();
    let form = send(&app, get("/preview")).await;
    let cookie = set_cookie(&form, "tessera_csrf").and_then(|c| c.split(';').next()).unwrap_or_default().to_owned();
    let csrf = csrf_field(&text(&form));
    let body = format!("token={TOKEN}&csrf={csrf}");
    for (cookie, body, headers) in [
        (cookie.as_str(), format!("token={TOKEN}&csrf=other"), vec![]),
        ("", body.clone(), vec![]),
        (cookie.as_str(), body.clone(), vec![("origin", "https://evil.example"), ("host", "site.test")]),
        (cookie.as_str(), body.clone(), vec![("sec-fetch-site", "cross-site")]),
    ] {
        let reply = send(&app, post_form("/preview", cookie, &body, &headers)).await;
        assert_eq!(reply.status, 403, "{headers:?}: {}", text(&reply));
        assert!(set_cookie(&reply, "tessera_preview").is_none());
    }
    // X-Forwarded-Proto is believed only with trust_proxy.
    for (trust, secure) in [(false, false), (true, true)] {
        let (_, app) = with_config(&fixture_root(), ServerConfig { trust_proxy: trust, ..preview_config() });
        let form = send(&app, get("/preview")).await;
        let cookie = set_cookie(&form, "tessera_csrf").and_then(|c| c.split(';').next()).unwrap_or_default().to_owned();
        let body = format!("token={TOKEN}&csrf={}", csrf_field(&text(&form)));
        let reply = send(&app, post_form("/preview", &cookie, &body, &[("x-forwarded-proto", "https")])).await;
        assert_eq!(reply.status, 303);
        let session = set_cookie(&reply, "tessera_preview").unwrap_or_default();
        assert_eq!(session.ends_with("; Secure"), secure, "{session}");
    }
}

#[tokio::test]
async fn wrong_preview_tokens_are_rate_limited_per_client() {
    let app = fixture();
    let form = send(&app, get("/preview")).await;
    let cookie = set_cookie(&form, "tessera_csrf").and_then(|c| c.split(';').next()).unwrap_or_default().to_owned();
    let csrf = csrf_field(&text(&form));
    let attempt = |token: &str, peer: &str| {
        let mut request = post_form("/preview", &cookie, &format!("token={token}&csrf={csrf}"), &[]);
        let peer: SocketAddr = peer.parse().unwrap_or_else(|e| panic!("{e}"));
        request.extensions_mut().insert(ConnectInfo(peer));
        request
    };
    for _ in 0..MAX_FAILURES {
        let reply = send(&app, attempt("not-the-token-at-all", "192.0.2.1:4000")).await;
        assert_eq!(reply.status, 401);
        assert!(text(&reply).contains("that is not the preview token"));
    }
    for token in ["not-the-token-at-all", TOKEN] {
        let reply = send(&app, attempt(token, "192.0.2.1:4001")).await;
        assert_eq!(reply.status, 429, "even the right token waits");
        let wait: u64 = reply.header("retry-after").parse().unwrap_or_default();
        assert!((1..=60).contains(&wait), "{wait}");
        assert!(set_cookie(&reply, "tessera_preview").is_none());
    }
    // Another client is not held back.
    let other = send(&app, attempt(TOKEN, "192.0.2.2:4000")).await;
    assert_eq!(other.status, 303);
}

#[tokio::test]
async fn a_public_request_never_gets_a_preview_answer() {
    let app = fixture();
    let session = sign_in(&app).await;
    // Preview first, then the public: the public answer is computed, not
    // taken from what preview saw.
    let preview = send(&app, get_with("/pages/welcome/", &[("cookie", session.as_str())])).await;
    assert!(text(&preview).contains("A draft measure"), "{}", text(&preview));
    let public = send(&app, get("/pages/welcome/")).await;
    assert!(!text(&public).contains("A draft measure"), "{}", text(&public));
    assert_eq!(public.header("cache-control"), "public, max-age=60");
    // Public first (now cached), then preview: preview is not given the
    // cached public answer, nor a 304 for its ETag.
    let etag = public.header("etag").to_owned();
    let preview =
        send(&app, get_with("/pages/welcome/", &[("cookie", session.as_str()), ("if-none-match", &etag)])).await;
    assert_eq!(preview.status, 200);
    assert!(text(&preview).contains("A draft measure"));
    assert_eq!(preview.header("cache-control"), "private, no-store");
    assert!(preview.header("vary").contains("cookie"));
    // Search too.
    let _ = send(&app, get_with("/search?q=draft", &[("cookie", session.as_str())])).await;
    let public = send(&app, get("/search?q=draft")).await;
    assert!(!text(&public).contains("/pages/draft-page/"), "{}", text(&public));
    // A bearer token works as on the API; a wrong one is refused.
    let bearer = send(&app, get_with("/pages/draft-page/", &[("authorization", &format!("Bearer {TOKEN}"))])).await;
    assert_eq!((bearer.status.as_u16(), bearer.header("cache-control")), (200, "private, no-store"));
    let wrong =
        send(&app, get_with("/pages/draft-page/", &[("authorization", "Bearer wrong-token-wrong-token")])).await;
    assert_eq!(wrong.status, 401);
}

/// A reader with an old bookmark gets a redirect, a "moving" page (404:
/// nothing is there yet) or a "gone" page (410), each cached like any page;
/// and an old address carried only by unpublished work is an ordinary 404.
#[tokio::test]
async fn old_addresses_answer_301_404_or_410_with_a_page() {
    let app = fixture();
    let moved = send(&app, get("/old/welcome.html")).await;
    assert_eq!((moved.status.as_u16(), moved.header("location")), (301, "/pages/welcome/"));

    let moving = send(&app, get("/old/press/2009.html")).await;
    assert_eq!(moving.status.as_u16(), 404);
    let body = text(&moving);
    assert!(body.contains("<h1>This page is moving</h1>") && body.contains(r#"value="Press releases 2009""#), "{body}");
    assert!(body.contains(r#"<form role="search" action="/search""#), "the search is offered");
    assert!(moving.header("cache-control").starts_with("public"), "{:?}", moving.headers);
    let etag = moving.header("etag").to_owned();
    assert!(!etag.is_empty());
    let again = send(&app, get_with("/old/press/2009.html", &[("if-none-match", &etag)])).await;
    assert_eq!(again.status.as_u16(), 404, "a 404 is never answered with 304");

    let gone = send(&app, get("/old/campaign-2008.html?utm=x")).await;
    assert_eq!(gone.status.as_u16(), 410);
    assert!(text(&gone).contains(r#"What it covered is now on <a href="/pages/welcome/">Welcome</a>."#));

    let hidden = send(&app, get("/old/review.html")).await;
    assert_eq!(hidden.status.as_u16(), 404);
    assert!(text(&hidden).contains("Page not found") && !text(&hidden).contains("review-page"));
}
