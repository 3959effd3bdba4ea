"""Policy families: the canonical shape of every setting only implementation policies can hold.

Each family is a ``PolicyIntent`` subclass with typed fields; providers build it with exactly these fields,
whatever the source controller called them, so each implementation emitter renders a family once and cannot
misread a parameter. ``scope`` is the narrowest place the source setting applied: ``route`` (the rules of one
Ingress), ``service`` (every route to a Service) or ``gateway`` (the whole listener set). A field whose default
is ``None`` is one the source may leave unsaid, and the emitters tell that apart from any value.
``FAMILIES`` maps each family id to its class; ``tests/test_policy_families.py`` checks that every
PolicyIntent the fixtures produce is one of them, and ``docs/policy-families.md`` is generated from them.
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import Field, StringConstraints

from ingress2gw.model.ir import PolicyIntent

__all__ = [
    "FAMILIES", "ExtAuthPolicy", "BasicAuthPolicy", "ClientCertPolicy", "GlobalAuthOptOutPolicy", "IPListPolicy",
    "IPAllowPolicy", "IPDenyPolicy", "RateLimitPolicy", "ConnectionLimitPolicy", "InFlightPolicy",
    "BandwidthLimitPolicy", "BodySizePolicy", "ClientBodyBufferPolicy", "ProxyBufferingPolicy", "CompressionPolicy",
    "UpstreamTimeoutsPolicy", "RetryBudgetPolicy", "CircuitBreakerPolicy", "ErrorPagesPolicy",
    "BackendTLSOptionsPolicy", "ServersTransportPolicy", "SessionCookiePolicy", "LoadBalancerPolicy",
    "ServiceUpstreamPolicy", "NativeLBPolicy", "RegexRewritePolicy", "ClientCertForwardPolicy", "GRPCWebPolicy",
    "EncodedCharactersPolicy", "SnippetPolicy", "AccessLogPolicy", "TracingPolicy", "WAFPolicy",
]

DURATION = "duration (Gateway API form: 10s, 1m, 500ms)"
#: Traefik durations: a Go duration (``10s``) or a whole number of seconds, as written in the Middleware.
TRAEFIK_DURATION = "duration as written (Traefik: 10s, or a whole number of seconds)"

ClientIP = Literal["tcp-peer", "x-forwarded-for", "proxy-protocol"]
ClientKey = Annotated[str, StringConstraints(pattern=r"^(client-ip|host|header:.+)$")]
Counting = Literal["per-pod-per-client-ip", "per-replica"]
StatusCode = Annotated[int, Field(ge=100, le=599)]
_CLIENT_IP = "where the source took the client address from: tcp-peer | x-forwarded-for | proxy-protocol"
_COUNTING = ("how the source counted: per-pod-per-client-ip (per controller replica and client address) | "
             "per-replica (per proxy instance); None: not said")


# -- authentication ---------------------------------------------------------------------------------------------

class ExtAuthPolicy(PolicyIntent):
    family: ClassVar[str] = "ext-auth"
    scope: ClassVar[str] = "route"
    description: ClassVar[str] = "Ask an external service whether to let each request through."
    example: ClassVar[dict] = {"url": "http://oauth2-proxy.auth.svc.cluster.local:4180/oauth2/auth",
                               "service": "auth/oauth2-proxy:4180", "path": "/oauth2/auth",
                               "response_headers": ("X-Auth-Request-User",)}

    url: str = Field("", description="the auth endpoint as written (http[s]://host[:port]/path)")
    service: str = Field("", description="namespace/name:port when the URL is a cluster Service")
    path: str = Field("", description="path (and query) of the auth request")
    method: str = Field("", description="method of the auth request ('': the client's)")
    response_headers: tuple[str, ...] = Field((), description="auth response headers copied to the upstream "
                                                              "request")
    request_headers: tuple[str, ...] = Field((), description="client headers sent to the auth service")
    signin: str = Field("", description="where to send unauthenticated clients (a redirect URL)")
    signin_redirect_param: str = Field("", description="query parameter carrying the original URL to signin")
    request_redirect: str = Field("", description="X-Auth-Request-Redirect value")
    proxy_set_headers: str = Field("", description="namespace/name of a ConfigMap of extra auth request headers")
    cache_key: str = Field("", description="key of the auth response cache")
    cache_duration: tuple[str, ...] = Field((), description="auth response cache durations ('200 202 10m')")
    always_set_cookie: bool = Field(False, description="pass the auth response's Set-Cookie on errors too")
    keepalive: int = Field(0, ge=0, description="idle connections kept to the auth service (0: none)")
    trust_forward_header: bool = Field(False, description="trust X-Forwarded-* from the client")
    verify: bool = Field(False, description="verify the auth service's TLS certificate (nginx's auth_request "
                                            "never did)")
    snippet: bool = Field(False, description="an auth-snippet was also set (never translated)")


class BasicAuthPolicy(PolicyIntent):
    family: ClassVar[str] = "basic-auth"
    scope: ClassVar[str] = "route"
    description: ClassVar[str] = "HTTP Basic (or Digest) authentication against users in a Secret."
    example: ClassVar[dict] = {"type": "basic", "secret": "app/users", "secret_type": "auth-file", "realm": "Staff"}

    type: Literal["basic", "digest"] = Field("basic", description="basic | digest")
    secret: str = Field("", description="namespace/name of the Secret (its data is never read); '': none "
                                        "(Traefik's inline users)")
    # Free text: ingress-nginx's auth-secret-type is passed on as written.
    secret_type: str | None = Field(None, description="auth-file (htpasswd file in key 'auth'), auth-map (user -> "
                                                      "hash) or users (Traefik: key 'users' or "
                                                      "kubernetes.io/basic-auth); None: not said")
    realm: str = Field("", description="realm of the WWW-Authenticate challenge")
    header_field: str = Field("", description="header that receives the authenticated user")
    remove_header: bool | None = Field(None, description="remove Authorization before forwarding; None: not said")


class ClientCertPolicy(PolicyIntent):
    family: ClassVar[str] = "client-cert"
    scope: ClassVar[str] = "gateway"
    description: ClassVar[str] = "Verify client certificates (mutual TLS) for a host."
    example: ClassVar[dict] = {"ca_secret": "app/ca", "hosts": ("app.example.com",), "verify": "on", "depth": 1}

    ca_secret: str = Field(description="namespace/name of the CA Secret")
    hosts: tuple[str, ...] = Field((), description="the hosts the source verified (host-wide)")
    # Free text: ingress-nginx's auth-tls-verify-client is passed on as written (emitters refuse other values).
    verify: str = Field("on", description="on | off | optional | optional_no_ca")
    depth: int = Field(1, ge=0, description="chain depth limit")
    error_page: str = Field("", description="where failed verifications are sent")
    match_cn: str = Field("", description="regex on the subject")
    pass_certificate: bool = Field(False, description="pass the certificate upstream")


class GlobalAuthOptOutPolicy(PolicyIntent):
    family: ClassVar[str] = "global-auth-opt-out"
    scope: ClassVar[str] = "route"
    description: ClassVar[str] = "Opt this Ingress out of the controller-wide external auth."
    example: ClassVar[dict] = {"disabled": True}

    disabled: bool = Field(True, description="the controller-wide external auth is off for these routes")


# -- access lists and limits ------------------------------------------------------------------------------------

class IPListPolicy(PolicyIntent):
    """What the allow and deny lists share (abstract)."""

    cidrs: tuple[str, ...] = Field(min_length=1, description="normalised CIDRs")
    status: StatusCode = Field(403, description="rejection status")
    client_ip: ClientIP = Field("tcp-peer", description=_CLIENT_IP)
    xff_depth: int | None = Field(None, ge=0, description="X-Forwarded-For depth (0: the socket peer); None: "
                                                          "client_ip decides")
    excluded_ips: tuple[str, ...] = Field((), description="proxies skipped when reading X-Forwarded-For")


class IPAllowPolicy(IPListPolicy):
    family: ClassVar[str] = "ip-allow"
    scope: ClassVar[str] = "route"
    description: ClassVar[str] = "Only clients from these ranges may reach the route."
    example: ClassVar[dict] = {"cidrs": ("10.0.0.0/8",), "status": 403, "client_ip": "tcp-peer"}


class IPDenyPolicy(IPListPolicy):
    family: ClassVar[str] = "ip-deny"
    scope: ClassVar[str] = "route"
    description: ClassVar[str] = "Clients from these ranges are rejected."
    example: ClassVar[dict] = {"cidrs": ("10.1.2.3/32",), "status": 403, "client_ip": "tcp-peer"}


class RateLimitPolicy(PolicyIntent):
    family: ClassVar[str] = "rate-limit"
    scope: ClassVar[str] = "route"
    description: ClassVar[str] = "Limit the request rate per client key."
    example: ClassVar[dict] = {"requests": 10, "period": "1s", "burst": 50, "key": "client-ip",
                               "counting": "per-pod-per-client-ip", "status": 503}

    requests: int = Field(0, ge=0, description="requests per period (0: off)")
    period: str = Field("1s", description=DURATION + " (Traefik: also a whole number of seconds)")
    burst: int | None = Field(None, ge=0, description="requests admitted at once; None: not said")
    key: ClientKey = Field("client-ip", description="client-ip | header:<name> | host")
    counting: Counting | None = Field(None, description=_COUNTING)
    # Any number: ingress-nginx's limit-req-status-code is taken from the ConfigMap as written.
    status: int = Field(429, description="rejection status (429: what Traefik answers)")
    client_ip: ClientIP = Field("tcp-peer", description=_CLIENT_IP)
    exempt: tuple[str, ...] = Field((), description="CIDRs not limited")


class ConnectionLimitPolicy(PolicyIntent):
    family: ClassVar[str] = "connection-limit"
    scope: ClassVar[str] = "route"
    description: ClassVar[str] = "Limit concurrent connections per client."
    example: ClassVar[dict] = {"connections": 20, "status": 503, "counting": "per-pod-per-client-ip"}

    connections: int = Field(ge=1, description="concurrent connections per client")
    # Any number: ingress-nginx's limit-conn-status-code is taken from the ConfigMap as written.
    status: int = Field(503, description="rejection status")
    counting: Counting | None = Field(None, description=_COUNTING)
    client_ip: ClientIP = Field("tcp-peer", description=_CLIENT_IP)
    exempt: tuple[str, ...] = Field((), description="CIDRs not limited")


class InFlightPolicy(PolicyIntent):
    family: ClassVar[str] = "in-flight"
    scope: ClassVar[str] = "route"
    description: ClassVar[str] = "Limit concurrent in-flight requests per source."
    example: ClassVar[dict] = {"amount": 10}

    amount: int = Field(0, ge=0, description="concurrent requests (0: no limit)")
    key: ClientKey | None = Field(None, description="client-ip | header:<name> | host; None: not said")


class BandwidthLimitPolicy(PolicyIntent):
    family: ClassVar[str] = "bandwidth-limit"
    scope: ClassVar[str] = "route"
    description: ClassVar[str] = "Throttle response bandwidth."
    example: ClassVar[dict] = {"kbytes_per_second": 100}

    kbytes_per_second: int = Field(ge=1, description="response rate per connection, KiB/s")
    after_kbytes: int = Field(0, ge=0, description="KiB sent at full speed first")


# -- bodies and buffers -----------------------------------------------------------------------------------------

class BodySizePolicy(PolicyIntent):
    family: ClassVar[str] = "body-size"
    scope: ClassVar[str] = "route"
    description: ClassVar[str] = "Reject request bodies larger than this (413)."
    example: ClassVar[dict] = {"max_bytes": 8388608, "text": "8m", "status": 413}

    max_bytes: int | None = Field(None, ge=0, description="the limit in bytes (0: unlimited); None: not said "
                                                          "(a Traefik buffering Middleware without "
                                                          "maxRequestBodyBytes)")
    text: str = Field("", description="the value as written")
    status: StatusCode = Field(413, description="rejection status")


class ClientBodyBufferPolicy(PolicyIntent):
    family: ClassVar[str] = "client-body-buffer"
    scope: ClassVar[str] = "route"
    description: ClassVar[str] = "Request body buffer size."
    example: ClassVar[dict] = {"bytes": 65536, "text": "64k"}

    bytes: int = Field(ge=0, description="in-memory request body buffer, bytes")
    text: str = Field("", description="the value as written")


class ProxyBufferingPolicy(PolicyIntent):
    family: ClassVar[str] = "proxy-buffering"
    scope: ClassVar[str] = "route"
    description: ClassVar[str] = "Request/response buffering towards the upstream."
    example: ClassVar[dict] = {"responseBuffering": True, "bufferSize": "16k"}

    requestBuffering: bool | None = Field(None, description="read the whole request body first; None: not said")
    responseBuffering: bool | None = Field(None, description="buffer upstream responses; None: not said")
    bufferSize: str | None = Field(None, description="NGINX size of the response header buffer; None: not said")
    buffersNumber: int | None = Field(None, ge=0, description="number of response buffers; None: not said")
    busyBuffersSize: str | None = Field(None, description="NGINX size of the busy buffers; None: not said")


class CompressionPolicy(PolicyIntent):
    family: ClassVar[str] = "compression"
    scope: ClassVar[str] = "route"
    description: ClassVar[str] = "Compress responses."
    example: ClassVar[dict] = {"encodings": ("gzip",), "min_response_body_bytes": 1024}

    encodings: tuple[str, ...] = Field((), description="encodings offered, in order ((): the implementation's)")
    min_response_body_bytes: int | None = Field(None, ge=0, description="smallest body compressed; None: not said")
    excluded_content_types: tuple[str, ...] = Field((), description="content types never compressed")


# -- timeouts and retries ---------------------------------------------------------------------------------------

class UpstreamTimeoutsPolicy(PolicyIntent):
    family: ClassVar[str] = "upstream-timeouts"
    scope: ClassVar[str] = "route"
    description: ClassVar[str] = "Connect/send timeouts towards the upstream."
    example: ClassVar[dict] = {"connect": "10s", "send": "120s"}

    connect: str | None = Field(None, description=DURATION + "; None: not said")
    send: str | None = Field(None, description=DURATION + " between two writes; None: not said")


class RetryBudgetPolicy(PolicyIntent):
    family: ClassVar[str] = "retry"
    scope: ClassVar[str] = "route"
    description: ClassVar[str] = "Retry settings without a Gateway API field."
    example: ClassVar[dict] = {"budget": "10s"}

    budget: str = Field(description=DURATION + " all tries together may take")


class CircuitBreakerPolicy(PolicyIntent):
    family: ClassVar[str] = "circuit-breaker"
    scope: ClassVar[str] = "service"
    description: ClassVar[str] = "Open the circuit on errors or latency."
    example: ClassVar[dict] = {"expression": "NetworkErrorRatio() > 0.30"}

    expression: str = Field(min_length=1, description="Traefik expression")
    check_period: str | int | None = Field(None, description=TRAEFIK_DURATION)
    fallback_duration: str | int | None = Field(None, description=TRAEFIK_DURATION)
    recovery_duration: str | int | None = Field(None, description=TRAEFIK_DURATION)
    response_code: int | None = Field(None, description="status while the circuit is open; None: not said")


class ErrorPagesPolicy(PolicyIntent):
    family: ClassVar[str] = "error-pages"
    scope: ClassVar[str] = "route"
    description: ClassVar[str] = "Replace upstream error responses."
    example: ClassVar[dict] = {"codes": (404, 503)}

    codes: tuple[int | str, ...] = Field(min_length=1, description="status codes or ranges ('500-599')")
    service: str = Field("", description="namespace/name:port of the error service ('': the default backend)")
    query: str = Field("", description="path on the error service ({status})")


# -- backends ------------------------------------------------------------------------------------------------------

class BackendTLSOptionsPolicy(PolicyIntent):
    family: ClassVar[str] = "backend-tls"
    scope: ClassVar[str] = "service"
    description: ClassVar[str] = ("TLS towards the backend beyond what BackendTLSPolicy says (whether the "
                                  "certificate is verified is BackendTLS.verify).")
    example: ClassVar[dict] = {"clientSecret": "app/backend-client"}

    clientSecret: str | None = Field(None, description="namespace/name of the client certificate; None: none")
    ciphers: str | None = Field(None, description="OpenSSL cipher list; None: not said")
    protocols: tuple[str, ...] | None = Field(None, description="TLS versions (TLSv1.2...); None: not said")


class ServersTransportPolicy(PolicyIntent):
    family: ClassVar[str] = "servers-transport"
    scope: ClassVar[str] = "service"
    description: ClassVar[str] = "Traefik ServersTransport settings."
    example: ClassVar[dict] = {"name": "tls", "namespace": "app", "insecure_skip_verify": True}

    name: str = Field(description="name of the ServersTransport")
    namespace: str = Field(description="namespace of the ServersTransport")
    insecure_skip_verify: bool = Field(False, description="do not verify the backend certificate")
    dial_timeout: str | None = Field(None, description="connect timeout as written; None: not said")


class SessionCookiePolicy(PolicyIntent):
    family: ClassVar[str] = "session-cookie"
    scope: ClassVar[str] = "service"
    description: ClassVar[str] = "Sticky-session cookie attributes."
    example: ClassVar[dict] = {"path": "/", "sameSite": "Lax", "secure": True}

    path: str | None = Field(None, description="cookie Path; None: not said")
    domain: str | None = Field(None, description="cookie Domain; None: not said")
    sameSite: str | None = Field(None, description="None | Lax | Strict as written (Traefik: any case); "
                                                   "None: not said")
    # Text when Traefik's annotation is not a boolean: passed on as written.
    secure: bool | str | None = Field(None, description="cookie Secure; None: not said")
    httpOnly: bool | str | None = Field(None, description="cookie HttpOnly; None: not said")


class LoadBalancerPolicy(PolicyIntent):
    family: ClassVar[str] = "load-balancer"
    scope: ClassVar[str] = "service"
    description: ClassVar[str] = "Load-balancing algorithm or consistent hashing."
    example: ClassVar[dict] = {"algorithm": "ewma"}

    algorithm: str | None = Field(None, description="round_robin | ewma | least_request | ...; None: not said")
    hashBy: str | None = Field(None, description="the nginx hash expression; None: no hashing")
    hashKind: Literal["sourceIP", "header", "cookie", "query", "uri", "expression"] | None = Field(
        None, description="what hashBy reads")
    hashName: str | None = Field(None, description="the header, cookie or query parameter hashed")
    subset: bool = Field(False, description="hash to a subset of the endpoints")
    subsetSize: int = Field(3, ge=0, description="endpoints per subset")


class ServiceUpstreamPolicy(PolicyIntent):
    family: ClassVar[str] = "service-upstream"
    scope: ClassVar[str] = "service"
    description: ClassVar[str] = "Send traffic to the Service ClusterIP instead of endpoints."
    example: ClassVar[dict] = {"enabled": True}

    enabled: bool = Field(True, description="use the ClusterIP")


class NativeLBPolicy(PolicyIntent):
    family: ClassVar[str] = "native-lb"
    scope: ClassVar[str] = "service"
    description: ClassVar[str] = "Traefik: load-balance to the Service ClusterIP."
    example: ClassVar[dict] = {}


# -- paths and protocols -----------------------------------------------------------------------------------------

class RegexRewritePolicy(PolicyIntent):
    family: ClassVar[str] = "regex-rewrite"
    scope: ClassVar[str] = "route"
    description: ClassVar[str] = "Rewrite the path with a regex (the whole path is matched)."
    example: ClassVar[dict] = {"pattern": "(?i)^/user/([0-9]+)/profile.*", "substitution": "/profiles/\\1"}

    pattern: str = Field(min_length=1, description="RE2")
    substitution: str | None = Field(None, description="\\1 style references; None: not said (Traefik: an "
                                                       "empty replacement)")
    nginx_target: str = Field("", description="the rewrite-target as written")
    strip: bool = Field(False, description="strip the match (Traefik stripPrefixRegex)")
    traefik_headers: bool = Field(False, description="the source also sent Traefik's X-Replaced-Path (replace) or "
                                                     "X-Forwarded-Prefix (strip) header")


class ClientCertForwardPolicy(PolicyIntent):
    family: ClassVar[str] = "client-cert-forward"
    scope: ClassVar[str] = "route"
    description: ClassVar[str] = "Forward the client certificate to the backend."
    example: ClassVar[dict] = {"pem": True}

    pem: bool = Field(True, description="forward the PEM certificate")


class GRPCWebPolicy(PolicyIntent):
    family: ClassVar[str] = "grpc-web"
    scope: ClassVar[str] = "route"
    description: ClassVar[str] = "Translate gRPC-Web to gRPC."
    example: ClassVar[dict] = {"allow_origins": ("*",)}

    allow_origins: tuple[str, ...] = Field((), description="origins allowed ((): any)")


class EncodedCharactersPolicy(PolicyIntent):
    family: ClassVar[str] = "encoded-characters"
    scope: ClassVar[str] = "route"
    description: ClassVar[str] = "Which percent-encoded characters paths may contain."
    example: ClassVar[dict] = {"allowed": ("allowEncodedSlash",)}

    allowed: tuple[str, ...] = Field((), description="the Traefik allowEncoded* switches that are on")


class SnippetPolicy(PolicyIntent):
    family: ClassVar[str] = "snippet"
    scope: ClassVar[str] = "route"
    description: ClassVar[str] = ("Raw NGINX configuration (never translated; carried only where the target runs "
                                  "NGINX and the user allows it).")
    example: ClassVar[dict] = {"context": "location", "text": "add_header X-Frame-Options DENY;", "refused": ""}

    context: Literal["location", "server", "http", "main"] = Field(
        description="where the controller inserted it (ingress-nginx annotations: location | server)")
    text: str = Field(description="the snippet as written")
    refused: str = Field("", description="why the source controller refused it ('' when it ran)")


# -- observability and WAF ----------------------------------------------------------------------------------------

class AccessLogPolicy(PolicyIntent):
    family: ClassVar[str] = "access-log"
    scope: ClassVar[str] = "route"
    description: ClassVar[str] = "Per-route access-log switch."
    example: ClassVar[dict] = {"enabled": False}

    enabled: bool = Field(True, description="log the route's requests")


class TracingPolicy(PolicyIntent):
    family: ClassVar[str] = "tracing"
    scope: ClassVar[str] = "route"
    description: ClassVar[str] = "Per-route tracing switch."
    example: ClassVar[dict] = {"enabled": True}

    enabled: bool = Field(True, description="trace the route's requests")
    trust_incoming_span: bool = Field(True, description="an incoming trace context is the parent span")


class WAFPolicy(PolicyIntent):
    family: ClassVar[str] = "waf"
    scope: ClassVar[str] = "route"
    description: ClassVar[str] = "Web application firewall."
    example: ClassVar[dict] = {"engine": "modsecurity", "enabled": True, "owasp_core_rules": True}

    engine: str = Field(description="the source's WAF (modsecurity)")
    enabled: bool = Field(True, description="the WAF inspects the route's requests")
    owasp_core_rules: bool = Field(False, description="the OWASP Core Rule Set is loaded")
    transaction_id: str = Field("", description="the source's transaction id expression")


FAMILIES: dict[str, type[PolicyIntent]] = {cls.family: cls for cls in (
    ExtAuthPolicy, BasicAuthPolicy, ClientCertPolicy, GlobalAuthOptOutPolicy, IPAllowPolicy, IPDenyPolicy,
    RateLimitPolicy, ConnectionLimitPolicy, InFlightPolicy, BandwidthLimitPolicy, BodySizePolicy,
    ClientBodyBufferPolicy, ProxyBufferingPolicy, CompressionPolicy, UpstreamTimeoutsPolicy, RetryBudgetPolicy,
    CircuitBreakerPolicy, ErrorPagesPolicy, BackendTLSOptionsPolicy, ServersTransportPolicy, SessionCookiePolicy,
    LoadBalancerPolicy, ServiceUpstreamPolicy, NativeLBPolicy, RegexRewritePolicy, ClientCertForwardPolicy,
    GRPCWebPolicy, EncodedCharactersPolicy, SnippetPolicy, AccessLogPolicy, TracingPolicy, WAFPolicy,
)}
