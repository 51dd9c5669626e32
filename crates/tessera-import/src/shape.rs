//! Blocks of a legacy page to drafts of items: the page, its photos, the
//! stories of a listing or a "From the field" block, its quotes, and notes
//! for the editor. Slugs and files are decided later (`plan.rs`).

use chrono::NaiveDate;
use tessera_core::{Country, MediaKind, Quote};

use crate::legacy::{
    Block, Dropped, Inline, LegacyDoc, Note, NoteKind, country_in, country_named, dateline, first_sentence,
    inline_quote, is_credit, link_labels, photo_caption, photo_line, trailing_labels,
};
use crate::markdown::{LINK_MID, LINK_OPEN, escape, guard_line_start};

/// One block of a body, before slugs are known.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Part {
    /// A paragraph, heading, block quote or table, as Markdown.
    Text { markdown: String, plain: String },
    /// A list item; consecutive items make one list. `number` is what the
    /// page wrote before an ordered item, if anything.
    Item { ordered: bool, number: Option<u32>, markdown: String, plain: String },
    /// `![](@quote/N)`.
    Quote(usize),
    /// A photo placed in the body (by index into `Extract::media`).
    Media(usize),
    /// A link to a story of the same source (a listing's entry).
    Story(usize),
}

#[derive(Debug, Default)]
pub(crate) struct PageDraft {
    pub(crate) title: String,
    pub(crate) summary: Option<String>,
    pub(crate) hero: Option<usize>,
    pub(crate) quotes: Vec<Quote>,
    pub(crate) from_the_field: Vec<usize>,
    pub(crate) body: Vec<Part>,
}

#[derive(Debug, Default)]
pub(crate) struct StoryDraft {
    pub(crate) title: String,
    pub(crate) country: Option<Country>,
    pub(crate) date: Option<NaiveDate>,
    pub(crate) summary: Option<String>,
    pub(crate) media: Vec<usize>,
    pub(crate) body: Vec<Part>,
}

#[derive(Debug)]
pub(crate) struct MediaDraft {
    pub(crate) kind: MediaKind,
    pub(crate) alt: Option<String>,
    pub(crate) caption: Option<String>,
    pub(crate) credit: Option<String>,
    pub(crate) country: Option<Country>,
    pub(crate) year: Option<u16>,
    /// Words the slug is made from.
    pub(crate) name: String,
    /// The photo line or image address it was read from.
    pub(crate) origin: String,
    /// The old file's address, for the editor who migrates it.
    pub(crate) old_src: Option<String>,
}

impl MediaDraft {
    /// Whether the media item can be written: an image needs alt text,
    /// and the importer never invents one.
    pub(crate) fn writable(&self) -> bool {
        self.kind != MediaKind::Image || self.alt.is_some()
    }
}

/// Everything one source gives.
#[derive(Debug, Default)]
pub(crate) struct Extract {
    pub(crate) page: PageDraft,
    pub(crate) stories: Vec<StoryDraft>,
    pub(crate) media: Vec<MediaDraft>,
    pub(crate) notes: Vec<Note>,
    pub(crate) dropped: Vec<Dropped>,
    pub(crate) links: Vec<String>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Target {
    Page,
    Story(usize),
}

/// How many words of a paragraph name a guessed story title.
const TITLE_WORDS: usize = 10;

/// Shapes a legacy page. The page's title is empty when the source holds
/// no text besides chrome: then there is nothing to write, and only the
/// report has something to say.
pub(crate) fn shape(doc: LegacyDoc) -> Extract {
    let LegacyDoc { title_hint, blocks, links, notes } = doc;
    let mut x = Extract { links, notes, ..Extract::default() };
    let title_index = blocks
        .iter()
        .position(|b| matches!(b, Block::Heading { level: 1, .. }))
        .or_else(|| blocks.iter().position(|b| matches!(b, Block::Heading { .. })));
    x.page.title = match title_index.and_then(|i| heading_text(&blocks[i])) {
        Some(t) => {
            if let Some(hint) = title_hint.filter(|h| h != &t.plain) {
                x.dropped.push(Dropped { what: "browser title".into(), text: hint });
            }
            t.plain.clone()
        }
        None => match title_hint {
            Some(hint) => hint,
            None => {
                let Some(first) = blocks.iter().find_map(block_plain) else {
                    x.dropped.extend(blocks.into_iter().filter_map(|b| match b {
                        Block::Dropped { what, text } => Some(Dropped { what: what.to_owned(), text }),
                        _ => None,
                    }));
                    return x;
                };
                let title = words(first, TITLE_WORDS);
                x.notes.push(Note::new(
                    NoteKind::Reading,
                    "no heading: the title is the first words of the text",
                    None,
                ));
                title
            }
        },
    };

    let mut target = Target::Page;
    let mut in_field = false;
    let mut last_photo: Option<usize> = None;
    let mut first_paragraph: Option<String> = None;
    let mut i = 0;
    while i < blocks.len() {
        let block = &blocks[i];
        i += 1;
        if Some(i - 1) == title_index {
            continue;
        }
        if let Block::Dropped { what, text } = block {
            x.dropped.push(Dropped { what: (*what).to_owned(), text: text.clone() });
            continue;
        }
        if let Block::Image { alt, src } = block {
            let photo = match alt.as_deref().and_then(photo_line) {
                Some(line) => photo_from_line(&mut x, line, alt.as_deref().unwrap_or_default(), src.clone()),
                None => {
                    let alt = alt.clone().filter(|a| !a.is_empty());
                    MediaDraft {
                        kind: MediaKind::Image,
                        name: alt.clone().or_else(|| src.as_deref().map(file_stem)).unwrap_or_else(|| "photo".into()),
                        origin: src.clone().unwrap_or_else(|| "<img> without src".into()),
                        alt,
                        caption: None,
                        credit: None,
                        country: None,
                        year: None,
                        old_src: src.clone(),
                    }
                }
            };
            last_photo = Some(place_photo(&mut x, target, photo));
            continue;
        }
        let Some(plain) = block_plain(block) else {
            if let Block::Table(rows) = block {
                push(&mut x, target, Part::Text { markdown: table(rows), plain: table_plain(rows) });
            }
            continue;
        };
        if let Some(line) = photo_line(plain) {
            let photo = photo_from_line(&mut x, line, plain, None);
            last_photo = Some(place_photo(&mut x, target, photo));
            continue;
        }
        if is_credit(plain) {
            match last_photo.filter(|&m| x.media[m].credit.is_none()) {
                Some(m) => x.media[m].credit = Some(plain.to_owned()),
                None => x.notes.push(Note::new(
                    NoteKind::CreditWithoutPhoto,
                    "a credit line with no photo before it",
                    Some(plain),
                )),
            }
            continue;
        }
        if let Some(caption) = photo_caption(plain) {
            match x.media.iter_mut().find(|m| m.kind == MediaKind::Image && m.caption.is_none()) {
                Some(m) => m.caption = Some(caption.to_owned()),
                None => x.notes.push(Note::new(
                    NoteKind::CaptionWithoutPhoto,
                    "a photo caption with no photo left to caption",
                    Some(plain),
                )),
            }
            continue;
        }
        if let Some(labels) = link_labels(plain).filter(|_| !block_markdown(block).contains(LINK_OPEN)) {
            for label in labels {
                x.notes.push(label_note(&label));
            }
            continue;
        }
        if let Block::Heading { level, text } = block {
            last_photo = None;
            if text.plain.eq_ignore_ascii_case("From the field") {
                x.dropped.push(Dropped {
                    what: "heading, read as the page's from_the_field".into(),
                    text: text.plain.clone(),
                });
                in_field = true;
                target = Target::Page;
                continue;
            }
            if let Some(line) = blocks.get(i).and_then(|b| match b {
                Block::Paragraph(t) => dateline(&t.plain),
                _ => None,
            }) {
                for url in links_in(&text.markdown, &x.links) {
                    x.notes.push(Note::new(
                        NoteKind::UnresolvedLink,
                        format!("story \"{}\" had its own old page `{url}`; stories keep no old address", text.plain),
                        Some(&text.plain),
                    ));
                }
                if line.country.is_none() {
                    x.notes.push(Note::new(
                        NoteKind::UnknownCountry,
                        format!("the dateline of story \"{}\" names no known country", text.plain),
                        Some(&line.country_name),
                    ));
                }
                x.stories.push(StoryDraft {
                    title: text.plain.clone(),
                    country: line.country,
                    date: Some(line.date),
                    ..StoryDraft::default()
                });
                let n = x.stories.len() - 1;
                x.page.body.push(Part::Story(n));
                target = Target::Story(n);
                in_field = false;
                continue;
            }
            in_field = false;
            target = Target::Page;
            let level = (*level).clamp(2, 6) as usize;
            push(
                &mut x,
                target,
                Part::Text { markdown: format!("{} {}", "#".repeat(level), text.markdown), plain: text.plain.clone() },
            );
            continue;
        }
        match block {
            Block::Paragraph(text) if in_field => field_story(&mut x, text),
            Block::Paragraph(text) => {
                if target == Target::Page
                    && let Some(q) = inline_quote(&text.plain)
                {
                    x.page.quotes.push(Quote { text: q.text, source: q.source, article: None, intro: Some(q.intro) });
                    x.page.body.push(Part::Quote(x.page.quotes.len()));
                    continue;
                }
                if target == Target::Page && first_paragraph.is_none() {
                    first_paragraph = Some(text.plain.clone());
                }
                push(
                    &mut x,
                    target,
                    Part::Text { markdown: guard_line_start(&text.markdown), plain: text.plain.clone() },
                );
            }
            Block::Item { ordered, number, text } => push(
                &mut x,
                target,
                Part::Item {
                    ordered: *ordered,
                    number: *number,
                    markdown: text.markdown.clone(),
                    plain: text.plain.clone(),
                },
            ),
            Block::Quotation(text) => {
                push(&mut x, target, Part::Text { markdown: format!("> {}", text.markdown), plain: text.plain.clone() })
            }
            _ => {}
        }
    }
    x.page.summary = first_paragraph.as_deref().and_then(first_sentence);
    propose_measures(&mut x);
    for m in &x.media {
        if !m.writable() {
            let mut text = m.origin.clone();
            for extra in [&m.caption, &m.credit].into_iter().flatten() {
                text.push_str(" | ");
                text.push_str(extra);
            }
            x.notes.push(Note::new(
                NoteKind::NoAltText,
                "a photo without a description: no media item was written (write its alt text, then add it)",
                Some(&text),
            ));
        }
    }
    x
}

fn heading_text(block: &Block) -> Option<&Inline> {
    match block {
        Block::Heading { text, .. } => Some(text),
        _ => None,
    }
}

fn block_markdown(block: &Block) -> &str {
    match block {
        Block::Heading { text, .. } | Block::Paragraph(text) | Block::Item { text, .. } | Block::Quotation(text) => {
            &text.markdown
        }
        _ => "",
    }
}

/// The targets of the links marked in `markdown`.
fn links_in<'a>(markdown: &str, links: &'a [String]) -> Vec<&'a str> {
    markdown
        .split(LINK_OPEN)
        .skip(1)
        .filter_map(|rest| rest.split(LINK_MID).next()?.parse::<usize>().ok())
        .filter_map(|n| links.get(n).map(String::as_str))
        .collect()
}

fn block_plain(block: &Block) -> Option<&str> {
    match block {
        Block::Heading { text, .. } | Block::Paragraph(text) | Block::Item { text, .. } | Block::Quotation(text) => {
            Some(&text.plain)
        }
        _ => None,
    }
}

fn words(text: &str, n: usize) -> String {
    text.split_whitespace().take(n).collect::<Vec<_>>().join(" ")
}

fn file_stem(src: &str) -> String {
    let name = src.rsplit('/').next().unwrap_or(src);
    name.rsplit_once('.').map_or(name, |(stem, _)| stem).to_owned()
}

fn push(x: &mut Extract, target: Target, part: Part) {
    match target {
        Target::Page => x.page.body.push(part),
        Target::Story(n) => {
            if let Some(story) = x.stories.get_mut(n) {
                story.body.push(part);
            }
        }
    }
}

fn photo_from_line(x: &mut Extract, line: crate::legacy::PhotoLine, written: &str, src: Option<String>) -> MediaDraft {
    let country = line.place.as_deref().and_then(country_named);
    if let (Some(place), None) = (&line.place, country) {
        x.notes.push(Note::new(NoteKind::UnknownCountry, "a photo's place names no known country", Some(place)));
    }
    let name = [line.place.clone(), line.year.map(|y| y.to_string()), line.description.clone()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    MediaDraft {
        kind: MediaKind::Image,
        alt: line.description,
        caption: None,
        credit: None,
        country,
        year: line.year,
        name,
        origin: written.to_owned(),
        old_src: src,
    }
}

/// Adds a photo: the page's first is its hero, later ones are placed in the
/// body; a story's go to its media.
fn place_photo(x: &mut Extract, target: Target, photo: MediaDraft) -> usize {
    let writable = photo.writable();
    x.media.push(photo);
    let n = x.media.len() - 1;
    match target {
        Target::Page if x.page.hero.is_none() && writable => x.page.hero = Some(n),
        Target::Page => x.page.body.push(Part::Media(n)),
        Target::Story(s) => {
            if let Some(story) = x.stories.get_mut(s) {
                story.media.push(n);
            }
        }
    }
    n
}

fn label_note(label: &str) -> Note {
    Note::new(
        NoteKind::UnresolvedLink,
        format!("link label `{label}`: the source keeps the label, not the address; link the item by hand"),
        Some(label),
    )
}

/// An entry of a "From the field" block: a story with its link labels.
fn field_story(x: &mut Extract, text: &Inline) {
    let (plain, labels) = trailing_labels(&text.plain);
    let markdown = if labels.is_empty() { guard_line_start(&text.markdown) } else { guard_line_start(&escape(&plain)) };
    let title = quoted(&plain).unwrap_or_else(|| {
        x.notes.push(Note::new(
            NoteKind::Reading,
            "a \"From the field\" story's title was taken from its first words",
            Some(&plain),
        ));
        words(&plain, TITLE_WORDS)
    });
    let country = country_in(&plain);
    let mut story = StoryDraft { title, country, summary: Some(plain.clone()), ..StoryDraft::default() };
    story.body.push(Part::Text { markdown, plain: plain.clone() });
    for label in labels {
        if label.to_lowercase().contains("video") {
            x.media.push(MediaDraft {
                kind: MediaKind::Video,
                alt: None,
                caption: Some(label.clone()),
                credit: None,
                country,
                year: None,
                name: format!("{} {label}", story.title),
                origin: label.clone(),
                old_src: None,
            });
            story.media.push(x.media.len() - 1);
            x.notes.push(Note::new(
                NoteKind::UnresolvedLink,
                format!("link label `{label}`: a video item was made for it, without its address"),
                Some(&label),
            ));
        } else {
            x.notes.push(label_note(&label));
        }
    }
    x.stories.push(story);
    x.page.from_the_field.push(x.stories.len() - 1);
}

/// The first phrase in quotation marks, when it is a plausible title.
fn quoted(text: &str) -> Option<String> {
    for (open, close) in [('"', '"'), ('“', '”'), ('«', '»')] {
        if let Some((_, rest)) = text.split_once(open)
            && let Some((inner, _)) = rest.split_once(close)
        {
            let n = inner.split_whitespace().count();
            if (1..=TITLE_WORDS).contains(&n) {
                return Some(inner.trim().to_owned());
            }
        }
    }
    None
}

/// A list right after a paragraph that announces measures: each item could
/// be a measure. The importer proposes; editors decide.
fn propose_measures(x: &mut Extract) {
    let body = &x.page.body;
    for (i, part) in body.iter().enumerate() {
        let Part::Text { plain, .. } = part else { continue };
        if !plain.to_lowercase().contains("measures") {
            continue;
        }
        let items: Vec<String> = body[i + 1..]
            .iter()
            .map_while(|p| match p {
                Part::Item { plain, .. } => {
                    Some(plain.split([';', '(', ',']).next().unwrap_or(plain).trim().to_owned())
                }
                _ => None,
            })
            .collect();
        if !items.is_empty() {
            x.notes.push(Note::new(
                NoteKind::Proposal,
                format!(
                    "the {} list items after \"{}\" could become measures (measures/<slug>.md)",
                    items.len(),
                    words(plain, 8)
                ),
                Some(&items.join(" | ")),
            ));
        }
    }
}

/// A data table as a GitHub-flavoured Markdown table (first row as header).
fn table(rows: &[Vec<Inline>]) -> String {
    let width = rows.iter().map(Vec::len).max().unwrap_or(1).max(1);
    let line = |row: &[Inline]| {
        let mut cells: Vec<&str> = row.iter().map(|c| c.markdown.as_str()).collect();
        cells.resize(width, "");
        format!("| {} |", cells.join(" | "))
    };
    let mut out = Vec::with_capacity(rows.len() + 1);
    for (i, row) in rows.iter().enumerate() {
        out.push(line(row));
        if i == 0 {
            out.push(format!("|{}", " --- |".repeat(width)));
        }
    }
    out.join("\n")
}

fn table_plain(rows: &[Vec<Inline>]) -> String {
    rows.iter().map(|r| r.iter().map(|c| c.plain.as_str()).collect::<Vec<_>>().join(" ")).collect::<Vec<_>>().join(" ")
}
