//! Incremental loading: after any sequence of edits (create, change,
//! break, fix, delete, rename, translate, embargo, touch, a settings
//! change), loading with the cache of the previous loads gives exactly
//! what a fresh load of the same files gives, diagnostics included; and a
//! file that did not change is neither read again nor parsed again.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{TimeZone, Utc};
use proptest::prelude::*;
use tessera_core::{
    Audience, LoadCache, LoadError, Measure, Media, Page, Partner, Snapshot, StoreStatus, Story, load, load_changed,
    load_with, public_changes,
};

use crate::fixture;
use tessera_tests::copy_dir as copy;

fn config(default_cases: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(default_cases);
    ProptestConfig { cases, failure_persistence: None, ..ProptestConfig::default() }
}

/// Everything a load gives, written out: the diagnostics, and every
/// document with its front matter, body, hash and date; what the public
/// sees, and the old addresses.
fn describe(result: &Result<Snapshot, LoadError>) -> String {
    let mut out = String::new();
    let snapshot = match result {
        Err(LoadError::Invalid { diagnostics }) => {
            for d in diagnostics {
                let _ = writeln!(out, "{d} [{}]", d.help.as_deref().unwrap_or(""));
            }
            return out;
        }
        Err(e) => return format!("error: {e}"),
        Ok(s) => s,
    };
    fn docs<T: tessera_core::Item + std::fmt::Debug>(out: &mut String, snapshot: &Snapshot) {
        for d in snapshot.collection::<T>().all() {
            let _ = writeln!(
                out,
                "{} {} {} {:x} {:?}\n{:?}\n{:?}",
                d.path.display(),
                d.slug,
                d.locale,
                d.hash,
                d.modified,
                d.meta,
                d.body
            );
        }
    }
    let _ = writeln!(out, "version {:x}", snapshot.version());
    for w in snapshot.warnings() {
        let _ = writeln!(out, "{w} [{}]", w.help.as_deref().unwrap_or(""));
    }
    docs::<Page>(&mut out, snapshot);
    docs::<Measure>(&mut out, snapshot);
    docs::<Partner>(&mut out, snapshot);
    docs::<Story>(&mut out, snapshot);
    docs::<Media>(&mut out, snapshot);
    for year in [2026, 2100] {
        let now = Utc.with_ymd_and_hms(year, 1, 1, 0, 0, 0).single().unwrap_or_else(|| panic!());
        let view = snapshot.view(Audience::Public, now);
        let _ = writeln!(out, "public {year}: {:x}", snapshot.public_version(now));
        let locale = &snapshot.site().default_locale;
        for page in view.list::<Page>(locale) {
            // The body as the public gets it: links to what it may not see
            // are rewritten.
            let _ = writeln!(out, "  {} {} {:?}", page.slug, page.locale, view.body(page.doc));
        }
        for topic in snapshot.topics() {
            let filed: Vec<String> =
                view.with_topic::<Page>(&topic.slug, locale).iter().map(|p| p.slug.clone()).collect();
            let _ = writeln!(out, "  topic {} {filed:?}", topic.slug);
        }
        for media in view.list::<Media>(locale) {
            let _ = writeln!(out, "  media {}", media.slug);
        }
        for measure in view.list::<Measure>(locale) {
            let cited: Vec<String> =
                view.referrers::<Measure, Page>(&measure.slug, locale).iter().map(|p| p.slug.clone()).collect();
            let _ = writeln!(out, "  {} cited by {cited:?}", measure.slug);
        }
        // Every index the load builds across items, as the public reads
        // them: who refers to a partner or a story, and who is about a
        // country.
        let slugs =
            |docs: Vec<tessera_core::Localized<'_, Page>>| docs.iter().map(|d| d.slug.clone()).collect::<Vec<_>>();
        for partner in view.list::<Partner>(locale) {
            let stories: Vec<String> =
                view.referrers::<Partner, Story>(&partner.slug, locale).iter().map(|s| s.slug.clone()).collect();
            let pages = slugs(view.referrers::<Partner, Page>(&partner.slug, locale));
            let _ = writeln!(out, "  {} in stories {stories:?}, named on {pages:?}", partner.slug);
        }
        for story in view.list::<Story>(locale) {
            let pages = slugs(view.referrers::<Story, Page>(&story.slug, locale));
            let _ = writeln!(out, "  {} told on {pages:?}", story.slug);
        }
        let mut countries = Vec::new();
        for c in snapshot
            .collection::<Partner>()
            .all()
            .iter()
            .filter_map(|d| d.meta.country)
            .chain(snapshot.collection::<Story>().all().iter().filter_map(|d| d.meta.country))
        {
            if !countries.contains(&c) {
                countries.push(c);
            }
        }
        for c in countries {
            let partners: Vec<String> = view.in_country::<Partner>(c, locale).iter().map(|d| d.slug.clone()).collect();
            let stories: Vec<String> = view.in_country::<Story>(c, locale).iter().map(|d| d.slug.clone()).collect();
            let _ = writeln!(out, "  {c:?}: partners {partners:?}, stories {stories:?}");
        }
        for a in snapshot.editorial_transition(now).addresses {
            let _ = writeln!(out, "  old {} {}", a.path, a.state());
        }
    }
    out
}

/// One edit of the content folder.
#[derive(Debug, Clone)]
enum Edit {
    /// Appends a line (with a link, sometimes a broken one) to a body.
    Change(usize, u8),
    /// Writes an unknown field into a front matter.
    Break(usize),
    /// Puts a file back as the fixture has it.
    Fix(usize),
    Delete(usize),
    /// Renames a file to another slug.
    Rename(usize, u8),
    /// Adds a French translation of a page.
    Translate(usize),
    /// Puts a page under embargo until 2099, or lifts it.
    Embargo(usize, bool),
    /// Writes a new page that refers to an existing measure.
    Create(u8),
    /// Writes a file's bytes again, unchanged.
    Touch(usize),
    /// Changes the site's base URL (every body depends on it).
    Settings(bool),
    /// Rewords a file without changing what it refers to: a paragraph
    /// added, a title changed, a link to an item added, a media caption
    /// changed (what a patched load takes).
    Reword(usize, u8),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        3 => (0usize..64, any::<u8>()).prop_map(|(i, n)| Edit::Change(i, n)),
        1 => (0usize..64).prop_map(Edit::Break),
        2 => (0usize..64).prop_map(Edit::Fix),
        1 => (0usize..64).prop_map(Edit::Delete),
        1 => (0usize..64, any::<u8>()).prop_map(|(i, n)| Edit::Rename(i, n)),
        1 => (0usize..64).prop_map(Edit::Translate),
        1 => (0usize..64, any::<bool>()).prop_map(|(i, b)| Edit::Embargo(i, b)),
        1 => any::<u8>().prop_map(Edit::Create),
        1 => (0usize..64).prop_map(Edit::Touch),
        1 => any::<bool>().prop_map(Edit::Settings),
        3 => (0usize..64, any::<u8>()).prop_map(|(i, n)| Edit::Reword(i, n)),
    ]
}

/// The content files under `root`, sorted.
fn files(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for folder in ["pages", "measures", "partners", "stories", "media"] {
        if let Ok(entries) = std::fs::read_dir(root.join(folder)) {
            out.extend(entries.filter_map(Result::ok).map(|e| e.path()));
        }
    }
    out.sort();
    out
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

fn write(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}

/// Applies `edit`; gives every path it wrote, removed or renamed, as a
/// file watcher would report them.
fn apply(root: &Path, original: &Path, edit: &Edit) -> Vec<PathBuf> {
    // A file written, even with the same bytes, has a new modification time.
    let state = |p: &PathBuf| (p.clone(), read(p), std::fs::metadata(p).and_then(|m| m.modified()).ok());
    let before: Vec<_> = all_files(root).iter().map(state).collect();
    apply_edit(root, original, edit);
    let after: Vec<_> = all_files(root).iter().map(state).collect();
    let mut touched: Vec<PathBuf> = before.iter().filter(|b| !after.contains(b)).map(|(p, ..)| p.clone()).collect();
    touched.extend(after.iter().filter(|a| !before.contains(a)).map(|(p, ..)| p.clone()));
    touched.sort();
    touched.dedup();
    touched
}

/// Gives each file an edit wrote a modification time of its own. Edits
/// here follow each other faster than the file system's clock ticks, so
/// a rewritten file of the same size could keep its stamp, which a cache
/// that trusts stamps at once would take for unchanged; edits by a person
/// are seconds apart.
fn restamp(touched: &[PathBuf], step: usize) {
    for (i, path) in touched.iter().enumerate() {
        let at = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000 + step as u64 * 100 + i as u64);
        if let Ok(file) = std::fs::File::options().append(true).open(path) {
            let _ = file.set_modified(at);
        }
    }
}

/// Every file under `root`, `site.toml` included.
fn all_files(root: &Path) -> Vec<PathBuf> {
    let mut out = files(root);
    out.extend(["site.toml", "topics.toml", "legacy.toml"].iter().map(|f| root.join(f)).filter(|p| p.exists()));
    out
}

fn apply_edit(root: &Path, original: &Path, edit: &Edit) {
    let all = files(root);
    let pick = |i: usize| (!all.is_empty()).then(|| all[i % all.len()].clone());
    let pages: Vec<&PathBuf> = all.iter().filter(|p| p.starts_with(root.join("pages"))).collect();
    match edit {
        Edit::Change(i, n) => {
            if let Some(p) = pick(*i)
                && p.extension().is_some_and(|e| e == "md")
            {
                let link = if n % 3 == 0 { "@/measures/no-such-measure.md" } else { "@/measures/public-measure.md" };
                write(&p, &format!("{}\nAn edit {n} with [a link]({link}).\n", read(&p)));
            }
        }
        Edit::Break(i) => {
            if let Some(p) = pick(*i) {
                let text = read(&p);
                let broken = match text.strip_prefix("+++\n") {
                    Some(rest) => format!("+++\ntitel = \"typo\"\n{rest}"),
                    None => format!("kindd = \"image\"\n{text}"),
                };
                write(&p, &broken);
            }
        }
        Edit::Fix(i) => {
            if let Some(p) = pick(*i) {
                let from = original.join(p.strip_prefix(root).unwrap_or(&p));
                if from.exists() {
                    write(&p, &read(&from));
                }
            }
        }
        Edit::Delete(i) => {
            if let Some(p) = pick(*i) {
                let _ = std::fs::remove_file(p);
            }
        }
        Edit::Rename(i, n) => {
            if let Some(p) = pick(*i) {
                let ext = p.extension().map(|e| e.to_string_lossy().into_owned()).unwrap_or_default();
                let to = p.with_file_name(format!("renamed-{n}.{ext}"));
                let _ = std::fs::rename(p, to);
            }
        }
        Edit::Translate(i) => {
            if !pages.is_empty() {
                let p = pages[i % pages.len()];
                let name = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                if let Some(stem) = name.strip_suffix(".md").filter(|s| !s.contains('.')) {
                    let text = read(p).replacen("title = \"", "title = \"FR ", 1);
                    write(&p.with_file_name(format!("{stem}.fr.md")), &text);
                }
            }
        }
        Edit::Embargo(i, on) => {
            if !pages.is_empty() {
                let p = pages[i % pages.len()];
                let text = read(p);
                let text = if *on {
                    text.replacen(
                        "status = \"published\"",
                        "status = \"published\"\npublish_at = 2099-01-01T00:00:00Z",
                        1,
                    )
                } else {
                    text.lines().filter(|l| !l.starts_with("publish_at")).collect::<Vec<_>>().join("\n") + "\n"
                };
                write(p, &text);
            }
        }
        Edit::Create(n) => {
            // Half of them with an old address (which other pages' checks read).
            let legacy = if n % 2 == 0 { format!("legacy_urls = [\"/old/new-{n}.html\"]\n") } else { String::new() };
            write(
                &root.join(format!("pages/new-{n}.md")),
                &format!(
                    "+++\ntitle = \"New {n}\"\nmeasures = [\"public-measure\"]\n{legacy}status = \"published\"\n+++\nA new page linking [a story](@/stories/public-story.md).\n"
                ),
            );
        }
        Edit::Touch(i) => {
            if let Some(p) = pick(*i) {
                write(&p, &read(&p));
            }
        }
        Edit::Reword(i, n) => {
            if let Some(p) = pick(*i) {
                let text = read(&p);
                let text = match n % 4 {
                    _ if p.extension().is_some_and(|e| e == "toml") => {
                        text.replacen("caption = \"", &format!("caption = \"Reworded {n} "), 1)
                    }
                    0 if n % 8 == 0 => text.replacen("title = \"", &format!("title = \"Reworded {n} "), 1),
                    // A reference more or fewer, a topic more.
                    0 if n % 8 == 4 => text.replacen("measures = [\"public-measure\", ", "measures = [", 1),
                    0 => text.replacen("topics = [", "topics = [\"health\", ", 1),
                    // A public item, or a hidden one (the public gets the
                    // link's text alone).
                    1 if n % 8 == 1 => format!("{text}\nSee [the story](@/stories/public-story.md), {n}.\n"),
                    // A page (pages are never "linked from nowhere").
                    1 if n % 8 == 3 => format!("{text}\nSee [the page](@/pages/review-page.md), {n}.\n"),
                    1 => format!("{text}\nSee [the draft](@/measures/draft-measure.md), {n}.\n"),
                    2 => format!("{text}\nA <b>reworded</b> line {n}.\n"),
                    _ => format!("{text}\nA reworded line {n}.\n"),
                };
                write(&p, &text);
            }
        }
        Edit::Settings(other) => {
            let site = root.join("site.toml");
            let text = read(&site);
            let (from, to) = if *other {
                ("https://fixture.invalid/", "https://elsewhere.invalid/")
            } else {
                ("https://elsewhere.invalid/", "https://fixture.invalid/")
            };
            write(&site, &text.replace(from, to));
        }
    }
}

proptest! {
    #![proptest_config(config(12))]

    /// After every edit, the incremental load equals a fresh one.
    #[test]
    fn incremental_loads_equal_fresh_loads(edits in proptest::collection::vec(edit(), 1..12)) {
        let original = fixture("valid-site");
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        copy(&original, dir.path());
        assert!(read(&dir.path().join("site.toml")).contains("https://fixture.invalid/"));
        let mut cache = LoadCache::default();
        let first = load_with(dir.path(), &mut cache);
        prop_assert_eq!(describe(&first), describe(&load(dir.path())));
        // A second cache is told which files changed, as `serve --watch`
        // tells it; one in two times the paths are relative.
        // Its files' stamps are trusted at once, so that being told is
        // what keeps it right, not the clock.
        let mut told = LoadCache::default().with_settle_time(std::time::Duration::ZERO);
        let told_first = load_with(dir.path(), &mut told);
        prop_assert_eq!(describe(&told_first), describe(&first));
        let mut told_before = told_first.ok();
        // A third one is a new process each time: it starts from the parse
        // cache the last one kept on disk.
        let store = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let mut restarted = LoadCache::kept_in(store.path());
        prop_assert_eq!(describe(&load_with(dir.path(), &mut restarted)), describe(&first));
        prop_assert!(restarted.keep().is_ok());
        for (n, edit) in edits.iter().enumerate() {
            let touched = apply(dir.path(), &original, edit);
            restamp(&touched, n);
            let incremental = describe(&load_with(dir.path(), &mut cache));
            let fresh_load = load(dir.path());
            let fresh = describe(&fresh_load);
            prop_assert_eq!(&incremental, &fresh, "after {:?}", edit);
            let touched: Vec<PathBuf> = if n % 2 == 0 {
                touched
            } else {
                touched.iter().map(|p| p.strip_prefix(dir.path()).unwrap_or(p).to_path_buf()).collect()
            };
            let hinted_load = load_changed(dir.path(), &mut told, &touched);
            let hinted = describe(&hinted_load);
            prop_assert_eq!(&hinted, &fresh, "after {:?}, told of {:?}", edit, touched);
            // What the public is told changed (from the item alone when the
            // load was a patch) is what comparing everything finds.
            if let (Some(before), Ok(after), Ok(fresh)) = (&told_before, &hinted_load, &fresh_load) {
                for year in [2026, 2100] {
                    let now = Utc.with_ymd_and_hms(year, 1, 1, 0, 0, 0).single().unwrap_or_else(|| panic!());
                    let view = |s| Snapshot::view(s, Audience::Public, now);
                    prop_assert_eq!(
                        public_changes(&view(before), &view(after)),
                        public_changes(&view(before), &view(fresh)),
                        "after {:?}",
                        edit
                    );
                }
            }
            told_before = hinted_load.ok();
            let mut restarted = LoadCache::kept_in(store.path()).with_settle_time(std::time::Duration::ZERO);
            let kept = describe(&load_with(dir.path(), &mut restarted));
            prop_assert_eq!(&kept, &fresh, "after {:?}, restarted", edit);
            // Only what changed is read again (a file that cannot be read
            // at all is not kept, and a new site.toml changes every parse).
            let settings = touched.iter().any(|p| p.ends_with("site.toml"));
            prop_assert!(
                fresh_load.is_err() || settings || restarted.files_read() <= touched.len(),
                "after {:?}: {} files read, {} touched",
                edit,
                restarted.files_read(),
                touched.len()
            );
            prop_assert!(restarted.keep().is_ok());
            // Nothing changed since: the next start takes the snapshot
            // kept whole (when the load succeeded), and it is the same.
            let mut again = LoadCache::kept_in(store.path()).with_settle_time(std::time::Duration::ZERO);
            prop_assert_eq!(&describe(&load_with(dir.path(), &mut again)), &fresh, "after {:?}, started again", edit);
            prop_assert_eq!(again.restored_whole(), fresh_load.is_ok(), "after {:?}", edit);
            prop_assert_eq!(again.files_read(), 0);
        }
    }
}

/// Files that did not change are not parsed again: the new snapshot holds
/// the very same documents. A changed file is read and parsed, even when
/// its size did not change.
#[test]
fn unchanged_files_are_shared_not_parsed_again() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    copy(&fixture("valid-site"), dir.path());
    // Files become trusted by their stamp once they have not changed for
    // two seconds before a read.
    std::thread::sleep(std::time::Duration::from_millis(2100));
    let mut cache = LoadCache::default();
    let before = load_with(dir.path(), &mut cache).unwrap_or_else(|e| panic!("{e:?}"));
    let welcome = dir.path().join("pages/welcome.md");
    let text = read(&welcome);
    // Same length, different bytes.
    write(&welcome, &text.replacen("Welcome", "Wolcome", 1));
    let after = load_with(dir.path(), &mut cache).unwrap_or_else(|e| panic!("{e:?}"));
    let doc = |s: &Snapshot, slug: &str| {
        s.collection::<Page>().all().iter().find(|d| d.slug == slug && d.path.ends_with(format!("{slug}.md"))).cloned()
    };
    let (Some(a), Some(b)) = (doc(&before, "archived-page"), doc(&after, "archived-page")) else { panic!("no page") };
    assert!(Arc::ptr_eq(&a, &b), "an unchanged page is shared");
    let (Some(a), Some(b)) = (doc(&before, "welcome"), doc(&after, "welcome")) else { panic!("no page") };
    assert!(!Arc::ptr_eq(&a, &b));
    assert!(b.meta.title.contains("Wolcome") || format!("{:?}", b.body).contains("Wolcome"), "{b:?}");
    assert_ne!(before.version(), after.version());
    // A third load with nothing changed shares everything.
    let again = load_with(dir.path(), &mut cache).unwrap_or_else(|e| panic!("{e:?}"));
    let (Some(b), Some(c)) = (doc(&after, "welcome"), doc(&again, "welcome")) else { panic!("no page") };
    assert!(Arc::ptr_eq(&b, &c));
    assert_eq!(after.version(), again.version());
    assert_eq!(describe(&Ok(again)), describe(&load(dir.path())));
}

/// The parse cache kept on disk: a new process that finds the content as
/// it was reads none of it; one file changed is the one file read; a
/// deleted file is dropped from the cache; every load equals a fresh one.
#[test]
fn a_restart_reads_only_what_changed_since_the_cache_was_kept() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    copy(&fixture("valid-site"), dir.path());
    let store = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let start = || LoadCache::kept_in(store.path()).with_settle_time(std::time::Duration::ZERO);
    let mut first = start();
    let fresh = describe(&load(dir.path()));
    assert_eq!(describe(&load_with(dir.path(), &mut first)), fresh);
    assert_eq!(first.store_status(), &StoreStatus::Missing);
    let files = first.files_read();
    assert!(files > 5, "{files} files read");
    assert!(matches!(first.keep(), Ok(true)));
    // Nothing changed: nothing read, and nothing to write.
    let mut second = start();
    assert_eq!(describe(&load_with(dir.path(), &mut second)), fresh);
    assert_eq!(second.store_status(), &StoreStatus::Read { files });
    assert_eq!(second.files_read(), 0);
    assert!(matches!(second.keep(), Ok(false)));
    // One file changed: that file is read, and the cache written again.
    let welcome = dir.path().join("pages/welcome.md");
    write(&welcome, &read(&welcome).replacen("Welcome", "Wolcome", 1));
    restamp(std::slice::from_ref(&welcome), 0);
    let mut third = start();
    let changed = load_with(dir.path(), &mut third);
    assert_eq!(describe(&changed), describe(&load(dir.path())));
    assert!(describe(&changed).contains("Wolcome"));
    assert_eq!(third.files_read(), 1);
    assert!(matches!(third.keep(), Ok(true)));
    // A file deleted is gone from the next load and from the cache.
    std::fs::remove_file(&welcome).unwrap_or_else(|e| panic!("{e}"));
    let mut fourth = start();
    assert_eq!(describe(&load_with(dir.path(), &mut fourth)), describe(&load(dir.path())));
    assert_eq!(fourth.files_read(), 0);
    assert!(matches!(fourth.keep(), Ok(true)));
    let mut fifth = start();
    assert_eq!(describe(&load_with(dir.path(), &mut fifth)), describe(&load(dir.path())));
    assert_eq!(fifth.store_status(), &StoreStatus::Read { files: files - 1 });
}

/// A cache file that is damaged, cut short, empty, for another folder or
/// from other site settings is refused, never trusted: the load reads the
/// files and equals a fresh one, and the cache is written again.
#[test]
fn a_damaged_or_foreign_cache_is_refused_and_written_again() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    copy(&fixture("valid-site"), dir.path());
    let other = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    copy(&fixture("valid-site"), other.path());
    let store = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let start = || LoadCache::kept_in(store.path()).with_settle_time(std::time::Duration::ZERO);
    let fresh = describe(&load(dir.path()));
    let mut cache = start();
    assert_eq!(describe(&load_with(dir.path(), &mut cache)), fresh);
    assert!(matches!(cache.keep(), Ok(true)));
    let kept = |store: &Path| -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(store)
            .map(|entries| entries.filter_map(Result::ok).map(|e| e.path()).collect())
            .unwrap_or_default();
        files.sort();
        files
    };
    let [file] = kept(store.path()).try_into().unwrap_or_else(|f| panic!("one cache file: {f:?}"));
    let good = std::fs::read(&file).unwrap_or_else(|e| panic!("{e}"));
    let mut flipped = good.clone();
    flipped[good.len() / 3] ^= 0x20;
    let mut garbage = good.clone();
    garbage.truncate(good.len() - 30);
    garbage.extend_from_slice(&[0xff; 30]);
    // The texts come first: a byte changed there is found by the check of
    // the texts, which a start that takes the snapshot whole leaves running
    // (a damaged text is read from its content file meanwhile).
    let mut text_flipped = good.clone();
    text_flipped[10] ^= 0x20;
    let damaged: [(&str, &[u8]); 5] = [
        ("cut in half", &good[..good.len() / 2]),
        ("a byte changed", &flipped),
        ("a byte of a text changed", &text_flipped),
        ("empty", b""),
        ("garbage", &garbage),
    ];
    for (what, bytes) in damaged {
        std::fs::write(&file, bytes).unwrap_or_else(|e| panic!("{e}"));
        let mut cache = start();
        assert_eq!(describe(&load_with(dir.path(), &mut cache)), fresh, "{what}");
        if cache.restored_whole() {
            assert_eq!(cache.files_read(), 0, "{what}");
        } else if what == "a byte of a text changed" {
            panic!("the index is whole: the snapshot is taken whole");
        } else {
            assert!(matches!(cache.store_status(), StoreStatus::Refused(_)), "{what}: {:?}", cache.store_status());
            assert!(cache.files_read() > 5, "{what}");
        }
        assert!(matches!(cache.keep(), Ok(true)), "{what}");
        assert!(matches!(cache.store_status(), StoreStatus::Refused(_)), "{what}: {:?}", cache.store_status());
        let mut again = start();
        assert_eq!(describe(&load_with(dir.path(), &mut again)), fresh, "{what}");
        assert!(matches!(again.store_status(), StoreStatus::Read { .. }), "{what}: {:?}", again.store_status());
        assert_eq!(again.files_read(), 0, "{what}");
    }
    // Another folder's cache, under this folder's name.
    let mut for_other = start();
    assert!(load_with(other.path(), &mut for_other).is_ok());
    assert!(matches!(for_other.keep(), Ok(true)));
    let other_file = kept(store.path()).into_iter().find(|f| f != &file).unwrap_or_else(|| panic!("two caches"));
    std::fs::copy(&other_file, &file).unwrap_or_else(|e| panic!("{e}"));
    let mut cache = start();
    assert_eq!(describe(&load_with(dir.path(), &mut cache)), fresh);
    assert!(
        matches!(cache.store_status(), StoreStatus::Refused(why) if why.contains("another folder")),
        "{:?}",
        cache.store_status()
    );
    assert!(matches!(cache.keep(), Ok(true)));
    // New site settings: every body is read under them.
    let site = dir.path().join("site.toml");
    write(&site, &read(&site).replace("https://fixture.invalid/", "https://elsewhere.invalid/"));
    let mut cache = start();
    let moved = load_with(dir.path(), &mut cache);
    assert_eq!(describe(&moved), describe(&load(dir.path())));
    assert!(
        matches!(cache.store_status(), StoreStatus::Refused(why) if why.contains("site settings")),
        "{:?}",
        cache.store_status()
    );
    assert!(cache.files_read() > 5);
}

/// A start that finds nothing changed since a successful load kept its
/// snapshot takes it whole: nothing read or parsed, the same snapshot as a
/// fresh load. Edits after it are loaded from the parts it left in memory
/// (the first in full, the next ones patched), each as a fresh load gives.
/// A stray file, a changed topic list or a changed stamp (same bytes) each
/// keep the next start from taking it whole.
#[test]
fn a_start_with_nothing_changed_takes_the_kept_snapshot_whole_and_edits_go_on_from_it() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    copy(&fixture("valid-site"), dir.path());
    let store = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let start = || LoadCache::kept_in(store.path()).with_settle_time(std::time::Duration::ZERO);
    let fresh = || describe(&load(dir.path()));
    let mut first = start();
    assert_eq!(describe(&load_with(dir.path(), &mut first)), fresh());
    assert!(!first.restored_whole());
    assert!(matches!(first.keep(), Ok(true)));

    let mut whole = start();
    assert_eq!(describe(&load_with(dir.path(), &mut whole)), fresh());
    assert!(whole.restored_whole());
    assert_eq!(whole.files_read(), 0);
    // Nothing is left being written in the cache folder: a server stopped
    // now leaves no file behind.
    let names = || {
        let entries = std::fs::read_dir(store.path()).unwrap_or_else(|e| panic!("{e}"));
        entries.filter_map(Result::ok).map(|e| e.file_name().to_string_lossy().into_owned()).collect::<Vec<_>>()
    };
    assert!(names().iter().any(|n| n.ends_with(".bin")), "{:?}", names());
    assert!(!names().iter().any(|n| n.ends_with(".tmp")), "{:?}", names());
    // Its texts are checked meanwhile; whole, there is nothing to write.
    assert!(matches!(whole.keep(), Ok(false)));
    let welcome = dir.path().join("pages/welcome.md");
    let text = read(&welcome);
    for (step, paragraph) in ["A first edit.", "A second edit.", "A third edit."].into_iter().enumerate() {
        write(&welcome, &format!("{text}\n{paragraph}\n"));
        restamp(std::slice::from_ref(&welcome), step);
        let edited = load_changed(dir.path(), &mut whole, std::slice::from_ref(&welcome));
        assert_eq!(describe(&edited), fresh(), "edit {step}");
        assert!(describe(&edited).contains(paragraph));
        assert!(!whole.restored_whole());
        // Only the edited file is read again.
        assert_eq!(whole.files_read(), 1, "edit {step}");
        if step > 0 {
            assert!(whole.patched(), "edit {step}");
        }
    }
    assert!(matches!(whole.keep(), Ok(true)));
    let mut again = start();
    assert_eq!(describe(&load_with(dir.path(), &mut again)), fresh());
    assert!(again.restored_whole());

    // What keeps a start from taking it whole: each is loaded as usual,
    // as a fresh load gives, and the next start takes the new one whole.
    let topics = dir.path().join("topics.toml");
    let touched = [
        (dir.path().join("pages/notes.txt"), "not content\n".to_owned()),
        (topics.clone(), read(&topics).replacen("name = \"", "name = \"The ", 1)),
        (welcome.clone(), read(&welcome)),
    ];
    for (n, (path, text)) in touched.iter().enumerate() {
        write(path, text);
        restamp(std::slice::from_ref(path), 10 + n);
        let mut cache = start();
        assert_eq!(describe(&load_with(dir.path(), &mut cache)), fresh(), "{}", path.display());
        assert!(!cache.restored_whole(), "{}", path.display());
        assert!(matches!(cache.keep(), Ok(true)), "{}", path.display());
        let mut next = start();
        assert_eq!(describe(&load_with(dir.path(), &mut next)), fresh(), "{}", path.display());
        assert!(next.restored_whole(), "{}", path.display());
    }
}

/// A load told of a few edited files patches the last snapshot when the
/// edits change nothing other files depend on, and loads in full when they
/// do; either way it gives what a fresh load gives.
#[test]
fn a_small_edit_patches_the_last_snapshot_and_a_structural_one_does_not() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    copy(&fixture("valid-site"), dir.path());
    // The page links to a draft: the public gets its body rewritten (the
    // link made text), and a patch must rewrite it again.
    let welcome = dir.path().join("pages/welcome.md");
    let original = format!("{}\nSee [the draft](@/measures/draft-measure.md).\n", read(&welcome));
    write(&welcome, &original);
    let mut cache = LoadCache::default().with_settle_time(std::time::Duration::ZERO);
    let first = load_with(dir.path(), &mut cache).unwrap_or_else(|e| panic!("{e:?}"));
    assert!(!cache.patched());
    let mut step = 0;
    let mut edit = |path: &Path, text: &str, cache: &mut LoadCache| {
        write(path, text);
        step += 1;
        restamp(&[path.to_path_buf()], step);
        let result = load_changed(dir.path(), cache, &[path.to_path_buf()]);
        assert_eq!(describe(&result), describe(&load(dir.path())), "after step {step}");
        result
    };

    // A paragraph added: patched, the other documents shared.
    let after = edit(&welcome, &format!("{original}\nA new paragraph.\n"), &mut cache);
    assert!(cache.patched());
    let after = after.unwrap_or_else(|e| panic!("{e:?}"));
    assert_ne!(after.version(), first.version());
    let story = |s: &Snapshot| s.collection::<Story>().all().first().cloned();
    let (Some(a), Some(b)) = (story(&first), story(&after)) else { panic!("no story") };
    assert!(Arc::ptr_eq(&a, &b));

    // A new title, a link to an item it already refers to, raw HTML (a new
    // warning): patched.
    for text in [
        original.replacen("title = \"Welcome\"", "title = \"Welcome home\"", 1),
        format!("{original}\nSee [the measure](@/measures/public-measure.md) again.\n"),
        // The draft measure it names in its front matter, again: the
        // public must not get this link either.
        format!("{original}\nSee [the draft](@/measures/draft-measure.md) again.\n"),
        format!("{original}\nSome <b>bold</b> HTML.\n"),
    ] {
        assert!(edit(&welcome, &text, &mut cache).is_ok());
        assert!(cache.patched(), "{text}");
    }

    // What it refers to changed: patched, the indexes and what is linked
    // from nowhere updated.
    for text in [
        // A topic more.
        original.replacen("topics = [\"education\"]", "topics = [\"education\", \"health\"]", 1),
        // A partner fewer: nothing else names it now.
        original.replacen("partners = [\"public-partner\", \"review-partner\"]", "partners = [\"public-partner\"]", 1),
        // A photo more in the body.
        format!("{original}\n![A photo](@/media/photo.toml)\n"),
        // A link to a page nothing else links to (and then not).
        format!("{original}\nSee [the page](@/pages/review-page.md).\n"),
    ] {
        let _ = edit(&welcome, &text, &mut cache);
        assert!(cache.patched(), "{text}");
        let _ = edit(&welcome, &original, &mut cache);
        assert!(cache.patched(), "{text}");
    }

    // Saved as many editors save: written beside, then renamed over it;
    // the watcher names both paths.
    let beside = dir.path().join("pages/welcome.md.tmp");
    write(&beside, &format!("{original}\nSaved through a temporary file.\n"));
    std::fs::rename(&beside, &welcome).unwrap_or_else(|e| panic!("{e}"));
    restamp(std::slice::from_ref(&welcome), 1000);
    let saved = load_changed(dir.path(), &mut cache, &[beside.clone(), welcome.clone()]);
    assert!(cache.patched());
    assert_eq!(describe(&saved), describe(&load(dir.path())));

    // A file that is not content, noted by the listing, then removed: the
    // note goes with it.
    let notes = dir.path().join("pages/notes.txt");
    let with_note = edit(&notes, "not content", &mut cache);
    assert!(format!("{:?}", with_note.as_ref().map(Snapshot::warnings)).contains("notes.txt"));
    std::fs::remove_file(&notes).unwrap_or_else(|e| panic!("{e}"));
    let without = load_changed(dir.path(), &mut cache, std::slice::from_ref(&notes));
    assert_eq!(describe(&without), describe(&load(dir.path())));
    assert!(!format!("{:?}", without.as_ref().map(Snapshot::warnings)).contains("notes.txt"));

    // What others read changed: a full load.
    for text in [
        // An embargo.
        original.replacen("status = \"published\"", "status = \"published\"\npublish_at = 2099-01-01T00:00:00Z", 1),
        // Another legacy URL.
        original.replacen("legacy_urls = [", "legacy_urls = [\"/old/other.html\", ", 1),
    ] {
        let _ = edit(&welcome, &text, &mut cache);
        assert!(!cache.patched(), "{text}");
        let _ = edit(&welcome, &original, &mut cache);
    }
    // An error: a full load, which reports it; the next edit after the fix
    // is patched again.
    assert!(edit(&welcome, &format!("{original}\n[broken](@/measures/no-such.md)\n"), &mut cache).is_err());
    assert!(!cache.patched());
    assert!(edit(&welcome, &original, &mut cache).is_ok());
    assert!(edit(&welcome, &format!("{original}\nAgain.\n"), &mut cache).is_ok());
    assert!(cache.patched());

    // A new page, a new translation, a new measure nothing names yet (it is
    // reported as linked from nowhere), then each removed: patched. The new
    // page names the measure, so removing the measure first would leave a
    // reference to nothing: a full load, which reports it.
    let page = dir.path().join("pages/another.md");
    let measure = dir.path().join("measures/fresh-measure.md");
    let translation = dir.path().join("pages/archived-page.fr.md");
    let measure_text = read(&dir.path().join("measures/public-measure.md"));
    let new_files = [
        (measure.clone(), measure_text),
        (
            page.clone(),
            "+++\ntitle = \"Another\"\nmeasures = [\"fresh-measure\"]\nstatus = \"published\"\n+++\nNew.\n".to_owned(),
        ),
        (
            translation.clone(),
            read(&dir.path().join("pages/archived-page.md")).replacen("title = \"", "title = \"FR ", 1),
        ),
    ];
    for (path, text) in &new_files {
        assert!(edit(path, text, &mut cache).is_ok(), "{}", path.display());
        assert!(cache.patched(), "{}", path.display());
    }
    for (path, _) in new_files.iter().rev() {
        std::fs::remove_file(path).unwrap_or_else(|e| panic!("{e}"));
        let removed = load_changed(dir.path(), &mut cache, std::slice::from_ref(path));
        assert!(cache.patched(), "{}", path.display());
        assert_eq!(describe(&removed), describe(&load(dir.path())), "{}", path.display());
    }
    // A file renamed: the old path gone, the new one there, told at once.
    let renamed = dir.path().join("stories/public-story-renamed.md");
    let story = dir.path().join("stories/public-story.md");
    std::fs::rename(&story, &renamed).unwrap_or_else(|e| panic!("{e}"));
    let moved = load_changed(dir.path(), &mut cache, &[story.clone(), renamed.clone()]);
    assert_eq!(describe(&moved), describe(&load(dir.path())));
    // Pages name the story by its old slug: an error, from a full load.
    assert!(moved.is_err() && !cache.patched());
    std::fs::rename(&renamed, &story).unwrap_or_else(|e| panic!("{e}"));
    let back = load_changed(dir.path(), &mut cache, &[story.clone(), renamed.clone()]);
    assert_eq!(describe(&back), describe(&load(dir.path())));

    // A file the last load did not have, and one removed: full loads.
    let new_page = dir.path().join("pages/new-page.md");
    let _ = edit(&new_page, &original.replacen("legacy_urls", "old_urls_gone", 1), &mut cache);
    assert!(!cache.patched());
    std::fs::remove_file(&new_page).unwrap_or_else(|e| panic!("{e}"));
    let removed = load_changed(dir.path(), &mut cache, std::slice::from_ref(&new_page));
    assert!(!cache.patched());
    assert_eq!(describe(&removed), describe(&load(dir.path())));
}

/// A file a load is told changed that is now hostile (a link out of the
/// content folder, a FIFO, a folder, bytes that are not text) is refused
/// as a full load refuses it, never patched in; put back, it is patched
/// again.
#[cfg(unix)]
#[test]
fn a_changed_file_turned_hostile_is_refused_as_a_full_load_refuses_it() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    copy(&fixture("valid-site"), dir.path());
    let mut cache = LoadCache::default().with_settle_time(std::time::Duration::ZERO);
    assert!(load_with(dir.path(), &mut cache).is_ok());
    let story = dir.path().join("stories/public-story.md");
    let original = read(&story);
    let outside = tempfile::NamedTempFile::new().unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(outside.path(), &original).unwrap_or_else(|e| panic!("{e}"));
    type Make<'a> = &'a dyn Fn(&Path);
    let hostile: [(&str, Make<'_>); 4] = [
        ("a link out of the folder", &|p| {
            std::os::unix::fs::symlink(outside.path(), p).unwrap_or_else(|e| panic!("{e}"));
        }),
        ("a FIFO", &|p| {
            let status = std::process::Command::new("mkfifo").arg(p).status();
            assert!(status.is_ok_and(|s| s.success()));
        }),
        ("a folder", &|p| std::fs::create_dir(p).unwrap_or_else(|e| panic!("{e}"))),
        ("bytes that are not UTF-8", &|p| std::fs::write(p, b"+++\n\xff\xfe\n+++\n").unwrap_or_else(|e| panic!("{e}"))),
    ];
    for (step, (what, make)) in hostile.iter().enumerate() {
        std::fs::remove_file(&story).unwrap_or_else(|e| panic!("{what}: {e}"));
        make(&story);
        let result = load_changed(dir.path(), &mut cache, std::slice::from_ref(&story));
        assert!(!cache.patched(), "{what}");
        assert!(result.is_err(), "{what}");
        assert_eq!(describe(&result), describe(&load(dir.path())), "{what}");
        if story.is_dir() {
            std::fs::remove_dir(&story).unwrap_or_else(|e| panic!("{what}: {e}"));
        } else {
            std::fs::remove_file(&story).unwrap_or_else(|e| panic!("{what}: {e}"));
        }
        write(&story, &original);
        restamp(std::slice::from_ref(&story), step);
        assert!(load_changed(dir.path(), &mut cache, std::slice::from_ref(&story)).is_ok(), "{what}");
        write(&story, &format!("{original}\nA line more.\n"));
        restamp(std::slice::from_ref(&story), step + 10);
        let patched = load_changed(dir.path(), &mut cache, std::slice::from_ref(&story));
        assert!(cache.patched(), "after {what}");
        assert_eq!(describe(&patched), describe(&load(dir.path())), "after {what}");
        write(&story, &original);
        restamp(std::slice::from_ref(&story), step + 20);
        assert!(load_changed(dir.path(), &mut cache, std::slice::from_ref(&story)).is_ok(), "{what}");
    }
}
