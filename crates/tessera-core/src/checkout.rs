//! Content from a git repository: a ref's commit, its content folder
//! written out as files for the loader. Read with gix, not by running
//! `git`.
//!
//! [`GitSource`] names a repository on this machine (a bare repository or
//! a working copy), a ref and the folder of the commit that holds the
//! content. [`Checkout`] keeps a folder equal to that content at one
//! commit: moving it to another commit writes only the files whose blobs
//! differ (by object id) and deletes the files that went, so the
//! incremental loader re-reads only those.
//!
//! A tree is hostile input like any file: names that could leave the
//! folder (`..`, a `/`, a NUL) are skipped and reported, symbolic links
//! and submodules are skipped, and folders nest at most
//! [`MAX_DEPTH`] deep.

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::{Component, Path, PathBuf};

use gix::bstr::ByteSlice;

/// How deeply folders of the content may nest, at most.
pub const MAX_DEPTH: usize = 32;
/// How many entries (files and folders, as often as trees name them) a
/// commit's content may hold, at most.
pub const MAX_FILES: usize = 1_000_000;

/// Why a commit could not be read or written out.
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    /// The repository cannot be opened.
    #[error("cannot open the git repository `{path}`: {message}")]
    Open {
        /// The repository.
        path: PathBuf,
        /// Why.
        message: String,
    },
    /// The ref does not name a commit.
    #[error("`{reference}` does not name a commit in `{repo}`: {message}")]
    Ref {
        /// The repository.
        repo: PathBuf,
        /// The ref.
        reference: String,
        /// Why.
        message: String,
    },
    /// An object cannot be read (a broken or missing object).
    #[error("cannot read {what} of commit {commit}: {message}")]
    Object {
        /// The commit.
        commit: String,
        /// Which object.
        what: String,
        /// Why.
        message: String,
    },
    /// The commit holds no content folder.
    #[error("commit {commit} has no `{folder}/` folder and no `site.toml` at its root")]
    NoContent {
        /// The commit.
        commit: String,
        /// The folder looked for.
        folder: String,
    },
    /// The commit's content folder has more than [`MAX_FILES`] entries.
    #[error("commit {commit} holds more than {MAX_FILES} files and folders in its content folder")]
    TooManyFiles {
        /// The commit.
        commit: String,
    },
    /// Writing the checkout failed (a full disk, permissions).
    #[error("cannot write `{path}`: {source}")]
    Write {
        /// The file or folder.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

fn object_error(commit: &str, what: impl Into<String>) -> impl FnOnce(String) -> GitError {
    let commit = commit.to_owned();
    let what = what.into();
    move |message| GitError::Object { commit, what, message }
}

/// A ref of a git repository on this machine, and where its content is.
#[derive(Debug, Clone)]
pub struct GitSource {
    repo: PathBuf,
    reference: String,
    folder: String,
}

impl GitSource {
    /// The content at `reference` (a branch, tag or full ref name) of the
    /// repository at `repo`, in `folder` of its commits (or, when a commit
    /// has no such folder but a `site.toml` at its root, the root).
    pub fn new(repo: &Path, reference: &str, folder: &str) -> Result<GitSource, GitError> {
        let source = GitSource {
            repo: repo.to_owned(),
            reference: reference.to_owned(),
            folder: folder.trim_matches('/').to_owned(),
        };
        source.open()?;
        Ok(source)
    }

    /// The repository.
    pub fn repo(&self) -> &Path {
        &self.repo
    }

    /// Opens the repository afresh: a push since the last look may have
    /// added packs and moved refs.
    fn open(&self) -> Result<gix::Repository, GitError> {
        gix::open(&self.repo).map_err(|e| GitError::Open { path: self.repo.clone(), message: e.to_string() })
    }

    /// The commit the ref names now, as 40 hexadecimal digits.
    pub fn resolve(&self) -> Result<String, GitError> {
        let repo = self.open()?;
        let error =
            |message: String| GitError::Ref { repo: self.repo.clone(), reference: self.reference.clone(), message };
        let mut reference = repo.find_reference(self.reference.as_str()).map_err(|e| error(e.to_string()))?;
        let commit = reference.peel_to_commit().map_err(|e| error(e.to_string()))?;
        Ok(commit.id.to_string())
    }

    /// When `commit` was made (its committer time).
    pub fn commit_time(&self, commit: &str) -> Result<chrono::DateTime<chrono::Utc>, GitError> {
        let repo = self.open()?;
        let error = object_error(commit, "the commit");
        let id =
            gix::ObjectId::from_hex(commit.as_bytes()).map_err(|e| object_error(commit, "the id")(e.to_string()))?;
        let parsed = repo
            .find_object(id)
            .map_err(|e| e.to_string())
            .and_then(|o| o.try_into_commit().map_err(|e| e.to_string()))
            .and_then(|c| c.time().map_err(|e| e.to_string()));
        let time = parsed.map_err(error)?;
        chrono::DateTime::from_timestamp(time.seconds, 0)
            .ok_or_else(|| object_error(commit, "the commit")("a time out of range".to_owned()))
    }

    /// The first parents of `commit`, newest first, at most `limit`: where
    /// to look for the last good content when the newest is broken.
    pub fn first_parents(&self, commit: &str, limit: usize) -> Result<Vec<String>, GitError> {
        let repo = self.open()?;
        let id =
            gix::ObjectId::from_hex(commit.as_bytes()).map_err(|e| object_error(commit, "the id")(e.to_string()))?;
        let mut out = Vec::new();
        let mut current = id;
        while out.len() < limit {
            let object = repo.find_object(current).map_err(|e| object_error(commit, "a parent")(e.to_string()))?;
            let parsed = object.try_into_commit().map_err(|e| object_error(commit, "a parent")(e.to_string()))?;
            let Some(parent) = parsed.parent_ids().next() else { break };
            current = parent.detach();
            out.push(current.to_string());
        }
        Ok(out)
    }

    /// Every file of the content folder of `commit`: its path (relative
    /// to the content folder) and blob id. Names that could leave the
    /// folder, links and submodules are left out, and said in `skipped`.
    fn files(&self, repo: &gix::Repository, commit: &str) -> Result<Listing, GitError> {
        let id =
            gix::ObjectId::from_hex(commit.as_bytes()).map_err(|e| object_error(commit, "the id")(e.to_string()))?;
        let object = repo.find_object(id).map_err(|e| object_error(commit, "the commit")(e.to_string()))?;
        let parsed = object.try_into_commit().map_err(|e| object_error(commit, "the commit")(e.to_string()))?;
        let tree = parsed.tree().map_err(|e| object_error(commit, "the tree")(e.to_string()))?;
        let folder = match tree.lookup_entry_by_path(&self.folder) {
            Ok(Some(entry)) if entry.mode().is_tree() && !self.folder.is_empty() => entry.object_id(),
            Ok(_) => {
                let has_site = tree
                    .lookup_entry_by_path("site.toml")
                    .map_err(|e| object_error(commit, "the tree")(e.to_string()))?
                    .is_some();
                if !has_site {
                    return Err(GitError::NoContent { commit: commit.to_owned(), folder: self.folder.clone() });
                }
                tree.id
            }
            Err(e) => return Err(object_error(commit, "the tree")(e.to_string())),
        };
        let mut listing = Listing::default();
        // Folders still to read, with their path and depth: no recursion.
        let mut pending = vec![(folder, PathBuf::new(), 0usize)];
        // Every entry visited counts, folders and skipped ones too: a tree
        // that names one subtree many times over is bounded as well.
        let mut visited = 0usize;
        while let Some((tree_id, prefix, depth)) = pending.pop() {
            let what = || format!("the folder `{}`", prefix.display());
            let object = repo.find_object(tree_id).map_err(|e| object_error(commit, what())(e.to_string()))?;
            let tree = object.try_into_tree().map_err(|e| object_error(commit, what())(e.to_string()))?;
            let decoded = tree.decode().map_err(|e| object_error(commit, what())(e.to_string()))?;
            for entry in decoded.entries {
                visited += 1;
                if visited > MAX_FILES {
                    return Err(GitError::TooManyFiles { commit: commit.to_owned() });
                }
                let name = entry.filename.to_str_lossy();
                let path = prefix.join(name.as_ref());
                if !safe_name(entry.filename) {
                    listing.skipped.push(format!("`{}`: a name that cannot be a file here", path.display()));
                    continue;
                }
                if entry.mode.is_tree() {
                    if depth + 1 > MAX_DEPTH {
                        listing.skipped.push(format!("`{}`: folders nest deeper than {MAX_DEPTH}", path.display()));
                    } else {
                        pending.push((entry.oid.to_owned(), path, depth + 1));
                    }
                } else if entry.mode.is_blob() {
                    listing.files.insert(path, entry.oid.to_owned());
                } else {
                    listing.skipped.push(format!("`{}`: a symbolic link or submodule", path.display()));
                }
            }
        }
        if listing.skipped.len() > SKIPPED_NAMED {
            let more = listing.skipped.len() - SKIPPED_NAMED;
            listing.skipped.truncate(SKIPPED_NAMED);
            listing.skipped.push(format!("and {more} more"));
        }
        Ok(listing)
    }
}

/// A bare copy, on this machine, of a repository elsewhere (`ssh://`,
/// `git://`, `user@host:path`), cloned once and fetched on demand with
/// gix's own protocol code (ssh is the one program it runs, as git does).
/// Its remote-tracking refs (`origin/<branch>`) are what a [`GitSource`]
/// over it follows.
#[derive(Debug)]
pub struct Mirror {
    url: String,
    dir: PathBuf,
}

impl Mirror {
    /// The mirror of `url` in `dir`: cloned (bare) when `dir` holds no
    /// repository yet, else used as it is (and fetched by [`Mirror::fetch`]).
    pub fn open_or_clone(url: &str, dir: &Path) -> Result<Mirror, GitError> {
        let mirror = Mirror { url: url.to_owned(), dir: dir.to_owned() };
        if gix::open(dir).is_ok() {
            return Ok(mirror);
        }
        let fail = |message: String| GitError::Open { path: PathBuf::from(url), message };
        std::fs::create_dir_all(dir).map_err(|source| GitError::Write { path: dir.to_owned(), source })?;
        let interrupt = std::sync::atomic::AtomicBool::new(false);
        let mut prepare = gix::prepare_clone_bare(url, dir).map_err(|e| fail(e.to_string()))?;
        prepare.fetch_only(gix::progress::Discard, &interrupt).map_err(|e| fail(e.to_string()))?;
        Ok(mirror)
    }

    /// The folder the mirror is in.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Fetches what the remote has new.
    pub fn fetch(&self) -> Result<(), GitError> {
        let fail = |message: String| GitError::Open { path: PathBuf::from(&self.url), message };
        let repo = gix::open(&self.dir).map_err(|e| fail(e.to_string()))?;
        let remote = repo
            .find_default_remote(gix::remote::Direction::Fetch)
            .ok_or_else(|| fail("the mirror has no remote".to_owned()))?
            .map_err(|e| fail(e.to_string()))?;
        // A bare clone records no ref-specs: track the branches beside its own.
        let remote = remote
            .with_refspecs(Some("+refs/heads/*:refs/remotes/origin/*"), gix::remote::Direction::Fetch)
            .map_err(|e| fail(e.to_string()))?;
        let interrupt = std::sync::atomic::AtomicBool::new(false);
        remote
            .connect(gix::remote::Direction::Fetch)
            .map_err(|e| fail(e.to_string()))?
            .prepare_fetch(gix::progress::Discard, Default::default())
            .map_err(|e| fail(e.to_string()))?
            .receive(gix::progress::Discard, &interrupt)
            .map_err(|e| fail(e.to_string()))?;
        Ok(())
    }

    /// The ref of the mirror that mirrors the remote's `reference`: the
    /// remote-tracking one when the clone made one, else the same name.
    pub fn tracking(&self, reference: &str) -> String {
        let tracking = format!("refs/remotes/origin/{reference}");
        let found = gix::open(&self.dir).ok().is_some_and(|r| r.find_reference(tracking.as_str()).is_ok());
        if found { tracking } else { reference.to_owned() }
    }
}

#[derive(Default)]
struct Listing {
    files: HashMap<PathBuf, gix::ObjectId>,
    skipped: Vec<String>,
}

/// Entries skipped that are named one by one; the rest are counted.
const SKIPPED_NAMED: usize = 100;

/// Whether a tree entry's name is a plain file name here: not empty, not
/// `.` or `..`, no separator, no NUL.
fn safe_name(name: &gix::bstr::BStr) -> bool {
    !name.is_empty()
        && name != "."
        && name != ".."
        && !name.contains(&b'/')
        && !name.contains(&b'\\')
        && !name.contains(&0)
        && Path::new(name.to_str_lossy().as_ref()).components().all(|c| matches!(c, Component::Normal(_)))
}

/// What moving a checkout to a commit did.
#[derive(Debug, Default)]
pub struct Moved {
    /// Files written (new or changed), relative to the checkout.
    pub written: Vec<PathBuf>,
    /// Files deleted.
    pub deleted: Vec<PathBuf>,
    /// Entries of the commit left out, and why.
    pub skipped: Vec<String>,
}

/// A folder holding the content of one commit at a time.
#[derive(Debug)]
pub struct Checkout {
    dir: PathBuf,
    /// The blob each file on disk holds, as this checkout wrote it; empty
    /// until the first move, which then also clears what an earlier
    /// process left.
    on_disk: HashMap<PathBuf, gix::ObjectId>,
    commit: Option<String>,
}

impl Checkout {
    /// A checkout in `dir`, created if missing.
    pub fn new(dir: &Path) -> Result<Checkout, GitError> {
        std::fs::create_dir_all(dir).map_err(|source| GitError::Write { path: dir.to_owned(), source })?;
        Ok(Checkout { dir: dir.to_owned(), on_disk: HashMap::new(), commit: None })
    }

    /// The folder the content is written to: load it from there.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The commit the folder holds, once moved.
    pub fn commit(&self) -> Option<&str> {
        self.commit.as_deref()
    }

    /// Makes the folder hold the content of `commit` from `source`: writes
    /// the files whose blobs differ, deletes those that went. Each file is
    /// written to a temporary name and renamed, so no reader sees half a
    /// file. On an error the folder may hold part of the new commit; the
    /// next move repairs it.
    pub fn move_to(&mut self, source: &GitSource, commit: &str) -> Result<Moved, GitError> {
        let repo = source.open()?;
        let listing = source.files(&repo, commit)?;
        let mut moved = Moved { skipped: listing.skipped, ..Moved::default() };
        let first = self.commit.is_none();
        // Forget the commit until the folder holds all of the new one.
        self.commit = None;
        // What went goes first: a file of the old commit may stand where a
        // folder of the new one goes (or the other way round).
        let gone: Vec<PathBuf> = if first {
            // Whatever an earlier process left that this commit lacks.
            let mut found = Vec::new();
            self.walk(&mut found)?;
            found.into_iter().filter(|p| !listing.files.contains_key(p)).collect()
        } else {
            self.on_disk.keys().filter(|p| !listing.files.contains_key(*p)).cloned().collect()
        };
        for path in gone {
            let full = self.dir.join(&path);
            let removed = match std::fs::symlink_metadata(&full) {
                Ok(meta) if meta.is_dir() => std::fs::remove_dir_all(&full),
                Ok(_) => std::fs::remove_file(&full),
                Err(e) => Err(e),
            };
            match removed {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(source) => return Err(GitError::Write { path: full, source }),
            }
            self.on_disk.remove(&path);
            self.remove_empty_parents(&path);
            moved.deleted.push(path);
        }
        for (path, id) in &listing.files {
            if self.on_disk.get(path) == Some(id) {
                continue;
            }
            let object = repo
                .find_object(*id)
                .map_err(|e| object_error(commit, format!("`{}`", path.display()))(e.to_string()))?;
            self.write(path, &object.data)?;
            self.on_disk.insert(path.clone(), *id);
            moved.written.push(path.clone());
        }
        moved.written.sort();
        moved.deleted.sort();
        self.commit = Some(commit.to_owned());
        Ok(moved)
    }

    fn write(&self, path: &Path, bytes: &[u8]) -> Result<(), GitError> {
        let full = self.dir.join(path);
        let parent = full.parent().unwrap_or(&self.dir);
        let error = |p: &Path| {
            let p = p.to_owned();
            move |source| GitError::Write { path: p, source }
        };
        // A file where a folder is now wanted (or the other way round)
        // goes first.
        if let Ok(meta) = std::fs::symlink_metadata(&full)
            && meta.is_dir()
        {
            std::fs::remove_dir_all(&full).map_err(error(&full))?;
        }
        if let Err(e) = std::fs::create_dir_all(parent) {
            // A file of the old commit may sit where a folder goes.
            let mut ancestor = parent.to_owned();
            while ancestor.starts_with(&self.dir) && ancestor != self.dir {
                if ancestor.is_file() {
                    std::fs::remove_file(&ancestor).map_err(error(&ancestor))?;
                    break;
                }
                if !ancestor.pop() {
                    break;
                }
            }
            std::fs::create_dir_all(parent).map_err(|_| GitError::Write { path: parent.to_owned(), source: e })?;
        }
        let mut temp = tempfile::Builder::new().prefix(".tessera-").tempfile_in(parent).map_err(error(parent))?;
        temp.write_all(bytes).map_err(error(&full))?;
        temp.persist(&full).map_err(|e| GitError::Write { path: full.clone(), source: e.error })?;
        Ok(())
    }

    /// Every file under the folder (not following links), relative to it;
    /// hidden entries (the loader skips them too) are left alone.
    fn walk(&self, out: &mut Vec<PathBuf>) -> Result<(), GitError> {
        let mut pending = vec![(PathBuf::new(), 0usize)];
        let mut seen = HashSet::new();
        while let Some((rel, depth)) = pending.pop() {
            let dir = self.dir.join(&rel);
            let entries = std::fs::read_dir(&dir).map_err(|source| GitError::Write { path: dir.clone(), source })?;
            for entry in entries.flatten() {
                let name = entry.file_name();
                if name.to_string_lossy().starts_with('.') {
                    continue;
                }
                let path = rel.join(&name);
                match entry.file_type() {
                    Ok(t) if t.is_dir() && depth < MAX_DEPTH + 1 => {
                        if seen.insert(path.clone()) {
                            pending.push((path, depth + 1));
                        }
                    }
                    Ok(t) if t.is_dir() => {}
                    Ok(_) => out.push(path),
                    Err(_) => {}
                }
            }
        }
        Ok(())
    }

    /// Removes the folders above `path` that are now empty.
    fn remove_empty_parents(&self, path: &Path) {
        let mut current = path.parent();
        while let Some(p) = current.filter(|p| !p.as_os_str().is_empty()) {
            if std::fs::remove_dir(self.dir.join(p)).is_err() {
                break;
            }
            current = p.parent();
        }
    }
}
