"""The annotation catalog, read from the providers' registries (there is no second list)."""

from __future__ import annotations

import json

from ingress2gw.report.codes import Status



#: What the standard emitter renders at its default target (Gateway API 1.6, standard channel).
_STANDARD_INTENTS = frozenset({"RequestRedirect", "URLRewrite", "HeaderModifier", "Timeouts", "CORS",
                               "RequestMirror", "BackendTLS"})
_CAPABILITIES: dict[str, frozenset[str]] = {}


def emitter_capabilities(emitter: str) -> frozenset[str]:
    """Intent class names and policy families ``emitter`` turns into objects, at the default target.

    Computed, not declared: each canonical family's example (``ingress2gw.model.policies``) and a sample of
    each Gateway API intent the standard channel cannot hold are offered to the emitter, and its outcome for
    them (``ingress2gw.model.outcome``, the same answers the report is derived from) is read.
    """
    if emitter in _CAPABILITIES:
        return _CAPABILITIES[emitter]
    caps = set(_STANDARD_INTENTS)
    if emitter != "standard":
        from ingress2gw.emitters import load_emitter
        from ingress2gw.emitters.standard import EmitOptions
        from ingress2gw.model.ir import (
            ExternalAuth, Match, Origin, PathMatch, Retry, RuleDraft, ServiceBackend, SessionPersistence,
        )
        from ingress2gw.model.policies import FAMILIES
        from ingress2gw.report import Report
        from ingress2gw.source.location import Location

        em = load_emitter(emitter)(EmitOptions(), Report())
        svc = ServiceBackend(namespace="app", name="svc", port=80)
        origin = Origin(namespace="app", name="ing", location=Location("-"), annotation="probe")
        samples = {name: family(**family.example, origin=origin) for name, family in FAMILIES.items()}
        samples.update({"Retry": Retry(attempts=2, origin=origin),
                        "SessionPersistence": SessionPersistence(session_name="s", origin=origin),
                        "ExternalAuth": ExternalAuth(backend=svc, path="/auth", origin=origin)})
        for name, intent in samples.items():
            rule = RuleDraft(host="a.example.com", match=Match(path=PathMatch(type="PathPrefix", value="/")),
                             backends=[svc], origin=origin, intents=[intent])
            # The emitter's own answer for the rule, as the report reads it: held unless refused.
            outcome = next((o for i, o in em.pieces_for(rule).answers if i is intent), None)
            if outcome is not None and not outcome.refused:
                caps.add(name)
    _CAPABILITIES[emitter] = frozenset(caps)
    return _CAPABILITIES[emitter]


def annotation_status(spec, emitter: str = "standard") -> Status:
    """What ``emitter`` does with an annotation: the one place the catalog's status column comes from.

    The standard emitter's status is the registry's declaration. For an implementation emitter, an
    annotation whose products (``AnnotationSpec.produces``) the emitter can all hold, some of them only
    through its own policy objects, is ``policy``; otherwise the declaration stands.
    """
    from ingress2gw.emitters import available

    if emitter not in available():
        raise ValueError(f"unknown emitter {emitter!r} (available: {', '.join(available())})")
    if emitter == "standard" or spec.status in (Status.IGNORED, Status.SECURITY):
        return spec.status
    caps = emitter_capabilities(emitter)
    if all(p in caps for p in spec.produces) and any(p not in _STANDARD_INTENTS for p in spec.produces):
        return Status.POLICY
    if spec.status is Status.POLICY:
        return Status.UNSUPPORTED  # it needs a policy this implementation does not have
    return spec.status


def catalog_rows(providers: list[str] | None = None, statuses: list[str] | None = None,
                 emitter: str = "standard") -> list[dict]:
    from ingress2gw.plugin import load_providers

    from ingress2gw.emitters import available

    if emitter not in available():
        raise ValueError(f"unknown emitter {emitter!r} (available: {', '.join(available())})")

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
