//! What a legacy page is read into, whatever its form, and the old site's
//! line shapes (photo lines, credits, captions, quotations, datelines, link
//! labels, chrome).
//!
//! `html.rs` and `text.rs` turn a source into a [`LegacyDoc`], a flat list
//! of [`Block`]s in reading order; `shape.rs` turns that into items. The
//! recognisers here look at one block's plain text at a time.

use chrono::NaiveDate;
use serde::Serialize;
use tessera_core::Country;

/// Inline text: as Markdown (escaped, with link marks) and as plain text.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Inline {
    pub(crate) markdown: String,
    pub(crate) plain: String,
}

impl Inline {
    /// Plain text taken as it is (from a text dump).
    pub(crate) fn text(plain: &str) -> Inline {
        let plain = crate::markdown::squash(plain);
        Inline { markdown: crate::markdown::escape(&plain), plain }
    }
}

/// One block of a legacy page, in reading order.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Block {
    Heading {
        level: u8,
        text: Inline,
    },
    Paragraph(Inline),
    Item {
        ordered: bool,
        /// The number the page wrote before an ordered item, if any.
        number: Option<u32>,
        text: Inline,
    },
    Quotation(Inline),
    /// A data table, row by row.
    Table(Vec<Vec<Inline>>),
    /// An `<img>`: its alt text and address as the page wrote them.
    Image {
        alt: Option<String>,
        src: Option<String>,
    },
    /// Site chrome that was dropped; kept for the report.
    Dropped {
        what: &'static str,
        text: String,
    },
}

/// A legacy page read into blocks.
#[derive(Debug, Default)]
pub(crate) struct LegacyDoc {
    /// The HTML `<title>`, when there is one.
    pub(crate) title_hint: Option<String>,
    pub(crate) blocks: Vec<Block>,
    /// Link targets as written (after resolving against the page's
    /// address), numbered by the marks in `Inline::markdown`.
    pub(crate) links: Vec<String>,
    /// Problems found while reading.
    pub(crate) notes: Vec<Note>,
}

/// Something an editor has to look at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Note {
    /// What kind of problem it is.
    pub kind: NoteKind,
    /// What happened, in a sentence.
    pub message: String,
    /// The source text concerned, as written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

impl Note {
    pub(crate) fn new(kind: NoteKind, message: impl Into<String>, text: Option<&str>) -> Note {
        Note { kind, message: message.into(), text: text.map(str::to_owned) }
    }
}

/// The kinds of [`Note`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum NoteKind {
    /// An image without a description: no media item was written.
    NoAltText,
    /// A link whose target is not an imported item (or a dump's link label).
    UnresolvedLink,
    /// A place or dateline naming no known country.
    UnknownCountry,
    /// A credit line with no photo before it.
    CreditWithoutPhoto,
    /// A `Photo Caption:` line with no photo left to caption.
    CaptionWithoutPhoto,
    /// Text that no item could hold.
    Unplaced,
    /// A suggestion, e.g. list items that could become measures.
    Proposal,
    /// How the source was read, e.g. a legacy encoding or a guessed title.
    Reading,
    /// An item the import wrote before that the source no longer produces.
    Stale,
}

impl NoteKind {
    /// The label the text report uses.
    pub fn label(self) -> &'static str {
        match self {
            NoteKind::NoAltText => "no alt text",
            NoteKind::UnresolvedLink => "unresolved link",
            NoteKind::UnknownCountry => "unknown country",
            NoteKind::CreditWithoutPhoto => "credit without a photo",
            NoteKind::CaptionWithoutPhoto => "caption without a photo",
            NoteKind::Unplaced => "text not placed",
            NoteKind::Proposal => "proposal",
            NoteKind::Reading => "reading",
            NoteKind::Stale => "stale",
        }
    }
}

/// Text dropped as site chrome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Dropped {
    /// What it was: `transition banner`, `navigation`, `search`...
    pub what: String,
    /// The text, whitespace collapsed.
    pub text: String,
}

/// The first line of the transition banner, and the start of the second.
const BANNER: [&str; 2] = ["We’re building a new UNICEF.org", "As we swap out old for new"];
/// The search box's label, the last line of every old page.
const SEARCH: &str = "New enhanced search";

/// Whether a line of text is the old site's chrome, and which.
pub(crate) fn chrome(plain: &str) -> Option<&'static str> {
    let norm = plain.trim().replace('\'', "’");
    if BANNER.iter().any(|b| norm.starts_with(b)) {
        return Some("transition banner");
    }
    if plain.trim().eq_ignore_ascii_case(SEARCH) {
        return Some("search box");
    }
    None
}

/// Link labels the old site printed where a link was: a dump keeps the
/// label and loses the address.
const LABELS: [&str; 14] = [
    "story",
    "music video",
    "video",
    "audio",
    "pdf version",
    "pdf",
    "print",
    "print version",
    "email",
    "e-mail",
    "share",
    "read more",
    "more",
    "photo essay",
];

/// The labels of a line made only of link labels (`PDF version`,
/// `Story - Music Video`), or `None`.
pub(crate) fn link_labels(plain: &str) -> Option<Vec<String>> {
    let parts: Vec<String> = plain
        .split([' ', '\u{a0}'])
        .collect::<Vec<_>>()
        .join(" ")
        .split(['-', '|', '·', '–'])
        .map(crate::markdown::squash)
        .collect();
    let known = |p: &String| LABELS.iter().any(|l| l.eq_ignore_ascii_case(p));
    (!parts.is_empty() && parts.iter().all(known)).then_some(parts)
}

/// Splits trailing link labels off a paragraph: `… society. Story  - Music
/// Video` is the text `… society.` and the labels `Story`, `Music Video`.
pub(crate) fn trailing_labels(plain: &str) -> (String, Vec<String>) {
    let ends: Vec<usize> = plain
        .char_indices()
        .filter(|(_, c)| matches!(c, '.' | '!' | '?' | '"' | '”' | '»'))
        .map(|(i, c)| i + c.len_utf8())
        .collect();
    for &end in ends.iter().rev() {
        let tail = plain[end..].trim();
        if tail.is_empty() {
            break;
        }
        if let Some(labels) = link_labels(tail) {
            return (plain[..end].trim().to_owned(), labels);
        }
    }
    (plain.to_owned(), Vec::new())
}

/// A photo line, `UNICEF Image: <place, year: description>`, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PhotoLine {
    pub(crate) place: Option<String>,
    pub(crate) year: Option<u16>,
    pub(crate) description: Option<String>,
}

const PHOTO_PREFIX: &str = "UNICEF Image:";

/// Reads `UNICEF Image: Kazakhstan, 2010: A description.`
pub(crate) fn photo_line(plain: &str) -> Option<PhotoLine> {
    let rest = plain.trim().strip_prefix(PHOTO_PREFIX)?.trim();
    let (head, description) = match rest.split_once(": ") {
        Some((head, d)) => (head.trim(), Some(d.trim())),
        None => (rest.trim_end_matches(':').trim(), None),
    };
    let (place, year) = match head.rsplit_once(',') {
        Some((place, year)) if year.trim().len() == 4 => match year.trim().parse::<u16>() {
            Ok(y) => (place.trim(), Some(y)),
            Err(_) => (head, None),
        },
        _ => match head.parse::<u16>() {
            Ok(y) if head.len() == 4 => ("", Some(y)),
            _ => (head, None),
        },
    };
    Some(PhotoLine {
        place: (!place.is_empty()).then(|| place.to_owned()),
        year,
        description: description.filter(|d| !d.is_empty()).map(str::to_owned),
    })
}

/// Whether a line is a photo credit (`© UNICEF/NYHQ2010-2523/Giacomo
/// Pirozzi`, `© UNICEF Kazakhstan/2010/Pirozzi`, `© UNICEF/Smith`).
pub(crate) fn is_credit(plain: &str) -> bool {
    let t = plain.trim();
    t.starts_with('©') && t.chars().count() > 2 && t.split_whitespace().count() <= 12
}

/// The caption of `Photo Caption: …`.
pub(crate) fn photo_caption(plain: &str) -> Option<&str> {
    let rest = plain.trim().strip_prefix("Photo Caption:")?.trim();
    (!rest.is_empty()).then_some(rest)
}

/// A quotation introduced inline: `The Convention … says: ”…”`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct InlineQuote {
    pub(crate) intro: String,
    pub(crate) text: String,
    pub(crate) source: String,
}

const OPENING: [char; 6] = ['“', '”', '"', '„', '«', '‘'];
const CLOSING: [char; 5] = ['”', '“', '"', '»', '’'];

/// Reads a paragraph that is an introduction ending in `:` and a quotation
/// in quote marks that runs to the paragraph's end. The old site used
/// typographic marks loosely: a closing mark may open the quotation.
pub(crate) fn inline_quote(plain: &str) -> Option<InlineQuote> {
    let plain = plain.trim();
    let mut from = 0;
    while let Some(i) = plain[from..].find(':').map(|i| from + i) {
        from = i + 1;
        let intro = plain[..=i].trim();
        let rest = plain[i + 1..].trim_start();
        let mut chars = rest.chars();
        let (Some(open), Some(close)) = (chars.next(), chars.next_back()) else { continue };
        if !OPENING.contains(&open) || !CLOSING.contains(&close) {
            continue;
        }
        let inner = rest[open.len_utf8()..rest.len() - close.len_utf8()].trim();
        let words = intro.split_whitespace().count();
        if inner.split_whitespace().count() < 3 || words == 0 || words > 40 {
            continue;
        }
        return Some(InlineQuote { intro: intro.to_owned(), text: inner.to_owned(), source: quote_source(intro) });
    }
    None
}

/// Who is quoted, from the introduction: "The Convention … (CRPD) says:"
/// gives "Convention … (CRPD)".
fn quote_source(intro: &str) -> String {
    let mut words: Vec<&str> = intro.trim_end_matches(':').split_whitespace().collect();
    if words.len() > 1
        && words.last().is_some_and(|w| {
            ["says", "said", "states", "stated", "notes", "reads", "declares", "affirms", "recognizes", "recognises"]
                .contains(&w.to_lowercase().as_str())
        })
    {
        words.pop();
    }
    if words.len() > 1 && words[0].eq_ignore_ascii_case("the") {
        words.remove(0);
    }
    words.join(" ")
}

/// A story's dateline: `PODGORICA, Montenegro, 3 May 2012 – text…`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Dateline {
    pub(crate) city: String,
    /// The country as written.
    pub(crate) country_name: String,
    pub(crate) country: Option<Country>,
    pub(crate) date: NaiveDate,
}

/// Reads the dateline a paragraph opens with, if it opens with one.
pub(crate) fn dateline(plain: &str) -> Option<Dateline> {
    let (head, _) =
        [" – ", " — ", " - "].iter().filter_map(|sep| plain.split_once(sep)).min_by_key(|(h, _)| h.len())?;
    let parts: Vec<&str> = head.split(',').map(str::trim).collect();
    if parts.len() < 3 || head.len() > 120 {
        return None;
    }
    let date_text = parts[parts.len() - 1];
    let date = NaiveDate::parse_from_str(date_text, "%d %B %Y").ok()?;
    let country_name = parts[parts.len() - 2].to_owned();
    let city = parts[..parts.len() - 2].join(", ");
    Some(Dateline { city, country: country_named(&country_name), country_name, date })
}

/// Names the old site used that differ from the short names of the table.
const ALIASES: [(&str, &str); 12] = [
    ("Viet Nam", "VN"),
    ("Republic of Moldova", "MD"),
    ("Democratic Republic of the Congo", "CD"),
    ("DR Congo", "CD"),
    ("Lao PDR", "LA"),
    ("Syrian Arab Republic", "SY"),
    ("United Republic of Tanzania", "TZ"),
    ("Russian Federation", "RU"),
    ("The former Yugoslav Republic of Macedonia", "MK"),
    ("Côte d'Ivoire", "CI"),
    ("United States of America", "US"),
    ("occupied Palestinian territory", "PS"),
];

/// The country a name stands for, by the core's names table (any case).
pub(crate) fn country_named(name: &str) -> Option<Country> {
    let name = name.trim().replace('’', "'");
    Country::all().find(|c| c.name().replace('’', "'").eq_ignore_ascii_case(&name)).or_else(|| {
        ALIASES.iter().find(|(n, _)| n.eq_ignore_ascii_case(&name)).and_then(|(_, code)| Country::parse(code).ok())
    })
}

/// The first country named in running text (`Montenegro's "It's about
/// ability" campaign` names Montenegro), longest names first.
pub(crate) fn country_in(text: &str) -> Option<Country> {
    let words: Vec<String> = text
        .split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '’' || c == '-'))
        .map(|w| w.trim_end_matches("'s").trim_end_matches("’s").to_owned())
        .collect();
    for start in 0..words.len() {
        for len in (1..=5).rev() {
            if start + len > words.len() {
                continue;
            }
            let candidate = words[start..start + len].join(" ");
            if candidate.chars().next().is_some_and(char::is_uppercase)
                && let Some(c) = country_named(&candidate)
            {
                return Some(c);
            }
        }
    }
    None
}

/// The first sentence of a paragraph, when it is shorter than the whole.
pub(crate) fn first_sentence(plain: &str) -> Option<String> {
    let bytes = plain.as_bytes();
    for (i, _) in plain.match_indices(". ") {
        let next = plain[i + 2..].chars().next();
        if i >= 40 && next.is_some_and(char::is_uppercase) && i + 1 < bytes.len() {
            return Some(plain[..=i].to_owned());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn photo_lines_give_place_year_and_description() {
        let p = photo_line("UNICEF Image: Kazakhstan, 2010: UNICEF Goodwill Ambassador speaks.");
        assert_eq!(
            p,
            Some(PhotoLine {
                place: Some("Kazakhstan".into()),
                year: Some(2010),
                description: Some("UNICEF Goodwill Ambassador speaks.".into())
            })
        );
        let bare = photo_line("UNICEF Image: Nepal, 2011");
        assert_eq!(bare.map(|p| (p.place, p.year, p.description)), Some((Some("Nepal".into()), Some(2011), None)));
    }

    #[test]
    fn credits_come_in_several_shapes() {
        for c in ["© UNICEF/NYHQ2010-2523/Giacomo Pirozzi", "© UNICEF Kazakhstan/2010/Pirozzi", "© UNICEF/Smith"] {
            assert!(is_credit(c), "{c}");
        }
        assert!(!is_credit("Copyright and more"));
    }

    #[test]
    fn quotes_may_open_with_a_closing_mark() {
        let q = inline_quote(
            "The Convention on the Rights of Persons with Disabilities (CRPD) says: ”States Parties recognize it.”",
        );
        let q = q.unwrap_or_else(|| panic!("no quote"));
        assert_eq!(q.intro, "The Convention on the Rights of Persons with Disabilities (CRPD) says:");
        assert_eq!(q.source, "Convention on the Rights of Persons with Disabilities (CRPD)");
        assert_eq!(q.text, "States Parties recognize it.");
        assert_eq!(inline_quote("The measures: “a” and more"), None);
    }

    #[test]
    fn datelines_name_city_country_and_date() {
        let d = dateline("PODGORICA, Montenegro, 3 May 2012 – Children took part.");
        let d = d.unwrap_or_else(|| panic!("no dateline"));
        assert_eq!((d.city.as_str(), d.country.map(|c| c.to_string())), ("PODGORICA", Some("ME".to_owned())));
        assert_eq!(d.date.to_string(), "2012-05-03");
        let unknown = dateline("TOWN, Atlantis, 1 June 2011 – Text.").unwrap_or_else(|| panic!("no dateline"));
        assert_eq!(unknown.country, None);
        assert_eq!(dateline("Some text – more text"), None);
    }

    #[test]
    fn labels_are_split_off_the_end() {
        let (text, labels) = trailing_labels("The campaign promotes inclusion. Story  - Music Video");
        assert_eq!(text, "The campaign promotes inclusion.");
        assert_eq!(labels, ["Story", "Music Video"]);
        assert_eq!(link_labels("PDF version"), Some(vec!["PDF version".to_owned()]));
        assert_eq!(link_labels("Children at school"), None);
    }

    #[test]
    fn countries_are_found_by_name() {
        assert_eq!(
            country_in("Montenegro's \"It's about ability\" campaign").map(|c| c.to_string()),
            Some("ME".into())
        );
        assert_eq!(country_named("viet nam").map(|c| c.to_string()), Some("VN".into()));
    }
}
