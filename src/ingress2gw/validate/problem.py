"""The result type of validation."""

from __future__ import annotations

from dataclasses import dataclass

#: Problem kinds, in the order they are documented in docs/validate.md.
KINDS = ("schema", "cel", "cel-error", "unknown-kind", "not-served")


@dataclass(frozen=True)
class Problem:
    """One reason why the API server would reject an object.

    ``field`` is the path inside the object (``spec.rules[0].filters[1]``; map keys as
    ``[key]``; empty for the object as a whole), ``message`` is what is wrong, ``kind`` one of
    :data:`KINDS`.  For ``cel``/``cel-error`` problems ``rule`` is the rule's CEL text.
    """

    field: str
    message: str
    kind: str
    rule: str | None = None

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message
