//! Screens: the content of a location as rich text with links, before it is
//! wrapped to a width.

use tessera_core::{Block, Inline, Kind, LinkTarget};

use tessera_site::{EXAMPLE_HEADING, Fact, Figure, ItemView, Related, Relation, TEASER_LINK};

use crate::data::{HomeData, ItemLink, ListData, Location, SearchData, country_name};

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
fn figure(parts: &mut Vec<Part>, f: &Figure) {
    let label = f.label();
    let segs = match &f.alt {
        Some(alt) => vec![Seg::styled(format!("{label}: "), Style::Dim), Seg::plain(alt.clone())],
        None => vec![Seg::styled(label, Style::Dim)],
    };
    parts.push(Part::Para(segs));
    if let Some(caption) = &f.caption {
        parts.push(Part::Para(vec![Seg::styled(format!("Caption: {caption}"), Style::Dim)]));
    }
    if let Some(credit) = &f.credit {
        parts.push(Part::Para(vec![Seg::styled(credit.clone(), Style::Dim)]));
    }
    match &f.src {
        Some(src) => {
            parts.push(Part::Para(vec![Seg::link(format!("open {}", label.to_lowercase()), Target::Url(src.clone()))]))
        }
        None => parts.push(Part::Para(vec![Seg::styled("(not yet available online)", Style::Dim)])),
    }
}

/// Related items under their relation's heading: titles, or for a teaser
/// relation what each says, then "Story" and its media as links.
fn related_list(parts: &mut Vec<Part>, relation: Relation, related: &[Related]) {
    parts.push(Part::Heading(2, relation.heading().to_owned()));
    for (i, r) in related.iter().enumerate() {
        let target = item_target(r.kind, &r.slug);
        match &r.summary {
            Some(summary) if relation.teaser() => {
                parts.push(Part::Para(vec![Seg::plain(summary.clone())]));
                let mut segs = vec![Seg::link(TEASER_LINK, target.clone())];
                for m in &r.media {
                    segs.push(Seg::plain(" - "));
                    let to = m.src.clone().map_or_else(|| target.clone(), Target::Url);
                    segs.push(Seg::link(m.link_text().to_owned(), to));
                }
                parts.push(Part::Para(segs));
            }
            _ => {
                let marker = if relation.numbered() { format!("{}.", i + 1) } else { "-".to_owned() };
                parts.push(Part::Item(marker, 0, vec![Seg::link(r.title.clone(), target)]));
            }
        }
    }
}

fn inlines(list: &[Inline], style: Style, link: Option<&Target>, out: &mut Vec<Seg>) {
    for inline in list {
        match inline {
            Inline::Text { text } => out.push(Seg { text: text.clone(), style, link: link.cloned() }),
            Inline::Code { code } => out.push(Seg { text: code.clone(), style: Style::Code, link: link.cloned() }),
            Inline::Emphasis { content } => inlines(content, Style::Emphasis, link, out),
            Inline::Strong { content } => inlines(content, Style::Strong, link, out),
            Inline::Link(l) => {
                let t = match &l.target {
                    LinkTarget::Item { kind, slug, .. } => Some(item_target(*kind, slug)),
                    LinkTarget::Url { url } => Some(Target::Url(url.clone())),
                    LinkTarget::Invalid { .. } => None,
                };
                inlines(&l.content, style, t.as_ref().or(link), out);
            }
            Inline::Image(image) => out.push(Seg::styled(format!("[image: {}]", image.alt), Style::Dim)),
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
                            // A later paragraph of the item (a measure's
                            // example) stays under it, a blank marker wide.
                            Block::Paragraph { content } => {
                                let mut segs = Vec::new();
                                inlines(content, Style::Plain, None, &mut segs);
                                parts.push(Part::Item(" ".repeat(marker.chars().count()), depth, segs));
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
            // Placed by the item view before screens see a body.
            Block::Embed { .. } => {}
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

    /// An item screen: a page, measure, partner or story, as the site's
    /// item view says it.
    pub fn item(item: &ItemView, requested_locale: &str) -> Screen {
        let mut parts = vec![Part::Heading(1, item.title.clone())];
        if !item.facts.is_empty() {
            let mut segs = Vec::new();
            for (i, fact) in item.facts.iter().enumerate() {
                if i > 0 {
                    segs.push(Seg::styled(" · ", Style::Dim));
                }
                segs.push(Seg::styled(format!("{}: ", fact.label()), Style::Dim));
                segs.push(match fact {
                    Fact::Country(c) => Seg::link(fact.text(), Target::Go(Location::Country(c.to_string()))),
                    Fact::Website(url) => Seg::link(fact.text(), Target::Url(url.clone())),
                    _ => Seg::plain(fact.text()),
                });
            }
            parts.push(Part::Para(segs));
        }
        if let Some(summary) = &item.summary {
            parts.push(Part::Para(vec![Seg::styled(summary.clone(), Style::Emphasis)]));
        }
        if let Some(hero) = &item.hero {
            figure(&mut parts, hero);
        }
        blocks(&item.body, 0, &mut parts);
        if !item.example.is_empty() {
            parts.push(Part::Heading(2, EXAMPLE_HEADING.to_owned()));
            blocks(&item.example, 0, &mut parts);
        }
        for m in &item.media {
            figure(&mut parts, m);
        }
        for (relation, related) in &item.relations {
            related_list(&mut parts, *relation, related);
        }
        if !item.topics.is_empty() {
            let mut segs = vec![Seg::styled("Topics: ", Style::Dim)];
            for (i, (slug, name)) in item.topics.iter().enumerate() {
                if i > 0 {
                    segs.push(Seg::plain(", "));
                }
                segs.push(Seg::link(name.clone(), Target::Go(Location::Topic(slug.clone()))));
            }
            parts.push(Part::Para(segs));
        }
        let shown = item.locale.as_str();
        let note = (!requested_locale.is_empty() && shown != requested_locale)
            .then(|| format!("shown in {shown} (no {requested_locale} version)"));
        Screen { title: item.title.clone(), parts, note }
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
