"""What the loader reports: one `ConfigProblem` per mistake, and `ConfigError` carrying all of them."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

logger = logging.getLogger(__name__)

Loc = tuple[str | int, ...]
"""A key path into the YAML document as pydantic reports it: ``("cameras", 1, "zones", 0, "polygon")``."""


def format_key_path(loc: Loc) -> str:
    """Render a key path the way a user reads it: ``cameras[1].zones[0].polygon``.

    Args:
        loc: Mapping keys (str) and list indexes (int), outermost first.

    Returns:
        Dotted keys with bracketed indexes; ``""`` for the top level.
    """
    text = ""
    for step in loc:
        if isinstance(step, int):
            text += f"[{step}]"
        else:
            text += f".{step}" if text else step
    return text


@dataclass(frozen=True)
class Finding:
    """A mistake located by key path; the loader turns it into a `ConfigProblem` with a line number.

    Attributes:
        loc: Key path of the offending value (or of its missing key).
        message: What is wrong and what would be valid.
        fix: What to change.
        line: 1-based line, only when known without the key path (YAML syntax errors).
    """

    loc: Loc
    message: str
    fix: str
    line: int | None = None


@dataclass(frozen=True)
class ConfigProblem:
    """One mistake in a config file, located precisely enough for an editor to jump to it.

    Attributes:
        path: The config file as the user named it.
        key_path: Where in the document, e.g. ``cameras[1].zones[0].polygon``; ``""`` for the whole file.
        line: 1-based line in the file, or None when the file could not be read at all.
        message: What is wrong and what would be valid.
        fix: What to change.
    """

    path: str
    key_path: str
    line: int | None
    message: str
    fix: str

    def __str__(self) -> str:
        """``FILE:LINE: key.path: message (fix: ...)``, the form compilers use, so editors can jump to it."""
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        what = f"{self.key_path}: {self.message}" if self.key_path else self.message
        return f"{where}: {what} (fix: {self.fix})"


class ConfigError(ValueError):
    """A config file that cannot be used; ``problems`` lists every mistake found, not just the first.

    Attributes:
        problems: All problems, sorted by line.
    """

    def __init__(self, problems: Sequence[ConfigProblem]) -> None:
        """Wrap a non-empty list of problems.

        Args:
            problems: The problems found; at least one.

        Raises:
            ValueError: When ``problems`` is empty (an error with nothing wrong is a bug).
        """
        if not problems:
            raise ValueError("ConfigError needs at least one problem")
        self.problems: list[ConfigProblem] = list(problems)
        count = len(self.problems)
        noun = "problem" if count == 1 else "problems"
        lines = "\n".join(f"  {problem}" for problem in self.problems)
        super().__init__(f"{count} config {noun} in {self.problems[0].path}:\n{lines}")
