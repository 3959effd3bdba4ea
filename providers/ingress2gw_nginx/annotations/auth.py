"""Authentication: external auth (auth_request), basic/digest auth, client certificates, ``satisfy``.

https://kubernetes.github.io/ingress-nginx/user-guide/nginx-configuration/annotations/#external-authentication

``auth-url``: before proxying, NGINX sends an ``auth_request`` subrequest to the URL (exact path and query)
with **every** original request header (Cookie included), no body, and ``X-Original-URL``,
``X-Original-Method``, ``X-Auth-Request-Redirect``; 2xx → proxied (``auth-response-headers`` copied onto
the upstream request), 401/403 → returned (401 → 302 to ``auth-signin`` when set), anything else → 500.
The Gateway API ``ExternalAuth`` filter (experimental ≥ 1.4) differs: ``http.path`` is a *prefix* the
client path is appended to, only Host/Method/Path/Content-Length/Authorization (+ ``allowedHeaders``) are
forwarded, and with no ``allowedResponseHeaders`` every auth response header is copied. ``ExternalAuth``
is only produced when the URL names a Service of the Ingress's namespace (``http://svc.ns.svc.cluster.local
:port/path`` or ``svc.ns:port``).

``auth-type`` (basic|digest) + ``auth-secret`` (+ ``auth-secret-type``, ``auth-realm``): HTTP auth from an
htpasswd Secret; the Secret's data is never read, only its name. ``auth-tls-*``: client-certificate
verification, host-wide in NGINX (every Ingress on the host).

PolicyIntent families (one intent per rule):

``ext-auth``
    ``url`` (str, as written), ``service`` (``ns/name:port`` when a cluster Service, else absent), ``path``
    (str, URL path + query), ``method`` (auth-method; absent = the client's method), ``signin`` (URL the
    browser is sent to (302) when auth answers 401), ``signin_redirect_param`` (default ``rd``),
    ``response_headers`` (tuple: copied from the auth response to the upstream request; nginx copies none
    when empty), ``request_redirect`` (X-Auth-Request-Redirect value, default ``$request_uri``),
    ``proxy_set_headers`` (``ns/configmap`` of extra auth-request headers), ``cache_key`` /
    ``cache_duration`` (auth response caching), ``always_set_cookie`` (bool), ``keepalive`` (int
    connections), ``snippet`` (True when an auth-snippet was also set; never carried). Attached only when
    the ExternalAuth filter cannot be produced (external or cross-namespace or https URL) or a companion
    sets something ExternalAuth has no field for (method, signin, request_redirect, proxy_set_headers,
    cache, always_set_cookie); an implementation emitter that renders it should then mark the ExternalAuth
    intent of the same rule as used.
``basic-auth``
    ``type`` (``basic`` | ``digest``), ``secret`` (``ns/name``), ``secret_type`` (``auth-file``: htpasswd
    text in key ``auth``; ``auth-map``: one key per user), ``realm`` (str, when set). Envoy-based basic
    auth only accepts ``{SHA}`` htpasswd hashes; digest exists only in Traefik.
``client-cert``
    ``ca_secret`` (``ns/name``, key ``ca.crt``), ``hosts`` (tuple: the hosts NGINX verified, host-wide),
    ``verify`` (``on`` | ``off`` | ``optional`` | ``optional_no_ca``), ``depth`` (int, default 1),
    ``error_page`` (URL), ``pass_certificate`` (bool: ``ssl-client-cert`` header upstream), ``match_cn``
    (regex on the subject).
``global-auth-opt-out``
    ``disabled`` (True): this Ingress opted out of the ConfigMap ``global-auth-url``.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from ingress2gw.plugin import (
    FROM_OUTCOME, AnnotationValue, Deferred, Code, Context, ExternalAuth, IngressDraft, Report, ServiceBackend,
    Status,
)
from ingress2gw.plugin import parse_int
from ingress2gw.plugin import BasicAuthPolicy, ClientCertPolicy, ExtAuthPolicy, GlobalAuthOptOutPolicy

from ingress2gw_nginx.annotations._read import annotations_of, parse_bool, sibling
from ingress2gw_nginx.values import TRUE
from ingress2gw_nginx.registry import REGISTRY

_SVC_HOST = re.compile(r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?)\.([a-z0-9]([-a-z0-9]*[a-z0-9])?)(\.svc(\.cluster\.local)?)?$")
_EXT_CAVEAT = (
    "ExternalAuth appends the client path to http.path ({path} becomes {path}/<request path>) while nginx called "
    "the URL as written; it forwards only Host, Method, Path, Content-Length, Authorization and Cookie (added "
    "for cookie sessions) where nginx forwarded every request header plus X-Original-URL / X-Original-Method; "
    "{response}")


def service_of(url: str) -> tuple[str, str, int] | None:
    """(namespace, name, port) when ``url`` names a cluster Service (``svc.ns[.svc[.cluster.local]]``)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    m = _SVC_HOST.match(host)
    if not m:
        return None
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return None
    return m.group(3), m.group(1), port


def _csv(text: str | None) -> tuple[str, ...]:
    return tuple(h.strip() for h in (text or "").split(",") if h.strip())


@REGISTRY.annotation(
    "auth-url", produces=('ExternalAuth', 'ext-auth'), area="extauth", status=Status.POLICY,
    maps_to="HTTPRoute filter ExternalAuth (experimental >= 1.4) for a cluster Service; policy ext-auth",
    caveat="Every request is first checked by an external auth service.",
    remediation="Check the auth service receives the headers and path it needs (ExternalAuth forwards few headers "
                "and appends the request path), or use the implementation's ext-auth policy.",
)
def auth_url(value: AnnotationValue, draft: IngressDraft, ctx: Context, report: Report) -> None:
    url = value.text.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        value.invalid(report, f"{url!r} is not an absolute http(s) URL; the controller denied the Ingress's "
                              "locations (503)")
        return
    anns = annotations_of(value, ctx)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    svc = service_of(url) if "$" not in url else None
    fields: dict = {"url": url, "path": path}
    if svc:
        fields["service"] = f"{svc[0]}/{svc[1]}:{svc[2]}"
    for key, param in (("auth-method", "method"), ("auth-signin", "signin"),
                       ("auth-signin-redirect-param", "signin_redirect_param"),
                       ("auth-request-redirect", "request_redirect"), ("auth-proxy-set-headers", "proxy_set_headers"),
                       ("auth-cache-key", "cache_key")):
        if anns.get(key, "").strip():
            fields[param] = anns[key].strip()
    response_headers = _csv(anns.get("auth-response-headers"))
    if response_headers:
        fields["response_headers"] = response_headers
    if anns.get("auth-cache-duration", "").strip():
        fields["cache_duration"] = tuple(d.strip() for d in anns["auth-cache-duration"].split(",") if d.strip())
    if anns.get("auth-always-set-cookie", "").strip() in TRUE:
        fields["always_set_cookie"] = True
    keepalive = parse_int(anns["auth-keepalive"]) if anns.get("auth-keepalive", "").strip().isdigit() else None
    if keepalive is not None and keepalive > 0:
        fields["keepalive"] = keepalive
    if "auth-snippet" in anns:
        fields["snippet"] = True
    filter_ok = bool(svc) and svc[0] == value.origin.namespace and parts.scheme == "http"
    beyond = {"method", "signin", "signin_redirect_param", "request_redirect", "proxy_set_headers", "cache_key",
              "cache_duration", "always_set_cookie"} & set(fields)
    companions = value.field_origins(_EXT_FIELDS)
    if not filter_ok or beyond:
        # The policy carries what the ExternalAuth filter cannot (core lacks a cross-namespace backendRef
        # and TLS to the auth Service for ExternalAuth).
        value.attach(draft, ExtAuthPolicy, field_origins=companions, **fields)
    if not filter_ok:
        return
    backend = ServiceBackend(namespace=svc[0], name=svc[1], port=svc[2])
    response = ("auth-response-headers are copied as listed." if response_headers else
                "with no auth-response-headers nginx copied no auth response header, ExternalAuth copies them all.")
    caveat = _EXT_CAVEAT.format(path=parts.path.rstrip("/") or "", response=response)
    if "auth-signin" in anns:
        caveat += " auth-signin (302 to the login page on 401) has no ExternalAuth field: users get a bare 401."
    ea = ExternalAuth(backend=backend, path=parts.path or None, allowed_headers=("Cookie",),
                      allowed_response_headers=response_headers, origin=value.origin, caveat=caveat,
                      field_origins=value.field_origins({"auth-response-headers": "allowed_response_headers"}))
    for rule in draft.rules:
        rule.add(ea)


_MAIN_OK = {
    "auth-url": lambda t: urlsplit(t.strip()).scheme in ("http", "https") and bool(urlsplit(t.strip()).hostname),
    "auth-type": lambda t: t.strip() in ("basic", "digest"),
    "auth-tls-secret": lambda t: "/" in t,
}


def _needs(main: str, value: AnnotationValue, ctx: Context, report: Report) -> bool:
    text = sibling(value, main)
    if text is None:
        value.no_effect(report, f"{value.name} has no effect without {main}")
        return False
    if not _MAIN_OK.get(main, lambda t: True)(text):
        value.no_effect(report, f"{value.name} has no effect: {main} is invalid (see its finding)")
        return False
    return True


#: Companion keys and the field of the main key's intent they set: their findings follow the emitter's
#: answer for that field.
_EXT_FIELDS = {"auth-response-headers": "response_headers", "auth-signin": "signin",
               "auth-signin-redirect-param": "signin_redirect_param", "auth-method": "method",
               "auth-request-redirect": "request_redirect", "auth-proxy-set-headers": "proxy_set_headers",
               "auth-cache-key": "cache_key", "auth-cache-duration": "cache_duration",
               "auth-always-set-cookie": "always_set_cookie"}
_BASIC_FIELDS = {"auth-secret": "secret", "auth-secret-type": "secret_type", "auth-realm": "realm"}
_TLS_FIELDS = {"auth-tls-verify-client": "verify", "auth-tls-verify-depth": "depth",
               "auth-tls-error-page": "error_page", "auth-tls-pass-certificate-to-upstream": "pass_certificate",
               "auth-tls-match-cn": "match_cn"}
_FIELDS = {"auth-url": _EXT_FIELDS, "auth-type": _BASIC_FIELDS, "auth-tls-secret": _TLS_FIELDS}


def _companion(name: str, main: str, area: str, status: Status, caveat: str, remediation: str = "",
               maps_to: str = "") -> None:
    def handler(value: AnnotationValue, draft: IngressDraft, ctx: Context, report: Report):
        if _needs(main, value, ctx, report) and name in _FIELDS.get(main, {}):
            return FROM_OUTCOME
        return None

    REGISTRY.annotation(name, area=area, status=status, caveat=caveat, remediation=remediation,
                        maps_to=maps_to)(handler)


_EXT = "Read with auth-url into the ext-auth policy; "
_companion("auth-response-headers", "auth-url", "extauth", Status.LOSSY,
           _EXT + "ExternalAuth.http.allowedResponseHeaders carries it where the ExternalAuth filter is emitted "
                  "(see auth-url's finding).", maps_to="ExternalAuth.http.allowedResponseHeaders")
_companion("auth-signin", "auth-url", "extauth", Status.POLICY,
           _EXT + "Gateway API has no sign-in redirect: unauthenticated browsers get 401 instead of the login page.",
           "Use the implementation's OIDC support (Envoy Gateway SecurityPolicy.oidc, kgateway oauth2) or Traefik "
           "forwardAuth.authSigninURL.")
_companion("auth-signin-redirect-param", "auth-url", "extauth", Status.UNSUPPORTED,
           _EXT + "the query parameter carrying the original URL to auth-signin has no equivalent.")
_companion("auth-method", "auth-url", "extauth", Status.UNSUPPORTED,
           _EXT + "ExternalAuth keeps the client's method for the auth request.")
_companion("auth-request-redirect", "auth-url", "extauth", Status.UNSUPPORTED,
           _EXT + "no equivalent for the X-Auth-Request-Redirect header.")
_companion("auth-proxy-set-headers", "auth-url", "extauth", Status.POLICY,
           _EXT + "extra auth request headers from a ConfigMap need an implementation policy (kgateway "
                  "GatewayExtension headersToAdd).")
_companion("auth-cache-key", "auth-url", "extauth", Status.UNSUPPORTED,
           _EXT + "auth responses are no longer cached: every request reaches the auth service.")
_companion("auth-cache-duration", "auth-url", "extauth", Status.UNSUPPORTED,
           _EXT + "auth responses are no longer cached.")
_companion("auth-always-set-cookie", "auth-url", "extauth", Status.UNSUPPORTED,
           _EXT + "Set-Cookie of the auth response is not passed to the client on upstream errors.")
for _k in ("auth-keepalive", "auth-keepalive-requests", "auth-keepalive-timeout", "auth-keepalive-share-vars"):
    _companion(_k, "auth-url", "extauth", Status.IGNORED,
               "Connection reuse to the auth service: gateways pool connections themselves.")


@REGISTRY.annotation(
    "auth-type", produces=('basic-auth',), area="basicauth", status=Status.POLICY,
    maps_to="policy basic-auth: Envoy Gateway SecurityPolicy.basicAuth; kgateway TrafficPolicy.basicAuth; NGF "
            "AuthenticationFilter (Basic); Traefik basicAuth/digestAuth",
    caveat="Gateway API has no HTTP basic/digest authentication.",
    remediation="Attach the implementation's basic-auth policy; re-hash passwords as {SHA} for Envoy-based "
                "gateways (apr1/bcrypt htpasswd lines stop matching) and re-key the Secret as it requires.",
)
def auth_type(value: AnnotationValue, draft: IngressDraft, ctx: Context, report: Report) -> None:
    kind = value.text.strip()
    if kind not in ("basic", "digest"):
        value.invalid(report, f"expected basic or digest, got {value.text!r}; the controller denied the "
                              "Ingress's locations (503)")
        return
    anns = annotations_of(value, ctx)
    secret = anns.get("auth-secret", "").strip()
    if not secret:
        value.invalid(report, "auth-type needs auth-secret; the controller denied the Ingress's locations (503)")
        return
    ns, _, name = secret.rpartition("/")
    ns = ns or value.origin.namespace
    caveat = ""
    if ns != value.origin.namespace and not ctx.settings.get("allow-cross-namespace-resources", False):
        caveat = (f"auth-secret {secret} is in another namespace: the controller refuses cross-namespace Secrets "
                  "(allow-cross-namespace-resources false, the default since v1.12) and denied the locations.")
    if kind == "digest":
        caveat = (caveat + " " if caveat else "") + "Digest authentication exists only in Traefik (digestAuth)."
    fields: dict = {"type": kind, "secret": f"{ns}/{name}",
                    "secret_type": anns.get("auth-secret-type", "").strip() or "auth-file"}
    if anns.get("auth-realm", "").strip():
        fields["realm"] = anns["auth-realm"].strip()
    value.attach(draft, BasicAuthPolicy, caveat=caveat, field_origins=value.field_origins(_BASIC_FIELDS), **fields)


_companion("auth-secret", "auth-type", "basicauth", Status.POLICY,
           "Read with auth-type into the basic-auth policy (Secret name only; its data is never read).",
           "Re-key the Secret as the implementation requires (Envoy Gateway: key .htpasswd).")
_companion("auth-secret-type", "auth-type", "basicauth", Status.POLICY,
           "Read with auth-type: auth-file (htpasswd in key auth) or auth-map (one key per user).",
           "Rebuild the Secret in the format the implementation reads.")
_companion("auth-realm", "auth-type", "basicauth", Status.POLICY,
           "Read with auth-type: the realm of the WWW-Authenticate challenge (NGF and Traefik have it; "
           "Envoy-based gateways use a fixed realm).")


@REGISTRY.annotation(
    "auth-tls-secret", produces=('client-cert',), area="mtls", status=Status.POLICY,
    maps_to="Gateway.spec.tls.frontend (std >= 1.5, per Gateway/port); policy client-cert (Envoy Gateway "
            "ClientTrafficPolicy.tls.clientValidation per listener)",
    caveat="Client certificates were required for the whole host.",
    remediation="Put the mTLS hosts on their own Gateway or port with frontend validation, or attach a per-listener "
                "client validation policy.",
)
def auth_tls_secret(value: AnnotationValue, draft: IngressDraft, ctx: Context, report: Report) -> None:
    secret = value.text.strip()
    if not re.fullmatch(r"[a-z0-9][-a-z0-9.]*/[a-z0-9][-a-z0-9.]*", secret):
        value.invalid(report, f"expected namespace/secretName, got {value.text!r}; the controller ignored it")
        return
    anns = annotations_of(value, ctx)
    verify = anns.get("auth-tls-verify-client", "").strip() or "on"
    hosts = tuple(sorted(h for h in draft.hosts if h))
    fields: dict = {"ca_secret": secret, "hosts": hosts, "verify": verify}
    depth = anns.get("auth-tls-verify-depth", "").strip()
    depth_n = parse_int(depth) if depth.isdigit() else None
    fields["depth"] = 1 if depth_n is None else depth_n
    for key, param in (("auth-tls-error-page", "error_page"), ("auth-tls-match-cn", "match_cn")):
        if anns.get(key, "").strip():
            fields[param] = anns[key].strip()
    if anns.get("auth-tls-pass-certificate-to-upstream", "").strip() in ("true", "True", "1"):
        fields["pass_certificate"] = True
    value.attach(draft, ClientCertPolicy, field_origins=value.field_origins(_TLS_FIELDS), **fields)
    lost = []
    if verify == "optional_no_ca":
        lost.append("verify-client optional_no_ca has no equivalent")
    if "match_cn" in fields:
        lost.append("auth-tls-match-cn is lost: any certificate from the CA is accepted")
    detail = (f"nginx verified client certificates against {secret} for every path of the host(s) "
              f"{', '.join(hosts) or '(none)'}, including paths of other Ingresses on them. Gateway API (>= 1.5, "
              "Gateway.spec.tls.frontend) validates per Gateway or per port, never per hostname, and ingress2gw does "
              "not emit it: hosts sharing the HTTPS port with these would be affected too. Needs a policy "
              "(client-cert)" + ("; " + "; ".join(lost) if lost else ""))
    # The finding explains the refusal better than "needs a policy": it stands unless the emitter holds it.
    standing = Report().add(
        Code.ANNOTATION_POLICY, location=value.origin.location, obj=value.origin_ref, provider="ingress-nginx",
        annotation=value.key, value=value.text, detail=detail,
        remedy="Serve these hosts from a dedicated Gateway (or port) with frontend client validation, or use "
               "Envoy Gateway ClientTrafficPolicy.tls.clientValidation on their listener; backends reading "
               "ssl-client-* headers must switch to the implementation's (XFCC) headers.")
    return Deferred(standing=standing, yields="held")


_companion("auth-tls-verify-client", "auth-tls-secret", "mtls", Status.POLICY,
           "Read with auth-tls-secret: on = AllowValidOnly, optional ≈ AllowInsecureFallback; optional_no_ca has no "
           "equivalent.")
_companion("auth-tls-verify-depth", "auth-tls-secret", "mtls", Status.UNSUPPORTED,
           "Read with auth-tls-secret: no chain depth limit in Gateway API or Envoy.")
_companion("auth-tls-error-page", "auth-tls-secret", "mtls", Status.UNSUPPORTED,
           "Read with auth-tls-secret: verification failures end the TLS handshake; no error page redirect.")
_companion("auth-tls-pass-certificate-to-upstream", "auth-tls-secret", "mtls", Status.POLICY,
           "Read with auth-tls-secret: the ssl-client-cert header becomes the implementation's XFCC header.",
           "Update backends that read ssl-client-cert / ssl-client-verify headers.")
_companion("auth-tls-match-cn", "auth-tls-secret", "mtls", Status.UNSUPPORTED,
           "Read with auth-tls-secret: the subject CN check is lost; any certificate from the CA is accepted.",
           "Re-express the CN allow-list as a SAN check or an authorization rule.")


@REGISTRY.annotation(
    "satisfy", area="basicauth", status=Status.UNSUPPORTED,
    caveat="With several access checks, 'any' let a request in when one passed; gateways require all of them.",
    remediation="Re-express 'office IPs skip the password' with authorization rules that encode the OR "
                "(Envoy Gateway SecurityPolicy.authorization), or accept that every check applies.",
)
def satisfy(value: AnnotationValue, draft: IngressDraft, ctx: Context, report: Report) -> None:
    mode = value.text.strip()
    if mode not in ("all", "any"):
        value.invalid(report, f"expected all or any, got {value.text!r}; the controller used all")
        return
    anns = annotations_of(value, ctx)
    checks = [k for k in ("allowlist-source-range", "whitelist-source-range", "denylist-source-range",
                          "auth-type", "auth-url") if k in anns]
    if mode == "all" or len(checks) < 2:
        value.no_effect(report, f"satisfy {mode}: " + ("the default" if mode == "all" else
                                                       "fewer than two access checks, so it changed nothing"))
        return
    report.add(Code.ANNOTATION_UNSUPPORTED, location=value.origin.location, obj=value.origin_ref,
               provider="ingress-nginx", annotation=value.key, value=value.text,
               detail=f"satisfy any let a request in when ONE of {', '.join(checks)} passed; gateways apply every "
                      "attached check, so these requests now need all of them")


@REGISTRY.annotation(
    "enable-global-auth", produces=('global-auth-opt-out',), area="extauth", status=Status.POLICY,
    maps_to="policy global-auth-opt-out (route-level ext-auth disable over a Gateway-level ext-auth policy)",
    caveat="Opts this Ingress out of the ConfigMap global-auth-url.",
    parse=parse_bool,
)
def enable_global_auth(enabled: bool, value: AnnotationValue, draft: IngressDraft, ctx: Context,
                       report: Report) -> None:
    if not ctx.settings.get("global-auth-url"):
        value.no_effect(report, "no global-auth-url is configured (ConfigMap), so this changes nothing")
        return
    if enabled:
        value.no_effect(report, "true is the default: the global auth applies")
        return
    value.attach(draft, GlobalAuthOptOutPolicy, disabled=True)

# What the keys read together with a main key produce (annotation × emitter matrix).
REGISTRY.set_produces(('auth-response-headers',), *('ExternalAuth', 'ext-auth'))
REGISTRY.set_produces(('auth-signin', 'auth-proxy-set-headers'), *('ext-auth',))
REGISTRY.set_produces(('auth-secret', 'auth-realm', 'auth-secret-type'), *('basic-auth',))
REGISTRY.set_produces(('auth-tls-verify-client', 'auth-tls-pass-certificate-to-upstream'), *('client-cert',))
