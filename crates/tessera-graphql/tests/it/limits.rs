//! Hostile queries get a clear error, fast, and never a crash.

use axum::body::Body;
use axum::http::Request;
use futures_util::StreamExt;

use crate::{fixture, query, send};

fn message(reply: &serde_json::Value) -> String {
    reply["errors"][0]["message"].as_str().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn deep_queries_are_refused() {
    let deep = "{ page(slug: \"welcome\") { measures { pages { measures { pages { measures { pages { measures { pages { measures { pages { slug } } } } } } } } } } } }";
    let reply = query(&fixture(), deep).await;
    assert_eq!(message(&reply), "query is nested deeper than 10 fields", "{reply}");
    assert!(reply["data"].is_null());
}

#[tokio::test]
async fn complex_queries_are_refused() {
    let app = fixture();
    let one = "pages(first: 100) { edges { node { slug title summary measures { title partnerKinds } } } }";
    let reply = query(&app, &format!("{{ {one} }}")).await;
    assert!(reply["errors"].is_null(), "one large page is fine: {reply}");
    let reply = query(&app, &format!("{{ a: {one} b: {one} c: {one} }}")).await;
    assert!(message(&reply).contains("too complex"), "{reply}");
    let fields: String = (0..31).map(|i| format!("a{i}: site {{ title }} ")).collect();
    let reply = send(&app, crate::post_request(&format!("{{ {fields} }}"), None)).await;
    // A legacy `application/json` client gets 200 with the error (GraphQL over HTTP).
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("cache-control"), "no-store");
    assert!(message(&reply.json()).contains("too many aliases (at most 30)"));
}

#[tokio::test]
async fn oversized_pages_queries_and_bodies_are_refused() {
    let app = fixture();
    let reply = query(&app, "{ pages(first: 101) { totalCount } }").await;
    assert!(message(&reply).contains("at most 100"), "{reply}");
    let reply = query(&app, "{ pages(first: -1) { totalCount } }").await;
    assert!(message(&reply).contains("negative"), "{reply}");

    let padding = " ".repeat(17 * 1024);
    let big = send(&app, crate::post_request(&format!("{{ site {{ title }} {padding}}}"), None)).await;
    assert_eq!(big.status, 413);
    assert!(String::from_utf8_lossy(&big.body).contains("16 KiB"));

    // Over the 64 KiB body limit: refused from the Content-Length, unread.
    let huge = "x".repeat(100 * 1024);
    let request = Request::post("/graphql")
        .header("content-type", "application/json")
        .header("content-length", huge.len())
        .body(Body::from(huge))
        .unwrap_or_default();
    let reply = send(&app, request).await;
    assert_eq!(reply.status, 413);
}

#[tokio::test]
async fn too_many_directives_and_broken_json_get_clear_errors() {
    let app = fixture();
    let reply = query(&app, "{ site @include(if: true) @include(if: true) @include(if: true) @include(if: true) @include(if: true) { title } }").await;
    assert!(!message(&reply).is_empty(), "{reply}");
    let request = Request::post("/graphql")
        .header("content-type", "application/json")
        .body(Body::from("{not json"))
        .unwrap_or_default();
    let reply = send(&app, request).await;
    assert_eq!(reply.status, 400);
    let bad_cursor = query(&app, "{ pages(after: \"../../etc/passwd\") { totalCount } }").await;
    assert!(message(&bad_cursor).contains("not a cursor"), "{bad_cursor}");
}

#[tokio::test]
async fn a_request_that_never_finishes_is_cut_off_by_the_timeout() {
    use std::sync::Arc;
    use std::time::{Duration, Instant};
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/valid-site");
    let snapshot = tessera_core::load(&root).unwrap_or_else(|e| panic!("{e:?}"));
    let config = tessera_graphql::ServerConfig { timeout: Duration::from_millis(200), ..Default::default() };
    let app = tessera_graphql::app(tessera_graphql::AppState::new(Arc::new(snapshot), config));
    // A slow client: the body starts, then never ends.
    let stream =
        futures_util::stream::once(async { Ok::<_, std::io::Error>(axum::body::Bytes::from_static(b"{\"query\":")) })
            .chain(futures_util::stream::pending());
    let request = Request::post("/graphql")
        .header("content-type", "application/json")
        .body(Body::from_stream(stream))
        .unwrap_or_default();
    let started = Instant::now();
    let reply = send(&app, request).await;
    assert_eq!(reply.status, 408);
    assert!(started.elapsed() < Duration::from_secs(5));
}

fn get(uri: &str) -> Request<Body> {
    Request::get(uri).header("accept", "application/graphql-response+json").body(Body::empty()).unwrap_or_default()
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

/// Deep literals, selections and variables are refused by measuring the
/// text before parsing: on the old server each of these overflowed the
/// stack and aborted the process.
#[tokio::test]
async fn nesting_is_measured_before_parsing_over_post_and_get() {
    let app = fixture();
    let lists = format!("{{ nosuch(a: {}1{}) }}", "[".repeat(3000), "]".repeat(3000));
    let objects = format!("{{ nosuch(a: {}1{}) }}", "{a:".repeat(3000), "}".repeat(3000));
    let selections = format!("{}x{}", "{ a ".repeat(3000), "}".repeat(3000));
    for q in [&lists, &objects, &selections] {
        let reply = query(&app, q).await;
        assert_eq!(message(&reply), "query is nested deeper than 64 levels of brackets", "{}", &q[..40]);
        let reply = send(&app, get(&format!("/graphql?query={}", encode(q)))).await;
        assert_eq!(reply.status, 400);
        assert_eq!(message(&reply.json()), "query is nested deeper than 64 levels of brackets");
    }
    // Brackets inside strings and comments do not count.
    let harmless = format!("{{ site {{ title }} }} # {}", "[".repeat(3000));
    assert!(query(&app, &harmless).await["errors"].is_null());

    let deep = format!("{}1{}", "[".repeat(3000), "]".repeat(3000));
    let body = format!("{{\"query\": \"query($v: [Int]) {{ site {{ title }} }}\", \"variables\": {{\"v\": {deep}}}}}");
    let request = Request::post("/graphql").header("content-type", "application/json").body(Body::from(body));
    let reply = send(&app, request.unwrap_or_default()).await;
    assert_eq!(message(&reply.json()), "variables are nested deeper than 64 levels");
    let uri = format!(
        "/graphql?query={}&variables={}",
        encode("query($v: [Int]) { site { title } }"),
        encode(&format!("{{\"v\": {deep}}}"))
    );
    let reply = send(&app, get(&uri)).await;
    assert_eq!(message(&reply.json()), "variables are nested deeper than 64 levels");
}

/// 30 fragments that each spread the previous one twice ask for 2^30
/// fields; each fragment is counted once, so the refusal is immediate.
#[tokio::test]
async fn fragment_explosions_are_refused_at_once() {
    let app = fixture();
    let mut q = String::from("fragment F0 on Query { site { title } }\n");
    for i in 1..=30 {
        q.push_str(&format!("fragment F{i} on Query {{ ...F{} ...F{} }}\n", i - 1, i - 1));
    }
    q.push_str("{ ...F30 }");
    let started = std::time::Instant::now();
    let reply = query(&app, &q).await;
    assert_eq!(message(&reply), "query expands to more than 2000 fields once fragments are expanded");
    assert!(started.elapsed() < std::time::Duration::from_secs(2));
    let cycle = query(&app, "fragment A on Query { ...B } fragment B on Query { ...A } { ...A }").await;
    assert!(message(&cycle).contains("spreads itself"), "{cycle}");
}

/// `search` counts by its page size like every other list.
#[tokio::test]
async fn search_counts_toward_complexity_by_its_page_size() {
    let app = fixture();
    let one =
        "search(query: \"welcome\", first: 100) { edges { node { item { ... on Page { title body { html } } } } } }";
    assert!(query(&app, &format!("{{ {one} }}")).await["errors"].is_null());
    let many: String = (0..30).map(|i| format!("s{i}: {one} ")).collect();
    let reply = query(&app, &format!("{{ {many} }}")).await;
    assert!(message(&reply).starts_with("query is too complex: it costs more than 2000"), "{reply}");
    // A search is work even for one hit: a request holds only a handful.
    let small: String = (0..10).map(|i| format!("s{i}: search(query: \"a\", first: 1) {{ totalCount }} ")).collect();
    let reply = query(&app, &format!("{{ {small} }}")).await;
    assert!(message(&reply).starts_with("query is too complex"), "{reply}");
    let five: String = (0..5).map(|i| format!("s{i}: search(query: \"a\", first: 1) {{ totalCount }} ")).collect();
    assert!(query(&app, &format!("{{ {five} }}")).await["errors"].is_null());
}

/// Tools load the schema with the standard introspection query (here the
/// one the `graphql` npm package writes); it nests type references deeper
/// than content queries may, and must still pass.
#[tokio::test]
async fn the_standard_introspection_query_works_within_the_limits() {
    let app = fixture();
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.ci/hostile/introspection.graphql");
    let q = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{e}"));
    let reply = query(&app, &q).await;
    assert!(reply["errors"].is_null(), "{reply}");
    assert!(reply["data"]["__schema"]["types"].as_array().is_some_and(|t| t.len() > 20));
}

#[tokio::test]
async fn protocol_details_follow_graphql_over_http() {
    let app = fixture();
    // HEAD is GET without the body.
    let head = Request::head(format!("/graphql?query={}", encode("{ site { title } }")))
        .body(Body::empty())
        .unwrap_or_default();
    let reply = send(&app, head).await;
    assert_eq!(reply.status, 200);
    assert!(reply.body.is_empty());
    // GET is for queries: a mutation is 405 with `Allow: POST`.
    let reply = send(&app, get(&format!("/graphql?query={}", encode("mutation { x }")))).await;
    assert_eq!(reply.status, 405);
    assert_eq!(reply.header("allow"), "POST");
    // A JSON array (a batch) is refused clearly.
    let request = Request::post("/graphql")
        .header("content-type", "application/json")
        .header("accept", "application/graphql-response+json")
        .body(Body::from("[{\"query\": \"{ site { title } }\"}]"))
        .unwrap_or_default();
    let reply = send(&app, request).await;
    assert_eq!(reply.status, 400);
    assert!(message(&reply.json()).contains("batched requests"));
    // An oversized body is a GraphQL error a JSON client can read.
    let huge = format!("{{\"query\": \"{{ site {{ title }} }}\", \"x\": \"{}\"}}", "x".repeat(70 * 1024));
    let request = Request::post("/graphql").header("content-type", "application/json").body(Body::from(huge));
    let reply = send(&app, request.unwrap_or_default()).await;
    assert_eq!(reply.status, 413);
    assert_eq!(reply.header("content-type"), "application/json; charset=utf-8");
    assert!(message(&reply.json()).contains("64 KiB"));
    // Errors are never publicly cacheable.
    let unknown = "{\"persistedQuery\":{\"version\":1,\"sha256Hash\":\"0000\"}}";
    let reply = send(&app, get(&format!("/graphql?extensions={}", encode(unknown)))).await;
    assert!(String::from_utf8_lossy(&reply.body).contains("PersistedQueryNotFound"));
    assert_eq!(reply.header("cache-control"), "no-store");
    let reply = send(&app, get(&format!("/graphql?query={}", encode("{ nosuch }")))).await;
    assert_eq!(reply.header("cache-control"), "no-store");
}

/// The answer has a size cap; bodies charge it as they are resolved.
#[tokio::test]
async fn oversized_answers_are_refused_with_a_clear_error() {
    use std::sync::Arc;
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let root = dir.path();
    std::fs::create_dir(root.join("pages")).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(root.join("site.toml"), "title = \"Big\"\nbase_url = \"https://big.invalid/\"\ndefault_locale = \"en\"\n[[locales]]\ncode = \"en\"\nname = \"English\"\n")
        .unwrap_or_else(|e| panic!("{e}"));
    let paragraph = "All work and no play makes a dull day. ".repeat(2500);
    for i in 0..40 {
        std::fs::write(
            root.join(format!("pages/p{i}.md")),
            format!("+++\ntitle = \"P{i}\"\nstatus = \"published\"\n+++\n{paragraph}\n"),
        )
        .unwrap_or_else(|e| panic!("{e}"));
    }
    let snapshot = tessera_core::load(root).unwrap_or_else(|e| panic!("{e:?}"));
    let app = tessera_graphql::app(tessera_graphql::AppState::new(Arc::new(snapshot), Default::default()));
    let small = query(&app, "{ pages(first: 40) { edges { node { body { text } } } } }").await;
    assert!(small["errors"].is_null(), "4 MB of text is fine");
    let big = query(&app, "{ pages(first: 40) { edges { node { body { markdown html text blocksJson } } } } }").await;
    assert!(message(&big).contains("larger than 8 MiB"), "{}", message(&big));
}

/// Shapes that pass every check before execution but fan out while it
/// runs (introspection's type graph, relation lists inside relation lists)
/// stop at the execution budget, quickly, with an error that says why.
#[tokio::test]
async fn fan_out_stops_at_the_execution_budget() {
    let app = fixture();
    let mut deep = String::from("name");
    for level in 0..13 {
        deep = if level % 2 == 0 { format!("possibleTypes {{ {deep} }}") } else { format!("interfaces {{ {deep} }}") };
    }
    let aliases: String = (0..30).map(|i| format!("t{i}: __type(name: \"Node\") {{ {deep} }} ")).collect();
    let started = std::time::Instant::now();
    let reply = query(&app, &format!("{{ {aliases} }}")).await;
    assert!(message(&reply).contains("more than 50000 fields"), "{}", message(&reply));
    assert!(started.elapsed() < std::time::Duration::from_secs(5), "{:?}", started.elapsed());
}
