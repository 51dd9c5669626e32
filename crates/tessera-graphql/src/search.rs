//! Search indexes for the server: one per audience and content version,
//! built off the async runtime and shared by every request. A new content
//! version (a `--watch` edit) or an embargo lifting updates the newest
//! index of the audience in place of a fresh build: only the items that
//! changed are re-indexed ([`SearchIndex::update`]).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use tessera_core::{Audience, Snapshot};
use tessera_search::{Refresh, SearchError, SearchIndex};

type Key = (bool, u64, usize);

/// The indexes the server has built, by audience, content version and the
/// number of embargoes lifted; an index is made the first time it is
/// needed, from the newest one of its audience when there is one.
#[derive(Default)]
pub struct SearchIndexes {
    cache_dir: Option<PathBuf>,
    /// Each index with the order it was made in.
    built: Mutex<HashMap<Key, (Arc<SearchIndex>, u64)>>,
    /// How many indexes were made by updating another.
    updates: AtomicU64,
}

impl SearchIndexes {
    /// Indexes kept in memory, or also on disk under `cache_dir` so that a
    /// restart on the same content is fast.
    pub fn new(cache_dir: Option<PathBuf>) -> SearchIndexes {
        SearchIndexes { cache_dir, built: Mutex::new(HashMap::new()), updates: AtomicU64::new(0) }
    }

    /// The index of `snapshot` for `audience` at `now`, building it if needed.
    /// Blocks while building: call it from a blocking thread.
    pub fn get_blocking(
        &self,
        snapshot: &Snapshot,
        audience: Audience,
        now: DateTime<Utc>,
    ) -> Result<Arc<SearchIndex>, SearchError> {
        let key = (audience == Audience::Preview, snapshot.version(), snapshot.visibility_epoch(now));
        // Holding the lock while building makes concurrent searches wait for
        // one build instead of starting several.
        let mut built = self.built.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((index, _)) = built.get(&key) {
            return Ok(index.clone());
        }
        let newest = built.iter().filter(|(k, _)| k.0 == key.0).max_by_key(|(_, (_, made))| *made);
        // A cache folder that cannot be used (not writable, full, damaged
        // past removing) costs the next start a build, not the searches:
        // the index is then made in memory.
        let in_memory = |e: SearchError| match e {
            SearchError::Cache { .. } if self.cache_dir.is_some() => {
                tracing::warn!(error = %e, "cannot keep the search index on disk; it is made in memory");
                SearchIndex::build(snapshot, audience, now, None).map(|(index, _)| index)
            }
            e => Err(e),
        };
        let index = match newest {
            Some((_, (base, _))) => match base.update(snapshot, now) {
                Ok((index, refresh)) => {
                    tracing::debug!(?refresh, "search index made from the previous one");
                    if matches!(refresh, Refresh::Updated { .. }) {
                        self.updates.fetch_add(1, Ordering::Relaxed);
                    }
                    index
                }
                Err(e) => in_memory(e)?,
            },
            None => match SearchIndex::build(snapshot, audience, now, self.cache_dir.as_deref()) {
                Ok((index, _)) => index,
                Err(e) => in_memory(e)?,
            },
        };
        let index = Arc::new(index);
        let made = built.values().map(|(_, made)| made + 1).max().unwrap_or(0);
        // Indexes of other content versions are no longer needed.
        built.retain(|k, _| k.1 == key.1);
        built.insert(key, (index.clone(), made));
        Ok(index)
    }

    /// How many indexes were made by updating the previous one rather than
    /// by a fresh build.
    pub fn updates(&self) -> u64 {
        self.updates.load(Ordering::Relaxed)
    }

    /// As [`SearchIndexes::get_blocking`], on a blocking thread.
    pub async fn get(
        self: &Arc<Self>,
        snapshot: Arc<Snapshot>,
        audience: Audience,
        now: DateTime<Utc>,
    ) -> Result<Arc<SearchIndex>, SearchError> {
        let this = self.clone();
        match tokio::task::spawn_blocking(move || this.get_blocking(&snapshot, audience, now)).await {
            Ok(result) => result,
            Err(e) => Err(SearchError::Cache { path: PathBuf::new(), cause: std::io::Error::other(e.to_string()) }),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use tessera_search::SearchRequest;

    use super::*;

    fn copy(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap_or_else(|e| panic!("{e}"));
        for entry in std::fs::read_dir(from).unwrap_or_else(|e| panic!("{e}")).filter_map(Result::ok) {
            if entry.path().is_dir() {
                copy(&entry.path(), &to.join(entry.file_name()));
            } else {
                std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap_or_else(|e| panic!("{e}"));
            }
        }
    }

    /// A copy of the fixture site in `dir`, its index from `indexes`, then
    /// the index after an edit that adds a word: both, the edited
    /// snapshot, and when.
    fn index_then_edit(
        dir: &Path,
        indexes: &SearchIndexes,
    ) -> (Arc<SearchIndex>, Arc<SearchIndex>, Snapshot, DateTime<Utc>) {
        let root = dir.join("site");
        copy(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/valid-site"), &root);
        let now = Utc::now();
        let old = tessera_core::load(&root).unwrap_or_else(|e| panic!("{e:?}"));
        let first = indexes.get_blocking(&old, Audience::Public, now).unwrap_or_else(|e| panic!("{e}"));
        let page = root.join("pages/welcome.md");
        let text = std::fs::read_to_string(&page).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(&page, format!("{text}\nA zeppelin flew over.\n")).unwrap_or_else(|e| panic!("{e}"));
        let new = tessera_core::load(&root).unwrap_or_else(|e| panic!("{e:?}"));
        let second = indexes.get_blocking(&new, Audience::Public, now).unwrap_or_else(|e| panic!("{e}"));
        (first, second, new, now)
    }

    #[test]
    fn a_new_content_version_updates_the_newest_index() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let cache = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let indexes = SearchIndexes::new(Some(cache.path().to_owned()));
        let (first, second, new, now) = index_then_edit(dir.path(), &indexes);
        assert_eq!(indexes.updates(), 1);
        let locale = new.site().default_locale.clone();
        let hits = |index: &SearchIndex| {
            index.search(&SearchRequest::new("zeppelin", locale.clone())).map(|r| r.total).unwrap_or(usize::MAX)
        };
        assert_eq!((hits(&first), hits(&second)), (0, 1));
        assert!(second.is_current(&new, now) && !first.is_current(&new, now));
    }

    /// A cache folder that cannot be made (a file is in the way) costs a
    /// build at each start, not the searches: the index is made in memory,
    /// and updated there.
    #[test]
    fn an_unusable_cache_folder_leaves_the_index_in_memory() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let in_way = dir.path().join("a-file");
        std::fs::write(&in_way, "not a folder").unwrap_or_else(|e| panic!("{e}"));
        let indexes = SearchIndexes::new(Some(in_way.join("search")));
        let (first, second, new, _) = index_then_edit(dir.path(), &indexes);
        let locale = new.site().default_locale.clone();
        let hits = |index: &SearchIndex, q: &str| {
            index.search(&SearchRequest::new(q, locale.clone())).map(|r| r.total).unwrap_or(usize::MAX)
        };
        assert!(hits(&first, "welcome") > 0);
        assert_eq!((hits(&first, "zeppelin"), hits(&second, "zeppelin")), (0, 1));
    }
}
