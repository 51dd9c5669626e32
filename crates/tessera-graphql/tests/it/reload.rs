//! `--watch`: edits are reloaded off the request path and swapped in
//! atomically; a broken edit keeps the last good content serving.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use tessera_graphql::{AppState, ServerConfig, app, watch};

use crate::{post_request, send};

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap_or_else(|e| panic!("{e}"));
    for entry in std::fs::read_dir(from).unwrap_or_else(|e| panic!("{e}")).filter_map(Result::ok) {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap_or_else(|e| panic!("{e}"));
        }
    }
}

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
    let state = AppState::new(Arc::new(snapshot), ServerConfig::default());
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
