//! `contentStatus`: the version being served and the result of the last
//! (re)load, as much of it as the audience may see.

use async_graphql::SimpleObject;
use tessera_core as core;
use tessera_core::{Audience, Snapshot, View};

/// The result of the last load or reload of the content.
#[derive(SimpleObject, Clone, Debug)]
pub struct ContentStatus {
    /// The version of the content being served: the git commit when the
    /// server follows a repository (the same on every replica), else a
    /// hash of what the reader may see (for the public, drafts and
    /// embargoed items do not count). Answers carry it in the
    /// `X-Content-Version` header too.
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
        ContentStatus { version: full_version(snapshot), ok: true, message: "loaded".to_owned(), errors: Vec::new() }
    }

    /// This status as `view`'s audience may see it. The public learns
    /// whether the last reload worked and the version of what it sees (a
    /// draft edit does not change it), never the errors: a message can name
    /// any file, hidden ones included. Preview sees everything.
    pub fn for_view(&self, view: &View<'_>) -> ContentStatus {
        let snapshot = view.snapshot();
        match view.audience() {
            Audience::Preview => ContentStatus { version: full_version(snapshot), ..self.clone() },
            Audience::Public => ContentStatus {
                version: snapshot.public_label(view.now()),
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
            version: full_version(current),
            ok: false,
            message: failed_message(errors.len()),
            errors: errors.iter().map(ToString::to_string).collect(),
        }
    }
}

/// The version of everything in `snapshot`, drafts included: its revision
/// (a git commit) when it has one.
fn full_version(snapshot: &Snapshot) -> String {
    snapshot.revision().map_or_else(|| format!("{:016x}", snapshot.version()), str::to_owned)
}

fn failed_message(errors: usize) -> String {
    format!("failed with {errors} error(s); serving the last good content")
}
