"""Checks of a config against this machine: what would otherwise make a stage fail at every restart.

Do the model files the cameras name exist (and the ReID model, when tracks are re-linked by appearance), and is
each a detection model (not empty, not another kind), and each pose model really a BlazePose landmark model? Does
every ``synthetic:`` source name a scenario, every video file decode, the box's CURVE certificate load? A video
that decodes but ends before the frames it declares (a cut-off copy) is a warning, not an error.

Kept out of the pydantic models on purpose: a config is pure data that validates the same anywhere
(a laptop preparing a box's file, CI), while these checks depend on where they run. Heavy imports (OpenCV,
ONNX, the synthetic store, ZeroMQ) happen inside the checks, so loading a config stays light.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path

from shelfsight.edge_config.camera import SourceKind
from shelfsight.edge_config.problems import Finding, Loc
from shelfsight.edge_config.store import EdgeConfig
from shelfsight.edge_config.tracker import REID_MODEL
from shelfsight.models.registry import get_spec, looks_like_path, resolve_model

MODEL_FIX = "name a person detector: a model from `shelfsight models list`, or a YOLOX / Ultralytics detect .onnx"
SCENARIO_FIX = "use a name from `shelfsight synth list`, random-<seed>, or a scenario .yaml file"
VIDEO_FIX = "check the file: a relative path is relative to the config file's folder; it must be a video OpenCV reads"

logger = logging.getLogger(__name__)


def absolute_model_ref(model: str, *, config_dir: Path) -> str:
    """Make a camera's ``model`` independent of the working directory.

    A model path in the config is relative to the config file's folder, so the same file works whatever
    directory the pipeline is started from. Manifest names are returned unchanged.

    Args:
        model: ``CameraConfig.model``: a manifest name or a path to an .onnx file.
        config_dir: Folder of the config file.

    Returns:
        What to pass to `shelfsight.models.registry.resolve_model`.
    """
    if not looks_like_path(model):
        return model
    path = Path(model).expanduser()
    return str(path if path.is_absolute() else config_dir / path)


def check_model_refs(
    refs: Iterable[tuple[Loc, str]], *, config_dir: Path, models_dir: Path | None = None, detection: bool = True
) -> list[Finding]:
    """One finding per model reference that resolves to no file (or, with ``detection``, to a file that is not a
    detection model this pipeline can run).

    Args:
        refs: (key path of the ``model`` value, the value) pairs.
        config_dir: Folder of the config file, for relative model paths.
        models_dir: Folder of manifest models; None means the ``SHELFSIGHT_MODELS_DIR`` setting.
        detection: Also check that each file is a detection model (off for pose models: checked on their own).

    Returns:
        Findings whose message is the registry's, which says how to obtain the model.
    """
    findings = []
    layouts: dict[Path, str | None] = {}
    for loc, model in refs:
        try:
            path = resolve_model(absolute_model_ref(model, config_dir=config_dir), models_dir)
        except LookupError as exc:  # shelfsight.models.registry.ModelNotFoundError
            if looks_like_path(model):
                fix = "check the path; a relative path is relative to the config file's folder"
            else:
                fix = "get the file as the message says, or pass --models-dir DIR where it already is"
            findings.append(Finding(loc, str(exc), fix))
            continue
        if not detection:
            continue
        if path not in layouts:
            layouts[path] = _model_problem(path)
        problem = layouts[path]
        if problem is not None:
            findings.append(Finding(loc, problem, MODEL_FIX))
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
    from shelfsight.vision.detector.layouts import UnsupportedModelError
    from shelfsight.vision.pose.landmark_layout import read_landmark_layout

    refs = list(refs)
    findings = check_model_refs(refs, config_dir=config_dir, models_dir=models_dir, detection=False)
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
        except Exception as exc:  # an empty or broken file: whatever the ONNX reader raises, it is a finding
            findings.append(Finding(loc, f"cannot read {path} as an ONNX model: {exc}", POSE_FIX))
    return findings


def _model_problem(path: Path) -> str | None:
    """Why ``path`` cannot be this pipeline's detector (empty, not ONNX, another kind of model), or None."""
    from shelfsight.vision.detector.inspect import model_layout  # ONNX: only when a config is checked
    from shelfsight.vision.detector.layouts import UnsupportedModelError

    try:
        model_layout(path)
    except UnsupportedModelError as exc:
        return f"not a detection model this pipeline can run: {exc}"
    except OSError as exc:
        return f"cannot read the model file {path}: {exc.strerror or exc}"
    return None


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


REID_FIX = (
    "get the file as the message says, or set `relink: {reid: false}` under `tracker:` (fewer re-links, and more "
    "wrong ones where shoppers dress alike)"
)


def check_reid_model(config: EdgeConfig, *, models_dir: Path | None = None) -> list[Finding]:
    """A finding when some camera re-links with appearance (``tracker.relink.reid``, on by default) and the ReID
    model is missing: every event stage would otherwise fail to build its tracker at each restart.

    Located at the store-wide ``tracker.relink.reid`` when that is on, else at the first camera that turns it on.
    """
    relinking = [i for i, camera in enumerate(config.cameras) if config.tracker_for(camera.id).relink.reid]
    if not relinking:
        return []
    try:
        resolve_model(REID_MODEL, models_dir)
    except LookupError as exc:  # shelfsight.models.registry.ModelNotFoundError
        loc: Loc = ("tracker", "relink", "reid")
        if not config.tracker.relink.reid:
            loc = ("cameras", relinking[0], "tracker", "relink", "reid")
        return [Finding(loc, str(exc), REID_FIX)]
    return []


def check_sources(config: EdgeConfig, *, config_dir: Path, warnings: list[str] | None = None) -> list[Finding]:
    """Findings for camera sources that cannot work on this machine: an unknown ``synthetic:`` scenario, a video
    file that is missing or does not decode. A file that ends before the frames it declares adds a warning.

    Streams and USB cameras are not opened here: the box may not reach them from where the config is checked,
    and the capture stage retries them anyway (offline meanwhile).

    Args:
        config: A validated config.
        config_dir: Folder of the config file, for relative file paths.
        warnings: Where to append warnings (one line each); None to drop them.
    """
    findings = []
    for index, camera in enumerate(config.cameras):
        loc: Loc = ("cameras", index, "source")
        if camera.source_kind is SourceKind.SYNTHETIC:
            problem = _scenario_problem(str(camera.source))
            if problem is not None:
                findings.append(Finding(loc, problem, SCENARIO_FIX))
        elif camera.source_kind is SourceKind.FILE:
            path = Path(str(camera.source)).expanduser()
            path = path if path.is_absolute() else config_dir / path
            problem, warning = _video_problem(path)
            if problem is not None:
                findings.append(Finding(loc, problem, VIDEO_FIX))
            if warning is not None and warnings is not None:
                warnings.append(f"cameras[{index}].source: {warning}")
    return findings


def _scenario_problem(source: str) -> str | None:
    from shelfsight.vision.synthetic.library import resolve_scenario  # the synthetic store: only for synthetic sources

    try:
        resolve_scenario(source)
    except (KeyError, ValueError, OSError) as exc:
        reason = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        return f"{source!r} names no scenario: {reason}"
    return None


def _video_problem(path: Path) -> tuple[str | None, str | None]:
    """(problem, warning) of a video file source."""
    from shelfsight.vision.video import SourceError, probe_video  # OpenCV: only for file sources

    if not path.is_file():
        return f"video file {path} does not exist", None
    try:
        probe = probe_video(path)
    except SourceError as exc:
        return str(exc), None
    if probe.readable == 0:
        return f"no frame of {path} decodes (a broken or unsupported video)", None
    if probe.truncated:
        return None, (
            f"{path}: only {probe.readable} of the {probe.declared} frames it declares decode; the "
            "file looks truncated, and its events will cover only those"
        )
    return None, None


def check_certificate(config: EdgeConfig, *, config_dir: Path) -> list[Finding]:
    """A finding when the box's CURVE certificate (``aggregator.client_certificate_file``) is missing, does not
    load, or holds no secret key: the publisher could not start, and would fail again at every restart."""
    certificate = config.aggregator.client_certificate_file
    if certificate is None:
        return []
    import zmq.auth  # ZeroMQ: only when CURVE is configured

    path = certificate.expanduser()
    path = path if path.is_absolute() else config_dir / path
    loc: Loc = ("aggregator", "client_certificate_file")
    fix = "give the .key_secret file that `shelfsight keys gen` wrote for this box (relative to the config's folder)"
    if not path.is_file():
        return [Finding(loc, f"certificate file {path} does not exist", fix)]
    try:
        _, secret = zmq.auth.load_certificate(str(path))
    except (OSError, ValueError) as exc:
        return [Finding(loc, f"certificate file {path} does not load: {exc}", fix)]
    if secret is None:
        return [Finding(loc, f"certificate file {path} holds no secret key (a .key, not a .key_secret)", fix)]
    return []
