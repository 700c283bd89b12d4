"""Download a model file named in the manifest, with checksum verification.

Edge boxes may have no internet: every failure says what to do instead (copy the file, or export it).
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

from shelfsight.models.registry import ModelSpec, how_to_get, sha256_of

logger = logging.getLogger(__name__)

DOWNLOAD_TIMEOUT_S = 30.0
Progress = Callable[[int, int | None], None]


class FetchError(RuntimeError):
    """A model could not be downloaded or did not match its checksum; the message says what to do.

    Attributes:
        causes: Why each download source failed, in the order tried (empty when none was tried).
    """

    def __init__(self, message: str, causes: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.causes = causes


def fetch_model(
    spec: ModelSpec,
    dest_dir: Path,
    *,
    progress: Progress | None = None,
    force: bool = False,
    timeout_s: float = DOWNLOAD_TIMEOUT_S,
) -> Path:
    """Download ``spec`` into ``dest_dir`` and verify its sha256 before moving it into place.

    Args:
        spec: The manifest entry.
        dest_dir: The models folder; the file lands at ``dest_dir / spec.file``.
        progress: Called with (bytes so far, total bytes or None) while downloading.
        force: Download again even if a file with the right checksum is already there.
        timeout_s: Seconds any one network operation (connect, a read) may take before that source is given up.

    Returns:
        The path of the verified file.

    Raises:
        FetchError: No URL, no network, or a checksum mismatch (the partial file is removed).
    """
    target = dest_dir / spec.file
    if target.is_file() and not force and (spec.sha256 is None or sha256_of(target) == spec.sha256):
        logger.info("model %s already present at %s", spec.name, target)
        return target
    if not spec.urls:
        raise FetchError(f"model {spec.name!r} has no download source; {how_to_get(spec)}")
    target.parent.mkdir(parents=True, exist_ok=True)
    errors, causes = [], []
    for url in spec.urls:
        try:
            return _download_verified(spec, url, target, progress, timeout_s)
        except (urllib.error.URLError, OSError, TimeoutError) as exc:
            errors.append(f"{url}: {exc}")
            causes.append(str(getattr(exc, "reason", exc)))
            # INFO, not WARNING: the FetchError below carries every failure to whoever asked for the model.
            logger.info("download of %s from %s failed: %s", spec.name, url, exc)
    tried = "; ".join(errors)
    raise FetchError(
        f"could not download model {spec.name!r} (no internet on this machine?). Tried: {tried}. "
        f"Instead, copy {spec.file} from a machine that has it into {dest_dir}",
        causes=tuple(causes),
    )


def _download_verified(spec: ModelSpec, url: str, target: Path, progress: Progress | None, timeout_s: float) -> Path:
    with tempfile.NamedTemporaryFile(dir=target.parent, delete=False, suffix=".part") as tmp:
        tmp_path = Path(tmp.name)
        try:
            with urllib.request.urlopen(url, timeout=timeout_s) as response:
                total = int(response.headers.get("Content-Length") or 0) or None
                done = 0
                while chunk := response.read(1 << 16):
                    tmp.write(chunk)
                    done += len(chunk)
                    if progress is not None:
                        progress(done, total)
        except BaseException:
            tmp_path.unlink(missing_ok=True)
            raise
    digest = sha256_of(tmp_path)
    if spec.sha256 is not None and digest != spec.sha256:
        tmp_path.unlink(missing_ok=True)
        raise FetchError(
            f"checksum mismatch for {spec.name} from {url}: expected sha256 {spec.sha256}, got {digest}; "
            "the file was not kept"
        )
    shutil.move(tmp_path, target)
    logger.info("fetched model %s from %s into %s (sha256 %s)", spec.name, url, target, digest)
    return target
