//! Remote mode against a real server on a real port: the same screens, few
//! bytes, revalidation, and the offline cache once the server is gone.

use std::io::{Read, Write};
use std::path::Path;
use std::sync::Arc;

use tessera_core::{Country, Kind};
use tessera_tests::copy_dir;
use tessera_tui::{LocalSource, Location, RemoteSource, Screen, Source, SourceError};

/// Serves the content under `root` (relative to the repository, or
/// absolute) on a real port.
fn start_server(root: &str) -> (String, tokio::runtime::Runtime) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(root);
    let snapshot = Arc::new(tessera_core::load(&root).unwrap_or_else(|e| panic!("{e:?}")));
    let app = tessera_graphql::app(tessera_graphql::AppState::new(snapshot, tessera_graphql::ServerConfig::default()));
    let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap_or_else(|e| panic!("{e}"));
    let addr = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
    runtime.spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}"), runtime)
}

#[test]
fn remote_reading_matches_local_costs_few_bytes_and_works_offline() {
    let (url, runtime) = start_server("content");
    let cache = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut remote = RemoteSource::new(&url, Some(cache.path().to_owned())).unwrap_or_else(|e| panic!("{e}"));
    let mut local = crate::local("content");

    let remote_text =
        tessera_tui::read(&mut remote, Kind::Page, "civil-society-partnerships", "", 72, "https://unicef.org/")
            .unwrap_or_else(|e| panic!("{e}"));
    let local_text =
        tessera_tui::read(&mut local, Kind::Page, "civil-society-partnerships", "en", 72, "https://unicef.org/")
            .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(remote_text, local_text, "remote and local readers show the same page");
    let first_visit = remote.bytes_fetched();
    assert!(first_visit > 0);

    // Once the query is registered, opening the page again is one small GET.
    let mut second = RemoteSource::new(&url, None).unwrap_or_else(|e| panic!("{e}"));
    second.item(Kind::Page, "civil-society-partnerships", "").unwrap_or_else(|e| panic!("{e}"));
    let by_hash = second.bytes_fetched();
    assert!(by_hash < 3_000, "opening the seed page cost {by_hash} bytes");
    eprintln!("first visit {first_visit} B, by hash {by_hash} B");

    // With a cached copy, an unchanged page is revalidated with a 304.
    let before = remote.bytes_fetched();
    remote.item(Kind::Page, "civil-society-partnerships", "").unwrap_or_else(|e| panic!("{e}"));
    let revalidated = remote.bytes_fetched() - before;
    // 570 bytes today, 37 of them the `X-Content-Version` every answer
    // carries (BENCHMARKS.md explains the 500-byte target missed): this
    // guards against it growing.
    assert!(revalidated < 600, "revalidating cost {revalidated} bytes");
    eprintln!("revalidated {revalidated} B");
    assert!(!remote.offline());

    // The server goes away: the cached page still opens, marked offline.
    drop(runtime);
    let data = remote.item(Kind::Page, "civil-society-partnerships", "").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(data.title, "Civil Society Partnerships");
    assert!(remote.offline());
    // A page never fetched cannot be shown, with a clear message.
    let err = remote.item(Kind::Story, "its-about-ability", "").map(|_| ()).unwrap_err().to_string();
    assert!(err.contains("cannot reach") && err.contains("nothing is cached"), "{err}");
}

#[test]
fn a_bad_address_or_a_non_graphql_answer_is_a_clear_error() {
    assert!(RemoteSource::new("ftp://example.org", None).is_err());
    let mut source = RemoteSource::new("http://127.0.0.1:9", None).unwrap_or_else(|e| panic!("{e}"));
    let err = source.home("en").map(|_| ()).unwrap_err().to_string();
    assert!(err.contains("cannot reach http://127.0.0.1:9/graphql"), "{err}");
}

/// The fixture site, plus a page that places an item of every kind (and
/// a hidden one), so that every query a remote body needs is sent.
fn fixture_with_placements() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let from = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/valid-site");
    copy_dir(&from, dir.path());
    let placing = "+++\ntitle = \"Placing\"\nsummary = \"Everything placed.\"\nstatus = \"published\"\n+++\n\
        Everything placed.\n\n![](@/pages/welcome.md)\n\n![](@/measures/public-measure.md)\n\n\
        ![](@/partners/public-partner.md)\n\n![](@/stories/public-story.md)\n\n![](@/measures/draft-measure.md)\n";
    std::fs::write(dir.path().join("pages/placing.md"), placing).unwrap_or_else(|e| panic!("{e}"));
    // An example that links to the site by its full address: an item link
    // locally, so it must be one remotely too.
    let linking = "+++\ntitle = \"Linking\"\nstatus = \"published\"\n\
        example = \"See [the story](https://fixture.invalid/stories/public-story/).\"\n+++\nThe body.\n";
    std::fs::write(dir.path().join("measures/linking.md"), linking).unwrap_or_else(|e| panic!("{e}"));
    dir
}

fn ok<T>(result: Result<T, SourceError>, what: &str) -> T {
    result.unwrap_or_else(|e| panic!("{what}: {e}"))
}

#[test]
fn local_and_remote_show_the_same_screens_for_every_kind_on_the_fixture_site() {
    let site = fixture_with_placements();
    let root = site.path().to_str().unwrap_or_else(|| panic!("a temporary path that is not UTF-8"));
    let (url, _runtime) = start_server(root);
    let mut remote = RemoteSource::new(&url, None).unwrap_or_else(|e| panic!("{e}"));
    let mut local: LocalSource = crate::local(root);
    assert_eq!(ok(remote.base_url(), "remote base"), ok(local.base_url(), "local base"));

    // Old addresses: the same answer for every state, in any form.
    for address in [
        "/old/welcome.html",
        "https://old.fixture.invalid/welcome",
        "/old/press/2009.html",
        "/old/campaign-2008.html",
        "/old/flash-intro.html",
        "/old/review.html",
        "/pages/welcome/",
        "/nowhere.html",
    ] {
        let want = ok(local.old_address(address), "local old address");
        assert_eq!(ok(remote.old_address(address), "remote old address"), want, "{address}");
    }
    assert_eq!(
        ok(local.old_address("/old/campaign-2008.html"), "retired"),
        Some(tessera_tui::OldRoute::Retired { instead: Some("/pages/welcome/".into()) })
    );

    let locales = ok(local.home(""), "home").locales;
    assert_eq!(locales, ["en", "fr", "ar"]);
    let mut items_by_kind = std::collections::HashMap::<Kind, usize>::new();
    for locale in std::iter::once("").chain(locales.iter().map(String::as_str)) {
        let home = ok(local.home(locale), "local home");
        assert_eq!(Screen::home(&home), Screen::home(&ok(remote.home(locale), "remote home")), "home in {locale:?}");

        let mut countries = Vec::<Country>::new();
        for kind in Kind::WITH_PAGES {
            let at = Location::Kind(kind);
            let list = ok(local.list(&at, locale), "local list");
            let remote_list = ok(remote.list(&at, locale), "remote list");
            assert_eq!(Screen::list(&list), Screen::list(&remote_list), "all {kind} in {locale:?}");
            assert!(!list.items.is_empty(), "the fixture has public {kind} items");
            for link in &list.items {
                let what = format!("{kind}/{} in {locale:?}", link.slug);
                let shown = ok(local.item(kind, &link.slug, locale), &what);
                let remote_shown = ok(remote.item(kind, &link.slug, locale), &what);
                assert_eq!(Screen::item(&shown, locale), Screen::item(&remote_shown, locale), "{what}");
                let base = "https://fixture.invalid/";
                let text = ok(tessera_tui::read(&mut local, kind, &link.slug, locale, 60, base), &what);
                let remote_text = ok(tessera_tui::read(&mut remote, kind, &link.slug, locale, 60, base), &what);
                assert_eq!(text, remote_text, "{what} read");
                *items_by_kind.entry(kind).or_default() += 1;
                for fact in &shown.facts {
                    if let tessera_site::Fact::Country(c) = fact
                        && !countries.contains(c)
                    {
                        countries.push(*c);
                    }
                }
            }
        }
        assert!(!countries.is_empty(), "the fixture has items about a country");

        let mut lists: Vec<Location> = home.topics.iter().map(|(slug, _)| Location::Topic(slug.clone())).collect();
        assert!(!lists.is_empty(), "the fixture has topics");
        lists.extend(countries.iter().map(|c| Location::Country(c.to_string())));
        for at in &lists {
            let list = ok(local.list(at, locale), "local list");
            assert_eq!(Screen::list(&list), Screen::list(&ok(remote.list(at, locale), "remote list")), "{at:?}");
        }

        for (words, kind) in [("public", None), ("public", Some(Kind::Story)), ("measure body", None)] {
            let found = ok(local.search(words, kind, locale), "local search");
            let remote_found = ok(remote.search(words, kind, locale), "remote search");
            assert!(found.total > 0, "{words:?} finds something");
            assert_eq!(
                Screen::search(&found),
                Screen::search(&remote_found),
                "search {words:?} {kind:?} in {locale:?}"
            );
        }
    }
    // Every kind was compared in every locale, placing page included.
    assert_eq!(items_by_kind.len(), Kind::WITH_PAGES.len());

    // The placed items came through their own queries, and the hidden one
    // was left out.
    let placing = ok(tessera_tui::read(&mut remote, Kind::Page, "placing", "", 80, ""), "placing");
    for placed in ["one", "The measure's body.", "An example.", "About the partner.", "The story."] {
        assert!(placing.contains(placed), "{placed:?} is placed:\n{placing}");
    }
}

/// A server on a real port that answers every request with `body`.
fn canned(body: &'static str) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
    let addr = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut request = Vec::new();
            let mut buf = [0; 4096];
            while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                match stream.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => request.extend_from_slice(&buf[..n]),
                }
            }
            let answer = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(answer.as_bytes());
        }
    });
    format!("http://{addr}")
}

fn protocol_error<T>(result: Result<T, SourceError>) -> String {
    match result {
        Err(SourceError::Protocol(message)) => message,
        Err(other) => panic!("expected a protocol error, got {other:?}"),
        Ok(_) => panic!("expected a protocol error, got an answer"),
    }
}

#[test]
fn an_answer_without_an_expected_field_is_a_protocol_error_not_an_empty_page() {
    let mut source =
        RemoteSource::new(&canned(r#"{"data":{"site":{"title":"A site"}}}"#), None).unwrap_or_else(|e| panic!("{e}"));
    let message = protocol_error(source.home("en"));
    assert!(message.contains("Home") && message.contains("missing field `locales`"), "{message}");

    let mut source = RemoteSource::new(&canned(r#"{"data":{"item":{"locale":"en","title":7}}}"#), None)
        .unwrap_or_else(|e| panic!("{e}"));
    let message = protocol_error(source.item(Kind::Story, "a-story", "en"));
    assert!(message.contains("Story") && message.contains("invalid type: integer `7`"), "{message}");

    // The old snippet field alone is not enough: the client reads matches
    // as text runs.
    let hit = r#"{"data":{"search":{"totalCount":1,"facets":{"kinds":[],"countries":[]},"nodes":[{"snippetHtml":"<mark>x</mark>","item":{"__typename":"Page","slug":"x","title":"X"}}]}}}"#;
    let mut source = RemoteSource::new(&canned(hit), None).unwrap_or_else(|e| panic!("{e}"));
    let message = protocol_error(source.search("x", None, "en"));
    assert!(message.contains("missing field `snippetParts`"), "{message}");

    let mut source = RemoteSource::new(&canned(r#"{"hello":"world"}"#), None).unwrap_or_else(|e| panic!("{e}"));
    let message = protocol_error(source.list(&Location::Kind(Kind::Measure), "en"));
    assert!(message.contains("neither data nor errors"), "{message}");
}
