//! Legacy HTML, as an old CMS served it, read with a real HTML parser
//! (scraper, on html5ever) and walked with an explicit stack: a page nested
//! thousands of elements deep costs memory in proportion, never the stack.
//!
//! Kept: headings, paragraphs, lists, emphasis, links, images and the text
//! of data tables. Layout tables are walked through as if their cells were
//! paragraphs; scripts and styles are skipped (they hold code, not text);
//! navigation, forms and other site chrome are dropped into the report.

use scraper::node::Element;
use scraper::{ElementRef, Html, Node};

use crate::legacy::{Block, Inline, LegacyDoc, chrome};
use crate::markdown::{LINK_CLOSE, LINK_MID, LINK_OPEN, escape};

/// Elements whose content is code or metadata, never text for readers.
const SKIPPED: [&str; 6] = ["script", "style", "template", "meta", "link", "base"];
/// Elements that are site chrome wherever they appear.
const CHROME_TAGS: [&str; 14] = [
    "nav", "header", "footer", "aside", "form", "select", "button", "noscript", "iframe", "object", "embed", "applet",
    "map", "menu",
];
/// `id` or `class` words that mark site chrome in the CMS's layout.
const CHROME_WORDS: [&str; 20] = [
    "nav",
    "navigation",
    "topnav",
    "leftnav",
    "subnav",
    "menu",
    "breadcrumb",
    "breadcrumbs",
    "footer",
    "header",
    "masthead",
    "sidebar",
    "search",
    "banner",
    "skip",
    "toolbar",
    "share",
    "social",
    "login",
    "utility",
];
/// Elements that start and end a block of text.
const BLOCKS: [&str; 33] = [
    "p",
    "div",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "li",
    "ul",
    "ol",
    "dl",
    "dt",
    "dd",
    "table",
    "tr",
    "td",
    "th",
    "tbody",
    "thead",
    "tfoot",
    "caption",
    "blockquote",
    "hr",
    "center",
    "section",
    "article",
    "main",
    "pre",
    "address",
    "figure",
    "figcaption",
    "body",
];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Context {
    Heading(u8),
    /// A list item: whether its list is ordered, and the number the page
    /// gives it (`<ol start>`, `<li value>`) until its first block takes it.
    Item(bool, Option<u32>),
    Quote,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum MarkKind {
    Emphasis,
    Strong,
    Link(usize),
    /// An inner `<b>` in a `<b>`: nothing to write.
    Nothing,
}

struct Mark {
    kind: MarkKind,
    start: usize,
}

#[derive(Default)]
struct Table {
    rows: Vec<Vec<Inline>>,
}

struct Walker<'a> {
    page_url: &'a str,
    doc: LegacyDoc,
    buf: Inline,
    contexts: Vec<Context>,
    /// Open lists: whether each is ordered, and the number an `<ol start>`
    /// gives its first item, until that item takes it.
    lists: Vec<(bool, Option<u32>)>,
    marks: Vec<Mark>,
    emphasis: usize,
    strong: usize,
    table: Option<Table>,
    /// How many data tables are open (a data table holds no table, but
    /// the parser may still nest them in malformed input).
    table_depth: usize,
}

enum Step<N> {
    Enter(N),
    Exit(N),
}

/// Reads an HTML page into blocks; links are resolved against `page_url`.
pub(crate) fn read(source: &str, page_url: &str) -> LegacyDoc {
    let html = Html::parse_document(source);
    let mut w = Walker {
        page_url,
        doc: LegacyDoc::default(),
        buf: Inline::default(),
        contexts: Vec::new(),
        lists: Vec::new(),
        marks: Vec::new(),
        emphasis: 0,
        strong: 0,
        table: None,
        table_depth: 0,
    };
    let mut stack = vec![Step::Enter(html.tree.root())];
    while let Some(step) = stack.pop() {
        match step {
            Step::Enter(node) => match node.value() {
                Node::Text(text) => w.text(text),
                Node::Element(element) => {
                    let name = element.name();
                    if SKIPPED.contains(&name) {
                        continue;
                    }
                    if name == "title" {
                        let text = subtree_text(ElementRef::wrap(node));
                        if w.doc.title_hint.is_none() && !text.is_empty() {
                            w.doc.title_hint = Some(text);
                        } else if !text.is_empty() {
                            w.doc.blocks.push(Block::Dropped { what: "title", text });
                        }
                        continue;
                    }
                    if let Some(what) = chrome_element(element) {
                        w.flush();
                        let text = subtree_text(ElementRef::wrap(node));
                        if !text.is_empty() {
                            w.doc.blocks.push(Block::Dropped { what, text });
                        }
                        continue;
                    }
                    let data_table = name == "table" && ElementRef::wrap(node).is_some_and(is_data_table);
                    w.enter(element, data_table);
                    stack.push(Step::Exit(node));
                    let children: Vec<_> = node.children().collect();
                    stack.extend(children.into_iter().rev().map(Step::Enter));
                }
                Node::Document | Node::Fragment => {
                    let children: Vec<_> = node.children().collect();
                    stack.extend(children.into_iter().rev().map(Step::Enter));
                }
                _ => {}
            },
            Step::Exit(node) => {
                if let Node::Element(element) = node.value() {
                    w.exit(element);
                }
            }
        }
    }
    w.flush();
    if let Some(table) = w.table.take() {
        w.emit_table(table);
    }
    w.doc
}

/// Which chrome an element is, if it is chrome.
fn chrome_element(element: &Element) -> Option<&'static str> {
    let name = element.name();
    if let Some(tag) = CHROME_TAGS.iter().find(|t| **t == name) {
        return Some(match *tag {
            "nav" | "menu" => "navigation",
            "form" | "select" | "button" => "form",
            "header" => "site header",
            "footer" => "site footer",
            "aside" => "sidebar",
            _ => "embedded object",
        });
    }
    if element.attr("role").is_some_and(|r| r.eq_ignore_ascii_case("navigation")) {
        return Some("navigation");
    }
    let words = element.attr("id").into_iter().chain(element.attr("class"));
    for value in words {
        for word in value.split(|c: char| c.is_whitespace() || c == '-' || c == '_') {
            let word = word.to_ascii_lowercase();
            if let Some(hit) = CHROME_WORDS.iter().find(|w| **w == word) {
                return Some(match *hit {
                    "footer" => "site footer",
                    "header" | "masthead" | "banner" => "site header",
                    "search" => "search box",
                    "sidebar" => "sidebar",
                    "share" | "social" | "toolbar" | "utility" | "login" => "toolbar",
                    _ => "navigation",
                });
            }
        }
    }
    None
}

/// The text of a subtree, whitespace collapsed, without scripts and styles.
fn subtree_text(element: Option<ElementRef<'_>>) -> String {
    let Some(element) = element else { return String::new() };
    let mut text = String::new();
    for node in element.descendants() {
        if let Node::Text(t) = node.value() {
            let in_code = node
                .parent()
                .and_then(|p| p.value().as_element().map(|e| SKIPPED.contains(&e.name())))
                .unwrap_or(false);
            if !in_code {
                text.push(' ');
                text.push_str(t);
            }
        }
    }
    crate::markdown::squash(&text)
}

/// A data table holds rows of cells with text; a layout table holds
/// paragraphs, images, other tables. Layout tables are walked through.
fn is_data_table(table: ElementRef<'_>) -> bool {
    if table.value().attr("role").is_some_and(|r| r.eq_ignore_ascii_case("presentation")) {
        return false;
    }
    let (mut rows, mut cells, mut headers) = (0usize, 0usize, 0usize);
    for node in table.descendants().skip(1) {
        let Some(element) = node.value().as_element() else { continue };
        match element.name() {
            "table" | "p" | "div" | "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "ul" | "ol" | "img" | "blockquote"
            | "form" | "nav" | "center" => return false,
            "tr" => rows += 1,
            "td" => cells += 1,
            "th" => {
                cells += 1;
                headers += 1;
            }
            _ => {}
        }
    }
    rows > 0 && cells >= 2 * rows && (headers > 0 || rows >= 2)
}

impl Walker<'_> {
    fn text(&mut self, text: &str) {
        if text.is_empty() {
            return;
        }
        let starts = text.starts_with(|c: char| c.is_whitespace());
        let ends = text.ends_with(|c: char| c.is_whitespace());
        let words = crate::markdown::squash(text);
        let space = |s: &str| s.is_empty() || s.ends_with(' ');
        if starts && !space(&self.buf.plain) {
            self.buf.plain.push(' ');
            self.buf.markdown.push(' ');
        }
        if words.is_empty() {
            return;
        }
        self.buf.markdown.push_str(&escape(&words));
        self.buf.plain.push_str(&words);
        if ends {
            self.buf.plain.push(' ');
            self.buf.markdown.push(' ');
        }
    }

    fn enter(&mut self, element: &Element, data_table: bool) {
        let name = element.name();
        if self.table.is_some() {
            match name {
                "tr" => {
                    self.buf = Inline::default();
                    if let Some(t) = self.table.as_mut() {
                        t.rows.push(Vec::new());
                    }
                }
                "td" | "th" => self.buf = Inline::default(),
                "br" => self.text(" "),
                _ => self.enter_inline(element),
            }
            if name == "table" {
                self.table_depth += 1;
            }
            return;
        }
        if name == "br" || name == "hr" {
            self.flush();
            return;
        }
        if name == "img" {
            self.flush();
            let alt = element.attr("alt").map(crate::markdown::squash);
            let src = element.attr("src").and_then(|s| resolve_href(self.page_url, s));
            // `alt=""` marks a decorative image, and spacers are a few
            // pixels wide: neither is a photo.
            let tiny = ["width", "height"]
                .iter()
                .any(|a| element.attr(a).and_then(|v| v.trim().parse::<u32>().ok()).is_some_and(|v| v <= 20));
            if alt.as_deref() == Some("") || tiny {
                let what = if tiny { "spacer image" } else { "decorative image" };
                self.doc.blocks.push(Block::Dropped { what, text: src.unwrap_or_default() });
                return;
            }
            self.doc.blocks.push(Block::Image { alt, src });
            return;
        }
        if BLOCKS.contains(&name) {
            self.flush();
            match name {
                "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => {
                    let level = name.as_bytes().get(1).map_or(2, |b| b - b'0');
                    self.contexts.push(Context::Heading(level));
                }
                "li" => {
                    let value = list_number(element.attr("value"));
                    let item = match self.lists.last_mut() {
                        Some((true, start)) => Context::Item(true, value.or(start.take())),
                        _ => Context::Item(false, None),
                    };
                    self.contexts.push(item);
                }
                "dd" => self.contexts.push(Context::Item(false, None)),
                "blockquote" => self.contexts.push(Context::Quote),
                "ul" | "dl" => self.lists.push((false, None)),
                "ol" => self.lists.push((true, list_number(element.attr("start")))),
                "table" if data_table => {
                    self.table = Some(Table::default());
                    self.table_depth = 1;
                }
                _ => {}
            }
            return;
        }
        self.enter_inline(element);
    }

    fn enter_inline(&mut self, element: &Element) {
        let kind = match element.name() {
            "em" | "i" | "cite" | "dfn" | "var" => {
                self.emphasis += 1;
                if self.emphasis == 1 { MarkKind::Emphasis } else { MarkKind::Nothing }
            }
            "strong" | "b" => {
                self.strong += 1;
                if self.strong == 1 { MarkKind::Strong } else { MarkKind::Nothing }
            }
            "a" => match element.attr("href").and_then(|h| resolve_href(self.page_url, h)) {
                Some(url) => {
                    self.doc.links.push(url);
                    MarkKind::Link(self.doc.links.len() - 1)
                }
                None => MarkKind::Nothing,
            },
            _ => return,
        };
        self.marks.push(Mark { kind, start: self.buf.markdown.len() });
    }

    fn exit(&mut self, element: &Element) {
        let name = element.name();
        if self.table.is_some() {
            match name {
                "td" | "th" => {
                    let cell = std::mem::take(&mut self.buf);
                    let cell =
                        Inline { markdown: cell.markdown.trim().to_owned(), plain: cell.plain.trim().to_owned() };
                    if let Some(t) = self.table.as_mut() {
                        match t.rows.last_mut() {
                            Some(row) => row.push(cell),
                            None => t.rows.push(vec![cell]),
                        }
                    }
                }
                "table" => {
                    self.table_depth = self.table_depth.saturating_sub(1);
                    if self.table_depth == 0 {
                        // Text the parser left between cells.
                        let stray = std::mem::take(&mut self.buf);
                        if let Some(table) = self.table.take() {
                            self.emit_table(table);
                        }
                        self.buf = stray;
                        self.flush();
                    }
                }
                _ => self.exit_inline(name),
            }
            return;
        }
        if BLOCKS.contains(&name) {
            self.flush();
            match name {
                "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "li" | "dd" | "blockquote" => {
                    self.contexts.pop();
                }
                "ul" | "ol" | "dl" => {
                    self.lists.pop();
                }
                _ => {}
            }
            return;
        }
        self.exit_inline(name);
    }

    fn exit_inline(&mut self, name: &str) {
        let closes = match name {
            "em" | "i" | "cite" | "dfn" | "var" => {
                self.emphasis = self.emphasis.saturating_sub(1);
                true
            }
            "strong" | "b" => {
                self.strong = self.strong.saturating_sub(1);
                true
            }
            "a" => true,
            _ => false,
        };
        if !closes {
            return;
        }
        // The parser balances elements, so the innermost open mark is this one's.
        if let Some(mark) = self.marks.pop() {
            self.close(&mark);
        }
    }

    /// Writes the Markdown of a mark around what was written since it opened.
    fn close(&mut self, mark: &Mark) {
        let start = mark.start.min(self.buf.markdown.len());
        let inner = self.buf.markdown[start..].to_owned();
        let trimmed = inner.trim();
        if trimmed.is_empty() {
            return;
        }
        let lead = &inner[..inner.len() - inner.trim_start().len()];
        let trail = &inner[inner.trim_end().len()..];
        let wrapped = match mark.kind {
            MarkKind::Emphasis => format!("{lead}*{trimmed}*{trail}"),
            MarkKind::Strong => format!("{lead}**{trimmed}**{trail}"),
            MarkKind::Link(i) => format!("{lead}{LINK_OPEN}{i}{LINK_MID}{trimmed}{LINK_CLOSE}{trail}"),
            MarkKind::Nothing => return,
        };
        self.buf.markdown.truncate(start);
        self.buf.markdown.push_str(&wrapped);
    }

    /// Ends the current block of text, closing marks that are still open
    /// (`<b>` around several paragraphs) and opening them again after it.
    fn flush(&mut self) {
        if self.table.is_some() {
            return;
        }
        let marks = std::mem::take(&mut self.marks);
        for mark in marks.iter().rev() {
            self.close(mark);
        }
        self.marks = marks.into_iter().map(|m| Mark { kind: m.kind, start: 0 }).collect();
        let buf = std::mem::take(&mut self.buf);
        let plain = buf.plain.trim();
        if plain.is_empty() {
            return;
        }
        let text = Inline { markdown: buf.markdown.trim().to_owned(), plain: plain.to_owned() };
        if let Some(what) = chrome(&text.plain) {
            self.doc.blocks.push(Block::Dropped { what, text: text.plain });
            return;
        }
        let block = match self.contexts.last_mut() {
            Some(Context::Heading(level)) => Block::Heading { level: *level, text },
            Some(Context::Item(ordered, number)) => Block::Item { ordered: *ordered, number: number.take(), text },
            Some(Context::Quote) => Block::Quotation(text),
            None => Block::Paragraph(text),
        };
        self.doc.blocks.push(block);
    }

    fn emit_table(&mut self, table: Table) {
        let rows: Vec<Vec<Inline>> = table.rows.into_iter().filter(|r| r.iter().any(|c| !c.plain.is_empty())).collect();
        if !rows.is_empty() {
            self.doc.blocks.push(Block::Table(rows));
        }
    }
}

/// An `href` or `src` made absolute against the page's address. In-page
/// anchors stay as they are (`#top`); `None` for an empty one.
pub(crate) fn resolve_href(page_url: &str, href: &str) -> Option<String> {
    let href = href.trim();
    if href.is_empty() {
        return None;
    }
    let scheme_end = href.find([':', '/', '?', '#']);
    if scheme_end.is_some_and(|i| href.as_bytes()[i] == b':') || href.starts_with('#') {
        return Some(href.to_owned());
    }
    let (origin, path) = match page_url.split_once("://") {
        Some((scheme, rest)) => {
            let host_end = rest.find('/').unwrap_or(rest.len());
            if let Some(rest) = href.strip_prefix("//") {
                return Some(format!("{scheme}://{rest}"));
            }
            (format!("{scheme}://{}", &rest[..host_end]), &rest[host_end..])
        }
        None => (String::new(), page_url),
    };
    let split = href.find(['?', '#']).unwrap_or(href.len());
    let (href_path, suffix) = href.split_at(split);
    let joined = if href_path.starts_with('/') {
        href_path.to_owned()
    } else {
        let path = path.split(['?', '#']).next().unwrap_or("");
        let dir = path.rfind('/').map_or("/", |i| &path[..=i]);
        format!("{dir}{href_path}")
    };
    let mut segments: Vec<&str> = Vec::new();
    let parts: Vec<&str> = joined.split('/').collect();
    for (i, part) in parts.iter().enumerate() {
        match *part {
            "." => {}
            ".." => {
                segments.pop();
            }
            "" if i != 0 && i + 1 != parts.len() => {}
            p => segments.push(p),
        }
    }
    let mut path = segments.join("/");
    if !path.starts_with('/') {
        path.insert(0, '/');
    }
    if href_path.is_empty() {
        path = page_url.split_once("://").map_or(page_url, |(_, r)| r.find('/').map_or("/", |i| &r[i..])).to_owned();
        path = path.split(['?', '#']).next().unwrap_or("/").to_owned();
    }
    Some(format!("{origin}{path}{suffix}"))
}

/// A list number written in an attribute (`start`, `value`), as a browser
/// reads it (`0003` is 3), within what Markdown can start a list at (nine
/// digits); anything else is left to count from 1.
fn list_number(attr: Option<&str>) -> Option<u32> {
    let written = attr?.trim();
    if written.is_empty() || !written.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let digits = written.trim_start_matches('0');
    if digits.len() > 9 {
        return None;
    }
    Some(digits.parse().unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_links_resolve_against_the_page() {
        let page = "https://www.unicef.org/disabilities/index_65711.html";
        assert_eq!(
            resolve_href(page, "index_1.html").as_deref(),
            Some("https://www.unicef.org/disabilities/index_1.html")
        );
        assert_eq!(resolve_href(page, "../media/a b.pdf").as_deref(), Some("https://www.unicef.org/media/a b.pdf"));
        assert_eq!(resolve_href(page, "/about/").as_deref(), Some("https://www.unicef.org/about/"));
        assert_eq!(
            resolve_href(page, "?print=1").as_deref(),
            Some("https://www.unicef.org/disabilities/index_65711.html?print=1")
        );
        assert_eq!(resolve_href(page, "//cdn.example/x").as_deref(), Some("https://cdn.example/x"));
        assert_eq!(resolve_href(page, "#top").as_deref(), Some("#top"));
        assert_eq!(resolve_href(page, "JavaScript:void(0)").as_deref(), Some("JavaScript:void(0)"));
        assert_eq!(resolve_href("/a/b.html", "c.html").as_deref(), Some("/a/c.html"));
    }

    #[test]
    fn layout_tables_are_walked_and_chrome_dropped() {
        let doc = read(
            r#"<html><head><title>T</title><style>p{}</style></head><body>
            <table width="100%"><tr><td id="leftnav"><a href="/a">Home</a></td>
            <td><h1>Title</h1><p>Some <b>bold</b> and <i>it</i> and <a href="x.html">a link</a>.</p>
            <table border="1"><tr><th>A</th><th>B</th></tr><tr><td>1</td><td>2</td></tr></table>
            <ul><li>One</li><li>Two</li></ul></td></tr></table><script>var x = "no";</script></body></html>"#,
            "https://old.example/s/p.html",
        );
        assert_eq!(doc.title_hint.as_deref(), Some("T"));
        let mut kinds = Vec::new();
        for b in &doc.blocks {
            kinds.push(match b {
                Block::Dropped { what, text } => format!("dropped {what}: {text}"),
                Block::Heading { level, text } => format!("h{level} {}", text.markdown),
                Block::Paragraph(t) => format!("p {}", t.markdown.replace([LINK_OPEN, LINK_MID, LINK_CLOSE], "^")),
                Block::Item { text, .. } => format!("li {}", text.markdown),
                Block::Table(rows) => format!("table {}x{}", rows.len(), rows[0].len()),
                other => format!("{other:?}"),
            });
        }
        assert_eq!(
            kinds,
            [
                "dropped navigation: Home",
                "h1 Title",
                "p Some **bold** and *it* and ^0^a link^.",
                "table 2x2",
                "li One",
                "li Two"
            ]
        );
        assert_eq!(doc.links, ["https://old.example/s/x.html"]);
    }

    #[test]
    fn deep_nesting_does_not_overflow_the_stack() {
        let html = format!("{}deep{}", "<div><span>".repeat(20_000), "</span></div>".repeat(20_000));
        let doc = read(&html, "/p.html");
        assert!(doc.blocks.iter().any(|b| matches!(b, Block::Paragraph(t) if t.plain == "deep")));
    }
}
