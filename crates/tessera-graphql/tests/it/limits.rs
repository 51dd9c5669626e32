//! Hostile queries get a clear error, fast, and never a crash.

use axum::body::Body;
use axum::http::Request;
use futures_util::StreamExt;

use crate::{fixture, query, send};

fn message(reply: &serde_json::Value) -> String {
    reply["errors"][0]["message"].as_str().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn deep_queries_are_refused() {
    let deep = "{ page(slug: \"welcome\") { measures { pages { measures { pages { measures { pages { measures { pages { measures { pages { slug } } } } } } } } } } } }";
    let reply = query(&fixture(), deep).await;
    assert_eq!(message(&reply), "query is nested deeper than 10 fields", "{reply}");
    assert!(reply["data"].is_null());
}

#[tokio::test]
async fn complex_queries_are_refused() {
    let app = fixture();
    let one = "pages(first: 100) { edges { node { slug title summary measures { title partnerKinds } } } }";
    let reply = query(&app, &format!("{{ {one} }}")).await;
    assert!(reply["errors"].is_null(), "one large page is fine: {reply}");
    let reply = query(&app, &format!("{{ a: {one} b: {one} c: {one} }}")).await;
    assert!(message(&reply).contains("too complex"), "{reply}");
    let fields: String = (0..31).map(|i| format!("a{i}: site {{ title }} ")).collect();
    let reply = send(&app, crate::post_request(&format!("{{ {fields} }}"), None)).await;
    // A legacy `application/json` client gets 200 with the error (GraphQL over HTTP).
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("cache-control"), "no-store");
    assert!(message(&reply.json()).contains("too many aliases (at most 30)"));
}

#[tokio::test]
async fn oversized_pages_queries_and_bodies_are_refused() {
    let app = fixture();
    let reply = query(&app, "{ pages(first: 101) { totalCount } }").await;
    assert!(message(&reply).contains("at most 100"), "{reply}");
    let reply = query(&app, "{ pages(first: -1) { totalCount } }").await;
    assert!(message(&reply).contains("negative"), "{reply}");

    let padding = " ".repeat(17 * 1024);
    let big = send(&app, crate::post_request(&format!("{{ site {{ title }} {padding}}}"), None)).await;
    assert_eq!(big.status, 413);
    assert!(String::from_utf8_lossy(&big.body).contains("16 KiB"));

    // Over the 64 KiB body limit: refused from the Content-Length, unread.
    let huge = "x".repeat(100 * 1024);
    let request = Request::post("/graphql")
        .header("content-type", "application/json")
        .header("content-length", huge.len())
        .body(Body::from(huge))
        .unwrap_or_default();
    let reply = send(&app, request).await;
    assert_eq!(reply.status, 413);
}

#[tokio::test]
async fn too_many_directives_and_broken_json_get_clear_errors() {
    let app = fixture();
    let reply = query(&app, "{ site @include(if: true) @include(if: true) @include(if: true) @include(if: true) @include(if: true) { title } }").await;
    assert!(!message(&reply).is_empty(), "{reply}");
    let request = Request::post("/graphql")
        .header("content-type", "application/json")
        .body(Body::from("{not json"))
        .unwrap_or_default();
    let reply = send(&app, request).await;
    assert_eq!(reply.status, 400);
    let bad_cursor = query(&app, "{ pages(after: \"../../etc/passwd\") { totalCount } }").await;
    assert!(message(&bad_cursor).contains("not a cursor"), "{bad_cursor}");
}

#[tokio::test]
async fn a_request_that_never_finishes_is_cut_off_by_the_timeout() {
    use std::sync::Arc;
    use std::time::{Duration, Instant};
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/valid-site");
    let snapshot = tessera_core::load(&root).unwrap_or_else(|e| panic!("{e:?}"));
    let config = tessera_graphql::ServerConfig { timeout: Duration::from_millis(200), ..Default::default() };
    let app = tessera_graphql::app(tessera_graphql::AppState::new(Arc::new(snapshot), config));
    // A slow client: the body starts, then never ends.
    let stream =
        futures_util::stream::once(async { Ok::<_, std::io::Error>(axum::body::Bytes::from_static(b"{\"query\":")) })
            .chain(futures_util::stream::pending());
    let request = Request::post("/graphql")
        .header("content-type", "application/json")
        .body(Body::from_stream(stream))
        .unwrap_or_default();
    let started = Instant::now();
    let reply = send(&app, request).await;
    assert_eq!(reply.status, 408);
    assert!(started.elapsed() < Duration::from_secs(5));
}
