//! The HTTP surface: routes, the preview token, limits, caching headers,
//! the response cache and hot reload.

use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use async_graphql::ServerError;
use async_graphql::http::GraphiQLSource;
use async_graphql::parser::types::ExecutableDocument;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use subtle::ConstantTimeEq;
use tessera_core::{Audience, Diagnostic, LoadError, Snapshot};
use tower_http::compression::CompressionLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;

use crate::objects::{ContentStatus, Scope, TesseraSchema, build_schema, sdl};
use crate::search::SearchIndexes;

/// Largest query text accepted.
pub const MAX_QUERY_BYTES: usize = 16 * 1024;
/// Largest request body accepted.
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// Most aliased fields in one query: aliases let a small query ask for the
/// same expensive field many times.
pub const MAX_ALIASES: usize = 30;
/// Public answers kept in the response cache.
const CACHE_ENTRIES: usize = 4096;
/// Parsed queries kept.
const DOCUMENT_ENTRIES: usize = 1024;
/// Answers larger than this are not cached.
const CACHE_MAX_BODY: usize = 1024 * 1024;

/// How the server behaves.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// The bearer token that unlocks preview; `None` disables preview.
    pub preview_token: Option<String>,
    /// `max-age` of anonymous responses, in seconds.
    pub max_age: u32,
    /// Serve GraphiQL at `/graphiql`.
    pub graphiql: bool,
    /// Longest a request may take.
    pub timeout: Duration,
    /// Origins allowed to call the API from a browser; empty means any.
    pub cors_origins: Vec<String>,
    /// Keep public answers in memory to answer repeated queries at once.
    pub response_cache: bool,
    /// Where search indexes are cached on disk (in memory only when `None`).
    pub search_cache: Option<PathBuf>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            preview_token: None,
            max_age: 60,
            graphiql: true,
            timeout: Duration::from_secs(10),
            cors_origins: Vec::new(),
            response_cache: true,
            search_cache: None,
        }
    }
}

/// A public answer, ready to send again.
struct Cached {
    status: StatusCode,
    content_type: &'static str,
    body: Bytes,
    etag: String,
}

/// Shared by every request.
#[derive(Clone)]
pub struct AppState {
    schema: TesseraSchema,
    snapshot: Arc<ArcSwap<Snapshot>>,
    status: Arc<ArcSwap<ContentStatus>>,
    config: Arc<ServerConfig>,
    cache: Arc<Mutex<lru::LruCache<u128, Arc<Cached>>>>,
    /// Parsed queries by the hash of their text: clients send the same few
    /// queries again and again.
    documents: Arc<Mutex<lru::LruCache<u128, ExecutableDocument>>>,
    search: Arc<SearchIndexes>,
}

impl AppState {
    /// State serving `snapshot` with `config`.
    pub fn new(snapshot: Arc<Snapshot>, config: ServerConfig) -> AppState {
        let status = ContentStatus::loaded(&snapshot);
        AppState {
            schema: build_schema(),
            snapshot: Arc::new(ArcSwap::new(snapshot)),
            status: Arc::new(ArcSwap::from_pointee(status)),
            search: Arc::new(SearchIndexes::new(config.search_cache.clone())),
            config: Arc::new(config),
            cache: Arc::new(Mutex::new(lru::LruCache::new(NonZeroUsize::MIN.saturating_add(CACHE_ENTRIES - 1)))),
            documents: Arc::new(Mutex::new(lru::LruCache::new(NonZeroUsize::MIN.saturating_add(DOCUMENT_ENTRIES - 1)))),
        }
    }

    /// The snapshot being served now.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.snapshot.load_full()
    }

    /// Builds the public search index of the current content, so that the
    /// first search does not wait for it. Blocks: call it before serving or
    /// from the watcher.
    pub fn prepare_search(&self) -> Result<(), tessera_search::SearchError> {
        self.search.get_blocking(&self.snapshot(), Audience::Public, chrono::Utc::now()).map(|_| ())
    }

    /// Loads `content` again and swaps it in if it is valid; otherwise the
    /// last good snapshot keeps serving and the diagnostics are returned.
    /// Runs on the calling thread: call it off the request path.
    pub fn reload(&self, content: &Path) -> Result<(), Vec<Diagnostic>> {
        match tessera_core::load(content) {
            Ok(snapshot) => {
                // Index first, swap second: searches never wait for the new index.
                let snapshot = Arc::new(snapshot);
                if let Err(e) = self.search.get_blocking(&snapshot, Audience::Public, chrono::Utc::now()) {
                    tracing::warn!(error = %e, "cannot build the search index; it will be built on the first search");
                }
                self.status.store(Arc::new(ContentStatus::loaded(&snapshot)));
                self.snapshot.store(snapshot);
                Ok(())
            }
            Err(e) => {
                let diagnostics = match e {
                    LoadError::Invalid { diagnostics } => diagnostics,
                    other => vec![Diagnostic::error(content, (0, 0), other.to_string())],
                };
                let current = self.snapshot.load();
                self.status.store(Arc::new(ContentStatus::failed(&current, &diagnostics)));
                Err(diagnostics)
            }
        }
    }
}

/// Watches `content` and reloads it, debounced, off the request path. The
/// returned watcher must be kept alive for as long as watching should last.
pub fn watch(state: AppState, content: PathBuf) -> notify::Result<impl Drop> {
    use notify_debouncer_mini::{DebounceEventResult, new_debouncer};
    let root = content.clone();
    let mut debouncer = new_debouncer(Duration::from_millis(200), move |events: DebounceEventResult| {
        if let Err(e) = events {
            tracing::warn!(error = %e, "watching content failed");
            return;
        }
        let started = Instant::now();
        match state.reload(&root) {
            Ok(()) => tracing::info!(
                version = format!("{:016x}", state.snapshot().version()),
                elapsed_ms = started.elapsed().as_millis() as u64,
                "content reloaded"
            ),
            Err(diagnostics) => {
                for d in &diagnostics {
                    tracing::warn!(%d, "content not reloaded");
                }
                tracing::warn!(errors = diagnostics.len(), "edit is broken: still serving the last good content");
            }
        }
    })?;
    debouncer.watcher().watch(&content, notify::RecursiveMode::Recursive)?;
    Ok(debouncer)
}

/// The whole HTTP application.
pub fn app(state: AppState) -> Router {
    let mut router = Router::new()
        .route("/graphql", get(graphql).post(graphql))
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(ready))
        .route("/schema.graphql", get(schema_sdl));
    if state.config.graphiql {
        router = router.route("/graphiql", get(graphiql));
    }
    let origins = &state.config.cors_origins;
    let allow_origin = if origins.is_empty() {
        AllowOrigin::any()
    } else {
        AllowOrigin::list(origins.iter().filter_map(|o| HeaderValue::from_str(o).ok()))
    };
    let cors = CorsLayer::new()
        .allow_origin(allow_origin)
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([header::CONTENT_TYPE, header::AUTHORIZATION, header::IF_NONE_MATCH])
        .expose_headers([header::ETAG]);
    router
        .layer(CompressionLayer::new())
        .layer(cors)
        .layer(axum::middleware::from_fn(cors_only_for_browsers))
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, state.config.timeout))
        .with_state(state)
}

/// Drops CORS headers from answers to requests without an `Origin` (not
/// from a browser), which have no use for them: on a metered link every
/// byte counts. `Vary: origin` stays, so shared caches keep the two apart.
async fn cors_only_for_browsers(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let from_browser = request.headers().contains_key(header::ORIGIN);
    let mut response = next.run(request).await;
    if !from_browser {
        let headers = response.headers_mut();
        headers.remove(header::ACCESS_CONTROL_ALLOW_ORIGIN);
        headers.remove(header::ACCESS_CONTROL_EXPOSE_HEADERS);
        let kept: Vec<HeaderValue> = headers
            .get_all(header::VARY)
            .iter()
            .filter(|v| !v.to_str().is_ok_and(|v| v.starts_with("origin, access-control")))
            .cloned()
            .collect();
        headers.remove(header::VARY);
        for v in kept {
            headers.append(header::VARY, v);
        }
    }
    response
}

async fn ready(State(state): State<AppState>) -> Response {
    let status = state.status.load();
    let text = format!("ready: content version {}; last reload: {}\n", status.version, status.message);
    text.into_response()
}

async fn schema_sdl() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], sdl())
}

async fn graphiql() -> Html<String> {
    Html(GraphiQLSource::build().endpoint("/graphql").finish())
}

/// Which audience the request's `Authorization` header earns.
fn audience(headers: &HeaderMap, config: &ServerConfig) -> Result<Audience, ()> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(Audience::Public);
    };
    let given = value.to_str().ok().and_then(|v| v.strip_prefix("Bearer ")).ok_or(())?;
    match &config.preview_token {
        // Constant-time comparison: the response time must not reveal how
        // much of a guessed token was right.
        Some(token) if bool::from(token.as_bytes().ct_eq(given.trim().as_bytes())) => Ok(Audience::Preview),
        _ => Err(()),
    }
}

const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json; charset=utf-8";
const JSON: &str = "application/json; charset=utf-8";

/// The media type to answer with, from `Accept` (GraphQL over HTTP):
/// `application/graphql-response+json` when the client accepts it,
/// `application/json` for legacy clients, `None` when it accepts neither.
fn negotiate(headers: &HeaderMap) -> Option<&'static str> {
    let Some(accept) = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()) else {
        return Some(JSON);
    };
    let types: Vec<String> =
        accept.split(',').map(|t| t.split(';').next().unwrap_or("").trim().to_ascii_lowercase()).collect();
    if types.iter().any(|t| t == "application/graphql-response+json") {
        Some(GRAPHQL_RESPONSE_JSON)
    } else if types.iter().any(|t| t == "application/json" || t == "*/*" || t == "application/*") {
        Some(JSON)
    } else {
        None
    }
}

fn error_response(status: StatusCode, message: &str) -> Response {
    let body = serde_json::json!({ "errors": [{ "message": message }] });
    (status, [(header::CONTENT_TYPE, JSON)], body.to_string()).into_response()
}

/// Counts aliased fields in a parsed query.
fn count_aliases(doc: &ExecutableDocument) -> usize {
    use async_graphql::parser::types::{Selection, SelectionSet};
    fn count(set: &SelectionSet) -> usize {
        set.items
            .iter()
            .map(|item| match &item.node {
                Selection::Field(f) => usize::from(f.node.alias.is_some()) + count(&f.node.selection_set.node),
                Selection::InlineFragment(f) => count(&f.node.selection_set.node),
                Selection::FragmentSpread(_) => 0,
            })
            .sum()
    }
    let operations: usize = doc.operations.iter().map(|(_, op)| count(&op.node.selection_set.node)).sum();
    let fragments: usize = doc.fragments.values().map(|f| count(&f.node.selection_set.node)).sum();
    operations + fragments
}

/// The response-cache key: the request as sent (method, query string, body,
/// media type) and everything else that can change a public answer.
fn cache_key(parts: &[&[u8]], snapshot: &Snapshot, epoch: usize, status: &ContentStatus) -> u128 {
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    // `contentStatus` reports the last reload, which can fail without
    // changing the snapshot.
    let errors = status.errors.join("\n");
    for part in parts.iter().copied().chain([status.message.as_bytes(), errors.as_bytes()]) {
        h.update(&(part.len() as u64).to_le_bytes());
        h.update(part);
    }
    h.update(&snapshot.version().to_le_bytes());
    h.update(&(epoch as u64).to_le_bytes());
    h.digest128()
}

/// Reads a GraphQL request from a GET query string or a JSON POST body.
fn parse_request(
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<async_graphql::Request, (StatusCode, String)> {
    if method == Method::GET {
        return async_graphql::http::parse_query_string(uri.query().unwrap_or(""))
            .map_err(|e| (StatusCode::BAD_REQUEST, format!("invalid request: {e}")));
    }
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let essence = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    if essence != "application/json" {
        return Err((StatusCode::UNSUPPORTED_MEDIA_TYPE, "send the request as application/json".to_owned()));
    }
    serde_json::from_slice::<async_graphql::Request>(body)
        .map_err(|e| (StatusCode::BAD_REQUEST, format!("invalid JSON request: {e}")))
}

fn send(cached: &Cached, request_headers: &HeaderMap, cache_control: &str) -> Response {
    let not_modified = request_headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|tag| tag.trim() == cached.etag || tag.trim() == "*"));
    let mut response = if not_modified {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        (cached.status, [(header::CONTENT_TYPE, cached.content_type)], cached.body.clone()).into_response()
    };
    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&cached.etag) {
        headers.insert(header::ETAG, v);
    }
    if let Ok(v) = HeaderValue::from_str(cache_control) {
        headers.insert(header::CACHE_CONTROL, v);
    }
    headers.insert(header::VARY, HeaderValue::from_static("accept, authorization, accept-encoding, origin"));
    response
}

/// The request's id: the caller's `X-Request-Id` when it is a sane token,
/// else a new one. Logs carry it, and so does the response.
fn request_id(headers: &HeaderMap) -> String {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 64 && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
        .map_or_else(|| format!("t{:x}", NEXT.fetch_add(1, Ordering::Relaxed)), str::to_owned)
}

async fn graphql(state: State<AppState>, method: Method, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let id = request_id(&headers);
    let echo = headers.contains_key("x-request-id");
    let mut response = answer(state, method, uri, headers, body, &id).await;
    // The id is in the logs either way; it goes back only to callers that
    // trace their own requests, sparing everyone else the bytes.
    if echo && let Ok(v) = HeaderValue::from_str(&id) {
        response.headers_mut().insert("x-request-id", v);
    }
    response
}

async fn answer(
    State(state): State<AppState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
    request_id: &str,
) -> Response {
    let started = Instant::now();
    let Ok(audience) = audience(&headers, &state.config) else {
        // Never echo the token, and say the same whatever was wrong with it.
        return error_response(StatusCode::UNAUTHORIZED, "invalid preview token");
    };
    let Some(media) = negotiate(&headers) else {
        return error_response(
            StatusCode::NOT_ACCEPTABLE,
            "accept application/graphql-response+json or application/json",
        );
    };
    let cache_control = match audience {
        Audience::Preview => "private, no-store".to_owned(),
        Audience::Public => format!("public, max-age={}", state.config.max_age),
    };
    // One snapshot for the whole request, whatever a reload does meanwhile.
    let snapshot = state.snapshot.load_full();
    let now = chrono::Utc::now();
    let status = state.status.load_full();
    // Only public answers are cached, so one audience's answer can never
    // reach another. The key is the request as sent: a hit skips parsing.
    let key = (audience == Audience::Public && state.config.response_cache).then(|| {
        let parts = [method.as_str().as_bytes(), uri.query().unwrap_or("").as_bytes(), &body, media.as_bytes()];
        cache_key(&parts, &snapshot, snapshot.visibility_epoch(now), &status)
    });
    if let Some(key) = key {
        let hit = state.cache.lock().ok().and_then(|mut c| c.get(&key).cloned());
        if let Some(hit) = hit {
            return send(&hit, &headers, &cache_control);
        }
    }
    let mut request = match parse_request(&method, &uri, &headers, &body) {
        Ok(r) => r,
        Err((status, message)) => return error_response(status, &message),
    };
    if request.query.trim().is_empty() && !request.extensions.contains_key("persistedQuery") {
        return error_response(StatusCode::BAD_REQUEST, "the request has no `query`");
    }
    if request.query.len() > MAX_QUERY_BYTES {
        return error_response(StatusCode::PAYLOAD_TOO_LARGE, "query is larger than 16 KiB");
    }
    // Parse once (or reuse an earlier parse of the same text): the alias
    // check and the executor share the document.
    if !request.query.is_empty() {
        let key = xxhash_rust::xxh3::xxh3_128(request.query.as_bytes());
        let known = state.documents.lock().ok().and_then(|mut d| d.get(&key).cloned());
        let parsed = match known {
            Some(doc) => Some(doc),
            None => async_graphql::parser::parse_query(&request.query).ok().inspect(|doc| {
                if let Ok(mut documents) = state.documents.lock() {
                    documents.put(key, doc.clone());
                }
            }),
        };
        // A query that does not parse is left to the executor, which reports the syntax error.
        if let Some(doc) = parsed {
            if count_aliases(&doc) > MAX_ALIASES {
                return error_response(StatusCode::BAD_REQUEST, "query uses too many aliases (at most 30)");
            }
            request.set_parsed_query(doc);
        }
    }
    let operation = request.operation_name.clone().unwrap_or_default();
    let scope = Scope { snapshot, audience, now, status, search: state.search.clone() };
    let mut response = state.schema.execute(request.data(scope)).await;
    // Keep internals out of error messages; log what happened instead.
    for error in &mut response.errors {
        if error.message.contains("panicked") {
            tracing::error!(request_id, operation, message = %error.message, "resolver failed");
            *error = ServerError::new("internal error", None);
        }
    }
    tracing::debug!(
        operation,
        ?audience,
        errors = response.errors.len(),
        elapsed_us = started.elapsed().as_micros() as u64,
        "graphql"
    );
    // A request error (nothing executed) is a 400 for clients that speak
    // application/graphql-response+json; legacy JSON clients get 200.
    let request_error = response.data == async_graphql::Value::Null && !response.errors.is_empty();
    let status = if request_error && media == GRAPHQL_RESPONSE_JSON { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    // Nothing executed: say so with errors alone, without a `data` entry.
    let serialized = if request_error {
        serde_json::to_vec(&serde_json::json!({ "errors": response.errors }))
    } else {
        serde_json::to_vec(&response)
    };
    let body = match serialized {
        Ok(b) => Bytes::from(b),
        Err(e) => {
            tracing::error!(request_id, error = %e, "cannot serialize a response");
            return error_response(StatusCode::INTERNAL_SERVER_ERROR, "internal error");
        }
    };
    let etag = format!("\"{:016x}\"", xxhash_rust::xxh3::xxh3_64(&body));
    let cached = Arc::new(Cached { status, content_type: media, body, etag });
    if let Some(key) = key
        && response.errors.is_empty()
        && cached.body.len() <= CACHE_MAX_BODY
        && let Ok(mut cache) = state.cache.lock()
    {
        cache.put(key, cached.clone());
    }
    send(&cached, &headers, &cache_control)
}
