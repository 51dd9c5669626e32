//! The site as every front end presents it, between the core model and the
//! front ends (exporter, GraphQL, terminal). It owns where things live (the
//! address of every home, index, item, topic and feed page in every
//! locale, and how a site address reads back) and what an item shows (its
//! facts, figures, body with what it places, and relations under their
//! headings). It knows nothing of HTTP,
//! GraphQL or terminals, and it does not decide visibility: that stays in
//! the core's `View`.

mod item;
mod map;

pub use item::{
    EXAMPLE_HEADING, Fact, Figure, ItemView, Placed, Placer, Related, Relation, TEASER_LINK, capitalise, place,
    placed_body, quote_blocks,
};
pub use map::{Place, SiteMap};
