"""A small, iterative YAML constructor on top of libyaml (ruamel.yaml.clib's ``CParser``) that keeps positions.

It builds plain dicts and lists (``MarkedMap``/``MarkedList`` subclasses) straight from the parser's events and keeps
the 0-based (line, column) of every mapping key, every value and every sequence item. That is what the default
constructors throw away, and it is why round-trip mode is not needed for ``file:line`` diagnostics. No node graph
is built and there is no recursion, so deep nesting cannot overflow the Python stack.

Scalars resolve like ruamel.yaml's safe loader (YAML 1.2 core schema: ``yes``/``on`` stay strings; ``0o17``,
``0x1f``, ``1_000``, ``1e3``, ``.inf`` are numbers) except that timestamps stay strings: Kubernetes objects are
JSON data, so the values are only str/int/float/bool/None/list/dict. Keys are always the key's source text.
Explicit tags ``!!str``/``!!int``/``!!float``/``!!bool``/``!!null`` are honoured; any other tag (``!Ref``,
``!!binary``, ``!!timestamp``...) constructs the underlying value. Merge keys (``<<``) work. Aliases share the
anchored object (like PyYAML), and each document's alias expansion is capped (billion laughs).

Positions here are 0-based parser marks; ``location.Location.from_mark`` makes them 1-based.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from _ruamel_yaml import (  # ruamel.yaml.clib: the libyaml binding that ruamel.yaml itself uses
    AliasEvent,
    CParser,
    DocumentEndEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)

#: Deepest nesting accepted (Kubernetes objects, CRD schemas included, stay far below this).
MAX_DEPTH = 512
#: A document may expand to at most ``max(ALIAS_MIN_BUDGET, ALIAS_FACTOR * its own node count)`` nodes through aliases.
ALIAS_MIN_BUDGET = 100_000
ALIAS_FACTOR = 10

#: The most decimal digits an integer may have (CPython's default ``sys.get_int_max_str_digits()``: ``int()`` and
#: ``str()`` refuse longer numbers). A longer integer literal is kept as its text and reported (``input.invalid-object``).
MAX_INT_DIGITS = 4300
#: The most bits a 0x/0o/0b literal may give: below 2**14284 a number has at most 4300 decimal digits.
_MAX_INT_BITS = 14284
_BITS_PER_DIGIT = {"b": 1, "o": 3, "x": 4}
#: No integer literal shorter than this (a 0x literal of 3571 hex digits) can be too large.
_HUGE_MIN_CHARS = 3500
INT_TAG = "tag:yaml.org,2002:int"

__all__ = ["MarkedMap", "MarkedList", "DocProblem", "parse_stream", "MAX_DEPTH", "MAX_INT_DIGITS", "CParser",
           "huge_int_message"]


class MarkedMap(dict):
    """A ``dict`` that remembers where it starts and where each key and value is (0-based line, column)."""

    __slots__ = ("_start", "_marks")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._start: tuple[int, int] = (0, 0)
        self._marks: dict[str, tuple[int, int, int, int]] = {}  # key -> (key line, key col, value line, value col)


class MarkedList(list):
    """A ``list`` that remembers where it starts and where each item is (0-based line, column)."""

    __slots__ = ("_start", "_marks")

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self._start: tuple[int, int] = (0, 0)
        self._marks: list[tuple[int, int]] = []


class DocProblem(Exception):
    """A problem that ends the current document: code, 0-based line/column, message."""

    def __init__(self, code: str, line: int, col: int, message: str) -> None:
        super().__init__(message)
        self.code, self.line, self.col, self.message = code, line, col, message


# -- scalar resolution -------------------------------------------------------------------------------------------

_INF = float("inf")
_PLAIN_SPECIAL: dict[str, Any] = {
    "": None, "~": None, "null": None, "Null": None, "NULL": None,
    "true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False,
    ".inf": _INF, ".Inf": _INF, ".INF": _INF, "+.inf": _INF, "+.Inf": _INF, "+.INF": _INF,
    "-.inf": -_INF, "-.Inf": -_INF, "-.INF": -_INF, ".nan": float("nan"), ".NaN": float("nan"), ".NAN": float("nan"),
}
_NUMBER_START = frozenset("0123456789-+.")
_INT = re.compile(r"[-+]?(?:0b[01_]+|0o[0-7_]+|0x[0-9a-fA-F_]+|[0-9][0-9_]*)")
_FLOAT = re.compile(
    r"[-+]?(?:[0-9][0-9_]*\.[0-9_]*(?:[eE][-+]?[0-9]+)?|[0-9][0-9_]*[eE][-+]?[0-9]+|\.[0-9_]+(?:[eE][-+]?[0-9]+)?)"
)


class _TooBig(ValueError):
    """An integer literal with more digits than ``MAX_INT_DIGITS`` (or a 0x/0o/0b one as large)."""


def _to_int(text: str) -> int:
    t = text.replace("_", "")
    sign = -1 if t[0] == "-" else 1
    if t[0] in "+-":
        t = t[1:]
    if t[:2] in ("0b", "0o", "0x"):
        if len(t[2:].lstrip("0")) * _BITS_PER_DIGIT[t[1]] > _MAX_INT_BITS:
            raise _TooBig(text)
        return sign * int(t[2:], {"b": 2, "o": 8, "x": 16}[t[1]])
    if len(t.lstrip("0")) > MAX_INT_DIGITS:
        raise _TooBig(text)  # int() would refuse it (or, with a raised limit, str() of it elsewhere)
    return sign * int(t.lstrip("0") or "0", 10)  # leading zeros count against int()'s limit: drop them


def _is_huge_int(text: str) -> bool:
    """Whether ``text`` is an integer literal too large to read (it is then kept as text)."""
    if len(text) < _HUGE_MIN_CHARS or not _INT.fullmatch(text):
        return False
    try:
        _to_int(text)
    except _TooBig:
        return True
    except (ValueError, IndexError):
        return False
    return False


def huge_int_message(text: str) -> str:
    digits = len(text.lstrip("+-").replace("_", ""))
    return (f"an integer of {digits} characters: larger than the {MAX_INT_DIGITS} decimal digits a number may "
            "have; it is read as text (an invalid value)")


def resolve_plain(text: str) -> Any:
    """The value of an untagged plain scalar."""
    if text in _PLAIN_SPECIAL:
        return _PLAIN_SPECIAL[text]
    if text[0] not in _NUMBER_START:
        return text
    if _INT.fullmatch(text):
        try:
            return _to_int(text)
        except ValueError:  # e.g. "0x_" : not a number after all
            return text
    if _FLOAT.fullmatch(text):
        try:
            return float(text.replace("_", ""))
        except ValueError:
            return text
    return text


def _tagged_scalar(text: str, tag: str, plain: bool) -> Any:
    if tag == "tag:yaml.org,2002:str" or tag == "!":
        return text
    if tag == "tag:yaml.org,2002:int":
        try:
            return _to_int(text)
        except (ValueError, IndexError):
            return text
    if tag == "tag:yaml.org,2002:float":
        v = _PLAIN_SPECIAL.get(text, text)
        if isinstance(v, float):
            return v
        try:
            return float(text.replace("_", ""))
        except ValueError:
            return text
    if tag == "tag:yaml.org,2002:bool":
        v = _PLAIN_SPECIAL.get(text)
        return v if isinstance(v, bool) else text
    if tag == "tag:yaml.org,2002:null":
        return None
    # Unknown / custom tags: the underlying value.
    return resolve_plain(text) if plain else text


def _key_text(value: Any) -> str:
    """A key built from an alias or a collection: make it a string."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# -- the constructor ---------------------------------------------------------------------------------------------

_NOKEY = object()
_MERGE = object()


def parse_stream(
    parser: CParser,
    line_base: int,
    on_document: Callable[[int, Any, tuple[int, int], list[tuple]], None],
    on_problem: Callable[[str, int, int, str], None],
    counter: list[int],
) -> None:
    """Read every document from ``parser``.

    ``counter[0]`` is the index of the next document; it is advanced as documents end, so after a parser exception
    it is the index of the broken document. ``on_document(index, root, root_mark, warnings)`` is called per
    complete document (root is None for an empty one; root_mark is where the root node starts); warnings are
    ``("input.duplicate-key", line0, col0, key, (first_line0, first_col0))``: problems that did not stop the
    document. ``on_problem(code, line0, col0, message)`` receives problems that dropped a document. Parser
    exceptions (syntax errors) propagate, with everything before them already delivered; the caller resyncs.
    """
    get = parser.get_event
    while True:
        ev = get()
        t = type(ev)
        if t is StreamEndEvent:
            return
        if t is not DocumentStartEvent:  # StreamStartEvent
            continue
        try:
            (root, root_mark), warnings = _document(get, line_base)
        except DocProblem as p:
            _skip_document(get)
            on_problem(p.code, p.line, p.col, p.message)
        else:
            on_document(counter[0], root, root_mark, warnings)
        counter[0] += 1


def _skip_document(get: Callable[[], Any]) -> None:
    while type(get()) is not DocumentEndEvent:
        pass


def _document(get: Callable[[], Any], lb: int) -> tuple[tuple[Any, tuple[int, int]], list[tuple]]:
    """Build one document from the events up to its DocumentEndEvent (iteratively; hot loop, kept flat)."""
    warnings: list[tuple] = []
    anchors: dict[str, tuple[Any, int]] = {}  # name -> (value, expanded node count)
    open_anchors: list[str | None] = []
    stack: list[tuple] = []
    # The current container: a root pseudo-sequence until the document's top node opens.
    cur: Any = []
    cur_marks: list = []
    is_map = False
    key: Any = _NOKEY
    kl = kc = 0
    merges: list | None = None
    start_n = 0
    n = 0  # nodes constructed, counting each alias as the size of what it refers to
    extra = 0  # the part of n that came from aliases
    special = _PLAIN_SPECIAL
    numstart = _NUMBER_START

    while True:
        ev = get()
        t = type(ev)
        if t is ScalarEvent:
            n += 1
            m = ev.start_mark
            text = ev.value
            tag = ev.tag
            if tag is None:
                if ev.implicit[0]:
                    if text in special:
                        val = special[text]
                    elif text[0] in numstart:
                        val = resolve_plain(text)
                        if val is text and len(text) >= _HUGE_MIN_CHARS and _is_huge_int(text):
                            warnings.append(("input.invalid-object", m.line + lb, m.column,
                                             huge_int_message(text), None))
                    else:
                        val = text
                else:
                    val = text
            else:
                plain = ev.implicit[0] or ev.style == ""
                val = _tagged_scalar(text, tag, plain)
                if (val is text and len(text) >= _HUGE_MIN_CHARS and (tag == INT_TAG or (plain and tag != "!"
                        and not tag.startswith("tag:yaml.org,2002:"))) and _is_huge_int(text)):
                    warnings.append(("input.invalid-object", m.line + lb, m.column, huge_int_message(text), None))
            if ev.anchor is not None:
                anchors[ev.anchor] = (val, 1)
            if is_map and key is _NOKEY:
                key = _MERGE if (text == "<<" and tag is None and ev.implicit[0]) else text
                kl = m.line + lb
                kc = m.column
                continue
        elif t is MappingStartEvent or t is SequenceStartEvent:
            n += 1
            m = ev.start_mark
            stack.append((cur, cur_marks, is_map, key, kl, kc, merges, start_n))
            open_anchors.append(ev.anchor)
            if len(stack) > MAX_DEPTH:
                raise DocProblem("input.too-deep", m.line + lb, m.column, f"nesting deeper than {MAX_DEPTH} levels")
            if t is MappingStartEvent:
                cur = MarkedMap()
                is_map = True
            else:
                cur = MarkedList()
                is_map = False
            cur._start = (m.line + lb, m.column)
            cur_marks = cur._marks
            key = _NOKEY
            merges = None
            start_n = n
            continue
        elif t is MappingEndEvent or t is SequenceEndEvent:
            val = cur
            if merges:
                _apply_merges(val, merges)
            anchor = open_anchors.pop()
            if anchor is not None:
                anchors[anchor] = (val, n - start_n + 1)
            cur, cur_marks, is_map, key, kl, kc, merges, start_n = stack.pop()
            m = val._start
            if is_map and key is _NOKEY:  # a collection used as a key
                key = _key_text(val)
                kl, kc = m
                continue
            if is_map:
                if key is _MERGE:
                    merges = _add_merge(merges, val, m)
                else:
                    _store(cur, cur_marks, key, kl, kc, m[0], m[1], val, warnings)
                key = _NOKEY
            else:
                cur.append(val)
                cur_marks.append(m)
            continue
        elif t is AliasEvent:
            m = ev.start_mark
            name = ev.anchor
            if name not in anchors:
                what = "recursive alias" if name in open_anchors else "undefined alias"
                raise DocProblem("input.yaml-syntax", m.line + lb, m.column, f"{what} *{name}")
            val, size = anchors[name]
            n += size
            extra += size - 1
            if extra > ALIAS_MIN_BUDGET and extra > ALIAS_FACTOR * (n - extra):
                raise DocProblem(
                    "input.alias-bomb", m.line + lb, m.column,
                    f"aliases expand this document beyond {ALIAS_FACTOR}x its own size (*{name}); not loaded",
                )
            if is_map and key is _NOKEY:
                key = _key_text(val)
                kl = m.line + lb
                kc = m.column
                continue
        elif t is DocumentEndEvent:
            return (cur[0], cur_marks[0]) if cur else (None, (0, 0)), warnings
        else:  # pragma: no cover - libyaml emits nothing else inside a document
            continue
        # a scalar or alias value
        if is_map:
            if key is _MERGE:
                merges = _add_merge(merges, val, (m.line + lb, m.column))
            elif key in cur:
                _store(cur, cur_marks, key, kl, kc, m.line + lb, m.column, val, warnings)
            else:
                cur[key] = val
                cur_marks[key] = (kl, kc, m.line + lb, m.column)
            key = _NOKEY
        else:
            cur.append(val)
            cur_marks.append((m.line + lb, m.column))


def _store(cur: dict, marks: dict, key: str, kl: int, kc: int, vl: int, vc: int, val: Any, warnings: list) -> None:
    if key in cur:
        # kubectl (encoding/json) keeps the last value; so do we, and say so.
        warnings.append(("input.duplicate-key", kl, kc, key, marks[key][:2]))
    cur[key] = val
    marks[key] = (kl, kc, vl, vc)


def _add_merge(merges: list | None, val: Any, mark: tuple[int, int]) -> list:
    merges = merges if merges is not None else []
    if isinstance(val, MarkedMap):
        merges.append(val)
    elif isinstance(val, list) and all(isinstance(x, MarkedMap) for x in val):
        merges.extend(val)
    else:
        raise DocProblem("input.yaml-syntax", mark[0], mark[1], "a merge key '<<' needs a mapping or a list of mappings")
    return merges


def _apply_merges(target: MarkedMap, merges: list[MarkedMap]) -> None:
    """``<<`` semantics: explicit keys win, then the merged mappings in order (the first one wins)."""
    explicit = list(target.items())
    marks = dict(target._marks)
    target.clear()
    target._marks = new_marks = {}
    for src in merges:
        for k, v in src.items():
            if k not in target:
                target[k] = v
                new_marks[k] = src._marks[k]
    for k, v in explicit:
        target[k] = v
        new_marks[k] = marks[k]
