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
