//! Content from git: a checkout follows a ref commit by commit, writing
//! only what changed, and what the public saw change between two versions
//! is listed as events (the ones webhooks and subscriptions send).

use std::path::Path;

use chrono::{TimeZone, Utc};
use tessera_core::checkout::{Checkout, GitError, GitSource};
use tessera_core::{Audience, Change, ChangeKind, Kind, Snapshot, load, public_changes};
use tessera_tests::{commit_dir, copy_dir};

use crate::fixture;

fn site(dir: &Path) -> Snapshot {
    load(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
}

fn write(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
}

#[test]
fn a_checkout_follows_the_ref_writing_only_what_changed() {
    let tmp = tempfile::tempdir().unwrap();
    let (work, repo, out) = (tmp.path().join("work"), tmp.path().join("repo.git"), tmp.path().join("out"));
    copy_dir(&fixture("valid-site"), &work);
    let first = commit_dir(&repo, "main", &work, "content", "first");

    let source = GitSource::new(&repo, "main", "content").unwrap();
    assert_eq!(source.resolve().unwrap(), first);
    // What an earlier process left, which the commit does not have, goes.
    std::fs::create_dir_all(out.join("pages")).unwrap();
    write(&out.join("pages/left-over.md"), "stale");
    let mut checkout = Checkout::new(&out).unwrap();
    let moved = checkout.move_to(&source, &first).unwrap();
    assert_eq!(moved.deleted, vec![Path::new("pages/left-over.md").to_path_buf()]);
    assert_eq!(checkout.commit(), Some(first.as_str()));
    assert_eq!(site(&out).version(), site(&work).version(), "the checkout is the committed content");

    // Change one file, delete one, add one: only those are touched.
    let welcome = work.join("pages/welcome.md");
    let text = std::fs::read_to_string(&welcome).unwrap().replace("title = \"Welcome\"", "title = \"Welcome back\"");
    write(&welcome, &text);
    std::fs::remove_file(work.join("pages/draft-page.md")).unwrap();
    write(&work.join("pages/new-page.md"), "+++\ntitle = \"New\"\nstatus = \"published\"\n+++\nNew.\n");
    let second = commit_dir(&repo, "main", &work, "content", "second");
    assert_ne!(first, second);
    assert_eq!(source.resolve().unwrap(), second, "a new commit is seen without opening the source again");
    let moved = checkout.move_to(&source, &second).unwrap();
    let paths = |v: &[std::path::PathBuf]| v.iter().map(|p| p.to_string_lossy().into_owned()).collect::<Vec<_>>();
    assert_eq!(paths(&moved.written), ["pages/new-page.md", "pages/welcome.md"]);
    assert_eq!(paths(&moved.deleted), ["pages/draft-page.md"]);
    assert_eq!(site(&out).version(), site(&work).version());
    assert_eq!(source.first_parents(&second, 5).unwrap(), vec![first.clone()]);

    // Back to the first commit: the checkout is the first content again.
    checkout.move_to(&source, &first).unwrap();
    let mut original = tempfile::tempdir().unwrap().keep();
    original.push("site");
    copy_dir(&fixture("valid-site"), &original);
    assert_eq!(site(&out).version(), site(&original).version());
}

#[test]
fn content_at_the_root_of_the_commit_and_commits_without_content() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo.git");
    let commit = commit_dir(&repo, "main", &fixture("valid-site"), "", "root layout");
    let source = GitSource::new(&repo, "main", "content").unwrap();
    let mut checkout = Checkout::new(&tmp.path().join("out")).unwrap();
    checkout.move_to(&source, &commit).unwrap();
    assert!(checkout.dir().join("site.toml").is_file());

    // A commit with neither `content/` nor `site.toml` is named in the error.
    let empty = tmp.path().join("empty");
    std::fs::create_dir_all(empty.join("docs")).unwrap();
    write(&empty.join("docs/readme.md"), "hello");
    let bare = commit_dir(&repo, "main", &empty, "", "no content");
    match checkout.move_to(&source, &bare) {
        Err(e @ GitError::NoContent { .. }) => assert!(e.to_string().contains(&bare), "{e}"),
        other => panic!("expected NoContent, got {other:?}"),
    }
    // An unknown ref and a missing repository are errors that name them.
    let wrong = GitSource::new(&repo, "no-such-branch", "content").unwrap();
    let e = wrong.resolve().unwrap_err().to_string();
    assert!(e.contains("no-such-branch"), "{e}");
    let e = GitSource::new(&tmp.path().join("missing"), "main", "content").unwrap_err().to_string();
    assert!(e.contains("missing"), "{e}");
}

fn change(change: ChangeKind, kind: Kind, slug: &str, locale: &str) -> Change {
    Change { change, kind, slug: slug.to_owned(), locale: locale.parse().unwrap() }
}

#[test]
fn public_changes_list_what_the_public_saw_change_and_nothing_else() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("site");
    copy_dir(&fixture("valid-site"), &dir);
    let now = Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap();
    let before = site(&dir);

    // An edit of a public page, a draft edited, a draft published, a public
    // page deleted, a new public page, a public partner sent back to review.
    let edit = |rel: &str, from: &str, to: &str| {
        let path = dir.join(rel);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains(from), "{rel} has no {from}");
        write(&path, &text.replacen(from, to, 1));
    };
    edit("pages/welcome.md", "The public page.", "The public page, edited.");
    edit("measures/draft-measure.md", "Draft.", "Draft, edited.");
    edit("pages/draft-page.md", "status = \"draft\"", "status = \"published\"");
    std::fs::remove_file(dir.join("pages/archived-page.md")).unwrap();
    write(&dir.join("pages/new-page.md"), "+++\ntitle = \"New\"\nstatus = \"published\"\n+++\nNew.\n");
    edit("partners/public-partner.md", "status = \"published\"", "status = \"review\"");
    let after = site(&dir);

    let changes = public_changes(&before.view(Audience::Public, now), &after.view(Audience::Public, now));
    assert_eq!(
        changes,
        vec![
            change(ChangeKind::Deleted, Kind::Page, "archived-page", "en"),
            change(ChangeKind::Published, Kind::Page, "draft-page", "en"),
            change(ChangeKind::Created, Kind::Page, "new-page", "en"),
            change(ChangeKind::Updated, Kind::Page, "welcome", "en"),
            change(ChangeKind::Unpublished, Kind::Partner, "public-partner", "en"),
        ]
    );
    // The same two versions give the same events, in the same order.
    assert_eq!(changes, public_changes(&before.view(Audience::Public, now), &after.view(Audience::Public, now)));
    // Nothing changed, nothing to say.
    assert!(public_changes(&after.view(Audience::Public, now), &after.view(Audience::Public, now)).is_empty());

    // An embargo lifting is an event with no edit: one snapshot, two instants.
    let early = Utc.with_ymd_and_hms(2098, 12, 31, 23, 59, 59).unwrap();
    let late = Utc.with_ymd_and_hms(2099, 1, 1, 0, 0, 0).unwrap();
    let lifted = public_changes(&after.view(Audience::Public, early), &after.view(Audience::Public, late));
    assert_eq!(
        lifted,
        vec![
            change(ChangeKind::EmbargoLifted, Kind::Page, "embargoed-page", "en"),
            change(ChangeKind::EmbargoLifted, Kind::Story, "embargoed-story", "en"),
        ]
    );
    for kind in ChangeKind::ALL {
        assert!(kind.event_type().starts_with("item."));
    }
}

#[test]
fn a_file_and_a_folder_may_swap_places_between_commits() {
    let tmp = tempfile::tempdir().unwrap();
    let (work, repo) = (tmp.path().join("work"), tmp.path().join("repo.git"));
    std::fs::create_dir_all(&work).unwrap();
    write(&work.join("site.toml"), "title = \"x\"\n");
    write(&work.join("notes"), "a file");
    let one = commit_dir(&repo, "main", &work, "", "a file");
    std::fs::remove_file(work.join("notes")).unwrap();
    std::fs::create_dir_all(work.join("notes/deeper")).unwrap();
    write(&work.join("notes/deeper/a.txt"), "in a folder");
    let two = commit_dir(&repo, "main", &work, "", "a folder");
    let source = GitSource::new(&repo, "main", "content").unwrap();
    let mut checkout = Checkout::new(&tmp.path().join("out")).unwrap();
    let out = checkout.dir().to_owned();
    for (commit, file, text) in
        [(&one, "notes", "a file"), (&two, "notes/deeper/a.txt", "in a folder"), (&one, "notes", "a file")]
    {
        checkout.move_to(&source, commit).unwrap_or_else(|e| panic!("moving to {commit}: {e}"));
        assert_eq!(std::fs::read_to_string(out.join(file)).unwrap(), text);
    }
}
