"""Source lines around a finding, for the HTML report.

Only the input files' own lines are shown, and never a line of a Secret: the file is loaded again with the
manifest loader, and every line from the start of a Secret object up to the next object is masked. A file the
loader could not fully parse is shown only when it mentions no Secret at all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_LINE = 240  # characters of a line shown (a JSON file may be one long line)
_SECRET_WORD = re.compile(r"""["']?kind["']?\s*:\s*["']?Secret\b""")
REDACTED = "… (Secret: not shown)"


@dataclass(frozen=True)
class SnippetLine:
    number: int
    text: str
    current: bool
    redacted: bool


class SourceCache:
    """Reads each input file once; ``-`` (stdin) and unreadable files have no snippets."""

    def __init__(self) -> None:
        self._files: dict[str, tuple[list[str], set[int] | None] | None] = {}

    def _load(self, file: str):
        if file in self._files:
            return self._files[file]
        entry = None
        if file not in ("-", ""):
            try:
                with open(file, "rb") as fh:
                    data = fh.read(64 * 1024 * 1024 + 1)
                if len(data) <= 64 * 1024 * 1024:
                    text = data.decode("utf-8-sig")
                    entry = (text.splitlines(), _secret_lines(file, text))
            except (OSError, UnicodeDecodeError):
                entry = None
        self._files[file] = entry
        return entry

    def snippet(self, file: str, line: int, context: int = 3) -> list[SnippetLine]:
        entry = self._load(file)
        if entry is None or line <= 0:
            return []
        lines, secret = entry
        if secret is None:  # unparsable and mentions a Secret: show nothing rather than guess
            return []
        lo, hi = max(1, line - context), min(len(lines), line + context)
        out = []
        for n in range(lo, hi + 1):
            hidden = n in secret
            text = REDACTED if hidden else lines[n - 1]
            if len(text) > MAX_LINE:
                text = text[:MAX_LINE] + " …"
            out.append(SnippetLine(n, text, n == line, hidden))
        return out


def _secret_lines(file: str, text: str) -> set[int] | None:
    """1-based line numbers that belong to Secret objects; None when that cannot be known safely."""
    from ingress2gw.source.loader import load_bytes

    if not _SECRET_WORD.search(text):
        return set()
    loaded = load_bytes(text.encode("utf-8"), file)
    if loaded.problems and any(p.code != "input.duplicate-key" for p in loaded.problems):
        return None
    starts = sorted((d.line, d.obj.get("kind") == "Secret") for d in loaded.documents)
    total = text.count("\n") + 1
    hidden: set[int] = set()
    for i, (start, is_secret) in enumerate(starts):
        if not is_secret:
            continue
        end = next((s for s, _ in starts[i + 1:] if s > start), total + 1) - 1
        hidden.update(range(start, max(start, end) + 1))
    return hidden
