//! The web site beside the API: every page of the export, rendered on
//! request from the snapshot being served by the exporter's own templates
//! (`tessera_export::LiveSite`), and the search page.
//!
//! Public answers get the API's caching: a weak ETag of the body, `public,
//! max-age`, 304s and the response cache (keyed by the address and the
//! content). Preview answers are `private, no-store`, carry no ETag and
//! never enter the response cache, so a public request can never be given
//! one.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;
use tessera_core::{Audience, Country, Kind, Snapshot};
use tessera_export::{Answer, LiveSite, RESULTS_PER_PAGE, SearchOutcome, SearchPage};
use tessera_search::{MAX_QUERY_CHARS, SearchError, SearchRequest};

use crate::schema::search::MAX_SEARCH_OFFSET;
use crate::server::{AppState, Cached, NO_STORE, Pinned, etag, send};

const HTML: &str = "text/html; charset=utf-8";
/// Site answers differ by coding, and by who asks (a preview cookie or token).
const VARY: &str = "accept-encoding, authorization, cookie";
const PRIVATE: &str = "private, no-store";

/// What rendering produced, before HTTP.
enum Rendered {
    /// A page to keep in the response cache: its status is 200, or 404 and
    /// 410 for the old addresses that are moving or gone.
    Found {
        status: StatusCode,
        content_type: &'static str,
        body: Vec<u8>,
    },
    Moved {
        to: String,
        body: Vec<u8>,
    },
    /// A page with its status (a 404, a 400 with the reason on it).
    Status(StatusCode, String),
}

/// Sends what was rendered with the caching its audience allows, and keeps
/// public answers in the response cache under `key`.
fn respond(
    state: &AppState,
    snapshot: &Snapshot,
    rendered: Rendered,
    audience: Audience,
    key: Option<u128>,
    method: &Method,
    headers: &HeaderMap,
) -> Response {
    let public = audience == Audience::Public;
    let cache_control = if public { format!("public, max-age={}", state.config().max_age) } else { PRIVATE.to_owned() };
    let mut response = match rendered {
        Rendered::Found { status, content_type, body } if public => {
            let body = Bytes::from(body);
            let etag = etag(&body, snapshot);
            let cached = Arc::new(Cached { status, content_type, body, etag });
            if let Some(key) = key {
                state.remember(key, cached.clone());
            }
            send(&cached, method, headers, &cache_control)
        }
        Rendered::Found { status, content_type, body } => {
            (status, [(header::CONTENT_TYPE, content_type), (header::CACHE_CONTROL, PRIVATE)], body).into_response()
        }
        Rendered::Moved { to, body } => {
            let location = HeaderValue::from_str(&to).unwrap_or(HeaderValue::from_static("/"));
            let mut r = (
                StatusCode::MOVED_PERMANENTLY,
                [(header::CONTENT_TYPE, HTML), (header::CACHE_CONTROL, cache_control.as_str())],
                body,
            )
                .into_response();
            r.headers_mut().insert(header::LOCATION, location);
            r
        }
        Rendered::Status(status, html) => {
            let control = if public { NO_STORE } else { PRIVATE };
            (status, [(header::CONTENT_TYPE, HTML), (header::CACHE_CONTROL, control)], html).into_response()
        }
    };
    response.headers_mut().insert(header::VARY, HeaderValue::from_static(VARY));
    response
}

/// The answer to a request that cannot be served: a wrong bearer token.
fn unauthorized() -> Response {
    (StatusCode::UNAUTHORIZED, [(header::CACHE_CONTROL, NO_STORE)], "invalid preview token\n").into_response()
}

/// Any site address: a page, the stylesheet, a feed, the sitemap, an old
/// address (301 when it moved, 404 while it waits, 410 once retired), or a
/// "not found" page.
pub(crate) async fn page(
    State(state): State<AppState>,
    pinned: Option<axum::Extension<Pinned>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    if method != Method::GET && method != Method::HEAD {
        let mut r = (StatusCode::METHOD_NOT_ALLOWED, [(header::CACHE_CONTROL, NO_STORE)], "use GET\n").into_response();
        r.headers_mut().insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        return r;
    }
    let Ok(audience) = crate::preview::audience(&state, &headers) else { return unauthorized() };
    let snapshot = state.pinned(pinned.as_deref());
    let read = snapshot.clone();
    let now = chrono::Utc::now();
    let path = uri.path().to_owned();
    let key = state.cache_key_for(audience, &[b"site", path.as_bytes()], &snapshot, now);
    if let Some(hit) = key.and_then(|k| state.cached(k)) {
        let mut r = send(&hit, &method, &headers, &format!("public, max-age={}", state.config().max_age));
        r.headers_mut().insert(header::VARY, HeaderValue::from_static(VARY));
        return r;
    }
    let rendered = tokio::task::spawn_blocking(move || {
        let site = LiveSite::new(snapshot.view(audience, now));
        match site.answer(&path) {
            Some(Answer::Page { content_type, body }) => Rendered::Found { status: StatusCode::OK, content_type, body },
            Some(Answer::Moved { to, body }) => Rendered::Moved { to, body },
            Some(Answer::Moving { body }) => {
                Rendered::Found { status: StatusCode::NOT_FOUND, content_type: HTML, body }
            }
            Some(Answer::Gone { body }) => Rendered::Found { status: StatusCode::GONE, content_type: HTML, body },
            None => Rendered::Status(StatusCode::NOT_FOUND, site.not_found(&path)),
        }
    })
    .await;
    let rendered = rendered.unwrap_or_else(|e| {
        tracing::error!(error = %e, "rendering a page failed");
        Rendered::Status(
            StatusCode::INTERNAL_SERVER_ERROR,
            "<!doctype html>\n<title>Error</title><p>Something went wrong; try again later.</p>\n".to_owned(),
        )
    });
    respond(&state, &read, rendered, audience, key, &method, &headers)
}

/// The parameters of a search page, checked.
struct Params {
    query: String,
    lang: Option<String>,
    kind: Option<Kind>,
    topic: Option<String>,
    country: Option<Country>,
    page: usize,
}

/// Reads the search parameters; the first problem, in words, when one is
/// wrong.
fn params(uri: &Uri, topic_exists: impl Fn(&str) -> bool) -> Result<Params, (Params, String)> {
    let pairs = axum::extract::Query::<Vec<(String, String)>>::try_from_uri(uri).map(|q| q.0);
    let mut p = Params { query: String::new(), lang: None, kind: None, topic: None, country: None, page: 1 };
    let Ok(pairs) = pairs else {
        return Err((p, "the address's query cannot be read".to_owned()));
    };
    let get = |name: &str| pairs.iter().find(|(n, _)| n == name).map(|(_, v)| v.trim()).filter(|v| !v.is_empty());
    p.query = get("q").unwrap_or("").to_owned();
    p.lang = get("lang").map(str::to_owned);
    if p.query.chars().count() > MAX_QUERY_CHARS {
        let problem = format!("the search is too long: use at most {MAX_QUERY_CHARS} characters");
        p.query = p.query.chars().take(MAX_QUERY_CHARS).collect();
        return Err((p, problem));
    }
    if let Some(kind) = get("kind") {
        match kind.parse::<Kind>() {
            Ok(k) if Kind::WITH_PAGES.contains(&k) => p.kind = Some(k),
            _ => return Err((p, format!("there is no kind “{kind}”: use page, measure, partner or story"))),
        }
    }
    if let Some(topic) = get("topic") {
        if !topic_exists(topic) {
            return Err((p, format!("there is no topic “{topic}”")));
        }
        p.topic = Some(topic.to_owned());
    }
    if let Some(country) = get("country") {
        match Country::parse(country) {
            Ok(c) => p.country = Some(c),
            Err(_) => return Err((p, format!("“{country}” is not a country code: use two letters, such as KZ"))),
        }
    }
    if let Some(page) = get("page") {
        match page.parse::<usize>() {
            Ok(n) if n >= 1 && (n - 1) * RESULTS_PER_PAGE <= MAX_SEARCH_OFFSET => p.page = n,
            Ok(n) if n >= 1 => {
                return Err((p, format!("page {n} is too far: narrow the search instead")));
            }
            _ => return Err((p, format!("“{page}” is not a page number: use 1, 2, 3…"))),
        }
    }
    Ok(p)
}

/// `GET /search`: the search page, without JavaScript.
pub(crate) async fn search(
    State(state): State<AppState>,
    pinned: Option<axum::Extension<Pinned>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let Ok(audience) = crate::preview::audience(&state, &headers) else { return unauthorized() };
    let snapshot = state.pinned(pinned.as_deref());
    let read = snapshot.clone();
    let now = chrono::Utc::now();
    let query_string = uri.query().unwrap_or("").to_owned();
    let key = state.cache_key_for(audience, &[b"search", query_string.as_bytes()], &snapshot, now);
    if let Some(hit) = key.and_then(|k| state.cached(k)) {
        let mut r = send(&hit, &method, &headers, &format!("public, max-age={}", state.config().max_age));
        r.headers_mut().insert(header::VARY, HeaderValue::from_static(VARY));
        return r;
    }
    let indexes = state.search_indexes();
    let rendered = tokio::task::spawn_blocking(move || {
        let site = LiveSite::new(snapshot.view(audience, now));
        let checked = params(&uri, |t| snapshot.topic(t).is_some());
        let (p, problem) = match checked {
            Ok(p) => (p, None),
            Err((p, problem)) => (p, Some(problem)),
        };
        let (locale, problem) = match site.locale(p.lang.as_deref()) {
            Some(l) => (l, problem),
            None => (
                site.locale(None).unwrap_or_else(|| snapshot.site().default_locale.clone()),
                problem.or_else(|| Some(format!("this site has no language “{}”", p.lang.as_deref().unwrap_or("")))),
            ),
        };
        let page = |outcome| SearchPage {
            query: &p.query,
            locale: &locale,
            kind: p.kind,
            topic: p.topic.as_deref(),
            country: p.country,
            page: p.page,
            outcome,
        };
        if let Some(problem) = problem {
            return Rendered::Status(StatusCode::BAD_REQUEST, site.search(&page(SearchOutcome::Problem(&problem))));
        }
        if p.query.is_empty() {
            return Rendered::Found {
                status: StatusCode::OK,
                content_type: HTML,
                body: site.search(&page(SearchOutcome::Form)).into_bytes(),
            };
        }
        let mut request = SearchRequest::new(p.query.clone(), locale.clone());
        request.limit = RESULTS_PER_PAGE;
        request.offset = (p.page - 1) * RESULTS_PER_PAGE;
        request.kinds = p.kind.into_iter().collect();
        request.topics = p.topic.clone().into_iter().collect();
        request.countries = p.country.into_iter().collect();
        let results = indexes.get_blocking(&snapshot, audience, now).and_then(|index| index.search(&request));
        match results {
            Ok(results) => {
                let pages = results.total.div_ceil(RESULTS_PER_PAGE).max(1);
                if p.page > pages {
                    let problem = format!("page {} is beyond the last page of results ({pages})", p.page);
                    return Rendered::Status(
                        StatusCode::BAD_REQUEST,
                        site.search(&page(SearchOutcome::Problem(&problem))),
                    );
                }
                Rendered::Found {
                    status: StatusCode::OK,
                    content_type: HTML,
                    body: site.search(&page(SearchOutcome::Results(&results))).into_bytes(),
                }
            }
            // Nothing searchable in the words (punctuation alone).
            Err(SearchError::EmptyQuery) => Rendered::Found {
                status: StatusCode::OK,
                content_type: HTML,
                body: site.search(&page(SearchOutcome::Form)).into_bytes(),
            },
            Err(SearchError::QueryTooLong { max }) => {
                let problem = format!("the search is too long: use at most {max} characters");
                Rendered::Status(StatusCode::BAD_REQUEST, site.search(&page(SearchOutcome::Problem(&problem))))
            }
            Err(e) => {
                tracing::error!(error = %e, "search failed");
                let problem = "search is not available at the moment: try again later";
                Rendered::Status(StatusCode::INTERNAL_SERVER_ERROR, site.search(&page(SearchOutcome::Problem(problem))))
            }
        }
    })
    .await;
    let rendered = rendered.unwrap_or_else(|e| {
        tracing::error!(error = %e, "rendering the search page failed");
        Rendered::Status(
            StatusCode::INTERNAL_SERVER_ERROR,
            "<!doctype html>\n<title>Error</title><p>Something went wrong; try again later.</p>\n".to_owned(),
        )
    });
    respond(&state, &read, rendered, audience, key, &method, &headers)
}
