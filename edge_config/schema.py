"""The JSON Schema of the config file, committed as ``edge_config/schema.json`` for editors and tools.

Editors with YAML language support complete and check keys from it (point them at the file, e.g. with a
``# yaml-language-server: $schema=...`` comment). A test fails when the committed file is stale.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Final

from shelfsight.edge_config.store import EdgeConfig

logger = logging.getLogger(__name__)

SCHEMA_PATH: Final = Path(__file__).with_name("schema.json")
REGENERATE_COMMAND: Final = "shelfsight config schema"


def render_schema() -> str:
    """The config's JSON Schema as stable text: 2-space indent, sorted keys, trailing newline.

    Sorted and deterministic so that regenerating an unchanged schema produces no diff.
    """
    return json.dumps(EdgeConfig.model_json_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def schema_is_current(path: Path = SCHEMA_PATH) -> bool:
    """True when ``path`` holds exactly what `render_schema` produces now."""
    return path.is_file() and path.read_text(encoding="utf-8") == render_schema()


def write_schema(path: Path = SCHEMA_PATH) -> bool:
    """Write the schema to ``path`` unless it is already current.

    Returns:
        True when the file was written (it was missing or stale).
    """
    if schema_is_current(path):
        return False
    path.write_text(render_schema(), encoding="utf-8")
    logger.info("wrote %s", path)
    return True
