//! `serve --webhooks`: every public change goes to the configured
//! receivers through the durable outbox in `STATE/outbox`.

use std::path::Path;

use tessera_graphql::AppState;
use tessera_notify::{Message, Outbox, OutboxOptions, WebhookConfig};

/// Opens the outbox (delivering what a previous run left) and queues
/// each public change the server publishes from now on. The outbox must
/// be kept alive for as long as deliveries should run.
pub(crate) fn start(state: &AppState, config: &Path, state_dir: &Path) -> anyhow::Result<std::sync::Arc<Outbox>> {
    let config = WebhookConfig::load(config)?;
    let receivers = config.receivers.len();
    let dir = state_dir.join("outbox");
    let outbox = std::sync::Arc::new(Outbox::open(&dir, config, OutboxOptions::default())?);
    let queue = outbox.clone();
    state.feed().on_publish(Box::new(move |batch| {
        for event in &batch.events {
            let message =
                Message { id: event.id.clone(), event_type: event.event_type().to_owned(), payload: event.payload() };
            // Written to disk before this returns; an error (a full disk)
            // loses this event for webhooks only: `changes(since:)` has it.
            if let Err(e) = queue.enqueue(&message) {
                tracing::error!(error = %e, id = event.id, "cannot queue a webhook");
            }
        }
    }));
    eprintln!("webhooks: {receivers} receiver(s), outbox in {}", dir.display());
    Ok(outbox)
}
