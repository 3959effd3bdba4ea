"""Traefik Middleware specs for the intents Gateway API cannot hold (``--emitter traefik``).

Each renderer takes the typed intent of a policy family (``ingress2gw.model.policies``) and
returns a ``Generated``: the *slot* (one Middleware per slot and rule; intents of the same slot are
merged, later values win), the Middleware ``spec`` and what Traefik does differently — or the reason
Traefik has nothing that holds the setting. Field semantics follow the Traefik v3.7 Middleware reference
(https://doc.traefik.io/traefik/v3.7/reference/routing-configuration/http/middlewares/overview/) and its
CRD (``traefik.io_middlewares.yaml``).

``SLOTS`` is the order generated Middlewares run in. It follows NGINX's request phases, which is what
ingress-nginx users had: CORS first (NGINX answered preflights in the rewrite phase), the rate and
connection limits (preaccess) before the IP lists and the authentication (access), then body limits, the path rewrite (auth services saw the original URI),
and nearest the backend compression, error pages, circuit breaker and retries.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field

from ingress2gw.emitters.implementation import secret_in_namespace
from ingress2gw.model.ir import CORS, ExternalAuth, Intent, PolicyIntent, Retry, RuleDraft
from ingress2gw.model.outcome import Dimension
from ingress2gw.model.policies import (
    BasicAuthPolicy, BodySizePolicy, CircuitBreakerPolicy, ClientBodyBufferPolicy, ClientCertForwardPolicy,
    CompressionPolicy, ConnectionLimitPolicy, EncodedCharactersPolicy, ErrorPagesPolicy, ExtAuthPolicy, GRPCWebPolicy,
    InFlightPolicy, IPAllowPolicy, IPDenyPolicy, IPListPolicy, ProxyBufferingPolicy, RateLimitPolicy,
    RegexRewritePolicy, RetryBudgetPolicy,
)

SLOTS = ("cors", "encoded-characters", "rate-limit", "connection-limit", "in-flight", "ip-allow", "ip-deny",
         "basic-auth", "ext-auth", "pass-tls-client-cert", "buffering", "regex-rewrite", "grpc-web", "compress",
         "error-pages", "circuit-breaker", "retry")


@dataclass
class Generated:
    slot: str
    spec: dict  # {traefikKind: settings}
    #: What differs: a text (its intent kind's dimensions), or (text, *dimensions).
    caveats: list = field(default_factory=list)
    #: The Middleware does what the source did, so the provider's caveat does not hold here.
    voids: bool = False

    @property
    def kind(self) -> str:
        return next(iter(self.spec))


#: Families no Middleware can hold, and why (the finding says it).
_NO_MIDDLEWARE = {
    "session-cookie": "sticky-cookie attributes belong to a Traefik Service (TraefikService sticky.cookie), "
                      "not to a Middleware",
    "load-balancer": "the load-balancing strategy belongs to a Traefik Service (TraefikService), not to a "
                     "Middleware",
    "service-upstream": "Traefik's Gateway provider balances over the endpoints; the ClusterIP needs a "
                        "TraefikService with nativeLB",
    "native-lb": "Traefik's Gateway provider balances over the endpoints; the ClusterIP needs a TraefikService "
                 "with nativeLB",
    "backend-tls": "TLS towards the backend is set by BackendTLSPolicy or a ServersTransport, not by a "
                   "Middleware",
    "servers-transport": "a ServersTransport is attached to a Traefik Service, not to an HTTPRoute rule",
    "upstream-timeouts": "connect/send timeouts are ServersTransport forwardingTimeouts, which an HTTPRoute "
                         "backendRef cannot attach",
    "client-cert": "client certificates are verified per TLS listener (Gateway spec.tls.frontend or a "
                   "TLSOption), not by a Middleware",
    "bandwidth-limit": "Traefik has no response bandwidth limit",
    "access-log": "per-router access logs are router configuration, not a Middleware",
    "tracing": "per-router tracing is router configuration, not a Middleware",
    "waf": "a WAF needs a Traefik plugin (Coraza) that the manifests do not configure",
}

_XFF_CAVEAT = ("the client address is the last X-Forwarded-For entry (ipStrategy.depth 1), as written by one "
               "proxy in front of Traefik; set the depth your proxy chain needs")
_PROXY_CAVEAT = ("enable the PROXY protocol on Traefik's entry points (entryPoints.<name>.proxyProtocol) so that "
                 "the remote address is the client's")


def _ip_strategy(caveats: list[str], source: str = "tcp-peer", xff_depth: int | None = None,
                 excluded_ips: tuple[str, ...] = ()) -> dict | None:
    """Where Traefik takes the client address from; None: the TCP peer (Traefik's default)."""
    if xff_depth:
        return {"depth": int(xff_depth)}
    if excluded_ips:
        return {"excludedIPs": list(excluded_ips)}
    if source == "x-forwarded-for":
        caveats.append(_XFF_CAVEAT)
        return {"depth": 1}
    if source == "proxy-protocol":
        caveats.append(_PROXY_CAVEAT)
    return None


def _criterion(key: str, caveats: list[str], *, client_ip: str = "tcp-peer", explicit_ip: bool = False) -> dict | None:
    key = str(key)
    if key.startswith("header:"):
        return {"requestHeaderName": key[len("header:"):]}
    if key == "host":
        return {"requestHost": True}
    strategy = _ip_strategy(caveats, client_ip)
    if strategy is None and not explicit_ip:
        return None
    return {"ipStrategy": strategy or {}}


def _status_caveat(status: int | None, caveats: list[str], traefik_status: int = 429) -> None:
    if isinstance(status, int) and status != traefik_status:
        caveats.append(f"Traefik answers {traefik_status} where the source answered {status}")


def _exempt_caveat(exempt: tuple[str, ...], caveats: list[str]) -> None:
    if exempt:
        caveats.append("Traefik has no exemption list: " + ", ".join(exempt) + " are limited too")


def rate_limit(p: RateLimitPolicy, rule: RuleDraft) -> Generated | list | str:
    requests = int(p.requests or 0)
    if requests <= 0:
        return []  # no limit: nothing to attach
    caveats: list[str] = []
    body: dict = {"average": requests, "period": str(p.period), "burst": int(p.burst or 1)}
    crit = _criterion(p.key, caveats, client_ip=p.client_ip)
    if crit:
        body["sourceCriterion"] = crit
    _status_caveat(p.status, caveats)
    _exempt_caveat(p.exempt, caveats)
    return Generated("rate-limit", {"rateLimit": body}, caveats)


def connection_limit(p: ConnectionLimitPolicy, rule: RuleDraft) -> Generated | str:
    caveats = ["Traefik limits in-flight requests per client address, not connections (HTTP/2 carries many "
               "requests on one connection)"]
    body = {"amount": int(p.connections),
            "sourceCriterion": _criterion("client-ip", caveats, client_ip=p.client_ip, explicit_ip=True)}
    _status_caveat(p.status, caveats)
    _exempt_caveat(p.exempt, caveats)
    return Generated("connection-limit", {"inFlightReq": body}, caveats)


def in_flight(p: InFlightPolicy, rule: RuleDraft) -> Generated:
    caveats: list[str] = []
    body: dict = {"amount": int(p.amount)}
    crit = _criterion(p.key, caveats) if p.key else None
    if crit:
        body["sourceCriterion"] = crit
    return Generated("in-flight", {"inFlightReq": body}, caveats)


def _allow_body(ranges: list[str], p: IPListPolicy, caveats: list[str]) -> dict:
    body: dict = {"sourceRange": ranges}
    strategy = _ip_strategy(caveats, p.client_ip, p.xff_depth, p.excluded_ips)
    if strategy is not None:
        body["ipStrategy"] = strategy
    status = p.status
    if isinstance(status, int) and status != 403:
        body["rejectStatusCode"] = status
    return body


def ip_allow(p: IPAllowPolicy, rule: RuleDraft) -> Generated:
    caveats: list[str] = []
    return Generated("ip-allow", {"ipAllowList": _allow_body(list(p.cidrs), p, caveats)}, caveats)


def complement(cidrs) -> list[str]:
    """Every address outside ``cidrs`` as a sorted CIDR list (IPv4 first): a deny list as an allow list."""
    nets = [ipaddress.ip_network(c, strict=False) for c in cidrs]
    out: list = []
    for universe in (ipaddress.ip_network("0.0.0.0/0"), ipaddress.ip_network("::/0")):
        rest = [universe]
        for n in (n for n in nets if n.version == universe.version):
            nxt = []
            for r in rest:
                if n.subnet_of(r):
                    nxt.extend(r.address_exclude(n))
                elif not r.subnet_of(n):
                    nxt.append(r)
            rest = nxt
        out.extend(ipaddress.collapse_addresses(rest))
    return [str(n) for n in sorted(out, key=lambda n: (n.version, n))]


def ip_deny(p: IPDenyPolicy, rule: RuleDraft) -> Generated:
    # Traefik has only allow lists: the complement of the denied ranges is exact.
    caveats: list[str] = []
    return Generated("ip-deny", {"ipAllowList": _allow_body(complement(p.cidrs), p, caveats)}, caveats)


def basic_auth(p: BasicAuthPolicy, rule: RuleDraft) -> Generated | str:
    name, why = secret_in_namespace(p.secret, rule.origin.namespace, "the basic-auth setting names no Secret",
                                    "the Secret {ref} is in another namespace; Traefik reads the users from a Secret "
                                    "in the Middleware's namespace ({namespace}): copy the Secret there")
    if name is None:
        return why
    kind = "digestAuth" if p.type == "digest" else "basicAuth"
    body: dict = {"secret": name}
    for value, key in ((p.realm, "realm"), (p.header_field, "headerField"), (p.remove_header, "removeHeader")):
        if value not in (None, ""):
            body[key] = value
    caveats = []
    secret_type = p.secret_type or "users"
    if secret_type == "auth-file":
        caveats.append(f"Traefik reads the {'htdigest' if kind == 'digestAuth' else 'htpasswd'} lines from the "
                       f"Secret key users (ingress-nginx read key auth): add a users key to {name}")
    elif secret_type == "auth-map":
        caveats.append(f"Traefik reads htpasswd lines from the Secret key users; turn the auth-map Secret {name} "
                       "(one key per user) into one users key")
    return Generated("basic-auth", {kind: body}, caveats)


_EXT_LOST = {
    "signin_redirect_param": "auth-signin-redirect-param has no forwardAuth equivalent",
    "request_redirect": "auth-request-redirect (X-Auth-Request-Redirect) has no forwardAuth equivalent",
    "proxy_set_headers": "extra auth-request headers from a ConfigMap (auth-proxy-set-headers) are not sent",
    "cache_key": "Traefik does not cache auth responses: every request reaches the auth service",
    "always_set_cookie": "auth-always-set-cookie has no equivalent (forwardAuth.addAuthCookiesToResponse copies "
                         "named cookies on success only)",
    "snippet": "the auth-snippet is never carried over",
}


def forward_auth(url: str, p: ExtAuthPolicy) -> Generated | str:
    if "$" in url:
        return f"the auth URL {url} uses NGINX variables, which forwardAuth.address cannot hold"
    caveats = ["Traefik sends X-Forwarded-Method/-Proto/-Host/-Uri/-For to the auth service where ingress-nginx "
               "sent X-Original-URL and X-Original-Method"]
    body: dict = {"address": url}
    method = str(p.method or "").upper()
    if not method:
        body["preserveRequestMethod"] = True  # NGINX's auth subrequest kept the client's method
    elif method != "GET":
        caveats.append(f"Traefik calls the auth service with GET or the client's method, not {method}")
    if p.trust_forward_header:
        body["trustForwardHeader"] = True
    if p.request_headers:
        body["authRequestHeaders"] = list(p.request_headers)
    if p.response_headers:
        body["authResponseHeaders"] = list(p.response_headers)
    if url.startswith("https://"):
        # NGINX did not verify the auth service's certificate (proxy_ssl_verify off); Traefik does by default.
        body["tls"] = {"insecureSkipVerify": True}
        caveats.append("the auth service's certificate is not verified, as NGINX did not verify it: set "
                       "forwardAuth.tls.caSecret and drop insecureSkipVerify")
    signin = str(p.signin or "")
    if signin and "$" not in signin:
        body["authSigninURL"] = signin
    elif signin:
        caveats.append(f"auth-signin {signin} uses NGINX variables; forwardAuth.authSigninURL was not set")
    lost = {"signin_redirect_param": p.signin_redirect_param, "request_redirect": p.request_redirect,
            "proxy_set_headers": p.proxy_set_headers, "cache_key": p.cache_key,
            "always_set_cookie": p.always_set_cookie, "snippet": p.snippet}
    caveats += [text for param, text in _EXT_LOST.items() if lost[param]]
    if p.cache_duration and not p.cache_key:
        caveats.append(_EXT_LOST["cache_key"])
    return Generated("ext-auth", {"forwardAuth": body}, caveats)


def ext_auth(p: ExtAuthPolicy, rule: RuleDraft) -> Generated | str:
    url = str(p.url or "")
    if not url:
        return "the ext-auth setting has no URL"
    return forward_auth(url, p)


def body_size(p: BodySizePolicy, rule: RuleDraft) -> Generated | list:
    size = int(p.max_bytes or 0)
    if size <= 0:
        return []  # unlimited: Traefik has no limit unless a buffering Middleware sets one
    return Generated("buffering", {"buffering": {"maxRequestBodyBytes": size}},
                     ["Traefik buffers the whole request body (in memory up to memRequestBodyBytes, then on disk) "
                      "to enforce the limit"])


def client_body_buffer(p: ClientBodyBufferPolicy, rule: RuleDraft) -> Generated:
    return Generated("buffering", {"buffering": {"memRequestBodyBytes": int(p.bytes)}},
                     ["the buffering Middleware buffers request and response bodies"])


def proxy_buffering(p: ProxyBufferingPolicy, rule: RuleDraft) -> Generated | list | str:
    on = [k for k, v in (("requestBuffering", p.requestBuffering), ("responseBuffering", p.responseBuffering))
          if v is True]
    sizes = [k for k, v in (("bufferSize", p.bufferSize), ("buffersNumber", p.buffersNumber),
                            ("busyBuffersSize", p.busyBuffersSize)) if v is not None]
    if on:
        caveats = ["the buffering Middleware buffers request and response bodies together"]
        if sizes:
            caveats.append(f"NGINX buffer sizes ({', '.join(sizes)}) have no Traefik equivalent")
        return Generated("buffering", {"buffering": {}}, caveats)
    if sizes:
        return f"NGINX buffer sizes ({', '.join(sizes)}) have no Traefik equivalent"
    return []  # buffering off: Traefik streams bodies unless a buffering Middleware is attached


def compression(p: CompressionPolicy, rule: RuleDraft) -> Generated:
    body: dict = {}
    names = {"brotli": "br"}
    if p.encodings:
        body["encodings"] = [names.get(e, e) for e in p.encodings]
    if p.min_response_body_bytes is not None:
        body["minResponseBodyBytes"] = int(p.min_response_body_bytes)
    if p.excluded_content_types:
        body["excludedContentTypes"] = list(p.excluded_content_types)
    return Generated("compress", {"compress": body})


def error_pages(p: ErrorPagesPolicy, rule: RuleDraft) -> Generated | str:
    service = str(p.service or "")
    if not service:
        return ("Traefik's errors Middleware fetches the pages from a Service; ingress-nginx sent the errors to "
                "its default backend, which is not in the manifests")
    ref, _, port = service.rpartition(":") if ":" in service else (service, "", "")
    ns, _, name = ref.rpartition("/")
    svc: dict = {"name": name}
    if ns and ns != rule.origin.namespace:
        svc["namespace"] = ns
    if port.isdigit():
        svc["port"] = int(port)
    body: dict = {"status": [str(c) for c in p.codes], "service": svc}
    if p.query:
        body["query"] = p.query
    caveats = ["a Service in another namespace needs allowCrossNamespace on Traefik's CRD provider"] \
        if "namespace" in svc else []
    return Generated("error-pages", {"errors": body}, caveats)


def _go_replacement(sub: str) -> str:
    """``\\1`` references (canonical) → Go's ``${1}``; literal ``$`` doubled."""
    return re.sub(r"\\(\d+)", r"${\1}", sub.replace("$", "$$"))


def regex_rewrite(p: RegexRewritePolicy, rule: RuleDraft) -> Generated:
    # A Traefik source's own headers are sent again (voids); another source did not send them.
    if p.strip:
        return Generated("regex-rewrite", {"stripPrefixRegex": {"regex": [p.pattern]}}, [] if p.traefik_headers
                         else [("Traefik also sends the stripped prefix in X-Forwarded-Prefix",
                                Dimension.REQUEST_HEADERS)], voids=p.traefik_headers)
    if p.substitution is None:
        raise KeyError("substitution")
    # The canonical pattern matches the whole path, so Go's ReplaceAllString rewrites it as NGINX did.
    return Generated("regex-rewrite", {"replacePathRegex": {"regex": p.pattern,
                                                            "replacement": _go_replacement(p.substitution)}},
                     [] if p.traefik_headers else
                     [("Traefik also sends the original path in X-Replaced-Path", Dimension.REQUEST_HEADERS)],
                     voids=p.traefik_headers)


def circuit_breaker(p: CircuitBreakerPolicy, rule: RuleDraft) -> Generated:
    body: dict = {"expression": p.expression}
    for value, key in ((p.check_period, "checkPeriod"), (p.fallback_duration, "fallbackDuration"),
                       (p.recovery_duration, "recoveryDuration"), (p.response_code, "responseCode")):
        if value not in (None, ""):
            body[key] = value
    return Generated("circuit-breaker", {"circuitBreaker": body})


def retry_budget(p: RetryBudgetPolicy, rule: RuleDraft) -> Generated | str:
    if not any(isinstance(i, Retry) for i in rule.intents):
        return "a retry time budget needs a number of retries (Traefik's retry Middleware requires attempts)"
    return Generated("retry", {"retry": {"timeout": p.budget}})


def retry(intent: Retry) -> Generated:
    body: dict = {"attempts": intent.attempts}
    if intent.codes:
        body["status"] = [str(c) for c in sorted(set(intent.codes))]
    if intent.backoff:
        body["initialInterval"] = intent.backoff
    return Generated("retry", {"retry": body},
                     ["Traefik retries connection errors and the listed statuses, and never retries non-idempotent "
                      "methods (POST, PATCH) unless retryNonIdempotentMethod is set"])


def external_auth(intent: ExternalAuth) -> Generated | str:
    b = intent.backend
    url = f"http://{b.name}.{b.namespace}.svc.cluster.local:{b.port or 80}{intent.path or ''}"
    return forward_auth(url, ExtAuthPolicy(url=url, response_headers=intent.allowed_response_headers))


def cors(intent: CORS) -> Generated:
    """CORS where the targeted Gateway API version has no CORS filter: Traefik's headers Middleware answers
    preflights the same way (it runs first, as NGINX answered preflights before access control)."""
    body: dict = {}
    # A wildcard label (https://*.example.com) matches one DNS label, as in NGINX: a regex origin.
    wild = [o for o in intent.allow_origins if "*" in o and o != "*"]
    if wild:
        body["accessControlAllowOriginListRegex"] = [
            "^" + re.escape(o).replace(r"\*", "[^.]+") + "$" for o in wild]
    for key, value in (("accessControlAllowOriginList", tuple(o for o in intent.allow_origins if o not in wild)),
                       ("accessControlAllowMethods", intent.allow_methods),
                       ("accessControlAllowHeaders", intent.allow_headers),
                       ("accessControlExposeHeaders", intent.expose_headers)):
        if value:
            body[key] = list(value)
    if intent.allow_credentials is not None:
        body["accessControlAllowCredentials"] = intent.allow_credentials
    if intent.max_age is not None:
        body["accessControlMaxAge"] = intent.max_age
    return Generated("cors", {"headers": body})


def grpc_web(p: GRPCWebPolicy, rule: RuleDraft) -> Generated:
    return Generated("grpc-web", {"grpcWeb": {"allowOrigins": list(p.allow_origins or ("*",))}})


def client_cert_forward(p: ClientCertForwardPolicy, rule: RuleDraft) -> Generated:
    return Generated("pass-tls-client-cert", {"passTLSClientCert": {"pem": bool(p.pem)}})


def encoded_characters(p: EncodedCharactersPolicy, rule: RuleDraft) -> Generated:
    return Generated("encoded-characters", {"encodedCharacters": {k: True for k in p.allowed}})


FAMILIES = {
    "rate-limit": rate_limit, "connection-limit": connection_limit, "in-flight": in_flight,
    "ip-allow": ip_allow, "ip-deny": ip_deny, "basic-auth": basic_auth, "ext-auth": ext_auth,
    "body-size": body_size, "client-body-buffer": client_body_buffer, "proxy-buffering": proxy_buffering,
    "compression": compression, "error-pages": error_pages, "regex-rewrite": regex_rewrite,
    "circuit-breaker": circuit_breaker, "retry": retry_budget, "grpc-web": grpc_web,
    "client-cert-forward": client_cert_forward, "encoded-characters": encoded_characters,
    # Traefik has no controller-wide external auth, so there is nothing to opt out of.
    "global-auth-opt-out": lambda p, rule: [],
}


def render(intent: Intent, rule: RuleDraft) -> Generated | list | str:
    """A Middleware for ``intent``, ``[]`` when Traefik needs none to behave the same, or the reason."""
    if isinstance(intent, Retry):
        return retry(intent)
    if isinstance(intent, ExternalAuth):
        return external_auth(intent)
    if isinstance(intent, CORS):
        return cors(intent)
    if isinstance(intent, PolicyIntent):
        fn = FAMILIES.get(intent.family)
        if fn is None:
            return f"no Traefik Middleware holds {intent.family}: " + _NO_MIDDLEWARE.get(
                intent.family, "Traefik has no equivalent")
        try:
            return fn(intent, rule)
        except (KeyError, TypeError, ValueError) as e:
            return f"the {intent.family} setting cannot be rendered as a Middleware ({e})"
    return f"no Traefik Middleware holds {type(intent).__name__}"
