"""Extract the TOML front matter of a Tessera content folder as JSON files.

Independent of Tessera's own code: Python's tomllib reads the files, so the
committed JSON Schema is checked by a validator that shares nothing with the
Rust loader. For each definition it also writes a schema that selects it.

usage: schema_instances.py SCHEMA CONTENT_DIR OUT_DIR
"""

import datetime
import json
import pathlib
import sys
import tomllib

KINDS = {"pages": "Page", "measures": "Measure", "partners": "Partner", "stories": "Story", "media": "Media"}


def to_json(value):
    if isinstance(value, dict):
        return {k: to_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_json(v) for v in value]
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return value.isoformat()
    return value


def front_matter(text, path):
    text = text.lstrip("\ufeff")
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].rstrip() != "+++":
        sys.exit(f"{path}: no front matter")
    for i, line in enumerate(lines[1:], start=1):
        if line.rstrip() == "+++":
            return "".join(lines[1:i])
    sys.exit(f"{path}: unterminated front matter")


def main(schema_path, content, out):
    schema = json.loads(pathlib.Path(schema_path).read_text())
    content, out = pathlib.Path(content), pathlib.Path(out)
    files = [("Site", content / "site.toml"), ("Topics", content / "topics.toml"), ("Legacy", content / "legacy.toml")]
    for folder, definition in KINDS.items():
        files += [(definition, p) for p in sorted((content / folder).glob("*")) if p.is_file()]
    for definition, path in files:
        if not path.exists():
            continue
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(front_matter(text, path) if path.suffix == ".md" else text)
        target = out / definition / (path.name + ".json")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(to_json(data), ensure_ascii=False, indent=2))
    for definition in {d for d, _ in files}:
        selected = dict(schema)
        selected.pop("anyOf", None)
        selected["$ref"] = f"#/$defs/{definition}"
        (out / f"{definition}.schema.json").write_text(json.dumps(selected, indent=2))


if __name__ == "__main__":
    main(*sys.argv[1:])
