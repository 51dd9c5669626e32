//! Drafts, reviews and embargoes never reach the public: lookups, lists,
//! back-references, indexes and translations all go through one check.

use chrono::{TimeZone, Utc};
use tessera_core::{Audience, Country, Locale, Measure, Page, Partner, Snapshot, Story, load};

use crate::fixture;

fn site() -> Snapshot {
    load(&fixture("valid-site")).unwrap_or_else(|e| panic!("{e:?}"))
}

fn locale(tag: &str) -> Locale {
    Locale::parse(tag).unwrap_or_else(|e| panic!("{e}"))
}

fn now() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 27, 12, 0, 0).single().unwrap_or_else(|| panic!("bad date"))
}

#[test]
fn lookups_hide_drafts_reviews_and_embargoes_from_the_public() {
    let snapshot = site();
    let public = snapshot.view(Audience::Public, now());
    let preview = snapshot.view(Audience::Preview, now());
    let en = locale("en");
    for slug in ["draft-page", "review-page", "embargoed-page"] {
        assert!(public.get::<Page>(slug, &en).is_none(), "{slug} leaked");
        assert!(preview.get::<Page>(slug, &en).is_some(), "{slug} missing in preview");
    }
    assert!(public.get::<Page>("archived-page", &en).is_some(), "archived pages stay readable");
    assert!(public.get::<Measure>("draft-measure", &en).is_none());
    assert!(public.get::<Partner>("review-partner", &en).is_none());
    assert!(public.get::<Story>("embargoed-story", &en).is_none());
}

#[test]
fn an_embargo_lifts_at_its_instant() {
    let snapshot = site();
    let at = |y| Utc.with_ymd_and_hms(y, 1, 1, 0, 0, 0).single().unwrap_or_else(|| panic!());
    let en = locale("en");
    assert!(snapshot.view(Audience::Public, at(2098)).get::<Story>("embargoed-story", &en).is_none());
    assert!(snapshot.view(Audience::Public, at(2099)).get::<Story>("embargoed-story", &en).is_some());
}

#[test]
fn an_old_address_moves_when_its_page_goes_public_with_no_edit() {
    let snapshot = site();
    let at = |y| Utc.with_ymd_and_hms(y, 1, 1, 0, 0, 0).single().unwrap_or_else(|| panic!());
    let state = |t: &tessera_core::Transition<'_>, path: &str| {
        let old = t.addresses.iter().find(|a| a.path == path).unwrap_or_else(|| panic!("{path} unknown"));
        let waiting: Vec<String> = match &old.route {
            tessera_core::LegacyRoute::Pending { waiting } => waiting.iter().map(|d| d.slug.clone()).collect(),
            _ => Vec::new(),
        };
        (old.state(), waiting)
    };
    // For editors: pending while embargoed, with the page that waits.
    let (e0, e1) = (snapshot.editorial_transition(at(2098)), snapshot.editorial_transition(at(2099)));
    assert_eq!(state(&e0, "old/embargoed.html"), ("pending", vec!["embargoed-page".to_owned()]));
    assert_eq!(state(&e1, "old/embargoed.html"), ("moved", vec![]));
    assert_eq!(state(&e0, "old/review.html"), ("pending", vec!["review-page".to_owned()]));
    assert_eq!((e0.total(), e0.moved(), e0.pending(), e0.retired()), (8, 2, 4, 2));
    assert_eq!((e1.total(), e1.moved(), e1.pending(), e1.retired()), (8, 3, 3, 2));
    // Pending ones oldest first, undated last.
    let pending: Vec<&str> = e0.addresses.iter().filter(|a| a.state() == "pending").map(|a| a.path).collect();
    assert_eq!(pending, ["old/press/2009.html", "about/history.html", "old/embargoed.html", "old/review.html"]);

    // The public does not know an unlisted address only hidden pages carry,
    // in any form, until the page is public.
    let public = |y| snapshot.view(Audience::Public, at(y));
    assert!(public(2098).old_address("/old/embargoed.html").is_none());
    assert!(public(2098).old_address("https://any.host/old/review.html?q=1").is_none());
    assert_eq!(public(2099).old_address("/old/embargoed.html").map(|a| a.state()), Some("moved"));
    let t = public(2098).transition();
    assert_eq!((t.total(), t.moved(), t.pending(), t.retired()), (6, 2, 2, 2));
    // Preview sees the page in review, so its address has moved there.
    let preview = snapshot.view(Audience::Preview, at(2098));
    assert_eq!(preview.old_address("/old/review.html").map(|a| a.state()), Some("moved"));
    // The public version changes when the embargo lifts, so cached answers
    // for the old address are not kept.
    assert_ne!(snapshot.public_version(at(2098)), snapshot.public_version(at(2099)));
}

#[test]
fn lists_count_only_what_the_audience_may_see() {
    let snapshot = site();
    let en = locale("en");
    let slugs = |audience| -> Vec<String> {
        snapshot.view(audience, now()).list::<Page>(&en).iter().map(|p| p.slug.clone()).collect()
    };
    assert_eq!(slugs(Audience::Public), ["archived-page", "welcome"]);
    assert_eq!(slugs(Audience::Preview), ["archived-page", "draft-page", "embargoed-page", "review-page", "welcome"]);
}

#[test]
fn references_and_back_references_skip_hidden_items() {
    let snapshot = site();
    let en = locale("en");
    let public = snapshot.view(Audience::Public, now());
    let preview = snapshot.view(Audience::Preview, now());
    let page = public.get::<Page>("welcome", &en).unwrap_or_else(|| panic!("welcome"));
    let measures: Vec<_> = public.resolve::<Measure>(&page.meta.measures, &en).iter().map(|m| m.slug.clone()).collect();
    assert_eq!(measures, ["public-measure"]);
    assert_eq!(preview.resolve::<Measure>(&page.meta.measures, &en).len(), 2);
    assert_eq!(public.resolve::<Story>(&page.meta.from_the_field, &en).len(), 1);

    // The pages citing the public measure: drafts, reviews and embargoes are not shown.
    let citing = |view: tessera_core::View<'_>| -> Vec<String> {
        view.referrers::<Measure, Page>("public-measure", &en).iter().map(|p| p.slug.clone()).collect()
    };
    assert_eq!(citing(public), ["welcome"]);
    assert_eq!(citing(preview), ["draft-page", "embargoed-page", "welcome"]);

    // The stories of a partner.
    assert_eq!(public.referrers::<Partner, Story>("public-partner", &en).len(), 1);
    assert_eq!(preview.referrers::<Partner, Story>("public-partner", &en).len(), 2);
}

#[test]
fn topic_and_country_indexes_apply_visibility() {
    let snapshot = site();
    let en = locale("en");
    let fr = Country::parse("FR").unwrap_or_else(|e| panic!("{e}"));
    let public = snapshot.view(Audience::Public, now());
    let preview = snapshot.view(Audience::Preview, now());
    assert_eq!(public.in_country::<Partner>(fr, &en).len(), 1);
    assert_eq!(preview.in_country::<Partner>(fr, &en).len(), 2);
    assert_eq!(public.in_country::<Story>(fr, &en).len(), 1);
    let topic: Vec<_> = public.with_topic::<Page>("education", &en).iter().map(|p| p.slug.clone()).collect();
    assert_eq!(topic, ["welcome"]);
}

#[test]
fn locales_fall_back_along_the_chain_and_say_which_they_returned() {
    let snapshot = site();
    let public = snapshot.view(Audience::Public, now());
    let preview = snapshot.view(Audience::Preview, now());
    let fr = public.get::<Page>("welcome", &locale("fr")).unwrap_or_else(|| panic!("fr"));
    assert_eq!((fr.locale.as_str(), fr.is_fallback()), ("fr", false));
    assert_eq!(fr.meta.title, "Bienvenue");
    // The Arabic translation is a draft: the public gets ar → fr, preview gets ar.
    let ar = public.get::<Page>("welcome", &locale("ar")).unwrap_or_else(|| panic!("ar"));
    assert_eq!((ar.locale.as_str(), ar.is_fallback()), ("fr", true));
    let ar = preview.get::<Page>("welcome", &locale("ar")).unwrap_or_else(|| panic!("ar"));
    assert_eq!(ar.locale.as_str(), "ar");
    // A story with no translation at all falls back to English.
    let story = public.get::<Story>("public-story", &locale("ar")).unwrap_or_else(|| panic!("story"));
    assert_eq!(story.locale.as_str(), "en");
    // Translations list only visible ones, the default locale first.
    let locales: Vec<_> = public.translations::<Page>("welcome").iter().map(|d| d.locale.to_string()).collect();
    assert_eq!(locales, ["en", "fr"]);
    assert_eq!(snapshot.fallback_chain(&locale("ar")), [locale("ar"), locale("fr"), locale("en")]);
}
