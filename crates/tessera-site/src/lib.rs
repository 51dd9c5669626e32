//! The site as every front end presents it, between the core model and the
//! front ends (exporter, GraphQL, terminal). It owns where things live: the
//! address of every home, index, item, topic and feed page in every
//! locale, and how a site address reads back. It knows nothing of HTTP,
//! GraphQL or terminals, and it does not decide visibility: that stays in
//! the core's `View`.

mod map;

pub use map::{Place, SiteMap};
