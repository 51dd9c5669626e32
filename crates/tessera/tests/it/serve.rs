use crate::tessera;

/// A preview token that was asked for but is unusable stops the server
/// before it listens, instead of serving with preview silently off.
#[test]
fn serve_refuses_an_empty_short_or_spaced_preview_token() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    for (name, token, says) in [
        ("empty", "\n", "is empty"),
        ("short", "short-token\n", "too short"),
        ("spaced", "a token with spaces inside it\n", "without spaces"),
    ] {
        let file = dir.path().join(name);
        std::fs::write(&file, token).unwrap_or_else(|e| panic!("{e}"));
        let o = tessera(&["serve", "--addr", "127.0.0.1:0", "--preview-token-file", &file.display().to_string()]);
        assert_ne!(o.status.code(), Some(0), "{name}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(says), "{name}: {err}");
    }
}

/// A service manager stops the server with SIGTERM: it stops listening
/// and exits with success, as with Ctrl-C, instead of being killed.
#[cfg(unix)]
#[test]
fn serve_stops_cleanly_on_sigterm() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};
    let cache = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut child = Command::new(env!("CARGO_BIN_EXE_tessera"))
        .args(["serve", "--addr", "127.0.0.1:0"])
        .env("TESSERA_CACHE_DIR", cache.path())
        .current_dir(crate::workspace())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    let stderr = child.stderr.take().unwrap_or_else(|| panic!("no stderr"));
    let mut lines = BufReader::new(stderr).lines().map_while(Result::ok);
    let address = lines
        .find_map(|line| Some(line.split("http://").nth(1)?.split('/').next()?.to_owned()))
        .unwrap_or_else(|| panic!("the server never listened"));
    assert!(std::net::TcpStream::connect(&address).is_ok());
    let sent = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    assert!(sent.is_ok_and(|s| s.success()));
    let asked = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap_or_else(|e| panic!("{e}")) {
            break status;
        }
        assert!(asked.elapsed() < Duration::from_secs(20), "still running 20 s after SIGTERM");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(0), "{status:?}");
    assert!(std::net::TcpStream::connect(&address).is_err(), "still listening");
}

/// The log is for operators and collectors: no colour codes when stderr is
/// not a terminal, no lines from tantivy's internals, and nothing at all
/// from an idle server that watches its content.
#[test]
fn the_log_is_plain_quiet_and_silent_when_idle() {
    use std::io::{BufRead, BufReader, Read, Write};
    use std::process::{Command, Stdio};
    use std::time::Duration;
    let mut child = Command::new(env!("CARGO_BIN_EXE_tessera"))
        .args(["serve", "--addr", "127.0.0.1:0", "--watch"])
        .current_dir(crate::workspace())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    let stderr = child.stderr.take().unwrap_or_else(|| panic!("no stderr"));
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut log = Vec::new();
    let address = loop {
        let line = rx.recv_timeout(Duration::from_secs(30)).unwrap_or_else(|_| panic!("no address in {log:?}"));
        log.push(line.clone());
        if let Some(rest) = line.split("http://").nth(1) {
            break rest.split('/').next().unwrap_or_default().to_owned();
        }
    };
    let mut stream = std::net::TcpStream::connect(&address).unwrap_or_else(|e| panic!("{e}"));
    let body = r#"{"query":"{ search(query: \"children\") { totalCount } }"}"#;
    let request = format!(
        "POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    assert!(answer.contains("totalCount"), "{answer}");
    // Idle for a while: the watcher must not reload, nor anything log.
    std::thread::sleep(Duration::from_millis(2000));
    let _ = child.kill();
    let _ = child.wait();
    while let Ok(line) = rx.recv_timeout(Duration::from_millis(200)) {
        log.push(line);
    }
    let text = log.join("\n");
    assert!(!text.contains('\u{1b}'), "colour codes in a log file:\n{text}");
    assert!(!text.contains("tantivy"), "tantivy's own lines:\n{text}");
    assert!(!text.contains("reload"), "an idle server reloaded:\n{text}");
    assert!(log.len() <= 3, "an idle server kept logging:\n{text}");
}
