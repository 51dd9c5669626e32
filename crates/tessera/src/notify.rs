//! `serve --webhooks`: every public change goes to the configured
//! receivers through the durable outbox in `STATE/outbox`.

use std::path::Path;

use tessera_graphql::AppState;
use tessera_notify::{Message, Outbox, OutboxOptions, WebhookConfig};

/// Versions whose events a start hands the outbox again.
const REPLAYED: usize = 10;

/// Opens the outbox (delivering what a previous run left) and queues
/// each public change the server publishes from now on. The outbox must
/// be kept alive for as long as deliveries should run.
pub(crate) fn start(state: &AppState, config: &Path, state_dir: &Path) -> anyhow::Result<std::sync::Arc<Outbox>> {
    let config = WebhookConfig::load(config)?;
    let receivers = config.receivers.len();
    let dir = state_dir.join("outbox");
    let outbox = std::sync::Arc::new(Outbox::open(&dir, config, OutboxOptions::default())?);
    // Queued on a thread of its own: writing (and syncing) each event to
    // disk must not hold up a reload. The journal of changes has every
    // event first, and a restart hands the newest ones to the outbox again.
    let (sender, receiver) = std::sync::mpsc::channel::<Vec<tessera_graphql::ChangeEvent>>();
    let queue = outbox.clone();
    std::thread::Builder::new().name("tessera-webhooks".to_owned()).spawn(move || {
        for events in receiver {
            for event in &events {
                let message = Message {
                    id: event.id.clone(),
                    event_type: event.event_type().to_owned(),
                    payload: event.payload(),
                };
                if let Err(e) = queue.enqueue(&message) {
                    tracing::error!(error = %e, id = event.id, "cannot queue a webhook");
                }
            }
        }
    })?;
    let replay = state.feed().recent(REPLAYED);
    if !replay.is_empty() {
        let _ = sender.send(replay);
    }
    state.feed().on_publish(Box::new(move |batch| {
        let _ = sender.send(batch.events.clone());
    }));
    eprintln!("webhooks: {receivers} receiver(s), outbox in {}", dir.display());
    Ok(outbox)
}
