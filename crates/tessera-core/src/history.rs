//! When each content file last changed, from the git history of the
//! folder it is in: the time of the newest commit (following first
//! parents from `HEAD`) whose tree differs from its parent's at the file.
//! Read with gix, not by running `git`.
//!
//! Only files whose working copy is what `HEAD` holds get a date here (the
//! index's size and modification time match the file, and the index
//! records the blob `HEAD` has); an edited, staged or untracked file keeps
//! its modification time. Anything the repository cannot answer (no
//! repository, a shallow clone cut before a file's last change, a broken
//! object) leaves the files it concerns undated: dates are never guessed.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use gix::bstr::{BString, ByteSlice};

/// How many commits are read at most; older history is left unread.
const MAX_COMMITS: usize = 100_000;
/// How deeply folders nest inside the content folder, at most.
const MAX_DEPTH: usize = 32;

/// The last-commit time of each of `files` (paths relative to `root`,
/// each with its size and modification time on disk), for the files
/// committed as they are.
pub(crate) fn last_commits(
    root: &Path,
    files: &[(PathBuf, u64, Option<DateTime<Utc>>)],
) -> HashMap<PathBuf, DateTime<Utc>> {
    dated(root, files).unwrap_or_default()
}

/// What the dates [`last_commits`] finds depend on besides the files: the
/// commit checked out and the stamp of the index, as one string; `None`
/// when `root` is not in a git repository.
pub(crate) fn state(root: &Path) -> Option<String> {
    let repo = gix::discover(root).ok()?;
    let head = repo.head_id().map(|id| id.to_string()).unwrap_or_default();
    let index = std::fs::metadata(repo.index_path()).ok();
    let stamp = index.map(|m| {
        let modified = m.modified().ok().and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok());
        format!("{} {:?}", m.len(), modified)
    });
    Some(format!("{head} {}", stamp.unwrap_or_default()))
}

type Error = Box<dyn std::error::Error + Send + Sync>;

fn dated(
    root: &Path,
    files: &[(PathBuf, u64, Option<DateTime<Utc>>)],
) -> Result<HashMap<PathBuf, DateTime<Utc>>, Error> {
    let mut out = HashMap::new();
    let Ok(repo) = gix::discover(root) else { return Ok(out) };
    let Some(workdir) = repo.workdir() else { return Ok(out) };
    let (Ok(workdir), Ok(root)) = (workdir.canonicalize(), root.canonicalize()) else { return Ok(out) };
    let Ok(prefix) = root.strip_prefix(&workdir) else { return Ok(out) };
    let prefix: String = prefix.components().map(|c| format!("{}/", c.as_os_str().to_string_lossy())).collect();
    let head = repo.head_commit()?;
    let head_tree = head.tree()?;
    let index = repo.index_or_empty()?;

    // The files committed as they are, by their path in the repository.
    let mut wanted: HashMap<String, PathBuf> = HashMap::new();
    for (rel, size, modified) in files {
        let in_repo = format!(
            "{prefix}{}",
            rel.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/")
        );
        let Some(entry) = index.entry_by_path(in_repo.as_bytes().as_bstr()) else { continue };
        let same_stat = u64::from(entry.stat.size) == *size
            && modified.is_some_and(|m| i64::from(entry.stat.mtime.secs) == m.timestamp());
        let committed = head_tree.lookup_entry_by_path(&in_repo)?.is_some_and(|e| e.object_id() == entry.id);
        if same_stat && committed {
            wanted.insert(in_repo, rel.clone());
        }
    }
    if wanted.is_empty() {
        return Ok(out);
    }
    let folder = prefix.trim_end_matches('/');
    let subtree = |commit: &gix::Commit<'_>| -> Result<Option<gix::ObjectId>, Error> {
        let tree = commit.tree()?;
        Ok(if folder.is_empty() { Some(tree.id) } else { tree.lookup_entry_by_path(folder)?.map(|e| e.object_id()) })
    };
    for info in head.id().ancestors().first_parent_only().all()?.take(MAX_COMMITS) {
        let info = info?;
        let commit = info.object()?;
        let Some(ours) = subtree(&commit)? else { break };
        let theirs = match info.parent_ids().next() {
            Some(parent) => subtree(&repo.find_object(parent)?.try_into_commit()?)?,
            None => None,
        };
        let mut changed = Vec::new();
        diff(&repo, ours, theirs, &prefix, 0, &mut changed)?;
        let Some(time) = DateTime::from_timestamp(commit.time()?.seconds, 0) else { continue };
        for path in changed {
            if let Some(rel) = wanted.remove(&path) {
                out.insert(rel, time);
            }
        }
        if wanted.is_empty() {
            break;
        }
    }
    Ok(out)
}

/// The paths of the files that differ between tree `ours` and tree
/// `theirs` (absent in the root commit), written under `prefix`.
fn diff(
    repo: &gix::Repository,
    ours: gix::ObjectId,
    theirs: Option<gix::ObjectId>,
    prefix: &str,
    depth: usize,
    out: &mut Vec<String>,
) -> Result<(), Error> {
    if Some(ours) == theirs || depth > MAX_DEPTH {
        return Ok(());
    }
    let mut their_entries: HashMap<BString, (gix::ObjectId, bool)> = HashMap::new();
    if let Some(theirs) = theirs {
        let tree = repo.find_object(theirs)?.try_into_tree()?;
        for e in tree.decode()?.entries {
            their_entries.insert(e.filename.to_owned(), (e.oid.to_owned(), e.mode.is_tree()));
        }
    }
    let tree = repo.find_object(ours)?.try_into_tree()?;
    for e in tree.decode()?.entries {
        let path = format!("{prefix}{}", e.filename.to_str_lossy());
        let other = their_entries.get(e.filename);
        if e.mode.is_tree() {
            let theirs = other.filter(|(_, tree)| *tree).map(|(id, _)| *id);
            diff(repo, e.oid.to_owned(), theirs, &format!("{path}/"), depth + 1, out)?;
        } else if other.map(|(id, _)| *id) != Some(e.oid.to_owned()) {
            out.push(path);
        }
    }
    Ok(())
}
