//! Change notifications over HTTP: Server-Sent Events at `/events`, the
//! `contentChanged` subscription over graphql-transport-ws at `/graphql`,
//! and the push webhook of a followed repository at `/hooks/git`.

use std::collections::HashSet;
use std::convert::Infallible;
use std::str::FromStr;
use std::time::Duration;

use async_graphql::http::{ALL_WEBSOCKET_PROTOCOLS, WebSocketProtocols, WsMessage};
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{FromRequestParts, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::{SinkExt, StreamExt};
use tokio::sync::broadcast::error::RecvError;

use crate::changes::ChangeEvent;
use crate::server::{AppState, NO_STORE};

/// How often an idle stream or socket sends something, well inside the
/// server's idle-connection limit and a proxy's read timeout.
pub const KEEP_ALIVE: Duration = Duration::from_secs(5);

fn sse_event(e: &ChangeEvent) -> Event {
    Event::default().id(e.id.clone()).event(e.event_type()).data(e.payload().to_string())
}

/// `GET /events`: each public change as a Server-Sent Event (`id` is the
/// change's id, `event` its type, `data` the webhook payload). Optional
/// `?types=item.updated,item.deleted`. A client that reconnects with
/// `Last-Event-ID` first gets what it missed, when the log still holds
/// it; otherwise an event `reset` tells it to catch up with
/// `changes(since:)`.
pub(crate) async fn stream(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: axum::extract::Query<Vec<(String, String)>>,
) -> Response {
    let types: Option<HashSet<String>> = query
        .0
        .iter()
        .find(|(k, _)| k == "types")
        .map(|(_, v)| v.split(',').map(|t| t.trim().to_owned()).filter(|t| !t.is_empty()).collect::<HashSet<String>>())
        // `?types=` with nothing in it asks for no filter, not for nothing.
        .filter(|t| !t.is_empty());
    if let Some(unknown) =
        types.iter().flatten().find(|t| !tessera_core::ChangeKind::ALL.iter().any(|k| k.event_type() == *t))
    {
        let known: Vec<&str> = tessera_core::ChangeKind::ALL.iter().map(|k| k.event_type()).collect();
        // Quoted and escaped: the name came from the request.
        let text = format!("unknown event type {unknown:?} in `types`: use {}\n", known.join(", "));
        return (StatusCode::BAD_REQUEST, [(header::CACHE_CONTROL, NO_STORE)], text).into_response();
    }
    let wanted = move |e: &ChangeEvent| types.as_ref().is_none_or(|t| t.contains(e.event_type()));
    let feed = state.feed();
    // Listen first, then read the backlog: nothing falls between the two
    // (what is in both is sent once).
    let receiver = feed.subscribe();
    let mut first: Vec<Event> = Vec::new();
    let mut sent = HashSet::new();
    if let Some(last) = headers.get("last-event-id").and_then(|v| v.to_str().ok()) {
        match feed.after_event(last) {
            Some(missed) => {
                for e in missed.iter().filter(|e| wanted(e)) {
                    sent.insert(e.id.clone());
                    first.push(sse_event(e));
                }
            }
            None => first.push(Event::default().event("reset").data(
                serde_json::json!({
                    "message": "that event is not in the change log, or too many followed it: catch up with changes(since:)",
                    "version": feed.current(),
                })
                .to_string(),
            )),
        }
    }
    // Shared, not copied for every batch: it holds at most MAX_REPLAY ids.
    let sent = std::sync::Arc::new(sent);
    let live = futures_util::stream::unfold(receiver, move |mut receiver| {
        let wanted = wanted.clone();
        let sent = sent.clone();
        async move {
            loop {
                let events: Vec<Event> = match receiver.recv().await {
                    Ok(batch) => {
                        batch.events.iter().filter(|e| wanted(e) && !sent.contains(&e.id)).map(sse_event).collect()
                    }
                    Err(RecvError::Lagged(n)) => vec![
                        Event::default().event("lagged").data(
                            serde_json::json!({ "missed_versions": n, "message": "catch up with changes(since:)" })
                                .to_string(),
                        ),
                    ],
                    Err(RecvError::Closed) => return None,
                };
                if !events.is_empty() {
                    return Some((futures_util::stream::iter(events), receiver));
                }
            }
        }
    })
    .flatten();
    let body = futures_util::stream::iter(first).chain(live).map(Ok::<Event, Infallible>);
    let mut response = Sse::new(body).keep_alive(KeepAlive::new().interval(KEEP_ALIVE)).into_response();
    let h = response.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(NO_STORE));
    // nginx: pass events on as they come.
    h.insert("x-accel-buffering", HeaderValue::from_static("no"));
    response
}

/// A WebSocket upgrade at `/graphql`: subscriptions over
/// graphql-transport-ws (or the older subscriptions-transport-ws), with a
/// ping every [`KEEP_ALIVE`] so that idle sockets stay open.
pub(crate) async fn websocket(state: AppState, request: axum::extract::Request) -> Response {
    let (mut parts, _body) = request.into_parts();
    let protocol = parts
        .headers
        .get(header::SEC_WEBSOCKET_PROTOCOL)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').find_map(|p| WebSocketProtocols::from_str(p.trim()).ok()));
    let Some(protocol) = protocol else {
        let text = "ask for the graphql-transport-ws subprotocol (Sec-WebSocket-Protocol) to subscribe\n";
        return (StatusCode::BAD_REQUEST, [(header::CACHE_CONTROL, NO_STORE)], text).into_response();
    };
    let upgrade = match WebSocketUpgrade::from_request_parts(&mut parts, &()).await {
        Ok(u) => u,
        Err(rejection) => return rejection.into_response(),
    };
    let schema = state.schema();
    upgrade
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        .max_message_size(crate::server::MAX_BODY_BYTES)
        .on_upgrade(move |socket| talk(socket, schema, protocol))
}

async fn talk(socket: WebSocket, schema: crate::TesseraSchema, protocol: WebSocketProtocols) {
    let (mut sink, incoming) = socket.split();
    let input = incoming.take_while(|m| futures_util::future::ready(m.is_ok())).filter_map(|m| {
        futures_util::future::ready(match m {
            Ok(Message::Text(t)) => Some(t.as_bytes().to_vec()),
            Ok(Message::Binary(b)) => Some(b.to_vec()),
            _ => None,
        })
    });
    let output = async_graphql::http::WebSocket::new(schema, input, protocol);
    futures_util::pin_mut!(output);
    let mut ping = tokio::time::interval(KEEP_ALIVE);
    ping.tick().await;
    loop {
        let message = tokio::select! {
            next = output.next() => match next {
                Some(WsMessage::Text(text)) => Message::Text(text.into()),
                Some(WsMessage::Close(code, reason)) => Message::Close(Some(CloseFrame { code, reason: reason.into() })),
                None => break,
            },
            _ = ping.tick() => Message::Ping(Vec::new().into()),
        };
        if sink.send(message).await.is_err() {
            break;
        }
    }
}

/// `POST /hooks/git`: a forge says the repository was pushed to. A call
/// signed with the hook's secret (GitHub, GitLab or Gitea style) asks for
/// a fetch now and gets 202; any other gets 401 and changes nothing.
/// Calls while a fetch is pending coalesce into it.
pub(crate) async fn git_hook(State(state): State<AppState>, headers: HeaderMap, body: axum::body::Bytes) -> Response {
    let Some(hook) = state.git_hook() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    match tessera_notify::incoming::verify(&headers, &body, &hook.secret) {
        Ok(provider) if (hook.fetch)() => {
            tracing::info!(?provider, "push webhook: fetching now");
            (StatusCode::ACCEPTED, [(header::CACHE_CONTROL, NO_STORE)], "fetching\n").into_response()
        }
        Ok(_) => {
            tracing::error!("push webhook: nothing follows the repository any more");
            let text = "not following the repository: see the server's log\n";
            (StatusCode::SERVICE_UNAVAILABLE, [(header::CACHE_CONTROL, NO_STORE)], text).into_response()
        }
        Err(rejection) => {
            tracing::warn!(%rejection, "push webhook refused");
            (StatusCode::UNAUTHORIZED, [(header::CACHE_CONTROL, NO_STORE)], format!("{rejection}\n")).into_response()
        }
    }
}
