//! The item view on the bundled content and the fixture site.

use std::path::Path;

use tessera_core::{Audience, Block, Kind, Snapshot, load};
use tessera_site::{Fact, ItemView, Relation};

fn snapshot(rel: &str) -> Snapshot {
    load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(rel)).unwrap_or_else(|e| panic!("{e:?}"))
}

fn text(block: &Block) -> String {
    match block {
        Block::Paragraph { content } => tessera_core::inline_text(content),
        other => format!("{other:?}"),
    }
}

#[test]
fn the_seed_page_places_its_quote_and_measures_and_says_nothing_twice() {
    let snapshot = snapshot("content");
    let view = snapshot.view(Audience::Public, chrono::Utc::now());
    let default = snapshot.site().default_locale.clone();
    let page = ItemView::build(&view, Kind::Page, "civil-society-partnerships", &default)
        .unwrap_or_else(|| panic!("no seed page"));
    // The summary is the body's first sentence: said once, by the body.
    assert_eq!(page.summary, None);
    // The quote stands between the first and second paragraphs.
    assert!(text(&page.body[0]).starts_with("A vibrant, energised"));
    assert_eq!(text(&page.body[1]), "The Convention on the Rights of Persons with Disabilities (CRPD) says:");
    assert!(matches!(&page.body[2], Block::BlockQuote { blocks } if text(&blocks[0]).starts_with("States Parties")));
    assert!(text(&page.body[3]).starts_with("With their knowledge"));
    // The measures in full, the 2012 forum under the third.
    let Some(Block::List { items, .. }) = page.body.last() else { panic!("{:?}", page.body.last()) };
    assert_eq!(items.len(), 3);
    assert!(text(&items[0][0]).starts_with("Advocate for and facilitate dialogue"));
    assert!(text(&items[2][1]).starts_with("As an example of the cooperation at global level, in September 2012"));
    // Placed measures are not listed again; the story is shown by what it says.
    let relations: Vec<Relation> = page.relations.iter().map(|(r, _)| *r).collect();
    assert_eq!(relations, [Relation::FromTheField, Relation::Partners]);
    let (_, stories) = &page.relations[0];
    assert!(stories[0].summary.as_deref().is_some_and(|s| s.starts_with("Montenegro's")));
    assert_eq!(stories[0].media[0].link_text(), "Music Video");
    // The hero: alt, caption and credit as written, not migrated.
    let hero = page.hero.as_ref().unwrap_or_else(|| panic!("no hero"));
    assert_eq!(hero.credit.as_deref(), Some("© UNICEF/NYHQ2010-2523/Giacomo Pirozzi"));
    assert_eq!((hero.label(), hero.src.as_deref()), ("Photo", None));
    assert!(!page.body.iter().any(|b| matches!(b, Block::Embed { .. })));
}

#[test]
fn every_kind_has_a_view_with_its_relations_in_order() {
    let snapshot = snapshot("tests/fixtures/valid-site");
    let view = snapshot.view(Audience::Preview, chrono::Utc::now());
    let mut seen = Vec::new();
    for locale in &snapshot.locales() {
        for kind in Kind::WITH_PAGES {
            let slugs: Vec<String> = match kind {
                Kind::Page => view.list::<tessera_core::Page>(locale).iter().map(|d| d.slug.clone()).collect(),
                Kind::Measure => view.list::<tessera_core::Measure>(locale).iter().map(|d| d.slug.clone()).collect(),
                Kind::Partner => view.list::<tessera_core::Partner>(locale).iter().map(|d| d.slug.clone()).collect(),
                Kind::Story => view.list::<tessera_core::Story>(locale).iter().map(|d| d.slug.clone()).collect(),
                Kind::Media | Kind::Topic => Vec::new(),
            };
            for slug in slugs {
                let item = ItemView::build(&view, kind, &slug, locale).unwrap_or_else(|| panic!("{kind}/{slug}"));
                assert_eq!(item.kind, kind);
                assert!(!item.title.is_empty(), "{kind}/{slug}");
                // Relations come in the order the kind shows them, none empty.
                let order = Relation::of(kind);
                let mut last = 0;
                for (relation, related) in &item.relations {
                    let at = order.iter().position(|r| r == relation).unwrap_or_else(|| panic!("{relation:?}"));
                    assert!(at >= last && !related.is_empty(), "{kind}/{slug}: {relation:?}");
                    assert!(related.iter().all(|r| r.kind == relation.kind()));
                    last = at;
                }
                if item.facts.iter().any(|f| matches!(f, Fact::Country(_))) {
                    seen.push(kind);
                }
            }
        }
    }
    assert!(!seen.is_empty(), "the fixture site has items about a country");
    // Media and topics have no item view.
    assert!(ItemView::build(&view, Kind::Media, "x", &snapshot.site().default_locale).is_none());
}
