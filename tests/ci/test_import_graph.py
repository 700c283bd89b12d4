"""The product's packages are imported under one name each, and depend on one another without a cycle (issue 16).

Every package installs as ``shelfsight.<folder>`` (pyproject's ``package-dir``). An import of a bare ``vision`` or
``pipeline`` would still work from a checkout (the repository root is on ``sys.path`` in tests), and would load a
second copy of every module under the other name: two ``FrameDetections`` classes, and ``isinstance`` failing
between them. The package-level import graph is pinned as measured, so a new edge between packages is a decision
made in this file, and a cycle fails.
"""

from __future__ import annotations

import ast
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NAMESPACE = "shelfsight"
PACKAGES = ("vision", "models", "edge_config", "transport", "pipeline", "dashboard", "cli")
"""The top-level folders that install as ``shelfsight.<name>``."""
CHECKED_FOLDERS = (*PACKAGES, "tests", "bench")
SKIPPED_PARTS = {".venv", ".typing", "__pycache__"}

ALLOWED_DEPENDENCIES: dict[str, set[str]] = {
    "vision": set(),
    "models": set(),
    "edge_config": {"models", "vision"},
    "transport": {"vision"},
    "pipeline": {"edge_config", "models", "transport", "vision"},
    "dashboard": {"transport", "vision"},
    "cli": {"dashboard", "edge_config", "models", "pipeline", "vision"},
}
"""Which shelfsight packages each package imports (measured; lower layers never import higher ones)."""


def python_files(folders: tuple[str, ...]) -> Iterator[Path]:
    for folder in folders:
        for path in sorted((ROOT / folder).rglob("*.py")):
            if not SKIPPED_PARTS & set(path.relative_to(ROOT).parts):
                yield path


def imported_modules(path: Path) -> Iterator[tuple[int, str]]:
    """``(line, absolute module name)`` of every import statement in the file (relative imports left out)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module


def shelfsight_package(module: str) -> str | None:
    """``shelfsight.vision.events.codec`` -> ``vision``; None for a module outside the namespace."""
    parts = module.split(".")
    if parts[0] != NAMESPACE or len(parts) < 2:
        return None
    return parts[1]


def package_graph() -> dict[str, set[str]]:
    """Package -> the other shelfsight packages its modules import."""
    graph: dict[str, set[str]] = {package: set() for package in PACKAGES}
    for package in PACKAGES:
        for path in python_files((package,)):
            for _, module in imported_modules(path):
                target = shelfsight_package(module)
                if target is not None and target != package:
                    graph[package].add(target)
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the graph as a path that returns to its start, or None (depth-first, three colours)."""
    state: dict[str, str] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt)) is not None:
                return cycle
        stack.pop()
        state[node] = "done"
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)) is not None:
            return cycle
    return None


def test_no_bare_top_level_imports() -> None:
    bare = {*PACKAGES}
    found = [
        f"{path.relative_to(ROOT)}:{line}: {module}"
        for path in python_files(CHECKED_FOLDERS)
        for line, module in imported_modules(path)
        if module.split(".")[0] in bare
    ]
    assert sum(1 for _ in python_files(("vision",))) > 10  # the folders are where this test looks
    assert not found, f"import these as shelfsight.<package> (one name per module): {found}"


def test_package_import_graph_has_no_cycle() -> None:
    assert find_cycle(package_graph()) is None


def test_package_import_graph_is_the_pinned_layering() -> None:
    graph = package_graph()
    assert graph == ALLOWED_DEPENDENCIES


@pytest.mark.parametrize(
    ("graph", "cycle"),
    [
        ({"a": {"b"}, "b": set()}, None),
        ({"a": {"b"}, "b": {"a"}}, ["a", "b", "a"]),
        ({"a": {"b"}, "b": {"c"}, "c": {"b"}}, ["b", "c", "b"]),
        ({"a": {"a"}}, ["a", "a"]),
    ],
)
def test_find_cycle(graph: dict[str, set[str]], cycle: list[str] | None) -> None:
    assert find_cycle(graph) == cycle


def test_every_package_folder_is_in_the_wheel() -> None:
    """pyproject lists the packages by hand (package-dir cannot be combined with ``find``): a new folder of Python
    files must be added there, or the wheel silently lacks it."""
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["packages"])
    folders = {".".join((NAMESPACE, *path.parent.relative_to(ROOT).parts)) for path in python_files(PACKAGES)}
    assert listed == folders
