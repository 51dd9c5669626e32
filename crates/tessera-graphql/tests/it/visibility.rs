//! Every entry point hides drafts, reviews and embargoes without the token.

use serde_json::json;

use crate::{fixture, post_request, preview, query, send};

#[tokio::test]
async fn lookups_lists_and_counts_hide_unpublished_items() {
    let app = fixture();
    let q = r#"{ draft: page(slug: "draft-page") { slug } review: page(slug: "review-page") { slug }
                 embargoed: page(slug: "embargoed-page") { slug } story: story(slug: "embargoed-story") { slug }
                 pages { totalCount edges { node { slug } } } measures { totalCount } partners { totalCount } stories { totalCount } }"#;
    let public = query(&app, q).await;
    let d = &public["data"];
    for key in ["draft", "review", "embargoed", "story"] {
        assert_eq!(d[key], json!(null), "{key} leaked");
    }
    assert_eq!(d["pages"]["totalCount"], 2);
    assert_eq!(d["measures"]["totalCount"], 1);
    assert_eq!(d["partners"]["totalCount"], 1);
    assert_eq!(d["stories"]["totalCount"], 1);

    let shown = preview(&app, q).await;
    let d = &shown["data"];
    assert_eq!(d["draft"]["slug"], "draft-page");
    assert_eq!(d["embargoed"]["slug"], "embargoed-page");
    assert_eq!(d["pages"]["totalCount"], 5);
    assert_eq!(d["measures"]["totalCount"], 2);
    let status = preview(&app, "{ pages(status: DRAFT) { edges { node { slug status } } } }").await;
    assert_eq!(status["data"]["pages"]["edges"], json!([{ "node": { "slug": "draft-page", "status": "DRAFT" } }]));
}

#[tokio::test]
async fn references_back_references_node_and_route_hide_them_too() {
    let app = fixture();
    let q = r#"{ page(slug: "welcome") { measures { slug } partners { slug } fromTheField { slug } }
                 measure(slug: "public-measure") { pages { slug } }
                 partner(slug: "public-partner") { stories { slug } }
                 node(id: "page:draft-page") { id }
                 route(path: "/pages/draft-page/") { node { id } } }"#;
    let d = query(&app, q).await["data"].clone();
    assert_eq!(d["page"]["measures"], json!([{ "slug": "public-measure" }]));
    assert_eq!(d["page"]["partners"], json!([{ "slug": "public-partner" }]));
    assert_eq!(d["page"]["fromTheField"], json!([{ "slug": "public-story" }]));
    assert_eq!(d["measure"]["pages"], json!([{ "slug": "welcome" }]));
    assert_eq!(d["partner"]["stories"], json!([{ "slug": "public-story" }]));
    assert_eq!(d["node"], json!(null));
    assert_eq!(d["route"], json!(null));

    let d = preview(&app, q).await["data"].clone();
    assert_eq!(d["page"]["measures"].as_array().map(Vec::len), Some(2));
    assert_eq!(d["measure"]["pages"].as_array().map(Vec::len), Some(3));
    assert_eq!(d["partner"]["stories"].as_array().map(Vec::len), Some(2));
    assert_eq!(d["node"]["id"], "page:draft-page");
    assert_eq!(d["route"]["node"]["id"], "page:draft-page");
}

#[tokio::test]
async fn preview_answers_are_private_and_a_wrong_token_is_refused() {
    let app = fixture();
    let reply = send(&app, post_request("{ site { title } }", Some(crate::TOKEN))).await;
    assert_eq!(reply.header("cache-control"), "private, no-store");
    let reply = send(&app, post_request("{ site { title } }", None)).await;
    assert_eq!(reply.header("cache-control"), "public, max-age=60");
    let wrong =
        send(&app, post_request("{ page(slug: \"draft-page\") { slug } }", Some("a-preview-token-for-tesTS"))).await;
    assert_eq!(wrong.status, 401);
    let body = String::from_utf8_lossy(&wrong.body);
    assert!(
        body.contains("invalid preview token") && !body.contains("tesTS") && !body.contains("draft-page"),
        "{body}"
    );
    // The scheme is case-insensitive and may be followed by several spaces;
    // the token itself is compared exactly, spaces around it included.
    let with = |value: String| {
        axum::http::Request::post("/graphql")
            .header("content-type", "application/json")
            .header("authorization", value)
            .body(axum::body::Body::from("{\"query\": \"{ page(slug: \\\"draft-page\\\") { slug } }\"}"))
            .unwrap_or_default()
    };
    let token = crate::TOKEN;
    for accepted in [format!("bearer {token}"), format!("BEARER  {token}"), format!("BeArEr {token}")] {
        let reply = send(&app, with(accepted.clone())).await;
        assert_eq!(reply.json()["data"]["page"]["slug"], "draft-page", "{accepted}");
    }
    for refused in
        [format!("Bearer {token} "), format!("Bearer {token}x"), format!("Basic {token}"), format!("Bearer{token}")]
    {
        assert_eq!(send(&app, with(refused.clone())).await.status, 401, "{refused}");
    }
}

#[tokio::test]
async fn body_html_does_not_link_to_hidden_items() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let root = dir.path();
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/valid-site");
    std::fs::copy(fixture.join("site.toml"), root.join("site.toml")).unwrap_or_else(|e| panic!("{e}"));
    std::fs::create_dir_all(root.join("pages")).unwrap_or_else(|e| panic!("{e}"));
    std::fs::create_dir_all(root.join("measures")).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(root.join("measures/secret.md"), "+++\ntitle = \"Secret\"\nstatus = \"draft\"\n+++\n")
        .unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(
        root.join("pages/p.md"),
        "+++\ntitle = \"P\"\nstatus = \"published\"\n+++\nSee [the plan](@/measures/secret.md).\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let snapshot = tessera_core::load(root).unwrap_or_else(|e| panic!("{e:?}"));
    let config = tessera_graphql::ServerConfig { preview_token: Some(crate::TOKEN.to_owned()), ..Default::default() };
    let app = tessera_graphql::app(tessera_graphql::AppState::new(std::sync::Arc::new(snapshot), config));
    let q = r#"{ page(slug: "p") { body { html } } }"#;
    assert_eq!(query(&app, q).await["data"]["page"]["body"]["html"], "<p>See the plan.</p>\n");
    assert!(
        preview(&app, q).await["data"]["page"]["body"]["html"]
            .as_str()
            .is_some_and(|h| h.contains("href=\"/measures/secret/\""))
    );
}
