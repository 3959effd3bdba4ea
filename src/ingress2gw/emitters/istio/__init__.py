"""Istio (1.30.3): Gateway API plus ``security.istio.io`` and ``networking.istio.io`` objects.

- ``ip-allow`` / ``ip-deny`` → AuthorizationPolicy (``security.istio.io/v1``) attached to the Gateway with
  ``targetRefs`` and action **DENY**, one rule per route rule, scoped with ``to[].operation`` (hosts,
  paths, notPaths) and ``when`` (header matches) to exactly the requests that rule receives. An
  allow-list is a DENY of every address *outside* the list (``notIpBlocks``): an ALLOW policy on the
  Gateway would deny every request it does not match, on every host of the Gateway.
- Backend settings → DestinationRule (``networking.istio.io/v1``) for ``<svc>.<ns>.svc.cluster.local``
  in the Gateway's namespace, with a ``workloadSelector`` on the Gateway's pods, so that traffic of
  the mesh's sidecars to the Service is not affected: load balancing and consistent hashing,
  session cookies (``SessionPersistence`` when the target has no route field), backend TLS without
  verification or with a client certificate, connect timeouts, outlier detection. A BackendTLS whose
  source did not verify the certificate (``BackendTLS.verify``), or whose client certificate the
  DestinationRule holds, is rendered there (``insecureSkipVerify``, ``credentialName``), never as a
  BackendTLSPolicy (which always verifies, against the system CAs), for HTTP and gRPC rules alike.
- RequestAuthentication: no source setting validates JWTs, so none is written.

A DestinationRule is per Service; settings that the source made per Ingress (connect timeout, sticky
sessions) are only written when every route of the Gateway to that Service carries the same setting,
and refused otherwise.
"""

from __future__ import annotations

import hashlib
import json
import re

from ingress2gw.emitters.implementation import ImplementationEmitter, Piece
from ingress2gw.emitters.istio.authz import AuthorizationScoping
from ingress2gw.emitters.istio.destination import PER_ROUTE, DestinationRules
from ingress2gw.emitters.nginx_gateway_fabric.values import duration_ms
from ingress2gw.emitters.render import needs
from ingress2gw.model.outcome import Dimension
from ingress2gw.model.ir import (
    BackendTLS, ExternalAuth, IdleTimeout, Intent, Retry, RuleDraft, SessionPersistence,
)
from ingress2gw.model.policies import (
    BackendTLSOptionsPolicy, CircuitBreakerPolicy, IPListPolicy, LoadBalancerPolicy, ServersTransportPolicy,
    SessionCookiePolicy, UpstreamTimeoutsPolicy,
)

SECURITY = "security.istio.io/v1"
NETWORKING = "networking.istio.io/v1"
DEFAULT_COOKIE = "ingress2gw-sticky"
_RATIO = re.compile(r"^\s*(NetworkErrorRatio\(\)|ResponseCodeRatio\(\s*500\s*,\s*600\s*,\s*0\s*,\s*600\s*\))\s*>=?\s*"
                    r"(0?\.[0-9]+|[01](\.0*)?)\s*$")

SIMPLE_LB = {
    "round_robin": ("ROUND_ROBIN", ""),
    "ewma": ("LEAST_REQUEST", "ingress-nginx's EWMA picks the endpoint with the lowest recent latency; Istio's "
                              "LEAST_REQUEST (fewest active requests) is the closest"),
    "least_request": ("LEAST_REQUEST", ""), "least_conn": ("LEAST_REQUEST", ""), "random": ("RANDOM", ""),
}
_PER_CLIENT = ("DestinationRule connectionPool caps the gateway's connections/requests to each backend endpoint, "
               "summed over every client and every route to the Service; the source limited each client")
REFUSED = {
    "body-size": "Istio has no request body limit (only an EnvoyFilter, which ingress2gw does not write)",
    "client-body-buffer": "Istio has no request body buffer setting",
    "proxy-buffering": "Istio has no buffering setting (Envoy streams requests and responses)",
    "rate-limit": "Istio has no rate-limit API (only an EnvoyFilter with Envoy's local_ratelimit, which "
                  "ingress2gw does not write)",
    "connection-limit": _PER_CLIENT + " IP: that would be wider than the source",
    "in-flight": _PER_CLIENT + ": that would be wider than the source",
    "bandwidth-limit": "Istio has no bandwidth limit",
    "basic-auth": "Istio has no HTTP basic authentication (only an external authorizer, AuthorizationPolicy "
                  "action CUSTOM)",
    "ext-auth": "Istio external authorization (AuthorizationPolicy action CUSTOM) needs an extensionProviders "
                "entry in the mesh config, which ingress2gw does not write",
    "service-upstream": "Istio always balances over the Service's endpoints; it has no ClusterIP mode",
    "native-lb": "Istio always balances over the Service's endpoints; it has no ClusterIP mode",
    "regex-rewrite": "Istio's HTTPRoute support has no regex rewrite",
    "error-pages": "Istio has no error-page replacement",
    "compression": "Istio has no response compression setting (only an EnvoyFilter)",
    "retry": "Istio's DestinationRule retryBudget is a share of active requests, not a time budget",
    "client-cert": "Istio verifies client certificates per Gateway listener (TLS mode MUTUAL), not per host policy",
    "client-cert-forward": "Istio forwards client certificate details only in X-Forwarded-Client-Cert, set for "
                           "the whole gateway",
    "access-log": "Istio switches access logs with the Telemetry API, which this emitter does not write",
    "tracing": "Istio configures tracing with the Telemetry API, which this emitter does not write",
    "waf": "Istio has no web application firewall",
    "grpc-web": "Istio has no per-route gRPC-Web setting",
    "encoded-characters": "Istio normalises paths mesh-wide (meshConfig pathNormalization), not per route",
    "global-auth-opt-out": "Istio has no controller-wide external auth to opt out of",
}


def istio_duration(ms: int) -> str:
    return f"{ms // 1000}s" if ms % 1000 == 0 else f"{ms}ms"


def _digest(obj) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True).encode()).hexdigest()[:6]


class IstioEmitter(AuthorizationScoping, DestinationRules, ImplementationEmitter):
    name = "istio"
    #: Istio serves TCPRoute (experimental channel CRDs); it has no UDP listeners (docs/streams.md).
    stream_kinds = ("TCPRoute",)
    gateway_class_name = "istio"
    implementation_version = "1.30.3"
    crd_bundle = "istio/1.30.3"
    api_groups = {"security.istio.io": "istio", "networking.istio.io": "istio", "telemetry.istio.io": "istio",
                  "extensions.istio.io": "istio"}

    def __init__(self, opts, report):
        super().__init__(opts, report)
        self._plans: dict[tuple[str, str], object] = {}
        self._gateway_names: dict[tuple[str, str], list[str]] = {}
        self._rule_gw: dict[int, tuple[str, str]] = {}

    # -- intents → pieces (the tables at the end of the class) ---------------------------------------
    def _idle_timeout(self, intent: IdleTimeout, rule: RuleDraft):
        if not intent.written:
            # One difference: caveat() would split a text at "; ".
            self.caveat(intent, "not written (--controller-defaults report): Istio sets no route timeout, so nothing "
                                "bounds the whole response, as in the source, but nothing ends a response whose "
                                f"backend stays silent for {intent.read} either, where the source gave up (Istio has "
                                "no per-route idle timeout)", Dimension.TIMEOUT)
            return []
        return ("Istio has no per-route idle timeout (DestinationRule connectionPool.http.idleTimeout closes pooled "
                "connections without requests, it does not end a silent response)")

    def _caveat(self, intent: Intent, texts) -> None:
        for t in texts:
            if t:
                self.caveat(intent, t)

    # AuthorizationPolicy --------------------------------------------------------------------------
    def _ip_list(self, intent: IPListPolicy, rule: RuleDraft):
        cidrs = list(intent.cidrs or ())
        if not cidrs:
            return "an IP list without addresses"
        if rule.match.path.type == "RegularExpression":
            return (f"Istio authorization matches paths exactly or by prefix, never by regular expression: the "
                    f"rule's path {rule.match.path.value} cannot be scoped")
        if "*" in rule.match.path.value:
            return f"the path {rule.match.path.value} contains '*', a wildcard in Istio authorization paths"
        allow = intent.family == "ip-allow"
        client = intent.client_ip or "tcp-peer"
        field = "ipBlocks" if client == "tcp-peer" else "remoteIpBlocks"
        field = "not" + field[0].upper() + field[1:] if allow else field
        source = {field: cidrs}
        status = intent.status
        self._caveat(intent, [
            "" if client == "tcp-peer" else
            f"the source read the client address from {client}: Istio's remoteIpBlocks sees it only when the "
            "gateway trusts that many proxies (meshConfig gatewayTopology.numTrustedProxies, or the "
            "proxy.istio.io/config annotation on the Gateway) or accepts the PROXY protocol",
            "" if not intent.xff_depth else
            f"Traefik took the address at X-Forwarded-For depth {intent.xff_depth}: set numTrustedProxies "
            "so Istio picks the same one",
            "" if not intent.excluded_ips else
            f"Traefik skipped the proxies {', '.join(intent.excluded_ips)} in X-Forwarded-For; Istio counts "
            "hops instead",
            "" if status in (None, 403) else f"Istio answers 403, the source answered {status}",
        ])
        key = f"{intent.family}-{_digest(source)}"
        return [Piece.of(SECURITY, "AuthorizationPolicy", "gateway", {"action": "DENY", "source": source}, key=key)]

    # DestinationRule ---------------------------------------------------------------------------------
    @staticmethod
    def _dr(traffic_policy: dict, key: str = "") -> list[Piece]:
        return [Piece.of(NETWORKING, "DestinationRule", "service", {"trafficPolicy": traffic_policy}, key=key)]

    def _load_balancer(self, intent: LoadBalancerPolicy, rule: RuleDraft):
        if intent.hashBy:
            kind, name = intent.hashKind, intent.hashName
            ch = {"sourceIP": {"useSourceIp": True}, "header": {"httpHeaderName": name},
                  "cookie": {"httpCookie": {"name": name}}, "query": {"httpQueryParameterName": name}}.get(kind)
            if ch is None or (kind != "sourceIP" and not name):
                return (f"Istio hashes on the source address, a header, a cookie or a query parameter; "
                        f"{intent.hashBy!r} is none of them")
            self._caveat(intent, ["hashing to a subset of endpoints has no Istio equivalent: every endpoint is in "
                                  "the ring" if intent.subset else ""])
            return self._dr({"loadBalancer": {"consistentHash": ch}})
        algo = str(intent.algorithm or "")
        if algo not in SIMPLE_LB:
            return f"Istio has no load-balancing algorithm for {algo!r}"
        simple, caveat = SIMPLE_LB[algo]
        self._caveat(intent, [caveat])
        return self._dr({"loadBalancer": {"simple": simple}})

    def _cookie_name(self, sp: SessionPersistence) -> str:
        return sp.session_name or DEFAULT_COOKIE

    def _session_persistence(self, intent: SessionPersistence, rule: RuleDraft):
        if intent.type != "Cookie":
            return "Istio's consistent hashing reads a header the client sends; it cannot issue a session header"
        cookie: dict = {"name": self._cookie_name(intent)}
        ms = duration_ms(intent.absolute_timeout) if intent.absolute_timeout else None
        cookie["ttl"] = istio_duration(ms) if ms else "0s"  # Envoy: a zero TTL issues a session cookie
        self._caveat(intent, [
            "" if intent.session_name else f"the source named no cookie; Istio's is called {DEFAULT_COOKIE}",
            "" if ms or intent.lifetime != "Permanent" else "a permanent cookie without a lifetime becomes a "
                                                            "session cookie",
            "Istio pins clients by hashing the cookie onto a ring of endpoints (consistent hashing), not to one "
            "recorded endpoint",
        ])
        return self._dr({"loadBalancer": {"consistentHash": {"httpCookie": cookie}}}, key=PER_ROUTE)

    def _session_cookie(self, intent: SessionCookiePolicy, rule: RuleDraft):
        sp = next((i for i in rule.intents if isinstance(i, SessionPersistence)), None)
        if sp is None:
            return "cookie attributes without a sticky-session cookie on the rule"
        if needs(self.t, None, "1.2") is None:
            return ("the route's sessionPersistence holds the cookie on this target and has no field for its "
                    "attributes; a DestinationRule cookie would compete with it")
        cookie: dict = {"name": self._cookie_name(sp)}
        attributes = []
        if intent.path:
            cookie["path"] = str(intent.path)
        if intent.domain:
            attributes.append({"name": "Domain", "value": str(intent.domain)})
        if intent.sameSite:
            attributes.append({"name": "SameSite", "value": str(intent.sameSite)})
        if intent.secure is True:
            attributes.append({"name": "Secure"})
        if intent.httpOnly is True:
            attributes.append({"name": "HttpOnly"})
        if attributes:
            cookie["attributes"] = attributes
        if len(cookie) == 1:
            return "no cookie attribute Istio sets (Secure/HttpOnly false are Envoy's defaults)"
        return self._dr({"loadBalancer": {"consistentHash": {"httpCookie": cookie}}}, key=PER_ROUTE)

    def _upstream_timeouts(self, intent: UpstreamTimeoutsPolicy, rule: RuleDraft):
        if intent.connect is None:
            return "Istio has no idle timeout between two writes to the backend (proxy-send-timeout)"
        ms = duration_ms(intent.connect)
        if not ms:
            return f"connect timeout {intent.connect!r} is not a duration Istio accepts (>= 1ms)"
        self._caveat(intent, ["Istio has no idle timeout between two writes to the backend: the send timeout "
                              "was dropped" if intent.send else ""])
        return self._dr({"connectionPool": {"tcp": {"connectTimeout": istio_duration(ms)}}}, key=PER_ROUTE)

    def _tls_of(self, rule: RuleDraft) -> BackendTLS | None:
        return next((i for i in rule.intents if isinstance(i, BackendTLS)), None)

    def withheld(self, intent, rule: RuleDraft) -> bool:
        """The DestinationRule renders a BackendTLS the BackendTLSPolicy would render differently: one the
        source did not verify, or one whose client certificate the DestinationRule holds (MUTUAL)."""
        if not isinstance(intent, BackendTLS) or intent.ca_config_maps:
            return False
        if not intent.verify:
            return True
        tls = self._tls_settings(rule)
        return isinstance(tls, dict) and tls.get("mode") == "MUTUAL"

    def _tls_settings(self, rule: RuleDraft, client: bool = True) -> dict | str:
        """The DestinationRule TLS of a rule's backend, from its BackendTLS intent (hostname) and its
        backend-tls params; every intent of the rule renders the same block, so the pieces merge."""
        tls_intent = self._tls_of(rule)
        params: dict = {}  # the last value each backend-tls intent of the rule set
        for other in rule.intents:
            if isinstance(other, BackendTLSOptionsPolicy) and other.clientSecret is not None:
                params["clientSecret"] = other.clientSecret
        tls: dict = {"mode": "SIMPLE"}
        if tls_intent is not None:
            tls["sni"] = tls_intent.hostname
        if client and params.get("clientSecret"):
            ns, _, name = str(params["clientSecret"]).rpartition("/")
            gw_ns = self._gateway[0] if self._gateway else ns
            if ns != gw_ns:
                return (f"Istio reads the client certificate (credentialName) from the gateway's namespace {gw_ns}; "
                        f"Secret {ns}/{name} would have to be copied there")
            tls.update({"mode": "MUTUAL", "credentialName": name})
        if tls_intent is not None and not tls_intent.verify:
            tls["insecureSkipVerify"] = True
        elif tls_intent is not None:
            tls["subjectAltNames"] = [tls_intent.hostname]  # what BackendTLSPolicy validation.hostname checks
        return tls

    def _backend_tls(self, intent: BackendTLSOptionsPolicy, rule: RuleDraft):
        # The provider writes backend-tls only next to TLS towards the backend (its BackendTLS intent).
        if not intent.clientSecret:
            return "Istio's DestinationRule TLS has no cipher or protocol-version setting towards backends"
        tls = self._tls_settings(rule)
        if isinstance(tls, str):
            return tls
        self._caveat(intent, [
            "" if not (intent.ciphers or intent.protocols) else
            "Istio's DestinationRule TLS has no cipher or protocol-version setting: those were dropped",
        ])
        return self._dr({"tls": tls}, key=PER_ROUTE)  # nginx verified per location

    def _backend_tls_intent(self, intent: BackendTLS, rule: RuleDraft):
        """BackendTLS the DestinationRule renders (``withheld``), or any where the target has no BackendTLSPolicy
        (Gateway API < 1.4 on the standard channel)."""
        if intent.ca_config_maps:
            return (f"Istio's DestinationRule reads CA certificates from a Secret (credentialName), not from "
                    f"ConfigMap {', '.join(intent.ca_config_maps)}")
        tls = self._tls_settings(rule)
        if isinstance(tls, str):
            tls = self._tls_settings(rule, client=False)  # the client certificate is refused on its own
        if intent.verify and intent.ca_secret and tls.get("credentialName") != intent.ca_secret.rpartition("/")[2]:
            self.caveat(intent, f"Istio verifies the backend certificate against the gateway proxy's system CAs, where "
                                f"the source verified it against ca.crt of Secret {intent.ca_secret}: certificates "
                                "from that CA now fail", Dimension.BACKEND_TLS)
        return self._dr({"tls": tls}, key=PER_ROUTE)  # nginx verified per location

    def _servers_transport(self, intent: ServersTransportPolicy, rule: RuleDraft):
        policy: dict = {}
        notes = []
        if intent.insecure_skip_verify:
            tls_intent = self._tls_of(rule)
            if tls_intent is None:
                notes.append("insecureSkipVerify had no effect: the backend is not reached over TLS")
            else:
                policy["tls"] = {"mode": "SIMPLE", "sni": tls_intent.hostname, "insecureSkipVerify": True}
        if intent.dial_timeout:
            ms = duration_ms(intent.dial_timeout)
            if not ms:
                return f"dialTimeout {intent.dial_timeout!r} is not a duration Istio accepts"
            policy["connectionPool"] = {"tcp": {"connectTimeout": istio_duration(ms)}}
        if not policy:
            return "; ".join(notes) or "ServersTransport without a setting Istio holds"
        self._caveat(intent, notes)
        return self._dr(policy)

    def _circuit_breaker(self, intent: CircuitBreakerPolicy, rule: RuleDraft):
        expr = str(intent.expression)
        m = _RATIO.match(expr)
        if not m:
            return (f"Istio ejects endpoints after consecutive errors; {expr!r} (latency, request counts or "
                    "combined conditions) has no equivalent")
        field = "consecutiveGatewayErrors" if m.group(1).startswith("Network") else "consecutive5xxErrors"
        detection: dict = {field: 5, "maxEjectionPercent": 100}
        for param, value, target, default in (("check_period", intent.check_period, "interval", "100ms"),
                                              ("fallback_duration", intent.fallback_duration, "baseEjectionTime",
                                               "10s")):
            ms = duration_ms(value or default)
            if not ms:
                return f"{param} {value!r} is not a duration Istio accepts"
            detection[target] = istio_duration(ms)
        self._caveat(intent, [
            f"approximation: Traefik opened the breaker for the whole router when {m.group(1)} over the check period "
            f"exceeded {m.group(2)} and answered {intent.response_code or 503}; Istio ejects each endpoint "
            f"after 5 consecutive {'gateway errors' if field.startswith('consecutiveG') else '5xx responses'} for "
            "baseEjectionTime (every endpoint may be ejected); tune the count to your error rates",
        ])
        return self._dr({"outlierDetection": detection})

    # -- what Istio renders and refuses (read by ImplementationEmitter.render_policy) --------------------
    families = {"ip-allow": _ip_list, "ip-deny": _ip_list, "load-balancer": _load_balancer,
                "session-cookie": _session_cookie, "upstream-timeouts": _upstream_timeouts,
                "backend-tls": _backend_tls, "servers-transport": _servers_transport,
                "circuit-breaker": _circuit_breaker}
    intents = {SessionPersistence: _session_persistence, IdleTimeout: _idle_timeout, BackendTLS: _backend_tls_intent}
    refused = {
        **REFUSED,
        Retry: "Istio retries are HTTPRoute retry (experimental channel); no Istio policy holds them here",
        ExternalAuth: "Istio external authorization needs an extensionProviders entry in the mesh config "
                      "(AuthorizationPolicy action CUSTOM), which ingress2gw does not write",
    }

    # -- bookkeeping during emission ------------------------------------------------------------------
    def emit_gateway(self, gp):
        out = super().emit_gateway(gp)
        self._plans[self._gateway] = gp
        names = sorted(o["metadata"]["name"] for o in out if o["kind"] == "Gateway")
        self._gateway_names[self._gateway] = names or [self._gateway[1]]
        return out

    def track_policies(self, rule: RuleDraft, only=None) -> None:
        # DestinationRules are per Gateway: the Gateway of every rule (HTTP or gRPC) whose pieces are filed.
        if self._gateway is not None:
            self._rule_gw[id(rule)] = self._gateway
        super().track_policies(rule, only)

    def _refuse(self, entries, reason: str) -> None:
        """Take back intents whose pieces could not be written exactly."""
        for piece, rule in entries:
            for intent in self.producers(rule, piece):
                self.take_back(intent, reason)
