//! `tessera serve --git`, run as an operator runs it: a replica follows a
//! bare repository, moves to each new commit, keeps the last good one
//! when a commit is broken (also across a restart), answers a signed push
//! webhook at once, and sends signed webhooks of public changes.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tessera_tests::{commit_dir, copy_dir};

struct Reply {
    status: u16,
    headers: String,
    body: String,
}

fn http(addr: &str, method: &str, path: &str, extra: &[(&str, &str)], body: &str) -> Reply {
    let mut stream = TcpStream::connect(addr).unwrap_or_else(|e| panic!("{addr}: {e}"));
    let mut request =
        format!("{method} {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\nContent-Length: {}\r\n", body.len());
    for (k, v) in extra {
        request.push_str(&format!("{k}: {v}\r\n"));
    }
    request.push_str("\r\n");
    request.push_str(body);
    stream.write_all(request.as_bytes()).unwrap();
    let mut text = String::new();
    let _ = stream.read_to_string(&mut text);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    Reply { status, headers: head.to_ascii_lowercase(), body: body.to_owned() }
}

fn header<'a>(reply: &'a Reply, name: &str) -> &'a str {
    reply.headers.lines().find_map(|l| l.strip_prefix(&format!("{name}: "))).unwrap_or("")
}

/// `contentStatus` as the public sees it, and the version header.
fn status(addr: &str) -> (serde_json::Value, String) {
    let body = r#"{"query":"{ contentStatus { version ok } page(slug: \"welcome\") { title } }"}"#;
    let reply = http(addr, "POST", "/graphql", &[("Content-Type", "application/json")], body);
    let json: serde_json::Value = serde_json::from_str(&reply.body).unwrap_or_else(|e| panic!("{e}: {}", reply.body));
    (json["data"].clone(), header(&reply, "x-content-version").to_owned())
}

fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

struct Server {
    child: Child,
    addr: String,
    log: Arc<Mutex<Vec<String>>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(args: &[&str]) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tessera"))
        .arg("serve")
        .args(args)
        .args(["--addr", "127.0.0.1:0", "--poll", "200ms"])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    let stderr = child.stderr.take().unwrap();
    let log = Arc::new(Mutex::new(Vec::new()));
    let kept = log.clone();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(rest) = line.split("http://").nth(1) {
                let _ = tx.send(rest.split('/').next().unwrap_or_default().to_owned());
            }
            kept.lock().unwrap().push(line);
        }
    });
    let addr =
        rx.recv_timeout(Duration::from_secs(30)).unwrap_or_else(|_| panic!("no address: {:?}", log.lock().unwrap()));
    Server { child, addr, log }
}

/// A webhook receiver on 127.0.0.1: keeps each request's head and body,
/// answers 204.
/// Requests a receiver got: head and body.
type Received = Arc<Mutex<Vec<(String, String)>>>;

fn receiver() -> (String, Received) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let got = Arc::new(Mutex::new(Vec::new()));
    let kept = got.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().map_while(Result::ok) {
            let mut reader = BufReader::new(stream);
            let mut head = String::new();
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                head.push_str(&line);
            }
            let length: usize = field(&head, "content-length").parse().unwrap_or(0);
            let mut body = vec![0; length];
            let _ = reader.read_exact(&mut body);
            kept.lock().unwrap().push((head, String::from_utf8_lossy(&body).into_owned()));
            let _ = reader.get_mut().write_all(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n");
        }
    });
    (addr, got)
}

/// A header's value in a request head, by case-insensitive name.
fn field(head: &str, name: &str) -> String {
    head.lines()
        .find_map(|l| {
            l.split_once(':').filter(|(n, _)| n.trim().eq_ignore_ascii_case(name)).map(|(_, v)| v.trim().to_owned())
        })
        .unwrap_or_default()
}

fn edit(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains(from), "{} has no `{from}`", path.display());
    std::fs::write(path, text.replacen(from, to, 1)).unwrap();
}

#[test]
fn a_replica_follows_a_repository_keeps_the_last_good_commit_and_tells_consumers() {
    let tmp = tempfile::tempdir().unwrap();
    let (work, repo, state) = (tmp.path().join("work"), tmp.path().join("content.git"), tmp.path().join("state"));
    copy_dir(&tessera_tests::fixture("valid-site"), &work);
    let first = commit_dir(&repo, "main", &work, "content", "first");

    let (hooks_at, received) = receiver();
    let key = [7u8; 24];
    use base64::Engine as _;
    let whsec = format!("whsec_{}", base64::engine::general_purpose::STANDARD.encode(key));
    std::fs::write(tmp.path().join("whsec.txt"), &whsec).unwrap();
    std::fs::write(
        tmp.path().join("webhooks.toml"),
        format!("[[webhook]]\nurl = \"http://{hooks_at}/hook\"\nsecret_file = \"whsec.txt\"\n"),
    )
    .unwrap();
    std::fs::write(tmp.path().join("push-secret.txt"), "a-push-secret-that-is-long-enough\n").unwrap();
    let (repo_arg, state_arg) = (repo.display().to_string(), state.display().to_string());
    let webhooks = tmp.path().join("webhooks.toml").display().to_string();
    let push_secret = tmp.path().join("push-secret.txt").display().to_string();
    let args = ["--git", &repo_arg, "--state", &state_arg, "--webhooks", &webhooks, "--hook-secret-file", &push_secret];
    let server = serve(&args);
    let (data, header) = status(&server.addr);
    assert_eq!(data["contentStatus"]["version"], first.as_str());
    assert_eq!(header, first, "the version header is the commit");

    // A new commit is served within a few polls; a webhook says what changed.
    edit(&work.join("pages/welcome.md"), "title = \"Welcome\"", "title = \"Welcome back\"");
    let second = commit_dir(&repo, "main", &work, "content", "second");
    wait_for("the second commit", || status(&server.addr).1 == second);
    assert_eq!(status(&server.addr).0["page"]["title"], "Welcome back");
    wait_for("a webhook", || !received.lock().unwrap().is_empty());
    let (head, body) = received.lock().unwrap()[0].clone();
    let event: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(event["type"], "item.updated", "{body}");
    assert_eq!(event["data"]["slug"], "welcome");
    assert_eq!(event["data"]["version"], second.as_str());
    assert_eq!(event["data"]["previous"], first.as_str());
    let get = |name: &str| field(&head, name);
    let (id, timestamp) = (get("webhook-id"), get("webhook-timestamp"));
    assert_eq!(id, event["data"]["id"].as_str().unwrap());
    let expected = tessera_notify::sign(&key, &id, timestamp.parse().unwrap(), body.as_bytes());
    assert_eq!(get("webhook-signature"), expected, "signed per Standard Webhooks");

    // A broken commit: the last good one keeps serving, and says so.
    std::fs::write(
        work.join("pages/broken.md"),
        "+++\ntitle = \"Broken\"\nstatus = \"published\"\nnonsense = 1\n+++\n",
    )
    .unwrap();
    let broken = commit_dir(&repo, "main", &work, "content", "broken");
    wait_for("the broken commit reported", || status(&server.addr).0["contentStatus"]["ok"] == false);
    let (data, header) = status(&server.addr);
    assert_eq!((data["contentStatus"]["version"].as_str(), header.as_str()), (Some(second.as_str()), second.as_str()));
    assert_eq!(http(&server.addr, "GET", "/readyz", &[], "").status, 200);

    // The push webhook: refused unsigned, accepted signed.
    let push = r#"{"ref":"refs/heads/main"}"#;
    assert_eq!(http(&server.addr, "POST", "/hooks/git", &[], push).status, 401);
    let token = [("X-Gitlab-Token", "a-push-secret-that-is-long-enough")];
    assert_eq!(http(&server.addr, "POST", "/hooks/git", &token, push).status, 202);
    drop(server);

    // A restart while the branch is broken serves the last good commit.
    let server = serve(&args);
    let (_, header) = status(&server.addr);
    assert_eq!(header, second, "{:?}", server.log.lock().unwrap());
    wait_for("the broken newest commit reported", || status(&server.addr).0["contentStatus"]["ok"] == false);
    let log = server.log.lock().unwrap().join("\n");
    assert!(log.contains(&broken) && log.contains("broken"), "{log}");
    // The change log survived the restart: a consumer that last saw the
    // first commit catches up from this replica too.
    let q = format!(r#"{{"query":"{{ changes(since: \"{first}\") {{ version changes {{ change slug }} }} }}"}}"#);
    let reply = http(&server.addr, "POST", "/graphql", &[("Content-Type", "application/json")], &q);
    let json: serde_json::Value = serde_json::from_str(&reply.body).unwrap();
    assert_eq!(json["data"]["changes"]["version"], second.as_str(), "{json}");
    assert_eq!(json["data"]["changes"]["changes"], serde_json::json!([{ "change": "UPDATED", "slug": "welcome" }]));
    drop(server);

    // Pushed while the replica was down: announced when it comes back.
    std::fs::remove_file(work.join("pages/broken.md")).unwrap();
    edit(&work.join("pages/welcome.md"), "title = \"Welcome back\"", "title = \"Welcome again\"");
    let fixed = commit_dir(&repo, "main", &work, "content", "fixed while down");
    let server = serve(&args);
    wait_for("the fixed commit", || status(&server.addr).1 == fixed);
    wait_for("its webhook", || {
        received.lock().unwrap().iter().any(|(_, body)| body.contains(&fixed) && body.contains("\"welcome\""))
    });
    drop(server);

    // Each event was delivered once, restart included.
    let ids: Vec<String> = received.lock().unwrap().iter().map(|(h, _)| field(h, "webhook-id")).collect();
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(ids.len(), unique.len(), "{ids:?}");
}

#[test]
fn serve_refuses_what_it_cannot_follow() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("missing.git").display().to_string();
    let o = crate::tessera(&["serve", "--git", &missing, "--addr", "127.0.0.1:0"]);
    assert!(String::from_utf8_lossy(&o.stderr).contains("--state DIR or --checkout DIR"));
    let checkout = tmp.path().join("checkout").display().to_string();
    let o = crate::tessera(&["serve", "--git", &missing, "--checkout", &checkout, "--addr", "127.0.0.1:0"]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("missing.git"), "{}", String::from_utf8_lossy(&o.stderr));
    let o = crate::tessera(&["serve", "--git", "https://example.org/content.git", "--checkout", &checkout]);
    assert!(String::from_utf8_lossy(&o.stderr).contains("HTTP(S)"), "{}", String::from_utf8_lossy(&o.stderr));
    let o = crate::tessera(&["serve", "--webhooks", "w.toml", "--addr", "127.0.0.1:0"]);
    assert!(String::from_utf8_lossy(&o.stderr).contains("--state"), "{}", String::from_utf8_lossy(&o.stderr));
}

/// A repository elsewhere, over the git protocol (served here by `git
/// daemon`, the one use of the `git` program, by the test alone): the
/// replica clones it into a mirror, then fetches each new commit with gix.
/// Skipped, saying so, where `git` is not installed.
#[test]
fn a_replica_follows_a_remote_repository_through_a_mirror() {
    let tmp = tempfile::tempdir().unwrap();
    let (work, repo) = (tmp.path().join("work"), tmp.path().join("content.git"));
    copy_dir(&tessera_tests::fixture("valid-site"), &work);
    let first = commit_dir(&repo, "main", &work, "content", "first");
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    // `git daemon` hands over to a `git-daemon` process of its own: it is
    // stopped by the pid it writes, and holds none of the test's pipes.
    let pid_file = tmp.path().join("daemon.pid");
    let daemon = Command::new("git")
        .args(["daemon", "--export-all", "--reuseaddr", "--listen=127.0.0.1"])
        .arg(format!("--port={port}"))
        .arg(format!("--pid-file={}", pid_file.display()))
        .arg(format!("--base-path={}", tmp.path().display()))
        .arg(tmp.path())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
    let Ok(daemon) = daemon else {
        eprintln!("skipped: no `git` program to serve a repository over the git protocol");
        return;
    };
    struct Kill(Child, std::path::PathBuf);
    impl Drop for Kill {
        fn drop(&mut self) {
            if let Ok(pid) = std::fs::read_to_string(&self.1) {
                let _ = Command::new("kill").arg(pid.trim()).status();
            }
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let _daemon = Kill(daemon, pid_file);
    wait_for("git daemon", || TcpStream::connect(("127.0.0.1", port)).is_ok());
    let url = format!("git://127.0.0.1:{port}/content.git");
    let checkout = tmp.path().join("replica/checkout").display().to_string();
    let server = serve(&["--git", &url, "--checkout", &checkout]);
    assert_eq!(status(&server.addr).1, first, "{:?}", server.log.lock().unwrap());
    assert!(tmp.path().join("replica/checkout.git").is_dir(), "the mirror sits beside the checkout");

    edit(&work.join("pages/welcome.md"), "title = \"Welcome\"", "title = \"Welcome, fetched\"");
    let second = commit_dir(&repo, "main", &work, "content", "second");
    wait_for("the fetched commit", || status(&server.addr).1 == second);
    assert_eq!(status(&server.addr).0["page"]["title"], "Welcome, fetched");
    drop(server);
    // A restart reuses the mirror (and fetches what it lacks).
    let server = serve(&["--git", &url, "--checkout", &checkout]);
    assert_eq!(status(&server.addr).1, second);
}
