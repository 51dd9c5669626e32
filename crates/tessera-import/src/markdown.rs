//! Text to Markdown that reads back as the same text.
//!
//! Legacy text is full of characters Markdown gives meaning to (`*`, `_`,
//! `[`, `<`, a leading `1.`); every such character is escaped, so an
//! imported body never turns text into markup by accident.

/// Links in Markdown built from HTML are written `OPEN 3 MID text CLOSE`
/// and become `[text](target)` (or the text alone) once every source's
/// slug is known. They are private-use characters, removed from input text.
pub(crate) const LINK_OPEN: char = '\u{E001}';
/// Ends a link's number, see [`LINK_OPEN`].
pub(crate) const LINK_MID: char = '\u{E002}';
/// Ends a link's text, see [`LINK_OPEN`].
pub(crate) const LINK_CLOSE: char = '\u{E003}';

/// Escapes `text` for use inside a Markdown paragraph. Control characters
/// become spaces and the link mark is removed from it.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '!' | '|' | '~' | '&' | '{' | '}' | '$' => {
                out.push('\\');
                out.push(c);
            }
            LINK_OPEN | LINK_MID | LINK_CLOSE => out.push('\u{FFFD}'),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Collapses every run of whitespace (and control characters) into one
/// space and trims the ends.
pub(crate) fn squash(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for word in text.split(|c: char| c.is_whitespace() || c.is_control()).filter(|w| !w.is_empty()) {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// Makes a one-line Markdown block safe at the start of a line: a leading
/// `-`, `+` or `=` would start a list, a rule or a heading underline, and
/// `12.` or `12)` an ordered list.
pub(crate) fn guard_line_start(markdown: &str) -> String {
    let trimmed = markdown.trim();
    let first = trimmed.chars().next();
    if matches!(first, Some('-' | '+' | '=')) {
        return format!("\\{trimmed}");
    }
    let digits = trimmed.bytes().take_while(u8::is_ascii_digit).count();
    if digits > 0 && matches!(trimmed.as_bytes().get(digits), Some(b'.' | b')')) {
        return format!("{}\\{}", &trimmed[..digits], &trimmed[digits..]);
    }
    trimmed.to_owned()
}

/// A slug made of the first `max_words` words of `text` (ASCII letters and
/// digits; accented Latin letters lose their accents, other scripts are
/// skipped). `None` when nothing is left.
pub(crate) fn slugify(text: &str, max_words: usize) -> Option<String> {
    let mut words: Vec<String> = Vec::new();
    let mut word = String::new();
    let flush = |word: &mut String, words: &mut Vec<String>| {
        if !word.is_empty() {
            words.push(std::mem::take(word));
        }
    };
    for c in text.chars() {
        if c == '\'' || c == '’' {
            // "It's" is one word: `its`.
            continue;
        }
        let folded = fold(c);
        if folded.is_empty() {
            flush(&mut word, &mut words);
        } else {
            word.push_str(folded);
        }
    }
    flush(&mut word, &mut words);
    words.truncate(max_words);
    let mut slug = words.join("-");
    slug.truncate(80);
    let slug = slug.trim_end_matches('-').to_owned();
    (!slug.is_empty()).then_some(slug)
}

/// A character as lowercase ASCII for a slug, or "" for a separator.
fn fold(c: char) -> &'static str {
    const ASCII: [&str; 36] = [
        "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l",
        "m", "n", "o", "p", "q", "r", "s", "t", "u", "v", "w", "x", "y", "z",
    ];
    let lower = c.to_ascii_lowercase();
    if lower.is_ascii_digit() {
        return ASCII[(lower as u8 - b'0') as usize];
    }
    if lower.is_ascii_lowercase() {
        return ASCII[(lower as u8 - b'a') as usize + 10];
    }
    match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Å' => "a",
        'ç' | 'Ç' => "c",
        'è' | 'é' | 'ê' | 'ë' | 'È' | 'É' | 'Ê' | 'Ë' => "e",
        'ì' | 'í' | 'î' | 'ï' | 'Ì' | 'Í' | 'Î' | 'Ï' => "i",
        'ñ' | 'Ñ' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ö' | 'Ø' => "o",
        'ù' | 'ú' | 'û' | 'ü' | 'Ù' | 'Ú' | 'Û' | 'Ü' => "u",
        'ý' | 'ÿ' | 'Ý' => "y",
        'š' | 'ś' | 'ş' | 'Š' | 'Ś' | 'Ş' => "s",
        'č' | 'ć' | 'Č' | 'Ć' => "c",
        'ž' | 'ź' | 'ż' | 'Ž' | 'Ź' | 'Ż' => "z",
        'đ' | 'ď' | 'Đ' | 'Ď' => "d",
        'ł' | 'Ł' => "l",
        'ğ' | 'Ğ' => "g",
        'ı' | 'İ' => "i",
        'ř' | 'Ř' => "r",
        'ě' | 'Ě' => "e",
        'ß' => "ss",
        'æ' | 'Æ' => "ae",
        'œ' | 'Œ' => "oe",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaped_text_has_no_markup() {
        assert_eq!(escape("a *b* [c](d) <e> #f"), "a \\*b\\* \\[c\\](d) \\<e\\> \\#f");
        assert_eq!(guard_line_start("1. First"), "1\\. First");
        assert_eq!(guard_line_start("--- x"), "\\--- x");
        assert_eq!(squash("  a \n\t b\u{1}c "), "a b c");
    }

    #[test]
    fn slugs_keep_words_and_drop_apostrophes() {
        assert_eq!(slugify("It's about ability", 8).as_deref(), Some("its-about-ability"));
        assert_eq!(slugify("Civil Society Partnerships", 8).as_deref(), Some("civil-society-partnerships"));
        assert_eq!(slugify("Côte d’Ivoire, 2011", 8).as_deref(), Some("cote-divoire-2011"));
        assert_eq!(slugify("“…”", 8), None);
    }
}
