//! Standard Webhooks signatures for outgoing messages.

use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The Standard Webhooks signature of one delivery: `v1,` and the base64
/// HMAC-SHA256, under `secret`, of `{msg_id}.{timestamp}.{body}`.
///
/// `timestamp` is the unix time in seconds sent in `webhook-timestamp`;
/// `body` is the exact bytes sent.
pub fn sign(secret: &[u8], msg_id: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac = hmac_sha256(secret);
    mac.update(msg_id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    let tag = mac.finalize().into_bytes();
    format!("v1,{}", base64::engine::general_purpose::STANDARD.encode(tag))
}

/// An HMAC-SHA256 keyed with `secret`.
pub(crate) fn hmac_sha256(secret: &[u8]) -> Hmac<Sha256> {
    match <Hmac<Sha256> as Mac>::new_from_slice(secret) {
        Ok(mac) => mac,
        // HMAC takes keys of any length (longer ones are hashed first); the
        // `Result` comes from the generic `KeyInit` trait, not from HMAC.
        Err(_) => unreachable!("HMAC-SHA256 accepts a key of any length"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example published with the Standard Webhooks specification.
    #[test]
    fn matches_the_standard_webhooks_test_vector() {
        let key = base64::engine::general_purpose::STANDARD.decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let signature = sign(&key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, br#"{"test": 2432232314}"#);
        assert_eq!(signature, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn every_signed_part_changes_the_signature() {
        let base = sign(b"0123456789abcdef", "msg_1", 1, b"{}");
        assert_ne!(base, sign(b"0123456789abcdeF", "msg_1", 1, b"{}"));
        assert_ne!(base, sign(b"0123456789abcdef", "msg_2", 1, b"{}"));
        assert_ne!(base, sign(b"0123456789abcdef", "msg_1", 2, b"{}"));
        assert_ne!(base, sign(b"0123456789abcdef", "msg_1", 1, b"{ }"));
    }
}
