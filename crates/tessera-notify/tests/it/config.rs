//! The webhook configuration file, and every way it can be wrong.

use std::fs;

use tessera_notify::{ConfigError, WebhookConfig};

use crate::{key, write_config};

fn load(config: &str) -> Result<WebhookConfig, ConfigError> {
    let dir = tempfile::tempdir().unwrap();
    WebhookConfig::load(&write_config(dir.path(), config))
}

fn invalid(config: &str) -> (usize, usize, String) {
    match load(config) {
        Err(ConfigError::Invalid { path, line, column, message }) => {
            assert!(path.ends_with("webhooks.toml"), "{path:?}");
            (line, column, message)
        }
        other => panic!("expected an Invalid error, got {other:?}"),
    }
}

#[test]
fn a_full_entry_and_a_minimal_one_load_with_their_defaults() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("secrets")).unwrap();
    fs::write(dir.path().join("secrets/mirror.txt"), key().1).unwrap();
    let path = write_config(
        dir.path(),
        r#"
[[webhook]]
name = "partner-mirror"
url = "https://example.org/hooks/tessera"
secret_file = "secrets/mirror.txt"
events = ["item.updated", "item.deleted"]
max_queue = 50

[[webhook]]
url = "http://mirror.example:8080/in/"
secret_file = "secret.txt"
"#,
    );
    // Relative secret paths resolve against the config's folder, not the
    // working directory (the test runs in the crate's folder).
    let config = WebhookConfig::load(&path).unwrap();
    let [full, minimal] = &config.receivers[..] else { panic!("{config:?}") };
    assert_eq!(full.name, "partner-mirror");
    assert_eq!(full.url, "https://example.org/hooks/tessera");
    assert_eq!(full.secret.bytes(), key().0);
    assert_eq!(full.events.as_deref(), Some(&["item.updated".to_owned(), "item.deleted".to_owned()][..]));
    assert_eq!(full.max_queue, 50);
    assert!(full.accepts("item.deleted") && !full.accepts("item.created"));
    assert_eq!(minimal.name, "mirror.example:8080/in");
    assert_eq!(minimal.events, None);
    assert_eq!(minimal.max_queue, 10_000);
    assert!(tessera_notify::EVENT_TYPES.iter().all(|t| minimal.accepts(t)));
    // The key never shows in debug output.
    assert!(!format!("{full:?}").contains(&format!("{:?}", key().0)), "{full:?}");
}

#[test]
fn an_unknown_field_is_refused_with_its_line_and_column() {
    let (line, column, message) = invalid(
        "[[webhook]]\nurl = \"https://example.org/h\"\nsecret_file = \"secret.txt\"\n  evnets = [\"item.updated\"]\n",
    );
    assert_eq!((line, column), (4, 3), "{message}");
    assert!(message.contains("evnets"), "{message}");
    let (line, _, message) = invalid("[[webhooks]]\n");
    assert_eq!(line, 1, "{message}");
}

#[test]
fn a_toml_syntax_error_has_its_place() {
    let (line, _, _) = invalid("[[webhook]]\nurl = \"https://example.org/h\nsecret_file = \"secret.txt\"\n");
    assert_eq!(line, 2);
}

#[test]
fn only_http_and_https_urls_with_a_host_are_accepted() {
    for url in ["ftp://example.org/h", "example.org/h", "https://", "file:///etc/passwd"] {
        let (line, column, message) = invalid(&format!("[[webhook]]\nurl = \"{url}\"\nsecret_file = \"secret.txt\"\n"));
        assert_eq!((line, column), (2, 7), "{url}: {message}");
        assert!(message.contains("http or https"), "{message}");
    }
}

#[test]
fn names_must_be_unique_given_or_derived() {
    let (line, _, message) = invalid(
        r#"[[webhook]]
name = "mirror"
url = "https://a.example/h"
secret_file = "secret.txt"
[[webhook]]
name = "mirror"
url = "https://b.example/h"
secret_file = "secret.txt"
"#,
    );
    assert_eq!(line, 6);
    assert!(message.contains("`mirror`") && message.contains("unique"), "{message}");
    let (line, _, message) = invalid(
        "[[webhook]]\nurl = \"https://a.example/h\"\nsecret_file = \"secret.txt\"\n\
         [[webhook]]\nurl = \"https://a.example/h/\"\nsecret_file = \"secret.txt\"\n",
    );
    assert_eq!(line, 5, "{message}");
    assert!(message.contains("a.example/h"), "{message}");
}

#[test]
fn unknown_event_types_are_refused_with_a_suggestion() {
    let (line, column, message) = invalid(
        "[[webhook]]\nurl = \"https://a.example/h\"\nsecret_file = \"secret.txt\"\nevents = [\"item.created\", \"item.publish\"]\n",
    );
    assert_eq!((line, column), (4, 27));
    assert!(message.contains("did you mean `item.published`"), "{message}");
}

#[test]
fn a_zero_queue_is_refused() {
    let (line, _, message) =
        invalid("[[webhook]]\nurl = \"https://a.example/h\"\nsecret_file = \"secret.txt\"\nmax_queue = 0\n");
    assert_eq!(line, 4);
    assert!(message.contains("max_queue"), "{message}");
}

#[test]
fn bad_secrets_are_refused_naming_the_file_but_never_the_secret() {
    let short = "whsec_c2hvcnQta2V5"; // "short-key", 9 bytes
    let cases = [
        ("", "empty"),
        ("  \n", "empty"),
        (short, "at least 16"),
        ("whsec_not*base64!", "base64"),
        ("c2VjcmV0LXNlY3JldC1zZWNyZXQ=", "whsec_"),
    ];
    for (contents, expected) in cases {
        let dir = tempfile::tempdir().unwrap();
        let path = write_config(dir.path(), "[[webhook]]\nurl = \"https://a.example/h\"\nsecret_file = \"bad.txt\"\n");
        fs::write(dir.path().join("bad.txt"), contents).unwrap();
        let error = WebhookConfig::load(&path).unwrap_err();
        let text = error.to_string();
        assert!(matches!(error, ConfigError::Secret { .. }), "{error:?}");
        assert!(text.contains("bad.txt") && text.contains(expected), "{contents:?}: {text}");
        let body = contents.trim().trim_start_matches("whsec_");
        assert!(body.is_empty() || !text.contains(body), "the secret leaked: {text}");
    }
}

#[test]
fn a_missing_secret_file_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_config(dir.path(), "[[webhook]]\nurl = \"https://a.example/h\"\nsecret_file = \"nowhere.txt\"\n");
    let error = WebhookConfig::load(&path).unwrap_err();
    assert!(matches!(&error, ConfigError::Read { path, .. } if path.ends_with("nowhere.txt")), "{error:?}");
}

#[test]
fn an_empty_file_configures_no_receivers() {
    assert!(load("").unwrap().receivers.is_empty());
}
