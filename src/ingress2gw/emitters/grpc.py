"""GRPCRoute rules from rules whose backend speaks gRPC.

gRPC requests are ``POST /<package.Service>/<Method>``, so the path matches the controller used map to
GRPCRoute method matches: ``/`` → every method; ``/pkg.Svc`` (prefix) → one service; ``/pkg.Svc/M``
(exact) → one method. Other paths stay on an HTTPRoute (reported): gRPC still works there when the
Service port declares ``appProtocol: kubernetes.io/h2c``. GRPCRoute has only header-modifier, mirror
and extension filters: other intents of a gRPC rule are left out and reported. TLS to the backend
(GRPCS) is a BackendTLSPolicy on the Service, as for HTTP rules.
"""

from __future__ import annotations

import re

from ingress2gw.emitters.render import render_rule_intents
from ingress2gw.model.ir import BackendTLS, HeaderModifier, IdleTimeout, Intent, RequestMirror, RuleDraft, Timeouts
from ingress2gw.model.outcome import unsupported

_SERVICE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
_METHOD = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_GRPC_FILTERS = (HeaderModifier, RequestMirror)
#: Held in part by any route, which writes nothing for them (there is no idle timeout): the route's answer
#: says what differs, unless an implementation policy on the GRPCRoute holds them.
_PARTLY = (IdleTimeout,)


def method_match(rule: RuleDraft) -> dict | None:
    """The GRPCRoute match for a rule ({} = every method), or None when the path has no gRPC form."""
    if rule.match.headers:
        return None
    p = rule.match.path
    if p.type == "PathPrefix" and p.value == "/":
        return {}
    parts = [s for s in p.value.strip("/").split("/")]
    if p.type == "PathPrefix" and len(parts) == 1 and _SERVICE.match(parts[0]):
        return {"method": {"type": "Exact", "service": parts[0]}}
    if p.type == "Exact" and len(parts) == 2 and _SERVICE.match(parts[0]) and _METHOD.match(parts[1]):
        return {"method": {"type": "Exact", "service": parts[0], "method": parts[1]}}
    return None


def grpc_rules(emitter, drafts: list[RuleDraft]) -> list[dict]:
    """Render gRPC rules; rules with the same filters and backends share one GRPCRoute rule."""
    merged: dict[str, dict] = {}
    for r in drafts:
        allowed: list[Intent] = [i for i in r.intents if isinstance(i, _GRPC_FILTERS + (BackendTLS,) + _PARTLY)
                                 and not emitter.withheld(i, r)]
        rendered = render_rule_intents(allowed, emitter.t, "PathPrefix")
        answers = rendered.outcomes()
        for i in r.intents:
            if emitter.withheld(i, r):
                continue  # the implementation's own objects answer for it
            outcome = next((o for j, o in answers if j is i), None) or unsupported(
                "GRPCRoute has no timeouts: the gateway's own apply to the calls (Envoy-based gateways end a call "
                "after 15s in total)" if isinstance(i, Timeouts) else
                f"GRPCRoute has no equivalent of {type(i).__name__}")
            if isinstance(i, BackendTLS) and not outcome.refused:  # a policy on the Service, not a filter
                emitter.hold_backend_tls(r, i)
                outcome = emitter.backend_tls_outcome(i)
            if (outcome.refused or isinstance(i, _PARTLY)) and emitter.grpc_policy_holds(r, i):
                continue  # the implementation's policy on the GRPCRoute holds it (and answers for it)
            emitter.ledger.record(i, outcome)
        rule: dict = {}
        if rendered.filters:
            rule["filters"] = rendered.filters
        rule["backendRefs"] = emitter.backend_refs(r.backends)
        rule = merged.setdefault(repr(rule), {"matches": [], **rule})
        m = method_match(r)
        if m == {}:
            rule["all"] = True
        elif m not in rule["matches"]:
            rule["matches"].append(m)
    out = []
    for rule in merged.values():
        if rule.pop("all", False) or not rule["matches"]:
            rule.pop("matches")  # no matches: every method
        else:
            rule["matches"].sort(key=lambda m: (m["method"]["service"], m["method"].get("method", "")))
        out.append(rule)
    out.sort(key=lambda r: ("matches" not in r, repr(r)))
    return out
