//! A tiny HTTP receiver on 127.0.0.1 that records every request and answers
//! with scripted statuses.

use std::collections::{HashMap, VecDeque};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::mpsc::{Receiver as Channel, Sender, channel};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One request as received.
#[derive(Debug, Clone)]
pub(crate) struct Request {
    pub(crate) at: Instant,
    pub(crate) path: String,
    /// Header names in lower case.
    pub(crate) headers: HashMap<String, String>,
    pub(crate) body: Vec<u8>,
    /// The status the receiver answered.
    pub(crate) status: u16,
}

impl Request {
    pub(crate) fn header(&self, name: &str) -> &str {
        self.headers.get(name).map(String::as_str).unwrap_or_else(|| panic!("no {name} header in {self:?}"))
    }

    pub(crate) fn id(&self) -> &str {
        self.header("webhook-id")
    }
}

pub(crate) struct TestReceiver {
    pub(crate) url: String,
    requests: Channel<Request>,
    script: Arc<Mutex<VecDeque<u16>>>,
}

impl TestReceiver {
    /// Answers `script` in order, then 200 forever.
    pub(crate) fn start(script: &[u16]) -> TestReceiver {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/hooks/tessera", listener.local_addr().unwrap());
        let script = Arc::new(Mutex::new(script.iter().copied().collect::<VecDeque<u16>>()));
        let (sender, requests) = channel();
        let shared = Arc::clone(&script);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let status = shared.lock().unwrap().pop_front().unwrap_or(200);
                if serve(stream, status, &sender).is_err() {
                    // The test is over when nobody listens.
                    return;
                }
            }
        });
        TestReceiver { url, requests, script }
    }

    /// Changes what the next requests get.
    pub(crate) fn answer(&self, script: &[u16]) {
        *self.script.lock().unwrap() = script.iter().copied().collect();
    }

    /// The next request, failing the test after `seconds`.
    pub(crate) fn next(&self, seconds: u64) -> Request {
        self.requests.recv_timeout(Duration::from_secs(seconds)).expect("a request in time")
    }

    /// Asserts that no request arrives for `millis`.
    pub(crate) fn assert_quiet(&self, millis: u64) {
        if let Ok(request) = self.requests.recv_timeout(Duration::from_millis(millis)) {
            panic!("unexpected request: {request:?}");
        }
    }
}

fn serve(stream: TcpStream, status: u16, sender: &Sender<Request>) -> Result<(), ()> {
    let at = Instant::now();
    let mut reader = BufReader::new(stream.try_clone().map_err(drop)?);
    let mut line = String::new();
    reader.read_line(&mut line).map_err(drop)?;
    let path = line.split_whitespace().nth(1).unwrap_or_default().to_owned();
    let mut headers = HashMap::new();
    loop {
        line.clear();
        reader.read_line(&mut line).map_err(drop)?;
        let trimmed = line.trim_end();
        if trimmed.is_empty() {
            break;
        }
        if let Some((name, value)) = trimmed.split_once(':') {
            headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_owned());
        }
    }
    let length = headers.get("content-length").and_then(|l| l.parse().ok()).unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).map_err(drop)?;
    let mut stream = stream;
    let answer = format!("HTTP/1.1 {status} Test\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
    // Recorded before answering, so the test sees it before the outbox
    // reacts to the answer.
    sender.send(Request { at, path, headers, body, status }).map_err(drop)?;
    let _ = stream.write_all(answer.as_bytes());
    let _ = stream.flush();
    Ok(())
}
