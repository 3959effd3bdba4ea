"""Request, connection and bandwidth limits.

https://kubernetes.github.io/ingress-nginx/user-guide/nginx-configuration/annotations/#rate-limiting

The controller turns ``limit-rps`` / ``limit-rpm`` into NGINX ``limit_req`` zones keyed by
``$binary_remote_addr``: one bucket **per client IP, per controller replica** (N replicas allow N× the
rate), ``burst`` = rate × ``limit-burst-multiplier`` (default 5), ``nodelay``; rejected requests get the
ConfigMap ``limit-req-status-code`` (503). ``limit-connections`` is ``limit_conn`` (concurrent connections
per client IP per replica; ConfigMap ``limit-conn-status-code``, 503). ``limit-allowlist`` (deprecated
alias ``limit-whitelist``) exempts CIDRs from all three. Non-numeric values are ignored by the controller;
``0`` means no limit. ``limit-rate`` / ``limit-rate-after`` throttle the response bandwidth per connection.

PolicyIntent families (one intent per rule of the Ingress):

``rate-limit``
    ``requests`` (int) per ``period`` (``1s`` | ``1m``), ``key`` client-ip; ``burst`` (int, extra requests accepted at
    once = requests × multiplier, served without delay); ``counting``: ``per-pod-per-client-ip`` (never a
    global limit); ``client_ip``: ``tcp-peer`` | ``x-forwarded-for`` | ``proxy-protocol``; ``status`` (int,
    503 unless the ConfigMap changed it — Envoy-based gateways answer 429); ``exempt``: tuple of CIDRs.
``connection-limit``
    ``connections`` (int, concurrent per client IP per replica); ``counting``, ``client_ip``, ``status``,
    ``exempt`` as above.
``bandwidth-limit``
    ``kbytes_per_second`` (int, per connection, response direction); ``after_kbytes`` (int, sent at full
    speed first; 0 = from the start).
"""

from __future__ import annotations

import re

from ingress2gw.plugin import (
    FROM_OUTCOME, AnnotationValue, BandwidthLimitPolicy, ConnectionLimitPolicy, Context, IngressDraft, RateLimitPolicy, Report,
    Status,
)
from ingress2gw.plugin import parse_int

from ingress2gw_nginx.annotations._read import (
    CLIENT_IP_TEXT, client_ip_source, shadowed_alias, sibling,
)
from ingress2gw_nginx.config import parse_cidrs
from ingress2gw_nginx.registry import REGISTRY

_INT = re.compile(r"^\s*-?\d+\s*$")
_LIMITS = ("limit-rps", "limit-rpm", "limit-connections")
_SCOPE_CAVEAT = ("nginx counted per client IP and per controller replica ({how}); the gateway's limit has its "
                 "own scope (per Envoy/NGINX instance, per route or global) and Envoy-based gateways answer 429 "
                 "instead of {status}.")
_REMEDY = ("Attach the implementation's rate-limit policy keyed on the client address (NGF RateLimitPolicy, "
           "Envoy Gateway BackendTrafficPolicy.rateLimit with a Distinct sourceCIDR selector, Traefik rateLimit); "
           "divide or multiply the rate by the number of replicas as needed.")


def _limit(value: AnnotationValue, report: Report, no_limit: str) -> int | None:
    """The positive whole number a limit key sets; None (reported) when it is not a number or sets no limit
    (``no_limit`` says so for 0 and below)."""
    n = parse_int(value.text) if _INT.match(value.text) else None
    if n is None:
        value.invalid(report, f"expected a whole number, got {value.text!r}; the controller ignored it (no limit)")
        return None
    if n <= 0:
        value.no_effect(report, no_limit)
        return None
    return n


def _common(value: AnnotationValue, ctx: Context, report: Report, *, burst: bool = True) -> dict:
    """counting, client_ip, exempt fields shared by request and connection limits."""
    exempt_text = sibling(value, "limit-allowlist", "limit-whitelist")
    exempt: tuple[str, ...] = ()
    if exempt_text is not None:
        exempt = parse_cidrs(exempt_text) or ()
    fields = value.field_origins({"limit-allowlist": "exempt", "limit-whitelist": "exempt"}
                                 | ({"limit-burst-multiplier": "burst"} if burst else {}))
    return {"counting": "per-pod-per-client-ip", "client_ip": client_ip_source(ctx)} | (
        {"exempt": exempt} if exempt else {}) | ({"field_origins": fields} if fields else {})


def _request_limit(unit: str, value: AnnotationValue, draft: IngressDraft, ctx: Context, report: Report) -> None:
    rate = _limit(value, report, f"{value.name}: {value.text!r} sets no limit")
    if rate is None:
        return
    multiplier = 5
    text = sibling(value, "limit-burst-multiplier")
    n = parse_int(text) if text is not None and _INT.match(text) else None
    if n is not None and n > 0:
        multiplier = n
    status = ctx.settings.get("limit-req-status-code", 503)
    caveat = _SCOPE_CAVEAT.format(how=CLIENT_IP_TEXT[client_ip_source(ctx)], status=status)
    period = {"second": "1s", "minute": "1m"}[unit]
    for rule in draft.rules:
        rule.add(RateLimitPolicy(origin=value.origin, caveat=caveat, requests=rate, period=period,
                                 burst=rate * multiplier, status=status, key="client-ip",
                                 **_common(value, ctx, report)))


@REGISTRY.annotation("limit-rps", produces=('rate-limit',), area="ratelimit", status=Status.POLICY,
                     maps_to="policy rate-limit (unit second)",
                     caveat="Gateway API has no rate limiting.", remediation=_REMEDY)
def limit_rps(value: AnnotationValue, draft: IngressDraft, ctx: Context, report: Report) -> None:
    _request_limit("second", value, draft, ctx, report)


@REGISTRY.annotation("limit-rpm", produces=('rate-limit',), area="ratelimit", status=Status.POLICY,
                     maps_to="policy rate-limit (unit minute)",
                     caveat="Gateway API has no rate limiting.", remediation=_REMEDY)
def limit_rpm(value: AnnotationValue, draft: IngressDraft, ctx: Context, report: Report) -> None:
    _request_limit("minute", value, draft, ctx, report)


@REGISTRY.annotation("limit-connections", produces=('connection-limit',), area="ratelimit", status=Status.POLICY,
                     maps_to="policy connection-limit (Traefik inFlightReq per IP; Envoy Gateway "
                             "ClientTrafficPolicy.connection.connectionLimit is listener-wide, not per IP)",
                     caveat="Gateway API has no connection limits.",
                     remediation="Use a per-client in-flight limit of your implementation, or drop it.")
def limit_connections(value: AnnotationValue, draft: IngressDraft, ctx: Context, report: Report) -> None:
    count = _limit(value, report, f"limit-connections: {value.text!r} sets no limit")
    if count is None:
        return
    status = ctx.settings.get("limit-conn-status-code", 503)
    caveat = _SCOPE_CAVEAT.format(how=CLIENT_IP_TEXT[client_ip_source(ctx)], status=status)
    for rule in draft.rules:
        rule.add(ConnectionLimitPolicy(origin=value.origin, caveat=caveat, connections=count, status=status,
                                       **_common(value, ctx, report, burst=False)))


def _companion(value: AnnotationValue, ctx: Context, report: Report) -> bool:
    """Report a companion set without any limit; True when it takes part in a limit."""
    texts = [sibling(value, k) for k in _LIMITS]
    if not any(t is not None and _INT.match(t) and (parse_int(t) or 0) > 0 for t in texts):
        value.no_effect(report, f"{value.name} has no effect without a positive limit-rps, limit-rpm or "
                                "limit-connections")
        return False
    return True


@REGISTRY.annotation("limit-burst-multiplier", produces=('rate-limit',), area="ratelimit", status=Status.POLICY,
                     maps_to="burst param of policy rate-limit (NGF rules[].burst, kgateway tokenBucket.maxTokens, "
                             "Traefik rateLimit.burst; Envoy Gateway local limits have no burst)",
                     caveat="Read with limit-rps / limit-rpm: burst = rate × multiplier (default 5).",
                     remediation=_REMEDY)
def limit_burst_multiplier(value: AnnotationValue, draft: IngressDraft, ctx: Context, report: Report) -> None:
    if not _companion(value, ctx, report):
        return
    if not _INT.match(value.text) or (parse_int(value.text) or 0) <= 0:
        value.invalid(report, f"expected a positive whole number, got {value.text!r}; the controller used 5")
        return None
    return FROM_OUTCOME


@REGISTRY.annotation("limit-allowlist", produces=('rate-limit',), aliases=("limit-whitelist",), area="ratelimit", status=Status.POLICY,
                     maps_to="exempt param of policy rate-limit / connection-limit (Envoy Gateway sourceCIDR "
                             "with invert: true)",
                     caveat="Read with limit-rps / limit-rpm / limit-connections: these client CIDRs are not limited.",
                     remediation="Exempt the CIDRs in the implementation's rate-limit rule.")
def limit_allowlist(value: AnnotationValue, draft: IngressDraft, ctx: Context, report: Report) -> None:
    if shadowed_alias(value, ctx, "limit-allowlist", report) or not _companion(value, ctx, report):
        return
    if not parse_cidrs(value.text):
        value.invalid(report, f"{value.text!r} is not a comma list of IP addresses or CIDRs; no client was exempt")
        return None
    return FROM_OUTCOME


@REGISTRY.annotation("limit-rate", produces=('bandwidth-limit',), area="ratelimit", status=Status.POLICY,
                     maps_to="policy bandwidth-limit: Envoy Gateway BackendTrafficPolicy.bandwidthLimit.response",
                     caveat="Response bandwidth per connection (KB/s); no Gateway API field.",
                     remediation="Configure a response bandwidth limit on the gateway, or drop it.")
def limit_rate(value: AnnotationValue, draft: IngressDraft, ctx: Context, report: Report) -> None:
    rate = _limit(value, report, "limit-rate: 0 disables bandwidth limiting (the default)")
    if rate is None:
        return
    buffering = (sibling(value, "proxy-buffering") or ctx.settings.get("proxy-buffering", "off")).strip()
    if buffering != "on":
        value.no_effect(report, f"limit-rate only throttles buffered responses, and proxy-buffering is "
                                f"{buffering!r} for this Ingress (the default is off): the controller did not throttle")
        return
    after = sibling(value, "limit-rate-after")
    after_n = parse_int(after) if after is not None and _INT.match(after) else None
    after_kb = after_n if after_n is not None and after_n > 0 else 0
    value.attach(draft, BandwidthLimitPolicy, kbytes_per_second=rate, after_kbytes=after_kb)


@REGISTRY.annotation("limit-rate-after", area="ratelimit", status=Status.UNSUPPORTED,
                     maps_to="after_kbytes param of policy bandwidth-limit",
                     caveat="Bytes sent at full speed before limit-rate applies; no implementation field.",
                     remediation="Accept that the limit applies from the first byte.")
def limit_rate_after(value: AnnotationValue, draft: IngressDraft, ctx: Context, report: Report) -> None:
    rate = sibling(value, "limit-rate")
    if rate is None or not _INT.match(rate) or (parse_int(rate) or 0) <= 0:
        value.no_effect(report, "limit-rate-after has no effect without a positive limit-rate")
