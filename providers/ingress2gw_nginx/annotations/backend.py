"""How the controller talks to the backend: protocol, upstream TLS, upstream Host, buffering.

- ``backend-protocol`` (HTTP default, HTTPS, GRPC, GRPCS, AUTO_HTTP, FCGI): gRPC rules become GRPCRoute
  rules; HTTPS/GRPCS become a BackendTLSPolicy on the Service. The controller does *not* verify the
  upstream certificate unless ``proxy-ssl-verify: "on"``; BackendTLSPolicy always verifies.
  https://kubernetes.github.io/ingress-nginx/user-guide/nginx-configuration/annotations/#backend-protocol
- ``proxy-ssl-*`` only matter with an HTTPS/GRPCS backend; they sort after ``backend-protocol`` and
  adjust the BackendTLS intent it attached.
- ``upstream-vhost`` sets the Host header sent upstream: ``URLRewrite.hostname``.

PolicyIntent families defined here:

- ``backend-tls``: ``verify`` (bool; False = nginx's default, no certificate verification →
  kgateway BackendConfigPolicy.tls.insecureSkipVerify, Envoy Gateway Backend.tls.insecureSkipVerify),
  ``clientSecret`` (``namespace/name`` of a kubernetes.io/tls Secret the gateway presents to the
  backend, whose ``ca.crt`` also verifies the backend), ``ciphers`` (OpenSSL cipher string),
  ``protocols`` (tuple of TLS versions, e.g. ``("TLSv1.2", "TLSv1.3")``).
- ``proxy-buffering``: ``requestBuffering`` (bool), ``responseBuffering`` (bool), ``bufferSize``,
  ``buffersNumber`` (int), ``busyBuffersSize`` (NGINX sizes as written: ``8k``, ``1m``) — NGF
  ProxySettingsPolicy.buffering, Envoy Gateway/kgateway request buffer limits.
- ``error-pages``: ``codes`` (tuple of ints) — upstream responses replaced by the default backend's
  (Envoy Gateway BackendTrafficPolicy.responseOverride, Traefik errors middleware).
"""

from __future__ import annotations

import re

from ingress2gw.plugin import (
    AnnotationValue, BackendTLS, BackendTLSOptionsPolicy, Code, Context, ErrorPagesPolicy, IngressDraft,
    ProxyBufferingPolicy, Report, Status, URLRewrite,
)

from ingress2gw_nginx.values import sibling
from ingress2gw_nginx.registry import REGISTRY

PROVIDER = "ingress-nginx"
PROTOCOLS = ("HTTP", "HTTPS", "AUTO_HTTP", "GRPC", "GRPCS", "FCGI")
H2C = ("kubernetes.io/h2c", "h2c", "grpc", "http2")
NO_VERIFY = ("nginx did not verify the backend certificate (proxy-ssl-verify is off by default); "
             "BackendTLSPolicy always verifies it, so a self-signed or mismatched certificate now fails")
_HOST = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_SIZE = re.compile(r"^[0-9]+[kKmMgG]?$")


def _report(code: Code, value: AnnotationValue, report: Report, detail: str, *, at_value: bool = False,
            remedy: str = "") -> None:
    report.add(code, location=value.loc() if at_value else value.origin.location, obj=value.origin_ref,
               provider=PROVIDER, annotation=value.key, value=value.text, detail=detail, remedy=remedy)


def _on(text: str | None) -> bool:
    return (text or "").strip().lower() == "on"


@REGISTRY.annotation(
    "backend-protocol", produces=('BackendTLS',), area="backend", status=Status.TRANSLATED,
    maps_to="GRPCRoute (GRPC, GRPCS); BackendTLSPolicy (HTTPS, GRPCS)",
    remediation="Make sure the backend's certificate is valid for the hostname and trusted, or configure "
                "the gateway to skip verification with an implementation policy.",
)
def backend_protocol(value: AnnotationValue, draft: IngressDraft, ctx: Context, report: Report) -> None:
    proto = value.text.strip().upper()
    if proto not in PROTOCOLS:
        _report(Code.ANNOTATION_INVALID_VALUE, value, report, f"expected one of {', '.join(PROTOCOLS)}, got "
                f"{value.text!r}; the controller used HTTP", at_value=True)
        return
    if proto in ("AUTO_HTTP", "FCGI"):
        what = ("AUTO_HTTP reused the client's scheme towards the backend" if proto == "AUTO_HTTP"
                else "FastCGI backends")
        _report(Code.ANNOTATION_UNSUPPORTED, value, report, f"{what}: Gateway API has no equivalent; the rules "
                "were emitted with plain HTTP backends", remedy="Put an HTTP server in front of the application.")
        return
    if proto == "HTTP":
        _report(Code.ANNOTATION_TRANSLATED, value, report, "HTTP is the default backend protocol")
        return
    hints = []
    if proto in ("GRPC", "GRPCS"):
        for rule in draft.rules:
            rule.protocol = "grpc"
        if proto == "GRPC":
            for rule in draft.rules:
                for b in rule.backends:
                    if ctx.service(b.namespace, b.name) is not None and (b.app_protocol or "") not in H2C:
                        hints.append(f"Service {b.namespace}/{b.name} port {b.port} has no appProtocol: "
                                     "kubernetes.io/h2c, so a gateway may speak HTTP/1.1 to it")
    if proto in ("HTTPS", "GRPCS"):
        verify = _on(sibling(value, "proxy-ssl-verify"))
        name = (sibling(value, "proxy-ssl-name") or "").strip().lower()
        for rule in draft.rules:
            for b in rule.backends[:1]:
                host = name if _HOST.match(name) else f"{b.name}.{b.namespace}.svc"
                rule.add(BackendTLS(hostname=host, origin=value.origin, caveat="" if verify else NO_VERIFY))
    if hints:
        _report(Code.ANNOTATION_LOSSY, value, report, "the rules are gRPC rules (GRPCRoute); "
                + "; ".join(sorted(set(hints))), remedy="Set appProtocol: kubernetes.io/h2c on the Service port.")
    elif proto == "GRPC":
        _report(Code.ANNOTATION_TRANSLATED, value, report, "the rules are gRPC rules (GRPCRoute)")


def _needs_tls(value: AnnotationValue, ctx: Context, report: Report) -> bool:
    proto = (sibling(value, "backend-protocol") or "").strip().upper()
    if proto in ("HTTPS", "GRPCS"):
        return True
    _report(Code.ANNOTATION_IGNORED, value, report,
            f"{value.name} only applies to HTTPS/GRPCS backends (backend-protocol); it had no effect")
    return False


@REGISTRY.annotation(
    "proxy-ssl-verify", produces=('backend-tls',), area="backend", status=Status.TRANSLATED,
    maps_to="BackendTLSPolicy (always verifies); policy backend-tls.verify",
)
def proxy_ssl_verify(value: AnnotationValue, draft: IngressDraft, ctx: Context, report: Report) -> None:
    text = value.text.strip().lower()
    if text not in ("on", "off"):
        _report(Code.ANNOTATION_INVALID_VALUE, value, report, f"expected on or off, got {value.text!r}; the "
                "controller kept off", at_value=True)
        return
    if not _needs_tls(value, ctx, report):
        return
    if text == "on":
        _report(Code.ANNOTATION_TRANSLATED, value, report, "BackendTLSPolicy verifies the backend certificate")
        return
    for rule in draft.rules:
        rule.add(BackendTLSOptionsPolicy(verify=False, origin=value.origin))


@REGISTRY.annotation(
    "proxy-ssl-name", produces=('BackendTLS',), area="backend", status=Status.TRANSLATED,
    maps_to="BackendTLSPolicy.spec.validation.hostname (also the SNI)",
)
def proxy_ssl_name(value: AnnotationValue, draft: IngressDraft, ctx: Context, report: Report) -> None:
    if not _HOST.match(value.text.strip().lower()):
        _report(Code.ANNOTATION_INVALID_VALUE, value, report, f"{value.text!r} is not a DNS name", at_value=True)
        return
    if _needs_tls(value, ctx, report):
        _report(Code.ANNOTATION_TRANSLATED, value, report, "BackendTLSPolicy validation.hostname (also sent as SNI)")


@REGISTRY.annotation(
    "proxy-ssl-server-name", area="backend", status=Status.TRANSLATED,
    maps_to="BackendTLSPolicy.spec.validation.hostname (SNI is always sent)",
)
def proxy_ssl_server_name(value: AnnotationValue, draft: IngressDraft, ctx: Context, report: Report) -> None:
    if _needs_tls(value, ctx, report):
        code = Code.ANNOTATION_TRANSLATED if _on(value.text) else Code.ANNOTATION_LOSSY
        _report(code, value, report, "BackendTLSPolicy always sends its validation.hostname as SNI"
                + ("" if _on(value.text) else "; nginx sent no SNI with this setting"))


@REGISTRY.annotation(
    "proxy-ssl-secret", produces=('backend-tls',), area="backend", status=Status.POLICY, maps_to="policy backend-tls.clientSecret",
    caveat="Per-backend client certificates need an implementation policy (Gateway API has one per Gateway, "
           "spec.tls.backend.clientCertificateRef, >= 1.5).",
    remediation="Put ca.crt in a ConfigMap referenced by the BackendTLSPolicy, and the client certificate in "
                "your gateway's backend TLS policy.",
)
def proxy_ssl_secret(value: AnnotationValue, draft: IngressDraft, ctx: Context, report: Report) -> None:
    ns, _, name = value.text.strip().rpartition("/")
    if not name or not ns:
        _report(Code.ANNOTATION_INVALID_VALUE, value, report, "expected namespace/secretName", at_value=True)
        return
    if not _needs_tls(value, ctx, report):
        return
    for rule in draft.rules:
        rule.add(BackendTLSOptionsPolicy(clientSecret=f"{ns}/{name}", origin=value.origin))


def _tls_param(param: str):
    def handler(value: AnnotationValue, draft: IngressDraft, ctx: Context, report: Report) -> None:
        if not _needs_tls(value, ctx, report):
            return
        v = tuple(value.text.split()) if param == "protocols" else value.text.strip()
        for rule in draft.rules:
            rule.add(BackendTLSOptionsPolicy(**{param: v}, origin=value.origin))
    return handler


REGISTRY.annotation("proxy-ssl-ciphers", produces=('backend-tls',), area="backend", status=Status.POLICY, maps_to="policy backend-tls.ciphers",
                    caveat="Cipher choice towards backends has no Gateway API field.")(_tls_param("ciphers"))
REGISTRY.annotation("proxy-ssl-protocols", produces=('backend-tls',), area="backend", status=Status.POLICY,
                    maps_to="policy backend-tls.protocols",
                    caveat="TLS versions towards backends have no Gateway API field.")(_tls_param("protocols"))


@REGISTRY.annotation(
    "upstream-vhost", produces=('URLRewrite',), area="backend", status=Status.TRANSLATED, maps_to="HTTPRoute rules[].filters[].urlRewrite.hostname",
)
def upstream_vhost(value: AnnotationValue, draft: IngressDraft, ctx: Context, report: Report) -> None:
    host = value.text.strip().lower()
    if ":" in host or "$" in host or not _HOST.match(host):
        _report(Code.ANNOTATION_UNSUPPORTED if "$" in host or ":" in host else Code.ANNOTATION_INVALID_VALUE,
                value, report, f"{value.text!r}: URLRewrite.hostname takes a plain DNS name (no port, no NGINX "
                "variable)", at_value=True, remedy="Set the Host header with your gateway's policy.")
        return
    for rule in draft.rules:
        rule.add(URLRewrite(hostname=host, origin=value.origin))


@REGISTRY.annotation(
    "proxy-http-version", area="backend", status=Status.TRANSLATED, maps_to="Service.spec.ports[].appProtocol",
)
def proxy_http_version(value: AnnotationValue, draft: IngressDraft, ctx: Context, report: Report) -> None:
    if value.text.strip() not in ("1.0", "1.1"):
        _report(Code.ANNOTATION_INVALID_VALUE, value, report, "expected 1.0 or 1.1; the controller used 1.1",
                at_value=True)
    elif value.text.strip() == "1.1":
        _report(Code.ANNOTATION_TRANSLATED, value, report, "HTTP/1.1 is what gateways use towards backends "
                "unless the Service port's appProtocol says otherwise")
    else:
        _report(Code.ANNOTATION_UNSUPPORTED, value, report, "HTTP/1.0 towards the backend cannot be chosen in "
                "Gateway API; gateways use HTTP/1.1", remedy="Check that the backend accepts HTTP/1.1.")


def _buffer(param: str, kind: str):
    def handler(value: AnnotationValue, draft: IngressDraft, ctx: Context, report: Report) -> None:
        text = value.text.strip()
        if kind == "bool":
            if text.lower() not in ("on", "off"):
                _report(Code.ANNOTATION_INVALID_VALUE, value, report, "expected on or off", at_value=True)
                return
            v: object = text.lower() == "on"
        elif kind == "int":
            if not text.isdigit():
                _report(Code.ANNOTATION_INVALID_VALUE, value, report, "expected a whole number", at_value=True)
                return
            v = int(text)
        else:
            if not _SIZE.match(text):
                _report(Code.ANNOTATION_INVALID_VALUE, value, report, "expected an NGINX size such as 8k or 1m",
                        at_value=True)
                return
            v = text
        for rule in draft.rules:
            rule.add(ProxyBufferingPolicy(**{param: v}, origin=value.origin))
    return handler


for _key, _param, _kind, _why in (
    ("proxy-request-buffering", "requestBuffering", "bool",
     "nginx reads the whole request body before proxying by default; Envoy-based gateways stream it"),
    ("proxy-buffering", "responseBuffering", "bool", "Response buffering has no Gateway API field."),
    ("proxy-buffer-size", "bufferSize", "size", "The upstream response header buffer has no Gateway API field."),
    ("proxy-buffers-number", "buffersNumber", "int", "Response buffers have no Gateway API field."),
    ("proxy-busy-buffers-size", "busyBuffersSize", "size", "Response buffers have no Gateway API field."),
):
    REGISTRY.annotation(_key, area="buffers", status=Status.POLICY, maps_to=f"policy proxy-buffering.{_param}",
                        caveat=_why)(_buffer(_param, _kind))


@REGISTRY.annotation(
    "custom-http-errors", produces=('error-pages',), area="errors", status=Status.POLICY, maps_to="policy error-pages.codes",
    caveat="Replacing upstream error responses needs an implementation policy.",
    remediation="Configure error pages in your gateway (Envoy Gateway responseOverride, Traefik errors "
                "middleware); backends reading X-Code headers from the error service need a redesign.",
)
def custom_http_errors(value: AnnotationValue, draft: IngressDraft, ctx: Context, report: Report) -> None:
    parts = [p.strip() for p in value.text.split(",") if p.strip()]
    if not parts or not all(p.isdigit() and 100 <= int(p) <= 599 for p in parts):
        _report(Code.ANNOTATION_INVALID_VALUE, value, report, "expected a comma-separated list of status codes",
                at_value=True)
        return
    codes = tuple(sorted({int(p) for p in parts}))
    for rule in draft.rules:
        rule.add(ErrorPagesPolicy(codes=codes, origin=value.origin))


@REGISTRY.annotation(
    "default-backend", area="backend", status=Status.UNSUPPORTED,
    maps_to="(none: Gateway API has no fallback backend)",
    caveat="Not spec.defaultBackend: this Service answers when the Ingress's Service has no ready endpoint, "
           "and serves custom-http-errors.",
)
def default_backend(value: AnnotationValue, draft: IngressDraft, ctx: Context, report: Report) -> None:
    """The fallback Service when the Ingress's backends have no ready endpoints
    (https://kubernetes.github.io/ingress-nginx/user-guide/nginx-configuration/annotations/#default-backend)."""
    name = value.text.strip()
    svc = ctx.service(draft.origin.namespace, name) if name else None
    where = f"Service {draft.origin.namespace}/{name}" + ("" if svc is not None or not name else " (not in the input)")
    with_errors = bool((value.sibling("custom-http-errors") or "").strip())
    report.add(Code.ANNOTATION_UNSUPPORTED, location=value.origin.location, obj=value.origin_ref,
               provider="ingress-nginx", annotation=value.key, value=value.text,
               detail=f"{where} answered when the Ingress's Service had no ready endpoint"
                      + (" and rendered its custom-http-errors pages" if with_errors else "")
                      + "; Gateway API has no fallback backend, so those requests now get a 5xx from the gateway",
               remedy="Keep a maintenance page another way (e.g. Envoy Gateway responseOverride for 503, or an "
                      "always-ready Service), or accept the gateway's error responses.")

# What the keys read together with a main key produce (annotation × emitter matrix).
REGISTRY.set_produces(('proxy-buffer-size', 'proxy-buffering', 'proxy-buffers-number', 'proxy-busy-buffers-size', 'proxy-request-buffering'), *('proxy-buffering',))
