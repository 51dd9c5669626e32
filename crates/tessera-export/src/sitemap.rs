//! `sitemap.xml`: every page in every locale, with its alternates
//! (hreflang) and, for an item whose content gives a date, `<lastmod>`.

use std::collections::BTreeMap;
use std::io;

use chrono::{DateTime, Utc};
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};
use tessera_core::{Kind, Locale};

use crate::context::Context;

/// An instant as the sitemap and feeds write it: a W3C date-time in UTC,
/// to the second (the export's `now`, when a feed falls back to it, has
/// nanoseconds nobody needs).
pub(crate) fn w3c(instant: DateTime<Utc>) -> String {
    instant.to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
}

/// The sitemap; `changed` gives, by address, when each item's page last
/// changed (pages without a known date get no `<lastmod>`).
pub(crate) fn render(ctx: &Context<'_>, changed: &BTreeMap<String, DateTime<Utc>>) -> io::Result<Vec<u8>> {
    let mut groups: Vec<Vec<(Locale, String)>> = vec![ctx.every_locale(|l| ctx.map.home(l))];
    for kind in Kind::WITH_PAGES {
        groups.extend(ctx.slugs(kind).into_iter().map(|slug| ctx.alternates(kind, slug)));
    }
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 1);
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    w.create_element("urlset")
        .with_attribute(("xmlns", "http://www.sitemaps.org/schemas/sitemap/0.9"))
        .with_attribute(("xmlns:xhtml", "http://www.w3.org/1999/xhtml"))
        .write_inner_content(|w| {
            for alternates in &groups {
                for (_, address) in alternates {
                    w.create_element("url").write_inner_content(|w| {
                        w.create_element("loc").write_text_content(BytesText::new(&ctx.url(address)))?;
                        if let Some(date) = changed.get(address) {
                            w.create_element("lastmod").write_text_content(BytesText::new(&w3c(*date)))?;
                        }
                        for (l, other) in alternates {
                            w.create_element("xhtml:link")
                                .with_attribute(("rel", "alternate"))
                                .with_attribute(("hreflang", l.as_str()))
                                .with_attribute(("href", ctx.url(other).as_str()))
                                .write_empty()?;
                        }
                        Ok(())
                    })?;
                }
            }
            Ok(())
        })?;
    let mut xml = w.into_inner();
    xml.push(b'\n');
    Ok(xml)
}
