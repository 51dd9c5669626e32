//! Plain-text dumps of legacy pages (what a browser's "save as text" or
//! `lynx -dump` keeps): one block per non-empty line.

use crate::legacy::{Block, Inline, LegacyDoc, chrome, link_labels};

/// A line this short without closing punctuation is a heading.
const MAX_HEADING_WORDS: usize = 12;

/// Reads a text dump into blocks. Every non-empty line becomes exactly one
/// block, so no text can be lost here.
pub(crate) fn read(text: &str) -> LegacyDoc {
    let mut doc = LegacyDoc::default();
    let mut seen_heading = false;
    for line in text.lines() {
        let line = crate::markdown::squash(line);
        if line.is_empty() {
            continue;
        }
        if let Some(what) = chrome(&line) {
            doc.blocks.push(Block::Dropped { what, text: line });
            continue;
        }
        if let Some(rest) = line.strip_prefix('•') {
            doc.blocks.push(Block::Item { ordered: false, number: None, text: Inline::text(rest) });
            continue;
        }
        if link_labels(&line).is_some() {
            // Kept as a paragraph: shaping reports the labels.
            doc.blocks.push(Block::Paragraph(Inline::text(&line)));
            continue;
        }
        let numbered = numbered(&line);
        let short = line.split_whitespace().count() <= MAX_HEADING_WORDS
            && !line.ends_with(['.', ',', ';', ':', '!', '?', '"', '”', '»', ')'])
            && !line.starts_with('©')
            && !line.starts_with("UNICEF Image:")
            && !line.starts_with("Photo Caption:");
        if short {
            let level = if seen_heading { 2 } else { 1 };
            seen_heading = true;
            doc.blocks.push(Block::Heading { level, text: Inline::text(&line) });
        } else if let Some((number, rest)) = numbered {
            doc.blocks.push(Block::Item { ordered: true, number: Some(number), text: Inline::text(rest) });
        } else {
            doc.blocks.push(Block::Paragraph(Inline::text(&line)));
        }
    }
    doc
}

/// The number and the text after it when a line starts with a number and
/// a dot (`12. `).
fn numbered(line: &str) -> Option<(u32, &str)> {
    let digits = line.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 || digits > 3 {
        return None;
    }
    let number = line[..digits].parse().ok()?;
    line[digits..].strip_prefix(". ").map(|rest| (number, rest.trim()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_become_headings_items_and_paragraphs() {
        let doc = read(
            "Title here\n\n  • A bullet.\n1. Numbered heading\n2. A long numbered point that goes on and on, as points in lists do, until it ends.\nA paragraph.\nNew enhanced search",
        );
        let kinds: Vec<&str> = doc
            .blocks
            .iter()
            .map(|b| match b {
                Block::Heading { level: 1, .. } => "h1",
                Block::Heading { .. } => "h2",
                Block::Item { ordered: false, .. } => "li",
                Block::Item { ordered: true, .. } => "ol",
                Block::Paragraph(_) => "p",
                Block::Dropped { .. } => "dropped",
                _ => "other",
            })
            .collect();
        assert_eq!(kinds, ["h1", "li", "h2", "ol", "p", "dropped"]);
    }
}
