//! Contract tests shared by every front end; the tests live in `it/`, the corpora in `fixtures/`.
//!
//! The library holds what the test suites of every crate share: where the
//! fixtures are, and copying one into a scratch folder to edit it.

use std::path::{Path, PathBuf};

/// A fixture folder under `tests/fixtures/`.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures").join(name)
}

/// Copies the folder `from` into `to` (created if missing), files and
/// folders, with a stack rather than recursion. Panics on an I/O error: it
/// is for tests.
pub fn copy_dir(from: &Path, to: &Path) {
    let mut stack = vec![(from.to_path_buf(), to.to_path_buf())];
    while let Some((src, dst)) = stack.pop() {
        std::fs::create_dir_all(&dst).unwrap_or_else(|e| panic!("{}: {e}", dst.display()));
        let entries = std::fs::read_dir(&src).unwrap_or_else(|e| panic!("{}: {e}", src.display()));
        for entry in entries.filter_map(Result::ok) {
            let target = dst.join(entry.file_name());
            if entry.path().is_dir() {
                stack.push((entry.path(), target));
            } else {
                std::fs::copy(entry.path(), &target).unwrap_or_else(|e| panic!("{}: {e}", target.display()));
            }
        }
    }
}

/// Commits the files of `dir` to the branch `branch` of the git repository
/// at `repo` (a bare one is made if none is there), under the folder
/// `under` of the commit (`""` for its root), on top of the branch's
/// commit if it has one. Returns the new commit's id. Written with gix:
/// the suites need no `git` program. Panics on an error: it is for tests.
pub fn commit_dir(repo: &Path, branch: &str, dir: &Path, under: &str, message: &str) -> String {
    use gix::objs::tree::{Entry, EntryKind};
    let repo = match gix::open(repo) {
        Ok(r) => r,
        Err(_) => gix::init_bare(repo).unwrap_or_else(|e| panic!("{}: {e}", repo.display())),
    };
    // Folders first written as trees, deepest last in `order`.
    let mut order = vec![dir.to_path_buf()];
    let mut i = 0;
    while i < order.len() {
        let entries = std::fs::read_dir(&order[i]).unwrap_or_else(|e| panic!("{}: {e}", order[i].display()));
        for entry in entries.filter_map(Result::ok) {
            if entry.path().is_dir() {
                order.push(entry.path());
            }
        }
        i += 1;
    }
    let mut trees: std::collections::HashMap<PathBuf, gix::ObjectId> = std::collections::HashMap::new();
    for folder in order.iter().rev() {
        let mut entries = Vec::new();
        for entry in std::fs::read_dir(folder).unwrap_or_else(|e| panic!("{}: {e}", folder.display())).flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            let (mode, oid) = if path.is_dir() {
                (EntryKind::Tree, trees[&path])
            } else {
                let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                (EntryKind::Blob, repo.write_blob(bytes).expect("write a blob").detach())
            };
            entries.push(Entry { mode: mode.into(), filename: name.into(), oid });
        }
        entries.sort();
        let tree = repo.write_object(gix::objs::Tree { entries }).expect("write a tree").detach();
        trees.insert(folder.clone(), tree);
    }
    let mut tree = trees[dir];
    for part in under.split('/').filter(|p| !p.is_empty()).collect::<Vec<_>>().into_iter().rev() {
        let entries = vec![Entry { mode: EntryKind::Tree.into(), filename: part.into(), oid: tree }];
        tree = repo.write_object(gix::objs::Tree { entries }).expect("write a tree").detach();
    }
    let full = format!("refs/heads/{branch}");
    let parent = repo.find_reference(full.as_str()).ok().and_then(|mut r| r.peel_to_id().ok()).map(|id| id.detach());
    let seconds = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64);
    let signature = gix::actor::Signature {
        name: "Tessera Tests".into(),
        email: "tests@example.org".into(),
        time: gix::date::Time { seconds, offset: 0 },
    };
    let commit = gix::objs::Commit {
        tree,
        parents: parent.into_iter().collect(),
        author: signature.clone(),
        committer: signature,
        encoding: None,
        message: message.into(),
        extra_headers: Vec::new(),
    };
    let id = repo.write_object(commit).expect("write a commit").detach();
    repo.reference(full.as_str(), id, gix::refs::transaction::PreviousValue::Any, message).expect("move the branch");
    id.to_string()
}
