//! What an import did and what it leaves to editors, as text or JSON.

use std::fmt::Write as _;

use serde::Serialize;

use crate::legacy::{Dropped, Note};

/// What happened to one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// A new file.
    Created,
    /// A file of an earlier import, untouched since, rewritten.
    Updated,
    /// Already as the import would write it.
    Unchanged,
    /// Left alone: edited, published, deleted or written by someone else.
    Conflict,
}

impl Action {
    fn verb(self, dry_run: bool) -> &'static str {
        match (self, dry_run) {
            (Action::Created, false) => "created",
            (Action::Created, true) => "would create",
            (Action::Updated, false) => "updated",
            (Action::Updated, true) => "would update",
            (Action::Unchanged, _) => "unchanged",
            (Action::Conflict, _) => "conflict",
        }
    }
}

/// One file of the content folder and what the import did with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ItemOutcome {
    /// Relative to the content folder: `pages/slug.md`.
    pub path: String,
    /// `page`, `story` or `media`.
    pub kind: String,
    /// The item's title (a media item's alt text).
    pub title: String,
    /// What was done.
    pub action: Action,
    /// Why, for a conflict.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// One legacy page and what came of it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SourceReport {
    /// The file read.
    pub source: String,
    /// Its old address.
    pub address: String,
    /// `html` or `text`.
    pub form: String,
    /// The files written or left, in order.
    pub items: Vec<ItemOutcome>,
    /// What needs an editor.
    pub notes: Vec<Note>,
    /// Site chrome that was dropped, with its text.
    pub dropped: Vec<Dropped>,
    /// Why the source could not be imported at all.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The whole import.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    /// Nothing was written.
    pub dry_run: bool,
    /// One entry per legacy page, in path order.
    pub sources: Vec<SourceReport>,
    /// Files under a source folder that are not pages (images, scripts).
    pub skipped: Vec<String>,
}

/// Counts over a report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    /// Sources read.
    pub sources: usize,
    /// Files created.
    pub created: usize,
    /// Files updated.
    pub updated: usize,
    /// Files already up to date.
    pub unchanged: usize,
    /// Files left alone.
    pub conflicts: usize,
    /// Notes for editors.
    pub notes: usize,
    /// Sources that could not be read.
    pub errors: usize,
}

impl Report {
    /// Counts of items by action, notes and errors.
    pub fn totals(&self) -> Totals {
        let mut t = Totals { sources: self.sources.len(), ..Totals::default() };
        for s in &self.sources {
            t.notes += s.notes.len();
            t.errors += usize::from(s.error.is_some());
            for item in &s.items {
                match item.action {
                    Action::Created => t.created += 1,
                    Action::Updated => t.updated += 1,
                    Action::Unchanged => t.unchanged += 1,
                    Action::Conflict => t.conflicts += 1,
                }
            }
        }
        t
    }

    /// The report for people: per source, the files and what needs an
    /// editor; dropped chrome in one line each.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for s in &self.sources {
            let _ = writeln!(out, "{} ({}) → {}", s.source, s.form, s.address);
            if let Some(e) = &s.error {
                let _ = writeln!(out, "  error: {e}");
            }
            for item in &s.items {
                let _ = write!(
                    out,
                    "  {:<13} {}  {} \"{}\"",
                    item.action.verb(self.dry_run),
                    item.path,
                    item.kind,
                    short(&item.title, 60)
                );
                if let Some(reason) = &item.reason {
                    let _ = write!(out, ": {reason}");
                }
                out.push('\n');
            }
            if !s.notes.is_empty() {
                let _ = writeln!(out, "  needs an editor:");
                for n in &s.notes {
                    let _ = write!(out, "    {}: {}", n.kind.label(), n.message);
                    if let Some(text) = &n.text {
                        let _ = write!(out, ": \"{}\"", short(text, 100));
                    }
                    out.push('\n');
                }
            }
            for d in &s.dropped {
                let _ = writeln!(out, "  dropped {}: \"{}\"", d.what, short(&d.text, 80));
            }
        }
        if !self.skipped.is_empty() {
            let _ =
                writeln!(out, "skipped {} files that are not pages (first: {})", self.skipped.len(), self.skipped[0]);
        }
        let t = self.totals();
        let _ = writeln!(
            out,
            "{}{} sources: {} created, {} updated, {} unchanged, {} conflicts, {} notes for editors, {} errors",
            if self.dry_run { "dry run: " } else { "" },
            t.sources,
            t.created,
            t.updated,
            t.unchanged,
            t.conflicts,
            t.notes,
            t.errors
        );
        out
    }
}

fn short(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut s: String = text.chars().take(max).collect();
    s.push('…');
    s
}
