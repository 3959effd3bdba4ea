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
from typing import Callable

from ingress2gw.plugin import REPORT_LATER, AnnotationValue, Context, IngressDraft, Report, Status

from ingress2gw_nginx.values import parse_bool
from ingress2gw_nginx.registry import REGISTRY

STATE = "canary"
#: RFC 7230 token: what Gateway API accepts as a header name.
HEADER_NAME = re.compile(r"^[A-Za-z0-9!#$%&'*+\-.^_`|~]+$")
COOKIE_NAME = HEADER_NAME
MAPS = "HTTPRoute rules[].backendRefs[].weight; rules[].matches[].headers"
#: Reads an annotation's value (``parse=`` of the registry): the value, or None after reporting it invalid.
Parser = Callable[[AnnotationValue, Report], object]


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


def _name(pattern: re.Pattern[str], what: str, ignored: str) -> Parser:
    """The parser of a header or cookie name: the value without surrounding space, which ``pattern`` must match
    (else the value is not ``what``, and the canary ignores the ``ignored``)."""

    def parse(value: AnnotationValue, report: Report) -> str | None:
        name = value.text.strip()
        if not pattern.match(name):
            value.invalid(report, f"{value.text!r} is not {what}; the canary ignores the {ignored}")
            return None
        return name

    return parse


def _header_value(value: AnnotationValue, report: Report) -> str | None:
    if len(value.text) > 4096:
        value.invalid(report, "header values longer than 4096 characters cannot be matched in Gateway API")
        return None
    return value.text


def _pattern(value: AnnotationValue, report: Report) -> str | None:
    try:
        re.compile(value.text)
    except re.error as e:
        value.invalid(report, f"{value.text!r} is not a valid regular expression ({e}); the controller never "
                              "routed to the canary by this pattern")
        return None
    return value.text


def _whole_number(what: str) -> Parser:
    """The parser of a whole number of at most nine digits; ``what`` the number is (for an invalid value)."""

    def parse(value: AnnotationValue, report: Report) -> int | None:
        text = value.text.strip()
        if not re.fullmatch(r"[0-9]{1,9}", text):
            value.invalid(report, f"expected {what}, got {value.text!r}; the controller used its default")
            return None
        return int(text)

    return parse


def _keep_parsed(parsed, value: AnnotationValue, draft: IngressDraft, ctx: Context, report: Report) -> object:
    """The handler of the keys declared below with a parser (which reports an invalid value): the valid value is
    recorded."""
    return _keep(value, draft, parsed)


# The keys that only read a value for the merge: key, status, maps_to, caveat, and the parser of the value.
for _key, _status, _maps_to, _caveat, _parse in (
    ("canary-by-header", Status.TRANSLATED, "HTTPRoute rules[].matches[].headers[]{type: Exact, value: always|never}",
     "", _name(HEADER_NAME, "an HTTP header name", "header")),
    ("canary-by-header-value", Status.TRANSLATED, "HTTPRoute rules[].matches[].headers[]{type: Exact}", "",
     _header_value),
    ("canary-by-header-pattern", Status.LOSSY, "HTTPRoute rules[].matches[].headers[]{type: RegularExpression}",
     "PCRE (nginx) and the gateway's regex dialect (RE2 for Envoy) differ in edge cases; regex header matching is "
     "implementation-specific.", _pattern),
    ("canary-by-cookie", Status.LOSSY, "HTTPRoute rules[].matches[].headers[Cookie]{type: RegularExpression}",
     "Gateway API has no cookie match: a regular expression on the Cookie header approximates it (regex header "
     "matching is implementation-specific).", _name(COOKIE_NAME, "a cookie name", "cookie")),
    ("canary-weight", Status.TRANSLATED, "HTTPRoute rules[].backendRefs[].weight", "",
     _whole_number("a whole number of requests out of canary-weight-total")),
    ("canary-weight-total", Status.TRANSLATED, "HTTPRoute rules[].backendRefs[].weight (main = total - canary-weight)",
     "", _whole_number("a whole number")),
):
    REGISTRY.annotation(_key, area="canary", status=_status, maps_to=_maps_to, caveat=_caveat,
                        parse=_parse)(_keep_parsed)
