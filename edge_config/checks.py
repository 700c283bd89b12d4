"""Checks of a config against this machine: do the model files the cameras name exist, and is each pose model
really a BlazePose landmark model?

Kept out of the pydantic models on purpose: a config is pure data that validates the same anywhere
(a laptop preparing a box's file, CI), while these checks depend on where they run.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path

from edge_config.problems import Finding, Loc
from edge_config.store import EdgeConfig
from models.registry import get_spec, looks_like_path, resolve_model

logger = logging.getLogger(__name__)


def absolute_model_ref(model: str, *, config_dir: Path) -> str:
    """Make a camera's ``model`` independent of the working directory.

    A model path in the config is relative to the config file's folder, so the same file works whatever
    directory the pipeline is started from. Manifest names are returned unchanged.

    Args:
        model: ``CameraConfig.model``: a manifest name or a path to an .onnx file.
        config_dir: Folder of the config file.

    Returns:
        What to pass to `models.registry.resolve_model`.
    """
    if not looks_like_path(model):
        return model
    path = Path(model).expanduser()
    return str(path if path.is_absolute() else config_dir / path)


def check_model_refs(
    refs: Iterable[tuple[Loc, str]], *, config_dir: Path, models_dir: Path | None = None
) -> list[Finding]:
    """One finding per model reference that resolves to no file.

    Args:
        refs: (key path of the ``model`` value, the value) pairs.
        config_dir: Folder of the config file, for relative model paths.
        models_dir: Folder of manifest models; None means the ``SHELFSIGHT_MODELS_DIR`` setting.

    Returns:
        Findings whose message is the registry's, which says how to obtain the model.
    """
    findings = []
    for loc, model in refs:
        try:
            resolve_model(absolute_model_ref(model, config_dir=config_dir), models_dir)
        except LookupError as exc:  # models.registry.ModelNotFoundError
            if looks_like_path(model):
                fix = "check the path; a relative path is relative to the config file's folder"
            else:
                fix = "get the file as the message says, or pass --models-dir DIR where it already is"
            findings.append(Finding(loc, str(exc), fix))
    return findings


LANDMARK_TASK = "pose_landmarks"
"""The manifest task of top-down landmark models (what a camera's ``pose.model`` must be)."""
POSE_FIX = (
    "use blazepose_landmark_full or blazepose_landmark_lite; a pose detector such as yolo11n_pose_640 goes in the "
    "camera's `model:` instead"
)


def check_pose_model_refs(
    refs: Iterable[tuple[Loc, str]], *, config_dir: Path, models_dir: Path | None = None
) -> list[Finding]:
    """One finding per ``pose.model`` that is missing or is not a BlazePose landmark model.

    A manifest name must have the landmark task; any file found must declare the landmark model's input and
    outputs (read from the file, so a renamed detector is caught too).

    Args:
        refs: (key path of the ``pose.model`` value, the value) pairs.
        config_dir: Folder of the config file, for relative model paths.
        models_dir: Folder of manifest models; None means the ``SHELFSIGHT_MODELS_DIR`` setting.
    """
    # Imported here: it loads the onnx package, which `import edge_config` (the dashboard, every CLI call) skips.
    from vision.detector.layouts import UnsupportedModelError
    from vision.pose.landmark_layout import read_landmark_layout

    refs = list(refs)
    findings = check_model_refs(refs, config_dir=config_dir, models_dir=models_dir)
    missing = {finding.loc for finding in findings}
    for loc, model in refs:
        if loc in missing:
            continue
        if not looks_like_path(model) and (task := get_spec(model).task) != LANDMARK_TASK:
            message = f"model {model!r} is a {task} model, not a BlazePose landmark model"
            findings.append(Finding(loc, message, POSE_FIX))
            continue
        path = resolve_model(absolute_model_ref(model, config_dir=config_dir), models_dir)
        try:
            read_landmark_layout(path)
        except UnsupportedModelError as exc:
            findings.append(Finding(loc, f"{path} is not a BlazePose landmark model: {exc}", POSE_FIX))
    return findings


def check_model_files(config: EdgeConfig, *, config_dir: Path, models_dir: Path | None = None) -> list[Finding]:
    """Findings for every camera whose model is neither a present manifest model nor an existing file, and for
    every pose model that is missing or of the wrong kind.

    Args:
        config: A validated config.
        config_dir: Folder of the config file.
        models_dir: Folder of manifest models; None means the ``SHELFSIGHT_MODELS_DIR`` setting.

    Returns:
        Findings at ``cameras[i].model`` and ``cameras[i].pose.model``.
    """
    refs = [(("cameras", index, "model"), camera.model) for index, camera in enumerate(config.cameras)]
    pose_refs: list[tuple[Loc, str]] = [
        (("cameras", index, "pose", "model"), camera.pose.model)
        for index, camera in enumerate(config.cameras)
        if camera.pose is not None
    ]
    return [
        *check_model_refs(refs, config_dir=config_dir, models_dir=models_dir),
        *check_pose_model_refs(pose_refs, config_dir=config_dir, models_dir=models_dir),
    ]
