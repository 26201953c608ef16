"""Read one YAML file into plain data while remembering the line of every key.

PyYAML's normal loaders forget where things were and silently keep the last of two
duplicate keys; the schema needs both the line (for error messages) and a refusal of
duplicates, so we compose the node tree ourselves and build the values from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import StandardsFileError

PathKey = tuple[str | int, ...]


def format_key(path: PathKey) -> str:
    """Render a path such as ("clauses", 0, "pass_when", "op") as clauses[0].pass_when.op."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out


@dataclass
class YamlDoc:
    """The data of one YAML file plus the 1-based line of every key and list item."""

    display: str
    data: Any
    lines: dict[PathKey, int] = field(default_factory=dict)

    def line_of(self, path: PathKey) -> int | None:
        """The line of `path`, or of its nearest ancestor that has one."""
        for end in range(len(path), -1, -1):
            line = self.lines.get(tuple(path[:end]))
            if line is not None:
                return line
        return None

    def error(self, path: PathKey, detail: str) -> StandardsFileError:
        """An error naming this file, the line of `path` and the key itself."""
        return StandardsFileError(self.display, self.line_of(path), format_key(path), detail)


def read_yaml(path: Path, display: str) -> YamlDoc:
    """Parse `path` (shown in errors as `display`) into a YamlDoc; refuse duplicate keys."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise StandardsFileError(display, None, "", "file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise StandardsFileError(display, None, "", f"cannot read file: {exc}") from None
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise StandardsFileError(display, 1, "", "the file is empty")
        doc = YamlDoc(display, None, {(): node.start_mark.line + 1})
        doc.data = _build(loader, node, (), doc)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = exc.problem or exc.context or "invalid YAML"
        raise StandardsFileError(display, line, "", f"invalid YAML: {problem}") from None
    except yaml.YAMLError as exc:
        raise StandardsFileError(display, None, "", f"invalid YAML: {exc}") from None
    finally:
        loader.dispose()
    return doc


def _build(loader: yaml.SafeLoader, node: yaml.Node, path: PathKey, doc: YamlDoc) -> Any:
    if isinstance(node, yaml.MappingNode):
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            if not isinstance(key, str):
                raise StandardsFileError(
                    doc.display, line, format_key(path), f"key {key!r} is not a string"
                )
            if key == "<<":
                raise StandardsFileError(
                    doc.display, line, format_key(path), "merge keys (<<) are not allowed"
                )
            if key in result:
                first = doc.lines[path + (key,)]
                raise StandardsFileError(
                    doc.display, line, format_key(path + (key,)),
                    f"duplicate key '{key}' (first given on line {first})",
                )
            doc.lines[path + (key,)] = line
            result[key] = _build(loader, value_node, path + (key,), doc)
        return result
    if isinstance(node, yaml.SequenceNode):
        items = []
        for index, item in enumerate(node.value):
            doc.lines[path + (index,)] = item.start_mark.line + 1
            items.append(_build(loader, item, path + (index,), doc))
        return items
    return loader.construct_object(node, deep=True)
