//! The outbox against a real HTTP receiver on 127.0.0.1.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use serde_json::json;
use tessera_notify::{Message, Outbox, OutboxError, OutboxOptions, WebhookConfig, sign};

use crate::receiver::TestReceiver;
use crate::{key, write_config};

/// Quick retries, no jitter unless a test wants it.
fn fast() -> OutboxOptions {
    OutboxOptions {
        retry_base: Duration::from_millis(20),
        retry_max: Duration::from_millis(200),
        timeout: Duration::from_secs(5),
        report_after: 3,
        jitter: false,
    }
}

/// Retries so slow that only `wake` or a restart brings the next attempt.
fn stalled() -> OutboxOptions {
    OutboxOptions { retry_base: Duration::from_secs(60), retry_max: Duration::from_secs(60), ..fast() }
}

fn message(id: &str, event_type: &str) -> Message {
    Message {
        id: id.to_owned(),
        event_type: event_type.to_owned(),
        payload: json!({
            "type": event_type,
            "timestamp": "2025-05-01T12:00:00Z",
            "data": {"id": id, "title": "Child participation: ünïcode"},
        }),
    }
}

/// A config folder with one receiver per `(url, extra lines)`.
fn config(folder: &Path, receivers: &[(&str, &str)]) -> WebhookConfig {
    let mut text = String::new();
    for (url, extra) in receivers {
        text.push_str(&format!("[[webhook]]\nurl = \"{url}\"\nsecret_file = \"secret.txt\"\n{extra}\n"));
    }
    WebhookConfig::load(&write_config(folder, &text)).unwrap()
}

/// The one receiver folder inside an outbox folder.
fn queue_folder(outbox: &Path) -> PathBuf {
    let folders: Vec<PathBuf> = fs::read_dir(outbox).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(folders.len(), 1, "{folders:?}");
    folders[0].clone()
}

fn pending_files(folder: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(folder)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".json"))
        .collect();
    names.sort();
    names
}

/// Waits until `check` holds for the outbox's only receiver status.
fn wait_for(outbox: &Outbox, check: impl Fn(&tessera_notify::ReceiverStatus) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let status = outbox.status().remove(0);
        if check(&status) {
            return;
        }
        assert!(Instant::now() < deadline, "status never got there: {status:?}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn a_delivery_is_signed_and_carries_the_standard_headers() {
    let receiver = TestReceiver::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let outbox = Outbox::open(&dir.path().join("outbox"), config(dir.path(), &[(&receiver.url, "")]), fast()).unwrap();
    let msg = message("msg_sig", "item.published");
    assert_eq!(outbox.enqueue(&msg).unwrap(), 1);
    let request = receiver.next(10);
    assert_eq!(request.path, "/hooks/tessera");
    assert_eq!(request.id(), "msg_sig");
    assert_eq!(request.header("content-type"), "application/json");
    assert!(request.header("user-agent").contains("Tessera"), "{request:?}");
    let body: serde_json::Value = serde_json::from_slice(&request.body).unwrap();
    assert_eq!(body, msg.payload);
    let timestamp: i64 = request.header("webhook-timestamp").parse().unwrap();
    let now = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs() as i64;
    assert!((now - timestamp).abs() <= 60, "{timestamp} vs {now}");
    // What a receiver does: recompute from the headers and the raw body.
    let expected = sign(&key().0, request.id(), timestamp, &request.body);
    assert_eq!(request.header("webhook-signature"), expected);
    assert_ne!(
        request.header("webhook-signature"),
        sign(b"another-key-of-16+bytes", request.id(), timestamp, &request.body)
    );
    wait_for(&outbox, |s| s.delivered == 1 && s.pending == 0);
}

#[test]
fn messages_arrive_in_the_order_they_were_queued() {
    // The first answer fails, so the later messages queue up behind it.
    let receiver = TestReceiver::start(&[500]);
    let dir = tempfile::tempdir().unwrap();
    let outbox = Outbox::open(&dir.path().join("outbox"), config(dir.path(), &[(&receiver.url, "")]), fast()).unwrap();
    let ids: Vec<String> = (0..12).map(|i| format!("msg_{i}")).collect();
    for id in &ids {
        outbox.enqueue(&message(id, "item.updated")).unwrap();
    }
    let first = receiver.next(10);
    assert_eq!((first.id(), first.status), ("msg_0", 500));
    let received: Vec<String> = ids.iter().map(|_| receiver.next(10).id().to_owned()).collect();
    assert_eq!(received, ids);
    receiver.assert_quiet(200);
    wait_for(&outbox, |s| s.delivered == 12 && s.pending == 0);
}

#[test]
fn a_failing_receiver_gets_the_same_message_until_it_accepts_with_growing_gaps() {
    let receiver = TestReceiver::start(&[500, 500, 500]);
    let dir = tempfile::tempdir().unwrap();
    let options = OutboxOptions { retry_base: Duration::from_millis(50), retry_max: Duration::from_secs(5), ..fast() };
    let outbox = Outbox::open(&dir.path().join("outbox"), config(dir.path(), &[(&receiver.url, "")]), options).unwrap();
    outbox.enqueue(&message("msg_retry", "item.created")).unwrap();
    let attempts: Vec<_> = (0..4).map(|_| receiver.next(10)).collect();
    assert_eq!(attempts.iter().map(|r| r.status).collect::<Vec<_>>(), [500, 500, 500, 200]);
    assert!(attempts.iter().all(|r| r.id() == "msg_retry"));
    assert!(attempts.iter().all(|r| r.body == attempts[0].body));
    let gaps: Vec<Duration> = attempts.windows(2).map(|w| w[1].at - w[0].at).collect();
    // Waits are 50, 100 and 200 ms; a timer can be late, never early.
    for (gap, floor) in gaps.iter().zip([50, 100, 200]) {
        assert!(*gap >= Duration::from_millis(floor), "{gaps:?}");
    }
    assert!(gaps[2] > gaps[0], "{gaps:?}");
    // Accepted once, so sent no more.
    receiver.assert_quiet(400);
    wait_for(&outbox, |s| s.delivered == 1 && s.pending == 0 && s.consecutive_failures == 0 && s.last_error.is_none());
}

#[test]
fn a_receiver_failing_long_enough_shows_in_status_until_it_recovers() {
    let receiver = TestReceiver::start(&[503; 50]);
    let dir = tempfile::tempdir().unwrap();
    let outbox = Outbox::open(&dir.path().join("outbox"), config(dir.path(), &[(&receiver.url, "")]), fast()).unwrap();
    let before = SystemTime::now();
    outbox.enqueue(&message("msg_down", "item.deleted")).unwrap();
    wait_for(&outbox, |s| s.consecutive_failures >= 3);
    let status = outbox.status().remove(0);
    assert!(status.failing, "{status:?}");
    assert_eq!(status.pending, 1);
    assert_eq!(status.last_error.as_deref(), Some("HTTP 503"));
    assert!(status.failing_since.is_some_and(|t| t >= before), "{status:?}");
    receiver.answer(&[]);
    outbox.wake();
    wait_for(&outbox, |s| s.delivered == 1);
    let status = outbox.status().remove(0);
    assert!(!status.failing && status.failing_since.is_none() && status.consecutive_failures == 0, "{status:?}");
}

#[test]
fn a_refused_connection_is_retried_and_reported() {
    // A port that was just free: nothing listens.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("http://127.0.0.1:{port}/h");
    let outbox = Outbox::open(&dir.path().join("outbox"), config(dir.path(), &[(&url, "")]), fast()).unwrap();
    outbox.enqueue(&message("msg_refused", "item.updated")).unwrap();
    wait_for(&outbox, |s| s.consecutive_failures >= 3 && s.failing);
    let status = outbox.status().remove(0);
    let error = status.last_error.unwrap();
    assert!(error.to_lowercase().contains("connect"), "{error}");
    assert_eq!(status.pending, 1);
}

#[test]
fn pending_messages_survive_a_restart_and_are_then_delivered() {
    let receiver = TestReceiver::start(&[500]);
    let dir = tempfile::tempdir().unwrap();
    let outbox_dir = dir.path().join("outbox");
    let outbox = Outbox::open(&outbox_dir, config(dir.path(), &[(&receiver.url, "")]), stalled()).unwrap();
    for id in ["msg_a", "msg_b", "msg_c"] {
        outbox.enqueue(&message(id, "item.updated")).unwrap();
    }
    assert_eq!(receiver.next(10).status, 500);
    // Stopping does not wait out the minute-long backoff.
    let stopping = Instant::now();
    drop(outbox);
    assert!(stopping.elapsed() < Duration::from_secs(5), "{:?}", stopping.elapsed());
    assert_eq!(pending_files(&queue_folder(&outbox_dir)).len(), 3);
    receiver.assert_quiet(100);

    let outbox = Outbox::open(&outbox_dir, config(dir.path(), &[(&receiver.url, "")]), stalled()).unwrap();
    let ids: Vec<String> = (0..3).map(|_| receiver.next(10).id().to_owned()).collect();
    assert_eq!(ids, ["msg_a", "msg_b", "msg_c"]);
    wait_for(&outbox, |s| s.delivered == 3 && s.pending == 0);
    assert!(pending_files(&queue_folder(&outbox_dir)).is_empty());
}

#[test]
fn the_same_id_is_sent_once_even_across_a_restart() {
    let receiver = TestReceiver::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let outbox_dir = dir.path().join("outbox");
    let outbox = Outbox::open(&outbox_dir, config(dir.path(), &[(&receiver.url, "")]), fast()).unwrap();
    let msg = message("msg_once", "item.updated");
    assert_eq!(outbox.enqueue(&msg).unwrap(), 1);
    // Pending or delivered, it is not queued again.
    assert_eq!(outbox.enqueue(&msg).unwrap(), 0);
    assert_eq!(receiver.next(10).id(), "msg_once");
    wait_for(&outbox, |s| s.delivered == 1);
    assert_eq!(outbox.enqueue(&msg).unwrap(), 0);
    drop(outbox);

    // A crash after logging the delivery but before removing the file
    // leaves the file behind; it is not sent again.
    let folder = queue_folder(&outbox_dir);
    fs::write(folder.join("00000000000000000007.json"), serde_json::to_vec(&msg).unwrap()).unwrap();

    let outbox = Outbox::open(&outbox_dir, config(dir.path(), &[(&receiver.url, "")]), fast()).unwrap();
    assert!(pending_files(&folder).is_empty());
    assert_eq!(outbox.enqueue(&msg).unwrap(), 0);
    assert_eq!(outbox.enqueue(&message("msg_new", "item.updated")).unwrap(), 1);
    assert_eq!(receiver.next(10).id(), "msg_new");
    receiver.assert_quiet(200);
}

#[test]
fn receivers_get_only_the_event_types_they_asked_for() {
    let everything = TestReceiver::start(&[]);
    let deletions = TestReceiver::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path(), &[(&everything.url, ""), (&deletions.url, "events = [\"item.deleted\"]")]);
    let outbox = Outbox::open(&dir.path().join("outbox"), config, fast()).unwrap();
    assert_eq!(outbox.enqueue(&message("msg_upd", "item.updated")).unwrap(), 1);
    assert_eq!(outbox.enqueue(&message("msg_del", "item.deleted")).unwrap(), 2);
    assert_eq!(everything.next(10).id(), "msg_upd");
    assert_eq!(everything.next(10).id(), "msg_del");
    assert_eq!(deletions.next(10).id(), "msg_del");
    deletions.assert_quiet(200);
}

#[test]
fn a_full_queue_drops_new_messages_and_counts_them() {
    let receiver = TestReceiver::start(&[500]);
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path(), &[(&receiver.url, "max_queue = 2")]);
    let outbox = Outbox::open(&dir.path().join("outbox"), config, stalled()).unwrap();
    let queued: Vec<usize> =
        (0..5).map(|i| outbox.enqueue(&message(&format!("msg_{i}"), "item.updated")).unwrap()).collect();
    assert_eq!(queued, [1, 1, 0, 0, 0]);
    let status = outbox.status().remove(0);
    assert_eq!((status.pending, status.dropped), (2, 3));
    assert_eq!(receiver.next(10).status, 500);
    outbox.wake();
    assert_eq!(receiver.next(10).id(), "msg_0");
    assert_eq!(receiver.next(10).id(), "msg_1");
    receiver.assert_quiet(200);
    // Room again once delivered.
    wait_for(&outbox, |s| s.pending == 0);
    assert_eq!(outbox.enqueue(&message("msg_9", "item.updated")).unwrap(), 1);
    assert_eq!(receiver.next(10).id(), "msg_9");
}

#[test]
fn a_corrupt_pending_file_is_set_aside_and_the_rest_delivered() {
    let receiver = TestReceiver::start(&[500]);
    let dir = tempfile::tempdir().unwrap();
    let outbox_dir = dir.path().join("outbox");
    let outbox = Outbox::open(&outbox_dir, config(dir.path(), &[(&receiver.url, "")]), stalled()).unwrap();
    for id in ["msg_1", "msg_2", "msg_3", "msg_4"] {
        outbox.enqueue(&message(id, "item.updated")).unwrap();
    }
    assert_eq!(receiver.next(10).status, 500);
    drop(outbox);
    let folder = queue_folder(&outbox_dir);
    let files = pending_files(&folder);
    // One cut short by a crash, one overwritten with garbage.
    let second = fs::read(folder.join(&files[1])).unwrap();
    fs::write(folder.join(&files[1]), &second[..second.len() / 2]).unwrap();
    fs::write(folder.join(&files[2]), b"\0\0not json").unwrap();

    let outbox = Outbox::open(&outbox_dir, config(dir.path(), &[(&receiver.url, "")]), fast()).unwrap();
    assert_eq!(receiver.next(10).id(), "msg_1");
    assert_eq!(receiver.next(10).id(), "msg_4");
    wait_for(&outbox, |s| s.delivered == 2 && s.pending == 0);
    let mut corrupt: Vec<String> = fs::read_dir(&folder)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".corrupt"))
        .collect();
    corrupt.sort();
    assert_eq!(corrupt, [format!("{}.corrupt", files[1]), format!("{}.corrupt", files[2])]);
    // Set-aside numbers are not reused: a new message gets a new file.
    assert_eq!(outbox.enqueue(&message("msg_5", "item.updated")).unwrap(), 1);
    assert_eq!(receiver.next(10).id(), "msg_5");
}

#[test]
fn an_unwritable_queue_is_an_error_naming_the_path() {
    let receiver = TestReceiver::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let outbox_dir = dir.path().join("outbox");
    let outbox = Outbox::open(&outbox_dir, config(dir.path(), &[(&receiver.url, "")]), fast()).unwrap();
    // Replacing the folder with a file fails writes even for root.
    let folder = queue_folder(&outbox_dir);
    fs::remove_dir_all(&folder).unwrap();
    fs::write(&folder, b"").unwrap();
    let error = outbox.enqueue(&message("msg_x", "item.updated")).unwrap_err();
    assert!(matches!(&error, OutboxError::Io { path, .. } if path.starts_with(&folder)), "{error:?}");
    assert!(error.to_string().contains(&folder.display().to_string()), "{error}");
    // Nothing was queued, so nothing is sent.
    assert_eq!(outbox.status()[0].pending, 0);
    receiver.assert_quiet(100);
}

#[test]
fn an_outbox_folder_that_cannot_be_created_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    fs::write(&file, b"").unwrap();
    let error = Outbox::open(&file.join("outbox"), WebhookConfig::default(), fast()).err().unwrap();
    assert!(error.to_string().contains("a-file"), "{error}");
}

#[test]
fn unknown_event_types_and_unusable_ids_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let outbox = Outbox::open(&dir.path().join("outbox"), WebhookConfig::default(), fast()).unwrap();
    assert!(matches!(outbox.enqueue(&message("msg_1", "item.renamed")), Err(OutboxError::UnknownEvent(_))));
    assert!(matches!(outbox.enqueue(&message("msg\r\n1", "item.created")), Err(OutboxError::BadId { .. })));
    assert_eq!(outbox.enqueue(&message("msg_1", "item.created")).unwrap(), 0);
}
