//! Screens: the content of a location as rich text with links, before it is
//! wrapped to a width.

use tessera_core::{Block, Inline, Kind, LinkTarget};

use crate::data::{Figure, HomeData, ItemData, ItemLink, ListData, Location, SearchData, country_name};

/// How a piece of text looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// Body text.
    Plain,
    /// Emphasis.
    Emphasis,
    /// Strong emphasis.
    Strong,
    /// Code.
    Code,
    /// Secondary text: captions, credits, notes.
    Dim,
    /// A search match.
    Match,
}

/// Where a link goes.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    /// Another screen.
    Go(Location),
    /// A web address (shown, not opened).
    Url(String),
}

/// A run of text, perhaps part of a link.
#[derive(Debug, Clone, PartialEq)]
pub struct Seg {
    /// The text.
    pub text: String,
    /// How it looks.
    pub style: Style,
    /// The link it belongs to, if any.
    pub link: Option<Target>,
}

impl Seg {
    fn plain(text: impl Into<String>) -> Seg {
        Seg { text: text.into(), style: Style::Plain, link: None }
    }
    fn styled(text: impl Into<String>, style: Style) -> Seg {
        Seg { text: text.into(), style, link: None }
    }
    fn link(text: impl Into<String>, target: Target) -> Seg {
        Seg { text: text.into(), style: Style::Plain, link: Some(target) }
    }
}

/// A block of a screen.
#[derive(Debug, Clone, PartialEq)]
pub enum Part {
    /// A heading (level 1 is the screen's title).
    Heading(u8, String),
    /// A paragraph.
    Para(Vec<Seg>),
    /// A list item, with its marker (`-`, `3.`) and nesting depth.
    Item(String, usize, Vec<Seg>),
    /// A quotation.
    Quote(Vec<Seg>),
    /// Preformatted text.
    Pre(String),
    /// A separator.
    Rule,
}

/// A screen's content.
#[derive(Debug, Clone, PartialEq)]
pub struct Screen {
    /// The title shown in the top bar.
    pub title: String,
    /// The content.
    pub parts: Vec<Part>,
    /// A note for the status bar (e.g. which locale was shown by fallback).
    pub note: Option<String>,
}

fn item_target(kind: Kind, slug: &str) -> Target {
    Target::Go(Location::Item { kind, slug: slug.to_owned() })
}

fn link_list(parts: &mut Vec<Part>, heading: &str, links: &[ItemLink]) {
    if links.is_empty() {
        return;
    }
    parts.push(Part::Heading(2, heading.to_owned()));
    for l in links {
        let mut segs = vec![Seg::link(l.title.clone(), item_target(l.kind, &l.slug))];
        if let Some(note) = &l.note {
            segs.push(Seg::plain(" — "));
            segs.extend(marked(note));
        }
        parts.push(Part::Item("-".to_owned(), 0, segs));
    }
}

/// Text with `[matches]` marked by the search, as segments.
fn marked(text: &str) -> Vec<Seg> {
    let mut segs = Vec::new();
    let mut rest = text;
    // Matches arrive wrapped in U+0002/U+0003 so that brackets in the text
    // itself are not mistaken for them.
    while let Some(start) = rest.find('\u{2}') {
        if start > 0 {
            segs.push(Seg::plain(&rest[..start]));
        }
        let after = &rest[start + 1..];
        let end = after.find('\u{3}').unwrap_or(after.len());
        segs.push(Seg::styled(&after[..end], Style::Match));
        rest = after.get(end + 1..).unwrap_or("");
    }
    if !rest.is_empty() {
        segs.push(Seg::plain(rest));
    }
    segs
}

/// A figure, said by what it shows: "Photo: a goodwill ambassador speaks
/// at…", not "[Photo: image]". The kind is said only when there is no text
/// alternative to say instead.
fn figure(parts: &mut Vec<Part>, label: &str, f: &Figure) {
    let segs = match f.alt.as_deref().filter(|a| !a.trim().is_empty()) {
        Some(alt) => vec![Seg::styled(format!("{label}: "), Style::Dim), Seg::plain(alt.to_owned())],
        None => vec![Seg::styled(format!("{label} ({})", f.kind), Style::Dim)],
    };
    parts.push(Part::Para(segs));
    if let Some(caption) = &f.caption {
        parts.push(Part::Para(vec![Seg::styled(format!("Caption: {caption}"), Style::Dim)]));
    }
    if let Some(credit) = &f.credit {
        parts.push(Part::Para(vec![Seg::styled(credit.clone(), Style::Dim)]));
    }
    match &f.src {
        Some(src) => parts.push(Part::Para(vec![Seg::link(format!("open {}", f.kind), Target::Url(src.clone()))])),
        None => parts.push(Part::Para(vec![Seg::styled("(not yet available online)", Style::Dim)])),
    }
}

fn inlines(list: &[Inline], style: Style, link: Option<&Target>, out: &mut Vec<Seg>) {
    for inline in list {
        match inline {
            Inline::Text { text } => out.push(Seg { text: text.clone(), style, link: link.cloned() }),
            Inline::Code { code } => out.push(Seg { text: code.clone(), style: Style::Code, link: link.cloned() }),
            Inline::Emphasis { content } => inlines(content, Style::Emphasis, link, out),
            Inline::Strong { content } => inlines(content, Style::Strong, link, out),
            Inline::Link { target, content, .. } => {
                let t = match target {
                    LinkTarget::Item { kind, slug, .. } => Some(item_target(*kind, slug)),
                    LinkTarget::Url { url } => Some(Target::Url(url.clone())),
                    LinkTarget::Invalid { .. } => None,
                };
                inlines(content, style, t.as_ref().or(link), out);
            }
            Inline::Image { alt, .. } => out.push(Seg::styled(format!("[image: {alt}]"), Style::Dim)),
            Inline::HardBreak | Inline::SoftBreak => out.push(Seg { text: " ".to_owned(), style, link: link.cloned() }),
        }
    }
}

fn blocks(list: &[Block], depth: usize, parts: &mut Vec<Part>) {
    for block in list {
        match block {
            Block::Heading { level, content } => {
                let mut segs = Vec::new();
                inlines(content, Style::Strong, None, &mut segs);
                let text: String = segs.iter().map(|s| s.text.as_str()).collect();
                parts.push(Part::Heading((*level).clamp(2, 6), text));
            }
            Block::Paragraph { content } => {
                let mut segs = Vec::new();
                inlines(content, Style::Plain, None, &mut segs);
                parts.push(Part::Para(segs));
            }
            Block::List { start, items } => {
                for (i, item) in items.iter().enumerate() {
                    let marker = match start {
                        Some(n) => format!("{}.", n + i as u64),
                        None => "-".to_owned(),
                    };
                    let mut first = true;
                    for b in item {
                        match b {
                            Block::Paragraph { content } if first => {
                                let mut segs = Vec::new();
                                inlines(content, Style::Plain, None, &mut segs);
                                parts.push(Part::Item(marker.clone(), depth, segs));
                            }
                            other => blocks(std::slice::from_ref(other), depth + 1, parts),
                        }
                        first = false;
                    }
                }
            }
            Block::BlockQuote { blocks: inner } => {
                let mut nested = Vec::new();
                blocks(inner, depth, &mut nested);
                for p in nested {
                    match p {
                        Part::Para(segs) => parts.push(Part::Quote(segs)),
                        other => parts.push(other),
                    }
                }
            }
            Block::Code { code, .. } => parts.push(Part::Pre(code.trim_end().to_owned())),
            Block::Table { header, rows, .. } => {
                for row in std::iter::once(header).chain(rows) {
                    let mut segs = Vec::new();
                    for (i, cell) in row.iter().enumerate() {
                        if i > 0 {
                            segs.push(Seg::styled(" | ", Style::Dim));
                        }
                        inlines(cell, Style::Plain, None, &mut segs);
                    }
                    parts.push(Part::Item("|".to_owned(), depth, segs));
                }
            }
            Block::Rule => parts.push(Part::Rule),
        }
    }
}

impl Screen {
    /// The home screen.
    pub fn home(data: &HomeData) -> Screen {
        let mut parts = Vec::new();
        if let Some(notice) = &data.notice {
            parts.push(Part::Quote(vec![Seg::styled(notice.clone(), Style::Dim)]));
        }
        let label = data.search_label.as_deref().unwrap_or("Search");
        parts.push(Part::Para(vec![Seg::plain(format!("{label}: press / and type."))]));
        for (section, pages) in &data.sections {
            link_list(&mut parts, section, pages);
        }
        parts.push(Part::Heading(2, "Browse".to_owned()));
        for kind in Kind::WITH_PAGES {
            parts.push(Part::Item(
                "-".to_owned(),
                0,
                vec![Seg::link(
                    format!("All {}", kind.plural_title().to_lowercase()),
                    Target::Go(Location::Kind(kind)),
                )],
            ));
        }
        if !data.topics.is_empty() {
            parts.push(Part::Heading(2, "Topics".to_owned()));
            for (slug, name) in &data.topics {
                parts.push(Part::Item(
                    "-".to_owned(),
                    0,
                    vec![Seg::link(name.clone(), Target::Go(Location::Topic(slug.clone())))],
                ));
            }
        }
        Screen { title: data.title.clone(), parts, note: None }
    }

    /// An item screen: a page, measure, partner or story.
    pub fn item(data: &ItemData, requested_locale: &str) -> Screen {
        let mut parts = vec![Part::Heading(1, data.title.clone())];
        if !data.facts.is_empty() {
            let mut segs = Vec::new();
            for (i, (label, value)) in data.facts.iter().enumerate() {
                if i > 0 {
                    segs.push(Seg::styled(" · ", Style::Dim));
                }
                segs.push(Seg::styled(format!("{label}: "), Style::Dim));
                if label == "Country" {
                    segs.push(Seg::link(value.clone(), Target::Go(Location::Country(value.clone()))));
                } else if value.starts_with("http") {
                    segs.push(Seg::link(value.clone(), Target::Url(value.clone())));
                } else {
                    segs.push(Seg::plain(value.clone()));
                }
            }
            parts.push(Part::Para(segs));
        }
        // Said once: not when the body opens with the same words.
        if let Some(summary) = data.summary.as_ref().filter(|s| !tessera_core::opens_with(&data.blocks, s)) {
            parts.push(Part::Para(vec![Seg::styled(summary.clone(), Style::Emphasis)]));
        }
        if let Some(hero) = &data.hero {
            figure(&mut parts, "Photo", hero);
        }
        blocks(&data.blocks, 0, &mut parts);
        for (text, source) in &data.quotes {
            parts.push(Part::Quote(vec![Seg::plain(format!("“{text}”"))]));
            parts.push(Part::Quote(vec![Seg::styled(format!("— {source}"), Style::Dim)]));
        }
        if let Some(example) = &data.example {
            parts.push(Part::Heading(2, "Example".to_owned()));
            parts.push(Part::Para(vec![Seg::plain(example.clone())]));
        }
        for m in &data.media {
            figure(&mut parts, "Media", m);
        }
        for (heading, links) in &data.sections {
            link_list(&mut parts, heading, links);
        }
        if !data.topics.is_empty() {
            let mut segs = vec![Seg::styled("Topics: ", Style::Dim)];
            for (i, (slug, name)) in data.topics.iter().enumerate() {
                if i > 0 {
                    segs.push(Seg::plain(", "));
                }
                segs.push(Seg::link(name.clone(), Target::Go(Location::Topic(slug.clone()))));
            }
            parts.push(Part::Para(segs));
        }
        let note = (!data.locale.is_empty() && !requested_locale.is_empty() && data.locale != requested_locale)
            .then(|| format!("shown in {} (no {requested_locale} version)", data.locale));
        Screen { title: data.title.clone(), parts, note }
    }

    /// A list screen.
    pub fn list(data: &ListData) -> Screen {
        let mut parts = vec![Part::Heading(1, data.title.clone())];
        if data.items.is_empty() {
            parts.push(Part::Para(vec![Seg::styled("Nothing here yet.", Style::Dim)]));
        }
        for l in &data.items {
            let mut segs = vec![Seg::link(l.title.clone(), item_target(l.kind, &l.slug))];
            segs.push(Seg::styled(format!(" ({})", l.kind), Style::Dim));
            if let Some(note) = &l.note {
                segs.push(Seg::plain(" — "));
                segs.push(Seg::plain(note.clone()));
            }
            parts.push(Part::Item("-".to_owned(), 0, segs));
        }
        Screen { title: data.title.clone(), parts, note: None }
    }

    /// A search results screen, with facet filters as links.
    pub fn search(data: &SearchData) -> Screen {
        let title = format!("Search: {}", data.query);
        let mut parts = vec![Part::Heading(1, title.clone())];
        let mut filters = vec![Seg::plain(format!("{} result(s). ", data.total))];
        if !data.kinds.is_empty() {
            filters.push(Seg::styled("Only: ", Style::Dim));
            for (i, (kind, count)) in data.kinds.iter().enumerate() {
                if i > 0 {
                    filters.push(Seg::plain(", "));
                }
                let target = Target::Go(Location::Search { query: data.query.clone(), kind: Some(*kind) });
                filters.push(Seg::link(format!("{} ({count})", kind.plural_title().to_lowercase()), target));
            }
        }
        parts.push(Part::Para(filters));
        if !data.countries.is_empty() {
            let mut segs = vec![Seg::styled("Countries: ", Style::Dim)];
            for (i, (c, n)) in data.countries.iter().enumerate() {
                if i > 0 {
                    segs.push(Seg::plain(", "));
                }
                segs.push(Seg::link(format!("{} ({n})", country_name(c)), Target::Go(Location::Country(c.clone()))));
            }
            parts.push(Part::Para(segs));
        }
        for hit in &data.hits {
            let mut segs = vec![Seg::link(hit.title.clone(), item_target(hit.kind, &hit.slug))];
            segs.push(Seg::styled(format!(" ({})", hit.kind), Style::Dim));
            parts.push(Part::Item("-".to_owned(), 0, segs));
            if let Some(snippet) = &hit.note {
                parts.push(Part::Item(" ".to_owned(), 0, marked(snippet)));
            }
        }
        Screen { title, parts, note: None }
    }

    /// A screen that says what went wrong.
    pub fn error(message: &str) -> Screen {
        Screen {
            title: "Error".to_owned(),
            parts: vec![
                Part::Heading(1, "Cannot show this".to_owned()),
                Part::Para(vec![Seg::plain(message.to_owned())]),
                Part::Para(vec![Seg::styled("Press b to go back, or q to quit.", Style::Dim)]),
            ],
            note: None,
        }
    }

    /// The help screen.
    pub fn help() -> Screen {
        let keys = [
            ("Tab / Shift-Tab", "next / previous link"),
            ("Enter", "follow the selected link"),
            ("1-9…", "type a link's number, then Enter"),
            ("Backspace or b", "back"),
            ("f", "forward"),
            ("h", "history"),
            ("j k, arrows", "scroll a line"),
            ("PgDn PgUp, Space", "scroll a screen"),
            ("Home / End or G", "top / bottom"),
            ("g", "go to an address: /pages/…/, /fr/stories/…/, /topics/…/, / (Esc cancels)"),
            ("/", "search"),
            ("l", "switch language"),
            ("H", "home"),
            ("?", "this help"),
            ("q", "quit"),
        ];
        let mut parts = vec![Part::Heading(1, "Keys".to_owned())];
        for (key, what) in keys {
            parts.push(Part::Item(
                "-".to_owned(),
                0,
                vec![Seg::styled(key, Style::Strong), Seg::plain(format!("  {what}"))],
            ));
        }
        Screen { title: "Help".to_owned(), parts, note: None }
    }
}
