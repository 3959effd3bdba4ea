"""Traefik Middleware CRDs referenced from ``router.middlewares`` (and ``service.middlewares``).

References are ``<namespace>-<name>@kubernetescrd``: the namespace is glued to the name with ``-``, so
the split is ambiguous when either contains dashes; it is resolved against the Middleware objects in
the input (``traefik.io/v1alpha1`` and the legacy ``traefik.containo.us/v1alpha1``). Middlewares run
in list order; ``chain`` expands in place. Path middlewares (stripPrefix, addPrefix, replacePath) are
composed in order into one URLRewrite per rule, because Gateway API allows one per rule.
https://doc.traefik.io/traefik/reference/routing-configuration/http/middlewares/overview/

PolicyIntent families produced here (rendered by implementation emitters):
The families and their parameters are the canonical ones of ``ingress2gw.model.policies`` (also
documented in docs/policy-families.md); Traefik's field names are mapped onto them here:
- ``basic-auth``: secret (namespace/name), realm, header_field, remove_header, type basic,
  secret_type users.
- ``ip-allow``: cidrs, xff_depth (ipStrategy.depth, 0 = socket peer), excluded_ips, status
  (rejectStatusCode, 403), client_ip.
- ``rate-limit``: requests (average; 0 = off), period (default 1s), burst (default 1), key
  ("client-ip" | "header:<name>" | "host"), counting "per-replica".
- ``in-flight``: amount, key.
- ``body-size``: max_bytes (buffering.maxRequestBodyBytes; 0 = unlimited).
- ``compression``: encodings (tuple), min_response_body_bytes, excluded_content_types (tuple).
- ``circuit-breaker``: expression, check_period, fallback_duration, recovery_duration, response_code.
- ``error-pages``: status (tuple of codes/ranges), service, port, query.
- ``regex-rewrite``: pattern, substitution (``\\1`` style), strip (bool: stripPrefixRegex).
- ``client-cert-forward``: pem (bool), info (bool).
- ``grpc-web``: allow_origins (tuple).
- ``encoded-characters``: allowed (tuple of the allowEncoded* flags that are true).
- ``ext-auth``: url (the address, outside the cluster), trust_forward_header, response_headers (tuple).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from ingress2gw.plugin import (
    CORS, AnnotationValue, Code, Context, Dimension, ExternalAuth, HeaderModifier, IngressDraft, KubeObject, Origin,
    PolicyIntent, Report, RequestRedirect, Retry, RuleDraft, ServiceBackend, Status, Unmapped, URLRewrite,
)
from ingress2gw.plugin import (
    BasicAuthPolicy, BodySizePolicy, CircuitBreakerPolicy, ClientCertForwardPolicy, CompressionPolicy,
    EncodedCharactersPolicy, ErrorPagesPolicy, ExtAuthPolicy, GRPCWebPolicy, InFlightPolicy, IPAllowPolicy,
    RateLimitPolicy, RegexRewritePolicy, ValidationError,
)

from ingress2gw_traefik.registry import REGISTRY

GROUPS = ("traefik.io/", "traefik.containo.us/")
MW = "Middleware.spec."


class MiddlewareUse(Unmapped):
    """This rule runs the Traefik Middleware ``origin`` here; ``rule.unmapped`` keeps the chain order.

    The IR holds only a translation of a Middleware (the intents whose origin is the Middleware), so the
    object itself is recorded for emitters that target Traefik, which keep it verbatim with an
    ExtensionRef filter (or copy it, for another namespace or the legacy API group). It is already
    reported through its ``Middleware.spec.<kind>`` finding: never report it a second time.
    """

    api_version: str
    kind: str
    #: JSON of ``{kind: settings}``, the Middleware's spec as written.
    spec: str


@dataclass
class MiddlewareRef:
    obj: KubeObject
    kind: str  # the spec key: stripPrefix, headers, ...
    spec: dict

    @property
    def origin(self) -> Origin:
        return Origin(kind="Middleware", namespace=self.obj.namespace, name=self.obj.name,
                      annotation=MW + self.kind, location=self.obj.locate(("spec", self.kind), part="key"))


def index(ctx: Context) -> dict[tuple[str, str], KubeObject]:
    # A Middleware in both API groups: Traefik v2.10-v2.11 kept the traefik.io one (v3 reads only that group).
    out = {}
    for obj in ctx.inventory.others.get("Middleware", []):
        if obj.api_version.startswith(GROUPS):
            kept = out.get((obj.namespace, obj.name))
            if kept is None or not kept.api_version.startswith(GROUPS[0]):
                out[(obj.namespace, obj.name)] = obj
    return out


def resolve(ref: str, idx: dict) -> tuple[KubeObject | None, str]:
    """Resolve ``ns-name@kubernetescrd``; returns (object, "") or (None, why)."""
    name, _, provider = ref.strip().partition("@")
    if provider and provider != "kubernetescrd":
        return None, f"{ref} comes from the {provider} provider, whose configuration is not in the manifests"
    if not provider:
        return None, f"{ref} has no @provider suffix; the Kubernetes Ingress provider cannot resolve it"
    hits = [obj for (ns, n), obj in idx.items() if f"{ns}-{n}" == name]
    if len(hits) == 1:
        return hits[0], ""
    if len(hits) > 1:
        options = ", ".join(sorted(f"{o.namespace}/{o.name}" for o in hits))
        return None, f"{ref} is ambiguous: it names {options}"
    return None, f"{ref}: no Middleware {name} in the input (Traefik answers 404 for such routers)"


def spec_kind(obj: KubeObject) -> tuple[str, dict] | None:
    spec = obj.doc.obj.get("spec")
    if not isinstance(spec, dict) or not spec:
        return None
    kind = sorted(spec)[0]
    return kind, spec[kind] if isinstance(spec[kind], dict) else {}


def expand(obj: KubeObject, idx: dict, report: Report, ref, seen: tuple = ()) -> list[MiddlewareRef]:
    """A Middleware, or the ordered members of a chain (recursively)."""
    got = spec_kind(obj)
    if got is None:
        return []
    kind, spec = got
    if kind != "chain":
        return [MiddlewareRef(obj, kind, spec)]
    out: list[MiddlewareRef] = []
    for i, member in enumerate(spec.get("middlewares") or []):
        if not isinstance(member, dict) or not member.get("name"):
            continue
        ns = member.get("namespace") or obj.namespace
        key = (ns, member["name"])
        target = idx.get(key)
        if target is None or key in seen:
            report.add(Code.ANNOTATION_UNSUPPORTED, location=obj.locate(("spec", "chain", "middlewares", i)),
                       obj=ref, provider="traefik", annotation=MW + "chain",
                       detail=f"chain {obj.namespace}/{obj.name} member {ns}/{member['name']} "
                              + ("loops back on itself" if target else "is not in the input"))
            continue
        out += expand(target, idx, report, ref, seen + ((obj.namespace, obj.name),))
    return out


# -- translation ------------------------------------------------------------------------------

def _t(v) -> tuple:
    return tuple(v) if isinstance(v, (list, tuple)) else ((v,) if v not in (None, "") else ())


def _policy(family: type[PolicyIntent], mw: MiddlewareRef, rules: list[RuleDraft], report: Report, ref,
            **fields) -> None:
    """Attach the ``family`` policy built from the Middleware's values (those it leaves unset take the family's
    defaults), or report the values the policy cannot hold."""
    clean = {k: _t(v) if isinstance(v, list) else v for k, v in fields.items() if v is not None and v != ""}
    try:
        intent = family(origin=mw.origin, **clean)
    except ValidationError as e:
        why = "; ".join(f"{'.'.join(map(str, err['loc']))}: {err['msg']}" for err in e.errors())
        report.add(Code.ANNOTATION_INVALID_VALUE, location=mw.origin.location, obj=ref, provider="traefik",
                   annotation=MW + mw.kind, detail=f"{mw.kind} of Middleware {mw.obj.namespace}/{mw.obj.name} does "
                                                   f"not fit the {family.family} policy ({why}); it was not translated")
        return
    for r in rules:
        r.add(intent)


_SECURITY_HEADERS = (
    ("frameDeny", "X-Frame-Options", lambda v: "DENY" if v else None),
    ("customFrameOptionsValue", "X-Frame-Options", lambda v: v or None),
    ("contentTypeNosniff", "X-Content-Type-Options", lambda v: "nosniff" if v else None),
    ("browserXssFilter", "X-XSS-Protection", lambda v: "1; mode=block" if v else None),
    ("customBrowserXSSValue", "X-XSS-Protection", lambda v: v or None),
    ("contentSecurityPolicy", "Content-Security-Policy", lambda v: v or None),
    ("contentSecurityPolicyReportOnly", "Content-Security-Policy-Report-Only", lambda v: v or None),
    ("referrerPolicy", "Referrer-Policy", lambda v: v or None),
    ("permissionsPolicy", "Permissions-Policy", lambda v: v or None),
    ("featurePolicy", "Permissions-Policy", lambda v: v or None),
    ("publicKey", "Public-Key-Pins", lambda v: v or None),
)


def headers(mw: MiddlewareRef, rules: list[RuleDraft], ctx: Context, report: Report, ref) -> None:
    s, origin = mw.spec, mw.origin
    for key, direction in (("customRequestHeaders", "request"), ("customResponseHeaders", "response")):
        values = s.get(key) or {}
        if isinstance(values, dict) and values:
            sets = tuple(sorted((k, str(v)) for k, v in values.items() if v not in ("", None)))
            removes = tuple(sorted(k for k, v in values.items() if v in ("", None)))
            hm = HeaderModifier(direction=direction, set=sets, remove=removes, origin=origin)
            for r in rules:
                r.add(hm)
    security = []
    for key, header, fn in _SECURITY_HEADERS:
        if key in s and fn(s[key]) is not None:
            security.append((header, str(fn(s[key]))))
    sts = s.get("stsSeconds")
    caveats = []
    if isinstance(sts, int) and sts > 0:
        value = f"max-age={sts}" + ("; includeSubDomains" if s.get("stsIncludeSubdomains") else "") \
            + ("; preload" if s.get("stsPreload") else "")
        security.append(("Strict-Transport-Security", value))
        if not s.get("forceSTSHeader"):
            caveats.append("Traefik adds Strict-Transport-Security only to HTTPS responses; the header "
                           "modifier adds it on every listener the route serves")
    if security:
        hm = HeaderModifier(direction="response", set=tuple(dict(security).items()), origin=origin,
                            caveat="; ".join(caveats))
        for r in rules:
            r.add(hm)
    origins = _t(s.get("accessControlAllowOriginList"))
    if origins or s.get("accessControlAllowMethods") or s.get("accessControlAllowHeaders"):
        cav = ""
        if s.get("accessControlAllowOriginListRegex"):
            cav = "accessControlAllowOriginListRegex has no Gateway API form; only the literal origins were kept"
        cors = CORS(allow_origins=origins, allow_methods=tuple(m.upper() for m in _t(s.get("accessControlAllowMethods"))),
                    allow_headers=_t(s.get("accessControlAllowHeaders")),
                    expose_headers=_t(s.get("accessControlExposeHeaders")),
                    max_age=s.get("accessControlMaxAge") if isinstance(s.get("accessControlMaxAge"), int) else None,
                    allow_credentials=bool(s.get("accessControlAllowCredentials")) or None,
                    origin=origin, caveat=cav)
        for r in rules:
            r.add(cors)
    if s.get("sslRedirect") or s.get("sslTemporaryRedirect"):
        for r in rules:
            r.force_ssl_redirect = True
    ignored = [k for k in ("allowedHosts", "hostsProxyHeaders", "sslProxyHeaders", "isDevelopment", "addVaryHeader",
                           "sslHost", "sslForceHost") if k in s]
    if ignored:
        report.add(Code.ANNOTATION_LOSSY, location=origin.location, obj=ref, provider="traefik",
                   annotation=MW + "headers", detail=f"headers {', '.join(ignored)} of {mw.obj.namespace}/"
                   f"{mw.obj.name} have no Gateway API equivalent (route hostnames already restrict hosts)")


def forward_auth(mw: MiddlewareRef, rules, ctx, report, ref) -> None:
    address = str(mw.spec.get("address", ""))
    backend, path = cluster_service(address, mw.obj.namespace, ctx)
    if backend is not None:
        ea = ExternalAuth(protocol="HTTP", backend=backend, path=path or None,
                          allowed_headers=_t(mw.spec.get("authRequestHeaders")),
                          allowed_response_headers=_t(mw.spec.get("authResponseHeaders")), origin=mw.origin,
                          caveat="Traefik sends every request header and the original URI in X-Forwarded-Uri; "
                                 "Gateway API ExternalAuth forwards a minimal header set unless allowedHeaders "
                                 "lists them, and appends the request path to the auth path")
        for r in rules:
            r.add(ea)
    else:
        # Traefik verifies the auth server's certificate unless forwardAuth.tls.insecureSkipVerify says not to.
        tls = mw.spec.get("tls") if isinstance(mw.spec.get("tls"), dict) else {}
        _policy(ExtAuthPolicy, mw, rules, report, ref, url=address,
                trust_forward_header=mw.spec.get("trustForwardHeader"),
                response_headers=mw.spec.get("authResponseHeaders"), verify=tls.get("insecureSkipVerify") is not True)


def cluster_service(url: str, namespace: str, ctx: Context) -> tuple[ServiceBackend | None, str]:
    """``http://svc.ns.svc.cluster.local:8080/auth`` (or ``svc.ns``, ``svc``) → the Service backend."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    labels = host.split(".")
    if not host or (len(labels) > 2 and labels[2:] not in (["svc"], ["svc", "cluster", "local"])):
        return None, ""
    name, ns = labels[0], labels[1] if len(labels) > 1 else namespace
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return ServiceBackend(namespace=ns, name=name, port=port), parts.path


def _permanent(value) -> bool:
    """``permanent`` of a redirect Middleware (YAML true, or the string "true")."""
    return value is True or str(value).strip().lower() == "true"


def redirect_scheme(mw: MiddlewareRef, rules, ctx, report, ref) -> None:
    scheme = str(mw.spec.get("scheme", "")).lower()
    port = str(mw.spec.get("port", "") or "")
    if scheme != "https" or port not in ("", "443"):
        report.add(Code.ANNOTATION_UNSUPPORTED, location=mw.origin.location, obj=ref, provider="traefik",
                   annotation=MW + "redirectScheme",
                   detail=f"redirectScheme to {scheme}{':' + port if port else ''} is only translated for https "
                          "on the default port")
        return
    for r in rules:
        r.force_ssl_redirect = True
    report.add(Code.ANNOTATION_LOSSY, location=mw.origin.location, obj=ref, provider="traefik",
               annotation=MW + "redirectScheme", dimensions=frozenset({Dimension.REDIRECT}),
               detail="HTTP requests are redirected to HTTPS on the HTTP listener with one status code; Traefik "
                      "answers " + ("301 to GET and 308 to other methods (HEAD included)"
                                    if _permanent(mw.spec.get("permanent")) else
                                    "302 to GET and 307 to other methods (HEAD included)")
                      + f"; the Gateway answers {301 if _permanent(mw.spec.get('permanent')) else 302} to every "
                        "method")


# ``^https?://<host or [^/]+>/(.*)`` → ``http(s)://<host>/${1}``: a scheme/host change that keeps the path
# (www → apex) is a RequestRedirect; any other regex needs review.
_REDIRECT_FROM = re.compile(r"\^https\?://(?P<host>(?:[A-Za-z0-9-]|\\\.)+|\[\^/\]\+)/\(\.\*\)\$?")
_REDIRECT_TO = re.compile(r"(?P<scheme>https?)://(?P<host>[A-Za-z0-9.-]+)/\$\{?1\}?")


def redirect_regex(mw: MiddlewareRef, rules, ctx, report, ref) -> None:
    regex, replacement = str(mw.spec.get("regex", "")), str(mw.spec.get("replacement", ""))
    source, target = _REDIRECT_FROM.fullmatch(regex), _REDIRECT_TO.fullmatch(replacement)
    common = dict(location=mw.origin.location, obj=ref, provider="traefik", annotation=MW + "redirectRegex",
                  value=f"{mw.obj.namespace}/{mw.obj.name}")
    if not source or not target:
        report.add(Code.ANNOTATION_UNSUPPORTED, **common,
                   detail=f"redirectRegex {regex!r} → {replacement!r} is not a scheme/host change that keeps the path "
                          "(^https?://host/(.*) → https://new-host/${1}); general regex redirects need review")
        return
    host = source.group("host").replace("\\.", ".").lower()
    permanent = bool(mw.spec.get("permanent"))
    intent = RequestRedirect(scheme=target.group("scheme"), hostname=target.group("host").lower(),
                             status_code=301 if permanent else 302, origin=mw.origin,
                             caveat="Traefik answers " + ("301/308" if permanent else "302/307")
                                    + " depending on the method; Gateway API uses one status code",
                             caveat_changes=(Dimension.REDIRECT,))
    hit = [r for r in rules if host == "[^/]+" or r.host == host]
    for r in hit:
        # The redirect answers before any rewrite: the path middlewares' URLRewrite, composed earlier, must
        # not take its place (Gateway API allows one of them per rule).
        r.intents.insert(0, intent)
    if not hit:
        report.add(Code.ANNOTATION_IGNORED, **common,
                   detail=f"redirectRegex only matches host {host}, which none of the rules serves: Traefik never "
                          "redirected")


def retry(mw: MiddlewareRef, rules, ctx, report, ref) -> None:
    attempts = mw.spec.get("attempts")
    if not isinstance(attempts, int) or attempts < 1:
        report.add(Code.ANNOTATION_INVALID_VALUE, location=mw.origin.location, obj=ref, provider="traefik",
                   annotation=MW + "retry", detail="retry.attempts must be a positive integer")
        return
    codes = []
    for item in _t(mw.spec.get("status")):
        m = re.fullmatch(r"\s*(\d{3})(?:\s*-\s*(\d{3}))?\s*", str(item))
        if m:
            lo, hi = int(m.group(1)), int(m.group(2) or m.group(1))
            codes += [c for c in range(lo, hi + 1) if 400 <= c <= 599]
    intent = Retry(attempts=attempts, codes=tuple(sorted(set(codes)))[:64] if codes else (),
                   backoff=str(mw.spec["initialInterval"]) if mw.spec.get("initialInterval") else None,
                   origin=mw.origin, caveat="Traefik retries on network errors; Gateway API retries on the "
                                            "listed codes and connection errors as the implementation decides")
    for r in rules:
        r.add(intent)


def simple_policy(family: type[PolicyIntent], mapping: dict[str, str]):
    def translate(mw: MiddlewareRef, rules, ctx, report, ref) -> None:
        _policy(family, mw, rules, report, ref, **{param: mw.spec.get(key) for key, param in mapping.items()})
    return translate


def ip_allow(mw: MiddlewareRef, rules, ctx, report, ref) -> None:
    strategy = mw.spec.get("ipStrategy") or {}
    depth = strategy.get("depth", 0) or 0
    _policy(IPAllowPolicy, mw, rules, report, ref, cidrs=mw.spec.get("sourceRange"), xff_depth=depth,
            client_ip="x-forwarded-for" if depth else "tcp-peer",
            excluded_ips=strategy.get("excludedIPs"), status=mw.spec.get("rejectStatusCode", 403))


def rate_limit(mw: MiddlewareRef, rules, ctx, report, ref) -> None:
    crit = mw.spec.get("sourceCriterion") or {}
    source = ("header:" + crit["requestHeaderName"]) if crit.get("requestHeaderName") else \
        ("host" if crit.get("requestHost") else "client-ip")
    _policy(RateLimitPolicy, mw, rules, report, ref, requests=mw.spec.get("average", 0),
            period=str(mw.spec.get("period", "1s")), burst=mw.spec.get("burst", 1), key=source, counting="per-replica")


def regex_rewrite(mw: MiddlewareRef, rules, ctx, report, ref) -> None:
    # Traefik also tells the backend what it changed; an implementation that only rewrites the path does not.
    said = dict(traefik_headers=True, caveat_changes=(Dimension.REQUEST_HEADERS,))
    if mw.kind == "replacePathRegex":
        sub = re.sub(r"\$\{?(\d+)\}?", r"\\\1", str(mw.spec.get("replacement", "")))
        _policy(RegexRewritePolicy, mw, rules, report, ref, pattern=mw.spec.get("regex"), substitution=sub,
                strip=False, caveat="the original path is no longer sent in X-Replaced-Path", **said)
    else:
        for rx in _t(mw.spec.get("regex")):
            _policy(RegexRewritePolicy, mw, rules, report, ref, pattern=rx, substitution="/", strip=True,
                    caveat="the stripped prefix is no longer sent in X-Forwarded-Prefix", **said)


HANDLERS = {
    "headers": headers, "forwardAuth": forward_auth, "redirectScheme": redirect_scheme, "retry": retry,
    "redirectRegex": redirect_regex,
    "basicAuth": lambda mw, rules, ctx, report, ref: _policy(
        BasicAuthPolicy, mw, rules, report, ref, type="basic", secret_type="users",
        secret=f"{mw.obj.namespace}/{mw.spec['secret']}" if mw.spec.get("secret") else None,
        realm=mw.spec.get("realm", "traefik"), header_field=mw.spec.get("headerField"),
        remove_header=mw.spec.get("removeHeader")),
    "ipAllowList": ip_allow, "ipWhiteList": ip_allow, "rateLimit": rate_limit,
    "inFlightReq": simple_policy(InFlightPolicy, {"amount": "amount"}),
    "buffering": simple_policy(BodySizePolicy, {"maxRequestBodyBytes": "max_bytes"}),
    "compress": simple_policy(CompressionPolicy, {"encodings": "encodings",
                                              "minResponseBodyBytes": "min_response_body_bytes",
                                              "excludedContentTypes": "excluded_content_types"}),
    "circuitBreaker": simple_policy(CircuitBreakerPolicy, {"expression": "expression", "checkPeriod": "check_period",
                                                        "fallbackDuration": "fallback_duration",
                                                        "recoveryDuration": "recovery_duration",
                                                        "responseCode": "response_code"}),
    "errors": lambda mw, rules, ctx, report, ref: _policy(
        ErrorPagesPolicy, mw, rules, report, ref, codes=mw.spec.get("status"), query=mw.spec.get("query"),
        service=(f"{mw.obj.namespace}/{(mw.spec.get('service') or {}).get('name')}:"
                 f"{(mw.spec.get('service') or {}).get('port', '')}") if mw.spec.get("service") else None),
    "passTLSClientCert": simple_policy(ClientCertForwardPolicy, {"pem": "pem"}),
    "grpcWeb": simple_policy(GRPCWebPolicy, {"allowOrigins": "allow_origins"}),
    "replacePathRegex": regex_rewrite, "stripPrefixRegex": regex_rewrite,
    "encodedCharacters": lambda mw, rules, ctx, report, ref: _policy(
        EncodedCharactersPolicy, mw, rules, report, ref,
        allowed=tuple(sorted(k for k, v in mw.spec.items() if v is True))),
}
PATH_KINDS = ("stripPrefix", "addPrefix", "replacePath")

_STATUS = {
    "addPrefix": (Status.TRANSLATED, "URLRewrite path (composed with the rule's match)"),
    "stripPrefix": (Status.LOSSY, "URLRewrite ReplacePrefixMatch + X-Forwarded-Prefix request header"),
    "replacePath": (Status.LOSSY, "URLRewrite ReplaceFullPath"),
    "headers": (Status.TRANSLATED, "Request/ResponseHeaderModifier, CORS filter"),
    "redirectScheme": (Status.LOSSY, "HTTP listener RequestRedirect to https"),
    "redirectRegex": (Status.LOSSY, "RequestRedirect for scheme/host changes that keep the path"),
    "forwardAuth": (Status.TRANSLATED, "ExternalAuth filter (experimental >= 1.4) / ext-auth policy"),
    "retry": (Status.TRANSLATED, "HTTPRoute rules[].retry (experimental >= 1.2)"),
    "chain": (Status.TRANSLATED, "expanded in order"),
    "digestAuth": (Status.UNSUPPORTED, ""),
    "contentType": (Status.IGNORED, ""),
    "plugin": (Status.UNSUPPORTED, ""),
}


#: What each kind's translation attaches (the annotation × emitter matrix is computed from it).
_PRODUCES = {
    "addPrefix": ("URLRewrite",), "stripPrefix": ("URLRewrite", "HeaderModifier"), "replacePath": ("URLRewrite",),
    "headers": ("HeaderModifier", "CORS"), "forwardAuth": ("ExternalAuth", "ext-auth"), "retry": ("Retry",),
    "basicAuth": ("basic-auth",), "ipAllowList": ("ip-allow",), "ipWhiteList": ("ip-allow",),
    "rateLimit": ("rate-limit",), "inFlightReq": ("in-flight",), "buffering": ("body-size",),
    "compress": ("compression",), "circuitBreaker": ("circuit-breaker",), "errors": ("error-pages",),
    "passTLSClientCert": ("client-cert-forward",), "grpcWeb": ("grpc-web",),
    "replacePathRegex": ("regex-rewrite",), "stripPrefixRegex": ("regex-rewrite",),
    "redirectRegex": ("RequestRedirect",),
    "encodedCharacters": ("encoded-characters",),
}


def declare_kinds() -> None:
    kinds = sorted(set(HANDLERS) | set(PATH_KINDS) | set(_STATUS) | {"encodedCharacters"})
    for kind in kinds:
        status, maps_to = _STATUS.get(kind, (Status.POLICY, "implementation policy"))
        reason = {
            "digestAuth": "Digest authentication has no equivalent; replace it (basic auth over TLS, OIDC).",
            "contentType": "Content-Type sniffing has no equivalent (gateways do not sniff bodies).",
            "plugin": "Plugins have no equivalent; re-implement (e.g. an Envoy extension).",
            "redirectRegex": "Only ^https?://host/(.*) → https://new-host/${1} redirects are translated; "
                             "general regex redirects need review.",
            "encodedCharacters": "Needs an implementation policy (path normalisation options).",
            "stripPrefix": "Traefik strips character prefixes (prefix /api turns /apiv2 into /v2); Gateway API "
                           "replaces whole path segments of the rule's PathPrefix match.",
            "replacePath": "The original path is not kept in X-Replaced-Path.",
        }.get(kind, "")
        REGISTRY.declare(MW + kind, area="middleware", status=status, kind="middleware", prefixed=False,
                         maps_to=maps_to, reason=reason, produces=_PRODUCES.get(kind, ()))


declare_kinds()


def compose_paths(mws: list[MiddlewareRef], rules: list[RuleDraft], report: Report, ref) -> MiddlewareRef | None:
    """Apply the path middlewares in order to each rule's match; one URLRewrite per rule."""
    path_mws = [m for m in mws if m.kind in PATH_KINDS]
    if not path_mws:
        return None
    last = path_mws[-1]
    for r in rules:
        kind, value = r.match.path.type, r.match.path.value
        if kind == "RegularExpression":
            continue
        full = kind == "Exact"
        current = value
        caveats, changes = [], set()
        for m in path_mws:
            if m.kind == "addPrefix":
                prefix = str(m.spec.get("prefix", "")).rstrip("/")
                if full:
                    current = prefix + current
                else:  # a prefix replacement: Gateway API normalises the slash between prefix and rest
                    current = (prefix + ("" if current == "/" else current)) or "/"
            elif m.kind == "replacePath":
                current, full = str(m.spec.get("path", "/")), True
                caveats.append("the original path is not kept in X-Replaced-Path")
                changes.add(Dimension.REQUEST_HEADERS)
            elif m.kind == "stripPrefix":
                for raw in _t(m.spec.get("prefixes")):
                    p = str(raw).rstrip("/")
                    if p and (current == p or current.startswith(p + "/")):
                        current = current[len(p):] or "/"
                        # Traefik sends the prefix as configured, only trimmed of spaces (a trailing / kept):
                        # pkg/middlewares/stripprefix serveRequest(strings.TrimSpace(prefix)).
                        r.add(HeaderModifier(direction="request", set=(("X-Forwarded-Prefix", str(raw).strip()),),
                                             origin=m.origin))
                        break
                else:
                    caveats.append(f"stripPrefix {list(_t(m.spec.get('prefixes')))} does not cover the rule's "
                                   f"path {value}; Traefik strips character prefixes per request")
                    changes.add(Dimension.UPSTREAM_PATH)
        if current == value and not full:
            continue
        said = dict(origin=last.origin, caveat="; ".join(caveats), caveat_changes=tuple(sorted(changes)))
        rw = (URLRewrite(replace_full_path=current, **said) if full
              else URLRewrite(replace_prefix_match=current, **said))
        r.add(rw)
    return last


def apply(refs: list[str], value: AnnotationValue, draft: IngressDraft, rules: list[RuleDraft], ctx: Context,
          report: Report, provider) -> int:
    """Resolve and translate an ordered list of middleware references for ``rules``; returns how many
    references resolved."""
    idx = ctx.settings.setdefault("middleware_index", index(ctx))
    ref = value.origin_ref
    mws: list[MiddlewareRef] = []
    resolved = 0
    for item in refs:
        obj, why = resolve(item, idx)
        resolved += obj is not None
        if obj is None:
            report.add(Code.ANNOTATION_UNSUPPORTED, location=value.loc(), obj=ref, provider="traefik",
                       annotation=value.key, value=item, detail=why,
                       remedy="Add the Middleware to the input, or recreate its behaviour on the gateway.")
            continue
        mws += expand(obj, idx, report, ref)
    for mw in mws:
        use = MiddlewareUse(origin=mw.origin, reason=f"Traefik Middleware {mw.obj.namespace}/{mw.obj.name}",
                            api_version=mw.obj.api_version, kind=mw.kind,
                            spec=json.dumps({mw.kind: mw.spec}, sort_keys=True, default=str))
        for r in rules:
            r.unmapped.append(use)
    last_path = compose_paths(mws, rules, report, ref)
    for mw in mws:
        if mw.kind == "redirectScheme" and not _permanent(mw.spec.get("permanent")):
            # Temporary: Traefik answers GET with 302 (other methods 307), so the HTTP listener's redirect uses
            # 302, not the permanent 301 of the entry-point redirection.
            draft.redirect_code = 302
    for mw in mws:
        spec = REGISTRY.lookup(MW + mw.kind)
        mv = AnnotationValue(MW + mw.kind, mw.kind, f"{mw.obj.namespace}/{mw.obj.name}", mw.origin,
                             mw.origin.location)
        if spec is None:
            report.add(Code.ANNOTATION_UNKNOWN, location=mw.origin.location, obj=ref, provider="traefik",
                       annotation=MW + mw.kind, detail=f"Middleware kind {mw.kind} is not one Traefik documents")
            continue
        # What is said of the Middleware while it is read stands, unless the emitter keeps the Middleware
        # itself (the Traefik emitter): such findings wait for the emitter's answer (standing findings).
        held = Report()
        if mw.kind in PATH_KINDS:
            if mw is last_path:
                provider.defer(draft, spec, mv)
            elif any(i.origin == mw.origin for r in rules for i in r.intents):
                provider.defer(draft, spec, mv)
            else:
                held.add(Code.ANNOTATION_TRANSLATED, location=mw.origin.location, obj=ref, provider="traefik",
                         annotation=MW + mw.kind, value=mv.text,
                         detail=f"composed into the URLRewrite of {last_path.obj.namespace}/{last_path.obj.name}")
        else:
            handler = HANDLERS.get(mw.kind)
            bound = None if handler is None else (lambda v, d, c, r, _h=handler, _m=mw: _h(_m, rules, c, r, ref))
            provider.dispatch(replace(spec, handler=bound), mv, draft, ctx, held, ref)
        for f in held.findings:
            if f.annotation == mv.key and f.location == mw.origin.location and f.code in _STANDING and not (
                    mw.kind == "redirectScheme" and f.code is Code.ANNOTATION_LOSSY):
                # (the HTTP listener's redirect rule is redirectScheme's translation, kept Middleware or not)
                provider.defer(draft, spec, mv, standing=f)
            else:
                report.extend([f])
    return resolved


#: Findings about a Middleware that give way when the emitter keeps the Middleware as it is.
_STANDING = {Code.ANNOTATION_UNSUPPORTED, Code.ANNOTATION_POLICY, Code.ANNOTATION_IGNORED, Code.ANNOTATION_LOSSY,
             Code.ANNOTATION_TRANSLATED}
