//! The HTML and text fixtures of `tests/fixtures/legacy/`: what they give,
//! what the report says, and that it all loads.

use tessera_core::{Locale, Media, Page, Story};
use tessera_import::{Action, NoteKind, Report};

use crate::{empty_content, import, load, root};

fn notes(report: &Report, kind: NoteKind) -> Vec<String> {
    report
        .sources
        .iter()
        .flat_map(|s| &s.notes)
        .filter(|n| n.kind == kind)
        .map(|n| n.text.clone().unwrap_or_else(|| n.message.clone()))
        .collect()
}

#[test]
fn the_fixtures_import_into_content_that_loads() {
    let content = empty_content();
    let legacy = root().join("tests/fixtures/legacy");
    let report = import(content.path(), &[legacy.join("html"), legacy.join("text")]);
    let snapshot = load(content.path());
    let en = Locale::parse("en").unwrap_or_else(|e| panic!("{e}"));

    // The 2012 CMS page: chrome gone, emphasis, links, list, table, quote, photo.
    let page = snapshot.collection::<Page>().exact("inclusive-education-in-montenegro", &en);
    let page = page.unwrap_or_else(|| panic!("no page"));
    assert_eq!(page.meta.legacy_urls, ["https://www.unicef.org/education/index_61625.html"]);
    assert_eq!(page.meta.quotes[0].source, "Law on Education");
    let hero = page.meta.hero.as_ref().unwrap_or_else(|| panic!("no hero"));
    let photo =
        &snapshot.collection::<Media>().exact(hero.media.slug(), &en).unwrap_or_else(|| panic!("no photo")).meta;
    assert_eq!(photo.credit.as_deref(), Some("© UNICEF Montenegro/2011/Pirozzi"));
    assert_eq!(
        photo.caption.as_deref(),
        Some("Podgorica 2011, a boy who uses a wheelchair works with his classmates.")
    );
    assert_eq!(photo.country.map(|c| c.to_string()).as_deref(), Some("ME"));
    assert!(photo.src.is_none());
    let text = std::fs::read_to_string(content.path().join(&page.path)).unwrap_or_default();
    for want in [
        "**every primary school**",
        "*inclusion team*",
        "[civil society partnerships](https://www.unicef.org/disabilities/index_65711.html)",
        "- Ramps and *accessible toilets* in 40 schools;",
        "| 2011 | 1,047 |",
        "Contact [the country office](mailto:podgorica@unicef.org) or open the form.",
    ] {
        assert!(text.contains(want), "missing {want:?} in\n{text}");
    }
    for gone in ["Focus areas", "tracking", "s_pageName", "We’re building", "enhanced search", "font-family"] {
        assert!(!text.contains(gone), "{gone:?} leaked into\n{text}");
    }

    // Listings: stories with country and date; the unknown country reported.
    let stories = snapshot.collection::<Story>();
    let ramps = stories.exact("ramps-open-the-school-doors-in-niksic", &en).unwrap_or_else(|| panic!("no story"));
    assert_eq!(ramps.meta.country.map(|c| c.to_string()).as_deref(), Some("ME"));
    assert_eq!(ramps.meta.date.as_ref().map(|d| d.as_str().to_owned()).as_deref(), Some("2012-05-03"));
    assert!(stories.exact("clean-water-for-atlantis", &en).is_some_and(|s| s.meta.country.is_none()));
    assert_eq!(notes(&report, NoteKind::UnknownCountry), ["Atlantis"]);

    // Photos without a description, credits without a photo, labels.
    assert_eq!(
        notes(&report, NoteKind::NoAltText),
        ["https://www.unicef.org/images/radio.jpg | © UNICEF/Smith", "UNICEF Image: Kazakhstan, 2011 | © UNICEF/Smith"]
    );
    assert_eq!(
        notes(&report, NoteKind::CreditWithoutPhoto),
        ["© UNICEF Kazakhstan/2010/Pirozzi", "© UNICEF/NYHQ2011-0001/Nobody"]
    );
    let links = notes(&report, NoteKind::UnresolvedLink);
    for want in ["teacher training guide", "open the form", "top", "PDF version"] {
        assert!(links.iter().any(|l| l == want), "{want} not reported in {links:?}");
    }
    let sport = snapshot.collection::<Page>().exact("sport-for-children-with-disabilities", &en);
    let sport = std::fs::read_to_string(content.path().join(&sport.unwrap_or_else(|| panic!("no page")).path));
    let sport = sport.unwrap_or_default();
    assert!(
        sport.contains("## 1. Why sport matters") && sport.contains("- Supports Special Olympics events"),
        "{sport}"
    );
    assert!(report.sources.iter().flat_map(|s| &s.items).all(|i| i.action == Action::Created));
}

#[test]
fn links_between_imported_pages_become_item_links() {
    let content = empty_content();
    let (_src, folder) = crate::seed_source();
    std::fs::create_dir_all(folder.join("education")).unwrap_or_else(|e| panic!("{e}"));
    std::fs::copy(
        root().join("tests/fixtures/legacy/html/education/index_61625.html"),
        folder.join("education/index_61625.html"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    import(content.path(), &[folder]);
    load(content.path());
    let text = std::fs::read_to_string(content.path().join("pages/inclusive-education-in-montenegro.md"));
    assert!(text.unwrap_or_default().contains("[civil society partnerships](@/pages/civil-society-partnerships.md)"));
}
