//! Every screen at 80×24 and 40×12, snapshotted; navigation by keys.

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use tessera_core::Kind;
use tessera_tui::{App, LocalSource, Location};

use crate::local;

fn text(terminal: &Terminal<TestBackend>) -> String {
    let buffer = terminal.backend().buffer();
    let mut out = String::new();
    for y in 0..buffer.area.height {
        let mut line = String::new();
        let mut skip = 0;
        for x in 0..buffer.area.width {
            if skip > 0 {
                skip -= 1;
                continue;
            }
            let symbol = buffer[(x, y)].symbol();
            skip = unicode_width::UnicodeWidthStr::width(symbol).saturating_sub(1);
            line.push_str(symbol);
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn render(app: &mut App<LocalSource>, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap_or_else(|e| panic!("{e}"));
    terminal.draw(|f| app.draw(f)).unwrap_or_else(|e| panic!("{e}"));
    text(&terminal)
}

fn key(app: &mut App<LocalSource>, code: KeyCode) {
    app.handle_key(KeyEvent::new(code, KeyModifiers::NONE));
}

fn keys(app: &mut App<LocalSource>, text: &str) {
    for c in text.chars() {
        key(app, KeyCode::Char(c));
    }
}

fn at(location: Location) -> App<LocalSource> {
    let mut app = App::new(local("content"), "en", false);
    if location != Location::Home {
        app.open(location);
    }
    app
}

fn snapshot_both(name: &str, location: Location) {
    for (w, h) in [(80, 24), (40, 12)] {
        let mut app = at(location.clone());
        insta::assert_snapshot!(format!("{name}_{w}x{h}"), render(&mut app, w, h));
    }
}

#[test]
fn home() {
    snapshot_both("home", Location::Home);
}

#[test]
fn page() {
    snapshot_both("page", Location::Item { kind: Kind::Page, slug: "civil-society-partnerships".into() });
}

#[test]
fn measure() {
    snapshot_both(
        "measure",
        Location::Item { kind: Kind::Measure, slug: "inclusive-and-accessible-programmes".into() },
    );
}

#[test]
fn partner() {
    snapshot_both("partner", Location::Item { kind: Kind::Partner, slug: "dpos".into() });
}

#[test]
fn story() {
    snapshot_both("story", Location::Item { kind: Kind::Story, slug: "its-about-ability".into() });
}

#[test]
fn lists() {
    snapshot_both("partners", Location::Kind(Kind::Partner));
    snapshot_both("topic", Location::Topic("disabilities".into()));
    snapshot_both("country", Location::Country("ME".into()));
}

#[test]
fn search() {
    snapshot_both("search", Location::Search { query: "Montenegro".into(), kind: None });
}

#[test]
fn help_and_errors() {
    for (w, h) in [(80, 24), (40, 12)] {
        let mut app = at(Location::Home);
        key(&mut app, KeyCode::Char('?'));
        insta::assert_snapshot!(format!("help_{w}x{h}"), render(&mut app, w, h));
    }
    snapshot_both("missing", Location::Item { kind: Kind::Story, slug: "no-such-story".into() });
}

#[test]
fn tab_enter_back_forward_and_numbers_navigate() {
    let mut app = at(Location::Item { kind: Kind::Page, slug: "civil-society-partnerships".into() });
    render(&mut app, 80, 24);
    // The page says its measures in full, so its first link is the story
    // "from the field": "Story".
    key(&mut app, KeyCode::Tab);
    key(&mut app, KeyCode::Enter);
    let story = Location::Item { kind: Kind::Story, slug: "its-about-ability".into() };
    assert_eq!(app.location(), &story);
    let screen = render(&mut app, 80, 24);
    assert!(screen.contains("It's about ability"), "{screen}");
    key(&mut app, KeyCode::Backspace);
    assert_eq!(app.location(), &Location::Item { kind: Kind::Page, slug: "civil-society-partnerships".into() });
    keys(&mut app, "f");
    assert_eq!(app.location(), &story);
    keys(&mut app, "b");
    render(&mut app, 80, 24);
    // Links 1 and 2 are "Story" and "Music Video"; 3 is the first partner.
    keys(&mut app, "3");
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.location(), &Location::Item { kind: Kind::Partner, slug: "international-ngos".into() });
    // The selected link is highlighted: shift-tab from the top selects the last one.
    key(&mut app, KeyCode::BackTab);
    let screen = render(&mut app, 80, 24);
    assert!(screen.contains("→ "), "the status bar names the selected link: {screen}");
}

#[test]
fn search_is_typed_after_a_slash_and_results_open() {
    let mut app = at(Location::Home);
    render(&mut app, 80, 24);
    keys(&mut app, "/montenagro");
    let typing = render(&mut app, 80, 24);
    assert!(typing.contains("/ montenagro"), "{typing}");
    key(&mut app, KeyCode::Enter);
    // Said before it runs: the first search of new content builds the
    // index, and the screen must not look frozen meanwhile.
    assert!(app.pending());
    let waiting = render(&mut app, 80, 24);
    assert!(waiting.contains("searching…"), "{waiting}");
    assert!(app.tick());
    assert_eq!(app.location(), &Location::Search { query: "montenagro".into(), kind: None });
    let results = render(&mut app, 80, 24);
    assert!(results.contains("It's about ability"), "{results}");
    // The first links are the facet filters, then the hits.
    key(&mut app, KeyCode::Tab);
    key(&mut app, KeyCode::Tab);
    key(&mut app, KeyCode::Tab);
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.location(), &Location::Item { kind: Kind::Story, slug: "its-about-ability".into() });
}

#[test]
fn scrolling_and_quitting() {
    let mut app = at(Location::Item { kind: Kind::Page, slug: "civil-society-partnerships".into() });
    let top = render(&mut app, 40, 12);
    keys(&mut app, "G");
    let bottom = render(&mut app, 40, 12);
    assert_ne!(top, bottom);
    assert!(bottom.contains("sanitation"), "{bottom}");
    // Home goes to the top; `g` is lynx's "go to an address".
    key(&mut app, KeyCode::Home);
    assert_eq!(render(&mut app, 40, 12), top);
    keys(&mut app, "G");
    key(&mut app, KeyCode::PageUp);
    key(&mut app, KeyCode::Home);
    assert_eq!(render(&mut app, 40, 12), top);
    keys(&mut app, "q");
    assert!(app.quitting());
}

/// The last row of a rendered screen: the status bar.
fn status(screen: &str) -> &str {
    screen.lines().last().unwrap_or_default()
}

#[test]
fn g_opens_a_site_address_typed_at_a_prompt() {
    let mut app = at(Location::Home);
    let cases = [
        (
            "/pages/civil-society-partnerships/",
            Location::Item { kind: Kind::Page, slug: "civil-society-partnerships".into() },
        ),
        ("/stories/its-about-ability/", Location::Item { kind: Kind::Story, slug: "its-about-ability".into() }),
        ("/topics/education/", Location::Topic("education".into())),
        ("/measures/", Location::Kind(Kind::Measure)),
        ("https://unicef.org/partners/dpos/", Location::Item { kind: Kind::Partner, slug: "dpos".into() }),
        ("/", Location::Home),
    ];
    for (address, place) in cases {
        keys(&mut app, "g");
        assert!(status(&render(&mut app, 80, 24)).starts_with(" Go to: "), "the prompt is shown");
        keys(&mut app, address);
        let typing = render(&mut app, 80, 24);
        assert!(status(&typing).contains(&format!("Go to: {address}")), "{typing}");
        key(&mut app, KeyCode::Enter);
        assert_eq!(app.location(), &place, "{address}");
    }
    // The page opened is the one a link would open.
    keys(&mut app, "g");
    keys(&mut app, "/pages/civil-society-partnerships/");
    key(&mut app, KeyCode::Enter);
    assert!(render(&mut app, 80, 24).contains("Photo: UNICEF Goodwill Ambassador"));
}

#[test]
fn an_unknown_address_is_said_on_the_status_line_and_esc_cancels() {
    let mut app = at(Location::Kind(Kind::Partner));
    let before = render(&mut app, 80, 24);
    // This site has no French pages, no page under /nope/, and is not
    // example.org; legacy addresses are not read here.
    for address in ["/nope/x/", "/fr/stories/its-about-ability/", "https://example.org/pages/x/", "/legacy/old.html"] {
        keys(&mut app, "g");
        keys(&mut app, address);
        key(&mut app, KeyCode::Enter);
        assert_eq!(app.location(), &Location::Kind(Kind::Partner));
        let screen = render(&mut app, 80, 24);
        assert!(status(&screen).contains(address), "{screen}");
    }
    // Esc leaves the prompt without going anywhere; `q` typed there is text.
    keys(&mut app, "g");
    keys(&mut app, "/measures/q");
    key(&mut app, KeyCode::Esc);
    assert!(!app.quitting());
    assert_eq!(app.location(), &Location::Kind(Kind::Partner));
    assert_eq!(render(&mut app, 80, 24), before);
    // Enter on an empty prompt says what to type.
    keys(&mut app, "g");
    key(&mut app, KeyCode::Enter);
    assert!(status(&render(&mut app, 80, 24)).contains("type an address"));
}

#[test]
fn an_old_bookmark_opens_the_page_it_moved_to_or_says_it_is_moving_or_gone() {
    let seed = Location::Item { kind: Kind::Page, slug: "civil-society-partnerships".into() };
    let mut app = at(Location::Kind(Kind::Partner));
    for (address, place, note) in [
        ("https://www.unicef.org/disabilities/index_65711.html", &seed, "has moved here"),
        ("/disabilities/index_65316.html", &seed, "(“Children with disabilities”) is moving to the new site"),
        ("http://www.unicef.org/disabilities/index_66543.html?x=1", &seed, "is gone for good; this page covers"),
    ] {
        app.open(Location::Kind(Kind::Partner));
        keys(&mut app, "g");
        keys(&mut app, address);
        key(&mut app, KeyCode::Enter);
        let expected = if note.contains("moving") { &Location::Kind(Kind::Partner) } else { place };
        assert_eq!(app.location(), expected, "{address}");
        let screen = render(&mut app, 120, 24);
        assert!(status(&screen).contains(note), "{address}: {screen}");
    }
}

#[test]
fn an_address_in_another_language_switches_to_it() {
    let mut app = App::new(local("tests/fixtures/valid-site"), "en", false);
    keys(&mut app, "g");
    keys(&mut app, "/fr/pages/welcome/");
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.location(), &Location::Item { kind: Kind::Page, slug: "welcome".into() });
    let screen = render(&mut app, 80, 24);
    assert!(screen.contains("Bienvenue") && status(&screen).contains("language: fr"), "{screen}");
    assert!(status(&screen).trim_end().ends_with("fr"), "{screen}");
    // An address without a language keeps the one being read.
    keys(&mut app, "g");
    keys(&mut app, "/");
    key(&mut app, KeyCode::Enter);
    assert!(status(&render(&mut app, 80, 24)).trim_end().ends_with("fr"));
}

#[test]
fn back_and_forward_return_to_the_same_line_and_link() {
    let mut app = at(Location::Item { kind: Kind::Page, slug: "civil-society-partnerships".into() });
    render(&mut app, 40, 12);
    key(&mut app, KeyCode::PageDown);
    key(&mut app, KeyCode::PageDown);
    key(&mut app, KeyCode::Tab);
    let left = render(&mut app, 40, 12);
    assert!(status(&left).contains("→ "), "a link is selected: {left}");
    key(&mut app, KeyCode::Enter);
    let page = app.location().clone();
    assert_ne!(page, Location::Item { kind: Kind::Page, slug: "civil-society-partnerships".into() });
    render(&mut app, 40, 12);
    key(&mut app, KeyCode::PageDown);
    let next = render(&mut app, 40, 12);
    for back in [KeyCode::Backspace, KeyCode::Char('b'), KeyCode::Left] {
        key(&mut app, back);
        assert_eq!(render(&mut app, 40, 12), left, "{back:?} returns to the same line and link");
        keys(&mut app, "f");
        assert_eq!(render(&mut app, 40, 12), next, "forward returns to where the reader was");
    }
    // The history list and the help go back to the same place too.
    keys(&mut app, "h1");
    assert_eq!(render(&mut app, 40, 12), left);
    keys(&mut app, "?");
    key(&mut app, KeyCode::Esc);
    assert_eq!(render(&mut app, 40, 12), left);
}

#[test]
fn q_quits_from_the_history_list() {
    let mut app = at(Location::Country("ME".into()));
    keys(&mut app, "h");
    let history = render(&mut app, 80, 24);
    assert!(history.contains("country Montenegro"), "{history}");
    assert!(status(&history).contains("q quit"), "{history}");
    keys(&mut app, "q");
    assert!(app.quitting());
}

/// The hints are whole words at every width, and help and quit are always
/// among them.
#[test]
fn the_status_bar_shows_whole_hints_that_fit() {
    let all = ["? help", "/ search", "g go to", "Tab links", "b back", "q quit"];
    for width in [40, 50, 60, 80, 120] {
        let mut app = at(Location::Home);
        let screen = render(&mut app, width, 12);
        let bar = status(&screen);
        let hints = bar.trim_end().strip_suffix("en").unwrap_or_else(|| panic!("{bar:?}"));
        let shown: Vec<&str> = hints.split("  ").map(str::trim).filter(|h| !h.is_empty()).collect();
        for hint in &shown {
            assert!(all.contains(hint), "{width}: {hint:?} is not a whole hint in {bar:?}");
        }
        assert!(shown.contains(&"? help") && shown.contains(&"q quit"), "{width}: {bar:?}");
        if width >= 80 {
            assert_eq!(shown, all, "{width}: every hint fits");
        }
    }
    // A message too long for the bar is cut between words, and says so.
    let mut app = at(Location::Home);
    render(&mut app, 40, 12);
    keys(&mut app, "g");
    keys(&mut app, "/no/such/place/at/all/");
    key(&mut app, KeyCode::Enter);
    let bar = render(&mut app, 40, 12);
    let bar = status(&bar);
    assert!(bar.contains("… "), "{bar:?}");
    assert!(unicode_width::UnicodeWidthStr::width(bar) <= 40);
}

#[test]
fn wide_and_right_to_left_text_keep_the_layout() {
    let mut app = App::new(local("tests/fixtures/valid-site"), "ar", false);
    app.open(Location::Item { kind: Kind::Page, slug: "welcome".into() });
    for (w, h) in [(80, 24), (40, 12)] {
        let screen = render(&mut app, w, h);
        for line in screen.lines() {
            assert!(unicode_width::UnicodeWidthStr::width(line) <= w as usize, "{line:?}");
        }
        assert_eq!(screen.lines().count(), h as usize);
    }
    // The Arabic translation is a draft: the public reads French, and the status bar says so.
    let screen = render(&mut app, 80, 24);
    assert!(screen.contains("Bienvenue") && screen.contains("shown in fr"), "{screen}");
    keys(&mut app, "l");
    let screen = render(&mut app, 80, 24);
    assert!(screen.contains("language: en"), "{screen}");
}

#[test]
fn the_plain_reader_prints_numbered_links_and_their_list() {
    let mut source = local("content");
    let text =
        tessera_tui::read(&mut source, Kind::Page, "civil-society-partnerships", "en", 72, "https://unicef.org/")
            .unwrap_or_else(|e| panic!("{e}"));
    insta::assert_snapshot!("read_seed_page", text);
    assert!(text.lines().all(|l| unicode_width::UnicodeWidthStr::width(l) <= 72));
}

/// `read` prints the addresses the site has, in the reader's locale: the
/// French reader's links go to `/fr/` pages, and nothing points at a page
/// no front end writes (countries have none).
#[test]
fn read_prints_the_sites_own_addresses_in_the_readers_locale() {
    let mut source = crate::local("tests/fixtures/valid-site");
    let text = tessera_tui::read(&mut source, Kind::Page, "welcome", "fr", 72, "https://fixture.invalid/")
        .unwrap_or_else(|e| panic!("{e}"));
    // For a screen reader: headings marked as headings, nothing drawn.
    assert!(text.starts_with("# "), "{text}");
    assert!(!text.contains(['═', '─', '│']), "{text}");
    let links: Vec<&str> = text.lines().skip_while(|l| *l != "Links:").skip(1).collect();
    assert!(!links.is_empty(), "{text}");
    let mut local_links = 0;
    for line in &links {
        let address = line.split_once("] ").map(|(_, a)| a).unwrap_or_default();
        assert!(!address.contains("/countries/"), "{line}");
        if let Some(path) = address.strip_prefix("https://fixture.invalid") {
            // Pages are in the reader's locale; files (a photo) are where
            // they are.
            let file = path.rsplit('/').next().is_some_and(|last| last.contains('.'));
            assert!(file || path.starts_with("/fr/"), "a French page links to {path}");
            local_links += usize::from(!file);
        }
    }
    assert!(local_links > 0, "{text}");
}

/// The link list keeps within `--width` too: a braille display shows that
/// many cells and no more.
#[test]
fn read_keeps_every_line_within_the_width() {
    let mut source = crate::local("content");
    for width in [30, 40, 72] {
        let text = tessera_tui::read(
            &mut source,
            Kind::Page,
            "civil-society-partnerships",
            "en",
            width,
            "https://unicef.org/",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        for line in text.lines() {
            assert!(unicode_width::UnicodeWidthStr::width(line) <= width, "{width}: {line:?}");
        }
    }
}
