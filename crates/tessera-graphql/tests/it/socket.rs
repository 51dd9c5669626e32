//! One test over a real TCP socket: what only a real connection shows.

use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::test]
async fn the_server_answers_over_a_real_socket() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap_or_else(|e| panic!("{e}"));
    let addr = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
    let app = crate::fixture();
    let server = tokio::spawn(tessera_graphql::serve(listener, app, std::future::pending()));
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap_or_else(|e| panic!("{e}"));
    let body = r#"{"query":"{ site { title } }"}"#;
    let request = format!(
        "POST /graphql HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nAccept: application/graphql-response+json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap_or_else(|e| panic!("{e}"));
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap_or_else(|e| panic!("{e}"));
    assert!(response.starts_with("HTTP/1.1 200 OK"), "{response}");
    assert!(response.to_lowercase().contains("content-type: application/graphql-response+json"), "{response}");
    assert!(response.ends_with(r#"{"data":{"site":{"title":"Fixture site"}}}"#), "{response}");
    server.abort();
}

/// A client that trickles its headers is cut off once the header time is
/// up (slowloris), and headers past the size limit get a 431; meanwhile
/// others are served.
#[tokio::test]
async fn slow_and_oversized_headers_are_cut_off_at_the_socket() {
    use std::time::{Duration, Instant};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap_or_else(|e| panic!("{e}"));
    let addr = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
    let app = crate::fixture();
    let timeout = Duration::from_millis(400);
    let server = tokio::spawn(tessera_graphql::listen::serve_with(listener, app, std::future::pending(), timeout));

    let mut slow = tokio::net::TcpStream::connect(addr).await.unwrap_or_else(|e| panic!("{e}"));
    let started = Instant::now();
    let mut closed = false;
    for byte in b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ".iter().cycle().take(200) {
        if slow.write_all(&[*byte]).await.is_err() {
            closed = true;
            break;
        }
        let mut buf = [0u8; 256];
        if let Ok(Ok(n)) = tokio::time::timeout(Duration::from_millis(50), slow.read(&mut buf)).await {
            // An answer (408) or the end of the stream: either way, cut off.
            closed = n == 0 || buf.starts_with(b"HTTP/1.1 408");
            if closed {
                break;
            }
        }
    }
    assert!(closed, "a client trickling headers was never cut off");
    assert!(started.elapsed() < Duration::from_secs(3), "cut off after {:?}", started.elapsed());

    // A connection that sends nothing at all is closed too.
    let mut silent = tokio::net::TcpStream::connect(addr).await.unwrap_or_else(|e| panic!("{e}"));
    let mut buf = [0u8; 64];
    let read = tokio::time::timeout(Duration::from_secs(3), silent.read(&mut buf)).await;
    assert!(read.is_ok(), "a silent connection was kept open");

    let mut big = tokio::net::TcpStream::connect(addr).await.unwrap_or_else(|e| panic!("{e}"));
    let request =
        format!("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\nConnection: close\r\n\r\n", "a".repeat(64 * 1024));
    let _ = big.write_all(request.as_bytes()).await;
    let mut response = Vec::new();
    let _ = big.read_to_end(&mut response).await;
    assert!(String::from_utf8_lossy(&response).starts_with("HTTP/1.1 431"), "{}", String::from_utf8_lossy(&response));
    server.abort();
}

/// Sends one request over a new connection and reads the whole answer.
async fn exchange(addr: std::net::SocketAddr, request: &str) -> String {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap_or_else(|e| panic!("{e}"));
    stream.write_all(request.as_bytes()).await.unwrap_or_else(|e| panic!("{e}"));
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap_or_else(|e| panic!("{e}"));
    response
}

/// Failed preview sign-ins are counted against the connection's peer
/// address, which only a real socket has.
#[tokio::test]
async fn wrong_preview_tokens_from_one_peer_are_limited_over_a_real_socket() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap_or_else(|e| panic!("{e}"));
    let addr = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
    let server = tokio::spawn(tessera_graphql::serve(listener, crate::fixture(), std::future::pending()));
    let form = exchange(addr, &format!("GET /preview HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n")).await;
    let cookie = form
        .lines()
        .find_map(|l| l.strip_prefix("set-cookie: ").or_else(|| l.strip_prefix("Set-Cookie: ")))
        .and_then(|c| c.split(';').next())
        .unwrap_or_else(|| panic!("{form}"))
        .to_owned();
    let csrf = form.split(r#"name="csrf" value=""#).nth(1).and_then(|r| r.split('"').next()).unwrap_or_default();
    let body = format!("token=wrong-wrong-wrong-wrong&csrf={csrf}");
    let request = format!(
        "POST /preview HTTP/1.1\r\nHost: {addr}\r\nCookie: {cookie}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    for attempt in 0..tessera_graphql::MAX_FAILURES {
        let answer = exchange(addr, &request).await;
        assert!(answer.starts_with("HTTP/1.1 401"), "attempt {attempt}: {answer}");
    }
    let answer = exchange(addr, &request).await;
    assert!(answer.starts_with("HTTP/1.1 429"), "{answer}");
    assert!(answer.to_lowercase().contains("retry-after: "), "{answer}");
    server.abort();
}
