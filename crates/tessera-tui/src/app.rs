//! The interactive browser: state, keys and drawing.

use ratatui::Frame;
use ratatui::crossterm::event::{self, Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use ratatui::layout::{Constraint, Layout as Split, Rect};
use ratatui::style::{Color, Modifier, Style as TuiStyle};
use ratatui::text::{Line as TuiLine, Span as TuiSpan};
use ratatui::widgets::{Clear, Paragraph};
use unicode_width::UnicodeWidthStr;

use tessera_site::Place;

use crate::data::{Location, OldRoute, Source};
use crate::layout::{Layout, LineKind, layout};
use crate::screens::{Screen, Style, Target};

/// What the keyboard is doing.
#[derive(Debug, Clone, PartialEq)]
enum Mode {
    /// Reading.
    Normal,
    /// Typing a search.
    Search(String),
    /// Typing a link number.
    Number(String),
    /// Typing an address to go to.
    Goto(String),
    /// Looking at the history list.
    History,
}

/// A place in the history and how the reader left it, so that going back
/// returns to the same line and the same link.
#[derive(Debug, Clone)]
struct Visit {
    location: Location,
    /// The first line shown.
    scroll: usize,
    /// The selected link.
    selected: Option<usize>,
}

impl Visit {
    fn new(location: Location) -> Visit {
        Visit { location, scroll: 0, selected: None }
    }
}

/// The longest search or address a prompt takes.
const PROMPT_LIMIT: usize = 200;

/// The browser: a source, the history and what is on screen.
pub struct App<S: Source> {
    source: S,
    locales: Vec<String>,
    locale: String,
    history: Vec<Visit>,
    position: usize,
    screen: Screen,
    /// The layout of `screen` and the width it was made for.
    layout: Option<(usize, Layout)>,
    scroll: usize,
    selected: Option<usize>,
    mode: Mode,
    message: Option<String>,
    color: bool,
    quit: bool,
    /// The height of the content area at the last draw.
    page_height: usize,
    /// Whether the help screen is shown.
    help: bool,
    /// The content width at the last draw.
    width: usize,
    /// A search asked for, run after the screen saying so is drawn (the
    /// first search of new content builds the index, which takes a while).
    deferred: Option<Location>,
}

impl<S: Source> App<S> {
    /// A browser on `source` in `locale`, opened at the home screen.
    pub fn new(source: S, locale: &str, color: bool) -> App<S> {
        let mut app = App {
            source,
            locales: vec![locale.to_owned()],
            locale: locale.to_owned(),
            history: vec![Visit::new(Location::Home)],
            position: 0,
            screen: Screen::error("loading"),
            layout: None,
            scroll: 0,
            selected: None,
            mode: Mode::Normal,
            message: None,
            color,
            quit: false,
            page_height: 20,
            help: false,
            width: 80,
            deferred: None,
        };
        app.load();
        app
    }

    /// Whether the user asked to quit.
    pub fn quitting(&self) -> bool {
        self.quit
    }

    /// Whether the source is still loading: the screen may be provisional
    /// and [`App::tick`] should be called while the reader is idle.
    pub fn pending(&self) -> bool {
        self.deferred.is_some() || self.source.pending()
    }

    /// Whether a search waits to run at the next [`App::tick`], now that
    /// the screen says so.
    pub fn searching(&self) -> bool {
        self.deferred.is_some()
    }

    /// Runs the search asked for, if one waits; else looks whether the
    /// source has finished loading, and if so shows the current screen
    /// again from the loaded content, at the same line and link. Returns
    /// true when the screen needs drawing.
    pub fn tick(&mut self) -> bool {
        if let Some(location) = self.deferred.take() {
            self.message = None;
            self.open(location);
            return true;
        }
        if !self.source.poll() {
            return false;
        }
        if !self.help {
            self.return_to(self.position);
        }
        true
    }

    /// Where the browser is.
    pub fn location(&self) -> &Location {
        &self.history[self.position].location
    }

    /// Opens `location`, adding it to the history.
    pub fn open(&mut self, location: Location) {
        self.remember();
        self.history.truncate(self.position + 1);
        self.history.push(Visit::new(location));
        self.position = self.history.len() - 1;
        self.load();
    }

    /// Notes where the reader is on the current page, for coming back.
    /// The help screen is shown over a page, not in its place: its scroll
    /// is not the page's.
    fn remember(&mut self) {
        if self.help {
            return;
        }
        let visit = &mut self.history[self.position];
        visit.scroll = self.scroll;
        visit.selected = self.selected;
    }

    /// Goes to `position` in the history, at the line and link the reader
    /// left it on.
    fn return_to(&mut self, position: usize) {
        self.remember();
        self.position = position;
        self.load();
        let Visit { scroll, selected, .. } = self.history[self.position].clone();
        let links = self.link_count();
        self.scroll = scroll.min(self.max_scroll());
        self.selected = selected.filter(|s| *s < links);
    }

    /// Loads the current location from the source.
    fn load(&mut self) {
        self.help = false;
        let location = self.history[self.position].location.clone();
        let locale = self.locale.clone();
        let result = match &location {
            Location::Home => self.source.home(&locale).map(|home| {
                if !home.locales.is_empty() {
                    self.locales = home.locales.clone();
                }
                Screen::home(&home)
            }),
            Location::Item { kind, slug } => self.source.item(*kind, slug, &locale).map(|d| Screen::item(&d, &locale)),
            Location::Search { query, kind } => self.source.search(query, *kind, &locale).map(|d| Screen::search(&d)),
            list => self.source.list(list, &locale).map(|d| Screen::list(&d)),
        };
        self.screen = match result {
            Ok(screen) => screen,
            Err(e) => Screen::error(&e.to_string()),
        };
        self.layout = None;
        self.scroll = 0;
        self.selected = None;
        self.message = self.screen.note.clone();
        if self.source.pending() {
            self.message = Some("loading the content… (this screen is as it was at the last start)".to_owned());
        }
    }

    fn layout_for(&mut self, width: usize) -> &Layout {
        if self.layout.as_ref().is_none_or(|(w, _)| *w != width) {
            self.layout = Some((width, layout(&self.screen, width)));
        }
        match &self.layout {
            Some((_, l)) => l,
            None => unreachable!("the layout was just made"),
        }
    }

    fn link_count(&mut self) -> usize {
        // Keys may arrive before the next draw: lay out at the last width.
        let width = self.width;
        self.layout_for(width).links.len()
    }

    fn select(&mut self, link: usize) {
        let width = self.width;
        self.layout_for(width);
        self.selected = Some(link);
        let Some((_, l)) = &self.layout else { return };
        let line = l.link_lines.get(link).copied().unwrap_or(0);
        if line < self.scroll || line >= self.scroll + self.page_height {
            self.scroll = line.saturating_sub(self.page_height / 3).min(self.max_scroll());
        }
    }

    /// Selects the next link (or the previous one) from where the reader
    /// is looking, as lynx does: from the selected link while it is on
    /// screen, otherwise from the top (or bottom) of the screen, so that
    /// after scrolling Tab picks a link the reader can see rather than
    /// link 1 far above.
    fn step_link(&mut self, forward: bool) {
        let width = self.width;
        let lines = self.layout_for(width).link_lines.clone();
        let count = lines.len();
        if count == 0 {
            self.message = Some("there are no links here".into());
            return;
        }
        let top = self.scroll;
        let bottom = top + self.page_height;
        let on_screen = |link: usize| lines.get(link).is_some_and(|line| (top..bottom).contains(line));
        let next = match self.selected.filter(|s| on_screen(*s)) {
            Some(s) if forward => (s + 1) % count,
            Some(s) => (s + count - 1) % count,
            // The first link at or below the top of the screen, or the last
            // one above its bottom; past the end, round to the other end.
            None if forward => lines.iter().position(|line| *line >= top).unwrap_or(0),
            None => lines.iter().rposition(|line| *line < bottom).unwrap_or(count - 1),
        };
        self.select(next);
    }

    fn follow(&mut self, link: usize) {
        let width = self.width;
        self.layout_for(width);
        let target = self.layout.as_ref().and_then(|(_, l)| l.links.get(link).cloned());
        match target {
            Some(Target::Go(location)) => self.open(location),
            Some(Target::Url(url)) => self.message = Some(format!("web address (open it in a browser): {url}")),
            None => self.message = Some(format!("there is no link {}", link + 1)),
        }
    }

    fn back(&mut self) {
        if self.position > 0 {
            self.return_to(self.position - 1);
        } else {
            self.message = Some("nothing to go back to".into());
        }
    }

    fn forward(&mut self) {
        if self.position + 1 < self.history.len() {
            self.return_to(self.position + 1);
        } else {
            self.message = Some("nothing to go forward to".into());
        }
    }

    fn max_scroll(&self) -> usize {
        let lines = self.layout.as_ref().map_or(0, |(_, l)| l.lines.len());
        lines.saturating_sub(self.page_height)
    }

    /// Handles one key press.
    pub fn handle_key(&mut self, key: KeyEvent) {
        if key.kind == KeyEventKind::Release {
            return;
        }
        if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c') {
            self.quit = true;
            return;
        }
        match std::mem::replace(&mut self.mode, Mode::Normal) {
            Mode::Search(mut text) => match key.code {
                KeyCode::Enter => {
                    if text.trim().is_empty() {
                        self.message = Some("type something to search for".into());
                    } else {
                        self.message = Some("searching…".into());
                        self.deferred = Some(Location::Search { query: text, kind: None });
                    }
                }
                KeyCode::Esc => {}
                KeyCode::Backspace => {
                    text.pop();
                    self.mode = Mode::Search(text);
                }
                KeyCode::Char(c) => {
                    if text.chars().count() < PROMPT_LIMIT {
                        text.push(c);
                    }
                    self.mode = Mode::Search(text);
                }
                _ => self.mode = Mode::Search(text),
            },
            Mode::Goto(mut text) => match key.code {
                KeyCode::Enter => self.go_to(&text),
                KeyCode::Esc => {}
                KeyCode::Backspace => {
                    text.pop();
                    self.mode = Mode::Goto(text);
                }
                KeyCode::Char(c) => {
                    if text.chars().count() < PROMPT_LIMIT {
                        text.push(c);
                    }
                    self.mode = Mode::Goto(text);
                }
                _ => self.mode = Mode::Goto(text),
            },
            Mode::Number(mut digits) => match key.code {
                KeyCode::Char(c) if c.is_ascii_digit() && digits.len() < 4 => {
                    digits.push(c);
                    self.mode = Mode::Number(digits);
                }
                KeyCode::Enter => match digits.parse::<usize>() {
                    Ok(n) if n >= 1 => self.follow(n - 1),
                    _ => self.message = Some("no such link".into()),
                },
                KeyCode::Backspace => {
                    digits.pop();
                    if !digits.is_empty() {
                        self.mode = Mode::Number(digits);
                    }
                }
                _ => {}
            },
            Mode::History => match key.code {
                KeyCode::Char('q') => self.quit = true,
                KeyCode::Char(c) if c.is_ascii_digit() => {
                    let n = c.to_digit(10).unwrap_or(0) as usize;
                    if n < self.history.len() {
                        self.return_to(n);
                    }
                }
                _ => {}
            },
            Mode::Normal => self.normal_key(key),
        }
    }

    fn normal_key(&mut self, key: KeyEvent) {
        self.message = None;
        // Help is not a place in the history: leaving it reloads where we were.
        if self.help && matches!(key.code, KeyCode::Char('b' | '?') | KeyCode::Backspace | KeyCode::Esc | KeyCode::Left)
        {
            self.return_to(self.position);
            return;
        }
        match key.code {
            KeyCode::Char('q') => self.quit = true,
            KeyCode::Tab | KeyCode::Char('n') => self.step_link(true),
            KeyCode::BackTab | KeyCode::Char('N') => self.step_link(false),
            KeyCode::Enter | KeyCode::Right => match self.selected {
                Some(link) => self.follow(link),
                None => self.message = Some("press Tab to choose a link first".into()),
            },
            KeyCode::Backspace | KeyCode::Char('b') | KeyCode::Left => self.back(),
            KeyCode::Char('f') => self.forward(),
            KeyCode::Char('h') => self.mode = Mode::History,
            KeyCode::Char('H') => self.open(Location::Home),
            KeyCode::Char('j') | KeyCode::Down => self.scroll = (self.scroll + 1).min(self.max_scroll()),
            KeyCode::Char('k') | KeyCode::Up => self.scroll = self.scroll.saturating_sub(1),
            KeyCode::PageDown | KeyCode::Char(' ') => {
                self.scroll = (self.scroll + self.page_height.saturating_sub(1)).min(self.max_scroll())
            }
            KeyCode::PageUp => self.scroll = self.scroll.saturating_sub(self.page_height.saturating_sub(1)),
            KeyCode::Home => self.scroll = 0,
            KeyCode::Char('G') | KeyCode::End => self.scroll = self.max_scroll(),
            KeyCode::Char('/') => self.mode = Mode::Search(String::new()),
            KeyCode::Char('g') => self.mode = Mode::Goto(String::new()),
            KeyCode::Char('?') => self.open_help(),
            KeyCode::Char('l') => self.switch_locale(),
            KeyCode::Char(c) if c.is_ascii_digit() && c != '0' => self.mode = Mode::Number(c.to_string()),
            KeyCode::Esc => self.selected = None,
            _ => {}
        }
    }

    /// Opens a site address typed at the "Go to" prompt: `/pages/slug/`,
    /// `/fr/stories/slug/`, `/topics/slug/`, `/measures/`, `/`, or the same
    /// with the site's base URL in front; or an old address of the site (a
    /// bookmark of the old site), which opens the page it moved to, or says
    /// that it is moving or gone. An address that names a language switches
    /// to it; one without keeps the language being read.
    fn go_to(&mut self, typed: &str) {
        let typed = typed.trim();
        if typed.is_empty() {
            self.message = Some("type an address, such as /pages/civil-society-partnerships/".into());
            return;
        }
        let map = match self.source.site_map() {
            Ok(map) => map,
            Err(e) => {
                self.message = Some(format!("cannot read addresses: {e}"));
                return;
            }
        };
        let path = if typed.contains("://") {
            let base = match self.source.base_url() {
                Ok(base) => base,
                Err(e) => {
                    self.message = Some(format!("cannot read the site's address: {e}"));
                    return;
                }
            };
            let base = base.trim_end_matches('/');
            typed
                .strip_prefix(base)
                .filter(|rest| !base.is_empty() && (rest.is_empty() || rest.starts_with('/')))
                .map(str::to_owned)
        } else {
            Some(typed.to_owned())
        };
        // A current address first: an old one never hides a page.
        if let Some(place) = path.as_deref().and_then(|p| map.resolve(p)) {
            self.open_place(place, &map);
            return;
        }
        let old = match self.source.old_address(typed) {
            Ok(old) => old,
            Err(e) => {
                self.message = Some(format!("cannot look up {typed}: {e}"));
                return;
            }
        };
        let (to, note) = match old {
            Some(OldRoute::Moved(to)) => (Some(to), format!("{typed} has moved here")),
            Some(OldRoute::Pending { title }) => {
                let title = title.map(|t| format!(" (“{t}”)")).unwrap_or_default();
                (None, format!("{typed}{title} is moving to the new site and is not ready yet; / searches"))
            }
            Some(OldRoute::Retired { instead: Some(to) }) => {
                (Some(to), format!("{typed} is gone for good; this page covers what it did"))
            }
            Some(OldRoute::Retired { instead: None }) => (None, format!("{typed} is gone for good; / searches")),
            None if path.is_none() => (None, format!("{typed} is not on this site")),
            None => (None, format!("no page at {typed} (try /pages/…/, /topics/…/ or /)")),
        };
        if let Some(place) = to.as_deref().and_then(|to| map.resolve(to)) {
            self.open_place(place, &map);
        }
        self.message = Some(note);
    }

    /// Opens a place of the site, switching to its language when it names
    /// one other than the one being read.
    fn open_place(&mut self, place: Place, map: &tessera_site::SiteMap) {
        let (location, locale) = match place {
            Place::Home(locale) => (Location::Home, locale),
            Place::Index(kind, locale) => (Location::Kind(kind), locale),
            Place::Item { kind, slug, locale } => (Location::Item { kind, slug }, locale),
            Place::Topic(slug, locale) => (Location::Topic(slug), locale),
        };
        let switched = locale != *map.default_locale() && locale.as_str() != self.locale;
        if switched {
            self.locale = locale.to_string();
        }
        self.open(location);
        if switched {
            let note = self.message.take().map(|n| format!("; {n}")).unwrap_or_default();
            self.message = Some(format!("language: {}{note}", self.locale));
        }
    }

    fn open_help(&mut self) {
        self.remember();
        self.screen = Screen::help();
        self.layout = None;
        self.scroll = 0;
        self.selected = None;
        self.help = true;
        self.message = Some("press b or Esc to leave the help".into());
    }

    fn switch_locale(&mut self) {
        if self.locales.len() < 2 {
            self.message = Some(format!("this site has one language ({})", self.locale));
            return;
        }
        let current = if self.locale.is_empty() { self.locales[0].clone() } else { self.locale.clone() };
        let i = self.locales.iter().position(|l| *l == current).map_or(0, |i| (i + 1) % self.locales.len());
        self.locale = self.locales[i].clone();
        self.load();
        let note = self.screen.note.clone().map(|n| format!("; {n}")).unwrap_or_default();
        self.message = Some(format!("language: {}{note}", self.locale));
    }

    fn style(&self, style: Style, link: bool, selected: bool) -> TuiStyle {
        let mut s = TuiStyle::default();
        s = match style {
            Style::Plain => s,
            Style::Emphasis => s.add_modifier(Modifier::ITALIC),
            Style::Strong => s.add_modifier(Modifier::BOLD),
            Style::Code => {
                if self.color {
                    s.fg(Color::Yellow)
                } else {
                    s
                }
            }
            Style::Dim => s.add_modifier(Modifier::DIM),
            Style::Match => s.add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
        };
        if link {
            s = s.add_modifier(Modifier::UNDERLINED);
            if self.color {
                s = s.fg(Color::Cyan);
            }
        }
        if selected {
            s = s.add_modifier(Modifier::REVERSED);
        }
        s
    }

    /// Draws the whole browser into `frame`.
    pub fn draw(&mut self, frame: &mut Frame) {
        let area = frame.area();
        let [top, body, bottom] =
            Split::vertical([Constraint::Length(1), Constraint::Min(1), Constraint::Length(1)]).areas(area);
        self.page_height = body.height as usize;
        let width = body.width as usize;
        self.width = width;
        let scroll = self.scroll.min(self.max_scroll_for(width));
        self.scroll = scroll;
        let selected = self.selected;
        let layout = self.layout_for(width).clone();
        let lines: Vec<TuiLine> = layout
            .lines
            .iter()
            .skip(scroll)
            .take(body.height as usize)
            .map(|line| {
                let spans: Vec<TuiSpan> = line
                    .spans
                    .iter()
                    .map(|s| {
                        let mut style =
                            self.style(s.style, s.link.is_some() && !s.marker, s.link.is_some() && s.link == selected);
                        if let LineKind::Heading(_) = line.kind {
                            style = style.add_modifier(Modifier::BOLD);
                        }
                        TuiSpan::styled(tessera_core::terminal_safe(&s.text).into_owned(), style)
                    })
                    .collect();
                TuiLine::from(spans)
            })
            .collect();
        let title_style = if self.color {
            TuiStyle::default().bg(Color::Blue).fg(Color::White)
        } else {
            TuiStyle::default().add_modifier(Modifier::REVERSED)
        };
        frame
            .render_widget(Paragraph::new(clip(&format!(" {}", self.screen.title), top.width)).style(title_style), top);
        frame.render_widget(Paragraph::new(lines), body);
        frame.render_widget(Paragraph::new(self.status_line(bottom.width)).style(title_style), bottom);
        if self.mode == Mode::History {
            self.draw_history(frame, body);
        }
    }

    fn max_scroll_for(&mut self, width: usize) -> usize {
        let height = self.page_height;
        self.layout_for(width).lines.len().saturating_sub(height)
    }

    fn status_line(&self, width: u16) -> String {
        let right = self.status_right();
        // One column is kept free so that the left never runs into the right.
        let room = (width as usize).saturating_sub(right.width() + 1);
        let left = match &self.mode {
            Mode::Search(text) => prompt(" / ", text, room),
            Mode::Goto(text) => prompt(" Go to: ", text, room),
            Mode::Number(d) => fit(&format!(" link {d}… (Enter to follow)"), room),
            Mode::History => with_hints(" history: press a number", HISTORY_HINTS, room),
            Mode::Normal => match &self.message {
                Some(m) => fit(&format!(" {m}"), room),
                None => match self.selected.and_then(|s| self.layout.as_ref().and_then(|(_, l)| l.links.get(s))) {
                    Some(Target::Go(loc)) => fit(&format!(" → {}", loc.label()), room),
                    Some(Target::Url(url)) => fit(&format!(" → {url}"), room),
                    None => with_hints("", HINTS, room),
                },
            },
        };
        let pad = (room + 1).saturating_sub(left.width());
        tessera_core::terminal_safe(&format!("{left}{}{right}", " ".repeat(pad))).into_owned()
    }

    /// The right of the status bar: offline, bytes fetched, language.
    fn status_right(&self) -> String {
        // An empty locale is the site's default, the first one it lists.
        let shown =
            if self.locale.is_empty() { self.locales.first().map_or("default", String::as_str) } else { &self.locale };
        let mut right = format!("{shown} ");
        let bytes = self.source.bytes_fetched();
        if bytes > 0 {
            right = format!("{} {right}", human_bytes(bytes));
        }
        if self.source.offline() {
            right = format!("OFFLINE {right}");
        }
        right
    }

    fn draw_history(&self, frame: &mut Frame, area: Rect) {
        let lines: Vec<TuiLine> = self
            .history
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let mark = if i == self.position { "▶" } else { " " };
                TuiLine::from(clip(&format!("{mark} {i} {}", v.location.label()), area.width))
            })
            .collect();
        let height = (lines.len() as u16).min(area.height);
        let popup = Rect { x: area.x, y: area.y, width: area.width, height };
        frame.render_widget(Clear, popup);
        frame.render_widget(Paragraph::new(lines).style(TuiStyle::default().add_modifier(Modifier::REVERSED)), popup);
    }
}

/// Key hints for the status bar, in the order shown, each with its rank:
/// when the bar is narrow the lowest ranks are kept, so help and quit are
/// always there.
const HINTS: &[(&str, u8)] =
    &[("? help", 0), ("/ search", 4), ("g go to", 5), ("Tab links", 2), ("b back", 3), ("q quit", 1)];

/// The hints while the history list is open.
const HISTORY_HINTS: &[(&str, u8)] = &[("Esc close", 1), ("q quit", 0)];

/// `lead` followed by as many of `hints` as fit in `room` columns, whole,
/// two spaces apart, most needed first.
fn with_hints(lead: &str, hints: &[(&str, u8)], room: usize) -> String {
    let lead = fit(lead, room);
    let mut used = lead.width();
    let mut ranked: Vec<usize> = (0..hints.len()).collect();
    ranked.sort_by_key(|i| hints[*i].1);
    let mut shown = vec![false; hints.len()];
    for i in ranked {
        let cost = hints[i].0.width() + if used == 0 { 1 } else { 2 };
        if used + cost <= room {
            used += cost;
            shown[i] = true;
        }
    }
    let mut out = lead;
    for (i, (hint, _)) in hints.iter().enumerate() {
        if shown[i] {
            out.push_str(if out.is_empty() { " " } else { "  " });
            out.push_str(hint);
        }
    }
    out
}

/// `text` cut to `room` columns; when it is cut, at a space if there is
/// one in the last third, and marked with an ellipsis.
fn fit(text: &str, room: usize) -> String {
    if text.width() <= room {
        return text.to_owned();
    }
    let cut = clip(text, room.saturating_sub(1) as u16);
    let cut = match cut.rfind(' ') {
        Some(i) if i > 0 && cut[..i].width() * 3 >= room * 2 => cut[..i].trim_end().to_owned(),
        _ => cut,
    };
    if room == 0 { String::new() } else { format!("{cut}…") }
}

/// A prompt and what has been typed, with a cursor; when it is too long,
/// the end stays in sight, where the typing is.
fn prompt(label: &str, text: &str, room: usize) -> String {
    let full = format!("{label}{text}▏");
    if full.width() <= room {
        return full;
    }
    let keep = room.saturating_sub(label.width() + 2);
    let mut tail: Vec<char> = Vec::new();
    let mut used = 0;
    for c in text.chars().rev() {
        let w = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if used + w > keep {
            break;
        }
        used += w;
        tail.push(c);
    }
    let tail: String = tail.into_iter().rev().collect();
    clip(&format!("{label}…{tail}▏"), room as u16)
}

fn clip(text: &str, width: u16) -> String {
    let mut out = String::new();
    let mut used = 0;
    for c in tessera_core::terminal_safe(text).chars() {
        let w = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if used + w > width as usize {
            break;
        }
        used += w;
        out.push(c);
    }
    out
}

fn human_bytes(n: u64) -> String {
    if n < 10_000 {
        format!("{n} B")
    } else if n < 10_000_000 {
        format!("{} KB", n / 1000)
    } else {
        format!("{} MB", n / 1_000_000)
    }
}

/// Runs the browser in the terminal until the user quits. The terminal is
/// restored on the way out, on errors and on panics.
pub fn run<S: Source>(mut app: App<S>) -> std::io::Result<()> {
    // ratatui::init installs a panic hook that restores the terminal first.
    let mut terminal = ratatui::init();
    let result = (|| -> std::io::Result<()> {
        let mut draw = true;
        while !app.quitting() {
            if draw {
                terminal.draw(|frame| app.draw(frame))?;
            }
            // While the content loads, look for it between keys; after
            // that, an idle browser sleeps until the next key.
            let wait = if app.searching() { std::time::Duration::ZERO } else { std::time::Duration::from_millis(50) };
            if app.pending() && !event::poll(wait)? {
                draw = app.tick();
                continue;
            }
            draw = true;
            if let Event::Key(key) = event::read()? {
                app.handle_key(key);
            }
        }
        Ok(())
    })();
    ratatui::restore();
    result
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use ratatui::Terminal;
    use ratatui::backend::TestBackend;
    use tessera_core::Kind;

    use super::*;
    use crate::LocalSource;

    fn seed_page() -> App<LocalSource> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../content");
        let snapshot = tessera_core::load(&root).unwrap_or_else(|e| panic!("{e:?}"));
        let mut app = App::new(LocalSource::new(Arc::new(snapshot)), "en", false);
        app.open(Location::Item { kind: Kind::Page, slug: "civil-society-partnerships".into() });
        draw(&mut app);
        app
    }

    /// Draws at 40×12, as on a small terminal: ten lines of content.
    fn draw(app: &mut App<LocalSource>) {
        let mut terminal = Terminal::new(TestBackend::new(40, 12)).unwrap_or_else(|e| panic!("{e}"));
        terminal.draw(|f| app.draw(f)).unwrap_or_else(|e| panic!("{e}"));
    }

    fn press(app: &mut App<LocalSource>, code: KeyCode) {
        app.handle_key(KeyEvent::new(code, KeyModifiers::NONE));
        draw(app);
    }

    fn link_lines(app: &App<LocalSource>) -> Vec<usize> {
        app.layout.as_ref().map(|(_, l)| l.link_lines.clone()).unwrap_or_default()
    }

    fn on_screen(app: &App<LocalSource>, link: usize) -> bool {
        link_lines(app).get(link).is_some_and(|line| (app.scroll..app.scroll + app.page_height).contains(line))
    }

    #[test]
    fn tab_after_scrolling_selects_the_first_link_on_screen() {
        let mut app = seed_page();
        assert_eq!(app.page_height, 10);
        // Scroll down a screen at a time until the first link is gone and
        // another one is on screen.
        let lines = link_lines(&app);
        assert!(lines.len() > 3, "the seed page has links: {lines:?}");
        while on_screen(&app, 0) || !(0..lines.len()).any(|l| on_screen(&app, l)) {
            let scroll = app.scroll;
            press(&mut app, KeyCode::PageDown);
            assert_ne!(app.scroll, scroll, "no screen shows a link other than the first");
        }
        let first_visible = (0..lines.len()).find(|l| on_screen(&app, *l));
        let scroll = app.scroll;
        press(&mut app, KeyCode::Tab);
        assert_eq!(app.selected, first_visible);
        assert_eq!(app.scroll, scroll, "a link on screen is selected without scrolling");
        // Tab walks on link by link, scrolling when the next one is below.
        for _ in 0..lines.len() - 1 {
            let Some(before) = app.selected else { panic!("a link is selected") };
            press(&mut app, KeyCode::Char('n'));
            assert_eq!(app.selected, Some((before + 1) % lines.len()));
            assert!(app.selected.is_some_and(|s| on_screen(&app, s)), "link {:?} is on screen", app.selected);
        }
    }

    #[test]
    fn shift_tab_with_the_selection_off_screen_selects_the_last_link_on_screen() {
        let mut app = seed_page();
        press(&mut app, KeyCode::End);
        press(&mut app, KeyCode::Tab);
        let Some(low) = app.selected else { panic!("a link is selected") };
        // Scroll up until the selected link and the one before it are off
        // screen and others are on it: Shift-Tab must not pick the link
        // before the selection.
        let count = link_lines(&app).len();
        assert!(low > 1);
        while on_screen(&app, low) || on_screen(&app, low - 1) || !(0..count).any(|l| on_screen(&app, l)) {
            let scroll = app.scroll;
            press(&mut app, KeyCode::PageUp);
            assert_ne!(app.scroll, scroll, "no screen above shows a link");
        }
        let last_visible = (0..count).rev().find(|l| on_screen(&app, *l));
        let scroll = app.scroll;
        press(&mut app, KeyCode::BackTab);
        assert_eq!(app.selected, last_visible);
        assert_eq!(app.scroll, scroll);
        press(&mut app, KeyCode::Char('N'));
        assert_eq!(app.selected, last_visible.map(|l| l.saturating_sub(1)));
    }

    #[test]
    fn back_restores_the_scroll_and_the_selected_link() {
        let mut app = seed_page();
        press(&mut app, KeyCode::PageDown);
        press(&mut app, KeyCode::Tab);
        press(&mut app, KeyCode::Tab);
        let (scroll, selected) = (app.scroll, app.selected);
        assert!(scroll > 0 && selected.is_some());
        press(&mut app, KeyCode::Enter);
        assert_eq!((app.scroll, app.selected), (0, None), "a new page opens at the top");
        press(&mut app, KeyCode::Char('j'));
        press(&mut app, KeyCode::Left);
        assert_eq!((app.scroll, app.selected), (scroll, selected));
        press(&mut app, KeyCode::Char('f'));
        assert_eq!((app.scroll, app.selected), (1, None));
    }

    #[test]
    fn hints_are_chosen_whole_by_rank() {
        assert_eq!(with_hints("", HINTS, 15), " ? help  q quit");
        assert_eq!(with_hints("", HINTS, 14), " ? help");
        assert_eq!(with_hints("", HINTS, 37), " ? help  Tab links  b back  q quit");
        assert_eq!(with_hints("", HINTS, 3), "");
        assert_eq!(fit(" one two three four", 12), " one two…");
        assert_eq!(fit(" abcdefghijklmnop", 8), " abcdef…");
        assert_eq!(prompt(" / ", "a long search", 10), " / …earch▏");
    }
}
