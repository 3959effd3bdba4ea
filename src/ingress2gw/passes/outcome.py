"""After emission: one finding per annotation whose handler attached intents.

The emitter says which intents it rendered and why it left the others out, so an annotation's status
depends on the target emitter, Gateway API version and channel — never on a fixed table.
"""

from __future__ import annotations

from dataclasses import replace

from ingress2gw.model.ir import IngressDraft, PolicyIntent
from ingress2gw.report import Code, ObjectRef, Report, Status


def report_annotation_outcomes(drafts: list[IngressDraft], emitter, report: Report) -> set[tuple]:
    """Report the pending annotations; returns the (Ingress, annotation key) pairs decided here."""
    decided: set[tuple] = set()
    for d in drafts:
        ref = ObjectRef("Ingress", d.origin.namespace, d.origin.name)
        for spec, value in d.pending:
            decided.add((ref, value.key))
            intents = {id(i): i for r in d.rules for i in r.intents if _same_origin(i.origin, value.origin)}
            offered = [i for k, i in intents.items() if k in emitter.seen]
            common = dict(location=value.origin.location, obj=ref, provider=d.provider, annotation=value.key,
                          value=value.text)
            if not offered:
                report.add(Code.ANNOTATION_IGNORED, **common,
                           detail=f"{value.key} had no effect: none of the Ingress's rules was emitted "
                                  "(see the other findings of this Ingress)")
                continue
            left = [(i, emitter.reasons.get(id(i), "")) for i in offered
                    if id(i) not in emitter.used or id(i) in emitter.left_somewhere]
            as_policy = sorted({k for i in offered for k in getattr(emitter, "policy_used", {}).get(id(i), [])})
            if not left and as_policy:
                policy_caveats = getattr(emitter, "policy_caveats", {})
                caveats = sorted({i.caveat for i in offered if i.caveat}
                                 | {policy_caveats[id(i)] for i in offered if id(i) in policy_caveats})
                report.add(Code.ANNOTATION_POLICY_EMITTED, **common,
                           detail=f"translated to {emitter.name} {', '.join(as_policy)}"
                                  + (f"; {'; '.join(caveats)}" if caveats else ""),
                           remedy=spec.remediation)
                continue
            if not left:
                # An implementation emitter may also have handled an intent without an object (the target's
                # default already behaves so); its caveats say what differs.
                policy_caveats = getattr(emitter, "policy_caveats", {})
                caveats = sorted({i.caveat for i in offered if i.caveat}
                                 | {policy_caveats[id(i)] for i in offered if id(i) in policy_caveats})
                if caveats or spec.status is Status.LOSSY:
                    report.add(Code.ANNOTATION_LOSSY, **common,
                               detail="; ".join(caveats) or spec.caveat or Code.ANNOTATION_LOSSY.info.title,
                               remedy=spec.remediation)
                else:
                    report.add(Code.ANNOTATION_TRANSLATED, **common, detail=spec.caveat or
                               f"translated to {spec.maps_to or 'Gateway API'}")
                continue
            reasons = sorted({r for _, r in left if r})
            if any(isinstance(i, PolicyIntent) for i, _ in left):
                report.add(Code.ANNOTATION_POLICY, **common, detail="; ".join(reasons),
                           remedy=spec.remediation or "Choose an --emitter whose policies hold this setting.")
            elif any(r.startswith(("needs Gateway API", "needs the experimental", "redirect status"))
                     for r in reasons):
                report.add(Code.ANNOTATION_NEEDS_VERSION, **common, detail="; ".join(reasons),
                           remedy="Target a Gateway API version/channel that has the feature "
                                  "(--gateway-api-version, --channel), or rebuild it by hand.")
            else:
                report.add(Code.ANNOTATION_UNSUPPORTED, **common, detail="; ".join(reasons),
                           remedy=spec.remediation)
    return decided


def _same_origin(a, b) -> bool:
    return a is not None and a.annotation == b.annotation and a.location == b.location and a.name == b.name


def settle_companions(report: Report, emitter, providers: dict, decided: set[tuple]) -> None:
    """Keys read together with a main key (``auth-secret`` with ``auth-type``, ``limit-burst-multiplier``
    with ``limit-rps``) are reported when they are read, before any emitter runs, as needing a policy. When
    the implementation emitter turned everything such a key produces into its policy objects for the same
    Ingress, the key follows its main key's outcome."""
    if not hasattr(emitter, "policy_used"):
        return  # the standard emitter holds no policies: "needs a policy" stands

    def spec_of(f):
        provider = providers.get(f.provider)
        if provider is None or not f.annotation:
            return None
        reg = provider.registry
        name = f.annotation[len(reg.prefix):] if f.annotation.startswith(reg.prefix) else f.annotation
        return reg.lookup(name) or reg.lookup(f.annotation.rsplit("/", 1)[-1])

    emitted: dict = {}
    for f in report.findings:
        if f.code is Code.ANNOTATION_POLICY_EMITTED and f.obj is not None:
            spec = spec_of(f)
            if spec is not None:
                emitted.setdefault(f.obj, set()).update(spec.produces)
    for i, f in enumerate(report.findings):
        if f.code is not Code.ANNOTATION_POLICY or f.obj not in emitted or (f.obj, f.annotation) in decided:
            continue
        spec = spec_of(f)
        if spec is not None and spec.produces and set(spec.produces) <= emitted[f.obj]:
            report.findings[i] = replace(
                f, code=Code.ANNOTATION_POLICY_EMITTED,
                message=f"read together with the main annotation of this Ingress, whose setting became {emitter.name} "
                        f"policy objects ({', '.join(spec.produces)})")
