"""The CI gate: which findings fail a run for each ``--fail-on`` level, and the exit code.

Suppressed findings (config ``ignore:`` entries, the baseline) are reported but never fail the gate.
Exit codes (DESIGN.md): 0 clean · 1 findings at or above ``--fail-on`` · 2 unreadable or invalid input.
"""

from __future__ import annotations

from dataclasses import dataclass

from ingress2gw.report.codes import Severity, Status
from ingress2gw.report.findings import Finding, Report

FAIL_ON_LEVELS = ("never", "unknown", "unsupported", "lossy", "warning")
_THRESHOLD = {"never": 99, "unknown": 4, "unsupported": 3, "lossy": 2, "warning": 1}
EXIT_OK, EXIT_FINDINGS, EXIT_INPUT = 0, 1, 2


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
    """The unsuppressed findings at or above the ``fail_on`` level."""
    threshold = _THRESHOLD[fail_on]
    return [f for f in findings if f.suppression is None and gate_rank(f) >= threshold]


@dataclass(frozen=True)
class GateResult:
    fail_on: str
    failing: list[Finding]
    suppressed: int
    input_errors: bool

    @property
    def exit_code(self) -> int:
        if self.input_errors:
            return EXIT_INPUT
        return EXIT_FINDINGS if self.failing else EXIT_OK

    def to_dict(self) -> dict:
        return {"failOn": self.fail_on, "failing": len(self.failing), "suppressed": self.suppressed,
                "exitCode": self.exit_code}

    def sentence(self) -> str:
        if self.input_errors:
            verdict = "input errors (exit 2)"
        elif self.failing:
            verdict = f"{len(self.failing)} finding(s) at or above '{self.fail_on}' (exit 1)"
        else:
            verdict = f"passed: nothing at or above '{self.fail_on}' (exit 0)"
        extra = f"; {self.suppressed} suppressed" if self.suppressed else ""
        return f"gate --fail-on {self.fail_on}: {verdict}{extra}"

    def worst(self, limit: int | None = None) -> list[Finding]:
        """The findings that fail the gate, the worst first (by gate rank, then in report order)."""
        ranked = sorted(self.failing, key=lambda f: -gate_rank(f))  # stable: report order within a rank
        return ranked if limit is None else ranked[:limit]

    def explain(self, limit: int = 10, *, sentence: bool = True) -> list[str]:
        """Lines saying which findings failed the gate: the worst ``limit``, one line each, and a count of the rest
        (empty when the gate passed)."""
        if not self.failing:
            return []
        shown = self.worst(limit)
        lines = [self.sentence()] if sentence else []
        lines.append(f"failing the gate ({len(self.failing)}, the worst first):")
        lines += [f"  {f.parsable()}" for f in shown]
        rest = len(self.failing) - len(shown)
        if rest > 0:
            lines.append(f"  … and {rest} more at or above '{self.fail_on}' (the full list: check --format json "
                         "or --report)")
        return lines


def evaluate(report: Report, fail_on: str) -> GateResult:
    if fail_on not in FAIL_ON_LEVELS:
        raise ValueError(f"--fail-on must be one of {', '.join(FAIL_ON_LEVELS)}")
    return GateResult(
        fail_on=fail_on,
        failing=failing(report.sorted(), fail_on),
        suppressed=sum(1 for f in report.findings if f.suppression is not None),
        input_errors=report.has_input_errors(),
    )
