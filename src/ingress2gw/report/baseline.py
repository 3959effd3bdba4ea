"""Baselines: adopt the gate on an existing repository and fail only on findings that are new.

A finding's fingerprint is its code, object, annotation, value and file, never its line or column, so editing
lines above a finding does not make it "new". The file is taken relative to the baseline's directory, so the
baseline does not depend on where the check runs from. Two identical findings share a fingerprint: the
baseline records how many there were, and only the extra ones are new.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from collections import Counter
from pathlib import Path

from ingress2gw.report.findings import Finding, Report, Suppression
from ingress2gw.report.gate import gate_rank

BASELINE_VERSION = 1


class BaselineError(Exception):
    """A baseline file that cannot be read (exit code 2)."""


def normalised_file(file: str, root: Path | None = None) -> str:
    """``file`` as a POSIX path relative to ``root`` (default: the current directory) when it lies below it."""
    if file in ("-", ""):
        return file
    base = Path(root if root is not None else os.getcwd()).resolve()
    try:
        rel = Path(os.path.abspath(file)).relative_to(base)
    except ValueError:
        return Path(os.path.normpath(file)).as_posix()
    return rel.as_posix()


def fingerprint(f: Finding, root: Path | None = None) -> str:
    obj = f"{f.obj.kind}/{f.obj.namespace}/{f.obj.name}" if f.obj else ""
    parts = [f.code.value, obj, f.annotation, "" if f.value is None else f.value, normalised_file(f.location.file, root)]
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:32]


def baseline_entries(report: Report, root: Path) -> list[dict]:
    """What ``--write-baseline`` records: every unsuppressed finding that a gate level could fail on."""
    rows = []
    for f in report.findings:
        if f.suppression is not None or gate_rank(f) == 0:
            continue
        rows.append({
            "fingerprint": fingerprint(f, root), "code": f.code.value,
            "object": str(f.obj) if f.obj else None, "annotation": f.annotation or None,
            "file": normalised_file(f.location.file, root),
        })
    rows.sort(key=lambda r: (r["file"], r["object"] or "", r["code"], r["annotation"] or "", r["fingerprint"]))
    return rows


def write_baseline(report: Report, path: Path) -> int:
    rows = baseline_entries(report, path.resolve().parent)
    doc = {"schemaVersion": BASELINE_VERSION, "tool": "ingress2gw", "findings": rows}
    path.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return len(rows)


def read_baseline(path: Path) -> Counter:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise BaselineError(f"cannot read baseline {path}: {e.strerror or e}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise BaselineError(f"{path}: not a baseline file ({e})") from None
    if not isinstance(doc, dict) or doc.get("schemaVersion") != BASELINE_VERSION or not isinstance(
            doc.get("findings"), list):
        raise BaselineError(f"{path}: not an ingress2gw baseline (schemaVersion {BASELINE_VERSION} expected)")
    counts: Counter = Counter()
    for row in doc["findings"]:
        if not isinstance(row, dict) or not isinstance(row.get("fingerprint"), str):
            raise BaselineError(f"{path}: every finding needs a fingerprint")
        counts[row["fingerprint"]] += 1
    return counts


def apply_baseline(report: Report, path: Path) -> int:
    """Mark findings recorded in the baseline as suppressed; returns how many were."""
    remaining = read_baseline(path)
    root = path.resolve().parent
    source = str(path)
    # Which of two identical findings is "new" does not depend on input order: decided in sorted order.
    chosen: Counter = Counter()
    for f in report.sorted():
        if f.suppression is None and remaining:
            fp = fingerprint(f, root)
            if remaining[fp] > 0:
                remaining[fp] -= 1
                chosen[f] += 1
    suppression = Suppression("baseline", f"recorded in the baseline {source}", source)

    def accept(f) -> Suppression | None:
        if chosen[f] > 0:
            chosen[f] -= 1
            return suppression
        return None

    return report.suppress(accept)
