//! One test over a real TCP socket: what only a real connection shows.

use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::test]
async fn the_server_answers_over_a_real_socket() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap_or_else(|e| panic!("{e}"));
    let addr = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
    let app = crate::fixture();
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
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
