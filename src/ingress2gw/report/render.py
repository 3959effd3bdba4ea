"""The JSON rendering (versioned, documented in docs/report.schema.json). The summary figures every rendering
shares are in ``summary.py``; the other renderings live next to this module, and ``formats.py`` picks one by name
or file extension.
"""

from __future__ import annotations

import json

from ingress2gw.report.findings import Report, visible
from ingress2gw.report.summary import summary

#: Bump when a field changes meaning or disappears (adding an optional field does not bump it).
SCHEMA_VERSION = 1


def to_json(report: Report, *, tool_version: str, options: dict | None = None, gate=None) -> str:
    doc = {
        "schemaVersion": SCHEMA_VERSION,
        "tool": {"name": "ingress2gw", "version": tool_version},
        "options": options or {},
        "summary": summary(report),
    }
    if gate is not None:
        doc["gate"] = gate.to_dict()
    doc["assumptions"] = {k: [visible(x) for x in v] for k, v in sorted(report.assumptions.items())}
    doc["findings"] = [f.to_dict() for f in report.sorted()]
    return json.dumps(doc, indent=2, sort_keys=False, ensure_ascii=False) + "\n"

