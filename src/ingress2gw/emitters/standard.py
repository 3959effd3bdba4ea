"""The standard emitter: Gateway, HTTPRoute and ReferenceGrant objects, Gateway API only.

Topology (DESIGN.md): one Gateway per ingress class in the platform namespace (or one per class and
namespace with ``--gateway-mode per-namespace``), one listener per hostname and protocol so that a
host's routes never see another host's requests (listener isolation), routes in the Ingresses' own
namespaces, ``allowedRoutes`` that admit exactly those namespaces, and a ReferenceGrant for every
certificate Secret the Gateway reads from another namespace.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ingress2gw.emitters.grpc import grpc_rules, method_match
from ingress2gw.emitters.naming import dns_subdomain, fit, host_slug, section_name
from ingress2gw.gwapi import GROUP, Target
from ingress2gw.emitters.render import render_rule_intents
from ingress2gw.model.ir import BackendTLS, RuleDraft, ServiceBackend
from ingress2gw.model.outcome import Dimension, Ledger, Outcome, exact, lossy
from ingress2gw.stages.merge import GatewayPlan, HostPlan
from ingress2gw.report import Code, ObjectRef, Report

SOURCE_ANNOTATION = "ingress2gw.io/source"
MANAGED_BY = {"app.kubernetes.io/managed-by": "ingress2gw"}
MAX_LISTED_SOURCES = 20

KIND_RANK = {k: i for i, k in enumerate((
    "Namespace", "GatewayClass", "Gateway", "ListenerSet", "HTTPRoute", "GRPCRoute", "TLSRoute", "TCPRoute", "UDPRoute",
    "ReferenceGrant", "BackendTLSPolicy",
))}


@dataclass
class EmitOptions:
    target: Target = field(default_factory=Target)
    gateway_namespace: str = "gateway-system"
    gateway_mode: str = "shared"  # shared | per-namespace
    existing_gateway: tuple[str, str] | None = None  # (namespace, name)
    gateway_class: str | None = None
    #: Carry raw NGINX snippets where the implementation can run them (NGINX Gateway Fabric only).
    allow_snippets: bool = False
    #: The values of the options the chosen emitter declares (its ``options`` class attribute).
    options: object = None


def sort_key(obj: dict) -> tuple:
    meta = obj.get("metadata", {})
    return (KIND_RANK.get(obj["kind"], 100), obj["kind"], meta.get("namespace", ""), meta.get("name", ""))


def _meta(name: str, namespace: str, sources: list[str]) -> dict:
    uniq = sorted(set(sources))
    listed = ", ".join(uniq[:MAX_LISTED_SOURCES])
    if len(uniq) > MAX_LISTED_SOURCES:
        listed += f" (+{len(uniq) - MAX_LISTED_SOURCES} more)"
    meta = {"name": name, "namespace": namespace, "labels": dict(MANAGED_BY)}
    if listed:
        meta["annotations"] = {SOURCE_ANNOTATION: listed}
    return meta


def _precedence(rule: dict) -> tuple:
    m = rule["matches"][0]["path"]
    return ({"Exact": 0, "PathPrefix": 1, "RegularExpression": 2}[m["type"]], -len(m["value"]), m["value"])


class StandardEmitter:
    name = "standard"
    #: How a user gets an unverified backend back where this target always verifies (BackendTLSPolicy).
    skip_verify_advice = ", or choose an --emitter that can skip verification (kgateway, istio)"
    #: The L4 route kinds the implementation serves (TCP/UDP ports of the controller); the others are reported.
    stream_kinds: tuple[str, ...] = ("TCPRoute", "UDPRoute")

    def __init__(self, opts: EmitOptions, report: Report):
        self.opts, self.report, self.t = opts, report, opts.target
        #: The answer for every intent of every rule emitted (findings are derived from it).
        self.ledger = Ledger()
        self.backend_tls: dict[tuple[str, str], tuple] = {}

    # -- rules ----------------------------------------------------------------------------------
    def backend_refs(self, backends: list[ServiceBackend]) -> list[dict]:
        refs = []
        for b in backends:
            ref = {"name": b.name, "port": b.port}
            if len(backends) > 1 or b.weight != 1:
                ref["weight"] = b.weight
            refs.append(ref)
        return refs

    def rules(self, drafts: list[RuleDraft], route_ns: str) -> list[dict]:
        """Render rules; rules that do the same thing are merged into one rule with several matches."""
        merged: dict[str, dict] = {}
        for r in drafts:
            rendered = self.render_rule(r)
            self.track(r, rendered)
            filters = self.rule_filters(r, rendered)
            rule: dict = {"matches": []}
            if filters:
                rule["filters"] = filters
            if r.backends and not rendered.redirects:
                rule["backendRefs"] = self.backend_refs(r.backends)
            rule.update(rendered.fields)
            key = repr(rule)
            if "replacePrefixMatch" in key:
                key += repr(r.match)  # CEL: ReplacePrefixMatch needs exactly one PathPrefix match per rule
            rule = merged.setdefault(key, rule)
            m: dict = {"path": {"type": r.match.path.type, "value": r.match.path.value}}
            if r.match.headers:
                m["headers"] = [{"type": h.type, "name": h.name, "value": h.value} for h in r.match.headers]
            if m not in rule["matches"]:
                rule["matches"].append(m)
        out = []
        for rule in merged.values():
            rule["matches"].sort(key=lambda m: _precedence({"matches": [m]}))
            ms = rule["matches"]
            for i in range(0, len(ms), self.t.matches_per_rule):
                out.append({**rule, "matches": ms[i:i + self.t.matches_per_rule]})
        out.sort(key=lambda r: (_precedence(r), repr(r)))
        return out

    def render_rule(self, rule: RuleDraft):
        """The Gateway API rendering of a rule's intents (implementation emitters may withhold some)."""
        return render_rule_intents(rule.intents, self.t, rule.match.path.type)

    def rule_filters(self, rule: RuleDraft, rendered) -> list[dict]:
        """The filters of a rendered rule. Implementation emitters add their ExtensionRef filters here; the
        filters are part of the merge key, so rules with different filters never share a rule."""
        return rendered.filters

    def track(self, rule: RuleDraft, rendered) -> None:
        """Record the answer for each intent of an emitted rule."""
        for intent, outcome in rendered.outcomes():
            if (outcome.refused or outcome.lossy) and self.handled_elsewhere(rule, intent):
                continue  # left out, or held only in part: the implementation's answer stands instead
            if isinstance(intent, BackendTLS) and not outcome.refused:
                self.hold_backend_tls(rule, intent)
                outcome = self.backend_tls_outcome(intent)
            self.ledger.record(intent, outcome)

    def withheld(self, intent, rule: RuleDraft) -> bool:
        """Whether the emitter renders ``intent`` with its own objects although Gateway API could hold it
        (implementation emitters: where the Gateway API rendering would differ from the source)."""
        return False

    def hold_backend_tls(self, rule: RuleDraft, intent: BackendTLS) -> None:
        """TLS to the rule's backends is a BackendTLSPolicy on each Service, whatever the route kind."""
        for b in rule.backends:
            self.backend_tls.setdefault((b.namespace, b.name), (intent, b))

    def backend_tls_outcome(self, intent: BackendTLS) -> Outcome:
        """What the BackendTLSPolicy of ``intent`` (system CAs or its ConfigMaps, and its hostname; it always
        verifies) does against what the source did."""
        cas = (f"the CAs of ConfigMap {', '.join(intent.ca_config_maps)}" if intent.ca_config_maps
               else "the system CAs")
        if not intent.verify:
            return lossy(f"the source did not verify the backend certificate; BackendTLSPolicy always verifies it "
                         f"against {cas} for {intent.hostname}, so self-signed or mismatched backend certificates "
                         "now fail: give the backend a certificate from a CA in a ConfigMap (BackendTLSPolicy "
                         f"validation.caCertificateRefs){self.skip_verify_advice}", Dimension.BACKEND_TLS)
        if intent.ca_secret and not intent.ca_config_maps:
            return lossy(f"the source verified the backend certificate against ca.crt of Secret {intent.ca_secret}; "
                         "BackendTLSPolicy verifies it against the system CAs, so certificates from that CA now "
                         "fail: copy ca.crt into a ConfigMap and list it in the BackendTLSPolicy's "
                         "validation.caCertificateRefs", Dimension.BACKEND_TLS)
        return exact()

    def grpc_policy_holds(self, rule: RuleDraft, intent) -> bool:
        """Whether an intent a GRPCRoute cannot hold is held by an implementation policy on the GRPCRoute."""
        return False

    def handled_elsewhere(self, rule: RuleDraft, intent) -> bool:
        """Whether an intent the Gateway API rendering left out of this rule is held another way (an
        implementation emitter's policy object)."""
        return False

    def chunk(self, rules: list[dict]) -> list[list[dict]]:
        chunks: list[list[dict]] = [[]]
        total = 0
        for r in rules:
            n = len(r["matches"])
            if len(chunks[-1]) >= self.t.max_rules_per_route or total + n > self.t.max_total_matches:
                chunks.append([])
                total = 0
            chunks[-1].append(r)
            total += n
        return chunks

    # -- objects -------------------------------------------------------------------------------
    def emit(self, plans: list[GatewayPlan]) -> list[dict]:
        objects: list[dict] = []
        for gp in plans:
            objects.extend(self.emit_gateway(gp))
        objects.extend(self.backend_tls_policies())
        objects.sort(key=sort_key)
        return objects

    def gateway_ref(self, gp: GatewayPlan) -> tuple[str, str]:
        if self.opts.existing_gateway:
            return self.opts.existing_gateway
        if self.opts.gateway_mode == "per-namespace":
            ns, _, name = gp.name.partition("/")
            return ns, name
        return self.opts.gateway_namespace, gp.name

    def emit_gateway(self, gp: GatewayPlan) -> list[dict]:
        gw_ns, gw_name = self.gateway_ref(gp)
        existing = self.opts.existing_gateway is not None
        out: list[dict] = []
        listeners: list[dict] = []
        listener_ns: dict[str, set[str]] = {}
        listener_sources: dict[str, list[str]] = {}
        routes: list[tuple[str, str, str | None, list[str], list[RuleDraft]]] = []
        grants: dict[tuple[str, str], list[str]] = {}

        for host in sorted(gp.hosts, key=lambda h: (h is None, h or "")):
            hp: HostPlan = gp.hosts[host]
            http_sec, https_sec = section_name("HTTP", host), section_name("HTTPS", host)
            if hp.http_rules:
                listeners.append(self.listener(http_sec, host, "HTTP", 80, None, gw_ns))
            if hp.https_rules:
                listeners.append(self.listener(https_sec, host, "HTTPS", 443, hp, gw_ns))
                if hp.cert.namespace != gw_ns and not existing:
                    grants.setdefault((hp.cert.namespace, hp.cert.secret), []).append(host)
            namespaces = sorted({r.origin.namespace for r in hp.http_rules + hp.https_rules})
            for ns in namespaces:
                h_rules = [r for r in hp.http_rules if r.origin.namespace == ns]
                s_rules = [r for r in hp.https_rules if r.origin.namespace == ns]
                base = host_slug(host)
                if h_rules and s_rules and h_rules == s_rules:
                    routes.append((ns, base, host, [http_sec, https_sec], s_rules))
                else:
                    if s_rules:
                        routes.append((ns, base, host, [https_sec], s_rules))
                    if h_rules:
                        routes.append((ns, f"{base}--http" if s_rules or hp.https_rules else base, host,
                                       [http_sec], h_rules))

        tls_routes = self.passthrough(gp, gw_ns, listeners, listener_ns, listener_sources)
        stream_routes = self.stream_listeners(gp, listeners, listener_ns, listener_sources)

        # Listener limits: spread over several Gateways of 64 listeners, a host's listeners together.
        gateway_of: dict[str, str] = {}
        groups: dict[str | None, list[dict]] = {}
        for lst in listeners:
            groups.setdefault(lst.get("hostname"), []).append(lst)
        chunks: list[list[dict]] = [[]]
        for group in groups.values():
            if len(chunks[-1]) + len(group) > self.t.max_listeners:
                chunks.append([])
            chunks[-1].extend(group)
        if len(chunks) > 1:
            self.report.add(Code.GATEWAY_LISTENER_LIMIT, location=gp.sources[0].location,
                            detail=f"class {gp.ingress_class} needs {len(listeners)} listeners; they were spread "
                                   f"over {len(chunks)} Gateways")
        for i, chunk in enumerate(chunks):
            name = gw_name if i == 0 else fit(f"{gw_name}--{i + 1}")
            for lst in chunk:
                gateway_of[lst["name"]] = name

        for ns, name, host, section, body in tls_routes:
            spec = {"parentRefs": self.parent_refs([section], gateway_of, gw_ns, gw_name, ns),
                    "hostnames": [host], **body["spec"]}
            out.append({**body["head"], "metadata": _meta(fit(name), ns, body["sources"]), "spec": spec})

        for ns, name, sec, kind, version, s in stream_routes:
            out.append(self.stream_route(ns, name, sec, kind, version, s, gateway_of, gw_ns, gw_name))

        for ns, base, host, sections, all_drafts in routes:
            drafts, grpc = self.split_grpc(all_drafts)
            if grpc:
                self.emit_grpc(out, ns, base, host, sections, grpc, gateway_of, gw_ns, gw_name, listener_ns,
                               listener_sources, http_too=bool(drafts))
            if not drafts:
                continue
            # Rules whose implementation policies differ never share a route, so a policy attached to a
            # route is never wider than the Ingress setting it came from.
            for suffix, group, pieces in self.split_by_policy(drafts):
                names = self.emit_http_routes(out, ns, base + suffix, host, sections, group, gateway_of, gw_ns,
                                              gw_name, listener_ns, listener_sources)
                if pieces:
                    self.attach_route_policies(out, ns, names, pieces, [r.origin.key for r in group])

        if existing:
            self.report.add(Code.GATEWAY_EXISTING, location=gp.sources[0].location,
                            detail=f"routes of class {gp.ingress_class} attach to Gateway {gw_ns}/{gw_name}; it "
                                   "must have HTTP (port 80) and HTTPS (port 443) listeners for: "
                                   + ", ".join(sorted({h or '*' for h in gp.hosts})))
            return out

        for lst in listeners:
            lst["allowedRoutes"] = _allowed(listener_ns.get(lst["name"], set()), gw_ns)
            if lst["protocol"] in ("TCP", "UDP"):
                lst["allowedRoutes"]["kinds"] = [{"group": GROUP, "kind": f"{lst['protocol']}Route"}]
        for i, chunk in enumerate(chunks):
            if not chunk:
                continue
            name = gw_name if i == 0 else fit(f"{gw_name}--{i + 1}")
            srcs = [s for lst in chunk for s in listener_sources.get(lst["name"], [])]
            meta = _meta(name, gw_ns, srcs)
            if gp.annotations:
                meta["annotations"] = dict(sorted({**gp.annotations, **meta.get("annotations", {})}.items()))
            out.append({
                "apiVersion": f"{GROUP}/v1", "kind": "Gateway",
                "metadata": meta,
                "spec": {"gatewayClassName": self.opts.gateway_class or self.default_gateway_class(gp),
                         "listeners": chunk},
            })
        for (ns, secret), hosts in sorted(grants.items()):
            out.append({
                "apiVersion": f"{GROUP}/{self.t.reference_grant_version}", "kind": "ReferenceGrant",
                "metadata": {**_meta(fit(f"gateway-{gw_ns}-secret-{secret}"), ns, []),
                             "annotations": {SOURCE_ANNOTATION: f"TLS certificate for {_hosts_text(hosts)}"}},
                "spec": {
                    "from": [{"group": GROUP, "kind": "Gateway", "namespace": gw_ns}],
                    "to": [{"group": "", "kind": "Secret", "name": secret}],
                },
            })
        return out

    def emit_http_routes(self, out, ns, base, host, sections, drafts, gateway_of, gw_ns, gw_name, listener_ns,
                         listener_sources) -> list[str]:
        rules = self.rules(drafts, ns)
        parts = self.chunk(rules)
        if len(parts) > 1:
            self.report.add(Code.ROUTE_TOO_LARGE, location=drafts[0].origin.location,
                            detail=f"host {host or '*'} in {ns} has {len(rules)} rules; split over "
                                   f"{len(parts)} HTTPRoutes")
        sources = [r.origin.key for r in drafts]
        for sec in sections:
            listener_ns.setdefault(sec, set()).add(ns)
            listener_sources.setdefault(sec, []).extend(sources)
        names = []
        for i, part in enumerate(parts):
            name = fit(base if i == 0 else f"{base}--{i + 1}")
            names.append(name)
            spec: dict = {"parentRefs": self.parent_refs(sections, gateway_of, gw_ns, gw_name, ns)}
            if host is not None:
                spec["hostnames"] = [host]
            spec["rules"] = part
            out.append({
                "apiVersion": f"{GROUP}/v1", "kind": "HTTPRoute",
                "metadata": _meta(name, ns, sources), "spec": spec,
            })
        return names

    # -- implementation policies (none in the standard emitter) -------------------------------------
    def split_by_policy(self, drafts: list[RuleDraft]) -> list[tuple[str, list[RuleDraft], list]]:
        """Groups of rules that share the same route-level policies: (name suffix, rules, pieces)."""
        return [("", drafts, [])]

    def attach_route_policies(self, out: list[dict], ns: str, route_names: list[str], pieces: list,
                              sources: list[str]) -> None:
        """Emit the policy objects for routes (implementation emitters)."""

    # -- gRPC and TLS passthrough ---------------------------------------------------------------
    def split_grpc(self, drafts: list[RuleDraft]) -> tuple[list[RuleDraft], list[RuleDraft]]:
        """gRPC rules with a gRPC-shaped path go to a GRPCRoute; the rest stay HTTP (reported)."""
        http, grpc = [], []
        for r in drafts:
            if r.protocol != "grpc" or not r.backends:
                http.append(r)
            elif method_match(r) is None:
                self.report.add(Code.ROUTE_GRPC_PATH, location=r.origin.location,
                                obj=ObjectRef("Ingress", r.origin.namespace, r.origin.name),
                                detail=f"gRPC backend {r.backends[0].name} is routed by {r.match.path.type} "
                                       f"{r.match.path.value}, which is not /<package.Service>[/<Method>]; it "
                                       "stays on the HTTPRoute")
                http.append(r)
            else:
                grpc.append(r)
        return http, grpc

    def emit_grpc(self, out, ns, base, host, sections, drafts, gateway_of, gw_ns, gw_name, listener_ns,
                  listener_sources, *, http_too: bool) -> None:
        rules = grpc_rules(self, drafts)
        sources = [r.origin.key for r in drafts]
        for sec in sections:
            listener_ns.setdefault(sec, set()).add(ns)
            listener_sources.setdefault(sec, []).extend(sources)
        for i in range(0, len(rules), self.t.max_rules_per_route):
            name = f"{base}--grpc" if http_too else base
            if i:
                name += f"--{i // self.t.max_rules_per_route + 1}"
            spec: dict = {"parentRefs": self.parent_refs(sections, gateway_of, gw_ns, gw_name, ns)}
            if host is not None:
                spec["hostnames"] = [host]
            spec["rules"] = rules[i:i + self.t.max_rules_per_route]
            out.append({"apiVersion": f"{GROUP}/v1", "kind": "GRPCRoute",
                        "metadata": _meta(fit(name), ns, sources), "spec": spec})

    def passthrough(self, gp: GatewayPlan, gw_ns: str, listeners: list[dict], listener_ns: dict,
                    listener_sources: dict) -> list[tuple]:
        """TLS listeners in Passthrough mode and their TLSRoutes (ingress-nginx ssl-passthrough)."""
        routes = []
        version = self.t.tls_route_version
        for host, (backend, origin) in sorted(gp.passthrough.items()):
            ref = ObjectRef("Ingress", origin.namespace, origin.name)
            if version is None:
                self.report.add(Code.GATEWAY_API_VERSION, location=origin.location, obj=ref,
                                detail=f"TLS passthrough for {host} needs TLSRoute: Gateway API >= 1.5, or the "
                                       f"experimental channel (target: {self.t.version} {self.t.channel})")
                continue
            sec = section_name("TLS", host)
            listeners.append({"name": sec, "hostname": host, "port": 443, "protocol": "TLS",
                              "tls": {"mode": "Passthrough"}})
            listener_ns.setdefault(sec, set()).add(backend.namespace)
            listener_sources.setdefault(sec, []).append(origin.key)
            body = {
                "head": {"apiVersion": f"{GROUP}/{version}", "kind": "TLSRoute"},
                "sources": [origin.key],
                "spec": {"rules": [{"backendRefs": [{"name": backend.name, "port": backend.port}]}]},
            }
            routes.append((backend.namespace, f"{host_slug(host)}--tls", host, sec, body))
        return routes

    def stream_listeners(self, gp: GatewayPlan, listeners: list[dict], listener_ns: dict,
                         listener_sources: dict) -> list[tuple]:
        """A TCP/UDP listener per port of the controller (``tcp-<port>``, ``udp-<port>``) and its route, in the
        Service's namespace: (namespace, name, listener, kind, apiVersion, StreamRoute). Left out, with a finding:
        a target without the route kind, an implementation without it, a port another listener has."""
        out = []
        version = self.t.stream_route_version
        taken = {(lst["port"], lst["protocol"] in ("UDP",)) for lst in listeners}
        for s in gp.streams:
            kind = f"{s.protocol}Route"
            ref = ObjectRef("ConfigMap", s.origin.namespace, s.origin.name)
            where = f"{s.protocol} port {s.port} ({s.backend.namespace}/{s.backend.name}:{s.backend.port})"
            if version is None:
                self.report.add(Code.GATEWAY_API_VERSION, location=s.origin.location, obj=ref,
                                detail=f"{where} needs {kind}, which needs the experimental channel before Gateway "
                                       f"API 1.6 (target: {self.t.version} {self.t.channel}); no listener or route "
                                       "was emitted for it")
                continue
            if kind not in self.stream_kinds:
                self.report.add(Code.STREAM_UNSUPPORTED, location=s.origin.location, obj=ref,
                                detail=f"{where}: {self.name} does not support {kind}; no listener or route was "
                                       "emitted for it")
                continue
            key = (s.port, s.protocol == "UDP")
            if key in taken:
                self.report.add(Code.STREAM_PORT_CLASH, location=s.origin.location, obj=ref,
                                detail=f"{where}: Gateway {gp.name} already has a listener on port {s.port}; no "
                                       "listener or route was emitted for it")
                continue
            taken.add(key)
            sec = f"{s.protocol.lower()}-{s.port}"
            listeners.append({"name": sec, "port": s.port, "protocol": s.protocol})
            listener_ns.setdefault(sec, set()).add(s.backend.namespace)
            listener_sources.setdefault(sec, []).append(s.origin.key)
            name = fit(dns_subdomain(f"{s.backend.name}-{s.protocol.lower()}-{s.port}"))
            out.append((s.backend.namespace, name, sec, kind, version, s))
        return out

    def stream_route(self, ns: str, name: str, sec: str, kind: str, version: str, s, gateway_of: dict[str, str],
                     gw_ns: str, gw_name: str) -> dict:
        """The TCPRoute/UDPRoute of one port: the listener of the port, the Service port as the only backend."""
        if self.opts.existing_gateway:
            parent = {"group": GROUP, "kind": "Gateway", "name": gw_name}
            if gw_ns != ns:
                parent["namespace"] = gw_ns
            parent["port"] = s.port
        else:
            parent = self.parent_refs([sec], gateway_of, gw_ns, gw_name, ns)[0]
        return {"apiVersion": f"{GROUP}/{version}", "kind": kind,
                "metadata": _meta(name, ns, [s.origin.key]),
                "spec": {"parentRefs": [parent],
                         "rules": [{"backendRefs": [{"name": s.backend.name, "port": s.backend.port}]}]}}

    def default_gateway_class(self, gp: GatewayPlan) -> str:
        """gatewayClassName when --gateway-class is not given: the ingress class name for Gateway API only."""
        return getattr(self, "gateway_class_name", "") or dns_subdomain(gp.ingress_class)

    def backend_tls_policies(self) -> list[dict]:
        """One BackendTLSPolicy per Service the gateway must reach over TLS."""
        out = []
        version = "v1" if self.t.at_least("1.4") else "v1alpha3"
        for (ns, svc), (intent, _backend) in sorted(self.backend_tls.items()):
            validation: dict = {}
            if intent.ca_config_maps:
                validation["caCertificateRefs"] = [{"group": "", "kind": "ConfigMap", "name": n}
                                                   for n in intent.ca_config_maps]
            else:
                validation["wellKnownCACertificates"] = "System"
            validation["hostname"] = intent.hostname
            sources = [intent.origin.key] if intent.origin else []
            out.append({
                "apiVersion": f"{GROUP}/{version}", "kind": "BackendTLSPolicy",
                "metadata": _meta(fit(svc), ns, sources),
                "spec": {"targetRefs": [{"group": "", "kind": "Service", "name": svc}], "validation": validation},
            })
        return out

    def listener(self, name: str, host: str | None, protocol: str, port: int, hp: HostPlan | None,
                 gw_ns: str) -> dict:
        lst: dict = {"name": name}
        if host is not None:
            lst["hostname"] = host
        lst["port"] = port
        lst["protocol"] = protocol
        if hp is not None:
            ref = {"group": "", "kind": "Secret", "name": hp.cert.secret}
            if hp.cert.namespace != gw_ns:
                ref["namespace"] = hp.cert.namespace
            lst["tls"] = {"mode": "Terminate", "certificateRefs": [ref]}
        return lst

    def parent_refs(self, sections: list[str], gateway_of: dict[str, str], gw_ns: str, gw_name: str,
                    route_ns: str) -> list[dict]:
        refs = []
        if self.opts.existing_gateway:
            ref = {"group": GROUP, "kind": "Gateway", "name": gw_name}
            if gw_ns != route_ns:
                ref["namespace"] = gw_ns
            if len(sections) == 1:
                ref["port"] = 443 if sections[0].startswith("https") else 80
            return [ref]
        for sec in sections:
            ref = {"group": GROUP, "kind": "Gateway", "name": gateway_of.get(sec, gw_name)}
            if gw_ns != route_ns:
                ref["namespace"] = gw_ns
            ref["sectionName"] = sec
            refs.append(ref)
        return refs


def _hosts_text(hosts: list[str | None]) -> str:
    """The hosts of listeners, for people: None is the listener without hostname (every other host)."""
    names = sorted({h for h in hosts if h is not None})
    if None in hosts:
        names.append("the listener without hostname")
    return ", ".join(names)


def _allowed(namespaces: set[str], gw_ns: str) -> dict:
    if not namespaces or namespaces == {gw_ns}:
        return {"namespaces": {"from": "Same"}}
    return {"namespaces": {"from": "Selector", "selector": {"matchExpressions": [
        {"key": "kubernetes.io/metadata.name", "operator": "In", "values": sorted(namespaces)},
    ]}}}


