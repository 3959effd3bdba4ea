"""After emission: one finding per annotation whose handler attached intents.

The emitter says which intents it rendered and why it left the others out, so an annotation's status
depends on the target emitter, Gateway API version and channel — never on a fixed table.
"""

from __future__ import annotations

from ingress2gw.model.ir import IngressDraft, PolicyIntent
from ingress2gw.report import Code, ObjectRef, Report, Status


def report_annotation_outcomes(drafts: list[IngressDraft], emitter, report: Report) -> None:
    for d in drafts:
        ref = ObjectRef("Ingress", d.origin.namespace, d.origin.name)
        for spec, value in d.pending:
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


def _same_origin(a, b) -> bool:
    return a is not None and a.annotation == b.annotation and a.location == b.location and a.name == b.name
