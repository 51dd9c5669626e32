//! Writing an export: beside the target, then renamed into place.

use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::{ExportError, Output};

fn io(path: &Path) -> impl Fn(std::io::Error) -> ExportError + '_ {
    move |source| ExportError::Io { path: path.to_owned(), source }
}

/// Writes `output` into a fresh folder beside `target`, then swaps it in:
/// a failure or a kill midway leaves the previous `target` as it was.
pub fn write_atomically(output: &Output, target: &Path) -> Result<(), ExportError> {
    write_atomically_with(output, target, &|_| {})
}

/// As [`write_atomically`], calling `progress` after each file written.
pub fn write_atomically_with(
    output: &Output,
    target: &Path,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<(), ExportError> {
    let parent = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent).map_err(io(&parent))?;
    let name = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "export".into());
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
