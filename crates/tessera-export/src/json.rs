//! JSON: one file per item (its front matter, as the schema describes it)
//! and a bundle of everything.

use serde_json::json;
use tessera_core::{Item, Measure, Media, Page, Partner, Story};

use crate::Output;
use crate::context::Context;

pub(crate) fn render(ctx: &Context<'_>, out: &mut Output) {
    let snapshot = ctx.view.snapshot();
    let mut items = Vec::new();
    add::<Page>(ctx, out, &mut items);
    add::<Measure>(ctx, out, &mut items);
    add::<Partner>(ctx, out, &mut items);
    add::<Story>(ctx, out, &mut items);
    add::<Media>(ctx, out, &mut items);
    let topics = json!({ "topics": snapshot.topics() });
    out.insert("json/site.json".into(), pretty(&serde_json::to_value(snapshot.site()).unwrap_or_default()));
    out.insert("json/topics.json".into(), pretty(&topics));
    let bundle = json!({ "site": snapshot.site(), "topics": snapshot.topics(), "items": items });
    out.insert("json/bundle.json".into(), pretty(&bundle));
}

fn add<T: Item + serde::Serialize>(ctx: &Context<'_>, out: &mut Output, items: &mut Vec<serde_json::Value>) {
    for slug in ctx.view.snapshot().collection::<T>().slugs() {
        for doc in ctx.view.translations::<T>(slug) {
            let mut front = serde_json::to_value(&doc.meta).unwrap_or_default();
            // References to items this audience may not see are left out:
            // their slugs alone would tell that they exist.
            for r in doc.meta.references() {
                if !ctx.view.exists(r.kind, r.slug, &ctx.default)
                    && let Some(list) = front.get_mut(r.field).and_then(|v| v.as_array_mut())
                {
                    list.retain(|v| v.as_str() != Some(r.slug));
                }
            }
            // Markdown in front matter (a measure's example) may link too.
            if let Some(serde_json::Value::String(e)) = front.get_mut("example") {
                *e = ctx.view.markdown(e, &doc.locale).into_owned();
            }
            let path = format!("json/{}/{}.{}.json", T::KIND.folder(), doc.slug, doc.locale);
            out.insert(path, pretty(&front));
            items.push(json!({ "kind": T::KIND, "slug": doc.slug, "locale": doc.locale, "front": front, "body": ctx.view.body(doc).markdown() }));
        }
    }
}

fn pretty(value: &serde_json::Value) -> Vec<u8> {
    let mut bytes = serde_json::to_vec_pretty(value).unwrap_or_default();
    bytes.push(b'\n');
    bytes
}
