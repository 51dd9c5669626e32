//! The HTTP surface: routes, the preview token, limits and cache headers.

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_graphql::ServerError;
use async_graphql::http::GraphiQLSource;
use async_graphql_axum::{GraphQLRequest, GraphQLResponse};
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use subtle::ConstantTimeEq;
use tessera_core::{Audience, Snapshot};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;

use crate::objects::{Scope, TesseraSchema, build_schema, sdl};

/// Largest query text accepted.
pub const MAX_QUERY_BYTES: usize = 16 * 1024;
/// Largest request body accepted.
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// Most aliased fields in one query: aliases let a small query ask for the
/// same expensive field many times.
pub const MAX_ALIASES: usize = 30;

/// Counts aliased fields in a query, or `None` when it does not parse (the
/// executor then reports the syntax error itself).
fn count_aliases(query: &str) -> Option<usize> {
    use async_graphql::parser::types::{Selection, SelectionSet};
    fn count(set: &SelectionSet) -> usize {
        set.items
            .iter()
            .map(|item| match &item.node {
                Selection::Field(f) => {
                    usize::from(f.node.alias.is_some()) + count(&f.node.selection_set.node)
                }
                Selection::InlineFragment(f) => count(&f.node.selection_set.node),
                Selection::FragmentSpread(_) => 0,
            })
            .sum()
    }
    let doc = async_graphql::parser::parse_query(query).ok()?;
    let operations: usize = doc
        .operations
        .iter()
        .map(|(_, op)| count(&op.node.selection_set.node))
        .sum();
    let fragments: usize = doc
        .fragments
        .values()
        .map(|f| count(&f.node.selection_set.node))
        .sum();
    Some(operations + fragments)
}

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
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            preview_token: None,
            max_age: 60,
            graphiql: true,
            timeout: Duration::from_secs(10),
        }
    }
}

/// Shared by every request.
#[derive(Clone)]
pub struct AppState {
    schema: TesseraSchema,
    snapshot: Arc<Snapshot>,
    config: Arc<ServerConfig>,
}

impl AppState {
    /// State serving `snapshot` with `config`.
    pub fn new(snapshot: Arc<Snapshot>, config: ServerConfig) -> AppState {
        AppState {
            schema: build_schema(),
            snapshot,
            config: Arc::new(config),
        }
    }
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
    router
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            state.config.timeout,
        ))
        .with_state(state)
}

async fn ready(State(state): State<AppState>) -> String {
    format!("ready: content version {:016x}\n", state.snapshot.version())
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
    let given = value
        .to_str()
        .ok()
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or(())?;
    match &config.preview_token {
        // Constant-time comparison: the response time must not reveal how
        // much of a guessed token was right.
        Some(token) if bool::from(token.as_bytes().ct_eq(given.trim().as_bytes())) => {
            Ok(Audience::Preview)
        }
        _ => Err(()),
    }
}

fn error_response(status: StatusCode, message: &str) -> Response {
    let body = serde_json::json!({ "errors": [{ "message": message }] });
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

async fn graphql(
    State(state): State<AppState>,
    headers: HeaderMap,
    request: GraphQLRequest,
) -> Response {
    let started = Instant::now();
    let Ok(audience) = audience(&headers, &state.config) else {
        // Never echo the token, and say the same whatever was wrong with it.
        return error_response(StatusCode::UNAUTHORIZED, "invalid preview token");
    };
    let request = request.into_inner();
    if request.query.len() > MAX_QUERY_BYTES {
        return error_response(StatusCode::PAYLOAD_TOO_LARGE, "query is larger than 16 KiB");
    }
    if count_aliases(&request.query).is_some_and(|n| n > MAX_ALIASES) {
        return error_response(
            StatusCode::BAD_REQUEST,
            "query uses too many aliases (at most 30)",
        );
    }
    let operation = request.operation_name.clone().unwrap_or_default();
    let scope = Scope {
        snapshot: state.snapshot.clone(),
        audience,
        now: chrono::Utc::now(),
    };
    let mut response = state.schema.execute(request.data(scope)).await;
    // Keep internals out of error messages; log what happened instead.
    for error in &mut response.errors {
        if error.message.contains("panicked") {
            tracing::error!(operation, message = %error.message, "resolver failed");
            *error = ServerError::new("internal error", None);
        }
    }
    tracing::info!(
        operation,
        ?audience,
        errors = response.errors.len(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "graphql"
    );
    let cache = match audience {
        Audience::Preview => "private, no-store".to_owned(),
        Audience::Public => format!("public, max-age={}", state.config.max_age),
    };
    let mut http = GraphQLResponse::from(response).into_response();
    if let Ok(value) = HeaderValue::from_str(&cache) {
        http.headers_mut().insert(header::CACHE_CONTROL, value);
    }
    http.headers_mut().insert(
        header::VARY,
        HeaderValue::from_static("authorization, accept"),
    );
    http
}
