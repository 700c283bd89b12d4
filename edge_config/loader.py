"""Load an edge box's YAML config, reporting every mistake at once with its file, line and key path."""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import ValidationError

from shelfsight.edge_config.camera import DEFAULT_MODEL
from shelfsight.edge_config.checks import (
    check_certificate,
    check_model_files,
    check_model_refs,
    check_pose_model_refs,
    check_reid_model,
    check_sources,
)
from shelfsight.edge_config.crossref import refs_from_raw, store_findings
from shelfsight.edge_config.messages import finding_from_error
from shelfsight.edge_config.pose import DEFAULT_POSE_MODEL
from shelfsight.edge_config.problems import ConfigError, ConfigProblem, Finding, Loc, format_key_path
from shelfsight.edge_config.store import EdgeConfig
from shelfsight.edge_config.yaml_source import YamlDocument, line_of, parse_yaml, syntax_finding

logger = logging.getLogger(__name__)

START_FROM_DEMO = "start from edge_config/demo.yaml"
TOO_DEEP = "the file nests lists or mappings deeper than can be read (an edge config is at most a few levels deep)"


@dataclass(frozen=True)
class _Outcome:
    """A validation pass: the config when valid, every finding, and the tree to locate them in."""

    config: EdgeConfig | None
    findings: list[Finding]
    document: YamlDocument | None


def _validate_text(text: str) -> _Outcome:
    """Parse and validate, collecting YAML key, field and cross-reference findings in one pass."""
    try:
        return _validate_document(text)
    except RecursionError:  # PyYAML's composer and the checks recurse per level: 100,000 "[" would crash them
        return _Outcome(None, [Finding((), TOO_DEEP, START_FROM_DEMO, line=1)], None)


def _validate_document(text: str) -> _Outcome:
    try:
        document = parse_yaml(text)
    except yaml.YAMLError as exc:
        return _Outcome(None, [syntax_finding(exc)], None)
    if document.root is None:
        return _Outcome(None, [Finding((), "the file is empty", START_FROM_DEMO, line=1)], document)
    if not isinstance(document.data, dict):
        got = type(document.data).__name__
        message = f"the top level must be a mapping of keys (store_id:, cameras:, ...), got a {got}"
        return _Outcome(None, [Finding((), message, START_FROM_DEMO)], document)
    findings = [*document.key_problems, *store_findings(refs_from_raw(document.data))]
    try:
        config: EdgeConfig | None = EdgeConfig.model_validate(document.data)
    except ValidationError as exc:
        config = None
        translated = (finding_from_error(error, EdgeConfig) for error in exc.errors())
        findings += [finding for finding in translated if finding is not None]
    return _Outcome(config if not findings else None, findings, document)


def _raw_model_refs(data: object, findings: Sequence[Finding], *, pose: bool = False) -> list[tuple[Loc, str]]:
    """Model references of an invalid document (``pose.model`` ones when ``pose``), skipping values that are
    themselves wrong."""
    cameras = data.get("cameras") if isinstance(data, dict) else None
    refs: list[tuple[Loc, str]] = []
    for index, camera in enumerate(cameras if isinstance(cameras, list) else []):
        section = camera.get("pose") if pose and isinstance(camera, dict) else camera
        default = DEFAULT_POSE_MODEL if pose else DEFAULT_MODEL
        model = section.get("model", default) if isinstance(section, dict) else None
        loc: Loc = ("cameras", index, "pose", "model") if pose else ("cameras", index, "model")
        if isinstance(model, str) and not any(f.loc[: len(loc)] == loc for f in findings):
            refs.append((loc, model))
    return refs


def _to_problems(findings: Sequence[Finding], *, source: str, document: YamlDocument | None) -> list[ConfigProblem]:
    """Locate findings in the file and sort them by line, then key path, dropping exact repeats."""
    problems = set()
    for finding in findings:
        line = finding.line
        if line is None and document is not None and document.root is not None:
            line = line_of(document.root, finding.loc)
        problems.add(ConfigProblem(source, format_key_path(finding.loc), line, finding.message, finding.fix))
    return sorted(problems, key=lambda p: (p.line if p.line is not None else 0, p.key_path, p.message))


def _read(path: Path) -> str | ConfigProblem:
    """The file's text, or the problem that stopped us reading it."""
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        return ConfigProblem(str(path), "", None, f"cannot read the file: {reason}", "check the path and permissions")


def load_config_text(text: str, *, source: str = "<text>") -> EdgeConfig:
    """Validate config YAML held in memory (tests, generated configs).

    Args:
        text: YAML text.
        source: Name to report problems under, in place of a file path.

    Returns:
        The validated, frozen config.

    Raises:
        ConfigError: Listing every problem found.
    """
    outcome = _validate_text(text)
    if outcome.config is None:
        raise ConfigError(_to_problems(outcome.findings, source=source, document=outcome.document))
    return outcome.config


def load_config(path: str | os.PathLike[str]) -> EdgeConfig:
    """Load and validate an edge box's config file.

    Pure validation: whether model files exist on this machine is `check_config`'s extra step, since the
    stage that loads a model reports a missing file itself.

    Args:
        path: The YAML file.

    Returns:
        The validated, frozen config.

    Raises:
        ConfigError: Listing every problem found, each with its line and key path.
    """
    path = Path(path)
    text = _read(path)
    if isinstance(text, ConfigProblem):
        raise ConfigError([text])
    return load_config_text(text, source=str(path))


def check_config(
    path: str | os.PathLike[str],
    models_dir: Path | None = None,
    warnings: list[str] | None = None,
    *,
    reid: bool = True,
) -> list[ConfigProblem]:
    """Every problem of a config file, including what this machine lacks (see `shelfsight.edge_config.checks`): model
    files missing (the ReID model too, when tracks are re-linked by appearance), empty or of the wrong kind,
    unknown synthetic scenarios, videos that do not decode, a CURVE certificate that does not load. Each of those
    would otherwise make a stage fail at every restart.

    Never stops at the first problem: YAML duplicate keys, field errors, cross-reference errors and
    machine problems are all collected, so one run of ``shelfsight config check`` shows everything to fix.

    Args:
        path: The YAML file.
        models_dir: Folder of manifest models; None means the ``SHELFSIGHT_MODELS_DIR`` setting.
        warnings: Where to append what works but deserves a look (a truncated video), one line each.
        reid: False when the runner switches appearance re-linking off (``--no-reid``): the ReID model is then not
            needed whatever the config says.

    Returns:
        The problems sorted by line; empty when the file is good.
    """
    path = Path(path)
    text = _read(path)
    if isinstance(text, ConfigProblem):
        return [text]
    outcome = _validate_text(text)
    config_dir = path.parent
    if outcome.config is not None:
        extra = [
            *check_model_files(outcome.config, config_dir=config_dir, models_dir=models_dir),
            *(check_reid_model(outcome.config, models_dir=models_dir) if reid else []),
            *check_sources(outcome.config, config_dir=config_dir, warnings=warnings),
            *check_certificate(outcome.config, config_dir=config_dir),
        ]
    elif outcome.document is not None:
        refs = _raw_model_refs(outcome.document.data, outcome.findings)
        pose_refs = _raw_model_refs(outcome.document.data, outcome.findings, pose=True)
        extra = [
            *check_model_refs(refs, config_dir=config_dir, models_dir=models_dir),
            *check_pose_model_refs(pose_refs, config_dir=config_dir, models_dir=models_dir),
        ]
    else:
        extra = []
    return _to_problems([*outcome.findings, *extra], source=str(path), document=outcome.document)
