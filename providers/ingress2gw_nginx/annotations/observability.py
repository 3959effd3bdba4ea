"""Logging, tracing and WAF: no effect on routing; some implementations have a policy for them.

https://kubernetes.github.io/ingress-nginx/user-guide/nginx-configuration/annotations/#enable-access-log
https://kubernetes.github.io/ingress-nginx/user-guide/nginx-configuration/annotations/#modsecurity

PolicyIntent families (one intent per rule):

``access-log``
    ``enabled`` (bool): ``false`` turned access logging off for the Ingress's locations (default on).
    Implementations configure logs per Gateway/listener (kgateway ListenerPolicy accessLog, Envoy Gateway
    EnvoyProxy telemetry, NGF NginxProxy logging).
``tracing``
    ``enabled`` (bool): per-location OpenTelemetry override of the ConfigMap ``enable-opentelemetry``
    (default off); ``trust_incoming_span`` (bool, default true).
``waf``
    ``engine`` (``modsecurity``), ``enabled`` (bool), ``owasp_core_rules`` (bool), ``transaction_id`` (NGINX
    variable, when set). A different WAF engine (NGF WAFPolicy, Coraza via ext_proc/Wasm) is a security
    re-design, never a translation.
"""

from __future__ import annotations

from ingress2gw.plugin import (
    AccessLogPolicy, AnnotationValue, Context, IngressDraft, Report, Status, TracingPolicy, WAFPolicy,
)

from ingress2gw_nginx.annotations._read import parse_bool, sibling
from ingress2gw_nginx.registry import REGISTRY


@REGISTRY.annotation(
    "enable-access-log", produces=('access-log',), area="observability", status=Status.POLICY,
    maps_to="policy access-log (Gateway-level in every implementation)",
    caveat="No effect on routing; access logging is configured per gateway, not per route.",
    remediation="Exclude these routes in the gateway's access-log configuration if the noise matters.",
    parse=parse_bool,
)
def enable_access_log(enabled: bool, value: AnnotationValue, draft: IngressDraft, ctx: Context, report: Report) -> None:
    if enabled:
        value.no_effect(report, "true is the default (access logging on); no effect on routing")
        return
    value.attach(draft, AccessLogPolicy, enabled=False)


@REGISTRY.annotation(
    "enable-opentelemetry", produces=('tracing',), area="observability", status=Status.POLICY,
    maps_to="policy tracing: kgateway TrafficPolicy.tracing; Envoy Gateway BackendTrafficPolicy.telemetry.tracing; "
            "NGF ObservabilityPolicy.tracing",
    caveat="No effect on routing; tracing needs the gateway's own collector configuration.",
    remediation="Configure tracing on the gateway (collector, sampling) and enable it for these routes.",
    parse=parse_bool,
)
def enable_opentelemetry(enabled: bool, value: AnnotationValue, draft: IngressDraft, ctx: Context,
                         report: Report) -> None:
    if enabled == bool(ctx.settings.get("enable-opentelemetry", False)):
        value.no_effect(report, f"{value.text.strip()} is what the ConfigMap already sets; no effect on routing")
        return
    trust = (sibling(value, "opentelemetry-trust-incoming-span") or "true").strip() not in ("false", "False", "0")
    value.attach(draft, TracingPolicy, enabled=enabled, trust_incoming_span=trust)


REGISTRY.declare(
    "opentelemetry-trust-incoming-span", area="observability", status=Status.IGNORED,
    reason="Whether an incoming trace context is the parent span: gateways propagate incoming context; "
           "no effect on routing.")
REGISTRY.declare(
    "opentelemetry-operation-name", area="observability", status=Status.IGNORED,
    reason="Span name of the location: implementations name spans themselves; no effect on routing.")


@REGISTRY.annotation(
    "enable-modsecurity", produces=('waf',), area="waf", status=Status.POLICY,
    maps_to="policy waf: NGF WAFPolicy (F5 WAF); Envoy Gateway / kgateway ext_proc or Wasm WAF (e.g. Coraza)",
    caveat="No Gateway API WAF: requests ModSecurity blocked now reach the backend.",
    remediation="Treat as a security re-design: deploy a WAF for the gateway and port the rules.",
    parse=parse_bool,
)
def enable_modsecurity(enabled: bool, value: AnnotationValue, draft: IngressDraft, ctx: Context,
                       report: Report) -> None:
    if not enabled:
        value.no_effect(report, "false: ModSecurity stays off for this Ingress")
        return
    crs = (sibling(value, "enable-owasp-core-rules") or "").strip() in ("true", "True", "1")
    fields: dict = {"engine": "modsecurity", "enabled": True, "owasp_core_rules": crs}
    tid = sibling(value, "modsecurity-transaction-id")
    if tid:
        fields["transaction_id"] = tid.strip()
    value.attach(draft, WAFPolicy, caveat="A different WAF engine and rule set: review what it blocks.", **fields)


def _waf_companion(value: AnnotationValue, draft: IngressDraft, ctx: Context, report: Report) -> None:
    if (sibling(value, "enable-modsecurity") or "").strip() not in ("true", "True", "1"):
        value.no_effect(report, f"{value.name} has no effect without enable-modsecurity: \"true\"")


REGISTRY.annotation(
    "enable-owasp-core-rules", produces=('waf',), area="waf", status=Status.POLICY,
    caveat="Read with enable-modsecurity into the waf policy: the OWASP Core Rule Set must be provided by the "
           "gateway's WAF.",
    remediation="Load an equivalent rule set (e.g. Coraza with CRS) in the gateway's WAF.")(_waf_companion)
REGISTRY.annotation(
    "modsecurity-transaction-id", area="waf", status=Status.UNSUPPORTED,
    caveat="Read with enable-modsecurity: the NGINX variable used as ModSecurity transaction id has no equivalent.",
    remediation="Correlate WAF logs with the gateway's request id instead.")(_waf_companion)
