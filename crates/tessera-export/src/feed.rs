//! An Atom feed of the stories of one locale, written with quick-xml
//! (which escapes every text and attribute).
//!
//! Dates follow the sitemap's rule (`ItemView::changed`: `updated`, else
//! `publish_at`, else the story's `date`). Atom requires an `<updated>` on
//! the feed and on each entry, so where content gives none: the feed's is
//! its newest entry's, else the newest date of the whole site, else the
//! export's `now`; an entry without a date takes the feed's.

use std::collections::BTreeMap;
use std::io;

use chrono::{DateTime, Utc};
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};
use tessera_core::{Kind, Locale, Story};

use crate::context::Context;
use crate::sitemap::w3c;

/// The feed of `l`; `changed` gives, by address, when each item's page last
/// changed.
pub(crate) fn render(ctx: &Context<'_>, l: &Locale, changed: &BTreeMap<String, DateTime<Utc>>) -> io::Result<Vec<u8>> {
    let site = ctx.view.snapshot().site();
    let stories = ctx.view.list::<Story>(l);
    let entries: Vec<(String, Option<DateTime<Utc>>, &Story, String)> = stories
        .iter()
        .map(|s| {
            let address = ctx.map.item(Kind::Story, &s.slug, l);
            let date = changed.get(&address).copied();
            let summary = s.meta.summary.clone().unwrap_or_else(|| ctx.view.body(s.doc).plain_text());
            (address, date, &s.meta, summary)
        })
        .collect();
    // The feed's date is its newest entry's: the same content gives the
    // same bytes.
    let updated = entries
        .iter()
        .filter_map(|(_, date, _, _)| *date)
        .max()
        .or_else(|| changed.values().max().copied())
        .unwrap_or(ctx.now);
    let feed_url = ctx.url(&ctx.map.feed(l));
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 1);
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("utf-8"), None)))?;
    w.create_element("feed")
        .with_attribute(("xmlns", "http://www.w3.org/2005/Atom"))
        .with_attribute(("xml:lang", l.as_str()))
        .write_inner_content(|w| {
            w.create_element("title").write_text_content(BytesText::new(&format!("{} – Stories", site.title)))?;
            w.create_element("id").write_text_content(BytesText::new(&feed_url))?;
            w.create_element("link")
                .with_attribute(("rel", "self"))
                .with_attribute(("href", feed_url.as_str()))
                .write_empty()?;
            w.create_element("link").with_attribute(("href", ctx.url(&ctx.map.home(l)).as_str())).write_empty()?;
            w.create_element("updated").write_text_content(BytesText::new(&w3c(updated)))?;
            for (address, date, story, summary) in &entries {
                let url = ctx.url(address);
                w.create_element("entry").write_inner_content(|w| {
                    w.create_element("title").write_text_content(BytesText::new(&story.title))?;
                    w.create_element("id").write_text_content(BytesText::new(&url))?;
                    w.create_element("link").with_attribute(("href", url.as_str())).write_empty()?;
                    w.create_element("updated").write_text_content(BytesText::new(&w3c(date.unwrap_or(updated))))?;
                    w.create_element("author").write_inner_content(|w| {
                        w.create_element("name").write_text_content(BytesText::new(&site.title))?;
                        Ok(())
                    })?;
                    w.create_element("summary").write_text_content(BytesText::new(summary))?;
                    Ok(())
                })?;
            }
            Ok(())
        })?;
    let mut xml = w.into_inner();
    xml.push(b'\n');
    Ok(xml)
}
