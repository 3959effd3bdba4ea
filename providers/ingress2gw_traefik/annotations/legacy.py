"""Traefik v1.x annotations (removed in v2.0): recognised and reported with their v2+ equivalent.

Traefik v1.7 read each key as ``traefik.ingress.kubernetes.io/<name>`` and as bare
``ingress.kubernetes.io/<name>``; Traefik v2+ ignores all of them, so they are ``ignored`` here and the
finding names what replaces them.
https://doc.traefik.io/traefik/v1.7/configuration/backends/kubernetes/
"""

from ingress2gw.plugin import Status

from ingress2gw_traefik.registry import REGISTRY

V2_EQUIVALENT = {
    "app-root": "a redirectRegex Middleware (Gateway API: Exact / rule with RequestRedirect)",
    "error-pages": "the errors Middleware",
    "frontend-entry-points": "router.entrypoints",
    "pass-client-tls-cert": "the passTLSClientCert Middleware",
    "pass-tls-cert": "the passTLSClientCert Middleware",
    "preserve-host": "service.passhostheader",
    "priority": "router.priority",
    "rate-limit": "the rateLimit Middleware",
    "redirect-entry-point": "the redirectScheme Middleware",
    "redirect-permanent": "redirectScheme/redirectRegex permanent: true",
    "redirect-regex": "the redirectRegex Middleware",
    "redirect-replacement": "the redirectRegex Middleware",
    "request-modifier": "the addPrefix / replacePath / replacePathRegex Middlewares",
    "rewrite-target": "the replacePathRegex Middleware",
    "rule-type": "router.pathmatcher (+ a stripPrefix Middleware for PathStrip/PathPrefixStrip)",
    "service-weights": "a weighted TraefikService (Gateway API: backendRefs weights)",
    "whitelist-source-range": "the ipAllowList Middleware",
    "whitelist-x-forwarded-for": "ipAllowList ipStrategy",
    "protocol": "service.serversscheme",
    "buffering": "the buffering Middleware",
    "affinity": "service.sticky.cookie",
    "session-cookie-name": "service.sticky.cookie.name",
    "session-secure": "service.sticky.cookie.secure",
    "session-http-only": "service.sticky.cookie.httponly",
    "session-same-site": "service.sticky.cookie.samesite",
    "circuit-breaker-expression": "the circuitBreaker Middleware",
    "responseforwarding-flushinterval": "the service's responseForwarding (no Gateway API equivalent)",
    "load-balancer-method": "the service's load balancer (no Gateway API equivalent)",
    "max-conn-amount": "the inFlightReq Middleware",
    "max-conn-extractor-func": "inFlightReq sourceCriterion",
    "auth-type": "the basicAuth / digestAuth / forwardAuth Middlewares",
    "auth-realm": "basicAuth realm",
    "auth-secret": "basicAuth secret",
    "auth-header-field": "basicAuth headerField",
    "auth-remove-header": "basicAuth removeHeader",
    "auth-url": "the forwardAuth Middleware",
    "auth-trust-headers": "forwardAuth trustForwardHeader",
    "auth-response-headers": "forwardAuth authResponseHeaders",
    "auth-tls-secret": "forwardAuth tls",
    "auth-tls-insecure": "forwardAuth tls.insecureSkipVerify",
    "custom-request-headers": "the headers Middleware customRequestHeaders",
    "custom-response-headers": "the headers Middleware customResponseHeaders",
    "allowed-hosts": "headers allowedHosts",
    "proxy-headers": "headers hostsProxyHeaders",
    "ssl-redirect": "the redirectScheme Middleware",
    "ssl-temporary-redirect": "the redirectScheme Middleware (permanent: false)",
    "ssl-host": "redirectRegex",
    "ssl-force-host": "redirectRegex",
    "ssl-proxy-headers": "headers sslProxyHeaders",
    "hsts-max-age": "headers stsSeconds",
    "hsts-include-subdomains": "headers stsIncludeSubdomains",
    "hsts-preload": "headers stsPreload",
    "force-hsts": "headers forceSTSHeader",
    "frame-deny": "headers frameDeny",
    "custom-frame-options-value": "headers customFrameOptionsValue",
    "content-type-nosniff": "headers contentTypeNosniff",
    "browser-xss-filter": "headers browserXssFilter",
    "custom-browser-xss-value": "headers customBrowserXSSValue",
    "content-security-policy": "headers contentSecurityPolicy",
    "public-key": "headers publicKey",
    "referrer-policy": "headers referrerPolicy",
    "is-development": "headers isDevelopment",
}

for _name, _v2 in sorted(V2_EQUIVALENT.items()):
    for _key, _prefixed in ((_name, True), (f"ingress.kubernetes.io/{_name}", False)):
        REGISTRY.declare(
            _key, area="legacy", status=Status.IGNORED, kind="legacy-annotation", lifecycle="removed",
            prefixed=_prefixed,
            reason=f"Traefik v1 annotation, ignored by Traefik v2 and later; its v2+ equivalent is {_v2}.",
            remediation=f"Replace it with {_v2} if the behaviour is still wanted, then convert again.",
        )

#: Traefik v1 label spellings that manifests carry as Ingress annotations, and the v1 annotation each one
#: spelled (the "Old label alias" column of the catalogue). Traefik v2+ ignores them too.
V1_LABELS = {
    "traefik.frontend.entryPoints": "frontend-entry-points",
    "traefik.frontend.passTLSCert": "pass-tls-cert",
    "traefik.frontend.passHostHeader": "preserve-host",
    "traefik.frontend.priority": "priority",
    "traefik.frontend.redirect.entrypoint": "redirect-entry-point",
    "traefik.frontend.redirect.regex": "redirect-regex",
    "traefik.frontend.redirect.replacement": "redirect-replacement",
    "traefik.frontend.rule.type": "rule-type",
    "traefik.backend.loadbalancer.stickiness": "affinity",
    "traefik.backend.loadbalancer.stickiness.cookieName": "session-cookie-name",
    "traefik.backend.circuitbreaker": "circuit-breaker-expression",
    "traefik.backend.loadbalancer.method": "load-balancer-method",
    "traefik.backend.loadbalancer.sticky": "affinity",
}

for _label, _v1 in sorted(V1_LABELS.items()):
    REGISTRY.declare(
        _label, area="legacy", status=Status.IGNORED, kind="legacy-label", lifecycle="removed", prefixed=False,
        reason=f"Traefik v1 label spelling of {_v1}, ignored by Traefik v2 and later; its v2+ equivalent is "
               f"{V2_EQUIVALENT[_v1]}.",
        remediation=f"Replace it with {V2_EQUIVALENT[_v1]} if the behaviour is still wanted, then convert again.",
    )

# Keys under the v1 prefixes that are not in the v1 catalogue: reported, never dropped without a word.
REGISTRY.declare(
    "traefik.frontend.* / traefik.backend.*", area="legacy", status=Status.IGNORED, kind="legacy-label",
    lifecycle="removed", prefixed=False, pattern=r"traefik\.(frontend|backend)\..+",
    reason="A Traefik v1 label key; Traefik v2 and later ignore it, and so does the conversion.",
    remediation="Delete the key, or rebuild its behaviour with a v2+ router annotation or Middleware.",
)
REGISTRY.declare(
    "ingress.kubernetes.io/*", area="legacy", status=Status.IGNORED, kind="legacy-annotation", lifecycle="removed",
    prefixed=False, pattern=r"ingress\.kubernetes\.io/.+",
    reason="Not a Traefik v1 annotation (ingress.kubernetes.io/ was also the prefix of ingress-nginx before 0.9); "
           "Traefik ignored it, and so does the conversion.",
    remediation="Delete the key.",
)
