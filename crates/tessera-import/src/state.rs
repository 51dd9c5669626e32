//! The import's memory: `content/.import/state.toml` lists every file an
//! import wrote, the old address it came from and a hash of the bytes
//! written. A file whose bytes still hash the same was touched by no
//! editor, so a later import may rewrite it; any other file is left alone.
//! (Front matter refuses unknown keys, so the hash cannot live there.)
//! The loader skips folders whose name starts with a dot.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::ImportError;

/// Where the state lives, relative to the content folder.
pub const STATE_FILE: &str = ".import/state.toml";

const HEADER: &str = "# Written by `tessera import`: the files it wrote, the old address each came\n# from, and a hash of the bytes written (a file that no longer has it was\n# edited, and imports leave it alone). Do not edit.\n";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Entry {
    pub(crate) path: String,
    pub(crate) source: String,
    pub(crate) hash: String,
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    items: Vec<Entry>,
}

/// Entries by path.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct State {
    pub(crate) entries: BTreeMap<String, Entry>,
}

pub(crate) fn hash(bytes: &[u8]) -> String {
    format!("xxh3:{:016x}", xxhash_rust::xxh3::xxh3_64(bytes))
}

impl State {
    pub(crate) fn read(content: &Path) -> Result<State, ImportError> {
        let path = content.join(STATE_FILE);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(State::default()),
            Err(source) => return Err(ImportError::Io { path, source }),
        };
        let file: File =
            toml::from_str(&text).map_err(|e| ImportError::State { path: path.clone(), message: e.to_string() })?;
        Ok(State { entries: file.items.into_iter().map(|e| (e.path.clone(), e)).collect() })
    }

    pub(crate) fn to_text(&self) -> Result<String, ImportError> {
        let file = File { items: self.entries.values().cloned().collect() };
        let body = toml::to_string(&file)
            .map_err(|e| ImportError::State { path: PathBuf::from(STATE_FILE), message: e.to_string() })?;
        Ok(format!("{HEADER}{body}"))
    }
}

/// Writes `bytes` to a temporary file beside `path` and renames it into
/// place: a reader sees the old file or the new one, never half of one.
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), ImportError> {
    let io = |source| ImportError::Io { path: path.to_path_buf(), source };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.import-{}", std::process::id()));
    let result = std::fs::write(&tmp, bytes).and_then(|()| std::fs::rename(&tmp, path));
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(io(e));
    }
    Ok(())
}
