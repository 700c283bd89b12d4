"""Fixtures for the edge_config tests: a minimal valid store config with deep-merge overlays.

``minimal_store_config(overlay)`` returns a fresh dict; the overlay is merged into it recursively, in
the manner of frigate's config tests. An overlay's int keys address list items (``{"cameras": {0:
{...}}}`` changes the first camera), and the value `DELETE` removes a key.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from shelfsight.edge_config.tracker import REID_MODEL
from shelfsight.models.registry import get_spec, resolve_model

DATA_DIR = Path(__file__).parent / "data"
DELETE = "__delete__"
"""Overlay value that removes the key from the base config."""

SQUARE = [[0.1, 0.1], [0.4, 0.1], [0.4, 0.4], [0.1, 0.4]]
FLOOR = [[0.1, 0.6], [0.4, 0.6], [0.4, 0.9], [0.1, 0.9]]

ConfigBuilder = Callable[..., dict[str, Any]]


def _base_config() -> dict[str, Any]:
    """The smallest useful store: one camera with a shelf and the floor in front of it."""
    return {
        "store_id": "test-store",
        "cameras": [
            {
                "id": "cam-1",
                "source": "synthetic:one_dwells",
                "zones": [
                    {"id": "shelf-1", "kind": "shelf", "polygon": copy.deepcopy(SQUARE)},
                    {
                        "id": "floor-1",
                        "kind": "standing",
                        "shelf_id": "shelf-1",
                        "polygon": copy.deepcopy(FLOOR),
                    },
                ],
            }
        ],
    }


def deep_merge(base: Any, overlay: Any) -> Any:
    """Merge ``overlay`` into a copy of ``base``: dicts recursively, int keys into lists, else replace."""
    if isinstance(overlay, dict) and isinstance(base, dict | list):
        merged = copy.deepcopy(base)
        for key, value in overlay.items():
            if value == DELETE:
                del merged[key]
            elif isinstance(merged, list) and isinstance(key, int) and key == len(merged):
                merged.append(copy.deepcopy(value))
            elif (isinstance(merged, dict) and key in merged) or isinstance(merged, list):
                merged[key] = deep_merge(merged[key], value)
            else:
                merged[key] = copy.deepcopy(value)
        return merged
    return copy.deepcopy(overlay)


@pytest.fixture
def minimal_store_config() -> ConfigBuilder:
    """Build ``_base_config()`` with an optional overlay; every call returns an independent dict."""

    def build(overlay: dict[Any, Any] | None = None) -> dict[str, Any]:
        config: dict[str, Any] = deep_merge(_base_config(), overlay or {})
        return config

    return build


@pytest.fixture
def write_config(tmp_path: Path) -> Callable[[dict[str, Any] | str], Path]:
    """Write a config dict (as block YAML) or YAML text to a file in a temp dir; returns its path."""

    def write(config: dict[str, Any] | str, name: str = "store.yaml") -> Path:
        text = config if isinstance(config, str) else yaml.safe_dump(config, sort_keys=False)
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write


def place_detector(target: Path) -> Path:
    """Put the real default detector at ``target`` (a symbolic link): `config check` reads a model's graph, so an
    empty stand-in would be reported (rightly) as a broken model. Fails when the shared models are missing."""
    target.parent.mkdir(parents=True, exist_ok=True)
    target.symlink_to(resolve_model("yolox_nano_416"))
    if target.name == get_spec("yolox_nano_416").file:  # a models folder: it needs the default tracker's ReID model
        place_reid(target.parent)
    return target


def place_reid(models_dir: Path) -> Path:
    """Link the real ReID model into ``models_dir``: `config check` wants it whenever ``tracker.relink.reid`` is on
    (the default)."""
    target = models_dir / get_spec(REID_MODEL).file
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        target.symlink_to(resolve_model(REID_MODEL))
    return target


@pytest.fixture
def fake_models_dir(tmp_path: Path) -> Path:
    """A models folder of its own holding the default manifest model and the ReID model (linked to the shared
    files)."""
    folder = tmp_path / "models"
    place_detector(folder / get_spec("yolox_nano_416").file)
    return folder


@pytest.fixture
def bad_five_copy(tmp_path: Path, fake_models_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``data/bad_five_mistakes.yaml`` copied into a temp dir, with the models folder setting pointing at a
    folder that has the model it names (so the five mistakes are the only problems)."""
    monkeypatch.setenv("SHELFSIGHT_MODELS_DIR", str(fake_models_dir))
    target = tmp_path / "bad_five_mistakes.yaml"
    target.write_text((DATA_DIR / "bad_five_mistakes.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    return target
