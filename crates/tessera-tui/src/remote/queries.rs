//! The queries the remote source sends, one `.graphql` file each under
//! `queries/`, checked against `schema/tessera.graphql` when the crate is
//! built: a field the schema drops or retypes breaks the build, not the
//! screen. The answers are the generated `ResponseData` types.

use graphql_client::GraphQLQuery;
use serde::{Deserialize, Serialize};

/// The schema's `JSON` scalar (a body's `blocksJson`), read as any JSON and
/// then as the block tree.
#[allow(clippy::upper_case_acronyms)]
pub(crate) type JSON = serde_json::Value;

/// What a media asset is, as the API names it. Shared by every query (the
/// generated code would make one enum per query), and closed: a kind this
/// client does not know is a protocol error, not a silent default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub(crate) enum MediaKind {
    Image,
    Video,
    Audio,
    Document,
}

/// The kinds of civil-society partner, as the API names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub(crate) enum PartnerKind {
    InternationalNgo,
    NationalNgo,
    CommunityBasedOrganisation,
    CivicMovement,
    TradeUnion,
    ReligiousCommunity,
    ProfessionalVoluntaryAssociation,
    Dpo,
    ParentsOrganisation,
}

/// The kinds of item search can find, as the API names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub(crate) enum ItemKind {
    Page,
    Measure,
    Partner,
    Story,
}

impl From<MediaKind> for tessera_core::MediaKind {
    fn from(kind: MediaKind) -> Self {
        match kind {
            MediaKind::Image => tessera_core::MediaKind::Image,
            MediaKind::Video => tessera_core::MediaKind::Video,
            MediaKind::Audio => tessera_core::MediaKind::Audio,
            MediaKind::Document => tessera_core::MediaKind::Document,
        }
    }
}

impl From<PartnerKind> for tessera_core::PartnerKind {
    fn from(kind: PartnerKind) -> Self {
        use tessera_core::PartnerKind as Core;
        match kind {
            PartnerKind::InternationalNgo => Core::InternationalNgo,
            PartnerKind::NationalNgo => Core::NationalNgo,
            PartnerKind::CommunityBasedOrganisation => Core::CommunityBasedOrganisation,
            PartnerKind::CivicMovement => Core::CivicMovement,
            PartnerKind::TradeUnion => Core::TradeUnion,
            PartnerKind::ReligiousCommunity => Core::ReligiousCommunity,
            PartnerKind::ProfessionalVoluntaryAssociation => Core::ProfessionalVoluntaryAssociation,
            PartnerKind::Dpo => Core::Dpo,
            PartnerKind::ParentsOrganisation => Core::ParentsOrganisation,
        }
    }
}

/// One query: a `.graphql` file in `queries/` of the same name, with the
/// shared enums above and unset variables left out of the request (every
/// byte of a GET counts on a metered link).
// rustfmt indents an attribute's arguments inside a macro body further on
// every run; skipped so that formatting is stable.
#[rustfmt::skip]
macro_rules! query {
    ($name:ident, $file:tt) => {
        #[derive(GraphQLQuery)]
        #[graphql(
            schema_path = "../../schema/tessera.graphql",
            query_path = $file,
            extern_enums("MediaKind", "PartnerKind", "ItemKind"),
            skip_serializing_none
        )]
        pub(crate) struct $name;
    };
}

query!(Base, "queries/Base.graphql");
query!(OldAddress, "queries/OldAddress.graphql");
query!(Locales, "queries/Locales.graphql");
query!(Home, "queries/Home.graphql");
query!(Page, "queries/Page.graphql");
query!(Measure, "queries/Measure.graphql");
query!(Partner, "queries/Partner.graphql");
query!(Story, "queries/Story.graphql");
query!(PlacedPage, "queries/PlacedPage.graphql");
query!(PlacedMeasure, "queries/PlacedMeasure.graphql");
query!(PlacedPartner, "queries/PlacedPartner.graphql");
query!(PlacedStory, "queries/PlacedStory.graphql");
query!(ListPages, "queries/ListPages.graphql");
query!(ListMeasures, "queries/ListMeasures.graphql");
query!(ListPartners, "queries/ListPartners.graphql");
query!(ListStories, "queries/ListStories.graphql");
query!(Topic, "queries/Topic.graphql");
query!(Country, "queries/Country.graphql");
query!(Search, "queries/Search.graphql");
