"""Upstream timeouts, and the explicit default timeouts every ingress-nginx rule gets.

The controller's proxy timeouts are unitless seconds (``"120"``; ``"120s"`` is invalid and the default
is kept): connect 5s, and read/send 60s, which are *idle* times between two reads/writes, not totals
(https://kubernetes.github.io/ingress-nginx/user-guide/nginx-configuration/annotations/#custom-timeouts).
Gateway API only has totals, and Envoy-based gateways apply a 15s route timeout when none is set, so
every rule gets ``timeouts: {request: 0s, backendRequest: <read timeout>}``: no total bound (as in
nginx) and each backend attempt bounded by the read timeout (from the annotation, else the ConfigMap
``proxy-read-timeout``, else 60s).

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
    AnnotationValue, Code, Context, IngressDraft, Report, RequestRedirect, Status, Timeouts, UpstreamTimeoutsPolicy,
)

from ingress2gw_nginx.registry import REGISTRY

PROVIDER = "ingress-nginx"
DEFAULT_READ = 60
READ_CAVEAT = ("nginx times the gap between two reads of the response; timeouts.backendRequest bounds each "
               "whole backend attempt, so a response streaming longer than this now fails (and request: 0s "
               "removes the total bound, as nginx had none)")


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


def setting_seconds(ctx: Context, key: str, default: int) -> int:
    raw = str(ctx.settings.get(key, default)).strip()
    return int(raw) if raw.isdigit() else default


@REGISTRY.annotation(
    "proxy-connect-timeout", produces=('upstream-timeouts',), area="timeouts", status=Status.POLICY,
    maps_to="policy upstream-timeouts.connect",
    caveat="Gateway API has no connect timeout; an implementation policy holds it.",
    remediation="Set the connect timeout in your gateway's backend policy (nginx default: 5s).",
)
def proxy_connect_timeout(value: AnnotationValue, draft: IngressDraft, ctx: Context, report: Report) -> None:
    seconds = parse_seconds(value, report)
    if seconds is None:
        return
    for rule in draft.rules:
        rule.add(UpstreamTimeoutsPolicy(connect=duration(seconds), origin=value.origin))


@REGISTRY.annotation(
    "proxy-read-timeout", produces=('Timeouts',), area="timeouts", status=Status.LOSSY,
    maps_to="HTTPRoute rules[].timeouts{request: 0s, backendRequest}",
    caveat=READ_CAVEAT,
    remediation="For streaming or long-polling endpoints use an implementation idle timeout instead.",
)
def proxy_read_timeout(value: AnnotationValue, draft: IngressDraft, ctx: Context, report: Report) -> None:
    seconds = parse_seconds(value, report)
    if seconds is None:
        return
    for rule in draft.rules:
        rule.add(Timeouts(request="0s", backend_request=duration(seconds), origin=value.origin, caveat=READ_CAVEAT))


@REGISTRY.annotation(
    "proxy-send-timeout", produces=('upstream-timeouts',), area="timeouts", status=Status.POLICY,
    maps_to="policy upstream-timeouts.send",
    caveat="An idle timeout between writes to the backend has no Gateway API field.",
    remediation="Set a stream idle timeout in your gateway's policy if uploads are slow (nginx default: 60s).",
)
def proxy_send_timeout(value: AnnotationValue, draft: IngressDraft, ctx: Context, report: Report) -> None:
    seconds = parse_seconds(value, report)
    if seconds is None:
        return
    for rule in draft.rules:
        rule.add(UpstreamTimeoutsPolicy(send=duration(seconds), origin=value.origin))


def apply_defaults(drafts: list[IngressDraft], ctx: Context, report: Report) -> None:
    """Every rule without proxy-read-timeout gets the controller's read timeout, explicitly."""
    read = setting_seconds(ctx, "proxy-read-timeout", DEFAULT_READ)
    if ctx.settings.get("proxy-read-timeout") is None and drafts:
        items = report.assumptions.setdefault(PROVIDER, [])
        note = (f"proxy-read-timeout={DEFAULT_READ} (every rule gets timeouts {{request: 0s, backendRequest: "
                f"{DEFAULT_READ}s}}; Envoy-based gateways would otherwise cut requests after 15s)")
        if note not in items:
            items.append(note)
    for d in drafts:
        for rule in d.rules:
            if not any(isinstance(i, (Timeouts, RequestRedirect)) for i in rule.intents):
                rule.add(Timeouts(request="0s", backend_request=duration(read)))
