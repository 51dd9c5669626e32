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

/// What `changes(since:)` finds.
#[derive(Debug, PartialEq, Eq)]
pub enum Since {
    /// A page of the events after the version, oldest first, and whether
    /// more follow.
    Events(Vec<ChangeEvent>, bool),
    /// The version is not in the log: older than it reaches, or never seen.
    Unknown,
    /// `after` names no event since the version.
    UnknownAfter,
}

/// Most events a stream resumed with `Last-Event-ID` is sent at once;
/// beyond, it is told to catch up with `changes(since:)`.
pub const MAX_REPLAY: usize = 1_000;

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
    /// Events written since the last rewrite.
    events: usize,
    /// An append failed (a full disk): the file may end in half a line,
    /// so it is rewritten whole at the next batch.
    torn: bool,
}

/// Largest journal read back; a bigger one (never written by a server
/// that rewrites it) is set aside and the history starts afresh.
const MAX_JOURNAL_BYTES: u64 = 256 * 1024 * 1024;

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
        let too_big = std::fs::metadata(path).is_ok_and(|m| m.len() > MAX_JOURNAL_BYTES);
        if too_big {
            tracing::warn!(path = %path.display(), "the change log on disk is too large to read back; starting afresh");
        }
        let read = if too_big { Ok(String::new()) } else { std::fs::read_to_string(path) };
        let (batches, skipped) = match read {
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
                // The instant is the commit's time or the embargo's end on
                // every replica: a version left and come back to later
                // gives new ids.
                let made = at.timestamp_millis().to_string();
                for part in [previous, version, &made, c.change.event_type(), c.kind.name(), &c.slug, &locale] {
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
                // Rewritten when it holds twice what the log keeps, or after
                // a failed append.
                let result = if journal.torn || journal.lines >= 2 * LOG_VERSIONS || journal.events >= 2 * LOG_EVENTS {
                    write_journal(&journal.path, log.batches.iter()).map(|j| *journal = j)
                } else {
                    append(journal, &batch)
                };
                if let Err(e) = result {
                    journal.torn = true;
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
    ///
    /// Read in place, a page at a time (`first` events after the event
    /// `after`): nothing but the page is copied. A version seen more than
    /// once is taken at its last time (the same version is the same
    /// content, and the last time is the shortest way to now). An embargo
    /// lifting under one commit keeps the version: asked from that
    /// version, its events are given, perhaps again (a consumer cannot say
    /// whether it saw them; twice is better than never).
    pub fn since(&self, version: &str, after: Option<&str>, first: usize) -> Since {
        let Ok(log) = self.log.lock() else { return Since::Unknown };
        // The content came back to `version` (an edit undone): nothing
        // before that is news to whoever saw it then.
        let returned =
            log.batches.iter().rposition(|b| b.version == version && b.previous != version).map_or(0, |i| i + 1);
        let start = match log.batches.iter().skip(returned).rposition(|b| b.previous == version) {
            Some(start) => returned + start,
            None if version == log.current => return Since::Events(Vec::new(), false),
            None => return Since::Unknown,
        };
        let events = || log.batches.iter().skip(start).flat_map(|b| b.events.iter());
        let skip = match after {
            None => 0,
            Some(id) => match events().enumerate().filter(|(_, e)| e.id == id).last() {
                Some((i, _)) => i + 1,
                None => return Since::UnknownAfter,
            },
        };
        let mut rest = events().skip(skip);
        let page: Vec<ChangeEvent> = rest.by_ref().take(first).cloned().collect();
        Since::Events(page, rest.next().is_some())
    }

    /// The events of the newest `batches` versions, oldest first: what a
    /// restart hands the webhook outbox again, in case the process stopped
    /// between logging them and queueing them (the outbox skips ids it
    /// already has or has sent).
    pub fn recent(&self, batches: usize) -> Vec<ChangeEvent> {
        let Ok(log) = self.log.lock() else { return Vec::new() };
        let skip = log.batches.len().saturating_sub(batches);
        log.batches.iter().skip(skip).flat_map(|b| b.events.iter().cloned()).collect()
    }

    /// The version the journal at `path` ends with, if it can be read: the
    /// content a server last served before it stopped.
    pub fn last_version_in(path: &Path) -> Option<String> {
        if std::fs::metadata(path).ok()?.len() > MAX_JOURNAL_BYTES {
            return None;
        }
        let text = std::fs::read_to_string(path).ok()?;
        read_journal(&text).0.pop().map(|b| b.version)
    }

    /// The events after the event `id` (for a stream resumed with
    /// `Last-Event-ID`), or `None` when the log no longer holds it.
    /// Also `None` beyond [`MAX_REPLAY`] events: the stream then says
    /// to catch up with `changes(since:)`.
    pub fn after_event(&self, id: &str) -> Option<Vec<ChangeEvent>> {
        let log = self.log.lock().ok()?;
        let all = || log.batches.iter().flat_map(|b| b.events.iter());
        let at = all().enumerate().filter(|(_, e)| e.id == id).last()?.0;
        let missed: Vec<ChangeEvent> = all().skip(at + 1).take(MAX_REPLAY + 1).cloned().collect();
        (missed.len() <= MAX_REPLAY).then_some(missed)
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
    journal.events += batch.events.len();
    Ok(())
}

/// Writes `batches` to `path` afresh (temporary file, then rename) and
/// opens it for appending.
fn write_journal<'b>(path: &Path, batches: impl Iterator<Item = &'b Arc<Batch>>) -> std::io::Result<Journal> {
    let folder = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(folder)?;
    let mut text = String::new();
    let (mut lines, mut events) = (0, 0);
    for batch in batches {
        text.push_str(&batch_line(batch));
        text.push('\n');
        lines += 1;
        events += batch.events.len();
    }
    let temp = path.with_extension("tmp");
    std::fs::write(&temp, text)?;
    std::fs::rename(&temp, path)?;
    let file = std::fs::OpenOptions::new().append(true).open(path)?;
    Ok(Journal { path: path.to_owned(), file, lines, events, torn: false })
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
            Since::Events(e, _) => e.into_iter().map(|e| e.slug).collect::<Vec<_>>(),
            Since::Unknown | Since::UnknownAfter => vec!["?".to_owned()],
        };
        assert_eq!(slugs(feed.since("v1", None, 10)), ["a", "b", "c"]);
        assert_eq!(slugs(feed.since("v2", None, 10)), ["b", "c"]);
        assert_eq!(slugs(feed.since("v3", None, 10)), ["b", "c"]);
        assert!(slugs(feed.since("v4", None, 10)).is_empty());
        assert_eq!(feed.since("v0", None, 10), Since::Unknown);
        // Page by page.
        let Since::Events(page, more) = feed.since("v1", None, 2) else { panic!() };
        assert!(more);
        assert_eq!(slugs(feed.since("v1", Some(&page[1].id), 2)), ["c"]);
        assert_eq!(feed.since("v1", Some("msg_nope"), 2), Since::UnknownAfter);
        // An embargo lifting under one version: asked from that version,
        // the lifting is given (twice is better than never).
        feed.publish("v4", "v4", at, vec![change(ChangeKind::EmbargoLifted, "d")]);
        assert_eq!(slugs(feed.since("v4", None, 10)), ["d"]);
        // A version come back to: events from its last time, with new ids.
        let later = at + chrono::Duration::seconds(1);
        let back = feed.publish("v4", "v1", later, vec![change(ChangeKind::Updated, "a")]);
        let again = feed.publish("v1", "v2", later, vec![change(ChangeKind::Updated, "a")]);
        assert_eq!(slugs(feed.since("v1", None, 10)), ["a"]);
        assert_ne!(back.events[0].id, again.events[0].id);
        assert_eq!(feed.since("v0", None, 1), Since::Unknown);
        assert_eq!(feed.current(), "v2");
        // An edit undone brings the current version back: asked from it,
        // nothing is news.
        feed.publish("v2", "v5", later, vec![change(ChangeKind::Updated, "e")]);
        feed.publish("v5", "v2", later, vec![change(ChangeKind::Updated, "e")]);
        assert!(slugs(feed.since("v2", None, 10)).is_empty());
        assert_eq!(slugs(feed.since("v5", None, 10)), ["e"]);
    }

    #[test]
    fn ids_are_stable_and_distinct_and_resumable() {
        let one = ChangeFeed::new("v1".to_owned());
        let two = ChangeFeed::new("v1".to_owned());
        // One time for both: the two servers publish the same commit.
        let at = Utc::now();
        let a = one.publish("v1", "v2", at, vec![change(ChangeKind::Updated, "a"), change(ChangeKind::Updated, "b")]);
        let b = two.publish("v1", "v2", at, vec![change(ChangeKind::Updated, "a"), change(ChangeKind::Updated, "b")]);
        let ids = |b: &Batch| b.events.iter().map(|e| e.id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(&a), ids(&b), "two servers name the same change the same way");
        assert_ne!(ids(&a)[0], ids(&a)[1]);
        assert!(ids(&a)[0].starts_with("msg_") && ids(&a)[0].len() == 36);
        let later = one.publish("v2", "v3", Utc::now(), vec![change(ChangeKind::Updated, "a")]);
        assert_ne!(ids(&later)[0], ids(&a)[0], "the same item changing again is a new event");
        let after: Vec<String> = one.after_event(&ids(&a)[0]).unwrap().into_iter().map(|e| e.id).collect();
        // Too far behind to replay: told to catch up instead.
        let many: Vec<Change> = (0..=MAX_REPLAY).map(|i| change(ChangeKind::Created, &format!("n{i}"))).collect();
        let big = two.publish("v2", "v3", Utc::now(), many);
        assert!(two.after_event(&ids(&b)[1]).is_none());
        assert_eq!(two.after_event(&big.events[0].id).map(|e| e.len()), Some(MAX_REPLAY));
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
        let before = match feed.since("v1", None, 10) {
            Since::Events(e, _) => e,
            _ => panic!("v1 is known"),
        };
        // A restart at the version the server stopped at knows the history,
        // ids and times included, even past a line cut short by a crash.
        let mut text = std::fs::read_to_string(&path).unwrap();
        text.push_str("{\"previous\": \"v3\", \"vers");
        std::fs::write(&path, text).unwrap();
        let again = ChangeFeed::new("v3".to_owned());
        assert_eq!(again.keep_in(&path).unwrap(), 1);
        assert_eq!(again.since("v1", None, 10), Since::Events(before, false));
        // It goes on appending.
        again.publish("v3", "v4", Utc::now(), vec![change(ChangeKind::Created, "c")]);
        let third = ChangeFeed::new("v4".to_owned());
        third.keep_in(&path).unwrap();
        assert!(matches!(third.since("v1", None, 10), Since::Events(e, _) if e.len() == 3));
        // A restart on other content: the history does not lead to it, and
        // what changed meanwhile is unknown, so it is not offered.
        let moved = ChangeFeed::new("v9".to_owned());
        moved.keep_in(&path).unwrap();
        assert_eq!(moved.since("v1", None, 10), Since::Unknown);
        assert_eq!(moved.since("v9", None, 10), Since::Events(Vec::new(), false));
    }

    #[test]
    fn the_log_is_bounded() {
        let feed = ChangeFeed::new("0".to_owned());
        for i in 0..(LOG_VERSIONS + 10) {
            feed.publish(&i.to_string(), &(i + 1).to_string(), Utc::now(), vec![change(ChangeKind::Updated, "a")]);
        }
        assert_eq!(feed.since("0", None, 10), Since::Unknown, "the oldest versions were dropped");
        assert!(matches!(feed.since("20", None, 5000), Since::Events(e, false) if e.len() == LOG_VERSIONS - 10));
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
