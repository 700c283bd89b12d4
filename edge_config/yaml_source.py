"""Parse a config's YAML keeping the node tree, so every key path can be traced back to a line."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import yaml

from shelfsight.edge_config.problems import Finding, Loc

logger = logging.getLogger(__name__)

YAML_FIX = "fix the YAML near this line: indentation, a missing ':' or an unclosed quote or bracket"

_STR_TAG = "tag:yaml.org,2002:str"
_MERGE_TAG = "tag:yaml.org,2002:merge"
_TAG_NAMES = {
    "tag:yaml.org,2002:bool": "true/false",
    "tag:yaml.org,2002:int": "a number",
    "tag:yaml.org,2002:float": "a number",
    "tag:yaml.org,2002:null": "null",
    "tag:yaml.org,2002:timestamp": "a date",
}


@dataclass(frozen=True)
class YamlDocument:
    """One parsed YAML document.

    Attributes:
        data: The Python value PyYAML's safe loader builds (dicts, lists, scalars), or None when empty.
        root: The composed node tree the data was built from, or None when the document is empty.
        key_problems: Repeated and non-text mapping keys (see `key_findings`).
    """

    data: object
    root: yaml.Node | None
    key_problems: tuple[Finding, ...] = ()


def parse_yaml(text: str) -> YamlDocument:
    """Compose and construct one YAML document with PyYAML's safe loader, in a single parse.

    Args:
        text: The file's content.

    Returns:
        The data, its node tree and the problems of its mapping keys.

    Raises:
        yaml.YAMLError: On a syntax error or a second document; `syntax_finding` turns it into a report.
    """
    loader = yaml.SafeLoader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            return YamlDocument(None, None)
        # Keys are checked before constructing: construction expands `<<` merge keys in place, and the
        # merged-in keys would then look like duplicates of the keys that override them.
        problems = tuple(key_findings(root))
        data = loader.construct_document(root)
    finally:
        loader.dispose()
    return YamlDocument(data, root, problems)


def syntax_finding(error: yaml.YAMLError) -> Finding:
    """Report a YAML error at the line PyYAML marked (the problem's own mark, else its context's)."""
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    problem = getattr(error, "problem", None) or str(error)
    context = getattr(error, "context", None)
    context_mark = getattr(error, "context_mark", None)
    if context and context_mark is not None and mark is not None and context_mark.line != mark.line:
        context += f" that starts on line {context_mark.line + 1}"  # e.g. where an unclosed quote opened
    message = f"YAML syntax error: {problem}" + (f" ({context})" if context else "")
    return Finding((), message, YAML_FIX, line=mark.line + 1 if mark is not None else None)


def _find_key(node: yaml.MappingNode, key: str) -> tuple[yaml.Node, yaml.Node] | None:
    """The last (key, value) pair named ``key``: YAML keeps the last of duplicated keys."""
    found = None
    for key_node, value_node in node.value:
        if isinstance(key_node, yaml.ScalarNode) and key_node.value == key:
            found = (key_node, value_node)
    return found


def line_of(root: yaml.Node, loc: Loc) -> int:
    """The 1-based line a key path points at.

    Mapping keys resolve to the line of the key (so ``polygon:`` followed by a block list points at
    ``polygon:``), list indexes to the line of the item. A key the document lacks (a missing required
    key) resolves to the line where its parent mapping starts; a step that does not fit the document's
    shape stops at the deepest line found so far.

    Args:
        root: The document's node tree.
        loc: A key path, e.g. ``("cameras", 1, "zones", 0, "polygon", 2)``.

    Returns:
        The line number.
    """
    node, line = root, root.start_mark.line + 1
    for step in loc:
        if isinstance(node, yaml.MappingNode) and isinstance(step, str):
            pair = _find_key(node, step)
            if pair is None:
                return node.start_mark.line + 1
            line, node = pair[0].start_mark.line + 1, pair[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) and 0 <= step < len(node.value):
            node = node.value[step]
            line = node.start_mark.line + 1
        else:
            break
    return line


def key_findings(root: yaml.Node) -> list[Finding]:
    """Mapping keys that cannot mean what the user wrote: repeated keys and keys that are not text.

    PyYAML silently keeps only the last of a repeated key, so a second ``zones:`` under one camera would
    drop every zone of the first. And YAML 1.1 reads ``on:``, ``no:`` or ``1:`` as a bool or a number,
    which then matches no setting.

    Args:
        root: The document's node tree.

    Returns:
        One finding per offending key, at its line.
    """
    findings: list[Finding] = []
    _collect_key_findings(root, (), findings, set())
    return findings


def _non_text_key(key_node: yaml.Node, loc: Loc) -> Finding | None:
    """A finding for a key YAML does not read as text, else None."""
    if isinstance(key_node, yaml.ScalarNode) and key_node.tag in (_STR_TAG, _MERGE_TAG):
        return None
    shown = key_node.value if isinstance(key_node, yaml.ScalarNode) else "a list or mapping"
    read_as = _TAG_NAMES.get(key_node.tag, "something other than text")
    return Finding(
        loc,
        f"key {shown!r} is read by YAML as {read_as}, not as text, so it matches no setting",
        f"put the key in quotes: '{shown}':" if isinstance(key_node, yaml.ScalarNode) else "use a plain text key",
        line=key_node.start_mark.line + 1,
    )


def _collect_key_findings(node: yaml.Node, loc: Loc, findings: list[Finding], seen: set[int]) -> None:
    """Depth-first walk for `key_findings`; ``seen`` stops at aliases, which may refer to themselves."""
    if id(node) in seen:
        return
    seen.add(id(node))
    if isinstance(node, yaml.MappingNode):
        first_line: dict[str, int] = {}
        for key_node, value_node in node.value:
            odd_key = _non_text_key(key_node, loc)
            if odd_key is not None:
                findings.append(odd_key)
                continue
            key = key_node.value
            if key in first_line:
                findings.append(
                    Finding(
                        (*loc, key),
                        f"key {key!r} appears twice in this mapping (first on line {first_line[key]}); "
                        "YAML keeps only the last one",
                        "merge the two into one key",
                        line=key_node.start_mark.line + 1,
                    )
                )
            else:
                first_line[key] = key_node.start_mark.line + 1
            _collect_key_findings(value_node, (*loc, key), findings, seen)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _collect_key_findings(item, (*loc, index), findings, seen)
