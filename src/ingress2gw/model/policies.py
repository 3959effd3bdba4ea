"""Policy families: the canonical shape of every setting only implementation policies can hold.

Providers emit ``PolicyIntent(family, params)`` with exactly these parameters, whatever the source
controller called them, so each implementation emitter renders a family once. ``scope`` is the
narrowest place the source setting applied: ``route`` (the rules of one Ingress), ``service`` (every
route to a Service) or ``gateway`` (the whole listener set). ``tests/test_policy_families.py`` checks
that every PolicyIntent the fixtures produce conforms; ``docs/policy-families.md`` is generated from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

DURATION = "duration (Gateway API form: 10s, 1m, 500ms)"


@dataclass(frozen=True)
class Family:
    name: str
    scope: str  # route | service | gateway
    description: str
    params: dict[str, str] = field(default_factory=dict)  # name -> type and meaning
    #: A realistic value set: emitters are probed with it to compute what they can hold.
    example: dict = field(default_factory=dict)


FAMILIES: dict[str, Family] = {f.name: f for f in (
    Family("ext-auth", "route", "Ask an external service whether to let each request through.", {
        "url": "str: the auth endpoint as written (http[s]://host[:port]/path)",
        "service": "str: namespace/name:port when the URL is a cluster Service",
        "path": "str: path of the auth request",
        "method": "str: method of the auth request (default: the controller's)",
        "response_headers": "tuple[str]: auth response headers copied to the upstream request",
        "request_headers": "tuple[str]: client headers sent to the auth service",
        "signin": "str: where to send unauthenticated clients (a redirect URL)",
        "signin_redirect_param": "str", "request_redirect": "str", "proxy_set_headers": "str",
        "cache_key": "str", "cache_duration": "str", "always_set_cookie": "bool", "keepalive": "int",
        "trust_forward_header": "bool: trust X-Forwarded-* from the client",
        "snippet": "bool: an auth-snippet was also set (never translated)",
    }, example={"url": "http://oauth2-proxy.auth.svc.cluster.local:4180/oauth2/auth", "service": "auth/oauth2-proxy:4180", "path": "/oauth2/auth", "response_headers": ("X-Auth-Request-User",)}),
    Family("basic-auth", "route", "HTTP Basic (or Digest) authentication against users in a Secret.", {
        "type": "str: basic | digest",
        "secret": "str: namespace/name of the Secret (its data is never read)",
        "secret_type": "str: auth-file (htpasswd file in key 'auth'), auth-map (user -> hash) or users "
                       "(Traefik: key 'users' or kubernetes.io/basic-auth)",
        "realm": "str",
        "header_field": "str: header that receives the authenticated user",
        "remove_header": "bool: remove Authorization before forwarding",
    }, example={"type": "basic", "secret": "app/users", "secret_type": "auth-file", "realm": "Staff"}),
    Family("client-cert", "gateway", "Verify client certificates (mutual TLS) for a host.", {
        "ca_secret": "str: namespace/name of the CA Secret", "hosts": "tuple[str]",
        "verify": "str: on | off | optional | optional_no_ca", "depth": "int", "error_page": "str",
        "match_cn": "str: regex on the subject", "pass_certificate": "bool: pass the certificate upstream",
    }, example={"ca_secret": "app/ca", "hosts": ("app.example.com",), "verify": "on", "depth": 1}),
    Family("global-auth-opt-out", "route", "Opt this Ingress out of the controller-wide external auth.", {
        "disabled": "bool"}, example={"disabled": True}),
    Family("ip-allow", "route", "Only clients from these ranges may reach the route.", {
        "cidrs": "tuple[str]: normalised CIDRs", "status": "int: rejection status (403)",
        "client_ip": "str: tcp-peer | x-forwarded-for | proxy-protocol",
        "xff_depth": "int: X-Forwarded-For depth (0: the socket peer)",
        "excluded_ips": "tuple[str]: proxies skipped when reading X-Forwarded-For",
    }, example={"cidrs": ("10.0.0.0/8",), "status": 403, "client_ip": "tcp-peer"}),
    Family("ip-deny", "route", "Clients from these ranges are rejected.", {
        "cidrs": "tuple[str]", "status": "int", "client_ip": "str"}, example={"cidrs": ("10.1.2.3/32",), "status": 403, "client_ip": "tcp-peer"}),
    Family("rate-limit", "route", "Limit the request rate per client key.", {
        "requests": "int: requests per period (0: off)", "period": DURATION, "burst": "int",
        "key": "str: client-ip | header:<name> | host",
        "scope": "str: per-pod-per-client-ip | per-replica (the source counted per proxy instance)",
        "status": "int: rejection status", "client_ip": "str", "exempt": "tuple[str]: CIDRs not limited",
    }, example={"requests": 10, "period": "1s", "burst": 50, "key": "client-ip", "scope": "per-pod-per-client-ip", "status": 503}),
    Family("connection-limit", "route", "Limit concurrent connections per client.", {
        "connections": "int", "status": "int", "scope": "str", "client_ip": "str", "exempt": "tuple[str]"}, example={"connections": 20, "status": 503, "scope": "per-pod-per-client-ip"}),
    Family("in-flight", "route", "Limit concurrent in-flight requests per source.", {
        "amount": "int", "key": "str"}, example={"amount": 10}),
    Family("bandwidth-limit", "route", "Throttle response bandwidth.", {
        "kbytes_per_second": "int", "after_kbytes": "int"}, example={"kbytes_per_second": 100}),
    Family("body-size", "route", "Reject request bodies larger than this (413).", {
        "max_bytes": "int (0: unlimited)", "text": "str: the value as written", "status": "int"}, example={"max_bytes": 8388608, "text": "8m", "status": 413}),
    Family("client-body-buffer", "route", "Request body buffer size.", {"bytes": "int", "text": "str"}, example={"bytes": 65536, "text": "64k"}),
    Family("proxy-buffering", "route", "Request/response buffering towards the upstream.", {
        "requestBuffering": "bool", "responseBuffering": "bool", "bufferSize": "str", "buffersNumber": "int",
        "busyBuffersSize": "str"}, example={"responseBuffering": True, "bufferSize": "16k"}),
    Family("compression", "route", "Compress responses.", {
        "encodings": "tuple[str]", "min_response_body_bytes": "int", "excluded_content_types": "tuple[str]"}, example={"encodings": ("gzip",), "min_response_body_bytes": 1024}),
    Family("upstream-timeouts", "route", "Connect/send timeouts towards the upstream.", {
        "connect": DURATION, "send": DURATION}, example={"connect": "10s", "send": "120s"}),
    Family("retry", "route", "Retry settings without a Gateway API field.", {"budget": DURATION}, example={"budget": "10s"}),
    Family("circuit-breaker", "service", "Open the circuit on errors or latency.", {
        "expression": "str (Traefik expression)", "check_period": "str", "fallback_duration": "str",
        "recovery_duration": "str", "response_code": "int"}, example={"expression": "NetworkErrorRatio() > 0.30"}),
    Family("error-pages", "route", "Replace upstream error responses.", {
        "codes": "tuple[int | str]: status codes or ranges ('500-599')", "service": "str: namespace/name:port",
        "query": "str: path on the error service ({status})"}, example={"codes": (404, 503)}),
    Family("backend-tls", "service", "TLS towards the backend beyond what BackendTLSPolicy says.", {
        "verify": "bool: verify the backend certificate", "clientSecret": "str: namespace/name",
        "ciphers": "str", "protocols": "tuple[str]"}, example={"verify": False}),
    Family("servers-transport", "service", "Traefik ServersTransport settings.", {
        "name": "str", "namespace": "str", "insecure_skip_verify": "bool", "dial_timeout": "str"}, example={"name": "tls", "namespace": "app", "insecure_skip_verify": True}),
    Family("session-cookie", "service", "Sticky-session cookie attributes.", {
        "path": "str", "domain": "str", "sameSite": "str", "secure": "bool", "httpOnly": "bool"}, example={"path": "/", "sameSite": "Lax", "secure": True}),
    Family("load-balancer", "service", "Load-balancing algorithm or consistent hashing.", {
        "algorithm": "str: round_robin | ewma | least_request | ...", "hashBy": "str: the nginx expression",
        "hashKind": "str: sourceIP | header | cookie | query | uri | expression", "hashName": "str",
        "subset": "bool", "subsetSize": "int"}, example={"algorithm": "ewma"}),
    Family("service-upstream", "service", "Send traffic to the Service ClusterIP instead of endpoints.", {
        "enabled": "bool"}, example={"enabled": True}),
    Family("native-lb", "service", "Traefik: load-balance to the Service ClusterIP.", {}, example={}),
    Family("regex-rewrite", "route", "Rewrite the path with a regex (the whole path is matched).", {
        "pattern": "str: RE2", "substitution": "str: \\\\1 style references", "nginx_target": "str",
        "strip": "bool: strip the match (Traefik stripPrefixRegex)"}, example={"pattern": "(?i)^/user/([0-9]+)/profile.*", "substitution": "/profiles/\\\\1"}),
    Family("client-cert-forward", "route", "Forward the client certificate to the backend.", {
        "pem": "bool"}, example={"pem": True}),
    Family("grpc-web", "route", "Translate gRPC-Web to gRPC.", {"allow_origins": "tuple[str]"}, example={"allow_origins": ("*",)}),
    Family("encoded-characters", "route", "Which percent-encoded characters paths may contain.", {
        "allowed": "tuple[str]"}, example={"allowed": ("allowEncodedSlash",)}),
    Family("snippet", "route", "Raw NGINX configuration (never translated; carried only where the target "
           "runs NGINX and the user allows it).", {
        "context": "str: location | server (where the controller inserted it)",
        "text": "str: the snippet as written",
        "refused": "str: why the source controller refused it ('' when it ran)",
    }, example={"context": "location", "text": "add_header X-Frame-Options DENY;", "refused": ""}),
    Family("access-log", "route", "Per-route access-log switch.", {"enabled": "bool"}, example={"enabled": False}),
    Family("tracing", "route", "Per-route tracing switch.", {"enabled": "bool", "trust_incoming_span": "bool"}, example={"enabled": True}),
    Family("waf", "route", "Web application firewall.", {
        "engine": "str", "enabled": "bool", "owasp_core_rules": "bool", "transaction_id": "str"}, example={"engine": "modsecurity", "enabled": True, "owasp_core_rules": True}),
)}


def problems(family: str, params: dict) -> list[str]:
    """What is wrong with a PolicyIntent's family/params (empty: conforms)."""
    spec = FAMILIES.get(family)
    if spec is None:
        return [f"unknown policy family {family!r}"]
    return [f"{family}: unknown parameter {k!r}" for k in params if k not in spec.params]
