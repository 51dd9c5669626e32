//! `search` through GraphQL: ranked hits resolved to items, facets, paging,
//! clear errors, and visibility on both sides of the preview token.

use serde_json::json;

use crate::{fixture, preview, query, router};

#[tokio::test]
async fn search_finds_items_with_snippets_and_facets() {
    let app = router("content");
    let reply = query(
        &app,
        r#"{ search(query: "montenagro") { totalCount suggestions facets { kinds { value count } countries { value count } }
              edges { cursor node { score snippetHtml item { __typename id ... on Story { title country } } } } } }"#,
    )
    .await;
    assert!(reply["errors"].is_null(), "{reply}");
    let s = &reply["data"]["search"];
    assert_eq!(s["totalCount"], 1);
    // The typo is forgiven, and the word the index knows is suggested.
    assert_eq!(s["suggestions"], json!(["montenegro"]));
    assert_eq!(s["facets"]["kinds"], json!([{ "value": "story", "count": 1 }]));
    assert_eq!(s["facets"]["countries"], json!([{ "value": "ME", "count": 1 }]));
    let node = &s["edges"][0]["node"];
    assert_eq!(
        node["item"],
        json!({ "__typename": "Story", "id": "story:its-about-ability", "title": "It's about ability", "country": "ME" })
    );
    assert!(node["snippetHtml"].as_str().is_some_and(|h| h.starts_with("<mark>Montenegro</mark>")), "{node}");
}

#[tokio::test]
async fn search_filters_and_pages() {
    let app = router("content");
    let first = query(&app, r#"{ search(query: "organizations", kinds: [PARTNER], first: 1) { totalCount pageInfo { hasNextPage endCursor } edges { node { item { __typename } } } } }"#).await;
    let s = &first["data"]["search"];
    assert!(s["totalCount"].as_u64().is_some_and(|n| n >= 2), "{first}");
    assert_eq!(s["edges"][0]["node"]["item"]["__typename"], "Partner");
    assert_eq!(s["pageInfo"]["hasNextPage"], true);
    let after = s["pageInfo"]["endCursor"].as_str().unwrap_or_default().to_owned();
    let next = query(&app, &format!(r#"{{ search(query: "organizations", kinds: [PARTNER], first: 1, after: "{after}") {{ pageInfo {{ hasPreviousPage }} edges {{ cursor }} }} }}"#)).await;
    assert_eq!(next["data"]["search"]["pageInfo"]["hasPreviousPage"], true);
    assert_eq!(next["data"]["search"]["edges"][0]["cursor"], "1");
    let bad = query(&app, r#"{ search(query: "   ") { totalCount } }"#).await;
    assert_eq!(bad["errors"][0]["message"], "type something to search for");
    let hostile = query(&app, r#"{ search(query: "title:(x OR \"y") { totalCount } }"#).await;
    assert!(hostile["errors"].is_null(), "{hostile}");
}

#[tokio::test]
async fn search_never_shows_the_public_what_only_preview_may_see() {
    let app = fixture();
    let q = r#"{ search(query: "draft") { edges { node { item { id } } } } }"#;
    let public = query(&app, q).await;
    assert!(!public.to_string().contains("draft-page"), "{public}");
    let shown = preview(&app, q).await;
    assert!(shown.to_string().contains("page:draft-page"), "{shown}");
}
