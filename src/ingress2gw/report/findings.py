"""One findings model. Renderers (terminal, JSON, ...) read it; nothing else formats findings."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from ingress2gw.report.codes import CODE_DIMENSIONS, Code, Severity, Status
from ingress2gw.source.location import Location

if TYPE_CHECKING:
    from ingress2gw.source.loader import SourceText


@dataclass(frozen=True, slots=True, order=True)
class ObjectRef:
    kind: str
    namespace: str
    name: str

    def __str__(self) -> str:
        return f"{self.kind} {self.namespace}/{self.name}" if self.namespace else f"{self.kind} {self.name}"


_SEVERITY_RANK = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}

#: Characters no report may carry as they are: C0 and C1 controls, DEL and the bidirectional overrides. Input
#: text quoted in a finding could otherwise move a terminal's cursor, colour it, or start a CI log line with a
#: workflow command (``::error::``) of its own.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_CONTROL_BUT_LINES = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _escape(m: re.Match) -> str:
    c = ord(m.group())
    return f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}"


def visible(text: str, *, lines: bool = False) -> str:
    """``text`` with every control character written as an escape (``\\x1b``); ``lines=True`` keeps newlines and
    tabs (a snippet's text, which every rendering folds or escapes itself)."""
    return (_CONTROL_BUT_LINES if lines else _CONTROL).sub(_escape, text)


@dataclass(frozen=True, slots=True)
class Suppression:
    """Why a finding no longer fails the gate: an ``ignore:`` entry of the config, or the baseline.

    A suppressed finding is still reported (JSON ``suppression``, SARIF ``suppressions``); only the gate skips it.
    """

    kind: str  # "config" (an ignore entry) or "baseline"
    justification: str
    source: str = ""  # the config or baseline file, as given
    expires: str | None = None  # YYYY-MM-DD, config entries only

    def to_dict(self) -> dict:
        d = {"kind": self.kind, "justification": self.justification, "source": self.source}
        if self.expires:
            d["expires"] = self.expires
        return d


@dataclass(frozen=True, slots=True)
class Finding:
    code: Code
    location: Location
    message: str
    obj: ObjectRef | None = None
    provider: str = ""
    annotation: str = ""
    value: str | None = None
    remedy: str = ""
    #: Overrides the catalog status where the emitter decides it (an annotation's status per emitter).
    status_override: Status | None = None
    #: Set by the config's ``ignore:`` list or the baseline (report/suppress.py); the gate skips it.
    suppression: Suppression | None = None
    #: The request dimensions (``ingress2gw.model.outcome.Dimension`` values) the finding is about: where it
    #: states a difference, what may differ. ``verify`` explains a difference only by a finding of its dimension.
    dimensions: frozenset = frozenset()

    def __post_init__(self) -> None:
        # Input text is quoted in findings: no control character reaches any rendering of the report.
        # Messages, remedies and values keep their line breaks (every rendering folds or escapes them; the
        # one-line form below escapes them itself); annotation keys and names keep nothing.
        for name in ("message", "remedy", "value"):
            text = getattr(self, name)
            if text and _CONTROL_BUT_LINES.search(text):
                object.__setattr__(self, name, visible(text, lines=True))
        if self.annotation and _CONTROL.search(self.annotation):
            object.__setattr__(self, "annotation", visible(self.annotation))
        if self.obj is not None and _CONTROL.search(f"{self.obj.kind}{self.obj.namespace}{self.obj.name}"):
            object.__setattr__(self, "obj", ObjectRef(visible(self.obj.kind), visible(self.obj.namespace),
                                                      visible(self.obj.name)))

    @property
    def severity(self) -> Severity:
        return self.code.severity

    @property
    def status(self) -> Status:
        return self.status_override or self.code.status

    @property
    def remediation(self) -> str:
        return self.remedy or self.code.info.remedy

    def sort_key(self) -> tuple:
        return (
            self.location.file, self.location.line, self.location.col,
            _SEVERITY_RANK[self.severity], self.code.value, self.annotation, self.message,
        )

    def parsable(self) -> str:
        """``file:line:col: severity[code] annotation: message (Kind ns/name)`` — the grep-able form."""
        head = f"{self.location}: {self.severity.value}[{self.code.value}]"
        subject = f" {self.annotation}:" if self.annotation else ""
        tail = f" ({self.obj})" if self.obj else ""
        return f"{head}{subject} {visible(self.message)}{tail}"  # one line, whatever the message holds

    def to_dict(self) -> dict:
        d = {
            "code": self.code.value,
            "severity": self.severity.value,
            "status": self.status.value,
            "provider": self.provider or None,
            "object": (
                {"kind": self.obj.kind, "namespace": self.obj.namespace or None, "name": self.obj.name}
                if self.obj else None
            ),
            "annotation": self.annotation or None,
            "value": self.value,
            "location": {"file": self.location.file, "line": self.location.line, "column": self.location.col},
            "message": self.message,
            "remedy": self.remediation,
        }
        if self.dimensions:
            d["dimensions"] = sorted(str(getattr(x, "value", x)) for x in self.dimensions)
        if self.suppression is not None:  # only when suppressed: reports without a config stay unchanged
            d["suppression"] = self.suppression.to_dict()
        return d


class FindingsView(Sequence):
    """The report's findings, read-only: a finding is added with ``Report.add``/``Report.extend`` and
    never changed or removed afterwards. The gate's suppressions (config ignore entries, baselines) are an
    overlay kept beside the findings, shown on the findings read through this view."""

    __slots__ = ("_items", "_suppressed")

    def __init__(self, items: list[Finding], suppressed: dict[int, Suppression]):
        self._items, self._suppressed = items, suppressed

    def _at(self, i: int) -> Finding:
        f = self._items[i]
        s = self._suppressed.get(i % len(self._items)) if self._suppressed else None
        return f if s is None else replace(f, suppression=s)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self._at(k) for k in range(*i.indices(len(self._items)))]
        return self._at(i)

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self):
        if not self._suppressed:
            return iter(self._items)
        return (self._at(k) for k in range(len(self._items)))

    def __repr__(self) -> str:
        return f"FindingsView({list(self)!r})"


class Report:
    """Collects findings. Each pipeline stage takes its input plus the Report."""

    def __init__(self) -> None:
        self._findings: list[Finding] = []
        #: Position of a finding -> why the gate skips it (``suppress``); the finding itself is never changed.
        self._suppressed: dict[int, Suppression] = {}
        #: Ingresses considered, by ObjectRef, for the fully/partly/not translated summary.
        self.ingresses: dict[ObjectRef, str] = {}
        #: Global defaults the translation assumed (provider -> list of "key=value").
        self.assumptions: dict[str, list[str]] = {}
        #: The input files as the loader read them (text and Secret line spans), by source name: renderings
        #: that quote input lines take them from here and never open an input file again.
        self.sources: dict[str, SourceText] = {}
        #: Annotation key -> the dimensions its setting touches (the providers' declarations, registered as the
        #: annotations are read): a finding about the annotation gets them unless it states its own.
        self.annotation_dimensions: dict[str, frozenset] = {}

    @property
    def findings(self) -> FindingsView:
        return FindingsView(self._findings, self._suppressed)

    @property
    def serial(self) -> int:
        """How many findings were added so far."""
        return len(self._findings)

    def add(
        self,
        code: Code,
        *,
        location: Location,
        detail: str = "",
        obj: ObjectRef | None = None,
        provider: str = "",
        annotation: str = "",
        value: str | None = None,
        remedy: str = "",
        status: Status | None = None,
        dimensions: frozenset | None = None,
    ) -> Finding:
        if dimensions is None:
            dimensions = self.annotation_dimensions.get(annotation, frozenset()) if annotation else \
                CODE_DIMENSIONS.get(code.value, (frozenset(), ""))[0]
        finding = Finding(
            code=code, location=location, message=detail or code.info.title, obj=obj,
            provider=provider, annotation=annotation, value=value, remedy=remedy,
            status_override=status, dimensions=dimensions,
        )
        self._findings.append(finding)
        return finding

    def extend(self, findings: list[Finding]) -> None:
        """Add findings built elsewhere (the derivation of outcomes, ``report/derive.py``)."""
        self._findings.extend(findings)

    def suppress(self, accept) -> int:
        """Mark for the gate the findings ``accept(finding)`` returns a ``Suppression`` for (config ignore
        entries, baselines); the finding itself stays as it was. Returns how many were marked."""
        n = 0
        for i, f in enumerate(self._findings):
            if i not in self._suppressed:
                s = accept(f)
                if s is not None:
                    self._suppressed[i] = s
                    n += 1
        return n

    def sorted(self) -> list[Finding]:
        return sorted(self.findings, key=Finding.sort_key)

    def has_input_errors(self) -> bool:
        return any(f.status is Status.INVALID and f.severity is Severity.ERROR for f in self.findings)

    def ingress_outcomes(self) -> dict[ObjectRef, str]:
        """``full``, ``partial`` or ``none`` for every Ingress, from its findings (one pass over them)."""
        partial = {Status.UNSUPPORTED, Status.UNKNOWN, Status.SECURITY, Status.POLICY, Status.LOSSY}
        hit = {f.obj for f in self.findings if f.obj is not None and f.status in partial}
        return {ref: "none" if state in ("skipped", None) else "partial" if ref in hit else "full"
                for ref, state in self.ingresses.items()}
