"""YAML loading that keeps the line and column of every key and value."""

from __future__ import annotations

from typing import Any

import yaml

from packager.diagnostics import Diagnostics, Location


class YMap(dict):
    """A mapping that remembers where it, each key and each value came from."""

    loc: Location
    key_locs: dict[str, Location]
    value_locs: dict[str, Location]

    def key_loc(self, key: str) -> Location:
        return self.key_locs.get(key, self.loc)

    def value_loc(self, key: str) -> Location:
        return self.value_locs.get(key, self.key_loc(key))


class YList(list):
    """A sequence that remembers where it and each item came from."""

    loc: Location
    item_locs: list[Location]

    def item_loc(self, index: int) -> Location:
        return self.item_locs[index] if index < len(self.item_locs) else self.loc


# libyaml's parser when PyYAML has it (about 15x faster on big courses); both report marks.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _loc(path: str, mark: yaml.Mark, line_offset: int) -> Location:
    return Location(path, mark.line + 1 + line_offset, mark.column + 1)


class _Builder:
    def __init__(self, loader: yaml.SafeLoader, path: str, offset: int, diags: Diagnostics):
        self.loader, self.path, self.offset, self.diags = loader, path, offset, diags

    def build(self, node: yaml.Node) -> Any:
        loc = _loc(self.path, node.start_mark, self.offset)
        if isinstance(node, yaml.MappingNode):
            result = YMap()
            result.loc, result.key_locs, result.value_locs = loc, {}, {}
            for key_node, value_node in node.value:
                key = self.build(key_node)
                key_loc = _loc(self.path, key_node.start_mark, self.offset)
                if not isinstance(key, str | int | float | bool):
                    self.diags.error(key_loc, "a key must be a plain word")
                    continue
                key = str(key)
                if key in result:
                    self.diags.error(key_loc, f"duplicate key '{key}'",
                                     "each key may appear once; remove one of them")
                result[key] = self.build(value_node)
                result.key_locs[key] = key_loc
                result.value_locs[key] = _loc(self.path, value_node.start_mark, self.offset)
            return result
        if isinstance(node, yaml.SequenceNode):
            items = YList(self.build(n) for n in node.value)
            items.loc = loc
            items.item_locs = [_loc(self.path, n.start_mark, self.offset) for n in node.value]
            return items
        return self.loader.construct_object(node, deep=True)


def load_yaml(text: str, path: str, diags: Diagnostics, line_offset: int = 0) -> Any:
    """Parse one YAML document; syntax errors become diagnostics and the result None.

    ``line_offset`` is how many lines of the file precede ``text`` (front matter and
    quiz blocks live inside Markdown files, and messages must name the file's lines).
    """
    loader: yaml.SafeLoader | None = None
    try:
        loader = _Loader(text)
        node = loader.get_single_node()
        if node is None:
            return None
        return _Builder(loader, path, line_offset, diags).build(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        loc = _loc(path, mark, line_offset) if mark else Location(path, line_offset + 1, 1)
        problem = exc.problem or exc.context or "invalid YAML"
        hint = "check indentation, and quote text that contains ': ' or starts with a symbol"
        diags.error(loc, f"YAML syntax error: {problem}", hint)
        return None
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, max(exc.position, 0)) + 1
        col = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        diags.error(Location(path, line + line_offset, col),
                    f"character U+{exc.character:04X} is not allowed in YAML",
                    "remove control characters from the file")
        return None
    except yaml.YAMLError as exc:
        diags.error(Location(path, line_offset + 1, 1), f"YAML error: {exc}")
        return None
    finally:
        if loader is not None:
            loader.dispose()
