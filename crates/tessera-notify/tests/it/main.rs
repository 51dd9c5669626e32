//! tessera-notify's integration tests: configuration files, the outbox
//! against a real local HTTP receiver, and incoming webhook verification.

mod config;
mod incoming;
mod outbox;
mod receiver;

use std::path::Path;

use base64::Engine as _;

/// A 32-byte key, and the `whsec_` file text that holds it.
pub(crate) fn key() -> (Vec<u8>, String) {
    let key: Vec<u8> = (0u8..32).map(|i| i.wrapping_mul(37).wrapping_add(11)).collect();
    let text = format!("whsec_{}\n", base64::engine::general_purpose::STANDARD.encode(&key));
    (key, text)
}

/// Writes `config` to `folder/webhooks.toml`, with a valid `secret.txt` beside it.
pub(crate) fn write_config(folder: &Path, config: &str) -> std::path::PathBuf {
    std::fs::write(folder.join("secret.txt"), key().1).unwrap();
    let path = folder.join("webhooks.toml");
    std::fs::write(&path, config).unwrap();
    path
}
