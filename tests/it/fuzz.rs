//! Bounded fuzzing of the two ways in: content folders (random bytes,
//! random TOML, deep and wide Markdown, odd file types) and requests
//! (random GraphQL documents written from the committed SDL, mutated).
//! The property in both: no panic, no abort, no hang, and an answer a
//! client can read. `cargo test` runs a few cases; CI runs more with
//! `PROPTEST_CASES` (see `.ci/run`).

use std::path::Path;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::Request;
use http_body_util::BodyExt;
use proptest::prelude::*;
use tower::ServiceExt;

use crate::fixture;
use crate::sdl::Sdl;

fn config(default_cases: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(default_cases);
    ProptestConfig { cases, failure_persistence: None, ..ProptestConfig::default() }
}

// ---------------------------------------------------------------- content

/// Markdown built from the constructs that nest, repeated, interleaved.
fn markdown() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("> "),
        Just("- "),
        Just("1. "),
        Just("*"),
        Just("**"),
        Just("_"),
        Just("["),
        Just("](@/pages/p.md)"),
        Just("]("),
        Just("`"),
        Just("```\n"),
        Just("~~~js`x\n"),
        Just("<script>alert(1)</script>\n"),
        Just("| a |\n|---|\n"),
        Just("<div>"),
        Just("\n"),
        Just("\n\n"),
        Just("    "),
        Just("text "),
        Just("![i](x.png)"),
        Just("&amp;"),
        Just("\\"),
    ];
    (proptest::collection::vec((piece, 1usize..400), 0..12))
        .prop_map(|parts| parts.into_iter().map(|(p, n)| p.repeat(n)).collect::<String>())
}

/// TOML front matter: mostly valid fields, sometimes deep arrays, inline
/// tables, wrong types and junk.
fn front_matter() -> impl Strategy<Value = String> {
    let line = prop_oneof![
        Just("title = \"T\"".to_owned()),
        Just("status = \"published\"".to_owned()),
        Just("status = \"draft\"".to_owned()),
        Just("measures = [\"m\"]".to_owned()),
        Just("website = \"javascript:alert(1)\"".to_owned()),
        Just("publish_at = 2999-01-01".to_owned()),
        (1usize..3000).prop_map(|n| format!("x = {}1{}", "[".repeat(n), "]".repeat(n))),
        (1usize..3000).prop_map(|n| format!("y = {}1{}", "{a=".repeat(n), "}".repeat(n))),
        "[a-z_]{1,8} = \"[^\"\\\\\n]{0,20}\"",
        any::<String>(),
    ];
    proptest::collection::vec(line, 0..8).prop_map(|lines| lines.join("\n"))
}

#[derive(Debug, Clone)]
enum Entry {
    Markdown { front: String, body: String },
    Bytes(Vec<u8>),
    Fifo,
    Folder,
    LinkOut,
    LinkLoop,
}

fn entry() -> impl Strategy<Value = Entry> {
    prop_oneof![
        4 => (front_matter(), markdown()).prop_map(|(front, body)| Entry::Markdown { front, body }),
        2 => proptest::collection::vec(any::<u8>(), 0..2048).prop_map(Entry::Bytes),
        1 => Just(Entry::Fifo),
        1 => Just(Entry::Folder),
        1 => Just(Entry::LinkOut),
        1 => Just(Entry::LinkLoop),
    ]
}

fn write_entry(dir: &Path, name: &str, entry: &Entry) {
    let path = dir.join(name);
    let _ = match entry {
        Entry::Markdown { front, body } => std::fs::write(&path, format!("+++\n{front}\n+++\n{body}")),
        Entry::Bytes(bytes) => std::fs::write(&path, bytes),
        Entry::Fifo => std::process::Command::new("mkfifo").arg(&path).status().map(|_| ()),
        Entry::Folder => std::fs::create_dir_all(path.join("inside")),
        #[cfg(unix)]
        Entry::LinkOut => std::os::unix::fs::symlink("/etc/hostname", &path),
        #[cfg(unix)]
        Entry::LinkLoop => std::os::unix::fs::symlink(name, &path),
        #[cfg(not(unix))]
        Entry::LinkOut | Entry::LinkLoop => Ok(()),
    };
}

/// Loads `root` on a thread and waits a bounded time: a hang fails the
/// case instead of hanging the suite.
fn load_bounded(root: &Path) -> Result<Result<(), Vec<tessera_core::Diagnostic>>, String> {
    let root = root.to_owned();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(move || {
            let result = match tessera_core::load(&root) {
                Ok(snapshot) => {
                    // Render what front ends render, to reach every walk of the block tree.
                    let view = snapshot.view(tessera_core::Audience::Public, chrono::Utc::now());
                    for doc in snapshot.collection::<tessera_core::Page>().all() {
                        let body = view.body(doc);
                        let _ = (
                            tessera_core::to_html(&body.blocks()),
                            body.plain_text(),
                            tessera_core::to_markdown(&body.blocks()),
                        );
                    }
                    Ok(())
                }
                Err(tessera_core::LoadError::Invalid { diagnostics }) => Err(diagnostics),
                Err(e) => Err(vec![tessera_core::Diagnostic::error(".", (0, 0), e.to_string())]),
            };
            let _ = tx.send(result);
        })
        .map_err(|e| e.to_string())?;
    rx.recv_timeout(Duration::from_secs(20)).map_err(|_| "the loader did not finish in 20 s".to_owned())
}

proptest! {
    #![proptest_config(config(24))]

    #[test]
    fn any_content_folder_loads_or_is_refused_with_diagnostics(entries in proptest::collection::vec(entry(), 1..6)) {
        let dir = tempfile::tempdir().map_err(|e| TestCaseError::fail(e.to_string()))?;
        let root = dir.path();
        let site = std::fs::read(fixture("invalid/empty-file/site/site.toml")).unwrap_or_default();
        std::fs::write(root.join("site.toml"), site).map_err(|e| TestCaseError::fail(e.to_string()))?;
        std::fs::create_dir(root.join("pages")).map_err(|e| TestCaseError::fail(e.to_string()))?;
        for (i, e) in entries.iter().enumerate() {
            write_entry(&root.join("pages"), &format!("p{i}.md"), e);
        }
        let outcome = load_bounded(root).map_err(TestCaseError::fail)?;
        if let Err(diagnostics) = outcome {
            prop_assert!(!diagnostics.is_empty());
            for d in &diagnostics {
                prop_assert!(!d.message.is_empty());
                prop_assert!(d.path.is_relative(), "{d}");
            }
        }
    }
}

// --------------------------------------------------------------- requests

/// Words arguments are drawn from: real slugs, odd strings, hostile ones.
const STRINGS: &[&str] = &[
    "welcome",
    "public-measure",
    "draft-page",
    "",
    " ",
    "fr",
    "ar",
    "xx-invalid",
    "../../etc/passwd",
    "\\u0000",
    "<script>alert(1)</script>",
    "page:welcome",
    "/pages/welcome/",
    "/old/welcome.html",
    "educaton montenagro",
    "\\\"\\\"\\\"",
    "🙂🙃",
    "a*b?c",
];

/// A random query written from the SDL by `rng`.
struct Writer<'s> {
    sdl: &'s Sdl,
    rng: fastrand::Rng,
    aliases: usize,
}

impl Writer<'_> {
    fn value(&mut self, ty: &str) -> String {
        match ty {
            "Int" if self.rng.u8(..8) == 0 => {
                ["-1", "101", "2147483647", "-2147483648", "\"x\""][self.rng.usize(..5)].to_owned()
            }
            "Int" => ["0", "1", "2", "3", "5"][self.rng.usize(..5)].to_owned(),
            "Float" => "1.5".to_owned(),
            "Boolean" => ["true", "false"][self.rng.usize(..2)].to_owned(),
            "String" | "ID" => format!("\"{}\"", STRINGS[self.rng.usize(..STRINGS.len())]),
            other => {
                let values = self.sdl.enum_values(other);
                if values.is_empty() || self.rng.u8(..10) == 0 {
                    "NOT_A_VALUE".to_owned()
                } else {
                    values[self.rng.usize(..values.len())].clone()
                }
            }
        }
    }

    fn args(&mut self, field: &crate::sdl::Field) -> String {
        let mut parts = Vec::new();
        for a in &field.args {
            if a.required || self.rng.bool() {
                let v = self.value(&a.ty);
                // Sometimes a list where a scalar is expected, and the other way round.
                let v = if self.rng.u8(..40) == 0 { format!("[{v}]") } else { v };
                parts.push(format!("{}: {v}", a.name));
            }
        }
        if parts.is_empty() { String::new() } else { format!("({})", parts.join(", ")) }
    }

    fn selection(&mut self, ty: &str, depth: usize) -> String {
        let members = self.sdl.members(ty);
        if !members.is_empty() {
            let mut parts = vec!["__typename".to_owned()];
            for m in members {
                if self.rng.u8(..3) == 0 && depth > 0 {
                    parts.push(format!("... on {m} {{ {} }}", self.selection(&m, depth - 1)));
                }
            }
            return parts.join(" ");
        }
        let fields = self.sdl.fields(ty);
        if fields.is_empty() {
            return "__typename".to_owned();
        }
        let mut parts = Vec::new();
        let mut used = std::collections::HashSet::new();
        for _ in 0..self.rng.usize(1..5) {
            let f = &fields[self.rng.usize(..fields.len())];
            // A field asked twice with other arguments needs an alias (or
            // the document is invalid, which the damage below covers).
            let repeated = !used.insert(f.name.clone());
            let alias = if repeated || self.rng.u8(..5) == 0 {
                self.aliases += 1;
                format!("a{}: ", self.aliases)
            } else {
                String::new()
            };
            let args = self.args(f);
            let directive = match self.rng.u8(..10) {
                0 => " @include(if: true)",
                1 => " @skip(if: false)",
                2 => " @include(if: $flag)",
                _ => "",
            };
            if self.sdl.is_leaf(&f.ty) {
                parts.push(format!("{alias}{}{args}{directive}", f.name));
            } else if depth > 0 {
                parts.push(format!("{alias}{}{args}{directive} {{ {} }}", f.name, self.selection(&f.ty, depth - 1)));
            }
        }
        if parts.is_empty() { "__typename".to_owned() } else { parts.join(" ") }
    }

    /// A whole document: an operation, sometimes fragments, sometimes damage.
    fn document(&mut self) -> String {
        // Mostly documents that should run, so that resolvers are reached;
        // the rest are refused somewhere on the way, which is tested too.
        let depth = if self.rng.u8(..4) == 0 { self.rng.usize(6..14) } else { self.rng.usize(1..6) };
        let body = self.selection("Query", depth);
        let declare = if body.contains("$flag") { "($flag: Boolean = true)" } else { "" };
        let mut doc = match self.rng.u8(..6) {
            0 => format!("fragment F on Query {{ {body} }}\nquery Q{declare} {{ ...F ...F }}"),
            1 => format!("{{ {} }}", body.replace("$flag", "true")),
            2 => format!("query Q{} {{ {body} }}", declare.replace(" = true", "!")),
            _ => format!("query Q{declare} {{ {body} }}"),
        };
        match self.rng.u8(..16) {
            // Truncated, as a broken client sends it.
            0 => {
                let cut = self.rng.usize(..=doc.len());
                doc = doc.chars().take(cut).collect();
            }
            // Deepened past the nesting limit.
            1 => doc = format!("{{ page(slug: {}\"x\"{}) {{ title }} }}", "[".repeat(200), "]".repeat(200)),
            // Random bytes spliced in.
            2 => {
                let at = self.rng.usize(..=doc.chars().count());
                let junk: String = (0..self.rng.usize(1..20)).map(|_| self.rng.char(..)).collect();
                doc = doc.chars().take(at).chain(junk.chars()).chain(doc.chars().skip(at)).collect();
            }
            _ => {}
        }
        doc
    }
}

fn app() -> &'static axum::Router {
    static APP: OnceLock<axum::Router> = OnceLock::new();
    APP.get_or_init(|| {
        let snapshot = tessera_core::load(&fixture("valid-site")).unwrap_or_else(|e| panic!("{e:?}"));
        let config = tessera_graphql::ServerConfig {
            // Every answer computed: the response cache would hide repeats.
            response_cache: false,
            ..tessera_graphql::ServerConfig::default()
        };
        tessera_graphql::app(tessera_graphql::AppState::new(Arc::new(snapshot), config))
    })
}

fn sdl() -> &'static Sdl {
    static SDL: OnceLock<Sdl> = OnceLock::new();
    SDL.get_or_init(Sdl::committed)
}

fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap_or_else(|e| panic!("{e}"))
    })
}

proptest! {
    #![proptest_config(config(64))]

    #[test]
    fn random_documents_from_the_sdl_get_readable_answers(seed in any::<u64>(), get in any::<bool>(), variables in any::<bool>()) {
        let mut writer = Writer { sdl: sdl(), rng: fastrand::Rng::with_seed(seed), aliases: 0 };
        let doc = writer.document();
        let vars = if variables || seed % 4 != 0 { serde_json::json!({ "flag": true }) } else { serde_json::json!({ "flag": [[["x"]]] }) };
        // Over a few KiB a query goes by POST, as real clients send it.
        let request = if get && doc.len() < 4096 {
            let q: String = url_encode(&doc);
            Request::get(format!("/graphql?query={q}&variables={}", url_encode(&vars.to_string()))).body(Body::empty())
        } else {
            Request::post("/graphql")
                .header("content-type", "application/json")
                .body(Body::from(serde_json::json!({ "query": doc, "variables": vars }).to_string()))
        }
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let started = Instant::now();
        let (status, body) = runtime().block_on(async {
            let response = app().clone().oneshot(request).await.unwrap_or_else(|e| match e {});
            let status = response.status();
            let body = response.into_body().collect().await.map(|b| b.to_bytes().to_vec()).unwrap_or_default();
            (status, body)
        });
        prop_assert!(started.elapsed() < Duration::from_secs(5), "{doc}: took {:?}", started.elapsed());
        prop_assert!(!status.is_server_error(), "{doc}: {status}");
        let json: serde_json::Value = serde_json::from_slice(&body)
            .map_err(|e| TestCaseError::fail(format!("{doc}: not JSON ({e}): {}", String::from_utf8_lossy(&body))))?;
        prop_assert!(json.get("data").is_some() || json.get("errors").is_some(), "{doc}: {json}");
        prop_assert!(!json.to_string().contains("internal error"), "{doc}: {json}");
    }
}

/// Most random documents must run, or the fuzzer only tests the parser.
#[test]
fn the_request_fuzzer_reaches_the_resolvers() {
    let mut ran = 0;
    for seed in 0..200u64 {
        let mut writer = Writer { sdl: sdl(), rng: fastrand::Rng::with_seed(seed), aliases: 0 };
        let doc = writer.document();
        let request = Request::post("/graphql")
            .header("content-type", "application/json")
            .body(Body::from(serde_json::json!({ "query": doc, "variables": { "flag": true } }).to_string()))
            .unwrap_or_else(|e| panic!("{e}"));
        let json: serde_json::Value = runtime().block_on(async {
            let response = app().clone().oneshot(request).await.unwrap_or_else(|e| match e {});
            let body = response.into_body().collect().await.map(|b| b.to_bytes().to_vec()).unwrap_or_default();
            serde_json::from_slice(&body).unwrap_or_default()
        });
        ran += usize::from(json["data"].is_object());
    }
    assert!(ran > 60, "only {ran} of 200 random documents ran");
}

fn url_encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

// ------------------------------------------------------------ the guard

/// GraphQL text built from the tokens that open, close or hide nesting:
/// brackets in long runs, quotes, escapes and comments in short ones.
fn graphql_text() -> impl Strategy<Value = String> {
    let bracket = prop_oneof![Just("["), Just("{"), Just("("), Just("]"), Just("}"), Just(")")];
    let other = prop_oneof![
        Just("\""),
        Just("\"\"\""),
        Just("\\\"\"\""),
        Just("\\"),
        Just("#"),
        Just("\n"),
        Just("{ a(b: "),
        Just(" "),
        Just("x"),
        Just(","),
    ];
    let part = prop_oneof![
        (bracket, 1usize..300).prop_map(|(p, n)| p.repeat(n)),
        (other, 1usize..3).prop_map(|(p, n)| p.repeat(n)),
    ];
    proptest::collection::vec(part, 0..24).prop_map(|parts| parts.concat())
}

proptest! {
    #![proptest_config(config(1024))]

    /// Whatever the text, when the guard lets it through the parser must
    /// not nest deeper than a small stack allows: the guard and the
    /// grammar agree on what is a string, a comment and a bracket.
    #[test]
    fn the_parser_never_recurses_deeper_than_the_guard_measured(text in graphql_text()) {
        if tessera_graphql::guard::query_nesting(&text) <= tessera_graphql::guard::MAX_NESTING {
            // 64 levels need far less than this; 2,000 overflowed 2 MiB.
            let parsed = std::thread::Builder::new()
                .stack_size(512 * 1024)
                .spawn(move || async_graphql::parser::parse_query(&text).is_ok())
                .map_err(|e| TestCaseError::fail(e.to_string()))?
                .join();
            prop_assert!(parsed.is_ok());
        }
    }
}

proptest! {
    #![proptest_config(config(512))]

    /// Markdown written anew from a tree (what the public gets when links
    /// are hidden) must not gain markup: no raw HTML, no link the tree did
    /// not hold.
    #[test]
    fn markdown_written_from_a_tree_gains_no_markup(md in markdown()) {
        let body = tessera_core::Body::parse(&md);
        let written = tessera_core::to_markdown(&body.blocks());
        let again = tessera_core::Body::parse(&written);
        prop_assert!(again.raw_html.is_empty(), "{md:?}\n--- written as\n{written}");
        for link in &again.links {
            prop_assert!(body.links.iter().any(|l| l.target == link.target), "{:?} appeared in\n{written}", link.target);
        }
    }
}
