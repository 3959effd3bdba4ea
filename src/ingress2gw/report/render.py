"""The JSON rendering (versioned, documented in docs/report.schema.json), the plain text form, and the
summary figures every rendering shares. The other renderings live next to this module; ``formats.py``
picks one by name or file extension.
"""

from __future__ import annotations

import json
from collections import Counter

from ingress2gw.report.codes import Severity, Status
from ingress2gw.report.findings import Finding, ObjectRef, Report

#: Bump when a field changes meaning or disappears (adding an optional field does not bump it).
SCHEMA_VERSION = 1


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
    from ingress2gw.report.gate import gate_rank

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


def to_json(report: Report, *, tool_version: str, options: dict | None = None, gate=None) -> str:
    doc = {
        "schemaVersion": SCHEMA_VERSION,
        "tool": {"name": "ingress2gw", "version": tool_version},
        "options": options or {},
        "summary": summary(report),
    }
    if gate is not None:
        doc["gate"] = gate.to_dict()
    doc["assumptions"] = {k: v for k, v in sorted(report.assumptions.items())}
    doc["findings"] = [f.to_dict() for f in report.sorted()]
    return json.dumps(doc, indent=2, sort_keys=False, ensure_ascii=False) + "\n"


def print_summary(report: Report, *, stream, color: bool | None, quiet: bool, limit: int = 25) -> None:
    """The summary and the findings that need attention, for stderr (kept for convert; see terminal.py)."""
    if quiet:
        return
    from ingress2gw.report.terminal import render_summary_lines

    render_summary_lines(report, stream=stream, color=color, limit=limit)
