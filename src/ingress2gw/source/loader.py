"""Load manifests from files, directories and stdin into ``Document`` objects that know their positions.

Bad input never raises: every problem becomes an ``InputProblem`` with a code, a location and a message, and the
rest of the input is still loaded. Codes (severity lives in the diagnostic catalog, not here):

- ``input.unreadable``     a path that does not exist or cannot be read, or that is not a regular file (a FIFO
  found in a directory, a device or a socket is never opened: reading one could block forever; a FIFO named on
  the command line, such as ``<(kubectl ...)``, is read as a stream)
- ``input.no-manifests``   a directory without ``*.yaml``/``*.yml``/``*.json`` files (a warning)
- ``input.too-large``      a file bigger than ``MAX_FILE_BYTES``
- ``input.binary``         NUL bytes or text that is not UTF-8 (UTF-16 with a BOM is accepted): only the YAML
  document with the bad byte is lost, unless no document of the file is text
- ``input.yaml-syntax``    the parser's message and position; also undefined/recursive aliases and bad ``<<``
- ``input.json-syntax``    invalid JSON in a ``.json`` file
- ``input.duplicate-key``  a mapping key given twice (the last value is kept, like kubectl)
- ``input.alias-bomb``     aliases that expand a document far beyond its size (the document is dropped)
- ``input.too-deep``       nesting deeper than ``MAX_DEPTH`` (the document is dropped)
- ``input.not-an-object``  a document (or a ``List`` item) that is not a mapping
- ``input.invalid-object`` a ``List`` whose ``items`` is not a list (kubectl rejects it; nothing in it is read);
  also an integer of more than ``MAX_INT_DIGITS`` digits (kept as its text; the rest of the document is read)

A ``List`` inside a ``List`` is flattened, as kubectl does.

Speed: YAML goes through libyaml (``ruamel.yaml.clib``) and the event constructor in ``yamlfast``; the cyclic
garbage collector is paused while loading (it would otherwise rescan the growing object graph again and again).
"""

from __future__ import annotations

import codecs
import gc
import json
import os
import re
import stat
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from ruamel.yaml.error import MarkedYAMLError, YAMLError

from ingress2gw.source import yamlfast
from ingress2gw.source.jsonloc import JsonIndex
from ingress2gw.source.location import Location
from ingress2gw.source.yamlfast import MAX_DEPTH, MAX_INT_DIGITS, MarkedList, MarkedMap

__all__ = [
    "Document", "InputProblem", "LoadResult", "SourceText", "load_paths", "load_bytes", "c_parser_in_use",
    "MAX_FILE_BYTES", "MAX_DEPTH", "MANIFEST_SUFFIXES",
]

#: Files bigger than this are not read (``input.too-large``).
MAX_FILE_BYTES = 256 * 1024 * 1024
#: Suffixes picked up when walking a directory (compared case-insensitively). Files named explicitly are always read.
MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")


@dataclass(frozen=True)
class InputProblem:
    code: str
    location: Location
    message: str


@dataclass
class Document:
    """One Kubernetes object from the input (a ``List`` item is a Document of its own)."""

    source: str
    index: int
    item: int | None
    obj: dict
    line: int
    _json: JsonIndex | None = field(default=None, repr=False, compare=False)  # JSON input: lazy positions
    _prefix: tuple = field(default=(), repr=False, compare=False)  # JSON input: path of obj inside the file

    def locate(self, path: tuple[str | int, ...] = (), *, part: str = "value") -> Location:
        """Where ``path`` (relative to ``obj``) is: its key (``part="key"``) or its value.

        A path that does not exist gives the position of its nearest existing ancestor. Never raises.
        """
        try:
            if self._json is not None:
                line0, col0 = self._json.mark(self._prefix + tuple(path), part)
                return Location.from_mark(self.source, line0, col0)
            return Location.from_mark(self.source, *_mark(self.obj, path, part))
        except Exception:  # noqa: BLE001 - locating is best effort; a diagnostic must never crash the run
            return Location(self.source, self.line, 0)


class _JsonDocument(Document):
    """A Document from a JSON file: ``line`` is computed on first use (positions are lazy for JSON)."""

    @property  # type: ignore[override]
    def line(self) -> int:
        if self._line <= 0:
            self._line = Location.from_mark(self.source, *self._json.mark(self._prefix)).line
        return self._line

    @line.setter
    def line(self, value: int) -> None:
        self._line = value


def _mark(obj: Any, path: tuple, part: str) -> tuple[int, int]:
    best = getattr(obj, "_start", (0, 0))
    node = obj
    for p in path:
        if isinstance(node, MarkedMap) and isinstance(p, str) and p in node._marks:
            kl, kc, vl, vc = node._marks[p]
            best = (kl, kc) if part == "key" else (vl, vc)
            node = node[p]
        elif (
            isinstance(node, MarkedList) and isinstance(p, int) and not isinstance(p, bool)
            and -len(node._marks) <= p < len(node._marks)
        ):
            best = node._marks[p]
            node = node[p]
        else:
            break
    return best


@dataclass(frozen=True)
class SourceText:
    """One input file as it was read: its text, its size in bytes, and the lines of its Secret objects.

    ``secret_spans`` are 1-based inclusive ``(first, last)`` line ranges, each from the start of a Secret up to the
    next object; ``None`` when that cannot be known safely (a file that mentions a Secret but did not fully parse).
    A renderer that shows input lines masks these, so no Secret value ever reaches a report.
    """

    text: str
    size: int
    secret_spans: tuple[tuple[int, int], ...] | None

    def is_secret_line(self, line: int) -> bool:
        return self.secret_spans is None or any(lo <= line <= hi for lo, hi in self.secret_spans)


@dataclass
class LoadResult:
    documents: list[Document]
    problems: list[InputProblem]
    #: Every file read (not stdin), by source name, for renderers that quote input lines.
    sources: dict[str, SourceText] = field(default_factory=dict)


def c_parser_in_use() -> bool:
    """True when YAML goes through libyaml (``ruamel.yaml.clib``), not a pure-Python fallback."""
    return yamlfast.CParser.__module__.endswith("_ruamel_yaml") and hasattr(yamlfast.CParser, "get_event")


# -- paths -------------------------------------------------------------------------------------------------------


def load_paths(paths: Sequence[str], *, stdin: BinaryIO | None = None,
               inputs: Sequence[tuple[str, bytes]] = ()) -> LoadResult:
    """Load files, directories (recursively) and ``-`` (stdin, bytes) in the order given, then ``inputs``:
    (source name, JSON bytes) read elsewhere (a cluster read through kubectl)."""
    result = LoadResult([], [])
    for source, data in inputs:
        _load_data(data, source, True, result)
    for path in paths:
        if path == "-":
            _load_stdin(stdin, result)
            continue
        try:
            st = os.stat(path)
        except OSError as e:
            result.problems.append(InputProblem("input.unreadable", Location(path), f"cannot read {path}: {_why(e)}"))
            continue
        if stat.S_ISDIR(st.st_mode):
            files = list(_walk(path, result))
            if not files:
                result.problems.append(
                    InputProblem("input.no-manifests", Location(path), f"no *.yaml, *.yml or *.json files in {path}")
                )
            for f in files:
                _load_file(f, result)
        else:
            _load_file(path, result, named=True)
    return result


def _why(e: OSError) -> str:
    return e.strerror or type(e).__name__


def _walk(top: str, result: LoadResult):
    """Manifest files under ``top``: depth first, names sorted, hidden entries skipped, symlink loops broken."""
    seen: set[tuple[int, int]] = set()
    pending = [top]
    while pending:
        d = pending.pop()
        try:
            st = os.stat(d)
            if (st.st_dev, st.st_ino) in seen:
                continue
            seen.add((st.st_dev, st.st_ino))
            with os.scandir(d) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as e:
            result.problems.append(InputProblem("input.unreadable", Location(d), f"cannot read {d}: {_why(e)}"))
            continue
        subdirs = []
        for e in entries:
            if e.name.startswith("."):
                continue  # .git, .github, editor files
            try:
                is_dir = e.is_dir()  # follows symlinks; loops are cut by ``seen``
            except OSError:
                is_dir = False
            if is_dir:
                subdirs.append(e.path)
            elif e.name.lower().endswith(MANIFEST_SUFFIXES):
                yield e.path
        # Files of a directory come before its subdirectories; subdirectories in name order.
        pending.extend(reversed(subdirs))


def _not_regular(path: str, mode: int) -> InputProblem:
    what = ("a named pipe (FIFO)" if stat.S_ISFIFO(mode) else "a socket" if stat.S_ISSOCK(mode)
            else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "not a regular file")
    return InputProblem("input.unreadable", Location(path),
                        f"{path} is {what}, not a regular file; it was skipped (name a pipe on the command line, or "
                        "pipe a stream in with '-')")


def _load_file(path: str, result: LoadResult, named: bool = False) -> None:
    """``named``: the path was given on the command line (not found in a directory)."""
    try:
        st = os.stat(path)
        if named and stat.S_ISFIFO(st.st_mode):
            # A pipe the user named (``<(kubectl get ingress -A -o yaml)``) is a stream, read like stdin.
            with open(path, "rb") as f:
                data = f.read(MAX_FILE_BYTES + 1)
            if len(data) > MAX_FILE_BYTES:
                result.problems.append(_too_large(path, len(data)))
                return
            _load_data(data, path, None, result)  # a stream: JSON or YAML by its content
            return
        # A FIFO, device or socket found in a directory (or a device or socket named) is never read: opening or
        # reading one can block forever (or have effects).
        if not stat.S_ISREG(st.st_mode):
            result.problems.append(_not_regular(path, st.st_mode))
            return
        if st.st_size > MAX_FILE_BYTES:
            result.problems.append(_too_large(path, st.st_size))
            return
        # O_NONBLOCK: should the path be swapped for a FIFO after the check, opening it still returns at once,
        # and the second check below refuses it.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
        with open(fd, "rb") as f:
            mode = os.fstat(f.fileno()).st_mode
            if not stat.S_ISREG(mode):
                result.problems.append(_not_regular(path, mode))
                return
            data = f.read(MAX_FILE_BYTES + 1)
    except OSError as e:
        result.problems.append(InputProblem("input.unreadable", Location(path), f"cannot read {path}: {_why(e)}"))
        return
    if len(data) > MAX_FILE_BYTES:
        result.problems.append(_too_large(path, len(data)))
        return
    _load_data(data, path, path.lower().endswith(".json"), result)


def _load_stdin(stdin: BinaryIO | None, result: LoadResult) -> None:
    if stdin is None:
        import sys

        stdin = sys.stdin.buffer
    try:
        data = stdin.read(MAX_FILE_BYTES + 1)
    except (OSError, ValueError) as e:
        result.problems.append(InputProblem("input.unreadable", Location("-"), f"cannot read stdin: {e}"))
        return
    if len(data) > MAX_FILE_BYTES:
        result.problems.append(_too_large("-", len(data)))
        return
    _load_data(data, "-", None, result)


def _too_large(source: str, size: int) -> InputProblem:
    return InputProblem(
        "input.too-large", Location(source),
        f"{source} is {size / 2**20:.0f} MiB or more; the limit is {MAX_FILE_BYTES // 2**20} MiB",
    )


# -- bytes -------------------------------------------------------------------------------------------------------


def load_bytes(data: bytes, source: str) -> LoadResult:
    """Load one file's content; JSON when ``source`` ends in ``.json``, else YAML (stdin: sniffed)."""
    result = LoadResult([], [])
    if len(data) > MAX_FILE_BYTES:
        result.problems.append(_too_large(source, len(data)))
        return result
    _load_data(data, source, None if source == "-" else source.lower().endswith(".json"), result)
    return result


def _load_data(data: bytes, source: str, is_json: bool | None, result: LoadResult) -> None:
    first_doc, first_problem = len(result.documents), len(result.problems)
    if is_json is not True:
        data = _salvage(data, source, result)
    text = _decode(data, source, result)
    if text is None:
        return  # binary (reported)
    if text.strip():  # else empty: nothing to load
        _parse(data, text, source, is_json, result)
    if source != "-":  # stdin is not kept: reports quote files only
        result.sources[source] = SourceText(text, len(data), _secret_spans(
            text, result.documents[first_doc:], result.problems[first_problem:]))


def _parse(data: bytes, text: str, source: str, is_json: bool | None, result: LoadResult) -> None:
    enabled = gc.isenabled()
    gc.disable()
    try:
        if is_json is None:  # stdin: JSON if it looks and parses like JSON, else YAML
            is_json = text.lstrip()[:1] in ("{", "[") and _load_json(text, source, result, quiet=True)
            if is_json:
                return
        if is_json:
            _load_json(text, source, result)
        else:
            # libyaml reads UTF-8 bytes itself (BOM included); anything else goes in as the decoded text.
            utf8 = not data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
            _load_yaml(data if utf8 else text, text, source, result)
    finally:
        if enabled:
            gc.enable()


_SECRET_WORD = re.compile(r"""["']?kind["']?\s*:\s*["']?Secret\b""")


def _secret_spans(text: str, documents: list[Document], problems: list[InputProblem]):
    """The line spans of the Secret objects among one file's ``documents`` (see ``SourceText``)."""
    if not _SECRET_WORD.search(text):
        return ()
    if any(p.code != "input.duplicate-key" for p in problems):
        return None  # a document may have been lost: its lines cannot be told apart from its neighbours'
    starts = sorted((d.line, d.obj.get("kind") == "Secret") for d in documents)
    total = text.count("\n") + 1
    spans = []
    for i, (start, is_secret) in enumerate(starts):
        if is_secret:
            end = next((s for s, _ in starts[i + 1:] if s > start), total + 1) - 1
            spans.append((start, max(start, end)))
    return tuple(spans)


def _salvage(data: bytes, source: str, result: LoadResult) -> bytes:
    """A bad byte (NUL, or not UTF-8) loses at most the YAML document it is in: such a document is reported
    ``input.binary`` and blanked (its line breaks kept, so every other document keeps its lines); a file that is
    binary throughout (no document readable) is left for ``_decode`` to refuse whole."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or _is_text(data):
        return data
    starts = [0] + [m.start() for m in _DOC_SPLIT.finditer(data) if m.start() > 0]
    chunks = [data[a:b] for a, b in zip(starts, starts[1:] + [len(data)])]
    bad = [not _is_text(c) for c in chunks]
    if all(bad):
        return data
    out = []
    for start, chunk, is_bad in zip(starts, chunks, bad):
        if is_bad:
            offset = _bad_offset(chunk)
            line0 = data.count(b"\n", 0, start + offset)
            what = ("binary data (NUL bytes)" if chunk[offset:offset + 1] == b"\0"
                    else f"not UTF-8 text (byte 0x{chunk[offset]:02x})")
            first_line = data.count(b"\n", 0, start) + 1
            result.problems.append(InputProblem(
                "input.binary", Location.from_mark(source, line0, 0),
                f"{what} in the document starting at line {first_line}; that document was skipped, the others "
                "were read"))
            out.append(b"\n" * chunk.count(b"\n"))
        else:
            out.append(chunk)
    return b"".join(out)


def _is_text(chunk: bytes) -> bool:
    if b"\0" in chunk:
        return False
    try:
        chunk.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _bad_offset(chunk: bytes) -> int:
    nul = chunk.find(b"\0")
    try:
        chunk.decode("utf-8")
        return max(nul, 0)
    except UnicodeDecodeError as e:
        return e.start if nul < 0 else min(nul, e.start)


def _decode(data: bytes, source: str, result: LoadResult) -> str | None:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    elif b"\0" not in data:
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError as e:
            line = data.count(b"\n", 0, e.start)
            result.problems.append(InputProblem(
                "input.binary", Location.from_mark(source, line, 0),
                f"not UTF-8 text (byte 0x{data[e.start]:02x} at offset {e.start}); is this a binary file?",
            ))
            return None
    nul = data.find(b"\0")
    line = data.count(b"\n", 0, max(nul, 0))
    result.problems.append(InputProblem(
        "input.binary", Location.from_mark(source, line, 0), "binary data (NUL bytes); not a manifest"
    ))
    return None


# -- JSON --------------------------------------------------------------------------------------------------------


def _load_json(text: str, source: str, result: LoadResult, quiet: bool = False) -> bool:
    """Parse a JSON text (positions are computed later, on the first ``locate``). ``quiet``: no problem on failure."""
    huge: list[str] = []

    def parse_int(literal: str) -> int | str:
        if len(literal.lstrip("-").lstrip("0")) > MAX_INT_DIGITS:  # int() would raise: keep it as text, report it
            huge.append(literal)
            return literal
        return int(literal)

    try:
        value = json.loads(text, parse_int=parse_int)
    except json.JSONDecodeError as e:
        if not quiet:
            result.problems.append(InputProblem(
                "input.json-syntax", Location.from_mark(source, e.lineno - 1, e.colno - 1), f"invalid JSON: {e.msg}"
            ))
        return False
    except RecursionError:
        if not quiet:
            result.problems.append(InputProblem("input.too-deep", Location(source, 1, 1), "JSON nested too deeply"))
        return False
    index = JsonIndex(text)
    for literal, (line0, col0) in zip(huge, _json_huge_marks(text, len(huge))):
        result.problems.append(InputProblem(
            "input.invalid-object", Location.from_mark(source, line0, col0), yamlfast.huge_int_message(literal)))

    def make(item: int | None, obj: dict, path: tuple) -> Document:
        return _JsonDocument(source, 0, item, obj, 0, index, path)

    _emit(source, 0, value, result, make, lambda path: index.mark(path))
    return True


_JSON_HUGE = re.compile(r"(?<=[:\[,\s])-?[0-9]{%d,}(?=[\s,\]}]|$)" % (MAX_INT_DIGITS + 1))


def _json_huge_marks(text: str, count: int) -> list[tuple[int, int]]:
    """The 0-based (line, column) of the first ``count`` huge integer literals of a JSON text, in order (line 1 for
    any not found, which a digit run inside a string could cause)."""
    marks = []
    for m in _JSON_HUGE.finditer(text):
        if len(marks) == count:
            break
        if len(m.group().lstrip("-").lstrip("0")) > MAX_INT_DIGITS:
            line0 = text.count("\n", 0, m.start())
            marks.append((line0, m.start() - (text.rfind("\n", 0, m.start()) + 1)))
    return marks + [(0, 0)] * (count - len(marks))


# -- YAML --------------------------------------------------------------------------------------------------------

_DOC_START = re.compile(r"^---(?=[ \t\r\n]|$)", re.M)
_DOC_SPLIT = re.compile(_DOC_START.pattern.encode(), re.M)  # the same, on the raw bytes (``_salvage``)


def _load_yaml(stream: bytes | str, text: str, source: str, result: LoadResult) -> None:
    problems = result.problems

    def on_document(index: int, root: Any, root_mark: tuple[int, int], warnings: list) -> None:
        for code, l0, c0, key, first_mark in warnings:
            if code != "input.duplicate-key":  # e.g. input.invalid-object for a huge integer: ``key`` is the message
                problems.append(InputProblem(code, Location.from_mark(source, l0, c0), key))
                continue
            first = Location.from_mark(source, *first_mark)
            problems.append(InputProblem(
                code, Location.from_mark(source, l0, c0),
                f"duplicate key {key!r} (first at line {first.line}); the last value is used",
            ))

        def make(item: int | None, obj: dict, path: tuple) -> Document:
            return Document(source, index, item, obj, Location.from_mark(source, *obj._start).line)

        def mark_of(path: tuple) -> tuple[int, int]:
            return _mark(root, path, "value") if isinstance(root, (MarkedMap, MarkedList)) else root_mark

        _emit(source, index, root, result, make, mark_of)

    def on_problem(code: str, l0: int, c0: int, message: str) -> None:
        problems.append(InputProblem(code, Location.from_mark(source, l0, c0), message))

    line_base, offset, counter = 0, 0, [0]
    while True:
        parser = yamlfast.CParser(stream if offset == 0 else text[offset:])
        try:
            yamlfast.parse_stream(parser, line_base, on_document, on_problem, counter)
            return
        except YAMLError as e:
            err_line, err_col, msg = _yaml_error(e, stream if offset == 0 else text[offset:], line_base)
            problems.append(InputProblem("input.yaml-syntax", Location.from_mark(source, err_line, err_col), msg))
        finally:
            parser.dispose()
        counter[0] += 1  # the broken document keeps its index
        # Resync at the first "---" on or after the error line (the broken document is lost, the rest is not).
        m = _DOC_START.search(text, max(_line_offset(text, err_line), offset + 1))
        if m is None:
            return
        offset = m.start()
        line_base = text.count("\n", 0, offset)


def _yaml_error(e: YAMLError, parsed: bytes | str, line_base: int) -> tuple[int, int, str]:
    if isinstance(e, MarkedYAMLError) and e.problem_mark is not None:
        mk = e.problem_mark
        what = e.problem or "syntax error"
        if e.context:
            what = f"{what} ({e.context})"
        return mk.line + line_base, mk.column, f"YAML syntax error: {what}"
    pos = getattr(e, "position", None)  # ReaderError: a byte offset into what the parser read
    reason = getattr(e, "reason", None) or str(e)
    if isinstance(pos, int):
        raw = parsed.encode("utf-8") if isinstance(parsed, str) else parsed
        before = raw[:pos].decode("utf-8", "replace")
        line = before.count("\n")
        return line + line_base, len(before) - (before.rfind("\n") + 1), f"YAML syntax error: {reason}"
    return line_base, 0, f"YAML syntax error: {reason}"


def _line_offset(text: str, line0: int) -> int:
    pos = 0
    for _ in range(line0):
        pos = text.find("\n", pos) + 1
        if pos == 0:
            return len(text)
    return pos


# -- documents ---------------------------------------------------------------------------------------------------


def _emit(source: str, index: int, root: Any, result: LoadResult, make, mark_of) -> None:
    """Turn one parsed document into Documents (flattening ``*List`` items) or a problem."""
    if root is None:
        return  # an empty document
    if not isinstance(root, dict):
        result.problems.append(InputProblem(
            "input.not-an-object", Location.from_mark(source, *mark_of(())),
            f"document {index} is a {_kind_of(root)}, not a Kubernetes object",
        ))
        return
    if not _is_list(root):
        result.documents.append(make(None, root, ()))
        return
    # kubectl flattens Lists inside Lists (cli-runtime's FlattenListVisitor), so their items are read too, in
    # source order. An explicit stack (list, path, next item): nesting depth is bounded by the parser, not by
    # Python's recursion limit.
    stack: list[tuple[dict, tuple, int]] = [(root, (), 0)]
    while stack:
        lst, path, start = stack.pop()
        kind, items = lst["kind"], lst["items"]
        if items is None:
            continue  # `items: null`: an empty List, as kubectl reads it
        if not isinstance(items, list):
            # kubectl refuses the whole List ("items" must be an array), so nothing it holds is read.
            # A map here is most often one object whose "- " went missing.
            result.problems.append(InputProblem(
                "input.invalid-object", Location.from_mark(source, *mark_of(path + ("items",))),
                f"items of the {kind} is a {_kind_of(items)}, not a list; kubectl rejects the {kind}, so nothing "
                "in it was read" + (" (if it is a single object, put '- ' before its first key)"
                                    if isinstance(items, dict) else ""),
            ))
            continue
        for i in range(start, len(items)):
            item, here = items[i], path + ("items", i)
            if isinstance(item, dict) and _is_list(item):
                stack.append((lst, path, i + 1))  # the rest of this List after the nested one
                stack.append((item, here, 0))
                break
            if isinstance(item, dict):
                result.documents.append(make(i, item, here))
            else:
                result.problems.append(InputProblem(
                    "input.not-an-object", Location.from_mark(source, *mark_of(here)),
                    f"item {i} of the {kind} is a {_kind_of(item)}, not a Kubernetes object",
                ))


def _is_list(obj: dict) -> bool:
    kind = obj.get("kind")
    return isinstance(kind, str) and kind.endswith("List") and "items" in obj


def _kind_of(value: Any) -> str:
    if isinstance(value, dict):
        return "map"
    if isinstance(value, list):
        return "list"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "boolean"
    return "number"
