//! Wrapping a screen to a width: lines of styled spans, links numbered in
//! reading order. The terminal browser and the plain reader share it.

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use crate::screens::{Part, Screen, Seg, Style, Target};

/// A span of a wrapped line.
#[derive(Debug, Clone, PartialEq)]
pub struct Span {
    /// The text.
    pub text: String,
    /// How it looks.
    pub style: Style,
    /// The number (0-based) of the link it belongs to.
    pub link: Option<usize>,
    /// Whether this is a link's `[n]` marker.
    pub marker: bool,
}

/// What kind of line this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind {
    /// Body text.
    Text,
    /// A heading of this level.
    Heading(u8),
    /// Part of a quotation.
    Quote,
    /// Preformatted.
    Pre,
}

/// One wrapped line.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    /// The spans, left to right.
    pub spans: Vec<Span>,
    /// What kind of line.
    pub kind: LineKind,
}

impl Line {
    /// The line's text.
    pub fn text(&self) -> String {
        self.spans.iter().map(|s| s.text.as_str()).collect()
    }
}

/// A screen wrapped to a width.
#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    /// The lines.
    pub lines: Vec<Line>,
    /// Every link, numbered from 0, in reading order.
    pub links: Vec<Target>,
    /// The first line of each link.
    pub link_lines: Vec<usize>,
}

struct Word {
    text: String,
    style: Style,
    link: Option<usize>,
    marker: bool,
    /// Whether a space came before it.
    space: bool,
}

/// How a layout marks structure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Marking {
    /// For the eye, in a terminal: underlined headings, a bar before quoted
    /// lines, rules drawn.
    Drawn,
    /// For a screen reader, a braille display or a pipe: headings marked
    /// `#` as in Markdown (and as `lynx -dump` readers expect), quotes
    /// indented, nothing drawn that a voice would read out as symbols.
    Plain,
}

/// Wraps `screen` to `width` columns (at least 10), drawn for a terminal.
pub fn layout(screen: &Screen, width: usize) -> Layout {
    layout_marked(screen, width, Marking::Drawn)
}

/// Wraps `screen` to `width` columns (at least 10), marked as `marking` says.
pub fn layout_marked(screen: &Screen, width: usize, marking: Marking) -> Layout {
    let width = width.max(10);
    let mut out = Layout { lines: Vec::new(), links: Vec::new(), link_lines: Vec::new() };
    let mut previous: Option<&Part> = None;
    for part in &screen.parts {
        let same_list = match (previous, part) {
            // A blank marker continues the item above after a blank line.
            (Some(Part::Item(..)), Part::Item(marker, ..)) => !marker.trim().is_empty(),
            (Some(Part::Quote(_)), Part::Quote(_)) => true,
            _ => false,
        };
        if previous.is_some() && !same_list {
            out.lines.push(Line { spans: Vec::new(), kind: LineKind::Text });
        }
        previous = Some(part);
        match part {
            Part::Heading(level, text) if marking == Marking::Plain => {
                let words = words_of(&[Seg { text: text.clone(), style: Style::Strong, link: None }], &mut out);
                let mark = format!("{} ", "#".repeat(usize::from((*level).clamp(1, 6))));
                let rest = " ".repeat(mark.width());
                wrap(&mut out, words, width, &mark, &rest, LineKind::Heading(*level));
            }
            Part::Heading(level, text) => {
                let style = Style::Strong;
                let words = words_of(&[Seg { text: text.clone(), style, link: None }], &mut out);
                wrap(&mut out, words, width, "", "", LineKind::Heading(*level));
                if *level <= 2 {
                    let underline = if *level == 1 { "═" } else { "─" };
                    let w = out.lines.last().map_or(0, |l| l.text().width()).min(width);
                    out.lines.push(Line {
                        spans: vec![Span { text: underline.repeat(w), style: Style::Dim, link: None, marker: false }],
                        kind: LineKind::Heading(*level),
                    });
                }
            }
            Part::Para(segs) => {
                let words = words_of(segs, &mut out);
                wrap(&mut out, words, width, "", "", LineKind::Text);
            }
            Part::Item(marker, depth, segs) => {
                let indent = "  ".repeat(*depth);
                let first = format!("{indent}{marker} ");
                let rest = " ".repeat(first.width());
                let words = words_of(segs, &mut out);
                wrap(&mut out, words, width, &first, &rest, LineKind::Text);
            }
            Part::Quote(segs) => {
                let words = words_of(segs, &mut out);
                let bar = if marking == Marking::Plain { "    " } else { "│ " };
                wrap(&mut out, words, width, bar, bar, LineKind::Quote);
            }
            Part::Pre(text) => {
                for line in text.lines() {
                    for chunk in split_width(line, width) {
                        out.lines.push(Line {
                            spans: vec![Span { text: chunk, style: Style::Code, link: None, marker: false }],
                            kind: LineKind::Pre,
                        });
                    }
                }
            }
            Part::Rule if marking == Marking::Plain => out.lines.push(Line { spans: Vec::new(), kind: LineKind::Text }),
            Part::Rule => out.lines.push(Line {
                spans: vec![Span { text: "─".repeat(width.min(40)), style: Style::Dim, link: None, marker: false }],
                kind: LineKind::Text,
            }),
        }
    }
    // Where each link starts, for Tab and numbers.
    out.link_lines = vec![0; out.links.len()];
    let mut seen = vec![false; out.links.len()];
    for (i, line) in out.lines.iter().enumerate() {
        for span in &line.spans {
            if let Some(l) = span.link
                && !seen[l]
            {
                seen[l] = true;
                out.link_lines[l] = i;
            }
        }
    }
    out
}

/// Splits segments into words, numbering links and adding their markers.
fn words_of(segs: &[Seg], out: &mut Layout) -> Vec<Word> {
    let mut words: Vec<Word> = Vec::new();
    let mut i = 0;
    while i < segs.len() {
        let target = segs[i].link.clone();
        // Consecutive segments with the same target are one link.
        let mut j = i + 1;
        while target.is_some() && j < segs.len() && segs[j].link == target {
            j += 1;
        }
        let number = target.map(|t| {
            out.links.push(t);
            out.links.len() - 1
        });
        for seg in &segs[i..j] {
            let mut pending_space = seg.text.starts_with(char::is_whitespace);
            for piece in seg.text.split_whitespace() {
                let joined = !pending_space && !words.is_empty();
                words.push(Word {
                    text: piece.to_owned(),
                    style: seg.style,
                    link: number,
                    marker: false,
                    space: !joined,
                });
                pending_space = true;
            }
            if seg.text.ends_with(char::is_whitespace)
                && let Some(last) = words.last_mut()
            {
                let _ = last;
            }
            // A segment ending in a space separates it from the next one.
            if seg.text.ends_with(char::is_whitespace) {
                words.push(Word { text: String::new(), style: seg.style, link: None, marker: false, space: true });
            }
        }
        if let Some(n) = number {
            words.push(Word {
                text: format!("[{}]", n + 1),
                style: Style::Dim,
                link: Some(n),
                marker: true,
                space: false,
            });
        }
        i = j;
    }
    words.retain(|w| !w.text.is_empty() || w.space);
    // Drop empty spacer words but keep their space on the next word.
    let mut merged: Vec<Word> = Vec::new();
    let mut carry = false;
    for w in words {
        if w.text.is_empty() {
            carry = true;
            continue;
        }
        let space = w.space || carry;
        carry = false;
        merged.push(Word { space, ..w });
    }
    if let Some(first) = merged.first_mut() {
        first.space = false;
    }
    merged
}

/// Cuts `text` into pieces at most `width` columns wide.
fn split_width(text: &str, width: usize) -> Vec<String> {
    let mut pieces = vec![String::new()];
    let mut w = 0;
    for c in text.chars() {
        let cw = c.width().unwrap_or(0);
        if w + cw > width && w > 0 {
            pieces.push(String::new());
            w = 0;
        }
        if let Some(last) = pieces.last_mut() {
            last.push(c);
        }
        w += cw;
    }
    pieces
}

fn wrap(out: &mut Layout, words: Vec<Word>, width: usize, first: &str, rest: &str, kind: LineKind) {
    let prefix_span = |p: &str| Span { text: p.to_owned(), style: Style::Dim, link: None, marker: false };
    // Words joined without a space (a word and its punctuation, a link and
    // its `[n]` marker) move to the next line together.
    let mut units: Vec<Vec<Word>> = Vec::new();
    for word in words {
        match units.last_mut() {
            Some(unit) if !word.space => unit.push(word),
            _ => units.push(vec![word]),
        }
    }
    let mut line: Vec<Span> = vec![prefix_span(first)];
    let mut used = first.width();
    let mut empty = true;
    let break_line = |out: &mut Layout, line: &mut Vec<Span>, used: &mut usize, empty: &mut bool| {
        out.lines.push(Line { spans: std::mem::take(line), kind });
        line.push(prefix_span(rest));
        *used = rest.width();
        *empty = true;
    };
    for unit in units {
        let unit_width: usize = unit.iter().map(|w| w.text.width()).sum();
        let sep = usize::from(!empty);
        if !empty && used + sep + unit_width > width {
            break_line(out, &mut line, &mut used, &mut empty);
        }
        if !empty {
            // The space belongs to a link when the link goes on after it.
            let link = match (line.last(), unit.first()) {
                (Some(s), Some(w)) if s.link == w.link && !w.marker => w.link,
                _ => None,
            };
            line.push(Span { text: " ".to_owned(), style: Style::Plain, link, marker: false });
            used += 1;
        }
        for word in unit {
            // A word wider than a whole line is cut into pieces.
            let available = width.saturating_sub(rest.width()).max(1);
            let pieces = if word.text.width() > available {
                split_width(&word.text, available)
            } else {
                vec![word.text.clone()]
            };
            for piece in pieces {
                let pw = piece.width();
                if !empty && used + pw > width {
                    break_line(out, &mut line, &mut used, &mut empty);
                }
                used += pw;
                line.push(Span { text: piece, style: word.style, link: word.link, marker: word.marker });
                empty = false;
            }
        }
    }
    if !empty || line.len() > 1 {
        out.lines.push(Line { spans: line, kind });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Location;

    fn screen(parts: Vec<Part>) -> Screen {
        Screen { title: "t".into(), parts, note: None }
    }

    #[test]
    fn lines_never_exceed_the_width_even_with_wide_or_long_words() {
        let text = "漢字かな交じり文 مرحبا بالعالم supercalifragilisticexpialidociousandthensome words".repeat(3);
        let l = layout(&screen(vec![Part::Para(vec![Seg { text, style: Style::Plain, link: None }])]), 20);
        for line in &l.lines {
            assert!(line.text().width() <= 20, "{:?} is {} wide", line.text(), line.text().width());
        }
    }

    #[test]
    fn links_are_numbered_in_reading_order_with_markers() {
        let go = |s: &str| Some(Target::Go(Location::Topic(s.into())));
        let parts = vec![Part::Para(vec![
            Seg { text: "See ".into(), style: Style::Plain, link: None },
            Seg { text: "the first".into(), style: Style::Plain, link: go("a") },
            Seg { text: " and ".into(), style: Style::Plain, link: None },
            Seg { text: "second".into(), style: Style::Plain, link: go("b") },
            Seg { text: ".".into(), style: Style::Plain, link: None },
        ])];
        let l = layout(&screen(parts), 80);
        assert_eq!(l.lines[0].text(), "See the first[1] and second[2].");
        assert_eq!(l.links.len(), 2);
        assert_eq!(l.link_lines, vec![0, 0]);
    }
}
