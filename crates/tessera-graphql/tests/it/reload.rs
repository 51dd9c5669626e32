//! `--watch`: edits are reloaded off the request path and swapped in
//! atomically; a broken edit keeps the last good content serving.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use tessera_graphql::{AppState, ServerConfig, app, watch};

use crate::{post_request, send};
pub(crate) use tessera_tests::copy_dir;

fn page(title: &str) -> String {
    format!(
        "+++\ntitle = \"{title}\"\nstatus = \"published\"\nmeasures = [\"public-measure\"]\n+++\nBody of {title}.\n"
    )
}

const Q: &str = r#"{ contentStatus { version ok errors } page(slug: "reloaded") { title } }"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edits_reload_while_requests_run_and_broken_edits_keep_the_last_good_content() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let root = dir.path().join("site");
    copy_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/valid-site"), &root);
    let file = root.join("pages/reloaded.md");
    std::fs::write(&file, page("Version 0")).unwrap_or_else(|e| panic!("{e}"));
    let snapshot = tessera_core::load(&root).unwrap_or_else(|e| panic!("{e:?}"));
    let config = ServerConfig { preview_token: Some(crate::TOKEN.to_owned()), ..ServerConfig::default() };
    let state = AppState::new(Arc::new(snapshot), config);
    let _watcher = watch(state.clone(), root.clone()).unwrap_or_else(|e| panic!("{e}"));
    let router = app(state);

    // Readers hammer the API the whole time and record what they saw.
    let stop = Arc::new(AtomicBool::new(false));
    let mut readers = Vec::new();
    for _ in 0..3 {
        let (router, stop) = (router.clone(), stop.clone());
        readers.push(tokio::spawn(async move {
            let mut seen: Vec<(String, String)> = Vec::new();
            let mut failures = 0;
            while !stop.load(Ordering::Relaxed) {
                let reply = send(&router, post_request(Q, None)).await;
                let json = reply.json();
                if reply.status != 200 || !json["errors"].is_null() {
                    failures += 1;
                    continue;
                }
                let version = json["data"]["contentStatus"]["version"].as_str().unwrap_or("").to_owned();
                let title = json["data"]["page"]["title"].as_str().unwrap_or("").to_owned();
                seen.push((version, title));
                tokio::task::yield_now().await;
            }
            (seen, failures)
        }));
    }

    let until = |router: axum::Router, want: &'static str| async move {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let json = send(&router, post_request(Q, None)).await.json();
            if json.to_string().contains(want) {
                return json;
            }
            assert!(Instant::now() < deadline, "timed out waiting for {want}: {json}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };

    for i in 1..=3 {
        std::fs::write(&file, page(&format!("Version {i}"))).unwrap_or_else(|e| panic!("{e}"));
        let wanted: &'static str = Box::leak(format!("Version {i}").into_boxed_str());
        until(router.clone(), wanted).await;
    }
    // A broken edit: the last good content keeps serving, and the status says why.
    std::fs::write(&file, "+++\ntitle = \"Broken\nstatus = \"published\"\n+++\n").unwrap_or_else(|e| panic!("{e}"));
    let json = until(router.clone(), "\"ok\":false").await;
    assert_eq!(json["data"]["page"]["title"], "Version 3");
    assert_eq!(json["data"]["contentStatus"]["errors"], serde_json::json!([]), "the public sees no error messages");
    let json = crate::preview(&router, Q).await;
    assert!(
        json["data"]["contentStatus"]["errors"][0].as_str().is_some_and(|e| e.contains("pages/reloaded.md:2:")),
        "{json}"
    );
    // Fixing it reloads again.
    std::fs::write(&file, page("Version 4")).unwrap_or_else(|e| panic!("{e}"));
    until(router.clone(), "Version 4").await;

    stop.store(true, Ordering::Relaxed);
    let mut titles_by_version: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut total = 0;
    for reader in readers {
        let (seen, failures) = reader.await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(failures, 0, "no request may fail during reloads");
        total += seen.len();
        for (version, title) in seen {
            titles_by_version.entry(version).or_default().insert(title);
        }
    }
    assert!(total > 20, "readers ran: {total} requests");
    for (version, titles) in &titles_by_version {
        assert_eq!(titles.len(), 1, "version {version} answered with several contents: {titles:?}");
    }
}

fn fixture_copy() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let root = dir.path().join("site");
    copy_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/valid-site"), &root);
    (dir, root)
}

async fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The loader's own reads must not look like edits: an idle server does
/// not reload (it did, about 8 times a second), and a save that changes
/// nothing reloads nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_watcher_does_no_work_and_only_real_changes_reload() {
    let (_dir, root) = fixture_copy();
    let snapshot = tessera_core::load(&root).unwrap_or_else(|e| panic!("{e:?}"));
    let state = AppState::new(Arc::new(snapshot), ServerConfig::default());
    let _watcher = watch(state.clone(), root.clone()).unwrap_or_else(|e| panic!("{e}"));
    // Reading every file, as a reload does, is not a change.
    tessera_core::load(&root).unwrap_or_else(|e| panic!("{e:?}"));
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(state.reload_count(), 0, "nothing changed, nothing may reload");

    let version = state.snapshot().version();
    std::fs::write(root.join("pages/new.md"), page("New")).unwrap_or_else(|e| panic!("{e}"));
    wait_for("the new page", || state.snapshot().version() != version).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let after = state.reload_count();
    assert!(after >= 1);
    // Its own reload did not trigger another.
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert_eq!(state.reload_count(), after, "a reload must not trigger the next one");
}

/// The watcher tells each reload which files its events named: a new
/// file, a rename (both names), a deletion and an edit are each seen, one
/// reload after another, with no full pass needed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_watcher_follows_creations_renames_deletions_and_edits() {
    let (_dir, root) = fixture_copy();
    let snapshot = tessera_core::load(&root).unwrap_or_else(|e| panic!("{e:?}"));
    let state = AppState::new(Arc::new(snapshot), ServerConfig::default());
    let _watcher = watch(state.clone(), root.clone()).unwrap_or_else(|e| panic!("{e}"));
    let en = tessera_core::Locale::parse("en").unwrap_or_else(|e| panic!("{e}"));
    let title = |slug: &str| -> Option<String> {
        let snapshot = state.snapshot();
        snapshot.collection::<tessera_core::Page>().exact(slug, &en).map(|d| d.meta.title.clone())
    };
    std::fs::write(root.join("pages/watched.md"), page("Watched")).unwrap_or_else(|e| panic!("{e}"));
    wait_for("the new page", || title("watched").as_deref() == Some("Watched")).await;
    std::fs::rename(root.join("pages/watched.md"), root.join("pages/moved.md")).unwrap_or_else(|e| panic!("{e}"));
    wait_for("the renamed page", || title("moved").is_some() && title("watched").is_none()).await;
    std::fs::write(root.join("pages/moved.md"), page("Moved and edited")).unwrap_or_else(|e| panic!("{e}"));
    wait_for("the edit", || title("moved").as_deref() == Some("Moved and edited")).await;
    std::fs::remove_file(root.join("pages/moved.md")).unwrap_or_else(|e| panic!("{e}"));
    wait_for("the deletion", || title("moved").is_none()).await;
    // What the watcher's reloads built is what a fresh load builds.
    let fresh = tessera_core::load(&root).unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(state.snapshot().version(), fresh.version());
    assert!(state.reload_count() >= 4);
}

/// The folder the content path leads to may be replaced whole: a deploy
/// that swaps a symbolic link to a new release, a folder removed and
/// copied again. The watcher then watches the new folder and loads it, and
/// edits made in it are seen as before.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_content_folder_replaced_whole_is_watched_anew() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/valid-site");
    let release = |name: &str, title: &str| {
        let root = dir.path().join(name);
        copy_dir(&fixture, &root);
        std::fs::write(root.join("pages/reloaded.md"), page(title)).unwrap_or_else(|e| panic!("{e}"));
    };
    release("v1", "One");
    release("v2", "Two");
    let current = dir.path().join("current");
    std::os::unix::fs::symlink("v1", &current).unwrap_or_else(|e| panic!("{e}"));
    let snapshot = tessera_core::load(&current).unwrap_or_else(|e| panic!("{e:?}"));
    let state = AppState::new(Arc::new(snapshot), ServerConfig::default());
    let _watcher = watch(state.clone(), current.clone()).unwrap_or_else(|e| panic!("{e}"));
    let en = tessera_core::Locale::parse("en").unwrap_or_else(|e| panic!("{e}"));
    let title = || -> Option<String> {
        let snapshot = state.snapshot();
        snapshot.collection::<tessera_core::Page>().exact("reloaded", &en).map(|d| d.meta.title.clone())
    };
    assert_eq!(title().as_deref(), Some("One"));
    // The link swapped, as deploys do: made beside, renamed over.
    std::os::unix::fs::symlink("v2", dir.path().join("current.tmp")).unwrap_or_else(|e| panic!("{e}"));
    std::fs::rename(dir.path().join("current.tmp"), &current).unwrap_or_else(|e| panic!("{e}"));
    wait_for("the new release", || title().as_deref() == Some("Two")).await;
    std::fs::write(dir.path().join("v2/pages/reloaded.md"), page("Two, edited")).unwrap_or_else(|e| panic!("{e}"));
    wait_for("an edit in the new release", || title().as_deref() == Some("Two, edited")).await;
    // An edit to the old release is not served.
    std::fs::write(dir.path().join("v1/pages/reloaded.md"), page("Old")).unwrap_or_else(|e| panic!("{e}"));
    // The folder removed and copied again.
    std::fs::remove_dir_all(dir.path().join("v2")).unwrap_or_else(|e| panic!("{e}"));
    release("v2", "Copied again");
    wait_for("the folder copied again", || title().as_deref() == Some("Copied again")).await;
    std::fs::write(dir.path().join("v2/pages/reloaded.md"), page("Edited again")).unwrap_or_else(|e| panic!("{e}"));
    wait_for("an edit in the copied folder", || title().as_deref() == Some("Edited again")).await;
    let fresh = tessera_core::load(&current).unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(state.snapshot().version(), fresh.version());
}

/// A FIFO in the content folder is refused, not read: the reload finishes
/// at once with an error, the last good content keeps serving, and the
/// watcher goes on working once it is gone.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fifo_in_the_content_folder_is_an_error_not_a_hang() {
    let (_dir, root) = fixture_copy();
    let snapshot = tessera_core::load(&root).unwrap_or_else(|e| panic!("{e:?}"));
    let config = ServerConfig { preview_token: Some(crate::TOKEN.to_owned()), ..ServerConfig::default() };
    let state = AppState::new(Arc::new(snapshot), config);
    let _watcher = watch(state.clone(), root.clone()).unwrap_or_else(|e| panic!("{e}"));
    let router = app(state.clone());
    let fifo = root.join("pages/pipe.md");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status().unwrap_or_else(|e| panic!("mkfifo: {e}"));
    assert!(made.success());
    // A new file's errors are for editors: preview shows them.
    let status =
        || async { crate::preview(&router, "{ contentStatus { ok errors } }").await["data"]["contentStatus"].clone() };
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut seen = status().await;
    while seen["ok"] != false {
        assert!(Instant::now() < deadline, "the FIFO was never reported: {seen}");
        tokio::time::sleep(Duration::from_millis(50)).await;
        seen = status().await;
    }
    assert!(seen["errors"][0].as_str().is_some_and(|e| e.contains("not a regular file")), "{seen}");
    let ready =
        send(&router, axum::http::Request::get("/readyz").body(axum::body::Body::empty()).unwrap_or_default()).await;
    assert_eq!(ready.status, 200);
    std::fs::remove_file(&fifo).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(root.join("pages/after.md"), page("After")).unwrap_or_else(|e| panic!("{e}"));
    let deadline = Instant::now() + Duration::from_secs(10);
    while status().await["ok"] != true {
        assert!(Instant::now() < deadline, "the watcher stopped working after the FIFO");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The public's `contentStatus` says nothing of hidden work: editing a
/// draft does not change its version, and errors in a draft are shown to
/// preview only.
#[tokio::test]
async fn content_status_reveals_nothing_of_hidden_files_to_the_public() {
    let (_dir, root) = fixture_copy();
    let snapshot = tessera_core::load(&root).unwrap_or_else(|e| panic!("{e:?}"));
    let config = ServerConfig { preview_token: Some(crate::TOKEN.to_owned()), ..ServerConfig::default() };
    let state = AppState::new(Arc::new(snapshot), config);
    let router = app(state.clone());
    let q = "{ contentStatus { version ok message errors } }";
    let public = |router: axum::Router| async move { send(&router, post_request(q, None)).await.json() };
    let before = public(router.clone()).await;
    let preview_before = crate::preview(&router, q).await;

    let draft = root.join("pages/draft-page.md");
    let text = std::fs::read_to_string(&draft).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(&draft, format!("{text}\nA new sentence in the draft.\n")).unwrap_or_else(|e| panic!("{e}"));
    assert!(state.reload(&root).is_ok());
    assert_eq!(public(router.clone()).await, before, "a draft edit is invisible to the public");
    assert_ne!(crate::preview(&router, q).await, preview_before, "preview sees the new version");

    std::fs::write(&draft, "+++\ntitle = \"Broken\nstatus = \"draft\"\n+++\n").unwrap_or_else(|e| panic!("{e}"));
    assert!(state.reload(&root).is_err());
    let seen = public(router.clone()).await;
    let status = &seen["data"]["contentStatus"];
    assert_eq!(status["version"], before["data"]["contentStatus"]["version"], "{seen}");
    assert_eq!(status["ok"], false, "the public learns that the reload failed");
    assert_eq!(status["errors"], serde_json::json!([]), "but not what failed, nor where");
    assert!(!seen.to_string().contains("draft-page"), "{seen}");
    let preview = crate::preview(&router, q).await;
    assert_eq!(preview["data"]["contentStatus"]["ok"], false);
    assert!(preview["data"]["contentStatus"]["errors"][0].as_str().is_some_and(|e| e.contains("draft-page.md")));
    let ready =
        send(&router, axum::http::Request::get("/readyz").body(axum::body::Body::empty()).unwrap_or_default()).await;
    let ready = String::from_utf8_lossy(&ready.body);
    assert!(ready.contains("failed") && !ready.contains("draft-page"), "{ready}");
}

/// A reload updates the search index (see `SearchIndexes`): searches find
/// the edit at once, and the cache holds one folder per content version.
#[tokio::test]
async fn a_reload_updates_the_search_index_in_its_own_cache_folder() {
    let (_dir, root) = fixture_copy();
    let cache = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let snapshot = tessera_core::load(&root).unwrap_or_else(|e| panic!("{e:?}"));
    let config = ServerConfig { search_cache: Some(cache.path().to_owned()), ..ServerConfig::default() };
    let state = AppState::new(Arc::new(snapshot), config);
    state.prepare_search().unwrap_or_else(|e| panic!("{e}"));
    let router = app(state.clone());
    let q = r#"{ search(query: "zeppelin") { totalCount edges { node { item { id } } } } }"#;
    let found = |router: axum::Router| async move { send(&router, post_request(q, None)).await.json() };
    assert_eq!(found(router.clone()).await["data"]["search"]["totalCount"], 0);

    let page = root.join("pages/welcome.md");
    let text = std::fs::read_to_string(&page).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(&page, format!("{text}\nA zeppelin flew over.\n")).unwrap_or_else(|e| panic!("{e}"));
    assert!(state.reload(&root).is_ok());
    let seen = found(router.clone()).await;
    assert_eq!(seen["data"]["search"]["totalCount"], 1, "{seen}");
    let folders = std::fs::read_dir(cache.path()).map(|d| d.count()).unwrap_or(0);
    assert_eq!(folders, 2, "one folder per content version, no half-built one");
}
