//! Typed references between content items.

use compact_str::CompactString;
use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;
use std::ops::Range;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The kinds of content, one folder each under the content root.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// `pages/*.md`
    Page,
    /// `measures/*.md`
    Measure,
    /// `partners/*.md`
    Partner,
    /// `stories/*.md`
    Story,
    /// `media/*.toml`
    Media,
    /// An entry of `topics.toml`.
    Topic,
}

impl Kind {
    /// Every kind, in load order: the one list of kinds.
    pub const ALL: [Kind; 6] = [Kind::Page, Kind::Measure, Kind::Partner, Kind::Story, Kind::Media, Kind::Topic];

    /// Kinds stored as one file per item, in load order.
    pub const FOLDERS: [Kind; 5] = [Kind::Page, Kind::Measure, Kind::Partner, Kind::Story, Kind::Media];

    /// Kinds whose items have a page of their own on the site (and in
    /// search): media are shown inside items, topics are taxonomy.
    pub const WITH_PAGES: [Kind; 4] = [Kind::Page, Kind::Measure, Kind::Partner, Kind::Story];

    /// The folder (or for topics, the file stem) that holds this kind.
    pub fn folder(self) -> &'static str {
        match self {
            Kind::Page => "pages",
            Kind::Measure => "measures",
            Kind::Partner => "partners",
            Kind::Story => "stories",
            Kind::Media => "media",
            Kind::Topic => "topics",
        }
    }

    /// The file extension items of this kind use.
    pub fn extension(self) -> &'static str {
        match self {
            Kind::Media | Kind::Topic => "toml",
            _ => "md",
        }
    }

    /// The kind whose folder is `folder`.
    pub fn from_folder(folder: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.folder() == folder)
    }

    /// An English heading for a list of this kind, e.g. "Measures".
    pub fn plural_title(self) -> &'static str {
        match self {
            Kind::Page => "Pages",
            Kind::Measure => "Measures",
            Kind::Partner => "Partners",
            Kind::Story => "Stories",
            Kind::Media => "Media",
            Kind::Topic => "Topics",
        }
    }

    /// A lowercase English name, e.g. "measure".
    pub fn name(self) -> &'static str {
        match self {
            Kind::Page => "page",
            Kind::Measure => "measure",
            Kind::Partner => "partner",
            Kind::Story => "story",
            Kind::Media => "media",
            Kind::Topic => "topic",
        }
    }
}

/// A name that is no kind of content.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a kind of content: use page, measure, partner, story, media or topic (or their plurals)")]
pub struct UnknownKind(pub String);

impl std::str::FromStr for Kind {
    type Err = UnknownKind;

    /// A kind by its name or its folder, in any case: `page`, `Pages`,
    /// `stories`. The one parser of kind names.
    fn from_str(text: &str) -> Result<Kind, UnknownKind> {
        let lower = text.trim().to_ascii_lowercase();
        Kind::ALL
            .into_iter()
            .find(|k| k.name() == lower || k.folder() == lower)
            .ok_or_else(|| UnknownKind(text.to_owned()))
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A type that names one [`Kind`]; the parameter of [`Ref`].
pub trait KindMarker {
    /// The kind a reference of this type must point to.
    const KIND: Kind;
}

/// A reference to an item of kind `T`, written in front matter as the item's
/// slug (`"its-about-ability"`) or its path (`"@/stories/its-about-ability.md"`).
///
/// The loader checks every reference: it must name an existing item of the
/// right kind, or loading fails with a diagnostic at the reference's line.
pub struct Ref<T> {
    /// Held inline (up to 24 bytes): a corpus has several references an
    /// item, and a slug is short.
    slug: CompactString,
    /// The kind the path form named, when it named one.
    written_kind: Option<Kind>,
    /// Byte range of the reference inside its front matter.
    span: Option<Range<usize>>,
    marker: PhantomData<fn() -> T>,
}

impl<T> Ref<T> {
    /// A reference to `slug`, as a program (not a file) would make it.
    pub fn new(slug: impl Into<String>) -> Ref<T> {
        Ref { slug: CompactString::from(slug.into()), written_kind: None, span: None, marker: PhantomData }
    }

    /// The slug of the referenced item.
    pub fn slug(&self) -> &str {
        &self.slug
    }

    /// The kind named by a path-form reference (`@/partners/x.md` names partners).
    pub fn written_kind(&self) -> Option<Kind> {
        self.written_kind
    }

    /// Where the reference was written, as a byte range in the front matter.
    pub fn span(&self) -> Option<Range<usize>> {
        self.span.clone()
    }
}

impl<T> Clone for Ref<T> {
    fn clone(&self) -> Self {
        Ref { slug: self.slug.clone(), written_kind: self.written_kind, span: self.span.clone(), marker: PhantomData }
    }
}

impl<T> PartialEq for Ref<T> {
    fn eq(&self, other: &Self) -> bool {
        self.slug == other.slug
    }
}

impl<T> fmt::Debug for Ref<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Ref({})", self.slug)
    }
}

/// Splits `@/kind/slug.ext` into its kind and slug.
pub(crate) fn parse_item_path(path: &str) -> Option<(Kind, &str)> {
    let rest = path.strip_prefix("@/")?;
    let (folder, file) = rest.split_once('/')?;
    let kind = Kind::from_folder(folder)?;
    let slug = file.strip_suffix(".md").or_else(|| file.strip_suffix(".toml"))?;
    Some((kind, slug))
}

/// Whether `slug` is a valid slug: lowercase ASCII letters and digits in
/// hyphen-separated words.
pub fn is_valid_slug(slug: &str) -> bool {
    !slug.is_empty()
        && slug.len() <= 120
        && slug.split('-').all(|w| !w.is_empty() && w.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()))
}

impl<T> Serialize for Ref<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.slug)
    }
}

thread_local! {
    /// Whether references are read as plain strings on this thread.
    static PLAIN: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `read` with references read as the plain strings they serialize
/// to, with no place in a file: how the parse cache reads front matter it
/// kept as JSON (a load's checks, which need the places, do not run on it).
pub(crate) fn read_plain<R>(read: impl FnOnce() -> R) -> R {
    struct Reset(bool);
    impl Drop for Reset {
        fn drop(&mut self) {
            PLAIN.with(|p| p.set(self.0));
        }
    }
    let _reset = Reset(PLAIN.with(|p| p.replace(true)));
    read()
}

impl<'de, T> Deserialize<'de> for Ref<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let (text, span) = if PLAIN.with(std::cell::Cell::get) {
            (CompactString::deserialize(deserializer)?, None)
        } else {
            // `Spanned` records where the value was written; that only
            // works with the TOML deserializer, which content is read with.
            let spanned = toml::Spanned::<String>::deserialize(deserializer)?;
            let span = spanned.span();
            (CompactString::new(spanned.into_inner()), Some(span))
        };
        let (written_kind, slug) = match parse_item_path(&text) {
            Some((kind, slug)) => (Some(kind), CompactString::new(slug)),
            None if text.starts_with("@/") => {
                return Err(serde::de::Error::custom(format!(
                    "`{text}` is not an item path: write `@/<kind>/<slug>.md`, e.g. `@/stories/its-about-ability.md`"
                )));
            }
            None => (None, text),
        };
        if !is_valid_slug(&slug) {
            return Err(serde::de::Error::custom(format!(
                "`{slug}` is not a valid slug: use lowercase letters, digits and single hyphens"
            )));
        }
        Ok(Ref { slug, written_kind, span, marker: PhantomData })
    }
}

/// Mirrors [`is_valid_slug`] and the path form for editors.
const REF_PATTERN: &str = "^(@/[a-z]+/)?[a-z0-9]+(-[a-z0-9]+)*(\\.(md|toml))?$";

impl<T: KindMarker> JsonSchema for Ref<T> {
    fn schema_name() -> Cow<'static, str> {
        let name = T::KIND.name();
        let mut upper = name[..1].to_ascii_uppercase();
        upper.push_str(&name[1..]);
        format!("{upper}Ref").into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "pattern": REF_PATTERN,
            "description": format!(
                "A reference to a {kind}: its slug, or its path `@/{folder}/<slug>.{ext}`.",
                kind = T::KIND.name(),
                folder = T::KIND.folder(),
                ext = T::KIND.extension(),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn kinds_parse_from_their_names_and_folders_in_any_case() {
        for kind in super::Kind::ALL {
            assert_eq!(kind.name().parse::<super::Kind>(), Ok(kind));
            assert_eq!(kind.folder().to_uppercase().parse::<super::Kind>(), Ok(kind));
            assert_eq!(super::Kind::from_folder(kind.folder()), Some(kind));
        }
        let err = "pagez".parse::<super::Kind>().err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("`pagez` is not a kind"), "{err}");
    }

    use super::*;

    #[test]
    fn slugs_are_lowercase_hyphenated_words() {
        assert!(is_valid_slug("its-about-ability"));
        assert!(is_valid_slug("crpd-2006"));
        for bad in ["", "-a", "a-", "a--b", "A", "a_b", "a b", "é"] {
            assert!(!is_valid_slug(bad), "{bad:?} should be refused");
        }
    }

    #[test]
    fn item_paths_name_a_kind_and_a_slug() {
        assert_eq!(parse_item_path("@/stories/its-about-ability.md"), Some((Kind::Story, "its-about-ability")));
        assert_eq!(parse_item_path("@/media/photo.toml"), Some((Kind::Media, "photo")));
        assert_eq!(parse_item_path("@/stories/x"), None);
        assert_eq!(parse_item_path("@/nope/x.md"), None);
    }
}
