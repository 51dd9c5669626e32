//! Verifying incoming git push webhooks from GitHub, GitLab and Gitea/Forgejo.
//!
//! The shared secret here is what the forge was given: the raw contents of
//! the secret file, less one trailing newline (`\n` or `\r\n`), not a
//! `whsec_` Standard Webhooks secret. Each forge uses it differently:
//!
//! - GitHub sends `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(secret, body)>`;
//! - Gitea sends `X-Gitea-Signature: <hex HMAC-SHA256(secret, body)>`, and
//!   Forgejo the same in `X-Forgejo-Signature`;
//! - GitLab sends the secret itself in `X-Gitlab-Token`.
//!
//! Every comparison takes the same time wherever the first difference is.
//! None of these schemes signs a timestamp, so a captured request can be
//! replayed; a push webhook should only prompt a fetch, never carry orders.

use std::path::Path;

use hmac::Mac;
use http::HeaderMap;
use subtle::ConstantTimeEq;

use crate::config::{ConfigError, MIN_SECRET_LEN, read_limited};
use crate::sign::hmac_sha256;

/// The forge a verified request came from, by the header that authenticated it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provider {
    /// GitHub (`X-Hub-Signature-256`).
    GitHub,
    /// GitLab (`X-Gitlab-Token`).
    GitLab,
    /// Gitea or Forgejo (`X-Gitea-Signature` or `X-Forgejo-Signature`).
    Gitea,
}

/// Why a request was refused. Neither says how close a wrong signature came.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    /// No header that any known forge signs with.
    #[error("the request carries no webhook signature or token")]
    Unsigned,
    /// A signature or token is present but wrong or malformed.
    #[error("the webhook signature or token does not match")]
    BadSignature,
}

/// Checks that `body` was sent by a forge that knows `secret`, and says which.
///
/// The first header present decides, in this order: `X-Hub-Signature-256`,
/// `X-Forgejo-Signature`, `X-Gitea-Signature`, `X-Gitlab-Token`. A wrong
/// value in that header is refused even if another header would match.
pub fn verify(headers: &HeaderMap, body: &[u8], secret: &[u8]) -> Result<Provider, Rejection> {
    if let Some(value) = headers.get("x-hub-signature-256") {
        let hex = value.as_bytes().strip_prefix(b"sha256=").ok_or(Rejection::BadSignature)?;
        return check_hmac(hex, body, secret).map(|()| Provider::GitHub);
    }
    if let Some(value) = headers.get("x-forgejo-signature").or_else(|| headers.get("x-gitea-signature")) {
        return check_hmac(value.as_bytes(), body, secret).map(|()| Provider::Gitea);
    }
    if let Some(value) = headers.get("x-gitlab-token") {
        // An empty secret would accept an empty token; refuse both outright.
        if secret.is_empty() || value.as_bytes().is_empty() {
            return Err(Rejection::BadSignature);
        }
        return match bool::from(value.as_bytes().ct_eq(secret)) {
            true => Ok(Provider::GitLab),
            false => Err(Rejection::BadSignature),
        };
    }
    Err(Rejection::Unsigned)
}

/// Checks a hex HMAC-SHA256 of `body` in constant time.
fn check_hmac(hex: &[u8], body: &[u8], secret: &[u8]) -> Result<(), Rejection> {
    if secret.is_empty() {
        return Err(Rejection::BadSignature);
    }
    let tag = decode_hex(hex).ok_or(Rejection::BadSignature)?;
    let mut mac = hmac_sha256(secret);
    mac.update(body);
    mac.verify_slice(&tag).map_err(|_| Rejection::BadSignature)
}

/// Decodes hex (either case); `None` when the length is odd or a digit is not hex.
fn decode_hex(hex: &[u8]) -> Option<Vec<u8>> {
    fn digit(c: u8) -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            b'A'..=b'F' => Some(c - b'A' + 10),
            _ => None,
        }
    }
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    hex.chunks_exact(2).map(|pair| Some(digit(pair[0])? << 4 | digit(pair[1])?)).collect()
}

/// Reads the secret for incoming webhooks from `path`: the file's bytes,
/// less one trailing `\n` or `\r\n`.
///
/// Refuses an empty secret and one shorter than 16 bytes; the error names
/// the file and never shows the secret.
pub fn read_secret(path: &Path) -> Result<Vec<u8>, ConfigError> {
    let mut bytes = read_limited(path)?;
    if bytes.ends_with(b"\n") {
        bytes.pop();
        if bytes.ends_with(b"\r") {
            bytes.pop();
        }
    }
    if bytes.is_empty() {
        return Err(ConfigError::Secret { path: path.to_owned(), reason: "empty".into() });
    }
    if bytes.len() < MIN_SECRET_LEN {
        return Err(ConfigError::Secret {
            path: path.to_owned(),
            reason: format!("the secret is {} bytes; at least {MIN_SECRET_LEN} are needed", bytes.len()),
        });
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_decodes_both_cases_and_refuses_the_rest() {
        assert_eq!(decode_hex(b"00fFa1"), Some(vec![0, 255, 161]));
        assert_eq!(decode_hex(b"abc"), None);
        assert_eq!(decode_hex(b"zz"), None);
        assert_eq!(decode_hex(b""), Some(vec![]));
    }
}
