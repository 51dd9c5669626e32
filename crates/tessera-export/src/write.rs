//! Writing an export: beside the target, then renamed into place.

use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::{ExportError, Output};

fn io(path: &Path) -> impl Fn(std::io::Error) -> ExportError + '_ {
    move |source| ExportError::Io { path: path.to_owned(), source }
}

/// Test hook: an export into the folder this environment variable names
/// dies (as if killed) after writing everything and before swapping it in.
#[doc(hidden)]
pub const KILL_BEFORE_SWAP: &str = "TESSERA_TEST_KILL_BEFORE_SWAP";

/// The file that marks a folder as a Tessera export, which the next export
/// may replace whole. A folder without it is never replaced unless empty.
pub const MARKER: &str = ".tessera-export";

fn unsafe_target(path: &Path, reason: &str) -> ExportError {
    ExportError::UnsafeTarget { path: path.to_owned(), reason: reason.to_owned() }
}

/// `path` made absolute, `.` and `..` resolved, symbolic links of the part
/// that exists followed.
fn resolve(path: &Path) -> std::io::Result<PathBuf> {
    use std::path::Component;
    let absolute = std::path::absolute(path)?;
    let mut lexical = PathBuf::new();
    for c in absolute.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                lexical.pop();
            }
            other => lexical.push(other),
        }
    }
    // Follow symbolic links through the deepest part that exists, then add
    // the parts still to be created: `link/new/folder` must be judged by
    // where `link` leads.
    let mut existing = lexical.clone();
    let mut missing = Vec::new();
    loop {
        if let Ok(real) = existing.canonicalize() {
            return Ok(missing.iter().rev().fold(real, |path, part: &std::ffi::OsString| path.join(part)));
        }
        match (existing.file_name().map(ToOwned::to_owned), existing.parent().map(Path::to_owned)) {
            (Some(name), Some(parent)) => {
                missing.push(name);
                existing = parent;
            }
            _ => return Ok(lexical),
        }
    }
}

/// Checks that the folder `target` may be replaced by an export, and
/// returns it resolved. Refused: `/`, the home folder, the current folder
/// and its parents, any folder in `keep` (the content folder), inside one
/// or holding one, a file, and a folder with files in it that is not a
/// previous export (it has no [`MARKER`]).
pub fn check_target(target: &Path, keep: &[&Path]) -> Result<PathBuf, ExportError> {
    let resolved = resolve(target).map_err(io(target))?;
    if resolved.parent().is_none() {
        return Err(unsafe_target(target, "it is the root folder"));
    }
    let home = std::env::var_os("HOME").map(PathBuf::from).and_then(|h| h.canonicalize().ok());
    if home.as_deref() == Some(resolved.as_path()) {
        return Err(unsafe_target(target, "it is the home folder"));
    }
    if std::env::current_dir().and_then(|d| d.canonicalize()).is_ok_and(|cwd| cwd.starts_with(&resolved)) {
        return Err(unsafe_target(target, "it is the current folder or one of its parents"));
    }
    for k in keep {
        let k = resolve(k).map_err(io(k))?;
        if resolved.starts_with(&k) || k.starts_with(&resolved) {
            return Err(unsafe_target(target, &format!("it is, holds or is inside {}", k.display())));
        }
    }
    match std::fs::symlink_metadata(&resolved) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(io(target)(e)),
        Ok(meta) if !meta.is_dir() => return Err(unsafe_target(target, "it is a file, not a folder")),
        Ok(_) => {
            let mut entries = std::fs::read_dir(&resolved).map_err(io(target))?;
            if entries.next().is_some() && !resolved.join(MARKER).is_file() {
                return Err(unsafe_target(
                    target,
                    "it is not empty and not a previous export (it has no .tessera-export file); choose a new or empty folder",
                ));
            }
        }
    }
    Ok(resolved)
}

/// Removes what exports into `parent/name` that were killed left behind:
/// their staging and set-aside folders, named with their process id, when
/// that process is gone. (Only where the system lists processes in /proc.)
fn remove_leftovers(parent: &Path, name: &str) {
    let proc = Path::new("/proc");
    if !proc.is_dir() {
        return;
    }
    let Ok(entries) = std::fs::read_dir(parent) else { return };
    for entry in entries.filter_map(Result::ok) {
        let file_name = entry.file_name();
        let file_name = file_name.to_string_lossy();
        let pid = [".tmp-", ".old-"]
            .iter()
            .find_map(|tag| file_name.strip_prefix(&format!(".{name}{tag}")))
            .filter(|pid| !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()));
        if let Some(pid) = pid
            && !proc.join(pid).exists()
        {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// Writes `output` into a fresh folder beside `target`, then swaps it in:
/// a failure or a kill midway leaves the previous `target` as it was.
/// `target` must pass [`check_target`].
pub fn write_atomically(output: &Output, target: &Path) -> Result<(), ExportError> {
    write_atomically_with(output, target, &|_| {})
}

/// As [`write_atomically`], calling `progress` after each file written.
pub fn write_atomically_with(
    output: &Output,
    target: &Path,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<(), ExportError> {
    let target = &check_target(target, &[])?;
    let Some(parent) = target.parent().map(Path::to_owned) else {
        return Err(unsafe_target(target, "it is the root folder"));
    };
    std::fs::create_dir_all(&parent).map_err(io(&parent))?;
    let name = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "export".into());
    remove_leftovers(&parent, &name);
    let staging = parent.join(format!(".{name}.tmp-{}", std::process::id()));
    if staging.exists() {
        std::fs::remove_dir_all(&staging).map_err(io(&staging))?;
    }
    let result = (|| {
        let dirs: std::collections::BTreeSet<PathBuf> =
            output.keys().filter_map(|k| Path::new(k).parent().map(|p| staging.join(p))).collect();
        std::fs::create_dir_all(&staging).map_err(io(&staging))?;
        for d in &dirs {
            std::fs::create_dir_all(d).map_err(io(d))?;
        }
        output.par_iter().try_for_each(|(rel, bytes)| {
            let path = staging.join(rel);
            std::fs::write(&path, bytes).map_err(io(&path))?;
            progress(1);
            Ok(())
        })?;
        let marker = staging.join(MARKER);
        std::fs::write(&marker, "Written by `tessera export`; the next export replaces this folder whole.\n")
            .map_err(io(&marker))?;
        // For the test of an export killed at its worst moment: everything
        // is written, nothing is swapped yet. The variable names the
        // target, so an export elsewhere is never affected.
        if std::env::var_os(KILL_BEFORE_SWAP).is_some_and(|t| Path::new(&t) == target) {
            std::process::abort();
        }
        // Swap: the old output moves aside, the new one takes its name.
        let old = parent.join(format!(".{name}.old-{}", std::process::id()));
        let had_old = target.exists();
        if had_old {
            std::fs::rename(target, &old).map_err(io(target))?;
        }
        if let Err(e) = std::fs::rename(&staging, target) {
            if had_old {
                let _ = std::fs::rename(&old, target);
            }
            return Err(io(target)(e));
        }
        if had_old {
            let _ = std::fs::remove_dir_all(&old);
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&staging);
    }
    result
}
