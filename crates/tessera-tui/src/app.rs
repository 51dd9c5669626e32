//! The interactive browser: state, keys and drawing.

use ratatui::Frame;
use ratatui::crossterm::event::{self, Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use ratatui::layout::{Constraint, Layout as Split, Rect};
use ratatui::style::{Color, Modifier, Style as TuiStyle};
use ratatui::text::{Line as TuiLine, Span as TuiSpan};
use ratatui::widgets::{Clear, Paragraph};

use crate::data::{Location, Source, country_name};
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
    /// Looking at the history list.
    History,
}

/// The browser: a source, the history and what is on screen.
pub struct App<S: Source> {
    source: S,
    locales: Vec<String>,
    locale: String,
    history: Vec<Location>,
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
}

impl<S: Source> App<S> {
    /// A browser on `source` in `locale`, opened at the home screen.
    pub fn new(source: S, locale: &str, color: bool) -> App<S> {
        let mut app = App {
            source,
            locales: vec![locale.to_owned()],
            locale: locale.to_owned(),
            history: vec![Location::Home],
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
        };
        app.load();
        app
    }

    /// Whether the user asked to quit.
    pub fn quitting(&self) -> bool {
        self.quit
    }

    /// Where the browser is.
    pub fn location(&self) -> &Location {
        &self.history[self.position]
    }

    /// Opens `location`, adding it to the history.
    pub fn open(&mut self, location: Location) {
        self.history.truncate(self.position + 1);
        self.history.push(location);
        self.position = self.history.len() - 1;
        self.load();
    }

    /// Loads the current location from the source.
    fn load(&mut self) {
        self.help = false;
        let location = self.history[self.position].clone();
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
            // A reader knows the country by its name, not its code.
            Location::Country(code) => self.source.list(&location, &locale).map(|mut d| {
                d.title = format!("Country: {}", country_name(code));
                Screen::list(&d)
            }),
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
            self.scroll = line.saturating_sub(self.page_height / 3);
        }
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
            self.position -= 1;
            self.load();
        } else {
            self.message = Some("nothing to go back to".into());
        }
    }

    fn forward(&mut self) {
        if self.position + 1 < self.history.len() {
            self.position += 1;
            self.load();
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
                        self.open(Location::Search { query: text, kind: None });
                    }
                }
                KeyCode::Esc => {}
                KeyCode::Backspace => {
                    text.pop();
                    self.mode = Mode::Search(text);
                }
                KeyCode::Char(c) => {
                    if text.chars().count() < 200 {
                        text.push(c);
                    }
                    self.mode = Mode::Search(text);
                }
                _ => self.mode = Mode::Search(text),
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
                KeyCode::Char(c) if c.is_ascii_digit() => {
                    let n = c.to_digit(10).unwrap_or(0) as usize;
                    if n < self.history.len() {
                        self.position = n;
                        self.load();
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
            self.help = false;
            self.load();
            return;
        }
        let links = self.link_count();
        match key.code {
            KeyCode::Char('q') => self.quit = true,
            KeyCode::Tab | KeyCode::Char('n') if links > 0 => {
                let next = self.selected.map_or(0, |s| (s + 1) % links);
                self.select(next);
            }
            KeyCode::BackTab | KeyCode::Char('N') if links > 0 => {
                let previous = self.selected.map_or(links - 1, |s| (s + links - 1) % links);
                self.select(previous);
            }
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
            KeyCode::Char('g') | KeyCode::Home => self.scroll = 0,
            KeyCode::Char('G') | KeyCode::End => self.scroll = self.max_scroll(),
            KeyCode::Char('/') => self.mode = Mode::Search(String::new()),
            KeyCode::Char('?') => self.open_help(),
            KeyCode::Char('l') => self.switch_locale(),
            KeyCode::Char(c) if c.is_ascii_digit() && c != '0' => self.mode = Mode::Number(c.to_string()),
            KeyCode::Esc => self.selected = None,
            _ => {}
        }
    }

    fn open_help(&mut self) {
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
                        TuiSpan::styled(s.text.clone(), style)
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
        let left = match &self.mode {
            Mode::Search(text) => format!(" / {text}▏"),
            Mode::Number(d) => format!(" link {d}… (Enter to follow)"),
            Mode::History => " history: press a number".to_owned(),
            Mode::Normal => match &self.message {
                Some(m) => format!(" {m}"),
                None => match self.selected.and_then(|s| self.layout.as_ref().and_then(|(_, l)| l.links.get(s))) {
                    Some(Target::Go(loc)) => format!(" → {}", loc.label()),
                    Some(Target::Url(url)) => format!(" → {url}"),
                    None => " ? help  / search  Tab links  b back  q quit".to_owned(),
                },
            },
        };
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
        let room = (width as usize).saturating_sub(unicode_width::UnicodeWidthStr::width(right.as_str()));
        let left = clip(&left, room as u16);
        let pad = room.saturating_sub(unicode_width::UnicodeWidthStr::width(left.as_str()));
        format!("{left}{}{right}", " ".repeat(pad))
    }

    fn draw_history(&self, frame: &mut Frame, area: Rect) {
        let lines: Vec<TuiLine> = self
            .history
            .iter()
            .enumerate()
            .map(|(i, l)| {
                let mark = if i == self.position { "▶" } else { " " };
                TuiLine::from(clip(&format!("{mark} {i} {}", l.label()), area.width))
            })
            .collect();
        let height = (lines.len() as u16).min(area.height);
        let popup = Rect { x: area.x, y: area.y, width: area.width, height };
        frame.render_widget(Clear, popup);
        frame.render_widget(Paragraph::new(lines).style(TuiStyle::default().add_modifier(Modifier::REVERSED)), popup);
    }
}

fn clip(text: &str, width: u16) -> String {
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
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
        while !app.quitting() {
            terminal.draw(|frame| app.draw(frame))?;
            if let Event::Key(key) = event::read()? {
                app.handle_key(key);
            }
        }
        Ok(())
    })();
    ratatui::restore();
    result
}
