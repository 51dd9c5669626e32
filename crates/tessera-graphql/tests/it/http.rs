//! GraphQL over HTTP: persisted queries, ETags, compression, CORS, media
//! types, and a response cache that never crosses audiences.

use axum::body::Body;
use axum::http::Request;
use serde_json::json;

use crate::{TOKEN, fixture, post_request, send};

fn get(uri: &str) -> Request<Body> {
    Request::get(uri).header("accept", "application/graphql-response+json").body(Body::empty()).unwrap_or_default()
}

fn encode(s: &str) -> String {
    s.bytes().map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}

#[tokio::test]
async fn persisted_queries_register_once_then_go_by_hash_in_a_get() {
    let app = fixture();
    let query = "{ site { title } }";
    // sha256 of the query text, as clients compute it.
    let hash = "5a1fb2bf3bd2e7f0dbbf9d1bd1e5d0f1a0b35c3a7f3bd03ac5bbd3a8d2aa7a6d";
    let ext = |h: &str| encode(&json!({ "persistedQuery": { "version": 1, "sha256Hash": h } }).to_string());
    let unknown = send(&app, get(&format!("/graphql?extensions={}", ext(hash)))).await;
    assert!(String::from_utf8_lossy(&unknown.body).contains("PersistedQueryNotFound"));
    let real = format!("{:x}", <sha2::Sha256 as sha2::Digest>::digest(query.as_bytes()));
    let register = send(&app, get(&format!("/graphql?query={}&extensions={}", encode(query), ext(&real)))).await;
    assert_eq!(register.json()["data"]["site"]["title"], "Fixture site");
    let by_hash = send(&app, get(&format!("/graphql?extensions={}", ext(&real)))).await;
    assert_eq!(by_hash.status, 200);
    assert_eq!(by_hash.json()["data"]["site"]["title"], "Fixture site");
}

#[tokio::test]
async fn etags_revalidate_to_304_without_a_body() {
    let app = fixture();
    let first = send(&app, get("/graphql?query=%7Bsite%7Btitle%7D%7D")).await;
    let etag = first.header("etag").to_owned();
    // Weak: the same validator stands for every content coding.
    assert!(etag.starts_with("W/\"") && etag.len() > 10, "{etag}");
    let request = Request::get("/graphql?query=%7Bsite%7Btitle%7D%7D")
        .header("accept", "application/graphql-response+json")
        .header("if-none-match", &etag)
        .body(Body::empty())
        .unwrap_or_default();
    let again = send(&app, request).await;
    assert_eq!(again.status, 304);
    assert!(again.body.is_empty());
    assert_eq!(again.header("etag"), etag);
    assert_eq!(again.header("cache-control"), "public, max-age=60");
    // Weak comparison: with or without `W/`, in a list, or `*`.
    let opaque = etag.trim_start_matches("W/").to_owned();
    for given in [opaque.as_str(), "\"nope\", *", &format!("\"nope\", {etag}")] {
        let request = Request::get("/graphql?query=%7Bsite%7Btitle%7D%7D")
            .header("if-none-match", given)
            .body(Body::empty())
            .unwrap_or_default();
        assert_eq!(send(&app, request).await.status, 304, "{given}");
    }
    let request = Request::get("/graphql?query=%7Bsite%7Btitle%7D%7D")
        .header("if-none-match", "W/\"nope\"")
        .body(Body::empty())
        .unwrap_or_default();
    assert_eq!(send(&app, request).await.status, 200);
    // Only a GET is answered 304; a POST that matches fails its precondition.
    let request = Request::post("/graphql")
        .header("content-type", "application/json")
        .header("if-none-match", "*")
        .body(Body::from("{\"query\": \"{ site { title } }\"}"))
        .unwrap_or_default();
    assert_eq!(send(&app, request).await.status, 412);
    // An error is never "not modified".
    let request = Request::get("/graphql?query=%7Bnosuch%7D")
        .header("accept", "application/graphql-response+json")
        .header("if-none-match", "*")
        .body(Body::empty())
        .unwrap_or_default();
    assert_eq!(send(&app, request).await.status, 400);
}

#[tokio::test]
async fn answers_are_compressed_with_gzip_brotli_or_zstd() {
    let app = fixture();
    let q = "/graphql?query=%7Bpages%7Bedges%7Bnode%7Btitle%20body%7Bhtml%20text%20markdown%7D%7D%7D%7D%7D";
    for encoding in ["gzip", "br", "zstd"] {
        let request = Request::get(q).header("accept-encoding", encoding).body(Body::empty()).unwrap_or_default();
        let reply = send(&app, request).await;
        assert_eq!(reply.status, 200);
        assert_eq!(reply.header("content-encoding"), encoding);
    }
}

#[tokio::test]
async fn browsers_may_call_the_api_from_other_origins() {
    let app = fixture();
    let request = Request::builder()
        .method("OPTIONS")
        .uri("/graphql")
        .header("origin", "https://partner.example")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type")
        .body(Body::empty())
        .unwrap_or_default();
    let reply = send(&app, request).await;
    assert_eq!(reply.header("access-control-allow-origin"), "*");
    // A request from a browser gets CORS headers; one from elsewhere does not need them.
    let from_page = Request::get("/graphql?query=%7Bsite%7Btitle%7D%7D")
        .header("origin", "https://partner.example")
        .body(Body::empty())
        .unwrap_or_default();
    assert_eq!(send(&app, from_page).await.header("access-control-allow-origin"), "*");
    let from_script =
        send(&app, Request::get("/graphql?query=%7Bsite%7Btitle%7D%7D").body(Body::empty()).unwrap_or_default()).await;
    assert_eq!(from_script.header("access-control-allow-origin"), "");
    assert!(from_script.header("vary").contains("origin"), "caches must keep the two apart");
}

#[tokio::test]
async fn media_types_and_status_codes_follow_graphql_over_http() {
    let app = fixture();
    let legacy = send(
        &app,
        Request::get("/graphql?query=%7B").header("accept", "application/json").body(Body::empty()).unwrap_or_default(),
    )
    .await;
    assert_eq!((legacy.status.as_u16(), legacy.header("content-type")), (200, "application/json; charset=utf-8"));
    let modern = send(&app, get("/graphql?query=%7B")).await;
    assert_eq!(modern.status, 400, "a syntax error is a request error");
    assert_eq!(modern.header("content-type"), "application/graphql-response+json; charset=utf-8");
    let refused = send(
        &app,
        Request::get("/graphql?query=%7Bsite%7Btitle%7D%7D")
            .header("accept", "text/html")
            .body(Body::empty())
            .unwrap_or_default(),
    )
    .await;
    assert_eq!(refused.status, 406);
}

#[tokio::test]
async fn the_response_cache_never_serves_one_audience_to_another() {
    let app = fixture();
    let q = "{ pages { totalCount } }";
    for _ in 0..2 {
        let public = send(&app, post_request(q, None)).await;
        assert_eq!(public.json()["data"]["pages"]["totalCount"], 2);
        let preview = send(&app, post_request(q, Some(TOKEN))).await;
        assert_eq!(preview.json()["data"]["pages"]["totalCount"], 5);
        assert_eq!(preview.header("cache-control"), "private, no-store");
    }
}
