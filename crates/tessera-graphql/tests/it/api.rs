use axum::body::Body;
use axum::http::Request;
use serde_json::json;

use crate::{fixture, query, router, send};

#[tokio::test]
async fn the_seed_page_comes_with_its_hero_measures_partners_and_story() {
    let app = router("content");
    let reply = query(
        &app,
        r#"{ page(slug: "civil-society-partnerships") {
              title section locale
              hero { caption media { kind alt credit src } }
              quotes { text source }
              measures { title example pages { slug } }
              partners { name kind }
              fromTheField { title country media { kind src } partners { slug } }
              topics { slug name }
              body { text html }
           } }"#,
    )
    .await;
    assert!(reply["errors"].is_null(), "{reply}");
    let page = &reply["data"]["page"];
    assert_eq!(page["title"], "Civil Society Partnerships");
    assert_eq!(page["hero"]["media"]["credit"], "© UNICEF/NYHQ2010-2523/Giacomo Pirozzi");
    assert_eq!(page["hero"]["media"]["src"], json!(null));
    assert_eq!(page["measures"].as_array().map(Vec::len), Some(3));
    assert!(page["measures"][2]["example"].as_str().is_some_and(|e| e.contains("September 2012")));
    assert_eq!(page["measures"][0]["pages"], json!([{ "slug": "civil-society-partnerships" }]));
    assert_eq!(page["partners"].as_array().map(Vec::len), Some(9));
    assert_eq!(page["partners"][7]["kind"], "DPO");
    assert_eq!(page["fromTheField"][0]["country"], "ME");
    assert_eq!(page["fromTheField"][0]["media"][0]["kind"], "VIDEO");
    // The body as read places the quote after the first paragraph and the
    // measures in full; as written, it says where.
    let html = page["body"]["html"].as_str().unwrap_or_default();
    assert!(
        html.contains("sustainable.</p>\n<p>The Convention on the Rights of Persons with Disabilities (CRPD) says:</p>\n<blockquote>\n<p>States Parties"),
        "{html}"
    );
    assert!(html.contains("<li><p>Ensure partners cooperate"), "{html}");
    assert!(html.contains("in September 2012"), "the example under the third measure: {html}");
    let text = page["body"]["text"].as_str().unwrap_or_default();
    assert!(text.contains("- Advocate for and facilitate dialogue"), "{text}");
    let written = query(
        &app,
        r#"{ page(slug: "civil-society-partnerships") { body { blocks { __typename ... on EmbedBlock { kind slug quote } } } } }"#,
    )
    .await;
    let blocks = &written["data"]["page"]["body"]["blocks"];
    assert_eq!(blocks[1], json!({ "__typename": "EmbedBlock", "kind": null, "slug": null, "quote": 1 }), "{written}");
}

#[tokio::test]
async fn locales_fall_back_and_say_which_one_answered() {
    let app = fixture();
    let reply = query(
        &app,
        r#"{ fr: page(slug: "welcome", locale: "fr") { title locale translations { locale } }
                                 ar: page(slug: "welcome", locale: "ar") { title locale }
                                 s: story(slug: "public-story", locale: "ar") { locale } }"#,
    )
    .await;
    assert_eq!(
        reply["data"]["fr"],
        json!({ "title": "Bienvenue", "locale": "fr", "translations": [{ "locale": "en" }, { "locale": "fr" }] })
    );
    assert_eq!(
        reply["data"]["ar"],
        json!({ "title": "Bienvenue", "locale": "fr" }),
        "the Arabic draft falls back to French"
    );
    assert_eq!(reply["data"]["s"]["locale"], "en");
    let bad = query(&app, r#"{ page(slug: "welcome", locale: "EN_us") { title } }"#).await;
    assert!(bad["errors"][0]["message"].as_str().is_some_and(|m| m.contains("not a valid locale")), "{bad}");
}

#[tokio::test]
async fn connections_page_with_cursors_and_count_totals() {
    let app = router("content");
    let first = query(
        &app,
        "{ partners(first: 4) { totalCount edges { cursor node { slug } } pageInfo { hasNextPage endCursor } } }",
    )
    .await;
    let c = &first["data"]["partners"];
    assert_eq!(c["totalCount"], 9);
    assert_eq!(c["edges"].as_array().map(Vec::len), Some(4));
    assert_eq!(c["pageInfo"]["hasNextPage"], true);
    let after = c["pageInfo"]["endCursor"].as_str().unwrap_or_default().to_owned();
    let next = query(&app, &format!(r#"{{ partners(first: 10, after: "{after}") {{ edges {{ node {{ slug }} }} pageInfo {{ hasNextPage hasPreviousPage }} }} }}"#)).await;
    assert_eq!(next["data"]["partners"]["edges"].as_array().map(Vec::len), Some(5));
    assert_eq!(next["data"]["partners"]["pageInfo"], json!({ "hasNextPage": false, "hasPreviousPage": true }));
    let last = query(&app, "{ partners(last: 2) { edges { node { slug } } } }").await;
    assert_eq!(last["data"]["partners"]["edges"][1]["node"]["slug"], "trade-unions");
    let dpos = query(&app, "{ partners(kind: DPO) { totalCount } measures(partnerKind: DPO) { totalCount } }").await;
    assert_eq!(dpos["data"], json!({ "partners": { "totalCount": 1 }, "measures": { "totalCount": 2 } }));
    let by_title = query(&app, "{ partners(orderBy: TITLE, first: 1) { edges { node { name } } } }").await;
    assert_eq!(by_title["data"]["partners"]["edges"][0]["node"]["name"], "Civic movements and advocacy groups");
    let stories =
        query(&app, r#"{ stories(country: "ME") { totalCount } none: stories(country: "FR") { totalCount } }"#).await;
    assert_eq!(stories["data"], json!({ "stories": { "totalCount": 1 }, "none": { "totalCount": 0 } }));
}

#[tokio::test]
async fn route_resolves_current_paths_and_redirects_legacy_ones() {
    let app = fixture();
    let reply = query(
        &app,
        r#"{
        a: route(path: "/old/welcome.html") { redirect node { id } }
        b: route(path: "https://old.fixture.invalid/welcome") { redirect }
        c: route(path: "/fr/pages/welcome/") { node { ... on Page { title locale } } }
        d: route(path: "/stories/public-story/") { node { id } }
        e: route(path: "/nowhere/") { redirect }
    }"#,
    )
    .await;
    let d = &reply["data"];
    assert_eq!(d["a"], json!({ "redirect": "/pages/welcome/", "node": null }), "{reply}");
    assert_eq!(d["b"]["redirect"], "/pages/welcome/");
    assert_eq!(d["c"]["node"], json!({ "title": "Bienvenue", "locale": "fr" }));
    assert_eq!(d["d"]["node"]["id"], "story:public-story");
    assert_eq!(d["e"], json!(null));
}

#[tokio::test]
async fn node_finds_any_item_by_global_id() {
    let app = fixture();
    let reply = query(
        &app,
        r#"{ node(id: "measure:public-measure") { id slug ... on Measure { title partnerKinds } }
                                media: node(id: "media:photo") { ... on Media { alt } }
                                nope: node(id: "garbage") { id } }"#,
    )
    .await;
    assert_eq!(reply["data"]["node"]["title"], "A public measure");
    assert_eq!(reply["data"]["node"]["partnerKinds"], json!(["DPO", "TRADE_UNION"]));
    assert_eq!(reply["data"]["media"]["alt"], "Children in a classroom.");
    assert_eq!(reply["data"]["nope"], json!(null));
}

#[tokio::test]
async fn get_requests_work_and_the_service_endpoints_answer() {
    let app = fixture();
    let reply =
        send(&app, Request::get("/graphql?query=%7Bsite%7Btitle%7D%7D").body(Body::empty()).unwrap_or_default()).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json()["data"]["site"]["title"], "Fixture site");
    assert_eq!(reply.header("cache-control"), "public, max-age=60");
    let traced = Request::get("/graphql?query=%7Bsite%7Btitle%7D%7D")
        .header("x-request-id", "abc-123")
        .body(Body::empty())
        .unwrap_or_default();
    assert_eq!(send(&app, traced).await.header("x-request-id"), "abc-123");
    for (path, needle) in
        [("/healthz", "ok"), ("/readyz", "ready"), ("/schema.graphql", "type Query"), ("/graphiql", "graphiql")]
    {
        let reply = send(&app, Request::get(path).body(Body::empty()).unwrap_or_default()).await;
        assert_eq!(reply.status, 200, "{path}");
        assert!(String::from_utf8_lossy(&reply.body).to_lowercase().contains(&needle.to_lowercase()), "{path}");
    }
}

#[tokio::test]
async fn graphiql_is_served_from_the_binary_with_integrity_hashes() {
    let app = fixture();
    let page = send(&app, Request::get("/graphiql").body(Body::empty()).unwrap_or_default()).await;
    let html = String::from_utf8_lossy(&page.body).into_owned();
    let mut files = 0;
    // Every file the page loads is served here, and hashes to what the
    // page says, so the browser accepts it.
    for part in html.split("=\"/graphiql/assets/").skip(1) {
        let (name, rest) = part.split_once('"').unwrap_or_else(|| panic!("{html}"));
        let hash = rest.split("integrity=\"").nth(1).and_then(|r| r.split('"').next()).unwrap_or_default();
        let file =
            send(&app, Request::get(format!("/graphiql/assets/{name}")).body(Body::empty()).unwrap_or_default()).await;
        assert_eq!(file.status, 200, "{name}");
        assert_eq!(tessera_graphql::explorer::integrity(&file.body), hash, "{name}");
        assert!(file.header("cache-control").contains("immutable"), "{name}");
        files += 1;
    }
    assert_eq!(files, 4, "{html}");
    assert!(!html.contains("https://"), "nothing from a CDN: {html}");
    let missing = send(&app, Request::get("/graphiql/assets/nope.js").body(Body::empty()).unwrap_or_default()).await;
    assert_eq!(missing.status, 404);
}

#[tokio::test]
async fn the_api_is_read_only() {
    let reply = query(&fixture(), "mutation { deletePage(slug: \"welcome\") }").await;
    assert!(reply["errors"][0]["message"].as_str().is_some_and(|m| m.contains("mutation")), "{reply}");
}

#[tokio::test]
async fn bodies_come_as_a_typed_block_tree() {
    let reply = query(
        &fixture(),
        r#"{ page(slug: "welcome") { body { blocks {
              __typename
              ... on HeadingBlock { level content { ... on TextInline { text } } }
              ... on ParagraphBlock { content { __typename ... on LinkInline { href item { kind slug fragment } content { ... on TextInline { text } } } } }
              ... on ListBlock { ordered items { blocks { ... on ParagraphBlock { content { __typename } } } } }
        } } } }"#,
    )
    .await;
    assert!(reply["errors"].is_null(), "{reply}");
    let blocks = &reply["data"]["page"]["body"]["blocks"];
    assert_eq!(blocks[0], json!({ "__typename": "HeadingBlock", "level": 1, "content": [{ "text": "Welcome" }] }));
    let paragraph = &blocks[1]["content"];
    assert_eq!(paragraph[1]["href"], "/stories/public-story/");
    assert_eq!(paragraph[1]["item"], json!({ "kind": "story", "slug": "public-story", "fragment": null }));
    assert_eq!(paragraph[3]["item"]["fragment"], "detail");
    assert_eq!(blocks[2]["ordered"], false);
    assert_eq!(blocks[2]["items"][1]["blocks"][0]["content"][0]["__typename"], "StrongInline");
}

/// Every old address gets an answer: where it moved, that it waits, or
/// that it is gone and where to look instead; in any form it is written.
#[tokio::test]
async fn route_answers_every_old_address_with_its_state() {
    let app = fixture();
    let reply = query(
        &app,
        r#"{
        moved: route(path: "https://old.fixture.invalid/old/welcome.html?x=1") { state redirect lookInstead oldAddress { url path state title since to } }
        pending: route(path: "/old/press/2009.html") { state redirect node { id } oldAddress { title since to waiting { slug } } }
        review: route(path: "/old/review.html") { state redirect oldAddress { waiting { slug } } }
        retired: route(path: "/old/campaign-2008.html") { state redirect lookInstead oldAddress { title } }
        bare: route(path: "/old/flash-intro.html") { state lookInstead }
        current: route(path: "/pages/welcome/") { state oldAddress { url } }
    }"#,
    )
    .await;
    let d = &reply["data"];
    assert_eq!(
        d["moved"],
        json!({ "state": "MOVED", "redirect": "/pages/welcome/", "lookInstead": null, "oldAddress": {
            "url": "/old/welcome.html", "path": "/old/welcome.html", "state": "MOVED",
            "title": "Welcome to the old site", "since": "2011-05-01", "to": "/pages/welcome/" } }),
        "{reply}"
    );
    assert_eq!(
        d["pending"],
        json!({ "state": "PENDING", "redirect": null, "node": null, "oldAddress": {
            "title": "Press releases 2009", "since": "2009-12-31", "to": null, "waiting": [] } })
    );
    // Unlisted, and carried only by a page in review: unknown to the public,
    // which must not learn of unannounced work.
    assert_eq!(d["review"], json!(null));
    assert_eq!(
        d["retired"],
        json!({ "state": "RETIRED", "redirect": null, "lookInstead": "/pages/welcome/", "oldAddress": { "title": "Campaign 2008" } })
    );
    assert_eq!(d["bare"], json!({ "state": "RETIRED", "lookInstead": null }));
    assert_eq!(d["current"], json!({ "state": "CURRENT", "oldAddress": null }));

    // Preview sees the page in review, so the address has moved there.
    let reply = crate::preview(&app, r#"{ route(path: "/old/review.html") { state redirect } }"#).await;
    assert_eq!(reply["data"]["route"], json!({ "state": "MOVED", "redirect": "/pages/review-page/" }), "{reply}");
}

/// The move's counts are public; the list of pending addresses is for
/// preview, oldest first, with the pages waiting to carry them.
#[tokio::test]
async fn transition_counts_for_everyone_and_lists_pending_addresses_for_preview() {
    let app = fixture();
    let counts = "{ transition { total moved pending retired } }";
    let public = query(&app, counts).await;
    let want = json!({ "transition": { "total": 6, "moved": 2, "pending": 2, "retired": 2 } });
    assert_eq!(public["data"], want, "{public}");
    // Preview counts the states the public sees (a page in review has not
    // moved yet), and also the addresses only such pages carry.
    let want = json!({ "transition": { "total": 8, "moved": 2, "pending": 4, "retired": 2 } });
    assert_eq!(crate::preview(&app, counts).await["data"], want);

    let list = "{ transition { pendingAddresses(first: 2) { totalCount pageInfo { hasNextPage endCursor } nodes { path since waiting { slug } } } } }";
    let refused = query(&app, list).await;
    assert_eq!(refused["data"], json!({ "transition": { "pendingAddresses": null } }), "{refused}");
    assert_eq!(refused["errors"][0]["extensions"]["code"], "PREVIEW_ONLY", "{refused}");
    let listed = crate::preview(&app, list).await;
    let page = &listed["data"]["transition"]["pendingAddresses"];
    assert_eq!(page["totalCount"], 4, "{listed}");
    assert_eq!(
        page["nodes"],
        json!([
            { "path": "/old/press/2009.html", "since": "2009-12-31", "waiting": [] },
            { "path": "/about/history.html", "since": "2010-03-15", "waiting": [] }
        ])
    );
    let after = page["pageInfo"]["endCursor"].as_str().unwrap_or_default();
    let rest = crate::preview(
        &app,
        &format!("{{ transition {{ pendingAddresses(after: \"{after}\") {{ nodes {{ path waiting {{ slug status }} }} }} }} }}"),
    )
    .await;
    assert_eq!(
        rest["data"]["transition"]["pendingAddresses"]["nodes"],
        json!([
            { "path": "/old/embargoed.html", "waiting": [{ "slug": "embargoed-page", "status": "PUBLISHED" }] },
            { "path": "/old/review.html", "waiting": [{ "slug": "review-page", "status": "REVIEW" }] }
        ]),
        "{rest}"
    );
}

/// The seed page's address on the legacy site is recorded, and `route`
/// finds it in any form an old link may have.
#[tokio::test]
async fn the_seed_pages_old_address_redirects_in_any_form() {
    let app = crate::router("content");
    for path in [
        "https://www.unicef.org/disabilities/index_65711.html",
        "/disabilities/index_65711.html",
        "http://www.unicef.org/disabilities/index_65711.html?print=1",
    ] {
        let reply = crate::query(&app, &format!("{{ route(path: \"{path}\") {{ redirect }} }}")).await;
        assert_eq!(reply["data"]["route"]["redirect"], "/pages/civil-society-partnerships/", "{path}: {reply}");
    }
}

/// An unknown topic is an error, like an unknown country, in every list
/// and in search: not a silently empty answer.
#[tokio::test]
async fn unknown_filter_values_are_errors_everywhere() {
    let app = crate::fixture();
    for q in [
        "{ pages(topic: \"no-such-topic\") { totalCount } }",
        "{ measures(topic: \"no-such-topic\") { totalCount } }",
        "{ partners(topic: \"no-such-topic\") { totalCount } }",
        "{ stories(topic: \"no-such-topic\") { totalCount } }",
        "{ search(query: \"welcome\", topics: [\"no-such-topic\"]) { totalCount } }",
    ] {
        let reply = crate::query(&app, q).await;
        let message = reply["errors"][0]["message"].as_str().unwrap_or_default().to_owned();
        assert!(message.contains("no topic named `no-such-topic`"), "{q}: {reply}");
    }
    let reply = crate::query(&app, "{ stories(country: \"XX\") { totalCount } }").await;
    assert!(!reply["errors"].is_null(), "{reply}");
    let known = crate::query(&app, "{ pages(topic: \"education\") { totalCount } }").await;
    assert!(known["errors"].is_null(), "{known}");
}

/// A locale the site does not have searches as the default locale, as an
/// item asked for in it is the default locale's: not a silently empty
/// answer. `first: 0` gives the count alone.
#[tokio::test]
async fn search_in_a_locale_the_site_lacks_is_the_default_locales() {
    let app = crate::fixture();
    let q = |locale: &str| {
        format!("{{ search(query: \"welcome\"{locale}) {{ totalCount edges {{ node {{ locale }} }} }} }}")
    };
    let default = crate::query(&app, &q("")).await;
    assert!(default["data"]["search"]["totalCount"].as_i64().is_some_and(|n| n > 0), "{default}");
    for locale in [", locale: \"xx\"", ", locale: \"fr-CA\""] {
        let other = crate::query(&app, &q(locale)).await;
        assert_eq!(other["data"], default["data"], "{locale}");
    }
    let counted = crate::query(
        &app,
        "{ search(query: \"welcome\", first: 0) { totalCount pageInfo { hasNextPage } edges { cursor } } }",
    )
    .await;
    assert_eq!(counted["data"]["search"]["totalCount"], default["data"]["search"]["totalCount"], "{counted}");
    assert_eq!(counted["data"]["search"]["edges"], serde_json::json!([]), "{counted}");
    assert_eq!(counted["data"]["search"]["pageInfo"]["hasNextPage"], true, "{counted}");
}
