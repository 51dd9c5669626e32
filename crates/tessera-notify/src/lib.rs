//! Tessera's webhooks: outgoing messages through a durable outbox, signed
//! the Standard Webhooks way, and verification of incoming git push webhooks.
//!
//! The crate knows nothing of content, items or the server: the server hands
//! it [`Message`]s with a JSON payload and a stable id, and this crate keeps
//! them on disk until every configured receiver has accepted them. It needs
//! no async runtime (delivery runs on plain threads) and no other Tessera
//! crate.
//!
//! - [`config`]: the `[[webhook]]` TOML file ([`WebhookConfig::load`]);
//! - [`sign()`]: the `webhook-signature` of a delivery;
//! - [`outbox`]: [`Outbox`], queueing, ordered delivery, retries, status;
//! - [`incoming`]: checking a GitHub, GitLab or Gitea/Forgejo push webhook.

pub mod config;
pub mod incoming;
pub mod outbox;
mod sign;

pub use config::{ConfigError, EVENT_TYPES, Receiver, Secret, WebhookConfig};
pub use outbox::{Message, Outbox, OutboxError, OutboxOptions, ReceiverStatus};
pub use sign::sign;
