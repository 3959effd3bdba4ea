"""How the controller talks to the backend: protocol, upstream TLS, upstream Host, buffering.

- ``backend-protocol`` (HTTP default, HTTPS, GRPC, GRPCS, AUTO_HTTP, FCGI): gRPC rules become GRPCRoute
  rules; HTTPS/GRPCS attach a ``BackendTLS`` intent (a BackendTLSPolicy on the Service, or the
  implementation's TLS settings). The controller does *not* verify the upstream certificate unless
  ``proxy-ssl-verify: "on"`` *and* a ``proxy-ssl-secret`` it accepts (the controller reads every
  proxy-ssl-* key only together with that Secret, and verifies against its ca.crt): ``BackendTLS.verify``
  and ``BackendTLS.ca_secret`` say so, and each emitter decides (BackendTLSPolicy always verifies).
  https://kubernetes.github.io/ingress-nginx/user-guide/nginx-configuration/annotations/#backend-protocol
- ``proxy-ssl-*`` only matter with an HTTPS/GRPCS backend; they sort after ``backend-protocol``.
  ``proxy-ssl-verify`` is the ``verify`` field of the BackendTLS intent (its finding follows the emitter's
  answer for that intent).
- ``upstream-vhost`` sets the Host header sent upstream: ``URLRewrite.hostname``.

PolicyIntent families defined here:

- ``backend-tls``: ``clientSecret`` (``namespace/name`` of a kubernetes.io/tls Secret the gateway presents to the
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
    FROM_OUTCOME, AnnotationValue, BackendTLS, BackendTLSOptionsPolicy, Code, Context, ErrorPagesPolicy,
    IngressDraft, ProxyBufferingPolicy, Report, Status, URLRewrite,
)
from ingress2gw.plugin import parse_int

from ingress2gw_nginx.values import sibling
from ingress2gw_nginx.registry import REGISTRY, unsupported

PROVIDER = "ingress-nginx"
PROTOCOLS = ("HTTP", "HTTPS", "AUTO_HTTP", "GRPC", "GRPCS", "FCGI")
H2C = ("kubernetes.io/h2c", "h2c", "grpc", "http2")
_HOST = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_SIZE = re.compile(r"^[0-9]+[kKmMgG]?$")


def _on(text: str | None) -> bool:
    return (text or "").strip().lower() == "on"


def _ssl_secret(value: AnnotationValue, ctx: Context) -> str | None:
    """The proxy-ssl-secret the controller accepted (``namespace/name``), or None. The controller reads the
    proxy-ssl-* keys (verification among them) only together with this Secret, and refuses one in another
    namespace unless allow-cross-namespace-resources."""
    ns, _, name = (sibling(value, "proxy-ssl-secret") or "").strip().rpartition("/")
    if not ns or not name:
        return None
    if ns != value.origin.namespace and not ctx.settings.get("allow-cross-namespace-resources", False):
        return None
    return f"{ns}/{name}"


@REGISTRY.annotation(
    # HTTPS/GRPCS as the controller runs them by default (no verification): the catalog's status.
    "backend-protocol", produces=('BackendTLS.unverified',), area="backend", status=Status.LOSSY,
    maps_to="GRPCRoute (GRPC, GRPCS); BackendTLSPolicy (HTTPS, GRPCS)",
    caveat="HTTPS/GRPCS: the controller did not verify the backend certificate unless proxy-ssl-verify is on "
           "with a proxy-ssl-secret; BackendTLSPolicy always verifies it (some implementations can skip it).",
    remediation="Make sure the backend's certificate is valid for the hostname and trusted, or configure "
                "the gateway to skip verification with an implementation policy.",
)
def backend_protocol(value: AnnotationValue, draft: IngressDraft, ctx: Context, report: Report) -> None:
    proto = value.text.strip().upper()
    if proto not in PROTOCOLS:
        value.report(report, Code.ANNOTATION_INVALID_VALUE, f"expected one of {', '.join(PROTOCOLS)}, got "
                     f"{value.text!r}; the controller used HTTP", at_value=True)
        return
    if proto in ("AUTO_HTTP", "FCGI"):
        what = ("AUTO_HTTP reused the client's scheme towards the backend" if proto == "AUTO_HTTP"
                else "FastCGI backends")
        value.report(report, Code.ANNOTATION_UNSUPPORTED, f"{what}: Gateway API has no equivalent; the rules "
                     "were emitted with plain HTTP backends", remedy="Put an HTTP server in front of the application.")
        return
    if proto == "HTTP":
        value.report(report, Code.ANNOTATION_TRANSLATED, "HTTP is the default backend protocol")
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
        said = (sibling(value, "proxy-ssl-verify") or "").strip().lower()
        secret = _ssl_secret(value, ctx)
        verify = said == "on" and secret is not None
        # proxy-ssl-verify's finding is the answer for this field (unless it had no effect: see its handler).
        fields = value.field_origins({"proxy-ssl-verify": "verify"}) if said == "off" or verify else ()
        name = (sibling(value, "proxy-ssl-name") or "").strip().lower()
        for rule in draft.rules:
            for b in rule.backends[:1]:
                host = name if _HOST.match(name) else f"{b.name}.{b.namespace}.svc"
                rule.add(BackendTLS(hostname=host, verify=verify, ca_secret=secret if verify else None,
                                    origin=value.origin, field_origins=fields))
    if hints:
        value.report(report, Code.ANNOTATION_LOSSY, "the rules are gRPC rules (GRPCRoute); "
                     + "; ".join(sorted(set(hints))), remedy="Set appProtocol: kubernetes.io/h2c on the Service port.")
    elif proto == "GRPC":
        value.report(report, Code.ANNOTATION_TRANSLATED, "the rules are gRPC rules (GRPCRoute)")


def _needs_tls(value: AnnotationValue, ctx: Context, report: Report) -> bool:
    proto = (sibling(value, "backend-protocol") or "").strip().upper()
    if proto in ("HTTPS", "GRPCS"):
        return True
    value.report(report, Code.ANNOTATION_IGNORED,
                 f"{value.name} only applies to HTTPS/GRPCS backends (backend-protocol); it had no effect")
    return False


@REGISTRY.annotation(
    "proxy-ssl-verify", produces=('BackendTLS.unverified',), area="backend", status=Status.LOSSY,
    maps_to="BackendTLS.verify: BackendTLSPolicy (always verifies), or the implementation's skip-verify",
    caveat="off (the default) is not held by BackendTLSPolicy, which always verifies; on needs proxy-ssl-secret, "
           "whose ca.crt the controller verified against.",
)
def proxy_ssl_verify(value: AnnotationValue, draft: IngressDraft, ctx: Context, report: Report):
    text = value.text.strip().lower()
    if text not in ("on", "off"):
        value.report(report, Code.ANNOTATION_INVALID_VALUE, f"expected on or off, got {value.text!r}; the "
                     "controller kept off", at_value=True)
        return None
    if not _needs_tls(value, ctx, report):
        return None
    if text == "on" and _ssl_secret(value, ctx) is None:
        value.report(report, Code.ANNOTATION_IGNORED, "the controller applies proxy-ssl-verify only together "
                     "with a proxy-ssl-secret in the Ingress's namespace (it verifies against that Secret's ca.crt): "
                     "without one it did not verify the backend certificate, as backend-protocol's finding says",
                     remedy="Add proxy-ssl-secret if the backend must be verified.")
        return None
    return FROM_OUTCOME  # the emitter's answer for BackendTLS.verify (attached by backend-protocol)


@REGISTRY.annotation(
    "proxy-ssl-name", produces=('BackendTLS',), area="backend", status=Status.TRANSLATED,
    maps_to="BackendTLSPolicy.spec.validation.hostname (also the SNI)",
)
def proxy_ssl_name(value: AnnotationValue, draft: IngressDraft, ctx: Context, report: Report) -> None:
    if not _HOST.match(value.text.strip().lower()):
        value.report(report, Code.ANNOTATION_INVALID_VALUE, f"{value.text!r} is not a DNS name", at_value=True)
        return
    if _needs_tls(value, ctx, report):
        value.report(report, Code.ANNOTATION_TRANSLATED, "BackendTLSPolicy validation.hostname (also sent as SNI)")


@REGISTRY.annotation(
    "proxy-ssl-server-name", area="backend", status=Status.TRANSLATED,
    maps_to="BackendTLSPolicy.spec.validation.hostname (SNI is always sent)",
)
def proxy_ssl_server_name(value: AnnotationValue, draft: IngressDraft, ctx: Context, report: Report) -> None:
    if _needs_tls(value, ctx, report):
        code = Code.ANNOTATION_TRANSLATED if _on(value.text) else Code.ANNOTATION_LOSSY
        value.report(report, code, "BackendTLSPolicy always sends its validation.hostname as SNI"
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
        value.report(report, Code.ANNOTATION_INVALID_VALUE, "expected namespace/secretName", at_value=True)
        return
    if not _needs_tls(value, ctx, report):
        return
    value.attach(draft, BackendTLSOptionsPolicy, clientSecret=f"{ns}/{name}")


def _tls_param(param: str):
    def handler(value: AnnotationValue, draft: IngressDraft, ctx: Context, report: Report) -> None:
        if not _needs_tls(value, ctx, report):
            return
        v = tuple(value.text.split()) if param == "protocols" else value.text.strip()
        value.attach(draft, BackendTLSOptionsPolicy, **{param: v})
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
        value.report(report, Code.ANNOTATION_UNSUPPORTED if "$" in host or ":" in host else Code.ANNOTATION_INVALID_VALUE, f"{value.text!r}: URLRewrite.hostname takes a plain DNS name (no port, no NGINX "
                "variable)", at_value=True, remedy="Set the Host header with your gateway's policy.")
        return
    value.attach(draft, URLRewrite, hostname=host)


@REGISTRY.annotation(
    "proxy-http-version", area="backend", status=Status.TRANSLATED, maps_to="Service.spec.ports[].appProtocol",
)
def proxy_http_version(value: AnnotationValue, draft: IngressDraft, ctx: Context, report: Report) -> None:
    if value.text.strip() not in ("1.0", "1.1"):
        value.report(report, Code.ANNOTATION_INVALID_VALUE, "expected 1.0 or 1.1; the controller used 1.1",
                     at_value=True)
    elif value.text.strip() == "1.1":
        value.report(report, Code.ANNOTATION_TRANSLATED, "HTTP/1.1 is what gateways use towards backends "
                     "unless the Service port's appProtocol says otherwise")
    else:
        value.report(report, Code.ANNOTATION_UNSUPPORTED, "HTTP/1.0 towards the backend cannot be chosen in "
                     "Gateway API; gateways use HTTP/1.1", remedy="Check that the backend accepts HTTP/1.1.")


def _buffer(param: str, kind: str):
    def handler(value: AnnotationValue, draft: IngressDraft, ctx: Context, report: Report) -> None:
        text = value.text.strip()
        if kind == "bool":
            if text.lower() not in ("on", "off"):
                value.report(report, Code.ANNOTATION_INVALID_VALUE, "expected on or off", at_value=True)
                return
            v: object = text.lower() == "on"
        elif kind == "int":
            v = parse_int(text) if text.isdigit() else None
            if v is None:
                value.report(report, Code.ANNOTATION_INVALID_VALUE, "expected a whole number", at_value=True)
                return
        else:
            if not _SIZE.match(text):
                value.report(report, Code.ANNOTATION_INVALID_VALUE, "expected an NGINX size such as 8k or 1m",
                             at_value=True)
                return
            v = text
        value.attach(draft, ProxyBufferingPolicy, **{param: v})
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
    if not parts or not all(p.isdigit() and 100 <= (parse_int(p) or 0) <= 599 for p in parts):
        value.report(report, Code.ANNOTATION_INVALID_VALUE, "expected a comma-separated list of status codes",
                     at_value=True)
        return
    codes = tuple(sorted({int(p) for p in parts}))
    value.attach(draft, ErrorPagesPolicy, codes=codes)


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

unsupported("fastcgi-index", "fastcgi-params-configmap", "proxy-ssl-verify-depth", area="backend")
unsupported("disable-proxy-intercept-errors", area="errors")
