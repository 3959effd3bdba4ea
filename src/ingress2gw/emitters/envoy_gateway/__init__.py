"""The Envoy Gateway emitter (``--emitter envoy-gateway``): Gateway API plus Envoy Gateway v1.9 policies.

What Gateway API (at the targeted version/channel) cannot hold becomes, per docs/emitters/envoy-gateway.md:

- BackendTrafficPolicy on the route: timeouts (the read timeout as the stream idle timeout), retries, local
  rate limits, load balancing and cookie affinity (consistent hash), request body limits, compression, error
  pages (responseOverride);
- SecurityPolicy on the route: CORS, basic auth, external auth, IP allow/deny lists (authorization);
- ClientTrafficPolicy on the Gateway for what the source set controller-wide (client IP from
  X-Forwarded-For or the PROXY protocol), and on a host's HTTPS listener for client certificates;
- HTTPRouteFilter referenced from the rule by an ExtensionRef filter: regex path rewrites;
- Backend for auth services reached over TLS or outside the cluster; ReferenceGrants for every
  cross-namespace reference the policies make.

Envoy Gateway's policies cannot target a Service, so nothing attaches at the ``service`` scope.
https://gateway.envoyproxy.io/v1.9/concepts/gateway_api_extensions/
"""

from __future__ import annotations

import json

from ingress2gw.emitters.envoy_gateway import security as sec
from ingress2gw.emitters.envoy_gateway import traffic as traffic
from ingress2gw.emitters.implementation import ImplementationEmitter
from ingress2gw.emitters.naming import dns_subdomain, fit, short_hash
from ingress2gw.emitters.standard import sort_key
from ingress2gw.model.ir import (
    CORS, BackendTLS, ExternalAuth, IdleTimeout, Intent, PolicyIntent, Retry, RuleDraft, SessionPersistence,
    Timeouts,
)

API = "gateway.envoyproxy.io/v1alpha1"
EG_GROUP = sec.EG_GROUP

_BACKEND_REF = "needs an Envoy Gateway Backend in place of the Service backendRef, which this emitter does not write"
#: Families Envoy Gateway v1.9 cannot hold at the source's scope, and why.
REFUSED = {
    "connection-limit": "Envoy Gateway limits connections per listener (ClientTrafficPolicy.connection."
                        "connectionLimit, all clients together) or per backend, never per client IP",
    "in-flight": "Envoy Gateway limits concurrent requests per backend (BackendTrafficPolicy.circuitBreaker."
                 "maxParallelRequests, all clients together), not per client",
    "bandwidth-limit": "Envoy's bandwidth limit is one token bucket shared by every request of the route, not a "
                       "per-connection rate as nginx's limit-rate",
    "client-body-buffer": "Envoy has no per-route request body buffer size; ClientTrafficPolicy.connection."
                          "bufferLimit is a per-connection limit for a whole Gateway, wider than this Ingress",
    "circuit-breaker": "Traefik opens the circuit for the whole service when its expression holds; Envoy Gateway "
                       "has per-endpoint outlier detection (BackendTrafficPolicy.healthCheck.passive) and "
                       "concurrency thresholds (circuitBreaker), which cannot evaluate the expression",
    "backend-tls": "TLS settings towards one Service beyond BackendTLSPolicy (client certificate, ciphers, "
                   "versions) " + _BACKEND_REF,
    "service-upstream": "sending traffic to the Service ClusterIP " + _BACKEND_REF,
    "native-lb": "sending traffic to the Service ClusterIP " + _BACKEND_REF,
    "encoded-characters": "Envoy Gateway decides on encoded slashes per Gateway (ClientTrafficPolicy.path."
                          "escapedSlashesAction), wider than this route, and has no switch for the other characters",
    "client-cert-forward": "Envoy Gateway forwards client certificates per listener (ClientTrafficPolicy.headers."
                           "xForwardedClientCert), wider than this route",
    "grpc-web": "Envoy Gateway enables gRPC-Web per listener for HTTPRoutes (ClientTrafficPolicy.grpc.enableWeb), "
                "wider than this route (GRPCRoute rules get it by default)",
    "access-log": "Envoy Gateway configures access logs in the EnvoyProxy resource for every route of the "
                  "Gateway; excluding one route needs a CEL match there",
    "tracing": "Envoy Gateway traces only with a provider in the EnvoyProxy resource; the per-route sampling "
               "(BackendTrafficPolicy.telemetry.tracing) cannot be derived from the controller's sampler",
    "waf": "Envoy Gateway has no WAF policy; run Coraza as a Wasm extension (EnvoyExtensionPolicy) by hand",
    "global-auth-opt-out": "the controller-wide global-auth-url is not translated to a Gateway SecurityPolicy, so "
                           "there is nothing to opt out of; if you add one, give this route a SecurityPolicy "
                           "without extAuth",
}


class EnvoyGatewayEmitter(ImplementationEmitter):
    name = "envoy-gateway"
    gateway_class_name = "eg"
    implementation_version = "v1.9.0"
    crd_bundle = "envoy-gateway/v1.9.0"
    policy_api = API
    #: One-of fields (a load-balancer type, HTTP or gRPC ext auth, the client IP source, a certificate mode)
    #: merge whole: two sources that disagree are reported, never blended.
    atomic_fields = frozenset({"loadBalancer", "extAuth", "clientIPDetection", "clientValidation"})
    api_groups = {EG_GROUP: "envoy-gateway"}
    families = {
        "rate-limit": traffic.rate_limit, "body-size": traffic.body_size,
        "upstream-timeouts": traffic.upstream_timeouts, "retry": traffic.retry_budget,
        "load-balancer": traffic.load_balancer, "session-cookie": traffic.session_cookie,
        "compression": traffic.compression, "error-pages": traffic.error_pages,
        "regex-rewrite": traffic.regex_rewrite, "servers-transport": traffic.servers_transport,
        "proxy-buffering": traffic.proxy_buffering,
        "ip-allow": sec.ip_access, "ip-deny": sec.ip_access, "basic-auth": sec.basic_auth, "ext-auth": sec.ext_auth,
        "client-cert": sec.client_cert,
    }
    intents = {Retry: traffic.retry, Timeouts: traffic.timeouts, IdleTimeout: traffic.idle_timeout,
               SessionPersistence: traffic.session_persistence, CORS: sec.cors, ExternalAuth: sec.external_auth}
    refused = {**REFUSED, BackendTLS: "BackendTLSPolicy is missing from the target Gateway API version; TLS to the "
                                      "Service " + _BACKEND_REF}
    unknown_family = "Envoy Gateway {version} has no policy for {what}"
    unknown_intent = "Envoy Gateway has no policy for {what}"
    skip_verify_advice = ("; Envoy Gateway skips verification only on a Backend (tls.insecureSkipVerify) that "
                          "replaces the Service in the route's backendRefs, which this emitter does not write")

    def __init__(self, opts, report):
        super().__init__(opts, report)
        self._filters: dict[tuple[str, str], tuple[dict, list[str]]] = {}
        self._backends: dict[tuple[str, str], tuple[dict, list[str]]] = {}

    # -- what the family renderers use -------------------------------------------------------------------
    def left(self, intent: Intent, rule: RuleDraft) -> bool:
        return any(i is intent for i, _ in self.native(rule).left)

    def rendered_natively(self, rule: RuleDraft, kind: type) -> bool:
        return any(isinstance(i, kind) for i in self.native(rule).used)

    def client_ip(self, intent: PolicyIntent, rule: RuleDraft):
        return sec.client_ip(self, intent, rule)

    def backend_object(self, rule: RuleDraft, host: str, port: int, spec: dict) -> str:
        """A Backend in the rule's namespace (one per host, port and TLS); returns its name."""
        name = dns_subdomain(f"{host}-{port}" + ("-tls" if "tls" in spec else ""))
        known = self._backends.get((rule.origin.namespace, name))
        if known is not None and known[0] != spec:  # same host, other TLS settings: another Backend
            name = fit(f"{name}--{short_hash(json.dumps(spec, sort_keys=True))}")
        _, sources = self._backends.setdefault((rule.origin.namespace, name), (spec, []))
        if rule.origin.key not in sources:
            sources.append(rule.origin.key)
        return name

    # -- rule filters: an ExtensionRef to an HTTPRouteFilter -------------------------------------------------
    def track(self, rule: RuleDraft, rendered) -> None:
        super().track(rule, rendered)
        # Pieces of scope "rule" are referenced from the rule itself. rules() builds the rule's filter list
        # from ``rendered.filters`` right after this call (NEEDED: a base hook for ExtensionRef filters).
        for p in self.pieces_for(rule).pieces:
            if p.scope != "rule":
                continue
            what = "rewrite" if "urlRewrite" in p.fragment else "filter"
            name = fit(f"{rule.origin.name}--{what}-{short_hash(p.spec)}")
            ref = {"type": "ExtensionRef", "extensionRef": {"group": EG_GROUP, "kind": p.kind, "name": name}}
            if ref not in rendered.filters:
                rendered.filters.append(ref)
            _, sources = self._filters.setdefault((rule.origin.namespace, name), (p.fragment, []))
            if rule.origin.key not in sources:
                sources.append(rule.origin.key)

    # -- objects ---------------------------------------------------------------------------------------------
    def emit(self, plans):
        objects = super().emit(plans)
        for kind, table in (("HTTPRouteFilter", self._filters), ("Backend", self._backends)):
            objects += [self.own_object(kind, name, ns, spec, sources)
                        for (ns, name), (spec, sources) in sorted(table.items())]
        objects += self.reference_grants(objects, _references, "Envoy Gateway policies")
        objects.sort(key=sort_key)
        return objects

    def gateway_policies(self) -> list[dict]:
        """Gateway-wide pieces, and per-listener ones (key ``listener-<section>``) that repeat the
        Gateway-wide fields: Envoy Gateway applies only the most specific ClientTrafficPolicy."""
        return self.listener_gateway_policies(lambda ns, name: [name],
                                              lambda ns, name, key: (name, key.removeprefix("listener-")))


def _references(kind: str, spec: dict):
    """(kind, ref) for the core objects a policy spec points at."""
    if kind == "SecurityPolicy":
        if "basicAuth" in spec:
            yield "Secret", spec["basicAuth"]["users"]
        for proto in ("http", "grpc"):
            for ref in spec.get("extAuth", {}).get(proto, {}).get("backendRefs", []):
                if ref.get("kind", "Service") == "Service" and not ref.get("group"):
                    yield "Service", ref
    elif kind == "ClientTrafficPolicy":
        for ref in spec.get("tls", {}).get("clientValidation", {}).get("caCertificateRefs", []):
            yield ref.get("kind", "Secret"), ref
