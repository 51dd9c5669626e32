//! Drafts to files: slugs, links between imported items, the bytes of each
//! file, and what to do with each (create, update, leave, or report a
//! conflict), decided against what is in the content folder and the
//! import state.

use std::collections::{HashMap, HashSet};

use tessera_core::{Hero, Kind, Media, Page, Ref, Status, Story, Timestamp, legacy_path};

use crate::legacy::{Note, NoteKind};
use crate::markdown::{LINK_CLOSE, LINK_MID, LINK_OPEN, slugify};
use crate::shape::{Extract, Part};

/// One file an import would write.
#[derive(Debug, Clone)]
pub(crate) struct Planned {
    /// Relative to the content folder, with `/`: `pages/slug.md`.
    pub(crate) path: String,
    pub(crate) kind: Kind,
    pub(crate) title: String,
    pub(crate) bytes: Vec<u8>,
}

/// Slugs taken so far in this run and on disk.
pub(crate) struct Slugs<'a> {
    claimed: HashSet<String>,
    exists: &'a dyn Fn(&str) -> bool,
    owner: &'a dyn Fn(&str) -> Option<&'a str>,
}

impl<'a> Slugs<'a> {
    pub(crate) fn new(exists: &'a dyn Fn(&str) -> bool, owner: &'a dyn Fn(&str) -> Option<&'a str>) -> Slugs<'a> {
        Slugs { claimed: HashSet::new(), exists, owner }
    }

    /// The first free slug from `base` (`base`, `base-2`, …) for an item of
    /// `source`: free when no other item of this run has it and its file
    /// is absent or was written by an import of the same source.
    pub(crate) fn allocate(&mut self, kind: Kind, base: &str, source: &str) -> String {
        let mut n = 1usize;
        loop {
            let slug = if n == 1 { base.to_owned() } else { format!("{base}-{n}") };
            let path = path_of(kind, &slug);
            let ours = (self.owner)(&path).is_none_or(|owner| owner == source);
            let free =
                !self.claimed.contains(&path) && ours && (!(self.exists)(&path) || (self.owner)(&path).is_some());
            if free {
                self.claimed.insert(path);
                return slug;
            }
            n += 1;
        }
    }
}

pub(crate) fn path_of(kind: Kind, slug: &str) -> String {
    format!("{}/{slug}.{}", kind.folder(), kind.extension())
}

/// The slugs given to one source's drafts.
#[derive(Debug, Default)]
pub(crate) struct Named {
    pub(crate) page: String,
    pub(crate) stories: Vec<String>,
    pub(crate) media: Vec<String>,
}

pub(crate) fn name(x: &Extract, source: &str, slugs: &mut Slugs<'_>, fallback: &str) -> Named {
    let page_base =
        slugify(&x.page.title, 8).or_else(|| slugify(fallback, 8)).unwrap_or_else(|| "imported-page".into());
    let page = slugs.allocate(Kind::Page, &page_base, source);
    let stories = x
        .stories
        .iter()
        .map(|s| slugs.allocate(Kind::Story, &slugify(&s.title, 8).unwrap_or_else(|| "story".into()), source))
        .collect();
    let media = x
        .media
        .iter()
        .map(|m| {
            if m.writable() {
                slugs.allocate(Kind::Media, &slugify(&m.name, 6).unwrap_or_else(|| "media".into()), source)
            } else {
                String::new()
            }
        })
        .collect();
    Named { page, stories, media }
}

/// Where links go: old addresses of imported (or already modelled) pages
/// to their items.
pub(crate) struct Links<'a> {
    /// `legacy_path` of an old address to the page's slug.
    pub(crate) pages: &'a HashMap<String, String>,
    /// The legacy site's origin (`https://www.unicef.org`), or "" when
    /// old addresses are paths.
    pub(crate) origin: &'a str,
    /// The new site's base URL, from `site.toml`.
    pub(crate) site_base: &'a str,
}

impl Links<'_> {
    /// The Markdown target for an old link, or `None` to keep only its text.
    fn target(&self, url: &str, text: &str, notes: &mut Vec<Note>) -> Option<String> {
        let mut note = |message: String| notes.push(Note::new(NoteKind::UnresolvedLink, message, Some(text)));
        if url.starts_with('#') {
            note(format!("in-page anchor `{url}`: kept as text"));
            return None;
        }
        if !tessera_core::is_safe_url(url) {
            note(format!("link to `{url}` has an unsafe scheme: kept as text"));
            return None;
        }
        let on_old_site = if self.origin.is_empty() {
            url.starts_with('/') && !url.starts_with("//")
        } else {
            url.strip_prefix(self.origin).is_some_and(|r| r.is_empty() || r.starts_with(['/', '?', '#']))
        };
        if on_old_site {
            if let Some(slug) = legacy_path(url).and_then(|p| self.pages.get(&p)) {
                return Some(format!("@/pages/{slug}.md"));
            }
            if self.origin.is_empty() || self.reads_as_item(url) {
                note(format!("link to the old page `{url}`, which no imported item replaces: kept as text"));
                return None;
            }
            note(format!("link to the old page `{url}`, which no imported item replaces: it still points there"));
        }
        Some(encode_href(url))
    }

    /// Whether the new site would read `url` as one of its own item
    /// addresses (`/stories/slug/`), which the loader checks.
    fn reads_as_item(&self, url: &str) -> bool {
        let base = self.site_base.trim_end_matches('/');
        let path = if !base.is_empty() && url.starts_with(base) { &url[base.len()..] } else { url };
        let segments: Vec<&str> =
            path.split(['?', '#']).next().unwrap_or("").split('/').filter(|s| !s.is_empty()).collect();
        segments.iter().take(2).any(|s| Kind::from_folder(s).is_some())
    }
}

/// Characters an old address may hold that would end a Markdown link.
fn encode_href(url: &str) -> String {
    let mut out = String::with_capacity(url.len());
    for c in url.chars() {
        match c {
            ' ' => out.push_str("%20"),
            '(' => out.push_str("%28"),
            ')' => out.push_str("%29"),
            '<' => out.push_str("%3C"),
            '>' => out.push_str("%3E"),
            c if c.is_whitespace() || c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Turns link marks into Markdown links (or their text alone).
fn resolve_links(markdown: &str, x: &Extract, links: &Links<'_>, notes: &mut Vec<Note>) -> String {
    if !markdown.contains(LINK_OPEN) {
        return markdown.to_owned();
    }
    let mut out = String::with_capacity(markdown.len());
    let mut open: Vec<(usize, Option<String>)> = Vec::new();
    let mut chars = markdown.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            LINK_OPEN => {
                let mut number = String::new();
                while let Some((_, d)) = chars.next_if(|(_, d)| *d != LINK_MID) {
                    number.push(d);
                }
                chars.next();
                let url = number.parse::<usize>().ok().and_then(|n| x.links.get(n));
                let text_start = chars.peek().map_or(markdown.len(), |(j, _)| *j);
                let text_end = markdown[text_start..].find(LINK_CLOSE).map_or(markdown.len(), |e| text_start + e);
                let text = &markdown[text_start..text_end];
                let target = url.and_then(|u| links.target(u, &plain_of(text), notes));
                if target.is_some() {
                    out.push('[');
                }
                open.push((i, target));
            }
            LINK_CLOSE => {
                if let Some((_, Some(target))) = open.pop() {
                    out.push_str("](");
                    out.push_str(&target);
                    out.push(')');
                }
            }
            c => out.push(c),
        }
    }
    out
}

/// Markdown of inline text back to words, for the report.
fn plain_of(markdown: &str) -> String {
    markdown.replace('\\', "").replace(['*', LINK_OPEN, LINK_MID, LINK_CLOSE], "")
}

fn body(parts: &[Part], x: &Extract, named: &Named, links: &Links<'_>, notes: &mut Vec<Note>) -> String {
    let mut blocks: Vec<String> = Vec::new();
    let mut list: Vec<String> = Vec::new();
    let mut list_ordered = false;
    // The number the next item of the open ordered list gets, and the
    // delimiter the list is written with (see below).
    let mut next_number = 1u32;
    let mut delimiter = '.';
    let flush = |list: &mut Vec<String>, blocks: &mut Vec<String>| {
        if !list.is_empty() {
            blocks.push(list.join("\n"));
            list.clear();
        }
    };
    for part in parts {
        match part {
            Part::Story(s) => {
                if list_ordered {
                    flush(&mut list, &mut blocks);
                    list_ordered = false;
                }
                if let (Some(story), Some(slug)) = (x.stories.get(*s), named.stories.get(*s)) {
                    let title = crate::markdown::escape(&story.title);
                    list.push(format!("- [{title}](@/stories/{slug}.md)"));
                }
            }
            Part::Item { ordered, number, markdown, .. } => {
                if *ordered != list_ordered {
                    flush(&mut list, &mut blocks);
                    list_ordered = *ordered;
                }
                let text = resolve_links(markdown, x, links, notes);
                let marker = if *ordered {
                    // A list shows the number its first item was written
                    // with and counts on from it. An item numbered otherwise
                    // than the count starts a list of its own; Markdown
                    // keeps two lists apart only when their delimiters
                    // differ (`1.` then `5)`), a blank line is not enough.
                    if list.is_empty() {
                        next_number = number.unwrap_or(1);
                    } else if number.is_some_and(|n| n != next_number) {
                        flush(&mut list, &mut blocks);
                        delimiter = if delimiter == '.' { ')' } else { '.' };
                        next_number = number.unwrap_or(1);
                    }
                    let marker = format!("{next_number}{delimiter}");
                    next_number = next_number.saturating_add(1);
                    marker
                } else {
                    "-".to_owned()
                };
                list.push(format!("{marker} {}", crate::markdown::guard_line_start(&text)));
            }
            other => {
                flush(&mut list, &mut blocks);
                match other {
                    Part::Text { markdown, .. } => blocks.push(resolve_links(markdown, x, links, notes)),
                    Part::Quote(n) => blocks.push(format!("![]({}{n})", tessera_core::QUOTE_EMBED)),
                    Part::Media(m) => {
                        if let (Some(media), Some(slug)) = (x.media.get(*m), named.media.get(*m))
                            && media.writable()
                        {
                            let alt = crate::markdown::escape(media.alt.as_deref().unwrap_or_default());
                            blocks.push(format!("![{alt}](@/media/{slug}.toml)"));
                        }
                    }
                    Part::Item { .. } | Part::Story(_) => {}
                }
            }
        }
    }
    flush(&mut list, &mut blocks);
    let mut text = blocks.join("\n\n");
    text.push('\n');
    text
}

/// A comment naming where an item came from; control characters removed.
fn provenance(url: &str) -> String {
    let url: String = url.chars().map(|c| if c.is_control() { '?' } else { c }).collect();
    format!("# Imported by `tessera import` from {url}; edit freely: a later import leaves edited items alone.\n")
}

fn front_matter<T: serde::Serialize>(value: &T, url: &str, body: &str) -> Result<Vec<u8>, String> {
    let toml = toml::to_string(value).map_err(|e| e.to_string())?;
    Ok(format!("+++\n{}{toml}+++\n{body}", provenance(url)).into_bytes())
}

/// Every file one source gives, in the order they are written.
pub(crate) fn render(
    x: &Extract,
    named: &Named,
    url: &str,
    section: Option<&str>,
    links: &Links<'_>,
    notes: &mut Vec<Note>,
) -> Result<Vec<Planned>, String> {
    let mut files = Vec::new();
    for (m, slug) in x.media.iter().zip(&named.media) {
        if !m.writable() {
            continue;
        }
        let media = Media {
            kind: m.kind,
            src: None,
            alt: m.alt.clone(),
            caption: m.caption.clone(),
            credit: m.credit.clone(),
            country: m.country,
            year: m.year.filter(|y| (1800..=2200).contains(y)),
        };
        let toml = toml::to_string(&media).map_err(|e| e.to_string())?;
        let mut text = format!("#:schema ../../schema/content.schema.json\n{}", provenance(url));
        if let Some(src) = &m.old_src {
            let src: String = src.chars().map(|c| if c.is_control() { '?' } else { c }).collect();
            text.push_str(&format!("# The old file, to migrate into `src`: {src}\n"));
        }
        text.push_str(&toml);
        files.push(Planned {
            path: path_of(Kind::Media, slug),
            kind: Kind::Media,
            title: m.alt.clone().or_else(|| m.caption.clone()).unwrap_or_default(),
            bytes: text.into_bytes(),
        });
    }
    let media_refs = |indices: &[usize]| -> Vec<Ref<Media>> {
        indices
            .iter()
            .filter(|&&i| x.media.get(i).is_some_and(|m| m.writable()))
            .filter_map(|&i| named.media.get(i))
            .map(|s| Ref::new(s.clone()))
            .collect()
    };
    for (s, slug) in x.stories.iter().zip(&named.stories) {
        let story = Story {
            title: s.title.clone(),
            country: s.country,
            summary: s.summary.clone(),
            media: media_refs(&s.media),
            date: s.date.and_then(|d| Timestamp::parse(&d.format("%Y-%m-%d").to_string()).ok()),
            topics: Vec::new(),
            partners: Vec::new(),
            status: Status::Review,
            publish_at: None,
            updated: None,
        };
        let text = body(&s.body, x, named, links, notes);
        files.push(Planned {
            path: path_of(Kind::Story, slug),
            kind: Kind::Story,
            title: s.title.clone(),
            bytes: front_matter(&story, url, &text)?,
        });
    }
    let page = Page {
        title: x.page.title.clone(),
        summary: x.page.summary.clone(),
        section: section.map(str::to_owned),
        hero: x.page.hero.and_then(|h| named.media.get(h)).map(|s| Hero { media: Ref::new(s.clone()), caption: None }),
        quotes: x.page.quotes.clone(),
        measures: Vec::new(),
        partners: Vec::new(),
        from_the_field: x
            .page
            .from_the_field
            .iter()
            .filter_map(|&i| named.stories.get(i))
            .map(|s| Ref::new(s.clone()))
            .collect(),
        topics: Vec::new(),
        legacy_urls: vec![url.to_owned()],
        status: Status::Review,
        publish_at: None,
        updated: None,
    };
    let text = body(&x.page.body, x, named, links, notes);
    files.push(Planned {
        path: path_of(Kind::Page, &named.page),
        kind: Kind::Page,
        title: x.page.title.clone(),
        bytes: front_matter(&page, url, &text)?,
    });
    Ok(files)
}
