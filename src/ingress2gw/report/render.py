"""Renderings of one findings model: JSON (versioned schema) and plain/rich text."""

from __future__ import annotations

import json
from collections import Counter

from ingress2gw.report.codes import Severity, Status
from ingress2gw.report.findings import Report

SCHEMA_VERSION = 1


def summary(report: Report) -> dict:
    outcomes = Counter(report.ingress_outcome(ref) for ref in report.ingresses)
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


def to_json(report: Report, *, tool_version: str, options: dict | None = None) -> str:
    doc = {
        "schemaVersion": SCHEMA_VERSION,
        "tool": {"name": "ingress2gw", "version": tool_version},
        "options": options or {},
        "summary": summary(report),
        "assumptions": {k: v for k, v in sorted(report.assumptions.items())},
        "findings": [f.to_dict() for f in report.sorted()],
    }
    return json.dumps(doc, indent=2, sort_keys=False, ensure_ascii=False) + "\n"


def to_text(report: Report, *, min_severity: Severity = Severity.INFO) -> str:
    order = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}
    lines = [f.parsable() for f in report.sorted() if order[f.severity] <= order[min_severity]]
    s = summary(report)
    ing = s["ingresses"]
    lines.append(
        f"{ing['total']} Ingresses: {ing['fullyTranslated']} fully, {ing['partlyTranslated']} partly, "
        f"{ing['notTranslated']} not translated; findings: "
        + ", ".join(f"{n} {k}" for k, n in s["findings"].items()))
    return "\n".join(lines) + "\n"


def print_summary(report: Report, *, stream, color: bool | None, quiet: bool, limit: int = 25) -> None:
    """A short rich summary on stderr: counts, then the most severe findings."""
    if quiet:
        return
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = Console(file=stream, no_color=not color if color is not None else None,
                      force_terminal=color if color else None, highlight=False, soft_wrap=True)
    s = summary(report)
    ing = s["ingresses"]
    table = Table(title="ingress2gw summary", show_header=True, header_style="bold")
    table.add_column("Ingresses")
    table.add_column("fully", justify="right")
    table.add_column("partly", justify="right")
    table.add_column("not", justify="right")
    table.add_row(str(ing["total"]), str(ing["fullyTranslated"]), str(ing["partlyTranslated"]),
                  str(ing["notTranslated"]))
    console.print(table)
    ann = ", ".join(f"{n} {k}" for k, n in s["annotations"].items() if n)
    if ann:
        console.print(f"annotations: {ann}")
    worst = [f for f in report.sorted() if f.severity is not Severity.INFO]
    worst.sort(key=lambda f: (f.severity is not Severity.ERROR, f.sort_key()))
    for f in worst[:limit]:
        style = "red" if f.severity is Severity.ERROR else "yellow"
        console.print(Text.assemble((f.severity.value, style), " ", f.parsable()))
    if len(worst) > limit:
        console.print(f"... and {len(worst) - limit} more (write them all with --report FILE.json)")
