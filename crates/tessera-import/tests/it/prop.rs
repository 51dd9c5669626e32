//! Arbitrary HTML and text: the import never panics, what it writes
//! loads, and every word of the input ends up in an item or in the report
//! (modulo whitespace, punctuation, markup and chrome, which is reported).

use std::collections::BTreeSet;
use std::path::Path;

use proptest::prelude::*;

use crate::{empty_content, import, load};

fn words(text: &str) -> BTreeSet<String> {
    text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_lowercase).collect()
}

/// Every word written under `dir` and in the report's JSON.
fn output_words(dir: &Path, report: &tessera_import::Report) -> BTreeSet<String> {
    let mut all = words(&serde_json::to_string(report).unwrap_or_default());
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().filter_map(Result::ok) {
            if e.path().is_dir() {
                stack.push(e.path());
            } else {
                all.extend(words(&std::fs::read_to_string(e.path()).unwrap_or_default()));
            }
        }
    }
    all
}

/// The words a reader of the HTML sees: text outside tags, scripts and
/// styles. Stripping tags is exact here because the generated text never
/// holds `<` or `&`; the importer itself parses with html5ever.
fn html_words(html: &str) -> BTreeSet<String> {
    words(&text_outside_tags(html))
}

fn text_outside_tags(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    let mut skip_until: Option<&str> = None;
    let mut rest = html;
    while let Some(c) = rest.chars().next() {
        if let Some(end) = skip_until {
            match rest.find(end) {
                Some(i) => {
                    rest = &rest[i + end.len()..];
                    skip_until = None;
                    continue;
                }
                None => break,
            }
        }
        if rest.starts_with("<script") {
            skip_until = Some("</script>");
            continue;
        }
        if rest.starts_with("<style") {
            skip_until = Some("</style>");
            continue;
        }
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
        rest = &rest[c.len_utf8()..];
    }
    out
}

const TAGS: [&str; 24] = [
    "p",
    "div",
    "b",
    "i",
    "em",
    "strong",
    "a href=\"x.html\"",
    "a href=\"javascript:x()\"",
    "a href=\"#t\"",
    "ul",
    "ol",
    "li",
    "h1",
    "h2",
    "h3",
    "table",
    "tr",
    "td",
    "th",
    "font size=\"1\"",
    "blockquote",
    "span",
    "nav",
    "td id=\"leftnav\"",
];

fn html_strategy() -> impl Strategy<Value = String> {
    let word = "[A-Za-z0-9éš’“”*_#|\\[\\]!-]{1,8}";
    let piece = prop_oneof![
        4 => word.prop_map(|w| format!("{w} ")),
        2 => (0..TAGS.len()).prop_map(|t| format!("<{}>", TAGS[t])),
        2 => (0..TAGS.len()).prop_map(|t| format!("</{}>", TAGS[t].split(' ').next().unwrap_or("p"))),
        1 => Just("<br>".to_owned()),
        1 => Just("<img src=\"a.jpg\" width=\"200\">".to_owned()),
        1 => Just("<img src=\"b.jpg\" alt=\"UNICEF Image: Nepal, 2011: A girl reads.\">".to_owned()),
        1 => Just("<script>var hidden = 1;</script>".to_owned()),
        1 => Just("© UNICEF/Smith ".to_owned()),
    ];
    proptest::collection::vec(piece, 0..80).prop_map(|v| v.concat())
}

fn text_strategy() -> impl Strategy<Value = String> {
    let line = prop_oneof![
        4 => "[A-Za-z0-9 ,.:;’“”\"-]{0,60}",
        1 => "[A-Za-z ]{1,20}".prop_map(|w| format!("  • {w};")),
        1 => "[A-Za-z ]{1,20}".prop_map(|w| format!("1. {w}")),
        1 => "[A-Za-z ]{1,20}".prop_map(|w| format!("UNICEF Image: Ghana, 2010: {w}")),
        1 => "[A-Za-z ]{0,20}".prop_map(|w| format!("UNICEF Image: {w}")),
        1 => Just("© UNICEF Kazakhstan/2010/Pirozzi".to_owned()),
        1 => "[A-Za-z ]{1,20}".prop_map(|w| format!("Photo Caption: {w}")),
        1 => "[A-Za-z ]{3,30}".prop_map(|w| format!("The Convention says: ”{w} and more words.”")),
        1 => "[A-Za-z ]{3,30}".prop_map(|w| format!("ACCRA, Ghana, 3 May 2012 – {w}.")),
        1 => Just("From the field".to_owned()),
        1 => Just("Story  - Music Video".to_owned()),
        1 => Just("New enhanced search".to_owned()),
    ];
    proptest::collection::vec(line, 0..30).prop_map(|v| v.join("\n"))
}

fn check(name: &str, input: &str, expected: BTreeSet<String>) -> Result<(), TestCaseError> {
    let content = empty_content();
    let src = tempfile::tempdir().map_err(|e| TestCaseError::fail(e.to_string()))?;
    std::fs::create_dir_all(src.path().join("s")).map_err(|e| TestCaseError::fail(e.to_string()))?;
    std::fs::write(src.path().join("s").join(name), input).map_err(|e| TestCaseError::fail(e.to_string()))?;
    let report = import(content.path(), &[src.path().to_path_buf()]);
    load(content.path());
    let got = output_words(content.path(), &report);
    let lost: Vec<&String> = expected.difference(&got).collect();
    prop_assert!(lost.is_empty(), "lost {lost:?} from {input:?}\nreport: {}", report.to_text());
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn arbitrary_html_loses_no_text_and_loads(html in html_strategy()) {
        let expected = html_words(&html);
        check("page.html", &html, expected)?;
    }

    #[test]
    fn arbitrary_text_loses_no_text_and_loads(text in text_strategy()) {
        // `UNICEF Image:` and `Photo Caption:` are the old site's markup,
        // read as structure, like `•`.
        let expected = words(&text.replace("UNICEF Image:", "").replace("Photo Caption:", ""));
        check("page.txt", &text, expected)?;
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let content = empty_content();
        let src = tempfile::tempdir().map_err(|e| TestCaseError::fail(e.to_string()))?;
        std::fs::write(src.path().join("p.html"), &bytes).map_err(|e| TestCaseError::fail(e.to_string()))?;
        std::fs::write(src.path().join("p.txt"), &bytes).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let report = import(content.path(), &[src.path().to_path_buf()]);
        load(content.path());
        prop_assert_eq!(report.sources.len(), 2);
    }
}

/// A text dump's numbered points keep their numbers: a list starts at the
/// number its first point was written with, and a point numbered out of
/// turn starts a list of its own (a page that skipped from 3 to 7 still
/// says 7). Found by the property above: "2. ." lost its "2".
#[test]
fn numbered_points_keep_their_numbers() {
    use tessera_core::{Block, Page};
    let text = "Numbered points\n\
        The old page said this first, as pages do before their points begin.\n\
        2. The second point goes on and on, as points in lists do, until it ends.\n\
        3. The third point goes on and on, as points in lists do, until it ends.\n\
        7. The seventh point goes on and on, as points in lists do, until it ends.\n\
        8. The eighth point goes on and on, as points in lists do, until it ends.\n\
        2. .\n";
    let content = empty_content();
    let src = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    std::fs::create_dir_all(src.path().join("s")).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(src.path().join("s").join("points.txt"), text).unwrap_or_else(|e| panic!("{e}"));
    import(content.path(), &[src.path().to_path_buf()]);
    let snapshot = load(content.path());
    let pages = snapshot.collection::<Page>().all();
    assert_eq!(pages.len(), 1);
    let lists: Vec<(Option<u64>, usize)> = pages[0]
        .body
        .blocks()
        .iter()
        .filter_map(|b| match b {
            Block::List { start, items } => Some((*start, items.len())),
            _ => None,
        })
        .collect();
    assert_eq!(lists, [(Some(2), 2), (Some(7), 2), (Some(2), 1)], "{}", pages[0].body.markdown());
}

/// The same for HTML: `<ol start>` and `<li value>` are the numbers the
/// page showed; a start that is not a small number counts from 1.
#[test]
fn numbered_html_lists_keep_their_numbers() {
    use tessera_core::{Block, Page};
    let html = "<html><head><title>Numbered lists</title></head><body><h1>Numbered lists</h1>\
        <p>The old page said this first, as pages do before their points begin.</p>\
        <ol start=\"0004\"><li>The fourth point goes on until it ends.</li><li>The fifth point goes on until it ends.</li></ol>\
        <p>Between the lists, a paragraph that goes on until it ends.</p>\
        <ol><li value=\"9\">The ninth point goes on until it ends.</li><li>The tenth point goes on until it ends.</li></ol>\
        <p>Another paragraph that goes on until it ends.</p>\
        <ol start=\"-3\"><li>A point under a negative start.</li></ol>\
        <p>One more paragraph that goes on until it ends.</p>\
        <ol start=\"99999999999\"><li>A point under a huge start.</li></ol>\
        </body></html>";
    let content = empty_content();
    let src = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    std::fs::create_dir_all(src.path().join("s")).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(src.path().join("s").join("lists.html"), html).unwrap_or_else(|e| panic!("{e}"));
    import(content.path(), &[src.path().to_path_buf()]);
    let snapshot = load(content.path());
    let pages = snapshot.collection::<Page>().all();
    assert_eq!(pages.len(), 1);
    let lists: Vec<(Option<u64>, usize)> = pages[0]
        .body
        .blocks()
        .iter()
        .filter_map(|b| match b {
            Block::List { start, items } => Some((*start, items.len())),
            _ => None,
        })
        .collect();
    assert_eq!(lists, [(Some(4), 2), (Some(9), 2), (Some(1), 1), (Some(1), 1)], "{}", pages[0].body.markdown());
}
