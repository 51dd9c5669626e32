//! The bundled content is the seed page, modelled faithfully.

use tessera_core::{Audience, Country, Locale, Measure, MediaKind, Page, Partner, PartnerKind, Story, load};

use crate::workspace;

#[test]
fn the_seed_page_is_modelled_with_its_hero_measures_partners_and_story() {
    let snapshot = load(&workspace().join("content")).unwrap_or_else(|e| panic!("{e:?}"));
    assert!(snapshot.warnings().is_empty(), "{:?}", snapshot.warnings());
    let view = snapshot.view(Audience::Public, chrono::Utc::now());
    let en = Locale::parse("en").unwrap_or_else(|e| panic!("{e}"));

    let page = view.get::<Page>("civil-society-partnerships", &en).unwrap_or_else(|| panic!("no page"));
    assert_eq!(page.meta.title, "Civil Society Partnerships");
    assert_eq!(page.meta.section.as_deref(), Some("disabilities"));
    let quote = &page.meta.quotes[0];
    assert!(quote.source.contains("Convention on the Rights of Persons with Disabilities"));
    assert!(quote.text.starts_with("States Parties recognize the importance of international cooperation"));

    let hero = page.meta.hero.as_ref().unwrap_or_else(|| panic!("no hero"));
    let media = view.media(hero.media.slug(), &en).unwrap_or_else(|| panic!("no hero media"));
    assert_eq!(media.meta.kind, MediaKind::Image);
    assert_eq!(media.meta.credit.as_deref(), Some("© UNICEF/NYHQ2010-2523/Giacomo Pirozzi"));
    assert_eq!(media.meta.src, None, "the photo has not been migrated");
    assert_eq!(media.meta.year, Some(2010));
    assert_eq!(media.meta.country, Country::parse("KZ").ok());
    assert!(media.meta.alt.as_deref().is_some_and(|a| a.contains("Batyrkhan Shukenov")));

    let measures = view.resolve::<Measure>(&page.meta.measures, &en);
    assert_eq!(measures.len(), 3);
    assert!(measures[0].body.plain_text().starts_with("Advocate for and facilitate dialogue"));
    assert!(measures[1].body.plain_text().starts_with("Facilitate and support capacity-building"));
    let example = measures[2].meta.example.as_deref().unwrap_or_default();
    assert!(example.contains("September 2012") && example.contains("New York"));

    let kinds: Vec<PartnerKind> =
        view.resolve::<Partner>(&page.meta.partners, &en).iter().map(|p| p.meta.kind).collect();
    assert_eq!(kinds, PartnerKind::ALL);

    let stories = view.resolve::<Story>(&page.meta.from_the_field, &en);
    assert_eq!(stories[0].meta.title, "It's about ability");
    assert_eq!(stories[0].meta.country, Country::parse("ME").ok());
    let video = view.media(stories[0].meta.media[0].slug(), &en).unwrap_or_else(|| panic!("no video"));
    assert_eq!((video.meta.kind, video.meta.src.as_deref()), (MediaKind::Video, None));

    let topics: Vec<&str> = snapshot.topics().iter().map(|t| t.name.as_str()).collect();
    for t in
        ["Child protection", "Education", "Health", "Nutrition", "HIV and AIDS", "Water and sanitation", "Disabilities"]
    {
        assert!(topics.contains(&t), "topic {t}");
    }
    assert!(
        snapshot.site().transition_notice.as_deref().is_some_and(|n| n.starts_with("We’re building a new UNICEF.org."))
    );
    assert_eq!(snapshot.site().search_label.as_deref(), Some("New enhanced search"));
}
