"""SARIF 2.1.0 for code scanning (GitHub code scanning, GitLab, Azure DevOps).

Rules are the catalog entries of the codes the results use (in catalog order); results point at
the annotation key or value through ``file:line:col`` regions. Suppressed findings carry ``suppressions`` and,
when a baseline is in use, every result carries ``baselineState``.
"""

from __future__ import annotations

import json
from urllib.parse import quote

from ingress2gw.report.baseline import fingerprint, normalised_file
from ingress2gw.report.codes import Code, Severity
from ingress2gw.report.findings import Finding, Report

SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
_TAGS = {"security": ["security"], "unknown": ["correctness"], "unsupported": ["migration"],
         "lossy": ["migration"], "policy": ["migration"]}


def _rule(code: Code) -> dict:
    info = code.info
    rule = {
        "id": info.code,
        "name": "".join(part.capitalize() for part in info.code.replace(".", "-").split("-")),
        "shortDescription": {"text": info.title},
        "fullDescription": {"text": info.title},
        "help": {"text": info.remedy, "markdown": f"**{info.title}**\n\nRemedy: {info.remedy}"},
        "defaultConfiguration": {"level": LEVEL[info.severity]},
        "properties": {"status": info.status.value, "tags": ["ingress2gw", *_TAGS.get(info.status.value, [])]},
    }
    return rule


def _uri(file: str) -> str:
    return quote(normalised_file(file), safe="/-._~")


def _result(f: Finding, index: dict[str, int], baseline_used: bool) -> dict:
    text = f.message
    if f.annotation:
        text = f"{f.annotation}: {text}"
    if f.obj:
        text = f"{text} ({f.obj})"
    physical: dict = {"artifactLocation": {"uri": _uri(f.location.file)}}
    if f.location.line > 0:
        region = {"startLine": f.location.line}
        if f.location.col > 0:
            region["startColumn"] = f.location.col
        physical["region"] = region
    location: dict = {"physicalLocation": physical}
    if f.obj:
        fqn = f"{f.obj.namespace}/{f.obj.kind}/{f.obj.name}" if f.obj.namespace else f"{f.obj.kind}/{f.obj.name}"
        location["logicalLocations"] = [{"fullyQualifiedName": fqn, "name": f.obj.name, "kind": "object"}]
    result: dict = {
        "ruleId": f.code.value,
        "ruleIndex": index[f.code.value],
        "level": LEVEL[f.severity],
        "message": {"text": f"{text}\nRemedy: {f.remediation}"},
        "locations": [location],
        "partialFingerprints": {"ingress2gw/v1": fingerprint(f)},
        "properties": {
            "status": f.status.value,
            **({"provider": f.provider} if f.provider else {}),
            **({"annotation": f.annotation} if f.annotation else {}),
            **({"value": f.value} if f.value is not None else {}),
            "remedy": f.remediation,
        },
    }
    if f.suppression is not None:
        result["suppressions"] = [{"kind": "external", "status": "accepted",
                                   "justification": f.suppression.justification}]
    if baseline_used:
        result["baselineState"] = "unchanged" if f.suppression and f.suppression.kind == "baseline" else "new"
    return result


def to_sarif(report: Report, *, tool_version: str, baseline_used: bool = False) -> str:
    findings = report.sorted()
    used = {f.code for f in findings}
    rules = [_rule(c) for c in Code if c in used]
    index = {r["id"]: i for i, r in enumerate(rules)}
    run = {
        "tool": {"driver": {
            "name": "ingress2gw",
            "version": tool_version,
            "semanticVersion": tool_version,
            "rules": rules,
        }},
        "columnKind": "unicodeCodePoints",
        "results": [_result(f, index, baseline_used) for f in findings],
    }
    doc = {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
