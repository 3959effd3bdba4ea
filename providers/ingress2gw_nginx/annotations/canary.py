"""Canary annotations: validated here, merged into the main Ingress by ``ingress2gw_nginx.canary``.

The controller reads these keys together (internal/ingress/annotations/canary): a canary Ingress
(``canary: "true"``) is not a route of its own; its backend becomes the *alternative backend* of the
main Ingress's location with the same host and path, and the balancer decides per request, in this
order (rootfs/etc/nginx/lua/balancer.lua, ``route_to_alternative_balancer``):

1. ``canary-by-header``: with ``canary-by-header-value`` the canary is chosen when the header equals
   that value; else with ``canary-by-header-pattern`` when the (unanchored PCRE) pattern matches;
   else ``always`` → canary and ``never`` → main. Anything else falls through.
2. ``canary-by-cookie``: cookie value ``always`` → canary, ``never`` → main, otherwise fall through.
3. ``canary-weight`` out of ``canary-weight-total`` (the balancer uses totals above 100 only).

Each handler only validates its value and records it in ``draft.provider_state["canary"]``; the
outcome of every canary key is reported by the merge pass, once it knows whether a main Ingress took
the canary (https://kubernetes.github.io/ingress-nginx/user-guide/nginx-configuration/annotations/#canary).
"""

from __future__ import annotations

import re

from ingress2gw.plugin import REPORT_LATER, AnnotationValue, Context, IngressDraft, Report, Status

from ingress2gw_nginx.values import parse_bool
from ingress2gw_nginx.registry import REGISTRY

STATE = "canary"
#: RFC 7230 token: what Gateway API accepts as a header name.
HEADER_NAME = re.compile(r"^[A-Za-z0-9!#$%&'*+\-.^_`|~]+$")
COOKIE_NAME = HEADER_NAME
MAPS = "HTTPRoute rules[].backendRefs[].weight; rules[].matches[].headers"


def state(draft: IngressDraft) -> dict:
    """{"enabled": bool | None, "values": {name: (parsed, AnnotationValue)}}"""
    return draft.provider_state.setdefault(STATE, {"enabled": None, "values": {}})


def _keep(value: AnnotationValue, draft: IngressDraft, parsed) -> object:
    """Record the value; ``canary.merge_canaries`` reports the outcome once the main Ingress is known."""
    state(draft)["values"][value.name] = (parsed, value)
    return REPORT_LATER


@REGISTRY.annotation(
    "canary", area="canary", status=Status.TRANSLATED, maps_to=MAPS,
    caveat="The canary Ingress is merged into the main Ingress's rules (header rules and weighted backends).",
    remediation="Keep the canary Ingress until the migration; afterwards edit the weights in the HTTPRoute.",
)
def canary(value: AnnotationValue, draft: IngressDraft, ctx: Context, report: Report) -> object:
    enabled = parse_bool(value, report)
    state(draft)["enabled"] = enabled
    return _keep(value, draft, enabled)


@REGISTRY.annotation(
    "canary-by-header", area="canary", status=Status.TRANSLATED,
    maps_to="HTTPRoute rules[].matches[].headers[]{type: Exact, value: always|never}",
)
def canary_by_header(value: AnnotationValue, draft: IngressDraft, ctx: Context, report: Report) -> object:
    name = value.text.strip()
    if not HEADER_NAME.match(name):
        value.invalid(report, f"{value.text!r} is not an HTTP header name; the canary ignores the header")
        return
    return _keep(value, draft, name)


@REGISTRY.annotation(
    "canary-by-header-value", area="canary", status=Status.TRANSLATED,
    maps_to="HTTPRoute rules[].matches[].headers[]{type: Exact}",
)
def canary_by_header_value(value: AnnotationValue, draft: IngressDraft, ctx: Context, report: Report) -> object:
    if len(value.text) > 4096:
        value.invalid(report, "header values longer than 4096 characters cannot be matched in Gateway API")
        return
    return _keep(value, draft, value.text)


@REGISTRY.annotation(
    "canary-by-header-pattern", area="canary", status=Status.LOSSY,
    maps_to="HTTPRoute rules[].matches[].headers[]{type: RegularExpression}",
    caveat="PCRE (nginx) and the gateway's regex dialect (RE2 for Envoy) differ in edge cases; regex header "
           "matching is implementation-specific.",
)
def canary_by_header_pattern(value: AnnotationValue, draft: IngressDraft, ctx: Context, report: Report) -> object:
    try:
        re.compile(value.text)
    except re.error as e:
        value.invalid(report, f"{value.text!r} is not a valid regular expression ({e}); the controller never "
                              "routed to the canary by this pattern")
        return
    return _keep(value, draft, value.text)


@REGISTRY.annotation(
    "canary-by-cookie", area="canary", status=Status.LOSSY,
    maps_to="HTTPRoute rules[].matches[].headers[Cookie]{type: RegularExpression}",
    caveat="Gateway API has no cookie match: a regular expression on the Cookie header approximates it "
           "(regex header matching is implementation-specific).",
)
def canary_by_cookie(value: AnnotationValue, draft: IngressDraft, ctx: Context, report: Report) -> object:
    name = value.text.strip()
    if not COOKIE_NAME.match(name):
        value.invalid(report, f"{value.text!r} is not a cookie name; the canary ignores the cookie")
        return
    return _keep(value, draft, name)


def _int(value: AnnotationValue, report: Report, what: str) -> int | None:
    text = value.text.strip()
    if not re.fullmatch(r"[0-9]{1,9}", text):
        value.invalid(report, f"expected {what}, got {value.text!r}; the controller used its default")
        return None
    return int(text)


@REGISTRY.annotation(
    "canary-weight", area="canary", status=Status.TRANSLATED, maps_to="HTTPRoute rules[].backendRefs[].weight",
)
def canary_weight(value: AnnotationValue, draft: IngressDraft, ctx: Context, report: Report) -> object:
    weight = _int(value, report, "a whole number of requests out of canary-weight-total")
    if weight is not None:
        return _keep(value, draft, weight)


@REGISTRY.annotation(
    "canary-weight-total", area="canary", status=Status.TRANSLATED,
    maps_to="HTTPRoute rules[].backendRefs[].weight (main = total - canary-weight)",
)
def canary_weight_total(value: AnnotationValue, draft: IngressDraft, ctx: Context, report: Report) -> object:
    total = _int(value, report, "a whole number")
    if total is not None:
        return _keep(value, draft, total)
