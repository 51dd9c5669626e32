//! Safe HTML from the block tree: every piece of content is escaped.

use crate::body::{Alignment, Block, Inline, LinkTarget, is_safe_url};

/// Escapes text for HTML element content and double-quoted attributes.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The address of a link that needs no site to resolve it: a URL as
/// written. Item links have an address only on a site (see the
/// presentation layer's site map), so here they render as their text.
fn url_href(target: &LinkTarget) -> Option<String> {
    match target {
        LinkTarget::Url { url } => Some(url.clone()),
        LinkTarget::Item { .. } | LinkTarget::Invalid { .. } => None,
    }
}

/// Renders blocks as HTML. Raw HTML written in Markdown was kept as text
/// by the parser and comes out escaped; unsafe links come out as plain text,
/// and so do item links, which only a site can give an address
/// ([`to_html_with`] takes the site's).
pub fn to_html(blocks: &[Block]) -> String {
    to_html_with(blocks, &HtmlOptions::default())
}

/// How [`to_html_with`] renders.
pub struct HtmlOptions<'a> {
    /// Where a link goes; `None` renders the link's text alone.
    pub href: &'a dyn Fn(&LinkTarget) -> Option<String>,
    /// Added to every heading level (capped at 6), e.g. 1 when the page's
    /// own title is the only `<h1>`.
    pub heading_offset: u8,
}

impl Default for HtmlOptions<'_> {
    fn default() -> Self {
        HtmlOptions { href: &url_href, heading_offset: 0 }
    }
}

/// Renders blocks as HTML, choosing link addresses and heading levels.
pub fn to_html_with(blocks: &[Block], options: &HtmlOptions<'_>) -> String {
    let mut out = String::new();
    for block in blocks {
        push_block(block, &mut out, options);
    }
    out
}

fn push_block(block: &Block, out: &mut String, o: &HtmlOptions<'_>) {
    match block {
        Block::Heading { level, content } => {
            let level = level.saturating_add(o.heading_offset).min(6);
            out.push_str(&format!("<h{level}>"));
            push_inlines(content, out, o);
            out.push_str(&format!("</h{level}>\n"));
        }
        Block::Paragraph { content } => {
            out.push_str("<p>");
            push_inlines(content, out, o);
            out.push_str("</p>\n");
        }
        Block::List { start, items } => {
            let (open, close) = match start {
                Some(1) => ("<ol>".to_owned(), "</ol>"),
                Some(n) => (format!("<ol start=\"{n}\">"), "</ol>"),
                None => ("<ul>".to_owned(), "</ul>"),
            };
            out.push_str(&open);
            out.push('\n');
            for item in items {
                out.push_str("<li>");
                // A tight item of one paragraph renders without <p>.
                match item.as_slice() {
                    [Block::Paragraph { content }] => push_inlines(content, out, o),
                    blocks => blocks.iter().for_each(|b| push_block(b, out, o)),
                }
                out.push_str("</li>\n");
            }
            out.push_str(close);
            out.push('\n');
        }
        Block::BlockQuote { blocks } => {
            out.push_str("<blockquote>\n");
            blocks.iter().for_each(|b| push_block(b, out, o));
            out.push_str("</blockquote>\n");
        }
        Block::Code { language, code } => {
            match language {
                Some(l) => out.push_str(&format!("<pre><code class=\"language-{}\">", escape_html(l))),
                None => out.push_str("<pre><code>"),
            }
            out.push_str(&escape_html(code));
            out.push_str("</code></pre>\n");
        }
        Block::Table { alignments, header, rows } => {
            out.push_str("<table>\n<thead><tr>");
            for (i, cell) in header.iter().enumerate() {
                push_cell("th", alignments.get(i), cell, out, o);
            }
            out.push_str("</tr></thead>\n<tbody>\n");
            for row in rows {
                out.push_str("<tr>");
                for (i, cell) in row.iter().enumerate() {
                    push_cell("td", alignments.get(i), cell, out, o);
                }
                out.push_str("</tr>\n");
            }
            out.push_str("</tbody>\n</table>\n");
        }
        Block::Rule => out.push_str("<hr>\n"),
        // Placed by the presentation layer, which knows what it names.
        Block::Embed { .. } => {}
    }
}

fn push_cell(tag: &str, alignment: Option<&Alignment>, cell: &[Inline], out: &mut String, o: &HtmlOptions<'_>) {
    let style = match alignment {
        Some(Alignment::Left) => " style=\"text-align:left\"",
        Some(Alignment::Center) => " style=\"text-align:center\"",
        Some(Alignment::Right) => " style=\"text-align:right\"",
        _ => "",
    };
    out.push_str(&format!("<{tag}{style}>"));
    push_inlines(cell, out, o);
    out.push_str(&format!("</{tag}>"));
}

fn push_inlines(inlines: &[Inline], out: &mut String, o: &HtmlOptions<'_>) {
    for inline in inlines {
        match inline {
            Inline::Text { text } => out.push_str(&escape_html(text)),
            Inline::Code { code } => {
                out.push_str("<code>");
                out.push_str(&escape_html(code));
                out.push_str("</code>");
            }
            Inline::Emphasis { content } => {
                out.push_str("<em>");
                push_inlines(content, out, o);
                out.push_str("</em>");
            }
            Inline::Strong { content } => {
                out.push_str("<strong>");
                push_inlines(content, out, o);
                out.push_str("</strong>");
            }
            // Defence in depth: whatever `href` returns, an unsafe scheme
            // never reaches an attribute.
            Inline::Link(link) => match (o.href)(&link.target).filter(|h| is_safe_url(h)) {
                Some(href) => {
                    out.push_str(&format!("<a href=\"{}\"", escape_html(&href)));
                    if let Some(t) = &link.title {
                        out.push_str(&format!(" title=\"{}\"", escape_html(t)));
                    }
                    out.push('>');
                    push_inlines(&link.content, out, o);
                    out.push_str("</a>");
                }
                None => push_inlines(&link.content, out, o),
            },
            Inline::Image(image) => match (o.href)(&image.target).filter(|h| is_safe_url(h)) {
                Some(src) => {
                    out.push_str(&format!("<img src=\"{}\" alt=\"{}\">", escape_html(&src), escape_html(&image.alt)))
                }
                None => out.push_str(&escape_html(&image.alt)),
            },
            Inline::HardBreak => out.push_str("<br>\n"),
            Inline::SoftBreak => out.push('\n'),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::body::Body;

    #[test]
    fn hostile_markdown_never_becomes_markup() {
        let body = Body::parse(
            "<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n\n[x](javascript:alert(1)) [y](\"onmouseover=\"x) <b>unbalanced\n",
        );
        let html = to_html(&body.blocks());
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("<img"), "{html}");
        assert!(!html.contains("<b>"), "{html}");
        assert!(!html.contains("javascript:"), "{html}");
        assert!(html.contains("&lt;script&gt;"), "{html}");
    }

    #[test]
    fn item_links_take_the_address_the_caller_gives_them() {
        let body = Body::parse("See [the story](@/stories/its-about-ability.md#music) *now*.");
        assert_eq!(to_html(&body.blocks()), "<p>See the story <em>now</em>.</p>\n");
        let href = |t: &LinkTarget| match t {
            LinkTarget::Item { slug, fragment, .. } => Some(format!("/s/{slug}#{}", fragment.as_deref().unwrap_or(""))),
            _ => None,
        };
        assert_eq!(
            to_html_with(&body.blocks(), &HtmlOptions { href: &href, heading_offset: 0 }),
            "<p>See <a href=\"/s/its-about-ability#music\">the story</a> <em>now</em>.</p>\n"
        );
    }

    #[test]
    fn an_unsafe_address_never_reaches_an_attribute_whatever_href_returns() {
        // A tree built by hand (or a renderer's `href` gone wrong) with
        // script URLs: the renderer checks again and writes text.
        let blocks = vec![Block::Paragraph {
            content: vec![
                Inline::Link(Box::new(crate::body::InlineLink {
                    target: LinkTarget::Url { url: "https://ok.example/".into() },
                    title: None,
                    content: vec![Inline::Text { text: "ok".into() }],
                })),
                Inline::Image(Box::new(crate::body::InlineImage {
                    target: LinkTarget::Url { url: "/x.png".into() },
                    alt: "pic".into(),
                })),
            ],
        }];
        for bad in ["javascript:alert(1)", "JAVASCRIPT:x", "data:text/html,x", "vbscript:x", "java\tscript:x"] {
            let href = |_: &LinkTarget| Some(bad.to_owned());
            let html = to_html_with(&blocks, &HtmlOptions { href: &href, heading_offset: 0 });
            assert_eq!(html, "<p>okpic</p>\n", "{bad}");
        }
    }
}
