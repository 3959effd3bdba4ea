"""Findings from outcomes: the one place an annotation's verdict is decided after emission.

``derive_findings`` is a pure function of the drafts (which annotations wait for the emitter's answer),
the emitter's ``Ledger`` and the emitter's name. The pipeline adds what it returns to the report; no
other code adds, changes or removes a finding after the emitter ran (``tests/test_outcomes.py``).
"""

from __future__ import annotations

from ingress2gw.model.outcome import Verdict, combine
from ingress2gw.report.codes import Code, Status
from ingress2gw.report.findings import Finding, ObjectRef


def derive_findings(drafts, ledger, emitter: str) -> list[Finding]:
    index = ledger.by_origin()
    kept = ledger.kept_origins()
    # Settings an emitter held as the source did (``Ledger.void_caveat``): what the registry says differs
    # elsewhere does not hold for them.
    voided = {d.origin for d in ledger.decisions if d.voids_caveat}
    touched = _touched(ledger)
    out: list[Finding] = []
    for d in drafts:
        ref = ObjectRef("Ingress", d.origin.namespace, d.origin.name)
        for spec, value, standing, yields, about in d.pending:
            outcomes = index.get(value.origin)
            # A standing finding (what the provider said while reading) stands unless the emitter kept the
            # source object itself, or (yields "held") held the setting.
            if standing is not None and outcomes:
                if yields == "kept" and value.origin not in kept:
                    outcomes = None
                elif yields == "held" and combine(outcomes).refused:
                    outcomes = None
            common = dict(location=value.origin.location, obj=standing.obj if standing else about or ref,
                          provider=d.provider, annotation=value.key, value=value.text)
            if not outcomes:
                out.append(standing if standing is not None else _finding(
                    Code.ANNOTATION_IGNORED, common,
                    f"{value.key} had no effect: none of the Ingress's rules was emitted "
                    "(see the other findings of this Ingress)"))
                continue
            out.append(_verdict(combine(outcomes), spec, common, emitter, value.origin in voided,
                                touched.get(value.origin, frozenset())))
    return out + _controller_defaults(drafts, index, touched)


def _touched(ledger) -> dict:
    """Origin -> the dimensions of the intents it asked for or set a field of (what a refusal changes)."""
    out: dict = {}
    for d in ledger.decisions:
        for origin in (d.origin, *(o for _, o in d.field_origins)):
            out[origin] = out.get(origin, frozenset()) | d.dimensions
    return out


def _changes(o, touched: frozenset) -> frozenset:
    """What a verdict says may differ: the stated differences' dimensions; a refusal changes all it touched."""
    if o.refused:
        return touched | frozenset(c for d in o.differences for c in d.changes)
    return frozenset(c for d in o.differences for c in d.changes)


def _controller_defaults(drafts, index: dict, touched: dict) -> list[Finding]:
    """One finding per source object for a setting its controller applied without any annotation
    (``Origin.default``), where the emitter's rendering changes requests or leaves the setting out; a
    default rendered as the controller applied it needs no finding."""
    providers = {(d.origin.namespace, d.origin.name): d.provider for d in drafts}
    out = []
    for origin, outcomes in index.items():
        if not origin.default:
            continue
        o = combine(outcomes)
        details = sorted({d.detail for d in o.differences if d.detail}) + sorted({r for r in o.reasons if r})
        if not details and not o.refused:
            continue
        out.append(Finding(code=Code.CONTROLLER_DEFAULT_LOSSY, location=origin.location,
                           message=f"{origin.default}: " + ("; ".join(details) or "not written"),
                           obj=ObjectRef(origin.kind, origin.namespace, origin.name),
                           provider=providers.get((origin.namespace, origin.name), ""),
                           dimensions=_changes(o, touched.get(origin, frozenset()))))
    return out


def _verdict(o, spec, common: dict, emitter: str, voided: bool, touched: frozenset) -> Finding:
    common = {**common, "dimensions": _changes(o, touched) or touched}
    reasons = "; ".join(sorted(set(o.reasons)))
    if o.verdict is Verdict.NEEDS_POLICY:
        return _finding(Code.ANNOTATION_POLICY, common, reasons,
                        spec.remediation or "Choose an --emitter whose policies hold this setting.")
    if o.verdict is Verdict.NEEDS_VERSION:
        return _finding(Code.ANNOTATION_NEEDS_VERSION, common, reasons,
                        "Target a Gateway API version/channel that has the feature (--gateway-api-version, "
                        "--channel), or rebuild it by hand.")
    if o.verdict is Verdict.UNSUPPORTED:
        return _finding(Code.ANNOTATION_UNSUPPORTED, common, reasons, spec.remediation)
    differences = "; ".join(sorted({d.detail for d in o.differences}))
    if o.verdict is Verdict.POLICY:
        head = f"translated to {emitter} {', '.join(sorted(set(o.objects)))}" if o.objects else \
            f"held by {emitter} without an object of its own"
        if differences:
            return _finding(Code.ANNOTATION_LOSSY, common, f"{head}; {differences}", spec.remediation)
        return _finding(Code.ANNOTATION_POLICY_EMITTED, common, head, spec.remediation)
    if differences:
        return _finding(Code.ANNOTATION_LOSSY, common, differences, spec.remediation)
    if voided:
        return _finding(Code.ANNOTATION_TRANSLATED, common, f"held by {emitter} as the source controller did")
    if spec.status is Status.LOSSY:  # the declaration's caveat: about what the key may change
        common["dimensions"] = common["dimensions"] | spec.dimensions
        return _finding(Code.ANNOTATION_LOSSY, common, spec.caveat or Code.ANNOTATION_LOSSY.info.title,
                        spec.remediation)
    return _finding(Code.ANNOTATION_TRANSLATED, common,
                    spec.caveat or f"translated to {spec.maps_to or 'Gateway API'}")


def _finding(code: Code, common: dict, detail: str, remedy: str = "") -> Finding:
    return Finding(code=code, location=common["location"], message=detail or code.info.title, obj=common["obj"],
                   provider=common["provider"], annotation=common["annotation"], value=common["value"],
                   remedy=remedy, dimensions=common.get("dimensions", frozenset()))
