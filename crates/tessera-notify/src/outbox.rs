//! The durable outbox: messages written to disk before `enqueue` returns,
//! delivered in order by one thread per receiver, retried until accepted.
//!
//! On disk, `dir` holds one folder per receiver, named `r-` and a hash of
//! its URL and name (renaming a receiver starts a new queue, so messages
//! signed for one receiver never go to another). A receiver's folder holds:
//!
//! - `<sequence>.json`, zero-padded, one per pending message, delivered in
//!   name order; written to a `.tmp` file, synced, renamed, and the folder
//!   synced, before `enqueue` returns;
//! - `delivered.log`, the ids delivered, one a line, synced before the
//!   pending file is removed, so a crash in between cannot send a message
//!   twice through `enqueue` (the receiver may still see a retry: a crash
//!   after its 2xx but before the log write sends again, which is why every
//!   delivery carries the same `webhook-id`);
//! - `*.corrupt`, pending files that could not be read back, set aside.
//!
//! The queue is bounded: a receiver that has been away long enough to fill
//! it misses the later events (they are counted as dropped and logged). A
//! consumer that missed events catches up with the server's
//! `changes(since:)` query, which is why this is not unbounded.
//!
//! Only one `Outbox` may use a folder at a time.

use std::collections::{HashSet, VecDeque};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime};

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::config::{EVENT_TYPES, Receiver, WebhookConfig};
use crate::sign::sign;

/// How many delivered ids each receiver remembers, to refuse a second
/// `enqueue` of the same message.
pub const DELIVERED_LOG_LIMIT: usize = 100_000;

/// The longest message id accepted, in bytes.
pub const MAX_ID_LEN: usize = 256;

/// The `user-agent` of every delivery.
pub const USER_AGENT: &str = concat!("Tessera-Webhooks/", env!("CARGO_PKG_VERSION"));

const DELIVERED_LOG: &str = "delivered.log";

/// Timing of deliveries; the defaults suit production, tests shorten them.
#[derive(Debug, Clone)]
pub struct OutboxOptions {
    /// The wait after the first failed attempt; each further failure doubles it.
    pub retry_base: Duration,
    /// The longest wait between two attempts.
    pub retry_max: Duration,
    /// How long one attempt may take, connecting included.
    pub timeout: Duration,
    /// After this many consecutive failures a receiver is reported as failing.
    pub report_after: u32,
    /// Wait a random time between zero and the backoff ("full jitter"), so
    /// that receivers coming back are not hit by every sender at once. Off,
    /// the wait is the backoff itself (for tests that watch the schedule).
    pub jitter: bool,
}

impl Default for OutboxOptions {
    fn default() -> Self {
        OutboxOptions {
            retry_base: Duration::from_secs(1),
            retry_max: Duration::from_secs(600),
            timeout: Duration::from_secs(10),
            report_after: 8,
            jitter: true,
        }
    }
}

/// One event to send. The caller makes `id` unique and stable (the same
/// event always gets the same id), for example `msg_` and a hash.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    /// Unique and stable; sent as `webhook-id`, and the key for idempotency.
    pub id: String,
    /// One of [`EVENT_TYPES`]; receivers filter on it.
    pub event_type: String,
    /// The body sent: `{"type": ..., "timestamp": RFC 3339, "data": {...}}`.
    pub payload: serde_json::Value,
}

/// Why the outbox could not open or queue.
#[derive(Debug, thiserror::Error)]
pub enum OutboxError {
    /// A file or folder could not be read, written or synced.
    #[error("outbox: cannot {action} `{}`: {reason}", path.display())]
    Io {
        /// What was being done (`create`, `write`, `read`, ...).
        action: &'static str,
        /// The file or folder.
        path: PathBuf,
        /// What the operating system said.
        reason: io::Error,
    },
    /// The message id is empty, too long, or holds control characters.
    #[error("outbox: message id {id:?} is not usable: {reason}")]
    BadId {
        /// The id given (cut to [`MAX_ID_LEN`] bytes).
        id: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The event type is not one of [`EVENT_TYPES`].
    #[error("outbox: unknown event type `{0}` (known: {known})", known = EVENT_TYPES.join(", "))]
    UnknownEvent(String),
    /// The payload could not be serialized.
    #[error("outbox: cannot serialize message `{id}`: {reason}")]
    Serialize {
        /// The message id.
        id: String,
        /// What serde_json said.
        reason: serde_json::Error,
    },
    /// A delivery thread could not be started.
    #[error("outbox: cannot start the delivery thread for `{name}`: {reason}")]
    Thread {
        /// The receiver's name.
        name: String,
        /// What the operating system said.
        reason: io::Error,
    },
}

/// How one receiver is doing, for an admin page or a health check.
#[derive(Debug, Clone, PartialEq)]
pub struct ReceiverStatus {
    /// The receiver's name.
    pub name: String,
    /// Where it receives.
    pub url: String,
    /// Messages waiting on disk.
    pub pending: usize,
    /// Messages delivered since the outbox opened.
    pub delivered: u64,
    /// Messages not queued since the outbox opened because the queue was full.
    pub dropped: u64,
    /// Failed attempts since the last success.
    pub consecutive_failures: u32,
    /// Whether `consecutive_failures` reached `report_after`.
    pub failing: bool,
    /// The last failure (an HTTP status or a connection problem), if any
    /// since the last success.
    pub last_error: Option<String>,
    /// When the current run of failures started.
    pub failing_since: Option<SystemTime>,
}

/// The durable outbox; dropping it stops delivery and leaves pending
/// messages on disk for the next [`Outbox::open`].
pub struct Outbox {
    queues: Vec<Arc<Queue>>,
    threads: Vec<JoinHandle<()>>,
}

/// One receiver's queue, shared by `enqueue` and its delivery thread.
struct Queue {
    receiver: Receiver,
    dir: PathBuf,
    state: Mutex<State>,
    changed: Condvar,
}

struct State {
    /// Pending messages in delivery order: sequence number and id.
    pending: VecDeque<(u64, String)>,
    /// The ids in `pending`.
    queued: HashSet<String>,
    delivered_ids: DeliveredLog,
    next_sequence: u64,
    /// When the head of the queue may be tried again.
    retry_at: Option<Instant>,
    /// `wake` was called during the attempt in flight: retry at once if it fails.
    woken: bool,
    delivered: u64,
    dropped: u64,
    consecutive_failures: u32,
    reported: bool,
    last_error: Option<String>,
    failing_since: Option<SystemTime>,
    stop: bool,
}

/// The last [`DELIVERED_LOG_LIMIT`] delivered ids, in memory and on disk.
struct DeliveredLog {
    path: PathBuf,
    order: VecDeque<String>,
    ids: HashSet<String>,
    /// Lines in the file, compacted when it doubles the limit.
    lines: usize,
}

impl Outbox {
    /// Opens (creating if needed) the outbox in `dir`, recovers every pending
    /// message, and starts one delivery thread per configured receiver.
    ///
    /// Pending files that cannot be read back are renamed `*.corrupt` with a
    /// warning; the others are delivered.
    pub fn open(dir: &Path, config: WebhookConfig, options: OutboxOptions) -> Result<Outbox, OutboxError> {
        create_dir(dir)?;
        let mut queues = Vec::with_capacity(config.receivers.len());
        for receiver in config.receivers {
            let queue_dir = dir.join(folder_name(&receiver));
            create_dir(&queue_dir)?;
            let state = recover(&queue_dir)?;
            queues.push(Arc::new(Queue {
                receiver,
                dir: queue_dir,
                state: Mutex::new(state),
                changed: Condvar::new(),
            }));
        }
        let agent = ureq::AgentBuilder::new().timeout(options.timeout).redirects(0).user_agent(USER_AGENT).build();
        let mut outbox = Outbox { queues: Vec::new(), threads: Vec::new() };
        for queue in queues {
            let worker = Worker { queue: Arc::clone(&queue), agent: agent.clone(), options: options.clone() };
            let thread = std::thread::Builder::new()
                .name(format!("webhook {}", queue.receiver.name))
                .spawn(move || worker.run())
                .map_err(|reason| OutboxError::Thread { name: queue.receiver.name.clone(), reason })?;
            outbox.queues.push(queue);
            outbox.threads.push(thread);
        }
        Ok(outbox)
    }

    /// Queues `msg`, on disk, for every receiver whose filter accepts its
    /// type, and returns for how many it was queued.
    ///
    /// A receiver that already has the id pending or delivered (among the
    /// last [`DELIVERED_LOG_LIMIT`]) is skipped, so enqueueing again is safe.
    /// A receiver whose queue is full is skipped and counts a drop. When
    /// writing fails for one receiver the others are still tried, and the
    /// first error is returned; calling again after fixing the disk queues
    /// the message only where it is missing.
    pub fn enqueue(&self, msg: &Message) -> Result<usize, OutboxError> {
        check_id(&msg.id)?;
        if !EVENT_TYPES.contains(&msg.event_type.as_str()) {
            return Err(OutboxError::UnknownEvent(msg.event_type.clone()));
        }
        let bytes = serde_json::to_vec(msg).map_err(|reason| OutboxError::Serialize { id: msg.id.clone(), reason })?;
        let mut queued = 0;
        let mut first_error = None;
        for queue in self.queues.iter().filter(|q| q.receiver.accepts(&msg.event_type)) {
            match queue.enqueue(&msg.id, &bytes) {
                Ok(true) => queued += 1,
                Ok(false) => {}
                Err(error) => {
                    first_error.get_or_insert(error);
                }
            }
        }
        match first_error {
            Some(error) => Err(error),
            None => Ok(queued),
        }
    }

    /// How every receiver is doing, in configuration order.
    pub fn status(&self) -> Vec<ReceiverStatus> {
        self.queues
            .iter()
            .map(|queue| {
                let state = queue.lock();
                ReceiverStatus {
                    name: queue.receiver.name.clone(),
                    url: queue.receiver.url.clone(),
                    pending: state.pending.len(),
                    delivered: state.delivered,
                    dropped: state.dropped,
                    consecutive_failures: state.consecutive_failures,
                    failing: state.reported,
                    last_error: state.last_error.clone(),
                    failing_since: state.failing_since,
                }
            })
            .collect()
    }

    /// Retries every waiting receiver now instead of after its backoff.
    pub fn wake(&self) {
        for queue in &self.queues {
            let mut state = queue.lock();
            state.retry_at = None;
            state.woken = true;
            drop(state);
            queue.changed.notify_all();
        }
    }

    /// Stops delivery and waits for the threads; an attempt in flight is
    /// finished first (at most `timeout`). Pending messages stay on disk.
    pub fn shutdown(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        for queue in &self.queues {
            queue.lock().stop = true;
            queue.changed.notify_all();
        }
        for thread in self.threads.drain(..) {
            // A panicked delivery thread has nothing left to stop.
            let _ = thread.join();
        }
    }
}

impl Drop for Outbox {
    fn drop(&mut self) {
        self.stop();
    }
}

impl Queue {
    fn lock(&self) -> MutexGuard<'_, State> {
        // The state stays consistent between statements, so a panic
        // elsewhere while holding the lock does not make it unusable.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Writes one message durably; `Ok(false)` when skipped.
    fn enqueue(&self, id: &str, bytes: &[u8]) -> Result<bool, OutboxError> {
        let mut state = self.lock();
        if state.queued.contains(id) || state.delivered_ids.ids.contains(id) {
            return Ok(false);
        }
        if state.pending.len() >= self.receiver.max_queue {
            state.dropped += 1;
            tracing::warn!(
                receiver = %self.receiver.name,
                message = id,
                max_queue = self.receiver.max_queue,
                "webhook queue full; message dropped (the receiver can catch up with `changes(since:)`)"
            );
            return Ok(false);
        }
        // Written under the lock so that sequence order is file order is
        // delivery order even when several threads enqueue at once.
        let sequence = state.next_sequence;
        state.next_sequence += 1;
        write_durably(&self.dir, &format!("{sequence:020}.json"), bytes)?;
        state.pending.push_back((sequence, id.to_owned()));
        state.queued.insert(id.to_owned());
        drop(state);
        self.changed.notify_all();
        Ok(true)
    }
}

/// One receiver's delivery loop.
struct Worker {
    queue: Arc<Queue>,
    agent: ureq::Agent,
    options: OutboxOptions,
}

enum Next {
    Stop,
    Send(u64, String),
}

impl Worker {
    fn run(self) {
        while let Next::Send(sequence, id) = self.wait_for_work() {
            let path = self.queue.dir.join(format!("{sequence:020}.json"));
            let message = match read_pending(&path) {
                Ok(message) if message.id == id => message,
                Ok(_) | Err(_) => {
                    set_aside(&path);
                    let mut state = self.queue.lock();
                    state.pending.pop_front();
                    state.queued.remove(&id);
                    continue;
                }
            };
            // No lock is held while sending.
            let outcome = self.send(&message);
            self.record(sequence, &id, &path, outcome);
        }
    }

    /// Waits until the head of the queue is due or the outbox stops.
    fn wait_for_work(&self) -> Next {
        let mut state = self.queue.lock();
        loop {
            if state.stop {
                return Next::Stop;
            }
            let due = match state.retry_at {
                Some(at) => at.checked_duration_since(Instant::now()),
                None => None,
            };
            match (state.pending.front(), due) {
                (Some((sequence, id)), None) => {
                    let next = Next::Send(*sequence, id.clone());
                    state.woken = false;
                    return next;
                }
                (Some(_), Some(wait)) => {
                    state = self.queue.changed.wait_timeout(state, wait).unwrap_or_else(PoisonError::into_inner).0;
                }
                (None, _) => {
                    state = self.queue.changed.wait(state).unwrap_or_else(PoisonError::into_inner);
                }
            }
        }
    }

    /// One attempt: `Ok` on a 2xx answer, else what went wrong.
    fn send(&self, message: &Message) -> Result<(), String> {
        let body = serde_json::to_vec(&message.payload).map_err(|e| format!("cannot serialize the payload: {e}"))?;
        let timestamp = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let timestamp = i64::try_from(timestamp).unwrap_or(i64::MAX);
        let signature = sign(self.queue.receiver.secret.bytes(), &message.id, timestamp, &body);
        let result = self
            .agent
            .post(&self.queue.receiver.url)
            .set("content-type", "application/json")
            .set("webhook-id", &message.id)
            .set("webhook-timestamp", &timestamp.to_string())
            .set("webhook-signature", &signature)
            .send_bytes(&body);
        match result {
            Ok(response) if (200..300).contains(&response.status()) => Ok(()),
            Ok(response) => Err(format!("HTTP {}", response.status())),
            Err(ureq::Error::Status(code, _)) => Err(format!("HTTP {code}")),
            // The transport error's own text names the URL; the kind and
            // message are enough and keep query strings out of logs.
            Err(ureq::Error::Transport(transport)) => Err(match transport.message() {
                Some(message) => format!("{}: {message}", transport.kind()),
                None => transport.kind().to_string(),
            }),
        }
    }

    /// Records the outcome of an attempt on the head of the queue.
    fn record(&self, sequence: u64, id: &str, path: &Path, outcome: Result<(), String>) {
        let name = &self.queue.receiver.name;
        let mut state = self.queue.lock();
        match outcome {
            Ok(()) => {
                // The id is logged before the pending file goes, so a crash
                // in between cannot let the message be queued again.
                if let Err(error) = state.delivered_ids.append(id) {
                    tracing::error!(receiver = %name, "{error}");
                }
                if let Err(error) = fs::remove_file(path) {
                    tracing::error!(receiver = %name, file = %path.display(), "cannot remove delivered message: {error}");
                }
                if state.pending.front().is_some_and(|(s, _)| *s == sequence) {
                    state.pending.pop_front();
                }
                state.queued.remove(id);
                state.delivered += 1;
                if state.reported {
                    tracing::warn!(receiver = %name, "webhook receiver recovered after {} failed attempts", state.consecutive_failures);
                }
                state.reported = false;
                state.consecutive_failures = 0;
                state.last_error = None;
                state.failing_since = None;
                state.retry_at = None;
            }
            Err(error) => {
                state.consecutive_failures = state.consecutive_failures.saturating_add(1);
                state.failing_since.get_or_insert_with(SystemTime::now);
                if state.consecutive_failures >= self.options.report_after && !state.reported {
                    state.reported = true;
                    tracing::warn!(
                        receiver = %name,
                        attempts = state.consecutive_failures,
                        "webhook receiver failing: {error}"
                    );
                }
                let wait = backoff(&self.options, state.consecutive_failures);
                state.retry_at = if state.woken { None } else { Some(Instant::now() + wait) };
                state.last_error = Some(error);
            }
        }
    }
}

/// The wait before the next attempt after `failures` consecutive failures:
/// `retry_base` doubled per failure, capped at `retry_max`, and with jitter
/// a uniformly random time between zero and that.
fn backoff(options: &OutboxOptions, failures: u32) -> Duration {
    let doublings = failures.saturating_sub(1).min(31);
    let ceiling = options.retry_base.saturating_mul(1 << doublings).min(options.retry_max);
    if options.jitter {
        let nanos = u64::try_from(ceiling.as_nanos()).unwrap_or(u64::MAX);
        Duration::from_nanos(fastrand::u64(0..=nanos))
    } else {
        ceiling
    }
}

/// The folder of one receiver: a hash of its URL and name.
fn folder_name(receiver: &Receiver) -> String {
    let mut hasher = Sha256::new();
    hasher.update(receiver.url.as_bytes());
    hasher.update([0]);
    hasher.update(receiver.name.as_bytes());
    let digest = hasher.finalize();
    let hex: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
    format!("r-{hex}")
}

fn check_id(id: &str) -> Result<(), OutboxError> {
    let refuse = |reason| {
        let mut end = id.len().min(MAX_ID_LEN);
        while !id.is_char_boundary(end) {
            end -= 1;
        }
        Err(OutboxError::BadId { id: id[..end].to_owned(), reason })
    };
    if id.is_empty() {
        return refuse("empty");
    }
    if id.len() > MAX_ID_LEN {
        return refuse("longer than 256 bytes");
    }
    // Ids are lines in `delivered.log` and values of an HTTP header.
    if id.chars().any(char::is_control) {
        return refuse("holds control characters");
    }
    Ok(())
}

fn create_dir(dir: &Path) -> Result<(), OutboxError> {
    fs::create_dir_all(dir).map_err(|reason| OutboxError::Io { action: "create", path: dir.to_owned(), reason })
}

/// Writes `name` in `dir` so that it is either absent or complete after a
/// crash: a temporary file, synced, renamed, then the folder synced.
fn write_durably(dir: &Path, name: &str, bytes: &[u8]) -> Result<(), OutboxError> {
    let path = dir.join(name);
    let temporary = dir.join(format!("{name}.tmp"));
    let write = || -> io::Result<()> {
        let mut file = File::create(&temporary)?;
        file.write_all(bytes)?;
        file.sync_all()
    };
    if let Err(reason) = write() {
        let _ = fs::remove_file(&temporary);
        return Err(OutboxError::Io { action: "write", path: temporary, reason });
    }
    if let Err(reason) = fs::rename(&temporary, &path) {
        let _ = fs::remove_file(&temporary);
        return Err(OutboxError::Io { action: "rename into place", path, reason });
    }
    sync_dir(dir)
}

fn sync_dir(dir: &Path) -> Result<(), OutboxError> {
    File::open(dir).and_then(|folder| folder.sync_all()).map_err(|reason| OutboxError::Io {
        action: "sync",
        path: dir.to_owned(),
        reason,
    })
}

/// Reads a pending message back; `Err` says why it is unusable.
fn read_pending(path: &Path) -> Result<Message, String> {
    let bytes = fs::read(path).map_err(|e| e.to_string())?;
    serde_json::from_slice(&bytes).map_err(|e| e.to_string())
}

/// Renames an unusable pending file to `*.corrupt`, with a warning.
fn set_aside(path: &Path) {
    let aside = path.with_extension("json.corrupt");
    match fs::rename(path, &aside) {
        Ok(()) => {
            tracing::warn!(file = %path.display(), moved_to = %aside.display(), "unreadable webhook message set aside")
        }
        Err(error) => {
            tracing::error!(file = %path.display(), "unreadable webhook message, and cannot set it aside: {error}")
        }
    }
}

/// Rebuilds a receiver's state from its folder.
fn recover(dir: &Path) -> Result<State, OutboxError> {
    let entries =
        fs::read_dir(dir).map_err(|reason| OutboxError::Io { action: "read", path: dir.to_owned(), reason })?;
    let mut files = Vec::new();
    let mut highest = None;
    for entry in entries {
        let entry = entry.map_err(|reason| OutboxError::Io { action: "read", path: dir.to_owned(), reason })?;
        let file_name = entry.file_name();
        let Some(file_name) = file_name.to_str() else { continue };
        if file_name.ends_with(".tmp") {
            // Never renamed into place, so never acknowledged to the caller.
            let _ = fs::remove_file(entry.path());
            continue;
        }
        let sequence = file_name.split('.').next().and_then(|stem| stem.parse::<u64>().ok());
        if let Some(sequence) = sequence {
            // Set-aside files keep their number out of reuse too.
            highest = highest.max(Some(sequence));
            if file_name.ends_with(".json") {
                files.push((sequence, entry.path()));
            }
        }
    }
    files.sort();
    let delivered_ids = DeliveredLog::open(dir.join(DELIVERED_LOG))?;
    let mut pending = VecDeque::with_capacity(files.len());
    let mut queued = HashSet::with_capacity(files.len());
    for (sequence, path) in files {
        match read_pending(&path) {
            // Delivered, then a crash before the file was removed.
            Ok(message) if delivered_ids.ids.contains(&message.id) => {
                if let Err(error) = fs::remove_file(&path) {
                    tracing::error!(file = %path.display(), "cannot remove delivered message: {error}");
                }
            }
            Ok(message) if check_id(&message.id).is_ok() && queued.insert(message.id.clone()) => {
                pending.push_back((sequence, message.id));
            }
            Ok(_) | Err(_) => set_aside(&path),
        }
    }
    Ok(State {
        pending,
        queued,
        delivered_ids,
        next_sequence: highest.map_or(0, |h| h + 1),
        retry_at: None,
        woken: false,
        delivered: 0,
        dropped: 0,
        consecutive_failures: 0,
        reported: false,
        last_error: None,
        failing_since: None,
        stop: false,
    })
}

impl DeliveredLog {
    /// Reads the log and rewrites it compacted, which also drops a last
    /// line cut short by a crash (a line counts only with its newline).
    fn open(path: PathBuf) -> Result<DeliveredLog, OutboxError> {
        let text = match fs::read(&path) {
            Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
            Err(error) if error.kind() == io::ErrorKind::NotFound => String::new(),
            Err(reason) => return Err(OutboxError::Io { action: "read", path, reason }),
        };
        let complete = text.rfind('\n').map_or("", |end| &text[..end]);
        let mut order: VecDeque<String> = complete.lines().filter(|line| !line.is_empty()).map(str::to_owned).collect();
        while order.len() > DELIVERED_LOG_LIMIT {
            order.pop_front();
        }
        let ids = order.iter().cloned().collect();
        let mut log = DeliveredLog { path, order, ids, lines: 0 };
        log.rewrite()?;
        Ok(log)
    }

    fn rewrite(&mut self) -> Result<(), OutboxError> {
        let mut text = String::new();
        for id in &self.order {
            text.push_str(id);
            text.push('\n');
        }
        let (dir, name) = match (self.path.parent(), self.path.file_name().and_then(|n| n.to_str())) {
            (Some(dir), Some(name)) => (dir, name),
            _ => return Ok(()),
        };
        write_durably(dir, name, text.as_bytes())?;
        self.lines = self.order.len();
        Ok(())
    }

    /// Remembers `id`, on disk (synced) before returning.
    fn append(&mut self, id: &str) -> Result<(), OutboxError> {
        self.order.push_back(id.to_owned());
        self.ids.insert(id.to_owned());
        while self.order.len() > DELIVERED_LOG_LIMIT {
            if let Some(old) = self.order.pop_front() {
                self.ids.remove(&old);
            }
        }
        if self.lines >= 2 * DELIVERED_LOG_LIMIT {
            return self.rewrite();
        }
        let write = || -> io::Result<()> {
            let mut file = OpenOptions::new().create(true).append(true).open(&self.path)?;
            file.write_all(format!("{id}\n").as_bytes())?;
            file.sync_all()
        };
        write().map_err(|reason| OutboxError::Io { action: "append to", path: self.path.clone(), reason })?;
        self.lines += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(jitter: bool) -> OutboxOptions {
        OutboxOptions {
            retry_base: Duration::from_millis(100),
            retry_max: Duration::from_secs(5),
            jitter,
            ..OutboxOptions::default()
        }
    }

    #[test]
    fn backoff_doubles_from_the_base_up_to_the_cap() {
        let waits: Vec<u64> = (1..=9).map(|n| backoff(&options(false), n).as_millis() as u64).collect();
        assert_eq!(waits, [100, 200, 400, 800, 1600, 3200, 5000, 5000, 5000]);
        assert_eq!(backoff(&options(false), u32::MAX), Duration::from_secs(5));
    }

    #[test]
    fn full_jitter_stays_between_zero_and_the_backoff_and_spreads() {
        for failures in 1..=8 {
            let ceiling = backoff(&options(false), failures);
            let draws: Vec<Duration> = (0..200).map(|_| backoff(&options(true), failures)).collect();
            assert!(draws.iter().all(|d| *d <= ceiling), "{failures}: {draws:?}");
            // Spread over the whole range, not clustered at one end.
            assert!(draws.iter().any(|d| *d < ceiling / 4), "{failures}");
            assert!(draws.iter().any(|d| *d > ceiling * 3 / 4), "{failures}");
        }
    }

    #[test]
    fn ids_that_would_break_the_log_or_a_header_are_refused() {
        assert!(check_id("msg_abc").is_ok());
        assert!(matches!(check_id(""), Err(OutboxError::BadId { .. })));
        assert!(matches!(check_id("a\nb"), Err(OutboxError::BadId { .. })));
        assert!(matches!(check_id(&"x".repeat(MAX_ID_LEN + 1)), Err(OutboxError::BadId { .. })));
    }

    #[test]
    fn the_delivered_log_survives_reopening_and_ignores_a_torn_last_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(DELIVERED_LOG);
        let mut log = DeliveredLog::open(path.clone()).unwrap();
        log.append("msg_1").unwrap();
        log.append("msg_2").unwrap();
        // A crash in the middle of the next append.
        OpenOptions::new().append(true).open(&path).unwrap().write_all(b"msg_").unwrap();
        let log = DeliveredLog::open(path.clone()).unwrap();
        assert_eq!(log.order, ["msg_1", "msg_2"]);
        assert!(!log.ids.contains("msg_"));
        assert_eq!(fs::read_to_string(&path).unwrap(), "msg_1\nmsg_2\n");
    }
}
