//! The benchmark's upper bound: a bare axum handler that answers every
//! request with the same bytes, read once from a file. Whatever this
//! reaches is the most HTTP on this machine allows.
//!
//! usage: cargo run --release -p tessera-graphql --example bare_axum -- RESPONSE_FILE ADDR

use axum::Router;
use axum::http::header;
use axum::routing::post;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let (Some(file), Some(addr)) = (args.next(), args.next()) else {
        eprintln!("usage: bare_axum RESPONSE_FILE ADDR");
        std::process::exit(2);
    };
    let bytes = axum::body::Bytes::from(std::fs::read(&file)?);
    let app = Router::new().route(
        "/graphql",
        post(move || {
            let bytes = bytes.clone();
            async move { ([(header::CONTENT_TYPE, "application/json; charset=utf-8")], bytes) }
        }),
    );
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    eprintln!("bare axum on http://{addr}/graphql serving {file}");
    axum::serve(listener, app).await
}
