//! Search indexes for the server: one per audience and content version,
//! built off the async runtime and shared by every request.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use tessera_core::{Audience, Snapshot};
use tessera_search::{SearchError, SearchIndex};

type Key = (bool, u64, usize);

/// The indexes the server has built, by audience, content version and the
/// number of embargoes lifted; an index is built the first time it is needed.
#[derive(Default)]
pub struct SearchIndexes {
    cache_dir: Option<PathBuf>,
    built: Mutex<HashMap<Key, Arc<SearchIndex>>>,
}

impl SearchIndexes {
    /// Indexes kept in memory, or also on disk under `cache_dir` so that a
    /// restart on the same content is fast.
    pub fn new(cache_dir: Option<PathBuf>) -> SearchIndexes {
        SearchIndexes { cache_dir, built: Mutex::new(HashMap::new()) }
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
        if let Some(index) = built.get(&key) {
            return Ok(index.clone());
        }
        let (index, _) = SearchIndex::build(snapshot, audience, now, self.cache_dir.as_deref())?;
        let index = Arc::new(index);
        // Indexes of other content versions are no longer needed.
        built.retain(|k, _| k.1 == key.1);
        built.insert(key, index.clone());
        Ok(index)
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
            Err(e) => Err(SearchError::Cache { path: PathBuf::new(), source: std::io::Error::other(e.to_string()) }),
        }
    }
}
