//! The GraphQL API, driven over HTTP with `Router::oneshot` (no port), plus
//! one test over a real socket.

mod api;
mod changes;
mod http;
mod limits;
mod reload;
mod search;
mod site;
mod socket;
mod visibility;

use std::path::Path;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::Value;
use tessera_graphql::{AppState, ServerConfig, app};
use tower::ServiceExt;

pub(crate) const TOKEN: &str = "a-preview-token-for-tests";

pub(crate) fn router(content: &str) -> Router {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(content);
    let snapshot = tessera_core::load(&root).unwrap_or_else(|e| panic!("{e:?}"));
    let config = ServerConfig { preview_token: Some(TOKEN.to_owned()), ..ServerConfig::default() };
    app(AppState::new(Arc::new(snapshot), config))
}

pub(crate) fn fixture() -> Router {
    router("tests/fixtures/valid-site")
}

pub(crate) struct Reply {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Vec<u8>,
}

impl Reply {
    pub(crate) fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&self.body)))
    }
    pub(crate) fn header(&self, name: &str) -> &str {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
    }
}

pub(crate) async fn send(router: &Router, request: Request<Body>) -> Reply {
    let response = router.clone().oneshot(request).await.unwrap_or_else(|e| match e {});
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.into_body().collect().await.map(|b| b.to_bytes().to_vec()).unwrap_or_default();
    Reply { status, headers, body }
}

pub(crate) fn post_request(query: &str, token: Option<&str>) -> Request<Body> {
    let mut builder = Request::post("/graphql").header("content-type", "application/json");
    if let Some(t) = token {
        builder = builder.header("authorization", format!("Bearer {t}"));
    }
    let body = serde_json::json!({ "query": query }).to_string();
    builder.body(Body::from(body)).unwrap_or_else(|e| panic!("{e}"))
}

/// POSTs a query anonymously and returns the JSON reply.
pub(crate) async fn query(router: &Router, q: &str) -> Value {
    send(router, post_request(q, None)).await.json()
}

/// POSTs a query with the preview token.
pub(crate) async fn preview(router: &Router, q: &str) -> Value {
    send(router, post_request(q, Some(TOKEN))).await.json()
}
