"""Keys removed from ingress-nginx: current controllers ignore them, and so does the conversion (each is reported,
with the key that replaced it where there is one)."""

from __future__ import annotations

from ingress2gw.plugin import Status

from ingress2gw_nginx.registry import BY_HAND, PREFIX, REGISTRY


def _removed(*names: str, replaced_by: str = "", maps_to: str = "") -> None:
    for name in names:
        REGISTRY.declare(name, area="legacy", status=Status.IGNORED, kind="legacy-annotation", lifecycle="removed",
                         reason=f"{name}: Removed from ingress-nginx; current controllers ignore it.",
                         remediation=f"Replaced by {PREFIX}{replaced_by}." if replaced_by else BY_HAND,
                         maps_to=maps_to)


_removed("add-base-url", "base-url-scheme", "session-cookie-hash", "vts-filter-key")
_removed("enable-influxdb", "influxdb-host", "influxdb-measurement", "influxdb-port", "influxdb-server-name")
_removed("global-rate-limit", "global-rate-limit-ignored-cidrs", "global-rate-limit-key", "global-rate-limit-window")
_removed("lua-resty-waf", "lua-resty-waf-allow-unknown-content-types", "lua-resty-waf-debug", "lua-resty-waf-extra-rules",
         "lua-resty-waf-ignore-rulesets", "lua-resty-waf-process-multipart-body", "lua-resty-waf-score-threshold")
_removed("upstream-fail-timeout", "upstream-max-fails")
_removed("enable-opentracing", replaced_by="enable-opentelemetry")
_removed("opentelemetry-trust-incoming-spans", "opentracing-trust-incoming-span",
         replaced_by="opentelemetry-trust-incoming-span")
_removed("grpc-backend", replaced_by="backend-protocol", maps_to="GRPCRoute")
_removed("mirror-uri", replaced_by="mirror-target", maps_to="HTTPRoute.spec.rules[].filters[].requestMirror")
_removed("secure-backends", replaced_by="backend-protocol", maps_to="BackendTLSPolicy")
_removed("secure-verify-ca-secret", replaced_by="proxy-ssl-secret",
         maps_to="BackendTLSPolicy.spec.validation.caCertificateRefs")
