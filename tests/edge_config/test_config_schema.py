"""The committed JSON Schema is current, and documents and accepts what the models accept."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema  # type: ignore[import-untyped, unused-ignore]
import yaml

from shelfsight.edge_config.schema import (
    REGENERATE_COMMAND,
    SCHEMA_PATH,
    render_schema,
    schema_is_current,
    write_schema,
)

DEMO = Path(__file__).parents[2] / "edge_config" / "demo.yaml"


def test_committed_schema_is_current() -> None:
    assert SCHEMA_PATH.is_file(), f"{SCHEMA_PATH} is missing; run `{REGENERATE_COMMAND}`"
    assert SCHEMA_PATH.read_text(encoding="utf-8") == render_schema(), (
        f"{SCHEMA_PATH} is stale; run `{REGENERATE_COMMAND}` and commit the result"
    )


def test_render_is_stable_sorted_json_with_trailing_newline() -> None:
    text = render_schema()
    assert text == render_schema()
    assert text.endswith("}\n")
    assert text == json.dumps(json.loads(text), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def test_write_schema_reports_whether_it_wrote(tmp_path: Path) -> None:
    target = tmp_path / "schema.json"
    assert not schema_is_current(target)
    assert write_schema(target) is True
    assert schema_is_current(target)
    assert write_schema(target) is False
    target.write_text("{}\n", encoding="utf-8")
    assert not schema_is_current(target)


def test_schema_accepts_the_demo_and_documents_polygon_rules() -> None:
    schema = json.loads(render_schema())
    jsonschema.validate(yaml.safe_load(DEMO.read_text(encoding="utf-8")), schema)
    polygon = schema["$defs"]["ZoneConfig"]["properties"]["polygon"]
    assert polygon["minItems"] == 3
    assert all(item["minimum"] == 0.0 and item["maximum"] == 1.0 for item in polygon["items"]["prefixItems"])
    assert schema["additionalProperties"] is False


def test_every_field_has_a_title_and_description() -> None:
    schema = json.loads(render_schema())
    sections = {"EdgeConfig": schema, **schema["$defs"]}
    for name, section in sections.items():
        for key, prop in section.get("properties", {}).items():
            assert prop.get("title") and prop.get("description"), f"{name}.{key} lacks a title or description"


def test_docs_mention_every_key() -> None:
    docs = (Path(__file__).parents[2] / "docs" / "config.md").read_text(encoding="utf-8")
    schema = json.loads(render_schema())
    for name, section in {"EdgeConfig": schema, **schema["$defs"]}.items():
        for key in section.get("properties", {}):
            assert f"`{key}`" in docs or f".{key}`" in docs, f"docs/config.md does not describe {name}.{key}"
