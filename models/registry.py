"""The manifest of known models and where their files are found on this machine.

A model is named in the edge config either by its manifest name (``yolox_nano_416``) or by a path to an
``.onnx`` file. Files are looked up in one folder, by one rule for every command (`models_folder`): the setting
``SHELFSIGHT_MODELS_DIR``; else a team's shared folder ``shared/models`` beside the checkout, when it exists (one
copy for all of a team's clones, as on the project's CI machines); else ``~/.cache/shelfsight/models``.
``shelfsight models fetch`` writes into the same folder.
"""

from __future__ import annotations

import hashlib
import os
import sys
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path

import yaml

MODELS_DIR_ENV = "SHELFSIGHT_MODELS_DIR"
DEFAULT_MODELS_DIR = Path("~/.cache/shelfsight/models")
SHARED_MODELS_DIR = Path(__file__).resolve().parents[2] / "shared" / "models"
"""``../shared/models`` beside a source checkout: used when it exists and ``SHELFSIGHT_MODELS_DIR`` is not set."""


class ModelNotFoundError(LookupError):
    """A model name or path that resolves to no file; the message says what to do about it."""


@dataclass(frozen=True)
class ModelSpec:
    """One entry of ``models/manifest.yaml``.

    Attributes:
        name: Manifest key, used in edge configs and on the command line.
        file: File name relative to the models folder (may contain a sub-folder).
        task: ``detect``, ``pose`` (a pose detector), ``pose_landmarks`` (a top-down landmark model) or ``reid``.
        layout: Informative output layout; the detector recognises the real one from the file.
        input_size: Network input (height, width) in pixels.
        licence: Licence of the weights.
        sha256: Hex digest of the known file, or None where exports differ byte-wise.
        size_bytes: Size of the known file, or None.
        urls: Download sources, tried in order; empty when the model must be exported.
        export: Shell command, run in the models folder, that makes the file (with ultralytics, or tf2onnx for
            models published as TFLite), where that is the way to get it.
        classes: Label set (``coco80``, ``person``), when a detector.
        notes: Free text for ``shelfsight models list``.
    """

    name: str
    file: str
    task: str
    layout: str
    input_size: tuple[int, int]
    licence: str
    sha256: str | None = None
    size_bytes: int | None = None
    urls: tuple[str, ...] = field(default_factory=tuple)
    export: str | None = None
    classes: str | None = None
    notes: str = ""


@cache
def load_manifest() -> dict[str, ModelSpec]:
    """Read the manifest shipped with the package, once per process."""
    text = resources.files("shelfsight.models").joinpath("manifest.yaml").read_text(encoding="utf-8")
    raw = yaml.safe_load(text)["models"]
    specs: dict[str, ModelSpec] = {}
    for name, entry in raw.items():
        specs[name] = ModelSpec(
            name=name,
            file=entry["file"],
            task=entry["task"],
            layout=entry["layout"],
            input_size=(int(entry["input_size"][0]), int(entry["input_size"][1])),
            licence=entry["licence"],
            sha256=entry.get("sha256"),
            size_bytes=entry.get("size_bytes"),
            urls=tuple(entry.get("urls") or ()),
            export=entry.get("export"),
            classes=entry.get("classes"),
            notes=entry.get("notes", ""),
        )
    return specs


def get_spec(name: str) -> ModelSpec:
    """The manifest entry called ``name``; raises ``ModelNotFoundError`` naming the known models."""
    manifest = load_manifest()
    if name not in manifest:
        known = ", ".join(sorted(manifest))
        raise ModelNotFoundError(f"unknown model {name!r}; known models: {known}, or give a path to an .onnx file")
    return manifest[name]


def models_folder() -> Path:
    """The folder where model files are found: ``$SHELFSIGHT_MODELS_DIR``; else ``../shared/models`` beside the
    checkout when it exists; else the per-user cache."""
    value = os.environ.get(MODELS_DIR_ENV)
    if value:
        return Path(value).expanduser()
    if SHARED_MODELS_DIR.is_dir():
        return SHARED_MODELS_DIR
    return DEFAULT_MODELS_DIR.expanduser()


def looks_like_path(name_or_path: str) -> bool:
    """True for strings meant as file paths rather than manifest names."""
    return name_or_path.endswith(".onnx") or "/" in name_or_path or os.sep in name_or_path


def resolve_model(name_or_path: str, models_dir: Path | None = None) -> Path:
    """Find the file of a model named in a config or on the command line.

    Args:
        name_or_path: A manifest name, or a path to an ``.onnx`` file.
        models_dir: Folder to look in; None means the ``SHELFSIGHT_MODELS_DIR`` setting.

    Returns:
        An existing file path.

    Raises:
        ModelNotFoundError: With a message that says how to obtain the file.
    """
    if looks_like_path(name_or_path):
        path = Path(name_or_path).expanduser()
        if path.is_file():
            return path
        raise ModelNotFoundError(f"model file {str(path)!r} does not exist")
    spec = get_spec(name_or_path)
    folder = models_dir if models_dir is not None else models_folder()
    path = folder / spec.file
    if path.is_file():
        return path
    raise ModelNotFoundError(f"model {spec.name!r} is not in {folder} (expected {spec.file}); {how_to_get(spec)}")


def how_to_get(spec: ModelSpec) -> str:
    """One sentence telling a user how to obtain the file of ``spec``."""
    ways = []
    if spec.urls:
        ways.append(f"run `{shelfsight_command()} models fetch {spec.name}` (needs internet)")
    if spec.export and spec.export.startswith("yolo "):
        ways.append(f"export it with ultralytics (`pip install shelfsight[export]`): {spec.export}")
    elif spec.export:
        ways.append(f"make it in the models folder (needs internet): {spec.export}")
    ways.append(f"or copy the file there, or point {MODELS_DIR_ENV} at the folder that has it")
    return "; ".join(ways)


def shelfsight_command() -> str:
    """How to call this installation's ``shelfsight`` in advice (it need not be on PATH): the script beside the
    running interpreter, relative to the working directory when below it (``.venv/bin/shelfsight`` in a clone)."""
    script = Path(sys.executable).parent / "shelfsight"
    try:
        return str(script.relative_to(Path.cwd()))
    except ValueError:
        return str(script)


def sha256_of(path: Path, chunk_bytes: int = 1 << 20) -> str:
    """Hex sha256 of a file, read in chunks (model files can be hundreds of MB)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(chunk_bytes):
            digest.update(chunk)
    return digest.hexdigest()
