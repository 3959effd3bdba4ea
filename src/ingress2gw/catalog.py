"""The annotation catalog, read from the providers' registries (there is no second list)."""

from __future__ import annotations

import json

from ingress2gw.report.codes import Status


#: Emitters whose status column the catalog can show (issue 7 adds the policy-CRD emitters).
CATALOG_EMITTERS = ("standard",)


def annotation_status(spec, emitter: str = "standard") -> Status:
    """What ``emitter`` does with an annotation: the one place the catalog's status column comes from.

    Only the ``standard`` emitter exists, and its status is the registry's declaration; an emitter with policy
    CRDs will turn some ``policy``/``unsupported`` entries into ``translated`` here.
    """
    if emitter not in CATALOG_EMITTERS:
        raise ValueError(f"emitter {emitter!r} is not available yet (available: {', '.join(CATALOG_EMITTERS)})")
    return spec.status


def catalog_rows(providers: list[str] | None = None, statuses: list[str] | None = None,
                 emitter: str = "standard") -> list[dict]:
    from ingress2gw.plugin import load_providers

    if emitter not in CATALOG_EMITTERS:
        raise ValueError(f"emitter {emitter!r} is not available yet (available: {', '.join(CATALOG_EMITTERS)})")

    found = load_providers()
    unknown = [p for p in providers or [] if p not in found]
    if unknown:
        raise ValueError(f"unknown provider {', '.join(unknown)} (known: {', '.join(sorted(found))})")
    valid = {s.value for s in Status}
    bad = [s for s in statuses or [] if s not in valid]
    if bad:
        raise ValueError(f"unknown status {', '.join(bad)} (known: {', '.join(sorted(valid))})")
    rows = []
    for name in sorted(found):
        if providers and name not in providers:
            continue
        reg = found[name].registry
        for spec in reg.specs():
            row = {"provider": name, **spec.to_dict(reg.prefix)}
            row["status"] = annotation_status(spec, emitter).value
            if statuses and row["status"] not in statuses:
                continue
            rows.append(row)
    return rows


def render_catalog(providers: list[str], statuses: list[str], fmt: str, emitter: str = "standard") -> str:
    rows = catalog_rows(providers, statuses, emitter)
    if fmt == "json":
        return json.dumps({"schemaVersion": 1, "annotations": rows}, indent=2) + "\n"
    if fmt == "markdown":
        return markdown_table(rows)
    if fmt == "table":
        width = max((len(r["key"]) for r in rows), default=10)
        lines = [f"{'provider':<14} {'annotation':<{width}} {'status':<12} area"]
        lines += [f"{r['provider']:<14} {r['key']:<{width}} {r['status']:<12} {r['area']}" for r in rows]
        return "\n".join(lines) + "\n"
    raise ValueError("--format must be table, json or markdown")


def _cell(text: str | None) -> str:
    return (text or "").replace("|", "\\|").replace("\n", " ")


def markdown_table(rows: list[dict]) -> str:
    out = ["| Annotation | Status | Area | Maps to | Caveat / reason |", "|---|---|---|---|---|"]
    for r in rows:
        key = f"`{r['key']}`" + (f" (aliases: {', '.join('`%s`' % a for a in r['aliases'])})" if r["aliases"] else "")
        out.append(f"| {key} | {r['status']} | {r['area']} | {_cell(r['mapsTo'])} | {_cell(r['caveat'])} |")
    return "\n".join(out) + "\n"
