//! The webhook configuration file: who receives which events, signed with which secret.

use std::collections::HashSet;
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use serde::Deserialize;
use toml::Spanned;

/// Every event type Tessera sends, in the order they are documented.
pub const EVENT_TYPES: &[&str] =
    &["item.created", "item.updated", "item.deleted", "item.published", "item.unpublished", "item.embargo_lifted"];

/// How many messages may wait for one receiver when its entry does not say.
pub const DEFAULT_MAX_QUEUE: usize = 10_000;

/// Secrets shorter than this (after decoding) are refused: a short HMAC key
/// can be guessed.
pub const MIN_SECRET_LEN: usize = 16;

/// Files larger than this are refused unread (config and secret files are tiny).
const MAX_FILE_SIZE: u64 = 1024 * 1024;

/// Why a configuration or secret file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file cannot be read.
    #[error("cannot read `{}`: {reason}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        reason: std::io::Error,
    },
    /// The file is read but its content is wrong at a known place.
    #[error("{}:{line}:{column}: {message}", path.display())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// 1-based line of the problem.
        line: usize,
        /// 1-based column (in characters) of the problem.
        column: usize,
        /// What is wrong, and how to fix it when that is clear.
        message: String,
    },
    /// A secret file is unusable. The message never contains the secret.
    #[error("secret file `{}`: {reason}", path.display())]
    Secret {
        /// The secret file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
}

/// A key for signing or verifying; its `Debug` never shows the bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Vec<u8>);

impl Secret {
    /// Wraps raw key bytes.
    pub fn new(bytes: Vec<u8>) -> Self {
        Self(bytes)
    }

    /// The key bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({} bytes)", self.0.len())
    }
}

/// One receiver of outgoing webhooks, as configured.
#[derive(Debug, Clone)]
pub struct Receiver {
    /// A unique name, for logs and status (given, or derived from the URL).
    pub name: String,
    /// Where messages are POSTed (`http` or `https`).
    pub url: String,
    /// The HMAC key: the decoded bytes of the `whsec_` secret.
    pub secret: Secret,
    /// The event types this receiver wants; `None` means all of them.
    pub events: Option<Vec<String>>,
    /// At most this many messages wait for the receiver; later ones are dropped.
    pub max_queue: usize,
}

impl Receiver {
    /// Whether this receiver wants messages of `event_type`.
    pub fn accepts(&self, event_type: &str) -> bool {
        self.events.as_ref().is_none_or(|events| events.iter().any(|e| e == event_type))
    }
}

/// The whole configuration: every receiver, in file order.
#[derive(Debug, Clone, Default)]
pub struct WebhookConfig {
    /// The receivers, names unique.
    pub receivers: Vec<Receiver>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    webhook: Vec<RawWebhook>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWebhook {
    name: Option<Spanned<String>>,
    url: Spanned<String>,
    secret_file: Spanned<String>,
    events: Option<Vec<Spanned<String>>>,
    max_queue: Option<Spanned<usize>>,
}

impl WebhookConfig {
    /// Reads and checks the configuration file at `path`.
    ///
    /// Relative `secret_file` paths resolve against the folder holding
    /// `path`. Every error names the file, and the line and column when the
    /// problem has a place in it.
    pub fn load(path: &Path) -> Result<WebhookConfig, ConfigError> {
        let bytes = read_limited(path)?;
        let text = String::from_utf8(bytes).map_err(|e| {
            let (line, column) = line_column(&String::from_utf8_lossy(e.as_bytes()), e.utf8_error().valid_up_to());
            ConfigError::Invalid { path: path.to_owned(), line, column, message: "not UTF-8 text".into() }
        })?;
        let invalid = |span: Range<usize>, message: String| {
            let (line, column) = line_column(&text, span.start);
            ConfigError::Invalid { path: path.to_owned(), line, column, message }
        };
        let raw: RawConfig =
            toml::from_str(&text).map_err(|e| invalid(e.span().unwrap_or(0..0), e.message().trim().to_owned()))?;
        let folder = path.parent().unwrap_or(Path::new(""));
        let mut names = HashSet::new();
        let mut receivers = Vec::with_capacity(raw.webhook.len());
        for entry in raw.webhook {
            let url = entry.url.get_ref().trim().to_owned();
            let Some(derived) = name_from_url(&url) else {
                return Err(invalid(
                    entry.url.span(),
                    format!("`{url}` is not an http or https URL with a host (like `https://example.org/hooks`)"),
                ));
            };
            let (name, name_span) = match &entry.name {
                Some(name) if name.get_ref().trim().is_empty() => {
                    return Err(invalid(name.span(), "a webhook name cannot be empty".into()));
                }
                Some(name) => (name.get_ref().trim().to_owned(), name.span()),
                None => (derived, entry.url.span()),
            };
            if !names.insert(name.clone()) {
                return Err(invalid(
                    name_span,
                    format!("a second webhook named `{name}`: names must be unique (set `name` to tell them apart)"),
                ));
            }
            let events = match entry.events {
                None => None,
                Some(events) => {
                    let mut checked = Vec::with_capacity(events.len());
                    for event in events {
                        let event_type = event.get_ref();
                        if !EVENT_TYPES.contains(&event_type.as_str()) {
                            return Err(invalid(event.span(), unknown_event_message(event_type)));
                        }
                        checked.push(event.into_inner());
                    }
                    Some(checked)
                }
            };
            let max_queue = match entry.max_queue {
                None => DEFAULT_MAX_QUEUE,
                Some(max) if *max.get_ref() == 0 => {
                    return Err(invalid(max.span(), "`max_queue` must be at least 1".into()));
                }
                Some(max) => max.into_inner(),
            };
            let secret_path = folder.join(entry.secret_file.get_ref());
            let secret = read_standard_secret(&secret_path)?;
            receivers.push(Receiver { name, url, secret, events, max_queue });
        }
        Ok(WebhookConfig { receivers })
    }
}

/// The message for an event type Tessera does not know.
fn unknown_event_message(event_type: &str) -> String {
    let close = EVENT_TYPES.iter().find(|known| edit_distance(known, event_type) <= 2);
    match close {
        Some(known) => format!("unknown event type `{event_type}`; did you mean `{known}`?"),
        None => format!("unknown event type `{event_type}`; known types: {}", EVENT_TYPES.join(", ")),
    }
}

/// Levenshtein distance, for did-you-mean hints on short names.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        previous = current;
    }
    previous[b.len()]
}

/// `host/path` of an http(s) URL, the default receiver name; `None` when
/// the URL is not http(s) or has no host.
fn name_from_url(url: &str) -> Option<String> {
    let lower = url.to_ascii_lowercase();
    let rest = if lower.starts_with("https://") {
        &url["https://".len()..]
    } else if lower.starts_with("http://") {
        &url["http://".len()..]
    } else {
        return None;
    };
    if rest.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return None;
    }
    // Credentials in the URL stay out of the name (names appear in logs).
    let without_query = rest.split(['?', '#']).next().unwrap_or_default();
    let (authority, path) = without_query.split_once('/').unwrap_or((without_query, ""));
    let host = authority.rsplit('@').next().unwrap_or_default();
    if host.is_empty() || host.starts_with(':') {
        return None;
    }
    let path = path.trim_end_matches('/');
    Some(if path.is_empty() { host.to_owned() } else { format!("{host}/{path}") })
}

/// Reads a Standard Webhooks secret (`whsec_<base64>`) and returns the
/// decoded key. Surrounding whitespace is ignored.
fn read_standard_secret(path: &Path) -> Result<Secret, ConfigError> {
    let refuse = |reason: &str| ConfigError::Secret { path: path.to_owned(), reason: reason.to_owned() };
    let bytes = read_limited(path)?;
    let text = std::str::from_utf8(&bytes).map_err(|_| refuse("not text; expected `whsec_` and base64"))?.trim();
    if text.is_empty() {
        return Err(refuse("empty; expected `whsec_` and base64"));
    }
    let Some(encoded) = text.strip_prefix("whsec_") else {
        return Err(refuse("does not start with `whsec_` (a Standard Webhooks secret is `whsec_` and base64)"));
    };
    let key = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .map_err(|_| refuse("the part after `whsec_` is not valid base64"))?;
    if key.len() < MIN_SECRET_LEN {
        return Err(ConfigError::Secret {
            path: path.to_owned(),
            reason: format!("the key is {} bytes; at least {MIN_SECRET_LEN} are needed", key.len()),
        });
    }
    Ok(Secret::new(key))
}

/// Reads a whole file, refusing one larger than [`MAX_FILE_SIZE`].
pub(crate) fn read_limited(path: &Path) -> Result<Vec<u8>, ConfigError> {
    use std::io::Read as _;
    let read_error = |reason| ConfigError::Read { path: path.to_owned(), reason };
    let file = std::fs::File::open(path).map_err(read_error)?;
    let mut bytes = Vec::new();
    file.take(MAX_FILE_SIZE + 1).read_to_end(&mut bytes).map_err(read_error)?;
    if bytes.len() as u64 > MAX_FILE_SIZE {
        return Err(read_error(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("larger than {MAX_FILE_SIZE} bytes"),
        )));
    }
    Ok(bytes)
}

/// 1-based line and column (in characters) of byte `offset` in `text`.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_come_from_host_and_path_without_credentials_or_query() {
        assert_eq!(name_from_url("https://example.org/hooks/tessera/").as_deref(), Some("example.org/hooks/tessera"));
        assert_eq!(name_from_url("http://user:pw@h.example:8080?x=1").as_deref(), Some("h.example:8080"));
        assert_eq!(name_from_url("ftp://example.org/"), None);
        assert_eq!(name_from_url("https:///nohost"), None);
        assert_eq!(name_from_url("https://exa mple.org"), None);
    }

    #[test]
    fn line_and_column_count_characters() {
        assert_eq!(line_column("ab\ncdé\nx", 7), (2, 4));
        assert_eq!(line_column("ab\ncdé\nx", 8), (3, 1));
        // Inside a character: its start.
        assert_eq!(line_column("ab\ncdé\nx", 6), (2, 3));
        assert_eq!(line_column("", 5), (1, 1));
    }

    #[test]
    fn near_misses_get_a_suggestion_and_strangers_the_list() {
        assert!(unknown_event_message("item.update").contains("did you mean `item.updated`"));
        assert!(unknown_event_message("page.flipped").contains("item.embargo_lifted"));
    }
}
