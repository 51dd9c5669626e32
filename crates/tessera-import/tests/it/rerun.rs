//! Importing again: nothing changes; a changed source updates only items
//! still as the import wrote them; everything else is a conflict.

use std::path::Path;

use tessera_import::{Action, Options};

use crate::{empty_content, import, load, seed_source};

fn snapshot_of(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap_or_else(|e| panic!("{e}")).filter_map(Result::ok) {
            if e.path().is_dir() {
                stack.push(e.path());
            } else {
                files.push((e.path().display().to_string(), std::fs::read(e.path()).unwrap_or_default()));
            }
        }
    }
    files.sort();
    files
}

#[test]
fn importing_the_same_sources_again_changes_nothing() {
    let content = empty_content();
    let (_src, folder) = seed_source();
    import(content.path(), std::slice::from_ref(&folder));
    let before = snapshot_of(content.path());
    let report = import(content.path(), &[folder]);
    assert_eq!(snapshot_of(content.path()), before);
    assert!(report.sources[0].items.iter().all(|i| i.action == Action::Unchanged), "{report:#?}");
}

#[test]
fn a_changed_source_updates_untouched_items_and_reports_edited_ones() {
    let content = empty_content();
    let (_src, folder) = seed_source();
    import(content.path(), std::slice::from_ref(&folder));

    // An editor publishes the story and edits the photo's alt text.
    let story = content.path().join("stories/its-about-ability.md");
    let text =
        std::fs::read_to_string(&story).unwrap_or_default().replace("status = \"review\"", "status = \"published\"");
    std::fs::write(&story, &text).unwrap_or_else(|e| panic!("{e}"));
    let photo = content.path().join("media/kazakhstan-2010-unicef-goodwill-ambassador-batyrkhan.toml");
    let edited = std::fs::read_to_string(&photo).unwrap_or_default().replace("speaks at", "talks at");
    std::fs::write(&photo, &edited).unwrap_or_else(|e| panic!("{e}"));

    // The old page changes: a paragraph and the story's text.
    let source = folder.join("disabilities/index_65711.txt");
    let changed = std::fs::read_to_string(&source)
        .unwrap_or_default()
        .replace("With their knowledge", "Thanks to their knowledge")
        .replace("into society.", "into society and school.");
    std::fs::write(&source, changed).unwrap_or_else(|e| panic!("{e}"));

    let report = import(content.path(), &[folder]);
    let action = |path: &str| {
        let item = report.sources[0].items.iter().find(|i| i.path == path);
        item.map(|i| i.action).unwrap_or_else(|| panic!("{path} not in {report:#?}"))
    };
    assert_eq!(action("pages/civil-society-partnerships.md"), Action::Updated);
    assert_eq!(action("stories/its-about-ability.md"), Action::Conflict);
    assert_eq!(action("media/kazakhstan-2010-unicef-goodwill-ambassador-batyrkhan.toml"), Action::Conflict);
    assert_eq!(action("media/its-about-ability-music-video.toml"), Action::Unchanged);
    assert_eq!(std::fs::read_to_string(&story).unwrap_or_default(), text, "a published item is never overwritten");
    assert_eq!(std::fs::read_to_string(&photo).unwrap_or_default(), edited, "an edited item is never overwritten");
    let page = std::fs::read_to_string(content.path().join("pages/civil-society-partnerships.md")).unwrap_or_default();
    assert!(page.contains("Thanks to their knowledge"));
    load(content.path());

    // And again: the conflicts stay conflicts, nothing else moves.
    let again = import(content.path(), &[seed_source().1]);
    assert!(again.sources[0].items.iter().any(|i| i.action == Action::Conflict));
}

#[test]
fn a_dry_run_writes_nothing() {
    let content = empty_content();
    let (_src, folder) = seed_source();
    let before = snapshot_of(content.path());
    let options = Options { content: content.path().to_path_buf(), base_url: None, dry_run: true };
    let report = tessera_import::import(&[folder], &options).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(snapshot_of(content.path()), before);
    assert!(report.sources[0].items.iter().all(|i| i.action == Action::Created));
    assert!(report.to_text().contains("would create"));
    assert_eq!(report.sources[0].address, "/disabilities/index_65711.html");
}

#[test]
fn a_missing_content_folder_or_bad_base_url_is_a_clear_error() {
    let options = Options { content: "/nonexistent/content".into(), base_url: None, dry_run: true };
    let e = tessera_import::import(&[], &options).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(e.contains("/nonexistent/content") && e.contains("site.toml"), "{e}");
    let content = empty_content();
    let options = Options { content: content.path().to_path_buf(), base_url: Some("ftp://x".into()), dry_run: true };
    let e = tessera_import::import(&[], &options).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(e.contains("ftp://x"), "{e}");
}
