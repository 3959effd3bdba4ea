"""NGINX Gateway Fabric (v2.6.7): Gateway API plus the ``gateway.nginx.org`` policies and filters.

What each intent becomes (CRDs of v2.6.7; NGF is NGINX, so most ingress-nginx settings map 1:1 onto
the same directive):

- ``body-size`` → ClientSettingsPolicy ``body.maxSize`` (``client_max_body_size``), on the route.
- ``rate-limit`` → RateLimitPolicy ``rateLimit.local.rules[]`` (``limit_req``, keyed by
  ``$binary_remote_addr`` like ingress-nginx, ``burst``, ``noDelay``) and ``rejectCode``, on the route.
- ``proxy-buffering`` → ProxySettingsPolicy ``buffering`` (``proxy_buffering``, ``proxy_buffer_size``,
  ``proxy_buffers``, ``proxy_busy_buffers_size``), on the route.
- ``upstream-timeouts`` → ProxySettingsPolicy ``timeout.connect`` / ``timeout.send``; the read timeout
  (``IdleTimeout``: NGINX's own ``proxy_read_timeout``; 60s, NGF's default, needs no policy) →
  ``timeout.read``. NGF's HTTPRoute support ignores ``timeouts``: ``request: 0s`` (no bound on the whole
  response, as in NGINX) is left out of the rule, and a backend timeout becomes ``timeout.read`` too.
- ``load-balancer`` → UpstreamSettingsPolicy ``loadBalancingMethod`` / ``hashMethodKey`` on the Service.
- ``basic-auth`` → AuthenticationFilter (type Basic) referenced by an ``ExtensionRef`` filter of each
  rule; ``snippet`` (only with ``--allow-snippets``) → SnippetsFilter (per Ingress) or SnippetsPolicy
  (controller-wide snippets, on the Gateway).

Everything else is refused with the reason (NGF has no such field in v2.6.7): see
docs/emitters/nginx-gateway-fabric.md.
"""

from __future__ import annotations

import re

from ingress2gw.emitters.implementation import ImplementationEmitter, Piece, secret_in_namespace
from ingress2gw.emitters.nginx_gateway_fabric.attach import NGF, RULE, V1A1, Attachment
from ingress2gw.model.outcome import Dimension, exact, policy
from ingress2gw.options import OptionSpec
from ingress2gw.emitters.nginx_gateway_fabric.values import (
    claimable, duration_ms, nginx_bytes, ngf_duration, ngf_size, rate_key, request_rate,
)
from ingress2gw.model.ir import (
    BackendTLS, ExternalAuth, IdleTimeout, Intent, Retry, RuleDraft, SessionPersistence, Timeouts,
)
from ingress2gw.model.policies import (
    BasicAuthPolicy, BodySizePolicy, LoadBalancerPolicy, ProxyBufferingPolicy, RateLimitPolicy, SnippetPolicy,
    UpstreamTimeoutsPolicy,
)

#: ingress-nginx defaults for what its template writes with proxy_buffer_size / proxy_buffers.
DEFAULT_BUFFER_SIZE, DEFAULT_BUFFERS = "4k", 4
#: nginx's proxy_read_timeout default, which NGF keeps: a 60s read timeout needs no policy.
DEFAULT_READ_MS = 60_000

_HASH_KEY = re.compile(r"^\$[a-z_]+$")
#: Directives of modules NGF's NGINX does not load (headers-more, Lua): such a snippet would break the reload.
_FOREIGN = re.compile(r"\b(more_(set|clear)_(input_)?headers|[a-z_]+_by_lua(_block|_file)?|lua_[a-z_]+)\b")

ALGORITHMS = {
    "round_robin": ("round_robin", ""),
    "ewma": ("least_conn", "ingress-nginx's EWMA picks the endpoint with the lowest recent latency; NGINX OSS has "
                           "no latency-based method, least_conn (fewest active connections) is the closest"),
    "least_request": ("least_conn", ""), "least_conn": ("least_conn", ""), "random": ("random", ""),
}
SNIPPET_CONTEXTS = {"location": "http.server.location", "server": "http.server", "http": "http", "main": "main"}

REFUSED = {
    "client-body-buffer": "NGF v2.6.7 ClientSettingsPolicy.body holds maxSize and timeout only; "
                          "client_body_buffer_size has no field (NGINX's default buffer applies)",
    "connection-limit": "NGF v2.6.7 has no connection limit (limit_conn) policy",
    "in-flight": "NGF v2.6.7 has no limit on concurrent requests per client",
    "bandwidth-limit": "NGF v2.6.7 has no response bandwidth (limit_rate) policy",
    "ip-allow": "NGF v2.6.7 has no IP access policy (allow/deny exist only as raw snippets)",
    "ip-deny": "NGF v2.6.7 has no IP access policy (allow/deny exist only as raw snippets)",
    "service-upstream": "NGF v2.6.7 UpstreamSettingsPolicy has no ClusterIP option: NGF always balances over the "
                        "Service's endpoints",
    "native-lb": "NGF v2.6.7 UpstreamSettingsPolicy has no ClusterIP option: NGF always balances over the "
                 "Service's endpoints",
    "session-cookie": "NGF v2.6.7 has no cookie attributes for session persistence (route sessionPersistence, "
                      "experimental channel and NGINX Plus only, holds name and lifetime)",
    "backend-tls": "NGF v2.6.7 verifies backends only through BackendTLSPolicy: no client certificate, cipher "
                   "or protocol setting towards backends",
    "servers-transport": "NGF v2.6.7 has no skip-verify towards backends, and no connect timeout per Service",
    "circuit-breaker": "NGF v2.6.7 has no circuit breaking or passive health checks (NGINX OSS max_fails is not "
                       "exposed)",
    "ext-auth": "NGF v2.6.7 AuthenticationFilter covers basic auth (JWT/OIDC with NGINX Plus), not external "
                "auth services",
    "regex-rewrite": "NGF v2.6.7 has no regex rewrite",
    "error-pages": "NGF v2.6.7 has no error-page replacement",
    "compression": "NGF v2.6.7 has no per-route compression",
    "retry": "NGF v2.6.7 has no retry budget",
    "client-cert": "NGF v2.6.7 has no per-host client-certificate verification policy",
    "client-cert-forward": "NGF v2.6.7 cannot forward the client certificate to backends",
    "access-log": "NGF v2.6.7 switches access logs only for the whole data plane (NginxProxy), not per route",
    "tracing": "NGF v2.6.7 ObservabilityPolicy needs tracing configured on the NginxProxy; not emitted per route",
    "waf": "NGF v2.6.7 WAFPolicy is F5 WAF for NGINX (NGINX Plus), a different engine: not emitted",
    "grpc-web": "NGF v2.6.7 has no gRPC-Web translation",
    "encoded-characters": "NGF v2.6.7 has no setting for encoded characters in paths",
    "global-auth-opt-out": "NGF has no controller-wide external auth to opt out of",
}


class NginxGatewayFabricEmitter(Attachment, ImplementationEmitter):
    name = "nginx-gateway-fabric"
    gateway_class_name = "nginx"
    options = (OptionSpec("allow_snippets", "--allow-snippets", bool, False,
                          "nginx-gateway-fabric: carry configuration-/server-snippet into SnippetsFilters (raw NGINX; "
                          "review it first). The security findings stay."),)
    implementation_version = "v2.6.7"
    crd_bundle = "nginx-gateway-fabric/v2.6.7"
    api_groups = {NGF: "nginx-gateway-fabric"}
    skip_verify_advice = ("; NGF v2.6.7 talks TLS to backends only through BackendTLSPolicy, and cannot skip "
                          "verification")

    def __init__(self, opts, report):
        super().__init__(opts, report)
        #: (namespace, kind, name) -> [spec, sources] of the ExtensionRef filter objects.
        self._filters: dict[tuple[str, str, str], list] = {}

    # -- intents → pieces (the tables at the end of the class) ---------------------------------------
    def _caveat(self, intent: Intent, texts) -> None:
        for t in texts:
            if t:
                self.caveat(intent, t)

    @staticmethod
    def _ngf_value(text, read, convert, caveats: list) -> str | None:
        """``text`` as an NGF value: ``convert`` (``ngf_size``, ``ngf_duration``) of what ``read`` makes of it, or
        None when either has nothing; a value rounded up to fit is said in ``caveats``."""
        amount = read(text)
        got = None if amount is None else convert(amount)
        if got is None:
            return None
        if not got[1]:
            caveats.append(f"{text} rounded up to {got[0]}")
        return got[0]

    def _size(self, text, caveats: list) -> str | None:
        return self._ngf_value(text, nginx_bytes, ngf_size, caveats)

    def _duration(self, text, caveats: list) -> str | None:
        return self._ngf_value(text, duration_ms, ngf_duration, caveats)

    def _body_size(self, intent: BodySizePolicy, rule: RuleDraft):
        n = intent.max_bytes
        if not isinstance(n, int) or isinstance(n, bool) or n < 0:
            return "body-size without a byte count"
        got = ngf_size(n)
        if got is None:
            return f"{n} bytes is more than ClientSettingsPolicy.body.maxSize can hold (9999g)"
        size, exact = got
        status = intent.status
        self._caveat(intent, [
            "" if exact else f"{n} bytes rounded up to {size} (NGF sizes have at most four digits)",
            "" if status in (None, 413) else f"NGINX answers 413 to larger bodies, the source answered {status}",
        ])
        return [Piece.of(V1A1, "ClientSettingsPolicy", "route", {"body": {"maxSize": size}})]

    def _rate_limit(self, intent: RateLimitPolicy, rule: RuleDraft):
        requests = intent.requests
        if not requests:
            return []  # 0: the source did not limit
        if intent.exempt:
            return (f"NGF RateLimitPolicy has no exemption list: the clients of {', '.join(intent.exempt)} "
                    "that the source did not limit would be limited too")
        got = request_rate(requests, intent.period)
        if got is None:
            return (f"{requests} requests per {intent.period} is below NGINX's smallest rate (1r/m) or has "
                    "no duration")
        rate, exact = got
        key = rate_key(str(intent.key))
        if key is None:
            return f"rate-limit key {intent.key!r} has no NGINX variable"
        limit: dict = {"rate": rate, "key": key, "noDelay": True}
        if intent.burst:
            limit["burst"] = int(intent.burst)
        status = intent.status or 429  # Traefik answers 429; ingress-nginx says its status
        client_ip = intent.client_ip
        self._caveat(intent, [
            "" if exact else f"{requests} per {intent.period} rounded down to {rate}",
            "" if client_ip in ("", "tcp-peer") or key != "$binary_remote_addr" else
            f"the source read the client address from {client_ip}: set NginxProxy spec.rewriteClientIP (mode, "
            "trustedAddresses) the same way, or every client behind the load balancer shares one bucket",
            "" if intent.counting != "per-replica" else
            "Traefik's token bucket (average per period, burst) becomes NGINX's leaky bucket (rate, burst, nodelay): "
            "bursts are admitted alike, sustained traffic is held to the rate",
        ])
        if intent.counting == "per-pod-per-client-ip":
            # ingress-nginx's own limit_req: same algorithm, same per-replica, per-client-address buckets.
            self.ledger.void_caveat(intent, (
                "NGF counts per NGINX replica and per client address, as the controller did: the effective limit "
                "scales with the number of data-plane replicas"))
        return [Piece.of(V1A1, "RateLimitPolicy", "route",
                         {"rateLimit": {"local": {"rules": [limit]}, "rejectCode": int(status)}})]

    def _proxy_buffering(self, intent: ProxyBufferingPolicy, rule: RuleDraft):
        # The sizes the rule's proxy-buffering intents set (the last one wins; None: none set it).
        siblings = [o for o in rule.intents if isinstance(o, ProxyBufferingPolicy)]
        buffer_size = next((o.bufferSize for o in reversed(siblings) if o.bufferSize is not None), None)
        buffers_number = next((o.buffersNumber for o in reversed(siblings) if o.buffersNumber is not None), None)
        buffering: dict = {}
        caveats = []
        if intent.responseBuffering is not None:
            buffering["disable"] = not intent.responseBuffering
        if intent.bufferSize is not None or intent.buffersNumber is not None:
            # ingress-nginx writes proxy_buffers <number> <proxy-buffer-size>: the buffers follow the size,
            # which also keeps proxy_busy_buffers_size valid when only the size grows.
            size = self._size(DEFAULT_BUFFER_SIZE if buffer_size is None else buffer_size, caveats)
            number = DEFAULT_BUFFERS if buffers_number is None else buffers_number
            if size is None:
                return f"{buffer_size!r} is not an NGINX size NGF can hold"
            if not isinstance(number, int) or not 2 <= number <= 256:
                return f"ProxySettingsPolicy holds 2 to 256 buffers, not {number!r}"
            if intent.bufferSize is not None:
                buffering["bufferSize"] = size
            buffering["buffers"] = {"number": number, "size": size}
            missing = [k for k, v in (("proxy-buffer-size", buffer_size), ("proxy-buffers-number", buffers_number))
                       if v is None]
            if missing:
                caveats.append(f"proxy_buffers assumes the controller default of {' and '.join(missing)} "
                               f"({DEFAULT_BUFFERS} buffers of {DEFAULT_BUFFER_SIZE})")
        if intent.busyBuffersSize is not None:
            busy = self._size(intent.busyBuffersSize, caveats)
            if busy is None:
                return f"{intent.busyBuffersSize!r} is not an NGINX size NGF can hold"
            buffering["busyBuffersSize"] = busy
        if intent.requestBuffering is not None:
            why = "ProxySettingsPolicy has no request buffering (proxy_request_buffering) field"
            if not buffering:
                return why
            caveats.append(why)
        if not buffering:
            return "proxy-buffering without a setting NGF holds"
        self._caveat(intent, caveats)
        return [Piece.of(V1A1, "ProxySettingsPolicy", "route", {"buffering": buffering})]

    def _upstream_timeouts(self, intent: UpstreamTimeoutsPolicy, rule: RuleDraft):
        timeout: dict = {}
        caveats = []
        for param, text in (("connect", intent.connect), ("send", intent.send)):
            if text is None:
                continue
            value = self._duration(text, caveats)
            if value is None:
                return f"{param} timeout {text!r} is not a duration NGF can hold"
            timeout[param] = value
        if not timeout:
            return "upstream-timeouts without a timeout"
        self._caveat(intent, caveats)
        return [Piece.of(V1A1, "ProxySettingsPolicy", "route", {"timeout": timeout})]

    def _load_balancer(self, intent: LoadBalancerPolicy, rule: RuleDraft):
        caveats = []
        if intent.hashBy:
            key = str(intent.hashBy).strip()
            if not _HASH_KEY.match(key):
                return (f"NGF hashes on a single NGINX variable ($name); {key!r} is an expression "
                        "UpstreamSettingsPolicy.hashMethodKey cannot hold")
            # ingress-nginx hashes consistently (ketama), as NGINX's `hash ... consistent` does.
            spec = {"loadBalancingMethod": "hash consistent", "hashMethodKey": key}
            if intent.subset:
                caveats.append("hashing to a subset of endpoints (upstream-hash-by-subset) has no NGINX OSS "
                               "equivalent: every endpoint is in the ring")
        elif intent.algorithm:
            algo = str(intent.algorithm)
            if algo not in ALGORITHMS:
                return f"NGF has no load-balancing method for {algo!r}"
            method, caveat = ALGORITHMS[algo]
            spec = {"loadBalancingMethod": method}
            caveats.append(caveat)
        else:
            return "load-balancer without an algorithm or a hash key"
        self._caveat(intent, caveats)
        return [Piece.of(V1A1, "UpstreamSettingsPolicy", "service", spec)]

    def _basic_auth(self, intent: BasicAuthPolicy, rule: RuleDraft):
        if intent.type != "basic":
            return "NGF AuthenticationFilter has no digest authentication"
        name, why = secret_in_namespace(intent.secret, rule.origin.namespace, "basic-auth without a Secret",
                                        "AuthenticationFilter reads the Secret from its own namespace ({namespace}); "
                                        "{ref} is in another namespace")
        if name is None:
            return why
        secret_type = intent.secret_type or "auth-file"
        self._caveat(intent, [
            "NGF reads an htpasswd file from key 'auth' of a Secret of type nginx.org/htpasswd: "
            + ("recreate Secret " if secret_type == "auth-file" else "convert Secret ")
            + f"{rule.origin.namespace}/{name} with that type"
            + ("" if secret_type == "auth-file" else f" ({secret_type} → one htpasswd line per user)"),
            "" if not intent.header_field else
            f"NGF does not copy the user name into {intent.header_field}",
            "" if not intent.remove_header else
            "NGF forwards the Authorization header to the backend (Traefik removed it)",
        ])
        realm = str(intent.realm)  # ingress-nginx writes auth_basic "<realm>", "" by default
        return [Piece.of(V1A1, "AuthenticationFilter", RULE,
                         {"type": "Basic", "basic": {"realm": realm, "secretRef": {"name": name}}})]

    def _snippet(self, intent: SnippetPolicy, rule: RuleDraft):
        context = SNIPPET_CONTEXTS.get(str(intent.context))
        text = str(intent.text)
        if context is None or not text.strip():
            return "snippet without a known NGINX context or text"
        if intent.refused:
            return f"the source controller never ran this snippet ({intent.refused}); it is not carried over"
        if not self.opts.allow_snippets:
            return ("raw NGINX snippets are carried to an NGF SnippetsFilter only with --allow-snippets (review "
                    "the text first; NGF must run with snippets enabled)")
        foreign = sorted(set(m.group(1) for m in _FOREIGN.finditer(text)))
        if foreign:
            return (f"the snippet uses {', '.join(foreign)}, from NGINX modules NGF does not load; it would "
                    "break NGF's configuration reload")
        self._caveat(intent, ["raw NGINX configuration: NGF must run with snippets enabled, and a snippet that "
                              "does not load breaks the whole data-plane configuration; review it"
                              + (" (server context: it applies to every route of the host)"
                                 if context == "http.server" else "")])
        if context in ("main", "http"):
            return [Piece.of(V1A1, "SnippetsPolicy", "gateway", {"snippets": [{"context": context, "value": text}]})]
        return [Piece.of(V1A1, "SnippetsFilter", RULE, {"snippets": [{"context": context, "value": text}]})]

    # -- the read timeout: NGF ignores HTTPRoute timeouts, its ProxySettingsPolicy has proxy_read_timeout ----
    def pieces_for(self, rule: RuleDraft):
        if id(rule) in self._pieces:
            return self._pieces[id(rule)]
        held = super().pieces_for(rule)
        if rule.protocol != "grpc":
            for intent in rule.intents:
                if isinstance(intent, Timeouts) and self._claims(intent):
                    extra = self._read_timeout(intent)
                    if isinstance(extra, str):
                        continue  # standard rendering stands (NGF ignores it: see the docs)
                    held.pieces += extra
                    held.producers += [(p, intent) for p in extra]
                    held.answers.append((intent, policy(*(p.kind for p in extra)) if extra else exact()))
        return held

    @staticmethod
    def _claims(intent: Timeouts) -> bool:
        return claimable({"request": intent.request, "backendRequest": intent.backend_request})

    def _idle_timeout(self, intent: IdleTimeout, rule: RuleDraft):
        """ingress-nginx's proxy_read_timeout is NGF's: the same NGINX directive."""
        ms = duration_ms(intent.read)
        if ms is None or ngf_duration(ms) is None:
            return f"read timeout {intent.read!r} is not a duration NGF can hold"
        if not intent.written:
            if ms != DEFAULT_READ_MS:
                self.caveat(intent, "not written (--controller-defaults report): NGF's NGINX gives up after 60s "
                                    f"without data from the backend (its proxy_read_timeout default), the source "
                                    f"after {intent.read}", Dimension.TIMEOUT)
            return []
        self.ledger.void_caveat(intent)  # NGINX's own directive: what differs elsewhere does not hold here
        if ms == DEFAULT_READ_MS:
            return []  # NGF's proxy_read_timeout is already 60s
        caveats: list = []
        value = self._duration(intent.read, caveats)
        self._caveat(intent, caveats)
        return [Piece.of(V1A1, "ProxySettingsPolicy", "route", {"timeout": {"read": value}})]

    def _read_timeout(self, intent: Timeouts):
        ms = duration_ms(intent.backend_request)
        if ms is None or ngf_duration(ms) is None:
            return f"read timeout {intent.backend_request!r} is not a duration NGF can hold"
        caveats = ["NGF's proxy_read_timeout bounds each wait between two reads from the backend (the first one "
                   "included), not the whole response"]
        if ms == DEFAULT_READ_MS:
            self._caveat(intent, caveats)
            return []  # NGF's proxy_read_timeout is already 60s
        value = self._duration(intent.backend_request, caveats)
        self._caveat(intent, caveats)
        return [Piece.of(V1A1, "ProxySettingsPolicy", "route", {"timeout": {"read": value}})]

    # -- what NGF renders and refuses (read by ImplementationEmitter.render_policy) ----------------------
    families = {"body-size": _body_size, "rate-limit": _rate_limit, "proxy-buffering": _proxy_buffering,
                "upstream-timeouts": _upstream_timeouts, "load-balancer": _load_balancer,
                "basic-auth": _basic_auth, "snippet": _snippet}
    intents = {IdleTimeout: _idle_timeout}
    refused = {
        **REFUSED,
        SessionPersistence: "NGF v2.6.7 holds session persistence only in HTTPRoute sessionPersistence (experimental "
                            "channel, NGINX Plus); no policy carries it on this target",
        Retry: "NGF v2.6.7 does not support retries (neither HTTPRoute retry nor a policy)",
        ExternalAuth: "NGF v2.6.7 has no external-auth policy for this target (HTTPRoute ExternalAuth is experimental)",
        BackendTLS: "NGF verifies backends only through BackendTLSPolicy, which this Gateway API version lacks",
    }
