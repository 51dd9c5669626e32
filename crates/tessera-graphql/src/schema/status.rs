//! `contentStatus`: the version being served and the result of the last
//! (re)load, as much of it as the audience may see.

use async_graphql::SimpleObject;
use tessera_core as core;
use tessera_core::{Audience, Snapshot, View};

/// The result of the last load or reload of the content.
#[derive(SimpleObject, Clone, Debug)]
pub struct ContentStatus {
    /// The version of the content being served: a hash of what the reader
    /// may see (for the public, drafts and embargoed items do not count).
    pub version: String,
    /// Whether the last reload succeeded; when it did not, the previous
    /// content keeps being served.
    pub ok: bool,
    /// A one-line summary.
    pub message: String,
    /// The problems of the last failed reload, as `path:line:column: message`.
    /// For preview only: the public sees none (a message may name a hidden file).
    pub errors: Vec<String>,
}

impl ContentStatus {
    /// A successful load of `snapshot`.
    pub fn loaded(snapshot: &Snapshot) -> ContentStatus {
        ContentStatus {
            version: format!("{:016x}", snapshot.version()),
            ok: true,
            message: "loaded".to_owned(),
            errors: Vec::new(),
        }
    }

    /// This status as `view`'s audience may see it. The public learns
    /// whether the last reload worked and the version of what it sees (a
    /// draft edit does not change it), never the errors: a message can name
    /// any file, hidden ones included. Preview sees everything.
    pub fn for_view(&self, view: &View<'_>) -> ContentStatus {
        let snapshot = view.snapshot();
        match view.audience() {
            Audience::Preview => ContentStatus { version: format!("{:016x}", snapshot.version()), ..self.clone() },
            Audience::Public => ContentStatus {
                version: format!("{:016x}", snapshot.public_version(view.now())),
                ok: self.ok,
                message: if self.ok {
                    self.message.clone()
                } else {
                    "the last reload failed; the last good content is being served (preview shows why)".to_owned()
                },
                errors: Vec::new(),
            },
        }
    }

    /// A failed reload while `current` keeps serving.
    pub fn failed(current: &Snapshot, diagnostics: &[core::Diagnostic]) -> ContentStatus {
        let errors: Vec<&core::Diagnostic> = diagnostics.iter().filter(|d| d.is_error()).collect();
        ContentStatus {
            version: format!("{:016x}", current.version()),
            ok: false,
            message: failed_message(errors.len()),
            errors: errors.iter().map(ToString::to_string).collect(),
        }
    }
}

fn failed_message(errors: usize) -> String {
    format!("failed with {errors} error(s); serving the last good content")
}
