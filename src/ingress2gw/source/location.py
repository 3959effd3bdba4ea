"""Source positions. The only place where 0-based parser marks become 1-based positions."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True, order=True)
class Location:
    """A 1-based position in an input file (``file`` is the path as the user gave it, ``-`` for stdin)."""

    file: str
    line: int = 0
    col: int = 0

    @classmethod
    def from_mark(cls, file: str, line0: int, col0: int) -> "Location":
        """Build from a parser's 0-based (line, column) mark."""
        return cls(file, line0 + 1, col0 + 1)

    def __str__(self) -> str:
        if self.line <= 0:
            return self.file
        if self.col <= 0:
            return f"{self.file}:{self.line}"
        return f"{self.file}:{self.line}:{self.col}"
