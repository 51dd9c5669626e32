//! The front matter of each content kind, `site.toml` and `topics.toml`.
//!
//! These types are file formats: every struct refuses unknown fields, so a
//! typo is an error rather than a silently ignored line. The JSON Schema in
//! `schema/content.schema.json` is generated from them; doc comments become
//! its descriptions.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, TimeZone, Timelike as _, Utc};
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::locale::{Country, Locale};

use crate::reference::{Kind, KindMarker, Ref};

/// A point in time, written as a TOML date-time (`2026-03-01T09:00:00Z`), a
/// TOML date (`2012-09-01`, read as midnight UTC) or the same as a string.
#[derive(Clone, PartialEq, Eq)]
pub struct Timestamp {
    instant: DateTime<Utc>,
    /// As written, so that output shows what the editor wrote.
    written: String,
}

impl Timestamp {
    /// Parses RFC 3339 date-times, TOML local date-times (read as UTC) and dates.
    pub fn parse(text: &str) -> Result<Timestamp, String> {
        let text = text.trim();
        let instant = if let Some(d) = plain_date(text) {
            Utc.from_utc_datetime(&d.and_time(chrono::NaiveTime::MIN))
        } else if let Ok(t) = DateTime::<FixedOffset>::parse_from_rfc3339(text) {
            t.with_timezone(&Utc)
        } else if let Ok(t) = NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f")
            .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f"))
        {
            Utc.from_utc_datetime(&t)
        } else if let Ok(d) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
            Utc.from_utc_datetime(&d.and_time(chrono::NaiveTime::MIN))
        } else {
            return Err(format!("`{text}` is not a date or date-time: write `2026-03-01` or `2026-03-01T09:00:00Z`"));
        };
        Ok(Timestamp { instant, written: text.to_owned() })
    }

    /// An instant, written in RFC 3339 in UTC to the second
    /// (`2026-11-29T10:00:00Z`).
    pub fn from_instant(instant: DateTime<Utc>) -> Timestamp {
        let instant = instant.with_nanosecond(0).unwrap_or(instant);
        Timestamp { instant, written: instant.to_rfc3339_opts(chrono::SecondsFormat::Secs, true) }
    }

    /// The instant, in UTC.
    pub fn instant(&self) -> DateTime<Utc> {
        self.instant
    }

    /// The text as the editor wrote it.
    pub fn as_str(&self) -> &str {
        &self.written
    }
}

/// A date written `YYYY-MM-DD`, read without a format string (the dates
/// of a corpus are most of its timestamps, and a format is parsed again
/// for every call). Anything else is left to the formats.
fn plain_date(text: &str) -> Option<NaiveDate> {
    let b = text.as_bytes();
    let digits = |r: std::ops::Range<usize>| {
        b.get(r)?.iter().try_fold(0u32, |n, &c| c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0')))
    };
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let year = i32::try_from(digits(0..4)?).ok()?;
    NaiveDate::from_ymd_opt(year, digits(5..7)?, digits(8..10)?)
}

impl From<DateTime<Utc>> for Timestamp {
    fn from(instant: DateTime<Utc>) -> Self {
        Timestamp { instant, written: instant.to_rfc3339_opts(chrono::SecondsFormat::Secs, true) }
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Timestamp({})", self.written)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.written)
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.written)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = Timestamp;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a date (`2012-09-01`) or a date-time (`2026-03-01T09:00:00Z`)")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Timestamp, E> {
                Timestamp::parse(v).map_err(E::custom)
            }
            // TOML hands its native date-times over as a one-entry map.
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Timestamp, A::Error> {
                let Some((_, text)) = map.next_entry::<String, String>()? else {
                    return Err(serde::de::Error::custom("empty date-time"));
                };
                Timestamp::parse(&text).map_err(serde::de::Error::custom)
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

impl JsonSchema for Timestamp {
    fn schema_name() -> Cow<'static, str> {
        "Timestamp".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})?)?$",
            "description": "A date (`2012-09-01`) or an RFC 3339 date-time (`2026-03-01T09:00:00Z`); in TOML it may be written bare or quoted."
        })
    }
}

/// A URL that is safe to put in an `href` or `src`: `http`, `https`,
/// `mailto` or `tel`, or no scheme at all (a site path such as
/// `/media/photo.jpg`, or a relative one). The same rule as links in bodies
/// ([`crate::is_safe_url`]), checked when the file is read: a
/// `javascript:`, `data:` or `vbscript:` URL is an error at its line, never
/// a value a front end could render. Spaces and control characters are
/// refused too (write `%20`).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Url(String);

impl Url {
    /// Checks `text` and wraps it.
    pub fn parse(text: &str) -> Result<Url, String> {
        if text.is_empty() {
            return Err("empty URL".to_owned());
        }
        if let Some(c) = text.chars().find(|c| c.is_whitespace() || c.is_control()) {
            return Err(format!(
                "URL `{}` contains {c:?}: a URL holds no spaces or control characters (write a space as `%20`)",
                text.escape_debug()
            ));
        }
        if !crate::body::is_safe_url(text) {
            return Err(format!(
                "URL `{text}` has an unsafe scheme: use http, https, mailto or tel, or a path on the site"
            ));
        }
        Ok(Url(text.to_owned()))
    }

    /// The URL as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::ops::Deref for Url {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Url {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Url({})", self.0)
    }
}

impl fmt::Display for Url {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for Url {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Url {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Url::parse(&text).map_err(serde::de::Error::custom)
    }
}

impl JsonSchema for Url {
    fn schema_name() -> Cow<'static, str> {
        "Url".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "minLength": 1,
            // An allowed scheme (any case), or no scheme: nothing before a
            // `:` that comes ahead of the first `/`, `?` or `#`.
            "pattern": "^(?:[Hh][Tt][Tt][Pp][Ss]?:|[Mm][Aa][Ii][Ll][Tt][Oo]:|[Tt][Ee][Ll]:|[^:/?#\\s]*(?:[/?#]|$))[^\\s]*$",
            "description": "An http, https, mailto or tel URL, or a path on the site; no spaces (write `%20`)."
        })
    }
}

/// Where an item is in its editorial life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Being written; only visible in preview.
    Draft,
    /// Written, awaiting review; only visible in preview.
    Review,
    /// Public (from `publish_at`, when set).
    Published,
    /// Public but no longer maintained; kept so that links keep working.
    Archived,
}

impl Status {
    /// Whether the public may see an item in this state (embargo aside).
    pub fn is_public(self) -> bool {
        matches!(self, Status::Published | Status::Archived)
    }
}

/// The kinds of civil-society partner the organisation works with.
///
/// The list is closed: a partner of another kind is a change to this type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum PartnerKind {
    /// An international non-governmental organisation.
    InternationalNgo,
    /// A national non-governmental organisation.
    NationalNgo,
    /// A community-based organisation.
    CommunityBasedOrganisation,
    /// A civic movement or advocacy group.
    CivicMovement,
    /// A trade union.
    TradeUnion,
    /// A religious community.
    ReligiousCommunity,
    /// A professional voluntary association.
    ProfessionalVoluntaryAssociation,
    /// An organisation of persons with disabilities (DPO).
    Dpo,
    /// A parents' organisation.
    ParentsOrganisation,
}

impl PartnerKind {
    /// Every kind, in the order the seed page names them.
    pub const ALL: [PartnerKind; 9] = [
        PartnerKind::InternationalNgo,
        PartnerKind::NationalNgo,
        PartnerKind::CommunityBasedOrganisation,
        PartnerKind::CivicMovement,
        PartnerKind::TradeUnion,
        PartnerKind::ReligiousCommunity,
        PartnerKind::ProfessionalVoluntaryAssociation,
        PartnerKind::Dpo,
        PartnerKind::ParentsOrganisation,
    ];

    /// The value written in front matter, e.g. `trade-union`.
    pub fn as_str(self) -> &'static str {
        match self {
            PartnerKind::InternationalNgo => "international-ngo",
            PartnerKind::NationalNgo => "national-ngo",
            PartnerKind::CommunityBasedOrganisation => "community-based-organisation",
            PartnerKind::CivicMovement => "civic-movement",
            PartnerKind::TradeUnion => "trade-union",
            PartnerKind::ReligiousCommunity => "religious-community",
            PartnerKind::ProfessionalVoluntaryAssociation => "professional-voluntary-association",
            PartnerKind::Dpo => "dpo",
            PartnerKind::ParentsOrganisation => "parents-organisation",
        }
    }

    /// An English label for people, e.g. "Trade union".
    pub fn label(self) -> &'static str {
        match self {
            PartnerKind::InternationalNgo => "International NGO",
            PartnerKind::NationalNgo => "National NGO",
            PartnerKind::CommunityBasedOrganisation => "Community-based organisation",
            PartnerKind::CivicMovement => "Civic movement or advocacy group",
            PartnerKind::TradeUnion => "Trade union",
            PartnerKind::ReligiousCommunity => "Religious community",
            PartnerKind::ProfessionalVoluntaryAssociation => "Professional voluntary association",
            PartnerKind::Dpo => "Organisation of persons with disabilities (DPO)",
            PartnerKind::ParentsOrganisation => "Parents' organisation",
        }
    }
}

/// What a media asset is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum MediaKind {
    /// A photograph or illustration; needs alt text.
    Image,
    /// A video, e.g. a music video.
    Video,
    /// A sound recording.
    Audio,
    /// A document such as a PDF report.
    Document,
}

impl MediaKind {
    /// The value written in front matter, e.g. `image`.
    pub fn as_str(self) -> &'static str {
        match self {
            MediaKind::Image => "image",
            MediaKind::Video => "video",
            MediaKind::Audio => "audio",
            MediaKind::Document => "document",
        }
    }
}

/// A page's lead media, optionally with a caption for this page only.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Hero {
    /// The media item shown.
    pub media: Ref<Media>,
    /// Replaces the media's own caption on this page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caption: Option<String>,
}

/// A quotation, e.g. from a convention.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Quote {
    /// The quoted words, without quotation marks.
    pub text: String,
    /// Who or what is quoted, e.g. "Convention on the Rights of Persons with Disabilities (CRPD)".
    pub source: String,
    /// The article or section quoted, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub article: Option<String>,
    /// The words that introduce the quote where the page places it, e.g.
    /// "The Convention on the Rights of Persons with Disabilities (CRPD)
    /// says:". Shown before the quote instead of the source after it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intro: Option<String>,
}

/// Editorial state shared by every document kind.
pub trait Publishable {
    /// Draft, review, published or archived.
    fn status(&self) -> Status;
    /// The embargo: not public before this instant.
    fn publish_at(&self) -> Option<&Timestamp>;
    /// Topics the item is filed under.
    fn topics(&self) -> &[Ref<Topic>];
    /// The title people see (a partner's name).
    fn title(&self) -> &str;
    /// When the content last changed in substance.
    fn updated(&self) -> Option<&Timestamp>;
}

macro_rules! publishable {
    ($ty:ty, $title:ident) => {
        impl Publishable for $ty {
            fn status(&self) -> Status {
                self.status
            }
            fn publish_at(&self) -> Option<&Timestamp> {
                self.publish_at.as_ref()
            }
            fn topics(&self) -> &[Ref<Topic>] {
                &self.topics
            }
            fn title(&self) -> &str {
                &self.$title
            }
            fn updated(&self) -> Option<&Timestamp> {
                self.updated.as_ref()
            }
        }
    };
}

/// A page of the site (`pages/<slug>.md`); its Markdown body follows the front matter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Page {
    /// The page title.
    pub title: String,
    /// One or two sentences for lists, search results and link previews.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// The section of the site the page belongs to, e.g. `disabilities`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub section: Option<String>,
    /// The lead photo or video.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hero: Option<Hero>,
    /// Quotations shown with the page, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub quotes: Vec<Quote>,
    /// The measures the page presents, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub measures: Vec<Ref<Measure>>,
    /// The partners (or kinds of partner) the page names.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub partners: Vec<Ref<Partner>>,
    /// Stories shown under "From the field".
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub from_the_field: Vec<Ref<Story>>,
    /// Topics the page is filed under.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub topics: Vec<Ref<Topic>>,
    /// Old addresses of this page that must redirect here (paths like `/disabilities/index_65326.html` or full URLs).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub legacy_urls: Vec<String>,
    /// Editorial state.
    pub status: Status,
    /// Embargo: the page is not public before this instant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub publish_at: Option<Timestamp>,
    /// When the content last changed in substance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated: Option<Timestamp>,
}
publishable!(Page, title);

/// A measure: an action the organisation commits to (`measures/<slug>.md`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Measure {
    /// A short name for the measure.
    pub title: String,
    /// The kinds of civil-society partner the measure involves.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub partner_kinds: Vec<PartnerKind>,
    /// Articles of a convention the measure refers to, e.g. "CRPD".
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub convention_articles: Vec<String>,
    /// Topics the measure is filed under.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub topics: Vec<Ref<Topic>>,
    /// An example of the measure in practice (Markdown).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub example: Option<String>,
    /// Editorial state.
    pub status: Status,
    /// Embargo: the measure is not public before this instant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub publish_at: Option<Timestamp>,
    /// When the content last changed in substance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated: Option<Timestamp>,
}
publishable!(Measure, title);

/// A partner organisation, or a kind of civil-society partner (`partners/<slug>.md`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Partner {
    /// The organisation's name, or the name of the kind of partner.
    pub name: String,
    /// What kind of civil-society partner this is.
    pub kind: PartnerKind,
    /// Where the partner works, when it is one country.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<Country>,
    /// The partner's website (an `https://` or `http://` URL).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub website: Option<Url>,
    /// Topics the partner focuses on.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub topics: Vec<Ref<Topic>>,
    /// Editorial state.
    pub status: Status,
    /// Embargo: the partner is not public before this instant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub publish_at: Option<Timestamp>,
    /// When the content last changed in substance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated: Option<Timestamp>,
}
publishable!(Partner, name);

/// A story "from the field" (`stories/<slug>.md`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Story {
    /// The story's title.
    pub title: String,
    /// Where the story happens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<Country>,
    /// One or two sentences for lists and search results.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// Media that belong to the story (photos, a music video, ...).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub media: Vec<Ref<Media>>,
    /// When the story happened or was first told.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<Timestamp>,
    /// Topics the story is filed under.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub topics: Vec<Ref<Topic>>,
    /// Partners that took part.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub partners: Vec<Ref<Partner>>,
    /// Editorial state.
    pub status: Status,
    /// Embargo: the story is not public before this instant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub publish_at: Option<Timestamp>,
    /// When the content last changed in substance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated: Option<Timestamp>,
}
publishable!(Story, title);

/// An image, video, audio or document asset (`media/<slug>.toml`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Media {
    /// What the asset is.
    pub kind: MediaKind,
    /// Where the file is. Absent while the asset has not been migrated yet:
    /// front ends then show the alt text, caption and credit without it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub src: Option<Url>,
    /// A text alternative describing what the asset shows. Required for images.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alt: Option<String>,
    /// The caption shown with the asset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caption: Option<String>,
    /// The credit line, exactly as it must be printed, e.g. "© UNICEF/...".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credit: Option<String>,
    /// Where it was made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<Country>,
    /// The year it was made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1800, max = 2200))]
    pub year: Option<u16>,
}

/// One enabled language of the site.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LocaleConfig {
    /// The language tag, e.g. `fr`.
    pub code: Locale,
    /// The language's name in itself, e.g. "Français".
    pub name: String,
    /// Locales to try, in order, when an item has no translation in this
    /// one; the default locale is always tried last.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fallback: Vec<Locale>,
}

/// The site's settings (`site.toml`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Site {
    /// The site's name.
    pub title: String,
    /// The absolute URL the site is published at, e.g. `https://example.org/`.
    pub base_url: String,
    /// The locale of untranslated originals (`slug.md`).
    pub default_locale: Locale,
    /// Every enabled locale, the default one included.
    pub locales: Vec<LocaleConfig>,
    /// The notice shown on every page while pages move to the new site.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transition_notice: Option<String>,
    /// The label of the search box.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub search_label: Option<String>,
    /// Where the search box of a static export sends its query (a GET with
    /// the words in `q`): a search service's address, or a path on the
    /// site. Without it, the search box of a static export leads to the A
    /// to Z index of every item; `tessera serve` always answers it itself
    /// at `/search`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub search_url: Option<Url>,
}

/// One topic of the taxonomy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Topic {
    /// The topic's identifier, used in `topics = [...]` of items.
    pub slug: String,
    /// The topic's name in the default locale.
    pub name: String,
    /// The name in other locales, by locale tag.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub names: BTreeMap<Locale, String>,
}

/// The topic taxonomy (`topics.toml`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Topics {
    /// The topics, in display order.
    #[serde(default)]
    pub topics: Vec<Topic>,
}

/// The old site's addresses (`legacy.toml`): every address the
/// organisation knows that is not carried by a page yet, pending or retired.
///
/// An address a page names in `legacy_urls` has moved, whether or not it
/// is listed here; listing it keeps its title and date for the record.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Legacy {
    /// The addresses, in any order.
    #[serde(default)]
    pub addresses: Vec<LegacyAddress>,
}

/// One address of the old site.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LegacyAddress {
    /// The old address: a path (`/disabilities/index_65326.html`) or a full URL.
    pub url: String,
    /// `pending` (not migrated yet, the default) or `retired` (deliberately
    /// gone). An address a page carries has moved, whatever this says.
    #[serde(default)]
    pub state: LegacyState,
    /// The old page's title, as the old site showed it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Since when the address has waited: the old page's last change, or
    /// the day it was listed. Pending addresses are listed oldest first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<Timestamp>,
    /// For a retired address, the page readers are sent to instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instead: Option<Ref<Page>>,
    /// A note for editors; never shown to readers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// What is decided about an old address that no page carries.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum LegacyState {
    /// Not migrated yet: readers are told the page is moving.
    #[default]
    Pending,
    /// Deliberately gone: readers get "gone" (HTTP 410), and the page in
    /// `instead` when there is one.
    Retired,
}

impl KindMarker for Page {
    const KIND: Kind = Kind::Page;
}
impl KindMarker for Measure {
    const KIND: Kind = Kind::Measure;
}
impl KindMarker for Partner {
    const KIND: Kind = Kind::Partner;
}
impl KindMarker for Story {
    const KIND: Kind = Kind::Story;
}
impl KindMarker for Media {
    const KIND: Kind = Kind::Media;
}
impl KindMarker for Topic {
    const KIND: Kind = Kind::Topic;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_accept_dates_datetimes_and_toml_natives() {
        #[derive(Deserialize)]
        struct T {
            a: Timestamp,
            b: Timestamp,
            c: Timestamp,
        }
        let t: T = toml::from_str("a = 2012-09-01\nb = 2026-03-01T09:00:00+02:00\nc = \"2026-03-01T07:00:00Z\"")
            .map_err(|e| e.to_string())
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(t.a.instant().to_rfc3339(), "2012-09-01T00:00:00+00:00");
        assert_eq!(t.b.instant(), t.c.instant());
        assert_eq!(t.b.as_str(), "2026-03-01T09:00:00+02:00");
        assert!(Timestamp::parse("September 2012").is_err());
    }

    #[test]
    fn plain_dates_read_as_the_date_format_reads_them() {
        for text in [
            "2012-09-01",
            "2024-02-29",
            "2023-02-29",
            "2026-13-01",
            "2026-00-10",
            "0000-01-01",
            "2026-1-01",
            "20260101xx",
        ] {
            let by_format = NaiveDate::parse_from_str(text, "%Y-%m-%d").ok();
            let fast = plain_date(text);
            if fast.is_some() {
                assert_eq!(fast, by_format, "{text}");
            }
            assert_eq!(
                Timestamp::parse(text).map(|t| t.instant()).ok(),
                by_format.map(|d| Utc.from_utc_datetime(&d.and_time(chrono::NaiveTime::MIN))),
                "{text}"
            );
        }
        assert!(plain_date("2023-02-29").is_none() && plain_date("2026-1-01").is_none());
    }

    #[test]
    fn partner_kinds_round_trip_through_their_names() {
        for kind in PartnerKind::ALL {
            let json = serde_json::to_string(&kind).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", kind.as_str()));
        }
    }
}
