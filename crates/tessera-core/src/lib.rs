//! The typed content model of Tessera: load, validate and query a content folder.
//!
//! This crate owns the content model (pages, measures, partners, stories,
//! media, topics and the site settings), the Markdown block tree every front
//! end renders from, the loader that turns a folder into an immutable
//! [`Snapshot`], and the one place that decides what each audience may see
//! ([`View`]). It knows nothing of HTTP, GraphQL, terminals or async
//! runtimes: front ends build on it, never the other way round.
//!
//! # Example
//!
//! Load the bundled content, look up a page in French (it falls back to
//! English, which is what the site has), and list its measures and stories:
//!
//! ```
//! use std::path::Path;
//! use tessera_core::{Audience, Locale, Measure, Page, Story, Utc};
//!
//! let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../content");
//! let snapshot = tessera_core::load(&root)?;
//! let view = snapshot.view(Audience::Public, Utc::now());
//!
//! let french = Locale::parse("fr")?;
//! let page = view.get::<Page>("civil-society-partnerships", &french).ok_or("no page")?;
//! assert_eq!(page.meta.title, "Civil Society Partnerships");
//! assert_eq!(page.locale.as_str(), "en", "no French translation yet: English is returned");
//! assert!(page.is_fallback());
//!
//! let measures = view.resolve::<Measure>(&page.meta.measures, &french);
//! assert_eq!(measures.len(), 3);
//! let stories = view.resolve::<Story>(&page.meta.from_the_field, &french);
//! assert_eq!(stories[0].meta.title, "It's about ability");
//!
//! // Back-references: which pages cite the first measure?
//! let citing = view.referrers::<Measure, Page>(&measures[0].slug, &french);
//! assert_eq!(citing[0].slug, "civil-society-partnerships");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Content format
//!
//! Items are Markdown files with TOML front matter between `+++` lines, one
//! folder per kind (`pages/`, `measures/`, `partners/`, `stories/`); media are
//! TOML files in `media/`; `site.toml` and `topics.toml` sit at the root.
//! Translations sit beside the original as `slug.LOCALE.md`. References in
//! front matter name a slug (`measures = ["..."]`) and links in bodies use
//! `@/kind/slug.md`; both are checked when loading.

#![warn(missing_docs)]

mod address;
mod body;
mod changes;
#[cfg(feature = "git")]
pub mod checkout;
mod diagnostic;
#[cfg(feature = "git")]
mod history;
mod html;
mod load;
mod locale;
mod model;
mod reference;
mod schema;
mod snapshot;
mod text;
mod transition;

pub use address::{BadOldAddress, check_old_address, legacy_path};
pub use body::{
    Alignment, Block, Blocks, Body, BodyLink, Embed, Inline, LinkTarget, MAX_NESTING, QUOTE_EMBED, embeds, inline_text,
    is_safe_url, opens_with, parse_blocks, plain_text, to_markdown,
};
/// The time types the API takes ([`Snapshot::view`] wants the instant that
/// embargoes are compared with): re-exported, so that calling the API needs
/// no dependency of its own on `chrono`.
pub use changes::{Change, ChangeKind, public_changes};
pub use chrono::{DateTime, Utc};
pub use diagnostic::{Diagnostic, Severity, line_col};
pub use html::{HtmlOptions, escape_html, to_html, to_html_with};
pub use load::{
    LEGACY_FILE, LoadCache, LoadError, MAX_FILE_SIZE, StoreStatus, load, load_changed, load_with, split_front_matter,
};
pub use locale::{Country, Direction, IdentifierError, Locale};
pub use model::{
    Hero, Legacy, LegacyAddress, LegacyState, LocaleConfig, Measure, Media, MediaKind, Page, Partner, PartnerKind,
    Publishable, Quote, Site, Status, Story, Timestamp, Topic, Topics, Url,
};
pub use reference::{Kind, KindMarker, Ref, UnknownKind, is_valid_slug};
pub use schema::{DEFINITIONS, SCHEMA_ID, content_schema, toml_to_json};
pub use snapshot::{Audience, Collection, Document, Item, ItemId, Localized, Reference, Snapshot, View};
pub use text::terminal_safe;
pub use transition::{LegacyRoute, OldAddress, Transition};
