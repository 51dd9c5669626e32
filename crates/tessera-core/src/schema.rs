//! The JSON Schema of every content file, generated from the model types.

use schemars::generate::SchemaSettings;
use serde_json::{Value, json};

use crate::model::{Legacy, Measure, Media, Page, Partner, Site, Story, Topics};

/// The schema's address, also its `$id`.
pub const SCHEMA_ID: &str = "https://tessera.invalid/schema/content.schema.json";

/// The kinds of file the schema describes, with their definition names.
pub const DEFINITIONS: [&str; 8] = ["Site", "Topics", "Legacy", "Page", "Measure", "Partner", "Story", "Media"];

/// The JSON Schema (draft 2020-12) for every content file, as pretty JSON
/// ending in a newline.
///
/// It has one definition per kind of file under `$defs` (`Page` for the
/// front matter of `pages/*.md`, `Site` for `site.toml`, ...); the root
/// accepts any one of them, so editors can use it for every file.
pub fn content_schema() -> String {
    let mut generator = SchemaSettings::draft2020_12().into_generator();
    let roots = [
        ("Site", generator.subschema_for::<Site>()),
        ("Topics", generator.subschema_for::<Topics>()),
        ("Legacy", generator.subschema_for::<Legacy>()),
        ("Page", generator.subschema_for::<Page>()),
        ("Measure", generator.subschema_for::<Measure>()),
        ("Partner", generator.subschema_for::<Partner>()),
        ("Story", generator.subschema_for::<Story>()),
        ("Media", generator.subschema_for::<Media>()),
    ];
    let defs: serde_json::Map<String, Value> = generator.take_definitions(true).into_iter().collect();
    let any_of: Vec<Value> = roots.iter().map(|(_, s)| s.clone().to_value()).collect();
    let schema = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "Tessera content",
        "description": "Generated from the tessera-core types; do not edit. Regenerate with `cargo run -- schema`. One definition per kind of file under $defs: Site (site.toml), Topics (topics.toml), Legacy (legacy.toml), Page, Measure, Partner and Story (the TOML front matter of pages/, measures/, partners/ and stories/ *.md), Media (media/*.toml).",
        "anyOf": any_of,
        "$defs": defs,
    });
    let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
    text.push('\n');
    text
}

/// Converts a TOML value to JSON for validation: dates become strings.
pub fn toml_to_json(value: &toml::Value) -> Value {
    match value {
        toml::Value::String(s) => Value::String(s.clone()),
        toml::Value::Integer(i) => json!(i),
        toml::Value::Float(f) => json!(f),
        toml::Value::Boolean(b) => Value::Bool(*b),
        toml::Value::Datetime(d) => Value::String(d.to_string()),
        toml::Value::Array(a) => Value::Array(a.iter().map(toml_to_json).collect()),
        toml::Value::Table(t) => Value::Object(t.iter().map(|(k, v)| (k.clone(), toml_to_json(v))).collect()),
    }
}
