"""The annotation catalog, read from the providers' registries (there is no second list)."""

from __future__ import annotations

import json

from ingress2gw.report.codes import Status



_CAPABILITIES: dict[str, dict] = {}


def emitter_capabilities(emitter: str) -> dict:
    """What ``emitter`` answers, at the default target, for each kind of intent a provider produces: intent
    class name or policy family -> ``Outcome``.

    Computed, not declared: each canonical family's example (``ingress2gw.model.policies``) and a sample of
    each Gateway API intent are emitted on a rule, and the emitter's own outcomes for them
    (``ingress2gw.model.outcome``, the same answers the report is derived from) are read back.
    """
    if emitter in _CAPABILITIES:
        return _CAPABILITIES[emitter]
    from ingress2gw.emitters import load_emitter
    from ingress2gw.emitters.standard import EmitOptions
    from ingress2gw.model.ir import (
        CORS, BackendTLS, ExternalAuth, HeaderModifier, IdleTimeout, Match, Origin, PathMatch, RequestMirror,
        RequestRedirect, Retry, RuleDraft, ServiceBackend, SessionPersistence, Timeouts, URLRewrite,
    )
    from ingress2gw.model.policies import FAMILIES
    from ingress2gw.report import Report
    from ingress2gw.source.location import Location

    svc = ServiceBackend(namespace="app", name="svc", port=80)
    mirror = ServiceBackend(namespace="app", name="mirror", port=80)
    samples = {name: lambda o, f=family: f(**f.example, origin=o) for name, family in FAMILIES.items()}
    samples.update({
        "RequestRedirect": lambda o: RequestRedirect(scheme="https", status_code=301, origin=o),
        "URLRewrite": lambda o: URLRewrite(replace_prefix_match="/", origin=o),
        "HeaderModifier": lambda o: HeaderModifier(direction="request", set=(("X-A", "1"),), origin=o),
        "Timeouts": lambda o: Timeouts(request="10s", origin=o),
        "IdleTimeout": lambda o: IdleTimeout(read="300s", origin=o),
        "CORS": lambda o: CORS(allow_origins=("https://a.example.com",), origin=o),
        "RequestMirror": lambda o: RequestMirror(backend=mirror, origin=o),
        "BackendTLS": lambda o: BackendTLS(hostname="svc.app.svc", origin=o),
        # TLS the source did not verify (ingress-nginx's default): BackendTLSPolicy always verifies.
        "BackendTLS.unverified": lambda o: BackendTLS(hostname="svc.app.svc", verify=False, origin=o),
        "Retry": lambda o: Retry(attempts=2, origin=o),
        "SessionPersistence": lambda o: SessionPersistence(session_name="s", origin=o),
        "ExternalAuth": lambda o: ExternalAuth(backend=svc, path="/auth", origin=o),
    })
    caps: dict = {}
    for name, make in sorted(samples.items()):
        em = load_emitter(emitter)(EmitOptions(), Report())
        origin = Origin(namespace="app", name="ing", location=Location("-"), annotation=f"probe/{name}")
        intent = make(origin)
        rule = RuleDraft(host="a.example.com", match=Match(path=PathMatch(type="PathPrefix", value="/")),
                         backends=[svc], origin=origin, intents=[intent])
        em.rules([rule], "app")
        outcome = em.ledger.about(intent)
        if outcome is not None:
            caps[name] = outcome
    _CAPABILITIES[emitter] = caps
    return caps


def annotation_status(spec, emitter: str = "standard") -> Status:
    """What ``emitter`` does with an annotation: the one place the catalog's status column comes from.

    The standard emitter's status is the registry's declaration. For an implementation emitter it comes from
    the emitter's outcomes for what the annotation produces (``AnnotationSpec.produces``): all held, some as
    the emitter's own objects, is ``policy`` — or ``lossy`` where the emitter states a difference; a
    declared need for a policy the emitter does not hold is ``unsupported``.
    """
    from ingress2gw.emitters import available
    from ingress2gw.model.outcome import Verdict

    if emitter not in available():
        raise ValueError(f"unknown emitter {emitter!r} (available: {', '.join(available())})")
    if emitter == "standard" or spec.status in (Status.IGNORED, Status.SECURITY):
        return spec.status
    caps = emitter_capabilities(emitter)
    outcomes = [caps.get(p) for p in spec.produces]
    if outcomes and all(o is not None and o.held for o in outcomes):
        if any(o.verdict is Verdict.POLICY for o in outcomes):
            return Status.LOSSY if any(o.lossy for o in outcomes) else Status.POLICY
        return spec.status
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
