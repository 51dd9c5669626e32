//! The committed JSON Schema is current, and every content file conforms to it.

use std::fs;
use std::path::Path;

use serde_json::Value;

use crate::{fixture, workspace};

fn committed_schema() -> Value {
    let path = workspace().join("schema/content.schema.json");
    let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn the_committed_schema_is_up_to_date() {
    let path = workspace().join("schema/content.schema.json");
    let committed = fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == tessera_core::content_schema(),
        "schema/content.schema.json is stale: regenerate it with `cargo run -- schema` and commit it"
    );
}

#[test]
fn the_schema_is_draft_2020_12_with_a_definition_per_kind() {
    let schema = committed_schema();
    assert_eq!(schema["$schema"], "https://json-schema.org/draft/2020-12/schema");
    for def in tessera_core::DEFINITIONS {
        assert!(schema["$defs"][def].is_object(), "missing $defs/{def}");
        assert_eq!(schema["$defs"][def]["additionalProperties"], false, "{def} must refuse unknown fields");
    }
    assert!(schema["description"].as_str().is_some_and(|d| d.contains("do not edit")));
}

/// A validator for one definition of the committed schema.
fn validator_for(definition: &str) -> jsonschema::Validator {
    let mut schema = committed_schema();
    schema["$ref"] = Value::String(format!("#/$defs/{definition}"));
    schema.as_object_mut().map(|o| o.remove("anyOf"));
    jsonschema::draft202012::new(&schema).unwrap_or_else(|e| panic!("invalid schema: {e}"))
}

fn definition_for(rel: &Path) -> Option<&'static str> {
    let first = rel.components().next()?.as_os_str().to_str()?;
    Some(match first {
        "site.toml" => "Site",
        "topics.toml" => "Topics",
        "pages" => "Page",
        "measures" => "Measure",
        "partners" => "Partner",
        "stories" => "Story",
        "media" => "Media",
        _ => return None,
    })
}

/// The front matter (or whole TOML file) of every content file under `root`, as JSON.
fn instances(root: &Path) -> Vec<(String, &'static str, Value)> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_owned()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())).filter_map(Result::ok) {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let rel = path.strip_prefix(root).unwrap_or(&path).to_owned();
            let Some(def) = definition_for(&rel) else {
                continue;
            };
            let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let front = if path.extension().is_some_and(|e| e == "md") {
                tessera_core::split_front_matter(&text)
                    .map(|(f, _)| f.to_owned())
                    .unwrap_or_else(|| panic!("{}", path.display()))
            } else {
                text
            };
            let value: toml::Value = toml::from_str(&front).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            out.push((rel.display().to_string(), def, tessera_core::toml_to_json(&value)));
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

#[test]
fn every_bundled_and_fixture_content_file_validates_against_the_schema() {
    let mut checked = 0;
    for root in [workspace().join("content"), fixture("valid-site")] {
        for (path, def, value) in instances(&root) {
            let validator = validator_for(def);
            let errors: Vec<String> =
                validator.iter_errors(&value).map(|e| format!("{e} at {}", e.instance_path)).collect();
            assert!(errors.is_empty(), "{}/{path} against {def}: {errors:?}", root.display());
            assert!(validator_for("Site").validate(&value).is_err() || def == "Site", "{path} must not also be a Site");
            checked += 1;
        }
    }
    assert!(checked >= 30, "only {checked} files checked");
}

#[test]
fn the_schema_refuses_what_the_loader_refuses() {
    for (case, def) in [("unknown-field", "Page"), ("missing-required-field", "Page"), ("bad-country", "Story")] {
        let instances = instances(&fixture(&format!("invalid/{case}/site")));
        let (_, _, value) = instances.iter().find(|(_, d, _)| *d == def).unwrap_or_else(|| panic!("{case}"));
        assert!(validator_for(def).validate(value).is_err(), "{case} should fail the schema too");
    }
}
