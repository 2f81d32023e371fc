"""Safe YAML reading that remembers line numbers, so every problem can say `path:line:`.

PyYAML's SafeLoader composes the node tree; we build plain values from it ourselves so
that each mapping knows the line of each key. Anchors and aliases are refused outright:
curators do not need them, and refusing them makes "billion laughs" bombs impossible.
`fingerprint` names the exact contents of a set of files: the knowledge and questionnaire
versions that buttons and stored assessments carry.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

MAX_FILE_BYTES = 1_000_000
MAX_NODES = 200_000
MAX_DEPTH = 50


class YamlError(Exception):
    """The file cannot be read as knowledge YAML; `line` is 1-based."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


class LineDict(dict):
    """A YAML mapping that knows where it and each of its keys and values start."""

    line: int
    key_lines: dict[str, int]
    text_lines: dict[str, int]


class LineList(list):
    """A YAML sequence that knows where it and each item start."""

    line: int
    item_lines: list[int]
    text_lines: list[int]


@dataclass
class _Budget:
    nodes: int = 0


def _text_line(node: yaml.Node) -> int:
    """First line of a scalar's text: block scalars (| and >) start on the next line."""
    line = node.start_mark.line + 1
    return line + 1 if getattr(node, "style", None) in ("|", ">") else line


def _build(node: yaml.Node, loader: yaml.SafeLoader, budget: _Budget, depth: int) -> Any:
    budget.nodes += 1
    if budget.nodes > MAX_NODES or depth > MAX_DEPTH:
        raise YamlError(node.start_mark.line + 1, "file is too large or too deeply nested")
    if isinstance(node, yaml.MappingNode):
        result = LineDict()
        result.line = node.start_mark.line + 1
        result.key_lines, result.text_lines = {}, {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise YamlError(key_node.start_mark.line + 1, "'<<' merge keys are not allowed")
            key = _build(key_node, loader, budget, depth + 1)
            if not isinstance(key, str):
                raise YamlError(key_node.start_mark.line + 1, f"key {key!r} must be text")
            if key in result:
                raise YamlError(key_node.start_mark.line + 1, f"duplicate key '{key}'")
            result[key] = _build(value_node, loader, budget, depth + 1)
            result.key_lines[key] = key_node.start_mark.line + 1
            result.text_lines[key] = _text_line(value_node)
        return result
    if isinstance(node, yaml.SequenceNode):
        items = LineList(_build(item, loader, budget, depth + 1) for item in node.value)
        items.line = node.start_mark.line + 1
        items.item_lines = [item.start_mark.line + 1 for item in node.value]
        items.text_lines = [_text_line(item) for item in node.value]
        return items
    return loader.construct_object(node, deep=True)


class _NoAliasComposer(yaml.SafeLoader):
    """SafeLoader that refuses anchors and aliases while composing."""

    def compose_node(self, parent: Any, index: Any) -> Any:  # noqa: D401 - PyYAML hook
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise YamlError(event.start_mark.line + 1, "aliases (*name) are not allowed")
        event = self.peek_event()
        if getattr(event, "anchor", None):
            raise YamlError(event.start_mark.line + 1, "anchors (&name) are not allowed")
        return super().compose_node(parent, index)


def _refuse_anchors(text: str) -> None:
    """libyaml's composer cannot be hooked, so its events are checked first (still in C)."""
    for event in yaml.parse(text, Loader=yaml.CSafeLoader):
        if isinstance(event, yaml.AliasEvent):
            raise YamlError(event.start_mark.line + 1, "aliases (*name) are not allowed")
        if getattr(event, "anchor", None):
            raise YamlError(event.start_mark.line + 1, "anchors (&name) are not allowed")


def _loader(text: str) -> yaml.SafeLoader:
    """libyaml's C parser and composer when PyYAML has them (about 15x faster on a large
    knowledge base); otherwise the pure-Python composer that refuses anchors itself."""
    if yaml.__with_libyaml__:
        _refuse_anchors(text)
        return yaml.CSafeLoader(text)
    return _NoAliasComposer(text)


def read_yaml(path: Path) -> Any:
    """Read one knowledge file into LineDict/LineList/scalars, or raise YamlError."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise YamlError(1, f"cannot read file: {exc.strerror or exc}") from None
    if len(data) > MAX_FILE_BYTES:
        raise YamlError(1, f"file is larger than {MAX_FILE_BYTES // 1000} kB; split it")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise YamlError(line, "file is not UTF-8 text (save it as UTF-8)") from None
    text = text.removeprefix("\ufeff")
    if not text.strip() or all(
        not line.strip() or line.lstrip().startswith("#") for line in text.splitlines()
    ):
        raise YamlError(1, "file is empty")
    loader = None
    try:
        loader = _loader(text)
        node = loader.get_single_node()
        if node is None:
            raise YamlError(1, "file is empty")
        return _build(node, loader, _Budget(), 0)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        raise YamlError(line, f"YAML syntax: {exc.problem or exc.context}") from None
    except yaml.YAMLError as exc:
        raise YamlError(1, f"YAML syntax: {exc}") from None
    finally:
        if loader is not None:
            loader.dispose()


def fingerprint(files: list[Path]) -> str:
    """Eight hex digits that change whenever a file's name or bytes change."""
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.name.encode())
        digest.update(path.read_bytes() if path.is_file() else b"")
    return digest.hexdigest()[:8]
