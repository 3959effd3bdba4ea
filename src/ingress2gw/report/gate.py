"""The CI gate: which findings fail a run for each ``--fail-on`` level."""

from __future__ import annotations

from ingress2gw.report.codes import Severity, Status
from ingress2gw.report.findings import Finding

FAIL_ON_LEVELS = ("never", "unknown", "unsupported", "lossy", "warning")
_THRESHOLD = {"never": 99, "unknown": 4, "unsupported": 3, "lossy": 2, "warning": 1}


def gate_rank(f: Finding) -> int:
    """4 unknown · 3 unsupported (security, policy the emitter cannot honour, errors) · 2 lossy · 1 warning."""
    status = f.status
    if status is Status.UNKNOWN:
        return 4
    if status in (Status.UNSUPPORTED, Status.SECURITY, Status.POLICY) or f.severity is Severity.ERROR:
        return 3
    if status is Status.LOSSY:
        return 2
    if f.severity is Severity.WARNING:
        return 1
    return 0


def failing(findings: list[Finding], fail_on: str) -> list[Finding]:
    threshold = _THRESHOLD[fail_on]
    return [f for f in findings if gate_rank(f) >= threshold]
