//! Preview in the browser: an editor signs in with the preview token on a
//! form and gets a session cookie, so that site pages and the search page
//! show what the public does not see yet.
//!
//! The cookie holds a random session id kept in memory with an expiry,
//! never the token; it is `HttpOnly; SameSite=Strict; Path=/`, and `Secure`
//! when the request came over HTTPS through a trusted proxy. The sign-in
//! form is protected from forgery by a double-submitted token (a cookie and
//! a hidden field that must match) and the sign-out form by a token derived
//! from the session; both check `Origin` and `Sec-Fetch-Site` when the
//! browser sends them. Wrong tokens are counted per client address: after
//! [`MAX_FAILURES`] in [`FAILURE_WINDOW`], sign-in answers 429 until the
//! oldest failure is a window old.

use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use tessera_core::Audience;
use tessera_export::{LiveSite, PreviewForm};

use crate::server::{AppState, audience as bearer_audience};

/// The session cookie.
pub(crate) const SESSION_COOKIE: &str = "tessera_preview";
/// The sign-in form's anti-forgery cookie.
const CSRF_COOKIE: &str = "tessera_csrf";
/// How long a preview session lasts.
pub const SESSION_LIFETIME: Duration = Duration::from_secs(8 * 60 * 60);
/// Sessions kept at most; the oldest goes first.
const MAX_SESSIONS: usize = 1024;
/// Wrong tokens a client may send within [`FAILURE_WINDOW`].
pub const MAX_FAILURES: usize = 5;
/// The window failed sign-ins are counted over.
pub const FAILURE_WINDOW: Duration = Duration::from_secs(60);
/// Client addresses whose failures are remembered at most.
const MAX_CLIENTS: usize = 65_536;
/// Largest sign-in or sign-out form accepted.
const MAX_FORM_BYTES: usize = 4096;

/// Sessions, the key their forms' tokens derive from, and failed sign-ins.
pub(crate) struct Sessions {
    /// Random per process; `None` when the system gave no randomness, and
    /// then nobody can sign in.
    key: Option<[u8; 32]>,
    /// Session id to expiry.
    live: Mutex<HashMap<String, Instant>>,
    /// Failed sign-ins by client address, oldest first.
    failures: Mutex<HashMap<IpAddr, VecDeque<Instant>>>,
}

/// `n` random bytes as hex, from the operating system.
fn random_hex() -> Option<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).ok()?;
    Some(hex(&bytes))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn equal(a: &str, b: &str) -> bool {
    bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

impl Sessions {
    pub(crate) fn new() -> Sessions {
        let mut key = [0u8; 32];
        let key = getrandom::fill(&mut key).ok().map(|()| key);
        if key.is_none() {
            tracing::error!("no randomness from the system: preview sign-in is off");
        }
        Sessions { key, live: Mutex::new(HashMap::new()), failures: Mutex::new(HashMap::new()) }
    }

    /// Whether `id` names a session that has not expired.
    fn valid(&self, id: &str) -> bool {
        let now = Instant::now();
        self.live.lock().ok().and_then(|s| s.get(id).copied()).is_some_and(|expiry| expiry > now)
    }

    /// A new session's id.
    fn start(&self) -> Option<String> {
        self.key?;
        let id = random_hex()?;
        let now = Instant::now();
        let mut live = self.live.lock().ok()?;
        live.retain(|_, expiry| *expiry > now);
        if live.len() >= MAX_SESSIONS
            && let Some(oldest) = live.iter().min_by_key(|(_, e)| **e).map(|(k, _)| k.clone())
        {
            live.remove(&oldest);
        }
        live.insert(id.clone(), now + SESSION_LIFETIME);
        Some(id)
    }

    fn end(&self, id: &str) {
        if let Ok(mut live) = self.live.lock() {
            live.remove(id);
        }
    }

    /// The sign-out form's token for a session: tied to it, unguessable
    /// without the process's key.
    fn sign_out_token(&self, session: &str) -> Option<String> {
        let key = self.key?;
        let mut h = Sha256::new();
        h.update(key);
        h.update(b"sign-out");
        h.update(session.as_bytes());
        Some(hex(&h.finalize()))
    }

    /// How long `client` must wait before trying again, if it must.
    fn wait(&self, client: IpAddr, now: Instant) -> Option<Duration> {
        let mut failures = self.failures.lock().ok()?;
        let list = failures.get_mut(&client)?;
        while list.front().is_some_and(|t| now.duration_since(*t) >= FAILURE_WINDOW) {
            list.pop_front();
        }
        if list.len() < MAX_FAILURES {
            return None;
        }
        let oldest = *list.front()?;
        Some(FAILURE_WINDOW.saturating_sub(now.duration_since(oldest)))
    }

    fn failed(&self, client: IpAddr, now: Instant) {
        let Ok(mut failures) = self.failures.lock() else { return };
        if failures.len() >= MAX_CLIENTS {
            failures.retain(|_, list| list.back().is_some_and(|t| now.duration_since(*t) < FAILURE_WINDOW));
        }
        // Still full of recent failures: a flood from many addresses. They
        // are shared by one bucket, so that memory stays bounded.
        let client = if failures.len() >= MAX_CLIENTS { IpAddr::V4(Ipv4Addr::UNSPECIFIED) } else { client };
        let list = failures.entry(client).or_default();
        list.push_back(now);
        while list.len() > MAX_FAILURES {
            list.pop_front();
        }
    }
}

/// A cookie's value from the request.
fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v)
}

/// The request's live preview session, if it has one.
fn session<'h>(state: &AppState, headers: &'h HeaderMap) -> Option<&'h str> {
    cookie(headers, SESSION_COOKIE).filter(|id| state.preview.valid(id))
}

/// Which audience a request to the site earns: a valid bearer token or
/// preview session gives preview; a wrong bearer token is refused.
pub(crate) fn audience(state: &AppState, headers: &HeaderMap) -> Result<Audience, ()> {
    if headers.contains_key(header::AUTHORIZATION) {
        return bearer_audience(headers, state.config());
    }
    Ok(if session(state, headers).is_some() { Audience::Preview } else { Audience::Public })
}

/// Whether the request came over HTTPS: only a trusted proxy can say so.
fn https(state: &AppState, headers: &HeaderMap) -> bool {
    state.config().trust_proxy
        && headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.split(',').next().is_some_and(|p| p.trim().eq_ignore_ascii_case("https")))
}

/// The client's address: the one a trusted proxy saw, else the peer's;
/// unknown clients share one.
fn client(state: &AppState, request: &Request) -> IpAddr {
    let forwarded = state.config().trust_proxy.then(|| {
        request
            .headers()
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
            .and_then(|ip| ip.trim().parse::<IpAddr>().ok())
    });
    forwarded
        .flatten()
        .or_else(|| request.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip()))
        .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
}

/// Whether a form was sent from this site: `Sec-Fetch-Site` and `Origin`,
/// when the browser sends them, must say so.
fn same_origin(headers: &HeaderMap) -> bool {
    let text = |name| headers.get(name).map(|v| v.to_str().unwrap_or("\u{0}"));
    if let Some(site) = text(header::HeaderName::from_static("sec-fetch-site"))
        && !matches!(site, "same-origin" | "none")
    {
        return false;
    }
    match text(header::ORIGIN) {
        None => true,
        Some(origin) => {
            let host = origin.strip_prefix("https://").or_else(|| origin.strip_prefix("http://"));
            host.is_some() && host == text(header::HOST)
        }
    }
}

fn set_cookie(name: &str, value: &str, path: &str, max_age: Option<Duration>, secure: bool) -> Option<HeaderValue> {
    let mut c = format!("{name}={value}; HttpOnly; SameSite=Strict; Path={path}");
    if let Some(age) = max_age {
        c.push_str(&format!("; Max-Age={}", age.as_secs()));
    }
    if secure {
        c.push_str("; Secure");
    }
    HeaderValue::from_str(&c).ok()
}

/// An HTML answer nobody may store.
fn page(status: StatusCode, html: String, cookies: Vec<HeaderValue>) -> Response {
    let mut response = (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8"), (header::CACHE_CONTROL, "private, no-store")],
        html,
    )
        .into_response();
    for c in cookies {
        response.headers_mut().append(header::SET_COOKIE, c);
    }
    response
}

/// A redirect after a form, with cookies.
fn see_other(to: &'static str, cookies: Vec<HeaderValue>) -> Response {
    let mut response =
        (StatusCode::SEE_OTHER, [(header::LOCATION, to), (header::CACHE_CONTROL, "private, no-store")]).into_response();
    for c in cookies {
        response.headers_mut().append(header::SET_COOKIE, c);
    }
    response
}

/// Renders the preview page for the content being served.
fn render(state: &AppState, audience: Audience, form: PreviewForm<'_>) -> String {
    let snapshot = state.snapshot();
    LiveSite::new(snapshot.view(audience, chrono::Utc::now())).preview(&form)
}

/// The sign-in form with a new anti-forgery token, or the sign-out button.
fn form_page(state: &AppState, headers: &HeaderMap, status: StatusCode, problem: Option<&str>) -> Response {
    if state.config().preview_token.is_none() {
        return page(StatusCode::NOT_FOUND, render(state, Audience::Public, PreviewForm::Off), Vec::new());
    }
    if let Some(id) = session(state, headers)
        && let Some(csrf) = state.preview.sign_out_token(id)
    {
        return page(status, render(state, Audience::Preview, PreviewForm::SignedIn { csrf: &csrf }), Vec::new());
    }
    let Some(csrf) = random_hex() else {
        return page(StatusCode::SERVICE_UNAVAILABLE, render(state, Audience::Public, PreviewForm::Off), Vec::new());
    };
    let cookie = set_cookie(CSRF_COOKIE, &csrf, "/preview", None, https(state, headers));
    let html = render(state, Audience::Public, PreviewForm::SignIn { csrf: &csrf, problem });
    page(status, html, cookie.into_iter().collect())
}

/// `GET /preview`.
pub(crate) async fn show(State(state): State<AppState>, headers: HeaderMap) -> Response {
    form_page(&state, &headers, StatusCode::OK, None)
}

/// The fields of a form body, or the answer refusing it.
async fn fields(state: &AppState, request: Request) -> Result<(HeaderMap, Vec<(String, String)>), Response> {
    let (parts, body) = request.into_parts();
    if !same_origin(&parts.headers) {
        let html = "this form must be sent from this site's own page";
        return Err(form_page(state, &parts.headers, StatusCode::FORBIDDEN, Some(html)));
    }
    let Ok(body) = axum::body::to_bytes(body, MAX_FORM_BYTES).await else {
        return Err(form_page(state, &parts.headers, StatusCode::PAYLOAD_TOO_LARGE, Some("the form is too large")));
    };
    Ok((parts.headers, form_urlencoded::parse(&body).into_owned().collect()))
}

/// `POST /preview`: checks the token and starts a session.
pub(crate) async fn sign_in(State(state): State<AppState>, request: Request) -> Response {
    let Some(token) = state.config().preview_token.clone() else {
        return page(StatusCode::NOT_FOUND, render(&state, Audience::Public, PreviewForm::Off), Vec::new());
    };
    let client = client(&state, &request);
    let now = Instant::now();
    if let Some(wait) = state.preview.wait(client, now) {
        let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        let problem = format!("too many wrong tokens: try again in {seconds} s");
        let mut response = form_page(&state, request.headers(), StatusCode::TOO_MANY_REQUESTS, Some(&problem));
        response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds.max(1)));
        return response;
    }
    let (headers, fields) = match fields(&state, request).await {
        Ok(f) => f,
        Err(response) => return response,
    };
    let field = |name: &str| fields.iter().find(|(n, _)| n == name).map_or("", |(_, v)| v.as_str());
    let forged = cookie(&headers, CSRF_COOKIE).is_none_or(|c| c.is_empty() || !equal(c, field("csrf")));
    if forged {
        let problem = "the form had expired: enter the token again";
        return form_page(&state, &headers, StatusCode::FORBIDDEN, Some(problem));
    }
    if !equal(&token, field("token")) {
        state.preview.failed(client, now);
        tracing::info!(%client, "wrong preview token");
        return form_page(&state, &headers, StatusCode::UNAUTHORIZED, Some("that is not the preview token"));
    }
    let Some(id) = state.preview.start() else {
        return form_page(&state, &headers, StatusCode::SERVICE_UNAVAILABLE, Some("preview cannot start now"));
    };
    let secure = https(&state, &headers);
    let cookies = [
        set_cookie(SESSION_COOKIE, &id, "/", Some(SESSION_LIFETIME), secure),
        set_cookie(CSRF_COOKIE, "", "/preview", Some(Duration::ZERO), secure),
    ];
    see_other("/", cookies.into_iter().flatten().collect())
}

/// `POST /preview/logout`: ends the session and clears its cookie.
pub(crate) async fn sign_out(State(state): State<AppState>, request: Request) -> Response {
    let (headers, fields) = match fields(&state, request).await {
        Ok(f) => f,
        Err(response) => return response,
    };
    if let Some(id) = session(&state, &headers) {
        let given = fields.iter().find(|(n, _)| n == "csrf").map_or("", |(_, v)| v.as_str());
        if !state.preview.sign_out_token(id).is_some_and(|t| equal(&t, given)) {
            return form_page(&state, &headers, StatusCode::FORBIDDEN, None);
        }
        state.preview.end(id);
    }
    let clear = set_cookie(SESSION_COOKIE, "", "/", Some(Duration::ZERO), https(&state, &headers));
    see_other("/", clear.into_iter().collect())
}
