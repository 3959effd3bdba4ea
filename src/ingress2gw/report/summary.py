"""The summary figures and groupings every rendering shares (JSON, terminal, Markdown, HTML, GitHub).

The renderings import this module; it imports none of them.
"""

from __future__ import annotations

from collections import Counter

from ingress2gw.report.codes import Severity, Status
from ingress2gw.report.findings import Finding, ObjectRef, Report
from ingress2gw.report.gate import gate_rank


def summary(report: Report) -> dict:
    outcomes = Counter(report.ingress_outcomes().values())
    statuses = Counter(f.status.value for f in report.findings if f.annotation)
    severities = Counter(f.severity.value for f in report.findings)
    return {
        "ingresses": {
            "total": len(report.ingresses),
            "fullyTranslated": outcomes.get("full", 0),
            "partlyTranslated": outcomes.get("partial", 0),
            "notTranslated": outcomes.get("none", 0),
        },
        "annotations": {s.value: statuses.get(s.value, 0) for s in Status if s not in (Status.SKIPPED,)},
        "findings": {s.value: severities.get(s.value, 0) for s in Severity},
    }


def status_counts(findings: list[Finding]) -> dict[str, int]:
    """Findings by status, in catalog order, zero counts left out."""
    counts = Counter(f.status for f in findings)
    return {s.value: counts[s] for s in Status if counts[s]}


_ATTENTION = {Status.UNKNOWN, Status.UNSUPPORTED, Status.SECURITY, Status.POLICY, Status.LOSSY, Status.INVALID}


def needs_attention(f: Finding) -> bool:
    """A finding a reviewer has to act on (not merely translated, ignored or skipped info)."""
    return f.severity is not Severity.INFO or f.status in _ATTENTION


def worst_offenders(report: Report, limit: int = 5) -> list[tuple[ObjectRef, Counter]]:
    """Objects with the most findings that need attention, worst first (ties by name, for stable output)."""
    per: dict[ObjectRef, Counter] = {}
    score: Counter = Counter()
    for f in report.findings:
        if f.obj is not None and needs_attention(f) and f.suppression is None:
            per.setdefault(f.obj, Counter())[f.status.value] += 1
            score[f.obj] += gate_rank(f) * 10 + 1
    ranked = sorted(per, key=lambda r: (-score[r], r.namespace, r.name, r.kind))
    return [(r, per[r]) for r in ranked[:limit]]


def grouped(report: Report) -> list[tuple[str, list[tuple[ObjectRef | None, list[Finding]]]]]:
    """Findings grouped by namespace, then object; findings without an object come first under "" ."""
    groups: dict[str, dict[ObjectRef | None, list[Finding]]] = {}
    for f in report.sorted():
        ns = f.obj.namespace if f.obj else ""
        groups.setdefault(ns, {}).setdefault(f.obj, []).append(f)
    out = []
    for ns in sorted(groups):
        objs = groups[ns]
        keys = sorted(objs, key=lambda r: (r is not None, r.kind if r else "", r.name if r else ""))
        out.append((ns, [(k, objs[k]) for k in keys]))
    return out
