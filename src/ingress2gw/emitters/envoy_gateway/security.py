"""Envoy Gateway v1.9 renderings of the access families: SecurityPolicy and ClientTrafficPolicy.

SecurityPolicy attaches to routes (CORS, basic and external auth, IP authorization);
ClientTrafficPolicy only to Gateways and listeners (client IP detection, client certificates), so it is
used only for what the source set controller-wide or per host.
https://gateway.envoyproxy.io/docs/api/extension_types/#securitypolicyspec
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from ingress2gw.emitters.envoy_gateway.values import cidr, eg_duration
from ingress2gw.emitters.naming import section_name
from ingress2gw.model.ir import CORS, ExternalAuth, RuleDraft
from ingress2gw.model.outcome import Dimension
from ingress2gw.model.policies import BasicAuthPolicy, ClientCertPolicy, ExtAuthPolicy, IPListPolicy, RateLimitPolicy

SP = "SecurityPolicy"
CTP = "ClientTrafficPolicy"
EG_GROUP = "gateway.envoyproxy.io"
#: SecurityPolicy.spec.cors.allowOrigins[] pattern of the v1.9 CRD.
_ORIGIN = re.compile(r"^(\*|[A-Za-z][A-Za-z0-9+.-]*://(\*|(\*\.)?(([\w-]+\.?)+)?[\w-]+)(:\d{1,5})?)$")
_VERIFY_MODES = {"on": "RequireAndVerify", "optional": "VerifyIfGiven", "optional_no_ca": "Request"}


def _split(ref: str) -> tuple[str, str]:
    ns, _, name = str(ref).rpartition("/")
    return ns, name


def _ref(ns: str, name: str, here: str) -> dict:
    return {"name": name} if ns in ("", here) else {"name": name, "namespace": ns}


# -- client IP ------------------------------------------------------------------------------------------
def client_ip(em, intent: IPListPolicy | RateLimitPolicy, rule: RuleDraft):
    """Gateway pieces for where the client address comes from, or the reason it cannot be said exactly."""
    source = intent.client_ip
    depth, excluded = (intent.xff_depth, intent.excluded_ips) if isinstance(intent, IPListPolicy) else (None, ())
    if source == "tcp-peer" or depth == 0:
        return []
    if depth is not None or excluded:
        return ("the client IP comes from X-Forwarded-For with a depth set for this route only; Envoy Gateway "
                "reads X-Forwarded-For per Gateway (ClientTrafficPolicy.spec.clientIPDetection), which would "
                "change the client IP of every route")
    if source == "proxy-protocol":
        em.caveat(intent, "the controller-wide use-proxy-protocol became a ClientTrafficPolicy on the Gateway "
                          "(proxyProtocol): connections without a PROXY header are refused")
        return [em.piece(CTP, "gateway", {"proxyProtocol": {}})]
    if source == "x-forwarded-for":
        em.caveat(intent, "the controller-wide use-forwarded-headers became a ClientTrafficPolicy on the Gateway "
                          "that trusts X-Forwarded-For from any peer (clientIPDetection.xForwardedFor.trustedCIDRs "
                          "0.0.0.0/0, as ingress-nginx's default proxy-real-ip-cidr): clients can forge their "
                          "address; narrow trustedCIDRs to your load balancers")
        return [em.piece(CTP, "gateway", {"clientIPDetection": {"xForwardedFor": {"trustedCIDRs": ["0.0.0.0/0"]}}})]
    return f"client IP source {source!r} has no Envoy Gateway setting"


def ip_access(em, intent: IPListPolicy, rule: RuleDraft):
    """ip-allow and ip-deny of a rule together: nginx checks deny entries first, then allow + deny all."""
    deny, allow = [], []
    for it in rule.intents:
        if not isinstance(it, IPListPolicy):
            continue
        cidrs = [c for c in (cidr(x) for x in it.cidrs or ()) if c]
        (allow if it.family == "ip-allow" else deny).extend(c for c in cidrs if c not in allow + deny)
    mine = [c for c in (cidr(x) for x in intent.cidrs or ()) if c]
    if not mine:
        return "no valid CIDR to authorize"
    ip = client_ip(em, intent, rule)
    if isinstance(ip, str):
        return ip
    rules = []
    if deny:
        rules.append({"name": "deny-source-ranges", "action": "Deny", "principal": {"clientCIDRs": deny}})
    if allow:
        rules.append({"name": "allow-source-ranges", "action": "Allow", "principal": {"clientCIDRs": allow}})
    if intent.status != 403:
        em.caveat(intent, f"denied requests get 403, not {intent.status}")
    return [em.piece(SP, "route", {"authorization": {"defaultAction": "Deny" if allow else "Allow",
                                                      "rules": rules}})] + ip


# -- authentication --------------------------------------------------------------------------------------
_SECRET_FORMAT = {
    "auth-file": "the htpasswd file in key 'auth'",
    "auth-map": "one key per user",
    "users": "the users list (key 'users' or a kubernetes.io/basic-auth Secret)",
}


def basic_auth(em, intent: BasicAuthPolicy, rule: RuleDraft):
    if intent.type != "basic":
        return "Envoy Gateway has only HTTP Basic authentication (SecurityPolicy.basicAuth), no Digest"
    ns, name = _split(intent.secret or "")
    if not name:
        return "basic auth without a Secret"
    ns = ns or rule.origin.namespace
    spec: dict = {"users": _ref(ns, name, rule.origin.namespace)}
    if intent.header_field:
        spec["forwardUsernameHeader"] = str(intent.header_field)
    fmt = _SECRET_FORMAT.get(str(intent.secret_type), "its current format")
    em.caveat(intent, f"Envoy Gateway reads key '.htpasswd' of Secret {ns}/{name} and accepts only {{SHA}} hashes: "
                      f"rewrite the Secret from {fmt} to '.htpasswd' with passwords hashed by 'htpasswd -s' (apr1, "
                      "bcrypt and crypt hashes never match)", Dimension.ACCESS)
    if intent.realm:
        em.caveat(intent, f"realm {intent.realm!r} is not sent (Envoy's challenge has a fixed realm)", Dimension.ACCESS)
    if intent.remove_header:
        em.caveat(intent, "the Authorization header is still forwarded to the backend", Dimension.REQUEST_HEADERS)
    return [em.piece(SP, "route", {"basicAuth": spec})]


def _auth_backend(em, url: str, service: str | None, verify: bool, rule: RuleDraft) -> dict | str:
    """backendRefs entry for the auth service: the Service, or a Backend for https and external hosts."""
    parts = urlsplit(url)
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return f"auth URL {url!r} has an invalid port"
    if service and parts.scheme == "http":
        ns, _, rest = service.partition("/")
        name, _, svc_port = rest.partition(":")
        ref = _ref(ns, name, rule.origin.namespace)
        ref["port"] = int(svc_port) if svc_port.isdigit() else port
        return ref
    if not parts.hostname:
        return f"auth URL {url!r} has no host"
    host = parts.hostname.lower()
    if service:
        ns, _, rest = service.partition("/")
        host = f"{rest.partition(':')[0]}.{ns}.svc.cluster.local"
    kind = "ip" if cidr(host) else "fqdn"
    backend: dict = {"endpoints": [{kind: {"address" if kind == "ip" else "hostname": host, "port": port}}]}
    if parts.scheme == "https":
        # nginx does not verify the auth service's certificate (proxy_ssl_verify is off for auth_request);
        # Traefik's forwardAuth does, against the system CAs.
        backend["tls"] = {"wellKnownCACertificates": "System"} if verify else {"insecureSkipVerify": True}
        if kind == "fqdn":
            backend["tls"]["sni"] = parts.hostname.lower()
    name = em.backend_object(rule, host, port, backend)
    return {"group": EG_GROUP, "kind": "Backend", "name": name, "port": port}


def ext_auth(em, intent: ExtAuthPolicy, rule: RuleDraft):
    url = str(intent.url or "")
    if "$" in url:
        return f"auth URL {url!r} uses NGINX variables, which Envoy Gateway cannot evaluate"
    if urlsplit(url).scheme not in ("http", "https"):
        return f"auth URL {url!r} is not an absolute http(s) URL"
    if em.rendered_natively(rule, ExternalAuth):
        # The filter holds the check; what only the policy would have added is answered field by field.
        for fld in ("signin", "signin_redirect_param", "method", "request_redirect", "proxy_set_headers",
                    "cache_key", "cache_duration", "always_set_cookie"):
            if getattr(intent, fld):
                em.refuse_field(intent, fld, "the HTTPRoute ExternalAuth filter (experimental channel) checks this "
                                             "rule and has no field for it (a SecurityPolicy.extAuth as well would "
                                             "call the auth service twice)")
        return []
    # nginx's auth_request never verified the auth service's certificate; Traefik's forwardAuth does unless
    # tls.insecureSkipVerify (the provider says which in ``verify``).
    verify = intent.verify
    ref = _auth_backend(em, url, intent.service or None, verify, rule)
    if isinstance(ref, str):
        return ref
    http: dict = {"backendRefs": [ref]}
    parts = urlsplit(url)
    path = intent.path or ((parts.path or "/") + (f"?{parts.query}" if parts.query else ""))
    http["pathOverride"] = path
    if intent.response_headers:
        http["headersToBackend"] = list(intent.response_headers)
    headers = ["cookie"] + [h for h in intent.request_headers or () if h.lower() != "cookie"]
    notes = [f"the auth service is called at {path} as written (pathOverride) with Host, Method, Path, "
             f"Content-Length, Authorization and {', '.join(headers)}; the source forwarded every request header "
             "(and X-Original-URL / X-Original-Method or X-Forwarded-Uri)"]
    if ref.get("kind") == "Backend":
        tls = ("" if parts.scheme != "https" else " over TLS, verifying its certificate against the system CAs"
               if verify else " over TLS without verifying its certificate, as the source did")
        notes.append("an Envoy Gateway Backend (needs extensionApis.enableBackend in the EnvoyGateway "
                     "configuration) reaches the auth host" + tls)
    for fld, text in (("method", "the auth request keeps the client's method (auth-method is not configurable)"),
                      ("signin", "unauthenticated browsers get the 401 instead of a redirect to the sign-in page "
                                 "(consider SecurityPolicy.oidc)"),
                      ("cache_key", "auth responses are not cached"),
                      ("cache_duration", "auth responses are not cached"),
                      ("proxy_set_headers", "extra auth request headers from a ConfigMap are not sent"),
                      ("request_redirect", "X-Auth-Request-Redirect is not sent"),
                      ("always_set_cookie", "the auth response's Set-Cookie is not passed on errors"),
                      ("trust_forward_header", "X-Forwarded-* headers from the client are not forwarded")):
        if getattr(intent, fld):
            if text not in notes:
                notes.append(text)
            em.refuse_field(intent, fld, text)
    em.caveat(intent, "; ".join(notes))
    return [em.piece(SP, "route", {"extAuth": {"http": http, "headersToExtAuth": headers, "statusOnError": 500}})]


def external_auth(em, intent: ExternalAuth, rule: RuleDraft):
    if any(isinstance(i, ExtAuthPolicy) for i in rule.intents):
        return []  # the ext-auth policy of the same annotation says more; its SecurityPolicy covers this
    b = intent.backend
    ref = _ref(b.namespace, b.name, rule.origin.namespace)
    ref["port"] = b.port
    spec: dict = {"backendRefs": [ref]}
    if intent.protocol == "GRPC":
        return [em.piece(SP, "route", {"extAuth": {"grpc": spec}})]
    spec["pathOverride"] = intent.path or "/"
    if intent.allowed_response_headers:
        spec["headersToBackend"] = list(intent.allowed_response_headers)
    # With no list the source sent every request header; the cookie at least keeps session-based auth working.
    ext: dict = {"http": spec, "headersToExtAuth": list(intent.allowed_headers or ("cookie",)), "statusOnError": 500}
    em.caveat(intent, f"the auth service is called at {intent.path or '/'} as written (pathOverride), without "
                      "the request path appended, with Host, Method, Path, Content-Length, Authorization and "
                      f"{', '.join(ext['headersToExtAuth'])}; auth response headers reach the backend only when "
                      "listed")
    return [em.piece(SP, "route", {"extAuth": ext})]


def cors(em, intent: CORS, rule: RuleDraft):
    origins = [o for o in intent.allow_origins if _ORIGIN.match(o)]
    dropped = [o for o in intent.allow_origins if o not in origins]
    if intent.allow_origins and not origins:
        return f"no origin Envoy Gateway accepts among {', '.join(intent.allow_origins)}"
    spec: dict = {}
    for key, value in (("allowOrigins", origins), ("allowMethods", intent.allow_methods),
                       ("allowHeaders", intent.allow_headers), ("exposeHeaders", intent.expose_headers)):
        if value:
            spec[key] = list(value)
    if intent.max_age is not None:
        spec["maxAge"] = eg_duration(intent.max_age)
    if intent.allow_credentials is not None:
        spec["allowCredentials"] = intent.allow_credentials
    if dropped:
        em.caveat(intent, f"origins {', '.join(dropped)} are not valid Envoy Gateway origins and were left out")
    return [em.piece(SP, "route", {"cors": spec})]


# -- client certificates (per host: one HTTPS listener per hostname) ----------------------------------------
def client_cert(em, intent: ClientCertPolicy, rule: RuleDraft):
    verify = str(intent.verify)
    if verify == "off":
        return []
    if verify not in _VERIFY_MODES:
        return f"auth-tls-verify-client {verify!r} has no Envoy Gateway mode"
    if em.opts.existing_gateway:
        return ("client certificates are set per listener (ClientTrafficPolicy sectionName), and the listener "
                "names of the existing Gateway are unknown; a Gateway-wide policy would cover other hosts")
    hosts = [h for h in (intent.hosts or (rule.host,)) if h]
    ns, name = _split(intent.ca_secret or "")
    if not hosts or not name:
        return "client certificate verification without a host or a CA Secret"
    if not rule.serve_https:
        return f"host {rule.host} has no HTTPS listener to verify client certificates on"
    validation = {"mode": _VERIFY_MODES[verify],
                  "caCertificateRefs": [{"group": "", "kind": "Secret", "name": name, "namespace": ns}]}
    spec: dict = {"tls": {"clientValidation": validation}}
    notes = [f"verified on the HTTPS listener of {', '.join(hosts)} (key ca.crt of Secret {ns}/{name})"]
    if verify == "optional_no_ca":
        notes.append("optional_no_ca became mode Request: certificates are requested but not verified")
    notes.append(f"the chain depth is not limited (nginx verified at most {intent.depth} level(s))")
    if intent.match_cn:
        notes.append(f"SECURITY: auth-tls-match-cn {intent.match_cn!r} is not enforced: any certificate "
                     "signed by the CA is accepted (Envoy Gateway can match subjectAltNames, not the subject CN)")
    if intent.error_page:
        notes.append("auth-tls-error-page is not used: the TLS handshake fails instead")
    if intent.pass_certificate:
        spec["headers"] = {"xForwardedClientCert": {"mode": "SanitizeSet", "certDetailsToAdd": ["Cert"]}}
        notes.append("the certificate reaches the backend in x-forwarded-client-cert (XFCC format, Cert=...) "
                     "instead of ssl-client-cert, for every route of the listener")
    em.caveat(intent, "; ".join(notes))
    return [em.piece(CTP, "gateway", spec, key="listener-" + section_name("HTTPS", h)) for h in hosts]
