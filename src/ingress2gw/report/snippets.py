"""Source lines around a finding, for the HTML report.

Only the input files' own lines are shown, as the loader read them (``Report.sources``; no file is opened here),
and never a line of a Secret: the loader records the lines from the start of each Secret object up to the next
object, and those are masked. A file the loader could not fully parse is shown only when it mentions no Secret at
all; stdin and files the loader did not keep have no snippets.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ingress2gw.source.loader import SourceText

MAX_LINE = 240  # characters of a line shown (a JSON file may be one long line)
MAX_FILE_BYTES = 64 * 1024 * 1024  # bigger files have no snippets
REDACTED = "… (Secret: not shown)"


@dataclass(frozen=True)
class SnippetLine:
    number: int
    text: str
    current: bool
    redacted: bool


class SourceCache:
    """Splits each input file into lines once, on first use."""

    def __init__(self, sources: Mapping[str, SourceText] | None = None) -> None:
        self._sources = sources or {}
        self._lines: dict[str, list[str] | None] = {}

    def _split(self, file: str) -> list[str] | None:
        if file not in self._lines:
            source = self._sources.get(file)
            ok = source is not None and source.size <= MAX_FILE_BYTES
            self._lines[file] = source.text.splitlines() if ok else None
        return self._lines[file]

    def snippet(self, file: str, line: int, context: int = 3) -> list[SnippetLine]:
        lines = self._split(file)
        if lines is None or line <= 0:
            return []
        source = self._sources[file]
        if source.secret_spans is None:  # unparsable and mentions a Secret: show nothing rather than guess
            return []
        lo, hi = max(1, line - context), min(len(lines), line + context)
        out = []
        for n in range(lo, hi + 1):
            hidden = source.is_secret_line(n)
            text = REDACTED if hidden else lines[n - 1]
            if len(text) > MAX_LINE:
                text = text[:MAX_LINE] + " …"
            out.append(SnippetLine(n, text, n == line, hidden))
        return out
