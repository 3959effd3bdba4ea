"""Positions inside a JSON text, computed only when somebody asks (``Document.locate`` on a JSON input).

JSON files are parsed with ``json.loads`` (fast, no positions). The first ``locate`` on a file scans its text once
with a small tokenizer and builds a tree of 0-based marks that mirrors the parsed value; later calls are lookups.
"""

from __future__ import annotations

import bisect
import json
import re
from typing import Any

# strings | punctuation | bare words (numbers, true, false, null); whitespace is skipped by finditer
_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\]:,]|[^\s{}\[\]:,"]+', re.S)


class _Obj:
    __slots__ = ("start", "keys")

    def __init__(self, start: int) -> None:
        self.start = start
        self.keys: dict[str, tuple[int, int, Any]] = {}  # key -> (key offset, value offset, child index)


class _Arr:
    __slots__ = ("start", "items")

    def __init__(self, start: int) -> None:
        self.start = start
        self.items: list[tuple[int, Any]] = []  # (value offset, child index)


class JsonIndex:
    """Offsets of every key and value of one JSON text; ``mark(path, part)`` answers 0-based (line, col)."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._root: Any = None
        self._lines: list[int] | None = None

    def _build(self) -> None:
        text = self._text
        self._lines = [m.end() for m in re.finditer("\n", text)]
        stack: list[Any] = []
        root: Any = None
        key: str | None = None
        key_at = 0
        expect_key = False
        for m in _TOKEN.finditer(text):
            tok = m.group()
            c = tok[0]
            if c == ":" or c == ",":
                if c == "," and stack and isinstance(stack[-1], _Obj):
                    expect_key = True
                continue
            if c == "}" or c == "]":
                if stack:
                    stack.pop()
                expect_key = False
                continue
            at = m.start()
            if expect_key and c == '"':
                key = json.loads(tok) if "\\" in tok else tok[1:-1]
                key_at = at
                expect_key = False
                continue
            node: Any = _Obj(at) if c == "{" else _Arr(at) if c == "[" else None
            parent = stack[-1] if stack else None
            if parent is None:
                if root is None:
                    root = node
            elif isinstance(parent, _Obj):
                if key is not None:
                    parent.keys[key] = (key_at, at, node)  # a duplicate key keeps the last, like json.loads
                key = None
            else:
                parent.items.append((at, node))
            if node is not None:
                stack.append(node)
                expect_key = c == "{"
        self._root = root

    def _mark(self, offset: int) -> tuple[int, int]:
        assert self._lines is not None
        line = bisect.bisect_right(self._lines, offset)
        start = self._lines[line - 1] if line else 0
        return line, offset - start

    def mark(self, path: tuple[str | int, ...], part: str = "value") -> tuple[int, int]:
        """0-based (line, col) of ``path``; the nearest existing ancestor when the path does not exist."""
        if self._lines is None:
            self._build()
        node = self._root
        if node is None:
            return (0, 0)
        best = node.start
        for p in path:
            if isinstance(node, _Obj) and isinstance(p, str) and p in node.keys:
                k_at, v_at, node = node.keys[p]
                best = k_at if part == "key" else v_at
            elif isinstance(node, _Arr) and isinstance(p, int) and not isinstance(p, bool) and -len(node.items) <= p < len(node.items):
                best, node = node.items[p]
            else:
                break
            if node is None:
                node = _Leaf
        return self._mark(best)


class _Leaf:  # a scalar: nothing below it
    pass
