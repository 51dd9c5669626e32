//! The change feed: each new version the public sees, with the items that
//! changed for it ([`tessera_core::public_changes`]), kept in a bounded log
//! for `changes(since:)`, broadcast to subscriptions and `/events`, and
//! handed to sinks (the webhook outbox).
//!
//! Event ids derive from the two versions and the item, not from the
//! time or the process: two replicas moving between the same versions
//! give the same ids, so a consumer that hears both can tell.

use std::collections::VecDeque;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use tessera_core::{Change, ChangeKind, Kind};
use tokio::sync::broadcast;

/// Versions kept in the log, at most.
pub const LOG_VERSIONS: usize = 1_000;
/// Events kept in the log, at most, over all versions.
pub const LOG_EVENTS: usize = 100_000;
/// Versions a slow listener may fall behind before it is told it missed some.
const BROADCAST_CAPACITY: usize = 256;

/// One item that changed for the public between two versions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeEvent {
    /// Unique and stable: `msg_` and 32 hexadecimal digits.
    pub id: String,
    /// How it changed.
    pub change: ChangeKind,
    /// The item's kind.
    pub kind: Kind,
    /// The item's slug.
    pub slug: String,
    /// The locale of the file that changed.
    pub locale: String,
    /// The version that has the change.
    pub version: String,
    /// The version before it.
    pub previous: String,
    /// When the change was made: the commit's time, or the embargo's end;
    /// when this server saw it only when neither is known.
    pub at: DateTime<Utc>,
}

impl ChangeEvent {
    /// The event type: `item.updated`, ….
    pub fn event_type(&self) -> &'static str {
        self.change.event_type()
    }

    /// The item as the event names it, in JSON.
    pub fn data(&self) -> serde_json::Value {
        serde_json::json!({
            "id": self.id,
            "kind": self.kind.name(),
            "slug": self.slug,
            "locale": self.locale,
            "version": self.version,
            "previous": self.previous,
        })
    }

    /// The whole event, as webhooks and `/events` send it: `type`,
    /// `timestamp` and `data` (the Standard Webhooks payload shape).
    pub fn payload(&self) -> serde_json::Value {
        serde_json::json!({
            "type": self.event_type(),
            "timestamp": self.at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            "data": self.data(),
        })
    }
}

/// A new version and what changed in it.
#[derive(Debug, Clone)]
pub struct Batch {
    /// The version before.
    pub previous: String,
    /// The new version.
    pub version: String,
    /// The items that changed, possibly none (a draft-only commit).
    pub events: Vec<ChangeEvent>,
}

/// Something told of every batch with events (the webhook outbox).
pub type Sink = Box<dyn Fn(&Batch) + Send + Sync>;

/// Why `changes(since:)` cannot answer.
#[derive(Debug, PartialEq, Eq)]
pub enum Since {
    /// The events after the version, oldest first.
    Events(Vec<ChangeEvent>),
    /// The version is not in the log: older than it reaches, or never seen.
    Unknown,
}

/// The feed of one server.
pub struct ChangeFeed {
    sender: broadcast::Sender<Arc<Batch>>,
    log: Mutex<Log>,
    sinks: Mutex<Vec<Sink>>,
    /// Where the log is kept across restarts, when it is.
    journal: Mutex<Option<Journal>>,
}

/// The log on disk: one JSON line per batch, appended as published.
struct Journal {
    path: PathBuf,
    file: std::fs::File,
    lines: usize,
}

struct Log {
    current: String,
    /// Batches published so far.
    published: u64,
    batches: VecDeque<Arc<Batch>>,
    events: usize,
}

impl ChangeFeed {
    /// A feed whose current version is `current`.
    pub fn new(current: String) -> ChangeFeed {
        ChangeFeed {
            sender: broadcast::channel(BROADCAST_CAPACITY).0,
            log: Mutex::new(Log { current, published: 0, batches: VecDeque::new(), events: 0 }),
            sinks: Mutex::new(Vec::new()),
            journal: Mutex::new(None),
        }
    }

    /// Keeps the log in the file `path` from now on, and first restores
    /// what it holds: the batches that lead, version after version, to the
    /// current one. A restart on the version the server stopped at (the
    /// same commit) can then still answer `changes(since:)` for versions
    /// before it; history that does not lead to the current version (the
    /// content changed while the server was down) is dropped, since what
    /// changed meanwhile is unknown. Unreadable lines are skipped and
    /// counted in the returned number.
    pub fn keep_in(&self, path: &Path) -> std::io::Result<usize> {
        let (batches, skipped) = match std::fs::read_to_string(path) {
            Ok(text) => read_journal(&text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => (Vec::new(), 0),
            Err(e) => return Err(std::io::Error::new(e.kind(), format!("{}: {e}", path.display()))),
        };
        let mut log = self.log.lock().map_err(|_| std::io::Error::other("the change log is poisoned"))?;
        // The chain that ends at the current version, newest first.
        let mut chain: Vec<Arc<Batch>> = Vec::new();
        let mut want = log.current.clone();
        for batch in batches.into_iter().rev() {
            if batch.version != want || chain.len() >= LOG_VERSIONS {
                break;
            }
            want = batch.previous.clone();
            chain.push(Arc::new(batch));
        }
        chain.reverse();
        log.events = chain.iter().map(|b| b.events.len()).sum();
        log.batches = chain.into_iter().chain(log.batches.drain(..)).collect();
        let journal = write_journal(path, log.batches.iter())?;
        if let Ok(mut slot) = self.journal.lock() {
            *slot = Some(journal);
        }
        Ok(skipped)
    }

    /// The version the feed last published.
    pub fn current(&self) -> String {
        self.log.lock().map(|l| l.current.clone()).unwrap_or_default()
    }

    /// How many versions were published so far: answers that read the
    /// feed are cached under it.
    pub fn published(&self) -> u64 {
        self.log.lock().map(|l| l.published).unwrap_or(u64::MAX)
    }

    /// Registers `sink`, told of every later batch with events.
    pub fn on_publish(&self, sink: Sink) {
        if let Ok(mut sinks) = self.sinks.lock() {
            sinks.push(sink);
        }
    }

    /// Listens to batches published from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Batch>> {
        self.sender.subscribe()
    }

    /// Publishes the move from `previous` to `version`, seen at `at`,
    /// with `changes`. A move that changes neither the version nor any
    /// item is ignored.
    pub fn publish(&self, previous: &str, version: &str, at: DateTime<Utc>, changes: Vec<Change>) -> Arc<Batch> {
        let events: Vec<ChangeEvent> = changes
            .into_iter()
            .map(|c| {
                let locale = c.locale.to_string();
                let mut h = xxhash_rust::xxh3::Xxh3::new();
                for part in [previous, version, c.change.event_type(), c.kind.name(), &c.slug, &locale] {
                    h.update(&(part.len() as u64).to_le_bytes());
                    h.update(part.as_bytes());
                }
                ChangeEvent {
                    id: format!("msg_{:032x}", h.digest128()),
                    change: c.change,
                    kind: c.kind,
                    slug: c.slug,
                    locale,
                    version: version.to_owned(),
                    previous: previous.to_owned(),
                    at,
                }
            })
            .collect();
        let batch = Arc::new(Batch { previous: previous.to_owned(), version: version.to_owned(), events });
        if batch.events.is_empty() && previous == version {
            return batch;
        }
        if let Ok(mut log) = self.log.lock() {
            log.current = version.to_owned();
            log.published += 1;
            log.events += batch.events.len();
            log.batches.push_back(batch.clone());
            while log.batches.len() > LOG_VERSIONS || (log.events > LOG_EVENTS && log.batches.len() > 1) {
                if let Some(old) = log.batches.pop_front() {
                    log.events -= old.events.len();
                }
            }
            if let Ok(mut slot) = self.journal.lock()
                && let Some(journal) = slot.as_mut()
            {
                // Rewritten when it holds twice what the log keeps.
                let result = if journal.lines >= 2 * LOG_VERSIONS {
                    write_journal(&journal.path, log.batches.iter()).map(|j| *journal = j)
                } else {
                    append(journal, &batch)
                };
                if let Err(e) = result {
                    tracing::warn!(path = %journal.path.display(), error = %e, "cannot keep the change log on disk");
                }
            }
        }
        if !batch.events.is_empty() {
            // No listener is not an error.
            let _ = self.sender.send(batch.clone());
            if let Ok(sinks) = self.sinks.lock() {
                for sink in sinks.iter() {
                    sink(&batch);
                }
            }
        }
        batch
    }

    /// The events since `version`: none when it is the current one; every
    /// event of the versions after it when the log reaches back to it.
    pub fn since(&self, version: &str) -> Since {
        let Ok(log) = self.log.lock() else { return Since::Unknown };
        // An embargo lifting under one commit keeps the version: asked from
        // that version, its events are given, perhaps again (a consumer
        // cannot say whether it saw them; twice is better than never).
        match log.batches.iter().position(|b| b.previous == version) {
            Some(start) => Since::Events(log.batches.iter().skip(start).flat_map(|b| b.events.clone()).collect()),
            None if version == log.current => Since::Events(Vec::new()),
            None => Since::Unknown,
        }
    }

    /// The events after the event `id` (for a stream resumed with
    /// `Last-Event-ID`), or `None` when the log no longer holds it.
    pub fn after_event(&self, id: &str) -> Option<Vec<ChangeEvent>> {
        let log = self.log.lock().ok()?;
        let all: Vec<&ChangeEvent> = log.batches.iter().flat_map(|b| b.events.iter()).collect();
        let at = all.iter().position(|e| e.id == id)?;
        Some(all[at + 1..].iter().map(|e| (*e).clone()).collect())
    }
}

fn batch_line(batch: &Batch) -> String {
    let events: Vec<serde_json::Value> = batch
        .events
        .iter()
        .map(|e| {
            serde_json::json!({
                "id": e.id, "type": e.event_type(), "kind": e.kind.name(), "slug": e.slug, "locale": e.locale,
                "at": e.at.to_rfc3339(),
            })
        })
        .collect();
    serde_json::json!({ "previous": batch.previous, "version": batch.version, "events": events }).to_string()
}

fn append(journal: &mut Journal, batch: &Batch) -> std::io::Result<()> {
    let mut line = batch_line(batch);
    line.push('\n');
    journal.file.write_all(line.as_bytes())?;
    journal.lines += 1;
    Ok(())
}

/// Writes `batches` to `path` afresh (temporary file, then rename) and
/// opens it for appending.
fn write_journal<'b>(path: &Path, batches: impl Iterator<Item = &'b Arc<Batch>>) -> std::io::Result<Journal> {
    let folder = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(folder)?;
    let mut text = String::new();
    let mut lines = 0;
    for batch in batches {
        text.push_str(&batch_line(batch));
        text.push('\n');
        lines += 1;
    }
    let temp = path.with_extension("tmp");
    std::fs::write(&temp, text)?;
    std::fs::rename(&temp, path)?;
    let file = std::fs::OpenOptions::new().append(true).open(path)?;
    Ok(Journal { path: path.to_owned(), file, lines })
}

/// The batches of a journal, and how many lines could not be read (a
/// line cut short by a crash, or a file edited by hand).
fn read_journal(text: &str) -> (Vec<Batch>, usize) {
    let mut batches = Vec::new();
    let mut skipped = 0;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        match read_batch(line) {
            Some(b) => batches.push(b),
            None => skipped += 1,
        }
    }
    (batches, skipped)
}

fn read_batch(line: &str) -> Option<Batch> {
    let v: serde_json::Value = serde_json::from_str(line).ok()?;
    let text = |v: &serde_json::Value, k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_owned);
    let previous = text(&v, "previous")?;
    let version = text(&v, "version")?;
    let mut events = Vec::new();
    for e in v.get("events")?.as_array()? {
        let kind_of = text(e, "type")?;
        events.push(ChangeEvent {
            id: text(e, "id")?,
            change: ChangeKind::ALL.into_iter().find(|k| k.event_type() == kind_of)?,
            kind: text(e, "kind")?.parse().ok()?,
            slug: text(e, "slug")?,
            locale: text(e, "locale")?,
            version: version.clone(),
            previous: previous.clone(),
            at: DateTime::parse_from_rfc3339(&text(e, "at")?).ok()?.with_timezone(&Utc),
        });
    }
    Some(Batch { previous, version, events })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(change: ChangeKind, slug: &str) -> Change {
        Change { change, kind: Kind::Page, slug: slug.to_owned(), locale: tessera_core::Locale::parse("en").unwrap() }
    }

    #[test]
    fn the_log_answers_since_any_version_it_reaches() {
        let feed = ChangeFeed::new("v1".to_owned());
        let at = Utc::now();
        feed.publish("v1", "v2", at, vec![change(ChangeKind::Updated, "a")]);
        // A draft-only version: no events, but a version to catch up from.
        feed.publish("v2", "v3", at, Vec::new());
        feed.publish("v3", "v4", at, vec![change(ChangeKind::Created, "b"), change(ChangeKind::Deleted, "c")]);
        let slugs = |s: Since| match s {
            Since::Events(e) => e.into_iter().map(|e| e.slug).collect::<Vec<_>>(),
            Since::Unknown => vec!["?".to_owned()],
        };
        assert_eq!(slugs(feed.since("v1")), ["a", "b", "c"]);
        assert_eq!(slugs(feed.since("v2")), ["b", "c"]);
        assert_eq!(slugs(feed.since("v3")), ["b", "c"]);
        assert!(slugs(feed.since("v4")).is_empty());
        assert_eq!(feed.since("v0"), Since::Unknown);
        // An embargo lifting under one version: asked from that version,
        // the lifting is given (twice is better than never).
        feed.publish("v4", "v4", at, vec![change(ChangeKind::EmbargoLifted, "d")]);
        assert_eq!(slugs(feed.since("v4")), ["d"]);
        assert_eq!(feed.current(), "v4");
    }

    #[test]
    fn ids_are_stable_and_distinct_and_resumable() {
        let one = ChangeFeed::new("v1".to_owned());
        let two = ChangeFeed::new("v1".to_owned());
        let a = one.publish(
            "v1",
            "v2",
            Utc::now(),
            vec![change(ChangeKind::Updated, "a"), change(ChangeKind::Updated, "b")],
        );
        let b = two.publish(
            "v1",
            "v2",
            Utc::now(),
            vec![change(ChangeKind::Updated, "a"), change(ChangeKind::Updated, "b")],
        );
        let ids = |b: &Batch| b.events.iter().map(|e| e.id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(&a), ids(&b), "two servers name the same change the same way");
        assert_ne!(ids(&a)[0], ids(&a)[1]);
        assert!(ids(&a)[0].starts_with("msg_") && ids(&a)[0].len() == 36);
        let later = one.publish("v2", "v3", Utc::now(), vec![change(ChangeKind::Updated, "a")]);
        assert_ne!(ids(&later)[0], ids(&a)[0], "the same item changing again is a new event");
        let after: Vec<String> = one.after_event(&ids(&a)[0]).unwrap().into_iter().map(|e| e.id).collect();
        assert_eq!(after, [ids(&a)[1].clone(), ids(&later)[0].clone()]);
        assert_eq!(one.after_event("msg_unknown"), None);
    }

    #[test]
    fn the_journal_restores_the_history_that_leads_to_the_current_version() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state/changes.jsonl");
        let feed = ChangeFeed::new("v1".to_owned());
        assert_eq!(feed.keep_in(&path).unwrap(), 0);
        feed.publish("v1", "v2", Utc::now(), vec![change(ChangeKind::Updated, "a")]);
        feed.publish("v2", "v3", Utc::now(), vec![change(ChangeKind::Deleted, "b")]);
        let before = match feed.since("v1") {
            Since::Events(e) => e,
            Since::Unknown => panic!("v1 is known"),
        };
        // A restart at the version the server stopped at knows the history,
        // ids and times included, even past a line cut short by a crash.
        let mut text = std::fs::read_to_string(&path).unwrap();
        text.push_str("{\"previous\": \"v3\", \"vers");
        std::fs::write(&path, text).unwrap();
        let again = ChangeFeed::new("v3".to_owned());
        assert_eq!(again.keep_in(&path).unwrap(), 1);
        assert_eq!(again.since("v1"), Since::Events(before));
        // It goes on appending.
        again.publish("v3", "v4", Utc::now(), vec![change(ChangeKind::Created, "c")]);
        let third = ChangeFeed::new("v4".to_owned());
        third.keep_in(&path).unwrap();
        assert!(matches!(third.since("v1"), Since::Events(e) if e.len() == 3));
        // A restart on other content: the history does not lead to it, and
        // what changed meanwhile is unknown, so it is not offered.
        let moved = ChangeFeed::new("v9".to_owned());
        moved.keep_in(&path).unwrap();
        assert_eq!(moved.since("v1"), Since::Unknown);
        assert_eq!(moved.since("v9"), Since::Events(Vec::new()));
    }

    #[test]
    fn the_log_is_bounded() {
        let feed = ChangeFeed::new("0".to_owned());
        for i in 0..(LOG_VERSIONS + 10) {
            feed.publish(&i.to_string(), &(i + 1).to_string(), Utc::now(), vec![change(ChangeKind::Updated, "a")]);
        }
        assert_eq!(feed.since("0"), Since::Unknown, "the oldest versions were dropped");
        assert!(matches!(feed.since("20"), Since::Events(e) if e.len() == LOG_VERSIONS - 10));
    }

    #[test]
    fn sinks_and_listeners_hear_batches_with_events_only() {
        let feed = ChangeFeed::new("v1".to_owned());
        let heard = Arc::new(Mutex::new(Vec::new()));
        let kept = heard.clone();
        feed.on_publish(Box::new(move |b| kept.lock().unwrap().push(b.version.clone())));
        let mut rx = feed.subscribe();
        feed.publish("v1", "v2", Utc::now(), Vec::new());
        feed.publish("v2", "v3", Utc::now(), vec![change(ChangeKind::Published, "a")]);
        assert_eq!(*heard.lock().unwrap(), ["v3"]);
        assert_eq!(rx.try_recv().unwrap().version, "v3");
        assert!(rx.try_recv().is_err());
    }
}
