//! Telling consumers what changed: the content version on every answer,
//! `changes(since:)`, embargoes lifting, `/events`, the `contentChanged`
//! subscription over a real WebSocket, and the push webhook.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::{TimeZone, Utc};
use futures_util::{SinkExt, StreamExt};
use http_body_util::BodyExt;
use serde_json::Value;
use tessera_graphql::{AppState, GitHook, ServerConfig, app};

use crate::{query, send};

const COMMIT: &str = "0123456789abcdef0123456789abcdef01234567";

fn site() -> (tempfile::TempDir, PathBuf, AppState) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("site");
    crate::reload::copy_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/valid-site"), &root);
    let snapshot = tessera_core::load(&root).unwrap();
    let state = AppState::new(Arc::new(snapshot), ServerConfig::default());
    (dir, root, state)
}

fn edit(root: &Path, rel: &str, from: &str, to: &str) {
    let path = root.join(rel);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(from), "{rel} has no `{from}`");
    std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
}

fn get(uri: &str) -> Request<Body> {
    Request::get(uri).body(Body::empty()).unwrap()
}

async fn version(router: &axum::Router) -> String {
    query(router, "{ contentStatus { version } }").await["data"]["contentStatus"]["version"]
        .as_str()
        .unwrap()
        .to_owned()
}

const SINCE: &str = "query($since: String!, $first: Int, $after: String) {
  changes(since: $since, first: $first, after: $after) {
    since version hasMore changes { id change eventType kind slug locale version previous at }
  }
}";

async fn changes(router: &axum::Router, since: &str, first: usize, after: Option<&str>) -> Value {
    let body = serde_json::json!({ "query": SINCE, "variables": { "since": since, "first": first, "after": after } });
    let request = Request::post("/graphql")
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .unwrap();
    send(router, request).await.json()
}

#[tokio::test]
async fn every_answer_carries_the_version_it_was_read_from() {
    let (_dir, _root, state) = site();
    let router = app(state);
    let reply = send(&router, get("/graphql?query=%7BcontentStatus%7Bversion%7D%7D")).await;
    let said = reply.json()["data"]["contentStatus"]["version"].as_str().unwrap().to_owned();
    assert_eq!(reply.header("x-content-version"), said);
    for uri in ["/", "/readyz", "/no-such-page", "/schema.graphql"] {
        let reply = send(&router, get(uri)).await;
        assert_eq!(reply.header("x-content-version"), said, "{uri}");
    }
    assert!(String::from_utf8_lossy(&send(&router, get("/readyz")).await.body).contains(&said));

    // Content from a commit: the commit is the version, and ETags start with it.
    let (_dir, root, _) = site();
    let snapshot = tessera_core::load(&root).unwrap().with_revision(COMMIT);
    let router = app(AppState::new(Arc::new(snapshot), ServerConfig::default()));
    let reply = send(&router, get("/graphql?query=%7BcontentStatus%7Bversion%7D%7D")).await;
    assert_eq!(reply.header("x-content-version"), COMMIT);
    assert_eq!(reply.json()["data"]["contentStatus"]["version"], COMMIT);
    assert!(reply.header("etag").starts_with("W/\"0123456789ab-"), "{}", reply.header("etag"));
    let page = send(&router, get("/")).await;
    assert!(page.header("etag").starts_with("W/\"0123456789ab-"), "{}", page.header("etag"));
    // Two replicas on one commit give one ETag.
    let (_dir, root, _) = site();
    let other =
        app(AppState::new(Arc::new(tessera_core::load(&root).unwrap().with_revision(COMMIT)), ServerConfig::default()));
    assert_eq!(send(&other, get("/")).await.header("etag"), page.header("etag"));
}

#[tokio::test]
async fn a_reload_publishes_public_changes_and_changes_since_catches_up() {
    let (_dir, root, state) = site();
    let router = app(state.clone());
    let v1 = version(&router).await;

    // A draft edit is no event and no new public version.
    edit(&root, "measures/draft-measure.md", "Draft.", "Draft, edited.");
    state.reload(&root).unwrap();
    assert_eq!(version(&router).await, v1);
    assert_eq!(changes(&router, &v1, 10, None).await["data"]["changes"]["changes"], serde_json::json!([]));

    edit(&root, "pages/welcome.md", "The public page.", "The public page, edited.");
    edit(&root, "pages/draft-page.md", "status = \"draft\"", "status = \"published\"");
    state.reload(&root).unwrap();
    let v2 = version(&router).await;
    assert_ne!(v1, v2);
    let all = changes(&router, &v1, 10, None).await;
    let set = &all["data"]["changes"];
    assert_eq!(set["version"], v2.as_str());
    assert_eq!(set["hasMore"], false);
    let list: Vec<(String, String, String)> = set["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            assert_eq!(c["version"], v2.as_str());
            assert_eq!(c["previous"], v1.as_str());
            assert_eq!(c["kind"], "PAGE");
            (
                c["change"].as_str().unwrap().into(),
                c["slug"].as_str().unwrap().into(),
                c["eventType"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        list,
        [
            ("PUBLISHED".into(), "draft-page".into(), "item.published".into()),
            ("UPDATED".into(), "welcome".into(), "item.updated".into())
        ]
    );
    // Page by page.
    let first = changes(&router, &v1, 1, None).await;
    assert_eq!(first["data"]["changes"]["hasMore"], true);
    let id = first["data"]["changes"]["changes"][0]["id"].as_str().unwrap().to_owned();
    let rest = changes(&router, &v1, 1, Some(&id)).await;
    assert_eq!(rest["data"]["changes"]["changes"][0]["slug"], "welcome");
    assert_eq!(rest["data"]["changes"]["hasMore"], false);
    // Shared caches must ask again each time: the feed moves without the
    // content (an embargo lifting), and a cached "nothing new" would hide it.
    let uri = format!("/graphql?query=%7Bchanges(since:%22{v2}%22)%7Bversion%7D%7D");
    let reply = send(&router, get(&uri)).await;
    assert_eq!(reply.header("cache-control"), "public, no-cache", "{}", String::from_utf8_lossy(&reply.body));
    assert!(!reply.header("etag").is_empty());
    // Up to date: nothing. Unknown: an error that says what to do.
    assert_eq!(changes(&router, &v2, 10, None).await["data"]["changes"]["changes"], serde_json::json!([]));
    let unknown = changes(&router, "0000000000000000", 10, None).await;
    assert_eq!(unknown["errors"][0]["extensions"]["code"], "UNKNOWN_VERSION", "{unknown}");

    // An embargo lifting is an event with no reload.
    let lifted_at = Utc.with_ymd_and_hms(2099, 1, 1, 0, 0, 1).unwrap();
    state.tick(lifted_at);
    let lifted = changes(&router, &v2, 10, None).await;
    let slugs: Vec<&str> = lifted["data"]["changes"]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["change"] == "EMBARGO_LIFTED")
        .map(|c| c["slug"].as_str().unwrap())
        .collect();
    assert_eq!(slugs, ["embargoed-page", "embargoed-story"], "{lifted}");
    // Dated by the embargo's end, not by when this server noticed: every
    // replica says the same.
    for c in lifted["data"]["changes"]["changes"].as_array().unwrap() {
        assert_eq!(c["at"], "2099-01-01T00:00:00.000Z", "{c}");
    }
    // Told once: a second tick at a later instant adds nothing.
    state.tick(lifted_at + chrono::Duration::seconds(5));
    assert_eq!(changes(&router, &v2, 10, None).await["data"]["changes"]["changes"].as_array().unwrap().len(), 2);
}

/// Reads the event stream until `want` is in it, or fails after 10 s.
async fn read_until(body: &mut Body, want: &str) -> String {
    let mut seen = String::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !seen.contains(want) {
        let frame = tokio::time::timeout_at(deadline, body.frame()).await;
        match frame {
            Ok(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    seen.push_str(&String::from_utf8_lossy(data));
                }
            }
            other => panic!("no `{want}` in the stream ({other:?}); got: {seen}"),
        }
    }
    seen
}

#[tokio::test]
async fn events_stream_public_changes_and_resume_after_the_last_id() {
    let (_dir, root, state) = site();
    let router = app(state.clone());
    let bad = send(&router, get("/events?types=item.renamed")).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(String::from_utf8_lossy(&bad.body).contains("item.updated"));

    let odd = send(&router, get("/events?types=%1b%5b2J")).await;
    assert_eq!(odd.status, StatusCode::BAD_REQUEST);
    assert!(!odd.body.contains(&0x1b), "a control character from the request is not echoed raw");
    // An empty filter is no filter: the stream below gets every type.
    let response = tower::ServiceExt::oneshot(router.clone(), get("/events?types=")).await.unwrap();
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let mut body = response.into_body();
    edit(&root, "pages/welcome.md", "The public page.", "The public page, edited.");
    let reloader = state.clone();
    let path = root.clone();
    tokio::task::spawn_blocking(move || reloader.reload(&path).unwrap()).await.unwrap();
    let seen = read_until(&mut body, "\n\n").await;
    assert!(seen.contains("event: item.updated"), "{seen}");
    assert!(seen.contains("\"slug\":\"welcome\""), "{seen}");
    let id = seen.lines().find_map(|l| l.strip_prefix("id: ")).unwrap().to_owned();

    // Two more changes; a client that saw the first resumes after it.
    edit(&root, "pages/archived-page.md", "status = \"archived\"", "status = \"draft\"");
    state.reload(&root).unwrap();
    let request =
        Request::get("/events?types=item.unpublished").header("last-event-id", &id).body(Body::empty()).unwrap();
    let mut resumed = tower::ServiceExt::oneshot(router.clone(), request).await.unwrap().into_body();
    let missed = read_until(&mut resumed, "\n\n").await;
    assert!(missed.contains("event: item.unpublished") && missed.contains("archived-page"), "{missed}");
    assert!(!missed.contains(&id), "what the client saw is not sent again: {missed}");
    // An id the log does not hold: told to catch up.
    let request = Request::get("/events").header("last-event-id", "msg_gone").body(Body::empty()).unwrap();
    let mut reset = tower::ServiceExt::oneshot(router, request).await.unwrap().into_body();
    assert!(read_until(&mut reset, "\n\n").await.contains("event: reset"));
}

fn github_signature(secret: &[u8], body: &[u8]) -> String {
    use hmac::Mac;
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret).unwrap();
    mac.update(body);
    let bytes = mac.finalize().into_bytes();
    format!("sha256={}", bytes.iter().map(|b| format!("{b:02x}")).collect::<String>())
}

#[tokio::test]
async fn the_push_webhook_fetches_only_when_signed() {
    let (_dir, _root, state) = site();
    // Without a followed repository there is no hook.
    let status = send(&app(state.clone()), Request::post("/hooks/git").body(Body::empty()).unwrap()).await.status;
    assert!(status.is_client_error(), "{status}");

    let secret = b"a-webhook-secret-of-some-length".to_vec();
    let fetches = Arc::new(AtomicUsize::new(0));
    let counted = fetches.clone();
    let router = app(state.with_git_hook(GitHook {
        secret: secret.clone(),
        fetch: Box::new(move || {
            counted.fetch_add(1, Ordering::SeqCst);
            true
        }),
    }));
    let body = br#"{"ref":"refs/heads/main"}"#;
    let hook = |name: &str, value: &str| {
        Request::post("/hooks/git").header(name, value).body(Body::from(body.to_vec())).unwrap()
    };
    let unsigned = send(&router, Request::post("/hooks/git").body(Body::from(body.to_vec())).unwrap()).await;
    assert_eq!(unsigned.status, StatusCode::UNAUTHORIZED);
    let wrong = send(&router, hook("x-hub-signature-256", &github_signature(b"another-secret-entirely", body))).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    let token = send(&router, hook("x-gitlab-token", "a-webhook-secret-of-some-lengtX")).await;
    assert_eq!(token.status, StatusCode::UNAUTHORIZED);
    assert_eq!(fetches.load(Ordering::SeqCst), 0, "refused calls change nothing");

    let signed = send(&router, hook("x-hub-signature-256", &github_signature(&secret, body))).await;
    assert_eq!(signed.status, StatusCode::ACCEPTED);
    let gitlab = send(&router, hook("x-gitlab-token", std::str::from_utf8(&secret).unwrap())).await;
    assert_eq!(gitlab.status, StatusCode::ACCEPTED);
    assert_eq!(fetches.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn the_subscription_speaks_graphql_transport_ws_over_a_real_socket() {
    use tokio_tungstenite::tungstenite::{Message, client::IntoClientRequest};
    let (_dir, root, state) = site();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(tessera_graphql::serve(listener, app(state.clone()), std::future::pending()));

    let mut request = format!("ws://{addr}/graphql").into_client_request().unwrap();
    request.headers_mut().insert("sec-websocket-protocol", "graphql-transport-ws".parse().unwrap());
    let (mut socket, response) = tokio_tungstenite::connect_async(request).await.unwrap();
    assert_eq!(response.headers()["sec-websocket-protocol"], "graphql-transport-ws");
    let text = |v: Value| Message::Text(v.to_string().into());
    socket.send(text(serde_json::json!({ "type": "connection_init" }))).await.unwrap();
    assert_eq!(receive(&mut socket).await["type"], "connection_ack");
    let subscribe = serde_json::json!({
        "id": "1", "type": "subscribe",
        "payload": { "query": "subscription { contentChanged(types: [UPDATED]) { change slug locale eventType } }" }
    });
    socket.send(text(subscribe)).await.unwrap();
    // Give the subscription a moment to start listening, then change a page.
    tokio::time::sleep(Duration::from_millis(200)).await;
    edit(&root, "pages/welcome.md", "The public page.", "The public page, edited.");
    tokio::task::spawn_blocking(move || state.reload(&root).unwrap()).await.unwrap();
    let next = receive(&mut socket).await;
    assert_eq!(next["type"], "next", "{next}");
    assert_eq!(next["id"], "1");
    assert_eq!(
        next["payload"]["data"]["contentChanged"],
        serde_json::json!({ "change": "UPDATED", "slug": "welcome", "locale": "en", "eventType": "item.updated" })
    );
    server.abort();
}

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The next text message of the socket, as JSON (pings skipped), within 10 s.
async fn receive(socket: &mut Socket) -> Value {
    use tokio_tungstenite::tungstenite::Message;
    loop {
        let m = tokio::time::timeout(Duration::from_secs(10), socket.next()).await.expect("a message within 10 s");
        match m {
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            Some(Ok(Message::Text(t))) => return serde_json::from_str(&t).unwrap(),
            other => panic!("expected a text message, got {other:?}"),
        }
    }
}
