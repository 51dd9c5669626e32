//! Remote mode against a real server on a real port: the same screens, few
//! bytes, revalidation, and the offline cache once the server is gone.

use std::sync::Arc;

use tessera_core::Kind;
use tessera_tui::{RemoteSource, Source};

fn start_server() -> (String, tokio::runtime::Runtime) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../content");
    let snapshot = Arc::new(tessera_core::load(&root).unwrap_or_else(|e| panic!("{e:?}")));
    let app = tessera_graphql::app(tessera_graphql::AppState::new(snapshot, tessera_graphql::ServerConfig::default()));
    let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap_or_else(|e| panic!("{e}"));
    let addr = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
    runtime.spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}"), runtime)
}

#[test]
fn remote_reading_matches_local_costs_few_bytes_and_works_offline() {
    let (url, runtime) = start_server();
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
    // 529 bytes today (BENCHMARKS.md explains the 500-byte target missed):
    // this guards against it growing.
    assert!(revalidated < 560, "revalidating cost {revalidated} bytes");
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
