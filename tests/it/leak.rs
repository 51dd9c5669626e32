//! The leak suite: public items of `tests/fixtures/leak-site` link to, embed
//! and reference a draft page, a measure in review, an embargoed partner, a
//! draft story and media only that story uses. Every public output (every
//! GraphQL field of every type, search, every export format, `read` and the
//! terminal browser's data, locally and over a real socket) is scanned for
//! the hidden items' slugs and titles.

use std::sync::Arc;

use axum::body::Body;
use axum::http::Request;
use http_body_util::BodyExt;
use tessera_core::{Kind, Snapshot};
use tessera_tui::{Location, Source};
use tower::ServiceExt;

use crate::fixture;
use crate::sdl::{Field, Sdl};

/// Hidden slugs all start with `hush-`; hidden titles, captions and credits
/// use words that occur nowhere else.
const HIDDEN: &[&str] = &[
    "hush-",
    "Zanzibarian",
    "Xylographic",
    "Quillwort",
    "Yarrowvale",
    "Vermilion",
    "Wombatish",
    "Umbrageous",
    "/old/hush",
];

fn snapshot() -> Arc<Snapshot> {
    Arc::new(tessera_core::load(&fixture("leak-site")).unwrap_or_else(|e| panic!("{e:?}")))
}

fn assert_clean(what: &str, text: &str) {
    for token in HIDDEN {
        assert!(!text.contains(token), "{what} reveals `{token}`:\n{text}");
    }
}

/// The public items: what the suite reads, and what must stay readable.
const PUBLIC: &[(Kind, &str)] = &[
    (Kind::Page, "front"),
    (Kind::Measure, "open-measure"),
    (Kind::Partner, "open-partner"),
    (Kind::Story, "open-story"),
];

/// Slugs, IDs, paths and words to ask for: public ones and hidden ones.
fn arguments(field: &Field) -> Vec<String> {
    let hidden_slugs = ["hush-draft-page", "hush-review-measure", "hush-embargo-partner", "hush-draft-story"];
    let required: Vec<&str> = field.args.iter().filter(|a| a.required).map(|a| a.name.as_str()).collect();
    match required.as_slice() {
        // Pages of two: the fixture has one public item of each kind, so a
        // page shows every item a leak could hide behind, and the whole
        // selection stays within the complexity limit.
        [] if field.args.iter().any(|a| a.name == "first") => vec!["(first: 2)".to_owned()],
        [] => vec![String::new()],
        ["slug"] => PUBLIC.iter().map(|(_, s)| *s).chain(hidden_slugs).map(|s| format!("(slug: \"{s}\")")).collect(),
        ["id"] => ["page:hush-draft-page", "measure:hush-review-measure", "partner:hush-embargo-partner"]
            .into_iter()
            .chain([
                "story:hush-draft-story",
                "media:hush-secret-photo",
                "media:hush-secret-video",
                "media:hush-fr-photo",
            ])
            .chain(["page:front"])
            .map(|id| format!("(id: \"{id}\")"))
            .collect(),
        ["path"] => ["/old/hush-draft.html", "/pages/hush-draft-page/", "/old/front.html", "/media/hush-secret-photo/"]
            .into_iter()
            .map(|p| format!("(path: \"{p}\")"))
            .collect(),
        ["query"] => ["Zanzibarian", "Yarrowvale", "Vermilion", "Quillwort", "hush", "plan", "story", "front"]
            .into_iter()
            .map(|q| format!("(query: \"{q}\", first: 20)"))
            .collect(),
        // Drafts are never events (`public_changes` reads public views only);
        // the feed of a fresh server holds nothing to leak.
        ["since"] => vec!["(since: \"0000000000000000\")".to_owned()],
        other => panic!("the leak suite does not know how to fill {other:?} of `{}`", field.name),
    }
}

/// Arguments inside a selection: small pages, nothing required.
fn nested_arguments(field: &Field) -> Option<String> {
    if field.args.iter().any(|a| a.required) {
        return None;
    }
    Some(if field.args.iter().any(|a| a.name == "first") { "(first: 2)".to_owned() } else { String::new() })
}

async fn post(app: &axum::Router, query: &str) -> serde_json::Value {
    let body = serde_json::json!({ "query": query }).to_string();
    let request = Request::post("/graphql")
        .header("content-type", "application/json")
        .body(Body::from(body))
        .unwrap_or_else(|e| panic!("{e}"));
    let response = app.clone().oneshot(request).await.unwrap_or_else(|e| panic!("{e}"));
    let bytes = response.into_body().collect().await.map(|b| b.to_bytes()).unwrap_or_default();
    serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&bytes)))
}

#[tokio::test]
async fn every_graphql_field_of_every_type_hides_hidden_items() {
    let state = tessera_graphql::AppState::new(snapshot(), tessera_graphql::ServerConfig::default());
    let app = tessera_graphql::app(state);
    let sdl = Sdl::committed();
    let mut asked = 0;
    for field in sdl.root_fields() {
        for args in arguments(&field) {
            for locale in ["", "fr"] {
                let mut args = args.clone();
                if !locale.is_empty() {
                    if !field.args.iter().any(|a| a.name == "locale") {
                        continue;
                    }
                    args = if args.is_empty() {
                        format!("(locale: \"{locale}\")")
                    } else {
                        format!("{}, locale: \"{locale}\")", args.trim_end_matches(')'))
                    };
                }
                let query = if sdl.is_leaf(&field.ty) {
                    format!("{{ {}{args} }}", field.name)
                } else {
                    let Some(selection) = sdl.select(&field.ty, 4, &nested_arguments) else { continue };
                    format!("{{ {}{args} {{ {selection} }} }}", field.name)
                };
                let reply = post(&app, &query).await;
                // The only errors allowed are the refusal of a preview-only
                // field, and a version the change log does not hold.
                let refusals_only = reply["errors"].as_array().is_none_or(|errors| {
                    errors.iter().all(|e| {
                        ["PREVIEW_ONLY", "UNKNOWN_VERSION"].contains(&e["extensions"]["code"].as_str().unwrap_or(""))
                    })
                });
                assert!(refusals_only, "{query}\n{reply}");
                assert_clean(&query, &reply.to_string());
                asked += 1;
            }
        }
    }
    assert!(asked > 40, "only {asked} queries were asked");

    // The public page still links to what the public may see.
    let reply = post(&app, "{ page(slug: \"front\") { body { markdown html } } }").await;
    let markdown = reply["data"]["page"]["body"]["markdown"].as_str().unwrap_or_default();
    assert!(markdown.contains("[a public link](@/stories/open-story.md)"), "{markdown}");
    assert!(markdown.contains("the plan") && markdown.contains("a nested *link*"), "{markdown}");
    let html = reply["data"]["page"]["body"]["html"].as_str().unwrap_or_default();
    assert!(html.contains("href=\"/stories/open-story/\""), "{html}");
}

#[test]
fn every_export_format_hides_hidden_items() {
    let snapshot = snapshot();
    let options = tessera_export::ExportOptions {
        formats: tessera_export::Formats::ALL,
        base_url: None,
        locales: Vec::new(),
        preview: false,
        now: chrono::Utc::now(),
        relative_links: true,
    };
    let output = tessera_export::render(&snapshot, &options).unwrap_or_else(|e| panic!("{e}"));
    assert!(output.len() > 20, "{} files", output.len());
    for (path, bytes) in &output {
        assert_clean(path, path);
        assert_clean(path, &String::from_utf8_lossy(bytes));
    }
    // With --preview, everything is there: the scan above is not vacuous.
    let preview = tessera_export::render(&snapshot, &tessera_export::ExportOptions { preview: true, ..options })
        .unwrap_or_else(|e| panic!("{e}"));
    let all: String = preview.values().map(|b| String::from_utf8_lossy(b).into_owned()).collect();
    for token in HIDDEN {
        assert!(all.contains(token), "preview export lacks `{token}`");
    }
}

/// Everything the terminal shows from `source`: home, every list, every
/// public item, searches, and `read`.
fn terminal_text<S: Source>(source: &mut S, locale: &str) -> String {
    let mut out = format!("{:?}\n", source.home(locale));
    for kind in [Kind::Page, Kind::Measure, Kind::Partner, Kind::Story] {
        out.push_str(&format!("{:?}\n", source.list(&Location::Kind(kind), locale)));
    }
    out.push_str(&format!("{:?}\n", source.list(&Location::Topic("open".into()), locale)));
    out.push_str(&format!("{:?}\n", source.list(&Location::Country("ME".into()), locale)));
    out.push_str(&format!("{:?}\n", source.list(&Location::Country("KZ".into()), locale)));
    for query in ["Zanzibarian", "Yarrowvale", "plan", "story"] {
        // The query itself is echoed back; what was found is what matters.
        let found = source.search(query, None, locale).map(|d| (d.total, d.hits, d.kinds, d.countries));
        out.push_str(&format!("{found:?}\n"));
    }
    for (kind, slug) in PUBLIC {
        let item = source.item(*kind, slug, locale);
        assert!(item.is_ok(), "{kind:?} {slug}: {item:?}");
        out.push_str(&format!("{item:?}\n"));
        let text = tessera_tui::read(source, *kind, slug, locale, 72, "https://leak.invalid/")
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(text.contains("Links:") || *kind != Kind::Page, "{text}");
        out.push_str(&text);
    }
    out
}

#[test]
fn read_and_the_terminal_hide_hidden_items_locally_and_remotely() {
    let snapshot = snapshot();
    let mut local = tessera_tui::LocalSource::new(snapshot.clone());
    for locale in ["en", "fr"] {
        assert_clean("the terminal (local)", &terminal_text(&mut local, locale));
    }

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let app = tessera_graphql::app(tessera_graphql::AppState::new(snapshot, tessera_graphql::ServerConfig::default()));
    let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap_or_else(|e| panic!("{e}"));
    let addr = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
    runtime.spawn(async move { axum::serve(listener, app).await });
    let mut remote = tessera_tui::RemoteSource::new(&format!("http://{addr}"), None).unwrap_or_else(|e| panic!("{e}"));
    for locale in ["en", "fr"] {
        assert_clean("the terminal (remote)", &terminal_text(&mut remote, locale));
    }
}

/// Markdown written anew from a block tree (what the public gets instead of
/// a body that links to hidden items) must read back as the same tree, or
/// the rewrite would change more than the links.
#[test]
fn markdown_written_from_blocks_reads_back_as_the_same_blocks() {
    let mut checked = 0;
    for root in [crate::workspace().join("content"), fixture("valid-site"), fixture("leak-site")] {
        let snapshot = tessera_core::load(&root).unwrap_or_else(|e| panic!("{e:?}"));
        let bodies = snapshot
            .collection::<tessera_core::Page>()
            .all()
            .iter()
            .map(|d| &d.body)
            .chain(snapshot.collection::<tessera_core::Measure>().all().iter().map(|d| &d.body))
            .chain(snapshot.collection::<tessera_core::Partner>().all().iter().map(|d| &d.body))
            .chain(snapshot.collection::<tessera_core::Story>().all().iter().map(|d| &d.body));
        for body in bodies {
            let written = tessera_core::to_markdown(&body.blocks());
            let again = tessera_core::Body::parse(&written);
            assert_eq!(again.blocks(), body.blocks(), "{}\n--- written as\n{written}", body.markdown());
            checked += 1;
        }
    }
    let tricky = "# Title *em*\n\n1986. was a year; 3) too. A * star, _under_ `co`de` and \\ back.\n\n\
                  - one\n- two\n  continued\n\n  second para\n\n> quote\n>\n> > nested [l](https://x.org/a_(b) \"t\\\"q\")\n\n\
                  ```rust\nlet a = \"```\";\n```\n\n| a | b |\n|:-|-:|\n| x \\| y | ![alt *x*](/i.png) |\n\n---\n\n\
                  +not a list, #not a heading, <b>raw</b> &amp; entity\\\nhard break";
    let body = tessera_core::Body::parse(tricky);
    let written = tessera_core::to_markdown(&body.blocks());
    assert_eq!(tessera_core::Body::parse(&written).blocks(), body.blocks(), "{written}");
    assert!(checked > 20, "{checked} bodies");
}
