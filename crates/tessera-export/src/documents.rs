//! Markdown and plain text, one file per item and locale: the body as the
//! item's page says it (what it places in place), under its title.

use tessera_core::{Kind, plain_text, to_markdown};
use tessera_site::ItemView;

use crate::Output;
use crate::context::Context;

pub(crate) fn render(ctx: &Context<'_>, out: &mut Output, markdown: bool, text: bool) {
    for kind in Kind::WITH_PAGES {
        for slug in ctx.slugs(kind) {
            for locale in ctx.translations(kind, slug) {
                let Some(item) = ItemView::build(&ctx.view, kind, slug, &locale) else { continue };
                let stem = format!("{}/{}.{}", kind.folder(), item.slug, item.locale);
                if markdown {
                    let body = to_markdown(&item.body);
                    out.insert(format!("markdown/{stem}.md"), format!("# {}\n\n{body}", item.title).into_bytes());
                }
                if text {
                    let body = plain_text(&item.body);
                    out.insert(format!("text/{stem}.txt"), format!("{}\n\n{body}\n", item.title).into_bytes());
                }
            }
        }
    }
}
