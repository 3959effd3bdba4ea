"""The kgateway emitter (``--emitter kgateway``): Gateway API plus kgateway v2.4.3 policies.

What Gateway API (at the targeted version/channel) cannot hold becomes (CRDs of ``gateway.kgateway.dev/
v1alpha1``, https://kgateway.dev/docs/envoy/latest/reference/api/):

- TrafficPolicy on the HTTPRoute: body size (buffer), local rate limits, response bandwidth, regex path
  rewrites, stream idle timeouts, retries, CORS, compression, tracing, IP allow/deny lists (acl), basic
  auth, and external auth through a GatewayExtension (type ExtAuth) the emitter writes next to it;
- BackendConfigPolicy on the Service: connect timeout, TLS to the backend (skip-verify, client certificate,
  versions, ciphers), load balancing and cookie/header/source-IP affinity (ring hash), concurrency caps;
- ListenerPolicy on one listener of the Gateway (``sectionName``): client certificate validation and the
  forwarded client certificate (HTTPListenerPolicy is deprecated in v2.4 in favour of ListenerPolicy);
- Backend (type Static) for auth services outside the cluster and for ``service-upstream`` (the Service's
  ClusterIP); ReferenceGrants for every cross-namespace reference the objects make.

kgateway applies a BackendTLSPolicy before BackendConfigPolicy.tls, so a Service that needs TLS settings
beyond BackendTLSPolicy gets all of its backend TLS from BackendConfigPolicy (and no BackendTLSPolicy). A
rule whose source did not verify the backend certificate (``BackendTLS.verify``), or that carries such
settings, renders its BackendTLS there itself (``insecureSkipVerify``), never as a BackendTLSPolicy.
Refusals name the missing field precisely (``REFUSED`` and the renderers' reasons).
"""

from __future__ import annotations

from ingress2gw.emitters.kgateway import backend as backend
from ingress2gw.emitters.kgateway import security as sec
from ingress2gw.emitters.kgateway import traffic as traffic
from ingress2gw.emitters.implementation import ImplementationEmitter, Piece
from ingress2gw.emitters.naming import section_name
from ingress2gw.emitters.standard import sort_key
from ingress2gw.model.ir import (
    CORS, BackendTLS, ExternalAuth, HeaderModifier, IdleTimeout, Intent, PolicyIntent, RequestMirror, Retry,
    RuleDraft, SessionPersistence, Timeouts,
)
from ingress2gw.model.policies import BackendTLSOptionsPolicy, ServersTransportPolicy

API = "gateway.kgateway.dev/v1alpha1"
KG_GROUP = "gateway.kgateway.dev"

#: Families kgateway v2.4.3 cannot hold at the source's scope, and why.
REFUSED = {
    "retry": "kgateway bounds each try (TrafficPolicy.retry.perTryTimeout) or the whole request (timeouts.request), "
             "never the time spent on further tries as proxy-next-upstream-timeout did; choose one by hand",
    "connection-limit": "kgateway has no per-client connection limit: BackendConfigPolicy.circuitBreakers."
                        "maxConnections caps the connections to the Service for every client together, and "
                        "ListenerPolicy has no connection limit",
    "circuit-breaker": "Traefik opens the circuit for the whole service when its expression holds; kgateway has "
                       "concurrency caps (BackendConfigPolicy.circuitBreakers) and per-endpoint ejection after "
                       "consecutive 5xx (outlierDetection), neither of which evaluates the expression",
    "error-pages": "kgateway v2.4.3 cannot replace upstream error responses: ListenerPolicy httpSettings."
                   "localReplies only rewrites replies Envoy generates itself, and DirectResponse answers a whole "
                   "route; keep the error pages in the backend",
    "waf": "kgateway has no WAF policy; run a WAF (e.g. Coraza) as an ext_proc service behind a GatewayExtension "
           "(type ExtProc) and port the rules by hand",
    "grpc-web": "kgateway v2.4.3 has no gRPC-Web setting in its policies",
    "encoded-characters": "kgateway v2.4.3 has no per-route setting for percent-encoded characters in paths",
}


class KgatewayEmitter(ImplementationEmitter):
    name = "kgateway"
    #: kgateway documents TCPRoute (and TLSRoute) among its L4 routes, not UDPRoute (docs/streams.md).
    stream_kinds = ("TCPRoute",)
    gateway_class_name = "kgateway"
    implementation_version = "v2.4.3"
    crd_bundle = "kgateway/v2.4.3"
    policy_api = API
    atomic_fields = frozenset({"tls", "loadBalancer", "acl", "extAuth"})
    api_groups = {KG_GROUP: "kgateway"}
    families = {
        "body-size": traffic.body_size, "client-body-buffer": traffic.client_body_buffer,
        "proxy-buffering": traffic.proxy_buffering, "regex-rewrite": traffic.regex_rewrite,
        "rate-limit": traffic.rate_limit, "bandwidth-limit": traffic.bandwidth_limit,
        "upstream-timeouts": traffic.upstream_timeouts, "compression": traffic.compression,
        "tracing": traffic.tracing, "access-log": traffic.access_log,
        "ip-allow": sec.ip_access, "ip-deny": sec.ip_access, "basic-auth": sec.basic_auth, "ext-auth": sec.ext_auth,
        "global-auth-opt-out": sec.global_auth_opt_out, "client-cert": sec.client_cert,
        "client-cert-forward": sec.client_cert_forward,
        "backend-tls": backend.backend_tls, "servers-transport": backend.servers_transport,
        "load-balancer": backend.load_balancing, "session-cookie": backend.load_balancing,
        "in-flight": backend.in_flight, "service-upstream": backend.service_upstream,
        "native-lb": backend.service_upstream,
    }
    intents = {Retry: traffic.retry, Timeouts: traffic.timeouts, IdleTimeout: traffic.idle_timeout,
               CORS: traffic.cors, ExternalAuth: sec.external_auth, SessionPersistence: backend.load_balancing,
               BackendTLS: backend.backend_tls}
    refused = REFUSED
    unknown_family = "kgateway {version} has no policy for {what}"

    def __init__(self, opts, report):
        super().__init__(opts, report)
        #: id(ExternalAuth) -> the ext-auth policy that stands for it (see security.absorb_external_auth).
        self._ext_auth: dict[int, PolicyIntent] = {}
        #: ids of the rules emitted on GRPCRoutes.
        self._grpc: set[int] = set()
        #: (kind, namespace, name) -> (spec, sources) of the objects that are not attached policies.
        self._extras: dict[tuple[str, str, str], tuple[dict, list[str]]] = {}
        #: id(ServiceBackend) -> name of the Backend that replaces it in backendRefs (service-upstream).
        self.cluster_ip: dict[int, str] = {}
        #: (namespace, Service) -> Backends standing in for it.
        self._stand_ins: dict[tuple[str, str], set[str]] = {}
        self._plan = None
        #: (gateway namespace, first Gateway name, listener) -> the Gateway that holds the listener.
        self._holder: dict[tuple[str, str, str], str] = {}
        #: (namespace, Service) -> the BackendTLS intents the HTTPRoute side rendered, with their rules.
        self._native_tls: dict[tuple[str, str], list[tuple[BackendTLS, RuleDraft]]] = {}

    # -- what the family renderers use ---------------------------------------------------------------------
    def withheld(self, intent, rule: RuleDraft) -> bool:
        """BackendTLS becomes BackendConfigPolicy.tls where a BackendTLSPolicy would not do what the source did
        (it always verifies) or would override the rule's other TLS settings (kgateway prefers it); a CA
        ConfigMap only a BackendTLSPolicy holds."""
        if not isinstance(intent, BackendTLS) or intent.ca_config_maps:
            return False
        return not intent.verify or any(
            isinstance(i, BackendTLSOptionsPolicy) or (isinstance(i, ServersTransportPolicy) and i.insecure_skip_verify)
            for i in rule.intents)

    def left(self, intent: Intent, rule: RuleDraft) -> bool:
        if self.on_grpc_route(rule):  # a GRPCRoute holds header modifiers and mirrors only
            return not isinstance(intent, (HeaderModifier, RequestMirror))
        return self.withheld(intent, rule) or any(i is intent for i, _ in self.native(rule).left)

    def on_grpc_route(self, rule: RuleDraft) -> bool:
        return id(rule) in self._grpc

    def extra(self, kind: str, namespace: str, name: str, spec: dict, rule: RuleDraft) -> str:
        """An object of ``kind`` that is not attached by targetRefs; the same name always has the same spec."""
        _, sources = self._extras.setdefault((kind, namespace, name), (spec, []))
        if rule.origin.key not in sources:
            sources.append(rule.origin.key)
        return name

    def service_piece(self, namespace: str, service: str, piece: Piece, rule: RuleDraft) -> None:
        """A piece for a Service the rule does not route to (an auth service reached over TLS)."""
        self.service_pieces.setdefault((namespace, service, piece.api_version, piece.kind, piece.key), []).append(
            (piece, rule))

    def stand_in(self, namespace: str, service: str, backend_name: str) -> None:
        self._stand_ins.setdefault((namespace, service), set()).add(backend_name)

    def https_section(self, host: str | None) -> str | None:
        """The HTTPS listener of a host on the Gateway being emitted (None when the host has none)."""
        if host is None:
            return None
        plan = self._plan
        if plan is not None:
            hp = plan.hosts.get(host)
            if hp is None or not hp.https_rules or host in plan.passthrough:
                return None
        return section_name("HTTPS", host)

    def gateway_namespace(self) -> str:
        return self._gateway[0] if self._gateway else self.opts.gateway_namespace

    def split_by_policy(self, drafts: list[RuleDraft]):
        for r in drafts:
            sec.absorb_external_auth(r, self._ext_auth)
        return super().split_by_policy(drafts)

    # -- GRPCRoutes: TrafficPolicy targets them too ------------------------------------------------------------
    def emit_grpc(self, out, ns, base, host, sections, drafts, gateway_of, gw_ns, gw_name, listener_ns,
                  listener_sources, *, http_too: bool) -> None:
        """gRPC rules are grouped by their route policies as HTTP rules are, one GRPCRoute per group, and the
        group's TrafficPolicy targets its GRPCRoutes."""
        self._grpc.update(id(r) for r in drafts)
        for suffix, group, pieces in self.split_by_policy(drafts):
            start = len(out)
            super().emit_grpc(out, ns, base + suffix, host, sections, group, gateway_of, gw_ns, gw_name, listener_ns,
                              listener_sources, http_too=http_too)
            for r in group:
                self.track_policies(r, only=lambda i, rule: not self.withheld(i, rule))  # the rest: just done
            names = [o["metadata"]["name"] for o in out[start:] if o["kind"] == "GRPCRoute"]
            if pieces:
                mark = len(out)
                self.attach_route_policies(out, ns, names, pieces, [r.origin.key for r in group])
                for obj in out[mark:]:
                    for ref in obj["spec"]["targetRefs"]:
                        ref["kind"] = "GRPCRoute"

    def grpc_policy_holds(self, rule: RuleDraft, intent) -> bool:
        return any(i is intent and not o.refused for i, o in self.pieces_for(rule).answers)

    # -- HTTPRoute backendRefs: service-upstream sends to a Backend ------------------------------------------
    def backend_refs(self, backends) -> list[dict]:
        refs = super().backend_refs(backends)
        for i, b in enumerate(backends):
            name = self.cluster_ip.get(id(b))
            if name is not None:
                ref = {"group": KG_GROUP, "kind": "Backend", "name": name}
                if "weight" in refs[i]:
                    ref["weight"] = refs[i]["weight"]
                refs[i] = ref
        return refs

    # -- objects ---------------------------------------------------------------------------------------------
    def emit_gateway(self, gp):
        self._plan = gp
        out = super().emit_gateway(gp)
        self._plan = None
        first = self._gateway
        for obj in out:
            if obj["kind"] == "Gateway" and first is not None:
                for lst in obj["spec"]["listeners"]:
                    self._holder[(*first, lst["name"])] = obj["metadata"]["name"]
        return out

    def hold_backend_tls(self, rule: RuleDraft, intent: BackendTLS) -> None:
        super().hold_backend_tls(rule, intent)
        for b in rule.backends:
            self._native_tls.setdefault((b.namespace, b.name), []).append((intent, rule))

    def backend_tls_policies(self) -> list[dict]:
        """kgateway applies a BackendTLSPolicy instead of BackendConfigPolicy.tls, so a Service whose TLS needs
        kgateway's fields gets all of it from BackendConfigPolicy: the other rules' BackendTLS to that Service
        joins the merge there (a difference is reported), and its BackendTLSPolicy is not written."""
        with_tls = {(ns, svc) for (ns, svc, _api, kind, _key), entries in self.service_pieces.items()
                    if kind == "BackendConfigPolicy" and any("tls" in p.fragment for p, _ in entries)}
        for ns, svc in sorted(with_tls):
            entries = self.service_pieces[(ns, svc, API, "BackendConfigPolicy", "")]
            covered = {id(r) for p, r in entries if "tls" in p.fragment}
            for intent, rule in self._native_tls.get((ns, svc), []):
                # The same check as its BackendTLSPolicy (system CAs, the hostname): its answer stands.
                self.also(intent, "BackendConfigPolicy")
                if id(rule) not in covered:
                    covered.add(id(rule))
                    entries.append((self.piece("BackendConfigPolicy", "service",
                                               {"tls": backend.verified_tls(intent.hostname)}), rule))
        every = self.backend_tls
        self.backend_tls = {k: v for k, v in every.items() if k not in with_tls}
        try:
            return super().backend_tls_policies()
        finally:
            self.backend_tls = every

    def service_policies(self) -> list[dict]:
        out = super().service_policies()
        for obj in out:
            ns, target = obj["metadata"]["namespace"], obj["spec"]["targetRefs"][0]
            for name in sorted(self._stand_ins.get((ns, target["name"]), ())):
                obj["spec"]["targetRefs"].append({"group": KG_GROUP, "kind": "Backend", "name": name})
        return out

    def gateway_policies(self) -> list[dict]:
        """ListenerPolicies: Gateway-wide pieces (key "") on every Gateway of the class, and per-listener pieces
        (key = listener name) on the Gateway that holds the listener. A listener's policy repeats the
        Gateway-wide fields, so it holds everything whichever of the two kgateway prefers for that listener."""
        return self.listener_gateway_policies(
            lambda ns, name: sorted({h for (h_ns, first, _l), h in self._holder.items() if (h_ns, first) == (ns, name)}
                                    or {name}),
            lambda ns, name, key: (self._holder.get((ns, name, key), name), key), self.atomic_fields)

    def emit(self, plans):
        objects = super().emit(plans)
        objects += [self.own_object(kind, name, ns, spec, sources)
                    for (kind, ns, name), (spec, sources) in sorted(self._extras.items())]
        objects += self.reference_grants(objects, _references, "kgateway objects")
        objects.sort(key=sort_key)
        return objects


def _references(kind: str, spec: dict):
    """(kind, ref) for the core objects a kgateway object points at."""
    if kind == "TrafficPolicy" and "secretRef" in spec.get("basicAuth", {}):
        yield "Secret", spec["basicAuth"]["secretRef"]
    elif kind == "GatewayExtension":
        for svc in ("httpService", "grpcService"):
            ref = spec.get("extAuth", {}).get(svc, {}).get("backendRef")
            if ref and ref.get("kind", "Service") == "Service" and not ref.get("group"):
                yield "Service", ref
    elif kind == "ListenerPolicy":
        for ref in spec.get("default", {}).get("clientCertificateValidation", {}).get("caCertificateRefs", []):
            yield ref.get("kind", "Secret"), ref
