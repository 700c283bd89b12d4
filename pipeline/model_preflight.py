"""Before a run starts: every model file an edge config needs, which are missing, fetching those that can be
downloaded, and one message listing what is still missing with the exact command for each.

Why: without this the edge runtime starts, each stage that lacks its model dies at every restart, and the user
sees only a log file (issue 15). The needs are the same ones `shelfsight.pipeline.assembly` resolves when the stages
build their detector, pose model and tracker, so a config that passes here does not fail there for a missing file.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from shelfsight.edge_config.checks import absolute_model_ref
from shelfsight.edge_config.store import EdgeConfig
from shelfsight.edge_config.tracker import REID_MODEL
from shelfsight.models.fetch import FetchError, Progress, fetch_model
from shelfsight.models.registry import (
    MODELS_DIR_ENV,
    ModelSpec,
    get_spec,
    looks_like_path,
    models_folder,
    shelfsight_command,
)

logger = logging.getLogger(__name__)

PREFLIGHT_FETCH_TIMEOUT_S = 10.0
"""Per-socket-operation timeout of a pre-flight download (seconds): short, so a machine without internet hears
so within the demo's one-minute promise even when its network drops packets instead of refusing."""


@dataclass(frozen=True)
class ModelNeed:
    """One model file a config needs.

    Attributes:
        ref: The value as written (a manifest name or an .onnx path, made absolute when relative).
        used_by: Who needs it, in config key paths (``cameras[0].model (aisle-cam)``), for the message.
        spec: The manifest entry, or None for a path.
    """

    ref: str
    used_by: tuple[str, ...]
    spec: ModelSpec | None

    def path(self, models_dir: Path) -> Path:
        """Where the file must be: ``models_dir / spec.file`` for a manifest model, else the path itself."""
        return models_dir / self.spec.file if self.spec is not None else Path(self.ref).expanduser()


@dataclass(frozen=True)
class MissingModel:
    """A needed model whose file is absent, and why a fetch did not bring it (None when none was tried)."""

    need: ModelNeed
    path: Path
    fetch_error: str | None = None


def needed_models(config: EdgeConfig, *, config_dir: Path, reid: bool = True) -> list[ModelNeed]:
    """Every model file the edge runtime will open for ``config``: each camera's detector, each ``pose:`` model,
    and the ReID model when a camera's effective ``tracker.relink.reid`` is on (and ``reid``, the runner's
    switch, allows it). One entry per distinct file, in config order.

    Raises:
        ModelNotFoundError: For a manifest name that is not in the manifest (``config check`` reports it first).
    """
    users: dict[str, list[str]] = {}
    for index, camera in enumerate(config.cameras):
        users.setdefault(absolute_model_ref(camera.model, config_dir=config_dir), []).append(
            f"cameras[{index}].model ({camera.id})"
        )
        if camera.pose is not None:
            users.setdefault(absolute_model_ref(camera.pose.model, config_dir=config_dir), []).append(
                f"cameras[{index}].pose.model ({camera.id})"
            )
    relinking = [camera.id for camera in config.cameras if config.tracker_for(camera.id).relink.reid]
    if reid and relinking:
        users.setdefault(REID_MODEL, []).append(f"tracker.relink.reid ({', '.join(relinking)})")
    return [ModelNeed(ref, tuple(who), None if looks_like_path(ref) else get_spec(ref)) for ref, who in users.items()]


def missing_models(needs: list[ModelNeed], models_dir: Path | None = None) -> list[MissingModel]:
    """The needs whose file is not there (``models_dir`` None: the models folder setting, else the user cache)."""
    folder = models_dir if models_dir is not None else models_folder()
    return [MissingModel(need, need.path(folder)) for need in needs if not need.path(folder).is_file()]


ProgressFactory = Callable[[ModelSpec], Progress]
"""Makes the progress callback of one download (a progress bar row), given the model being fetched."""


def fetch_missing(
    missing: list[MissingModel],
    models_dir: Path,
    *,
    progress: ProgressFactory | None = None,
    timeout_s: float = PREFLIGHT_FETCH_TIMEOUT_S,
) -> list[MissingModel]:
    """Download every missing manifest model that has a download source; return what is still missing, each
    with the reason its download failed. Paths and export-only models are returned untouched."""
    still = []
    for item in missing:
        spec = item.need.spec
        if spec is None or not spec.urls:
            still.append(item)
            continue
        started = time.monotonic()
        try:
            fetch_model(spec, models_dir, progress=progress(spec) if progress else None, timeout_s=timeout_s)
        except FetchError as exc:
            logger.debug("pre-flight fetch of %s failed after %.1f s", spec.name, time.monotonic() - started)
            reason = "; ".join(dict.fromkeys(exc.causes)) or str(exc)  # the same cause once, not once per mirror
            still.append(MissingModel(item.need, item.path, fetch_error=reason))
    return still


def how_to_get_command(item: MissingModel, models_dir: Path) -> str:
    """The exact thing to run (or do) to get one missing file."""
    spec = item.need.spec
    if spec is None:
        return f"put the .onnx file at {item.path}, or change {', '.join(item.need.used_by)} to a file that exists"
    if spec.urls:
        return f"{shelfsight_command()} models fetch {spec.name}"
    if spec.export:
        return f"(mkdir -p {models_dir} && cd {models_dir} && {spec.export})"
    return f"copy {spec.file} into {models_dir}"


def missing_message(missing: list[MissingModel], models_dir: Path) -> str:
    """One message naming every missing file, who needs it and the exact command to get it; then the two other
    ways (point the setting at a folder that has them, or copy them in)."""
    noun = "model file is" if len(missing) == 1 else "model files are"
    lines = [f"{len(missing)} {noun} missing from the models folder {models_dir}:"]
    for item in missing:
        name = item.need.spec.name if item.need.spec is not None else item.need.ref
        lines.append(f"  - {item.path}  ({name}; needed by {', '.join(item.need.used_by)})")
        lines.append(f"      get it: {how_to_get_command(item, models_dir)}")
        if item.fetch_error is not None:
            lines.append(f"      (downloading it just now failed: {item.fetch_error}; no internet on this machine?)")
    lines.append(
        f"Or, where the files already are on this machine: export {MODELS_DIR_ENV}=/that/folder (every command, "
        f"`make demo` included, reads models from ${MODELS_DIR_ENV}, else from ../shared/models beside the checkout, "
        "else from ~/.cache/shelfsight/models)."
    )
    return "\n".join(lines)
