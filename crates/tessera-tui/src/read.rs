//! `tessera read`: an item as plain wrapped text with numbered links and a
//! list of them at the end, like `lynx -dump`: no cursor movement, no
//! redraws, so it works with screen readers, braille displays and pipes.

use tessera_core::Kind;

use crate::data::{Location, Source, SourceError};
use crate::layout::{Marking, layout_marked};
use crate::screens::{Screen, Target};

/// Writes `prefix` and `text`, broken into lines of at most `width`
/// columns (a braille display has no more), later lines indented under
/// the first. Addresses have no spaces to break at: they break anywhere.
fn push_wrapped(out: &mut String, prefix: &str, text: &str, width: usize) {
    use unicode_width::UnicodeWidthChar;
    let indent = " ".repeat(prefix.chars().count());
    let room = width.max(prefix.chars().count() + 10) - prefix.chars().count();
    let mut line = String::from(prefix);
    let mut used = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w > room {
            out.push_str(&line);
            out.push('\n');
            line = indent.clone();
            used = 0;
        }
        line.push(c);
        used += w;
    }
    out.push_str(&line);
    out.push('\n');
}

/// The text of item `kind`/`slug` in `locale`, wrapped to `width` columns;
/// `base_url` makes link addresses absolute.
pub fn read<S: Source>(
    source: &mut S,
    kind: Kind,
    slug: &str,
    locale: &str,
    width: usize,
    base_url: &str,
) -> Result<String, SourceError> {
    let data = source.item(kind, slug, locale)?;
    let screen = Screen::item(&data, locale);
    let l = layout_marked(&screen, width, Marking::Plain);
    let mut out = String::new();
    if let Some(note) = &screen.note {
        out.push_str(&format!("({note})\n\n"));
    }
    for line in &l.lines {
        out.push_str(line.text().trim_end());
        out.push('\n');
    }
    if !l.links.is_empty() {
        out.push_str("\nLinks:\n");
        // Addresses come from the site map, in the reader's locale: the
        // same pages the exported site has, and none it does not.
        let map = source.site_map()?;
        let reading = tessera_core::Locale::parse(locale).unwrap_or_else(|_| map.default_locale().clone());
        let base = base_url.trim_end_matches('/');
        for (i, target) in l.links.iter().enumerate() {
            let address = match target {
                Target::Url(url) => url.clone(),
                Target::Go(Location::Item { kind, slug }) => format!("{base}{}", map.item(*kind, slug, &reading)),
                Target::Go(Location::Kind(kind)) => format!("{base}{}", map.index(*kind, &reading)),
                Target::Go(Location::Topic(t)) => format!("{base}{}", map.topic(t, &reading)),
                Target::Go(Location::Home) => format!("{base}{}", map.home(&reading)),
                // Countries and searches have no page of their own (yet):
                // say what the link is, without an address that leads nowhere.
                Target::Go(other) => other.label(),
            };
            push_wrapped(&mut out, &format!("[{}] ", i + 1), &address, width);
        }
    }
    Ok(out)
}
