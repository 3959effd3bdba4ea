"""Upstream timeouts, and the read timeout every ingress-nginx location gets without an annotation.

The controller's proxy timeouts are unitless seconds (``"120"``; ``"120s"`` is invalid and the default
is kept): connect 5s, and read/send 60s, which are *idle* times between two reads/writes, not totals
(https://kubernetes.github.io/ingress-nginx/user-guide/nginx-configuration/annotations/#custom-timeouts).
nginx has no bound on the whole response: a response that keeps sending runs as long as it needs.

The read timeout becomes two intents on each rule: ``Timeouts(request="0s")`` (no bound on the whole
response, where Envoy-based gateways would apply 15s) and ``IdleTimeout(read=...)`` (the longest silence of
the backend), which each emitter holds with its own idle timeout or reports what it does instead. A rule
without the annotation gets the controller's value (the ConfigMap ``proxy-read-timeout``, else 60s); with
``--controller-defaults report`` that default is not written, and its finding says what the gateway does
instead (one finding per Ingress, ``Origin.default``).

PolicyIntent families defined here (rendered by implementation emitters, issue 7):

- ``upstream-timeouts``: ``connect`` (duration string, e.g. ``"5s"``) — time to open the connection
  to an endpoint (kgateway BackendConfigPolicy.connectTimeout, Envoy Gateway
  BackendTrafficPolicy.timeout.tcp.connectTimeout, NGF ProxySettingsPolicy.timeout.connect, Istio
  DestinationRule connectionPool.tcp.connectTimeout); ``send`` (duration string) — idle time between
  two writes of the request to the endpoint (NGF ProxySettingsPolicy.timeout.send; Envoy-based: stream
  idle timeout).
"""

from __future__ import annotations

import re

from ingress2gw.plugin import (
    AnnotationValue, Code, Context, IdleTimeout, IngressDraft, Report, RequestRedirect, Status, Timeouts,
    UpstreamTimeoutsPolicy,
)
from ingress2gw.plugin import parse_int

from ingress2gw_nginx.registry import REGISTRY

PROVIDER = "ingress-nginx"
DEFAULT_READ = 60


def duration(seconds: int) -> str:
    """A Gateway API duration (each number at most 5 digits): 90 → ``90s``, 200000 → ``55h33m20s``."""
    if seconds <= 99999:
        return f"{seconds}s"
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return "".join(f"{n}{u}" for n, u in ((h, "h"), (m, "m"), (s, "s")) if n) or "0s"


def parse_seconds(value: AnnotationValue, report: Report, *, allow_zero: bool = False) -> int | None:
    """Unitless whole seconds, as the controller parses them; reports annotation.invalid-value."""
    text = value.text.strip()
    if not re.fullmatch(r"[0-9]{1,7}", text) or (int(text) == 0 and not allow_zero):
        report.add(Code.ANNOTATION_INVALID_VALUE, location=value.loc(), obj=value.origin_ref, provider=PROVIDER,
                   annotation=value.key, value=value.text,
                   detail=f"expected unitless whole seconds such as \"60\", got {value.text!r}; the controller "
                          "kept its default")
        return None
    return int(text)


def parse_seconds_or_zero(value: AnnotationValue, report: Report) -> int | None:
    """Like ``parse_seconds``, where 0 is a value (no limit)."""
    return parse_seconds(value, report, allow_zero=True)


def setting_seconds(ctx: Context, key: str, default: int) -> int:
    raw = str(ctx.settings.get(key, default)).strip()
    n = parse_int(raw) if raw.isdigit() else None
    return default if n is None else n


@REGISTRY.annotation(
    "proxy-connect-timeout", produces=('upstream-timeouts',), area="timeouts", status=Status.POLICY,
    maps_to="policy upstream-timeouts.connect",
    caveat="Gateway API has no connect timeout; an implementation policy holds it.",
    remediation="Set the connect timeout in your gateway's backend policy (nginx default: 5s).",
    parse=parse_seconds,
)
def proxy_connect_timeout(seconds: int, value: AnnotationValue, draft: IngressDraft, ctx: Context,
                          report: Report) -> None:
    value.attach(draft, UpstreamTimeoutsPolicy, connect=duration(seconds))


@REGISTRY.annotation(
    "proxy-read-timeout", produces=('Timeouts', 'IdleTimeout'), area="timeouts", status=Status.LOSSY,
    maps_to="HTTPRoute rules[].timeouts.request: 0s (no bound on the whole response); the idle time: kgateway "
            "TrafficPolicy timeouts.streamIdle, Envoy Gateway BackendTrafficPolicy timeout.http.streamIdleTimeout, "
            "NGF ProxySettingsPolicy timeout.read",
    caveat="Gateway API has no idle timeout: nothing ends a response whose backend stays silent this long (a bound "
           "on the whole response, timeouts.backendRequest, would cut every longer stream nginx let through).",
    remediation="Choose an --emitter with a stream idle timeout, or set one on your gateway.",
    parse=parse_seconds,
)
def proxy_read_timeout(seconds: int, value: AnnotationValue, draft: IngressDraft, ctx: Context, report: Report) -> None:
    for rule in draft.rules:
        rule.add(Timeouts(request="0s", origin=value.origin))
        rule.add(IdleTimeout(read=duration(seconds), origin=value.origin))


@REGISTRY.annotation(
    "proxy-send-timeout", produces=('upstream-timeouts',), area="timeouts", status=Status.POLICY,
    maps_to="policy upstream-timeouts.send",
    caveat="An idle timeout between writes to the backend has no Gateway API field.",
    remediation="Set a stream idle timeout in your gateway's policy if uploads are slow (nginx default: 60s).",
    parse=parse_seconds,
)
def proxy_send_timeout(seconds: int, value: AnnotationValue, draft: IngressDraft, ctx: Context, report: Report) -> None:
    value.attach(draft, UpstreamTimeoutsPolicy, send=duration(seconds))


def apply_defaults(drafts: list[IngressDraft], ctx: Context, report: Report) -> None:
    """Every rule the controller proxies without a proxy-read-timeout of its own gets the controller's: no
    bound on the whole response, and at most the ConfigMap's read timeout (else 60s) without data from the
    backend. With ``--controller-defaults report`` nothing is written (``IdleTimeout.written`` False): the
    emitter says what its gateway does instead, in one finding per Ingress."""
    read = duration(setting_seconds(ctx, "proxy-read-timeout", DEFAULT_READ))
    write = ctx.options.controller_defaults != "report"
    for d in drafts:
        origin = d.origin.model_copy(update={"default": f"proxy-read-timeout {read} (the controller's value for "
                                                        "locations without the annotation)"})
        for rule in d.rules:
            if any(isinstance(i, (Timeouts, IdleTimeout, RequestRedirect)) for i in rule.intents):
                continue
            if write:
                rule.add(Timeouts(request="0s", origin=origin))
            rule.add(IdleTimeout(read=read, written=write, origin=origin))
