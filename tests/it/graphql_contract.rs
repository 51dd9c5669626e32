//! The GraphQL schema is committed, current, and exposes every model field.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;

use async_graphql::parser::types::{TypeKind, TypeSystemDefinition};
use serde_json::Value;

use crate::workspace;

#[test]
fn the_committed_sdl_is_up_to_date() {
    let path = workspace().join("schema/tessera.graphql");
    let committed = fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == tessera_graphql::sdl(),
        "schema/tessera.graphql is stale: regenerate it with `cargo run -- schema` and commit it"
    );
    assert!(committed.starts_with("# Generated"), "the SDL must say it is generated");
}

/// GraphQL object type → its field names, from the SDL.
fn graphql_fields() -> BTreeMap<String, BTreeSet<String>> {
    let doc = async_graphql::parser::parse_schema(tessera_graphql::sdl()).unwrap_or_else(|e| panic!("{e}"));
    let mut types = BTreeMap::new();
    for def in doc.definitions {
        if let TypeSystemDefinition::Type(t) = def
            && let TypeKind::Object(object) = &t.node.kind
        {
            let fields = object.fields.iter().map(|f| f.node.name.node.to_string()).collect();
            types.insert(t.node.name.node.to_string(), fields);
        }
    }
    types
}

fn camel(snake: &str) -> String {
    let mut out = String::new();
    let mut upper = false;
    for c in snake.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

#[test]
fn every_model_field_is_reachable_through_graphql() {
    let schema: Value =
        serde_json::from_str(&fs::read_to_string(workspace().join("schema/content.schema.json")).unwrap_or_default())
            .unwrap_or_else(|e| panic!("{e}"));
    let graphql = graphql_fields();
    // JSON Schema definition → the GraphQL type that exposes it.
    let pairs = [
        ("Page", "Page"),
        ("Measure", "Measure"),
        ("Partner", "Partner"),
        ("Story", "Story"),
        ("Media", "Media"),
        ("Site", "Site"),
        ("Hero", "Hero"),
        ("Quote", "Quote"),
        ("LocaleConfig", "SiteLocale"),
        ("Topic", "Topic"),
        ("Topics", "Query"),
    ];
    let mut missing = Vec::new();
    for (def, object) in pairs {
        let properties = schema["$defs"][def]["properties"].as_object().unwrap_or_else(|| panic!("no $defs/{def}"));
        let fields = graphql.get(object).unwrap_or_else(|| panic!("no GraphQL type {object}"));
        for property in properties.keys() {
            let wanted = camel(property);
            // `names` (a topic's translations) is served as `name` in the requested locale.
            let found = fields.contains(&wanted) || (def == "Topic" && property == "names" && fields.contains("name"));
            if !found {
                missing.push(format!("{def}.{property} (expected {object}.{wanted})"));
            }
        }
    }
    // Every kind is also reachable from the root, by slug and as a list.
    let query = &graphql["Query"];
    for field in [
        "site", "page", "pages", "measure", "measures", "partner", "partners", "story", "stories", "topics", "node",
        "route",
    ] {
        if !query.contains(field) {
            missing.push(format!("Query.{field}"));
        }
    }
    assert!(missing.is_empty(), "model fields not reachable through GraphQL: {missing:?}");
}

/// Every type and every field of the SDL says what it is: the SDL is the
/// API's documentation, and an undescribed type (a generated connection,
/// say) is a hole in it.
#[test]
fn every_type_and_field_in_the_sdl_has_a_description() {
    let doc = async_graphql::parser::parse_schema(tessera_graphql::sdl()).unwrap_or_else(|e| panic!("{e}"));
    let described =
        |d: &Option<async_graphql::Positioned<String>>| d.as_ref().is_some_and(|d| !d.node.trim().is_empty());
    let mut missing = Vec::new();
    for def in doc.definitions {
        let TypeSystemDefinition::Type(t) = def else { continue };
        let t = t.node;
        let name = t.name.node.to_string();
        if !described(&t.description) {
            missing.push(name.clone());
        }
        let fields = match &t.kind {
            TypeKind::Object(o) => &o.fields,
            TypeKind::Interface(i) => &i.fields,
            _ => continue,
        };
        for f in fields {
            if !described(&f.node.description) {
                missing.push(format!("{name}.{}", f.node.name.node));
            }
        }
    }
    assert!(missing.is_empty(), "types and fields without a description in the SDL: {missing:?}");
}
